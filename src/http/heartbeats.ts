import type { Clock, Timer } from '../shared/clock.js';

/** Resolution of every heartbeat: whole seconds are all anyone asks for. */
const TICK_MS = 1000;

/**
 * A timer can run a few ms before Date.now() says its delay has passed (libuv measures from its
 * cached loop time; about 4% of 100 ms timers do). Without slack such a tick skips an entry due
 * "now", and a 1 s heartbeat comes after 2 s.
 */
const SLACK_MS = 20;

/** Called every `everyMs` (rounded up to the tick) until cancelled. */
export type Beat = () => void;

/**
 * One timer for all heartbeats (long-poll whitespace, stream keep-alive comments): ten thousand
 * parked polls with `heartbeat=` cost one timer between them, not one each.
 */
export class Heartbeats {
  private readonly entries = new Set<{ everyMs: number; dueMs: number; beat: Beat }>();
  private timer: Timer | undefined;

  constructor(private readonly clock: Clock) {}

  /** Starts beating; the returned function stops it. */
  every(everyMs: number, beat: Beat): () => void {
    const entry = { everyMs, dueMs: this.clock.nowMs() + everyMs, beat };
    this.entries.add(entry);
    if (this.timer === undefined) this.schedule();
    return () => {
      this.entries.delete(entry);
      if (this.entries.size === 0) this.stopTimer();
    };
  }

  get size(): number {
    return this.entries.size;
  }

  private schedule(): void {
    const t = this.clock.setTimeout(() => this.tick(), TICK_MS);
    (t as { unref?: () => unknown }).unref?.();
    this.timer = t;
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.clock.nowMs();
    for (const e of this.entries) {
      if (e.dueMs > now + SLACK_MS) continue;
      e.dueMs = now + e.everyMs;
      e.beat(); // may cancel itself (a write that fails); deleting during iteration is safe for a Set
    }
    if (this.entries.size > 0) this.schedule();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
