//! Money over time, `/ledger` and `/glossary` (issue 15), on both stores, through the
//! real server: a series' last running totals equal `totals(asOf)` and
//! `fund.position(asOf)` to the penny and its periods are contiguous (over a funder's
//! real 360Giving history, ten years of grants); `/ledger` shows GraphQL's head and
//! position and the latest events in public form, with links that work and none of the
//! personal texts the ledger holds; `/glossary` quotes the schema's own descriptions; in
//! a real headless Chromium, axe-core finds nothing serious on `/ledger`, `/glossary` and
//! a fund's page with its chart, none scrolls sideways, and screenshots are kept.

mod common;

use std::path::PathBuf;
use std::str::FromStr;

use common::*;
use fundledger_tests::browser::Browser;
use fundledger_tests::{mutate, Store, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const LONDON: &str = "E12000007";
const ALWF: &str = "dataquality_andrewlloydwebberfdn_a003W000001B7PzQAK.json";

/// Personal texts the ledger holds that must never reach a public page.
const APPLICANT: &str = "Priya Secretname";
const DESCRIPTION: &str = "Secret description of the larder";
const COMMENT: &str = "Secret panel comment";
const PURPOSE: &str = "Secret purpose: rent for March";
const PAYMENT_REF: &str = "SECRET-BACS-0042";
const PERSONAL: [&str; 5] = [APPLICANT, DESCRIPTION, COMMENT, PURPOSE, PAYMENT_REF];

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/360giving/samples")
        .join(name)
}

fn money(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("money, not {value}")),
    )
    .expect("a decimal")
}

/// Imports the ALWF sample (475 grants, 2011 to 2020) through the real binary: the id of
/// the funder's fund.
async fn import_history(app: &TestApp) -> String {
    let output = tokio::process::Command::new(PROGRAM)
        .args(["import", "360giving"])
        .arg(sample(ALWF))
        .args(["--database-url", &app.database.url])
        .output()
        .await
        .expect("running fundledger import 360giving");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(sample(ALWF)).unwrap()).unwrap();
    let funder = package["grants"][0]["fundingOrganization"][0]["id"].clone();
    let reply = app
        .gql_now(None, "{ funds { id funderOrgId } }", json!({}))
        .await
        .ok();
    let fund = reply.data()["funds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fund| fund["funderOrgId"] == funder)
        .expect("the funder's fund")["id"]
        .clone();
    s(&fund)
}

/// A round's award with a payment, seeded with personal texts: the award's and fund's ids.
async fn award_with_payment(app: &TestApp) -> (String, String) {
    let (fund, round) = fund_and_round(app).await;
    let application = s(&mutate(
        app,
        &app.grantee(ORG),
        "submitApplication",
        json!({
            "roundId": round, "title": "Hull Community Larder", "description": DESCRIPTION,
            "amountRequested": "12000.00", "neighbourhood": AREA, "themes": ["food"],
            "applicantName": APPLICANT
        }),
        "application { id }",
    )
    .await["application"]["id"]);
    score(app, "panel-pat", &application, 4, COMMENT).await;
    let award = approve(app, &application, "10000.50").await;
    accept(app, ORG, &award).await;
    let drawdown = request_drawdown(app, ORG, &award, "2500.25", PURPOSE).await;
    mutate(
        app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": award, "drawdownId": drawdown }),
        "",
    )
    .await;
    mutate(
        app,
        &app.admin(),
        "recordPayment",
        json!({ "awardId": award, "drawdownId": drawdown, "paymentRef": PAYMENT_REF, "paidOn": business_day() }),
        "",
    )
    .await;
    (award, fund)
}

const SERIES: &str = "interval periods { start end cumulativeAwarded cumulativePaid \
    cumulativeReturned cumulativeDisbursed cumulativeReportedSpend }";

/// The fund's and London's series and figures as of `as_of`, in one query.
async fn figures_as_of(
    app: &TestApp,
    fund: &str,
    as_of: Option<&str>,
    interval: Option<&str>,
) -> Value {
    let query = format!(
        "query($fund: String!, $area: GeoCode!, $asOf: Date, $interval: SeriesInterval) {{
           fund(id: $fund) {{
             position(asOf: $asOf) {{ awarded paid returned disbursed }}
             moneyOverTime(asOf: $asOf, interval: $interval) {{ {SERIES} }}
           }}
           fundTotals: totals(filter: {{ fund: $fund }}, asOf: $asOf) {{ awarded paid returned disbursed reportedSpend }}
           neighbourhood(code: $area) {{
             totals(asOf: $asOf) {{ awarded paid returned disbursed reportedSpend }}
             moneyOverTime(asOf: $asOf, interval: $interval) {{ {SERIES} }}
           }}
         }}"
    );
    let variables = json!({ "fund": fund, "area": LONDON, "asOf": as_of, "interval": interval });
    app.gql_now(None, &query, variables)
        .await
        .ok()
        .data()
        .clone()
}

/// The periods are contiguous, each starts on its interval's first day, and the last ends
/// on `last_day`.
fn assert_contiguous(series: &Value, last_day: &str) {
    let periods = series["periods"].as_array().expect("periods");
    let interval = series["interval"].as_str().unwrap();
    let months = match interval {
        "MONTH" => 1,
        "QUARTER" => 3,
        _ => 12,
    };
    for pair in periods.windows(2) {
        let end = chrono::NaiveDate::from_str(pair[0]["end"].as_str().unwrap()).unwrap();
        let next = chrono::NaiveDate::from_str(pair[1]["start"].as_str().unwrap()).unwrap();
        assert_eq!(end.succ_opt().unwrap(), next, "contiguous: {pair:?}");
    }
    for period in periods {
        let start = chrono::NaiveDate::from_str(period["start"].as_str().unwrap()).unwrap();
        use chrono::Datelike;
        assert_eq!(start.day(), 1, "{period}");
        assert_eq!(start.month0() % months, 0, "{interval}: {period}");
    }
    let last = periods.last().expect("a period");
    assert_eq!(
        last["end"], last_day,
        "the last period ends on the series' last day"
    );
}

/// The last period's running totals equal `figures`' (awarded, paid, returned,
/// disbursed, and reported spend where given), to the penny.
fn assert_last_equals(series: &Value, figures: &Value, what: &str) {
    let last = series["periods"]
        .as_array()
        .unwrap()
        .last()
        .expect("a period");
    for (cumulative, figure) in [
        ("cumulativeAwarded", "awarded"),
        ("cumulativePaid", "paid"),
        ("cumulativeReturned", "returned"),
        ("cumulativeDisbursed", "disbursed"),
        ("cumulativeReportedSpend", "reportedSpend"),
    ] {
        if figures.get(figure).is_some() {
            assert_eq!(
                money(&last[cumulative]),
                money(&figures[figure]),
                "{what}: {cumulative} against {figure}"
            );
        }
    }
}

async fn money_over_time_adds_up_to_the_totals(store: Store) {
    let app = spawn(store).await;
    let fund = import_history(&app).await;
    let today = business_day();

    let now = figures_as_of(&app, &fund, None, None).await;
    let fund_series = &now["fund"]["moneyOverTime"];
    assert_eq!(fund_series["interval"], "YEAR", "ten years and more: years");
    assert_eq!(fund_series["periods"][0]["start"], "2011-01-01");
    assert_contiguous(fund_series, &today);
    assert_last_equals(fund_series, &now["fund"]["position"], "the fund now");
    assert_last_equals(fund_series, &now["fundTotals"], "the fund's awards now");
    assert!(money(&now["fund"]["position"]["awarded"]) > Decimal::ZERO);
    let area_series = &now["neighbourhood"]["moneyOverTime"];
    assert_contiguous(area_series, &today);
    assert_last_equals(area_series, &now["neighbourhood"]["totals"], "London now");
    assert!(money(&now["neighbourhood"]["totals"]["awarded"]) > Decimal::ZERO);

    // Part-way through the history: quarters, still equal to the penny.
    let then = figures_as_of(&app, &fund, Some("2015-06-30"), None).await;
    let fund_series = &then["fund"]["moneyOverTime"];
    assert_eq!(fund_series["interval"], "QUARTER");
    assert_contiguous(fund_series, "2015-06-30");
    assert_last_equals(fund_series, &then["fund"]["position"], "the fund in 2015");
    assert_last_equals(
        fund_series,
        &then["fundTotals"],
        "the fund's awards in 2015",
    );
    assert!(
        money(&then["fund"]["position"]["awarded"]) < money(&now["fund"]["position"]["awarded"])
    );
    let area_series = &then["neighbourhood"]["moneyOverTime"];
    assert_last_equals(
        area_series,
        &then["neighbourhood"]["totals"],
        "London in 2015",
    );

    // Months when asked, every month present even with no grant in it.
    let first_year = figures_as_of(&app, &fund, Some("2011-12-31"), Some("MONTH")).await;
    let months = &first_year["fund"]["moneyOverTime"];
    assert_eq!(months["periods"].as_array().unwrap().len(), 12);
    assert_contiguous(months, "2011-12-31");
    assert_last_equals(months, &first_year["fund"]["position"], "the fund in 2011");

    // Before anything was awarded: no periods at all.
    let before = figures_as_of(&app, &fund, Some("2010-12-31"), None).await;
    assert_eq!(before["fund"]["moneyOverTime"]["periods"], json!([]));
    assert_eq!(
        before["neighbourhood"]["moneyOverTime"]["periods"],
        json!([])
    );

    // The fund's page draws the chart and puts the same last figures in its table.
    let (status, page) = app.get(&format!("/funds/{fund}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("role=\"img\" aria-labelledby=\"money-over-time-summary\""),
        "{page}"
    );
    assert!(page.contains("Show the figures as a table"), "{page}");
    let last = now["fund"]["moneyOverTime"]["periods"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let awarded = api::web::public::figures::money(last["cumulativeAwarded"].as_str().unwrap());
    assert!(page.contains(&awarded), "{awarded} in the table: {page}");
    let (_, earlier) = app.get(&format!("/funds/{fund}?asOf=2010-12-31")).await;
    assert!(
        earlier.contains("Nothing had been awarded yet by the end of 31 December 2010"),
        "{earlier}"
    );
    assert!(
        !earlier.contains("role=\"img\""),
        "no empty chart: {earlier}"
    );
}

/// Every `href` on `page` starting with `prefix`.
fn links(page: &str, prefix: &str) -> Vec<String> {
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

async fn the_ledger_page_shows_the_head_and_public_events_only(store: Store) {
    let app = spawn(store).await;
    let (award, fund) = award_with_payment(&app).await;
    let reply = app
        .gql_now(
            None,
            "{ ledger { position head events latest(first: 100) { hasEarlier events {
                 number position hash recordedAt eventType what happenedOn amount fundId roundId awardId } } } }",
            json!({}),
        )
        .await
        .ok();
    let ledger = reply.data()["ledger"].clone();
    let answer = ledger.to_string();
    for text in PERSONAL {
        assert!(
            !answer.contains(text),
            "GraphQL's public events hold {text:?}: {answer}"
        );
    }
    let events = ledger["latest"]["events"].as_array().unwrap();
    assert_eq!(
        events[0]["hash"], ledger["head"],
        "the newest event's hash is the head"
    );
    assert_eq!(events[0]["number"], ledger["events"]);
    assert_eq!(ledger["latest"]["hasEarlier"], false);
    let payment = events
        .iter()
        .find(|event| event["eventType"] == "PaymentRecorded")
        .expect("the payment");
    assert_eq!(payment["amount"], "2500.25");
    assert_eq!(payment["awardId"], award.as_str());
    assert_eq!(payment["fundId"], fund.as_str());
    assert_eq!(payment["happenedOn"], business_day().as_str());
    let private: Vec<&Value> = events
        .iter()
        .filter(|event| event["eventType"].is_null())
        .collect();
    assert!(
        private.len() >= 3,
        "application, score, drawdown request: {private:?}"
    );
    assert!(private
        .iter()
        .all(|event| event["amount"].is_null() && event["awardId"].is_null()));

    let (status, page) = app.get("/ledger").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(ledger["head"].as_str().unwrap()),
        "the head hash: {page}"
    );
    let position = ledger["position"].as_i64().unwrap();
    assert!(
        page.contains(&format!("ledger position {position}")),
        "{page}"
    );
    for text in [
        "Award made",
        "Payment recorded",
        "Round opened",
        "£2,500.25",
        "£10,000.50",
        "fundledger verify",
    ] {
        assert!(page.contains(text), "{text} on /ledger: {page}");
    }
    for text in PERSONAL {
        assert!(!page.contains(text), "/ledger shows {text:?}");
    }
    let mut followed = 0;
    for prefix in ["/awards/", "/rounds/", "/funds/"] {
        let found = links(&page, prefix);
        assert!(!found.is_empty(), "a link to {prefix}: {page}");
        for link in found {
            let (status, body) = app.get(&link).await;
            assert_eq!(status, 200, "{link}: {body}");
            followed += 1;
        }
    }
    assert!(followed >= 3);
    assert!(links(&page, "/awards/").contains(&format!("/awards/{award}")));

    // Earlier pages, down to the first event.
    let (status, first) = app.get("/ledger?before=2").await;
    assert_eq!(status, 200, "{first}");
    assert!(first.contains("Fund set up"), "{first}");
    assert!(first.contains("Latest events"), "a way back: {first}");
    let (status, _) = app.get("/ledger?before=nonsense").await;
    assert_eq!(status, 404);
}

/// `text` with the entities maud writes turned back into characters.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn the_glossary_quotes_the_schemas_definitions(store: Store) {
    let app = spawn(store).await;
    let (status, page) = app.get("/glossary").await;
    assert_eq!(status, 200, "{page}");
    let mut quoted = 0;
    for term in api::web::public::glossary::TERMS {
        assert!(
            page.contains(&format!("id=\"{}\"", term.id)),
            "#{}: {page}",
            term.id
        );
        assert!(
            page.contains(&format!("href=\"#{}\"", term.id)),
            "contents: #{}",
            term.id
        );
        for field in term.fields {
            let (type_name, field_name) = field.split_once('.').unwrap_or((field, ""));
            let reply = app
                .gql(
                    None,
                    "query($name: String!) { __type(name: $name) { description fields { name description } } }",
                    json!({ "name": type_name }),
                )
                .await
                .ok();
            let schema_type = &reply.data()["__type"];
            let description = if field_name.is_empty() {
                schema_type["description"].clone()
            } else {
                schema_type["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|found| found["name"] == field_name)
                    .unwrap_or_else(|| panic!("{field} is in the schema"))["description"]
                    .clone()
            };
            let description = description
                .as_str()
                .unwrap_or_else(|| panic!("{field} has a description"));
            let marker = format!("data-field=\"{field}\">");
            let shown = page
                .split(&marker)
                .nth(1)
                .and_then(|rest| rest.split("</dd>").next())
                .unwrap_or_else(|| panic!("{field} is defined on /glossary"));
            assert_eq!(words(&unescape(shown)), words(description), "{field}");
            quoted += 1;
        }
    }
    assert!(quoted >= 20, "{quoted}");
    for id in ["awarded", "disbursed", "money-over-time", "per-head"] {
        assert!(api::web::public::glossary::TERMS
            .iter()
            .any(|term| term.id == id));
    }
}

async fn public_pages_pass_axe_and_fit_a_phone(store: Store) {
    let app = spawn(store).await;
    let (_award, fund) = award_with_payment(&app).await;
    app.gql_now(None, "{ ledger { position } }", json!({}))
        .await
        .ok();
    let browser = Browser::start(&app.base).await;
    for (path, name, heading) in [
        ("/ledger".to_string(), "public-ledger-page", "The ledger"),
        (
            "/glossary".to_string(),
            "public-ledger-glossary",
            "Glossary",
        ),
        (format!("/funds/{fund}"), "public-chart-fund", "Test Fund"),
    ] {
        browser.goto(&path).await;
        assert_eq!(browser.text("h1").await, heading);
        browser.axe_scan(name).await;
        browser.screenshot(name).await;
    }
    // The chart's summary is what the image is called, and every figure is in the table.
    let label = browser
        .client
        .execute(
            "const svg = document.querySelector('svg[role=img]');\
             return document.getElementById(svg.getAttribute('aria-labelledby')).textContent;",
            vec![],
        )
        .await
        .expect("the chart's label");
    let label = label.as_str().unwrap_or_default().to_string();
    assert!(
        label.contains("£10,000.50 had been awarded and £2,500.25 disbursed"),
        "{label}"
    );
    let hidden = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('[aria-hidden=true]'))\
               .map(e => e.textContent.trim()).filter(t => t.length > 0).join('|');",
            vec![],
        )
        .await
        .expect("hidden texts");
    assert_eq!(hidden.as_str(), Some(""), "nothing hidden carries a figure");

    // Ten years of grants: a chart by year, and its table opened.
    let history = import_history(&app).await;
    browser.goto(&format!("/funds/{history}")).await;
    browser.click(".fl-series__figures summary").await;
    let table = browser.text(".fl-series__figures table").await;
    assert!(table.contains("2011") && table.contains("2020"), "{table}");
    browser.axe_scan("a fund's ten years").await;
    browser.screenshot("public-chart-history").await;
    browser.close().await;
}

on_both_stores!(
    money_over_time_adds_up_to_the_totals,
    the_ledger_page_shows_the_head_and_public_events_only,
    the_glossary_quotes_the_schemas_definitions,
    public_pages_pass_axe_and_fit_a_phone,
);
