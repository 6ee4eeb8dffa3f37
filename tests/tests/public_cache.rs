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
