//! Erasure (UK GDPR's right to erasure): a person's name and email go, their key goes
//! (so every text they wrote in the log reads `[erased]`), and every way they had in
//! (sessions, API tokens, sign-in links, role grants) ends. The rows of grants, tokens and
//! sessions stay as the record of who had access when, now naming only an opaque id.
//! The event log, money facts and hash chain are not touched. Idempotent.

use std::fmt;

use super::PersonalError;
use crate::accounts::{now, PersonId};
use crate::Database;

/// Deletes a subject's key (making an erased row if it had none); evaluates to whether it
/// was erased before. The same SQL on both stores, inside the caller's transaction.
macro_rules! erase_key {
    ($tx:expr, $subject:expr) => {{
        let before: Option<Option<i64>> =
            sqlx::query_scalar("SELECT erased_at FROM subject_keys WHERE subject = $1")
                .bind($subject)
                .fetch_optional(&mut *$tx)
                .await?;
        sqlx::query(
            "INSERT INTO subject_keys (subject, key_hex, created_at, erased_at) \
             VALUES ($1, NULL, $2, $2) \
             ON CONFLICT (subject) DO UPDATE SET key_hex = NULL, \
             erased_at = COALESCE(subject_keys.erased_at, excluded.erased_at)",
        )
        .bind($subject)
        .bind(now())
        .execute(&mut *$tx)
        .await?;
        matches!(before, Some(Some(_)))
    }};
}

/// Every step of [`erase_person`] inside the caller's transaction; evaluates to the
/// [`Erasure`].
macro_rules! erase_person_steps {
    ($tx:expr, $person_id:expr, $by:expr) => {{
        let tx = $tx;
        let person_id: &PersonId = $person_id;
        let now = now();
        let found: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT email, erased_at FROM people WHERE person_id = $1")
                .bind(person_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((email, person_erased_at)) = found else {
            return Err(PersonalError::NotFound(format!(
                "person {person_id} not found"
            )));
        };
        let subject = person_id.actor();
        let key_erased = erase_key!(tx, &subject);
        let invitations_cleared = sqlx::query(
            "UPDATE invitations SET email = NULL \
             WHERE email IS NOT NULL AND (email = $1 OR accepted_by = $2)",
        )
        .bind(email.as_deref())
        .bind(person_id.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE people SET name = NULL, email = NULL, \
             erased_at = COALESCE(erased_at, $2) WHERE person_id = $1",
        )
        .bind(person_id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let ended = |sql: &'static str| sqlx::query(sql).bind(person_id.as_str()).bind(now);
        let sessions_ended =
            ended("UPDATE sessions SET ended_at = $2 WHERE person_id = $1 AND ended_at IS NULL")
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let api_tokens_revoked = ended(
            "UPDATE api_tokens SET revoked_at = $2 WHERE person_id = $1 AND revoked_at IS NULL",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        ended("UPDATE sign_in_links SET used_at = $2 WHERE person_id = $1 AND used_at IS NULL")
            .execute(&mut *tx)
            .await?;
        let roles_revoked = ended(
            "UPDATE role_grants SET revoked_at = $2, revoked_by = $3 \
             WHERE person_id = $1 AND revoked_at IS NULL",
        )
        .bind($by)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Erasure {
            subject,
            already_erased: person_erased_at.is_some() && key_erased,
            sessions_ended,
            api_tokens_revoked,
            roles_revoked,
            invitations_cleared,
        }
    }};
}

/// What one erasure did (counts are of things ended by this call: 0 on a repeat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The erased subject (`person:{id}` for a person).
    pub subject: String,
    /// Whether the subject had already been erased before this call.
    pub already_erased: bool,
    pub sessions_ended: u64,
    pub api_tokens_revoked: u64,
    pub roles_revoked: u64,
    pub invitations_cleared: u64,
}

impl fmt::Display for Erasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_erased {
            return write!(f, "{} was already erased; nothing more to do", self.subject);
        }
        write!(
            f,
            "erased {}: key deleted, name and email removed, {} session(s) ended, \
             {} API token(s) revoked, {} role(s) revoked, {} invitation email(s) removed",
            self.subject,
            self.sessions_ended,
            self.api_tokens_revoked,
            self.roles_revoked,
            self.invitations_cleared
        )
    }
}

/// The person whose (normalised) email this is, erased or not.
pub async fn person_by_email(
    db: &Database,
    email: &str,
) -> Result<Option<PersonId>, PersonalError> {
    const SQL: &str = "SELECT person_id FROM people WHERE email = $1";
    let email = email.trim().to_lowercase();
    let id: Option<String> = match db {
        Database::Postgres(pool) => {
            sqlx::query_scalar(SQL)
                .bind(&email)
                .fetch_optional(pool)
                .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_scalar(SQL)
                .bind(&email)
                .fetch_optional(pool)
                .await?
        }
    };
    Ok(id.map(PersonId::new))
}

/// Erases a person, in one transaction; `by` is the actor asking (recorded as
/// `revoked_by` on their role grants). Unknown person → `NotFound`.
pub async fn erase_person(
    db: &Database,
    person_id: &PersonId,
    by: &str,
) -> Result<Erasure, PersonalError> {
    let erasure = match db {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let erasure = erase_person_steps!(&mut *tx, person_id, by);
            tx.commit().await?;
            erasure
        }
        Database::Sqlite(pool) => {
            // Take the write lock at once: a read first and a write later would fail with
            // "database is locked" when another connection writes in between.
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            let erasure = erase_person_steps!(&mut *tx, person_id, by);
            tx.commit().await?;
            erasure
        }
    };
    tracing::info!(subject = %erasure.subject, by, repeat = erasure.already_erased, "erased a person");
    Ok(erasure)
}

/// Erases a subject that is not a person (an operator token's actor such as
/// `grantee:{org}:{sub}`): deletes its key, and keeps a row so nothing new is ever sealed
/// for it. A `person:{id}` subject is erased as that person.
pub async fn erase_subject(
    db: &Database,
    subject: &str,
    by: &str,
) -> Result<Erasure, PersonalError> {
    if let Some(person_id) = PersonId::from_actor(subject) {
        return erase_person(db, &person_id, by).await;
    }
    if !has_key_row(db, subject).await? {
        return Err(PersonalError::NotFound(format!(
            "no text was ever sealed for subject {subject:?}: nothing to erase (a person is \
             erased by email or id)"
        )));
    }
    let already_erased = match db {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let already = erase_key!(&mut *tx, subject);
            tx.commit().await?;
            already
        }
        Database::Sqlite(pool) => {
            // Take the write lock at once: a read first and a write later would fail with
            // "database is locked" when another connection writes in between.
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            let already = erase_key!(&mut *tx, subject);
            tx.commit().await?;
            already
        }
    };
    tracing::info!(
        subject,
        by,
        repeat = already_erased,
        "erased a subject's key"
    );
    Ok(Erasure {
        subject: subject.to_string(),
        already_erased,
        sessions_ended: 0,
        api_tokens_revoked: 0,
        roles_revoked: 0,
        invitations_cleared: 0,
    })
}

/// Whether the subject ever had a key (sealed any text), erased or not.
async fn has_key_row(db: &Database, subject: &str) -> Result<bool, PersonalError> {
    const SQL: &str = "SELECT COUNT(*) FROM subject_keys WHERE subject = $1";
    let rows: i64 = match db {
        Database::Postgres(pool) => {
            sqlx::query_scalar(SQL)
                .bind(subject)
                .fetch_one(pool)
                .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_scalar(SQL)
                .bind(subject)
                .fetch_one(pool)
                .await?
        }
    };
    Ok(rows > 0)
}
