//! Single sign-on through a real OpenID Connect provider (`tests/oidc/provider.mjs`, npm
//! `oidc-provider`) run locally, driven over real HTTP as a browser would: the server's
//! redirect, the provider's login form, the callback. A known person with a verified
//! email signs in; an unknown or unverified email, a cancelled sign-in, a tampered `state`
//! and a replayed callback sign nobody in and create nothing.

mod common;

use api::web::oidc::SSO_CALLBACK_RULE;
use common::PROGRAM;
use fundledger_tests::oidc::{
    cancel_at_provider, log_in_at_provider, open_provider_login, query_parameter, redirect_target,
    spawn_app_with_provider, with_query_parameter, Browser, PROVIDER_NAME,
};
use fundledger_tests::{Store, TestApp};
use infrastructure::accounts::{people, principal, sessions, Person, SessionLimits};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;

const OFFICER_EMAIL: &str = "officer@example.org";

/// A person who exists (as the owner or an invited person would).
async fn known_person(app: &TestApp, email: &str) -> Person {
    people::find_or_create_person(&app.database.database, email, Some("Olu Officer"))
        .await
        .expect("a person")
}

async fn session_count(app: &TestApp, person: &Person) -> usize {
    sessions::sessions_of(&app.database.database, &person.id)
        .await
        .expect("sessions")
        .len()
}

/// The `Set-Cookie` headers of an answer, whole.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_string))
        .collect()
}

fn starts_session(cookies: &[String]) -> bool {
    cookies
        .iter()
        .any(|cookie| cookie.starts_with("fundledger_session=") && !cookie.contains("Max-Age=0"))
}

/// Who `browser` is signed in as: the live session its cookie names, read in the store.
async fn signed_in_as(app: &TestApp, browser: &Browser) -> Option<Person> {
    let secret = browser.cookie(&app.base, "fundledger_session")?;
    let limits = SessionLimits::default();
    principal::principal_for_session(&app.database.database, &secret, limits)
        .await
        .expect("principal")
        .map(|(principal, _)| principal.person)
}

async fn signed_in(app: &TestApp, browser: &Browser) -> bool {
    signed_in_as(app, browser).await.is_some()
}

/// The callback answer's status and page, which must sign nobody in.
async fn refused(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    assert!(
        !starts_session(&set_cookies(&response)),
        "a refusal sets no session"
    );
    (status, response.text().await.expect("page"))
}

fn start_url(app: &TestApp) -> String {
    format!("{}/sign-in/sso?next=%2Faccount", app.base)
}

async fn a_known_person_with_a_verified_email_signs_in(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let person = known_person(&app, OFFICER_EMAIL).await;
    let browser = Browser::new();
    let client = &browser.client;
    assert!(!signed_in(&app, &browser).await, "not signed in before");

    // The sign-in page offers the provider, keeping `next`.
    let sign_in = client
        .get(format!("{}/sign-in?next=%2Faccount", app.base))
        .send()
        .await
        .expect("GET /sign-in");
    let sign_in = sign_in.text().await.expect("page");
    assert!(
        sign_in.contains(&format!("Sign in with {PROVIDER_NAME}")),
        "{sign_in}"
    );
    assert!(
        sign_in.contains(r#"href="/sign-in/sso?next=%2Faccount""#),
        "{sign_in}"
    );

    let login = open_provider_login(client, &start_url(&app)).await;
    // The provider states the email as typed; the server matches it as stored.
    let callback = log_in_at_provider(client, &login, "Officer@Example.org").await;
    assert!(callback.starts_with(&format!("{}/sign-in/sso/callback?", app.base)));
    let answer = client.get(&callback).send().await.expect("callback");
    let cookies = set_cookies(&answer);
    assert_eq!(redirect_target(&answer), format!("{}/account", app.base));
    assert!(starts_session(&cookies), "a session cookie: {cookies:?}");
    let session_cookie = cookies
        .iter()
        .find(|cookie| cookie.starts_with("fundledger_session="))
        .expect("session cookie");
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
    let signed_in_person = signed_in_as(&app, &browser).await.expect("signed in");
    assert_eq!(signed_in_person.id, person.id);

    let account = client
        .get(format!("{}/account", app.base))
        .send()
        .await
        .expect("GET /account");
    assert_eq!(account.status(), StatusCode::OK);
    assert!(account.text().await.expect("page").contains(OFFICER_EMAIL));
    let sessions = sessions::sessions_of(&app.database.database, &person.id)
        .await
        .expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].method, "oidc");
}

async fn an_unknown_email_is_refused_and_nothing_is_created(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let browser = Browser::new();
    let client = &browser.client;
    let login = open_provider_login(client, &start_url(&app)).await;
    let callback = log_in_at_provider(client, &login, "stranger@example.org").await;
    let (status, page) = refused(client.get(&callback).send().await.expect("callback")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Ask a fund officer to invite you"), "{page}");
    let stranger = people::person_by_email(&app.database.database, "stranger@example.org")
        .await
        .expect("lookup");
    assert_eq!(stranger, None, "nobody was created");
    assert!(!signed_in(&app, &browser).await);
}

async fn an_unverified_email_is_refused(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    // The test provider leaves addresses starting "unverified" unverified.
    let person = known_person(&app, "unverified.officer@example.org").await;
    let browser = Browser::new();
    let client = &browser.client;
    let login = open_provider_login(client, &start_url(&app)).await;
    let callback = log_in_at_provider(client, &login, "unverified.officer@example.org").await;
    let (status, page) = refused(client.get(&callback).send().await.expect("callback")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("has not verified your email address"),
        "{page}"
    );
    assert_eq!(session_count(&app, &person).await, 0);
    assert!(!signed_in(&app, &browser).await);
}

async fn a_cancelled_sign_in_signs_nobody_in(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let browser = Browser::new();
    let client = &browser.client;
    let login = open_provider_login(client, &start_url(&app)).await;
    let callback = cancel_at_provider(client, &login).await;
    assert_eq!(
        query_parameter(&callback, "error").as_deref(),
        Some("access_denied")
    );
    let (status, page) = refused(client.get(&callback).send().await.expect("callback")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains(&format!("{PROVIDER_NAME} did not sign you in")),
        "{page}"
    );
    assert!(!signed_in(&app, &browser).await);
}

async fn a_tampered_state_is_refused(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let person = known_person(&app, OFFICER_EMAIL).await;
    let browser = Browser::new();
    let client = &browser.client;
    let login = open_provider_login(client, &start_url(&app)).await;
    let callback = log_in_at_provider(client, &login, OFFICER_EMAIL).await;
    let tampered = with_query_parameter(&callback, "state", "forged-state");
    let (status, page) = refused(client.get(&tampered).send().await.expect("callback")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("does not belong to the sign-in started in this browser"),
        "{page}"
    );
    // The refused attempt is over: its genuine callback no longer signs in either.
    let (status, page) = refused(client.get(&callback).send().await.expect("callback")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired or was already used"), "{page}");
    assert_eq!(session_count(&app, &person).await, 0);
    assert!(!signed_in(&app, &browser).await);
}

async fn a_replayed_callback_is_refused(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let person = known_person(&app, OFFICER_EMAIL).await;
    let browser = Browser::new();
    let client = &browser.client;
    // Start by hand to keep the attempt's cookie, as someone who copied it would.
    let start = client.get(start_url(&app)).send().await.expect("start");
    let attempt_cookie = set_cookies(&start)
        .into_iter()
        .find(|cookie| cookie.starts_with("fundledger_sso="))
        .and_then(|cookie| cookie.split(';').next().map(str::to_string))
        .expect("the attempt's cookie");
    let authorize = redirect_target(&start);
    let interaction = fundledger_tests::oidc::follow(client, &authorize).await;
    let callback = log_in_at_provider(client, &interaction, OFFICER_EMAIL).await;
    let first = client.get(&callback).send().await.expect("callback");
    assert!(
        starts_session(&set_cookies(&first)),
        "the first use signs in"
    );
    assert_eq!(session_count(&app, &person).await, 1);

    // Again in the same browser: the attempt was used up.
    let (status, page) = refused(client.get(&callback).send().await.expect("replay")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired or was already used"), "{page}");
    // Again from elsewhere with the copied cookie: the provider refuses the used code.
    let elsewhere = Browser::new();
    let replay = elsewhere
        .client
        .get(&callback)
        .header(COOKIE, &attempt_cookie);
    let (status, page) = refused(replay.send().await.expect("replay")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("did not accept this sign-in"), "{page}");
    assert_eq!(session_count(&app, &person).await, 1, "no second session");
    assert!(!signed_in(&app, &elsewhere).await);
}

async fn callbacks_are_throttled_per_address(store: Store) {
    let (app, _log, _provider) = spawn_app_with_provider(PROGRAM, store).await;
    let browser = Browser::new();
    let client = &browser.client;
    let callback = format!("{}/sign-in/sso/callback?code=x&state=y", app.base);
    for _ in 0..SSO_CALLBACK_RULE.limit {
        let response = client.get(&callback).send().await.expect("callback");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let response = client.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let page = response.text().await.expect("page");
    assert!(
        page.contains("single sign-on attempts from this address"),
        "{page}"
    );
}

on_both_stores!(
    a_known_person_with_a_verified_email_signs_in,
    an_unknown_email_is_refused_and_nothing_is_created,
    an_unverified_email_is_refused,
    a_cancelled_sign_in_signs_nobody_in,
    a_tampered_state_is_refused,
    a_replayed_callback_is_refused,
    callbacks_are_throttled_per_address,
);

/// Without `FUNDLEDGER_OIDC_*` the sign-in page offers email links only, and the single
/// sign-on routes say it is not set up (store-independent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_settings_there_is_no_single_sign_on() {
    let app = fundledger_tests::spawn_app(PROGRAM, Store::Sqlite).await;
    let (status, page) = app.get("/sign-in").await;
    assert_eq!(status, 200);
    assert!(page.contains("Email me a sign-in link"), "{page}");
    assert!(!page.contains("Sign in with"), "{page}");
    let (status, page) = app.get("/sign-in/sso").await;
    assert_eq!(status, 404);
    assert!(page.contains("Single sign-on is not set up"), "{page}");
}

/// Settings are read once at start-up: a half-configured provider stops the server
/// before it serves (store-independent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_configured_single_sign_on_stops_the_server() {
    let directory =
        std::env::temp_dir().join(format!("fundledger-sso-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let database = format!("sqlite://{}", directory.join("fundledger.db").display());
    let output = tokio::process::Command::new(PROGRAM)
        .args([
            "serve",
            "--database-url",
            &database,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("FUNDLEDGER_OIDC_ISSUER", "http://127.0.0.1:9")
        .env_remove("FUNDLEDGER_OIDC_CLIENT_ID")
        .env_remove("FUNDLEDGER_OIDC_CLIENT_SECRET")
        .output()
        .await
        .expect("running serve");
    let created = directory.join("fundledger.db").exists();
    let _ = std::fs::remove_dir_all(&directory);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FUNDLEDGER_OIDC_CLIENT_ID"), "{stderr}");
    assert!(!created, "no store was created");
}
