//! `/manage/funds/{fundId}/people`: a fund's officers see who holds which role, the open
//! invitations (withdraw), invite someone (rounds and organisations chosen by name), and
//! remove a role after a confirm page. The same use cases as GraphQL
//! (`server::people_api::manage`); every POST carries the session's CSRF token.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::FundId;
use infrastructure::accounts::{self, PersonId, RoleKind, Roles, ScopedRole};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::page;
use super::session::{csrf_matches, SignedIn, CSRF_FIELD};
use crate::server::http::App;
use crate::server::people_api::errors::PeopleError;
use crate::server::people_api::mail;
use crate::server::people_api::manage::{self, Caller, FundPeople, InviteRequest};
use crate::server::people_api::scopes::describe;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/manage/funds/{fund_id}/people", get(people_page))
        .route("/manage/funds/{fund_id}/people/invite", post(invite))
        .route(
            "/manage/funds/{fund_id}/invitations/{invitation_id}/withdraw",
            post(withdraw),
        )
        .route(
            "/manage/funds/{fund_id}/people/remove",
            get(confirm_remove).post(remove),
        )
}

fn people_path(fund: &str) -> String {
    format!("/manage/funds/{}/people", urlencode(fund))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The signed-in person as the people rules see them: roles read now.
pub(crate) async fn caller_of(app: &App, signed_in: &SignedIn) -> Result<Caller, PeopleError> {
    let grants = accounts::grants::live_roles(app.state.database(), &signed_in.person.id).await?;
    Ok(Caller {
        actor: signed_in.person.id.actor(),
        roles: Roles::from_grants(&grants),
    })
}

/// A refusal or failure as a page, with the status its code means.
pub(crate) fn error_page(signed_in: Option<&SignedIn>, error: &PeopleError) -> Response {
    let (status, title) = match error.code() {
        "FORBIDDEN" => (StatusCode::FORBIDDEN, "You cannot do this"),
        "NOT_FOUND" => (StatusCode::NOT_FOUND, "Page not found"),
        "UNAVAILABLE" => (StatusCode::SERVICE_UNAVAILABLE, "Sorry, try again shortly"),
        "BAD_INPUT" | "CONFLICT" => (StatusCode::BAD_REQUEST, "This could not be done"),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem",
        ),
    };
    let body = html! {
        h1 class="govuk-heading-l" { (title) }
        p class="govuk-body" { (error.message()) }
    };
    let who = signed_in.map(|s| (&s.person, s.session.csrf_token.as_str()));
    (status, Html(page(title, who, body).into_string())).into_response()
}

fn csrf_refused(signed_in: &SignedIn) -> Response {
    error_page(
        Some(signed_in),
        &PeopleError::Forbidden(
            "the form was out of date or not sent from this site; go back, reload the page \
             and try again"
                .into(),
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
struct Notice {
    done: Option<String>,
    email: Option<String>,
}

async fn people_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund_id): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    render_people(
        &app,
        &signed_in,
        &fund_id,
        notice,
        InviteForm::default(),
        &[],
    )
    .await
}

/// The invite form as sent (kept to show it again with its errors).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    round_id: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    organisation_name: String,
}

/// A form error: the field's id and the message.
type FieldError = (&'static str, String);

async fn render_people(
    app: &App,
    signed_in: &SignedIn,
    fund_id: &str,
    notice: Notice,
    form: InviteForm,
    errors: &[FieldError],
) -> Response {
    let fund = FundId::new(fund_id);
    let listed = match caller_of(app, signed_in).await {
        Ok(caller) => manage::fund_people(&app.state, &caller, &fund).await,
        Err(error) => Err(error),
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(Some(signed_in), &error),
    };
    let fund_name = crate::server::people_api::scopes::fund_name(&app.state, &fund)
        .await
        .unwrap_or_else(|_| fund.to_string());
    let csrf = signed_in.session.csrf_token.as_str();
    let body = html! {
        @if !errors.is_empty() { (error_summary(errors)) }
        @if let Some(done) = notice.done.as_deref() { (banner(done, notice.email.as_deref())) }
        span class="govuk-caption-l" { (fund_name) }
        h1 class="govuk-heading-l" { "People" }
        (people_table(fund_id, &listed))
        (invitations_table(fund_id, &listed, csrf))
        (invite_form(fund_id, &listed, &form, errors, csrf))
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let title = if errors.is_empty() {
        "People".to_string()
    } else {
        "Error: People".to_string()
    };
    (
        status,
        Html(page(&title, Some((&signed_in.person, csrf)), body).into_string()),
    )
        .into_response()
}

fn error_summary(errors: &[FieldError]) -> Markup {
    html! {
        div class="govuk-error-summary" data-module="govuk-error-summary" {
            div role="alert" {
                h2 class="govuk-error-summary__title" { "There is a problem" }
                div class="govuk-error-summary__body" {
                    ul class="govuk-list govuk-error-summary__list" {
                        @for (field, message) in errors {
                            li { a href=(format!("#{field}")) { (message) } }
                        }
                    }
                }
            }
        }
    }
}

fn banner(done: &str, email: Option<&str>) -> Markup {
    let text = match done {
        "invited" => format!("Invitation sent to {}", email.unwrap_or("them")),
        "already-invited" => format!(
            "{} already has an open invitation to that role; it was not sent again",
            email.unwrap_or("They")
        ),
        "withdrawn" => "Invitation withdrawn".to_string(),
        "removed" => "Role removed".to_string(),
        _ => return html! {},
    };
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
            aria-labelledby="banner-title" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="banner-title" { "Success" }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" { (text) }
            }
        }
    }
}

fn role_label(role: RoleKind, scope_name: &str) -> String {
    match role {
        RoleKind::Owner => "Owner".to_string(),
        RoleKind::Officer => format!("Officer of {scope_name}"),
        RoleKind::Panel => format!("Panel member of {scope_name}"),
        RoleKind::Member => format!("Member of {scope_name}"),
    }
}

fn remove_link(fund_id: &str, person: &PersonId, role: &ScopedRole) -> String {
    format!(
        "{}/remove?person_id={}&role={}&scope={}",
        people_path(fund_id),
        urlencode(person.as_str()),
        role.role,
        urlencode(&role.scope)
    )
}

fn people_table(fund_id: &str, listed: &FundPeople) -> Markup {
    html! {
        table class="govuk-table" {
            caption class="govuk-table__caption govuk-table__caption--m" { "Who has a role" }
            thead class="govuk-table__head" {
                tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "Name" }
                    th scope="col" class="govuk-table__header" { "Email" }
                    th scope="col" class="govuk-table__header" { "Roles" }
                }
            }
            tbody class="govuk-table__body" {
                @for entry in &listed.people {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (entry.person.display_name()) }
                        td class="govuk-table__cell" { (entry.person.email.clone().unwrap_or_default()) }
                        td class="govuk-table__cell" {
                            ul class="govuk-list" {
                                @for (role, scope_name) in &entry.roles {
                                    li {
                                        (role_label(role.role, scope_name)) " "
                                        a class="govuk-link" href=(remove_link(fund_id, &entry.person.id, role)) {
                                            "Remove" span class="govuk-visually-hidden" {
                                                " " (entry.person.display_name()) " as " (role_label(role.role, scope_name))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn invitations_table(fund_id: &str, listed: &FundPeople, csrf: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Open invitations" }
        @if listed.invitations.is_empty() {
            p class="govuk-body" { "There are no open invitations." }
        } @else {
            table class="govuk-table" {
                caption class="govuk-visually-hidden" { "Open invitations" }
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Email" }
                        th scope="col" class="govuk-table__header" { "Role" }
                        th scope="col" class="govuk-table__header" { "Expires" }
                        th scope="col" class="govuk-table__header" { span class="govuk-visually-hidden" { "Action" } }
                    }
                }
                tbody class="govuk-table__body" {
                    @for named in &listed.invitations {
                        @let email = named.invitation.email.clone().unwrap_or_default();
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (email) }
                            td class="govuk-table__cell" { (role_label(named.invitation.role.role, &named.scope_name)) }
                            td class="govuk-table__cell" { (date_time(named.invitation.expires_at)) }
                            td class="govuk-table__cell" {
                                form method="post" action=(format!("/manage/funds/{}/invitations/{}/withdraw", urlencode(fund_id), urlencode(&named.invitation.invitation_id))) {
                                    input type="hidden" name=(CSRF_FIELD) value=(csrf);
                                    button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button" {
                                        "Withdraw" span class="govuk-visually-hidden" { " the invitation to " (email) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn date_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%-d %B %Y, %H:%M UTC")
        .to_string()
}

fn field_error(errors: &[FieldError], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|(id, _)| *id == field)
        .map(|(_, message)| message.clone())
}

fn text_field(
    id: &'static str,
    label: &str,
    value: &str,
    kind: &str,
    errors: &[FieldError],
) -> Markup {
    let error = field_error(errors, id);
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    html! {
        div class=(group) {
            label class="govuk-label" for=(id) { (label) }
            @if let Some(message) = &error {
                p id=(format!("{id}-error")) class="govuk-error-message" {
                    span class="govuk-visually-hidden" { "Error: " } (message)
                }
            }
            input class="govuk-input" id=(id) name=(id) type=(kind) value=(value)
                spellcheck="false" autocomplete=(if kind == "email" { "off" } else { "off" })
                aria-describedby=[error.as_ref().map(|_| format!("{id}-error"))];
        }
    }
}

fn select_field(
    id: &'static str,
    label: &str,
    choices: &[(String, String)],
    chosen: &str,
    errors: &[FieldError],
) -> Markup {
    let error = field_error(errors, id);
    let group = if error.is_some() {
        "govuk-form-group govuk-form-group--error"
    } else {
        "govuk-form-group"
    };
    html! {
        div class=(group) {
            label class="govuk-label" for=(id) { (label) }
            @if let Some(message) = &error {
                p id=(format!("{id}-error")) class="govuk-error-message" {
                    span class="govuk-visually-hidden" { "Error: " } (message)
                }
            }
            select class="govuk-select" id=(id) name=(id) {
                option value="" { "Choose…" }
                @for (value, text) in choices {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        }
    }
}

fn invite_form(
    fund_id: &str,
    listed: &FundPeople,
    form: &InviteForm,
    errors: &[FieldError],
    csrf: &str,
) -> Markup {
    let rounds: Vec<(String, String)> = listed
        .rounds
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    let mut orgs: Vec<(String, String)> = listed
        .organisations
        .iter()
        .map(|(id, name)| (id.to_string(), format!("{name} ({id})")))
        .collect();
    orgs.push((
        "new".into(),
        "A new group with no registration (name it below)".into(),
    ));
    let role_error = field_error(errors, "role");
    html! {
        h2 class="govuk-heading-m" id="invite" { "Invite someone" }
        form method="post" action=(format!("{}/invite", people_path(fund_id))) novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            (text_field("email", "Email address", &form.email, "email", errors))
            (text_field("name", "Name (optional)", &form.name, "text", errors))
            div class=(if role_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }) {
                fieldset class="govuk-fieldset" {
                    legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "Role" }
                    @if let Some(message) = &role_error {
                        p id="role-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (message) }
                    }
                    div class="govuk-radios" data-module="govuk-radios" id="role" {
                        @for (value, text) in [("officer", "Officer of this fund"), ("panel", "Panel member of a round"), ("member", "Member of an organisation")] {
                            div class="govuk-radios__item" {
                                input class="govuk-radios__input" id=(format!("role-{value}")) name="role" type="radio" value=(value) checked[form.role == value];
                                label class="govuk-label govuk-radios__label" for=(format!("role-{value}")) { (text) }
                            }
                        }
                    }
                }
            }
            (select_field("round_id", "Round (for a panel member)", &rounds, &form.round_id, errors))
            (select_field("organisation", "Organisation (for a member)", &orgs, &form.organisation, errors))
            (text_field("organisation_name", "Name of the new group (for a new group)", &form.organisation_name, "text", errors))
            button type="submit" class="govuk-button" data-module="govuk-button" { "Send invitation" }
        }
    }
}

/// The form's own checks, each tied to its field, before the use case runs.
fn check_invite_form(form: &InviteForm) -> (Option<RoleKind>, Vec<FieldError>) {
    let mut errors = Vec::new();
    if let Err(error) = accounts::normalise_email(&form.email) {
        errors.push(("email", error.to_string()));
    }
    let role = match form.role.as_str() {
        "officer" => Some(RoleKind::Officer),
        "panel" => Some(RoleKind::Panel),
        "member" => Some(RoleKind::Member),
        _ => {
            errors.push(("role", "Choose the role to invite them to".to_string()));
            None
        }
    };
    if role == Some(RoleKind::Panel) && form.round_id.is_empty() {
        errors.push((
            "round_id",
            "Choose the round they will be a panel member of".into(),
        ));
    }
    if role == Some(RoleKind::Member) {
        if form.organisation.is_empty() {
            errors.push((
                "organisation",
                "Choose the organisation, or a new group".into(),
            ));
        } else if form.organisation == "new" && form.organisation_name.trim().is_empty() {
            errors.push((
                "organisation_name",
                "Enter the name of the new group".into(),
            ));
        }
    }
    (role, errors)
}

async fn invite(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund_id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    if !csrf_matches(&signed_in.session, &form.csrf_token) {
        return csrf_refused(&signed_in);
    }
    let (role, errors) = check_invite_form(&form);
    if !errors.is_empty() {
        return render_people(&app, &signed_in, &fund_id, Notice::default(), form, &errors).await;
    }
    let new_group = form.organisation == "new";
    let request = InviteRequest {
        email: form.email.clone(),
        name: Some(form.name.clone()).filter(|name| !name.trim().is_empty()),
        role,
        fund_id: Some(fund_id.clone()),
        round_id: Some(form.round_id.clone()),
        organisation_id: Some(form.organisation.clone()).filter(|_| !new_group),
        organisation_name: Some(form.organisation_name.clone()).filter(|_| new_group),
    };
    let result = match caller_of(&app, &signed_in).await {
        Ok(caller) => invite_and_mail(&app, &caller, &request).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(created) => {
            let done = if created {
                "invited"
            } else {
                "already-invited"
            };
            let email = accounts::normalise_email(&form.email).unwrap_or_default();
            let to = format!(
                "{}?done={done}&email={}",
                people_path(&fund_id),
                urlencode(&email)
            );
            Redirect::to(&to).into_response()
        }
        Err(PeopleError::BadInput(message)) => {
            let errors = [("email", message)];
            render_people(&app, &signed_in, &fund_id, Notice::default(), form, &errors).await
        }
        Err(error) => error_page(Some(&signed_in), &error),
    }
}

async fn invite_and_mail(
    app: &App,
    caller: &Caller,
    request: &InviteRequest,
) -> Result<bool, PeopleError> {
    let (named, secret) = manage::invite(&app.state, caller, request).await?;
    if let Some(secret) = &secret {
        mail::send_invitation(&app.state, caller, &named, request.name.as_deref(), secret).await?;
    }
    Ok(secret.is_some())
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn withdraw(
    State(app): State<App>,
    signed_in: SignedIn,
    Path((fund_id, invitation_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !csrf_matches(&signed_in.session, &form.csrf_token) {
        return csrf_refused(&signed_in);
    }
    let result = match caller_of(&app, &signed_in).await {
        Ok(caller) => manage::withdraw(&app.state, &caller, &invitation_id).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Redirect::to(&format!("{}?done=withdrawn", people_path(&fund_id))).into_response(),
        Err(error) => error_page(Some(&signed_in), &error),
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf_token: String,
    person_id: String,
    role: String,
    #[serde(default)]
    scope: String,
}

impl RemoveForm {
    fn role(&self) -> Result<ScopedRole, PeopleError> {
        let role = self
            .role
            .parse::<RoleKind>()
            .map_err(PeopleError::BadInput)?;
        Ok(ScopedRole {
            role,
            scope: self.scope.trim().to_string(),
        })
    }
}

async fn confirm_remove(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund_id): Path<String>,
    Query(form): Query<RemoveForm>,
) -> Response {
    let checked = async {
        let role = form.role()?;
        let caller = caller_of(&app, &signed_in).await?;
        manage::require_officer(&app.state, &caller, &FundId::new(&fund_id)).await?;
        let person =
            accounts::people::person(app.state.database(), &PersonId::new(&form.person_id))
                .await?
                .ok_or_else(|| {
                    PeopleError::NotFound(format!("person {} not found", form.person_id))
                })?;
        let scope_name = crate::server::people_api::scopes::scope_name(&app.state, &role).await?;
        Ok::<_, PeopleError>((role, person, scope_name))
    };
    let (role, person, scope_name) = match checked.await {
        Ok(found) => found,
        Err(error) => return error_page(Some(&signed_in), &error),
    };
    let csrf = signed_in.session.csrf_token.as_str();
    let what = describe(role.role, &scope_name);
    let body = html! {
        h1 class="govuk-heading-l" { "Remove " (person.display_name()) " as " (what) "?" }
        p class="govuk-body" { "They will no longer be able to act as " (what) ", from their next request." }
        form method="post" action=(format!("{}/remove", people_path(&fund_id))) {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
            input type="hidden" name="person_id" value=(person.id.as_str());
            input type="hidden" name="role" value=(role.role.as_str());
            input type="hidden" name="scope" value=(role.scope);
            div class="govuk-button-group" {
                button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Remove role" }
                a class="govuk-link" href=(people_path(&fund_id)) { "Cancel" }
            }
        }
    };
    Html(page("Remove a role", Some((&signed_in.person, csrf)), body).into_string()).into_response()
}

async fn remove(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(fund_id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> Response {
    if !csrf_matches(&signed_in.session, &form.csrf_token) {
        return csrf_refused(&signed_in);
    }
    let result = async {
        let role = form.role()?;
        let caller = caller_of(&app, &signed_in).await?;
        manage::remove_role(
            &app.state,
            &caller,
            &PersonId::new(form.person_id.trim()),
            &role,
        )
        .await
    };
    match result.await {
        Ok(_) => Redirect::to(&format!("{}?done=removed", people_path(&fund_id))).into_response(),
        Err(error) => error_page(Some(&signed_in), &error),
    }
}
