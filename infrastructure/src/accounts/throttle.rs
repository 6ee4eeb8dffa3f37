//! Throttling: fixed-window counters in the store, so every server process counts the
//! same attempts. A bucket names what is counted and whose (e.g. `sign-in:ip:1.2.3.4`,
//! `sign-in:email:a@b.org`, `ballot:ip:…`).

use super::AccountResult;
use crate::Database;

/// At most `limit` hits per `window_seconds`; `what` names the attempts in the refusal
/// ("sign-in requests from this address").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub limit: u32,
    pub window_seconds: i64,
}

/// Counts one hit on `bucket`; `AccountError::Throttled` (with the seconds until the
/// window ends, and `what`) once the rule's limit is passed. Hits above the limit are
/// counted too, so hammering does not shorten the wait.
pub async fn hit(db: &Database, bucket: &str, rule: ThrottleRule, what: &str) -> AccountResult<()> {
    todo!("accounts helper {db:?} {bucket} {rule:?} {what}")
}
