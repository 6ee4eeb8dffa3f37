-- Restoring a logical dump (pg_dump / pg_restore) into another cluster keeps each event's
-- `txid` from the cluster that wrote it. When the new cluster's transaction counter is
-- behind those ids, new writes would get lower ids and sort before the restored events in
-- the (txid, position) order: readers that have passed them would never see them.
--
-- The log's order becomes (log_epoch, txid, position). Every event of the current epoch
-- (`log_epoch.epoch`) is read only below `pg_snapshot_xmin` as before; events of an
-- earlier epoch were all committed before the epoch ended and are read regardless of
-- their txid. `fundledger repair-restored-log` starts a new epoch after a restore (the
-- events' column default and `log_epoch.epoch` move together, in one transaction): every
-- restored event then sorts before any new write, and keeps its content, position and
-- order. No stored row changes, so the checkpoints stay valid as they are.
ALTER TABLE events ADD COLUMN log_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE log_checkpoints ADD COLUMN log_epoch bigint NOT NULL DEFAULT 0;

CREATE TABLE log_epoch
(
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch     bigint NOT NULL
);
INSERT INTO log_epoch (epoch) VALUES (0);

CREATE INDEX events_log_order ON events (log_epoch, txid, position);
DROP INDEX events_commit_order;

-- Refuses a write while the current epoch holds an event whose transaction id this
-- cluster has not handed out yet (a restored log not repaired): the write would take a
-- lower id than events already in the log and, once the counter passed them, never be
-- read. In a healthy cluster no row visible to a statement can carry an id at or above
-- its snapshot's xmax except the statement's own transaction's, so the check never fires
-- there; it costs one index probe per INSERT statement.
CREATE FUNCTION refuse_write_behind_restored_log() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    mine xid8 := pg_current_xact_id();
BEGIN
    IF EXISTS (SELECT 1
                 FROM events e, log_epoch l
                WHERE e.log_epoch = l.epoch
                  AND e.txid >= pg_snapshot_xmax(pg_current_snapshot())
                  AND e.txid <> mine) THEN
        RAISE EXCEPTION 'the event log was restored from a logical dump and holds transaction ids this cluster has not reached; writes are refused until an operator runs `fundledger repair-restored-log` (see README, "Backups and restore")'
            USING ERRCODE = 'FL001';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_refuse_write_behind_restored_log
    BEFORE INSERT ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION refuse_write_behind_restored_log();
