//! Every mutation × every kind of caller: allowed, or refused with the right code and
//! nothing written. Callers: no token, an expired token, a forged token, admin, panel,
//! the grantee that owns the application or award, and another grantee.

mod common;

use common::*;
use fundledger_tests::{input_type, Reply, Store, TestApp};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Expired,
    Forged,
    Admin,
    Panel,
    Owner,
    OtherGrantee,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Expired,
    Caller::Forged,
    Caller::Admin,
    Caller::Panel,
    Caller::Owner,
    Caller::OtherGrantee,
];

fn token(app: &TestApp, caller: Caller) -> Option<String> {
    match caller {
        Caller::Anonymous => None,
        Caller::Expired => Some(app.expired()),
        Caller::Forged => Some(app.forged()),
        Caller::Admin => Some(app.admin()),
        Caller::Panel => Some(app.panel("panel-pat")),
        Caller::Owner => Some(app.grantee(ORG)),
        Caller::OtherGrantee => Some(app.grantee(OTHER_ORG)),
    }
}

async fn call(app: &TestApp, caller: Caller, mutation: &str, input: &Value) -> Reply {
    let query = format!(
        "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ position }} }}",
        input_type(mutation)
    );
    app.gql(
        token(app, caller).as_deref(),
        &query,
        json!({ "input": input }),
    )
    .await
}

/// Tries `mutation` as every caller: every refused caller gets its code and writes
/// nothing; then `allowed` runs it and it succeeds. Returns the allowed reply.
async fn check(app: &TestApp, mutation: &str, allowed: Caller, input: Value) -> Reply {
    let grantee_mutation = allowed == Caller::Owner;
    for caller in CALLERS {
        if caller == allowed || (mutation == "submitApplication" && caller == Caller::OtherGrantee)
        {
            continue;
        }
        let expected = match caller {
            Caller::Anonymous | Caller::Expired | Caller::Forged => "UNAUTHENTICATED",
            // Another grantee passes the role check and is refused by the ledger itself.
            Caller::OtherGrantee if grantee_mutation => "FORBIDDEN",
            _ => "FORBIDDEN",
        };
        let head = app.head().await;
        let reply = call(app, caller, mutation, &input).await;
        assert_eq!(
            reply.code(),
            Some(expected),
            "{mutation} as {caller:?}: expected {expected}, got {}",
            reply.body
        );
        assert_eq!(
            app.head().await,
            head,
            "{mutation} as {caller:?} wrote events"
        );
    }
    let reply = call(app, allowed, mutation, &input).await;
    reply.ok()
}

fn position_of(reply: &Reply, mutation: &str) -> i64 {
    reply.data()[mutation]["position"]
        .as_i64()
        .expect("position")
}

async fn every_mutation_refuses_every_caller_but_its_role(store: Store) {
    let app = spawn(store).await;
    let admin = Caller::Admin;
    let panel = Caller::Panel;
    let owner = Caller::Owner;

    check(
        &app,
        "establishFund",
        admin,
        json!({ "name": "Matrix Fund", "funderOrgId": "GB-CHC-0000001", "funderName": "Funder" }),
    )
    .await;
    let fund = establish_fund(&app).await;
    check(
        &app,
        "receiveCapital",
        admin,
        json!({ "fundId": fund, "amount": "90000.00", "source": "Endowment", "receivedOn": business_day() }),
    )
    .await;
    check(
        &app,
        "setOutcomeProxy",
        admin,
        json!({ "fundId": fund, "indicator": "meals served", "unit": "meal", "valuePerUnit": "2.50",
                "deadweight": "0.2", "attribution": "0.1", "displacement": "0", "dropOff": "1",
                "durationYears": 1 }),
    )
    .await;
    check(
        &app,
        "openRound",
        admin,
        json!({ "fundId": fund, "name": "Matrix Round", "budget": "20000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PANEL" }),
    )
    .await;
    let round = open_round(&app, &fund, "30000.00").await;
    check(
        &app,
        "submitApplication",
        owner,
        json!({ "roundId": round, "title": "Matrix application", "description": "d", "amountRequested": "5000.00",
                "neighbourhood": AREA, "themes": ["food"], "applicantName": "Owner Org" }),
    )
    .await;
    let application = submit(&app, ORG, &round, "Main application", "8000.00").await;
    let withdrawn = submit(&app, ORG, &round, "To withdraw", "1000.00").await;
    let declined = submit(&app, ORG, &round, "To decline", "1000.00").await;
    check(
        &app,
        "withdrawApplication",
        owner,
        json!({ "applicationId": withdrawn }),
    )
    .await;
    check(
        &app,
        "scoreApplication",
        panel,
        json!({ "applicationId": application, "score": 5, "comment": "good" }),
    )
    .await;
    check(
        &app,
        "declareConflict",
        panel,
        json!({ "applicationId": declined }),
    )
    .await;
    check(
        &app,
        "declineApplication",
        admin,
        json!({ "applicationId": declined, "reason": "out of scope" }),
    )
    .await;
    let approved = check(
        &app,
        "approveApplication",
        admin,
        json!({ "applicationId": application, "amount": "7500.00" }),
    )
    .await;
    let position = position_of(&approved, "approveApplication");
    let award = s(&app
        .gql_at(
            None,
            position,
            "query($r: String!) { round(id: $r) { applications { id awardId } } }",
            json!({ "r": round }),
        )
        .await
        .ok()
        .data()["round"]["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|found| found["id"] == application.as_str())
        .expect("the approved application")["awardId"]);
    check(
        &app,
        "setBudgetLines",
        admin,
        json!({ "awardId": award, "lines": [{ "category": "food", "amount": "7500.00" }] }),
    )
    .await;
    check(&app, "acceptAgreement", owner, json!({ "awardId": award })).await;
    let requested = check(
        &app,
        "requestDrawdown",
        owner,
        json!({ "awardId": award, "amount": "1000.00", "purpose": "first" }),
    )
    .await;
    let requested_at = position_of(&requested, "requestDrawdown");
    let drawdowns = |reply: Reply| -> Vec<String> {
        reply.data()["award"]["drawdowns"]
            .as_array()
            .expect("drawdowns")
            .iter()
            .map(|drawdown| s(&drawdown["id"]))
            .collect()
    };
    let query = "query($a: String!) { award(id: $a) { drawdowns { id } } }";
    let first = drawdowns(
        app.gql_at(
            Some(&app.admin()),
            requested_at,
            query,
            json!({ "a": award }),
        )
        .await
        .ok(),
    )[0]
    .clone();
    check(
        &app,
        "approveDrawdown",
        admin,
        json!({ "awardId": award, "drawdownId": first }),
    )
    .await;
    check(
        &app,
        "recordPayment",
        admin,
        json!({ "awardId": award, "drawdownId": first, "paymentRef": "PAY-1", "paidOn": business_day() }),
    )
    .await;
    let second = fundledger_tests::mutate(
        &app,
        &app.grantee(ORG),
        "requestDrawdown",
        json!({ "awardId": award, "amount": "500.00", "purpose": "second" }),
        "drawdown { id }",
    )
    .await;
    let second = s(&second["drawdown"]["id"]);
    check(
        &app,
        "rejectDrawdown",
        admin,
        json!({ "awardId": award, "drawdownId": second, "reason": "not yet" }),
    )
    .await;
    check(
        &app,
        "reportSpend",
        owner,
        json!({ "awardId": award, "periodStart": business_day(), "periodEnd": business_day(),
                "lines": [{ "category": "food", "amount": "800.00" }] }),
    )
    .await;
    check(
        &app,
        "reportOutcome",
        owner,
        json!({ "awardId": award, "indicator": "meals served", "quantity": "1200", "periodEnd": business_day() }),
    )
    .await;
    check(
        &app,
        "varyAward",
        admin,
        json!({ "awardId": award, "newAmount": "7000.00", "reason": "rescoped",
                "budgetLines": [{ "category": "food", "amount": "7000.00" }] }),
    )
    .await;
    check(
        &app,
        "recordReturn",
        admin,
        json!({ "awardId": award, "amount": "100.00", "reason": "unspent" }),
    )
    .await;
    check(&app, "closeRound", admin, json!({ "roundId": round })).await;
    check(&app, "closeAward", admin, json!({ "awardId": award })).await;

    let participatory = open_participatory(&app, &fund).await;
    submit(&app, ORG, &participatory, "Ballot candidate", "2000.00").await;
    check(
        &app,
        "issueBallotCodes",
        admin,
        json!({ "roundId": participatory, "count": 2 }),
    )
    .await;
    check(
        &app,
        "allocateByVotes",
        admin,
        json!({ "roundId": participatory }),
    )
    .await;
}

async fn open_participatory(app: &TestApp, fund: &str) -> String {
    let payload = fundledger_tests::mutate(
        app,
        &app.admin(),
        "openRound",
        json!({ "fundId": fund, "name": "Ballot Round", "budget": "10000.00", "opensOn": "2020-01-01",
                "closesOn": "2099-12-31", "eligibleAreas": [], "themes": [], "decisionMode": "PARTICIPATORY" }),
        "round { id }",
    )
    .await;
    s(&payload["round"]["id"])
}

/// castBallot takes no role: the code is the credential. Any caller with a valid token, or
/// none, votes with a code; a bad token is still refused; a wrong code is FORBIDDEN.
async fn a_ballot_code_not_a_role_lets_anyone_vote_once(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    fundledger_tests::mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "20000.00", "source": "Endowment", "receivedOn": business_day() }),
        "",
    )
    .await;
    let round = open_participatory(&app, &fund).await;
    let candidate = submit(&app, ORG, &round, "Ballot candidate", "2000.00").await;
    let issued = fundledger_tests::mutate(
        &app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 7 }),
        "codes",
    )
    .await;
    let codes: Vec<String> = issued["codes"].as_array().unwrap().iter().map(s).collect();
    for (caller, code) in CALLERS.into_iter().zip(&codes) {
        let input = json!({ "roundId": round, "ballotCode": code, "applicationIds": [candidate] });
        let head = app.head().await;
        let wrong =
            json!({ "roundId": round, "ballotCode": "WRONG-CODE", "applicationIds": [candidate] });
        let reply = call(&app, caller, "castBallot", &wrong).await;
        let expected = match caller {
            Caller::Expired | Caller::Forged => "UNAUTHENTICATED",
            _ => "FORBIDDEN",
        };
        assert_eq!(reply.code(), Some(expected), "{caller:?}: {}", reply.body);
        let reply = call(&app, caller, "castBallot", &input).await;
        match caller {
            Caller::Expired | Caller::Forged => {
                assert_eq!(reply.code(), Some("UNAUTHENTICATED"), "{}", reply.body);
                assert_eq!(app.head().await, head, "{caller:?} wrote events");
            }
            _ => {
                reply.ok();
                call(&app, caller, "castBallot", &input)
                    .await
                    .expect_code("CONFLICT");
            }
        }
    }
}

async fn a_bad_token_is_refused_even_for_public_queries(store: Store) {
    let app = spawn(store).await;
    for bad in [app.expired(), app.forged(), "not-a-jwt".to_string()] {
        let reply = app.gql(Some(&bad), "{ funds { id } }", json!({})).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.code(), Some("UNAUTHENTICATED"), "{}", reply.body);
    }
}

async fn grantees_see_only_their_own_applications_and_drawdowns(store: Store) {
    let app = spawn(store).await;
    let w = world(&app).await;
    let pending = submit(&app, ORG, &w.round, "Pending idea", "500.00").await;
    let query = "query($r: String!) { round(id: $r) { applications { id title } } }";
    let ids = |reply: Reply| -> Vec<String> {
        reply.data()["round"]["applications"]
            .as_array()
            .expect("applications")
            .iter()
            .map(|found| s(&found["id"]))
            .collect()
    };
    let own = ids(app
        .gql_now(Some(&app.grantee(ORG)), query, json!({ "r": w.round }))
        .await
        .ok());
    assert!(own.contains(&pending) && own.contains(&w.application));
    let other = ids(app
        .gql_now(
            Some(&app.grantee(OTHER_ORG)),
            query,
            json!({ "r": w.round }),
        )
        .await
        .ok());
    assert_eq!(
        other,
        vec![w.application.clone()],
        "another grantee sees only approved ones"
    );
    let public = ids(app.gql_now(None, query, json!({ "r": w.round })).await.ok());
    assert_eq!(public, vec![w.application.clone()]);
    let drawdowns = "query($a: String!) { award(id: $a) { drawdowns { id } } }";
    app.gql_now(
        Some(&app.grantee(OTHER_ORG)),
        drawdowns,
        json!({ "a": w.award }),
    )
    .await
    .expect_code("FORBIDDEN");
    app.gql_now(
        Some(&app.panel("panel-pat")),
        drawdowns,
        json!({ "a": w.award }),
    )
    .await
    .expect_code("FORBIDDEN");
    app.gql_now(Some(&app.grantee(ORG)), drawdowns, json!({ "a": w.award }))
        .await
        .ok();
    let scores =
        "query($r: String!) { round(id: $r) { applications { scores { member score } } } }";
    app.gql_now(None, scores, json!({ "r": w.round }))
        .await
        .expect_code("FORBIDDEN");
    app.gql_now(Some(&app.grantee(ORG)), scores, json!({ "r": w.round }))
        .await
        .expect_code("FORBIDDEN");
    let seen = app
        .gql_now(
            Some(&app.panel("panel-sam")),
            scores,
            json!({ "r": w.round }),
        )
        .await
        .ok();
    assert!(seen.body.to_string().contains("panel-pat"));
}

on_both_stores!(
    every_mutation_refuses_every_caller_but_its_role,
    a_ballot_code_not_a_role_lets_anyone_vote_once,
    a_bad_token_is_refused_even_for_public_queries,
    grantees_see_only_their_own_applications_and_drawdowns,
);
