//! The panel's and the voters' screens (issue 14) end to end, on both stores, in a real
//! headless Chromium: a panel member reads everything an applicant wrote, scores with a
//! comment, then sees the other members' scores; declares a conflict and is refused a
//! score after it. A resident votes on a phone: the code, the choices, the check, the
//! receipt; a used code is refused. Quick HTTP tests show that a form sent twice writes
//! once, and the refusals that are cheaper without a browser.

mod common;

use common::*;
use domain::RoundId;
use fundledger_tests::browser::Browser;
use fundledger_tests::web_client::WebClient;
use fundledger_tests::work::client_as;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use infrastructure::accounts::{self, PersonId, ScopedRole};
use serde_json::{json, Value};

/// The place `AREA` is, by name, in the shipped reference geography.
const AREA_NAME: &str = "Birmingham 031I";
const DESCRIPTION: &str =
    "We will run a community larder.\nThree days a week.\n\nVolunteers from the estate.";

const SCORES: &str = "query($round: String!) { round(id: $round) { applications { id conflicts scores { member score comment } } } }";
const VOTES: &str =
    "query($round: String!) { round(id: $round) { ballotsCast applications { id votes } } }";

/// A server with the shipped reference geography, so places read by name (the browser
/// journeys); the HTTP tests use `spawn` (faster: no geography to load).
async fn app_for(store: Store) -> TestApp {
    spawn_app_with_reference_geography(PROGRAM, store).await
}

/// A named person holding `roles` (the name is what the other members read).
async fn named_person(app: &TestApp, email: &str, name: &str, roles: &[ScopedRole]) -> PersonId {
    let db = &app.database.database;
    let person = accounts::people::find_or_create_person(db, email, Some(name))
        .await
        .expect("making a test person");
    for role in roles {
        accounts::grants::grant_role(db, &person.id, role, "test")
            .await
            .expect("granting a role");
    }
    person.id
}

async fn apply(app: &TestApp, round: &str, title: &str, amount: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": DESCRIPTION,
            "amountRequested": amount, "neighbourhood": AREA, "themes": ["food"],
            "applicantName": "Estate Larder Group"
        }),
        "application { id }",
    )
    .await;
    s(&payload["application"]["id"])
}

/// A panel round with two applications, Pat and Sam on its panel, Sam's score on the
/// first: (round, [first, second], Pat).
async fn panel_world(app: &TestApp) -> (String, [String; 2], PersonId) {
    let (_, round) = fund_and_round(app).await;
    let first = apply(app, &round, "Community Larder", "12000.00").await;
    let second = apply(app, &round, "Lunch Club", "3500.50").await;
    let panel = [ScopedRole::panel(&RoundId::new(&round))];
    let pat = named_person(app, "pat@example.org", "Pat Panel", &panel).await;
    let sam = named_person(app, "sam@example.org", "Sam Scorer", &panel).await;
    let (_, sam_token) = app.api_token_of(&sam).await;
    mutate(
        app,
        &sam_token,
        "scoreApplication",
        json!({ "applicationId": first, "score": 3, "comment": "Good reach but costly" }),
        "",
    )
    .await;
    (round, [first, second], pat)
}

fn application_of<'a>(round: &'a Value, id: &str) -> &'a Value {
    round["round"]["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|application| application["id"] == id)
        .expect("the application")
}

async fn the_panel_reads_scores_and_declares_a_conflict(store: Store) {
    let app = app_for(store).await;
    let (round, [first, second], pat) = panel_world(&app).await;
    let browser = Browser::start(&app.base).await;
    let name = |page: &str| format!("work-panel-{page}-{store:?}").to_lowercase();
    browser
        .use_session(&app.session_of(&pat).await.secret)
        .await;

    browser.goto("/panel").await;
    let rounds = browser.text("#main-content").await;
    assert!(
        rounds.contains("Round One") && rounds.contains("2 applications"),
        "{rounds}"
    );
    browser.axe_scan("the panel's rounds").await;
    browser.screenshot(&name("rounds")).await;

    browser
        .click_and_wait("#main-content td a, #main-content th a")
        .await;
    assert_eq!(browser.path().await, format!("/panel/rounds/{round}"));
    assert_eq!(
        browser.text("#progress").await,
        "You have scored 0 of 2 applications."
    );
    browser.axe_scan("a round's applications").await;
    browser.screenshot(&name("round")).await;

    browser.goto(&format!("/panel/applications/{first}")).await;
    let page = browser.text("#main-content").await;
    for wrote in [
        "Community Larder",
        "Estate Larder Group",
        AREA_NAME,
        "£12,000.00",
        "food",
        "Three days a week.",
        "Volunteers from the estate.",
    ] {
        assert!(page.contains(wrote), "{wrote} missing from {page}");
    }
    assert!(
        !page.contains("Good reach"),
        "another's comment before scoring: {page}"
    );
    assert!(!page.contains(AREA), "a GSS code shown: {page}");
    browser.axe_scan("an application").await;
    browser.screenshot(&name("application")).await;

    browser.click_and_wait("form button.govuk-button").await;
    assert!(browser.title().await.starts_with("Error: "));
    assert_eq!(
        browser.text(".govuk-error-summary__list a").await,
        "Choose a score from 1 to 5"
    );
    browser.axe_scan("the score form with an error").await;

    browser.click("#score-4").await;
    browser
        .fill("#comment", "Clear plan.\nStrong local support.")
        .await;
    browser.click_and_wait("form button.govuk-button").await;
    assert!(browser
        .path()
        .await
        .starts_with(&format!("/panel/rounds/{round}?done=scored")));
    assert!(browser
        .text(".govuk-notification-banner")
        .await
        .contains("Community Larder"));
    assert_eq!(
        browser.text("#progress").await,
        "You have scored 1 of 2 applications."
    );
    browser.axe_scan("the round after scoring").await;
    browser.screenshot(&name("scored")).await;

    let scores = app
        .gql_now(Some(&app.admin()), SCORES, json!({ "round": round }))
        .await
        .ok();
    let mine = application_of(scores.data(), &first)["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .find(|score| score["member"] == pat.to_string())
        .cloned()
        .expect("Pat's score");
    assert_eq!(mine["score"], 4);
    assert_eq!(mine["comment"], "Clear plan.\nStrong local support.");

    browser.goto(&format!("/panel/applications/{first}")).await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Sam Scorer") && page.contains("Good reach but costly"),
        "{page}"
    );
    assert!(browser.text("#your-score").await.contains('4'));
    browser.axe_scan("an application after scoring").await;
    browser.screenshot(&name("others-scores")).await;

    browser.goto(&format!("/panel/applications/{second}")).await;
    browser.click_and_wait("#declare-conflict").await;
    browser.axe_scan("declaring a conflict").await;
    browser.screenshot(&name("conflict")).await;
    browser
        .click_and_wait("form button.govuk-button--warning")
        .await;
    assert!(browser.path().await.contains("done=conflict"));
    assert_eq!(
        browser.text("#progress").await,
        "You have scored 1 of 1 application."
    );
    browser.goto(&format!("/panel/applications/{second}")).await;
    assert!(browser
        .text("#conflict-declared")
        .await
        .contains("conflict of interest"));
    let forms = browser
        .client
        .find_all(fantoccini::Locator::Css("input[name='score']"))
        .await
        .expect("finding");
    assert!(
        forms.is_empty(),
        "a conflicted member is offered the score form"
    );
    browser.axe_scan("an application with a conflict").await;
    browser.screenshot(&name("conflicted")).await;
    browser.close().await;

    // Scoring anyway (a hand-made POST) is refused with the ledger's reason; nothing changes.
    let session = app.session_of(&pat).await;
    let client = WebClient::signed_in(&app.base, &session.secret);
    let page = client.get(&format!("/panel/applications/{first}")).await;
    let key = page.field("form_key").expect("a form key");
    let head = app.head().await;
    let refused = client
        .post_form(
            &format!("/panel/applications/{second}"),
            &[
                ("csrf_token", session.csrf_token.as_str()),
                ("form_key", key.as_str()),
                ("score", "5"),
                ("comment", ""),
            ],
        )
        .await;
    assert_form_redisplayed(refused.status, &refused.body);
    assert!(
        refused
            .body
            .contains("You declared a conflict of interest on this application"),
        "{}",
        refused.body
    );
    assert_eq!(app.head().await, head, "a refused score wrote nothing");
    let scores = app
        .gql_now(Some(&app.admin()), SCORES, json!({ "round": round }))
        .await
        .ok();
    let second = application_of(scores.data(), &second);
    assert_eq!(second["conflicts"], json!([pat.to_string()]));
    assert_eq!(second["scores"], json!([]));
}

async fn a_score_form_sent_twice_scores_once(store: Store) {
    let app = spawn(store).await;
    let (round, [first, _], pat) = panel_world(&app).await;
    let client = WebClient::signed_in(&app.base, &app.session_of(&pat).await.secret);
    let page = client.get(&format!("/panel/applications/{first}")).await;
    assert_eq!(page.status, 200);
    let key = page.field("form_key").expect("a form key");
    let csrf = page.field("csrf_token").expect("the CSRF token");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("score", "5"),
        ("comment", "Yes"),
    ];
    let sent = client
        .post_form(&format!("/panel/applications/{first}"), &form)
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let location = sent.location().unwrap_or_default();
    assert!(
        location.starts_with(&format!("/panel/rounds/{round}?done=scored")),
        "{location}"
    );
    let head = app.head().await;
    let again = client
        .post_form(&format!("/panel/applications/{first}"), &form)
        .await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(app.head().await, head, "the same form twice wrote twice");
    let without_csrf = client
        .post_form(
            &format!("/panel/applications/{first}"),
            &[("form_key", "other"), ("score", "1")],
        )
        .await;
    assert_eq!(without_csrf.status, 403);
    assert_eq!(app.head().await, head);

    // The round page: the quorum (Round.minPanelScores, 1 here) and where each stands.
    let round_page = client.get(&format!("/panel/rounds/{round}")).await;
    assert_eq!(round_page.status, 200);
    assert!(
        round_page
            .body
            .contains("Each application needs 1 panel score before it can be decided.")
            && round_page.body.contains("2 of the 1 needed")
            && round_page
                .body
                .contains("Of the 1 whose scores you can see, 1 has reached it."),
        "{}",
        round_page.body
    );
    // Off the panel: not found, whether the round has applications or none.
    let (_, empty_round) = fund_and_round(&app).await;
    let empty = client.get(&format!("/panel/rounds/{empty_round}")).await;
    assert_eq!(empty.status, 404, "{}", empty.body);
    assert!(empty.body.contains("Page not found"), "{}", empty.body);
    let outsider_client = client_as(&app, "olive@example.org", &[]).await;
    for path in [
        format!("/panel/rounds/{round}"),
        format!("/panel/rounds/{empty_round}"),
        format!("/panel/applications/{first}"),
    ] {
        let page = outsider_client.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(
            page.body.contains("Page not found"),
            "{path}: {}",
            page.body
        );
    }
}

/// A participatory round with three applications and two ballot codes.
async fn voting_world(app: &TestApp) -> (String, [String; 3], Vec<String>) {
    let fund = establish_fund(app).await;
    receive_capital(app, &fund, "100000.00").await;
    let terms = json!({ "name": "People's Choice", "budget": "20000.00",
        "decisionMode": "PARTICIPATORY", "minPanelScores": 0 });
    let round = open_round_with(app, &fund, terms).await;
    let park = apply(app, &round, "Pocket Park", "5000.00").await;
    let larder = apply(app, &round, "Community Larder", "4000.00").await;
    let choir = apply(app, &round, "Youth Choir", "2500.00").await;
    let codes = mutate(
        app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 2, "idempotencyKey": "codes" }),
        "codes",
    )
    .await;
    let codes = codes["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(s)
        .collect();
    (round, [park, larder, choir], codes)
}

/// The code as a resident might type it: lower case, spaces for dashes.
fn as_typed(code: &str) -> String {
    code.to_lowercase().replace('-', " ")
}

async fn a_resident_votes_on_a_phone(store: Store) {
    let app = app_for(store).await;
    let (round, [park, larder, choir], codes) = voting_world(&app).await;
    let browser = Browser::start(&app.base).await;
    let name = |page: &str| format!("work-panel-vote-{page}-{store:?}").to_lowercase();
    browser.phone_window().await;

    browser.goto(&format!("/vote/{round}")).await;
    assert_eq!(browser.text("h1").await, "Vote in People's Choice");
    let code_field = browser.find("#ballot_code").await;
    assert_eq!(
        code_field
            .attr("autocomplete")
            .await
            .expect("attr")
            .as_deref(),
        Some("off")
    );
    assert_eq!(
        code_field
            .attr("spellcheck")
            .await
            .expect("attr")
            .as_deref(),
        Some("false")
    );
    browser.axe_scan("the ballot code").await;
    browser.screenshot(&name("code")).await;
    browser.phone_window().await;

    browser.fill("#ballot_code", &as_typed(&codes[0])).await;
    browser.click_and_wait("form button.govuk-button").await;
    let page = browser.text("#main-content").await;
    for shown in [
        "Pocket Park",
        "Community Larder",
        "Youth Choir",
        AREA_NAME,
        "£5,000.00",
        "up to 5",
    ] {
        assert!(page.contains(shown), "{shown} missing from {page}");
    }
    assert!(!browser.path().await.contains(&codes[0]) && !page.contains(AREA));
    browser.axe_scan("choosing projects").await;
    browser.screenshot(&name("choose")).await;
    browser.phone_window().await;

    browser.click_and_wait("form button.govuk-button").await;
    assert_eq!(
        browser.text(".govuk-error-summary__list a").await,
        "Choose at least one project"
    );
    browser.axe_scan("choosing with an error").await;
    browser.click(&format!("input[value='{park}']")).await;
    browser.click(&format!("input[value='{choir}']")).await;
    browser.click_and_wait("form button.govuk-button").await;
    assert_eq!(browser.text("h1").await, "Check your vote");
    let check = browser.text("#main-content").await;
    assert!(
        check.contains("Pocket Park")
            && check.contains("Youth Choir")
            && !check.contains("Community Larder")
    );
    browser.axe_scan("checking the vote").await;
    browser.screenshot(&name("check")).await;
    browser.phone_window().await;

    browser.click_and_wait("form[action$='/cast'] button").await;
    assert_eq!(browser.text("h1").await, "Your vote has been cast");
    let voted = browser.text("#voted-for").await;
    assert!(
        voted.contains("Pocket Park") && voted.contains("Youth Choir"),
        "{voted}"
    );
    assert!(!browser.text("#receipt-reference").await.is_empty());
    browser.axe_scan("the receipt").await;
    browser.screenshot(&name("receipt")).await;
    browser.phone_window().await;

    let counted = app
        .gql_now(None, VOTES, json!({ "round": round }))
        .await
        .ok();
    assert_eq!(counted.data()["round"]["ballotsCast"], 1);
    assert_eq!(application_of(counted.data(), &park)["votes"], 1);
    assert_eq!(application_of(counted.data(), &choir)["votes"], 1);
    assert_eq!(application_of(counted.data(), &larder)["votes"], 0);

    // The same code again, from the start: refused at the cast, nothing counted.
    browser.goto(&format!("/vote/{round}")).await;
    browser.fill("#ballot_code", &codes[0]).await;
    browser.click_and_wait("form button.govuk-button").await;
    browser.click(&format!("input[value='{larder}']")).await;
    browser.click_and_wait("form button.govuk-button").await;
    browser.click_and_wait("form[action$='/cast'] button").await;
    assert!(browser.title().await.starts_with("Error: "));
    assert!(browser
        .text(".govuk-error-summary__list a")
        .await
        .contains("already been used"));
    browser.axe_scan("a used code").await;
    browser.screenshot(&name("used-code")).await;
    browser.close().await;
    let counted = app
        .gql_now(None, VOTES, json!({ "round": round }))
        .await
        .ok();
    assert_eq!(counted.data()["round"]["ballotsCast"], 1);
    assert_eq!(application_of(counted.data(), &larder)["votes"], 0);
}

/// Steps a `WebClient` through the code and the choices to the check page; its form key.
async fn to_check_page(
    client: &WebClient,
    round: &str,
    code: &str,
    choices: &[&str],
) -> (String, String) {
    let start = client.get(&format!("/vote/{round}")).await;
    assert_eq!(start.status, 200);
    let csrf = start.field("csrf_token").expect("the double-submit token");
    let chose = client
        .post_form(
            &format!("/vote/{round}/choose"),
            &[("csrf_token", csrf.as_str()), ("ballot_code", code)],
        )
        .await;
    assert_eq!(chose.status, 200, "{}", chose.body);
    let mut form = vec![("csrf_token", csrf.as_str()), ("ballot_code", code)];
    form.extend(choices.iter().map(|choice| ("choice", *choice)));
    let check = client
        .post_form(&format!("/vote/{round}/check"), &form)
        .await;
    assert_eq!(check.status, 200, "{}", check.body);
    (csrf, check.field("form_key").expect("the cast form's key"))
}

fn receipt_reference(body: &str) -> String {
    let start = body
        .find("id=\"receipt-reference\">")
        .expect("a receipt reference")
        + 23;
    body[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn a_ballot_sent_twice_counts_once_and_wrong_codes_are_refused(store: Store) {
    let app = spawn(store).await;
    let (round, [park, _, _], codes) = voting_world(&app).await;
    let client = WebClient::new(&app.base);
    let (csrf, key) = to_check_page(&client, &round, &codes[1], &[&park]).await;
    let cast = [
        ("csrf_token", csrf.as_str()),
        ("ballot_code", codes[1].as_str()),
        ("choice", park.as_str()),
        ("form_key", key.as_str()),
    ];
    let first = client
        .post_form(&format!("/vote/{round}/cast"), &cast)
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let head = app.head().await;
    let second = client
        .post_form(&format!("/vote/{round}/cast"), &cast)
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(
        receipt_reference(&first.body),
        receipt_reference(&second.body)
    );
    assert_eq!(app.head().await, head, "the same ballot twice wrote twice");
    let counted = app
        .gql_now(None, VOTES, json!({ "round": round }))
        .await
        .ok();
    assert_eq!(counted.data()["round"]["ballotsCast"], 1);

    // A code of the right shape that was never issued: refused beside the code.
    let (csrf, key) = to_check_page(&client, &round, "ABCD-EFGH-JKMN-PQRS", &[&park]).await;
    let wrong = [
        ("csrf_token", csrf.as_str()),
        ("ballot_code", "ABCD-EFGH-JKMN-PQRS"),
        ("choice", park.as_str()),
        ("form_key", key.as_str()),
    ];
    let refused = client
        .post_form(&format!("/vote/{round}/cast"), &wrong)
        .await;
    assert_form_redisplayed(refused.status, &refused.body);
    assert!(
        refused.body.contains("not valid for this vote"),
        "{}",
        refused.body
    );
    // A code of the wrong shape never leaves the first step.
    let short = client
        .post_form(
            &format!("/vote/{round}/choose"),
            &[("csrf_token", csrf.as_str()), ("ballot_code", "ABC")],
        )
        .await;
    assert_form_redisplayed(short.status, &short.body);
    assert!(short.body.contains("16 letters and numbers"));
    // Without the double-submit token: refused before anything is read.
    let forged = WebClient::new(&app.base)
        .post_form(&format!("/vote/{round}/cast"), &cast)
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.head().await, head);

    // Once voting has closed, the ballot says so and takes no vote.
    mutate(
        &app,
        &app.admin(),
        "allocateByVotes",
        json!({ "roundId": round }),
        "",
    )
    .await;
    let closing = app
        .gql_now(None, VOTES, json!({ "round": round }))
        .await
        .ok();
    assert_eq!(
        closing.data()["round"]["ballotsCast"],
        1,
        "the read models have caught up"
    );
    let closed = client.get(&format!("/vote/{round}")).await;
    assert!(closed.body.contains("Voting has closed"), "{}", closed.body);
    let head = app.head().await;
    let late = [
        ("csrf_token", csrf.as_str()),
        ("ballot_code", codes[0].as_str()),
        ("choice", park.as_str()),
        ("form_key", key.as_str()),
    ];
    let late = client
        .post_form(&format!("/vote/{round}/cast"), &late)
        .await;
    assert!(late.body.contains("Voting has closed"), "{}", late.body);
    assert_eq!(app.head().await, head);
    let counted = app
        .gql_now(None, VOTES, json!({ "round": round }))
        .await
        .ok();
    assert_eq!(counted.data()["round"]["ballotsCast"], 1);
}

on_both_stores!(
    the_panel_reads_scores_and_declares_a_conflict,
    a_score_form_sent_twice_scores_once,
    a_resident_votes_on_a_phone,
    a_ballot_sent_twice_counts_once_and_wrong_codes_are_refused,
);
