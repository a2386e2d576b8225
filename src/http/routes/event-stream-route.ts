import type { Context } from 'koa';
import type { ServerResponse } from 'node:http';
import { parseEventMask, unknownEventNames, type EventMask } from '../../events/mask.js';
import type { LoggedEvent } from '../../events/types.js';
import type { HttpDeps } from '../deps.js';
import { streamFrame } from '../event-json.js';
import type { Heartbeats } from '../heartbeats.js';
import type { ShutdownHooks } from '../shutdown-hooks.js';
import { HttpError } from '../http-error.js';
import { query } from '../request.js';
import type { Route } from '../rest-router.js';

// GET /rest/events/stream   [events] [since]   (header Last-Event-ID wins over since)

export interface StreamLimits {
  /** How often a comment line goes out on an idle stream, so proxies keep it open. */
  keepAliveMs: number;
  /** Bytes of live events waiting in our process (beyond what the kernel holds) before a stream is cut off. */
  maxPendingBytes: number;
  /** Frames waiting before a stream is cut off, however small. */
  maxBlockedWrites: number;
}

export const STREAM_LIMITS: StreamLimits = { keepAliveMs: 15_000, maxPendingBytes: 256 * 1024, maxBlockedWrites: 64 };

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');
/** After the goodbye comment, how long a client that reads nothing keeps its socket. */
const GOODBYE_GRACE_MS = 5_000;

/** A stream's `events=`: the same names as /rest/events, but a name we do not know is an error here. */
function streamMask(ctx: Context): EventMask {
  const raw = query(ctx, 'events');
  const unknown = raw === undefined ? [] : unknownEventNames(raw);
  if (unknown.length > 0) throw new HttpError(400, `unknown event type ${JSON.stringify(unknown[0])} in events=`);
  return parseEventMask(raw);
}

/** Where to resume: Last-Event-ID (what EventSource sends on reconnect), else since=; undefined = live only. */
function resumeFrom(ctx: Context, lastGlobalId: number): number | undefined {
  const header = ctx.get('Last-Event-ID');
  const [name, raw] = header !== '' ? ['Last-Event-ID', header] : ['since', query(ctx, 'since')];
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `invalid ${name} ${JSON.stringify(raw)}: want an event id (a whole number ≥ 0)`);
  // An id we never handed out comes from before a restart: everything we hold is news to that client.
  return n > lastGlobalId ? 0 : n;
}

/**
 * One client's stream. Frames are shared buffers (one per event, whoever reads it), written as
 * the socket takes them: what the socket does not take waits in a queue of references, never in
 * a copy. A replay is queued the same way and goes out as the client reads it. A client whose
 * queue of live events passes `maxPendingBytes` (or `maxBlockedWrites` frames) is cut off with a
 * last comment saying so, and resumes with Last-Event-ID.
 */
class StreamClient {
  private readonly queue: Buffer[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Bytes of the replay still queued: a resuming client may be that far behind without being cut off. */
  private replayBytes = 0;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: StreamLimits,
    private readonly onEnd: () => void,
  ) {
    res.on('drain', () => this.pump());
  }

  /** Buffered events for a resuming client, queued behind nothing and sent as fast as it reads. */
  replay(frames: Buffer[]): void {
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
      this.replayBytes += f.length;
    }
    this.pump();
  }

  send(chunk: Buffer): void {
    if (this.ended) return;
    if (this.res.destroyed) return this.finish();
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    const live = this.queuedBytes - this.replayBytes;
    const waiting = this.queue.length - this.head;
    if ((live > this.limits.maxPendingBytes || waiting > this.limits.maxBlockedWrites) && this.res.writableLength > 0) {
      return this.goodbye(`this client did not keep up (${this.res.writableLength + this.queuedBytes} bytes unread); reconnect with Last-Event-ID to resume`);
    }
    this.pump();
  }

  /** Writes queued frames until the socket says to wait (then 'drain' calls again). */
  private pump(): void {
    const res = this.res;
    while (!this.ended && this.head < this.queue.length && !res.destroyed && !res.writableNeedDrain) {
      const f = this.queue[this.head]!;
      this.queue[this.head++] = EMPTY;
      this.queuedBytes -= f.length;
      this.replayBytes = Math.max(0, this.replayBytes - f.length);
      res.write(f);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  goodbye(reason: string): void {
    if (this.ended) return;
    this.finish();
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    const res = this.res;
    if (res.destroyed) return;
    res.end(`: closed: ${reason}\n\n`);
    // A client that reads nothing would hold the socket (and what is queued on it) forever.
    const t = setTimeout(() => res.destroy(), GOODBYE_GRACE_MS);
    t.unref();
    res.once('close', () => clearTimeout(t));
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}

const EMPTY = Buffer.alloc(0);

export function eventStreamRoute(d: HttpDeps, shutdown: ShutdownHooks, beats: Heartbeats, limits: StreamLimits = STREAM_LIMITS): Route {
  const handler = async (ctx: Context): Promise<void> => {
    const mask = streamMask(ctx);
    const from = resumeFrom(ctx, d.events.lastGlobalId);

    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      // nginx buffers responses unless told otherwise; a buffered stream is no stream.
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);

    const cleanups: (() => void)[] = [];
    const client = new StreamClient(res, limits, () => cleanups.forEach((f) => f()));
    const onEvent = (e: LoggedEvent) => client.send(streamFrame(e));
    // Replay and listen in one synchronous step, so no event falls between the two.
    const replay = from === undefined ? undefined : d.events.replay(mask, from);
    cleanups.push(d.events.listen(mask, onEvent));
    cleanups.push(beats.every(limits.keepAliveMs, () => client.send(KEEP_ALIVE)));
    const onClose = () => client.finish();
    res.once('close', onClose);
    cleanups.push(() => res.off('close', onClose));
    cleanups.push(shutdown.add(() => client.goodbye('the server is shutting down')));

    res.write(`retry: 2000\n: synchro event stream${mask === 0n ? ' (no event types selected)' : ''}\n\n`);
    if (replay) {
      if (!replay.complete) res.write(`: some events after id ${from} are no longer buffered\n\n`);
      if (replay.events.length > 0) client.replay(replay.events.map(streamFrame));
    }
  };
  return { method: 'GET', path: '/rest/events/stream', handler };
}
