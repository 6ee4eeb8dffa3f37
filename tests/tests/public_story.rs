//! The public story pages (issue 15), on both stores: `/awards/{id}` shows an award's
//! variation, payments, return, spend by category and outcome, each with its date and the
//! exact amount GraphQL gives, and nothing private (drawdown purposes, reasons, payment
//! references, panel comments); as of an earlier day it shows the earlier figures;
//! `/funds/{id}` shows `fund.position` to the penny; a participatory round's page shows
//! the vote counts and the funded applications in vote order; a hostile title is text;
//! unknown ids are 404s. In a real headless Chromium: axe-core, no sideways scroll,
//! screenshots `public-award-*.png` and `public-round-*.png`.

mod common;

use chrono::Days;
use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, Store, TestApp};
use serde_json::{json, Value};

const HOSTILE: &str = "<script>alert(1)</script> =HYPERLINK(\"http://x\")";
const PURPOSE: &str = "Hall hire for Mrs Purpose-Secret";
const PAYMENT_REF: &str = "BACS-REF-SECRET";
const VARY_REASON: &str = "Vary-Reason-Secret";
const RETURN_REASON: &str = "Return-Reason-Secret";
const PANEL_COMMENT: &str = "Panel-Comment-Secret";

const STORY: &str = r#"query($id: String!, $asOf: Date) {
  award(id: $id) {
    approvedAmount
    position(asOf: $asOf) { awarded paid returned disbursed spendReported }
    variations(asOf: $asOf) { variedOn from to }
    payments(asOf: $asOf) { paidOn amount }
    returns(asOf: $asOf) { returnedOn amount }
    spendByCategory(asOf: $asOf) { category spent }
    outcomes(asOf: $asOf) { indicator quantity periodEnd }
  }
}"#;

fn yesterday() -> String {
    infrastructure::business_today()
        .checked_sub_days(Days::new(1))
        .expect("a day before today")
        .to_string()
}

/// `2026-12-07` as the pages write it: `7 December 2026`.
fn in_words(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .expect("a date")
        .format("%-d %B %Y")
        .to_string()
}

/// The admin pays a new drawdown of `amount` on `award` as `payment_ref`, today.
async fn pay(app: &TestApp, award: &str, amount: &str, payment_ref: &str) {
    let drawdown = request_drawdown(app, ORG, award, amount, PURPOSE).await;
    let admin = app.admin();
    mutate(
        app,
        &admin,
        "approveDrawdown",
        json!({ "awardId": award, "drawdownId": drawdown }),
        "",
    )
    .await;
    mutate(
        app,
        &admin,
        "recordPayment",
        json!({ "awardId": award, "drawdownId": drawdown, "paymentRef": payment_ref, "paidOn": business_day() }),
        "",
    )
    .await;
}

/// A fund and round, and an award with a hostile title approved for £10,000.50, varied to
/// £9,000.50, paid £3,000.00 and £2,000.25, £500.10 returned, spend in two categories and
/// one outcome reported: (fund, round, award).
async fn award_with_a_story(app: &TestApp) -> (String, String, String) {
    let (fund, round) = fund_and_round(app).await;
    mutate(
        app,
        &app.admin(),
        "setOutcomeProxy",
        json!({ "fundId": fund, "indicator": "meals served", "unit": "meal", "valuePerUnit": "2.50",
                "deadweight": "0.2", "attribution": "0.1", "displacement": "0", "dropOff": "1",
                "durationYears": 1 }),
        "",
    )
    .await;
    let application = submit(app, ORG, &round, HOSTILE, "12000.00").await;
    score(app, "panel-pat", &application, 4, PANEL_COMMENT).await;
    let award = approve(app, &application, "10000.50").await;
    accept(app, ORG, &award).await;
    let admin = app.admin();
    let today = business_day();
    mutate(
        app,
        &admin,
        "varyAward",
        json!({ "awardId": award, "newAmount": "9000.50", "reason": VARY_REASON }),
        "",
    )
    .await;
    pay(app, &award, "3000.00", PAYMENT_REF).await;
    pay(app, &award, "2000.25", "BACS-REF-SECRET-2").await;
    mutate(
        app,
        &admin,
        "recordReturn",
        json!({ "awardId": award, "amount": "500.10", "reason": RETURN_REASON }),
        "",
    )
    .await;
    mutate(
        app,
        &app.grantee(ORG),
        "reportSpend",
        json!({ "awardId": award, "periodStart": today, "periodEnd": today,
                "lines": [{ "category": "Food", "amount": "1200.00" }, { "category": "Rent", "amount": "800.55" }] }),
        "",
    )
    .await;
    mutate(
        app,
        &app.grantee(ORG),
        "reportOutcome",
        json!({ "awardId": award, "indicator": "meals served", "quantity": "1200", "periodEnd": today }),
        "",
    )
    .await;
    (fund, round, award)
}

async fn an_awards_story_is_public_dated_and_exact(store: Store) {
    let app = spawn(store).await;
    let (fund, _round, award) = award_with_a_story(&app).await;
    let today = business_day();

    let story = app.gql_now(None, STORY, json!({ "id": award })).await.ok();
    let story = &story.data()["award"];
    assert_eq!(story["approvedAmount"], "10000.50");
    assert_eq!(
        story["position"],
        json!({ "awarded": "9000.50", "paid": "5000.25", "returned": "500.10", "disbursed": "4500.15", "spendReported": "2000.55" })
    );
    assert_eq!(
        story["variations"],
        json!([{ "variedOn": today, "from": "10000.50", "to": "9000.50" }])
    );
    // Payments of one day are in no particular order among themselves.
    let payments = story["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 2, "{payments:?}");
    for amount in ["3000.00", "2000.25"] {
        assert!(
            payments.contains(&json!({ "paidOn": today, "amount": amount })),
            "{payments:?}"
        );
    }
    assert_eq!(
        story["returns"],
        json!([{ "returnedOn": today, "amount": "500.10" }])
    );
    assert_eq!(
        story["spendByCategory"],
        json!([{ "category": "Food", "spent": "1200.00" }, { "category": "Rent", "spent": "800.55" }])
    );
    assert_eq!(
        story["outcomes"],
        json!([{ "indicator": "meals served", "quantity": "1200", "periodEnd": today }])
    );

    let (status, page) = app.get(&format!("/awards/{award}")).await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "£9,000.50",
        "£10,000.50",
        "£3,000.00",
        "£2,000.25",
        "£500.10",
        "£4,500.15",
        "£2,000.55",
        "Food",
        "£1,200.00",
        "Rent",
        "£800.55",
        "meals served",
        "1200",
        "Test Fund",
        "Round One",
        "Org GB-CHC-1111111",
    ] {
        assert!(page.contains(shown), "the award page lacks {shown}: {page}");
    }
    assert!(
        page.contains(&in_words(&today)),
        "no dates in words: {page}"
    );
    assert!(
        page.contains(&format!("href=\"/funds/{fund}\"")),
        "no link to the fund"
    );
    assert!(
        page.contains(&format!("href=\"/areas/{AREA}\"")),
        "no link to the place"
    );
    for private in [
        PURPOSE,
        "Purpose-Secret",
        PAYMENT_REF,
        VARY_REASON,
        RETURN_REASON,
        PANEL_COMMENT,
    ] {
        assert!(
            !page.contains(private),
            "the award page shows private text {private}"
        );
    }
    assert!(
        !page.contains("<script>alert(1)"),
        "a hostile title ran as markup"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the hostile title is not shown as text"
    );

    // As of the day before, the award had not been made: nothing paid, nothing shown.
    let earlier = app
        .gql_now(None, STORY, json!({ "id": award, "asOf": yesterday() }))
        .await
        .ok();
    let earlier = &earlier.data()["award"];
    assert_eq!(earlier["position"]["awarded"], "0.00");
    assert_eq!(earlier["payments"], json!([]));
    assert_eq!(earlier["variations"], json!([]));
    let (status, page) = app
        .get(&format!("/awards/{award}?asOf={}", yesterday()))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("after the date these figures are for"),
        "{page}"
    );
    assert!(
        !page.contains("£9,000.50") && !page.contains("£3,000.00"),
        "{page}"
    );

    // The fund's page: every figure of its position, to the penny.
    let position = app
        .gql_now(None, "query($id: String!) { fund(id: $id) { position { capitalReceived allocated awarded disbursed returned available } } }", json!({ "id": fund }))
        .await
        .ok();
    let (status, page) = app.get(&format!("/funds/{fund}")).await;
    assert_eq!(status, 200, "{page}");
    for (name, value) in position.data()["fund"]["position"]
        .as_object()
        .expect("a position")
    {
        let shown = api::web::public::figures::money(value.as_str().expect("money"));
        assert!(
            page.contains(&shown),
            "the fund page lacks {name} {shown}: {page}"
        );
    }
    assert!(
        page.contains(&format!("href=\"/awards/{award}\"")),
        "the fund page does not link the award"
    );

    for unknown in ["/awards/AW-NOPE", "/funds/F-NOPE", "/rounds/R-NOPE"] {
        let (status, page) = app.get(unknown).await;
        assert_eq!(status, 404, "{unknown}: {page}");
    }
    assert!(app.stop().await);
}

async fn open_participatory_round(app: &TestApp, fund: &str) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "openRound",
        json!({
            "fundId": fund, "name": "People's Choice", "budget": "20000.00",
            "opensOn": "2020-01-01", "closesOn": "2099-12-31",
            "eligibleAreas": [AREA], "themes": ["food"], "decisionMode": "PARTICIPATORY"
        }),
        "round { id }",
    )
    .await;
    s(&payload["round"]["id"])
}

/// Residents vote garden 3, larder 2, club 1; £20,000 funds the garden (£12,000.00), passes
/// over the larder (£9,000.50 no longer fits) and funds the club (£6,000.25).
async fn a_vote(app: &TestApp) -> String {
    let fund = establish_fund(app).await;
    receive_capital(app, &fund, "100000.00").await;
    let round = open_participatory_round(app, &fund).await;
    let larder = submit(app, ORG, &round, "Community larder", "9000.50").await;
    let garden = submit(app, OTHER_ORG, &round, "Pocket garden", "12000.00").await;
    let club = submit(app, "GB-CHC-3333333", &round, "Homework club", "6000.25").await;
    let codes = mutate(
        app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 3 }),
        "codes",
    )
    .await;
    let codes: Vec<String> = codes["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(s)
        .collect();
    let ballots: [&[&str]; 3] = [&[&garden, &larder, &club], &[&garden, &larder], &[&garden]];
    for (code, choices) in codes.iter().zip(ballots) {
        let cast = app
            .gql(
                None,
                "mutation($input: CastBallotInput!) { castBallot(input: $input) { position } }",
                json!({ "input": { "roundId": round, "ballotCode": code, "applicationIds": choices } }),
            )
            .await;
        assert!(cast.body.get("errors").is_none(), "{}", cast.body);
    }
    mutate(
        app,
        &app.admin(),
        "allocateByVotes",
        json!({ "roundId": round }),
        "",
    )
    .await;
    round
}

fn at(page: &str, text: &str) -> usize {
    page.find(text)
        .unwrap_or_else(|| panic!("the page lacks {text}: {page}"))
}

async fn a_participatory_rounds_page_shows_the_vote(store: Store) {
    let app = spawn(store).await;
    let round = a_vote(&app).await;
    let reply = app
        .gql_now(None, "query($id: String!) { round(id: $id) { budget awarded remaining ballotsCast applications { title votes status } } }", json!({ "id": round }))
        .await
        .ok();
    let figures: &Value = &reply.data()["round"];
    assert_eq!(figures["awarded"], "18000.25");
    assert_eq!(figures["ballotsCast"], 3);

    let (status, page) = app.get(&format!("/rounds/{round}")).await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "£20,000.00",
        "£18,000.25",
        "£1,999.75",
        "3 ballots",
        "Residents' vote: the results",
    ] {
        assert!(page.contains(shown), "the round page lacks {shown}: {page}");
    }
    // In vote order, each with its count and result.
    let garden = at(&page, "Pocket garden");
    let larder = at(&page, "Community larder");
    let club = at(&page, "Homework club");
    assert!(
        garden < larder && larder < club,
        "not in vote order: {page}"
    );
    assert!(at(&page[garden..], "Funded: £12,000.00") < at(&page[garden..], "Community larder"));
    assert!(at(&page[larder..], "Not funded") < at(&page[larder..], "Homework club"));
    assert!(page[club..].contains("Funded: £6,000.25"), "{page}");
    assert!(
        page.contains("most votes first"),
        "the rule is not in words: {page}"
    );

    // The round's awards, latest first: one day, so by id, descending, a page at a time.
    let latest = "query($id: String!, $after: String) {
      awards(filter: { round: $id }, first: 1, after: $after, orderBy: AWARDED_ON_DESC) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let first = app.gql_now(None, latest, json!({ "id": round })).await.ok();
    let first = &first.data()["awards"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].clone();
    let second = app
        .gql_now(None, latest, json!({ "id": round, "after": cursor }))
        .await
        .ok();
    let second = &second.data()["awards"];
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let newer = s(&first["edges"][0]["node"]["id"]);
    let older = s(&second["edges"][0]["node"]["id"]);
    assert!(newer > older, "{newer} then {older}");
    let awards = &page[at(&page, ">Awards</h2>")..];
    assert!(
        at(awards, &newer) < at(awards, &older),
        "the page's awards are not latest first: {awards}"
    );

    let browser = Browser::start(&app.base).await;
    browser.goto(&format!("/rounds/{round}")).await;
    browser.axe_scan("a participatory round's page").await;
    browser.screenshot("public-round-participatory").await;
    browser.close().await;
    assert!(app.stop().await);
}

async fn the_award_page_reads_well_in_a_browser(store: Store) {
    let app = spawn(store).await;
    let (_fund, round, award) = award_with_a_story(&app).await;
    app.gql_now(None, "{ ledger { position } }", json!({}))
        .await
        .ok();
    let browser = Browser::start(&app.base).await;
    browser.goto(&format!("/awards/{award}")).await;
    assert_eq!(
        browser.text("h1").await,
        HOSTILE,
        "the hostile title is shown as text"
    );
    browser.axe_scan("an award's page").await;
    browser.screenshot("public-award").await;
    browser.goto(&format!("/rounds/{round}")).await;
    browser.axe_scan("a panel round's page").await;
    browser.screenshot("public-round-panel").await;
    browser.close().await;
    assert!(app.stop().await);
}

on_both_stores!(
    an_awards_story_is_public_dated_and_exact,
    a_participatory_rounds_page_shows_the_vote,
    the_award_page_reads_well_in_a_browser,
);
