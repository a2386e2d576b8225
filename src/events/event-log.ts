import type { Clock } from '../shared/clock.js';
import { maskOf, DEFAULT_EVENTS, DISK_EVENTS, type EventMask } from './mask.js';
import { Subscription } from './subscription.js';
import type { EventSink, EventType, LoggedEvent, NumberedEvent } from './types.js';

export interface PollOptions {
  /** Return events with id > since. */
  since: number;
  /** Keep only the newest N (0 = all); applied after the wait, as Syncthing does. */
  limit: number;
  /** How long to wait for a first event; 0 answers at once. */
  timeoutMs: number;
  /** Aborting releases the wait at once with no events (a client went away). */
  signal?: AbortSignal;
}

export interface EventLogOptions {
  clock: Clock;
  /** Most `events=` masks kept besides the default and disk streams; the least recently used goes first. */
  maxMasks?: number;
}

/**
 * The process's event log. Every event gets a global id; each mask in use has its own
 * Subscription with its own consecutive ids. The default and disk subscriptions exist from
 * construction, so the Starting event is id 1 in both; other masks start empty when first asked for.
 */
export class EventLog implements EventSink {
  private globalId = 0;
  private readonly builtIn: Subscription[];
  private readonly custom = new Map<EventMask, Subscription>();
  private readonly maxMasks: number;
  private readonly clock: Clock;

  constructor(opts: EventLogOptions) {
    this.clock = opts.clock;
    this.maxMasks = opts.maxMasks ?? 64;
    this.builtIn = [new Subscription(DEFAULT_EVENTS), new Subscription(DISK_EVENTS)];
  }

  append(type: EventType, data: unknown): LoggedEvent {
    const event: LoggedEvent = { globalID: ++this.globalId, timeNs: this.clock.nowNs(), type, data };
    const bit = maskOf(type);
    for (const s of this.builtIn) if (s.mask & bit) s.push(event);
    for (const s of this.custom.values()) if (s.mask & bit) s.push(event);
    return event;
  }

  /** The subscription for a mask, created on first use (and then seeing only later events). */
  subscription(mask: EventMask): Subscription {
    for (const s of this.builtIn) if (s.mask === mask) return s;
    let s = this.custom.get(mask);
    if (s) {
      // Map order is our LRU order: re-insert to mark as most recently used.
      this.custom.delete(mask);
      this.custom.set(mask, s);
      return s;
    }
    s = new Subscription(mask);
    this.custom.set(mask, s);
    if (this.custom.size > this.maxMasks) {
      const oldest = this.custom.keys().next().value as EventMask;
      this.custom.delete(oldest);
    }
    return s;
  }

  /**
   * Syncthing's long poll: events after `since` at once if there are any; otherwise wait until the
   * subscription's latest id passes `since`, the timeout ends (→ []), or the signal aborts (→ []).
   */
  poll(mask: EventMask, opts: PollOptions): Promise<NumberedEvent[]> {
    const sub = this.subscription(mask);
    const ready = sub.after(opts.since, opts.limit);
    if (ready.length > 0 || opts.timeoutMs <= 0 || opts.signal?.aborted) return Promise.resolve(ready);
    return new Promise((resolve) => {
      let done = false;
      const finish = (events: NumberedEvent[]): void => {
        if (done) return;
        done = true;
        unpark();
        this.clock.clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(events);
      };
      const onAbort = (): void => finish([]);
      const unpark = sub.park({ since: opts.since, wake: () => finish(sub.after(opts.since, opts.limit)) });
      const timer = this.clock.setTimeout(() => finish([]), opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Polls parked right now, over all subscriptions (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const s of this.builtIn) n += s.waiting;
    for (const s of this.custom.values()) n += s.waiting;
    return n;
  }

  get lastGlobalId(): number {
    return this.globalId;
  }
}
