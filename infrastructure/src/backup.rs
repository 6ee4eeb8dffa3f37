//! `fundledger backup`: an online copy of an embedded SQLite store, taken while a server
//! writes. PostgreSQL stores are backed up with PostgreSQL's own tools (README, "Backups
//! and restore").

use std::path::Path;

use crate::database::{Database, StoreError};

impl Database {
    /// Writes a consistent copy of this SQLite store to `out` with `VACUUM INTO`: one read
    /// transaction, so the copy holds exactly the commits before it began, whatever is
    /// written meanwhile, and it is compacted (no WAL beside it to copy). Refuses a file
    /// that exists (never overwrites an earlier backup) and a PostgreSQL store.
    pub async fn backup_sqlite_into(&self, out: &Path) -> Result<(), StoreError> {
        let Database::Sqlite(pool) = self else {
            return Err(StoreError::BackupRefused(
                "a PostgreSQL store is backed up with pg_basebackup and WAL archiving, or \
                 pg_dump (README, \"Backups and restore\")"
                    .to_string(),
            ));
        };
        if out.exists() {
            return Err(StoreError::BackupRefused(format!(
                "{} exists; a backup never overwrites a file",
                out.display()
            )));
        }
        let out = out.to_str().ok_or_else(|| {
            StoreError::BackupRefused(format!("{} is not a UTF-8 path", out.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(out)
            .execute(pool)
            .await?;
        Ok(())
    }
}
