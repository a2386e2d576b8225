import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { IndexStore } from '../../src/index/index-store.js';
import { Flag, FileType, type FileInfo } from '../../src/shared/file-info.js';
import { tempDir } from '../support/temp-dir.js';
import { projectRoot } from '../support/test-server.js';

const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

function file(name: string, size: number, extra: Partial<FileInfo> = {}): FileInfo {
  const blockHashes = sha(name + size);
  return {
    name, type: FileType.File, size, modifiedNs: 1n, permissions: 0o644, noPermissions: false, deleted: false, localFlags: 0,
    version: [['AAAAAAA', 1]], modifiedBy: 'AAAAAAA', blockSize: 131072, blockHashes, blocksHash: sha('bl' + name + size),
    symlinkTarget: '', inodeChangeNs: 0n, sequence: 0, ...extra,
  };
}

async function store(t: { after: (fn: () => Promise<void>) => void }) {
  const { dir, cleanup } = await tempDir();
  const s = IndexStore.open(path.join(dir, 'index.db'), path.join(projectRoot, 'migrations'));
  t.after(async () => {
    s.close();
    await cleanup();
  });
  return s;
}

test('counters follow inserts, replacements and flag changes exactly', async (t) => {
  const s = await store(t);
  let r = s.updateLocal('f', [file('a', 10), file('b', 20), { ...file('d', 0), type: FileType.Directory, blockHashes: new Uint8Array(0), blocksHash: undefined }]);
  assert.equal(r.sequence, 3);
  assert.deepEqual(r.files.map((f) => f.sequence), [1, 2, 3]);
  let c = s.counts('f');
  assert.deepEqual(c.local, { files: 2, directories: 1, symlinks: 0, deleted: 0, bytes: 30 });
  assert.deepEqual(c.global, c.local);
  assert.deepEqual(c.need, { files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 });

  r = s.updateLocal('f', [file('a', 15), { ...file('b', 0), deleted: true, blockHashes: new Uint8Array(0), blocksHash: undefined }]);
  assert.equal(r.sequence, 5, 'a replacement takes a new sequence');
  c = s.counts('f');
  assert.deepEqual(c.local, { files: 1, directories: 1, symlinks: 0, deleted: 1, bytes: 15 });

  s.updateLocal('f', [file('ro', 7, { localFlags: Flag.ReceiveOnly }), file('ign', 5, { localFlags: Flag.Ignored })]);
  c = s.counts('f');
  assert.equal(c.local.files, 2, 'local counts receive-only but not ignored rows');
  assert.equal(c.global.files, 1, 'global leaves out every invalid row');
  assert.deepEqual(c.receiveOnlyChanged, { files: 1, directories: 0, symlinks: 0, deleted: 0, bytes: 7 });
  assert.equal(s.getLocal('f', 'a')!.size, 15);
  assert.equal(s.getGlobal('f', 'a')!.localFlags & Flag.Global, Flag.Global);
  assert.deepEqual([...s.getLocal('f', 'a')!.blockHashes], [...sha('a15')], 'block list stored and read back');
});

test('namesUnder pages through a prefix in bytewise order, the prefix itself first', async (t) => {
  const s = await store(t);
  s.updateLocal('f', ['a', 'a/x', 'a/y', 'a.b', 'a/z/q', 'ab', 'b'].map((n) => file(n, 1)));
  const names = (xs: { name: string }[]) => xs.map((f) => f.name);
  assert.deepEqual(names(s.namesUnder('f', 'a', '', 10)), ['a', 'a/x', 'a/y', 'a/z/q']);
  const first = s.namesUnder('f', 'a', '', 2);
  assert.deepEqual(names(first), ['a', 'a/x', 'a/y']);
  assert.deepEqual(names(s.namesUnder('f', 'a', 'a/y', 2)), ['a/z/q']);
  assert.deepEqual(names(s.namesUnder('f', '', '', 100)), ['a', 'a.b', 'a/x', 'a/y', 'a/z/q', 'ab', 'b']);
  assert.deepEqual(s.namesUnder('f', 'a', '', 10), ['a', 'a/x', 'a/y', 'a/z/q'].map((name) => ({ name, deleted: false })));
  assert.deepEqual([...s.briefChildren('f', 'a').keys()].sort(), ['a/x', 'a/y']);
  assert.deepEqual([...s.briefChildren('f', '').keys()].sort(), ['a', 'a.b', 'ab', 'b']);
});

test('dropping a folder removes its rows and counters and forgets its sequence', async (t) => {
  const s = await store(t);
  s.updateLocal('f', [file('a', 1)]);
  s.updateLocal('g', [file('a', 2)]);
  s.dropFolder('f');
  assert.equal(s.getLocal('f', 'a'), undefined);
  assert.equal(s.sequence('f'), 0);
  assert.equal(s.counts('f').local.files, 0);
  assert.equal(s.getLocal('g', 'a')!.size, 2, 'other folders untouched');
});

test('block lists are collected incrementally: a replaced or deleted content goes, a shared one stays', async (t) => {
  const { dir, cleanup } = await tempDir();
  const file_ = path.join(dir, 'index.db');
  const s = IndexStore.open(file_, path.join(projectRoot, 'migrations'));
  t.after(async () => {
    s.close();
    await cleanup();
  });
  const { openDatabase } = await import('../../src/index/db.js');
  const raw = openDatabase(file_);
  t.after(() => raw.close());
  const lists = () => (raw.prepare('SELECT count(*) AS n FROM blocklists').get() as { n: number }).n;
  const pending = () => (raw.prepare('SELECT count(*) AS n FROM blocklist_gc').get() as { n: number }).n;
  const content = (name: string, c: string) => file(name, c.length, { blocksHash: sha('list ' + c), blockHashes: sha('blocks ' + c) });
  s.updateLocal('f', [content('a', 'X'), content('b', 'X'), content('c', 'Z')]);
  assert.equal(lists(), 2);
  s.updateLocal('f', [content('a', 'Y')]);
  assert.equal(pending(), 1, 'the old hash of a is a candidate');
  s.collectGarbage();
  assert.equal(lists(), 3, 'X is still used by b');
  assert.equal(pending(), 0);
  assert.deepEqual(s.getLocal('f', 'b')!.blockHashes, sha('blocks X'));
  s.updateLocal('f', [content('b', 'Y'), { ...file('c', 0), deleted: true, blockHashes: new Uint8Array(0), blocksHash: undefined }]);
  s.collectGarbage();
  assert.equal(lists(), 1, 'X and Z are gone, Y stays');
  assert.deepEqual(s.getLocal('f', 'a')!.blockHashes, sha('blocks Y'));
  // Two rows leaving the same content before a collection (a peer's and ours, as a pull does): noted once, no error.
  s.updateLocal('f', [content('p', 'V')]);
  s.updateRemote('f', 'PEER', [{ ...content('p', 'V'), sequence: 1 }]);
  s.updateRemote('f', 'PEER', [{ ...content('p', 'U'), sequence: 2 }]);
  s.updateLocal('f', [content('p', 'U')]);
  assert.equal(pending(), 1);
  s.collectGarbage();
  // Dropping a folder collects what only it used.
  s.updateLocal('g', [content('only-g', 'W'), content('shared', 'Y')]);
  s.dropFolder('g');
  assert.equal(lists(), 2, 'Y and U stay');
  assert.equal(pending(), 0);
});
