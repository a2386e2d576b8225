import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { IndexStore } from '../../src/index/index-store.js';
import { openDatabase, type Database } from '../../src/index/db.js';
import { schemaVersion } from '../../src/index/migrate.js';
import { shortDeviceId } from '../../src/shared/device-id.js';
import { Flag, FileType, type FileInfo } from '../../src/shared/file-info.js';
import { addFolder, scan, write } from '../support/folder-helpers.js';
import { startServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { projectRoot } from '../support/test-server.js';

/**
 * Issue 25, item 6: an index written before migration 003 (7-character ShortIDs, no index IDs)
 * upgrades in place — nothing rescanned, nothing lost, REST answering as before — and an upgrade
 * cut short leaves the old index whole, to be upgraded on the next start.
 */

const MIGRATIONS = path.join(projectRoot, 'migrations');

/** Turns a current index back into what the code before migration 003 wrote: 7-character IDs, no 003 tables. */
function downgrade(db: Database): void {
  db.transaction(() => {
    const rows = db.prepare('SELECT id, version, modified_by FROM files').all() as { id: number; version: string; modified_by: string }[];
    const set = db.prepare('UPDATE files SET version = ?, modified_by = ? WHERE id = ?');
    const b32 = (hex: string) => {
      const v = BigInt('0x' + hex);
      let out = '';
      for (let i = 0; i < 7; i++) out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Number((v >> BigInt(59 - 5 * i)) & 31n)];
      return out;
    };
    for (const r of rows) {
      const version = r.version ? r.version.split(',').map((p) => `${b32(p.slice(0, 16))}${p.slice(16)}`).join(',') : '';
      set.run(version, r.modified_by ? b32(r.modified_by) : '', r.id);
    }
    db.exec('DROP TABLE index_ids; DROP TABLE mtimes; DELETE FROM schema_migrations WHERE version >= 3');
  })();
}

test('an index from before migration 003 upgrades in place: the same REST answers, no rescan, receive-only changes kept', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'home');
  const root = path.join(dir, 'f');
  await fs.mkdir(root);
  let s = await startServer({ home });
  for (let i = 0; i < 30; i++) await write(root, `d${i % 3}/f${i}.txt`, `content ${i}`);
  await addFolder(s, 'f', root, { type: 'receiveonly' });
  await scan(s, 'f');
  await write(root, 'd1/f4.txt', 'a local change');
  await fs.rm(path.join(root, 'd2', 'f5.txt'));
  await scan(s, 'f');
  const ask = async () => ({
    status: await s.json('/rest/db/status?folder=f'),
    file: await s.json('/rest/db/file?folder=f&file=d1/f4.txt'),
    changed: await s.json('/rest/db/localchanged?folder=f'),
    browse: await s.json('/rest/db/browse?folder=f'),
  });
  const before = await ask();
  assert.equal(before.file.local.modifiedBy, shortDeviceId(s.app.myId));
  assert.equal(before.changed.files.length, 32, 'every item of a receive-only folder without peers is a local change (30 files, 3 directories, one deleted again)');
  await s.stop();

  const file = path.join(home, 'index-v1', 'index.db');
  const db = openDatabase(file);
  downgrade(db);
  assert.equal(schemaVersion(db), 2);
  assert.match((db.prepare("SELECT version FROM files WHERE name = 'd1/f4.txt'").get() as { version: string }).version, /^[A-Z2-7]{7}:\d+$/);
  db.close();

  s = await startServer({ home });
  t.after(() => s.stop());
  await scan(s, 'f');
  const after = await ask();
  for (const k of ['status', 'file', 'changed', 'browse'] as const) {
    const strip = (x: any) => JSON.parse(JSON.stringify(x, (key, val) => (['stateChanged', 'lastScan'].includes(key) ? undefined : val)));
    assert.deepEqual(strip(after[k]), strip(before[k]), k);
  }
  assert.equal(after.status.sequence, before.status.sequence, 'nothing was rescanned into new records');
  const again = openDatabase(file);
  assert.equal(schemaVersion(again), 4);
  assert.match((again.prepare("SELECT version FROM files WHERE name = 'd1/f4.txt'").get() as { version: string }).version, /^[0-9a-f]{16}:\d+$/);
  again.close();
});

function record(name: string, i: number): FileInfo {
  return {
    name, type: FileType.File, size: i, modifiedNs: BigInt(i), permissions: 0o644, noPermissions: false, deleted: false, localFlags: i % 10 === 0 ? Flag.ReceiveOnly : 0,
    version: [['ABCDEFG', i + 1]], modifiedBy: 'ABCDEFG', blockSize: 131072, blockHashes: new Uint8Array(32).fill(i % 251), blocksHash: new Uint8Array(32).fill(i % 251),
    symlinkTarget: '', inodeChangeNs: 0n, sequence: 0,
  };
}

test('an upgrade cut short — a failing later step, or kill -9 at any moment — leaves the old index whole, and the next start upgrades it', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  // A schema-2 index: records with 7-character IDs, as the code before 003 wrote them, and no 003 tables.
  const seed = path.join(dir, 'seed.db');
  const st = IndexStore.open(seed, MIGRATIONS);
  for (let i = 0; i < 60_000; i += 1000) st.updateLocal('f', Array.from({ length: 1000 }, (_, j) => record(`d${(i + j) % 50}/f${i + j}`, i + j)));
  st.close();
  const raw = openDatabase(seed);
  raw.exec('DROP TABLE index_ids; DROP TABLE mtimes; DELETE FROM schema_migrations WHERE version >= 3');
  raw.close();
  const versionsOf = (file: string) => {
    const db = openDatabase(file);
    const out = { schema: schemaVersion(db), rows: (db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n, wide: (db.prepare("SELECT count(*) AS n FROM files WHERE version LIKE '%:%' AND length(modified_by) = 16").get() as { n: number }).n };
    db.close();
    return out;
  };
  assert.deepEqual(versionsOf(seed), { schema: 2, rows: 60_000, wide: 0 });

  // A later step fails: 003 and 004 are rolled back with it.
  const failing = path.join(dir, 'failing-migrations');
  await fs.cp(MIGRATIONS, failing, { recursive: true });
  await fs.writeFile(path.join(failing, '005-broken.sql'), 'SELECT * FROM no_such_table;\n');
  const a = path.join(dir, 'a.db');
  await fs.copyFile(seed, a);
  assert.throws(() => IndexStore.open(a, failing, []), /no such table/);
  assert.deepEqual(versionsOf(a), { schema: 2, rows: 60_000, wide: 0 });
  IndexStore.open(a, MIGRATIONS, []).close();
  assert.deepEqual(versionsOf(a), { schema: 4, rows: 60_000, wide: 60_000 });

  // kill -9 of a process that is upgrading, at several moments: never half upgraded.
  const child = path.join(dir, 'upgrade.mjs');
  await fs.writeFile(child, `import { IndexStore } from ${JSON.stringify(path.join(projectRoot, 'src/index/index-store.ts'))};\nprocess.stdout.write('open\\n');\nIndexStore.open(process.argv[2], ${JSON.stringify(MIGRATIONS)}, []).close();\nprocess.stdout.write('done\\n');\n`);
  for (const delayMs of [50, 150, 300, 600]) {
    const b = path.join(dir, `b${delayMs}.db`);
    await fs.copyFile(seed, b);
    const p = spawn(process.execPath, ['--import', 'tsx', child, b], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => p.once('exit', r));
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c));
    await new Promise<void>((r) => p.stdout.once('data', () => r()));
    await new Promise((r) => setTimeout(r, delayMs));
    p.kill('SIGKILL');
    await exited;
    const state = versionsOf(b);
    assert.ok(
      (state.schema === 2 && state.wide === 0) || (state.schema === 4 && state.wide === 60_000),
      `killed after ${delayMs} ms (${out.trim().split('\n').join(', ')}): ${JSON.stringify(state)}`,
    );
    IndexStore.open(b, MIGRATIONS, []).close();
    assert.deepEqual(versionsOf(b), { schema: 4, rows: 60_000, wide: 60_000 });
  }
});
