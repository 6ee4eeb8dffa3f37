//! `/search` (issue 15) on both stores, on the shipped reference geography, in a real
//! headless Chromium: a resident finds Hull by name and their neighbourhood by postcode
//! once `fundledger import postcodes` (the real command, on a small file in the ONS
//! Postcode Directory's layout) has loaded a lookup, follows its link to the
//! neighbourhood's page, and finds a group and an award by name; the figures shown are
//! GraphQL's; a hostile award title is shown as text; a long or garbled search is answered
//! with a message, never a 500. axe-core scans, 390 px screenshots
//! (`target/screenshots/public-search-*.png`), no sideways scroll at 320 px.

mod common;

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use serde_json::json;

/// Kingston upon Hull 024A (Central ward), from ../shared/geo.
const HULL_024A: &str = "E01012850";
const HOSTILE_TITLE: &str = "<script>alert(1)</script> =HYPERLINK(\"http://evil.example\")";

/// The real ONSPD header (February 2024 release).
const ONSPD_HEADER: &str = "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,npark,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua24,ru11ind,oac11,lat,long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21";

fn onspd_row(pcds: &str, doterm: &str, lad: &str, ward: &str, lsoa: &str) -> String {
    let pcd = format!("{pcds:<7}");
    format!(
        "{pcd},{pcd},{pcds},198001,{doterm},E99999999,E99999999,{lad},{ward},E43000002,0,509900,428700,1,\
         E18000003,E40000009,E92000001,E12000003,0,E14000772,E15000003,E24000021,E30000222,5AW,{lad},\
         00FAMT,00FAMT0001,00FAMT,E65000001,{lsoa},E02002648,5,3B2,E00067000,{lsoa},E02002648,E33000000,\
         E38000083,E63000000,A1,3B2,53.742,-0.331,E37000039,,E23000035,4000,E56000003,E54000044,E00067000,\
         {lsoa},E02002648\n"
    )
}

/// Hull city centre postcodes with real Hull LSOAs, a terminated one, a Welsh row, a
/// non-geographic postcode and a malformed row, in a temporary folder.
fn postcode_file() -> std::path::PathBuf {
    let text = [
        ONSPD_HEADER.to_string() + "\n",
        onspd_row("HU1 1AA", "", "E06000010", "E05011529", HULL_024A),
        onspd_row("HU1 1AB", "", "E06000010", "E05011529", "E01012851"),
        onspd_row("HU1 2AA", "201906", "E06000010", "E05011529", "E01012852"),
        onspd_row("HU6 9AA", "", "E06000010", "E05011539", "E01012875"),
        onspd_row("CF10 1AA", "", "W06000015", "W05000850", "W01001701"),
        onspd_row("BX1 1LT", "", "", "", ""),
        onspd_row("HU1 9Z", "", "E06000010", "E05011529", HULL_024A),
    ]
    .concat();
    let folder = std::env::temp_dir().join(format!(
        "fundledger-onspd-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let path = folder.join("ONSPD_FEB_2024_UK.csv");
    std::fs::write(&path, text).expect("writing the postcode file");
    path
}

/// Runs the real `fundledger import postcodes` over the app's store: what it printed.
async fn import_postcodes(app: &TestApp) -> String {
    let file = postcode_file();
    let output = tokio::process::Command::new(PROGRAM)
        .args(["import", "postcodes"])
        .arg(&file)
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger import postcodes");
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "import postcodes failed: {printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed
}

/// An award to `ORG` titled `title` in Hull 024A, approved for `amount`: its id.
async fn award_in_hull(app: &TestApp, round: &str, title: &str, amount: &str) -> String {
    let payload = mutate(
        app,
        &app.grantee(ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": amount, "neighbourhood": HULL_024A, "themes": ["food"],
            "applicantName": "Hull Food Larder Trust"
        }),
        "application { id }",
    )
    .await;
    let application = s(&payload["application"]["id"]);
    score(app, "panel-pat", &application, 4, "strong plan").await;
    approve(app, &application, amount).await
}

/// Searches for `text` with the page's own box.
async fn search_for(browser: &Browser, text: &str) {
    browser.fill("#q", text).await;
    browser
        .click_and_wait("form[action='/search'] button")
        .await;
}

async fn a_resident_finds_their_place_by_name_and_postcode(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let browser = Browser::start(&app.base).await;
    browser.goto("/search?q=HU1+1AA").await;
    let before = browser.text("main").await;
    assert!(
        before.contains("Postcodes cannot be searched yet"),
        "{before}"
    );

    let printed = import_postcodes(&app).await;
    assert!(
        printed.contains("7 rows read (postcodes from `pcds`, neighbourhoods from `lsoa11`)"),
        "{printed}"
    );
    assert!(
        printed.contains("loaded 4 postcodes (1 of them terminated"),
        "{printed}"
    );
    assert!(printed.contains("skipped 1 outside England"), "{printed}");
    assert!(
        printed.contains("line 8: \"HU1 9Z\": not a postcode"),
        "{printed}"
    );

    browser.goto("/search").await;
    assert_eq!(browser.text("h1").await, "Search");
    browser.axe_scan("search, empty").await;
    browser.screenshot("public-search-empty").await;

    search_for(&browser, "Hull").await;
    let first_place = browser.text("ul[aria-labelledby='places'] li").await;
    assert!(
        first_place.starts_with("Kingston upon Hull\n"),
        "{first_place}"
    );
    assert!(
        first_place.contains("A local authority in Yorkshire and The Humber"),
        "{first_place}"
    );
    assert!(
        !browser.text("main").await.contains("E06000010"),
        "no code shown as words"
    );
    browser.axe_scan("search for a town").await;
    browser.screenshot("public-search-places").await;

    // The same address as before the import: not the page kept from then.
    search_for(&browser, "hu1 1aa").await;
    let said = browser.text(".fl-postcode").await;
    assert!(
        said.contains("HU1 1AA is in Kingston upon Hull 024A, a neighbourhood in Central ward, Kingston upon Hull."),
        "{said}"
    );
    browser.axe_scan("search for a postcode").await;
    browser.screenshot("public-search-postcode").await;
    browser
        .click_and_wait(&format!(".fl-postcode p a[href='/areas/{HULL_024A}']"))
        .await;
    assert_eq!(browser.path().await, format!("/areas/{HULL_024A}"));
    assert_eq!(browser.text("h1").await, "Kingston upon Hull 024A");

    browser.goto("/search?q=HU1+2AA").await;
    assert!(browser
        .text(".fl-postcode")
        .await
        .contains("HU1 2AA (no longer in use) is in"));
    browser.goto("/search?q=HU1+9ZZ").await;
    let unknown = browser.text("main").await;
    assert!(
        unknown.contains("We could not find the postcode HU1 9ZZ"),
        "{unknown}"
    );
    browser.goto("/search?q=CF10+1AA").await;
    assert!(browser
        .text("main")
        .await
        .contains("We could not find the postcode CF10 1AA"));
    browser.close().await;
}

/// GraphQL's answers, which the page shows.
async fn graphql_places_postcodes_and_finds_groups(app: &TestApp) {
    let reply = app
        .gql(
            None,
            "{ postcodesAvailable postcode(code: \"hu11aa\") { postcode terminated \
               neighbourhood { code name } ward { name } localAuthority { code name } } }",
            json!({}),
        )
        .await
        .ok();
    let found = &reply.data()["postcode"];
    assert_eq!(reply.data()["postcodesAvailable"], true);
    assert_eq!(found["postcode"], "HU1 1AA");
    assert_eq!(found["terminated"], false);
    assert_eq!(found["neighbourhood"]["code"], HULL_024A);
    assert_eq!(found["ward"]["name"], "Central");
    assert_eq!(found["localAuthority"]["code"], "E06000010");
    app.gql(None, "{ postcode(code: \"Hull\") { postcode } }", json!({}))
        .await
        .expect_code("BAD_INPUT");
    let unknown = app
        .gql(
            None,
            "{ postcode(code: \"HU1 9ZZ\") { postcode } }",
            json!({}),
        )
        .await
        .ok();
    assert!(unknown.data()["postcode"].is_null());
    app.gql(None, "{ search(text: \"\") { awards { id } } }", json!({}))
        .await
        .expect_code("BAD_INPUT");
}

async fn groups_and_awards_are_found_and_shown_as_text(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let (_fund, round) = fund_and_round(&app).await;
    let larder = award_in_hull(&app, &round, "Hull Community Larder", "10000.50").await;
    award_in_hull(&app, &round, HOSTILE_TITLE, "250.00").await;
    import_postcodes(&app).await;
    graphql_places_postcodes_and_finds_groups(&app).await;
    let reply = app
        .gql(
            None,
            "{ search(text: \"food larder\") { recipients { orgId name awardCount awarded } awards { id } } }",
            json!({}),
        )
        .await
        .ok();
    let group = &reply.data()["search"]["recipients"][0];
    assert_eq!(group["orgId"], ORG);
    assert_eq!(
        (group["awardCount"].as_i64(), s(&group["awarded"])),
        (Some(2), "10250.50".to_string())
    );

    let browser = Browser::start(&app.base).await;
    browser.goto("/search").await;
    search_for(&browser, "food larder").await;
    let groups = browser.text("ul[aria-labelledby='groups']").await;
    assert!(
        groups.contains("Hull Food Larder Trust\n2 awards, £10,250.50 awarded"),
        "{groups}"
    );
    browser.axe_scan("search for a group").await;
    browser.screenshot("public-search-groups").await;
    browser
        .click_and_wait("ul[aria-labelledby='groups'] a")
        .await;
    assert_eq!(browser.text("h1").await, "Hull Food Larder Trust");
    let awards = browser.text("table").await;
    assert!(awards.contains("Hull Community Larder"), "{awards}");
    assert!(
        awards.contains(HOSTILE_TITLE),
        "the hostile title as text: {awards}"
    );
    assert!(awards.contains("Kingston upon Hull 024A"), "{awards}");
    browser.axe_scan("a group's awards").await;
    browser.screenshot("public-search-group").await;

    browser.goto("/search?q=community+larder").await;
    let found = browser.text("table").await;
    assert!(found.contains("Hull Community Larder"), "{found}");
    assert!(found.contains("£10,000.50"), "{found}");
    browser
        .click_and_wait(&format!("table a[href='/awards/{larder}']"))
        .await;
    assert_eq!(browser.text("h1").await, "Hull Community Larder");

    browser.goto("/search?q=script").await;
    let source = browser.client.source().await.expect("the page's source");
    assert!(
        source.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped"
    );
    assert!(!source.contains("<script>alert(1)"), "never markup");
    browser.screenshot("public-search-awards").await;
    browser.close().await;

    let (status, page) = app.get(&format!("/search?q={}", "a".repeat(500))).await;
    assert_eq!(status, 200);
    assert!(page.contains("Your search is too long"), "{page}");
    let (status, page) = app.get("/search?q=Hull%E2%80%AEevil").await;
    assert_eq!(status, 200, "a bidi control character: {page}");
    assert!(page.contains("cannot be searched for"), "{page}");
    let (status, _) = app.get("/search?recipient=GB-NOBODY").await;
    assert_eq!(status, 404);
}

on_both_stores!(
    a_resident_finds_their_place_by_name_and_postcode,
    groups_and_awards_are_found_and_shown_as_text,
);
