/**
 * Protocol Buffers wire format, only what BEP uses: varints (32- and 64-bit, the 64-bit ones as
 * bigint where they can pass 2^53), length-delimited fields, and skipping what we do not know.
 * Every read is bounds-checked against its message: a length that points past the end is a
 * ProtocolError, never an out-of-range read or an allocation of the claimed size.
 */

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Reads one message (or a nested one) from `buf[pos, end)`. */
export class PbReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type (call only when !done). */
  tag(): [field: number, wire: number] {
    const t = this.uint32();
    const field = t >>> 3;
    if (field === 0) throw new ProtocolError('protobuf: field number 0');
    return [field, t & 7];
  }

  /** A varint that must fit 32 bits unsigned (lengths, tags, enums, bools); anything longer is an error. */
  uint32(): number {
    let result = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new ProtocolError('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      if (i < 4) result |= (b & 0x7f) << (7 * i);
      else {
        if (b & 0xf0) throw new ProtocolError('protobuf: varint overflows 32 bits');
        result |= b << 28;
      }
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new ProtocolError('protobuf: varint overflows 32 bits');
  }

  /** A 64-bit varint as a bigint, unsigned. */
  uint64(): bigint {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw new ProtocolError('protobuf: truncated varint');
      if (i >= 10) throw new ProtocolError('protobuf: varint too long');
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /** A signed 64-bit varint (protobuf int64) as a bigint. */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /**
   * An int64 that the protocol uses for sizes, offsets, sequences and seconds: as a number, which
   * must be a safe integer (a peer sending 2^60 bytes is not sending a file).
   */
  int64Number(what: string): number {
    const v = this.int64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ProtocolError(`protobuf: ${what} ${v} is out of range`);
    return Number(v);
  }

  /** An int32 field (negative values are sign-extended to 10 bytes on the wire). */
  int32(): number {
    return Number(BigInt.asIntN(32, this.uint64()));
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  /** A length-delimited field's bytes, as a view into the message (no copy). */
  bytes(): Uint8Array {
    const n = this.uint32();
    if (n > this.end - this.pos) throw new ProtocolError(`protobuf: length ${n} past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    try {
      return utf8.decode(this.bytes());
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('protobuf: string is not valid UTF-8');
    }
  }

  /** A nested message's reader (bounded to its own bytes). */
  sub(): PbReader {
    const n = this.uint32();
    if (n > this.end - this.pos) throw new ProtocolError(`protobuf: length ${n} past the end of the message`);
    const r = new PbReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Packed or unpacked repeated varints (both are valid encodings of a repeated scalar). */
  repeatedInt32(wire: number, into: number[]): void {
    if (wire === Wire.Varint) return void into.push(this.int32());
    if (wire !== Wire.Bytes) throw new ProtocolError('protobuf: repeated int32 with a wrong wire type');
    const r = this.sub();
    while (!r.done) into.push(r.int32());
  }

  /** Skips a field we do not know (or do not use). */
  skip(wire: number): void {
    switch (wire) {
      case Wire.Varint:
        this.uint64();
        return;
      case Wire.Fixed64:
        this.advance(8);
        return;
      case Wire.Bytes:
        this.advance(this.uint32());
        return;
      case Wire.Fixed32:
        this.advance(4);
        return;
      default:
        throw new ProtocolError(`protobuf: wire type ${wire} is not supported`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new ProtocolError('protobuf: field past the end of the message');
    this.pos += n;
  }

  /** Checks that a field came with the wire type its kind needs. */
  static expect(wire: number, want: number, field: string): void {
    if (wire !== want) throw new ProtocolError(`protobuf: ${field} has wire type ${wire}, want ${want}`);
  }
}

/**
 * Writes one message. Nested messages are written into the same buffer behind a reserved
 * length, which is then filled in (moving the body if its length took more than one byte).
 */
export class PbWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private rawVarint(v: number): void {
    this.room(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private rawVarint64(v: bigint): void {
    this.room(10);
    let x = BigInt.asUintN(64, v);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An unsigned varint field (bool, enum, uint32, and non-negative int64 numbers); zero is left out, as proto3 does. */
  uint(field: number, v: number): void {
    if (v === 0) return;
    if (v < 0 || !Number.isSafeInteger(v)) return this.int64(field, BigInt(v));
    this.tag(field, Wire.Varint);
    this.rawVarint(v);
  }

  bool(field: number, v: boolean): void {
    if (v) this.uint(field, 1);
  }

  /** An int64 / uint64 field from a bigint (negative values in two's complement). */
  int64(field: number, v: bigint): void {
    if (v === 0n) return;
    this.tag(field, Wire.Varint);
    this.rawVarint64(v);
  }

  /** An int32 field: negative values take ten bytes, as Go writes them. */
  int32(field: number, v: number): void {
    if (v === 0) return;
    if (v > 0) return this.uint(field, v);
    this.tag(field, Wire.Varint);
    this.rawVarint64(BigInt(v));
  }

  bytes(field: number, v: Uint8Array | undefined): void {
    if (!v || v.length === 0) return;
    this.tag(field, Wire.Bytes);
    this.rawVarint(v.length);
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** The tag and length of a bytes field whose `length` bytes the caller sends right after (no copy). */
  bytesHeader(field: number, length: number): void {
    if (length === 0) return;
    this.tag(field, Wire.Bytes);
    this.rawVarint(length);
  }

  /** A string field; an empty one is left out unless `always` (an element of a repeated field). */
  string(field: number, v: string, always = false): void {
    if (v === '' && !always) return;
    const max = v.length * 3;
    this.tag(field, Wire.Bytes);
    // Most strings are short: encode in place behind a one-byte length when it fits.
    this.room(5 + max);
    const lenAt = this.pos;
    const wide = max > 127;
    this.pos += wide ? 5 : 1;
    const { written } = utf8Encoder.encodeInto(v, this.buf.subarray(this.pos, this.pos + max));
    this.pos += written;
    this.finishLength(lenAt, wide ? 5 : 1, written);
  }

  /** A nested message field, written by `body`; an empty one is still written (repeated elements need it). */
  message(field: number, body: (w: PbWriter) => void): void {
    this.tag(field, Wire.Bytes);
    this.room(5);
    const lenAt = this.pos;
    this.pos += 5;
    body(this);
    this.finishLength(lenAt, 5, this.pos - lenAt - 5);
  }

  /** A packed repeated int32 field. */
  packedInt32(field: number, vs: readonly number[]): void {
    if (vs.length === 0) return;
    this.message(field, (w) => {
      for (const v of vs) {
        if (v >= 0) w.rawVarint(v);
        else w.rawVarint64(BigInt(v));
      }
    });
  }

  /** Unpacked repeated int32, one field per value (what Syncthing's gogo declares for block_indexes). */
  repeatedInt32(field: number, vs: readonly number[]): void {
    for (const v of vs) {
      this.tag(field, Wire.Varint);
      if (v >= 0) this.rawVarint(v);
      else this.rawVarint64(BigInt(v));
    }
  }

  /** Fills the `reserved`-byte length slot at `at` with `n`, closing the gap if `n` needs fewer bytes. */
  private finishLength(at: number, reserved: number, n: number): void {
    let size = 1;
    for (let x = n; x > 0x7f; x = Math.floor(x / 128)) size++;
    if (size < reserved) {
      this.buf.copyWithin(at + size, at + reserved, this.pos);
      this.pos -= reserved - size;
    } else if (size > reserved) throw new Error('length slot too small');
    let x = n;
    for (let i = 0; i < size; i++) {
      this.buf[at + i] = (x & 0x7f) | (i < size - 1 ? 0x80 : 0);
      x = Math.floor(x / 128);
    }
  }

  /** The message written so far (a copy the writer no longer touches). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  /** Big-endian helpers for the framing around messages. */
  static be16(n: number): Uint8Array {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n);
    return b;
  }

  static be32(n: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return b;
  }
}
