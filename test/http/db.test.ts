import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TestServer } from '../support/test-server.js';
import { folderSetup as setup, addFolder, localCounts, scan, waitForEvent, walkCounts, write } from '../support/folder-helpers.js';

const matchesDisk = async (s: TestServer, root: string, step: string) => assert.deepEqual(await localCounts(s, 'f'), await walkCounts(root), step);

test('counters match a fresh walk after adds, changes, deletes, renames, symlinks and sub-path scans', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'a.txt', 'hello');
  await write(root, 'sub/b.bin', Buffer.alloc(300_000, 7));
  await write(root, 'sub/deeper/c.txt', '');
  await fs.symlink('a.txt', path.join(root, 'link'));
  await fs.symlink('/nonexistent', path.join(root, 'dangling'));
  await add();
  await matchesDisk(s, root, 'initial scan');
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.state, 'idle');
  assert.equal(st.globalFiles, 3);
  assert.equal(st.globalSymlinks, 2);
  assert.equal(st.sequence, 7);
  assert.ok(await fs.stat(path.join(root, '.stfolder')), 'the marker is created for a new index');

  await write(root, 'a.txt', 'hello, longer');
  await fs.rm(path.join(root, 'sub/deeper'), { recursive: true });
  await write(root, 'new/n.txt', 'n');
  await scan(s, 'f');
  await matchesDisk(s, root, 'after change, delete and add');
  const after = await s.json('/rest/db/status?folder=f');
  assert.equal(after.localDeleted, 2, 'a deleted directory and its child each get a deleted record');

  // Rename: the old name is deleted in the same batch as the new one appears.
  const since = (await s.json('/rest/events?limit=1&timeout=0'))[0].id;
  await fs.rename(path.join(root, 'sub/b.bin'), path.join(root, 'sub/renamed.bin'));
  await scan(s, 'f');
  const evs = await s.json(`/rest/events?since=${since}&timeout=0`);
  const batches = evs.filter((e: { type: string }) => e.type === 'LocalIndexUpdated');
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0].data.filenames.sort(), ['sub/b.bin', 'sub/renamed.bin']);
  await matchesDisk(s, root, 'after rename');

  // A sub-path scan sees only its subtree.
  await write(root, 'outside.txt', 'x');
  await write(root, 'sub/inside.txt', 'y');
  assert.equal((await scan(s, 'f', ['sub'])).status, 200);
  const inside = await s.req('/rest/db/file?folder=f&file=sub/inside.txt');
  assert.equal(inside.status, 200);
  assert.equal((await s.req('/rest/db/file?folder=f&file=outside.txt')).status, 404, 'outside the sub path: not scanned');
  // A sub path that no longer exists records its deletion.
  await fs.rm(path.join(root, 'new'), { recursive: true });
  assert.equal((await scan(s, 'f', ['new'])).status, 200);
  assert.equal((await s.json('/rest/db/file?folder=f&file=new/n.txt')).local.deleted, true);
  await scan(s, 'f');
  await matchesDisk(s, root, 'final');
});

test('events of a scan come in Syncthing\'s order, with its payloads', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'one.txt', '1');
  await fs.mkdir(path.join(root, 'dir'));
  await add();
  const evs = await s.json('/rest/events?since=0&timeout=0');
  const seq = evs.filter((e: { type: string }) => ['StateChanged', 'LocalIndexUpdated'].includes(e.type)).map((e: { type: string; data: { to?: string } }) => e.data.to ?? e.type);
  assert.deepEqual(seq.slice(0, 4), ['scan-waiting', 'scanning', 'LocalIndexUpdated', 'idle']);
  const liu = evs.find((e: { type: string }) => e.type === 'LocalIndexUpdated').data;
  assert.deepEqual(Object.keys(liu), ['filenames', 'folder', 'items', 'sequence', 'version']);
  assert.equal(liu.items, 2);
  assert.equal(liu.sequence, liu.version);
  const disk = await s.json('/rest/events/disk?since=0&timeout=0');
  assert.deepEqual(disk.map((e: { data: { path: string } }) => e.data.path).sort(), ['dir', 'one.txt']);
  assert.deepEqual(Object.keys(disk[0].data), ['action', 'folder', 'folderID', 'label', 'modifiedBy', 'path', 'type']);
  assert.equal(disk.find((e: { data: { path: string } }) => e.data.path === 'dir').data.type, 'dir');
  // FolderSummary follows within the debounce interval.
  const summary = await waitForEvent(s, 'FolderSummary');
  assert.equal(summary.data.folder, 'f');
  assert.equal(summary.data.summary.localFiles, 1);
});

test('browse, file, completion, need, remoteneed, localchanged, errors, stats', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'a/b/c.txt', 'c');
  await write(root, 'a/d.txt', 'dd');
  await write(root, 'top.txt', 'top');
  await add();
  const names = (items: { name: string }[]) => items.map((i) => i.name);
  assert.deepEqual(names(await s.json('/rest/db/browse?folder=f&levels=0')), ['a', 'top.txt']);
  const l0 = await s.json('/rest/db/browse?folder=f&levels=0');
  assert.equal('children' in l0[0], false, 'no children at the depth limit');
  const all = await s.json('/rest/db/browse?folder=f');
  assert.deepEqual(names(all[0].children), ['b', 'd.txt']);
  assert.deepEqual(names(all[0].children[0].children), ['c.txt']);
  assert.deepEqual(Object.keys(all[0]), ['name', 'modTime', 'size', 'type', 'children']);
  assert.deepEqual(names(await s.json('/rest/db/browse?folder=f&prefix=a&levels=0')), ['b', 'd.txt']);
  assert.deepEqual(names(await s.json('/rest/db/browse?folder=f&dirsonly=true')), ['a']);
  assert.deepEqual(await s.json('/rest/db/browse?folder=f&prefix=nothing'), []);
  for (const bad of ['-1', 'abc']) assert.equal((await s.json(`/rest/db/browse?folder=f&levels=${bad}`))[0].children.length, 2, `levels=${bad} means unlimited`);

  const file = await s.json('/rest/db/file?folder=f&file=a/d.txt');
  assert.equal(file.availability, null);
  assert.equal(file.local.size, 2);
  assert.equal(file.local.type, 'FILE_INFO_TYPE_FILE');
  assert.equal(file.local.numBlocks, 1);
  assert.deepEqual(file.global, file.local);
  assert.match(file.local.version[0], /^[A-Z2-7]{7}:\d+$/);
  // No mtime mapping is recorded for a scanned file: Syncthing shows the zero mapping.
  assert.deepEqual(file.mtime, { err: null, value: { real: '0001-01-01T00:00:00Z', virtual: '0001-01-01T00:00:00Z' } });

  // A leading "/" is the folder's root and inner ".." is cleaned (Syncthing's Canonicalize).
  for (const alias of ['/a', 'a/', './a', 'a/b/..', '/x/../a', '/../a']) {
    assert.deepEqual(names(await s.json(`/rest/db/browse?folder=f&prefix=${encodeURIComponent(alias)}&levels=0`)), ['b', 'd.txt'], `prefix=${alias}`);
  }
  assert.deepEqual(names(await s.json('/rest/db/browse?folder=f&prefix=/&levels=0')), ['a', 'top.txt'], 'prefix=/ is the root');

  assert.deepEqual(await s.json('/rest/db/completion?folder=f'), { completion: 100, globalBytes: 6, globalItems: 5, needBytes: 0, needDeletes: 0, needItems: 0, remoteState: 'valid', sequence: 5 });
  assert.equal((await s.json('/rest/db/completion')).completion, 100, 'aggregate over folders');
  assert.deepEqual(await s.json('/rest/db/need?folder=f&page=0&perpage=-1'), { page: 1, perpage: 65536, progress: [], queued: [], rest: [] });
  const peer = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';
  const rn = await s.json(`/rest/db/remoteneed?folder=f&device=${peer}&perpage=2`);
  assert.deepEqual(Object.keys(rn), ['files', 'page', 'perpage']);
  assert.equal(rn.files.length, 2, 'a device that never sent an index needs everything, paged');
  assert.equal((await s.json(`/rest/db/completion?folder=f&device=${peer}`)).remoteState, 'notSharing');
  assert.deepEqual(await s.json('/rest/db/localchanged?folder=f'), { files: [], page: 1, perpage: 65536 });
  assert.deepEqual(await s.json('/rest/folder/errors?folder=f'), { errors: null, folder: 'f', page: 1, perpage: 65536 });
  const stats = await s.json('/rest/stats/folder');
  assert.match(stats.f.lastScan, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/, 'whole seconds');
  assert.equal(stats.f.lastFile.at, '0001-01-01T00:00:00Z');
  // Empty directories carry no children key (omitempty), as Syncthing's TreeEntry.
  await fs.mkdir(path.join(root, 'empty'));
  await scan(s, 'f');
  const empty = (await s.json('/rest/db/browse?folder=f')).find((e: { name: string }) => e.name === 'empty');
  assert.deepEqual(Object.keys(empty), ['name', 'modTime', 'size', 'type']);
});

test('a receive-only folder flags every local change and counts it apart', async (t) => {
  const { s, root, add } = await setup(t, { type: 'receiveonly' });
  await write(root, 'x.txt', '12345');
  await fs.mkdir(path.join(root, 'd'));
  await add();
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.localFiles, 1);
  assert.equal(st.globalFiles, 0, 'invalid records are not global counts');
  assert.equal(st.receiveOnlyChangedFiles, 1);
  assert.equal(st.receiveOnlyTotalItems, 2);
  const lc = await s.json('/rest/db/localchanged?folder=f');
  assert.deepEqual(lc.files.map((f: { name: string; localFlags: number; invalid: boolean }) => [f.name, f.localFlags, f.invalid]), [['d', 8, true], ['x.txt', 8, true]]);
  assert.deepEqual(await s.json('/rest/events/disk?since=0&timeout=0'), [], 'receive-only changes announce no LocalChangeDetected');
  // Browse shows the global tree, and local changes of a receive-only folder are not in it.
  assert.deepEqual(await s.json('/rest/db/browse?folder=f'), []);
});

test('bad input: unknown or missing folder, paths leaving the folder, bad paging, bad device', async (t) => {
  const { s, root, dir, add } = await setup(t);
  await write(root, 'ok.txt', 'ok');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'outside');
  await fs.symlink(dir, path.join(root, 'escape'));
  await add();
  const status = async (p: string, init?: RequestInit) => {
    const r = await s.req(p, init);
    return [r.status, await r.text()];
  };
  assert.deepEqual(await status('/rest/db/status?folder=nope'), [404, 'no such folder\n']);
  assert.deepEqual(await status('/rest/db/status'), [404, 'no such folder\n']);
  assert.equal((await status('/rest/db/file?folder=nope&file=x'))[0], 404);
  assert.equal((await status('/rest/db/completion?folder=nope'))[0], 404);
  assert.equal((await status('/rest/db/need?folder=nope'))[0], 404);
  assert.equal((await status('/rest/db/localchanged?folder=nope'))[0], 404);
  assert.equal((await status('/rest/folder/errors?folder=nope'))[0], 404);
  assert.deepEqual(await status('/rest/db/browse?folder=nope'), [500, 'no such folder\n']);
  assert.deepEqual(await status('/rest/db/scan?folder=nope', { method: 'POST' }), [500, 'no such folder\n']);
  assert.deepEqual(await status('/rest/db/completion?folder=f&device=bad'), [400, '"bad": device ID invalid: incorrect length\n']);
  assert.equal((await status('/rest/db/remoteneed?folder=f&device=bad'))[0], 500);
  assert.equal((await status('/rest/db/override?folder=nope', { method: 'POST' }))[0], 200);
  assert.equal((await status('/rest/db/revert?folder=nope', { method: 'POST' }))[0], 200);

  for (const bad of ['../secret.txt', '/etc/passwd', 'a\0b', 'escape/secret.txt']) {
    assert.equal((await s.req(`/rest/db/file?folder=f&file=${encodeURIComponent(bad)}`)).status, 404, `file=${bad}`);
  }
  for (const bad of ['../', '..', 'a/../../f', '//etc', 'x\0']) assert.equal((await s.req(`/rest/db/browse?folder=f&prefix=${encodeURIComponent(bad)}`)).status, 500, `prefix=${bad}`);
  // "/etc" is the folder's etc (Canonicalize), which holds nothing: an empty tree, not the system's.
  assert.deepEqual(await s.json('/rest/db/browse?folder=f&prefix=%2Fetc'), []);
  for (const bad of ['..', '../f', 'a/../../f', '//etc', 'a\0', 'escape/secret.txt']) {
    const r = await s.req(`/rest/db/scan?folder=f&sub=${encodeURIComponent(bad)}`, { method: 'POST' });
    assert.equal(r.status, 500, `sub=${bad}`);
  }
  assert.equal((await s.req('/rest/db/file?folder=f&file=escape/secret.txt')).status, 404, 'nothing read through the symlink');
  assert.equal((await s.json('/rest/db/file?folder=f&file=escape')).local.type, 'FILE_INFO_TYPE_SYMLINK', 'the symlink itself is recorded');

  const errs = await s.json('/rest/folder/errors?folder=f&page=-3&perpage=abc');
  assert.equal(errs.page, 1);
  assert.equal(errs.perpage, 65536);
  assert.equal((await s.json('/rest/folder/errors?folder=f&page=99&perpage=1')).errors, null);
});

test('folder path missing, not a directory, marker missing: error state, scan answers 500, recovery', async (t) => {
  const { s, root, dir, add } = await setup(t);
  await write(root, 'keep.txt', 'k');
  await add();
  await fs.rm(path.join(root, '.stfolder'), { recursive: true });
  let r = await scan(s, 'f');
  assert.equal(r.status, 500);
  assert.equal(await r.text(), 'folder marker missing (this indicates potential data loss, search docs/forum to get information about how to proceed)\n');
  let st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.state, 'error');
  assert.equal(st.localFiles, 1, 'nothing was recorded as deleted');
  await fs.mkdir(path.join(root, '.stfolder'));
  assert.equal((await scan(s, 'f')).status, 200);
  assert.equal((await s.json('/rest/db/status?folder=f')).state, 'idle', 'recovers once the marker is back');

  // An indexed folder whose root is gone (an unmounted disk): error, and nothing recorded as deleted.
  await fs.rename(root, root + '.away');
  r = await scan(s, 'f');
  assert.deepEqual([r.status, await r.text()], [500, 'folder path missing\n']);
  assert.equal((await s.json('/rest/db/status?folder=f')).localFiles, 1);
  await fs.rename(root + '.away', root);
  assert.equal((await scan(s, 'f')).status, 200);

  await fs.writeFile(path.join(dir, 'plainfile'), 'x');
  await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'g', path: path.join(dir, 'plainfile') }) });
  r = await scan(s, 'g');
  assert.deepEqual([r.status, await r.text()], [500, 'folder path not a directory\n']);
  st = await s.json('/rest/db/status?folder=g');
  assert.equal(st.state, 'error');
  assert.equal(st.error, 'folder path not a directory');
  const changes = (await s.json('/rest/events?since=0&timeout=0')).filter((e: { type: string; data: { folder: string } }) => e.type === 'StateChanged' && e.data.folder === 'g');
  assert.deepEqual(changes.at(-1).data.error, 'folder path not a directory', 'StateChanged to error carries the error');
});

test('invalid UTF-8 names and Windows-incompatible names go to the error list; the scan goes on', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'fine.txt', 'f');
  await fs.writeFile(Buffer.concat([Buffer.from(root + '/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('name.txt')]), 'x');
  await write(root, 'what?.txt', 'w');
  await write(root, 'Case.txt', '1');
  await write(root, 'case.txt', '2');
  await write(root, 'cafe\u0301.txt', 'nfd');
  await add();
  const errs = (await s.json('/rest/folder/errors?folder=f')).errors as { path: string; error: string }[];
  assert.ok(errs.some((e) => e.error === 'scan: item is not in UTF8 encoding'), JSON.stringify(errs));
  assert.ok(errs.some((e) => e.path === 'what?.txt' && /Windows reserved character/.test(e.error)));
  assert.ok(errs.some((e) => /case conflict/.test(e.error)));
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.errors, errs.length);
  assert.equal(st.state, 'idle');
  assert.equal((await s.req('/rest/db/file?folder=f&file=fine.txt')).status, 200);
  assert.equal((await s.req(`/rest/db/file?folder=f&file=${encodeURIComponent('caf\u00e9.txt')}`)).status, 200, 'autoNormalize renamed the NFD name to NFC');
  await fs.access(path.join(root, 'caf\u00e9.txt'));
});

test('stats/folder, system/reset of one folder, and the debug file route', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'a.txt', 'a');
  await add();
  assert.equal((await s.req('/rest/debug/file?folder=f&file=a.txt')).status, 403);
  await s.req('/rest/config/gui', { method: 'PATCH', body: '{"debugging": true}' });
  const dbg = await s.json('/rest/debug/file?folder=f&file=a.txt');
  assert.deepEqual(Object.keys(dbg), ['availability', 'global', 'globalVersions', 'local', 'mtime']);
  // This device holds the global version: Syncthing names itself by its LocalDeviceID there.
  assert.deepEqual(dbg.availability, ['7777777-777777N-7777777-777777N-7777777-777777N-7777777-77777Q4']);
  assert.match(dbg.globalVersions, /^\{\{Version:\{\[\{[A-Z2-7]{7} \d+\}\]\}, Deleted:false, Devices:\{7777777\}, Invalid:\{\}\}\}$/);
  assert.deepEqual(dbg.mtime, { err: null, value: { real: '0001-01-01T00:00:00Z', virtual: '0001-01-01T00:00:00Z' } });
  assert.equal(dbg.local.name, 'a.txt');
  // A file in no index: 200 with zero records, which `syncthing cli debug file` prints.
  const none = await s.json('/rest/debug/file?folder=f&file=missing.txt');
  assert.equal(none.availability, null);
  assert.equal(none.globalVersions, '{}');
  assert.equal(none.local.name, '');
  assert.equal(none.global.modified, '1970-01-01T00:00:00Z');
  assert.equal((await s.req('/rest/debug/file?folder=nope&file=a.txt')).status, 404);
  // Two more changes first, so a rebuilt index (sequence 1) cannot be mistaken for the old one.
  for (const c of ['b', 'c']) {
    await write(root, 'a.txt', c);
    await fs.utimes(path.join(root, 'a.txt'), new Date(), new Date(Date.now() + (c === 'b' ? 5000 : 10000)));
    await scan(s, 'f');
  }
  const seqBefore = (await s.json('/rest/db/status?folder=f')).sequence;
  assert.equal(seqBefore, 3);
  // A running folder is not reset (Syncthing 1.27: "folder must be paused when resetting").
  const refused = await s.req('/rest/system/reset?folder=f', { method: 'POST' });
  assert.deepEqual([refused.status, await refused.text()], [500, 'folder must be paused when resetting\n']);
  const all = await s.req('/rest/system/reset', { method: 'POST' });
  assert.deepEqual([all.status, await all.text()], [500, 'folder must be paused when resetting\n']);
  assert.equal((await s.json('/rest/db/status?folder=f')).sequence, seqBefore, 'nothing was reset');
  await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": true}' });
  const old = s.app.events;
  assert.equal((await s.req('/rest/system/reset?folder=f', { method: 'POST' })).status, 200);
  const end = Date.now() + 10_000;
  while (s.app.events === old) {
    assert.ok(Date.now() < end, 'the service restarted for the reset');
    await new Promise((r) => setTimeout(r, 10));
  }
  await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": false}' });
  await scan(s, 'f');
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.localFiles, 1);
  assert.equal(st.sequence, 1, `the index was erased (sequence was ${seqBefore}) and rebuilt`);
});

test('a file that changes while it is hashed is recorded as an error or indexed consistently, never half', async (t) => {
  const { s, root, add } = await setup(t);
  await add();
  const big = path.join(root, 'growing.bin');
  await fs.writeFile(big, Buffer.alloc(48 << 20, 1));
  const fh = await fs.open(big, 'a');
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await fh.write(Buffer.alloc(4096, 2));
      await new Promise((r) => setImmediate(r));
    }
  })();
  const res = await scan(s, 'f');
  writing = false;
  await writer;
  await fh.close();
  assert.equal(res.status, 200);
  const errs = (await s.json('/rest/folder/errors?folder=f')).errors as { path: string; error: string }[] | null;
  const entry = await s.req('/rest/db/file?folder=f&file=growing.bin');
  if (entry.status === 200) {
    const local = (await entry.json()) as { local: { size: number; numBlocks: number } };
    assert.equal(local.local.numBlocks, Math.max(1, Math.ceil(local.local.size / (128 << 10))), 'blocks cover exactly the recorded size');
  } else {
    assert.deepEqual(errs, [{ path: 'growing.bin', error: 'hashing: file changed during hashing' }]);
  }
  // Once it is quiet, the next scan indexes it.
  await scan(s, 'f');
  const final = (await s.json('/rest/db/file?folder=f&file=growing.bin')) as { local: { size: number } };
  assert.equal(final.local.size, (await fs.stat(big)).size);
  assert.equal((await s.json('/rest/folder/errors?folder=f')).errors, null, 'the error clears on the next scan');
});

test('rescanIntervalS schedules scans by itself (with Syncthing\'s ±25 % jitter)', async (t) => {
  const { s, root, add } = await setup(t, { rescanIntervalS: 1 });
  await add();
  await write(root, 'later.txt', 'appears without a scan request');
  const end = Date.now() + 5000;
  let status = 404;
  while (Date.now() < end && status !== 200) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await s.req('/rest/db/file?folder=f&file=later.txt')).status;
  }
  assert.equal(status, 200);
});
