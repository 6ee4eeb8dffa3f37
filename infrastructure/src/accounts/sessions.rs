//! Server-side sessions: the cookie holds a secret, the store its hash, the person, the
//! CSRF token, and the idle and absolute expiry.

use super::secrets::{hash_secret, new_id, new_secret};
use super::{now, AccountError, AccountResult, PersonId};
use crate::Database;

/// A session's use is written down at most this often: enough for an idle expiry counted
/// in minutes, without a write on every request.
pub const SESSION_TOUCH_INTERVAL_SECONDS: i64 = 60;

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

const SESSION_COLUMNS: &str =
    "session_id, person_id, csrf_token, method, created_at, last_seen_at, expires_at";
type SessionRow = (String, String, String, String, i64, i64, i64);

fn session_from_row(row: SessionRow) -> Session {
    let (session_id, person_id, csrf_token, method, created_at, last_seen_at, expires_at) = row;
    Session {
        session_id,
        person_id: PersonId(person_id),
        csrf_token,
        method,
        created_at,
        last_seen_at,
        expires_at,
    }
}

impl Session {
    /// Whether the session may still be used at `now` under `limits`.
    pub fn is_live(&self, now: i64, limits: SessionLimits) -> bool {
        now < self.expires_at
            && now < self.created_at + limits.absolute_seconds
            && now - self.last_seen_at <= limits.idle_seconds
    }
}

pub async fn start_session(
    db: &Database,
    person: &PersonId,
    method: &str,
    limits: SessionLimits,
) -> AccountResult<NewSession> {
    const SQL: &str = "INSERT INTO sessions (session_id, secret_hash, person_id, csrf_token, \
         method, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";
    if limits.idle_seconds < 1 || limits.absolute_seconds < 1 {
        return Err(AccountError::Invalid(
            "a session's idle and absolute limits must be at least 1 second".into(),
        ));
    }
    let session = NewSession {
        session_id: new_id("S-"),
        secret: new_secret(),
        csrf_token: new_secret(),
    };
    let started_at = now();
    on_store!(db, pool => {
        sqlx::query(SQL)
            .bind(&session.session_id)
            .bind(hash_secret(&session.secret))
            .bind(person.as_str())
            .bind(&session.csrf_token)
            .bind(method)
            .bind(started_at)
            .bind(started_at + limits.absolute_seconds)
            .execute(pool)
            .await?;
    });
    Ok(session)
}

/// The live session behind a cookie's secret (`None`: unknown, ended, idle too long or
/// past its absolute expiry); notes its use.
pub async fn session_by_secret(
    db: &Database,
    secret: &str,
    limits: SessionLimits,
) -> AccountResult<Option<Session>> {
    const TOUCH: &str = "UPDATE sessions SET last_seen_at = $2 \
         WHERE session_id = $1 AND ended_at IS NULL AND last_seen_at < $2";
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = $1 AND ended_at IS NULL"
    );
    let row: Option<SessionRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(hash_secret(secret)).fetch_optional(pool).await?
    });
    let Some(mut session) = row.map(session_from_row) else {
        return Ok(None);
    };
    let at = now();
    if !session.is_live(at, limits) {
        return Ok(None);
    }
    if at - session.last_seen_at >= SESSION_TOUCH_INTERVAL_SECONDS {
        on_store!(db, pool => {
            sqlx::query(TOUCH).bind(&session.session_id).bind(at).execute(pool).await?;
        });
        session.last_seen_at = at;
    }
    Ok(Some(session))
}

/// Signs one session out.
pub async fn end_session(db: &Database, session_id: &str) -> AccountResult<()> {
    const SQL: &str =
        "UPDATE sessions SET ended_at = $2 WHERE session_id = $1 AND ended_at IS NULL";
    on_store!(db, pool => {
        sqlx::query(SQL).bind(session_id).bind(now()).execute(pool).await?;
    });
    Ok(())
}

/// Signs the person out everywhere; how many sessions ended.
pub async fn end_all_sessions(db: &Database, person: &PersonId) -> AccountResult<u64> {
    const SQL: &str = "UPDATE sessions SET ended_at = $2 \
         WHERE person_id = $1 AND ended_at IS NULL AND expires_at > $2";
    let ended = on_store!(db, pool => {
        sqlx::query(SQL).bind(person.as_str()).bind(now()).execute(pool).await?.rows_affected()
    });
    Ok(ended)
}

/// The person's live sessions, newest first. (Not ended and before their absolute
/// expiry; one idle past the server's limit is listed until it would expire, as the
/// store does not know the server's idle limit.)
pub async fn sessions_of(db: &Database, person: &PersonId) -> AccountResult<Vec<Session>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE person_id = $1 AND ended_at IS NULL \
         AND expires_at > $2 ORDER BY created_at DESC, session_id DESC"
    );
    let rows: Vec<SessionRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(person.as_str()).bind(now()).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(session_from_row).collect())
}
