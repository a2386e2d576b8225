import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import Koa from 'koa';
import type { ConfigSubscriber } from '../config/config-store.js';
import type { HttpDeps } from './deps.js';
import { authMiddleware } from './auth-middleware.js';
import { textBody } from './body-parser.js';
import { corsAndSecurityHeaders } from './cors.js';
import { csrfMiddleware } from './csrf-middleware.js';
import { errorMiddleware } from './error-middleware.js';
import { hostCheck } from './host-check.js';
import { metaJs } from './meta-js.js';
import { noCache } from './no-cache.js';
import { qrHandler } from './qr.js';
import { restRouter, type Route } from './rest-router.js';
import { sendJson, sendText } from './respond.js';
import { staticGui } from './static-gui.js';
import { clusterRoutes } from './routes/cluster-routes.js';
import { configRoutes } from './routes/config-routes.js';
import { dbRoutes } from './routes/db-routes.js';
import { versionsRoutes } from './routes/versions-routes.js';
import { jobsRoutes } from './routes/jobs-routes.js';
import { debugRoutes } from './routes/debug-routes.js';
import { buildOpenApi } from './openapi/build.js';
import { Metrics } from './metrics.js';
import { eventsRoutes } from './routes/events-routes.js';
import { eventStreamRoute } from './routes/event-stream-route.js';
import { Heartbeats } from './heartbeats.js';
import { ShutdownHooks } from './shutdown-hooks.js';
import { noauthRoutes } from './routes/noauth-routes.js';
import { svcRoutes } from './routes/svc-routes.js';
import { systemRoutes } from './routes/system-routes.js';
import { API_VERSION, SYNCHRO_VERSION } from '../services/version.js';
import { AppError } from '../shared/errors.js';
import { background } from '../shared/background.js';
import type { HttpsCredentials } from '../auth/https-credentials.js';
import { ConnectionGuard, DualListener, TIMEOUTS, type ListenerTimeouts } from './listener.js';
import { baseUrlMiddleware } from './base-url.js';
import { httpsRedirect } from './https-redirect.js';

export interface HttpServerOptions {
  /** An address from --gui-address / STGUIADDRESS that wins over gui.address. */
  addressOverride?: string;
  startedMs: number;
  /** The certificate the port answers TLS handshakes with (it answers both, always). */
  tls: HttpsCredentials;
  /** --gui-baseurl, normalised ("/p/"); wins over gui.baseUrl. */
  baseUrl?: string;
  /** Connection timeouts, lowered by tests (the defaults are Go's http.Server's as Syncthing sets it). */
  timeouts?: Partial<ListenerTimeouts>;
  /** Most connections without credentials at once (MAX_UNTRUSTED), and how young one may be and still not count (2 s). */
  maxUntrusted?: number;
  untrustedGraceMs?: number;
}

/** The accept queue asked for (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

/** "host:port", "[v6]:port", "http(s)://host:port", "unix:///path" or "/path" → what listen() takes. */
export function parseListenAddress(addr: string): { host?: string; port?: number; socketPath?: string } {
  const a = addr.replace(/^(https?|unixs?):\/\//, '');
  if (a.startsWith('/')) return { socketPath: a };
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(a);
  if (!m) throw new Error(`invalid GUI address ${JSON.stringify(addr)}: expected host:port`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? undefined : host, port: Number(m[3]) };
}

/**
 * The GUI/REST listener. Middleware in Syncthing's order (spec rest-api §1.2): host check → CORS
 * and security headers → auth → X-Syncthing headers → CSRF → /rest (no-cache, body, router),
 * /meta.js, /qr/, static GUI. Changes to gui.* apply live; a new gui.address moves the listener.
 */
export class HttpServer {
  private server?: DualListener;
  private readonly shutdown = new ShutdownHooks();
  private readonly app = new Koa();
  private boundAddress = '';

  private readonly metrics: Metrics;
  private readonly guard: ConnectionGuard;

  constructor(
    private readonly d: HttpDeps,
    private readonly opts: HttpServerOptions,
  ) {
    this.metrics = new Metrics(d.events, d.folders, d.system);
    this.guard = new ConnectionGuard(opts.maxUntrusted, opts.untrustedGraceMs);
    const gui = () => d.config.current().gui;
    const app = this.app;
    app.silent = true;
    const beats = new Heartbeats(d.clock);
    const routes: Route[] = [
      ...noauthRoutes(d),
      ...systemRoutes(d),
      ...configRoutes(d),
      ...clusterRoutes(d),
      ...svcRoutes(d),
      ...dbRoutes(d),
      ...versionsRoutes(d),
      ...jobsRoutes(d),
      ...debugRoutes(d, this.metrics),
      ...eventsRoutes(d, this.shutdown, beats),
      eventStreamRoute(d, this.shutdown, beats),
    ];
    // The description is built from this very table, and fails the start-up if a route is undescribed.
    let description: unknown;
    routes.push({ method: 'GET', path: '/rest/openapi.json', handler: (ctx) => sendJson(ctx, description) });
    description = buildOpenApi(routes, SYNCHRO_VERSION);
    const rest = restRouter(routes);
    const body = textBody();
    const meta = metaJs(d.myId, d.shortId);
    const qr = qrHandler();
    const statics = staticGui(d.guiDir, opts.startedMs, () => gui().theme);

    app.use(this.metrics.middleware());
    app.use(baseUrlMiddleware(() => this.baseUrl()));
    app.use(errorMiddleware(d.log));
    app.use(hostCheck(() => opts.addressOverride ?? gui().address, () => gui().insecureSkipHostcheck));
    app.use(corsAndSecurityHeaders(() => gui().insecureAllowFrameLoading));
    app.use(httpsRedirect(() => this.tlsRequired()));
    app.use(authMiddleware(d, (socket) => this.guard.trust(socket)));
    app.use(async (ctx, next) => {
      ctx.set('X-Syncthing-Version', API_VERSION);
      ctx.set('X-Syncthing-Id', d.myId);
      await next();
    });
    app.use(csrfMiddleware(d));
    app.use(async (ctx, next) => {
      if (ctx.path === '/rest' || ctx.path.startsWith('/rest/')) {
        noCache(ctx);
        // Syncthing 1.x gates the whole /rest/debug tree (known paths or not) on gui.debugging.
        if (ctx.method === 'GET' && /^\/rest\/debug\//i.test(ctx.path) && !gui().debugging) return sendText(ctx, 403, 'Debugging disabled');
        return body[0]!(ctx, () => body[1]!(ctx, () => rest(ctx, next)));
      }
      if (ctx.path === '/meta.js') return meta(ctx, next);
      if (ctx.path === '/metrics' && ctx.method === 'GET') return this.metrics.send(ctx);
      if (ctx.path === '/qr/' || ctx.path === '/qr') return qr(ctx, next);
      return statics(ctx, next);
    });
  }

  /**
   * Plain HTTP is redirected to https when gui.tls is on, when the address (override or config)
   * says https:// or unixs://, or when client certificates are required (plain HTTP would skip that check).
   */
  tlsRequired(): boolean {
    const gui = this.d.config.current().gui;
    const address = this.opts.addressOverride ?? gui.address;
    return gui.useTLS || /^(https|unixs):\/\//i.test(address) || this.opts.tls.ca !== undefined;
  }

  /** The path prefix everything is served under: "/" for none. */
  baseUrl(): string {
    return this.opts.baseUrl ?? (this.d.config.current().gui.baseUrl || '/');
  }

  /** A renewed certificate, for handshakes from now on (and for any listener bound later). */
  setCredentials(creds: HttpsCredentials): void {
    this.opts.tls = creds;
    this.server?.setCredentials(creds);
  }

  /** Connections without credentials right now (for tests and metrics). */
  get untrustedConnections(): number {
    return this.guard.untrustedCount;
  }

  /** host:port the listener is bound to (for /rest/system/status and the start-up message). */
  get address(): string {
    return this.boundAddress;
  }

  async listen(): Promise<void> {
    this.server = await this.bind(this.opts.addressOverride ?? this.d.config.current().gui.address);
  }

  /** Moves the listener when gui.address changes (unless an override pins it). */
  subscriber(): ConfigSubscriber {
    return {
      verify: (next) => {
        if (this.opts.addressOverride) return;
        try {
          parseListenAddress(next.gui.address);
        } catch (err) {
          throw new AppError('rejected', (err as Error).message);
        }
      },
      commit: async (next, prev) => {
        if (this.opts.addressOverride || next.gui.address === prev.gui.address || !this.server) return;
        const old = this.server;
        try {
          this.server = await this.bind(next.gui.address);
        } catch (err) {
          this.d.log.error(`GUI listener: cannot listen on ${next.gui.address}: ${(err as Error).message}; staying on ${this.boundAddress}`);
          return;
        }
        // A short grace lets the request that made the change get its answer.
        setTimeout(() => background(this.shut(old), (m) => this.d.log.warn(m), 'closing the old GUI listener'), 100).unref();
      },
    };
  }

  private bind(address: string): Promise<DualListener> {
    const target = parseListenAddress(address);
    // Koa answers every failure itself (the error middleware, then ctx.onerror), so this never rejects.
    const handle = this.app.callback();
    const listener = new DualListener(
      (req, res) => background(handle(req, res), (m) => this.d.log.error(m), 'request'),
      this.opts.tls,
      { ...TIMEOUTS, ...this.opts.timeouts },
      this.guard,
    );
    const server = listener.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        const a = server.address();
        this.boundAddress = typeof a === 'string' ? a : a ? formatAddress(a) : address;
        resolve(listener);
      };
      // Go listens with the system's somaxconn as backlog; Node's default of 511 overflows when
      // thousands of clients (long polls after a restart) connect at once, and they are reset.
      if (target.socketPath) {
        fs.rmSync(target.socketPath, { force: true });
        server.listen({ path: target.socketPath, backlog: LISTEN_BACKLOG }, done);
      } else server.listen({ port: target.port, host: target.host, backlog: LISTEN_BACKLOG }, done);
    });
  }

  private shut(listener: DualListener): Promise<void> {
    return new Promise((resolve) => {
      listener.server.close(() => resolve());
      listener.closeIdleConnections();
      setTimeout(() => listener.closeAllConnections(), 100).unref();
    });
  }

  /** Stops accepting, answers every parked long poll with [], and closes all connections. */
  async close(): Promise<void> {
    this.metrics.close();
    this.shutdown.fire();
    if (this.server) await this.shut(this.server);
  }
}

function formatAddress(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
