import { compressSync, uncompressSync } from 'lz4-napi';
import { ProtocolError } from './pb.js';

/**
 * BEP's LZ4: a big-endian uint32 with the uncompressed length, then one raw LZ4 block (not the
 * frame format). The only importer of lz4-napi, whose own prefix is little-endian: the four
 * bytes are swapped both ways. Every length is checked before anything is allocated.
 */

/** The largest message BEP allows (1.19.2's MaxMessageLen). */
export const MAX_MESSAGE_LEN = 500_000_000;
/** LZ4 cannot expand input more than about 255 times; a claim beyond that is a lie, and an allocation bomb. */
const MAX_RATIO = 255;

/** Decompresses a BEP-compressed message body; throws ProtocolError for anything malformed. */
export function lz4Decompress(body: Uint8Array): Uint8Array {
  if (body.length < 4) throw new ProtocolError(`lz4: compressed message of ${body.length} bytes has no length`);
  const claimed = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
  if (claimed > MAX_MESSAGE_LEN) throw new ProtocolError(`lz4: uncompressed length ${claimed} is over the limit`);
  if (claimed > (body.length - 4) * MAX_RATIO + 16) throw new ProtocolError(`lz4: uncompressed length ${claimed} for ${body.length - 4} compressed bytes is impossible`);
  const input = Buffer.allocUnsafe(body.length);
  input.set(body);
  input.writeUInt32LE(claimed, 0);
  let out: Buffer;
  try {
    out = uncompressSync(input);
  } catch (err) {
    throw new ProtocolError(`lz4: ${(err as Error).message}`);
  }
  if (out.length !== claimed) throw new ProtocolError(`lz4: decompressed ${out.length} bytes, the message said ${claimed}`);
  return out;
}

/**
 * Compresses a message body for BEP; undefined when that would not save at least 1/32 of it
 * (1.19.2 sends such a message uncompressed, and so do we).
 */
export function lz4Compress(body: Uint8Array): Uint8Array | undefined {
  const out = compressSync(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  if (out.length > body.length - (body.length >> 5)) return undefined;
  out.writeUInt32BE(body.length, 0);
  return out;
}
