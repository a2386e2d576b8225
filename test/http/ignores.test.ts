import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TestServer } from '../support/test-server.js';
import { folderSetup as setup, addFolder, localCounts, scan, walkCounts, write } from '../support/folder-helpers.js';

const post = (s: TestServer, lines: unknown) => s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify(lines) });
const indexed = async (s: TestServer, name: string) => {
  const r = await s.req(`/rest/db/file?folder=f&file=${encodeURIComponent(name)}`);
  if (r.status !== 200) return 'absent';
  const j = (await r.json()) as { local: { deleted: boolean; ignored: boolean } };
  return j.local.deleted ? 'deleted' : j.local.ignored ? 'ignored' : 'indexed';
};
const settle = async (s: TestServer) => {
  // POST /rest/db/ignores starts a scan; a synchronous scan queues behind it.
  assert.equal((await scan(s, 'f')).status, 200);
};

test('GET/POST /rest/db/ignores: lines, expanded patterns, atomic write, rescan; ignored items leave the index', async (t) => {
  const { s, root } = await setup(t);
  for (const f of ['keep.txt', 'a.log', 'sub/b.log', 'build/out.o', 'photos/keep.jpg', 'photos/drop.jpg', 'node_modules/x/y.js']) await write(root, f, f);
  await addFolder(s, 'f', root);
  assert.deepEqual(await s.json('/rest/db/ignores?folder=f'), { error: null, expanded: null, ignore: null });
  assert.equal((await s.json('/rest/db/status?folder=f')).ignorePatterns, false);

  const lines = ['// build output', '*.log', 'build/', '!/photos/keep.jpg', '/photos', '(?d)node_modules'];
  const res = await post(s, { ignore: lines });
  assert.equal(res.status, 200);
  const got = (await res.json()) as { error: null; expanded: string[]; ignore: string[] };
  assert.deepEqual(got.ignore, lines);
  assert.deepEqual(got.expanded, ['*.log', '**/*.log', '*.log/**', '**/*.log/**', 'build/**', '**/build/**', '!/photos/keep.jpg', '!/photos/keep.jpg/**', '/photos', '/photos/**', '(?d)node_modules', '(?d)**/node_modules', '(?d)node_modules/**', '(?d)**/node_modules/**']);
  assert.equal(await fs.readFile(path.join(root, '.stignore'), 'utf8'), lines.join('\n') + '\n');
  await settle(s);

  assert.equal(await indexed(s, 'keep.txt'), 'indexed');
  for (const f of ['a.log', 'sub/b.log', 'build/out.o', 'photos/drop.jpg', 'node_modules/x/y.js']) assert.equal(await indexed(s, f), 'ignored', f);
  assert.equal(await indexed(s, 'photos/keep.jpg'), 'indexed', 'a negated child is still indexed');
  assert.equal(await indexed(s, 'photos'), 'indexed', 'and so is its ignored parent');
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.ignorePatterns, true);
  assert.equal(st.localFiles, 2, 'ignored records are not local counts');
  assert.equal(st.globalFiles, 2);

  // Newly ignored items announce no LocalChangeDetected; un-ignored ones come back on the next scan.
  const disk = await s.json('/rest/events/disk?since=0&timeout=0');
  assert.equal(disk.filter((e: { data: { path: string } }) => e.data.path === 'a.log').length, 1, 'only the original "modified"');
  assert.equal((await post(s, { ignore: [] })).status, 200);
  await fs.access(path.join(root, '.stignore')).then(() => assert.fail('an empty list removes .stignore'), () => undefined);
  await settle(s);
  for (const f of ['a.log', 'build/out.o', 'node_modules/x/y.js']) assert.equal(await indexed(s, f), 'indexed', f);
  assert.deepEqual(await localCounts(s, 'f'), await walkCounts(root));
});

test('an ignored directory that no negation reaches is not walked', async (t) => {
  const { s, root } = await setup(t);
  await write(root, 'skipme/deep/file.txt', 'x');
  await write(root, 'ok.txt', 'y');
  await write(root, '.stignore', 'skipme\n');
  await addFolder(s, 'f', root);
  assert.equal(await indexed(s, 'skipme'), 'absent');
  assert.equal(await indexed(s, 'skipme/deep/file.txt'), 'absent');
  assert.equal(await indexed(s, 'ok.txt'), 'indexed');
});

test('#include files apply; a change to an included file is picked up by the next scan', async (t) => {
  const { s, root } = await setup(t);
  await write(root, 'one.tmp', '1');
  await write(root, 'two.bak', '2');
  await write(root, 'rules/common', '*.tmp\n');
  await write(root, '.stignore', '#include rules/common\n');
  await addFolder(s, 'f', root);
  assert.equal(await indexed(s, 'one.tmp'), 'absent');
  assert.equal(await indexed(s, 'two.bak'), 'indexed');
  assert.deepEqual((await s.json('/rest/db/ignores?folder=f')).expanded, ['*.tmp', '**/*.tmp', '*.tmp/**', '**/*.tmp/**']);
  await new Promise((r) => setTimeout(r, 20)); // a different mtime
  await write(root, 'rules/common', '*.tmp\n*.bak\n');
  await settle(s);
  assert.equal(await indexed(s, 'two.bak'), 'ignored');
});

test('a broken .stignore: error in GET, folder in error, scan refused, nothing indexed or deleted', async (t) => {
  const { s, root } = await setup(t);
  await write(root, 'a.txt', 'a');
  await addFolder(s, 'f', root);
  const res = await post(s, { ignore: ['ok', 'foo[bar'] });
  assert.equal(res.status, 200, 'invalid patterns are saved and reported, as Syncthing does');
  const got = (await res.json()) as { error: string; expanded: string[]; ignore: string[] };
  assert.match(got.error, /^parse error: .*unclosed \[/);
  assert.deepEqual(got.expanded, []);
  assert.deepEqual(got.ignore, ['ok', 'foo[bar']);
  await fs.rm(path.join(root, 'a.txt'));
  const r = await scan(s, 'f');
  assert.equal(r.status, 500);
  assert.match(await r.text(), /^loading ignores: parse error/);
  const st = await s.json('/rest/db/status?folder=f');
  assert.equal(st.state, 'error');
  assert.equal(await indexed(s, 'a.txt'), 'indexed', 'nothing was recorded as deleted while the ignores are broken');

  await write(root, '.stignore', Buffer.from([0x61, 0xff, 0x0a]));
  assert.match((await s.json('/rest/db/ignores?folder=f')).error, /not valid UTF-8/);
  await write(root, '.stignore', '#include ../outside\n');
  assert.match((await s.json('/rest/db/ignores?folder=f')).error, /outside the folder/);
});

test('POST bad input: not the expected JSON is 500 (as Syncthing) and the file stays; an unknown folder', async (t) => {
  const { s, root } = await setup(t);
  await addFolder(s, 'f', root);
  await write(root, '.stignore', 'original\n');
  const cases: [string, string][] = [
    ['not json', "invalid character 'o' in literal null (expecting 'u')"],
    ['[1,2]', 'json: cannot unmarshal array into Go value of type map[string][]string'],
    ['{"ignore": "x"}', 'json: cannot unmarshal string into Go value of type []string'],
    ['{"ignore": [1]}', 'json: cannot unmarshal number into Go value of type string'],
    // Syncthing would clear the ignores for these two; Synchro refuses and writes nothing.
    ['{}', 'json: body must be {"ignore": [lines]}'],
    ['null', 'json: body must be {"ignore": [lines]}'],
  ];
  for (const [body, text] of cases) {
    const r = await s.req('/rest/db/ignores?folder=f', { method: 'POST', body });
    assert.deepEqual([r.status, await r.text()], [500, `${text}\n`], body);
  }
  assert.equal(await fs.readFile(path.join(root, '.stignore'), 'utf8'), 'original\n');
  assert.deepEqual(await s.json('/rest/db/ignores?folder=nope'), { error: 'folder nope does not exist', expanded: null, ignore: null });
  assert.equal((await s.req('/rest/db/ignores?folder=nope', { method: 'POST', body: '{"ignore": []}' })).status, 500);
});

test('defaults.ignores are written into a new folder that has no .stignore', async (t) => {
  const { s, root, dir } = await setup(t);
  await s.req('/rest/config/defaults/ignores', { method: 'PUT', body: JSON.stringify({ lines: ['*.part', '(?d).DS_Store'] }) });
  await write(root, 'x.part', 'p');
  await addFolder(s, 'f', root);
  assert.equal(await fs.readFile(path.join(root, '.stignore'), 'utf8'), '*.part\n(?d).DS_Store\n');
  assert.equal(await indexed(s, 'x.part'), 'absent');
  const other = path.join(dir, 'g');
  await write(other, '.stignore', 'mine\n');
  await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'g', path: other }) });
  assert.equal(await fs.readFile(path.join(other, '.stignore'), 'utf8'), 'mine\n', 'an existing .stignore is kept');
});

test('spec §4.6 rows 52–53: temporary names are never indexed; .stfolder/.stignore/.stversions are special only at the root', async (t) => {
  const { s, root } = await setup(t);
  for (const f of ['.syncthing.a.tmp', 'sub/~syncthing~b.tmp', 'sub/.stignore', 'sub/.stfolder', 'sub/.stversions/y', '.stversions/old~20240101-000000.txt']) await write(root, f, 'x');
  await addFolder(s, 'f', root);
  assert.equal(await indexed(s, '.syncthing.a.tmp'), 'absent');
  assert.equal(await indexed(s, 'sub/~syncthing~b.tmp'), 'absent');
  assert.equal(await indexed(s, '.stversions/old~20240101-000000.txt'), 'absent');
  for (const f of ['sub/.stignore', 'sub/.stfolder', 'sub/.stversions/y']) assert.equal(await indexed(s, f), 'indexed', f);
});
