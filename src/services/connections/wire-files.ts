import { createHash } from 'node:crypto';
import type { BlockInfo, FileInfo as WireFile } from '../../bep/messages.js';
import { ProtocolError } from '../../bep/pb.js';
import { shortIdHex, shortIdValue } from '../../shared/device-id.js';
import { FileType, Flag, INVALID_FLAGS, type FileInfo } from '../../shared/file-info.js';

const EMPTY = new Uint8Array(0);
const MIN_BLOCK = 128 << 10;
const MAX_BLOCK = 16 << 20;
/** Syncthing's own sender never puts more than 1,000 files in one message; we take ten times that. */
export const MAX_FILES_PER_MESSAGE = 10_000;

/**
 * One of our records as it goes into our index (1.19.2's prepareFileInfoForIndex, bep.md §1.7):
 * invalid when any local invalid flag is set, no version when it is a receive-only change (so it
 * can never become the global version elsewhere), no local flags; the blocks spelled out from the
 * block size, the size and the hashes, weak hashes 0.
 */
export function toWire(f: FileInfo): WireFile {
  const blocks: BlockInfo[] = [];
  const n = f.blockHashes.length / 32;
  for (let i = 0; i < n; i++) {
    const offset = i * f.blockSize;
    blocks.push({ offset, size: Math.max(0, Math.min(f.blockSize, f.size - offset)), hash: f.blockHashes.subarray(i * 32, i * 32 + 32), weakHash: 0 });
  }
  const s = f.modifiedNs / 1_000_000_000n;
  return {
    name: f.name,
    type: f.type,
    size: f.size,
    permissions: f.permissions,
    modifiedS: Number(s),
    modifiedNs: Number(f.modifiedNs - s * 1_000_000_000n),
    modifiedBy: f.modifiedBy ? shortIdValue(f.modifiedBy) : 0n,
    deleted: f.deleted,
    invalid: (f.localFlags & INVALID_FLAGS) !== 0,
    noPermissions: f.noPermissions,
    version: f.localFlags & Flag.ReceiveOnly ? [] : f.version.map(([id, v]) => ({ id: shortIdValue(id), value: BigInt(v) })),
    sequence: f.sequence,
    blockSize: f.blockSize,
    blocks,
    symlinkTarget: f.symlinkTarget ? Buffer.from(f.symlinkTarget, 'utf8') : EMPTY,
    blocksHash: f.blocksHash ?? EMPTY,
    encrypted: EMPTY,
    previousBlocksHash: f.previousBlocksHash ?? EMPTY,
    platform: EMPTY,
  };
}

/** About what a record takes in an Index message, for Syncthing's 250 KiB batches. */
export function wireSize(f: FileInfo): number {
  return 64 + Buffer.byteLength(f.name) + Buffer.byteLength(f.symlinkTarget) + (f.blockHashes.length / 32) * 48 + f.version.length * 24 + 34;
}

/**
 * Whether `name` is what 1.19.2 accepts as a file name (bep.md §1.8): equal to its path.Clean,
 * relative, not "." or "..", nothing above the folder. Put plainly: non-empty `/`-separated
 * segments, none of them "." or "..".
 */
export function cleanWireName(name: string): boolean {
  if (name === '' || name.includes('\0')) return false;
  for (const seg of name.split('/')) if (seg === '' || seg === '.' || seg === '..') return false;
  return true;
}

const bad = (f: WireFile, why: string) => new ProtocolError(`${JSON.stringify(f.name.slice(0, 200))}: ${why}`);

/**
 * A peer's record as the index keeps it, after the checks 1.19.2 makes on every received
 * FileInfo (bep.md §1.8) and the ones its database assumes: a clean name (made NFC), no blocks on
 * a deletion or a directory, at least one block on a valid file, blocks that tile the file at its
 * block size (one of the eight powers of two), 32-byte hashes, counters a JavaScript number holds
 * exactly. Anything else is a ProtocolError naming the file: the batch is refused whole and the
 * connection closes. The block list hash is recomputed, never taken on trust.
 */
export function fromWire(w: WireFile): FileInfo {
  if (!cleanWireName(w.name)) throw bad(w, 'filename is invalid');
  const name = w.name.normalize('NFC');
  const type = w.type === 2 || w.type === 3 ? FileType.Symlink : w.type;
  if (type !== FileType.File && type !== FileType.Directory && type !== FileType.Symlink) throw bad(w, `unknown file type ${w.type}`);
  if (w.deleted && w.blocks.length) throw bad(w, 'deleted file with non-empty block list');
  if (type === FileType.Directory && w.blocks.length) throw bad(w, 'directory with non-empty block list');
  if (type === FileType.File && !w.deleted && !w.invalid && w.blocks.length === 0) throw bad(w, 'file with empty block list');
  if (!Number.isSafeInteger(w.size) || w.size < 0) throw bad(w, `size ${w.size} out of range`);
  if (!Number.isSafeInteger(w.sequence) || w.sequence < 0) throw bad(w, `sequence ${w.sequence} out of range`);
  if (!Number.isSafeInteger(w.modifiedS) || w.modifiedNs < 0 || w.modifiedNs > 999_999_999) throw bad(w, 'modification time out of range');
  let blockSize = 0;
  let hashes = EMPTY;
  if (w.blocks.length) {
    blockSize = w.blockSize < MIN_BLOCK ? MIN_BLOCK : w.blockSize;
    if (blockSize > MAX_BLOCK || (blockSize & (blockSize - 1)) !== 0) throw bad(w, `block size ${w.blockSize} is not a power of two from 128 KiB to 16 MiB`);
    const want = Math.max(1, Math.ceil(w.size / blockSize));
    if (w.blocks.length !== want) throw bad(w, `${w.blocks.length} blocks for ${w.size} bytes at ${blockSize} per block`);
    hashes = new Uint8Array(w.blocks.length * 32);
    for (let i = 0; i < w.blocks.length; i++) {
      const b = w.blocks[i]!;
      const offset = i * blockSize;
      if (b.offset !== offset || b.size !== Math.min(blockSize, w.size - offset)) throw bad(w, `block ${i} at ${b.offset}+${b.size} does not tile the file`);
      if (b.hash.length !== 32) throw bad(w, `block ${i} hash of ${b.hash.length} bytes`);
      hashes.set(b.hash, i * 32);
    }
  }
  const version: [string, number][] = [];
  for (const c of w.version) {
    if (c.value > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(w, `version counter ${c.value} out of range`);
    version.push([shortIdHex(c.id), Number(c.value)]);
  }
  version.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name,
    type,
    size: type === FileType.File ? w.size : 0,
    modifiedNs: BigInt(w.modifiedS) * 1_000_000_000n + BigInt(w.modifiedNs),
    permissions: w.permissions & 0o7777,
    noPermissions: w.noPermissions,
    deleted: w.deleted,
    localFlags: w.invalid ? Flag.RemoteInvalid : 0,
    version,
    modifiedBy: w.modifiedBy === 0n ? '' : shortIdHex(w.modifiedBy),
    blockSize,
    blockHashes: hashes,
    blocksHash: hashes.length ? new Uint8Array(createHash('sha256').update(hashes).digest()) : undefined,
    previousBlocksHash: w.previousBlocksHash.length ? w.previousBlocksHash : undefined,
    symlinkTarget: Buffer.from(w.symlinkTarget).toString('utf8'),
    inodeChangeNs: 0n,
    sequence: w.sequence,
  };
}
