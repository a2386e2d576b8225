import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer, type TestServer } from '../support/test-server.js';
import { parseConfigXml } from '../../src/config/xml.js';

const PEER = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';

const send = (s: TestServer, method: string, p: string, body?: unknown) =>
  s.req(p, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });

async function expectStatus(res: Response, status: number, text?: string | RegExp) {
  const body = await res.text();
  assert.equal(res.status, status, body);
  if (typeof text === 'string') assert.equal(body, text === '' ? '' : text + '\n');
  else if (text) assert.match(body, text);
  return body;
}

const onDisk = async (s: TestServer) => parseConfigXml(await fs.readFile(path.join(s.home, 'config.xml'), 'utf8')).cfg;

test('folders: create, read, patch, clone-by-id, delete; every write saved and announced', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const since = (await s.json('/rest/events?limit=1&timeout=0'))[0].id;

  await expectStatus(await send(s, 'POST', '/rest/config/folders', { id: 'f1', path: '/tmp/f1', label: 'One' }), 200);
  const res = await send(s, 'POST', '/rest/config/folders', { ID: 'casefold', PATH: '/tmp/cf', Label: 'CaseTest', bogus: 1 });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), '0');
  assert.equal(res.headers.get('content-type'), null, 'an empty 200 has no Content-Type');

  const f1 = await s.json('/rest/config/folders/f1');
  assert.equal(f1.label, 'One');
  assert.equal(f1.rescanIntervalS, 3600, 'new folders start from defaults.folder');
  assert.deepEqual(f1.devices.map((d: { deviceID: string }) => d.deviceID), [s.app.myId], 'own device is always shared');
  assert.deepEqual((await s.json('/rest/config/folders')).map((f: { id: string }) => f.id), ['casefold', 'f1'], 'sorted by ID');

  // PUT /folders/:id uses the body's id, not the URL's.
  await expectStatus(await send(s, 'PUT', '/rest/config/folders/zz', { id: 'f3', path: '/tmp/f3' }), 200);
  await expectStatus(await send(s, 'GET', '/rest/config/folders/zz'), 404, 'No folder with given ID');
  assert.equal((await s.json('/rest/config/folders/f3')).path, '/tmp/f3');

  // PATCH merges; a different body id clones.
  await expectStatus(await send(s, 'PATCH', '/rest/config/folders/f1', { paused: true, versioning: { type: 'simple', params: { keep: '3' } } }), 200);
  const patched = await s.json('/rest/config/folders/f1');
  assert.equal(patched.paused, true);
  assert.equal(patched.label, 'One');
  assert.deepEqual(patched.versioning.params, { keep: '3' });
  await expectStatus(await send(s, 'PATCH', '/rest/config/folders/f1', { id: 'f1copy' }), 200);
  assert.equal((await s.json('/rest/config/folders/f1copy')).label, 'One');
  assert.equal((await s.json('/rest/config/folders/f1')).label, 'One', 'original unchanged');
  await expectStatus(await send(s, 'PATCH', '/rest/config/folders/nope', { paused: true }), 404, 'No folder with given ID');

  await expectStatus(await send(s, 'DELETE', '/rest/config/folders/f1copy'), 200);
  await expectStatus(await send(s, 'DELETE', '/rest/config/folders/never-existed'), 200, '');

  const disk = await onDisk(s);
  assert.deepEqual(disk.folders.map((f) => f.id), ['casefold', 'f1', 'f3'], 'config.xml follows every write');

  const events = await s.json(`/rest/events?since=${since}&timeout=0`);
  const types = events.map((e: { type: string }) => e.type);
  assert.equal(types.filter((x: string) => x === 'ConfigSaved').length, 6, 'one ConfigSaved per effective write');
  assert.ok(types.includes('FolderPaused'));
  const saved = events.find((e: { type: string }) => e.type === 'ConfigSaved');
  assert.ok(saved.data.gui.apiKey, 'ConfigSaved carries the whole config');
  assert.deepEqual(events.find((e: { type: string }) => e.type === 'FolderPaused').data, { id: 'f1', label: 'One' });
});

test('folder bad input: duplicate, empty ID, empty or relative path, wrong types, malformed JSON, non-array PUT', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await send(s, 'POST', '/rest/config/folders', { id: 'keep', path: '/tmp/keep' });
  const before = await fs.readFile(path.join(s.home, 'config.xml'), 'utf8');

  await expectStatus(await send(s, 'POST', '/rest/config/folders', { path: '/tmp/x' }), 500, 'folder has empty ID');
  await expectStatus(await send(s, 'POST', '/rest/config/folders', { id: 'x' }), 500, 'folder "x": folder has empty path');
  await expectStatus(await send(s, 'POST', '/rest/config/folders', { id: 'x', path: '' }), 500, 'folder "x": folder has empty path');
  await expectStatus(await send(s, 'POST', '/rest/config/folders', { id: 'x', path: 'relative/dir' }), 500, /must be absolute/);
  await expectStatus(
    await send(s, 'POST', '/rest/config/folders', { id: 'x', path: '/tmp/x', rescanIntervalS: 'often' }),
    400,
    'json: cannot unmarshal string into Go struct field FolderConfiguration.rescanIntervalS of type int',
  );
  await expectStatus(await send(s, 'POST', '/rest/config/folders', '{"id": "x",'), 400, /unexpected end of JSON input|invalid character/);
  await expectStatus(await send(s, 'POST', '/rest/config/folders', 'xyz'), 400, "invalid character 'x' looking for beginning of value");
  await expectStatus(await send(s, 'POST', '/rest/config/folders'), 400, 'unexpected end of JSON input');
  // Syncthing 1.19 answers 200 here and deletes every folder; we refuse and keep them.
  await expectStatus(await send(s, 'PUT', '/rest/config/folders', { id: 'x', path: '/tmp/x' }), 400, /cannot unmarshal object into Go value of type \[\]config.FolderConfiguration/);
  await expectStatus(await send(s, 'PUT', '/rest/config/folders', [{ id: 'a', path: '/a' }, { id: 'a', path: '/b' }]), 500, 'folder "a": folder has duplicate ID');

  // The whole-config PUT validates while decoding: 400.
  const cfg = await s.json('/rest/config');
  cfg.folders.push({ ...cfg.folders[0] });
  await expectStatus(await send(s, 'PUT', '/rest/config', cfg), 400, 'folder "keep": folder has duplicate ID');

  assert.equal(await fs.readFile(path.join(s.home, 'config.xml'), 'utf8'), before, 'config.xml untouched by every refused write');
  assert.deepEqual((await s.json('/rest/config/folders')).map((f: { id: string }) => f.id), ['keep']);
});

test('a body over 10 MiB is 413 and changes nothing', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const huge = JSON.stringify({ id: 'big', path: '/tmp/big', label: 'x'.repeat(11 * 1024 * 1024) });
  const res = await send(s, 'POST', '/rest/config/folders', huge);
  await expectStatus(res, 413, 'http: request body too large');
  assert.deepEqual(await s.json('/rest/config/folders'), []);
});

test('devices: IDs parsed everywhere, 400 for a bad one, 404 for an unknown one, own device kept', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await expectStatus(await send(s, 'POST', '/rest/config/devices', { deviceID: PEER.toLowerCase().replace(/-/g, ''), name: 'peer' }), 200);
  const peer = await s.json(`/rest/config/devices/${PEER}`);
  assert.equal(peer.name, 'peer');
  assert.deepEqual(peer.addresses, ['dynamic'], 'from defaults.device');
  assert.equal((await s.json(`/rest/config/devices/${PEER.toLowerCase()}`)).name, 'peer', ':id is parsed as a device ID');

  await expectStatus(await send(s, 'POST', '/rest/config/devices', { deviceID: 'bad' }), 400, '"bad": device ID invalid: incorrect length');
  await expectStatus(await send(s, 'GET', '/rest/config/devices/bad'), 400, '"bad": device ID invalid: incorrect length');
  await expectStatus(await send(s, 'PATCH', '/rest/config/devices/bad', {}), 400, /incorrect length/);
  await expectStatus(await send(s, 'DELETE', '/rest/config/devices/bad'), 400, /incorrect length/);
  const unknown = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';
  await expectStatus(await send(s, 'GET', `/rest/config/devices/${unknown}`), 404, 'No device with given ID');
  await expectStatus(await send(s, 'PATCH', `/rest/config/devices/${unknown}`, { name: 'x' }), 404, 'No device with given ID');
  await expectStatus(await send(s, 'DELETE', `/rest/config/devices/${unknown}`), 200);
  await expectStatus(await send(s, 'POST', '/rest/config/devices', { name: 'no id' }), 200, '');

  await expectStatus(await send(s, 'PATCH', `/rest/config/devices/${PEER}`, { paused: true }), 200);
  await expectStatus(await send(s, 'DELETE', `/rest/config/devices/${s.app.myId}`), 200);
  const ids = (await s.json('/rest/config/devices')).map((d: { deviceID: string }) => d.deviceID);
  assert.ok(ids.includes(s.app.myId), 'deleting the own device is undone');
  assert.equal(ids.length, 2);
  const evs = await s.json('/rest/events?since=0&timeout=0');
  assert.deepEqual(evs.find((e: { type: string }) => e.type === 'DevicePaused').data, { device: PEER });
});

test('sections: PUT resets omitted fields to built-in defaults, PATCH merges; defaults/ignores', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await expectStatus(await send(s, 'PATCH', '/rest/config/options', { keepTemporariesH: 25, urAccepted: -1 }), 200);
  assert.equal((await s.json('/rest/config/options')).keepTemporariesH, 25);
  await expectStatus(await send(s, 'PUT', '/rest/config/options', { urAccepted: -1 }), 200);
  const opts = await s.json('/rest/config/options');
  assert.equal(opts.keepTemporariesH, 24, 'PUT starts from built-in defaults');
  assert.equal(opts.urAccepted, -1);
  await expectStatus(await send(s, 'PATCH', '/rest/config/options', { keepTemporariesH: 'many' }), 400, /OptionsConfiguration.keepTemporariesH of type int/);

  await expectStatus(await send(s, 'PATCH', '/rest/config/defaults/folder', { rescanIntervalS: 60 }), 200);
  await send(s, 'POST', '/rest/config/folders', { id: 'd', path: '/tmp/d' });
  assert.equal((await s.json('/rest/config/folders/d')).rescanIntervalS, 60, 'new folders use the edited defaults');
  await expectStatus(await send(s, 'PATCH', '/rest/config/ldap', { transport: 'starttls' }), 200);
  assert.equal((await s.json('/rest/config/ldap')).transport, 'starttls');
  await expectStatus(await send(s, 'PUT', '/rest/config/defaults/device', { compression: 'always' }), 200);
  assert.equal((await s.json('/rest/config/defaults/device')).compression, 'always');

  assert.deepEqual(await s.json('/rest/config/defaults/ignores'), { lines: [] });
  await expectStatus(await send(s, 'PUT', '/rest/config/defaults/ignores', { lines: ['*.tmp', '// c'] }), 200);
  assert.deepEqual(await s.json('/rest/config/defaults/ignores'), { lines: ['*.tmp', '// c'] });
  await expectStatus(await send(s, 'PUT', '/rest/config/defaults/ignores', { lines: 'nope' }), 400, /of type \[\]string/);
  await expectStatus(await send(s, 'PATCH', '/rest/config/defaults/ignores', {}), 405);

  assert.deepEqual(await s.json('/rest/config/restart-required'), { requiresRestart: false });
  await send(s, 'PATCH', '/rest/config/options', { databaseTuning: 'large' });
  await send(s, 'PATCH', '/rest/config/options', { databaseTuning: 'auto' });
  assert.deepEqual(await s.json('/rest/config/restart-required'), { requiresRestart: true }, 'sticky even after changing it back');
  assert.deepEqual(await s.json('/rest/config/insync'), { configInSync: false });
  assert.deepEqual(await s.json('/rest/system/config/insync'), { configInSync: false });
});

test('whole-config round trip: GET → PUT and the deprecated /rest/system/config', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const cfg = await s.json('/rest/config');
  assert.deepEqual(Object.keys(cfg), ['version', 'folders', 'devices', 'gui', 'ldap', 'options', 'remoteIgnoredDevices', 'defaults']);
  assert.deepEqual(await s.json('/rest/system/config'), cfg);
  cfg.folders.push({ id: 'rt', path: '/tmp/rt', label: 'Round trip' });
  cfg.defaults.folder.rescanIntervalS = 120;
  await expectStatus(await send(s, 'POST', '/rest/system/config', cfg), 200);
  const after = await s.json('/rest/config/folders/rt');
  assert.equal(after.rescanIntervalS, 120, 'folders[] elements start from the body\'s defaults.folder');
  const unchanged = await s.json('/rest/config');
  await expectStatus(await send(s, 'PUT', '/rest/config', unchanged), 200);
  const evs = await s.json('/rest/events?since=0&timeout=0');
  assert.equal(evs.filter((e: { type: string }) => e.type === 'ConfigSaved').length, 1, 'an unchanged PUT saves nothing');

  // Omitted sections reset: a PUT without gui gets a new API key (Syncthing's documented behaviour).
  const oldKey = s.apiKey;
  await expectStatus(await s.req('/rest/config', { method: 'PUT', body: JSON.stringify({ folders: [] }), key: oldKey }), 200);
  assert.notEqual(s.apiKey, oldKey);
  assert.equal(s.apiKey.length, 32);
  assert.equal((await s.req('/rest/system/ping', { key: oldKey })).status, 403);
});

const freePort = async (): Promise<number> => {
  const net = await import('node:net');
  return new Promise((r) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => r(p));
    });
  });
};

test('a gui.address change moves the listener live, without a restart', async (t) => {
  const [p1, p2] = [await freePort(), await freePort()];
  const xml = `<configuration version="36"><gui enabled="true" tls="false"><address>127.0.0.1:${p1}</address><apikey>movekey</apikey></gui></configuration>`;
  const s = await startServer({ guiAddress: undefined, configXml: xml });
  t.after(() => s.stop());
  assert.equal(s.base, `http://127.0.0.1:${p1}`);
  assert.equal((await s.json('/rest/system/status')).guiAddressOverridden, false);
  const res = await send(s, 'PATCH', '/rest/config/gui', { address: `127.0.0.1:${p2}` });
  assert.equal(res.status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const moved = await fetch(`http://127.0.0.1:${p2}/rest/system/status`, { headers: { 'X-API-Key': 'movekey' } });
  assert.equal(moved.status, 200);
  assert.equal(((await moved.json()) as { guiAddressUsed: string }).guiAddressUsed, `127.0.0.1:${p2}`);
  await assert.rejects(fetch(`http://127.0.0.1:${p1}/rest/system/ping`, { headers: { 'X-API-Key': 'movekey' } }), 'the old port is closed');
  const bad = await fetch(`http://127.0.0.1:${p2}/rest/config/gui`, { method: 'PATCH', body: '{"address":"not an address"}', headers: { 'X-API-Key': 'movekey' } });
  await expectStatus(bad, 500, 'invalid GUI address "not an address": expected host:port');
});
