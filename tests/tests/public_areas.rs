//! The public page of an area (`/areas/{code}`, issue 15) on both stores, over the shipped
//! reference geography: a local authority's, a ward's and a neighbourhood's figures equal
//! GraphQL's to the penny; the areas inside are ranked by amount per person; the awards
//! page forward and back; `?asOf=` shows the earlier figure; an unknown or malformed code
//! is "Page not found"; and in a real headless Chromium: axe-core finds nothing serious,
//! the keyboard reaches a child area on the map and follows it, nothing scrolls sideways
//! on a phone, a hostile award title is shown as text, with screenshots of each level.

mod common;

use std::str::FromStr;

use common::*;
use fantoccini::key::Key;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, spawn_app_with_reference_geography, Store, TestApp};
use serde_json::{json, Value};

const HULL: &str = "E06000010";
const ORCHARD_PARK: &str = "E05011539";
/// Kingston upon Hull 003A, a neighbourhood in Orchard Park ward (IMD decile 1).
const HULL_003A: &str = "E01012875";
const AVENUE: &str = "E05011525";
/// Kingston upon Hull 025A, a neighbourhood in Avenue ward.
const HULL_025A: &str = "E01012756";
const HOSTILE: &str = "<script>alert(1)</script> =HYPERLINK(\"http://x\")";
/// Awards on one page of the area's list.
const PER_PAGE: usize = 20;

/// An award of `amount` titled `title` to `org` in `neighbourhood`: applied for, scored,
/// approved. Its id.
async fn award_in(
    app: &TestApp,
    round: &str,
    org: &str,
    title: &str,
    amount: &str,
    neighbourhood: &str,
) -> String {
    let payload = mutate(
        app,
        &app.grantee(org),
        "submitApplication",
        json!({
            "roundId": round, "title": title, "description": "What we will do",
            "amountRequested": amount, "neighbourhood": neighbourhood, "themes": ["food"],
            "applicantName": format!("Org {org}")
        }),
        "application { id }",
    )
    .await;
    let application = s(&payload["application"]["id"]);
    score(app, "panel-pat", &application, 4, "good").await;
    approve(app, &application, amount).await
}

/// In Hull: £10,000.50 in 003A (£4,000 of it paid), the hostile title's £2,500 in 025A,
/// and `small` more awards of £100 in 003A. The big award's id.
async fn hull_awards(app: &TestApp, small: usize) -> String {
    let (_fund, round) = fund_and_round(app).await;
    let big = award_in(
        app,
        &round,
        ORG,
        "Orchard Park Larder",
        "10000.50",
        HULL_003A,
    )
    .await;
    accept_and_pay(app, ORG, &big, "4000.00", "Food", "PAY-1", &business_day()).await;
    award_in(app, &round, OTHER_ORG, HOSTILE, "2500.00", HULL_025A).await;
    for n in 0..small {
        award_in(
            app,
            &round,
            ORG,
            &format!("Small grant {n}"),
            "100.00",
            HULL_003A,
        )
        .await;
    }
    // Pages are read after the read models have everything.
    app.gql_now(None, "{ ledger { position } }", json!({}))
        .await
        .ok();
    big
}

/// Money as the pages write it: `£10,000.50`.
fn money(plain: &Value) -> String {
    domain::Money::from_str(&s(plain))
        .expect("GraphQL money")
        .to_string()
}

/// The value beside `key` in the page's summary list.
fn summary(body: &str, key: &str) -> String {
    let at = body
        .find(&format!("<dt class=\"govuk-summary-list__key\">{key}</dt>"))
        .unwrap_or_else(|| panic!("no {key} in the summary list"));
    let value = &body[at..];
    let start = value
        .find("<dd class=\"govuk-summary-list__value\">")
        .expect("a value")
        + "<dd class=\"govuk-summary-list__value\">".len();
    let end = value[start..].find("</dd>").expect("the value's end");
    value[start..start + end].to_string()
}

/// The area's totals through GraphQL, as of `as_of`.
async fn totals(app: &TestApp, code: &str, as_of: Option<&str>) -> Value {
    let reply = app
        .gql(
            None,
            "query($code: GeoCode!, $asOf: Date) { neighbourhood(code: $code) { totals(asOf: $asOf) {
               awarded paid returned disbursed reportedSpend awardCount recipientCount perHead } } }",
            json!({ "code": code, "asOf": as_of }),
        )
        .await
        .ok();
    reply.data()["neighbourhood"]["totals"].clone()
}

/// The page's summary list holds GraphQL's totals for `code` to the penny.
async fn assert_totals(app: &TestApp, code: &str, body: &str, as_of: Option<&str>) {
    let totals = totals(app, code, as_of).await;
    for (key, field) in [
        ("Awarded", "awarded"),
        ("Paid", "paid"),
        ("Returned", "returned"),
        ("Paid out (paid less returned)", "disbursed"),
        ("Spending reported by groups", "reportedSpend"),
        ("Awarded per person", "perHead"),
    ] {
        assert_eq!(
            summary(body, key),
            money(&totals[field]),
            "{key} on /areas/{code}"
        );
    }
    assert_eq!(
        summary(body, "Awards"),
        totals["awardCount"].to_string(),
        "{code}"
    );
    assert_eq!(
        summary(body, "Groups awarded"),
        totals["recipientCount"].to_string(),
        "{code}"
    );
}

/// `/areas/{code}{query}`: 200 and its HTML.
async fn area_page(app: &TestApp, code: &str, query: &str) -> String {
    let (status, body) = app.get(&format!("/areas/{code}{query}")).await;
    assert_eq!(status, 200, "/areas/{code}{query}: {body}");
    body
}

/// The award ids linked from the page's list, in order.
fn award_links(body: &str) -> Vec<String> {
    body.split("href=\"/awards/")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("the link's end")].to_string())
        .collect()
}

/// The `href` of the page's link marked `rel` ("next", "prev"), unescaped.
fn paging_link(body: &str, rel: &str) -> Option<String> {
    let at = body.find(&format!("rel=\"{rel}\""))?;
    let start = body[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}

/// The ranked table's rows after the map (area names), in order.
fn ranked_names(body: &str) -> Vec<String> {
    let table = &body[body
        .find("id=\"choropleth-table\"")
        .expect("the ranked table")..];
    let table = &table[..table.find("</table>").expect("the table's end")];
    table
        .split("<th scope=\"row\" class=\"govuk-table__header\">")
        .skip(1)
        .map(|row| {
            let name_start = row.find('>').expect("a link") + 1;
            row[name_start..row.find("</a>").expect("the link's end")].to_string()
        })
        .collect()
}

async fn figures_equal_graphql_at_every_level(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    hull_awards(&app, PER_PAGE - 1).await;

    let hull = area_page(&app, HULL, "").await;
    assert!(hull.contains("<h1 class=\"govuk-heading-xl\">Kingston upon Hull</h1>"));
    assert!(hull.contains("A local authority in Yorkshire and The Humber"));
    assert!(hull.contains("href=\"/areas/E12000003\""), "breadcrumbs");
    assert_totals(&app, HULL, &hull, None).await;
    assert!(hull.contains("£4,000.00"), "paid");
    // The wards, most per person first, as GraphQL ranks them.
    let ranked = ranked_names(&hull);
    let first = app
        .gql(
            None,
            "{ neighbourhoods(within: \"E06000010\", level: WARD, orderBy: AWARDED_PER_HEAD_DESC, first: 2) {
               edges { node { code totals { awarded } } } } }",
            json!({}),
        )
        .await
        .ok();
    let edges = first.data()["neighbourhoods"]["edges"].clone();
    assert_eq!(s(&edges[0]["node"]["code"]), ORCHARD_PARK);
    assert_eq!(s(&edges[1]["node"]["code"]), AVENUE);
    assert_eq!(&ranked[..2], ["Orchard Park", "Avenue"], "{ranked:?}");
    assert!(hull.contains(&money(&edges[0]["node"]["totals"]["awarded"])));
    assert_eq!(ranked.len(), 21, "every ward of Hull is in the table");
    assert_deprivation(&app, &hull).await;
    let lsoas = area_page(&app, HULL, "?level=lsoa").await;
    assert_eq!(ranked_names(&lsoas)[0], "Kingston upon Hull 003A");

    let ward = area_page(&app, ORCHARD_PARK, "").await;
    assert!(ward.contains("A ward in Kingston upon Hull"));
    assert_totals(&app, ORCHARD_PARK, &ward, None).await;
    assert_eq!(ranked_names(&ward)[0], "Kingston upon Hull 003A");

    let lsoa = area_page(&app, HULL_003A, "").await;
    assert_totals(&app, HULL_003A, &lsoa, None).await;
    assert!(
        lsoa.contains("among the 10% most deprived in England"),
        "{lsoa}"
    );
    assert!(lsoa.contains("Neighbourhoods in Orchard Park"));

    // The hostile title is text, never markup.
    assert!(!hull.contains("<script>alert(1)"));
    assert!(hull.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_paging(&app).await;
    assert_as_of_and_not_found(&app).await;
}

/// `117892` as the pages write it: `117,892`.
fn thousands(number: i64) -> String {
    api::web::public::figures::count(number)
}

/// Hull's neighbourhoods by deprivation decile, as GraphQL counts them.
async fn assert_deprivation(app: &TestApp, hull: &str) {
    let reply = app
        .gql(
            None,
            "{ neighbourhood(code: \"E06000010\") { deprivation { nation imdDecile neighbourhoods population } } }",
            json!({}),
        )
        .await
        .ok();
    let shares = reply.data()["neighbourhood"]["deprivation"]
        .as_array()
        .expect("deciles")
        .clone();
    assert_eq!(s(&shares[0]["nation"]), "ENGLAND");
    let all: i64 = shares
        .iter()
        .map(|share| share["neighbourhoods"].as_i64().expect("a count"))
        .sum();
    assert_eq!(all, 166, "Hull's LSOAs with a decile");
    assert!(
        hull.contains(&format!(
            " of the {all} neighbourhoods in Kingston upon Hull"
        )),
        "the spread's sentence"
    );
    let most_deprived = &shares[0];
    assert_eq!(most_deprived["imdDecile"].as_i64(), Some(1));
    let people = most_deprived["population"].as_i64().expect("people");
    assert!(
        hull.contains(&format!(">{}<", thousands(people))),
        "decile 1's people ({people}) in the table"
    );
}

/// Hull's 21 awards: 20 on the first page, one on the next, and back again.
async fn assert_paging(app: &TestApp) {
    let first = area_page(app, HULL, "").await;
    let first_ids = award_links(&first);
    assert_eq!(first_ids.len(), PER_PAGE);
    assert!(paging_link(&first, "prev").is_none());
    let next = paging_link(&first, "next").expect("a next page");
    let (status, second) = app.get(&next).await;
    assert_eq!(status, 200, "{next}");
    let second_ids = award_links(&second);
    assert_eq!(second_ids.len(), 1);
    assert!(!first_ids.contains(&second_ids[0]));
    assert!(paging_link(&second, "next").is_none());
    let back = paging_link(&second, "prev").expect("a previous page");
    let (_, again) = app.get(&back).await;
    assert_eq!(award_links(&again), first_ids);
    let count = totals(app, HULL, None).await["awardCount"].as_i64();
    assert_eq!(count, Some((PER_PAGE + 1) as i64));
}

async fn assert_as_of_and_not_found(app: &TestApp) {
    let yesterday = (chrono::NaiveDate::from_str(&business_day()).expect("today")
        - chrono::Days::new(1))
    .to_string();
    let earlier = area_page(app, HULL, &format!("?asOf={yesterday}")).await;
    assert_totals(app, HULL, &earlier, Some(&yesterday)).await;
    assert_eq!(summary(&earlier, "Awarded"), "£0.00");
    assert!(earlier.contains("Nothing has been awarded in Kingston upon Hull yet."));
    assert!(award_links(&earlier).is_empty());
    assert!(earlier.contains(&format!("href=\"/areas/E12000003?asOf={yesterday}\"")));

    for missing in [
        "/areas/E06999999",
        "/areas/banana",
        "/areas/E01012875%3Cx",
        "/areas/E06000010?after=nonsense",
    ] {
        let (status, body) = app.get(missing).await;
        assert_eq!(status, 404, "{missing}: {body}");
        assert!(body.contains("Page not found"), "{missing}");
    }
}

/// From the map's skip link, Tab to the first area on the map and follow it with Enter:
/// the path it led to.
async fn keyboard_to_a_child(browser: &Browser) -> String {
    browser
        .client
        .execute(
            "document.querySelector('.fl-choropleth__skip').focus()",
            vec![],
        )
        .await
        .expect("focusing the skip link");
    // Past the skip link, the first area on the map (`Browser::tab_to` panics otherwise).
    browser.tab_to("svg a[href]", 5).await;
    let before = browser.path().await;
    browser.press(Key::Enter).await;
    browser.wait_for_new_path(&before).await
}

async fn an_area_in_a_real_browser(store: Store) {
    let app = spawn_app_with_reference_geography(PROGRAM, store).await;
    hull_awards(&app, 0).await;
    let browser = Browser::start(&app.base).await;
    browser.goto(&format!("/areas/{HULL}")).await;
    assert_eq!(browser.text("h1").await, "Kingston upon Hull");
    let awards = browser.text("#awards .fl-table-wrapper").await;
    assert!(awards.contains(HOSTILE), "the title as text: {awards}");
    browser.axe_scan("a local authority's page").await;
    browser.screenshot("public-area-lad").await;

    browser.goto(&format!("/areas/{ORCHARD_PARK}")).await;
    assert_eq!(browser.text("h1").await, "Orchard Park");
    browser.axe_scan("a ward's page").await;
    browser.screenshot("public-area-ward").await;

    browser.goto(&format!("/areas/{HULL_003A}")).await;
    assert_eq!(browser.text("h1").await, "Kingston upon Hull 003A");
    browser.axe_scan("a neighbourhood's page").await;
    browser.screenshot("public-area-lsoa").await;
    browser.goto("/areas/E12000003").await;
    browser.axe_scan("a region's page").await;
    browser.screenshot("public-area-region").await;

    browser.goto(&format!("/areas/{HULL}")).await;
    let ward = keyboard_to_a_child(&browser).await;
    assert!(ward.starts_with("/areas/E05"), "{ward}");
    browser.close().await;
}

on_both_stores!(
    figures_equal_graphql_at_every_level,
    an_area_in_a_real_browser,
);
