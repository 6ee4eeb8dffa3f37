//! `/awards/{id}`: the public story of one award: its fund, round, recipient and place, the
//! amount awarded (and first approved), its status and dates; variations, payments and
//! returns in one dated timeline; spend reported by category; outcomes reported; its social
//! return. Everything through GraphQL's public fields (`Award.position`, `payments`,
//! `variations`, `returns`, `spendByCategory`, `outcomes`), so nothing private can reach
//! the page: no drawdown purpose, reason or payment reference. With `?asOf=` the story
//! stops at the end of that day and its amounts are those of then.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::figures;
use super::frame::{self, PageQuery, PublicPage};
use crate::server::http::App;
use crate::web::layout::{self, SummaryRow};
use crate::web::work::forms::encode;
use crate::web::work::gql;

#[derive(Debug, Deserialize)]
struct AwardData {
    award: Option<Award>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Award {
    id: String,
    title: String,
    recipient_name: String,
    fund_id: String,
    round_id: Option<String>,
    neighbourhood: Option<String>,
    themes: Vec<String>,
    status: String,
    awarded_on: String,
    accepted_on: Option<String>,
    closed_on: Option<String>,
    approved_amount: String,
    position: Position,
    variations: Vec<Variation>,
    payments: Vec<Payment>,
    returns: Vec<Returned>,
    spend_by_category: Vec<CategorySpend>,
    outcomes: Vec<Outcome>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Position {
    awarded: String,
    paid: String,
    returned: String,
    disbursed: String,
    spend_reported: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Variation {
    varied_on: String,
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payment {
    paid_on: String,
    amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Returned {
    returned_on: String,
    amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CategorySpend {
    category: String,
    spent: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    indicator: String,
    quantity: String,
    period_end: String,
}

const AWARD_QUERY: &str = "query Award($id: String!, $asOf: Date) {
  award(id: $id) {
    id title recipientName fundId roundId neighbourhood themes status
    awardedOn acceptedOn closedOn approvedAmount
    position(asOf: $asOf) { awarded paid returned disbursed spendReported }
    variations(asOf: $asOf) { variedOn from to }
    payments(asOf: $asOf) { paidOn amount }
    returns(asOf: $asOf) { returnedOn amount }
    spendByCategory(asOf: $asOf) { category spent }
    outcomes(asOf: $asOf) { indicator quantity periodEnd }
  }
}";

/// What the award page shows around the award: its fund's and round's names, its place's
/// name, its social return.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Surroundings {
    fund: Option<Named>,
    round: Option<Named>,
    neighbourhood: Option<Place>,
    social_return: Option<SocialReturn>,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Place {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SocialReturn {
    invested: String,
    social_value: String,
    ratio: Option<String>,
}

const SURROUNDINGS_QUERY: &str = "query Surroundings(
  $award: String!, $fund: String!, $round: String!, $withRound: Boolean!,
  $code: GeoCode!, $withPlace: Boolean!
) {
  fund(id: $fund) { name }
  round(id: $round) @include(if: $withRound) { name }
  neighbourhood(code: $code) @include(if: $withPlace) { name }
  socialReturn(scope: { award: $award }) { invested socialValue ratio }
}";

/// A well-formed code for the `@include(if: false)` place of an award without one (the
/// variable must parse even when its field is skipped).
const NO_PLACE: &str = "E92000001";

/// `GET /awards/{id}`
pub async fn page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path = format!("/awards/{}", encode(&id));
    let as_of = match frame::as_of(&path, &query) {
        Ok(as_of) => as_of,
        Err(answered) => return answered,
    };
    let render = async {
        let variables = json!({ "id": id, "asOf": as_of.map(|date| date.to_string()) });
        let data: AwardData = gql::read_public(&app, AWARD_QUERY, variables)
            .await
            .map_err(|problem| frame::problem(&problem))?;
        let award = data.award.ok_or_else(|| frame::not_found("award"))?;
        let around = surroundings(&app, &award).await?;
        Ok(PublicPage {
            title: award.title.clone(),
            body: body(&award, &around, as_of),
            as_of,
            time_travel: true,
            path,
        })
    };
    frame::serve(&app, &headers, &uri, render).await
}

async fn surroundings(app: &App, award: &Award) -> Result<Surroundings, Response> {
    let variables = json!({
        "award": award.id,
        "fund": award.fund_id,
        "round": award.round_id.clone().unwrap_or_default(),
        "withRound": award.round_id.is_some(),
        "code": award.neighbourhood.clone().unwrap_or_else(|| NO_PLACE.to_string()),
        "withPlace": award.neighbourhood.is_some(),
    });
    gql::read_public(app, SURROUNDINGS_QUERY, variables)
        .await
        .map_err(|problem| frame::problem(&problem))
}

fn body(award: &Award, around: &Surroundings, as_of: Option<domain::Date>) -> Markup {
    let made_later = as_of.is_some_and(|day| day.to_string() < award.awarded_on);
    html! {
        span class="govuk-caption-l fl-long-words" { (award.recipient_name) }
        h1 class="govuk-heading-xl fl-long-words" { (award.title) }
        @if made_later {
            p class="govuk-body-l" {
                "This award was made on " (figures::date(&award.awarded_on))
                ", after the date these figures are for."
            }
        } @else {
            p class="govuk-body-l" {
                strong { (figures::money(&award.position.awarded)) } " awarded"
            }
        }
        (about(award, around))
        @if !made_later {
            (money_section(award))
            (timeline(award, as_of))
            (spend_section(award))
            (outcomes_section(award))
            (social_return_section(around.social_return.as_ref(), as_of))
        }
    }
}

/// The award's facts: fund, round, recipient, place, themes, status, dates.
fn about(award: &Award, around: &Surroundings) -> Markup {
    let fund_name = around
        .fund
        .as_ref()
        .map_or(award.fund_id.as_str(), |fund| fund.name.as_str());
    let mut rows = vec![
        row(
            "Fund",
            html! { a class="govuk-link" href=(format!("/funds/{}", encode(&award.fund_id))) { (fund_name) } },
        ),
        row("Round", round_link(award, around)),
        row("Recipient", html! { (award.recipient_name) }),
        row("Place", place_link(award, around)),
    ];
    if !award.themes.is_empty() {
        rows.push(row("Themes", html! { (award.themes.join(", ")) }));
    }
    rows.push(row("Status", html! { (status_words(&award.status)) }));
    rows.push(row(
        "Awarded on",
        html! { (figures::date(&award.awarded_on)) },
    ));
    if let Some(accepted) = &award.accepted_on {
        rows.push(row(
            "Agreement accepted on",
            html! { (figures::date(accepted)) },
        ));
    }
    if let Some(closed) = &award.closed_on {
        rows.push(row("Closed on", html! { (figures::date(closed)) }));
    }
    html! {
        h2 class="govuk-heading-m" { "About this award" }
        (layout::summary_list(&rows))
    }
}

fn row(key: &str, value: Markup) -> SummaryRow {
    SummaryRow {
        key: key.to_string(),
        value,
        action: None,
    }
}

fn round_link(award: &Award, around: &Surroundings) -> Markup {
    match (&award.round_id, &around.round) {
        (Some(id), Some(round)) => html! {
            a class="govuk-link" href=(format!("/rounds/{}", encode(id))) { (round.name) }
        },
        (Some(id), None) => html! {
            a class="govuk-link" href=(format!("/rounds/{}", encode(id))) { (id) }
        },
        (None, _) => html! { "None: a grant from the funder's published history" },
    }
}

fn place_link(award: &Award, around: &Surroundings) -> Markup {
    let name = around
        .neighbourhood
        .as_ref()
        .and_then(|place| place.name.as_deref());
    match (&award.neighbourhood, name) {
        (Some(code), Some(name)) => html! {
            a class="govuk-link" href=(format!("/areas/{}", encode(code))) { (name) }
        },
        (Some(code), None) => html! {
            a class="govuk-link" href=(format!("/areas/{}", encode(code))) { "An area outside the reference geography" }
        },
        (None, _) => html! { "Not recorded" },
    }
}

fn status_words(status: &str) -> &'static str {
    match status {
        "OFFERED" => "Offered: the group has not yet accepted the grant agreement",
        "ACTIVE" => "Active",
        "CLOSED" => "Closed",
        "HISTORIC" => "A past grant, as the funder published it",
        _ => "Not known",
    }
}

/// The award's money: awarded (and first approved), paid, returned, disbursed, spend.
fn money_section(award: &Award) -> Markup {
    let position = &award.position;
    let money = |plain: &str| html! { (figures::money(plain)) };
    let mut rows = vec![row("Awarded", money(&position.awarded))];
    if award.approved_amount != position.awarded {
        rows.push(row("First approved", money(&award.approved_amount)));
    }
    rows.push(row("Paid", money(&position.paid)));
    rows.push(row("Returned to the fund", money(&position.returned)));
    rows.push(row(
        "Disbursed (paid less returned)",
        money(&position.disbursed),
    ));
    rows.push(row("Spend reported", money(&position.spend_reported)));
    html! {
        h2 class="govuk-heading-m" { "The money" }
        (layout::summary_list(&rows))
        p class="govuk-body-s" {
            a class="govuk-link" href="/glossary" { "What these figures mean" }
        }
    }
}

/// One dated thing in the award's timeline: (date, what, amount).
type Happening = (String, String, String);

/// Made, accepted, variations, payments, returns and closing, by date (made first).
fn timeline(award: &Award, as_of: Option<domain::Date>) -> Markup {
    let by_then = |day: &str| as_of.is_none_or(|as_of| day <= as_of.to_string().as_str());
    let mut happenings: Vec<Happening> = vec![(
        award.awarded_on.clone(),
        "Awarded".to_string(),
        award.approved_amount.clone(),
    )];
    for variation in &award.variations {
        let what = format!(
            "Award changed from {} to {}",
            figures::money(&variation.from),
            figures::money(&variation.to)
        );
        happenings.push((variation.varied_on.clone(), what, variation.to.clone()));
    }
    for payment in &award.payments {
        happenings.push((
            payment.paid_on.clone(),
            "Payment to the group".into(),
            payment.amount.clone(),
        ));
    }
    for returned in &award.returns {
        happenings.push((
            returned.returned_on.clone(),
            "Money returned to the fund".into(),
            returned.amount.clone(),
        ));
    }
    if let Some(closed) = award.closed_on.as_deref().filter(|day| by_then(day)) {
        happenings.push((closed.to_string(), "Award closed".into(), String::new()));
    }
    // A stable sort: on one day, things stay in the order above (the award first).
    happenings.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: Vec<Vec<Markup>> = happenings
        .iter()
        .map(|(day, what, amount)| {
            vec![
                html! { (figures::date(day)) },
                html! { (what) },
                html! { @if !amount.is_empty() { (figures::money(amount)) } },
            ]
        })
        .collect();
    layout::headed_table(
        2,
        "What happened",
        &["Date", "What happened", "Amount"],
        &rows,
    )
}

fn spend_section(award: &Award) -> Markup {
    let rows: Vec<Vec<Markup>> = award
        .spend_by_category
        .iter()
        .map(|line| {
            vec![
                html! { (line.category) },
                html! { (figures::money(&line.spent)) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Reported spend by category" }
            p class="govuk-body" { "No spend has been reported by category yet." }
        } @else {
            (layout::headed_table(2, "Reported spend by category", &["Category", "Spent"], &rows))
        }
        p class="govuk-body-s" {
            "What the group reported spending, by the end of each report's period. "
            "The group's planned budget is not published."
        }
    }
}

fn outcomes_section(award: &Award) -> Markup {
    let rows: Vec<Vec<Markup>> = award
        .outcomes
        .iter()
        .map(|outcome| {
            vec![
                html! { (outcome.indicator) },
                html! { (outcome.quantity) },
                html! { (figures::date(&outcome.period_end)) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Outcomes reported" }
            p class="govuk-body" { "No outcomes have been reported yet." }
        } @else {
            (layout::headed_table(2, "Outcomes reported", &["What was counted", "How many", "Period ending"], &rows))
        }
    }
}

fn social_return_section(account: Option<&SocialReturn>, as_of: Option<domain::Date>) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Social return" }
        @if as_of.is_some() {
            p class="govuk-body" { "The social return is worked out on today's figures only: see today's figures for it." }
        } @else if let Some(account) = account {
            (layout::summary_list(&[
                row("Invested", html! { (figures::money(&account.invested)) }),
                row("Social value", html! { (figures::money(&account.social_value)) }),
                row("Social value for each £1 invested", html! {
                    @match &account.ratio {
                        Some(ratio) => { "£" (ratio) },
                        None => "Nothing invested yet",
                    }
                }),
            ]))
            p class="govuk-body-s" {
                "Worked out with the UK social return on investment method from the outcomes reported and the fund's published values. "
                a class="govuk-link" href="/glossary" { "How it is worked out" }
            }
        } @else {
            p class="govuk-body" { "Not known." }
        }
    }
}
