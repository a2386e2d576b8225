import type { LoggedEvent, NumberedEvent } from './types.js';
import type { EventMask } from './mask.js';

/** How many events one subscription keeps (Syncthing's EventSubBufferSize). */
export const BUFFER_SIZE = 1000;

type Waiter = { since: number; wake: () => void };

/**
 * One mask's numbered stream: a ring of the last BUFFER_SIZE events and the polls parked on it.
 * Reading never consumes, so any number of pollers read the same ring independently.
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
    // Wake in one pass; each waiter re-checks its own `since` (a future since keeps waiting).
    for (const w of this.waiters) if (this.lastId > w.since) w.wake();
  }

  /** Buffered events with id > since, oldest first; `limit` > 0 keeps only the newest `limit`. */
  after(since: number, limit = 0): NumberedEvent[] {
    const n = this.ring.length;
    const out: NumberedEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.ring[(this.head + i) % n]!;
      if (e.id > since) out.push(e);
    }
    return limit > 0 && out.length > limit ? out.slice(out.length - limit) : out;
  }

  park(w: Waiter): () => void {
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
