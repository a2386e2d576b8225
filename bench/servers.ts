import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { freePort, startReference, type Reference } from '../test/support/syncthing-ref.js';

/** One server under test, Synchro or Syncthing, as the workloads see it. */
export interface Server {
  name: 'synchro' | 'syncthing';
  base: string;
  key: string;
  home: string;
  /** Resident set size of the serving process, in MiB. */
  rssMiB(): number;
  /** CPU time the serving process has used so far (all its threads, user and system), in seconds. */
  cpuS(): number;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function cpuOf(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function rssOf(pid: number | undefined): number {
  if (!pid) return NaN;
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) / 1024;
}

/** Extra flags for Synchro's node (`BENCH_SYNCHRO_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`), for profiling a row. */
function nodeArgs(): string[] {
  return (process.env.BENCH_SYNCHRO_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export async function startSynchro(home: string, key = 'bench-key'): Promise<Server> {
  await fs.mkdir(home, { recursive: true });
  const port = await freePort();
  const p: ChildProcess = spawn(process.execPath, [...nodeArgs(), path.join(root, 'dist', 'main.js'), 'serve', '--home', home, '--gui-address', `127.0.0.1:${port}`, '--gui-apikey', key, '--no-default-folder'], {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${base}/rest/system/ping`, { headers: { 'X-API-Key': key } }).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return {
    name: 'synchro',
    base,
    key,
    home,
    rssMiB: () => rssOf(p.pid),
    cpuS: () => cpuOf(p.pid),
    async stop() {
      p.kill('SIGTERM');
      await exited;
    },
  };
}

/** `lowPriority: false` runs it at normal priority, as Synchro runs (its default is nice 11). */
export async function startSyncthing(home: string, o: { lowPriority?: boolean } = {}): Promise<Server> {
  const ref: Reference = await startReference(home, { apiKey: 'bench-ref-key', ...(o.lowPriority === false ? { lowPriority: false } : {}) });
  // syncthing serve runs a monitor process and the real server as its child.
  const findServer = () => {
    const r = spawnSync('pgrep', ['-f', `syncthing serve --home=${home}`], { encoding: 'utf8' });
    const pids = r.stdout.trim().split('\n').map(Number).filter(Boolean);
    return pids.map((pid) => ({ pid, rss: rssOf(pid) })).sort((a, b) => b.rss - a.rss)[0]?.pid;
  };
  return { name: 'syncthing', base: ref.base, key: ref.apiKey, home, rssMiB: () => rssOf(findServer()), cpuS: () => cpuOf(findServer()), stop: () => ref.stop() };
}
