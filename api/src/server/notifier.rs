//! The email notifier: a background task of `serve` (started beside the projector and the
//! process manager, stopped with them). Each pass writes the outbox from the event log
//! (`infrastructure::notifications::enqueue_from_log`), now and then the report-due
//! messages (the one schedule, `domain::award::reports_due`, over the read models), and
//! sends what is pending through the `Mailer`. Why each message goes once, across crashes
//! and several processes: `infrastructure::notifications`.

use std::sync::Arc;
use std::time::Duration;

use infrastructure::notifications::{self, outbox, AwardDue, ClaimedMessage, Outcome};
use tokio::sync::watch;
use tokio::time::Instant;

use super::context::AppState;

/// Pending messages claimed at a time.
const SEND_BATCH: i64 = 20;

/// The notifier's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierSettings {
    /// `FUNDLEDGER_NOTIFY_POLL_MS` (default 500): how often the log and the outbox are read.
    pub poll: Duration,
    /// `FUNDLEDGER_REPORT_REMINDER_DAYS` (default 14): a report-due email goes this many
    /// days before the due date (or at once, for a date nearer or passed).
    pub reminder_days: u64,
    /// `FUNDLEDGER_REPORT_SCAN_SECONDS` (default 3600): how often awards are checked for
    /// reports due.
    pub report_scan: Duration,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        NotifierSettings {
            poll: Duration::from_millis(500),
            reminder_days: 14,
            report_scan: Duration::from_secs(3_600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{name} must be a whole number from {min} to {max}, not '{value}'")]
pub struct NotifierSettingsError {
    name: &'static str,
    value: String,
    min: u64,
    max: u64,
}

fn number(
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, NotifierSettingsError> {
    let Ok(value) = std::env::var(name) else {
        return Ok(default);
    };
    match value.trim().parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(NotifierSettingsError {
            name,
            value,
            min,
            max,
        }),
    }
}

impl NotifierSettings {
    pub fn from_env() -> Result<NotifierSettings, NotifierSettingsError> {
        let defaults = NotifierSettings::default();
        Ok(NotifierSettings {
            poll: Duration::from_millis(number("FUNDLEDGER_NOTIFY_POLL_MS", 500, 50, 60_000)?),
            reminder_days: number(
                "FUNDLEDGER_REPORT_REMINDER_DAYS",
                defaults.reminder_days,
                0,
                366,
            )?,
            report_scan: Duration::from_secs(number(
                "FUNDLEDGER_REPORT_SCAN_SECONDS",
                defaults.report_scan.as_secs(),
                1,
                86_400,
            )?),
        })
    }
}

/// Runs passes until `stopped` turns true. A failed pass (the store unreachable, say) is
/// logged and tried again on the next.
pub async fn run_notifier(
    state: Arc<AppState>,
    settings: NotifierSettings,
    mut stopped: watch::Receiver<bool>,
) {
    let mut next_scan = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(settings.poll) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        if let Err(error) = write_outbox(&state, &settings, &mut next_scan).await {
            tracing::warn!(%error, "notifier: writing the outbox failed; will retry");
        }
        if let Err(error) = send_pending(&state, &stopped).await {
            tracing::warn!(%error, "notifier: sending failed; will retry");
        }
    }
}

async fn write_outbox(
    state: &AppState,
    settings: &NotifierSettings,
    next_scan: &mut Instant,
) -> Result<(), String> {
    let public_url = &state.web.public_url;
    notifications::enqueue_from_log(&state.ledger, public_url)
        .await
        .map_err(|error| error.to_string())?;
    if Instant::now() >= *next_scan {
        *next_scan = Instant::now() + settings.report_scan;
        let awards = projections::read::active_awards_reports_due(&state.ledger.database)
            .await
            .map_err(|error| error.to_string())?;
        let awards: Vec<AwardDue> = awards
            .into_iter()
            .map(|award| AwardDue {
                award_id: award.award_id,
                org: domain::OrgId::new(award.recipient_org_id),
                org_name: award.recipient_name,
                title: award.title,
                due: award.due,
            })
            .collect();
        let today = infrastructure::business_today();
        notifications::enqueue_reports_due(
            &state.ledger,
            public_url,
            &awards,
            today,
            settings.reminder_days,
        )
        .await
        .map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// Claims and sends pending messages until none is left (or the server stops).
async fn send_pending(
    state: &AppState,
    stopped: &watch::Receiver<bool>,
) -> Result<(), infrastructure::StoreError> {
    let database = &state.ledger.database;
    loop {
        let claimed = outbox::claim(database, SEND_BATCH).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for message in claimed {
            if *stopped.borrow() {
                // Left claimed: its lease ends and it is sent then, here or elsewhere.
                return Ok(());
            }
            let outcome = send_one(state, &message).await?;
            let given_up = outbox::mark(database, &message, &outcome).await?;
            state.metrics.record_notification(&outcome, given_up);
            if let Outcome::Failed(error) = &outcome {
                tracing::warn!(
                    kind = %message.kind,
                    attempts = message.attempts,
                    given_up,
                    %error,
                    "notifier: a message was not sent"
                );
            }
        }
    }
}

async fn send_one(
    state: &AppState,
    message: &ClaimedMessage,
) -> Result<Outcome, infrastructure::StoreError> {
    let Some(address) = outbox::address_of(&state.ledger.database, &message.person_id).await?
    else {
        return Ok(Outcome::Skipped);
    };
    let id = message.message_id_part();
    Ok(
        match state
            .web
            .mailer
            .send_with_id(&address, &message.subject, &message.body, Some(&id))
            .await
        {
            Ok(()) => Outcome::Sent,
            Err(error) => Outcome::Failed(error.to_string()),
        },
    )
}
