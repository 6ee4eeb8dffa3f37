//! `/manage/awards/{award}`: the award's story (group, round, place, status, the money,
//! budget lines, spend and its flag, outcomes, contributions, drawdowns, and its history
//! as a timeline), with links to its actions (`variations.rs`). Budget lines' form rows
//! and `/manage/awards/{award}/budget-lines` (set while offered) live here too.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::server::http::App;
use crate::web::layout::{self, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{encode, idempotency_key};
use crate::web::work::gql::{self, problem_page, Problem, Written};
use crate::web::work::money::read_money;
use crate::web::work::widgets::{self, Fields};

const AWARD: &str = "query($id: String!) { award(id: $id) { id applicationId roundId \
    recipientName title neighbourhood themes status awardedOn acceptedOn closedOn awarded paid \
    returned disbursed approvedUnpaid requestedPending availableToDraw spendReported spentAbovePaid \
    budgetLines { category planned spent variance } \
    inputs { kind value description contributedOn recordedBy } \
    drawdowns { id amount purpose status requestedOn decidedOn paidOn paymentRef reason } \
    history { on happened amount previousAmount drawdownId reason detail } } }";
const NAMES: &str = "query($round: String!, $place: GeoCode!) { round(id: $round) { name } \
    neighbourhood(code: $place) { name } }";

/// How many budget line rows a form offers at least (no JavaScript: empty rows).
const BUDGET_ROWS: usize = 6;

#[derive(Debug, Deserialize)]
struct AwardAnswer {
    award: Option<AwardView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwardView {
    pub id: String,
    pub application_id: Option<String>,
    pub round_id: Option<String>,
    pub recipient_name: String,
    pub title: String,
    pub neighbourhood: Option<String>,
    pub themes: Vec<String>,
    pub status: String,
    pub awarded_on: String,
    pub accepted_on: Option<String>,
    pub closed_on: Option<String>,
    pub awarded: String,
    pub paid: String,
    pub returned: String,
    pub disbursed: String,
    pub approved_unpaid: String,
    pub requested_pending: String,
    pub available_to_draw: String,
    pub spend_reported: String,
    pub spent_above_paid: bool,
    pub budget_lines: Vec<LineView>,
    pub inputs: Vec<InputView>,
    pub drawdowns: Vec<DrawdownView>,
    pub history: Vec<HistoryView>,
}

#[derive(Debug, Deserialize)]
pub struct LineView {
    pub category: String,
    pub planned: String,
    pub spent: String,
    pub variance: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputView {
    pub kind: String,
    pub value: String,
    pub description: String,
    pub contributed_on: String,
    pub recorded_by: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrawdownView {
    pub id: String,
    pub amount: String,
    pub purpose: String,
    pub status: String,
    pub requested_on: String,
    pub decided_on: Option<String>,
    pub paid_on: Option<String>,
    pub payment_ref: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub on: String,
    pub happened: String,
    pub amount: Option<String>,
    pub previous_amount: Option<String>,
    pub drawdown_id: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

/// The award as the signed-in person may see it (an officer of another fund: refused,
/// as its private parts are the fund's officers' and the recipient's only).
pub async fn load_award(app: &App, signed_in: &SignedIn, id: &str) -> Result<AwardView, Problem> {
    let answer: AwardAnswer = gql::read(app, signed_in, AWARD, json!({ "id": id })).await?;
    answer
        .award
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such award"))
}

/// The award's round name and place name, for people to read.
async fn names(app: &App, signed_in: &SignedIn, award: &AwardView) -> (String, String) {
    #[derive(Deserialize)]
    struct Named {
        name: Option<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        round: Option<Named>,
        neighbourhood: Named,
    }
    let (Some(round), Some(place)) = (&award.round_id, &award.neighbourhood) else {
        return (
            String::new(),
            award.neighbourhood.clone().unwrap_or_default(),
        );
    };
    let variables = json!({ "round": round, "place": place });
    match gql::read::<Answer>(app, signed_in, NAMES, variables).await {
        Ok(answer) => (
            answer
                .round
                .and_then(|round| round.name)
                .unwrap_or_default(),
            answer.neighbourhood.name.unwrap_or_else(|| place.clone()),
        ),
        Err(_) => (String::new(), place.clone()),
    }
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn done_banner(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "approved" => "Application approved: the award is made",
        "lines" => "Budget lines set",
        "varied" => "Award varied",
        "returned" => "Return recorded",
        "closed" => "Award closed",
        _ => return None,
    })
}

pub async fn award_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let award = match load_award(&app, &signed_in, &id).await {
        Ok(award) => award,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let (round, place) = names(&app, &signed_in, &award).await;
    let body = html! {
        @if let Some(banner) = done_banner(done.done.as_deref()) {
            (layout::notification_banner("Success", banner, html! {}, true))
        }
        span class="govuk-caption-l" { (award.recipient_name) }
        h1 class="govuk-heading-l" { (award.title) }
        (layout::summary_list(&story_rows(&award, &round, &place)))
        (actions(&award))
        (money_section(&award))
        (budget_section(&award))
        (drawdowns_section(&award))
        (inputs_section(&award))
        (outcomes_section(&award))
        (history_section(&award))
    };
    layout::html(
        StatusCode::OK,
        layout::page(&award.title, signed_in.frame(), body),
    )
}

fn story_rows(award: &AwardView, round: &str, place: &str) -> Vec<layout::SummaryRow> {
    let mut rows = vec![
        widgets::row("Status", widgets::status_tag(&award.status)),
        widgets::text_row("Group", &award.recipient_name),
    ];
    if !round.is_empty() {
        rows.push(widgets::text_row("Round", round));
    }
    rows.push(widgets::text_row("Place", place));
    rows.push(widgets::text_row("Themes", &award.themes.join(", ")));
    rows.push(widgets::text_row(
        "Awarded on",
        &widgets::date(&award.awarded_on),
    ));
    rows.push(widgets::text_row(
        "Agreement accepted",
        &award
            .accepted_on
            .as_deref()
            .map(widgets::date)
            .unwrap_or_else(|| "Not yet".to_string()),
    ));
    if let Some(closed) = &award.closed_on {
        rows.push(widgets::text_row("Closed on", &widgets::date(closed)));
    }
    if let Some(application) = &award.application_id {
        rows.push(widgets::row(
            "Application",
            html! { a class="govuk-link" href=(format!("/manage/applications/{}", encode(application))) { "See the application" } },
        ));
    }
    rows
}

fn actions(award: &AwardView) -> Markup {
    let base = format!("/manage/awards/{}", encode(&award.id));
    let open = matches!(award.status.as_str(), "OFFERED" | "ACTIVE");
    html! {
        @if open {
            h2 class="govuk-heading-m" { "What you can do" }
            ul class="govuk-list" {
                @if award.status == "OFFERED" {
                    li { a class="govuk-link" href=(format!("{base}/budget-lines")) { "Set the budget lines" } }
                }
                li { a class="govuk-link" href=(format!("{base}/vary")) { "Vary the award (increase or cut the amount)" } }
                li { a class="govuk-link" href=(format!("{base}/return")) { "Record money returned" } }
                li { a class="govuk-link" href=(format!("{base}/close")) { "Close the award" } }
            }
        }
    }
}

fn money_section(award: &AwardView) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "The money" }
        (layout::summary_list(&[
            widgets::text_row("Awarded", &widgets::money(&award.awarded)),
            widgets::text_row("Paid", &widgets::money(&award.paid)),
            widgets::text_row("Returned", &widgets::money(&award.returned)),
            widgets::text_row("Disbursed (paid less returned)", &widgets::money(&award.disbursed)),
            widgets::text_row("Approved, not yet paid", &widgets::money(&award.approved_unpaid)),
            widgets::text_row("Requested, not yet decided", &widgets::money(&award.requested_pending)),
            widgets::text_row("Available to draw", &widgets::money(&award.available_to_draw)),
            widgets::text_row("Spend reported", &widgets::money(&award.spend_reported)),
        ]))
        @if award.spent_above_paid {
            (layout::warning_text("The group has reported spending more than it has been paid. This is allowed (it may have spent its own money first), but check it with them."))
        }
    }
}

fn budget_section(award: &AwardView) -> Markup {
    let rows: Vec<Vec<Markup>> = award
        .budget_lines
        .iter()
        .map(|line| {
            vec![
                html! { (line.category) },
                html! { (widgets::money(&line.planned)) },
                html! { (widgets::money(&line.spent)) },
                html! { (widgets::money(&line.variance)) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Budget lines" }
            p class="govuk-body" { "No budget lines have been set." }
        } @else {
            (layout::table("Budget lines", &["Category", "Planned", "Spent", "Left (planned less spent)"], &rows))
        }
    }
}

fn drawdowns_section(award: &AwardView) -> Markup {
    let rows: Vec<Vec<Markup>> = award
        .drawdowns
        .iter()
        .map(|drawdown| {
            let href = format!(
                "/manage/awards/{}/drawdowns/{}",
                encode(&award.id),
                encode(&drawdown.id)
            );
            vec![
                html! { a class="govuk-link" href=(href) { (widgets::date(&drawdown.requested_on)) } },
                html! { (widgets::money(&drawdown.amount)) },
                html! { (drawdown.purpose) },
                widgets::status_tag(&drawdown.status),
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Drawdowns" }
            p class="govuk-body" { "The group has not asked to draw any money yet." }
        } @else {
            (layout::table("Drawdowns", &["Requested", "Amount", "Purpose", "Status"], &rows))
        }
    }
}

fn inputs_section(award: &AwardView) -> Markup {
    let rows: Vec<Vec<Markup>> = award
        .inputs
        .iter()
        .map(|input| {
            vec![
                html! { (widgets::date(&input.contributed_on)) },
                html! { (widgets::enum_words(&input.kind)) },
                html! { (widgets::money(&input.value)) },
                html! { (input.description) },
                html! { (if input.recorded_by == "officer" { "An officer" } else { "The group" }) },
            ]
        })
        .collect();
    html! {
        @if !rows.is_empty() {
            (layout::table("Contributions (match funding, in kind, volunteer time)", &["Date", "Kind", "Value", "What it was", "Recorded by"], &rows))
        }
    }
}

fn outcomes_section(award: &AwardView) -> Markup {
    let outcomes: Vec<&HistoryView> = award
        .history
        .iter()
        .filter(|entry| entry.happened == "OUTCOME_REPORTED")
        .collect();
    html! {
        h2 class="govuk-heading-m" { "Outcomes reported" }
        @if outcomes.is_empty() {
            p class="govuk-body" { "No outcomes reported yet." }
        } @else {
            ul class="govuk-list govuk-list--bullet" {
                @for outcome in outcomes {
                    li { (outcome.detail.as_deref().unwrap_or("")) " (period ending " (widgets::date(&outcome.on)) ")" }
                }
            }
        }
    }
}

/// One history entry in words.
fn happening(entry: &HistoryView) -> String {
    let amount = entry
        .amount
        .as_deref()
        .map(widgets::money)
        .unwrap_or_default();
    match entry.happened.as_str() {
        "MADE" => format!("Award made for {amount}"),
        "IMPORTED" => format!("Imported from published grants data, for {amount}"),
        "AGREEMENT_ACCEPTED" => "The group accepted the grant agreement".to_string(),
        "DRAWDOWN_REQUESTED" => format!("The group asked to draw {amount}"),
        "DRAWDOWN_APPROVED" => format!("Drawdown of {amount} approved"),
        "DRAWDOWN_REJECTED" => format!("Drawdown of {amount} rejected"),
        "PAYMENT_RECORDED" => format!("{amount} paid"),
        "VARIED" => format!(
            "Award varied from {} to {amount}",
            entry
                .previous_amount
                .as_deref()
                .map(widgets::money)
                .unwrap_or_default()
        ),
        "BUDGET_LINES_SET" => "Budget lines set".to_string(),
        "MONEY_RETURNED" => format!("{amount} returned to the fund"),
        "SPEND_REPORTED" => format!("Spend of {amount} reported"),
        "OUTCOME_REPORTED" => "Outcome reported".to_string(),
        "INPUT_RECORDED" => format!("Contribution worth {amount} recorded"),
        "CLOSED" if amount.is_empty() => "Award closed".to_string(),
        "CLOSED" => format!("Award closed; {amount} undrawn went back to the fund"),
        other => widgets::enum_words(other),
    }
}

fn history_section(award: &AwardView) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "History" }
        ol class="govuk-list fl-timeline" {
            @for entry in &award.history {
                li class="fl-timeline__item" {
                    p class="govuk-body govuk-!-margin-bottom-1" {
                        strong { (happening(entry)) }
                    }
                    p class="govuk-body-s govuk-!-margin-bottom-1" { (widgets::date(&entry.on)) }
                    @if let Some(detail) = &entry.detail {
                        p class="govuk-body-s govuk-!-margin-bottom-1" { (detail) }
                    }
                    @if let Some(reason) = &entry.reason {
                        p class="govuk-body-s govuk-!-margin-bottom-1" { "Reason: " (reason) }
                    }
                    @if let Some(drawdown) = &entry.drawdown_id {
                        p class="govuk-body-s" {
                            a class="govuk-link" href=(format!("/manage/awards/{}/drawdowns/{}", encode(&award.id), encode(drawdown))) { "See the drawdown" }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- budget lines

/// One budget line as a form gave it.
#[derive(Debug, Clone)]
pub struct BudgetRow {
    pub category: String,
    pub amount: domain::Money,
}

/// How many rows a form shows: every filled one and a few empty.
fn row_count(fields: &Fields) -> usize {
    let filled = (1..=50)
        .filter(|n| {
            !fields.get(&format!("category-{n}")).trim().is_empty()
                || !fields.get(&format!("line-amount-{n}")).trim().is_empty()
        })
        .max()
        .unwrap_or(0);
    (filled + 2).max(BUDGET_ROWS)
}

/// Budget line rows (category and amount), as a fieldset: no JavaScript needed.
pub fn budget_line_rows(
    fields: &Fields,
    errors: &[FieldError],
    legend: &str,
    hint: &str,
) -> Markup {
    html! {
        fieldset class="govuk-fieldset" aria-describedby="budget-lines-hint" {
            legend class="govuk-fieldset__legend govuk-fieldset__legend--m" { (legend) }
            div id="budget-lines-hint" class="govuk-hint" { (hint) }
            @for n in 1..=row_count(fields) {
                div class="fl-budget-row" {
                    (layout::text_input(&TextInput {
                        name: &format!("category-{n}"), label: &format!("Category {n}"),
                        value: fields.get(&format!("category-{n}")),
                        error: layout::error_for(errors, &format!("category-{n}")),
                        ..TextInput::default()
                    }))
                    (layout::text_input(&TextInput {
                        name: &format!("line-amount-{n}"), label: &format!("Amount {n}"),
                        value: fields.get(&format!("line-amount-{n}")),
                        error: layout::error_for(errors, &format!("line-amount-{n}")),
                        width_class: Some("govuk-input--width-10"), spellcheck_off: true,
                        ..TextInput::default()
                    }))
                }
            }
        }
    }
}

/// The filled budget rows (a category and an amount each), or errors beside the fields.
pub fn read_budget_lines(fields: &Fields, errors: &mut Vec<FieldError>) -> Vec<BudgetRow> {
    let mut lines = Vec::new();
    for n in 1..=row_count(fields) {
        let category = fields.get(&format!("category-{n}")).trim();
        let amount = fields.get(&format!("line-amount-{n}")).trim();
        match (category.is_empty(), amount.is_empty()) {
            (true, true) => {}
            (true, false) => errors.push(FieldError::new(
                &format!("category-{n}"),
                format!("Enter the category of budget line {n}"),
            )),
            (false, _) => match read_money(&format!("Amount {n}"), amount) {
                Ok(amount) => lines.push(BudgetRow {
                    category: category.to_string(),
                    amount,
                }),
                Err(message) => errors.push(FieldError::new(&format!("line-amount-{n}"), message)),
            },
        }
    }
    lines
}

pub fn lines_json(lines: &[BudgetRow]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|line| json!({ "category": line.category, "amount": line.amount.to_plain_string() }))
            .collect(),
    )
}

/// `setBudgetLines` for `award` under `key`.
pub async fn set_lines(
    app: &App,
    signed_in: &SignedIn,
    award: &str,
    lines: &[BudgetRow],
    key: Option<String>,
) -> Result<Written, Problem> {
    let input =
        json!({ "input": { "awardId": award, "lines": lines_json(lines), "idempotencyKey": key } });
    gql::write(app, signed_in, super::application::SET_LINES, input).await
}

/// The award was made but its budget lines were refused: the budget lines form, saying so.
pub async fn lines_refused_after_approval(
    app: &App,
    signed_in: &SignedIn,
    award: &str,
    form: &Fields,
    problem: &Problem,
) -> Response {
    match load_award(app, signed_in, award).await {
        Ok(award) => {
            let note = "The application is approved and the award is made, but its budget lines were not set. Correct them and set them again.";
            let errors = [FieldError::new("category-1", problem.sentence())];
            lines_page(signed_in, &award, form, &errors, Some(note))
        }
        Err(problem) => problem_page(Some(signed_in), &problem),
    }
}

fn lines_page(
    signed_in: &SignedIn,
    award: &AwardView,
    fields: &Fields,
    errors: &[FieldError],
    note: Option<&str>,
) -> Response {
    let action = format!("/manage/awards/{}/budget-lines", encode(&award.id));
    let hint = format!(
        "What the award is for, by category. They must add up to the award, {}.",
        widgets::money(&award.awarded)
    );
    let body = html! {
        (widgets::back_link(&format!("/manage/awards/{}", encode(&award.id)), "Back to the award"))
        @if let Some(note) = note {
            (layout::notification_banner("Important", note, html! {}, false))
        }
        span class="govuk-caption-l" { (award.title) }
        h1 class="govuk-heading-l" { "Set the budget lines" }
        (layout::post_form(&action, &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (budget_line_rows(fields, errors, "Budget lines", &hint))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Set the budget lines", errors, body)
}

/// A form's rows filled from the award's current budget lines.
pub fn current_lines(award: &AwardView, fields: &mut Fields) {
    for (index, line) in award.budget_lines.iter().enumerate() {
        fields.insert(format!("category-{}", index + 1), line.category.clone());
        fields.insert(format!("line-amount-{}", index + 1), line.planned.clone());
    }
}

pub async fn lines_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match load_award(&app, &signed_in, &id).await {
        Ok(award) => {
            let mut fields = Fields::new();
            current_lines(&award, &mut fields);
            lines_page(&signed_in, &award, &fields, &[], None)
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

pub async fn lines_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let award = match load_award(&app, &signed_in, &id).await {
        Ok(award) => award,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let mut errors = Vec::new();
    let lines = read_budget_lines(&form, &mut errors);
    if lines.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "category-1",
            "Enter at least one budget line",
        ));
    }
    if !errors.is_empty() || form.get("step") == "change" {
        return lines_page(&signed_in, &award, &form, &errors, None);
    }
    if form.get("step") == "confirm" {
        let Some(key) = idempotency_key("budget", form.get("form_key")) else {
            return lines_page(&signed_in, &award, &Fields::new(), &[], None);
        };
        return match set_lines(&app, &signed_in, &award.id, &lines, Some(key)).await {
            Ok(_) => Redirect::to(&format!("/manage/awards/{}?done=lines", encode(&award.id)))
                .into_response(),
            Err(problem) if problem.is_about_input() => lines_page(
                &signed_in,
                &award,
                &form,
                &[FieldError::new("category-1", problem.sentence())],
                None,
            ),
            Err(problem) => problem_page(Some(&signed_in), &problem),
        };
    }
    let action = format!("/manage/awards/{}/budget-lines", encode(&award.id));
    let rows = lines
        .iter()
        .map(|line| widgets::text_row(&line.category, &line.amount.to_string()))
        .collect();
    widgets::check_answers_page(
        &signed_in,
        widgets::Check {
            title: "Check the budget lines",
            caption: &award.title,
            action: &action,
            rows,
            warning: None,
            confirm: "Set the budget lines",
        },
        &form,
    )
}
