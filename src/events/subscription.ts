import type { LoggedEvent, NumberedEvent } from './types.js';
import type { EventMask } from './mask.js';

/** How many events one subscription keeps (Syncthing's EventSubBufferSize). */
export const BUFFER_SIZE = 1000;

type Waiter = { since: number; wake: () => void };

/**
 * One mask's numbered stream: a ring of the last BUFFER_SIZE events (fewer when the log trims it
 * to stay within its byte budget) and the polls parked on it.
 * Reading never consumes, so any number of pollers read the same ring independently.
 * Ids in the ring are consecutive, so finding where `since` starts is arithmetic, not a search:
 * ten thousand pollers woken by one event each pay for the events they get, not for the ring.
 */
export class Subscription {
  private readonly buf: (NumberedEvent | undefined)[] = new Array<NumberedEvent | undefined>(BUFFER_SIZE);
  private head = 0; // index of the oldest entry
  private size = 0;
  private waiters = new Set<Waiter>();
  lastId = 0;

  constructor(readonly mask: EventMask) {}

  /** Adds an event; returns the one that fell out of a full ring, if any. */
  push(event: LoggedEvent): LoggedEvent | undefined {
    const entry: NumberedEvent = { id: ++this.lastId, event };
    let dropped: LoggedEvent | undefined;
    if (this.size === BUFFER_SIZE) dropped = this.dropOldest();
    this.buf[(this.head + this.size) % BUFFER_SIZE] = entry;
    this.size++;
    if (this.waiters.size > 0) {
      // Wake in one pass; a waiter with a future `since` keeps waiting.
      for (const w of this.waiters) if (this.lastId > w.since) w.wake();
    }
    return dropped;
  }

  /** Removes the oldest event (the log does, to keep its bytes bounded); ids stay as they were. */
  dropOldest(): LoggedEvent | undefined {
    if (this.size === 0) return undefined;
    const e = this.buf[this.head]!.event;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % BUFFER_SIZE;
    this.size--;
    return e;
  }

  /** Buffered events with id > since, oldest first; `limit` > 0 keeps only the newest `limit`. */
  after(since: number, limit = 0): NumberedEvent[] {
    const n = this.size;
    const oldestId = this.lastId - n + 1;
    let skip = Math.min(Math.max(since - oldestId + 1, 0), n);
    if (limit > 0) skip = Math.max(skip, n - limit);
    return this.slice(skip);
  }

  /** Buffered events whose globalID is above `globalId`, oldest first (resuming a stream). */
  afterGlobal(globalId: number): NumberedEvent[] {
    // globalIDs rise along the ring but skip, so this one is a binary search.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).event.globalID > globalId) hi = mid;
      else lo = mid + 1;
    }
    return this.slice(lo);
  }

  /** The oldest event still held, if any. */
  get oldest(): NumberedEvent | undefined {
    return this.size > 0 ? this.at(0) : undefined;
  }

  /** Events held now. */
  get length(): number {
    return this.size;
  }

  /** True once events have fallen out of the ring. */
  get wrapped(): boolean {
    return this.lastId > this.size;
  }

  park(w: Waiter): () => void {
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** The i-th oldest entry. */
  private at(i: number): NumberedEvent {
    return this.buf[(this.head + i) % BUFFER_SIZE]!;
  }

  /** Entries from the `skip`-th oldest to the newest. */
  private slice(skip: number): NumberedEvent[] {
    const out: NumberedEvent[] = [];
    for (let i = skip; i < this.size; i++) out.push(this.at(i));
    return out;
  }
}
