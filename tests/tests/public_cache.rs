//! The public query cache (api/src/server/cache.rs) over HTTP: anonymous answers are
//! reused while the read models are unchanged, and never hide a newer write.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fundledger_tests::{mutate, Store, TestApp};
use serde_json::json;

const LEDGER: &str = "{ ledger { position head } }";

/// The server's count of anonymous queries the cache answered.
async fn cache_hits(app: &TestApp) -> u64 {
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("fundledger_public_cache_requests_total{result=\"hit\"} ")
        })
        .expect("the cache's hit counter in /metrics")
        .trim()
        .parse()
        .expect("a count")
}

async fn a_cached_public_answer_never_hides_a_newer_write(store: Store) {
    let app = spawn(store).await;
    let fund = establish_fund(&app).await;
    let first = app.gql_now(None, LEDGER, json!({})).await.ok();
    let before = cache_hits(&app).await;
    for _ in 0..3 {
        let again = app.gql(None, LEDGER, json!({})).await.ok();
        assert_eq!(again.data(), first.data(), "nothing was written in between");
    }
    assert!(
        cache_hits(&app).await > before,
        "repeating an anonymous query at rest is answered from the cache"
    );

    let payload = mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "10.00", "source": "Gift", "receivedOn": business_day() }),
        "",
    )
    .await;
    let written = payload["position"].as_i64().expect("position");
    let fresh = app.gql_at(None, written, LEDGER, json!({})).await.ok();
    assert!(
        fresh.data()["ledger"]["position"].as_i64() >= Some(written),
        "X-Min-Position bypasses an older cached answer: {:?}",
        fresh.data()
    );
    assert_ne!(
        fresh.data()["ledger"]["head"],
        first.data()["ledger"]["head"]
    );

    // Without the header the cache follows the projector within moments.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let plain = app.gql(None, LEDGER, json!({})).await.ok();
        if plain.data()["ledger"]["position"].as_i64() >= Some(written) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cached answer outlived the write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn signed_in_viewers_are_never_answered_from_the_public_cache(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    app.gql_now(None, LEDGER, json!({})).await.ok();
    app.gql(None, LEDGER, json!({})).await.ok();
    let before = cache_hits(&app).await;
    for _ in 0..3 {
        app.gql(Some(&app.admin()), LEDGER, json!({})).await.ok();
    }
    assert_eq!(cache_hits(&app).await, before);
}

/// A geography import moves no event-log position, but it changes public answers
/// (names, roll-ups): the cache must drop them at once, not after its age bound.
async fn a_geography_import_is_seen_at_once_by_cached_public_answers(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    const AREA: &str = "{ neighbourhood(code: \"E06000010\") { name level } }";
    let unknown = app.gql_now(None, AREA, json!({})).await.ok();
    assert_eq!(unknown.data()["neighbourhood"]["name"], json!(null));
    let before = cache_hits(&app).await;
    // The first of these may still be computed (the cache polls the version every
    // 10 ms); the later ones are answered from it.
    for _ in 0..3 {
        app.gql(None, AREA, json!({})).await.ok();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        cache_hits(&app).await > before,
        "the unknown-area answer is cached"
    );

    let csv = std::env::temp_dir().join(format!(
        "cache-geography-{}.csv",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(
        &csv,
        "code,name,level,parent_code,population,imd_decile\nE06000010,Kingston upon Hull,lad,,258038,\n",
    )
    .unwrap();
    let imported = Instant::now();
    let status = tokio::process::Command::new(PROGRAM)
        .args(["import", "geography"])
        .arg(&csv)
        .args(["--database-url", &app.database.url])
        .status()
        .await
        .expect("running import geography");
    let _ = std::fs::remove_file(&csv);
    assert!(status.success(), "import geography failed");

    let bound = Duration::from_millis(api::server::cache::MAX_RESPONSE_AGE_MS / 2);
    loop {
        let answer = app.gql(None, AREA, json!({})).await.ok();
        if answer.data()["neighbourhood"]["name"] == json!("Kingston upon Hull") {
            break;
        }
        assert!(
            imported.elapsed() < bound,
            "a cached answer outlived the geography import: {:?}",
            answer.data()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_stores!(
    a_cached_public_answer_never_hides_a_newer_write,
    signed_in_viewers_are_never_answered_from_the_public_cache,
    a_geography_import_is_seen_at_once_by_cached_public_answers,
);

const FUND_CAPITAL: &str =
    "query($fund: String!) { fund(id: $fund) { position { capitalReceived } } }";

fn capital(reply: &fundledger_tests::Reply) -> serde_json::Value {
    reply.data()["fund"]["position"]["capitalReceived"].clone()
}

/// PostgreSQL takes an event's position when the row is inserted and its transaction id
/// at the transaction's first write, so the log's order `(txid, position)` and the order
/// of positions differ: here a write at a lower position (L) is projected after one at a
/// higher position (H), because an older transaction (G) is still open when H commits.
/// Asking with `X-Min-Position: L` must wait for L's write, and the answer cached while
/// only H was projected must go as soon as L is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_position_projected_later_is_never_hidden_by_a_cached_answer_on_postgres() {
    let app = spawn(Store::Postgres).await;
    let fund = establish_fund(&app).await;
    let infrastructure::Database::Postgres(pool) = &app.database.database else {
        unreachable!("a PostgreSQL test database")
    };
    // H and then G take transaction ids before L's write exists.
    let mut high = pool.begin().await.unwrap();
    let mut gate = pool.begin().await.unwrap();
    for transaction in [&mut high, &mut gate] {
        sqlx::query("SELECT pg_current_xact_id()")
            .execute(&mut **transaction)
            .await
            .unwrap();
    }
    let written = mutate(
        &app,
        &app.admin(),
        "receiveCapital",
        json!({ "fundId": fund, "amount": "10.00", "source": "Gift", "receivedOn": business_day() }),
        "",
    )
    .await;
    let low = written["position"].as_i64().expect("position");
    let event = json!({"FundEstablished": {
        "fund_id": "FUND-INTERLEAVED", "name": "Interleaved fund", "funder_org_id": "GB-COH-00000002",
        "funder_name": "Interleaved trust", "established_on": "2026-01-01"}});
    let high_position: i64 = sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Fund', 'FUND-INTERLEAVED', 1, 'FundEstablished', '1', $1, '{}') RETURNING position",
    )
    .bind(event)
    .fetch_one(&mut *high)
    .await
    .unwrap();
    high.commit().await.unwrap();
    assert!(high_position > low, "H holds the higher position");

    // H is projected (it is older than G); L is not (it is younger than G).
    let vars = json!({ "fund": fund });
    let before = app
        .gql_at(None, high_position, FUND_CAPITAL, vars.clone())
        .await
        .ok();
    assert_eq!(
        capital(&before),
        json!("0.00"),
        "L is still hidden behind G"
    );
    let hits = cache_hits(&app).await;
    for _ in 0..3 {
        let again = app.gql(None, FUND_CAPITAL, vars.clone()).await.ok();
        assert_eq!(capital(&again), json!("0.00"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        cache_hits(&app).await > hits,
        "the answer without L is cached"
    );

    // Asked for L while G is open; G ends a moment later and L is projected.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        gate.rollback().await.unwrap();
    });
    let asked = app.gql_at(None, low, FUND_CAPITAL, vars.clone()).await.ok();
    assert_eq!(
        capital(&asked),
        json!("10.00"),
        "X-Min-Position {low} was answered without the write at {low} (H at {high_position} was projected, L not)"
    );
    release.await.unwrap();

    // Without the header: the answer cached before L was projected is gone with it, not
    // after the cache's age limit.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let plain = app.gql(None, FUND_CAPITAL, vars.clone()).await.ok();
        if capital(&plain) == json!("10.00") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the answer cached without L outlived L's projection: {:?}",
            plain.data()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
