import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { referenceUnavailable, startReference, syncthingGenerate, type Reference } from '../support/syncthing-ref.js';

/**
 * Synchro side by side with a real Syncthing 1.19.2 on the same requests. 1.19.2 is older than
 * our target (v1.27 routes with v2 auth), so where the spec says the versions differ, only the
 * shape common to both is compared.
 */

const why = referenceUnavailable();
const opts = why ? { skip: `real Syncthing not available: ${why}` } : {};

let ref: Reference;
let ours: TestServer;
let cleanup: () => Promise<void>;

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every key of `theirs` exists in `mine` with the same JSON type (recursively for objects). */
function assertSameShape(mine: unknown, theirs: unknown, where: string, ignore: string[] = []): void {
  assert.equal(typeOf(mine), typeOf(theirs), `${where}: type`);
  if (Array.isArray(theirs) && Array.isArray(mine) && theirs.length && mine.length) return assertSameShape(mine[0], theirs[0], `${where}[0]`, ignore);
  if (typeOf(theirs) !== 'object') return;
  for (const [k, v] of Object.entries(theirs as Record<string, unknown>)) {
    if (ignore.includes(k)) continue;
    assert.ok(k in (mine as Record<string, unknown>), `${where}: key ${k} missing`);
    assertSameShape((mine as Record<string, unknown>)[k], v, `${where}.${k}`, ignore);
  }
}

const get = async (base: string, key: string | undefined, p: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (key) headers.set('X-API-Key', key);
  const res = await fetch(base + p, { ...init, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

before(async () => {
  if (why) return;
  const t = await tempDir();
  cleanup = t.cleanup;
  ref = await startReference(path.join(t.dir, 'ref'));
  ours = await startServer();
  // Match the reference's settings where they change response shapes.
  await ours.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ globalAnnounceEnabled: false, localAnnounceEnabled: false }) });
});

after(async () => {
  await ref?.stop();
  await ours?.stop();
  await cleanup?.();
});

test('a dozen core routes: same keys and value types as Syncthing', opts, async () => {
  const shapes: [string, string[]?][] = [
    ['/rest/system/ping'],
    ['/rest/system/version'],
    ['/rest/system/status', ['connectionServiceStatus']],
    ['/rest/system/discovery'],
    ['/rest/system/error'],
    ['/rest/system/log'],
    ['/rest/config'],
    ['/rest/config/gui'],
    ['/rest/config/options'],
    ['/rest/config/ldap'],
    ['/rest/config/defaults/folder'],
    ['/rest/config/defaults/device'],
    ['/rest/config/defaults/ignores'],
    ['/rest/config/insync'],
    ['/rest/config/restart-required'],
    ['/rest/cluster/pending/devices'],
    ['/rest/cluster/pending/folders'],
    ['/rest/svc/random/string'],
  ];
  for (const base of [ours.base, ref.base]) {
    await fetch(`${base}/rest/system/error`, { method: 'POST', body: 'compare me', headers: { 'X-API-Key': base === ours.base ? ours.apiKey : ref.apiKey } });
  }
  for (const [p, ignore] of shapes) {
    const [m, t] = [await get(ours.base, ours.apiKey, p), await get(ref.base, ref.apiKey, p)];
    assert.equal(m.status, t.status, `${p}: status`);
    assert.equal(m.headers.get('content-type'), t.headers.get('content-type'), `${p}: content type`);
    assertSameShape(JSON.parse(m.text), JSON.parse(t.text), p, ignore);
  }
  // Own-device entries: same shape for our device as theirs for theirs.
  const [ms, ts] = [JSON.parse((await get(ours.base, ours.apiKey, '/rest/stats/device')).text), JSON.parse((await get(ref.base, ref.apiKey, '/rest/stats/device')).text)];
  assertSameShape(ms[ours.app.myId], ts[ref.myId], 'stats/device');
  assert.equal(ms[ours.app.myId].lastSeen, ts[ref.myId].lastSeen, 'never seen = the Unix epoch');
  const [mc, tc] = [JSON.parse((await get(ours.base, ours.apiKey, '/rest/system/connections')).text), JSON.parse((await get(ref.base, ref.apiKey, '/rest/system/connections')).text)];
  assertSameShape(mc.total, tc.total, 'connections.total');
});

test('values that must match: bodies, errors, defaults', opts, async () => {
  const equalBodies = [
    '/rest/system/ping',
    '/rest/svc/deviceid?id=AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6'.toLowerCase(),
    '/rest/svc/deviceid?id=AQDPWHFBT27CRMBN2PMGXFAMO4TTGXW6BHTAZEL4JOGVPJA6AAAA',
    '/rest/svc/deviceid?id=abc-def',
    '/rest/svc/deviceid?id=AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA7',
    '/rest/svc/deviceid?id=AQDPWH!-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6',
    '/rest/svc/deviceid',
    '/rest/config/defaults/ignores',
    '/rest/config/insync',
    '/rest/cluster/pending/devices',
    '/rest/no/such/route',
    '/rest/cluster/pending/folders?device=bad',
    '/rest/db/status?folder=nope',
  ];
  for (const p of equalBodies.filter((p) => !p.startsWith('/rest/db/'))) {
    const [m, t] = [await get(ours.base, ours.apiKey, p), await get(ref.base, ref.apiKey, p)];
    assert.equal(m.status, t.status, `${p}: status`);
    assert.equal(m.text, t.text, `${p}: body`);
  }
  for (const [p, method] of [['/rest/system/ping', 'PUT'], ['/rest/system/version', 'POST']] as const) {
    const [m, t] = [await get(ours.base, ours.apiKey, p, { method }), await get(ref.base, ref.apiKey, p, { method })];
    assert.equal(m.status, 405);
    assert.equal(m.status, t.status);
    assert.equal(m.headers.get('allow'), t.headers.get('allow'), `${p} Allow`);
    assert.equal(m.text, t.text);
  }
  const lang = { headers: { 'Accept-Language': 'de-DE,de;q=0.9,en;q=0.8' } };
  assert.equal((await get(ours.base, ours.apiKey, '/rest/svc/lang', lang)).text, (await get(ref.base, ref.apiKey, '/rest/svc/lang', lang)).text);

  // No key: both 403 "CSRF Error" in text/plain.
  const [m, t] = [await get(ours.base, undefined, '/rest/system/status'), await get(ref.base, undefined, '/rest/system/status')];
  assert.deepEqual([m.status, m.text, m.headers.get('content-type')], [t.status, t.text, t.headers.get('content-type')]);
  // OPTIONS preflight headers.
  const [mo, to] = [await get(ours.base, undefined, '/rest/system/ping', { method: 'OPTIONS' }), await get(ref.base, undefined, '/rest/system/ping', { method: 'OPTIONS' })];
  assert.equal(mo.status, to.status);
  for (const h of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age']) {
    assert.equal(mo.headers.get(h), to.headers.get(h), h);
  }
  // Built-in defaults: every value the reference has, we have (path and the newer fields aside).
  for (const p of ['/rest/config/defaults/folder', '/rest/config/defaults/device', '/rest/config/ldap']) {
    const mine = JSON.parse((await get(ours.base, ours.apiKey, p)).text);
    const theirs = JSON.parse((await get(ref.base, ref.apiKey, p)).text);
    for (const [k, v] of Object.entries(theirs)) {
      if (['path', 'devices'].includes(k)) continue;
      assert.deepEqual(mine[k], v, `${p}.${k}`);
    }
  }
});

test('the same bad config writes get the same statuses', opts, async () => {
  const cases: [string, string, unknown][] = [
    ['POST', '/rest/config/folders', { id: 'x', path: '/tmp/x', rescanIntervalS: 'often' }],
    ['POST', '/rest/config/folders', { path: '/tmp/y' }],
    ['POST', '/rest/config/devices', { deviceID: 'bad' }],
    ['PATCH', '/rest/config/folders/nope', { paused: true }],
    ['GET', '/rest/config/folders/nope', undefined],
    ['GET', '/rest/config/devices/bad', undefined],
    ['DELETE', '/rest/config/folders/never-there', undefined],
  ];
  for (const [method, p, body] of cases) {
    const init = { method, body: body === undefined ? undefined : JSON.stringify(body) };
    const [m, t] = [await get(ours.base, ours.apiKey, p, init), await get(ref.base, ref.apiKey, p, init)];
    assert.equal(m.status, t.status, `${method} ${p}: ${m.text} vs ${t.text}`);
    assert.equal(m.text, t.text, `${method} ${p}: body`);
  }
});

test('a config.xml made by `syncthing generate` loads, with the same device ID', opts, async () => {
  const { dir, cleanup: done } = await tempDir();
  try {
    const home = path.join(dir, 'gen');
    const id = syncthingGenerate(home, true);
    const s = await startServer({ home });
    try {
      assert.equal(s.app.myId, id, 'device ID derived from Syncthing\'s own cert.pem');
      const folders = await s.json('/rest/config/folders');
      assert.deepEqual(folders.map((f: { id: string }) => f.id), ['default']);
      const gui = await s.json('/rest/config/gui');
      assert.equal(gui.apiKey.length, 32);
    } finally {
      await s.stop();
    }
  } finally {
    await done();
  }
});

test('a home written by Synchro is accepted by Syncthing: same device ID, same folders', opts, async () => {
  const { dir, cleanup: done } = await tempDir();
  try {
    const home = path.join(dir, 'ours');
    const s = await startServer({ home });
    await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'docs', label: 'Docs', path: path.join(dir, 'docs'), type: 'receiveonly' }) });
    await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'pics', path: path.join(dir, 'pics'), versioning: { type: 'simple', params: { keep: '3' } } }) });
    const ourId = s.app.myId;
    await s.stop().catch(() => undefined);
    await fs.mkdir(path.join(dir, 'docs'), { recursive: true });
    // Our config.xml is version 37 (v1.27.3's); 1.19.2 (36) refuses it without this flag.
    const r = await startReference(home, { allowNewerConfig: true });
    try {
      const st = JSON.parse((await get(r.base, r.apiKey, '/rest/system/status')).text);
      assert.equal(st.myID, ourId, 'Syncthing reads our cert.pem and key.pem');
      const folders = JSON.parse((await get(r.base, r.apiKey, '/rest/config/folders')).text);
      assert.deepEqual(folders.map((f: { id: string; type: string; label: string }) => [f.id, f.type, f.label]), [['docs', 'receiveonly', 'Docs'], ['pics', 'sendreceive', '']]);
      assert.deepEqual(folders[1].versioning.params, { keep: '3' });
    } finally {
      await r.stop();
    }
  } finally {
    await done();
  }
});

test('GET/POST /rest/db/ignores answer as Syncthing does for the same .stignore', opts, async () => {
  const { dir, cleanup: done } = await tempDir();
  try {
    const lines = ['// comment', '*.log', 'build/', '!/photos/keep.jpg', '/photos', '(?d)(?i)**/Thumbs.db', '#include more', 'foo[bar'];
    const results: unknown[] = [];
    for (const [base, key, name] of [[ours.base, ours.apiKey, 'ours'], [ref.base, ref.apiKey, 'ref']] as const) {
      const root = path.join(dir, name);
      await fs.mkdir(root, { recursive: true });
      await fs.writeFile(path.join(root, 'more'), 'extra\n*.tmp\n');
      await get(base, key, '/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'ign', path: root, fsWatcherEnabled: false }) });
      const good = await get(base, key, '/rest/db/ignores?folder=ign', { method: 'POST', body: JSON.stringify({ ignore: lines.slice(0, -1) }) });
      const bad = await get(base, key, '/rest/db/ignores?folder=ign', { method: 'POST', body: JSON.stringify({ ignore: lines }) });
      results.push([good.status, JSON.parse(good.text), bad.status, JSON.parse(bad.text).ignore, JSON.parse(bad.text).error !== null]);
    }
    assert.deepEqual(results[0], results[1]);
  } finally {
    await done();
  }
});

/** Polls `fn` until it returns something other than undefined (or gives up after `ms`). */
async function until<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const localTime = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);

test('a .stversions tree Syncthing wrote lists the same on both, and restores on ours', opts, async () => {
  const { dir, cleanup: done } = await tempDir();
  try {
    const theirs = path.join(dir, 'theirs');
    const put = async (rel: string, content: string, mtime?: Date) => {
      await fs.mkdir(path.dirname(path.join(theirs, rel)), { recursive: true });
      await fs.writeFile(path.join(theirs, rel), content);
      if (mtime) await fs.utimes(path.join(theirs, rel), mtime, mtime);
    };
    await put('docs/a.txt', 'current', localTime(2025, 1, 1));
    await put('.stversions/docs/a~20240102-130405.txt', 'old', localTime(2023, 5, 5, 5, 5, 5));
    await put('.stversions/b~20240101-000000.md', 'b old', localTime(2023, 1, 1));
    await put('.stversions/plain.txt', 'trashcan style', localTime(2024, 6, 1, 10));
    await put('.stversions/bad~nope.txt', 'skipped');
    const folder = (p: string) => JSON.stringify({ id: 'ver', path: p, fsWatcherEnabled: false, versioning: { type: 'simple', params: { keep: '10' } } });
    await get(ref.base, ref.apiKey, '/rest/config/folders', { method: 'POST', body: folder(theirs) });
    await until(async () => ((await get(ref.base, ref.apiKey, '/rest/folder/versions?folder=ver')).status === 200 ? true : undefined));

    // Syncthing restores a version: it archives the current file under a tag of its own making.
    const when = localTime(2024, 1, 2, 13, 4, 5).toISOString();
    const r = await get(ref.base, ref.apiKey, '/rest/folder/versions?folder=ver', { method: 'POST', body: JSON.stringify({ 'docs/a.txt': when }) });
    assert.deepEqual([r.status, JSON.parse(r.text)], [200, {}]);
    const written = (await fs.readdir(path.join(theirs, '.stversions/docs'))).filter((n) => n.startsWith('a~'));
    assert.equal(written.length, 1);

    const mine = path.join(dir, 'mine');
    await fs.cp(theirs, mine, { recursive: true, preserveTimestamps: true });
    await get(ours.base, ours.apiKey, '/rest/config/folders', { method: 'POST', body: folder(mine) });
    await until(async () => ((await get(ours.base, ours.apiKey, '/rest/folder/versions?folder=ver')).status === 200 ? true : undefined));
    const refList = JSON.parse((await get(ref.base, ref.apiKey, '/rest/folder/versions?folder=ver')).text);
    const ourList = JSON.parse((await get(ours.base, ours.apiKey, '/rest/folder/versions?folder=ver')).text);
    assert.deepEqual(ourList, refList);

    // The same failures in the same words, on both.
    const bad = JSON.stringify({ 'docs/a.txt': localTime(2020, 1, 1).toISOString(), 'nonexist.txt': when, docs: when });
    const refBad = await get(ref.base, ref.apiKey, '/rest/folder/versions?folder=ver', { method: 'POST', body: bad });
    const ourBad = await get(ours.base, ours.apiKey, '/rest/folder/versions?folder=ver', { method: 'POST', body: bad });
    assert.deepEqual([ourBad.status, JSON.parse(ourBad.text)], [refBad.status, JSON.parse(refBad.text)]);

    // Ours restores the version Syncthing wrote.
    const made = refList['docs/a.txt'].find((v: { size: number }) => v.size === 'current'.length);
    const back = await get(ours.base, ours.apiKey, '/rest/folder/versions?folder=ver', { method: 'POST', body: JSON.stringify({ 'docs/a.txt': made.versionTime }) });
    assert.deepEqual([back.status, JSON.parse(back.text)], [200, {}]);
    assert.equal(await fs.readFile(path.join(mine, 'docs/a.txt'), 'utf8'), 'current');
    assert.equal((await fs.stat(path.join(mine, 'docs/a.txt'))).mtimeMs, localTime(2025, 1, 1).getTime());
  } finally {
    await done();
  }
});

test('a receive-only folder counts and reverts local additions as Syncthing does', opts, async () => {
  const { dir, cleanup: done } = await tempDir();
  try {
    const pick = (st: Record<string, number>) =>
      Object.fromEntries(
        ['globalFiles', 'globalDirectories', 'globalDeleted', 'localFiles', 'localDirectories', 'localDeleted', 'receiveOnlyChangedFiles', 'receiveOnlyChangedDirectories', 'receiveOnlyChangedDeletes', 'receiveOnlyTotalItems'].map((k) => [k, st[k]]),
      );
    const results: unknown[] = [];
    for (const [base, key, name] of [[ours.base, ours.apiKey, 'ours'], [ref.base, ref.apiKey, 'ref']] as const) {
      const root = path.join(dir, name);
      await fs.mkdir(path.join(root, 'sub'), { recursive: true });
      await fs.writeFile(path.join(root, 'a.txt'), 'aaa');
      await fs.writeFile(path.join(root, 'sub/b.txt'), 'bbbb');
      await get(base, key, '/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'ro', path: root, type: 'receiveonly', fsWatcherEnabled: false }) });
      const status = async () => JSON.parse((await get(base, key, '/rest/db/status?folder=ro')).text);
      const before = await until(async () => {
        const st = await status();
        return st.state === 'idle' && st.receiveOnlyTotalItems === 3 ? st : undefined;
      });
      const changed = JSON.parse((await get(base, key, '/rest/db/localchanged?folder=ro')).text);
      assert.equal((await get(base, key, '/rest/db/revert?folder=ro', { method: 'POST' })).status, 200);
      const after = await until(async () => {
        const st = await status();
        return st.state === 'idle' && st.receiveOnlyTotalItems === 0 ? st : undefined;
      });
      const left = (await fs.readdir(root)).filter((n) => n !== '.stfolder');
      results.push({ before: pick(before), changed: changed.files.map((f: { name: string; localFlags: number }) => [f.name, f.localFlags]), after: pick(after), left });
    }
    assert.deepEqual(results[0], results[1]);
  } finally {
    await done();
  }
});
