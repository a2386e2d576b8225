import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzSession } from './fuzz-session.js';

/** A short fuzz run on every `npm test` (the long one is `npm run fuzz`). A new seed each run; a failure prints it. */
test('fuzz: generated requests over every route keep the service up, answer documented statuses and lose nothing', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const runs = Number(process.env.FUZZ_RUNS ?? 400);
  let out;
  try {
    out = await fuzzSession({ runs, seed });
  } catch (err) {
    throw new Error(`fuzz failed with seed ${seed} (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)\n${(err as Error).message}`);
  }
  assert.ok(out.requests >= runs);
});

test('the fuzz property itself: an undocumented 500 or a refused method answered 200 by a write are caught', async () => {
  const { check } = await import('./fuzz-kit.js');
  const op = { method: 'GET', path: '/rest/system/status', query: [], statuses: new Set([200, 400, 403, 404]) };
  const r = { op, method: 'GET', url: '/rest/system/status', headers: {} };
  assert.equal(check(r, { status: 200 }), undefined);
  assert.match(check(r, { status: 500 }) ?? '', /500 is not a status/);
  assert.match(check({ ...r, method: 'TRACE' }, { status: 500 }) ?? '', /500 for a TRACE/);
  assert.equal(check({ ...r, url: '/rest/events' }, { status: 0, parked: true }), undefined);
});
