import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import type { Database } from './db.js';

interface Migration {
  version: number;
  file: string;
}

function listMigrations(dir: string): Migration[] {
  return fs
    .readdirSync(dir)
    .map((f) => ({ m: /^(\d{3})-[\w-]+\.sql$/.exec(f), f }))
    .filter((x): x is { m: RegExpExecArray; f: string } => x.m !== null)
    .map(({ m, f }) => ({ version: Number(m[1]), file: path.join(dir, f) }))
    .sort((a, b) => a.version - b.version);
}

/** The schema version recorded in the database (0 for a new one). */
export function schemaVersion(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Work a migration needs beyond its SQL, run right after it in the same transaction. */
export type MigrationSteps = Record<number, (db: Database) => void>;

/**
 * Brings the database to the newest schema: every pending migration (and its step) in one
 * transaction, with foreign keys off while tables are rebuilt and checked afterwards. A database
 * newer than the newest migration we ship is refused, untouched.
 */
export function applyMigrations(db: Database, dir: string, file: string, steps: MigrationSteps = {}): number {
  const all = listMigrations(dir);
  const latest = all.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new AppError('invalid', `index database ${file} has schema version ${current}, newer than this Synchro supports (${latest}); refusing to open it`);
  }
  const pending = all.filter((m) => m.version > current);
  if (pending.length === 0) return current;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const m of pending) {
        db.exec(fs.readFileSync(m.file, 'utf8'));
        steps[m.version]?.(db);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
      }
      const problems = db.pragma('foreign_key_check') as unknown[];
      if (problems.length) throw new AppError('internal', `migration left ${problems.length} foreign key problems`);
    })();
  } finally {
    db.pragma('foreign_keys = ON');
  }
  return latest;
}
