import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HttpsCredentials } from '../auth/https-credentials.js';

/**
 * One port that answers both HTTP and HTTPS, as Syncthing's "downgrading listener" does: the first
 * byte of a connection decides. 0x16 opens a TLS handshake and goes to the HTTPS server; anything
 * else is plain HTTP (which the app may then redirect to https). Both servers share one handler
 * and never listen themselves; only the outer net.Server holds the port.
 */

const TLS_HANDSHAKE = 0x16;

/** How long a client may take, per connection (every one can be lowered, for tests). */
export interface ListenerTimeouts {
  /** A connection that sends nothing at all is dropped after this long (Go's ReadTimeout is 15 s). */
  firstByteMs: number;
  /** Request line and headers. */
  headersMs: number;
  /**
   * The whole request, body included (Go's ReadTimeout): a body that trickles in a byte at a time
   * is cut off with a 408. The answer is not limited: long polls wait up to an hour.
   */
  requestMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveMs: number;
  /** The TLS handshake. */
  handshakeMs: number;
}

export const TIMEOUTS: ListenerTimeouts = { firstByteMs: 15_000, headersMs: 15_000, requestMs: 30_000, keepAliveMs: 60_000, handshakeMs: 10_000 };

/** Most connections without a request with credentials on them (see ConnectionGuard). */
export const MAX_UNTRUSTED = 128;


/**
 * Connections that have not yet carried a request with valid credentials, oldest first. Past the
 * cap the oldest is closed: a flood of anonymous connections costs the flooder its own oldest
 * ones, never a signed-in client's (those leave the set with their first authenticated request).
 * One guard serves every listener of a server, so a moved GUI address keeps the count.
 */
export class ConnectionGuard {
  /** Untrusted sockets by when they connected, oldest first (Map order). */
  private readonly untrusted = new Map<net.Socket, number>();
  private readonly trusted = new WeakSet<net.Socket>();

  constructor(
    private readonly max = MAX_UNTRUSTED,
    /** A connection this young is never closed for the cap: a burst of clients (ten thousand polls) has time to show its key. */
    private readonly graceMs = 2000,
  ) {}

  /** Counts a new connection as untrusted; closes the oldest untrusted ones past their grace when there are too many. */
  admit(socket: net.Socket): void {
    const now = Date.now();
    this.untrusted.set(socket, now);
    socket.once('close', () => this.untrusted.delete(socket));
    for (const [oldest, since] of this.untrusted) {
      if (this.untrusted.size <= this.max || now - since < this.graceMs) break;
      this.untrusted.delete(oldest);
      oldest.destroy();
    }
  }

  /** The connection carried a request with valid credentials: it is never closed for the cap. */
  trust(socket: net.Socket): void {
    if (this.trusted.has(socket)) return;
    this.trusted.add(socket);
    this.untrusted.delete(socket);
  }

  /** Connections counted against the cap right now. */
  get untrustedCount(): number {
    return this.untrusted.size;
  }
}

export class DualListener {
  readonly server: net.Server;
  private readonly plain: http.Server;
  private readonly secure: https.Server;

  constructor(
    handler: http.RequestListener,
    creds: HttpsCredentials,
    private readonly timeouts: ListenerTimeouts = TIMEOUTS,
    guard: ConnectionGuard = new ConnectionGuard(),
  ) {
    // How often Node looks for requests that passed requestTimeout or headersTimeout.
    const connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.floor(timeouts.requestMs / 4)));
    this.plain = http.createServer({ connectionsCheckingInterval }, handler);
    this.secure = https.createServer(
      {
        cert: creds.cert,
        key: creds.key,
        minVersion: creds.minVersion,
        ...(creds.ca ? { ca: creds.ca, requestCert: true, rejectUnauthorized: true } : {}),
        handshakeTimeout: timeouts.handshakeMs,
        connectionsCheckingInterval,
      },
      handler,
    );
    for (const s of [this.plain, this.secure]) {
      // Long polls wait up to an hour for their answer; receiving the request itself is bounded.
      s.requestTimeout = timeouts.requestMs;
      s.headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
      s.keepAliveTimeout = timeouts.keepAliveMs;
    }
    this.plain.on('connection', (socket: net.Socket) => guard.admit(socket));
    this.secure.on('secureConnection', (socket: net.Socket) => guard.admit(socket));
    // A failed handshake (old protocol, no client certificate) ends that connection only.
    this.secure.on('tlsClientError', (_err, socket) => socket.destroy());
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => this.route(socket));
    // Node's HTTP servers start tracking connections (headersTimeout, closeIdleConnections,
    // closeAllConnections) on their 'listening' event, which servers that never listen never get.
    this.server.once('listening', () => {
      this.plain.emit('listening');
      this.secure.emit('listening');
    });
    this.server.once('close', () => {
      this.plain.close();
      this.secure.close();
    });
  }

  private route(socket: net.Socket): void {
    socket.setTimeout(this.timeouts.firstByteMs, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    socket.once('readable', () => {
      const head: Buffer | null = socket.read(1);
      socket.setTimeout(0);
      if (head === null) return void socket.destroy();
      socket.unshift(head);
      (head[0] === TLS_HANDSHAKE ? this.secure : this.plain).emit('connection', socket);
    });
  }

  /** Swaps in a renewed certificate for new handshakes. */
  setCredentials(creds: HttpsCredentials): void {
    this.secure.setSecureContext({ cert: creds.cert, key: creds.key, minVersion: creds.minVersion, ...(creds.ca ? { ca: creds.ca } : {}) });
  }

  closeIdleConnections(): void {
    this.plain.closeIdleConnections();
    this.secure.closeIdleConnections();
  }

  closeAllConnections(): void {
    this.plain.closeAllConnections();
    this.secure.closeAllConnections();
  }
}
