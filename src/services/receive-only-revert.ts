import fs from 'node:fs/promises';
import path from 'node:path';
import type { IndexStore } from '../index/index-store.js';
import type { IgnoreMatcher } from '../scanner/ignore-pattern.js';
import { isTemporary } from '../scanner/names.js';
import { mapLimit } from '../shared/map-limit.js';
import { FileType, Flag, INVALID_FLAGS, type FileInfo } from '../shared/file-info.js';
import { insideRoot } from '../versioner/version-fs.js';
import type { Versioner } from '../versioner/versioner.js';

export interface RevertContext {
  index: IndexStore;
  folder: string;
  root: string;
  versioner?: Versioner;
  ignores?: IgnoreMatcher;
  shortId: string;
  nowMs: () => number;
  /** Writes one batch of local records and announces it. */
  commit(files: FileInfo[]): void;
  log: (msg: string) => void;
  /** Stops the revert between items; what was reverted so far is recorded. */
  signal?: AbortSignal;
}

const BATCH = 1000;
const REMOVE_CONCURRENCY = 32;
const NONE = new Uint8Array(0);

/** What a revert does with one receive-only record, given the global record of its name. */
export type RevertAction = { kind: 'remove' } | { kind: 'record'; file: FileInfo };

/** Two records describe the same content (metadata only, as Syncthing's IsEquivalentOptional without blocks). */
function equivalent(a: FileInfo, b: FileInfo): boolean {
  if (a.type !== b.type || a.deleted !== b.deleted) return false;
  if (a.deleted) return true;
  if (a.type === FileType.Symlink) return a.symlinkTarget === b.symlinkTarget;
  if (a.type === FileType.Directory) return true;
  return a.size === b.size && a.modifiedNs / 1_000_000_000n === b.modifiedNs / 1_000_000_000n;
}

/**
 * Spec index §7.1, per record with the ReceiveOnly flag: when the global is our own change (no
 * other device has the name), the item is taken off the disk and recorded as deleted with an
 * empty version; when our copy equals the global, the global is adopted; otherwise our version is
 * emptied so the next pull replaces our copy without a conflict copy.
 */
export function revertAction(local: FileInfo, global: FileInfo | undefined): RevertAction {
  const cleared = { ...local, localFlags: local.localFlags & ~Flag.ReceiveOnly, sequence: 0 };
  if (!global || global.localFlags & Flag.ReceiveOnly) {
    if (local.deleted) return { kind: 'record', file: { ...cleared, version: [] } };
    return { kind: 'remove' };
  }
  if (equivalent(local, global)) return { kind: 'record', file: { ...global, localFlags: global.localFlags & ~INVALID_FLAGS, sequence: 0 } };
  return { kind: 'record', file: { ...cleared, version: [] } };
}

/** The deleted record a removed item leaves: empty version, so it is older than anything that resurfaces. */
function removedRecord(f: FileInfo, shortId: string, nowMs: number): FileInfo {
  return {
    ...f,
    deleted: true,
    size: 0,
    localFlags: f.localFlags & ~Flag.ReceiveOnly,
    version: [],
    modifiedBy: shortId,
    modifiedNs: BigInt(nowMs) * 1_000_000n,
    blockSize: 0,
    blockHashes: NONE,
    blocksHash: undefined,
    previousBlocksHash: f.blocksHash,
    sequence: 0,
  };
}

/**
 * Reverts every receive-only change of a folder. Files go through the versioner when there is
 * one, so nothing is destroyed without a copy; directories are removed last, deepest first, and
 * only when nothing but temporary or deletable-ignored files is left in them. Items that cannot
 * be removed keep their record and flag. Returns the number of records written.
 */
export async function revertReceiveOnly(c: RevertContext): Promise<number> {
  let written = 0;
  let batch: FileInfo[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    c.commit(batch);
    written += batch.length;
    batch = [];
  };
  const dirs: FileInfo[] = [];
  let after = '';
  for (;;) {
    if (c.signal?.aborted) break;
    const page = c.index.localWithFlagsAfter(c.folder, Flag.ReceiveOnly, after, BATCH);
    if (page.length === 0) break;
    after = page[page.length - 1]!.name;
    const remove: FileInfo[] = [];
    for (const local of page) {
      const action = revertAction(local, c.index.getGlobal(c.folder, local.name));
      if (action.kind === 'record') {
        batch.push(action.file);
        continue;
      }
      const ign = c.ignores?.match(local.name);
      if (ign?.ignored && !ign.deletable) continue;
      if (local.type === FileType.Directory) dirs.push(local);
      else remove.push(local);
    }
    // Files and symlinks are independent of each other; only directories must wait for their contents.
    const removed = await mapLimit(remove, REMOVE_CONCURRENCY, async (local) => {
      if (c.signal?.aborted) return undefined;
      try {
        await removeItem(c, local);
        return removedRecord(local, c.shortId, c.nowMs());
      } catch (err) {
        c.log(`reverting ${local.name}: ${(err as Error).message}`);
        return undefined;
      }
    });
    for (const r of removed) if (r) batch.push(r);
    flush();
  }
  for (const dir of dirs.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0))) {
    if (c.signal?.aborted) break;
    try {
      await removeDir(c, dir.name);
      batch.push(removedRecord(dir, c.shortId, c.nowMs()));
    } catch (err) {
      c.log(`reverting ${dir.name}: ${(err as Error).message}`);
    }
    if (batch.length >= BATCH) flush();
  }
  flush();
  return written;
}

/** Removes a file or symlink, but only the one that was scanned: a later edit is no change the user has seen reverted. */
async function removeItem(c: RevertContext, f: FileInfo): Promise<void> {
  const abs = await insideRoot(c.root, f.name);
  const st = await fs.lstat(abs, { bigint: true }).catch(() => undefined);
  if (!st) return;
  const same =
    f.type === FileType.File
      ? st.isFile() && st.size === BigInt(f.size) && st.mtimeNs === f.modifiedNs
      : f.type === FileType.Symlink && st.isSymbolicLink();
  if (!same) throw new Error('file modified but not rescanned; will try again later');
  if (f.type === FileType.File && c.versioner) await c.versioner.archive(f.name);
  else await fs.rm(abs, { force: true });
}

/** Removes a directory that holds nothing a user could miss: temporary files and deletable ignored items only. */
async function removeDir(c: RevertContext, rel: string): Promise<void> {
  const abs = await insideRoot(c.root, rel);
  const st = await fs.lstat(abs).catch(() => undefined);
  if (!st) return;
  if (!st.isDirectory()) throw new Error('not a directory any more');
  for (const name of await fs.readdir(abs)) {
    const child = `${rel}/${name}`;
    const ign = c.ignores?.match(child);
    if (isTemporary(name) || (ign?.ignored && ign.deletable)) await fs.rm(path.join(abs, name), { recursive: true, force: true });
  }
  await fs.rmdir(abs).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === 'ENOTEMPTY' ? 'directory contains unexpected files' : err.message);
  });
}
