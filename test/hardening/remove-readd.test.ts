import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Service } from './crash-harness.js';
import { generatedHome } from '../support/generated-home.js';
import { freePort } from '../support/syncthing-ref.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Issue 22 item 4: a folder removed during its scan, the process killed with SIGKILL somewhere in
 * the removal, restarted, and a folder added again under the same ID at an empty path: the new
 * folder starts with an empty index and scans without error (the old records must not return).
 */

const ROUNDS = 6;

test('removed mid-scan, killed, restarted and re-added under the same ID: the folder starts empty', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const old = path.join(dir, 'old');
  for (let d = 0; d < 20; d++) {
    await fs.mkdir(path.join(old, `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(path.join(old, `d${d}`, `f${i}.txt`), `file ${d}/${i}\n`)));
  }
  const port = await freePort();
  const apiKey = 'remove-readd-key-0123456789abcdef';
  const home = path.join(dir, 'home');
  await generatedHome(home, { port, apiKey, folders: [] });
  const svc = new Service(home, port, apiKey);
  t.after(() => svc.kill());
  await svc.start();
  for (let round = 0; round < ROUNDS; round++) {
    // The old folder, scanning (a fresh index each round: it is removed each round).
    const ev = await svc.json('/rest/events?since=0&timeout=0');
    let since = ev.length ? ev.at(-1).id : 0;
    let res = await svc.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: old, fsWatcherEnabled: false, rescanIntervalS: 0 }) });
    assert.equal(res.status, 200, await res.text());
    // Wait for the first batch of the scan to be in the index: the removal comes mid-scan.
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.ok(Date.now() < deadline, `round ${round}: the scan wrote nothing`);
      const evs: { id: number; type: string; data: { folder: string } }[] = await svc.json(`/rest/events?since=${since}&timeout=5`);
      if (evs.some((e) => e.type === 'LocalIndexUpdated' && e.data.folder === 'f')) break;
      since = evs.at(-1)?.id ?? since;
    }
    // Remove it and kill the process somewhere during or just after the removal.
    const removal = svc.req('/rest/config/folders/f', { method: 'DELETE' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, (round * 37) % 120));
    await svc.kill();
    await removal;
    await svc.start();
    // If the kill came before the removal was saved, the folder is still there: remove it now.
    const cfg = await svc.json('/rest/config/folders');
    if (cfg.some((f: { id: string }) => f.id === 'f')) assert.equal((await svc.req('/rest/config/folders/f', { method: 'DELETE' })).status, 200);
    const empty = path.join(dir, `empty-${round}`);
    await fs.mkdir(empty);
    res = await svc.req('/rest/config/folders', { method: 'POST', body: JSON.stringify({ id: 'f', path: empty, fsWatcherEnabled: false, rescanIntervalS: 0 }) });
    assert.equal(res.status, 200);
    assert.equal((await svc.req('/rest/db/scan?folder=f', { method: 'POST' })).status, 200, `round ${round}: the new folder scans`);
    const st = await svc.json('/rest/db/status?folder=f');
    assert.equal(st.state, 'idle', `round ${round}: ${st.error}`);
    assert.equal(st.error, '', `round ${round}`);
    assert.equal(st.localFiles + st.localDirectories + st.localDeleted, 0, `round ${round}: no old record came back`);
    assert.equal((await svc.req('/rest/db/file?folder=f&file=d3/f7.txt')).status, 404, `round ${round}`);
    assert.equal((await svc.req('/rest/config/folders/f', { method: 'DELETE' })).status, 200);
  }
});
