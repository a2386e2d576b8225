import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { FileType, Flag, type FileInfo } from '../shared/file-info.js';
import { blockSizeWithHysteresis } from './block-size.js';
import { deletedRecord, ignoredRecord, nextVersion, recordFor, unchanged, type Brief, type ScanFlags } from './change.js';
import { windowsNameProblem } from './names.js';
import type { ScanPool } from './worker-pool.js';
import type { HashRequestFile, HashResult, WalkEntry } from './walk-types.js';
import { IgnoreMatcher, type Pattern } from './ignore-pattern.js';
import { messageOf } from '../shared/errors.js';

/** What the scanner reads of the index (it never sees the database itself). */
export interface CurrentFiler {
  get(name: string): FileInfo | undefined;
  /** The compared fields of every record directly in a directory ("" = root), by name: one call per directory walked. */
  briefChildren(parent: string): Map<string, Brief>;
  /** Names (and deleted flags) at and under `prefix`, in name order, paged: all pass 2 needs to read. */
  namesUnder(prefix: string, after: string, limit: number): { name: string; deleted: boolean }[];
  /** A few other live local records with the same content (for rename detection). */
  sameContent(blocksHash: Uint8Array, exceptName: string): { name: string; size: number }[];
}

export interface ScanError {
  path: string;
  error: string;
}

export interface ScanRequest extends ScanFlags {
  root: string;
  /** The folder's ignore patterns ([] for none). */
  ignore: Pattern[];
  /** The same patterns compiled, when the caller has them already (otherwise compiled here). */
  matcher?: IgnoreMatcher;
  /** A name for the pattern set (its hash) under which workers keep it compiled; derived when absent. */
  ignoreKey?: string;
  /** Sub paths to scan ("" or none = the whole folder). */
  subs: string[];
  autoNormalize: boolean;
  caseSensitiveFS: boolean;
  keepTemporariesH: number;
  shortId: string;
  nowMs: () => number;
  /**
   * Commits one batch (≤ 1000 records or 5000 blocks) and the names whose record is to go
   * altogether; the scan waits for it.
   */
  commit(batch: FileInfo[], dropped: string[]): Promise<void> | void;
  /** False for receive-encrypted folders: files are recorded from the walk alone, never hashed. */
  hash?: boolean;
  signal?: AbortSignal;
}

export interface ScanProgress {
  /** Bytes queued for hashing so far (the total is final once `walkDone`). */
  toHash: number;
  hashed: number;
  walkDone: boolean;
}

export interface ScanResult {
  errors: ScanError[];
  changed: number;
}

const MAX_BATCH_FILES = 1000;
const MAX_BATCH_BLOCKS = 5000;
const HASH_TASK_BYTES = 8 << 20;
const HASH_TASK_FILES = 64;

/**
 * Syncthing's order of sub paths: sorted, nested ones dropped, "" or "." meaning everything, and a
 * path whose parent is not indexed widened to its highest ancestor that is not indexed either, so
 * that a new directory is recorded along with the file that was seen in it.
 */
export function unifySubs(subs: string[], current: Pick<CurrentFiler, 'get'>): string[] {
  const clean = subs.map((s) => s.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/'));
  if (clean.length === 0 || clean.some((s) => s === '' || s === '.')) return [''];
  const widened = clean.map((s) => {
    let top = s;
    for (let p = path.posix.dirname(s); p !== '.'; p = path.posix.dirname(p)) {
      const rec = current.get(p);
      if (rec && !rec.deleted) break;
      top = p;
    }
    return top;
  });
  const sorted = [...new Set(widened)].sort();
  return sorted.filter((s, i) => !sorted.slice(0, i).some((p) => s.startsWith(p + '/')));
}

/**
 * One scan of a folder (spec index §2): pass 1 walks the sub paths and hashes what changed, pass 2
 * goes through the index under the same paths and records what is gone. Results are committed in
 * bounded batches as they come. A bad file is a per-path error in the result, not a failure; a
 * failed commit (the marker gone, the index refusing) fails the whole scan with that error, and
 * an abort of `req.signal` stops it within a block's hashing time with the signal's reason. Either
 * way the walk and the hashing stop at once and nothing more is committed.
 */
export async function scanFolder(pool: ScanPool, current: CurrentFiler, req: ScanRequest, progress: ScanProgress): Promise<ScanResult> {
  const errors: ScanError[] = [];
  const seen = new Set<string>();
  const deletedByRename = new Set<string>();
  let batch: FileInfo[] = [];
  let dropped: string[] = [];
  let batchBlocks = 0;
  let changed = 0;
  const nowS = () => Math.floor(req.nowMs() / 1000);
  const nowNs = () => BigInt(req.nowMs()) * 1_000_000n;

  // One controller stops everything in flight: the caller's abort, or our own first failure.
  const stopper = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, stopper.signal]) : stopper.signal;
  let failure: { err: unknown } | undefined;
  const fail = (err: unknown): void => {
    failure ??= { err };
    stopper.abort(err);
  };
  const checkStop = (): void => {
    if (failure) throw failure.err;
    signal.throwIfAborted();
  };

  // Commits run one after another; `committing` never rejects (a failure goes to fail()).
  let committing: Promise<void> = Promise.resolve();
  const flush = (): void => {
    if (batch.length === 0 && dropped.length === 0) return;
    const b = batch;
    const d = dropped;
    batch = [];
    dropped = [];
    batchBlocks = 0;
    changed += b.length + d.length;
    committing = committing.then(async () => {
      if (!signal.aborted) await req.commit(b, d);
    }).catch(fail);
  };
  const add = (f: FileInfo): void => {
    batch.push(f);
    batchBlocks += f.blockHashes.length / 32;
    if (batch.length >= MAX_BATCH_FILES || batchBlocks >= MAX_BATCH_BLOCKS) flush();
  };

  // Hashing: a queue drained by at most two tasks per worker. `head` instead of shift(): shifting a
  // 100,000-entry array once per file is quadratic.
  let queue: { e: WalkEntry; cur: FileInfo | undefined }[] = [];
  let head = 0;
  const queued = () => queue.length - head;
  let inflight = 0;
  let drained: () => void = () => undefined;
  const maxInflight = pool.size * 2;

  const record = async (task: { e: WalkEntry; cur: FileInfo | undefined }[], results: HashResult[], reported: number[]): Promise<void> => {
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      const { e, cur } = task[i]!;
      progress.hashed += e.size - (reported[i] ?? 0);
      if (r.vanished) continue;
      if (r.error) {
        errors.push({ path: r.name, error: r.error });
        continue;
      }
      const blocksHash = new Uint8Array(createHash('sha256').update(r.hashes).digest());
      const rec: FileInfo = {
        name: r.name,
        type: FileType.File,
        size: r.size,
        modifiedNs: r.mtimeNs,
        permissions: r.mode & 0o777,
        noPermissions: req.ignorePerms,
        deleted: false,
        localFlags: req.folderFlags,
        version: nextVersion(cur, req.shortId, nowS(), req.folderFlags),
        modifiedBy: req.shortId,
        blockSize: r.blockSize,
        blockHashes: r.hashes,
        blocksHash,
        previousBlocksHash: cur?.blocksHash,
        symlinkTarget: '',
        inodeChangeNs: r.ctimeNs,
        sequence: 0,
      };
      add(rec);
      if (!cur && r.size > 0) await detectRename(rec);
    }
    // Hashing waits for the index: a slow disk under the database must not grow the batches.
    await committing;
  };

  const dispatch = (): void => {
    while (!signal.aborted && inflight < maxInflight && queued() > 0) {
      const task: typeof queue = [];
      let bytes = 0;
      while (queued() > 0 && task.length < HASH_TASK_FILES && (task.length === 0 || bytes + queue[head]!.e.size <= HASH_TASK_BYTES)) {
        const next = queue[head++]!;
        bytes += next.e.size;
        task.push(next);
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      inflight++;
      const files: HashRequestFile[] = task.map(({ e, cur }) => ({
        name: e.name,
        blockSize: blockSizeWithHysteresis(e.size, cur?.blockSize || undefined),
        previousBlockSize: cur?.blockSize || undefined,
      }));
      // Progress reported while hashing is attributed to the task's files in order, so the
      // results add only what was not reported yet.
      const reported = task.map(() => 0);
      let at = 0;
      const onProgress = (n: number) => {
        progress.hashed += n;
        while (n > 0 && at < task.length) {
          const room = task[at]!.e.size - reported[at]!;
          const take = Math.min(room, n);
          reported[at]! += take;
          n -= take;
          if (reported[at] === task[at]!.e.size) at++;
        }
      };
      pool
        .hash(req.root, files, signal, onProgress)
        .then(
          (results) => record(task, results, reported),
          (err: unknown) => {
            if (signal.aborted) return;
            for (const { e } of task) errors.push({ path: e.name, error: `hashing: ${messageOf(err)}` });
          },
        )
        .catch(fail)
        .finally(() => {
          inflight--;
          dispatch();
          if (inflight === 0 && (queued() === 0 || signal.aborted)) drained();
        });
    }
  };

  // A new file with the content of a record that is gone from disk: that record is a rename's old name.
  // Nothing can have been renamed away in a folder whose index was empty when the scan began.
  const emptyIndex = current.namesUnder('', '', 1).length === 0;
  const detectRename = async (rec: FileInfo): Promise<void> => {
    if (emptyIndex) return;
    for (const cand of current.sameContent(rec.blocksHash!, rec.name)) {
      if (seen.has(cand.name) || deletedByRename.has(cand.name) || cand.size !== rec.size) continue;
      const old = current.get(cand.name);
      if (old && !old.deleted && (await isGone(path.join(req.root, old.name)))) {
        deletedByRename.add(old.name);
        if (old.localFlags & Flag.ReceiveOnly) dropped.push(old.name);
        else add(deletedRecord(old, req.shortId, nowS(), nowNs(), req));
        break;
      }
    }
  };

  // Receive-encrypted folders hold data they cannot read: the walk's metadata is the whole record.
  const unhashedRecord = (e: WalkEntry, cur: FileInfo | undefined): FileInfo => ({
    ...recordFor(e, cur, req.shortId, nowS(), req),
    size: e.size,
    previousBlocksHash: cur?.blocksHash,
  });

  // Change detection reads the index one directory at a time; a few directories stay cached
  // because the walk returns to a parent after each subdirectory.
  const briefCache = new Map<string, Map<string, Brief>>();
  const briefOf = (name: string): Brief | undefined => {
    const slash = name.lastIndexOf('/');
    const parent = slash < 0 ? '' : name.slice(0, slash);
    let m = briefCache.get(parent);
    if (!m) {
      m = current.briefChildren(parent);
      briefCache.set(parent, m);
      if (briefCache.size > 64) briefCache.delete(briefCache.keys().next().value as string);
    }
    return m.get(name);
  };

  const lowerSeen = new Map<string, string>();
  const onEntries = (entries: WalkEntry[], walkErrors: { name: string; error: string }[]): void => {
    if (signal.aborted) return;
    for (const we of walkErrors) errors.push({ path: we.name, error: we.error });
    for (const e of entries) {
      seen.add(e.name);
      const winProblem = windowsNameProblem(e.name);
      if (winProblem) errors.push({ path: e.name, error: winProblem });
      if (!req.caseSensitiveFS) {
        const folded = e.name.toLowerCase();
        const other = lowerSeen.get(folded);
        if (other !== undefined && other !== e.name) errors.push({ path: e.name, error: `case conflict: "${e.name}" and "${other}" differ only in upper or lowercase characters` });
        else lowerSeen.set(folded, e.name);
      }
      if (unchanged(briefOf(e.name), e, req)) continue;
      const cur = current.get(e.name);
      if (e.kind === FileType.File && req.hash === false) add(unhashedRecord(e, cur));
      else if (e.kind === FileType.File) {
        queue.push({ e, cur });
        progress.toHash += e.size;
      } else add(recordFor(e, cur, req.shortId, nowS(), req));
    }
    dispatch();
  };

  try {
    const subs = unifySubs(req.subs, current);
    const ignoreKey = req.ignoreKey ?? createHash('sha256').update(req.ignore.map((p) => p.text + '\n').join('')).digest('hex');
    for (const sub of subs) {
      checkStop();
      await pool.walk({ root: req.root, sub, ignore: req.ignore, ignoreKey, autoNormalize: req.autoNormalize, keepTemporariesH: req.keepTemporariesH, nowMs: req.nowMs() }, onEntries, signal);
    }
    progress.walkDone = true;
    if (inflight > 0 || (queued() > 0 && !signal.aborted)) await new Promise<void>((r) => (drained = r));
    checkStop();
    flush();

    // Pass 2: what the index has under the scanned paths but the walk did not find: gone (deleted)
    // or newly ignored (flagged, version kept, no LocalChangeDetected).
    const matcher = req.matcher ?? new IgnoreMatcher(req.ignore);
    for (const sub of subs) {
      let after = '';
      for (;;) {
        checkStop();
        const page = current.namesUnder(sub, after, 1000);
        if (page.length === 0) break;
        for (const { name, deleted } of page) {
          if (seen.has(name) || deletedByRename.has(name)) continue;
          if (matcher.match(name).ignored) {
            const rec = current.get(name);
            if (rec && !(rec.localFlags & Flag.Ignored)) add(ignoredRecord(rec));
            continue;
          }
          if (deleted) continue;
          const rec = current.get(name);
          if (!rec || !(await isGone(path.join(req.root, name)))) continue;
          // A receive-only change that is gone again leaves nothing to revert: its record goes (spec index §7.1).
          if (rec.localFlags & Flag.ReceiveOnly) {
            dropped.push(name);
            if (dropped.length >= MAX_BATCH_FILES) flush();
          } else add(deletedRecord(rec, req.shortId, nowS(), nowNs(), req));
        }
        after = page[page.length - 1]!.name;
        flush();
        await committing;
      }
    }
    flush();
    await committing;
    checkStop();
  } catch (err) {
    fail(err);
  }
  if (failure) {
    // Nothing may still be writing when the caller hears of the failure.
    await committing;
    throw failure.err;
  }
  return { errors: errors.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), changed };
}

/** Deleted means not there, or a parent that is no longer a directory; any other error (EACCES) is not a deletion. */
async function isGone(abs: string): Promise<boolean> {
  try {
    await fs.lstat(abs);
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}
