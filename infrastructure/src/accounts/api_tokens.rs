//! API tokens for scripts: made by a signed-in person, scoped to (some of) their roles,
//! stored hashed, listed, revocable and expiring. Sent as `Authorization: Bearer flt_…`.

use super::{AccountResult, PersonId, ScopedRole};
use crate::Database;

/// Every API token starts with this, so a bearer value is told from a JWT at a glance.
pub const API_TOKEN_PREFIX: &str = "flt_";
/// The longest an API token may live.
pub const MAX_API_TOKEN_TTL_SECONDS: i64 = 366 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub token_id: String,
    pub person_id: PersonId,
    pub name: String,
    /// Empty: every role the person holds.
    pub scopes: Vec<ScopedRole>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A new token: `secret` (`flt_…`) is shown once.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

pub async fn create_api_token(
    db: &Database,
    person: &PersonId,
    name: &str,
    scopes: &[ScopedRole],
    ttl_seconds: i64,
) -> AccountResult<NewApiToken> {
    todo!("accounts helper {db:?} {person} {name} {scopes:?} {ttl_seconds}")
}

/// The live token behind a secret (`None`: unknown, revoked or expired); notes its use.
pub async fn api_token_by_secret(db: &Database, secret: &str) -> AccountResult<Option<ApiToken>> {
    todo!("accounts helper {db:?} {secret}")
}

/// Revokes one of the person's tokens (`NotFound` for another person's).
pub async fn revoke_api_token(
    db: &Database,
    person: &PersonId,
    token_id: &str,
) -> AccountResult<()> {
    todo!("accounts helper {db:?} {person} {token_id}")
}

/// The person's tokens, newest first, revoked and expired ones included.
pub async fn api_tokens_of(db: &Database, person: &PersonId) -> AccountResult<Vec<ApiToken>> {
    todo!("accounts helper {db:?} {person}")
}
