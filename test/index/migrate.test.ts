import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IndexStore } from '../../src/index/index-store.js';
import { openDatabase } from '../../src/index/db.js';
import { schemaVersion } from '../../src/index/migrate.js';
import { tempDir } from '../support/temp-dir.js';
import { projectRoot } from '../support/test-server.js';

const MIGRATIONS = path.join(projectRoot, 'migrations');

test('a new database is migrated to the newest schema, and reopening changes nothing', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'index.db');
  IndexStore.open(file, MIGRATIONS).close();
  const db = openDatabase(file);
  const latest = Math.max(...(await fs.readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).map((f) => Number(f.slice(0, 3))));
  assert.equal(schemaVersion(db), latest);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
  db.close();
  IndexStore.open(file, MIGRATIONS).close();
  const again = openDatabase(file);
  assert.deepEqual(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(), tables);
  assert.equal((again.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n, latest);
  again.close();
});

test('a database newer than the code is refused and left untouched', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'index.db');
  IndexStore.open(file, MIGRATIONS).close();
  const db = openDatabase(file);
  db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)').run();
  db.close();
  const before = await fs.readFile(file);
  assert.throws(() => IndexStore.open(file, MIGRATIONS), /schema version 999, newer than this Synchro supports/);
  assert.deepEqual(await fs.readFile(file), before);
});

test('a corrupt database file is refused with its name and left untouched', async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'index.db');
  const garbage = Buffer.from('this is not a sqlite database, just some bytes '.repeat(200));
  await fs.writeFile(file, garbage);
  assert.throws(() => IndexStore.open(file, MIGRATIONS), (e: Error) => e.message.includes(file) && /not a database/.test(e.message));
  assert.deepEqual(await fs.readFile(file), garbage);
});
