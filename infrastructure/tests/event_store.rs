//! The event store's guarantees, on real PostgreSQL and SQLite: gap-safe global order,
//! idempotency keys under races, snapshots that equal the fold of the events, and
//! budgets that hold under concurrent approvals.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use domain::application::Score;
use domain::fund::{Fund, FundCommand, FundEvent};
use domain::round::{DecisionMode, RoundTerms};
use domain::{FundId, Money, OrgId, RoundId};
use infrastructure::event_store::{AggregateStore, CommandContext, SNAPSHOT_EVERY_EVENTS};
use infrastructure::ledger::{ErrorKind, Ledger, OpenRound, Request, SubmitApplication};
use infrastructure::test_support::TestDatabase;
use infrastructure::{Database, LogCursor};
use sha2::{Digest, Sha256};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

/// Reads the whole log. In PostgreSQL the reader sees only what lies below the cluster-wide
/// `xmin`, and other tests run transactions in other databases of the same cluster, so keep
/// reading until every stored event has been seen.
async fn read_whole_log(database: &Database) -> Vec<infrastructure::LoggedEvent> {
    let stored = database.event_count().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut cursor = LogCursor::START;
    let mut all = Vec::new();
    while (all.len() as i64) < stored {
        let batch = database.read_log(cursor, 100).await.unwrap();
        match batch.last() {
            Some(last) => cursor = last.cursor(),
            None => {
                assert!(std::time::Instant::now() < deadline, "the log stalled");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        all.extend(batch);
    }
    all
}

async fn funded(ledger: &Ledger, capital: &str) -> FundId {
    let admin = Request::new("officer", date("2026-01-01"));
    let fund = ledger
        .establish_fund(&admin, "Fund", &OrgId::new("GB-COH-1"), "Funder")
        .await
        .unwrap()
        .value;
    ledger
        .receive_capital(
            &admin,
            &fund,
            money(capital),
            "endowment",
            date("2026-01-01"),
        )
        .await
        .unwrap();
    fund
}

const INSERT_RAW_EVENT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
     VALUES ('Probe', $1, $2, 'Probed', '1', '{}', '{}')";

/// Transaction A writes position 1, B writes 2, A writes 3 and commits while B is still
/// open. A reader walking `position` alone would take 1 and 3 and never see 2.
#[tokio::test]
async fn log_reader_never_skips_an_event_that_commits_late() {
    let test = TestDatabase::postgres().await.unwrap();
    let Database::Postgres(pool) = &test.database else {
        unreachable!()
    };
    let mut a = pool.begin().await.unwrap();
    let mut b = pool.begin().await.unwrap();
    sqlx::query(INSERT_RAW_EVENT)
        .bind("a")
        .bind(1_i64)
        .execute(&mut *a)
        .await
        .unwrap();
    sqlx::query(INSERT_RAW_EVENT)
        .bind("b")
        .bind(1_i64)
        .execute(&mut *b)
        .await
        .unwrap();
    sqlx::query(INSERT_RAW_EVENT)
        .bind("a")
        .bind(2_i64)
        .execute(&mut *a)
        .await
        .unwrap();
    a.commit().await.unwrap();

    let first = test.database.read_log(LogCursor::START, 100).await.unwrap();
    // B is still open, so nothing at or after its transaction is handed out yet.
    assert!(first.iter().all(|event| event.aggregate_id == "a"));
    let cursor = first
        .last()
        .map(|event| event.cursor())
        .unwrap_or(LogCursor::START);
    b.commit().await.unwrap();
    // Any transaction open in the cluster (another test's) holds the log back too: wait
    // until everything committed is readable, as the projector does.
    assert!(test
        .database
        .wait_until_readable(3, std::time::Duration::from_secs(30))
        .await
        .unwrap());

    let second = test.database.read_log(cursor, 100).await.unwrap();
    let mut positions: Vec<i64> = first
        .iter()
        .chain(&second)
        .map(|event| event.position)
        .collect();
    positions.sort();
    assert_eq!(positions, vec![1, 2, 3], "every event read exactly once");
    assert!(test
        .database
        .read_log(second.last().unwrap().cursor(), 100)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn sqlite_log_is_read_in_position_order() {
    let test = TestDatabase::sqlite().await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    funded(&ledger, "10.00").await;
    let log = read_whole_log(&test.database).await;
    let positions: Vec<i64> = log.iter().map(|event| event.position).collect();
    assert_eq!(positions, vec![1, 2]);
}

async fn retried_key_is_applied_once(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let fund = funded(&ledger, "100.00").await;
    let input = (fund.clone(), money("25.00"));
    let keyed =
        || Request::new("officer", date("2026-01-02")).with_key(Some("tranche-7".into()), &input);
    // Sixteen copies of one request race; exactly one tranche is written.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let ledger = ledger.clone();
        let fund = fund.clone();
        let request = keyed();
        tasks.push(tokio::spawn(async move {
            ledger
                .receive_capital(&request, &fund, money("25.00"), "gift", date("2026-01-02"))
                .await
        }));
    }
    let mut positions = HashSet::new();
    for task in tasks {
        positions.insert(task.await.unwrap().unwrap().position);
    }
    assert_eq!(positions.len(), 1, "every copy reports the first outcome");
    ledger.clear_caches().await;
    assert_eq!(
        ledger.fund(&fund).await.unwrap().available(),
        money("125.00")
    );
    let tranches = read_whole_log(&test.database)
        .await
        .into_iter()
        .filter(|event| event.event_type == "CapitalReceived")
        .count();
    assert_eq!(tranches, 2, "the opening tranche and the keyed one, once");

    // The same key with a different request is refused and writes nothing.
    let head = test.database.head_position().await.unwrap();
    let other = Request::new("officer", date("2026-01-02"))
        .with_key(Some("tranche-7".into()), &"different");
    let reused = ledger
        .receive_capital(&other, &fund, money("99.00"), "gift", date("2026-01-02"))
        .await
        .unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::Conflict);
    assert_eq!(test.database.head_position().await.unwrap(), head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_key_is_applied_once_on_postgres() {
    retried_key_is_applied_once("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_key_is_applied_once_on_sqlite() {
    retried_key_is_applied_once("sqlite").await;
}

async fn loaded_state_equals_fold_of_events(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let store = AggregateStore::<Fund>::new(test.database.clone(), ());
    let context = CommandContext::system();
    store
        .execute(
            "FUND-1",
            FundCommand::Establish {
                fund_id: FundId::new("FUND-1"),
                name: "Fund".into(),
                funder_org_id: OrgId::new("GB-1"),
                funder_name: "Funder".into(),
                established_on: date("2026-01-01"),
                today: date("2026-01-01"),
            },
            &context,
        )
        .await
        .unwrap();
    // Enough events to cross several snapshot boundaries, with an odd tail after the last.
    let tranches = SNAPSHOT_EVERY_EVENTS * 3 + 5;
    for index in 0..tranches {
        store
            .execute(
                "FUND-1",
                FundCommand::ReceiveCapital {
                    tranche_id: format!("T{index}"),
                    amount: Money::from_pence(index as u64 * 101 + 1),
                    source: "gift".into(),
                    received_on: date("2026-01-02"),
                    today: date("2026-01-02"),
                },
                &context,
            )
            .await
            .unwrap();
    }
    let mut folded = Fund::default();
    for event in read_whole_log(&test.database).await {
        let event: FundEvent = serde_json::from_value(event.payload).unwrap();
        folded.apply(event);
    }
    // From the cache, and from a fresh store that must start at the snapshot.
    let (cached, cached_sequence) = store.load("FUND-1").await.unwrap();
    let fresh = AggregateStore::<Fund>::new(test.database.clone(), ());
    let (from_snapshot, snapshot_sequence) = fresh.load("FUND-1").await.unwrap();
    assert_eq!(cached, folded);
    assert_eq!(from_snapshot, folded);
    assert_eq!(cached_sequence, tranches + 1);
    assert_eq!(snapshot_sequence, tranches + 1);
    let expected: Money = (0..tranches)
        .map(|index| Money::from_pence(index as u64 * 101 + 1))
        .sum();
    assert_eq!(from_snapshot.available(), expected);
}

#[tokio::test]
async fn loaded_state_equals_fold_of_events_on_postgres() {
    loaded_state_equals_fold_of_events("postgres").await;
}

#[tokio::test]
async fn loaded_state_equals_fold_of_events_on_sqlite() {
    loaded_state_equals_fold_of_events("sqlite").await;
}

/// Fifty approvals of £500 race for a £10,000 round: at most twenty can win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_approvals_never_overspend_the_round() {
    let test = TestDatabase::postgres().await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let fund = funded(&ledger, "100000.00").await;
    let admin = Request::new("officer", date("2026-01-05"));
    let round = ledger
        .open_round(
            &admin,
            OpenRound {
                fund_id: fund.clone(),
                name: "Race".into(),
                budget: money("10000.00"),
                opens_on: date("2026-01-01"),
                closes_on: date("2026-12-31"),
                eligible_areas: vec![],
                themes: vec![],
                decision_mode: DecisionMode::Panel,
                min_panel_scores: 1,
                panel_sees_scores: domain::round::PanelSeesScores::default(),
            },
        )
        .await
        .unwrap()
        .value;
    let mut applications = Vec::new();
    for index in 0..50 {
        let org = OrgId::new(format!("GB-CHC-{index}"));
        let application = ledger
            .submit_application(
                &Request::new(org.as_str(), date("2026-01-06")),
                SubmitApplication {
                    round_id: round.clone(),
                    applicant: org.clone(),
                    applicant_name: format!("Group {index}"),
                    title: "Project".into(),
                    description: "".into(),
                    amount_requested: money("500.00"),
                    neighbourhood: "E01012070".parse().unwrap(),
                    themes: vec![],
                },
            )
            .await
            .unwrap()
            .value;
        ledger
            .score_application(&admin, &application, "panel-1", Score::new(4).unwrap(), "")
            .await
            .unwrap();
        applications.push(application);
    }
    let mut tasks = Vec::new();
    for application in applications.clone() {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let admin = Request::new("officer", date("2026-01-07"));
            ledger
                .approve_application(&admin, &application, money("500.00"))
                .await
        }));
    }
    let mut raced = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => raced += 1,
            Err(error) => assert!(
                matches!(error.kind(), ErrorKind::Conflict | ErrorKind::Concurrency),
                "unexpected failure: {error}"
            ),
        }
    }
    assert!((1..=20).contains(&raced), "{raced} approvals won the race");
    // Whatever lost the race can be retried; the budget still buys exactly twenty.
    let mut approved = raced;
    for application in &applications {
        if ledger
            .approve_application(&admin, application, money("500.00"))
            .await
            .is_ok()
        {
            approved += 1;
        }
    }
    assert_eq!(approved, 20, "the budget buys exactly twenty £500 awards");
    let awards_made = read_whole_log(&test.database)
        .await
        .into_iter()
        .filter(|event| event.event_type == "AwardMade")
        .count();
    assert_eq!(awards_made, 20);
    ledger.clear_caches().await;
    let round_state = ledger.round(&round).await.unwrap();
    assert_eq!(round_state.remaining(), Money::ZERO);
    assert_eq!(round_state.budget(), money("10000.00"));
}

/// A crash after the fund set a round's budget aside, before the round opened: the process
/// manager opens it from the log, once, however often it runs.
async fn process_manager_completes_half_done_steps(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let fund = funded(&ledger, "1000.00").await;
    let first_half_only = AggregateStore::<Fund>::new(test.database.clone(), ());
    let round_id = RoundId::new("RND-CRASH");
    first_half_only
        .execute(
            fund.as_str(),
            FundCommand::AllocateToRound {
                round_id: round_id.clone(),
                budget: money("400.00"),
                terms: RoundTerms {
                    fund_id: fund.clone(),
                    name: "Half done".into(),
                    opens_on: date("2026-01-01"),
                    closes_on: date("2026-06-30"),
                    eligible_areas: vec![],
                    themes: vec![],
                    decision_mode: DecisionMode::Panel,
                    min_panel_scores: 0,
                    panel_sees_scores: domain::round::PanelSeesScores::default(),
                },
                allocated_on: date("2026-01-01"),
            },
            &CommandContext::system(),
        )
        .await
        .unwrap();
    assert!(
        ledger.round(&round_id).await.is_err(),
        "the round was never opened"
    );

    ledger.complete_pending_steps().await.unwrap();
    let round = ledger.round(&round_id).await.unwrap();
    assert!(round.is_open());
    assert_eq!(round.budget(), money("400.00"));

    // Running again (as a second process would) writes nothing more.
    let head = test.database.head_position().await.unwrap();
    test.database
        .save_checkpoint(
            infrastructure::ledger::PROCESS_MANAGER_READER,
            LogCursor::START,
        )
        .await
        .unwrap();
    ledger.complete_pending_steps().await.unwrap();
    assert_eq!(test.database.head_position().await.unwrap(), head);

    // Closing releases the unawarded £400 to the fund, exactly once.
    ledger
        .close_round(&Request::new("officer", date("2026-07-01")), &round_id)
        .await
        .unwrap();
    test.database
        .save_checkpoint(
            infrastructure::ledger::PROCESS_MANAGER_READER,
            LogCursor::START,
        )
        .await
        .unwrap();
    ledger.complete_pending_steps().await.unwrap();
    ledger.clear_caches().await;
    assert_eq!(
        ledger.fund(&fund).await.unwrap().available(),
        money("1000.00")
    );
}

#[tokio::test]
async fn process_manager_completes_half_done_steps_on_postgres() {
    process_manager_completes_half_done_steps("postgres").await;
}

#[tokio::test]
async fn process_manager_completes_half_done_steps_on_sqlite() {
    process_manager_completes_half_done_steps("sqlite").await;
}

#[tokio::test]
async fn geography_import_refuses_a_bad_file_and_writes_nothing() {
    let test = TestDatabase::sqlite().await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let csv = std::env::temp_dir().join(format!("geo-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &csv,
        "code,name,level,parent_code,population,imd_decile\nE06000002,Middlesbrough,lad,,1,\nE0100,Bad,lsoa,E06000002,,\n",
    )
    .unwrap();
    let error = ledger
        .geography
        .import_csv(&ledger.database, &csv)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("line 3"), "{error}");
    assert!(test.database.area_parents().await.unwrap().is_empty());
    std::fs::remove_file(csv).unwrap();
    let _ = Arc::clone(&ledger);
}

/// A snapshot written under another schema version of the aggregates' state is not read:
/// the aggregate is folded from its events. Here the stored snapshot's state is replaced by
/// an empty fund (what an old, differently shaped snapshot may decode to) and its version
/// changed; the load must still equal the fold of the events.
async fn snapshot_of_another_version_is_ignored(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let store = AggregateStore::<Fund>::new(test.database.clone(), ());
    let context = CommandContext::by("officer");
    store
        .execute(
            "FUND-1",
            FundCommand::Establish {
                fund_id: FundId::new("FUND-1"),
                name: "Fund".into(),
                funder_org_id: OrgId::new("GB-1"),
                funder_name: "Funder".into(),
                established_on: date("2026-01-01"),
                today: date("2026-01-01"),
            },
            &context,
        )
        .await
        .unwrap();
    for index in 0..SNAPSHOT_EVERY_EVENTS + 3 {
        store
            .execute(
                "FUND-1",
                FundCommand::ReceiveCapital {
                    tranche_id: format!("T{index}"),
                    amount: Money::from_pence(index as u64 * 7 + 3),
                    source: "gift".into(),
                    received_on: date("2026-01-02"),
                    today: date("2026-01-02"),
                },
                &context,
            )
            .await
            .unwrap();
    }
    let empty = serde_json::to_value(Fund::default()).unwrap();
    let sql = "UPDATE aggregate_snapshots SET payload = $1, schema_version = schema_version + 1
                WHERE aggregate_type = 'Fund' AND aggregate_id = 'FUND-1'";
    let updated = match &test.database {
        Database::Postgres(pool) => sqlx::query(sql)
            .bind(&empty)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
        Database::Sqlite(pool) => sqlx::query(sql)
            .bind(empty.to_string())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
    }
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(updated, 1, "the store wrote a snapshot");
    let mut folded = Fund::default();
    for event in read_whole_log(&test.database).await {
        folded.apply(serde_json::from_value::<FundEvent>(event.payload).unwrap());
    }
    let fresh = AggregateStore::<Fund>::new(test.database.clone(), ());
    let (loaded, sequence) = fresh.load("FUND-1").await.unwrap();
    assert_eq!(loaded, folded);
    assert_eq!(sequence, SNAPSHOT_EVERY_EVENTS + 4);
}

#[tokio::test]
async fn snapshot_of_another_version_is_ignored_on_postgres() {
    snapshot_of_another_version_is_ignored("postgres").await;
}

#[tokio::test]
async fn snapshot_of_another_version_is_ignored_on_sqlite() {
    snapshot_of_another_version_is_ignored("sqlite").await;
}

/// The same request in two shapes: fields in another order, another type name (so another
/// `Debug` text), the same meaning.
#[derive(Debug, serde::Serialize)]
struct CapitalAsked {
    fund: String,
    amount: Money,
}

#[derive(Debug, serde::Serialize)]
struct CapitalAskedAgain {
    amount: Money,
    fund: String,
}

#[test]
fn the_request_hash_is_of_canonical_json_not_debug_text() {
    let first = CapitalAsked {
        fund: "FUND-1".into(),
        amount: money("25.00"),
    };
    let again = CapitalAskedAgain {
        amount: money("25.00"),
        fund: "FUND-1".into(),
    };
    assert_ne!(format!("{first:?}"), format!("{again:?}"));
    let keyed = |request: Request| request.command.request_hash;
    let today = date("2026-01-02");
    let first_hash = keyed(Request::new("officer", today).with_key(Some("k".into()), &first));
    let again_hash = keyed(Request::new("officer", today).with_key(Some("k".into()), &again));
    assert_eq!(first_hash, again_hash);
    let canonical = br#"{"amount":"25.00","fund":"FUND-1"}"#;
    assert_eq!(first_hash, hex::encode(Sha256::digest(canonical)));
    let other = CapitalAsked {
        fund: "FUND-1".into(),
        amount: money("25.01"),
    };
    assert_ne!(
        keyed(Request::new("officer", today).with_key(Some("k".into()), &other)),
        first_hash
    );
}

/// A key recorded before the upgrade holds the hash of the request's `Debug` text: a retry
/// of that request now is still the same request (replayed, nothing written), and another
/// request with the key is still refused.
async fn a_key_recorded_with_the_old_hash_is_honoured(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let ledger = Ledger::open(test.database.clone()).await.unwrap();
    let fund = funded(&ledger, "100.00").await;
    let input = (fund.clone(), money("25.00"));
    let today = date("2026-01-02");
    let old_hash = hex::encode(Sha256::digest(format!("{input:?}").as_bytes()));
    let mut old_request = Request::new("officer", today);
    old_request.command =
        CommandContext::by("officer").with_key(Some("tranche-9".into()), old_hash);
    let first = ledger
        .receive_capital(&old_request, &fund, money("25.00"), "gift", today)
        .await
        .unwrap();
    let head = test.database.head_position().await.unwrap();
    let retry = Request::new("officer", today).with_key(Some("tranche-9".into()), &input);
    let replayed = ledger
        .receive_capital(&retry, &fund, money("25.00"), "gift", today)
        .await
        .unwrap();
    assert_eq!(replayed.position, first.position);
    assert_eq!(test.database.head_position().await.unwrap(), head);
    let other = Request::new("officer", today)
        .with_key(Some("tranche-9".into()), &(fund.clone(), money("26.00")));
    let reused = ledger
        .receive_capital(&other, &fund, money("26.00"), "gift", today)
        .await
        .unwrap_err();
    assert_eq!(reused.kind(), ErrorKind::Conflict);
    assert_eq!(test.database.head_position().await.unwrap(), head);
}

#[tokio::test]
async fn a_key_recorded_with_the_old_hash_is_honoured_on_postgres() {
    a_key_recorded_with_the_old_hash_is_honoured("postgres").await;
}

#[tokio::test]
async fn a_key_recorded_with_the_old_hash_is_honoured_on_sqlite() {
    a_key_recorded_with_the_old_hash_is_honoured("sqlite").await;
}
