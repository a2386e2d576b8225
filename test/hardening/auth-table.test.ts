import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, type TestServer } from '../support/test-server.js';

/**
 * Every route × every way a request can present itself, with a GUI user set (auth on), against the
 * statuses of spec §3.7 (v2 rules): the route table comes from /rest/openapi.json, so a new route is
 * in the table the day it is added. Then the failed-login delay and the bounds on sessions and CSRF tokens.
 */

let s: TestServer;
let port: number;
let short: string;
let session: string;
let csrf: { cookie: string; header: string; value: string };
const USER = 'admin';
const PASSWORD = 'a long password';

/** These stop or restart the service: they are checked only in the modes that must refuse them. */
const DISRUPTIVE = new Set(['POST /rest/system/restart', 'POST /rest/system/shutdown', 'POST /rest/system/reset', 'POST /rest/noauth/auth/logout']);

before(async () => {
  s = await startServer();
  port = Number(s.app.address.split(':').pop());
  short = s.app.myId.slice(0, 7);
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: USER, password: PASSWORD }) });
  const login = await fetch(`${s.base}/rest/noauth/auth/password`, { method: 'POST', body: JSON.stringify({ username: USER, password: PASSWORD }) });
  assert.equal(login.status, 204);
  session = login.headers.getSetCookie().find((c) => c.startsWith(`sessionid-${short}=`))!.split(';')[0]!;
  const page = await fetch(`${s.base}/`, { headers: { Cookie: session } });
  const cookie = page.headers.getSetCookie().find((c) => c.startsWith(`CSRF-Token-${short}=`))!.split(';')[0]!;
  csrf = { cookie, header: `X-CSRF-Token-${short}`, value: cookie.split('=')[1]! };
});

after(() => s.stop());

type Mode = { name: string; headers: (op: Op) => Record<string, string>; query?: string; method?: string };
interface Op {
  method: string;
  path: string;
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

const MODES: Mode[] = [
  { name: 'no credentials', headers: () => ({}) },
  { name: 'wrong key', headers: () => ({ 'X-API-Key': 'not-the-key' }) },
  { name: 'key in the query', headers: () => ({}), query: 'apikey=KEY' },
  { name: 'X-API-Key', headers: () => ({ 'X-API-Key': s.apiKey }) },
  { name: 'Bearer', headers: () => ({ Authorization: `Bearer ${s.apiKey}` }) },
  { name: 'Basic, no CSRF header', headers: () => ({ Authorization: basic(USER, PASSWORD) }) },
  { name: 'session cookie and CSRF header', headers: () => ({ Cookie: `${session}; ${csrf.cookie}`, [csrf.header]: csrf.value }) },
  { name: 'session cookie without CSRF header', headers: () => ({ Cookie: `${session}; ${csrf.cookie}` }) },
  { name: 'session cookie, wrong CSRF', headers: () => ({ Cookie: `${session}; ${csrf.cookie}`, [csrf.header]: 'wrong' }) },
  { name: 'bad Host (with the key)', headers: () => ({ 'X-API-Key': s.apiKey, Host: 'evil.example' }) },
  { name: 'OPTIONS', headers: () => ({ Origin: 'http://evil.example' }), method: 'OPTIONS' },
];

/** What spec §3.7 says a request in this mode gets: a fixed status and body, or "pass" (the route's own answer). */
function expected(op: Op, mode: Mode): { status: number; body: string } | 'pass' {
  const noAuth = op.path.startsWith('/rest/noauth') || op.path === '/rest/svc/lang';
  const debug = op.path.startsWith('/rest/debug');
  const gated = debug && op.method === 'GET' ? { status: 403, body: 'Debugging disabled\n' } : 'pass';
  switch (mode.name) {
    case 'OPTIONS':
      return { status: 204, body: '' };
    case 'bad Host (with the key)':
      return { status: 403, body: 'Host check error\n' };
    case 'no credentials':
    case 'wrong key':
    case 'key in the query':
      return noAuth ? 'pass' : { status: 403, body: 'Forbidden\n' };
    case 'X-API-Key':
    case 'Bearer':
    case 'session cookie and CSRF header':
      return gated;
    default:
      // Authenticated, but a browser request without the right CSRF token reaches only what CSRF lets by.
      return noAuth ? 'pass' : debug ? gated : { status: 403, body: 'CSRF Error\n' };
  }
}

function call(op: Op, mode: Mode): Promise<{ status: number; body: string }> {
  let url = op.path.replace(/\{[^}]+\}/g, 'zz-none');
  if (mode.query) url += `?${mode.query.replace('KEY', s.apiKey)}`;
  if (/^\/rest\/events/.test(op.path)) url += (url.includes('?') ? '&' : '?') + 'timeout=0';
  return new Promise((resolve, reject) => {
    const headers = mode.headers(op);
    const req = http.request({ host: '127.0.0.1', port, path: url, method: mode.method ?? op.method, headers, agent: false, setHost: !headers.Host });
    req.on('response', (res) => {
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        req.destroy();
        return resolve({ status: res.statusCode!, body: '' });
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('every route × every way of asking: the statuses of spec §3.7', async () => {
  const doc = await s.json('/rest/openapi.json');
  const ops: Op[] = [];
  for (const [p, item] of Object.entries<Record<string, unknown>>(doc.paths)) for (const m of Object.keys(item)) ops.push({ method: m.toUpperCase(), path: p });
  const problems: string[] = [];
  let calls = 0;
  for (const op of ops) {
    for (const mode of MODES) {
      const want = expected(op, mode);
      if (want === 'pass' && DISRUPTIVE.has(`${op.method} ${op.path}`)) continue;
      const got = await call(op, mode);
      calls++;
      if (want === 'pass') {
        const refused = got.status === 401 || (got.status === 403 && ['Forbidden\n', 'CSRF Error\n', 'Host check error\n'].includes(got.body));
        if (refused) problems.push(`${op.method} ${op.path} [${mode.name}]: refused ${got.status} ${got.body.trim()}`);
      } else if (got.status !== want.status || got.body !== want.body) {
        problems.push(`${op.method} ${op.path} [${mode.name}]: ${got.status} ${JSON.stringify(got.body.slice(0, 60))}, want ${want.status} ${JSON.stringify(want.body)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(calls > ops.length * 9, `${calls} calls`);
});

test('a failed login is answered after 100–200 ms; a missing credential at once', async () => {
  const time = async (init: RequestInit, p = '/rest/system/status') => {
    const t0 = performance.now();
    const res = await fetch(`${s.base}${p}`, init);
    await res.text();
    return { ms: performance.now() - t0, status: res.status };
  };
  for (let i = 0; i < 3; i++) {
    // A good login first: three failures in a row stay below the per-address back-off (login-limits.test.ts).
    assert.equal((await time({ method: 'POST', body: JSON.stringify({ username: USER, password: PASSWORD }) }, '/rest/noauth/auth/password')).status, 204);
    const wrongBasic = await time({ headers: { Authorization: basic(USER, 'wrong') } });
    assert.equal(wrongBasic.status, 403);
    assert.ok(wrongBasic.ms >= 100, `wrong Basic answered after ${wrongBasic.ms} ms`);
    const wrongLogin = await time({ method: 'POST', body: JSON.stringify({ username: USER, password: 'wrong' }) }, '/rest/noauth/auth/password');
    assert.equal(wrongLogin.status, 403);
    assert.ok(wrongLogin.ms >= 100, `wrong password login answered after ${wrongLogin.ms} ms`);
    const unknownUser = await time({ method: 'POST', body: JSON.stringify({ username: 'nobody', password: 'x' }) }, '/rest/noauth/auth/password');
    assert.ok(unknownUser.ms >= 100, `unknown user answered after ${unknownUser.ms} ms`);
  }
  assert.equal((await time({ method: 'POST', body: JSON.stringify({ username: USER, password: PASSWORD }) }, '/rest/noauth/auth/password')).status, 204);
});

test('API keys are compared in constant time: hashed to equal length, then timingSafeEqual', async () => {
  const { keyMatches } = await import('../../src/auth/api-key.js');
  assert.equal(keyMatches(s.apiKey, s.apiKey), true);
  assert.equal(keyMatches(s.apiKey.slice(0, -1), s.apiKey), false, 'a prefix');
  assert.equal(keyMatches(s.apiKey + 'x', s.apiKey), false, 'longer');
  assert.equal(keyMatches('', ''), false, 'an empty key never matches');
  assert.equal(keyMatches(undefined, s.apiKey), false);
});

test('sessions and CSRF tokens are bounded: the 26th login evicts the oldest session, the 26th page load the oldest token', async () => {
  const cookies: string[] = [];
  for (let i = 0; i < 26; i++) {
    const res = await fetch(`${s.base}/rest/noauth/auth/password`, { method: 'POST', body: JSON.stringify({ username: USER, password: PASSWORD }) });
    cookies.push(res.headers.getSetCookie().find((c) => c.startsWith(`sessionid-${short}=`))!.split(';')[0]!);
  }
  const page = async (cookie: string) => (await fetch(`${s.base}/meta.js`, { headers: { Cookie: cookie } })).status;
  assert.equal(await page(cookies[25]!), 200);
  assert.equal(await page(cookies[1]!), 200);
  assert.equal(await page(cookies[0]!), 403, 'the oldest session was evicted');
  assert.equal(await page(session), 403, 'and the one from before');

  const tokens: string[] = [];
  for (let i = 0; i < 26; i++) {
    const res = await fetch(`${s.base}/`, { headers: { Cookie: cookies[25]! } });
    tokens.push(res.headers.getSetCookie().find((c) => c.startsWith(`CSRF-Token-${short}=`))!.split(';')[0]!.split('=')[1]!);
  }
  const withToken = async (t: string) => (await fetch(`${s.base}/rest/system/status`, { headers: { Cookie: cookies[25]!, [`X-CSRF-Token-${short}`]: t } })).status;
  assert.equal(await withToken(tokens[25]!), 200);
  assert.equal(await withToken(tokens[0]!), 403, 'the oldest CSRF token was evicted');
});
