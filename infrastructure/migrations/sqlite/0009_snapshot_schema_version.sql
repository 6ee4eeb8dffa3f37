-- Snapshots carry the schema version of the aggregate state they hold (issue 11 §6). A
-- snapshot of another version than `event_store::SNAPSHOT_SCHEMA_VERSION` is ignored and
-- the aggregate folded from its events. Snapshots already stored are of version 1: the
-- state's shape has not changed since they were written.
ALTER TABLE aggregate_snapshots ADD COLUMN schema_version integer NOT NULL DEFAULT 1;
