import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateIdentity } from './auth/certificate.js';
import { loadHttpsCredentials, type HttpsCredentials, type TlsSettings } from './auth/https-credentials.js';
import { hashPassword, isBcryptHash, verifyPassword } from './auth/password.js';
import { TokenStore } from './auth/token-store.js';
import { ConfigStore, readConfigText } from './config/config-store.js';
import { generateConfig } from './config/generate.js';
import { normalizeBaseUrl } from './config/base-url.js';
import { prepareConfig } from './config/prepare.js';
import { migrateConfig } from './config/migrate.js';
import { parseConfigXml, type XmlExtras } from './config/xml.js';
import type { Configuration, GuiConfiguration } from './config/types.js';
import { EventLog } from './events/event-log.js';
import { HttpServer, type HttpServerOptions } from './http/server.js';
import { LoginGuard } from './http/login-guard.js';
import { ConnectionService } from './services/connections/connection-service.js';
import type { ConnectionTimers } from './bep/connection.js';
import { SYNCHRO_VERSION } from './services/version.js';
import { IndexStore } from './index/index-store.js';
import { IndexExchange } from './services/connections/index-exchange.js';
import { BlockServer } from './services/connections/block-server.js';
import { maskOf } from './events/mask.js';
import { ScanPool } from './scanner/worker-pool.js';
import { FolderService } from './services/folder-service.js';
import { JobRegistry } from './services/jobs.js';
import { configEvents, restartRequiredTracker } from './services/config-events.js';
import { PendingService } from './services/pending-service.js';
import { SystemService } from './services/system-service.js';
import { systemClock, type Clock } from './shared/clock.js';
import { fullShortId, shortDeviceId } from './shared/device-id.js';
import { AppError, messageOf } from './shared/errors.js';
import { background } from './shared/background.js';
import { LogBook, type LogFormat, type Logger } from './shared/logger.js';
import { pathsFor, type Paths } from './shared/paths.js';

export interface AppOptions {
  home: string;
  /** Where gui/ and migrations/ live (the package root). */
  projectRoot: string;
  /** --gui-address / STGUIADDRESS: wins over gui.address. */
  guiAddress?: string;
  /** --gui-apikey / STGUIAPIKEY: a second valid API key. */
  apiKey?: string;
  noDefaultFolder?: boolean;
  /** --event-masks / SYNCHRO_EVENT_MASKS: how many custom `events=` subscriptions are kept (default 64). */
  maxEventMasks?: number;
  clock?: Clock;
  /** Where log lines go (default stderr). */
  logSink?: (text: string) => void;
  /** --gui-assets / STGUIASSETS: a GUI directory served instead of the bundled one. */
  guiAssets?: string;
  /** --gui-baseurl: a path prefix for reverse proxies (validated by normalizeBaseUrl); wins over gui.baseUrl. */
  baseUrl?: string;
  /** --gui-cert/--gui-key, --gui-client-ca, --gui-min-tls-version. */
  tls?: TlsSettings;
  /** --log-format: `text` (default) or `json`, one object per line. */
  logFormat?: LogFormat;
  /** How long a finished `_async` job stays readable (default 60 s, as rclone's --rc-job-expire-duration). */
  jobExpireMs?: number;
  /** Called after POST /rest/system/shutdown has been answered and the app has stopped. */
  onShutdown?: () => void;
  /** --listen-address / SYNCHRO_LISTEN_ADDRESS: device connections listen here instead of options.listenAddresses. */
  syncListen?: string[];
  /** Ping and receive timeouts of device connections (tests lower them). */
  syncTimers?: Partial<ConnectionTimers>;
  /** Connection timeouts and the anonymous-connection cap of the GUI/API listener (tests lower them). */
  httpLimits?: Pick<HttpServerOptions, 'timeouts' | 'maxUntrusted' | 'untrustedGraceMs'>;
}

/** Creates the home directory and proves it writable, with a message a user can act on. */
async function prepareHome(home: string): Promise<void> {
  try {
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    await fs.access(home, fs.constants.W_OK);
  } catch (err) {
    throw new AppError('invalid', `home directory ${home} is not usable: ${messageOf(err)}`);
  }
}

/** Reads config.xml (upgraded to the current version), or makes a new one on first start; `unsaved` when it must be written. A file that does not parse is left untouched. */
async function loadConfig(p: Paths, myId: string, opts: AppOptions): Promise<{ cfg: Configuration; extras: XmlExtras; unsaved: boolean }> {
  const text = await readConfigText(p.configFile);
  if (text === undefined) {
    const folderPath = opts.noDefaultFolder ? undefined : path.join(p.userHome, 'Sync');
    if (folderPath) await fs.mkdir(folderPath, { recursive: true });
    const cfg = generateConfig(folderPath);
    prepareConfig(cfg, myId, os.hostname());
    return { cfg, extras: {}, unsaved: true };
  }
  try {
    const { cfg, extras } = parseConfigXml(text);
    const was = migrateConfig(cfg, extras);
    prepareConfig(cfg, myId, os.hostname());
    // An upgraded file keeps its old self next to it, as Syncthing keeps config.xml.v<N>.
    if (was !== cfg.version) await fs.writeFile(`${p.configFile}.v${was}`, text, { flag: 'wx' }).catch(() => undefined);
    return { cfg, extras, unsaved: was !== cfg.version };
  } catch (err) {
    throw new AppError('invalid', `${p.configFile}: ${messageOf(err)}`);
  }
}

type Lifecycle = { restart(): void; shutdown(): void; reset(folder?: string): void };

/**
 * Session and CSRF tokens outlive an in-process restart, so a signed-in browser stays signed in
 * across POST /rest/system/restart (Syncthing v2 keeps them in its database for the same reason).
 */
class Tokens {
  gui: () => Readonly<GuiConfiguration> = () => ({ sessionCookieDurationS: 604800 }) as GuiConfiguration;
  readonly sessions: TokenStore;
  readonly csrfTokens: TokenStore;
  /** Login back-off outlives a restart too: restarting must not reset a guesser's wait. */
  readonly logins: LoginGuard;
  constructor(clock: Clock) {
    this.logins = new LoginGuard({ clock });
    this.sessions = new TokenStore({
      clock,
      max: 25,
      length: 64,
      lifetimeMs: () => (this.gui().sessionCookieDurationS === 0 ? 604800 : this.gui().sessionCookieDurationS) * 1000,
    });
    this.csrfTokens = new TokenStore({ clock, max: 25, length: 64, lifetimeMs: () => 3600 * 1000 });
  }
}

/** One running instance: everything built here, in dependency order, and torn down in reverse. */
class Instance {
  private constructor(
    readonly http: HttpServer,
    readonly config: ConfigStore,
    readonly events: EventLog,
    readonly myId: string,
    readonly log: Logger,
    private readonly folders: FolderService,
    private readonly pool: ScanPool,
    readonly index: IndexStore,
    private readonly jobs: JobRegistry,
    private readonly renewal: NodeJS.Timeout,
    readonly connections: ConnectionService,
    readonly blocks: BlockServer,
  ) {}

  /** `reset`: folders whose index is erased before anything starts (POST /rest/system/reset). */
  static async start(opts: AppOptions, lifecycle: Lifecycle, tokens: Tokens, reset?: { folder?: string }): Promise<Instance> {
    const clock = opts.clock ?? systemClock;
    const baseUrl = opts.baseUrl === undefined ? undefined : normalizeBaseUrl(opts.baseUrl);
    const startedMs = clock.nowMs();
    const paths = pathsFor(opts.home, opts.projectRoot, opts.guiAssets);
    if (opts.guiAssets !== undefined && !(await fs.stat(paths.guiDir).then((st) => st.isDirectory(), () => false))) {
      throw new AppError('invalid', `GUI assets ${paths.guiDir}: not a directory`);
    }
    await prepareHome(paths.home);
    const logBook = new LogBook(clock, opts.logSink, opts.logFormat);
    const log = logBook.logger('main');
    // TLS first: a certificate that was asked for and does not load stops the start before anything opens.
    const httpsHome = { certFile: paths.httpsCertFile, keyFile: paths.httpsKeyFile, hostname: os.hostname() };
    const tlsLog = logBook.logger('api');
    const tls: HttpsCredentials = await loadHttpsCredentials(opts.tls ?? {}, httpsHome, tlsLog, clock.nowMs());
    const identity = await loadOrCreateIdentity(paths.certFile, paths.keyFile);
    const myId = identity.deviceId;

    // The event log comes first so that Starting is id 1 in both built-in streams.
    const events = new EventLog({ clock, maxMasks: opts.maxEventMasks });
    events.append('Starting', { home: paths.home, myID: myId });

    const { cfg, extras, unsaved } = await loadConfig(paths, myId, opts);
    const config = new ConfigStore(
      { file: paths.configFile, events, myId, hostname: os.hostname(), hashPassword, isPasswordHash: isBcryptHash },
      cfg,
      extras,
    );
    if (unsaved) await config.save();
    await fs.mkdir(paths.databaseDir, { recursive: true });
    const index = IndexStore.open(path.join(paths.databaseDir, 'index.db'), paths.migrationsDir, [myId, ...cfg.devices.map((d) => d.deviceID)]);
    if (reset) for (const f of reset.folder ? [reset.folder] : cfg.folders.map((x) => x.id)) index.dropFolder(f);
    const pool = new ScanPool(0);
    const pending = new PendingService(events, () => clock.nowMs());
    // Index exchange sits between the connections and the folders, which are made after it.
    let folderService: FolderService | undefined;
    const exchange = new IndexExchange({
      index,
      config: () => config.current(),
      events,
      log: logBook.logger('model'),
      myId,
      running: (f) => folderService?.isRunning(f) ?? false,
      remoteChanged: (f) => folderService?.remoteChanged(f),
    });
    const blocks = new BlockServer({ config: () => config.current(), folder: (f) => folderService?.served(f), log: logBook.logger('model') });
    // A local change goes out in our index, and a file that changed is opened afresh for the next request of it.
    events.listen(maskOf('LocalIndexUpdated'), (e) => {
      const d = e.data as { folder: string; filenames: string[] };
      exchange.localChanged(d.folder);
      blocks.forget(d.folder, d.filenames);
    });
    const connections = new ConnectionService({
      exchange,
      blocks,
      config,
      events,
      log: logBook.logger('connections'),
      keys: identity,
      myId,
      pending,
      clientVersion: `v${SYNCHRO_VERSION}`,
      listenOverride: opts.syncListen,
      timers: opts.syncTimers,
      nowMs: () => clock.nowMs(),
    });
    const folders = new FolderService({ config, index, pool, events, clock, log: logBook.logger('model'), myId, shortId: fullShortId(myId), home: paths.home, remoteState: (f, dev) => connections.remoteFolderState(dev, f), request: (dev, q, signal) => connections.requestBlock(dev, q, signal) });
    folderService = folders;
    config.subscribe(configEvents(events));
    config.subscribe(folders.subscriber());
    config.subscribe(restartRequiredTracker());
    config.subscribe(connections.subscriber());

    tokens.gui = () => config.current().gui;
    const { sessions, csrfTokens, logins } = tokens;

    const jobs = new JobRegistry({ clock, expireMs: opts.jobExpireMs ?? 60_000 });
    let http: HttpServer | undefined;
    const system = new SystemService({
      config,
      clock,
      paths,
      myId,
      guiAddressUsed: () => http?.address ?? '',
      guiAddressOverridden: opts.guiAddress !== undefined,
      startMs: startedMs,
      connections,
      folders,
    });
    http = new HttpServer(
      {
        config,
        events,
        system,
        pending,
        folders,
        jobs,
        logBook,
        log: logBook.logger('api'),
        clock,
        myId,
        shortId: shortDeviceId(myId),
        extraApiKey: opts.apiKey,
        sessions,
        csrfTokens,
        verifyPassword,
        logins,
        guiDir: paths.guiDir,
        lifecycle,
      },
      { addressOverride: opts.guiAddress, startedMs, tls, baseUrl, ...opts.httpLimits },
    );
    config.subscribe(http.subscriber());
    await http.listen();
    log.info(`My ID: ${myId}`);
    log.info(`GUI and API listening on ${http.address}`);
    // A service that runs for years outlives its 820-day certificate: look once a day.
    const renewal = setInterval(() => {
      loadHttpsCredentials(opts.tls ?? {}, httpsHome, tlsLog, clock.nowMs()).then(
        (fresh) => http.setCredentials(fresh),
        (err) => tlsLog.warn(`HTTPS certificate check: ${messageOf(err)}`),
      );
    }, 24 * 3600 * 1000);
    renewal.unref();
    folders.start();
    await connections.start();
    events.append('StartupComplete', { myID: myId });
    return new Instance(http, config, events, myId, log, folders, pool, index, jobs, renewal, connections, blocks);
  }

  /** Reverse order of construction: stop answering, stop the folders, then close the workers and the index. */
  async stop(): Promise<void> {
    clearInterval(this.renewal);
    // Devices first: each gets a Close with a reason while everything else is still up.
    await this.connections.stop();
    await this.blocks.stop();
    await this.http.close();
    this.jobs.stopAll();
    await this.folders.stop();
    await this.pool.close();
    this.index.close();
  }
}

/**
 * The service as main.ts and the tests see it. A restart (POST /rest/system/restart) rebuilds
 * everything in this process from config.xml, as Syncthing's restart does: new event ids,
 * new start time, same address.
 */
export class App {
  private constructor(
    private instance: Instance,
    private readonly opts: AppOptions,
  ) {}

  static async start(opts: AppOptions): Promise<App> {
    let app: App | undefined;
    const fatal = (what: string) => (m: string) => {
      // A restart that failed half way leaves no service to answer: say so and stop.
      process.stderr.write(`${what} failed: ${m}\n`);
      process.exitCode = 1;
    };
    const lifecycle: Lifecycle = {
      restart: () => app && background(app.restart(), fatal('restart'), 'restart'),
      shutdown: () => app && background(app.shutdown(), fatal('shutdown'), 'shutdown'),
      reset: (folder?: string) => app && background(app.restart({ folder }), fatal('reset'), 'reset'),
    };
    const tokens = new Tokens(opts.clock ?? systemClock);
    const instance = await Instance.start(opts, lifecycle, tokens);
    // Keep the port we got, so a restart comes back where clients expect it.
    app = new App(instance, { ...opts, guiAddress: opts.guiAddress !== undefined ? instance.http.address : undefined });
    app.lifecycle = lifecycle;
    app.tokens = tokens;
    return app;
  }

  private lifecycle!: Lifecycle;
  private tokens!: Tokens;
  private restarting?: Promise<void>;

  get address(): string {
    return this.instance.http.address;
  }
  get myId(): string {
    return this.instance.myId;
  }
  /** Whether plain HTTP is redirected to https. */
  get tlsRequired(): boolean {
    return this.instance.http.tlsRequired();
  }
  /** The path prefix the GUI and API are served under ("/" without one). */
  get baseUrl(): string {
    return this.instance.http.baseUrl();
  }
  get apiKey(): string {
    return this.instance.config.current().gui.apiKey;
  }
  get events(): EventLog {
    return this.instance.events;
  }
  get config(): ConfigStore {
    return this.instance.config;
  }
  /** The device connection service (tests read where it listens). */
  get connections(): ConnectionService {
    return this.instance.connections;
  }
  /** The block server (tests read what it answered). */
  get blocks(): BlockServer {
    return this.instance.blocks;
  }

  /** Rebuilds the instance; with `reset`, the index of that folder (or of all) is erased in between. */
  restart(reset?: { folder?: string }): Promise<void> {
    this.restarting ??= (async () => {
      this.instance.log.info(reset ? 'Resetting the index and restarting' : 'Restarting');
      await this.instance.stop();
      this.instance = await Instance.start(this.opts, this.lifecycle, this.tokens, reset);
    })().finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  async shutdown(): Promise<void> {
    this.instance.log.info('Shutting down');
    await this.stop();
    this.opts.onShutdown?.();
  }

  async stop(): Promise<void> {
    await this.restarting;
    await this.instance.stop();
  }
}
