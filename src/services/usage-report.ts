import os from 'node:os';
import net from 'node:net';
import { createHash } from 'node:crypto';
import type { Configuration } from '../config/types.js';

/**
 * The usage report Syncthing would send (lib/ur/contract), for GET /rest/svc/report's preview.
 * Built from the same facts Syncthing counts — the config, each folder's global totals, its ignore
 * lines, the live connections — in Go's field order, with Go's omitempty (zero values left out,
 * sections always present) and every field newer than the asked version cleared.
 */
export interface UsageFacts {
  cfg: Configuration;
  version: string;
  longVersion: string;
  platform: string;
  uptimeS: number;
  /** Global files and bytes of every running folder (Syncthing skips folders without a snapshot). */
  folderTotals: { files: number; bytes: number }[];
  /** The .stignore lines of every folder that has them. */
  ignoreLines: string[][];
  /** One transport name per live connection: "tcp4", "tcp6". */
  transports: string[];
}

/** The default report version (Syncthing's ur.Version). */
export const USAGE_REPORT_VERSION = 3;

type Json = Record<string, unknown>;

/** Go's omitempty: zero numbers, false, "", empty arrays and maps left out; nested sections stay. */
function omitEmpty(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === 0 || v === false || v === '' || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** A Go map[string]int as JSON: keys sorted, left out when empty (omitempty). */
function countMap(keys: string[]): Record<string, number> | undefined {
  if (keys.length === 0) return undefined;
  const m: Record<string, number> = {};
  for (const k of [...keys].sort()) m[k] = (m[k] ?? 0) + 1;
  return m;
}

const count = <T>(xs: T[], pred: (x: T) => boolean) => xs.reduce((n, x) => n + (pred(x) ? 1 : 0), 0);
const asc = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** How Syncthing classifies the GUI address: loopback, unspecified, or neither (unix sockets, names that are not localhost). */
function guiListen(address: string): 'local' | 'unspecified' | '' {
  if (address.startsWith('unix')) return '';
  const host = address.replace(/^[a-z]+:\/\//, '').replace(/:\d*$/, '').replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return 'local';
  if (net.isIPv4(host)) return host.startsWith('127.') ? 'local' : host === '0.0.0.0' ? 'unspecified' : '';
  if (net.isIPv6(host)) return host === '::1' ? 'local' : /^[0:]+$/.test(host) ? 'unspecified' : '';
  return '';
}

/** IgnoreStats as Syncthing counts them (prefix order free, each prefix once; `**` noops dropped first). */
function ignoreStats(files: string[][]): Json {
  const s = { lines: 0, inverts: 0, folded: 0, deletable: 0, rooted: 0, includes: 0, escapedIncludes: 0, doubleStars: 0, stars: 0 };
  for (const lines of files) {
    s.lines += lines.length;
    for (let line of lines) {
      const seen = { '!': false, '(?i)': false, '(?d)': false };
      for (;;) {
        if (line.startsWith('!') && !seen['!']) {
          seen['!'] = true;
          line = line.slice(1);
          s.inverts++;
        } else if (line.startsWith('(?i)') && !seen['(?i)']) {
          seen['(?i)'] = true;
          line = line.slice(4);
          s.folded++;
        } else if (line.startsWith('(?d)') && !seen['(?d)']) {
          seen['(?d)'] = true;
          line = line.slice(4);
          s.deletable++;
        } else break;
      }
      if (line.endsWith('**')) line = line.slice(0, -2);
      if (line.startsWith('**/')) line = line.slice(3);
      if (line.startsWith('/')) s.rooted++;
      else if (line.startsWith('#include ')) {
        s.includes++;
        if (line.includes('..')) s.escapedIncludes++;
      }
      if (line.includes('**')) {
        s.doubleStars++;
        line = line.replaceAll('**', '');
      }
      if (line.includes('*')) s.stars++;
    }
  }
  return omitEmpty(s);
}

let perf: { sha256: number; hash: number } | undefined;

/**
 * SHA-256 throughput in MiB/s, measured once (about 60 ms): `sha256Perf` on one 16 MiB buffer, and
 * `hashPerf` as the scanner hashes, block by 128 KiB block. Syncthing takes the best of five
 * 125 ms rounds of each, every time the report is built.
 */
function hashPerf(): { sha256: number; hash: number } {
  if (!perf) {
    const buf = Buffer.alloc(16 << 20, 7);
    const mibs = (t0: number) => Math.round((16 / ((performance.now() - t0) / 1000)) * 100) / 100;
    let t0 = performance.now();
    createHash('sha256').update(buf).digest();
    const sha256 = mibs(t0);
    t0 = performance.now();
    for (let off = 0; off < buf.length; off += 128 << 10) createHash('sha256').update(buf.subarray(off, off + (128 << 10))).digest();
    perf = { sha256, hash: mibs(t0) };
  }
  return perf;
}

/** The report of `version` (1, 2, 3; higher counts as 3 with its own urVersion). */
export function usageReport(f: UsageFacts, version: number): Json {
  const { cfg } = f;
  const o = cfg.options;
  const opt = <T>(k: string, d: T) => (o[k] ?? d) as T;
  const folders = cfg.folders;
  const devices = cfg.devices;
  const maxOf = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
  const mib = (b: number) => Math.floor(b / 1048576);
  const p = hashPerf();

  const v1: Json = {
    uniqueID: o.urUniqueId,
    version: f.version,
    longVersion: f.longVersion,
    platform: f.platform,
    numFolders: folders.length,
    numDevices: devices.length,
    totFiles: f.folderTotals.reduce((a, t) => a + t.files, 0),
    folderMaxFiles: maxOf(f.folderTotals.map((t) => t.files)),
    totMiB: mib(f.folderTotals.reduce((a, t) => a + t.bytes, 0)),
    folderMaxMiB: mib(maxOf(f.folderTotals.map((t) => t.bytes))),
    memoryUsageMiB: Math.round(process.memoryUsage().rss / 1048576),
    sha256Perf: p.sha256,
    hashPerf: p.hash,
    memorySize: Math.round(os.totalmem() / 1048576),
  };
  const v2 = version >= 2;
  const v3 = version >= 3;
  const section = (on: boolean, fields: Json) => (on ? omitEmpty(fields) : {});
  const announce = opt<string[]>('globalAnnounceServers', []);
  const listen = o.listenAddresses.flatMap((a) => (a === 'default' ? ['tcp://0.0.0.0:22000', 'quic://0.0.0.0:22000', 'dynamic+https://relays.syncthing.net/endpoint'] : [a]));
  const stun = opt<string[]>('stunServers', []);

  const report: Json = {
    ...v1,
    urVersion: v2 ? version : 0,
    numCPU: v2 ? os.availableParallelism() : 0,
    folderUses: section(v2, {
      sendonly: count(folders, (x) => x.type === 'sendonly'),
      sendreceive: count(folders, (x) => x.type === 'sendreceive'),
      receiveonly: count(folders, (x) => x.type === 'receiveonly'),
      ignorePerms: count(folders, (x) => x.ignorePerms),
      ignoreDelete: count(folders, (x) => x.ignoreDelete),
      autoNormalize: count(folders, (x) => x.autoNormalize),
      simpleVersioning: count(folders, (x) => x.versioning.type === 'simple'),
      externalVersioning: count(folders, (x) => x.versioning.type === 'external'),
      staggeredVersioning: count(folders, (x) => x.versioning.type === 'staggered'),
      trashcanVersioning: count(folders, (x) => x.versioning.type === 'trashcan'),
    }),
    deviceUses: section(v2, {
      introducer: count(devices, (d) => d.introducer),
      customCertName: count(devices, (d) => d.certName !== '' && d.certName !== 'syncthing'),
      compressAlways: count(devices, (d) => d.compression === 'always'),
      compressMetadata: count(devices, (d) => d.compression === 'metadata'),
      compressNever: count(devices, (d) => d.compression === 'never'),
      dynamicAddr: devices.reduce((n, d) => n + count(d.addresses, (a) => a === 'dynamic'), 0),
      staticAddr: devices.reduce((n, d) => n + count(d.addresses, (a) => a !== 'dynamic'), 0),
    }),
    announce: section(v2, {
      globalEnabled: o.globalAnnounceEnabled,
      localEnabled: o.localAnnounceEnabled,
      defaultServersDNS: count(announce, (a) => ['default', 'default-v4', 'default-v6'].includes(a)),
      otherServers: count(announce, (a) => !['default', 'default-v4', 'default-v6'].includes(a)),
    }),
    relays: section(v2, {
      enabled: opt('relaysEnabled', false),
      defaultServers: count(listen, (a) => a === 'dynamic+https://relays.syncthing.net/endpoint'),
      otherServers: count(listen, (a) => a !== 'dynamic+https://relays.syncthing.net/endpoint' && (a.startsWith('relay://') || a.startsWith('dynamic+http'))),
    }),
    usesRateLimit: v2 && (opt('maxRecvKbps', 0) > 0 || opt('maxSendKbps', 0) > 0),
    // upgradeAllowedManual/Auto/Pre: Synchro never upgrades itself, as a build with upgrades compiled out.
    rescanIntvs: v2 ? asc(folders.map((x) => x.rescanIntervalS)) : [],
  };
  if (v3) {
    Object.assign(report, {
      uptime: f.uptimeS,
      natType: 'unknown',
      alwaysLocalNets: opt<string[]>('alwaysLocalNets', []).length > 0,
      cacheIgnoredFiles: opt('cacheIgnoredFiles', false),
      overwriteRemoteDeviceNames: opt('overwriteRemoteDeviceNamesOnConnect', false),
      progressEmitterEnabled: opt('progressUpdateIntervalS', 5) > -1,
      customDefaultFolderPath: cfg.defaults.folder.path !== '~',
      customTrafficClass: opt('trafficClass', 0) !== 0,
      customTempIndexMinBlocks: opt('tempIndexMinBlocks', 10) !== 10,
      temporariesDisabled: o.keepTemporariesH === 0,
      temporariesCustom: o.keepTemporariesH !== 24,
      limitBandwidthInLan: opt('limitBandwidthInLan', false),
      customReleaseURL: opt<string>('releasesURL', '') !== 'https://upgrades.syncthing.net/meta.json',
      customStunServers: stun.length !== 1 || stun[0] !== 'default',
    });
  }
  const gui = cfg.gui;
  const where = guiListen(gui.address);
  const v3Sections: Json = {
    folderUsesV3: section(v3, {
      scanProgressDisabled: count(folders, (x) => x.scanProgressIntervalS < 0),
      conflictsDisabled: count(folders, (x) => x.maxConflicts === 0),
      conflictsUnlimited: count(folders, (x) => x.maxConflicts < 0),
      conflictsOther: count(folders, (x) => x.maxConflicts > 0),
      disableSparseFiles: count(folders, (x) => x.disableSparseFiles),
      disableTempIndexes: count(folders, (x) => x.disableTempIndexes),
      alwaysWeakHash: count(folders, (x) => x.weakHashThresholdPct < 0),
      customWeakHashThreshold: count(folders, (x) => x.weakHashThresholdPct >= 0 && x.weakHashThresholdPct !== 25),
      fsWatcherEnabled: count(folders, (x) => x.fsWatcherEnabled),
      pullOrder: countMap(folders.map((x) => x.order)),
      filesystemType: countMap(folders.map((x) => x.filesystemType)),
      fsWatcherDelays: asc(folders.map((x) => Math.trunc(x.fsWatcherDelayS))),
      customMarkerName: count(folders, (x) => x.markerName !== '.stfolder'),
      copyOwnershipFromParent: count(folders, (x) => x.copyOwnershipFromParent),
      modTimeWindowS: folders.map((x) => x.modTimeWindowS),
      maxConcurrentWrites: folders.map((x) => x.maxConcurrentWrites),
      disableFsync: count(folders, (x) => x.disableFsync),
      blockPullOrder: countMap(folders.map((x) => x.blockPullOrder)),
      copyRangeMethod: countMap(folders.map((x) => x.copyRangeMethod)),
      caseSensitiveFS: count(folders, (x) => x.caseSensitiveFS),
      receiveencrypted: count(folders, (x) => x.type === 'receiveencrypted'),
    }),
    deviceUsesV3: section(v3, { untrusted: count(devices, (d) => d.untrusted) }),
    guiStats: section(v3 && gui.enabled, {
      enabled: 1,
      useTLS: gui.useTLS || gui.address.startsWith('https://') ? 1 : 0,
      useAuth: gui.user !== '' && gui.password !== '' ? 1 : 0,
      insecureAdminAccess: gui.insecureAdminAccess ? 1 : 0,
      debugging: gui.debugging ? 1 : 0,
      insecureSkipHostCheck: gui.insecureSkipHostcheck ? 1 : 0,
      insecureAllowFrameLoading: gui.insecureAllowFrameLoading ? 1 : 0,
      listenLocal: where === 'local' ? 1 : 0,
      listenUnspecified: where === 'unspecified' ? 1 : 0,
      theme: countMap([gui.theme]),
    }),
    // Nothing is pulled from peers yet, so there are no block statistics to count.
    blockStats: {},
    transportStats: v3 ? countMap(f.transports) : undefined,
    ignoreStats: v3 ? ignoreStats(f.ignoreLines) : {},
  };
  const out = omitEmpty({ ...report, ...v3Sections });
  return out;
}
