import type { LoggedEvent, NumberedEvent } from './types.js';
import type { EventMask } from './mask.js';

/** How many events one subscription keeps (Syncthing's EventSubBufferSize). */
export const BUFFER_SIZE = 1000;

type Waiter = { since: number; wake: () => void };

/**
 * One mask's numbered stream: a ring of the last BUFFER_SIZE events and the polls parked on it.
 * Reading never consumes, so any number of pollers read the same ring independently.
 * Ids in the ring are consecutive, so finding where `since` starts is arithmetic, not a search:
 * ten thousand pollers woken by one event each pay for the events they get, not for the ring.
 */
export class Subscription {
  private ring: NumberedEvent[] = [];
  private head = 0; // index of the oldest entry once the ring is full
  private waiters = new Set<Waiter>();
  lastId = 0;

  constructor(readonly mask: EventMask) {}

  push(event: LoggedEvent): void {
    const entry: NumberedEvent = { id: ++this.lastId, event };
    if (this.ring.length < BUFFER_SIZE) this.ring.push(entry);
    else {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % BUFFER_SIZE;
    }
    if (this.waiters.size === 0) return;
    // Wake in one pass; a waiter with a future `since` keeps waiting.
    for (const w of this.waiters) if (this.lastId > w.since) w.wake();
  }

  /** Buffered events with id > since, oldest first; `limit` > 0 keeps only the newest `limit`. */
  after(since: number, limit = 0): NumberedEvent[] {
    const n = this.ring.length;
    const oldestId = this.lastId - n + 1;
    let skip = Math.min(Math.max(since - oldestId + 1, 0), n);
    if (limit > 0) skip = Math.max(skip, n - limit);
    return this.slice(skip);
  }

  /** Buffered events whose globalID is above `globalId`, oldest first (resuming a stream). */
  afterGlobal(globalId: number): NumberedEvent[] {
    // globalIDs rise along the ring but skip, so this one is a binary search.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).event.globalID > globalId) hi = mid;
      else lo = mid + 1;
    }
    return this.slice(lo);
  }

  /** The oldest event still held, if any. */
  get oldest(): NumberedEvent | undefined {
    return this.ring.length > 0 ? this.at(0) : undefined;
  }

  /** True once events have fallen out of the ring. */
  get wrapped(): boolean {
    return this.lastId > this.ring.length;
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
    return this.ring[(this.head + i) % this.ring.length]!;
  }

  /** Entries from the `skip`-th oldest to the newest. */
  private slice(skip: number): NumberedEvent[] {
    const n = this.ring.length;
    if (skip >= n) return [];
    const start = this.head + skip;
    if (start >= n) return this.ring.slice(start - n, this.head);
    return this.head === 0 ? this.ring.slice(start) : this.ring.slice(start).concat(this.ring.slice(0, this.head));
  }
}
