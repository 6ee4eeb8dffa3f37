//! Fault drill: the SQLite store runs out of space under 8 concurrent writers, through the
//! real server. Twice: on a small filesystem of its own (a tmpfs) that a ballast file
//! fills, where SQLite fails as on a real full disk, at COMMIT (space returns when the
//! ballast file is deleted); and with the store's size capped by `PRAGMA max_page_count`
//! on every server connection (`FUNDLEDGER_SQLITE_MAX_PAGE_COUNT`, for drills only), where
//! it fails as a table grows (space returns when a ballast table is dropped).
//!
//! Asserted: every write answered with a position is durable at once (seen by another
//! connection, and after the server stops), exactly once (its idempotency key answers the
//! same position and writes nothing); refusals are retryable errors, never successes;
//! `/readyz` says not ready, and why, while the store cannot write; once space returns
//! every writer succeeds again without a restart (no lingering "database is locked"); the
//! totals equal the sum of every request, each once; `fundledger verify` passes.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use api::server::auth::{Role, TokenKeys};
use common::{business_day, PROGRAM};
use infrastructure::database::SQLITE_MAX_PAGE_COUNT_ENV;
use infrastructure::Database;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WRITERS: usize = 8;
/// The drill's filesystem: room for the store, its WAL and the ballast.
const TMPFS_BYTES: u64 = 16 * 1024 * 1024;
/// What the ballast leaves free on it: the store fills this, then the disk is full.
const HEADROOM_BYTES: u64 = 1024 * 1024;
/// `ENOSPC`: no space left on device.
const ENOSPC: i32 = 28;
/// Ballast rows of about one page each: the space the drill frees.
const BALLAST_ROWS: i64 = 256;
const BALLAST_ROW_BYTES: i64 = 3_000;
/// How far the store may grow past its size at start before it is "full".
const HEADROOM_PAGES: i64 = 64;
/// A writer stops once the store has refused it this many times.
const FAILURES_PER_WRITER: usize = 3;
/// A writer stops here even if the store never fills (then the drill itself failed).
const MAX_WRITES_PER_WRITER: usize = 500;
/// Writes per writer once space is back: each must succeed.
const WRITES_AFTER_RECOVERY: usize = 3;
const STARTUP_TIMEOUT_MS: u64 = 30_000;
const LOAD_TIMEOUT_MS: u64 = 60_000;
const READY_TIMEOUT_MS: u64 = 20_000;
/// Codes that tell a client to send the same request again later.
const RETRYABLE_CODES: [&str; 2] = ["CONCURRENCY", "UNAVAILABLE"];

const RECEIVE_CAPITAL: &str =
    "mutation($input: ReceiveCapitalInput!) { receiveCapital(input: $input) { position } }";

/// A server over an existing SQLite store, capped at `max_pages` if given.
struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
    admin: String,
}

async fn start_server(url: &str, max_pages: Option<i64>) -> Server {
    let secret = format!("drill-secret-{}", uuid::Uuid::new_v4().simple());
    let mut command = Command::new(PROGRAM);
    if let Some(pages) = max_pages {
        command.env(SQLITE_MAX_PAGE_COUNT_ENV, pages.to_string());
    }
    let mut child = command
        .args(["serve", "--database-url", url, "--listen", "127.0.0.1:0"])
        .arg("--no-reference-geography")
        .env("FUNDLEDGER_JWT_SECRET", &secret)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning fundledger serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let base = tokio::time::timeout(Duration::from_millis(STARTUP_TIMEOUT_MS), async {
        while let Some(line) = lines.next_line().await.expect("reading stdout") {
            if let Some(url) = line.strip_prefix("fundledger serving ") {
                return url.trim().trim_end_matches("/graphql").to_string();
            }
        }
        panic!("the server exited before serving");
    })
    .await
    .expect("the server started in time");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let admin = TokenKeys::new(&secret)
        .mint(
            Role::Admin,
            "drill-officer",
            None,
            Duration::from_secs(3600),
        )
        .expect("an admin token");
    Server {
        child,
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(40))
            .build()
            .expect("http client"),
        admin,
    }
}

/// How one request was answered.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// Acknowledged: the write's position.
    Done(i64),
    /// A GraphQL error: its code and message.
    Refused { code: String, message: String },
}

impl Server {
    async fn post(&self, body: &Value, min_position: Option<i64>) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.admin)
            .json(body);
        if let Some(position) = min_position {
            request = request.header("x-min-position", position.to_string());
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text })),
        )
    }

    async fn receive_capital(&self, fund: &str, key: &str, amount: &str) -> Answer {
        let body = json!({ "query": RECEIVE_CAPITAL, "variables": { "input": {
            "fundId": fund, "amount": amount, "source": "Disk-full drill",
            "receivedOn": business_day(), "idempotencyKey": key,
        } } });
        let (status, reply) = self.post(&body, None).await;
        match reply["data"]["receiveCapital"]["position"].as_i64() {
            Some(position) if reply.get("errors").is_none() => {
                assert_eq!(status, 200, "an acknowledged write answered {status}");
                Answer::Done(position)
            }
            _ => Answer::Refused {
                code: reply["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string(),
                message: reply["errors"][0]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            },
        }
    }

    async fn establish_fund(&self, name: &str) -> String {
        let body = json!({ "query": "mutation($input: EstablishFundInput!) { establishFund(input: $input) { fund { id } } }",
            "variables": { "input": { "name": name, "funderOrgId": "GB-CHC-0000001", "funderName": "Drill Funder" } } });
        let (_, reply) = self.post(&body, None).await;
        reply["data"]["establishFund"]["fund"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("establishFund: {reply}"))
            .to_string()
    }

    async fn capital_received(&self, fund: &str, head: i64) -> Decimal {
        let body = json!({ "query": "query($id: String!) { fund(id: $id) { position { capitalReceived } } }",
            "variables": { "id": fund } });
        let (_, reply) = self.post(&body, Some(head)).await;
        let figure = reply["data"]["fund"]["position"]["capitalReceived"]
            .as_str()
            .unwrap_or_else(|| panic!("fund position: {reply}"));
        Decimal::from_str(figure).expect("a decimal")
    }

    async fn readyz(&self) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("GET /readyz");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

fn pool(database: &Database) -> &sqlx::SqlitePool {
    match database {
        Database::Sqlite(pool) => pool,
        Database::Postgres(_) => unreachable!("a SQLite drill"),
    }
}

/// Every request a writer sent: key → (fund, amount), and how each was first answered.
#[derive(Debug, Default)]
struct Sent {
    requests: HashMap<String, (String, String)>,
    answers: Vec<(String, Answer)>,
}

/// Writer `writer` sends distinct keyed receipts to `fund` until the store has refused
/// it `FAILURES_PER_WRITER` times.
async fn write_until_full(server: &Server, writer: usize, fund: &str) -> Sent {
    let mut sent = Sent::default();
    let mut failures = 0;
    for n in 0..MAX_WRITES_PER_WRITER {
        let key = format!("drill-{writer}-{n}");
        let amount = format!("{}.{:02}", n + 1, writer + 1);
        let answer = server.receive_capital(fund, &key, &amount).await;
        if matches!(answer, Answer::Refused { .. }) {
            failures += 1;
        }
        sent.requests
            .insert(key.clone(), (fund.to_string(), amount));
        sent.answers.push((key, answer));
        if failures >= FAILURES_PER_WRITER {
            break;
        }
    }
    sent
}

/// How the drill runs out of space, and gets it back.
enum Space {
    /// A small filesystem of its own (tmpfs, needs root), filled by a ballast file but for
    /// `HEADROOM_BYTES`: SQLite then fails where a real disk does, appending to the WAL
    /// at COMMIT. Space returns when the ballast file is deleted.
    Filesystem { ballast: PathBuf },
    /// `PRAGMA max_page_count` on every server connection (`SQLITE_MAX_PAGE_COUNT_ENV`),
    /// `HEADROOM_PAGES` above the store's size with a ballast table in it: SQLite fails
    /// as it grows a table. Space returns when the ballast table is dropped.
    PageCap,
}

/// A tmpfs mounted for the drill, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` where this process may not mount (not root, or no tmpfs).
    fn mount() -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!(
            "fundledger-diskfull-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).ok()?;
        let size = format!("size={TMPFS_BYTES},mode=0700");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            Some(Tmpfs(dir))
        } else {
            std::fs::remove_dir(&dir).ok();
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        std::fs::remove_dir(&self.0).ok();
    }
}

/// Fills the filesystem holding `ballast` but for `HEADROOM_BYTES`.
fn fill_but_headroom(ballast: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(ballast).expect("a ballast file");
    let chunk = vec![0x5a_u8; 64 * 1024];
    let mut written: u64 = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(bytes) => written += bytes as u64,
            Err(error) if error.raw_os_error() == Some(ENOSPC) => break,
            Err(error) => panic!("writing the ballast: {error}"),
        }
    }
    let _ = file.flush();
    file.set_len(written.saturating_sub(HEADROOM_BYTES))
        .expect("leaving the headroom");
}

/// The real thing: a filesystem that fills. Where this process may not mount one, the
/// drill runs with the page cap instead (and says so).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_full_disk_keeps_every_acknowledged_write_and_recovers_without_a_restart() {
    let Some(tmpfs) = Tmpfs::mount() else {
        eprintln!("cannot mount a tmpfs here (not root?): running the drill with the page cap");
        return drill(std::env::temp_dir(), Space::PageCap).await;
    };
    let ballast = tmpfs.0.join("ballast");
    drill(tmpfs.0.clone(), Space::Filesystem { ballast }).await;
    drop(tmpfs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_size_cap_keeps_every_acknowledged_write_and_recovers_without_a_restart() {
    drill(std::env::temp_dir(), Space::PageCap).await;
}

async fn drill(parent: PathBuf, space: Space) {
    let dir = parent.join(format!("store-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", dir.join("fundledger.db").display());
    let store = Database::connect_url(&url).await.expect("a SQLite store");
    let sqlite = pool(&store).clone();
    let cap = match &space {
        Space::PageCap => Some(page_cap_with_ballast(&sqlite).await),
        Space::Filesystem { .. } => None,
    };
    let server = start_server(&url, cap).await;
    let mut funds = Vec::new();
    for writer in 0..WRITERS {
        funds.push(server.establish_fund(&format!("Drill fund {writer}")).await);
    }
    if let Space::Filesystem { ballast } = &space {
        fill_but_headroom(ballast);
    }

    // Fill the store with 8 writers at once.
    let load = futures::future::join_all(
        funds
            .iter()
            .enumerate()
            .map(|(writer, fund)| write_until_full(&server, writer, fund)),
    );
    let sent = tokio::time::timeout(Duration::from_millis(LOAD_TIMEOUT_MS), load)
        .await
        .expect("the writers finished in time");
    let mut requests = HashMap::new();
    let mut acknowledged: HashMap<String, i64> = HashMap::new();
    let mut refused = Vec::new();
    for writer in sent {
        requests.extend(writer.requests);
        for (key, answer) in writer.answers {
            match answer {
                Answer::Done(position) => {
                    acknowledged.insert(key, position);
                }
                Answer::Refused { code, message } => refused.push((key, code, message)),
            }
        }
    }
    eprintln!(
        "disk-full drill: {} writes acknowledged, {} refused before space returned",
        acknowledged.len(),
        refused.len()
    );
    assert!(
        refused.len() >= WRITERS,
        "the store never filled: {} refusals of {} writes",
        refused.len(),
        requests.len()
    );
    assert!(
        !acknowledged.is_empty(),
        "no write succeeded before the store filled"
    );
    for (key, code, message) in &refused {
        assert!(
            RETRYABLE_CODES.contains(&code.as_str()),
            "{key} was refused with {code} ({message}), not a retryable code"
        );
    }

    // While full: readiness says so, and every acknowledged write is already durable.
    let (status, body) = server.readyz().await;
    assert_eq!(status, 503, "/readyz while the store cannot write: {body}");
    assert!(
        body.contains("cannot write"),
        "/readyz gives no reason: {body}"
    );
    assert_durable(&sqlite, &acknowledged, "while the store is full").await;

    // Space returns.
    match &space {
        Space::PageCap => {
            sqlx::query("DROP TABLE fault_ballast")
                .execute(&sqlite)
                .await
                .expect("dropping the ballast (does a server connection hold the write lock?)");
        }
        Space::Filesystem { ballast } => std::fs::remove_file(ballast).expect("freeing space"),
    }
    let recovery = futures::future::join_all(funds.iter().enumerate().map(|(writer, fund)| {
        let server = &server;
        async move {
            let mut answers = Vec::new();
            for n in 0..WRITES_AFTER_RECOVERY {
                let key = format!("drill-{writer}-after-{n}");
                let amount = format!("0.{:02}", writer + 1);
                let answer = server.receive_capital(fund, &key, &amount).await;
                answers.push((key, fund.clone(), amount, answer));
            }
            answers
        }
    }));
    for (key, fund, amount, answer) in recovery.await.into_iter().flatten() {
        let Answer::Done(position) = answer else {
            panic!("{key} failed after space returned: {answer:?}");
        };
        requests.insert(key.clone(), (fund, amount));
        acknowledged.insert(key, position);
    }
    wait_until_ready(&server).await;

    // Each acknowledged key again: the same position, nothing new written.
    let head = head(&sqlite).await;
    for (key, position) in &acknowledged {
        let (fund, amount) = &requests[key];
        let answer = server.receive_capital(fund, key, amount).await;
        assert_eq!(answer, Answer::Done(*position), "resending {key}");
    }
    assert_eq!(head, self::head(&sqlite).await, "a resent key wrote again");
    // Each refused key again: written now (or, had it been kept after all, replayed).
    for (key, _, _) in &refused {
        let (fund, amount) = &requests[key];
        let answer = server.receive_capital(fund, key, amount).await;
        assert!(
            matches!(answer, Answer::Done(_)),
            "resending {key}: {answer:?}"
        );
    }

    // Totals: every request exactly once.
    let head = self::head(&sqlite).await;
    for fund in &funds {
        let expected: Decimal = requests
            .values()
            .filter(|(of, _)| of == fund)
            .map(|(_, amount)| Decimal::from_str(amount).expect("an amount"))
            .sum();
        assert_eq!(
            server.capital_received(fund, head).await,
            expected,
            "capital received by {fund}"
        );
    }
    let receipts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'CapitalReceived'")
            .fetch_one(&sqlite)
            .await
            .expect("counting receipts");
    assert_eq!(receipts, requests.len() as i64, "receipts in the log");

    server.stop().await;
    assert_durable(&sqlite, &acknowledged, "after the server stopped").await;
    assert_verified(&url).await;
    store.close().await;
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes the ballast table; returns the page cap that leaves `HEADROOM_PAGES` above it.
async fn page_cap_with_ballast(sqlite: &sqlx::SqlitePool) -> i64 {
    sqlx::query("CREATE TABLE fault_ballast (filler BLOB NOT NULL)")
        .execute(sqlite)
        .await
        .expect("ballast table");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO fault_ballast SELECT zeroblob($2) FROM n",
    )
    .bind(BALLAST_ROWS)
    .bind(BALLAST_ROW_BYTES)
    .execute(sqlite)
    .await
    .expect("ballast");
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(sqlite)
        .await
        .expect("page count");
    pages + HEADROOM_PAGES
}

/// `fundledger verify` over the store passes.
async fn assert_verified(url: &str) {
    let output = Command::new(PROGRAM)
        .args(["verify", "--database-url", url])
        .output()
        .await
        .expect("running fundledger verify");
    assert!(
        output.status.success(),
        "verify failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn head(sqlite: &sqlx::SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
        .fetch_one(sqlite)
        .await
        .expect("the log's head")
}

/// Every acknowledged position is committed: another connection sees its receipt.
async fn assert_durable(
    sqlite: &sqlx::SqlitePool,
    acknowledged: &HashMap<String, i64>,
    when: &str,
) {
    let stored: HashSet<i64> =
        sqlx::query_scalar("SELECT position FROM events WHERE event_type = 'CapitalReceived'")
            .fetch_all(sqlite)
            .await
            .expect("reading the log")
            .into_iter()
            .collect();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|(_, position)| !stored.contains(position))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes are not in the store {when}: {:?}",
        missing.len(),
        acknowledged.len(),
        missing.iter().take(10).collect::<Vec<_>>()
    );
}

async fn wait_until_ready(server: &Server) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(READY_TIMEOUT_MS);
    loop {
        let (status, body) = server.readyz().await;
        if status == 200 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz still not ready after space returned: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
