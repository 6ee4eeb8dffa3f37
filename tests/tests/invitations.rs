//! Invitations end to end, on both stores, over a real SMTP server: an officer invites,
//! the link is read from the message the SMTP server received, the person accepts on the
//! invitation page and acts in the role it grants (and nowhere else); expired, used and
//! withdrawn links are refused with their own page; an officer of one fund can neither
//! invite to nor remove roles in another; a removed role is refused on the next request;
//! the forms refuse a POST without the session's CSRF token.

mod common;

use std::time::Duration;

use common::*;
use fundledger_tests::smtp::SmtpServer;
use fundledger_tests::{spawn_app_over, Reply, Store, TestApp};
use infrastructure::test_support::TestDatabase;
use serde_json::{json, Value};

const INVITE: &str = "mutation($input: InvitePersonInput!) { invitePerson(input: $input) { \
    created invitation { invitationId email status invitedBy grants { role scope scopeName } } } }";
const WITHDRAW: &str =
    "mutation($input: WithdrawInvitationInput!) { withdrawInvitation(input: $input) { \
    invitation { invitationId status } } }";
const REMOVE: &str =
    "mutation($input: RemoveRoleInput!) { removeRole(input: $input) { personId removed } }";
const PEOPLE: &str = "query($fund: String!) { people(fundId: $fund) { personId name email roles { role scope scopeName } } \
    invitations(fundId: $fund) { invitationId email status grants { role scope } } }";
const SCORE: &str =
    "mutation($input: ScoreApplicationInput!) { scoreApplication(input: $input) { position } }";

/// A server sending mail to a real SMTP server of its own, with extra environment.
async fn spawn_with_mail(store: Store, env: &[(&str, String)]) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start().await;
    let mut env = env.to_vec();
    env.push(("FUNDLEDGER_SMTP_URL", smtp.url()));
    env.push(("FUNDLEDGER_MAIL_FROM", "fund@example.org".to_string()));
    let database = match store {
        Store::Sqlite => TestDatabase::sqlite().await,
        Store::Postgres => TestDatabase::postgres().await,
    }
    .expect("a fresh test database");
    let app = spawn_app_over(PROGRAM, database, false, &env).await;
    (app, smtp)
}

/// The path (`/invitations/{secret}`) of the link in the invitation mailed to `to`.
async fn invitation_path(smtp: &SmtpServer, to: &str) -> String {
    let message = smtp.wait_for_message(to).await;
    assert!(
        message.subject.contains("You're invited to be"),
        "{}",
        message.subject
    );
    let body = message.body;
    let start = body
        .find("/invitations/")
        .unwrap_or_else(|| panic!("no invitation link in the mail to {to}: {body}"));
    body[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_string()
}

async fn invite(app: &TestApp, token: &str, input: Value) -> Reply {
    app.gql(Some(token), INVITE, json!({ "input": input }))
        .await
}

/// A browser-less client: no redirects followed, cookies handled by hand.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// A signed-in person's session: the cookie and the CSRF token its forms carry.
#[derive(Debug, Clone)]
struct SignedInSession {
    cookie: String,
    csrf: String,
}

/// Accepts the invitation at `path` as `name`: a redirect to the account page that sets
/// the session cookie.
async fn accept(app: &TestApp, path: &str, name: &str) -> SignedInSession {
    let response = plain_client()
        .post(format!("{}{path}", app.base))
        .form(&[("name", name)])
        .send()
        .await
        .expect("POST the invitation");
    assert_eq!(response.status().as_u16(), 303, "accepting redirects");
    assert_eq!(
        response.headers()["location"].to_str().unwrap_or_default(),
        "/work"
    );
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("fundledger_session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    // The session's CSRF token, as its pages' forms carry it, read from the store.
    let secret = cookie.trim_start_matches("fundledger_session=");
    let limits = infrastructure::accounts::SessionLimits::default();
    let session = infrastructure::accounts::sessions::session_by_secret(
        &app.database.database,
        secret,
        limits,
    )
    .await
    .expect("reading the session")
    .expect("a live session");
    let person =
        infrastructure::accounts::people::person(&app.database.database, &session.person_id)
            .await
            .expect("reading the person")
            .expect("the person");
    assert_eq!(
        person.name.as_deref(),
        Some(name),
        "the name given on accepting"
    );
    SignedInSession {
        csrf: session.csrf_token,
        cookie,
    }
}

async fn get_page(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut request = plain_client().get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn post_form(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> u16 {
    plain_client()
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("POST a form")
        .status()
        .as_u16()
}

/// GraphQL as the signed-in person (the session cookie and its CSRF header).
async fn gql_as(app: &TestApp, session: &SignedInSession, query: &str, variables: Value) -> Reply {
    let body =
        serde_json::to_vec(&json!({ "query": query, "variables": variables })).expect("json");
    app.post_raw(
        None,
        &[
            ("cookie", session.cookie.clone()),
            ("x-csrf-token", session.csrf.clone()),
        ],
        body,
    )
    .await
}

/// Two funds, each with a round and an application: (fund, round, application) × 2.
async fn two_funds(app: &TestApp) -> [(String, String, String); 2] {
    let (fund_x, round_a) = fund_and_round(app).await;
    let (fund_y, round_b) = fund_and_round(app).await;
    let application_a = submit(app, ORG, &round_a, "Food bank", "1000.00").await;
    let application_b = submit(app, OTHER_ORG, &round_b, "Lunch club", "1000.00").await;
    [
        (fund_x, round_a, application_a),
        (fund_y, round_b, application_b),
    ]
}

async fn an_accepted_invitation_grants_its_role_and_no_other(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let [(_, round_a, application_a), (_, _, application_b)] = two_funds(&app).await;
    let invited = invite(
        &app,
        &app.admin(),
        json!({ "email": "Pat@Example.org", "name": "Pat", "role": "PANEL", "roundId": round_a }),
    )
    .await
    .ok();
    let invitation = &invited.data()["invitePerson"]["invitation"];
    assert_eq!(invitation["email"], "pat@example.org");
    assert_eq!(invitation["status"], "OPEN");
    assert_eq!(invitation["grants"]["scopeName"], "Round One");
    assert!(
        !invited.body.to_string().contains("/invitations/"),
        "never the link"
    );
    let path = invitation_path(&smtp, "pat@example.org").await;
    let (status, page) = get_page(&app, &path, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("panel member of Round One"), "{page}");
    let head = app.head().await;
    let pat = accept(&app, &path, "Pat Lee").await;
    assert_eq!(
        app.head().await,
        head,
        "accepting writes nothing to the log"
    );
    // Pat scores in round A, and is refused round B.
    let scored = gql_as(
        &app,
        &pat,
        SCORE,
        json!({ "input": { "applicationId": application_a, "score": 4, "comment": "Good" } }),
    )
    .await;
    scored.ok();
    let head = app.head().await;
    let refused = gql_as(
        &app,
        &pat,
        SCORE,
        json!({ "input": { "applicationId": application_b, "score": 4, "comment": "No" } }),
    )
    .await;
    refused.expect_code("FORBIDDEN");
    assert_eq!(app.head().await, head, "a refused score writes nothing");
}

async fn an_expired_invitation_is_refused(store: Store) {
    let env = [("FUNDLEDGER_INVITATION_SECONDS", "1".to_string())];
    let (app, smtp) = spawn_with_mail(store, &env).await;
    let (fund, round) = fund_and_round(&app).await;
    let admin = app.admin();
    invite(
        &app,
        &admin,
        json!({ "email": "late@example.org", "role": "PANEL", "roundId": round }),
    )
    .await
    .ok();
    let late = invitation_path(&smtp, "late@example.org").await;
    // Past its 1 s lifetime on the real clock.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let (status, page) = get_page(&app, &late, None).await;
    assert_eq!(status, 410);
    assert!(page.contains("has expired"), "{page}");
    let refused = plain_client()
        .post(format!("{}{late}", app.base))
        .form(&[("name", "Late")])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status().as_u16(), 410);
    assert!(refused.headers().get("set-cookie").is_none(), "no session");
    let people = app
        .gql(Some(&admin), PEOPLE, json!({ "fund": fund }))
        .await
        .ok();
    assert!(
        !people.body.to_string().contains("late@example.org"),
        "{}",
        people.body
    );
}

async fn used_and_withdrawn_invitations_are_refused(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let (fund, _) = fund_and_round(&app).await;
    let admin = app.admin();
    invite(
        &app,
        &admin,
        json!({ "email": "twice@example.org", "role": "OFFICER", "fundId": fund }),
    )
    .await
    .ok();
    let twice = invitation_path(&smtp, "twice@example.org").await;
    accept(&app, &twice, "Twice").await;
    let (status, page) = get_page(&app, &twice, None).await;
    assert_eq!(status, 410);
    assert!(page.contains("already been used"), "{page}");
    let second = plain_client()
        .post(format!("{}{twice}", app.base))
        .form(&[("name", "Again")])
        .send()
        .await
        .expect("POST");
    assert_eq!(second.status().as_u16(), 410);
    assert!(
        second.headers().get("set-cookie").is_none(),
        "no session for a used link"
    );
    let withdrawn = invite(
        &app,
        &admin,
        json!({ "email": "gone@example.org", "role": "OFFICER", "fundId": fund }),
    )
    .await
    .ok();
    let id = s(&withdrawn.data()["invitePerson"]["invitation"]["invitationId"]);
    let gone = invitation_path(&smtp, "gone@example.org").await;
    let reply = app
        .gql(
            Some(&admin),
            WITHDRAW,
            json!({ "input": { "invitationId": id } }),
        )
        .await
        .ok();
    assert_eq!(
        reply.data()["withdrawInvitation"]["invitation"]["status"],
        "WITHDRAWN"
    );
    let (status, page) = get_page(&app, &gone, None).await;
    assert_eq!(status, 410);
    assert!(page.contains("has been withdrawn"), "{page}");
    let (status, _) = get_page(&app, "/invitations/not-a-real-secret", None).await;
    assert_eq!(status, 404);
    let people = app
        .gql(Some(&admin), PEOPLE, json!({ "fund": fund }))
        .await
        .ok();
    let listed = people.body.to_string();
    assert!(listed.contains("twice@example.org"), "{listed}");
    assert!(!listed.contains("gone@example.org"), "{listed}");
}

async fn an_officer_of_one_fund_cannot_invite_or_remove_in_another(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let [(fund_x, round_a, _), (fund_y, round_b, _)] = two_funds(&app).await;
    let admin = app.admin();
    invite(
        &app,
        &admin,
        json!({ "email": "olu@example.org", "role": "OFFICER", "fundId": fund_x }),
    )
    .await
    .ok();
    let olu = accept(
        &app,
        &invitation_path(&smtp, "olu@example.org").await,
        "Olu",
    )
    .await;
    invite(
        &app,
        &admin,
        json!({ "email": "bea@example.org", "role": "PANEL", "roundId": round_b }),
    )
    .await
    .ok();
    let bea_path = invitation_path(&smtp, "bea@example.org").await;
    accept(&app, &bea_path, "Bea").await;
    // Olu invites to fund X's round; not to fund Y, its round or its officers.
    gql_as(
        &app,
        &olu,
        INVITE,
        json!({ "input": { "email": "ann@example.org", "role": "PANEL", "roundId": round_a } }),
    )
    .await
    .ok();
    for input in [
        json!({ "email": "x@example.org", "role": "OFFICER", "fundId": fund_y }),
        json!({ "email": "x@example.org", "role": "PANEL", "roundId": round_b }),
        json!({ "email": "x@example.org", "role": "MEMBER", "fundId": fund_y, "organisationId": OTHER_ORG }),
        json!({ "email": "x@example.org", "role": "MEMBER", "fundId": fund_x, "organisationId": OTHER_ORG }),
    ] {
        gql_as(&app, &olu, INVITE, json!({ "input": input }))
            .await
            .expect_code("FORBIDDEN");
    }
    assert!(
        smtp.messages_to("x@example.org").is_empty(),
        "no refused invitation was mailed"
    );
    // Nor remove Bea from fund Y's round, nor list fund Y's people.
    let people_y = app
        .gql(Some(&admin), PEOPLE, json!({ "fund": fund_y }))
        .await
        .ok();
    let bea = people_y.data()["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|person| person["email"] == "bea@example.org")
        .expect("Bea listed")
        .clone();
    let bea_id = s(&bea["personId"]);
    gql_as(
        &app,
        &olu,
        REMOVE,
        json!({ "input": { "personId": bea_id, "role": "PANEL", "scope": round_b } }),
    )
    .await
    .expect_code("FORBIDDEN");
    gql_as(&app, &olu, PEOPLE, json!({ "fund": fund_y }))
        .await
        .expect_code("FORBIDDEN");
    let still = app
        .gql(Some(&admin), PEOPLE, json!({ "fund": fund_y }))
        .await
        .ok();
    assert!(
        still.body.to_string().contains("bea@example.org"),
        "Bea keeps her role"
    );
    // Anonymous callers are asked to sign in.
    app.gql(None, PEOPLE, json!({ "fund": fund_x }))
        .await
        .expect_code("UNAUTHENTICATED");
    app.gql(
        None,
        INVITE,
        json!({ "input": { "email": "a@example.org", "role": "OFFICER", "fundId": fund_x } }),
    )
    .await
    .expect_code("UNAUTHENTICATED");
}

async fn a_removed_role_is_refused_on_the_next_request(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let (fund, round) = fund_and_round(&app).await;
    let application = submit(&app, ORG, &round, "Food bank", "1000.00").await;
    let admin = app.admin();
    invite(
        &app,
        &admin,
        json!({ "email": "sam@example.org", "role": "PANEL", "roundId": round }),
    )
    .await
    .ok();
    let sam = accept(
        &app,
        &invitation_path(&smtp, "sam@example.org").await,
        "Sam",
    )
    .await;
    let people = app
        .gql(Some(&admin), PEOPLE, json!({ "fund": fund }))
        .await
        .ok();
    let sam_entry = people.data()["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|person| person["email"] == "sam@example.org")
        .expect("Sam listed")
        .clone();
    assert_eq!(sam_entry["roles"][0]["role"], "PANEL");
    let removed = app.gql(Some(&admin), REMOVE, json!({ "input": { "personId": sam_entry["personId"], "role": "PANEL", "scope": round } })).await.ok();
    assert_eq!(removed.data()["removeRole"]["removed"], true);
    let head = app.head().await;
    gql_as(
        &app,
        &sam,
        SCORE,
        json!({ "input": { "applicationId": application, "score": 3, "comment": "Late" } }),
    )
    .await
    .expect_code("FORBIDDEN");
    assert_eq!(app.head().await, head);
}

async fn people_forms_refuse_a_post_without_the_csrf_token(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let (fund, round) = fund_and_round(&app).await;
    invite(
        &app,
        &app.admin(),
        json!({ "email": "olu@example.org", "role": "OFFICER", "fundId": fund }),
    )
    .await
    .ok();
    let olu = accept(
        &app,
        &invitation_path(&smtp, "olu@example.org").await,
        "Olu",
    )
    .await;
    let path = format!("/manage/funds/{fund}/people/invite");
    let form = [
        ("email", "eve@example.org"),
        ("role", "panel"),
        ("round_id", round.as_str()),
    ];
    assert_eq!(post_form(&app, &path, &olu.cookie, &form).await, 403);
    let mut wrong = form.to_vec();
    wrong.push(("csrf_token", "not-the-token"));
    assert_eq!(post_form(&app, &path, &olu.cookie, &wrong).await, 403);
    let people = gql_as(&app, &olu, PEOPLE, json!({ "fund": fund }))
        .await
        .ok();
    assert!(
        !people.body.to_string().contains("eve@example.org"),
        "nothing was made"
    );
    // With the token it works, and the page lists the open invitation.
    let mut right = form.to_vec();
    right.push(("csrf_token", olu.csrf.as_str()));
    assert_eq!(post_form(&app, &path, &olu.cookie, &right).await, 303);
    let (status, page) = get_page(
        &app,
        &format!("/manage/funds/{fund}/people"),
        Some(&olu.cookie),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("eve@example.org"), "{page}");
    invitation_path(&smtp, "eve@example.org").await;
}

/// In a real browser: an officer signs in, invites a panel member from the people page, the
/// panel member opens the mailed link, accepts and lands signed in; every page scanned by
/// axe-core and kept as screenshots at 1280 and 390 px.
async fn in_a_browser_an_officer_invites_a_panel_member(store: Store) {
    let (app, smtp) = spawn_with_mail(store, &[]).await;
    let (fund, round) = fund_and_round(&app).await;
    let db = &app.database.database;
    let officer = app
        .person_with_roles(
            "olu@example.org",
            &[infrastructure::accounts::ScopedRole::officer(
                &domain::FundId::new(&fund),
            )],
        )
        .await;
    let (_, secret) =
        infrastructure::accounts::links::issue_sign_in_link(db, "olu@example.org", 600)
            .await
            .expect("a sign-in link")
            .expect("the officer exists");
    assert!(officer.as_str().starts_with("P-"));
    let browser = fundledger_tests::browser::Browser::start(&app.base).await;
    let name = |page: &str| format!("invitation-{page}-{store:?}").to_lowercase();
    browser.goto(&format!("/sign-in/link/{secret}")).await;
    browser.click_and_wait("button.govuk-button").await;
    assert_eq!(browser.path().await, "/work");
    assert!(browser
        .text("#main-content")
        .await
        .contains("Funds you run"));
    browser.goto(&format!("/manage/funds/{fund}/people")).await;
    browser.axe_scan("the fund's people page").await;
    browser.screenshot(&name("people")).await;
    browser.fill("#email", "pat@example.org").await;
    browser.fill("#name", "Pat").await;
    browser.click("#role-panel").await;
    browser
        .find("#round_id")
        .await
        .select_by_value(&round)
        .await
        .expect("choosing the round");
    browser
        .click_and_wait("form[action$='/invite'] button.govuk-button")
        .await;
    assert!(
        browser
            .text("#main-content")
            .await
            .contains("pat@example.org"),
        "the open invitation is listed"
    );
    browser.axe_scan("the people page after inviting").await;
    browser.screenshot(&name("people-invited")).await;

    let path = invitation_path(&smtp, "pat@example.org").await;
    browser.goto(&path).await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("panel member of Round One"));
    browser.axe_scan("the invitation page").await;
    browser.screenshot(&name("invitation")).await;
    browser.fill("#name", "Pat Lee").await;
    browser.click_and_wait("form button.govuk-button").await;
    assert_eq!(browser.path().await, "/work");
    assert!(browser.text("#main-content").await.contains("Round One"));
    browser.goto("/account").await;
    let account = browser.text("#main-content").await;
    assert!(
        account.contains("Pat Lee") && account.contains("Panel member of Round One"),
        "{account}"
    );
    browser.axe_scan("the new panel member's account").await;
    browser.screenshot(&name("accepted")).await;
    browser.close().await;
}

on_both_stores!(
    in_a_browser_an_officer_invites_a_panel_member,
    an_accepted_invitation_grants_its_role_and_no_other,
    an_expired_invitation_is_refused,
    used_and_withdrawn_invitations_are_refused,
    an_officer_of_one_fund_cannot_invite_or_remove_in_another,
    a_removed_role_is_refused_on_the_next_request,
    people_forms_refuse_a_post_without_the_csrf_token,
);
