import fs from 'node:fs';
import type { Server } from './servers.js';
import { listenOnLoopback } from './peers-workloads.js';

/**
 * Index exchange, measured the same way whoever the subject is: the seconds from adding a
 * device until the whole of a 100k-file index is in the other side's global counts, one way
 * (the subject takes Syncthing's index) and the other (the subject's index goes to a Syncthing).
 * For Synchro, the event-loop delay p99 over that span, from its cumulative histogram.
 */

export const api = async (s: Server, p: string, method = 'GET', body?: unknown) => {
  const r = await fetch(`${s.base}${p}`, { method, headers: { 'X-API-Key': s.key, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${s.name} ${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};

export const myId = async (s: Server): Promise<string> => (await api(s, '/rest/system/status')).myID;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes `dialer` and `other` know each other (no addresses: nobody dials yet) and share `folder`
 * send-only (nobody pulls); returns the starting gun: it gives `dialer` the other's address and
 * returns that moment.
 */
async function prepare(dialer: Server, other: Server, folder: string, dirD: string, dirO: string): Promise<() => Promise<number>> {
  const [id, io] = [await myId(dialer), await myId(other)];
  await listenOnLoopback(dialer);
  const addr = await listenOnLoopback(other);
  await api(dialer, '/rest/config/devices', 'POST', { deviceID: io, name: 'other', addresses: ['dynamic'] });
  await api(other, '/rest/config/devices', 'POST', { deviceID: id, name: 'dialer', addresses: ['dynamic'] });
  const f = (dir: string) => ({ id: folder, label: folder, path: dir, type: 'sendonly', rescanIntervalS: 0, fsWatcherEnabled: false, devices: [{ deviceID: id }, { deviceID: io }] });
  await putFolder(other, f(dirO));
  await putFolder(dialer, f(dirD));
  return async () => {
    const t0 = performance.now();
    await api(dialer, `/rest/config/devices/${io}`, 'PATCH', { addresses: [addr] });
    return t0;
  };
}

/** Forgets a device again (a source reused for the next subject must not know the last one). */
export async function forget(s: Server, other: Server): Promise<void> {
  await api(s, `/rest/config/devices/${await myId(other)}`, 'DELETE');
}

export async function putFolder(s: Server, f: Record<string, unknown>): Promise<void> {
  const existing = ((await api(s, '/rest/config/folders')) as { id: string }[]).find((x) => x.id === f.id);
  if (existing) await api(s, `/rest/config/folders/${f.id}`, 'PUT', { ...existing, ...f });
  else await api(s, '/rest/config/folders', 'POST', f);
}

/** Until `s` is idle with at least `files` local files in `folder` (half an hour at most). */
export async function untilScanned(s: Server, folder: string, files: number): Promise<void> {
  for (const t0 = performance.now(); ; await sleep(100)) {
    const st = await api(s, `/rest/db/status?folder=${folder}`).catch(() => undefined);
    if (st?.state === 'idle' && st.localFiles >= files) return;
    if (performance.now() - t0 > 1_800_000) throw new Error(`${s.name}: ${folder} not scanned`);
  }
}

/** Seconds until `s` holds `files` global files in `folder`, counted from `t0`. */
async function untilGlobal(s: Server, folder: string, files: number, t0: number, limitS = 900): Promise<number> {
  for (;;) {
    const st = await api(s, `/rest/db/status?folder=${folder}`).catch(() => undefined);
    if (st && st.globalFiles >= files) return (performance.now() - t0) / 1000;
    if ((performance.now() - t0) / 1000 > limitS) throw new Error(`${s.name}: ${folder} has ${st?.globalFiles} of ${files} global files after ${limitS} s`);
    await sleep(100);
  }
}

/** The cumulative event-loop delay histogram of a Synchro (bucket upper bound → count). */
async function loopHistogram(s: Server): Promise<Map<number, number> | undefined> {
  if (s.name !== 'synchro') return undefined;
  const text = await (await fetch(`${s.base}/metrics`, { headers: { 'X-API-Key': s.key } })).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^synchro_eventloop_delay_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/** The p99 (in ms, as the bucket bound it falls in) of the samples between two histograms. */
function p99Between(a: Map<number, number>, b: Map<number, number>): number {
  const bounds = [...b.keys()].sort((x, y) => x - y);
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  for (const le of bounds) if ((b.get(le) ?? 0) - (a.get(le) ?? 0) >= 0.99 * total) return le * 1000;
  return Infinity;
}

export interface IndexTiming {
  seconds: number;
  loopP99Ms?: number;
}

/**
 * The subject takes the index of `source` (a Syncthing holding `files` files in folder `folder`
 * at `sourceDir`, already scanned): seconds from adding it until all are in the subject's global.
 */
export async function receiveIndex(subject: Server, source: Server, folder: string, sourceDir: string, files: number, emptyDir: string): Promise<IndexTiming> {
  fs.mkdirSync(emptyDir, { recursive: true });
  const go = await prepare(subject, source, folder, emptyDir, sourceDir);
  const before = await loopHistogram(subject);
  const t0 = await go();
  const seconds = await untilGlobal(subject, folder, files, t0);
  const after = await loopHistogram(subject);
  return { seconds, loopP99Ms: before && after ? p99Between(before, after) : undefined };
}

/**
 * The subject's index goes to `peer` (a fresh Syncthing): the subject shares `folder` at `dir`
 * (`files` files) with it and scans it; seconds from giving it the peer's address until all are
 * in the peer's global.
 */
export async function sendIndex(subject: Server, peer: Server, folder: string, dir: string, files: number, emptyDir: string): Promise<IndexTiming> {
  fs.mkdirSync(emptyDir, { recursive: true });
  const go = await prepare(subject, peer, folder, dir, emptyDir);
  // The subject scans the tree in the folder as shared, so no config change restarts it later.
  await untilScanned(subject, folder, files);
  const before = await loopHistogram(subject);
  const t0 = await go();
  const seconds = await untilGlobal(peer, folder, files, t0);
  const after = await loopHistogram(subject);
  return { seconds, loopP99Ms: before && after ? p99Between(before, after) : undefined };
}
