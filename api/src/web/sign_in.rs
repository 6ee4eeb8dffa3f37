//! Email sign-in: `/sign-in` asks for an email and mails a single-use link
//! (`links::issue_sign_in_link`); the link's page has a "Sign in" button (a POST, so mail
//! scanners that fetch links do not use them up) that starts a session. The answer to the
//! email form is the same whether or not the email has an account, and the mail is sent
//! after answering, so neither the page nor its timing tells. Requests are throttled per
//! network address and per email (`accounts::throttle`), and the page says so (429).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use infrastructure::accounts::links::{consume_sign_in_link, issue_sign_in_link};
use infrastructure::accounts::sessions::end_session;
use infrastructure::accounts::throttle::{hit, ThrottleRule};
use infrastructure::accounts::{normalise_email, AccountError};
use maud::{html, Markup};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::layout::{
    button, csrf_field, error_page, error_summary, html, page, para, text_input, FieldError,
    TextInput,
};
use super::session::{
    append_cookie, removal_cookie, safe_next, sign_in_and_redirect, signed_out_token, with_cookie,
    OptionalSignedIn, SignedInForm, SignedOutForm, DEFAULT_LANDING, SESSION_COOKIE,
};
use crate::server::http::App;

/// Sign-in links asked for one email, per window.
pub const SIGN_IN_PER_EMAIL: ThrottleRule = ThrottleRule {
    limit: 5,
    window_seconds: 15 * 60,
};
/// Sign-in links asked for from one network address, per window.
pub const SIGN_IN_PER_ADDRESS: ThrottleRule = ThrottleRule {
    limit: 20,
    window_seconds: 15 * 60,
};
/// The mail's subject.
pub const SIGN_IN_SUBJECT: &str = "Sign in to fundledger";

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LinkForm {
    next: Option<String>,
}

/// `GET /sign-in`: the email form (a signed-in person goes on to `next`).
pub async fn sign_in_page(
    State(app): State<App>,
    signed_in: OptionalSignedIn,
    Query(query): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    if signed_in.0.is_some() {
        return Redirect::to(&safe_next(query.next.as_deref())).into_response();
    }
    let (token, cookie) = signed_out_token(&app.state.web, &headers);
    let next = safe_next(query.next.as_deref());
    with_cookie(
        html(StatusCode::OK, email_form(&app, &token, &next, "", &[])),
        cookie,
    )
}

fn email_form(app: &App, token: &str, next: &str, email: &str, errors: &[FieldError]) -> Markup {
    let title = if errors.is_empty() {
        "Sign in".to_string()
    } else {
        "Error: Sign in".to_string()
    };
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                (error_summary(errors))
                form method="post" action="/sign-in" novalidate {
                    (csrf_field(token))
                    input type="hidden" name="next" value=(next);
                    (text_input(&TextInput {
                        name: "email",
                        label: "What is your email address?",
                        label_is_heading: true,
                        hint: Some("We'll email you a link to sign in. It works once, for a few minutes."),
                        value: email,
                        error: super::layout::error_for(errors, "email"),
                        input_type: Some("email"),
                        autocomplete: Some("email"),
                        spellcheck_off: true,
                        ..TextInput::default()
                    }))
                    (button("Email me a sign-in link"))
                }
                p class="govuk-body" {
                    "If you have not used fundledger before, ask a fund officer to invite you."
                }
                @if let Some(sso) = super::oidc::sso_button(app, next) {
                    h2 class="govuk-heading-m" { "Staff" }
                    p class="govuk-body" { "Or sign in with your organisation's account." }
                    (sso)
                }
            }
        }
    };
    page(&title, None, body)
}

/// `POST /sign-in`: checks and throttles, issues a link if the email has an account, and
/// answers "Check your email" either way.
pub async fn request_link(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedOutForm { form, headers }: SignedOutForm<EmailForm>,
) -> Response {
    let db = app.state.database();
    let next = safe_next(form.next.as_deref());
    let address_bucket = format!("sign-in:ip:{}", peer.ip());
    if let Err(error) = hit(
        db,
        &address_bucket,
        SIGN_IN_PER_ADDRESS,
        "sign-in requests from your network address",
    )
    .await
    {
        return refusal(&error);
    }
    let email = match normalise_email(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let (token, cookie) = signed_out_token(&app.state.web, &headers);
            let errors = [FieldError::new("email", sentence(&error.to_string()))];
            let markup = email_form(&app, &token, &next, &form.email, &errors);
            return with_cookie(html(StatusCode::BAD_REQUEST, markup), cookie);
        }
    };
    let email_bucket = format!("sign-in:email:{email}");
    if let Err(error) = hit(
        db,
        &email_bucket,
        SIGN_IN_PER_EMAIL,
        "sign-in links asked for this email address",
    )
    .await
    {
        return refusal(&error);
    }
    let web = &app.state.web;
    match issue_sign_in_link(db, &email, web.sign_in_link_seconds).await {
        Ok(Some((_, secret))) => {
            let link = link_url(&app, &secret, &next);
            let body = sign_in_mail(&link, web.sign_in_link_seconds);
            let mailer = web.mailer.clone();
            // Sent after answering: the answer takes as long with an account as without.
            tokio::spawn(async move {
                if let Err(error) = mailer.send(&email, SIGN_IN_SUBJECT, &body).await {
                    tracing::error!(%error, "the sign-in link could not be mailed");
                }
            });
        }
        Ok(None) => tracing::info!("sign-in link asked for an email with no account"),
        Err(error) => return super::failure_page(&error, None),
    }
    html(StatusCode::OK, check_your_email(&form.email))
}

/// `text` with a capital first letter, as GOV.UK's messages are.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn link_url(app: &App, secret: &str, next: &str) -> String {
    let path = format!("/sign-in/link/{secret}");
    if next == DEFAULT_LANDING {
        app.state.web.url(&path)
    } else {
        let next = utf8_percent_encode(next, NON_ALPHANUMERIC);
        app.state.web.url(&format!("{path}?next={next}"))
    }
}

/// How long `seconds` is, in words.
fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} seconds"),
        s if s < 120 => "1 minute".to_string(),
        s => format!("{} minutes", s / 60),
    }
}

/// The sign-in mail's body.
pub fn sign_in_mail(link: &str, valid_seconds: i64) -> String {
    format!(
        "Sign in to fundledger\n\n\
         Use this link to sign in. It works once, for the next {}:\n\n\
         {link}\n\n\
         If you did not ask to sign in, you can ignore this email: nobody can sign in \
         without the link.\n",
        duration_words(valid_seconds)
    )
}

fn check_your_email(email: &str) -> Markup {
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                h1 class="govuk-heading-l" { "Check your email" }
                p class="govuk-body" {
                    "If " strong { (email.trim()) } " has an account, we have sent it a link to sign in."
                }
                p class="govuk-body" { "The link works once, for a few minutes. You can close this page." }
                p class="govuk-body" {
                    "No email? Check your spam folder, or "
                    a class="govuk-link" href="/sign-in" { "ask for another link" } "."
                }
            }
        }
    };
    page("Check your email", None, body)
}

/// A refusal from the throttle (429, with `Retry-After`) or the store.
fn refusal(error: &AccountError) -> Response {
    let AccountError::Throttled {
        what,
        retry_after_seconds,
    } = error
    else {
        return super::failure_page(error, None);
    };
    let wait = duration_words((*retry_after_seconds).max(1) as i64);
    let mut response = error_page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        html! {
            p class="govuk-body" { "There have been too many " (what) "." }
            p class="govuk-body" { "Try again in " (wait) "." }
        },
        None,
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `GET /sign-in/link/{secret}`: the button that uses the link.
pub async fn link_page(
    State(app): State<App>,
    Path(_secret): Path<String>,
    Query(query): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let (token, cookie) = signed_out_token(&app.state.web, &headers);
    let next = safe_next(query.next.as_deref());
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                h1 class="govuk-heading-l" { "Sign in to fundledger" }
                (para("This link signs you in once. Select the button to continue."))
                // The form posts to this same address: the secret stays in the path.
                form method="post" novalidate {
                    (csrf_field(&token))
                    input type="hidden" name="next" value=(next);
                    (button("Sign in"))
                }
            }
        }
    };
    with_cookie(html(StatusCode::OK, page("Sign in", None, body)), cookie)
}

/// `POST /sign-in/link/{secret}`: uses the link once and signs the person in.
pub async fn use_link(
    State(app): State<App>,
    Path(secret): Path<String>,
    SignedOutForm { form, .. }: SignedOutForm<LinkForm>,
) -> Response {
    match consume_sign_in_link(app.state.database(), &secret).await {
        Ok(person) => {
            let next = safe_next(form.next.as_deref());
            sign_in_and_redirect(&app, &person, "email", &next).await
        }
        Err(AccountError::Expired(_)) => link_refused(
            StatusCode::GONE,
            "This sign-in link has expired",
            "Sign-in links work for a few minutes only.",
        ),
        Err(AccountError::AlreadyUsed(_)) => link_refused(
            StatusCode::GONE,
            "This sign-in link has already been used",
            "Each sign-in link works once.",
        ),
        Err(AccountError::NotFound(_) | AccountError::Withdrawn(_)) => link_refused(
            StatusCode::NOT_FOUND,
            "This sign-in link is not valid",
            "Check you used the whole link from the email.",
        ),
        Err(error) => super::failure_page(&error, None),
    }
}

fn link_refused(status: StatusCode, title: &str, why: &str) -> Response {
    error_page(
        status,
        title,
        html! {
            (para(why))
            p class="govuk-body" {
                a class="govuk-link" href="/sign-in" { "Get a new sign-in link" }
            }
        },
        None,
    )
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// `POST /sign-out`: ends this session.
pub async fn sign_out(
    State(app): State<App>,
    SignedInForm { signed_in, .. }: SignedInForm<EmptyForm>,
) -> Response {
    let ended = end_session(app.state.database(), &signed_in.session.session_id).await;
    if let Err(error) = ended {
        return super::failure_page(&error, signed_in.frame());
    }
    signed_out_redirect(&app)
}

/// To the signed-out page, removing the session cookie.
pub fn signed_out_redirect(app: &App) -> Response {
    let mut response = Redirect::to("/signed-out").into_response();
    append_cookie(
        &mut response,
        removal_cookie(&app.state.web, SESSION_COOKIE),
    );
    response
}

/// `GET /signed-out`.
pub async fn signed_out_page() -> Response {
    let body = html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                h1 class="govuk-heading-l" { "You have signed out" }
                p class="govuk-body" {
                    a class="govuk-link" href="/sign-in" { "Sign in again" }
                }
            }
        }
    };
    html(StatusCode::OK, page("You have signed out", None, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_says_how_long_the_link_works() {
        let body = sign_in_mail("http://x/sign-in/link/abc", 15 * 60);
        assert!(body.contains("for the next 15 minutes"), "{body}");
        assert!(body.contains("\nhttp://x/sign-in/link/abc\n"), "{body}");
        assert_eq!(duration_words(30), "30 seconds");
        assert_eq!(duration_words(60), "1 minute");
    }
}
