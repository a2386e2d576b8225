import { lz4Compress, lz4Decompress, MAX_MESSAGE_LEN } from './lz4.js';
import { bodyPool, POOL_MIN } from './body-pool.js';
import { Compression, decodeHeader, decodeHello, encodeHeader, encodeHello, MessageType, type Hello } from './messages.js';
import { PbWriter, ProtocolError } from './pb.js';

/**
 * BEP framing: the Hello before authentication (magic, uint16 length, message), and after it
 * every message as uint16 header length, Header, uint32 message length, message. Lengths are
 * checked against their bounds as soon as they are read, and a message is only ever as big in
 * memory as the bytes that actually arrived for it.
 */

export const HELLO_MAGIC = 0x2ea7d90b;
/** Magics of protocol versions before BEP v1's Hello (1.19.2 names them "older version"). */
const OLD_MAGICS = new Set([0x00010001, 0x00010000, 0x9f79bc40]);
export const MAX_HELLO_LEN = 32767;

/** One raw message: its type and (decompressed) body. */
export interface Frame {
  type: number;
  body: Uint8Array;
  /** Bytes the frame took on the wire. */
  wireBytes: number;
}

/** The Hello as bytes on the wire. */
export function helloFrame(h: Hello): Uint8Array {
  const body = encodeHello(h);
  if (body.length > MAX_HELLO_LEN) throw new ProtocolError('hello message too big');
  const out = new Uint8Array(6 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, HELLO_MAGIC);
  v.setUint16(4, body.length);
  out.set(body, 6);
  return out;
}

const EMPTY = new Uint8Array(0);
const takeBody = (n: number) => bodyPool.take(n);

/** Collects bytes until whole units can be taken off the front; never copies more than it must. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /**
   * Takes `n` bytes off the front (the caller checked `length`). They are a view of what arrived
   * when one chunk holds them all; else a copy, into memory from `into` when it is given.
   */
  take(n: number, into?: (n: number) => Uint8Array): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.length -= n;
      return out;
    }
    const out = into ? into(n) : new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length - this.head, n - at);
      out.set(c.subarray(this.head, this.head + k), at);
      at += k;
      this.head += k;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= n;
    return out;
  }

  /** Everything left, as one array. */
  rest(): Uint8Array {
    return this.length === 0 ? new Uint8Array(0) : this.take(this.length);
  }
}

/**
 * Reads the peer's Hello from the bytes of a fresh connection. `push` returns the Hello once it is
 * whole (with whatever came after it, which belongs to the framed messages), undefined while more
 * is needed, and throws ProtocolError for a wrong magic, a length over the bound or a bad body.
 */
export class HelloReader {
  private readonly q = new ByteQueue();
  private len = -1;

  push(chunk: Uint8Array): { hello: Hello; rest: Uint8Array } | undefined {
    this.q.push(chunk);
    if (this.len < 0) {
      if (this.q.length < 6) return undefined;
      const head = this.q.take(6);
      const v = new DataView(head.buffer, head.byteOffset, 6);
      const magic = v.getUint32(0);
      if (magic !== HELLO_MAGIC) {
        throw new ProtocolError(OLD_MAGICS.has(magic) ? 'the remote device speaks an older version of the protocol (not v0.14)' : 'the remote device speaks an unknown (newer?) version of the protocol');
      }
      this.len = v.getUint16(4);
      if (this.len > MAX_HELLO_LEN) throw new ProtocolError('hello message too big');
    }
    if (this.q.length < this.len) return undefined;
    return { hello: decodeHello(this.q.take(this.len)), rest: this.q.rest() };
  }
}

/**
 * Splits the byte stream after Hello into frames. `push` returns the frames that became whole;
 * a frame of a type we do not know is returned too (the connection skips it, as 1.19.2 does). An
 * unknown compression, a length over the bound or an LZ4 body that does not decode throws.
 */
export class FrameReader {
  private readonly q = new ByteQueue();
  private headerLen = -1;
  private header?: { type: number; compression: number };
  private bodyLen = -1;

  constructor(private readonly maxMessage = MAX_MESSAGE_LEN) {}

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): Frame[] {
    this.q.push(chunk);
    const out: Frame[] = [];
    for (;;) {
      if (this.headerLen < 0) {
        if (this.q.length < 2) break;
        const b = this.q.take(2);
        this.headerLen = (b[0]! << 8) | b[1]!;
      }
      if (!this.header) {
        if (this.q.length < this.headerLen) break;
        const h = decodeHeader(this.q.take(this.headerLen));
        if (h.compression !== Compression.None && h.compression !== Compression.LZ4) throw new ProtocolError(`unknown message compression ${h.compression}`);
        this.header = h;
      }
      if (this.bodyLen < 0) {
        if (this.q.length < 4) break;
        const b = this.q.take(4);
        const n = new DataView(b.buffer, b.byteOffset, 4).getInt32(0);
        if (n < 0) throw new ProtocolError(`negative message length ${n}`);
        if (n > this.maxMessage) throw new ProtocolError(`message length ${n} is over the limit of ${this.maxMessage}`);
        this.bodyLen = n;
      }
      if (this.q.length < this.bodyLen) break;
      // A big uncompressed Response (a block) goes into pooled memory its consumer gives back.
      const pooled = this.header.type === MessageType.Response && this.header.compression === Compression.None && this.bodyLen >= POOL_MIN;
      const raw = this.q.take(this.bodyLen, pooled ? takeBody : undefined);
      const body = this.header.compression === Compression.LZ4 ? lz4Decompress(raw) : raw;
      out.push({ type: this.header.type, body, wireBytes: 2 + this.headerLen + 4 + this.bodyLen });
      this.headerLen = -1;
      this.header = undefined;
      this.bodyLen = -1;
    }
    return out;
  }
}

/**
 * One message framed for the wire, compressed when asked and worth it: the frame's head (lengths
 * and header) and its payload, to be written one after the other, so a 16 MiB block is never
 * copied just to put six bytes in front of it.
 */
export function frame(type: number, body: Uint8Array, compress: boolean): [head: Uint8Array, payload: Uint8Array] {
  let compression = Compression.None;
  let payload = body;
  if (compress && body.length >= 128) {
    const c = lz4Compress(body);
    if (c) {
      compression = Compression.LZ4;
      payload = c;
    }
  }
  return [frameHead(type, compression, payload.length), payload];
}

/** What goes before a message of `length` bytes: the header's length, the header, the message's length. */
export function frameHead(type: number, compression: Compression, length: number): Uint8Array {
  const header = encodeHeader({ type, compression });
  const head = new Uint8Array(2 + header.length + 4);
  head.set(PbWriter.be16(header.length), 0);
  head.set(header, 2);
  head.set(PbWriter.be32(length), 2 + header.length);
  return head;
}
