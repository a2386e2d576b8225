import { bodyPool } from '../../bep/body-pool.js';
import { ErrorCode, MessageType, type Request, type Response } from '../../bep/messages.js';
import { AppError } from '../../shared/errors.js';
import type { PeerLink } from './index-exchange.js';

/** A request not answered in this long fails (the puller then asks another device or gives up on the file). */
export const REQUEST_TIMEOUT_MS = 120_000;
/** Request IDs are int32 on the wire. */
const MAX_ID = 0x7fffffff;

const CODE_TEXT: Record<number, string> = {
  [ErrorCode.Generic]: 'generic error',
  [ErrorCode.NoSuchFile]: 'no such file',
  [ErrorCode.InvalidFile]: 'invalid file',
};

interface Waiting {
  resolve: (data: Uint8Array) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  size: number;
}

/**
 * Our block Requests on one connection and their Responses: each request gets the next ID, its
 * answer is matched by ID (an answer to nothing we asked is dropped), an error code or data of
 * the wrong size rejects it, and a connection that ends rejects everything still outstanding.
 * What is outstanding is bounded by the puller's byte budget, not here.
 */
export class BlockRequests {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private ended?: string;

  constructor(private readonly link: PeerLink) {}

  get outstanding(): number {
    return this.waiting.size;
  }

  /**
   * Sends the request and resolves with the data (not yet verified: the caller checks the hash).
   * The data may be pooled memory: the caller gives it back with `bodyPool.give` once it is done.
   */
  ask(q: Omit<Request, 'id'>, signal?: AbortSignal, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Uint8Array> {
    if (this.ended !== undefined) return Promise.reject(new AppError('internal', `connection closed: ${this.ended}`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_ID ? 1 : this.nextId + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => this.settle(id, undefined, signal!.reason as Error);
      const timer = setTimeout(() => this.settle(id, undefined, new AppError('internal', `no answer to a request in ${timeoutMs / 1000} s`)), timeoutMs);
      timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, {
        resolve: (d) => (signal?.removeEventListener('abort', onAbort), resolve(d)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
        timer,
        size: q.size,
      });
      this.link.send({ type: MessageType.Request, msg: { ...q, id } }).catch((err: unknown) => this.settle(id, undefined, err instanceof Error ? err : new Error(String(err))));
    });
  }

  /** A Response arrived. */
  answered(r: Response): void {
    const w = this.waiting.get(r.id);
    // Data nobody takes goes back to the pool it came from (the answer to nothing, or a refusal).
    if (!w) return bodyPool.give(r.data);
    if (r.code !== ErrorCode.NoError) {
      bodyPool.give(r.data);
      return this.settle(r.id, undefined, new AppError('internal', `peer answered: ${CODE_TEXT[r.code] ?? `error code ${r.code}`}`));
    }
    if (r.data.length !== w.size) {
      bodyPool.give(r.data);
      return this.settle(r.id, undefined, new AppError('internal', `peer answered ${r.data.length} bytes for a block of ${w.size}`));
    }
    this.settle(r.id, r.data);
  }

  /** The connection ended: every outstanding request fails with the reason. */
  close(reason: string): void {
    this.ended = reason;
    for (const id of [...this.waiting.keys()]) this.settle(id, undefined, new AppError('internal', `connection closed: ${reason}`));
  }

  private settle(id: number, data: Uint8Array | undefined, err?: Error): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(data!);
  }
}
