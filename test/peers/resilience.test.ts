import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { loadOrCreateIdentity } from '../../src/auth/certificate.js';
import { frame, helloFrame } from '../../src/bep/frame.js';
import { encodeClusterConfig, MessageType } from '../../src/bep/messages.js';
import { clientOptions } from '../../src/bep/tls.js';
import { Service } from '../hardening/crash-harness.js';
import { generatedHome } from '../support/generated-home.js';
import { freePort, prepareReferenceHome, startReference } from '../support/syncthing-ref.js';
import { tempDir } from '../support/temp-dir.js';
import { lastRefEventId, pair, refEvents, refSees, skipReason, synchroSees, until } from './peer-kit.js';

/** Issue 24: a killed Synchro is noticed and comes back by itself; bad peers are refused, logged, and harm nothing else. */

const opts = { skip: skipReason, timeout: 180_000 };

test('kill -9 of Synchro: Syncthing reports it disconnected, and after a restart they reconnect by themselves', opts, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const refHome = path.join(dir, 'ref');
  const refId = await prepareReferenceHome(refHome);
  const syncPort = await freePort();
  const port = await freePort();
  const apiKey = 'peer-kill-key-0123456789abcdef';
  const home = path.join(dir, 'synchro');
  const configFile = await generatedHome(home, { port, apiKey, folders: [] });
  // Synchro knows the reference at its address; the reference knows Synchro as dynamic (it never dials).
  const xml = await fs.readFile(configFile, 'utf8');
  await fs.writeFile(
    configFile,
    xml
      .replace('</configuration>', `    <device id="${refId}" name="reference" compression="metadata" introducer="false" skipIntroductionRemovals="false" introducedBy=""><address>tcp://127.0.0.1:${syncPort}</address><paused>false</paused></device>\n</configuration>`)
      .replace(/<reconnectionIntervalS>\d+<\/reconnectionIntervalS>/, '<reconnectionIntervalS>1</reconnectionIntervalS>'),
  );
  const svc = new Service(home, port, apiKey);
  t.after(() => svc.kill());
  await svc.start();
  const myId = (await svc.json('/rest/system/status')).myID as string;
  const ref = await startReference(refHome, { syncPort, devices: [{ id: myId, name: 'synchro', addresses: ['dynamic'] }] });
  t.after(() => ref.stop());
  const seen = (connected: boolean) => until(`the reference to see Synchro ${connected ? 'connected' : 'gone'}`, async () => {
    const c = (await ref.json<any>('/rest/system/connections')).connections[myId];
    return c?.connected === connected ? c : undefined;
  });
  for (let round = 0; round < 3; round++) {
    await seen(true);
    const since = await lastRefEventId(ref);
    await svc.kill();
    await seen(false);
    const gone = await until('DeviceDisconnected', async () => (await refEvents(ref, since, 'DeviceDisconnected')).find((e) => e.data.id === myId));
    assert.ok(gone.data.error, `round ${round}: ${gone.data.error}`);
    await svc.start();
    const back = await seen(true);
    assert.equal(back.clientVersion.startsWith('synchro '), true);
  }
  assert.deepEqual(ref.connectionProblems([/closed: (reading length: EOF|read tcp .*: connection reset by peer|.*broken pipe)/]), []);
});

test('bad peers are refused and logged; the real peer stays connected and REST goes on', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  await synchroSees(p);
  const [host, portText] = p.synchroAddress.replace('tcp://', '').split(':');
  const port = Number(portText);
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  // A device Synchro knows, so that its connections get past the Hello.
  const known = await loadOrCreateIdentity(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'));
  assert.equal((await p.s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: known.deviceId, name: 'known', addresses: ['dynamic'] }) })).status, 200);

  const connect = (extra: tls.ConnectionOptions = {}) =>
    new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ host, port, ...clientOptions(known), ...extra });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
  /** Sends `bytes` after the handshake and resolves when the server hangs up. */
  const sendAndWait = async (bytes: Uint8Array[], extra: tls.ConnectionOptions = {}) => {
    const s = await connect(extra);
    s.on('data', () => undefined);
    for (const b of bytes) s.write(b);
    await new Promise<void>((r) => (s.once('close', () => r()), setTimeout(() => (s.destroy(), r()), 30_000).unref()));
  };
  const hello = helloFrame({ deviceName: 'known', clientName: 'evil', clientVersion: 'v0', numConnections: 0, timestamp: 0n });
  const cc = frame(MessageType.ClusterConfig, encodeClusterConfig({ folders: [], secondary: false }), false);
  const logged = (re: RegExp) => until(`a log line matching ${re}`, async () => p.s.logs.find((l) => re.test(l)), 30_000);

  // TLS 1.2 only: the handshake fails.
  await assert.rejects(connect({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }));
  await logged(/refused: TLS handshake/);
  // Two certificates: a leaf and its own CA.
  const ca = path.join(dir, 'ca');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-subj', '/CN=ca', '-days', '2'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}-leaf.key`, '-out', `${ca}-leaf.csr`, '-subj', '/CN=syncthing'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', `${ca}-leaf.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${ca}-leaf.pem`, '-days', '2'], { stdio: 'ignore' });
  const chain = (await fs.readFile(`${ca}-leaf.pem`, 'utf8')) + (await fs.readFile(`${ca}.pem`, 'utf8'));
  await sendAndWait([], { cert: chain, key: await fs.readFile(`${ca}-leaf.key`, 'utf8') });
  await logged(/refused: peer certificate list of length 2 != 1/);
  // Wrong magic.
  await sendAndWait([Buffer.from([0x12, 0x34, 0x56, 0x78, 0, 0])]);
  await logged(/unknown \(newer\?\) version of the protocol/);
  // A first message that is not a ClusterConfig.
  await sendAndWait([hello, ...frame(MessageType.Ping, new Uint8Array(0), false)]);
  await logged(/first message must be ClusterConfig/);
  // An oversized frame after a proper start.
  const huge = Buffer.from([0, 0, 0x30, 0, 0, 0]); // 805,306,368 bytes claimed
  await sendAndWait([hello, ...cc, huge]);
  await logged(/message length 805306368 is over the limit/);
  // Garbage where a ClusterConfig should be.
  await sendAndWait([hello, Buffer.from([0, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])]);
  await logged(/protocol error: protobuf/);

  // Everything else went on.
  assert.equal((await p.s.req('/rest/system/ping')).status, 200);
  const still = await synchroSees(p);
  assert.equal(still.connected, true);
  await refSees(p);
  assert.deepEqual(p.ref.connectionProblems(), []);
});
