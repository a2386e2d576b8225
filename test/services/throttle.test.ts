import { test } from 'node:test';
import assert from 'node:assert/strict';
import { both, TokenBucket } from '../../src/services/connections/throttle.js';

/** maxSendKbps / maxRecvKbps: a token bucket in KiB/s, a second's burst, debt carried over, 0 unlimited, changes applied at once. */

test('a limited bucket holds the average rate whatever the frame sizes; 0 is unlimited', { timeout: 20_000 }, async () => {
  let kib = 1024; // 1 MiB/s
  const b = new TokenBucket(() => kib);
  const t0 = performance.now();
  // 3 MiB in frames of 256 KiB: the first MiB is the burst, the other two take about two seconds.
  for (let i = 0; i < 12; i++) await b.take(256 * 1024);
  const s = (performance.now() - t0) / 1000;
  assert.ok(s >= 1.8 && s < 4, `3 MiB at 1 MiB/s took ${s.toFixed(2)} s`);
  // One frame bigger than the bucket goes, and the next waits for the debt.
  const t1 = performance.now();
  await b.take(2 * 1024 * 1024);
  await b.take(1);
  assert.ok((performance.now() - t1) / 1000 >= 1.5, 'the debt of a 2 MiB frame is paid before the next');
  // Unlimited now: nothing waits.
  kib = 0;
  const t2 = performance.now();
  for (let i = 0; i < 100; i++) await b.take(10 * 1024 * 1024);
  assert.ok(performance.now() - t2 < 200);
  // Two limits together: the slower one rules.
  const pair = both(new TokenBucket(() => 0), new TokenBucket(() => 512));
  const t3 = performance.now();
  for (let i = 0; i < 8; i++) await pair.take(128 * 1024);
  assert.ok((performance.now() - t3) / 1000 >= 0.9, 'the device limit applies under an unlimited global one');
});

test('a connection with no limit now never calls take(); a limit set later applies at once', async () => {
  const { Duplex } = await import('node:stream');
  const { BepConnection } = await import('../../src/bep/connection.js');
  const { frame } = await import('../../src/bep/frame.js');
  const { encodeClusterConfig, MessageType } = await import('../../src/bep/messages.js');
  let kib = 0;
  let takes = 0;
  const bucket = new TokenBucket(() => kib);
  const pair = both(bucket, new TokenBucket(() => 0));
  const counted = { take: (n: number) => (takes++, pair.take(n)), limited: () => pair.limited!() };
  assert.equal(pair.limited!(), false);
  const socket = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  const got: number[] = [];
  const conn = new BepConnection(socket, new Uint8Array(0), { message: (m) => void got.push(m.type), closed: () => undefined }, { compression: 'never', readThrottle: counted, writeThrottle: counted });
  await conn.start({ folders: [], secondary: false });
  const send = (type: number, body: Uint8Array) => socket.push(Buffer.concat(frame(type, body, false)));
  send(MessageType.ClusterConfig, encodeClusterConfig({ folders: [], secondary: false }));
  for (let i = 0; i < 50; i++) send(MessageType.Ping, new Uint8Array(0));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(takes, 0, 'no limit: take() is never called');
  kib = 1024;
  assert.equal(pair.limited!(), true);
  send(MessageType.Ping, new Uint8Array(0));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(takes >= 1, 'with a limit every chunk goes through it');
  assert.equal(conn.inMessages, 52, 'every message was read');
  assert.deepEqual(got, [MessageType.ClusterConfig]);
  socket.destroy();
});
