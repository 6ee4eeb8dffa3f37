//! `/account`: who you are (name, editable; email), the roles you hold, where you are
//! signed in (this session marked; sign out one, or everywhere) and your API tokens
//! (listed with last use, expiry and revocation; created with a name, an expiry and
//! optionally one of your roles as its scope, the secret shown once; revoked).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{FundId, OrgId, RoundId};
use infrastructure::accounts::api_tokens::{api_tokens_of, create_api_token, revoke_api_token};
use infrastructure::accounts::grants::live_roles;
use infrastructure::accounts::people::{organisation, rename_person};
use infrastructure::accounts::sessions::{end_all_sessions, end_session, sessions_of};
use infrastructure::accounts::{now, AccountError, ApiToken, RoleKind, ScopedRole, Session};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{
    button, error_for, error_summary, html, notification_banner, page, post_form, secondary_button,
    summary_list, table, tag, text_input, warning_button, warning_text, when, FieldError,
    SummaryRow, TextInput,
};
use super::session::{SignedIn, SignedInForm};
use super::sign_in::{signed_out_redirect, EmptyForm};
use crate::server::http::App;

/// An API token's lifetime unless chosen, in days.
pub const DEFAULT_TOKEN_DAYS: i64 = 30;
/// The longest an API token may be made for on this page, in days.
pub const MAX_TOKEN_DAYS: i64 = 366;
/// The scope field's value for "every role I hold".
const ALL_ROLES: &str = "all";

/// Everything the account page shows.
struct AccountView {
    roles: Vec<(ScopedRole, String)>,
    sessions: Vec<Session>,
    tokens: Vec<ApiToken>,
}

/// What was typed into the token form, and its problems.
#[derive(Default)]
struct TokenFormState {
    name: String,
    days: String,
    scope: String,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /account`.
pub async fn account_page(
    State(app): State<App>,
    signed_in: SignedIn,
    Query(query): Query<DoneQuery>,
) -> Response {
    let banner = query.done.as_deref().and_then(done_banner);
    render(&app, &signed_in, StatusCode::OK, banner, None, &[]).await
}

fn done_banner(done: &str) -> Option<Markup> {
    let heading = match done {
        "name" => "Your name has been changed",
        "revoked" => "The API token has been revoked: it no longer works",
        "ended" => "That session has been signed out",
        _ => return None,
    };
    Some(notification_banner("Success", heading, html! {}, true))
}

async fn render(
    app: &App,
    signed_in: &SignedIn,
    status: StatusCode,
    banner: Option<Markup>,
    token_form: Option<TokenFormState>,
    name_errors: &[FieldError],
) -> Response {
    let view = match load_view(app, signed_in).await {
        Ok(view) => view,
        Err(error) => return super::failure_page(&error, signed_in.frame()),
    };
    let token_form = token_form.unwrap_or_else(|| TokenFormState {
        days: DEFAULT_TOKEN_DAYS.to_string(),
        scope: ALL_ROLES.to_string(),
        ..TokenFormState::default()
    });
    let mut errors = name_errors.to_vec();
    errors.extend(token_form.errors.iter().cloned());
    let csrf = signed_in.session.csrf_token.as_str();
    let body = html! {
        (error_summary(&errors))
        @if let Some(banner) = banner { (banner) }
        h1 class="govuk-heading-l" { "Your account" }
        (details_section(signed_in, csrf, name_errors))
        (roles_section(&view.roles))
        (sessions_section(&view.sessions, &signed_in.session, csrf))
        (tokens_section(&view.tokens, csrf))
        (token_form_section(&view.roles, &token_form, csrf))
    };
    let title = if errors.is_empty() {
        "Your account"
    } else {
        "Error: Your account"
    };
    html(status, page(title, signed_in.frame(), body))
}

async fn load_view(app: &App, signed_in: &SignedIn) -> Result<AccountView, AccountError> {
    let db = app.state.database();
    let person = &signed_in.person.id;
    let mut roles = Vec::new();
    for role in live_roles(db, person).await? {
        let label = role_label(app, &role).await;
        roles.push((role, label));
    }
    Ok(AccountView {
        roles,
        sessions: sessions_of(db, person).await?,
        tokens: api_tokens_of(db, person).await?,
    })
}

/// A role as people read it: "Officer of Northside Fund". The name comes from the read
/// models (or the accounts' organisations); the id stands in when there is none yet.
pub async fn role_label(app: &App, role: &ScopedRole) -> String {
    let db = app.state.database();
    let name = match role.role {
        RoleKind::Owner => return "Owner (can create funds)".to_string(),
        RoleKind::Officer => projections::read::fund_position(db, &FundId::new(&role.scope), None)
            .await
            .ok()
            .flatten()
            .map(|fund| fund.name),
        RoleKind::Panel => projections::read::round_summary(db, &RoundId::new(&role.scope))
            .await
            .ok()
            .flatten()
            .map(|round| round.name),
        RoleKind::Member => organisation(db, &OrgId::new(&role.scope))
            .await
            .ok()
            .flatten()
            .map(|org| org.name),
    };
    let what = match role.role {
        RoleKind::Officer => "Officer of",
        RoleKind::Panel => "Panel member of",
        _ => "Member of",
    };
    match name {
        Some(name) => format!("{what} {name}"),
        None => format!("{what} {} {}", role.role.scope_noun(), role.scope),
    }
}

fn details_section(signed_in: &SignedIn, csrf: &str, errors: &[FieldError]) -> Markup {
    let person = &signed_in.person;
    let name = person.name.clone().unwrap_or_default();
    html! {
        h2 class="govuk-heading-m" { "Your details" }
        (summary_list(&[
            SummaryRow { key: "Name".into(), value: html! { (person.display_name()) }, action: None },
            SummaryRow { key: "Email".into(), value: html! { (person.email.clone().unwrap_or_default()) }, action: None },
        ]))
        (post_form("/account/name", csrf, html! {
            (text_input(&TextInput {
                name: "name",
                label: "Change your name",
                hint: Some("As you would like fund officers and panel members to see it."),
                value: &name,
                error: error_for(errors, "name"),
                autocomplete: Some("name"),
                spellcheck_off: true,
                ..TextInput::default()
            }))
            (secondary_button("Save name"))
        }))
    }
}

fn roles_section(roles: &[(ScopedRole, String)]) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Your roles" }
        @if roles.is_empty() {
            p class="govuk-body" { "You have no roles yet. A fund officer can invite you to one." }
        } @else {
            ul class="govuk-list govuk-list--bullet" {
                @for (role, label) in roles {
                    li {
                        (label)
                        @if role.role == RoleKind::Officer {
                            " – "
                            a class="govuk-link" href=(format!("/manage/funds/{}/people", role.scope)) {
                                "people" span class="govuk-visually-hidden" { " of " (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sessions_section(sessions: &[Session], current: &Session, csrf: &str) -> Markup {
    let rows: Vec<Vec<Markup>> = sessions
        .iter()
        .map(|session| {
            let this = session.session_id == current.session_id;
            vec![
                html! { (when(session.created_at)) @if this { " " (tag("This session", Some("green"))) } },
                html! { (method_words(&session.method)) },
                html! { (when(session.last_seen_at)) },
                html! {
                    @if !this {
                        (post_form(&format!("/account/sessions/{}/end", session.session_id), csrf,
                            html! { button type="submit" class="govuk-link fl-link-button" {
                                "Sign out" span class="govuk-visually-hidden" { " the session from " (when(session.created_at)) }
                            } }))
                    }
                },
            ]
        })
        .collect();
    html! {
        h2 class="govuk-heading-m" { "Where you are signed in" }
        (table("Your sessions", &["Signed in", "How", "Last used", "Action"], &rows))
        (post_form("/account/sign-out-everywhere", csrf, html! {
            (warning_button("Sign out everywhere"))
        }))
    }
}

fn method_words(method: &str) -> &'static str {
    match method {
        "email" => "Email link",
        "oidc" => "Single sign-on",
        "invitation" => "Invitation",
        _ => "Other",
    }
}

fn token_status(token: &ApiToken, at: i64) -> Markup {
    match token.revoked_at {
        Some(revoked) => html! { (tag("Revoked", Some("red"))) " " (when(revoked)) },
        None if token.expires_at <= at => tag("Expired", Some("grey")),
        None => tag("Active", Some("green")),
    }
}

fn tokens_section(tokens: &[ApiToken], csrf: &str) -> Markup {
    let at = now();
    let rows: Vec<Vec<Markup>> = tokens
        .iter()
        .map(|token| {
            let live = token.revoked_at.is_none() && token.expires_at > at;
            vec![
                html! { (token.name) },
                token_status(token, at),
                html! { (when(token.expires_at)) },
                html! { @match token.last_used_at { Some(used) => (when(used)), None => "Never" } },
                html! {
                    @if live {
                        (post_form(&format!("/account/tokens/{}/revoke", token.token_id), csrf,
                            html! { button type="submit" class="govuk-link fl-link-button" {
                                "Revoke" span class="govuk-visually-hidden" { " " (token.name) }
                            } }))
                    }
                },
            ]
        })
        .collect();
    html! {
        h2 class="govuk-heading-m" id="tokens" { "API tokens" }
        p class="govuk-body" {
            "Scripts use an API token as " code { "Authorization: Bearer flt_…" } " on the GraphQL API. "
            "A token can do what you can do (or only what its scope allows), and stops working "
            "when it expires, when you revoke it, or when you lose the role."
        }
        @if tokens.is_empty() {
            p class="govuk-body" { "You have no API tokens." }
        } @else {
            (table("Your API tokens", &["Name", "Status", "Expires", "Last used", "Action"], &rows))
        }
    }
}

fn token_form_section(roles: &[(ScopedRole, String)], form: &TokenFormState, csrf: &str) -> Markup {
    html! {
        h2 class="govuk-heading-m" { "Create an API token" }
        (post_form("/account/tokens", csrf, html! {
            (text_input(&TextInput {
                name: "token_name",
                label: "Token name",
                hint: Some("What will use it, for example 'Monthly payments export'."),
                value: &form.name,
                error: error_for(&form.errors, "token_name"),
                spellcheck_off: true,
                ..TextInput::default()
            }))
            (text_input(&TextInput {
                name: "expires_in_days",
                label: "Expires after (days)",
                hint: Some("From 1 to 366 days."),
                value: &form.days,
                error: error_for(&form.errors, "expires_in_days"),
                width_class: Some("govuk-input--width-3"),
                numeric: true,
                ..TextInput::default()
            }))
            (scope_radios(roles, form))
            (button("Create API token"))
        }))
    }
}

fn scope_radios(roles: &[(ScopedRole, String)], form: &TokenFormState) -> Markup {
    let error = error_for(&form.errors, "scope");
    let options: Vec<(String, String)> =
        std::iter::once((ALL_ROLES.to_string(), "Everything I can do".to_string()))
            .chain(
                roles
                    .iter()
                    .map(|(role, label)| (scope_value(role), format!("Only as: {label}"))),
            )
            .collect();
    html! {
        div class=(if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }) {
            fieldset class="govuk-fieldset" {
                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "What may the token do?" }
                @if let Some(error) = error {
                    p id="scope-error" class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (error) }
                }
                div class="govuk-radios" data-module="govuk-radios" {
                    @for (index, (value, label)) in options.iter().enumerate() {
                        @let id = if index == 0 { "scope".to_string() } else { format!("scope-{index}") };
                        div class="govuk-radios__item" {
                            input class="govuk-radios__input" id=(id) name="scope" type="radio" value=(value)
                                checked[*value == form.scope];
                            label class="govuk-label govuk-radios__label" for=(id) { (label) }
                        }
                    }
                }
            }
        }
    }
}

fn scope_value(role: &ScopedRole) -> String {
    format!("{}:{}", role.role, role.scope)
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// `POST /account/name`.
pub async fn change_name(
    State(app): State<App>,
    SignedInForm { signed_in, form }: SignedInForm<NameForm>,
) -> Response {
    let name = form.name.trim();
    let problem = if name.is_empty() {
        Some("Enter your name".to_string())
    } else if name.chars().count() > 200 {
        Some("Your name must be 200 characters or fewer".to_string())
    } else {
        domain::text::check_line("name", name)
            .err()
            .map(|error| error.to_string())
    };
    if let Some(problem) = problem {
        let errors = [FieldError::new("name", problem)];
        return render(
            &app,
            &signed_in,
            StatusCode::BAD_REQUEST,
            None,
            None,
            &errors,
        )
        .await;
    }
    match rename_person(app.state.database(), &signed_in.person.id, name).await {
        Ok(()) => Redirect::to("/account?done=name").into_response(),
        Err(AccountError::Invalid(message)) => {
            let errors = [FieldError::new("name", message)];
            render(
                &app,
                &signed_in,
                StatusCode::BAD_REQUEST,
                None,
                None,
                &errors,
            )
            .await
        }
        Err(error) => super::failure_page(&error, signed_in.frame()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token_name: String,
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    scope: String,
}

/// `POST /account/tokens`: makes the token and shows its secret, once.
pub async fn create_token(
    State(app): State<App>,
    SignedInForm { signed_in, form }: SignedInForm<TokenForm>,
) -> Response {
    let db = app.state.database();
    let roles = match live_roles(db, &signed_in.person.id).await {
        Ok(roles) => roles,
        Err(error) => return super::failure_page(&error, signed_in.frame()),
    };
    let (checked, errors) = check_token_form(&form, &roles);
    let Some((name, days, scopes)) = checked else {
        let state = TokenFormState {
            name: form.token_name,
            days: form.expires_in_days,
            scope: form.scope,
            errors,
        };
        return render(
            &app,
            &signed_in,
            StatusCode::BAD_REQUEST,
            None,
            Some(state),
            &[],
        )
        .await;
    };
    match create_api_token(db, &signed_in.person.id, &name, &scopes, days * 24 * 3600).await {
        Ok(created) => html(
            StatusCode::OK,
            token_created(&signed_in, &created.token, &created.secret),
        ),
        Err(AccountError::Invalid(message)) => {
            let state = TokenFormState {
                name: form.token_name,
                days: form.expires_in_days,
                scope: form.scope,
                errors: vec![FieldError::new("token_name", message)],
            };
            render(
                &app,
                &signed_in,
                StatusCode::BAD_REQUEST,
                None,
                Some(state),
                &[],
            )
            .await
        }
        Err(error) => super::failure_page(&error, signed_in.frame()),
    }
}

type CheckedToken = (String, i64, Vec<ScopedRole>);

fn check_token_form(
    form: &TokenForm,
    roles: &[ScopedRole],
) -> (Option<CheckedToken>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let name = form.token_name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("token_name", "Enter a name for the token"));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "token_name",
            "The token's name must be 100 characters or fewer",
        ));
    } else if let Err(error) = domain::text::check_line("token name", &name) {
        errors.push(FieldError::new("token_name", error.to_string()));
    }
    let days = form
        .expires_in_days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|days| (1..=MAX_TOKEN_DAYS).contains(days));
    if days.is_none() {
        errors.push(FieldError::new(
            "expires_in_days",
            format!("Enter a whole number of days from 1 to {MAX_TOKEN_DAYS}"),
        ));
    }
    let scopes = if form.scope == ALL_ROLES {
        Some(Vec::new())
    } else {
        roles
            .iter()
            .find(|role| scope_value(role) == form.scope)
            .map(|role| vec![role.clone()])
    };
    if scopes.is_none() {
        errors.push(FieldError::new(
            "scope",
            "Choose what the token may do: everything, or one of your roles",
        ));
    }
    match (errors.is_empty(), days, scopes) {
        (true, Some(days), Some(scopes)) => (Some((name, days, scopes)), errors),
        _ => (None, errors),
    }
}

fn token_created(signed_in: &SignedIn, token: &ApiToken, secret: &str) -> Markup {
    let body = html! {
        (notification_banner("Success", "API token created", html! {
            p class="govuk-body" { "“" (token.name) "” works until " (when(token.expires_at)) "." }
        }, true))
        h1 class="govuk-heading-l" { "Your new API token" }
        (warning_text("Copy it now: this is the only time it is shown. Keep it secret, like a password."))
        p class="govuk-body govuk-!-font-weight-bold fl-secret" id="api-token" { (secret) }
        p class="govuk-body" {
            "Send it as " code { "Authorization: Bearer <token>" } " to /graphql."
        }
        p class="govuk-body" { a class="govuk-link" href="/account#tokens" { "Back to your account" } }
    };
    page("Your new API token", signed_in.frame(), body)
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(app): State<App>,
    Path(token_id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<EmptyForm>,
) -> Response {
    match revoke_api_token(app.state.database(), &signed_in.person.id, &token_id).await {
        Ok(()) => Redirect::to("/account?done=revoked").into_response(),
        Err(AccountError::NotFound(_)) => not_yours(&signed_in, "API token"),
        Err(error) => super::failure_page(&error, signed_in.frame()),
    }
}

/// `POST /account/sessions/{id}/end`: signs one of the person's other sessions out.
pub async fn end_other_session(
    State(app): State<App>,
    Path(session_id): Path<String>,
    SignedInForm { signed_in, .. }: SignedInForm<EmptyForm>,
) -> Response {
    let db = app.state.database();
    let sessions = match sessions_of(db, &signed_in.person.id).await {
        Ok(sessions) => sessions,
        Err(error) => return super::failure_page(&error, signed_in.frame()),
    };
    if !sessions
        .iter()
        .any(|session| session.session_id == session_id)
    {
        return not_yours(&signed_in, "session");
    }
    if let Err(error) = end_session(db, &session_id).await {
        return super::failure_page(&error, signed_in.frame());
    }
    if session_id == signed_in.session.session_id {
        return signed_out_redirect(&app);
    }
    Redirect::to("/account?done=ended").into_response()
}

/// `POST /account/sign-out-everywhere`: ends every session of the person, this one too.
pub async fn sign_out_everywhere(
    State(app): State<App>,
    SignedInForm { signed_in, .. }: SignedInForm<EmptyForm>,
) -> Response {
    match end_all_sessions(app.state.database(), &signed_in.person.id).await {
        Ok(_) => signed_out_redirect(&app),
        Err(error) => super::failure_page(&error, signed_in.frame()),
    }
}

fn not_yours(signed_in: &SignedIn, what: &str) -> Response {
    super::layout::error_page(
        StatusCode::NOT_FOUND,
        &format!("No such {what}"),
        html! {
            p class="govuk-body" { "You have no " (what) " with that id; nothing was changed." }
            p class="govuk-body" { a class="govuk-link" href="/account" { "Back to your account" } }
        },
        signed_in.frame(),
    )
}
