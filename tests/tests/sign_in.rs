//! Email sign-in, sessions and the account page, end to end on both stores: the real
//! server mails its links to a real SMTP server (aiosmtpd) and the test reads them from
//! the received messages; pages are spoken to over HTTP as a browser without JavaScript
//! would (`WebClient`), and one journey runs in a real headless Chromium with axe-core
//! scans and screenshots.

mod common;

use std::time::Duration;

use common::PROGRAM;
use fundledger_tests::browser::Browser;
use fundledger_tests::smtp::SmtpServer;
use fundledger_tests::web_client::{WebClient, WebPage};
use fundledger_tests::{spawn_app_with_env, Store, TestApp};
use infrastructure::accounts::grants::grant_role;
use infrastructure::accounts::people::{find_or_create_person, person};
use infrastructure::accounts::{Person, ScopedRole};
use serde_json::json;

const EMAIL: &str = "ada@example.org";

struct World {
    app: TestApp,
    smtp: SmtpServer,
    person: Person,
}

/// A server mailing through a fresh SMTP server, with one person (`EMAIL`) who may sign in.
async fn world(store: Store, env: &[(&str, &str)]) -> World {
    let smtp = SmtpServer::start().await;
    let mut vars: Vec<(&str, String)> = vec![
        ("FUNDLEDGER_SMTP_URL", smtp.url()),
        (
            "FUNDLEDGER_MAIL_FROM",
            "Test Fund <fund@example.org>".into(),
        ),
    ];
    vars.extend(env.iter().map(|(name, value)| (*name, value.to_string())));
    let app = spawn_app_with_env(PROGRAM, store, &vars).await;
    let person = find_or_create_person(&app.database.database, EMAIL, Some("Ada Lovelace"))
        .await
        .expect("a person");
    World { app, smtp, person }
}

/// Asks for a link for `email` from `client` (the form's double-submit token included).
async fn ask_for_link(client: &WebClient, email: &str) -> WebPage {
    let form = client.get("/sign-in").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = form.field("csrf_token").expect("the form's token");
    client
        .post_form(
            "/sign-in",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("next", "/account"),
            ],
        )
        .await
}

/// The link in message number `nth` to `email`.
async fn mailed_link(world: &World, email: &str, nth: usize) -> String {
    let mail = world.smtp.wait_for_nth_message(email, nth).await;
    assert_eq!(mail.subject, "Sign in to fundledger");
    assert!(mail.from.contains("fund@example.org"), "{}", mail.from);
    mail.link_starting(&format!("{}/sign-in/link/", world.app.base))
        .unwrap_or_else(|| panic!("no sign-in link in:\n{}", mail.body))
}

/// Opens `link` and presses its "Sign in" button.
async fn use_link(client: &WebClient, link: &str, next: &str) -> WebPage {
    let page = client.get(link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to fundledger"), "{}", page.body);
    let token = page.field("csrf_token").expect("the button's token");
    client
        .post_form(link, &[("csrf_token", &token), ("next", next)])
        .await
}

/// Signs `client` in as `EMAIL` (message `nth` to it), landing on the account page.
async fn sign_in(world: &World, client: &WebClient, nth: usize) {
    let asked = ask_for_link(client, EMAIL).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let link = mailed_link(world, EMAIL, nth).await;
    let signed_in = use_link(client, &link, "/account").await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), Some("/account"));
}

async fn both(test: impl AsyncFn(Store)) {
    test(Store::Sqlite).await;
    test(Store::Postgres).await;
}

#[tokio::test]
async fn a_mailed_link_signs_in_once_with_a_safe_cookie() {
    both(async |store| {
        let world = world(store, &[]).await;
        let client = WebClient::new(&world.app.base);
        let asked = ask_for_link(&client, EMAIL).await;
        assert_eq!(asked.status, 200);
        assert!(asked.body.contains("Check your email"), "{}", asked.body);
        let link = mailed_link(&world, EMAIL, 1).await;
        // A link to another site as `next` lands on the work page instead.
        let signed_in = use_link(&client, &link, "https://evil.example/").await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(signed_in.location(), Some("/work"));
        let cookie = signed_in
            .set_cookie("fundledger_session")
            .expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "http must not mark it Secure: {cookie}"
        );
        let account = client.get("/account").await;
        assert_eq!(account.status, 200, "{}", account.body);
        assert!(account.body.contains("Ada Lovelace") && account.body.contains(EMAIL));
        assert!(account.body.contains("This session"));

        // The same link again: refused, and nobody is signed in by it.
        let stranger = WebClient::new(&world.app.base);
        let again = use_link(&stranger, &link, "/account").await;
        assert_eq!(again.status, 410, "{}", again.body);
        assert!(again.body.contains("already been used"), "{}", again.body);
        assert!(again.body.contains("Get a new sign-in link"));
        assert!(stranger.cookie("fundledger_session").is_none());

        // An email with no account gets the same answer, and no mail.
        let unknown = ask_for_link(&WebClient::new(&world.app.base), "nobody@example.org").await;
        assert_eq!(unknown.status, 200);
        assert!(unknown.body.contains("Check your email"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(world.smtp.messages_to("nobody@example.org").is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    both(async |store| {
        let world = world(store, &[("FUNDLEDGER_SIGN_IN_LINK_SECONDS", "1")]).await;
        let client = WebClient::new(&world.app.base);
        ask_for_link(&client, EMAIL).await;
        let link = mailed_link(&world, EMAIL, 1).await;
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        let refused = use_link(&client, &link, "/account").await;
        assert_eq!(refused.status, 410, "{}", refused.body);
        assert!(refused.body.contains("has expired"), "{}", refused.body);
        assert!(client.cookie("fundledger_session").is_none());
    })
    .await;
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_change_nothing() {
    both(async |store| {
        let world = world(store, &[]).await;
        let db = &world.app.database.database;
        let client = WebClient::new(&world.app.base);
        sign_in(&world, &client, 1).await;
        for token in [None, Some("wrong-token")] {
            let mut fields = vec![("name", "Mallory")];
            if let Some(token) = token {
                fields.push(("csrf_token", token));
            }
            let refused = client.post_form("/account/name", &fields).await;
            assert_eq!(refused.status, 403, "{}", refused.body);
            assert!(refused.body.contains("security token"), "{}", refused.body);
            let stored = person(db, &world.person.id).await.unwrap().unwrap();
            assert_eq!(stored.name.as_deref(), Some("Ada Lovelace"));
        }
        // The right token changes it.
        let account = client.get("/account").await;
        let token = account.field("csrf_token").unwrap();
        let changed = client
            .post_form(
                "/account/name",
                &[("csrf_token", &token), ("name", "Ada King")],
            )
            .await;
        assert_eq!(changed.status, 303, "{}", changed.body);
        let stored = person(db, &world.person.id).await.unwrap().unwrap();
        assert_eq!(stored.name.as_deref(), Some("Ada King"));

        // The signed-out email form: no double-submit cookie, or a different one → refused,
        // no link issued, no mail.
        let stranger = WebClient::new(&world.app.base);
        let form = stranger.get("/sign-in").await;
        let token = form.field("csrf_token").unwrap();
        stranger.put_cookie(
            "fundledger_form",
            Some("another-value-of-the-same-length-as-a-token"),
        );
        let refused = stranger
            .post_form("/sign-in", &[("csrf_token", &token), ("email", EMAIL)])
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        stranger.put_cookie("fundledger_form", None);
        let refused = stranger
            .post_form("/sign-in", &[("csrf_token", &token), ("email", EMAIL)])
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            world.smtp.messages_to(EMAIL).len(),
            1,
            "only the first sign-in's mail"
        );
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_everywhere_ends_the_others() {
    both(async |store| {
        let world = world(store, &[]).await;
        let laptop = WebClient::new(&world.app.base);
        let phone = WebClient::new(&world.app.base);
        let tablet = WebClient::new(&world.app.base);
        sign_in(&world, &laptop, 1).await;
        sign_in(&world, &phone, 2).await;
        sign_in(&world, &tablet, 3).await;
        let stolen = tablet.cookie("fundledger_session").unwrap();

        // Sign out (the tablet): its cookie is removed and no longer works.
        let account = tablet.get("/account").await;
        let token = account.field("csrf_token").unwrap();
        let out = tablet
            .post_form("/sign-out", &[("csrf_token", &token)])
            .await;
        assert_eq!(out.status, 303);
        assert_eq!(out.location(), Some("/signed-out"));
        assert!(tablet.cookie("fundledger_session").is_none());
        tablet.put_cookie("fundledger_session", Some(&stolen));
        let after = tablet.get("/account").await;
        assert_eq!(after.status, 303);
        assert_eq!(after.location(), Some("/sign-in?next=%2Faccount"));

        // Sign out everywhere (from the laptop): the phone is signed out too.
        assert_eq!(phone.get("/account").await.status, 200);
        let account = laptop.get("/account").await;
        let token = account.field("csrf_token").unwrap();
        let everywhere = laptop
            .post_form("/account/sign-out-everywhere", &[("csrf_token", &token)])
            .await;
        assert_eq!(everywhere.status, 303);
        for client in [&laptop, &phone] {
            let refused = client.get("/account").await;
            assert_eq!(refused.status, 303, "{}", refused.body);
            assert!(refused.location().unwrap().starts_with("/sign-in"));
        }
    })
    .await;
}

#[tokio::test]
async fn sign_in_requests_are_throttled_with_a_message() {
    both(async |store| {
        let world = world(store, &[]).await;
        let client = WebClient::new(&world.app.base);
        for _ in 0..5 {
            assert_eq!(ask_for_link(&client, EMAIL).await.status, 200);
        }
        let throttled = ask_for_link(&client, EMAIL).await;
        assert_eq!(throttled.status, 429, "{}", throttled.body);
        assert!(throttled.body.contains("Too many attempts"));
        assert!(
            throttled
                .body
                .contains("sign-in links asked for this email address"),
            "{}",
            throttled.body
        );
        assert!(throttled.headers.get("retry-after").is_some());
        // Another email from the same address is still served (until the address's limit).
        let other = ask_for_link(&client, "grace@example.org").await;
        assert_eq!(other.status, 200, "{}", other.body);
        world.smtp.wait_for_nth_message(EMAIL, 5).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            world.smtp.messages_to(EMAIL).len(),
            5,
            "the throttled request sent nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn an_idle_session_is_refused() {
    both(async |store| {
        let world = world(store, &[("FUNDLEDGER_SESSION_IDLE_SECONDS", "2")]).await;
        let client = WebClient::new(&world.app.base);
        sign_in(&world, &client, 1).await;
        assert_eq!(client.get("/account").await.status, 200);
        tokio::time::sleep(Duration::from_millis(3_100)).await;
        let refused = client.get("/account").await;
        assert_eq!(refused.status, 303, "{}", refused.body);
        assert_eq!(refused.location(), Some("/sign-in?next=%2Faccount"));
    })
    .await;
}

const ESTABLISH_FUND: &str =
    "mutation($input: EstablishFundInput!) { establishFund(input: $input) { fund { id } } }";

fn fund_input(name: &str) -> serde_json::Value {
    json!({ "input": { "name": name, "funderOrgId": "GB-CHC-0000001", "funderName": "Test Funder" } })
}

/// Signs in as `EMAIL` (an owner) and makes an API token on the account page: the client,
/// the page's CSRF token and the token's secret.
async fn token_from_the_account_page(world: &World) -> (WebClient, String, String) {
    let db = &world.app.database.database;
    grant_role(db, &world.person.id, &ScopedRole::owner(), "test")
        .await
        .unwrap();
    let client = WebClient::new(&world.app.base);
    sign_in(world, &client, 1).await;
    let account = client.get("/account").await;
    assert!(
        account.body.contains("Owner (can create funds)"),
        "{}",
        account.body
    );
    let csrf = account.field("csrf_token").unwrap();

    // Bad input: a clear error beside each field, nothing made.
    let refused = client
        .post_form(
            "/account/tokens",
            &[
                ("csrf_token", &csrf),
                ("token_name", ""),
                ("expires_in_days", "999"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("Enter a name for the token"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("from 1 to 366"), "{}", refused.body);
    assert!(refused.body.contains("You have no API tokens"));
    // A scope the person does not hold is refused too.
    let refused = client
        .post_form(
            "/account/tokens",
            &[
                ("csrf_token", &csrf),
                ("token_name", "x"),
                ("expires_in_days", "7"),
                ("scope", "officer:F-someone-elses"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("Choose what the token may do"),
        "{}",
        refused.body
    );

    let created = client
        .post_form(
            "/account/tokens",
            &[
                ("csrf_token", &csrf),
                ("token_name", "Payments script"),
                ("expires_in_days", "7"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.body.contains("only time it is shown"));
    let secret = secret_on(&created.body);
    (client, csrf, secret)
}

/// Revokes the (only) token listed on the account page.
async fn revoke_listed_token(client: &WebClient, csrf: &str) {
    let account = client.get("/account").await;
    assert!(account.body.contains("Payments script") && account.body.contains("Active"));
    let token_id = account
        .body
        .split("/account/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    let revoked = client
        .post_form(
            &format!("/account/tokens/{token_id}/revoke"),
            &[("csrf_token", csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(revoked.location(), Some("/account?done=revoked"));
    let account = client.get("/account?done=revoked").await;
    assert!(account.body.contains("Revoked"), "{}", account.body);
    assert!(
        account.body.contains("has been revoked"),
        "{}",
        account.body
    );
}

#[tokio::test]
async fn api_tokens_are_made_listed_and_revoked_on_the_account_page() {
    both(async |store| {
        let world = world(store, &[]).await;
        let (client, csrf, _) = token_from_the_account_page(&world).await;
        revoke_listed_token(&client, &csrf).await;
        // Another person's token id is not theirs to revoke.
        let refused = client
            .post_form("/account/tokens/not-mine/revoke", &[("csrf_token", &csrf)])
            .await;
        assert_eq!(refused.status, 404, "{}", refused.body);
    })
    .await;
}

#[tokio::test]
async fn an_api_token_from_the_account_page_works_on_graphql_until_revoked() {
    both(async |store| {
        let world = world(store, &[]).await;
        let (client, csrf, secret) = token_from_the_account_page(&world).await;
        let made = world
            .app
            .gql(Some(&secret), ESTABLISH_FUND, fund_input("Token Fund"))
            .await
            .ok();
        assert!(made.data()["establishFund"]["fund"]["id"].is_string());
        revoke_listed_token(&client, &csrf).await;
        world
            .app
            .gql(Some(&secret), ESTABLISH_FUND, fund_input("Refused Fund"))
            .await
            .expect_code("UNAUTHENTICATED");
    })
    .await;
}

/// The token shown once on the "Your new API token" page.
fn secret_on(body: &str) -> String {
    let start = body
        .find("id=\"api-token\">")
        .expect("the token on the page")
        + "id=\"api-token\">".len();
    let secret = &body[start..start + body[start..].find('<').unwrap()];
    assert!(secret.starts_with("flt_"), "{secret}");
    secret.to_string()
}

#[tokio::test]
async fn in_a_browser_sign_in_then_make_a_token() {
    both(async |store| {
        let world = world(store, &[]).await;
        let browser = Browser::start(&world.app.base).await;
        let name = |page: &str| format!("sign-in-{page}-{store:?}").to_lowercase();

        browser.goto("/account").await;
        assert!(
            browser.path().await.starts_with("/sign-in?next="),
            "{}",
            browser.path().await
        );
        browser.axe_scan("the sign-in page").await;
        browser.screenshot(&name("email")).await;
        browser.click_and_wait("button.govuk-button").await;
        assert!(browser.title().await.starts_with("Error: "));
        assert_eq!(
            browser.text(".govuk-error-summary__list a").await,
            "Enter an email address in the correct format, like name@example.org"
        );
        browser.axe_scan("the sign-in page with an error").await;
        browser.screenshot(&name("email-error")).await;
        browser.fill("#email", EMAIL).await;
        browser.click_and_wait("button.govuk-button").await;
        assert_eq!(browser.text("h1").await, "Check your email");
        browser.axe_scan("check your email").await;
        browser.screenshot(&name("check-email")).await;

        browser.goto(&mailed_link(&world, EMAIL, 1).await).await;
        browser.axe_scan("the sign-in link's page").await;
        browser.screenshot(&name("link")).await;
        browser.click_and_wait("button.govuk-button").await;
        assert_eq!(browser.path().await, "/account");
        assert_eq!(browser.text("h1").await, "Your account");
        browser.axe_scan("the account page").await;
        browser.screenshot(&name("account")).await;

        browser.fill("#token_name", "Monthly export").await;
        browser
            .click_and_wait("form[action='/account/tokens'] button.govuk-button")
            .await;
        assert!(browser.text("#api-token").await.starts_with("flt_"));
        browser.axe_scan("the new token's page").await;
        browser.screenshot(&name("token")).await;
        browser.goto("/account").await;
        assert!(browser
            .text("#main-content")
            .await
            .contains("Monthly export"));
        browser.screenshot(&name("account-with-token")).await;
        browser.close().await;
    })
    .await;
}
