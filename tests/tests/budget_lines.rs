//! Issue 11 §3, spend against budget lines over GraphQL on both stores: an officer sets an
//! award's lines before acceptance; afterwards only a variation changes them; spend names
//! the lines, only after acceptance, in periods that never overlap; spend above what was
//! paid is accepted and flagged; planned, spent and variance per line for the award
//! (grantee and officers only) and per category for its round, fund and area (public),
//! now and as of a date; `verify` agrees with the read models.
//!
//! Worked figures. Award A (£10,000, in AREA): lines Food £6,000, Rent £3,000, Travel
//! £1,000; £2,000 paid; spend Food £1,500.50 + Rent £1,000.00 = £2,500.50 (above the
//! £2,000 paid: flagged); then cut to £8,000 with Food £5,000, Rent £2,500, Travel £500.
//! A's lines: Food 5,000.00 − 1,500.50 = 3,499.50; Rent 2,500.00 − 1,000.00 = 1,500.00;
//! Travel 500.00 − 0 = 500.00. Award B (£5,000, OTHER_ORG): Food £4,000, Equipment £1,000;
//! spend food £250.00 with nothing paid (flagged); then raised (through the round's
//! budget) to £5,500 with Food £4,000, Equipment £1,500. Round = fund = Hull: Equipment
//! 1,500.00/0.00/1,500.00; Food 9,000.00/1,750.50/7,249.50; Rent 2,500.00/1,000.00/
//! 1,500.00; Travel 500.00/0.00/500.00; totals 13,500.00/2,750.50/10,749.50.

mod common;

use common::*;
use fundledger_tests::{input_type, mutate, Reply, Store, TestApp};
use serde_json::{json, Value};

/// Hull with the LSOA both awards are in; Middlesbrough with none.
const GEOGRAPHY: &str = "code,name,level,parent_code,population,imd_decile
E06000010,Hull,lad,,258038,
E01033646,Kingston upon Hull 034A,lsoa,E06000010,1500,1
E06000002,Middlesbrough,lad,,139310,
E01012011,Middlesbrough 008A,lsoa,E06000002,1978,1
";

const AWARD_LINES: &str = r#"query($award: String!, $asOf: Date) {
  award(id: $award) { budgetLines(asOf: $asOf) { category planned spent variance } spentAbovePaid(asOf: $asOf) }
}"#;

const BUDGET: &str = r#"query($scope: BudgetScopeInput!, $asOf: Date) {
  budget(scope: $scope, asOf: $asOf) { asOf planned spent variance categories { category planned spent variance } }
}"#;

async fn attempt(app: &TestApp, token: &str, name: &str, input: Value) -> Reply {
    let query = format!(
        "mutation($input: {}Input!) {{ {name}(input: $input) {{ position }} }}",
        input_type(name)
    );
    app.gql(Some(token), &query, json!({ "input": input }))
        .await
}

/// Refused with `code`, the message containing `says`, and nothing written.
async fn refused(app: &TestApp, token: &str, name: &str, input: Value, code: &str, says: &str) {
    let head = app.head().await;
    let reply = attempt(app, token, name, input).await.expect_code(code);
    assert!(
        reply.message().contains(says),
        "{name}: expected a message with {says:?}, got {:?}",
        reply.message()
    );
    assert_eq!(app.head().await, head, "a refused {name} wrote nothing");
}

fn lines(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(category, amount)| json!({ "category": category, "amount": amount }))
            .collect(),
    )
}

fn figures(rows: &[(&str, &str, &str, &str)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(category, planned, spent, variance)| {
                json!({ "category": category, "planned": planned, "spent": spent, "variance": variance })
            })
            .collect(),
    )
}

async fn award_for(app: &TestApp, org: &str, round: &str, amount: &str) -> String {
    let application = submit(app, org, round, "Larder", amount).await;
    score(app, "panel-pat", &application, 4, "good").await;
    approve(app, &application, amount).await
}

fn yesterday() -> String {
    (infrastructure::business_today() - chrono::Days::new(1)).to_string()
}

async fn spend(app: &TestApp, org: &str, award: &str, spent: Value) -> Reply {
    let day = business_day();
    attempt(
        app,
        &app.grantee(org),
        "reportSpend",
        json!({ "awardId": award, "periodStart": day, "periodEnd": day, "lines": spent }),
    )
    .await
}

/// Award A through its budget's life; returns it.
async fn award_a(app: &TestApp, round: &str) -> String {
    let award = award_for(app, ORG, round, "10000.00").await;
    let admin = app.admin();
    let set = |pairs: &[(&str, &str)]| json!({ "awardId": award, "lines": lines(pairs) });
    refused(
        app,
        &admin,
        "setBudgetLines",
        set(&[("Food", "6000.00"), ("Rent", "3999.99")]),
        "BAD_INPUT",
        "sum to £9,999.99",
    )
    .await;
    refused(
        app,
        &admin,
        "setBudgetLines",
        set(&[("Food", "6000.00"), (" food ", "4000.00")]),
        "BAD_INPUT",
        "twice",
    )
    .await;
    refused(
        app,
        &app.grantee(ORG),
        "setBudgetLines",
        set(&[("Food", "10000.00")]),
        "FORBIDDEN",
        "",
    )
    .await;
    mutate(
        app,
        &admin,
        "setBudgetLines",
        set(&[("Food", "10000.00")]),
        "",
    )
    .await;
    // Set again before acceptance: replaces.
    mutate(
        app,
        &admin,
        "setBudgetLines",
        set(&[
            ("Food", "6000.00"),
            (" Rent", "3000.00"),
            ("Travel", "1000.00"),
        ]),
        "",
    )
    .await;
    let reply = spend(app, ORG, &award, lines(&[("Food", "1.00")])).await;
    reply.expect_code("CONFLICT");
    accept_and_pay(
        app,
        ORG,
        &award,
        "2000.00",
        "rent",
        "BACS-1",
        &business_day(),
    )
    .await;
    refused(
        app,
        &admin,
        "setBudgetLines",
        set(&[("Food", "10000.00")]),
        "CONFLICT",
        "only through a variation",
    )
    .await;
    let reply = spend(app, ORG, &award, lines(&[("Fuel", "1.00")])).await;
    let reply = reply.expect_code("BAD_INPUT");
    assert!(
        reply.message().contains("Food, Rent, Travel"),
        "{}",
        reply.message()
    );
    spend(
        app,
        ORG,
        &award,
        lines(&[("food", "1500.50"), ("RENT", "1000.00")]),
    )
    .await
    .ok();
    let reply = spend(app, ORG, &award, lines(&[("Food", "1.00")])).await;
    let reply = reply.expect_code("BAD_INPUT");
    let today = business_day();
    assert!(
        reply
            .message()
            .contains(&format!("covers {today} to {today}")),
        "{}",
        reply.message()
    );
    let vary = |pairs: Option<&[(&str, &str)]>| {
        json!({ "awardId": award, "newAmount": "8000.00", "reason": "smaller hall",
                "budgetLines": pairs.map(lines) })
    };
    refused(
        app,
        &admin,
        "varyAward",
        vary(None),
        "BAD_INPUT",
        "must carry new budget lines",
    )
    .await;
    refused(
        app,
        &admin,
        "varyAward",
        vary(Some(&[("Food", "8000.01")])),
        "BAD_INPUT",
        "sum to",
    )
    .await;
    mutate(
        app,
        &admin,
        "varyAward",
        vary(Some(&[
            ("Food", "5000.00"),
            ("Rent", "2500.00"),
            ("Travel", "500.00"),
        ])),
        "",
    )
    .await;
    award
}

async fn budget_lines_end_to_end(store: Store) {
    let app = spawn(store).await;
    let areas = infrastructure::geography::read_areas(GEOGRAPHY.as_bytes(), "test").unwrap();
    app.database.database.upsert_areas(&areas).await.unwrap();
    let (fund, round) = fund_and_round(&app).await;
    let a = award_a(&app, &round).await;
    let b = award_for(&app, OTHER_ORG, &round, "5000.00").await;
    let set =
        json!({ "awardId": b, "lines": lines(&[("Food", "4000.00"), ("Equipment", "1000.00")]) });
    mutate(&app, &app.admin(), "setBudgetLines", set, "").await;
    mutate(
        &app,
        &app.grantee(OTHER_ORG),
        "acceptAgreement",
        json!({ "awardId": b }),
        "",
    )
    .await;
    spend(&app, OTHER_ORG, &b, lines(&[("food", "250.00")]))
        .await
        .ok();
    let raise = |pairs: &[(&str, &str)]| json!({ "awardId": b, "newAmount": "5500.00", "reason": "more kit", "budgetLines": lines(pairs) });
    // An increase's lines are checked before the round reserves anything.
    let admin = app.admin();
    refused(
        &app,
        &admin,
        "varyAward",
        raise(&[("Food", "5000.00")]),
        "BAD_INPUT",
        "sum to £5,000.00",
    )
    .await;
    mutate(
        &app,
        &admin,
        "varyAward",
        raise(&[("Food", "4000.00"), ("Equipment", "1500.00")]),
        "",
    )
    .await;

    // The award's own lines: admin and the grantee.
    let vars = json!({ "award": a });
    let want = json!({ "budgetLines": figures(&[
        ("Food", "5000.00", "1500.50", "3499.50"),
        ("Rent", "2500.00", "1000.00", "1500.00"),
        ("Travel", "500.00", "0.00", "500.00"),
    ]), "spentAbovePaid": true });
    for token in [app.admin(), app.grantee(ORG)] {
        let reply = app
            .gql_now(Some(&token), AWARD_LINES, vars.clone())
            .await
            .ok();
        assert_eq!(reply.data()["award"], want);
    }
    // Nothing yet the day before (everything is dated today).
    let earlier = json!({ "award": a, "asOf": yesterday() });
    let reply = app
        .gql_now(Some(&app.admin()), AWARD_LINES, earlier)
        .await
        .ok();
    assert_eq!(
        reply.data()["award"],
        json!({ "budgetLines": [], "spentAbovePaid": false })
    );
    // Nobody else sees one award's lines.
    for token in [
        None,
        Some(app.grantee(OTHER_ORG)),
        Some(app.panel("panel-pat")),
    ] {
        let reply = app
            .gql_now(token.as_deref(), AWARD_LINES, vars.clone())
            .await;
        reply.expect_code("FORBIDDEN");
    }

    // Per category, public, over the round, the fund and the area (Hull).
    let totals = json!({ "asOf": null, "planned": "13500.00", "spent": "2750.50", "variance": "10749.50",
        "categories": figures(&[
            ("Equipment", "1500.00", "0.00", "1500.00"),
            ("Food", "9000.00", "1750.50", "7249.50"),
            ("Rent", "2500.00", "1000.00", "1500.00"),
            ("Travel", "500.00", "0.00", "500.00"),
        ]) });
    for scope in [
        json!({ "round": round }),
        json!({ "fund": fund }),
        json!({ "neighbourhood": "E06000010" }),
        json!({ "neighbourhood": AREA }),
    ] {
        let reply = app
            .gql_now(None, BUDGET, json!({ "scope": scope }))
            .await
            .ok();
        assert_eq!(reply.data()["budget"], totals, "scope {scope}");
    }
    let elsewhere = json!({ "scope": { "neighbourhood": "E06000002" } });
    let reply = app.gql_now(None, BUDGET, elsewhere).await.ok();
    assert_eq!(reply.data()["budget"]["categories"], json!([]));
    let reply = app
        .gql_now(
            None,
            BUDGET,
            json!({ "scope": { "round": round }, "asOf": yesterday() }),
        )
        .await
        .ok();
    assert_eq!(reply.data()["budget"]["categories"], json!([]));
    assert_eq!(reply.data()["budget"]["planned"], "0.00");
    let reply = app
        .gql_now(
            None,
            BUDGET,
            json!({ "scope": { "round": round, "fund": fund } }),
        )
        .await;
    reply.expect_code("BAD_INPUT");

    // The flag count is the officer's.
    let flagged =
        r#"query($scope: BudgetScopeInput!) { budget(scope: $scope) { awardsSpentAbovePaid } }"#;
    let scope = json!({ "scope": { "fund": fund } });
    let reply = app
        .gql_now(Some(&app.admin()), flagged, scope.clone())
        .await
        .ok();
    assert_eq!(reply.data()["budget"]["awardsSpentAbovePaid"], 2);
    app.gql_now(None, flagged, scope)
        .await
        .expect_code("FORBIDDEN");

    let (passed, said) = run_verify(&app).await;
    assert!(passed, "verify failed: {said}");
}

on_both_stores!(budget_lines_end_to_end);
