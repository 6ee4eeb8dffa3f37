//! Commands per second on PostgreSQL, beside the raw SQL a command costs, measured by this
//! program in the same run on the same server. Printed, not asserted.
//!
//! `cargo bench -p fundledger-infrastructure --bench commands` (env `BENCH_COMMANDS`,
//! default 4000; `FUNDLEDGER_TEST_POSTGRES_URL` selects the server).
//!
//! 1. Throughput at concurrency 1 and 16: each task runs `receive_capital` on its own fund
//!    through the real command path (load, handle, append with the key trigger, position).
//!    Baseline: per command `BEGIN; SELECT the aggregate's events; INSERT one event; COMMIT`.
//! 2. Cost against history: the same command on a fund with a short history and on one
//!    with thousands of events, warm (cached) and cold (cache cleared before every command,
//!    so each load starts from the snapshot). Flat figures mean a command's cost does not
//!    grow with its aggregate's history.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::{FundId, Money, OrgId};
use infrastructure::ledger::{Ledger, Request};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;

const CONCURRENCY_LEVELS: [usize; 2] = [1, 16];
const LONG_HISTORY_EVENTS: usize = 5_000;
const HISTORY_SAMPLE_COMMANDS: usize = 400;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date")
}

fn commands_from_env() -> usize {
    std::env::var("BENCH_COMMANDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(4_000)
}

async fn new_fund(ledger: &Ledger, name: &str) -> FundId {
    let admin = Request::new("bench", today());
    ledger
        .establish_fund(&admin, name, &OrgId::new("GB-COH-1"), "Bench Trust")
        .await
        .expect("fund established")
        .value
}

async fn receive(ledger: &Ledger, fund: &FundId) {
    ledger
        .receive_capital(
            &Request::new("bench", today()),
            fund,
            Money::from_pence(101),
            "bench",
            today(),
        )
        .await
        .expect("capital received");
}

/// Runs `commands` commands over `concurrency` tasks; returns commands per second.
async fn ledger_rate(ledger: &Arc<Ledger>, commands: usize, concurrency: usize) -> f64 {
    let mut funds = Vec::new();
    for task in 0..concurrency {
        funds.push(new_fund(ledger, &format!("Throughput {concurrency}-{task}")).await);
    }
    let per_task = commands / concurrency;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for fund in funds {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_task {
                receive(&ledger, &fund).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("bench task");
    }
    (per_task * concurrency) as f64 / started.elapsed().as_secs_f64()
}

/// The raw SQL a command costs, in the same tables: each task appends to its own
/// aggregate, reading its events first, as an event-sourced command must.
async fn baseline_rate(database: &Database, commands: usize, concurrency: usize) -> f64 {
    let Database::Postgres(pool) = database else {
        panic!("the bench runs on PostgreSQL");
    };
    let per_task = commands / concurrency;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let pool = pool.clone();
        let aggregate_id = format!("baseline-{concurrency}-{task}");
        tasks.push(tokio::spawn(async move {
            for sequence in 1..=per_task as i64 {
                let mut transaction = pool.begin().await.expect("begin");
                let rows: Vec<(i64, serde_json::Value)> = sqlx::query_as(
                    "SELECT sequence, payload FROM events
                      WHERE aggregate_type = 'Baseline' AND aggregate_id = $1 AND sequence > $2
                      ORDER BY sequence",
                )
                .bind(&aggregate_id)
                .bind(sequence - 1)
                .fetch_all(&mut *transaction)
                .await
                .expect("select");
                assert!(rows.is_empty());
                sqlx::query(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                         event_version, payload, metadata)
                     VALUES ('Baseline', $1, $2, 'CapitalReceived', '1.0', $3, '{}')",
                )
                .bind(&aggregate_id)
                .bind(sequence)
                .bind(serde_json::json!({"CapitalReceived": {"amount": "1.01"}}))
                .execute(&mut *transaction)
                .await
                .expect("insert");
                transaction.commit().await.expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("baseline task");
    }
    (per_task * concurrency) as f64 / started.elapsed().as_secs_f64()
}

/// Mean time of one command on `fund`, warm or with the cache cleared before each.
async fn command_time(ledger: &Ledger, fund: &FundId, cold: bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..HISTORY_SAMPLE_COMMANDS {
        if cold {
            ledger.clear_caches().await;
        }
        let started = Instant::now();
        receive(ledger, fund).await;
        total += started.elapsed();
    }
    total / HISTORY_SAMPLE_COMMANDS as u32
}

#[tokio::main]
async fn main() {
    let commands = commands_from_env();
    let test = TestDatabase::postgres()
        .await
        .expect("PostgreSQL for the bench (set FUNDLEDGER_TEST_POSTGRES_URL)");
    let ledger = Ledger::open(test.database.clone()).await.expect("ledger");
    // Warm up the pool and the server's caches.
    baseline_rate(&test.database, 200, 4).await;
    ledger_rate(&ledger, 200, 4).await;

    println!("commands on PostgreSQL, {commands} per run");
    println!(
        "{:>12} {:>14} {:>14} {:>10}",
        "concurrency", "ledger cmd/s", "raw SQL cmd/s", "ledger %"
    );
    for concurrency in CONCURRENCY_LEVELS {
        let baseline = baseline_rate(&test.database, commands, concurrency).await;
        let ledger_commands = ledger_rate(&ledger, commands, concurrency).await;
        println!(
            "{concurrency:>12} {ledger_commands:>14.0} {baseline:>14.0} {:>9.1}%",
            100.0 * ledger_commands / baseline
        );
    }

    let short = new_fund(&ledger, "Short history").await;
    let long = new_fund(&ledger, "Long history").await;
    for _ in 0..LONG_HISTORY_EVENTS {
        receive(&ledger, &long).await;
    }
    println!();
    println!("one command against history ({HISTORY_SAMPLE_COMMANDS} samples each)");
    println!(
        "{:>26} {:>14} {:>14}",
        "", "warm (cached)", "cold (snapshot)"
    );
    for (label, fund) in [
        ("fund with 1 event", &short),
        ("fund with 5,001+ events", &long),
    ] {
        let warm = command_time(&ledger, fund, false).await;
        let cold = command_time(&ledger, fund, true).await;
        println!(
            "{label:>26} {:>11.0} µs {:>11.0} µs",
            warm.as_secs_f64() * 1e6,
            cold.as_secs_f64() * 1e6
        );
    }
}
