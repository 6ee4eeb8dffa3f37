//! The public home page `/` (issue 15) on both stores, over the shipped reference
//! geography, in a real headless Chromium: every fund's position and a local authority's
//! awarded and per-person figures equal GraphQL's to the penny; the map switches to
//! disbursed; zooming into Kingston upon Hull shows its wards with their figures; an
//! earlier `asOf` shows the earlier figures (and the as-of form keeps the view's choices);
//! a hostile award title is shown as text; an axe-core scan, no sideways scroll at 390 px,
//! screenshots at 1280 and 390 px; the pages with the most areas stay small.

mod common;

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use serde_json::{json, Value};

const HULL: &str = "E06000010";
/// Kingston upon Hull 015A, in Avenue ward.
const HULL_015A: &str = "E01012761";
const AVENUE: &str = "E05011525";
/// Kingston upon Hull 001A, in another ward.
const HULL_001A: &str = "E01012779";
const HOSTILE_TITLE: &str = "<script>alert(1)</script> =HYPERLINK(\"http://x\")";

/// `£1,234.56`, as the page writes GraphQL's `"1234.56"`.
fn pounds(plain: &str) -> String {
    api::web::work::widgets::money(plain)
}

fn yesterday() -> String {
    (infrastructure::business_today() - chrono::Days::new(1)).to_string()
}

async fn submit_in(app: &TestApp, round: &str, title: &str, area: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(OTHER_ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": "12000.00", "neighbourhood": area, "themes": ["food"],
            "applicantName": "Hull Tenants' Forum"
        }),
        "application { id }",
    )
    .await;
    s(&payload["application"]["id"])
}

/// A fund with £100,000.00, an award of £10,000.50 in Hull 015A (£4,000.25 paid) and
/// one of £2,500.05 in Hull 001A under a hostile title. Returns the last position.
async fn seed(app: &TestApp) -> i64 {
    let w = world(app).await;
    // `world` makes its award in Birmingham; move nothing, add Hull's own.
    let larder = submit_in(app, &w.round, "Hull Community Larder", HULL_015A).await;
    score(app, "panel-pat", &larder, 4, "good").await;
    let larder = approve(app, &larder, "10000.50").await;
    accept_and_pay(
        app,
        OTHER_ORG,
        &larder,
        "4000.25",
        "food",
        "REF-1",
        &business_day(),
    )
    .await;
    let hostile = submit_in(app, &w.round, HOSTILE_TITLE, HULL_001A).await;
    score(app, "panel-pat", &hostile, 4, "good").await;
    approve(app, &hostile, "2500.05").await;
    app.head().await
}

/// What GraphQL says: the fund's position, Hull's totals, Avenue ward's totals, the
/// ledger's totals, now or as of `as_of`.
async fn graphql(app: &TestApp, position: i64, as_of: Option<&str>) -> Value {
    app.gql_at(
        None,
        position,
        "query($asOf: Date) {
            funds { name position(asOf: $asOf) { capitalReceived allocated awarded disbursed returned available } }
            hull: neighbourhood(code: \"E06000010\") { name totals(asOf: $asOf) { awarded disbursed perHead } }
            avenue: neighbourhood(code: \"E05011525\") { name totals(asOf: $asOf) { awarded disbursed perHead } }
            totals(asOf: $asOf) { awarded disbursed }
        }",
        json!({ "asOf": as_of }),
    )
    .await
    .ok()
    .data()
    .clone()
}

/// The text of the map table's row for the area named `name`.
async fn table_row(browser: &Browser, name: &str) -> String {
    let script = "const name = arguments[0];\
        for (const row of document.querySelectorAll('#choropleth-table tbody tr')) {\
          if (row.querySelector('th').innerText.trim() === name) return row.innerText;\
        }\
        return null;";
    let found = browser
        .client
        .execute(script, vec![json!(name)])
        .await
        .expect("reading the map's table");
    found
        .as_str()
        .unwrap_or_else(|| panic!("no row for {name} in the map's table"))
        .to_string()
}

async fn page_text(browser: &Browser) -> String {
    browser.text("main").await
}

async fn home_figures_equal_graphql_and_the_map_zooms_into_hull(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let position = seed(&app).await;
    let now = graphql(&app, position, None).await;
    let browser = Browser::start(&app.base).await;
    browser.goto("/").await;
    assert_eq!(browser.title().await, "Where the money went – fundledger");
    let text = page_text(&browser).await;
    let fund = &now["funds"][0]["position"];
    for field in [
        "capitalReceived",
        "allocated",
        "awarded",
        "disbursed",
        "returned",
        "available",
    ] {
        let amount = pounds(&s(&fund[field]));
        assert!(
            text.contains(&amount),
            "the fund's {field} {amount}: {text}"
        );
    }
    assert!(text.contains(&pounds(&s(&now["totals"]["awarded"]))));
    let hull = &now["hull"];
    let row = table_row(&browser, &s(&hull["name"])).await;
    assert!(
        row.contains(&pounds(&s(&hull["totals"]["awarded"]))),
        "{row}"
    );
    assert!(
        row.contains(&pounds(&s(&hull["totals"]["perHead"]))),
        "{row}"
    );
    // The hostile title is text, never markup.
    assert!(text.contains(HOSTILE_TITLE), "{text}");
    let source = browser.client.source().await.expect("the page's source");
    assert!(!source.contains("<script>alert(1)"), "an unescaped title");
    assert!(source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    browser.axe_scan("the home page").await;
    browser.screenshot("public-home").await;

    // Disbursed: Hull's row shows what was paid out.
    browser
        .click_and_wait("a.fl-switch__link[href='/?show=disbursed']")
        .await;
    assert_eq!(browser.path().await, "/?show=disbursed");
    let row = table_row(&browser, &s(&hull["name"])).await;
    assert!(
        row.contains(&pounds(&s(&hull["totals"]["disbursed"]))),
        "{row}"
    );
    let current = browser.find("a[aria-current='true']").await;
    assert_eq!(current.text().await.expect("text"), "Paid out");

    // Zoom into Hull with the form: its wards, Avenue's figures to the penny.
    browser.goto("/").await;
    browser
        .find("#zoom-in")
        .await
        .select_by_value(HULL)
        .await
        .expect("choosing Hull");
    browser.click_and_wait("form.fl-zoom button").await;
    assert_eq!(browser.path().await, format!("/?in={HULL}"));
    let avenue = &now["avenue"];
    let row = table_row(&browser, &s(&avenue["name"])).await;
    assert!(
        row.contains(&pounds(&s(&avenue["totals"]["awarded"]))),
        "{row}"
    );
    assert!(
        row.contains(&pounds(&s(&avenue["totals"]["perHead"]))),
        "{row}"
    );
    let heading = browser.text("#map-heading").await;
    assert!(heading.contains("wards"), "{heading}");
    browser
        .find(&format!("svg a[href='/areas/{AVENUE}']"))
        .await;
    browser.find(&format!("a[href='/areas/{HULL}']")).await;
    browser.axe_scan("the home page zoomed into Hull").await;
    browser.screenshot("public-home-hull").await;

    // At a phone's width nothing scrolls sideways.
    browser.phone_window().await;
    browser.goto("/").await;
    let fits = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .expect("the page's width");
    assert_eq!(
        fits,
        json!(true),
        "the home page scrolls sideways at 390 px"
    );
    browser.close().await;
}

async fn an_earlier_day_shows_the_earlier_figures(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let position = seed(&app).await;
    let day = yesterday();
    let then = graphql(&app, position, Some(&day)).await;
    assert_eq!(s(&then["totals"]["awarded"]), "0.00");
    let (status, today) = app.get("/").await;
    assert_eq!(status, 200);
    // The map of England's 317 authorities, and the largest authority's 639
    // neighbourhoods, stay well under 400 KB of HTML.
    let (status, birmingham) = app.get("/?in=E08000025&level=lsoa").await;
    assert_eq!(status, 200);
    println!(
        "/ is {} bytes; Birmingham's neighbourhoods {} bytes",
        today.len(),
        birmingham.len()
    );
    assert!(today.len() < 300_000, "/ is {} bytes", today.len());
    assert!(birmingham.len() < 350_000, "{} bytes", birmingham.len());
    assert!(today.contains(&pounds(&s(
        &graphql(&app, position, None).await["totals"]["awarded"]
    ))));
    let browser = Browser::start(&app.base).await;
    browser.goto(&format!("/?asOf={day}")).await;
    let text = page_text(&browser).await;
    assert!(text.contains("Nothing had been awarded by then."), "{text}");
    assert!(!text.contains("Hull Community Larder"), "{text}");
    // The as-of form keeps the view's choices.
    browser.goto(&format!("/?in={HULL}&show=disbursed")).await;
    browser.click("details.fl-as-of__choose summary").await;
    let (year, month, date) = {
        let mut parts = day.split('-');
        (
            parts.next().unwrap().to_string(),
            parts.next().unwrap().trim_start_matches('0').to_string(),
            parts.next().unwrap().trim_start_matches('0').to_string(),
        )
    };
    browser.fill("#asOf-day", &date).await;
    browser.fill("#asOf-month", &month).await;
    browser.fill("#asOf-year", &year).await;
    browser
        .click_and_wait("details.fl-as-of__choose button")
        .await;
    assert_eq!(
        browser.path().await,
        format!("/?in={HULL}&show=disbursed&asOf={day}")
    );
    let text = page_text(&browser).await;
    assert!(
        text.contains("Nothing had been paid out in Kingston upon Hull, City of by then."),
        "{text}"
    );
    browser.close().await;
}

on_both_stores!(
    home_figures_equal_graphql_and_the_map_zooms_into_hull,
    an_earlier_day_shows_the_earlier_figures,
);
