import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { addFolder, write } from '../support/folder-helpers.js';

/** The /rest/debug tree: gated by gui.debugging, profiles DevTools can load, timers, peers, and a support bundle that never leaks a secret. */

async function server(t: { after: (fn: () => Promise<void>) => void }, debugging = true, opts: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(opts);
  t.after(() => s.stop());
  if (debugging) assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: '{"debugging": true}' })).status, 200);
  return s;
}

const ROUTES = ['cpuprof?duration=10ms', 'heapprof', 'httpmetrics', 'peerCompletion', 'support', 'file?folder=x&file=y', 'no-such-thing'];

test('with debugging off every GET under /rest/debug is 403 "Debugging disabled", as in Syncthing 1.x', async (t) => {
  const s = await server(t, false);
  for (const r of ROUTES) {
    const res = await s.req(`/rest/debug/${r}`);
    assert.equal(res.status, 403, r);
    assert.equal(await res.text(), 'Debugging disabled\n');
  }
  assert.equal((await s.req('/rest/debug/support', { key: false })).status, 403, 'no key: still refused');
  const home = await fs.readdir(s.home);
  assert.ok(!home.some((f) => f.startsWith('support-bundle-')), 'no bundle was written');
});

test('with debugging on: unknown debug paths 404, other methods 405, credentials still required', async (t) => {
  const s = await server(t);
  assert.equal((await s.req('/rest/debug/no-such-thing')).status, 404);
  const post = await s.req('/rest/debug/support', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.match(post.headers.get('allow') ?? '', /GET/);
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'u', password: 'a password' }) });
  assert.equal((await s.req('/rest/debug/httpmetrics', { key: 'wrong' })).status, 403);
  assert.equal((await s.req('/rest/debug/httpmetrics', { key: false })).status, 403);
  assert.equal((await s.req('/rest/debug/httpmetrics')).status, 200);
});

test('cpuprof: a .cpuprofile attachment for the asked duration; bad durations are 400', async (t) => {
  const s = await server(t);
  const t0 = performance.now();
  const res = await s.req('/rest/debug/cpuprof?duration=300ms');
  const took = performance.now() - t0;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename=synchro-cpu-linux-\w+-v[\d.]+-\d{6}\.cpuprofile$/);
  const profile = JSON.parse(await res.text());
  // The fields Chrome DevTools reads from a .cpuprofile.
  assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
  assert.ok(Array.isArray(profile.samples) && Array.isArray(profile.timeDeltas));
  assert.ok(profile.endTime - profile.startTime >= 250_000, `sampled ${profile.endTime - profile.startTime} µs`);
  assert.ok(took >= 280, `answered after ${took} ms`);

  for (const [q, msg] of [
    ['-1s', /must not be negative/],
    ['5m0.001s', /at most 5m/],
    ['6m', /at most 5m/],
    ['1h', /at most 5m/],
    ['30', /Go duration/],
    ['abc', /Go duration/],
    ['1x', /Go duration/],
  ] as const) {
    const bad = await s.req(`/rest/debug/cpuprof?duration=${encodeURIComponent(q)}`);
    assert.equal(bad.status, 400, q);
    assert.match(await bad.text(), msg, q);
  }
  assert.equal((await s.req('/rest/debug/cpuprof?duration=0s')).status, 200, 'zero is a (short) profile');
});

test('cpuprof: a client that hangs up ends the profile instead of leaving it running', async (t) => {
  const s = await server(t);
  const ctl = new AbortController();
  const pending = s.req('/rest/debug/cpuprof?duration=4m', { signal: ctl.signal }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 200));
  ctl.abort();
  assert.ok((await pending) instanceof Error);
  // A second profile starts and ends normally; the server is not stuck in the first.
  const t0 = performance.now();
  assert.equal((await s.req('/rest/debug/cpuprof?duration=100ms')).status, 200);
  assert.ok(performance.now() - t0 < 5000);
});

test('heapprof: a .heapsnapshot attachment', async (t) => {
  const s = await server(t);
  const res = await s.req('/rest/debug/heapprof');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename=synchro-heap-linux-\w+-v[\d.]+-\d{6}\.heapsnapshot$/);
  const text = await res.text();
  assert.match(text.slice(0, 40), /^\{"snapshot":\{"meta":/);
  const snap = JSON.parse(text);
  assert.ok(snap.snapshot.node_count > 1000);
});

test('httpmetrics: count, sum, rates and percentiles per /rest route, moving with traffic', async (t) => {
  const s = await server(t);
  for (let i = 0; i < 5; i++) await s.json('/rest/system/status');
  await s.json('/rest/config/folders/nope').catch(() => undefined);
  const m = await s.json('/rest/debug/httpmetrics');
  const st = m['/rest/system/status'];
  assert.equal(st.count, 5);
  assert.ok(st.sumMs > 0);
  assert.equal(st.ratesPerS.length, 3);
  assert.equal(st.percentilesMs.length, 3);
  assert.ok(st.percentilesMs[0] > 0 && st.percentilesMs[0] <= st.percentilesMs[1] && st.percentilesMs[1] <= st.percentilesMs[2]);
  assert.ok(m['/rest/config/folders/:id'], 'keyed by the route, not the raw path');
  assert.ok(!Object.keys(m).some((k) => k.includes('nope')));
  for (let i = 0; i < 3; i++) await s.json('/rest/system/status');
  assert.equal((await s.json('/rest/debug/httpmetrics'))['/rest/system/status'].count, 8);
});

test('peerCompletion: each remote device sharing a folder, never this device; not connected → 0', async (t) => {
  const s = await server(t);
  assert.deepEqual(await s.json('/rest/debug/peerCompletion'), {});
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const peer = 'AIR6LPZ-7K4PTTV-UXQSMUU-CPQ5YWH-OEDFIIQ-JUG777G-2YQXXR5-YD6AWQR';
  assert.equal((await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: peer }) })).status, 200);
  await addFolder(s, 'f', path.join(dir, 'f'), { devices: [{ deviceID: peer }] });
  await addFolder(s, 'g', path.join(dir, 'g'));
  assert.deepEqual(await s.json('/rest/debug/peerCompletion'), { [peer]: 0 });
});

test('support: a zip of the redacted config, logs, version, status, summaries, usage report, metrics and 4 s CPU and heap profiles; no secret inside', async (t) => {
  const extraKey = 'extra-key-from-the-environment-123456';
  const s = await server(t, true, { apiKey: extraKey });
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const password = 'correct horse battery staple';
  const encryption = 'folder-encryption-passphrase';
  const peer = 'AIR6LPZ-7K4PTTV-UXQSMUU-CPQ5YWH-OEDFIIQ-JUG777G-2YQXXR5-YD6AWQR';
  assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'admin', password }) })).status, 200);
  await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: peer }) });
  await write(path.join(dir, 'f'), 'a.txt', 'hello');
  await addFolder(s, 'f', path.join(dir, 'f'), { devices: [{ deviceID: peer, encryptionPassword: encryption }] });
  const hash = (await s.json('/rest/config/gui')).password as string;
  assert.match(hash, /^\$2[aby]\$/);
  // Secrets that reach the logs by accident are scrubbed too.
  await s.req('/rest/system/error', { method: 'POST', body: `pasted by mistake: ${s.apiKey} and ${extraKey} and ${encryption}` });

  // The profiles sample for 4 s off the event loop: the service answers meanwhile.
  let bundleDone = false;
  const pending = s.req('/rest/debug/support').then((r) => ((bundleDone = true), r));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await s.req('/rest/system/ping')).status, 200);
  assert.equal(bundleDone, false, 'a ping waited for the bundle');
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  const shortId = s.app.myId.slice(0, 7);
  const disposition = res.headers.get('content-disposition') ?? '';
  const m = /^attachment; filename=(support-bundle-(\w{7})-\d{4}-\d\d-\d\dT\d{6}\.zip)$/.exec(disposition);
  assert.ok(m, disposition);
  assert.equal(m[2], shortId);
  const raw = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(new Uint8Array(await fs.readFile(path.join(s.home, m[1]!))), raw, 'a copy is kept in the home');

  const files = unzipSync(raw);
  const stem = (kind: string) => new RegExp(`^synchro-${kind}-linux-\\w+-v[\\d.]+-\\d{6}\\.${kind}profile$`);
  const cpuName = Object.keys(files).find((n) => stem('cpu').test(n));
  const heapName = Object.keys(files).find((n) => stem('heap').test(n));
  assert.ok(cpuName && heapName, Object.keys(files).join(', '));
  assert.deepEqual(Object.keys(files).filter((n) => n !== cpuName && n !== heapName).sort(), [
    'config.json.txt',
    'errors.json.txt',
    'folder-summaries.json.txt',
    'heap-statistics.json.txt',
    'httpmetrics.json.txt',
    'log-inmemory.txt',
    'metrics.txt',
    'system-status.json.txt',
    'usage-reporting.json.txt',
    'version-platform.json.txt',
  ]);
  const text = (n: string) => strFromU8(files[n]!);
  const config = JSON.parse(text('config.json.txt'));
  assert.equal(config.gui.apiKey, 'REDACTED');
  assert.equal(config.gui.user, 'REDACTED');
  assert.equal(config.gui.password, 'REDACTED');
  assert.equal(config.folders[0].devices.find((d: { deviceID: string }) => d.deviceID === peer).encryptionPassword, 'REDACTED');
  assert.equal(config.folders[0].id, 'f', 'the rest of the config is intact');
  assert.equal(JSON.parse(text('folder-summaries.json.txt')).f.localFiles, 1);
  assert.equal(JSON.parse(text('system-status.json.txt')).myID, s.app.myId);
  assert.match(text('version-platform.json.txt'), /"longVersion"/);
  assert.match(text('usage-reporting.json.txt'), /"numFolders": 1/);
  assert.match(text('metrics.txt'), /synchro_http_requests_total/);
  assert.match(text('log-inmemory.txt'), /pasted by mistake: REDACTED and REDACTED and REDACTED/);
  assert.match(text('errors.json.txt'), /pasted by mistake: REDACTED/);
  // Profiles DevTools loads: a CPU profile spanning the 4 s, a sampling heap profile, heap space sizes.
  const cpu = JSON.parse(text(cpuName));
  assert.ok(cpu.nodes.length > 1 && cpu.samples.length > 0);
  assert.ok(cpu.endTime - cpu.startTime >= 3_900_000, `${cpu.endTime - cpu.startTime} µs`);
  const heap = JSON.parse(text(heapName));
  assert.ok(Array.isArray(heap.head.children) && Array.isArray(heap.samples));
  const stats = JSON.parse(text('heap-statistics.json.txt'));
  assert.ok(stats.total.used_heap_size > 0);
  assert.ok(stats.spaces.some((sp: { space_name: string }) => sp.space_name === 'old_space'));

  const haystacks = [Buffer.from(raw).toString('latin1'), ...Object.keys(files).map(text)];
  for (const secret of [s.apiKey, extraKey, password, hash, encryption]) {
    for (const h of haystacks) assert.ok(!h.includes(secret), `${secret} found in the bundle`);
  }
});
