//! Why a people operation was refused: one GraphQL code each, and a message for people
//! (the web screens show the same message).

use async_graphql::ErrorExtensions;
use infrastructure::accounts::AccountError;
use infrastructure::LedgerError;

use crate::server::errors::{
    ApiError, BAD_INPUT, CONFLICT, FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, UNAVAILABLE,
};

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Would break a rule: removing the last owner; an invitation no longer open.
    #[error("{0}")]
    Conflict(String),
    /// The mail server did not take the invitation (the invitation stands).
    #[error("{0}")]
    Mail(String),
    /// The store: mapped through `ApiError` (logged, not shown).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl PeopleError {
    pub fn code(&self) -> &'static str {
        match self {
            PeopleError::BadInput(_) => BAD_INPUT,
            PeopleError::NotFound(_) => NOT_FOUND,
            PeopleError::Unauthenticated(_) => UNAUTHENTICATED,
            PeopleError::Forbidden(_) => FORBIDDEN,
            PeopleError::Conflict(_) => CONFLICT,
            PeopleError::Mail(_) => UNAVAILABLE,
            PeopleError::Api(error) => error.code(),
        }
    }

    /// The message a person is shown (an internal or store failure's detail is logged
    /// instead, as `ApiError` does).
    pub fn message(&self) -> String {
        self.extend().message
    }
}

impl ErrorExtensions for PeopleError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            PeopleError::Api(error) => error.extend(),
            other => async_graphql::Error::new(other.to_string())
                .extend_with(|_, extensions| extensions.set("code", other.code())),
        }
    }
}

impl From<AccountError> for PeopleError {
    fn from(error: AccountError) -> PeopleError {
        match error {
            AccountError::Invalid(message) => PeopleError::BadInput(message),
            AccountError::NotFound(_) => PeopleError::NotFound(error.to_string()),
            AccountError::Expired(_)
            | AccountError::AlreadyUsed(_)
            | AccountError::Withdrawn(_)
            | AccountError::Conflict(_)
            | AccountError::Throttled { .. } => PeopleError::Conflict(error.to_string()),
            AccountError::Store(store) if store.is_unavailable() => {
                PeopleError::Api(ApiError::Unavailable(store.to_string()))
            }
            AccountError::Store(store) => PeopleError::Api(ApiError::Internal(store.to_string())),
        }
    }
}

impl From<LedgerError> for PeopleError {
    fn from(error: LedgerError) -> PeopleError {
        PeopleError::Api(ApiError::Ledger(error))
    }
}

impl From<projections::ProjectionError> for PeopleError {
    fn from(error: projections::ProjectionError) -> PeopleError {
        PeopleError::Api(ApiError::from(error))
    }
}

pub type PeopleResult<T> = Result<T, PeopleError>;
