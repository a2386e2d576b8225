import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from './servers.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now() / 1000;

export async function call(s: Server, method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(s.base + p, { method, headers: { 'X-API-Key': s.key }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** The standard tree: same recipe (and so the same bytes) as ../shared/bench/make-tree.mjs. */
export function makeTree(dir: string, n: number): void {
  if (fs.existsSync(path.join(dir, '.done'))) return;
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const buf = Buffer.alloc(8192);
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 10000)).padStart(2, '0')}`, `s${String(Math.floor(i / 100) % 100).padStart(2, '0')}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    const size = 512 + Math.floor(rand() * 7680);
    for (let b = 0; b < size; b += 4) buf.writeUInt32LE((rand() * 2 ** 32) >>> 0, b);
    fs.writeFileSync(path.join(sub, `f${String(i).padStart(6, '0')}.txt`), buf.subarray(0, size));
  }
  fs.writeFileSync(path.join(dir, '.stfolder'), '');
  fs.writeFileSync(path.join(dir, '.done'), '');
}

/** `count` files of `mib` MiB of random bytes (hashing work with no duplicate blocks). */
export function makeBigFiles(dir: string, count: number, mib: number): void {
  if (fs.existsSync(path.join(dir, '.done'))) return;
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const fd = fs.openSync(path.join(dir, `big${i}.bin`), 'w');
    for (let w = 0; w < mib; w += 4) fs.writeSync(fd, randomBytes(Math.min(4, mib - w) << 20));
    fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(dir, '.stfolder'), '');
  fs.writeFileSync(path.join(dir, '.done'), '');
}

export async function status(s: Server, id: string): Promise<{ state: string; localFiles: number; localBytes: number }> {
  const r = await call(s, 'GET', `/rest/db/status?folder=${encodeURIComponent(id)}`);
  return r.status === 200 ? JSON.parse(r.text) : { state: 'unknown', localFiles: 0, localBytes: 0 };
}

/** Adds a folder and returns the seconds until it is idle with `files` files. */
export async function addAndWait(s: Server, id: string, dir: string, files: number, limitS = 1800): Promise<number> {
  const t0 = now();
  const r = await call(s, 'POST', '/rest/config/folders', { id, label: id, path: dir, fsWatcherEnabled: false, rescanIntervalS: 0 });
  if (r.status !== 200) throw new Error(`${s.name}: adding ${id}: ${r.status} ${r.text}`);
  for (;;) {
    const st = await status(s, id);
    if (st.state === 'idle' && st.localFiles >= files) return now() - t0;
    if (st.state === 'error') throw new Error(`${s.name}: ${id} is in error: ${(st as { error?: string }).error}`);
    if (now() - t0 > limitS) throw new Error(`${s.name}: ${id} not idle after ${limitS} s`);
    await sleep(50);
  }
}

/** Seconds for one synchronous POST /rest/db/scan. */
export async function rescan(s: Server, id: string): Promise<number> {
  const t0 = now();
  const r = await call(s, 'POST', `/rest/db/scan?folder=${encodeURIComponent(id)}`);
  if (r.status !== 200) throw new Error(`${s.name}: scan: ${r.status} ${r.text}`);
  return now() - t0;
}

/** Milliseconds for one GET (keep-alive connection, body read). */
export async function latencyMs(s: Server, p: string): Promise<number> {
  const t0 = now();
  const r = await call(s, 'GET', p);
  if (r.status !== 200) throw new Error(`${s.name}: GET ${p}: ${r.status}`);
  return (now() - t0) * 1000;
}

export const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

/** Writes `name` into the folder and returns the seconds until GET /rest/db/file knows it (then removes it, and waits for that too). */
export async function watchLatency(s: Server, id: string, dir: string, name: string, limitS = 90): Promise<number> {
  const file = `/rest/db/file?folder=${encodeURIComponent(id)}&file=${encodeURIComponent(name)}`;
  const t0 = now();
  fs.writeFileSync(path.join(dir, name), `probe ${name}\n`);
  let took = Number.POSITIVE_INFINITY;
  while (now() - t0 < limitS) {
    if ((await call(s, 'GET', file)).status === 200) {
      took = now() - t0;
      break;
    }
    await sleep(20);
  }
  fs.unlinkSync(path.join(dir, name));
  // The removal must be recorded before the next probe, or the two would share a scan.
  const t1 = now();
  while (now() - t1 < limitS) {
    const r = await call(s, 'GET', file);
    if (r.status !== 200 || (JSON.parse(r.text) as { local?: { deleted?: boolean } }).local?.deleted) break;
    await sleep(50);
  }
  return took;
}

/** Turns the watcher on for a folder and returns once a change is seen (the watch is up). */
export async function enableWatch(s: Server, id: string, dir: string, delayS: number): Promise<void> {
  const r = await call(s, 'PATCH', `/rest/config/folders/${encodeURIComponent(id)}`, { fsWatcherEnabled: true, fsWatcherDelayS: delayS });
  if (r.status !== 200) throw new Error(`${s.name}: enabling the watcher: ${r.status} ${r.text}`);
  await sleep(500);
  while ((await status(s, id)).state !== 'idle') await sleep(50);
  for (let i = 0; ; i++) {
    if (Number.isFinite(await watchLatency(s, id, dir, `.bench-ready-${i}`, 3 * delayS + 5))) return;
    if (i === 5) throw new Error(`${s.name}: the watch of ${id} never reported a change`);
  }
}

/** Creates `count` files in a new directory of the folder; seconds from the first write until the index holds them all and is idle. */
export async function burst(s: Server, id: string, dir: string, sub: string, count: number, expectFiles: number): Promise<number> {
  const t0 = now();
  fs.mkdirSync(path.join(dir, sub));
  for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, sub, `b${i}.txt`), `burst ${i}\n`);
  for (;;) {
    const st = await status(s, id);
    if (st.state === 'idle' && st.localFiles >= expectFiles) return now() - t0;
    if (now() - t0 > 1800) throw new Error(`${s.name}: burst not indexed after 1800 s`);
    await sleep(50);
  }
}
