import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfigXml, serializeConfigXml } from '../src/config/xml.js';
import { tempDir } from './support/temp-dir.js';
import { BIN, runBin } from './support/run-bin.js';
import { freePort } from './support/syncthing-ref.js';

/**
 * `synchro cli` against a service with gui.tls on: it dials https://127.0.0.1, where the
 * self-signed certificate (named for the host, not the address) is trusted because it is the
 * home's own. Without that file nothing vouches for it, and the CLI says so.
 */
test('cli over https: the home certificate is trusted by fingerprint; without it the certificate is refused, exit 2', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'home');
  assert.equal((await runBin(['generate', '--home', home, '--no-default-folder'], { HOME: dir })).code, 0);
  const file = path.join(home, 'config.xml');
  const doc = parseConfigXml(await fs.readFile(file, 'utf8'));
  const port = await freePort();
  doc.cfg.gui.address = `127.0.0.1:${port}`;
  doc.cfg.gui.useTLS = true;
  await fs.writeFile(file, serializeConfigXml(doc));
  const server = spawn(process.execPath, [BIN, 'serve', '--home', home], { env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => new Promise((r) => (server.exitCode !== null ? r(undefined) : (server.once('close', r), server.kill('SIGTERM')))));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d) => ((out += d), /API key: +\S+\n/.test(out) && resolve()));
    server.once('close', () => reject(new Error(`serve exited early: ${out}`)));
  });

  const ok = await runBin(['cli', '--home', home, 'GET', 'system/status']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).guiAddressUsed, `127.0.0.1:${port}`);
  // A write goes the same way, body and all.
  const put = await runBin(['cli', '--home', home, 'PATCH', 'config/options', '--json', '{"maxRecvKbps":7}']);
  assert.equal(put.code, 0, put.stderr);
  assert.equal(JSON.parse((await runBin(['cli', '--home', home, 'GET', 'config/options'])).stdout).maxRecvKbps, 7);

  // The same config without the certificate file: only the system's CAs are trusted.
  const bare = path.join(dir, 'bare');
  await fs.mkdir(bare);
  await fs.copyFile(file, path.join(bare, 'config.xml'));
  const refused = await runBin(['cli', '--home', bare, 'GET', 'system/status']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /https:\/\/127\.0\.0\.1:\d+ presented a certificate that is not trusted \(\w+\)/);
  assert.equal(refused.stdout, '');

  // Another service's certificate in the home is not this one: also refused.
  const other = path.join(dir, 'other');
  await fs.mkdir(other);
  await fs.copyFile(file, path.join(other, 'config.xml'));
  await fs.copyFile(path.join(home, 'cert.pem'), path.join(other, 'https-cert.pem'));
  const wrong = await runBin(['cli', '--home', other, 'GET', 'system/status']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /not trusted/);
});
