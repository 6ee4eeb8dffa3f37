//! Who a session or API token stands for: the person and the roles they hold now (read
//! afresh on every request, so a removed role or revoked token is refused at once).

use super::api_tokens::api_token_by_secret;
use super::grants::live_roles;
use super::people::person;
use super::sessions::session_by_secret;
use super::{AccountResult, Person, PersonId, Roles, Session, SessionLimits};
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

/// The person (unless erased or gone) and the roles they hold now.
async fn live_person(db: &Database, id: &PersonId) -> AccountResult<Option<(Person, Roles)>> {
    match person(db, id).await? {
        Some(found) if found.erased_at.is_none() => {
            let roles = Roles::from_grants(&live_roles(db, id).await?);
            Ok(Some((found, roles)))
        }
        _ => Ok(None),
    }
}

/// The principal behind a session cookie's secret (`None`: no live session, or the person
/// was erased).
pub async fn principal_for_session(
    db: &Database,
    secret: &str,
    limits: SessionLimits,
) -> AccountResult<Option<(Principal, Session)>> {
    let Some(session) = session_by_secret(db, secret, limits).await? else {
        return Ok(None);
    };
    let Some((person, roles)) = live_person(db, &session.person_id).await? else {
        return Ok(None);
    };
    let credential = Credential::Session {
        session_id: session.session_id.clone(),
        csrf_token: session.csrf_token.clone(),
    };
    Ok(Some((
        Principal {
            person,
            roles,
            credential,
        },
        session,
    )))
}

/// The principal behind an API token (`None`: unknown, revoked, expired, or the person was
/// erased); roles are the person's live ones narrowed to the token's scopes.
pub async fn principal_for_api_token(
    db: &Database,
    secret: &str,
) -> AccountResult<Option<Principal>> {
    let Some(token) = api_token_by_secret(db, secret).await? else {
        return Ok(None);
    };
    let Some((person, held)) = live_person(db, &token.person_id).await? else {
        return Ok(None);
    };
    let roles = match token.scopes.is_empty() {
        true => held,
        false => held.narrowed_to(&Roles::from_grants(&token.scopes)),
    };
    Ok(Some(Principal {
        person,
        roles,
        credential: Credential::ApiToken {
            token_id: token.token_id,
        },
    }))
}
