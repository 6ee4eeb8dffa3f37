//! A PostgreSQL log restored from a logical dump (`pg_dump` / `pg_restore`) into a cluster
//! whose transaction counter is behind the dump's: detecting it, and repairing its order.
//!
//! Each event keeps the `txid` of the cluster that wrote it, and the log is read in
//! (epoch, txid, position) order, only below every running transaction (`event_log.rs`).
//! Restored ids ahead of this cluster's counter stay unreadable until the counter passes
//! them, and a write made meanwhile takes a lower id: it sorts before events readers have
//! already passed and is never read. So while the current epoch holds an id this cluster
//! has not handed out, the store refuses every write (migration 0016's trigger, SQLSTATE
//! `FL001`), readiness says why, and the projector refuses to start.
//!
//! The repair starts a new epoch: `log_epoch.epoch` and the events' column default move
//! up by one in one transaction. Every restored event then sorts before any new write and
//! is readable whatever its txid; no event's content, position or relative order changes,
//! nor any checkpoint (all of them lie in the earlier epoch), and the hash chain (over
//! the events' canonical bytes, in that unchanged order) stays as it was. It works for
//! any gap: the cluster's counter need not move.

use std::time::Duration;

use sqlx::Connection;

use crate::database::{Database, StoreError};

/// The command that repairs a restored log (`api`'s CLI).
pub const REPAIR_COMMAND: &str = "fundledger repair-restored-log";
/// The SQLSTATE migration 0016's trigger raises when it refuses a write.
pub const RESTORED_LOG_SQLSTATE: &str = "FL001";
/// How long the repair tries for the projector's advisory lock: a server whose projector
/// refuses a restored log still takes the lock for a moment every second.
pub const REPAIR_LOCK_WAIT_MS: u64 = 5_000;
/// How long the repair waits for the events table's lock before giving up.
pub const REPAIR_TABLE_LOCK_TIMEOUT_MS: u64 = 5_000;

/// Whether new writes sort after every event in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOrder {
    Safe,
    /// The current epoch holds transaction id `max_txid`, at or above this cluster's next
    /// id `next_txid`: restored from a logical dump and not yet repaired.
    RestoredAhead {
        max_txid: i64,
        next_txid: i64,
    },
}

impl LogOrder {
    /// What an operator reads in `/readyz`, the log and errors; `None` when safe.
    pub fn problem(&self) -> Option<String> {
        match self {
            LogOrder::Safe => None,
            LogOrder::RestoredAhead {
                max_txid,
                next_txid,
            } => Some(format!(
                "the event log was restored from a logical dump: it holds transaction id \
                 {max_txid} but this cluster's next is {next_txid}; writes are refused \
                 until an operator stops the servers and runs `{REPAIR_COMMAND}` (README, \
                 \"Backups and restore\")"
            )),
        }
    }
}

/// What `repair_restored_log` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairOutcome {
    /// The log's order was already safe (or the store is SQLite): nothing changed.
    NothingToRepair,
    /// A new epoch began: `events` restored events now sort before every later write.
    Repaired {
        epoch: i64,
        events: i64,
        max_txid: i64,
        next_txid: i64,
    },
}

const POSTGRES_LOG_ORDER: &str = "
SELECT (SELECT max(txid)::text::bigint FROM events
         WHERE log_epoch = (SELECT epoch FROM log_epoch)),
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint";

async fn log_order_on(connection: &mut sqlx::PgConnection) -> Result<LogOrder, StoreError> {
    let (max_txid, next_txid): (Option<i64>, i64) = sqlx::query_as(POSTGRES_LOG_ORDER)
        .fetch_one(connection)
        .await?;
    Ok(match max_txid {
        Some(max_txid) if max_txid >= next_txid => LogOrder::RestoredAhead {
            max_txid,
            next_txid,
        },
        _ => LogOrder::Safe,
    })
}

impl Database {
    /// Whether the log's order is safe for new writes: one index probe. SQLite's order
    /// has no transaction ids and is always safe.
    pub async fn log_order(&self) -> Result<LogOrder, StoreError> {
        match self {
            Database::Postgres(pool) => log_order_on(&mut *pool.acquire().await?).await,
            Database::Sqlite(_) => Ok(LogOrder::Safe),
        }
    }

    /// Makes a restored log's order safe (see the module's doc); does nothing, and says so,
    /// when it already is. Refuses while a server's projector holds the advisory lock
    /// `projector_lock_key`, and holds the events table exclusively while it works, so no
    /// write or read of the log is in flight.
    pub async fn repair_restored_log(
        &self,
        projector_lock_key: i64,
    ) -> Result<RepairOutcome, StoreError> {
        let Database::Postgres(pool) = self else {
            return Ok(RepairOutcome::NothingToRepair);
        };
        if self.log_order().await? == LogOrder::Safe {
            return Ok(RepairOutcome::NothingToRepair);
        }
        // A connection of its own: the advisory lock lives as long as its session.
        let mut connection = pool.acquire().await?.detach();
        let outcome = repair_holding_lock(&mut connection, projector_lock_key).await;
        let _ = connection.close().await;
        outcome
    }
}

async fn repair_holding_lock(
    connection: &mut sqlx::PgConnection,
    projector_lock_key: i64,
) -> Result<RepairOutcome, StoreError> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(REPAIR_LOCK_WAIT_MS);
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(projector_lock_key)
            .fetch_one(&mut *connection)
            .await?;
        if locked {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::RepairRefused(format!(
                "a fundledger server is projecting from this database (it held the \
                 projector's lock for {REPAIR_LOCK_WAIT_MS} ms); stop every server, then \
                 run `{REPAIR_COMMAND}` again"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut tx = connection.begin().await?;
    sqlx::query(&format!(
        "SET LOCAL lock_timeout = '{REPAIR_TABLE_LOCK_TIMEOUT_MS}ms'"
    ))
    .execute(&mut *tx)
    .await?;
    // No write (and no read of the log) is in flight while the epoch moves.
    sqlx::query("LOCK TABLE events, log_epoch IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let LogOrder::RestoredAhead {
        max_txid,
        next_txid,
    } = log_order_on(&mut tx).await?
    else {
        return Ok(RepairOutcome::NothingToRepair);
    };
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE log_epoch = (SELECT epoch FROM log_epoch)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let epoch: i64 = sqlx::query_scalar("UPDATE log_epoch SET epoch = epoch + 1 RETURNING epoch")
        .fetch_one(&mut *tx)
        .await?;
    // A DDL statement takes no parameters; `epoch` is an integer read just above.
    sqlx::query(&format!(
        "ALTER TABLE events ALTER COLUMN log_epoch SET DEFAULT {epoch}"
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(RepairOutcome::Repaired {
        epoch,
        events,
        max_txid,
        next_txid,
    })
}

/// Whether a write failed because migration 0016's trigger refused it (a restored log not
/// yet repaired), and the store's message if so.
pub fn restored_log_refusal(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(sqlx::Error::Database(database)) = error.downcast_ref::<sqlx::Error>() {
            if database.code().as_deref() == Some(RESTORED_LOG_SQLSTATE) {
                return Some(database.message().to_string());
            }
        }
        source = error.source();
    }
    None
}
