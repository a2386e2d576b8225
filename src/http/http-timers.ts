/**
 * Per-route request timers for GET /rest/debug/httpmetrics, in the shape Syncthing 1.x answers:
 * `{route: {count, sumMs, ratesPerS: [1m, 5m, 15m], percentilesMs: [p50, p95, p99]}}`.
 * Rates are exponentially weighted moving averages ticked every 5 s, as go-metrics does, but
 * ticked lazily on each update and read so no timer runs; percentiles come from the last
 * 1028 samples (go-metrics' reservoir size).
 */

const TICK_MS = 5000;
const RESERVOIR = 1028;
const WINDOWS_MIN = [1, 5, 15];

class Ewma {
  rate = 0;
  private started = false;
  constructor(private readonly alpha: number) {}
  tick(count: number): void {
    const instant = count / (TICK_MS / 1000);
    if (this.started) this.rate += this.alpha * (instant - this.rate);
    else (this.rate = instant), (this.started = true);
  }
}

class RouteTimer {
  count = 0;
  sumMs = 0;
  private readonly samples: number[] = [];
  private next = 0;
  private uncounted = 0;
  private readonly rates = WINDOWS_MIN.map((m) => new Ewma(1 - Math.exp(-TICK_MS / 1000 / 60 / m)));
  constructor(private lastTick: number) {}

  catchUp(now: number): void {
    const ticks = Math.floor((now - this.lastTick) / TICK_MS);
    if (ticks <= 0) return;
    // Past a few hundred quiet ticks every average is zero to the last digit anyway.
    for (let i = 0; i < Math.min(ticks, 500); i++) {
      for (const r of this.rates) r.tick(i === 0 ? this.uncounted : 0);
      this.uncounted = 0;
    }
    this.lastTick += ticks * TICK_MS;
  }

  record(ms: number): void {
    this.count++;
    this.sumMs += ms;
    this.uncounted++;
    if (this.samples.length < RESERVOIR) this.samples.push(ms);
    else this.samples[this.next++ % RESERVOIR] = ms;
  }

  snapshot(): { count: number; percentilesMs: number[]; ratesPerS: number[]; sumMs: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return { count: this.count, percentilesMs: [pct(0.5), pct(0.95), pct(0.99)], ratesPerS: this.rates.map((r) => r.rate), sumMs: this.sumMs };
  }
}

export class HttpTimers {
  private readonly timers = new Map<string, RouteTimer>();
  constructor(private readonly nowMs: () => number) {}

  record(route: string, ms: number): void {
    const now = this.nowMs();
    let t = this.timers.get(route);
    if (!t) this.timers.set(route, (t = new RouteTimer(now)));
    t.catchUp(now);
    t.record(ms);
  }

  /** Every route seen so far, sorted by name. */
  snapshot(): Record<string, ReturnType<RouteTimer['snapshot']>> {
    const now = this.nowMs();
    const out: Record<string, ReturnType<RouteTimer['snapshot']>> = {};
    for (const key of [...this.timers.keys()].sort()) {
      const t = this.timers.get(key)!;
      t.catchUp(now);
      out[key] = t.snapshot();
    }
    return out;
  }
}
