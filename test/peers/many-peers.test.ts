import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import tls from 'node:tls';
import { BepConnection } from '../../src/bep/connection.js';
import { exchangeHello } from '../../src/bep/hello.js';
import { clientOptions } from '../../src/bep/tls.js';
import { peerIdentities } from '../support/peer-identities.js';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Many devices (our own BEP room as the peers, no Syncthing needed): more of them than the bound
 * on connections still in their handshake or Hello all get in and stay, one connection each;
 * the bound only ever counts strangers, never registered devices.
 */

test('100 devices connect one after another and all stay connected', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = await startServer();
  t.after(() => s.stop());
  const peers = await peerIdentities(path.join(dir, 'ids'), 100);
  for (const p of peers) assert.equal((await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: p.deviceId, name: 'p', addresses: ['dynamic'] }) })).status, 200);
  const [host, port] = s.app.connections.listening[0]!.replace('tcp://', '').split(':') as [string, string];
  const conns: BepConnection[] = [];
  t.after(() => Promise.all(conns.map((c) => c.close('test done'))).then(() => undefined));
  for (const p of peers) {
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const so = tls.connect({ host, port: Number(port), ...clientOptions(p) });
      so.once('secureConnect', () => resolve(so));
      so.once('error', reject);
    });
    const { hello, rest } = await exchangeHello(socket, { deviceName: 'p', clientName: 'test', clientVersion: 'v0', numConnections: 0, timestamp: 0n });
    assert.equal(hello.clientName, 'synchro');
    const c = new BepConnection(socket, rest, { message: () => undefined, closed: () => undefined }, { compression: 'never' });
    await c.start({ folders: [], secondary: false });
    conns.push(c);
  }
  const ids = new Set(peers.map((p) => p.deviceId));
  for (let i = 0; i < 200; i++) {
    const c = (await s.json('/rest/system/connections')).connections as Record<string, { connected: boolean }>;
    if (Object.entries(c).filter(([id, v]) => ids.has(id) && v.connected).length === 100) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const c = (await s.json('/rest/system/connections')).connections as Record<string, { connected: boolean }>;
  assert.equal(Object.entries(c).filter(([id, v]) => ids.has(id) && v.connected).length, 100);
  assert.equal(s.app.connections.connectedCount, 100);
});
