import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimeNs, formatTimeSeconds, parseRfc3339Ns } from '../../src/shared/time-format.js';

test('Go time format: trailing zeros trimmed, no fraction when zero', () => {
  process.env.TZ = 'UTC';
  assert.equal(formatTimeNs(1795350157_992467380n), '2026-11-22T12:22:37.99246738Z');
  assert.equal(formatTimeNs(1795350158_000000000n), '2026-11-22T12:22:38Z');
  assert.equal(formatTimeNs(1795350158_000000001n), '2026-11-22T12:22:38.000000001Z');
  assert.equal(formatTimeSeconds(0), '1970-01-01T00:00:00Z');
});

test('RFC 3339 parsing keeps nanoseconds and honours offsets', () => {
  assert.equal(parseRfc3339Ns('2026-11-22T12:22:37.99246738Z'), 1795350157_992467380n);
  assert.equal(parseRfc3339Ns('2026-11-22T17:52:38+05:30'), 1795350158_000000000n);
  assert.equal(parseRfc3339Ns('garbage'), undefined);
});

test('times render in the local zone with a numeric offset (TZ=Asia/Kolkata)', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'Asia/Kolkata';
  try {
    assert.equal(formatTimeNs(1795350273_543766548n), '2026-11-22T17:54:33.543766548+05:30');
    assert.equal(formatTimeSeconds(0), '1970-01-01T05:30:00+05:30');
  } finally {
    process.env.TZ = saved ?? 'UTC';
  }
});
