/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input
 * order. File work that waits on the thread pool (lstat, rename) goes several times faster this
 * way than one await at a time, without queueing thousands of requests at once.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
