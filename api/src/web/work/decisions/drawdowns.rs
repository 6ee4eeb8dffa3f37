//! `/manage/awards/{award}/drawdowns/{drawdown}`: the request (amount, purpose, when),
//! what the award has available to draw; approve it (a confirm page), reject it (a
//! reason), and once approved record its payment (paid-on date, payment reference; check
//! your answers). Refusals (over the award, already paid) are the ledger's, shown clearly.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::award::{load_award, AwardView, DrawdownView};
use crate::server::http::App;
use crate::web::layout::{self, FieldError, TextInput};
use crate::web::session::{SignedIn, SignedInForm};
use crate::web::work::forms::{encode, idempotency_key};
use crate::web::work::gql::{self, problem_page, Problem};
use crate::web::work::widgets::{self, Fields};

const APPROVE: &str =
    "mutation($input: DrawdownInput!) { approveDrawdown(input: $input) { position } }";
const REJECT: &str =
    "mutation($input: RejectDrawdownInput!) { rejectDrawdown(input: $input) { position } }";
const PAY: &str =
    "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { position } }";

/// An award with one of its drawdowns.
struct Loaded {
    award: AwardView,
    drawdown: DrawdownView,
}

impl Loaded {
    fn link(&self) -> String {
        format!(
            "/manage/awards/{}/drawdowns/{}",
            encode(&self.award.id),
            encode(&self.drawdown.id)
        )
    }
}

async fn load(
    app: &App,
    signed_in: &SignedIn,
    award: &str,
    drawdown: &str,
) -> Result<Loaded, Problem> {
    let mut award = load_award(app, signed_in, award).await?;
    let index = award
        .drawdowns
        .iter()
        .position(|candidate| candidate.id == drawdown)
        .ok_or_else(|| Problem::new("NOT_FOUND", "no such drawdown"))?;
    let drawdown = award.drawdowns.remove(index);
    Ok(Loaded { award, drawdown })
}

macro_rules! loaded_or_page {
    ($app:expr, $signed_in:expr, $ids:expr) => {
        match load(&$app, &$signed_in, &$ids.0, &$ids.1).await {
            Ok(loaded) => loaded,
            Err(problem) => return problem_page(Some(&$signed_in), &problem),
        }
    };
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn drawdown_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(ids): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    let banner = match done.done.as_deref() {
        Some("approved") => Some("Drawdown approved"),
        Some("rejected") => Some("Drawdown rejected"),
        Some("paid") => Some("Payment recorded"),
        _ => None,
    };
    let drawdown = &loaded.drawdown;
    let body = html! {
        @if let Some(banner) = banner {
            (layout::notification_banner("Success", banner, html! {}, true))
        }
        (widgets::back_link(&format!("/manage/awards/{}", encode(&loaded.award.id)), "Back to the award"))
        span class="govuk-caption-l" { (loaded.award.title) " – " (loaded.award.recipient_name) }
        h1 class="govuk-heading-l" { "Drawdown of " (widgets::money(&drawdown.amount)) }
        (layout::summary_list(&summary_rows(&loaded)))
        @match drawdown.status.as_str() {
            "REQUESTED" => div class="govuk-button-group" {
                a class="govuk-button" href=(format!("{}/approve", loaded.link())) { "Approve" }
                a class="govuk-button govuk-button--warning" href=(format!("{}/reject", loaded.link())) { "Reject" }
            },
            "APPROVED" => div class="govuk-button-group" {
                a class="govuk-button" href=(format!("{}/pay", loaded.link())) { "Record the payment" }
            },
            _ => {},
        }
    };
    let title = format!("Drawdown of {}", widgets::money(&drawdown.amount));
    layout::html(
        StatusCode::OK,
        layout::page(&title, signed_in.frame(), body),
    )
}

fn summary_rows(loaded: &Loaded) -> Vec<layout::SummaryRow> {
    let drawdown = &loaded.drawdown;
    let mut rows = vec![
        widgets::row("Status", widgets::status_tag(&drawdown.status)),
        widgets::text_row("Amount", &widgets::money(&drawdown.amount)),
        widgets::row("What it is for", widgets::prose(&drawdown.purpose)),
        widgets::text_row("Requested on", &widgets::date(&drawdown.requested_on)),
    ];
    if let Some(decided) = &drawdown.decided_on {
        rows.push(widgets::text_row("Decided on", &widgets::date(decided)));
    }
    if let Some(paid) = &drawdown.paid_on {
        rows.push(widgets::text_row("Paid on", &widgets::date(paid)));
    }
    if let Some(reference) = &drawdown.payment_ref {
        rows.push(widgets::text_row("Payment reference", reference));
    }
    if let Some(reason) = &drawdown.reason {
        rows.push(widgets::row("Why it was rejected", widgets::prose(reason)));
    }
    rows.push(widgets::text_row(
        "Award",
        &widgets::money(&loaded.award.awarded),
    ));
    rows.push(widgets::text_row(
        "Paid on the award so far",
        &widgets::money(&loaded.award.paid),
    ));
    rows.push(widgets::text_row(
        "Available to draw",
        &widgets::money(&loaded.award.available_to_draw),
    ));
    rows
}

// ---------------------------------------------------------------- approve

fn approve_page(signed_in: &SignedIn, loaded: &Loaded, errors: &[FieldError]) -> Response {
    let body = html! {
        (widgets::back_link(&loaded.link(), "Back to the drawdown"))
        span class="govuk-caption-l" { (loaded.award.title) }
        h1 class="govuk-heading-l" { "Approve the drawdown" }
        (layout::summary_list(&[
            widgets::text_row("Group", &loaded.award.recipient_name),
            widgets::text_row("Amount", &widgets::money(&loaded.drawdown.amount)),
            widgets::row("What it is for", widgets::prose(&loaded.drawdown.purpose)),
            widgets::text_row("Available to draw", &widgets::money(&loaded.award.available_to_draw)),
        ]))
        p class="govuk-body" { "Approving commits the money for payment. Record the payment once it is made." }
        (layout::post_form(&format!("{}/approve", loaded.link()), &signed_in.session.csrf_token, html! {
            (Fields::new().key_field())
            button id="approve" type="submit" class="govuk-button" data-module="govuk-button" { "Approve the drawdown" }
        }))
    };
    widgets::form_page(signed_in, "Approve the drawdown", errors, body)
}

pub async fn approve_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(ids): Path<(String, String)>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    if loaded.drawdown.status != "REQUESTED" {
        return Redirect::to(&loaded.link()).into_response();
    }
    approve_page(&signed_in, &loaded, &[])
}

fn input(loaded: &Loaded, key: &str) -> serde_json::Value {
    json!({ "awardId": loaded.award.id, "drawdownId": loaded.drawdown.id, "idempotencyKey": key })
}

fn done(loaded: &Loaded, what: &str) -> Response {
    Redirect::to(&format!("{}?done={what}", loaded.link())).into_response()
}

pub async fn approve_post(
    State(app): State<App>,
    Path(ids): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    let Some(key) = idempotency_key("approve-drawdown", form.get("form_key")) else {
        return approve_page(&signed_in, &loaded, &[]);
    };
    match gql::write(
        &app,
        &signed_in,
        APPROVE,
        json!({ "input": input(&loaded, &key) }),
    )
    .await
    {
        Ok(_) => done(&loaded, "approved"),
        Err(problem) if problem.is_about_input() => approve_page(
            &signed_in,
            &loaded,
            &[FieldError::new("approve", problem.sentence())],
        ),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

// ---------------------------------------------------------------- reject

fn reject_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let body = html! {
        (widgets::back_link(&loaded.link(), "Back to the drawdown"))
        span class="govuk-caption-l" { (loaded.award.title) }
        h1 class="govuk-heading-l" { "Reject the drawdown of " (widgets::money(&loaded.drawdown.amount)) }
        (layout::post_form(&format!("{}/reject", loaded.link()), &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (widgets::textarea("reason", "Why it is rejected", Some("The group will see this."), fields.get("reason"), layout::error_for(errors, "reason")))
            (layout::warning_button("Reject the drawdown"))
        }))
    };
    widgets::form_page(signed_in, "Reject the drawdown", errors, body)
}

pub async fn reject_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(ids): Path<(String, String)>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    if loaded.drawdown.status != "REQUESTED" {
        return Redirect::to(&loaded.link()).into_response();
    }
    reject_page(&signed_in, &loaded, &Fields::new(), &[])
}

pub async fn reject_post(
    State(app): State<App>,
    Path(ids): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    let reason = form.get("reason").trim().to_string();
    if reason.is_empty() {
        let errors = [FieldError::new(
            "reason",
            "Enter why the drawdown is rejected",
        )];
        return reject_page(&signed_in, &loaded, &form, &errors);
    }
    let Some(key) = idempotency_key("reject-drawdown", form.get("form_key")) else {
        return reject_page(&signed_in, &loaded, &Fields::new(), &[]);
    };
    let mut input = input(&loaded, &key);
    input["reason"] = json!(reason);
    match gql::write(&app, &signed_in, REJECT, json!({ "input": input })).await {
        Ok(_) => done(&loaded, "rejected"),
        Err(problem) if problem.is_about_input() => reject_page(
            &signed_in,
            &loaded,
            &form,
            &[FieldError::new("reason", problem.sentence())],
        ),
        Err(problem) => problem_page(Some(&signed_in), &problem),
    }
}

// ---------------------------------------------------------------- payment

fn pay_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    fields: &Fields,
    errors: &[FieldError],
) -> Response {
    let body = html! {
        (widgets::back_link(&loaded.link(), "Back to the drawdown"))
        span class="govuk-caption-l" { (loaded.award.title) }
        h1 class="govuk-heading-l" { "Record the payment" }
        (layout::summary_list(&[
            widgets::text_row("Group", &loaded.award.recipient_name),
            widgets::text_row("Amount paid", &widgets::money(&loaded.drawdown.amount)),
        ]))
        p class="govuk-body" { "The payment is the approved amount of the drawdown." }
        (layout::post_form(&format!("{}/pay", loaded.link()), &signed_in.session.csrf_token, html! {
            (fields.key_field())
            (widgets::date_input("paid-on", "When was it paid?", Some("For example, 27 3 2026. Not in the future."), fields, layout::error_for(errors, "paid-on-day")))
            (layout::text_input(&TextInput {
                name: "reference", label: "Payment reference",
                hint: Some("The reference on the bank transfer, so the payment can be found."),
                value: fields.get("reference"), error: layout::error_for(errors, "reference"),
                width_class: Some("govuk-input--width-20"), spellcheck_off: true,
                ..TextInput::default()
            }))
            (layout::button("Continue"))
        }))
    };
    widgets::form_page(signed_in, "Record the payment", errors, body)
}

pub async fn pay_form(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(ids): Path<(String, String)>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    if loaded.drawdown.status != "APPROVED" {
        return Redirect::to(&loaded.link()).into_response();
    }
    let mut fields = Fields::new();
    widgets::date_fields(
        &mut fields,
        "paid-on",
        &infrastructure::business_today().to_string(),
    );
    pay_page(&signed_in, &loaded, &fields, &[])
}

pub async fn pay_post(
    State(app): State<App>,
    Path(ids): Path<(String, String)>,
    SignedInForm { signed_in, form }: SignedInForm<Fields>,
) -> Response {
    let loaded = loaded_or_page!(app, signed_in, ids);
    let mut errors = Vec::new();
    let paid_on = widgets::read_date(&form, "paid-on", "the date paid")
        .map_err(|message| errors.push(FieldError::new("paid-on-day", message)))
        .ok();
    let reference = form.get("reference").trim().to_string();
    if reference.is_empty() {
        errors.push(FieldError::new("reference", "Enter the payment reference"));
    }
    let (Some(paid_on), true) = (paid_on, errors.is_empty()) else {
        return pay_page(&signed_in, &loaded, &form, &errors);
    };
    match form.get("step") {
        "change" => pay_page(&signed_in, &loaded, &form, &[]),
        "confirm" => {
            let Some(key) = idempotency_key("pay", form.get("form_key")) else {
                return pay_page(&signed_in, &loaded, &Fields::new(), &[]);
            };
            let mut input = input(&loaded, &key);
            input["paidOn"] = json!(paid_on);
            input["paymentRef"] = json!(reference);
            match gql::write(&app, &signed_in, PAY, json!({ "input": input })).await {
                Ok(_) => done(&loaded, "paid"),
                Err(problem) if problem.is_about_input() => {
                    let field = if problem.message.contains("paymentRef") {
                        "reference"
                    } else {
                        "paid-on-day"
                    };
                    pay_page(
                        &signed_in,
                        &loaded,
                        &form,
                        &[FieldError::new(field, problem.sentence())],
                    )
                }
                Err(problem) => problem_page(Some(&signed_in), &problem),
            }
        }
        _ => {
            let action = format!("{}/pay", loaded.link());
            let check = widgets::Check {
                title: "Check the payment before recording it",
                caption: &loaded.award.title,
                action: &action,
                rows: vec![
                    widgets::text_row("Group", &loaded.award.recipient_name),
                    widgets::text_row("Amount paid", &widgets::money(&loaded.drawdown.amount)),
                    widgets::text_row("Paid on", &widgets::date(&paid_on)),
                    widgets::text_row("Payment reference", &reference),
                ],
                warning: Some(
                    "A payment cannot be undone; money given back is recorded as a return.",
                ),
                confirm: "Record the payment",
            };
            widgets::check_answers_page(&signed_in, check, &form)
        }
    }
}
