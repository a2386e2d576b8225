/**
 * Time source. Everything that reads the wall clock or sets a timer takes a Clock, so tests that
 * would otherwise sleep can drive time by hand.
 */
export interface Clock {
  /** Wall-clock time as nanoseconds since the Unix epoch (sub-millisecond part from the monotonic clock). */
  nowNs(): bigint;
  /** Wall-clock time in milliseconds since the Unix epoch. */
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer): void;
}

export type Timer = { unref?: () => unknown } | number | object;

const originNs = BigInt(Math.round(performance.timeOrigin * 1e6));

export const systemClock: Clock = {
  nowNs: () => originNs + BigInt(Math.round(performance.now() * 1e6)),
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout),
};
