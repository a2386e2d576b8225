import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { startServer } from '../support/test-server.js';
import { ManualClock } from '../support/manual-clock.js';

const waitFor = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('a long poll flushes headers at once and answers when an event arrives', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const seed = await s.json('/rest/events?limit=1');
  assert.equal(seed.length, 1, 'limit=1 answers at once with the newest event');
  const last = seed[0].id;

  // fetch resolves when the headers arrive: before any event exists.
  const res = await s.req(`/rest/events?since=${last}&timeout=10`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  assert.equal(s.app.events.waiting, 1);
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 3}' });
  const events = (await res.json()) as any[];
  assert.deepEqual(events.map((e: { type: string }) => e.type), ['ConfigSaved']);
  const e = events[0];
  assert.deepEqual(Object.keys(e), ['id', 'globalID', 'time', 'type', 'data']);
  assert.equal(e.id, last + 1);
  assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}(Z|[+-]\d\d:\d\d)$/, 'nanosecond time');
  assert.equal(e.data.options.urSeen, 3);
});

test('timeout=0 answers at once; a timeout answers []; since in the future waits', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  assert.equal(await (await s.req('/rest/events?since=1000&timeout=0')).text(), '[]\n');
  const t0 = Date.now();
  assert.deepEqual(await s.json('/rest/events?since=1000&timeout=1'), []);
  assert.ok(Date.now() - t0 >= 950);
  for (const q of ['since=abc&timeout=0', 'since=-5&timeout=0', 'limit=abc&timeout=0', 'limit=-1&timeout=0']) {
    const evs = await s.json(`/rest/events?${q}`);
    assert.equal(evs[0].type, 'Starting', q);
  }
});

test('masks: events= gets its own numbering; unknown names never match; disk stream', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  assert.deepEqual(await s.json('/rest/events?events=ConfigSaved&since=0&timeout=0'), []);
  const poll = s.req('/rest/events?events=ConfigSaved,%20FolderPaused&since=0&timeout=10');
  const polled = await poll;
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 4}' });
  const got = (await polled.json()) as any[];
  assert.equal(got[0].id, 1, 'a new mask starts at id 1');
  assert.ok(got[0].globalID > 1);
  assert.deepEqual(await s.json('/rest/events?events=Bogus&timeout=0'), []);
  assert.deepEqual(await s.json('/rest/events/disk?timeout=0'), []);
});

test('a client that goes away releases its poll at once; closing the server answers parked polls', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const ac = new AbortController();
  const res = await s.req('/rest/events?since=100&timeout=60', { signal: ac.signal });
  assert.equal(res.status, 200);
  await waitFor(() => s.app.events.waiting === 1);
  ac.abort();
  await waitFor(() => s.app.events.waiting === 0);

  const parked = await s.req('/rest/events?since=100&timeout=60');
  await waitFor(() => s.app.events.waiting === 1);
  await s.app.stop();
  assert.equal(await parked.text(), '[]\n');
});

test('HTTP/1.0 clients get the answer and a closed connection', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const u = new URL(s.base);
  const text = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => {
      sock.write(`GET /rest/events?since=0&timeout=0 HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: ${s.apiKey}\r\n\r\n`);
    });
    let buf = '';
    sock.on('data', (d) => (buf += d));
    sock.on('end', () => resolve(buf));
    sock.on('error', reject);
  });
  assert.match(text, /^HTTP\/1\.[01] 200 OK/);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  assert.equal(JSON.parse(body)[0].type, 'Starting');
});

test('heartbeat=S sends whitespace before the array while the poll waits; a strict JSON parser reads the answer', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock });
  t.after(() => s.stop());
  const [last] = await s.json('/rest/events?limit=1');
  const res = await s.req(`/rest/events?since=${last.id}&timeout=60&heartbeat=5`);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let body = '';
  const readSome = async () => {
    const { value } = await reader.read();
    body += dec.decode(value);
  };
  await clock.advance(5_000);
  await readSome();
  assert.match(body, /^\n$/, 'one newline after 5 s');
  await clock.advance(10_000);
  while (body.length < 3) await readSome();
  assert.match(body, /^\n\n\n$/);
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 9}' });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    body += dec.decode(value);
  }
  assert.match(body, /^\n\n\n\[\n  \{/);
  const events = JSON.parse(body);
  assert.equal(events[0].type, 'ConfigSaved');
  // A reader that rejects anything but RFC 8259 JSON: Python's, when it is there.
  const py = spawnSync('python3', ['-c', 'import json,sys; print(json.load(sys.stdin)[0]["type"])'], { input: body, encoding: 'utf8' });
  if (py.error === undefined) assert.equal(py.stdout.trim(), 'ConfigSaved', py.stderr);

  // Without heartbeat=, nothing but the answer; heartbeat=0 is off.
  const quiet = await s.req(`/rest/events?since=${events[0].id}&timeout=10&heartbeat=0`);
  await clock.advance(10_000);
  assert.equal(await quiet.text(), '[]\n');
});

test('bad since, limit, timeout and heartbeat: Syncthing defaults for its own parameters, 400 for heartbeat', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock });
  t.after(() => s.stop());
  for (const h of ['-1', 'abc', '1.5', '1e3', '3601', '99999999999999999999']) {
    const res = await s.req(`/rest/events?heartbeat=${h}&timeout=0`);
    assert.equal(res.status, 400, h);
    assert.match(await res.text(), /invalid heartbeat .*whole seconds from 0 \(off\) to 3600/);
  }
  // since past 2^63 is not a number for Go (→ 0, everything); limit absurdly large keeps all.
  const all = await s.json(`/rest/events?since=${'9'.repeat(30)}&limit=${'9'.repeat(30)}&timeout=0`);
  assert.equal(all[0].type, 'Starting');
  assert.equal((await s.json('/rest/events?limit=99999999999&timeout=0')).length, all.length);
  // since past the last id but a valid int64 waits; an absurd timeout is clamped to 3600 s.
  for (const since of ['99999999999', '9223372036854775807']) {
    const p = s.req(`/rest/events?since=${since}&timeout=99999999999999`).then((r) => r.text());
    await waitFor(() => s.app.events.waiting === 1);
    await clock.advance(3_599_000);
    let done = false;
    p.then(() => (done = true), () => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, `since=${since} still waits just before 3600 s`);
    await clock.advance(1_000);
    assert.equal(await p, '[]\n');
  }
  // A negative or non-numeric timeout is Syncthing's default, 60 s.
  for (const timeout of ['-1', 'abc', '1.5']) {
    const p = s.req(`/rest/events?since=99999&timeout=${timeout}`).then((r) => r.text());
    await waitFor(() => s.app.events.waiting === 1);
    await clock.advance(59_000);
    let done = false;
    p.then(() => (done = true), () => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, `timeout=${timeout} still waits at 59 s`);
    await clock.advance(1_000);
    assert.equal(await p, '[]\n');
  }
});

test('an aborted poll consumes nothing: the next poll with the same since gets the event', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const [last] = await s.json('/rest/events?limit=1');
  const ac = new AbortController();
  await s.req(`/rest/events?since=${last.id}&timeout=60`, { signal: ac.signal });
  await waitFor(() => s.app.events.waiting === 1);
  ac.abort();
  await waitFor(() => s.app.events.waiting === 0);
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 11}' });
  const got = await s.json(`/rest/events?since=${last.id}&timeout=0`);
  assert.deepEqual(got.map((e: { type: string }) => e.type), ['ConfigSaved']);
});

test('an HTTP/1.0 poll that waits gets its events and then the connection closes', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const [last] = await s.json('/rest/events?limit=1');
  const u = new URL(s.base);
  const sock = net.connect(Number(u.port), u.hostname);
  sock.write(`GET /rest/events?since=${last.id}&timeout=30&heartbeat=1 HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: ${s.apiKey}\r\n\r\n`);
  let buf = '';
  sock.on('data', (d) => (buf += d));
  const ended = new Promise((r) => sock.on('end', r));
  await waitFor(() => s.app.events.waiting === 1);
  await new Promise((r) => setTimeout(r, 1200)); // one heartbeat
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 12}' });
  await ended;
  assert.match(buf, /^HTTP\/1\.[01] 200 OK/);
  assert.doesNotMatch(buf, /Transfer-Encoding: chunked/i, 'HTTP/1.0 has no chunked encoding');
  const body = buf.slice(buf.indexOf('\r\n\r\n') + 4);
  assert.match(body, /^\n+\[/);
  assert.equal(JSON.parse(body)[0].type, 'ConfigSaved');
});

test('1,000 distinct events= masks keep at most the configured number of subscriptions', async (t) => {
  const s = await startServer({ maxEventMasks: 8 });
  t.after(() => s.stop());
  const names = ['ConfigSaved', 'StateChanged', 'FolderSummary', 'FolderPaused', 'FolderResumed', 'DevicePaused', 'DeviceResumed', 'LoginAttempt', 'FolderErrors', 'ItemStarted'];
  for (let i = 1; i <= 1000; i++) {
    const mask = names.filter((_, b) => i & (1 << b)).join(',');
    const res = await s.req(`/rest/events?events=${mask}&timeout=0`);
    assert.equal(res.status, 200);
    await res.text();
    assert.ok(s.app.events.masks <= 8);
  }
  assert.equal(s.app.events.masks, 8);
  // A poller of a dropped mask starts over, as after a Syncthing restart; nothing else notices.
  await s.req('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 13}' });
  assert.deepEqual(await s.json('/rest/events?events=ConfigSaved&since=0&timeout=0'), [], 'mask 1 was dropped; it starts empty again');
  const def = await s.json('/rest/events?since=0&timeout=0');
  assert.equal(def.at(-1).type, 'ConfigSaved', 'the default stream is never dropped');
});
