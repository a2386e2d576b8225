/**
 * Reusable memory for the bodies of big Responses. A 1 GiB pull is some two thousand blocks of
 * 512 KiB; allocating each body fresh costs a page fault per 4 KiB (a quarter of a million of them,
 * dear in a VM) and a gigabyte of garbage for the collector. The reader takes a body's memory from
 * here, and whoever consumes the block gives it back once the bytes are written (or refused); a
 * body never given back is simply collected.
 *
 * Capacities are rounded up to 64 KiB steps (a block plus its few bytes of message), and what the
 * pool keeps free is bounded in bytes.
 */

const STEP = 64 << 10;
/** Bodies smaller than this are not worth pooling. */
export const POOL_MIN = 64 << 10;

export class BodyPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  /** Buffers of this pool that are out (given to a reader and not yet back). */
  private readonly out = new WeakSet<ArrayBufferLike>();

  constructor(private readonly maxFreeBytes = 64 << 20) {}

  /** Memory for `n` bytes (its contents are whatever the last user left). */
  take(n: number): Uint8Array {
    const cap = Math.ceil(n / STEP) * STEP;
    let sab = this.free.get(cap)?.pop();
    if (sab) this.freeBytes -= cap;
    else sab = new ArrayBuffer(cap);
    this.out.add(sab);
    return new Uint8Array(sab, 0, n);
  }

  /** Whether `view` lies in memory this pool handed out and has not had back. */
  owns(view: Uint8Array): boolean {
    return this.out.has(view.buffer);
  }

  /**
   * Gives back the memory behind `view` (any view into a body this pool handed out). Nothing may
   * touch that view afterwards. A view of other memory, or memory already given back, is ignored.
   */
  give(view: Uint8Array): void {
    const sab = view.buffer;
    if (!(sab instanceof ArrayBuffer) || !this.out.has(sab)) return;
    this.out.delete(sab);
    if (this.freeBytes + sab.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(sab.byteLength);
    if (!list) this.free.set(sab.byteLength, (list = []));
    list.push(sab);
    this.freeBytes += sab.byteLength;
  }

  /** Bytes kept free for reuse. */
  get idleBytes(): number {
    return this.freeBytes;
  }
}

/** The pool Response bodies come from. */
export const bodyPool = new BodyPool();
