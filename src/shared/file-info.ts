/**
 * The record Syncthing keeps per file, directory or symlink (spec index §2.3). Shared by the
 * scanner, which produces them, and the index, which stores them; neither imports the other.
 */

export const enum FileType {
  File = 0,
  Directory = 1,
  Symlink = 4,
}

/** Local flag bits (spec index §1.5). */
export const Flag = {
  Unsupported: 1,
  Ignored: 2,
  MustRescan: 4,
  ReceiveOnly: 8,
  Global: 16,
  Needed: 32,
  RemoteInvalid: 64,
} as const;

/** Flags that make a record invalid: it is announced as invalid and never counts as global. */
export const INVALID_FLAGS = Flag.Unsupported | Flag.Ignored | Flag.MustRescan | Flag.ReceiveOnly | Flag.RemoteInvalid;
/** Flags after which the next real change drops other devices' counters from the version. */
export const CONFLICT_FLAGS = Flag.Unsupported | Flag.Ignored | Flag.ReceiveOnly;

export interface FileInfo {
  /** NFC, `/`-separated, relative to the folder root. */
  name: string;
  type: FileType;
  /** Bytes for files; 0 for directories and symlinks (Syncthing v2). */
  size: number;
  /** Modification time, nanoseconds since the epoch (0 for symlinks). */
  modifiedNs: bigint;
  /** mode & 0o777 */
  permissions: number;
  noPermissions: boolean;
  deleted: boolean;
  /** Local flag bits, without Global/Needed (the index computes those). */
  localFlags: number;
  /** Version vector as [shortId, counter] pairs, sorted by short ID. */
  version: [string, number][];
  /** 7-character short ID of the device that made the change. */
  modifiedBy: string;
  /** Block size used to hash (0 when there are no blocks). */
  blockSize: number;
  /** SHA-256 of each block, concatenated (32 bytes per block); empty for non-files. */
  blockHashes: Uint8Array;
  /** SHA-256 over blockHashes; undefined when there are no blocks. */
  blocksHash?: Uint8Array;
  previousBlocksHash?: Uint8Array;
  symlinkTarget: string;
  inodeChangeNs: bigint;
  /** Assigned by the index on write. */
  sequence: number;
}

/** Number of blocks of a file record. */
export const blockCount = (f: Pick<FileInfo, 'blockHashes'>): number => f.blockHashes.length / 32;

/** Syncthing's hybrid version counter: max(old + 1, unix seconds). */
export function bumpVersion(version: [string, number][], shortId: string, nowS: number, keepOthers = true): [string, number][] {
  const others = keepOthers ? version.filter(([id]) => id !== shortId) : [];
  const mine = version.find(([id]) => id === shortId)?.[1] ?? 0;
  const next: [string, number][] = [...others, [shortId, Math.max(mine + 1, nowS)]];
  return next.sort(([a], [b]) => compareShortIds(a, b));
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Short IDs compare by their bytes, i.e. by base32 digit value, not by ASCII. */
export function compareShortIds(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = B32.indexOf(a[i]!) - B32.indexOf(b[i]!);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export type VectorOrdering = 'equal' | 'greater' | 'lesser' | 'concurrent';

/** Compares two version vectors. */
export function compareVersions(a: [string, number][], b: [string, number][]): VectorOrdering {
  const ids = new Set([...a.map(([i]) => i), ...b.map(([i]) => i)]);
  let greater = false;
  let lesser = false;
  for (const id of ids) {
    const x = a.find(([i]) => i === id)?.[1] ?? 0;
    const y = b.find(([i]) => i === id)?.[1] ?? 0;
    if (x > y) greater = true;
    if (x < y) lesser = true;
  }
  return greater && lesser ? 'concurrent' : greater ? 'greater' : lesser ? 'lesser' : 'equal';
}

export function formatVersion(v: [string, number][]): string {
  return v.map(([id, n]) => `${id}:${n}`).join(',');
}

export function parseVersion(text: string): [string, number][] {
  if (!text) return [];
  return text.split(',').map((p) => {
    const i = p.lastIndexOf(':');
    return [p.slice(0, i), Number(p.slice(i + 1))] as [string, number];
  });
}

/** The element-wise maximum of two version vectors (what both sides have seen). */
export function mergeVersions(a: [string, number][], b: [string, number][]): [string, number][] {
  const out = new Map(a);
  for (const [id, n] of b) out.set(id, Math.max(out.get(id) ?? 0, n));
  return [...out.entries()].sort(([x], [y]) => compareShortIds(x, y));
}
