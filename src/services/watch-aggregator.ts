import type { Clock, Timer } from '../shared/clock.js';
import { background } from '../shared/background.js';

export type ChangeType = 'nonremove' | 'remove';

/** Bit set: an entry that saw both kinds of change is "mixed". */
const NONREMOVE = 1;
const REMOVE = 2;
const MIXED = NONREMOVE | REMOVE;
const BIT: Record<ChangeType, number> = { nonremove: NONREMOVE, remove: REMOVE };

/** Syncthing's limits: tracked children of one non-root directory, and tracked paths in all. */
export const MAX_PER_DIR = 128;
export const MAX_TOTAL = 512;
/**
 * Fast path: a change in a folder quiet for FAST_QUIET_MS is scanned SETTLE_MS after it began, provided
 * it has been still for the last SETTLE_MS/2 and did not keep changing through the first half.
 */
export const SETTLE_MS = 100;
export const FAST_QUIET_MS = 1000;
/** More paths than this inside one settle window is a burst, and bursts take the normal route. */
export const FAST_MAX = 64;

export interface WatchTimes {
  delayMs: number;
  timeoutMs: number;
}

/** fsWatcherDelayS and fsWatcherTimeoutS as Syncthing reads them (0 = automatic timeout). */
export function watchTimes(delayS: number, timeoutS: number): WatchTimes {
  const delayMs = Math.max(10, delayS * 1000);
  let timeoutMs: number;
  if (timeoutS > 0) timeoutMs = Math.max(timeoutS * 1000, delayMs);
  else if (delayS < 10) timeoutMs = 6 * delayMs;
  else if (delayS < 60) timeoutMs = 60_000;
  else timeoutMs = delayMs;
  return { delayMs, timeoutMs };
}

interface Tracked {
  first: number;
  last: number;
  type: number;
}

class Dir {
  readonly entries = new Map<string, Tracked>();
  readonly dirs = new Map<string, Dir>();
  get size(): number {
    return this.entries.size + this.dirs.size;
  }
}

/** Calls `fn` for every tracked entry under `dir`, with its folder-relative path. */
function eachEntry(dir: Dir, prefix: string, fn: (rel: string, t: Tracked, owner: Dir, name: string) => void): void {
  for (const [name, sub] of dir.dirs) eachEntry(sub, prefix + name + '/', fn);
  for (const [name, t] of dir.entries) fn(prefix + name, t, dir, name);
}

/**
 * Turns a stream of changed paths into scan requests, as Syncthing's watch aggregator does: paths are
 * kept in a tree, a directory with too many changed children is scanned whole, too many paths in all
 * become a full scan, a path is scanned once it has been quiet for half the delay (removals wait for
 * the timeout while other changes remain), and a path that keeps changing is scanned at the timeout.
 *
 * One addition: a change that arrives after a quiet spell is scanned after a short settle time
 * instead of the full delay, so a single edit shows up at once; a burst still aggregates.
 *
 * `flush` receives the paths of one scan ([] = the whole folder) and is awaited: while the folder is
 * busy nothing else is sent, and the wait counts against the next delay.
 */
export class WatchAggregator {
  private root = new Dir();
  private total = 0;
  /** Set when everything collapsed into one full scan; further changes only refresh it. */
  private full?: Tracked;
  private timer?: Timer;
  private flushing = false;
  private stopped = false;
  private lastEventMs = Number.NEGATIVE_INFINITY;
  private fast?: { timer: Timer; paths: Map<string, Tracked> };
  private fastBusy = false;

  constructor(
    private readonly times: WatchTimes,
    private readonly clock: Clock,
    private readonly flush: (paths: string[]) => Promise<void>,
    private readonly fastPath = true,
    /** Where a flush that failed in a way flush() did not handle is reported. */
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** True while a full scan is pending: the caller need not look closely at changes (any path will do). */
  get saturated(): boolean {
    return this.full !== undefined;
  }

  /** Number of tracked entries (a pending full scan counts as one). */
  get size(): number {
    return this.total + (this.fast?.paths.size ?? 0);
  }

  add(rel: string, type: ChangeType, atMs = this.clock.nowMs()): void {
    if (this.stopped) return;
    const quiet = atMs - this.lastEventMs >= FAST_QUIET_MS;
    this.lastEventMs = atMs;
    if (rel === '.' && this.fast) this.spillFast();
    if (this.fastPath && !this.full && rel !== '.') {
      if (this.fast) {
        if (this.fast.paths.size < FAST_MAX || this.fast.paths.has(rel)) {
          const t = this.fast.paths.get(rel);
          if (t) (t.last = atMs), (t.type |= BIT[type]);
          else this.fast.paths.set(rel, { first: atMs, last: atMs, type: BIT[type] });
          return;
        }
        this.spillFast();
      } else if (quiet && !this.fastBusy) {
        const timer = this.clock.setTimeout(() => background(this.fireFast(), this.log, 'watch flush'), SETTLE_MS);
        this.fast = { timer, paths: new Map([[rel, { first: atMs, last: atMs, type: BIT[type] }]]) };
        return;
      }
    }
    this.track(rel, BIT[type], atMs, atMs);
    this.arm(this.times.delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.fast) this.clock.clearTimeout(this.fast.timer);
    this.timer = undefined;
    this.fast = undefined;
  }

  /** Moves the paths of a settle window that turned into a burst onto the normal route. */
  private spillFast(): void {
    const fast = this.fast!;
    this.clock.clearTimeout(fast.timer);
    this.fast = undefined;
    for (const [rel, t] of fast.paths) this.track(rel, t.type, t.first, t.last);
    this.arm(this.times.delayMs);
  }

  private async fireFast(): Promise<void> {
    const fast = this.fast;
    this.fast = undefined;
    if (!fast || this.stopped) return;
    const now = this.clock.nowMs();
    const ready: string[] = [];
    for (const [rel, t] of fast.paths) {
      // Still being written (changed lately, or changing all through the window): the normal route waits until it is quiet.
      if (now - t.last < SETTLE_MS / 2 || t.last - t.first >= SETTLE_MS / 2) this.track(rel, t.type, t.first, t.last);
      else ready.push(rel);
    }
    if (this.total > 0) this.arm(this.times.delayMs);
    if (ready.length === 0) return;
    this.fastBusy = true;
    try {
      await this.flush(ready.sort()).catch(() => undefined);
    } finally {
      this.fastBusy = false;
    }
  }

  private arm(ms: number): void {
    if (this.timer || this.flushing || this.stopped || this.total === 0) return;
    this.timer = this.clock.setTimeout(() => background(this.tick(), this.log, 'watch flush'), Math.max(1, ms));
  }

  /** Records a change of `rel` (type bits, first and last change times) in the tree. */
  private track(rel: string, type: number, first: number, last: number): void {
    // A pending full scan covers every path, but a folder that is still changing is left to settle first, as any busy path is.
    if (this.full) return merge(this.full, type, first, last);
    if (rel === '.' || rel === '' || this.total >= MAX_TOTAL) return this.collapse(type, first, last);
    const parts = rel.split('/');
    let dir = this.root;
    let limit = MAX_TOTAL;
    for (let i = 0; i < parts.length - 1; i++) {
      const name = parts[i]!;
      const covering = dir.entries.get(name);
      if (covering) return merge(covering, type, first, last);
      let next = dir.dirs.get(name);
      if (!next) {
        if (dir.size >= limit) return this.track(parts.slice(0, i).join('/') || '.', type, first, last);
        next = new Dir();
        dir.dirs.set(name, next);
      }
      dir = next;
      limit = MAX_PER_DIR;
    }
    const name = parts.at(-1)!;
    const existing = dir.entries.get(name);
    if (existing) return merge(existing, type, first, last);
    const below = dir.dirs.get(name);
    if (!below && dir.size >= limit) return this.track(parts.slice(0, -1).join('/') || '.', type, first, last);
    const entry: Tracked = { first, last, type };
    if (below) {
      // Tracking a directory covers everything tracked beneath it.
      eachEntry(below, '', (_rel, t) => {
        merge(entry, t.type, t.first, t.last);
        this.total--;
      });
      dir.dirs.delete(name);
    }
    dir.entries.set(name, entry);
    this.total++;
  }

  private collapse(type: number, first: number, last: number): void {
    const all: Tracked = { first, last, type };
    eachEntry(this.root, '', (_rel, t) => merge(all, t.type, t.first, t.last));
    this.root = new Dir();
    this.full = all;
    this.total = 1;
  }

  private isDue(t: Tracked, now: number, holdRemoves: boolean): boolean {
    if ((!holdRemoves || t.type === NONREMOVE) && 2 * (now - t.last) > this.times.delayMs) return true;
    return now - t.first >= this.times.timeoutMs;
  }

  /** Takes every due entry out of the tree, grouped by type. */
  private popDue(now: number, holdRemoves: boolean, into: Map<number, string[]>): void {
    const take = (rel: string, t: Tracked) => {
      const list = into.get(t.type) ?? [];
      list.push(rel);
      into.set(t.type, list);
      this.total--;
    };
    if (this.full) {
      if (this.isDue(this.full, now, holdRemoves)) {
        take('.', this.full);
        this.full = undefined;
      }
      return;
    }
    const prune = (dir: Dir, prefix: string) => {
      for (const [name, sub] of dir.dirs) {
        prune(sub, prefix + name + '/');
        if (sub.size === 0) dir.dirs.delete(name);
      }
      for (const [name, t] of dir.entries) {
        if (!this.isDue(t, now, holdRemoves)) continue;
        dir.entries.delete(name);
        take(prefix + name, t);
      }
    };
    prune(this.root, '');
  }

  /** True when every pending entry involves a removal (remove or mixed), which is what holding back is for. */
  private onlyRemovesLeft(): boolean {
    if (this.full) return this.full.type !== NONREMOVE;
    let only = this.total > 0;
    eachEntry(this.root, '', (_rel, t) => {
      if (t.type === NONREMOVE) only = false;
    });
    return only;
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.nowMs();
    const due = new Map<number, string[]>();
    this.popDue(now, true, due);
    // With nothing else waiting there is no reason to hold removals back any longer.
    if (this.times.delayMs !== this.times.timeoutMs && this.onlyRemovesLeft()) this.popDue(now, false, due);
    this.flushing = true;
    try {
      for (const type of [NONREMOVE, MIXED, REMOVE]) {
        const paths = due.get(type);
        if (!paths || this.stopped) continue;
        await this.flush(paths.includes('.') ? [] : paths.sort()).catch(() => undefined);
      }
    } finally {
      this.flushing = false;
    }
    this.arm(this.times.delayMs - (this.clock.nowMs() - now));
  }
}

function merge(t: Tracked, type: number, first: number, last: number): void {
  t.type |= type;
  if (first < t.first) t.first = first;
  if (last > t.last) t.last = last;
}
