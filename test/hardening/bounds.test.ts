import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { MAX_MESSAGE } from '../../src/shared/logger.js';
import { MAX_IGNORE_LINES } from '../../src/scanner/ignore-file.js';
import { folderSetup, scan } from '../support/folder-helpers.js';
import { startServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 22, unbounded memory and connections: whatever a client sends or fails to read, what the
 * service holds for it has a bound in bytes, and a connection that never finishes its request
 * is cut off.
 */

const MiB = 1 << 20;

function rawConnect(s: TestServer): Promise<net.Socket> {
  const u = new URL(s.base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname, () => resolve(sock));
    sock.once('error', reject);
  });
}

test('POST /rest/system/error with 9 MiB bodies: each message is cut to its bound and the list stays small', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const body = 'E'.repeat(9 * MiB);
  for (let i = 0; i < 20; i++) assert.equal((await s.req('/rest/system/error', { method: 'POST', body })).status, 200);
  const res = await s.req('/rest/system/error');
  const text = await res.text();
  const errors = (JSON.parse(text) as { errors: { message: string }[] }).errors;
  assert.equal(errors.length, 20);
  for (const e of errors) assert.match(e.message, new RegExp(`^E{${MAX_MESSAGE}}… \\(${9 * MiB - MAX_MESSAGE} more characters cut\\)$`));
  assert.ok(text.length < 200_000, `GET /rest/system/error is ${text.length} bytes`);
  assert.ok((await (await s.req('/rest/system/log')).text()).length < 1000 * (MAX_MESSAGE + 200));
});

test('1 MiB folder labels in 300 config edits: the event log holds a bounded number of bytes', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const root = path.join(s.home, '..', 'labelled');
  await fs.mkdir(root, { recursive: true });
  assert.equal((await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'big', path: root, fsWatcherEnabled: false }) })).status, 200);
  for (let i = 0; i < 300; i++) {
    const label = String(i % 10).repeat(MiB);
    assert.equal((await s.req('/rest/config/folders/big', { method: 'PATCH', body: JSON.stringify({ label: label + i }) })).status, 200);
  }
  const held = s.app.events.heldBytes;
  t.diagnostic(`event log holds ${Math.round(held / MiB)} MiB after 300 edits of ~${300} MiB of labels`);
  assert.ok(held <= 40 * MiB, `the log holds ${Math.round(held / MiB)} MiB`);
  // The newest events are still there, in order, and a poll from the start gets what is held.
  const evs = (await s.json('/rest/events?since=0&timeout=0&events=ConfigSaved')) as unknown[];
  assert.deepEqual(evs, [], 'a new mask starts empty');
  const all = (await s.json('/rest/events?since=0&timeout=0')) as { type: string; data: { folders?: { label: string }[] } }[];
  const saved = all.filter((e) => e.type === 'ConfigSaved');
  assert.ok(saved.length > 0 && saved.length < 300, `${saved.length} ConfigSaved events held`);
  assert.equal(saved.at(-1)!.data.folders!.find((f) => f.label.endsWith('299')) !== undefined, true, 'the newest edit is held');
});

test('SSE clients that never read are cut off once their backlog passes the bound; readers are unaffected', { timeout: 120_000 }, async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const others = s.app.events.listening;
  const slow: net.Socket[] = [];
  for (let i = 0; i < 10; i++) {
    const sock = await rawConnect(s);
    t.after(() => sock.destroy());
    sock.write(`GET /rest/events/stream?since=0 HTTP/1.1\r\nHost: ${new URL(s.base).host}\r\nX-API-Key: ${s.apiKey}\r\n\r\n`);
    await new Promise((r) => sock.once('data', r));
    sock.pause();
    slow.push(sock);
  }
  assert.equal(s.app.events.listening, others + 10);
  // Big events: every ConfigSaved carries the whole config, here with a 256 KiB option in it.
  for (let i = 0; i < 400 && s.app.events.listening > others; i++) {
    await s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ urURL: `https://example.org/${i}/` + 'x'.repeat(256 * 1024) }) });
  }
  assert.equal(s.app.events.listening, others, 'every non-reading stream was dropped');
  assert.ok(s.app.events.heldBytes <= 40 * MiB);
});

test('a request body that trickles in is cut off with a 408, with or without credentials', { timeout: 30_000 }, async (t) => {
  const s = await startServer({ httpLimits: { timeouts: { requestMs: 1500 } } });
  t.after(() => s.stop());
  const host = new URL(s.base).host;
  const closed: Promise<string>[] = [];
  for (const key of ['', `X-API-Key: ${s.apiKey}\r\n`]) {
    for (let i = 0; i < 5; i++) {
      const sock = await rawConnect(s);
      t.after(() => sock.destroy());
      sock.write(`POST /rest/system/error HTTP/1.1\r\nHost: ${host}\r\n${key}Transfer-Encoding: chunked\r\n\r\n`);
      const timer = setInterval(() => sock.write('1\r\nx\r\n'), 200);
      let got = '';
      sock.on('data', (d) => (got += d));
      closed.push(new Promise((r) => sock.once('close', () => (clearInterval(timer), r(got)))));
    }
  }
  // Without credentials the request is refused at once (403), and the connection still ends when the body does not.
  for (const got of await Promise.all(closed)) assert.match(got, /HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n\r\n$/);
  // A long poll is not a slow request: its answer may take as long as it likes.
  const poll = await s.req('/rest/events?since=999999&timeout=3');
  assert.equal(poll.status, 200);
  assert.equal(await poll.text(), '[]\n');
});

test('idle anonymous connections past the cap close oldest first; authenticated ones stay', { timeout: 30_000 }, async (t) => {
  const s = await startServer({ httpLimits: { maxUntrusted: 20, untrustedGraceMs: 0 } });
  t.after(() => s.stop());
  // One connection that showed its API key, kept alive.
  const trusted = await rawConnect(s);
  t.after(() => trusted.destroy());
  const host = new URL(s.base).host;
  trusted.write(`GET /rest/system/ping HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${s.apiKey}\r\n\r\n`);
  await new Promise((r) => trusted.once('data', r));
  const idle: { sock: net.Socket; closed: boolean }[] = [];
  for (let i = 0; i < 60; i++) {
    const sock = await rawConnect(s);
    t.after(() => sock.destroy());
    const entry = { sock, closed: false };
    sock.once('close', () => (entry.closed = true));
    sock.on('error', () => undefined);
    // A request line begun but never finished: the server has it as an HTTP connection.
    sock.write('GET /rest/system/ping HTTP/1.1\r\n');
    idle.push(entry);
  }
  for (let i = 0; i < 100 && idle.filter((e) => !e.closed).length > 20; i++) await new Promise((r) => setTimeout(r, 10));
  const open = idle.map((e) => !e.closed);
  assert.ok(open.filter(Boolean).length <= 20, `${open.filter(Boolean).length} anonymous connections open`);
  assert.equal(open.slice(-20).every(Boolean), true, 'the newest stay, the oldest went');
  assert.ok(!trusted.destroyed, 'the authenticated connection was not closed');
  trusted.write(`GET /rest/system/ping HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${s.apiKey}\r\n\r\n`);
  const answer = await new Promise<string>((r) => trusted.once('data', (d) => r(String(d))));
  assert.match(answer, /^HTTP\/1\.1 200 /);
});

test('ignore files are bounded: 40,000 lines are refused with a clear error and nothing is written', async (t) => {
  const { s, root, add } = await folderSetup(t);
  await add();
  const lines = Array.from({ length: 40_000 }, (_, i) => `pattern-${i}`);
  const res = await s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify({ ignore: lines }) });
  assert.equal(res.status, 413);
  assert.match(await res.text(), new RegExp(`too many ignore lines \\(40000; at most ${MAX_IGNORE_LINES}\\)`));
  assert.equal(await fs.stat(path.join(root, '.stignore')).then(() => true, () => false), false);
  // Just under the bound works, and the next scan too.
  const ok = await s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify({ ignore: lines.slice(0, MAX_IGNORE_LINES) }) });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { expanded: string[] }).expanded.length, 4 * MAX_IGNORE_LINES);
  assert.equal((await scan(s, 'f')).status, 200);
  // A file written by hand past the bound: the folder reports it instead of loading it.
  await fs.writeFile(path.join(root, '.stignore'), lines.join('\n'));
  const loaded = await s.json('/rest/db/ignores?folder=f');
  assert.match(loaded.error, /too many ignore lines/);
});

test('deeply nested JSON bodies are refused before decoding; very wide ones decode in linear time', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  for (const [route, method] of [['/rest/config', 'PUT'], ['/rest/config/folders', 'PUT'], ['/rest/config/options', 'PATCH'], ['/rest/db/ignores?folder=x', 'POST']] as const) {
    for (const body of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)]) {
      const res = await s.req(route, { method, body });
      assert.ok(res.status === 400 || res.status === 500, `${method} ${route}: ${res.status}`);
      assert.match(await res.text(), /nesting too deep \(more than 64 levels\)/);
    }
  }
  // Strings full of brackets are not nesting.
  const label = '['.repeat(10_000);
  const folderRoot = path.join(s.home, '..', 'x');
  await fs.mkdir(folderRoot, { recursive: true });
  assert.equal((await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'x', label, path: folderRoot, fsWatcherEnabled: false }) })).status, 200);
  // 300,000 unknown keys: ignored as Go ignores them, in one pass.
  const wide = '{' + Array.from({ length: 300_000 }, (_, i) => `"k${i}":0`).join(',') + '}';
  const t0 = Date.now();
  assert.equal((await s.req('/rest/config/options', { method: 'PATCH', body: wide })).status, 200);
  t.diagnostic(`a PATCH with 300,000 unknown keys took ${Date.now() - t0} ms`);
});
