import type { Clock } from '../shared/clock.js';
import { HttpError } from './http-error.js';

export interface LoginGuardOptions {
  clock: Clock;
  /** Password checks running at once (bcrypt is pure JavaScript here: each one is ~70 ms of CPU). */
  maxConcurrent?: number;
  /** Checks waiting for a turn; past this a login is refused at once. */
  maxWaiting?: number;
  /** Failures from one address before it must wait. */
  freeFailures?: number;
  /** The first wait; it doubles with every further failure, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Addresses remembered (least recently failed forgotten first). */
  maxAddresses?: number;
}

interface Record {
  failures: number;
  /** Not before this time (ms) may the address try again. */
  until: number;
}

/**
 * What stands between a password guesser and bcrypt: a few checks at a time (so forty parallel
 * guesses cannot starve everybody else of the event loop), a short queue, and per address a
 * back-off that doubles with each failure past the first few. Requests with an API key never
 * come here.
 */
export class LoginGuard {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly byAddress = new Map<string, Record>();
  private readonly o: Required<LoginGuardOptions>;

  constructor(opts: LoginGuardOptions) {
    this.o = { maxConcurrent: 2, maxWaiting: 32, freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000, maxAddresses: 10_000, ...opts };
  }

  /**
   * Runs `check` (a password comparison) for a login from `address` and records how it went.
   * Throws HttpError 429, without checking anything, while the address is backing off or when
   * too many checks wait already.
   */
  async run(address: string, check: () => Promise<boolean>): Promise<boolean> {
    const now = this.o.clock.nowMs();
    const rec = this.byAddress.get(address);
    if (rec && rec.until > now) throw tooMany(`too many failed logins from ${address}; try again in ${Math.ceil((rec.until - now) / 1000)} s`, rec.until - now);
    if (this.running >= this.o.maxConcurrent) {
      if (this.queue.length >= this.o.maxWaiting) throw tooMany('too many logins at once; try again shortly', 1000);
      await new Promise<void>((r) => this.queue.push(r));
    } else this.running++;
    let ok = false;
    try {
      ok = await check();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
    this.record(address, ok);
    return ok;
  }

  private record(address: string, ok: boolean): void {
    if (ok) return void this.byAddress.delete(address);
    const rec = this.byAddress.get(address) ?? { failures: 0, until: 0 };
    rec.failures++;
    const over = rec.failures - this.o.freeFailures;
    if (over >= 0) rec.until = this.o.clock.nowMs() + Math.min(this.o.baseDelayMs * 2 ** over, this.o.maxDelayMs);
    this.byAddress.delete(address);
    this.byAddress.set(address, rec);
    if (this.byAddress.size > this.o.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value as string);
  }
}

function tooMany(message: string, retryMs: number): HttpError {
  return new HttpError(429, message, { 'Retry-After': String(Math.max(1, Math.ceil(retryMs / 1000))) });
}
