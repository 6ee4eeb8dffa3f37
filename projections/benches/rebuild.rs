//! Rebuild and as-of query benchmark on PostgreSQL (printed, not asserted).
//!
//! Writes 1,000,000 events of a realistic shape (fund, rounds, and ~100,000 awards each
//! with application, approval, acceptance, drawdown, payment and reports) straight into a
//! fresh database with bulk inserts, then times, in the same run:
//! - the baseline: a plain `SELECT` streaming the same rows in commit order, no processing;
//! - `rebuild`: every read model and the hash chain from scratch (events/s);
//! - as-of queries: fund position and region/LAD totals as of random dates.
//!
//! `cargo bench -p fundledger-projections --bench rebuild` (FUNDLEDGER_BENCH_EVENTS to
//! change the size; FUNDLEDGER_TEST_POSTGRES_URL for another server).

use std::time::Instant;

use chrono::{Days, NaiveDate};
use cqrs_es::DomainEvent;
use domain::application::ApplicationEvent;
use domain::award::{AwardEvent, SpendLine};
use domain::fund::FundEvent;
use domain::round::{DecisionMode, RoundEvent, RoundTerms};
use domain::{ApplicationId, AwardId, DrawdownId, FundId, GeoCode, Money, OrgId, RoundId};
use futures::TryStreamExt;
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;
use projections::read::{self, AwardFilter, TotalsFilter};
use projections::Projector;
use sqlx::Row;

const DEFAULT_EVENTS: usize = 1_000_000;
const ROUNDS: usize = 100;
const INSERT_BATCH_ROWS: usize = 10_000;
const AS_OF_QUERIES: usize = 50;

struct EventRow {
    aggregate_type: &'static str,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    payload: String,
}

fn row<E: DomainEvent>(
    aggregate_type: &'static str,
    id: &str,
    sequence: i64,
    event: &E,
) -> EventRow {
    EventRow {
        aggregate_type,
        aggregate_id: id.to_string(),
        sequence,
        event_type: event.event_type(),
        payload: serde_json::to_string(event).unwrap(),
    }
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 4, 1)
        .unwrap()
        .checked_add_days(Days::new(offset))
        .unwrap()
}

/// The events, in the order they are written (so commit order is a valid history).
fn history(target: usize, lsoas: &[String]) -> Vec<EventRow> {
    let mut rows = Vec::with_capacity(target);
    let fund = FundId::new("FUND-BENCH");
    let award_amount = Money::pounds(5_000);
    let awards = (target - 2 - 2 * ROUNDS) / 10;
    let per_round = awards.div_ceil(ROUNDS);
    let budget = Money::pounds(5_000 * per_round as u32);
    let capital = Money::pounds(2_000_000_000);
    rows.push(row(
        "Fund",
        fund.as_str(),
        1,
        &FundEvent::FundEstablished {
            fund_id: fund.clone(),
            name: "Bench fund".into(),
            funder_org_id: OrgId::new("GB-COH-00000001"),
            funder_name: "Bench trust".into(),
            established_on: day(0),
        },
    ));
    rows.push(row(
        "Fund",
        fund.as_str(),
        2,
        &FundEvent::CapitalReceived {
            tranche_id: "CAP-1".into(),
            amount: capital,
            source: "endowment".into(),
            received_on: day(0),
            capital_received_total: capital,
            available_after: capital,
        },
    ));
    let mut available = capital;
    let mut round_ids = Vec::new();
    for index in 0..ROUNDS {
        let round_id = RoundId::new(format!("RND-{index:04}"));
        let terms = RoundTerms {
            fund_id: fund.clone(),
            name: format!("Round {index}"),
            opens_on: day(1),
            closes_on: day(700),
            eligible_areas: vec![],
            themes: vec![],
            decision_mode: DecisionMode::Panel,
            min_panel_scores: 0,
        };
        available = available.checked_sub(budget).unwrap();
        rows.push(row(
            "Fund",
            fund.as_str(),
            3 + index as i64,
            &FundEvent::RoundBudgetAllocated {
                round_id: round_id.clone(),
                budget,
                terms: terms.clone(),
                allocated_on: day(1),
                available_after: available,
            },
        ));
        rows.push(row(
            "Round",
            round_id.as_str(),
            1,
            &RoundEvent::RoundOpened {
                round_id: round_id.clone(),
                budget,
                terms,
            },
        ));
        round_ids.push(round_id);
    }
    let mut round_sequence = vec![1i64; ROUNDS];
    let mut round_awarded = vec![Money::ZERO; ROUNDS];
    for index in 0..awards {
        let round = index % ROUNDS;
        let round_id = &round_ids[round];
        let application_id = ApplicationId::new(format!("APP-{index:08}"));
        let award_id = AwardId::new(format!("AW-{index:08}"));
        let org = OrgId::new(format!("GB-CHC-{:07}", index % 20_000));
        let neighbourhood: GeoCode = lsoas[index % lsoas.len()].parse().unwrap();
        let themes = vec![["youth", "food", "elders", "arts"][index % 4].to_string()];
        let decided = day(10 + (index % 500) as u64);
        rows.push(row(
            "Application",
            application_id.as_str(),
            1,
            &ApplicationEvent::ApplicationSubmitted {
                application_id: application_id.clone(),
                round_id: round_id.clone(),
                fund_id: fund.clone(),
                applicant: org.clone(),
                applicant_name: format!("Group {org}"),
                title: "Community project".into(),
                description: "A project for the neighbourhood".into(),
                amount_requested: award_amount,
                neighbourhood: neighbourhood.clone(),
                themes: themes.clone(),
                submitted_on: day(5),
            },
        ));
        round_sequence[round] += 1;
        round_awarded[round] = round_awarded[round].plus(award_amount);
        rows.push(row(
            "Round",
            round_id.as_str(),
            round_sequence[round],
            &RoundEvent::ApplicationApproved {
                application_id: application_id.clone(),
                award_id: award_id.clone(),
                fund_id: fund.clone(),
                round_id: round_id.clone(),
                recipient_org_id: org.clone(),
                recipient_name: format!("Group {org}"),
                title: "Community project".into(),
                neighbourhood: neighbourhood.clone(),
                themes: themes.clone(),
                amount: award_amount,
                decided_on: decided,
                awarded_total: round_awarded[round],
                remaining_after: budget.saturating_sub(round_awarded[round]),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            1,
            &AwardEvent::AwardMade {
                award_id: award_id.clone(),
                application_id: application_id.clone(),
                fund_id: fund.clone(),
                round_id: round_id.clone(),
                recipient_org_id: org.clone(),
                recipient_name: format!("Group {org}"),
                title: "Community project".into(),
                neighbourhood,
                themes,
                amount: award_amount,
                awarded_on: decided,
            },
        ));
        rows.push(row(
            "Application",
            application_id.as_str(),
            2,
            &ApplicationEvent::ApprovalRecorded {
                award_id: award_id.clone(),
                amount: award_amount,
                decided_on: decided,
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            2,
            &AwardEvent::AgreementAccepted {
                accepted_on: decided + Days::new(3),
            },
        ));
        let drawdown = DrawdownId::new(format!("DD-{index:08}"));
        let paid = Money::pounds(2_500);
        rows.push(row(
            "Award",
            award_id.as_str(),
            3,
            &AwardEvent::DrawdownRequested {
                drawdown_id: drawdown.clone(),
                amount: paid,
                purpose: "first half".into(),
                requested_on: decided + Days::new(5),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            4,
            &AwardEvent::DrawdownApproved {
                drawdown_id: drawdown.clone(),
                amount: paid,
                approved_on: decided + Days::new(6),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            5,
            &AwardEvent::PaymentRecorded {
                drawdown_id: drawdown,
                amount: paid,
                payment_ref: format!("BACS-{index}"),
                paid_on: decided + Days::new(7),
                paid_total: paid,
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            6,
            &AwardEvent::SpendReported {
                report_id: format!("SPEND-{index}"),
                period_start: decided,
                period_end: decided + Days::new(90),
                lines: vec![SpendLine {
                    category: "staff".into(),
                    amount: Money::pounds(2_000),
                }],
                total: Money::pounds(2_000),
            },
        ));
        rows.push(row(
            "Award",
            award_id.as_str(),
            7,
            &AwardEvent::OutcomeReported {
                report_id: format!("OUT-{index}"),
                indicator: "people supported".into(),
                quantity: rust_decimal::Decimal::from(40),
                period_end: decided + Days::new(90),
            },
        ));
    }
    // Pad to the exact size with reports on the last award.
    let mut sequence = 8;
    let last = AwardId::new(format!("AW-{:08}", awards - 1));
    while rows.len() < target {
        rows.push(row(
            "Award",
            last.as_str(),
            sequence,
            &AwardEvent::OutcomeReported {
                report_id: format!("OUT-PAD-{sequence}"),
                indicator: "people supported".into(),
                quantity: rust_decimal::Decimal::ONE,
                period_end: day(600),
            },
        ));
        sequence += 1;
    }
    rows
}

async fn bulk_insert(db: &Database, rows: &[EventRow]) {
    let Database::Postgres(pool) = db else {
        unreachable!("the bench runs on PostgreSQL")
    };
    for chunk in rows.chunks(INSERT_BATCH_ROWS) {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT t, i, s, e, '1', p::json, '{}'::json
               FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS u(t, i, s, e, p, n)
              ORDER BY n",
        )
        .bind(chunk.iter().map(|row| row.aggregate_type.to_string()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.aggregate_id.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.sequence).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.event_type.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|row| row.payload.clone()).collect::<Vec<_>>())
        .execute(pool)
        .await
        .unwrap();
    }
}

/// The baseline: stream every event row in commit order and touch each column.
async fn plain_read(db: &Database) -> (usize, usize) {
    let Database::Postgres(pool) = db else {
        unreachable!()
    };
    let mut rows = sqlx::query(
        "SELECT position, txid::text::bigint AS txid, aggregate_type, aggregate_id, sequence, event_type,
                event_version, payload::text AS payload, metadata::text AS metadata
           FROM events ORDER BY txid, position",
    )
    .fetch(pool);
    let (mut count, mut bytes) = (0usize, 0usize);
    while let Some(row) = rows.try_next().await.unwrap() {
        let payload: &str = row.try_get("payload").unwrap();
        let id: &str = row.try_get("aggregate_id").unwrap();
        let position: i64 = row.try_get("position").unwrap();
        bytes += payload.len() + id.len() + position as usize % 2;
        count += 1;
    }
    (count, bytes)
}

fn main() {
    let events: usize = std::env::var("FUNDLEDGER_BENCH_EVENTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_EVENTS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let test = TestDatabase::postgres().await.expect("PostgreSQL for the bench");
        let db = test.database.clone();
        let geography = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/geo/england-lsoa-imd2019.csv");
        let lsoas: Vec<String> = if geography.exists() {
            let ledger = infrastructure::Ledger::open(db.clone()).await.unwrap();
            ledger.geography.import_csv(&db, &geography).await.unwrap();
            let Database::Postgres(pool) = &db else { unreachable!() };
            sqlx::query_scalar("SELECT code FROM geography WHERE level = 'lsoa' ORDER BY code")
                .fetch_all(pool)
                .await
                .unwrap()
        } else {
            (0..30_000).map(|index| format!("E01{index:06}")).collect()
        };
        println!("bench: {} areas of reference geography", lsoas.len());

        let started = Instant::now();
        let rows = history(events, &lsoas);
        bulk_insert(&db, &rows).await;
        drop(rows);
        let head = db.head_position().await.unwrap();
        assert!(db.wait_until_readable(head, std::time::Duration::from_secs(120)).await.unwrap());
        let Database::Postgres(pool) = &db else { unreachable!() };
        sqlx::query("VACUUM ANALYZE events").execute(pool).await.unwrap();
        println!("bench: wrote {} events in {:.1?}", db.event_count().await.unwrap(), started.elapsed());

        // Warm the cache once so both timed reads start from the same state.
        plain_read(&db).await;
        let started = Instant::now();
        let (count, bytes) = plain_read(&db).await;
        let plain = started.elapsed();
        let plain_rate = count as f64 / plain.as_secs_f64();
        println!("baseline: plain SELECT streamed {count} rows ({} MB) in {plain:.2?}: {plain_rate:.0} events/s", bytes / 1_000_000);

        let projector = Projector::new(db.clone());
        let report = projector.rebuild(None).await.unwrap();
        let rate = report.events_per_second();
        println!(
            "rebuild: {} events in {:.2?}: {rate:.0} events/s ({:.0}% of the plain read rate; goal ≥200,000 events/s and ≥50%)",
            report.events,
            report.elapsed,
            100.0 * rate / plain_rate
        );
        sqlx::query("ANALYZE").execute(pool).await.unwrap();

        let fund = FundId::new("FUND-BENCH");
        let lads: Vec<String> = sqlx::query_scalar("SELECT code FROM geography WHERE level = 'lad' ORDER BY code LIMIT 50")
            .fetch_all(pool)
            .await
            .unwrap();
        let mut timings = Vec::new();
        let started = Instant::now();
        for index in 0..AS_OF_QUERIES {
            let as_of = day(20 + (index as u64 * 13) % 600);
            let one = Instant::now();
            let position = read::fund_position(&db, &fund, Some(as_of)).await.unwrap().unwrap();
            timings.push(("fund position as of", one.elapsed()));
            assert!(position.awarded <= position.allocated);
        }
        for (index, lad) in lads.iter().enumerate().take(AS_OF_QUERIES) {
            let as_of = day(20 + (index as u64 * 17) % 600);
            let one = Instant::now();
            read::totals(
                &db,
                &TotalsFilter {
                    awards: AwardFilter {
                        neighbourhood: Some(lad.parse().unwrap()),
                        ..Default::default()
                    },
                    as_of: Some(as_of),
                },
            )
            .await
            .unwrap();
            timings.push(("LAD totals as of", one.elapsed()));
        }
        let one = Instant::now();
        let all = read::totals(&db, &TotalsFilter { as_of: Some(day(300)), ..Default::default() }).await.unwrap();
        timings.push(("all-England totals as of", one.elapsed()));
        println!("as-of queries: {} in {:.2?}; all-England as of {}: awarded £{}", timings.len(), started.elapsed(), day(300), all.awarded);
        for kind in ["fund position as of", "LAD totals as of", "all-England totals as of"] {
            let mut times: Vec<f64> = timings
                .iter()
                .filter(|(name, _)| *name == kind)
                .map(|(_, time)| time.as_secs_f64() * 1e3)
                .collect();
            times.sort_by(f64::total_cmp);
            if let (Some(median), Some(max)) = (times.get(times.len() / 2), times.last()) {
                println!("  {kind}: median {median:.2} ms, max {max:.2} ms over {}", times.len());
            }
        }
    });
}
