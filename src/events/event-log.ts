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
  /** Most bytes of event data held by all rings together (default 32 MiB); the oldest events go first. */
  maxBytes?: number;
}

/** Default byte budget of the whole log: with 1 MiB folder labels, 300 config edits once held 475 MiB. */
export const MAX_EVENT_BYTES = 32 << 20;

/**
 * About how many bytes a value's JSON takes (strings by length, numbers as 8): cheap, bigint-safe,
 * and close enough to bound memory by.
 */
export function approxBytes(value: unknown): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') n += v.length + 2;
    else if (v === null || typeof v !== 'object') n += 8;
    else if (Array.isArray(v)) {
      n += 2 + v.length;
      for (const x of v) stack.push(x);
    } else if (ArrayBuffer.isView(v)) n += v.byteLength * 2;
    else {
      for (const [k, x] of Object.entries(v)) {
        n += k.length + 4;
        stack.push(x);
      }
    }
  }
  return n;
}

/**
 * The process's event log. Every event gets a global id; each mask in use has its own
 * Subscription with its own consecutive ids. The default and disk subscriptions exist from
 * construction, so the Starting event is id 1 in both; other masks start empty when first asked for.
 */
export type EventListener = (event: LoggedEvent) => void;

export class EventLog implements EventSink {
  private globalId = 0;
  private readonly builtIn: Subscription[];
  private readonly custom = new Map<EventMask, Subscription>();
  /** Live listeners (event streams) grouped by mask, so one event is matched once per mask, not per listener. */
  private readonly listeners = new Map<EventMask, Set<EventListener>>();
  private readonly maxMasks: number;
  private readonly maxBytes: number;
  private readonly clock: Clock;
  /** How many rings hold each event; an event's bytes count while at least one does. */
  private readonly holders = new Map<LoggedEvent, number>();
  private held = 0;

  constructor(opts: EventLogOptions) {
    this.clock = opts.clock;
    this.maxMasks = opts.maxMasks ?? 64;
    this.maxBytes = opts.maxBytes ?? MAX_EVENT_BYTES;
    this.builtIn = [new Subscription(DEFAULT_EVENTS), new Subscription(DISK_EVENTS)];
  }

  append(type: EventType, data: unknown): LoggedEvent {
    const event: LoggedEvent = { globalID: ++this.globalId, timeNs: this.clock.nowNs(), type, data, bytes: approxBytes(data) + 64 };
    const bit = maskOf(type);
    let holders = 0;
    for (const s of this.rings()) {
      if (!(s.mask & bit)) continue;
      holders++;
      const dropped = s.push(event);
      if (dropped) this.release(dropped);
    }
    if (holders > 0) {
      this.holders.set(event, holders);
      this.held += event.bytes;
    }
    for (const [mask, group] of this.listeners) if (mask & bit) for (const fn of group) fn(event);
    this.trim(event);
    return event;
  }

  /** Bytes of event data the rings hold now (at most maxBytes, or the newest event alone when it is bigger). */
  get heldBytes(): number {
    return this.held;
  }

  private *rings(): Iterable<Subscription> {
    yield* this.builtIn;
    yield* this.custom.values();
  }

  private release(e: LoggedEvent): void {
    const n = (this.holders.get(e) ?? 1) - 1;
    if (n > 0) return void this.holders.set(e, n);
    this.holders.delete(e);
    this.held -= e.bytes;
  }

  /**
   * Drops the oldest held events until the log is within its byte budget. The oldest event held
   * anywhere is at the head of every ring that holds it, so dropping it is popping those heads.
   * The newest event always stays: it was just handed to the waiting pollers and streams.
   */
  private trim(newest: LoggedEvent): void {
    while (this.held > this.maxBytes) {
      let oldest: LoggedEvent | undefined;
      for (const s of this.rings()) {
        const h = s.oldest?.event;
        if (h && (!oldest || h.globalID < oldest.globalID)) oldest = h;
      }
      if (!oldest || oldest === newest) return;
      for (const s of this.rings()) if (s.oldest?.event === oldest) this.release(s.dropOldest()!);
    }
  }

  /**
   * Calls `fn` for every later event in `mask`. Listeners keep no ring of their own (so they do not
   * count against the mask bound); `replay` gives them what happened before.
   */
  listen(mask: EventMask, fn: EventListener): () => void {
    let group = this.listeners.get(mask);
    if (!group) this.listeners.set(mask, (group = new Set()));
    group.add(fn);
    return () => {
      group.delete(fn);
      if (group.size === 0 && this.listeners.get(mask) === group) this.listeners.delete(mask);
    };
  }

  /**
   * Buffered events in `mask` with a globalID above `afterGlobalId`, oldest first, read from the two
   * built-in rings (together they see every type). `complete` is false when one of those rings has
   * already dropped events that might have been wanted.
   */
  replay(mask: EventMask, afterGlobalId: number): { events: LoggedEvent[]; complete: boolean } {
    const parts: LoggedEvent[][] = [];
    let complete = true;
    const wanted = (e: LoggedEvent) => (maskOf(e.type) & mask) !== 0n;
    for (const s of this.builtIn) {
      if ((s.mask & mask) === 0n) continue;
      const oldest = s.oldest;
      if (s.wrapped && oldest && oldest.event.globalID > afterGlobalId + 1) complete = false;
      parts.push(s.afterGlobal(afterGlobalId).map((n) => n.event).filter(wanted));
    }
    const events = parts.length === 1 ? parts[0]! : mergeByGlobalId(parts);
    return { events, complete };
  }

  /** Custom masks with a subscription right now (bounded by maxMasks). */
  get masks(): number {
    return this.custom.size;
  }

  /** Live listeners right now (event streams). */
  get listening(): number {
    let n = 0;
    for (const g of this.listeners.values()) n += g.size;
    return n;
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
      const gone = this.custom.get(oldest)!;
      this.custom.delete(oldest);
      for (let e = gone.dropOldest(); e; e = gone.dropOldest()) this.release(e);
    }
    return s;
  }

  /**
   * Syncthing's long poll: events after `since` at once if there are any; otherwise wait until the
   * subscription's latest id passes `since`, the timeout ends (→ []), or the signal aborts (→ []).
   */
  poll(mask: EventMask, opts: PollOptions): Promise<NumberedEvent[]> {
    if (opts.signal?.aborted) return Promise.resolve([]);
    const p = this.wait(mask, opts);
    const signal = opts.signal;
    if (!signal) return p.events;
    const onAbort = (): void => p.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    return p.events.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /**
   * The same poll with a plain cancel function instead of an AbortSignal: ten thousand parked
   * polls should not cost ten thousand signals.
   */
  wait(mask: EventMask, opts: Omit<PollOptions, 'signal'>): { events: Promise<NumberedEvent[]>; cancel(): void } {
    const sub = this.subscription(mask);
    const ready = sub.after(opts.since, opts.limit);
    if (ready.length > 0 || opts.timeoutMs <= 0) return { events: Promise.resolve(ready), cancel: () => {} };
    let finish!: (events: NumberedEvent[]) => void;
    const events = new Promise<NumberedEvent[]>((resolve) => {
      let done = false;
      finish = (evs) => {
        if (done) return;
        done = true;
        unpark();
        this.clock.clearTimeout(timer);
        resolve(evs);
      };
      const unpark = sub.park({ since: opts.since, wake: () => finish(sub.after(opts.since, opts.limit)) });
      const timer = this.clock.setTimeout(() => finish([]), opts.timeoutMs);
    });
    return { events, cancel: () => finish([]) };
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

function mergeByGlobalId(parts: LoggedEvent[][]): LoggedEvent[] {
  return parts.flat().sort((a, b) => a.globalID - b.globalID);
}
