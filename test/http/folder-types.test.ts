import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { addFolder, folderSetup, scan, write } from '../support/folder-helpers.js';
import type { TestServer } from '../support/test-server.js';

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/** Where the default and disk event streams stand, to read what an action causes from there. */
interface Mark {
  id: number;
  diskId: number;
}

async function mark(s: TestServer): Promise<Mark> {
  const last = async (p: string) => ((await s.json(`${p}?since=0&timeout=0&limit=1`)) as any[]).at(-1)?.id ?? 0;
  return { id: await last('/rest/events'), diskId: await last('/rest/events/disk') };
}

/**
 * Events of the default stream after the mark, up to and including the first StateChanged into
 * `to` coming from `from`, then the disk events (LocalChangeDetected) that came before it.
 * (A new `events=` mask only sees events from its first poll on, so the always-on streams are used.)
 */
async function eventsUntilState(s: TestServer, m: Mark, from: string, to = 'idle', ms = 10_000): Promise<any[]> {
  const out: any[] = [];
  const end = Date.now() + ms;
  let since = m.id;
  while (Date.now() < end) {
    const evs = await s.json(`/rest/events?since=${since}&timeout=1`);
    for (const e of evs) {
      out.push(e);
      if (e.type === 'StateChanged' && e.data.from === from && e.data.to === to) {
        const disk = await s.json(`/rest/events/disk?since=${m.diskId}&timeout=0`);
        return [...out, ...disk.filter((d: any) => d.globalID < e.globalID)];
      }
    }
    if (evs.length) since = evs.at(-1).id;
  }
  throw new Error(`no StateChanged ${from} → ${to} within ${ms} ms; saw ${JSON.stringify(out.map((e) => e.type))}`);
}

const states = (evs: any[]) => evs.filter((e) => e.type === 'StateChanged').map((e) => `${e.data.from}>${e.data.to}`);

async function status(s: TestServer, id = 'f') {
  return s.json(`/rest/db/status?folder=${id}`);
}

test('receive-only: local changes are flagged, counted apart from the global view, listed, and announce nothing', async (t) => {
  const { s, root, add } = await folderSetup(t, { type: 'receiveonly' });
  await write(root, 'a.txt', 'aaa');
  await write(root, 'b.txt', 'bbbbb');
  await write(root, 'd/c.txt', 'ccccccc');
  await add();
  const st = await status(s);
  assert.deepEqual(
    [st.receiveOnlyChangedFiles, st.receiveOnlyChangedDirectories, st.receiveOnlyChangedSymlinks, st.receiveOnlyChangedDeletes, st.receiveOnlyChangedBytes, st.receiveOnlyTotalItems],
    [3, 1, 0, 0, 15, 4],
  );
  assert.deepEqual([st.globalFiles, st.globalDirectories, st.globalTotalItems, st.globalBytes], [0, 0, 0, 0]);
  assert.deepEqual([st.localFiles, st.localDirectories, st.localTotalItems, st.localBytes], [3, 1, 4, 15]);
  assert.deepEqual([st.needTotalItems, st.inSyncFiles], [0, 0]);

  const all = await s.json('/rest/db/localchanged?folder=f');
  assert.deepEqual(all.files.map((f: any) => f.name), ['a.txt', 'b.txt', 'd', 'd/c.txt']);
  assert.ok(all.files.every((f: any) => f.localFlags === 8 && f.invalid === true));
  const page2 = await s.json('/rest/db/localchanged?folder=f&page=2&perpage=3');
  assert.deepEqual([page2.page, page2.perpage, page2.files.map((f: any) => f.name)], [2, 3, ['d/c.txt']]);
  assert.equal((await s.req('/rest/db/localchanged?folder=nope')).status, 404);

  // The scan's index update was announced; its items were not (they are invalid).
  const updates = (await s.json('/rest/events?since=0&timeout=0')).filter((e: any) => e.type === 'LocalIndexUpdated' && e.data.folder === 'f');
  assert.equal(updates.reduce((n: number, e: any) => n + e.data.items, 0), 4);
  assert.deepEqual(await s.json('/rest/events/disk?since=0&timeout=0'), []);
});

test('receive-only revert without a versioner: additions removed from disk (directories last), recorded as deleted', async (t) => {
  const { s, root, add } = await folderSetup(t, { type: 'receiveonly' });
  await write(root, 'a.txt', 'aaa');
  await write(root, 'd/e/c.txt', 'ccccccc');
  await add();
  const since = await mark(s);
  const res = await s.req('/rest/db/revert?folder=f', { method: 'POST' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
  const evs = await eventsUntilState(s, since, 'scanning');
  assert.deepEqual(states(evs), ['idle>scanning', 'scanning>idle']);
  const changes = evs.filter((e) => e.type === 'LocalChangeDetected').map((e) => `${e.data.action} ${e.data.type} ${e.data.path}`);
  assert.deepEqual(changes.sort(), ['deleted dir d', 'deleted dir d/e', 'deleted file a.txt', 'deleted file d/e/c.txt']);
  const idxUpdate = evs.findIndex((e) => e.type === 'LocalIndexUpdated');
  assert.ok(idxUpdate >= 0 && idxUpdate < evs.findIndex((e) => e.type === 'LocalChangeDetected'));

  assert.deepEqual((await fs.readdir(root)).sort(), ['.stfolder']);
  const st = await status(s);
  assert.deepEqual([st.receiveOnlyTotalItems, st.localDeleted, st.globalDeleted, st.localFiles, st.globalFiles], [0, 4, 4, 0, 0]);
  assert.deepEqual((await s.json('/rest/db/localchanged?folder=f')).files, []);
  const file = await s.json('/rest/db/file?folder=f&file=a.txt');
  assert.deepEqual([file.local.deleted, file.local.localFlags, file.local.version], [true, 0, []]);
  const summary = await (async () => {
    for (const e of evs) if (e.type === 'FolderSummary') return e;
    for (let since = evs.filter((e) => e.type !== 'LocalChangeDetected').at(-1).id; ; ) {
      const more = await s.json(`/rest/events?since=${since}&timeout=5`);
      const found = more.find((e: any) => e.type === 'FolderSummary');
      if (found) return found;
      since = more.at(-1).id;
    }
  })();
  assert.equal(summary.data.summary.receiveOnlyTotalItems, 0);
});

test('receive-only revert with a versioner: files land in .stversions; edited, ignored and busy items stay', async (t) => {
  const { s, root, add } = await folderSetup(t, { type: 'receiveonly', versioning: { type: 'simple', params: { keep: '5' } } });
  await write(root, '.stignore', '*.keep\n(?d)*.junk\n');
  await write(root, 'a.txt', 'precious');
  await write(root, 'sub/b.txt', 'also precious');
  await write(root, 'kept/x.keep', 'ignored, not deletable');
  await write(root, 'kept/y.txt', 'y');
  await write(root, 'junk/z.junk', 'deletable');
  await write(root, 'edited.txt', 'as scanned');
  await add();
  await fs.writeFile(path.join(root, 'edited.txt'), 'edited after the scan, longer');
  const since = await mark(s);
  await s.req('/rest/db/revert?folder=f', { method: 'POST' });
  await eventsUntilState(s, since, 'scanning');

  const versions = await s.json('/rest/folder/versions?folder=f');
  assert.deepEqual(Object.keys(versions).sort(), ['a.txt', 'kept/y.txt', 'sub/b.txt']);
  const tagged = (await fs.readdir(path.join(root, '.stversions'))).find((n) => n.startsWith('a~'))!;
  assert.match(tagged, /^a~\d{8}-\d{6}\.txt$/);
  assert.equal(await fs.readFile(path.join(root, '.stversions', tagged), 'utf8'), 'precious');
  assert.equal(await exists(path.join(root, 'a.txt')), false);
  assert.equal(await exists(path.join(root, 'sub')), false);
  assert.equal(await exists(path.join(root, 'junk')), false, 'a directory of deletable ignored files goes');
  assert.equal(await fs.readFile(path.join(root, 'kept/x.keep'), 'utf8'), 'ignored, not deletable');
  assert.equal(await fs.readFile(path.join(root, 'edited.txt'), 'utf8'), 'edited after the scan, longer');
  const left = (await s.json('/rest/db/localchanged?folder=f')).files.map((f: any) => f.name);
  assert.deepEqual(left, ['edited.txt', 'kept']);
  assert.ok(s.logs.some((l) => l.includes('edited.txt') && l.includes('modified but not rescanned')));
});

test('receive-only: an addition deleted again leaves the index; a deleted synced file is a change until reverted', async (t) => {
  const { s, root } = await folderSetup(t);
  await write(root, 'synced.txt', 'from before');
  await addFolder(s, 'f', root);
  assert.equal((await s.req('/rest/config/folders/f', { method: 'PATCH', body: JSON.stringify({ type: 'receiveonly' }) })).status, 200);
  await write(root, 'new.txt', 'fleeting');
  await scan(s, 'f');
  assert.equal((await status(s)).receiveOnlyChangedFiles, 1);
  await fs.rm(path.join(root, 'new.txt'));
  await fs.rm(path.join(root, 'synced.txt'));
  await scan(s, 'f');
  assert.equal((await s.req('/rest/db/file?folder=f&file=new.txt')).status, 404);
  let st = await status(s);
  assert.deepEqual([st.receiveOnlyChangedFiles, st.receiveOnlyChangedDeletes, st.receiveOnlyTotalItems, st.localFiles], [0, 1, 1, 0]);
  const since = await mark(s);
  await s.req('/rest/db/revert?folder=f', { method: 'POST' });
  await eventsUntilState(s, since, 'scanning');
  st = await status(s);
  assert.deepEqual([st.receiveOnlyTotalItems, st.localDeleted, st.globalDeleted], [0, 1, 1]);
  const rec = await s.json('/rest/db/file?folder=f&file=synced.txt');
  assert.deepEqual([rec.local.deleted, rec.local.localFlags, rec.local.version], [true, 0, []]);
});

test('revert and override answer 200 for any folder and act only on their own folder type', async (t) => {
  const { s, root, add } = await folderSetup(t);
  await write(root, 'a.txt', 'stays');
  await add();
  for (const p of ['/rest/db/revert?folder=nope', '/rest/db/override?folder=nope', '/rest/db/revert?folder=f', '/rest/db/override?folder=f', '/rest/db/revert']) {
    const res = await s.req(p, { method: 'POST' });
    assert.equal(res.status, 200, p);
    assert.equal(await res.text(), '');
  }
  // Anything they started would be queued before this scan; a sendreceive folder saw no revert.
  const since = await mark(s);
  await scan(s, 'f');
  const evs = await s.json(`/rest/events?since=${since.id}&timeout=0`);
  assert.deepEqual(states(evs), ['idle>scan-waiting', 'scan-waiting>scanning', 'scanning>idle']);
  assert.equal(await fs.readFile(path.join(root, 'a.txt'), 'utf8'), 'stays');
  assert.equal((await s.json('/rest/config/folders/f')).type, 'sendreceive');
});

test('send-only: counted like sendreceive; override shows scanning, and with nothing needed changes nothing', async (t) => {
  const { s, root, add } = await folderSetup(t, { type: 'sendonly' });
  await write(root, 'a.txt', 'mine');
  await add();
  const before = await status(s);
  assert.deepEqual([before.globalFiles, before.localFiles, before.needTotalItems, before.receiveOnlyTotalItems, before.sequence], [1, 1, 0, 0, 1]);
  const since = await mark(s);
  assert.equal((await s.req('/rest/db/override?folder=f', { method: 'POST' })).status, 200);
  const evs = await eventsUntilState(s, since, 'scanning');
  assert.deepEqual(states(evs), ['idle>scanning', 'scanning>idle']);
  assert.equal(evs.filter((e) => e.type === 'LocalIndexUpdated').length, 0);
  const after = await status(s);
  assert.deepEqual([after.globalFiles, after.sequence], [1, 1]);
  assert.deepEqual((await s.json('/rest/events/disk?since=0&timeout=0')).map((e: any) => e.data.path), ['a.txt']);
});

test('receive-encrypted: walked without hashing, no ignores, permissions ignored, changes flagged', async (t) => {
  const { s, root, add } = await folderSetup(t, { type: 'receiveencrypted' });
  await write(root, '.stignore', '*.txt\n');
  await write(root, 'a.txt', 'opaque bytes');
  await add();
  const cfg = await s.json('/rest/config/folders/f');
  assert.equal(cfg.ignorePerms, true);
  const f = await s.json('/rest/db/file?folder=f&file=a.txt');
  assert.deepEqual([f.local.size, f.local.numBlocks, f.local.blocksHash, f.local.localFlags, f.local.noPermissions], [12, 0, null, 8, true]);
  const st = await status(s);
  assert.deepEqual([st.receiveOnlyChangedFiles, st.localFiles, st.globalFiles], [1, 1, 0]);
  assert.deepEqual(await s.json('/rest/db/ignores?folder=f'), { error: null, expanded: null, ignore: null });
  const since = await mark(s);
  await s.req('/rest/db/revert?folder=f', { method: 'POST' });
  await eventsUntilState(s, since, 'scanning');
  assert.equal(await exists(path.join(root, 'a.txt')), false);
  assert.equal(await exists(path.join(root, '.stversions')), false);
});
