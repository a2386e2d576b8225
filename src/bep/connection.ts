import type { Duplex } from 'node:stream';
import { frame, frameHead, FrameReader, type Frame } from './frame.js';
import { Compression, decodeMessage, encodeMessage, encodeResponseParts, MessageType, type ClusterConfig, type Message } from './messages.js';
import { ProtocolError } from './pb.js';

/**
 * One BEP connection after the Hello: the message loop of 1.19.2's rawConnection (bep.md §1.6,
 * §1.12). We send our ClusterConfig first and nothing before it; the first message we accept is
 * the peer's ClusterConfig (or a Close). Pings go out when we have been silent for half the ping
 * interval at a check; a peer silent for the receive timeout is dropped. Writes are whole frames
 * in order, paced by the socket: send() resolves once the socket has taken the frame.
 */

export interface Throttle {
  /** Resolves when `bytes` may pass (a token bucket shared by connections, or none). */
  take(bytes: number): Promise<void>;
  /**
   * Whether there is a limit now. Without one the connection does not call take() at all: a
   * 1 GiB transfer is some 65,000 TLS records, and a promise chain for each cost more CPU than
   * anything else the reader did.
   */
  limited?(): boolean;
}

const limitedNow = (t: Throttle | undefined): t is Throttle => t !== undefined && (t.limited?.() ?? true);

export interface ConnectionTimers {
  /** A Ping goes out at a check when nothing was written for this long (1.19.2: 90 s / 2 checks). */
  pingIntervalMs: number;
  /** Nothing received for this long closes the connection (1.19.2: 300 s). */
  receiveTimeoutMs: number;
  /** How long a Close may take to go out before the socket is destroyed (1.19.2: 10 s). */
  closeTimeoutMs: number;
}

/** How long after our Close we wait for the peer to hang up before we end the stream ourselves. */
const CLOSE_GRACE_MS = 1000;

export const TIMERS: ConnectionTimers = { pingIntervalMs: 90_000, receiveTimeoutMs: 300_000, closeTimeoutMs: 10_000 };

export interface ConnectionHandlers {
  /** Every message after the first ClusterConfig, and that one too; called in arrival order. */
  message(m: Message): void | Promise<void>;
  /** The connection ended: `reason` says why (a Close from the peer, a protocol error, our own close). */
  closed(reason: string, byPeer: boolean): void;
}

export interface ConnectionOptions {
  /** Compress messages (not Responses unless `always`) per the device's compression setting. */
  compression: 'metadata' | 'always' | 'never';
  timers?: Partial<ConnectionTimers>;
  readThrottle?: Throttle;
  writeThrottle?: Throttle;
  /** Largest message accepted (default: the protocol's 500,000,000 bytes). */
  maxMessage?: number;
}

export class BepConnection {
  private readonly reader: FrameReader;
  private readonly timers: ConnectionTimers;
  private started = false;
  private gotClusterConfig = false;
  private ended = false;
  private lastReadMs = Date.now();
  private lastWriteMs = Date.now();
  private pingTimer?: NodeJS.Timeout;
  private receiveTimer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  /** Message handling in order; the socket is paused while a handler or the read throttle holds it. */
  private handling: Promise<void> = Promise.resolve();
  private pendingHandlers = 0;
  inBytes = 0;
  outBytes = 0;
  /** Messages read and written (pings and closes included). */
  inMessages = 0;
  outMessages = 0;
  readonly startedAt = new Date();

  constructor(
    private readonly socket: Duplex,
    leftover: Uint8Array,
    private readonly h: ConnectionHandlers,
    private readonly o: ConnectionOptions,
  ) {
    this.timers = { ...TIMERS, ...o.timers };
    this.reader = new FrameReader(o.maxMessage);
    // Requests and their answers are small and waited on: no Nagle delay (Go's default too).
    (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('end', () => this.end('connection closed by the remote device (EOF)', true));
    socket.once('close', () => this.end('connection closed', true));
    socket.on('error', (err: Error) => this.end(`connection error: ${err.message}`, true));
    if (leftover.length > 0) this.onData(leftover);
    // The Hello exchange left the socket paused: reading starts now.
    if (this.pendingHandlers === 0) socket.resume();
  }

  /** Sends our ClusterConfig, which must be the first message, and starts the ping timers. */
  start(cc: ClusterConfig): Promise<void> {
    if (this.started) throw new Error('connection already started');
    this.started = true;
    const first = this.write({ type: MessageType.ClusterConfig, msg: cc });
    const pingCheck = Math.max(10, Math.floor(this.timers.pingIntervalMs / 2));
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastWriteMs >= pingCheck) this.write({ type: MessageType.Ping, msg: {} }).catch(() => undefined);
    }, pingCheck);
    this.pingTimer.unref();
    const receiveCheck = Math.max(10, Math.floor(this.timers.receiveTimeoutMs / 2));
    this.receiveTimer = setInterval(() => {
      if (Date.now() - this.lastReadMs > this.timers.receiveTimeoutMs) this.fail(`read timeout: nothing received for ${this.timers.receiveTimeoutMs / 1000} s`);
    }, receiveCheck);
    this.receiveTimer.unref();
    return first;
  }

  get isStarted(): boolean {
    return this.started;
  }

  get closed(): boolean {
    return this.ended;
  }

  /**
   * Sends a message after our ClusterConfig (another ClusterConfig included). `flushed` is called
   * once the socket no longer holds the message's bytes (written out, or the connection gone):
   * only then may a buffer in it be reused.
   */
  send(m: Message, flushed?: () => void): Promise<void> {
    if (!this.started) {
      flushed?.();
      return Promise.reject(new Error('the ClusterConfig must be sent first'));
    }
    return this.write(m, false, flushed);
  }

  /** Sends Close with `reason` (waiting up to the close timeout for it to go out), then ends the connection. */
  async close(reason: string): Promise<void> {
    if (this.ended) return;
    const sent = this.write({ type: MessageType.Close, msg: { reason } }, true).catch(() => undefined);
    this.end(reason, false, sent);
    await sent;
  }

  private write(m: Message, force = false, flushed?: () => void): Promise<void> {
    if (this.ended) {
      flushed?.();
      return Promise.reject(new Error('connection closed'));
    }
    let once = flushed;
    const flushedNow = () => {
      once?.();
      once = undefined;
    };
    const compress = this.o.compression === 'always' || (this.o.compression === 'metadata' && m.type !== MessageType.Response);
    let parts: Uint8Array[];
    if (m.type === MessageType.Response && !compress) {
      // A block goes out as it was read: the message is written around it, not copied with it.
      const body = encodeResponseParts(m.msg);
      parts = [frameHead(m.type, Compression.None, body.reduce((n, b) => n + b.length, 0)), ...body];
    } else parts = frame(m.type, encodeMessage(m), compress);
    const bytes = parts.reduce((n, b) => n + b.length, 0);
    const run = this.writing.then(async () => {
      if (this.ended && !force) throw new Error('connection closed');
      if (this.socket.destroyed) throw new Error('connection closed');
      const wt = this.o.writeThrottle;
      if (limitedNow(wt)) await wt.take(bytes);
      await new Promise<void>((resolve, reject) => {
        // Header and body leave together (one TLS record, one segment when they fit).
        this.socket.cork();
        let ok = true;
        const out = parts.filter((part) => part.length > 0);
        out.forEach((part, i) => {
          ok = this.socket.write(
            part,
            i === out.length - 1
              ? (err) => {
                  flushedNow();
                  if (err) reject(err);
                }
              : undefined,
          );
        });
        this.socket.uncork();
        this.outBytes += bytes;
        this.outMessages++;
        this.lastWriteMs = Date.now();
        // Paced by the socket: the next frame waits until this one is mostly out, or the socket is gone.
        if (ok) return resolve();
        const done = (err?: Error) => {
          this.socket.off('drain', drained);
          this.socket.off('close', gone);
          if (err) reject(err);
          else resolve();
        };
        const drained = () => done();
        const gone = () => done(new Error('connection closed'));
        this.socket.once('drain', drained);
        this.socket.once('close', gone);
      });
    });
    // A write that never reached the socket has nothing in it either.
    this.writing = run.catch(() => flushedNow());
    return run;
  }

  private onData(chunk: Uint8Array): void {
    if (this.ended) return;
    this.lastReadMs = Date.now();
    this.inBytes += chunk.length;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      return this.fail(err instanceof ProtocolError ? `protocol error: ${err.message}` : `reading: ${(err as Error).message}`);
    }
    const throttle = limitedNow(this.o.readThrottle) ? this.o.readThrottle : undefined;
    if (frames.length === 0 && !throttle) return;
    // While messages are being handled (or the throttle holds us), nothing more is read.
    this.socket.pause();
    this.pendingHandlers++;
    this.handling = this.handling
      .then(async () => {
        if (throttle) await throttle.take(chunk.length);
        for (const f of frames) {
          if (this.ended) return;
          await this.handle(f);
        }
      })
      .catch((err: unknown) => this.fail(err instanceof ProtocolError ? `protocol error: ${err.message}` : `handling a message: ${(err as Error).message}`))
      .finally(() => {
        if (--this.pendingHandlers === 0 && !this.ended) this.socket.resume();
      });
  }

  private async handle(f: Frame): Promise<void> {
    this.inMessages++;
    const m = decodeMessage(f.type, f.body);
    if (!m) return; // an unknown type is skipped, as 1.19.2 does
    if (!this.gotClusterConfig) {
      if (m.type === MessageType.Close) return this.end(`closed by remote: ${m.msg.reason}`, true, undefined, true);
      if (m.type !== MessageType.ClusterConfig) throw new ProtocolError(`first message must be ClusterConfig, got message type ${m.type}`);
      this.gotClusterConfig = true;
    }
    if (m.type === MessageType.Close) return this.end(`closed by remote: ${m.msg.reason}`, true, undefined, true);
    if (m.type === MessageType.Ping) return;
    await this.h.message(m);
  }

  private fail(reason: string): void {
    if (this.ended) return;
    // A protocol error is answered with a Close saying so, as Syncthing does, then the socket goes.
    const sent = this.started ? this.write({ type: MessageType.Close, msg: { reason } }, true).catch(() => undefined) : undefined;
    this.end(reason, false, sent);
  }

  /**
   * Ends the connection once: timers stop, the handler hears why, and the socket is ended after
   * `flush` (a Close being written) or the close timeout, whichever is first, then destroyed.
   * After a Close the peer is given a moment to hang up first: 1.19.2 reads the Close and the end
   * of the stream in two goroutines, and when both arrive together it reports "reading length:
   * EOF" instead of our reason.
   */
  private end(reason: string, byPeer: boolean, flush?: Promise<unknown>, closeReceived = false): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.pingTimer);
    clearInterval(this.receiveTimer);
    const socket = this.socket;
    const finish = () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    if (byPeer && closeReceived) {
      // The peer said goodbye and hangs up itself: ending our side first would race its own
      // reason in its log ("reading length: EOF" instead of the reason it gave).
      const grace = setTimeout(finish, CLOSE_GRACE_MS);
      grace.unref();
      socket.once('close', () => clearTimeout(grace));
      socket.resume();
    } else if (!flush || byPeer) finish();
    else {
      const timer = setTimeout(finish, this.timers.closeTimeoutMs);
      timer.unref();
      const afterFlush = () => {
        clearTimeout(timer);
        if (socket.destroyed) return;
        const grace = setTimeout(finish, CLOSE_GRACE_MS);
        grace.unref();
        socket.once('close', () => clearTimeout(grace));
        socket.resume(); // read (and drop) until the peer hangs up
      };
      flush.then(afterFlush, afterFlush);
    }
    this.h.closed(reason, byPeer);
  }
}
