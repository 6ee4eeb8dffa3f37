//! Bad input gets a clear code and writes nothing: malformed money, unknown ids, malformed
//! area codes, dates out of order, hostile queries and oversized bodies.

mod common;

use common::*;
use fundledger_tests::{Reply, Store, TestApp};
use serde_json::{json, Value};

const RECEIVE: &str =
    "mutation($input: ReceiveCapitalInput!) { receiveCapital(input: $input) { position } }";

/// Runs `query` as admin and checks the code and that the log did not move.
async fn refused(app: &TestApp, query: &str, variables: Value, code: &str) -> Reply {
    let head = app.head().await;
    let reply = app.gql(Some(&app.admin()), query, variables).await;
    assert_eq!(
        reply.code(),
        Some(code),
        "expected {code} for {query}: {}",
        reply.body
    );
    assert!(!reply.message().is_empty());
    assert_eq!(
        app.head().await,
        head,
        "refused request wrote events: {query}"
    );
    reply
}

async fn malformed_money_is_bad_input(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    for (amount, says) in [
        (json!("-5.00"), "negative"),
        (json!("10.001"), "2 decimal places"),
        (json!("ten pounds"), "not a number"),
        (json!(12.5), "decimal string"),
        (json!("1e3"), "not a number"),
    ] {
        let input =
            json!({ "fundId": fund, "amount": amount, "source": "s", "receivedOn": "2026-01-01" });
        let reply = refused(&app, RECEIVE, json!({ "input": input }), "BAD_INPUT").await;
        assert!(
            reply.message().contains(says),
            "{amount}: {}",
            reply.message()
        );
    }
}

async fn unknown_ids_are_not_found(store: Store) {
    let app = spawn(store).await;
    let input = json!({ "fundId": "FUND-NOPE", "amount": "5.00", "source": "s", "receivedOn": "2026-01-01" });
    refused(&app, RECEIVE, json!({ "input": input }), "NOT_FOUND").await;
    refused(
        &app,
        "mutation($i: ApproveApplicationInput!) { approveApplication(input: $i) { position } }",
        json!({ "i": { "applicationId": "APP-NOPE", "amount": "5.00" } }),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "mutation($i: AwardInput!) { closeAward(input: $i) { position } }",
        json!({ "i": { "awardId": "AW-NOPE" } }),
        "NOT_FOUND",
    )
    .await;
    let reply = app
        .gql(
            None,
            "{ award(id: \"AW-NOPE\") { id } fund(id: \"F\") { id } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(reply.data()["award"], Value::Null);
}

async fn malformed_codes_and_dates_are_bad_input(store: Store) {
    let app = spawn(store).await;
    let (fund, round) = fund_and_round(&app).await;
    let head = app.head().await;
    let reply = app
        .gql(
            Some(&app.grantee(ORG)),
            "mutation($i: SubmitApplicationInput!) { submitApplication(input: $i) { position } }",
            json!({ "i": { "roundId": round, "title": "t", "description": "d", "amountRequested": "5.00",
                           "neighbourhood": "X0100000", "themes": [], "applicantName": "n" } }),
        )
        .await
        .expect_code("BAD_INPUT");
    assert!(reply.message().contains("GSS"), "{}", reply.message());
    assert_eq!(app.head().await, head);
    let input =
        json!({ "fundId": fund, "amount": "5.00", "source": "s", "receivedOn": "2026-13-01" });
    refused(&app, RECEIVE, json!({ "input": input }), "BAD_INPUT").await;
    let reply = refused(
        &app,
        "mutation($i: OpenRoundInput!) { openRound(input: $i) { position } }",
        json!({ "i": { "fundId": fund, "name": "Backwards", "budget": "10.00", "opensOn": "2026-06-01",
                       "closesOn": "2026-05-01", "eligibleAreas": [], "themes": [], "decisionMode": "PANEL" } }),
        "BAD_INPUT",
    )
    .await;
    assert!(
        reply.message().contains("2026-05-01"),
        "{}",
        reply.message()
    );
    let head = app.head().await;
    let reply = app
        .gql(
            Some(&app.panel("panel-pat")),
            "mutation($i: ScoreApplicationInput!) { scoreApplication(input: $i) { position } }",
            json!({ "i": { "applicationId": "APP-X", "score": 9, "comment": "" } }),
        )
        .await
        .expect_code("BAD_INPUT");
    assert!(reply.message().contains("1 to 5"), "{}", reply.message());
    assert_eq!(app.head().await, head);
}

async fn hostile_queries_are_refused_before_running(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    // Too deep: parent of parent of … 30 levels.
    let mut deep = String::from("code");
    for _ in 0..30 {
        deep = format!("parent {{ {deep} }}");
    }
    let reply = app
        .gql(
            None,
            &format!("{{ neighbourhood(code: \"{AREA}\") {{ {deep} }} }}"),
            json!({}),
        )
        .await
        .expect_code("BAD_INPUT");
    assert!(reply.message().contains("deep"), "{}", reply.message());
    // Too wide: thousands of aliased fields.
    let wide: String = (0..6000)
        .map(|index| format!("f{index}: funds {{ id }} "))
        .collect();
    let reply = app
        .post_raw(
            None,
            &[],
            serde_json::to_vec(&json!({ "query": format!("{{ {wide} }}") })).expect("json"),
        )
        .await;
    assert!(
        matches!(reply.code(), Some("BAD_INPUT")),
        "a too-wide query is refused: {}",
        reply.body
    );
    // Expensive pages: 500 awards × many fields × nested pages.
    let reply = app
        .gql(
            None,
            "{ awards(first: 500) { edges { node { id title amount paid returned disbursed balance themes status \
             recipientName recipientOrgId neighbourhood awardedOn fundId roundId applicationId } } } \
             neighbourhoods(first: 500) { edges { node { code awards(first: 500) { edges { node { id } } } } } } }",
            json!({}),
        )
        .await
        .expect_code("BAD_INPUT");
    assert!(reply.message().contains("complex"), "{}", reply.message());
    // A page larger than the cap.
    app.gql(
        None,
        "{ awards(first: 501) { edges { node { id } } } }",
        json!({}),
    )
    .await
    .expect_code("BAD_INPUT");
    // A bad read-your-writes header.
    let reply = app
        .post_raw(
            None,
            &[("x-min-position", "soon".to_string())],
            serde_json::to_vec(&json!({ "query": "{ funds { id } }" })).expect("json"),
        )
        .await;
    assert_eq!(reply.code(), Some("BAD_INPUT"));
}

async fn oversized_bodies_are_refused(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    let head = app.head().await;
    let reply = app.post_raw(None, &[], b"{not json".to_vec()).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), Some("BAD_INPUT"));
    // Last: the server answers 413 without reading the body and closes the connection,
    // which a pooled client may already be reusing for its next request.
    let huge = "x".repeat(200 * 1024);
    let input =
        json!({ "fundId": fund, "amount": "5.00", "source": huge, "receivedOn": "2026-01-01" });
    let body = serde_json::to_vec(&json!({ "query": RECEIVE, "variables": { "input": input } }))
        .expect("json");
    let reply = app.post_raw(Some(&app.admin()), &[], body).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(reply.code(), Some("BAD_INPUT"));
    assert_eq!(app.head().await, head);
}

on_both_stores!(
    malformed_money_is_bad_input,
    unknown_ids_are_not_found,
    malformed_codes_and_dates_are_bad_input,
    hostile_queries_are_refused_before_running,
    oversized_bodies_are_refused,
);
