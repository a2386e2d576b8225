import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockSizeFor, blockSizeWithHysteresis } from '../../src/scanner/block-size.js';

const KiB = 1024;
const MiB = 1024 * KiB;

test('Syncthing\'s block size table at every boundary (spec index §2.4)', () => {
  const table: [number, number][] = [
    [0, 128 * KiB],
    [1, 128 * KiB],
    [262_143_999, 128 * KiB],
    [262_144_000, 256 * KiB],
    [524_287_999, 256 * KiB],
    [524_288_000, 512 * KiB],
    [1_048_576_000, 1 * MiB],
    [2_097_152_000, 2 * MiB],
    [4_194_304_000, 4 * MiB],
    [8_388_607_999, 4 * MiB],
    [8_388_608_000, 8 * MiB],
    [16_777_216_000, 16 * MiB],
    [20 * 1024 * MiB * 4, 16 * MiB],
  ];
  for (const [size, want] of table) assert.equal(blockSizeFor(size), want, String(size));
});

test('rescans keep the old block size within a factor of two', () => {
  assert.equal(blockSizeWithHysteresis(262_144_000, 128 * KiB), 128 * KiB);
  assert.equal(blockSizeWithHysteresis(600_000_000, 128 * KiB), 512 * KiB);
  assert.equal(blockSizeWithHysteresis(100, 256 * KiB), 256 * KiB);
  assert.equal(blockSizeWithHysteresis(100, 1 * MiB), 128 * KiB);
  assert.equal(blockSizeWithHysteresis(100, undefined), 128 * KiB);
});
