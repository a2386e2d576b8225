import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, scan } from '../support/folder-helpers.js';
import { pair, refFolder, refInSync, skipReason, synchroInSync, until, type Pair } from './peer-kit.js';

/**
 * Issue 27, tests 6 and 8 against Debian's Syncthing 1.19.2: a receive-only folder keeps its local
 * changes to itself, shows them, and a revert pulls the global versions back with what it undoes
 * in the versioner; a folder on a small disk refuses what does not fit with a pull error (by
 * minDiskFree, and by the disk itself when minDiskFree is 0), loses nothing it had, and goes on
 * pulling what fits.
 */

const opts = { skip: skipReason, timeout: 600_000 };

test('receive-only: local changes stay here and show; revert pulls the global versions back and versions what it undoes', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const theirs = path.join(p.dir, 'ref-ro');
  const ours = path.join(p.dir, 'sy', 'ro');
  await fs.mkdir(theirs, { recursive: true });
  await fs.mkdir(ours, { recursive: true });
  await fs.writeFile(path.join(theirs, 'a.txt'), 'global a\n');
  await fs.writeFile(path.join(theirs, 'b.txt'), 'global b\n');
  await refFolder(p, 'ro', theirs);
  await addFolder(p.s, 'ro', ours, { type: 'receiveonly', devices: [{ deviceID: p.refId }], versioning: { type: 'simple', params: { keep: '5' }, cleanupIntervalS: 0, fsPath: '', fsType: 'basic' } });
  await synchroInSync(p.s, 'ro', (st) => st.localFiles === 2);

  // Here: a.txt changed, b.txt deleted, c.txt added.
  await fs.writeFile(path.join(ours, 'a.txt'), 'local a, changed here\n');
  await fs.rm(path.join(ours, 'b.txt'));
  await fs.writeFile(path.join(ours, 'c.txt'), 'local c\n');
  assert.equal((await scan(p.s, 'ro')).status, 200);
  const st = await synchroInSync(p.s, 'ro', (s) => s.receiveOnlyTotalItems === 3, 20_000).catch(async (err) => {
    console.log(JSON.stringify(await p.s.json('/rest/db/status?folder=ro')), JSON.stringify(await p.s.json('/rest/db/localchanged?folder=ro')));
    throw err;
  });
  assert.equal(st.needTotalItems, 0, 'a local change is not something to pull');
  const changed = await p.s.json('/rest/db/localchanged?folder=ro');
  assert.deepEqual(changed.files.map((f: any) => `${f.name}${f.deleted ? ' (deleted)' : ''}`).sort(), ['a.txt', 'b.txt (deleted)', 'c.txt']);
  // Syncthing's global stays as it was: a receive-only change never wins.
  const refSt = await refInSync(p.ref, 'ro', (s) => s.globalFiles === 2);
  assert.equal(refSt.needTotalItems, 0);
  assert.equal(await fs.readFile(path.join(theirs, 'a.txt'), 'utf8'), 'global a\n');
  assert.equal((await p.ref.json<any>('/rest/db/file?folder=ro&file=c.txt').catch(() => ({ global: undefined }))).global?.deleted ?? true, true, 'c.txt is not in the global index');

  // Revert: what Syncthing has comes back; what was only here goes to the versioner.
  assert.equal((await p.s.req('/rest/db/revert?folder=ro', { method: 'POST' })).status, 200);
  await synchroInSync(p.s, 'ro', (s) => s.receiveOnlyTotalItems === 0 && s.localFiles === 2, 30_000).catch(async (err) => {
    console.log('DEBUG', JSON.stringify(await p.s.json('/rest/db/status?folder=ro')), JSON.stringify(await p.s.json('/rest/db/localchanged?folder=ro')), JSON.stringify(await p.s.json('/rest/db/need?folder=ro')), JSON.stringify(await p.s.json('/rest/folder/errors?folder=ro')), await fs.readdir(ours));
    throw err;
  });
  await until('the global versions back', async () => (await fs.readFile(path.join(ours, 'a.txt'), 'utf8').catch(() => '')) === 'global a\n' && (await fs.readFile(path.join(ours, 'b.txt'), 'utf8').catch(() => '')) === 'global b\n', 30_000);
  await assert.rejects(fs.stat(path.join(ours, 'c.txt')), 'c.txt is gone from the folder');
  const kept = (await fs.readdir(path.join(ours, '.stversions'))).sort();
  assert.equal(kept.length, 2, `versions: ${kept.join(', ')}`);
  assert.match(kept[0]!, /^a~\d{8}-\d{6}\.txt$/);
  assert.match(kept[1]!, /^c~\d{8}-\d{6}\.txt$/);
  assert.equal(await fs.readFile(path.join(ours, '.stversions', kept[0]!), 'utf8'), 'local a, changed here\n');
  assert.equal(await fs.readFile(path.join(ours, '.stversions', kept[1]!), 'utf8'), 'local c\n');
});

/** A tmpfs of `mib` MiB at `dir` (root only); undefined where it cannot be mounted. */
function mountTmpfs(dir: string, mib: number): (() => void) | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return () => void spawnSync('umount', ['-l', dir]);
}

test('a small disk: what does not fit is a pull error (by minDiskFree, then by the disk itself), what was there stays whole, what fits arrives', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const theirs = path.join(p.dir, 'ref-small');
  const ours = path.join(p.dir, 'sy', 'small');
  await fs.mkdir(theirs, { recursive: true });
  await fs.mkdir(ours, { recursive: true });
  const unmount = mountTmpfs(ours, 16);
  if (!unmount) return t.skip('cannot mount a tmpfs here (needs root)');
  try {
    await smallDisk(p, theirs, ours);
  } finally {
    // Both devices stop before the disk goes, and it goes before the temp dir is removed.
    await p.ref.stop();
    await p.s.stop();
    unmount();
  }
});

async function smallDisk(p: Pair, theirs: string, ours: string): Promise<void> {
  // The same old.bin on both sides first, so there is something to lose.
  const old = randomBytes(1 << 20);
  await fs.writeFile(path.join(theirs, 'old.bin'), old);
  await fs.writeFile(path.join(ours, 'old.bin'), old);
  for (const root of [theirs, ours]) await fs.utimes(path.join(root, 'old.bin'), 1_700_000_000, 1_700_000_000);
  await refFolder(p, 'small', theirs);
  await addFolder(p.s, 'small', ours, { devices: [{ deviceID: p.refId }], minDiskFree: { value: 1, unit: '%' } });
  await synchroInSync(p.s, 'small', (st) => st.localFiles === 1);

  // Syncthing gets a 64 MiB file, a new 64 MiB old.bin, and a small file that fits.
  await fs.writeFile(path.join(theirs, 'huge.bin'), randomBytes(64 << 20));
  await fs.writeFile(path.join(theirs, 'old.bin'), randomBytes(64 << 20));
  await fs.writeFile(path.join(theirs, 'fits.txt'), 'this fits\n');
  await p.ref.req('/rest/db/scan?folder=small', { method: 'POST' });
  const errs = await until('the pull errors', async () => {
    const e = await p.s.json('/rest/folder/errors?folder=small');
    return e.errors?.length === 2 ? e.errors : undefined;
  }, 60_000);
  for (const e of errs) assert.match(e.error, /^syncing: insufficient space in folder small \(.*\): current [\d.]+ [kMG]?B < required [\d.]+ [kMG]?B$/, `${e.path}: ${e.error}`);
  assert.deepEqual(errs.map((e: any) => e.path).sort(), ['huge.bin', 'old.bin']);
  await until('fits.txt', async () => (await fs.readFile(path.join(ours, 'fits.txt'), 'utf8').catch(() => '')) === 'this fits\n', 30_000);
  assert.ok((await fs.readFile(path.join(ours, 'old.bin'))).equals(old), 'the old file is whole');

  // minDiskFree 0: no check before, so the disk itself says no, mid-write. The error names it,
  // the old file is still whole, no temp file is left to hold the disk, and the folder carries on.
  // Smallest first, so a small file is not caught by the big ones filling the disk in the same pass.
  assert.equal((await p.s.req('/rest/config/folders/small', { method: 'PATCH', body: JSON.stringify({ minDiskFree: { value: 0, unit: '%' }, order: 'smallestFirst' }) })).status, 200);
  const full = await until('the disk-full errors', async () => {
    const e = await p.s.json('/rest/folder/errors?folder=small');
    return e.errors?.length === 2 && e.errors.every((x: any) => /no space left on device/i.test(x.error)) ? e.errors : undefined;
  }, 120_000);
  assert.deepEqual(full.map((e: any) => e.path).sort(), ['huge.bin', 'old.bin']);
  assert.ok((await fs.readFile(path.join(ours, 'old.bin'))).equals(old), 'the old file is whole after ENOSPC');
  const left = (await fs.readdir(ours)).filter((n) => n.startsWith('.syncthing.'));
  const { size } = await fs.statfs(ours).then((s) => ({ size: (s.blocks - s.bfree) * s.bsize }));
  assert.ok(size < 8 << 20, `${size} bytes used on the small disk (temp files: ${left.join(', ') || 'none'})`);
  await fs.writeFile(path.join(theirs, 'later.txt'), 'still pulling\n');
  await p.ref.req('/rest/db/scan?folder=small', { method: 'POST' });
  await until('later.txt', async () => (await fs.readFile(path.join(ours, 'later.txt'), 'utf8').catch(() => '')) === 'still pulling\n', 60_000);
  const st = await p.s.json('/rest/db/status?folder=small');
  assert.notEqual(st.state, 'error', `folder state ${st.state}: ${st.error}`);
}
