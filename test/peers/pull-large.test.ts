import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, waitForEvent } from '../support/folder-helpers.js';
import { startReference } from '../support/syncthing-ref.js';
import { pair, refFolder, refInSync, sha256File, skipReason, synchroInSync, synchroSees, until } from './peer-kit.js';

/**
 * Issue 27, tests 4, 5 and 7 against Debian's Syncthing 1.19.2: a 1 GiB pull cut short by a
 * kill -9 of the sender leaves Synchro's old file whole and only the temp file besides; after
 * Synchro restarts, what the temp file holds is not transferred again. Events and the need
 * listing follow the transfer. A rename of the 1 GiB file then moves it without its data.
 */

const opts = { skip: skipReason, timeout: 900_000 };
const GiB = 1 << 30;

async function writeRandom(file: string, size: number): Promise<void> {
  const fh = await fs.open(file, 'w');
  for (let off = 0; off < size; off += 16 << 20) await fh.write(randomBytes(Math.min(16 << 20, size - off)));
  await fh.close();
}

async function inBytes(p: { s: { json: (u: string) => Promise<any> }; refId: string }): Promise<number> {
  return (await p.s.json('/rest/system/connections')).connections[p.refId].inBytesTotal;
}

test('a 1 GiB pull cut by kill -9 of the sender resumes from the temp file after Synchro restarts; events and need follow it; a rename moves no data', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  // About 100 MB/s in, so the kill lands in the middle of the transfer.
  await p.s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ progressUpdateIntervalS: 1, maxRecvKbps: 100_000 }) });
  const theirs = path.join(p.dir, 'ref-big');
  await fs.mkdir(theirs, { recursive: true });
  const small = randomBytes(1 << 20);
  await fs.writeFile(path.join(theirs, 'big.bin'), small);
  await refFolder(p, 'big', theirs);
  const ours = path.join(p.dir, 'sy', 'big');
  await fs.mkdir(ours, { recursive: true });
  await addFolder(p.s, 'big', ours, { devices: [{ deviceID: p.refId }] });
  await synchroInSync(p.s, 'big', (st) => st.localFiles === 1);
  const original = await sha256File(path.join(ours, 'big.bin'));

  // The file becomes 1 GiB on Syncthing.
  await writeRandom(path.join(theirs, 'big.bin'), GiB);
  const want = await sha256File(path.join(theirs, 'big.bin'));
  const since = (await p.s.json('/rest/events?since=0&timeout=0')).at(-1).id;
  await p.ref.req('/rest/db/scan?folder=big', { method: 'POST' });
  const temp = path.join(ours, '.syncthing.big.bin.tmp');
  // Mid-transfer: the file is listed as in progress, DownloadProgress reports it.
  const need = await until('big.bin in progress', async () => {
    const n = await p.s.json('/rest/db/need?folder=big');
    return n.progress.length === 1 ? n : undefined;
  });
  assert.equal(need.progress[0].name, 'big.bin');
  const dp = await waitForEvent(p.s, 'DownloadProgress', (e) => e.id > since && e.data.big?.['big.bin']?.bytesDone > 0, 60_000);
  assert.equal(dp.data.big['big.bin'].bytesTotal, GiB);
  // The temp file has its full size from the start (holes): what is written is what it occupies.
  await until('a third of the temp file', async () => {
    const st = await fs.stat(temp).catch(() => undefined);
    return st && st.blocks * 512 > GiB / 3;
  }, 120_000);
  await p.ref.kill();
  const receivedBefore = await inBytes(p);
  // The old file is whole, the temp file is the only thing besides it.
  assert.equal(await sha256File(path.join(ours, 'big.bin')), original);
  assert.deepEqual((await fs.readdir(ours)).sort(), ['.stfolder', '.syncthing.big.bin.tmp', 'big.bin']);
  const started = (await p.s.json(`/rest/events?since=${since}&timeout=0`)).filter((e: any) => e.type === 'ItemStarted' && e.data.item === 'big.bin');
  assert.deepEqual(started[0].data, { action: 'update', folder: 'big', item: 'big.bin', type: 'file' });
  await waitForEvent(p.s, 'ItemFinished', (e) => e.id > since && e.data.item === 'big.bin' && typeof e.data.error === 'string', 60_000);

  // Synchro restarts (a new instance, nothing kept in memory), Syncthing comes back.
  await p.s.app.restart();
  const ref2 = await startReference(p.ref.home, {
    name: 'reference',
    syncPort: Number(p.ref.syncAddress.split(':').at(-1)),
    devices: [{ id: p.s.app.myId, name: 'synchro', addresses: ['dynamic'] }],
    folders: [{ id: 'big', path: theirs, devices: [p.s.app.myId], rescanIntervalS: 3600, fsWatcherEnabled: false }],
  });
  t.after(() => ref2.stop());
  await synchroSees(p);
  await synchroInSync(p.s, 'big', (st) => st.localBytes === GiB, 300_000);
  assert.equal(await sha256File(path.join(ours, 'big.bin')), want, 'the result is identical');
  const resumed = await inBytes(p);
  assert.ok(resumed < GiB - receivedBefore * 0.9, `after the restart ${resumed} bytes came in, against ${GiB - receivedBefore} remaining`);
  assert.deepEqual((await fs.readdir(ours)).sort(), ['.stfolder', 'big.bin']);
  const fin = await waitForEvent(p.s, 'ItemFinished', (e) => e.data.item === 'big.bin' && e.data.error === null, 10_000);
  assert.deepEqual(fin.data, { action: 'update', error: null, folder: 'big', item: 'big.bin', type: 'file' });

  // A rename on Syncthing is a rename here: under 1 MiB on the wire.
  const beforeRename = await inBytes(p);
  await fs.rename(path.join(theirs, 'big.bin'), path.join(theirs, 'moved.bin'));
  await ref2.req('/rest/db/scan?folder=big', { method: 'POST' });
  await refInSync(ref2, 'big', (st) => st.localFiles === 1 && st.localDeleted === 1);
  await synchroInSync(p.s, 'big', (st) => st.localFiles === 1 && st.localDeleted === 1);
  assert.deepEqual((await fs.readdir(ours)).sort(), ['.stfolder', 'moved.bin']);
  assert.ok((await inBytes(p)) - beforeRename < 1 << 20, `the rename took ${(await inBytes(p)) - beforeRename} bytes`);
  assert.equal(await sha256File(path.join(ours, 'moved.bin')), want);
  await ref2.stop();
});
