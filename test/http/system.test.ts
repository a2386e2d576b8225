import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

const PEER = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

test('status, version, ping, paths, discovery, connections, upgrade', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const res = await s.req('/rest/system/ping');
  assert.equal(await res.text(), '{\n  "ping": "pong"\n}\n', 'Go formatting: 2-space indent, trailing newline');
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.deepEqual(await (await s.req('/rest/system/ping', { method: 'POST' })).json(), { ping: 'pong' });

  const st = await s.json('/rest/system/status');
  assert.deepEqual(Object.keys(st), [...Object.keys(st)].sort(), 'a Go map: keys sorted');
  for (const k of ['alloc', 'connectionServiceStatus', 'cpuPercent', 'goroutines', 'guiAddressOverridden', 'guiAddressUsed', 'lastDialStatus', 'myID', 'pathSeparator', 'startTime', 'sys', 'tilde', 'uptime', 'urVersionMax']) {
    assert.ok(k in st, k);
  }
  assert.equal(st.cpuPercent, 0);
  assert.equal(st.myID, s.app.myId);
  assert.equal(st.guiAddressUsed, s.base.slice('http://'.length));
  assert.match(st.startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/, 'whole seconds');
  assert.equal(st.discoveryEnabled, true, 'discovery keys appear while discovery is enabled in config');
  // Each method discovery would run is listed as not supported, not as working.
  assert.equal(st.discoveryMethods, 5);
  assert.deepEqual(Object.keys(st.discoveryStatus).filter((k) => !k.startsWith('global@')), ['IPv4 local', 'IPv6 local']);
  for (const v of Object.values(st.discoveryStatus) as { error: string }[]) assert.match(v.error, /discovery is not supported by Synchro yet/);
  assert.deepEqual(Object.keys(st.discoveryErrors), Object.keys(st.discoveryStatus));
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"globalAnnounceEnabled":false,"localAnnounceEnabled":false}' });
  assert.equal('discoveryEnabled' in (await s.json('/rest/system/status')), false);

  const v = await s.json('/rest/system/version');
  assert.match(v.version, /^v\d+\.\d+\.\d+$/);
  assert.equal(v.isRelease, true);
  assert.equal(v.isBeta, false);
  assert.equal(typeof v.stamp, 'string');
  assert.deepEqual(Object.keys(v), [...Object.keys(v)].sort());

  const paths = await s.json('/rest/system/paths');
  assert.equal(paths.config, path.join(s.home, 'config.xml'));
  assert.equal(paths.certFile, path.join(s.home, 'cert.pem'));
  assert.deepEqual(await s.json('/rest/system/discovery'), {});

  await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: PEER, name: 'peer' }) });
  const conns = await s.json('/rest/system/connections');
  assert.deepEqual(Object.keys(conns.connections).sort(), [PEER, s.app.myId].sort(), 'this device listed too (1.19; syncthing-gtk needs it)');
  const own = conns.connections[s.app.myId];
  assert.deepEqual([own.connected, own.paused, own.address, own.clientVersion, own.inBytesTotal], [false, false, '', '', 0]);
  assert.deepEqual(Object.keys(own), Object.keys(conns.connections[PEER]), "v1.27's keys on it too");
  assert.equal(conns.connections[PEER].connected, false);
  assert.equal(conns.connections[PEER].at, '0001-01-01T00:00:00Z');
  assert.match(conns.total.at, RFC3339);

  const up = await s.req('/rest/system/upgrade');
  assert.equal(up.status, 501);
  assert.equal(await up.text(), 'upgrade unsupported\n');
  assert.equal((await s.req('/rest/system/upgrade', { method: 'POST' })).status, 501);
});

test('error list and log: add, read, clear, since', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  assert.equal((await s.req('/rest/system/error', { method: 'POST', body: 'Something bad <happened>' })).status, 200);
  const errs = await s.json('/rest/system/error');
  const mine = errs.errors.at(-1);
  assert.deepEqual(Object.keys(mine), ['when', 'message', 'level']);
  assert.equal(mine.message, 'Something bad <happened>');
  assert.equal(mine.level, 3);
  assert.match(await (await s.req('/rest/system/error')).text(), /Something bad \\u003chappened\\u003e/, 'HTML characters escaped as Go does');

  assert.equal((await s.req('/rest/system/error/clear', { method: 'POST' })).status, 200);
  assert.equal(await (await s.req('/rest/system/error')).text(), '{\n  "errors": null\n}\n');

  const log = await s.json('/rest/system/log');
  assert.ok(log.messages.some((m: { message: string }) => m.message.startsWith('My ID: ')));
  const last = log.messages.at(-1).when;
  await s.req('/rest/system/error', { method: 'POST', body: 'later line' });
  const newer = await s.json(`/rest/system/log?since=${encodeURIComponent(last)}`);
  assert.deepEqual(newer.messages.map((m: { message: string }) => m.message), ['later line']);
  assert.ok((await s.json('/rest/system/log?since=garbage')).messages.length > 1, 'an invalid since returns everything');
  const txt = await (await s.req('/rest/system/log.txt')).text();
  assert.match(txt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d): My ID: /m);
});

test('log levels: v2 loglevels and 1.x debug facilities', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const lv = await s.json('/rest/system/loglevels');
  assert.equal(lv.levels.config, 'INFO');
  assert.ok(lv.packages.api);
  assert.equal((await s.req('/rest/system/loglevels', { method: 'POST', body: '{"config":"DEBUG"}' })).status, 200);
  assert.equal((await s.json('/rest/system/loglevels')).levels.config, 'DEBUG');
  assert.equal((await s.req('/rest/system/loglevels', { method: 'POST', body: '{"config":"LOUD"}' })).status, 400);
  assert.equal((await s.req('/rest/system/loglevels', { method: 'POST', body: '[1]' })).status, 400);
  assert.deepEqual((await s.json('/rest/system/debug')).enabled, ['config']);
  await s.req('/rest/system/debug?enable=api,events&disable=config', { method: 'POST' });
  assert.deepEqual((await s.json('/rest/system/debug')).enabled, ['api', 'events']);
});

test('system/browse lists directories by prefix, ~ expanded, globs allowed', async (t) => {
  const s = await startServer();
  const { dir, cleanup } = await tempDir();
  t.after(async () => {
    await s.stop();
    await cleanup();
  });
  for (const d of ['alpha', 'Alps', 'beta', 'apple']) await fs.mkdir(path.join(dir, d));
  await fs.writeFile(path.join(dir, 'afile'), '');
  const browse = (q: string) => s.json(`/rest/system/browse?current=${encodeURIComponent(q)}`);
  assert.deepEqual(await browse(path.join(dir, 'a')), [path.join(dir, 'alpha') + '/', path.join(dir, 'apple') + '/', path.join(dir, 'Alps') + '/'], 'exact case first, then case-insensitive');
  assert.deepEqual(await browse(dir + '/'), ['Alps', 'alpha', 'apple', 'beta'].map((d) => path.join(dir, d) + '/'));
  assert.deepEqual(await browse(path.join(dir, 'a*e')), [path.join(dir, 'apple') + '/']);
  assert.deepEqual(await browse('/nonexist/x'), []);
  assert.deepEqual(await s.json('/rest/system/browse'), ['/']);
});

test('pause and resume devices through /rest/system', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: PEER }) });
  assert.equal((await s.req(`/rest/system/pause?device=${PEER}`, { method: 'POST' })).status, 200);
  assert.equal((await s.json(`/rest/config/devices/${PEER}`)).paused, true);
  assert.equal((await s.req('/rest/system/resume', { method: 'POST' })).status, 200, 'no device = all devices');
  assert.equal((await s.json(`/rest/config/devices/${PEER}`)).paused, false);
  let res = await s.req('/rest/system/pause?device=bad', { method: 'POST' });
  assert.equal(res.status, 500);
  assert.equal(await res.text(), '"bad": device ID invalid: incorrect length\n');
  res = await s.req('/rest/system/pause?device=MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD', { method: 'POST' });
  assert.equal(res.status, 404);
  assert.equal(await res.text(), 'not found\n');
  const types = (await s.json('/rest/events?since=0&timeout=0')).map((e: { type: string }) => e.type);
  assert.ok(types.includes('DevicePaused') && types.includes('DeviceResumed'));
});

test('restart re-reads config.xml in process; reset checks the folder; shutdown stops', async (t) => {
  let shutdownCalled = false;
  const s = await startServer({ onShutdown: () => void (shutdownCalled = true) });
  t.after(() => s.stop());
  const before = await s.json('/rest/system/status');
  await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'keep', path: '/tmp/keep' }) });

  let res = await s.req('/rest/system/reset?folder=nope', { method: 'POST' });
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'Invalid folder ID\n');

  const oldEvents = s.app.events;
  res = await s.req('/rest/system/restart', { method: 'POST' });
  assert.equal(await res.text(), '{"ok": "restarting"}\n');
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  for (let i = 0; i < 100 && s.app.events === oldEvents; i++) await new Promise((r) => setTimeout(r, 20));
  assert.notEqual(s.app.events, oldEvents, 'a new instance was built');
  const after = await s.json('/rest/system/status');
  assert.equal(after.myID, before.myID);
  const evs = await s.json('/rest/events?since=0&timeout=0');
  assert.equal(evs[0].type, 'Starting', 'a fresh event log starts with Starting at id 1');
  assert.equal(evs[0].id, 1);
  assert.equal((await s.json('/rest/config/folders/keep')).id, 'keep');

  res = await s.req('/rest/system/shutdown', { method: 'POST' });
  assert.equal(await res.text(), '{"ok": "shutting down"}\n');
  for (let i = 0; i < 50 && !shutdownCalled; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(shutdownCalled);
  await assert.rejects(s.req('/rest/system/ping'));
});
