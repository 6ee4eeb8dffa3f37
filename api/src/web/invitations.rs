//! `/invitations/{secret}`: the page an invitation's link opens. It shows what the
//! invitation grants and who sent it; the person confirms their name and accepts (a POST,
//! so a mail scanner that fetches the link does not use it up), and is signed in. An
//! expired, withdrawn, used or unknown link gets a page saying so and what to do.
//!
//! The accept form needs no CSRF token: the secret in its address is the proof, and
//! another site that knew it could accept it anyway.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use infrastructure::accounts::{self, AccountError, Invitation};

use serde::Deserialize;

use super::layout::{error_summary, html as answer, page, FieldError};
use super::session::sign_in_and_redirect;
use crate::server::http::App;
use crate::server::people_api::errors::PeopleError;
use crate::server::people_api::manage::{actor_name, check_line};
use crate::server::people_api::scopes::{describe, scope_name};
use maud::html;

/// Where a person lands after accepting.
pub const AFTER_ACCEPTING: &str = "/work";

pub fn routes() -> Router<App> {
    Router::new().route("/invitations/{secret}", get(open).post(accept))
}

/// The page for a link that can no longer be used, with what to do instead.
fn closed_page(error: AccountError) -> Response {
    if matches!(error, AccountError::Store(_)) {
        return super::people::error_page(None, &PeopleError::from(error));
    }
    let (status, title, advice) = match error {
        AccountError::Expired(_) => (
            StatusCode::GONE,
            "This invitation has expired",
            "Ask the person who invited you to send a new invitation.",
        ),
        AccountError::AlreadyUsed(_) => (
            StatusCode::GONE,
            "This invitation has already been used",
            "If you accepted it, sign in with your email address instead.",
        ),
        AccountError::Withdrawn(_) => (
            StatusCode::GONE,
            "This invitation has been withdrawn",
            "Ask the person who invited you if you think this is a mistake.",
        ),
        AccountError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "This invitation link is not valid",
            "Check you copied the whole link from the email, or ask for a new invitation.",
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            "This invitation cannot be used",
            "Ask the person who invited you to send a new invitation.",
        ),
    };
    let body = html! {
        h1 class="govuk-heading-l" { (title) }
        p class="govuk-body" { (advice) }
        p class="govuk-body" { a class="govuk-link" href="/sign-in" { "Sign in" } }
    };
    answer(status, page(title, None, body))
}

async fn open(State(app): State<App>, Path(secret): Path<String>) -> Response {
    match accounts::invitations::open_invitation(app.state.database(), &secret).await {
        Ok(invitation) => offer_page(&app, &secret, &invitation, None, "").await,
        Err(error) => closed_page(error),
    }
}

fn name_error_summary(name_error: Option<&str>) -> maud::Markup {
    let errors: Vec<FieldError> = name_error
        .map(|message| FieldError::new("name", message))
        .into_iter()
        .collect();
    error_summary(&errors)
}

/// What the invitation grants, who sent it, to which email, until when.
fn grant_summary(what: &str, sender: &str, invitation: &Invitation) -> maud::Markup {
    html! {
        dl class="govuk-summary-list" {
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Role" }
                dd class="govuk-summary-list__value" { (what) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Invited by" }
                dd class="govuk-summary-list__value" { (sender) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Email" }
                dd class="govuk-summary-list__value" { (invitation.email.clone().unwrap_or_default()) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Expires" }
                dd class="govuk-summary-list__value" { (super::people::date_time(invitation.expires_at)) }
            }
        }
    }
}

async fn offer_page(
    app: &App,
    secret: &str,
    invitation: &Invitation,
    name_error: Option<&str>,
    name: &str,
) -> Response {
    let described = async {
        let scope = scope_name(&app.state, &invitation.role).await?;
        let sender = actor_name(&app.state, &invitation.invited_by).await?;
        let known = match &invitation.email {
            Some(email) => accounts::people::person_by_email(app.state.database(), email).await?,
            None => None,
        };
        Ok::<_, PeopleError>((scope, sender, known))
    };
    let (scope, sender, known) = match described.await {
        Ok(described) => described,
        Err(error) => return super::people::error_page(None, &error),
    };
    let what = describe(invitation.role.role, &scope);
    let name = match (name, &known) {
        ("", Some(person)) => person.name.clone().unwrap_or_default(),
        (name, _) => name.to_string(),
    };
    let group = if name_error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    let body = html! {
        (name_error_summary(name_error))
        h1 class="govuk-heading-l" { "You're invited to be " (what) }
        (grant_summary(&what, &sender, invitation))
        form method="post" action=(format!("/invitations/{secret}")) novalidate {
            div class=(group) {
                label class="govuk-label govuk-label--s" for="name" { "Your name" }
                div class="govuk-hint" id="name-hint" { "As the fund's officers and panel will see it." }
                @if let Some(message) = name_error {
                    p id="name-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (message) }
                }
                input class="govuk-input" id="name" name="name" type="text" value=(name)
                    autocomplete="name" spellcheck="false"
                    aria-describedby=(if name_error.is_some() { "name-hint name-error" } else { "name-hint" });
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Accept invitation" }
        }
    };
    let status = if name_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let title = if name_error.is_some() {
        "Error: Accept your invitation"
    } else {
        "Accept your invitation"
    };
    answer(status, page(title, None, body))
}

#[derive(Debug, Deserialize)]
struct AcceptForm {
    #[serde(default)]
    name: String,
}

async fn accept(
    State(app): State<App>,
    Path(secret): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let name = form.name.trim();
    let problem = if name.is_empty() {
        Some("Enter your name".to_string())
    } else {
        check_line("name", name).err().map(|error| error.message())
    };
    if let Some(problem) = problem {
        return match accounts::invitations::open_invitation(app.state.database(), &secret).await {
            Ok(invitation) => offer_page(&app, &secret, &invitation, Some(&problem), name).await,
            Err(error) => closed_page(error),
        };
    }
    match accounts::invitations::accept_invitation(app.state.database(), &secret, Some(name)).await
    {
        Ok((person, _role)) => {
            if person.name.as_deref() != Some(name) {
                // An existing person confirms or corrects their name on accepting.
                if let Err(error) =
                    accounts::people::rename_person(app.state.database(), &person.id, name).await
                {
                    return super::people::error_page(None, &error.into());
                }
            }
            sign_in_and_redirect(&app, &person, "invitation", AFTER_ACCEPTING).await
        }
        Err(error) => closed_page(error),
    }
}
