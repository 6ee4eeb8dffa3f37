//! Whether the projections keep up, by time: `/readyz`, `/metrics` and a warning in the
//! log all read one `ProjectionHealth`, the projector's lag (how long the oldest committed
//! event not yet in the read models has waited) and, on PostgreSQL, the cluster's oldest
//! transaction holding a transaction id, which is what usually holds the log back (a long
//! transaction in any database of the cluster hides every later commit from the readers).
//! Every check is bounded: a store that does not answer is reported, never waited for.

use std::sync::OnceLock;
use std::time::Duration;

use infrastructure::OldestTransaction;
use projections::Lag;
use tokio::sync::watch;

use super::context::AppState;

/// `/readyz` reports the projection stalled once the oldest committed event not yet in
/// the read models has waited longer than this.
pub const READY_MAX_PROJECTION_LAG_MS: u64 = 10_000;
/// Overrides `READY_MAX_PROJECTION_LAG_MS` (fault drills and tests use a short one).
pub const READY_MAX_LAG_ENV: &str = "FUNDLEDGER_READY_MAX_LAG_MS";
/// The longest `/readyz` and `/metrics` wait for the store before answering without it.
pub const HEALTH_CHECK_TIMEOUT_MS: u64 = 800;
/// How often the stall watcher looks; it warns at most once per look.
pub const STALL_LOG_INTERVAL_MS: u64 = 10_000;

/// The projector's lag and what may be holding it back, at one moment.
#[derive(Debug, Clone)]
pub struct ProjectionHealth {
    pub lag: Lag,
    /// The cluster's oldest transaction holding a transaction id (PostgreSQL only).
    pub oldest_transaction: Option<OldestTransaction>,
}

/// Why the health could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("the store did not answer within {HEALTH_CHECK_TIMEOUT_MS} ms")]
    TimedOut,
    #[error("the store could not be read: {0}")]
    Store(String),
}

/// The stall threshold in force: `FUNDLEDGER_READY_MAX_LAG_MS` if set to a whole number of
/// milliseconds, else `READY_MAX_PROJECTION_LAG_MS`.
pub fn ready_max_lag() -> Duration {
    static MAX_LAG: OnceLock<Duration> = OnceLock::new();
    *MAX_LAG.get_or_init(|| {
        let configured = std::env::var(READY_MAX_LAG_ENV)
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok());
        Duration::from_millis(configured.unwrap_or(READY_MAX_PROJECTION_LAG_MS))
    })
}

impl ProjectionHealth {
    /// Reads the lag and the oldest transaction, within `HEALTH_CHECK_TIMEOUT_MS`.
    pub async fn check(state: &AppState) -> Result<ProjectionHealth, HealthError> {
        let work = async {
            let lag = state
                .projector
                .lag()
                .await
                .map_err(|error| HealthError::Store(error.to_string()))?;
            let oldest_transaction = state
                .database()
                .oldest_transaction()
                .await
                .map_err(|error| HealthError::Store(error.to_string()))?;
            Ok(ProjectionHealth {
                lag,
                oldest_transaction,
            })
        };
        tokio::time::timeout(Duration::from_millis(HEALTH_CHECK_TIMEOUT_MS), work)
            .await
            .unwrap_or(Err(HealthError::TimedOut))
    }

    /// Whether the oldest unprojected event has waited longer than `max_lag`.
    pub fn stalled(&self, max_lag: Duration) -> bool {
        self.lag.events_behind > 0 && self.lag.age_seconds > max_lag.as_secs_f64()
    }

    /// One line for operators: how long projection has waited and who holds it back.
    pub fn stall_description(&self, max_lag: Duration) -> String {
        let waited = format!(
            "projection stalled: the oldest of {} committed events not yet in the read models \
             has waited {:.1} s (limit {:.1} s)",
            self.lag.events_behind,
            self.lag.age_seconds,
            max_lag.as_secs_f64()
        );
        match &self.oldest_transaction {
            Some(holder) => format!("{waited}; held back by {}", describe(holder)),
            None => format!(
                "{waited}; no open transaction holds it back: the projector is not running \
                 or failing (see the log)"
            ),
        }
    }
}

/// The holder as an operator finds it (`pg_stat_activity`, `pg_terminate_backend(pid)`).
pub fn describe(holder: &OldestTransaction) -> String {
    format!(
        "transaction of pid {} in database '{}' (application '{}', {}) open for {:.1} s",
        holder.pid,
        holder.database.as_deref().unwrap_or("?"),
        holder.application_name,
        holder.state.as_deref().unwrap_or("state unknown"),
        holder.age_seconds
    )
}

/// Looks every `STALL_LOG_INTERVAL_MS` and warns, naming the holder, while projection is
/// stalled, until `stopped` turns true.
pub async fn watch_stalls(state: std::sync::Arc<AppState>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(STALL_LOG_INTERVAL_MS)) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        match ProjectionHealth::check(&state).await {
            Ok(health) if health.stalled(ready_max_lag()) => {
                tracing::warn!("{}", health.stall_description(ready_max_lag()));
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "projection health could not be checked"),
        }
    }
}
