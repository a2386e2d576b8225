import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type TestServer } from '../support/test-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { SseReader } from '../support/sse.js';

const patch = (s: TestServer, body: object) => s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify(body) });

const open = async (s: TestServer, q = '', headers: Record<string, string> = {}) => {
  const res = await s.req(`/rest/events/stream${q}`, { headers });
  assert.equal(res.status, 200, await (res.status === 200 ? '' : res.clone().text()));
  return { res, sse: new SseReader(res) };
};

test('the stream sends each event as id, event and data, with the same filter as /rest/events', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const { res, sse } = await open(s, '?events=ConfigSaved,FolderPaused');
  t.after(() => sse.close());
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const hello = await sse.next();
  assert.equal(hello.retry, '2000');

  await patch(s, { urSeen: 7 });
  const m = await sse.event();
  assert.equal(m.event, 'ConfigSaved');
  const e = JSON.parse(m.data!);
  assert.deepEqual(Object.keys(e), ['id', 'globalID', 'time', 'type', 'data']);
  assert.equal(m.id, String(e.globalID));
  assert.equal(e.id, e.globalID, 'on the stream, id is the global id');
  assert.equal(e.data.options.urSeen, 7);
  // The poll endpoint saw the same event under the same global id.
  const polled = (await s.json('/rest/events?since=0&timeout=0')) as any[];
  assert.equal(polled.at(-1).globalID, e.globalID);
  assert.equal(s.app.events.masks, 0, 'a stream keeps no ring of its own');
});

test('events= with a name we do not know, and a Last-Event-ID or since that is not a number, are 400', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  for (const [q, h, want] of [
    ['?events=ConfigSaved,Bogus', {}, /unknown event type "Bogus"/],
    ['', { 'Last-Event-ID': 'abc' }, /invalid Last-Event-ID "abc"/],
    ['', { 'Last-Event-ID': '-3' }, /invalid Last-Event-ID/],
    ['', { 'Last-Event-ID': '1e3' }, /invalid Last-Event-ID/],
    ['?since=12x', {}, /invalid since "12x"/],
    ['?since=99999999999999999999', {}, /invalid since/],
  ] as const) {
    const res = await s.req(`/rest/events/stream${q}`, { headers: h });
    assert.equal(res.status, 400, `${q} ${JSON.stringify(h)}`);
    assert.match(await res.text(), want);
  }
  const noKey = await s.req('/rest/events/stream', { key: false });
  assert.equal(noKey.status, 403, 'same auth as every /rest call');
});

test('Last-Event-ID resumes without loss or repeats; since= does the same; an id from before a restart replays all', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const first = await open(s, '?events=ConfigSaved');
  await patch(s, { urSeen: 1 });
  const seen = await first.sse.event();
  await first.sse.close();

  // Missed while away: two config events, and a disk-mask event type the filter does not want.
  await patch(s, { urSeen: 2 });
  await patch(s, { urSeen: 3 });
  const again = await open(s, '?events=ConfigSaved', { 'Last-Event-ID': seen.id! });
  t.after(() => again.sse.close());
  const a = JSON.parse((await again.sse.event()).data!);
  const b = JSON.parse((await again.sse.event()).data!);
  assert.deepEqual([a.data.options.urSeen, b.data.options.urSeen], [2, 3]);
  await patch(s, { urSeen: 4 });
  assert.equal(JSON.parse((await again.sse.event()).data!).data.options.urSeen, 4, 'then live');

  // since= resumes the same way; the header wins over it.
  const viaSince = await open(s, `?events=ConfigSaved&since=${seen.id}`, { 'Last-Event-ID': String(b.globalID) });
  t.after(() => viaSince.sse.close());
  assert.equal(JSON.parse((await viaSince.sse.event()).data!).data.options.urSeen, 4);

  // No id: live only. Every type since 0: Starting first.
  const all = await open(s, '?since=0');
  t.after(() => all.sse.close());
  assert.equal((await all.sse.event()).event, 'Starting');
  const future = await open(s, '', { 'Last-Event-ID': '999999' });
  t.after(() => future.sse.close());
  assert.equal((await future.sse.event()).event, 'Starting', 'an id we never gave out comes from before a restart');
});

test('an idle stream gets a keep-alive comment every 15 s', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock });
  t.after(() => s.stop());
  const { sse } = await open(s);
  t.after(() => sse.close());
  await sse.next(); // retry + greeting
  await clock.advance(14_000);
  await assert.rejects(sse.next(undefined, 200), /timed out/);
  await clock.advance(1_000);
  assert.deepEqual((await sse.next()).comments, ['keep-alive']);
  await clock.advance(15_000);
  assert.deepEqual((await sse.next()).comments, ['keep-alive']);
});

test('a client that stops reading is cut off with a final comment, and the server goes on', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  // Big events (the whole config rides on ConfigSaved) fill the socket quickly.
  await patch(s, { urURL: 'https://example.org/' + 'x'.repeat(200_000) });
  const u = new URL(s.base);
  // Listeners besides the stream (the metrics count every event) stay; only the stream's comes and goes.
  const others = s.app.events.listening;
  const sock = net.connect(Number(u.port), u.hostname);
  t.after(() => sock.destroy());
  sock.write(`GET /rest/events/stream?events=ConfigSaved HTTP/1.1\r\nHost: ${u.host}\r\nX-API-Key: ${s.apiKey}\r\nConnection: close\r\n\r\n`);
  await new Promise((r) => sock.once('data', r));
  sock.pause();
  assert.equal(s.app.events.listening, others + 1);
  for (let i = 0; i < 200 && s.app.events.listening > others; i++) await patch(s, { urSeen: i });
  assert.equal(s.app.events.listening, others, 'the slow stream was dropped');
  // Now read what it was sent: events, then the goodbye, then the end.
  let text = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => (text += d));
  sock.resume();
  await new Promise((r) => sock.once('close', r));
  assert.match(text, /: closed: this client did not keep up \(\d+ bytes unread\); reconnect with Last-Event-ID to resume\n\n\r\n0\r\n\r\n$/);
  // Others are unaffected.
  const { sse } = await open(s, '?events=ConfigSaved');
  t.after(() => sse.close());
  await patch(s, { urSeen: 1000 });
  assert.equal((await sse.event()).event, 'ConfigSaved');
});

test('closing the server ends streams with a comment', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const { sse } = await open(s);
  await sse.next();
  await s.app.stop();
  const bye = await sse.next();
  assert.deepEqual(bye.comments, ['closed: the server is shutting down']);
});
