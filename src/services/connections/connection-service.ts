import net from 'node:net';
import tls from 'node:tls';
import type { ConfigStore, ConfigSubscriber } from '../../config/config-store.js';
import type { Configuration } from '../../config/types.js';
import type { EventSink } from '../../events/types.js';
import { BepConnection, type ConnectionTimers } from '../../bep/connection.js';
import { exchangeHello, HELLO_TIMEOUT_MS } from '../../bep/hello.js';
import { frame } from '../../bep/frame.js';
import { encodeClose, encodeClusterConfig, ErrorCode, MessageType, type ClusterConfig, type Hello, type Message, type Request } from '../../bep/messages.js';
import { ProtocolError } from '../../bep/pb.js';
import { clientOptions, cryptoName, peerCertificate, serverOptions, type DeviceKeys } from '../../bep/tls.js';
import { background } from '../../shared/background.js';
import { deviceIdFromCertificate, formatDeviceId } from '../../shared/device-id.js';
import { AppError, messageOf } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { formatTimeSeconds, ZERO_TIME } from '../../shared/time-format.js';
import type { PendingService } from '../pending-service.js';
import { dialTargets, listenTargets, type TcpAddress } from './addresses.js';
import { clusterConfigFor, type IndexInfo } from './cluster-config.js';
import type { IndexExchange, PeerLink } from './index-exchange.js';
import { both, TokenBucket } from './throttle.js';
import { BlockRequests } from './block-requests.js';

/** A device's traffic: wire bytes (after compression) and BEP messages, each way. */
export interface DeviceTraffic {
  inBytes: number;
  outBytes: number;
  inMessages: number;
  outMessages: number;
}

export interface ConnectionServiceDeps {
  config: ConfigStore;
  events: EventSink;
  log: Logger;
  keys: DeviceKeys;
  myId: string;
  pending: PendingService;
  /** Our Hello's client_version ("v0.1.0"). */
  clientVersion: string;
  /** Listen addresses that win over options.listenAddresses (tests: tcp://127.0.0.1:0). */
  listenOverride?: string[];
  timers?: Partial<ConnectionTimers>;
  /** What the index knows per folder and device, for the ClusterConfig (zeros without it). */
  index?: IndexInfo;
  /** Index exchange on every connection (none: ClusterConfigs only). */
  exchange?: IndexExchange;
  /** Answers the peers' block Requests (none: every request is answered with a generic error). */
  blocks?: { request(link: PeerLink, q: Request): Promise<void> };
  nowMs?: () => number;
}

/** A connection with its Hello done and its device known. */
interface Live {
  device: string;
  conn: BepConnection;
  socket: tls.TLSSocket;
  type: 'tcp-client' | 'tcp-server';
  /** The remote "ip:port". */
  address: string;
  hello: Hello;
  crypto: string;
  startedMs: number;
  /** Folders the peer's latest ClusterConfig listed, and whether it has them paused. */
  remoteFolders: Map<string, { paused: boolean }>;
  gotClusterConfig: boolean;
  /** The connection as index exchange sees it. */
  link: PeerLink;
  /** The peer's latest ClusterConfig (sharing that starts later on our side starts from it). */
  lastClusterConfig?: ClusterConfig;
  /** Our block requests on this connection. */
  requests: BlockRequests;
}

export interface ConnectionStatus {
  connected: boolean;
  paused: boolean;
  address: string;
  type: string;
  crypto: string;
  clientVersion: string;
  inBytesTotal: number;
  outBytesTotal: number;
  startedAt: string;
  at: string;
  isLocal: boolean;
}

/** A second connection to a device newer than this replaces the first (1.19.2's minConnectionReplaceAge). */
const REPLACE_AGE_MS = 10_000;
/** A duplicate the peer did not choose (no ClusterConfig on it) is closed after this long. */
const DUPLICATE_GRACE_MS = 5_000;
/** TLS handshakes and Hellos in progress at once, from anyone. */
const MAX_UNIDENTIFIED = 64;
/** How often the dialer looks for devices to call. */
const DIAL_TICK_MS = 1000;

/**
 * Device connections (bep.md §1.1–1.6, 1.12): listening on options.listenAddresses, dialling each
 * configured, unpaused device at its static addresses every reconnectionIntervalS, TLS 1.3 and
 * the Hello, unknown devices recorded as pending, one connection per device, ClusterConfig both
 * ways with pending folders from it, bandwidth limits, and Close with a reason whenever we end one.
 *
 * The duplicate rule is 1.19.2's (a connection younger than 10 s is kept), plus what makes two
 * devices dialling each other at once agree: a duplicate is held without a ClusterConfig, and if
 * the peer sends its ClusterConfig on it — which 1.19.2 does only on the connection it kept — it
 * becomes ours and the other one goes.
 */
export class ConnectionService {
  private readonly active = new Map<string, Live>();
  private readonly duplicates = new Map<string, Live[]>();
  private readonly dialing = new Set<string>();
  private readonly nextDial = new Map<string, number>();
  private readonly seen = new Map<string, { lastSeenMs: number; lastDurationS: number }>();
  private readonly listeners = new Map<string, { server?: tls.Server; error: string; address: string }>();
  private unsupported: Record<string, string> = {};
  private unidentified = 0;
  private inHello = 0;
  private dialTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly globalSend: TokenBucket;
  private readonly globalRecv: TokenBucket;
  private readonly deviceSend = new Map<string, TokenBucket>();
  private readonly deviceRecv = new Map<string, TokenBucket>();
  private totalIn = 0;
  private totalOut = 0;
  /** Traffic of each device's ended connections since start (the live one is added when asked). */
  private readonly ended = new Map<string, DeviceTraffic>();
  private readonly now: () => number;

  constructor(private readonly d: ConnectionServiceDeps) {
    this.now = d.nowMs ?? Date.now;
    const opts = () => d.config.current().options as Record<string, unknown>;
    this.globalSend = new TokenBucket(() => Number(opts().maxSendKbps ?? 0));
    this.globalRecv = new TokenBucket(() => Number(opts().maxRecvKbps ?? 0));
  }

  private cfg(): Readonly<Configuration> {
    return this.d.config.current();
  }

  async start(): Promise<void> {
    await this.listen(this.listenAddresses(this.cfg()));
    this.dialTimer = setInterval(() => this.dialDue(), DIAL_TICK_MS);
    this.dialTimer.unref();
    this.dialDue();
  }

  /** Closes every connection with a reason, then the listeners. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.dialTimer);
    const all = [...this.active.values(), ...[...this.duplicates.values()].flat()];
    await Promise.all(all.map((l) => l.conn.close('the device is shutting down')));
    await Promise.all([...this.listeners.values()].map((l) => new Promise<void>((r) => (l.server ? l.server.close(() => r()) : r()))));
    this.listeners.clear();
  }

  private listenAddresses(cfg: Readonly<Configuration>): string[] {
    return this.d.listenOverride ?? cfg.options.listenAddresses;
  }

  // ---- listening ----

  private async listen(addresses: string[]): Promise<void> {
    const { targets, unsupported } = listenTargets(addresses);
    this.unsupported = unsupported;
    for (const [url, why] of Object.entries(unsupported)) this.d.log.info(`not listening on ${url}: ${why}`);
    await Promise.all(targets.map((t) => this.listenOn(t)));
    this.d.events.append('ListenAddressesChanged', { address: addresses, lan: this.lanAddresses(), wan: this.lanAddresses() });
  }

  private listenOn(t: TcpAddress): Promise<void> {
    const server = tls.createServer(serverOptions(this.d.keys), (socket) => this.accepted(socket));
    const entry: { server?: tls.Server; error: string; address: string } = { server, error: '', address: '' };
    this.listeners.set(t.url, entry);
    // Before the handshake nobody is known: bound how many strangers may be in it at once. Every
    // connection ends its handshake in exactly one of secureConnection and tlsClientError.
    server.on('connection', (socket: net.Socket) => {
      if (this.unidentified >= MAX_UNIDENTIFIED) return void socket.destroy();
      this.unidentified++;
    });
    server.on('secureConnection', () => (this.unidentified = Math.max(0, this.unidentified - 1)));
    // A failed handshake (TLS 1.2 only, garbage) ends that connection only, logged.
    server.on('tlsClientError', (err, socket) => {
      // (a connection refused above for the bound ends here too: never below zero)
      this.unidentified = Math.max(0, this.unidentified - 1);
      this.d.log.info(`device connection from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} refused: TLS handshake: ${err.message}`);
      socket.destroy();
    });
    return new Promise((resolve) => {
      server.once('error', (err) => {
        entry.error = messageOf(err);
        entry.server = undefined;
        this.d.log.warn(`listening on ${t.url}: ${entry.error}`);
        resolve();
      });
      server.listen({ port: t.port, host: t.host || undefined, ...(t.family === 6 ? { ipv6Only: true } : {}) }, () => {
        const a = server.address() as net.AddressInfo;
        entry.address = `tcp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
        this.d.log.info(`TCP listener (${entry.address}) starting`);
        resolve();
      });
    });
  }

  private lanAddresses(): string[] {
    return [...this.listeners.values()].filter((l) => l.server && l.address).map((l) => l.address);
  }

  /** /rest/system/status connectionServiceStatus: each listen address, its error and what it listens on. */
  listenerStatus(): Record<string, { error: string | null; lanAddresses: string[]; wanAddresses: string[] }> {
    const out: Record<string, { error: string | null; lanAddresses: string[]; wanAddresses: string[] }> = {};
    for (const [url, l] of this.listeners) out[url] = { error: l.error || null, lanAddresses: l.address ? [l.address] : [], wanAddresses: l.address ? [l.address] : [] };
    for (const [url, why] of Object.entries(this.unsupported)) out[url] = { error: why, lanAddresses: [], wanAddresses: [] };
    return out;
  }

  /** The addresses we actually listen on (tests read the port from here). */
  get listening(): string[] {
    return this.lanAddresses();
  }

  private accepted(socket: tls.TLSSocket): void {
    // The Hello comes from someone not yet known too: the same bound holds until it is in.
    if (this.inHello >= MAX_UNIDENTIFIED) return void socket.destroy();
    this.inHello++;
    background(
      this.establish(socket, 'tcp-server').finally(() => this.inHello--),
      (m) => this.d.log.info(m),
      'incoming device connection',
    );
  }

  // ---- dialling ----

  private dialDue(): void {
    if (this.stopped) return;
    const now = this.now();
    const cfg = this.cfg();
    const interval = Math.max(1, Number((cfg.options as Record<string, unknown>).reconnectionIntervalS ?? 60)) * 1000;
    for (const dev of cfg.devices) {
      const id = dev.deviceID;
      if (id === this.d.myId || dev.paused || this.active.has(id) || this.dialing.has(id)) continue;
      if ((this.nextDial.get(id) ?? 0) > now) continue;
      const targets = dialTargets(dev.addresses);
      if (targets.length === 0) continue;
      this.dialing.add(id);
      this.nextDial.set(id, now + interval);
      background(
        this.dial(id, targets).finally(() => this.dialing.delete(id)),
        (m) => this.d.log.debug(m),
        `dialling ${id}`,
      );
    }
  }

  /** Tries each address in turn until one gets to a Hello with the right device. */
  private async dial(device: string, targets: TcpAddress[]): Promise<void> {
    for (const t of targets) {
      if (this.stopped || this.active.has(device)) return;
      let socket: tls.TLSSocket;
      try {
        socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
          const s = tls.connect({ host: t.host, port: t.port, ...clientOptions(this.d.keys), timeout: 10_000 });
          const fail = (err: Error) => (s.destroy(), reject(err));
          s.once('secureConnect', () => {
            s.setTimeout(0);
            s.off('error', fail);
            resolve(s);
          });
          s.once('error', fail);
          s.once('timeout', () => fail(new Error('dial timeout')));
        });
      } catch (err) {
        this.d.log.debug(`dialling ${device} at ${t.url}: ${messageOf(err)}`);
        continue;
      }
      const ok = await this.establish(socket, 'tcp-client', device).catch((err: unknown) => {
        this.d.log.info(`connection to ${device} at ${t.url}: ${messageOf(err)}`);
        return false;
      });
      if (ok) return;
    }
  }

  // ---- one connection, from TLS to registered ----

  /**
   * The checks 1.19.2 makes (bep.md §1.1, 1.2, 1.6): exactly one certificate, not ourselves, the
   * device we dialled, the Hello in time; then the device must be configured (or it is recorded
   * as pending), not ignored, not paused, its certificate name right, under the connection limit.
   * Resolves true once the connection is registered (or held as a duplicate).
   */
  private async establish(socket: tls.TLSSocket, type: 'tcp-client' | 'tcp-server', expected?: string): Promise<boolean> {
    const address = `${(socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${socket.remotePort ?? 0}`;
    const refuse = (why: string): false => {
      this.d.log.info(`device connection ${type === 'tcp-client' ? 'to' : 'from'} ${address} refused: ${why}`);
      socket.destroy();
      return false;
    };
    let device: string;
    try {
      device = formatDeviceId(deviceIdFromCertificate(peerCertificate(socket)));
    } catch (err) {
      return refuse(messageOf(err));
    }
    if (device === this.d.myId) return refuse('connected to myself');
    if (expected && device !== expected) return refuse(`unexpected device ID ${device} (wanted ${expected})`);
    if (socket.alpnProtocol !== 'bep/1.0') this.d.log.debug(`peer at ${address} did not negotiate bep/1.0`);
    const cfg = this.cfg();
    const known = cfg.devices.find((x) => x.deviceID === device);
    const me = cfg.devices.find((x) => x.deviceID === this.d.myId);
    let hello: Hello;
    let rest: Uint8Array;
    try {
      // Our name goes only to devices we know, as Syncthing does.
      ({ hello, rest } = await exchangeHello(socket, { deviceName: known ? (me?.name ?? '') : '', clientName: 'synchro', clientVersion: this.d.clientVersion, numConnections: 0, timestamp: 0n }, HELLO_TIMEOUT_MS));
    } catch (err) {
      return refuse(`exchanging Hello with ${device}: ${messageOf(err)}`);
    }
    // After the Hello a refusal says why: a Close may precede the ClusterConfig (1.19.2 logs "closed by remote: …").
    const refuseAfterHello = (why: string): false => {
      const [head, body] = frame(MessageType.Close, encodeClose({ reason: why }), false);
      socket.write(head);
      socket.write(body);
      // The peer hangs up once it has read the Close; if it does not, we end the stream a second later.
      socket.on('data', () => undefined);
      socket.resume();
      setTimeout(() => socket.end(), 1000).unref();
      setTimeout(() => socket.destroy(), 3000).unref();
      this.d.log.info(`device connection ${type === 'tcp-client' ? 'to' : 'from'} ${address} refused: ${why}`);
      return false;
    };
    if (this.stopped) return refuseAfterHello('the device is shutting down');
    const now = this.cfg();
    const dev = now.devices.find((x) => x.deviceID === device);
    if (now.remoteIgnoredDevices.some((x) => x.deviceID === device)) return refuseAfterHello('device is ignored');
    if (!dev) {
      this.d.pending.addDevice(device, hello.deviceName, address);
      this.d.events.append('DeviceRejected', { address, device, name: hello.deviceName });
      this.d.log.info(`unknown device ${device} (${JSON.stringify(hello.deviceName)}) at ${address}: recorded as pending`);
      return refuseAfterHello('unknown device');
    }
    if (dev.paused) return refuseAfterHello('device is paused');
    const certName = dev.certName || 'syncthing';
    if (!certNameMatches(socket, certName)) return refuseAfterHello(`bad certificate: the name is not ${JSON.stringify(certName)}`);
    const limit = Number((now.options as Record<string, unknown>).connectionLimitMax ?? 0);
    if (limit > 0 && !this.active.has(device) && this.active.size >= limit) return refuseAfterHello(`connection limit of ${limit} devices reached`);

    const live: Live = {
      device,
      socket,
      type,
      address,
      hello,
      crypto: cryptoName(socket),
      startedMs: this.now(),
      remoteFolders: new Map(),
      gotClusterConfig: false,
      conn: undefined as unknown as BepConnection,
      link: { device, get closed() { return live.conn.closed; }, send: (m, flushed) => live.conn.send(m, flushed) },
      requests: undefined as unknown as BlockRequests,
    };
    live.requests = new BlockRequests(live.link);
    live.conn = new BepConnection(
      socket,
      rest,
      { message: (m) => this.onMessage(live, m), closed: (reason, byPeer) => this.onClosed(live, reason, byPeer) },
      {
        compression: (['metadata', 'always', 'never'].includes(dev.compression) ? dev.compression : 'metadata') as 'metadata' | 'always' | 'never',
        timers: this.d.timers,
        readThrottle: both(this.globalRecv, this.bucket(this.deviceRecv, device, 'maxRecvKbps')),
        writeThrottle: both(this.globalSend, this.bucket(this.deviceSend, device, 'maxSendKbps')),
      },
    );
    const existing = this.active.get(device);
    if (!existing) this.activate(live);
    else if (this.now() - existing.startedMs > REPLACE_AGE_MS) {
      this.d.log.info(`switching connections to ${device} (existing ${existing.address}, new ${address})`);
      this.activate(live);
      background(existing.conn.close('replaced by a newer connection'), (m) => this.d.log.debug(m), 'closing the replaced connection');
    } else this.holdDuplicate(live);
    return true;
  }

  private bucket(map: Map<string, TokenBucket>, device: string, key: 'maxSendKbps' | 'maxRecvKbps'): TokenBucket {
    let b = map.get(device);
    if (!b) map.set(device, (b = new TokenBucket(() => this.cfg().devices.find((x) => x.deviceID === device)?.[key] ?? 0)));
    return b;
  }

  /** Registers `live` as the device's connection: DeviceConnected, then our ClusterConfig first. */
  private activate(live: Live): void {
    this.active.set(live.device, live);
    this.nextDial.delete(live.device);
    this.d.log.info(`established connection to ${live.device} at ${live.address} (${live.type}, ${live.crypto}), client ${clientString(live.hello)}`);
    this.d.events.append('DeviceConnected', {
      addr: live.address,
      clientName: live.hello.clientName,
      clientVersion: live.hello.clientVersion,
      deviceName: live.hello.deviceName,
      id: live.device,
      type: live.type,
    });
    background(live.conn.start(this.clusterConfig(live.device)), (m) => this.d.log.debug(m), `sending ClusterConfig to ${live.device}`);
  }

  /** A second connection within 10 s: kept silent until the peer chooses it (its ClusterConfig) or the grace ends. */
  private holdDuplicate(live: Live): void {
    const list = this.duplicates.get(live.device) ?? [];
    list.push(live);
    this.duplicates.set(live.device, list);
    const t = setTimeout(() => {
      if (this.active.get(live.device) === live || live.conn.closed) return;
      this.dropDuplicate(live);
      background(live.conn.close('already connected to this device'), (m) => this.d.log.debug(m), 'closing a duplicate connection');
    }, DUPLICATE_GRACE_MS);
    t.unref();
  }

  private dropDuplicate(live: Live): void {
    const list = (this.duplicates.get(live.device) ?? []).filter((x) => x !== live);
    if (list.length) this.duplicates.set(live.device, list);
    else this.duplicates.delete(live.device);
  }

  private clusterConfig(device: string): ClusterConfig {
    return clusterConfigFor(this.cfg(), device, this.d.exchange ?? this.d.index);
  }

  private onMessage(live: Live, m: Message): void | Promise<void> {
    if (m.type === MessageType.ClusterConfig) {
      if (this.active.get(live.device) !== live) {
        // The peer sent its ClusterConfig here: this is the connection it kept. Ours follows.
        const old = this.active.get(live.device);
        this.dropDuplicate(live);
        if (old) {
          this.active.delete(live.device);
          background(old.conn.close('the remote device chose another connection'), (msg) => this.d.log.debug(msg), 'closing the other connection');
        }
        this.activate(live);
      }
      if (!this.clusterConfigReceived(live, m.msg)) return;
      live.lastClusterConfig = m.msg;
      return this.d.exchange?.clusterConfig(live.link, m.msg);
    }
    if (m.type === MessageType.Index || m.type === MessageType.IndexUpdate) {
      if (this.active.get(live.device) !== live) return;
      return this.d.exchange?.received(live.link, m.msg, m.type === MessageType.IndexUpdate);
    }
    if (m.type === MessageType.Response) return live.requests.answered(m.msg);
    if (m.type === MessageType.Request) {
      // Admission under the request bounds is awaited here: a peer at its bound is not read from.
      if (this.d.blocks && this.active.get(live.device) === live) return this.d.blocks.request(live.link, m.msg);
      background(live.conn.send({ type: MessageType.Response, msg: { id: m.msg.id, data: new Uint8Array(0), code: ErrorCode.Generic } }), (msg) => this.d.log.debug(msg), 'answering a request');
    }
  }

  /**
   * The peer's folders (bep.md §1.6 step 7): each one it offers that we do not share with it is
   * pending (or accepted, with autoAcceptFolders); each one we share is noted with its state. A
   * folder it lists without us, or without itself, is 1.19.2's reason to close.
   */
  private clusterConfigReceived(live: Live, cc: ClusterConfig): boolean {
    live.gotClusterConfig = true;
    const cfg = this.cfg();
    const dev = cfg.devices.find((x) => x.deviceID === live.device);
    live.remoteFolders.clear();
    for (const f of cc.folders) {
      const ids = new Set(f.devices.map((x) => formatDeviceId(x.id)));
      // Noted whether we share it yet or not: sharing it later makes it valid at once.
      if (ids.has(this.d.myId)) live.remoteFolders.set(f.id, { paused: f.stopReason !== 0 });
      const ours = cfg.folders.find((x) => x.id === f.id);
      const shared = ours?.devices.some((x) => x.deviceID === live.device) ?? false;
      if (!shared) {
        if (dev?.ignoredFolders.some((x) => x.id === f.id)) continue;
        if (this.d.pending.addFolder(f.id, live.device, f.label)) {
          this.d.events.append('FolderRejected', { device: live.device, folder: f.id, folderLabel: f.label });
          this.d.log.info(`device ${live.device} wants to share folder ${JSON.stringify(f.label)} (${f.id}): recorded as pending`);
        }
        if (dev?.autoAcceptFolders) this.d.log.info(`autoAcceptFolders is set for ${live.device}, but Synchro does not accept folders by itself yet: folder ${f.id} stays pending`);
        continue;
      }
      if (!ids.has(this.d.myId) || !ids.has(live.device)) {
        background(live.conn.close(`folder ${f.id}: the ClusterConfig lacks ${!ids.has(this.d.myId) ? 'our' : 'its own'} device`), (m) => this.d.log.debug(m), 'closing');
        return false;
      }
    }
    if (dev?.introducer) this.d.log.info(`device ${live.device} is an introducer; introductions are not supported yet and are ignored`);
    return true;
  }

  private onClosed(live: Live, reason: string, byPeer: boolean): void {
    live.requests.close(reason);
    this.d.exchange?.disconnected(live.link);
    this.totalIn += live.conn.inBytes;
    this.totalOut += live.conn.outBytes;
    const t = this.ended.get(live.device) ?? { inBytes: 0, outBytes: 0, inMessages: 0, outMessages: 0 };
    this.ended.set(live.device, { inBytes: t.inBytes + live.conn.inBytes, outBytes: t.outBytes + live.conn.outBytes, inMessages: t.inMessages + live.conn.inMessages, outMessages: t.outMessages + live.conn.outMessages });
    this.dropDuplicate(live);
    if (this.active.get(live.device) !== live) return;
    this.active.delete(live.device);
    const now = this.now();
    this.seen.set(live.device, { lastSeenMs: now, lastDurationS: Math.round((now - live.startedMs) / 1000) });
    this.d.log.info(`connection to ${live.device} at ${live.address} closed: ${reason}${byPeer ? '' : ' (by us)'}`);
    this.d.events.append('DeviceDisconnected', { error: reason, id: live.device });
    // A duplicate still open takes over; otherwise redial soon, a little later than a peer that redials at once.
    const next = this.duplicates.get(live.device)?.find((x) => !x.conn.closed);
    if (next) {
      this.dropDuplicate(next);
      this.activate(next);
    } else if (!this.stopped) this.nextDial.set(live.device, now + 1000 + Math.floor(Math.random() * 2000));
  }

  // ---- configuration ----

  /** Pause, unpause, removal, new sharing, new listen addresses: applied to the live connections. */
  subscriber(): ConfigSubscriber {
    return {
      commit: async (next, prev) => {
        if (this.stopped) return;
        for (const [id, live] of [...this.active]) {
          const dev = next.devices.find((x) => x.deviceID === id);
          if (!dev) await live.conn.close('the device was removed');
          else if (dev.paused) await live.conn.close('the device is paused');
          else if (!Buffer.from(encodeClusterConfig(clusterConfigFor(prev, id))).equals(encodeClusterConfig(clusterConfigFor(next, id)))) {
            background(live.conn.send({ type: MessageType.ClusterConfig, msg: this.clusterConfig(id) }), (m) => this.d.log.debug(m), 'sending a new ClusterConfig');
          }
        }
        for (const dev of next.devices) {
          const before = prev.devices.find((x) => x.deviceID === dev.deviceID);
          if (!before || (before.paused && !dev.paused) || JSON.stringify(before.addresses) !== JSON.stringify(dev.addresses)) this.nextDial.delete(dev.deviceID);
        }
        if (this.d.exchange) background(this.d.exchange.configChanged(prev, next, [...this.active.values()]), (m) => this.d.log.info(m), 'applying a new configuration to index exchange');
        this.d.pending.forget({
          device: (id) => !next.devices.some((x) => x.deviceID === id),
          folder: (folder, device) => !next.folders.some((f) => f.id === folder && f.devices.some((x) => x.deviceID === device)),
        });
        if (JSON.stringify(this.listenAddresses(next)) !== JSON.stringify(this.listenAddresses(prev))) {
          await Promise.all([...this.listeners.values()].map((l) => new Promise<void>((r) => (l.server ? l.server.close(() => r()) : r()))));
          this.listeners.clear();
          await this.listen(this.listenAddresses(next));
        }
        this.dialDue();
      },
    };
  }

  // ---- what REST shows ----

  /** Per configured remote device: connected or not, and the connection's details (v1.27's shape). */
  connections(): { connections: Record<string, ConnectionStatus & { primary: Omit<ConnectionStatus, 'connected' | 'paused' | 'clientVersion'> }>; total: { at: string; inBytesTotal: number; outBytesTotal: number } } {
    const nowS = formatTimeSeconds(this.now());
    const out: Record<string, ConnectionStatus & { primary: Omit<ConnectionStatus, 'connected' | 'paused' | 'clientVersion'> }> = {};
    let inTotal = this.totalIn;
    let outTotal = this.totalOut;
    // This device is listed too, never connected, as 1.19 lists it (syncthing-gtk looks its own ID
    // up on every poll); the keys are v1.27's.
    for (const dev of [...this.cfg().devices].sort((a, b) => (a.deviceID < b.deviceID ? -1 : 1))) {
      const live = dev.deviceID === this.d.myId ? undefined : this.active.get(dev.deviceID);
      const inB = live?.conn.inBytes ?? 0;
      const outB = live?.conn.outBytes ?? 0;
      inTotal += inB;
      outTotal += outB;
      const base = {
        address: live?.address ?? '',
        type: live?.type ?? '',
        crypto: live?.crypto ?? '',
        inBytesTotal: inB,
        outBytesTotal: outB,
        startedAt: live ? formatTimeSeconds(live.startedMs) : ZERO_TIME,
        at: live ? nowS : ZERO_TIME,
        isLocal: live ? isLanAddress(live.socket.remoteAddress ?? '') : false,
      };
      out[dev.deviceID] = { ...base, connected: live !== undefined, paused: dev.paused, clientVersion: live ? clientString(live.hello) : '', primary: base };
    }
    return { connections: out, total: { at: nowS, inBytesTotal: inTotal, outBytesTotal: outTotal } };
  }

  /** Bytes and messages to and from each device since start, over all its connections (configured devices only). */
  traffic(): Map<string, DeviceTraffic> {
    const out = new Map<string, DeviceTraffic>();
    for (const dev of this.cfg().devices) {
      if (dev.deviceID === this.d.myId) continue;
      const t = { ...(this.ended.get(dev.deviceID) ?? { inBytes: 0, outBytes: 0, inMessages: 0, outMessages: 0 }) };
      const live = this.active.get(dev.deviceID);
      if (live) {
        t.inBytes += live.conn.inBytes;
        t.outBytes += live.conn.outBytes;
        t.inMessages += live.conn.inMessages;
        t.outMessages += live.conn.outMessages;
      }
      out.set(dev.deviceID, t);
    }
    return out;
  }

  /** One transport name per live connection, as Syncthing's usage report counts them: "tcp4", "tcp6". */
  transports(): string[] {
    return [...this.active.values()].map((c) => `tcp${c.socket.remoteFamily === 'IPv6' ? '6' : '4'}`);
  }

  /** /rest/stats/device: when each device was last seen connected, and for how long it was. */
  deviceStats(device: string): { lastSeen: string; lastConnectionDurationS: number } {
    const live = this.active.get(device);
    if (live) return { lastSeen: formatTimeSeconds(this.now()), lastConnectionDurationS: Math.round((this.now() - live.startedMs) / 1000) };
    const s = this.seen.get(device);
    return { lastSeen: s ? formatTimeSeconds(s.lastSeenMs) : formatTimeSeconds(0), lastConnectionDurationS: s?.lastDurationS ?? 0 };
  }

  /** Whether the device is connected now, and which of our shared folders its ClusterConfig lists (and paused). */
  remoteFolderState(device: string, folder: string): 'valid' | 'paused' | 'notSharing' | 'unknown' {
    const live = this.active.get(device);
    if (!live || !live.gotClusterConfig) return 'unknown';
    const f = live.remoteFolders.get(folder);
    if (!f) return 'notSharing';
    return f.paused ? 'paused' : 'valid';
  }

  /**
   * Asks a connected device for a block (the data unverified: the caller checks its hash). Fails
   * at once when the device is not connected, or when it does not share the folder validly.
   */
  requestBlock(device: string, q: Omit<Request, 'id'>, signal?: AbortSignal): Promise<Uint8Array> {
    const live = this.active.get(device);
    if (!live || live.conn.closed || this.remoteFolderState(device, q.folder) !== 'valid') return Promise.reject(new AppError('internal', `device ${device} is not connected with folder ${q.folder}`));
    return live.requests.ask(q, signal);
  }

  /** Connected devices right now. */
  get connectedCount(): number {
    return this.active.size;
  }
}

/** How /rest/system/connections shows a client: "syncthing v1.19.2" is shown as the version alone, others with their name. */
function clientString(h: Hello): string {
  return h.clientName === 'syncthing' || h.clientName === '' ? h.clientVersion : `${h.clientName} ${h.clientVersion}`;
}

/** 1.19.2's certificate name check: the Subject CommonName, or else a DNS name among the SANs. */
function certNameMatches(socket: tls.TLSSocket, name: string): boolean {
  const cert = socket.getPeerCertificate();
  const cn = cert.subject?.CN;
  if ((Array.isArray(cn) ? cn : [cn]).includes(name)) return true;
  return (cert.subjectaltname ?? '').split(/,\s*/).some((san) => san === `DNS:${name}`);
}

function isLanAddress(ip: string): boolean {
  const v4 = ip.replace(/^::ffff:/, '');
  return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.)/.test(v4) || ip === '::1' || /^f[cd]/i.test(ip) || /^fe80/i.test(ip);
}

export { ProtocolError };
