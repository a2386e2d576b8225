// The calls Syncthing's own web GUI (v1.27, gui/default) makes, as it makes them — cookie and CSRF
// header, no API key, paths relative to rest/ — and the fields it reads from each answer
// (spec clients.md §1.1). The GUI itself cannot ship in this repository; its conversation can.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { folderSetup, addFolder, write } from '../support/folder-helpers.js';

const PEER = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Asserts `obj.a.b` exists and has JSON type `type` ('any' for present). */
function field(obj: unknown, dotted: string, type: string, where: string): void {
  let o: unknown = obj;
  for (const k of dotted.split('.')) {
    assert.ok(o !== null && typeof o === 'object' && k in (o as object), `${where}: ${dotted} missing`);
    o = (o as Record<string, unknown>)[k];
  }
  if (type !== 'any') assert.equal(typeOf(o), type, `${where}: ${dotted}`);
}

test("the official GUI's start-up, polling and dialog calls answer with every field it reads", async (t) => {
  const { s, dir } = await folderSetup(t);
  await write(path.join(dir, 'docs'), 'a.txt', 'hello');
  await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: PEER, name: 'peer' }) });
  await addFolder(s, 'docs', path.join(dir, 'docs'), { devices: [{ deviceID: PEER }], versioning: { type: 'simple', params: { keep: '3' } } });

  // The page: the CSRF cookie, then meta.js tells the GUI who it talks to.
  const page = await s.req('/', { key: false });
  assert.equal(page.status, 200);
  const cookie = page.headers.getSetCookie().find((c) => c.startsWith('CSRF-Token-'))!.split(';')[0]!;
  const [cookieName, token] = cookie.split('=') as [string, string];
  const meta = await (await s.req('/meta.js', { key: false, headers: { Cookie: cookie } })).text();
  const short = /"deviceIDShort":\s*"([A-Z2-7]{7})"/.exec(meta)?.[1];
  assert.equal(cookieName, `CSRF-Token-${short}`, 'the cookie is named after the short ID meta.js gives');
  const gui = (p: string, init: RequestInit = {}) =>
    s.req(`/${p}`, { ...init, key: false, headers: { Cookie: cookie, [`X-CSRF-Token-${short}`]: token, ...(init.headers as Record<string, string>) } });
  const json = async (p: string, init?: RequestInit): Promise<any> => {
    const r = await gui(p, init);
    assert.equal(r.status, 200, `${p}: ${r.status}`);
    return r.json();
  };

  // Start-up.
  assert.equal(typeOf(await json('rest/svc/lang')), 'array');
  const first = await json('rest/events?limit=1');
  assert.equal(first.length, 1);
  field(first[0], 'id', 'number', 'events');
  const stDev = await json('rest/stats/device');
  field(stDev[PEER], 'lastSeen', 'string', 'stats/device');
  const stFolder = await json('rest/stats/folder');
  for (const k of ['lastScan', 'lastFile.at', 'lastFile.filename', 'lastFile.deleted']) field(stFolder.docs, k, k === 'lastFile.deleted' ? 'boolean' : 'string', 'stats/folder');
  assert.equal(typeOf(await json('rest/events/disk?limit=25')), 'array');
  field(await json('themes.json'), 'themes', 'array', 'themes.json');
  const status = await json('rest/system/status');
  for (const [k, ty] of [['myID', 'string'], ['urVersionMax', 'number'], ['uptime', 'number'], ['guiAddressUsed', 'string'], ['pathSeparator', 'string'], ['connectionServiceStatus', 'object'], ['discoveryStatus', 'object'], ['discoveryEnabled', 'boolean'], ['lastDialStatus', 'object']] as const) field(status, k, ty, 'system/status');
  for (const v of Object.values(status.connectionServiceStatus)) field(v, 'error', 'any', 'connectionServiceStatus');
  assert.equal(typeOf(await json('rest/system/discovery')), 'object');
  const cfg = await json('rest/config');
  for (const k of ['options.listenAddresses', 'options.globalAnnounceServers', 'options.urAccepted', 'options.urSeen', 'gui.authMode', 'gui.user', 'gui.password', 'gui.insecureAdminAccess', 'gui.theme', 'gui.useTLS', 'defaults.folder.path', 'defaults.ignores.lines', 'remoteIgnoredDevices']) field(cfg, k, 'any', 'config');
  for (const d of cfg.devices) for (const k of ['deviceID', 'name', 'addresses', 'ignoredFolders', 'paused']) field(d, k, 'any', 'config.devices[]');
  for (const f of cfg.folders) for (const k of ['id', 'label', 'path', 'type', 'paused', 'devices', 'fsWatcherEnabled', 'rescanIntervalS']) field(f, k, 'any', 'config.folders[]');
  for (const d of cfg.folders[0].devices) for (const k of ['deviceID', 'encryptionPassword']) field(d, k, 'string', 'config.folders[].devices[]');
  field(await json('rest/config/insync'), 'configInSync', 'boolean', 'config/insync');
  assert.equal(typeOf(await json('rest/cluster/pending/devices')), 'object');
  assert.equal(typeOf(await json('rest/cluster/pending/folders')), 'object');
  const conns = await json('rest/system/connections');
  field(conns, 'total.inBytesTotal', 'number', 'connections');
  field(conns, 'total.outBytesTotal', 'number', 'connections');
  for (const k of ['connected', 'inBytesTotal', 'outBytesTotal', 'type', 'crypto', 'clientVersion']) field(conns.connections[PEER], k, 'any', 'connections[peer]');
  const version = await json('rest/system/version');
  for (const k of ['version', 'os', 'arch', 'isBeta', 'extra', 'container']) field(version, k, 'any', 'system/version');
  const report = await json('rest/svc/report');
  field(report, 'urVersion', 'number', 'svc/report');
  // The usage-report preview diffs version N against N-1: both build, and differ.
  const [v3, v2] = [await json('rest/svc/report?version=3'), await json('rest/svc/report?version=2')];
  assert.notDeepEqual(Object.keys(v3), Object.keys(v2), 'the preview has something to show');
  const up = await gui('rest/system/upgrade');
  assert.ok([200, 500, 501].includes(up.status), 'the GUI tolerates an upgrade error');
  const dbStatus = await json('rest/db/status?folder=docs');
  for (const k of ['state', 'error', 'errors', 'watchError', 'globalBytes', 'globalFiles', 'globalDirectories', 'localBytes', 'localFiles', 'localDirectories', 'needBytes', 'needTotalItems', 'pullErrors', 'receiveOnlyChangedBytes', 'receiveOnlyTotalItems', 'ignorePatterns', 'invalid']) {
    field(dbStatus, k, 'any', 'db/status');
  }
  const completion = await json(`rest/db/completion?device=${PEER}&folder=docs`);
  for (const k of ['completion', 'globalBytes', 'needBytes', 'needItems', 'needDeletes', 'remoteState']) field(completion, k, 'any', 'db/completion');
  field(await json('rest/system/error'), 'errors', 'any', 'system/error');

  // Dialogs.
  field(await json('rest/config/defaults/device'), 'deviceID', 'string', 'defaults/device');
  assert.equal((await json('rest/svc/random/string?length=10')).random.length, 10, 'the new folder ID is cut from it');
  field(await json('rest/config/defaults/folder'), 'path', 'string', 'defaults/folder');
  field(await json('rest/config/defaults/ignores'), 'lines', 'array', 'defaults/ignores');
  field(await json(`rest/svc/deviceid?id=${PEER.toLowerCase()}`), 'id', 'string', 'svc/deviceid');
  field(await json('rest/svc/deviceid?id=nope'), 'error', 'string', 'svc/deviceid');
  assert.equal(typeOf(await json(`rest/system/browse?current=${encodeURIComponent(dir + '/')}`)), 'array');
  const ign = await json('rest/db/ignores?folder=docs');
  field(ign, 'ignore', 'any', 'db/ignores');
  field(ign, 'error', 'any', 'db/ignores');
  const need = await json('rest/db/need?folder=docs&page=1&perpage=10');
  for (const k of ['progress', 'queued', 'rest', 'page', 'perpage']) field(need, k, 'any', 'db/need');
  field(await json('rest/folder/errors?folder=docs&page=1&perpage=10'), 'errors', 'any', 'folder/errors');
  field(await json(`rest/db/remoteneed?device=${PEER}&folder=docs&page=1&perpage=10`), 'files', 'array', 'db/remoteneed');
  field(await json('rest/db/localchanged?folder=docs&page=1&perpage=10'), 'files', 'array', 'db/localchanged');
  assert.equal(typeOf(await json('rest/folder/versions?folder=docs')), 'object');
  field(await json('rest/system/loglevels'), 'levels', 'object', 'loglevels');
  const log = await json('rest/system/log');
  field(log.messages[0], 'when', 'string', 'system/log');
  field(log.messages[0], 'level', 'any', 'system/log');
  field(log.messages[0], 'message', 'string', 'system/log');
  assert.equal(typeOf(await json('rest/system/paths')), 'object');
  const qr = await gui(`qr/?text=${status.myID}`);
  assert.equal(qr.headers.get('content-type'), 'image/png');

  // Every change is one PUT of the whole config, then config and insync again.
  cfg.folders[0].label = 'Documents';
  assert.equal((await gui('rest/config', { method: 'PUT', body: JSON.stringify(cfg), headers: { 'Content-Type': 'application/json' } })).status, 200);
  assert.equal((await json('rest/config')).folders[0].label, 'Documents');
  field(await json('rest/config/insync'), 'configInSync', 'boolean', 'config/insync');
  // Without the CSRF header the same write is refused, and a 403 is what makes the GUI reload.
  assert.equal((await s.req('/rest/config', { method: 'PUT', body: JSON.stringify(cfg), key: false, headers: { Cookie: cookie } })).status, 403);
});
