//! A small load generator for issue 4 §5: runs one GraphQL operation from N concurrent
//! connections for a while and prints requests/s, p50 and p99 latency, and errors.
//!
//! ```text
//! fundledger-loadgen --url http://127.0.0.1:8080/graphql --operation neighbourhood --code E06000010
//! fundledger-loadgen --operation awards --code E06000010
//! fundledger-loadgen --operation drawdown --award AW-… --token GRANTEE_TOKEN
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Operation {
    /// `neighbourhood(code){ totals }` (public).
    Neighbourhood,
    /// `awards(filter:{neighbourhood}, first: 20)` (public).
    Awards,
    /// `requestDrawdown` of £0.01 on one award (grantee token required).
    Drawdown,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080/graphql")]
    url: String,
    #[arg(long, value_enum, default_value = "neighbourhood")]
    operation: Operation,
    /// Area code for the public queries.
    #[arg(long, default_value = "E06000010")]
    code: String,
    /// Award for `drawdown`.
    #[arg(long)]
    award: Option<String>,
    /// Bearer token (required for `drawdown`).
    #[arg(long)]
    token: Option<String>,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn body(args: &Args, sequence: u64) -> Value {
    match args.operation {
        Operation::Neighbourhood => json!({
            "query": "query($c: GeoCode!) { neighbourhood(code: $c) { name totals { awarded disbursed awardCount } } }",
            "variables": { "c": args.code }
        }),
        Operation::Awards => json!({
            "query": "query($c: GeoCode!) { awards(filter: { neighbourhood: $c }, first: 20) { edges { node { id title amount } } } }",
            "variables": { "c": args.code }
        }),
        Operation::Drawdown => json!({
            "query": "mutation($i: RequestDrawdownInput!) { requestDrawdown(input: $i) { position } }",
            "variables": { "i": { "awardId": args.award, "amount": "0.01", "purpose": format!("load {sequence}") } }
        }),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    if matches!(args.operation, Operation::Drawdown)
        && (args.award.is_none() || args.token.is_none())
    {
        anyhow::bail!("--operation drawdown needs --award and --token");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let sequence = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (client, args, sequence, errors) = (
            client.clone(),
            args.clone(),
            sequence.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let body = body(&args, sequence.fetch_add(1, Ordering::Relaxed));
                let mut request = client.post(&args.url).json(&body);
                if let Some(token) = &args.token {
                    request = request.bearer_auth(token);
                }
                let started = Instant::now();
                let ok = match request.send().await {
                    Ok(response) => match response.json::<Value>().await {
                        Ok(value) => value.get("errors").is_none(),
                        Err(_) => false,
                    },
                    Err(_) => false,
                };
                latencies.push(started.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "{:?} × {} connections, {:.1} s: {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        args.operation,
        args.connections,
        elapsed,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(0.50),
        percentile(0.99),
        errors.load(Ordering::Relaxed)
    );
    Ok(())
}
