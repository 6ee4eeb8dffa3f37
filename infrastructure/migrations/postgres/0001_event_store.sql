-- The event log. Columns up to `metadata` are the ones postgres-es reads and writes; the
-- rest are ours and filled by defaults, so postgres-es's INSERT needs no change.
--
-- Global order: `position` is handed out when a row is inserted, not when its transaction
-- commits, so a reader that walks `position` alone can skip a row whose transaction commits
-- late. `txid` records the writing transaction; readers take only rows whose transaction is
-- older than every transaction still running (pg_snapshot_xmin) and walk (txid, position).
-- That order never has a gap filled in later: a transaction that has not yet written gets
-- an xid at or above the current xmin.
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    position       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    txid           xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at    timestamptz                  NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_commit_order ON events (txid, position);

-- Aggregate snapshots written by fundledger's own snapshot path (never cqrs-es's, which
-- applies events twice). A snapshot is a cache: the events stay the truth.
CREATE TABLE aggregate_snapshots
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    last_sequence  bigint NOT NULL CHECK (last_sequence >= 0),
    payload        json   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Idempotency keys, written by a trigger in the same transaction as the command's events,
-- so two racing copies of one command can't both commit. Each attempt to run a command
-- carries a fresh `execution_id`: the events of one attempt share it, a second attempt
-- with the same key doesn't, and is refused by the unique key.
CREATE TABLE command_keys
(
    idempotency_key text PRIMARY KEY,
    execution_id    text        NOT NULL,
    request_hash    text        NOT NULL,
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    last_position   bigint      NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_command_key() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    meta jsonb := NEW.metadata::jsonb;
BEGIN
    INSERT INTO command_keys AS known (idempotency_key, execution_id, request_hash,
                                       aggregate_type, aggregate_id, last_position)
    VALUES (meta ->> 'idempotency_key', meta ->> 'execution_id', coalesce(meta ->> 'request_hash', ''),
            NEW.aggregate_type, NEW.aggregate_id, NEW.position)
    ON CONFLICT (idempotency_key) DO UPDATE
        SET last_position = EXCLUDED.last_position
        WHERE known.execution_id = EXCLUDED.execution_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'idempotency key already used: %', meta ->> 'idempotency_key'
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_record_command_key
    AFTER INSERT ON events
    FOR EACH ROW
    WHEN ((NEW.metadata::jsonb) ? 'idempotency_key')
EXECUTE FUNCTION record_command_key();

-- Where each log reader (process manager, projector…) has got to, in (txid, position).
CREATE TABLE log_checkpoints
(
    reader   text   PRIMARY KEY,
    txid     xid8   NOT NULL,
    position bigint NOT NULL
);

-- Reference geography (the CSV format of API.md).
CREATE TABLE geography
(
    code        text PRIMARY KEY,
    name        text   NOT NULL,
    level       text   NOT NULL,
    parent_code text,
    population  bigint,
    imd_decile  smallint CHECK (imd_decile BETWEEN 1 AND 10)
);
CREATE INDEX geography_parent ON geography (parent_code);
