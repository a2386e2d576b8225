import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FrameReader } from '../../src/bep/frame.js';
import { decodeClusterConfig, decodeIndex, MessageType } from '../../src/bep/messages.js';
import { shortIdOf } from '../../src/shared/device-id.js';
import { projectRoot } from '../support/test-server.js';

/**
 * Frames recorded from a real exchange with Debian's Syncthing 1.19.2 (what it sent us after the
 * Hello, with a folder "shared" holding hello.txt = "hi"), decoded by our codec.
 */

test('a ClusterConfig and an Index recorded from Syncthing 1.19.2 decode to what it sent', async () => {
  const wire = await fs.readFile(path.join(projectRoot, 'test/bep/fixtures/syncthing-1.19.2-session.bin'));
  // Fed a byte at a time, as a slow network would.
  const r = new FrameReader();
  const frames = [];
  for (let i = 0; i < wire.length; i++) frames.push(...r.push(wire.subarray(i, i + 1)));
  assert.deepEqual(frames.map((f) => f.type), [MessageType.ClusterConfig, MessageType.Index]);
  const cc = decodeClusterConfig(frames[0]!.body);
  assert.equal(cc.folders.length, 1);
  const folder = cc.folders[0]!;
  assert.equal(folder.id, 'shared');
  assert.equal(folder.devices.length, 2);
  for (const d of folder.devices) assert.equal(d.id.length, 32);
  // Syncthing's own entry is the one with a non-zero index ID and its files' max sequence.
  const own = folder.devices.find((d) => d.indexId !== 0n)!;
  assert.equal(own.maxSequence, 1);
  assert.ok(own.indexId > BigInt(Number.MAX_SAFE_INTEGER) || own.indexId > 0n);

  const ix = decodeIndex(frames[1]!.body);
  assert.equal(ix.folder, 'shared');
  assert.equal(ix.files.length, 1);
  const f = ix.files[0]!;
  assert.equal(f.name, 'hello.txt');
  assert.equal(f.size, 2);
  assert.equal(f.permissions, 0o644);
  assert.equal(f.blocks.length, 1);
  assert.deepEqual(Buffer.from(f.blocks[0]!.hash), createHash('sha256').update('hi').digest());
  assert.equal(f.blocks[0]!.size, 2);
  assert.notEqual(f.blocks[0]!.weakHash, 0, '1.19.2 sends Adler-32 weak hashes');
  // modified_by and the version counter are the sender's 64-bit ShortID, exactly.
  assert.equal(f.modifiedBy, shortIdOf(own.id));
  assert.equal(f.version.length, 1);
  assert.equal(f.version[0]!.id, f.modifiedBy);
  assert.ok(f.modifiedBy > BigInt(Number.MAX_SAFE_INTEGER), 'a ShortID past 2^53 survives');
});
