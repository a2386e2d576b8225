import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadIgnores } from '../../src/scanner/ignore-file.js';
import { IgnoreMatcher, expandLine, skipFlags } from '../../src/scanner/ignore-pattern.js';
import { tempDir } from '../support/temp-dir.js';

async function matcherFor(t: { after: (fn: () => Promise<void>) => void }, stignore: string, extra: Record<string, string> = {}) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  fs.writeFileSync(path.join(dir, '.stignore'), stignore);
  for (const [f, c] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), c);
  }
  return loadIgnores(dir);
}

// [lines, path → ignored?] from spec index §4.6 (Linux semantics).
const VECTORS: [string, Record<string, boolean>, Record<string, string>?][] = [
  ['#include excludes\nbfile\ndir1/cfile\n**/efile\n/ffile\nlost+found\n',
    { afile: false, bfile: true, efile: true, ffile: true, 'dir1/cfile': true, 'dir1/ffile': false, 'dir2/efile': true, 'dir2/dfile': true, 'dir2/cfile': false, dir3: true, 'dir3/afile': true, 'lost+found': true },
    { excludes: 'dir2/dfile\n#include further-excludes\n', 'further-excludes': 'dir3\n' }],
  ['!iex2\n!ign1/ex\nign1\ni*2\n!ign2\n',
    { ign2: true, ibla2: true, iex2: false, 'ign1/ign': true, 'ign1/ex': false, 'ign1/iex2': false, 'iex2/ign': false, 'foo/bar/ign1': true, 'foo/bar/ign2': true, 'foo/bar/iex2': false }],
  ['foo/\n', { foo: false, 'foo/bar': true }],
  ['a*b\na**c\n', { ab: true, asdfb: true, ac: true, asdfc: true, 'as/db': false, 'as/dc': true }],
  ['a?b\nbb?\n', { acb: true, bba: true, ab: false, asdb: false, bb: false, bbaa: false }],
  ['!/a\n/*\n', { a: false, b: true, '.': false }],
  ['foo,bar.txt\n{baz,quux}.txt\n', { 'foo,bar.txt': true, 'baz.txt': true, 'quux.txt': true, 'foo.txt': false, 'bar.txt': false, 'baz,quux.txt': false }],
  ['#snapshot\n', { '#snapshot': true, '#snapshot/foo': true }],
  ['test\n', { test: true, TEST: false, Test: false }],
  ['(?i)upper\n', { UPPER: true, Upper: true, upper: true }],
  ['(?d)(?d)!ign10\n', { '(?d)!ign10': true }],
  ['(?i)/#nosync\n(?i)/$Recycle.bin\n', { '#nosync': true, '$RECYCLE.BIN/S-1-5-18/desktop.ini': true, 'sub/#nosync': false }],
  ['1000春\n200?春\n300[0-9]春\n400[0-9]?\n', { '1000春': true, '2002春': true, '3003春': true, '4004春': true }],
  ['(?d)(?i)*.part\n(?d)(?i)/foo\n(?d)(?i)**/bar\n', { 'a.PART': true, 'x/b.part': true, foo: true, bar: true, 'x/bar': true, 'x/foo': false }],
  ['a\\*\n', { 'a*': true, ab: false }],
  ['\\[ab\\]c\n', { '[ab]c': true, ac: false, bc: false }],
  ['\\*a\n', { '*a': true, xa: false }],
  ['\\a\\b\n', { ab: true }],
  ['a\\r\\n\n', { arn: true }],
  ['a/**\n', { 'a/b/c': true }],
  ['**/c/**\n', { 'a/b/c/d/e': true }],
  ['a**b**c\n', { 'a/b/c': true }],
  ['a]b\n', { 'a]b': true }],
  ['a}b\n', { 'a}b': true }],
  ['[!a]x\n', { bx: true, ax: false, x: false }],
  ['foo/*/bar\n', { 'foo/a/bar': true, 'foo/a/b/bar': false, 'foo/bar': false, 'x/foo/a/bar': true }],
  ['foo/**/bar\n', { 'foo/bar': true, 'foo/a/b/bar': true, 'foo2/bar': false }],
  ['*\n!keep\n', { keep: true }],
  ['!keep\n!d\n*\n', { keep: false, d: false, 'd/keep': false, 'd/other': false }],
  ['cache/\n', { cache: false, 'cache/x': true, 'a/cache': false, 'a/cache/y': true }],
  ['/top\n', { top: true, 'top/t': true, 'x/top': false, 'x/top/t': false }],
  ['*.log\n', { 'a.log': true, 'x/b.log': true }],
  ['  spaced.txt  \n', { 'spaced.txt': true }],
  ['!/photos/keep.jpg\n/photos\n', { 'photos/keep.jpg': false, 'photos/drop.jpg': true }],
  ['!**/\n', { foo: false }],
];

test('every test vector of spec §4.6 (including the two Syncthing 1.19.2 gets wrong)', async (t) => {
  for (const [lines, cases, extra] of VECTORS) {
    const loaded = await matcherFor(t, lines, extra);
    assert.equal(loaded.error, undefined, lines);
    for (const [p, want] of Object.entries(cases)) assert.equal(loaded.matcher.match(p).ignored, want, `${JSON.stringify(lines)} ${p}`);
  }
});

test('expansion of one line into the patterns GET /rest/db/ignores shows (spec §4.4)', () => {
  const exp = (l: string) => expandLine(l).map((p) => p.text);
  assert.deepEqual(exp('dir3'), ['dir3', '**/dir3', 'dir3/**', '**/dir3/**']);
  assert.deepEqual(exp('**/efile'), ['**/efile', 'efile', '**/efile/**', 'efile/**']);
  assert.deepEqual(exp('/ffile'), ['/ffile', '/ffile/**']);
  assert.deepEqual(exp('build/'), ['build/**', '**/build/**']);
  assert.deepEqual(exp('sub/**'), ['sub/**', '**/sub/**']);
  assert.deepEqual(exp('!keep.tmp'), ['!keep.tmp', '!**/keep.tmp', '!keep.tmp/**', '!**/keep.tmp/**']);
  assert.deepEqual(exp('(?d).DS_Store'), ['(?d).DS_Store', '(?d)**/.DS_Store', '(?d).DS_Store/**', '(?d)**/.DS_Store/**']);
  assert.deepEqual(exp('(?d)(?i)**/bar'), ['(?d)(?i)**/bar', '(?d)(?i)bar', '(?d)(?i)**/bar/**', '(?d)(?i)bar/**']);
  assert.deepEqual(exp('(?i)upper'), ['(?i)upper', '(?i)**/upper', '(?i)upper/**', '(?i)**/upper/**']);
});

test('(?d) marks deletable; can-skip-dir follows the negation rule', () => {
  const m = (lines: string[]) => new IgnoreMatcher(lines.flatMap(expandLine));
  assert.deepEqual([m(['(?d)ign1']).match('ign1').deletable, m(['(?i)ign8']).match('ign8').deletable, m(['!(?d)ign4']).match('ign4').ignored], [true, false, false]);
  const rule = (neg: string) => skipFlags([...expandLine(neg), ...expandLine('whatever')]).every(Boolean);
  for (const neg of ['!/test', '!/t[eih]t', '!/t*t', '!/t?t', '!/**', '/pa*nt/test', 'test', '*']) assert.equal(rule(neg), true, neg);
  for (const neg of ['!/parent/test', '!/**.mp3', '!/pa*nt/test', '!/lo*st/parent/test']) assert.equal(rule(neg), false, neg);
  assert.equal(m(['!/test', 'whatever']).match('whatever').canSkipDir, true);
  assert.equal(m(['!/parent/test', 'whatever']).match('whatever').canSkipDir, false);
  assert.equal(m(['/foo/ign*', '!/f*', '!/bar', '*']).match('whatever').canSkipDir, true);
  assert.equal(m(['!/foo/ign*', '*']).match('whatever').canSkipDir, false);
});

test('errors: missing pattern, #include without file, missing include, include loop, outside include, unclosed [, not UTF-8', async (t) => {
  const err = async (text: string | Buffer, extra: Record<string, string> = {}) => {
    const { dir, cleanup } = await tempDir();
    t.after(cleanup);
    fs.writeFileSync(path.join(dir, '.stignore'), text);
    for (const [f, c] of Object.entries(extra)) fs.writeFileSync(path.join(dir, f), c);
    const r = await loadIgnores(dir);
    assert.deepEqual(r.patterns, [], 'a parse error empties the pattern set');
    return r.error ?? '';
  };
  for (const l of ['!', '(?d)', '(?i)']) assert.match(await err(l + '\n'), /missing pattern/);
  assert.match(await err('#include\n'), /failed to parse #include line: no file\?/);
  assert.match(await err('#include nothere\n'), /failed to load include file nothere/);
  assert.match(await err('#include a\n', { a: '#include b\n', b: '#include ./a\n' }), /multiple include/);
  assert.equal(await err('#include a\n', { a: '#include b\n', b: '#include a\n' }), '', 'an identical #include line is skipped, so it cannot loop');
  assert.match(await err('#include ../../etc/passwd\n'), /outside the folder/);
  assert.match(await err('foo[bar\n'), /unclosed \[/);
  assert.match(await err(Buffer.from([0x66, 0xff, 0xfe, 0x0a])), /not valid UTF-8/);
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const none = await loadIgnores(dir);
  assert.deepEqual([none.lines, none.patterns, none.error], [undefined, [], undefined], 'no .stignore is not an error');
});
