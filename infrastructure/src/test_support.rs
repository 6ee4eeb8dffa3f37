//! Fresh, real databases for tests: a PostgreSQL database or a SQLite file of its own per
//! test, so tests run in parallel and never see each other's events. Not used by the
//! product itself.

use std::path::PathBuf;

use crate::database::{Database, StoreError};

/// The server tests use; CI starts it. Override with `FUNDLEDGER_TEST_POSTGRES_URL`.
pub const DEFAULT_TEST_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn test_postgres_url() -> String {
    std::env::var("FUNDLEDGER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_string())
}

/// A database that is dropped (PostgreSQL) or deleted (SQLite) when this value is.
pub struct TestDatabase {
    pub url: String,
    pub database: Database,
    cleanup: Cleanup,
}

enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite { directory: PathBuf },
}

impl TestDatabase {
    /// A new, migrated PostgreSQL database. Fails (never skips) when PostgreSQL is down.
    pub async fn postgres() -> Result<TestDatabase, StoreError> {
        TestDatabase::postgres_at(&test_postgres_url()).await
    }

    /// A new, migrated PostgreSQL database on the server `admin_url` points at (a private
    /// cluster of a fault test, say), created through that URL's database.
    pub async fn postgres_at(admin_url: &str) -> Result<TestDatabase, StoreError> {
        let admin_url = admin_url.to_string();
        let name = format!("fundledger_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        let database = Database::connect_url(&url).await?;
        Ok(TestDatabase {
            url,
            database,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// A new, migrated SQLite file in a temporary directory.
    pub async fn sqlite() -> Result<TestDatabase, StoreError> {
        let directory =
            std::env::temp_dir().join(format!("fundledger-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&directory)
            .map_err(|error| StoreError::Persistence(error.to_string()))?;
        let url = format!("sqlite://{}", directory.join("fundledger.db").display());
        let database = Database::connect_url(&url).await?;
        Ok(TestDatabase {
            url,
            database,
            cleanup: Cleanup::Sqlite { directory },
        })
    }

    /// Either kind, by name: "postgres" or "sqlite".
    pub async fn of_kind(kind: &str) -> Result<TestDatabase, StoreError> {
        match kind {
            "postgres" => TestDatabase::postgres().await,
            _ => TestDatabase::sqlite().await,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite { directory } => {
                let _ = std::fs::remove_dir_all(directory);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime, which can't block on itself: do the
                // drop on a thread of its own with a runtime of its own.
                let admin_url = admin_url.clone();
                let name = name.clone();
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(admin) = sqlx::PgPool::connect(&admin_url).await {
                                let _ = sqlx::query(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .execute(&admin)
                                .await;
                                admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}
