//! API tokens for scripts: made by a signed-in person, scoped to (some of) their roles,
//! stored hashed, listed, revocable and expiring. Sent as `Authorization: Bearer flt_…`.

use super::grants::live_roles;
use super::people::{checked_name, person};
use super::secrets::{hash_secret, new_id, new_secret};
use super::{now, AccountError, AccountResult, PersonId, RoleKind, Roles, ScopedRole};
use crate::{Database, StoreError};
use domain::{FundId, OrgId, RoundId};

/// Every API token starts with this, so a bearer value is told from a JWT at a glance.
pub const API_TOKEN_PREFIX: &str = "flt_";
/// The longest an API token may live.
pub const MAX_API_TOKEN_TTL_SECONDS: i64 = 366 * 24 * 3600;
/// A token's use is written down at most this often (not a write per request).
pub const API_TOKEN_TOUCH_INTERVAL_SECONDS: i64 = 60;

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

const TOKEN_COLUMNS: &str =
    "token_id, person_id, name, scopes, created_at, expires_at, revoked_at, last_used_at";
type TokenRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn token_from_row(row: TokenRow) -> AccountResult<ApiToken> {
    let (token_id, person_id, name, scopes, created_at, expires_at, revoked_at, last_used_at) = row;
    let scopes = serde_json::from_str(&scopes).map_err(|error| {
        AccountError::Store(StoreError::Corrupt(format!(
            "API token {token_id}'s scopes: {error}"
        )))
    })?;
    Ok(ApiToken {
        token_id,
        person_id: PersonId(person_id),
        name,
        scopes,
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
    })
}

/// Refuses a token the person could not use: a ttl out of range, or a scope they do not
/// hold now (an owner may scope a token to one fund).
async fn check_new_token(
    db: &Database,
    person_id: &PersonId,
    scopes: &[ScopedRole],
    ttl_seconds: i64,
) -> AccountResult<()> {
    if !(1..=MAX_API_TOKEN_TTL_SECONDS).contains(&ttl_seconds) {
        return Err(AccountError::Invalid(format!(
            "an API token lasts from 1 second to {} days; {ttl_seconds} seconds was asked",
            MAX_API_TOKEN_TTL_SECONDS / 86_400
        )));
    }
    match person(db, person_id).await? {
        Some(found) if found.erased_at.is_none() => {}
        _ => return Err(AccountError::NotFound(format!("person {person_id}"))),
    }
    let held = Roles::from_grants(&live_roles(db, person_id).await?);
    for scope in scopes {
        super::grants::check_role(scope)?;
        if !holds(&held, scope) {
            return Err(AccountError::Invalid(format!(
                "you do not hold the role {scope}, so a token cannot be scoped to it"
            )));
        }
    }
    Ok(())
}

/// Whether `held` covers `scope` (an owner is officer of every fund).
fn holds(held: &Roles, scope: &ScopedRole) -> bool {
    match scope.role {
        RoleKind::Owner => held.owner,
        RoleKind::Officer => held.is_officer_of(&FundId::new(&scope.scope)),
        RoleKind::Panel => held.is_panel_of(&RoundId::new(&scope.scope)),
        RoleKind::Member => held.is_member_of(&OrgId::new(&scope.scope)),
    }
}

pub async fn create_api_token(
    db: &Database,
    person: &PersonId,
    name: &str,
    scopes: &[ScopedRole],
    ttl_seconds: i64,
) -> AccountResult<NewApiToken> {
    const SQL: &str = "INSERT INTO api_tokens (token_id, secret_hash, person_id, name, scopes, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let name = checked_name("token name", name)?;
    check_new_token(db, person, scopes, ttl_seconds).await?;
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let scopes_json = serde_json::to_string(&scopes)
        .map_err(|error| AccountError::Invalid(format!("token scopes: {error}")))?;
    let secret = format!("{API_TOKEN_PREFIX}{}", new_secret());
    let created_at = now();
    let token = ApiToken {
        token_id: new_id("T-"),
        person_id: person.clone(),
        name,
        scopes,
        created_at,
        expires_at: created_at + ttl_seconds,
        revoked_at: None,
        last_used_at: None,
    };
    on_store!(db, pool => {
        sqlx::query(SQL)
            .bind(&token.token_id)
            .bind(hash_secret(&secret))
            .bind(person.as_str())
            .bind(&token.name)
            .bind(&scopes_json)
            .bind(created_at)
            .bind(token.expires_at)
            .execute(pool)
            .await?;
    });
    Ok(NewApiToken { token, secret })
}

/// The live token behind a secret (`None`: unknown, revoked or expired); notes its use.
pub async fn api_token_by_secret(db: &Database, secret: &str) -> AccountResult<Option<ApiToken>> {
    const TOUCH: &str = "UPDATE api_tokens SET last_used_at = $2 WHERE token_id = $1";
    if !secret.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens \
         WHERE secret_hash = $1 AND revoked_at IS NULL AND expires_at > $2"
    );
    let at = now();
    let row: Option<TokenRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(hash_secret(secret)).bind(at).fetch_optional(pool).await?
    });
    let Some(mut token) = row.map(token_from_row).transpose()? else {
        return Ok(None);
    };
    let stale = token
        .last_used_at
        .is_none_or(|used| at - used >= API_TOKEN_TOUCH_INTERVAL_SECONDS);
    if stale {
        on_store!(db, pool => {
            sqlx::query(TOUCH).bind(&token.token_id).bind(at).execute(pool).await?;
        });
        token.last_used_at = Some(at);
    }
    Ok(Some(token))
}

/// Revokes one of the person's tokens (`NotFound` for another person's).
pub async fn revoke_api_token(
    db: &Database,
    person: &PersonId,
    token_id: &str,
) -> AccountResult<()> {
    const REVOKE: &str = "UPDATE api_tokens SET revoked_at = $3 \
         WHERE token_id = $1 AND person_id = $2 AND revoked_at IS NULL";
    const OWNED: &str = "SELECT COUNT(*) FROM api_tokens WHERE token_id = $1 AND person_id = $2";
    let (revoked, owned): (u64, i64) = on_store!(db, pool => {
        let revoked = sqlx::query(REVOKE)
            .bind(token_id)
            .bind(person.as_str())
            .bind(now())
            .execute(pool)
            .await?
            .rows_affected();
        let owned = sqlx::query_scalar(OWNED).bind(token_id).bind(person.as_str()).fetch_one(pool).await?;
        (revoked, owned)
    });
    // Revoking a revoked token again changes nothing and is not an error.
    if revoked == 0 && owned == 0 {
        return Err(AccountError::NotFound(format!("API token {token_id}")));
    }
    Ok(())
}

/// The person's tokens, newest first, revoked and expired ones included.
pub async fn api_tokens_of(db: &Database, person: &PersonId) -> AccountResult<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE person_id = $1 \
         ORDER BY created_at DESC, token_id DESC"
    );
    let rows: Vec<TokenRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(person.as_str()).fetch_all(pool).await?
    });
    rows.into_iter().map(token_from_row).collect()
}
