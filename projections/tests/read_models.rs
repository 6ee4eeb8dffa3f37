//! The read models against known figures, roll-ups through the geography, as-of dates,
//! verify and tamper detection, on SQLite files and the real PostgreSQL.

mod support;

use domain::{FundId, GeoLevel, RoundId};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;
use projections::read::{self, AwardFilter, NeighbourhoodOrder, NeighbourhoodQuery, TotalsFilter};
use projections::verify::verify;
use projections::Projector;
use rust_decimal_macros::dec;
use support::*;

/// A small, fixed history: capital, one round, three awards in three LSOAs (two in one
/// ward), payments, a cut, a return.
async fn fixed_history(db: &Database, geography_first: bool) -> (FundId, RoundId) {
    let test_ledger = infrastructure::Ledger::open(db.clone()).await.unwrap();
    if geography_first {
        import_geography(&test_ledger).await;
    }
    let mut world = World::default();
    run_ops(
        &test_ledger,
        &mut world,
        &[
            Op::Capital {
                pounds: 100_000,
                day: 1,
            },
            Op::OpenRound {
                pounds: 50_000,
                day: 2,
            },
            // E01012070 (ward E05000001), E01012071 (ward E05000001), E01012680 (Blackpool)
            Op::Submit {
                round: 0,
                area: 0,
                org: 0,
                pence: 1_000_000,
                day: 3,
                theme: true,
            },
            Op::Submit {
                round: 0,
                area: 1,
                org: 1,
                pence: 2_000_000,
                day: 3,
                theme: false,
            },
            Op::Submit {
                round: 0,
                area: 3,
                org: 0,
                pence: 500_000,
                day: 3,
                theme: true,
            },
            Op::Approve {
                application: 0,
                percent: 100,
                day: 10,
            },
            Op::Approve {
                application: 1,
                percent: 50,
                day: 11,
            },
            Op::Approve {
                application: 2,
                percent: 100,
                day: 12,
            },
            Op::Accept { award: 0, day: 13 },
            Op::Drawdown {
                award: 0,
                pence: 400_000,
                day: 14,
            },
            Op::ApproveDrawdown {
                drawdown: 0,
                day: 15,
            },
            Op::Pay {
                drawdown: 0,
                day: 20,
            },
            Op::Return {
                award: 0,
                pence: 100_000,
                day: 30,
            },
            Op::Vary {
                award: 1,
                percent: 80,
                day: 40,
            },
        ],
    )
    .await;
    if !geography_first {
        import_geography(&test_ledger).await;
    }
    (world.fund.unwrap(), world.rounds[0].clone())
}

async fn figures_are_right(kind: &str, geography_first: bool) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let (fund, round) = fixed_history(db, geography_first).await;
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    Projector::new(db.clone()).catch_up().await.unwrap();

    let position = read::fund_position(db, &fund, None).await.unwrap().unwrap();
    assert_eq!(position.capital_received, dec!(100000.00));
    assert_eq!(position.allocated, dec!(50000.00));
    // 10,000 + 10,000 (half of 20,000) cut to 8,000 + 5,000
    assert_eq!(position.awarded, dec!(23000.00));
    assert_eq!(position.paid, dec!(4000.00));
    assert_eq!(position.returned, dec!(1000.00));
    assert_eq!(position.disbursed, dec!(3000.00));
    assert_eq!(position.available, dec!(51000.00));
    assert_eq!(position.awarded.to_string(), "23000.00");

    // As of day 11 (2026-01-12): two awards, nothing paid.
    let then = read::fund_position(db, &fund, Some(date("2026-01-12")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(then.awarded, dec!(20000.00));
    assert_eq!(then.paid, dec!(0.00));
    assert_eq!(then.available, dec!(50000.00));

    let summary = read::round_summary(db, &round).await.unwrap().unwrap();
    assert_eq!(summary.budget, dec!(50000.00));
    assert_eq!(summary.awarded, dec!(23000.00));
    assert_eq!(summary.remaining, dec!(27000.00));
    assert_eq!(summary.applications.approved, 3);
    assert_eq!(summary.applications.total, 3);

    // Roll-up: ward E05000001 holds awards 0 and 1; LAD and region add nothing more;
    // Blackpool's award is in the other region.
    let ward = read::neighbourhood_totals(db, &geo("E05000001"), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(ward.totals.awarded, dec!(18000.00));
    assert_eq!(ward.totals.award_count, 2);
    assert_eq!(ward.totals.recipient_count, 2);
    assert_eq!(ward.totals.disbursed, dec!(3000.00));
    let lad = read::neighbourhood_totals(db, &geo("E06000002"), None, None, None, None)
        .await
        .unwrap();
    let region = read::neighbourhood_totals(db, &geo("E12000001"), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(lad.totals, ward.totals);
    assert_eq!(region.totals, ward.totals);
    assert_eq!(region.area.name.as_deref(), Some("North East"));
    let north_west = read::neighbourhood_totals(db, &geo("E12000002"), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(north_west.totals.awarded, dec!(5000.00));
    // Children of the LAD sum to the LAD.
    let children = read::children(db, &geo("E06000002")).await.unwrap();
    let mut sum = dec!(0);
    for child in &children {
        sum += read::neighbourhood_totals(db, &geo(&child.code), None, None, None, None)
            .await
            .unwrap()
            .totals
            .awarded;
    }
    assert_eq!(sum, lad.totals.awarded);
    // Filter by theme: only award 0 in this ward has "youth".
    let youth = read::neighbourhood_totals(db, &geo("E05000001"), None, None, Some("youth"), None)
        .await
        .unwrap();
    assert_eq!(youth.totals.awarded, dec!(10000.00));
    // As of day 24: paid, not yet returned or cut.
    let before_cut = read::neighbourhood_totals(
        db,
        &geo("E05000001"),
        Some(date("2026-01-25")),
        None,
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(before_cut.totals.awarded, dec!(20000.00));
    assert_eq!(before_cut.totals.returned, dec!(0.00));
    assert_eq!(before_cut.totals.paid, dec!(4000.00));

    let ranked = read::neighbourhoods(
        db,
        &NeighbourhoodQuery {
            level: Some(GeoLevel::Ward),
            within: None,
            order: NeighbourhoodOrder::AwardedDesc,
            first: 2,
            after: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(ranked.areas[0].area.code, "E05000001");
    assert_eq!(ranked.areas[0].totals.awarded, dec!(18000.00));
    assert_eq!(ranked.areas[1].area.code, "E05000003");
    assert!(ranked.has_next_page);

    let page = read::awards(
        db,
        &AwardFilter {
            neighbourhood: Some(geo("E12000001")),
            ..Default::default()
        },
        1,
        None,
    )
    .await
    .unwrap();
    assert_eq!(page.awards.len(), 1);
    assert!(page.has_next_page);
    let next = read::awards(
        db,
        &AwardFilter {
            neighbourhood: Some(geo("E12000001")),
            ..Default::default()
        },
        10,
        page.end_cursor.as_deref(),
    )
    .await
    .unwrap();
    assert_eq!(next.awards.len(), 1);
    assert!(!next.has_next_page);
    let with_drawdowns = read::award(db, &page.awards[0].award_id)
        .await
        .unwrap()
        .unwrap();
    let paid: Vec<_> = with_drawdowns
        .drawdowns
        .iter()
        .map(|d| d.status.as_str())
        .collect();
    assert!(paid.is_empty() || paid == ["paid"], "{paid:?}");

    let all = read::totals(db, &TotalsFilter::default()).await.unwrap();
    assert_eq!(all.awarded, dec!(23000.00));
    assert_eq!(all.recipient_count, 2);

    let head = read::ledger_head(db).await.unwrap();
    assert_eq!(head.events, db.event_count().await.unwrap());
    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
    assert_eq!(report.head, head.head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_and_roll_ups_are_right_on_sqlite() {
    figures_are_right("sqlite", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_and_roll_ups_are_right_on_postgres() {
    figures_are_right("postgres", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_ups_are_right_when_geography_is_loaded_after_the_awards() {
    figures_are_right("sqlite", false).await;
}
