import bcrypt from 'bcryptjs';

/**
 * GUI password hashing. The only importer of bcryptjs. Always async: bcryptjs is pure JavaScript
 * and its sync variants would stall every parked long-poll for the length of a hash.
 */

/** Syncthing hashes GUI passwords at cost 10. */
const COST = 10;

export function hashPassword(plain: string): Promise<string> {
  return bcrypt.hash(plain, COST);
}

export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  if (!isBcryptHash(hash)) return false;
  try {
    return await bcrypt.compare(plain, hash);
  } catch {
    return false;
  }
}

/** What Syncthing v2 stores as is instead of hashing again: $2a$/$2b$/$2y$, cost digits, then ≥ 50 characters. */
export function isBcryptHash(value: string): boolean {
  return /^\$2[aby]\$\d+\$.{50,}$/.test(value);
}
