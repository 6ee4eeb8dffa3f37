//! The global event log, read in commit order: what projections and the process manager
//! consume. Read with plain SQL and every error propagated (cqrs-es's `replay_all` orders by
//! per-aggregate sequence and swallows errors in a spawned task).

use futures::stream::{BoxStream, StreamExt};
use serde_json::Value;
use sqlx::Row;

use crate::database::{Database, StoreError};

/// A point in the global order: events are read in ascending (epoch, txid, position). On
/// SQLite epoch and txid are always 0 and the order is `position` alone. The epoch only
/// grows when `fundledger repair-restored-log` starts a new one after a logical restore
/// (migration 0016): every event of an earlier epoch sorts before every later write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogCursor {
    pub epoch: i64,
    pub txid: i64,
    pub position: i64,
}

impl LogCursor {
    pub const START: LogCursor = LogCursor {
        epoch: 0,
        txid: 0,
        position: 0,
    };
}

/// One event as stored, with its place in the global order.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub position: i64,
    pub epoch: i64,
    pub txid: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
}

impl LoggedEvent {
    pub fn cursor(&self) -> LogCursor {
        LogCursor {
            epoch: self.epoch,
            txid: self.txid,
            position: self.position,
        }
    }
}

/// Events of an earlier epoch than the current one (`log_epoch`) all committed before it
/// began, so they are readable whatever their txid (after a logical restore their txids
/// may lie ahead of this cluster's counter); the current epoch's only below every running
/// transaction. The order names the table's columns: a bare `txid` is the output column
/// (`txid::text::bigint`), which no index holds, so every read sorted the rest of the log
/// (measured: 0.6–0.9 s a batch at 1,000,000 events for a reader far behind).
const POSTGRES_READ_LOG: &str = "
SELECT position, log_epoch AS epoch, txid::text::bigint AS txid, aggregate_type,
       aggregate_id, sequence, event_type, event_version, payload, metadata
  FROM events
 WHERE (log_epoch, txid, position) > ($1, $2::text::xid8, $3)
   AND ($5 OR log_epoch < (SELECT epoch FROM log_epoch)
        OR txid < pg_snapshot_xmin(pg_current_snapshot()))
 ORDER BY events.log_epoch, events.txid, events.position
 LIMIT $4";

const SQLITE_READ_LOG: &str = "
SELECT position, 0 AS epoch, txid, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload, metadata
  FROM events
 WHERE position > $1
 ORDER BY position
 LIMIT $2";

impl Database {
    /// Up to `limit` events after `after`, in global order. On PostgreSQL only events whose
    /// transaction is older than every running transaction are returned, so an event that
    /// commits late is never passed over: a reader simply sees it on a later call.
    pub async fn read_log(
        &self,
        after: LogCursor,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.read_log_of(after, limit, false).await
    }

    /// `read_log` over every stored event, whatever its transaction id: only for a log
    /// restored from a logical dump and not yet repaired (`restored_log`), where every
    /// write is refused, so every stored event is committed and none can commit among
    /// them later. `verify` reads such a log with this.
    pub async fn read_restored_log(
        &self,
        after: LogCursor,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.read_log_of(after, limit, true).await
    }

    async fn read_log_of(
        &self,
        after: LogCursor,
        limit: i64,
        every_stored: bool,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        match self {
            Database::Postgres(pool) => {
                let rows = sqlx::query(POSTGRES_READ_LOG)
                    .bind(after.epoch)
                    .bind(after.txid.to_string())
                    .bind(after.position)
                    .bind(limit)
                    .bind(every_stored)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(LoggedEvent {
                            position: row.try_get("position")?,
                            epoch: row.try_get("epoch")?,
                            txid: row.try_get("txid")?,
                            aggregate_type: row.try_get("aggregate_type")?,
                            aggregate_id: row.try_get("aggregate_id")?,
                            sequence: row.try_get("sequence")?,
                            event_type: row.try_get("event_type")?,
                            event_version: row.try_get("event_version")?,
                            payload: row.try_get("payload")?,
                            metadata: row.try_get("metadata")?,
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(StoreError::from)
            }
            Database::Sqlite(pool) => {
                let rows = sqlx::query(SQLITE_READ_LOG)
                    .bind(after.position)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        let payload: String = row.try_get("payload")?;
                        let metadata: String = row.try_get("metadata")?;
                        Ok(LoggedEvent {
                            position: row.try_get("position")?,
                            epoch: row.try_get("epoch")?,
                            txid: row.try_get("txid")?,
                            aggregate_type: row.try_get("aggregate_type")?,
                            aggregate_id: row.try_get("aggregate_id")?,
                            sequence: row.try_get("sequence")?,
                            event_type: row.try_get("event_type")?,
                            event_version: row.try_get("event_version")?,
                            payload: serde_json::from_str(&payload)
                                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                            metadata: serde_json::from_str(&metadata)
                                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(StoreError::from)
            }
        }
    }

    /// Waits until the event at `position` (and everything committed before it) can be read
    /// by `read_log`. In PostgreSQL that is when every transaction older than the event's
    /// has ended: a long transaction anywhere in the cluster holds readers back, which is why
    /// this takes a deadline. Returns whether the position became readable in time.
    pub async fn wait_until_readable(
        &self,
        position: i64,
        timeout: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let Database::Postgres(pool) = self else {
            // SQLite has one writer: whatever is committed is readable.
            return Ok(true);
        };
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let readable: Option<bool> = sqlx::query_scalar(
                "SELECT log_epoch < (SELECT epoch FROM log_epoch)
                        OR txid < pg_snapshot_xmin(pg_current_snapshot())
                   FROM events WHERE position = $1",
            )
            .bind(position)
            .fetch_optional(pool)
            .await?;
            // An unknown position (not yet committed, or none) is not readable yet.
            if readable == Some(true) || (position <= 0) {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Where `reader` has got to; the start of the log if it has never run.
    pub async fn load_checkpoint(&self, reader: &str) -> Result<LogCursor, StoreError> {
        let row: Option<(i64, i64, i64)> = match self {
            Database::Postgres(pool) => sqlx::query_as(
                "SELECT log_epoch, txid::text::bigint, position FROM log_checkpoints WHERE reader = $1",
            )
            .bind(reader)
            .fetch_optional(pool)
            .await?,
            Database::Sqlite(pool) => sqlx::query_as(
                "SELECT 0, txid, position FROM log_checkpoints WHERE reader = $1",
            )
            .bind(reader)
            .fetch_optional(pool)
            .await?,
        };
        Ok(row
            .map(|(epoch, txid, position)| LogCursor {
                epoch,
                txid,
                position,
            })
            .unwrap_or(LogCursor::START))
    }

    /// Records that `reader` has handled everything up to `cursor`.
    pub async fn save_checkpoint(&self, reader: &str, cursor: LogCursor) -> Result<(), StoreError> {
        match self {
            Database::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO log_checkpoints (reader, txid, position, log_epoch)
                     VALUES ($1, $2::text::xid8, $3, $4)
                     ON CONFLICT (reader) DO UPDATE SET txid = EXCLUDED.txid,
                         position = EXCLUDED.position, log_epoch = EXCLUDED.log_epoch",
                )
                .bind(reader)
                .bind(cursor.txid.to_string())
                .bind(cursor.position)
                .bind(cursor.epoch)
                .execute(pool)
                .await?;
            }
            Database::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO log_checkpoints (reader, txid, position) VALUES ($1, $2, $3)
                     ON CONFLICT (reader) DO UPDATE SET txid = excluded.txid, position = excluded.position",
                )
                .bind(reader)
                .bind(cursor.txid)
                .bind(cursor.position)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }
}

/// One event as stored, its JSON still text: for a reader that parses it on another
/// thread than the one reading (a full rebuild).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub position: i64,
    pub epoch: i64,
    pub txid: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

impl StoredEvent {
    /// Parses the payload and metadata (the same parse `read_log` does).
    pub fn parse(self) -> Result<LoggedEvent, StoreError> {
        let (event, payload, metadata) = self.into_parts();
        event.with_json_text(&payload, &metadata)
    }

    /// The event with `Null` for its payload and metadata, and their texts: for a reader
    /// that may decode the text without building a `Value` (a rebuild).
    pub fn into_parts(self) -> (LoggedEvent, String, String) {
        let event = LoggedEvent {
            position: self.position,
            epoch: self.epoch,
            txid: self.txid,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence,
            event_type: self.event_type,
            event_version: self.event_version,
            payload: serde_json::Value::Null,
            metadata: serde_json::Value::Null,
        };
        (event, self.payload, self.metadata)
    }
}

impl LoggedEvent {
    /// The event with its payload and metadata parsed from their stored texts.
    pub fn with_json_text(self, payload: &str, metadata: &str) -> Result<LoggedEvent, StoreError> {
        let corrupt = |what: &str, error: serde_json::Error| {
            StoreError::Corrupt(format!(
                "{what} of the event at position {}: {error}",
                self.position
            ))
        };
        let payload = serde_json::from_str(payload).map_err(|error| corrupt("payload", error))?;
        let metadata =
            serde_json::from_str(metadata).map_err(|error| corrupt("metadata", error))?;
        Ok(LoggedEvent {
            payload,
            metadata,
            ..self
        })
    }
}

/// The whole readable log in one statement: the same rule as `POSTGRES_READ_LOG` (only
/// transactions older than every running one), evaluated once for the statement's snapshot.
const POSTGRES_STREAM_LOG: &str = "
SELECT position, log_epoch AS epoch, txid::text::bigint AS txid, aggregate_type,
       aggregate_id, sequence, event_type, event_version, payload::text AS payload,
       metadata::text AS metadata
  FROM events
 WHERE log_epoch < (SELECT epoch FROM log_epoch)
    OR txid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY events.log_epoch, events.txid, events.position";

const SQLITE_STREAM_LOG: &str = "
SELECT position, 0 AS epoch, txid, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload, metadata
  FROM events
 ORDER BY position";

/// A row of either store's stream query as a `StoredEvent` (the same column names).
macro_rules! stored_event {
    ($row:expr) => {{
        let row = $row;
        StoredEvent {
            position: row.try_get("position")?,
            epoch: row.try_get("epoch")?,
            txid: row.try_get("txid")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
        }
    }};
}

impl Database {
    /// Every event readable now, in global order, streamed by one query: what a full
    /// rebuild reads. A walk with `read_log` pays a query and an index descent per batch;
    /// this pays one. Events that become readable later are for `read_log` from the last
    /// cursor this stream gave (on PostgreSQL the statement's snapshot decides what is
    /// readable, with the same rule as `read_log`, so nothing before that cursor is missed).
    pub fn stream_log(&self) -> BoxStream<'_, Result<StoredEvent, StoreError>> {
        match self {
            Database::Postgres(pool) => sqlx::query(POSTGRES_STREAM_LOG)
                .fetch(pool)
                .map(|row| -> Result<StoredEvent, StoreError> { Ok(stored_event!(row?)) })
                .boxed(),
            Database::Sqlite(pool) => sqlx::query(SQLITE_STREAM_LOG)
                .fetch(pool)
                .map(|row| -> Result<StoredEvent, StoreError> { Ok(stored_event!(row?)) })
                .boxed(),
        }
    }
}

/// The oldest transaction of the PostgreSQL cluster that holds a transaction id: while it
/// runs, no event committed after it began can be read by the log's readers (they read
/// below `pg_snapshot_xmin`, the oldest running id, in every database of the cluster). Only
/// what an operator needs to find and end it: never its query text, which may hold
/// personal data. Sessions of other roles are seen only with `pg_read_all_stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct OldestTransaction {
    pub pid: i32,
    /// Seconds since the transaction began.
    pub age_seconds: f64,
    /// The database it runs in (any database of the cluster holds the log back).
    pub database: Option<String>,
    pub application_name: String,
    /// `active`, `idle in transaction`, …
    pub state: Option<String>,
}

/// pid, age in seconds, database, application name, state.
type OldestTransactionRow = (i32, Option<f64>, Option<String>, String, Option<String>);

const POSTGRES_OLDEST_TRANSACTION: &str = "
SELECT pid, CAST(extract(epoch FROM now() - xact_start) AS DOUBLE PRECISION),
       datname::text, coalesce(application_name, ''), state
  FROM pg_stat_activity
 WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
 ORDER BY age(backend_xid) DESC
 LIMIT 1";

impl Database {
    /// The cluster's oldest transaction holding a transaction id, if any (`None` on
    /// SQLite, whose single writer holds no reader back).
    pub async fn oldest_transaction(&self) -> Result<Option<OldestTransaction>, StoreError> {
        let Database::Postgres(pool) = self else {
            return Ok(None);
        };
        let row: Option<OldestTransactionRow> = sqlx::query_as(POSTGRES_OLDEST_TRANSACTION)
            .fetch_optional(pool)
            .await?;
        Ok(row.map(
            |(pid, age_seconds, database, application_name, state)| OldestTransaction {
                pid,
                age_seconds: age_seconds.unwrap_or(0.0).max(0.0),
                database,
                application_name,
                state,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{POSTGRES_READ_LOG, POSTGRES_STREAM_LOG};
    use crate::test_support::TestDatabase;
    use crate::Database;

    /// The plan PostgreSQL makes for `statement` (parameters typed `types`) as a prepared
    /// statement's generic plan, with sorting made prohibitively dear: a plan that still
    /// sorts has no index that yields the order asked for.
    async fn generic_plan(database: &Database, types: &str, statement: &str, args: &str) -> String {
        let Database::Postgres(pool) = database else {
            panic!("a PostgreSQL test database");
        };
        let mut connection = pool.acquire().await.unwrap();
        for setup in [
            "SET plan_cache_mode = force_generic_plan",
            "SET enable_sort = off",
        ] {
            sqlx::query(setup).execute(&mut *connection).await.unwrap();
        }
        let prepare = format!("PREPARE planned{types} AS {statement}");
        sqlx::raw_sql(&prepare)
            .execute(&mut *connection)
            .await
            .unwrap();
        let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN EXECUTE planned{args}"))
            .fetch_all(&mut *connection)
            .await
            .unwrap();
        lines.join("\n")
    }

    #[tokio::test]
    async fn the_log_is_read_in_the_order_of_its_index_on_postgres() {
        let test = TestDatabase::postgres().await.unwrap();
        // Ordering by the output column `txid` (a cast) sorted the rest of the log on
        // every read: 0.6 s a read at 1,000,000 events.
        let read = generic_plan(
            &test.database,
            "(bigint, text, bigint, bigint, boolean)",
            POSTGRES_READ_LOG,
            "(0, '0', 0, 200, false)",
        )
        .await;
        assert!(read.contains("events_log_order"), "{read}");
        assert!(!read.contains("Sort"), "{read}");
        let stream = generic_plan(&test.database, "", POSTGRES_STREAM_LOG, "").await;
        assert!(!stream.contains("Sort"), "{stream}");
    }
}
