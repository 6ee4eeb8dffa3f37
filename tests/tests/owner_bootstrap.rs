//! The first owner (issue 13): `serve` on the embedded store makes one and prints a
//! sign-in link for them; `fundledger token --role owner --subject EMAIL` makes an owner
//! on any store and prints an API token of theirs (and a sign-in link when the server's
//! address is known). The links and tokens printed are used against the real store.

mod common;

use std::process::{Output, Stdio};
use std::time::Duration;

use common::PROGRAM;
use infrastructure::accounts::{links, principal, RoleKind, API_TOKEN_PREFIX};
use infrastructure::test_support::TestDatabase;
use infrastructure::Database;
use tokio::io::{AsyncBufReadExt, BufReader};

const COMMAND_TIMEOUT_MS: u64 = 60_000;
const LINK_PATH: &str = "/sign-in/link/";

/// Runs the program with `args` and `env`, with no store or public URL from the test's
/// environment.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(PROGRAM);
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("FUNDLEDGER_PUBLIC_URL")
        .env_remove("FUNDLEDGER_OWNER_EMAIL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command.envs(env.iter().copied());
    tokio::time::timeout(Duration::from_millis(COMMAND_TIMEOUT_MS), command.output())
        .await
        .expect("the command finished in time")
        .expect("running fundledger")
}

/// Starts `serve` on `url` with `env`, reads its output up to the owner's sign-in line, and
/// returns the address it serves on and that line (the server is then stopped).
async fn serve_owner_line(url: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut child = tokio::process::Command::new(PROGRAM)
        .args(["serve", "--database-url", url, "--listen", "127.0.0.1:0"])
        .args(["--no-reference-geography"])
        .env_remove("FUNDLEDGER_PUBLIC_URL")
        .env_remove("FUNDLEDGER_OWNER_EMAIL")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning fundledger serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let found = tokio::time::timeout(Duration::from_millis(COMMAND_TIMEOUT_MS), async {
        let mut serving = None;
        while let Some(line) = lines.next_line().await.expect("reading serve's output") {
            if let Some(url) = line.strip_prefix("fundledger serving http://") {
                serving = Some(url.trim_end_matches("/graphql").to_string());
            }
            if line.starts_with("sign in as the owner") {
                return (serving.expect("the address comes first"), line);
            }
        }
        panic!("serve printed no owner sign-in line");
    })
    .await
    .expect("serve printed the owner's sign-in line in time");
    child.kill().await.expect("stopping the server");
    found
}

fn secret_of(link: &str) -> &str {
    link.rsplit_once(LINK_PATH)
        .expect("a sign-in link")
        .1
        .trim()
}

async fn sqlite_url() -> TestDatabase {
    TestDatabase::sqlite().await.expect("a SQLite store")
}

async fn owners(db: &Database) -> Vec<String> {
    let holders = infrastructure::accounts::grants::holders(db, RoleKind::Owner, "")
        .await
        .unwrap();
    holders
        .into_iter()
        .filter_map(|grant| grant.person.email)
        .collect()
}

#[tokio::test]
async fn serve_on_the_embedded_store_makes_an_owner_and_prints_a_working_link() {
    let test = sqlite_url().await;
    let (address, line) = serve_owner_line(&test.url, &[]).await;
    let prefix = format!("sign in as the owner (owner@example.org): http://{address}{LINK_PATH}");
    assert!(line.starts_with(&prefix), "{line}");
    assert_eq!(owners(&test.database).await, vec!["owner@example.org"]);
    let signed_in = links::consume_sign_in_link(&test.database, secret_of(&line))
        .await
        .unwrap();
    assert_eq!(signed_in.email.as_deref(), Some("owner@example.org"));
    // A second start makes no second owner, even with another email configured: the link
    // is for the owner there is.
    let env = [("FUNDLEDGER_OWNER_EMAIL", "ada@example.org")];
    let (_, again) = serve_owner_line(&test.url, &env).await;
    assert!(again.contains("(owner@example.org)"), "{again}");
    assert_eq!(owners(&test.database).await, vec!["owner@example.org"]);
    let reused = links::consume_sign_in_link(&test.database, secret_of(&line)).await;
    assert!(reused.is_err(), "the first link was used: {reused:?}");
}

#[tokio::test]
async fn the_owner_email_and_public_url_come_from_the_environment() {
    let test = sqlite_url().await;
    let env = [
        ("FUNDLEDGER_OWNER_EMAIL", "Ada@Example.org"),
        ("FUNDLEDGER_PUBLIC_URL", "https://grants.example.org/"),
    ];
    let (_, line) = serve_owner_line(&test.url, &env).await;
    let prefix =
        format!("sign in as the owner (ada@example.org): https://grants.example.org{LINK_PATH}");
    assert!(line.starts_with(&prefix), "{line}");
    assert_eq!(owners(&test.database).await, vec!["ada@example.org"]);
}

async fn token_role_owner_makes_an_owner_with_a_working_api_token(test: TestDatabase) {
    let args = [
        "token",
        "--role",
        "owner",
        "--subject",
        "Boot@Example.org",
        "--database-url",
        &test.url,
    ];
    let output = run(&args, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let token = stdout.trim();
    assert!(
        token.starts_with(API_TOKEN_PREFIX) && !token.contains('\n'),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).trim().is_empty(),
        "no address, no link"
    );
    let caller = principal::principal_for_api_token(&test.database, token)
        .await
        .unwrap()
        .expect("the printed token signs in");
    assert!(caller.roles.owner);
    assert_eq!(caller.person.email.as_deref(), Some("boot@example.org"));
    let expires =
        infrastructure::accounts::api_tokens::api_tokens_of(&test.database, &caller.person.id)
            .await
            .unwrap()[0]
            .expires_at;
    let left = expires - infrastructure::accounts::now();
    assert!(
        (3600 - 120..=3600).contains(&left),
        "default lifetime 1h (the CLI's short default), got {left} s"
    );
    // With the server's address, a sign-in link too (on standard error).
    let mut with_link = args.to_vec();
    with_link.extend(["--listen", "127.0.0.1:8080", "--ttl", "30m"]);
    let output = run(&with_link, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let link = stderr
        .lines()
        .find(|line| line.contains("http://127.0.0.1:8080/sign-in/link/"))
        .unwrap_or_else(|| panic!("a sign-in link: {stderr}"));
    let person = links::consume_sign_in_link(&test.database, secret_of(link))
        .await
        .unwrap();
    assert_eq!(
        person.id, caller.person.id,
        "the same person, one owner grant"
    );
    assert_eq!(owners(&test.database).await, vec!["boot@example.org"]);
}

async fn token_role_owner_refuses_bad_input_and_writes_nothing(test: TestDatabase) {
    for (subject, ttl, says) in [
        ("not-an-email", "8h", "email address"),
        ("ok@example.org", "400d", "366 days"),
    ] {
        let args = [
            "token",
            "--role",
            "owner",
            "--subject",
            subject,
            "--ttl",
            ttl,
            "--database-url",
            &test.url,
        ];
        let output = run(&args, &[]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(output.stdout.is_empty(), "no token printed");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{stderr}"
        );
    }
    let db = &test.database;
    let tokens = match db {
        Database::Postgres(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
                .fetch_one(pool)
                .await
        }
        Database::Sqlite(pool) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
                .fetch_one(pool)
                .await
        }
    };
    assert_eq!(tokens.unwrap_or(-1_i64), 0);
}

#[tokio::test]
async fn token_role_owner_on_postgres() {
    token_role_owner_makes_an_owner_with_a_working_api_token(
        TestDatabase::postgres().await.unwrap(),
    )
    .await;
}

#[tokio::test]
async fn token_role_owner_on_sqlite() {
    token_role_owner_makes_an_owner_with_a_working_api_token(sqlite_url().await).await;
}

#[tokio::test]
async fn token_role_owner_refuses_bad_input_on_postgres() {
    token_role_owner_refuses_bad_input_and_writes_nothing(TestDatabase::postgres().await.unwrap())
        .await;
}

#[tokio::test]
async fn token_role_owner_refuses_bad_input_on_sqlite() {
    token_role_owner_refuses_bad_input_and_writes_nothing(sqlite_url().await).await;
}

#[tokio::test]
async fn token_role_owner_refuses_a_missing_store_and_creates_nothing() {
    let dir = std::env::temp_dir().join(format!(
        "fundledger-owner-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("none.db").display());
    let args = [
        "token",
        "--role",
        "owner",
        "--subject",
        "a@example.org",
        "--database-url",
        &url,
    ];
    let output = run(&args, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
