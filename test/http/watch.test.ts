import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TestServer } from '../support/test-server.js';
import { folderSetup, localCounts, scan, walkCounts, write } from '../support/folder-helpers.js';
import { FAST_QUIET_MS } from '../../src/services/watch-aggregator.js';

/** Real chokidar on real temp folders, observed only through the API. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function fileRec(s: TestServer, folder: string, name: string): Promise<any> {
  const res = await s.req(`/rest/db/file?folder=${folder}&file=${encodeURIComponent(name)}`);
  return res.status === 200 ? ((await res.json()) as any).local : undefined;
}

const present = (s: TestServer, name: string, folder = 'f') => until(`${name} indexed`, async () => {
  const r = await fileRec(s, folder, name);
  return r && !r.deleted ? r : undefined;
});
const gone = (s: TestServer, name: string, folder = 'f') => until(`${name} deleted`, async () => {
  const r = await fileRec(s, folder, name);
  return r?.deleted ? r : undefined;
});

/** Adds folder f watched with the given delay, and returns once a change on disk is seen (the watch is up). */
async function addWatched(s: TestServer, root: string, extra: Record<string, unknown> = {}, id = 'f'): Promise<void> {
  const res = await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id, path: root, fsWatcherEnabled: true, fsWatcherDelayS: 1, ...extra }) });
  assert.equal(res.status, 200);
  await until('the watch to report a change', async () => {
    await fs.writeFile(path.join(root, '.watch-probe'), String(Date.now()));
    return (await until('probe', async () => (await fileRec(s, id, '.watch-probe')) ?? (await sleep(200), undefined), 600).catch(() => undefined)) !== undefined;
  });
  await fs.rm(path.join(root, '.watch-probe'));
  await gone(s, '.watch-probe', id);
}

/** Event ids after which a test looks. */
async function lastEventId(s: TestServer, stream = '/rest/events'): Promise<number> {
  const evs = await s.json(`${stream}?since=0&timeout=0`);
  return evs.length ? evs.at(-1).id : 0;
}

async function eventsSince(s: TestServer, since: number, stream = '/rest/events'): Promise<any[]> {
  return s.json(`${stream}?since=${since}&timeout=0`);
}

/** What the watch of `folder` made of the changes it saw so far (from /metrics). */
async function watchCounts(s: TestServer, folder = 'f'): Promise<{ ignored: number; queued: number }> {
  const text = await (await s.req('/metrics')).text();
  const read = (outcome: string) => Number(new RegExp(`^synchro_folder_watch_changes\\{folder="${folder}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { ignored: read('ignored'), queued: read('queued') };
}

/**
 * Writes a sentinel file and waits until it is indexed: every change the watch saw before it has
 * then been scanned too (older paths are due first), so what a test counts afterwards is final.
 */
async function settled(s: TestServer, root: string, folder = 'f'): Promise<void> {
  const name = `sentinel-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await fs.writeFile(path.join(root, name), 'x');
  await until(`${name} indexed`, async () => (await fileRec(s, folder, name)) !== undefined);
}

/**
 * The fast path needs a quiet folder: FAST_QUIET_MS without any change. That quiet spell is the
 * behaviour under test, so it is waited out (the one kind of sleep left here).
 */
const quiet = () => sleep(FAST_QUIET_MS + 200);

const scansIn = (evs: any[], folder = 'f') => evs.filter((e) => e.type === 'StateChanged' && e.data.folder === folder && e.data.to === 'scanning').length;

test('creations, edits, deletions, renames and directory moves are indexed without a scan request, with LocalChangeDetected on /rest/events/disk', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  const since = await lastEventId(s, '/rest/events/disk');

  await write(root, 'a.txt', 'first');
  assert.equal((await present(s, 'a.txt')).size, 5);
  await fs.appendFile(path.join(root, 'a.txt'), ' and more');
  await until('a.txt grown', async () => (await fileRec(s, 'f', 'a.txt'))?.size === 14);

  await fs.rename(path.join(root, 'a.txt'), path.join(root, 'b.txt'));
  await present(s, 'b.txt');
  await gone(s, 'a.txt');

  await write(root, 'dir/sub/x.txt', 'x');
  await present(s, 'dir/sub/x.txt');
  await fs.rename(path.join(root, 'dir'), path.join(root, 'moved'));
  await present(s, 'moved/sub/x.txt');
  await gone(s, 'dir/sub/x.txt');
  await gone(s, 'dir');

  await fs.rm(path.join(root, 'b.txt'));
  await gone(s, 'b.txt');
  assert.deepEqual(await localCounts(s, 'f'), { ...(await walkCounts(root)) });

  const disk = (await eventsSince(s, since, '/rest/events/disk')).filter((e) => e.type === 'LocalChangeDetected');
  const find = (p: string, action: string) => disk.find((e) => e.data.path === p && e.data.action === action);
  const myShort = (await s.json('/rest/system/status')).myID.slice(0, 7);
  assert.deepEqual(find('a.txt', 'modified')?.data, { action: 'modified', folder: 'f', folderID: 'f', label: '', modifiedBy: myShort, path: 'a.txt', type: 'file' });
  assert.ok(find('b.txt', 'deleted'));
  assert.equal(find('moved', 'modified')?.data.type, 'dir');
  assert.equal(find('dir/sub', 'deleted')?.data.type, 'dir');
});

test('fast path: one file written into a quiet folder is indexed long before fsWatcherDelayS', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root, { fsWatcherDelayS: 10 });
  await quiet();
  const t0 = Date.now();
  await write(root, 'single.txt', 'hello');
  await present(s, 'single.txt');
  const took = Date.now() - t0;
  // The default route would wait 5–15 s; anything under the half-delay proves the fast path took it.
  assert.ok(took < 5000, `took ${took} ms`);
});

test('a burst in one directory and at the root aggregates into a few scans', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  await fs.mkdir(path.join(root, 'many'));
  const since = await lastEventId(s);
  await Promise.all(Array.from({ length: 2000 }, (_, i) => fs.writeFile(path.join(root, 'many', `f${i}`), `${i}`)));
  await Promise.all(Array.from({ length: 600 }, (_, i) => fs.writeFile(path.join(root, `r${i}`), `${i}`)));
  await until('all indexed', async () => (await localCounts(s, 'f')).files === 2600);
  await settled(s, root);
  const scans = scansIn(await eventsSince(s, since));
  // The sentinel may take one scan of its own.
  assert.ok(scans >= 1 && scans <= 7, `${scans} scans`);
});

test('a burst of 100,000 creations ends in a number of scans bounded by its duration, not its size, and a complete index', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root, { fsWatcherDelayS: 10 });
  const since = await lastEventId(s);
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 100);
  t.after(() => clearInterval(sampler));
  const t0 = Date.now();
  for (let d = 0; d < 100; d++) {
    await fs.mkdir(path.join(root, `d${d}`));
    await Promise.all(Array.from({ length: 1000 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `f${i}`), '')));
  }
  const burstS = (Date.now() - t0) / 1000;
  await until('100,000 files indexed', async () => (await localCounts(s, 'f')).files === 100_000, 120_000);
  clearInterval(sampler);
  const scans = scansIn(await eventsSince(s, since));
  // At most one flush per tick of the delay (each of up to three scans: changes, mixed, removals), plus the fast path.
  assert.ok(scans <= 3 * Math.ceil(burstS / 10) + 4, `${scans} scans for a ${burstS} s burst`);
  assert.equal((await s.json('/rest/db/status?folder=f')).state, 'idle');
  // The test and the server share this heap; what matters is that it does not grow with the burst.
  assert.ok(peak - heapBefore < 256 * 2 ** 20, `heap grew by ${Math.round((peak - heapBefore) / 2 ** 20)} MiB`);
  t.diagnostic(`${scans} scans, burst ${burstS} s, heap +${Math.round((peak - heapBefore) / 2 ** 20)} MiB`);
});

test('a rename storm settles into an index that matches the disk', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  await Promise.all(Array.from({ length: 100 }, (_, i) => write(root, `storm/f${i}`, `content ${i}`)));
  await until('storm indexed', async () => (await localCounts(s, 'f')).files === 100);
  const since = await lastEventId(s);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 100; i++) await fs.rename(path.join(root, 'storm', `f${i}`), path.join(root, 'storm', `g${i}`));
    for (let i = 0; i < 100; i++) await fs.rename(path.join(root, 'storm', `g${i}`), path.join(root, 'storm', `f${i}`));
  }
  for (let i = 0; i < 500; i++) await fs.rename(path.join(root, 'storm', 'f0'), path.join(root, 'storm', i % 2 ? 'f0' : 'tmp')).catch(() => fs.rename(path.join(root, 'storm', 'tmp'), path.join(root, 'storm', 'f0')));
  await fs.rename(path.join(root, 'storm', 'f1'), path.join(root, 'renamed-once'));
  await present(s, 'renamed-once');
  await settled(s, root);
  await until('index matches disk', async () => {
    const disk = await walkCounts(root);
    const idx = await localCounts(s, 'f');
    return JSON.stringify(disk) === JSON.stringify(idx);
  });
  assert.ok(scansIn(await eventsSince(s, since)) <= 11);
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.localFiles, 101, 'the 100 files and the sentinel');
});

test('a file written slowly over seconds is indexed once, complete', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  await quiet();
  const since = await lastEventId(s, '/rest/events/disk');
  // A separate process, so the writer keeps its pace whatever the server does: 150 chunks, one every 20 ms.
  const writer = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const fd = fs.openSync(process.argv[1], 'w'); let n = 0;
    const t = setInterval(() => { fs.writeSync(fd, Buffer.alloc(1000, 65)); if (++n === 150) { clearInterval(t); fs.closeSync(fd); } }, 20);
  `, path.join(root, 'slow.bin')]);
  await new Promise((r) => writer.once('exit', r));
  await until('slow.bin complete', async () => (await fileRec(s, 'f', 'slow.bin'))?.size === 150_000);
  await settled(s, root);
  const seen = (await eventsSince(s, since, '/rest/events/disk')).filter((e) => e.data.path === 'slow.bin');
  assert.equal(seen.length, 1, `slow.bin was recorded ${seen.length} times`);
});

test('a folder whose path disappears goes to error, and recovers with a working watch when it comes back', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  await write(root, 'keep.txt', 'keep');
  await present(s, 'keep.txt');
  await fs.rm(root, { recursive: true });
  const err = await until('error state', async () => {
    const st = await s.json('/rest/db/status?folder=f');
    return st.state === 'error' ? st : undefined;
  });
  assert.match(err.error, /folder path missing/);
  // Nothing recorded as deleted: the folder is missing, not empty.
  assert.equal((await fileRec(s, 'f', 'keep.txt')).deleted, false);

  await write(root, 'keep.txt', 'keep');
  await fs.mkdir(path.join(root, '.stfolder'));
  await until('recovered', async () => (await s.json('/rest/db/status?folder=f')).state === 'idle', 20_000);
  await write(root, 'after.txt', 'watched again');
  await present(s, 'after.txt');
});

test('editing .stignore on disk applies at once, and changes to ignored paths cause no scans', async (t) => {
  const { s, root } = await folderSetup(t);
  await write(root, 'junk.tmp', 'junk');
  await addWatched(s, root);
  assert.equal((await fileRec(s, 'f', 'junk.tmp')).ignored, false);
  await fs.writeFile(path.join(root, '.stignore'), '*.tmp\n');
  await until('junk.tmp ignored', async () => (await fileRec(s, 'f', 'junk.tmp'))?.ignored === true);
  await until('the rescan for the new ignores is over', async () => (await s.json('/rest/db/status?folder=f')).state === 'idle');
  const since = await lastEventId(s);
  const before = await watchCounts(s);
  await write(root, 'more.tmp', 'x');
  await fs.appendFile(path.join(root, 'junk.tmp'), 'y');
  // Both changes reach the watch and are left out there: nothing of them can reach a scan later.
  await until('both changes seen and left out', async () => (await watchCounts(s)).ignored >= before.ignored + 2);
  assert.equal((await watchCounts(s)).queued, before.queued, 'no ignored change was queued for a scan');
  assert.equal(scansIn(await eventsSince(s, since)), 0);
  assert.equal(await fileRec(s, 'f', 'more.tmp'), undefined);
});

test('turning the watcher off and on through the config stops and restarts watching', async (t) => {
  const { s, root } = await folderSetup(t);
  await addWatched(s, root);
  const patch = (body: object) => s.req('/rest/config/folders/f', { method: 'PATCH', body: JSON.stringify(body) });
  assert.equal((await patch({ fsWatcherEnabled: false })).status, 200);
  await until('rescanned', async () => (await s.json('/rest/db/status?folder=f')).state === 'idle');
  await sleep(500);
  await write(root, 'unwatched.txt', 'x');
  await sleep(2500);
  assert.equal(await fileRec(s, 'f', 'unwatched.txt'), undefined);
  assert.equal((await patch({ fsWatcherEnabled: true })).status, 200);
  // The restarted folder scans once, which finds the file; later edits come from the watch.
  await present(s, 'unwatched.txt');
  await until('watching', async () => {
    await write(root, 'watched.txt', String(Date.now()));
    return (await until('w', () => fileRec(s, 'f', 'watched.txt'), 1500).catch(() => undefined)) !== undefined;
  });
  // A paused folder does not watch; resuming it picks up what changed meanwhile.
  assert.equal((await patch({ paused: true })).status, 200);
  const since = await lastEventId(s);
  await write(root, 'while-paused.txt', 'p');
  await sleep(2500);
  assert.equal(scansIn(await eventsSince(s, since)), 0, 'no scan of a paused folder');
  assert.equal((await patch({ paused: false })).status, 200);
  await present(s, 'while-paused.txt');
});

test('scan?next= delays the next periodic scan to the given seconds', async (t) => {
  const { s, root } = await folderSetup(t);
  await write(root, 'a', 'a');
  await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: root, fsWatcherEnabled: false, rescanIntervalS: 3600 }) });
  await scan(s, 'f');
  const since = await lastEventId(s);
  const res = await s.req('/rest/db/scan?folder=f&next=2', { method: 'POST' });
  assert.equal(res.status, 200);
  const after = await lastEventId(s);
  await sleep(1000);
  assert.equal(scansIn(await eventsSince(s, after)), 0, 'nothing before the delay');
  await until('the delayed scan', async () => scansIn(await eventsSince(s, after)) === 1, 5000);
  assert.equal(scansIn(await eventsSince(s, since)), 2);
});

test('maxFolderConcurrency=1: two folders never scan at the same time', async (t) => {
  const { s, dir } = await folderSetup(t);
  await s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ maxFolderConcurrency: 1 }) });
  for (const id of ['a', 'b']) {
    for (let i = 0; i < 300; i++) await write(path.join(dir, id), `d${i % 10}/f${i}`, Buffer.alloc(2000, i));
  }
  const since = await lastEventId(s);
  for (const id of ['a', 'b']) await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id, path: path.join(dir, id), fsWatcherEnabled: false }) });
  await until('both idle', async () => {
    const [a, b] = await Promise.all(['a', 'b'].map((id) => s.json(`/rest/db/status?folder=${id}`)));
    return a.state === 'idle' && b.state === 'idle' && a.localFiles === 300 && b.localFiles === 300;
  });
  await s.req('/rest/db/scan', { method: 'POST' });
  let scanning = 0;
  let most = 0;
  for (const e of await eventsSince(s, since)) {
    if (e.type !== 'StateChanged') continue;
    if (e.data.to === 'scanning') scanning++;
    if (e.data.from === 'scanning') scanning--;
    most = Math.max(most, scanning);
  }
  assert.equal(most, 1);
});
