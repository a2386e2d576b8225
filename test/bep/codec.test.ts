import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { frame, FrameReader, helloFrame, HelloReader, MAX_HELLO_LEN } from '../../src/bep/frame.js';
import { lz4Compress, lz4Decompress } from '../../src/bep/lz4.js';
import {
  decodeClusterConfig,
  decodeDownloadProgress,
  decodeHello,
  decodeIndex,
  decodeRequest,
  decodeResponse,
  encodeClusterConfig,
  encodeDownloadProgress,
  encodeHello,
  encodeIndex,
  encodeRequest,
  encodeResponse,
  encodeResponseParts,
  MessageType,
  type ClusterConfig,
  type FileInfo,
  type Index,
} from '../../src/bep/messages.js';
import { PbReader, PbWriter, ProtocolError } from '../../src/bep/pb.js';
import { randomBytes } from 'node:crypto';

/** The BEP codec: generated messages round-trip, and hostile bytes are refused without crashing or allocating what they claim. */

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const bytes = (max = 64) => fc.uint8Array({ maxLength: max });
const str = fc.string({ maxLength: 40, unit: 'grapheme' });

const device = fc.record({
  id: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  name: str,
  addresses: fc.array(str, { maxLength: 4 }),
  compression: fc.integer({ min: 0, max: 2 }),
  certName: str,
  maxSequence: safe,
  introducer: fc.boolean(),
  indexId: u64,
  skipIntroductionRemovals: fc.boolean(),
  encryptionPasswordToken: bytes(),
});

const clusterConfig: fc.Arbitrary<ClusterConfig> = fc.record({
  folders: fc.array(
    fc.record({
      id: str,
      label: str,
      type: fc.integer({ min: 0, max: 3 }),
      ignorePermissions: fc.boolean(),
      ignoreDelete: fc.boolean(),
      disableTempIndexes: fc.boolean(),
      stopReason: fc.integer({ min: 0, max: 2 }),
      devices: fc.array(device, { maxLength: 4 }),
    }),
    { maxLength: 5 },
  ),
  secondary: fc.boolean(),
});

const fileInfo: fc.Arbitrary<FileInfo> = fc.record({
  name: str,
  type: fc.constantFrom(0, 1, 4),
  size: safe,
  permissions: fc.integer({ min: 0, max: 0o7777 }),
  modifiedS: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  modifiedNs: fc.integer({ min: 0, max: 999_999_999 }),
  modifiedBy: u64,
  deleted: fc.boolean(),
  invalid: fc.boolean(),
  noPermissions: fc.boolean(),
  version: fc.array(fc.record({ id: u64, value: u64 }), { maxLength: 4 }),
  sequence: safe,
  blockSize: fc.integer({ min: 0, max: 16 << 20 }),
  blocks: fc.array(fc.record({ offset: safe, size: i32, hash: fc.uint8Array({ minLength: 32, maxLength: 32 }), weakHash: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }), { maxLength: 5 }),
  symlinkTarget: bytes(),
  blocksHash: bytes(32),
  encrypted: bytes(),
  previousBlocksHash: bytes(32),
  platform: bytes(8),
});

const norm = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `0x${Buffer.from(x).toString('hex')}` : x)));

test('generated messages round-trip through the codec exactly (64-bit ids included)', () => {
  fc.assert(fc.property(clusterConfig, (cc) => assert.deepEqual(norm(decodeClusterConfig(encodeClusterConfig(cc))), norm(cc))), { numRuns: 300 });
  fc.assert(
    fc.property(str, fc.array(fileInfo, { maxLength: 4 }), safe, safe, fc.boolean(), (folder, files, last, prev, update) => {
      const ix: Index = { folder, files, lastSequence: last, prevSequence: update ? prev : 0 };
      assert.deepEqual(norm(decodeIndex(encodeIndex(ix, update))), norm(ix));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.record({ id: i32, folder: str, name: str, offset: safe, size: i32, hash: bytes(32), fromTemporary: fc.boolean(), weakHash: fc.integer({ min: 0, max: 2 ** 32 - 1 }), blockNo: i32 }), (r) =>
      assert.deepEqual(norm(decodeRequest(encodeRequest(r))), norm(r)),
    ),
  );
  fc.assert(fc.property(fc.record({ id: i32, data: bytes(1000), code: fc.integer({ min: 0, max: 3 }) }), (r) => assert.deepEqual(norm(decodeResponse(encodeResponse(r))), norm(r))));
  // The zero-copy parts a block goes out as are the same bytes as the whole message.
  fc.assert(fc.property(fc.record({ id: i32, data: bytes(1000), code: fc.integer({ min: 0, max: 3 }) }), (r) => assert.deepEqual(Buffer.concat(encodeResponseParts(r)), Buffer.from(encodeResponse(r)))));
  fc.assert(
    fc.property(
      fc.record({ folder: str, updates: fc.array(fc.record({ updateType: fc.integer({ min: 0, max: 1 }), name: str, version: fc.array(fc.record({ id: u64, value: u64 }), { maxLength: 3 }), blockIndexes: fc.array(i32, { maxLength: 8 }), blockSize: i32 }), { maxLength: 3 }) }),
      (p) => assert.deepEqual(norm(decodeDownloadProgress(encodeDownloadProgress(p))), norm(p)),
    ),
  );
  fc.assert(
    fc.property(fc.record({ deviceName: str, clientName: str, clientVersion: str, numConnections: fc.integer({ min: 0, max: 1000 }), timestamp: fc.bigInt({ min: 0n, max: (1n << 62n) }) }), (h) =>
      assert.deepEqual(norm(decodeHello(encodeHello(h))), norm(h)),
    ),
  );
});

test('block_indexes decode packed as well as unpacked, as Go accepts both', () => {
  const progress = (indexes: (w: PbWriter) => void) => {
    const w = new PbWriter();
    w.string(1, 'f');
    w.message(2, (u) => {
      u.string(2, 'a.bin');
      u.message(3, () => undefined); // an empty version, which Go writes too
      indexes(u);
      u.int32(5, 131072);
    });
    return w.finish();
  };
  const packed = decodeDownloadProgress(progress((u) => u.packedInt32(4, [1, 2, 300])));
  const unpacked = decodeDownloadProgress(progress((u) => u.repeatedInt32(4, [1, 2, 300])));
  assert.deepEqual(packed.updates[0]!.blockIndexes, [1, 2, 300]);
  assert.deepEqual(unpacked.updates[0]!.blockIndexes, [1, 2, 300]);
  // What we send is unpacked, as Syncthing's schema declares ([packed=false]).
  const ours = encodeDownloadProgress({ folder: 'f', updates: [{ updateType: 0, name: 'a.bin', version: [], blockIndexes: [1, 2, 300], blockSize: 131072 }] });
  assert.deepEqual(Buffer.from(ours), Buffer.from(progress((u) => u.repeatedInt32(4, [1, 2, 300]))));
  assert.throws(() => decodeDownloadProgress(ours.subarray(0, ours.length - 3)), ProtocolError, 'a truncated update is refused');
});

test('frames round-trip with and without LZ4, split at every byte boundary', () => {
  const cc = encodeClusterConfig({ folders: [{ id: 'default', label: 'x'.repeat(500), type: 0, ignorePermissions: false, ignoreDelete: false, disableTempIndexes: false, stopReason: 0, devices: [] }], secondary: false });
  for (const compress of [false, true]) {
    const parts = frame(MessageType.ClusterConfig, cc, compress);
    const wire = Buffer.concat([...parts, ...frame(MessageType.Ping, new Uint8Array(0), compress)]);
    if (compress) assert.ok(wire.length < cc.length, 'the compressible message was compressed');
    for (let split = 0; split <= wire.length; split++) {
      const r = new FrameReader();
      const got = [...r.push(wire.subarray(0, split)), ...r.push(wire.subarray(split))];
      assert.deepEqual(got.map((f) => f.type), [MessageType.ClusterConfig, MessageType.Ping]);
      assert.deepEqual(Buffer.from(got[0]!.body), Buffer.from(cc));
    }
  }
  // An incompressible body goes out plain, as 1.19.2 sends it.
  const noise = new Uint8Array(randomBytes(4096));
  assert.equal(lz4Compress(noise), undefined);
});

test('hostile lengths are refused before anything of their size is allocated', () => {
  const reject = (wire: Uint8Array, want: RegExp) => assert.throws(() => new FrameReader().push(wire), (e: unknown) => e instanceof ProtocolError && want.test(e.message));
  // Message length negative, then over 500,000,000.
  reject(Buffer.from([0, 0, 0x80, 0, 0, 0]), /negative message length/);
  reject(Buffer.from([0, 0, 0x1d, 0xcd, 0x65, 0x01]), /over the limit/);
  // Unknown compression (header field 2 = 7).
  reject(Buffer.from([0, 2, 0x10, 0x07, 0, 0, 0, 0]), /unknown message compression 7/);
  // LZ4 claiming 400 MB from 10 bytes, and a claim that does not match what decodes.
  const bomb = Buffer.from([0x17, 0xd7, 0x84, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.throws(() => lz4Decompress(bomb), /impossible/);
  const honest = lz4Compress(Buffer.alloc(1000, 65))!;
  assert.deepEqual(Buffer.from(lz4Decompress(honest)), Buffer.alloc(1000, 65));
  const liar = Buffer.from(honest);
  liar.writeUInt32BE(1200, 0);
  assert.throws(() => lz4Decompress(liar), /decompressed 1000 bytes, the message said 1200/);
  assert.throws(() => lz4Decompress(Buffer.from([0, 0])), /has no length/);
  // Protobuf lengths past their message.
  assert.throws(() => decodeClusterConfig(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])), /past the end/);
  assert.throws(() => new PbReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uint32(), /overflows 32 bits/);
  // Hello: wrong and old magics, and a length over 32767.
  const hello = (magic: number, len: number) => {
    const b = Buffer.alloc(6);
    b.writeUInt32BE(magic, 0);
    b.writeUInt16BE(len, 4);
    return b;
  };
  assert.throws(() => new HelloReader().push(hello(0x12345678, 0)), /unknown \(newer\?\) version/);
  assert.throws(() => new HelloReader().push(hello(0x9f79bc40, 0)), /older version/);
  assert.throws(() => new HelloReader().push(hello(0x2ea7d90b, MAX_HELLO_LEN + 1)), /hello message too big/);
  const ok = new HelloReader();
  const whole = helloFrame({ deviceName: 'a', clientName: 'synchro', clientVersion: 'v1', numConnections: 0, timestamp: 0n });
  assert.equal(ok.push(whole.subarray(0, 3)), undefined);
  assert.equal(ok.push(whole.subarray(3))!.hello.clientName, 'synchro');
});

test('fuzz: random bytes into the frame reader and every decoder never crash with anything but ProtocolError', () => {
  const decoders = [decodeClusterConfig, decodeIndex, decodeRequest, decodeResponse, decodeDownloadProgress, decodeHello];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 1, max: 64 }), (buf, chunk) => {
      const r = new FrameReader(1 << 20);
      try {
        for (let i = 0; i < buf.length; i += chunk) for (const f of r.push(buf.subarray(i, i + chunk))) assert.ok(f.body.length <= 1 << 20);
      } catch (e) {
        assert.ok(e instanceof ProtocolError, String(e));
      }
      for (const d of decoders) {
        try {
          d(buf);
        } catch (e) {
          assert.ok(e instanceof ProtocolError, `${d.name}: ${String(e)}`);
        }
      }
      assert.ok(r.buffered <= buf.length);
    }),
    { numRuns: 3000 },
  );
});
