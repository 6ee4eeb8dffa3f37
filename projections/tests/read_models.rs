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
            as_of: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(ranked.areas[0].area.code, "E05000001");
    assert_eq!(ranked.areas[0].totals.awarded, dec!(18000.00));
    assert_eq!(ranked.areas[1].area.code, "E05000003");
    assert!(ranked.has_next_page);
    // Within an area and as of a day (the area page's map): each area's own totals then.
    let within = read::neighbourhoods(
        db,
        &NeighbourhoodQuery {
            level: Some(GeoLevel::Ward),
            within: Some(geo("E06000002")),
            order: NeighbourhoodOrder::AwardedDesc,
            first: 10,
            after: None,
            as_of: Some(date("2026-01-25")),
        },
    )
    .await
    .unwrap();
    assert_eq!(within.areas[0].area.code, "E05000001");
    assert_eq!(within.areas[0].totals, before_cut.totals);
    // Within an area at every level, now: each area listed has its own totals (the
    // roll-up reaches the areas listed, all of them and only their awards).
    let every_level = read::neighbourhoods(
        db,
        &NeighbourhoodQuery {
            level: None,
            within: Some(geo("E06000002")),
            order: NeighbourhoodOrder::CodeAsc,
            first: 100,
            after: None,
            as_of: None,
        },
    )
    .await
    .unwrap();
    assert!(every_level.areas.len() > 2, "{every_level:?}");
    for listed in &every_level.areas {
        let own = read::neighbourhood_totals(db, &geo(&listed.area.code), None, None, None, None)
            .await
            .unwrap();
        assert_eq!(listed.totals, own.totals, "{}", listed.area.code);
    }

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

// ------------------------------------------------------------------ social return, equity

async fn social_return_and_equity_are_right(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let (fund, round) = fixed_history(db, true).await;
    let ledger = infrastructure::Ledger::open(db.clone()).await.unwrap();
    let mut world = World {
        fund: Some(fund.clone()),
        ..World::default()
    };
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    Projector::new(db.clone()).catch_up().await.unwrap();
    let awards = read::awards(db, &AwardFilter::default(), 10, None)
        .await
        .unwrap()
        .awards;
    // fixed_history's awards by neighbourhood: E01012070 (org 0, £10,000, £3,000 net paid),
    // E01012071 (org 1, cut to £8,000), E01012680 (org 0, £5,000).
    let by_area = |code: &str| {
        awards
            .iter()
            .find(|award| award.neighbourhood.as_deref() == Some(code))
            .map(|award| {
                (
                    award.award_id.clone(),
                    domain::OrgId::new(award.recipient_org_id.as_str()),
                )
            })
            .unwrap()
    };
    world.awards = vec![by_area("E01012070"), by_area("E01012680")];
    run_ops(
        &ledger,
        &mut world,
        &[
            // An earlier proxy for the same indicator, replaced below.
            Op::SetProxy {
                indicator: 0,
                pence: 99_999,
                percent: 50,
                years: 5,
                day: 50,
            },
            // volunteer_hours: £10.00, deadweight 0.10, attribution 0.05, displacement 0,
            // drop-off 0.10, 2 years.
            Op::SetProxy {
                indicator: 0,
                pence: 1_000,
                percent: 10,
                years: 2,
                day: 51,
            },
            // 60.0 + 40.0 volunteer hours on the paid award.
            Op::Outcome {
                award: 0,
                indicator: 0,
                tenths: 600,
                day: 60,
            },
            Op::Outcome {
                award: 0,
                indicator: 0,
                tenths: 400,
                day: 61,
            },
            // 12.5 trees on the Blackpool award: no proxy, so refused.
            Op::Outcome {
                award: 1,
                indicator: 2,
                tenths: 125,
                day: 62,
            },
        ],
    )
    .await;
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    Projector::new(db.clone()).catch_up().await.unwrap();

    // gross = 100 × £10 = 1,000; impact = 1,000 × 0.9 × 0.95 = 855.
    // 855 / 1.035 = 826.086956…; 855 × 0.9 = 769.5 / 1.071225 = 718.336483…
    // PV = 1,544.423440… → £1,544.42; invested £4,000 paid − £1,000 returned = £3,000.
    // Low (0.2, 0.15, 0.1, drop-off 0.2): 612 / 1.035 + 489.6 / 1.071225 = 1,048.351186…
    // High (0, 0 clamped, 0, 0): 1,000 / 1.035 + 1,000 / 1.071225 = 1,899.694275…
    let fund_scope = read::SocialReturnScope::Fund(fund.clone());
    let account = read::social_return(db, &fund_scope).await.unwrap().unwrap();
    assert_eq!(account.invested, dec!(3000.00));
    assert_eq!(account.social_value, dec!(1544.42));
    assert_eq!(account.low, dec!(1048.35));
    assert_eq!(account.high, dec!(1899.69));
    assert_eq!(account.ratio, Some(dec!(0.51)));
    assert_eq!(account.ratio_low, Some(dec!(0.35)));
    assert_eq!(account.ratio_high, Some(dec!(0.63)));
    // The trees report was refused (the fund has no proxy for trees_planted), so only
    // the valued indicator has a line.
    assert_eq!(account.lines.len(), 1);
    let hours = &account.lines[0];
    assert_eq!(hours.quantity, dec!(100));
    assert_eq!(hours.reports, 2);
    assert_eq!(hours.gross, dec!(1000.00));
    assert_eq!(hours.impact, dec!(855.00));
    assert_eq!(
        hours.proxy.as_ref().unwrap().value_per_unit.to_string(),
        "£10.00"
    );
    assert_eq!(
        read::social_return(db, &read::SocialReturnScope::Round(round))
            .await
            .unwrap()
            .unwrap(),
        account
    );
    // Middlesbrough (through its wards) holds the paid award; Blackpool none (its trees
    // report was refused).
    let middlesbrough = read::SocialReturnScope::Neighbourhood("E06000002".parse().unwrap());
    let local = read::social_return(db, &middlesbrough)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.social_value, dec!(1544.42));
    assert_eq!(local.lines.len(), 1);
    let blackpool = read::SocialReturnScope::Neighbourhood("E06000009".parse().unwrap());
    let seaside = read::social_return(db, &blackpool).await.unwrap().unwrap();
    assert_eq!((seaside.invested, seaside.ratio), (dec!(0.00), None));
    assert!(seaside.lines.is_empty());
    let nowhere = read::SocialReturnScope::Award(domain::AwardId::new("AW-NONE"));
    assert_eq!(read::social_return(db, &nowhere).await.unwrap(), None);

    // Equity: decile 1 = E01012070 (1,500) + E01012680 (1,400), £10,000 + £5,000;
    // decile 2 = E01012071 (1,600), £8,000; decile 3 = E01012072 (1,700), nothing.
    let equity = read::equity(db, &fund).await.unwrap().unwrap();
    assert_eq!(equity.local_authorities, vec!["E06000002", "E06000009"]);
    assert_eq!(equity.groups.len(), 10, "no award without a decile");
    let group = |decile: usize| {
        let group = &equity.groups[decile - 1];
        (
            group.population,
            group.awarded,
            group.awarded_per_head,
            group.award_count,
        )
    };
    // 15,000 / 2,900 = 5.1724… → £5.17
    assert_eq!(group(1), (Some(2900), dec!(15000.00), Some(dec!(5.17)), 2));
    assert_eq!(group(2), (Some(1600), dec!(8000.00), Some(dec!(5.00)), 1));
    assert_eq!(group(3), (Some(1700), dec!(0.00), Some(dec!(0.00)), 0));
    assert_eq!(group(4), (Some(0), dec!(0.00), None, 0));
    assert_eq!(
        read::equity(db, &FundId::new("FUND-NONE")).await.unwrap(),
        None
    );

    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_return_and_equity_are_right_on_sqlite() {
    social_return_and_equity_are_right("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_return_and_equity_are_right_on_postgres() {
    social_return_and_equity_are_right("postgres").await;
}

// ------------------------------------------------------------------ old event versions

/// Rewrites the fund's first `CapitalReceived` as version 0 stored it (`date`, not
/// `received_on`): the shape `infrastructure::upcast` brings to version 1.
async fn store_capital_received_as_version_0(db: &Database) -> String {
    // On PostgreSQL another test's open transaction holds the whole cluster's log back.
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    let first = db
        .read_log(infrastructure::LogCursor::START, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|event| event.event_type == "CapitalReceived")
        .expect("the history receives capital");
    let mut payload = first.payload.clone();
    let fields = payload["CapitalReceived"].as_object_mut().unwrap();
    let received_on = fields.remove("received_on").unwrap();
    fields.insert("date".into(), received_on);
    let text = payload.to_string();
    let sql = match db {
        Database::Postgres(_) => {
            "UPDATE events SET event_version = '0', payload = $1::jsonb WHERE position = $2"
        }
        Database::Sqlite(_) => {
            "UPDATE events SET event_version = '0', payload = $1 WHERE position = $2"
        }
    };
    let updated = match db {
        Database::Postgres(pool) => sqlx::query(sql)
            .bind(&text)
            .bind(first.position)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        Database::Sqlite(pool) => sqlx::query(sql)
            .bind(&text)
            .bind(first.position)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(updated, 1);
    first.aggregate_id
}

async fn version_0_events_load_project_and_verify(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    fixed_history(db, true).await;
    let fund = FundId::new(store_capital_received_as_version_0(db).await);
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    // The command path: a new ledger (empty cache) folds the fund from its events, the
    // old one included, and the next capital adds to the £100,000 it recorded.
    let ledger = infrastructure::Ledger::open(db.clone()).await.unwrap();
    assert_eq!(
        ledger.fund(&fund).await.unwrap().capital_received(),
        money("100000")
    );
    let mut world = World {
        fund: Some(fund.clone()),
        ..World::default()
    };
    run_ops(
        &ledger,
        &mut world,
        &[Op::Capital {
            pounds: 25,
            day: 30,
        }],
    )
    .await;
    assert_eq!(
        ledger.fund(&fund).await.unwrap().capital_received(),
        money("100025")
    );
    // The projections (a full rebuild: the text path) and verify (the Value path).
    let projector = Projector::new(db.clone());
    projector.rebuild(None).await.unwrap();
    let position = read::fund_position(db, &fund, None).await.unwrap().unwrap();
    assert_eq!(position.capital_received, dec!(100025.00));
    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_0_events_load_project_and_verify_on_sqlite() {
    version_0_events_load_project_and_verify("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_0_events_load_project_and_verify_on_postgres() {
    version_0_events_load_project_and_verify("postgres").await;
}

// ------------------------------------------------------------------ priority lists by date

/// A list declared on day 5 and replaced on day 20: as of day 3 there is none, as of day 10
/// the first, as of day 25 and now the second; a rebuild gives the same rows and `verify`
/// agrees.
async fn a_priority_list_is_the_one_in_force_on_the_date(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let ledger = infrastructure::Ledger::open(db.clone()).await.unwrap();
    import_geography(&ledger).await;
    let mut world = World::default();
    run_ops(&ledger, &mut world, &[]).await;
    let fund = world.fund.clone().unwrap();
    for (day, area) in [(5, "E01012070"), (20, "E01012071")] {
        let request = infrastructure::ledger::Request::new("officer-1", day_of(day));
        let list = infrastructure::ledger::DeclarePriorityAreas {
            fund_id: fund.clone(),
            list_name: "Focus".into(),
            areas: vec![geo(area)],
        };
        ledger.declare_priority_areas(&request, list).await.unwrap();
    }
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    Projector::new(db.clone()).catch_up().await.unwrap();
    let in_force = |day: Option<u8>| {
        let fund = fund.clone();
        async move {
            projections::priority_areas::priority_lists(db, &fund, day.map(day_of))
                .await
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|list| (list.declared_on, list.areas))
                .collect::<Vec<_>>()
        }
    };
    let first = (day_of(5).to_string(), vec!["E01012070".to_string()]);
    let second = (day_of(20).to_string(), vec!["E01012071".to_string()]);
    assert_eq!(in_force(Some(3)).await, vec![]);
    assert_eq!(in_force(Some(10)).await, vec![first.clone()]);
    assert_eq!(in_force(Some(20)).await, vec![second.clone()]);
    assert_eq!(in_force(None).await, vec![second]);
    let live = dump(db).await;
    Projector::new(db.clone()).rebuild(None).await.unwrap();
    assert_eq!(dump(db).await, live, "a rebuild writes the same rows");
    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_list_is_the_one_in_force_on_the_date_on_sqlite() {
    a_priority_list_is_the_one_in_force_on_the_date("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_list_is_the_one_in_force_on_the_date_on_postgres() {
    a_priority_list_is_the_one_in_force_on_the_date("postgres").await;
}
