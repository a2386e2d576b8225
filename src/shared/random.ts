import { randomInt } from 'node:crypto';

/**
 * Syncthing's alphabet for every random token (API keys, session and CSRF tokens,
 * /rest/svc/random/string): 55 characters without the look-alikes 0 1 8 l B I O.
 */
export const TOKEN_ALPHABET = '2345679abcdefghijkmnopqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ';

/** A cryptographically random string of `length` characters from TOKEN_ALPHABET. */
export function randomToken(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return out;
}
