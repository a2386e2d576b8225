import { randomToken } from '../shared/random.js';
import type { Clock } from '../shared/clock.js';

export interface TokenStoreOptions {
  clock: Clock;
  /** Most tokens kept; past this the one closest to expiry goes (Syncthing keeps 25). */
  max: number;
  /** Token length in characters. */
  length: number;
  /** Sliding lifetime in ms, re-read on every use; a negative value means tokens never expire. */
  lifetimeMs: () => number;
}

/**
 * Session and CSRF tokens: random strings with a sliding expiry, bounded in number so that a
 * client minting tokens in a loop cannot grow memory.
 */
export class TokenStore {
  private expiries = new Map<string, number>();

  constructor(private readonly opts: TokenStoreOptions) {}

  private expiryFromNow(): number {
    const life = this.opts.lifetimeMs();
    return life < 0 ? Number.POSITIVE_INFINITY : this.opts.clock.nowMs() + life;
  }

  create(): string {
    const token = randomToken(this.opts.length);
    this.expiries.set(token, this.expiryFromNow());
    while (this.expiries.size > this.opts.max) {
      let oldest: string | undefined;
      let when = Number.POSITIVE_INFINITY;
      for (const [t, e] of this.expiries) if (oldest === undefined || e < when) [oldest, when] = [t, e];
      this.expiries.delete(oldest!);
    }
    return token;
  }

  /** True when the token is known and unexpired; a valid check extends its lifetime. */
  check(token: string | undefined): boolean {
    if (!token) return false;
    const exp = this.expiries.get(token);
    if (exp === undefined) return false;
    if (exp <= this.opts.clock.nowMs()) {
      this.expiries.delete(token);
      return false;
    }
    this.expiries.set(token, this.expiryFromNow());
    return true;
  }

  remove(token: string): void {
    this.expiries.delete(token);
  }

  get size(): number {
    return this.expiries.size;
  }
}
