import type { Throttle } from '../../bep/connection.js';

/**
 * A token bucket in KiB/s (Syncthing's maxSendKbps / maxRecvKbps are KiB/s despite the name);
 * 0 is no limit. A frame bigger than the bucket runs it into debt, and the next one waits for the
 * debt to be paid back, so the average rate holds whatever the frame sizes. The rate can change
 * at any time (a config edit).
 */
export class TokenBucket implements Throttle {
  /** Starts full, as golang.org/x/time/rate's limiter does: the first second's worth goes at once. */
  private tokens = Number.POSITIVE_INFINITY;
  private last = performance.now();
  private chain: Promise<void> = Promise.resolve();

  constructor(private kibPerSecond: () => number) {}

  limited(): boolean {
    return this.kibPerSecond() > 0;
  }

  private refill(rate: number): void {
    const now = performance.now();
    const cap = rate; // one second's worth of burst
    this.tokens = Math.min(cap, this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
  }

  take(bytes: number): Promise<void> {
    const run = this.chain.then(async () => {
      const kib = this.kibPerSecond();
      if (kib <= 0) return;
      const rate = kib * 1024;
      this.refill(rate);
      this.tokens -= bytes;
      if (this.tokens < 0) {
        const waitMs = (-this.tokens / rate) * 1000;
        await new Promise<void>((r) => setTimeout(r, waitMs));
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Several throttles in a row (the global limit and the device's own). */
export function both(...ts: (Throttle | undefined)[]): Throttle {
  const list = ts.filter((t): t is Throttle => t !== undefined);
  return {
    take: async (bytes) => void (await Promise.all(list.filter((t) => t.limited?.() ?? true).map((t) => t.take(bytes)))),
    limited: () => list.some((t) => t.limited?.() ?? true),
  };
}
