//! People and how they get in (issue 13): accounts, scoped role grants, invitations,
//! email sign-in links, server-side sessions, API tokens and throttling. Kept in plain
//! tables (migration 0017), not in the event log: they are mutable and a person's data
//! must be erasable. The log names a person only as the actor `person:{id}`.
//!
//! Every secret a person holds (sign-in link, invitation link, session cookie, API token)
//! is 256 random bits; the store keeps only its SHA-256 (`secrets.rs`), so a copy of the
//! database signs nobody in. Times are unix seconds from the real clock (`now()`).
//!
//! - `roles.rs`: `RoleKind`, `ScopedRole`, `Roles` (the one definition of who may do what).
//! - `people.rs`: people and organisations.
//! - `grants.rs`: role grants (grant, revoke, live roles, holders).
//! - `invitations.rs`: single-use invitation links naming the role they grant.
//! - `links.rs`: single-use email sign-in links.
//! - `sessions.rs`: sessions (idle and absolute expiry, sign out, sign out everywhere).
//! - `api_tokens.rs`: API tokens for scripts (hashed, listed, revocable, expiring).
//! - `principal.rs`: who a session or API token stands for, with roles read afresh.
//! - `throttle.rs`: fixed-window counters shared by every server process.

/// Runs `$body` with `$pool` bound to the store's pool, whichever it is: the accounts'
/// SQL is written once, in the dialect both stores read (`$n` placeholders, `RETURNING`,
/// `ON CONFLICT`), and compiled for each pool type.
macro_rules! on_store {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            crate::Database::Postgres($pool) => $body,
            crate::Database::Sqlite($pool) => $body,
        }
    };
}

pub mod api_tokens;
pub mod grants;
pub mod invitations;
pub mod links;
pub mod people;
pub mod principal;
pub mod roles;
pub mod secrets;
pub mod sessions;
pub mod throttle;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::StoreError;

pub use api_tokens::{ApiToken, NewApiToken, API_TOKEN_PREFIX};
pub use invitations::{Invitation, NewInvitation};
pub use people::{Organisation, Person};
pub use principal::{Credential, Principal};
pub use roles::{RoleKind, Roles, ScopedRole};
pub use sessions::{NewSession, Session, SessionLimits};
pub use throttle::ThrottleRule;

/// A person's id: opaque, made by the server (`P-` + a UUIDv7's simple form). It is what
/// the log records (actor `person:{id}`), never the name or email.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

impl PersonId {
    pub fn new(id: impl Into<String>) -> PersonId {
        PersonId(id.into())
    }
    pub fn generate() -> PersonId {
        PersonId(format!("P-{}", uuid::Uuid::now_v7().simple()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The actor this person's commands are recorded under.
    pub fn actor(&self) -> String {
        format!("person:{}", self.0)
    }
    /// The person an actor string names, if it names one.
    pub fn from_actor(actor: &str) -> Option<PersonId> {
        actor.strip_prefix("person:").map(PersonId::new)
    }
}

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an accounts operation was refused. Messages are for people.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Bad input (an email that is not one, an empty name, an unknown role).
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A link or token past its expiry.
    #[error("{0} has expired")]
    Expired(String),
    /// A single-use link used before.
    #[error("{0} has already been used")]
    AlreadyUsed(String),
    #[error("{0} has been withdrawn")]
    Withdrawn(String),
    /// Would break a rule (removing the last owner, a duplicate email).
    #[error("{0}")]
    Conflict(String),
    #[error("too many {what}; try again in {retry_after_seconds} seconds")]
    Throttled {
        what: String,
        retry_after_seconds: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> AccountError {
        AccountError::Store(StoreError::from(error))
    }
}

pub type AccountResult<T> = Result<T, AccountError>;

/// Now, in unix seconds: the real clock.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An email as stored and compared: trimmed and lower-cased; refused unless it looks
/// like one address (one `@`, something either side, a dot in the domain, no spaces).
pub fn normalise_email(email: &str) -> AccountResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(email)
    } else {
        Err(AccountError::Invalid(
            "enter an email address in the correct format, like name@example.org".into(),
        ))
    }
}
