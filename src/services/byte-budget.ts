/** Bytes held, waiters served in order, each take at most the limit (a take of more waits for all of it). */
export class ByteBudget {
  private used = 0;
  private readonly waiters: { n: number; go: () => void }[] = [];

  constructor(private limit: () => number) {}

  async take(n: number): Promise<() => void> {
    const want = Math.min(n, this.limit());
    if (this.waiters.length > 0 || this.used + want > this.limit()) await new Promise<void>((go) => this.waiters.push({ n: want, go }));
    else this.used += want;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used -= want;
      this.wake();
    };
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.used > 0 && this.used + w.n > this.limit()) return;
      this.waiters.shift();
      this.used += w.n;
      w.go();
    }
  }

  get inUse(): number {
    return this.used;
  }
}
