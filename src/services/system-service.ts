import os from 'node:os';
import path from 'node:path';
import type { ConfigStore } from '../config/config-store.js';
import type { ConnectionService } from './connections/connection-service.js';
import type { FolderService } from './folder-service.js';
import { usageReport, USAGE_REPORT_VERSION } from './usage-report.js';
import type { Clock } from '../shared/clock.js';
import type { Paths } from '../shared/paths.js';
import { formatTimeSeconds } from '../shared/time-format.js';
import { versionInfo, goArch, goOs, API_VERSION } from './version.js';

export interface SystemServiceDeps {
  config: ConfigStore;
  clock: Clock;
  paths: Paths;
  myId: string;
  /** The address the GUI listener actually bound (host:port). */
  guiAddressUsed: () => string;
  guiAddressOverridden: boolean;
  startMs: number;
  /** Device connections: their status, the listeners', and device statistics. */
  connections: Pick<ConnectionService, 'connections' | 'listenerStatus' | 'deviceStats' | 'transports' | 'traffic'>;
  /** Folder facts for the usage report. */
  folders: Pick<FolderService, 'globalTotals' | 'ignores'>;
}

/** What `default` stands for in globalAnnounceServers (Syncthing 1.x). */
const DEFAULT_DISCOVERY = ['https://discovery.syncthing.net/v2/?noannounce&id=LYXKCHX-VI3NYZR-ALCJBHF-WMZYSPK-QG6QJA3-MPFYMSO-U56GTUK-NA2MIAW', 'https://discovery-v4.syncthing.net/v2/?nolookup&id=LYXKCHX-VI3NYZR-ALCJBHF-WMZYSPK-QG6QJA3-MPFYMSO-U56GTUK-NA2MIAW', 'https://discovery-v6.syncthing.net/v2/?nolookup&id=LYXKCHX-VI3NYZR-ALCJBHF-WMZYSPK-QG6QJA3-MPFYMSO-U56GTUK-NA2MIAW'];

/** How long a `goroutines` count is reused; dashboards poll system/status many times a second. */
const RESOURCE_COUNT_TTL_MS = 1000;

/** Answers for the /rest/system status-like routes; no side effects. */
export class SystemService {
  private resources = { atMs: -Infinity, count: 0 };

  constructor(private readonly d: SystemServiceDeps) {}

  /**
   * Node's nearest thing to Go's goroutine count: live handles and requests. Listing them costs a
   * string per handle — 1.5 ms with ten thousand parked polls, which at a hundred status calls a
   * second was a fifth of the service's CPU — so the count is taken at most once a second.
   */
  private activeResources(): number {
    const now = this.d.clock.nowMs();
    if (now - this.resources.atMs >= RESOURCE_COUNT_TTL_MS) this.resources = { atMs: now, count: process.getActiveResourcesInfo().length };
    return this.resources.count;
  }

  /** The home directory (config, certificates, support bundles). */
  homeDir(): string {
    return this.d.paths.home;
  }

  uptimeS(): number {
    return Math.floor((this.d.clock.nowMs() - this.d.startMs) / 1000);
  }

  status(): Record<string, unknown> {
    const mem = process.memoryUsage();
    const opts = this.d.config.current().options;
    const out: Record<string, unknown> = {
      alloc: mem.heapUsed,
      connectionServiceStatus: this.d.connections.listenerStatus(),
      cpuPercent: 0,
      goroutines: this.activeResources(),
      guiAddressOverridden: this.d.guiAddressOverridden,
      guiAddressUsed: this.d.guiAddressUsed(),
      lastDialStatus: {},
      myID: this.d.myId,
      pathSeparator: path.sep,
      startTime: formatTimeSeconds(this.d.startMs),
      sys: mem.rss,
      tilde: this.d.paths.userHome,
      uptime: this.uptimeS(),
      urVersionMax: 3,
    };
    // Syncthing adds these only when discovery is on. Synchro has no discovery yet: each method
    // it would run is listed with an error that says so, instead of looking as if it worked.
    if (opts.globalAnnounceEnabled || opts.localAnnounceEnabled) {
      const methods: string[] = [];
      if (opts.globalAnnounceEnabled) {
        const servers = (opts.globalAnnounceServers as string[] | undefined) ?? ['default'];
        for (const s of servers.flatMap((x) => (x === 'default' ? DEFAULT_DISCOVERY : [x]))) methods.push(`global@${s}`);
      }
      if (opts.localAnnounceEnabled) methods.push('IPv4 local', 'IPv6 local');
      const why = (m: string) => `${m.startsWith('global@') ? 'global' : 'local'} discovery is not supported by Synchro yet; devices are reached at their static addresses`;
      Object.assign(out, {
        discoveryEnabled: true,
        discoveryErrors: Object.fromEntries(methods.map((m) => [m, why(m)])),
        discoveryMethods: methods.length,
        discoveryStatus: Object.fromEntries(methods.map((m) => [m, { error: why(m) }])),
      });
    }
    return sortKeys(out);
  }

  version(): Record<string, unknown> {
    return { ...versionInfo() };
  }

  pathsMap(): Record<string, string> {
    const p = this.d.paths;
    return sortKeys({
      auditLog: path.join(p.home, 'audit-%{timestamp}.log'),
      'baseDir-config': p.home,
      'baseDir-data': p.home,
      'baseDir-userHome': p.userHome,
      certFile: p.certFile,
      config: p.configFile,
      database: p.databaseDir,
      defFolder: path.join(p.userHome, 'Sync'),
      guiAssets: p.guiDir,
      httpsCertFile: p.httpsCertFile,
      httpsKeyFile: p.httpsKeyFile,
      keyFile: p.keyFile,
      legacyDatabase: path.join(p.home, 'index-v0.14.0.db'),
      lockFile: path.join(p.home, 'synchro.lock'),
      logFile: p.logFile,
      panicLog: path.join(p.home, 'panic-%{timestamp}.log'),
    });
  }

  /** Each device's traffic since start (for /metrics). */
  deviceTraffic(): ReturnType<ConnectionService['traffic']> {
    return this.d.connections.traffic();
  }

  /** /rest/system/connections: every configured device, connected or not, this one included (as 1.19; v1.27 leaves it out). */
  connections(): Record<string, unknown> {
    return this.d.connections.connections();
  }

  /** /rest/stats/device: for every configured device, when it was last seen and how long it stayed. */
  deviceStats(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const dev of this.d.config.current().devices) out[dev.deviceID] = this.d.connections.deviceStats(dev.deviceID);
    return sortKeys(out);
  }

  /** The usage report Syncthing would send (never sent by Synchro); numbers are real where we have them. */
  /** GET /rest/svc/report?version=N: the usage report Syncthing would send, at version N (default 3). */
  async report(version = USAGE_REPORT_VERSION): Promise<Record<string, unknown>> {
    const v = versionInfo();
    const cfg = this.d.config.current();
    const ignoreLines: string[][] = [];
    for (const f of cfg.folders) {
      const r = await this.d.folders.ignores(f.id);
      if (r.ignore) ignoreLines.push(r.ignore);
    }
    return usageReport(
      {
        cfg,
        version: API_VERSION,
        longVersion: v.longVersion,
        platform: `${goOs()}-${goArch()}`,
        uptimeS: this.uptimeS(),
        folderTotals: this.d.folders.globalTotals(),
        ignoreLines,
        transports: this.d.connections.transports(),
      },
      version,
    );
  }
}

/** Go marshals maps with sorted keys; build such objects through this. */
export function sortKeys<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
