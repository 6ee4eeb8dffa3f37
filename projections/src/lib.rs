//! fundledger's read side: SQL read models folded from the global event log, the
//! projector that keeps them current (exactly once, in commit order), the hash chain over
//! the log, an independent verifier, and the typed queries the API serves from.
//!
//! - [`projector`]: [`Projector`] runs as a task (`run_until_stopped`) or once (`rebuild`,
//!   `catch_up`); [`ProjectorHandle`] gives `position`, `wait_for` and `lag`.
//! - [`read`]: plain-struct queries over the read models; never replays events.
//! - [`verify`]: recomputes the chain and a fresh fold, and names the first mismatch.
//! - [`chain`]: the canonical bytes of an event and the chain hash.
//! - `models`: one module per read model (its rows, fold, write and check for `verify`);
//!   `decode` (events as the read models see them), `write` (upserts, UNNEST and COPY),
//!   `check` (what `verify` reports) are the plumbing they share.

/// Budget lines: the queries (planned, spent, variance per category; the spend-above-paid
/// flag). The read model itself is `models::budget_lines`.
pub use models::budget_lines;
pub mod chain;
mod check;
mod decode;
mod geography_check;
mod models;
pub mod priority_areas;
pub mod projector;
pub mod read;
mod rebuild;
mod sql;
pub mod synthetic;
pub mod verify;
mod write;

use infrastructure::StoreError;
use rust_decimal::Decimal;

pub use projector::{
    Lag, Projector, ProjectorHandle, ReadModelsVersion, RebuildReport, PROJECTIONS_READER,
};
pub use rebuild::RebuildPhases;

/// The projections a `rebuild` may name. They share one checkpoint and are always
/// rebuilt together; the names exist so scripts can say what they mean.
pub const PROJECTION_NAMES: [&str; 6] = [
    "fund_position",
    "round_summary",
    "award_register",
    "neighbourhood_totals",
    "daily_series",
    "hash_chain",
];

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event at position {position} ({event_type}) could not be read: {message}")]
    BadEvent {
        position: i64,
        event_type: String,
        message: String,
    },
    #[error("read model row could not be read: {0}")]
    BadRow(String),
    #[error("another projector advanced the checkpoint (expected {expected}, found {found}); this one stands down")]
    LostCheckpoint { expected: String, found: String },
    #[error(
        "the event log holds transaction ids from another cluster (max txid {max_txid} is not below this \
         cluster's next id {next_txid}): it was restored from a logical dump. Events would stay hidden and \
         new ones would sort before them. Stop the servers and run `fundledger repair-restored-log` \
         (README, \"Backups and restore\")"
    )]
    LogicalRestoreDetected { max_txid: i64, next_txid: i64 },
    #[error("no projection named '{0}' (known: fund_position, round_summary, award_register, neighbourhood_totals, daily_series, hash_chain, all)")]
    UnknownProjection(String),
    #[error("timed out after {waited_ms} ms waiting for {what}")]
    Timeout { what: String, waited_ms: u64 },
    #[error("projector task failed: {0}")]
    Task(String),
    #[error("invalid query: {0}")]
    BadQuery(String),
}

impl From<sqlx::Error> for ProjectionError {
    fn from(error: sqlx::Error) -> Self {
        ProjectionError::Store(StoreError::Database(error))
    }
}

/// Money in the read models is integer pence: exact, and summed by SQL on both stores.
pub(crate) fn to_pence(amount: Decimal) -> i64 {
    let pence = amount * Decimal::ONE_HUNDRED;
    debug_assert!(
        pence.fract().is_zero(),
        "money has at most 2 places: {amount}"
    );
    i64::try_from(pence.trunc()).expect("amounts are bounded far below i64 pence")
}

pub(crate) fn from_pence(pence: i64) -> Decimal {
    Decimal::new(pence, 2)
}

/// Runs `$body` once per store with `$pool` bound to that store's pool; the body is the
/// same SQL for both (the read models share one schema).
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            infrastructure::Database::Postgres($pool) => $body,
            infrastructure::Database::Sqlite($pool) => $body,
        }
    };
}
pub(crate) use on_pool;
