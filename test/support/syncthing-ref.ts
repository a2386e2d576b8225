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
  stop(): Promise<void>;
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
async function makeLoopbackOnly(home: string, guiPort: number, syncPort: number, apiKey: string): Promise<void> {
  const file = path.join(home, 'config.xml');
  const doc = parseConfigXml(await fs.readFile(file, 'utf8'));
  const o = doc.cfg.options as Record<string, unknown>;
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
  doc.cfg.gui.address = `127.0.0.1:${guiPort}`;
  doc.cfg.gui.apiKey = apiKey;
  await fs.writeFile(file, serializeConfigXml(doc));
}

/** Starts Syncthing on an existing or new home and waits until it answers. */
export async function startReference(home: string, apiKey = 'reference-key'): Promise<Reference> {
  await fs.mkdir(home, { recursive: true });
  const exists = await fs.access(path.join(home, 'config.xml')).then(() => true, () => false);
  const myId = exists ? '' : syncthingGenerate(home);
  const [guiPort, syncPort] = [await freePort(), await freePort()];
  await makeLoopbackOnly(home, guiPort, syncPort, apiKey);
  const child: ChildProcess = spawn('syncthing', ['serve', `--home=${home}`, '--no-browser', '--no-restart', `--gui-address=127.0.0.1:${guiPort}`], {
    env: { ...process.env, STNOUPGRADE: '1', STNORESTART: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const base = `http://127.0.0.1:${guiPort}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 1000; i++) {
    if (child.exitCode !== null) throw new Error(`syncthing exited: ${stderr}`);
    const ok = await fetch(`${base}/rest/system/ping`, { headers: { 'X-API-Key': apiKey } }).then((r) => r.ok, () => false);
    if (ok) {
      const st = (await (await fetch(`${base}/rest/system/status`, { headers: { 'X-API-Key': apiKey } })).json()) as { myID: string };
      return {
        base,
        apiKey,
        home,
        myId: myId || st.myID,
        async stop() {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`syncthing did not answer: ${stderr}`);
}
