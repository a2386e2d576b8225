import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTag, parseTag, tagFilename, untagFilename } from '../../src/versioner/tag.js';
import { splitShellWords } from '../../src/versioner/shell-words.js';
import { externalArgv } from '../../src/versioner/external.js';

test('the tag goes before the last extension (spec index §6)', () => {
  const tag = '20240102-130405';
  const cases: [string, string][] = [
    ['report.pdf', 'report~20240102-130405.pdf'],
    ['a.tar.gz', 'a.tar~20240102-130405.gz'],
    ['README', 'README~20240102-130405'],
    ['.bashrc', '~20240102-130405.bashrc'],
    ['dir.d/sub/file.txt', 'dir.d/sub/file~20240102-130405.txt'],
    ['dir.d/noext', 'dir.d/noext~20240102-130405'],
  ];
  for (const [name, tagged] of cases) {
    assert.equal(tagFilename(name, tag), tagged);
    assert.deepEqual(untagFilename(tagged), { name, tag });
  }
});

test('untagging: old-style tags after the extension, and names that carry no tag', () => {
  assert.deepEqual(untagFilename('a.txt~20240102-130405'), { name: 'a.txt', tag: '20240102-130405' });
  assert.equal(untagFilename('plain.txt'), undefined);
  assert.equal(untagFilename('a~b.c.d'), undefined);
  // A ~ in a directory name is not a tag.
  assert.equal(untagFilename('x~20240102-130405/plain'), undefined);
  // Tag-shaped but not a time: untagged here, skipped by the listing.
  assert.deepEqual(untagFilename('a~notatime.txt'), { name: 'a.txt', tag: 'notatime' });
  assert.equal(parseTag('notatime'), undefined);
});

test('tags are local time, to the second, and out-of-range fields are refused', () => {
  const ms = new Date(2024, 0, 2, 13, 4, 5, 678).getTime();
  assert.equal(formatTag(ms), '20240102-130405');
  assert.equal(parseTag('20240102-130405'), new Date(2024, 0, 2, 13, 4, 5).getTime());
  for (const bad of ['20241302-130405', '20240230-120000', '20240102-250000', '20240102-126000', '2024010-130405', '20240102130405']) {
    assert.equal(parseTag(bad), undefined, bad);
  }
});

test('commands split shell-style without a shell', () => {
  assert.deepEqual(splitShellWords(`/bin/mv  "%FILE_PATH%" '/trash dir/' a\\ b`), ['/bin/mv', '%FILE_PATH%', '/trash dir/', 'a b']);
  assert.deepEqual(splitShellWords(`x "a\\"b\\$c\\d" ''`), ['x', 'a"b$c\\d', '']);
  for (const bad of [`a "b`, `a 'b`, `a \\`]) assert.throws(() => splitShellWords(bad), /command is invalid/);
});

test('placeholders are substituted per word; a word mixing one with shell syntax is refused', () => {
  const values = { '%FOLDER_PATH%': '/data/f', '%FILE_PATH%': 'sub/a b.txt', '%FOLDER_FILESYSTEM%': 'basic' };
  assert.deepEqual(externalArgv('/usr/bin/archive --in=%FOLDER_PATH% %FILE_PATH% %FOLDER_FILESYSTEM%', values), [
    '/usr/bin/archive',
    '--in=/data/f',
    'sub/a b.txt',
    'basic',
  ]);
  assert.throws(() => externalArgv(`sh -c "mv %FILE_PATH% /trash"`, values), /mixes a placeholder with shell-special characters/);
  assert.throws(() => externalArgv('cmd %FILE_PATH%;rm', values), /shell-special/);
  assert.throws(() => externalArgv('   ', values), /command is empty/);
});
