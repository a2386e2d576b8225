import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScanPool } from '../../src/scanner/worker-pool.js';

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
