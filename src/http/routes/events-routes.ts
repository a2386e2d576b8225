import type { Context } from 'koa';
import { DISK_EVENTS, parseEventMask, type EventMask } from '../../events/mask.js';
import type { HttpDeps } from '../deps.js';
import { renderEvents } from '../event-json.js';
import type { Heartbeats } from '../heartbeats.js';
import type { ShutdownHooks } from '../shutdown-hooks.js';
import { HttpError } from '../http-error.js';
import { background } from '../../shared/background.js';
import { query, queryInt } from '../request.js';
import { JSON_TYPE } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET /rest/events        [since] [limit] [timeout] [events] [heartbeat]
// GET /rest/events/disk   [since] [limit] [timeout] [heartbeat]

const DEFAULT_TIMEOUT_S = 60;
/** Longest wait we honour; a longer `timeout` is clamped (Syncthing has no cap). */
export const MAX_TIMEOUT_S = 3600;
/** How long an answer may wait for its client to read it before the connection is dropped. */
const UNREAD_ANSWER_MS = 60_000;
/** What `heartbeat=` sends: JSON allows any amount of whitespace before a value. */
const WHITESPACE = Buffer.from('\n');

/** `heartbeat=S` is ours, so unlike Syncthing's own parameters a bad value is an error, not a default. */
function heartbeatSeconds(ctx: Context): number {
  const raw = query(ctx, 'heartbeat');
  if (raw === undefined || raw === '') return 0;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n <= MAX_TIMEOUT_S)) throw new HttpError(400, `invalid heartbeat ${JSON.stringify(raw)}: want whole seconds from 0 (off) to ${MAX_TIMEOUT_S}`);
  return n;
}

/** Go reads `since` as an int64: past 2^53 it is still a number no id reaches (a wait), past 2^63 it is 0. */
function sinceParam(ctx: Context): number {
  const n = queryInt(ctx, 'since');
  if (n !== undefined) return Math.max(n, 0);
  const raw = query(ctx, 'since');
  if (raw !== undefined && /^\+?\d{1,20}$/.test(raw) && BigInt(raw) <= 0x7fffffffffffffffn) return Number.MAX_SAFE_INTEGER;
  return 0;
}

export function eventsRoutes(d: HttpDeps, shutdown: ShutdownHooks, beats: Heartbeats): Route[] {
  const serve = (ctx: Context, mask: EventMask): void => {
    // Syncthing's leniency: anything that is not an integer is the default.
    const since = sinceParam(ctx);
    const limit = Math.max(queryInt(ctx, 'limit') ?? 0, 0);
    let timeoutS = queryInt(ctx, 'timeout') ?? DEFAULT_TIMEOUT_S;
    if (timeoutS < 0) timeoutS = DEFAULT_TIMEOUT_S;
    timeoutS = Math.min(timeoutS, MAX_TIMEOUT_S);
    const heartbeatS = heartbeatSeconds(ctx);

    // Status and headers go out before the wait: a proxy or client sees the call is alive, and the
    // status can no longer change, which is why every parameter is read above.
    ctx.respond = false;
    const res = ctx.res;
    res.statusCode = 200;
    res.setHeader('Content-Type', JSON_TYPE);
    res.flushHeaders();

    const poll = d.events.wait(mask, { since, limit, timeoutMs: timeoutS * 1000 });
    // A client that goes away, or the server closing, ends the wait with [] and consumes nothing.
    res.once('close', poll.cancel);
    const forget = shutdown.add(poll.cancel);
    const stopBeat = heartbeatS > 0 ? beats.every(heartbeatS * 1000, () => void res.write(WHITESPACE)) : () => {};
    // Not awaited: the middleware chain unwinds now (the response is ours, ctx.respond is false),
    // so a parked poll holds only this closure, not a suspended frame per middleware.
    const answer = poll.events.then((events) => {
      stopBeat();
      forget();
      res.off('close', poll.cancel);
      if (res.destroyed) return;
      res.end(renderEvents(events));
      // A client that does not read its answer would keep the socket, and the answer, forever.
      if (!res.writableFinished) {
        const t = setTimeout(() => res.destroy(), UNREAD_ANSWER_MS);
        t.unref();
        res.once('finish', () => clearTimeout(t));
        res.once('close', () => clearTimeout(t));
      }
    });
    background(answer, (m) => d.log.warn(m), 'answering an event poll');
  };

  return [
    { method: 'GET', path: '/rest/events', handler: (ctx) => serve(ctx, parseEventMask(query(ctx, 'events'))) },
    { method: 'GET', path: '/rest/events/disk', handler: (ctx) => serve(ctx, DISK_EVENTS) },
  ];
}
