//! Telling an outage from a failure: a store that cannot be reached now (the server is
//! down, restarting or refusing connections; the pool found no live connection in time)
//! is a condition a client should retry, with the same idempotency key, not an internal
//! error. Everything else stays what it was.

use crate::database::StoreError;

/// SQLSTATE codes that mean "the server is not there for you right now": class 08
/// (connection exception) is matched by prefix; these are the others.
const UNAVAILABLE_SQLSTATES: [&str; 4] = [
    "57P01", // admin_shutdown: the server is stopping
    "57P02", // crash_shutdown: another backend crashed, all are reset
    "57P03", // cannot_connect_now: starting up or in recovery
    "53300", // too_many_connections
];

impl StoreError {
    /// Whether this failure is the store being unreachable (retry later) rather than a
    /// fault of the request or of the data.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => sqlx_is_unavailable(error),
            _ => false,
        }
    }
}

/// See `StoreError::is_unavailable`.
pub fn sqlx_is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => database.code().is_some_and(|code| {
            code.starts_with("08") || UNAVAILABLE_SQLSTATES.contains(&code.as_ref())
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_store_is_unavailable_and_bad_data_is_not() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(StoreError::Database(sqlx::Error::Io(refused)).is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::Corrupt("bad json".into()).is_unavailable());
    }
}
