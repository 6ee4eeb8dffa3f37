//! Email notifications (issue 14), each written exactly once per step, across restarts
//! and several server processes: a transactional outbox (migration 0018).
//!
//! - `rules.rs`: who is told what. Events of the log (application received, approved or
//!   declined; drawdown approved; payment made) and report due dates
//!   (`domain::award::reports_due`) become `Notice`s to the members of one organisation.
//! - `outbox.rs`: the rows. `enqueue_from_log` reads the log from the notifier's
//!   checkpoint and, per batch, inserts one row per notice and member and advances the
//!   checkpoint in ONE transaction. A row's key is (source, kind, person): the event's
//!   position or the due date, so a second process reading the same events, or a process
//!   restarted after a crash before its commit, inserts nothing new (`ON CONFLICT DO
//!   NOTHING`) and nothing is lost (the checkpoint moved only with the rows).
//! - Sending (the server's task, `api`): claim pending rows with a lease (`claim`: an
//!   `UPDATE … RETURNING`, `FOR UPDATE SKIP LOCKED` on PostgreSQL), send, mark sent.
//!   A failure is retried with backoff (`retry_after_seconds`), and given up after
//!   `MAX_ATTEMPTS` (state `failed`, `last_error` kept for operators). A crash between
//!   the mail server taking a message and the row being marked can send that one message
//!   again once the lease ends: every message carries a `Message-ID` made from its key,
//!   the same on every attempt, so mail systems that drop duplicates drop it.
//! - Privacy: no sealed personal text (descriptions, reasons) goes into mail; the address
//!   is read when sending, so a person erased meanwhile gets nothing (`skipped`).

/// Runs `$body` with `$pool` bound to the store's pool, whichever it is (one SQL text for
/// both stores).
macro_rules! on_database {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            crate::Database::Postgres($pool) => $body,
            crate::Database::Sqlite($pool) => $body,
        }
    };
}

pub mod outbox;
pub mod rules;

pub use outbox::{ClaimedMessage, Outcome, NOTIFIER_READER};
pub use rules::{long_date, report_due_notices, AwardDue, Notice, NoticeKind};

use crate::{Ledger, LedgerError, LogOrder};

/// Events read per batch (one transaction each).
pub const NOTIFIER_BATCH_EVENTS: i64 = 200;

/// Reads the log from the notifier's checkpoint to what is readable now, writing each
/// batch's messages and the checkpoint together. Safe in any number of processes at
/// once. Returns the messages written by this call.
pub async fn enqueue_from_log(ledger: &Ledger, public_url: &str) -> Result<u64, LedgerError> {
    let database = &ledger.database;
    if database.log_order().await? != LogOrder::Safe {
        return Ok(0);
    }
    // `read_log` returns only what is readable: a later event is read on a later pass.
    let mut cursor = database.load_checkpoint(NOTIFIER_READER).await?;
    let mut written = 0;
    loop {
        let batch = database.read_log(cursor, NOTIFIER_BATCH_EVENTS).await?;
        let Some(last) = batch.last() else {
            return Ok(written);
        };
        let mut notices = Vec::new();
        for logged in &batch {
            notices.extend(rules::notices_of_event(ledger, public_url, logged).await?);
        }
        let rows = outbox::rows_for(database, &notices).await?;
        written += outbox::write(database, &rows, Some(last.cursor())).await?;
        cursor = last.cursor();
    }
}

/// Writes the report-due messages of `awards` on `today` (each due date at most
/// `reminder_days` away or passed, once per due date). Returns the messages written.
pub async fn enqueue_reports_due(
    ledger: &Ledger,
    public_url: &str,
    awards: &[AwardDue],
    today: domain::Date,
    reminder_days: u64,
) -> Result<u64, LedgerError> {
    let notices: Vec<Notice> = awards
        .iter()
        .flat_map(|award| report_due_notices(public_url, award, today, reminder_days))
        .collect();
    if notices.is_empty() {
        return Ok(0);
    }
    let rows = outbox::rows_for(&ledger.database, &notices).await?;
    Ok(outbox::write(&ledger.database, &rows, None).await?)
}
