import { createHash } from 'node:crypto';
import type fs from 'node:fs/promises';

/** SHA-256 runs over this much at a time, with a turn of the event loop in between. */
const HASH_SLICE = 1 << 20;

/** Reads until `buf` is full or the file ends; returns the bytes read. */
export async function readFull(fh: fs.FileHandle, buf: Buffer, offset: number): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, offset + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return n;
}

/**
 * SHA-256 on this thread, a slice at a time with a turn of the event loop between slices: about
 * 0.7 ms per MiB here, where WebCrypto's digest in libuv's threads cost three times the CPU (a copy
 * and a thread hop per call), and CPU is what a transfer on a small machine runs out of.
 */
export async function sha256Equals(data: Uint8Array, want: Uint8Array): Promise<boolean> {
  if (want.length !== 32) return false;
  const h = createHash('sha256');
  for (let off = 0; off < data.length; off += HASH_SLICE) {
    if (off > 0) await new Promise<void>((r) => setImmediate(r));
    h.update(data.subarray(off, off + HASH_SLICE));
  }
  return h.digest().equals(want);
}
