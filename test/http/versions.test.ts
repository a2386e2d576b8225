import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatTimeSeconds } from '../../src/shared/time-format.js';
import { formatTag, tagFilename } from '../../src/versioner/tag.js';
import { addFolder, folderSetup, scan, write } from '../support/folder-helpers.js';
import { ManualClock } from '../support/manual-clock.js';
import type { TestServer } from '../support/test-server.js';

const DAY = 86_400_000;
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime();

async function put(file: string, content: string, mtimeMs?: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  if (mtimeMs !== undefined) await fs.utimes(file, new Date(mtimeMs), new Date(mtimeMs));
}

const restore = (s: TestServer, body: unknown, folder = 'f') =>
  s.req(`/rest/folder/versions?folder=${folder}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

test('versions: 500 for a folder without versioning or an unknown one', async (t) => {
  const { s, add } = await folderSetup(t);
  await add();
  for (const [p, msg] of [['/rest/folder/versions?folder=f', 'folder has no versioner'], ['/rest/folder/versions?folder=nope', 'no such folder']] as const) {
    const get = await s.req(p);
    assert.equal(get.status, 500);
    assert.equal(await get.text(), msg + '\n');
    const post = await s.req(p, { method: 'POST', body: '{}' });
    assert.equal(post.status, 500);
    assert.equal(await post.text(), msg + '\n');
  }
});

test('GET versions: grouped by untagged path, tag times in local time, trashcan copies by mtime, odd entries skipped', async (t) => {
  const { s, root, dir, add } = await folderSetup(t, { versioning: { type: 'simple', params: { keep: '10' } } });
  const st = path.join(root, '.stversions');
  const mtime = local(2023, 5, 5, 5, 5, 5);
  await put(path.join(st, 'a~20240101-120000.txt'), 'one', mtime);
  await put(path.join(st, 'a~20240102-130405.txt'), 'two!', mtime + 1500);
  await put(path.join(st, 'plainfile.txt'), 'plain!', local(2026, 1, 2, 3, 4, 5) + 700);
  await put(path.join(st, 'sub/README~20240104-101010'), 'readme');
  await put(path.join(st, 'sub/x.tar~20240105-000000.gz'), 'gz');
  await put(path.join(st, 'bad~notatime.txt'), 'skipped');
  await put(path.join(st, 'bad~20241399-000000.txt'), 'skipped');
  await put(path.join(dir, 'outside/secret~20240101-000000.txt'), 'never listed');
  await fs.symlink(path.join(dir, 'outside'), path.join(st, 'linkdir'));
  await fs.symlink(path.join(dir, 'outside/secret~20240101-000000.txt'), path.join(st, 'link~20240101-000000.txt'));
  await add();
  const readme = (await fs.stat(path.join(st, 'sub/README~20240104-101010'))).mtimeMs;
  const gz = (await fs.stat(path.join(st, 'sub/x.tar~20240105-000000.gz'))).mtimeMs;
  const res = await s.req('/rest/folder/versions?folder=f');
  assert.equal(res.status, 200);
  const text = await res.text();
  const v = (at: number, m: number, size: number) => ({ versionTime: formatTimeSeconds(at), modTime: formatTimeSeconds(m), size });
  assert.deepEqual(JSON.parse(text), {
    'a.txt': [v(local(2024, 1, 1, 12), mtime, 3), v(local(2024, 1, 2, 13, 4, 5), mtime + 1500, 4)],
    'plainfile.txt': [v(local(2026, 1, 2, 3, 4, 5), local(2026, 1, 2, 3, 4, 5), 6)],
    'sub/README': [v(local(2024, 1, 4, 10, 10, 10), readme, 6)],
    'sub/x.tar.gz': [v(local(2024, 1, 5), gz, 2)],
  });
  // A Go map: keys in byte order; each version's fields in struct order.
  assert.ok(text.indexOf('"a.txt"') < text.indexOf('"plainfile.txt"') && text.indexOf('"plainfile.txt"') < text.indexOf('"sub/README"'));
  assert.match(text, /\{\s*"versionTime": "[^"]+",\s*"modTime": "[^"]+",\s*"size": 3\s*\}/);
});

test('POST versions: the current file is archived first, the version moved back with its mtime, then rescanned', async (t) => {
  const { s, root, add } = await folderSetup(t, { versioning: { type: 'simple', params: { keep: '10' } } });
  const st = path.join(root, '.stversions');
  const oldMtime = local(2023, 5, 5, 5, 5, 5);
  await put(path.join(st, 'docs/a~20240102-130405.txt'), 'the old text', oldMtime);
  await put(path.join(st, 'gone~20240103-000000.md'), 'was deleted', oldMtime);
  await put(path.join(root, 'docs/a.txt'), 'current', local(2025, 1, 1));
  await add();
  const before = Date.now();
  const res = await restore(s, { 'docs/a.txt': formatTimeSeconds(local(2024, 1, 2, 13, 4, 5)), 'gone.md': new Date(local(2024, 1, 3)).toISOString() });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  assert.equal(await fs.readFile(path.join(root, 'docs/a.txt'), 'utf8'), 'the old text');
  assert.equal((await fs.stat(path.join(root, 'docs/a.txt'))).mtimeMs, oldMtime);
  assert.equal(await fs.readFile(path.join(root, 'gone.md'), 'utf8'), 'was deleted');
  const archived = (await fs.readdir(path.join(st, 'docs'))).filter((n) => n.startsWith('a~'));
  assert.equal(archived.length, 1, 'the restored version left .stversions; the current file went in');
  const tag = /^a~(\d{8}-\d{6})\.txt$/.exec(archived[0]!)![1]!;
  assert.ok([formatTag(before), formatTag(before + 1000), formatTag(Date.now())].includes(tag));
  assert.equal(await fs.readFile(path.join(st, 'docs', archived[0]!), 'utf8'), 'current');
  assert.equal((await fs.stat(path.join(st, 'docs', archived[0]!))).mtimeMs, local(2025, 1, 1));
  // The restore queued a scan of the restored paths; this one runs after it.
  await scan(s, 'f', ['docs']);
  const rec = await s.json('/rest/db/file?folder=f&file=gone.md');
  assert.equal(rec.local.size, 'was deleted'.length);
  assert.equal((await s.json('/rest/db/file?folder=f&file=docs/a.txt')).local.size, 'the old text'.length);
});

test('POST versions: bad paths, unknown times and directories fail per path and touch nothing; bad bodies are 400', async (t) => {
  const { s, root, dir, add } = await folderSetup(t, { versioning: { type: 'simple' } });
  const st = path.join(root, '.stversions');
  const at = local(2024, 1, 2, 13, 4, 5);
  await put(path.join(st, 'a~20240102-130405.txt'), 'version');
  await put(path.join(st, 'd~20240102-130405'), 'version of d');
  await put(path.join(root, 'a.txt'), 'current');
  await fs.mkdir(path.join(root, 'd'));
  await put(path.join(dir, 'etc/passwd'), 'outside');
  await add();
  const time = formatTimeSeconds(at);
  const res = await restore(s, {
    '../etc/passwd': time,
    [path.join(dir, 'etc/passwd')]: time,
    'a.txt': formatTimeSeconds(at + 1000),
    d: time,
  });
  assert.equal(res.status, 200);
  const errors = (await res.json()) as Record<string, string>;
  assert.deepEqual(Object.keys(errors).sort(), ['../etc/passwd', path.join(dir, 'etc/passwd'), 'a.txt', 'd'].sort());
  assert.match(errors['../etc/passwd'] ?? '', /^simple versioner: restore: .*\.\./);
  // A leading "/" is the folder's root (Canonicalize): the absolute path names a file inside it, of which no version exists.
  assert.equal(errors[path.join(dir, 'etc/passwd')], 'simple versioner: restore: version not found');
  assert.equal(errors['a.txt'], 'simple versioner: restore: version not found');
  assert.equal(errors.d, 'simple versioner: restore: cannot restore on top of a directory');
  assert.equal(await fs.readFile(path.join(root, 'a.txt'), 'utf8'), 'current');
  assert.deepEqual((await fs.readdir(st)).sort(), ['a~20240102-130405.txt', 'd~20240102-130405']);
  assert.equal(await fs.readFile(path.join(dir, 'etc/passwd'), 'utf8'), 'outside');

  for (const body of ['[]', '"a.txt"', '{"a.txt": 5}', '{"a.txt": "yesterday"}', '{"a.txt": null}', 'null', '{"a.txt":', '']) {
    const r = await restore(s, body);
    assert.equal(r.status, 500, `${body}: Syncthing answers every body it cannot decode 500`);
  }
  assert.equal(await fs.readFile(path.join(root, 'a.txt'), 'utf8'), 'current');
});

test('cleanup runs every cleanupIntervalS on the folder clock (clean-waiting, cleaning), and not while the folder is in error', async (t) => {
  const clock = new ManualClock();
  const { s, root } = await folderSetup(t, {}, { clock });
  const st = path.join(root, '.stversions');
  await put(path.join(st, 'old/stale.txt'), 'stale', clock.nowMs() - 3 * DAY);
  await put(path.join(st, 'fresh.txt'), 'fresh', clock.nowMs() - 3600_000);
  await put(path.join(st, tagFilename('s.txt', formatTag(clock.nowMs() - 10 * DAY))), 'tagged', clock.nowMs());
  await put(path.join(root, 'file.txt'), 'indexed, so a missing marker is an error');
  await addFolder(s, 'f', root, { rescanIntervalS: 0, versioning: { type: 'trashcan', params: { cleanoutDays: '2' }, cleanupIntervalS: 600 } });
  const since = ((await s.json('/rest/events?since=0&timeout=0')) as any[]).at(-1).id;
  await clock.advance(599_000);
  assert.equal(await exists(path.join(st, 'old/stale.txt')), true);
  await clock.advance(1000);
  let evs: any[] = [];
  for (let i = 0; i < 50 && !evs.some((e) => e.data.to === 'idle'); i++) {
    evs = (await s.json(`/rest/events?since=${since}&timeout=1`)).filter((e: any) => e.type === 'StateChanged');
  }
  assert.deepEqual(evs.map((e) => `${e.data.from}>${e.data.to}`), ['idle>clean-waiting', 'clean-waiting>cleaning', 'cleaning>idle']);
  assert.equal(await exists(path.join(st, 'old')), false);
  assert.deepEqual((await fs.readdir(st)).sort(), ['fresh.txt', tagFilename('s.txt', formatTag(clock.nowMs() - 10 * DAY - 600_000))].sort());

  // In error (marker gone): the next cleanup is skipped.
  await fs.utimes(path.join(st, 'fresh.txt'), new Date(clock.nowMs() - 3 * DAY), new Date(clock.nowMs() - 3 * DAY));
  await fs.rmdir(path.join(root, '.stfolder'));
  assert.equal((await scan(s, 'f')).status, 500);
  const mark = ((await s.json(`/rest/events?since=0&timeout=0`)) as any[]).at(-1).id;
  await clock.advance(600_000);
  await new Promise((r) => setTimeout(r, 200));
  const later = (await s.json(`/rest/events?since=${mark}&timeout=0`)).filter((e: any) => e.type === 'StateChanged');
  assert.ok(!later.some((e: any) => e.data.to === 'cleaning'), JSON.stringify(later));
  assert.equal(await exists(path.join(st, 'fresh.txt')), true);
});

test('external versioner: run without a shell, placeholders and env set, API key removed; failures keep the file', async (t) => {
  const { s, root, dir, add } = await folderSetup(t, { type: 'receiveonly' });
  const trash = path.join(dir, 'trash');
  await fs.mkdir(trash);
  const script = path.join(dir, 'archive.sh');
  await fs.writeFile(
    script,
    [
      '#!/bin/sh',
      'case "$2" in',
      '  *fail*) echo "refusing $2" >&2; exit 3 ;;',
      '  *hang*) sleep 30 ;;',
      '  *keep*) exit 0 ;;',
      'esac',
      'env | grep -E "^(FOLDER_PATH|FILE_PATH|FOLDER_FILESYSTEM|STGUIAPIKEY|STGUIAUTH)=" | sort > "$3/env-$(basename "$2")"',
      'mv "$1/$2" "$3/"',
    ].join('\n') + '\n',
    { mode: 0o755 },
  );
  for (const name of ['moved.txt', 'fail.txt', 'hang.txt', 'keep.txt']) await write(root, name, name);
  await add();
  const patch = await s.req('/rest/config/folders/f', {
    method: 'PATCH',
    body: JSON.stringify({ versioning: { type: 'external', params: { command: `${script} %FOLDER_PATH% %FILE_PATH% ${trash}`, commandTimeoutS: '1' } } }),
  });
  assert.equal(patch.status, 200);
  await scan(s, 'f');
  const saved = process.env.STGUIAPIKEY;
  process.env.STGUIAPIKEY = 'must-not-leak';
  t.after(() => {
    if (saved === undefined) delete process.env.STGUIAPIKEY;
    else process.env.STGUIAPIKEY = saved;
  });
  let since = ((await s.json('/rest/events?since=0&timeout=0')) as any[]).at(-1).id;
  await s.req('/rest/db/revert?folder=f', { method: 'POST' });
  for (let done = false; !done; ) {
    const evs = await s.json(`/rest/events?since=${since}&timeout=10`);
    done = evs.some((e: any) => e.type === 'StateChanged' && e.data.from === 'scanning');
    since = evs.at(-1)?.id ?? since;
  }
  assert.equal(await fs.readFile(path.join(trash, 'moved.txt'), 'utf8'), 'moved.txt');
  assert.equal(await fs.readFile(path.join(trash, 'env-moved.txt'), 'utf8'), `FILE_PATH=moved.txt\nFOLDER_FILESYSTEM=basic\nFOLDER_PATH=${root}\n`);
  for (const kept of ['fail.txt', 'hang.txt', 'keep.txt']) assert.equal(await fs.readFile(path.join(root, kept), 'utf8'), kept);
  const left = (await s.json('/rest/db/localchanged?folder=f')).files.map((f: any) => f.name);
  assert.deepEqual(left, ['fail.txt', 'hang.txt', 'keep.txt']);
  const log = s.logs.join('\n');
  assert.match(log, /fail\.txt: Versioner: external command exited with status 3: refusing fail\.txt/);
  assert.match(log, /hang\.txt: Versioner: external command timed out after 1 s/);
  assert.match(log, /keep\.txt: file was not removed by external script/);
  // Nothing is stored, so nothing can be listed.
  const list = await s.req('/rest/folder/versions?folder=f');
  assert.equal(list.status, 500);
  assert.match(await list.text(), /not supported/);
});
