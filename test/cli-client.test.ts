import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfigXml, serializeConfigXml } from '../src/config/xml.js';
import { ProgressView } from '../src/cli/progress.js';
import { tempDir } from './support/temp-dir.js';
import { BIN, runBin } from './support/run-bin.js';
import { freePort } from './support/syncthing-ref.js';

/**
 * `synchro cli` through the real binary against a real `synchro serve`, which finds its address
 * and key the way a user's would: in the home's config.xml.
 */

const run = runBin;

let dir: string;
let home: string;
let server: ChildProcess;
let cleanup: () => Promise<void>;
const cli = (...args: string[]) => run(['cli', '--home', home, ...args]);

before(async () => {
  ({ dir, cleanup } = await tempDir());
  home = path.join(dir, 'home');
  const gen = await run(['generate', '--home', home, '--no-default-folder'], { HOME: dir });
  assert.equal(gen.code, 0, gen.stderr);
  const file = path.join(home, 'config.xml');
  const doc = parseConfigXml(await fs.readFile(file, 'utf8'));
  doc.cfg.gui.address = `127.0.0.1:${await freePort()}`;
  await fs.writeFile(file, serializeConfigXml(doc));
  server = spawn(process.execPath, [BIN, 'serve', '--home', home], { env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (d) => {
      out += d;
      if (/API key: +\S+\n/.test(out)) resolve();
    });
    server.on('close', () => reject(new Error('serve exited early')));
  });
  await fs.mkdir(path.join(dir, 'f'));
  for (let i = 0; i < 20; i++) await fs.writeFile(path.join(dir, 'f', `file${i}.bin`), Buffer.alloc(50_000, i));
});

after(async () => {
  server?.kill('SIGTERM');
  await new Promise((r) => server?.once('close', r));
  await cleanup?.();
});

test('GET with the address and key from config.xml: pretty JSON on stdout, exit 0; capitals or not', async () => {
  for (const m of ['GET', 'get']) {
    const r = await cli(m, 'system/status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{\n {2}"alloc"/);
    assert.match(JSON.parse(r.stdout).myID, /^[A-Z0-9]{7}-/);
  }
  const withRest = await cli('GET', '/rest/system/version');
  assert.equal(JSON.parse(withRest.stdout).codename !== undefined, true);
});

test('POST, PATCH and key=value parameters; --wait on a scan prints plain progress lines when not on a terminal', async () => {
  const add = await cli('POST', 'config/folders', '--json', JSON.stringify({ id: 'f', path: path.join(dir, 'f'), fsWatcherEnabled: false }));
  assert.deepEqual([add.code, add.stdout], [0, '']);
  const scan = await cli('POST', 'db/scan', 'folder=f', '--wait');
  assert.equal(scan.code, 0, scan.stderr);
  assert.match(scan.stderr, /^db\/scan f: done in \d+\.\d s$/m);
  assert.doesNotMatch(scan.stderr, /\r/);
  const st = JSON.parse((await cli('GET', 'db/status', 'folder=f')).stdout);
  assert.equal(st.localFiles, 20);
  const patch = await cli('PATCH', 'config/folders/f', '--json', '{"label":"Files"}');
  assert.deepEqual([patch.code, patch.stdout], [0, '']);
  assert.equal(JSON.parse((await cli('GET', 'config/folders/f')).stdout).label, 'Files');
  // A failed job is a failed command.
  const failed = await cli('POST', 'db/scan', 'folder=nope', '--wait');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /failed: no such folder/);
});

test('set: read-modify-write with If-Match; two concurrent writers of different fields both land', async () => {
  const [a, b] = await Promise.all([cli('set', 'config/folders/f', 'rescanIntervalS=120'), cli('set', 'config/folders/f', 'label=Docs', 'versioning.type=trashcan')]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const f = JSON.parse((await cli('GET', 'config/folders/f')).stdout);
  assert.deepEqual([f.rescanIntervalS, f.label, f.versioning.type], [120, 'Docs', 'trashcan']);
  const bad = await cli('set', 'config/folders/f', 'noSuchField=1');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /noSuchField: no such field/);
});

test('events: follows the stream, one JSON line per event, filtered by --types', async () => {
  const p = spawn(process.execPath, [BIN, 'cli', '--home', home, 'events', '--types', 'ConfigSaved,StateChanged']);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  // A custom event mask sees events from its first poll on: give the follower a moment to start.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await cli('PATCH', 'config/options', '--json', '{"maxFolderConcurrency": 5}')).code, 0);
  const end = Date.now() + 10_000;
  while (!out.includes('"type":"ConfigSaved"') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  p.kill('SIGTERM');
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((e) => e.type === 'ConfigSaved' && e.data.options.maxFolderConcurrency === 5));
  assert.ok(lines.every((e) => ['ConfigSaved', 'StateChanged'].includes(e.type) && Number.isInteger(e.id)));
  // --since 0 on the default stream replays what it holds.
  const q = spawn(process.execPath, [BIN, 'cli', '--home', home, 'events', '--since', '0']);
  let first = '';
  q.stdout.on('data', (d) => (first += d));
  while (!first.includes('\n') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  q.kill('SIGTERM');
  assert.equal(JSON.parse(first.split('\n')[0]!).type, 'Starting');
});

test('errors: an error answer is exit 1 with the server text; no config.xml and a server that is down are exit 2', async () => {
  const notFound = await cli('GET', 'db/status', 'folder=nope');
  assert.equal(notFound.code, 1);
  assert.match(notFound.stderr, /^synchro cli: GET db\/status: 404: no such folder/m);
  assert.equal(notFound.stdout, '');

  const noConfig = await run(['cli', '--home', path.join(dir, 'nowhere'), 'GET', 'system/status']);
  assert.equal(noConfig.code, 2);
  assert.match(noConfig.stderr, new RegExp(`no config.xml at ${path.join(dir, 'nowhere', 'config.xml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));

  const port = await freePort();
  const down = await run(['cli', '--url', `http://127.0.0.1:${port}`, '--api-key', 'k', 'GET', 'system/status']);
  assert.equal(down.code, 2);
  assert.match(down.stderr, new RegExp(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`));

  // The environment names the server and key when there is no config.xml; a wrong key is the server's 403.
  const url = `http://${JSON.parse((await cli('GET', 'system/status')).stdout).guiAddressUsed}`;
  const env = await run(['cli', 'GET', 'system/ping'], { SYNCHRO_URL: url, SYNCHRO_API_KEY: 'wrong', XDG_STATE_HOME: path.join(dir, 'empty') });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /GET system\/ping: 403/);

  for (const args of [['GET', 'system/status', 'novalue'], ['POST', 'config/folders', '--json', '{oops'], ['POST', 'system/ping', '--wait'], ['events', '--since', 'x']]) {
    const r = await cli(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.ok(r.stderr.length > 0);
  }
});

test('--help on every subcommand', async () => {
  for (const sub of [[], ['get'], ['post'], ['put'], ['patch'], ['delete'], ['events'], ['set']]) {
    const r = await run(['cli', ...sub, '--help']);
    assert.equal(r.code, 0, sub.join(' '));
    assert.match(r.stdout, /^Usage: synchro cli/);
  }
});

test('the progress view: a redrawn bar on a terminal, plain lines otherwise', () => {
  const tty: string[] = [];
  const v = new ProgressView({ isTTY: true, write: (s) => tty.push(s) }, 'db/scan f');
  v.update(0, 4 << 20, 'scanning');
  v.update(2 << 20, 4 << 20, 'scanning');
  v.update(2 << 20, 4 << 20, 'scanning');
  v.done('done in 1.0 s');
  assert.equal(tty.length, 3, 'an unchanged bar is not redrawn');
  assert.match(tty[1]!, /^\rdb\/scan f {2}scanning {5}\[#{15}-{15}\] {2}50% {2}2\.0\/4\.0 MiB/);
  assert.equal(tty[2], '\r\x1b[Kdb/scan f: done in 1.0 s\n');

  const plain: string[] = [];
  const p = new ProgressView({ isTTY: false, write: (s) => plain.push(s) }, 'db/scan f');
  for (let i = 0; i <= 100; i += 5) p.update(i, 100, 'scanning');
  p.done('done in 2.0 s');
  assert.ok(plain.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.equal(plain.length, 12);
});
