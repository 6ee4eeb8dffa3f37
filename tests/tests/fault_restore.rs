//! The restore drill (issue 12 §1, §3, §4): a ledger written through the real server on
//! one PostgreSQL cluster, dumped with `pg_dump` and restored with `pg_restore` into a
//! FRESH cluster whose transaction counter is far behind the dump's. Before the repair the
//! server says unready and why, refuses writes with `NEEDS_REPAIR`, and `verify` passes on
//! the restored data; after `fundledger repair-restored-log` (run beside the live server)
//! every write made before the dump and after the repair is there exactly once (resent
//! idempotency keys answer as before), projected, and `verify` passes, also once the new
//! cluster's counter has passed the restored transaction ids.
//!
//! Both clusters are private (`PrivateCluster`): the shared server is never touched.

mod common;

use std::time::Duration;

use common::{assert_verified, business_day, s, PROGRAM};
use fundledger_tests::cluster::PrivateCluster;
use fundledger_tests::{input_type, spawn_app_over, Reply, TestApp};
use infrastructure::Database;
use serde_json::{json, Value};

/// Transactions burnt on the source cluster, so its ids run well ahead of a fresh one's.
const SOURCE_XIDS_BURNT: i64 = 5_000;
/// How long the repaired server may take to say it is ready again.
const READY_AGAIN_MS: u64 = 20_000;
/// Funds (each with one capital receipt) written before the dump, and after the repair.
const FUNDS_BEFORE: usize = 3;

/// Uses up `count` transaction ids, one committed transaction each, in one round trip.
async fn burn_xids(database: &Database, count: i64) {
    let Database::Postgres(pool) = database else {
        unreachable!("the drill runs on PostgreSQL")
    };
    let sql = format!(
        "DO $$ BEGIN FOR i IN 1..{count} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$"
    );
    sqlx::raw_sql(&sql)
        .execute(pool)
        .await
        .expect("burning transaction ids");
}

/// A mutation sent as the admin with `key` as its idempotency key.
async fn keyed(app: &TestApp, name: &str, key: &str, mut input: Value, selection: &str) -> Reply {
    input["idempotencyKey"] = json!(key);
    let query = format!(
        "mutation($input: {}Input!) {{ {name}(input: $input) {{ position {selection} }} }}",
        input_type(name)
    );
    app.gql(Some(&app.admin()), &query, json!({ "input": input }))
        .await
}

/// One acknowledged keyed write: what was sent and what came back.
struct Acknowledged {
    name: &'static str,
    key: String,
    input: Value,
    selection: &'static str,
    answer: Value,
}

/// Establishes a fund and receives £1,000.00 into it, both keyed by `label`; returns the
/// fund's id and the two acknowledged writes.
async fn keyed_fund(app: &TestApp, label: &str) -> (String, Vec<Acknowledged>) {
    let mut written = Vec::new();
    let input =
        json!({ "name": format!("Fund {label}"), "funderOrgId": "GB-CHC-7", "funderName": "F" });
    let key = format!("fund-{label}");
    let answer = keyed(app, "establishFund", &key, input.clone(), "fundId")
        .await
        .ok()
        .data()["establishFund"]
        .clone();
    let fund = s(&answer["fundId"]);
    written.push(Acknowledged {
        name: "establishFund",
        key,
        input,
        selection: "fundId",
        answer,
    });
    let input = json!({ "fundId": fund, "amount": "1000.00", "source": "Endowment", "receivedOn": business_day() });
    let key = format!("capital-{label}");
    let answer = keyed(app, "receiveCapital", &key, input.clone(), "fundId")
        .await
        .ok()
        .data()["receiveCapital"]
        .clone();
    written.push(Acknowledged {
        name: "receiveCapital",
        key,
        input,
        selection: "fundId",
        answer,
    });
    (fund, written)
}

/// Every fund's capital received, from the read models once they cover the whole log.
async fn projected_funds(app: &TestApp) -> Vec<(String, String)> {
    let reply = app
        .gql_now(
            None,
            "{ funds { id position { capitalReceived } } }",
            json!({}),
        )
        .await
        .ok();
    let mut funds: Vec<(String, String)> = reply.data()["funds"]
        .as_array()
        .expect("a list of funds")
        .iter()
        .map(|fund| (s(&fund["id"]), s(&fund["position"]["capitalReceived"])))
        .collect();
    funds.sort();
    funds
}

/// Resends every acknowledged write's key: the same answer, and nothing written.
async fn resend_all(app: &TestApp, written: &[Acknowledged]) {
    let head = app.head().await;
    for write in written {
        let again = keyed(
            app,
            write.name,
            &write.key,
            write.input.clone(),
            write.selection,
        )
        .await
        .ok();
        assert_eq!(
            again.data()[write.name],
            write.answer,
            "key {} answered differently",
            write.key
        );
    }
    assert_eq!(app.head().await, head, "a resent key wrote something");
}

async fn wait_ready(app: &TestApp) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(READY_AGAIN_MS);
    loop {
        let (status, body) = app.get("/readyz").await;
        if status == 200 {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not ready {READY_AGAIN_MS} ms after the repair: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_repair(url: &str) -> String {
    let output = tokio::process::Command::new(PROGRAM)
        .args(["repair-restored-log", "--database-url", url])
        .output()
        .await
        .expect("running fundledger repair-restored-log");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the repair failed: {said}");
    said
}

/// The source: a ledger with a history (a world of fund, round, application and award,
/// and keyed funds) on a cluster whose counter was pushed ahead, dumped while its server
/// runs. Returns the dump's path, the acknowledged keyed writes and the funds projected.
async fn write_and_dump(
    source: &PrivateCluster,
) -> (String, Vec<Acknowledged>, Vec<(String, String)>) {
    let database = source.test_database().await;
    burn_xids(&database.database, SOURCE_XIDS_BURNT).await;
    let app = spawn_app_over(PROGRAM, database, false, &[]).await;
    common::world(&app).await;
    let mut written = Vec::new();
    for index in 0..FUNDS_BEFORE {
        written.extend(keyed_fund(&app, &format!("before-{index}")).await.1);
    }
    let funds = projected_funds(&app).await;
    let dump = std::env::temp_dir()
        .join(format!(
            "fundledger-drill-{}.pgdump",
            uuid::Uuid::new_v4().simple()
        ))
        .display()
        .to_string();
    source
        .run(
            "pg_dump",
            &["-Fc", "--dbname", &app.database.url, "--file", &dump],
        )
        .expect("pg_dump of the source");
    (dump, written, funds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logical_restore_into_a_fresh_cluster_refuses_writes_until_repaired_and_loses_nothing() {
    let source = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
        .expect("a private source cluster");
    let (dump, mut written, funds_before) = write_and_dump(&source).await;
    drop(source);

    let target = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap()
        .expect("a private target cluster");
    let database = target.test_database().await;
    let restored = target.run(
        "pg_restore",
        &[
            "--clean",
            "--if-exists",
            "--no-owner",
            "--dbname",
            &database.url,
            &dump,
        ],
    );
    let _ = std::fs::remove_file(&dump);
    restored.expect("pg_restore into the fresh cluster");
    let app = spawn_app_over(PROGRAM, database, false, &[]).await;

    // Restored, not repaired: unready with the reason, writes refused, verify green.
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 503, "readyz on a restored log: {body}");
    assert!(body.contains("repair-restored-log"), "{body}");
    let head = app.head().await;
    let refused = keyed(
        &app,
        "establishFund",
        "fund-refused",
        json!({ "name": "Refused", "funderOrgId": "GB-CHC-7", "funderName": "F" }),
        "fundId",
    )
    .await
    .expect_code("NEEDS_REPAIR");
    assert!(
        refused.message().contains("repair-restored-log"),
        "{}",
        refused.body
    );
    assert_eq!(app.head().await, head, "a refused write wrote nothing");
    assert_verified(&app).await;

    // The repair, beside the running server; a second run changes nothing.
    let said = run_repair(&app.database.url).await;
    assert!(said.contains("repaired"), "{said}");
    let said = run_repair(&app.database.url).await;
    assert!(said.contains("nothing to repair"), "{said}");
    wait_ready(&app).await;

    // Every earlier write once, new writes projected after them, keys answered as before.
    assert_eq!(projected_funds(&app).await, funds_before);
    let mut expected = funds_before.clone();
    for index in 0..FUNDS_BEFORE {
        let (fund, writes) = keyed_fund(&app, &format!("after-{index}")).await;
        expected.push((fund, "1000.00".to_string()));
        written.extend(writes);
    }
    expected.sort();
    assert_eq!(projected_funds(&app).await, expected);
    resend_all(&app, &written).await;
    assert_verified(&app).await;

    // Once this cluster's counter passes the restored ids, a new write is still projected.
    let Database::Postgres(pool) = &app.database.database else {
        unreachable!()
    };
    let (restored_max, next): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT max(txid)::text::bigint FROM events WHERE log_epoch = 0),
                pg_current_xact_id()::text::bigint",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(restored_max > next, "the source's ids were not ahead");
    burn_xids(&app.database.database, restored_max - next + 100).await;
    let (fund, writes) = keyed_fund(&app, "late").await;
    expected.push((fund, "1000.00".to_string()));
    expected.sort();
    written.extend(writes);
    assert_eq!(projected_funds(&app).await, expected);
    resend_all(&app, &written).await;
    wait_ready(&app).await;
    assert_verified(&app).await;
}

/// The embedded store's online backup: taken while the server runs, the copy opens as a
/// store of its own with every write and passes `verify`; a second backup to the same
/// file is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_sqlite_backup_holds_every_write_and_verifies() {
    let app = common::spawn(fundledger_tests::Store::Sqlite).await;
    common::world(&app).await;
    let (_, _) = keyed_fund(&app, "backed-up").await;
    let funds = projected_funds(&app).await;
    let directory = std::env::temp_dir().join(format!(
        "fundledger-backup-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&directory).unwrap();
    let copy = directory.join("copy.db");
    let backup = |out: std::path::PathBuf| {
        let url = app.database.url.clone();
        async move {
            tokio::process::Command::new(PROGRAM)
                .args(["backup", "--database-url", &url, "--out"])
                .arg(out)
                .output()
                .await
                .expect("running fundledger backup")
        }
    };
    let made = backup(copy.clone()).await;
    assert!(made.status.success(), "{made:?}");
    let again = backup(copy.clone()).await;
    assert!(!again.status.success(), "a backup overwrote a file");

    let copy_url = format!("sqlite://{}", copy.display());
    let verified = tokio::process::Command::new(PROGRAM)
        .args(["verify", "--database-url", &copy_url])
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stdout).to_string();
    assert!(
        verified.status.success(),
        "verify of the copy: {verified:?}"
    );
    let events = app.database.database.event_count().await.unwrap();
    assert!(
        said.contains(&format!("verified {events} events")),
        "{said}"
    );
    let copied = infrastructure::Database::connect_url(&copy_url)
        .await
        .unwrap();
    assert_eq!(copied.head_position().await.unwrap(), app.head().await);
    let Database::Sqlite(pool) = &copied else {
        unreachable!()
    };
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT fund_id, received_pence FROM rm_funds")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut copied_funds: Vec<(String, String)> = rows
        .into_iter()
        .map(|(id, pence)| (id, format!("{}.{:02}", pence / 100, pence % 100)))
        .collect();
    copied_funds.sort();
    assert_eq!(copied_funds, funds);
    let _ = std::fs::remove_dir_all(&directory);
}
