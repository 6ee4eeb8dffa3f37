//! An award's actions, each `GET /groups/{org}/awards/{award}/{action}` (the form),
//! `POST` the same (check your answers, or the form again with what to correct) and
//! `POST …/{action}/confirm` (the write under the form's key, then the award's page):
//! - `accept`: the agreement's terms (amount, budget lines), "I accept on behalf of …";
//! - `drawdown`: amount as written and purpose, against what is available to draw;
//! - `spend`: a period (from, to) and an amount per budget line;
//! - `outcome`: one of the fund's indicators, a quantity and the date;
//! - `contribution`: match funding, in kind or volunteer time, its value, date, what it was.
//!
//! What the ledger refuses (over the award, overlapping periods, dates) comes back from
//! GraphQL and is shown beside the answer it is about.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde_json::{json, Value};

use super::award::{load, AwardView};
use crate::server::http::App;
use crate::web::layout::{self, error_for, text_input, FieldError, SummaryRow, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key, FORM_KEY_FIELD};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::widgets::{
    back_link, change_button, choice_group, date, date_input, form_page as page_of, hidden, money,
    read_date, refusal_beside, textarea, Choice, ChoiceGroup, Fields,
};

/// The award's actions, by their path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Drawdown,
    Spend,
    Outcome,
    Contribution,
}

impl Action {
    fn from_slug(slug: &str) -> Option<Action> {
        Some(match slug {
            "accept" => Action::Accept,
            "drawdown" => Action::Drawdown,
            "spend" => Action::Spend,
            "outcome" => Action::Outcome,
            "contribution" => Action::Contribution,
            _ => return None,
        })
    }

    fn slug(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Drawdown => "drawdown",
            Action::Spend => "spend",
            Action::Outcome => "outcome",
            Action::Contribution => "contribution",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Action::Accept => "Your grant agreement",
            Action::Drawdown => "Request a drawdown",
            Action::Spend => "Report spend",
            Action::Outcome => "Report an outcome",
            Action::Contribution => "Record a contribution",
        }
    }

    fn mutation(self) -> &'static str {
        match self {
            Action::Accept => "mutation($input: AwardInput!) { acceptAgreement(input: $input) { position awardId } }",
            Action::Drawdown => "mutation($input: RequestDrawdownInput!) { requestDrawdown(input: $input) { position drawdownId } }",
            Action::Spend => "mutation($input: ReportSpendInput!) { reportSpend(input: $input) { position awardId } }",
            Action::Outcome => "mutation($input: ReportOutcomeInput!) { reportOutcome(input: $input) { position awardId } }",
            Action::Contribution => "mutation($input: RecordInputInput!) { recordInput(input: $input) { position awardId } }",
        }
    }

    /// Words of GraphQL's refusals → the input they are about (the first is the default).
    fn refusal_fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Action::Accept => &[("", "accept")],
            Action::Drawdown => &[
                ("exceeds", "amount"),
                ("purpose", "purpose"),
                ("amount", "amount"),
            ],
            Action::Spend => &[
                ("overlaps", "start-day"),
                ("periodStart", "start-day"),
                ("periodEnd", "end-day"),
                ("before it starts", "end-day"),
                ("category", "line-0"),
                ("amount", "line-0"),
            ],
            Action::Outcome => &[
                ("indicator", "indicator"),
                ("quantity", "quantity"),
                ("decimal", "quantity"),
                ("periodEnd", "on-day"),
            ],
            Action::Contribution => &[
                ("value", "value"),
                ("contributedOn", "on-day"),
                ("description", "description"),
                ("kind", "kind"),
            ],
        }
    }
}

/// Answers read and ready to write: the check page's rows and the mutation's input.
struct Ready {
    rows: Vec<(String, String)>,
    input: Value,
}

async fn start(
    app: &App,
    signed_in: &SignedIn,
    org: &str,
    award: &str,
    slug: &str,
) -> Result<(AwardView, Action), Problem> {
    let action =
        Action::from_slug(slug).ok_or_else(|| Problem::new("NOT_FOUND", "no such page"))?;
    let view = load(app, signed_in, org, award).await?;
    Ok((view, action))
}

/// `GET …/{action}`: the form, empty.
pub async fn action_page(
    State(app): State<App>,
    Path((org, award, slug)): Path<(String, String, String)>,
    signed_in: SignedIn,
) -> Response {
    let (view, action) = match start(&app, &signed_in, &org, &award, &slug).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let fields = Fields(vec![(FORM_KEY_FIELD.to_string(), new_form_key())]);
    action_form(&signed_in, &view, action, &fields, &[])
}

/// `POST …/{action}`: check your answers (accepting the agreement writes at once).
pub async fn check_page(
    State(app): State<App>,
    Path((org, award, slug)): Path<(String, String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let (view, action) = match start(&app, &signed_in, &org, &award, &slug).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    if !form.get("change").is_empty() {
        return action_form(&signed_in, &view, action, &form, &[]);
    }
    match read(&view, action, &form) {
        Err(errors) => action_form(&signed_in, &view, action, &form, &errors),
        Ok(ready) if action == Action::Accept => {
            write(&app, &signed_in, &view, action, &form, ready).await
        }
        Ok(ready) => check_answers(&signed_in, &view, action, &form, &ready),
    }
}

/// `POST …/{action}/confirm`: the write, under the form's key.
pub async fn confirm(
    State(app): State<App>,
    Path((org, award, slug)): Path<(String, String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let (view, action) = match start(&app, &signed_in, &org, &award, &slug).await {
        Ok(found) => found,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    match read(&view, action, &form) {
        Err(errors) => action_form(&signed_in, &view, action, &form, &errors),
        Ok(ready) => write(&app, &signed_in, &view, action, &form, ready).await,
    }
}

async fn write(
    app: &App,
    signed_in: &SignedIn,
    view: &AwardView,
    action: Action,
    form: &Fields,
    ready: Ready,
) -> Response {
    let Some(key) = idempotency_key(action.slug(), form.get(FORM_KEY_FIELD)) else {
        let mut fresh = form.clone();
        fresh.0.retain(|(name, _)| name != FORM_KEY_FIELD);
        fresh.0.push((FORM_KEY_FIELD.to_string(), new_form_key()));
        return action_form(signed_in, view, action, &fresh, &[]);
    };
    let mut input = ready.input;
    input["idempotencyKey"] = json!(key);
    match gql::write(app, signed_in, action.mutation(), json!({ "input": input })).await {
        Ok(_) => Redirect::to(&format!("{}?done={}", view.path(), action.slug())).into_response(),
        Err(problem) => match refusal_beside(&problem, action.refusal_fields()) {
            Some(mut error) => {
                if action == Action::Drawdown && problem.message.contains("exceeds") {
                    error.message = format!(
                        "The amount must be no more than {}, the amount available to draw now",
                        money(&view.award.available_to_draw)
                    );
                }
                action_form(signed_in, view, action, form, &[error])
            }
            None => problem_page(Some(signed_in), &problem),
        },
    }
}

fn action_form(
    signed_in: &SignedIn,
    view: &AwardView,
    action: Action,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let form_key = match fields.get(FORM_KEY_FIELD) {
        "" => new_form_key(),
        key => key.to_string(),
    };
    let target = format!("{}/{}", view.path(), action.slug());
    let questions = match action {
        Action::Accept => accept_terms(view, errors),
        Action::Drawdown => drawdown_fields(view, fields, errors),
        Action::Spend => spend_fields(view, fields, errors),
        Action::Outcome => outcome_fields(view, fields, errors),
        Action::Contribution => contribution_fields(fields, errors),
    };
    let button = match action {
        Action::Accept => format!("I accept on behalf of {}", view.group()),
        _ => "Continue".to_string(),
    };
    let body = html! {
        (back_link(&view.path(), "Back to the award"))
        span class="govuk-caption-l" { (view.award.title) }
        h1 class="govuk-heading-l" { (action.title()) }
        (layout::post_form(&target, &signed_in.session.csrf_token, html! {
            (form_key_field(&form_key))
            (questions)
            @if action != Action::Outcome || !view.indicators.is_empty() {
                (layout::button(&button))
            }
        }))
    };
    page_of(signed_in, action.title(), errors, body)
}

fn accept_terms(view: &AwardView, errors: &[FieldError]) -> Markup {
    let award = &view.award;
    let lines: Vec<Vec<Markup>> = award
        .budget_lines
        .iter()
        .map(|line| vec![html! { (line.category) }, html! { (money(&line.planned)) }])
        .collect();
    html! {
        @if let Some(error) = error_for(errors, "accept") {
            p id="accept" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (error) }
        }
        p class="govuk-body" { (view.fund_name) " offers " (view.group()) " a grant of " strong { (money(&award.awarded)) } " for " (award.title) "." }
        @if lines.is_empty() {
            p class="govuk-body" { "The award has no budget lines: spend may be reported under any heading." }
        } @else {
            (layout::table("The budget you agree to", &["Budget line", "Amount"], &lines))
        }
        ul class="govuk-list govuk-list--bullet" {
            li { "You ask for the money in drawdowns as you need it; the fund approves each before paying." }
            li { "You report what you spend against these budget lines, and the outcomes the fund measures." }
            li { "Money not spent on the project goes back to the fund." }
        }
    }
}

fn drawdown_fields(view: &AwardView, fields: &Fields, errors: &[FieldError]) -> Markup {
    html! {
        p class="govuk-body" { "Available to draw now: " strong { (money(&view.award.available_to_draw)) } }
        (text_input(&TextInput { name: "amount", label: "How much do you need?", hint: Some(MONEY_HINT), value: fields.get("amount"), error: error_for(errors, "amount"), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
        (textarea("purpose", "What is it for?", Some("For example: the first term's hall hire and food"), fields.get("purpose"), error_for(errors, "purpose")))
    }
}

/// The categories a spend report is made under: the award's budget lines.
fn categories(view: &AwardView) -> Vec<String> {
    view.award
        .budget_lines
        .iter()
        .map(|line| line.category.clone())
        .collect()
}

fn spend_fields(view: &AwardView, fields: &Fields, errors: &[FieldError]) -> Markup {
    let categories = categories(view);
    html! {
        (date_input("start", "From", Some("The first day of the period, for example 1 4 2026"), fields, error_for(errors, "start-day")))
        (date_input("end", "To", Some("The last day of the period"), fields, error_for(errors, "end-day")))
        h2 class="govuk-heading-m" { "What you spent in the period" }
        @if categories.is_empty() {
            p class="govuk-body" { "Name each kind of spending and its amount." }
            @for index in 0..3 {
                @let category = format!("category-{index}");
                @let line = format!("line-{index}");
                (text_input(&TextInput { name: &category, label: "Kind of spending", value: fields.get(&category), error: error_for(errors, &category), ..TextInput::default() }))
                (text_input(&TextInput { name: &line, label: "Amount", hint: Some(MONEY_HINT), value: fields.get(&line), error: error_for(errors, &line), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
            }
        } @else {
            p class="govuk-body" { "Leave a line empty if you spent nothing under it." }
            @for (index, category) in categories.iter().enumerate() {
                @let line = format!("line-{index}");
                (text_input(&TextInput { name: &line, label: category, hint: Some(MONEY_HINT), value: fields.get(&line), error: error_for(errors, &line), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
            }
        }
    }
}

fn outcome_fields(view: &AwardView, fields: &Fields, errors: &[FieldError]) -> Markup {
    let labels: Vec<String> = view
        .indicators
        .iter()
        .map(|indicator| format!("{} (counted in: {})", indicator.indicator, indicator.unit))
        .collect();
    let options: Vec<Choice> = view
        .indicators
        .iter()
        .zip(&labels)
        .map(|(indicator, label)| Choice {
            value: &indicator.indicator,
            label,
            hint: None,
        })
        .collect();
    let chosen = fields.all("indicator");
    html! {
        @if options.is_empty() {
            p class="govuk-body" { "The fund has not said yet which outcomes it measures. Ask the fund's officer." }
        } @else {
            (choice_group(&ChoiceGroup { name: "indicator", legend: "Which outcome are you reporting?", legend_is_heading: false, hint: None, error: error_for(errors, "indicator"), choices: &options, chosen: &chosen, multiple: false }))
            (text_input(&TextInput { name: "quantity", label: "How many?", hint: Some("A number, for example 120 or 12.5"), value: fields.get("quantity"), error: error_for(errors, "quantity"), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
            (date_input("on", "Up to which date?", Some("The end of the period the number covers, for example 31 3 2026"), fields, error_for(errors, "on-day")))
        }
    }
}

const KINDS: [(&str, &str); 3] = [
    (
        "MATCH_FUNDING",
        "Match funding: money from another funder for the same work",
    ),
    ("IN_KIND", "In kind: goods, premises or services given free"),
    ("VOLUNTEER_TIME", "Volunteer time"),
];

fn contribution_fields(fields: &Fields, errors: &[FieldError]) -> Markup {
    let options: Vec<Choice> = KINDS
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            hint: None,
        })
        .collect();
    html! {
        (choice_group(&ChoiceGroup { name: "kind", legend: "What kind of contribution?", legend_is_heading: false, hint: None, error: error_for(errors, "kind"), choices: &options, chosen: &fields.all("kind"), multiple: false }))
        (text_input(&TextInput { name: "value", label: "What is it worth?", hint: Some("In pounds, for example £1,250; volunteer time at the hourly value you use"), value: fields.get("value"), error: error_for(errors, "value"), width_class: Some("govuk-input--width-10"), ..TextInput::default() }))
        (date_input("on", "When did it go in?", Some("For example 27 3 2026"), fields, error_for(errors, "on-day")))
        (textarea("description", "What was it?", Some("For example: match funding from the city council, or 120 volunteer hours at £12"), fields.get("description"), error_for(errors, "description")))
    }
}

/// The answers read, or what to correct.
fn read(view: &AwardView, action: Action, fields: &Fields) -> Result<Ready, Vec<FieldError>> {
    let award = json!(view.award.id);
    match action {
        Action::Accept => Ok(Ready {
            rows: Vec::new(),
            input: json!({ "awardId": award }),
        }),
        Action::Drawdown => read_drawdown(fields, award),
        Action::Spend => read_spend(view, fields, award),
        Action::Outcome => read_outcome(fields, award),
        Action::Contribution => read_contribution(fields, award),
    }
}

fn required(fields: &Fields, name: &str, message: &str, errors: &mut Vec<FieldError>) -> String {
    let value = fields.get(name).trim().to_string();
    if value.is_empty() {
        errors.push(FieldError::new(name, message));
    }
    value
}

fn money_field(fields: &Fields, name: &str, label: &str, errors: &mut Vec<FieldError>) -> String {
    match read_money(label, fields.get(name)) {
        Ok(money) => money.to_plain_string(),
        Err(message) => {
            errors.push(FieldError::new(name, message));
            String::new()
        }
    }
}

fn date_field(fields: &Fields, name: &str, label: &str, errors: &mut Vec<FieldError>) -> String {
    read_date(fields, name, label).unwrap_or_else(|message| {
        errors.push(FieldError::new(&format!("{name}-day"), message));
        String::new()
    })
}

fn read_drawdown(fields: &Fields, award: Value) -> Result<Ready, Vec<FieldError>> {
    let mut errors = Vec::new();
    let amount = money_field(fields, "amount", "Amount", &mut errors);
    let purpose = required(fields, "purpose", "Say what the money is for", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Ready {
        rows: vec![
            ("Amount".into(), money(&amount)),
            ("What it is for".into(), purpose.clone()),
        ],
        input: json!({ "awardId": award, "amount": amount, "purpose": purpose }),
    })
}

fn read_spend(view: &AwardView, fields: &Fields, award: Value) -> Result<Ready, Vec<FieldError>> {
    let mut errors = Vec::new();
    let start = date_field(fields, "start", "the date the period starts", &mut errors);
    let end = date_field(fields, "end", "the date the period ends", &mut errors);
    let fixed = categories(view);
    let count = if fixed.is_empty() { 3 } else { fixed.len() };
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for index in 0..count {
        let line = format!("line-{index}");
        if fields.get(&line).trim().is_empty() {
            continue;
        }
        let category = match fixed.get(index) {
            Some(category) => category.clone(),
            None => required(
                fields,
                &format!("category-{index}"),
                "Name the kind of spending",
                &mut errors,
            ),
        };
        let amount = money_field(fields, &line, "Amount", &mut errors);
        rows.push((category.clone(), money(&amount)));
        lines.push(json!({ "category": category, "amount": amount }));
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "line-0",
            "Enter what you spent under at least one line",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    rows.insert(
        0,
        (
            "Period".into(),
            format!("{} to {}", date(&start), date(&end)),
        ),
    );
    Ok(Ready {
        rows,
        input: json!({ "awardId": award, "periodStart": start, "periodEnd": end, "lines": lines }),
    })
}

fn read_outcome(fields: &Fields, award: Value) -> Result<Ready, Vec<FieldError>> {
    let mut errors = Vec::new();
    let indicator = required(
        fields,
        "indicator",
        "Choose the outcome you are reporting",
        &mut errors,
    );
    let quantity = required(fields, "quantity", "Enter how many", &mut errors).replace(',', "");
    let on = date_field(fields, "on", "the date the number runs up to", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Ready {
        rows: vec![
            ("Outcome".into(), indicator.clone()),
            ("How many".into(), quantity.clone()),
            ("Up to".into(), date(&on)),
        ],
        input: json!({ "awardId": award, "indicator": indicator, "quantity": quantity, "periodEnd": on }),
    })
}

fn read_contribution(fields: &Fields, award: Value) -> Result<Ready, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = required(
        fields,
        "kind",
        "Choose the kind of contribution",
        &mut errors,
    );
    let value = money_field(fields, "value", "Value", &mut errors);
    let on = date_field(fields, "on", "the date it went in", &mut errors);
    let description = required(
        fields,
        "description",
        "Say what the contribution was",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let kind_words = KINDS
        .iter()
        .find(|(value, _)| *value == kind)
        .map(|(_, label)| label.to_string())
        .unwrap_or_else(|| kind.clone());
    Ok(Ready {
        rows: vec![
            ("Kind".into(), kind_words),
            ("Value".into(), money(&value)),
            ("Date".into(), date(&on)),
            ("What it was".into(), description.clone()),
        ],
        input: json!({ "awardId": award, "kind": kind, "value": value, "contributedOn": on, "description": description }),
    })
}

fn check_answers(
    signed_in: &SignedIn,
    view: &AwardView,
    action: Action,
    form: &Fields,
    ready: &Ready,
) -> Response {
    let target = format!("{}/{}", view.path(), action.slug());
    let rows: Vec<SummaryRow> = ready
        .rows
        .iter()
        .map(|(key, value)| SummaryRow {
            key: key.clone(),
            value: html! { (value) },
            action: Some(change_button(&target, key)),
        })
        .collect();
    let button = match action {
        Action::Drawdown => "Send the request",
        Action::Spend => "Send the spend report",
        Action::Outcome => "Send the outcome report",
        _ => "Record the contribution",
    };
    let body = html! {
        span class="govuk-caption-l" { (view.award.title) }
        h1 class="govuk-heading-l" { "Check your answers" }
        (layout::post_form(&format!("{target}/confirm"), &signed_in.session.csrf_token, html! {
            (form.hidden(&["change"]))
            (hidden("checked", "yes"))
            (layout::summary_list(&rows))
            (layout::button(button))
        }))
    };
    page_of(signed_in, "Check your answers", &[], body)
}
