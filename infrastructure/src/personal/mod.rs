//! Personal data and the immutable log (issue 13, `PERSONAL-DATA.md`). The log is
//! hash-chained and never rewritten, so personal free text (an application's description,
//! a panel comment, reasons) is written into it sealed with a key per data subject
//! (`seal.rs`), and erasure deletes that key (crypto-shredding, `erase.rs`): the sealed
//! bytes stay, the hash chain and money facts are untouched, and nobody can read the text
//! again. Names and emails never enter the log at all (`people`, migration 0017).
//!
//! - `seal.rs`: `seal`, `unseal_many`, the request-scoped [`Keyring`], [`Text`].
//! - `erase.rs`: `erase_person`, `erase_subject`.
//! - `texts.rs`: an application's texts from its events; how actors are shown (names).

pub mod erase;
pub mod seal;
pub mod texts;

pub use erase::{erase_person, erase_subject, person_by_email, Erasure};
pub use seal::{is_sealed, seal, unseal_many, Keyring, Text, ERASED_TEXT, SEALED_PREFIX};
pub use texts::{application_texts, display_names, ApplicationTexts};

use crate::ledger::LedgerError;
use crate::StoreError;

/// Why sealing, unsealing or erasing failed.
#[derive(Debug, thiserror::Error)]
pub enum PersonalError {
    /// Text sealed for a subject whose key was erased: nothing new is written for them.
    #[error("{0} has been erased; nothing more can be recorded for them")]
    SubjectErased(String),
    /// A sealed value that does not open with its subject's key: altered, or sealed under
    /// another key. Never shown as text.
    #[error("sealed text could not be opened: {0}")]
    Unreadable(String),
    /// Nobody to erase.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PersonalError {
    fn from(error: sqlx::Error) -> PersonalError {
        PersonalError::Store(StoreError::from(error))
    }
}

impl From<PersonalError> for LedgerError {
    fn from(error: PersonalError) -> LedgerError {
        match error {
            PersonalError::Store(error) => LedgerError::Store(error),
            PersonalError::SubjectErased(_) | PersonalError::NotFound(_) => {
                LedgerError::BadInput(error.to_string())
            }
            PersonalError::Unreadable(message) => LedgerError::Store(StoreError::Corrupt(message)),
        }
    }
}
