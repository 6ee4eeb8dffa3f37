//! Connection pools for the two stores, with migrations run on connect.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::StoreConfig;

/// Connections to PostgreSQL; enough for the server's requests, the projector and the
/// process manager at once.
pub const POSTGRES_MAX_CONNECTIONS: u32 = 32;
/// SQLite has one writer at a time; readers in WAL mode run beside it.
pub const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// How long a SQLite writer waits for the lock before giving up.
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL '{0}' is neither sqlite:… nor postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("event store: {0}")]
    Persistence(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
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

/// A pool for whichever store is configured. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Database {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Database {
    /// Connects and brings the schema up to date.
    pub async fn connect(config: &StoreConfig) -> Result<Database, StoreError> {
        let database = match config {
            StoreConfig::Postgres { url } => Database::Postgres(
                // No ping before every acquire: a command takes the pool three times, and a
                // ping each time costs as much as a query. A dead connection still fails
                // its query, and sqlx then drops it from the pool.
                PgPoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(POSTGRES_MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?,
            ),
            StoreConfig::Sqlite { url } => {
                // sqlite-es's own default is WAL with synchronous=NORMAL, which can lose the
                // last commits on power loss; a ledger must not, so FULL.
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS));
                Database::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(SQLITE_MAX_CONNECTIONS)
                        .connect_with(options)
                        .await?,
                )
            }
        };
        database.migrate().await?;
        Ok(database)
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
