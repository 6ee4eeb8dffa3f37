//! Who is told what: the steps a group waits for, each a `Notice` to the members of one
//! organisation. Mail is plain text with a link to the group's screen, and never carries a
//! sealed personal text (a description, a reason): it says "sign in to read the reason".

use domain::application::ApplicationEvent;
use domain::award::{AwardEvent, ReportsDue};
use domain::{ApplicationId, AwardId, Date, Money, OrgId};

use crate::event_log::LoggedEvent;
use crate::{Ledger, LedgerError, StoreError};

/// What a message is about: part of its key, so one step sends one message per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    ApplicationReceived,
    ApplicationApproved,
    ApplicationDeclined,
    DrawdownApproved,
    DrawdownPaid,
    SpendReportDue,
    OutcomeReportDue,
}

impl NoticeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::ApplicationReceived => "application_received",
            NoticeKind::ApplicationApproved => "application_approved",
            NoticeKind::ApplicationDeclined => "application_declined",
            NoticeKind::DrawdownApproved => "drawdown_approved",
            NoticeKind::DrawdownPaid => "drawdown_paid",
            NoticeKind::SpendReportDue => "spend_report_due",
            NoticeKind::OutcomeReportDue => "outcome_report_due",
        }
    }
}

/// One message for every member of `org`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `event:{position}` or `due:{award}:{report}:{date}`.
    pub source_key: String,
    pub kind: NoticeKind,
    pub org: OrgId,
    pub subject: String,
    pub body: String,
}

/// A date as people read it: "7 December 2026".
pub fn long_date(date: Date) -> String {
    date.format("%-d %B %Y").to_string()
}

/// What every message ends with.
fn footer(org_name: &str) -> String {
    format!(
        "\n\nYou get this email because you are a member of {org_name} on fundledger. \
         Sign in to see everything about your group's applications and awards."
    )
}

fn application_link(public_url: &str, org: &OrgId, application: &ApplicationId) -> String {
    format!(
        "{}/groups/{}/applications/{}",
        public_url.trim_end_matches('/'),
        org.as_str(),
        application.as_str()
    )
}

fn award_link(public_url: &str, org: &OrgId, award: &AwardId) -> String {
    format!(
        "{}/groups/{}/awards/{}",
        public_url.trim_end_matches('/'),
        org.as_str(),
        award.as_str()
    )
}

/// The event types that give notices (others are passed over without decoding).
const NOTIFIED_EVENTS: [&str; 5] = [
    "ApplicationSubmitted",
    "ApplicationDeclined",
    "ApprovalRecorded",
    "DrawdownApproved",
    "PaymentRecorded",
];

/// What an application's notices say about it.
struct ApplicationFacts {
    id: ApplicationId,
    org: OrgId,
    org_name: String,
    title: String,
}

/// What an award's notices say about it.
struct AwardFacts {
    id: AwardId,
    org: OrgId,
    org_name: String,
    title: String,
}

/// The notices one logged event gives (none for most events). Reads the application or
/// award it belongs to through the ledger for the group and title (facts fixed at
/// submission), never the read models, which may lag.
pub async fn notices_of_event(
    ledger: &Ledger,
    public_url: &str,
    logged: &LoggedEvent,
) -> Result<Vec<Notice>, LedgerError> {
    if !NOTIFIED_EVENTS.contains(&logged.event_type.as_str()) {
        return Ok(Vec::new());
    }
    let source_key = format!("event:{}", logged.position);
    let corrupt = |error: String| {
        LedgerError::Store(StoreError::Corrupt(format!(
            "event at position {}: {error}",
            logged.position
        )))
    };
    let notice = match logged.aggregate_type.as_str() {
        "Application" => {
            let event: ApplicationEvent = decode(logged).map_err(corrupt)?;
            let id = ApplicationId::new(logged.aggregate_id.clone());
            application_notice(ledger, public_url, &id, &event).await?
        }
        "Award" => {
            let event: AwardEvent = decode(logged).map_err(corrupt)?;
            let id = AwardId::new(logged.aggregate_id.clone());
            award_notice(ledger, public_url, &id, &event).await?
        }
        _ => None,
    };
    Ok(notice
        .map(|(kind, org, subject, body)| Notice {
            source_key,
            kind,
            org,
            subject,
            body,
        })
        .into_iter()
        .collect())
}

type Parts = (NoticeKind, OrgId, String, String);

/// A logged event decoded as `E`, upcast first if it is of an older version.
fn decode<E: serde::de::DeserializeOwned>(logged: &LoggedEvent) -> Result<E, String> {
    crate::upcast::decode_stored(
        &logged.aggregate_type,
        &logged.event_type,
        &logged.event_version,
        logged.payload.clone(),
    )
}

async fn application_facts(
    ledger: &Ledger,
    id: &ApplicationId,
) -> Result<Option<ApplicationFacts>, LedgerError> {
    let application = ledger.application(id).await?;
    Ok(application.submission().map(|submission| ApplicationFacts {
        id: id.clone(),
        org: submission.applicant.clone(),
        org_name: submission.applicant_name.clone(),
        title: submission.title.clone(),
    }))
}

async fn application_notice(
    ledger: &Ledger,
    public_url: &str,
    id: &ApplicationId,
    event: &ApplicationEvent,
) -> Result<Option<Parts>, LedgerError> {
    if !matches!(
        event,
        ApplicationEvent::ApplicationSubmitted { .. }
            | ApplicationEvent::ApplicationDeclined { .. }
            | ApplicationEvent::ApprovalRecorded { .. }
    ) {
        return Ok(None);
    }
    let Some(facts) = application_facts(ledger, id).await? else {
        return Ok(None);
    };
    Ok(application_parts(public_url, &facts, event))
}

fn application_parts(
    public_url: &str,
    facts: &ApplicationFacts,
    event: &ApplicationEvent,
) -> Option<Parts> {
    let link = application_link(public_url, &facts.org, &facts.id);
    let title = &facts.title;
    let (kind, subject, text) = match event {
        ApplicationEvent::ApplicationSubmitted {
            amount_requested,
            submitted_on,
            ..
        } => (
            NoticeKind::ApplicationReceived,
            format!("Application received: {title}"),
            format!(
                "Your group's application \"{title}\", asking for {amount_requested}, was received on {}.\n\n\
                 We will email you when it has been decided. See the application:\n{link}",
                long_date(*submitted_on)
            ),
        ),
        ApplicationEvent::ApprovalRecorded {
            award_id,
            amount,
            decided_on,
        } => (
            NoticeKind::ApplicationApproved,
            format!("Application approved: {title}"),
            format!(
                "Your group's application \"{title}\" was approved on {}: {amount} awarded.\n\n\
                 Sign in to read and accept the grant agreement:\n{}",
                long_date(*decided_on),
                award_link(public_url, &facts.org, award_id)
            ),
        ),
        ApplicationEvent::ApplicationDeclined { decided_on, .. } => (
            NoticeKind::ApplicationDeclined,
            format!("Application not approved: {title}"),
            format!(
                "Your group's application \"{title}\" was not approved on {}.\n\n\
                 Sign in to read the reason:\n{link}",
                long_date(*decided_on)
            ),
        ),
        _ => return None,
    };
    let body = format!("{text}{}", footer(&facts.org_name));
    Some((kind, facts.org.clone(), subject, body))
}

async fn award_notice(
    ledger: &Ledger,
    public_url: &str,
    id: &AwardId,
    event: &AwardEvent,
) -> Result<Option<Parts>, LedgerError> {
    let (kind, amount, on) = match event {
        AwardEvent::DrawdownApproved {
            amount,
            approved_on,
            ..
        } => (NoticeKind::DrawdownApproved, *amount, *approved_on),
        AwardEvent::PaymentRecorded {
            amount, paid_on, ..
        } => (NoticeKind::DrawdownPaid, *amount, *paid_on),
        _ => return Ok(None),
    };
    let award = ledger.award(id).await?;
    let Some(details) = award.details() else {
        return Ok(None);
    };
    let facts = AwardFacts {
        id: id.clone(),
        org: details.recipient_org_id.clone(),
        org_name: details.recipient_name.clone(),
        title: details.title.clone(),
    };
    Ok(Some(drawdown_parts(public_url, &facts, kind, amount, on)))
}

fn drawdown_parts(
    public_url: &str,
    facts: &AwardFacts,
    kind: NoticeKind,
    amount: Money,
    on: Date,
) -> Parts {
    let title = &facts.title;
    let link = award_link(public_url, &facts.org, &facts.id);
    let (subject, text) = match kind {
        NoticeKind::DrawdownApproved => (
            format!("Drawdown approved: {amount} for {title}"),
            format!(
                "A drawdown of {amount} from your group's award \"{title}\" was approved on {}. \
                 We will email you when it has been paid.\n\nSee the award:\n{link}",
                long_date(on)
            ),
        ),
        _ => (
            format!("Payment made: {amount} for {title}"),
            format!(
                "{amount} from your group's award \"{title}\" was paid on {}.\n\n\
                 A spend report is due {} days after a payment. See the award:\n{link}",
                long_date(on),
                domain::award::REPORT_DUE_DAYS
            ),
        ),
    };
    let body = format!("{text}{}", footer(&facts.org_name));
    (kind, facts.org.clone(), subject, body)
}

/// An active award's reports, for the report-due notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardDue {
    pub award_id: AwardId,
    pub org: OrgId,
    pub org_name: String,
    pub title: String,
    pub due: ReportsDue,
}

/// The report-due notices for `award` on `today`: one per due date that is at most
/// `reminder_days` away or has passed. Keyed by the due date, so each due date is told
/// once (a new due date, after a report, is told again).
pub fn report_due_notices(
    public_url: &str,
    award: &AwardDue,
    today: Date,
    reminder_days: u64,
) -> Vec<Notice> {
    let soon = today
        .checked_add_days(chrono::Days::new(reminder_days))
        .unwrap_or(Date::MAX);
    let reports = [
        (
            NoticeKind::SpendReportDue,
            "spend",
            "A spend report",
            "how the money paid so far was spent, by budget line",
            award.due.spend_report_due_on,
        ),
        (
            NoticeKind::OutcomeReportDue,
            "outcome",
            "An outcome report",
            "what the work achieved, against the fund's outcome indicators",
            award.due.outcome_report_due_on,
        ),
    ];
    reports
        .into_iter()
        .filter_map(|(kind, key, what, about, due)| {
            let due = due.filter(|due| *due <= soon)?;
            let title = &award.title;
            let when = long_date(due);
            let (subject, sentence) = if due < today {
                (
                    format!("Report late: {what} for {title} was due on {when}"),
                    format!("{what} for your group's award \"{title}\" was due on {when} and has not been received"),
                )
            } else {
                (
                    format!("Report due on {when}: {title}"),
                    format!("{what} for your group's award \"{title}\" is due on {when}"),
                )
            };
            let link = award_link(public_url, &award.org, &award.award_id);
            let body = format!(
                "{sentence}: {about}.\n\nSign in to report:\n{link}{}",
                footer(&award.org_name)
            );
            Some(Notice {
                source_key: format!("due:{}:{key}:{due}", award.award_id.as_str()),
                kind,
                org: award.org.clone(),
                subject,
                body,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn award(spend: Option<&str>, outcome: Option<&str>) -> AwardDue {
        AwardDue {
            award_id: AwardId::new("AW-1"),
            org: OrgId::new("GB-CHC-1"),
            org_name: "Friends of the Park".into(),
            title: "Park benches".into(),
            due: ReportsDue {
                spend_report_due_on: spend.map(date),
                outcome_report_due_on: outcome.map(date),
            },
        }
    }

    #[test]
    fn report_due_notices_come_within_the_reminder_days_once_per_due_date() {
        let today = date("2026-12-07");
        let far = award(Some("2027-03-01"), None);
        assert!(report_due_notices("http://x", &far, today, 14).is_empty());
        let soon = award(Some("2026-12-20"), Some("2026-12-01"));
        let notices = report_due_notices("http://x/", &soon, today, 14);
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].source_key, "due:AW-1:spend:2026-12-20");
        assert_eq!(
            notices[0].subject,
            "Report due on 20 December 2026: Park benches"
        );
        assert!(notices[0]
            .body
            .contains("http://x/groups/GB-CHC-1/awards/AW-1"));
        assert!(
            notices[1].subject.starts_with("Report late"),
            "{}",
            notices[1].subject
        );
        assert_eq!(notices[1].kind, NoticeKind::OutcomeReportDue);
    }

    #[test]
    fn a_declined_application_says_sign_in_for_the_reason() {
        let facts = ApplicationFacts {
            id: ApplicationId::new("APP-1"),
            org: OrgId::new("GB-CHC-1"),
            org_name: "Friends of the Park".into(),
            title: "Park benches".into(),
        };
        let event = ApplicationEvent::ApplicationDeclined {
            reason: "sealed:v1:secret".into(),
            decided_on: date("2026-12-07"),
        };
        let (kind, _, subject, body) = application_parts("http://x", &facts, &event).unwrap();
        assert_eq!(kind, NoticeKind::ApplicationDeclined);
        assert_eq!(subject, "Application not approved: Park benches");
        assert!(body.contains("Sign in to read the reason"), "{body}");
        assert!(!body.contains("sealed"), "{body}");
        assert!(body.contains("7 December 2026"), "{body}");
        assert!(body.contains("http://x/groups/GB-CHC-1/applications/APP-1"));
    }
}
