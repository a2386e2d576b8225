-- The triggers of migration 002 noted an old block list hash with INSERT OR IGNORE. Inside a
-- trigger fired by an upsert (INSERT … ON CONFLICT DO UPDATE, how every files row is written),
-- SQLite applies the outer statement's conflict handling instead, so a hash noted twice before the
-- next collection — a peer's row and ours of the same content both moving on — failed the whole
-- write with "UNIQUE constraint failed: blocklist_gc.blocks_hash". They now look first.

DROP TRIGGER files_blocks_replaced;
DROP TRIGGER files_blocks_deleted;

CREATE TRIGGER files_blocks_replaced AFTER UPDATE OF blocks_hash ON files
WHEN OLD.blocks_hash IS NOT NULL AND (NEW.blocks_hash IS NULL OR NEW.blocks_hash <> OLD.blocks_hash) BEGIN
    INSERT INTO blocklist_gc (blocks_hash) SELECT OLD.blocks_hash WHERE NOT EXISTS (SELECT 1 FROM blocklist_gc WHERE blocks_hash = OLD.blocks_hash);
END;

CREATE TRIGGER files_blocks_deleted AFTER DELETE ON files
WHEN OLD.blocks_hash IS NOT NULL BEGIN
    INSERT INTO blocklist_gc (blocks_hash) SELECT OLD.blocks_hash WHERE NOT EXISTS (SELECT 1 FROM blocklist_gc WHERE blocks_hash = OLD.blocks_hash);
END;
