import fs from 'node:fs/promises';
import path from 'node:path';
import { startServer, type TestServer } from './test-server.js';
import { tempDir } from './temp-dir.js';

/** What a fresh walk of a folder finds (the .stfolder marker and other root internals left out). */
export async function walkCounts(root: string): Promise<{ files: number; directories: number; symlinks: number; bytes: number }> {
  const out = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  const visit = async (rel: string): Promise<void> => {
    for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && ['.stfolder', '.stignore', '.stversions'].includes(e.name)) continue;
      // Syncthing's temporary names are never indexed (a crash can leave one behind).
      if (e.name.startsWith('.syncthing.') || e.name.startsWith('~syncthing~')) continue;
      if (e.isSymbolicLink()) out.symlinks++;
      else if (e.isDirectory()) {
        out.directories++;
        await visit(r);
      } else if (e.isFile()) {
        out.files++;
        out.bytes += (await fs.stat(path.join(root, r))).size;
      }
    }
  };
  await visit('');
  return out;
}

/** Adds a folder through the API and waits until its first scan is done. */
export async function addFolder(s: TestServer, id: string, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await s.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id, path: dir, fsWatcherEnabled: false, ...extra }) });
  if (res.status !== 200) throw new Error(`add folder: ${res.status} ${await res.text()}`);
  await scan(s, id);
}

export async function scan(s: TestServer, id: string, subs: string[] = []): Promise<Response> {
  const q = new URLSearchParams({ folder: id });
  for (const sub of subs) q.append('sub', sub);
  return s.req(`/rest/db/scan?${q}`, { method: 'POST' });
}

/** Asserts-friendly view of the local counters of /rest/db/status. */
export async function localCounts(s: TestServer, id: string) {
  const st = await s.json(`/rest/db/status?folder=${id}`);
  return { files: st.localFiles, directories: st.localDirectories, symlinks: st.localSymlinks, bytes: st.localBytes };
}

export async function write(root: string, rel: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), content);
}

/** Waits (up to `ms`) for an event of `type` on the default stream that satisfies `pred`. */
export async function waitForEvent(s: TestServer, type: string, pred: (e: any) => boolean = () => true, ms = 10_000): Promise<any> {
  const end = Date.now() + ms;
  let since = 0;
  while (Date.now() < end) {
    const evs = await s.json(`/rest/events?since=${since}&timeout=${Math.max(1, Math.ceil((end - Date.now()) / 1000))}`);
    for (const e of evs) if (e.type === type && pred(e)) return e;
    if (evs.length) since = evs.at(-1).id;
  }
  throw new Error(`no ${type} event within ${ms} ms`);
}

/** A server and an empty folder directory `<tmp>/f`, both removed after the test; `add()` adds it as folder "f". */
export async function folderSetup(t: { after: (fn: () => Promise<void>) => void }, extra: Record<string, unknown> = {}, serverOpts: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(serverOpts);
  const { dir, cleanup } = await tempDir();
  t.after(async () => {
    await s.stop();
    await cleanup();
  });
  const root = path.join(dir, 'f');
  await fs.mkdir(root);
  return { s, root, dir, add: () => addFolder(s, 'f', root, extra) };
}
