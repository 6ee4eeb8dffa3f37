//! The place chooser (issue 14), on both stores, on the shipped reference geography: a
//! person finds their neighbourhood by name (a local authority narrows to its
//! neighbourhoods) and from the server-drawn maps (England's local authorities, then the
//! chosen authority's neighbourhoods), in a real headless Chromium, with an axe-core scan
//! and screenshots of every screen; the chooser sends them back to the page that asked,
//! with `place={code}`, and never to another site.

mod common;

use common::*;
use domain::OrgId;
use fundledger_tests::browser::Browser;
use fundledger_tests::web_client::WebClient;
use fundledger_tests::work::browser_as;
use fundledger_tests::{spawn_app_with_reference_geography, Store, TestApp};
use infrastructure::accounts::ScopedRole;
use serde_json::json;

const HULL: &str = "E06000010";
const ORCHARD_PARK: &str = "E05011539";
/// Kingston upon Hull 003A, a neighbourhood in Orchard Park ward.
const HULL_003A: &str = "E01012875";
const RETURN: &str = "/work?step=apply";

/// The chooser's address for a neighbourhood, coming back to `RETURN`.
fn chooser() -> String {
    api::web::work::places::chooser_link(RETURN, "lsoa")
}

/// A browser signed in as a member of `ORG`.
async fn signed_in_browser(app: &TestApp) -> Browser {
    let member = [ScopedRole::member(&OrgId::new(ORG))];
    browser_as(app, "member@example.org", &member).await
}

/// The `href` of the first link on the page's map whose own shape is under its centre
/// (so a click there lands on it), among links whose `href` contains `wanted`.
async fn clickable_map_link(browser: &Browser, wanted: &str) -> String {
    let script = "const wanted = arguments[0];\
        for (const link of document.querySelectorAll('svg a')) {\
          const href = link.getAttribute('href');\
          if (!href.includes(wanted)) continue;\
          link.scrollIntoView({block: 'center'});\
          const box = link.getBoundingClientRect();\
          const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);\
          if (hit && hit.closest('a') === link) return href;\
        }\
        return null;";
    let found = browser
        .client
        .execute(script, vec![json!(wanted)])
        .await
        .expect("looking for a map link");
    found
        .as_str()
        .unwrap_or_else(|| panic!("no clickable map area for {wanted}"))
        .to_string()
}

/// The neighbourhood `code` through GraphQL: its level and its local authority's code.
async fn neighbourhood_of(app: &TestApp, code: &str) -> (String, String) {
    let reply = app
        .gql(
            Some(app.admin().as_str()),
            "query($code: GeoCode!) { neighbourhood(code: $code) { level parent { parent { code } } } }",
            json!({ "code": code }),
        )
        .await;
    let area = &reply.data()["neighbourhood"];
    (
        area["level"].as_str().unwrap_or_default().to_string(),
        area["parent"]["parent"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

async fn choosing_a_neighbourhood_by_name(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let browser = signed_in_browser(&app).await;
    browser.goto(&chooser()).await;
    assert_eq!(browser.text("h1").await, "Choose a neighbourhood");
    browser.axe_scan("place chooser").await;
    browser.screenshot("work-places-search").await;

    browser.fill("#q", "hull").await;
    browser
        .click_and_wait("form[action='/places/choose'] button")
        .await;
    let results = browser.text(".fl-place-results").await;
    let first = browser.text(".fl-place-results li").await;
    assert!(first.starts_with("Kingston upon Hull\n"), "{first}");
    assert!(
        first.contains("A local authority in Yorkshire and The Humber"),
        "{first}"
    );
    assert!(results.contains("Hull Road"), "{results}");
    assert!(!results.contains(HULL), "no code is shown: {results}");
    browser.axe_scan("place search results").await;
    browser.screenshot("work-places-results").await;

    // The local authority narrows to its neighbourhoods, each with its ward.
    browser.click_and_wait(".fl-place-results li a").await;
    assert_eq!(
        browser.text("h1").await,
        "Choose a neighbourhood in Kingston upon Hull"
    );
    let table = browser.text("table").await;
    assert!(table.contains("Kingston upon Hull 003A"), "{table}");
    assert!(table.contains("Orchard Park"), "{table}");
    assert!(table.contains("10% most deprived"), "{table}");
    browser.axe_scan("a local authority's neighbourhoods").await;
    browser.screenshot("work-places-hull").await;

    browser
        .click_and_wait(&format!("table a[href*='place={HULL_003A}']"))
        .await;
    assert_eq!(browser.path().await, format!("{RETURN}&place={HULL_003A}"));
    browser.close().await;
}

async fn choosing_a_neighbourhood_from_the_map(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let browser = signed_in_browser(&app).await;
    browser.goto(&chooser()).await;
    browser.click_and_wait("a[href^='/places/map']").await;
    assert_eq!(
        browser.text("h1").await,
        "Choose your local authority on the map"
    );
    let links = browser
        .client
        .execute(
            "return document.querySelectorAll('svg a[href]').length",
            vec![],
        )
        .await
        .expect("counting the map's links");
    assert_eq!(links.as_u64(), Some(317), "every local authority is a link");
    let attribution = browser.text(".fl-map__attribution").await;
    assert!(attribution.contains("Contains OS data"), "{attribution}");
    let focusable = browser
        .client
        .execute(
            "const area = document.querySelector('svg a[href]'); area.focus();\
             return document.activeElement === area && area.getAttribute('aria-label');",
            vec![],
        )
        .await
        .expect("focusing a map area");
    assert!(
        focusable.as_str().is_some_and(|name| !name.is_empty()),
        "a map area takes the keyboard's focus and has a name: {focusable}"
    );
    browser.axe_scan("map of England").await;
    browser.screenshot("work-places-england").await;

    // Click Hull on the map, then a neighbourhood on Hull's map.
    let hull = clickable_map_link(&browser, &format!("in={HULL}")).await;
    browser
        .click_and_wait(&format!("svg a[href='{hull}']"))
        .await;
    assert_eq!(
        browser.text("h1").await,
        "Choose a neighbourhood in Kingston upon Hull"
    );
    browser.axe_scan("map of Hull's neighbourhoods").await;
    let neighbourhood = clickable_map_link(&browser, "place=E01").await;
    browser
        .click_and_wait(&format!("svg a[href='{neighbourhood}']"))
        .await;
    let path = browser.path().await;
    let code = path
        .strip_prefix(&format!("{RETURN}&place="))
        .unwrap_or_else(|| panic!("back at {path}"))
        .to_string();
    assert_eq!(
        neighbourhood_of(&app, &code).await,
        ("LSOA".to_string(), HULL.to_string()),
        "{code} is a neighbourhood of Hull"
    );

    // A ward narrows to its own neighbourhoods, on a map and in a table.
    browser
        .goto(&format!("{}&in={ORCHARD_PARK}", chooser()))
        .await;
    assert_eq!(
        browser.text("h1").await,
        "Choose a neighbourhood in Orchard Park"
    );
    browser.axe_scan("a ward's neighbourhoods").await;
    browser.screenshot("work-places-ward").await;
    browser.close().await;
}

async fn the_chooser_finds_places_and_returns_only_to_this_site(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    let web = WebClient::new(&app.base);
    let search = |q: &str| format!("/places/choose?return=%2Fwork&level=any&q={q}");

    let hull = web.get(&search("HULL")).await;
    assert_eq!(hull.status, 200);
    let at_hull = hull
        .body
        .find(">Kingston upon Hull<")
        .expect("Hull is found");
    let at_ward = hull
        .body
        .find(">Hull Road<")
        .expect("the ward Hull Road is found");
    assert!(at_hull < at_ward, "the local authority comes first");
    let ward = web.get(&search("orchard%20park")).await;
    assert!(
        ward.body.contains("A ward in Kingston upon Hull"),
        "{}",
        ward.body
    );
    let punctuated = web.get(&search("st%20marys")).await;
    assert!(punctuated.body.contains(">St Mary&#39;s<") || punctuated.body.contains(">St Mary's<"));
    let nothing = web.get(&search("HU6%207RX")).await;
    assert!(
        nothing.body.contains("No places match"),
        "a postcode is not a place name"
    );

    let chosen = web
        .get(&format!(
            "/places/chosen?return=%2Fwork%3Fstep%3Dapply&level=lsoa&place={HULL_003A}"
        ))
        .await;
    assert_eq!(chosen.status, 303);
    assert_eq!(
        chosen.location(),
        Some(format!("{RETURN}&place={HULL_003A}").as_str())
    );
    // A local authority is not a neighbourhood: refused, nowhere sent.
    let wrong_level = web
        .get(&format!(
            "/places/chosen?return=%2Fwork&level=lsoa&place={HULL}"
        ))
        .await;
    assert_eq!(wrong_level.status, 400);
    for outside in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "",
    ] {
        for page in ["chosen", "choose", "map"] {
            let answer = web
                .get(&format!(
                    "/places/{page}?return={outside}&level=lsoa&place={HULL_003A}"
                ))
                .await;
            assert_eq!(answer.status, 400, "{page} with return={outside}");
            assert_eq!(answer.location(), None);
        }
    }
}

on_both_stores!(
    choosing_a_neighbourhood_by_name,
    choosing_a_neighbourhood_from_the_map,
    the_chooser_finds_places_and_returns_only_to_this_site,
);
