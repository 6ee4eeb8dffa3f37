//! The projector: reads the global log from its checkpoint in commit order, folds each
//! batch into the read models and the hash chain, and advances the checkpoint in the same
//! transaction, so every event takes effect exactly once whatever crashes.
//!
//! The checkpoint advance is a compare-and-set on the checkpoint the batch started from:
//! if any other projector moved it meanwhile, the batch is rolled back. On PostgreSQL an
//! advisory lock, held on a connection of its own, makes one projector of a cluster the
//! active one; the others retry the lock every second and take over within seconds when
//! its session ends. The lock keeps the work in one place; the compare-and-set is what
//! makes double counting impossible.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use infrastructure::{Database, LogCursor, LoggedEvent};
use sqlx::Connection;
use tokio::sync::{mpsc, watch};

use crate::chain::{next_hash, parse_hash, GENESIS_HASH};
use crate::decode::{decode, Decoded};
use crate::models::Batch;
use crate::rebuild::{fold_log, Folded, Link, RebuildPhases};
use crate::sql::{bind_all, Param, Sql};
use crate::write::{upsert, ColumnArray, Field, OnConflict, Statement, StatementSink, Writer};
use crate::{on_pool, ProjectionError, PROJECTION_NAMES};

/// The projector's name in `log_checkpoints`.
pub const PROJECTIONS_READER: &str = "projections";
/// Events per batch while following the log.
pub const PROJECTOR_BATCH_EVENTS: i64 = 2_000;
/// Key of the PostgreSQL advisory lock that elects the active projector ("fundproj").
pub const PROJECTOR_LOCK_KEY: i64 = 0x66756e6470726f6a;
/// How often a standby retries the lock.
pub const LOCK_RETRY_MS: u64 = 1_000;
/// Idle wait between polls on SQLite, and the fallback on PostgreSQL when no NOTIFY comes.
pub const IDLE_POLL_MS: u64 = 20;
pub const PG_IDLE_FALLBACK_MS: u64 = 100;
/// After a NOTIFY whose events are not readable yet (an older transaction elsewhere is
/// still open), poll this often until they are.
pub const NOTIFIED_POLL_MS: u64 = 5;
/// Pause after a failed batch before trying again.
pub const ERROR_BACKOFF_MS: u64 = 1_000;
/// How often `wait_for` looks at the store when this process is not the one projecting.
pub const WAIT_POLL_MS: u64 = 5;
/// The NOTIFY channel of migration 0002.
pub const EVENTS_CHANNEL: &str = "fundledger_events";

/// How far the projector is behind the log, measured from the watermark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lag {
    /// The highest position written to the log.
    pub head: i64,
    /// The watermark (see `ReadModelsVersion::watermark`).
    pub watermark: LogCursor,
    /// Events committed after the watermark in the log's order: not yet in the read
    /// models (on PostgreSQL including those an older open transaction still hides).
    pub events_behind: i64,
    /// Seconds since the oldest of them was written (0 when caught up).
    pub age_seconds: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Progress {
    cursor: LogCursor,
    /// Bumped after every committed batch, to wake `wait_for`.
    batches: u64,
}

/// The state the read models answer from: the events projected (`watermark`) and the
/// reference geography (`geography`, the latest import's id; 0 before any). Both only
/// grow, so versions order like `(watermark, geography)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadModelsVersion {
    /// The projector's checkpoint, published with each batch in the batch's transaction:
    /// every event at or before it in the log's order, `(txid, position)`, is in the read
    /// models, and no event can later commit at or before it (the log is read only below
    /// every running transaction). It moves with every batch, including one that projects
    /// only positions lower than some already projected: on PostgreSQL positions are taken
    /// at insert and transaction ids at a transaction's first write, so a later commit may
    /// hold a lower position. The event at position N is covered when its place in that
    /// order is at or before the watermark, not when N is at most `watermark.position`.
    pub watermark: LogCursor,
    pub geography: i64,
}

/// A cheap, cloneable view of the projector for the API: its watermark, waiting for a
/// position to be covered, and lag for metrics. Works in every process, active projector
/// or not: the watermark is read from the store (the checkpoint row).
#[derive(Debug, Clone)]
pub struct ProjectorHandle {
    db: Database,
    progress: watch::Receiver<Progress>,
    active: Arc<AtomicBool>,
}

impl ProjectorHandle {
    pub fn new(db: Database) -> ProjectorHandle {
        let (_, progress) = watch::channel(Progress::default());
        ProjectorHandle {
            db,
            progress,
            active: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether this process holds the projector role now.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// What the public answers are computed from: the watermark and the latest geography
    /// import, read together in one statement.
    pub async fn read_models_version(&self) -> Result<ReadModelsVersion, ProjectionError> {
        let (epoch, txid, position, geography): (
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        ) = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT (SELECT {CHECKPOINT_EPOCH} FROM log_checkpoints WHERE reader = $1),
                        (SELECT CAST(CAST(txid AS TEXT) AS BIGINT) FROM log_checkpoints
                          WHERE reader = $1),
                        (SELECT position FROM log_checkpoints WHERE reader = $1),
                        (SELECT max(import_id) FROM geography_imports)",
                CHECKPOINT_EPOCH = checkpoint_epoch(&self.db)
            ))
            .bind(PROJECTIONS_READER)
            .fetch_one(pool)
            .await?
        });
        Ok(ReadModelsVersion {
            watermark: LogCursor {
                epoch: epoch.unwrap_or(0),
                txid: txid.unwrap_or(0),
                position: position.unwrap_or(0),
            },
            geography: geography.unwrap_or(0),
        })
    }

    /// The watermark now (see `ReadModelsVersion::watermark`).
    pub async fn watermark(&self) -> Result<LogCursor, ProjectionError> {
        Ok(self.db.load_checkpoint(PROJECTIONS_READER).await?)
    }

    /// The place in the log's order of the event at `position` if the watermark covers
    /// it; `None` while it does not (not projected yet, not committed yet, or no such
    /// event). Position 0 (nothing asked) is covered by any watermark.
    pub async fn covered_place(&self, position: i64) -> Result<Option<LogCursor>, ProjectionError> {
        if position <= 0 {
            return Ok(Some(LogCursor::START));
        }
        type Row = (i64, i64, i64, Option<i64>, Option<i64>, Option<i64>);
        let row: Option<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT {EVENT_EPOCH}, CAST(CAST(txid AS TEXT) AS BIGINT), position,
                        (SELECT {CHECKPOINT_EPOCH} FROM log_checkpoints WHERE reader = $2),
                        (SELECT CAST(CAST(txid AS TEXT) AS BIGINT) FROM log_checkpoints
                          WHERE reader = $2),
                        (SELECT position FROM log_checkpoints WHERE reader = $2)
                   FROM events WHERE position = $1",
                EVENT_EPOCH = checkpoint_epoch(&self.db),
                CHECKPOINT_EPOCH = checkpoint_epoch(&self.db)
            ))
            .bind(position)
            .bind(PROJECTIONS_READER)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.and_then(
            |(epoch, txid, position, watermark_epoch, watermark_txid, watermark_position)| {
                let place = LogCursor {
                    epoch,
                    txid,
                    position,
                };
                let watermark = LogCursor {
                    epoch: watermark_epoch.unwrap_or(0),
                    txid: watermark_txid.unwrap_or(0),
                    position: watermark_position.unwrap_or(0),
                };
                (place <= watermark).then_some(place)
            },
        ))
    }

    /// Whether the event at `position` (and so everything committed before it) is projected.
    pub async fn has_projected(&self, position: i64) -> Result<bool, ProjectionError> {
        Ok(self.covered_place(position).await?.is_some())
    }

    /// Waits until the event at `position` is projected, for read-your-writes. Returns
    /// whether it was within `timeout`.
    pub async fn wait_for(
        &self,
        position: i64,
        timeout: Duration,
    ) -> Result<bool, ProjectionError> {
        Ok(self.wait_for_place(position, timeout).await?.is_some())
    }

    /// Waits until the watermark covers the event at `position`; returns that event's
    /// place in the log's order (an answer computed at a watermark at or past it reflects
    /// the event), or `None` if it was not covered within `timeout`.
    pub async fn wait_for_place(
        &self,
        position: i64,
        timeout: Duration,
    ) -> Result<Option<LogCursor>, ProjectionError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut progress = self.progress.clone();
        loop {
            if let Some(place) = self.covered_place(position).await? {
                return Ok(Some(place));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // Woken by our own projector's batches; polled when another process projects.
            let poll = Duration::from_millis(WAIT_POLL_MS).min(deadline - now);
            if let Ok(Err(_)) = tokio::time::timeout(poll, progress.changed()).await {
                // No projector in this process: poll.
                tokio::time::sleep(poll).await;
            }
        }
    }

    /// How far behind the log the projections are (for `/metrics` and `/readyz`): the
    /// events after the watermark, in one indexed range of the log's order.
    pub async fn lag(&self) -> Result<Lag, ProjectionError> {
        let head = self.db.head_position().await?;
        let watermark = self.watermark().await?;
        let (events_behind, age): (i64, Option<f64>) = match &self.db {
            Database::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT count(*), CAST(extract(epoch FROM now() - min(recorded_at)) AS DOUBLE PRECISION)
                       FROM events WHERE (log_epoch, txid, position) > ($3, $1::text::xid8, $2)",
                )
                .bind(watermark.txid.to_string())
                .bind(watermark.position)
                .bind(watermark.epoch)
                .fetch_one(pool)
                .await?
            }
            Database::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT count(*), (julianday('now') - julianday(min(recorded_at))) * 86400.0
                       FROM events WHERE position > $1",
                )
                .bind(watermark.position)
                .fetch_one(pool)
                .await?
            }
        };
        Ok(Lag {
            head,
            watermark,
            events_behind,
            age_seconds: age.unwrap_or(0.0).max(0.0),
        })
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RebuildReport {
    pub events: u64,
    pub elapsed: Duration,
    /// Where the time went.
    pub phases: RebuildPhases,
}

impl RebuildReport {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Folds the log into the read models. Build one per process; spawn `run_until_stopped`.
pub struct Projector {
    db: Database,
    progress: watch::Sender<Progress>,
    handle: ProjectorHandle,
    batch_events: i64,
}

impl Projector {
    pub fn new(db: Database) -> Projector {
        let (progress, receiver) = watch::channel(Progress::default());
        let handle = ProjectorHandle {
            db: db.clone(),
            progress: receiver,
            active: Arc::new(AtomicBool::new(false)),
        };
        Projector {
            db,
            progress,
            handle,
            batch_events: PROJECTOR_BATCH_EVENTS,
        }
    }

    /// Events per batch (tests use small batches to cross batch boundaries).
    pub fn with_batch_events(mut self, batch_events: i64) -> Projector {
        self.batch_events = batch_events.max(1);
        self
    }

    pub fn handle(&self) -> ProjectorHandle {
        self.handle.clone()
    }

    /// Projects until `shutdown` completes. On PostgreSQL only the holder of the advisory
    /// lock projects; the others stand by and retry every second. Errors in a batch are
    /// logged and retried after a pause (the batch was rolled back); the task never dies
    /// quietly and never skips an event.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ProjectionError> {
        tokio::pin!(shutdown);
        tokio::select! {
            _ = &mut shutdown => {}
            result = self.run_forever() => result?,
        }
        self.handle.active.store(false, Ordering::Relaxed);
        Ok(())
    }

    async fn run_forever(&self) -> Result<(), ProjectionError> {
        match &self.db {
            Database::Sqlite(_) => {
                self.handle.active.store(true, Ordering::Relaxed);
                loop {
                    match self.catch_up().await {
                        Ok(0) => tokio::time::sleep(Duration::from_millis(IDLE_POLL_MS)).await,
                        Ok(_) => {}
                        Err(error) => {
                            tracing::error!(%error, "projector batch failed; retrying");
                            tokio::time::sleep(Duration::from_millis(ERROR_BACKOFF_MS)).await;
                        }
                    }
                }
            }
            Database::Postgres(pool) => {
                // A restored log stays refused until an operator repairs it: said once, not
                // every second.
                let mut restore_reported = false;
                loop {
                    match self.lead_postgres(pool).await {
                        Ok(()) => {}
                        Err(error) => {
                            self.handle.active.store(false, Ordering::Relaxed);
                            let restored =
                                matches!(error, ProjectionError::LogicalRestoreDetected { .. });
                            if !(restored && restore_reported) {
                                tracing::error!(%error, "projector stopped leading; standing by");
                            }
                            restore_reported |= restored;
                            tokio::time::sleep(Duration::from_millis(ERROR_BACKOFF_MS)).await;
                        }
                    }
                }
            }
        }
    }

    /// Waits for the advisory lock, then projects while holding it. Returns (to be called
    /// again) when the lock's connection fails.
    async fn lead_postgres(&self, pool: &sqlx::PgPool) -> Result<(), ProjectionError> {
        // A connection of its own, outside the pool: the lock lives as long as its session.
        let mut lock = pool.acquire().await?.detach();
        loop {
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(PROJECTOR_LOCK_KEY)
                .fetch_one(&mut lock)
                .await?;
            if locked {
                break;
            }
            tokio::time::sleep(Duration::from_millis(LOCK_RETRY_MS)).await;
        }
        tracing::info!("projector: this process is the active projector");
        self.handle.active.store(true, Ordering::Relaxed);
        let result = self.follow_postgres(pool, &mut lock).await;
        self.handle.active.store(false, Ordering::Relaxed);
        let _ = lock.close().await;
        result
    }

    async fn follow_postgres(
        &self,
        pool: &sqlx::PgPool,
        lock: &mut sqlx::PgConnection,
    ) -> Result<(), ProjectionError> {
        check_restore_safety(&self.db).await?;
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let mut notified_at: Option<Instant> = None;
        loop {
            let projected = match self.catch_up().await {
                Ok(projected) => projected,
                Err(ProjectionError::LostCheckpoint { .. }) => 0,
                Err(error) => {
                    tracing::error!(%error, "projector batch failed; retrying");
                    tokio::time::sleep(Duration::from_millis(ERROR_BACKOFF_MS)).await;
                    0
                }
            };
            if projected > 0 {
                notified_at = None;
            }
            // Still the holder? A dead lock connection means another may have taken over.
            sqlx::query("SELECT 1").execute(&mut *lock).await?;
            let wait = match notified_at {
                // Events were written but are hidden behind an older open transaction.
                Some(at) if at.elapsed() < Duration::from_secs(5) => {
                    Duration::from_millis(NOTIFIED_POLL_MS)
                }
                _ => Duration::from_millis(PG_IDLE_FALLBACK_MS),
            };
            match tokio::time::timeout(wait, listener.try_recv()).await {
                Ok(Ok(Some(_))) => notified_at = Some(Instant::now()),
                Ok(Ok(None)) => {} // the listener reconnected: poll anyway
                Ok(Err(error)) => return Err(error.into()),
                Err(_) => {}
            }
        }
    }

    /// Projects batches until the log has nothing more readable; returns how many events.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        self.run_batches(self.batch_events, None).await
    }

    /// Projects at most `batches` batches (tests stop between batches with this).
    pub async fn project_batches(&self, batches: usize) -> Result<u64, ProjectionError> {
        if batches == 0 {
            return Ok(0);
        }
        self.run_batches(self.batch_events, Some(batches)).await
    }

    /// Does all the work of one batch, writes it in a transaction, and then drops the
    /// transaction instead of committing: what a crash mid-batch leaves behind. For tests.
    #[doc(hidden)]
    pub async fn project_batch_and_crash(&self) -> Result<usize, ProjectionError> {
        self.project_batch(self.batch_events, false).await
    }

    /// Empties the read models and the chain and projects the whole log again.
    pub async fn rebuild(
        &self,
        projection: Option<&str>,
    ) -> Result<RebuildReport, ProjectionError> {
        if let Some(name) = projection {
            if name != "all" && !PROJECTION_NAMES.contains(&name) {
                return Err(ProjectionError::UnknownProjection(name.to_string()));
            }
        }
        check_restore_safety(&self.db).await?;
        let started = Instant::now();
        let Folded {
            batch,
            links,
            cursor,
            events,
            mut phases,
        } = fold_log(&self.db).await?;
        let writing = Instant::now();
        match &self.db {
            Database::Postgres(pool) => {
                rebuild_postgres(pool, batch, links, cursor, &mut phases, writing).await?
            }
            Database::Sqlite(pool) => {
                rebuild_sqlite(pool, batch, links, cursor, &mut phases, writing).await?
            }
        }
        phases.write = writing.elapsed();
        tracing::info!(
            ?phases,
            events,
            "rebuild: log folded and read models written"
        );
        // Whatever was written while the log was folded.
        let catching_up = Instant::now();
        let later = match self.catch_up().await {
            Ok(projected) => projected,
            // A running server's projector took a batch first: it committed, so what the
            // log gained during the fold is projected either way.
            Err(ProjectionError::LostCheckpoint { .. }) => 0,
            Err(error) => return Err(error),
        };
        phases.catch_up = catching_up.elapsed();
        Ok(RebuildReport {
            events: events + later,
            elapsed: started.elapsed(),
            phases,
        })
    }

    async fn project_batch(&self, limit: i64, commit: bool) -> Result<usize, ProjectionError> {
        let cursor = self.db.load_checkpoint(PROJECTIONS_READER).await?;
        let head = chain_head(&self.db).await?;
        let prepared = prepare(self.db.clone(), cursor, limit, head).await?;
        self.write_batch(cursor, prepared, commit).await
    }

    /// Projects batches from the checkpoint. The next batch is read, decoded and chained
    /// (CPU work that needs no read-model state) while the current one is folded and
    /// written. Stops when nothing more is readable or after `max_batches`.
    async fn run_batches(
        &self,
        limit: i64,
        max_batches: Option<usize>,
    ) -> Result<u64, ProjectionError> {
        let spawn_prepare = |cursor: LogCursor, head: ChainHead| {
            let db = self.db.clone();
            tokio::spawn(prepare(db, cursor, limit, head))
        };
        let mut cursor = self.db.load_checkpoint(PROJECTIONS_READER).await?;
        let mut next = spawn_prepare(cursor, chain_head(&self.db).await?);
        let mut total = 0u64;
        let mut batches = 0usize;
        loop {
            let prepared = (&mut next)
                .await
                .map_err(|error| ProjectionError::Task(error.to_string()))??;
            let Some(last) = prepared.events.last().map(|(event, _)| event.cursor()) else {
                return Ok(total);
            };
            batches += 1;
            let more = max_batches.is_none_or(|max| batches < max);
            if more {
                next = spawn_prepare(last, prepared.head);
            }
            let written = match self.write_batch(cursor, prepared, true).await {
                Ok(written) => written,
                Err(error) => {
                    next.abort();
                    return Err(error);
                }
            };
            total += written as u64;
            cursor = last;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Folds a prepared batch (the one after `cursor`) and writes the read models, the
    /// chain and the checkpoint in one transaction; `commit = false` drops it instead (tests).
    async fn write_batch(
        &self,
        cursor: LogCursor,
        prepared: Prepared,
        commit: bool,
    ) -> Result<usize, ProjectionError> {
        let db = &self.db;
        let Prepared {
            events: decoded,
            links,
            ..
        } = prepared;
        if decoded.is_empty() {
            return Ok(0);
        }
        let mut batch = Batch::load(db, &decoded).await?;
        for (event, kind) in &decoded {
            batch.apply(event, kind)?;
        }

        let last = decoded
            .last()
            .map(|(event, _)| event.cursor())
            .unwrap_or(cursor);
        let writer = Writer::live(db.is_postgres());
        let mut statements = vec![Statement::Rows(advance_checkpoint(db, cursor, last))];
        statements.extend(batch.statements(writer));
        chain_statements(&mut statements, writer, &links);

        if !run_live_batch(db, cursor, statements, commit).await? {
            return Ok(decoded.len());
        }
        self.progress.send_modify(|progress| {
            progress.cursor = last;
            progress.batches += 1;
        });
        Ok(decoded.len())
    }
}

/// A rebuild's write on PostgreSQL: the rows are encoded on a thread of their own, a
/// table at a time, while one transaction empties the tables and then runs each COPY as
/// it comes: the store's work and ours overlap. The chain (a row per event) first.
async fn rebuild_postgres(
    pool: &sqlx::PgPool,
    batch: Batch,
    links: Vec<Link>,
    cursor: LogCursor,
    phases: &mut RebuildPhases,
    writing: Instant,
) -> Result<(), ProjectionError> {
    let (sender, mut encoded) = mpsc::channel(REBUILD_STATEMENTS_AHEAD);
    let encoder = tokio::task::spawn_blocking(move || {
        let encoding = Instant::now();
        let mut statements = SendStatements {
            sender,
            waiting: Duration::ZERO,
        };
        chain_statements(&mut statements, Writer::Copy, &links);
        drop(links);
        batch.write_statements(Writer::Copy, &mut statements);
        encoding.elapsed().saturating_sub(statements.waiting)
    });
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit TO OFF")
        .execute(&mut *tx)
        .await?;
    // The checkpoint row first: a running projector's next batch waits on it
    // and then finds it moved, instead of deadlocking on the read models.
    set_checkpoint(&mut tx, cursor).await?;
    // In this transaction, so the COPYs may FREEZE (see `Writer::Copy`).
    let indexes = truncate_and_drop_indexes(&mut tx).await?;
    let copying = Instant::now();
    phases.truncate = copying - writing;
    while let Some(statement) = encoded.recv().await {
        execute_postgres(&mut tx, vec![statement]).await?;
    }
    phases.encode = encoder
        .await
        .map_err(|error| ProjectionError::Task(error.to_string()))?;
    let indexing = Instant::now();
    phases.copy = indexing - copying;
    // One round trip for all of them (simple query protocol).
    sqlx::raw_sql(&indexes.join(";\n"))
        .execute(&mut *tx)
        .await?;
    let analyzing = Instant::now();
    phases.index_builds = analyzing - indexing;
    // Fresh statistics with the fresh rows: the planner would otherwise plan
    // the first queries over emptied tables (seen at 1M events: roll-up
    // queries taking seconds until autovacuum's analyze came round). Not the
    // chain: it is only read by key (ordinal, position) or whole (max,
    // count), which need no column statistics, and its row count is recorded
    // by the index builds; sampling its distinct hashes was about a third of
    // this step.
    let analyzed: Vec<&str> = READ_MODEL_TABLES
        .into_iter()
        .filter(|table| *table != "ledger_chain")
        .collect();
    sqlx::query(&format!("ANALYZE {}", analyzed.join(", ")))
        .execute(&mut *tx)
        .await?;
    let committing = Instant::now();
    phases.analyze = committing - analyzing;
    tx.commit().await?;
    phases.commit = committing.elapsed();
    Ok(())
}

/// A rebuild's write on SQLite: multi-row inserts in one transaction.
async fn rebuild_sqlite(
    pool: &sqlx::SqlitePool,
    batch: Batch,
    links: Vec<Link>,
    cursor: LogCursor,
    phases: &mut RebuildPhases,
    writing: Instant,
) -> Result<(), ProjectionError> {
    let mut statements = batch.statements(Writer::Values);
    chain_statements(&mut statements, Writer::Values, &links);
    drop(links);
    phases.encode = writing.elapsed();
    let mut tx = pool.begin().await?;
    set_checkpoint_sqlite(&mut tx, cursor).await?;
    for table in READ_MODEL_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    let copying = Instant::now();
    phases.truncate = (copying - writing).saturating_sub(phases.encode);
    execute_sqlite(&mut tx, statements).await?;
    let committing = Instant::now();
    phases.copy = committing - copying;
    tx.commit().await?;
    phases.commit = committing.elapsed();
    Ok(())
}

/// Runs a live batch's statements in one transaction, the checkpoint's compare-and-set
/// alone first (nothing else is written if it fails); `commit = false` drops the
/// transaction instead (tests) and gives false.
async fn run_live_batch(
    db: &Database,
    cursor: LogCursor,
    mut statements: Vec<Statement>,
    commit: bool,
) -> Result<bool, ProjectionError> {
    let lost = |found: LogCursor| ProjectionError::LostCheckpoint {
        expected: format!("{cursor:?}"),
        found: format!("{found:?}"),
    };
    match db {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // The checkpoint commits with the rows, so a batch lost in a crash before
            // its WAL is flushed is simply projected again: no need to wait for the flush.
            sqlx::query("SET LOCAL synchronous_commit TO OFF")
                .execute(&mut *tx)
                .await?;
            let rest = statements.split_off(1);
            if execute_postgres(&mut tx, statements).await? != [1] {
                return Err(lost(db.load_checkpoint(PROJECTIONS_READER).await?));
            }
            execute_postgres(&mut tx, rest).await?;
            if !commit {
                return Ok(false);
            }
            tx.commit().await?;
        }
        Database::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let rest = statements.split_off(1);
            if execute_sqlite(&mut tx, statements).await? != [1] {
                return Err(lost(db.load_checkpoint(PROJECTIONS_READER).await?));
            }
            execute_sqlite(&mut tx, rest).await?;
            if !commit {
                return Ok(false);
            }
            tx.commit().await?;
        }
    }
    Ok(true)
}

/// Encoded statements a rebuild's encoding thread may be ahead of the transaction running
/// them (each is one table's rows: this bounds what is held twice, as rows and as COPY data).
const REBUILD_STATEMENTS_AHEAD: usize = 1;

/// Hands each statement to the rebuild's transaction as soon as it is encoded. If the
/// transaction has failed (the receiver is gone) the rest are dropped: the error is
/// reported by the transaction.
struct SendStatements {
    sender: mpsc::Sender<Statement>,
    /// Time spent waiting for the transaction to take a statement (not encoding).
    waiting: Duration,
}

impl StatementSink for SendStatements {
    fn push(&mut self, statement: Statement) {
        let sending = Instant::now();
        let _ = self.sender.blocking_send(statement);
        self.waiting += sending.elapsed();
    }
}

/// The chain rows as statements: COPY on PostgreSQL (plain rows of integers and hex; a
/// live batch appends, so an existing ordinal fails it), multi-row inserts on SQLite.
fn chain_statements(statements: &mut impl StatementSink, writer: Writer, links: &[Link]) {
    if links.is_empty() {
        return;
    }
    if writer == Writer::Values {
        upsert(
            statements,
            writer,
            "ledger_chain",
            "ordinal, position, hash",
            "ordinal",
            OnConflict::Fail,
            links,
            |(ordinal, position, hash)| {
                vec![
                    Field::Int(*ordinal),
                    Field::Int(*position),
                    Field::Hex(hash),
                ]
            },
        );
        return;
    }
    // Written by hand rather than through `upsert`: a rebuild writes a row per event.
    let mut data = Vec::with_capacity(links.len() * 90);
    let mut hex = [0u8; 64];
    let mut number = itoa::Buffer::new();
    for (ordinal, position, hash) in links {
        data.extend_from_slice(number.format(*ordinal).as_bytes());
        data.push(b'\t');
        data.extend_from_slice(number.format(*position).as_bytes());
        data.push(b'\t');
        hex::encode_to_slice(hash, &mut hex).expect("64 hex digits for 32 bytes");
        data.extend_from_slice(&hex);
        data.push(b'\n');
    }
    let freeze = if writer == Writer::Copy {
        " WITH (FREEZE)"
    } else {
        ""
    };
    statements.push(Statement::Copy {
        text: format!("COPY ledger_chain (ordinal, position, hash) FROM STDIN{freeze}"),
        data,
    });
}

/// Runs the statements in the transaction; returns the rows each changed (0 for COPY).
async fn execute_postgres(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    statements: Vec<Statement>,
) -> Result<Vec<u64>, ProjectionError> {
    let mut affected = Vec::with_capacity(statements.len());
    for statement in statements {
        let done = match statement {
            Statement::Rows(sql) => {
                bind_all!(sqlx::query(&sql.text), &sql.params)
                    .execute(&mut **tx)
                    .await?
            }
            Statement::Unnest { text, columns } => {
                let mut query = sqlx::query(&text);
                for column in columns {
                    query = match column {
                        ColumnArray::Text(values) => query.bind(values),
                        ColumnArray::Int(values) => query.bind(values),
                    };
                }
                query.execute(&mut **tx).await?
            }
            Statement::Copy { text, data } => {
                let mut copy = tx.copy_in_raw(&text).await?;
                copy.send(data).await?;
                copy.finish().await?;
                affected.push(0);
                continue;
            }
        };
        affected.push(done.rows_affected());
    }
    Ok(affected)
}

async fn execute_sqlite(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    statements: Vec<Statement>,
) -> Result<Vec<u64>, ProjectionError> {
    let mut affected = Vec::with_capacity(statements.len());
    for statement in statements {
        let Statement::Rows(sql) = statement else {
            unreachable!("array and COPY statements are only made for PostgreSQL")
        };
        let done = bind_all!(sqlx::query(&sql.text), &sql.params)
            .execute(&mut **tx)
            .await?;
        affected.push(done.rows_affected());
    }
    Ok(affected)
}

/// Sets the checkpoint outright (a rebuild replaces everything it stands for).
async fn set_checkpoint(
    tx: &mut sqlx::PgConnection,
    cursor: LogCursor,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO log_checkpoints (reader, txid, position, log_epoch)
         VALUES ($1, $2::text::xid8, $3, $4)
         ON CONFLICT (reader) DO UPDATE SET txid = EXCLUDED.txid, position = EXCLUDED.position,
             log_epoch = EXCLUDED.log_epoch",
    )
    .bind(PROJECTIONS_READER)
    .bind(cursor.txid.to_string())
    .bind(cursor.position)
    .bind(cursor.epoch)
    .execute(tx)
    .await?;
    Ok(())
}

async fn set_checkpoint_sqlite(
    tx: &mut sqlx::SqliteConnection,
    cursor: LogCursor,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO log_checkpoints (reader, txid, position) VALUES ($1, $2, $3)
         ON CONFLICT (reader) DO UPDATE SET txid = excluded.txid, position = excluded.position",
    )
    .bind(PROJECTIONS_READER)
    .bind(cursor.txid)
    .bind(cursor.position)
    .execute(tx)
    .await?;
    Ok(())
}

/// The last link of the chain: its ordinal (0 for none) and hash.
#[derive(Debug, Clone, Copy)]
struct ChainHead {
    ordinal: i64,
    hash: [u8; 32],
}

async fn chain_head(db: &Database) -> Result<ChainHead, ProjectionError> {
    let (ordinal, hash): (i64, String) = on_pool!(db, |pool| sqlx::query_as(
        "SELECT ordinal, hash FROM ledger_chain ORDER BY ordinal DESC LIMIT 1"
    )
    .fetch_optional(pool)
    .await?)
    .unwrap_or((0, GENESIS_HASH.to_string()));
    let hash = parse_hash(&hash).ok_or_else(|| {
        ProjectionError::BadRow(format!("ledger_chain hash '{hash}' is not hex SHA-256"))
    })?;
    Ok(ChainHead { ordinal, hash })
}

/// A batch read, decoded and chained, ready to fold.
struct Prepared {
    events: Vec<(LoggedEvent, Decoded)>,
    links: Vec<Link>,
    /// The chain head after this batch.
    head: ChainHead,
}

/// Reads the batch after `cursor`, decodes it and extends the chain from `head`.
async fn prepare(
    db: Database,
    cursor: LogCursor,
    limit: i64,
    head: ChainHead,
) -> Result<Prepared, ProjectionError> {
    let events = db.read_log(cursor, limit).await?;
    let mut decoded = Vec::with_capacity(events.len());
    let mut links = Vec::with_capacity(events.len());
    let ChainHead {
        mut ordinal,
        mut hash,
    } = head;
    for event in events {
        let kind = decode(&event)?;
        hash = next_hash(&hash, &event);
        ordinal += 1;
        links.push((ordinal, event.position, hash));
        decoded.push((event, kind));
    }
    Ok(Prepared {
        events: decoded,
        links,
        head: ChainHead { ordinal, hash },
    })
}

/// The compare-and-set that advances the checkpoint from `from` to `to`; it must change
/// exactly one row, or another projector got there first.
fn advance_checkpoint(db: &Database, from: LogCursor, to: LogCursor) -> Sql {
    let mut sql = Sql::default();
    if db.is_postgres() {
        sql.push("UPDATE log_checkpoints SET txid = CAST(CAST(")
            .bind(Param::Text(to.txid.to_string()))
            .push(" AS TEXT) AS xid8), position = ")
            .bind(Param::Int(to.position))
            .push(", log_epoch = ")
            .bind(Param::Int(to.epoch))
            .push(" WHERE reader = ")
            .bind_text(PROJECTIONS_READER)
            .push(" AND txid = CAST(CAST(")
            .bind(Param::Text(from.txid.to_string()))
            .push(" AS TEXT) AS xid8) AND position = ")
            .bind(Param::Int(from.position))
            .push(" AND log_epoch = ")
            .bind(Param::Int(from.epoch));
    } else {
        sql.push("UPDATE log_checkpoints SET txid = ")
            .bind(Param::Int(to.txid))
            .push(", position = ")
            .bind(Param::Int(to.position))
            .push(" WHERE reader = ")
            .bind_text(PROJECTIONS_READER)
            .push(" AND txid = ")
            .bind(Param::Int(from.txid))
            .push(" AND position = ")
            .bind(Param::Int(from.position));
    }
    sql
}

/// Every table a rebuild empties and refills.
const READ_MODEL_TABLES: [&str; 18] = [
    "rm_funds",
    "rm_fund_daily",
    "rm_rounds",
    "rm_applications",
    "rm_awards",
    "rm_award_themes",
    "rm_drawdowns",
    "rm_award_daily",
    "rm_outcome_proxies",
    "rm_outcomes",
    "rm_award_inputs",
    "rm_outcome_proxy_versions",
    "rm_round_votes",
    "rm_application_votes",
    crate::models::budget_lines::TABLES[0],
    crate::models::budget_lines::TABLES[1],
    "rm_priority_lists",
    "ledger_chain",
];

/// Empties the read-model tables and drops their indexes, primary keys and unique
/// constraints included, and returns the statements that make them again. A rebuild
/// builds each index once from the loaded rows (a sort and one sequential write) instead
/// of inserting a million entries one by one: about half the time of the write. Read from
/// the catalog, so an index a later migration adds is handled too. Only inside the
/// rebuild's transaction: a failure anywhere rolls the drops back with everything else.
/// The truncate and the drops go in one round trip.
async fn truncate_and_drop_indexes(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
) -> Result<Vec<String>, ProjectionError> {
    let tables: Vec<String> = READ_MODEL_TABLES
        .iter()
        .map(|table| table.to_string())
        .collect();
    // Constraints first (their indexes go with them), then the plain indexes.
    let constraints: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
           FROM pg_constraint
          WHERE conrelid = ANY(CAST($1 AS text[])::regclass[]) AND contype IN ('p', 'u')
          ORDER BY conrelid, conname",
    )
    .bind(&tables)
    .fetch_all(&mut **tx)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
           FROM pg_index
          WHERE indrelid = ANY(CAST($1 AS text[])::regclass[])
            AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)
          ORDER BY indexrelid",
    )
    .bind(&tables)
    .fetch_all(&mut **tx)
    .await?;
    let mut drop = vec![format!("TRUNCATE {}", READ_MODEL_TABLES.join(", "))];
    let mut recreate = Vec::with_capacity(constraints.len() + indexes.len() + 1);
    // Room to sort the largest index (the chain's) in memory; for this transaction only.
    recreate.push("SET LOCAL maintenance_work_mem TO '256MB'".to_string());
    for (table, name, definition) in constraints {
        drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"));
        recreate.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        ));
    }
    for (name, definition) in indexes {
        drop.push(format!("DROP INDEX {name}"));
        recreate.push(definition);
    }
    sqlx::raw_sql(&drop.join(";\n")).execute(&mut **tx).await?;
    Ok(recreate)
}

/// Refuses to project a PostgreSQL log restored from a logical dump into a cluster whose
/// transaction counter is behind the dump's: its events would stay invisible to the
/// commit-order reader, and new events would sort before them. See projections/README.md.
pub async fn check_restore_safety(db: &Database) -> Result<(), ProjectionError> {
    match db.log_order().await? {
        infrastructure::LogOrder::RestoredAhead {
            max_txid,
            next_txid,
        } => Err(ProjectionError::LogicalRestoreDetected {
            max_txid,
            next_txid,
        }),
        infrastructure::LogOrder::Safe => Ok(()),
    }
}

/// The checkpoint's (or an event's) epoch column: SQLite's log has one epoch, 0, and no
/// such column.
fn checkpoint_epoch(db: &Database) -> &'static str {
    if db.is_postgres() {
        "log_epoch"
    } else {
        "0"
    }
}
