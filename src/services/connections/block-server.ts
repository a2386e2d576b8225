import { ByteBudget } from '../byte-budget.js';
import { readFull, sha256Equals } from '../block-io.js';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Configuration } from '../../config/types.js';
import { ErrorCode, MessageType, type Request } from '../../bep/messages.js';
import { ProtocolError } from '../../bep/pb.js';
import { background } from '../../shared/background.js';
import { messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { isInternal, isTemporary, tempName } from '../../scanner/names.js';
import type { PeerLink } from './index-exchange.js';
import { Semaphore } from '../semaphore.js';
import { cleanWireName } from './wire-files.js';

/** What serving needs of a running folder. */
export interface ServedFolder {
  root: string;
  /** Whether the folder's ignores leave `name` out (undefined: the ignores cannot be read, so nothing is served). */
  ignored(name: string): boolean | undefined;
  /** The hash our index holds for the block of `name` at `offset`, if it holds a regular file with that block. */
  indexedBlock(name: string, offset: number): Uint8Array | undefined;
  /** Our index claims data the disk no longer has: rescan that file. */
  rescan(name: string): Promise<void>;
}

export interface BlockServerDeps {
  config: () => Readonly<Configuration>;
  /** The folder when it runs here (configured, not paused), else undefined. */
  folder(id: string): ServedFolder | undefined;
  log: Logger;
}

/** 1.19.2's defaults: 32 MiB of requests per device (maxRequestKiB 0), 256 MiB for all (maxConcurrentIncomingRequestKiB 0). */
const DEVICE_DEFAULT = 32 << 20;
const GLOBAL_DEFAULT = 256 << 20;
/** The largest block there is: no request may ask for more. */
const MAX_BLOCK = 16 << 20;
/** Open files are kept this long after their last read (a pull asks for a file's blocks in a burst). */
const HANDLE_IDLE_MS = 2000;
const MAX_HANDLES = 64;
/** Blocks read and hashed at once, for all peers. */
const DISK_STAGE = 4;

interface Handle {
  fh: fs.FileHandle;
  users: number;
  lastUse: number;
}

/**
 * Serving the blocks peers request (bep.md §1.10, 1.19.2's model.Request): the folder must be
 * shared with the device and running, the name clean (anything else closes the connection, as
 * 1.19.2's protocol layer does), not internal, temporary or ignored; the file is opened without
 * following a symlink and what was opened is checked to be the file under the folder (no
 * directory on the way may be a link); the block is read at its offset and its SHA-256 checked
 * against the requested hash before it goes out. A block that no longer matches what our index
 * says is answered "no such file" and the file is rescanned.
 *
 * Bounded: each device may have its maxRequestKiB (32 MiB) of requests in flight, everyone
 * together maxConcurrentIncomingRequestKiB (256 MiB). A peer at its bound is not read from until
 * a response has gone out, so the socket pushes back and nothing grows. Reads go to libuv's
 * threads; hashing is done here in 1 MiB slices, each under a millisecond.
 */
export class BlockServer {
  private readonly global: ByteBudget;
  private readonly perDevice = new Map<string, ByteBudget>();
  private readonly handles = new Map<string, Handle>();
  /** Each folder root as the kernel resolves it, looked up once while its files are open. */
  private readonly realRoots = new Map<string, string>();
  private readonly diskStage = new Semaphore(DISK_STAGE);
  private readonly pool = new BufferPool(DEVICE_DEFAULT);
  private sweeper?: NodeJS.Timeout;
  /** Requests answered, by code, and bytes sent (tests read them). */
  readonly served = { ok: 0, generic: 0, noSuchFile: 0, invalid: 0, bytes: 0 };

  constructor(private readonly d: BlockServerDeps) {
    const opts = () => d.config().options as Record<string, unknown>;
    this.global = new ByteBudget(() => kib(Number(opts().maxConcurrentIncomingRequestKiB ?? 0), GLOBAL_DEFAULT));
  }

  private budget(device: string): ByteBudget {
    let b = this.perDevice.get(device);
    if (!b) {
      b = new ByteBudget(() => kib(this.d.config().devices.find((x) => x.deviceID === device)?.maxRequestKiB ?? 0, DEVICE_DEFAULT));
      this.perDevice.set(device, b);
    }
    return b;
  }

  /**
   * Takes a Request off the connection: resolves once it is admitted under the bounds (until then
   * the connection reads nothing more); the answer goes out later, on its own. An unclean name is
   * a ProtocolError, which closes the connection.
   */
  async request(link: PeerLink, q: Request): Promise<void> {
    if (!cleanWireName(q.name)) throw new ProtocolError(`request for an invalid file name ${JSON.stringify(q.name.slice(0, 200))}`);
    const size = q.size > 0 && q.size <= MAX_BLOCK ? bufferSize(q.size) : 0;
    const releaseDevice = await this.budget(link.device).take(size);
    const releaseGlobal = await this.global.take(size);
    let held: Buffer | undefined;
    // The bytes count until the socket is done with them; then the buffer is free for another block.
    const release = () => {
      if (held) this.pool.give(held);
      held = undefined;
      releaseGlobal();
      releaseDevice();
    };
    background(
      this.answer(link, q)
        .then(({ code, data, buffer }) => {
          held = buffer;
          if (link.closed) return release();
          this.count(code, data.length);
          return link.send({ type: MessageType.Response, msg: { id: q.id, data, code } }, release);
        })
        .catch((err: unknown) => {
          release();
          throw err;
        }),
      (m) => this.d.log.debug(m),
      `answering request ${q.id} from ${link.device}`,
    );
  }

  private count(code: ErrorCode, bytes: number): void {
    if (code === ErrorCode.NoError) (this.served.ok++, (this.served.bytes += bytes));
    else if (code === ErrorCode.Generic) this.served.generic++;
    else if (code === ErrorCode.NoSuchFile) this.served.noSuchFile++;
    else this.served.invalid++;
  }

  /** An error answer, logged with what was asked. */
  private fail(link: PeerLink, q: Request, code: ErrorCode, why: string, level: 'debug' | 'info' = 'debug'): Answer {
    this.d.log[level](`request from ${link.device} for ${JSON.stringify(q.folder)}/${JSON.stringify(q.name)} at ${q.offset}+${q.size}: ${why}`);
    return { code, data: EMPTY };
  }

  private async answer(link: PeerLink, q: Request): Promise<Answer> {
    const fail = (code: ErrorCode, why: string, level?: 'debug' | 'info') => this.fail(link, q, code, why, level);
    if (q.size < 0 || q.offset < 0) return fail(ErrorCode.InvalidFile, 'negative or out-of-range offset or size', 'info');
    if (q.size > MAX_BLOCK) return fail(ErrorCode.InvalidFile, `size above the largest block (${MAX_BLOCK})`, 'info');
    const cfg = this.d.config().folders.find((f) => f.id === q.folder);
    if (!cfg) return fail(ErrorCode.Generic, 'no such folder', 'info');
    if (!cfg.devices.some((x) => x.deviceID === link.device)) return fail(ErrorCode.Generic, 'the folder is not shared with the device', 'info');
    const folder = this.d.folder(q.folder);
    if (!folder) return fail(ErrorCode.Generic, 'the folder is not running');
    const name = q.name.normalize('NFC');
    if (isInternal(name)) return fail(ErrorCode.InvalidFile, 'internal file', 'info');
    if (isTemporary(path.posix.basename(name))) return fail(ErrorCode.InvalidFile, 'temporary file', 'info');
    const ignored = folder.ignored(name);
    if (ignored === undefined) return fail(ErrorCode.Generic, 'the folder ignores cannot be read');
    if (ignored) return fail(ErrorCode.InvalidFile, 'ignored file', 'info');

    // Reading and hashing, a few at a time (libuv's four threads do both): a block's buffer exists
    // from its read until it is sent, and its hash copy only while it is hashed.
    const release = await this.diskStage.acquire();
    try {
      return await this.readVerified(link, q, cfg.disableTempIndexes, folder, name);
    } finally {
      release();
    }
  }

  private async readVerified(link: PeerLink, q: Request, disableTempIndexes: boolean, folder: ServedFolder, name: string): Promise<Answer> {
    const data = this.pool.take(q.size);
    const answer = await this.readInto(data, link, q, disableTempIndexes, folder, name);
    if (answer.code !== ErrorCode.NoError) this.pool.give(data);
    return answer.code === ErrorCode.NoError ? { ...answer, buffer: data } : answer;
  }

  private async readInto(data: Buffer, link: PeerLink, q: Request, disableTempIndexes: boolean, folder: ServedFolder, name: string): Promise<Answer> {
    const fail = (code: ErrorCode, why: string, level?: 'debug' | 'info') => this.fail(link, q, code, why, level);
    const candidates = q.fromTemporary && !disableTempIndexes ? [tempName(name), name] : [name];
    for (const candidate of candidates) {
      const last = candidate === name;
      // A file kept open from an earlier request may have been replaced since: a mismatch there is tried once more, freshly opened.
      for (let attempt = 0; attempt < 2; attempt++) {
        let h: Handle;
        let fresh: boolean;
        try {
          ({ h, fresh } = await this.open(folder.root, q.folder, candidate));
        } catch (err) {
          if (!last) break;
          const code = (err as NodeJS.ErrnoException).code;
          return fail(ErrorCode.NoSuchFile, messageOf(err), code === 'ENOENT' || code === 'ENOTDIR' ? 'debug' : 'info');
        }
        let n: number;
        try {
          n = await readFull(h.fh, data.subarray(0, q.size), q.offset);
        } catch (err) {
          this.closeHandle(q.folder, candidate);
          if (!last) break;
          return fail(ErrorCode.Generic, `reading: ${messageOf(err)}`, 'info');
        } finally {
          h.users--;
          h.lastUse = Date.now();
        }
        const got = data.subarray(0, Math.min(n, q.size));
        if (q.hash.length === 0 || (await sha256Equals(got, q.hash))) return { code: ErrorCode.NoError, data: got };
        this.closeHandle(q.folder, candidate);
        if (!fresh) continue;
        if (!last) break;
        // The disk has something else than what was asked: when our index still claims that block, it is stale.
        const indexed = folder.indexedBlock(name, q.offset);
        if (indexed && Buffer.from(indexed).equals(q.hash)) {
          this.d.log.info(`folder ${q.folder}: ${name} changed on disk since it was scanned (a block served to ${link.device} did not match); rescanning it`);
          background(folder.rescan(name), (m) => this.d.log.info(m), `rescanning ${q.folder}/${name}`);
        }
        return fail(ErrorCode.NoSuchFile, 'the data does not match the requested hash');
      }
    }
    return fail(ErrorCode.NoSuchFile, 'the data does not match the requested hash');
  }

  /**
   * The file `name` under `root`, open for reading: a regular file, opened without following a
   * final symlink, and, by what the kernel says was opened, the file at root/name itself (a
   * linked directory on the way leads elsewhere and is refused).
   */
  private async open(root: string, folder: string, name: string): Promise<{ h: Handle; fresh: boolean }> {
    const key = `${folder}\0${name}`;
    const cached = this.handles.get(key);
    if (cached) {
      cached.users++;
      return { h: cached, fresh: false };
    }
    let realRoot = this.realRoots.get(root);
    if (realRoot === undefined) this.realRoots.set(root, (realRoot = await fs.realpath(root)));
    const want = path.join(realRoot, ...name.split('/'));
    const fh = await fs.open(path.join(root, ...name.split('/')), fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      const opened = await fs.readlink(`/proc/self/fd/${fh.fd}`).catch(() => undefined);
      // Without /proc, each directory on the way is looked at instead (a race a rename could win).
      const real = opened ?? (await fs.realpath(path.join(root, ...name.split('/').slice(0, -1))).then((dir) => path.join(dir, path.basename(want))));
      if (real !== want) throw Object.assign(new Error('the path goes through a symbolic link'), { code: 'ELINK' });
    } catch (err) {
      await fh.close();
      throw err;
    }
    // Another request may have opened it meanwhile: keep one.
    const raced = this.handles.get(key);
    if (raced) {
      await fh.close();
      raced.users++;
      return { h: raced, fresh: true };
    }
    const h: Handle = { fh, users: 1, lastUse: Date.now() };
    this.handles.set(key, h);
    if (this.handles.size > MAX_HANDLES) this.sweep(true);
    this.sweeper ??= setInterval(() => this.sweep(false), HANDLE_IDLE_MS).unref();
    return { h, fresh: true };
  }

  private closeHandle(folder: string, name: string): void {
    const key = `${folder}\0${name}`;
    const h = this.handles.get(key);
    if (!h) return;
    this.handles.delete(key);
    background(closeWhenDone(h), (m) => this.d.log.debug(m), 'closing a served file');
  }

  /** Closes files idle for a while (or, when too many are open, the least recently used). */
  private sweep(overfull: boolean): void {
    const now = Date.now();
    const byAge = [...this.handles].sort((a, b) => a[1].lastUse - b[1].lastUse);
    for (const [key, h] of byAge) {
      const idle = h.users === 0 && now - h.lastUse >= HANDLE_IDLE_MS;
      if (!idle && !(overfull && this.handles.size > MAX_HANDLES && h.users === 0)) continue;
      this.handles.delete(key);
      background(h.fh.close(), (m) => this.d.log.debug(m), 'closing a served file');
    }
    // Idle: the pooled buffers go too, so a finished transfer leaves no memory behind.
    if (this.global.inUse === 0 || this.handles.size === 0) this.pool.clear();
    if (this.handles.size === 0 && this.sweeper) {
      // Nothing open: a root is resolved afresh with the next burst.
      this.realRoots.clear();
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Files of a folder that changed on disk: their handles go, so the next read sees the new file. */
  forget(folder: string, names: Iterable<string>): void {
    if (this.handles.size === 0) return;
    for (const n of names) this.closeHandle(folder, n);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const all = [...this.handles.values()];
    this.handles.clear();
    this.realRoots.clear();
    await Promise.all(all.map((h) => h.fh.close().catch(() => undefined)));
  }

  /** Bytes of requests being answered now (all devices). */
  get inFlight(): number {
    return this.global.inUse;
  }
}

const EMPTY = new Uint8Array(0);

interface Answer {
  code: ErrorCode;
  data: Uint8Array;
  /** The pooled buffer `data` lies in, given back once it is sent. */
  buffer?: Buffer;
}

/** Blocks of at least this size are read into pooled buffers of a power-of-two size. */
const POOLED = 128 << 10;
const bufferSize = (n: number) => (n < POOLED ? n : 2 ** Math.ceil(Math.log2(n)));

/**
 * Buffers for blocks, reused instead of left to the collector (a 1 GiB transfer otherwise makes
 * a thousand 1 MiB garbage buffers). At most `maxBytes` are kept; all are let go when asked.
 */
class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private kept = 0;

  constructor(private readonly maxBytes: number) {}

  take(size: number): Buffer {
    const cls = bufferSize(size);
    if (cls < POOLED) return Buffer.allocUnsafe(size);
    const b = this.free.get(cls)?.pop();
    if (b) {
      this.kept -= cls;
      return b;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  give(b: Buffer): void {
    if (b.length < POOLED || this.kept + b.length > this.maxBytes) return;
    const list = this.free.get(b.length) ?? [];
    list.push(b);
    this.free.set(b.length, list);
    this.kept += b.length;
  }

  clear(): void {
    this.free.clear();
    this.kept = 0;
  }
}

const kib = (v: number, dflt: number) => (v > 0 ? v * 1024 : v < 0 ? Number.MAX_SAFE_INTEGER : dflt);

async function closeWhenDone(h: Handle): Promise<void> {
  while (h.users > 0) await new Promise((r) => setTimeout(r, 50));
  await h.fh.close();
}

