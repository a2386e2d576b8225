import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import tls from 'node:tls';
import { loadOrCreateIdentity, type Identity } from '../../src/auth/certificate.js';
import { BepConnection } from '../../src/bep/connection.js';
import { exchangeHello } from '../../src/bep/hello.js';
import { MessageType, type Device, type FileInfo, type Message } from '../../src/bep/messages.js';
import { clientOptions } from '../../src/bep/tls.js';
import { deviceIdBytes } from '../../src/shared/device-id.js';
import { addFolder } from '../support/folder-helpers.js';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from './peer-kit.js';

/**
 * Issue 25, item 7: a peer that sends indexes 1.19.2 would refuse (bep.md §1.8), or that we do
 * not take (sizes that do not tile, huge batches, counters past 2^53), is disconnected with a
 * reason, logged, and nothing of its batch is stored; the service carries on. The peer here is
 * our own protocol code, which lets a test say anything on the wire.
 */

const EMPTY = new Uint8Array(0);
const sha = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());

function device(id: string, indexId = 0n): Device {
  return { id: deviceIdBytes(id), name: '', addresses: [], compression: 0, certName: '', maxSequence: 0, introducer: false, indexId, skipIntroductionRemovals: false, encryptionPasswordToken: EMPTY };
}

function file(name: string, over: Partial<FileInfo> = {}): FileInfo {
  return {
    name, type: 0, size: 5, permissions: 0o644, modifiedS: 1_700_000_000, modifiedNs: 0, modifiedBy: 1n, deleted: false, invalid: false, noPermissions: false,
    version: [{ id: 1n, value: 1n }], sequence: 1, blockSize: 128 << 10, blocks: [{ offset: 0, size: 5, hash: sha('hello'), weakHash: 0 }],
    symlinkTarget: EMPTY, blocksHash: EMPTY, encrypted: EMPTY, previousBlocksHash: EMPTY, platform: EMPTY, ...over,
  };
}

/** A connection from `who` to Synchro that shares folder x; resolves with a way to send and the reason it was closed for. */
async function connect(s: TestServer, who: Identity): Promise<{ send(m: Message): Promise<void>; closed: Promise<string> }> {
  const [host, port] = s.app.connections.listening[0]!.replace('tcp://', '').split(':') as [string, string];
  const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const so = tls.connect({ host, port: Number(port), ...clientOptions(who) });
    so.once('secureConnect', () => resolve(so));
    so.once('error', reject);
  });
  const { rest } = await exchangeHello(socket, { deviceName: 'hostile', clientName: 'syncthing', clientVersion: 'v1.19.2', numConnections: 0, timestamp: 0n });
  let done!: (r: string) => void;
  const closed = new Promise<string>((r) => (done = r));
  const conn = new BepConnection(socket, rest, { message: () => undefined, closed: (reason) => done(reason) }, { compression: 'never' });
  await conn.start({ folders: [{ id: 'x', label: 'x', type: 1, ignorePermissions: false, ignoreDelete: false, disableTempIndexes: false, stopReason: 0, devices: [device(s.app.myId), device(who.deviceId, 42n)] }], secondary: false });
  return { send: (m) => conn.send(m), closed };
}

test('hostile indexes: each is refused whole with the reason, logged, and the service carries on', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = await startServer();
  t.after(() => s.stop());
  const who = await loadOrCreateIdentity(path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'));
  assert.equal((await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: who.deviceId, name: 'hostile', addresses: ['dynamic'] }) })).status, 200);
  await addFolder(s, 'x', path.join(dir, 'x'), { type: 'receiveonly', devices: [{ deviceID: who.deviceId }] });

  const tooBig = (2n ** 53n) + 1n;
  const cases: [string, FileInfo[], RegExp][] = [
    ['a name above the folder', [file('../etc/passwd')], /filename is invalid/],
    ['a name with a dot segment', [file('a/./b')], /filename is invalid/],
    ['an absolute name', [file('/etc/passwd')], /filename is invalid/],
    ['an empty name', [file('')], /filename is invalid/],
    ['a trailing slash', [file('dir/')], /filename is invalid/],
    ['a directory with blocks', [file('d', { type: 1 })], /directory with non-empty block list/],
    ['a deletion with blocks', [file('gone', { deleted: true })], /deleted file with non-empty block list/],
    ['a file without blocks', [file('empty', { blocks: [] })], /file with empty block list/],
    ['sizes that do not add up', [file('big', { size: 1_000_000 })], /blocks for 1000000 bytes/],
    ['a block that does not tile', [file('odd', { blocks: [{ offset: 7, size: 5, hash: sha('x'), weakHash: 0 }] })], /does not tile/],
    ['a short hash', [file('short', { blocks: [{ offset: 0, size: 5, hash: new Uint8Array(5), weakHash: 0 }] })], /hash of 5 bytes/],
    ['an odd block size', [file('bs', { blockSize: 200_000 })], /block size 200000/],
    ['a counter past 2^53', [file('v', { version: [{ id: 1n, value: tooBig }] })], /counter .* out of range/],
    ['an unknown type', [file('t', { type: 9, blocks: [] })], /unknown file type 9/],
    ['a huge batch', Array.from({ length: 10_001 }, (_, i) => file(`many/${i}`, { sequence: i + 1 })), /10002 files \(at most 10000\)/],
  ];
  for (const [what, files, reason] of cases) {
    const c = await connect(s, who);
    // A good record first: nothing of a refused batch may be stored, not even it.
    await c.send({ type: MessageType.Index, msg: { folder: 'x', files: [file('good.txt'), ...files], lastSequence: 0, prevSequence: 0 } }).catch(() => undefined);
    const why = await Promise.race([c.closed, new Promise<string>((r) => setTimeout(() => r('not closed'), 10_000).unref())]);
    assert.match(why, reason, what);
    await until(`the log of ${what}`, async () => s.logs.some((l) => /connection to .* closed: protocol error/.test(l) && reason.test(l)));
    const st = await s.json('/rest/db/status?folder=x');
    assert.equal(st.globalFiles + st.globalDirectories + st.globalDeleted, 0, `${what}: nothing stored`);
  }
  // The same peer, behaving: its index is taken.
  const c = await connect(s, who);
  await c.send({ type: MessageType.Index, msg: { folder: 'x', files: [file('good.txt'), file('sub', { type: 1, blocks: [], size: 0 }), file('sub/n\u0065\u0301.txt', { sequence: 2 })], lastSequence: 0, prevSequence: 0 } });
  const st = await until('the good index stored', async () => {
    const x = await s.json('/rest/db/status?folder=x');
    return x.globalFiles === 2 ? x : undefined;
  });
  assert.equal(st.globalDirectories, 1);
  // Names are kept NFC; the modifiedBy we print is the 7-character form of the 64-bit one sent.
  const f = await s.json(`/rest/db/file?folder=x&file=${encodeURIComponent('sub/n\u00e9.txt')}`);
  assert.equal(f.global.name, 'sub/n\u00e9.txt');
  assert.equal(f.global.modifiedBy, 'AAAAAAA');
  assert.equal((await s.req('/rest/system/ping')).status, 200);
});
