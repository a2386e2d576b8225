import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigStore, ConfigSubscriber } from '../config/config-store.js';
import type { Configuration, FolderConfiguration } from '../config/types.js';
import type { EventSink } from '../events/types.js';
import { totalItems, type Counts } from '../index/counts.js';
import type { IndexStore, TreeRow } from '../index/index-store.js';
import type { ScanError } from '../scanner/scan.js';
import type { ScanPool } from '../scanner/worker-pool.js';
import type { Clock } from '../shared/clock.js';
import { AppError, messageOf } from '../shared/errors.js';
import type { FileVersion, Versioner } from '../versioner/versioner.js';
import { FileType, Flag, INVALID_FLAGS, type FileInfo } from '../shared/file-info.js';
import type { Logger } from '../shared/logger.js';
import { FolderRunner } from './folder-runner.js';
import { ignoreLimitProblem, loadIgnores } from '../scanner/ignore-file.js';
import { checkVersioning } from '../versioner/create.js';
import { background } from '../shared/background.js';
import { writeFileAtomic } from '../shared/atomic-write.js';
import { expandTilde } from '../shared/paths.js';
import { emptySummary, folderSummary } from './folder-summary.js';
import { cleanRelPath } from './rel-path.js';
import { Semaphore } from './semaphore.js';
import type { ServedFolder } from './connections/block-server.js';
import { SummaryPump } from './summary-pump.js';
import type { Request } from '../bep/messages.js';
import type { BlockSource, ProcessedSource, PullerProgress } from './puller/file-transfer.js';
import type { PullPeers } from './folder-runner.js';

export interface FolderServiceDeps {
  config: ConfigStore;
  index: IndexStore;
  pool: ScanPool;
  events: EventSink;
  clock: Clock;
  log: Logger;
  myId: string;
  shortId: string;
  /** Synchro's home (config, keys, index): no versions store may be there. */
  home: string;
  /** How a remote device has a folder, from its last ClusterConfig (valid, paused, notSharing, unknown). */
  remoteState?: (folder: string, device: string) => string;
  /** Block requests to connected devices (none: folders never pull). */
  request?: (device: string, q: Omit<Request, 'id'>, signal: AbortSignal) => Promise<Uint8Array>;
}

export interface TreeNode {
  name: string;
  modifiedNs: bigint;
  size: number;
  type: number;
  children?: TreeNode[];
}

export interface Page<T> {
  page: number;
  perpage: number;
  items: T[];
}

export interface Completion {
  completion: number;
  globalBytes: number;
  globalItems: number;
  needBytes: number;
  needDeletes: number;
  needItems: number;
  remoteState: string;
  sequence: number;
}

/** Syncthing's paging rules: page ≥ 1 (default 1), perpage ≥ 1 (default 65536). */
export function paging(page: number | undefined, perpage: number | undefined): { page: number; perpage: number; offset: number } {
  const p = page !== undefined && page >= 1 ? page : 1;
  const pp = perpage !== undefined && perpage >= 1 ? perpage : 65536;
  return { page: p, perpage: pp, offset: (p - 1) * pp };
}

const FOLDER_MISSING = 'no such folder';
/** Index rows a remote need count looks at per event-loop turn (about 10 ms at 100k files). */
const NEED_SLICE = 5000;
/** Syncthing's LocalDeviceID (all bits set), as its debug output names this device. */
const LOCAL_DEVICE_ID = '7777777-777777N-7777777-777777N-7777777-777777N-7777777-77777Q4';

/** A record that is not there, as Syncthing prints its zero FileInfo. */
function zeroFile(): FileInfo {
  return {
    name: '', type: 0, size: 0, modifiedNs: 0n, permissions: 0, noPermissions: false, deleted: false, localFlags: 0, version: [], modifiedBy: '',
    blockSize: 0, blockHashes: new Uint8Array(0), blocksHash: undefined, previousBlocksHash: undefined, symlinkTarget: '', inodeChangeNs: 0n, sequence: 0,
  };
}

/** Pull iterations, their seconds and the bytes they put in place by source (the pull metrics). */
export interface PullTotals {
  pulls: number;
  seconds: number;
  processed: Record<ProcessedSource, number>;
}

/**
 * The folders: one runner per configured, unpaused folder, kept in step with the configuration,
 * and every question the /rest/db, /rest/folder and /rest/stats routes ask about them.
 */
export class FolderService {
  private readonly runners = new Map<string, FolderRunner>();
  private readonly limiter: Semaphore;
  private readonly pump: SummaryPump;
  private stopped = false;
  private hashedTotal = 0;
  /** Bytes hashed per folder since start (Syncthing's syncthing_scanner_hashed_bytes_total); one entry per folder ever run. */
  private readonly hashedPerFolder = new Map<string, number>();
  /** Pull iterations, their seconds and the bytes they put in place by source, per folder since start. */
  private readonly pullsPerFolder = new Map<string, PullTotals>();

  private progressTimer?: ReturnType<Clock['setTimeout']>;
  private lastProgress = '{}';
  private readonly peers?: PullPeers;

  constructor(private readonly d: FolderServiceDeps) {
    this.limiter = new Semaphore(this.concurrency(d.config.current()));
    this.pump = new SummaryPump(d.clock, (id) => this.emitSummary(id));
    const request = d.request;
    if (request) {
      this.peers = {
        availability: (folder, name) => this.availability(folder, name),
        request,
        sameContent: (folder, g) => this.sameContent(folder, g),
      };
    }
  }

  /** The connected devices that hold the global version of a name validly. */
  private availability(folder: string, name: string): string[] {
    const holders = this.d.index.versionList(folder, name, LOCAL_DEVICE_ID).find((e) => e.devices.length > 0)?.devices ?? [];
    return holders.filter((dev) => dev !== LOCAL_DEVICE_ID && this.d.remoteState?.(folder, dev) === 'valid');
  }

  /** Local files with the same blocks as `g`, in this folder first, then in the other running ones (at most four). */
  private sameContent(folder: string, g: FileInfo): BlockSource[] {
    if (!g.blocksHash) return [];
    const out: BlockSource[] = [];
    const ids = [folder, ...[...this.runners.keys()].filter((x) => x !== folder)];
    for (const id of ids) {
      const r = this.runners.get(id);
      if (!r || r.cfg.type === 'receiveencrypted') continue;
      for (const m of this.d.index.sameContent(id, g.blocksHash, id === folder ? g.name : '', 4 - out.length)) {
        out.push({ abs: path.join(r.root, m.name), blockHashes: g.blockHashes, blockSize: g.blockSize, size: m.size, origin: false });
      }
      if (out.length >= 4) break;
    }
    return out;
  }

  /**
   * DownloadProgress every progressUpdateIntervalS (5 s by default, never when negative) while
   * something is pulled, and once more when it ends: every folder's files being pulled and how
   * far each is, as 1.19.2's progress emitter sends it.
   */
  private scheduleProgress(): void {
    const s = Number(this.d.config.current().options.progressUpdateIntervalS ?? 5);
    if (this.stopped || s < 0) return;
    this.progressTimer = this.d.clock.setTimeout(() => {
      const out: Record<string, Record<string, PullerProgress>> = {};
      for (const [id, r] of this.runners) {
        const p = r.pullProgress();
        if (p.size > 0) out[id] = Object.fromEntries([...p].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, v]) => [n, { ...v }]));
      }
      const text = JSON.stringify(out);
      if (text !== this.lastProgress) {
        this.lastProgress = text;
        this.d.events.append('DownloadProgress', out);
      }
      this.scheduleProgress();
    }, (s === 0 ? 5 : s) * 1000);
    (this.progressTimer as { unref?: () => void }).unref?.();
  }

  private concurrency(cfg: Readonly<Configuration>): number {
    const n = cfg.options.maxFolderConcurrency;
    return n > 0 ? n : n < 0 ? Number.MAX_SAFE_INTEGER : os.availableParallelism();
  }

  /**
   * Starts a runner per unpaused folder. The index first forgets folders the configuration no
   * longer has: a crash between saving a removal and dropping its rows must not let a folder
   * re-added later under the same ID inherit the old records.
   */
  start(): void {
    const configured = new Set(this.d.config.current().folders.map((f) => f.id));
    for (const id of this.d.index.folderIds()) {
      if (configured.has(id)) continue;
      this.d.log.info(`dropping the index of folder ${JSON.stringify(id)}, which is no longer configured`);
      this.d.index.dropFolder(id);
    }
    for (const f of this.d.config.current().folders) if (!f.paused) this.startRunner(f);
    this.scheduleProgress();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pump.stop();
    if (this.progressTimer) this.d.clock.clearTimeout(this.progressTimer);
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  private startRunner(f: Readonly<FolderConfiguration>): void {
    const runner = new FolderRunner(f, {
      index: this.d.index,
      pool: this.d.pool,
      events: this.d.events,
      clock: this.d.clock,
      log: this.d.log,
      shortId: this.d.shortId,
      limiter: this.limiter,
      keepTemporariesH: () => this.d.config.current().options.keepTemporariesH,
      forbidden: {
        home: this.d.home,
        folders: this.d.config.current().folders.filter((x) => x.id !== f.id).map((x) => ({ id: x.id, root: expandTilde(x.path) })),
      },
      dirty: (id) => this.pump.dirty(id),
      peers: this.peers,
      hashed: (bytes) => {
        this.hashedTotal += bytes;
        this.hashedPerFolder.set(f.id, (this.hashedPerFolder.get(f.id) ?? 0) + bytes);
      },
      pulled: (seconds) => {
        const t = this.pullTotals(f.id);
        t.pulls++;
        t.seconds += seconds;
      },
      processed: (source, bytes) => {
        const t = this.pullTotals(f.id);
        t.processed[source] += bytes;
      },
    });
    this.runners.set(f.id, runner);
    runner.start();
  }

  /**
   * Refuses folder settings that would put user files at risk (a versions store over user data,
   * an external command that runs file names as shell code), then starts, stops and restarts
   * runners as folders are added, removed, paused or changed. A removed folder's runner is
   * stopped (aborting its scan) before its index rows go; a folder added under an ID the index
   * still knows starts from an empty index.
   */
  subscriber(): ConfigSubscriber {
    return {
      verify: async (next, prev) => {
        const roots = next.folders.map((f) => ({ id: f.id, root: expandTilde(f.path) }));
        const before = new Map(prev.folders.map((f) => [f.id, f]));
        for (const f of next.folders) {
          const old = before.get(f.id);
          // Unchanged settings were accepted before (or predate these checks): the runner reports them.
          if (old && JSON.stringify(old.versioning) === JSON.stringify(f.versioning) && old.path === f.path) continue;
          try {
            await checkVersioning(f.versioning, expandTilde(f.path), { home: this.d.home, folders: roots.filter((r) => r.id !== f.id) });
          } catch (err) {
            throw new AppError('invalid', `folder ${JSON.stringify(f.id)}: ${messageOf(err)}`, { cause: err });
          }
        }
      },
      commit: async (next, prev) => {
        if (this.stopped) return;
        this.limiter.setLimit(this.concurrency(next));
        const before = new Map(prev.folders.map((f) => [f.id, f]));
        const after = new Map(next.folders.map((f) => [f.id, f]));
        for (const [id, old] of before) {
          const now = after.get(id);
          if (now && JSON.stringify(now) === JSON.stringify(old)) continue;
          const r = this.runners.get(id);
          if (r) {
            this.runners.delete(id);
            await r.stop();
          }
          if (!now) this.d.index.dropFolder(id);
        }
        for (const [id, f] of after) {
          const old = before.get(id);
          if (old && JSON.stringify(old) === JSON.stringify(f)) continue;
          if (!old) {
            this.d.index.dropFolder(id);
            await this.writeDefaultIgnores(f, next.defaults.ignores.lines);
          }
          if (!f.paused) this.startRunner(f);
        }
      },
    };
  }

  /** A new folder without a .stignore gets defaults.ignores, as Syncthing gives it. */
  private async writeDefaultIgnores(f: Readonly<FolderConfiguration>, lines: readonly string[]): Promise<void> {
    if (lines.length === 0 || f.type === 'receiveencrypted') return;
    const file = path.join(expandTilde(f.path), '.stignore');
    if (await fs.stat(file).then(() => true, () => false)) return;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, lines.join('\n') + '\n', 0o644);
    } catch (err) {
      this.d.log.warn(`folder ${f.id}: writing default ignores: ${(err as Error).message}`);
    }
  }

  /** GET /rest/db/ignores: the lines, the expanded patterns and any error (v2: 200 even for an unknown folder). */
  async ignores(id: string): Promise<{ ignore: string[] | null; expanded: string[] | null; error: string | null }> {
    const f = this.d.config.current().folders.find((x) => x.id === id);
    if (!f) return { ignore: null, expanded: null, error: `folder ${id} does not exist` };
    if (f.type === 'receiveencrypted') return { ignore: null, expanded: null, error: null };
    const r = this.runners.get(id);
    const loaded = r ? await r.refreshIgnores() : await loadIgnores(expandTilde(f.path));
    if (!loaded || loaded.lines === undefined) return { ignore: null, expanded: null, error: loaded?.error ?? null };
    return { ignore: loaded.lines, expanded: loaded.patterns.map((p) => p.text), error: loaded.error ?? null };
  }

  /**
   * POST /rest/db/ignores: writes .stignore atomically (no lines = no file), then rescans. Invalid
   * patterns are still saved and reported, as Syncthing does; the folder then stays in error.
   * More lines or bytes than an ignore file may hold are refused and nothing is written.
   */
  async setIgnores(id: string, lines: string[]): Promise<void> {
    const f = this.folderCfg(id);
    if (f.type === 'receiveencrypted') throw new AppError('invalid', 'ignores are not used in receive-encrypted folders');
    const tooMuch = ignoreLimitProblem(lines);
    if (tooMuch) throw new AppError('too-large', tooMuch);
    const root = expandTilde(f.path);
    const file = path.join(root, '.stignore');
    await fs.mkdir(root, { recursive: true });
    if (lines.length === 0) await fs.rm(file, { force: true });
    else await writeFileAtomic(file, lines.join('\n') + '\n', 0o644);
    const r = this.runners.get(id);
    if (r) background(r.scan([]), (m) => this.d.log.debug(`folder ${id}: ${m}`), 'rescan after new ignores');
  }

  private folderCfg(id: string): Readonly<FolderConfiguration> {
    const f = this.d.config.current().folders.find((x) => x.id === id);
    if (!f) throw new AppError('not-found', FOLDER_MISSING);
    return f;
  }

  /** Whether the folder has a runner (configured and not paused): what Syncthing calls running. */
  isRunning(id: string): boolean {
    return this.runners.has(id);
  }

  /** The running folder, or AppError('not-found') for an unknown, paused or stopped one. */
  private runner(id: string): FolderRunner {
    const f = this.folderCfg(id);
    const r = this.runners.get(id);
    if (!r) throw new AppError('not-found', f.paused ? 'folder is paused' : 'folder is not running');
    return r;
  }

  /**
   * FolderSummary, then one FolderCompletion per connected device the folder is shared with
   * (1.19.2 folder_summary.go), whenever the summary is refreshed.
   */
  private emitSummary(id: string): void {
    if (!this.runners.has(id)) return;
    this.d.events.append('FolderSummary', { folder: id, summary: this.status(id) });
    const devices = this.folderCfg(id).devices.filter((dev) => dev.deviceID !== this.d.myId && (this.d.remoteState?.(id, dev.deviceID) ?? 'unknown') !== 'unknown');
    if (devices.length === 0) return;
    background(
      (async () => {
        for (const dev of devices) {
          const c = await this.completion(id, dev.deviceID);
          if (this.runners.has(id)) this.d.events.append('FolderCompletion', { ...c, device: dev.deviceID, folder: id });
        }
      })(),
      (m) => this.d.log.debug(m),
      `completion of ${id}`,
    );
  }

  /** A peer changed what the index holds of a folder: its summary (and completions) are due. */
  remoteChanged(id: string): void {
    const r = this.runners.get(id);
    if (!r) return;
    this.pump.dirty(id);
    if (this.d.index.needsAny(id)) r.schedulePull();
  }

  /** Global files and bytes of each running folder (the usage report's totals). */
  globalTotals(): { files: number; bytes: number }[] {
    return [...this.runners.keys()].map((id) => {
      const g = this.d.index.counts(id).global;
      return { files: g.files, bytes: g.bytes };
    });
  }

  /** GET /rest/db/status. */
  status(id: string): Record<string, unknown> {
    this.folderCfg(id);
    const r = this.runners.get(id);
    if (!r) return emptySummary();
    return folderSummary({
      counts: this.d.index.counts(id),
      state: r.state,
      stateChangedMs: r.stateChangedMs,
      error: r.error,
      errors: r.scanErrors.length + r.pullErrors.length,
      sequence: this.d.index.sequence(id),
      ignorePatterns: r.hasIgnorePatterns,
      watchError: r.watchError,
    });
  }

  /**
   * GET /rest/db/file: the local and global record of one name, the mtime mapping, and the
   * connected devices that hold the global version (each `{id, fromTemporary}`, as v1.27's
   * Availability): devices whose ClusterConfig shares the folder with us validly.
   */
  file(id: string, name: string): { availability: { id: string; fromTemporary: boolean }[]; global?: FileInfo; local?: FileInfo; mtime?: { diskNs: bigint; virtualNs: bigint } } {
    this.folderCfg(id);
    let clean: string;
    try {
      clean = cleanRelPath(name, 'file');
    } catch {
      throw new AppError('not-found', 'No such object in the index');
    }
    const local = this.d.index.getLocal(id, clean);
    const global = this.d.index.getGlobal(id, clean);
    if (!local && !global) throw new AppError('not-found', 'No such object in the index');
    const holders = this.d.index.versionList(id, clean, LOCAL_DEVICE_ID).find((e) => e.devices.length > 0)?.devices ?? [];
    const availability = holders.filter((dev) => dev !== LOCAL_DEVICE_ID && this.d.remoteState?.(id, dev) === 'valid').map((dev) => ({ id: dev, fromTemporary: false }));
    return { availability, global, local, mtime: this.d.index.mtime(id, clean) };
  }

  /**
   * GET /rest/debug/file: the local and global record (absent ones are zero records, as Syncthing
   * prints them), the devices that hold the global version (this device as Syncthing's
   * LocalDeviceID, connected or not), and the version list behind the global: one entry per
   * distinct version, best first, each with the devices holding it validly and invalidly.
   */
  debugFile(id: string, name: string): { local: FileInfo; global: FileInfo; availability: string[]; versions: { version: [string, number][]; deleted: boolean; devices: string[]; invalid: string[] }[]; mtime?: { diskNs: bigint; virtualNs: bigint } } {
    if (!this.runners.has(id)) throw new AppError('not-found', this.folderCfg(id).paused ? 'folder is paused' : 'folder is not running');
    let clean = '';
    try {
      clean = cleanRelPath(name, 'file');
    } catch {
      // an unclean name is in no index: zero records
    }
    const local = clean ? this.d.index.getLocal(id, clean) : undefined;
    const global = clean ? this.d.index.getGlobal(id, clean) : undefined;
    const versions = clean ? this.d.index.versionList(id, clean, LOCAL_DEVICE_ID) : [];
    const availability = versions.find((e) => e.devices.length > 0)?.devices ?? [];
    return { local: local ?? zeroFile(), global: global ?? zeroFile(), availability, versions, mtime: clean ? this.d.index.mtime(id, clean) : undefined };
  }

  /** GET /rest/db/browse: the global tree under `prefix`, `levels` deep (undefined or < 0 = all). */
  browse(id: string, prefix: string, levels: number | undefined, dirsOnly: boolean): TreeNode[] {
    this.folderCfg(id);
    // Syncthing answers a paused folder as a missing one here.
    if (!this.runners.has(id)) throw new AppError('not-found', FOLDER_MISSING);
    const dir = cleanRelPath(prefix, 'prefix');
    const keep = (r: TreeRow) => !dirsOnly || r.type === 1;
    const node = (r: TreeRow): TreeNode => ({ name: r.name.slice(r.name.lastIndexOf('/') + 1), modifiedNs: r.modifiedNs, size: r.size, type: r.type });
    if (levels === 0) return this.d.index.children(id, dir).filter(keep).map(node);

    const max = levels === undefined || levels < 0 ? Number.POSITIVE_INFINITY : levels;
    const base = dir === '' ? 0 : dir.split('/').length;
    const root: TreeNode[] = [];
    const dirs = new Map<string, TreeNode>();
    for (const r of this.d.index.subtree(id, dir)) {
      const depth = r.name.split('/').length - base - 1;
      if (depth > max || !keep(r)) continue;
      const n = node(r);
      if (r.type === 1 && depth < max) {
        n.children = [];
        dirs.set(r.name, n);
      }
      const parent = r.name.slice(0, Math.max(0, r.name.lastIndexOf('/')));
      if (depth === 0) root.push(n);
      else dirs.get(parent)?.children?.push(n);
    }
    return root;
  }

  /** A remote device's need in a folder, counted a slice of the index at a time so a big folder never holds the event loop. */
  private async remoteNeedCounts(id: string, device: string): Promise<Counts> {
    const total: Counts = { files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 };
    for (let after: string | undefined = ''; after !== undefined; ) {
      const { counts, next } = this.d.index.remoteNeedSlice(id, device, after, NEED_SLICE);
      for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += counts[k];
      after = next;
      if (next !== undefined) await new Promise<void>((r) => setImmediate(r));
      if (!this.runners.has(id)) break;
    }
    return total;
  }

  private async completionOf(id: string, device: string): Promise<Completion> {
    const counts = this.d.index.counts(id);
    const global = counts.global;
    let need: Counts = counts.need;
    let remoteState = 'valid';
    let sequence = this.d.index.sequence(id);
    if (device !== '' && device !== this.d.myId) {
      const f = this.folderCfg(id);
      const dev = this.d.config.current().devices.find((x) => x.deviceID === device);
      remoteState = !f.devices.some((x) => x.deviceID === device) ? 'notSharing' : dev?.paused ? 'paused' : (this.d.remoteState?.(id, device) ?? 'unknown');
      need = await this.remoteNeedCounts(id, device);
      sequence = this.d.index.indexInfo(id, device).maxSequence;
    }
    return {
      completion: 0,
      globalBytes: global.bytes,
      globalItems: totalItems(global),
      needBytes: need.bytes,
      needDeletes: need.deleted,
      needItems: need.files + need.directories + need.symlinks,
      remoteState,
      sequence,
    };
  }

  /** GET /rest/db/completion for one folder, or aggregated over every running folder when `id` is "". */
  async completion(id: string, device: string): Promise<Completion> {
    const pct = (c: Completion): Completion => {
      let completion = c.globalBytes === 0 ? 100 : 100 * (1 - c.needBytes / c.globalBytes);
      if (c.needBytes === 0 && c.needDeletes > 0) completion = 95;
      return { ...c, completion };
    };
    if (id !== '') {
      this.runner(id);
      return pct(await this.completionOf(id, device));
    }
    // Every running folder for this device; for another device, only the folders shared with it.
    // As Syncthing's aggregate: the counts add up, sequence and remoteState are not aggregated
    // (0 and "unknown"), and with no folder at all nothing is computed (completion 0).
    const mine = device === '' || device === this.d.myId;
    const shared = this.d.config.current().folders.filter((f) => this.runners.has(f.id) && (mine || f.devices.some((x) => x.deviceID === device)));
    const parts: Completion[] = [];
    for (const f of shared) parts.push(await this.completionOf(f.id, device));
    const none: Completion = { completion: 0, globalBytes: 0, globalItems: 0, needBytes: 0, needDeletes: 0, needItems: 0, remoteState: 'unknown', sequence: 0 };
    if (parts.length === 0) return none;
    const sum = (k: keyof Completion) => parts.reduce((a, p) => a + (p[k] as number), 0);
    return pct({
      ...none,
      globalBytes: sum('globalBytes'),
      globalItems: sum('globalItems'),
      needBytes: sum('needBytes'),
      needDeletes: sum('needDeletes'),
      needItems: sum('needItems'),
    });
  }

  /**
   * GET /rest/db/need (1.19.2's NeedFolderFiles): the files being pulled, then the queued ones,
   * then the rest of the need, one page over the three.
   */
  need(id: string, page?: number, perpage?: number): { page: number; perpage: number; progress: FileInfo[]; queued: FileInfo[]; rest: FileInfo[] } {
    // A folder that is not running has no file set to ask ("no such folder").
    const r = this.runners.get(id);
    if (!r) throw new AppError('not-found', FOLDER_MISSING);
    const p = paging(page, perpage);
    const jobs = r.puller?.queue.jobs(0, Number.MAX_SAFE_INTEGER) ?? { progress: [], queued: [] };
    const named = (names: string[]) => names.map((n) => this.d.index.getGlobal(id, n)).filter((f): f is FileInfo => f !== undefined);
    const seen = new Set([...jobs.progress, ...jobs.queued]);
    const all = [...jobs.progress.map((n) => ['progress', n] as const), ...jobs.queued.map((n) => ['queued', n] as const)];
    const window = all.slice(p.offset, p.offset + p.perpage);
    const left = p.perpage - window.length;
    const restOffset = Math.max(0, p.offset - all.length);
    const rest = left > 0 ? this.d.index.needed(id, restOffset, left + seen.size).filter((f) => !seen.has(f.name)).slice(0, left) : [];
    return {
      page: p.page,
      perpage: p.perpage,
      progress: named(window.filter(([k]) => k === 'progress').map(([, n]) => n)),
      queued: named(window.filter(([k]) => k === 'queued').map(([, n]) => n)),
      rest,
    };
  }

  /** POST /rest/db/prio: the file goes first in the pull queue; answers the need page as Syncthing does. */
  prio(id: string, file: string, page?: number, perpage?: number): ReturnType<FolderService['need']> {
    const r = this.runners.get(id);
    if (!r) throw new AppError('not-found', FOLDER_MISSING);
    r.bringToFront(file);
    return this.need(id, page, perpage);
  }

  remoteNeed(id: string, device: string, page?: number, perpage?: number): Page<FileInfo> {
    this.runner(id);
    const p = paging(page, perpage);
    return { page: p.page, perpage: p.perpage, items: this.d.index.remoteNeed(id, device, p.offset, p.perpage) };
  }

  localChanged(id: string, page?: number, perpage?: number): Page<FileInfo> {
    this.runner(id);
    const p = paging(page, perpage);
    return { page: p.page, perpage: p.perpage, items: this.d.index.localWithFlags(id, Flag.ReceiveOnly, p.offset, p.perpage) };
  }

  /** GET /rest/folder/errors: the errors of the last scans and of the last pull, by path, paged. */
  errors(id: string, page?: number, perpage?: number): { page: number; perpage: number; errors: ScanError[] | null } {
    const r = this.runner(id); // unknown: "no such folder"; paused: "folder is paused" (404 both, as Syncthing)
    const p = paging(page, perpage);
    const all = [...r.scanErrors, ...r.pullErrors].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const slice = all.slice(p.offset, p.offset + p.perpage);
    return { page: p.page, perpage: p.perpage, errors: p.offset >= all.length ? null : slice };
  }

  /**
   * What serving a peer's block requests needs of a running folder: its root, its ignores as last
   * read, the block hashes our index holds, and a rescan of one file. Undefined when it does not run.
   */
  served(id: string): ServedFolder | undefined {
    const r = this.runners.get(id);
    if (!r) return undefined;
    return {
      root: r.root,
      ignored: (name) => {
        const ig = r.currentIgnores();
        if (ig?.error) return undefined;
        return ig?.matcher.match(name).ignored ?? false;
      },
      indexedBlock: (name, offset) => {
        const f = this.d.index.getLocal(id, name);
        if (!f || f.deleted || f.type !== FileType.File || (f.localFlags & INVALID_FLAGS) !== 0 || f.blockSize <= 0) return undefined;
        const i = Math.floor(offset / f.blockSize);
        return i * 32 < f.blockHashes.length ? f.blockHashes.subarray(i * 32, i * 32 + 32) : undefined;
      },
      rescan: (name) => this.scan(id, [name]),
    };
  }

  /** POST /rest/db/scan for one folder; resolves when the scan has finished. */
  async scan(id: string, subs: string[], nextS?: number, signal?: AbortSignal): Promise<void> {
    let r: FolderRunner;
    try {
      r = this.runner(id);
    } catch (err) {
      throw new AppError('internal', (err as Error).message);
    }
    const clean = subs.map((s) => cleanRelPath(s, 'sub'));
    for (const sub of clean) await this.refuseLinkedParents(r.root, sub);
    await r.scan(clean.filter((s) => s !== ''), signal);
    if (nextS !== undefined && nextS > 0) r.scheduleNext(nextS);
  }

  /** A sub path may not pass through a symlink: that would read outside the folder. */
  private async refuseLinkedParents(root: string, sub: string): Promise<void> {
    const parts = sub.split('/');
    for (let i = 1; i < parts.length; i++) {
      const st = await fs.lstat(path.join(root, ...parts.slice(0, i))).catch(() => undefined);
      if (st?.isSymbolicLink()) throw new AppError('invalid', `invalid sub ${JSON.stringify(sub)}: traverses a symbolic link`);
    }
  }

  /** POST /rest/db/scan without a folder: every running folder; failures by folder. */
  async scanAll(signal?: AbortSignal): Promise<Record<string, string>> {
    const failed: Record<string, string> = {};
    await Promise.all(
      [...this.runners.keys()].map((id) =>
        this.scan(id, [], undefined, signal).catch((err: Error) => {
          failed[id] = err.message;
        }),
      ),
    );
    return failed;
  }

  /** POST /rest/db/revert: undoes a receive-only folder's local changes; unknown folders and other types do nothing. */
  revert(id: string, signal?: AbortSignal): Promise<void> {
    return this.runners.get(id)?.revert(signal) ?? Promise.resolve();
  }

  /** POST /rest/db/override: makes a send-only folder's copy win; unknown folders and other types do nothing. */
  override(id: string, signal?: AbortSignal): Promise<void> {
    return this.runners.get(id)?.override(signal) ?? Promise.resolve();
  }

  /** Changes the folder's watch saw, by outcome (zeros when it has none). */
  watchCounts(id: string): { ignored: number; queued: number } {
    return this.runners.get(id)?.watchCounts ?? { ignored: 0, queued: 0 };
  }

  /** How far the folder's current scan is: bytes hashed of bytes to hash (for async scan jobs). */
  scanProgress(id: string): { folder: string; state: string; current: number; total: number } | null {
    const r = this.runners.get(id);
    if (!r) return null;
    return { folder: id, state: r.state, current: r.progress.hashed, total: r.progress.toHash };
  }

  private versioner(id: string): Versioner {
    let r: FolderRunner;
    try {
      r = this.runner(id);
    } catch (err) {
      throw new AppError('internal', FOLDER_MISSING, { cause: err });
    }
    if (!r.versioner) throw new AppError('internal', 'folder has no versioner');
    return r.versioner;
  }

  /** GET /rest/folder/versions: every stored version by path (spec index §6). */
  async versions(id: string): Promise<Map<string, FileVersion[]>> {
    return this.versioner(id).versions();
  }

  /**
   * POST /rest/folder/versions: restores each path to the version made at the given time (ms).
   * Returns the failures by path; a path that fails is left as it was. Names are made clean and
   * canonical first, so `doc.txt` and `./doc.txt` are one file: the first one asked for is
   * restored, a second naming the same file fails as a duplicate. The restores run as one job of
   * the folder's queue, and the restored paths are rescanned in it.
   */
  async restoreVersions(id: string, wanted: Map<string, number>, signal?: AbortSignal): Promise<Map<string, string>> {
    const v = this.versioner(id);
    const r = this.runners.get(id)!;
    const failed = new Map<string, string>();
    const byClean = new Map<string, { name: string; atMs: number }>();
    for (const [name, atMs] of wanted) {
      let clean: string;
      try {
        clean = cleanRelPath(name, 'file');
        if (clean === '') throw new AppError('invalid', 'invalid file: empty path');
      } catch (err) {
        failed.set(name, `${v.type} versioner: restore: ${messageOf(err)}`);
        continue;
      }
      const first = byClean.get(clean);
      if (first) failed.set(name, `${v.type} versioner: restore: ${JSON.stringify(name)} names the same file as ${JSON.stringify(first.name)}`);
      else byClean.set(clean, { name, atMs });
    }
    const jobs = new Map([...byClean].map(([clean, w]) => [clean, w.atMs]));
    const names = new Map([...byClean].map(([clean, w]) => [clean, w.name]));
    const failures = await r.restore(
      jobs,
      async (clean, atMs) => {
        try {
          await v.restore(clean, atMs);
        } catch (err) {
          throw new AppError(err instanceof AppError ? err.kind : 'internal', `${v.type} versioner: restore: ${messageOf(err)}`, { cause: err });
        }
      },
      signal,
    );
    for (const [clean, msg] of failures) failed.set(names.get(clean)!, msg);
    return failed;
  }

  /** Bytes hashed by every scan since start. */
  hashedBytes(): number {
    return this.hashedTotal;
  }

  private pullTotals(id: string): PullTotals {
    let t = this.pullsPerFolder.get(id);
    if (!t) this.pullsPerFolder.set(id, (t = { pulls: 0, seconds: 0, processed: { network: 0, local_origin: 0, local_other: 0, local_shifted: 0, skipped: 0 } }));
    return t;
  }

  /** Pull iterations, seconds and processed bytes since start, per configured folder (zeros for one that never pulled). */
  pullTotalsByFolder(): Map<string, PullTotals> {
    return new Map(this.d.config.current().folders.map((f) => [f.id, this.pullTotals(f.id)]));
  }

  /** Bytes hashed since start, per configured folder. */
  hashedBytesByFolder(): Map<string, number> {
    return new Map(this.d.config.current().folders.map((f) => [f.id, this.hashedPerFolder.get(f.id) ?? 0]));
  }

  /**
   * GET /rest/debug/peerCompletion: each remote device's completion averaged over the folders
   * shared with it, as a whole percent. As in Syncthing, a device that is not connected counts 0
   * for the folder; this service opens no device connections, so only a remote state of "valid"
   * (an index received from a connected peer) would ever count more.
   */
  async peerCompletion(): Promise<Record<string, number>> {
    const sum = new Map<string, { total: number; n: number }>();
    for (const f of this.d.config.current().folders) {
      for (const dev of f.devices) {
        if (dev.deviceID === this.d.myId) continue;
        const acc = sum.get(dev.deviceID) ?? { total: 0, n: 0 };
        const c = this.runners.has(f.id) ? await this.completion(f.id, dev.deviceID) : undefined;
        acc.total += c?.remoteState === 'valid' ? c.completion : 0;
        acc.n++;
        sum.set(dev.deviceID, acc);
      }
    }
    const out: Record<string, number> = {};
    for (const id of [...sum.keys()].sort()) out[id] = Math.trunc(sum.get(id)!.total / sum.get(id)!.n);
    return out;
  }

  /** The IDs of the configured folders, in config order. */
  folderIds(): string[] {
    return this.d.config.current().folders.map((f) => f.id);
  }

  /** GET /rest/stats/folder. */
  folderStats(): Record<string, { lastScanNs: bigint; lastFileName: string; lastFileAtNs: bigint; lastFileDeleted: boolean }> {
    const out: Record<string, ReturnType<IndexStore['stats']>> = {};
    for (const f of [...this.d.config.current().folders].sort((a, b) => (a.id < b.id ? -1 : 1))) out[f.id] = this.d.index.stats(f.id);
    return out;
  }

}
