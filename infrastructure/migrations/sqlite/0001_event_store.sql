-- The event log. Columns up to `metadata` are the ones sqlite-es reads and writes; the rest
-- are ours. SQLite has one writer at a time, so assigning `position` inside the inserting
-- transaction (the trigger below) gives commit order with no gaps. `txid` is always 0 here;
-- it exists so readers use one (txid, position) order on both stores.
CREATE TABLE events
(
    aggregate_type text                          NOT NULL,
    aggregate_id   text                          NOT NULL,
    sequence       integer CHECK (sequence >= 0) NOT NULL,
    event_type     text                          NOT NULL,
    event_version  text                          NOT NULL,
    payload        text                          NOT NULL,
    metadata       text                          NOT NULL,
    position       integer UNIQUE,
    txid           integer                       NOT NULL DEFAULT 0,
    recorded_at    text                          NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
) STRICT;

CREATE TABLE aggregate_snapshots
(
    aggregate_type text    NOT NULL,
    aggregate_id   text    NOT NULL,
    last_sequence  integer NOT NULL CHECK (last_sequence >= 0),
    payload        text    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
) STRICT;

CREATE TABLE command_keys
(
    idempotency_key text PRIMARY KEY,
    execution_id    text    NOT NULL,
    request_hash    text    NOT NULL,
    aggregate_type  text    NOT NULL,
    aggregate_id    text    NOT NULL,
    last_position   integer NOT NULL,
    recorded_at     text    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- Position and idempotency key, in the inserting transaction. See the PostgreSQL migration
-- for why each attempt carries its own execution_id.
CREATE TRIGGER events_assign_position_and_key
    AFTER INSERT ON events
BEGIN
    UPDATE events
    SET position = (SELECT coalesce(max(position), 0) + 1 FROM events)
    WHERE rowid = NEW.rowid;

    INSERT INTO command_keys (idempotency_key, execution_id, request_hash, aggregate_type,
                              aggregate_id, last_position)
    SELECT json_extract(NEW.metadata, '$.idempotency_key'),
           json_extract(NEW.metadata, '$.execution_id'),
           coalesce(json_extract(NEW.metadata, '$.request_hash'), ''),
           NEW.aggregate_type,
           NEW.aggregate_id,
           (SELECT position FROM events WHERE rowid = NEW.rowid)
    WHERE json_extract(NEW.metadata, '$.idempotency_key') IS NOT NULL
    ON CONFLICT (idempotency_key) DO UPDATE
        SET last_position = excluded.last_position
        WHERE command_keys.execution_id = excluded.execution_id;

    SELECT RAISE(ABORT, 'idempotency key already used')
    WHERE json_extract(NEW.metadata, '$.idempotency_key') IS NOT NULL
      AND (SELECT execution_id
           FROM command_keys
           WHERE idempotency_key = json_extract(NEW.metadata, '$.idempotency_key'))
        IS NOT json_extract(NEW.metadata, '$.execution_id');
END;

CREATE TABLE log_checkpoints
(
    reader   text PRIMARY KEY,
    txid     integer NOT NULL,
    position integer NOT NULL
) STRICT;

CREATE TABLE geography
(
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL,
    parent_code text,
    population  integer,
    imd_decile  integer CHECK (imd_decile BETWEEN 1 AND 10)
) STRICT;
CREATE INDEX geography_parent ON geography (parent_code);
