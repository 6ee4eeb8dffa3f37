//! The command path: load an aggregate, let it decide, append its events through
//! postgres-es or sqlite-es, and report where they landed in the global log.
//!
//! Loading never replays a whole history: a bounded in-process cache, then a snapshot of our
//! own, then only the events after it. (cqrs-es 0.5.0's snapshot and aggregate stores apply
//! every event twice, so they are not used: here the state that is cached or snapshotted is
//! the aggregate after `handle`, whose `EventSink` applied each new event exactly once.)

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Instant;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use cqrs_es::{Aggregate, DomainEvent};
use lru::LruCache;
use postgres_es::PostgresEventRepository;
use serde_json::{json, Value};
use sqlite_es::SqliteEventRepository;
use tokio::sync::Mutex;

use crate::command_log::{command_name, log_batch, log_command};
use crate::database::{Database, StoreError, WriteHealth};

/// Aggregates kept in memory per aggregate type.
pub const AGGREGATE_CACHE_ENTRIES: usize = 10_000;
/// A snapshot is written every this many events of one aggregate.
pub const SNAPSHOT_EVERY_EVENTS: usize = 64;
/// The schema version of the aggregate states in `aggregate_snapshots`. Bump it when any
/// aggregate's serialized state changes meaning or shape: snapshots of another version are
/// then ignored and the aggregates folded from their events (a new snapshot follows).
/// 2: the fund keeps its establishment date and valued indicators, the award its
/// drawdowns' approval dates, what its close released, and its amount after a close.
/// 3: the award keeps its budget lines and spend periods, the fund its priority-area
/// lists.
pub const SNAPSHOT_SCHEMA_VERSION: i64 = 3;
/// How often a command is re-run after losing a race for its aggregate.
pub const COMMAND_ATTEMPTS: usize = 5;

/// Who asks, and how to recognise a retry of the same request.
#[derive(Debug, Clone, Default)]
pub struct CommandContext {
    /// Who issued the command (a token's subject, `system`, `demo`…); stored in metadata.
    pub actor: String,
    /// The client's idempotency key, scoped to the actor.
    pub idempotency_key: Option<String>,
    /// A digest of the request, so a key reused for a different request is refused.
    pub request_hash: String,
    /// The digest an earlier version recorded for the same request (of its `Debug` text):
    /// a stored key with it is the same request too. Never written.
    pub legacy_request_hash: Option<String>,
}

impl CommandContext {
    pub fn system() -> CommandContext {
        CommandContext {
            actor: "system".to_string(),
            ..CommandContext::default()
        }
    }

    pub fn by(actor: &str) -> CommandContext {
        CommandContext {
            actor: actor.to_string(),
            ..CommandContext::default()
        }
    }

    pub fn with_key(mut self, key: Option<String>, request_hash: String) -> CommandContext {
        self.idempotency_key = key.map(|key| format!("{}/{}", self.actor, key));
        self.request_hash = request_hash;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command; nothing was written.
    #[error(transparent)]
    Rejected(E),
    #[error("{aggregate_type} {aggregate_id} kept changing under this command; try again")]
    Concurrency {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error("idempotency key '{0}' was already used for a different request")]
    KeyReused(String),
    /// `execute_existing` found no such aggregate; nothing was written.
    #[error("no {kind} {id}")]
    Missing { kind: &'static str, id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why `execute_new_batch` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum BatchError<E: std::error::Error> {
    /// One aggregate refused its command.
    #[error("{aggregate_id}: {error}")]
    Rejected { aggregate_id: String, error: E },
    /// One of the aggregates (or idempotency keys) was written by someone else first.
    #[error("some of these were written at the same time by another command; run it again")]
    Exists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a command wrote.
#[derive(Debug, Clone)]
pub struct Committed<A: Aggregate> {
    pub aggregate_id: String,
    /// The events this command appended; empty for a no-op or a replayed key.
    pub events: Vec<A::Event>,
    /// The global position of the command's last event (for a no-op, of the aggregate's
    /// latest event; 0 if it has none).
    pub position: i64,
    /// True when the idempotency key had been used: nothing new was written.
    pub replayed: bool,
    /// The aggregate after the command (`None` for a replayed key: its state then is not
    /// known without loading it).
    pub state: Option<A>,
}

/// The first outcome recorded for an idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    pub execution_id: String,
    pub request_hash: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub last_position: i64,
}

enum Repository {
    Postgres(PostgresEventRepository),
    Sqlite(SqliteEventRepository),
}

impl Repository {
    async fn events_after<A: Aggregate>(
        &self,
        id: &str,
        sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            Repository::Postgres(repo) => repo.get_last_events::<A>(id, sequence).await,
            Repository::Sqlite(repo) => repo.get_last_events::<A>(id, sequence).await,
        }
    }

    async fn append<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
    ) -> Result<(), PersistenceError> {
        match self {
            Repository::Postgres(repo) => repo.persist::<A>(events, None).await,
            Repository::Sqlite(repo) => repo.persist::<A>(events, None).await,
        }
    }
}

struct Loaded<A> {
    aggregate: A,
    sequence: usize,
}

/// What one attempt at a command came to.
enum Attempt<A: Aggregate> {
    /// Written, a no-op, a refusal's replay or a replayed key: the command's answer.
    Finished(Committed<A>),
    /// Another writer appended to the aggregate first: reload and try again.
    LostRace,
}

/// Runs commands against one aggregate type.
pub struct AggregateStore<A: Aggregate> {
    database: Database,
    repository: Repository,
    services: A::Services,
    cache: Mutex<LruCache<String, (usize, A)>>,
    /// Where each append's outcome is recorded for readiness.
    health: WriteHealth,
}

impl<A> AggregateStore<A>
where
    A: Aggregate + Clone,
    A::Command: Clone + serde::Serialize,
{
    pub fn new(database: Database, services: A::Services) -> AggregateStore<A> {
        let repository = match &database {
            Database::Postgres(pool) => {
                Repository::Postgres(PostgresEventRepository::new(pool.clone()))
            }
            Database::Sqlite(pool) => Repository::Sqlite(SqliteEventRepository::new(pool.clone())),
        };
        AggregateStore {
            database,
            repository,
            services,
            cache: Mutex::new(LruCache::new(
                NonZeroUsize::new(AGGREGATE_CACHE_ENTRIES).expect("cache size is non-zero"),
            )),
            health: WriteHealth::default(),
        }
    }

    /// Records every append's outcome in `health` (shared by a ledger's stores).
    pub fn with_write_health(mut self, health: WriteHealth) -> AggregateStore<A> {
        self.health = health;
        self
    }

    pub fn services(&self) -> &A::Services {
        &self.services
    }

    /// The aggregate's current state and sequence (a `Default` aggregate at 0 if it has no
    /// events).
    pub async fn load(&self, aggregate_id: &str) -> Result<(A, usize), StoreError> {
        let loaded = self.load_state(aggregate_id).await?;
        Ok((loaded.aggregate, loaded.sequence))
    }

    async fn load_state(&self, aggregate_id: &str) -> Result<Loaded<A>, StoreError> {
        let cached = self.cache.lock().await.get(aggregate_id).cloned();
        let (mut aggregate, mut sequence) = match cached {
            Some((sequence, aggregate)) => (aggregate, sequence),
            None => self.read_snapshot(aggregate_id).await?.unwrap_or_default(),
        };
        let newer = self
            .repository
            .events_after::<A>(aggregate_id, sequence)
            .await
            .map_err(persistence_error)?;
        for serialized in newer {
            let event: A::Event = crate::upcast::decode_stored(
                A::TYPE,
                &serialized.event_type,
                &serialized.event_version,
                serialized.payload,
            )
            .map_err(|error| {
                StoreError::Corrupt(format!(
                    "{} {} event {}: {error}",
                    A::TYPE,
                    aggregate_id,
                    serialized.sequence
                ))
            })?;
            aggregate.apply(event);
            sequence = serialized.sequence;
        }
        Ok(Loaded {
            aggregate,
            sequence,
        })
    }

    /// Runs `command` on aggregate `aggregate_id`. A lost race for the aggregate re-runs the
    /// command on the new state (so budget checks see every committed approval); a retried
    /// idempotency key returns the first outcome and writes nothing.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
    ) -> Result<Committed<A>, CommandError<A::Error>> {
        let (name, started) = (command_name(&command), Instant::now());
        let result = self.run(aggregate_id, command, context, None).await;
        log_command(&name, started, &result);
        result
    }

    /// Like `execute`, for a command on an aggregate that must already exist: if it has no
    /// events the command is refused as `Missing` (a `kind` such as "award") without
    /// reaching the aggregate. Saves a caller the extra load of checking first.
    pub async fn execute_existing(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
        kind: &'static str,
    ) -> Result<Committed<A>, CommandError<A::Error>> {
        let (name, started) = (command_name(&command), Instant::now());
        let result = self.run(aggregate_id, command, context, Some(kind)).await;
        log_command(&name, started, &result);
        result
    }

    async fn run(
        &self,
        aggregate_id: &str,
        command: A::Command,
        context: &CommandContext,
        must_exist: Option<&'static str>,
    ) -> Result<Committed<A>, CommandError<A::Error>> {
        if let Some(key) = &context.idempotency_key {
            if let Some(record) = self.database.find_key(key).await? {
                return replay(record, key, context);
            }
        }
        let execution_id = uuid::Uuid::new_v4().to_string();
        for attempt in 0..COMMAND_ATTEMPTS {
            let outcome = self
                .attempt(aggregate_id, &command, context, must_exist, &execution_id)
                .await?;
            match outcome {
                Attempt::Finished(committed) => return Ok(committed),
                Attempt::LostRace => {
                    self.forget(aggregate_id).await;
                    back_off(attempt).await;
                }
            }
        }
        Err(CommandError::Concurrency {
            aggregate_type: A::TYPE,
            aggregate_id: aggregate_id.to_string(),
        })
    }

    /// One try at `command` against the aggregate as now stored.
    async fn attempt(
        &self,
        aggregate_id: &str,
        command: &A::Command,
        context: &CommandContext,
        must_exist: Option<&'static str>,
        execution_id: &str,
    ) -> Result<Attempt<A>, CommandError<A::Error>> {
        let Loaded {
            mut aggregate,
            sequence,
        } = self.load_state(aggregate_id).await?;
        if let (Some(kind), 0) = (must_exist, sequence) {
            return Err(CommandError::Missing {
                kind,
                id: aggregate_id.to_string(),
            });
        }
        let sink = EventSink::<A>::default();
        if let Err(rejection) = aggregate
            .handle(command.clone(), &self.services, &sink)
            .await
        {
            return self
                .rejected(rejection, context)
                .await
                .map(Attempt::Finished);
        }
        let events = sink.collect().await;
        if events.is_empty() {
            let position = self
                .database
                .position_of(A::TYPE, aggregate_id, sequence)
                .await?;
            self.remember(aggregate_id, sequence, aggregate.clone())
                .await;
            return Ok(Attempt::Finished(Committed {
                aggregate_id: aggregate_id.to_string(),
                events,
                position,
                replayed: false,
                state: Some(aggregate),
            }));
        }
        self.append(
            aggregate_id,
            sequence,
            aggregate,
            events,
            context,
            execution_id,
        )
        .await
    }

    /// The outcome of a command the aggregate refused.
    async fn rejected(
        &self,
        rejection: A::Error,
        context: &CommandContext,
    ) -> Result<Committed<A>, CommandError<A::Error>> {
        // A copy of this keyed command may have committed since the key was looked
        // up; the state it left (a tranche already received, say) rejects this copy,
        // which must instead report the first outcome.
        if let Some(key) = &context.idempotency_key {
            if let Some(record) = self.database.find_key(key).await? {
                return replay(record, key, context);
            }
        }
        Err(CommandError::Rejected(rejection))
    }

    /// Appends `events` after `sequence` (`aggregate` is the state they leave).
    async fn append(
        &self,
        aggregate_id: &str,
        sequence: usize,
        aggregate: A,
        events: Vec<A::Event>,
        context: &CommandContext,
        execution_id: &str,
    ) -> Result<Attempt<A>, CommandError<A::Error>> {
        let serialized = serialize::<A>(aggregate_id, sequence, &events, context, execution_id)?;
        // `append` returns Ok only once its transaction's COMMIT returned Ok: only then is
        // the command acknowledged.
        match self.repository.append::<A>(&serialized).await {
            Ok(()) => {
                self.health.record(Ok(()));
                let last_sequence = sequence + events.len();
                let position = self
                    .database
                    .position_of(A::TYPE, aggregate_id, last_sequence)
                    .await?;
                if last_sequence / SNAPSHOT_EVERY_EVENTS > sequence / SNAPSHOT_EVERY_EVENTS {
                    self.snapshot_after_commit(aggregate_id, last_sequence, &aggregate)
                        .await;
                }
                self.remember(aggregate_id, last_sequence, aggregate.clone())
                    .await;
                Ok(Attempt::Finished(Committed {
                    aggregate_id: aggregate_id.to_string(),
                    events,
                    position,
                    replayed: false,
                    state: Some(aggregate),
                }))
            }
            Err(error) => {
                // Another copy of this keyed command may have won: postgres-es reports
                // the key's unique violation as an optimistic-lock error, sqlite-es as
                // an unknown one, so ask the key table rather than the error.
                if let Some(key) = &context.idempotency_key {
                    if let Some(record) = self.database.find_key(key).await? {
                        if record.execution_id != execution_id {
                            return replay(record, key, context).map(Attempt::Finished);
                        }
                    }
                }
                match error {
                    PersistenceError::OptimisticLockError => Ok(Attempt::LostRace),
                    other => {
                        let error = persistence_error(other);
                        self.health.record(Err(&error));
                        Err(CommandError::Store(error))
                    }
                }
            }
        }
    }

    /// Runs commands that each create a new aggregate, and appends all their events in one
    /// transaction: a bulk import's cost is then one commit, not one per aggregate. Each
    /// command has its own context (and so its own idempotency key). Nothing is loaded:
    /// every aggregate must be new, or the append fails as a whole (unique sequence) and
    /// writes nothing. Returns the events written and the global position of the last.
    pub async fn execute_new_batch(
        &self,
        commands: Vec<(String, A::Command, CommandContext)>,
    ) -> Result<(usize, i64), BatchError<A::Error>> {
        let (count, started) = (commands.len(), Instant::now());
        let result = self.append_new_batch(commands).await;
        log_batch::<A>(count, started, &result);
        result
    }

    async fn append_new_batch(
        &self,
        commands: Vec<(String, A::Command, CommandContext)>,
    ) -> Result<(usize, i64), BatchError<A::Error>> {
        let mut serialized = Vec::with_capacity(commands.len());
        let mut last = None;
        for (aggregate_id, command, context) in commands {
            let mut aggregate = A::default();
            let sink = EventSink::<A>::default();
            aggregate
                .handle(command, &self.services, &sink)
                .await
                .map_err(|error| BatchError::Rejected {
                    aggregate_id: aggregate_id.clone(),
                    error,
                })?;
            let events = sink.collect().await;
            if events.is_empty() {
                continue;
            }
            let execution_id = uuid::Uuid::new_v4().to_string();
            serialized.extend(serialize::<A>(
                &aggregate_id,
                0,
                &events,
                &context,
                &execution_id,
            )?);
            last = Some((aggregate_id, events.len()));
        }
        let Some((last_id, last_sequence)) = last else {
            return Ok((0, 0));
        };
        self.repository
            .append::<A>(&serialized)
            .await
            .map_err(|error| match error {
                PersistenceError::OptimisticLockError => BatchError::Exists,
                other => {
                    let error = persistence_error(other);
                    self.health.record(Err(&error));
                    BatchError::Store(error)
                }
            })?;
        self.health.record(Ok(()));
        let position = self
            .database
            .position_of(A::TYPE, &last_id, last_sequence)
            .await?;
        Ok((serialized.len(), position))
    }

    async fn remember(&self, aggregate_id: &str, sequence: usize, aggregate: A) {
        if sequence > 0 {
            self.cache
                .lock()
                .await
                .put(aggregate_id.to_string(), (sequence, aggregate));
        }
    }

    async fn forget(&self, aggregate_id: &str) {
        self.cache.lock().await.pop(aggregate_id);
    }

    /// Drops every cached aggregate (tests use it to force loading from the store).
    pub async fn clear_cache(&self) {
        self.cache.lock().await.clear();
    }

    async fn read_snapshot(&self, aggregate_id: &str) -> Result<Option<(A, usize)>, StoreError> {
        const SQL: &str = "SELECT last_sequence, payload FROM aggregate_snapshots
                            WHERE aggregate_type = $1 AND aggregate_id = $2
                              AND schema_version = $3";
        let row: Option<(i64, Value)> = match &self.database {
            Database::Postgres(pool) => {
                sqlx::query_as(SQL)
                    .bind(A::TYPE)
                    .bind(aggregate_id)
                    .bind(SNAPSHOT_SCHEMA_VERSION)
                    .fetch_optional(pool)
                    .await?
            }
            Database::Sqlite(pool) => {
                let row: Option<(i64, String)> = sqlx::query_as(SQL)
                    .bind(A::TYPE)
                    .bind(aggregate_id)
                    .bind(SNAPSHOT_SCHEMA_VERSION)
                    .fetch_optional(pool)
                    .await?;
                match row {
                    Some((sequence, text)) => Some((
                        sequence,
                        serde_json::from_str(&text)
                            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
                    )),
                    None => None,
                }
            }
        };
        // A snapshot of another schema version is not read (the query), and one that no
        // longer fits the aggregate's shape all the same is ignored:
        // the events are replayed instead and a fresh snapshot is written later.
        Ok(row.and_then(|(sequence, payload)| {
            serde_json::from_value::<A>(payload)
                .ok()
                .map(|aggregate| (aggregate, sequence as usize))
        }))
    }

    /// Writes a snapshot for events already committed. A snapshot only saves later loads
    /// some work, so failing to write one (a full disk) must not turn the committed command
    /// into a failure its client would retry: it is logged, and a later command writes one.
    async fn snapshot_after_commit(&self, aggregate_id: &str, sequence: usize, aggregate: &A) {
        if let Err(error) = self.write_snapshot(aggregate_id, sequence, aggregate).await {
            tracing::warn!(
                %error,
                aggregate_type = A::TYPE,
                aggregate_id,
                "snapshot not written; the command itself is committed"
            );
        }
    }

    async fn write_snapshot(
        &self,
        aggregate_id: &str,
        sequence: usize,
        aggregate: &A,
    ) -> Result<(), StoreError> {
        let payload = serde_json::to_value(aggregate)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        // Only ever move a snapshot forward: a slower writer must not put back an older one.
        match &self.database {
            Database::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, last_sequence, payload, schema_version)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
                        SET last_sequence = EXCLUDED.last_sequence, payload = EXCLUDED.payload,
                            schema_version = EXCLUDED.schema_version
                      WHERE aggregate_snapshots.last_sequence < EXCLUDED.last_sequence
                         OR aggregate_snapshots.schema_version <> EXCLUDED.schema_version",
                )
                .bind(A::TYPE)
                .bind(aggregate_id)
                .bind(sequence as i64)
                .bind(&payload)
                .bind(SNAPSHOT_SCHEMA_VERSION)
                .execute(pool)
                .await?;
            }
            Database::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, last_sequence, payload, schema_version)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
                        SET last_sequence = excluded.last_sequence, payload = excluded.payload,
                            schema_version = excluded.schema_version
                      WHERE aggregate_snapshots.last_sequence < excluded.last_sequence
                         OR aggregate_snapshots.schema_version <> excluded.schema_version",
                )
                .bind(A::TYPE)
                .bind(aggregate_id)
                .bind(sequence as i64)
                .bind(payload.to_string())
                .bind(SNAPSHOT_SCHEMA_VERSION)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }
}

fn replay<A: Aggregate>(
    record: KeyRecord,
    key: &str,
    context: &CommandContext,
) -> Result<Committed<A>, CommandError<A::Error>> {
    let same_request = record.request_hash == context.request_hash
        || context.legacy_request_hash.as_ref() == Some(&record.request_hash);
    if !same_request {
        return Err(CommandError::KeyReused(
            key.split_once('/')
                .map(|(_, key)| key)
                .unwrap_or(key)
                .to_string(),
        ));
    }
    Ok(Committed {
        aggregate_id: record.aggregate_id,
        events: Vec::new(),
        position: record.last_position,
        replayed: true,
        state: None,
    })
}

fn serialize<A: Aggregate>(
    aggregate_id: &str,
    sequence: usize,
    events: &[A::Event],
    context: &CommandContext,
    execution_id: &str,
) -> Result<Vec<SerializedEvent>, StoreError> {
    let mut metadata: HashMap<&str, &str> = HashMap::new();
    metadata.insert("actor", &context.actor);
    metadata.insert("execution_id", execution_id);
    if let Some(key) = &context.idempotency_key {
        metadata.insert("idempotency_key", key);
        metadata.insert("request_hash", &context.request_hash);
    }
    let metadata = json!(metadata);
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            Ok(SerializedEvent::new(
                aggregate_id.to_string(),
                sequence + index + 1,
                A::TYPE.to_string(),
                event.event_type(),
                event.event_version(),
                serde_json::to_value(event)
                    .map_err(|error| StoreError::Corrupt(error.to_string()))?,
                metadata.clone(),
            ))
        })
        .collect()
}

/// Waits a little before re-running a command that lost a race: a random share of a
/// window that doubles with each attempt, so the racers spread out instead of colliding
/// again in step.
async fn back_off(attempt: usize) {
    let window_micros = 2_000u64 << attempt.min(6);
    let random = u64::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .expect("8 bytes"),
    );
    tokio::time::sleep(std::time::Duration::from_micros(random % window_micros)).await;
}

/// The store's error behind postgres-es's or sqlite-es's: both box the `sqlx::Error`, whose
/// code tells a refused write (a full disk) from other failures.
fn persistence_error(error: PersistenceError) -> StoreError {
    if let PersistenceError::UnknownError(source) | PersistenceError::ConnectionError(source) =
        &error
    {
        if let Some(message) = crate::restored_log::restored_log_refusal(source.as_ref()) {
            return StoreError::RestoredLogNeedsRepair(message);
        }
    }
    match error {
        PersistenceError::ConnectionError(inner)
        | PersistenceError::DeserializationError(inner)
        | PersistenceError::UnknownError(inner) => match inner.downcast::<sqlx::Error>() {
            Ok(sqlx_error) => StoreError::from(*sqlx_error),
            Err(other) => StoreError::Persistence(other.to_string()),
        },
        other => StoreError::Persistence(other.to_string()),
    }
}

impl Database {
    /// The global position of one event (0 when `sequence` is 0: no event yet).
    pub async fn position_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: usize,
    ) -> Result<i64, StoreError> {
        if sequence == 0 {
            return Ok(0);
        }
        const SQL: &str = "SELECT position FROM events
                            WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3";
        let position: Option<i64> = match self {
            Database::Postgres(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(aggregate_type)
                    .bind(aggregate_id)
                    .bind(sequence as i64)
                    .fetch_optional(pool)
                    .await?
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar(SQL)
                    .bind(aggregate_type)
                    .bind(aggregate_id)
                    .bind(sequence as i64)
                    .fetch_optional(pool)
                    .await?
            }
        };
        position.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{aggregate_type} {aggregate_id} has no event {sequence}"
            ))
        })
    }

    /// The request hash recorded for each of `keys` that was used, by key.
    pub async fn find_keys(&self, keys: &[String]) -> Result<HashMap<String, String>, StoreError> {
        /// Keys per query: far under both stores' limits on bound parameters.
        const KEYS_PER_QUERY: usize = 1_000;
        let mut found = HashMap::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let placeholders: Vec<String> =
                (1..=chunk.len()).map(|index| format!("${index}")).collect();
            let sql = format!(
                "SELECT idempotency_key, request_hash FROM command_keys WHERE idempotency_key IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<(String, String)> = match self {
                Database::Postgres(pool) => {
                    let mut query = sqlx::query_as(&sql);
                    for key in chunk {
                        query = query.bind(key);
                    }
                    query.fetch_all(pool).await?
                }
                Database::Sqlite(pool) => {
                    let mut query = sqlx::query_as(&sql);
                    for key in chunk {
                        query = query.bind(key);
                    }
                    query.fetch_all(pool).await?
                }
            };
            found.extend(rows);
        }
        Ok(found)
    }

    /// Records `position` as the answer of the command keyed `key`, when it is later than
    /// what the key holds: a command whose second halves (`ledger::follow_up`) wrote after
    /// its own events answered their last position, and a retry with the key must answer
    /// the same (the trigger of migration 0001 records only the command's own events).
    pub async fn record_answer_position(&self, key: &str, position: i64) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE command_keys SET last_position = $2
                            WHERE idempotency_key = $1 AND last_position < $2";
        match self {
            Database::Postgres(pool) => {
                sqlx::query(SQL)
                    .bind(key)
                    .bind(position)
                    .execute(pool)
                    .await?;
            }
            Database::Sqlite(pool) => {
                sqlx::query(SQL)
                    .bind(key)
                    .bind(position)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// The outcome first recorded for an idempotency key, if it was used.
    pub async fn find_key(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        const SQL: &str =
            "SELECT execution_id, request_hash, aggregate_type, aggregate_id, last_position
                             FROM command_keys WHERE idempotency_key = $1";
        let row: Option<(String, String, String, String, i64)> = match self {
            Database::Postgres(pool) => sqlx::query_as(SQL).bind(key).fetch_optional(pool).await?,
            Database::Sqlite(pool) => sqlx::query_as(SQL).bind(key).fetch_optional(pool).await?,
        };
        Ok(row.map(
            |(execution_id, request_hash, aggregate_type, aggregate_id, last_position)| KeyRecord {
                execution_id,
                request_hash,
                aggregate_type,
                aggregate_id,
                last_position,
            },
        ))
    }
}

/// Shared handle to a store of one aggregate type.
pub type SharedStore<A> = Arc<AggregateStore<A>>;
