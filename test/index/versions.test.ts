import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, type VectorOrdering } from '../../src/shared/file-info.js';
import { globalFlags, versionList, winsConflict, type Candidate } from '../../src/index/global.js';
import { shortIdHex, shortIdText, fullShortId, widenShortId } from '../../src/shared/device-id.js';
import { Flag } from '../../src/shared/file-info.js';

/** Vectors as Syncthing's tests write them: [[id, value], ...] with numeric IDs. */
const v = (...cs: [number | bigint, number][]): [string, number][] => cs.map(([id, n]) => [shortIdHex(BigInt(id)), n]);
const MAX = 2n ** 64n - 1n;

test("compareVersions gives Syncthing's Ordering for the vectors of its own test table (lib/protocol/vector_test.go)", () => {
  const cases: [[string, number][], [string, number][], VectorOrdering][] = [
    [v(), v(), 'equal'],
    [v(), v([42, 0]), 'equal'],
    [v([42, 0]), v(), 'equal'],
    [v([42, 0]), v([77, 0]), 'equal'],
    [v([42, 33]), v([42, 33]), 'equal'],
    [v([42, 33], [77, 24]), v([42, 33], [77, 24]), 'equal'],
    [v([42, 1]), v(), 'greater'],
    [v([0, 1]), v([0, 0]), 'greater'],
    [v([42, 1]), v([42, 0]), 'greater'],
    [v([MAX, 1]), v([MAX, 0]), 'greater'],
    [v([42, 2]), v([42, 1]), 'greater'],
    [v([22, 22], [42, 2]), v([22, 22], [42, 1]), 'greater'],
    [v([42, 2], [77, 3]), v([42, 1], [77, 3]), 'greater'],
    [v([22, 23], [42, 2], [77, 4]), v([22, 22], [42, 1], [77, 3]), 'greater'],
    [v(), v([42, 1]), 'lesser'],
    [v([42, 0]), v([42, 1]), 'lesser'],
    [v([22, 22], [42, 1], [77, 3]), v([22, 23], [42, 2], [77, 4]), 'lesser'],
    [v([42, 2]), v([43, 1]), 'concurrentGreater'],
    [v([43, 1]), v([42, 2]), 'concurrentLesser'],
    [v([22, 23], [42, 1]), v([22, 22], [42, 2]), 'concurrentGreater'],
    [v([22, 21], [42, 2]), v([22, 22], [42, 1]), 'concurrentLesser'],
    [v([22, 21], [42, 2], [43, 1]), v([20, 1], [22, 22], [42, 1]), 'concurrentLesser'],
  ];
  for (const [a, b, want] of cases) assert.equal(compareVersions(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

const cand = (id: number, device: number, version: [string, number][], o: Partial<Candidate> = {}): Candidate => ({
  id, device, version: version.map(([i, n]) => `${i}:${n}`).join(','), deleted: false, flags: 0, modifiedNs: 1_000n, ...o,
});

test("the global rule is 1.19.2's: greater wins, then valid over invalid, a modification over a deletion, the newer mtime, ConcurrentGreater", () => {
  const A = v([10, 5]);
  const B = v([20, 5]);
  // Concurrent, same mtime: the ConcurrentGreater vector wins (Compare walks from the lowest ID).
  assert.equal(compareVersions(A, B), 'concurrentGreater');
  assert.equal(winsConflict(cand(1, 1, A), cand(2, 2, B)), true);
  assert.equal(winsConflict(cand(2, 2, B), cand(1, 1, A)), false);
  // The newer mtime beats that.
  assert.equal(winsConflict(cand(2, 2, B, { modifiedNs: 2_000n }), cand(1, 1, A)), true);
  // A modification beats a deletion, however new the deletion.
  assert.equal(winsConflict(cand(2, 2, B), cand(1, 1, A, { deleted: true, modifiedNs: 9_000n })), true);
  // A valid copy beats an invalid one before anything else.
  assert.equal(winsConflict(cand(2, 2, B, { deleted: true }), cand(1, 1, A, { flags: Flag.Ignored })), true);

  // The list: a greater version first even when invalid; the global is the first valid entry.
  const list = versionList([cand(1, 1, v([10, 9]), { flags: Flag.ReceiveOnly }), cand(2, 2, v([10, 5])), cand(3, 3, v([10, 5]))]);
  assert.equal(list.length, 2);
  assert.deepEqual(list[0]!.invalid.map((c) => c.device), [1]);
  assert.deepEqual(list[1]!.valid.map((c) => c.device), [2, 3]);
  const flags = globalFlags([cand(1, 1, v([10, 9]), { flags: Flag.ReceiveOnly }), cand(2, 2, v([10, 5]))], 1);
  assert.equal(flags.get(2)! & Flag.Global, Flag.Global, 'the valid remote version is the global');
  assert.equal(flags.get(2)! & Flag.Needed, 0, 'a greater local version (a receive-only change) is not in need');
  // Need: an older local version needs the global; a deletion we never had does not.
  assert.equal(globalFlags([cand(1, 1, v([10, 4])), cand(2, 2, v([10, 5]))], 1).get(2)! & Flag.Needed, Flag.Needed);
  assert.equal(globalFlags([cand(2, 2, v([10, 5]), { deleted: true })], 1).get(2)! & Flag.Needed, 0);
  assert.equal(globalFlags([cand(2, 2, v([10, 5]))], 1).get(2)! & Flag.Needed, Flag.Needed);
  // Nothing is needed of an all-invalid or versionless global.
  assert.equal(globalFlags([cand(2, 2, v([10, 5]), { flags: Flag.RemoteInvalid })], 1).get(2)! & Flag.Needed, 0);
  assert.equal(globalFlags([cand(2, 2, [])], 1).get(2)! & Flag.Needed, 0);
  // Insertion order does not change the list.
  const rows = [cand(1, 1, A, { modifiedNs: 5n }), cand(2, 2, B, { modifiedNs: 5n }), cand(3, 3, v([30, 1]), { deleted: true })];
  assert.deepEqual(versionList(rows), versionList([...rows].reverse()));
});

test('ShortIDs: 16 hex digits in the index, the 7-character form in REST; old 7-character IDs widen to the known device or to zeros', () => {
  const id = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD';
  assert.equal(fullShortId(id).length, 16);
  assert.equal(shortIdText(fullShortId(id)), 'MFZWI3D');
  assert.equal(widenShortId('MFZWI3D', [id]), fullShortId(id));
  const unknown = widenShortId('ABCDEFG', [id]);
  assert.equal(shortIdText(unknown), 'ABCDEFG');
  assert.match(unknown, /^[0-9a-f]{16}$/);
  assert.equal(shortIdText(shortIdHex(MAX)), '7777777');
});
