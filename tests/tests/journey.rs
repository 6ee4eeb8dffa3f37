//! Full journeys over HTTP against the real server: every step through the API, the
//! public's figures checked to the penny.

mod common;

use common::*;
use fundledger_tests::{mutate, Store};
use serde_json::json;

const PUBLIC_FIGURES: &str = r#"query($fund: String!, $round: String!, $area: GeoCode!) {
  fund(id: $fund) { position { capitalReceived allocated awarded disbursed returned available } }
  round(id: $round) { budget awarded remaining }
  neighbourhood(code: $area) { code totals { awarded disbursed paid returned awardCount recipientCount } }
  totals { awarded disbursed awardCount }
}"#;

async fn journey_moves_public_totals_by_exact_amounts(store: Store) {
    let app = spawn(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let application = submit(&app, ORG, &round, "Hull Community Larder", "12000.00").await;
    score(&app, "panel-pat", &application, 4, "strong plan").await;
    let vars = json!({ "fund": fund, "round": round, "area": AREA });

    let before = app.gql_now(None, PUBLIC_FIGURES, vars.clone()).await.ok();
    assert_eq!(before.data()["neighbourhood"]["totals"]["awarded"], "0.00");
    assert_eq!(before.data()["fund"]["position"]["allocated"], "50000.00");

    let award = approve(&app, &application, "10000.50").await;
    mutate(
        &app,
        &app.grantee(ORG),
        "acceptAgreement",
        json!({ "awardId": award }),
        "",
    )
    .await;
    let drawdown = mutate(
        &app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": award, "amount": "4000.25", "purpose": "first quarter" }),
        "drawdown { id amount status }",
    )
    .await;
    assert_eq!(drawdown["drawdown"]["amount"], "4000.25");
    assert_eq!(drawdown["drawdown"]["status"], "REQUESTED");
    let drawdown_id = s(&drawdown["drawdown"]["id"]);
    mutate(
        &app,
        &app.admin(),
        "approveDrawdown",
        json!({ "awardId": award, "drawdownId": drawdown_id }),
        "drawdown { status }",
    )
    .await;
    let paid = mutate(
        &app,
        &app.admin(),
        "recordPayment",
        json!({ "awardId": award, "drawdownId": drawdown_id, "paymentRef": "BACS-0001", "paidOn": business_day() }),
        "award { paid balance } drawdown { status paidOn }",
    )
    .await;
    assert_eq!(paid["award"]["paid"], "4000.25");
    assert_eq!(paid["award"]["balance"], "6000.25");
    assert_eq!(paid["drawdown"]["status"], "PAID");
    let position = paid["position"].as_i64().expect("position");

    let after = app
        .gql_at(None, position, PUBLIC_FIGURES, vars.clone())
        .await
        .ok();
    let data = after.data();
    assert_eq!(
        data["fund"]["position"],
        json!({
            "capitalReceived": "100000.00", "allocated": "50000.00", "awarded": "10000.50",
            "disbursed": "4000.25", "returned": "0.00", "available": "50000.00"
        })
    );
    assert_eq!(
        data["round"],
        json!({ "budget": "50000.00", "awarded": "10000.50", "remaining": "39999.50" })
    );
    assert_eq!(
        data["neighbourhood"]["totals"],
        json!({ "awarded": "10000.50", "disbursed": "4000.25", "paid": "4000.25", "returned": "0.00",
                "awardCount": 1, "recipientCount": 1 })
    );
    assert_eq!(
        data["totals"],
        json!({ "awarded": "10000.50", "disbursed": "4000.25", "awardCount": 1 })
    );

    // Money comes back; a variation cuts the award.
    let returned = mutate(
        &app,
        &app.admin(),
        "recordReturn",
        json!({ "awardId": award, "amount": "250.00", "reason": "underspend" }),
        "award { returned disbursed }",
    )
    .await;
    assert_eq!(returned["award"]["returned"], "250.00");
    assert_eq!(returned["award"]["disbursed"], "3750.25");
    let varied = mutate(
        &app,
        &app.admin(),
        "varyAward",
        json!({ "awardId": award, "newAmount": "9000.00", "reason": "scope reduced" }),
        "award { amount }",
    )
    .await;
    assert_eq!(varied["award"]["amount"], "9000.00");
    let position = varied["position"].as_i64().expect("position");
    let last = app.gql_at(None, position, PUBLIC_FIGURES, vars).await.ok();
    assert_eq!(last.data()["neighbourhood"]["totals"]["awarded"], "9000.00");
    assert_eq!(
        last.data()["neighbourhood"]["totals"]["disbursed"],
        "3750.25"
    );
    assert_eq!(last.data()["round"]["remaining"], "41000.00");

    // The grantee sees its own award with drawdowns; the public sees it without them.
    let mine = app
        .gql(
            Some(&app.grantee(ORG)),
            "{ myAwards { edges { node { id amount drawdowns { amount status paymentRef } } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        mine.data()["myAwards"]["edges"][0]["node"]["drawdowns"][0],
        json!({ "amount": "4000.25", "status": "PAID", "paymentRef": "BACS-0001" })
    );
    assert!(app.stop().await, "the server shuts down cleanly on SIGTERM");
}

async fn same_idempotency_key_returns_the_first_result_and_writes_nothing(store: Store) {
    let app = spawn(store).await;
    let query = "mutation($input: EstablishFundInput!) { establishFund(input: $input) { position fund { id name } } }";
    let input = json!({ "name": "Keyed Fund", "funderOrgId": "GB-CHC-9", "funderName": "F", "idempotencyKey": "fund-1" });
    let first = app
        .gql(Some(&app.admin()), query, json!({ "input": input }))
        .await
        .ok();
    let head = app.head().await;
    let second = app
        .gql(Some(&app.admin()), query, json!({ "input": input }))
        .await
        .ok();
    assert_eq!(first.data(), second.data());
    assert_eq!(app.head().await, head, "a replayed key writes nothing");
    let changed = json!({ "name": "Other", "funderOrgId": "GB-CHC-9", "funderName": "F", "idempotencyKey": "fund-1" });
    app.gql(Some(&app.admin()), query, json!({ "input": changed }))
        .await
        .expect_code("CONFLICT");
    assert_eq!(app.head().await, head);
}

/// A command whose second half runs on another aggregate (a round opened from the fund's
/// allocation, an award made from the round's approval) answers the second half's
/// position; a retry with its key must answer that same position, not the first half's.
async fn a_retried_two_step_command_answers_its_first_answer(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "1000.00", "source": "Endowment", "receivedOn": business_day() }),
        "",
    )
    .await;
    let open =
        "mutation($input: OpenRoundInput!) { openRound(input: $input) { position round { id } } }";
    let round = json!({ "input": {
        "fundId": fund, "name": "Keyed Round", "budget": "500.00", "opensOn": "2020-01-01",
        "closesOn": "2099-12-31", "eligibleAreas": [], "themes": ["food"],
        "decisionMode": "PANEL", "minPanelScores": 0, "idempotencyKey": "round-1" } });
    let first = app.gql(Some(&app.admin()), open, round.clone()).await.ok();
    let head = app.head().await;
    let again = app.gql(Some(&app.admin()), open, round).await.ok();
    assert_eq!(first.data(), again.data(), "openRound retried");
    let round = s(&first.data()["openRound"]["round"]["id"]);
    let application = submit(&app, ORG, &round, "Keyed larder", "300.00").await;
    let approve = "mutation($input: ApproveApplicationInput!) { approveApplication(input: $input) { position award { id } } }";
    let approval = json!({ "input": {
        "applicationId": application, "amount": "250.00", "idempotencyKey": "approve-1" } });
    let first = app
        .gql(Some(&app.admin()), approve, approval.clone())
        .await
        .ok();
    let written = app.head().await;
    let again = app.gql(Some(&app.admin()), approve, approval).await.ok();
    assert_eq!(first.data(), again.data(), "approveApplication retried");
    assert!(written > head);
    assert_eq!(app.head().await, written, "a retried key writes nothing");
}

async fn a_rejection_reaches_the_client_with_the_ledgers_message(store: Store) {
    let app = spawn(store).await;
    let w = world(&app).await;
    let reply = app
        .gql(
            Some(&app.grantee(ORG)),
            "mutation($i: RequestDrawdownInput!) { requestDrawdown(input: $i) { position } }",
            json!({ "i": { "awardId": w.award, "amount": "20000.00", "purpose": "too much" } }),
        )
        .await
        .expect_code("CONFLICT");
    assert!(
        reply.message().contains("20,000.00"),
        "message names the amount: {}",
        reply.message()
    );
}

async fn health_readiness_and_metrics_answer(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    assert_eq!(app.get("/healthz").await.0, 200);
    let mut ready = 0;
    for _ in 0..100 {
        ready = app.get("/readyz").await.0;
        if ready == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 200);
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains(
        "fundledger_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}"
    ));
    assert!(
        metrics.contains("fundledger_commands_total{command=\"establish_fund\",outcome=\"ok\"} 1")
    );
    assert!(metrics.contains("fundledger_projector_lag_events"));
    let (status, page) = app.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("graphiql"), "GET /graphql serves GraphiQL");
}

async fn tokens_from_the_command_line_and_the_dev_token_are_accepted(store: Store) {
    let app = spawn(store).await;
    let output = std::process::Command::new(PROGRAM)
        .args([
            "token",
            "--role",
            "admin",
            "--subject",
            "cli-officer",
            "--ttl",
            "10m",
        ])
        .env("FUNDLEDGER_JWT_SECRET", &app.secret)
        .env("DATABASE_URL", &app.database.url)
        .output()
        .expect("running fundledger token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_string();
    let query = "mutation($i: EstablishFundInput!) { establishFund(input: $i) { position } }";
    let input =
        json!({ "i": { "name": "CLI Fund", "funderOrgId": "GB-CHC-5", "funderName": "F" } });
    app.gql(Some(&token), query, input.clone()).await.ok();
    match store {
        Store::Sqlite => {
            let dev = app
                .dev_token
                .clone()
                .expect("the embedded store prints a dev token");
            app.gql(Some(&dev), query, input).await.ok();
        }
        Store::Postgres => assert_eq!(app.dev_token, None, "no dev token on PostgreSQL"),
    }
}

on_both_stores!(
    tokens_from_the_command_line_and_the_dev_token_are_accepted,
    journey_moves_public_totals_by_exact_amounts,
    same_idempotency_key_returns_the_first_result_and_writes_nothing,
    a_retried_two_step_command_answers_its_first_answer,
    a_rejection_reaches_the_client_with_the_ledgers_message,
    health_readiness_and_metrics_answer,
);
