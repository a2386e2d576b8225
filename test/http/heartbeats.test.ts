import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Timer } from '../../src/shared/clock.js';
import { Heartbeats } from '../../src/http/heartbeats.js';
import { ManualClock } from '../support/manual-clock.js';

/** Timers that run 2 ms before the clock says they are due, as Node's sometimes do against Date.now(). */
class EarlyTimers extends ManualClock {
  override setTimeout(fn: () => void, ms: number): Timer {
    return super.setTimeout(fn, ms - 2);
  }
}

test('a heartbeat due now beats on a tick that runs a little early, not one tick later', async () => {
  const clock = new EarlyTimers();
  const hb = new Heartbeats(clock);
  let beats = 0;
  const stop = hb.every(1000, () => beats++);
  await clock.advance(1000);
  assert.equal(beats, 1, 'the first beat came at 1 s');
  await clock.advance(1000);
  assert.equal(beats, 2, 'and the next one a second later');
  stop();
  assert.equal(hb.size, 0);
  await clock.advance(5000);
  assert.equal(beats, 2, 'nothing after stopping');
});

test('a heartbeat is never early by more than the slack: 5 s means 5 s', async () => {
  const clock = new ManualClock();
  const hb = new Heartbeats(clock);
  let beats = 0;
  hb.every(5000, () => beats++);
  await clock.advance(4000);
  assert.equal(beats, 0);
  await clock.advance(1000);
  assert.equal(beats, 1);
  await clock.advance(4000);
  assert.equal(beats, 1);
  await clock.advance(1000);
  assert.equal(beats, 2);
});
