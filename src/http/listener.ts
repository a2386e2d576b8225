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
/** A connection that sends nothing at all is dropped after this long (Go's ReadTimeout is 15 s). */
const FIRST_BYTE_MS = 15_000;

export class DualListener {
  readonly server: net.Server;
  private readonly plain: http.Server;
  private readonly secure: https.Server;

  constructor(handler: http.RequestListener, creds: HttpsCredentials) {
    this.plain = http.createServer(handler);
    this.secure = https.createServer(
      {
        cert: creds.cert,
        key: creds.key,
        minVersion: creds.minVersion,
        ...(creds.ca ? { ca: creds.ca, requestCert: true, rejectUnauthorized: true } : {}),
      },
      handler,
    );
    for (const s of [this.plain, this.secure]) {
      // Long polls wait up to an hour; idle keep-alive sockets and slow headers are still cut.
      s.requestTimeout = 0;
      s.headersTimeout = 15_000;
      s.keepAliveTimeout = 60_000;
    }
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
    socket.setTimeout(FIRST_BYTE_MS, () => socket.destroy());
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
