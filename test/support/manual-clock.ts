import type { Clock, Timer } from '../../src/shared/clock.js';

/** A clock that only moves when told to: timers fire, in order, as `advance` passes their time. */
export class ManualClock implements Clock {
  private ms = 1_700_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  nowMs(): number {
    return this.ms;
  }
  nowNs(): bigint {
    return BigInt(this.ms) * 1_000_000n;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.ms + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(t: Timer): void {
    this.timers.delete((t as { id: number }).id);
  }

  /** Moves time forward by `ms`, firing due timers one by one and letting their promise chains run. */
  async advance(ms: number): Promise<void> {
    const end = this.ms + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.ms = next[1].at;
      next[1].fn();
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
    this.ms = end;
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}
