//! The outbox (migration 0018): notices become rows, one per member, in the transaction
//! that advances the notifier's checkpoint; senders claim rows with a lease, send, and
//! mark them. See `mod.rs` for why each message is sent once.

use domain::OrgId;

use super::rules::Notice;
use crate::accounts::{self, RoleKind};
use crate::event_log::LogCursor;
use crate::{Database, StoreError};

/// The notifier's name in `log_checkpoints`.
pub const NOTIFIER_READER: &str = "notifier";
/// How long a claimed message is left to its sender before another may try it.
pub const CLAIM_LEASE_SECONDS: i64 = 120;
/// After this many attempts a message is given up (`failed`, kept for operators).
pub const MAX_ATTEMPTS: i64 = 8;
/// The wait after the first failed attempt; doubled after each further one.
pub const FIRST_RETRY_SECONDS: i64 = 30;
/// The longest wait between attempts.
pub const MAX_RETRY_SECONDS: i64 = 3_600;

/// One row to write: a notice for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub source_key: String,
    pub kind: String,
    pub person_id: String,
    pub subject: String,
    pub body: String,
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    pub source_key: String,
    pub kind: String,
    pub person_id: String,
    pub subject: String,
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

impl ClaimedMessage {
    /// The message's stable identity: the same on every attempt and in every process,
    /// so the `Message-ID` made from it lets mail systems drop a second copy.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.source_key, self.kind, self.person_id)
    }

    /// The left part of the message's `Message-ID`: the SHA-256 of its key, in hex (the
    /// key itself names a person's id, which has no place in a header).
    pub fn message_id_part(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.key().as_bytes()))
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones.
pub fn retry_after_seconds(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_RETRY_SECONDS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_SECONDS)
}

/// Each notice as one row per live member of its organisation with an address (an
/// erased person holds no grant and has no address).
pub async fn rows_for(db: &Database, notices: &[Notice]) -> Result<Vec<OutboxRow>, StoreError> {
    if notices.is_empty() {
        return Ok(Vec::new()); // most batches of the log notify nobody: no query for them
    }
    // Only organisations with members are looked up one by one: the hourly scan of
    // reports due has a notice per active award (100,000 queries at 1,000,000 events).
    let with_members = accounts::grants::scopes_held(db, RoleKind::Member)
        .await
        .map_err(account_store_error)?;
    let mut rows = Vec::new();
    for notice in notices {
        if !with_members.contains(notice.org.as_str()) {
            continue;
        }
        for member in members(db, &notice.org).await? {
            rows.push(OutboxRow {
                source_key: notice.source_key.clone(),
                kind: notice.kind.as_str().to_string(),
                person_id: member,
                subject: notice.subject.clone(),
                body: notice.body.clone(),
            });
        }
    }
    Ok(rows)
}

async fn members(db: &Database, org: &OrgId) -> Result<Vec<String>, StoreError> {
    let grants = accounts::grants::holders(db, RoleKind::Member, org.as_str())
        .await
        .map_err(account_store_error)?;
    Ok(grants
        .into_iter()
        .filter(|grant| grant.person.erased_at.is_none() && grant.person.email.is_some())
        .map(|grant| grant.person.id.0)
        .collect())
}

fn account_store_error(error: accounts::AccountError) -> StoreError {
    match error {
        accounts::AccountError::Store(error) => error,
        other => StoreError::Corrupt(other.to_string()),
    }
}

const INSERT_ROW: &str = "INSERT INTO notification_outbox \
     (source_key, kind, person_id, subject, body, state, attempts, claimed_until, created_at) \
     VALUES ($1, $2, $3, $4, $5, 'pending', 0, 0, $6) ON CONFLICT DO NOTHING";

/// Moves the checkpoint forward only: a second notifier that read the same events
/// behind a faster one never moves it back.
const POSTGRES_ADVANCE: &str = "INSERT INTO log_checkpoints (reader, txid, position, log_epoch)
     VALUES ($1, $2::text::xid8, $3, $4)
     ON CONFLICT (reader) DO UPDATE SET txid = EXCLUDED.txid, position = EXCLUDED.position,
         log_epoch = EXCLUDED.log_epoch
     WHERE (log_checkpoints.log_epoch, log_checkpoints.txid, log_checkpoints.position)
         < (EXCLUDED.log_epoch, EXCLUDED.txid, EXCLUDED.position)";
const SQLITE_ADVANCE: &str = "INSERT INTO log_checkpoints (reader, txid, position)
     VALUES ($1, $2, $3)
     ON CONFLICT (reader) DO UPDATE SET txid = excluded.txid, position = excluded.position
     WHERE log_checkpoints.position < excluded.position";

/// Inserts `rows` (a row already there is left alone) and, when given, advances the
/// notifier's checkpoint to `cursor`: all in one transaction. Returns the rows inserted.
pub async fn write(
    db: &Database,
    rows: &[OutboxRow],
    cursor: Option<LogCursor>,
) -> Result<u64, StoreError> {
    let now = accounts::now();
    macro_rules! insert_all {
        ($tx:expr) => {{
            let mut inserted = 0;
            for row in rows {
                inserted += sqlx::query(INSERT_ROW)
                    .bind(&row.source_key)
                    .bind(&row.kind)
                    .bind(&row.person_id)
                    .bind(&row.subject)
                    .bind(&row.body)
                    .bind(now)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected();
            }
            inserted
        }};
    }
    match db {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let inserted = insert_all!(tx);
            if let Some(cursor) = cursor {
                sqlx::query(POSTGRES_ADVANCE)
                    .bind(NOTIFIER_READER)
                    .bind(cursor.txid.to_string())
                    .bind(cursor.position)
                    .bind(cursor.epoch)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(inserted)
        }
        Database::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            let inserted = insert_all!(tx);
            if let Some(cursor) = cursor {
                sqlx::query(SQLITE_ADVANCE)
                    .bind(NOTIFIER_READER)
                    .bind(cursor.txid)
                    .bind(cursor.position)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(inserted)
        }
    }
}

/// Claims up to `limit` pending messages whose time has come, for `CLAIM_LEASE_SECONDS`.
/// On PostgreSQL rows another sender is claiming are skipped (`SKIP LOCKED`); SQLite runs
/// one writer at a time.
const CLAIM: &str = "UPDATE notification_outbox
    SET claimed_until = $1 + $2, attempts = attempts + 1
  WHERE (source_key, kind, person_id) IN (
        SELECT source_key, kind, person_id FROM notification_outbox
         WHERE state = 'pending' AND claimed_until <= $1
         ORDER BY created_at, source_key, kind, person_id
         LIMIT $3 {LOCK})
RETURNING source_key, kind, person_id, subject, body, attempts";

type ClaimRow = (String, String, String, String, String, i64);

pub async fn claim(db: &Database, limit: i64) -> Result<Vec<ClaimedMessage>, StoreError> {
    let now = accounts::now();
    let rows: Vec<ClaimRow> = match db {
        Database::Postgres(pool) => {
            sqlx::query_as(&CLAIM.replace("{LOCK}", "FOR UPDATE SKIP LOCKED"))
                .bind(now)
                .bind(CLAIM_LEASE_SECONDS)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
        Database::Sqlite(pool) => {
            sqlx::query_as(&CLAIM.replace("{LOCK}", ""))
                .bind(now)
                .bind(CLAIM_LEASE_SECONDS)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(
            |(source_key, kind, person_id, subject, body, attempts)| ClaimedMessage {
                source_key,
                kind,
                person_id,
                subject,
                body,
                attempts,
            },
        )
        .collect())
}

/// How a claimed message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// No address to send to (the person was erased after the row was written).
    Skipped,
    /// The mail server refused it or could not be reached: tried again later, or given up
    /// after `MAX_ATTEMPTS`.
    Failed(String),
}

const MARK_DONE: &str = "UPDATE notification_outbox
    SET state = $4, sent_at = $5, last_error = NULL
  WHERE source_key = $1 AND kind = $2 AND person_id = $3 AND state = 'pending'";
const MARK_FAILED: &str = "UPDATE notification_outbox
    SET state = $4, claimed_until = $5, last_error = $6
  WHERE source_key = $1 AND kind = $2 AND person_id = $3 AND state = 'pending'";

/// Records how `message` ended. Returns whether a failure was final (given up).
pub async fn mark(
    db: &Database,
    message: &ClaimedMessage,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let now = accounts::now();
    let given_up = matches!(outcome, Outcome::Failed(_)) && message.attempts >= MAX_ATTEMPTS;
    on_database!(db, pool => {
        let query = match outcome {
            Outcome::Sent | Outcome::Skipped => sqlx::query(MARK_DONE)
                .bind(&message.source_key)
                .bind(&message.kind)
                .bind(&message.person_id)
                .bind(if *outcome == Outcome::Sent { "sent" } else { "skipped" })
                .bind(now),
            Outcome::Failed(error) => sqlx::query(MARK_FAILED)
                .bind(&message.source_key)
                .bind(&message.kind)
                .bind(&message.person_id)
                .bind(if given_up { "failed" } else { "pending" })
                .bind(now + retry_after_seconds(message.attempts))
                .bind(error.chars().take(1_000).collect::<String>()),
        };
        query.execute(pool).await?;
    });
    Ok(given_up)
}

/// The address `person` is mailed at now: `None` once erased.
pub async fn address_of(db: &Database, person: &str) -> Result<Option<String>, StoreError> {
    let person = accounts::people::person(db, &accounts::PersonId::new(person))
        .await
        .map_err(account_store_error)?;
    Ok(person
        .filter(|person| person.erased_at.is_none())
        .and_then(|person| person.email))
}

/// How many messages are in each state, for tests and operators.
pub async fn counts(db: &Database) -> Result<Vec<(String, i64)>, StoreError> {
    const SQL: &str =
        "SELECT state, COUNT(*) FROM notification_outbox GROUP BY state ORDER BY state";
    Ok(on_database!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after_seconds(1), 30);
        assert_eq!(retry_after_seconds(2), 60);
        assert_eq!(retry_after_seconds(4), 240);
        assert_eq!(retry_after_seconds(20), MAX_RETRY_SECONDS);
        assert_eq!(retry_after_seconds(i64::MAX), MAX_RETRY_SECONDS);
    }
}
