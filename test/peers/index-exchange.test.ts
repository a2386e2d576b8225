import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, scan, waitForEvent } from '../support/folder-helpers.js';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import type { Reference } from '../support/syncthing-ref.js';
import { lastRefEventId, pair, refEvents, refSees, skipReason, synchroSees, until, type Pair } from './peer-kit.js';

/**
 * Issue 25 against Debian's Syncthing 1.19.2: both devices' indexes on both sides. Syncthing's
 * folders are send-only (it pulls nothing while Synchro cannot serve blocks yet); Synchro's
 * receive-only or send-receive (it has no puller yet either).
 */

const opts = { skip: skipReason, timeout: 300_000 };

async function refFolder(p: Pair, id: string, dir: string, type = 'sendonly'): Promise<void> {
  const body = { id, label: id, path: dir, type, rescanIntervalS: 3600, fsWatcherEnabled: false, devices: [{ deviceID: p.refId }, { deviceID: p.s.app.myId }] };
  const r = await p.ref.req('/rest/config/folders', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 200, await r.text());
}

async function refIdle(ref: Reference, folder: string): Promise<any> {
  return until(`the reference's ${folder} idle`, async () => {
    const st = await ref.json<any>(`/rest/db/status?folder=${folder}`).catch(() => undefined);
    return st && st.state === 'idle' ? st : undefined;
  }, 60_000);
}

async function refScan(ref: Reference, folder: string): Promise<void> {
  const r = await ref.req(`/rest/db/scan?folder=${folder}`, { method: 'POST' });
  assert.equal(r.status, 200, await r.text());
  await refIdle(ref, folder);
}

/** 1,000 files per directory in `dirs` directories, every one with its own content. */
async function makeTree(root: string, dirs: number, perDir: number): Promise<void> {
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(root, `d${d}`, `sub${d % 3}`);
    await fs.mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: perDir }, (_, i) => fs.writeFile(path.join(dir, `f${i}.txt`), `dir ${d} file ${i}\n`)));
  }
}

const counts = (st: any) => ({ files: st.globalFiles, directories: st.globalDirectories, symlinks: st.globalSymlinks, deleted: st.globalDeleted });

test("Syncthing's 10,000 files: Synchro's global counts and need equal Syncthing's view, and Syncthing's remoteneed for Synchro lists the same set", opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const refDir = path.join(p.dir, 'ref-f');
  await makeTree(refDir, 100, 100);
  for (let i = 0; i < 5; i++) await fs.symlink(`d${i}/sub${i % 3}/f1.txt`, path.join(refDir, `link${i}`));
  await refFolder(p, 'f', refDir);
  await refIdle(p.ref, 'f');
  // Some deleted entries too.
  for (let i = 0; i < 20; i++) await fs.rm(path.join(refDir, 'd7', 'sub1', `f${i}.txt`));
  await refScan(p.ref, 'f');
  const theirs = await refIdle(p.ref, 'f');
  assert.equal(theirs.globalFiles, 9980);
  assert.equal(theirs.globalDeleted, 20);

  // Synchro shares the folder after Syncthing did: its index still goes (from Syncthing's last ClusterConfig).
  await fs.mkdir(path.join(p.dir, 'sy', 'f'), { recursive: true });
  await fs.writeFile(path.join(p.dir, 'sy', 'f', 'mine.txt'), 'a local addition\n');
  const since = await lastRefEventId(p.ref);
  // No room for any file (minDiskFree 100 %): the need stays what the index says while the puller
  // makes only the directories and symlinks, and reports every file it cannot take.
  await addFolder(p.s, 'f', path.join(p.dir, 'sy', 'f'), { type: 'receiveonly', devices: [{ deviceID: p.refId }], minDiskFree: { value: 100, unit: '%' }, pullerPauseS: 3600 });
  await synchroSees(p);
  await until("the reference to get Synchro's index", async () => (await refEvents(p.ref, since, 'RemoteIndexUpdated')).some((e) => e.data.folder === 'f' && e.data.items === 1), 30_000);
  const mine = await p.ref.json<any>('/rest/db/file?folder=f&file=mine.txt');
  assert.equal(mine.global.invalid, true, 'a receive-only change goes out invalid');
  assert.deepEqual(mine.global.version, [], '...and without a version');
  const ours = await until('Synchro to hold the whole of the reference index, and its pull to have settled', async () => {
    const st = await p.s.json('/rest/db/status?folder=f');
    return st.state === 'idle' && st.pullErrors === 9980 && st.globalFiles === theirs.globalFiles && st.globalDeleted === theirs.globalDeleted ? st : undefined;
  }, 120_000);
  const errs = (await p.s.json('/rest/folder/errors?folder=f&perpage=1')).errors;
  assert.match(errs[0].error, /^syncing: insufficient space in folder f \(.*\): current [\d.]+ % < required 100 %$/);
  assert.deepEqual(counts(ours), counts(theirs));
  // 1.19.2 counts 128 bytes per directory and symlink; v2 and Synchro count none.
  assert.equal(ours.globalBytes, theirs.globalBytes - 128 * (theirs.globalDirectories + theirs.globalSymlinks));
  assert.equal(ours.needFiles, 9980);
  assert.equal(ours.needSymlinks, 0, 'symlinks need no space');
  assert.equal(ours.localSymlinks, 5);
  assert.equal(ours.needDeletes, 0, 'a deletion we never had is not needed');

  const need = await p.s.json('/rest/db/need?folder=f&perpage=20000');
  const needNames = new Set([...need.progress, ...need.queued, ...need.rest].map((f: any) => f.name));
  assert.equal(needNames.size, ours.needTotalItems);
  const remote = await until('the reference to see what Synchro needs', async () => {
    const r = await p.ref.json<any>(`/rest/db/remoteneed?folder=f&device=${p.s.app.myId}&perpage=20000`);
    const all = [...(r.progress ?? []), ...(r.queued ?? []), ...(r.rest ?? []), ...(r.files ?? [])];
    return all.length === needNames.size ? all : undefined;
  }, 60_000);
  assert.deepEqual(new Set(remote.map((f: any) => f.name)), needNames, "Syncthing's remoteneed for Synchro is Synchro's need");

  // The same global record on both sides, and the reference as its holder.
  const name = 'd3/sub0/f42.txt';
  const mineFile = await p.s.json(`/rest/db/file?folder=f&file=${name}`);
  const refFile = await p.ref.json<any>(`/rest/db/file?folder=f&file=${name}`);
  assert.deepEqual(mineFile.global.version, refFile.global.version);
  assert.equal(mineFile.global.modifiedBy, refFile.global.modifiedBy);
  assert.equal(mineFile.global.modified, refFile.global.modified);
  assert.deepEqual(mineFile.availability, [{ id: p.refId, fromTemporary: false }]);
  // The global tree holds what only the reference has.
  const top = (await p.s.json('/rest/db/browse?folder=f&levels=0')) as { name: string; type: string }[];
  assert.equal(top.filter((e) => /^d\d+$/.test(e.name) && e.type === 'FILE_INFO_TYPE_DIRECTORY').length, 100);
  assert.ok(top.some((e) => e.name === 'link0' && e.type === 'FILE_INFO_TYPE_SYMLINK'));
  const rn = await p.s.json(`/rest/db/remoteneed?folder=f&device=${p.refId}`);
  assert.deepEqual(rn.files, [], 'the reference needs nothing: it has every global version');
  // The summary follows what the peer sent, without any local change.
  await waitForEvent(p.s, 'FolderSummary', (e) => e.data.folder === 'f' && e.data.summary.globalFiles === theirs.globalFiles && e.data.summary.needFiles === 9980);
  const fc = await waitForEvent(p.s, 'FolderCompletion', (e) => e.data.folder === 'f' && e.data.device === p.refId && e.data.globalItems > 0);
  for (const k of ['completion', 'device', 'folder', 'globalBytes', 'globalItems', 'needBytes', 'needDeletes', 'needItems', 'remoteState', 'sequence']) assert.ok(k in fc.data, `FolderCompletion has ${k}`);
  const completion = await p.s.json(`/rest/db/completion?folder=f&device=${p.refId}`);
  assert.equal(completion.completion, 100, 'the reference has everything it announced');
  assert.equal(completion.remoteState, 'valid');
  assert.ok(completion.sequence > 0);
  assert.deepEqual(p.ref.connectionProblems(), []);
});

test("Synchro's own 1,000 files show in Syncthing's global counts and availability; 10 changes while apart come back as deltas on both sides", opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const ourDir = path.join(p.dir, 'sy', 'g');
  await makeTree(ourDir, 10, 100);
  await addFolder(p.s, 'g', ourDir, { type: 'sendonly', devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'g');
  const refDir = path.join(p.dir, 'ref-g');
  await makeTree(path.join(refDir, 'theirs'), 2, 5);
  await refFolder(p, 'g', refDir);
  await refIdle(p.ref, 'g');
  await synchroSees(p);
  await refSees(p);
  const st = await until("Synchro's files in the reference's global counts", async () => {
    const s = await p.ref.json<any>('/rest/db/status?folder=g');
    return s.globalFiles === 1010 ? s : undefined;
  }, 60_000);
  assert.equal(st.localFiles, 10);
  const av = await p.ref.json<any>('/rest/db/file?folder=g&file=d4/sub1/f7.txt');
  assert.deepEqual(av.availability.map((a: any) => a.id ?? a), [p.s.app.myId]);
  assert.equal(av.global.modifiedBy, p.s.app.myId.slice(0, 7));
  assert.match(av.global.version[0], new RegExp(`^${p.s.app.myId.slice(0, 7)}:\\d+$`));
  // And ours of theirs.
  await until("the reference's 10 files in Synchro's global", async () => (await p.s.json('/rest/db/status?folder=g')).globalFiles === 1010);

  // Apart: the reference pauses Synchro; 10 changes on each side.
  await p.ref.req(`/rest/config/devices/${p.s.app.myId}`, { method: 'PATCH', body: JSON.stringify({ paused: true }), headers: { 'Content-Type': 'application/json' } });
  await synchroSees(p, false);
  for (let i = 0; i < 10; i++) await fs.writeFile(path.join(ourDir, 'd1', 'sub1', `f${i}.txt`), `changed ${i}\n`);
  await scan(p.s, 'g');
  // The reference is send-only and has pulled none of ours: it needs every one of our items, the changed ones included.
  const mineNow = await p.s.json('/rest/db/status?folder=g');
  const theyNeed = await p.s.json(`/rest/db/remoteneed?folder=g&device=${p.refId}&perpage=5000`);
  const needNames = new Set(theyNeed.files.map((f: any) => f.name));
  assert.equal(needNames.size, mineNow.localFiles + mineNow.localDirectories);
  for (let i = 0; i < 10; i++) assert.ok(needNames.has(`d1/sub1/f${i}.txt`));
  const c = await p.s.json(`/rest/db/completion?folder=g&device=${p.refId}`);
  assert.equal(c.needItems, needNames.size);
  assert.ok(c.completion < 5, `completion ${c.completion}`);
  for (let i = 0; i < 5; i++) await fs.writeFile(path.join(refDir, 'theirs', 'd0', 'sub0', `f${i}.txt`), `changed ${i}\n`);
  for (let i = 0; i < 5; i++) await fs.writeFile(path.join(refDir, 'theirs', `new${i}.txt`), `new ${i}\n`);
  await refScan(p.ref, 'g');
  const refSince = await lastRefEventId(p.ref);
  const ourSince = (await p.s.json('/rest/events?since=0&timeout=0')).at(-1).id;
  await p.ref.req(`/rest/config/devices/${p.s.app.myId}`, { method: 'PATCH', body: JSON.stringify({ paused: false }), headers: { 'Content-Type': 'application/json' } });
  await synchroSees(p);
  const theirsGot = await until('the reference to take our 10 changes', async () => {
    const evs = (await refEvents(p.ref, refSince, 'RemoteIndexUpdated')).filter((e) => e.data.folder === 'g');
    const n = evs.reduce((a, e) => a + e.data.items, 0);
    return n >= 10 ? evs : undefined;
  }, 60_000);
  assert.equal(theirsGot.reduce((a: number, e: any) => a + e.data.items, 0), 10, 'only the changes went, not the whole index');
  const oursGot = await until('Synchro to take their 10 changes', async () => {
    const evs = ((await p.s.json(`/rest/events?since=${ourSince}&timeout=0`)) as any[]).filter((e) => e.type === 'RemoteIndexUpdated' && e.data.folder === 'g');
    const n = evs.reduce((a, e) => a + e.data.items, 0);
    return n >= 10 ? evs : undefined;
  }, 60_000);
  assert.equal(oursGot.reduce((a: number, e: any) => a + e.data.items, 0), 10);
  for (const e of oursGot) assert.deepEqual(Object.keys(e.data).sort(), ['device', 'folder', 'items', 'sequence', 'version']);
  assert.equal((await p.s.json('/rest/db/status?folder=g')).globalFiles, 1015);
  // Paused and resumed here: our index to the reference goes on from where it was.
  for (const paused of [true, false]) assert.equal((await p.s.req('/rest/config/folders/g', { method: 'PATCH', body: JSON.stringify({ paused }) })).status, 200);
  await until('g running again', async () => (await p.s.json('/rest/db/status?folder=g')).state === 'idle');
  await fs.writeFile(path.join(ourDir, 'after-resume.txt'), 'resumed\n');
  await scan(p.s, 'g');
  await until('the reference to see the file made after the resume', async () => (await p.ref.json<any>('/rest/db/status?folder=g')).globalFiles === 1016, 30_000);
  // No longer shared with the reference: what we held of it goes.
  const folder = (await p.s.json('/rest/config/folders/g')) as any;
  assert.equal((await p.s.req('/rest/config/folders/g', { method: 'PUT', body: JSON.stringify({ ...folder, devices: [{ deviceID: p.s.app.myId }] }) })).status, 200);
  await until("the reference's records dropped", async () => (await p.s.json('/rest/db/status?folder=g')).globalFiles === 1001);
  if (p.ref.connectionProblems([/closed: device is paused/]).length) console.log(p.s.logs.filter((l) => /connection|index|Index/i.test(l)).join('\n'), '\n----\n', p.ref.log().split('\n').filter((l) => /onnect|ndex/.test(l)).join('\n'));
  assert.deepEqual(p.ref.connectionProblems([/closed: device is paused/]), []);
});

test("Synchro's index deleted: Syncthing sees a new index ID, and both sides hold each other's whole index again", opts, async (t) => {
  const { dir: keep, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(keep, 'home');
  const p = await pair(t, { synchroDials: true, home });
  const ourDir = path.join(p.dir, 'sy', 'h');
  await makeTree(ourDir, 2, 50);
  await addFolder(p.s, 'h', ourDir, { type: 'sendonly', devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'h');
  const refDir = path.join(p.dir, 'ref-h');
  await makeTree(path.join(refDir, 'theirs'), 1, 30);
  await refFolder(p, 'h', refDir);
  await refIdle(p.ref, 'h');
  await until('the reference to hold our 100 files', async () => (await p.ref.json<any>('/rest/db/status?folder=h')).globalFiles === 130);
  await until('Synchro to hold its 30 files', async () => (await p.s.json('/rest/db/status?folder=h')).globalFiles === 130);

  await p.s.stop();
  await refSees(p, false);
  await fs.rm(path.join(home, 'index-v1'), { recursive: true });
  const s2 = await startServer({ home, syncTimers: { pingIntervalMs: 2000 } });
  t.after(() => s2.stop());
  await scan(s2, 'h');
  await until('Synchro to hold the reference index again', async () => (await s2.json('/rest/db/status?folder=h')).globalFiles === 130, 60_000);
  await until('the reference to hold ours again', async () => (await p.ref.json<any>('/rest/db/status?folder=h')).globalFiles === 130, 60_000);
  assert.match(p.ref.log(), new RegExp(`Device ${p.s.app.myId.slice(0, 7)} folder "h" \\(h\\) has a new index ID`));
  assert.deepEqual(p.ref.connectionProblems([/closed by remote: the device is shutting down/]), []);
});

test('50 concurrent versions made apart (mtime ahead, behind and tied, deletions on either side, an ignored copy): Synchro picks the global Syncthing picks, for each', opts, async (t) => {
  // Neither side dials until both have made their versions.
  const p = await pair(t, {});
  const ourDir = path.join(p.dir, 'sy', 'c');
  const refDir = path.join(p.dir, 'ref-c');
  await fs.mkdir(ourDir, { recursive: true });
  await fs.mkdir(refDir, { recursive: true });
  const names = Array.from({ length: 50 }, (_, i) => `c${String(i).padStart(2, '0')}.txt`);
  const base = Math.floor(Date.now() / 1000) - 3600;
  const kind = (i: number) => i % 6; // 0 ours newer, 1 theirs newer, 2 tied, 3 we delete, 4 they delete, 5 we ignore
  for (const [i, n] of names.entries()) {
    await fs.writeFile(path.join(ourDir, n), `ours ${i}\n`);
    await fs.writeFile(path.join(refDir, n), `theirs ${i} ${'x'.repeat(i)}\n`);
    const k = kind(i);
    const ourT = k === 0 ? base + 100 : base;
    const refT = k === 1 ? base + 100 : base;
    await fs.utimes(path.join(ourDir, n), ourT, ourT);
    await fs.utimes(path.join(refDir, n), refT, refT);
  }
  await addFolder(p.s, 'c', ourDir, { type: 'sendonly', devices: [{ deviceID: p.refId }] });
  await scan(p.s, 'c');
  await refFolder(p, 'c', refDir);
  await refIdle(p.ref, 'c');
  // The deletions come after a version of their own existed on each side.
  for (const [i, n] of names.entries()) {
    if (kind(i) === 3) await fs.rm(path.join(ourDir, n));
    if (kind(i) === 4) await fs.rm(path.join(refDir, n));
  }
  await fs.writeFile(path.join(ourDir, '.stignore'), names.filter((_, i) => kind(i) === 5).join('\n') + '\n');
  await scan(p.s, 'c');
  await refScan(p.ref, 'c');

  await p.s.req(`/rest/config/devices/${p.refId}`, { method: 'PATCH', body: JSON.stringify({ addresses: [p.ref.syncAddress] }) });
  await synchroSees(p);
  const settled = async (get: (n: string) => Promise<any>) => {
    for (const n of names) {
      const f = await get(n).catch(() => undefined);
      if (!f?.global || f.global.version.length < 1) return false;
    }
    return true;
  };
  const ours = (n: string) => p.s.json(`/rest/db/file?folder=c&file=${n}`);
  const theirs = (n: string) => p.ref.json<any>(`/rest/db/file?folder=c&file=${n}`);
  await until('both indexes on both sides', async () => {
    const a = await p.s.json(`/rest/db/completion?folder=c&device=${p.refId}`);
    const b = await p.ref.json<any>(`/rest/db/completion?folder=c&device=${p.s.app.myId}`);
    return a.sequence > 0 && b.sequence > 0 && (await settled(ours)) && (await settled(theirs));
  }, 60_000);
  const mismatches: string[] = [];
  const winners = new Map<number, Set<string>>();
  for (const [i, n] of names.entries()) {
    const [a, b] = [await ours(n), await theirs(n)];
    if (JSON.stringify(a.global.version) !== JSON.stringify(b.global.version) || a.global.deleted !== b.global.deleted) {
      mismatches.push(`${n} (case ${kind(i)}): Synchro ${a.global.version} deleted=${a.global.deleted}, Syncthing ${b.global.version} deleted=${b.global.deleted}`);
    }
    const who = b.global.modifiedBy === p.s.app.myId.slice(0, 7) ? 'synchro' : 'syncthing';
    winners.set(kind(i), (winners.get(kind(i)) ?? new Set()).add(who));
  }
  assert.deepEqual(mismatches, []);
  // The rules behind it: the newer mtime wins, a modification beats a deletion, a valid copy beats an ignored one.
  assert.deepEqual([...winners.get(0)!], ['synchro']);
  assert.deepEqual([...winners.get(1)!], ['syncthing']);
  assert.equal(winners.get(2)!.size, 1, 'a tie goes the same way every time');
  assert.deepEqual([...winners.get(3)!], ['syncthing']);
  assert.deepEqual([...winners.get(4)!], ['synchro']);
  assert.deepEqual([...winners.get(5)!], ['syncthing']);
  assert.deepEqual(p.ref.connectionProblems(), []);
});
