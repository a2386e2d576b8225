import tls from 'node:tls';
import type { Identity } from '../src/auth/certificate.js';
import { BepConnection } from '../src/bep/connection.js';
import { exchangeHello } from '../src/bep/hello.js';
import { clientOptions } from '../src/bep/tls.js';
import { freePort } from '../test/support/syncthing-ref.js';
import type { Server } from './servers.js';

/**
 * Device connections, measured the same way against Synchro and Syncthing: how long from adding
 * a device (both listening) until the subject reports it connected, and how much memory each idle
 * connection costs the subject (synthetic peers made with our own BEP room, so both subjects get
 * exactly the same peers).
 */

const api = (s: Server, p: string, init: RequestInit = {}) => fetch(`${s.base}${p}`, { ...init, headers: { 'X-API-Key': s.key, ...(init.headers as Record<string, string>) } });

async function myId(s: Server): Promise<string> {
  return ((await (await api(s, '/rest/system/status')).json()) as { myID: string }).myID;
}

/** Where the subject listens for devices (its first TCP listener). */
async function listenAddress(s: Server): Promise<string> {
  const st = (await (await api(s, '/rest/system/status')).json()) as { connectionServiceStatus: Record<string, { lanAddresses?: string[] }> };
  for (const [url, v] of Object.entries(st.connectionServiceStatus)) {
    const a = v.lanAddresses?.find((x) => x.startsWith('tcp://')) ?? (url.startsWith('tcp://') ? url : undefined);
    if (a) return a.replace('0.0.0.0', '127.0.0.1');
  }
  throw new Error(`${s.name}: no TCP listener`);
}

/** Points the subject's device listener at a free loopback port (the bench homes start with their defaults). */
export async function listenOnLoopback(s: Server): Promise<string> {
  const port = await freePort();
  const res = await api(s, '/rest/config/options', { method: 'PATCH', body: JSON.stringify({ listenAddresses: [`tcp://127.0.0.1:${port}`], reconnectionIntervalS: 1, globalAnnounceEnabled: false, localAnnounceEnabled: false, relaysEnabled: false, natEnabled: false }) });
  if (!res.ok) throw new Error(`${s.name}: listen address: ${res.status}`);
  for (let i = 0; i < 100; i++) {
    const a = await listenAddress(s).catch(() => '');
    if (a.endsWith(`:${port}`)) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
  // A listen address given on the command line (SYNCHRO_LISTEN_ADDRESS, as npm run bench sets) wins over the config.
  return listenAddress(s);
}

async function connected(s: Server, device: string): Promise<boolean> {
  const c = (await (await api(s, '/rest/system/connections')).json()) as { connections: Record<string, { connected: boolean }> };
  return c.connections[device]?.connected === true;
}

/**
 * Seconds from adding `peer` to `subject` (with the peer's address, the peer knowing the subject)
 * until the subject reports it connected. Both are listening before the clock starts.
 */
export async function connectTime(subject: Server, peer: Server): Promise<number> {
  const [subjectId, peerId] = [await myId(subject), await myId(peer)];
  const peerAddress = await listenAddress(peer);
  await api(peer, '/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: subjectId, name: 'subject', addresses: ['dynamic'] }) });
  const t0 = performance.now();
  await api(subject, '/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: peerId, name: 'peer', addresses: [peerAddress] }) });
  for (;;) {
    if (await connected(subject, peerId)) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 120_000) return NaN;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * RSS the subject adds per idle connection: `peers` synthetic devices, all in its config, connect
 * (TLS, Hello, an empty ClusterConfig each) and stay; RSS before and after, divided.
 */
export async function idleConnectionCost(subject: Server, peers: Identity[]): Promise<{ perConnectionKiB: number; connected: number }> {
  const address = await listenAddress(subject);
  const [host, port] = address.replace('tcp://', '').split(':') as [string, string];
  for (const p of peers) await api(subject, '/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: p.deviceId, name: p.deviceId.slice(0, 7), addresses: ['dynamic'] }) });
  await new Promise((r) => setTimeout(r, 3000));
  const before = subject.rssMiB();
  const conns: BepConnection[] = [];
  for (const p of peers) {
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host, port: Number(port), ...clientOptions(p) });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
    const { rest } = await exchangeHello(socket, { deviceName: 'peer', clientName: 'bench', clientVersion: 'v0', numConnections: 0, timestamp: 0n });
    const c = new BepConnection(socket, rest, { message: () => undefined, closed: () => undefined }, { compression: 'never' });
    await c.start({ folders: [], secondary: false });
    conns.push(c);
  }
  await new Promise((r) => setTimeout(r, 5000));
  const ids = new Set(peers.map((p) => p.deviceId));
  const c = (await (await api(subject, '/rest/system/connections')).json()) as { connections: Record<string, { connected: boolean }> };
  const up = Object.entries(c.connections).filter(([id, v]) => ids.has(id) && v.connected).length;
  const after = subject.rssMiB();
  await Promise.all(conns.map((x) => x.close('bench done')));
  return { perConnectionKiB: ((after - before) * 1024) / Math.max(1, up), connected: up };
}
