import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, folderSetup, write } from '../support/folder-helpers.js';
import type { TestServer } from '../support/test-server.js';

async function setup(t: { after: (fn: () => Promise<void>) => void }, jobExpireMs?: number) {
  return folderSetup(t, {}, { jobExpireMs });
}

async function startJob(s: TestServer, p: string, init: RequestInit = {}): Promise<number> {
  const res = await s.req(p, { method: 'POST', ...init });
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  const body = (await res.json()) as { jobid: number };
  assert.deepEqual(Object.keys(body), ['jobid']);
  assert.ok(Number.isInteger(body.jobid) && body.jobid > 0);
  return body.jobid;
}

async function finished(s: TestServer, id: number, ms = 15_000): Promise<any> {
  const end = Date.now() + ms;
  for (;;) {
    const st = await s.json(`/rest/jobs/status?jobid=${id}`);
    if (st.finished) return st;
    if (Date.now() > end) throw new Error(`job ${id} not finished: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('_async=true: a scan answers at once with a job id; the job reports its times, result and progress', async (t) => {
  const { s, root } = await setup(t);
  await write(root, 'a.txt', 'x'.repeat(1000));
  await addFolder(s, 'f', root);
  await write(root, 'b.txt', 'new');
  const id = await startJob(s, '/rest/db/scan?folder=f&_async=true');
  assert.ok((await s.json('/rest/jobs')).jobids.includes(id));
  const st = await finished(s, id);
  assert.deepEqual(Object.keys(st), ['id', 'group', 'startTime', 'endTime', 'duration', 'finished', 'success', 'error', 'output', 'progress']);
  assert.deepEqual([st.id, st.group, st.success, st.error, st.output], [id, 'db/scan', true, '', null]);
  assert.ok(Date.parse(st.endTime) >= Date.parse(st.startTime) && st.duration >= 0);
  assert.equal(st.progress.folder, 'f');
  assert.equal((await s.json('/rest/db/status?folder=f')).localFiles, 2);
  // A failing call is a failed job with the error the synchronous call would have given.
  const bad = await finished(s, await startJob(s, '/rest/db/scan?folder=nope&_async=true'));
  assert.deepEqual([bad.success, bad.error], [false, 'no such folder']);
  // _async=false is the plain call.
  const plain = await s.req('/rest/db/scan?folder=f&_async=false', { method: 'POST' });
  assert.deepEqual([plain.status, await plain.text()], [200, '']);
});

test('_async in a JSON body: revert, override and a restore run as jobs; the restore job outputs the failure map', async (t) => {
  const { s, root } = await setup(t);
  await write(root, 'added.txt', 'local');
  await addFolder(s, 'f', root, { type: 'receiveonly', versioning: { type: 'simple' } });
  const rev = await finished(s, await startJob(s, '/rest/db/revert?folder=f', { body: JSON.stringify({ _async: true }) }));
  assert.deepEqual([rev.group, rev.success], ['db/revert', true]);
  assert.equal(await fs.stat(path.join(root, 'added.txt')).then(() => true, () => false), false);
  assert.equal((await s.json('/rest/db/status?folder=f')).receiveOnlyTotalItems, 0);

  const ovr = await finished(s, await startJob(s, '/rest/db/override?folder=unknown&_async=true'));
  assert.deepEqual([ovr.group, ovr.success], ['db/override', true]);

  const versions = await s.json('/rest/folder/versions?folder=f');
  const [when] = versions['added.txt'].map((v: any) => v.versionTime);
  const res = await finished(s, await startJob(s, '/rest/folder/versions?folder=f', { body: JSON.stringify({ 'added.txt': when, 'missing.txt': when, _async: true }) }));
  assert.deepEqual([res.group, res.success, res.output], ['folder/versions', true, { 'missing.txt': 'simple versioner: restore: version not found' }]);
  assert.equal(await fs.readFile(path.join(root, 'added.txt'), 'utf8'), 'local');
});

test('POST /rest/jobs/stop: a queued scan job ends as stopped and the folder is not left in error', async (t) => {
  const { s, dir, root } = await setup(t);
  const script = path.join(dir, 'slow.sh');
  await fs.writeFile(script, '#!/bin/sh\nsleep 1.5\nrm -f "$1/$2"\n', { mode: 0o755 });
  await write(root, 'slow.txt', 'x');
  await addFolder(s, 'f', root, { type: 'receiveonly', versioning: { type: 'external', params: { command: `${script} %FOLDER_PATH% %FILE_PATH%` } } });
  // The revert holds the folder for 1.5 s; the scan job waits behind it, and is stopped there.
  const revert = await startJob(s, '/rest/db/revert?folder=f&_async=true');
  const scan = await startJob(s, '/rest/db/scan?folder=f&_async=true');
  const stop = await s.req(`/rest/jobs/stop?jobid=${scan}`, { method: 'POST' });
  assert.deepEqual([stop.status, await stop.text()], [200, '']);
  const st = await finished(s, scan);
  assert.deepEqual([st.success, st.error], [false, 'job stopped']);
  assert.equal((await finished(s, revert)).success, true);
  const status = await s.json('/rest/db/status?folder=f');
  assert.deepEqual([status.state, status.error ?? ''], ['idle', '']);
});

test('jobs: unknown ids are 404, bad ids and bad _async values 400; finished jobs expire', async (t) => {
  const { s, root } = await setup(t, 300);
  await addFolder(s, 'f', root);
  for (const p of ['/rest/jobs/status?jobid=999']) assert.equal((await s.req(p)).status, 404);
  assert.equal((await s.req('/rest/jobs/stop?jobid=999', { method: 'POST' })).status, 404);
  for (const bad of ['abc', '-1', '1.5', '']) {
    assert.equal((await s.req(`/rest/jobs/status?jobid=${bad}`)).status, 400, bad);
    assert.equal((await s.req(`/rest/jobs/stop?jobid=${bad}`, { method: 'POST' })).status, 400, bad);
  }
  for (const [p, body] of [
    ['/rest/db/scan?folder=f&_async=yes', undefined],
    ['/rest/db/scan?folder=f&_async=1', undefined],
    ['/rest/db/scan?folder=f&_async=true&_async=false', undefined],
    ['/rest/db/revert?folder=f', '{"_async": "true"}'],
    ['/rest/db/override?folder=f', '{"_async": 1}'],
    ['/rest/folder/versions?folder=f', '{"_async": null}'],
  ] as const) {
    const res = await s.req(p, { method: 'POST', body });
    assert.equal(res.status, 400, `${p} ${body}`);
    assert.match(await res.text(), /_async must be true or false/);
  }
  assert.deepEqual((await s.json('/rest/jobs')).jobids, []);
  const id = await startJob(s, '/rest/db/scan?folder=f&_async=true');
  await finished(s, id);
  assert.deepEqual((await s.json('/rest/jobs')).jobids, [id]);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await s.req(`/rest/jobs/status?jobid=${id}`)).status, 404);
  assert.deepEqual((await s.json('/rest/jobs')).jobids, []);
});
