//! Email sign-in links: single use, valid for minutes.

use super::{AccountResult, Person};
use crate::Database;

/// How long a sign-in link stays valid.
pub const SIGN_IN_LINK_TTL_SECONDS: i64 = 15 * 60;

/// A sign-in link's secret for the person with `email`, or `None` when there is no such
/// person (the caller says the same either way, so nobody learns who has an account).
pub async fn issue_sign_in_link(
    db: &Database,
    email: &str,
    ttl_seconds: i64,
) -> AccountResult<Option<(Person, String)>> {
    todo!("accounts helper {db:?} {email} {ttl_seconds}")
}

/// Uses the link once: the person it signs in (`Expired`, `AlreadyUsed`, `NotFound`).
pub async fn consume_sign_in_link(db: &Database, token: &str) -> AccountResult<Person> {
    todo!("accounts helper {db:?} {token}")
}
