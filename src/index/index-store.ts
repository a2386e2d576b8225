import { randomBytes } from 'node:crypto';
import { widenShortId } from '../shared/device-id.js';
import { Flag, INVALID_FLAGS, parseVersion, formatVersion, type FileInfo } from '../shared/file-info.js';
import { summarize, type Bucket, type Counts, type FolderCounts } from './counts.js';
import { openDatabase, type Database, type Statement } from './db.js';
import { globalFlags, versionList, type Candidate } from './global.js';
import { applyMigrations, type MigrationSteps } from './migrate.js';
import { FILE_COLUMNS, brief, fileParams, numberRowToFile, rowToFile, type BriefRecord, type BriefRow, type FileRow, type NumberRow } from './rows.js';

/** The mtime change detection compares: the disk's where the mtime map holds one for the recorded time. */
const DISK_MTIME = 'CASE WHEN m.virtual_ns = f.modified_ns THEN m.disk_ns ELSE f.modified_ns END AS modified_ns';

/** The local device's row in `devices` (Syncthing's LocalDeviceID). */
export const LOCAL_DEVICE = 1;

export interface FolderStats {
  lastScanNs: bigint;
  lastFileName: string;
  lastFileAtNs: bigint;
  lastFileDeleted: boolean;
}

export interface TreeRow {
  name: string;
  type: number;
  size: number;
  modifiedNs: bigint;
}

/** What one batch write did. */
export interface UpdateResult {
  /** The folder's local sequence after the write. */
  sequence: number;
  files: FileInfo[];
}

/**
 * The index: every file, directory and symlink of every folder in SQLite. All SQL of the service
 * lives in this room. Writes are one IMMEDIATE transaction per batch; the callers keep batches
 * bounded so a big scan never holds the write lock for long.
 */
export type { BriefRecord };

export class IndexStore {
  private readonly folderIdx = new Map<string, number>();
  private readonly s: Record<string, Statement>;

  private constructor(private readonly db: Database) {
    const prep = (sql: string, safe = false) => {
      const st = db.prepare(sql);
      return safe ? st.safeIntegers(true) : st;
    };
    this.s = {
      folderGet: prep('SELECT idx FROM folders WHERE folder_id = ?'),
      folderAdd: prep('INSERT INTO folders (folder_id) VALUES (?) RETURNING idx'),
      folderDrop: prep('DELETE FROM folders WHERE folder_id = ?'),
      folderIds: prep('SELECT folder_id FROM folders ORDER BY folder_id'),
      folderSeq: prep('SELECT sequence FROM folders WHERE idx = ?'),
      folderSetSeq: prep('UPDATE folders SET sequence = ? WHERE idx = ?'),
      folderStats: prep('SELECT last_scan_ns, last_file_name, last_file_at_ns, last_file_deleted FROM folders WHERE idx = ?', true),
      setLastScan: prep('UPDATE folders SET last_scan_ns = ? WHERE idx = ?'),
      upsert: prep(
        `INSERT INTO files (folder_idx, device_idx, name, parent, sequence, type, size, modified_ns, permissions, no_permissions,
           deleted, local_flags, version, modified_by, block_size, blocks_hash, previous_blocks_hash, symlink_target, inode_change_ns)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (folder_idx, device_idx, name) DO UPDATE SET
           sequence = excluded.sequence, type = excluded.type, size = excluded.size, modified_ns = excluded.modified_ns,
           permissions = excluded.permissions, no_permissions = excluded.no_permissions, deleted = excluded.deleted,
           local_flags = excluded.local_flags, version = excluded.version, modified_by = excluded.modified_by,
           block_size = excluded.block_size, blocks_hash = excluded.blocks_hash, previous_blocks_hash = excluded.previous_blocks_hash,
           symlink_target = excluded.symlink_target, inode_change_ns = excluded.inode_change_ns`,
      ),
      blocklistAdd: prep('INSERT OR IGNORE INTO blocklists (blocks_hash, block_hashes) VALUES (?, ?)'),
      candidates: prep('SELECT id, device_idx, version, deleted, local_flags, modified_ns FROM files WHERE folder_idx = ? AND name = ?', true),
      setFlags: prep('UPDATE files SET local_flags = ? WHERE id = ?'),
      dropLocal: prep('DELETE FROM files WHERE folder_idx = ? AND device_idx = ? AND name = ?'),
      anyRemote: prep('SELECT EXISTS (SELECT 1 FROM files WHERE folder_idx = ? AND device_idx <> ?) AS x'),
      getLocal: prep(
        `SELECT ${FILE_COLUMNS}, b.block_hashes FROM files f LEFT JOIN blocklists b ON b.blocks_hash = f.blocks_hash
         WHERE f.folder_idx = ? AND f.device_idx = ? AND f.name = ?`,
        true,
      ),
      // Change detection sees a pulled file's mtime as the disk shows it where the disk could not
      // keep the one the index records (the mtime map, bep.md §1.11).
      getBrief: prep(
        `SELECT f.type, f.size, ${DISK_MTIME}, f.permissions, f.no_permissions, f.deleted, f.local_flags, f.symlink_target
         FROM files f LEFT JOIN mtimes m ON m.folder_idx = f.folder_idx AND m.name = f.name WHERE f.folder_idx = ? AND f.device_idx = ? AND f.name = ?`,
        true,
      ),
      briefChildren: prep(
        `SELECT f.name, f.type, f.size, ${DISK_MTIME}, f.permissions, f.no_permissions, f.deleted, f.local_flags, f.symlink_target
         FROM files f INDEXED BY files_by_parent LEFT JOIN mtimes m ON m.folder_idx = f.folder_idx AND m.name = f.name
         WHERE f.folder_idx = ? AND f.parent = ? AND f.device_idx = ?`,
        true,
      ),
      namesUnder: prep('SELECT name, deleted FROM files WHERE folder_idx = ? AND device_idx = ? AND name > ? AND name < ? ORDER BY name LIMIT ?'),
      getGlobal: prep(
        `SELECT ${FILE_COLUMNS}, b.block_hashes FROM files f LEFT JOIN blocklists b ON b.blocks_hash = f.blocks_hash
         WHERE f.folder_idx = ? AND f.name = ? AND f.local_flags & ${Flag.Global}`,
        true,
      ),
      counts: prep('SELECT device_idx, type, local_flags, deleted, count, size FROM counts WHERE folder_idx = ? AND count <> 0'),
      children: prep(
        `SELECT name, type, size, modified_ns FROM files INDEXED BY files_by_parent WHERE folder_idx = ? AND parent = ? AND deleted = 0
           AND local_flags & ${Flag.Global} AND NOT local_flags & ${INVALID_FLAGS} ORDER BY name`,
        true,
      ),
      subtree: prep(
        `SELECT name, type, size, modified_ns FROM files WHERE folder_idx = ? AND name > ? AND name < ? AND deleted = 0
           AND local_flags & ${Flag.Global} AND NOT local_flags & ${INVALID_FLAGS} ORDER BY name`,
        true,
      ),
      flagged: prep(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.folder_idx = ? AND f.device_idx = ? AND f.local_flags & ? ORDER BY f.name LIMIT ? OFFSET ?`, true),
      flaggedAfter: prep(
        `SELECT ${FILE_COLUMNS}, b.block_hashes FROM files f LEFT JOIN blocklists b ON b.blocks_hash = f.blocks_hash
         WHERE f.folder_idx = ? AND f.device_idx = ? AND f.local_flags & ? AND f.name > ? ORDER BY f.name LIMIT ?`,
        true,
      ),
      needed: prep(`SELECT ${FILE_COLUMNS} FROM files f WHERE f.folder_idx = ? AND f.local_flags & ${Flag.Needed} ORDER BY f.name LIMIT ? OFFSET ?`, true),
      remoteNeed: prep(
        `SELECT ${FILE_COLUMNS} FROM files f WHERE f.folder_idx = @folder AND f.local_flags & ${Flag.Global} AND NOT f.local_flags & ${INVALID_FLAGS}
           AND NOT EXISTS (SELECT 1 FROM files r WHERE r.folder_idx = f.folder_idx AND r.name = f.name AND r.device_idx = @device AND r.version = f.version)
           AND NOT (f.deleted = 1 AND NOT EXISTS (SELECT 1 FROM files r WHERE r.folder_idx = f.folder_idx AND r.name = f.name AND r.device_idx = @device))
         ORDER BY f.name LIMIT @limit OFFSET @offset`,
        true,
      ),
      remoteNeedCounts: prep(
        `SELECT f.type AS type, f.deleted AS deleted, count(*) AS n, coalesce(sum(f.size), 0) AS bytes
         FROM files f WHERE f.folder_idx = @folder AND f.name > @after AND f.name <= @upto AND f.local_flags & ${Flag.Global} AND NOT f.local_flags & ${INVALID_FLAGS}
           AND NOT EXISTS (SELECT 1 FROM files r WHERE r.folder_idx = f.folder_idx AND r.name = f.name AND r.device_idx = @device AND r.version = f.version)
           AND NOT (f.deleted = 1 AND NOT EXISTS (SELECT 1 FROM files r WHERE r.folder_idx = f.folder_idx AND r.name = f.name AND r.device_idx = @device))
         GROUP BY f.type, f.deleted`,
      ),
      globalNameAt: prep(
        `SELECT max(name) AS upto FROM (SELECT name FROM files INDEXED BY files_by_global_name WHERE folder_idx = ? AND name > ? ORDER BY name LIMIT ?)`,
      ),
      deviceHasRows: prep('SELECT EXISTS (SELECT 1 FROM files WHERE folder_idx = ? AND device_idx = ?) AS x'),
      deviceIdx: prep('SELECT idx FROM devices WHERE device_id = ?'),
      // INDEXED BY: the planner would otherwise walk the whole folder through the name index.
      sameBlocks: prep(
        `SELECT f.name, f.size FROM files f INDEXED BY files_by_blocks
         WHERE f.blocks_hash = ? AND f.folder_idx = ? AND f.device_idx = ? AND f.deleted = 0 AND f.name <> ? LIMIT ?`,
      ),
      gcCandidates: prep(
        `DELETE FROM blocklists WHERE blocks_hash IN (SELECT blocks_hash FROM blocklist_gc)
           AND NOT EXISTS (SELECT 1 FROM files INDEXED BY files_by_blocks WHERE files.blocks_hash = blocklists.blocks_hash)`,
      ),
      gcClear: prep('DELETE FROM blocklist_gc'),
      deviceAdd: prep('INSERT INTO devices (device_id) VALUES (?) ON CONFLICT (device_id) DO UPDATE SET device_id = excluded.device_id RETURNING idx'),
      indexIdGet: prep('SELECT index_id, max_sequence FROM index_ids WHERE folder_idx = ? AND device_idx = ?', true),
      indexIdSet: prep(
        `INSERT INTO index_ids (folder_idx, device_idx, index_id, max_sequence) VALUES (?, ?, ?, ?)
         ON CONFLICT (folder_idx, device_idx) DO UPDATE SET index_id = excluded.index_id, max_sequence = excluded.max_sequence`,
      ),
      maxSeqSet: prep(
        `INSERT INTO index_ids (folder_idx, device_idx, index_id, max_sequence) VALUES (?, ?, 0, ?)
         ON CONFLICT (folder_idx, device_idx) DO UPDATE SET max_sequence = max(max_sequence, excluded.max_sequence)`,
      ),
      remoteBrief: prep('SELECT id, name FROM files WHERE folder_idx = ? AND device_idx = ? ORDER BY id LIMIT ?'),
      dropRow: prep('DELETE FROM files WHERE id = ?'),
      // Read as plain numbers (no BigInt per column): the two nanosecond times come in halves
      // that a double holds exactly. What sending our index reads, 1,000 rows at a time.
      since: prep(
        `SELECT f.name, f.sequence, f.type, f.size, f.modified_ns / 1000000000 AS mod_s, f.modified_ns % 1000000000 AS mod_ns, f.permissions,
           f.no_permissions, f.deleted, f.local_flags, f.version, f.modified_by, f.block_size, f.blocks_hash, f.previous_blocks_hash,
           f.symlink_target, f.inode_change_ns / 1000000000 AS ic_s, f.inode_change_ns % 1000000000 AS ic_ns, b.block_hashes
         FROM files f INDEXED BY files_by_sequence LEFT JOIN blocklists b ON b.blocks_hash = f.blocks_hash
         WHERE f.folder_idx = ? AND f.device_idx = ${LOCAL_DEVICE} AND f.sequence > ? ORDER BY f.sequence LIMIT ?`,
      ),
      versionsOf: prep('SELECT d.device_id, f.device_idx, f.version, f.deleted, f.local_flags, f.modified_ns FROM files f JOIN devices d ON d.idx = f.device_idx WHERE f.folder_idx = ? AND f.name = ?', true),
      mtimeGet: prep('SELECT disk_ns, virtual_ns FROM mtimes WHERE folder_idx = ? AND name = ?', true),
      mtimeSet: prep('INSERT INTO mtimes (folder_idx, name, disk_ns, virtual_ns) VALUES (?, ?, ?, ?) ON CONFLICT (folder_idx, name) DO UPDATE SET disk_ns = excluded.disk_ns, virtual_ns = excluded.virtual_ns'),
      mtimeDrop: prep('DELETE FROM mtimes WHERE folder_idx = ? AND name = ?'),
      neededAfter: prep(`SELECT f.name, f.type, f.deleted, f.size, f.modified_ns FROM files f WHERE f.folder_idx = ? AND f.local_flags & ${Flag.Needed} AND f.name > ? ORDER BY f.name LIMIT ?`, true),
      anyNeeded: prep(`SELECT EXISTS (SELECT 1 FROM files WHERE folder_idx = ? AND local_flags & ${Flag.Needed}) AS x`),
    };
  }

  /**
   * Opens (creating and migrating as needed) the index at `file`. `knownDevices` (ours first) are
   * the device IDs whose full ShortIDs replace the 7-character ones of an index older than
   * migration 003.
   */
  static open(file: string, migrationsDir: string, knownDevices: readonly string[] = []): IndexStore {
    const db = openDatabase(file);
    try {
      applyMigrations(db, migrationsDir, file, migrationSteps(knownDevices));
      return new IndexStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }

  private idx(folder: string): number {
    let idx = this.folderIdx.get(folder);
    if (idx === undefined) {
      const row = this.s.folderGet!.get(folder) as { idx: number } | undefined;
      idx = row ? row.idx : (this.s.folderAdd!.get(folder) as { idx: number }).idx;
      this.folderIdx.set(folder, idx);
    }
    return idx;
  }

  /** Every folder the index holds anything for. */
  folderIds(): string[] {
    return (this.s.folderIds!.all() as { folder_id: string }[]).map((r) => r.folder_id);
  }

  /** Forgets everything about a folder (its files, counters, statistics and block lists no other folder shares), in one transaction. */
  dropFolder(folder: string): void {
    this.db.transaction(() => {
      this.s.folderDrop!.run(folder);
      this.collectGarbage();
    }).immediate();
    this.folderIdx.delete(folder);
  }

  /** The highest local sequence of the folder (0 for a new index). */
  sequence(folder: string): number {
    return (this.s.folderSeq!.get(this.idx(folder)) as { sequence: number }).sequence;
  }

  getLocal(folder: string, name: string): FileInfo | undefined {
    const r = this.s.getLocal!.get(this.idx(folder), LOCAL_DEVICE, name) as FileRow | undefined;
    return r && rowToFile(r);
  }

  /**
   * Just what change detection compares (no block list, no version): the scanner asks this for
   * every item it walks, so it must be cheap. Undefined when there is no local record.
   */
  getBrief(folder: string, name: string): BriefRecord | undefined {
    const r = this.s.getBrief!.get(this.idx(folder), LOCAL_DEVICE, name) as BriefRow | undefined;
    return r && brief(r);
  }

  /** getBrief for every local record directly inside `parent` ("" = the root), by name: one query per directory. */
  briefChildren(folder: string, parent: string): Map<string, BriefRecord> {
    const out = new Map<string, BriefRecord>();
    for (const r of this.s.briefChildren!.all(this.idx(folder), parent, LOCAL_DEVICE) as (BriefRow & { name: string })[]) out.set(r.name, brief(r));
    return out;
  }

  /**
   * Names (and whether deleted) of the local records at `prefix` and under `prefix/` ("" = all), in
   * bytewise name order, `limit` at a time after `after`: what pass 2 of a scan walks.
   */
  namesUnder(folder: string, prefix: string, after: string, limit: number): { name: string; deleted: boolean }[] {
    const fi = this.idx(folder);
    const out: { name: string; deleted: boolean }[] = [];
    if (prefix !== '' && after === '') {
      const self = this.getBrief(folder, prefix);
      if (self) out.push({ name: prefix, deleted: self.deleted });
    }
    const lo = prefix === '' ? after : after > prefix + '/' ? after : prefix + '/';
    const hi = prefix === '' ? '\u{10FFFF}' : prefix + '0';
    for (const r of this.s.namesUnder!.all(fi, LOCAL_DEVICE, lo, hi, limit) as { name: string; deleted: number }[]) out.push({ name: r.name, deleted: r.deleted !== 0 });
    return out;
  }

  getGlobal(folder: string, name: string): FileInfo | undefined {
    const r = this.s.getGlobal!.get(this.idx(folder), name) as FileRow | undefined;
    return r && rowToFile(r);
  }

  /**
   * Writes local records in one transaction: each gets the next local sequence, its block list is
   * stored once per content, and the Global/Needed bits of its name are recomputed. The names in
   * `dropped` lose their local record altogether (a receive-only addition deleted again).
   * `mtimes` (what the puller writes): the modification time the disk shows for each record, kept
   * in the mtime map where it differs from the record's.
   */
  updateLocal(folder: string, files: FileInfo[], dropped: readonly string[] = [], mtimes?: ReadonlyMap<string, bigint>): UpdateResult {
    const fi = this.idx(folder);
    const run = this.db.transaction((): UpdateResult => {
      let seq = (this.s.folderSeq!.get(fi) as { sequence: number }).sequence;
      const remote = (this.s.anyRemote!.get(fi, LOCAL_DEVICE) as { x: number }).x === 1;
      const written: FileInfo[] = [];
      for (const f of files) {
        seq++;
        const base = f.localFlags & ~(Flag.Global | Flag.Needed);
        if (f.blocksHash && f.blockHashes.length) this.s.blocklistAdd!.run(Buffer.from(f.blocksHash), Buffer.from(f.blockHashes));
        // Without remote rows the local row is the global one and nothing is needed.
        const flags = remote ? base : base | Flag.Global;
        this.s.upsert!.run(...fileParams(fi, LOCAL_DEVICE, f, seq, flags));
        if (remote) this.recalcGlobal(fi, f.name);
        // What the disk shows for a pulled file whose mtime it could not keep; any other write of the name ends the mapping.
        const disk = mtimes?.get(f.name);
        if (disk !== undefined && disk !== f.modifiedNs) this.s.mtimeSet!.run(fi, f.name, disk, f.modifiedNs);
        else this.s.mtimeDrop!.run(fi, f.name);
        written.push({ ...f, sequence: seq, localFlags: flags });
      }
      for (const name of dropped) {
        this.s.mtimeDrop!.run(fi, name);
        this.s.dropLocal!.run(fi, LOCAL_DEVICE, name);
        if (remote) this.recalcGlobal(fi, name);
      }
      this.s.folderSetSeq!.run(seq, fi);
      return { sequence: seq, files: written };
    });
    return run.immediate();
  }

  private candidatesOf(fi: number, name: string): Candidate[] {
    return (this.s.candidates!.all(fi, name) as { id: bigint; device_idx: bigint; version: string; deleted: bigint; local_flags: bigint; modified_ns: bigint }[]).map(
      (r): Candidate => ({ id: Number(r.id), device: Number(r.device_idx), version: r.version, deleted: r.deleted !== 0n, flags: Number(r.local_flags), modifiedNs: r.modified_ns }),
    );
  }

  private recalcGlobal(fi: number, name: string): void {
    const rows = this.candidatesOf(fi, name);
    const want = globalFlags(rows, LOCAL_DEVICE);
    for (const c of rows) if (want.get(c.id) !== c.flags) this.s.setFlags!.run(want.get(c.id), c.id);
  }

  // ---- other devices ----

  /** The row of a device ID, created on first use. */
  private deviceRow(device: string): number {
    return (this.s.deviceAdd!.get(device) as { idx: number }).idx;
  }

  /**
   * The index ID of (folder, device) and the highest sequence we hold of it. Ours (device
   * undefined) is created at random on first use and goes with the folder's index: an index
   * dropped and rebuilt gets a new one, which tells every peer to send and take everything anew.
   */
  indexInfo(folder: string, device?: string): { indexId: bigint; maxSequence: number } {
    const fi = this.idx(folder);
    if (device === undefined) {
      let row = this.s.indexIdGet!.get(fi, LOCAL_DEVICE) as { index_id: bigint } | undefined;
      if (!row) {
        this.s.indexIdSet!.run(fi, LOCAL_DEVICE, randomIndexId(), 0);
        row = this.s.indexIdGet!.get(fi, LOCAL_DEVICE) as { index_id: bigint };
      }
      return { indexId: BigInt.asUintN(64, row.index_id), maxSequence: this.sequence(folder) };
    }
    const d = this.s.deviceIdx!.get(device) as { idx: number } | undefined;
    const row = d && (this.s.indexIdGet!.get(fi, d.idx) as { index_id: bigint; max_sequence: bigint } | undefined);
    return row ? { indexId: BigInt.asUintN(64, row.index_id), maxSequence: Number(row.max_sequence) } : { indexId: 0n, maxSequence: 0 };
  }

  /** Records the index ID a device announced for a folder, with no sequence held yet (its rows are dropped before this). */
  setRemoteIndexId(folder: string, device: string, indexId: bigint): void {
    this.s.indexIdSet!.run(this.idx(folder), this.deviceRow(device), BigInt.asIntN(64, indexId), 0);
  }

  /**
   * Deletes up to `limit` of a device's rows in a folder and sets the global of each of their
   * names anew; returns how many went (0 when none are left). Callers drop in slices so a big
   * index never holds the event loop, and reset the device's index ID first, so that an
   * interrupted drop is redone in full after a restart.
   */
  dropDeviceRows(folder: string, device: string, limit: number): number {
    const fi = this.idx(folder);
    const d = this.s.deviceIdx!.get(device) as { idx: number } | undefined;
    if (!d) return 0;
    return this.db.transaction(() => {
      const rows = this.s.remoteBrief!.all(fi, d.idx, limit) as { id: number; name: string }[];
      for (const r of rows) {
        this.s.dropRow!.run(r.id);
        this.recalcGlobal(fi, r.name);
      }
      return rows.length;
    }).immediate();
  }

  /**
   * Writes a device's records as it announced them, in one transaction: each keeps the device's
   * own sequence, an invalid one is marked RemoteInvalid, and the global of each name is set
   * anew. The highest sequence held of the device moves up. The caller has checked them.
   */
  updateRemote(folder: string, device: string, files: readonly FileInfo[]): void {
    const fi = this.idx(folder);
    this.db.transaction(() => {
      const di = this.deviceRow(device);
      let max = 0;
      for (const f of files) {
        if (f.blocksHash && f.blockHashes.length) this.s.blocklistAdd!.run(Buffer.from(f.blocksHash), Buffer.from(f.blockHashes));
        // The name's flags are worked out with the new row in place before anything is written,
        // so each row is written once (the counters' triggers fire once, not twice).
        const others = this.candidatesOf(fi, f.name).filter((c) => c.device !== di);
        const mine: Candidate = { id: -1, device: di, version: formatVersion(f.version), deleted: f.deleted, flags: f.localFlags & ~(Flag.Global | Flag.Needed), modifiedNs: f.modifiedNs };
        const want = globalFlags([...others, mine], LOCAL_DEVICE);
        this.s.upsert!.run(...fileParams(fi, di, f, f.sequence, want.get(-1)!));
        for (const c of others) if (want.get(c.id) !== c.flags) this.s.setFlags!.run(want.get(c.id), c.id);
        if (f.sequence > max) max = f.sequence;
      }
      this.s.maxSeqSet!.run(fi, di, max);
    }).immediate();
  }

  /** Our records with a sequence above `after`, in sequence order, `limit` at a time (what goes into our index). */
  localSince(folder: string, after: number, limit: number): FileInfo[] {
    return (this.s.since!.all(this.idx(folder), after, limit) as NumberRow[]).map(numberRowToFile);
  }

  /**
   * Syncthing's version list of a name: one entry per distinct version, the global first, each
   * with the devices that hold it validly and invalidly (device IDs; ours as `localId`).
   */
  versionList(folder: string, name: string, localId: string): { version: [string, number][]; deleted: boolean; devices: string[]; invalid: string[] }[] {
    const rows = this.s.versionsOf!.all(this.idx(folder), name) as { device_id: string; device_idx: bigint; version: string; deleted: bigint; local_flags: bigint; modified_ns: bigint }[];
    const ids = new Map<number, string>();
    const cands: Candidate[] = rows.map((r, i) => {
      ids.set(i, Number(r.device_idx) === LOCAL_DEVICE ? localId : r.device_id);
      return { id: i, device: Number(r.device_idx), version: r.version, deleted: r.deleted !== 0n, flags: Number(r.local_flags), modifiedNs: r.modified_ns };
    });
    return versionList(cands).map((e) => ({
      version: parseVersion(formatVersion(e.version)),
      deleted: (e.valid[0] ?? e.invalid[0])!.deleted,
      devices: e.valid.map((c) => ids.get(c.id)!),
      invalid: e.invalid.map((c) => ids.get(c.id)!),
    }));
  }

  /** The mtime map entry of a name: what the disk shows and what the index says, if one was recorded. */
  mtime(folder: string, name: string): { diskNs: bigint; virtualNs: bigint } | undefined {
    const r = this.s.mtimeGet!.get(this.idx(folder), name) as { disk_ns: bigint; virtual_ns: bigint } | undefined;
    return r && { diskNs: r.disk_ns, virtualNs: r.virtual_ns };
  }

  /**
   * Up to `limit` other live local records with the same content (rename detection). Bounded:
   * a folder with thousands of identical files must not make every new file read all of them.
   */
  sameContent(folder: string, blocksHash: Uint8Array, exceptName: string, limit = 16): { name: string; size: number }[] {
    return this.s.sameBlocks!.all(Buffer.from(blocksHash), this.idx(folder), LOCAL_DEVICE, exceptName, limit) as { name: string; size: number }[];
  }

  counts(folder: string): FolderCounts {
    const rows = this.s.counts!.all(this.idx(folder)) as { device_idx: number; type: number; local_flags: number; deleted: number; count: number; size: number }[];
    const buckets: Bucket[] = rows.map((r) => ({ device: r.device_idx, type: r.type, flags: r.local_flags, deleted: r.deleted !== 0, count: r.count, size: r.size }));
    return summarize(buckets, LOCAL_DEVICE);
  }

  /** The direct children of a directory in the global view ("" = the root). */
  children(folder: string, dir: string): TreeRow[] {
    return (this.s.children!.all(this.idx(folder), dir) as { name: string; type: bigint; size: bigint; modified_ns: bigint }[]).map(treeRow);
  }

  /** Everything under a directory in the global view, in name order. */
  subtree(folder: string, dir: string): TreeRow[] {
    const lo = dir === '' ? '' : dir + '/';
    const hi = dir === '' ? '\u{10FFFF}' : dir + '0';
    return (this.s.subtree!.all(this.idx(folder), lo, hi) as { name: string; type: bigint; size: bigint; modified_ns: bigint }[]).map(treeRow);
  }

  /** Local records carrying any of `flags` (e.g. ReceiveOnly for /rest/db/localchanged). */
  localWithFlags(folder: string, flags: number, offset: number, limit: number): FileInfo[] {
    return (this.s.flagged!.all(this.idx(folder), LOCAL_DEVICE, flags, limit, offset) as FileRow[]).map(rowToFile);
  }

  /** Like localWithFlags, with block lists, `limit` at a time by name after `after` (for work that rewrites what it pages through). */
  localWithFlagsAfter(folder: string, flags: number, after: string, limit: number): FileInfo[] {
    return (this.s.flaggedAfter!.all(this.idx(folder), LOCAL_DEVICE, flags, after, limit) as FileRow[]).map(rowToFile);
  }

  /** Names (with what ordering needs) the local device needs, in name order, `limit` at a time after `after`. */
  neededNames(folder: string, after: string, limit: number): { name: string; type: number; deleted: boolean; size: number; modifiedNs: bigint }[] {
    return (this.s.neededAfter!.all(this.idx(folder), after, limit) as { name: string; type: bigint; deleted: bigint; size: bigint; modified_ns: bigint }[]).map((r) => ({
      name: r.name,
      type: Number(r.type),
      deleted: r.deleted !== 0n,
      size: Number(r.size),
      modifiedNs: r.modified_ns,
    }));
  }

  /** Whether the local device needs anything in the folder. */
  needsAny(folder: string): boolean {
    return (this.s.anyNeeded!.get(this.idx(folder)) as { x: number }).x === 1;
  }

  /** Global records the local device needs. */
  needed(folder: string, offset: number, limit: number): FileInfo[] {
    return (this.s.needed!.all(this.idx(folder), limit, offset) as FileRow[]).map(rowToFile);
  }

  /** Global records a remote device lacks (it has no row with the same version). */
  remoteNeed(folder: string, device: string, offset: number, limit: number): FileInfo[] {
    const row = this.s.deviceIdx!.get(device) as { idx: number } | undefined;
    return (this.s.remoteNeed!.all({ device: row?.idx ?? -1, folder: this.idx(folder), limit, offset }) as FileRow[]).map(rowToFile);
  }

  /**
   * What a remote device needs among the global names after `after`, about `limit` names at a
   * time (never loading the rows): the counts, and the name to go on from (undefined at the end).
   * Callers add the slices up with event-loop turns in between. A device of which the index holds
   * nothing needs every live global item: that is answered from the counters at once.
   */
  remoteNeedSlice(folder: string, device: string, after: string, limit: number): { counts: Counts; next?: string } {
    const fi = this.idx(folder);
    const row = this.s.deviceIdx!.get(device) as { idx: number } | undefined;
    const out: Counts = { files: 0, directories: 0, symlinks: 0, deleted: 0, bytes: 0 };
    if (!row || (this.s.deviceHasRows!.get(fi, row.idx) as { x: number }).x === 0) {
      const g = this.counts(folder).global;
      return { counts: { ...g, deleted: 0 } };
    }
    const upto = (this.s.globalNameAt!.get(fi, after, limit) as { upto: string | null }).upto;
    if (upto === null) return { counts: out };
    for (const r of this.s.remoteNeedCounts!.all({ folder: fi, device: row.idx, after, upto }) as { type: number; deleted: number; n: number; bytes: number }[]) {
      if (r.deleted) out.deleted += r.n;
      else if (r.type === 0) (out.files += r.n), (out.bytes += r.bytes);
      else if (r.type === 1) out.directories += r.n;
      else out.symlinks += r.n;
    }
    return { counts: out, next: upto };
  }

  stats(folder: string): FolderStats {
    const r = this.s.folderStats!.get(this.idx(folder)) as { last_scan_ns: bigint; last_file_name: string; last_file_at_ns: bigint; last_file_deleted: bigint };
    return { lastScanNs: r.last_scan_ns, lastFileName: r.last_file_name, lastFileAtNs: r.last_file_at_ns, lastFileDeleted: r.last_file_deleted !== 0n };
  }

  setLastScan(folder: string, ns: bigint): void {
    this.s.setLastScan!.run(ns, this.idx(folder));
  }

  /**
   * Deletes block lists no record refers to any more. Only the lists that lost a reference since
   * the last collection are looked at (the triggers of migration 002 note them), so the cost
   * follows what changed, not the size of the index.
   */
  collectGarbage(): void {
    this.db.transaction(() => {
      this.s.gcCandidates!.run();
      this.s.gcClear!.run();
    }).immediate();
  }
}

function treeRow(r: { name: string; type: bigint; size: bigint; modified_ns: bigint }): TreeRow {
  return { name: r.name, type: Number(r.type), size: Number(r.size), modifiedNs: r.modified_ns };
}

/** A random uint64 index ID, never 0 (0 means "no delta indexes"), as the int64 with the same bits. */
function randomIndexId(): bigint {
  for (;;) {
    const v = randomBytes(8).readBigInt64BE();
    if (v !== 0n) return v;
  }
}

/**
 * Migration 003's step: every version vector and modified_by written with 7-character ShortIDs
 * gets the full 64-bit ones (16 hex digits), a page of rows at a time.
 */
function migrationSteps(known: readonly string[]): MigrationSteps {
  return {
    3: (db) => {
      const page = db.prepare('SELECT id, version, modified_by FROM files WHERE id > ? ORDER BY id LIMIT 5000');
      const set = db.prepare('UPDATE files SET version = ?, modified_by = ? WHERE id = ?');
      const wide = new Map<string, string>();
      const widen = (id: string) => {
        if (id.length !== 7) return id;
        let w = wide.get(id);
        if (w === undefined) wide.set(id, (w = widenShortId(id, known)));
        return w;
      };
      for (let after = 0; ; ) {
        const rows = page.all(after) as { id: number; version: string; modified_by: string }[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const v = formatVersion(parseVersion(r.version).map(([id, n]) => [widen(id), n] as [string, number]));
          set.run(v, widen(r.modified_by), r.id);
        }
        after = rows.at(-1)!.id;
      }
    },
  };
}
