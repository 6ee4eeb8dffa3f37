//! The officer's work screens (issue 14), on both stores: an owner sets up a fund in a
//! real browser, records capital, sets an outcome proxy, opens a round with its eligible
//! places chosen by name (an ambiguous and an unknown name refused beside the field), and
//! watches the dashboard's queues fill as an application arrives and a drawdown is
//! requested (through GraphQL tokens); a round residents vote in gets its ballot codes
//! issued, printed and counted. Over plain HTTP: another fund's officer gets "Page not
//! found" everywhere, and a form sent twice with the same key writes once. Every screen
//! visited is scanned by axe-core and kept as screenshots (`work-officer-…`).

mod common;

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::web_client::{WebClient, WebPage};
use fundledger_tests::work::{browser_as, client_as};
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use infrastructure::accounts::ScopedRole;
use serde_json::{json, Value};

/// A neighbourhood (LSOA) in Burn Valley ward, Hartlepool (in the shipped reference
/// geography; tests without it use the code as any well-formed code).
const HARTLEPOOL_LSOA: &str = "E01011950";
const HARTLEPOOL: &str = "E06000001";

async fn app_for(store: Store) -> TestApp {
    spawn_app_with_reference_geography(PROGRAM, store).await
}

fn shot(store: Store, page: &str) -> String {
    format!("work-officer-{page}-{store:?}").to_lowercase()
}

/// Today as the three parts of a GOV.UK date input.
fn today_parts() -> (String, String, String) {
    let today = business_day();
    let mut parts = today
        .split('-')
        .map(|part| part.trim_start_matches('0').to_string());
    let year = parts.next().unwrap();
    let month = parts.next().unwrap();
    let day = parts.next().unwrap();
    (day, month, year)
}

async fn fill_date(browser: &Browser, id: &str, day: &str, month: &str, year: &str) {
    browser.fill(&format!("#{id}"), day).await;
    browser.fill(&format!("#{id}-month"), month).await;
    browser.fill(&format!("#{id}-year"), year).await;
}

async fn read_fund(app: &TestApp, fund: &str) -> Value {
    let reply = app
        .gql(
            Some(&app.admin()),
            "query($id: String!) { fund(id: $id) { name position { capitalReceived allocated available } \
             outcomeProxies { indicator unit valuePerUnit deadweight attribution displacement dropOff durationYears } \
             rounds { id name eligibleAreas budget minPanelScores decisionMode ballotCodesIssued } } }",
            json!({ "id": fund }),
        )
        .await
        .ok();
    reply.data()["fund"].clone()
}

/// The owner's part: fund, capital, proxy. Answers the fund's id.
async fn set_up_fund(browser: &Browser, app: &TestApp, store: Store) -> String {
    browser.goto("/work").await;
    browser.click_and_wait("a[href='/manage/funds/new']").await;
    browser.axe_scan("set up a fund").await;
    browser.screenshot(&shot(store, "fund-new")).await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.title().await.starts_with("Error: "));
    assert!(browser
        .text(".govuk-error-summary")
        .await
        .contains("Enter the fund's name"));
    browser.axe_scan("set up a fund, with errors").await;
    browser.fill("#name", "Hartlepool Community Fund").await;
    browser.fill("#funder_name", "Hartlepool Trust").await;
    browser.fill("#funder_org_id", "GB-CHC-7654321").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    let check = browser.text("#main-content").await;
    assert!(
        check.contains("Hartlepool Trust") && check.contains("Today"),
        "{check}"
    );
    browser.axe_scan("check the fund").await;
    browser.click_and_wait("button[value='confirm']").await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=established"), "{path}");
    let fund = path
        .trim_start_matches("/manage/funds/")
        .trim_end_matches("?done=established")
        .to_string();
    assert!(browser
        .text("#main-content")
        .await
        .contains("Nothing to do"));
    browser.axe_scan("the new fund's dashboard").await;
    browser.screenshot(&shot(store, "dashboard-empty")).await;

    browser.click_and_wait("a[href$='/capital']").await;
    browser.fill("#amount", "£100,000").await;
    let (day, month, year) = today_parts();
    fill_date(browser, "received", &day, &month, &year).await;
    browser.fill("#source", "Endowment").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.text("#main-content").await.contains("£100,000.00"));
    browser.axe_scan("check the capital received").await;
    browser.screenshot(&shot(store, "capital-check")).await;
    browser.click_and_wait("button[value='confirm']").await;
    let dashboard = browser.text("#main-content").await;
    assert!(
        dashboard.contains("Capital received recorded") && dashboard.contains("£100,000.00"),
        "{dashboard}"
    );
    assert_eq!(
        read_fund(app, &fund).await["position"]["capitalReceived"],
        "100000.00"
    );

    browser.click_and_wait("a[href$='/proxies']").await;
    browser.fill("#indicator", "People into work").await;
    browser.fill("#unit", "person").await;
    browser.fill("#value_per_unit", "£1,250").await;
    browser.fill("#deadweight", "25%").await;
    browser.fill("#attribution", "10").await;
    browser.fill("#displacement", "5 %").await;
    browser.fill("#drop_off", "120%").await;
    browser.fill("#duration_years", "3").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser
        .text("#drop_off-error")
        .await
        .contains("between 0% and 100%"));
    browser.fill("#drop_off", "20").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    let proxies = browser.text("#main-content").await;
    assert!(
        proxies.contains("Outcome proxy set")
            && proxies.contains("People into work")
            && proxies.contains("25%"),
        "{proxies}"
    );
    browser.axe_scan("outcome proxies").await;
    browser.screenshot(&shot(store, "proxies")).await;
    let proxy = read_fund(app, &fund).await["outcomeProxies"][0].clone();
    assert_eq!(proxy["deadweight"], "0.25");
    assert_eq!(proxy["attribution"], "0.1");
    assert_eq!(proxy["dropOff"], "0.2");
    assert_eq!(proxy["valuePerUnit"], "1250.00");
    fund
}

/// The officer opens a panel round in Hartlepool (names refused first). Answers its id.
async fn open_round_by_place_names(
    browser: &Browser,
    app: &TestApp,
    store: Store,
    fund: &str,
) -> String {
    browser.goto(&format!("/manage/funds/{fund}")).await;
    browser.click_and_wait("a[href$='/rounds/new']").await;
    browser.axe_scan("open a round").await;
    browser.fill("#name", "Spring grants").await;
    fill_date(browser, "opens", "1", "1", "2020").await;
    fill_date(browser, "closes", "31", "12", "2099").await;
    browser.fill("#budget", "£50,000").await;
    browser.fill("#min_panel_scores", "1").await;
    browser.fill("#themes", "food\nyoung people").await;
    browser
        .fill("#places", "Hartlepool\nNewtown\nAtlantis")
        .await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    let error = browser.text("#places-error").await;
    assert!(
        error.contains("Newtown") && error.contains("Atlantis") && !error.contains("Hartlepool:"),
        "{error}"
    );
    assert!(browser
        .text(".govuk-error-summary")
        .await
        .contains("Newtown"));
    browser.axe_scan("open a round, places refused").await;
    browser
        .screenshot(&shot(store, "round-places-refused"))
        .await;
    browser.fill("#places", "hartlepool").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    let check = browser.text("#main-content").await;
    assert!(
        check.contains("Hartlepool")
            && check.contains("£50,000.00")
            && check.contains("1 January 2020"),
        "{check}"
    );
    browser.axe_scan("check the round").await;
    browser.screenshot(&shot(store, "round-check")).await;
    browser.click_and_wait("button[value='confirm']").await;
    let path = browser.path().await;
    assert!(
        path.starts_with("/manage/rounds/") && path.ends_with("?done=opened"),
        "{path}"
    );
    let round_page = browser.text("#main-content").await;
    assert!(
        round_page.contains("Round opened") && round_page.contains("Hartlepool"),
        "{round_page}"
    );
    browser.axe_scan("the round").await;
    let round = read_fund(app, fund).await["rounds"][0].clone();
    assert_eq!(round["eligibleAreas"], json!([HARTLEPOOL]));
    assert_eq!(round["minPanelScores"], 1);
    assert_eq!(round["budget"], "50000.00");
    s(&round["id"])
}

/// In a real browser: an owner sets up a fund, records capital, sets a proxy, opens a
/// round by place names; the dashboard's queues fill as an application arrives, is
/// approved and a drawdown is requested (through GraphQL), each row linking to its page.
async fn in_a_browser_an_owner_sets_up_a_fund_and_its_queues_fill(store: Store) {
    let app = app_for(store).await;
    let browser = browser_as(&app, "owner@example.org", &[ScopedRole::owner()]).await;
    let fund = set_up_fund(&browser, &app, store).await;
    let round = open_round_by_place_names(&browser, &app, store, &fund).await;

    let application = mutate(
        &app,
        &app.grantee(ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": "Burn Valley Larder", "description": "Food for families",
            "amountRequested": "12000.00", "neighbourhood": HARTLEPOOL_LSOA, "themes": ["food"],
            "applicantName": "Burn Valley Trust"
        }),
        "application { id }",
    )
    .await;
    let application = s(&application["application"]["id"]);
    browser.goto(&format!("/manage/funds/{fund}")).await;
    let dashboard = browser.text("#main-content").await;
    assert!(
        dashboard.contains("Burn Valley Larder") && dashboard.contains("0 of 1 needed"),
        "{dashboard}"
    );
    let link = browser
        .find(&format!("a[href='/manage/applications/{application}']"))
        .await;
    assert_eq!(link.text().await.unwrap(), "Burn Valley Larder");
    browser.goto(&format!("/manage/rounds/{round}")).await;
    assert!(
        browser.text("#main-content").await.contains("Hartlepool"),
        "the application's place by name"
    );
    browser.axe_scan("the round with an application").await;
    browser.screenshot(&shot(store, "round")).await;

    score(&app, "panel-pat", &application, 4, "strong plan").await;
    let award = approve(&app, &application, "10000.00").await;
    accept(&app, ORG, &award).await;
    let drawdown = request_drawdown(&app, ORG, &award, "2500.00", "Fridges").await;
    browser.goto(&format!("/manage/funds/{fund}")).await;
    let dashboard = browser.text("#main-content").await;
    assert!(
        dashboard.contains("£2,500.00 for Burn Valley Trust") && dashboard.contains("Fridges"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("No applications are waiting for a decision"),
        "{dashboard}"
    );
    browser
        .find(&format!(
            "a[href='/manage/awards/{award}/drawdowns/{drawdown}']"
        ))
        .await;
    browser.axe_scan("the dashboard with work to do").await;
    browser.screenshot(&shot(store, "dashboard-queues")).await;

    // Approved (to pay), and spend reported above what was paid (flagged).
    mutate(
        &app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": award, "drawdownId": drawdown }),
        "drawdown { id }",
    )
    .await;
    mutate(
        &app,
        &app.grantee(ORG),
        "reportSpend",
        json!({
            "awardId": award, "periodStart": business_day(), "periodEnd": business_day(),
            "lines": [{ "category": "Fridges", "amount": "3000.00" }]
        }),
        "award { id }",
    )
    .await;
    browser.goto(&format!("/manage/funds/{fund}")).await;
    let dashboard = browser.text("#main-content").await;
    assert!(
        dashboard.contains("No drawdowns are waiting for approval"),
        "{dashboard}"
    );
    assert!(
        !dashboard.contains("No approved drawdowns are waiting to be paid"),
        "{dashboard}"
    );
    assert!(
        !dashboard.contains("No award has reported more spend than it was paid"),
        "{dashboard}"
    );
    browser
        .find(&format!("a[href='/manage/awards/{award}']"))
        .await;
    browser
        .axe_scan("the dashboard with payments and flags")
        .await;
    browser.close().await;
}

/// In a real browser: a round residents vote in; the officer issues ballot codes (the
/// printable page), a resident votes (GraphQL), the officer counts the votes.
async fn in_a_browser_an_officer_issues_ballot_codes_and_counts_the_votes(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    receive_capital(&app, &fund, "100000.00").await;
    let terms = json!({ "name": "Residents decide", "budget": "20000.00", "themes": [],
        "decisionMode": "PARTICIPATORY", "minPanelScores": 0 });
    let round = open_round_with(&app, &fund, terms).await;
    let application = mutate(
        &app,
        &app.grantee(ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": "Park benches", "description": "Benches",
            "amountRequested": "5000.00", "neighbourhood": HARTLEPOOL_LSOA, "themes": [],
            "applicantName": "Friends of the Park"
        }),
        "application { id }",
    )
    .await;
    let application = s(&application["application"]["id"]);
    let officer = ScopedRole::officer(&domain::FundId::new(&fund));
    let browser = browser_as(&app, "olu@example.org", &[officer]).await;
    browser.goto(&format!("/manage/rounds/{round}")).await;
    browser.click_and_wait("a[href$='/ballot-codes']").await;
    browser.axe_scan("issue ballot codes").await;
    browser.fill("#count", "201").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.text("#count-error").await.contains("from 1 to 200"));
    browser.fill("#count", "3").await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser.text("h1").await.contains("3 ballot codes issued"));
    let cards = browser.text(".fl-ballot-cards").await;
    assert!(cards.contains(&format!("/vote/{round}")), "{cards}");
    browser.axe_scan("the printable ballot codes").await;
    browser.screenshot(&shot(store, "ballot-codes")).await;
    let code = browser.text(".fl-ballot-code").await;
    let cast = app.gql(None, "mutation($input: CastBallotInput!) { castBallot(input: $input) { position } }",
        json!({ "input": { "roundId": round, "ballotCode": code, "applicationIds": [application] } })).await;
    cast.ok();
    browser.goto(&format!("/manage/rounds/{round}")).await;
    let page = browser.text("#main-content").await;
    assert!(
        page.contains("Ballot codes issued") && page.contains("Ballots cast"),
        "{page}"
    );
    browser.click_and_wait("a[href$='/allocate']").await;
    assert!(browser.text("#main-content").await.contains("most first"));
    browser.axe_scan("count the votes").await;
    browser.screenshot(&shot(store, "allocate")).await;
    browser
        .click_and_wait("main form button.govuk-button")
        .await;
    assert!(browser
        .text("#main-content")
        .await
        .contains("Votes counted"));
    let reply = app.gql(Some(&app.admin()), "query($id: String!) { round(id: $id) { ballotCodesIssued ballotsCast votesAllocatedOn applicationCounts { approved } } }",
        json!({ "id": round })).await.ok();
    let counted = &reply.data()["round"];
    assert_eq!(counted["ballotCodesIssued"], 3);
    assert_eq!(counted["ballotsCast"], 1);
    assert_eq!(counted["applicationCounts"]["approved"], 1);
    browser.close().await;
}

/// Another fund's officer, and a person who is no owner, get "Page not found" on every
/// officer page of a fund and round that are not theirs, and their POSTs change nothing.
async fn another_funds_officer_gets_not_found(store: Store) {
    let app = spawn(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let other_fund = establish_fund(&app).await;
    let officer = ScopedRole::officer(&domain::FundId::new(&other_fund));
    let client = client_as(&app, "other@example.org", &[officer]).await;
    let own = client.get(&format!("/manage/funds/{other_fund}")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    for path in [
        format!("/manage/funds/{fund}"),
        format!("/manage/funds/{fund}/capital"),
        format!("/manage/funds/{fund}/proxies"),
        format!("/manage/funds/{fund}/rounds/new"),
        format!("/manage/rounds/{round}"),
        format!("/manage/rounds/{round}/close"),
        format!("/manage/rounds/{round}/ballot-codes"),
        "/manage/funds/new".to_string(),
        "/manage/funds/no-such-fund".to_string(),
    ] {
        let page = client.get(&path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(page.body.contains("Page not found"), "{path}");
        assert!(
            !page.body.contains("Test Fund") && !page.body.contains("Round One"),
            "{path} leaks a name"
        );
    }
    let csrf = own.field("csrf_token").expect("the page's CSRF token");
    let closed = client
        .post_form(
            &format!("/manage/rounds/{round}/close"),
            &[("csrf_token", &csrf), ("form_key", "k1")],
        )
        .await;
    assert_eq!(closed.status, 404, "{}", closed.body);
    let capital = client
        .post_form(
            &format!("/manage/funds/{fund}/capital"),
            &[
                ("csrf_token", &csrf),
                ("form_key", "k2"),
                ("amount", "1"),
                ("received_day", "1"),
                ("received_month", "1"),
                ("received_year", "2020"),
                ("source", "x"),
                ("action", "confirm"),
            ],
        )
        .await;
    assert_eq!(capital.status, 404, "{}", capital.body);
    let fund_now = read_fund(&app, &fund).await;
    assert_eq!(fund_now["position"]["capitalReceived"], "100000.00");
    assert_eq!(fund_now["rounds"][0]["id"], round);
}

async fn form_of(client: &WebClient, path: &str) -> (WebPage, String, String) {
    let page = client.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    let csrf = page.field("csrf_token").expect("a CSRF token");
    let key = page.field("form_key").expect("a form key");
    (page, csrf, key)
}

/// The same form sent twice (a double click, a refresh) writes once: ballot codes are
/// issued once (the second answer says they were already shown), capital is received
/// once, a round is closed once.
async fn a_form_sent_twice_writes_once(store: Store) {
    let app = spawn(store).await;
    let (fund, _) = fund_and_round(&app).await;
    let terms = json!({ "name": "Vote round", "budget": "1000.00", "themes": [],
        "decisionMode": "PARTICIPATORY", "minPanelScores": 0 });
    let round = open_round_with(&app, &fund, terms).await;
    let client = client_as(
        &app,
        "olu@example.org",
        &[ScopedRole::officer(&domain::FundId::new(&fund))],
    )
    .await;

    let path = format!("/manage/rounds/{round}/ballot-codes");
    let (_, csrf, key) = form_of(&client, &path).await;
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("count", "5"),
    ];
    let first = client.post_form(&path, &fields).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body.matches("class=\"fl-ballot-code\"").count(), 5);
    let head = app.head().await;
    let second = client.post_form(&path, &fields).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains("already issued"), "{}", second.body);
    assert_eq!(second.body.matches("class=\"fl-ballot-code\"").count(), 0);
    assert_eq!(app.head().await, head, "no new event");
    let issued = read_fund(&app, &fund).await["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == round.as_str())
        .unwrap()["ballotCodesIssued"]
        .clone();
    assert_eq!(issued, 5);

    let path = format!("/manage/funds/{fund}/capital");
    let (_, csrf, key) = form_of(&client, &path).await;
    let (day, month, year) = today_parts();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_key", key.as_str()),
        ("amount", "£2,500.50"),
        ("received_day", &day),
        ("received_month", &month),
        ("received_year", &year),
        ("source", "Council"),
        ("action", "confirm"),
    ];
    for _ in 0..2 {
        let page = client.post_form(&path, &fields).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(
            page.location(),
            Some(format!("/manage/funds/{fund}?done=capital").as_str())
        );
    }
    assert_eq!(
        read_fund(&app, &fund).await["position"]["capitalReceived"],
        "102500.50"
    );

    let path = format!("/manage/rounds/{round}/close");
    let (_, csrf, key) = form_of(&client, &path).await;
    let fields = [("csrf_token", csrf.as_str()), ("form_key", key.as_str())];
    let head = app.head().await;
    let first = client.post_form(&path, &fields).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let after_first = app.head().await;
    assert!(after_first > head);
    let second = client.post_form(&path, &fields).await;
    assert_eq!(second.status, 303, "{}", second.body);
    assert_eq!(app.head().await, after_first, "closing twice wrote once");
}

/// Opening a round for more than the fund has available is refused beside the budget,
/// in words (no ids), and nothing is written.
async fn an_over_budget_round_is_refused_beside_the_budget(store: Store) {
    let app = spawn(store).await;
    let (fund, _) = fund_and_round(&app).await;
    let officer = ScopedRole::officer(&domain::FundId::new(&fund));
    let client = client_as(&app, "olu@example.org", &[officer]).await;
    let path = format!("/manage/funds/{fund}/rounds/new");
    let (_, csrf, key) = form_of(&client, &path).await;
    let head = app.head().await;
    let page = client
        .post_form(
            &path,
            &[
                ("csrf_token", csrf.as_str()),
                ("form_key", key.as_str()),
                ("name", "Too big"),
                ("opens_day", "1"),
                ("opens_month", "1"),
                ("opens_year", "2020"),
                ("closes_day", "31"),
                ("closes_month", "12"),
                ("closes_year", "2099"),
                ("budget", "£60,000"),
                ("decision_mode", "PANEL"),
                ("min_panel_scores", "1"),
                ("panel_sees_scores", "AFTER_OWN_SCORE"),
                ("themes", ""),
                ("places", ""),
                ("action", "confirm"),
            ],
        )
        .await;
    assert_form_redisplayed(page.status, &page.body);
    assert!(
        page.body.contains("<title>Error: Open a round"),
        "{}",
        page.body
    );
    let start = page
        .body
        .find("id=\"budget-error\"")
        .expect("an error beside the budget");
    let beside = &page.body[start..start + 300];
    assert!(
        beside.contains("£50,000.00") && !beside.contains("FUND-"),
        "{beside}"
    );
    assert_eq!(app.head().await, head, "nothing written");
    assert_eq!(
        read_fund(&app, &fund).await["rounds"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

on_both_stores!(
    an_over_budget_round_is_refused_beside_the_budget,
    in_a_browser_an_owner_sets_up_a_fund_and_its_queues_fill,
    in_a_browser_an_officer_issues_ballot_codes_and_counts_the_votes,
    another_funds_officer_gets_not_found,
    a_form_sent_twice_writes_once,
);
