import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { App } from '../../src/app.js';
import { normalizeBaseUrl } from '../../src/config/base-url.js';
import { resolveTarget } from '../../src/cli/target.js';
import { projectRoot, startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { runBin } from '../support/run-bin.js';
import { tlsGet } from '../support/tls.js';

/** A base URL for reverse proxies: the GUI, /rest, /meta.js, /qr/ and /metrics under the prefix, with cookie paths to match. */

type T = { after: (fn: () => Promise<void>) => void };

async function serve(t: T, opts: Parameters<typeof startServer>[0] = { baseUrl: '/synchro' }): Promise<TestServer> {
  const s = await startServer(opts);
  t.after(() => s.stop());
  return s;
}

test('everything is served under the prefix and nothing outside it', async (t) => {
  const s = await serve(t);
  const ping = await s.req('/synchro/rest/system/ping');
  assert.equal(ping.status, 200);
  assert.deepEqual(await ping.json(), { ping: 'pong' });
  assert.equal(((await (await s.req('/synchro/rest/config/gui')).json()) as { apiKey: string }).apiKey, s.apiKey);
  const page = await s.req('/synchro/', { key: false });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="assets\/main\.js">/, 'the page loads its assets relative to the prefix');
  assert.equal((await s.req('/synchro/assets/main.js', { key: false })).status, 200);
  const meta = await s.req('/synchro/meta.js', { key: false });
  assert.equal(meta.status, 200);
  assert.match(await meta.text(), /^var metadata = /);
  assert.ok(meta.headers.getSetCookie().some((c) => /^CSRF-Token-\w{7}=\w+; Path=\/synchro\/$/.test(c)), meta.headers.getSetCookie().join(' | '));
  const qr = await s.req('/synchro/qr/?text=hello');
  assert.equal(qr.headers.get('content-type'), 'image/png');
  const metrics = await s.req('/synchro/metrics');
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /synchro_http_requests_total\{method="GET",route="\/rest\/system\/ping",status="200"\} 1/, 'routes are labelled without the prefix');

  for (const outside of ['/rest/system/ping', '/', '/meta.js', '/metrics', '/synchrox/rest/system/ping', '/other/synchro/rest/system/ping']) {
    const res = await s.req(outside);
    assert.equal(res.status, 404, outside);
    assert.equal(await res.text(), '404 page not found\n');
  }
  const bare = await s.req('/synchro?x=1');
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/synchro/?x=1');
});

test('redirects made below the prefix keep it: canonical /rest paths and the https redirect', async (t) => {
  const s = await serve(t);
  const slash = await s.req('/synchro/rest/system/ping/');
  assert.equal(slash.status, 301);
  assert.equal(slash.headers.get('location'), '/synchro/rest/system/ping');
  const folded = await s.req('/synchro/rest/System/Ping?a=1');
  assert.equal(folded.headers.get('location'), '/synchro/rest/system/ping?a=1');
  assert.equal((await s.req('/synchro/rest/config/gui', { method: 'PATCH', body: '{"useTLS": true}' })).status, 200);
  const plain = await fetch(`${s.base}/synchro/rest/system/ping?x=1`, { redirect: 'manual' });
  assert.equal(plain.status, 307);
  assert.equal(plain.headers.get('location'), `https://${s.app.address}/synchro/rest/system/ping?x=1`);
  const ca = await fs.readFile(path.join(s.home, 'https-cert.pem'), 'utf8');
  const port = Number(s.app.address.split(':').pop());
  assert.equal((await tlsGet(port, '/synchro/rest/system/ping', { ca, headers: { 'X-API-Key': s.apiKey } })).status, 200);
});

test('a browser session under the prefix: login cookie on the prefix path, CSRF from the page, logout drops the cookie there', async (t) => {
  const s = await serve(t);
  await s.req('/synchro/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'u', password: 'secret-pw' }) });
  const login = await fetch(`${s.base}/synchro/rest/noauth/auth/password`, { method: 'POST', body: JSON.stringify({ username: 'u', password: 'secret-pw', stayLoggedIn: true }) });
  assert.equal(login.status, 204);
  const session = login.headers.getSetCookie().find((c) => c.startsWith('sessionid-'))!;
  assert.match(session, /; Path=\/synchro\/; Max-Age=604800$/);
  const sessionPair = session.split(';')[0]!;
  const page = await fetch(`${s.base}/synchro/`, { headers: { Cookie: sessionPair } });
  assert.equal(page.status, 200);
  const csrf = page.headers.getSetCookie().find((c) => c.startsWith('CSRF-Token-'))!.split(';')[0]!;
  const [csrfName, csrfValue] = csrf.split('=') as [string, string];
  const call = await fetch(`${s.base}/synchro/rest/system/status`, { headers: { Cookie: `${sessionPair}; ${csrf}`, ['X-' + csrfName]: csrfValue } });
  assert.equal(call.status, 200);
  const logout = await fetch(`${s.base}/synchro/rest/noauth/auth/logout`, { method: 'POST', headers: { Cookie: sessionPair } });
  assert.equal(logout.status, 204);
  assert.ok(logout.headers.getSetCookie().some((c) => c === `${sessionPair.split('=')[0]}=; Path=/synchro/; Max-Age=0`), logout.headers.getSetCookie().join(' | '));
  const after = await fetch(`${s.base}/synchro/rest/system/status`, { headers: { Cookie: `${sessionPair}; ${csrf}`, ['X-' + csrfName]: csrfValue } });
  assert.equal(after.status, 403);
});

test('the config field: gui.baseUrl is normalised, takes effect live, and refuses a value without a leading slash', async (t) => {
  const s = await serve(t, {});
  const before = await fs.readFile(path.join(s.home, 'config.xml'), 'utf8');
  for (const bad of ['proxy/', 'a b', '/a/../b', '//x', '/x?y']) {
    const res = await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ baseUrl: bad }) });
    assert.ok(res.status >= 400 && res.status < 600, `${bad}: ${res.status}`);
    assert.match(await res.text(), /base URL/, bad);
  }
  assert.equal(await fs.readFile(path.join(s.home, 'config.xml'), 'utf8'), before, 'config.xml untouched');
  assert.equal((await s.req('/rest/system/ping')).status, 200);
  assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ baseUrl: '/p' }) })).status, 200);
  assert.equal((await s.req('/rest/system/ping')).status, 404);
  assert.equal((await s.json('/p/rest/config/gui')).baseUrl, '/p/');
  assert.match(await fs.readFile(path.join(s.home, 'config.xml'), 'utf8'), /<baseUrl>\/p\/<\/baseUrl>/);
  // Survives a restart; "" turns it off again.
  await s.app.restart();
  assert.equal((await s.req('/p/rest/system/ping')).status, 200);
  assert.equal((await s.req('/p/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ baseUrl: '' }) })).status, 200);
  assert.equal((await s.req('/rest/system/ping')).status, 200);
});

test('the --gui-baseurl flag wins over the config field; a flag without a leading slash stops the start', async (t) => {
  const s = await serve(t, { baseUrl: '/flag/' });
  assert.equal((await s.req('/flag/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ baseUrl: '/cfg/' }) })).status, 200);
  assert.equal((await s.req('/flag/rest/system/ping')).status, 200);
  assert.equal((await s.req('/cfg/rest/system/ping')).status, 404);

  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await assert.rejects(App.start({ home: path.join(dir, 'h'), projectRoot, guiAddress: '127.0.0.1:0', noDefaultFolder: true, logSink: () => undefined, baseUrl: 'synchro/' }), /must start with "\/"/);
  const run = await runBin(['serve', '--home', path.join(dir, 'h2'), '--gui-address', '127.0.0.1:0', '--no-default-folder', '--gui-baseurl', 'synchro']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /--gui-baseurl: base URL "synchro" must start with "\/", e\.g\. \/synchro\//);
});

test('normalizeBaseUrl', () => {
  assert.equal(normalizeBaseUrl(''), '/');
  assert.equal(normalizeBaseUrl('/'), '/');
  assert.equal(normalizeBaseUrl('/a'), '/a/');
  assert.equal(normalizeBaseUrl('/a/b/'), '/a/b/');
  for (const bad of ['a', 'a/', '//', '/a//b', '/./', '/a/..', '/a b', '/a\\b', '/a%2e', '/a#', '/a?', '/a\n']) assert.throws(() => normalizeBaseUrl(bad), /base URL/, JSON.stringify(bad));
});

test('synchro cli finds the base URL in config.xml along with the address', async (t) => {
  const s = await serve(t, {});
  assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ baseUrl: '/under/here' }) })).status, 200);
  const target = await resolveTarget({ home: s.home, env: {} });
  assert.equal(target.url, 'http://127.0.0.1:8384/under/here');
});
