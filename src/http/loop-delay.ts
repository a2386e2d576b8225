/**
 * How late the event loop runs a timer, sampled every `intervalMs`: each sample is the time past
 * the interval, so an idle loop reads ~0, not the interval itself. prom-client's
 * nodejs_eventloop_lag_* gauges count the sampling interval in every value (10 ms on an idle
 * loop) and are reset by each scrape, so they cannot answer "p99 over the last ten minutes"; a
 * cumulative histogram fed from here can, from the difference of two scrapes.
 */
export function sampleLoopDelay(observe: (seconds: number) => void, intervalMs = 10): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    observe(Math.max(0, now - last - intervalMs) / 1000);
    last = now;
  }, intervalMs);
  // A metric must never be the thing that keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
