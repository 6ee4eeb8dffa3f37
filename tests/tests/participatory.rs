//! A participatory round end to end over HTTP: codes issued to residents, ballots cast
//! without a token, a used code refused, and the budget allocated in vote order, with the
//! public's figures moving to the penny.

mod common;

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use serde_json::{json, Value};

const CAST: &str = "mutation($input: CastBallotInput!) { castBallot(input: $input) { position round { ballotsCast } } }";

const PUBLIC_ROUND: &str = r#"query($round: String!, $area: GeoCode!) {
  round(id: $round) {
    budget awarded remaining ballotCodesIssued ballotsCast votingClosedOn votesAllocatedOn
    applications { id title status votes approvedAmount }
  }
  neighbourhood(code: $area) { totals { awarded awardCount } }
  totals { awarded awardCount }
}"#;

async fn open_participatory_round(app: &TestApp, fund: &str, budget: &str) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "openRound",
        json!({
            "fundId": fund, "name": "People's Choice", "budget": budget,
            "opensOn": "2020-01-01", "closesOn": "2099-12-31",
            "eligibleAreas": [], "themes": ["food"], "decisionMode": "PARTICIPATORY"
        }),
        "round { id decisionMode }",
    )
    .await;
    assert_eq!(payload["round"]["decisionMode"], "PARTICIPATORY");
    s(&payload["round"]["id"])
}

async fn issue_codes(app: &TestApp, round: &str, count: i32) -> Vec<String> {
    let payload = mutate(
        app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": count, "idempotencyKey": "codes-1" }),
        "batchId count codes replayed round { ballotCodesIssued }",
    )
    .await;
    assert_eq!(payload["count"], count);
    assert_eq!(payload["replayed"], false);
    payload["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(s)
        .collect()
}

async fn cast(
    app: &TestApp,
    round: &str,
    code: &str,
    choices: &[&str],
    key: Option<&str>,
) -> Value {
    let mut input = json!({ "roundId": round, "ballotCode": code, "applicationIds": choices });
    if let Some(key) = key {
        input["idempotencyKey"] = json!(key);
    }
    app.gql(None, CAST, json!({ "input": input })).await.body
}

fn votes_of(round: &Value, application: &str) -> Value {
    round["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|record| record["id"] == application)
        .map(|record| record["votes"].clone())
        .unwrap_or(Value::Null)
}

async fn residents_vote_and_the_budget_follows_the_vote_order(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "100000.00", "source": "Endowment", "receivedOn": business_day() }),
        "",
    )
    .await;
    let round = open_participatory_round(&app, &fund, "20000.00").await;
    let larder = submit(&app, ORG, &round, "Community larder", "9000.50").await;
    let garden = submit(&app, OTHER_ORG, &round, "Pocket garden", "12000.00").await;
    let club = submit(&app, "GB-CHC-3333333", &round, "Homework club", "6000.25").await;
    let choir = submit(&app, "GB-CHC-4444444", &round, "Street choir", "4000.00").await;

    // An officer can't approve directly: residents decide.
    app.gql(
        Some(&app.admin()),
        "mutation($i: ApproveApplicationInput!) { approveApplication(input: $i) { position } }",
        json!({ "i": { "applicationId": larder, "amount": "9000.50" } }),
    )
    .await
    .expect_code("CONFLICT");

    let codes = issue_codes(&app, &round, 6).await;
    assert_eq!(codes.len(), 6);
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 6, "codes are distinct");

    // A retry of the issue writes nothing and can't show the codes again.
    let retry = mutate(
        &app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 6, "idempotencyKey": "codes-1" }),
        "codes replayed round { ballotCodesIssued }",
    )
    .await;
    assert_eq!(retry["codes"], json!([]));
    assert_eq!(retry["replayed"], true);
    assert_eq!(retry["round"]["ballotCodesIssued"], 6);

    // Garden 4 votes, larder 3, club 2, choir 1 (the sixth ballot, below).
    let ballots: [&[&str]; 5] = [
        &[&garden, &larder, &club],
        &[&garden, &larder],
        &[&garden, &club],
        &[&garden],
        &[&larder],
    ];
    let mut position = 0;
    for (code, choices) in codes.iter().zip(ballots) {
        let body = cast(&app, &round, code, choices, None).await;
        assert!(body.get("errors").is_none(), "ballot refused: {body}");
        position = body["data"]["castBallot"]["position"]
            .as_i64()
            .expect("position");
    }
    // Codes are typed by hand: case and dashes don't matter.
    let typed = codes[5].to_lowercase().replace('-', "");
    let retried = cast(&app, &round, &typed, &[&choir], Some("my-vote")).await;
    assert!(retried.get("errors").is_none(), "{retried}");
    let first_position = retried["data"]["castBallot"]["position"].as_i64().unwrap();
    // The same request again (a network retry) returns the first result.
    let again = cast(&app, &round, &codes[5], &[&choir], Some("my-vote")).await;
    assert_eq!(again["data"]["castBallot"]["position"], first_position);

    // A used code is refused and changes nothing.
    let head = app.head().await;
    let reused = cast(&app, &round, &codes[0], &[&choir], None).await;
    assert_eq!(
        reused["errors"][0]["extensions"]["code"], "CONFLICT",
        "{reused}"
    );
    // A wrong code is FORBIDDEN and says nothing about which codes exist.
    let wrong = cast(&app, &round, "AAAA-BBBB-CCCC-DDDD", &[&choir], None).await;
    assert_eq!(
        wrong["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{wrong}"
    );
    let message = wrong["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        message,
        format!("this ballot code is not valid for round {round}")
    );
    // Bad choices are BAD_INPUT.
    let fresh = issue_fresh_code(&app, &round).await;
    let duplicate = cast(&app, &round, &fresh, &[&choir, &choir], None).await;
    assert_eq!(
        duplicate["errors"][0]["extensions"]["code"], "BAD_INPUT",
        "{duplicate}"
    );
    let none = cast(&app, &round, &fresh, &[], None).await;
    assert_eq!(
        none["errors"][0]["extensions"]["code"], "BAD_INPUT",
        "{none}"
    );
    let head_after = app.head().await;
    // Only the fresh code's issue (round event + ballot) was written.
    assert_eq!(head_after, head + 2, "refused ballots write nothing");

    let vars = json!({ "round": round, "area": AREA });
    assert!(first_position > position);
    let before = app
        .gql_at(None, head_after, PUBLIC_ROUND, vars.clone())
        .await
        .ok();
    let public_round = &before.data()["round"];
    assert_eq!(public_round["ballotsCast"], 6);
    assert_eq!(public_round["ballotCodesIssued"], 7);
    assert_eq!(votes_of(public_round, &garden), 4);
    assert_eq!(votes_of(public_round, &larder), 3);
    assert_eq!(votes_of(public_round, &club), 2);
    assert_eq!(votes_of(public_round, &choir), 1);
    assert_eq!(before.data()["totals"]["awarded"], "0.00");

    // Garden (4 votes, £12,000.00) then larder (3, £9,000.50: only £8,000.00 left, passed
    // over), then club (2, £6,000.25) fits, then choir (1, £4,000.00) no longer fits in
    // £1,999.75.
    let allocated = mutate(
        &app,
        &app.admin(),
        "allocateByVotes",
        json!({ "roundId": round, "idempotencyKey": "allocate-1" }),
        "round { awarded remaining votesAllocatedOn }",
    )
    .await;
    assert_eq!(allocated["round"]["awarded"], "18000.25");
    assert_eq!(allocated["round"]["remaining"], "1999.75");
    assert!(allocated["round"]["votesAllocatedOn"].is_string());
    let allocated_at = allocated["position"].as_i64().unwrap();

    // Retried with the same key: the first result, nothing written.
    let head = app.head().await;
    let retried = mutate(
        &app,
        &app.admin(),
        "allocateByVotes",
        json!({ "roundId": round, "idempotencyKey": "allocate-1" }),
        "",
    )
    .await;
    // Like approveApplication's, a replay reports the keyed command's own position (the
    // awards it led to follow it).
    let replayed_at = retried["position"].as_i64().unwrap();
    assert!(replayed_at > 0 && replayed_at <= allocated_at);
    assert_eq!(app.head().await, head);
    // Another allocation is refused; so are ballots now.
    app.gql(
        Some(&app.admin()),
        "mutation($i: RoundInput!) { allocateByVotes(input: $i) { position } }",
        json!({ "i": { "roundId": round } }),
    )
    .await
    .expect_code("CONFLICT");
    let late = cast(&app, &round, &fresh, &[&choir], None).await;
    assert_eq!(
        late["errors"][0]["extensions"]["code"], "CONFLICT",
        "{late}"
    );

    let after = app
        .gql_at(None, allocated_at, PUBLIC_ROUND, vars)
        .await
        .ok();
    let data = after.data();
    assert_eq!(data["round"]["budget"], "20000.00");
    assert_eq!(data["round"]["awarded"], "18000.25");
    assert_eq!(data["round"]["remaining"], "1999.75");
    assert_eq!(data["round"]["ballotsCast"], 6);
    assert!(data["round"]["votingClosedOn"].is_string());
    assert_eq!(
        data["neighbourhood"]["totals"],
        json!({ "awarded": "18000.25", "awardCount": 2 })
    );
    assert_eq!(
        data["totals"],
        json!({ "awarded": "18000.25", "awardCount": 2 })
    );
    let statuses: Vec<(String, String)> = data["round"]["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| (s(&record["title"]), s(&record["status"])))
        .collect();
    assert!(statuses.contains(&("Pocket garden".into(), "APPROVED".into())));
    assert!(statuses.contains(&("Homework club".into(), "APPROVED".into())));
    assert!(statuses.contains(&("Community larder".into(), "SUBMITTED".into())));
    assert!(statuses.contains(&("Street choir".into(), "SUBMITTED".into())));
    assert!(app.stop().await);
}

/// One more code, issued on its own.
async fn issue_fresh_code(app: &TestApp, round: &str) -> String {
    let payload = mutate(
        app,
        &app.admin(),
        "issueBallotCodes",
        json!({ "roundId": round, "count": 1 }),
        "codes",
    )
    .await;
    s(&payload["codes"][0])
}

async fn ballot_codes_for_a_panel_round_are_refused(store: Store) {
    let app = spawn(store).await;
    let (_, round) = fund_and_round(&app).await;
    let head = app.head().await;
    app.gql(
        Some(&app.admin()),
        "mutation($i: IssueBallotCodesInput!) { issueBallotCodes(input: $i) { position } }",
        json!({ "i": { "roundId": round, "count": 3 } }),
    )
    .await
    .expect_code("CONFLICT");
    app.gql(
        Some(&app.admin()),
        "mutation($i: IssueBallotCodesInput!) { issueBallotCodes(input: $i) { position } }",
        json!({ "i": { "roundId": round, "count": 100000 } }),
    )
    .await
    .expect_code("BAD_INPUT");
    app.gql(
        Some(&app.admin()),
        "mutation($i: RoundInput!) { allocateByVotes(input: $i) { position } }",
        json!({ "i": { "roundId": round } }),
    )
    .await
    .expect_code("CONFLICT");
    assert_eq!(app.head().await, head, "nothing written");
}

/// A tie goes to the application the log recorded first, not to the lower id: an
/// applicant who keeps submitting until an id sorts first (as one can by grinding
/// idempotency keys, from which ids are derived) gains nothing.
async fn a_tie_goes_to_the_earlier_submission_not_the_lower_id(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "10000.00", "source": "Endowment", "receivedOn": business_day() }),
        "",
    )
    .await;
    let round = open_participatory_round(&app, &fund, "5000.00").await;
    // The first application, then later ones until one has an id that sorts before an
    // earlier one's (ids are random here; 20 in ascending order would be a 1 in 20! chance).
    let mut submitted: Vec<String> = Vec::new();
    let (earlier, later) = loop {
        assert!(submitted.len() < 20, "no id sorted first: {submitted:?}");
        let org = format!("GB-CHC-90000{:02}", submitted.len());
        let id = submit(&app, &org, &round, "Repair cafe", "3000.00").await;
        if let Some(higher) = submitted.iter().find(|earlier| **earlier > id) {
            break (higher.clone(), id);
        }
        submitted.push(id);
    };
    assert!(later < earlier);
    let codes = issue_codes(&app, &round, 1).await;
    let body = cast(&app, &round, &codes[0], &[&later, &earlier], None).await;
    assert!(body.get("errors").is_none(), "ballot refused: {body}");

    // One vote each and room for one £3,000.00 request in £5,000.00.
    let allocated = mutate(
        &app,
        &app.admin(),
        "allocateByVotes",
        json!({ "roundId": round }),
        "round { awarded remaining }",
    )
    .await;
    assert_eq!(allocated["round"]["awarded"], "3000.00");
    let at = allocated["position"].as_i64().unwrap();
    let vars = json!({ "round": round, "area": AREA });
    let after = app.gql_at(None, at, PUBLIC_ROUND, vars).await.ok();
    let applications = after.data()["round"]["applications"].clone();
    let status_of = |id: &str| {
        applications
            .as_array()
            .expect("applications")
            .iter()
            .find(|record| record["id"] == id)
            .map(|record| (record["votes"].clone(), s(&record["status"])))
    };
    assert_eq!(
        status_of(&earlier),
        Some((json!(1), "APPROVED".to_string())),
        "the earlier submission wins the tie: {applications}"
    );
    assert_eq!(
        status_of(&later),
        Some((json!(1), "SUBMITTED".to_string())),
        "the lower id does not: {applications}"
    );

    // `verify` checks the recorded order against the log, and names an allocation whose
    // tie went the other way (as the lower id would have had it).
    let (status, report) = run_verify(&app).await;
    assert!(status, "verify failed: {report}");
    swap_vote_lines(&app, &round).await;
    let (status, report) = run_verify(&app).await;
    assert!(!status, "verify passed a reordered allocation: {report}");
    assert!(report.contains("against the vote order"), "{report}");
}

/// Rewrites the round's `VotesAllocated` with its first two lines swapped (tampering).
async fn swap_vote_lines(app: &TestApp, round: &str) {
    const WHERE: &str = "WHERE aggregate_id = $1 AND event_type = 'VotesAllocated'";
    let text: String = match &app.database.database {
        infrastructure::Database::Postgres(pool) => {
            sqlx::query_scalar(&format!("SELECT payload::text FROM events {WHERE}"))
                .bind(round)
                .fetch_one(pool)
                .await
        }
        infrastructure::Database::Sqlite(pool) => {
            sqlx::query_scalar(&format!("SELECT payload FROM events {WHERE}"))
                .bind(round)
                .fetch_one(pool)
                .await
        }
    }
    .expect("the round's VotesAllocated");
    let mut payload: Value = serde_json::from_str(&text).expect("json");
    let lines = payload["VotesAllocated"]["lines"]
        .as_array_mut()
        .expect("lines");
    lines.swap(0, 1);
    let swapped = payload.to_string();
    let rewritten = match &app.database.database {
        infrastructure::Database::Postgres(pool) => sqlx::query(&format!(
            "UPDATE events SET payload = CAST($2 AS json) {WHERE}"
        ))
        .bind(round)
        .bind(swapped)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()),
        infrastructure::Database::Sqlite(pool) => {
            sqlx::query(&format!("UPDATE events SET payload = $2 {WHERE}"))
                .bind(round)
                .bind(swapped)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        }
    };
    assert_eq!(
        rewritten.expect("rewriting the VotesAllocated"),
        1,
        "one VotesAllocated"
    );
}

on_both_stores!(
    residents_vote_and_the_budget_follows_the_vote_order,
    ballot_codes_for_a_panel_round_are_refused,
    a_tie_goes_to_the_earlier_submission_not_the_lower_id,
);
