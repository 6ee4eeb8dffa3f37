//! `/groups/{org}/awards/{award}`: an award as its group runs it: where it stands (awarded,
//! paid, available to draw, spend reported), its budget lines, drawdowns, outcomes and
//! contributions, its history in date order, and what the group can do next. Read as the
//! member: the award's private parts (drawdowns, budget lines, inputs) are refused by
//! GraphQL to anyone but the fund's officers and the recipient, so another group's award
//! reads as not found.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::home::award_status;
use super::{award_path, group_path};
use crate::server::http::App;
use crate::web::layout::{self, table, SummaryRow};
use crate::web::session::SignedIn;
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::places;
use crate::web::work::widgets::{back_link, date, enum_words, form_page, money};

const AWARD: &str =
    "query($id: String!) { award(id: $id) { id fundId roundId recipientOrgId recipientName \
    title neighbourhood status awardedOn acceptedOn closedOn awarded paid returned approvedUnpaid \
    requestedPending availableToDraw spendReported spentAbovePaid \
    spendReportDueOn outcomeReportDueOn \
    budgetLines { category planned spent variance } \
    inputs { id kind value description contributedOn recordedBy } \
    drawdowns { id amount purpose status requestedOn decidedOn paidOn reason } } \
    socialReturn(scope: { award: $id }) { lines { indicator quantity reports } } }";

const FUND: &str = "query($fund: String!, $round: String!) { \
    fund(id: $fund) { name outcomeProxies { indicator unit } } round(id: $round) { name } }";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Award {
    pub id: String,
    pub fund_id: String,
    pub round_id: Option<String>,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: Option<String>,
    pub status: String,
    pub awarded_on: String,
    pub accepted_on: Option<String>,
    pub closed_on: Option<String>,
    pub awarded: String,
    pub paid: String,
    pub returned: String,
    pub approved_unpaid: String,
    pub requested_pending: String,
    pub available_to_draw: String,
    pub spend_reported: String,
    pub spent_above_paid: bool,
    pub spend_report_due_on: Option<String>,
    pub outcome_report_due_on: Option<String>,
    pub budget_lines: Vec<BudgetLine>,
    pub inputs: Vec<Contribution>,
    pub drawdowns: Vec<Drawdown>,
}

#[derive(Debug, Deserialize)]
pub struct BudgetLine {
    pub category: String,
    pub planned: String,
    pub spent: String,
    pub variance: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contribution {
    pub kind: String,
    pub value: String,
    pub description: String,
    pub contributed_on: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Drawdown {
    pub amount: String,
    pub purpose: String,
    pub status: String,
    pub requested_on: String,
    pub decided_on: Option<String>,
    pub paid_on: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AwardAnswer {
    award: Option<Award>,
    #[serde(rename = "socialReturn")]
    social_return: Option<SocialReturn>,
}

#[derive(Debug, Deserialize)]
struct SocialReturn {
    lines: Vec<OutcomeLine>,
}

#[derive(Debug, Deserialize)]
pub struct OutcomeLine {
    pub indicator: String,
    pub quantity: String,
    pub reports: i64,
}

#[derive(Debug, Deserialize)]
struct FundAnswer {
    fund: Option<FundInfo>,
    round: Option<RoundName>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundInfo {
    name: String,
    outcome_proxies: Vec<Indicator>,
}

#[derive(Debug, Deserialize)]
struct RoundName {
    name: String,
}

#[derive(Debug, Deserialize, Clone)]
pub struct Indicator {
    pub indicator: String,
    pub unit: String,
}

/// An award as its group's pages need it.
pub struct AwardView {
    pub org: String,
    pub award: Award,
    pub outcomes: Vec<OutcomeLine>,
    pub fund_name: String,
    pub round_name: String,
    pub indicators: Vec<Indicator>,
}

impl AwardView {
    pub fn path(&self) -> String {
        award_path(&self.org, &self.award.id)
    }

    /// The group's name as the award names it.
    pub fn group(&self) -> &str {
        &self.award.recipient_name
    }
}

/// The award `id` of group `org`, read as the member; not found when it is another's.
pub async fn load(
    app: &App,
    signed_in: &SignedIn,
    org: &str,
    id: &str,
) -> Result<AwardView, Problem> {
    let answer: AwardAnswer = gql::read(app, signed_in, AWARD, json!({ "id": id })).await?;
    let award = answer
        .award
        .filter(|award| award.recipient_org_id == org)
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such award"))?;
    let fund: FundAnswer = gql::read(
        app,
        signed_in,
        FUND,
        json!({ "fund": award.fund_id, "round": award.round_id.clone().unwrap_or_default() }),
    )
    .await?;
    let (fund_name, indicators) = fund
        .fund
        .map(|fund| (fund.name, fund.outcome_proxies))
        .unwrap_or_default();
    Ok(AwardView {
        org: org.to_string(),
        award,
        outcomes: answer
            .social_return
            .map(|account| account.lines)
            .unwrap_or_default(),
        fund_name,
        round_name: fund.round.map(|round| round.name).unwrap_or_default(),
        indicators,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn done_banner(done: &str) -> Markup {
    let heading = match done {
        "accept" => "You accepted the grant agreement",
        "drawdown" => "Your drawdown request was sent: the fund will approve it before paying",
        "spend" => "Your spend report was recorded",
        "outcome" => "Your outcome report was recorded",
        "contribution" => "Your contribution was recorded",
        _ => return html! {},
    };
    layout::notification_banner("Success", heading, html! {}, true)
}

pub async fn award_page(
    State(app): State<App>,
    Path((org, id)): Path<(String, String)>,
    Query(done): Query<Done>,
    signed_in: SignedIn,
) -> Response {
    let view = match load(&app, &signed_in, &org, &id).await {
        Ok(view) => view,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let place = match &view.award.neighbourhood {
        Some(code) => places::place_name(&app, code)
            .await
            .map(|place| place.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let body = html! {
        (done_banner(&done.done))
        (back_link(&group_path(&org), "Back to your group"))
        span class="govuk-caption-l" { "Award from " (view.fund_name) }
        h1 class="govuk-heading-l" { (view.award.title) }
        (reports_due(
            view.award.spend_report_due_on.as_deref(),
            view.award.outcome_report_due_on.as_deref(),
        ))
        (next_steps(&view))
        (position(&view, &place))
        (lines_and_reports(&view))
        (history(&view))
    };
    let title = view.award.title.clone();
    form_page(&signed_in, &title, &[], body)
}

/// The next reports due, each "Spend report due by 7 March 2027", a late one tagged
/// "Late" in red (`Award.spendReportDueOn` / `outcomeReportDueOn`, GLOSSARY.md "Reports
/// due"). Nothing when none is due.
pub fn reports_due(spend: Option<&str>, outcome: Option<&str>) -> Markup {
    let today = infrastructure::business_today().to_string();
    let due = [("Spend report", spend), ("Outcome report", outcome)];
    html! {
        @for (report, on) in due {
            @if let Some(on) = on {
                p class="govuk-body fl-report-due" {
                    @if on < today.as_str() { (layout::tag("Late", Some("red"))) " " }
                    (report) " due by " (date(on))
                }
            }
        }
    }
}

fn next_steps(view: &AwardView) -> Markup {
    let award = &view.award;
    let link = |slug: &str, text: &str| html! { li { a class="govuk-link" href={ (view.path()) "/" (slug) } { (text) } } };
    html! {
        h2 class="govuk-heading-m" { "What you can do" }
        ul class="govuk-list" {
            @match award.status.as_str() {
                "OFFERED" => {
                    (link("accept", "Read and accept the grant agreement"))
                    (link("contribution", "Record a contribution (match funding, in kind, volunteer time)"))
                },
                "ACTIVE" => {
                    @if award.available_to_draw != "0.00" { (link("drawdown", "Request a drawdown")) }
                    (link("spend", "Report spend against the budget"))
                    (link("outcome", "Report an outcome"))
                    (link("contribution", "Record a contribution (match funding, in kind, volunteer time)"))
                },
                _ => { li { "Nothing: this award is closed." } },
            }
        }
    }
}

fn position(view: &AwardView, place: &str) -> Markup {
    let award = &view.award;
    let money = |key: &str, value: &str| SummaryRow {
        key: key.into(),
        value: html! { (money(value)) },
        action: None,
    };
    let mut rows = vec![
        SummaryRow {
            key: "Status".into(),
            value: layout::tag(&award_status(&award.status), None),
            action: None,
        },
        SummaryRow {
            key: "Round".into(),
            value: html! { (view.round_name) },
            action: None,
        },
        SummaryRow {
            key: "Neighbourhood".into(),
            value: html! { (place) },
            action: None,
        },
        money("Awarded", &award.awarded),
        money("Paid", &award.paid),
        money("Approved, not yet paid", &award.approved_unpaid),
        money("Requested, waiting for approval", &award.requested_pending),
        money("Available to draw", &award.available_to_draw),
        money("Spend reported", &award.spend_reported),
    ];
    if award.returned != "0.00" {
        rows.push(money("Returned to the fund", &award.returned));
    }
    html! {
        h2 class="govuk-heading-m" { "Where the award stands" }
        (layout::summary_list(&rows))
        @if award.spent_above_paid {
            (layout::warning_text("You have reported more spend than has been paid to you. That is allowed (you may have spent your own money first); the fund will see it."))
        }
    }
}

fn lines_and_reports(view: &AwardView) -> Markup {
    let award = &view.award;
    let lines: Vec<Vec<Markup>> = award
        .budget_lines
        .iter()
        .map(|line| {
            vec![
                html! { (line.category) },
                html! { (money(&line.planned)) },
                html! { (money(&line.spent)) },
                html! { (money(&line.variance)) },
            ]
        })
        .collect();
    let drawdowns: Vec<Vec<Markup>> = award
        .drawdowns
        .iter()
        .map(|drawdown| vec![
            html! { (date(&drawdown.requested_on)) },
            html! { (money(&drawdown.amount)) },
            html! { (drawdown.purpose) },
            html! { (enum_words(&drawdown.status)) @if let Some(reason) = &drawdown.reason { ": " (reason) } },
        ])
        .collect();
    let outcomes: Vec<Vec<Markup>> = view
        .outcomes
        .iter()
        .map(|line| {
            vec![
                html! { (line.indicator) },
                html! { (line.quantity) },
                html! { (line.reports) },
            ]
        })
        .collect();
    let inputs: Vec<Vec<Markup>> = award
        .inputs
        .iter()
        .map(|input| {
            vec![
                html! { (date(&input.contributed_on)) },
                html! { (enum_words(&input.kind)) },
                html! { (money(&input.value)) },
                html! { (input.description) },
            ]
        })
        .collect();
    html! {
        @if !lines.is_empty() { (table("Budget lines", &["Category", "Planned", "Spent", "Left"], &lines)) }
        @if !drawdowns.is_empty() { (table("Drawdowns", &["Requested on", "Amount", "Purpose", "Status"], &drawdowns)) }
        @if !outcomes.is_empty() { (table("Outcomes reported", &["Indicator", "Quantity", "Reports"], &outcomes)) }
        @if !inputs.is_empty() { (table("Contributions", &["Date", "Kind", "Value", "What it was"], &inputs)) }
    }
}

/// What happened and when, oldest first.
fn history(view: &AwardView) -> Markup {
    let award = &view.award;
    let mut events: Vec<(String, String)> = vec![(
        award.awarded_on.clone(),
        format!("Awarded {}", money(&award.awarded)),
    )];
    if let Some(accepted) = &award.accepted_on {
        events.push((accepted.clone(), "Grant agreement accepted".to_string()));
    }
    for drawdown in &award.drawdowns {
        let amount = money(&drawdown.amount);
        events.push((
            drawdown.requested_on.clone(),
            format!("Drawdown of {amount} requested"),
        ));
        if let Some(decided) = &drawdown.decided_on {
            let verb = if drawdown.status == "REJECTED" {
                "rejected"
            } else {
                "approved"
            };
            events.push((decided.clone(), format!("Drawdown of {amount} {verb}")));
        }
        if let Some(paid) = &drawdown.paid_on {
            events.push((paid.clone(), format!("{amount} paid")));
        }
    }
    for input in &award.inputs {
        events.push((
            input.contributed_on.clone(),
            format!(
                "{} of {} contributed",
                enum_words(&input.kind),
                money(&input.value)
            ),
        ));
    }
    if let Some(closed) = &award.closed_on {
        events.push((closed.clone(), "Award closed".to_string()));
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    html! {
        h2 class="govuk-heading-m" { "History" }
        ul class="govuk-list govuk-list--bullet" {
            @for (on, what) in &events {
                li { strong { (date(on)) } ": " (what) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reports_due;

    #[test]
    fn due_reports_read_as_dates_and_a_late_one_is_tagged() {
        let page = reports_due(Some("2000-01-31"), Some("2999-03-07")).into_string();
        assert!(
            page.contains("Spend report due by 31 January 2000"),
            "{page}"
        );
        assert!(
            page.contains("Outcome report due by 7 March 2999"),
            "{page}"
        );
        assert_eq!(page.matches("Late").count(), 1, "{page}");
        assert!(reports_due(None, None).into_string().is_empty());
    }
}
