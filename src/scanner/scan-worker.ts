import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { parentPort } from 'node:worker_threads';
import { blockSizeWithHysteresis } from './block-size.js';
import { isInternal, isTemporary } from './names.js';
import { IgnoreMatcher } from './ignore-pattern.js';
import { CANCELLED, touchKey, type HashRequestFile, type HashResult, type WalkEntry, type WalkError, type WalkRequest, type WorkerReply, type WorkerRequest } from './walk-types.js';

/**
 * The scan worker: walks directories and hashes files with synchronous fs calls, which are cheap
 * here and keep the service's event loop free. Entries are streamed back in chunks.
 */

const CHUNK = 1000;
/** How many hashed bytes between progress reports (FolderScanProgress moves per block, not per file). */
const PROGRESS_BYTES = 4 << 20;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

/** Thrown out of a walk or a hash when the request's cancel flag is set. */
class Cancelled extends Error {}

function checkCancel(flag: Int32Array): void {
  if (Atomics.load(flag, 0) !== 0) throw new Cancelled(CANCELLED);
}

function kindOf(st: fs.BigIntStats): 0 | 1 | 4 | undefined {
  if (st.isFile()) return 0;
  if (st.isDirectory()) return 1;
  if (st.isSymbolicLink()) return 4;
  return undefined; // sockets, FIFOs and devices are skipped silently
}

/** Go's *PathError text: "open /path/to/file: permission denied". */
function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String(e);
  const desc = err.message.replace(/^[A-Z]+: /, '').split(', ')[0];
  return `${err.syscall ?? 'stat'} ${err.path ?? ''}: ${desc}`;
}

function walk(id: number, req: WalkRequest, cancel: Int32Array): void {
  let entries: WalkEntry[] = [];
  let errors: WalkError[] = [];
  const flush = (force = false) => {
    if (force || entries.length + errors.length >= CHUNK) {
      if (entries.length || errors.length) post({ op: 'entries', id, entries, errors });
      entries = [];
      errors = [];
    }
  };
  const fail = (name: string, error: string) => {
    errors.push({ name, error });
    flush();
  };

  const matcher = ignoreMatcher(req);

  /** lstat of one item as a WalkEntry; undefined for what is not indexed (gone, special, temporary). */
  const stat = (rel: string): WalkEntry | undefined => {
    checkCancel(cancel);
    const abs = path.join(req.root, rel);
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(abs, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail(rel, `scan: ${errText(e)}`);
      return undefined;
    }
    const kind = kindOf(st);
    if (kind === undefined) return undefined;
    if (isTemporary(path.basename(rel))) {
      const ageH = (req.nowMs - Number(st.mtimeMs)) / 3_600_000;
      if (kind === 0 && req.keepTemporariesH > 0 && ageH > req.keepTemporariesH) fs.rmSync(abs, { force: true });
      return undefined;
    }
    const e: WalkEntry = { name: rel, kind, size: kind === 0 ? Number(st.size) : 0, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, mode: Number(st.mode & 0o7777n) };
    if (kind === 4) {
      try {
        e.target = fs.readlinkSync(abs);
      } catch (err) {
        fail(rel, `scan: ${errText(err)}`);
        return undefined;
      }
    }
    return e;
  };

  /**
   * Ignored items are not reported. An ignored directory is still walked when a later negated
   * pattern could match inside it; if something inside turns out included, the ignored
   * directories above it are reported first, so the included item has its parents in the index.
   */
  const consider = (rel: string, pending: { e: WalkEntry; done: boolean }[]): void => {
    const e = stat(rel);
    if (!e) return;
    const m = matcher.match(rel);
    if (m.ignored) {
      if (e.kind === 1 && !m.canSkipDir) readDir(rel, [...pending, { e, done: false }]);
      return;
    }
    for (const p of pending) {
      if (p.done) continue;
      p.done = true;
      entries.push(p.e);
    }
    entries.push(e);
    flush();
    if (e.kind === 1) readDir(rel, []);
  };

  const readDir = (rel: string, pending: { e: WalkEntry; done: boolean }[]): void => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(path.join(req.root, rel), { encoding: 'buffer' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail(rel || '.', `scan: ${errText(e)}`);
      return;
    }
    for (const raw of names) {
      if (!isUtf8(raw)) {
        fail(path.posix.join(rel, raw.toString('utf8')), 'scan: item is not in UTF8 encoding');
        continue;
      }
      let name = raw.toString('utf8');
      let child = rel ? `${rel}/${name}` : name;
      if (!rel && isInternal(child)) continue;
      const nfc = name.normalize('NFC');
      if (nfc !== name) {
        if (!req.autoNormalize) {
          fail(child, 'normalizing path: item is not in the correct UTF8 normalization form');
          continue;
        }
        const target = path.join(req.root, rel, nfc);
        if (fs.existsSync(target)) {
          fail(child, 'item has UTF8 encoding conflict with another item');
          continue;
        }
        try {
          fs.renameSync(path.join(req.root, rel, name), target);
        } catch (e) {
          fail(child, `normalizing path: ${errText(e)}`);
          continue;
        }
        name = nfc;
        child = rel ? `${rel}/${name}` : name;
      }
      consider(child, pending);
    }
  };

  if (req.sub === '') readDir('', []);
  else if (!traversesLink(req.root, req.sub)) consider(req.sub, []);
  flush(true);
  post({ op: 'walked', id });
}

/** Compiled pattern sets by key, kept in the same most-recently-used order as the pool's copy of the list. */
const matchers = new Map<string, IgnoreMatcher>();
const matcherOrder: string[] = [];

function ignoreMatcher(req: WalkRequest): IgnoreMatcher {
  touchKey(matcherOrder, req.ignoreKey);
  if (req.ignore) matchers.set(req.ignoreKey, new IgnoreMatcher(req.ignore));
  for (const k of matchers.keys()) if (!matcherOrder.includes(k)) matchers.delete(k);
  const m = matchers.get(req.ignoreKey);
  if (!m) throw new Error(`ignore patterns ${req.ignoreKey} were not sent`);
  return m;
}

/** True when a parent of `sub` is a symlink or not a directory: such a path is not scanned. */
function traversesLink(root: string, sub: string): boolean {
  const parts = sub.split('/');
  for (let i = 1; i < parts.length; i++) {
    try {
      if (!fs.lstatSync(path.join(root, ...parts.slice(0, i))).isDirectory()) return true;
    } catch {
      return true;
    }
  }
  return false;
}

const EMPTY_SHA = createHash('sha256').digest();

/**
 * Hashes one file. It is opened without following a symlink and without blocking (a FIFO swapped
 * in since the walk would otherwise hang the worker until someone writes to it); whatever is not
 * a regular file once open counts as gone.
 */
function hashOne(root: string, f: HashRequestFile, buf: { b: Buffer }, cancel: Int32Array, progress: (bytes: number) => void): HashResult {
  const abs = path.join(root, f.name);
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const base = { name: f.name, size: 0, mtimeNs: 0n, ctimeNs: 0n, mode: 0, blockSize: 0, hashes: new Uint8Array(0) };
    if (code === 'ENOENT') return { ...base, vanished: true };
    return { ...base, error: `hashing: ${errText(e)}` };
  }
  try {
    const before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile()) return { name: f.name, size: 0, mtimeNs: 0n, ctimeNs: 0n, mode: 0, blockSize: 0, hashes: new Uint8Array(0), vanished: true };
    const size = Number(before.size);
    const blockSize = size === 0 ? f.blockSize : blockSizeWithHysteresis(size, f.previousBlockSize);
    const nBlocks = Math.max(1, Math.ceil(size / blockSize));
    const hashes = new Uint8Array(nBlocks * 32);
    if (buf.b.length < blockSize) buf.b = Buffer.allocUnsafe(blockSize);
    if (size === 0) hashes.set(EMPTY_SHA, 0);
    let total = 0;
    for (let i = 0; i < nBlocks && size > 0; i++) {
      checkCancel(cancel);
      let got = 0;
      const want = Math.min(blockSize, size - i * blockSize);
      while (got < want) {
        const n = fs.readSync(fd, buf.b, got, want - got, i * blockSize + got);
        if (n === 0) break;
        got += n;
      }
      total += got;
      progress(got);
      hashes.set(createHash('sha256').update(buf.b.subarray(0, got)).digest(), i * 32);
      if (got < want) break;
    }
    const after = fs.fstatSync(fd, { bigint: true });
    if (total !== size || after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
      return { name: f.name, size, mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs, mode: 0, blockSize, hashes: new Uint8Array(0), error: 'hashing: file changed during hashing' };
    }
    return { name: f.name, size, mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs, mode: Number(before.mode & 0o7777n), blockSize, hashes };
  } catch (e) {
    if (e instanceof Cancelled) throw e;
    return { name: f.name, size: 0, mtimeNs: 0n, ctimeNs: 0n, mode: 0, blockSize: 0, hashes: new Uint8Array(0), error: `hashing: ${errText(e)}` };
  } finally {
    fs.closeSync(fd);
  }
}

const buffer = { b: Buffer.allocUnsafe(128 << 10) };

parentPort!.on('message', (m: WorkerRequest) => {
  try {
    if (m.op === 'walk') walk(m.id, m, m.cancel);
    else {
      let unreported = 0;
      const progress = (bytes: number) => {
        unreported += bytes;
        if (unreported < PROGRESS_BYTES) return;
        post({ op: 'progress', id: m.id, bytes: unreported });
        unreported = 0;
      };
      const results = m.files.map((f) => hashOne(m.root, f, buffer, m.cancel, progress));
      post({ op: 'hashed', id: m.id, results }, results.map((r) => r.hashes.buffer as ArrayBuffer).filter((b, i, a) => b.byteLength && a.indexOf(b) === i));
    }
  } catch (e) {
    post({ op: 'failed', id: m.id, error: e instanceof Cancelled ? CANCELLED : String(e) });
  }
});
