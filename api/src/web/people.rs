//! `/manage/funds/{fundId}/people`: a fund's officers see who holds which role, the open
//! invitations (withdraw), invite someone (rounds and organisations chosen by name), and
//! remove a role after a confirm page. The same use cases as GraphQL
//! (`server::people_api::manage`); every POST carries the session's CSRF token.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::FundId;
use infrastructure::accounts::{self, PersonId, RoleKind, ScopedRole};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{
    self, csrf_field, error_for, error_summary, html as answer, page, table_region, text_input,
    FieldError, TextInput,
};
use super::session::{SignedIn, SignedInForm};
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

/// The signed-in person as the people rules see them: their live roles (read on this
/// request by `SignedIn`).
pub(crate) fn caller_of(signed_in: &SignedIn) -> Caller {
    Caller {
        actor: signed_in.person.id.actor(),
        roles: signed_in.roles.clone(),
    }
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
    layout::error_page(
        status,
        title,
        layout::para(&error.message()),
        signed_in.and_then(SignedIn::frame),
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

async fn render_people(
    app: &App,
    signed_in: &SignedIn,
    fund_id: &str,
    notice: Notice,
    form: InviteForm,
    errors: &[FieldError],
) -> Response {
    let fund = FundId::new(fund_id);
    let listed = manage::fund_people(&app.state, &caller_of(signed_in), &fund).await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(error) => return error_page(Some(signed_in), &error),
    };
    let fund_name = crate::server::people_api::scopes::fund_name(&app.state, &fund)
        .await
        .unwrap_or_else(|_| fund.to_string());
    let csrf = signed_in.session.csrf_token.as_str();
    let body = html! {
        (error_summary(errors))
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
    answer(status, page(&title, signed_in.frame(), body))
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
    layout::notification_banner("Success", &text, html! {}, true)
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
    table_region(
        "Who has a role",
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
        },
    )
}

fn invitations_table(fund_id: &str, listed: &FundPeople, csrf: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Open invitations" }
        @if listed.invitations.is_empty() {
            p class="govuk-body" { "There are no open invitations." }
        } @else {
            (table_region("Open invitations", html! {
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
                                    (csrf_field(csrf))
                                    button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button" {
                                        "Withdraw" span class="govuk-visually-hidden" { " the invitation to " (email) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            }))
        }
    }
}

pub(crate) fn date_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%-d %B %Y, %H:%M UTC")
        .to_string()
}

fn text_field(name: &str, label: &str, value: &str, kind: &str, errors: &[FieldError]) -> Markup {
    text_input(&TextInput {
        name,
        label,
        value,
        error: error_for(errors, name),
        input_type: Some(kind),
        autocomplete: Some("off"),
        spellcheck_off: true,
        ..TextInput::default()
    })
}

fn select_field(
    id: &str,
    label: &str,
    choices: &[(String, String)],
    chosen: &str,
    errors: &[FieldError],
) -> Markup {
    let error = error_for(errors, id);
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
    let role_error = error_for(errors, "role");
    html! {
        h2 class="govuk-heading-m" id="invite" { "Invite someone" }
        form method="post" action=(format!("{}/invite", people_path(fund_id))) novalidate {
            (csrf_field(csrf))
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
        errors.push(FieldError::new("email", error.to_string()));
    }
    let role = match form.role.as_str() {
        "officer" => Some(RoleKind::Officer),
        "panel" => Some(RoleKind::Panel),
        "member" => Some(RoleKind::Member),
        _ => {
            errors.push(FieldError::new("role", "Choose the role to invite them to"));
            None
        }
    };
    if role == Some(RoleKind::Panel) && form.round_id.is_empty() {
        errors.push(FieldError::new(
            "round_id",
            "Choose the round they will be a panel member of",
        ));
    }
    if role == Some(RoleKind::Member) {
        if form.organisation.is_empty() {
            errors.push(FieldError::new(
                "organisation",
                "Choose the organisation, or a new group",
            ));
        } else if form.organisation == "new" && form.organisation_name.trim().is_empty() {
            errors.push(FieldError::new(
                "organisation_name",
                "Enter the name of the new group",
            ));
        }
    }
    (role, errors)
}

async fn invite(
    State(app): State<App>,
    Path(fund_id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<InviteForm>,
) -> Response {
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
    let result = invite_and_mail(&app, &caller_of(&signed_in), &request).await;
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
            let errors = [FieldError::new("email", message)];
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

/// A form with nothing but its CSRF token (checked by `SignedInForm`).
#[derive(Debug, Deserialize)]
struct NoFields {}

async fn withdraw(
    State(app): State<App>,
    Path((fund_id, invitation_id)): Path<(String, String)>,
    SignedInForm { signed_in, .. }: SignedInForm<NoFields>,
) -> Response {
    let result = manage::withdraw(&app.state, &caller_of(&signed_in), &invitation_id).await;
    match result {
        Ok(_) => Redirect::to(&format!("{}?done=withdrawn", people_path(&fund_id))).into_response(),
        Err(error) => error_page(Some(&signed_in), &error),
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
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
        manage::require_officer(&app.state, &caller_of(&signed_in), &FundId::new(&fund_id)).await?;
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
            (csrf_field(csrf))
            input type="hidden" name="person_id" value=(person.id.as_str());
            input type="hidden" name="role" value=(role.role.as_str());
            input type="hidden" name="scope" value=(role.scope);
            div class="govuk-button-group" {
                button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Remove role" }
                a class="govuk-link" href=(people_path(&fund_id)) { "Cancel" }
            }
        }
    };
    answer(
        StatusCode::OK,
        page("Remove a role", signed_in.frame(), body),
    )
}

async fn remove(
    State(app): State<App>,
    Path(fund_id): Path<String>,
    SignedInForm { signed_in, form }: SignedInForm<RemoveForm>,
) -> Response {
    let result = async {
        let role = form.role()?;
        let person = PersonId::new(form.person_id.trim());
        manage::remove_role(&app.state, &caller_of(&signed_in), &person, &role).await
    };
    match result.await {
        Ok(_) => Redirect::to(&format!("{}?done=removed", people_path(&fund_id))).into_response(),
        Err(error) => error_page(Some(&signed_in), &error),
    }
}
