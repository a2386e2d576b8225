/** A counting semaphore: at most `limit` holders at once, waiters served in arrival order. */
export class Semaphore {
  private holders = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    while (this.holders < this.limit && this.waiters.length) {
      this.holders++;
      this.waiters.shift()!();
    }
  }

  /**
   * Resolves with a release function once a slot is ours. If `signal` aborts while waiting, the
   * wait ends at once with the signal's reason and no slot is taken.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.holders < this.limit) this.holders++;
    else {
      // The releaser hands its slot over by calling the waiter.
      await new Promise<void>((resolve, reject) => {
        const waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal!.reason);
        };
        this.waiters.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.holders <= this.limit ? this.waiters.shift() : undefined;
      if (next) next();
      else this.holders--;
    };
  }
}
