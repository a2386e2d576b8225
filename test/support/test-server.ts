import path from 'node:path';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { App, type AppOptions } from '../../src/app.js';
import { tempDir } from './temp-dir.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TestServer {
  app: App;
  base: string;
  home: string;
  apiKey: string;
  /** Log lines the server wrote. */
  logs: string[];
  /** fetch against the server; `key: false` sends no API key. */
  req(p: string, init?: RequestInit & { key?: string | false }): Promise<Response>;
  /** GET with the API key, parsed JSON (asserts a 2xx). */
  json<T = any>(p: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The whole service on 127.0.0.1:0 with a temp home (and, when `configXml` is given, that
 * config.xml in it). Everything is real: config file, certificate, HTTP.
 */
export async function startServer(opts: Partial<AppOptions> & { configXml?: string } = {}): Promise<TestServer> {
  const { dir, cleanup } = await tempDir();
  const home = opts.home ?? path.join(dir, 'home');
  if (opts.configXml) {
    await fs.mkdir(home, { recursive: true });
    await fs.writeFile(path.join(home, 'config.xml'), opts.configXml);
  }
  const logs: string[] = [];
  const app = await App.start({
    projectRoot,
    guiAddress: '127.0.0.1:0',
    noDefaultFolder: true,
    // Device connections on loopback only, on a port of their own.
    syncListen: ['tcp://127.0.0.1:0'],
    logSink: (t) => void logs.push(t),
    ...opts,
    home,
  });
  const base = `http://${app.address}`;
  const req = (p: string, init: RequestInit & { key?: string | false } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== false && !headers.has('X-API-Key') && !headers.has('Authorization')) headers.set('X-API-Key', init.key ?? app.apiKey);
    return fetch(base + p, { ...init, headers, redirect: 'manual' });
  };
  let stopping: Promise<void> | undefined;
  return {
    app,
    base,
    home,
    get apiKey() {
      return app.apiKey;
    },
    logs,
    req,
    async json(p) {
      const res = await req(p);
      if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as never;
    },
    stop() {
      // Once: a test may stop it itself and again in its t.after.
      return (stopping ??= (async () => {
        await app.stop();
        await cleanup();
      })());
    },
  };
}
