//! Email sign-in links: single use, valid for minutes.

use super::people::{person, person_by_email};
use super::secrets::{hash_secret, new_secret};
use super::{now, AccountError, AccountResult, Person, PersonId};
use crate::Database;

/// How long a sign-in link stays valid.
pub const SIGN_IN_LINK_TTL_SECONDS: i64 = 15 * 60;
/// The longest a sign-in link may be made to last (an operator's bootstrap link).
pub const MAX_SIGN_IN_LINK_TTL_SECONDS: i64 = 24 * 3600;

/// A sign-in link's secret for the person with `email`, or `None` when there is no such
/// person (the caller says the same either way, so nobody learns who has an account).
pub async fn issue_sign_in_link(
    db: &Database,
    email: &str,
    ttl_seconds: i64,
) -> AccountResult<Option<(Person, String)>> {
    const SQL: &str = "INSERT INTO sign_in_links (token_hash, person_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)";
    if !(1..=MAX_SIGN_IN_LINK_TTL_SECONDS).contains(&ttl_seconds) {
        return Err(AccountError::Invalid(format!(
            "a sign-in link lasts from 1 second to {} hours; {ttl_seconds} seconds was asked",
            MAX_SIGN_IN_LINK_TTL_SECONDS / 3600
        )));
    }
    let Some(found) = person_by_email(db, email).await? else {
        return Ok(None);
    };
    if found.erased_at.is_some() {
        return Ok(None);
    }
    let (secret, created_at) = (new_secret(), now());
    on_store!(db, pool => {
        sqlx::query(SQL)
            .bind(hash_secret(&secret))
            .bind(found.id.as_str())
            .bind(created_at)
            .bind(created_at + ttl_seconds)
            .execute(pool)
            .await?;
    });
    Ok(Some((found, secret)))
}

/// Uses the link once: the person it signs in (`Expired`, `AlreadyUsed`, `NotFound`).
pub async fn consume_sign_in_link(db: &Database, token: &str) -> AccountResult<Person> {
    // One conditional statement decides a race between two uses of the same link.
    const CLAIM: &str = "UPDATE sign_in_links SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING person_id";
    const LOOK: &str = "SELECT used_at, expires_at FROM sign_in_links WHERE token_hash = $1";
    let (hash, used_at) = (hash_secret(token), now());
    let claimed: Option<String> = on_store!(db, pool => {
        sqlx::query_scalar(CLAIM).bind(&hash).bind(used_at).fetch_optional(pool).await?
    });
    let what = || "this sign-in link".to_string();
    let Some(person_id) = claimed else {
        let row: Option<(Option<i64>, i64)> = on_store!(db, pool => {
            sqlx::query_as(LOOK).bind(&hash).fetch_optional(pool).await?
        });
        return Err(match row {
            None => AccountError::NotFound("sign-in link".into()),
            Some((Some(_), _)) => AccountError::AlreadyUsed(what()),
            Some((None, _)) => AccountError::Expired(what()),
        });
    };
    match person(db, &PersonId(person_id)).await? {
        Some(found) if found.erased_at.is_none() => Ok(found),
        _ => Err(AccountError::NotFound("sign-in link".into())),
    }
}
