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
