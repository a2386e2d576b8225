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
