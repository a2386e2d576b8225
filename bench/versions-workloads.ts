import fs from 'node:fs';
import path from 'node:path';
import type { Server } from './servers.js';
import { call, latencyMs, median, now, sleep } from './workloads.js';

/**
 * Versioning workloads: listing a big .stversions tree, restoring many files in one call, and
 * reverting a receive-only folder full of local additions through a simple versioner. Each run
 * gets its own copy of the prepared tree, because restores and reverts move files.
 */

const TAG_BASE = Date.UTC(2024, 0, 1);
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Syncthing's tag for a moment, in local time. */
function tag(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}
const versionTime = (i: number) => TAG_BASE + i * 3600_000;

/** `files` current files in 10 directories, each with `perFile` tagged versions in .stversions. */
export function makeVersionsTree(dir: string, files: number, perFile: number): void {
  if (fs.existsSync(path.join(dir, '.done'))) return;
  for (let i = 0; i < files; i++) {
    const sub = `d${i % 10}`;
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.mkdirSync(path.join(dir, '.stversions', sub), { recursive: true });
    fs.writeFileSync(path.join(dir, sub, `f${i}.txt`), `current ${i}\n`);
    for (let v = 0; v < perFile; v++) fs.writeFileSync(path.join(dir, '.stversions', sub, `f${i}~${tag(versionTime(v))}.txt`), `version ${v} of ${i}\n`);
  }
  fs.mkdirSync(path.join(dir, '.stfolder'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.done'), '');
}

/** `files` small files in 100 directories: local additions for a receive-only folder to revert. */
export function makeRevertTree(dir: string, files: number): void {
  if (fs.existsSync(path.join(dir, '.done'))) return;
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${pad(i % 100)}`);
    if (i < 100) fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `f${i}.txt`), `local addition ${i}\n`);
  }
  fs.mkdirSync(path.join(dir, '.stfolder'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.done'), '');
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, limitS = 600): Promise<T> {
  const t0 = now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (now() - t0 > limitS) throw new Error(`${what}: not done after ${limitS} s`);
    await sleep(20);
  }
}

const json = async (s: Server, p: string) => {
  const r = await call(s, 'GET', p);
  return r.status === 200 ? JSON.parse(r.text) : undefined;
};

export interface VersionsResult {
  listMs: number;
  restoreS: number;
  revertS: number;
}

/**
 * Fresh copies of the prepared trees in `work`, made before the server starts: a copy blocks the
 * event loop for seconds, long enough for the server to drop an idle keep-alive connection that
 * fetch would then reuse.
 */
export function copyVersionsWork(work: string, versionsTree: string, revertTree: string): { vdir: string; rdir: string } {
  const vdir = path.join(work, 'versions');
  const rdir = path.join(work, 'revert');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(versionsTree, vdir, { recursive: true });
  fs.cpSync(revertTree, rdir, { recursive: true });
  return { vdir, rdir };
}

/**
 * On copies of the prepared trees (copyVersionsWork): the median time of GET
 * /rest/folder/versions, one POST that restores `restoreCount` files, and a revert of every file
 * of the revert tree.
 */
export async function versionsWorkload(s: Server, work: { vdir: string; rdir: string }, files: number, restoreCount: number): Promise<VersionsResult> {
  const { vdir, rdir } = work;
  const versioning = { type: 'simple', params: { keep: '1000' }, cleanupIntervalS: 0 };

  await call(s, 'POST', '/rest/config/folders', { id: 'ver', path: vdir, fsWatcherEnabled: false, rescanIntervalS: 0, versioning });
  await waitFor('versions folder', async () => ((await json(s, '/rest/db/status?folder=ver'))?.state === 'idle' ? true : undefined));
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) xs.push(await latencyMs(s, '/rest/folder/versions?folder=ver'));

  const body: Record<string, string> = {};
  for (let i = 0; i < restoreCount; i++) body[`d${i % 10}/f${i}.txt`] = new Date(versionTime(0)).toISOString();
  let t0 = now();
  const r = await call(s, 'POST', '/rest/folder/versions?folder=ver', body);
  const restoreS = now() - t0;
  if (r.status !== 200 || r.text.trim() !== '{}') throw new Error(`${s.name}: restore: ${r.status} ${r.text.slice(0, 200)}`);

  await call(s, 'POST', '/rest/config/folders', { id: 'ro', path: rdir, type: 'receiveonly', fsWatcherEnabled: false, rescanIntervalS: 0, versioning });
  await waitFor('receive-only folder', async () => {
    const st = await json(s, '/rest/db/status?folder=ro');
    return st?.state === 'idle' && st.receiveOnlyChangedFiles >= files ? true : undefined;
  });
  t0 = now();
  await call(s, 'POST', '/rest/db/revert?folder=ro');
  await waitFor('revert', async () => {
    const st = await json(s, '/rest/db/status?folder=ro');
    return st?.state === 'idle' && st.receiveOnlyTotalItems === 0 ? true : undefined;
  });
  const revertS = now() - t0;
  const left = fs.readdirSync(rdir).filter((n) => n !== '.stfolder' && n !== '.stversions' && n !== '.done');
  if (left.length) throw new Error(`${s.name}: revert left ${left.length} entries`);
  return { listMs: median(xs), restoreS, revertS };
}
