import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, scan } from '../support/folder-helpers.js';
import { shortDeviceId } from '../../src/shared/device-id.js';
import { pair, refFolder, refInSync, skipReason, synchroInSync, synchroSees, until, type Pair } from './peer-kit.js';

/**
 * Issue 27, tests 2, 3, 6 and 8 against Debian's Syncthing 1.19.2: identical trees meet without
 * conflicts or data; concurrent edits end in one conflict copy named as Syncthing names it, the
 * same on both sides; a modification beats a deletion; what the puller replaces or deletes goes to
 * the versioner; a local symlink on the way out of the folder stops the pull of what is behind it.
 */

const opts = { skip: skipReason, timeout: 600_000 };

async function setPaused(p: Pair, paused: boolean): Promise<void> {
  const r = await p.s.req(`/rest/config/devices/${p.refId}`, { method: 'PATCH', body: JSON.stringify({ paused }) });
  assert.equal(r.status, 200);
  if (!paused) await synchroSees(p);
}

const listing = async (root: string): Promise<string[]> => (await fs.readdir(root, { recursive: true })).map(String).filter((n) => !n.startsWith('.st')).sort();

test('identical trees meet with no data and no conflict; concurrent edits make one conflict copy on both sides; a modification beats a deletion; replaced and deleted files go to the versioner', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const theirs = path.join(p.dir, 'ref-c');
  const ours = path.join(p.dir, 'sy', 'c');
  for (const root of [theirs, ours]) await fs.mkdir(path.join(root, 'sub'), { recursive: true });
  for (let i = 0; i < 20; i++) {
    const data = randomBytes(64 << 10);
    for (const root of [theirs, ours]) {
      await fs.writeFile(path.join(root, 'sub', `same${i}.bin`), data);
      await fs.utimes(path.join(root, 'sub', `same${i}.bin`), 1_700_000_000 + i, 1_700_000_000 + i);
    }
  }
  await refFolder(p, 'c', theirs);
  await addFolder(p.s, 'c', ours, { devices: [{ deviceID: p.refId }], versioning: { type: 'simple', params: { keep: '5' }, cleanupIntervalS: 0, fsPath: '', fsType: 'basic' }, maxConflicts: 10 });
  await synchroSees(p);
  await refInSync(p.ref, 'c', (st) => st.localFiles === 20);
  await synchroInSync(p.s, 'c', (st) => st.localFiles === 20);
  await until('both sides to agree', async () => (await p.ref.json<any>(`/rest/db/completion?folder=c&device=${p.s.app.myId}`)).completion === 100);
  assert.deepEqual(await listing(ours), await listing(theirs));
  assert.ok(!(await listing(ours)).some((n) => n.includes('sync-conflict')), 'no conflict copies');
  assert.equal(p.s.app.blocks.served.ok, 0, 'Syncthing asked for no data');
  assert.ok((await p.s.json('/rest/system/connections')).connections[p.refId].inBytesTotal < 64 << 10, 'nor did Synchro');

  // Shared files to fight over.
  await fs.writeFile(path.join(theirs, 'x.txt'), 'base x\n');
  await fs.writeFile(path.join(theirs, 'y.txt'), 'base y\n');
  await fs.writeFile(path.join(theirs, 'z.txt'), 'base z\n');
  await fs.writeFile(path.join(theirs, 'w.txt'), 'base w\n');
  await p.ref.req('/rest/db/scan?folder=c', { method: 'POST' });
  await synchroInSync(p.s, 'c', (st) => st.localFiles === 24);

  // Apart: both edit x (Syncthing later, so its version wins); Syncthing deletes y while Synchro
  // edits it; Syncthing edits z and deletes w.
  await setPaused(p, true);
  await until('the reference to see Synchro gone', async () => !(await p.ref.json<any>('/rest/system/connections')).connections[p.s.app.myId]?.connected);
  await fs.writeFile(path.join(ours, 'x.txt'), 'synchro x\n');
  await fs.utimes(path.join(ours, 'x.txt'), 1_800_000_000, 1_800_000_000);
  await fs.writeFile(path.join(ours, 'y.txt'), 'synchro y\n');
  await scan(p.s, 'c');
  await fs.writeFile(path.join(theirs, 'x.txt'), 'syncthing x\n');
  await fs.utimes(path.join(theirs, 'x.txt'), 1_800_000_100, 1_800_000_100);
  await fs.rm(path.join(theirs, 'y.txt'));
  await fs.writeFile(path.join(theirs, 'z.txt'), 'syncthing z\n');
  await fs.rm(path.join(theirs, 'w.txt'));
  await p.ref.req('/rest/db/scan?folder=c', { method: 'POST' });
  await setPaused(p, false);

  const conflictName = new RegExp(`^x\\.sync-conflict-\\d{8}-\\d{6}-${shortDeviceId(p.refId).slice(0, 7)}\\.txt$`);
  await until('the same tree on both sides', async () => {
    const [a, b] = [await listing(ours), await listing(theirs)];
    return JSON.stringify(a) === JSON.stringify(b) && a.some((n) => conflictName.test(n)) ? a : undefined;
  }, 120_000);
  await refInSync(p.ref, 'c', () => true);
  await synchroInSync(p.s, 'c', () => true);
  const names = await listing(ours);
  const copies = names.filter((n) => n.includes('sync-conflict'));
  assert.equal(copies.length, 1, `exactly one conflict copy: ${copies.join(', ')}`);
  assert.match(copies[0]!, conflictName);
  for (const root of [ours, theirs]) {
    assert.equal(await fs.readFile(path.join(root, 'x.txt'), 'utf8'), 'syncthing x\n', 'the later edit wins');
    assert.equal(await fs.readFile(path.join(root, copies[0]!), 'utf8'), 'synchro x\n', 'the other edit is the copy');
    assert.equal(await fs.readFile(path.join(root, 'y.txt'), 'utf8'), 'synchro y\n', 'the modification beats the deletion');
    assert.equal(await fs.readFile(path.join(root, 'z.txt'), 'utf8'), 'syncthing z\n');
    await assert.rejects(fs.stat(path.join(root, 'w.txt')));
  }
  // Synchro's versioner has what the puller replaced (z) and deleted (w).
  const kept = (await fs.readdir(path.join(ours, '.stversions'))).sort();
  assert.equal(kept.length, 2, kept.join(', '));
  assert.match(kept[0]!, /^w~\d{8}-\d{6}\.txt$/);
  assert.match(kept[1]!, /^z~\d{8}-\d{6}\.txt$/);
  assert.equal(await fs.readFile(path.join(ours, '.stversions', kept[0]!), 'utf8'), 'base w\n');
  assert.equal(await fs.readFile(path.join(ours, '.stversions', kept[1]!), 'utf8'), 'base z\n');
  assert.deepEqual(p.ref.connectionProblems([/closed/i]), []);
});

test('a directory swapped locally for a symlink out of the folder: nothing is written through it, the pull error says why', opts, async (t) => {
  const p = await pair(t, { synchroDials: true });
  const theirs = path.join(p.dir, 'ref-h');
  const ours = path.join(p.dir, 'sy', 'h');
  const outside = path.join(p.dir, 'outside');
  await fs.mkdir(path.join(theirs, 'esc'), { recursive: true });
  await fs.writeFile(path.join(theirs, 'esc', 'a.txt'), 'a\n');
  await fs.mkdir(ours, { recursive: true });
  await fs.mkdir(outside);
  await refFolder(p, 'h', theirs);
  await addFolder(p.s, 'h', ours, { devices: [{ deviceID: p.refId }], pullerPauseS: 3600 });
  await synchroInSync(p.s, 'h', (st) => st.localFiles === 1);
  // The user swaps the directory for a link to elsewhere; no scan has seen it yet.
  await fs.rm(path.join(ours, 'esc'), { recursive: true });
  await fs.symlink(outside, path.join(ours, 'esc'));
  await fs.writeFile(path.join(theirs, 'esc', 'b.txt'), 'b\n');
  await p.ref.req('/rest/db/scan?folder=h', { method: 'POST' });
  const errs = await until('the pull error', async () => (await p.s.json('/rest/folder/errors?folder=h')).errors ?? undefined, 60_000);
  assert.deepEqual(errs, [{ error: 'syncing: checking parent dirs: traverses symlink: esc', path: 'esc/b.txt' }]);
  assert.deepEqual(await fs.readdir(outside), [], 'nothing outside the folder was touched');
});
