//! A resident's journey through the public explorer (issue 15), on both stores, in a real
//! headless Chromium, keyboard only where a person would type: from the home page they
//! find Hull by name, open its page and read figures that equal GraphQL's to the penny,
//! follow an award to its story, see an earlier day's figure through the as-of form, and
//! find their neighbourhood by postcode (a lookup in the ONS Postcode Directory's layout,
//! loaded by the real `fundledger import postcodes`). A hostile award title is shown as
//! text on every page it appears; axe-core finds nothing serious on any; every page fits
//! 320 px; screenshots at 1280 and 390 px are kept in `target/screenshots/public-journey-*`.

mod common;

use std::str::FromStr;

use common::*;
use fantoccini::key::Key;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use serde_json::{json, Value};

const HULL: &str = "E06000010";
/// Kingston upon Hull 003A, a neighbourhood in Orchard Park ward.
const HULL_003A: &str = "E01012875";
/// A postcode of the test's own lookup file, in Hull 003A.
const POSTCODE: &str = "HU6 9BX";
const HOSTILE: &str = "<script>alert(1)</script> =HYPERLINK(\"http://x\")";

/// A small lookup in the ONS Postcode Directory's CSV layout (its real column names, in
/// its order, most columns empty): two Hull postcodes, one terminated, and a Welsh one
/// that England's geography cannot place.
fn postcode_directory() -> String {
    let header = "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua11,buasd11,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21";
    let row = |pcds: &str, doterm: &str, lad: &str, ward: &str, lsoa: &str| {
        let compact = pcds.replace(' ', "");
        format!("\"{compact:<7}\",\"{pcds}\",\"{pcds}\",\"198001\",\"{doterm}\",\"\",\"\",\"{lad}\",\"{ward}\",\"\",\"0\",\"\",\"\",\"1\",\"\",\"\",\"E92000001\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"{lsoa}\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"53.77\",\"-0.37\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"")
    };
    [
        header.to_string(),
        row(POSTCODE, "", HULL, "E05011539", HULL_003A),
        row("HU6 9ZZ", "201205", HULL, "E05011539", HULL_003A),
        row("CF10 1AA", "", "W06000015", "W05000865", "W01001696"),
    ]
    .join("\r\n")
}

/// Loads the test's postcode lookup through the real command.
async fn import_postcodes(app: &TestApp) {
    let file = std::env::temp_dir().join(format!(
        "ONSPD_TEST_UK-{}.csv",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&file, postcode_directory()).expect("writing the lookup");
    let output = tokio::process::Command::new(PROGRAM)
        .args(["import", "postcodes"])
        .arg(&file)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger import postcodes");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "import postcodes failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Two awards in Hull 003A, one paid in part and one with a hostile title. The first's id.
async fn hull_awards(app: &TestApp) -> String {
    let (_fund, round) = fund_and_round(app).await;
    let mut awards = Vec::new();
    for (org, title, amount) in [
        (ORG, "Orchard Park Larder", "10000.50"),
        (OTHER_ORG, HOSTILE, "2500.05"),
    ] {
        let payload = mutate(
            app,
            &app.grantee(org),
            "submitApplication",
            json!({ "roundId": round, "title": title, "description": "What we will do",
                    "amountRequested": amount, "neighbourhood": HULL_003A, "themes": ["food"],
                    "applicantName": format!("Group {org}") }),
            "application { id }",
        )
        .await;
        let application = s(&payload["application"]["id"]);
        score(app, "panel-pat", &application, 4, "good").await;
        awards.push(approve(app, &application, amount).await);
    }
    accept_and_pay(
        app,
        ORG,
        &awards[0],
        "4000.25",
        "Food",
        "PAY-1",
        &business_day(),
    )
    .await;
    app.gql_now(None, "{ ledger { position } }", json!({}))
        .await
        .ok();
    awards.remove(0)
}

/// Money as the pages write it: `£10,000.50`.
fn money(plain: &Value) -> String {
    domain::Money::from_str(&s(plain))
        .expect("GraphQL money")
        .to_string()
}

async fn graphql(app: &TestApp, query: &str, variables: Value) -> Value {
    app.gql(None, query, variables).await.ok().data().clone()
}

/// The page's visible text.
async fn page_text(browser: &Browser) -> String {
    browser.text("main").await
}

/// The hostile title is on the page as text, and no script of the page's came from it.
async fn assert_hostile_title_is_text(browser: &Browser, page: &str) {
    assert!(
        page_text(browser).await.contains(HOSTILE),
        "{page} shows the title as written"
    );
    let injected = browser
        .client
        .execute(
            "return Array.from(document.scripts).filter(s => s.text.includes('alert(1)')).length",
            vec![],
        )
        .await
        .expect("counting scripts");
    assert_eq!(
        injected.as_u64(),
        Some(0),
        "{page} ran no script from a title"
    );
}

/// Home → "Hull" typed into the search box → Kingston upon Hull, by keyboard alone.
async fn find_hull_by_name(browser: &Browser) {
    browser.goto("/").await;
    browser.axe_scan("the home page").await;
    browser.screenshot("public-journey-home").await;
    browser.tab_to("input[name=q]", 40).await;
    browser.type_keys("Hull").await;
    browser.press(Key::Enter).await;
    let results = browser.wait_for_new_path("/").await;
    assert!(results.starts_with("/search?q=Hull"), "{results}");
    browser.axe_scan("the search results").await;
    browser.screenshot("public-journey-search").await;
    browser
        .tab_to(&format!("main a[href=\"/areas/{HULL}\"]"), 60)
        .await;
    browser.press(Key::Enter).await;
    let page = browser.wait_for_new_path(&results).await;
    assert_eq!(page, format!("/areas/{HULL}"));
}

/// Hull's page holds GraphQL's totals to the penny (now, and as of yesterday through the
/// as-of form), and the hostile title as text.
async fn read_hull(app: &TestApp, browser: &Browser) {
    let now = graphql(
        app,
        "query($code: GeoCode!) { neighbourhood(code: $code) { name totals { awarded disbursed awardCount } } }",
        json!({ "code": HULL }),
    )
    .await;
    let text = page_text(browser).await;
    let hull = &now["neighbourhood"];
    // The page names it as people say it: "Kingston upon Hull", not "…, City of".
    let name = s(&hull["name"]);
    let said = name.strip_suffix(", City of").unwrap_or(&name);
    assert_eq!(browser.text("h1").await, said);
    for figure in ["awarded", "disbursed"] {
        let shown = money(&hull["totals"][figure]);
        assert!(text.contains(&shown), "{figure} {shown} on Hull's page");
    }
    assert_hostile_title_is_text(browser, "Hull's page").await;
    browser.axe_scan("Hull's page").await;
    browser.screenshot("public-journey-hull").await;
}

/// The as-of form on Hull's page: yesterday's figures (before any award) equal GraphQL's
/// `totals(asOf)`; the page's address says the day.
async fn hull_yesterday(app: &TestApp, browser: &Browser) {
    let yesterday = chrono::NaiveDate::from_str(&business_day()).unwrap() - chrono::Days::new(1);
    browser.click("details.fl-as-of__choose summary").await;
    browser
        .fill("#asOf-day", &yesterday.format("%-d").to_string())
        .await;
    browser
        .fill("#asOf-month", &yesterday.format("%-m").to_string())
        .await;
    browser
        .fill("#asOf-year", &yesterday.format("%Y").to_string())
        .await;
    browser
        .click_and_wait("details.fl-as-of__choose button")
        .await;
    assert_eq!(
        browser.path().await,
        format!("/areas/{HULL}?asOf={yesterday}")
    );
    let then = graphql(
        app,
        "query($code: GeoCode!, $asOf: Date) { neighbourhood(code: $code) { totals(asOf: $asOf) { awarded awardCount } } }",
        json!({ "code": HULL, "asOf": yesterday.to_string() }),
    )
    .await;
    let awarded = money(&then["neighbourhood"]["totals"]["awarded"]);
    assert_eq!(awarded, "£0.00", "nothing was awarded before today");
    let text = page_text(browser).await;
    assert!(text.contains(&awarded), "yesterday's {awarded}: {text}");
    assert!(
        !text.contains("Orchard Park Larder"),
        "today's award is not on yesterday's page"
    );
    browser.goto(&format!("/areas/{HULL}")).await;
}

/// From Hull's page to the award's story: its amount and payment equal GraphQL's.
async fn follow_the_award(app: &TestApp, browser: &Browser, award: &str) {
    browser
        .click_and_wait(&format!("main a[href^=\"/awards/{award}\"]"))
        .await;
    let story = graphql(
        app,
        "query($id: String!) { award(id: $id) { title awarded paid } }",
        json!({ "id": award }),
    )
    .await;
    let text = page_text(browser).await;
    assert!(text.contains(&s(&story["award"]["title"])));
    assert!(text.contains(&money(&story["award"]["awarded"])), "{text}");
    assert!(text.contains(&money(&story["award"]["paid"])), "{text}");
    browser.axe_scan("the award's page").await;
    browser.screenshot("public-journey-award").await;
}

/// The postcode, typed as people type it, finds the neighbourhood; its page lists both
/// awards, the hostile one as text.
async fn find_by_postcode(browser: &Browser) {
    browser.goto("/search").await;
    browser.tab_to("input[name=q]", 40).await;
    browser
        .type_keys(&POSTCODE.to_lowercase().replace(' ', ""))
        .await;
    browser.press(Key::Enter).await;
    let results = browser.wait_for_new_path("/search").await;
    let text = page_text(browser).await;
    assert!(
        text.contains(POSTCODE),
        "the postcode is recognised: {text}"
    );
    browser.axe_scan("the postcode's results").await;
    browser
        .click_and_wait(&format!(".fl-postcode a[href=\"/areas/{HULL_003A}\"]"))
        .await;
    assert_ne!(browser.path().await, results);
    assert_eq!(browser.path().await, format!("/areas/{HULL_003A}"));
    assert!(page_text(browser).await.contains("Orchard Park Larder"));
    assert_hostile_title_is_text(browser, "the neighbourhood's page").await;
    browser.screenshot("public-journey-neighbourhood").await;
}

async fn a_resident_finds_where_the_money_went(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let award = hull_awards(&app).await;
    import_postcodes(&app).await;
    let browser = Browser::start(&app.base).await;
    find_hull_by_name(&browser).await;
    read_hull(&app, &browser).await;
    hull_yesterday(&app, &browser).await;
    follow_the_award(&app, &browser, &award).await;
    find_by_postcode(&browser).await;
    browser.close().await;
    assert_verified(&app).await;
}

#[tokio::test]
async fn a_resident_finds_where_the_money_went_sqlite() {
    a_resident_finds_where_the_money_went(Store::Sqlite).await;
}

#[tokio::test]
async fn a_resident_finds_where_the_money_went_postgres() {
    a_resident_finds_where_the_money_went(Store::Postgres).await;
}
