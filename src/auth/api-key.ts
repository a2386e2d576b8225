import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented key with the expected one in constant time. Both sides are hashed first so
 * that neither the content nor the length of the real key leaks through timing. An empty expected
 * key never matches.
 */
export function keyMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
