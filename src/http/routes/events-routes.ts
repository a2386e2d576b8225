import type { Context } from 'koa';
import { DISK_EVENTS, parseEventMask, type EventMask } from '../../events/mask.js';
import type { LoggedEvent, NumberedEvent } from '../../events/types.js';
import { formatTimeNs } from '../../shared/time-format.js';
import type { HttpDeps } from '../deps.js';
import { goJsonNested, goJsonText } from '../go-json.js';
import { query, queryInt } from '../request.js';
import { JSON_TYPE } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET /rest/events        [since] [limit] [timeout] [events]
// GET /rest/events/disk   [since] [limit] [timeout]

const DEFAULT_TIMEOUT_S = 60;
/** Longest wait we honour; a longer `timeout` is clamped (Node and proxies cut idle requests anyway). */
export const MAX_TIMEOUT_S = 3600;

/** An event's data rendered once and shared by every poller (it sits 3 levels deep in the answer). */
const rendered = new WeakMap<LoggedEvent, string>();

function renderData(e: LoggedEvent): string {
  let text = rendered.get(e);
  if (text === undefined) {
    text = goJsonNested(e.data ?? null, 2);
    rendered.set(e, text);
  }
  return text;
}

/** The JSON array Go's MarshalIndent prints for a list of events. */
export function renderEvents(events: NumberedEvent[]): string {
  if (events.length === 0) return '[]\n';
  const items = events.map(
    ({ id, event: e }) =>
      `  {\n    "id": ${id},\n    "globalID": ${e.globalID},\n    "time": ${goJsonText(formatTimeNs(e.timeNs))},\n` +
      `    "type": ${goJsonText(e.type)},\n    "data": ${renderData(e)}\n  }`,
  );
  return `[\n${items.join(',\n')}\n]\n`;
}

export function eventsRoutes(d: HttpDeps, closing: AbortSignal): Route[] {
  const serve = async (ctx: Context, mask: EventMask): Promise<void> => {
    const since = Math.max(queryInt(ctx, 'since') ?? 0, 0);
    const limit = Math.max(queryInt(ctx, 'limit') ?? 0, 0);
    let timeoutS = queryInt(ctx, 'timeout') ?? DEFAULT_TIMEOUT_S;
    if (timeoutS < 0) timeoutS = DEFAULT_TIMEOUT_S;
    timeoutS = Math.min(timeoutS, MAX_TIMEOUT_S);

    // Status and headers go out before the wait: a proxy or client sees the call is alive, and the
    // status can no longer change, which is why every parameter is read above.
    ctx.respond = false;
    const res = ctx.res;
    res.statusCode = 200;
    res.setHeader('Content-Type', JSON_TYPE);
    res.flushHeaders();

    const gone = new AbortController();
    const onClose = () => gone.abort();
    res.once('close', onClose);
    const onClosing = () => gone.abort();
    closing.addEventListener('abort', onClosing, { once: true });
    try {
      const events = await d.events.poll(mask, { since, limit, timeoutMs: timeoutS * 1000, signal: gone.signal });
      if (!res.destroyed) res.end(renderEvents(events));
    } finally {
      res.off('close', onClose);
      closing.removeEventListener('abort', onClosing);
    }
  };

  return [
    { method: 'GET', path: '/rest/events', handler: (ctx) => serve(ctx, parseEventMask(query(ctx, 'events'))) },
    { method: 'GET', path: '/rest/events/disk', handler: (ctx) => serve(ctx, DISK_EVENTS) },
  ];
}
