import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { referenceUnavailable } from '../test/support/syncthing-ref.js';
import { startSynchro, startSyncthing, type Server } from './servers.js';
import { pollFanout, streamFanout } from './events-workloads.js';
import { throughput } from './throughput.js';
import { connectTime, idleConnectionCost, listenOnLoopback } from './peers-workloads.js';
import { forget, receiveIndex, sendIndex } from './index-workloads.js';
import { pageReportingNote, renameTime, transfer } from './transfer-workloads.js';
import { peerIdentities } from '../test/support/peer-identities.js';
import { copyVersionsWork, makeRevertTree, makeVersionsTree, versionsWorkload } from './versions-workloads.js';
import { addAndWait, burst, enableWatch, latencyMs, makeBigFiles, makeTree, median, now, rescan, sleep, status, watchLatency } from './workloads.js';

/**
 * `npm run bench`: every workload against Synchro and, when the `syncthing` binary is present, a
 * real Syncthing on the same machine in the same run, alternating, reported as medians and ratios.
 * The reference only ever runs inside a network namespace that has loopback alone: the harness
 * re-runs itself under `unshare --net` and refuses to start the reference anywhere else.
 */

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, rounds: { type: 'string' }, 'no-reference': { type: 'boolean' } } });
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

if (!values['no-reference'] && process.env.SYNCHRO_BENCH_NETNS !== '1' && referenceUnavailable()?.startsWith('not inside')) {
  if (spawnSync('unshare', ['--net', 'true']).status === 0) {
    const args = process.argv.slice(1).map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = spawnSync('unshare', ['--net', '--', 'bash', '-c', `ulimit -n "$(ulimit -Hn)"; ip link set lo up && exec '${process.execPath}' --import tsx ${args}`], {
      stdio: 'inherit',
      env: { ...process.env, SYNCHRO_BENCH_NETNS: '1' },
    });
    process.exit(r.status ?? 1);
  }
  console.error('bench: cannot create a loopback-only network namespace (unshare --net); measuring Synchro alone');
}

const why = values['no-reference'] ? 'disabled with --no-reference' : referenceUnavailable();
const withRef = why === undefined;
if (!withRef) console.error(`bench: real Syncthing not used: ${why}`);

const quick = values.quick ?? false;
const N = quick ? 10_000 : 100_000;
const BIG = quick ? { count: 8, mib: 16 } : { count: 8, mib: 128 };
const rounds = Number(values.rounds ?? (quick ? 2 : 1));
const BURST = quick ? 1_000 : 10_000;
const lab = path.join(os.tmpdir(), 'synchro-bench');
fs.mkdirSync(lab, { recursive: true });

interface Row {
  workload: string;
  unit: string;
  synchro: number[];
  syncthing: number[];
  goal: string;
  /** true when smaller is better */
  lower: boolean;
}
const rows = new Map<string, Row>();
const record = (workload: string, unit: string, who: Server['name'], v: number, goal: string, lower = true) => {
  const r = rows.get(workload) ?? { workload, unit, synchro: [], syncthing: [], goal, lower };
  r[who].push(v);
  rows.set(workload, r);
};
// `ignores` runs only when asked for: it scans the tree twice more.
const want = (name: string) => !values.only || values.only === name;

const TREE_WORKLOADS = ['scan', 'rss', 'rescan', 'status', 'browse', 'restart', 'watch'];
const tree = path.join(lab, `tree-${N}`);
const big = path.join(lab, `big-${BIG.count}x${BIG.mib}`);
if ([...TREE_WORKLOADS, 'ignores', 'index'].some(want)) {
  console.error(`bench: preparing ${N} small files in ${lab}`);
  makeTree(tree, N);
}
if (want('hash')) {
  console.error(`bench: preparing ${BIG.count} × ${BIG.mib} MiB in ${lab}`);
  makeBigFiles(big, BIG.count, BIG.mib);
}

const XFER = quick ? { mib: 128, small: 2_000 } : { mib: 1024, small: 10_000 };
const xferBig = path.join(lab, `xfer-big-${XFER.mib}`);
const xferSmall = path.join(lab, `xfer-small-${XFER.small}`);
if ((want('transfer') || want('pull')) && withRef) {
  console.error(`bench: preparing a ${XFER.mib} MiB file and ${XFER.small} small files in ${lab}`);
  makeBigFiles(xferBig, 1, XFER.mib);
  makeTree(xferSmall, XFER.small);
  const note = pageReportingNote();
  if (note) console.error(`bench: ${note}`);
}

async function treeWorkloads(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  const home = path.join(lab, `home-${who}-${round}`);
  fs.rmSync(home, { recursive: true, force: true });
  let s = await start(home);
  try {
    const scanS = await addAndWait(s, 'tree', tree, N);
    if (want('scan')) record(`initial scan, ${N} files`, 's', who, scanS, '≤ 0.5× Syncthing');
    await sleep(3000);
    if (want('rss')) record(`RSS after indexing ${N} files`, 'MiB', who, s.rssMiB(), '≤ 150 MiB');
    if (want('rescan')) for (let i = 0; i < 3; i++) record('rescan, nothing changed', 's', who, await rescan(s, 'tree'), '≤ 0.3× Syncthing');
    const lat = async (p: string, n = 10) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) xs.push(await latencyMs(s, p));
      return median(xs);
    };
    if (want('status')) record('GET /rest/db/status', 'ms', who, await lat('/rest/db/status?folder=tree', 20), '≤ 2 ms');
    if (want('browse')) {
      record('GET /rest/db/browse levels=0', 'ms', who, await lat('/rest/db/browse?folder=tree&levels=0'), '≤ 10 ms');
      record('GET /rest/db/browse whole tree', 'ms', who, await lat('/rest/db/browse?folder=tree'), '—');
    }
    if (want('restart')) {
      await s.stop();
      const t0 = now();
      s = await start(home);
      record(`restart on a ${N}-file index: REST answers`, 's', who, now() - t0, '≤ 0.5 s');
      while ((await status(s, 'tree')).state !== 'idle') await sleep(20);
      record(`restart on a ${N}-file index: idle`, 's', who, now() - t0, '—');
    }
    if (want('watch')) {
      await enableWatch(s, 'tree', tree, 10);
      const sub = `burst-${who}-${round}`;
      try {
        const t = await burst(s, 'tree', tree, sub, BURST, N + BURST);
        record(`${BURST} files created at once in a watched ${N}-file folder: indexed`, 's', who, t, '≈ Syncthing (same aggregation delays)');
      } finally {
        fs.rmSync(path.join(tree, sub), { recursive: true, force: true });
      }
    }
  } finally {
    await s.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** A server on a fresh home named `prefix-who-round`, for `fn` alone; stopped and removed afterwards. */
async function withServer(start: (home: string) => Promise<Server>, prefix: string, who: Server['name'], round: number, fn: (s: Server) => Promise<void>): Promise<void> {
  const home = path.join(lab, `${prefix}-${who}-${round}`);
  fs.rmSync(home, { recursive: true, force: true });
  const s = await start(home);
  try {
    await fn(s);
  } finally {
    await s.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function hashWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  await withServer(start, 'hhome', who, round, async (s) => {
    record(`hashing ${(BIG.count * BIG.mib) / 1024} GiB (${BIG.count} files)`, 's', who, await addAndWait(s, 'big', big, BIG.count), '≤ 0.4× Syncthing');
  });
}

/** One file written into a quiet watched folder until GET /rest/db/file knows it, at the default delay and at 1 s. */
async function watchLatencyWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  const home = path.join(lab, `whome-${who}-${round}`);
  const dir = path.join(lab, `watched-${who}-${round}`);
  for (const d of [home, dir]) fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(dir);
  const s = await start(home);
  try {
    await addAndWait(s, 'w', dir, 0);
    for (const [delay, goal] of [[10, '≤ 1 s'], [1, '≤ 0.3 s']] as const) {
      await enableWatch(s, 'w', dir, delay);
      await sleep(1500);
      for (let i = 0; i < 5; i++) {
        record(`watch latency, fsWatcherDelayS=${delay}`, 's', who, await watchLatency(s, 'w', dir, `probe-${delay}-${i}.txt`), goal);
        await sleep(1500);
      }
    }
  } finally {
    await s.stop();
    for (const d of [home, dir]) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Parked long polls (and, on Synchro, event streams) woken by one config change; RSS while 10,000 wait. */
async function eventsWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  await withServer(start, 'ehome', who, round, async (s) => {
    for (const [n, goal] of [[1_000, '≤ 50 ms'], [10_000, '≤ 150 ms']] as const) {
      // Warm-up, timing not recorded: a server that has run a while, as users meet it. RSS is
      // read here, the first time 10,000 wait: later rounds would measure the heap's high-water mark.
      const warm = await pollFanout(s, n, 99);
      if (n === 10_000) record('RSS with 10,000 parked polls', 'MiB', who, warm.rssMiB, '≤ 250 MB');
      for (let i = 0; i < 5; i++) {
        const r = await pollFanout(s, n, i);
        if (!Number.isNaN(r.ms)) record(`events: ${n} parked polls all answered after a config change`, 'ms', who, r.ms, goal);
        await sleep(500);
      }
    }
    if (who === 'synchro') {
      await streamFanout(s, 10_000, 99);
      for (let i = 0; i < 5; i++) {
        const r = await streamFanout(s, 10_000, i);
        if (!Number.isNaN(r.ms)) record('events: 10000 SSE streams all have the event (Syncthing has no stream)', 'ms', who, r.ms, '≤ 150 ms');
        await sleep(500);
      }
    }
  });
}

/** Small GETs with 50 keep-alive connections (autocannon), on a fresh home. Higher is better. */
async function throughputWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  await withServer(start, 'thome', who, round, async (s) => {
    for (const p of ['/rest/system/ping', '/rest/system/status', '/rest/config']) {
      await throughput(s, p, 50, 1); // warm-up
      record(`GET ${p}, 50 connections`, 'req/s (more is better)', who, await throughput(s, p), '—', false);
    }
  });
}

const VERSIONS = quick ? { files: 1_000, perFile: 10, restore: 100, revert: 2_000 } : { files: 2_000, perFile: 10, restore: 500, revert: 10_000 };
const versionsTree = path.join(lab, `versions-${VERSIONS.files}x${VERSIONS.perFile}`);
const revertTree = path.join(lab, `revert-${VERSIONS.revert}`);
if (want('versions')) {
  console.error(`bench: preparing ${VERSIONS.files} × ${VERSIONS.perFile} versions and ${VERSIONS.revert} receive-only files in ${lab}`);
  makeVersionsTree(versionsTree, VERSIONS.files, VERSIONS.perFile);
  makeRevertTree(revertTree, VERSIONS.revert);
}

async function versionsBench(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  const work = path.join(lab, `vwork-${who}`);
  const dirs = copyVersionsWork(work, versionsTree, revertTree);
  await withServer(start, 'vhome', who, round, async (s) => {
    const r = await versionsWorkload(s, dirs, VERSIONS.revert, VERSIONS.restore);
    record(`GET /rest/folder/versions, ${VERSIONS.files * VERSIONS.perFile} versions`, 'ms', who, r.listMs, '≤ Syncthing');
    record(`POST /rest/folder/versions, ${VERSIONS.restore} files restored`, 's', who, r.restoreS, '≤ Syncthing');
    record(`revert ${VERSIONS.revert} receive-only files (simple versioner)`, 's', who, r.revertS, '≤ Syncthing');
  });
  fs.rmSync(work, { recursive: true, force: true });
}

/** 50 realistic .stignore lines that match little of the tree: the cost is the matching itself. */
const IGNORE_LINES = [
  '// typical ignores', '*.tmp', '*.swp', '*~', '.DS_Store', '(?d)Thumbs.db', '(?i)desktop.ini', 'node_modules', '.git', '/build', 'dist/',
  '*.o', '*.obj', '*.pyc', '__pycache__', '.cache', '.npm', '.venv', 'target/', '*.class', '*.log', '/tmp', '**/coverage/**', '*.bak',
  '!important.bak', '*.part', '*.crdownload', '~$*', '.~lock.*#', '*.kate-swp', '.Trash-*', '$RECYCLE.BIN', 'System Volume Information',
  '(?d).AppleDouble', '._*', '.Spotlight-V100', '.fseventsd', '*.iml', '.idea', '.vscode', '*.sublime-workspace', 'Cache*', '*.lock',
  'vendor/bundle', '/d09/s99/f09999*.txt', 'd0[0-9]/s9[5-9]/*.nope', '{a,b,c}.xyz', '**/*.mp3', '!/d00/keep', 'f0000[0-3].txt',
];

async function ignoreWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  fs.rmSync(path.join(tree, '.stignore'), { force: true }); // a killed earlier run may have left one
  for (const withIgnores of [false, true]) {
    const home = path.join(lab, `ihome-${who}-${round}-${withIgnores}`);
    fs.rmSync(home, { recursive: true, force: true });
    const file = path.join(tree, '.stignore');
    if (withIgnores) fs.writeFileSync(file, IGNORE_LINES.join('\n') + '\n');
    const s = await start(home);
    try {
      // /d09/s99/f09999*.txt ignores ten files of the 100,000-file tree (none of the 10,000-file one).
      const t = await addAndWait(s, 'tree', tree, withIgnores && N === 100_000 ? N - 10 : N);
      record(withIgnores ? `initial scan, ${N} files, 50-line .stignore` : `initial scan, ${N} files, no .stignore`, 's', who, t, withIgnores ? '≤ 1.1× without' : '—');
    } finally {
      await s.stop();
      fs.rmSync(file, { force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
}

/**
 * Device connections: the subject (Synchro or Syncthing) dials a Syncthing peer and reports it
 * connected; then 100 synthetic idle peers connect and stay, and the subject's RSS per connection
 * is taken. Needs the reference: the peer is a real Syncthing.
 */
const PEERS = quick ? 20 : 100;
async function peersWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  if (!withRef) return;
  const ids = await peerIdentities(path.join(lab, 'peer-identities'), PEERS);
  await withServer(start, 'phome', who, round, async (s) => {
    await listenOnLoopback(s);
    for (let i = 0; i < 3; i++) {
      await withServer((h) => startSyncthing(h), `peer-${i}`, 'syncthing', round, async (peer) => {
        await listenOnLoopback(peer);
        record('device connected, from adding it (both listening)', 's', who, await connectTime(s, peer), '≤ 2 s');
      });
    }
    const cost = await idleConnectionCost(s, ids);
    if (cost.connected === PEERS) record(`RSS per idle device connection (${PEERS} peers)`, 'KiB', who, cost.perConnectionKiB, '≤ 1 MiB');
    else console.error(`bench: ${who}: only ${cost.connected} of ${PEERS} synthetic peers connected`);
  });
}

/**
 * Index exchange: a Syncthing holding the tree (scanned once, kept for every round) gives its
 * index to the subject; then the subject, having scanned the tree itself, gives its index to a
 * fresh Syncthing. Both with send-only folders, so nobody pulls. Needs the reference.
 */
let indexSource: Server | undefined;
async function indexWorkload(start: (home: string) => Promise<Server>, who: Server['name'], round: number): Promise<void> {
  if (!withRef) return;
  if (!indexSource) {
    const home = path.join(lab, 'index-source');
    fs.rmSync(home, { recursive: true, force: true });
    indexSource = await startSyncthing(home);
    await addAndWait(indexSource, 'idx', tree, N);
  }
  const src = indexSource;
  await withServer(start, 'ihome', who, round, async (s) => {
    const r = await receiveIndex(s, src, 'idx', tree, N, path.join(lab, `iempty-${who}-${round}`));
    await forget(src, s);
    record(`take a ${N}-file index from Syncthing (added → all in global)`, 's', who, r.seconds, '≤ 1.5×');
    if (r.loopP99Ms !== undefined) record(`event-loop delay p99 while taking it`, 'ms', who, r.loopP99Ms, '≤ 100 ms');
    await withServer((h) => startSyncthing(h), `ipeer-${who}`, 'syncthing', round, async (peer) => {
      const w = await sendIndex(s, peer, 'snd', tree, N, path.join(lab, `isend-${who}-${round}`));
      record(`send a ${N}-file index to Syncthing (added → all in its global)`, 's', who, w.seconds, '≤ 1.2×');
      if (w.loopP99Ms !== undefined) record(`event-loop delay p99 while sending it`, 'ms', who, w.loopP99Ms, '≤ 100 ms');
    });
  });
}

/**
 * Transfers: the subject sends a big file, then many small ones, each to a fresh Syncthing. Every
 * Syncthing here runs at normal priority, as Synchro does (its default is nice 11), so the ratio
 * is Synchro→Syncthing against Syncthing→Syncthing on equal terms.
 */
async function transferWorkload(who: Server['name'], round: number): Promise<void> {
  if (!withRef) return;
  const start = (h: string) => (who === 'synchro' ? startSynchro(h) : startSyncthing(h, { lowPriority: false }));
  const receiver = (h: string) => startSyncthing(h, { lowPriority: false });
  await withServer(start, 'xsend', who, round, async (s) => {
    await withServer(receiver, `xrecv-big-${who}`, 'syncthing', round, async (peer) => {
      const r = await transfer(s, peer, 'xbig', xferBig, 1, XFER.mib << 20, path.join(lab, `xbig-${who}-${round}`));
      record(`send a ${XFER.mib} MiB file to a Syncthing`, 's', who, r.seconds, '≤ 1.25×');
      record(`sender RSS above idle while sending it`, 'MiB', who, r.rssGrowthMiB, '≤ 64 MiB');
    });
    fs.rmSync(path.join(lab, `xbig-${who}-${round}`), { recursive: true, force: true });
    await withServer(receiver, `xrecv-small-${who}`, 'syncthing', round, async (peer) => {
      const r = await transfer(s, peer, 'xsmall', xferSmall, XFER.small, 0, path.join(lab, `xsmall-${who}-${round}`));
      record(`send ${XFER.small} small files to a Syncthing`, 's', who, r.seconds, '≤ 1.5×');
    });
    fs.rmSync(path.join(lab, `xsmall-${who}-${round}`), { recursive: true, force: true });
  });
}

/** Syncthing sends, `who` receives: a 1 GiB file (with the receiver's RSS), then its rename, then 10,000 small files. */
async function pullWorkload(who: Server['name'], round: number): Promise<void> {
  if (!withRef) return;
  const receiver = (h: string) => (who === 'synchro' ? startSynchro(h) : startSyncthing(h, { lowPriority: false }));
  await withServer((h) => startSyncthing(h, { lowPriority: false }), `xpull-send-${who}`, 'syncthing', round, async (st) => {
    const big = path.join(lab, `xpull-src-big-${who}-${round}`);
    fs.rmSync(big, { recursive: true, force: true });
    fs.cpSync(xferBig, big, { recursive: true });
    await withServer(receiver, `xpull-big-${who}`, who, round, async (s) => {
      const dest = path.join(lab, `xpull-big-${who}-${round}`);
      const r = await transfer(st, s, 'xbig', big, 1, XFER.mib << 20, dest, 1800, 'receiver');
      record(`receive a ${XFER.mib} MiB file from a Syncthing`, 's', who, r.seconds, '≤ 1.25×');
      record(`receiver RSS above idle while receiving it`, 'MiB', who, r.rssGrowthMiB, '≤ 250 MiB');
      record(`receiver CPU while receiving it`, 's', who, r.receiverCpuS, '—');
      record(`sender CPU meanwhile`, 's', who, r.senderCpuS, '—');
      const name = fs.readdirSync(big).find((n) => !n.startsWith('.st'))!;
      record(`a rename of that file on the Syncthing, until the receiver has it`, 's', who, await renameTime(st, s, 'xbig', big, name, `renamed-${name}`), '≤ 1 s');
      fs.rmSync(dest, { recursive: true, force: true });
    });
    fs.rmSync(big, { recursive: true, force: true });
    await withServer(receiver, `xpull-small-${who}`, who, round, async (s) => {
      const dest = path.join(lab, `xpull-small-${who}-${round}`);
      const r = await transfer(st, s, 'xsmall', xferSmall, XFER.small, 0, dest, 1800, 'receiver');
      record(`receive ${XFER.small} small files from a Syncthing`, 's', who, r.seconds, '≤ 1.5×');
      fs.rmSync(dest, { recursive: true, force: true });
    });
  });
}

const servers: [Server['name'], (home: string) => Promise<Server>][] = [['synchro', (h) => startSynchro(h)]];
if (withRef) servers.push(['syncthing', (h) => startSyncthing(h)]);

for (let round = 0; round < rounds; round++) {
  // Alternate who goes first, so neither always meets a warm or a cold page cache.
  const order = round % 2 ? [...servers].reverse() : servers;
  for (const [who, start] of order) {
    if (TREE_WORKLOADS.some(want)) await treeWorkloads(start, who, round);
    if (want('latency')) await watchLatencyWorkload(start, who, round);
    if (want('hash')) await hashWorkload(start, who, round);
    if (want('events')) await eventsWorkload(start, who, round);
    if (want('throughput')) await throughputWorkload(start, who, round);
    if (want('versions')) await versionsBench(start, who, round);
    if (values.only === 'ignores') await ignoreWorkload(start, who, round);
    if (want('peers')) await peersWorkload(start, who, round);
    if (want('index')) await indexWorkload(start, who, round);
    if (want('transfer')) await transferWorkload(who, round);
    if (want('pull')) await pullWorkload(who, round);
  }
}
await indexSource?.stop();

const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));
const table = [...rows.values()].map((r) => {
  const a = r.synchro.length ? median(r.synchro) : undefined;
  const b = r.syncthing.length ? median(r.syncthing) : undefined;
  return { workload: r.workload, unit: r.unit, synchro: a, syncthing: b, ratio: a !== undefined && b ? a / b : undefined, goal: r.goal, samples: { synchro: r.synchro, syncthing: r.syncthing } };
});
const lines = [
  `| workload | unit | Synchro | Syncthing 1.19.2 | ratio | goal |`,
  `|---|---|---|---|---|---|`,
  ...table.map((t) => `| ${t.workload} | ${t.unit} | ${fmt(t.synchro)} | ${fmt(t.syncthing)} | ${t.ratio === undefined ? '—' : t.ratio.toFixed(2) + '×'} | ${t.goal} |`),
];
console.log(lines.join('\n'));
const out = path.join(root, 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(
  path.join(out, 'latest.json'),
  JSON.stringify({ date: new Date().toISOString(), machine: { cpus: os.availableParallelism(), memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, quick, rounds, reference: withRef ? 'syncthing 1.19.2' : why, table }, null, 2) + '\n',
);
