import { CONFLICT_FLAGS, Flag, FileType, bumpVersion, type FileInfo } from '../shared/file-info.js';
import type { WalkEntry } from './walk-types.js';

export interface ScanFlags {
  /** Folder setting: permissions are neither recorded as meaningful nor compared. */
  ignorePerms: boolean;
  /** Flags every locally detected change carries in this folder (ReceiveOnly for receive-only folders). */
  folderFlags: number;
}

/**
 * Whether the walked item still matches its index record (spec index §2.6). Hashing is never done
 * for an unchanged item: type, size and mtime to the nanosecond for files, target for symlinks,
 * permissions unless ignored; a directory's mtime is never compared.
 */
export type Brief = Pick<FileInfo, 'type' | 'size' | 'modifiedNs' | 'permissions' | 'noPermissions' | 'deleted' | 'localFlags' | 'symlinkTarget'>;

export function unchanged(cur: Brief | undefined, e: WalkEntry, f: ScanFlags): boolean {
  if (!cur || cur.deleted) return false;
  if (cur.type !== e.kind) return false;
  if (cur.localFlags & Flag.MustRescan) return false;
  const curInvalid = (cur.localFlags & ~(Flag.Global | Flag.Needed) & ~f.folderFlags) !== 0;
  if (curInvalid) return false;
  if (e.kind !== FileType.Symlink && !f.ignorePerms && !cur.noPermissions && cur.permissions !== (e.mode & 0o777)) return false;
  if (e.kind === FileType.File) return cur.size === e.size && cur.modifiedNs === e.mtimeNs;
  if (e.kind === FileType.Symlink) return cur.symlinkTarget === (e.target ?? '');
  return true;
}

/** The next version for a local change: ours bumped; other devices dropped after an invalid state. */
export function nextVersion(cur: FileInfo | undefined, shortId: string, nowS: number, folderFlags: number): [string, number][] {
  const hadConflict = cur !== undefined && (cur.localFlags & CONFLICT_FLAGS) !== 0 && (folderFlags & CONFLICT_FLAGS) === 0;
  return bumpVersion(cur?.version ?? [], shortId, nowS, !hadConflict);
}

const NONE = new Uint8Array(0);

/** The record of a walked directory or symlink. */
export function recordFor(e: WalkEntry, cur: FileInfo | undefined, shortId: string, nowS: number, f: ScanFlags): FileInfo {
  const symlink = e.kind === FileType.Symlink;
  return {
    name: e.name,
    type: e.kind,
    size: 0,
    modifiedNs: symlink ? 0n : e.mtimeNs,
    permissions: symlink ? 0 : e.mode & 0o777,
    noPermissions: symlink || f.ignorePerms,
    deleted: false,
    localFlags: f.folderFlags,
    version: nextVersion(cur, shortId, nowS, f.folderFlags),
    modifiedBy: shortId,
    blockSize: 0,
    blockHashes: NONE,
    symlinkTarget: e.target ?? '',
    inodeChangeNs: e.ctimeNs,
    sequence: 0,
  };
}

/** A deleted record for an item that is gone (spec index §2.8): size 0, no blocks, permissions kept. */
export function deletedRecord(cur: FileInfo, shortId: string, nowS: number, nowNs: bigint, f: ScanFlags): FileInfo {
  const hadConflict = (cur.localFlags & CONFLICT_FLAGS) !== 0;
  return {
    ...cur,
    deleted: true,
    size: 0,
    modifiedNs: nowNs,
    modifiedBy: shortId,
    localFlags: f.folderFlags,
    // A delete after an invalid state must not beat the global version.
    version: hadConflict ? [] : bumpVersion(cur.version, shortId, nowS),
    blockSize: 0,
    blockHashes: NONE,
    blocksHash: undefined,
    previousBlocksHash: cur.blocksHash,
    sequence: 0,
  };
}

/** A record that a pattern now ignores: flagged Ignored, size 0, no blocks, the version kept (spec index §2.7). */
export function ignoredRecord(cur: FileInfo): FileInfo {
  return { ...cur, localFlags: Flag.Ignored, size: 0, blockSize: 0, blockHashes: NONE, blocksHash: undefined, sequence: 0 };
}
