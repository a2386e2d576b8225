import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { addFolder, scan, write } from '../support/folder-helpers.js';

/**
 * Path containment: every way an API client might make the service read, list, write or delete
 * outside a folder root or the home — `..`, absolute paths, symlinks to files and directories,
 * Unicode look-alikes, case variants, encoded separators — through browse, file, ignores
 * (#include), versions (list and restore), scan, revert, system/browse, the GUI asset server and
 * the base URL. Every attempt must be refused or come back empty, no answer may carry a byte of
 * the files outside, and the outside tree must be exactly as it was.
 */

const SECRET = 'TOP-SECRET-CONTENT';

interface Snapshot {
  [rel: string]: string;
}

async function snapshot(dir: string): Promise<Snapshot> {
  const out: Snapshot = {};
  const visit = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = await fs.lstat(path.join(dir, r));
      if (e.isDirectory()) {
        out[r + '/'] = `dir ${st.mode}`;
        await visit(r);
      } else out[r] = `${st.size} ${st.mtimeMs} ${st.mode} ${await fs.readFile(path.join(dir, r), 'utf8')}`;
    }
  };
  await visit('');
  return out;
}

async function world(t: { after: (fn: () => Promise<void>) => void }, serverOpts: Parameters<typeof startServer>[0] = {}) {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const outside = path.join(dir, 'outside');
  await write(outside, 'secret.txt', SECRET);
  await write(outside, 'sub/inner.txt', SECRET + '-2');
  await write(outside, 'secret~20240102-130405.txt', SECRET + '-version');
  const s = await startServer(serverOpts);
  t.after(() => s.stop());
  const before = await snapshot(outside);
  const homeBefore = await fs.readFile(path.join(s.home, 'config.xml'), 'utf8');
  return { dir, outside, s, before, homeBefore };
}

async function answer(s: TestServer, method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await s.req(p, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const q = encodeURIComponent;

test('browse, file, ignores, versions, scan and revert stay inside the folder', async (t) => {
  const { dir, outside, s, before } = await world(t);
  const root = path.join(dir, 'f');
  await write(root, 'a.txt', 'inside');
  await fs.symlink(outside, path.join(root, 'link'));
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'filelink'));
  await addFolder(s, 'f', root, { versioning: { type: 'simple' } });
  // A folder whose version store is a symlink to the outside directory.
  const g = path.join(dir, 'g');
  await write(g, 'secret.txt', 'current');
  await fs.symlink(outside, path.join(g, '.stversions'));
  await addFolder(s, 'g', g, { versioning: { type: 'simple' } });
  // A receive-only folder with a local symlink to the outside.
  const ro = path.join(dir, 'ro');
  await write(ro, 'keep.txt', 'x');
  await addFolder(s, 'ro', ro, { type: 'receiveonly' });
  await fs.symlink(outside, path.join(ro, 'rlink'));
  await write(ro, 'added.txt', 'local');
  await scan(s, 'ro');
  await s.req('/rest/config/gui', { method: 'PATCH', body: '{"debugging": true}' });

  const names = ['..', '../outside', outside, 'link', 'LINK', 'link/', 'link/sub', './link', 'a.txt/../../outside', '..\\outside', '\uff0e\uff0e/outside', '..\u2215outside', '%2e%2e/outside', '..%2foutside', '/..', '\u0000', 'a.txt/..'];
  const files = ['../outside/secret.txt', 'link/secret.txt', 'LINK/secret.txt', 'filelink', path.join(outside, 'secret.txt'), '..\u2215outside\u2215secret.txt', '\uff0e\uff0e/outside/secret.txt', 'link/../../outside/secret.txt', '%2e%2e%2foutside%2fsecret.txt'];
  const attempts: [string, string, unknown?][] = [
    ...names.map((n): [string, string] => ['GET', `/rest/db/browse?folder=f&prefix=${q(n)}`]),
    ...files.map((f): [string, string] => ['GET', `/rest/db/file?folder=f&file=${q(f)}`]),
    ...files.map((f): [string, string] => ['GET', `/rest/debug/file?folder=f&file=${q(f)}`]),
    ...files.map((f): [string, string, unknown] => ['POST', '/rest/db/ignores?folder=f', { ignore: [`#include ${f}`] }]),
    ['GET', '/rest/db/ignores?folder=f'],
    ...files.map((f): [string, string, unknown] => ['POST', '/rest/folder/versions?folder=f', { [f]: '2024-01-02T13:04:05Z' }]),
    ['GET', '/rest/folder/versions?folder=g'],
    ['POST', '/rest/folder/versions?folder=g', { 'secret.txt': '2024-01-02T13:04:05Z' }],
    ...names.map((n): [string, string] => ['POST', `/rest/db/scan?folder=f&sub=${q(n)}`]),
    ['POST', '/rest/db/revert?folder=ro'],
  ];
  const leaks: string[] = [];
  for (const [method, p, body] of attempts) {
    const a = await answer(s, method, p, body);
    // Leaks: the outside content, or an outside name in a listing (browse entries, version lists, directories).
    if (a.text.includes(SECRET) || /"name": "secret\.txt"|"secret\.txt": \[|inner\.txt|outside\/sub/.test(a.text)) leaks.push(`${method} ${p} ${JSON.stringify(body) ?? ''} → ${a.status} ${a.text.slice(0, 200)}`);
    assert.ok(a.status < 500 || /must not contain|must be relative|invalid|not|outside|symbolic/.test(a.text), `${method} ${p}: ${a.status} ${a.text.slice(0, 200)}`);
  }
  assert.deepEqual(leaks, []);

  // system/browse exists to pick a new folder's path anywhere on disk (as in Syncthing): it may
  // name directories, but never a file and never a byte of one.
  for (const current of [outside + '/', outside + '/sec', outside + '/secret.txt', outside + '/sub/']) {
    const a = await answer(s, 'GET', `/rest/system/browse?current=${q(current)}`);
    assert.equal(a.status, 200);
    const listed = JSON.parse(a.text) as string[];
    assert.ok(listed.every((p) => p.endsWith('/')), `${current}: ${a.text}`);
    assert.ok(!a.text.includes('secret') && !a.text.includes('inner.txt') && !a.text.includes(SECRET), `${current}: ${a.text}`);
  }

  // The ignores answer says why each include was refused.
  for (const f of ['../outside/secret.txt', 'link/secret.txt', 'filelink']) {
    const r = JSON.parse((await answer(s, 'POST', '/rest/db/ignores?folder=f', { ignore: [`#include ${f}`] })).text);
    assert.match(r.error, /outside the folder/, f);
    assert.deepEqual(r.expanded, []);
  }
  // Versions behind a symlinked store are neither listed nor restored.
  assert.equal(await fs.readFile(path.join(g, 'secret.txt'), 'utf8'), 'current');
  // The revert removed the local symlink itself, not what it points to.
  for (let i = 0; i < 100 && (await fs.lstat(path.join(ro, 'rlink')).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(fs.lstat(path.join(ro, 'rlink')), 'the receive-only addition (a symlink) was reverted');
  assert.deepEqual(await snapshot(outside), before, 'nothing outside was touched');
});

test('the GUI asset server and the base URL serve nothing outside the GUI directory', async (t) => {
  const { dir: gdir, cleanup } = await tempDir();
  t.after(cleanup);
  const assets = path.join(gdir, 'gui');
  await write(assets, 'index.html', '<!doctype html><title>ok</title>');
  const { outside, s, before, homeBefore } = await world(t, { guiAssets: assets, baseUrl: '/p/' });
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(assets, 'leak.txt'));
  await fs.symlink(outside, path.join(assets, 'leakdir'));
  const apiKey = /<apikey>([^<]+)<\/apikey>/.exec(homeBefore)![1]!;
  const paths = [
    '/p/leak.txt',
    '/p/leakdir/secret.txt',
    '/p/LEAK.TXT',
    '/p/../outside/secret.txt',
    '/p/%2e%2e/outside/secret.txt',
    '/p/..%2foutside%2fsecret.txt',
    '/p/%2e%2e%2f%2e%2e%2fhome%2fconfig.xml',
    '/p/..%5c..%5coutside%5csecret.txt',
    '/p/%c0%ae%c0%ae/outside/secret.txt',
    '/p/\uff0e\uff0e/outside/secret.txt',
    '/p//etc/passwd',
    `/p/${encodeURIComponent(path.join(outside, 'secret.txt'))}`,
    '/../outside/secret.txt',
    '/p/../../config.xml',
    '/p/%00/index.html',
  ];
  for (const p of paths) {
    const res = await fetch(`${s.base}${p.replace(/[\uff0e]/g, encodeURIComponent)}`, { redirect: 'manual' });
    const text = await res.text();
    assert.ok(!text.includes(SECRET) && !text.includes(apiKey), `${p} → ${res.status} leaked`);
    assert.ok([301, 307, 400, 403, 404].includes(res.status), `${p} → ${res.status}`);
  }
  assert.equal((await fetch(`${s.base}/p/`)).status, 200, 'the real page is still served');
  assert.deepEqual(await snapshot(outside), before);
});
