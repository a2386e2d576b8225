import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { waitForEvent } from '../support/folder-helpers.js';
import { lastRefEventId, pair, refEvents, refSees, skipReason, synchroSees, until } from './peer-kit.js';

/**
 * Issue 24 against Debian's Syncthing 1.19.2: dialling both ways, pending devices and folders,
 * pause and resume, simultaneous dials, pings. Every test also reads Syncthing's log: a protocol
 * error, a bad certificate or an unexplained close there fails it.
 */

const opts = { skip: skipReason, timeout: 120_000 };

test('Synchro dials Syncthing, and Syncthing dials Synchro: both see the other connected over TLS 1.3', opts, async (t) => {
  for (const way of ['synchro dials', 'reference dials'] as const) {
    const p = await pair(t, way === 'synchro dials' ? { synchroDials: true } : { refDials: true });
    const ours = await synchroSees(p);
    const theirs = await refSees(p);
    assert.match(ours.crypto, /^TLS1\.3-TLS_/, way);
    assert.match(theirs.crypto, /^TLS1\.3-TLS_/, way);
    assert.equal(ours.type, way === 'synchro dials' ? 'tcp-client' : 'tcp-server');
    assert.equal(theirs.type, way === 'synchro dials' ? 'tcp-server' : 'tcp-client');
    assert.match(ours.clientVersion, /^v1\.19\.2/);
    assert.match(theirs.clientVersion, /^synchro v\d+\.\d+\.\d+/);
    assert.match(ours.address, /^127\.0\.0\.1:\d+$/);
    const ev = await waitForEvent(p.s, 'DeviceConnected', (e) => e.data.id === p.refId);
    assert.deepEqual(Object.keys(ev.data).sort(), ['addr', 'clientName', 'clientVersion', 'deviceName', 'id', 'type']);
    assert.equal(ev.data.clientName, 'syncthing');
    // connectionServiceStatus names our listener; stats/device has the device as seen now.
    const status = await p.s.json('/rest/system/status');
    assert.deepEqual(Object.keys(status.connectionServiceStatus), ['tcp://127.0.0.1:0']);
    assert.equal(status.connectionServiceStatus['tcp://127.0.0.1:0'].error, null);
    assert.deepEqual(status.connectionServiceStatus['tcp://127.0.0.1:0'].lanAddresses, [p.synchroAddress]);
    assert.notEqual((await p.s.json('/rest/stats/device'))[p.refId].lastSeen, '1970-01-01T00:00:00Z');
    // Syncthing's per-device traffic metrics: Hello is not a message, ClusterConfig is.
    const metrics = await (await p.s.req('/metrics')).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{device="${p.refId}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(value('syncthing_protocol_sent_messages_total') >= 1, way);
    assert.ok(value('syncthing_protocol_recv_messages_total') >= 1, way);
    assert.ok(value('syncthing_protocol_sent_bytes_total') > 0 && value('syncthing_protocol_recv_bytes_total') > 0, way);
    assert.deepEqual(p.ref.connectionProblems(), [], way);
  }
});

test('unknown devices are pending on both sides with their names; folders offered by one side are pending on the other', opts, async (t) => {
  // Syncthing does not know Synchro; Synchro dials it: Syncthing records a pending device.
  const p = await pair(t, { synchroDials: true, refKnowsSynchro: false });
  const pendingThere = await until('Synchro pending on the reference', async () => (await p.ref.json<any>('/rest/cluster/pending/devices'))[p.s.app.myId]);
  assert.equal(typeof pendingThere.address, 'string');
  // We know Syncthing, so our Hello carried our device name.
  const me = (await p.s.json('/rest/config/devices')).find((d: { deviceID: string }) => d.deviceID === p.s.app.myId);
  assert.equal(pendingThere.name, me.name);

  // The reverse: a Synchro that does not know the reference, which dials it.
  const q = await pair(t, { refDials: true, synchroKnowsRef: false });
  const pendingHere = await until('the reference pending on Synchro', async () => (await q.s.json('/rest/cluster/pending/devices'))[q.refId]);
  assert.equal(pendingHere.name, 'reference');
  assert.match(pendingHere.address, /^127\.0\.0\.1:\d+$/);
  const ev = await waitForEvent(q.s, 'PendingDevicesChanged', (e) => e.data.added?.some((a: { deviceID: string }) => a.deviceID === q.refId));
  assert.equal(ev.data.added[0].name, 'reference');
  // Adding the device ends it being pending, and the connection comes up.
  assert.equal((await q.s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: q.refId, name: 'ref', addresses: ['dynamic'] }) })).status, 200);
  await synchroSees(q);
  assert.deepEqual(await q.s.json('/rest/cluster/pending/devices'), {});

  // Folders: the reference offers "theirs", Synchro offers "ours"; each shows in the other's pending folders.
  const r = await pair(t, { synchroDials: true, ref: { folders: [{ id: 'theirs', label: 'Their Photos', path: path.join(q.dir, 'st-theirs') }] } });
  await fs.mkdir(path.join(r.dir, 'ours'));
  const cfgRes = await r.ref.req('/rest/config/folders/theirs', { method: 'PATCH', body: JSON.stringify({ devices: [{ deviceID: r.s.app.myId }] }) });
  assert.equal(cfgRes.status, 200);
  assert.equal((await r.s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'ours', label: 'Our Docs', path: path.join(r.dir, 'ours'), devices: [{ deviceID: r.refId }], fsWatcherEnabled: false }) })).status, 200);
  const here = await until('"theirs" pending on Synchro', async () => (await r.s.json('/rest/cluster/pending/folders')).theirs);
  assert.equal(here.offeredBy[r.refId].label, 'Their Photos');
  const there = await until('"ours" pending on the reference', async () => (await r.ref.json<any>('/rest/cluster/pending/folders')).ours);
  assert.equal(there.offeredBy[r.s.app.myId].label, 'Our Docs');
  await waitForEvent(r.s, 'PendingFoldersChanged', (e) => e.data.added?.some((a: { folderID: string }) => a.folderID === 'theirs'));
  await waitForEvent(r.s, 'FolderRejected', (e) => e.data.folder === 'theirs' && e.data.device === r.refId);
  // Dismissing answers and the entry goes.
  assert.equal((await r.s.req(`/rest/cluster/pending/folders?folder=theirs&device=${r.refId}`, { method: 'DELETE' })).status, 200);
  assert.deepEqual(await r.s.json('/rest/cluster/pending/folders'), {});
  for (const x of [p, q, r]) assert.deepEqual(x.ref.connectionProblems([/closed: .*unknown device/i, /Connection to .* closed: (closed by remote: )?(the device was added|device is paused)/]), []);
});

test('pausing and resuming a device on either side closes and reopens the connection, with events on both', opts, async (t) => {
  const p = await pair(t, { synchroDials: true, refDials: true });
  await synchroSees(p);
  await refSees(p);
  // Paused here: we close with a reason, Syncthing sees us go and come back when resumed.
  let since = await lastRefEventId(p.ref);
  assert.equal((await p.s.req(`/rest/system/pause?device=${p.refId}`, { method: 'POST' })).status, 200);
  await synchroSees(p, false);
  await refSees(p, false);
  // The connection we closed says why; Syncthing's redials meanwhile are refused, saying why too.
  const disc = await until('DeviceDisconnected on the reference', async () => (await refEvents(p.ref, since, 'DeviceDisconnected')).filter((e) => e.data.id === p.s.app.myId));
  assert.match(disc[0].data.error, /closed by remote: the device is paused/);
  for (const e of disc.slice(1)) assert.match(e.data.error, /closed by remote: device is paused/);
  await waitForEvent(p.s, 'DeviceDisconnected', (e) => e.data.id === p.refId);
  assert.equal((await p.s.json('/rest/system/connections')).connections[p.refId].paused, true);
  assert.equal((await p.s.req(`/rest/system/resume?device=${p.refId}`, { method: 'POST' })).status, 200);
  await synchroSees(p);
  await refSees(p);
  // Paused there: Syncthing closes; we see it, and it comes back after resume.
  since = await lastRefEventId(p.ref);
  const ourSince = (await p.s.json('/rest/events?since=0&timeout=0')).at(-1).id;
  assert.equal((await p.ref.req(`/rest/system/pause?device=${p.s.app.myId}`, { method: 'POST' })).status, 200);
  await synchroSees(p, false);
  await waitForEvent(p.s, 'DeviceDisconnected', (e) => e.id > ourSince && e.data.id === p.refId);
  assert.equal((await p.ref.req(`/rest/system/resume?device=${p.s.app.myId}`, { method: 'POST' })).status, 200);
  await synchroSees(p);
  await refSees(p);
  // Removed here: the connection is closed saying so.
  since = await lastRefEventId(p.ref);
  assert.equal((await p.s.req(`/rest/config/devices/${p.refId}`, { method: 'DELETE' })).status, 200);
  const removed = await until('the removal seen by the reference', async () => (await refEvents(p.ref, since, 'DeviceDisconnected')).find((e) => e.data.id === p.s.app.myId));
  assert.match(removed.data.error, /closed by remote: the device was removed/);
  assert.deepEqual(p.ref.connectionProblems([/closed: closed by remote: (the device was removed|unknown device)/, /closed: closed by remote: (the )?device is paused/i, /closed: (device is paused|paused)$/i]), []);
});

test('both sides dialling at once, 20 times: one connection stays each time, no connect-close loop', opts, async (t) => {
  const p = await pair(t, { synchroDials: true, refDials: true });
  await synchroSees(p);
  for (let round = 0; round < 20; round++) {
    // Both pause, then both resume at the same moment: each dials the other.
    await Promise.all([p.s.req(`/rest/system/pause?device=${p.refId}`, { method: 'POST' }), p.ref.req(`/rest/system/pause?device=${p.s.app.myId}`, { method: 'POST' })]);
    await synchroSees(p, false);
    await refSees(p, false);
    const since = await lastRefEventId(p.ref);
    await Promise.all([p.s.req(`/rest/system/resume?device=${p.refId}`, { method: 'POST' }), p.ref.req(`/rest/system/resume?device=${p.s.app.myId}`, { method: 'POST' })]);
    const ours = await synchroSees(p);
    const theirs = await refSees(p);
    // Stable: the same connection on both sides a while later (the duplicate grace is 5 s), not a new one.
    await new Promise((r) => setTimeout(r, 800));
    const again = (await p.s.json('/rest/system/connections')).connections[p.refId];
    const againThere = (await p.ref.json<any>('/rest/system/connections')).connections[p.s.app.myId];
    assert.equal(again.connected && againThere.connected, true, `round ${round}`);
    assert.equal(again.address.split(':')[1] === ours.address.split(':')[1] || again.startedAt === ours.startedAt, true, `round ${round}: no reconnect`);
    void theirs;
    const connects = (await refEvents(p.ref, since, 'DeviceConnected')).filter((e) => e.data.id === p.s.app.myId).length;
    assert.ok(connects <= 2, `round ${round}: ${connects} DeviceConnected on the reference`);
  }
  const loops = p.ref.log().split('\n').filter((l) => /Connected to already connected device/.test(l)).length;
  t.diagnostic(`${loops} duplicate connections refused by Syncthing over 20 rounds`);
});

test('an idle connection keeps pinging: Syncthing keeps receiving while nothing else happens', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const first = await refSees(p);
  await new Promise((r) => setTimeout(r, 5000));
  const later = await refSees(p);
  assert.ok(later.inBytesTotal > first.inBytesTotal, `Syncthing received ${later.inBytesTotal - first.inBytesTotal} bytes of pings in 5 s`);
  assert.equal(later.startedAt, first.startedAt, 'the same connection');
  assert.deepEqual(p.ref.connectionProblems(), []);
});
