// Issue 23: answers real clients depend on, checked through HTTP against Syncthing's behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { folderSetup as setup, addFolder, scan, waitForEvent, write } from '../support/folder-helpers.js';

const PEER = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';
const OTHER = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';

test('PUT of a partial folder or device list replaces the listed ones and keeps the rest; PUT /rest/config still removes', async (t) => {
  const { s, dir } = await setup(t);
  for (const id of ['a', 'b', 'c']) {
    await fs.mkdir(path.join(dir, id));
    await addFolder(s, id, path.join(dir, id));
  }
  for (const id of [PEER, OTHER]) assert.equal((await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: id, name: id.slice(0, 3) }) })).status, 200);

  const b = (await s.json('/rest/config/folders')).find((f: { id: string }) => f.id === 'b');
  await fs.mkdir(path.join(dir, 'd'));
  const put = await s.req('/rest/config/folders', { method: 'PUT', body: JSON.stringify([{ ...b, label: 'renamed' }, { id: 'd', path: path.join(dir, 'd') }]) });
  assert.equal(put.status, 200, await put.text());
  const folders = await s.json('/rest/config/folders');
  assert.deepEqual(folders.map((f: { id: string }) => f.id).sort(), ['a', 'b', 'c', 'd'], 'the folders left out are kept, the new one added');
  assert.equal(folders.find((f: { id: string }) => f.id === 'b').label, 'renamed', 'the listed one replaced');

  const peer = await s.json(`/rest/config/devices/${PEER}`);
  assert.equal((await s.req('/rest/config/devices', { method: 'PUT', body: JSON.stringify([{ ...peer, name: 'peer-renamed' }]) })).status, 200);
  const devices = await s.json('/rest/config/devices');
  assert.deepEqual(devices.map((d: { deviceID: string }) => d.deviceID).sort(), [s.app.myId, PEER, OTHER].sort(), 'no device dropped, not even this one');
  assert.equal(devices.find((d: { deviceID: string }) => d.deviceID === PEER).name, 'peer-renamed');

  // A list naming one new ID twice is still refused, and nothing changes.
  const twice = await s.req('/rest/config/folders', { method: 'PUT', body: JSON.stringify([{ id: 'e', path: path.join(dir, 'e') }, { id: 'e', path: path.join(dir, 'e2') }]) });
  assert.deepEqual([twice.status, await twice.text()], [500, 'folder "e": folder has duplicate ID\n'], 'a validation error from Modify: 500, as Syncthing');
  assert.equal((await s.json('/rest/config/folders')).length, 4);

  // The whole-config PUT is a replacement: what it leaves out is gone.
  const cfg = await s.json('/rest/config');
  cfg.folders = cfg.folders.filter((f: { id: string }) => f.id === 'a');
  cfg.devices = cfg.devices.filter((d: { deviceID: string }) => d.deviceID !== OTHER);
  assert.equal((await s.req('/rest/config', { method: 'PUT', body: JSON.stringify(cfg) })).status, 200);
  assert.deepEqual((await s.json('/rest/config/folders')).map((f: { id: string }) => f.id), ['a']);
  assert.deepEqual((await s.json('/rest/config/devices')).map((d: { deviceID: string }) => d.deviceID).sort(), [s.app.myId, PEER].sort());
});

test('a fresh config asks for a GUI user and is written at config version 37', async (t) => {
  const { s } = await setup(t);
  const cfg = await s.json('/rest/config');
  assert.equal(cfg.version, 37);
  assert.deepEqual(cfg.options.unackedNotificationIDs, ['authenticationUserAndPassword']);
});

test('completion of a device without a folder adds up only the folders shared with it', async (t) => {
  const { s, dir } = await setup(t);
  await write(path.join(dir, 'shared'), 'x.txt', '12345');
  await write(path.join(dir, 'private'), 'y.txt', '1234567890');
  for (const id of [PEER, OTHER]) await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: id }) });
  await addFolder(s, 'shared', path.join(dir, 'shared'), { devices: [{ deviceID: PEER }] });
  await addFolder(s, 'private', path.join(dir, 'private'));

  const peer = await s.json(`/rest/db/completion?device=${PEER}`);
  // The peer sent no index: it needs the one shared file (5 bytes), nothing of the private folder.
  assert.deepEqual(peer, { completion: 0, globalBytes: 5, globalItems: 1, needBytes: 5, needDeletes: 0, needItems: 1, remoteState: 'unknown', sequence: 0 });
  const other = await s.json(`/rest/db/completion?device=${OTHER}`);
  assert.deepEqual(other, { completion: 0, globalBytes: 0, globalItems: 0, needBytes: 0, needDeletes: 0, needItems: 0, remoteState: 'unknown', sequence: 0 }, 'shares nothing: zeros');
  const mine = await s.json('/rest/db/completion');
  assert.equal(mine.globalBytes, 15, 'this device: every folder');
  assert.equal(mine.completion, 100);
});

test('a paused folder answers as Syncthing: browse 500 and need 404 "no such folder", errors 404 "folder is paused"', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'a.txt', 'a');
  await add();
  assert.equal((await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": true}' })).status, 200);
  await waitForEvent(s, 'StateChanged', (e) => e.data.folder === 'f' && e.data.to === 'paused').catch(() => undefined);
  const answer = async (p: string) => {
    const r = await s.req(p);
    return [r.status, await r.text()];
  };
  assert.deepEqual(await answer('/rest/db/browse?folder=f'), [500, 'no such folder\n']);
  assert.deepEqual(await answer('/rest/db/need?folder=f'), [404, 'no such folder\n']);
  assert.deepEqual(await answer('/rest/folder/errors?folder=f'), [404, 'folder is paused\n']);
  // Resumed, the same calls answer again.
  await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": false}' });
  await scan(s, 'f');
  assert.equal((await s.req('/rest/db/browse?folder=f')).status, 200);
  assert.equal((await s.req('/rest/folder/errors?folder=f')).status, 200);
});

test('scan sub= with a leading slash or inner .. is the folder-relative path (syncthingctl rescan from a sub-directory)', async (t) => {
  const { s, root, add } = await setup(t);
  await write(root, 'docs/a.txt', 'a');
  await add();
  await write(root, 'docs/b.txt', 'b');
  await write(root, 'other/c.txt', 'c');
  const r = await scan(s, 'f', ['/docs']);
  assert.equal(r.status, 200, await r.text());
  const names = (await s.json('/rest/db/browse?folder=f&prefix=docs')).map((e: { name: string }) => e.name);
  assert.deepEqual(names, ['a.txt', 'b.txt'], '/docs scanned as docs');
  assert.deepEqual(await s.json('/rest/db/browse?folder=f&prefix=other'), [], 'nothing else scanned');
  assert.equal((await scan(s, 'f', ['x/../other'])).status, 200);
  assert.deepEqual((await s.json('/rest/db/browse?folder=f&prefix=other')).map((e: { name: string }) => e.name), ['c.txt']);
  assert.equal((await scan(s, 'f', ['docs/../../f'])).status, 500, 'leaving the folder is refused');
});
