import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { parseConfigXml } from '../../src/config/xml.js';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { addFolder, scan, walkCounts, write } from '../support/folder-helpers.js';
import { check, operations, requests, send } from './fuzz-kit.js';

/**
 * One fuzz session: a real server with a folder and a device, `runs` generated requests over every
 * operation (seeded: the seed is printed, and fast-check prints the failing case and how to replay
 * it), then the checks that nothing was lost: config.xml parses and holds the same folders, devices
 * and credentials, and a rescan of the folder agrees with the disk.
 */
export async function fuzzSession(opts: { runs: number; seed: number; parkMs?: number; log?: (s: string) => void }): Promise<{ requests: number; statuses: Record<number, number> }> {
  const log = opts.log ?? (() => undefined);
  const s = await startServer();
  const { dir, cleanup } = await tempDir();
  try {
    const root = path.join(dir, 'data');
    await write(root, 'a.txt', 'hello');
    await write(root, 'sub/b.bin', Buffer.alloc(200_000, 7));
    await write(root, 'sub/deeper/c.txt', 'c');
    await addFolder(s, 'data', root);
    const peer = 'AIR6LPZ-7K4PTTV-UXQSMUU-CPQ5YWH-OEDFIIQ-JUG777G-2YQXXR5-YD6AWQR';
    await s.req('/rest/config/devices', { method: 'POST', body: JSON.stringify({ deviceID: peer, name: 'peer' }) });
    const configFile = path.join(s.home, 'config.xml');
    const held = (text: string) => {
      const { cfg } = parseConfigXml(text);
      return {
        folders: cfg.folders.map((f) => [f.id, f.path, f.type]),
        devices: cfg.devices.map((d) => d.deviceID).sort(),
        apiKey: cfg.gui.apiKey,
        user: cfg.gui.user,
        password: cfg.gui.password,
      };
    };
    const before = held(await fs.readFile(configFile, 'utf8'));
    const doc = await s.json('/rest/openapi.json');
    const ops = operations(doc);
    const port = Number(s.app.address.split(':').pop());
    const known = { apiKey: s.apiKey, folderIds: ['data'], deviceIds: [peer, s.app.myId] };
    const statuses: Record<number, number> = {};
    let count = 0;
    // Writes the service accepted, so a changed config.xml names its suspects.
    const accepted: string[] = [];
    log(`fuzz: ${ops.length} operations, ${opts.runs} requests, seed ${opts.seed}`);
    await fc.assert(
      fc.asyncProperty(requests(ops, known), async (r) => {
        count++;
        const a = await send(port, r, opts.parkMs ?? 300);
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        if (r.method !== 'GET' && a.status >= 200 && a.status < 300) accepted.push(`${r.method} ${r.url.slice(0, 120)} ${r.body?.subarray(0, 120).toString() ?? ''} → ${a.status}`);
        const problem = check(r, a);
        if (problem) throw new Error(`${r.method} ${r.url.slice(0, 300)}: ${problem}`);
      }),
      { seed: opts.seed, numRuns: opts.runs, endOnFailure: false },
    );

    // The service is still up and still itself.
    assert.equal((await s.json('/rest/system/ping')).ping, 'pong');
    assert.deepEqual(held(await fs.readFile(configFile, 'utf8')), before, `config.xml holds what it held; writes accepted:\n${accepted.slice(-20).join('\n')}`);
    // The index opens and agrees with the disk after a rescan.
    const res = await scan(s, 'data');
    assert.equal(res.status, 200);
    const st = await s.json('/rest/db/status?folder=data');
    const disk = await walkCounts(root);
    assert.deepEqual([st.localFiles, st.localDirectories, st.localBytes], [disk.files, disk.directories, disk.bytes]);
    return { requests: count, statuses };
  } finally {
    await s.stop();
    await cleanup();
  }
}
