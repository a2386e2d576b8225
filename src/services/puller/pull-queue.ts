/** One file waiting to be pulled, with what the pull orders sort by. */
export interface QueuedFile {
  name: string;
  size: number;
  modifiedNs: bigint;
}

/**
 * The files of one pull (1.19.2's jobQueue): put in the folder's `order` once filled, popped from
 * the front, with names brought to the front on request (POST /rest/db/prio); what is popped is
 * in progress until done. Bounded by the folder's need, which the index already holds.
 */
export class PullQueue {
  private queued: QueuedFile[] = [];
  private readonly inProgress = new Set<string>();

  push(f: QueuedFile): void {
    this.queued.push(f);
  }

  /** Orders what is queued: random (the default), alphabetic, smallestFirst, largestFirst, oldestFirst, newestFirst. */
  order(order: string): void {
    const q = this.queued;
    switch (order) {
      case 'alphabetic':
        q.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        break;
      case 'smallestFirst':
        q.sort((a, b) => a.size - b.size);
        break;
      case 'largestFirst':
        q.sort((a, b) => b.size - a.size);
        break;
      case 'oldestFirst':
        q.sort((a, b) => (a.modifiedNs < b.modifiedNs ? -1 : a.modifiedNs > b.modifiedNs ? 1 : 0));
        break;
      case 'newestFirst':
        q.sort((a, b) => (a.modifiedNs > b.modifiedNs ? -1 : a.modifiedNs < b.modifiedNs ? 1 : 0));
        break;
      default:
        for (let i = q.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [q[i], q[j]] = [q[j]!, q[i]!];
        }
    }
  }

  pop(): QueuedFile | undefined {
    const f = this.queued.shift();
    if (f) this.inProgress.add(f.name);
    return f;
  }

  done(name: string): void {
    this.inProgress.delete(name);
  }

  /** Moves a queued name to the front; false when it is not queued. */
  bringToFront(name: string): boolean {
    const i = this.queued.findIndex((f) => f.name === name);
    if (i < 0) return false;
    const [f] = this.queued.splice(i, 1);
    this.queued.unshift(f!);
    return true;
  }

  /** The names in progress and the queued ones (a page of them), as /rest/db/need splits them. */
  jobs(offset: number, limit: number): { progress: string[]; queued: string[] } {
    return { progress: [...this.inProgress], queued: this.queued.slice(offset, offset + limit).map((f) => f.name) };
  }

  get size(): number {
    return this.queued.length + this.inProgress.size;
  }

  clear(): void {
    this.queued = [];
    this.inProgress.clear();
  }
}
