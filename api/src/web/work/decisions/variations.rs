//! An award's changes: vary it (a new amount, a reason, new budget lines when it has
//! them; check your answers), record money returned (amount and reason; check your
//! answers), close it (a confirm page saying what happens to the undrawn part).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde_json::json;

use super::award::{
    budget_line_rows, current_lines, lines_json, load_award, read_budget_lines, AwardView,
};
use crate::server::http::App;
use crate::web::layout::{self, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{encode, idempotency_key};
use crate::web::work::gql::{self, problem_page};
use crate::web::work::money::{read_money, MONEY_HINT};
use crate::web::work::widgets::{self, Fields};

const VARY: &str = "mutation($input: VaryAwardInput!) { varyAward(input: $input) { position } }";
const RETURN: &str =
    "mutation($input: RecordReturnInput!) { recordReturn(input: $input) { position } }";
const CLOSE: &str = "mutation($input: AwardInput!) { closeAward(input: $input) { position } }";

fn award_link(award: &AwardView) -> String {
    format!("/manage/awards/{}", encode(&award.id))
}

fn done(award: &AwardView, what: &str) -> Response {
    Redirect::to(&format!("{}?done={what}", award_link(award))).into_response()
}

// ---------------------------------------------------------------- vary

fn vary_page(
    signed_in: &SignedIn,
    award: &AwardView,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let hint = format!(
        "{MONEY_HINT}. It is {} now; {} has been paid.",
        widgets::money(&award.awarded),
        widgets::money(&award.paid)
    );
    let body = html! {
        (widgets::back_link(&award_link(award), "Back to the award"))
        span class="govuk-caption-l" { (award.title) }
        h1 class="govuk-heading-l" { "Vary the award" }
        p class="govuk-body" { "A cut gives the difference back to the round's budget; an increase takes it from the round's budget." }
        (layout::post_form(&format!("{}/vary", award_link(award)), &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (layout::text_input(&TextInput {
                name: "amount", label: "New amount", hint: Some(&hint),
                value: fields.get("amount"), error: layout::error_for(errors, "amount"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true,
                ..TextInput::default()
            }))
            (widgets::textarea("reason", "Why it is varied", None, fields.get("reason"), layout::error_for(errors, "reason")))
            (budget_line_rows(fields, errors, "New budget lines",
                "If the award has budget lines, give the new ones, adding up to the new amount. Otherwise you may leave them empty."))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Vary the award", errors, body)
}

pub async fn vary_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match load_award(&app, &signed_in, &id).await {
        Ok(award) => {
            let mut fields = Fields::new();
            current_lines(&award, &mut fields);
            vary_page(&signed_in, &award, &fields, &[])
        }
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

pub async fn vary_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let award = match load_award(&app, &signed_in, &id).await {
        Ok(award) => award,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let mut errors = Vec::new();
    let amount = read_money("New amount", form.get("amount"))
        .map_err(|message| errors.push(FieldError::new("amount", message)))
        .ok();
    let reason = form.get("reason").trim().to_string();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "Enter why the award is varied"));
    }
    let lines = read_budget_lines(&form, &mut errors);
    let (Some(amount), true) = (amount, errors.is_empty()) else {
        return vary_page(&signed_in, &award, &form, &errors);
    };
    match form.get("step") {
        "change" => vary_page(&signed_in, &award, &form, &[]),
        "confirm" => {
            let Some(key) = idempotency_key("vary", form.get("form_key")) else {
                return vary_page(&signed_in, &award, &Fields::new(), &[]);
            };
            let mut input = json!({ "awardId": award.id, "newAmount": amount.to_plain_string(), "reason": reason, "idempotencyKey": key });
            if !lines.is_empty() {
                input["budgetLines"] = lines_json(&lines);
            }
            match gql::write(&app, &signed_in, VARY, json!({ "input": input })).await {
                Ok(_) => done(&award, "varied"),
                Err(problem) if problem.is_about_input() => vary_page(
                    &signed_in,
                    &award,
                    &form,
                    &[FieldError::new("amount", problem.sentence())],
                ),
                Err(problem) => problem_page(Some(&signed_in), &problem),
            }
        }
        _ => {
            let mut rows = vec![
                widgets::text_row("Amount now", &widgets::money(&award.awarded)),
                widgets::text_row("New amount", &amount.to_string()),
                widgets::row("Why", widgets::prose(&reason)),
            ];
            for line in &lines {
                rows.push(widgets::text_row(
                    &format!("Budget line: {}", line.category),
                    &line.amount.to_string(),
                ));
            }
            let action = format!("{}/vary", award_link(&award));
            let check = widgets::Check {
                title: "Check your answers before varying the award",
                caption: &award.title,
                action: &action,
                rows,
                warning: Some("The group will see the new amount and your reason."),
                confirm: "Vary the award",
            };
            widgets::check_answers_page(&signed_in, check, &form)
        }
    }
}

// ---------------------------------------------------------------- return

fn return_page(
    signed_in: &SignedIn,
    award: &AwardView,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let hint = format!(
        "{MONEY_HINT}. {} has been paid and {} returned so far.",
        widgets::money(&award.paid),
        widgets::money(&award.returned)
    );
    let body = html! {
        (widgets::back_link(&award_link(award), "Back to the award"))
        span class="govuk-caption-l" { (award.title) }
        h1 class="govuk-heading-l" { "Record money returned" }
        p class="govuk-body" { "Money the group gives back goes to the fund, not back to the award. It is recorded on today's date." }
        (layout::post_form(&format!("{}/return", award_link(award)), &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (layout::text_input(&TextInput {
                name: "amount", label: "Amount returned", hint: Some(&hint),
                value: fields.get("amount"), error: layout::error_for(errors, "amount"),
                width_class: Some("govuk-input--width-10"), spellcheck_off: true,
                ..TextInput::default()
            }))
            (widgets::textarea("reason", "Why it was returned", Some("For example, unspent at the end of the project."), fields.get("reason"), layout::error_for(errors, "reason")))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Record money returned", errors, body)
}

pub async fn return_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match load_award(&app, &signed_in, &id).await {
        Ok(award) => return_page(&signed_in, &award, &Fields::new(), &[]),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

pub async fn return_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let award = match load_award(&app, &signed_in, &id).await {
        Ok(award) => award,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let mut errors = Vec::new();
    let amount = read_money("Amount returned", form.get("amount"))
        .map_err(|message| errors.push(FieldError::new("amount", message)))
        .ok();
    let reason = form.get("reason").trim().to_string();
    if reason.is_empty() {
        errors.push(FieldError::new(
            "reason",
            "Enter why the money was returned",
        ));
    }
    let (Some(amount), true) = (amount, errors.is_empty()) else {
        return return_page(&signed_in, &award, &form, &errors);
    };
    match form.get("step") {
        "change" => return_page(&signed_in, &award, &form, &[]),
        "confirm" => {
            let Some(key) = idempotency_key("return", form.get("form_key")) else {
                return return_page(&signed_in, &award, &Fields::new(), &[]);
            };
            let input = json!({ "input": { "awardId": award.id, "amount": amount.to_plain_string(), "reason": reason, "idempotencyKey": key } });
            match gql::write(&app, &signed_in, RETURN, input).await {
                Ok(_) => done(&award, "returned"),
                Err(problem) if problem.is_about_input() => return_page(
                    &signed_in,
                    &award,
                    &form,
                    &[FieldError::new("amount", problem.sentence())],
                ),
                Err(problem) => problem_page(Some(&signed_in), &problem),
            }
        }
        _ => {
            let action = format!("{}/return", award_link(&award));
            let check = widgets::Check {
                title: "Check your answers before recording the return",
                caption: &award.title,
                action: &action,
                rows: vec![
                    widgets::text_row("Amount returned", &amount.to_string()),
                    widgets::row("Why", widgets::prose(&reason)),
                ],
                warning: None,
                confirm: "Record the return",
            };
            widgets::check_answers_page(&signed_in, check, &form)
        }
    }
}

// ---------------------------------------------------------------- close

fn close_page(signed_in: &SignedIn, award: &AwardView, errors: &[FieldError]) -> Response {
    let undrawn = match (
        award.awarded.parse::<domain::Money>(),
        award.paid.parse::<domain::Money>(),
    ) {
        (Ok(awarded), Ok(paid)) => awarded.saturating_sub(paid).to_string(),
        _ => "What has not been paid".to_string(),
    };
    let body = html! {
        (widgets::back_link(&award_link(award), "Back to the award"))
        span class="govuk-caption-l" { (award.title) }
        h1 class="govuk-heading-l" { "Close the award" }
        (layout::summary_list(&[
            widgets::text_row("Awarded", &widgets::money(&award.awarded)),
            widgets::text_row("Paid", &widgets::money(&award.paid)),
            widgets::text_row("Returned", &widgets::money(&award.returned)),
            widgets::text_row("Undrawn (goes back to the fund)", &undrawn),
        ]))
        p class="govuk-body" { "Closing ends the award. The undrawn part goes back to the fund (not to the round), and the award then counts at what it cost: paid less returned. The group can no longer draw money or report on it." }
        p class="govuk-body" { "Drawdowns still requested or approved and unpaid must be rejected or paid first." }
        (layout::warning_text("This cannot be undone."))
        (layout::post_form(&format!("{}/close", award_link(award)), &signed_in.session.csrf_token, html! {
            (Fields::new().key_field())
            button id="close" type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Close the award" }
        }))
    };
    widgets::form_page(signed_in, "Close the award", errors, body)
}

pub async fn close_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    match load_award(&app, &signed_in, &id).await {
        Ok(award) => close_page(&signed_in, &award, &[]),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

pub async fn close_post(
    State(app): State<App>,
    Path(id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let award = match load_award(&app, &signed_in, &id).await {
        Ok(award) => award,
        Err(problem) => return problem_page(Some(&signed_in), &problem),
    };
    let Some(key) = idempotency_key("close", form.get("form_key")) else {
        return close_page(&signed_in, &award, &[]);
    };
    let input = json!({ "input": { "awardId": award.id, "idempotencyKey": key } });
    match gql::write(&app, &signed_in, CLOSE, input).await {
        Ok(_) => done(&award, "closed"),
        Err(problem) if problem.is_about_input() => close_page(
            &signed_in,
            &award,
            &[FieldError::new("close", problem.sentence())],
        ),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}
