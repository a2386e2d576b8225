import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bodyPool } from '../../bep/body-pool.js';
import type { Request } from '../../bep/messages.js';
import type { FileInfo } from '../../shared/file-info.js';
import { messageOf } from '../../shared/errors.js';
import { readFull, sha256Equals } from '../block-io.js';
import type { ByteBudget } from '../byte-budget.js';
import { checkOpenedPath, lstatOrNone, PullError } from './disk.js';

/** 1.19.2's pullerProgress, as DownloadProgress events carry it. */
export interface PullerProgress {
  total: number;
  reused: number;
  copiedFromOrigin: number;
  copiedFromOriginShifted: number;
  copiedFromElsewhere: number;
  pulled: number;
  pulling: number;
  bytesDone: number;
  bytesTotal: number;
}

/** A local file whose blocks may be copied instead of requested (each copied block is verified first). */
export interface BlockSource {
  abs: string;
  blockHashes: Uint8Array;
  blockSize: number;
  size: number;
  /** The file's own previous version (1.19.2's "copied from origin"). */
  origin: boolean;
}

export interface TransferDeps {
  /** Where the folder is, as given and with its links resolved (for the opened-path check). */
  root: string;
  realRoot: string;
  folder: string;
  /** The connected devices that hold the global version, least busy first. */
  devices(): string[];
  request(device: string, q: Omit<Request, 'id'>, signal: AbortSignal): Promise<Uint8Array>;
  /** Bytes requested and not yet written, for the whole folder (pullerMaxPendingKiB). */
  budget: ByteBudget;
  /** A device's requests in flight (for least-busy-first), kept by the caller. */
  busy: Map<string, number>;
  sources: BlockSource[];
  fsync: boolean;
  sparse: boolean;
  signal: AbortSignal;
  progress: PullerProgress;
  /** Bytes that came over the network (for the rate). */
  received(bytes: number): void;
  /** Bytes of the file put in place, by where they came from (the names of Syncthing's processed-bytes metric). */
  processed?(source: ProcessedSource, bytes: number): void;
}

export type ProcessedSource = 'network' | 'local_origin' | 'local_other' | 'local_shifted' | 'skipped';

const ERR_NO_DEVICE = 'peers who had this file went away, or the file has changed while syncing. will retry later';

const zeroHashes = new Map<number, Buffer>();
/** SHA-256 of a block of `size` zero bytes. */
function zeroHash(size: number): Buffer {
  let h = zeroHashes.get(size);
  if (!h) zeroHashes.set(size, (h = createHash('sha256').update(Buffer.alloc(size)).digest()));
  return h;
}

const hashAt = (f: Pick<FileInfo, 'blockHashes'>, i: number) => f.blockHashes.subarray(i * 32, i * 32 + 32);
const blockLen = (f: Pick<FileInfo, 'size' | 'blockSize'>, i: number) => Math.min(f.blockSize, f.size - i * f.blockSize);

/**
 * Fills the temp file of `g` with its blocks (1.19.2's copier and puller): what a temp file left
 * by an earlier try already holds is kept, all-zero blocks of a new temp file are left as holes,
 * blocks found in local files are copied, and the rest are requested from the devices that have
 * them, least busy first, each answer checked with SHA-256 before it is written. Leaves the temp
 * file in place on failure, for the next try to reuse, unless the disk is full.
 */
export async function fillTemp(g: FileInfo, tempRel: string, d: TransferDeps): Promise<void> {
  const abs = path.join(d.root, tempRel);
  const n = g.blockHashes.length / 32;
  const have = new Uint8Array(n);
  const p = d.progress;
  Object.assign(p, { total: n, reused: 0, copiedFromOrigin: 0, copiedFromOriginShifted: 0, copiedFromElsewhere: 0, pulled: 0, pulling: 0, bytesDone: 0, bytesTotal: g.size });
  const done = (i: number) => {
    have[i] = 1;
    p.bytesDone += blockLen(g, i);
  };

  const st = await lstatOrNone(abs);
  if (st && !st.isFile()) await fs.rm(abs, { recursive: true, force: true });
  const reusing = st?.isFile() === true;
  const fh = await fs.open(abs, reusing ? fsc.O_RDWR | fsc.O_NOFOLLOW : fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    await checkOpenedPath(fh.fd, path.join(d.realRoot, tempRel));
    if (reusing) {
      // What an interrupted pull left: every block already right is kept.
      const len = Number(st!.size);
      for (let i = 0; i < n; i++) {
        d.signal.throwIfAborted();
        const size = blockLen(g, i);
        if (i * g.blockSize + size > len) break;
        const buf = Buffer.allocUnsafe(size);
        if ((await readFull(fh, buf, i * g.blockSize)) === size && (await sha256Equals(buf, hashAt(g, i)))) {
          done(i);
          p.reused++;
          d.processed?.('skipped', size);
        }
      }
    }
    await fh.truncate(g.size);
    // A new temp file is all holes: its zero blocks are there already.
    if (!reusing && d.sparse) {
      for (let i = 0; i < n; i++) {
        if (have[i] || !zeroHash(blockLen(g, i)).equals(hashAt(g, i))) continue;
        done(i);
        d.processed?.('skipped', blockLen(g, i));
      }
    }

    await copyLocal(g, fh, have, d, done);
    await pullMissing(g, fh, have, d, done);
    if (d.fsync) await fh.sync();
  } catch (err) {
    // A full disk: the temp file cannot be finished, and kept it would hold the space every other
    // file of the folder needs (1.19.2 keeps it; its users then find nothing syncs until they
    // delete it by hand). Anything else leaves it for the next try to reuse.
    if (diskFull(err)) {
      await fh.close().catch(() => undefined);
      await fs.rm(abs, { force: true });
    }
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

const diskFull = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
};

/** Blocks from local files: each read, verified and written; a block that does not verify is left to the network. */
async function copyLocal(g: FileInfo, fh: fs.FileHandle, have: Uint8Array, d: TransferDeps, done: (i: number) => void): Promise<void> {
  if (d.sources.length === 0) return;
  const where = new Map<string, { src: BlockSource; offset: number }>();
  for (const src of d.sources) {
    if (src.blockSize <= 0) continue;
    for (let j = 0; j < src.blockHashes.length / 32; j++) {
      const key = Buffer.from(src.blockHashes.subarray(j * 32, j * 32 + 32)).toString('base64');
      if (!where.has(key)) where.set(key, { src, offset: j * src.blockSize });
    }
  }
  const open = new Map<string, fs.FileHandle | null>();
  try {
    for (let i = 0; i < have.length; i++) {
      if (have[i]) continue;
      d.signal.throwIfAborted();
      const hit = where.get(Buffer.from(hashAt(g, i)).toString('base64'));
      if (!hit) continue;
      let src = open.get(hit.src.abs);
      if (src === undefined) {
        src = await fs.open(hit.src.abs, fsc.O_RDONLY | fsc.O_NOFOLLOW).catch(() => null);
        open.set(hit.src.abs, src);
      }
      if (!src) continue;
      const size = blockLen(g, i);
      const buf = Buffer.allocUnsafe(size);
      if ((await readFull(src, buf, hit.offset)) !== size || !(await sha256Equals(buf, hashAt(g, i)))) continue;
      await writeFull(fh, buf, i * g.blockSize);
      done(i);
      if (hit.src.origin) d.progress.copiedFromOrigin++;
      else d.progress.copiedFromElsewhere++;
      d.processed?.(hit.src.origin ? 'local_origin' : 'local_other', size);
    }
  } finally {
    for (const h of open.values()) await h?.close();
  }
}

/** The blocks still missing, over the network, with at most the folder's budget of bytes requested and unwritten. */
async function pullMissing(g: FileInfo, fh: fs.FileHandle, have: Uint8Array, d: TransferDeps, done: (i: number) => void): Promise<void> {
  const missing: number[] = [];
  for (let i = 0; i < have.length; i++) if (!have[i]) missing.push(i);
  if (missing.length === 0) return;
  const p = d.progress;
  p.pulling = missing.length;
  const running = new Set<Promise<void>>();
  let failure: unknown;
  for (const i of missing) {
    if (failure !== undefined) break;
    d.signal.throwIfAborted();
    const size = blockLen(g, i);
    const release = await d.budget.take(size);
    const task = fetchBlock(g, i, size, d)
      .then(async (data) => {
        try {
          await writeFull(fh, data, i * g.blockSize);
        } finally {
          bodyPool.give(data);
        }
        done(i);
        p.pulled++;
        d.processed?.('network', size);
        p.pulling--;
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        release();
        running.delete(task);
      });
    running.add(task);
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure;
}

/** One block from the first device that gives the right bytes. */
async function fetchBlock(g: FileInfo, i: number, size: number, d: TransferDeps): Promise<Uint8Array> {
  const devices = d.devices().sort((a, b) => (d.busy.get(a) ?? 0) - (d.busy.get(b) ?? 0));
  let last = '';
  for (const dev of devices) {
    d.signal.throwIfAborted();
    d.busy.set(dev, (d.busy.get(dev) ?? 0) + 1);
    try {
      const q = { folder: d.folder, name: g.name, offset: i * g.blockSize, size, hash: hashAt(g, i), fromTemporary: false, weakHash: 0, blockNo: i };
      const data = await d.request(dev, q, d.signal);
      d.received(data.length);
      if (await sha256Equals(data, q.hash)) return data;
      bodyPool.give(data);
      last = `${dev}: hash mismatch`;
    } catch (err) {
      if (d.signal.aborted) throw d.signal.reason;
      last = `${dev}: ${messageOf(err)}`;
    } finally {
      d.busy.set(dev, (d.busy.get(dev) ?? 1) - 1);
    }
  }
  throw new PullError(devices.length === 0 ? 'no connected device has the required version of this file' : `pull: ${ERR_NO_DEVICE}${last ? ` (${last})` : ''}`);
}

async function writeFull(fh: fs.FileHandle, data: Uint8Array, offset: number): Promise<void> {
  for (let n = 0; n < data.length; ) {
    const { bytesWritten } = await fh.write(data, n, data.length - n, offset + n);
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    n += bytesWritten;
  }
}

