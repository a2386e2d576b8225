import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BIN } from '../support/run-bin.js';
import { freePort, startReference, type Reference } from '../support/syncthing-ref.js';

/**
 * The sync soak (issue 27, test 9): Synchro, as its own process, and a Syncthing 1.19.2 share a
 * send-receive folder; random creations, edits, renames and deletes land on both sides for the
 * whole run, and Synchro is restarted every so often, by SIGKILL and by SIGTERM in turn. At the
 * end both trees must be equal, and no content may be lost: each content the run wrote is either
 * in a file on one side, in a conflict copy, or in a versioner's keep, unless the run itself threw
 * it away (it overwrote or deleted a file that held it, as a user would).
 *
 * Every content is a unique token plus padding of random length, so a version can be told apart
 * from any other. One operation in five is followed at once by a write to the same file on a
 * random side, which on the other side is a concurrent edit: conflicts are part of the run.
 */

export interface SyncSoakOptions {
  durationS: number;
  restarts: number;
  dir: string;
  /** Operations per second, over both sides. */
  opsPerS?: number;
  log?: (m: string) => void;
}

export interface SyncSoakResult {
  ops: { write: number; delete: number; rename: number; concurrent: number };
  restarts: { kill: number; term: number };
  /** Edits that a pull overtook (the file replaced while the run held it open): neither side of them counts. */
  raced: number;
  /** Seconds from the last operation until both sides were idle with equal trees. */
  settleS: number;
  /** Paths that differ at the end (name: what each side holds), empty when the trees are equal. */
  differences: string[];
  /** Tokens written and not thrown away by the run that are nowhere now. */
  lost: string[];
  tokensWritten: number;
  conflictCopies: number;
  /** Files in the versioners' keeps, both sides. */
  versioned: number;
}

const FOLDER = 'soak';
const PATHS = [...Array.from({ length: 12 }, (_, i) => `f${i}.txt`), ...Array.from({ length: 18 }, (_, i) => `d${i % 3}/g${i}.txt`)];
const KEY = 'soak-synchro-key';
const SKIP = (rel: string) => rel.startsWith('.stversions') || rel.startsWith('.stfolder') || rel === '.stignore' || path.basename(rel).startsWith('.syncthing.');

/** The files of a tree, relative path → content, without Syncthing's own bits. */
function readTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(root, path.join(e.parentPath, e.name));
    if (SKIP(rel)) continue;
    try {
      out.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
    } catch {
      // gone while we looked: the next look sees the new state
    }
  }
  return out;
}

/** Every file under `root/.stversions`, contents. */
function readKeep(root: string): string[] {
  const keep = path.join(root, '.stversions');
  if (!fs.existsSync(keep)) return [];
  return fs
    .readdirSync(keep, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'));
}

const tokenOf = (content: string | undefined) => (content ? content.split('\n', 1)[0]! : undefined);

/** Synchro as the user runs it: `node dist/main.js serve` on its own home. */
class SynchroProcess {
  child?: ChildProcess;
  base = '';
  private exited?: Promise<void>;
  output = '';

  constructor(
    readonly home: string,
    private readonly guiPort: number,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve', '--home', this.home, '--gui-address', `127.0.0.1:${this.guiPort}`, '--gui-apikey', KEY, '--no-default-folder', '--listen-address', 'tcp://127.0.0.1:0'], {
      env: { ...process.env, HOME: this.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    this.base = `http://127.0.0.1:${this.guiPort}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`synchro exited: ${this.output.slice(-2000)}`);
      if (await this.req('/rest/system/ping').then((r) => r.ok, () => false)) return;
      if (i > 1500) throw new Error('synchro did not come up in 30 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  req(p: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.base + p, { ...init, headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) } });
  }

  async json<T = any>(p: string): Promise<T> {
    const r = await this.req(p);
    if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

async function until(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function syncSoak(o: SyncSoakOptions): Promise<SyncSoakResult> {
  const log = o.log ?? (() => {});
  const ours = path.join(o.dir, 'synchro-folder');
  const theirs = path.join(o.dir, 'ref-folder');
  for (const root of [ours, theirs]) for (const d of ['', 'd0', 'd1', 'd2']) fs.mkdirSync(path.join(root, d), { recursive: true });

  const sy = new SynchroProcess(path.join(o.dir, 'synchro-home'), await freePort());
  let ref: Reference | undefined;
  const result: SyncSoakResult = { ops: { write: 0, delete: 0, rename: 0, concurrent: 0 }, restarts: { kill: 0, term: 0 }, raced: 0, settleS: 0, differences: [], lost: [], tokensWritten: 0, conflictCopies: 0, versioned: 0 };
  try {
    await sy.start();
    const synchroId = (await sy.json('/rest/system/status')).myID as string;
    const syncPort = await freePort();
    ref = await startReference(path.join(o.dir, 'ref-home'), { name: 'reference', syncPort, devices: [{ id: synchroId, name: 'synchro', addresses: ['dynamic'] }] });
    const versioning = { type: 'simple', params: { keep: '100000' }, cleanupIntervalS: 0, fsPath: '', fsType: 'basic' };
    const folder = (p: string, other: string) => ({ id: FOLDER, label: FOLDER, path: p, type: 'sendreceive', rescanIntervalS: 10, fsWatcherEnabled: true, fsWatcherDelayS: 1, maxConflicts: -1, versioning, devices: [{ deviceID: other }] });
    const must = async (r: Promise<Response>, what: string) => {
      const res = await r;
      if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    };
    await must(ref.req('/rest/config/folders', { method: 'POST', body: JSON.stringify(folder(theirs, synchroId)), headers: { 'Content-Type': 'application/json' } }), 'reference folder');
    await must(sy.req('/rest/config/options', { method: 'PATCH', body: JSON.stringify({ reconnectionIntervalS: 1 }) }), 'options');
    await must(sy.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: ref.myId, name: 'reference', addresses: [ref.syncAddress] }) }), 'device');
    await must(sy.req('/rest/config/folders', { method: 'POST', body: JSON.stringify(folder(ours, ref.myId)) }), 'folder');

    // ---- the run ----
    const roots = { s: ours, r: theirs } as const;
    const written = new Set<string>();
    const dropped = new Set<string>();
    const lastTouch = new Map<string, number>();
    let counter = 0;
    const rnd = (n: number) => Math.floor(Math.random() * n);
    // Every operation knows exactly which content it threw away, even when a pull replaces the
    // same file at the same moment: a file is taken out of the folder by a rename (atomic), and
    // an in-place edit checks afterwards that the file it wrote is still linked.
    const trash = path.join(o.dir, 'trash');
    fs.mkdirSync(trash, { recursive: true });
    let trashed = 0;
    const takeOut = (abs: string): { token: string | undefined; at: string } | undefined => {
      const at = path.join(trash, String(++trashed));
      try {
        fs.renameSync(abs, at);
      } catch {
        return undefined;
      }
      return { token: tokenOf(fs.readFileSync(at, 'utf8')), at };
    };
    /** Every operation, bounded: "<s since start> <side> <kind> <path> <token written> <token dropped>". */
    const history: string[] = [];
    const note = (side: string, kind: string, rel: string, wrote = '-', threw = '-') => {
      history.push(`${((Date.now() - startMs) / 1000).toFixed(1)} ${side} ${kind} ${rel} ${wrote} ${threw}`);
      if (history.length > 50_000) history.splice(0, 10_000);
    };
    const content = (t: string) => `${t}\n${randomBytes(rnd(4000)).toString('hex')}\n`;
    const op = (side: 's' | 'r', only?: string) => {
      const root = roots[side];
      const now = Date.now();
      const free = PATHS.filter((p) => now - (lastTouch.get(side + p) ?? 0) > 500);
      if (free.length === 0) return;
      const rel = only ?? free[rnd(free.length)]!;
      const abs = path.join(root, rel);
      const exists = fs.existsSync(abs);
      const kind = !exists || only !== undefined ? 'write' : (['write', 'write', 'delete', 'rename'] as const)[rnd(4)]!;
      if (kind === 'write') {
        const t = `T${side}${++counter}`;
        let fd: number;
        try {
          fd = fs.openSync(abs, exists ? 'r+' : 'wx');
        } catch {
          return; // it came or went meanwhile: no operation
        }
        try {
          const held = exists ? tokenOf(fs.readFileSync(fd, 'utf8')) : undefined;
          fs.ftruncateSync(fd, 0);
          fs.writeSync(fd, content(t), 0);
          // Replaced by a pull while we held it: what we wrote went with the old inode, and what
          // we read was the pull's to keep (in a conflict copy or a version), not ours to drop.
          if (fs.fstatSync(fd).nlink === 0) return void (result.raced++, note(side, 'raced', rel, t, held));
          if (held) dropped.add(held);
          written.add(t);
          note(side, 'write', rel, t, held);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        const out = takeOut(abs);
        if (!out) return;
        if (kind === 'delete') {
          if (out.token) dropped.add(out.token);
          note(side, 'delete', rel, '-', out.token);
        } else {
          const to = free.find((p) => p !== rel && !fs.existsSync(path.join(root, p)));
          let moved = false;
          if (to) {
            try {
              fs.linkSync(out.at, path.join(root, to)); // never over a file that is there
              moved = true;
              lastTouch.set(side + to, now);
            } catch {
              // taken meanwhile: the rename became a delete
            }
          }
          if (!moved && out.token) dropped.add(out.token);
          note(side, moved ? `rename-to:${to}` : 'rename-lost', rel, '-', out.token);
          if (moved) note(side, 'rename-from', to!, out.token ?? '-');
        }
        fs.rmSync(out.at, { force: true });
      }
      lastTouch.set(side + rel, now);
      result.ops[kind]++;
      return rel;
    };

    const startMs = Date.now();
    const endMs = startMs + o.durationS * 1000;
    const restartEveryMs = (o.durationS * 1000) / (o.restarts + 1);
    let nextRestart = startMs + restartEveryMs;
    const gapMs = 1000 / (o.opsPerS ?? 4);
    while (Date.now() < endMs) {
      // One time in five both sides edit the same file at once: a conflict to resolve.
      const side = Math.random() < 0.5 ? 's' : 'r';
      const rel = op(side);
      if (rel && Math.random() < 0.2) {
        await new Promise((r) => setTimeout(r, rnd(50)));
        result.ops.concurrent++;
        op(side === 's' ? 'r' : 's', rel);
      }
      if (Date.now() >= nextRestart && result.restarts.kill + result.restarts.term < o.restarts) {
        const kill = (result.restarts.kill + result.restarts.term) % 2 === 0;
        await sy.stop(kill ? 'SIGKILL' : 'SIGTERM');
        result.restarts[kill ? 'kill' : 'term']++;
        log(`restart ${result.restarts.kill + result.restarts.term} (${kill ? 'SIGKILL' : 'SIGTERM'}) after ${((Date.now() - startMs) / 1000).toFixed(0)} s, ${counter} tokens so far`);
        await sy.start();
        nextRestart += restartEveryMs;
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }

    // ---- settling: both sides rescan until the trees are equal and both are idle ----
    const settled = Date.now();
    let lastDiff: string[] = [];
    const sameTrees = () => {
      const [a, b] = [readTree(ours), readTree(theirs)];
      const names = new Set([...a.keys(), ...b.keys()]);
      lastDiff = [...names].filter((n) => a.get(n) !== b.get(n)).map((n) => `${n}: ${tokenOf(a.get(n)) ?? '-'} / ${tokenOf(b.get(n)) ?? '-'}`);
      return lastDiff.length === 0;
    };
    const idle = async (get: (p: string) => Promise<any>) => {
      const st = await get(`/rest/db/status?folder=${FOLDER}`).catch(() => undefined);
      return !!st && st.state === 'idle' && st.needTotalItems === 0;
    };
    let polls = 0;
    try {
      await until(
        'both trees equal and both sides idle',
        async () => {
          if (polls++ % 20 === 0) {
            await sy.req(`/rest/db/scan?folder=${FOLDER}`, { method: 'POST' }).catch(() => undefined);
            await ref!.req(`/rest/db/scan?folder=${FOLDER}`, { method: 'POST' }).catch(() => undefined);
          }
          return (await idle((p) => sy.json(p))) && (await idle((p) => ref!.json(p))) && sameTrees() && (await idle((p) => sy.json(p))) && sameTrees();
        },
        300_000,
      );
    } catch {
      result.differences = lastDiff.length ? lastDiff : ['the two sides never both came to idle'];
    }
    result.settleS = (Date.now() - settled) / 1000;

    // ---- nothing lost ----
    const everywhere = new Set<string>();
    let conflicts = 0;
    for (const root of [ours, theirs]) {
      for (const [rel, c] of readTree(root)) {
        everywhere.add(tokenOf(c)!);
        if (rel.includes('.sync-conflict-')) conflicts++;
      }
      const keep = readKeep(root);
      result.versioned += keep.length;
      for (const c of keep) everywhere.add(tokenOf(c)!);
    }
    result.conflictCopies = conflicts;
    result.tokensWritten = written.size;
    result.lost = [...written].filter((t) => !dropped.has(t) && !everywhere.has(t));
    // What the run did to the files a lost token was in, to see where it went.
    for (const t of result.lost.slice(0, 5)) {
      const mine = (h: string) => h.split(' ').slice(4).includes(t);
      const paths = new Set(history.filter(mine).map((h) => h.split(' ')[3]));
      const first = history.findIndex(mine);
      const around = history.slice(Math.max(0, first - 5)).filter((h) => paths.has(h.split(' ')[3]) || mine(h));
      log(`lost ${t}: ${around.slice(0, 40).join(' | ')}`);
    }
    return result;
  } finally {
    await ref?.stop();
    await sy.stop('SIGTERM');
  }
}
