//! One typed `Settings` for the server, from CLI flags with environment fallbacks, and the
//! signing secret for bearer tokens.

use std::path::{Path, PathBuf};

use infrastructure::StoreConfig;

/// Where the server listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The file beside an embedded database that keeps its generated signing secret.
pub const SECRET_FILE_SUFFIX: &str = ".jwt-secret";
/// A secret shorter than this is refused: HS256 wants at least 256 bits of key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    /// Load the demo data set first if the store is empty.
    pub demo: bool,
    /// Load the shipped reference geography (England 2019) if the store has no geography.
    pub reference_geography: bool,
    /// `FUNDLEDGER_JWT_SECRET`, if set.
    pub jwt_secret: Option<String>,
    /// Timeouts and connection caps of the listener and `/graphql/ws`.
    pub transport: super::transport::TransportLimits,
    /// Serve `/metrics` on this address instead of the public one (which then answers 404).
    pub metrics_listen: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "FUNDLEDGER_JWT_SECRET is required with PostgreSQL and for tokens of an in-memory \
         store (at least {MIN_JWT_SECRET_BYTES} bytes)"
    )]
    SecretRequired,
    #[error("FUNDLEDGER_JWT_SECRET is {0} bytes; use at least {MIN_JWT_SECRET_BYTES}")]
    SecretTooShort(usize),
    /// Long enough but guessable: all spaces, or a few characters repeated.
    #[error("FUNDLEDGER_JWT_SECRET {0}")]
    SecretTooWeak(String),
    #[error("reading or writing the signing secret at {}: {cause}", path.display())]
    SecretFile {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "no signing secret at {}: the embedded store's secret is made by `fundledger serve` \
         beside its database; point --database-url / DATABASE_URL at that store, or set \
         FUNDLEDGER_JWT_SECRET to the secret the server uses",
        path.display()
    )]
    SecretMissing { path: PathBuf },
    #[error(transparent)]
    Store(#[from] infrastructure::StoreError),
}

/// The secret that signs and checks tokens: `FUNDLEDGER_JWT_SECRET` if given; otherwise, for
/// an embedded SQLite file, a random secret made once and kept beside the database (so
/// `fundledger token` and `fundledger serve` agree without configuration); an in-memory
/// SQLite store gets a fresh random secret. PostgreSQL requires the variable.
pub fn resolve_jwt_secret(
    database_url: &str,
    explicit: Option<&str>,
) -> Result<String, SettingsError> {
    jwt_secret(database_url, explicit, true)
}

/// Like `resolve_jwt_secret`, for `fundledger token`: the embedded store and its secret
/// must already exist (a new secret would sign tokens no server accepts), and nothing is
/// created.
pub fn existing_jwt_secret(
    database_url: &str,
    explicit: Option<&str>,
) -> Result<String, SettingsError> {
    jwt_secret(database_url, explicit, false)
}

fn jwt_secret(
    database_url: &str,
    explicit: Option<&str>,
    create: bool,
) -> Result<String, SettingsError> {
    if let Some(secret) = explicit.filter(|secret| !secret.is_empty()) {
        if secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(SettingsError::SecretTooShort(secret.len()));
        }
        if let Some(why) = super::auth::weak_secret(secret, MIN_JWT_SECRET_BYTES) {
            return Err(SettingsError::SecretTooWeak(why));
        }
        return Ok(secret.to_string());
    }
    let config = StoreConfig::from_url(database_url)?;
    if !config.is_embedded() {
        return Err(SettingsError::SecretRequired);
    }
    match (sqlite_file(database_url), create) {
        (Some(database), true) => {
            let path = secret_path(&database);
            load_or_create_secret(&path).map_err(|cause| SettingsError::SecretFile { path, cause })
        }
        (Some(database), false) => existing_secret(&database),
        (None, true) => Ok(random_secret()),
        // An in-memory store's secret lives and dies with its server: nothing to sign for.
        (None, false) => Err(SettingsError::SecretRequired),
    }
}

/// The database file a `sqlite:` URL names, or `None` for an in-memory store.
pub use infrastructure::config::sqlite_file;

/// The secret kept beside an existing store file; refused when either is missing.
fn existing_secret(database: &Path) -> Result<String, SettingsError> {
    if !database.exists() {
        return Err(infrastructure::StoreError::MissingStore {
            path: database.to_path_buf(),
        }
        .into());
    }
    let path = secret_path(database);
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= MIN_JWT_SECRET_BYTES => Ok(secret.trim().to_string()),
        Ok(_) => Err(SettingsError::SecretFile {
            path,
            cause: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("shorter than {MIN_JWT_SECRET_BYTES} bytes"),
            ),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(SettingsError::SecretMissing { path })
        }
        Err(cause) => Err(SettingsError::SecretFile { path, cause }),
    }
}

fn secret_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(SECRET_FILE_SUFFIX);
    PathBuf::from(name)
}

fn load_or_create_secret(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(secret) if secret.trim().len() >= MIN_JWT_SECRET_BYTES => {
            return Ok(secret.trim().to_string())
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let secret = random_secret();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options.open(path)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    Ok(secret)
}

/// 244 random bits from two v4 UUIDs, as 64 hex characters.
fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_needs_an_explicit_secret() {
        assert!(matches!(
            resolve_jwt_secret("postgres://localhost/x", None),
            Err(SettingsError::SecretRequired)
        ));
    }

    #[test]
    fn the_embedded_secret_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("fl-secret-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}/ledger.db", dir.display());
        let first = resolve_jwt_secret(&url, None).unwrap();
        let second = resolve_jwt_secret(&url, None).unwrap();
        assert_eq!(first, second);
        assert!(first.len() >= MIN_JWT_SECRET_BYTES);
        std::fs::remove_dir_all(dir).ok();
    }
}
