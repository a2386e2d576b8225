import fs from 'node:fs/promises';
import path from 'node:path';
import type { EventSink } from '../events/types.js';
import type { LoadedIgnores } from '../scanner/ignore-file.js';
import { isInternal, isTemporary } from '../scanner/names.js';
import { watchErrorText, watchFolder, type ChangeKind, type Watch } from '../scanner/watcher.js';
import type { Clock, Timer } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { background } from '../shared/background.js';
import { WatchAggregator, watchTimes } from './watch-aggregator.js';

/** Unclassified changes being looked at at once; more than this is an overflow and becomes a full scan, as Syncthing's 500-event queue does. */
const MAX_PENDING = 500;
/** After a failure the watch is tried again after 1 minute, doubling up to an hour (Syncthing's schedule). */
const RETRY_FIRST_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;

export interface FolderWatchDeps {
  folder: { id: string; fsWatcherDelayS: number; fsWatcherTimeoutS: number };
  root: string;
  clock: Clock;
  log: Logger;
  events: EventSink;
  ignores(): LoadedIgnores | undefined;
  /** Scans exactly these paths ([] = the whole folder); resolves when done. */
  scan(subs: string[]): Promise<void>;
  /** The watch error changed (the folder summary shows it). */
  changed(): void;
}

/**
 * The watch of one folder: chokidar events, filtered and classified, fed to the aggregator, whose
 * scan requests go to the folder. A failed watch is reported (FolderWatchStateChanged, watchError),
 * answered with a full scan, and retried later.
 */
export class FolderWatch {
  error = '';
  /** Changes seen since start, by what became of them (for /metrics, and for tests to wait on). */
  readonly counts = { ignored: 0, queued: 0 };
  private watch?: Watch;
  private aggregator?: WatchAggregator;
  private generation = 0;
  private pending = 0;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer?: Timer;

  constructor(private readonly d: FolderWatchDeps) {}

  get active(): boolean {
    return this.aggregator !== undefined;
  }

  /** True while watching has failed and a retry is scheduled: the folder then rescans more often. */
  get failed(): boolean {
    return this.error !== '';
  }

  /** Starts watching unless already watching or waiting to retry. */
  start(): void {
    if (this.active || this.retryTimer) return;
    const gen = ++this.generation;
    const times = watchTimes(this.d.folder.fsWatcherDelayS, this.d.folder.fsWatcherTimeoutS);
    this.aggregator = new WatchAggregator(times, this.d.clock, (subs) => this.d.scan(subs), true, (m) => this.d.log.warn(`folder ${this.d.folder.id}: ${m}`));
    const matcher = () => this.d.ignores()?.matcher;
    this.watch = watchFolder(
      this.d.root,
      { skipDir: (rel) => matcher()?.match(rel).canSkipDir ?? false },
      { change: (rel, kind) => gen === this.generation && this.onChange(rel, kind), error: (err) => gen === this.generation && this.fail(err) },
    );
    const ready = this.watch.ready.then(() => {
      if (gen !== this.generation) return;
      this.retryMs = RETRY_FIRST_MS;
      this.setError('');
    });
    // A watch that fails to start reports through its error callback; this only clears the error.
    background(ready, (m) => this.d.log.debug(`folder ${this.d.folder.id}: ${m}`), 'starting the watch');
  }

  /** Stops watching; a scheduled retry is cancelled too. */
  async stop(): Promise<void> {
    this.generation++;
    this.aggregator?.stop();
    this.aggregator = undefined;
    if (this.retryTimer) this.d.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const watch = this.watch;
    this.watch = undefined;
    await watch?.close().catch(() => undefined);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  private onChange(rel: string, kind: ChangeKind): void {
    const agg = this.aggregator;
    if (!agg) return;
    const at = this.d.clock.nowMs();
    if (agg.saturated) return agg.add('.', 'nonremove', at);
    const ignores = this.d.ignores();
    if (rel !== '.') {
      // An edited .stignore (or a file it includes) changes what the folder holds: scan it all.
      if (rel === '.stignore' || ignores?.files.has(path.join(this.d.root, rel))) return agg.add('.', 'nonremove', at);
      if (isInternal(rel) || isTemporary(rel.slice(rel.lastIndexOf('/') + 1)) || ignores?.matcher.match(rel).ignored) {
        this.counts.ignored++;
        return;
      }
    }
    this.counts.queued++;
    if (kind !== 'unknown') return agg.add(rel, kind, at);
    if (this.pending >= MAX_PENDING) return agg.add('.', 'nonremove', at);
    this.pending++;
    // The kernel says only "renamed": whether the path is still there tells a removal from a creation.
    fs.lstat(path.join(this.d.root, rel)).then(
      () => agg.add(rel, 'nonremove', at),
      () => agg.add(rel, 'remove', at),
    ).finally(() => this.pending--);
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (!this.active) return;
    const text = watchErrorText(err);
    this.d.log.warn(`folder ${this.d.folder.id}: ${text}`);
    const restart = this.stop().then(() => {
      this.setError(text);
      this.retryTimer = this.d.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.start();
      }, this.retryMs);
      (this.retryTimer as { unref?: () => void }).unref?.();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      // Whatever changed while the watch was failing must still be found.
      background(this.d.scan([]), (m) => this.d.log.debug(`folder ${this.d.folder.id}: ${m}`), 'scan after a failed watch');
    });
    background(restart, (m) => this.d.log.warn(`folder ${this.d.folder.id}: ${m}`), 'stopping a failed watch');
  }

  private setError(text: string): void {
    if (text === this.error) return;
    const data: Record<string, unknown> = { folder: this.d.folder.id };
    if (this.error) data.from = this.error;
    if (text) data.to = text;
    this.error = text;
    this.d.events.append('FolderWatchStateChanged', data);
    this.d.changed();
  }
}
