import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ScanPool } from '../../src/scanner/worker-pool.js';
import { compileGlob } from '../../src/shared/glob.js';
import { addFolder, folderSetup, scan, waitForEvent, write } from '../support/folder-helpers.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Issue 22, hangs: FIFOs where files are expected, patterns that backtrack, a pause during a big
 * scan, and a marker removed during a scan. Each must end promptly with a clear answer, and the
 * rest of the service must go on. (Every test here has node:test's timeout as its hang detector.)
 */

const TIMEOUT = { timeout: 60_000 };
const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

test('a FIFO as .stignore, as an #include, or as a file being hashed never hangs anything', TIMEOUT, async (t) => {
  const { s, root, dir, add } = await folderSetup(t);
  await write(root, 'a.txt', 'a');
  await add();
  // .stignore as a FIFO: the ignores answer at once with an error, the scan stops on it, config writes go on.
  mkfifo(path.join(root, '.stignore'));
  const ign = await s.json('/rest/db/ignores?folder=f');
  assert.match(ign.error, /\.stignore is not a regular file/);
  const res = await scan(s, 'f');
  assert.equal(res.status, 500);
  assert.match(await res.text(), /loading ignores: parse error: \.stignore is not a regular file/);
  assert.equal((await s.req('/rest/config/options', { method: 'PATCH', body: '{"maxFolderConcurrency": 3}' })).status, 200);
  const other = path.join(dir, 'other');
  await fs.mkdir(other);
  await write(other, 'b.txt', 'b');
  await addFolder(s, 'o', other);
  assert.equal((await s.json('/rest/db/status?folder=o')).localFiles, 1, 'another folder scans meanwhile');

  // An #include naming a FIFO.
  await fs.rm(path.join(root, '.stignore'));
  mkfifo(path.join(root, 'fifo-include'));
  await fs.writeFile(path.join(root, '.stignore'), '#include fifo-include\n');
  assert.match((await s.json('/rest/db/ignores?folder=f')).error, /fifo-include is not a regular file/);

  // A FIFO put where a file was: the hasher opens it without blocking and finds it is no file.
  const { dir: poolDir, cleanup } = await tempDir();
  t.after(cleanup);
  mkfifo(path.join(poolDir, 'pipe'));
  const pool = new ScanPool(1);
  t.after(() => pool.close());
  const [r] = await pool.hash(poolDir, [{ name: 'pipe', blockSize: 128 << 10 }]);
  assert.equal(r!.vanished, true);

  // And the service stops at once (SIGTERM's path) with all of this in place.
  const t0 = Date.now();
  await s.app.stop();
  t.diagnostic(`stopped in ${Date.now() - t0} ms`);
});

test('patterns that backtrack in a RegExp run in linear time: ignores, browse, and a malformed class is a clear error', TIMEOUT, async (t) => {
  const { s, root, add } = await folderSetup(t);
  const long = 'a'.repeat(120);
  await write(root, long, 'x');
  await write(root, `dir/${long}`, 'y');
  await fs.mkdir(path.join(root, 'e'.repeat(200)));
  await add();
  const res = await s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify({ ignore: ['**a**a**a**a**a**a**a**b', '*a*a*a*a*a*a*a*a*a*b'] }) });
  assert.equal(res.status, 200);
  const t0 = Date.now();
  assert.equal((await scan(s, 'f')).status, 200);
  t.diagnostic(`scan with the backtracking patterns: ${Date.now() - t0} ms`);
  assert.equal((await s.json(`/rest/db/file?folder=f&file=${long}`)).local.ignored, false);
  // A direct check of the engine on a worst case for a backtracking matcher.
  assert.equal(compileGlob('**a**a**a**a**a**a**a**a**a**a**b').test('a'.repeat(5000)), false);

  // system/browse: six stars and a long name answer at once.
  const t1 = Date.now();
  const browse = await s.req(`/rest/system/browse?current=${encodeURIComponent(root + '/******z')}`);
  assert.equal(browse.status, 200);
  assert.deepEqual(await browse.json(), []);
  t.diagnostic(`browse with six stars: ${Date.now() - t1} ms`);
  for (const bad of ['[z-a]', 'x[']) {
    const r = await s.req(`/rest/system/browse?current=${encodeURIComponent(root + '/' + bad)}`);
    assert.equal(r.status, 400, bad);
    assert.match(await r.text(), /invalid pattern/);
  }
  // In .stignore the same class is saved and reported, as Syncthing reports a bad pattern.
  const saved = (await (await s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify({ ignore: ['[z-a]'] }) })).json()) as { error: string };
  assert.match(saved.error, /character range z-a is out of order/);
});

test('pausing a folder during a big scan stops the walk and the hashing at once, and config writes do not wait', TIMEOUT, async (t) => {
  const { s, root, add } = await folderSetup(t);
  await add();
  // Big files only, so hashing is all the scan does: stopping has to reach into the workers.
  const chunk = Buffer.alloc(16 << 20, 7);
  for (let i = 0; i < 8; i++) {
    const fh = await fs.open(path.join(root, `big${i}.bin`), 'w');
    for (let k = 0; k < 12; k++) await fh.write(chunk);
    await fh.close();
  }
  // The scan as a job, whose status shows how far the hashing is: pause once it has begun.
  const job = (await (await s.req('/rest/db/scan?folder=f&_async=true', { method: 'POST' })).json()) as { jobid: number };
  const jobStatus = async () => (await s.json(`/rest/jobs/status?jobid=${job.jobid}`)) as { finished: boolean; success: boolean; error: string; progress: { current: number; total: number } | null };
  for (let p = await jobStatus(); !(p.progress && p.progress.current > 0); p = await jobStatus()) {
    assert.equal(p.finished, false, 'the scan is still running');
    await new Promise((r) => setTimeout(r, 5));
  }
  const t0 = Date.now();
  const res = await s.req('/rest/config/folders/f', { method: 'PATCH', body: '{"paused": true}' });
  const pausedMs = Date.now() - t0;
  assert.equal(res.status, 200);
  t.diagnostic(`paused ${pausedMs} ms into a running scan`);
  let done = await jobStatus();
  for (let i = 0; i < 200 && !done.finished; i++) done = await (new Promise((r) => setTimeout(r, 10)).then(jobStatus));
  assert.equal(done.finished, true, 'the scan job ended');
  assert.equal(done.success, false, 'as stopped');
  // The pause did not wait for the scan to finish: most of the big files were never hashed.
  let indexed = 0;
  for (let i = 0; i < 8; i++) if ((await s.req(`/rest/db/file?folder=f&file=big${i}.bin`)).status === 200) indexed++;
  assert.ok(indexed < 8, `the scan was stopped part way (${indexed} of 8 big files indexed)`);
  t.diagnostic(`${indexed} of 8 big files were hashed before the pause stopped the scan`);
  // Nothing of the folder runs any more: a second config write is immediate and nothing is indexed later.
  const seq = (await s.json('/rest/db/status?folder=f')).sequence;
  assert.equal((await s.req('/rest/config/options', { method: 'PATCH', body: '{"maxFolderConcurrency": 2}' })).status, 200);
  const after = await s.json('/rest/events?since=0&timeout=0');
  const lastId = after.at(-1).id;
  const more = await s.json(`/rest/events?since=${lastId}&timeout=1`);
  assert.deepEqual(more.filter((e: { type: string; data: { folder?: string } }) => e.data.folder === 'f' && e.type === 'LocalIndexUpdated'), []);
  assert.equal((await s.json('/rest/db/status?folder=f')).sequence, seq);
});

test('the marker removed during a scan fails that scan with "folder marker missing" and the process lives on', TIMEOUT, async (t) => {
  const { s, root, add } = await folderSetup(t);
  await add();
  for (let d = 0; d < 40; d++) {
    await fs.mkdir(path.join(root, `d${d}`));
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `f${i}`), `${d}/${i}`)));
  }
  const firstBatch = waitForEvent(s, 'LocalIndexUpdated', (e) => e.data.folder === 'f', 30_000);
  const running = scan(s, 'f');
  await firstBatch;
  await fs.rmdir(path.join(root, '.stfolder'));
  const res = await running;
  assert.equal(res.status, 500);
  assert.match(await res.text(), /folder marker missing/);
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.state, 'error');
  assert.match(st.error, /folder marker missing/);
  // Still answering, and nothing was recorded as deleted.
  assert.equal((await s.req('/rest/system/ping')).status, 200);
  assert.equal(st.localDeleted, 0);
});
