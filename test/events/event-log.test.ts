import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog } from '../../src/events/event-log.js';
import { DEFAULT_EVENTS, DISK_EVENTS, parseEventMask } from '../../src/events/mask.js';
import { systemClock } from '../../src/shared/clock.js';

const log = () => new EventLog({ clock: systemClock });
const ids = (evs: { id: number }[]) => evs.map((e) => e.id);

test('the default stream leaves out the disk events; the disk stream has only them', async () => {
  const l = log();
  l.append('Starting', {});
  l.append('LocalChangeDetected', {});
  l.append('ConfigSaved', {});
  const def = await l.poll(DEFAULT_EVENTS, { since: 0, limit: 0, timeoutMs: 0 });
  const disk = await l.poll(DISK_EVENTS, { since: 0, limit: 0, timeoutMs: 0 });
  assert.deepEqual(def.map((e) => [e.id, e.event.globalID, e.event.type]), [[1, 1, 'Starting'], [2, 3, 'ConfigSaved']]);
  assert.deepEqual(disk.map((e) => [e.id, e.event.globalID]), [[1, 2]]);
});

test('a new mask starts empty at id 1 and sees only later events', async () => {
  const l = log();
  l.append('ConfigSaved', {});
  const mask = parseEventMask('ConfigSaved');
  assert.deepEqual(await l.poll(mask, { since: 0, limit: 0, timeoutMs: 0 }), []);
  l.append('ConfigSaved', {});
  const got = await l.poll(mask, { since: 0, limit: 0, timeoutMs: 0 });
  assert.deepEqual(got.map((e) => [e.id, e.event.globalID]), [[1, 2]]);
});

test('limit keeps the newest N; since skips older ones', async () => {
  const l = log();
  for (let i = 0; i < 5; i++) l.append('ConfigSaved', i);
  assert.deepEqual(ids(await l.poll(DEFAULT_EVENTS, { since: 0, limit: 2, timeoutMs: 0 })), [4, 5]);
  assert.deepEqual(ids(await l.poll(DEFAULT_EVENTS, { since: 3, limit: 0, timeoutMs: 0 })), [4, 5]);
});

test('the ring keeps the last 1000 events', async () => {
  const l = log();
  for (let i = 0; i < 1100; i++) l.append('ConfigSaved', i);
  const got = await l.poll(DEFAULT_EVENTS, { since: 0, limit: 0, timeoutMs: 0 });
  assert.equal(got.length, 1000);
  assert.equal(got[0]!.id, 101);
  assert.equal(got.at(-1)!.id, 1100);
});

test('a poll waits for the next event, a future since keeps waiting, a timeout answers []', async () => {
  const l = log();
  l.append('Starting', {});
  const waiting = l.poll(DEFAULT_EVENTS, { since: 1, limit: 0, timeoutMs: 5000 });
  const future = l.poll(DEFAULT_EVENTS, { since: 10, limit: 0, timeoutMs: 100 });
  assert.equal(l.waiting, 2);
  l.append('ConfigSaved', {});
  assert.deepEqual(ids(await waiting), [2]);
  assert.deepEqual(await future, []);
  assert.equal(l.waiting, 0);
});

test('an aborted poll is released at once and consumes nothing', async () => {
  const l = log();
  const ac = new AbortController();
  const p = l.poll(DEFAULT_EVENTS, { since: 0, limit: 0, timeoutMs: 60_000, signal: ac.signal });
  assert.equal(l.waiting, 1);
  ac.abort();
  assert.deepEqual(await p, []);
  assert.equal(l.waiting, 0);
  l.append('ConfigSaved', {});
  assert.deepEqual(ids(await l.poll(DEFAULT_EVENTS, { since: 0, limit: 0, timeoutMs: 0 })), [1]);
});

test('unknown names make an empty mask that never matches', async () => {
  const l = log();
  const mask = parseEventMask('NoSuchEvent');
  assert.equal(mask, 0n);
  l.append('ConfigSaved', {});
  assert.deepEqual(await l.poll(mask, { since: 0, limit: 0, timeoutMs: 20 }), []);
});

test('custom masks are bounded: the least recently used is dropped', async () => {
  const l = new EventLog({ clock: systemClock, maxMasks: 2 });
  const a = parseEventMask('ConfigSaved');
  const b = parseEventMask('StateChanged');
  const c = parseEventMask('FolderSummary');
  l.subscription(a);
  l.append('ConfigSaved', {});
  l.subscription(b);
  l.subscription(c); // drops a
  assert.deepEqual(await l.poll(a, { since: 0, limit: 0, timeoutMs: 0 }), [], 'a dropped mask starts over, like after a restart');
});

test('after() finds since by arithmetic and agrees with a plain filter, before and after the ring wraps', () => {
  const l = log();
  const sub = l.subscription(DEFAULT_EVENTS);
  for (const total of [0, 1, 999, 1000, 1001, 1500, 2999]) {
    while (sub.lastId < total) l.append('ConfigSaved', null);
    // What the ring must hold: the last 1000 ids, counted independently of the ring.
    const held = Array.from({ length: Math.min(total, 1000) }, (_, i) => ({ id: total - Math.min(total, 1000) + 1 + i }));
    for (const since of [-5, 0, 1, total - 1000, total - 999, total - 1, total, total + 3]) {
      for (const limit of [0, 1, 7, 5000]) {
        let want = held.filter((e) => e.id > since);
        if (limit > 0) want = want.slice(-limit);
        assert.deepEqual(ids(sub.after(since, limit)), ids(want), `total ${total} since ${since} limit ${limit}`);
      }
    }
  }
});

test('replay merges both built-in rings by globalID, filters the mask, and says when events were dropped', () => {
  const l = log();
  l.append('Starting', {}); // 1
  l.append('LocalChangeDetected', {}); // 2
  l.append('ConfigSaved', {}); // 3
  l.append('LocalChangeDetected', {}); // 4
  l.append('StateChanged', {}); // 5
  const all = l.replay(parseEventMask('LocalChangeDetected,ConfigSaved,StateChanged'), 2);
  assert.deepEqual(all.events.map((e) => e.globalID), [3, 4, 5]);
  assert.equal(all.complete, true);
  assert.deepEqual(l.replay(parseEventMask('LocalChangeDetected'), 0).events.map((e) => e.globalID), [2, 4]);
  assert.deepEqual(l.replay(0n, 0).events, []);
  for (let i = 0; i < 1200; i++) l.append('ConfigSaved', i);
  assert.equal(l.replay(DEFAULT_EVENTS, 3).complete, false, 'the default ring has dropped events after 3');
  assert.equal(l.replay(DISK_EVENTS, 0).complete, true, 'the disk ring has not wrapped');
});

test('listeners get later events of their mask, grouped so that no listener is matched twice', () => {
  const l = log();
  const got: string[] = [];
  const stopA = l.listen(parseEventMask('ConfigSaved'), (e) => got.push(`a${e.globalID}`));
  const stopB = l.listen(parseEventMask('ConfigSaved'), (e) => got.push(`b${e.globalID}`));
  l.listen(DISK_EVENTS, (e) => got.push(`d${e.globalID}`));
  l.append('ConfigSaved', {});
  l.append('LocalChangeDetected', {});
  stopA();
  l.append('ConfigSaved', {});
  stopB();
  assert.deepEqual(got, ['a1', 'b1', 'd2', 'b3']);
  assert.equal(l.listening, 1);
  assert.equal(l.masks, 0, 'listening creates no subscription');
});
