import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/test-server.js';
import { hashPassword } from '../../src/auth/password.js';

const basic = (u: string, p: string, enc: BufferEncoding = 'utf8') => 'Basic ' + Buffer.from(`${u}:${p}`, enc).toString('base64');

async function csrfFrom(s: TestServer, extra: Record<string, string> = {}): Promise<{ cookie: string; header: string; value: string }> {
  const res = await s.req('/', { key: false, headers: extra });
  const set = res.headers.getSetCookie().find((c) => c.startsWith('CSRF-Token-'))!;
  const [name, value] = set.split(';')[0]!.split('=') as [string, string];
  return { cookie: `${name}=${value}`, header: `X-CSRF-Token-${name.slice('CSRF-Token-'.length)}`, value };
}

/** Waits until `cond` holds (events, not a fixed sleep), failing with `what` after 10 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('auth off: the CSRF/key matrix (spec §3.7)', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const short = s.app.myId.slice(0, 7);

  let res = await s.req('/rest/system/status', { key: false });
  assert.equal(res.status, 403);
  assert.equal(await res.text(), 'CSRF Error\n');
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');

  res = await s.req('/rest/system/status', { key: 'wrong' });
  assert.equal(res.status, 403, 'wrong key');
  assert.equal(await res.text(), 'CSRF Error\n');

  res = await s.req('/rest/system/status', { headers: { Authorization: `Bearer ${s.apiKey}` } });
  assert.equal(res.status, 200, 'Bearer');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  res = await s.req('/rest/system/status', { headers: { Authorization: `bEaReR ${s.apiKey}` } });
  assert.equal(res.status, 200, 'bearer prefix is case-insensitive');

  res = await s.req('/rest/system/status');
  assert.equal(res.status, 200, 'X-API-Key');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.equal(res.headers.get('x-syncthing-id'), s.app.myId);
  assert.ok(res.headers.get('x-syncthing-version'));
  assert.equal(res.headers.get('cache-control'), 'max-age=0, no-cache, no-store');

  res = await s.req(`/rest/system/status?apikey=${s.apiKey}`, { key: false });
  assert.equal(res.status, 403, 'a key in the query string is not accepted');

  res = await s.req('/rest/noauth/health', { key: false });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'OK' });

  // Browser path: the cookie alone fails; the header with the token passes, for GET too.
  const csrf = await csrfFrom(s);
  assert.equal(csrf.header, `X-CSRF-Token-${short}`);
  assert.equal(csrf.value.length, 64);
  res = await s.req('/rest/system/status', { key: false, headers: { Cookie: csrf.cookie } });
  assert.equal(res.status, 403, 'cookie without header');
  res = await s.req('/rest/system/status', { key: false, headers: { Cookie: csrf.cookie, [csrf.header.toLowerCase()]: csrf.value } });
  assert.equal(res.status, 200, 'header name is case-insensitive');
  assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS grant without a key');
  res = await s.req('/rest/system/status', { key: false, headers: { [csrf.header]: 'x'.repeat(64) } });
  assert.equal(res.status, 403, 'wrong token');

  res = await s.req('/rest/svc/lang', { key: false });
  assert.equal(res.status, 200, 'svc/lang needs neither auth nor CSRF');
});

test('host check and OPTIONS come before everything', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const { request } = await import('node:http');
  const raw = (host: string, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const u = new URL(s.base);
      const r = request({ host: u.hostname, port: u.port, path: '/rest/system/ping', method, headers: { Host: host, 'X-API-Key': s.apiKey } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      r.on('error', reject);
      r.end();
    });
  for (const bad of ['evil.example.com', '192.168.1.1:8384', 'localhost.evil.com']) {
    const r = await raw(bad);
    assert.equal(r.status, 403, bad);
    assert.equal(r.body, 'Host check error\n');
    assert.equal(r.headers['x-syncthing-id'], undefined);
  }
  for (const good of ['localhost:1234', 'foo.localhost', '[::1]:8384', '127.1.2.3', 'LOCALHOST.']) assert.equal((await raw(good)).status, 200, good);
  assert.equal((await raw('evil.example.com', 'OPTIONS')).status, 403, 'preflight after the host check');

  const pre = await s.req('/anything/at/all', { method: 'OPTIONS', key: false });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  assert.equal(pre.headers.get('access-control-allow-headers'), 'Content-Type, X-API-Key');
  assert.equal(pre.headers.get('access-control-max-age'), '600');
  assert.equal(pre.headers.get('x-frame-options'), null);

  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ insecureSkipHostcheck: true }) });
  assert.equal((await raw('evil.example.com')).status, 200, 'insecureSkipHostcheck turns it off, live');
});

test('auth on: key, Basic, session cookie, password login, logout (v2 rules)', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const short = s.app.myId.slice(0, 7);
  // A bcrypt hash is stored as is; plaintext would be hashed.
  const hash = await hashPassword('pässword');
  let res = await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'alice', password: hash }) });
  assert.equal(res.status, 200);
  assert.equal((await s.json('/rest/config/gui')).password, hash);

  res = await s.req('/rest/system/status', { key: false });
  assert.equal(res.status, 403);
  assert.equal(await res.text(), 'Forbidden\n');
  assert.equal(res.headers.get('x-syncthing-id'), null, 'auth failures carry no X-Syncthing headers');
  assert.equal((await s.req('/meta.js', { key: false })).status, 403, 'meta.js needs auth');
  assert.equal((await s.req('/', { key: false })).status, 200, 'the GUI shell is a no-auth path');
  assert.equal((await s.req('/rest/noauth/health', { key: false })).status, 200);
  assert.equal((await s.req('/rest/system/status')).status, 200, 'a key still works');

  // Wrong Basic: delayed, LoginAttempt false, then 403.
  const t0 = performance.now();
  res = await s.req('/rest/system/status', { key: false, headers: { Authorization: basic('alice', 'wrong') } });
  assert.equal(res.status, 403);
  assert.ok(performance.now() - t0 >= 95, 'failed credentials are delayed 100–200 ms');

  // Good Basic (the password needs the ISO-8859-1 retry here): a session cookie, but /rest still wants CSRF.
  res = await s.req('/rest/system/status', { key: false, headers: { Authorization: basic('alice', 'pässword', 'latin1') } });
  assert.equal(res.status, 403);
  assert.equal(await res.text(), 'CSRF Error\n');
  const sessionCookie = res.headers.getSetCookie().find((c) => c.startsWith(`sessionid-${short}=`))!;
  assert.ok(sessionCookie, 'Basic success issues a session');
  assert.doesNotMatch(sessionCookie, /Max-Age/, 'a browser-session cookie');
  const session = sessionCookie.split(';')[0]!;

  const csrf = await csrfFrom(s, { Cookie: session });
  res = await s.req('/rest/system/status', { key: false, headers: { Cookie: `${session}; ${csrf.cookie}`, [csrf.header]: csrf.value } });
  assert.equal(res.status, 200, 'session cookie + CSRF header');

  // Password login.
  res = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: '{"username":"alice","password":"nope"}' });
  assert.equal(res.status, 403);
  res = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: 'not json' });
  assert.equal(res.status, 400);
  assert.equal(await res.text(), 'Failed to parse username and password.\n');
  res = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: JSON.stringify({ username: 'alice', password: 'x'.repeat(2000) }) });
  assert.equal(res.status, 400, 'bodies over 1 KiB are refused');
  res = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: '{"USERNAME":"alice","Password":"pässword","stayLoggedIn":true}' });
  assert.equal(res.status, 204);
  const stay = res.headers.getSetCookie().find((c) => c.startsWith(`sessionid-${short}=`))!;
  assert.match(stay, /; Path=\/; Max-Age=604800$/);
  const stayToken = stay.split(';')[0]!;
  assert.equal((await s.req('/meta.js', { key: false, headers: { Cookie: stayToken } })).status, 200);

  // Logout ends that session.
  res = await s.req('/rest/noauth/auth/logout', { key: false, method: 'POST', headers: { Cookie: stayToken } });
  assert.equal(res.status, 204);
  assert.ok(res.headers.getSetCookie().some((c) => c === `sessionid-${short}=; Max-Age=0`));
  assert.equal((await s.req('/meta.js', { key: false, headers: { Cookie: stayToken } })).status, 403);

  const attempts = await s.json(`/rest/events?events=LoginAttempt&since=0&timeout=0`);
  assert.deepEqual(attempts, [], 'a new mask sees only later events');
  const all = (await s.json('/rest/events?since=0&timeout=0')) as { type: string; data: { success: boolean; username: string; remoteAddress: string } }[];
  const logins = all.filter((e) => e.type === 'LoginAttempt').map((e) => [e.data.username, e.data.success]);
  assert.deepEqual(logins, [['alice', false], ['alice', true], ['alice', false], ['alice', true]]);
  assert.equal(all.find((e) => e.type === 'LoginAttempt')!.data.remoteAddress, '127.0.0.1');

  // A session survives an in-process restart.
  const again = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: '{"username":"alice","password":"pässword"}' });
  const kept = again.headers.getSetCookie()[0]!.split(';')[0]!;
  const oldEvents = s.app.events;
  assert.equal((await s.req('/rest/system/restart', { method: 'POST' })).status, 200);
  await until(() => s.app.events !== oldEvents && s.app.events.lastGlobalId > 0, 'the service restarted');
  assert.equal((await s.req('/meta.js', { key: false, headers: { Cookie: kept } })).status, 200, 'still signed in after a restart');
  const unknown = 'synchro-restart-test-not-a-session';
  assert.equal((await s.req('/meta.js', { key: false, headers: { Cookie: `sessionid-${short}=${unknown}` } })).status, 403, 'and a made-up session is not');

  // sendBasicAuthPrompt turns the 403 into a 401 with a realm.
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ sendBasicAuthPrompt: true }) });
  res = await s.req('/rest/system/status', { key: false });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), `Basic realm="Authorization Required (${short})"`);
});

test('password login and logout do not exist while auth is off', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const res = await s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: '{}' });
  assert.equal(res.status, 404);
});

test('a plaintext password written through the API is stored as a bcrypt hash', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'bob', password: 'secret' }) });
  const gui = await s.json('/rest/config/gui');
  assert.match(gui.password, /^\$2[aby]\$10\$.{53}$/);
  const res = await s.req('/rest/system/status', { key: false, headers: { Authorization: basic('bob', 'secret') } });
  assert.ok(res.headers.getSetCookie().some((c) => c.startsWith('sessionid-')), 'the hash verifies the plaintext');
});
