import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { touchKey, type HashRequestFile, type HashResult, type WalkEntry, type WalkError, type WalkRequest, type WorkerReply, type WorkerRequest } from './walk-types.js';

/**
 * The built service runs dist/scanner/scan-worker.js. Under tsx (tests, `npm run dev`) the worker is
 * TypeScript and needs tsx's loader registered inside it first.
 */
function spawnWorker(): Worker {
  // A worker only ever holds one chunk of entries or one hash task, so a small heap suffices; the
  // limit makes it collect garbage early instead of growing the process's memory.
  const resourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url), { resourceLimits });
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./scan-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, resourceLimits });
}

/**
 * Idle workers exit and give their memory back (about 13 MB each); the next request starts them
 * again. The first worker takes every request that comes while the pool is idle (a watched file,
 * a small scan), so it stays for a while; the others only help with bursts and go soon after.
 */
export interface PoolIdle {
  firstMs: number;
  othersMs: number;
}
const IDLE: PoolIdle = { firstMs: 10_000, othersMs: 1_000 };

interface Pending {
  onEntries?: (entries: WalkEntry[], errors: WalkError[]) => void;
  onProgress?: (bytes: number) => void;
  resolve: (v: HashResult[] | undefined) => void;
  reject: (e: unknown) => void;
  /** Set once the caller gave up: the answer still frees the slot, but goes nowhere. */
  abandoned?: boolean;
}

interface Slot {
  worker?: Worker;
  busy: number;
  idleTimer?: NodeJS.Timeout;
  /** The pattern sets this slot's worker holds compiled, most recently used first. */
  ignoreKeys: string[];
}

/**
 * Scan workers: directory walks and block hashing run here, off the main thread. One pool serves
 * every folder. Requests go to the least busy worker.
 */
export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;
  private closed = false;

  /** `size` 0 = one worker per CPU core. Workers start on first use. */
  constructor(
    size = 0,
    private readonly idleMs: PoolIdle = IDLE,
  ) {
    const n = size > 0 ? size : Math.max(1, os.availableParallelism());
    for (let i = 0; i < n; i++) this.slots.push({ busy: 0, ignoreKeys: [] });
  }

  private started(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = spawnWorker();
    slot.ignoreKeys = [];
    worker.on('message', (m: WorkerReply) => this.onMessage(m));
    // A worker let go when idle may finish exiting after its slot has a new one with new work:
    // only the slot's current worker can fail the slot's requests.
    worker.on('error', (e) => {
      if (slot.worker === worker) this.failAll(slot, e);
    });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      this.failAll(slot, new Error(`scan worker exited (code ${code})`));
    });
    slot.worker = worker;
    return worker;
  }

  private idle(slot: Slot): void {
    slot.worker?.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      const w = slot.worker;
      if (slot.busy === 0 && w) {
        slot.worker = undefined;
        // The exit is not waited for: nothing of this worker's is pending any more.
        w.terminate().catch(() => undefined);
      }
    }, slot === this.slots[0] ? this.idleMs.firstMs : this.idleMs.othersMs);
    slot.idleTimer.unref();
  }

  /**
   * A running worker with fewer than two requests takes the next one: starting a worker costs tens
   * of ms, which a lone request (a watched file's walk and then its hash) would otherwise wait for.
   * Past that, the least busy slot, started if need be; ties go to the first, which is why that one
   * is kept longer.
   */
  private pick(): Slot {
    let warm: Slot | undefined;
    for (const s of this.slots) if (s.worker && s.busy < 2 && (!warm || s.busy < warm.busy)) warm = s;
    return warm ?? this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  /**
   * Sends one request. When `signal` aborts, the worker is told through the request's cancel flag
   * and the caller's promise rejects at once with the signal's reason; the slot stays busy until
   * the worker has stopped (it answers within one entry or one block).
   */
  private send(req: WorkerRequest, p: Pick<Pending, 'onEntries' | 'onProgress'>, signal?: AbortSignal): Promise<HashResult[] | undefined> {
    if (this.closed) return Promise.reject(new Error('scan pool closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const slot = this.pick();
    const worker = this.started(slot);
    clearTimeout(slot.idleTimer);
    // A worker that compiled these patterns for an earlier walk still has them.
    if (req.op === 'walk' && touchKey(slot.ignoreKeys, req.ignoreKey)) req = { ...req, ignore: undefined };
    // A worker with work keeps the process alive until it answers; an idle one does not.
    if (slot.busy++ === 0) worker.ref();
    return new Promise((resolve, reject) => {
      const entry: Pending & { slot: Slot } = { ...p, resolve, reject, slot };
      const onAbort = () => {
        Atomics.store(req.cancel, 0, 1);
        entry.abandoned = true;
        reject(signal!.reason);
      };
      if (signal) {
        signal.addEventListener('abort', onAbort, { once: true });
        const done = () => signal.removeEventListener('abort', onAbort);
        entry.resolve = (v) => (done(), resolve(v));
        entry.reject = (e) => (done(), reject(e));
      }
      this.pending.set(req.id, entry);
      worker.postMessage(req);
    });
  }

  private onMessage(m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.op === 'entries' || m.op === 'progress') {
      if (p.abandoned) return;
      if (m.op === 'entries') p.onEntries?.(m.entries, m.errors);
      else p.onProgress?.(m.bytes);
      return;
    }
    this.pending.delete(m.id);
    if (--p.slot.busy === 0) this.idle(p.slot);
    if (p.abandoned) return;
    if (m.op === 'walked') p.resolve(undefined);
    else if (m.op === 'hashed') p.resolve(m.results);
    else p.reject(new Error(m.error));
  }

  private failAll(slot: Slot, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(e);
    }
    slot.busy = 0;
  }

  /** Walks `sub` of `root` (all of it for ""), streaming entries as they are found; `signal` stops it. */
  async walk(req: WalkRequest, onEntries: (entries: WalkEntry[], errors: WalkError[]) => void, signal?: AbortSignal): Promise<void> {
    await this.send({ op: 'walk', id: this.nextId++, cancel: cancelFlag(), ...req }, { onEntries }, signal);
  }

  /**
   * Hashes files of `root` in blocks of the requested sizes; `signal` stops it. `onProgress`
   * hears of hashed bytes every few MiB while it runs (the rest only with the results).
   */
  async hash(root: string, files: HashRequestFile[], signal?: AbortSignal, onProgress?: (bytes: number) => void): Promise<HashResult[]> {
    return (await this.send({ op: 'hash', id: this.nextId++, cancel: cancelFlag(), root, files }, { onProgress }, signal))!;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers running now. */
  get running(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  /** Requests not answered yet, abandoned ones included (for tests). */
  get outstanding(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [, p] of this.pending) p.reject(new Error('scan pool closed'));
    this.pending.clear();
    await Promise.all(
      this.slots.map((s) => {
        clearTimeout(s.idleTimer);
        const w = s.worker;
        s.worker = undefined;
        return w?.terminate();
      }),
    );
  }
}

function cancelFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}
