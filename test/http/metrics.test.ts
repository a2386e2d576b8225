import { test } from 'node:test';
import assert from 'node:assert/strict';
import { folderSetup, write } from '../support/folder-helpers.js';
import type { TestServer } from '../support/test-server.js';

/** The value of one sample (`name{labels}`) in a Prometheus text exposition; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const scrape = async (s: TestServer) => {
  const res = await s.req('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
};

test('/metrics: every family is present, and moves when work happens', async (t) => {
  const { s, root, add } = await folderSetup(t);
  const before = await scrape(s);
  for (const family of [
    'synchro_http_requests_total',
    'synchro_http_request_duration_seconds',
    'synchro_events_total',
    'synchro_event_polls_waiting',
    'synchro_scanner_hashed_bytes_total',
    'synchro_folders',
    'synchro_folder_state',
    'synchro_folder_files',
    'synchro_folder_bytes',
    'synchro_folder_scan_duration_seconds',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'synchro_eventloop_delay_seconds',
  ]) {
    assert.match(before, new RegExp(`^# TYPE ${family} `, 'm'), family);
  }
  assert.equal(sample(before, 'synchro_folders'), 0);
  assert.equal(sample(before, 'synchro_scanner_hashed_bytes_total'), 0);

  await write(root, 'a.bin', Buffer.alloc(100_000, 1));
  await write(root, 'd/b.bin', Buffer.alloc(50_000, 2));
  await add();
  // A long poll parked while the scrape happens.
  const since = (await s.json('/rest/events?since=0&timeout=0')).at(-1).id;
  const parked = s.req(`/rest/events?since=${since}&timeout=2`);
  await new Promise((r) => setTimeout(r, 200));
  const after = await scrape(s);
  await parked;

  assert.equal(sample(after, 'synchro_folders'), 1);
  assert.equal(sample(after, 'synchro_folder_state', { folder: 'f', state: 'idle' }), 1);
  assert.equal(sample(after, 'synchro_folder_files', { folder: 'f', scope: 'local' }), 2);
  assert.equal(sample(after, 'synchro_folder_bytes', { folder: 'f', scope: 'global' }), 150_000);
  assert.equal(sample(after, 'synchro_folder_files', { folder: 'f', scope: 'need' }), 0);
  assert.equal(sample(after, 'synchro_scanner_hashed_bytes_total'), 150_000);
  assert.ok(sample(after, 'synchro_folder_scan_duration_seconds_count', { folder: 'f' })! >= 1);
  assert.ok(sample(after, 'synchro_events_total', { type: 'StateChanged' })! >= 3);
  assert.ok(sample(after, 'synchro_events_total', { type: 'ConfigSaved' })! >= 1);
  assert.ok(sample(after, 'synchro_event_polls_waiting')! >= 1);
  // The loop-delay sampler runs all the time and its histogram only ever grows.
  const loopCount = (text: string) => sample(text, 'synchro_eventloop_delay_seconds_count')!;
  assert.ok(loopCount(after) > loopCount(before), `${loopCount(before)} → ${loopCount(after)}`);
  assert.equal(sample(after, 'synchro_eventloop_delay_seconds_bucket', { le: '+Inf' }), loopCount(after));
  // Requests are labelled by route template and status, never by raw URL.
  assert.ok(sample(after, 'synchro_http_requests_total', { method: 'POST', route: '/rest/config/folders', status: '200' })! >= 1);
  assert.ok(sample(after, 'synchro_http_requests_total', { method: 'GET', route: '/rest/events', status: '200' })! >= 1);
  assert.ok(sample(after, 'synchro_http_request_duration_seconds_count', { method: 'POST', route: '/rest/db/scan' })! >= 1);
  // A long poll is timed to its end, not to when its handler handed the response off.
  const diskSince = (await s.json('/rest/events/disk?since=0&timeout=0')).at(-1)?.id ?? 0;
  await (await s.req(`/rest/events/disk?since=${diskSince}&timeout=1`)).text();
  await s.req('/rest/db/status?folder=nope');
  await s.req('/rest/no/such/route');
  const later = await scrape(s);
  assert.equal(sample(later, 'synchro_http_requests_total', { method: 'GET', route: '/rest/db/status', status: '404' }), 1);
  assert.equal(sample(later, 'synchro_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }), 1);
  assert.doesNotMatch(later, /folder=nope|no\/such/);
  assert.ok(sample(later, 'synchro_http_request_duration_seconds_sum', { method: 'GET', route: '/rest/events/disk' })! >= 0.9);
});

test("/metrics also carries Syncthing's own metric names (>= 1.24), for its dashboards", async (t) => {
  const { s, root, add } = await folderSetup(t);
  await write(root, 'a.bin', Buffer.alloc(100_000, 1));
  await write(root, 'd/b.bin', Buffer.alloc(50_000, 2));
  await add();
  const text = await scrape(s);
  const f = { folder: 'f' };
  assert.equal(sample(text, 'syncthing_model_folder_state', f), 0, 'idle is 0 in Syncthing numbering');
  assert.equal(sample(text, 'syncthing_model_folder_summary', { ...f, scope: 'global', type: 'files' }), 2);
  assert.equal(sample(text, 'syncthing_model_folder_summary', { ...f, scope: 'local', type: 'directories' }), 1);
  assert.equal(sample(text, 'syncthing_model_folder_summary', { ...f, scope: 'global', type: 'bytes' }), 150_000);
  assert.equal(sample(text, 'syncthing_model_folder_summary', { ...f, scope: 'need', type: 'deleted' }), 0);
  assert.ok(sample(text, 'syncthing_model_folder_scans_total', f)! >= 1);
  assert.ok(sample(text, 'syncthing_model_folder_scan_seconds_total', f)! > 0);
  assert.equal(sample(text, 'syncthing_scanner_hashed_bytes_total', f), 150_000);
  assert.equal(sample(text, 'syncthing_model_folder_pulls_total', f), 0, 'registered at zero, as Syncthing does');
  assert.equal(sample(text, 'syncthing_model_folder_processed_bytes_total', { ...f, source: 'network' }), 0);
  assert.ok(sample(text, 'syncthing_events_total', { event: 'StateChanged', state: 'created' })! >= 3);
  for (const family of ['syncthing_protocol_sent_bytes_total', 'syncthing_protocol_recv_bytes_total', 'syncthing_protocol_sent_messages_total', 'syncthing_protocol_recv_messages_total']) {
    assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
  }
  // A paused folder stays listed, with an empty summary (it has no running file set).
  await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": true}' });
  assert.equal(sample(await scrape(s), 'syncthing_model_folder_summary', { ...f, scope: 'global', type: 'files' }), 0);
});

test('/metrics needs credentials unless gui.metricsWithoutAuth', async (t) => {
  const { s } = await folderSetup(t);
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'admin', password: 'secret-pass' }) });
  const denied = await s.req('/metrics', { key: false });
  assert.ok([401, 403].includes(denied.status), String(denied.status));
  const bearer = await s.req('/metrics', { key: false, headers: { Authorization: `Bearer ${s.apiKey}` } });
  assert.equal(bearer.status, 200);
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ metricsWithoutAuth: true }) });
  const open = await s.req('/metrics', { key: false });
  assert.equal(open.status, 200);
  assert.match(await open.text(), /^# HELP /m);
  assert.equal((await s.req('/rest/system/status', { key: false })).status === 200, false, 'only /metrics is opened');
});
