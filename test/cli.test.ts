import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './support/temp-dir.js';
import { BIN, runBin } from './support/run-bin.js';
import { parseConfigXml } from '../src/config/xml.js';

const run = runBin;

/** Starts `synchro serve`, waits for its start-up message, and hands back the URL and key. */
async function serve(args: string[], env: Record<string, string>) {
  const p = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => p.on('close', r));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      if (/API key: +\S+\n/.test(out)) resolve();
    });
    p.on('close', () => reject(new Error(`exited early: ${err}`)));
  });
  const url = /GUI & API: (\S+)/.exec(out)![1]!.replace(/\/$/, '');
  const key = /API key: +(\S+)/.exec(out)![1]!;
  return { p, url, key, out, exited, stderr: () => err };
}

test('serve on a default home: creates identity and config, prints URL and key, stops on SIGTERM', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const env = { XDG_STATE_HOME: dir, HOME: path.join(dir, 'user') };
  const s = await serve(['--gui-address', '127.0.0.1:0'], env);
  const home = path.join(dir, 'synchro');
  for (const f of ['cert.pem', 'key.pem', 'config.xml']) await fs.access(path.join(home, f));
  const { cfg } = parseConfigXml(await fs.readFile(path.join(home, 'config.xml'), 'utf8'));
  assert.equal(cfg.gui.apiKey, s.key);
  assert.match(s.key, /^[2345679abcdefghijkmnopqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ]{32}$/);
  assert.deepEqual(cfg.folders.map((f) => [f.id, f.path]), [['default', path.join(dir, 'user', 'Sync')]], 'the default folder at ~/Sync');
  await fs.access(path.join(dir, 'user', 'Sync'));
  const st = (await (await fetch(`${s.url}/rest/system/status`, { headers: { 'X-API-Key': s.key } })).json()) as { myID: string; guiAddressOverridden: boolean };
  assert.match(s.out, new RegExp(`Device ID: ${st.myID}`));
  assert.equal(st.guiAddressOverridden, true);
  s.p.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('STGUIADDRESS and STGUIAPIKEY act like the flags; --no-default-folder', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = await serve(['--home', path.join(dir, 'h'), '--no-default-folder'], { STGUIADDRESS: '127.0.0.1:0', STGUIAPIKEY: 'extra-key-123', HOME: dir });
  const res = await fetch(`${s.url}/rest/config/folders`, { headers: { 'X-API-Key': 'extra-key-123' } });
  assert.equal(res.status, 200, 'the env key is a second valid key');
  assert.deepEqual(await res.json(), []);
  s.p.kill('SIGINT');
  assert.equal(await s.exited, 0);
});

test('generate: identity, config and GUI credentials without prompts; idempotent', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'g');
  let r = await run(['generate', '--home', home, '--gui-user', 'admin', '--gui-password', 'pw', '--no-default-folder']);
  assert.equal(r.code, 0, r.stderr);
  const id = /Device ID: (\S+)/.exec(r.stdout)![1];
  const { cfg } = parseConfigXml(await fs.readFile(path.join(home, 'config.xml'), 'utf8'));
  assert.equal(cfg.gui.user, 'admin');
  assert.match(cfg.gui.password, /^\$2[aby]\$10\$/);
  assert.deepEqual(cfg.folders, []);
  r = await run(['generate', '--home', home]);
  assert.equal(r.code, 0);
  assert.equal(/Device ID: (\S+)/.exec(r.stdout)![1], id, 'the identity is kept');
  assert.equal(parseConfigXml(await fs.readFile(path.join(home, 'config.xml'), 'utf8')).cfg.gui.user, 'admin');
  r = await run(['generate', '--home', home, '--gui-user', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--gui-user needs --gui-password/);
});

test('a config.xml that does not parse: clear message with the line, exit ≠ 0, file untouched', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'bad');
  await fs.mkdir(home);
  const broken = '<configuration version="36">\n  <gui>\n    <address>127.0.0.1:0</address>\n</configuration>\n';
  await fs.writeFile(path.join(home, 'config.xml'), broken);
  const r = await run(['serve', '--home', home]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /config\.xml: line \d+/);
  assert.equal(await fs.readFile(path.join(home, 'config.xml'), 'utf8'), broken);
});

test('an unusable home and unknown commands fail with a clear message', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  await fs.writeFile(path.join(dir, 'afile'), '');
  let r = await run(['serve', '--home', path.join(dir, 'afile', 'home')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /home directory .* is not usable/);
  r = await run(['frobnicate']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  r = await run(['serve', '--bogus-flag']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown option '--bogus-flag'/, 'the error names the option');
  r = await run(['serve', '--home']);
  assert.match(r.stderr, /option '--home <dir>' argument missing/);
  r = await run(['generate', '--gui-user']);
  assert.match(r.stderr, /option '--gui-user <user>' argument missing/);
  // One parser for every subcommand: --help works on each, and lists its options.
  for (const [sub, option] of [['serve', '--gui-address'], ['generate', '--gui-password'], ['cli', '--api-key']] as const) {
    r = await run([sub, '--help']);
    assert.equal(r.code, 0, `${sub} --help`);
    assert.match(r.stdout, new RegExp(`^Usage: synchro ${sub}`), sub);
    assert.match(r.stdout, new RegExp(option), sub);
  }
  r = await run(['--version']);
  assert.deepEqual([r.code, /^synchro \d+\.\d+\.\d+ \(Syncthing REST API v[\d.]+\)\n$/.test(r.stdout)], [0, true]);
  for (const bad of ['0', '-1', 'lots', '1e3']) {
    r = await run(['serve', '--home', path.join(dir, 'h'), `--event-masks=${bad}`]);
    assert.notEqual(r.code, 0, bad);
    assert.match(r.stderr, /--event-masks .*want a whole number from 1 to 999999/);
  }
  r = await run(['serve', '--home', path.join(dir, 'h')], { SYNCHRO_EVENT_MASKS: 'x' });
  assert.match(r.stderr, /--event-masks "x"/);
  r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /synchro serve/);
});
