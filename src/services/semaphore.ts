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

  /** Resolves with a release function once a slot is ours. */
  async acquire(): Promise<() => void> {
    if (this.holders < this.limit) this.holders++;
    else await new Promise<void>((r) => this.waiters.push(r)); // the releaser hands its slot over
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
