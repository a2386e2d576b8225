import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/test-server.js';

const PEER = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';

test('svc/deviceid always answers 200, with id or error', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const q = (id?: string) => s.json(`/rest/svc/deviceid${id === undefined ? '' : `?id=${encodeURIComponent(id)}`}`);
  assert.deepEqual(await q(PEER.toLowerCase()), { id: PEER });
  assert.deepEqual(await q('AQDPWHFBT27CRMBN2PMGXFAMO4TTGXW6BHTAZEL4JOGVPJA6AAAA'.toLowerCase()), { id: PEER });
  assert.deepEqual(await q(), { id: '' });
  assert.deepEqual(await q('1234'), { error: '"1234": device ID invalid: incorrect length' });
  assert.deepEqual(await q(PEER.slice(0, -1) + '7'), { error: '"AQDPWHFBT27CRXMBN2PMGXFAMO4LTTGXW6BHTAZELQ4JOGVPJA6AAAA7": check digit incorrect' });
});

test('svc/lang, random/string, report', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const lang = (h = '') => s.req('/rest/svc/lang', { headers: { 'Accept-Language': h } }).then((r) => r.json());
  assert.deepEqual(await lang(), ['']);
  assert.deepEqual(await lang('en_us'), ['en_us']);
  assert.deepEqual(await lang('de-DE,de;q=0.9,en;q=0.8'), ['de-de', 'de', 'en']);
  assert.deepEqual(await lang('en-US,en;q=0.9,de;q=0.8,fr;q=0.95'), ['en-us', 'fr', 'en', 'de'], 'v2: sorted by q');
  assert.deepEqual(await lang('en;q=abc,de'), ['de'], 'an unparsable q drops the entry');

  const rnd = async (len?: string) => (await s.json(`/rest/svc/random/string${len === undefined ? '' : `?length=${len}`}`)).random as string;
  assert.equal((await rnd()).length, 32);
  for (const bad of ['0', '-3', 'abc']) assert.equal((await rnd(bad)).length, 32, bad);
  assert.equal((await rnd('100')).length, 100);
  assert.equal((await rnd('999999999')).length, 65536, 'capped');
  assert.match(await rnd('500'), /^[2345679abcdefghijkmnopqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ]+$/);

  const rep = await s.json('/rest/svc/report');
  for (const k of ['numDevices', 'memoryUsageMiB', 'sha256Perf', 'hashPerf', 'memorySize', 'numCPU', 'version', 'longVersion', 'platform', 'folderUses', 'ignoreStats']) {
    assert.ok(k in rep, k);
  }
  for (const k of ['numFolders', 'totFiles', 'totMiB']) assert.ok(!(k in rep), `${k} is 0 here, so left out (omitempty), as Syncthing does`);
  assert.ok(rep.sha256Perf > 0);
});

test('stats and pending (GET, DELETE with events, bad IDs)', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const stats = await s.json('/rest/stats/device');
  assert.deepEqual(Object.keys(stats), [s.app.myId]);
  assert.equal(stats[s.app.myId].lastConnectionDurationS, 0);
  assert.match(stats[s.app.myId].lastSeen, /^1970-01-01T/);
  await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: '/tmp/f' }) });
  assert.deepEqual(await s.json('/rest/stats/folder'), { f: { lastFile: { at: '0001-01-01T00:00:00Z', filename: '', deleted: false }, lastScan: '0001-01-01T00:00:00Z' } });

  assert.deepEqual(await s.json('/rest/cluster/pending/devices'), {});
  assert.deepEqual(await s.json('/rest/cluster/pending/folders'), {});
  assert.deepEqual(await s.json(`/rest/cluster/pending/folders?device=${PEER}`), {});
  let res = await s.req('/rest/cluster/pending/folders?device=bad');
  assert.equal(res.status, 400);
  assert.equal(await res.text(), '"bad": device ID invalid: incorrect length\n');
  res = await s.req(`/rest/cluster/pending/devices?device=${PEER}`, { method: 'DELETE' });
  assert.equal(res.status, 200);
  assert.equal((await s.req('/rest/cluster/pending/devices?device=nope', { method: 'DELETE' })).status, 400);
  assert.equal((await s.req(`/rest/cluster/pending/folders?folder=x&device=${PEER}`, { method: 'DELETE' })).status, 200);
  const evs = await s.json('/rest/events?since=0&timeout=0');
  assert.deepEqual(evs.find((e: { type: string }) => e.type === 'PendingDevicesChanged').data, { removed: [{ deviceID: PEER }] });
  assert.deepEqual(evs.find((e: { type: string }) => e.type === 'PendingFoldersChanged').data, { removed: [{ folderID: 'x', deviceID: PEER }] });
});

test('routing edges: 404, 405 with Allow, HEAD, trailing slash, case and unclean-path redirects', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  let res = await s.req('/rest/no/such/thing');
  assert.equal(res.status, 404);
  assert.equal(await res.text(), '404 page not found\n');
  res = await s.req('/rest/system/version', { method: 'POST' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, OPTIONS');
  assert.equal((await s.req('/rest/system/ping', { method: 'PUT' })).headers.get('allow'), 'GET, OPTIONS, POST');
  assert.equal((await s.req('/rest/system/ping', { method: 'HEAD' })).status, 405, 'HEAD is not GET under /rest');
  res = await s.req('/rest/system/ping/?x=1');
  assert.equal(res.status, 301);
  assert.equal(res.headers.get('location'), '/rest/system/ping?x=1');
  res = await s.req('/rest/system/ping/', { method: 'POST' });
  assert.equal(res.status, 307);
  res = await s.req('/rest/System/Ping');
  assert.equal(res.status, 301);
  assert.equal(res.headers.get('location'), '/rest/system/ping');
  res = await s.req('/rest//system/ping');
  assert.equal(res.status, 301);
  assert.equal(res.headers.get('location'), '/rest/system/ping');
  res = await s.req('/rest/config/Folders/abc');
  assert.equal(res.headers.get('location'), '/rest/config/folders/abc', 'parameters keep their case');
  assert.equal((await s.req('/rest/system/ping/', { key: false })).status, 403, 'redirects come after auth and CSRF');
});

test('meta.js, QR codes and the static GUI', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  let res = await s.req('/meta.js');
  assert.equal(res.headers.get('content-type'), 'application/javascript');
  assert.equal(res.headers.get('cache-control'), 'max-age=0, no-cache, no-store');
  assert.equal(await res.text(), `var metadata = {"authenticated":true,"deviceID":"${s.app.myId}","deviceIDShort":"${s.app.myId.slice(0, 7)}"};\n`);

  res = await s.req(`/qr/?text=${s.app.myId}`);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal((await s.req('/qr/?text=')).status, 200, 'empty text is a valid code');
  res = await s.req(`/qr/?text=${'x'.repeat(5000)}`);
  assert.equal(res.status, 500);
  assert.equal(await res.text(), 'Invalid\n');

  res = await s.req('/', { key: false });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache, must-revalidate');
  assert.ok(res.headers.getSetCookie().some((c) => /^CSRF-Token-[A-Z2-7]{7}=[^;]{64}$/.test(c)), 'the CSRF cookie has no attributes');
  const etag = res.headers.get('etag')!;
  assert.match(etag, /^"[0-9a-f]+"$/);
  assert.equal((await s.req('/', { key: false, headers: { 'If-None-Match': etag } })).status, 304);
  res = await s.req('/assets/main.js', { key: false, headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/javascript/);
  assert.equal((await s.req('/../config.xml', { key: false })).status, 404);
  assert.equal((await s.req('/%2e%2e/%2e%2e/etc/passwd', { key: false })).status, 404, 'nothing outside gui/ is served');
  assert.equal((await s.req('/nope.html', { key: false })).status, 404);
});

test('bodies are read whatever their Content-Type, as Go does', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
    const headers: Record<string, string> = type ? { 'Content-Type': type } : {};
    const res = await s.req('/rest/config/options', { method: 'PATCH', headers, body: JSON.stringify({ urSeen: type.length }) });
    assert.equal(res.status, 200, type || 'no type');
    assert.equal((await s.json('/rest/config/options')).urSeen, type.length);
  }
  const res = await s.req('/rest/system/status', { method: 'GET', headers: { 'Content-Type': 'application/json' }, body: undefined });
  assert.equal(res.status, 200);
});
