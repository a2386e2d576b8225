import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatTimeSeconds } from '../../src/shared/time-format.js';
import { formatTag, tagFilename } from '../../src/versioner/tag.js';
import { addFolder, folderSetup, scan, waitForEvent, write } from '../support/folder-helpers.js';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Issue 22, data loss: nothing a user stored may be lost through a versions store placed over
 * their files, two restores racing, two archives in one second, a folder removed mid-scan and
 * re-added, or an external command that runs file names as shell code.
 */

const DAY = 86_400_000;
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function put(file: string, content: string, mtimeMs?: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  if (mtimeMs !== undefined) await fs.utimes(file, new Date(mtimeMs), new Date(mtimeMs));
}

/** Every regular file under `dir` (recursively) by content hash. */
async function contents(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const visit = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.add(sha(await fs.readFile(p)));
    }
  };
  await visit(dir);
  return out;
}

const patchFolder = (s: TestServer, body: unknown, id = 'f') => s.req(`/rest/config/folders/${id}`, { method: 'PATCH', body: JSON.stringify(body) });

test('a versions store on the folder, ".", the folder\'s parent, inside it, over the home or another folder is refused at config time', async (t) => {
  const { s, root, dir, add } = await folderSetup(t);
  await add();
  const other = path.join(dir, 'other');
  await fs.mkdir(other);
  await addFolder(s, 'o', other);
  const bad = [root, '.', dir, path.join(root, 'sub'), 'sub/versions', s.home, path.dirname(s.home), other, path.join(other, 'v'), '/'];
  for (const type of ['trashcan', 'simple', 'staggered']) {
    for (const fsPath of bad) {
      const res = await patchFolder(s, { versioning: { type, fsPath, params: { cleanoutDays: '7' } } });
      assert.equal(res.status, 400, `${type} fsPath=${fsPath}`);
      assert.match(await res.text(), /the versions path .* (is the folder itself|is inside the folder|contains the folder|overlaps|contains your home)/, `${type} fsPath=${fsPath}`);
    }
  }
  const cfg = await s.json('/rest/config/folders/f');
  assert.equal(cfg.versioning.type, '', 'nothing was saved');
  // The folder's own .stversions (the default, or named) and a directory of its own are fine.
  for (const fsPath of ['', '.stversions', path.join(root, '.stversions', 'deeper'), path.join(dir, 'my-versions')]) {
    assert.equal((await patchFolder(s, { versioning: { type: 'trashcan', fsPath, params: {} } })).status, 200, `fsPath=${JSON.stringify(fsPath)}`);
  }
});

test('a store over the folder already in config.xml puts the folder in error and its cleanup deletes nothing', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = path.join(dir, 'f');
  const old = Date.now() - 30 * DAY;
  for (const name of ['report.txt', 'thesis.tex', 'sub/notes~20200101-000000.txt']) await put(path.join(root, name), name, old);
  await fs.mkdir(path.join(root, '.stfolder'));
  for (const fsPath of [root, '.', dir]) {
    const home = path.join(dir, `home-${fsPath === '.' ? 'dot' : path.basename(fsPath)}`);
    const s = await startServer({ home });
    t.after(() => s.stop());
    const res = await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: root, fsWatcherEnabled: false }) });
    assert.equal(res.status, 200);
    await scan(s, 'f');
    // As an older config file would have it: written to disk, then loaded at start.
    const xmlFile = path.join(s.home, 'config.xml');
    const xml = await fs.readFile(xmlFile, 'utf8');
    const withStore = xml.replace(/<versioning type="">[\s\S]*?<\/versioning>/, `<versioning type="trashcan"><param key="cleanoutDays" val="7"></param><cleanupIntervalS>1</cleanupIntervalS><fsPath>${fsPath}</fsPath><fsType>basic</fsType></versioning>`);
    assert.notEqual(withStore, xml);
    await s.stop();
    await fs.writeFile(xmlFile, withStore);
    const again = await startServer({ home });
    t.after(() => again.stop());
    const st = await waitForEvent(again, 'StateChanged', (e) => e.data.folder === 'f' && e.data.to === 'error');
    assert.match(st.data.error, /versioning: the versions path/);
    // Two cleanup intervals pass: nothing of the user's is gone.
    await new Promise((r) => setTimeout(r, 2500));
    for (const name of ['report.txt', 'thesis.tex', 'sub/notes~20200101-000000.txt']) assert.ok(await exists(path.join(root, name)), `${name} with fsPath=${fsPath}`);
    await again.stop();
  }
});

test('cleanup deletes only what the versioner could have made: valid tags, in a store Synchro made', async (t) => {
  const { s, root, dir, add } = await folderSetup(t);
  await add();
  const now = Date.now();
  const old = now - 400 * DAY;
  // Someone's directory with old files, chosen as a trashcan store by mistake: never cleaned.
  const foreign = path.join(dir, 'Documents');
  await put(path.join(foreign, 'tax-2019.pdf'), 'keep me', old);
  assert.equal((await patchFolder(s, { versioning: { type: 'trashcan', fsPath: foreign, cleanupIntervalS: 1, params: { cleanoutDays: '1' } } })).status, 200);
  await waitForEvent(s, 'StateChanged', (e) => e.data.folder === 'f' && e.data.to === 'cleaning');
  await waitForEvent(s, 'StateChanged', (e) => e.data.folder === 'f' && e.data.from === 'cleaning');
  assert.ok(await exists(path.join(foreign, 'tax-2019.pdf')));
  assert.ok(s.logs.some((l) => /was not made by Synchro/.test(l)), 'the skipped cleanup is logged');

  // The default store: old versions go, names that are no version of anything stay.
  const st = path.join(root, '.stversions');
  await put(path.join(st, tagFilename('a.txt', formatTag(old))), 'old version', old);
  await put(path.join(st, 'notes~draft.txt'), 'a file named with a tilde', old);
  await put(path.join(st, 'b~20241399-000000.txt'), 'month 13 is no time', old);
  assert.equal((await patchFolder(s, { versioning: { type: 'simple', fsPath: '', cleanupIntervalS: 1, params: { keep: '1', cleanoutDays: '1' } } })).status, 200);
  const since = (await s.json('/rest/events?since=0&timeout=0')).at(-1).id;
  await waitForEvent(s, 'StateChanged', (e) => e.id > since && e.data.folder === 'f' && e.data.from === 'cleaning');
  assert.equal(await exists(path.join(st, tagFilename('a.txt', formatTag(old)))), false, 'the old version was cleaned');
  assert.ok(await exists(path.join(st, 'notes~draft.txt')));
  assert.ok(await exists(path.join(st, 'b~20241399-000000.txt')));
});

test('two restores of one file at once, or one request naming it twice, lose no content (10 rounds)', async (t) => {
  const { s, root, add } = await folderSetup(t, { versioning: { type: 'simple', params: { keep: '100' } } });
  await add();
  const st = path.join(root, '.stversions');
  const base = new Date(2024, 0, 1, 12).getTime();
  for (let round = 0; round < 10; round++) {
    const t1 = base + round * 60_000;
    const t2 = t1 + 30_000;
    await put(path.join(st, tagFilename('doc.txt', formatTag(t1))), `version A ${round}`, t1);
    await put(path.join(st, tagFilename('doc.txt', formatTag(t2))), `version B ${round}`, t2);
    await put(path.join(root, 'doc.txt'), `current ${round}`);
    const wanted = [`version A ${round}`, `version B ${round}`, `current ${round}`].map(sha);
    const body = (at: number) => JSON.stringify({ 'doc.txt': formatTimeSeconds(at) });
    if (round % 2 === 0) {
      const [r1, r2] = await Promise.all([
        s.req('/rest/folder/versions?folder=f', { method: 'POST', body: body(t1) }),
        s.req('/rest/folder/versions?folder=f', { method: 'POST', body: body(t2) }),
      ]);
      assert.equal(r1.status, 200);
      assert.equal(r2.status, 200);
      const failed = { ...((await r1.json()) as object), ...((await r2.json()) as object) };
      assert.deepEqual(failed, {}, `round ${round}`);
    } else {
      const res = await s.req('/rest/folder/versions?folder=f', { method: 'POST', body: JSON.stringify({ 'doc.txt': formatTimeSeconds(t1), './doc.txt': formatTimeSeconds(t2) }) });
      const failed = (await res.json()) as Record<string, string>;
      assert.deepEqual(Object.keys(failed), ['./doc.txt'], `round ${round}: the second name of the same file is refused`);
      assert.match(failed['./doc.txt']!, /names the same file as "doc.txt"/);
    }
    const have = new Set([...(await contents(st)), sha(await fs.readFile(path.join(root, 'doc.txt')))]);
    for (const w of wanted) assert.ok(have.has(w), `round ${round}: every content stays somewhere`);
  }
});

test('two archives of one file in the same second keep both versions (simple, staggered, receive-only revert)', async (t) => {
  for (const type of ['simple', 'staggered']) {
    const { s, root, add } = await folderSetup(t, { versioning: { type, params: { keep: '10' } } });
    await add();
    const st = path.join(root, '.stversions');
    const at = new Date(2024, 0, 1, 12).getTime();
    await put(path.join(st, tagFilename('doc.txt', formatTag(at))), 'old one', at);
    await put(path.join(st, tagFilename('doc.txt', formatTag(at + 60_000))), 'old two', at + 60_000);
    await put(path.join(root, 'doc.txt'), 'current');
    // Two restores within one second: each archives what is in place at that moment.
    for (const when of [at, at + 60_000]) {
      const res = await s.req('/rest/folder/versions?folder=f', { method: 'POST', body: JSON.stringify({ 'doc.txt': formatTimeSeconds(when) }) });
      assert.deepEqual(await res.json(), {});
    }
    const have = new Set([...(await contents(st)), sha(await fs.readFile(path.join(root, 'doc.txt')))]);
    for (const c of ['old one', 'old two', 'current']) assert.ok(have.has(sha(c)), `${type}: "${c}" kept`);
    const listed = (await s.json('/rest/folder/versions?folder=f'))['doc.txt'];
    assert.equal(listed.length, 2, `${type}: both archives are listed as versions`);
    assert.notEqual(listed[0].versionTime, listed[1].versionTime);
  }

  // Receive-only: reverted, made again, reverted again within a second.
  const { s, root, add } = await folderSetup(t, { type: 'receiveonly', versioning: { type: 'simple', params: { keep: '10' } } });
  await add();
  for (const c of ['first local change', 'second local change']) {
    await put(path.join(root, 'local.txt'), c);
    await scan(s, 'f');
    assert.equal((await s.req('/rest/db/revert?folder=f', { method: 'POST' })).status, 200);
    await waitForEvent(s, 'LocalIndexUpdated', (e) => e.data.folder === 'f' && e.data.filenames?.includes('local.txt'));
    for (let i = 0; i < 200 && (await exists(path.join(root, 'local.txt'))); i++) await new Promise((r) => setTimeout(r, 10));
  }
  const have = await contents(path.join(root, '.stversions'));
  for (const c of ['first local change', 'second local change']) assert.ok(have.has(sha(c)), `receive-only: "${c}" kept`);
});

test('external versioner: a placeholder in the script of sh -c (and the like) is refused; the positional form is safe', async (t) => {
  const { s, root, dir, add } = await folderSetup(t);
  await add();
  const refused = [
    'sh -c %FOLDER_PATH%/%FILE_PATH%',
    'bash -c "mv %FILE_PATH% /tmp"',
    '/bin/dash -e -c "rm %FILE_PATH%"',
    'zsh -lc "echo %FILE_PATH%"',
    'env FOO=1 sh -c "cat %FILE_PATH%"',
    'busybox sh -c "rm %FOLDER_PATH%/x"',
    'python3 -c "import os; os.remove(\'%FILE_PATH%\')"',
    'perl -e "unlink q(%FILE_PATH%)"',
    'node -e "require(\'fs\').rmSync(\'%FILE_PATH%\')"',
  ];
  for (const command of refused) {
    const res = await patchFolder(s, { versioning: { type: 'external', params: { command } } });
    assert.equal(res.status, 400, command);
    assert.match(await res.text(), /as code, so a file name could run commands\. Pass it as a positional parameter instead, e\.g\. sh -c 'mv "\$1" \/backup\/' sh %FILE_PATH%/, command);
  }
  // The safe form runs, and hostile names stay names.
  const trash = path.join(dir, 'trash');
  await fs.mkdir(trash);
  const safe = `sh -c 'mv "$1" "$2"' sh %FOLDER_PATH%/%FILE_PATH% ${trash}`;
  assert.equal((await patchFolder(s, { type: 'receiveonly', versioning: { type: 'external', params: { command: safe } } })).status, 200);
  const hostile = ['a;touch P1', '$(touch P2)', '`touch P3`', 'x && touch P4', "q'; touch P5; '"];
  for (const name of hostile) await put(path.join(root, name), 'data');
  await scan(s, 'f');
  assert.equal((await s.req('/rest/db/revert?folder=f', { method: 'POST' })).status, 200);
  for (let i = 0; i < 300 && (await fs.readdir(trash)).length < hostile.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual((await fs.readdir(trash)).sort(), [...hostile].sort(), 'every file went to the trash, by its name');
  for (const p of ['P1', 'P2', 'P3', 'P4', 'P5']) {
    for (const where of [root, dir, process.cwd(), trash]) assert.equal(await exists(path.join(where, p)), false, `${p} was not created in ${where}`);
  }
});
