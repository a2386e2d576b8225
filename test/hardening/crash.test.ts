import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../support/temp-dir.js';
import { crashHarness } from './crash-harness.js';

/** SIGKILL at random points of five kinds of work, 50 times each (CRASH_KILLS), in a 100,000-file tree (CRASH_FILES). */
test('crash safety: kill -9 during config saves, ignores writes, restores, reverts and a big scan loses nothing', { timeout: 20 * 60_000 }, async (t) => {
  const { dir, cleanup } = await tempDir('synchro-crash-');
  t.after(cleanup);
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
  const kills = Number(process.env.CRASH_KILLS ?? 50);
  const report = await crashHarness({ dir, seed, kills, scanFiles: Number(process.env.CRASH_FILES ?? 100_000), log: (m) => t.diagnostic(m) });
  t.diagnostic(`seed ${seed}: ${JSON.stringify(report.kills)}`);
  for (const n of Object.values(report.kills)) assert.equal(n, kills);
});
