//! The session cookie and CSRF.
//!
//! The cookie (`SESSION_COOKIE`) holds the session's secret: `HttpOnly`, `SameSite=Lax`,
//! `Path=/`, and `Secure` when the public URL is https. Every form of a signed-in page
//! carries the session's CSRF token in a hidden field `CSRF_FIELD`; a POST without the
//! right one is refused (403) and changes nothing (`SignedInForm`). Forms of signed-out
//! pages (the email form, the sign-in link's button) carry a double-submit token instead:
//! the same random value in a cookie (`FORM_COOKIE`) and the field (`SignedOutForm`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use infrastructure::accounts::principal::principal_for_session;
use infrastructure::accounts::sessions::start_session;
use infrastructure::accounts::{secrets, Person, Roles, Session};
use maud::html;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::layout::error_page;
use super::settings::WebSettings;
use crate::server::http::App;

pub const SESSION_COOKIE: &str = "fundledger_session";
pub const CSRF_FIELD: &str = "csrf_token";
/// GraphQL over a session cookie needs this header with the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The double-submit cookie of signed-out forms.
pub const FORM_COOKIE: &str = "fundledger_form";
/// Where a signed-in person lands when no (safe) `next` is given.
pub const DEFAULT_LANDING: &str = "/work";
/// The longest `next` path kept; a longer one is dropped for `DEFAULT_LANDING`.
pub const MAX_NEXT_CHARS: usize = 512;

/// The signed-in person of a request (an axum extractor; redirects to `/sign-in` when
/// there is none). `roles` are the person's live roles, read on this request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub person: Person,
    pub session: Session,
    pub roles: Roles,
}

impl SignedIn {
    /// What `layout::page` needs to show who is signed in.
    pub fn frame(&self) -> Option<(&Person, &str)> {
        Some((&self.person, self.session.csrf_token.as_str()))
    }
}

/// The signed-in person, if any: for pages that work both ways.
#[derive(Debug, Clone)]
pub struct OptionalSignedIn(pub Option<SignedIn>);

impl OptionalSignedIn {
    pub fn frame(&self) -> Option<(&Person, &str)> {
        self.0.as_ref().and_then(SignedIn::frame)
    }
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// The live session behind the request's cookie (`Ok(None)`: no cookie, or it no longer
/// signs anyone in); an error page when the store fails.
async fn signed_in_of(headers: &HeaderMap, app: &App) -> Result<Option<SignedIn>, Response> {
    let Some(secret) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let web = &app.state.web;
    match principal_for_session(app.state.database(), &secret, web.session_limits).await {
        Ok(Some((principal, session))) => Ok(Some(SignedIn {
            person: principal.person,
            session,
            roles: principal.roles,
        })),
        Ok(None) => Ok(None),
        Err(error) => Err(super::failure_page(&error, None)),
    }
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<SignedIn, Response> {
        match signed_in_of(&parts.headers, app).await? {
            Some(signed_in) => Ok(signed_in),
            None => Err(redirect_to_sign_in(parts, app)),
        }
    }
}

impl FromRequestParts<App> for OptionalSignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &App,
    ) -> Result<OptionalSignedIn, Response> {
        Ok(OptionalSignedIn(signed_in_of(&parts.headers, app).await?))
    }
}

/// To `/sign-in`, coming back to this page afterwards (a GET's path; a POST's form is not
/// replayed). A stale session cookie is removed on the way.
fn redirect_to_sign_in(parts: &Parts, app: &App) -> Response {
    let target = match parts.method {
        Method::GET | Method::HEAD => {
            let here = parts
                .uri
                .path_and_query()
                .map(|path| path.as_str())
                .unwrap_or("/");
            format!(
                "/sign-in?next={}",
                utf8_percent_encode(here, NON_ALPHANUMERIC)
            )
        }
        _ => "/sign-in".to_string(),
    };
    let mut response = Redirect::to(&target).into_response();
    if cookie_value(&parts.headers, SESSION_COOKIE).is_some() {
        append_cookie(
            &mut response,
            removal_cookie(&app.state.web, SESSION_COOKIE),
        );
    }
    response
}

/// `next` if it is a path on this site, else `DEFAULT_LANDING`: never another site (no
/// open redirect), no scheme, no `//host`, no backslash or control character.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && next.len() <= MAX_NEXT_CHARS
                && !next.chars().any(|c| c == '\\' || c.is_control()) =>
        {
            next.to_string()
        }
        _ => DEFAULT_LANDING.to_string(),
    }
}

/// Starts a session for `person` (signed in by `method`: `email`, `oidc`, `invitation`)
/// and answers a redirect to `next` that sets the cookie.
pub async fn sign_in_and_redirect(
    app: &App,
    person: &Person,
    method: &str,
    next: &str,
) -> Response {
    let web = &app.state.web;
    match start_session(app.state.database(), &person.id, method, web.session_limits).await {
        Ok(session) => {
            let mut response = Redirect::to(&safe_next(Some(next))).into_response();
            append_cookie(&mut response, session_cookie(web, &session.secret));
            append_cookie(&mut response, removal_cookie(web, FORM_COOKIE));
            response
        }
        Err(error) => super::failure_page(&error, None),
    }
}

/// The session cookie carrying `secret`. No `Max-Age`: it ends with the browser, and the
/// server ends the session itself (idle and absolute expiry).
pub fn session_cookie(web: &WebSettings, secret: &str) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret.to_string()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(web.secure_cookies)
        .build()
}

/// A cookie that removes cookie `name`.
pub fn removal_cookie(web: &WebSettings, name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(web.secure_cookies)
        .build();
    cookie.make_removal();
    cookie
}

/// Adds `Set-Cookie: cookie` to `response`.
pub fn append_cookie(response: &mut Response, cookie: Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Whether `submitted` is the session's CSRF token (constant-time).
pub fn csrf_matches(session: &Session, submitted: &str) -> bool {
    tokens_match(&session.csrf_token, submitted)
}

fn tokens_match(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// The refusal of a form without the right CSRF token: 403, nothing changed.
pub fn csrf_refused(signed_in: Option<&SignedIn>) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "This form could not be sent",
        html! {
            p class="govuk-body" {
                "It was missing its security token (a CSRF token), or the token was wrong or "
                "out of date, so nothing was changed."
            }
            p class="govuk-body" { "Go back, reload the page and try again." }
        },
        signed_in.and_then(SignedIn::frame),
    )
}

/// A form that could not be read (a field missing or of the wrong kind): 400.
fn form_unreadable(signed_in: Option<&SignedIn>, error: &str) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        html! {
            p class="govuk-body" { "Nothing was changed (" (error) ")." }
            p class="govuk-body" { "Go back, reload the page and try again." }
        },
        signed_in.and_then(SignedIn::frame),
    )
}

#[derive(Deserialize, Default)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// A signed-in person's form post (`application/x-www-form-urlencoded`), read only once
/// its `csrf_token` field matches the session's; otherwise refused (403) before the
/// handler runs. Not signed in: redirected to sign in.
pub struct SignedInForm<T> {
    pub signed_in: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<App> for SignedInForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<SignedInForm<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, app).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(|error| form_unreadable(Some(&signed_in), &error.body_text()))?;
        let token: CsrfOnly = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if !csrf_matches(&signed_in.session, &token.csrf_token) {
            tracing::info!(session = %signed_in.session.session_id, "form refused: missing or wrong CSRF token");
            return Err(csrf_refused(Some(&signed_in)));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(SignedInForm { signed_in, form }),
            Err(error) => Err(form_unreadable(Some(&signed_in), &error.to_string())),
        }
    }
}

/// A signed-out form post, read only when its `csrf_token` field equals the `FORM_COOKIE`
/// the page set (double submit); otherwise refused (403).
pub struct SignedOutForm<T> {
    pub form: T,
    pub headers: HeaderMap,
}

impl<T: DeserializeOwned> FromRequest<App> for SignedOutForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<SignedOutForm<T>, Response> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, app)
            .await
            .map_err(|error| form_unreadable(None, &error.body_text()))?;
        let token: CsrfOnly = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let expected = cookie_value(&headers, FORM_COOKIE).unwrap_or_default();
        if !tokens_match(&expected, &token.csrf_token) {
            tracing::info!("signed-out form refused: missing or wrong CSRF token");
            return Err(csrf_refused(None));
        }
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(SignedOutForm { form, headers }),
            Err(error) => Err(form_unreadable(None, &error.to_string())),
        }
    }
}

/// The double-submit token for a signed-out page's form: the request's `FORM_COOKIE` if
/// it has one, else a new one with the cookie to set.
pub fn signed_out_token(
    web: &WebSettings,
    headers: &HeaderMap,
) -> (String, Option<Cookie<'static>>) {
    if let Some(token) = cookie_value(headers, FORM_COOKIE).filter(|token| token.len() >= 32) {
        return (token, None);
    }
    let token = secrets::new_secret();
    let cookie = Cookie::build((FORM_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(web.secure_cookies)
        .build();
    (token, Some(cookie))
}

/// `response` with `cookie` set, if any.
pub fn with_cookie(mut response: Response, cookie: Option<Cookie<'_>>) -> Response {
    if let Some(cookie) = cookie {
        append_cookie(&mut response, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/account?tab=tokens")),
            "/account?tab=tokens"
        );
        for outside in [
            "https://evil.example",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "account",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(outside)), DEFAULT_LANDING, "{outside:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_LANDING);
        assert_eq!(
            safe_next(Some(&format!("/{}", "a".repeat(MAX_NEXT_CHARS)))),
            DEFAULT_LANDING
        );
    }

    #[test]
    fn tokens_compare_whole_and_never_empty() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn the_cookie_header_is_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fundledger_session=s3cret; b=2"),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("s3cret")
        );
        assert_eq!(cookie_value(&headers, FORM_COOKIE), None);
    }
}
