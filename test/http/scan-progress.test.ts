// Issue 23 item 10: FolderScanProgress moves inside a big file and carries a rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { folderSetup } from '../support/folder-helpers.js';
import { ManualClock } from '../support/manual-clock.js';

test('FolderScanProgress advances within one big file, reports a rate, and ends at total - 1', async (t) => {
  const clock = new ManualClock();
  const { s, root } = await folderSetup(t, {}, { clock });
  const size = 1 << 30;
  const fh = await fs.open(path.join(root, 'big.bin'), 'w');
  await fh.truncate(size); // sparse: hashed like any other 1 GiB
  await fh.close();
  const res = await s.req('/rest/config/folders', {
    method: 'POST',
    body: JSON.stringify({ id: 'f', path: root, fsWatcherEnabled: false, scanProgressIntervalS: 1, rescanIntervalS: 0 }),
  });
  assert.equal(res.status, 200);

  type Progress = { current: number; total: number; rate: number; folder: string };
  const seen: Progress[] = [];
  let since = 0;
  let idle = false;
  const end = Date.now() + 120_000;
  while (!idle) {
    assert.ok(Date.now() < end, `the scan ended (progress so far: ${JSON.stringify(seen)})`);
    // One progress interval of folder time per round; the hashing runs on real time meanwhile.
    await clock.advance(1000);
    const evs = await s.json(`/rest/events?since=${since}&timeout=0`);
    for (const e of evs) {
      if (e.type === 'FolderScanProgress') seen.push(e.data);
      if (e.type === 'StateChanged' && e.data.folder === 'f' && e.data.from === 'scanning' && e.data.to === 'idle') idle = true;
    }
    if (evs.length) since = evs.at(-1).id;
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(seen.length >= 2, `progress events: ${JSON.stringify(seen)}`);
  for (const p of seen) assert.deepEqual(Object.keys(p), ['current', 'folder', 'rate', 'total']);
  assert.ok(seen.every((p) => p.total === size + 1), 'total is the bytes to hash plus one, as Syncthing counts');
  const within = seen.filter((p) => p.current > 0 && p.current < size);
  assert.ok(within.length >= 1, `current moved while the one file was hashed: ${JSON.stringify(seen.map((p) => p.current))}`);
  assert.ok(within.every((p) => p.rate > 0), 'a rate in bytes per second while hashing');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.current >= seen[i - 1]!.current, 'never backwards');
  assert.equal(seen.at(-1)!.current, size, 'the last event, when hashing is done, has everything hashed');
});
