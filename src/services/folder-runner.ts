import fs from 'node:fs/promises';
import path from 'node:path';
import type { FolderConfiguration } from '../config/types.js';
import type { EventSink } from '../events/types.js';
import type { IndexStore } from '../index/index-store.js';
import { scanFolder, type ScanError, type ScanProgress } from '../scanner/scan.js';
import { ignoresChanged, loadIgnores, type LoadedIgnores } from '../scanner/ignore-file.js';
import type { Pattern } from '../scanner/ignore-pattern.js';
import type { ScanPool } from '../scanner/worker-pool.js';
import type { Clock, Timer } from '../shared/clock.js';
import { AppError, messageOf } from '../shared/errors.js';
import { Flag } from '../shared/file-info.js';
import type { Logger } from '../shared/logger.js';
import { expandTilde } from '../shared/paths.js';
import { releaseMemory } from '../shared/memory.js';
import { emitBatchEvents } from './folder-events.js';
import { FolderWatch } from './folder-watch.js';
import { revertReceiveOnly } from './receive-only-revert.js';
import { overrideSendOnly } from './send-only-override.js';
import { IgnoreMatcher } from '../scanner/ignore-pattern.js';
import { createVersioner } from '../versioner/create.js';
import type { Versioner } from '../versioner/versioner.js';
import type { FileInfo } from '../shared/file-info.js';
import type { Semaphore } from './semaphore.js';

export type FolderState = 'idle' | 'scan-waiting' | 'scanning' | 'clean-waiting' | 'cleaning' | 'error';

export const MARKER_MISSING = 'folder marker missing (this indicates potential data loss, search docs/forum to get information about how to proceed)';

export interface RunnerDeps {
  index: IndexStore;
  pool: ScanPool;
  events: EventSink;
  clock: Clock;
  log: Logger;
  shortId: string;
  limiter: Semaphore;
  keepTemporariesH: () => number;
  /** Called whenever the folder's summary may have changed. */
  dirty(folder: string): void;
  /** Called after each scan with the bytes it hashed (for the metrics). */
  hashed(bytes: number): void;
}

/** While the folder is in error its health is checked again after 1 s, doubling up to a minute. */
const HEALTH_RETRY_FIRST_MS = 1000;
const HEALTH_RETRY_MAX_MS = 60_000;
/** Rescan interval while the watch has failed: changes must still be found within a minute. */
const WATCHLESS_RESCAN_S = 60;

/**
 * One configured, unpaused folder: its state machine, its scans (one at a time, later requests
 * queued behind the running one), its watch, its periodic rescans and the events they produce.
 */
export class FolderRunner {
  state: FolderState = 'idle';
  stateChangedMs: number;
  error = '';
  scanErrors: ScanError[] = [];
  readonly progress: ScanProgress = { toHash: 0, hashed: 0, walkDone: false };
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: Timer;
  private progressTimer?: Timer;
  private stopped = false;
  private readonly abort = new AbortController();
  private firstStateChange = true;
  private ignores?: LoadedIgnores;
  private healthRetryMs = HEALTH_RETRY_FIRST_MS;
  private readonly watch?: FolderWatch;
  /** Undefined when versioning is off (or its type does not exist: then `versionerError` says so). */
  readonly versioner?: Versioner;
  private versionerError = '';
  private cleanupTimer?: Timer;

  constructor(
    readonly cfg: Readonly<FolderConfiguration>,
    private readonly d: RunnerDeps,
  ) {
    this.stateChangedMs = Math.floor(d.clock.nowMs() / 1000) * 1000;
    try {
      this.versioner = createVersioner(cfg.versioning, { root: this.root, nowMs: () => d.clock.nowMs(), log: (m) => d.log.info(`folder ${cfg.id}: ${m}`) });
    } catch (err) {
      this.versionerError = `creating versioner: ${messageOf(err)}`;
    }
    if (cfg.fsWatcherEnabled) {
      this.watch = new FolderWatch({
        folder: cfg,
        root: this.root,
        clock: d.clock,
        log: d.log,
        events: d.events,
        ignores: () => this.currentIgnores(),
        scan: (subs) => this.scan(subs),
        changed: () => d.dirty(cfg.id),
      });
    }
  }

  /** Why watching failed ('' when it did not, or is off). */
  get watchError(): string {
    return this.watch?.error ?? '';
  }

  get root(): string {
    return expandTilde(this.cfg.path);
  }

  /** Starts the schedule: a first full scan at once (the watch starts once the folder is healthy), then periodic rescans. */
  start(): void {
    void this.scan([]).catch(() => undefined);
    this.scheduleCleanup();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    if (this.progressTimer) this.d.clock.clearTimeout(this.progressTimer);
    if (this.cleanupTimer) this.d.clock.clearTimeout(this.cleanupTimer);
    await this.watch?.stop();
    await this.queue.catch(() => undefined);
  }

  /** Delays the next periodic scan to `seconds` from now (POST /rest/db/scan?next=). */
  scheduleNext(seconds: number): void {
    this.setTimer(seconds * 1000);
  }

  /** The next periodic scan: rescanIntervalS (a minute at most while the watch is failing), with Syncthing's ±25 % jitter. */
  private schedulePeriodic(): void {
    let s = this.cfg.rescanIntervalS;
    if (this.watch?.failed) s = s > 0 ? Math.min(s, WATCHLESS_RESCAN_S) : WATCHLESS_RESCAN_S;
    if (s <= 0) {
      if (this.timer) this.d.clock.clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    this.setTimer(s * 1000 * (0.75 + Math.random() * 0.5));
  }

  /**
   * In error: nothing to watch in a folder that is not there (or not healthy), so look again soon,
   * then less and less often; only a completed scan starts the delay over.
   */
  private async retryLater(): Promise<void> {
    await this.watch?.stop();
    this.setTimer(this.healthRetryMs);
    this.healthRetryMs = Math.min(this.healthRetryMs * 2, HEALTH_RETRY_MAX_MS);
  }

  private setTimer(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = this.d.clock.setTimeout(() => void this.scan([]).catch(() => undefined), ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Queues a scan of `subs` ([] = everything); resolves when it has run, rejects with its error.
   * `signal` stops it early (what is committed stays; the next scan finishes the job).
   */
  scan(subs: string[], signal?: AbortSignal): Promise<void> {
    return this.enqueue(() => this.runScan(subs, signal));
  }

  /** Runs `job` after everything queued before it: scans, reverts, overrides and cleanups never overlap. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The versioner cleanup every cleanupIntervalS (0 = never), in states clean-waiting → cleaning. */
  private scheduleCleanup(): void {
    const s = this.cfg.versioning.cleanupIntervalS;
    if (!this.versioner || s <= 0 || this.stopped) return;
    this.cleanupTimer = this.d.clock.setTimeout(() => {
      void this.enqueue(() => this.runCleanup()).finally(() => this.scheduleCleanup());
    }, s * 1000);
    (this.cleanupTimer as { unref?: () => void }).unref?.();
  }

  private async runCleanup(): Promise<void> {
    // A folder in error may be an unmounted disk: its versions are not ours to judge.
    if (this.stopped || !this.versioner || this.state === 'error') return;
    this.setState('clean-waiting');
    const release = await this.d.limiter.acquire();
    try {
      this.setState('cleaning');
      await this.versioner.clean(this.abort.signal);
    } catch (err) {
      if (!this.stopped) this.d.log.warn(`folder ${this.cfg.id}: cleaning versions: ${messageOf(err)}`);
    } finally {
      release();
      if (!this.stopped) this.setState('idle');
    }
  }

  /** Writes one batch of local records and announces it as a scan would. */
  private commitLocal(files: FileInfo[], dropped: string[] = []): void {
    const { sequence, files: written } = this.d.index.updateLocal(this.cfg.id, files, dropped);
    if (written.length > 0) emitBatchEvents(this.d.events, this.cfg, written, sequence);
    this.d.dirty(this.cfg.id);
  }

  /** POST /rest/db/revert: undoes the receive-only changes (receive-only and receive-encrypted folders; nothing otherwise). */
  revert(signal?: AbortSignal): Promise<void> {
    if (this.cfg.type !== 'receiveonly' && this.cfg.type !== 'receiveencrypted') return Promise.resolve();
    return this.enqueue(() =>
      this.exclusive(async () => {
        const ignores = this.currentIgnores();
        await revertReceiveOnly({
          index: this.d.index,
          folder: this.cfg.id,
          root: this.root,
          versioner: this.cfg.type === 'receiveonly' ? this.versioner : undefined,
          ignores: ignores && !ignores.error ? new IgnoreMatcher(ignores.patterns) : undefined,
          shortId: this.d.shortId,
          nowMs: () => this.d.clock.nowMs(),
          commit: (files) => this.commitLocal(files),
          log: (m) => this.d.log.warn(`folder ${this.cfg.id}: ${m}`),
          signal,
        });
      }),
    );
  }

  /** POST /rest/db/override: our copy of every needed file wins (send-only folders; nothing otherwise). */
  override(signal?: AbortSignal): Promise<void> {
    if (this.cfg.type !== 'sendonly') return Promise.resolve();
    return this.enqueue(() =>
      this.exclusive(async () => {
        overrideSendOnly({
          index: this.d.index,
          folder: this.cfg.id,
          shortId: this.d.shortId,
          nowS: () => Math.floor(this.d.clock.nowMs() / 1000),
          commit: (files) => this.commitLocal(files),
          signal,
        });
      }),
    );
  }

  /** Revert and override show as `scanning` while they run, as in Syncthing; not while the folder is in error. */
  private async exclusive(work: () => Promise<void>): Promise<void> {
    if (this.stopped || this.state === 'error') return;
    this.setState('scanning');
    try {
      await work();
    } catch (err) {
      this.d.log.warn(`folder ${this.cfg.id}: ${messageOf(err)}`);
    } finally {
      if (!this.stopped) this.setState('idle');
    }
  }

  private setState(to: FolderState, error = ''): void {
    if (to === this.state && error === this.error) return;
    const nowMs = this.d.clock.nowMs();
    const data: Record<string, unknown> = { folder: this.cfg.id, from: this.state, to };
    // Syncthing measures from the second-truncated time of the previous change.
    if (!this.firstStateChange) data.duration = (nowMs - this.stateChangedMs) / 1000;
    if (error) data.error = error;
    this.firstStateChange = false;
    this.state = to;
    this.error = error;
    this.stateChangedMs = Math.floor(nowMs / 1000) * 1000;
    this.d.events.append('StateChanged', Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
    this.d.dirty(this.cfg.id);
  }

  /** Root present and a directory, marker present; a brand-new index creates both. */
  private async healthCheck(): Promise<void> {
    const root = this.root;
    const marker = path.join(root, this.cfg.markerName || '.stfolder');
    if (this.d.index.sequence(this.cfg.id) === 0) {
      await fs.mkdir(root, { recursive: true }).catch(() => undefined);
      if ((this.cfg.markerName || '.stfolder') === '.stfolder') await fs.mkdir(marker).catch(() => undefined);
    }
    if (this.versionerError) throw new AppError('internal', this.versionerError);
    const st = await fs.stat(root).catch(() => undefined);
    if (!st) throw new AppError('internal', 'folder path missing');
    if (!st.isDirectory()) throw new AppError('internal', 'folder path not a directory');
    if (!(await fs.stat(marker).catch(() => undefined))) throw new AppError('internal', MARKER_MISSING);
  }

  /** The folder's ignores, read again when .stignore or an included file changed (none for receive-encrypted folders). */
  currentIgnores(): LoadedIgnores | undefined {
    if (this.cfg.type === 'receiveencrypted') return undefined;
    if (ignoresChanged(this.root, this.ignores)) this.ignores = loadIgnores(this.root);
    return this.ignores;
  }

  /** True when .stignore holds at least one pattern line (the summary's ignorePatterns). */
  get hasIgnorePatterns(): boolean {
    return (this.ignores?.lines ?? []).some((l) => l.trim() !== '' && !l.trim().startsWith('//'));
  }

  private async runScan(subs: string[], stop?: AbortSignal): Promise<void> {
    if (this.stopped) throw new AppError('internal', 'folder is not running');
    if (stop?.aborted) throw new AppError('internal', 'scan stopped');
    let ignore: Pattern[];
    let ignoresChanged = false;
    try {
      await this.healthCheck();
      const before = this.ignores?.hash;
      const loaded = this.currentIgnores();
      // A parse error stops the scan: nothing is indexed or deleted because of a broken .stignore.
      if (loaded?.error) throw new AppError('internal', `loading ignores: ${loaded.error}`);
      ignore = loaded?.patterns ?? [];
      ignoresChanged = before !== undefined && loaded !== undefined && loaded.hash !== before;
    } catch (err) {
      this.setState('error', messageOf(err));
      await this.retryLater();
      throw err;
    }
    const recovered = this.state === 'error';
    if (recovered) this.setState('idle');
    if (ignoresChanged || recovered) {
      // Changed ignores change what is indexed (and watched) anywhere; after an error anything may have changed.
      subs = [];
      await this.watch?.restart();
    } else this.watch?.start();
    this.setState('scan-waiting');
    const release = await this.d.limiter.acquire();
    try {
      this.setState('scanning');
      Object.assign(this.progress, { toHash: 0, hashed: 0, walkDone: false });
      this.startProgress();
      const index = this.d.index;
      const id = this.cfg.id;
      const markerFile = path.join(this.root, this.cfg.markerName || '.stfolder');
      const result = await scanFolder(
        this.d.pool,
        {
          get: (name) => index.getLocal(id, name),
          briefChildren: (parent) => index.briefChildren(id, parent),
          namesUnder: (prefix, after, limit) => index.namesUnder(id, prefix, after, limit),
          sameContent: (hash, except) => index.sameContent(id, hash, except),
        },
        {
          root: this.root,
          ignore,
          subs,
          ignorePerms: this.cfg.ignorePerms,
          folderFlags: this.cfg.type === 'receiveonly' || this.cfg.type === 'receiveencrypted' ? Flag.ReceiveOnly : 0,
          autoNormalize: this.cfg.autoNormalize,
          caseSensitiveFS: this.cfg.caseSensitiveFS,
          keepTemporariesH: this.d.keepTemporariesH(),
          shortId: this.d.shortId,
          nowMs: () => this.d.clock.nowMs(),
          signal: stop ? AbortSignal.any([this.abort.signal, stop]) : this.abort.signal,
          hash: this.cfg.type !== 'receiveencrypted',
          commit: async (batch, dropped) => {
            // The marker is checked again before every write: an unmounted disk must not turn into a mass delete.
            if (!(await fs.stat(markerFile).catch(() => undefined))) throw new AppError('internal', MARKER_MISSING);
            this.commitLocal(batch, dropped);
          },
        },
        this.progress,
      );
      stop?.throwIfAborted();
      const scanned = subs.length === 0 ? [''] : subs;
      const under = (p: string) => scanned.some((s) => s === '' || p === s || p.startsWith(s + '/'));
      this.scanErrors = [...this.scanErrors.filter((e) => !under(e.path)), ...result.errors].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      index.setLastScan(id, this.d.clock.nowNs());
      if (result.changed > 0) index.collectGarbage();
      this.healthRetryMs = HEALTH_RETRY_FIRST_MS;
      this.setState('idle');
      // A big scan leaves tens of MB of garbage; give it back now rather than whenever V8 next looks.
      if (result.changed > 10_000) setImmediate(releaseMemory);
    } catch (err) {
      // Stopped on request: not a folder error.
      if (stop?.aborted && !this.stopped) {
        this.setState('idle');
        throw new AppError('internal', 'scan stopped');
      }
      const msg = messageOf(err);
      if (!this.stopped) {
        this.setState('error', msg);
        await this.retryLater();
      }
      throw err instanceof AppError ? err : new AppError('internal', msg, { cause: err });
    } finally {
      this.stopProgress();
      this.d.hashed(this.progress.hashed);
      release();
    }
    if (subs.length === 0) this.schedulePeriodic();
  }

  private startProgress(): void {
    const interval = this.cfg.scanProgressIntervalS;
    if (interval < 0) return;
    const ms = (interval === 0 ? 2 : interval) * 1000;
    const startedMs = this.d.clock.nowMs();
    const tick = () => {
      const p = this.progress;
      // Like Syncthing: only once the total is known and only while something is being hashed.
      if (p.walkDone && p.toHash > 0 && p.hashed < p.toHash) {
        const elapsed = (this.d.clock.nowMs() - startedMs) / 1000;
        const rate = elapsed >= 5 ? Math.round(p.hashed / elapsed) : 0;
        this.d.events.append('FolderScanProgress', { current: p.hashed, folder: this.cfg.id, rate, total: p.toHash + 1 });
      }
      this.progressTimer = this.d.clock.setTimeout(tick, ms);
    };
    this.progressTimer = this.d.clock.setTimeout(tick, ms);
  }

  private stopProgress(): void {
    if (this.progressTimer) this.d.clock.clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
  }
}
