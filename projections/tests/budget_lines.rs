//! Budget lines in the read models: planned and spent per award × category as of any date,
//! the spend-above-paid flag, the roll-ups, live fold = rebuild, and `verify` (which also
//! names an edited row), on SQLite files and the real PostgreSQL.
//!
//! Worked figures (days after 2026-01-01). A £10,000 award (made day 10) gets Food £6,000
//! and Rent £4,000 on day 10 and is accepted on day 11; £3,000 paid on day 12. Spend:
//! Food £1,000.00 for days 12–20; Food £2,500.50 and rent £500.00 for days 21–40. Cut on
//! day 50 to £8,000 with Food £5,000 and Rent £3,000.
//!
//! - as of day 9: nothing. Day 10: Food 6,000.00/0.00, Rent 4,000.00/0.00.
//! - day 20: Food 6,000.00/1,000.00 (variance 5,000.00); spent 1,000.00 ≤ paid 3,000.00.
//! - day 40: Food 6,000.00/3,500.50 (2,499.50), Rent 4,000.00/500.00 (3,500.00); spent
//!   4,000.50 > paid 3,000.00: flagged.
//! - day 50 on: Food 5,000.00/3,500.50 (1,499.50), Rent 3,000.00/500.00 (2,500.00).

mod support;

use domain::award::BudgetLine;
use domain::{AwardId, GeoCode, OrgId};
use infrastructure::ledger::{Ledger, Request};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;
use projections::budget_lines::{awards_spent_above_paid, budget_lines, BudgetScope};
use projections::verify::verify;
use projections::Projector;
use rust_decimal::Decimal;
use support::*;

fn line(category: &str, amount: &str) -> BudgetLine {
    BudgetLine {
        category: category.to_string(),
        amount: money(amount),
    }
}

fn spend(category: &str, amount: &str) -> domain::award::SpendLine {
    domain::award::SpendLine {
        category: category.to_string(),
        amount: money(amount),
    }
}

/// The history above; returns the award and its recipient.
async fn history(ledger: &Ledger) -> (AwardId, OrgId) {
    let mut world = World::default();
    run_ops(
        ledger,
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
        ],
    )
    .await;
    let (award, org) = world.awards[0].clone();
    let officer = |day: u8| Request::new("officer-1", day_of(day));
    let grantee = |day: u8| Request::new(org.as_str(), day_of(day));
    ledger
        .set_budget_lines(
            &officer(10),
            &award,
            vec![line("Food", "6000.00"), line("Rent", "4000.00")],
        )
        .await
        .unwrap();
    ledger
        .accept_agreement(&grantee(11), &award, &org)
        .await
        .unwrap();
    let drawdown = ledger
        .request_drawdown(
            &grantee(12),
            &award,
            &org,
            money("3000.00"),
            "first quarter",
        )
        .await
        .unwrap()
        .value;
    ledger
        .approve_drawdown(&officer(12), &award, &drawdown)
        .await
        .unwrap();
    ledger
        .record_payment(&officer(12), &award, &drawdown, "BACS-1", day_of(12))
        .await
        .unwrap();
    ledger
        .report_spend(
            &grantee(20),
            &award,
            &org,
            day_of(12),
            day_of(20),
            vec![spend("Food", "1000.00")],
        )
        .await
        .unwrap();
    ledger
        .report_spend(
            &grantee(45),
            &award,
            &org,
            day_of(21),
            day_of(40),
            vec![spend("food", "2500.50"), spend("rent", "500.00")],
        )
        .await
        .unwrap();
    ledger
        .vary_award(
            &officer(50),
            &award,
            money("8000.00"),
            "smaller hall",
            Some(vec![line("Food", "5000.00"), line("Rent", "3000.00")]),
        )
        .await
        .unwrap();
    (award, org)
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn lines_as_of(
    db: &Database,
    scope: &BudgetScope,
    day: Option<u8>,
) -> Vec<(String, Decimal, Decimal, Decimal)> {
    budget_lines(db, scope, day.map(day_of))
        .await
        .unwrap()
        .into_iter()
        .map(|line| {
            (
                line.category.clone(),
                line.planned,
                line.spent,
                line.variance(),
            )
        })
        .collect()
}

fn row(
    category: &str,
    planned: &str,
    spent: &str,
    variance: &str,
) -> (String, Decimal, Decimal, Decimal) {
    (category.to_string(), d(planned), d(spent), d(variance))
}

async fn figures_are_right(db: &Database, award: &AwardId) {
    let scope = BudgetScope::Award(award.clone());
    assert_eq!(lines_as_of(db, &scope, Some(9)).await, vec![]);
    assert_eq!(
        lines_as_of(db, &scope, Some(10)).await,
        vec![
            row("Food", "6000.00", "0.00", "6000.00"),
            row("Rent", "4000.00", "0.00", "4000.00")
        ]
    );
    assert_eq!(
        lines_as_of(db, &scope, Some(20)).await,
        vec![
            row("Food", "6000.00", "1000.00", "5000.00"),
            row("Rent", "4000.00", "0.00", "4000.00")
        ]
    );
    assert_eq!(
        awards_spent_above_paid(db, &scope, Some(day_of(20)))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        lines_as_of(db, &scope, Some(40)).await,
        vec![
            row("Food", "6000.00", "3500.50", "2499.50"),
            row("Rent", "4000.00", "500.00", "3500.00")
        ]
    );
    assert_eq!(
        awards_spent_above_paid(db, &scope, Some(day_of(40)))
            .await
            .unwrap(),
        1
    );
    let now = vec![
        row("Food", "5000.00", "3500.50", "1499.50"),
        row("Rent", "3000.00", "500.00", "2500.00"),
    ];
    assert_eq!(lines_as_of(db, &scope, Some(50)).await, now);
    assert_eq!(lines_as_of(db, &scope, None).await, now);
    // The roll-ups hold the one award: its LSOA, ward, district and region; not Blackpool.
    for area in ["E01012070", "E05000001", "E06000002", "E12000001"] {
        let code: GeoCode = area.parse().unwrap();
        assert_eq!(
            lines_as_of(db, &BudgetScope::Area(code), None).await,
            now,
            "{area}"
        );
    }
    let blackpool: GeoCode = "E06000009".parse().unwrap();
    assert_eq!(
        lines_as_of(db, &BudgetScope::Area(blackpool), None).await,
        vec![]
    );
}

async fn budget_lines_project_rebuild_and_verify(kind: &str) {
    let test = TestDatabase::of_kind(kind).await.unwrap();
    let db = &test.database;
    let ledger = ledger(&test).await;
    import_geography(&ledger).await;
    let (award, _) = history(&ledger).await;
    let head = db.head_position().await.unwrap();
    assert!(db
        .wait_until_readable(head, std::time::Duration::from_secs(30))
        .await
        .unwrap());
    let projector = Projector::new(db.clone());
    projector.catch_up().await.unwrap();
    figures_are_right(db, &award).await;
    let round = ledger
        .award(&award)
        .await
        .unwrap()
        .round_id()
        .cloned()
        .unwrap();
    let by_round = lines_as_of(db, &BudgetScope::Round(round), None).await;
    assert_eq!(
        by_round,
        lines_as_of(db, &BudgetScope::Award(award.clone()), None).await
    );
    let report = verify(db).await.unwrap();
    assert!(report.is_ok(), "{:?}", report.mismatches);

    let live = dump(db).await;
    projector.rebuild(None).await.unwrap();
    assert_eq!(dump(db).await, live, "rebuild equals the live fold");
    figures_are_right(db, &award).await;

    // An edited row is named.
    match db {
        Database::Postgres(pool) => {
            sqlx::query("UPDATE rm_budget_line_daily SET spent_pence = spent_pence + 1 WHERE spent_pence > 0")
                .execute(pool)
                .await
                .unwrap();
        }
        Database::Sqlite(pool) => {
            sqlx::query("UPDATE rm_budget_line_daily SET spent_pence = spent_pence + 1 WHERE spent_pence > 0")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let report = verify(db).await.unwrap();
    assert!(
        report
            .mismatches
            .iter()
            .any(|m| m.contains("rm_budget_line_daily")),
        "{:?}",
        report.mismatches
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_lines_project_rebuild_and_verify_on_sqlite() {
    budget_lines_project_rebuild_and_verify("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_lines_project_rebuild_and_verify_on_postgres() {
    budget_lines_project_rebuild_and_verify("postgres").await;
}
