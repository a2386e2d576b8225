import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBook, logText } from '../../src/shared/logger.js';
import type { Clock } from '../../src/shared/clock.js';

const at = (ms: number) => ({ nowMs: () => ms, nowNs: () => BigInt(ms) * 1_000_000n }) as Clock;

test('text lines carry time, level, facility and message; JSON lines the same as fields', () => {
  const clock = at(Date.UTC(2026, 0, 2, 3, 4, 5));
  const text: string[] = [];
  const json: string[] = [];
  new LogBook(clock, (t) => void text.push(t)).logger('scanner').warn('disk "full"\nsecond line');
  new LogBook(clock, (t) => void json.push(t), 'json').logger('scanner').warn('disk "full"\nsecond line');
  assert.match(text[0]!, /^\d{4}-\d\d-\d\dT\S+ WARN scanner: disk "full"\nsecond line\n$/);
  assert.equal(json.length, 1);
  assert.ok(json[0]!.endsWith('\n') && !json[0]!.slice(0, -1).includes('\n'), 'one physical line per record');
  const o = JSON.parse(json[0]!);
  assert.deepEqual(Object.keys(o), ['time', 'level', 'facility', 'message']);
  assert.equal(o.level, 'WARN');
  assert.equal(o.facility, 'scanner');
  assert.equal(o.message, 'disk "full"\nsecond line');
  assert.equal(new Date(o.time).getTime(), clock.nowMs());
});

test('levels per facility: debug lines only where enabled; the ring keeps the facility', () => {
  const out: string[] = [];
  const book = new LogBook(at(0), (t) => void out.push(t));
  book.logger('model').debug('hidden');
  book.setLevel('model', 'debug');
  book.logger('model').debug('shown');
  book.logger('api').debug('hidden too');
  book.setLevel('api', 'error');
  book.logger('api').warn('below error');
  assert.equal(out.length, 1);
  assert.deepEqual(book.since().map((l) => [l.facility, l.level, l.message]), [['model', 'debug', 'shown']]);
  assert.deepEqual(book.debugEnabled(), ['model']);
  assert.match(logText(book.since()), /^\d{4}-\d\d-\d\dT\S+: shown\n$/);
});
