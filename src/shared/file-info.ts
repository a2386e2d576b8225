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
  /** Version vector as [shortId, counter] pairs (the full 64-bit ShortID in 16 hex digits), sorted by ShortID. */
  version: [string, number][];
  /** Full ShortID (16 hex digits) of the device that made the change; '' for none. */
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

/** Full ShortIDs are fixed-width lowercase hex, so text order is their numeric order. */
export function compareShortIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How vector a relates to b: Syncthing's Ordering, with its two directions of concurrency. */
export type VectorOrdering = 'equal' | 'greater' | 'lesser' | 'concurrentLesser' | 'concurrentGreater';

/**
 * Compares two version vectors as Syncthing's Vector.Compare does (both sorted by ShortID, a
 * missing counter is 0): a merge walk that reports which side first showed the disagreement, so
 * "concurrent" comes in two directions and can break ties the same way on every device.
 */
export function compareVersions(a: readonly [string, number][], b: readonly [string, number][]): VectorOrdering {
  let ai = 0;
  let bi = 0;
  let result: VectorOrdering = 'equal';
  while (ai < a.length || bi < b.length) {
    const aMissing = ai >= a.length;
    const bMissing = bi >= b.length;
    // A missing side reads as Go's zero Counter: ID 0 ('' sorts first here too), value 0.
    const [aid, av] = aMissing ? ['', 0] : a[ai]!;
    const [bid, bv] = bMissing ? ['', 0] : b[bi]!;
    if (aid === bid) {
      if (av > bv) {
        if (result === 'lesser') return 'concurrentLesser';
        result = 'greater';
      } else if (av < bv) {
        if (result === 'greater') return 'concurrentGreater';
        result = 'lesser';
      }
    } else if ((!aMissing && aid < bid) || bMissing) {
      if (av > 0) {
        if (result === 'lesser') return 'concurrentLesser';
        result = 'greater';
      }
    } else if ((!bMissing && bid < aid) || aMissing) {
      if (bv > 0) {
        if (result === 'greater') return 'concurrentGreater';
        result = 'lesser';
      }
    }
    if (ai < a.length && (aid <= bid || bMissing)) ai++;
    if (bi < b.length && (bid <= aid || aMissing)) bi++;
  }
  return result;
}

export const isConcurrent = (o: VectorOrdering): boolean => o === 'concurrentLesser' || o === 'concurrentGreater';

/** a has seen everything b has (Syncthing's GreaterEqual). */
export const greaterEqual = (a: readonly [string, number][], b: readonly [string, number][]): boolean => {
  const o = compareVersions(a, b);
  return o === 'greater' || o === 'equal';
};

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
