import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { App } from '../../src/app.js';
import { projectRoot, startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';

/** The bundled GUI ships whole and small; --gui-assets serves another directory in its place with the same /meta.js, cookie and /rest. */

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

test('the bundled GUI is under 300 KB gzipped and loads nothing from another origin', async () => {
  let total = 0;
  for (const f of await files(path.join(projectRoot, 'gui'))) {
    const body = await fs.readFile(f);
    total += gzipSync(body).length;
    if (/\.(html|js|css)$/.test(f)) assert.doesNotMatch(body.toString(), /(src|href)=["']?(https?:)?\/\/|import\s.*from\s+['"]https?:|url\(\s*['"]?https?:/, `${f} loads from another origin`);
  }
  assert.ok(total < 300 * 1024, `${total} bytes gzipped`);
});

test('--gui-assets serves another directory; /meta.js, the CSRF cookie and /rest work the same', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const assets = path.join(dir, 'my-gui');
  await fs.mkdir(assets);
  await fs.writeFile(path.join(assets, 'index.html'), '<!doctype html><title>mine</title><script src="meta.js"></script>');
  const s = await startServer({ guiAssets: assets });
  t.after(() => s.stop());
  const page = await s.req('/', { key: false });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>mine<\/title>/);
  assert.ok(page.headers.getSetCookie().some((c) => c.startsWith('CSRF-Token-')));
  assert.equal((await s.req('/assets/main.js', { key: false })).status, 404, 'the bundled GUI is not mixed in');
  const meta = await s.req('/meta.js', { key: false });
  assert.match(await meta.text(), new RegExp(s.app.myId));
  assert.equal((await s.req('/rest/system/ping')).status, 200);
  assert.equal((await s.json('/rest/system/paths')).guiAssets, assets);

  await assert.rejects(
    App.start({ home: path.join(dir, 'h'), projectRoot, guiAddress: '127.0.0.1:0', noDefaultFolder: true, logSink: () => undefined, guiAssets: path.join(dir, 'nope') }),
    /GUI assets .*nope: not a directory/,
  );
});

test('a Syncthing GUI tree (one directory per theme): /themes.json, the current theme with default as fallback, /theme-assets/<theme>/', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const assets = path.join(dir, 'st-gui');
  const put = async (rel: string, body: string) => {
    await fs.mkdir(path.dirname(path.join(assets, rel)), { recursive: true });
    await fs.writeFile(path.join(assets, rel), body);
  };
  await put('default/index.html', '<!doctype html><title>official</title>');
  await put('default/assets/css/theme.css', 'body{color:black}');
  await put('default/syncthing/app.js', 'app');
  await put('dark/assets/css/theme.css', 'body{color:white}');
  await put('black/assets/css/theme.css', 'body{background:black}');
  const s = await startServer({ guiAssets: assets });
  t.after(() => s.stop());

  const themes = await s.req('/themes.json');
  assert.equal(themes.status, 200);
  assert.match(themes.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await themes.json(), { themes: ['default', 'black', 'dark'] });
  const text = async (p: string) => {
    const r = await s.req(p);
    return [r.status, await r.text()];
  };
  assert.deepEqual(await text('/'), [200, '<!doctype html><title>official</title>']);
  assert.deepEqual(await text('/assets/css/theme.css'), [200, 'body{color:black}'], 'theme "default"');
  const before = (await s.req('/assets/css/theme.css')).headers.get('etag');

  assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: '{"theme": "dark"}' })).status, 200);
  const dark = await s.req('/assets/css/theme.css', { headers: { 'If-None-Match': before ?? '' } });
  assert.equal(dark.status, 200, 'a theme change is not answered 304 with the old validator');
  assert.equal(await dark.text(), 'body{color:white}');
  assert.deepEqual(await text('/syncthing/app.js'), [200, 'app'], 'missing from the theme: from default');
  assert.deepEqual(await text('/theme-assets/black/assets/css/theme.css'), [200, 'body{background:black}']);
  assert.deepEqual(await text('/theme-assets/default/assets/css/theme.css'), [200, 'body{color:black}']);
  assert.deepEqual(await text('/theme-assets/black/syncthing/app.js'), [200, 'app'], 'theme-assets fall back to default too');
  for (const bad of ['/theme-assets/', '/theme-assets/dark', '/theme-assets/../../etc/passwd', '/theme-assets/dark/../../../etc/passwd']) {
    assert.equal((await s.req(bad)).status, 404, bad);
  }
});

test('the bundled GUI has one theme', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  assert.deepEqual(await s.json('/themes.json'), { themes: ['default'] });
});
