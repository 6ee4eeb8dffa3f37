//! `/manage/funds/{fund}`: a fund's dashboard for its officers: the position (capital,
//! allocated, awarded, disbursed, returned, available), its rounds, and the work queues,
//! each a table whose rows link to the page where the work is done:
//!
//! - applications waiting for a decision (panel rounds: submitted, scores against the
//!   round's quorum, conflicts, mean score) → `/manage/applications/{id}`;
//! - drawdowns requested (to approve or reject) and approved drawdowns (to pay) →
//!   `/manage/awards/{award}/drawdowns/{drawdown}`;
//! - spend reports flagged (`spentAbovePaid`) → `/manage/awards/{award}`;
//! - reports due: spend and outcome reports due within the reminder window
//!   (`FUNDLEDGER_REPORT_REMINDER_DAYS`, the notifier's) or late (tagged) →
//!   `/manage/awards/{award}`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::widgets::{date_words, headed_table, pounds};
use super::{done_banner, form_page, fund_path, round_path, segment};
use crate::server::http::App;
use crate::web::layout::{summary_list, tag, SummaryRow};
use crate::web::session::SignedIn;
use crate::web::work::gql::{self, problem_page, Problem};

pub fn routes() -> Router<App> {
    Router::new().route("/manage/funds/{fund}", get(dashboard))
}

const FUND: &str = "query($id: String!) { managedFund(id: $id) { id name funderName establishedOn \
    position { capitalReceived allocated awarded disbursed returned available } \
    rounds { id name status decisionMode closesOn budget remaining minPanelScores \
      applications { id title applicantName amountRequested status scores { score } conflicts } } } }";

/// Awards a page (the register's pages are by award id); the queues read at most
/// `MAX_AWARD_PAGES` of them.
const AWARDS: &str = "query($fund: String!, $after: String) { awards(filter: { fund: $fund }, first: 20, after: $after) { \
    pageInfo { hasNextPage endCursor } \
    nodes { id title recipientName paid spendReported spentAbovePaid \
      spendReportDueOn outcomeReportDueOn \
      drawdowns { id amount purpose status requestedOn decidedOn } } } }";
const MAX_AWARD_PAGES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundAnswer {
    managed_fund: Option<ManagedFund>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManagedFund {
    id: String,
    name: String,
    funder_name: String,
    established_on: String,
    position: Position,
    rounds: Vec<RoundRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Position {
    capital_received: String,
    allocated: String,
    awarded: String,
    disbursed: String,
    returned: String,
    available: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoundRow {
    id: String,
    name: String,
    status: String,
    decision_mode: String,
    closes_on: String,
    budget: String,
    remaining: String,
    min_panel_scores: i64,
    applications: Vec<ApplicationRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationRow {
    id: String,
    title: String,
    applicant_name: String,
    amount_requested: String,
    status: String,
    scores: Vec<Score>,
    conflicts: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Score {
    score: i64,
}

#[derive(Debug, Deserialize)]
struct AwardsAnswer {
    awards: AwardPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardPage {
    page_info: PageInfo,
    nodes: Vec<AwardRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwardRow {
    id: String,
    title: String,
    recipient_name: String,
    paid: String,
    spend_reported: String,
    spent_above_paid: bool,
    spend_report_due_on: Option<String>,
    outcome_report_due_on: Option<String>,
    drawdowns: Vec<DrawdownRow>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DrawdownRow {
    id: String,
    amount: String,
    purpose: String,
    status: String,
    requested_on: String,
    decided_on: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn dashboard(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let answer = gql::read::<FundAnswer>(&app, &signed_in, FUND, json!({ "id": fund })).await;
    let managed = match answer {
        Ok(FundAnswer {
            managed_fund: Some(managed),
        }) => managed,
        Ok(_) => return problem_page(Some(&signed_in), &Problem::new("NOT_FOUND", "no such fund")),
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let awards = match fund_awards(&app, &signed_in, &fund).await {
        Ok(awards) => awards,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let banner = match notice.done.as_deref() {
        Some("established") => Some("Fund set up"),
        Some("capital") => Some("Capital received recorded"),
        _ => None,
    };
    let body = html! {
        (done_banner(banner))
        span class="govuk-caption-l" { "Funded by " (managed.funder_name) }
        h1 class="govuk-heading-l" { (managed.name) }
        (actions(&managed.id))
        (position(&managed))
        h2 class="govuk-heading-l govuk-!-margin-top-6" { "Work to do" }
        (decisions_queue(&managed.rounds))
        (drawdown_queue(&awards, "REQUESTED", "Drawdowns to approve or reject",
            "No drawdowns are waiting for approval."))
        (drawdown_queue(&awards, "APPROVED", "Approved drawdowns to pay",
            "No approved drawdowns are waiting to be paid."))
        (flagged_queue(&awards))
        (reports_due_queue(&awards, &ReportWindow::now()))
        (rounds_table(&managed.rounds))
    };
    form_page(&signed_in, &managed.name, &[], body)
}

/// Every award of the fund, a page at a time (bounded).
async fn fund_awards(
    app: &App,
    signed_in: &SignedIn,
    fund: &str,
) -> Result<Vec<AwardRow>, Problem> {
    let mut awards = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_AWARD_PAGES {
        let page = gql::read::<AwardsAnswer>(
            app,
            signed_in,
            AWARDS,
            json!({ "fund": fund, "after": after }),
        )
        .await?
        .awards;
        awards.extend(page.nodes);
        match (page.page_info.has_next_page, page.page_info.end_cursor) {
            (true, Some(cursor)) => after = Some(cursor),
            _ => break,
        }
    }
    Ok(awards)
}

fn actions(fund: &str) -> Markup {
    let base = fund_path(fund);
    html! {
        ul class="govuk-list fl-actions" {
            li { a class="govuk-link" href=(format!("{base}/rounds/new")) { "Open a round" } }
            li { a class="govuk-link" href=(format!("{base}/capital")) { "Record capital received" } }
            li { a class="govuk-link" href=(format!("{base}/proxies")) { "Outcome proxies" } }
            li { a class="govuk-link" href=(format!("{base}/people")) { "People and invitations" } }
        }
    }
}

fn position(fund: &ManagedFund) -> Markup {
    let p = &fund.position;
    let money_row = |key: &str, value: &str| SummaryRow {
        key: key.to_string(),
        value: html! { (pounds(value)) },
        action: None,
    };
    html! {
        h2 class="govuk-heading-m" { "Position" }
        (summary_list(&[
            money_row("Capital received", &p.capital_received),
            money_row("Set aside for rounds", &p.allocated),
            money_row("Awarded", &p.awarded),
            money_row("Paid out, less returns", &p.disbursed),
            money_row("Returned by grantees", &p.returned),
            money_row("Available to allocate", &p.available),
            SummaryRow { key: "Established".into(), value: html! { (date_words(&fund.established_on)) }, action: None },
        ]))
    }
}

/// A queue under its heading: its table, or "Nothing to do" with what is empty.
fn queue(caption: &str, headings: &[&str], rows: Vec<Vec<Markup>>, empty: &str) -> Markup {
    html! {
        @if rows.is_empty() {
            h3 class="govuk-heading-m" { (caption) }
            p class="govuk-body fl-nothing" { "Nothing to do. " (empty) }
        } @else {
            (headed_table(3, caption, headings, &rows))
        }
    }
}

fn link(href: String, text: &str) -> Markup {
    html! { a class="govuk-link" href=(href) { (text) } }
}

fn application_link(id: &str) -> String {
    format!("/manage/applications/{}", segment(id))
}

fn award_link(id: &str) -> String {
    format!("/manage/awards/{}", segment(id))
}

/// The mean of the scores to one place, or "None yet".
fn mean(scores: &[Score]) -> String {
    if scores.is_empty() {
        return "None yet".to_string();
    }
    let total: i64 = scores.iter().map(|score| score.score).sum();
    format!("{:.1}", total as f64 / scores.len() as f64)
}

fn decisions_queue(rounds: &[RoundRow]) -> Markup {
    let mut rows = Vec::new();
    for round in rounds.iter().filter(|round| round.decision_mode == "PANEL") {
        for application in round
            .applications
            .iter()
            .filter(|application| application.status == "SUBMITTED")
        {
            let scored = application.scores.len() as i64;
            let quorum = if scored >= round.min_panel_scores {
                format!("{scored} of {} needed: ready", round.min_panel_scores)
            } else {
                format!("{scored} of {} needed", round.min_panel_scores)
            };
            rows.push(vec![
                link(application_link(&application.id), &application.title),
                html! { (application.applicant_name) },
                html! { (round.name) },
                html! { (pounds(&application.amount_requested)) },
                html! { (quorum) },
                html! { (application.conflicts.len()) },
                html! { (mean(&application.scores)) },
            ]);
        }
    }
    queue(
        "Applications waiting for a decision",
        &[
            "Application",
            "Group",
            "Round",
            "Requested",
            "Panel scores",
            "Conflicts",
            "Mean score",
        ],
        rows,
        "No applications are waiting for a decision.",
    )
}

fn drawdown_queue(awards: &[AwardRow], status: &str, caption: &str, empty: &str) -> Markup {
    let mut rows = Vec::new();
    for award in awards {
        for drawdown in award
            .drawdowns
            .iter()
            .filter(|drawdown| drawdown.status == status)
        {
            let href = format!(
                "/manage/awards/{}/drawdowns/{}",
                segment(&award.id),
                segment(&drawdown.id)
            );
            let when = match (status, &drawdown.decided_on) {
                ("APPROVED", Some(decided)) => format!("Approved {}", date_words(decided)),
                _ => format!("Requested {}", date_words(&drawdown.requested_on)),
            };
            rows.push(vec![
                link(
                    href,
                    &format!("{} for {}", pounds(&drawdown.amount), award.recipient_name),
                ),
                html! { (award.title) },
                html! { (drawdown.purpose) },
                html! { (when) },
            ]);
        }
    }
    queue(
        caption,
        &["Drawdown", "Award", "Purpose", "When"],
        rows,
        empty,
    )
}

fn flagged_queue(awards: &[AwardRow]) -> Markup {
    let rows = awards
        .iter()
        .filter(|award| award.spent_above_paid)
        .map(|award| {
            vec![
                link(award_link(&award.id), &award.title),
                html! { (award.recipient_name) },
                html! { (pounds(&award.paid)) },
                html! { (pounds(&award.spend_reported)) },
            ]
        })
        .collect();
    queue(
        "Spend reported above what was paid",
        &["Award", "Group", "Paid", "Spend reported"],
        rows,
        "No award has reported more spend than it was paid.",
    )
}

/// Today and the last day of the reminder window, as ISO dates (they compare as text).
struct ReportWindow {
    today: String,
    until: String,
}

impl ReportWindow {
    /// The notifier's window (`FUNDLEDGER_REPORT_REMINDER_DAYS`, 14 by default): a report
    /// due within it is listed, as its reminder email goes then.
    fn now() -> ReportWindow {
        let days = crate::server::notifier::NotifierSettings::from_env()
            .map(|settings| settings.reminder_days)
            .unwrap_or(14);
        let today = infrastructure::business_today();
        let until = today + chrono::Days::new(days);
        ReportWindow {
            today: today.to_string(),
            until: until.to_string(),
        }
    }
}

/// Spend and outcome reports due within the reminder window or late (tagged), soonest
/// first (`Award.spendReportDueOn` / `outcomeReportDueOn`: GLOSSARY.md "Reports due").
fn reports_due_queue(awards: &[AwardRow], window: &ReportWindow) -> Markup {
    let mut due: Vec<(&str, &str, &AwardRow)> = Vec::new();
    for award in awards {
        let reports = [
            ("Spend report", &award.spend_report_due_on),
            ("Outcome report", &award.outcome_report_due_on),
        ];
        for (report, on) in reports {
            if let Some(on) = on.as_deref().filter(|on| *on <= window.until.as_str()) {
                due.push((on, report, award));
            }
        }
    }
    due.sort_by(|a, b| a.0.cmp(b.0));
    let rows = due
        .into_iter()
        .map(|(on, report, award)| {
            vec![
                link(award_link(&award.id), &award.title),
                html! { (award.recipient_name) },
                html! { (report) },
                html! {
                    (date_words(on))
                    @if on < window.today.as_str() { " " (tag("Late", Some("red"))) }
                },
            ]
        })
        .collect();
    queue(
        "Reports due",
        &["Award", "Group", "Report", "Due by"],
        rows,
        "No spend or outcome report is due soon or late.",
    )
}

fn rounds_table(rounds: &[RoundRow]) -> Markup {
    let rows: Vec<Vec<Markup>> = rounds
        .iter()
        .map(|round| {
            vec![
                link(round_path(&round.id), &round.name),
                html! { (if round.status == "OPEN" { "Open" } else { "Closed" }) },
                html! { (if round.decision_mode == "PARTICIPATORY" { "Residents vote" } else { "Panel decides" }) },
                html! { (pounds(&round.budget)) },
                html! { (pounds(&round.remaining)) },
                html! { (date_words(&round.closes_on)) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Rounds" }
            p class="govuk-body" { "This fund has no rounds yet." }
        } @else {
            (headed_table(2, "Rounds", &["Round", "Status", "Decided by", "Budget", "Remaining", "Closes"], &rows))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn award(id: &str, spend: Option<&str>, outcome: Option<&str>) -> AwardRow {
        AwardRow {
            id: id.into(),
            title: format!("Project {id}"),
            recipient_name: "Orchard Park Larder".into(),
            paid: "100.00".into(),
            spend_reported: "0.00".into(),
            spent_above_paid: false,
            spend_report_due_on: spend.map(str::to_string),
            outcome_report_due_on: outcome.map(str::to_string),
            drawdowns: Vec::new(),
        }
    }

    #[test]
    fn reports_due_soon_or_late_are_listed_soonest_first_and_late_ones_tagged() {
        let window = ReportWindow {
            today: "2026-12-07".into(),
            until: "2026-12-21".into(),
        };
        let awards = [
            award("A", Some("2026-12-20"), Some("2027-03-07")),
            award("B", None, Some("2026-11-30")),
            award("C", Some("2027-01-01"), None),
        ];
        let page = reports_due_queue(&awards, &window).into_string();
        let late = page.find("30 November 2026").expect("the late report");
        let soon = page.find("20 December 2026").expect("the report due soon");
        assert!(late < soon, "soonest first: {page}");
        assert_eq!(page.matches("Late").count(), 1, "{page}");
        assert!(
            !page.contains("7 March 2027") && !page.contains("Project C"),
            "{page}"
        );
        let none = reports_due_queue(&awards[2..], &window).into_string();
        assert!(none.contains("No spend or outcome report is due"), "{none}");
    }
}
