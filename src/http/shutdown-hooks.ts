/**
 * What to do when the server closes (answer parked polls, end streams). A Set rather than
 * listeners on an AbortSignal: adding a listener to an EventTarget scans the ones already there,
 * which made parking ten thousand polls quadratic.
 */
export class ShutdownHooks {
  private readonly hooks = new Set<() => void>();
  private closed = false;

  /** Runs `fn` at shutdown (at once if already shut); the returned function forgets it. */
  add(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => {};
    }
    this.hooks.add(fn);
    return () => void this.hooks.delete(fn);
  }

  fire(): void {
    this.closed = true;
    const hooks = [...this.hooks];
    this.hooks.clear();
    for (const fn of hooks) fn();
  }
}
