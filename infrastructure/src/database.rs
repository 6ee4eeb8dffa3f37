//! Connection pools for the two stores, with migrations run on connect.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection;

use crate::config::{sqlite_file, StoreConfig};

/// Connections to PostgreSQL; enough for the server's requests, the projector and the
/// process manager at once.
pub const POSTGRES_MAX_CONNECTIONS: u32 = 32;
/// How long the first connection to PostgreSQL may take before the store is reported
/// unreachable (by host and port).
pub const POSTGRES_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// SQLite has one writer at a time; readers in WAL mode run beside it.
pub const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// How long a PostgreSQL request waits for a connection (a pooled one, or a new one while
/// the server refuses) before it is answered "unavailable, retry": an outage must reach
/// clients as a retryable answer within about a second, not as a hang.
pub const POSTGRES_ACQUIRE_TIMEOUT_MS: u64 = 1_000;
/// How long `serve` and the other commands wait at start for PostgreSQL to accept
/// connections (a server started beside its database, say), beyond the acquire timeout.
pub const POSTGRES_STARTUP_WAIT_MS: u64 = 3_000;
/// The pause between tries while PostgreSQL is not accepting connections at start.
const POSTGRES_STARTUP_RETRY_MS: u64 = 200;
/// How long a SQLite writer waits for the lock before giving up.
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;
/// For fault drills only: caps every SQLite connection's database size at this many
/// pages (`PRAGMA max_page_count`), so "the disk is full" can be made to happen on
/// purpose and repeatably (`tests/tests/fault_disk_full.rs`). Never set it in production.
pub const SQLITE_MAX_PAGE_COUNT_ENV: &str = "FUNDLEDGER_SQLITE_MAX_PAGE_COUNT";

/// SQLite's primary result codes (the low byte of an extended code) that mean the store
/// cannot write just now: `SQLITE_BUSY` (5), `SQLITE_READONLY` (8), `SQLITE_IOERR` (10),
/// `SQLITE_FULL` (13).
const SQLITE_UNWRITABLE_CODES: [i64; 4] = [5, 8, 10, 13];
const SQLITE_READONLY: i64 = 8;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_NOTADB: i64 = 26;
/// PostgreSQL's SQLSTATEs that mean the store cannot write just now: `disk_full`,
/// `read_only_sql_transaction`.
const POSTGRES_UNWRITABLE_STATES: [&str; 2] = ["53100", "25006"];
/// PostgreSQL's SQLSTATE for a database that does not exist.
const POSTGRES_INVALID_CATALOG_NAME: &str = "3D000";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL '{0}' is neither sqlite:… nor postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("event store: {0}")]
    Persistence(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The store refused a write for want of space, access or the lock: nothing of the
    /// failed transaction was kept, and the same request may be sent again.
    #[error("the store cannot write just now ({0}); nothing was recorded, retry later")]
    Unwritable(String),
    /// A command that only reads a store was pointed at a SQLite file that is not there.
    #[error(
        "no store at {}: the file does not exist, and this command never creates one \
         (check --database-url / DATABASE_URL; `fundledger serve`, `demo` or `import` create \
         a new store)",
        path.display()
    )]
    MissingStore { path: PathBuf },
    #[error(
        "the SQLite store at {} is read-only ({cause}); fundledger must be able to write the \
         file and its directory (for the -wal and -shm files beside it)",
        path.display()
    )]
    ReadOnly { path: PathBuf, cause: String },
    #[error(
        "cannot open the SQLite store at {} ({cause}); check that the path is a fundledger \
         database and its directory exists and is writable",
        path.display()
    )]
    CannotOpen { path: PathBuf, cause: String },
    #[error(
        "cannot reach PostgreSQL at {server} ({cause}); check that it is running there and \
         that DATABASE_URL names the right host and port"
    )]
    Unreachable { server: String, cause: String },
    #[error(
        "PostgreSQL at {server} has no database \"{name}\"; create it first (createdb) or \
         correct DATABASE_URL"
    )]
    MissingDatabase { server: String, name: String },
    /// A write refused because the log was restored from a logical dump and not repaired
    /// (`restored_log`): the store's message names the repair command.
    #[error("{0}")]
    RestoredLogNeedsRepair(String),
    /// `repair-restored-log` refused to run (a server is still projecting).
    #[error("repair refused: {0}")]
    RepairRefused(String),
    /// `backup` refused to run (a PostgreSQL store, or the file exists).
    #[error("backup refused: {0}")]
    BackupRefused(String),
}

impl From<sqlx::Error> for StoreError {
    /// A refused write is `Unwritable` (retryable, and what readiness reports); anything
    /// else stays a database error.
    fn from(error: sqlx::Error) -> StoreError {
        match unwritable_reason(&error) {
            Some(reason) => StoreError::Unwritable(reason),
            None => StoreError::Database(error),
        }
    }
}

impl StoreError {
    /// Whether the store refused to write (disk full, read-only, locked): the request can
    /// be sent again once it writes.
    pub fn is_unwritable(&self) -> bool {
        matches!(self, StoreError::Unwritable(_))
    }
}

/// Why the store refused a write, if `error` is such a refusal.
fn unwritable_reason(error: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(database) = error else {
        return None;
    };
    let code = database.code()?;
    let unwritable = match code.parse::<i64>() {
        // SQLite: the extended code's low byte is the primary code.
        Ok(extended) => SQLITE_UNWRITABLE_CODES.contains(&(extended & 0xff)),
        Err(_) => POSTGRES_UNWRITABLE_STATES.contains(&code.as_ref()),
    };
    unwritable.then(|| database.message().to_string())
}

/// The SQLite primary result code of `error`, if it is a SQLite database error.
fn sqlite_primary_code(error: &sqlx::Error) -> Option<i64> {
    let sqlx::Error::Database(database) = error else {
        return None;
    };
    Some(database.code()?.parse::<i64>().ok()? & 0xff)
}

/// The store's last refused write, until a later write succeeds: what `/readyz` reports
/// while the store cannot write (a full disk), so a load balancer sends traffic elsewhere.
#[derive(Debug, Clone, Default)]
pub struct WriteHealth(Arc<Mutex<Option<WriteFailure>>>);

/// A write the store refused: why, and when.
#[derive(Debug, Clone)]
pub struct WriteFailure {
    pub reason: String,
    pub at: Instant,
}

impl WriteHealth {
    /// Records how a write went: a refusal is kept until a write succeeds.
    pub fn record(&self, outcome: Result<(), &StoreError>) {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match outcome {
            Ok(()) => *last = None,
            Err(StoreError::Unwritable(reason)) => {
                *last = Some(WriteFailure {
                    reason: reason.clone(),
                    at: Instant::now(),
                })
            }
            // Other failures (a lost race, bad data) say nothing about the store's space.
            Err(_) => {}
        }
    }

    /// The last refused write, if no write has succeeded since and it is at most
    /// `within` old (with no writes at all, readiness does not stay down for ever: the
    /// next write finds out whether the store writes again).
    pub fn failing(&self, within: Duration) -> Option<WriteFailure> {
        let last = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        last.clone()
            .filter(|failure| failure.at.elapsed() <= within)
    }
}

/// A pool for whichever store is configured. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Database {
    /// Connects and brings the schema up to date, creating a SQLite file that is not
    /// there (for `serve`, `demo`, `import` and tests: the commands that may make a store).
    pub async fn connect(config: &StoreConfig) -> Result<Database, StoreError> {
        Database::open(config, true).await
    }

    /// Connects to a store that must already exist (for `verify`, `rebuild`, `export`):
    /// a SQLite file that is not there is `MissingStore`, and nothing is created.
    pub async fn connect_existing(config: &StoreConfig) -> Result<Database, StoreError> {
        Database::open(config, false).await
    }

    async fn open(config: &StoreConfig, create: bool) -> Result<Database, StoreError> {
        let database = match config {
            StoreConfig::Postgres { url } => Database::Postgres(connect_postgres(url).await?),
            StoreConfig::Sqlite { url } => Database::Sqlite(connect_sqlite(url, create).await?),
        };
        let ready = match (database.migrate().await, config.sqlite_file()) {
            (Err(StoreError::Migration(migrate)), Some(path)) => {
                Err(read_only_store(&migrate, &path).unwrap_or(StoreError::Migration(migrate)))
            }
            (Err(error), _) => Err(error),
            // The commands that may make a store are the ones that write: a file that
            // opened but cannot be written is named now, not by their first command.
            (Ok(()), Some(path)) if create => database.check_sqlite_writable(&path).await,
            (Ok(()), _) => Ok(()),
        };
        if let Err(error) = ready {
            database.close().await;
            return Err(error);
        }
        Ok(database)
    }

    /// Starts a write on the SQLite store and rolls it back: `ReadOnly` if SQLite refuses
    /// (a read-only file, directory or mount, or `?mode=ro`).
    async fn check_sqlite_writable(&self, path: &Path) -> Result<(), StoreError> {
        let Database::Sqlite(pool) = self else {
            return Ok(());
        };
        let mut transaction = pool.begin().await?;
        // Matches no row, but SQLite still takes the write lock, which a read-only store
        // refuses.
        let probe = sqlx::query("DELETE FROM _sqlx_migrations WHERE 0 = 1")
            .execute(&mut *transaction)
            .await;
        let _ = transaction.rollback().await;
        match probe {
            Ok(_) => Ok(()),
            Err(error) => Err(sqlite_open_error(error, path)),
        }
    }

    pub async fn connect_url(url: &str) -> Result<Database, StoreError> {
        Database::connect(&StoreConfig::from_url(url)?).await
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Database::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
            Database::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// The highest position written so far (0 for an empty log).
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT coalesce(max(position), 0) FROM events";
        let head: i64 = match self {
            Database::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
            Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        };
        Ok(head)
    }

    /// How many events are stored (committed and visible to this connection).
    pub async fn event_count(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT count(*) FROM events";
        let count: i64 = match self {
            Database::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
            Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        };
        Ok(count)
    }

    /// Whether any event has been written (`serve --demo` loads demo data only then).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.head_position().await? == 0)
    }

    pub async fn close(&self) {
        match self {
            Database::Postgres(pool) => pool.close().await,
            Database::Sqlite(pool) => pool.close().await,
        }
    }
}

/// A PostgreSQL pool. One direct connection first, so that an unreachable server or a
/// missing database is named at once (the pool would retry until its timeout and then say
/// only that it timed out). A server refusing connections (starting beside its database,
/// say) is waited for up to `POSTGRES_STARTUP_WAIT_MS`; afterwards requests give up on a
/// connection after `POSTGRES_ACQUIRE_TIMEOUT_MS` (an outage answers "retry" at once).
async fn connect_postgres(url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)?;
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let deadline = tokio::time::Instant::now() + Duration::from_millis(POSTGRES_STARTUP_WAIT_MS);
    loop {
        let first = tokio::time::timeout(
            Duration::from_millis(POSTGRES_CONNECT_TIMEOUT_MS),
            PgConnection::connect_with(&options),
        )
        .await;
        match first {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                break;
            }
            Ok(Err(error))
                if crate::outage::sqlx_is_unavailable(&error)
                    && tokio::time::Instant::now() < deadline =>
            {
                tracing::warn!(%server, "PostgreSQL is not accepting connections yet; waiting");
                tokio::time::sleep(Duration::from_millis(POSTGRES_STARTUP_RETRY_MS)).await;
            }
            Ok(Err(error)) => return Err(postgres_connect_error(error, &options, server)),
            Err(_) => {
                return Err(StoreError::Unreachable {
                    server,
                    cause: format!("no answer within {POSTGRES_CONNECT_TIMEOUT_MS} ms"),
                })
            }
        }
    }
    // No ping before every acquire: a command takes the pool three times, and a ping each
    // time costs as much as a query. A dead connection still fails its query, and sqlx
    // then drops it from the pool.
    Ok(PgPoolOptions::new()
        .test_before_acquire(false)
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_millis(POSTGRES_ACQUIRE_TIMEOUT_MS))
        .connect_with(options)
        .await?)
}

fn postgres_connect_error(
    error: sqlx::Error,
    options: &PgConnectOptions,
    server: String,
) -> StoreError {
    match &error {
        sqlx::Error::Database(database)
            if database.code().as_deref() == Some(POSTGRES_INVALID_CATALOG_NAME) =>
        {
            StoreError::MissingDatabase {
                server,
                name: options
                    .get_database()
                    .unwrap_or(options.get_username())
                    .to_string(),
            }
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
            StoreError::Unreachable {
                server,
                cause: error.to_string(),
            }
        }
        _ => StoreError::from(error),
    }
}

/// A SQLite pool over `url`'s file, created (readable by its owner only) when `create`
/// and it is missing; refused as `MissingStore` when it is missing and not `create`.
async fn connect_sqlite(url: &str, create: bool) -> Result<SqlitePool, StoreError> {
    let file = sqlite_file(url);
    if let Some(path) = &file {
        prepare_sqlite_file(path, create)?;
    }
    // sqlite-es's own default is WAL with synchronous=NORMAL, which can lose the last
    // commits on power loss; a ledger must not, so FULL.
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS));
    if let Some(pages) = drill_max_page_count() {
        tracing::warn!(
            pages,
            "{SQLITE_MAX_PAGE_COUNT_ENV} is set: the store is capped for a fault drill"
        );
        options = options.pragma("max_page_count", pages.to_string());
    }
    SqlitePoolOptions::new()
        .max_connections(SQLITE_MAX_CONNECTIONS)
        .after_release(|connection, _| Box::pin(is_outside_transaction(connection)))
        .connect_with(options)
        .await
        .map_err(|error| match &file {
            Some(path) => sqlite_open_error(error, path),
            None => StoreError::from(error),
        })
}

/// `SQLITE_MAX_PAGE_COUNT_ENV`, if set to a number.
fn drill_max_page_count() -> Option<u64> {
    std::env::var(SQLITE_MAX_PAGE_COUNT_ENV)
        .ok()
        .and_then(|pages| pages.trim().parse().ok())
}

/// Whether a connection given back to the pool may be used again: only if neither sqlx
/// nor SQLite itself still has a transaction open on it. A COMMIT that failed (a full
/// disk: `SQLITE_FULL`) can leave the two disagreeing: SQLite rolled back by itself, the
/// rollback sqlx then sends fails, and sqlx still counts a transaction. Reused, such a
/// connection turns the next BEGIN into a SAVEPOINT and that command's COMMIT into a
/// RELEASE that commits nothing: writes answered as done but never durable, holding
/// SQLite's write lock ("database is locked" for every other connection). Such a
/// connection is closed instead, which also ends whatever transaction it still holds.
async fn is_outside_transaction(connection: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    if connection.is_in_transaction() {
        tracing::warn!("closing a SQLite connection given back inside a transaction");
        return Ok(false);
    }
    let mut handle = connection.lock_handle().await?;
    // SAFETY: the handle is locked for this call, so the pointer is the open database's
    // and no other thread uses it meanwhile; `sqlite3_get_autocommit` only reads a flag.
    let autocommit =
        unsafe { libsqlite3_sys::sqlite3_get_autocommit(handle.as_raw_handle().as_ptr()) };
    if autocommit == 0 {
        tracing::warn!("closing a SQLite connection left inside a transaction by SQLite");
    }
    Ok(autocommit != 0)
}

/// Checks that a store file exists, or (when `create`) makes an empty one readable and
/// writable by its owner only: SQLite gives its -wal and -shm files the database file's
/// permissions, and all three hold the ledger's private data.
fn prepare_sqlite_file(path: &Path, create: bool) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    if !create {
        return Err(StoreError::MissingStore {
            path: path.to_path_buf(),
        });
    }
    let cannot_open = |error: std::io::Error| StoreError::CannotOpen {
        path: path.to_path_buf(),
        cause: error.to_string(),
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(cannot_open)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process made it first: it is a store file all the same.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(cannot_open(error)),
    }
}

/// Names the file and what to do when SQLite cannot open or write it.
fn sqlite_open_error(error: sqlx::Error, path: &Path) -> StoreError {
    let cause = match &error {
        sqlx::Error::Database(database) => database.message().to_string(),
        other => other.to_string(),
    };
    match sqlite_primary_code(&error) {
        Some(SQLITE_READONLY) => StoreError::ReadOnly {
            path: path.to_path_buf(),
            cause,
        },
        Some(SQLITE_CANTOPEN | SQLITE_NOTADB) => StoreError::CannotOpen {
            path: path.to_path_buf(),
            cause,
        },
        _ => StoreError::from(error),
    }
}

/// `ReadOnly` when migrating failed because the SQLite file cannot be written.
fn read_only_store(error: &sqlx::migrate::MigrateError, path: &Path) -> Option<StoreError> {
    let sqlx::migrate::MigrateError::Execute(inner) = error else {
        return None;
    };
    (sqlite_primary_code(inner) == Some(SQLITE_READONLY)).then(|| StoreError::ReadOnly {
        path: path.to_path_buf(),
        cause: inner.to_string(),
    })
}
