import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './support/temp-dir.js';
import { projectRoot } from './support/test-server.js';
import { walkCounts } from './support/folder-helpers.js';

/** Tests that need the service in its own process: killed hard, or running as another user. */

const BIN = path.join(projectRoot, 'dist', 'main.js');

async function serve(home: string, opts: { uid?: number; gid?: number; wrap?: string[] } = {}): Promise<{ p: ChildProcess; base: string; key: string }> {
  const { wrap = [], ...ids } = opts;
  const argv = [...wrap, process.execPath, BIN, 'serve', '--home', home, '--gui-address', '127.0.0.1:0', '--no-default-folder'];
  const p = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, HOME: home },
    ...ids,
  });
  let out = '';
  let err = '';
  p.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d) => {
      out += d;
      if (/API key: +\S+\n/.test(out)) resolve();
    });
    p.on('close', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { p, base: /GUI & API: (\S+)/.exec(out)![1]!.replace(/\/$/, ''), key: /API key: +(\S+)/.exec(out)![1]! };
}

const api = (base: string, key: string) => async (p: string, init: RequestInit = {}) => {
  const res = await fetch(base + p, { ...init, headers: { 'X-API-Key': key } });
  return { status: res.status, body: await res.text() };
};

const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

test('kill -9 in the middle of a scan leaves an index that opens, and the next scan completes', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = path.join(dir, 'data');
  for (let d = 0; d < 40; d++) {
    await fs.mkdir(path.join(root, `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 250 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `f${i}.txt`), `file ${d}/${i}\n`.repeat(i % 7))));
  }
  const home = path.join(dir, 'home');
  let s = await serve(home);
  let call = api(s.base, s.key);
  await call('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'big', path: root, fsWatcherEnabled: false }) });
  // Kill once some batches are in, before the scan is done.
  for (let i = 0; i < 500; i++) {
    const st = JSON.parse((await call('/rest/db/status?folder=big')).body);
    if (st.sequence > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  s.p.kill('SIGKILL');
  await exited(s.p);

  s = await serve(home);
  call = api(s.base, s.key);
  const scan = await call('/rest/db/scan?folder=big', { method: 'POST' });
  assert.equal(scan.status, 200, scan.body);
  const st = JSON.parse((await call('/rest/db/status?folder=big')).body);
  const disk = await walkCounts(root);
  assert.deepEqual({ files: st.localFiles, directories: st.localDirectories, symlinks: st.localSymlinks, bytes: st.localBytes }, disk);
  assert.equal(st.state, 'idle');
  s.p.kill('SIGTERM');
  await exited(s.p);
});

test('a corrupt index at start: a clear error naming the file, exit ≠ 0, the file untouched', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'home');
  const s = await serve(home);
  s.p.kill('SIGTERM');
  await exited(s.p);
  const db = path.join(home, 'index-v1', 'index.db');
  const garbage = Buffer.alloc(8192, 'garbage!');
  await fs.rm(db + '-wal', { force: true });
  await fs.rm(db + '-shm', { force: true });
  await fs.writeFile(db, garbage);
  const p = spawn(process.execPath, [BIN, 'serve', '--home', home, '--gui-address', '127.0.0.1:0'], { env: { ...process.env, HOME: home } });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.notEqual(code, 0);
  assert.ok(err.includes(db), err);
  assert.match(err, /not a database/);
  assert.deepEqual(await fs.readFile(db), garbage);
});

const root = process.getuid?.() === 0;

test('unreadable files and directories go to the folder\'s error list; the scan goes on', { skip: root ? false : 'needs root to start the service as an unprivileged user' }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  // Everything belongs to root; the service runs as nobody, so mode 000 really is unreadable to it.
  await fs.chmod(dir, 0o755);
  const home = path.join(dir, 'home');
  const data = path.join(dir, 'data');
  await fs.mkdir(home, { mode: 0o777 });
  await fs.chmod(home, 0o777);
  await fs.mkdir(path.join(data, 'closed'), { recursive: true });
  await fs.mkdir(path.join(data, '.stfolder'));
  await fs.writeFile(path.join(data, 'open.txt'), 'readable');
  await fs.writeFile(path.join(data, 'secret.txt'), 'unreadable');
  await fs.writeFile(path.join(data, 'closed', 'inner.txt'), 'x');
  await fs.chmod(path.join(data, 'secret.txt'), 0o000);
  await fs.chmod(path.join(data, 'closed'), 0o000);
  await fs.chmod(data, 0o777);
  const s = await serve(home, { uid: 65534, gid: 65534 });
  t.after(async () => {
    s.p.kill('SIGTERM');
    await exited(s.p);
  });
  const call = api(s.base, s.key);
  await call('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'u', path: data, fsWatcherEnabled: false }) });
  const scan = await call('/rest/db/scan?folder=u', { method: 'POST' });
  assert.equal(scan.status, 200, scan.body);
  const errors = JSON.parse((await call('/rest/folder/errors?folder=u')).body).errors as { path: string; error: string }[];
  assert.deepEqual(errors.map((e) => e.path), ['closed', 'secret.txt']);
  assert.match(errors[1]!.error, /^hashing: .*permission denied/i);
  assert.match(errors[0]!.error, /^scan: .*permission denied/i);
  const st = JSON.parse((await call('/rest/db/status?folder=u')).body);
  assert.equal(st.errors, 2);
  assert.equal(st.state, 'idle');
  assert.equal(JSON.parse((await call('/rest/db/file?folder=u&file=open.txt')).body).local.size, 8);
});

// A user namespace has its own inotify limits, so one can be made tiny without touching the machine's.
const tinyInotify = ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 16 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"'];
const canLimitInotify = spawnSync(tinyInotify[0]!, [...tinyInotify.slice(1), 'true']).status === 0;

test('a folder on which watching cannot start says which limit was hit, and is scanned all the same', { skip: canLimitInotify ? false : 'needs unprivileged user namespaces' }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const root = path.join(dir, 'data');
  for (let d = 0; d < 40; d++) {
    await fs.mkdir(path.join(root, `d${d}`), { recursive: true });
    await fs.writeFile(path.join(root, `d${d}`, 'f.txt'), `${d}`);
  }
  const s = await serve(path.join(dir, 'home'), { wrap: tinyInotify });
  t.after(() => s.p.kill('SIGKILL'));
  const call = api(s.base, s.key);
  await call('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'w', path: root, fsWatcherEnabled: true }) });
  let st: any;
  for (let i = 0; i < 200; i++) {
    st = JSON.parse((await call('/rest/db/status?folder=w')).body);
    if (st.watchError && st.state === 'idle' && st.localFiles === 40) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(st.watchError, /max_user_watches/);
  assert.match(st.watchError, /docs\.syncthing\.net\/users\/faq\.html#inotify-limits/);
  assert.equal(st.localFiles, 40);
  const evs = JSON.parse((await call('/rest/events?since=0&timeout=0')).body).filter((e: any) => e.type === 'FolderWatchStateChanged');
  assert.deepEqual(evs.map((e: any) => e.data), [{ folder: 'w', to: st.watchError }]);
  // The service stays up and keeps answering.
  assert.equal((await call('/rest/system/ping')).status, 200);
});

const rssMiB = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('10,000 event streams that read nothing: the server stays responsive and its memory bounded', async (t) => {
  // npm test raises the soft limit to the hard one; below this the test cannot hold its sockets.
  const limit = Number(/Max open files\s+(\d+)/.exec(await fs.readFile('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
  assert.ok(limit >= 10_500, `this test holds 10,000 sockets; the open-file limit is ${limit} (ulimit -n 10500 or more)`);
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = await serve(path.join(dir, 'home'));
  t.after(async () => {
    s.p.kill('SIGTERM');
    await exited(s.p);
  });
  const call = api(s.base, s.key);
  const u = new URL(s.base);
  const before = await rssMiB(s.p.pid!);
  const socks: net.Socket[] = [];
  t.after(() => socks.forEach((k) => k.destroy()));
  let open = 0;
  for (let i = 0; i < 10_000; i++) {
    const sock = net.connect(Number(u.port), u.hostname);
    sock.write(`GET /rest/events/stream?since=0 HTTP/1.1\r\nHost: ${u.host}\r\nX-API-Key: ${s.key}\r\n\r\n`);
    sock.once('data', () => {
      open++;
      sock.pause(); // and never read again
    });
    sock.on('error', () => {});
    socks.push(sock);
    if (i % 500 === 499) while (open < i - 1000) await new Promise((r) => setTimeout(r, 5));
  }
  while (open < 10_000) await new Promise((r) => setTimeout(r, 10));
  // Events keep coming (each ConfigSaved carries the whole config) while nobody reads.
  let slowest = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = Date.now();
    assert.equal((await call('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ urSeen: i }) })).status, 200);
    assert.equal((await call('/rest/system/ping')).status, 200);
    slowest = Math.max(slowest, Date.now() - t0);
  }
  const during = await rssMiB(s.p.pid!);
  t.diagnostic(`slowest change+ping ${slowest} ms; RSS ${Math.round(before)} → ${Math.round(during)} MiB`);
  assert.ok(slowest < 5_000, `a config change and a ping took at most ${slowest} ms with 10,000 stalled streams`);
  assert.ok(during - before < 400, `RSS grew by ${Math.round(during - before)} MiB for 10,000 streams`);
  socks.forEach((k) => k.destroy());
  // A new reader still gets its events.
  const res = await fetch(`${s.base}/rest/events/stream?events=ConfigSaved`, { headers: { 'X-API-Key': s.key } });
  const reader = res.body!.getReader();
  await reader.read();
  await call('/rest/config/options', { method: 'PATCH', body: '{"urSeen": 99}' });
  let text = '';
  while (!text.includes('event: ConfigSaved')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
});
