/**
 * Syncthing's block size table (spec index §2.4): the smallest power of two from 128 KiB to
 * 16 MiB that keeps a file under 2000 blocks; 16 MiB beyond that.
 */
const MIN = 128 << 10;
const MAX = 16 << 20;

export function blockSizeFor(size: number): number {
  for (let b = MIN; b < MAX; b *= 2) if (size < 2000 * b) return b;
  return MAX;
}

/** On a rescan the old block size is kept while the new one is within a factor of two (hysteresis). */
export function blockSizeWithHysteresis(size: number, previous: number | undefined): number {
  const want = blockSizeFor(size);
  if (previous && previous >= MIN && want <= previous * 2 && want * 2 >= previous) return previous;
  return want;
}
