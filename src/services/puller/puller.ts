import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Request } from '../../bep/messages.js';
import type { FolderConfiguration } from '../../config/types.js';
import type { EventSink } from '../../events/types.js';
import type { IndexStore } from '../../index/index-store.js';
import { isTemporary, tempName } from '../../scanner/names.js';
import { shortIdText } from '../../shared/device-id.js';
import { messageOf } from '../../shared/errors.js';
import { FileType, Flag, mergeVersions, type FileInfo } from '../../shared/file-info.js';
import type { Logger } from '../../shared/logger.js';
import type { Versioner } from '../../versioner/versioner.js';
import type { ByteBudget } from '../byte-budget.js';
import { mapLimit } from '../../shared/map-limit.js';
import { inConflict, moveForConflict } from './conflicts.js';
import { checkParents, code, diskMatches, ERR_MODIFIED, lstatOrNone, PullError, spaceProblem } from './disk.js';
import { fillTemp, type BlockSource, type PullerProgress, type ProcessedSource } from './file-transfer.js';
import { PullQueue } from './pull-queue.js';

export interface PullerDeps {
  cfg: Readonly<FolderConfiguration>;
  root: string;
  index: IndexStore;
  events: EventSink;
  log: Logger;
  nowMs(): number;
  /** Our full ShortID (16 hex digits). */
  shortId: string;
  versioner?: Versioner;
  /** Whether the folder's ignores (as last loaded) ignore a name. */
  ignored(name: string): boolean;
  /** The connected devices that hold the global version of a name validly. */
  availability(name: string): string[];
  request(device: string, q: Omit<Request, 'id'>, signal: AbortSignal): Promise<Uint8Array>;
  /** Local files of any folder with the blocks of `g` (copy sources). */
  sameContent(g: FileInfo): BlockSource[];
  /** Writes pulled records as local ones (with the mtime the disk shows), announcing them. */
  commit(files: FileInfo[], diskMtimes: Map<string, bigint>): void;
  /** The folder starts moving data (sync-preparing → syncing). */
  syncing(): void;
  budget: ByteBudget;
  /** Bytes received for the folder (the rate). */
  received(bytes: number): void;
  /** Bytes put in place by source (metrics). */
  processed?(source: ProcessedSource, bytes: number): void;
}

/** What one pass over the need did. */
export interface PullResult {
  /** Needed items seen (1.19.2 counts failed ones too: another pass is due while it is above 0). */
  changed: number;
  /** Pull errors by name, "syncing: …" as 1.19.2 words them. */
  errors: Map<string, string>;
  /** Names to scan before they can be tried again (and conflict copies to announce). */
  rescan: Set<string>;
}

const ERR_DIR_PREFIX = 'directory has been deleted on a remote device but ';
const ERR_DIR_SCAN = ERR_DIR_PREFIX + 'contains changed files, scheduling scan';
const ERR_DIR_IGNORED = ERR_DIR_PREFIX + 'contains ignored files (see ignore documentation for (?d) prefix)';
const ERR_DIR_NOT_EMPTY = ERR_DIR_PREFIX + 'is not empty; the contents are probably ignored on that remote device, but not locally';
const ERR_NOT_AVAILABLE = 'no connected device has the required version of this file';
/** Needed names read from the index at a time. */
const PAGE = 1000;
/** Files pulled at once (their blocks share the folder's byte budget). */
const FILES_AT_ONCE = 16;
/** Pulled records written per transaction, and the longest they wait. */
const COMMIT_BATCH = 500;
const COMMIT_MS = 500;

const TYPE: Record<number, string> = { [FileType.File]: 'file', [FileType.Directory]: 'dir', [FileType.Symlink]: 'symlink' };

/**
 * One folder's puller (1.19.2's sendReceiveFolder pull iteration, bep.md §1.9–1.11): the need in
 * name order, directories and symlinks at once, files queued in the folder's order and pulled
 * sixteen at a time (metadata-only changes without data, renames by moving the deleted file with
 * the same blocks), then file deletions and, deepest first, directory deletions. Whatever the disk
 * holds is checked against the index before it is replaced or deleted; what a replace or delete
 * removes goes to the versioner, or to a conflict copy when the versions are concurrent.
 */
export class Puller {
  readonly queue = new PullQueue();
  /** Files being pulled and how far each is (DownloadProgress). */
  readonly progress = new Map<string, PullerProgress>();
  private errors = new Map<string, string>();
  private rescan = new Set<string>();
  private pending: FileInfo[] = [];
  private pendingMtimes = new Map<string, bigint>();
  private pendingSince = 0;
  private realRoot = '';
  private readonly busy = new Map<string, number>();

  constructor(private readonly d: PullerDeps) {}

  private get ignorePerms(): boolean {
    return this.d.cfg.ignorePerms;
  }

  private abs(name: string): string {
    return path.join(this.d.root, name);
  }

  /** One pass over what the folder needs. */
  async iterate(signal: AbortSignal): Promise<PullResult> {
    this.errors = new Map();
    this.rescan = new Set();
    this.realRoot = await fs.realpath(this.d.root);
    const id = this.d.cfg.id;
    let changed = 0;
    const fileDeletions = new Map<string, FileInfo>();
    const dirDeletions: FileInfo[] = [];
    /** Files we have and are to delete, by block list hash: a needed file with the same blocks is a rename. */
    const buckets = new Map<string, FileInfo[]>();
    let syncing = false;
    const startSyncing = () => {
      if (!syncing) (syncing = true), this.d.syncing();
    };
    try {
      for (let after = ''; ; ) {
        const page = this.d.index.neededNames(id, after, PAGE);
        if (page.length === 0) break;
        after = page.at(-1)!.name;
        for (const n of page) {
          signal.throwIfAborted();
          const g = this.d.index.getGlobal(id, n.name);
          if (!g) continue;
          if (this.d.cfg.ignoreDelete && g.deleted) continue;
          changed++;
          startSyncing();
          if (this.d.ignored(g.name)) {
            // Never touched on disk: recorded as ignored, as a scan would record it.
            this.add({ ...g, localFlags: Flag.Ignored, size: 0, blockSize: 0, blockHashes: new Uint8Array(0), blocksHash: undefined, sequence: 0 });
            continue;
          }
          const cur = this.d.index.getLocal(id, g.name);
          if (g.deleted) {
            if (g.type === FileType.Directory) dirDeletions.push(g);
            else if (g.type === FileType.File && cur && !cur.deleted && cur.type === FileType.File && !(cur.localFlags & Flag.RemoteInvalid) && cur.blocksHash) {
              fileDeletions.set(g.name, g);
              const key = Buffer.from(cur.blocksHash).toString('base64');
              buckets.set(key, [...(buckets.get(key) ?? []), cur]);
            } else await this.item(g, 'delete', () => this.deleteFile(g, cur));
          } else if (g.type === FileType.File) {
            if (cur && !cur.deleted && cur.type === FileType.File && cur.size === g.size && Buffer.compare(cur.blockHashes, g.blockHashes) === 0) {
              await this.item(g, 'metadata', () => this.shortcut(g));
            } else this.queue.push({ name: g.name, size: g.size, modifiedNs: g.modifiedNs });
          } else if (g.type === FileType.Directory) {
            await this.item(g, 'update', () => this.handleDir(g));
          } else {
            await this.item(g, 'update', () => this.handleSymlink(g));
          }
        }
        this.flushIfDue();
      }

      this.queue.order(this.d.cfg.order);
      const worker = async () => {
        for (let q = this.queue.pop(); q; q = this.queue.pop()) {
          try {
            signal.throwIfAborted();
            const g = this.d.index.getGlobal(id, q.name);
            if (!g || g.deleted || g.type !== FileType.File || this.d.ignored(g.name)) continue;
            const cand = g.blocksHash ? buckets.get(Buffer.from(g.blocksHash).toString('base64')) : undefined;
            let renamed = false;
            while (cand?.length && !renamed) {
              const src = cand.shift()!;
              const desired = fileDeletions.get(src.name);
              if (!desired) continue;
              try {
                await this.renameFile(src, desired, g);
                fileDeletions.delete(src.name);
                renamed = true;
              } catch (err) {
                if (signal.aborted) throw err;
                this.d.log.debug(`folder ${id}: rename shortcut ${src.name} → ${g.name} failed: ${messageOf(err)}`);
              }
            }
            if (renamed) continue;
            await this.item(g, 'update', () => this.pullFile(g, signal));
          } finally {
            this.queue.done(q.name);
            this.progress.delete(q.name);
            this.flushIfDue();
          }
        }
      };
      await Promise.all(Array.from({ length: FILES_AT_ONCE }, worker));
      signal.throwIfAborted();

      for (const g of fileDeletions.values()) {
        signal.throwIfAborted();
        await this.item(g, 'delete', () => this.deleteFile(g, this.d.index.getLocal(id, g.name)));
      }
      // Deepest first: in name order every directory comes before what is in it.
      for (const g of dirDeletions.reverse()) {
        signal.throwIfAborted();
        await this.item(g, 'delete', () => this.deleteDir(g));
      }
    } finally {
      this.flush();
      this.queue.clear();
      this.progress.clear();
    }
    return { changed, errors: this.errors, rescan: this.rescan };
  }

  // ---- one item ----

  /** ItemStarted, the work, ItemFinished; a failure becomes the item's pull error. */
  private async item(g: FileInfo, action: 'update' | 'delete' | 'metadata', work: () => Promise<void>): Promise<void> {
    const type = TYPE[g.type] ?? 'file';
    this.d.events.append('ItemStarted', { action, folder: this.d.cfg.id, item: g.name, type });
    let error: string | null = null;
    try {
      await work();
    } catch (err) {
      if (err instanceof PullError) for (const n of err.rescan) this.rescan.add(n);
      error = this.fail(g.name, err);
    }
    this.d.events.append('ItemFinished', { action, error, folder: this.d.cfg.id, item: g.name, type });
  }

  /** Records the first error of a name (1.19.2 keeps the first, closest to the cause). */
  private fail(name: string, err: unknown): string {
    const msg = messageOf(err);
    if (!this.errors.has(name)) this.errors.set(name, `syncing: ${msg}`);
    this.d.log.debug(`folder ${this.d.cfg.id}: pulling ${JSON.stringify(name)}: ${msg}`);
    return msg;
  }

  /** The local record a pulled item becomes: the global one as it is, flags cleared (`flags`: the ones it keeps). */
  private add(f: FileInfo, diskMtimeNs?: bigint, flags = f.localFlags & Flag.Ignored): void {
    if (this.pending.length === 0) this.pendingSince = this.d.nowMs();
    this.pending.push({ ...f, sequence: 0, localFlags: flags });
    if (diskMtimeNs !== undefined) this.pendingMtimes.set(f.name, diskMtimeNs);
    else this.pendingMtimes.delete(f.name);
  }

  private flushIfDue(): void {
    if (this.pending.length >= COMMIT_BATCH || (this.pending.length > 0 && this.d.nowMs() - this.pendingSince >= COMMIT_MS)) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const files = this.pending;
    const mtimes = this.pendingMtimes;
    this.pending = [];
    this.pendingMtimes = new Map();
    this.d.commit(files, mtimes);
  }

  /** The parents of a name are real directories of the folder; missing ones are made (and scanned afterwards). */
  private async checkParent(name: string): Promise<void> {
    const missing = await checkParents(this.d.root, name);
    if (!missing) return;
    const parent = name.slice(0, name.lastIndexOf('/'));
    await fs.mkdir(this.abs(parent), { recursive: true, mode: 0o755 });
    await checkParents(this.d.root, name);
    this.rescan.add(parent);
  }

  /**
   * What is at `name` on disk must be what the index holds before it is replaced; then it goes
   * as a conflict copy (a file whose version is concurrent with the new one), to the versioner
   * (a file), or away (a symlink; a directory only when nothing in it is ours to keep).
   */
  private async clearWay(g: FileInfo, cur: FileInfo | undefined): Promise<void> {
    const abs = this.abs(g.name);
    const st = await lstatOrNone(abs);
    if (!st) return;
    if (!(await diskMatches(abs, st, this.d.index.getBrief(this.d.cfg.id, g.name), this.ignorePerms))) throw new PullError(ERR_MODIFIED, [g.name]);
    if (cur && cur.type === FileType.File && inConflict(cur.version, g.version, this.d.shortId)) {
      const copy = await moveForConflict(this.d.root, g.name, shortIdText(g.modifiedBy), this.d.cfg.maxConflicts, new Date(this.d.nowMs()));
      if (copy) this.rescan.add(copy);
      return;
    }
    await this.removeOnDisk(g.name, cur?.type ?? FileType.File);
  }

  private async removeOnDisk(name: string, type: FileType): Promise<void> {
    try {
      if (type === FileType.Directory) await this.deleteDirOnDisk(name);
      else if (type === FileType.File && this.d.versioner) await this.d.versioner.archive(name);
      else await fs.rm(this.abs(name), { force: true });
    } catch (err) {
      if (err instanceof PullError) throw err;
      throw new PullError(`removing item to be replaced: ${messageOf(err)}`);
    }
  }

  private mode(g: FileInfo): number | undefined {
    return this.ignorePerms || g.noPermissions ? undefined : g.permissions & 0o777;
  }

  // ---- directories and symlinks ----

  private async handleDir(g: FileInfo): Promise<void> {
    await this.checkParent(g.name);
    const abs = this.abs(g.name);
    const st = await lstatOrNone(abs);
    const mode = this.mode(g);
    if (st?.isDirectory()) {
      if (mode !== undefined && Number(st.mode & 0o777n) !== mode) await fs.chmod(abs, mode);
    } else {
      if (st) await this.clearWay(g, this.d.index.getLocal(this.d.cfg.id, g.name));
      try {
        await fs.mkdir(abs, { mode: mode ?? 0o777 });
      } catch (err) {
        throw new PullError(`creating directory: ${messageOf(err)}`);
      }
      // mkdir's mode passes through the umask.
      if (mode !== undefined) await fs.chmod(abs, mode);
    }
    this.add(g);
  }

  private async handleSymlink(g: FileInfo): Promise<void> {
    if (!g.symlinkTarget) throw new PullError('incompatible symlink entry; rescan with newer Syncthing on source');
    await this.checkParent(g.name);
    const abs = this.abs(g.name);
    if (await lstatOrNone(abs)) await this.clearWay(g, this.d.index.getLocal(this.d.cfg.id, g.name));
    try {
      await fs.symlink(g.symlinkTarget, abs);
    } catch (err) {
      throw new PullError(`symlink create: ${messageOf(err)}`);
    }
    this.add(g);
  }

  // ---- files ----

  /** Same blocks: only permissions and the mtime change (1.19.2's shortcutFile), after checking the disk is what we indexed. */
  private async shortcut(g: FileInfo): Promise<void> {
    await this.checkParent(g.name);
    const abs = this.abs(g.name);
    const st = await lstatOrNone(abs);
    if (!st || !(await diskMatches(abs, st, this.d.index.getBrief(this.d.cfg.id, g.name), this.ignorePerms))) throw new PullError(ERR_MODIFIED, [g.name]);
    const mode = this.mode(g);
    if (mode !== undefined) await fs.chmod(abs, mode);
    this.add(g, await this.setMtime(abs, g.modifiedNs));
  }

  /**
   * Sets the mtime and returns what the disk then shows. Node passes it as a double, which libuv
   * truncates to the microsecond: half a microsecond more lands on the right one despite the
   * double's 0.24 µs steps; the nanoseconds below go into the mtime map.
   */
  private async setMtime(abs: string, ns: bigint): Promise<bigint> {
    const s = Number(ns / 1000n) / 1e6 + 5e-7;
    await fs.utimes(abs, s, s);
    return (await fs.lstat(abs, { bigint: true })).mtimeNs;
  }

  private async pullFile(g: FileInfo, signal: AbortSignal): Promise<void> {
    const id = this.d.cfg.id;
    await this.checkParent(g.name);
    const devices = () => this.d.availability(g.name);
    const cur = this.d.index.getLocal(id, g.name);
    const space = await spaceProblem(this.d.root, g.size, this.d.cfg.minDiskFree);
    if (space) throw new PullError(`insufficient space in folder ${this.d.cfg.label ? `${JSON.stringify(this.d.cfg.label)} (${id})` : id} (${this.d.root}): ${space}`);
    const sources: BlockSource[] = [];
    if (cur && !cur.deleted && cur.type === FileType.File && cur.blockHashes.length > 0) sources.push({ abs: this.abs(g.name), blockHashes: cur.blockHashes, blockSize: cur.blockSize, size: cur.size, origin: true });
    if (g.blocksHash) sources.push(...this.d.sameContent(g));
    if (devices().length === 0 && sources.length === 0 && g.size > 0) throw new PullError(ERR_NOT_AVAILABLE);
    const progress: PullerProgress = { total: 0, reused: 0, copiedFromOrigin: 0, copiedFromOriginShifted: 0, copiedFromElsewhere: 0, pulled: 0, pulling: 0, bytesDone: 0, bytesTotal: g.size };
    this.progress.set(g.name, progress);
    const temp = tempName(g.name);
    await fillTemp(g, temp, {
      root: this.d.root,
      realRoot: this.realRoot,
      folder: id,
      devices,
      request: this.d.request,
      budget: this.d.budget,
      busy: this.busy,
      sources,
      fsync: !this.d.cfg.disableFsync,
      sparse: !this.d.cfg.disableSparseFiles,
      signal,
      progress,
      received: this.d.received,
      ...(this.d.processed ? { processed: this.d.processed } : {}),
    });
    await this.finish(g, cur, temp);
  }

  /** 1.19.2's performFinish: the temp file gets its mode (and owner), what is in the way goes, the rename, then the mtime. */
  private async finish(g: FileInfo, cur: FileInfo | undefined, temp: string): Promise<void> {
    const tempAbs = this.abs(temp);
    await fs.chmod(tempAbs, this.mode(g) ?? 0o644);
    if (this.d.cfg.copyOwnershipFromParent && process.getuid?.() === 0) {
      const parent = await fs.stat(path.dirname(tempAbs));
      await fs.lchown(tempAbs, parent.uid, parent.gid);
    }
    await this.clearWay(g, cur);
    await fs.rename(tempAbs, this.abs(g.name));
    this.add(g, await this.setMtime(this.abs(g.name), g.modifiedNs));
  }

  /** A needed file with the blocks of a file we are to delete: that file is moved (copied, with a versioner) instead of pulled. */
  private async renameFile(cur: FileInfo, source: FileInfo, target: FileInfo): Promise<void> {
    const id = this.d.cfg.id;
    const ev = (kind: 'ItemStarted' | 'ItemFinished', f: FileInfo, action: string, error?: string | null) =>
      this.d.events.append(kind, { action, ...(kind === 'ItemFinished' ? { error: error ?? null } : {}), folder: id, item: f.name, type: 'file' });
    ev('ItemStarted', source, 'delete');
    ev('ItemStarted', target, 'update');
    let error: string | null = null;
    try {
      await this.checkParent(target.name);
      await this.checkToBeDeleted(source, cur);
      const curTarget = this.d.index.getLocal(id, target.name);
      const st = await lstatOrNone(this.abs(target.name));
      if (st ? !(await diskMatches(this.abs(target.name), st, this.d.index.getBrief(id, target.name), this.ignorePerms)) : curTarget && !curTarget.deleted) {
        throw new PullError(ERR_MODIFIED, [target.name]);
      }
      const temp = tempName(target.name);
      if (this.d.versioner) {
        await fs.copyFile(this.abs(source.name), this.abs(temp), fsc.COPYFILE_FICLONE);
        await this.d.versioner.archive(source.name);
      } else await fs.rename(this.abs(source.name), this.abs(temp));
      await this.finish(target, curTarget, temp);
      this.add(source);
    } catch (err) {
      error = messageOf(err);
      throw err;
    } finally {
      ev('ItemFinished', source, 'delete', error);
      ev('ItemFinished', target, 'update', error);
    }
  }

  // ---- deletions ----

  /**
   * Whether the item may be deleted (1.19.2's checkToBeDeleted): behind a symlink or already gone
   * it counts as deleted ('gone'); one we hold that is gone from disk, or that changed, is
   * scanned first.
   */
  private async checkToBeDeleted(g: FileInfo, cur: FileInfo | undefined): Promise<'present' | 'gone'> {
    try {
      await checkParents(this.d.root, g.name);
    } catch {
      return 'gone';
    }
    const abs = this.abs(g.name);
    const st = await lstatOrNone(abs);
    if (!st) {
      if (cur && !cur.deleted && !(cur.localFlags & Flag.Unsupported)) throw new PullError(ERR_MODIFIED, [g.name]);
      return 'gone';
    }
    if (!(await diskMatches(abs, st, this.d.index.getBrief(this.d.cfg.id, g.name), this.ignorePerms))) throw new PullError(ERR_MODIFIED, [g.name]);
    return 'present';
  }

  private async deleteFile(g: FileInfo, cur: FileInfo | undefined): Promise<void> {
    if ((await this.checkToBeDeleted(g, cur)) === 'gone') return this.add(g);
    if (!cur) return this.add(g);
    if (cur.type === FileType.Directory) throw new PullError('delete file: encountered directory when trying to remove file/symlink');
    if (inConflict(cur.version, g.version, this.d.shortId)) {
      // A modification beats a deletion: ours stays, with a version that has seen theirs.
      const m = this.d.index.mtime(this.d.cfg.id, cur.name);
      this.add({ ...cur, version: mergeVersions(cur.version, g.version) }, m?.virtualNs === cur.modifiedNs ? m.diskNs : undefined, cur.localFlags & ~(Flag.Global | Flag.Needed));
      return;
    }
    try {
      if (this.d.versioner && cur.type === FileType.File) await this.d.versioner.archive(g.name);
      else await fs.rm(this.abs(g.name), { force: true });
    } catch (err) {
      throw new PullError(`delete file: ${messageOf(err)}`);
    }
    this.add(g);
  }

  private async deleteDir(g: FileInfo): Promise<void> {
    const cur = this.d.index.getLocal(this.d.cfg.id, g.name);
    if ((await this.checkToBeDeleted(g, cur)) === 'gone') return this.add(g);
    await this.deleteDirOnDisk(g.name);
    this.add(g);
  }

  /**
   * Removes a directory (1.19.2's deleteDirOnDisk): temp files and what the ignores mark
   * deletable go with it; anything else in it keeps it, with the reason, and what changed is
   * scanned.
   */
  private async deleteDirOnDisk(dir: string): Promise<void> {
    const id = this.d.cfg.id;
    let hasIgnored = false;
    let hasKnown = false;
    let toScan = false;
    const rescan: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(this.abs(rel), { withFileTypes: true }).catch((err: unknown) => {
        if (code(err) === 'ENOENT') return [];
        throw err;
      });
      await mapLimit(entries, 8, async (e) => {
        const child = `${rel}/${e.name}`;
        if (isTemporary(e.name)) return void (await fs.rm(this.abs(child), { recursive: true, force: true }));
        if (this.d.ignored(child)) return void (hasIgnored = true);
        const rec = this.d.index.getBrief(id, child);
        const st = await lstatOrNone(this.abs(child));
        if (!rec || rec.deleted || !st || !(await diskMatches(this.abs(child), st, rec, this.ignorePerms))) {
          toScan = true;
          rescan.push(child);
          return;
        }
        if (e.isDirectory()) await walk(child);
        hasKnown = true;
      });
    };
    await walk(dir);
    if (toScan) throw new PullError(ERR_DIR_SCAN, rescan);
    if (hasIgnored) throw new PullError(ERR_DIR_IGNORED);
    if (hasKnown) throw new PullError(ERR_DIR_NOT_EMPTY);
    try {
      await fs.rmdir(this.abs(dir));
    } catch (err) {
      if (code(err) !== 'ENOENT') throw new PullError(`delete dir: ${messageOf(err)}`);
    }
  }
}
