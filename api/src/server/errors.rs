//! The GraphQL layer's errors: each maps to exactly one `extensions.code` of API.md.

use async_graphql::ErrorExtensions;
use infrastructure::ledger::ErrorKind;
use infrastructure::LedgerError;

pub const BAD_INPUT: &str = "BAD_INPUT";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const CONFLICT: &str = "CONFLICT";
pub const CONCURRENCY: &str = "CONCURRENCY";
pub const INTERNAL: &str = "INTERNAL";
/// The request took longer than the server allows (`REQUEST_TIMEOUT_MS`).
pub const TIMEOUT: &str = "TIMEOUT";
/// The database cannot be reached now (down, restarting, out of connections): retry after
/// `RETRY_AFTER_SECONDS`, a write with the same idempotency key (it is applied at most
/// once). Sent with HTTP 503 and `Retry-After`.
pub const UNAVAILABLE: &str = "UNAVAILABLE";
/// The `Retry-After` an `UNAVAILABLE` answer carries, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;
/// Writes are refused until an operator repairs the store (a PostgreSQL log restored from
/// a logical dump: `fundledger repair-restored-log`); the message says what to run.
pub const NEEDS_REPAIR: &str = "NEEDS_REPAIR";
/// Too many attempts (wrong ballot codes, sign-in requests) from one address or for one
/// account: the message says how long to wait. Sent with HTTP 429 where the transport
/// allows.
pub const THROTTLED: &str = "THROTTLED";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// A rejection from the ledger, whose message reaches the client verbatim (except for
    /// internal failures, which are logged and reported without detail).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store could not be reached; the detail goes to the log, not the client.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    /// Too many attempts; the message says how long to wait.
    #[error("{0}")]
    Throttled(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadInput(_) => BAD_INPUT,
            ApiError::NotFound(_) => NOT_FOUND,
            ApiError::Forbidden(_) => FORBIDDEN,
            ApiError::Unauthenticated(_) => UNAUTHENTICATED,
            ApiError::Unavailable(_) => UNAVAILABLE,
            ApiError::Internal(_) => INTERNAL,
            ApiError::Throttled(_) => THROTTLED,
            ApiError::Ledger(error) => match error.kind() {
                ErrorKind::BadInput => BAD_INPUT,
                ErrorKind::NotFound => NOT_FOUND,
                ErrorKind::Forbidden => FORBIDDEN,
                ErrorKind::Conflict => CONFLICT,
                ErrorKind::Concurrency => CONCURRENCY,
                ErrorKind::Unavailable => UNAVAILABLE,
                ErrorKind::NeedsRepair => NEEDS_REPAIR,
                ErrorKind::Internal => INTERNAL,
            },
        }
    }

    /// Mutations refuse anonymous callers with this; signed-in callers of the wrong role
    /// get `forbidden`.
    pub fn sign_in_required(what: &str) -> ApiError {
        ApiError::Unauthenticated(format!(
            "{what} needs a bearer token (Authorization: Bearer …)"
        ))
    }

    /// A store that answered but refused the write (a full disk, read-only) says so
    /// itself: "cannot be reached" would send an operator to the wrong place.
    fn unwritable_message(&self) -> Option<String> {
        match self {
            ApiError::Ledger(LedgerError::Store(store)) if store.is_unwritable() => {
                Some(store.to_string())
            }
            _ => None,
        }
    }

    pub fn forbidden(what: &str, role: &str) -> ApiError {
        ApiError::Forbidden(format!("{what} is not open to the {role} role"))
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let message = if code == INTERNAL {
            tracing::error!(error = %self, "internal error");
            "internal error; the server log has the detail".to_string()
        } else if code == UNAVAILABLE {
            tracing::warn!(error = %self, "the store could not be reached or could not write");
            self.unwritable_message()
                .unwrap_or_else(unavailable_message)
        } else {
            self.to_string()
        };
        async_graphql::Error::new(message).extend_with(|_, extensions| extensions.set("code", code))
    }
}

/// A resolver's result: errors already carry their `extensions.code`.
pub type GqlResult<T> = Result<T, async_graphql::Error>;

/// Converts a layer's error into a coded GraphQL error (async-graphql's blanket
/// `From<Display>` would drop the code).
pub trait Coded<T> {
    fn coded(self) -> GqlResult<T>;
}

impl<T, E: Into<ApiError>> Coded<T> for Result<T, E> {
    fn coded(self) -> GqlResult<T> {
        self.map_err(|error| error.into().extend())
    }
}

/// A GraphQL error with `code`, for places that have no `ApiError`.
pub fn coded(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, extensions| extensions.set("code", code))
}

/// What a client is told when the database cannot be reached (the cause is logged).
pub fn unavailable_message() -> String {
    format!(
        "the database cannot be reached just now; retry in {RETRY_AFTER_SECONDS} s (a write \
         with the same idempotencyKey is applied at most once)"
    )
}

/// An error of the projections' reads mapped to its code: an unreachable store is
/// `UNAVAILABLE`, a refused query `BAD_INPUT`, anything else `INTERNAL`.
impl From<projections::ProjectionError> for ApiError {
    fn from(error: projections::ProjectionError) -> ApiError {
        match error {
            projections::ProjectionError::BadQuery(message) => ApiError::BadInput(message),
            projections::ProjectionError::Store(store) if store.is_unavailable() => {
                ApiError::Unavailable(store.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}
