import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_QUIET_MS, MAX_TOTAL, SETTLE_MS, WatchAggregator, watchTimes } from '../../src/services/watch-aggregator.js';
import { ManualClock } from '../support/manual-clock.js';

/** An aggregator on a manual clock that records each scan request with the time it was made. */
function setup(delayS = 10, fastPath = false, scanMs = 0) {
  const clock = new ManualClock();
  const start = clock.nowMs();
  const scans: { at: number; paths: string[] }[] = [];
  const agg = new WatchAggregator(watchTimes(delayS, 0), clock, async (paths) => {
    scans.push({ at: clock.nowMs() - start, paths });
    if (scanMs) await new Promise<void>((r) => clock.setTimeout(r, scanMs));
  }, fastPath);
  return { clock, agg, scans, at: (ms: number) => start + ms };
}

test('automatic timeouts follow Syncthing: 6 × delay below 10 s, 60 s below 60 s, else the delay; an explicit one never below the delay', () => {
  assert.deepEqual(watchTimes(1, 0), { delayMs: 1000, timeoutMs: 6000 });
  assert.deepEqual(watchTimes(10, 0), { delayMs: 10_000, timeoutMs: 60_000 });
  assert.deepEqual(watchTimes(90, 0), { delayMs: 90_000, timeoutMs: 90_000 });
  assert.deepEqual(watchTimes(10, 5), { delayMs: 10_000, timeoutMs: 10_000 });
  assert.deepEqual(watchTimes(2, 30), { delayMs: 2000, timeoutMs: 30_000 });
});

test('a quiet change is scanned at the first tick after it has been still for half the delay', async () => {
  const { clock, agg, scans } = setup(10);
  agg.add('a.txt', 'nonremove');
  await clock.advance(9_999);
  assert.equal(scans.length, 0);
  await clock.advance(1);
  assert.deepEqual(scans, [{ at: 10_000, paths: ['a.txt'] }]);
  assert.equal(agg.size, 0);
});

test('a change made late in a tick waits for the next tick (0.5–1.5 × delay)', async () => {
  const { clock, agg, scans } = setup(10);
  agg.add('a.txt', 'nonremove');
  await clock.advance(6_000);
  agg.add('b.txt', 'nonremove');
  await clock.advance(4_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: ['a.txt'] }]);
  await clock.advance(10_000);
  assert.deepEqual(scans.at(-1), { at: 20_000, paths: ['b.txt'] });
});

test('a path that keeps changing is scanned at the timeout, and again once it is quiet', async () => {
  const { clock, agg, scans } = setup(2);
  for (let t = 0; t < 20_000; t += 400) {
    agg.add('growing.log', 'nonremove');
    await clock.advance(400);
  }
  assert.deepEqual(scans.map((s) => s.at), [12_000]);
  await clock.advance(4_000);
  assert.equal(scans.length, 2);
});

test('removals wait while other changes are pending, go last in one flush, and go at once when only removals remain', async () => {
  const { clock, agg, scans } = setup(10);
  agg.add('gone.txt', 'remove');
  agg.add('new.txt', 'nonremove');
  agg.add('both.txt', 'nonremove');
  agg.add('both.txt', 'remove');
  await clock.advance(10_000);
  // With new.txt taken, only removal-type entries remain; they are quiet, so they go in the same flush, mixed before remove.
  assert.deepEqual(scans, [{ at: 10_000, paths: ['new.txt'] }, { at: 10_000, paths: ['both.txt'] }, { at: 10_000, paths: ['gone.txt'] }]);
});

test('removals that are still changing wait for the timeout whatever else is pending', async () => {
  const { clock, agg, scans } = setup(10);
  for (let t = 0; t < 60_000; t += 1000) {
    agg.add('busy.txt', 'nonremove');
    if (t === 0) agg.add('old.txt', 'remove');
    await clock.advance(1000);
  }
  assert.deepEqual(scans, [{ at: 60_000, paths: ['busy.txt'] }, { at: 60_000, paths: ['old.txt'] }]);
});

test('a tracked directory covers changes beneath it, and tracking a directory absorbs what was tracked below', async () => {
  const { clock, agg, scans } = setup(10);
  agg.add('dir/a', 'nonremove');
  agg.add('dir/sub/b', 'remove');
  assert.equal(agg.size, 2);
  agg.add('dir', 'nonremove');
  assert.equal(agg.size, 1);
  agg.add('dir/c', 'nonremove');
  assert.equal(agg.size, 1);
  // The directory saw a removal, but nothing else is pending, so it need not wait for the timeout.
  await clock.advance(10_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: ['dir'] }]);
});

test('more than 128 changed children of one directory become a scan of that directory', async () => {
  const { clock, agg, scans } = setup(10);
  for (let i = 0; i < 200; i++) agg.add(`photos/${String(i).padStart(3, '0')}.jpg`, 'nonremove');
  assert.equal(agg.size, 1);
  await clock.advance(10_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: ['photos'] }]);
});

test('512 tracked paths become one full scan, and everything after it is covered by it', async () => {
  const { clock, agg, scans } = setup(10);
  for (let i = 0; i < 600; i++) agg.add(`f${i}`, 'nonremove');
  assert.equal(agg.saturated, true);
  assert.equal(agg.size, 1);
  await clock.advance(10_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: [] }]);
  assert.equal(agg.saturated, false);
});

test('a pending full scan waits while the folder keeps changing, as any busy path does', async () => {
  const { clock, agg, scans } = setup(1);
  for (let i = 0; i < 600; i++) agg.add(`f${i}`, 'nonremove');
  for (let t = 0; t < 3_000; t += 100) {
    agg.add(`g${t}`, 'nonremove');
    await clock.advance(100);
  }
  assert.equal(scans.length, 0);
  await clock.advance(1_000);
  assert.deepEqual(scans, [{ at: 4000, paths: [] }]);
});

test('a pending full scan that never gets quiet goes at the timeout', async () => {
  const { clock, agg, scans } = setup(1);
  for (let i = 0; i < 600; i++) agg.add(`f${i}`, 'nonremove');
  for (let t = 0; t < 6_000; t += 100) {
    agg.add(`g${t}`, 'nonremove');
    await clock.advance(100);
  }
  assert.deepEqual(scans, [{ at: 6000, paths: [] }]);
});

test('a burst of 100,000 creations spread over directories stays bounded and ends in one full scan', async () => {
  const { clock, agg, scans } = setup(1);
  let peak = 0;
  for (let i = 0; i < 100_000; i++) {
    agg.add(`d${i % 1000}/f${i}`, i % 3 === 0 ? 'remove' : 'nonremove');
    peak = Math.max(peak, agg.size);
  }
  assert.ok(peak <= MAX_TOTAL, `peak ${peak}`);
  await clock.advance(10_000);
  assert.deepEqual(scans, [{ at: 1000, paths: [] }]);
});

test('an event for the folder root is a full scan', async () => {
  const { clock, agg, scans } = setup(10);
  agg.add('x', 'nonremove');
  agg.add('.', 'nonremove');
  await clock.advance(10_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: [] }]);
});

test('while a scan runs nothing else is sent, and the time it took comes off the next delay', async () => {
  const { clock, agg, scans } = setup(10, false, 4_000);
  agg.add('a', 'nonremove');
  await clock.advance(10_000);
  agg.add('b', 'nonremove');
  await clock.advance(4_000);
  assert.deepEqual(scans, [{ at: 10_000, paths: ['a'] }]);
  // The flush ended at 14 s, so the next tick is at 20 s rather than 24 s.
  await clock.advance(6_000);
  assert.deepEqual(scans.at(-1), { at: 20_000, paths: ['b'] });
});

test('fast path: a change after a quiet spell is scanned after the settle time, not after the delay', async () => {
  const { clock, agg, scans } = setup(10, true);
  agg.add('note.md', 'nonremove');
  agg.add('note.md~', 'remove');
  await clock.advance(SETTLE_MS);
  assert.deepEqual(scans, [{ at: SETTLE_MS, paths: ['note.md', 'note.md~'] }]);
  // Another lone change after a quiet second takes the fast path again.
  await clock.advance(FAST_QUIET_MS);
  agg.add('note.md', 'nonremove');
  await clock.advance(SETTLE_MS);
  assert.equal(scans.length, 2);
});

test('fast path: changes right after the fast scan aggregate as usual', async () => {
  const { clock, agg, scans } = setup(10, true);
  agg.add('a', 'nonremove');
  await clock.advance(SETTLE_MS);
  agg.add('b', 'nonremove');
  await clock.advance(9_000);
  assert.deepEqual(scans.map((s) => s.paths), [['a']]);
  await clock.advance(2_000);
  assert.deepEqual(scans.map((s) => s.paths), [['a'], ['b']]);
});

test('fast path: a file still being written at the end of the settle time waits until it is quiet', async () => {
  const { clock, agg, scans } = setup(1, true);
  for (let t = 0; t < 3_000; t += 20) {
    agg.add('download.iso', 'nonremove');
    await clock.advance(20);
  }
  assert.equal(scans.length, 0);
  await clock.advance(1_500);
  assert.deepEqual(scans.map((s) => s.paths), [['download.iso']]);
  assert.ok(scans[0]!.at >= 3_000 + 500);
});

test('fast path: a file that kept changing through the first half of the settle time takes the normal route', async () => {
  const { clock, agg, scans } = setup(1, true);
  agg.add('slow.bin', 'nonremove');
  await clock.advance(SETTLE_MS / 2);
  agg.add('slow.bin', 'nonremove');
  await clock.advance(SETTLE_MS / 2);
  assert.equal(scans.length, 0);
  await clock.advance(1000);
  assert.deepEqual(scans.map((s) => s.paths), [['slow.bin']]);
});

test('fast path: a burst spills into normal aggregation', async () => {
  const { clock, agg, scans } = setup(10, true);
  for (let i = 0; i < 300; i++) agg.add(`burst/${i}`, 'nonremove');
  await clock.advance(SETTLE_MS);
  assert.equal(scans.length, 0);
  await clock.advance(10_000);
  assert.deepEqual(scans.map((s) => s.paths), [['burst']]);
});

test('stop cancels everything pending', async () => {
  const { clock, agg, scans } = setup(1, true);
  agg.add('a', 'nonremove');
  for (let i = 0; i < 10; i++) agg.add(`b${i}`, 'nonremove');
  agg.stop();
  agg.add('c', 'nonremove');
  await clock.advance(60_000);
  assert.equal(scans.length, 0);
});
