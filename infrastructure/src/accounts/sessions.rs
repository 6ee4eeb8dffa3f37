//! Server-side sessions: the cookie holds a secret, the store its hash, the person, the
//! CSRF token, and the idle and absolute expiry.

use super::{AccountResult, PersonId};
use crate::Database;

/// How long a session lives: idle (since last use) and absolute (since sign-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

impl Default for SessionLimits {
    fn default() -> SessionLimits {
        SessionLimits {
            idle_seconds: 30 * 60,
            absolute_seconds: 12 * 3600,
        }
    }
}

/// A new session: `secret` goes in the cookie, once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: String,
    pub secret: String,
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_id: String,
    pub person_id: PersonId,
    pub csrf_token: String,
    /// How the person signed in: `email`, `oidc`, `invitation`.
    pub method: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn start_session(
    db: &Database,
    person: &PersonId,
    method: &str,
    limits: SessionLimits,
) -> AccountResult<NewSession> {
    todo!("accounts helper {db:?} {person} {method} {limits:?}")
}

/// The live session behind a cookie's secret (`None`: unknown, ended, idle too long or
/// past its absolute expiry); notes its use.
pub async fn session_by_secret(
    db: &Database,
    secret: &str,
    limits: SessionLimits,
) -> AccountResult<Option<Session>> {
    todo!("accounts helper {db:?} {secret} {limits:?}")
}

/// Signs one session out.
pub async fn end_session(db: &Database, session_id: &str) -> AccountResult<()> {
    todo!("accounts helper {db:?} {session_id}")
}

/// Signs the person out everywhere; how many sessions ended.
pub async fn end_all_sessions(db: &Database, person: &PersonId) -> AccountResult<u64> {
    todo!("accounts helper {db:?} {person}")
}

/// The person's live sessions, newest first.
pub async fn sessions_of(db: &Database, person: &PersonId) -> AccountResult<Vec<Session>> {
    todo!("accounts helper {db:?} {person}")
}
