import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createVersioner } from '../../src/versioner/create.js';
import { staggeredRule } from '../../src/versioner/staggered.js';
import { formatTag, tagFilename } from '../../src/versioner/tag.js';
import type { Versioner } from '../../src/versioner/versioner.js';
import { tempDir } from '../support/temp-dir.js';

const DAY = 86_400_000;
const NOW = new Date(2026, 5, 15, 12, 0, 0).getTime();

/** A folder root with a versions store and a clock the test moves. */
async function setup(t: { after: (fn: () => Promise<void>) => void }, type: string, params: Record<string, string> = {}) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = path.join(dir, 'folder');
  const store = path.join(root, '.stversions');
  await fs.mkdir(root, { recursive: true });
  const clock = { now: NOW };
  const v = createVersioner({ type, params, fsPath: '' }, { root, nowMs: () => clock.now, log: () => undefined })!;
  return { dir, root, store, clock, v };
}

async function put(file: string, content = 'x', mtimeMs?: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  if (mtimeMs !== undefined) await fs.utimes(file, new Date(mtimeMs), new Date(mtimeMs));
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

async function list(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? r + '/' : r);
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}

test('simple: archive tags with the clock, keeps the mtime, mirrors directories, and keeps the newest `keep`', async (t) => {
  const { root, store, clock, v } = await setup(t, 'simple', { keep: '2' });
  await fs.mkdir(path.join(root, 'sub'), { mode: 0o750 });
  await fs.chmod(path.join(root, 'sub'), 0o750);
  for (let i = 0; i < 3; i++) {
    await put(path.join(root, 'sub/a.txt'), `v${i}`, NOW - 5 * DAY);
    clock.now = NOW + i * 1000;
    await v.archive('sub/a.txt');
    assert.equal(await exists(path.join(root, 'sub/a.txt')), false);
  }
  assert.deepEqual(await list(store), ['sub/', `sub/${tagFilename('a.txt', formatTag(NOW + 1000))}`, `sub/${tagFilename('a.txt', formatTag(NOW + 2000))}`]);
  const st = await fs.stat(path.join(store, 'sub', tagFilename('a.txt', formatTag(NOW + 2000))));
  assert.equal(Math.round(st.mtimeMs), NOW - 5 * DAY);
  assert.equal((await fs.stat(path.join(store, 'sub'))).mode & 0o777, 0o750);
  // Archiving what is not there is nothing.
  await v.archive('missing.txt');
});

test('simple: cleanup keeps `keep` per file and drops versions older than cleanoutDays by their tag', async (t) => {
  const { store, v } = await setup(t, 'simple', { keep: '3', cleanoutDays: '2' });
  const ages = [6, 5, 4, 3, 1, 0];
  for (const d of ages) await put(path.join(store, tagFilename('a.txt', formatTag(NOW - d * DAY - 1000))));
  for (const d of [3, 1]) await put(path.join(store, 'deep/er', tagFilename('b.txt', formatTag(NOW - d * DAY - 1000))));
  await v.clean();
  assert.deepEqual(await list(store), [
    'a~' + formatTag(NOW - DAY - 1000) + '.txt',
    'a~' + formatTag(NOW - 1000) + '.txt',
    'deep/',
    'deep/er/',
    'deep/er/b~' + formatTag(NOW - DAY - 1000) + '.txt',
  ]);
  // Non-numeric params fall back to the defaults (keep 5, no age limit).
  const other = createVersioner({ type: 'simple', params: { keep: 'many', cleanoutDays: 'x' }, fsPath: '' }, { root: path.dirname(store), nowMs: () => NOW, log: () => undefined })!;
  for (let i = 0; i < 7; i++) await put(path.join(store, tagFilename('c.txt', formatTag(NOW - 400 * DAY - i * 1000))));
  await other.clean();
  assert.equal((await list(store)).filter((n) => n.startsWith('c~')).length, 5);
});

test('staggered: one version per step, thinning with age; maxAge drops the oldest, 0 keeps them', () => {
  const s = 1000;
  const at = (ageS: number) => tagFilename('f.txt', formatTag(NOW - ageS * s));
  const versions = [100_000_000, 5 * 86_400, 5 * 86_400 - 3600, 10 * 86_400 - 1, 3000, 2990, 2950, 20, 10].sort((a, b) => b - a).map(at);
  const removed = staggeredRule(31_536_000)(versions, NOW);
  assert.deepEqual(removed, [at(100_000_000), at(5 * 86_400 - 3600), at(2990), at(10)]);
  // maxAge 0: nothing is too old; the very old one is simply the first kept.
  assert.deepEqual(staggeredRule(0)(versions, NOW), [at(5 * 86_400 - 3600), at(2990), at(10)]);
  // The day step runs for 30 days (Syncthing's source says 592,000 s): 10 and 8 days old are both kept.
  assert.deepEqual(staggeredRule(0)([at(10 * 86_400), at(8 * 86_400)], NOW), []);
  assert.deepEqual(staggeredRule(0)([at(40 * 86_400), at(38 * 86_400)], NOW), [at(38 * 86_400)]);
});

test('trashcan: one copy under its own name, dated when archived; cleanoutDays removes by that date', async (t) => {
  const { root, store, clock, v } = await setup(t, 'trashcan', { cleanoutDays: '1' });
  await put(path.join(root, 'd/a.txt'), 'first', NOW - 10 * DAY);
  await v.archive('d/a.txt');
  await put(path.join(root, 'd/a.txt'), 'second', NOW - 10 * DAY);
  clock.now = NOW + 5000;
  await v.archive('d/a.txt');
  assert.deepEqual(await list(store), ['d/', 'd/a.txt']);
  assert.equal(await fs.readFile(path.join(store, 'd/a.txt'), 'utf8'), 'second');
  assert.equal(Math.round((await fs.stat(path.join(store, 'd/a.txt'))).mtimeMs), NOW + 5000);
  await put(path.join(store, 'old/gone.txt'), 'old', NOW - 3 * DAY);
  await v.clean();
  assert.deepEqual(await list(store), ['d/', 'd/a.txt']);
  clock.now = NOW + 2 * DAY;
  await v.clean();
  assert.deepEqual(await list(store), []);
  assert.equal(await exists(store), true);
});

test('cleanup never follows or deletes through symlinks in the versions tree', async (t) => {
  for (const [type, params] of [['simple', { cleanoutDays: '1' }], ['staggered', { maxAge: '60' }], ['trashcan', { cleanoutDays: '1' }]] as const) {
    const { dir, store, v } = await setup(t, type, params);
    const outside = path.join(dir, 'outside');
    const old = NOW - 1000 * DAY;
    const victim = tagFilename('victim.txt', formatTag(old));
    await put(path.join(outside, victim), 'keep me', old);
    await put(path.join(outside, 'plain.txt'), 'keep me too', old);
    await put(path.join(store, tagFilename('real.txt', formatTag(old))), 'old version', old);
    await fs.symlink(outside, path.join(store, 'linked-dir'));
    await fs.symlink(path.join(outside, victim), path.join(store, tagFilename('linked-file.txt', formatTag(old))));
    await v.clean();
    assert.deepEqual(await list(outside), ['plain.txt', victim], type);
    assert.deepEqual(await list(store), ['linked-dir', tagFilename('linked-file.txt', formatTag(old))], type);
  }
});

test('archive and restore refuse a path through a symlinked directory, on either side', async (t) => {
  const { dir, root, store, v } = await setup(t, 'simple');
  const outside = path.join(dir, 'outside');
  await put(path.join(outside, 'x.txt'), 'outside');
  await put(path.join(outside, tagFilename('y.txt', formatTag(NOW - DAY))), 'outside version');
  await fs.symlink(outside, path.join(root, 'link'));
  await assert.rejects(v.archive('link/x.txt'), /symbolic link/);
  await fs.mkdir(store, { recursive: true });
  await fs.symlink(outside, path.join(store, 'vlink'));
  await assert.rejects(v.restore('vlink/y.txt', NOW - DAY), /symbolic link/);
  assert.deepEqual(await list(outside), ['x.txt', tagFilename('y.txt', formatTag(NOW - DAY))]);
});

test('restore: the current file is archived first, the version moved into place with its mtime', async (t) => {
  const { root, store, clock, v } = await setup(t, 'simple');
  const at = NOW - DAY;
  await put(path.join(store, 'sub', tagFilename('a.txt', formatTag(at))), 'old', NOW - 2 * DAY);
  await put(path.join(root, 'sub/a.txt'), 'current', NOW - 3600_000);
  clock.now = NOW + 7000;
  await v.restore('sub/a.txt', at);
  assert.equal(await fs.readFile(path.join(root, 'sub/a.txt'), 'utf8'), 'old');
  assert.equal(Math.round((await fs.stat(path.join(root, 'sub/a.txt'))).mtimeMs), NOW - 2 * DAY);
  assert.deepEqual(await list(store), ['sub/', `sub/${tagFilename('a.txt', formatTag(NOW + 7000))}`]);
  assert.equal(await fs.readFile(path.join(store, 'sub', tagFilename('a.txt', formatTag(NOW + 7000))), 'utf8'), 'current');
  // Nothing found: nothing touched.
  await assert.rejects(v.restore('sub/a.txt', at), /version not found/);
  assert.equal(await fs.readFile(path.join(root, 'sub/a.txt'), 'utf8'), 'old');
});

test('trashcan restore: the copy is found by its date and is not overwritten by archiving the current file', async (t) => {
  const { root, store, v } = await setup(t, 'trashcan');
  const at = NOW - DAY;
  await put(path.join(store, 'a.txt'), 'trashed', at);
  await put(path.join(root, 'a.txt'), 'current');
  await assert.rejects(v.restore('a.txt', at - 5000), /version not found/);
  await v.restore('a.txt', at + 400); // to the second
  assert.equal(await fs.readFile(path.join(root, 'a.txt'), 'utf8'), 'trashed');
  assert.equal(await fs.readFile(path.join(store, 'a.txt'), 'utf8'), 'current');
});

test('an unknown versioning type is an error; fsPath may be relative to the folder or absolute', async (t) => {
  const { dir, root } = await setup(t, 'simple');
  assert.throws(() => createVersioner({ type: 'bogus', params: {}, fsPath: '' }, { root, nowMs: () => NOW, log: () => undefined }), /does not exist/);
  const rel = createVersioner({ type: 'trashcan', params: {}, fsPath: 'old' }, { root, nowMs: () => NOW, log: () => undefined })!;
  const abs = createVersioner({ type: 'trashcan', params: {}, fsPath: path.join(dir, 'elsewhere') }, { root, nowMs: () => NOW, log: () => undefined })!;
  await put(path.join(root, 'a'), '1');
  await rel.archive('a');
  await put(path.join(root, 'a'), '2');
  await abs.archive('a');
  assert.equal(await fs.readFile(path.join(root, 'old/a'), 'utf8'), '1');
  assert.equal(await fs.readFile(path.join(dir, 'elsewhere/a'), 'utf8'), '2');
  const none: Versioner | undefined = createVersioner({ type: '', params: {}, fsPath: '' }, { root, nowMs: () => NOW, log: () => undefined });
  assert.equal(none, undefined);
});
