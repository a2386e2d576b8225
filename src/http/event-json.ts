import type { LoggedEvent, NumberedEvent } from '../events/types.js';
import { formatTimeNs } from '../shared/time-format.js';
import { goJsonCompact, goJsonNested, goJsonText } from './go-json.js';

/**
 * Event serialisation, done once per event (and once per answer shared by many pollers): with
 * thousands of parked polls on one `since`, every one of them is sent the same bytes.
 */

/** An entry as it sits in the poll answer (Go's MarshalIndent of the event, 2 levels in). */
const items = new WeakMap<NumberedEvent, string>();
/** Data rendered once per event, whichever subscriptions number it. */
const datas = new WeakMap<LoggedEvent, string>();
/** Whole answers, keyed by their first entry; holds the last entry to tell answers of one start apart. */
const answers = new WeakMap<NumberedEvent, { last: NumberedEvent; body: Buffer }>();
const frames = new WeakMap<LoggedEvent, Buffer>();

const EMPTY = Buffer.from('[]\n');

function item(n: NumberedEvent): string {
  let text = items.get(n);
  if (text === undefined) {
    const e = n.event;
    let data = datas.get(e);
    if (data === undefined) datas.set(e, (data = goJsonNested(e.data ?? null, 2)));
    text =
      `  {\n    "id": ${n.id},\n    "globalID": ${e.globalID},\n    "time": ${goJsonText(formatTimeNs(e.timeNs))},\n` +
      `    "type": ${goJsonText(e.type)},\n    "data": ${data}\n  }`;
    items.set(n, text);
  }
  return text;
}

/** The body of a /rest/events answer: the JSON array Go's MarshalIndent prints, and a newline. */
export function renderEvents(events: readonly NumberedEvent[]): Buffer {
  if (events.length === 0) return EMPTY;
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const hit = answers.get(first);
  if (hit && hit.last === last) return hit.body;
  const body = Buffer.from(`[\n${events.map(item).join(',\n')}\n]\n`);
  answers.set(first, { last, body });
  return body;
}

/**
 * One event as a text/event-stream message. The stream is not a numbered subscription, so the
 * event's `id` there is its globalID, which is also the message id a client resumes from.
 */
export function streamFrame(e: LoggedEvent): Buffer {
  let frame = frames.get(e);
  if (frame === undefined) {
    const json = goJsonCompact({ id: e.globalID, globalID: e.globalID, time: formatTimeNs(e.timeNs), type: e.type, data: e.data ?? null });
    frame = Buffer.from(`id: ${e.globalID}\nevent: ${e.type}\ndata: ${json}\n\n`);
    frames.set(e, frame);
  }
  return frame;
}
