//! Fault suite (issue 12 §4): the server killed with SIGKILL in the middle of a load.
//!
//! - On both stores: 16 writers, `kill -9` while requests are in flight (the load stops
//!   there: those writes are unacknowledged), a new server on the same store and a new
//!   load on it; every acknowledged write of both loads is there exactly once, every
//!   unacknowledged one at most once until resent (`faults::LoadReport::check_acknowledged`),
//!   the projector resumed (ready, the read models at the log's head), `verify` green.
//! - On PostgreSQL: two servers on one database, the one holding the projector's advisory
//!   lock killed; the other takes over projection, writes acknowledged by both are there
//!   exactly once, `verify` green.

mod common;

use std::time::{Duration, Instant};

use common::PROGRAM;
use fundledger_tests::faults::{Load, FAULT_WRITERS};
use fundledger_tests::{Store, TestApp};

/// Writes acknowledged before the kill, and again after the restart.
const WRITES_BEFORE_KILL: usize = 150;
const WRITES_AFTER_RESTART: usize = 100;
/// How long a phase of the load may take to reach its count.
const LOAD_PHASE_TIMEOUT_MS: u64 = 30_000;
/// How long the surviving server may take to take the projector's lock over.
const TAKEOVER_TIMEOUT_MS: u64 = 15_000;

async fn kill_9_mid_load_loses_no_acknowledged_write(store: Store) {
    let started = Instant::now();
    let mut app = common::spawn(store).await;
    let phase = Duration::from_millis(LOAD_PHASE_TIMEOUT_MS);
    let before = Load::start(vec![app.base.clone()], &app.keys, FAULT_WRITERS);
    before
        .wait_for_acknowledged(WRITES_BEFORE_KILL, phase)
        .await;

    // Sixteen writers keep requests in flight: the kill cuts them off, and stopping the
    // load there leaves them unacknowledged (committed or not: the check finds out).
    let failed = before.failed_attempts();
    app.kill9().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = before.stop().await;
    assert!(
        before.failed_attempts > failed && before.unacknowledged().count() > 0,
        "the kill cut no request off"
    );

    // A new server on the same store finishes what the crash left, projects the rest and
    // takes a new load.
    app.restart(PROGRAM).await;
    let after = Load::start(vec![app.base.clone()], &app.keys, FAULT_WRITERS);
    after
        .wait_for_acknowledged(WRITES_AFTER_RESTART, phase)
        .await;
    let after = after.stop().await;
    let killed = before.check_acknowledged(&app, PROGRAM).await;
    let resumed = after.check_acknowledged(&app, PROGRAM).await;
    eprintln!(
        "{store:?} kill -9: before {killed:?} ({} failed attempts), after {resumed:?}, {:.1} s",
        before.failed_attempts,
        started.elapsed().as_secs_f64()
    );
}

on_both_stores!(kill_9_mid_load_loses_no_acknowledged_write);

/// The backend (pid) of the app's database that holds the projector's advisory lock, if
/// any (a bigint key: its high half in `classid`, its low half in `objid`).
async fn projector_lock_holder(app: &TestApp) -> Option<i32> {
    let pool = sqlx::PgPool::connect(&app.database.url)
        .await
        .expect("connecting to the test database");
    let key = projections::projector::PROJECTOR_LOCK_KEY;
    let holder: Option<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::bigint = $1 AND objid::bigint = $2",
    )
    .bind(key >> 32)
    .bind(key & 0xffff_ffff)
    .fetch_optional(&pool)
    .await
    .expect("reading pg_locks");
    pool.close().await;
    holder
}

/// Waits until a backend other than `not` holds the projector's lock; returns it.
async fn wait_for_projector_holder(app: &TestApp, not: Option<i32>, why: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_millis(TAKEOVER_TIMEOUT_MS);
    loop {
        match projector_lock_holder(app).await {
            Some(holder) if Some(holder) != not => return holder,
            _ => {
                assert!(Instant::now() < deadline, "{why}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_survive_the_projector_holder_killed() {
    let started = Instant::now();
    let mut app = common::spawn(Store::Postgres).await;
    // The first server alone takes the lock, so it is the holder; the peer stands by.
    let holder = wait_for_projector_holder(
        &app,
        None,
        "the first server never took the projector's lock",
    )
    .await;
    let peer = app.spawn_peer(PROGRAM).await;
    let (first, second) = (app.base.clone(), peer.base.clone());
    let load = Load::start(
        vec![first.clone(), second.clone()],
        &app.keys,
        FAULT_WRITERS,
    );
    let phase = Duration::from_millis(LOAD_PHASE_TIMEOUT_MS);
    load.wait_for_acknowledged(WRITES_BEFORE_KILL, phase).await;

    // Kill the holder; its writers move to the survivor, resending what was cut off.
    app.kill9().await;
    let acknowledged_before = load.acknowledged();
    // Its session ends with it; the survivor's standby takes the lock on its next try.
    wait_for_projector_holder(
        &app,
        Some(holder),
        "the surviving server never took the projector over",
    )
    .await;
    load.wait_for_acknowledged(acknowledged_before + WRITES_AFTER_RESTART, phase)
        .await;
    let report = load.stop().await;
    app.adopt(peer).await;
    assert!(
        report.acknowledged_by(&first) > 0 && report.acknowledged_by(&second) > 0,
        "both servers acknowledge writes: {} and {}",
        report.acknowledged_by(&first),
        report.acknowledged_by(&second)
    );
    // The survivor projects: its read models reach the head (inside the check) and it is
    // ready.
    let summary = report.check_acknowledged(&app, PROGRAM).await;
    eprintln!(
        "two servers, holder killed: {summary:?}, {} by the killed server, {} by the survivor, \
         {} failed attempts, {:.1} s",
        report.acknowledged_by(&first),
        report.acknowledged_by(&second),
        report.failed_attempts,
        started.elapsed().as_secs_f64()
    );
}
