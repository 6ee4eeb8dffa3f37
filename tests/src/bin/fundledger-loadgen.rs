//! A small load generator for issue 4 §5: runs one operation from N concurrent connections
//! for a while and prints requests/s, p50 and p99 latency, and errors.
//!
//! ```text
//! fundledger-loadgen --url http://127.0.0.1:8080/graphql --operation neighbourhood --codes E06000010
//! fundledger-loadgen --operation awards --codes E06000010,E06000002
//! fundledger-loadgen --operation page --codes E06000010,E06000002 [--uncached]  # GET /areas/{code}
//! fundledger-loadgen --operation drawdown --targets targets.txt     # lines: AWARD_ID TOKEN
//! fundledger-loadgen --operation sql-baseline --database-url postgres://…
//! ```
//!
//! `sql-baseline` is the event-sourced core issue's baseline: per command `BEGIN; SELECT
//! the aggregate's events; INSERT one event; COMMIT` (each connection on an aggregate of
//! its own), written to a scratch copy of the events table that is dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Operation {
    /// `neighbourhood(code){ totals }` (public).
    Neighbourhood,
    /// `awards(filter:{neighbourhood}, first: 20)` (public).
    Awards,
    /// The public page `GET /areas/{code}` (the server beside `--url`'s `/graphql`).
    Page,
    /// `requestDrawdown` of £0.01, each connection on an award of its own (`--targets`).
    Drawdown,
    /// The raw SQL a command costs, on the same server (`--database-url`).
    SqlBaseline,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080/graphql")]
    url: String,
    #[arg(long, value_enum, default_value = "neighbourhood")]
    operation: Operation,
    /// Area codes for the public queries, comma-separated; requests take them in turn.
    #[arg(long, default_value = "E06000010", value_delimiter = ',')]
    codes: Vec<String>,
    /// For `drawdown`: a file of `AWARD_ID GRANTEE_TOKEN` lines; connection i draws on
    /// line i (mod the number of lines), so writers do not contend for one award.
    #[arg(long)]
    targets: Option<std::path::PathBuf>,
    /// For `sql-baseline`: the PostgreSQL server to measure.
    #[arg(long)]
    database_url: Option<String>,
    /// Make every public query's body unique (a trailing GraphQL comment; for `page`, a
    /// `?v=N` the page ignores), so the server's public caches never answer: measures the
    /// read models themselves.
    #[arg(long)]
    uncached: bool,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn body(args: &Args, target: Option<&(String, String)>, sequence: u64) -> Value {
    let code = &args.codes[sequence as usize % args.codes.len()];
    let public = |query: &str| {
        let query = if args.uncached {
            format!("{query}\n# request {sequence}")
        } else {
            query.to_string()
        };
        json!({ "query": query, "variables": { "c": code } })
    };
    match args.operation {
        Operation::Neighbourhood => public(
            "query($c: GeoCode!) { neighbourhood(code: $c) { name totals { awarded disbursed awardCount } } }",
        ),
        Operation::Awards => public(
            "query($c: GeoCode!) { awards(filter: { neighbourhood: $c }, first: 20) { edges { node { id title amount } } } }",
        ),
        Operation::Page => unreachable!("a page is a GET (`page_url`), not a GraphQL body"),
        Operation::Drawdown | Operation::SqlBaseline => json!({
            "query": "mutation($i: RequestDrawdownInput!) { requestDrawdown(input: $i) { position } }",
            "variables": { "i": {
                "awardId": target.map(|(award, _)| award.as_str()),
                "amount": "0.01",
                "purpose": format!("load {sequence}")
            } }
        }),
    }
}

fn read_targets(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let targets: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(award, token)| (award.trim().to_string(), token.trim().to_string()))
        .collect();
    anyhow::ensure!(
        !targets.is_empty(),
        "{} has no `AWARD_ID TOKEN` lines",
        path.display()
    );
    Ok(targets)
}

/// The page `GET /areas/{code}` of request `sequence`, on the server of `--url`.
fn page_url(args: &Args, sequence: u64) -> String {
    let code = &args.codes[sequence as usize % args.codes.len()];
    let base = args.url.trim_end_matches('/').trim_end_matches("/graphql");
    if args.uncached {
        format!("{base}/areas/{code}?v={sequence}")
    } else {
        format!("{base}/areas/{code}")
    }
}

/// One request: whether it was answered well (a page: 200; GraphQL: no `errors`).
async fn send(
    client: &reqwest::Client,
    args: &Args,
    target: Option<&(String, String)>,
    sequence: u64,
) -> bool {
    if let Operation::Page = args.operation {
        return match client.get(page_url(args, sequence)).send().await {
            Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
            Err(_) => false,
        };
    }
    let mut request = client.post(&args.url).json(&body(args, target, sequence));
    if let Some((_, token)) = target {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) => match response.json::<Value>().await {
            Ok(value) => value.get("errors").is_none(),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

/// One connection's requests until the deadline: their latencies and how many failed.
async fn http_worker(
    client: reqwest::Client,
    args: Arc<Args>,
    target: Option<(String, String)>,
    sequence: Arc<AtomicU64>,
    deadline: Instant,
) -> (Vec<Duration>, u64) {
    let (mut latencies, mut errors) = (Vec::new(), 0);
    while Instant::now() < deadline {
        let request = sequence.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let ok = send(&client, &args, target.as_ref(), request).await;
        latencies.push(started.elapsed());
        errors += u64::from(!ok);
    }
    (latencies, errors)
}

/// One connection's baseline commands until the deadline.
async fn sql_worker(
    pool: sqlx::PgPool,
    aggregate_id: String,
    deadline: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut latencies = Vec::new();
    let mut sequence = 0i64;
    while Instant::now() < deadline {
        sequence += 1;
        let started = Instant::now();
        let mut transaction = pool.begin().await?;
        let rows: Vec<(i64, Value)> = sqlx::query_as(
            "SELECT sequence, payload FROM loadgen_baseline_events
              WHERE aggregate_type = 'Baseline' AND aggregate_id = $1 AND sequence > $2
              ORDER BY sequence",
        )
        .bind(&aggregate_id)
        .bind(sequence - 1)
        .fetch_all(&mut *transaction)
        .await?;
        anyhow::ensure!(
            rows.is_empty(),
            "baseline aggregate {aggregate_id} was written twice"
        );
        sqlx::query(
            "INSERT INTO loadgen_baseline_events (aggregate_type, aggregate_id, sequence, event_type,
                                                 event_version, payload, metadata)
             VALUES ('Baseline', $1, $2, 'DrawdownRequested', '1.0', $3, '{}')",
        )
        .bind(&aggregate_id)
        .bind(sequence)
        .bind(json!({"DrawdownRequested": {"amount": "0.01", "purpose": format!("load {sequence}")}}))
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        latencies.push(started.elapsed());
    }
    Ok((latencies, 0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    anyhow::ensure!(
        !args.codes.is_empty(),
        "--codes needs at least one area code"
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let sequence = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let mut scratch_pool = None;
    match args.operation {
        Operation::SqlBaseline => {
            let url = args
                .database_url
                .as_deref()
                .context("--operation sql-baseline needs --database-url")?;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(args.connections as u32)
                .connect(url)
                .await?;
            sqlx::query("DROP TABLE IF EXISTS loadgen_baseline_events")
                .execute(&pool)
                .await?;
            sqlx::query("CREATE TABLE loadgen_baseline_events (LIKE events INCLUDING ALL)")
                .execute(&pool)
                .await?;
            for connection in 0..args.connections {
                tasks.push(tokio::spawn(sql_worker(
                    pool.clone(),
                    format!("baseline-{connection}"),
                    deadline,
                )));
            }
            scratch_pool = Some(pool);
        }
        _ => {
            let targets = match (args.operation, &args.targets) {
                (Operation::Drawdown, Some(path)) => read_targets(path)?,
                (Operation::Drawdown, None) => {
                    anyhow::bail!("--operation drawdown needs --targets")
                }
                _ => Vec::new(),
            };
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(args.connections)
                .build()?;
            for connection in 0..args.connections {
                let target =
                    (!targets.is_empty()).then(|| targets[connection % targets.len()].clone());
                let worker = http_worker(
                    client.clone(),
                    args.clone(),
                    target,
                    sequence.clone(),
                    deadline,
                );
                tasks.push(tokio::spawn(async move { Ok(worker.await) }));
            }
        }
    }
    let started = Instant::now();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (more, failed) = task.await??;
        latencies.extend(more);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(pool) = scratch_pool {
        sqlx::query("DROP TABLE loadgen_baseline_events")
            .execute(&pool)
            .await?;
    }
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "{:?}{} × {} connections ({} area codes), {:.1} s: {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        args.operation,
        if args.uncached { " (uncached)" } else { "" },
        args.connections,
        args.codes.len(),
        elapsed,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(0.50),
        percentile(0.99),
        errors
    );
    Ok(())
}
