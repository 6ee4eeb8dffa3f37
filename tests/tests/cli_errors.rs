//! The command line's ordinary failures are for people: one `error: …` line that names
//! what failed and what to do, exit code 1, no Rust backtrace or panic report, never a
//! password. Commands that read a store never create one, `token` never makes a new
//! signing secret, and `serve` on a port in use creates nothing. New SQLite stores are
//! private to their owner (0600).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use common::PROGRAM;
use infrastructure::test_support::{test_postgres_url, TestDatabase};
use tokio::io::AsyncBufReadExt;

/// Every command here answers well within this (an unreachable PostgreSQL included).
const COMMAND_TIMEOUT_MS: u64 = 30_000;
/// A password no message may show.
const PASSWORD: &str = "Sup3rSecretPassw0rd";

/// A fresh, empty directory of this test's own.
fn scratch_dir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fundledger-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("listing the scratch directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Runs the program with `args` and `env`, as an operator would with backtraces asked for
/// (so a backtrace, if any were printed, shows), without any store or secret from the
/// test's environment.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(PROGRAM);
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("FUNDLEDGER_JWT_SECRET")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::time::timeout(Duration::from_millis(COMMAND_TIMEOUT_MS), command.output())
        .await
        .unwrap_or_else(|_| panic!("`fundledger {}` did not finish in time", args.join(" ")))
        .expect("running fundledger")
}

/// Asserts an ordinary failure: exit code 1 and one `error: …` line naming each of
/// `mentions`, with no backtrace, no panic report and no password. Returns the line.
fn assert_plain_error(output: &Output, mentions: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let all = format!("{stdout}{stderr}");
    assert_eq!(output.status.code(), Some(1), "exit code; said: {all}");
    for banned in ["backtrace", "panicked"] {
        assert!(
            !all.to_lowercase().contains(banned),
            "the output shows {banned:?}: {all}"
        );
    }
    // anyhow's `Debug` report (what `main` returning an error prints) and the password.
    for banned in ["Caused by", "Error: ", PASSWORD] {
        assert!(!all.contains(banned), "the output shows {banned:?}: {all}");
    }
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected: {all}");
    let line = errors[0].to_string();
    for mention in mentions {
        assert!(
            line.contains(mention),
            "the error does not name {mention:?}: {line}"
        );
    }
    line
}

#[tokio::test]
async fn reading_commands_refuse_a_store_that_does_not_exist_and_create_nothing() {
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.join("misspelt.db").display());
    let backup = dir.join("copy.db").display().to_string();
    for args in [
        vec!["verify", "--database-url", &url],
        vec!["rebuild", "--database-url", &url],
        vec!["export", "360giving", "--database-url", &url],
        vec!["repair-restored-log", "--database-url", &url],
        vec!["backup", "--out", &backup, "--database-url", &url],
    ] {
        let output = run(&args, &[]).await;
        assert_plain_error(&output, &["misspelt.db", "does not exist"]);
        assert!(
            entries(&dir).is_empty(),
            "`{}` created {:?}",
            args[0],
            entries(&dir)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn token_never_makes_a_store_or_a_signing_secret() {
    // No store here: refused, nothing made.
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.join("fundledger.db").display());
    let token_args = [
        "token",
        "--role",
        "admin",
        "--subject",
        "ola",
        "--database-url",
        &url,
    ];
    let output = run(&token_args, &[]).await;
    assert_plain_error(&output, &["fundledger.db", "does not exist"]);
    assert!(
        entries(&dir).is_empty(),
        "token created {:?}",
        entries(&dir)
    );

    // A store without the secret a server would have made beside it: refused, no secret.
    let store = TestDatabase::sqlite().await.expect("a store");
    let store_file = store.url.trim_start_matches("sqlite://").to_string();
    let output = run(
        &[
            "token",
            "--role",
            "admin",
            "--subject",
            "ola",
            "--database-url",
            &store.url,
        ],
        &[],
    )
    .await;
    assert_plain_error(&output, &["jwt-secret", "FUNDLEDGER_JWT_SECRET"]);
    assert!(
        !Path::new(&format!("{store_file}.jwt-secret")).exists(),
        "token created a new signing secret"
    );

    // With the secret given, no store is needed and none is made.
    let secret = "a-signing-secret-of-at-least-thirty-two-bytes";
    let output = run(&token_args, &[("FUNDLEDGER_JWT_SECRET", secret)]).await;
    assert!(
        output.status.success(),
        "token with FUNDLEDGER_JWT_SECRET failed: {output:?}"
    );
    let token = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    assert!(
        entries(&dir).is_empty(),
        "token created {:?}",
        entries(&dir)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn serve_on_a_port_in_use_creates_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("its address").to_string();
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.join("fundledger.db").display());
    let output = run(
        &[
            "serve",
            "--database-url",
            &url,
            "--listen",
            &address,
            "--no-reference-geography",
        ],
        &[],
    )
    .await;
    assert_plain_error(&output, &[&address, "--listen"]);
    assert!(
        entries(&dir).is_empty(),
        "serve created {:?}",
        entries(&dir)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `postgres://user:PASSWORD@host:port/name` on the test server's host and port.
fn postgres_url_with_password(name: &str) -> (String, String) {
    let base = test_postgres_url();
    let rest = base
        .strip_prefix("postgres://")
        .or_else(|| base.strip_prefix("postgresql://"))
        .expect("a postgres:// test URL");
    let (user, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
    let user = user.split(':').next().unwrap_or("postgres");
    let server = rest.split(['/', '?']).next().unwrap_or(rest).to_string();
    (
        format!("postgres://{user}:{PASSWORD}@{server}/{name}"),
        server,
    )
}

#[tokio::test]
async fn postgres_failures_name_the_server_and_never_the_password() {
    // Nothing listens on port 1: named by host and port, quickly, without the password.
    let unreachable = format!("postgres://ledger:{PASSWORD}@127.0.0.1:1/funds");
    let started = std::time::Instant::now();
    let output = run(&["verify", "--database-url", &unreachable], &[]).await;
    assert_plain_error(&output, &["127.0.0.1:1", "cannot reach PostgreSQL"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?} to report an unreachable server",
        started.elapsed()
    );

    // A database that does not exist: named, and not created.
    let name = format!("fundledger_missing_{}", uuid::Uuid::new_v4().simple());
    let (url, server) = postgres_url_with_password(&name);
    let output = run(&["verify", "--database-url", &url], &[]).await;
    assert_plain_error(&output, &[&name, &server]);
    let admin = sqlx::PgPool::connect(&test_postgres_url())
        .await
        .expect("the test PostgreSQL");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&admin)
            .await
            .expect("asking for the database");
    assert!(!exists, "verify created the database {name}");
    admin.close().await;
}

#[tokio::test]
async fn a_short_secret_and_a_read_only_store_are_one_clear_line() {
    let dir = scratch_dir();
    let url = format!("sqlite://{}", dir.join("fundledger.db").display());
    let output = run(
        &[
            "serve",
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--no-reference-geography",
        ],
        &[("FUNDLEDGER_JWT_SECRET", "too-short")],
    )
    .await;
    assert_plain_error(&output, &["FUNDLEDGER_JWT_SECRET", "32"]);
    assert!(
        entries(&dir).is_empty(),
        "serve created {:?}",
        entries(&dir)
    );

    // A store SQLite may only read (as a file without write permission opens).
    let store = TestDatabase::sqlite().await.expect("a store");
    store.database.close().await;
    let read_only = format!("{}?mode=ro", store.url);
    let output = run(
        &[
            "serve",
            "--database-url",
            &read_only,
            "--listen",
            "127.0.0.1:0",
            "--no-reference-geography",
        ],
        &[(
            "FUNDLEDGER_JWT_SECRET",
            "a-signing-secret-of-at-least-thirty-two-bytes",
        )],
    )
    .await;
    assert_plain_error(&output, &["read-only", "fundledger.db"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_store_and_its_secret_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch_dir();
    let db = dir.join("fundledger.db");
    let url = format!("sqlite://{}", db.display());
    let mut child = tokio::process::Command::new(PROGRAM)
        .args([
            "serve",
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--no-reference-geography",
        ])
        .env_remove("FUNDLEDGER_JWT_SECRET")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning fundledger serve");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    tokio::time::timeout(Duration::from_millis(COMMAND_TIMEOUT_MS), async {
        while let Some(line) = lines.next_line().await.expect("reading stdout") {
            if line.starts_with("fundledger serving ") {
                return;
            }
        }
        panic!("the server exited before serving");
    })
    .await
    .expect("the server started in time");
    for suffix in ["", "-wal", "-shm", ".jwt-secret"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    }
    child.kill().await.ok();
    std::fs::remove_dir_all(&dir).ok();
}
