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

/** Tokens kept after eviction runs out of anonymous ones: used by a signed-in client this recently, a token is never evicted. */
const RECENT_MS = 10 * 60_000;

interface Entry {
  expiry: number;
  /** Issued to a client that was not signed in (a login page's CSRF cookie). */
  anonymous: boolean;
  lastUsedMs: number;
}

/**
 * Session and CSRF tokens: random strings with a sliding expiry, bounded in number so that a
 * client minting tokens in a loop cannot grow memory. When the bound is reached, tokens handed to
 * anonymous clients go first; a token a signed-in client used in the last ten minutes is never
 * given up for an anonymous one (the anonymous token is then not kept, which costs its client
 * nothing: it can reach nothing that needs one before it signs in).
 */
export class TokenStore {
  private entries = new Map<string, Entry>();

  constructor(private readonly opts: TokenStoreOptions) {}

  private expiryFromNow(): number {
    const life = this.opts.lifetimeMs();
    return life < 0 ? Number.POSITIVE_INFINITY : this.opts.clock.nowMs() + life;
  }

  /** A new token; `anonymous` for one handed to a client that is not signed in. */
  create(o: { anonymous?: boolean } = {}): string {
    const token = randomToken(this.opts.length);
    const now = this.opts.clock.nowMs();
    const anonymous = o.anonymous === true;
    while (this.entries.size >= this.opts.max) {
      const victim = this.victim(anonymous, now);
      if (victim === undefined) return token; // not kept: see the class comment
      this.entries.delete(victim);
    }
    this.entries.set(token, { expiry: this.expiryFromNow(), anonymous, lastUsedMs: now });
    return token;
  }

  /** Which token makes room: the anonymous one closest to expiry, else (for a signed-in client) any closest to expiry. */
  private victim(forAnonymous: boolean, now: number): string | undefined {
    let best: string | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    let bestExpiry = Number.POSITIVE_INFINITY;
    for (const [t, e] of this.entries) {
      // 0: anonymous; 1: signed in but idle; 2: signed in and recently used.
      const rank = e.anonymous ? 0 : now - e.lastUsedMs > RECENT_MS ? 1 : 2;
      if (forAnonymous && rank > 0) continue;
      if (rank < bestRank || (rank === bestRank && e.expiry < bestExpiry)) [best, bestRank, bestExpiry] = [t, rank, e.expiry];
    }
    return best;
  }

  /** True when the token is known and unexpired; a valid check extends its lifetime. */
  check(token: string | undefined): boolean {
    if (!token) return false;
    const e = this.entries.get(token);
    if (e === undefined) return false;
    const now = this.opts.clock.nowMs();
    if (e.expiry <= now) {
      this.entries.delete(token);
      return false;
    }
    e.expiry = this.expiryFromNow();
    e.lastUsedMs = now;
    return true;
  }

  /** The token now belongs to a signed-in client (its page logged in). */
  promote(token: string): void {
    const e = this.entries.get(token);
    if (e) e.anonymous = false;
  }

  remove(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
