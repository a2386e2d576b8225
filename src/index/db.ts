import BetterSqlite3 from 'better-sqlite3';
import { AppError, messageOf } from '../shared/errors.js';

/** The only importer of better-sqlite3. */
export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;

/**
 * Opens the index database with the settings everything else relies on: WAL (readers never wait
 * for the writer), NORMAL sync (durable at checkpoints, never corrupt), foreign keys, a busy
 * timeout, and recursive triggers so that a REPLACE fires the delete trigger of the row it removes.
 * A file that is not a SQLite database is refused with its name and left untouched.
 */
export function openDatabase(file: string): Database {
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file, { fileMustExist: false });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('recursive_triggers = ON');
    db.pragma('busy_timeout = 5000');
    // Checkpoints every ~40 MiB of WAL instead of SQLite's 4 MiB: a big index write then pays for
    // one checkpoint (and its syncs) now and then, not one every few batches. The WAL file is cut
    // back to 64 MiB after each.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('journal_size_limit = 67108864');
    return db;
  } catch (err) {
    db?.close();
    throw new AppError('invalid', `index database ${file} cannot be opened: ${messageOf(err)}`, { cause: err });
  }
}
