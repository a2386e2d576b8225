import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileType, Flag, type FileInfo } from '../../src/shared/file-info.js';
import { revertAction } from '../../src/services/receive-only-revert.js';
import { overrideRecord } from '../../src/services/send-only-override.js';

/**
 * The decisions of revert and override for records another device announced. With one device
 * these branches cannot be reached over HTTP (the global record is always our own), so the rules
 * of spec index §7.1 are checked here on the records themselves.
 */

const rec = (over: Partial<FileInfo> = {}): FileInfo => ({
  name: 'a.txt',
  type: FileType.File,
  size: 10,
  modifiedNs: 1_700_000_000_123_000_000n,
  permissions: 0o644,
  noPermissions: false,
  deleted: false,
  localFlags: 0,
  version: [['AAAAAAA', 5]],
  modifiedBy: 'AAAAAAA',
  blockSize: 131072,
  blockHashes: new Uint8Array(32),
  blocksHash: new Uint8Array(32).fill(1),
  symlinkTarget: '',
  inodeChangeNs: 0n,
  sequence: 7,
  ...over,
});

test('revert: our own change is removed; a deleted one keeps its deletion with an empty version', () => {
  const local = rec({ localFlags: Flag.ReceiveOnly, version: [['MEMEMEM', 9]] });
  assert.deepEqual(revertAction(local, local), { kind: 'remove' });
  assert.deepEqual(revertAction(local, undefined), { kind: 'remove' });
  const gone = rec({ localFlags: Flag.ReceiveOnly, deleted: true, size: 0 });
  const r = revertAction(gone, gone);
  assert.equal(r.kind, 'record');
  if (r.kind === 'record') assert.deepEqual([r.file.deleted, r.file.localFlags, r.file.version], [true, 0, []]);
});

test('revert: a copy equal to the global takes the global record; a different one gets an empty version', () => {
  const global = rec({ version: [['OTHERXX', 3]], modifiedBy: 'OTHERXX', modifiedNs: 1_700_000_000_999_000_000n });
  const same = rec({ localFlags: Flag.ReceiveOnly, version: [['MEMEMEM', 9]] });
  const a = revertAction(same, global);
  assert.equal(a.kind, 'record');
  if (a.kind === 'record') assert.deepEqual([a.file.version, a.file.modifiedBy, a.file.localFlags], [[['OTHERXX', 3]], 'OTHERXX', 0]);
  const edited = rec({ localFlags: Flag.ReceiveOnly, size: 11, version: [['MEMEMEM', 9]] });
  const b = revertAction(edited, global);
  assert.equal(b.kind, 'record');
  if (b.kind === 'record') assert.deepEqual([b.file.version, b.file.size, b.file.localFlags], [[], 11, 0]);
});

test('override: skip invalid copies, delete what we lack, and make what we have strictly newer', () => {
  const global = rec({ version: [['OTHERXX', 3]] });
  assert.equal(overrideRecord(global, rec({ localFlags: Flag.Ignored }), 'MEMEMEM', 1_800_000_000), undefined);
  const lacking = overrideRecord(global, undefined, 'MEMEMEM', 1_800_000_000)!;
  assert.deepEqual([lacking.deleted, lacking.size, lacking.modifiedBy, lacking.version], [true, 0, 'MEMEMEM', [['MEMEMEM', 1_800_000_000], ['OTHERXX', 3]]]);
  const mine = overrideRecord(global, rec({ version: [['MEMEMEM', 4], ['OTHERXX', 1]] }), 'MEMEMEM', 1_800_000_000)!;
  assert.deepEqual(mine.version, [['MEMEMEM', 1_800_000_000], ['OTHERXX', 3]]);
  assert.equal(mine.deleted, false);
});
