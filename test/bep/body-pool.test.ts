import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BodyPool, bodyPool, POOL_MIN } from '../../src/bep/body-pool.js';
import { frame, FrameReader } from '../../src/bep/frame.js';
import { decodeResponse, encodeResponse, MessageType } from '../../src/bep/messages.js';

test('the pool hands back memory that was given back, and only that', () => {
  const p = new BodyPool(1 << 20);
  const a = p.take(200_000);
  assert.equal(a.length, 200_000);
  assert.ok(p.owns(a));
  assert.equal(a.buffer.byteLength % (64 << 10), 0, 'capacity in 64 KiB steps');
  const b = p.take(200_000);
  assert.ok(a.buffer !== b.buffer, 'memory that is out is never handed out twice');
  p.give(a.subarray(10, 20)); // any view of it gives it back
  assert.equal(p.idleBytes, a.buffer.byteLength);
  p.give(a); // a second give is ignored
  assert.equal(p.idleBytes, a.buffer.byteLength);
  const c = p.take(199_000); // the same 64 KiB step: the same memory
  assert.ok(c.buffer === a.buffer);
  assert.equal(p.idleBytes, 0);
  p.give(new Uint8Array(300_000)); // not ours
  p.give(new Uint8Array(new ArrayBuffer(1 << 17))); // a whole buffer of a pooled size, but not ours
  assert.equal(p.idleBytes, 0);
});

test('what the pool keeps free is bounded in bytes', () => {
  const p = new BodyPool(1 << 20);
  const out = Array.from({ length: 8 }, () => p.take(256 << 10));
  for (const v of out) p.give(v);
  assert.equal(p.idleBytes, 1 << 20, 'four of the eight kept, the rest left to the collector');
});

test('a big Response split over many chunks arrives whole in pooled memory, and giving it back leaves later ones intact', () => {
  const blocks = [new Uint8Array(randomBytes(512 << 10)), new Uint8Array(randomBytes(512 << 10))];
  const wire = Buffer.concat(blocks.flatMap((data, i) => frame(MessageType.Response, encodeResponse({ id: i + 1, data, code: 0 }), false)));
  const r = new FrameReader();
  const frames = [];
  for (let at = 0; at < wire.length; at += 16 << 10) frames.push(...r.push(wire.subarray(at, at + (16 << 10))));
  assert.equal(frames.length, 2);
  const got = frames.map((f) => decodeResponse(f.body));
  assert.ok(bodyPool.owns(got[0]!.data), 'the block went into the pool');
  bodyPool.give(got[0]!.data);
  // The memory given back is reused by the next big body; the one still held is untouched.
  const next = frame(MessageType.Response, encodeResponse({ id: 3, data: new Uint8Array(512 << 10).fill(7), code: 0 }), false);
  const r2 = new FrameReader();
  const [third] = Buffer.concat(next).reduce<ReturnType<FrameReader['push']>>((acc, _b, i, all) => (i % (16 << 10) === 0 ? [...acc, ...r2.push(all.subarray(i, i + (16 << 10)))] : acc), []);
  assert.ok(decodeResponse(third!.body).data.buffer === got[0]!.data.buffer);
  assert.ok(Buffer.from(got[1]!.data).equals(blocks[1]!), 'the block still held is intact');
  bodyPool.give(got[1]!.data);
});

test('small bodies, other messages and a body that one chunk holds are not pooled', () => {
  const small = frame(MessageType.Response, encodeResponse({ id: 1, data: new Uint8Array(POOL_MIN / 2), code: 0 }), false);
  const big = frame(MessageType.Response, encodeResponse({ id: 2, data: new Uint8Array(POOL_MIN * 2), code: 0 }), false);
  const [s] = new FrameReader().push(Buffer.concat(small));
  assert.ok(!bodyPool.owns(decodeResponse(s!.body).data));
  const [whole] = new FrameReader().push(Buffer.concat(big)); // one chunk: a view, no copy
  assert.ok(!bodyPool.owns(decodeResponse(whole!.body).data));
});
