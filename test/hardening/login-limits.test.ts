import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPassword } from '../../src/http/auth-middleware.js';
import { LoginGuard } from '../../src/http/login-guard.js';
import type { HttpDeps } from '../../src/http/deps.js';
import { ManualClock } from '../support/manual-clock.js';
import { startServer, type TestServer } from '../support/test-server.js';

/** Issue 22, auth: login timing, parallel guessing, back-off, and CSRF tokens under anonymous load. */

async function withUser(): Promise<TestServer> {
  const s = await startServer();
  const res = await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'alice', password: 'correct horse' }) });
  assert.equal(res.status, 200);
  return s;
}

const login = (s: TestServer, username: string, password: string, headers: Record<string, string> = {}) =>
  s.req('/rest/noauth/auth/password', { key: false, method: 'POST', body: JSON.stringify({ username, password }), headers });

test('the password is compared whatever the user name, so the time of a failure does not tell a real user', async () => {
  const compared: string[] = [];
  const d = {
    config: { current: () => ({ gui: { authMode: 'static', user: 'alice', password: '$2a$10$' + 'x'.repeat(53) } }) },
    verifyPassword: async (plain: string) => (compared.push(plain), false),
    logins: new LoginGuard({ clock: new ManualClock() }),
    log: { warn: () => undefined },
  } as unknown as HttpDeps;
  const ctx = { req: { socket: { remoteAddress: '127.0.0.1' } }, get: () => '' } as never;
  assert.equal(await checkPassword(d, ctx, 'alice', 'guess'), false);
  assert.equal(await checkPassword(d, ctx, 'mallory', 'guess2'), false);
  assert.deepEqual(compared, ['guess', 'guess2'], 'bcrypt ran for the unknown user too');
});

test('40 parallel wrong passwords: API-key requests stay fast, then the address backs off with 429', { timeout: 120_000 }, async (t) => {
  const s = await withUser();
  t.after(() => s.stop());
  const guesses = Array.from({ length: 40 }, (_, i) => login(s, 'alice', `wrong ${i}`).then((r) => r.status));
  // While they run, requests with the API key are answered between them.
  let answered = 0;
  const pings = (async () => {
    for (let i = 0; i < 20; i++) {
      const r = await s.req('/rest/system/ping');
      assert.equal(r.status, 200);
      answered++;
    }
  })();
  const statuses = await Promise.all(guesses);
  await pings;
  assert.equal(answered, 20);
  assert.ok(statuses.every((st) => st === 403 || st === 429), statuses.join(','));
  assert.ok(statuses.includes(429), 'past the queue or the free failures, logins are refused at once');
  // Now backing off: even the right password waits its turn, with Retry-After.
  const blocked = await login(s, 'alice', 'correct horse');
  assert.equal(blocked.status, 429);
  assert.match(blocked.headers.get('retry-after') ?? '', /^\d+$/);
  assert.match(await blocked.text(), /too many failed logins from 127\.0\.0\.1; try again in \d+ s/);
  // The API key is never held back.
  assert.equal((await s.req('/rest/system/status')).status, 200);
});

test('the back-off doubles per failure past the free ones and a success clears it', async () => {
  const clock = new ManualClock();
  const g = new LoginGuard({ clock, freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000 });
  const fail = () => g.run('10.0.0.1', async () => false);
  await fail();
  await fail(); // 2nd failure: wait 1 s
  await assert.rejects(fail(), /try again in 1 s/);
  await clock.advance(1000);
  await fail(); // 3rd: 2 s
  await assert.rejects(fail(), /try again in 2 s/);
  await clock.advance(2000);
  await fail(); // 4th: 4 s
  await clock.advance(4000);
  await fail(); // 5th: 8 s (the cap)
  await assert.rejects(fail(), /try again in 8 s/);
  await clock.advance(8000);
  await fail();
  await assert.rejects(fail(), /try again in 8 s/, 'capped');
  // Another address is not affected; a success resets this one.
  assert.equal(await g.run('10.0.0.2', async () => true), true);
  await clock.advance(8000);
  assert.equal(await g.run('10.0.0.1', async () => true), true);
  assert.equal(await g.run('10.0.0.1', async () => false), false, 'free failures again');
});

test('thirty anonymous page loads do not evict the CSRF token of a signed-in user', async (t) => {
  const s = await withUser();
  t.after(() => s.stop());
  const short = s.app.myId.slice(0, 7);
  // Sign in and load the GUI: the page gets a CSRF token as a signed-in client.
  const res = await login(s, 'alice', 'correct horse');
  assert.equal(res.status, 204);
  const session = res.headers.getSetCookie().find((c) => c.startsWith(`sessionid-${short}=`))!.split(';')[0]!;
  const page = await s.req('/', { key: false, headers: { Cookie: session } });
  const csrf = page.headers.getSetCookie().find((c) => c.startsWith(`CSRF-Token-${short}=`))!.split(';')[0]!;
  const token = csrf.split('=')[1]!;
  const call = () => s.req('/rest/system/status', { key: false, headers: { Cookie: `${session}; ${csrf}`, [`X-CSRF-Token-${short}`]: token } });
  assert.equal((await call()).status, 200);
  // Anonymous visitors each get a token of their own.
  for (let i = 0; i < 30; i++) assert.equal((await s.req('/', { key: false })).status, 200);
  assert.equal((await call()).status, 200, 'still valid');
});
