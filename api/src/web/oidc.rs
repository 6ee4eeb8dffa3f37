//! Single sign-on for staff through any standard OpenID Connect provider (Microsoft Entra
//! ID, Google, Okta…): the authorization code flow with PKCE, as a confidential client.
//!
//! Configured by environment (all three or none): `FUNDLEDGER_OIDC_ISSUER`,
//! `FUNDLEDGER_OIDC_CLIENT_ID`, `FUNDLEDGER_OIDC_CLIENT_SECRET`; `FUNDLEDGER_OIDC_NAME`
//! labels the button ("Sign in with Microsoft"). The provider must list the redirect URL
//! `{public URL}/sign-in/sso/callback`.
//!
//! - `GET /sign-in/sso?next=…` discovers the provider (cached for
//!   `DISCOVERY_MAX_AGE_SECONDS`, retried on the next request after a failure), makes a
//!   fresh `state`, `nonce` and PKCE verifier, keeps them (and `next`) in a short-lived
//!   `HttpOnly` cookie bound to this browser (`SSO_COOKIE`, path `/sign-in/sso`), and
//!   redirects to the provider.
//! - `GET /sign-in/sso/callback` takes the cookie (clearing it: one attempt, one
//!   callback), checks `state` (and the provider's `iss`, when sent, against mix-up),
//!   exchanges the code with the verifier, verifies the ID token (signature by the
//!   provider's published keys, issuer, audience, expiry, nonce), and signs in the person
//!   whose email the token states, only if the provider says it is verified and the
//!   person already exists (invited, or the owner). Nobody is created here.
//!
//! Every refusal is a page that says what happened and what to do, and signs nobody in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use cookie::{Cookie, CookieBuilder, SameSite};
use infrastructure::accounts::{self, AccountError, ThrottleRule};
use maud::{html, Markup};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;

use super::layout;
use super::session::{append_cookie, cookie_value, safe_next, sign_in_and_redirect};
use super::WebSettings;
use crate::server::http::App;

/// The cookie that carries one sign-in attempt's `state`, nonce, PKCE verifier and `next`.
pub const SSO_COOKIE: &str = "fundledger_sso";
/// How long a person has at the provider before the attempt lapses.
pub const SSO_ATTEMPT_SECONDS: u64 = 600;
/// How long discovered provider metadata (endpoints and signing keys) is trusted before
/// it is fetched again, so the provider's key rotation is picked up.
pub const DISCOVERY_MAX_AGE_SECONDS: u64 = 3600;
/// The longest any request to the provider may take.
pub const PROVIDER_TIMEOUT_MS: u64 = 10_000;
/// Callbacks per client address per window: each one can cost a request to the provider.
/// Higher than the email form's, as a whole office may sign in from one address at nine.
pub const SSO_CALLBACK_RULE: ThrottleRule = ThrottleRule {
    limit: 60,
    window_seconds: 15 * 60,
};
const SSO_PATH: &str = "/sign-in/sso";
const CALLBACK_PATH: &str = "/sign-in/sso/callback";

/// The client as discovery makes it: authorization endpoint known, token and userinfo
/// endpoints as the provider stated them.
type ProviderClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why single sign-on could not be set up or could not reach its provider.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is half configured: {0}")]
    Config(String),
    #[error("the sign-in provider at {issuer} could not be used: {cause}")]
    Provider { issuer: String, cause: String },
}

/// The settings from the environment.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    pub issuer: IssuerUrl,
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
    /// The provider's name on the button ("Microsoft"); "single sign-on" when unset.
    pub name: String,
    pub redirect: RedirectUrl,
    /// Whether the session and attempt cookies are `Secure` (an https public URL).
    pub secure_cookies: bool,
}

impl SsoSettings {
    /// The settings from `FUNDLEDGER_OIDC_*`, with the redirect URL under the public URL;
    /// `None` when single sign-on is not configured, an error when it is half configured.
    pub fn from_env(web: &WebSettings) -> Result<Option<SsoSettings>, SsoError> {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let issuer = read("FUNDLEDGER_OIDC_ISSUER");
        let client_id = read("FUNDLEDGER_OIDC_CLIENT_ID");
        let client_secret = read("FUNDLEDGER_OIDC_CLIENT_SECRET");
        let (issuer, client_id, client_secret) = match (issuer, client_id, client_secret) {
            (None, None, None) => return Ok(None),
            (Some(issuer), Some(id), Some(secret)) => (issuer, id, secret),
            _ => {
                return Err(SsoError::Config(
                    "set all of FUNDLEDGER_OIDC_ISSUER, FUNDLEDGER_OIDC_CLIENT_ID and \
                     FUNDLEDGER_OIDC_CLIENT_SECRET, or none"
                        .into(),
                ))
            }
        };
        let issuer = IssuerUrl::new(issuer.trim_end_matches('/').to_string())
            .map_err(|e| SsoError::Config(format!("FUNDLEDGER_OIDC_ISSUER is not a URL ({e})")))?;
        let redirect = RedirectUrl::new(web.url(CALLBACK_PATH))
            .map_err(|e| SsoError::Config(format!("the public URL is not a URL ({e})")))?;
        Ok(Some(SsoSettings {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: ClientSecret::new(client_secret),
            name: read("FUNDLEDGER_OIDC_NAME").unwrap_or_else(|| "single sign-on".into()),
            redirect,
            secure_cookies: web.secure_cookies,
        }))
    }
}

/// Single sign-on with one provider: its settings, an HTTP client for it, and the
/// provider's metadata once discovered.
#[derive(Debug)]
pub struct SingleSignOn {
    settings: SsoSettings,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<(Arc<ProviderClient>, Instant)>>,
}

impl SingleSignOn {
    pub fn new(settings: SsoSettings) -> Result<SingleSignOn, SsoError> {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would let a provider's answer send us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_millis(PROVIDER_TIMEOUT_MS))
            .build()
            .map_err(|e| SsoError::Config(format!("an HTTP client for the provider: {e}")))?;
        Ok(SingleSignOn {
            settings,
            http,
            discovered: RwLock::new(None),
        })
    }

    /// From the environment (`SsoSettings::from_env`); `None` when not configured.
    pub fn from_env(web: &WebSettings) -> Result<Option<Arc<SingleSignOn>>, SsoError> {
        match SsoSettings::from_env(web)? {
            Some(settings) => Ok(Some(Arc::new(SingleSignOn::new(settings)?))),
            None => Ok(None),
        }
    }

    /// Single sign-on from the environment, with its provider's discovery begun; `None`
    /// when not configured.
    pub fn start(web: &WebSettings) -> Result<Option<Arc<SingleSignOn>>, SsoError> {
        let sso = SingleSignOn::from_env(web)?;
        if let Some(sso) = &sso {
            sso.discover_in_background();
        }
        Ok(sso)
    }

    /// The button's label: "Sign in with {name}".
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// Discovers the provider now, so a wrong issuer shows in the log at start-up rather
    /// than at the first sign-in (which retries it either way).
    pub fn discover_in_background(self: &Arc<SingleSignOn>) {
        let sso = self.clone();
        tokio::spawn(async move {
            if let Err(error) = sso.provider().await {
                tracing::warn!(target: "fundledger::sso", "{error}; single sign-on will retry at the next sign-in");
            }
        });
    }

    /// The provider's client, discovered afresh when never fetched or older than
    /// `DISCOVERY_MAX_AGE_SECONDS`.
    async fn provider(&self) -> Result<Arc<ProviderClient>, SsoError> {
        let max_age = Duration::from_secs(DISCOVERY_MAX_AGE_SECONDS);
        if let Some((client, at)) = self.discovered.read().await.as_ref() {
            if at.elapsed() < max_age {
                return Ok(client.clone());
            }
        }
        let metadata =
            CoreProviderMetadata::discover_async(self.settings.issuer.clone(), &self.http)
                .await
                .map_err(|error| self.provider_error(error))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            self.settings.client_id.clone(),
            Some(self.settings.client_secret.clone()),
        )
        .set_redirect_uri(self.settings.redirect.clone());
        let client = Arc::new(client);
        *self.discovered.write().await = Some((client.clone(), Instant::now()));
        Ok(client)
    }

    fn provider_error(&self, error: impl std::error::Error) -> SsoError {
        // The source chain says why (connection refused, bad JSON…); the top line rarely does.
        let mut cause = error.to_string();
        let mut source = error.source();
        while let Some(inner) = source {
            cause.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        SsoError::Provider {
            issuer: self.settings.issuer.to_string(),
            cause,
        }
    }
}

/// The single sign-on routes. `web::routes` merges them.
pub fn routes() -> Router<App> {
    Router::new()
        .route(SSO_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
}

/// "Sign in with {name}" (a link styled as a GOV.UK secondary button) for the sign-in
/// page, when single sign-on is configured; `next` is passed on.
pub fn sso_button(app: &App, next: &str) -> Option<Markup> {
    let sso = app.state.sso.as_ref()?;
    let href = format!("{SSO_PATH}?next={}", query_value(&safe_next(Some(next))));
    Some(html! {
        a href=(href) role="button" draggable="false"
            class="govuk-button govuk-button--secondary" data-module="govuk-button" {
            "Sign in with " (sso.name())
        }
    })
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
}

/// `GET /sign-in/sso`: a fresh attempt, remembered in this browser, and off to the provider.
async fn start(State(app): State<App>, Query(query): Query<StartQuery>) -> Response {
    let Some(sso) = app.state.sso.clone() else {
        return Refusal::NotConfigured.page("single sign-on");
    };
    let provider = match sso.provider().await {
        Ok(provider) => provider,
        Err(error) => {
            tracing::warn!(target: "fundledger::sso", "{error}");
            return Refusal::Unavailable(error.to_string()).page(sso.name());
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = provider
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let attempt = Attempt {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next: safe_next(query.next.as_deref()),
    };
    let mut response = Redirect::to(url.as_str()).into_response();
    append_cookie(&mut response, attempt.cookie(sso.settings.secure_cookies));
    response
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

/// `GET /sign-in/sso/callback`: the provider's answer. The attempt's cookie is cleared
/// whatever happens, so a callback can be used once.
async fn callback(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(sso) = app.state.sso.clone() else {
        return Refusal::NotConfigured.page("single sign-on");
    };
    let mut response = match finish(&app, &sso, peer, &headers, query).await {
        Ok(response) => response,
        Err(refusal) => {
            let (title, detail) = (refusal.title(), refusal.detail());
            tracing::info!(target: "fundledger::sso", "single sign-on refused: {title} {detail}");
            refusal.page(sso.name())
        }
    };
    append_cookie(&mut response, Attempt::removal(sso.settings.secure_cookies));
    response
}

/// The checks of a callback in order; the person signed in, or why not.
async fn finish(
    app: &App,
    sso: &SingleSignOn,
    peer: SocketAddr,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Result<Response, Refusal> {
    let database = app.state.database();
    let bucket = format!("sso-callback:ip:{}", peer.ip());
    accounts::throttle::hit(
        database,
        &bucket,
        SSO_CALLBACK_RULE,
        "single sign-on attempts from this address",
    )
    .await?;
    let attempt = Attempt::from_headers(headers).ok_or(Refusal::NoAttempt)?;
    let state = query.state.unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(attempt.state.as_bytes())) {
        return Err(Refusal::StateMismatch);
    }
    // RFC 9207: a provider that names itself must be ours (no mix-up with another).
    if let Some(iss) = query.iss {
        if iss.trim_end_matches('/') != sso.settings.issuer.as_str().trim_end_matches('/') {
            return Err(Refusal::WrongIssuer(iss));
        }
    }
    // Only an answer to this browser's attempt (state checked above) says why it failed:
    // nobody else can put their words on this page.
    if let Some(error) = query.error {
        return Err(Refusal::ProviderSaid {
            error,
            description: query.error_description,
        });
    }
    let code = query
        .code
        .ok_or_else(|| Refusal::CodeRefused("the answer carried no code".into()))?;
    let email = verified_email(sso, code, &attempt).await?;
    let person = accounts::people::person_by_email(database, &email)
        .await?
        .filter(|person| person.erased_at.is_none())
        .ok_or(Refusal::NoAccount(email))?;
    Ok(sign_in_and_redirect(app, &person, "oidc", &attempt.next).await)
}

/// Exchanges `code` (with the attempt's PKCE verifier) and returns the email the verified
/// ID token states, if the provider says it verified it.
async fn verified_email(
    sso: &SingleSignOn,
    code: String,
    attempt: &Attempt,
) -> Result<String, Refusal> {
    let provider = sso
        .provider()
        .await
        .map_err(|e| Refusal::Unavailable(e.to_string()))?;
    let request = provider
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Refusal::Unavailable(sso.provider_error(e).to_string()))?;
    let token = request
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.verifier.clone()))
        .request_async(&sso.http)
        .await
        .map_err(|error| match error {
            openidconnect::RequestTokenError::ServerResponse(answer) => {
                Refusal::CodeRefused(answer.to_string())
            }
            other => Refusal::Unavailable(sso.provider_error(other).to_string()),
        })?;
    let id_token = token
        .id_token()
        .ok_or_else(|| Refusal::BadIdToken("the provider sent no ID token".into()))?;
    let verifier = provider.id_token_verifier();
    let nonce = Nonce::new(attempt.nonce.clone());
    let claims = id_token
        .claims(&verifier, &nonce)
        .map_err(|e| Refusal::BadIdToken(e.to_string()))?;
    let email = claims.email().ok_or(Refusal::NoEmail)?;
    if claims.email_verified() != Some(true) {
        return Err(Refusal::UnverifiedEmail);
    }
    accounts::normalise_email(email.as_str()).map_err(|_| Refusal::NoEmail)
}

/// One sign-in attempt as its cookie keeps it: `state.nonce.verifier.hex(next)` (the
/// first three are base64url, so never hold a dot).
#[derive(Debug)]
struct Attempt {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

impl Attempt {
    fn cookie(&self, secure: bool) -> Cookie<'static> {
        let value = format!(
            "{}.{}.{}.{}",
            self.state,
            self.nonce,
            self.verifier,
            hex::encode(self.next.as_bytes())
        );
        let max_age = cookie::time::Duration::seconds(SSO_ATTEMPT_SECONDS as i64);
        Attempt::cookie_of(value, secure).max_age(max_age).build()
    }

    /// A cookie that removes the attempt's (same name and path).
    fn removal(secure: bool) -> Cookie<'static> {
        let mut cookie = Attempt::cookie_of(String::new(), secure).build();
        cookie.make_removal();
        cookie
    }

    fn cookie_of(value: String, secure: bool) -> CookieBuilder<'static> {
        Cookie::build((SSO_COOKIE, value))
            .path(SSO_PATH)
            .http_only(true)
            // Lax: the provider's redirect back is a top-level GET from another site.
            .same_site(SameSite::Lax)
            .secure(secure)
    }

    fn from_headers(headers: &HeaderMap) -> Option<Attempt> {
        let value = cookie_value(headers, SSO_COOKIE)?;
        let mut parts = value.split('.');
        let (state, nonce, verifier, next) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let next = String::from_utf8(hex::decode(next).ok()?).ok()?;
        let well_formed =
            [state, nonce, verifier].iter().all(|part| !part.is_empty()) && parts.next().is_none();
        well_formed.then(|| Attempt {
            state: state.into(),
            nonce: nonce.into(),
            verifier: verifier.into(),
            next: safe_next(Some(&next)),
        })
    }
}

fn query_value(value: &str) -> String {
    openidconnect::url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Why a single sign-on attempt signed nobody in.
#[derive(Debug)]
enum Refusal {
    NotConfigured,
    Unavailable(String),
    Throttled {
        message: String,
        retry_after_seconds: u64,
    },
    NoAttempt,
    ProviderSaid {
        error: String,
        description: Option<String>,
    },
    StateMismatch,
    WrongIssuer(String),
    CodeRefused(String),
    BadIdToken(String),
    NoEmail,
    UnverifiedEmail,
    NoAccount(String),
    Store(AccountError),
}

impl From<AccountError> for Refusal {
    fn from(error: AccountError) -> Refusal {
        match error {
            AccountError::Throttled {
                retry_after_seconds,
                ..
            } => Refusal::Throttled {
                message: error.to_string(),
                retry_after_seconds,
            },
            other => Refusal::Store(other),
        }
    }
}

impl Refusal {
    fn status(&self) -> StatusCode {
        use Refusal::*;
        match self {
            NotConfigured => StatusCode::NOT_FOUND,
            Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            NoAttempt | StateMismatch | WrongIssuer(_) | CodeRefused(_) => StatusCode::BAD_REQUEST,
            ProviderSaid { error, .. } if error == "access_denied" => StatusCode::FORBIDDEN,
            NoEmail | UnverifiedEmail | NoAccount(_) => StatusCode::FORBIDDEN,
            Unavailable(_) | ProviderSaid { .. } | BadIdToken(_) => StatusCode::BAD_GATEWAY,
            Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(&self) -> &'static str {
        use Refusal::*;
        match self {
            NotConfigured => "Single sign-on is not set up",
            Unavailable(_) => "Single sign-on is not available",
            Throttled { .. } => "Too many sign-in attempts",
            NoAttempt => "This sign-in has expired or was already used",
            ProviderSaid { error, .. } if error == "access_denied" => "You did not sign in",
            ProviderSaid { .. } => "Single sign-on did not work",
            StateMismatch => "This sign-in could not be checked",
            WrongIssuer(_) => "This sign-in came from the wrong provider",
            CodeRefused(_) => "This sign-in could not be completed",
            BadIdToken(_) => "This sign-in could not be verified",
            NoEmail => "No email address was shared",
            UnverifiedEmail => "Your email address is not verified",
            NoAccount(_) => "You do not have an account",
            Store(_) => "Sorry, there is a problem with the service",
        }
    }

    /// What happened and what to do, for people; `provider` names the provider.
    fn explanation(&self, provider: &str) -> String {
        use Refusal::*;
        let not_signed_in = "You have not been signed in.";
        match self {
            NotConfigured => "This service does not use single sign-on. Sign in with an email link instead.".into(),
            Unavailable(_) => format!("{provider} could not be reached just now. Try again in a few minutes, or sign in with an email link."),
            Throttled { message, .. } => format!("There have been {message}."),
            NoAttempt => format!("A sign-in attempt lasts {} minutes and can be used once. Start again.", SSO_ATTEMPT_SECONDS / 60),
            ProviderSaid { error, .. } if error == "access_denied" => format!("{provider} did not sign you in: it was cancelled or refused. {not_signed_in}"),
            ProviderSaid { error, description } => {
                let description = description.as_ref().map(|d| format!(": {d}")).unwrap_or_default();
                format!("{provider} answered “{error}”{description}. {not_signed_in}")
            }
            StateMismatch => format!("The answer from the sign-in provider does not belong to the sign-in started in this browser. {not_signed_in} Start again."),
            WrongIssuer(issuer) => format!("The answer came from {issuer}, not from {provider}. {not_signed_in}"),
            CodeRefused(_) => format!("{provider} did not accept this sign-in (it may have been used already). {not_signed_in} Start again."),
            BadIdToken(_) => format!("The identity {provider} sent could not be verified. {not_signed_in}"),
            NoEmail => format!("{provider} did not tell us your email address, which is how we find your account. {not_signed_in}"),
            UnverifiedEmail => format!("{provider} has not verified your email address, so it cannot sign you in here. Sign in with an email link instead."),
            NoAccount(email) => format!("There is no account for {email}. Ask a fund officer to invite you; if you have been invited, accept the invitation from its email first."),
            Store(_) => "Your account could not be checked just now.".into(),
        }
    }

    /// What the log says beyond the page (the provider's or the store's own words).
    fn detail(&self) -> &str {
        match self {
            Refusal::Unavailable(detail)
            | Refusal::CodeRefused(detail)
            | Refusal::BadIdToken(detail) => detail,
            _ => "",
        }
    }

    /// The refusal as a page; signs nobody in.
    fn page(&self, provider: &str) -> Response {
        if let Refusal::Store(error) = self {
            return super::failure_page(error, None);
        }
        let message = html! {
            p class="govuk-body" { (self.explanation(provider)) }
            p class="govuk-body" {
                a class="govuk-link" href="/sign-in" { "Go to the sign-in page" }
            }
        };
        let mut response = layout::error_page(self.status(), self.title(), message, None);
        if let Refusal::Throttled {
            retry_after_seconds,
            ..
        } = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
        }
        response
    }
}
