-- The index, ready for other devices (bep.md §1.7, 1.11, 1.14).
--
-- Version vectors and modified_by now hold full 64-bit ShortIDs (16 hex digits) instead of the
-- 7-character form, which holds only 35 bits and cannot go on the wire. SQL cannot widen them:
-- the step migrationSteps() in src/index/index-store.ts rewrites every row in this same transaction,
-- using the device IDs it knows (ours first), so a kill -9 half way leaves the old schema whole.

-- Per folder and device: the index ID and the highest sequence we hold. For the local device
-- (idx 1) the index ID is ours, announced to every peer; for a remote one it is the ID it last
-- announced and max_sequence the highest of its sequences we have stored. uint64 IDs are kept
-- as the int64 with the same bits.
CREATE TABLE index_ids (
    folder_idx   INTEGER NOT NULL REFERENCES folders (idx) ON DELETE CASCADE,
    device_idx   INTEGER NOT NULL REFERENCES devices (idx) ON DELETE CASCADE,
    index_id     INTEGER NOT NULL,
    max_sequence INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (folder_idx, device_idx)
) STRICT, WITHOUT ROWID;

-- The mtime map: where the filesystem could not keep the modification time a pulled file
-- should have, what it shows (disk_ns, Syncthing's "real") and what the index says (virtual_ns).
CREATE TABLE mtimes (
    folder_idx INTEGER NOT NULL REFERENCES folders (idx) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    disk_ns    INTEGER NOT NULL,
    virtual_ns INTEGER NOT NULL,
    PRIMARY KEY (folder_idx, name)
) STRICT, WITHOUT ROWID;

-- Only our own records are read in sequence order (to send our index); other devices' rows would
-- only make every remote write maintain this index too.
DROP INDEX files_by_sequence;
CREATE INDEX files_by_sequence ON files (folder_idx, sequence) WHERE device_idx = 1;
