//! When an award's reports are due: the one reporting schedule, shared by the GraphQL
//! fields (`Award.spendReportDueOn`, `outcomeReportDueOn`, `reportsLate`), the screens
//! and the report-due emails. Pure: dates in, dates out. GLOSSARY.md ("Reports due")
//! states the same rule in words.
//!
//! - A spend report is due `REPORT_DUE_DAYS` after the earliest payment not yet covered
//!   by a spend report; a spend report covers every payment paid on or before its
//!   period's end.
//! - An outcome report is due `REPORT_DUE_DAYS` after the agreement is accepted, then
//!   every year after that: the k-th due date (k = 0, 1, …) is accepted + k years +
//!   `REPORT_DUE_DAYS`, and it is met by an outcome report whose period ends on or after
//!   accepted + k years.
//! - Nothing is due before the agreement is accepted, nor once the award is closed.

use chrono::{Days, Months};

use crate::Date;

/// Days after the event that starts it that a report is due.
pub const REPORT_DUE_DAYS: u64 = 90;

/// What the schedule reads of an award's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportHistory {
    /// When the grantee accepted the agreement; `None` while offered (and for a historic
    /// grant).
    pub accepted_on: Option<Date>,
    /// Whether the award is closed (or historic: closed history).
    pub closed: bool,
    /// The dates of the award's payments.
    pub paid_on: Vec<Date>,
    /// The period ends of the award's spend reports.
    pub spend_period_ends: Vec<Date>,
    /// The period ends of the award's outcome reports.
    pub outcome_period_ends: Vec<Date>,
}

/// The next report of each kind and when it is due; `None`: none is due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportsDue {
    pub spend_report_due_on: Option<Date>,
    pub outcome_report_due_on: Option<Date>,
}

impl ReportsDue {
    /// Whether a report is late on `today`: a due date before it.
    pub fn late(&self, today: Date) -> bool {
        [self.spend_report_due_on, self.outcome_report_due_on]
            .into_iter()
            .flatten()
            .any(|due| due < today)
    }
}

/// The reports `history` has due (see the module's rule).
pub fn reports_due(history: &ReportHistory) -> ReportsDue {
    let Some(accepted_on) = history.accepted_on.filter(|_| !history.closed) else {
        return ReportsDue::default();
    };
    ReportsDue {
        spend_report_due_on: spend_report_due_on(history),
        outcome_report_due_on: outcome_report_due_on(accepted_on, &history.outcome_period_ends),
    }
}

fn spend_report_due_on(history: &ReportHistory) -> Option<Date> {
    let covered_to = history.spend_period_ends.iter().max();
    history
        .paid_on
        .iter()
        .filter(|paid_on| covered_to.is_none_or(|covered_to| *paid_on > covered_to))
        .min()
        .and_then(|paid_on| paid_on.checked_add_days(Days::new(REPORT_DUE_DAYS)))
}

fn outcome_report_due_on(accepted_on: Date, period_ends: &[Date]) -> Option<Date> {
    let latest = period_ends.iter().max();
    // The first year k whose start (accepted + k years) no report reaches. Bounded: the
    // dates a command takes lie within 1900–2200.
    let mut years = 0u32;
    loop {
        let start = accepted_on.checked_add_months(Months::new(12 * years))?;
        if latest.is_none_or(|latest| *latest < start) {
            return start.checked_add_days(Days::new(REPORT_DUE_DAYS));
        }
        years += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn accepted(on: &str) -> ReportHistory {
        ReportHistory {
            accepted_on: Some(date(on)),
            ..ReportHistory::default()
        }
    }

    #[test]
    fn nothing_is_due_before_acceptance_or_after_closing() {
        let offered = ReportHistory {
            paid_on: vec![date("2026-01-10")],
            ..ReportHistory::default()
        };
        assert_eq!(reports_due(&offered), ReportsDue::default());
        let closed = ReportHistory {
            closed: true,
            ..accepted("2026-01-01")
        };
        assert_eq!(reports_due(&closed), ReportsDue::default());
        assert!(!ReportsDue::default().late(date("2200-01-01")));
    }

    #[test]
    fn an_outcome_report_is_due_90_days_after_acceptance_then_yearly() {
        let mut history = accepted("2026-01-01");
        assert_eq!(
            reports_due(&history).outcome_report_due_on,
            Some(date("2026-04-01"))
        );
        // A period ending before acceptance does not count.
        history.outcome_period_ends = vec![date("2025-12-31")];
        assert_eq!(
            reports_due(&history).outcome_report_due_on,
            Some(date("2026-04-01"))
        );
        // A report of the first year's period (ending on or after acceptance) meets the
        // first due date.
        history.outcome_period_ends = vec![date("2026-01-01")];
        assert_eq!(
            reports_due(&history).outcome_report_due_on,
            Some(date("2027-04-01"))
        );
        history.outcome_period_ends.push(date("2027-06-30"));
        assert_eq!(
            reports_due(&history).outcome_report_due_on,
            Some(date("2028-03-31")),
            "accepted + 2 years + 90 days (2028 is a leap year)"
        );
    }

    #[test]
    fn a_spend_report_is_due_90_days_after_the_first_uncovered_payment() {
        let mut history = accepted("2026-01-01");
        assert_eq!(reports_due(&history).spend_report_due_on, None);
        history.paid_on = vec![date("2026-02-01"), date("2026-05-01")];
        assert_eq!(
            reports_due(&history).spend_report_due_on,
            Some(date("2026-05-02"))
        );
        // A report to the end of February covers the first payment only.
        history.spend_period_ends = vec![date("2026-02-28")];
        assert_eq!(
            reports_due(&history).spend_report_due_on,
            Some(date("2026-07-30"))
        );
        // A payment on the period's end is covered.
        history.spend_period_ends.push(date("2026-05-01"));
        assert_eq!(reports_due(&history).spend_report_due_on, None);
    }

    #[test]
    fn late_means_a_due_date_before_today() {
        let due = ReportsDue {
            spend_report_due_on: Some(date("2026-05-02")),
            outcome_report_due_on: Some(date("2026-04-01")),
        };
        assert!(!due.late(date("2026-04-01")), "due today is not late");
        assert!(due.late(date("2026-04-02")));
    }
}
