import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScanPool } from '../../src/scanner/worker-pool.js';
import { tempDir } from '../support/temp-dir.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, limitMs: number, everyMs = 10): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > limitMs) throw new Error(`not reached within ${limitMs} ms`);
    await sleep(everyMs);
  }
}

test('the scan pool lets surplus workers go soon after a burst and keeps the first one warm', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'synchro-pool-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  const data = { a: randomBytes(3000), b: randomBytes(5000) };
  for (const [name, bytes] of Object.entries(data)) await fs.writeFile(path.join(root, name), bytes);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();

  const pool = new ScanPool(2, { firstMs: 3000, othersMs: 50 });
  t.after(() => pool.close());
  assert.equal(pool.running, 0, 'workers start on first use');

  // A second request goes to the running worker; a third finds it with two and starts the other.
  const ask = (name: 'a' | 'b') => pool.hash(root, [{ name, blockSize: 128 * 1024 }]);
  const pa = ask('a');
  const pb = ask('b');
  assert.equal(pool.running, 1);
  const burst = Promise.all([pa, pb, ask('a')]);
  assert.equal(pool.running, 2);
  const [[ra], [rb], [ra2]] = await burst;
  assert.deepEqual(Buffer.from(ra!.hashes), sha(data.a));
  assert.deepEqual(Buffer.from(rb!.hashes), sha(data.b));
  assert.deepEqual(Buffer.from(ra2!.hashes), sha(data.a));
  const done = performance.now();

  await until(() => pool.running === 1, 2000);
  assert.ok(performance.now() - done < 2000, 'the surplus worker left well before the first one');
  // Polled closely so that the next request comes while the worker let go is still exiting.
  await until(() => pool.running === 0, 10_000, 1);
  assert.ok(performance.now() - done >= 2500, `the first worker stayed about 3 s (${Math.round(performance.now() - done)} ms)`);

  // A request starts a worker again and is answered, even when the old one finishes exiting after
  // it came (its exit used to fail the new worker's requests: "scan worker exited (code 1)").
  const [again] = await pool.hash(root, [{ name: 'a', blockSize: 128 * 1024 }]);
  assert.deepEqual(Buffer.from(again!.hashes), sha(data.a));
  assert.equal(pool.running, 1);
});

test('a cancelled hash or walk stops in the worker itself, not just for the caller', { timeout: 20_000 }, async (t) => {
  const { dir: root, cleanup } = await tempDir();
  t.after(cleanup);
  // 8 GiB of holes: minutes to hash, a moment to make.
  const fh = await fs.open(path.join(root, 'huge'), 'w');
  await fh.truncate(8 * 2 ** 30);
  await fh.close();
  const pool = new ScanPool(1);
  t.after(() => pool.close());
  const abort = new AbortController();
  let hashed = 0;
  const req = pool.hash(root, [{ name: 'huge', blockSize: 16 << 20 }], abort.signal, (n) => (hashed += n));
  await until(() => hashed > 0, 10_000);
  abort.abort(new Error('stop'));
  await assert.rejects(req, /stop/);
  // The worker saw the cancel flag: its slot is free long before 8 GiB could have been hashed.
  await until(() => pool.outstanding === 0, 5_000, 1);
  t.diagnostic(`stopped after ${Math.round(hashed / 2 ** 20)} MiB`);
  // The same worker takes the next request at once.
  await fs.writeFile(path.join(root, 'small'), 'small');
  const [r] = await pool.hash(root, [{ name: 'small', blockSize: 128 * 1024 }]);
  assert.deepEqual(Buffer.from(r!.hashes), createHash('sha256').update('small').digest());

  // A walk of a big tree, cancelled, stops as well.
  for (let d = 0; d < 50; d++) {
    await fs.mkdir(path.join(root, `d${d}`));
    await Promise.all(Array.from({ length: 200 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `f${i}`), '')));
  }
  const walkAbort = new AbortController();
  let seen = 0;
  const walk = pool.walk({ root, sub: '', ignore: [], ignoreKey: 'none', autoNormalize: true, keepTemporariesH: 0, nowMs: Date.now() }, (entries) => {
    seen += entries.length;
    if (seen >= 1000) walkAbort.abort(new Error('enough'));
  }, walkAbort.signal);
  await assert.rejects(walk, /enough/);
  await until(() => pool.outstanding === 0, 5_000, 1);
  assert.ok(seen < 10_050, `the walk stopped part way (${seen} entries)`);
});
