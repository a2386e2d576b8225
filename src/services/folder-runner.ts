import { setMaxListeners } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FolderConfiguration } from '../config/types.js';
import type { EventSink } from '../events/types.js';
import type { IndexStore } from '../index/index-store.js';
import { scanFolder, type ScanError, type ScanProgress } from '../scanner/scan.js';
import { ignoresChanged, loadIgnores, type LoadedIgnores } from '../scanner/ignore-file.js';
import type { ScanPool } from '../scanner/worker-pool.js';
import { background } from '../shared/background.js';
import type { Clock, Timer } from '../shared/clock.js';
import { AppError, messageOf } from '../shared/errors.js';
import { Flag } from '../shared/file-info.js';
import type { Logger } from '../shared/logger.js';
import { expandTilde } from '../shared/paths.js';
import { releaseMemory } from '../shared/memory.js';
import { mapLimit } from '../shared/map-limit.js';
import { emitBatchEvents } from './folder-events.js';
import { FolderQueue } from './folder-queue.js';
import { FolderStateTracker, type FolderState } from './folder-state.js';
import { FolderWatch } from './folder-watch.js';
import { revertReceiveOnly } from './receive-only-revert.js';
import { overrideSendOnly } from './send-only-override.js';
import { checkVersioning, createVersioner } from '../versioner/create.js';
import type { Forbidden } from '../versioner/guard.js';
import type { Versioner } from '../versioner/versioner.js';
import type { FileInfo } from '../shared/file-info.js';
import type { Semaphore } from './semaphore.js';
import type { Request } from '../bep/messages.js';
import { ByteBudget } from './byte-budget.js';
import type { BlockSource, ProcessedSource, PullerProgress } from './puller/file-transfer.js';
import { Puller } from './puller/puller.js';

export type { FolderState };

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
  /** Where this folder's versions store may not be (the home, the other folders). */
  forbidden: Forbidden;
  /** Called whenever the folder's summary may have changed. */
  dirty(folder: string): void;
  /** Called after each scan with the bytes it hashed (for the metrics). */
  hashed(bytes: number): void;
  /** Called after each pull iteration with its seconds, and per block put in place with its source (metrics). */
  pulled?(seconds: number): void;
  processed?(source: ProcessedSource, bytes: number): void;
  /** What pulling needs of the other devices (none: the folder never pulls). */
  peers?: PullPeers;
}

/** The devices a puller gets blocks from, and the local copies it may take them from instead. */
export interface PullPeers {
  /** The connected devices holding the global version of a name validly. */
  availability(folder: string, name: string): string[];
  request(device: string, q: Omit<Request, 'id'>, signal: AbortSignal): Promise<Uint8Array>;
  /** Local files of any folder with the blocks of `g`. */
  sameContent(folder: string, g: FileInfo): BlockSource[];
  /** Bytes received for a folder (its rate). */
  received?(folder: string, bytes: number): void;
}

/** A pull error as /rest/folder/errors lists it. */
export interface PullErrorEntry {
  path: string;
  error: string;
}

/** While the folder is in error its health is checked again after 1 s, doubling up to a minute. */
const HEALTH_RETRY_FIRST_MS = 1000;
const HEALTH_RETRY_MAX_MS = 60_000;
/** Rescan interval while the watch has failed: changes must still be found within a minute. */
const WATCHLESS_RESCAN_S = 60;
/** Restores of different files within one request may overlap. */
const RESTORE_CONCURRENCY = 8;
/** Passes over the need per pull while items keep failing (1.19.2's maxPullerIterations). */
const PULL_PASSES = 3;
/** 1.19.2's defaultPullerPause: a failed pull is tried again after this, doubling up to 60 times it. */
const PULL_PAUSE_S = 60;

/**
 * One configured, unpaused folder. Everything that reads or changes its files — scans, reverts,
 * overrides, version restores, cleanups — is a job on its one queue, and moves through its one
 * state tracker. Stopping (pause, removal, shutdown) aborts the running job within a block's
 * hashing time and refuses the queued ones.
 */
export class FolderRunner {
  scanErrors: ScanError[] = [];
  readonly progress: ScanProgress = { toHash: 0, hashed: 0, walkDone: false };
  private readonly tracker: FolderStateTracker;
  private readonly queue = new FolderQueue();
  private timer?: Timer;
  private progressTimer?: Timer;
  private progressStartedMs = 0;
  private ignores?: LoadedIgnores;
  private healthRetryMs = HEALTH_RETRY_FIRST_MS;
  private readonly watch?: FolderWatch;
  /** Undefined when versioning is off (or cannot be used: then `versionerError` says why). */
  readonly versioner?: Versioner;
  private versionerError = '';
  private versioningChecked = false;
  private cleanupTimer?: Timer;
  /** Undefined for folders that never pull (send-only, receive-encrypted) or without peers. */
  readonly puller?: Puller;
  pullErrors: PullErrorEntry[] = [];
  private pullQueued = false;
  private initialScanDone = false;
  private pullTimer?: Timer;
  private pullPauseS = 0;

  constructor(
    readonly cfg: Readonly<FolderConfiguration>,
    private readonly d: RunnerDeps,
  ) {
    this.tracker = new FolderStateTracker({ folder: cfg.id, events: d.events, clock: d.clock, changed: () => d.dirty(cfg.id) });
    try {
      this.versioner = createVersioner(cfg.versioning, { root: this.root, nowMs: () => d.clock.nowMs(), log: (m) => d.log.info(`folder ${cfg.id}: ${m}`) });
    } catch (err) {
      this.versionerError = `creating versioner: ${messageOf(err)}`;
    }
    if (d.peers && cfg.type !== 'sendonly' && cfg.type !== 'receiveencrypted') this.puller = this.makePuller(d.peers);
    this.pullPauseS = this.pullBasePauseS;
    if (cfg.fsWatcherEnabled) {
      this.watch = new FolderWatch({
        folder: cfg,
        root: this.root,
        clock: d.clock,
        log: d.log,
        events: d.events,
        ignores: () => this.ignores,
        scan: (subs) => this.scan(subs),
        changed: () => d.dirty(cfg.id),
      });
    }
  }

  get state(): FolderState {
    return this.tracker.state;
  }
  get stateChangedMs(): number {
    return this.tracker.changedMs;
  }
  get error(): string {
    return this.tracker.error;
  }

  /** What the watch made of the changes it saw: left out (ignored, internal, temporary) or queued for a scan. */
  get watchCounts(): { ignored: number; queued: number } {
    return { ...(this.watch?.counts ?? { ignored: 0, queued: 0 }) };
  }

  /** Why watching failed ('' when it did not, or is off). */
  get watchError(): string {
    return this.watch?.error ?? '';
  }

  get root(): string {
    return expandTilde(this.cfg.path);
  }

  private get stopped(): boolean {
    return this.queue.stopped;
  }

  /** Starts the schedule: a first full scan at once (the watch starts once the folder is healthy), then periodic rescans. */
  start(): void {
    this.scanInBackground();
    this.scheduleCleanup();
  }

  /** Aborts what runs, refuses what waits, and resolves once nothing of this folder runs any more. */
  async stop(): Promise<void> {
    for (const t of [this.timer, this.progressTimer, this.cleanupTimer, this.pullTimer]) if (t) this.d.clock.clearTimeout(t);
    const queue = this.queue.stop();
    await this.watch?.stop();
    await queue;
  }

  /** Delays the next periodic scan to `seconds` from now (POST /rest/db/scan?next=). */
  scheduleNext(seconds: number): void {
    this.setTimer(seconds * 1000);
  }

  /** A full scan nobody waits for (periodic, retry, first): its failure is the folder's state, not a caller's. */
  private scanInBackground(): void {
    background(this.scan([]), (m) => this.d.log.debug(`folder ${this.cfg.id}: ${m}`), 'background scan');
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
    this.timer = this.d.clock.setTimeout(() => this.scanInBackground(), ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /**
   * Queues a scan of `subs` ([] = everything); resolves when it has run, rejects with its error.
   * `signal` stops it early (what is committed stays; the next scan finishes the job).
   */
  scan(subs: string[], signal?: AbortSignal): Promise<void> {
    return this.queue.run((s) => this.runScan(subs, s, signal), signal);
  }

  /** The versioner cleanup every cleanupIntervalS (0 = never), in states clean-waiting → cleaning. */
  private scheduleCleanup(): void {
    const s = this.cfg.versioning.cleanupIntervalS;
    if (!this.versioner || s <= 0 || this.stopped) return;
    this.cleanupTimer = this.d.clock.setTimeout(() => {
      const run = this.queue.run((signal) => this.runCleanup(signal)).finally(() => this.scheduleCleanup());
      background(run, (m) => this.d.log.warn(`folder ${this.cfg.id}: ${m}`), 'cleaning versions');
    }, s * 1000);
    (this.cleanupTimer as { unref?: () => void }).unref?.();
  }

  private async runCleanup(signal: AbortSignal): Promise<void> {
    // A folder in error may be an unmounted disk: its versions are not ours to judge.
    if (!this.versioner || this.versionerError || !this.versioningChecked || this.state === 'error') return;
    this.tracker.set('clean-waiting');
    let release: (() => void) | undefined;
    try {
      release = await this.d.limiter.acquire(signal);
      this.tracker.set('cleaning');
      await this.versioner.clean(signal);
    } finally {
      release?.();
      if (!this.stopped) this.tracker.settle();
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
    return this.queue.run(
      (s) =>
        this.exclusive(async () => {
          const ignores = await this.refreshIgnores();
          await revertReceiveOnly({
            index: this.d.index,
            folder: this.cfg.id,
            root: this.root,
            versioner: this.cfg.type === 'receiveonly' ? this.versioner : undefined,
            ignores: ignores && !ignores.error ? ignores.matcher : undefined,
            shortId: this.d.shortId,
            nowMs: () => this.d.clock.nowMs(),
            commit: (files) => this.commitLocal(files),
            log: (m) => this.d.log.warn(`folder ${this.cfg.id}: ${m}`),
            signal: s,
          });
          // What the revert gave back to the global versions is needed now: 1.19.2 pulls it at once.
          if (this.puller && this.d.index.needsAny(this.cfg.id)) this.schedulePull();
        }),
      signal,
    );
  }

  /** POST /rest/db/override: our copy of every needed file wins (send-only folders; nothing otherwise). */
  override(signal?: AbortSignal): Promise<void> {
    if (this.cfg.type !== 'sendonly') return Promise.resolve();
    return this.queue.run(
      (s) =>
        this.exclusive(async () => {
          overrideSendOnly({
            index: this.d.index,
            folder: this.cfg.id,
            shortId: this.d.shortId,
            nowS: () => Math.floor(this.d.clock.nowMs() / 1000),
            commit: (files) => this.commitLocal(files),
            signal: s,
          });
        }),
      signal,
    );
  }

  /**
   * POST /rest/folder/versions: each (clean, distinct) path back to its version made at the
   * given time, as one job: no scan, revert or other restore touches the folder meanwhile, and the
   * restored paths are rescanned before the next job. Returns the failures by path.
   */
  restore(wanted: Map<string, number>, restoreOne: (rel: string, atMs: number) => Promise<void>, signal?: AbortSignal): Promise<Map<string, string>> {
    return this.queue.run(async (s) => {
      const failed = new Map<string, string>();
      const restored: string[] = [];
      await mapLimit([...wanted], RESTORE_CONCURRENCY, async ([name, atMs]) => {
        if (s.aborted) return void failed.set(name, 'not restored: job stopped');
        try {
          await restoreOne(name, atMs);
          restored.push(name);
        } catch (err) {
          failed.set(name, messageOf(err));
        }
      });
      if (restored.length > 0 && !s.aborted) {
        await this.runScan(restored, s).catch((err: unknown) => this.d.log.warn(`folder ${this.cfg.id}: rescanning restored files: ${messageOf(err)}`));
      }
      return failed;
    }, signal);
  }

  /**
   * Revert and override show as `scanning` while they run, as in Syncthing; not while the folder is
   * in error (where they do nothing). A failure is the caller's, with its kind.
   */
  private async exclusive(work: () => Promise<void>): Promise<void> {
    if (this.state === 'error') return;
    this.tracker.set('scanning');
    try {
      await work();
    } finally {
      if (!this.stopped) this.tracker.settle();
    }
  }

  /** Root present and a directory, marker present; a brand-new index creates both. */
  private async healthCheck(): Promise<void> {
    const root = this.root;
    const marker = path.join(root, this.cfg.markerName || '.stfolder');
    if (this.d.index.sequence(this.cfg.id) === 0) {
      await fs.mkdir(root, { recursive: true }).catch(() => undefined);
      if ((this.cfg.markerName || '.stfolder') === '.stfolder') await fs.mkdir(marker).catch(() => undefined);
    }
    if (!this.versioningChecked && !this.versionerError) {
      // Settings from before these checks existed are refused here: the folder is in error rather than versioning into user data.
      await checkVersioning(this.cfg.versioning, root, this.d.forbidden).catch((err: unknown) => {
        this.versionerError = `versioning: ${messageOf(err)}`;
      });
      this.versioningChecked = true;
    }
    if (this.versionerError) throw new AppError('internal', this.versionerError);
    const st = await fs.stat(root).catch(() => undefined);
    if (!st) throw new AppError('internal', 'folder path missing');
    if (!st.isDirectory()) throw new AppError('internal', 'folder path not a directory');
    if (!(await fs.stat(marker).catch(() => undefined))) throw new AppError('internal', MARKER_MISSING);
  }

  /** The folder's ignores as last read (none for receive-encrypted folders); never reads the disk. */
  currentIgnores(): LoadedIgnores | undefined {
    return this.cfg.type === 'receiveencrypted' ? undefined : this.ignores;
  }

  /** Reads .stignore again when it (or a file it includes) changed; returns what is current. */
  async refreshIgnores(): Promise<LoadedIgnores | undefined> {
    if (this.cfg.type === 'receiveencrypted') return undefined;
    if (await ignoresChanged(this.root, this.ignores)) this.ignores = await loadIgnores(this.root);
    return this.ignores;
  }

  /** True when .stignore holds at least one pattern line (the summary's ignorePatterns). */
  get hasIgnorePatterns(): boolean {
    return (this.ignores?.lines ?? []).some((l) => l.trim() !== '' && !l.trim().startsWith('//'));
  }

  /** One scan, as a job of the queue; `caller` is the signal of whoever asked (a stopped scan is not a folder error). */
  private async runScan(subs: string[], signal: AbortSignal, caller?: AbortSignal): Promise<void> {
    let loaded: LoadedIgnores | undefined;
    let ignoresChangedNow = false;
    try {
      await this.healthCheck();
      const before = this.ignores?.hash;
      loaded = await this.refreshIgnores();
      // A parse error stops the scan: nothing is indexed or deleted because of a broken .stignore.
      if (loaded?.error) throw new AppError('internal', `loading ignores: ${loaded.error}`);
      ignoresChangedNow = before !== undefined && loaded !== undefined && loaded.hash !== before;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      this.tracker.fail(messageOf(err));
      await this.retryLater();
      throw err;
    }
    const recovered = this.state === 'error';
    if (recovered) this.tracker.set('idle');
    if (ignoresChangedNow || recovered) {
      // Changed ignores change what is indexed (and watched) anywhere; after an error anything may have changed.
      subs = [];
      await this.watch?.restart();
    } else this.watch?.start();
    this.tracker.set('scan-waiting');
    let release: (() => void) | undefined;
    try {
      release = await this.d.limiter.acquire(signal);
      this.tracker.set('scanning');
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
          ignore: loaded?.patterns ?? [],
          matcher: loaded?.matcher,
          ignoreKey: loaded?.hash,
          subs,
          ignorePerms: this.cfg.ignorePerms,
          folderFlags: this.cfg.type === 'receiveonly' || this.cfg.type === 'receiveencrypted' ? Flag.ReceiveOnly : 0,
          autoNormalize: this.cfg.autoNormalize,
          caseSensitiveFS: this.cfg.caseSensitiveFS,
          keepTemporariesH: this.d.keepTemporariesH(),
          shortId: this.d.shortId,
          nowMs: () => this.d.clock.nowMs(),
          signal,
          hash: this.cfg.type !== 'receiveencrypted',
          commit: async (batch, dropped) => {
            // The marker is checked again before every write: an unmounted disk must not turn into a mass delete.
            if (!(await fs.stat(markerFile).catch(() => undefined))) throw new AppError('internal', MARKER_MISSING);
            this.commitLocal(batch, dropped);
          },
        },
        this.progress,
      );
      // Syncthing sends a last progress event when hashing is done.
      if (this.progressTimer && this.progress.toHash > 0) this.emitProgress();
      const scanned = subs.length === 0 ? [''] : subs;
      const under = (p: string) => scanned.some((s) => s === '' || p === s || p.startsWith(s + '/'));
      this.scanErrors = [...this.scanErrors.filter((e) => !under(e.path)), ...result.errors].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      index.setLastScan(id, this.d.clock.nowNs());
      if (result.changed > 0) index.collectGarbage();
      this.healthRetryMs = HEALTH_RETRY_FIRST_MS;
      this.tracker.set('idle');
      this.initialScanDone = true;
      if (this.puller && index.needsAny(id)) this.schedulePull();
      // A big scan leaves tens of MB of garbage; give it back now rather than whenever V8 next looks.
      if (result.changed > 10_000) setImmediate(releaseMemory);
    } catch (err) {
      // Stopped on request (the caller's, or the folder's own stop): not a folder error.
      if (signal.aborted) {
        if (!this.stopped) this.tracker.settle();
        throw caller?.aborted ? new AppError('internal', 'scan stopped') : signal.reason;
      }
      const msg = messageOf(err);
      this.tracker.fail(msg);
      await this.retryLater();
      throw err instanceof AppError ? err : new AppError('internal', msg, { cause: err });
    } finally {
      this.stopProgress();
      this.d.hashed(this.progress.hashed);
      release?.();
    }
    if (subs.length === 0) this.schedulePeriodic();
  }

  // ---- pulling ----

  private get pullBasePauseS(): number {
    return this.cfg.pullerPauseS > 0 ? this.cfg.pullerPauseS : PULL_PAUSE_S;
  }

  private makePuller(peers: PullPeers): Puller {
    const id = this.cfg.id;
    const pendingKiB = this.cfg.pullerMaxPendingKiB > 0 ? this.cfg.pullerMaxPendingKiB : 32 * 1024;
    return new Puller({
      cfg: this.cfg,
      root: this.root,
      index: this.d.index,
      events: this.d.events,
      log: this.d.log,
      nowMs: () => this.d.clock.nowMs(),
      shortId: this.d.shortId,
      versioner: this.versioner,
      ignored: (name) => this.ignores?.matcher.match(name).ignored ?? false,
      availability: (name) => peers.availability(id, name),
      request: (device, q, signal) => peers.request(device, q, signal),
      sameContent: (g) => peers.sameContent(id, g),
      commit: (files, mtimes) => {
        const { sequence, files: written } = this.d.index.updateLocal(id, files, [], mtimes);
        if (written.length > 0) emitBatchEvents(this.d.events, this.cfg, written, sequence, 'RemoteChangeDetected');
        this.d.dirty(id);
      },
      syncing: () => this.tracker.set('syncing'),
      // At least one block of the largest size must fit, as 1.19.2 makes sure.
      budget: new ByteBudget(() => Math.max(pendingKiB * 1024, 16 << 20)),
      received: (bytes) => peers.received?.(id, bytes),
      ...(this.d.processed ? { processed: this.d.processed } : {}),
    });
  }

  /**
   * A pull soon (the index says something is needed, a device connected, a pull failed a while
   * ago). One waits in the queue at most; a change during a pull queues the next one.
   */
  schedulePull(): void {
    if (!this.puller || this.stopped || this.pullQueued || !this.initialScanDone) return;
    this.pullQueued = true;
    background(this.queue.run((s) => this.runPull(s)), (m) => this.d.log.warn(`folder ${this.cfg.id}: ${m}`), 'pull');
  }

  /** Moves a file to the front of the running pull's queue (POST /rest/db/prio). */
  bringToFront(name: string): void {
    this.puller?.queue.bringToFront(name);
  }

  /** How far each file being pulled is (DownloadProgress). */
  pullProgress(): Map<string, PullerProgress> {
    return this.puller?.progress ?? new Map();
  }

  /** 1.19.2's pull: sync-waiting for a slot, then up to three passes while items keep failing; pull errors replace the last ones. */
  private async runPull(signal: AbortSignal): Promise<void> {
    this.pullQueued = false;
    // Every block request in flight listens for the stop (up to the byte budget's worth of them).
    setMaxListeners(0, signal);
    const puller = this.puller!;
    const id = this.cfg.id;
    if (this.state === 'error') return;
    if (!this.d.index.needsAny(id)) {
      if (this.pullErrors.length) (this.pullErrors = []), this.d.dirty(id);
      return;
    }
    if (this.pullTimer) this.d.clock.clearTimeout(this.pullTimer);
    this.pullTimer = undefined;
    try {
      await this.healthCheck();
      const ignores = await this.refreshIgnores();
      if (ignores?.error) throw new AppError('internal', `loading ignores: ${ignores.error}`);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      this.tracker.fail(messageOf(err));
      await this.retryLater();
      return;
    }
    this.tracker.set('sync-waiting');
    let release: (() => void) | undefined;
    const rescan = new Set<string>();
    let errors = new Map<string, string>();
    let done = false;
    try {
      release = await this.d.limiter.acquire(signal);
      for (let pass = 0; pass < PULL_PASSES; pass++) {
        this.tracker.set('sync-preparing');
        const t0 = performance.now();
        const r = await puller.iterate(signal);
        this.d.pulled?.((performance.now() - t0) / 1000);
        for (const n of r.rescan) rescan.add(n);
        errors = r.errors;
        if (r.changed === 0) {
          done = true;
          break;
        }
      }
    } finally {
      release?.();
      if (!this.stopped) this.tracker.settle();
    }
    this.pullErrors = [...errors].map(([p, e]) => ({ path: p, error: e })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (this.pullErrors.length > 0) {
      for (const e of this.pullErrors) this.d.log.info(`Puller (folder ${this.cfg.label ? `${JSON.stringify(this.cfg.label)} (${id})` : id}, item ${JSON.stringify(e.path)}): ${e.error}`);
      this.d.log.info(`folder ${id}: failed to sync ${this.pullErrors.length} items`);
      this.d.events.append('FolderErrors', { errors: [...this.scanErrors, ...this.pullErrors].map((e) => ({ error: e.error, path: e.path })), folder: id });
    }
    this.d.dirty(id);
    if (rescan.size > 0 && !this.stopped) background(this.scan([...rescan]), (m) => this.d.log.debug(`folder ${id}: ${m}`), 'scan after pulling');
    if (done && this.pullErrors.length === 0) {
      this.pullPauseS = this.pullBasePauseS;
      return;
    }
    // Failed items are tried again later, less and less often.
    this.pullTimer = this.d.clock.setTimeout(() => this.schedulePull(), this.pullPauseS * 1000);
    (this.pullTimer as { unref?: () => void }).unref?.();
    if (this.pullPauseS < 60 * this.pullBasePauseS) this.pullPauseS *= 2;
  }

  private startProgress(): void {
    const interval = this.cfg.scanProgressIntervalS;
    if (interval < 0) return;
    const ms = (interval === 0 ? 2 : interval) * 1000;
    const startedMs = this.d.clock.nowMs();
    this.progressStartedMs = startedMs;
    const tick = () => {
      const p = this.progress;
      // Like Syncthing: only once the total is known and only while something is being hashed.
      if (p.walkDone && p.toHash > 0 && p.hashed < p.toHash) this.emitProgress();
      this.progressTimer = this.d.clock.setTimeout(tick, ms);
    };
    this.progressTimer = this.d.clock.setTimeout(tick, ms);
  }

  /**
   * One FolderScanProgress: hashed bytes so far (moving per 4 MiB of a file, not per file), the
   * total to hash plus one (as Syncthing counts it), and the mean rate in bytes per second since
   * the scan began. Syncthing's is a one-minute EWMA that reads 0 for the first five seconds; a
   * mean says something from the first tick.
   */
  private emitProgress(): void {
    const p = this.progress;
    const elapsed = (this.d.clock.nowMs() - this.progressStartedMs) / 1000;
    const rate = elapsed > 0 ? Math.round(p.hashed / elapsed) : 0;
    this.d.events.append('FolderScanProgress', { current: p.hashed, folder: this.cfg.id, rate, total: p.toHash + 1 });
  }

  private stopProgress(): void {
    if (this.progressTimer) this.d.clock.clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
  }
}
