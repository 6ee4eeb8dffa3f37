//! Who a session or API token stands for: the person and the roles they hold now (read
//! afresh on every request, so a removed role or revoked token is refused at once).

use super::{AccountResult, Person, Roles, Session, SessionLimits};
use crate::Database;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session {
        session_id: String,
        csrf_token: String,
    },
    ApiToken {
        token_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub person: Person,
    pub roles: Roles,
    pub credential: Credential,
}

/// The principal behind a session cookie's secret (`None`: no live session, or the person
/// was erased).
pub async fn principal_for_session(
    db: &Database,
    secret: &str,
    limits: SessionLimits,
) -> AccountResult<Option<(Principal, Session)>> {
    todo!("accounts helper {db:?} {secret} {limits:?}")
}

/// The principal behind an API token (`None`: unknown, revoked, expired, or the person was
/// erased); roles are the person's live ones narrowed to the token's scopes.
pub async fn principal_for_api_token(
    db: &Database,
    secret: &str,
) -> AccountResult<Option<Principal>> {
    todo!("accounts helper {db:?} {secret}")
}
