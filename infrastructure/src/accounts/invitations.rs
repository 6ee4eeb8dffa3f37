//! Invitations: an officer invites someone by email to a role; the link is single-use,
//! expires, and can be withdrawn. Accepting it proves the email (the link went there),
//! makes the person if new and grants the role.

use super::grants::{check_role, role_from_row, INSERT_GRANT};
use super::people::{
    name_for_new_person, person_from_row, PersonRow, INSERT_PERSON, PERSON_BY_EMAIL,
};
use super::secrets::{hash_secret, new_id, new_secret};
use super::{normalise_email, now, AccountError, AccountResult, Person, PersonId, ScopedRole};
use crate::Database;

/// How long an invitation link stays valid unless the caller says otherwise.
pub const DEFAULT_INVITATION_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// The longest an invitation link may stay valid.
pub const MAX_INVITATION_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// A new invitation; `token` is the secret of its link, shown (emailed) once.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub invitation_id: String,
    pub token: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub invitation_id: String,
    /// `None` once the invited person's data was erased.
    pub email: Option<String>,
    pub role: ScopedRole,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
}

const INVITATION_COLUMNS: &str = "invitation_id, email, role, scope, invited_by, created_at, \
     expires_at, accepted_at, withdrawn_at";
type InvitationRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn invitation_from_row(row: InvitationRow) -> AccountResult<Invitation> {
    let (
        invitation_id,
        email,
        role,
        scope,
        invited_by,
        created_at,
        expires_at,
        accepted,
        withdrawn,
    ) = row;
    Ok(Invitation {
        invitation_id,
        email,
        role: role_from_row(&role, scope)?,
        invited_by,
        created_at,
        expires_at,
        accepted_at: accepted,
        withdrawn_at: withdrawn,
    })
}

/// Why an invitation cannot be accepted now, if it cannot.
fn refusal(invitation: &Invitation, now: i64) -> Option<AccountError> {
    let what = || "this invitation".to_string();
    if invitation.withdrawn_at.is_some() {
        Some(AccountError::Withdrawn(what()))
    } else if invitation.accepted_at.is_some() {
        Some(AccountError::AlreadyUsed(what()))
    } else if invitation.email.is_none() {
        // The invited person's data was erased: the invitation names nobody now.
        Some(AccountError::Withdrawn(what()))
    } else if invitation.expires_at <= now {
        Some(AccountError::Expired(what()))
    } else {
        None
    }
}

async fn invitation_by_token(db: &Database, token: &str) -> AccountResult<Option<Invitation>> {
    let sql = format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1");
    let row: Option<InvitationRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(hash_secret(token)).fetch_optional(pool).await?
    });
    row.map(invitation_from_row).transpose()
}

pub async fn invite(
    db: &Database,
    email: &str,
    role: &ScopedRole,
    invited_by: &str,
    ttl_seconds: i64,
) -> AccountResult<NewInvitation> {
    const SQL: &str = "INSERT INTO invitations (invitation_id, token_hash, email, role, scope, \
         invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let email = normalise_email(email)?;
    check_role(role)?;
    if !(1..=MAX_INVITATION_TTL_SECONDS).contains(&ttl_seconds) {
        return Err(AccountError::Invalid(format!(
            "an invitation lasts from 1 second to {} days; {ttl_seconds} seconds was asked",
            MAX_INVITATION_TTL_SECONDS / 86_400
        )));
    }
    let (invitation_id, token, created_at) = (new_id("I-"), new_secret(), now());
    let expires_at = created_at + ttl_seconds;
    on_store!(db, pool => {
        sqlx::query(SQL)
            .bind(&invitation_id)
            .bind(hash_secret(&token))
            .bind(&email)
            .bind(role.role.as_str())
            .bind(&role.scope)
            .bind(invited_by)
            .bind(created_at)
            .bind(expires_at)
            .execute(pool)
            .await?;
    });
    Ok(NewInvitation {
        invitation_id,
        token,
        expires_at,
    })
}

/// The invitation behind a link, if it can still be accepted (`Expired`, `AlreadyUsed`,
/// `Withdrawn`, `NotFound` otherwise).
pub async fn open_invitation(db: &Database, token: &str) -> AccountResult<Invitation> {
    let invitation = invitation_by_token(db, token)
        .await?
        .ok_or_else(|| AccountError::NotFound("invitation".into()))?;
    match refusal(&invitation, now()) {
        Some(refused) => Err(refused),
        None => Ok(invitation),
    }
}

/// Marks the invitation accepted only if nobody did before, it is not withdrawn and not
/// expired: the one statement that decides a race between two accepts.
const CLAIM_INVITATION: &str = "UPDATE invitations SET accepted_at = $2 \
     WHERE token_hash = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL \
     AND email IS NOT NULL AND expires_at > $2 \
     RETURNING invitation_id, email, role, scope, invited_by";
const NOTE_ACCEPTED_BY: &str = "UPDATE invitations SET accepted_by = $2 WHERE invitation_id = $1";

/// Accepts the invitation once (two racing accepts: one wins, the other `AlreadyUsed`),
/// making the person (named `name`) if new, and grants its role.
pub async fn accept_invitation(
    db: &Database,
    token: &str,
    name: Option<&str>,
) -> AccountResult<(Person, ScopedRole)> {
    if let Some(name) = name {
        super::people::checked_name("name", name)?;
    }
    let accepted_at = now();
    type Claimed = (String, String, String, String, String);
    let accepted: Option<(PersonRow, Claimed)> = on_store!(db, pool => {
        let mut tx = pool.begin().await?;
        let claimed: Option<Claimed> = sqlx::query_as(CLAIM_INVITATION)
            .bind(hash_secret(token))
            .bind(accepted_at)
            .fetch_optional(&mut *tx)
            .await?;
        match claimed {
            None => None,
            Some((invitation_id, email, role, scope, invited_by)) => {
                sqlx::query(INSERT_PERSON)
                    .bind(PersonId::generate().as_str())
                    .bind(&email)
                    .bind(name_for_new_person(&email, name)?)
                    .bind(accepted_at)
                    .execute(&mut *tx)
                    .await?;
                let person: PersonRow =
                    sqlx::query_as(PERSON_BY_EMAIL).bind(&email).fetch_one(&mut *tx).await?;
                sqlx::query(NOTE_ACCEPTED_BY)
                    .bind(&invitation_id)
                    .bind(&person.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_GRANT)
                    .bind(new_id("G-"))
                    .bind(&person.0)
                    .bind(&role)
                    .bind(&scope)
                    .bind(&invited_by)
                    .bind(accepted_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Some((person, (invitation_id, email, role, scope, invited_by)))
            }
        }
    });
    match accepted {
        Some((person, (_, _, role, scope, _))) => {
            Ok((person_from_row(person), role_from_row(&role, scope)?))
        }
        None => Err(why_not_accepted(db, token, accepted_at).await),
    }
}

/// The reason a claim found nothing to accept (looked up after the claim lost).
async fn why_not_accepted(db: &Database, token: &str, at: i64) -> AccountError {
    match invitation_by_token(db, token).await {
        Err(error) => error,
        Ok(None) => AccountError::NotFound("invitation".into()),
        Ok(Some(invitation)) => refusal(&invitation, at)
            .unwrap_or_else(|| AccountError::AlreadyUsed("this invitation".into())),
    }
}

pub async fn withdraw_invitation(
    db: &Database,
    invitation_id: &str,
    by: &str,
) -> AccountResult<Invitation> {
    const SQL: &str = "UPDATE invitations SET withdrawn_at = $2, withdrawn_by = $3 \
         WHERE invitation_id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL";
    let withdrawn = on_store!(db, pool => {
        sqlx::query(SQL)
            .bind(invitation_id)
            .bind(now())
            .bind(by)
            .execute(pool)
            .await?
            .rows_affected()
    });
    let found = invitation(db, invitation_id)
        .await?
        .ok_or_else(|| AccountError::NotFound(format!("invitation {invitation_id}")))?;
    if withdrawn == 0 {
        let what = format!("invitation {invitation_id}");
        return Err(match found.accepted_at {
            Some(_) => AccountError::AlreadyUsed(what),
            None => AccountError::Withdrawn(what),
        });
    }
    Ok(found)
}

pub async fn invitation(db: &Database, invitation_id: &str) -> AccountResult<Option<Invitation>> {
    let sql = format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE invitation_id = $1");
    let row: Option<InvitationRow> = on_store!(db, pool => {
        sqlx::query_as(&sql).bind(invitation_id).fetch_optional(pool).await?
    });
    row.map(invitation_from_row).transpose()
}

/// Open (not accepted, withdrawn or expired) invitations to roles over `scope`s.
pub async fn open_invitations(
    db: &Database,
    scopes: &[ScopedRole],
) -> AccountResult<Vec<Invitation>> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE role = $1 AND scope = $2 \
         AND accepted_at IS NULL AND withdrawn_at IS NULL AND email IS NOT NULL \
         AND expires_at > $3"
    );
    let at = now();
    let mut wanted: Vec<&ScopedRole> = scopes.iter().collect();
    wanted.sort();
    wanted.dedup();
    let mut open = Vec::new();
    for role in wanted {
        let rows: Vec<InvitationRow> = on_store!(db, pool => {
            sqlx::query_as(&sql)
                .bind(role.role.as_str())
                .bind(&role.scope)
                .bind(at)
                .fetch_all(pool)
                .await?
        });
        for row in rows {
            open.push(invitation_from_row(row)?);
        }
    }
    open.sort_by(|a, b| (a.created_at, &a.invitation_id).cmp(&(b.created_at, &b.invitation_id)));
    Ok(open)
}
