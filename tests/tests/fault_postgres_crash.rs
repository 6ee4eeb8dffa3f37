//! A PostgreSQL crash and restart under load, with the server left running (issue 12 §4):
//! eight writers send keyed capital receipts (one fund each) through the real server to a
//! private cluster; its postmaster is killed with SIGKILL mid-load and started again. The
//! server recovers by itself (writes are acknowledged again, `/readyz` says ready), and
//! every acknowledged write is there exactly once: each resent key answers as before,
//! every key is resent until applied, a second round writes nothing, each fund's capital
//! equals £1.00 per key, and `verify` passes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{assert_verified, business_day, s, PROGRAM};
use fundledger_tests::cluster::PrivateCluster;
use fundledger_tests::{input_type, spawn_app_over, Reply, TestApp};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::time::Instant;

const WRITERS: usize = 8;
/// Load before the crash, the outage, and load after the restart.
const LOAD_BEFORE_CRASH_MS: u64 = 1_500;
const OUTAGE_MS: u64 = 500;
const LOAD_AFTER_RESTART_MS: u64 = 4_000;
/// A writer's pause between requests (keeps the resend rounds short on two cores).
const WRITE_PAUSE_MS: u64 = 20;
/// How long the server may take to say it is ready after the restart.
const READY_AGAIN_MS: u64 = 30_000;

async fn keyed(app: &TestApp, name: &str, key: &str, mut input: Value, selection: &str) -> Reply {
    input["idempotencyKey"] = json!(key);
    let query = format!(
        "mutation($input: {}Input!) {{ {name}(input: $input) {{ position {selection} }} }}",
        input_type(name)
    );
    app.gql(Some(&app.admin()), &query, json!({ "input": input }))
        .await
}

fn is_success(reply: &Reply) -> bool {
    reply.status == 200
        && reply.body["errors"]
            .as_array()
            .is_none_or(|errors| errors.is_empty())
}

fn receipt(fund: &str, key: &str) -> (String, Value) {
    (
        key.to_string(),
        json!({ "fundId": fund, "amount": "1.00", "source": "load", "receivedOn": business_day() }),
    )
}

/// What one writer sent: every key with its answer if acknowledged, and when.
#[derive(Default)]
struct Sent {
    fund: String,
    acknowledged: Vec<(String, Value, Value, Instant)>,
    failed: Vec<(String, Value, String)>,
}

async fn write_until(app: Arc<TestApp>, fund: String, writer: usize, until: Instant) -> Sent {
    let mut sent = Sent {
        fund: fund.clone(),
        ..Sent::default()
    };
    let mut index = 0;
    while Instant::now() < until {
        let (key, input) = receipt(&fund, &format!("w{writer}-{index}"));
        index += 1;
        let reply = keyed(&app, "receiveCapital", &key, input.clone(), "fundId").await;
        if is_success(&reply) {
            let answer = reply.data()["receiveCapital"].clone();
            sent.acknowledged.push((key, input, answer, Instant::now()));
        } else {
            sent.failed
                .push((key, input, reply.code().unwrap_or("-").to_string()));
        }
        tokio::time::sleep(Duration::from_millis(WRITE_PAUSE_MS)).await;
    }
    sent
}

/// Resends every key of `sent`: an acknowledged one answers as it did; a failed one is
/// applied now, or answers the earlier write it turns out to have made.
async fn resend(app: Arc<TestApp>, sent: Arc<Sent>) {
    for (key, input, answer, _) in &sent.acknowledged {
        let again = keyed(&app, "receiveCapital", key, input.clone(), "fundId")
            .await
            .ok();
        assert_eq!(&again.data()["receiveCapital"], answer, "key {key}");
    }
    for (key, input, _) in &sent.failed {
        keyed(&app, "receiveCapital", key, input.clone(), "fundId")
            .await
            .ok();
    }
}

async fn resend_everything(app: &Arc<TestApp>, sent: &[Arc<Sent>]) {
    let rounds: Vec<_> = sent
        .iter()
        .map(|sent| tokio::spawn(resend(app.clone(), sent.clone())))
        .collect();
    for round in rounds {
        round.await.expect("a resend task");
    }
}

async fn wait_ready(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_millis(READY_AGAIN_MS);
    loop {
        let (status, body) = app.get("/readyz").await;
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not ready {READY_AGAIN_MS} ms after PostgreSQL came back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_crash_under_load_loses_no_acknowledged_write_and_the_server_recovers() {
    let cluster = Arc::new(
        tokio::task::spawn_blocking(PrivateCluster::start)
            .await
            .unwrap()
            .expect("a private cluster"),
    );
    let database = cluster.test_database().await;
    let app = Arc::new(spawn_app_over(PROGRAM, database, false, &[]).await);
    let mut funds = Vec::new();
    for writer in 0..WRITERS {
        let reply = keyed(
            &app,
            "establishFund",
            &format!("fund-{writer}"),
            json!({ "name": format!("Fund {writer}"), "funderOrgId": "GB-CHC-7", "funderName": "F" }),
            "fundId",
        )
        .await
        .ok();
        funds.push(s(&reply.data()["establishFund"]["fundId"]));
    }

    let started = Instant::now();
    let until =
        started + Duration::from_millis(LOAD_BEFORE_CRASH_MS + OUTAGE_MS + LOAD_AFTER_RESTART_MS);
    let writers: Vec<_> = funds
        .iter()
        .enumerate()
        .map(|(writer, fund)| tokio::spawn(write_until(app.clone(), fund.clone(), writer, until)))
        .collect();
    tokio::time::sleep(Duration::from_millis(LOAD_BEFORE_CRASH_MS)).await;
    let crashing = cluster.clone();
    tokio::task::spawn_blocking(move || crashing.kill_9())
        .await
        .unwrap()
        .expect("kill -9 of the postmaster");
    tokio::time::sleep(Duration::from_millis(OUTAGE_MS)).await;
    let starting = cluster.clone();
    tokio::task::spawn_blocking(move || starting.start_again())
        .await
        .unwrap()
        .expect("PostgreSQL starts again");
    let restarted = Instant::now();
    let mut sent = Vec::new();
    for writer in writers {
        sent.push(Arc::new(writer.await.expect("a writer")));
    }

    let acknowledged: usize = sent.iter().map(|sent| sent.acknowledged.len()).sum();
    let failed: Vec<&String> = sent
        .iter()
        .flat_map(|sent| sent.failed.iter().map(|(_, _, code)| code))
        .collect();
    let after_restart = sent
        .iter()
        .flat_map(|sent| &sent.acknowledged)
        .filter(|(_, _, _, at)| *at > restarted)
        .count();
    eprintln!(
        "{acknowledged} writes acknowledged ({after_restart} after the restart), {} failed: {failed:?}",
        failed.len()
    );
    assert!(
        after_restart > 0,
        "no write was acknowledged after PostgreSQL came back"
    );
    wait_ready(&app).await;
    // The test's own pool still holds connections from before the crash (not pinged
    // before use): each fails its first query and is dropped.
    for _ in 0..30 {
        let _ = app.database.database.head_position().await;
    }

    // Every key applied exactly once: resend all, then again (nothing more is written).
    resend_everything(&app, &sent).await;
    let head = app.head().await;
    resend_everything(&app, &sent).await;
    assert_eq!(
        app.head().await,
        head,
        "a second round of resent keys wrote something"
    );
    let reply = app
        .gql_now(
            None,
            "{ funds { id position { capitalReceived } } }",
            json!({}),
        )
        .await
        .ok();
    for sent in &sent {
        let fund = reply.data()["funds"]
            .as_array()
            .expect("funds")
            .iter()
            .find(|fund| fund["id"] == sent.fund.as_str())
            .unwrap_or_else(|| panic!("fund {} is missing", sent.fund));
        let capital: Decimal = s(&fund["position"]["capitalReceived"]).parse().unwrap();
        let keys = sent.acknowledged.len() + sent.failed.len();
        assert_eq!(capital, Decimal::from(keys as u64), "fund {}", sent.fund);
    }
    assert_verified(&app).await;
}
