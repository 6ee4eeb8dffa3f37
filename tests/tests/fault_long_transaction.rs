//! A long transaction holding projection back (issue 12 §1, §4): on PostgreSQL the log's
//! readers read only below the oldest running transaction of the whole cluster, so a
//! transaction that holds an id in ANOTHER database stops the projector. Meanwhile every
//! write still commits: it must answer success with its position (marked not projected),
//! never a "retry" that a client would answer by writing twice; `/readyz` says projection
//! is stalled and names the holder, `/metrics` too; when the holder ends, every write is
//! there exactly once. On a private cluster: the shared one must never be held back.

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use common::*;
use fundledger_tests::cluster::PrivateCluster;
use fundledger_tests::{spawn_app_over, TestApp};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The readiness limit the server runs with here (the default is 10 s).
const TEST_READY_MAX_LAG_MS: u64 = 2_000;
/// The holder's application name, which `/readyz` and `/metrics` must show.
const HOLDER_APPLICATION: &str = "fault-drill-holder";
/// How long a mutation may take to answer while projection is held (its payload waits
/// up to 5 s for the read models, then answers anyway).
const MAX_ANSWER_MS: u64 = 7_000;

const ESTABLISH: &str = "mutation($input: EstablishFundInput!) {
    establishFund(input: $input) { position projected fundId fund { id name } } }";
const RECEIVE: &str = "mutation($input: ReceiveCapitalInput!) {
    receiveCapital(input: $input) { position projected fundId fund { position { capitalReceived } } } }";

fn establish_input(key: &str) -> Value {
    json!({ "input": { "name": "Held Fund", "funderOrgId": "GB-CHC-0000002",
                       "funderName": "Held Funder", "idempotencyKey": key } })
}

fn receive_input(fund: &str, key: &str) -> Value {
    json!({ "input": { "fundId": fund, "amount": "250.00", "source": "Donation",
                       "receivedOn": business_day(), "idempotencyKey": key } })
}

/// Runs a mutation and checks it answered success within `MAX_ANSWER_MS`.
async fn answered(app: &TestApp, query: &str, variables: Value, name: &str) -> Value {
    let started = Instant::now();
    let reply = app.gql(Some(&app.admin()), query, variables).await;
    let took = started.elapsed();
    assert_eq!(
        reply.status, 200,
        "a committed write answers 200: {}",
        reply.body
    );
    let payload = reply.ok().data()[name].clone();
    assert!(
        took < Duration::from_millis(MAX_ANSWER_MS),
        "{name} answered after {took:?}"
    );
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_transaction_elsewhere_never_turns_a_committed_write_into_a_retry() {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .expect("the cluster task")
        .expect("a private PostgreSQL cluster");
    let app = spawn_app_over(
        PROGRAM,
        cluster.test_database().await,
        false,
        &[(
            "FUNDLEDGER_READY_MAX_LAG_MS",
            TEST_READY_MAX_LAG_MS.to_string(),
        )],
    )
    .await;
    let fund = establish_fund(&app).await;

    // Another database of the same cluster; a transaction there that holds an id.
    let other = cluster.test_database().await;
    let mut holder = PgConnectOptions::from_str(&other.url)
        .expect("the other database's URL")
        .application_name(HOLDER_APPLICATION)
        .connect()
        .await
        .expect("connecting the holder");
    let holder_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut holder)
        .await
        .expect("the holder's pid");
    let mut held = holder.begin().await.expect("BEGIN");
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *held)
        .await
        .expect("the holder takes a transaction id");

    // Two writes while the log is held: both answer success, committed, not projected.
    let (created, received) = tokio::join!(
        answered(
            &app,
            ESTABLISH,
            establish_input("held-establish"),
            "establishFund"
        ),
        answered(
            &app,
            RECEIVE,
            receive_input(&fund, "held-receive"),
            "receiveCapital"
        ),
    );
    for payload in [&created, &received] {
        assert!(payload["position"].as_i64().unwrap_or(0) > 0, "{payload}");
        assert_eq!(payload["projected"], json!(false), "{payload}");
    }
    assert!(
        created["fund"].is_null(),
        "not in the read models yet: {created}"
    );
    let new_fund = s(&created["fundId"]);
    assert_eq!(s(&received["fundId"]), fund);

    // Past the limit: not ready, and the holder named in /readyz and /metrics.
    let (status, said) = app.get("/readyz").await;
    assert_eq!(status, 503, "{said}");
    assert!(said.contains("projection stalled"), "{said}");
    assert!(said.contains(&format!("pid {holder_pid}")), "{said}");
    assert!(said.contains(HOLDER_APPLICATION), "{said}");
    let (_, metrics) = app.get("/metrics").await;
    let holder_line = format!("fundledger_oldest_transaction_age_seconds{{pid=\"{holder_pid}\"");
    assert!(metrics.contains(&holder_line), "{metrics}");
    assert!(
        metrics.contains("fundledger_projection_stalled 1"),
        "{metrics}"
    );
    let lag: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("fundledger_projection_lag_seconds "))
        .expect("the lag in seconds")
        .parse()
        .expect("a number");
    assert!(lag * 1000.0 > TEST_READY_MAX_LAG_MS as f64, "lag {lag} s");

    held.rollback().await.expect("the holder ends");
    holder.close().await.expect("closing the holder");

    // Every write is there once: resending each key gives the first answer, now projected.
    let again = answered(
        &app,
        ESTABLISH,
        establish_input("held-establish"),
        "establishFund",
    )
    .await;
    assert_eq!(again["position"], created["position"]);
    assert_eq!(again["fundId"], created["fundId"]);
    assert_eq!(again["projected"], json!(true), "{again}");
    assert_eq!(again["fund"]["id"], json!(new_fund));
    let again = answered(
        &app,
        RECEIVE,
        receive_input(&fund, "held-receive"),
        "receiveCapital",
    )
    .await;
    assert_eq!(again["position"], received["position"]);
    assert_eq!(
        again["fund"]["position"]["capitalReceived"],
        json!("250.00")
    );
    let funds = app.gql_now(None, "{ funds { id } }", json!({})).await.ok();
    assert_eq!(
        funds.data()["funds"].as_array().map(Vec::len),
        Some(2),
        "{}",
        funds.body
    );
    let mut ready = 0;
    for _ in 0..100 {
        ready = app.get("/readyz").await.0;
        if ready == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 200, "ready again once the holder ended");
    assert_verified(&app).await;
    drop(other);
    drop(app);
    drop(cluster);
}
