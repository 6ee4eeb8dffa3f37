//! Setting up a fund: `/manage/funds/new` (an owner establishes it: its name, the funder's
//! name and 360Giving id, optionally the day it began) and `/manage/funds/{fund}/capital`
//! (record capital received: amount as written, the date as day/month/year, where it came
//! from). Both check the answers before writing; the write carries the form's key.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::widgets::{date_input, hidden_date, long_date, DateParts};
use super::{beside_field, confirm_buttons, form_page, fund_path, row, Step};
use crate::server::http::App;
use crate::web::layout::{self, error_for, summary_list, text_input, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::widgets::hidden;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/manage/funds/new", get(new_fund).post(post_fund))
        .route(
            "/manage/funds/{fund}/capital",
            get(new_capital).post(post_capital),
        )
}

const ESTABLISH: &str =
    "mutation($input: EstablishFundInput!) { establishFund(input: $input) { position fundId } }";
const RECEIVE: &str =
    "mutation($input: ReceiveCapitalInput!) { receiveCapital(input: $input) { position fundId } }";

// ---------------------------------------------------------------- establish a fund

#[derive(Debug, Clone, Default, Deserialize)]
struct FundForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    funder_name: String,
    #[serde(default)]
    funder_org_id: String,
    #[serde(default)]
    established_day: String,
    #[serde(default)]
    established_month: String,
    #[serde(default)]
    established_year: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    action: String,
}

impl FundForm {
    fn established(&self) -> DateParts {
        DateParts {
            day: self.established_day.clone(),
            month: self.established_month.clone(),
            year: self.established_year.clone(),
        }
    }

    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(FieldError::new("name", "Enter the fund's name"));
        }
        if self.funder_name.trim().is_empty() {
            errors.push(FieldError::new("funder_name", "Enter the funder's name"));
        }
        if self.funder_org_id.trim().is_empty() {
            errors.push(FieldError::new(
                "funder_org_id",
                "Enter the funder's 360Giving organisation identifier, for example GB-CHC-1234567",
            ));
        }
        let established = self.established();
        if !established.is_empty() {
            if let Err(message) = established.read("Date the fund began") {
                errors.push(FieldError::new("established", message));
            }
        }
        errors
    }
}

/// Only someone who may create funds sees the form; anyone else gets "Page not found"
/// (the page to show them instead).
fn refused_unless_owner(signed_in: &SignedIn) -> Option<Response> {
    (!signed_in.roles.can_create_funds()).then(|| {
        problem_page(
            Some(signed_in),
            &Problem::new("FORBIDDEN", "only an owner sets up a fund"),
        )
    })
}

async fn new_fund(signed_in: SignedIn) -> Response {
    if let Some(page) = refused_unless_owner(&signed_in) {
        return page;
    }
    let form = FundForm {
        form_key: new_form_key(),
        ..FundForm::default()
    };
    fund_form(&signed_in, &form, &[])
}

fn fund_form(signed_in: &SignedIn, form: &FundForm, errors: &[FieldError]) -> Response {
    let body = html! {
        h1 class="govuk-heading-l" { "Set up a fund" }
        form method="post" action="/manage/funds/new" novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (text_input(&TextInput { name: "name", label: "Name of the fund", value: &form.name,
                error: error_for(errors, "name"), hint: Some("As it will appear in published grants data, for example Hull Community Fund"),
                ..TextInput::default() }))
            (text_input(&TextInput { name: "funder_name", label: "Funder's name", value: &form.funder_name,
                error: error_for(errors, "funder_name"), autocomplete: Some("organization"),
                ..TextInput::default() }))
            (text_input(&TextInput { name: "funder_org_id", label: "Funder's 360Giving organisation identifier",
                value: &form.funder_org_id, error: error_for(errors, "funder_org_id"),
                hint: Some("For example GB-CHC-1234567 for a registered charity"),
                width_class: Some("govuk-input--width-20"), spellcheck_off: true,
                ..TextInput::default() }))
            (date_input("established", "Date the fund began (optional)",
                "Leave blank for today. For a fund moving its history here, for example 1 4 2024",
                &form.established(), error_for(errors, "established")))
            (layout::button("Continue"))
        }
    };
    form_page(signed_in, "Set up a fund", errors, body)
}

fn fund_check(signed_in: &SignedIn, form: &FundForm) -> Response {
    let established = form
        .established()
        .read("Date")
        .map(long_date)
        .unwrap_or_else(|_| "Today".to_string());
    let body = html! {
        h1 class="govuk-heading-l" { "Check the fund's details" }
        (summary_list(&[
            row("Name", form.name.trim()),
            row("Funder", form.funder_name.trim()),
            row("Funder's 360Giving identifier", form.funder_org_id.trim()),
            row("Began", established),
        ]))
        form method="post" action="/manage/funds/new" novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (hidden("name", &form.name))
            (hidden("funder_name", &form.funder_name))
            (hidden("funder_org_id", &form.funder_org_id))
            (hidden_date("established", &form.established()))
            (confirm_buttons("Set up the fund"))
        }
    };
    form_page(signed_in, "Check the fund's details", &[], body)
}

async fn post_fund(
    State(app): State<App>,
    SignedInForm {
        signed_in,
        mut form,
    }: SignedInForm<FundForm>,
) -> Response {
    if let Some(page) = refused_unless_owner(&signed_in) {
        return page;
    }
    let Some(key) = idempotency_key("establish-fund", &form.form_key) else {
        form.form_key = new_form_key();
        return fund_form(&signed_in, &form, &[]);
    };
    let errors = form.check();
    let step = Step::of(&form.action);
    if !errors.is_empty() || step == Step::Change {
        return fund_form(&signed_in, &form, &errors);
    }
    if step == Step::Check {
        return fund_check(&signed_in, &form);
    }
    let established = form.established();
    let input = json!({
        "name": form.name.trim(),
        "funderName": form.funder_name.trim(),
        "funderOrgId": form.funder_org_id.trim(),
        "establishedOn": established.read("Date").ok().map(|date| date.to_string()),
        "idempotencyKey": key,
    });
    match gql::write(&app, &signed_in, ESTABLISH, json!({ "input": input })).await {
        Ok(written) => {
            let fund = written.id("fundId").unwrap_or_default();
            Redirect::to(&format!("{}?done=established", fund_path(&fund))).into_response()
        }
        Err(problem) if problem.is_about_input() => {
            let fields = [
                ("funderOrgId", "funder_org_id"),
                ("funderName", "funder_name"),
                ("establishedOn", "established"),
                ("name", "name"),
            ];
            let error = beside_field(&problem, &fields, "name");
            fund_form(&signed_in, &form, &[error])
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

// ---------------------------------------------------------------- capital received

#[derive(Debug, Clone, Default, Deserialize)]
struct CapitalForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    received_day: String,
    #[serde(default)]
    received_month: String,
    #[serde(default)]
    received_year: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    form_key: String,
    #[serde(default)]
    action: String,
}

impl CapitalForm {
    fn received(&self) -> DateParts {
        DateParts {
            day: self.received_day.clone(),
            month: self.received_month.clone(),
            year: self.received_year.clone(),
        }
    }

    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(message) = read_money("Amount", &self.amount) {
            errors.push(FieldError::new("amount", message));
        }
        if let Err(message) = self.received().read("Date received") {
            errors.push(FieldError::new("received", message));
        }
        if self.source.trim().is_empty() {
            errors.push(FieldError::new("source", "Enter where the money came from"));
        }
        errors
    }
}

#[derive(Debug, Deserialize)]
struct FundNameAnswer {
    #[serde(rename = "managedFund")]
    managed_fund: Option<FundName>,
}

#[derive(Debug, Deserialize)]
struct FundName {
    name: String,
}

/// The fund's name, as its officer may read it; else the page to show instead.
pub(super) async fn managed_fund_name(
    app: &App,
    signed_in: &SignedIn,
    fund: &str,
) -> Result<String, Response> {
    let answer = gql::read::<FundNameAnswer>(
        app,
        signed_in,
        "query($id: String!) { managedFund(id: $id) { name } }",
        json!({ "id": fund }),
    )
    .await;
    match answer {
        Ok(FundNameAnswer {
            managed_fund: Some(fund),
        }) => Ok(fund.name),
        Ok(_) => Err(problem_page(
            Some(signed_in),
            &Problem::new("NOT_FOUND", "no such fund"),
        )),
        Err(problem) => Err(problem_page(Some(signed_in), &problem)),
    }
}

async fn new_capital(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund): Path<String>,
) -> Response {
    let name = match managed_fund_name(&app, &signed_in, &fund).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let form = CapitalForm {
        form_key: new_form_key(),
        ..CapitalForm::default()
    };
    capital_form(&signed_in, &fund, &name, &form, &[])
}

fn capital_form(
    signed_in: &SignedIn,
    fund: &str,
    fund_name: &str,
    form: &CapitalForm,
    errors: &[FieldError],
) -> Response {
    let body = html! {
        span class="govuk-caption-l" { (fund_name) }
        h1 class="govuk-heading-l" { "Record capital received" }
        form method="post" action=(format!("{}/capital", fund_path(fund))) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (text_input(&TextInput { name: "amount", label: "Amount received", value: &form.amount,
                hint: Some(MONEY_HINT), error: error_for(errors, "amount"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true, ..TextInput::default() }))
            (date_input("received", "Date the money arrived", "For example 27 3 2026. Not in the future.",
                &form.received(), error_for(errors, "received")))
            (text_input(&TextInput { name: "source", label: "Where it came from",
                hint: Some("For example: Endowment, or a grant from the city council"),
                value: &form.source, error: error_for(errors, "source"), ..TextInput::default() }))
            (layout::button("Continue"))
        }
        p class="govuk-body" { a class="govuk-link" href=(fund_path(fund)) { "Back to the fund" } }
    };
    form_page(signed_in, "Record capital received", errors, body)
}

fn capital_check(
    signed_in: &SignedIn,
    fund: &str,
    fund_name: &str,
    form: &CapitalForm,
) -> Response {
    let amount = read_money("Amount", &form.amount)
        .map(|money| money.to_string())
        .unwrap_or_default();
    let received = form
        .received()
        .read("Date")
        .map(long_date)
        .unwrap_or_default();
    let body = html! {
        span class="govuk-caption-l" { (fund_name) }
        h1 class="govuk-heading-l" { "Check the capital received" }
        (summary_list(&[
            row("Amount", amount),
            row("Date received", received),
            row("Where it came from", form.source.trim()),
        ]))
        form method="post" action=(format!("{}/capital", fund_path(fund))) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (hidden("amount", &form.amount))
            (hidden_date("received", &form.received()))
            (hidden("source", &form.source))
            (confirm_buttons("Record capital received"))
        }
    };
    form_page(signed_in, "Check the capital received", &[], body)
}

async fn post_capital(
    State(app): State<App>,
    Path(fund): Path<String>,
    SignedInForm {
        signed_in,
        mut form,
    }: SignedInForm<CapitalForm>,
) -> Response {
    let name = match managed_fund_name(&app, &signed_in, &fund).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let Some(key) = idempotency_key("receive-capital", &form.form_key) else {
        form.form_key = new_form_key();
        return capital_form(&signed_in, &fund, &name, &form, &[]);
    };
    let errors = form.check();
    let step = Step::of(&form.action);
    if !errors.is_empty() || step == Step::Change {
        return capital_form(&signed_in, &fund, &name, &form, &errors);
    }
    if step == Step::Check {
        return capital_check(&signed_in, &fund, &name, &form);
    }
    let (Ok(amount), Ok(received)) = (
        read_money("Amount", &form.amount),
        form.received().read("Date"),
    ) else {
        return capital_form(&signed_in, &fund, &name, &form, &form.check());
    };
    let input = json!({
        "fundId": fund,
        "amount": amount.to_plain_string(),
        "receivedOn": received.to_string(),
        "source": form.source.trim(),
        "idempotencyKey": key,
    });
    match gql::write(&app, &signed_in, RECEIVE, json!({ "input": input })).await {
        Ok(_) => Redirect::to(&format!("{}?done=capital", fund_path(&fund))).into_response(),
        Err(problem) if problem.is_about_input() => {
            let fields = [
                ("receivedOn", "received"),
                ("source", "source"),
                ("amount", "amount"),
            ];
            let error = beside_field(&problem, &fields, "amount");
            capital_form(&signed_in, &fund, &name, &form, &[error])
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}
