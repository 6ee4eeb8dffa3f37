//! Loads a large synthetic history into an empty PostgreSQL store for the load benchmark
//! (issue 4 §5: "with 1,000,000 events loaded"): the real England reference geography
//! when ../shared/geo has it (else the demo geography), then `--events` events of a
//! realistic shape (projections::synthetic: one fund, 100 rounds, ~N/10 awards of £5,000
//! across the LSOAs, each applied for, approved, accepted, drawn down, paid and reported).
//! Bulk inserts, not the command path: the command path's own speed is measured apart.
//!
//! Afterwards it prints `AWARD_ID ORG_ID` for the first `--print-awards` awards, accepted
//! and with £2,500.00 undrawn, for the drawdown run.
//!
//! `DATABASE_URL=postgres://… fundledger-seed --events 1000000 --geography FILE.csv`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use infrastructure::ledger::PROCESS_MANAGER_READER;
use infrastructure::notifications::NOTIFIER_READER;
use infrastructure::{Database, Ledger, LogCursor};
use projections::synthetic;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Reference geography CSV whose LSOAs the awards are spread over.
    #[arg(long)]
    geography: PathBuf,
    /// How many `AWARD_ID ORG_ID` lines to print for the drawdown run.
    #[arg(long, default_value_t = 0)]
    print_awards: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.events >= 10_000, "--events must be at least 10,000");
    let database = Database::connect_url(&args.database_url).await?;
    anyhow::ensure!(
        database.is_empty().await?,
        "the store already holds events; seed an empty one"
    );
    let started = Instant::now();
    let ledger = Ledger::open(database.clone()).await?;
    ledger
        .geography
        .import_csv(&database, &args.geography)
        .await
        .with_context(|| format!("importing {}", args.geography.display()))?;
    let Database::Postgres(pool) = &database else {
        anyhow::bail!("the seed writes to PostgreSQL only");
    };
    let mut lsoas: Vec<String> =
        sqlx::query_scalar("SELECT code FROM geography WHERE level = 'lsoa' ORDER BY code")
            .fetch_all(pool)
            .await?;
    if lsoas.is_empty() {
        lsoas = (0..30_000).map(|index| format!("E01{index:06}")).collect();
    }
    let rows = synthetic::history(args.events, &lsoas);
    synthetic::bulk_insert(&database, &rows).await?;
    drop(rows);
    let head = database.head_position().await?;
    anyhow::ensure!(
        database
            .wait_until_readable(head, Duration::from_secs(120))
            .await?,
        "the seeded events did not become readable"
    );
    // The synthetic history is complete: every step that spans aggregates has both halves.
    // Mark it so for the process manager, which otherwise re-checks each one on first start
    // (a command-path history advances this checkpoint as it goes); and it is history
    // nobody is to be mailed about, as after an upgrade (migration 0018), so the notifier
    // starts at its head too rather than read the million events during the measurements.
    let (txid, position): (i64, i64) = sqlx::query_as(
        "SELECT txid::text::bigint, position FROM events ORDER BY txid DESC, position DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let last_seeded = LogCursor {
        epoch: 0,
        txid,
        position,
    };
    for reader in [PROCESS_MANAGER_READER, NOTIFIER_READER] {
        database.save_checkpoint(reader, last_seeded).await?;
    }
    sqlx::query("VACUUM ANALYZE events").execute(pool).await?;
    eprintln!(
        "seeded {} events over {} areas in {:.1?}",
        database.event_count().await?,
        lsoas.len(),
        started.elapsed()
    );
    for index in 0..args.print_awards {
        let (award, org) = synthetic::award_and_recipient(index);
        println!("{award} {org}");
    }
    Ok(())
}
