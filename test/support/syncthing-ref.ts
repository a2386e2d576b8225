import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseConfigXml, serializeConfigXml } from '../../src/config/xml.js';

/**
 * A real Syncthing (Debian's `syncthing`, 1.19.2) to compare against. It only ever runs inside a
 * network namespace that has nothing but loopback, with discovery, relays, NAT, usage reporting and
 * upgrades off and every listener on 127.0.0.1.
 */

/** Why the reference cannot run here, or undefined when it can. */
export function referenceUnavailable(): string | undefined {
  try {
    execFileSync('syncthing', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'the syncthing binary is not installed (apt-get install syncthing)';
  }
  let links: string;
  try {
    links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  } catch {
    return 'cannot list network interfaces (ip from iproute2 is missing)';
  }
  const names = links.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]);
  if (names.some((n) => n !== 'lo')) return 'not inside a loopback-only network namespace (run under unshare --net, as .ci/run does)';
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface Reference {
  base: string;
  apiKey: string;
  home: string;
  myId: string;
  /** The tcp://127.0.0.1:PORT this instance listens on for devices. */
  syncAddress: string;
  /** Everything it logged so far (stdout and stderr). */
  log(): string;
  /**
   * Lines of the log that say a connection went wrong (protocol errors, bad certificates, invalid
   * states, connections closed), except those matching `expected`.
   */
  connectionProblems(expected?: RegExp[]): string[];
  /** GET with the API key, parsed JSON. */
  json<T = any>(p: string): Promise<T>;
  /** A request with the API key. */
  req(p: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
}

/** A device the reference knows, and how to reach it. */
export interface RefDevice {
  id: string;
  name?: string;
  addresses?: string[];
  paused?: boolean;
  compression?: 'metadata' | 'always' | 'never';
}

/** A folder of the reference, shared with the given devices. */
export interface RefFolder {
  id: string;
  path: string;
  label?: string;
  type?: 'sendreceive' | 'sendonly' | 'receiveonly';
  devices?: string[];
  paused?: boolean;
  rescanIntervalS?: number;
  fsWatcherEnabled?: boolean;
}

export interface ReferenceOptions {
  apiKey?: string;
  devices?: RefDevice[];
  folders?: RefFolder[];
  /** Default 1 s, so redials in tests are quick. */
  reconnectionIntervalS?: number;
  /** The device name it announces (the hostname otherwise). */
  name?: string;
  /** A fixed sync port (otherwise a free one). */
  syncPort?: number;
  /**
   * Start on a config.xml newer than 1.19.2 knows (version 36): Synchro writes v1.27.3's 37, which
   * 1.19.2 only reads with --allow-newer-config.
   */
  allowNewerConfig?: boolean;
  /** false: run at normal priority (Syncthing's default is nice 11), for comparisons of speed. */
  lowPriority?: boolean;
}

/** `syncthing generate` into `home` (no default folder); returns the device ID it printed. */
export function syncthingGenerate(home: string, defaultFolder = false): string {
  const r = spawnSync('syncthing', ['generate', `--home=${home}`, ...(defaultFolder ? [] : ['--no-default-folder'])], {
    encoding: 'utf8',
    env: { ...process.env, STNOUPGRADE: '1' },
  });
  const m = /Device ID: (\S+)/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`syncthing generate failed: ${r.stderr}`);
  return m[1]!;
}

/** Rewrites config.xml for a loopback-only, quiet instance (through our own config module). */
async function makeLoopbackOnly(home: string, guiPort: number, syncPort: number, apiKey: string, opts: ReferenceOptions = {}): Promise<void> {
  const file = path.join(home, 'config.xml');
  const doc = parseConfigXml(await fs.readFile(file, 'utf8'));
  const o = doc.cfg.options as Record<string, unknown>;
  if (opts.reconnectionIntervalS !== undefined || opts.devices) o.reconnectionIntervalS = opts.reconnectionIntervalS ?? 1;
  const myDevice = doc.cfg.devices[0];
  if (myDevice && opts.name) myDevice.name = opts.name;
  if (opts.devices) {
    const base = doc.cfg.defaults.device;
    const mine = doc.cfg.devices.filter((d) => d.deviceID === myDevice?.deviceID);
    doc.cfg.devices = [
      ...mine,
      ...opts.devices.map((d) => ({ ...structuredClone(base), deviceID: d.id, name: d.name ?? '', addresses: d.addresses ?? ['dynamic'], paused: d.paused ?? false, compression: d.compression ?? 'metadata' })),
    ];
  }
  if (opts.folders) {
    const base = doc.cfg.defaults.folder;
    doc.cfg.folders = opts.folders.map((f) => ({
      ...structuredClone(base),
      id: f.id,
      label: f.label ?? f.id,
      path: f.path,
      type: f.type ?? 'sendreceive',
      paused: f.paused ?? false,
      rescanIntervalS: f.rescanIntervalS ?? 3600,
      fsWatcherEnabled: f.fsWatcherEnabled ?? false,
      devices: [myDevice?.deviceID ?? '', ...(f.devices ?? [])].filter(Boolean).map((id) => ({ deviceID: id, introducedBy: '', encryptionPassword: '' })),
    })) as typeof doc.cfg.folders;
  }
  Object.assign(o, {
    listenAddresses: [`tcp://127.0.0.1:${syncPort}`],
    globalAnnounceEnabled: false,
    localAnnounceEnabled: false,
    relaysEnabled: false,
    natEnabled: false,
    startBrowser: false,
    urAccepted: -1,
    autoUpgradeIntervalH: 0,
    crashReportingEnabled: false,
    announceLANAddresses: false,
  });
  if (opts.lowPriority === false) o.setLowPriority = false;
  doc.cfg.gui.address = `127.0.0.1:${guiPort}`;
  doc.cfg.gui.apiKey = apiKey;
  await fs.writeFile(file, serializeConfigXml(doc));
}

/** The parts of a fresh reference home that must exist before it starts: its device ID. */
export async function prepareReferenceHome(home: string): Promise<string> {
  await fs.mkdir(home, { recursive: true });
  const file = path.join(home, 'config.xml');
  if (await fs.access(file).then(() => true, () => false)) return parseConfigXml(await fs.readFile(file, 'utf8')).cfg.devices[0]?.deviceID ?? '';
  return syncthingGenerate(home);
}

/**
 * Starts Syncthing on an existing or new home and waits until it answers. With `opts`, its
 * devices and folders are set first (static addresses, reconnectionIntervalS 1 s by default), and
 * it runs with TZ=UTC and its log kept.
 */
export async function startReference(home: string, apiKeyOrOpts: string | ReferenceOptions = 'reference-key'): Promise<Reference> {
  const opts: ReferenceOptions = typeof apiKeyOrOpts === 'string' ? { apiKey: apiKeyOrOpts } : apiKeyOrOpts;
  const apiKey = opts.apiKey ?? 'reference-key';
  const myId = await prepareReferenceHome(home);
  const [guiPort, syncPort] = [await freePort(), opts.syncPort ?? (await freePort())];
  await makeLoopbackOnly(home, guiPort, syncPort, apiKey, opts);
  const args = ['serve', `--home=${home}`, '--no-browser', '--no-restart', `--gui-address=127.0.0.1:${guiPort}`, ...(opts.allowNewerConfig ? ['--allow-newer-config'] : [])];
  const child: ChildProcess = spawn('syncthing', args, {
    env: { ...process.env, STNOUPGRADE: '1', STNORESTART: '1', TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let output = '';
  child.stderr?.on('data', (d) => ((stderr += d), (output += d)));
  child.stdout?.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${guiPort}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 1000; i++) {
    if (child.exitCode !== null) throw new Error(`syncthing exited: ${stderr}`);
    const ok = await fetch(`${base}/rest/system/ping`, { headers: { 'X-API-Key': apiKey } }).then((r) => r.ok, () => false);
    if (ok) {
      const st = (await (await fetch(`${base}/rest/system/status`, { headers: { 'X-API-Key': apiKey } })).json()) as { myID: string };
      const req = (p: string, init: RequestInit = {}) => fetch(`${base}${p}`, { ...init, headers: { 'X-API-Key': apiKey, ...(init.headers as Record<string, string>) } });
      return {
        base,
        apiKey,
        home,
        myId: myId || st.myID,
        syncAddress: `tcp://127.0.0.1:${syncPort}`,
        log: () => output,
        connectionProblems: (expected = []) =>
          output
            .split('\n')
            .filter((l) => /protocol error|Bad certificate|invalid state|closed:|Connection to .* closed|Failed to exchange Hello|unknown .*version/i.test(l))
            .filter((l) => !expected.some((e) => e.test(l))),
        req,
        async json<T>(p: string): Promise<T> {
          const r = await req(p);
          if (!r.ok) throw new Error(`reference ${p}: ${r.status} ${await r.text()}`);
          return (await r.json()) as T;
        },
        async stop() {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
        async kill() {
          // `syncthing serve` may run its worker as a child of a monitor process: both go.
          const kids = await childrenOf(child.pid!);
          child.kill('SIGKILL');
          for (const pid of kids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // gone already
            }
          }
          await exited;
          const alive = async (pid: number) => {
            const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
            return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
          };
          for (const pid of kids) for (let i = 0; i < 250 && (await alive(pid)); i++) await new Promise((r) => setTimeout(r, 20));
        },
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`syncthing did not answer: ${stderr}`);
}

/** The processes whose parent is `pid` (from /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await fs.readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(e));
  }
  return out;
}
