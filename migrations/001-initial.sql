-- The index: one row per file, directory and symlink per device per folder, with the status
-- counters kept by triggers so /rest/db/status never scans.

CREATE TABLE folders (
    idx              INTEGER PRIMARY KEY,
    folder_id        TEXT    NOT NULL UNIQUE,
    -- highest local sequence handed out in this folder
    sequence         INTEGER NOT NULL DEFAULT 0,
    last_scan_ns     INTEGER NOT NULL DEFAULT 0,
    last_file_name   TEXT    NOT NULL DEFAULT '',
    last_file_at_ns  INTEGER NOT NULL DEFAULT 0,
    last_file_deleted INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE devices (
    idx       INTEGER PRIMARY KEY,
    device_id TEXT    NOT NULL UNIQUE
) STRICT;

-- The local device is always idx 1, whatever its real ID (as Syncthing's LocalDeviceID).
INSERT INTO devices (idx, device_id) VALUES (1, '7777777-777777N-7777777-777777N-7777777-777777N-7777777-77777Q4');

-- Block lists are stored once per distinct content and shared by every row that has it.
CREATE TABLE blocklists (
    blocks_hash  BLOB PRIMARY KEY,
    block_hashes BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE files (
    id                   INTEGER PRIMARY KEY,
    folder_idx           INTEGER NOT NULL REFERENCES folders (idx) ON DELETE CASCADE,
    device_idx           INTEGER NOT NULL REFERENCES devices (idx) ON DELETE CASCADE,
    name                 TEXT    NOT NULL,
    -- the directory part of name ('' at the root), for listing one directory at a time
    parent               TEXT    NOT NULL,
    sequence             INTEGER NOT NULL,
    type                 INTEGER NOT NULL,
    size                 INTEGER NOT NULL,
    modified_ns          INTEGER NOT NULL,
    permissions          INTEGER NOT NULL,
    no_permissions       INTEGER NOT NULL,
    deleted              INTEGER NOT NULL,
    local_flags          INTEGER NOT NULL,
    version              TEXT    NOT NULL,
    modified_by          TEXT    NOT NULL,
    block_size           INTEGER NOT NULL,
    blocks_hash          BLOB,
    previous_blocks_hash BLOB,
    symlink_target       TEXT    NOT NULL,
    inode_change_ns      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX files_by_name ON files (folder_idx, device_idx, name);
CREATE INDEX files_by_parent ON files (folder_idx, parent, name);
CREATE INDEX files_by_sequence ON files (folder_idx, device_idx, sequence);
CREATE INDEX files_by_global_name ON files (folder_idx, name);
CREATE INDEX files_by_blocks ON files (blocks_hash, folder_idx, device_idx) WHERE blocks_hash IS NOT NULL;

-- Status counters: one bucket per (folder, device, type, flags, deleted). Every number of
-- /rest/db/status is a sum over a handful of buckets.
CREATE TABLE counts (
    folder_idx  INTEGER NOT NULL REFERENCES folders (idx) ON DELETE CASCADE,
    device_idx  INTEGER NOT NULL,
    type        INTEGER NOT NULL,
    local_flags INTEGER NOT NULL,
    deleted     INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    PRIMARY KEY (folder_idx, device_idx, type, local_flags, deleted)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER files_counts_insert AFTER INSERT ON files BEGIN
    INSERT INTO counts (folder_idx, device_idx, type, local_flags, deleted, count, size)
    VALUES (NEW.folder_idx, NEW.device_idx, NEW.type, NEW.local_flags, NEW.deleted, 1, NEW.size)
    ON CONFLICT (folder_idx, device_idx, type, local_flags, deleted)
    DO UPDATE SET count = count + 1, size = size + NEW.size;
END;

CREATE TRIGGER files_counts_delete AFTER DELETE ON files BEGIN
    UPDATE counts SET count = count - 1, size = size - OLD.size
    WHERE folder_idx = OLD.folder_idx AND device_idx = OLD.device_idx AND type = OLD.type
      AND local_flags = OLD.local_flags AND deleted = OLD.deleted;
END;

CREATE TRIGGER files_counts_update AFTER UPDATE OF type, size, local_flags, deleted ON files BEGIN
    UPDATE counts SET count = count - 1, size = size - OLD.size
    WHERE folder_idx = OLD.folder_idx AND device_idx = OLD.device_idx AND type = OLD.type
      AND local_flags = OLD.local_flags AND deleted = OLD.deleted;
    INSERT INTO counts (folder_idx, device_idx, type, local_flags, deleted, count, size)
    VALUES (NEW.folder_idx, NEW.device_idx, NEW.type, NEW.local_flags, NEW.deleted, 1, NEW.size)
    ON CONFLICT (folder_idx, device_idx, type, local_flags, deleted)
    DO UPDATE SET count = count + 1, size = size + NEW.size;
END;
