//! Issue 11 §1, the figures of an award over HTTP on both stores: closing an award gives
//! its undrawn money back to the fund and leaves it awarded at what it cost; a return goes
//! back to the fund once and never refills what the grantee may draw.

mod common;

use std::str::FromStr;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const FIGURES: &str = r#"query($fund: String!, $round: String!, $award: String!) {
  fund(id: $fund) { position { awarded available } }
  round(id: $round) { awarded remaining }
  award(id: $award) { amount awarded paid returned disbursed approvedUnpaid requestedPending availableToDraw balance status }
}"#;

fn pounds(value: &Value) -> Decimal {
    Decimal::from_str(&s(value)).unwrap_or_else(|_| panic!("not an amount: {value}"))
}

/// An application by `ORG` in a fresh £50,000 round of a £100,000 fund, approved for
/// £10,000.00 and accepted. Returns (fund, round, award).
async fn ten_thousand_pound_award(app: &TestApp) -> (String, String, String) {
    let (fund, round) = fund_and_round(app).await;
    let application = submit(app, ORG, &round, "Hull Community Larder", "12000.00").await;
    score(app, "panel-pat", &application, 4, "strong plan").await;
    let award = approve(app, &application, "10000.00").await;
    (fund, round, award)
}

/// The figures once the read models hold everything written so far (the fund's side of a
/// close or a return is a follow-up written after the command's own events).
async fn figures(app: &TestApp, fund: &str, round: &str, award: &str) -> Value {
    let vars = json!({ "fund": fund, "round": round, "award": award });
    let reply = app.gql_now(Some(&app.admin()), FIGURES, vars).await;
    reply.ok().data().clone()
}

async fn closing_an_award_releases_what_was_not_paid(store: Store) {
    let app = spawn(store).await;
    let (fund, round, award) = ten_thousand_pound_award(&app).await;
    accept_and_pay(
        &app,
        ORG,
        &award,
        "6000.00",
        "rent",
        "BACS-1",
        &business_day(),
    )
    .await;
    let before = figures(&app, &fund, &round, &award).await;

    mutate(
        &app,
        &app.admin(),
        "closeAward",
        json!({ "awardId": award }),
        "",
    )
    .await;
    let after = figures(&app, &fund, &round, &award).await;

    let available_before = pounds(&before["fund"]["position"]["available"]);
    let available_after = pounds(&after["fund"]["position"]["available"]);
    assert_eq!(available_after - available_before, Decimal::from(4_000));
    assert_eq!(after["award"]["status"], "CLOSED");
    assert_eq!(after["award"]["awarded"], "6000.00");
    assert_eq!(after["award"]["amount"], "6000.00");
    assert_eq!(after["award"]["paid"], "6000.00");
    assert_eq!(after["award"]["availableToDraw"], "0.00");
    assert_eq!(
        pounds(&before["fund"]["position"]["awarded"])
            - pounds(&after["fund"]["position"]["awarded"]),
        Decimal::from(4_000),
        "the fund's awarded drops by the release"
    );
    assert_eq!(after["round"]["awarded"], "6000.00");
    // The release goes to the fund, not back into the round's budget.
    assert_eq!(after["round"]["remaining"], before["round"]["remaining"]);

    let (status, export) = app.get("/export/360giving.json").await;
    assert_eq!(status, 200, "{export}");
    let package: Value = serde_json::from_str(&export).expect("JSON");
    let grants = package["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 1, "{export}");
    assert!(
        export.contains("\"amountAwarded\":6000.00"),
        "the export still publishes the original amount: {export}"
    );
}

async fn a_return_goes_to_the_fund_once_and_does_not_refill_the_award(store: Store) {
    let app = spawn(store).await;
    let (fund, round, award) = ten_thousand_pound_award(&app).await;
    accept_and_pay(
        &app,
        ORG,
        &award,
        "10000.00",
        "everything",
        "BACS-1",
        &business_day(),
    )
    .await;
    mutate(
        &app,
        &app.admin(),
        "recordReturn",
        json!({ "awardId": award, "amount": "2000.00", "reason": "underspend" }),
        "",
    )
    .await;
    let after = figures(&app, &fund, &round, &award).await;

    assert_eq!(after["award"]["awarded"], "10000.00");
    assert_eq!(after["award"]["paid"], "10000.00");
    assert_eq!(after["award"]["returned"], "2000.00");
    assert_eq!(after["award"]["disbursed"], "8000.00");
    assert_eq!(after["award"]["approvedUnpaid"], "0.00");
    assert_eq!(after["award"]["requestedPending"], "0.00");
    assert_eq!(after["award"]["availableToDraw"], "0.00");
    // £100,000 received − £50,000 allocated to the round + the £2,000 returned, once.
    assert_eq!(after["fund"]["position"]["available"], "52000.00");
    assert_eq!(after["round"]["remaining"], "40000.00");

    let refused = app
        .gql(
            Some(&app.grantee(ORG)),
            "mutation($input: RequestDrawdownInput!) { requestDrawdown(input: $input) { position } }",
            json!({ "input": { "awardId": award, "amount": "1.00", "purpose": "one more" } }),
        )
        .await;
    let message = refused.message().to_string();
    assert!(
        message.contains("£1.00") && message.contains("£0.00 available to draw"),
        "the refusal does not quote availableToDraw: {message}"
    );
}

on_both_stores!(
    closing_an_award_releases_what_was_not_paid,
    a_return_goes_to_the_fund_once_and_does_not_refill_the_award,
);
