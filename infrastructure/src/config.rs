//! Which store to use, from `DATABASE_URL`, and how to name it to people without its
//! password.

use std::path::PathBuf;

use crate::database::StoreError;

/// The embedded default: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://fundledger.db";

/// What a password is shown as in messages and logs.
const REDACTED: &str = "***";

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
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self, StoreConfig::Sqlite { .. })
    }

    /// The URL as given, password included: for connecting only, never for showing.
    pub fn url(&self) -> &str {
        match self {
            StoreConfig::Postgres { url } | StoreConfig::Sqlite { url } => url,
        }
    }

    /// The URL with its password (if any) replaced by `***`: what messages, logs and
    /// startup lines show.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url())
    }

    /// The SQLite database file this store is, or `None` for PostgreSQL and an in-memory
    /// SQLite store.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        match self {
            StoreConfig::Sqlite { url } => sqlite_file(url),
            StoreConfig::Postgres { .. } => None,
        }
    }
}

/// The database file a `sqlite:` URL names, or `None` for an in-memory store (or a URL of
/// another kind).
pub fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// `url` with the password of its user part (`user:password@`) and any `password=` query
/// parameter replaced by `***`.
pub fn redact_url(url: &str) -> String {
    redact_passwords(url)
}

/// Every URL password in `text` replaced by `***`: the last guard before an error chain
/// (which may quote a URL from any layer) is shown to a person.
pub fn redact_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find("://") {
        let (head, tail) = rest.split_at(index + 3);
        out.push_str(head);
        // The authority (`user:password@host:port`) ends where the path, query, fragment
        // or the surrounding text begins.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | '\'' | '"' | '`') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon + 1]);
                        out.push_str(REDACTED);
                        out.push_str(&authority[at..]);
                    }
                    None => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    redact_password_parameters(&out)
}

/// `password=…` (a PostgreSQL URL's query parameter or a key/value connection string)
/// with its value replaced by `***`.
fn redact_password_parameters(text: &str) -> String {
    const KEY: &str = "password=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.to_ascii_lowercase().find(KEY) {
        let (head, tail) = rest.split_at(index + KEY.len());
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '&' | '#' | '\'' | '"' | '`') || c.is_whitespace())
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_never_shown() {
        assert_eq!(
            redact_url("postgres://ledger:s3cr3t@db.example:5433/funds"),
            "postgres://ledger:***@db.example:5433/funds"
        );
        assert_eq!(
            redact_url("postgres://ledger:p@ss@db.example/funds?sslmode=require"),
            "postgres://ledger:***@db.example/funds?sslmode=require"
        );
        assert_eq!(
            redact_url("postgresql://db.example/funds?user=a&password=hunter2&x=1"),
            "postgresql://db.example/funds?user=a&password=***&x=1"
        );
        assert_eq!(
            redact_url("postgres://ledger@db.example/funds"),
            "postgres://ledger@db.example/funds"
        );
        assert_eq!(
            redact_url("sqlite://data/fundledger.db"),
            "sqlite://data/fundledger.db"
        );
    }

    #[test]
    fn passwords_inside_a_message_are_redacted() {
        let message = "opening the store at postgres://u:topsecret@h:5432/d: error; \
                       also 'postgresql://v:other@h2/e' and PASSWORD=third here";
        let shown = redact_passwords(message);
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(!shown.contains("other@"), "{shown}");
        assert!(!shown.contains("third"), "{shown}");
        assert!(shown.contains("postgres://u:***@h:5432/d"), "{shown}");
    }

    #[test]
    fn unsupported_urls_are_named_without_their_password() {
        let error = StoreConfig::from_url("mysql://root:letmein@localhost/x").unwrap_err();
        assert!(!error.to_string().contains("letmein"), "{error}");
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://fundledger.db"),
            Some(PathBuf::from("fundledger.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:/tmp/a.db?mode=rwc"),
            Some(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
