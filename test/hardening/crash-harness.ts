import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfigXml, serializeConfigXml } from '../../src/config/xml.js';
import { BIN } from '../support/run-bin.js';
import { generatedHome } from '../support/generated-home.js';
import { freePort } from '../support/syncthing-ref.js';
import { walkCounts } from '../support/folder-helpers.js';

/**
 * Crash safety: the real binary is killed with SIGKILL at random moments during a config save, an
 * ignores write, a version restore, a revert and a big scan, restarted, and checked: config.xml
 * parses and is the old or the new version; the index opens and, after a rescan, agrees with the
 * disk; no file in a folder was lost or truncated. Seeded; the seed is in every failure message.
 */

export interface CrashOptions {
  kills: number;
  seed: number;
  /** Files in the big tree the scan is killed in. */
  scanFiles: number;
  dir: string;
  log?: (s: string) => void;
}

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Service {
  private proc?: ChildProcess;
  constructor(
    readonly home: string,
    readonly port: number,
    readonly apiKey: string,
  ) {}

  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [BIN, 'serve', '--home', this.home, '--no-default-folder'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr!.on('data', (d) => (err += d));
    for (let i = 0; i < 400; i++) {
      if (this.proc.exitCode !== null) throw new Error(`the service did not start (exit ${this.proc.exitCode}): ${err.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${this.port}/rest/system/ping`, { headers: { 'X-API-Key': this.apiKey } }).then((r) => r.ok, () => false);
      if (ok) return;
      await sleep(25);
    }
    throw new Error(`the service did not answer: ${err.slice(-2000)}`);
  }

  req(p: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}${p}`, { ...init, headers: { 'X-API-Key': this.apiKey, ...(init.headers as Record<string, string>) } });
  }

  async json(p: string): Promise<any> {
    const r = await this.req(p);
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  /** Waits until every folder is idle (a start scans them all). */
  async idle(ids: string[]): Promise<void> {
    for (let i = 0; i < 2400; i++) {
      const states = await Promise.all(ids.map((id) => this.json(`/rest/db/status?folder=${id}`).then((s) => s.state as string)));
      if (states.every((s) => s === 'idle')) return;
      await sleep(50);
    }
    throw new Error('folders never became idle');
  }
}

async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (rel: string) => {
    for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await visit(r);
      else if (e.isFile()) out.set(r, sha(await fs.readFile(path.join(root, r))));
    }
  };
  await visit('');
  return out;
}

export interface CrashReport {
  kills: Record<string, number>;
}

export async function crashHarness(o: CrashOptions): Promise<CrashReport> {
  const log = o.log ?? (() => undefined);
  const rand = rng(o.seed);
  const home = path.join(o.dir, 'home');
  const port = await freePort();
  const apiKey = 'crash-harness-key-0123456789abcdef';
  const roots = { f: path.join(o.dir, 'f'), ro: path.join(o.dir, 'ro'), big: path.join(o.dir, 'big') };
  for (const r of Object.values(roots)) await fs.mkdir(r, { recursive: true });

  // The home: a generated config with our port and key, three folders.
  const quiet = { fsWatcherEnabled: false, rescanIntervalS: 0 };
  const simple = { type: 'simple', params: { keep: '1000' } };
  const configFile = await generatedHome(home, {
    port,
    apiKey,
    folders: [
      { id: 'f', path: roots.f, ...quiet, versioning: simple },
      { id: 'ro', path: roots.ro, ...quiet, type: 'receiveonly', versioning: simple },
      { id: 'big', path: roots.big, ...quiet },
    ],
  });

  // The big tree, made once: the scan is killed in it again and again.
  log(`crash: making ${o.scanFiles} files`);
  const perDir = 100;
  for (let d = 0; d * perDir < o.scanFiles; d++) {
    const dir = path.join(roots.big, `d${String(d).padStart(4, '0')}`);
    await fs.mkdir(dir, { recursive: true });
    const n = Math.min(perDir, o.scanFiles - d * perDir);
    await Promise.all(Array.from({ length: n }, (_, i) => fs.writeFile(path.join(dir, `f${i}.txt`), `file ${d}/${i}\n`)));
  }

  const s = new Service(home, port, apiKey);
  const kills = { 'config save': 0, 'ignores write': 0, 'version restore': 0, revert: 0, '100k-file scan': 0 };
  const fail = (what: string, i: number, msg: string) => new Error(`seed ${o.seed}, ${what} kill ${i}: ${msg}`);
  const killSoon = async (maxMs: number) => {
    await sleep(rand() * maxMs);
    await s.kill();
  };

  // 1. Config saves: options.maxSendKbps goes from i to i+1; the file is one or the other, whole.
  log('crash: config saves');
  for (let i = 0; i < o.kills; i++) {
    await s.start();
    const req = s.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ maxSendKbps: i + 1 }) }).catch(() => undefined);
    await killSoon(30);
    await req;
    let cfg;
    try {
      cfg = parseConfigXml(await fs.readFile(configFile, 'utf8')).cfg;
    } catch (err) {
      throw fail('config save', i, `config.xml does not parse: ${(err as Error).message}`);
    }
    const sendKbps = cfg.options.maxSendKbps as number;
    if (![i, i + 1].includes(sendKbps)) throw fail('config save', i, `maxSendKbps ${sendKbps}, want ${i} or ${i + 1}`);
    if (cfg.folders.length !== 3 || cfg.gui.apiKey !== apiKey) throw fail('config save', i, 'folders or the API key changed');
    if (sendKbps === i) {
      // The save did not land before the kill; the next round starts from i+1 all the same.
      const d2 = parseConfigXml(await fs.readFile(configFile, 'utf8'));
      d2.cfg.options.maxSendKbps = i + 1;
      await fs.writeFile(configFile, serializeConfigXml(d2));
    }
    kills['config save']++;
  }

  // 2. Ignores writes: .stignore is the old or the new text, whole; the folder's files are untouched.
  log('crash: ignores writes');
  await fs.writeFile(path.join(roots.f, 'doc.txt'), 'document v0\n');
  const fBefore = await snapshot(roots.f);
  let ignoreText = '';
  for (let i = 0; i < o.kills; i++) {
    await s.start();
    const lines = [`*.tmp${i}`, `// round ${i}`, 'build/'];
    const req = s.req('/rest/db/ignores?folder=f', { method: 'POST', body: JSON.stringify({ ignore: lines }) }).catch(() => undefined);
    await killSoon(40);
    await req;
    const now = await fs.readFile(path.join(roots.f, '.stignore'), 'utf8').catch(() => '');
    if (now !== ignoreText && now !== lines.join('\n') + '\n') throw fail('ignores write', i, `.stignore is neither old nor new: ${JSON.stringify(now)}`);
    ignoreText = now;
    const after = await snapshot(roots.f);
    for (const [p, h] of fBefore) if (after.get(p) !== h) throw fail('ignores write', i, `${p} changed or disappeared`);
    kills['ignores write']++;
  }

  // 3. Version restores: doc.txt is the current or the restored text, and whichever is not in
  //    place is still in .stversions — never lost, never truncated.
  log('crash: version restores');
  for (let i = 0; i < o.kills; i++) {
    const current = `current text ${i}\n`;
    const old = `version text ${i}\n`;
    const day = 1 + (i % 9);
    const hour = 10 + (i % 10);
    const tag = `2024010${day}-${hour}0000`;
    const tagMs = new Date(2024, 0, day, hour, 0, 0).getTime();
    await fs.writeFile(path.join(roots.f, 'doc.txt'), current);
    await fs.mkdir(path.join(roots.f, '.stversions'), { recursive: true });
    await fs.writeFile(path.join(roots.f, '.stversions', `doc~${tag}.txt`), old);
    await s.start();
    const versions = await s.json('/rest/folder/versions?folder=f');
    const v = (versions['doc.txt'] as { versionTime: string; size: number }[]).find((x) => Date.parse(x.versionTime) === tagMs);
    if (!v) throw fail('version restore', i, `the version is not listed: ${JSON.stringify(versions['doc.txt'])}`);
    const req = s.req('/rest/folder/versions?folder=f', { method: 'POST', body: JSON.stringify({ 'doc.txt': v.versionTime }) }).catch(() => undefined);
    await killSoon(25);
    await req;
    const inPlace = await fs.readFile(path.join(roots.f, 'doc.txt'), 'utf8').catch(() => undefined);
    const stored = new Set<string>();
    for (const name of await fs.readdir(path.join(roots.f, '.stversions'))) stored.add(await fs.readFile(path.join(roots.f, '.stversions', name), 'utf8'));
    // Left mid-way: the version moved next to its target under a temporary name.
    for (const name of await fs.readdir(roots.f)) if (name.startsWith('.syncthing.')) stored.add(await fs.readFile(path.join(roots.f, name), 'utf8'));
    if (inPlace !== current && inPlace !== old) throw fail('version restore', i, `doc.txt is ${JSON.stringify(inPlace)}`);
    const other = inPlace === current ? old : current;
    if (!stored.has(other)) throw fail('version restore', i, `${JSON.stringify(other)} was lost`);
    kills['version restore']++;
  }

  // 4. Reverts in a receive-only folder with a versioner: every local file is in the folder or in
  //    .stversions, whole.
  log('crash: reverts');
  for (let i = 0; i < o.kills; i++) {
    const made = new Map<string, string>();
    for (let k = 0; k < 60; k++) {
      const name = `r${i}-${k}.txt`;
      made.set(name, `local ${i} ${k} ${'x'.repeat(k * 10)}\n`);
      await fs.writeFile(path.join(roots.ro, name), made.get(name)!);
    }
    await s.start();
    await s.idle(['ro']);
    const req = s.req('/rest/db/revert?folder=ro', { method: 'POST' }).catch(() => undefined);
    await killSoon(150);
    await req;
    const stored = new Map<string, string>();
    const versions = path.join(roots.ro, '.stversions');
    for (const name of await fs.readdir(versions).catch(() => [] as string[])) stored.set(name, await fs.readFile(path.join(versions, name), 'utf8'));
    for (const [name, text] of made) {
      const here = await fs.readFile(path.join(roots.ro, name), 'utf8').catch(() => undefined);
      if (here === text) continue;
      if (here !== undefined) throw fail('revert', i, `${name} was truncated or changed`);
      const base = name.replace(/\.txt$/, '');
      if (![...stored].some(([n, t]) => n.startsWith(`${base}~`) && t === text)) throw fail('revert', i, `${name} is neither in the folder nor in .stversions`);
    }
    // Start the next round clean.
    for (const name of await fs.readdir(roots.ro)) if (name !== '.stfolder') await fs.rm(path.join(roots.ro, name), { recursive: true, force: true });
    kills.revert++;
  }

  // 5. The big scan, killed at random points; the index must open every time.
  log('crash: scans');
  for (let i = 0; i < o.kills; i++) {
    await s.start();
    await killSoon(2500);
    kills['100k-file scan']++;
  }

  // Finally: a clean start, every folder scanned, and the index agrees with the disk.
  await s.start();
  try {
    for (const id of ['f', 'ro', 'big']) await s.req(`/rest/db/scan?folder=${id}`, { method: 'POST' });
    await s.idle(['f', 'ro', 'big']);
    for (const [id, root] of Object.entries(roots)) {
      const st = await s.json(`/rest/db/status?folder=${id}`);
      const disk = await walkCounts(root);
      assert.deepEqual(
        { files: st.localFiles, dirs: st.localDirectories, bytes: st.localBytes },
        { files: disk.files, dirs: disk.directories, bytes: disk.bytes },
        `seed ${o.seed}: folder ${id}: the index disagrees with the disk after the kills`,
      );
    }
    // No rows for files that do not exist: every file the index lists is on disk.
    const tree = (await s.json('/rest/db/browse?folder=big&levels=1')) as { name: string; children?: { name: string }[] }[];
    let listed = 0;
    for (const d of tree) {
      for (const f of d.children ?? []) {
        listed++;
        await fs.access(path.join(roots.big, d.name, f.name)).catch(() => {
          throw new Error(`seed ${o.seed}: the index lists big/${d.name}/${f.name}, which does not exist`);
        });
      }
    }
    assert.equal(listed, o.scanFiles);
  } finally {
    await s.kill();
  }
  return { kills };
}
