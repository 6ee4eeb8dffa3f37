//! Dates a caller supplies are checked against the ledger's business date (the UK
//! calendar's today) and against the fund's or award's own dates; refused ones write
//! nothing, and no published figure is negative at any as-of date.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use fundledger_tests::{mutate, Reply, Store, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const POSITION: &str = "query($id: String!, $day: Date) { fund(id: $id) { position(asOf: $day) {
    capitalReceived allocated awarded disbursed paid returned available } } }";

fn today() -> NaiveDate {
    infrastructure::business_today()
}

/// Runs mutation `name` as `token` and checks it is refused with `code`, that the message
/// names every one of `says`, and that nothing was written.
async fn refused(
    app: &TestApp,
    token: &str,
    name: &str,
    input: Value,
    code: &str,
    says: &[&str],
) -> Reply {
    let head = app.head().await;
    let query = format!(
        "mutation($input: {}Input!) {{ {name}(input: $input) {{ position }} }}",
        fundledger_tests::input_type(name)
    );
    let reply = app
        .gql(Some(token), &query, json!({ "input": input }))
        .await;
    assert_eq!(reply.code(), Some(code), "{name}: {}", reply.body);
    for word in says {
        assert!(
            reply.message().contains(word),
            "{name}: message should name {word}: {}",
            reply.message()
        );
    }
    assert_eq!(app.head().await, head, "refused {name} wrote events");
    reply
}

/// Every figure of the fund's position as of `day` (now for `None`), as decimals.
async fn position(app: &TestApp, fund: &str, day: Option<NaiveDate>) -> Vec<(String, Decimal)> {
    let day = day.map(|day| day.to_string());
    let reply = app
        .gql_now(None, POSITION, json!({ "id": fund, "day": day }))
        .await
        .ok();
    let figures = reply.data()["fund"]["position"]
        .as_object()
        .expect("a position")
        .clone();
    figures
        .into_iter()
        .map(|(name, value)| (name, s(&value).parse::<Decimal>().unwrap()))
        .collect()
}

async fn no_figure_is_negative(app: &TestApp, fund: &str, days: &[NaiveDate]) {
    let mut as_of: Vec<Option<NaiveDate>> = days.iter().copied().map(Some).collect();
    as_of.push(None);
    for day in as_of {
        for (name, value) in position(app, fund, day).await {
            assert!(value >= Decimal::ZERO, "{name} as of {day:?} is {value}");
        }
    }
}

/// Issue 11: £100,000 received dated next year, then a £100,000 round opened today, left
/// `position(asOf: today).available` at -100000.00.
async fn capital_dated_next_year_is_refused_and_available_never_goes_negative(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    let next_year = today().checked_add_days(Days::new(365)).unwrap();
    let next_year_text = next_year.to_string();
    let today_text = today().to_string();
    refused(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "100000.00", "source": "Endowment", "receivedOn": next_year_text }),
        "BAD_INPUT",
        &["receivedOn", &next_year_text, &today_text],
    )
    .await;
    // Nothing was received, so there is nothing to open a round with.
    let round = json!({
        "fundId": fund, "name": "Round One", "budget": "100000.00",
        "opensOn": today_text, "closesOn": next_year_text,
        "eligibleAreas": [], "themes": ["food"], "decisionMode": "PANEL", "minPanelScores": 1
    });
    refused(
        &app,
        &app.admin(),
        "openRound",
        round,
        "CONFLICT",
        &["100,000.00"],
    )
    .await;
    no_figure_is_negative(&app, &fund, &[today(), next_year]).await;
}

/// Capital can't be dated before the fund existed; received today it can be allocated.
async fn capital_before_the_fund_was_established_is_refused(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap().to_string();
    refused(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "5.00", "source": "Gift", "receivedOn": yesterday }),
        "BAD_INPUT",
        &[
            "receivedOn",
            &yesterday,
            "established",
            &today().to_string(),
        ],
    )
    .await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "100000.00", "source": "Endowment", "receivedOn": today().to_string() }),
        "",
    )
    .await;
    open_round(&app, &fund, "100000.00").await;
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    no_figure_is_negative(&app, &fund, &[yesterday, today()]).await;
}

/// A payment is dated neither in the future nor before its drawdown was approved; spend
/// and outcome periods end by today and start no earlier than the award.
async fn payment_and_report_dates_are_checked(store: Store) {
    let app = spawn(store).await;
    let w = world(&app).await;
    let today_text = today().to_string();
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap().to_string();
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap().to_string();
    let drawdown = mutate(
        &app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": w.award, "amount": "1000.00", "purpose": "food" }),
        "drawdown { id }",
    )
    .await;
    let drawdown = s(&drawdown["drawdown"]["id"]);
    let approve = json!({ "awardId": w.award, "drawdownId": drawdown });
    mutate(&app, &app.admin(), "approveDrawdown", approve, "").await;
    let pay = |paid_on: &str| json!({ "awardId": w.award, "drawdownId": drawdown, "paymentRef": "BACS-1", "paidOn": paid_on });
    let admin = app.admin();
    refused(
        &app,
        &admin,
        "recordPayment",
        pay(&tomorrow),
        "BAD_INPUT",
        &["paidOn", &tomorrow, &today_text],
    )
    .await;
    refused(
        &app,
        &admin,
        "recordPayment",
        pay(&yesterday),
        "BAD_INPUT",
        &["paidOn", &yesterday, "approved", &today_text],
    )
    .await;
    mutate(&app, &admin, "recordPayment", pay(&today_text), "").await;

    let owner = app.grantee(ORG);
    let spend = |start: &str, end: &str| {
        json!({ "awardId": w.award, "periodStart": start, "periodEnd": end,
                "lines": [{ "category": "food", "amount": "800.00" }] })
    };
    refused(
        &app,
        &owner,
        "reportSpend",
        spend(&today_text, &tomorrow),
        "BAD_INPUT",
        &["periodEnd", &tomorrow],
    )
    .await;
    refused(
        &app,
        &owner,
        "reportSpend",
        spend(&yesterday, &today_text),
        "BAD_INPUT",
        &["periodStart", &yesterday, "award"],
    )
    .await;
    refused(
        &app,
        &owner,
        "reportSpend",
        spend(&today_text, &yesterday),
        "BAD_INPUT",
        &[&yesterday],
    )
    .await;
    mutate(
        &app,
        &owner,
        "reportSpend",
        spend(&today_text, &today_text),
        "",
    )
    .await;

    mutate(
        &app,
        &app.admin(),
        "setOutcomeProxy",
        json!({ "fundId": w.fund, "indicator": "meals served", "unit": "meal", "valuePerUnit": "3.00",
                "deadweight": "0.2", "attribution": "0.1", "displacement": "0", "dropOff": "0.5",
                "durationYears": 1 }),
        "",
    )
    .await;
    let outcome = |end: &str| json!({ "awardId": w.award, "indicator": "meals served", "quantity": "1200", "periodEnd": end });
    refused(
        &app,
        &owner,
        "reportOutcome",
        outcome(&tomorrow),
        "BAD_INPUT",
        &["periodEnd", &tomorrow],
    )
    .await;
    refused(
        &app,
        &owner,
        "reportOutcome",
        outcome(&yesterday),
        "BAD_INPUT",
        &["periodEnd", &yesterday, "award"],
    )
    .await;
    mutate(&app, &owner, "reportOutcome", outcome(&today_text), "").await;
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    no_figure_is_negative(&app, &w.fund, &[yesterday, today()]).await;
}

/// A fund that existed before it moved into the ledger says when it began
/// (`establishedOn`), so the capital it received since can be recorded on its own dates;
/// a fund can't begin in the future.
async fn a_fund_established_in_the_past_records_its_earlier_capital(store: Store) {
    let app = spawn(store).await;
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap().to_string();
    let fund_input = |day: &str| {
        json!({ "name": "Old Fund", "funderOrgId": "GB-CHC-0000002", "funderName": "Old Trust",
                "establishedOn": day })
    };
    refused(
        &app,
        &app.admin(),
        "establishFund",
        fund_input(&tomorrow),
        "BAD_INPUT",
        &["establishedOn", &tomorrow],
    )
    .await;
    let payload = mutate(
        &app,
        &app.admin(),
        "establishFund",
        fund_input("2020-04-01"),
        "fund { id }",
    )
    .await;
    let fund = s(&payload["fund"]["id"]).to_string();
    let receive = |day: &str| json!({ "fundId": fund, "amount": "2500.00", "source": "Endowment", "receivedOn": day });
    refused(
        &app,
        &app.admin(),
        "receiveCapital",
        receive("2020-03-31"),
        "BAD_INPUT",
        &["receivedOn", "2020-03-31", "2020-04-01"],
    )
    .await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        receive("2021-06-30"),
        "fund { id }",
    )
    .await;
    let before = NaiveDate::from_ymd_opt(2021, 6, 29).unwrap();
    let on_the_day = NaiveDate::from_ymd_opt(2021, 6, 30).unwrap();
    let received = |figures: Vec<(String, Decimal)>| {
        figures
            .into_iter()
            .find(|(name, _)| name == "capitalReceived")
            .map(|(_, value)| value)
            .unwrap()
    };
    assert_eq!(
        received(position(&app, &fund, Some(before)).await),
        Decimal::ZERO
    );
    assert_eq!(
        received(position(&app, &fund, Some(on_the_day)).await),
        Decimal::new(250000, 2)
    );
    no_figure_is_negative(&app, &fund, &[before, on_the_day, today()]).await;
}

on_both_stores!(
    capital_dated_next_year_is_refused_and_available_never_goes_negative,
    capital_before_the_fund_was_established_is_refused,
    payment_and_report_dates_are_checked,
    a_fund_established_in_the_past_records_its_earlier_capital,
);
