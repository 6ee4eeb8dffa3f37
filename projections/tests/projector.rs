//! The projector's guarantees: rebuild equals live, as-of equals a fold to the date,
//! crash safety, one projector per PostgreSQL cluster with takeover, late commits,
//! tamper evidence, prompt pickup. Real SQLite files and the real PostgreSQL.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::award::AwardEvent;
use domain::fund::FundEvent;
use domain::{FundId, GeoCode};
use infrastructure::test_support::TestDatabase;
use infrastructure::{Database, LogCursor};
use projections::read::{self, AwardFilter, TotalsFilter};
use projections::verify::verify;
use projections::{ProjectionError, Projector};
use proptest::prelude::*;
use rust_decimal::Decimal;
use support::*;

const READABLE: Duration = Duration::from_secs(60);

async fn wait_readable(db: &Database) {
    let head = db.head_position().await.unwrap();
    assert!(
        db.wait_until_readable(head, READABLE).await.unwrap(),
        "log not readable up to {head}"
    );
}

async fn history(test: &TestDatabase, ops: &[Op]) -> World {
    let ledger = ledger(test).await;
    import_geography(&ledger).await;
    let mut world = World::default();
    run_ops(&ledger, &mut world, ops).await;
    world
}

fn busy_history() -> Vec<Op> {
    let mut ops = vec![
        Op::Capital {
            pounds: 400_000,
            day: 0,
        },
        Op::OpenRound {
            pounds: 100_000,
            day: 1,
        },
        Op::OpenRound {
            pounds: 50_000,
            day: 2,
        },
    ];
    for index in 0..8usize {
        ops.push(Op::Submit {
            round: index,
            area: index % AREAS.len(),
            org: index % 4,
            pence: 900_000 + index as u32,
            day: 3,
            theme: index % 2 == 0,
        });
    }
    for index in 0..8usize {
        ops.push(Op::Approve {
            application: index,
            percent: 90,
            day: 10 + index as u8,
        });
        ops.push(Op::Accept {
            award: index,
            day: 20,
        });
        ops.push(Op::Drawdown {
            award: index,
            pence: 300_000,
            day: 21,
        });
        ops.push(Op::ApproveDrawdown {
            drawdown: index,
            day: 22,
        });
        ops.push(Op::Pay {
            drawdown: index,
            day: 23 + index as u8,
        });
    }
    ops.push(Op::Return {
        award: 1,
        pence: 50_000,
        day: 40,
    });
    ops.push(Op::Vary {
        award: 2,
        percent: 50,
        day: 41,
    });
    ops.push(Op::Vary {
        award: 3,
        percent: 110,
        day: 42,
    });
    ops.push(Op::CloseRound { round: 1, day: 50 });
    // Social-return facts: a proxy, reports (one unvalued), the proxy replaced.
    ops.push(Op::SetProxy {
        indicator: 0,
        pence: 1_144,
        percent: 20,
        years: 2,
        day: 51,
    });
    for index in 0..3usize {
        ops.push(Op::Outcome {
            award: index,
            indicator: index % INDICATORS.len(),
            tenths: 125 * (index as u32 + 1),
            day: 52,
        });
    }
    ops.push(Op::SetProxy {
        indicator: 0,
        pence: 1_200,
        percent: 15,
        years: 3,
        day: 53,
    });
    ops
}

/// Dumps the live read models, rebuilds from scratch, and asserts every table is equal.
async fn assert_rebuild_equals(db: &Database) -> Vec<(String, Vec<String>)> {
    let live = dump(db).await;
    Projector::new(db.clone()).rebuild(None).await.unwrap();
    let rebuilt = dump(db).await;
    for ((table, live_rows), (_, rebuilt_rows)) in live.iter().zip(&rebuilt) {
        assert_eq!(
            live_rows, rebuilt_rows,
            "table {table} differs between live and rebuilt"
        );
    }
    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
    live
}

// ------------------------------------------------------------------ rebuild equals live

async fn rebuild_equals_live(kind: &str, ops: Vec<Op>) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    let projector = Projector::new(db.clone()).with_batch_events(7);
    let handle = projector.handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(projector.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let world = history(&test, &ops).await;
    assert!(
        handle
            .wait_for(world.last_position, READABLE)
            .await
            .unwrap(),
        "live projector did not reach the head"
    );
    wait_readable(&db).await;
    // Everything readable is projected (follow-ups may have written after the last op).
    let head = db.head_position().await.unwrap();
    assert!(handle.wait_for(head, READABLE).await.unwrap());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert_rebuild_equals(&db).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn rebuild_equals_live_on_sqlite(ops in proptest::collection::vec(op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(rebuild_equals_live("sqlite", ops));
    }
}

/// COPY's text format gives backslash, tab, newline and carriage return a meaning, and
/// `\N` means NULL: text holding them must come back from a rebuild exactly as written.
async fn text_with_copy_escapes_survives_a_rebuild(kind: &str) {
    use domain::round::DecisionMode;
    use domain::{Money, OrgId};
    use infrastructure::ledger::{OpenRound, Request, SubmitApplication};

    let tricky = "Tab\there, line\nbreak, CR\r, back\\slash, \\N, \\\\N, é ✓";
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    let ledger = ledger(&test).await;
    import_geography(&ledger).await;
    let admin = Request::new("officer-1", date("2026-01-01"));
    let funder = OrgId::new("GB-COH-00000001");
    let fund = ledger
        .establish_fund(&admin, tricky, &funder, tricky)
        .await
        .unwrap()
        .value;
    ledger
        .receive_capital(
            &admin,
            &fund,
            Money::pounds(1_000),
            tricky,
            date("2026-01-01"),
        )
        .await
        .unwrap();
    let round = ledger
        .open_round(
            &admin,
            OpenRound {
                fund_id: fund.clone(),
                name: tricky.into(),
                budget: Money::pounds(500),
                opens_on: date("2026-01-01"),
                closes_on: date("2026-12-31"),
                eligible_areas: vec![],
                themes: vec![],
                decision_mode: DecisionMode::Panel,
                min_panel_scores: 0,
                panel_sees_scores: domain::round::PanelSeesScores::default(),
            },
        )
        .await
        .unwrap()
        .value;
    let org = OrgId::new(ORGS[0]);
    ledger
        .submit_application(
            &Request::new(org.as_str(), date("2026-01-02")),
            SubmitApplication {
                round_id: round,
                applicant: org.clone(),
                applicant_name: tricky.into(),
                title: tricky.into(),
                description: tricky.into(),
                amount_requested: Money::pounds(100),
                neighbourhood: geo(AREAS[0]),
                themes: vec![tricky.into()],
            },
        )
        .await
        .unwrap();
    wait_readable(&db).await;
    Projector::new(db.clone()).catch_up().await.unwrap();
    assert_rebuild_equals(&db).await;
    let sql = "SELECT f.name || '|' || f.funder_name || '|' || r.name || '|' || a.applicant_name || '|' || a.title
                 FROM rm_funds f JOIN rm_rounds r ON r.fund_id = f.fund_id
                 JOIN rm_applications a ON a.round_id = r.round_id";
    let text: String = match &db {
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    };
    assert_eq!(text, [tricky; 5].join("|"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_with_copy_escapes_survives_a_rebuild_on_postgres() {
    text_with_copy_escapes_survives_a_rebuild("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_with_copy_escapes_survives_a_rebuild_on_sqlite() {
    text_with_copy_escapes_survives_a_rebuild("sqlite").await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn rebuild_equals_live_on_postgres(ops in proptest::collection::vec(op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(rebuild_equals_live("postgres", ops));
    }
}

// ------------------------------------------------------------------ closing an award

/// A £10,000.00 award in a £50,000.00 round of a £100,000.00 fund, £6,000.00 paid, closed
/// on day 60 (2026-03-02).
fn award_paid_in_part_then_closed() -> Vec<Op> {
    vec![
        Op::Capital {
            pounds: 100_000,
            day: 0,
        },
        Op::OpenRound {
            pounds: 50_000,
            day: 1,
        },
        Op::Submit {
            round: 0,
            area: 0,
            org: 0,
            pence: 1_000_000,
            day: 3,
            theme: true,
        },
        Op::Approve {
            application: 0,
            percent: 100,
            day: 10,
        },
        Op::Accept { award: 0, day: 20 },
        Op::Drawdown {
            award: 0,
            pence: 600_000,
            day: 21,
        },
        Op::ApproveDrawdown {
            drawdown: 0,
            day: 22,
        },
        Op::Pay {
            drawdown: 0,
            day: 23,
        },
        Op::CloseAward { award: 0, day: 60 },
    ]
}

async fn closing_an_award_releases_its_undrawn_money(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    let world = history(&test, &award_paid_in_part_then_closed()).await;
    wait_readable(&db).await;
    Projector::new(db.clone()).catch_up().await.unwrap();
    let fund = world.fund.clone().unwrap();
    let (award, _) = world.awards[0].clone();
    let pounds = |value: i64| Decimal::new(value * 100, 2);

    let now = read::fund_position(&db, &fund, None)
        .await
        .unwrap()
        .unwrap();
    // £100,000 − £50,000 allocated + £4,000 released (£10,000 awarded − £6,000 paid).
    assert_eq!(now.available, pounds(54_000), "available after the close");
    assert_eq!(now.allocated, pounds(46_000), "allocated after the close");
    assert_eq!(now.awarded, pounds(6_000), "awarded after the close");
    assert_eq!(now.paid, pounds(6_000));
    let before_close = read::fund_position(&db, &fund, Some(date("2026-03-01")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        before_close.available,
        pounds(50_000),
        "available the day before"
    );
    assert_eq!(
        before_close.awarded,
        pounds(10_000),
        "awarded the day before"
    );
    let on_close = read::fund_position(&db, &fund, Some(date("2026-03-02")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on_close.awarded, pounds(6_000), "awarded on the close date");
    assert_eq!(
        on_close.available,
        pounds(54_000),
        "available on the close date"
    );

    let record = read::award(&db, &award).await.unwrap().unwrap();
    assert_eq!(record.status, "closed");
    assert_eq!(
        record.awarded,
        pounds(6_000),
        "the award's awarded is what it cost"
    );
    let round = read::round_summary(&db, &world.rounds[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(round.awarded, pounds(6_000), "the round's awarded");
    assert_eq!(
        round.remaining,
        pounds(40_000),
        "the round's remaining is unchanged"
    );
    let area = |as_of| TotalsFilter {
        awards: AwardFilter {
            neighbourhood: Some(geo(AREAS[0])),
            ..Default::default()
        },
        as_of,
    };
    let totals = read::totals(&db, &area(None)).await.unwrap();
    assert_eq!(totals.awarded, pounds(6_000), "the area's awarded");
    let totals = read::totals(&db, &area(Some(date("2026-03-01"))))
        .await
        .unwrap();
    assert_eq!(
        totals.awarded,
        pounds(10_000),
        "the area's awarded the day before"
    );

    assert_rebuild_equals(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_award_releases_its_undrawn_money_on_sqlite() {
    closing_an_award_releases_its_undrawn_money("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_award_releases_its_undrawn_money_on_postgres() {
    closing_an_award_releases_its_undrawn_money("postgres").await;
}

// ------------------------------------------------------------------ as of = fold to date

/// Figures folded straight from the events whose business date is on or before `day`.
#[derive(Debug, Default, PartialEq)]
struct Folded {
    received: Decimal,
    allocated: Decimal,
    awarded: Decimal,
    paid: Decimal,
    returned: Decimal,
    available: Decimal,
    award_count: i64,
}

async fn fold_to(db: &Database, day: NaiveDate, areas: &[&str]) -> Folded {
    let mut folded = Folded::default();
    let mut award_area: BTreeMap<String, String> = BTreeMap::new();
    // Per award, whatever the dates: [awarded, paid, returned] and whether it is closed,
    // for what a close (or a return after one) takes off awarded.
    let mut figures: BTreeMap<String, ([Decimal; 3], bool)> = BTreeMap::new();
    let mut cursor = LogCursor::START;
    loop {
        let events = db.read_log(cursor, 1_000).await.unwrap();
        let Some(last) = events.last() else { break };
        cursor = last.cursor();
        for event in &events {
            match event.aggregate_type.as_str() {
                "Fund" => match serde_json::from_value::<FundEvent>(event.payload.clone()).unwrap()
                {
                    FundEvent::CapitalReceived {
                        amount,
                        received_on,
                        ..
                    } if received_on <= day => {
                        folded.received += amount.amount();
                        folded.available += amount.amount();
                    }
                    FundEvent::RoundBudgetAllocated {
                        budget,
                        allocated_on,
                        ..
                    } if allocated_on <= day => {
                        folded.allocated += budget.amount();
                        folded.available -= budget.amount();
                    }
                    FundEvent::RoundBudgetReleased {
                        amount,
                        released_on,
                        ..
                    } if released_on <= day => {
                        folded.allocated -= amount.amount();
                        folded.available += amount.amount();
                    }
                    FundEvent::ReturnCredited {
                        amount,
                        credited_on,
                        ..
                    } if credited_on <= day => {
                        folded.available += amount.amount();
                    }
                    _ => {}
                },
                "Award" => {
                    let award =
                        serde_json::from_value::<AwardEvent>(event.payload.clone()).unwrap();
                    if let AwardEvent::AwardMade { neighbourhood, .. } = &award {
                        award_area.insert(
                            event.aggregate_id.clone(),
                            neighbourhood.as_str().to_string(),
                        );
                    }
                    // A historic grant may name no area: it is in scope as "".
                    if let AwardEvent::HistoricGrantImported(grant) = &award {
                        award_area.insert(
                            event.aggregate_id.clone(),
                            grant
                                .neighbourhood
                                .as_ref()
                                .map(|code| code.as_str().to_string())
                                .unwrap_or_default(),
                        );
                    }
                    let drop = award_figures(
                        figures.entry(event.aggregate_id.clone()).or_default(),
                        &award,
                    );
                    let in_scope = award_area
                        .get(&event.aggregate_id)
                        .is_some_and(|area| areas.contains(&area.as_str()));
                    if !in_scope {
                        continue;
                    }
                    match award {
                        AwardEvent::AwardClosed { closed_on, .. } if closed_on <= day => {
                            folded.awarded -= drop;
                        }
                        AwardEvent::AwardMade {
                            amount, awarded_on, ..
                        } if awarded_on <= day => {
                            folded.awarded += amount.amount();
                            folded.award_count += 1;
                        }
                        AwardEvent::HistoricGrantImported(grant) if grant.awarded_on <= day => {
                            folded.awarded += grant.amount.amount();
                            folded.paid += grant
                                .disbursed
                                .map(|paid| paid.amount())
                                .unwrap_or_default();
                            folded.award_count += 1;
                        }
                        AwardEvent::AwardVaried {
                            old_amount,
                            new_amount,
                            varied_on,
                            ..
                        } if varied_on <= day => {
                            folded.awarded += new_amount.amount() - old_amount.amount();
                        }
                        AwardEvent::PaymentRecorded {
                            amount, paid_on, ..
                        } if paid_on <= day => folded.paid += amount.amount(),
                        AwardEvent::MoneyReturned {
                            amount,
                            returned_on,
                            ..
                        } if returned_on <= day => {
                            folded.returned += amount.amount();
                            folded.awarded -= drop;
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    folded
}

/// Folds one award event into the award's [awarded, paid, returned] and closed flag, and
/// returns what it takes off awarded: on the close, awarded − (paid − returned), so the
/// award counts at what it cost; on a return after the close, the return.
fn award_figures(state: &mut ([Decimal; 3], bool), event: &AwardEvent) -> Decimal {
    let (money, closed) = state;
    match event {
        AwardEvent::AwardMade { amount, .. } => money[0] += amount.amount(),
        AwardEvent::HistoricGrantImported(grant) => money[0] += grant.amount.amount(),
        AwardEvent::AwardVaried {
            old_amount,
            new_amount,
            ..
        } => money[0] += new_amount.amount() - old_amount.amount(),
        AwardEvent::PaymentRecorded { amount, .. } => money[1] += amount.amount(),
        AwardEvent::MoneyReturned { amount, .. } => {
            money[2] += amount.amount();
            if *closed {
                money[0] -= amount.amount();
                return amount.amount();
            }
        }
        AwardEvent::AwardClosed { .. } => {
            let drop = money[0] - (money[1] - money[2]);
            money[0] -= drop;
            *closed = true;
            return drop;
        }
        _ => {}
    }
    Decimal::ZERO
}

async fn as_of_equals_fold(ops: Vec<Op>, days: Vec<u8>) {
    let test = TestDatabase::sqlite().await.unwrap();
    let db = test.database.clone();
    let world = history(&test, &ops).await;
    Projector::new(db.clone())
        .with_batch_events(11)
        .catch_up()
        .await
        .unwrap();
    let fund: FundId = world.fund.unwrap();
    // The North East region holds the first three LSOAs; everything is all five.
    let north_east = ["E01012070", "E01012071", "E01012072"];
    for offset in days {
        let day = date("2026-01-01") + chrono::Days::new(u64::from(offset));
        // Every area, and historic grants that name none.
        let all: Vec<&str> = AREAS.iter().copied().chain([""]).collect();
        let everything = fold_to(&db, day, &all).await;
        let position = read::fund_position(&db, &fund, Some(day))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            position.capital_received, everything.received,
            "received as of {day}"
        );
        assert_eq!(
            position.allocated, everything.allocated,
            "allocated as of {day}"
        );
        assert_eq!(
            position.available, everything.available,
            "available as of {day}"
        );
        assert_eq!(position.awarded, everything.awarded, "awarded as of {day}");
        assert_eq!(position.paid, everything.paid, "paid as of {day}");
        assert_eq!(
            position.returned, everything.returned,
            "returned as of {day}"
        );

        let region = fold_to(&db, day, &north_east).await;
        let code: GeoCode = geo("E12000001");
        let totals = read::totals(
            &db,
            &TotalsFilter {
                awards: AwardFilter {
                    neighbourhood: Some(code),
                    ..Default::default()
                },
                as_of: Some(day),
            },
        )
        .await
        .unwrap();
        assert_eq!(totals.awarded, region.awarded, "region awarded as of {day}");
        assert_eq!(totals.paid, region.paid, "region paid as of {day}");
        assert_eq!(
            totals.returned, region.returned,
            "region returned as of {day}"
        );
        assert_eq!(
            totals.award_count, region.award_count,
            "region awards as of {day}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn as_of_totals_equal_a_fold_of_events_to_that_date(
        ops in proptest::collection::vec(op(), 1..60),
        days in proptest::collection::vec(0u8..220, 1..6),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(as_of_equals_fold(ops, days));
    }
}

// ------------------------------------------------------------------ no negative figures

/// Every published figure of the fund position and of the totals as of `day` (`None`:
/// now), by name.
async fn published_figures(
    db: &Database,
    fund: &FundId,
    day: Option<NaiveDate>,
) -> Vec<(&'static str, Decimal)> {
    let position = read::fund_position(db, fund, day).await.unwrap().unwrap();
    let totals = read::totals(
        db,
        &TotalsFilter {
            awards: AwardFilter::default(),
            as_of: day,
        },
    )
    .await
    .unwrap();
    vec![
        ("capital received", position.capital_received),
        ("allocated", position.allocated),
        ("awarded", position.awarded),
        ("paid", position.paid),
        ("returned", position.returned),
        ("disbursed", position.disbursed),
        ("available", position.available),
        ("totals awarded", totals.awarded),
        ("totals paid", totals.paid),
        ("totals returned", totals.returned),
        ("totals disbursed", totals.disbursed),
        ("totals reported spend", totals.reported_spend),
    ]
}

/// Issue 11: no published figure is negative at any as-of date. The business date only
/// moves forward, as the clock does (the steps run in order of their day); the dates a
/// caller gives (`receivedOn`, `paidOn`) are random, before or after it.
async fn figures_are_never_negative(mut ops: Vec<Op>) {
    ops.sort_by_key(Op::day);
    let test = TestDatabase::sqlite().await.unwrap();
    let db = test.database.clone();
    let world = history(&test, &ops).await;
    Projector::new(db.clone()).catch_up().await.unwrap();
    let fund: FundId = world.fund.unwrap();
    // Ops use days 0..200 (and report periods end on their day): every date they can
    // touch, one day either side.
    let days =
        (0..=u8::MAX).map(|offset| Some(date("2025-12-31") + chrono::Days::new(u64::from(offset))));
    for day in days.chain([None]) {
        for (name, value) in published_figures(&db, &fund, day).await {
            assert!(value >= Decimal::ZERO, "{name} as of {day:?} is {value}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_published_figure_is_negative_at_any_as_of_date(
        ops in proptest::collection::vec(dated_op(), 1..60),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(figures_are_never_negative(ops));
    }
}

// ------------------------------------------------------------------ crash safety

async fn crash_safety(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    history(&test, &busy_history()).await;
    wait_readable(&db).await;
    let events = db.event_count().await.unwrap();

    // Stopped between batches: a projector does two batches of 5 and is dropped.
    let first = Projector::new(db.clone()).with_batch_events(5);
    assert_eq!(first.project_batches(2).await.unwrap(), 10);
    drop(first);
    let between = dump(&db).await;
    assert_eq!(read::ledger_head(&db).await.unwrap().events, 10);

    // Dies mid-batch: the batch's writes are made in its transaction, which is dropped.
    let second = Projector::new(db.clone()).with_batch_events(7);
    assert_eq!(second.project_batch_and_crash().await.unwrap(), 7);
    drop(second);
    assert_eq!(
        dump(&db).await,
        between,
        "a dropped batch left writes behind"
    );

    // A new projector carries on from the checkpoint: nothing twice, nothing missed.
    Projector::new(db.clone())
        .with_batch_events(3)
        .catch_up()
        .await
        .unwrap();
    assert_eq!(read::ledger_head(&db).await.unwrap().events, events);
    assert_rebuild_equals(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_and_mid_batch_counts_every_event_once_on_sqlite() {
    crash_safety("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_and_mid_batch_counts_every_event_once_on_postgres() {
    crash_safety("postgres").await;
}

// ------------------------------------------------------------------ several projectors

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_projectors_racing_for_batches_never_double_count() {
    let test = TestDatabase::postgres().await.unwrap();
    let db = test.database.clone();
    history(&test, &busy_history()).await;
    wait_readable(&db).await;
    // Both call catch_up directly, bypassing the advisory lock: only the checkpoint's
    // compare-and-set stands between them and double counting.
    let race = |batch| {
        let projector = Projector::new(db.clone()).with_batch_events(batch);
        async move {
            let mut lost = 0;
            loop {
                match projector.catch_up().await {
                    Ok(_) => return lost,
                    Err(ProjectionError::LostCheckpoint { .. }) => lost += 1,
                    Err(error) => panic!("{error}"),
                }
            }
        }
    };
    let (a, b) = tokio::join!(race(3), race(4));
    println!("batches lost to the other projector: {a} and {b}");
    assert_eq!(
        read::ledger_head(&db).await.unwrap().events,
        db.event_count().await.unwrap()
    );
    assert_rebuild_equals(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_projector_leads_on_postgres_and_another_takes_over_within_seconds() {
    let test = TestDatabase::postgres().await.unwrap();
    let db = test.database.clone();
    let ledger = ledger(&test).await;
    import_geography(&ledger).await;

    let spawn = || {
        let projector = Projector::new(db.clone());
        let handle = projector.handle();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(projector.run_until_stopped(async {
            let _ = stopped.await;
        }));
        (handle, stop, task)
    };
    let (a, stop_a, task_a) = spawn();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !a.is_active() {
        assert!(
            Instant::now() < deadline,
            "first projector never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (b, stop_b, task_b) = spawn();

    let mut world = World::default();
    run_ops(&ledger, &mut world, &busy_history()[..12]).await;
    assert!(b.wait_for(world.last_position, READABLE).await.unwrap());
    assert!(
        a.is_active() && !b.is_active(),
        "exactly one projector projects"
    );

    // The leader stops (its session and lock end); the standby takes over.
    stop_a.send(()).unwrap();
    task_a.await.unwrap().unwrap();
    let stopped_at = Instant::now();
    run_ops(&ledger, &mut world, &busy_history()[12..]).await;
    assert!(b.wait_for(world.last_position, READABLE).await.unwrap());
    assert!(b.is_active());
    println!("takeover and catch-up took {:?}", stopped_at.elapsed());
    assert!(stopped_at.elapsed() < Duration::from_secs(30));

    wait_readable(&db).await;
    let head = db.head_position().await.unwrap();
    assert!(b.wait_for(head, READABLE).await.unwrap());
    stop_b.send(()).unwrap();
    task_b.await.unwrap().unwrap();
    assert_rebuild_equals(&db).await;
}

// ------------------------------------------------------------------ late commit

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_that_commits_late_is_not_skipped() {
    let test = TestDatabase::postgres().await.unwrap();
    let db = test.database.clone();
    let Database::Postgres(pool) = &db else {
        unreachable!()
    };
    let ledger = ledger(&test).await;
    import_geography(&ledger).await;

    // A writer takes an earlier place in the log and holds its transaction open…
    let mut late = pool.begin().await.unwrap();
    let payload = serde_json::json!({"FundEstablished": {
        "fund_id": "FUND-LATE", "name": "Late fund", "funder_org_id": "GB-COH-00000002",
        "funder_name": "Late trust", "established_on": "2026-01-01"}});
    let late_position: i64 = sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Fund', 'FUND-LATE', 1, 'FundEstablished', '1', $1, '{}') RETURNING position",
    )
    .bind(payload)
    .fetch_one(&mut *late)
    .await
    .unwrap();

    // …while later ones commit.
    let mut world = World::default();
    run_ops(&ledger, &mut world, &busy_history()[..6]).await;
    assert!(world.last_position > late_position);
    let projector = Projector::new(db.clone()).with_batch_events(4);
    projector.catch_up().await.unwrap();
    let handle = projector.handle();
    assert!(!handle.has_projected(late_position).await.unwrap());

    late.commit().await.unwrap();
    wait_readable(&db).await;
    projector.catch_up().await.unwrap();
    assert!(
        handle.has_projected(late_position).await.unwrap(),
        "the late event was skipped"
    );
    assert!(handle.has_projected(world.last_position).await.unwrap());
    let funds = read::funds(&db).await.unwrap();
    assert!(funds
        .iter()
        .any(|fund| fund.fund_id.as_str() == "FUND-LATE"));
    assert_eq!(
        read::ledger_head(&db).await.unwrap().events,
        db.event_count().await.unwrap()
    );
    assert_rebuild_equals(&db).await;
}

// ------------------------------------------------------------------ tamper evidence

async fn tampering(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    history(&test, &busy_history()).await;
    wait_readable(&db).await;
    Projector::new(db.clone()).catch_up().await.unwrap();
    assert!(verify(&db).await.unwrap().is_ok());

    // One read-model row edited by a penny.
    let edit_row = "UPDATE rm_awards SET paid_pence = paid_pence + 1
                     WHERE award_id = (SELECT min(award_id) FROM rm_awards)";
    // One series row edited.
    let edit_series = "UPDATE rm_fund_daily SET received_pence = received_pence - 100
                        WHERE day = (SELECT min(day) FROM rm_fund_daily)";
    // One link of the roll-up hierarchy lost: Blackpool 001A no longer counts in its ward.
    let edit_hierarchy = "DELETE FROM geography_ancestors WHERE code = 'E01012680' AND depth = 1";
    // One event's payload edited: £400,000 of capital becomes £400,001.
    let edit_event = match &db {
        Database::Postgres(_) => {
            "UPDATE events SET payload = replace(payload::text, '\"400000.00\"', '\"400001.00\"')::json
              WHERE event_type = 'CapitalReceived'"
        }
        Database::Sqlite(_) => {
            "UPDATE events SET payload = replace(payload, '\"400000.00\"', '\"400001.00\"')
              WHERE event_type = 'CapitalReceived'"
        }
    };
    for (edit, expect) in [
        (edit_row, "rm_awards"),
        (edit_series, "rm_fund_daily"),
        (edit_hierarchy, "geography_ancestors"),
        (edit_event, "hash chain"),
    ] {
        let changed = match &db {
            Database::Postgres(pool) => sqlx::query(edit)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            Database::Sqlite(pool) => sqlx::query(edit)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        };
        assert_eq!(changed, 1, "{edit}");
        let report = verify(&db).await.unwrap();
        assert!(!report.is_ok(), "verify passed after: {edit}");
        assert!(
            report.mismatches[0].contains(expect),
            "{:?}",
            report.mismatches
        );
        // Repair; the next edit must be caught on its own.
        match expect {
            "hash chain" => {}
            // Derived from the reference geography: any import rewrites it.
            "geography_ancestors" => db.upsert_areas(&[]).await.unwrap(),
            _ => {
                Projector::new(db.clone()).rebuild(None).await.unwrap();
            }
        }
        if expect != "hash chain" {
            assert!(verify(&db).await.unwrap().is_ok());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fails_on_an_edited_event_or_read_model_row_on_sqlite() {
    tampering("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fails_on_an_edited_event_or_read_model_row_on_postgres() {
    tampering("postgres").await;
}

// ------------------------------------------------------------------ restore, pickup

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_restored_from_a_logical_dump_is_refused() {
    let test = TestDatabase::postgres().await.unwrap();
    let db = test.database.clone();
    history(&test, &busy_history()[..4]).await;
    wait_readable(&db).await;
    let Database::Postgres(pool) = &db else {
        unreachable!()
    };
    // What a dump from an older, busier cluster looks like in a fresh one: txids ahead of
    // this cluster's counter.
    sqlx::query(
        "UPDATE events SET txid = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000 + position)::text::xid8",
    )
    .execute(pool)
    .await
    .unwrap();
    let error = Projector::new(db.clone()).rebuild(None).await.unwrap_err();
    assert!(
        matches!(error, ProjectionError::LogicalRestoreDetected { .. }),
        "{error}"
    );
}

/// The whole log in its order, as (epoch, position): every stored event on a restored
/// log not yet repaired, the readable log otherwise.
async fn log_order(db: &Database, restored: bool) -> Vec<(i64, i64)> {
    let mut cursor = LogCursor::START;
    let mut order = Vec::new();
    loop {
        let events = if restored {
            db.read_restored_log(cursor, 1000).await.unwrap()
        } else {
            db.read_log(cursor, 1000).await.unwrap()
        };
        let Some(last) = events.last() else {
            return order;
        };
        cursor = last.cursor();
        order.extend(events.iter().map(|event| (event.epoch, event.position)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_log_refuses_writes_until_repaired_then_keeps_its_order_and_projects_new_writes()
{
    use infrastructure::ledger::{ErrorKind, Request};
    use infrastructure::{LogOrder, RepairOutcome};
    let test = TestDatabase::postgres().await.unwrap();
    let db = test.database.clone();
    history(&test, &busy_history()[..4]).await;
    wait_readable(&db).await;
    let Database::Postgres(pool) = &db else {
        unreachable!()
    };
    // A dump of a busier cluster in a fresh one: the same order, every txid ahead of
    // this cluster's counter.
    sqlx::query(
        "UPDATE events SET txid = (txid::text::bigint + 1000000
                                   + pg_snapshot_xmax(pg_current_snapshot())::text::bigint)::text::xid8",
    )
    .execute(pool)
    .await
    .unwrap();
    assert!(matches!(
        db.log_order().await.unwrap(),
        LogOrder::RestoredAhead { .. }
    ));
    let restored = log_order(&db, true).await;
    let head = db.head_position().await.unwrap();
    assert_eq!(restored.len() as i64, db.event_count().await.unwrap());

    // Every write is refused, with the repair command named, and nothing is written.
    let ledger = support::ledger(&test).await;
    let refused = ledger
        .establish_fund(
            &Request::new("officer-1", support::day_of(5)),
            "Written behind the restored log",
            &domain::OrgId::new(support::FUNDER),
            "Test trust",
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::NeedsRepair, "{refused}");
    assert!(
        refused.to_string().contains("repair-restored-log"),
        "{refused}"
    );
    assert_eq!(db.head_position().await.unwrap(), head);

    let key = projections::projector::PROJECTOR_LOCK_KEY;
    let RepairOutcome::Repaired { events, epoch, .. } = db.repair_restored_log(key).await.unwrap()
    else {
        panic!("the restored log was not repaired")
    };
    assert_eq!((events, epoch), (restored.len() as i64, 1));
    assert_eq!(
        db.repair_restored_log(key).await.unwrap(),
        RepairOutcome::NothingToRepair,
        "a second repair changes nothing"
    );
    assert_eq!(db.log_order().await.unwrap(), LogOrder::Safe);
    // The restored events read in the same order, whatever their txids.
    assert_eq!(log_order(&db, false).await, restored);

    // A new write sorts after every restored event and is projected; verify agrees.
    let established = ledger
        .establish_fund(
            &Request::new("officer-1", support::day_of(5)),
            "Written after the repair",
            &domain::OrgId::new(support::FUNDER),
            "Test trust",
        )
        .await
        .unwrap();
    wait_readable(&db).await;
    let after = log_order(&db, false).await;
    assert_eq!(after[..restored.len()], restored[..]);
    assert_eq!(after[restored.len()..], [(1, established.position)]);
    Projector::new(db.clone()).catch_up().await.unwrap();
    let report = verify(&db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
    assert_eq!(report.projected as usize, restored.len() + 1);
}

async fn prompt_pickup(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = test.database.clone();
    let ledger = ledger(&test).await;
    let projector = Projector::new(db.clone());
    let handle = projector.handle();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(projector.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let mut world = World::default();
    run_ops(&ledger, &mut world, &[]).await;
    assert!(handle
        .wait_for(world.last_position, READABLE)
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut slowest = Duration::ZERO;
    for pounds in 1..=5 {
        run_ops(&ledger, &mut world, &[Op::Capital { pounds, day: 1 }]).await;
        let written = Instant::now();
        assert!(handle
            .wait_for(world.last_position, READABLE)
            .await
            .unwrap());
        slowest = slowest.max(written.elapsed());
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    println!("{kind}: slowest pickup at rest {slowest:?}");
    // 100 ms is the goal at rest; other tests share the machine (and on PostgreSQL the
    // cluster's xmin), so the assertion leaves room.
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    let lag = handle.lag().await.unwrap();
    assert_eq!(lag.events_behind, 0, "{lag:?}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_projected_promptly_on_sqlite() {
    prompt_pickup("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_projected_promptly_on_postgres() {
    prompt_pickup("postgres").await;
}
