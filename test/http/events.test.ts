import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../support/test-server.js';

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
