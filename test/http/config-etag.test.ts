import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<{ s: TestServer; dir: string }> {
  const s = await startServer();
  const { dir, cleanup } = await tempDir();
  t.after(async () => {
    await s.stop();
    await cleanup();
  });
  const res = await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: path.join(dir, 'f'), fsWatcherEnabled: false }) });
  assert.equal(res.status, 200);
  return { s, dir };
}

const etag = async (s: TestServer, p: string) => {
  const res = await s.req(p);
  assert.equal(res.status, 200, p);
  await res.arrayBuffer();
  return res.headers.get('etag')!;
};

const patch = (s: TestServer, p: string, body: unknown, ifMatch?: string) =>
  s.req(p, { method: 'PATCH', body: JSON.stringify(body), headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch } });

test('every config object is served with a strong ETag that changes when, and only when, it does', async (t) => {
  const { s } = await setup(t);
  const paths = ['/rest/config', '/rest/system/config', '/rest/config/folders', '/rest/config/folders/f', '/rest/config/devices', '/rest/config/options', '/rest/config/gui', '/rest/config/ldap', '/rest/config/defaults/folder', '/rest/config/defaults/device', '/rest/config/defaults/ignores'];
  const before = new Map<string, string>();
  for (const p of paths) {
    const tag = await etag(s, p);
    assert.match(tag, /^"[A-Za-z0-9_-]{27}"$/, p);
    assert.equal(await etag(s, p), tag, `${p} is stable`);
    before.set(p, tag);
  }
  const me = (await s.json('/rest/system/status')).myID;
  assert.match(await etag(s, `/rest/config/devices/${me}`), /^"/);
  // A 304 for a client that already has it.
  const cached = await s.req('/rest/config/folders/f', { headers: { 'If-None-Match': before.get('/rest/config/folders/f')! } });
  assert.equal(cached.status, 304);

  assert.equal((await patch(s, '/rest/config/folders/f', { label: 'renamed' })).status, 200);
  const changed = ['/rest/config', '/rest/system/config', '/rest/config/folders', '/rest/config/folders/f'];
  for (const p of paths) {
    const same = (await etag(s, p)) === before.get(p);
    assert.equal(same, !changed.includes(p), p);
  }
});

test('If-Match: a matching tag writes (and the answer carries the new tag); a stale one is 412 and changes nothing', async (t) => {
  const { s } = await setup(t);
  const tag = await etag(s, '/rest/config/folders/f');
  const ok = await patch(s, '/rest/config/folders/f', { label: 'one' }, tag);
  assert.equal(ok.status, 200);
  const fresh = ok.headers.get('etag');
  assert.equal(fresh, await etag(s, '/rest/config/folders/f'));
  assert.notEqual(fresh, tag);

  const xml = await fs.readFile(path.join(s.home, 'config.xml'), 'utf8');
  const stale = await patch(s, '/rest/config/folders/f', { label: 'two' }, tag);
  assert.equal(stale.status, 412);
  assert.match(await stale.text(), /precondition failed/);
  assert.equal((await s.json('/rest/config/folders/f')).label, 'one');
  assert.equal(await fs.readFile(path.join(s.home, 'config.xml'), 'utf8'), xml);

  // Another object's write does not disturb this one's tag; `*` means "whatever it is now"; a list may hold the current tag.
  assert.equal((await patch(s, '/rest/config/options', { maxFolderConcurrency: 3 })).status, 200);
  assert.equal((await patch(s, '/rest/config/folders/f', { label: 'three' }, fresh!)).status, 200);
  assert.equal((await patch(s, '/rest/config/folders/f', { label: 'four' }, '*')).status, 200);
  const now = await etag(s, '/rest/config/folders/f');
  assert.equal((await patch(s, '/rest/config/folders/f', { label: 'five' }, `"nope", ${now}`)).status, 200);
  // Weak tags never match If-Match; an object that does not exist matches nothing, not even `*`.
  const weak = await patch(s, '/rest/config/folders/f', { label: 'six' }, `W/${await etag(s, '/rest/config/folders/f')}`);
  assert.equal(weak.status, 412);
  const put = await s.req('/rest/config/folders/new', { method: 'PUT', body: JSON.stringify({ id: 'new', path: '/tmp/x' }), headers: { 'If-Match': '*' } });
  assert.equal(put.status, 412);
  assert.equal((await s.req('/rest/config/folders/new')).status, 404);
  // The whole config and the deletes take part too.
  const del = await s.req('/rest/config/folders/f', { method: 'DELETE', headers: { 'If-Match': tag } });
  assert.equal(del.status, 412);
  const whole = await s.req('/rest/config', { method: 'PUT', body: JSON.stringify(await s.json('/rest/config')), headers: { 'If-Match': '"stale"' } });
  assert.equal(whole.status, 412);
  assert.equal((await s.json('/rest/config/folders/f')).label, 'five');
});

test('If-Match: a malformed value is 400 and nothing changes; without it, writes are as in Syncthing', async (t) => {
  const { s } = await setup(t);
  for (const bad of ['abc', '"unterminated', 'W/abc', '"a", b', '"a" "b"']) {
    const res = await patch(s, '/rest/config/folders/f', { label: 'bad' }, bad);
    assert.equal(res.status, 400, bad);
    assert.match(await res.text(), /malformed If-Match/);
  }
  assert.equal((await s.json('/rest/config/folders/f')).label, '');
  const plain = await patch(s, '/rest/config/folders/f', { label: 'plain' });
  assert.equal(plain.status, 200);
  assert.equal(await plain.text(), '');
});

test('If-Match: of two concurrent writers holding the same tag, exactly one wins', async (t) => {
  const { s } = await setup(t);
  for (let round = 0; round < 5; round++) {
    const tag = await etag(s, '/rest/config/folders/f');
    const results = await Promise.all(['a', 'b', 'c'].map((l) => patch(s, '/rest/config/folders/f', { label: `${l}${round}`, rescanIntervalS: 100 + round }, tag)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 412, 412], `round ${round}`);
    const winner = ['a', 'b', 'c'][results.findIndex((r) => r.status === 200)];
    assert.equal((await s.json('/rest/config/folders/f')).label, `${winner}${round}`);
  }
});
