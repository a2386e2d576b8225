import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from '../../src/shared/go-duration.js';

test('Go durations as time.ParseDuration reads them, in milliseconds', () => {
  const cases: [string, number | undefined][] = [
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['-1.5s', -1500],
    ['+2m', 120_000],
    ['.5s', 500],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['-0', 0],
    ['1m1s1ms', 61_001],
    ['', undefined],
    ['30', undefined],
    ['s', undefined],
    ['1x', undefined],
    ['1s ', undefined],
    [' 1s', undefined],
    ['1..2s', undefined],
    ['--1s', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseGoDuration(text), want, JSON.stringify(text));
});
