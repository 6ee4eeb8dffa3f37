//! A community group's screens end to end (issue 14), on both stores: a member of the
//! group applies in a real browser (the neighbourhood from the places chooser's return, an
//! ineligible place and over-precise money refused beside their answers), the officer
//! approves through GraphQL, and the member accepts the agreement, requests a drawdown
//! (over the award refused beside the amount), reports spend against the budget lines,
//! reports an outcome and records a contribution; another group's award reads as not
//! found. Over plain HTTP: a drawdown form posted twice with its key makes one drawdown.

mod common;

use std::time::Instant;

use common::*;
use domain::OrgId;
use fundledger_tests::browser::Browser;
use fundledger_tests::web_client::WebClient;
use fundledger_tests::work::session_as;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use infrastructure::accounts::ScopedRole;
use serde_json::{json, Value};

/// Kingston upon Hull: the round funds it.
const HULL: &str = "E06000010";
/// Kingston upon Hull 025A: a neighbourhood in Hull.
const IN_HULL: &str = "E01012756";
/// City of London 001A: a neighbourhood the round does not fund.
const IN_LONDON: &str = "E01000001";
const INDICATOR: &str = "People given a meal";

struct Setup {
    app: TestApp,
    fund: String,
    round: String,
    secret: String,
}

/// A fund with capital and an indicator, a round funding Hull with two themes, and a member
/// of `ORG` signed in (their session's secret).
async fn setup(store: Store) -> Setup {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let fund = establish_fund(&app).await;
    let admin = app.admin();
    receive_capital(&app, &fund, "100000.00").await;
    mutate(
        &app,
        &admin,
        "setOutcomeProxy",
        json!({ "fundId": fund, "indicator": INDICATOR, "unit": "meal", "valuePerUnit": "3.50",
                "deadweight": "0.1", "attribution": "0.1", "displacement": "0", "dropOff": "0.2", "durationYears": 1 }),
        "",
    )
    .await;
    let terms = json!({ "name": "Hull Neighbourhoods 2026", "budget": "20000.00",
        "eligibleAreas": [HULL], "themes": ["food", "young people"], "minPanelScores": 0 });
    let round = open_round_with(&app, &fund, terms).await;
    let member = [ScopedRole::member(&OrgId::new(ORG))];
    let secret = session_as(&app, "member@example.org", &member).await;
    Setup {
        app,
        fund,
        round,
        secret,
    }
}

/// An application by `org` approved for `amount` with two budget lines, through GraphQL.
/// An application by `org` for a project in Hull, through GraphQL.
async fn submit_in_hull(app: &TestApp, org: &str, round: &str, amount: &str) -> String {
    let application = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({ "roundId": round, "title": format!("Project of {org}"), "description": "Meals",
                "amountRequested": amount, "neighbourhood": IN_HULL, "themes": ["food"],
                "applicantName": format!("Group {org}") }),
        "application { id }",
    )
    .await;
    s(&application["application"]["id"])
}

/// An application by `org` approved for `amount` with budget `lines`, through GraphQL.
async fn award_for(
    app: &TestApp,
    org: &str,
    round: &str,
    amount: &str,
    lines: Value,
) -> (String, String) {
    let application = submit_in_hull(app, org, round, amount).await;
    let award = approve_with_lines(app, &application, amount, lines).await;
    (application, award)
}

async fn approve_with_lines(
    app: &TestApp,
    application: &str,
    amount: &str,
    lines: Value,
) -> String {
    let award = approve(app, application, amount).await;
    mutate(
        app,
        &app.admin(),
        "setBudgetLines",
        json!({ "awardId": award, "lines": lines }),
        "",
    )
    .await;
    award
}

fn stamp(name: &str, store: Store) -> String {
    format!("work-grantee-{name}-{store:?}").to_lowercase()
}

/// Visits, scans and photographs the page the browser is on.
async fn look(browser: &Browser, name: &str, store: Store) {
    browser.axe_scan(name).await;
    browser.screenshot(&stamp(name, store)).await;
}

/// Fills a date input `name` with the ledger's today.
async fn fill_today(browser: &Browser, name: &str) {
    let today = business_day();
    let parts: Vec<&str> = today.split('-').collect();
    browser.fill(&format!("#{name}-day"), parts[2]).await;
    browser.fill(&format!("#{name}-month"), parts[1]).await;
    browser.fill(&format!("#{name}-year"), parts[0]).await;
}

async fn apply_in_the_browser(browser: &Browser, setup: &Setup, store: Store) -> String {
    let apply = format!("/groups/{ORG}/rounds/{}/apply", setup.round);
    browser.goto(&format!("/groups/{ORG}")).await;
    assert!(browser
        .text("main")
        .await
        .contains("Hull Neighbourhoods 2026"));
    assert!(
        browser.text("main").await.contains("Kingston upon Hull"),
        "places in words"
    );
    look(browser, "home", store).await;
    browser.click_and_wait(&format!("a[href='{apply}']")).await;
    assert_eq!(browser.text("h1").await, "Where will your project happen?");
    look(browser, "where", store).await;
    // The places chooser sends the person back with `place=`: an ineligible place first.
    browser.goto(&format!("{apply}?place={IN_LONDON}")).await;
    assert!(browser.text("#place").await.contains("City of London 001A"));
    browser.click_and_wait("a.govuk-button").await;
    assert_eq!(browser.text("h1").await, "About your project");
    browser.fill("#group_name", "Orchard Park Larder").await;
    browser.fill("#title", "Saturday breakfast club").await;
    browser
        .fill("#description", "Breakfast for 40 children\nevery Saturday")
        .await;
    browser.fill("#amount", "1,250.555").await;
    browser.click("label[for=themes]").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.title().await.starts_with("Error: "));
    assert!(
        browser
            .text("#amount-error")
            .await
            .contains("2 decimal places"),
        "over-precise money beside the amount"
    );
    look(browser, "project-error", store).await;
    browser.fill("#amount", "£1,250").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert_eq!(
        browser.text("h1").await,
        "Check your answers before sending your application"
    );
    assert!(browser.text("main").await.contains("£1,250.00"));
    look(browser, "check", store).await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.title().await.starts_with("Error: "));
    assert!(
        browser
            .text("#place")
            .await
            .contains("is not in an area this round funds"),
        "{}",
        browser.text("main").await
    );
    // The chooser again, an eligible neighbourhood this time.
    browser.goto(&format!("{apply}?place={IN_HULL}")).await;
    browser.click_and_wait("a.govuk-button").await;
    browser.fill("#group_name", "Orchard Park Larder").await;
    browser.fill("#title", "Saturday breakfast club").await;
    browser
        .fill("#description", "Breakfast for 40 children every Saturday")
        .await;
    browser.fill("#amount", "£1,250").await;
    browser.click("label[for=themes]").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert_eq!(
        browser.text(".govuk-panel__title").await,
        "Application received"
    );
    look(browser, "application", store).await;
    let path = browser.path().await;
    path.split("/applications/")
        .nth(1)
        .expect("the application's page")
        .split('?')
        .next()
        .expect("id")
        .to_string()
}

/// Opens the award's action `slug` from the award page.
async fn open_action(browser: &Browser, award_path: &str, slug: &str) {
    browser.goto(award_path).await;
    browser
        .click_and_wait(&format!("a[href='{award_path}/{slug}']"))
        .await;
}

/// Continue on a form, then send on its check-your-answers page; lands on the award page.
async fn check_and_send(browser: &Browser, name: &str, store: Store) {
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert_eq!(
        browser.text("h1").await,
        "Check your answers",
        "{}",
        browser.text("main").await
    );
    look(browser, &format!("{name}-check"), store).await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(
        browser.text(".govuk-notification-banner").await.len() > 10,
        "a success banner"
    );
}

async fn run_the_award(browser: &Browser, award_path: &str, store: Store) {
    browser.goto(&format!("/groups/{ORG}")).await;
    browser
        .click_and_wait(&format!("a[href='{award_path}']"))
        .await;
    assert!(browser.text("main").await.contains("Offered"));
    look(browser, "award-offered", store).await;
    open_action(browser, award_path, "accept").await;
    assert!(
        browser.text("main").await.contains("Hall hire"),
        "the terms show the budget lines"
    );
    look(browser, "agreement", store).await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser
        .text(".govuk-notification-banner")
        .await
        .contains("accepted"));

    open_action(browser, award_path, "drawdown").await;
    look(browser, "drawdown", store).await;
    browser.fill("#amount", "£1,500").await;
    browser.fill("#purpose", "Food for the first term").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.title().await.starts_with("Error: "));
    assert!(
        browser
            .text("#amount-error")
            .await
            .contains("available to draw"),
        "over the award beside the amount"
    );
    look(browser, "drawdown-over", store).await;
    browser.fill("#amount", "400").await;
    check_and_send(browser, "drawdown", store).await;

    open_action(browser, award_path, "spend").await;
    look(browser, "spend", store).await;
    fill_today(browser, "start").await;
    fill_today(browser, "end").await;
    browser.fill("#line-0", "£250.50").await;
    check_and_send(browser, "spend", store).await;

    open_action(browser, award_path, "outcome").await;
    look(browser, "outcome", store).await;
    browser.click("label[for=indicator]").await;
    browser.fill("#quantity", "40").await;
    fill_today(browser, "on").await;
    check_and_send(browser, "outcome", store).await;

    open_action(browser, award_path, "contribution").await;
    look(browser, "contribution", store).await;
    browser.click("label[for=kind]").await;
    browser.fill("#value", "£500").await;
    fill_today(browser, "on").await;
    browser
        .fill("#description", "Match funding from the city council")
        .await;
    check_and_send(browser, "contribution", store).await;
    look(browser, "award-active", store).await;
    // Every step is in the group's history, reports too (`Award.history`).
    let history = browser.text("ol.fl-timeline").await;
    for step in [
        "The group accepted the grant agreement",
        "The group asked to draw £400.00",
        "Spend of £250.50 reported",
        "Outcome reported",
        "Contribution worth £500.00 recorded",
    ] {
        assert!(history.contains(step), "{step} in the history: {history}");
    }
}

async fn a_member_applies_and_runs_the_award(store: Store) {
    let started = Instant::now();
    let setup = setup(store).await;
    let browser = Browser::start(&setup.app.base).await;
    browser.use_session(&setup.secret).await;
    let application = apply_in_the_browser(&browser, &setup, store).await;
    let lines = json!([{ "category": "Food", "amount": "850.00" }, { "category": "Hall hire", "amount": "400.00" }]);
    let award = approve_with_lines(&setup.app, &application, "1250.00", lines).await;
    let award_path = format!("/groups/{ORG}/awards/{award}");
    run_the_award(&browser, &award_path, store).await;

    let read = setup
        .app
        .gql_now(
            Some(&setup.app.admin()),
            "query($id: String!) { award(id: $id) { status spendReported drawdowns { amount } inputs { value kind } \
             budgetLines { category spent } } socialReturn(scope: { award: $id }) { lines { indicator quantity } } }",
            json!({ "id": award }),
        )
        .await
        .ok();
    let data = read.data();
    assert_eq!(data["award"]["status"], "ACTIVE");
    assert_eq!(data["award"]["drawdowns"], json!([{ "amount": "400.00" }]));
    assert_eq!(data["award"]["spendReported"], "250.50");
    assert_eq!(
        data["award"]["budgetLines"][0],
        json!({ "category": "Food", "spent": "250.50" })
    );
    assert_eq!(
        data["award"]["inputs"],
        json!([{ "value": "500.00", "kind": "MATCH_FUNDING" }])
    );
    assert_eq!(data["socialReturn"]["lines"][0]["indicator"], INDICATOR);
    assert_eq!(data["socialReturn"]["lines"][0]["quantity"], "40");

    // Another group's award and application read as not found, under either group's path.
    let (other_application, other_award) = award_for(
        &setup.app,
        OTHER_ORG,
        &setup.round,
        "300.00",
        json!([{ "category": "Food", "amount": "300.00" }]),
    )
    .await;
    for path in [
        format!("/groups/{ORG}/awards/{other_award}"),
        format!("/groups/{OTHER_ORG}/awards/{other_award}"),
        format!("/groups/{ORG}/applications/{other_application}"),
        format!("/groups/{OTHER_ORG}"),
    ] {
        browser.goto(&path).await;
        assert_eq!(browser.text("h1").await, "Page not found", "{path}");
    }
    look(&browser, "not-found", store).await;
    browser.close().await;
    let _ = setup.fund;
    eprintln!(
        "a_member_applies_and_runs_the_award ({store:?}): {:?}",
        started.elapsed()
    );
}

/// A drawdown's confirm form posted twice with the same key makes one drawdown; a third
/// post with a new key makes a second.
async fn a_double_posted_drawdown_is_made_once(store: Store) {
    let started = Instant::now();
    let setup = setup(store).await;
    let app = &setup.app;
    let (_, award) = award_for(
        app,
        ORG,
        &setup.round,
        "1000.00",
        json!([{ "category": "Food", "amount": "1000.00" }]),
    )
    .await;
    accept(app, ORG, &award).await;
    let client = WebClient::signed_in(&app.base, &setup.secret);
    let path = format!("/groups/{ORG}/awards/{award}/drawdown");
    let form = client.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.field("csrf_token").expect("the CSRF field");
    let key = form.field("form_key").expect("the form key");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("amount", "£100"),
        ("purpose", "Food"),
    ];
    let check = client.post_form(&path, &fields).await;
    assert_eq!(check.status, 200);
    assert!(check.body.contains("Check your answers"));
    // "Change" on the check page: the form again, with the answers as given.
    let mut change = fields.to_vec();
    change.push(("change", "Amount"));
    let again = client.post_form(&path, &change).await;
    assert_eq!(again.status, 200);
    assert!(
        again.body.contains("Request a drawdown") && again.body.contains("value=\"£100\""),
        "{}",
        again.body
    );
    let head = app.head().await;
    for _ in 0..2 {
        let sent = client.post_form(&format!("{path}/confirm"), &fields).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        assert_eq!(
            sent.location(),
            Some(format!("/groups/{ORG}/awards/{award}?done=drawdown").as_str())
        );
    }
    assert_eq!(
        app.head().await,
        head + 1,
        "one event for two posts of one form"
    );
    let drawdowns = app
        .gql_now(
            Some(&app.admin()),
            "query($id: String!) { award(id: $id) { drawdowns { amount } } }",
            json!({ "id": award }),
        )
        .await
        .ok();
    assert_eq!(
        drawdowns.data()["award"]["drawdowns"],
        json!([{ "amount": "100.00" }])
    );

    // Over the award: refused beside the amount, nothing written.
    let over = [
        ("csrf_token", csrf.as_str()),
        ("form_key", "another-key-123"),
        ("amount", "£5,000"),
        ("purpose", "Food"),
    ];
    let refused = client.post_form(&format!("{path}/confirm"), &over).await;
    assert_form_redisplayed(refused.status, &refused.body);
    assert!(
        refused.body.contains("available to draw now"),
        "{}",
        refused.body
    );
    assert_eq!(app.head().await, head + 1, "nothing written");
    // Without the CSRF token: refused before anything runs.
    let forged = client
        .post_form(&format!("{path}/confirm"), &fields[1..])
        .await;
    assert_eq!(forged.status, 403);
    eprintln!(
        "a_double_posted_drawdown_is_made_once ({store:?}): {:?}",
        started.elapsed()
    );
}

/// Over plain HTTP: the group withdraws an application after the confirm page; once the
/// round closes, an application sent is refused beside the round, nothing written.
async fn a_group_withdraws_and_a_closed_round_refuses(store: Store) {
    let started = Instant::now();
    let setup = setup(store).await;
    let app = &setup.app;
    let application = submit_in_hull(app, ORG, &setup.round, "200.00").await;
    let client = WebClient::signed_in(&app.base, &setup.secret);
    let page = format!("/groups/{ORG}/applications/{application}");
    let confirm = client.get(&format!("{page}/withdraw")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let csrf = confirm.field("csrf_token").expect("the CSRF field");
    let key = confirm.field("form_key").expect("the form key");
    let withdrawn = client
        .post_form(
            &format!("{page}/withdraw"),
            &[("csrf_token", csrf.as_str()), ("form_key", key.as_str())],
        )
        .await;
    assert_eq!(
        withdrawn.location(),
        Some(format!("{page}?done=withdrawn").as_str())
    );
    let shown = client.get(&format!("{page}?done=withdrawn")).await;
    assert!(shown.body.contains("You withdrew the application"));
    assert!(shown.body.contains("Withdrawn"));
    let status = app
        .gql_now(
            Some(&app.admin()),
            "query($id: String!) { round(id: $id) { applications { id status } } }",
            json!({ "id": setup.round }),
        )
        .await
        .ok();
    assert_eq!(
        status.data()["round"]["applications"],
        json!([{ "id": application, "status": "WITHDRAWN" }])
    );

    mutate(
        app,
        &app.admin(),
        "closeRound",
        json!({ "roundId": setup.round }),
        "",
    )
    .await;
    let apply = format!("/groups/{ORG}/rounds/{}/apply", setup.round);
    let form = client
        .get(&format!("{apply}/project?place={IN_HULL}"))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    let key = form.field("form_key").expect("the form key");
    let head = app.head().await;
    let sent = client
        .post_form(
            &format!("{apply}/submit"),
            &[
                ("csrf_token", csrf.as_str()),
                ("form_key", key.as_str()),
                ("place", IN_HULL),
                ("title", "Late"),
                ("description", "Too late"),
                ("amount", "£100"),
                ("themes", "food"),
            ],
        )
        .await;
    assert_form_redisplayed(sent.status, &sent.body);
    assert!(
        sent.body
            .contains("This round is not taking applications now"),
        "{}",
        sent.body
    );
    assert_eq!(app.head().await, head, "nothing written");
    eprintln!(
        "a_group_withdraws_and_a_closed_round_refuses ({store:?}): {:?}",
        started.elapsed()
    );
}

on_both_stores!(
    a_member_applies_and_runs_the_award,
    a_double_posted_drawdown_is_made_once,
    a_group_withdraws_and_a_closed_round_refuses
);
