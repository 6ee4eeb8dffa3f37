//! `/manage/funds/{fund}/proxies`: the fund's outcome proxies (the indicators grantees
//! report outcomes against, and how each is valued) and a form to set one: value per unit
//! as money, the four shares as percentages people write (`25%` or `25`), years 1 to 10,
//! and optionally the date it is in force from. Setting an indicator again replaces it.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::widgets::{
    date_input, date_words, headed_table, percent_words, pounds, read_percent, read_whole,
    DateParts,
};
use super::{beside_field, done_banner, form_page, fund_path, Notice};
use crate::server::http::App;
use crate::web::layout::{self, error_for, text_input, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{form_key_field, idempotency_key, new_form_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::money::{read_money, MONEY_HINT};

pub fn routes() -> Router<App> {
    Router::new().route(
        "/manage/funds/{fund}/proxies",
        get(proxies_page).post(set_proxy),
    )
}

const PROXIES: &str = "query($id: String!) { managedFund(id: $id) { name outcomeProxies { \
    indicator unit valuePerUnit deadweight attribution displacement dropOff durationYears setOn } } }";
const SET: &str = "mutation($input: SetOutcomeProxyInput!) { setOutcomeProxy(input: $input) { position fundId } }";

/// The four shares: form field, label, GraphQL name, hint.
const SHARES: [(&str, &str, &str, &str); 4] = [
    (
        "deadweight",
        "Deadweight",
        "deadweight",
        "How much would have happened anyway, for example 25%",
    ),
    (
        "attribution",
        "Attribution",
        "attribution",
        "How much is owed to others, for example 10%",
    ),
    (
        "displacement",
        "Displacement",
        "displacement",
        "How much only moved elsewhere, for example 5%",
    ),
    (
        "drop_off",
        "Drop-off",
        "dropOff",
        "How much the outcome falls each year after the first, for example 20%",
    ),
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    managed_fund: Option<FundProxies>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FundProxies {
    name: String,
    outcome_proxies: Vec<Proxy>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proxy {
    indicator: String,
    unit: String,
    value_per_unit: String,
    deadweight: String,
    attribution: String,
    displacement: String,
    drop_off: String,
    duration_years: i64,
    set_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ProxyForm {
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    value_per_unit: String,
    #[serde(default)]
    deadweight: String,
    #[serde(default)]
    attribution: String,
    #[serde(default)]
    displacement: String,
    #[serde(default)]
    drop_off: String,
    #[serde(default)]
    duration_years: String,
    #[serde(default)]
    effective_day: String,
    #[serde(default)]
    effective_month: String,
    #[serde(default)]
    effective_year: String,
    #[serde(default)]
    form_key: String,
}

impl ProxyForm {
    fn share(&self, field: &str) -> &str {
        match field {
            "deadweight" => &self.deadweight,
            "attribution" => &self.attribution,
            "displacement" => &self.displacement,
            _ => &self.drop_off,
        }
    }

    fn effective(&self) -> DateParts {
        DateParts {
            day: self.effective_day.clone(),
            month: self.effective_month.clone(),
            year: self.effective_year.clone(),
        }
    }

    /// The mutation's input (without `fundId` and the key), or the errors beside fields.
    fn input(&self) -> Result<serde_json::Map<String, serde_json::Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut input = serde_json::Map::new();
        for (field, label, value) in [
            ("indicator", "the indicator", &self.indicator),
            ("unit", "what one unit is", &self.unit),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, format!("Enter {label}")));
            }
            input.insert(field.to_string(), json!(value.trim()));
        }
        match read_money("Value per unit", &self.value_per_unit) {
            Ok(money) => {
                input.insert("valuePerUnit".into(), json!(money.to_plain_string()));
            }
            Err(message) => errors.push(FieldError::new("value_per_unit", message)),
        }
        for (field, label, name, _) in SHARES {
            match read_percent(label, self.share(field)) {
                Ok(fraction) => {
                    input.insert(name.into(), json!(fraction.to_string()));
                }
                Err(message) => errors.push(FieldError::new(field, message)),
            }
        }
        match read_whole("Years the outcome lasts", &self.duration_years, 1, 10) {
            Ok(years) => {
                input.insert("durationYears".into(), json!(years));
            }
            Err(message) => errors.push(FieldError::new("duration_years", message)),
        }
        let effective = self.effective();
        if !effective.is_empty() {
            match effective.read("Date in force from") {
                Ok(date) => {
                    input.insert("effectiveFrom".into(), json!(date.to_string()));
                }
                Err(message) => errors.push(FieldError::new("effective", message)),
            }
        }
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }
}

async fn proxies_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let form = ProxyForm {
        form_key: new_form_key(),
        ..ProxyForm::default()
    };
    let done = notice.done.as_deref() == Some("proxy");
    render(&app, &signed_in, &fund, &form, &[], done).await
}

async fn render(
    app: &App,
    signed_in: &SignedIn,
    fund: &str,
    form: &ProxyForm,
    errors: &[FieldError],
    done: bool,
) -> Response {
    let answer = gql::read::<Answer>(app, signed_in, PROXIES, json!({ "id": fund })).await;
    let proxies = match answer {
        Ok(Answer {
            managed_fund: Some(proxies),
        }) => proxies,
        Ok(_) => return problem_page(Some(signed_in), &Problem::new("NOT_FOUND", "no such fund")),
        Err(problem) => return problem_page(Some(signed_in), &problem),
    };
    let body = html! {
        (done_banner(done.then_some("Outcome proxy set")))
        span class="govuk-caption-l" { (proxies.name) }
        h1 class="govuk-heading-l" { "Outcome proxies" }
        p class="govuk-body" { "The indicators grantees report outcomes against, and how the fund values each one in its social return." }
        (proxy_table(&proxies.outcome_proxies))
        (proxy_form(signed_in, fund, form, errors))
        p class="govuk-body" { a class="govuk-link" href=(fund_path(fund)) { "Back to the fund" } }
    };
    form_page(signed_in, "Outcome proxies", errors, body)
}

fn proxy_table(proxies: &[Proxy]) -> Markup {
    let rows: Vec<Vec<Markup>> = proxies
        .iter()
        .map(|proxy| {
            vec![
                html! { (proxy.indicator) },
                html! { (proxy.unit) },
                html! { (pounds(&proxy.value_per_unit)) },
                html! { (percent_words(&proxy.deadweight)) },
                html! { (percent_words(&proxy.attribution)) },
                html! { (percent_words(&proxy.displacement)) },
                html! { (percent_words(&proxy.drop_off)) },
                html! { (proxy.duration_years) },
                html! { (proxy.set_on.as_deref().map(date_words).unwrap_or_default()) },
            ]
        })
        .collect();
    html! {
        @if rows.is_empty() {
            h2 class="govuk-heading-m" { "Current proxies" }
            p class="govuk-body" { "The fund has no outcome proxies yet: grantees cannot report outcomes until it has." }
        } @else {
            (headed_table(2, "Current proxies", &["Indicator", "Unit", "Value per unit", "Deadweight", "Attribution", "Displacement", "Drop-off", "Years", "Set on"], &rows))
        }
    }
}

fn proxy_form(signed_in: &SignedIn, fund: &str, form: &ProxyForm, errors: &[FieldError]) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="set" { "Set an outcome proxy" }
        p class="govuk-body" { "Setting an indicator that is already listed replaces it from the date it is in force." }
        form method="post" action=(format!("{}/proxies", fund_path(fund))) novalidate {
            (layout::csrf_field(&signed_in.session.csrf_token))
            (form_key_field(&form.form_key))
            (text_input(&TextInput { name: "indicator", label: "Indicator", value: &form.indicator,
                hint: Some("The outcome grantees report, for example People into work"),
                error: error_for(errors, "indicator"), ..TextInput::default() }))
            (text_input(&TextInput { name: "unit", label: "What one unit is", value: &form.unit,
                hint: Some("For example: person, hour"), error: error_for(errors, "unit"),
                width_class: Some("govuk-input--width-20"), ..TextInput::default() }))
            (text_input(&TextInput { name: "value_per_unit", label: "Value of one unit", value: &form.value_per_unit,
                hint: Some(MONEY_HINT), error: error_for(errors, "value_per_unit"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true, ..TextInput::default() }))
            @for (field, label, _, hint) in SHARES {
                (text_input(&TextInput { name: field, label, value: form.share(field), hint: Some(hint),
                    error: error_for(errors, field), width_class: Some("govuk-input--width-5"),
                    spellcheck_off: true, ..TextInput::default() }))
            }
            (text_input(&TextInput { name: "duration_years", label: "Years the outcome lasts", value: &form.duration_years,
                hint: Some("From 1 to 10"), error: error_for(errors, "duration_years"),
                width_class: Some("govuk-input--width-2"), numeric: true, ..TextInput::default() }))
            (date_input("effective", "Date it is in force from (optional)", "Leave blank for today, for example 1 4 2026",
                &form.effective(), error_for(errors, "effective")))
            (layout::button("Set outcome proxy"))
        }
    }
}

async fn set_proxy(
    State(app): State<App>,
    Path(fund): Path<String>,
    SignedInForm {
        signed_in,
        mut form,
    }: SignedInForm<ProxyForm>,
) -> Response {
    let Some(key) = idempotency_key("set-proxy", &form.form_key) else {
        form.form_key = new_form_key();
        return render(&app, &signed_in, &fund, &form, &[], false).await;
    };
    let mut input = match form.input() {
        Ok(input) => input,
        Err(errors) => return render(&app, &signed_in, &fund, &form, &errors, false).await,
    };
    input.insert("fundId".into(), json!(fund));
    input.insert("idempotencyKey".into(), json!(key));
    match gql::write(&app, &signed_in, SET, json!({ "input": input })).await {
        Ok(_) => Redirect::to(&format!("{}/proxies?done=proxy", fund_path(&fund))).into_response(),
        Err(problem) if problem.is_about_input() => {
            let fields = [
                ("valuePerUnit", "value_per_unit"),
                ("deadweight", "deadweight"),
                ("attribution", "attribution"),
                ("displacement", "displacement"),
                ("dropOff", "drop_off"),
                ("durationYears", "duration_years"),
                ("effectiveFrom", "effective"),
                ("unit", "unit"),
                ("indicator", "indicator"),
            ];
            let error = beside_field(&problem, &fields, "indicator");
            render(&app, &signed_in, &fund, &form, &[error], false).await
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}
