//! Which store to use, from `DATABASE_URL`.

use crate::database::StoreError;

/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://fundledger.db";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Postgres { url: String },
    Sqlite { url: String },
}

impl StoreConfig {
    /// `sqlite://path`, `sqlite:path` or `postgres://…` / `postgresql://…`.
    pub fn from_url(url: &str) -> Result<StoreConfig, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(StoreConfig::Postgres {
                url: url.to_string(),
            })
        } else if url.starts_with("sqlite:") {
            Ok(StoreConfig::Sqlite {
                url: url.to_string(),
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self, StoreConfig::Sqlite { .. })
    }

    pub fn url(&self) -> &str {
        match self {
            StoreConfig::Postgres { url } | StoreConfig::Sqlite { url } => url,
        }
    }
}
