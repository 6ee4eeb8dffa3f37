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

use domain::FundId;
use futures::TryStreamExt;
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;
use projections::read::{self, AwardFilter, TotalsFilter};
use projections::synthetic::{bulk_insert, day, history, FUND_ID};
use projections::Projector;
use sqlx::Row;

/// The allocator of the `fundledger` binary, so the bench measures what `fundledger
/// rebuild` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_EVENTS: usize = 1_000_000;
const AS_OF_QUERIES: usize = 50;

/// The baseline: stream every event row in commit order and touch each column.
async fn plain_read(db: &Database) -> (usize, usize) {
    let Database::Postgres(pool) = db else {
        unreachable!()
    };
    let mut rows = sqlx::query(
        "SELECT position, txid::text::bigint AS txid, aggregate_type, aggregate_id, sequence, event_type,
                event_version, payload::text AS payload, metadata::text AS metadata
           FROM events ORDER BY log_epoch, txid, position",
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
        bulk_insert(&db, &rows).await.unwrap();
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
        let phases = report.phases;
        println!(
            "  phases: read+fold {:.2?} (parse+decode thread busy {:.2?}; fold thread: waiting {:.2?}, hash {:.2?}, apply {:.2?}); encode {:.2?}; write {:.2?} (truncate {:.2?}, copy {:.2?}, index builds {:.2?}, analyze {:.2?}, commit {:.2?}); catch-up {:.2?}",
            phases.fold,
            phases.parse_and_decode,
            phases.waiting_for_events,
            phases.hash,
            phases.apply,
            phases.encode,
            phases.write,
            phases.truncate,
            phases.copy,
            phases.index_builds,
            phases.analyze,
            phases.commit,
            phases.catch_up
        );
        sqlx::query("ANALYZE").execute(pool).await.unwrap();

        let fund = FundId::new(FUND_ID);
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
