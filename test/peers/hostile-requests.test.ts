import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { loadOrCreateIdentity, type Identity } from '../../src/auth/certificate.js';
import { BepConnection } from '../../src/bep/connection.js';
import { exchangeHello } from '../../src/bep/hello.js';
import { MessageType, type Device, type Request, type Response } from '../../src/bep/messages.js';
import { clientOptions } from '../../src/bep/tls.js';
import { deviceIdBytes } from '../../src/shared/device-id.js';
import { addFolder, scan, waitForEvent } from '../support/folder-helpers.js';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from './peer-kit.js';

/**
 * Issue 26, test 6: a peer that asks for what it may not have — outside the folder, through a
 * link, internal, ignored or temporary files, folders not shared or not running, absurd offsets
 * and sizes, data that no longer matches — gets the error code 1.19.2 gives, nothing read outside
 * the folder, a log line; an unclean name closes the connection, as 1.19.2's protocol layer does.
 * And a peer that does not read its answers holds at most its 32 MiB of them.
 */

const EMPTY = new Uint8Array(0);
const sha = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());

function device(id: string): Device {
  return { id: deviceIdBytes(id), name: '', addresses: [], compression: 0, certName: '', maxSequence: 0, introducer: false, indexId: 7n, skipIntroductionRemovals: false, encryptionPasswordToken: EMPTY };
}

interface Peer {
  ask(q: Partial<Request>): Promise<Response>;
  sendOnly(q: Partial<Request>): Promise<void>;
  socket: tls.TLSSocket;
  closed: Promise<string>;
}

let nextId = 1;

const sockets: tls.TLSSocket[] = [];

async function connect(s: TestServer, who: Identity, folders: string[]): Promise<Peer> {
  const [host, port] = s.app.connections.listening[0]!.replace('tcp://', '').split(':') as [string, string];
  const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const so = tls.connect({ host, port: Number(port), ...clientOptions(who) });
    so.once('secureConnect', () => resolve(so));
    so.once('error', reject);
  });
  sockets.push(socket);
  const { rest } = await exchangeHello(socket, { deviceName: 'hostile', clientName: 'syncthing', clientVersion: 'v1.19.2', numConnections: 0, timestamp: 0n });
  let done!: (r: string) => void;
  const closed = new Promise<string>((r) => (done = r));
  const waiting = new Map<number, (r: Response) => void>();
  const conn = new BepConnection(
    socket,
    rest,
    { message: (m) => void (m.type === MessageType.Response && waiting.get(m.msg.id)?.(m.msg)), closed: (reason) => done(reason) },
    { compression: 'never' },
  );
  await conn.start({ folders: folders.map((id) => ({ id, label: id, type: 0, ignorePermissions: false, ignoreDelete: false, disableTempIndexes: false, stopReason: 0, devices: [device(s.app.myId), device(who.deviceId)] })), secondary: false });
  const request = (q: Partial<Request>): Request => ({ id: nextId++, folder: 'x', name: 'ok.txt', offset: 0, size: 5, hash: sha('hello'), fromTemporary: false, weakHash: 0, blockNo: 0, ...q });
  return {
    socket,
    closed,
    ask: (q) => {
      const r = request(q);
      const answer = new Promise<Response>((resolve) => waiting.set(r.id, resolve));
      return conn.send({ type: MessageType.Request, msg: r }).then(() => answer);
    },
    sendOnly: (q) => conn.send({ type: MessageType.Request, msg: request(q) }),
  };
}

/** The most Synchro holds in flight: watched until it reaches `atLeast`, then for half a second more. */
async function mostInFlight(s: TestServer, atLeast: number): Promise<number> {
  let most = 0;
  await until(`Synchro to hold ${atLeast} bytes in flight`, async () => {
    most = Math.max(most, s.app.blocks.inFlight);
    return s.app.blocks.inFlight >= atLeast;
  });
  for (let i = 0; i < 20; i++) {
    most = Math.max(most, s.app.blocks.inFlight);
    await new Promise((r) => setTimeout(r, 25));
  }
  return most;
}

async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = await startServer();
  t.after(() => s.stop());
  // A paused socket of ours would keep the test process alive after a failure.
  t.after(() => sockets.splice(0).forEach((x) => x.destroy()));
  const who = await loadOrCreateIdentity(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'));
  assert.equal((await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: who.deviceId, name: 'hostile', addresses: ['dynamic'] }) })).status, 200);
  return { s, who, dir };
}

test('hostile requests: each gets the code 1.19.2 gives, nothing outside the folder is read, and an unclean name closes the connection', { timeout: 120_000 }, async (t) => {
  const { s, who, dir } = await setup(t);
  const root = path.join(dir, 'x');
  const outside = path.join(dir, 'outside');
  await fs.mkdir(path.join(root, 'dir'), { recursive: true });
  await fs.mkdir(outside);
  await fs.writeFile(path.join(root, 'ok.txt'), 'hello');
  await fs.writeFile(path.join(root, 'secret.txt'), 'hello');
  await fs.writeFile(path.join(root, '.stignore'), 'secret*\n');
  await fs.writeFile(path.join(root, 'changing.txt'), 'aaaaa');
  await fs.writeFile(path.join(outside, 'passwd'), 'root:x:0:0\n');
  await fs.symlink(outside, path.join(root, 'link'));
  await fs.symlink(path.join(outside, 'passwd'), path.join(root, 'filelink'));
  await addFolder(s, 'x', root, { devices: [{ deviceID: who.deviceId }] });
  await addFolder(s, 'y', path.join(dir, 'y'));
  await addFolder(s, 'p', path.join(dir, 'p'), { devices: [{ deviceID: who.deviceId }], paused: true });
  await scan(s, 'x');
  // Made after the scan: the temp file of a pull in progress (it is ignored by every scan).
  await fs.writeFile(path.join(root, '.syncthing.ok.txt.tmp'), 'hello');
  const c = await connect(s, who, ['x', 'p']);
  await until('Synchro to take our ClusterConfig', async () => (await s.json('/rest/system/connections')).connections[who.deviceId]?.connected);

  const passwd = sha('root:x:0:0\n');
  const cases: [string, Partial<Request>, number][] = [
    ['a good request', {}, 0],
    ['an unknown folder', { folder: 'nope' }, 1],
    ['a folder not shared with it', { folder: 'y' }, 1],
    ['a paused folder', { folder: 'p' }, 1],
    ['.stignore', { name: '.stignore', size: 8, hash: sha('secret*\n') }, 3],
    ['.stfolder', { name: '.stfolder' }, 3],
    ['under .stversions', { name: '.stversions/ok.txt' }, 3],
    ['an ignored file', { name: 'secret.txt' }, 3],
    ['a temp file by name', { name: '.syncthing.ok.txt.tmp' }, 3],
    ['a file through a linked directory', { name: 'link/passwd', size: 11, hash: passwd }, 2],
    ['a symlink to a file outside', { name: 'filelink', size: 11, hash: passwd }, 2],
    ['a directory', { name: 'dir' }, 2],
    ['a missing file', { name: 'missing.txt' }, 2],
    ['a negative offset', { offset: -1 }, 3],
    ['an offset past 2^53', { offset: 2 ** 60 }, 3],
    ['a negative size', { size: -1 }, 3],
    ['a size of 2^31 - 1', { size: 2 ** 31 - 1 }, 3],
    ['a size above the largest block', { size: (16 << 20) + 1 }, 3],
    ['an offset past the end', { offset: 1 << 20 }, 2],
    ['the wrong hash', { hash: sha('olleh') }, 2],
    ['a short hash', { hash: new Uint8Array(5) }, 2],
  ];
  for (const [what, q, code] of cases) {
    const r = await c.ask(q);
    assert.equal(r.code, code, what);
    if (code !== 0) assert.equal(r.data.length, 0, `${what}: no data`);
  }
  assert.equal(Buffer.from((await c.ask({})).data).toString(), 'hello');
  // From a temp file when asked so (the peer saw our download progress), else from the file.
  await fs.writeFile(path.join(root, '.syncthing.ok.txt.tmp'), 'HELLO');
  const fromTemp = await c.ask({ fromTemporary: true, hash: sha('HELLO') });
  assert.equal(fromTemp.code, 0);
  assert.equal(Buffer.from(fromTemp.data).toString(), 'HELLO');
  assert.equal(Buffer.from((await c.ask({ fromTemporary: true })).data).toString(), 'hello', 'the finished file when the temp file does not match');
  assert.ok(s.logs.some((l) => /request from .*"link\/passwd" .*symbolic link/.test(l)), 'the link refusal is logged');
  assert.ok(s.logs.some((l) => /request from .*"secret.txt" .*ignored file/.test(l)), 'the ignored file is logged');

  // Changed on disk since the scan, the same size: "no such file", and the file is rescanned.
  await fs.writeFile(path.join(root, 'changing.txt'), 'bbbbb');
  const stale = await c.ask({ name: 'changing.txt', hash: sha('aaaaa') });
  assert.equal(stale.code, 2);
  await waitForEvent(s, 'LocalIndexUpdated', (e) => e.data.folder === 'x' && e.data.filenames.includes('changing.txt'));
  const now = await c.ask({ name: 'changing.txt', hash: sha('bbbbb') });
  assert.equal(Buffer.from(now.data).toString(), 'bbbbb');
  // A wrong hash for a block our index does not claim triggers no rescan (a peer cannot make us scan at will).
  const seq = (await s.json('/rest/db/status?folder=x')).sequence;
  assert.equal((await c.ask({ name: 'ok.txt', hash: sha('zzzzz') })).code, 2);
  assert.equal((await s.json('/rest/db/status?folder=x')).sequence, seq);
  assert.equal((await s.req('/rest/system/ping')).status, 200);

  // An unclean name is a protocol error: the connection goes, with the reason.
  await c.sendOnly({ name: '../outside/passwd', size: 11, hash: passwd }).catch(() => undefined);
  assert.match(await c.closed, /invalid file name/);
  await until('the log of the unclean name', async () => s.logs.some((l) => /closed: protocol error: request for an invalid file name/.test(l)));
  for (const name of ['a/../ok.txt', '/etc/passwd', './ok.txt', 'dir/']) {
    const again = await connect(s, who, ['x']);
    await again.sendOnly({ name }).catch(() => undefined);
    assert.match(await again.closed, /invalid file name/, name);
  }
});

test('a peer that does not read its answers holds at most its 32 MiB of them; once it reads, every answer is right', { timeout: 120_000 }, async (t) => {
  const { s, who, dir } = await setup(t);
  const root = path.join(dir, 'x');
  await fs.mkdir(root, { recursive: true });
  const data = randomBytes(16 << 20);
  await fs.writeFile(path.join(root, 'big.bin'), data);
  await addFolder(s, 'x', root, { devices: [{ deviceID: who.deviceId }] });
  await scan(s, 'x');
  const c = await connect(s, who, ['x']);
  await until('Synchro to take our ClusterConfig', async () => (await s.json('/rest/system/connections')).connections[who.deviceId]?.connected);
  // Stop reading, then ask for 100 MiB.
  c.socket.pause();
  const mib = 1 << 20;
  const answers: Promise<Response>[] = [];
  for (let i = 0; i < 100; i++) {
    const off = (i % 16) * mib;
    answers.push(c.ask({ name: 'big.bin', offset: off, size: mib, hash: sha(data.subarray(off, off + mib)) }));
  }
  const most = await mostInFlight(s, 30 * mib);
  assert.ok(most <= 32 * mib, `at most 32 MiB in flight (saw ${most})`);
  assert.ok(s.app.blocks.served.ok < 100, 'not everything was answered while the peer did not read');
  c.socket.resume();
  const got = await Promise.all(answers);
  for (let i = 0; i < 100; i++) {
    const off = (i % 16) * mib;
    assert.equal(got[i]!.code, 0);
    assert.ok(Buffer.from(got[i]!.data).equals(data.subarray(off, off + mib)), `answer ${i}`);
  }
  // (the last answer's bytes are released once the socket has taken them, which may be after the peer read them)
  await until('nothing in flight', async () => s.app.blocks.inFlight === 0);
  // The device's own maxRequestKiB is its bound, applied without a reconnect.
  assert.equal((await s.req(`/rest/config/devices/${who.deviceId}`, { method: 'PATCH', body: JSON.stringify({ maxRequestKiB: 4096 }) })).status, 200);
  c.socket.pause();
  const block = (i: number) => data.subarray((i % 16) * mib, ((i % 16) + 1) * mib);
  const few: Promise<Response>[] = [];
  for (let i = 0; i < 20; i++) few.push(c.ask({ name: 'big.bin', offset: (i % 16) * mib, size: mib, hash: sha(block(i)) }));
  const mostSmall = await mostInFlight(s, 3 * mib);
  assert.ok(mostSmall <= 4 * mib, `at most the device's 4 MiB in flight (saw ${mostSmall})`);
  c.socket.resume();
  for (const [i, r] of (await Promise.all(few)).entries()) assert.ok(r.code === 0 && Buffer.from(r.data).equals(block(i)), `answer ${i} under the device bound`);
  await until('nothing in flight', async () => s.app.blocks.inFlight === 0);
  assert.equal((await s.req(`/rest/config/devices/${who.deviceId}`, { method: 'PATCH', body: JSON.stringify({ maxRequestKiB: 0 }) })).status, 200);
  // Stopping the service does not wait on a peer that stopped reading again.
  c.socket.pause();
  for (let i = 0; i < 60; i++) c.ask({ name: 'big.bin', offset: 0, size: mib, hash: sha(data.subarray(0, mib)) }).catch(() => undefined);
  await until('Synchro full again', async () => s.app.blocks.inFlight >= 30 * mib);
  const t0 = Date.now();
  await s.stop();
  assert.ok(Date.now() - t0 < 15_000, `stopped in ${Date.now() - t0} ms (the close timeout is 10 s)`);
});
