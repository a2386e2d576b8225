import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigStore } from '../../src/config/config-store.js';
import { generateConfig } from '../../src/config/generate.js';
import { prepareConfig } from '../../src/config/prepare.js';
import { parseConfigXml } from '../../src/config/xml.js';
import { EventLog } from '../../src/events/event-log.js';
import { DEFAULT_EVENTS } from '../../src/events/mask.js';
import { systemClock } from '../../src/shared/clock.js';
import { tempDir } from '../support/temp-dir.js';

const ME = 'AQDPWHF-BT27CRX-MBN2PMG-XFAMO4L-TTGXW6B-HTAZELQ-4JOGVPJ-A6AAAA6';

function store(file: string, events = new EventLog({ clock: systemClock })) {
  const cfg = generateConfig(undefined);
  prepareConfig(cfg, ME, 'host');
  return new ConfigStore({ file, events, myId: ME, hostname: 'host', hashPassword: async (p) => `hashed:${p}`, isPasswordHash: (v) => v.startsWith('hashed:') }, cfg);
}

test('a save that fails changes nothing: memory, file and events stay as they were', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'config.xml');
  const events = new EventLog({ clock: systemClock });
  const s = store(file, events);
  await s.save();
  const before = await fs.readFile(file, 'utf8');
  // Make the rename impossible: a directory where the temp file's sibling must be written is gone.
  await fs.rm(dir, { recursive: true });
  await assert.rejects(s.modify((d) => void (d.options.urSeen = 9)), /saving config/);
  assert.equal(s.current().options.urSeen, 0);
  assert.deepEqual(await events.poll(DEFAULT_EVENTS, { since: 0, limit: 0, timeoutMs: 0 }), []);
  await fs.mkdir(dir);
  await fs.writeFile(file, before);
  assert.equal(parseConfigXml(await fs.readFile(file, 'utf8')).cfg.options.urSeen, 0);
});

test('modifications run one at a time, in order; a refused one does not block the next', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = store(path.join(dir, 'config.xml'));
  const results = await Promise.allSettled([
    s.modify((d) => void (d.options.urSeen = 1)),
    s.modify((d) => void d.folders.push({ ...d.defaults.folder, id: '', path: '/x' })),
    s.modify((d) => void (d.options.urSeen = d.options.urSeen + 1)),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(s.current().options.urSeen, 2);
  assert.throws(() => ((s.current().options as { urSeen: number }).urSeen = 5), 'snapshots are frozen');
});

test('a new plaintext password is hashed; an unchanged or already-hashed one is kept', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const s = store(path.join(dir, 'config.xml'));
  await s.modify((d) => void (d.gui.password = 'secret'));
  assert.equal(s.current().gui.password, 'hashed:secret');
  await s.modify((d) => void (d.gui.user = 'u'));
  assert.equal(s.current().gui.password, 'hashed:secret');
  await s.modify((d) => void (d.gui.password = 'hashed:other'));
  assert.equal(s.current().gui.password, 'hashed:other');
});
