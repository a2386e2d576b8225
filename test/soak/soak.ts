import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { BIN } from '../support/run-bin.js';
import { generatedHome } from '../support/generated-home.js';
import { freePort } from '../support/syncthing-ref.js';
import { plotPng } from './png-plot.js';

/**
 * The soak: the real binary on 127.0.0.1 under a steady mixed load for a while — parked long
 * polls, SSE clients that must see every event, paced reads and config writes, and a folder whose
 * files change all the time — sampled every 2 s from /metrics (RSS, event-loop delay p99) and from
 * the client side (request latency). Writes soak-summary.json and soak.png.
 */

export interface SoakOptions {
  durationS: number;
  warmupS: number;
  polls: number;
  sse: number;
  rps: number;
  changesPerS: number;
  dir: string;
  outDir: string;
  log?: (s: string) => void;
}

export interface SoakSummary {
  durationS: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  achievedRps: number;
  parkedPolls: number;
  pollErrors: number;
  pollErrorSamples: string[];
  sse: { clients: number; eventsPerClientMin: number; gaps: number; disconnects: number };
  fileChanges: number;
  rssMiB: { afterWarmup: number; end: number; growthPct: number };
  /** Upper bounds from the histogram's buckets: the run's p99 after warm-up, and the worst 2 s window's. */
  loopDelayP99Ms: { run: number; worstWindow: number };
  latencyMs: { p50: number; p99: number };
  plot: readonly string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const median = (xs: number[]) => pct(xs, 50);

const PLOT_TITLES = ['RSS (MiB)', 'event-loop delay p99 per 2 s (ms, bucket bound), red: the 50 ms goal', 'request latency p99 per 2 s (ms)', 'requests per second'] as const;

/** synchro_eventloop_delay_seconds: cumulative count per bucket bound (ms). */
type LoopBuckets = Map<number, number>;

function loopBuckets(text: string): LoopBuckets {
  const m: LoopBuckets = new Map();
  for (const [, le, n] of text.matchAll(/^synchro_eventloop_delay_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)) m.set(le === '+Inf' ? Infinity : Number(le) * 1000, Number(n));
  return m;
}

/** The bucket bound under which 99% of the samples taken between two scrapes fall. */
function bucketP99Ms(now: LoopBuckets, before: LoopBuckets): number {
  const total = (now.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return 0;
  for (const [le, n] of [...now].sort((a, b) => a[0] - b[0])) if (n - (before.get(le) ?? 0) >= 0.99 * total) return le;
  return Infinity;
}

export async function soak(o: SoakOptions): Promise<SoakSummary> {
  const log = o.log ?? (() => undefined);
  const home = path.join(o.dir, 'home');
  const root = path.join(o.dir, 'folder');
  await fs.mkdir(root, { recursive: true });
  const port = await freePort();
  const apiKey = 'soak-key-0123456789abcdefghijklmn';
  await generatedHome(home, { port, apiKey, folders: [{ id: 'soak', path: root, fsWatcherEnabled: true, fsWatcherDelayS: 1, rescanIntervalS: 3600 }] });

  // SOAK_NODE_ARGS: V8/Node flags for the service only (e.g. --trace-gc, heap sizing), to study it under this load.
  const nodeArgs = (process.env.SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const stdoutFile = process.env.SOAK_SERVER_STDOUT ? await fs.open(process.env.SOAK_SERVER_STDOUT, 'w') : undefined;
  const server: ChildProcess = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--home', home, '--no-default-folder', '--event-masks', '16'], { stdio: ['ignore', stdoutFile?.fd ?? 'ignore', 'pipe'] });
  // The child has its own copy of the descriptor now.
  await stdoutFile?.close();
  let serverErr = '';
  server.stderr!.on('data', (d) => (serverErr = (serverErr + d).slice(-20_000)));
  const headers = { 'X-API-Key': apiKey };
  for (let i = 0; ; i++) {
    if (i > 400 || server.exitCode !== null) throw new Error(`the service did not start: ${serverErr}`);
    if (await fetch(`http://127.0.0.1:${port}/rest/system/ping`, { headers }).then((r) => r.ok, () => false)) break;
    await sleep(25);
  }

  let stopping = false;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  try {
    // Parked polls: a mask that never fires here, so each waits out its timeout and comes back.
    // Timeouts are spread over 20–60 s, as clients that started at different moments would be,
    // instead of 10,000 polls all coming back in the same second.
    const pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    let parked = 0;
    let pollErrors = 0;
    const pollErrorSamples: string[] = [];
    const poll = () => {
      if (stopping) return;
      parked++;
      const req = http.get({ host: '127.0.0.1', port, path: `/rest/events?events=DeviceConnected&since=0&timeout=${20 + Math.floor(Math.random() * 41)}`, headers, agent: pollAgent }, (res) => {
        res.resume();
        res.on('end', () => {
          parked--;
          if (res.statusCode !== 200) pollErrors++;
          // On the next turn, once the agent has the socket back: the re-poll reuses it rather
          // than opening another and leaving this one idle until the server's keep-alive cut.
          setImmediate(poll);
        });
      });
      req.on('error', (e) => {
        parked--;
        if (stopping) return;
        pollErrors++;
        if (pollErrorSamples.length < 5) pollErrorSamples.push((e as NodeJS.ErrnoException).code ?? e.message);
        setTimeout(poll, 200);
      });
    };
    for (let i = 0; i < o.polls; i += 250) {
      for (let k = i; k < Math.min(o.polls, i + 250); k++) poll();
      await sleep(50);
    }
    log(`soak: ${o.polls} polls parked`);

    // SSE clients on the default stream. Its ids are global (types outside the default mask leave
    // holes), so a lost event is one that other clients got in the span every client was connected.
    const sse = Array.from({ length: o.sse }, () => ({ ids: [] as number[], count: 0, closed: false }));
    const sseAgent = new http.Agent({ keepAlive: false });
    for (const c of sse) {
      http.get({ host: '127.0.0.1', port, path: '/rest/events/stream', headers, agent: sseAgent }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.startsWith('id: ')) continue;
            c.ids.push(Number(line.slice(4)));
            c.count++;
          }
        });
        res.on('close', () => (c.closed = true));
      });
    }

    // Paced mixed traffic: reads of the routes dashboards poll, and config writes (1 in 100: each
    // is an fsynced config.xml and a ConfigSaved event to every stream).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const reads = ['/rest/system/status', '/rest/db/status?folder=soak', '/rest/config', '/rest/system/connections', '/rest/stats/folder', '/rest/db/completion?folder=soak', '/rest/system/version', '/rest/config/folders/soak'];
    let requests = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    let latencies: number[] = [];
    const allLatencies: number[] = [];
    let writeN = 0;
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const write = i % 100 === 0;
        const t0 = performance.now();
        const body = write ? JSON.stringify({ maxRecvKbps: ++writeN % 1000 }) : undefined;
        const req = http.request({ host: '127.0.0.1', port, path: write ? '/rest/config/options' : reads[i % reads.length], method: write ? 'PATCH' : 'GET', headers, agent }, (res) => {
          res.resume();
          res.on('end', () => {
            requests++;
            const ms = performance.now() - t0;
            latencies.push(ms);
            allLatencies.push(ms);
            if (res.statusCode! >= 300) {
              errors++;
              if (errorSamples.length < 10) errorSamples.push(`${res.statusCode} ${req.path}`);
            }
            resolve();
          });
        });
        req.on('error', (e) => {
          errors++;
          if (errorSamples.length < 10) errorSamples.push(`${e.message} ${req.path}`);
          resolve();
        });
        req.end(body);
      });
    let seq = 0;
    const traffic = (async () => {
      const tick = 50;
      let next = Date.now();
      while (!stopping) {
        for (let k = 0; k < (o.rps * tick) / 1000; k++) one(seq++).catch(() => void errors++);
        next += tick;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();

    // File changes: rewrite files round-robin.
    let fileChanges = 0;
    const changes = (async () => {
      const tick = 100;
      let next = Date.now();
      while (!stopping) {
        for (let k = 0; k < (o.changesPerS * tick) / 1000; k++) {
          const n = fileChanges++;
          await fs.writeFile(path.join(root, `f${n % 500}.txt`), `change ${n}\n`);
        }
        next += tick;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();

    // Samples every 2 s.
    const samples: { t: number; rssMiB: number; heapMiB: number; loopP99Ms: number; p99Ms: number; rps: number }[] = [];
    let lastRequests = 0;
    let lastLoop: LoopBuckets = new Map();
    let loopAtWarmup: LoopBuckets | undefined;
    while (elapsed() < o.durationS) {
      await sleep(2000);
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { headers }).then((r) => r.text());
      const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
      const loop = loopBuckets(text);
      if (elapsed() >= o.warmupS) loopAtWarmup ??= lastLoop;
      const s = { t: elapsed(), rssMiB: metric('process_resident_memory_bytes') / 2 ** 20, heapMiB: metric('nodejs_heap_size_used_bytes') / 2 ** 20, loopP99Ms: bucketP99Ms(loop, lastLoop), p99Ms: pct(latencies, 99), rps: (requests - lastRequests) / 2 };
      lastLoop = loop;
      lastRequests = requests;
      latencies = [];
      samples.push(s);
      log(`soak ${s.t.toFixed(0)} s: rss ${s.rssMiB.toFixed(0)} MiB (JS heap ${s.heapMiB.toFixed(0)}), loop p99 ${s.loopP99Ms.toFixed(1)} ms, latency p99 ${s.p99Ms.toFixed(1)} ms, ${s.rps} req/s, ${parked} parked, errors ${errors}`);
    }
    stopping = true;
    await traffic;
    await changes;
    // Requests asked for in the last moments are still on their way: the rate counts those
    // answered within 5 s of the end (the latency percentiles report how late they were).
    for (const end = Date.now() + 5000; requests + errors < seq && Date.now() < end; ) await sleep(50);
    // Let the last events reach the SSE clients, then check every client saw the same, gap-free.
    await sleep(1500);
    const finalParked = parked;
    const from = Math.max(...sse.map((c) => c.ids[0] ?? Infinity));
    const to = Math.min(...sse.map((c) => c.ids.at(-1) ?? -Infinity));
    const union = new Set<number>();
    for (const c of sse) for (const id of c.ids) if (id >= from && id <= to) union.add(id);
    let gaps = 0;
    for (const c of sse) {
      const mine = new Set(c.ids);
      for (const id of union) if (!mine.has(id)) gaps++;
    }

    // A run shorter than its warm-up is judged on all it has rather than on nothing.
    const afterWarmup = samples.filter((s) => s.t >= o.warmupS);
    const warm = afterWarmup.length > 0 ? afterWarmup : samples;
    const firstWarm = warm.slice(0, Math.max(1, Math.floor(warm.length / 5)));
    const lastWarm = warm.slice(-Math.max(1, Math.floor(warm.length / 5)));
    const rssWarm = median(firstWarm.map((s) => s.rssMiB));
    const rssEnd = median(lastWarm.map((s) => s.rssMiB));
    const loops = warm.map((s) => s.loopP99Ms);
    // The bar is the p99 over the whole measured span (every 10 ms sample after warm-up, or the
    // whole run when it ended before warm-up did), not the worst of the 2 s windows.
    const loopRunP99 = bucketP99Ms(lastLoop, loopAtWarmup ?? new Map());
    const summary: SoakSummary = {
      durationS: o.durationS,
      requests,
      errors,
      errorSamples,
      achievedRps: Math.round(requests / o.durationS),
      parkedPolls: finalParked,
      pollErrors,
      pollErrorSamples,
      sse: { clients: o.sse, eventsPerClientMin: Math.min(...sse.map((c) => c.count)), gaps, disconnects: sse.filter((c) => c.closed).length },
      fileChanges,
      rssMiB: { afterWarmup: Math.round(rssWarm), end: Math.round(rssEnd), growthPct: Math.round(((rssEnd - rssWarm) / rssWarm) * 1000) / 10 },
      loopDelayP99Ms: { run: loopRunP99, worstWindow: Math.max(...loops) },
      latencyMs: { p50: Math.round(pct(allLatencies, 50) * 10) / 10, p99: Math.round(pct(allLatencies, 99) * 10) / 10 },
      plot: PLOT_TITLES,
    };
    await fs.mkdir(o.outDir, { recursive: true });
    await fs.writeFile(path.join(o.outDir, 'soak-summary.json'), JSON.stringify({ ...summary, samples }, null, 2));
    await fs.writeFile(
      path.join(o.outDir, 'soak.png'),
      plotPng([
        { title: PLOT_TITLES[0], points: samples.map((s) => [s.t, s.rssMiB]), color: [14, 116, 144] },
        { title: PLOT_TITLES[1], points: samples.map((s) => [s.t, s.loopP99Ms]), color: [180, 83, 9], limit: 50 },
        { title: PLOT_TITLES[2], points: samples.map((s) => [s.t, s.p99Ms]), color: [91, 33, 182] },
        { title: PLOT_TITLES[3], points: samples.map((s) => [s.t, s.rps]), color: [22, 101, 52] },
      ], o.warmupS < o.durationS ? [{ x: o.warmupS, label: 'WARM-UP ENDS' }] : []),
    );
    pollAgent.destroy();
    sseAgent.destroy();
    agent.destroy();
    return summary;
  } finally {
    stopping = true;
    server.kill('SIGKILL');
  }
}
