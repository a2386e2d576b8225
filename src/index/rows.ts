import { formatVersion, parseVersion, type FileInfo } from '../shared/file-info.js';

/** A files row as better-sqlite3 returns it with safe integers on (every integer is a bigint). */
export interface FileRow {
  name: string;
  sequence: bigint;
  type: bigint;
  size: bigint;
  modified_ns: bigint;
  permissions: bigint;
  no_permissions: bigint;
  deleted: bigint;
  local_flags: bigint;
  version: string;
  modified_by: string;
  block_size: bigint;
  blocks_hash: Buffer | null;
  previous_blocks_hash: Buffer | null;
  symlink_target: string;
  inode_change_ns: bigint;
  block_hashes?: Buffer | null;
}

export const FILE_COLUMNS =
  'f.name, f.sequence, f.type, f.size, f.modified_ns, f.permissions, f.no_permissions, f.deleted, f.local_flags, f.version, ' +
  'f.modified_by, f.block_size, f.blocks_hash, f.previous_blocks_hash, f.symlink_target, f.inode_change_ns';

const EMPTY = new Uint8Array(0);

/** The columns change detection compares. */
export type BriefRow = Pick<FileRow, 'type' | 'size' | 'modified_ns' | 'permissions' | 'no_permissions' | 'deleted' | 'local_flags' | 'symlink_target'>;
/** The fields of a local record that change detection compares. */
export type BriefRecord = Pick<FileInfo, 'type' | 'size' | 'modifiedNs' | 'permissions' | 'noPermissions' | 'deleted' | 'localFlags' | 'symlinkTarget'>;

export function brief(r: BriefRow): BriefRecord {
  return {
    type: Number(r.type),
    size: Number(r.size),
    modifiedNs: r.modified_ns,
    permissions: Number(r.permissions),
    noPermissions: r.no_permissions !== 0n,
    deleted: r.deleted !== 0n,
    localFlags: Number(r.local_flags),
    symlinkTarget: r.symlink_target,
  };
}

export function rowToFile(r: FileRow): FileInfo {
  return {
    ...brief(r),
    name: r.name,
    sequence: Number(r.sequence),
    version: parseVersion(r.version),
    modifiedBy: r.modified_by,
    blockSize: Number(r.block_size),
    blockHashes: r.block_hashes ? new Uint8Array(r.block_hashes) : EMPTY,
    blocksHash: r.blocks_hash ? new Uint8Array(r.blocks_hash) : undefined,
    previousBlocksHash: r.previous_blocks_hash ? new Uint8Array(r.previous_blocks_hash) : undefined,
    inodeChangeNs: r.inode_change_ns,
  };
}

/** The parameters of the files upsert, in column order. */
export function fileParams(folderIdx: number, deviceIdx: number, f: FileInfo, sequence: number, flags: number): unknown[] {
  const slash = f.name.lastIndexOf('/');
  return [
    folderIdx,
    deviceIdx,
    f.name,
    slash < 0 ? '' : f.name.slice(0, slash),
    sequence,
    f.type,
    f.size,
    f.modifiedNs,
    f.permissions,
    f.noPermissions ? 1 : 0,
    f.deleted ? 1 : 0,
    flags,
    formatVersion(f.version),
    f.modifiedBy,
    f.blockSize,
    f.blocksHash ? Buffer.from(f.blocksHash) : null,
    f.previousBlocksHash ? Buffer.from(f.previousBlocksHash) : null,
    f.symlinkTarget,
    f.inodeChangeNs,
  ];
}

/** A files row read without safe integers, its nanosecond times split in seconds and the rest. */
export interface NumberRow {
  name: string;
  sequence: number;
  type: number;
  size: number;
  mod_s: number;
  mod_ns: number;
  permissions: number;
  no_permissions: number;
  deleted: number;
  local_flags: number;
  version: string;
  modified_by: string;
  block_size: number;
  blocks_hash: Buffer | null;
  previous_blocks_hash: Buffer | null;
  symlink_target: string;
  ic_s: number;
  ic_ns: number;
  block_hashes: Buffer | null;
}

const ns = (s: number, rest: number) => BigInt(s) * 1_000_000_000n + BigInt(rest);

/** rowToFile for a NumberRow; the blobs are used as read, not copied. */
export function numberRowToFile(r: NumberRow): FileInfo {
  return {
    name: r.name,
    type: r.type,
    size: r.size,
    modifiedNs: ns(r.mod_s, r.mod_ns),
    permissions: r.permissions,
    noPermissions: r.no_permissions !== 0,
    deleted: r.deleted !== 0,
    localFlags: r.local_flags,
    symlinkTarget: r.symlink_target,
    sequence: r.sequence,
    version: parseVersion(r.version),
    modifiedBy: r.modified_by,
    blockSize: r.block_size,
    blockHashes: r.block_hashes ?? EMPTY,
    blocksHash: r.blocks_hash ?? undefined,
    previousBlocksHash: r.previous_blocks_hash ?? undefined,
    inodeChangeNs: ns(r.ic_s, r.ic_ns),
  };
}
