//! The `fundledger` command line (see ../shared/API.md).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use infrastructure::config::DEFAULT_DATABASE_URL;
use infrastructure::{Database, Ledger, StoreConfig};

#[derive(Debug, Parser)]
#[command(
    name = "fundledger",
    version,
    about = "An event-sourced ledger for grant funds and community wealth funds"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines on standard error are written: json, or text. Default: JSON unless
    /// standard error is a terminal.
    #[arg(long, global = true, env = "FUNDLEDGER_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::logging::LogFormat>,
}

/// `serve`'s transport flags: where `/metrics` is served, timeouts and connection caps.
#[derive(Debug, clap::Args)]
pub struct TransportArgs {
    /// Serve `/metrics` on this address (e.g. 127.0.0.1:9090) instead of the public
    /// listener, which then answers 404 for it. Unset: `/metrics` is on the public port.
    #[arg(long, env = "FUNDLEDGER_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Most connections open at once; one more is closed at once.
    #[arg(long, env = "FUNDLEDGER_MAX_CONNECTIONS", default_value_t = crate::server::transport::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Most connections open at once from one client address (behind a reverse proxy,
    /// every connection is the proxy's: raise this to its pool size).
    #[arg(long, env = "FUNDLEDGER_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = crate::server::transport::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Milliseconds a client may take to send a request's headers, and a kept-alive
    /// connection may sit idle.
    #[arg(long, env = "FUNDLEDGER_HEADER_TIMEOUT_MS", default_value_t = crate::server::transport::DEFAULT_HEADER_TIMEOUT_MS)]
    pub header_timeout_ms: u64,
    /// Milliseconds a client may take to send a whole request body.
    #[arg(long, env = "FUNDLEDGER_BODY_TIMEOUT_MS", default_value_t = crate::server::transport::DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,
    /// Most `/graphql/ws` sockets open at once.
    #[arg(long, env = "FUNDLEDGER_MAX_WS_CONNECTIONS", default_value_t = crate::server::websocket::DEFAULT_MAX_WS_CONNECTIONS)]
    pub max_ws_connections: usize,
    /// Most `/graphql/ws` sockets open at once from one client address.
    #[arg(long, env = "FUNDLEDGER_MAX_WS_CONNECTIONS_PER_ADDRESS", default_value_t = crate::server::websocket::DEFAULT_MAX_WS_CONNECTIONS_PER_ADDRESS)]
    pub max_ws_connections_per_address: usize,
    /// Most GraphQL operations near the complexity cap running at once; more wait up to
    /// 2 s, then are answered TIMEOUT. Hidden: for tests and benchmarks.
    #[arg(long, hide = true, env = "FUNDLEDGER_MAX_HEAVY_OPERATIONS", default_value_t = crate::server::admission::DEFAULT_MAX_HEAVY_OPERATIONS)]
    pub max_heavy_operations: usize,
    /// Milliseconds a heavy operation waits for its turn. Hidden: tests set it to 0.
    #[arg(long, hide = true, env = "FUNDLEDGER_HEAVY_WAIT_MS", default_value_t = crate::server::admission::DEFAULT_HEAVY_QUERY_WAIT_MS)]
    pub heavy_wait_ms: u64,
}

impl TransportArgs {
    fn limits(&self) -> crate::server::transport::TransportLimits {
        crate::server::transport::TransportLimits {
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
            header_timeout: std::time::Duration::from_millis(self.header_timeout_ms),
            body_timeout: std::time::Duration::from_millis(self.body_timeout_ms),
            max_ws_connections: self.max_ws_connections,
            max_ws_connections_per_address: self.max_ws_connections_per_address,
            max_heavy_operations: self.max_heavy_operations,
            heavy_wait: std::time::Duration::from_millis(self.heavy_wait_ms),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Writes the deterministic demo data set through the real command path and prints a
    /// summary. Running it again writes nothing new (every demo command carries an
    /// idempotency key) and prints the same summary.
    Demo {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Runs the GraphQL server (POST /graphql, GraphiQL at GET /graphql, subscriptions at
    /// /graphql/ws, /healthz, /readyz, /metrics).
    Serve {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
        #[arg(long, env = "FUNDLEDGER_LISTEN", default_value = crate::server::settings::DEFAULT_LISTEN)]
        listen: String,
        /// Load the demo data set first if the store is empty.
        #[arg(long)]
        demo: bool,
        /// Do not load the shipped reference geography (England 2019) into a store that has
        /// no geography (for a store of another nation, or tests with their own areas).
        #[arg(long, env = "FUNDLEDGER_NO_REFERENCE_GEOGRAPHY")]
        no_reference_geography: bool,
        #[command(flatten)]
        transport: TransportArgs,
    },
    /// Prints a signed bearer token (signed with FUNDLEDGER_JWT_SECRET, or the embedded
    /// store's own secret kept beside the database file).
    Token {
        /// owner, admin, panel or grantee. `owner` (the operator's bootstrap, any store)
        /// makes the person with the email `--subject` an owner and prints an API token of
        /// theirs (`flt_…`), and on standard error a sign-in link when the server's address
        /// is known (`--listen` or FUNDLEDGER_PUBLIC_URL).
        #[arg(long)]
        role: crate::owner::TokenRole,
        /// Who the token is for (recorded as the actor of their commands).
        #[arg(long)]
        subject: String,
        /// The organisation a grantee acts for (360Giving org id).
        #[arg(long)]
        org: Option<String>,
        /// Narrows an admin token to one fund (an officer of that fund only). Without it an
        /// admin token is an owner and an officer of every fund, as before.
        #[arg(long)]
        fund: Option<String>,
        /// Narrows a panel token to one round. Without it a panel token scores every round.
        #[arg(long)]
        round: Option<String>,
        /// Lifetime, e.g. 1h, 30m, 8h, 7d. Short by default: people sign in or use API
        /// tokens; this is the operator's tool.
        #[arg(long, default_value = "1h", value_parser = crate::server::auth::parse_ttl)]
        ttl: std::time::Duration,
        /// The server's address (`host:port` or a URL), for the owner's sign-in link.
        #[arg(long)]
        listen: Option<String>,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Writes public data in an open standard.
    Export {
        #[command(subcommand)]
        what: Export,
    },
    /// Loads reference data, or a funder's published grant history.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// Drops the read models and the hash chain and rebuilds them from the event log.
    Rebuild {
        /// fund_position, round_summary, award_register, neighbourhood_totals,
        /// daily_series, hash_chain or all. They share one checkpoint, so every one is
        /// rebuilt together.
        #[arg(long)]
        projection: Option<String>,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Recomputes the hash chain and checks every read model against a fresh fold of the
    /// events; exits non-zero naming the first mismatch.
    Verify {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// After restoring a PostgreSQL logical dump (pg_dump / pg_restore) into a cluster whose
    /// transaction counter is behind the dump's: makes every restored event sort before any
    /// new write (a new log epoch; no event's content, position or order changes), so the
    /// store accepts writes again. Stop every server first. On a store that needs no
    /// repair (or SQLite) it changes nothing and says so.
    RepairRestoredLog {
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Writes an online, consistent copy of an embedded SQLite store (`VACUUM INTO`), safe
    /// while a server writes; never overwrites a file. (PostgreSQL: see the README's
    /// "Backups and restore".)
    Backup {
        /// The new file to write.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Erases a person (UK GDPR; PERSONAL-DATA.md): their name and email, their key (every
    /// text they wrote in the log then reads `[erased]`), their sessions, API tokens and
    /// roles; or, with `--subject`, the key of an operator token's actor. The log, money
    /// and hash chain are untouched (`verify` still passes). Running it again is harmless.
    ErasePerson(ErasePersonArgs),
}

/// Whom `erase-person` erases: exactly one of the three.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["email", "person", "subject"])))]
pub struct ErasePersonArgs {
    /// The person's email.
    #[arg(long)]
    email: Option<String>,
    /// The person's id (`P-…`).
    #[arg(long)]
    person: Option<String>,
    /// An actor as the log records it (`person:P-…`, `grantee:{org}:{sub}`…).
    #[arg(long)]
    subject: Option<String>,
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
pub enum Export {
    /// Writes every award as 360Giving Data Standard data (the public fields only), read
    /// from the read models after bringing them up to the end of the event log.
    #[command(name = "360giving")]
    Giving360 {
        #[arg(long, value_enum, default_value = "json")]
        format: crate::export::Format,
        /// The file to write; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// Loads reference geography from a CSV file
    /// (`code,name,level,parent_code,population,imd_decile`).
    Geography {
        file: PathBuf,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Imports a funder's published 360Giving grants (a JSON package `{"grants": [...]}`)
    /// as historic awards. The whole file is checked first and nothing is written if any
    /// grant is bad; a grant already imported is skipped (idempotent by grant id). Each
    /// grant goes to the fund whose funderOrgId is its funder's id, or to a fund
    /// established for that funder.
    #[command(name = "360giving")]
    Giving360 {
        file: PathBuf,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Loads the postcode lookup (postcode → neighbourhood) from a file in the ONS
    /// Postcode Directory's CSV layout (ONSPD; columns found by their header names: `pcds`
    /// or `pcd`, `lsoa11` or `lsoa21`, and `osward`, `oslaua`, `doterm` when present).
    /// English postcodes are kept, terminated ones too (marked); the rest are counted by
    /// reason. Replaces any lookup loaded before, in one transaction.
    Postcodes {
        file: PathBuf,
        #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

/// Amounts read to the penny from floating-point noise listed in an import's output.
const ROUNDED_AMOUNTS_SHOWN: usize = 10;

/// Whether a command may make a new store. Only `serve`, `demo` and `import` may: a
/// command that reads a store (`verify`, `rebuild`, `export`) given a misspelt path must
/// say so, not report on an empty store it just made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    CreateIfMissing,
    MustExist,
}

/// Opens the store at `database_url` (`MustExist`: refused, with nothing created, when a
/// SQLite file is not there), finishing any step a crash left half done.
async fn open(database_url: &str, store: Store) -> anyhow::Result<std::sync::Arc<Ledger>> {
    let config = StoreConfig::from_url(database_url)?;
    let connected = match store {
        Store::CreateIfMissing => Database::connect(&config).await,
        Store::MustExist => Database::connect_existing(&config).await,
    };
    let database =
        connected.with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let ledger = Ledger::open(database).await?;
    // Finish any step a crash left half done before doing anything else.
    ledger.complete_pending_steps().await?;
    Ok(ledger)
}

/// What an ordinary failure (a missing store, an unreachable database, a short secret)
/// exits with; bad usage exits 2 (clap's own); a panic is a bug and keeps Rust's report.
pub const EXIT_FAILURE: u8 = 1;

/// Runs `cli` as the program: success exits 0; an ordinary failure prints one `error: …`
/// line to standard error and exits `EXIT_FAILURE`.
pub async fn run_to_exit(cli: Cli) -> std::process::ExitCode {
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe_error(&error));
            std::process::ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// The whole cause chain on one line (`{:#}`), never a backtrace (`{:?}` prints one when
/// RUST_BACKTRACE is set), and never a password from a URL some layer quoted.
pub fn describe_error(error: &anyhow::Error) -> String {
    let chain = format!("{error:#}");
    infrastructure::config::redact_passwords(chain.trim()).replace('\n', " ")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            database_url,
            listen,
            demo,
            no_reference_geography,
            transport,
        } => {
            let settings = crate::server::settings::Settings {
                database_url,
                listen,
                demo,
                reference_geography: !no_reference_geography,
                jwt_secret: std::env::var("FUNDLEDGER_JWT_SECRET").ok(),
                metrics_listen: transport.metrics_listen.clone(),
                transport: transport.limits(),
            };
            serve(settings).await?
        }
        command @ Command::Token { .. } => token(command).await?,
        Command::Demo { database_url } => {
            let ledger = open(&database_url, Store::CreateIfMissing).await?;
            let summary = crate::demo::load(&ledger).await?;
            print!("{summary}");
        }
        Command::Export {
            what:
                Export::Giving360 {
                    format,
                    out,
                    database_url,
                },
        } => export_360giving(format, out, &database_url).await?,
        Command::Import {
            what: Import::Geography { file, database_url },
        } => import_geography(&file, &database_url).await?,
        Command::Import {
            what: Import::Postcodes { file, database_url },
        } => import_postcodes(&file, &database_url).await?,
        Command::Import {
            what: Import::Giving360 { file, database_url },
        } => {
            let ledger = open(&database_url, Store::CreateIfMissing).await?;
            // Historic grants name their places from the start.
            ledger
                .geography
                .load_reference_if_empty(&ledger.database)
                .await?;
            import_360giving(&ledger, &file).await?;
        }
        Command::Rebuild {
            projection,
            database_url,
        } => rebuild(projection.as_deref(), &database_url).await?,
        Command::Verify { database_url } => verify(&database_url).await?,
        Command::RepairRestoredLog { database_url } => repair_restored_log(&database_url).await?,
        Command::Backup { out, database_url } => backup(&out, &database_url).await?,
        Command::ErasePerson(args) => erase_person(args).await?,
    }
    Ok(())
}

/// The actor the operator's erasures are recorded under (`role_grants.revoked_by`).
const OPERATOR_ACTOR: &str = "operator:cli";

/// `erase-person`: see `infrastructure::personal::erase`. Prints one line.
async fn erase_person(args: ErasePersonArgs) -> anyhow::Result<()> {
    use infrastructure::personal;
    let ErasePersonArgs {
        email,
        person,
        subject,
        database_url,
    } = args;
    let config = StoreConfig::from_url(&database_url)?;
    let database = Database::connect_existing(&config)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let subject = match (email, person, subject) {
        (Some(email), _, _) => match personal::person_by_email(&database, &email).await? {
            Some(person) => person.actor(),
            None => anyhow::bail!("no person has the email {}", email.trim()),
        },
        (_, Some(person), _) => infrastructure::accounts::PersonId::new(person.trim()).actor(),
        (_, _, Some(subject)) => subject.trim().to_string(),
        (None, None, None) => anyhow::bail!("give --email, --person or --subject"),
    };
    let erasure = personal::erase_subject(&database, &subject, OPERATOR_ACTOR).await?;
    println!("{erasure}");
    Ok(())
}

/// `backup`: see `Database::backup_sqlite_into`.
async fn backup(out: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let config = StoreConfig::from_url(database_url)?;
    if !config.is_embedded() {
        anyhow::bail!(
            "backup copies an embedded SQLite store; back PostgreSQL up with pg_basebackup and \
             WAL archiving, or pg_dump (README, \"Backups and restore\")"
        );
    }
    let database = Database::connect_existing(&config)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let events = database.event_count().await?;
    database.backup_sqlite_into(out).await?;
    println!(
        "backed up the store (at least {events} events) to {}; keep the signing secret file beside the store \
         ({}) with it if the server generated one",
        out.display(),
        crate::server::settings::SECRET_FILE_SUFFIX
    );
    Ok(())
}

/// `repair-restored-log`: see `infrastructure::restored_log`. Opens the store without
/// finishing pending steps (that would read the log this repairs).
async fn repair_restored_log(database_url: &str) -> anyhow::Result<()> {
    use infrastructure::RepairOutcome;
    let config = StoreConfig::from_url(database_url)?;
    let database = Database::connect_existing(&config)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let outcome = database
        .repair_restored_log(projections::projector::PROJECTOR_LOCK_KEY)
        .await?;
    match outcome {
        RepairOutcome::NothingToRepair => {
            println!("nothing to repair: new writes already sort after every event in the log")
        }
        RepairOutcome::Repaired {
            epoch,
            events,
            max_txid,
            next_txid,
        } => println!(
            "repaired: the {events} restored events (transaction ids up to {max_txid}; this \
             cluster's next is {next_txid}) now sort before every new write (log epoch \
             {epoch}); writes are accepted again. Run `fundledger verify` to check."
        ),
    }
    Ok(())
}

/// `token`: mints a token for `role` with the store's signing secret and prints it. The
/// embedded store's secret must already exist (a server made it): a new one here would sign
/// tokens no server accepts.
fn print_token(
    role: crate::server::auth::Role,
    subject: &str,
    scope: &crate::server::auth::TokenScope,
    ttl: std::time::Duration,
    database_url: &str,
) -> anyhow::Result<()> {
    let secret = crate::server::settings::existing_jwt_secret(
        database_url,
        std::env::var("FUNDLEDGER_JWT_SECRET").ok().as_deref(),
    )?;
    let token =
        crate::server::auth::TokenKeys::new(&secret).mint_scoped(role, subject, scope, ttl)?;
    println!("{token}");
    Ok(())
}

/// `token`: an owner's API token (`--role owner`), or an operator's JWT.
async fn token(command: Command) -> anyhow::Result<()> {
    let Command::Token {
        role,
        subject,
        org,
        fund,
        round,
        ttl,
        listen,
        database_url,
    } = command
    else {
        unreachable!("called with the token command only")
    };
    match role {
        crate::owner::TokenRole::Owner => {
            print_owner_token(&subject, ttl, listen.as_deref(), &database_url).await
        }
        crate::owner::TokenRole::Jwt(role) => {
            let scope = crate::server::auth::TokenScope { org, fund, round };
            print_token(role, &subject, &scope, ttl, &database_url)
        }
    }
}

/// `token --role owner`: makes the person with `email` an owner (on an existing store) and
/// prints an API token of theirs; a sign-in link goes to standard error when the server's
/// address is known, so `$(fundledger token …)` still captures the token alone.
async fn print_owner_token(
    email: &str,
    ttl: std::time::Duration,
    listen: Option<&str>,
    database_url: &str,
) -> anyhow::Result<()> {
    let config = StoreConfig::from_url(database_url)?;
    let database = Database::connect_existing(&config)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let ttl_seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let (owner, token) = crate::owner::bootstrap_owner(&database, email, ttl_seconds).await?;
    println!("{}", token.secret);
    if let Some(base) = crate::owner::link_base(listen) {
        if let Some(link) = crate::owner::sign_in_link(&database, &owner, &base).await? {
            let minutes = infrastructure::accounts::links::SIGN_IN_LINK_TTL_SECONDS / 60;
            eprintln!(
                "sign in as {} (link valid for {minutes} minutes): {link}",
                owner.display_name()
            );
        }
    }
    Ok(())
}

/// `import geography`: a reference-geography CSV of another vintage or nation.
async fn import_geography(file: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let ledger = open(database_url, Store::CreateIfMissing).await?;
    let rows = ledger
        .geography
        .import_csv(&ledger.database, file)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    println!("imported {rows} areas from {}", file.display());
    Ok(())
}

/// `import postcodes`: see `infrastructure::postcodes`. Prints what was loaded and skipped.
async fn import_postcodes(file: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let config = StoreConfig::from_url(database_url)?;
    let database = Database::connect(&config)
        .await
        .with_context(|| format!("opening the store at {}", config.redacted_url()))?;
    let import = infrastructure::postcodes::import_file(&database, file)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    println!("{import}");
    Ok(())
}

/// `serve`: builds the server, prints where it listens (and the embedded store's admin
/// token), and serves until Ctrl-C or SIGTERM.
async fn serve(settings: crate::server::settings::Settings) -> anyhow::Result<()> {
    let store = StoreConfig::from_url(&settings.database_url)?.redacted_url();
    let application = crate::server::startup::Application::build(settings).await?;
    if let Some(summary) = application.demo_summary() {
        print!("{summary}");
    }
    println!("fundledger store {store}");
    println!("fundledger serving {}", application.url());
    if let Some(address) = application.metrics_address() {
        println!("fundledger metrics on http://{address}/metrics");
    }
    if let Some(token) = application.dev_token() {
        println!("development admin token (embedded store only): {token}");
    }
    if let Some((email, link)) = application.owner_sign_in() {
        println!("sign in as the owner ({email}): {link}");
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    application
        .run_until_stopped(crate::server::startup::shutdown_signal())
        .await?;
    Ok(())
}

/// `export 360giving`: the package, once the read models are up to date, to `out` or
/// standard output.
async fn export_360giving(
    format: crate::export::Format,
    out: Option<PathBuf>,
    database_url: &str,
) -> anyhow::Result<()> {
    let ledger = open(database_url, Store::MustExist).await?;
    catch_up(&ledger.database).await?;
    let written = write_export(&ledger.database, format, out.as_deref()).await?;
    if let Some(path) = &out {
        eprintln!(
            "wrote {written} bytes of 360Giving {format:?} to {}",
            path.display()
        );
    }
    Ok(())
}

/// `rebuild`: every read model (or one) from the events.
async fn rebuild(projection: Option<&str>, database_url: &str) -> anyhow::Result<()> {
    let ledger = open(database_url, Store::MustExist).await?;
    let report = projections::Projector::new(ledger.database.clone())
        .rebuild(projection)
        .await?;
    let head = projections::read::ledger_head(&ledger.database).await?;
    println!(
        "rebuilt read models from {} events in {:.2?} ({:.0} events/s); chain head {} at position {}",
        report.events,
        report.elapsed,
        report.events_per_second(),
        head.head,
        head.position
    );
    Ok(())
}

/// `verify`: fails, listing every mismatch, unless the hash chain and every read model
/// agree with the events.
async fn verify(database_url: &str) -> anyhow::Result<()> {
    let ledger = open(database_url, Store::MustExist).await?;
    let report = projections::verify::verify(&ledger.database).await?;
    if !report.is_ok() {
        for mismatch in &report.mismatches {
            eprintln!("MISMATCH {mismatch}");
        }
        anyhow::bail!(
            "verify failed: {} (of {} events, {} projected)",
            report.mismatches[0],
            report.events,
            report.projected
        );
    }
    println!(
        "verified {} events ({} projected): hash chain and every read model agree; head {}",
        report.events, report.projected, report.head
    );
    Ok(())
}

/// `import 360giving`: checks the file, writes the new grants, brings the read models up to
/// date and prints what it did.
async fn import_360giving(ledger: &Ledger, file: &std::path::Path) -> anyhow::Result<()> {
    use infrastructure::import::giving360;
    let started = std::time::Instant::now();
    let checked =
        giving360::read_file(file).with_context(|| format!("importing {}", file.display()))?;
    let today = infrastructure::business_today();
    let summary = ledger
        .import_historic_grants(&checked.grants, today)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    let written = started.elapsed();
    catch_up(&ledger.database).await?;
    let total = started.elapsed();
    println!(
        "{}: {} grants totalling {}",
        file.display(),
        summary.grants_in_file,
        summary.file_amount
    );
    println!(
        "imported {} grants ({}); {} already present",
        summary.imported, summary.imported_amount, summary.already_present
    );
    for (fund_id, name) in &summary.funds_created {
        println!("established fund {fund_id} \"{name}\"");
    }
    for fund_id in &summary.funds {
        if let Some(position) =
            projections::read::fund_position(&ledger.database, fund_id, None).await?
        {
            println!(
                "fund {fund_id} \"{}\" ({}): awarded {}, available {}",
                position.name,
                position.funder_org_id,
                pounds(position.awarded),
                pounds(position.available)
            );
        }
    }
    if !checked.rounded.is_empty() {
        println!(
            "{} amounts were written as binary floating point and read to the penny:",
            checked.rounded.len()
        );
        for rounded in checked.rounded.iter().take(ROUNDED_AMOUNTS_SHOWN) {
            println!(
                "  grant {} {} {} read as {}",
                rounded.grant_id, rounded.field, rounded.literal, rounded.read_as
            );
        }
        if checked.rounded.len() > ROUNDED_AMOUNTS_SHOWN {
            println!(
                "  … and {} more",
                checked.rounded.len() - ROUNDED_AMOUNTS_SHOWN
            );
        }
    }
    println!(
        "checked and written in {:.2?} ({:.0} grants/s); read models up to date in {:.2?}",
        written,
        summary.grants_in_file as f64 / written.as_secs_f64().max(1e-9),
        total,
    );
    if summary.imported > 0 {
        println!("last event at ledger position {}", summary.position);
    }
    Ok(())
}

/// `£1,234.56` for a read-model figure.
fn pounds(amount: rust_decimal::Decimal) -> String {
    domain::Money::new(amount)
        .map(|money| money.to_string())
        .unwrap_or_else(|_| amount.to_string())
}

/// Writes the export's chunks to the file `out` (or stdout) as they come; returns the
/// bytes written. The file is created only once the first chunk is made, so an export
/// refused at the start (nothing to publish, an unreadable store) leaves no file behind.
async fn write_export(
    database: &Database,
    format: crate::export::Format,
    out: Option<&std::path::Path>,
) -> anyhow::Result<u64> {
    use futures::StreamExt;
    let mut chunks = std::pin::pin!(crate::export::stream(database.clone(), format));
    let Some(first) = chunks.next().await else {
        return Ok(0);
    };
    let first = first?;
    let mut out: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    out.write_all(&first)?;
    let mut written = first.len() as u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        out.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

/// How often `export` tries to bring the read models to the end of the log when another
/// projector (a running server) keeps moving the checkpoint under it.
const CATCH_UP_ATTEMPTS: usize = 20;

/// Brings the read models to the end of the event log before they are read. A running
/// server may be projecting the same batches: losing that race is harmless (its batch
/// committed), so try again from where it got.
async fn catch_up(database: &Database) -> anyhow::Result<()> {
    let projector = projections::Projector::new(database.clone());
    for _ in 0..CATCH_UP_ATTEMPTS {
        match projector.catch_up().await {
            Ok(_) => return Ok(()),
            Err(projections::ProjectionError::LostCheckpoint { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    anyhow::bail!(
        "the read models did not catch up with the event log in {CATCH_UP_ATTEMPTS} attempts"
    )
}

/// Each runtime thread's stack. Tokio's default (2 MiB) overflowed on a debug build when a
/// mutation's future (the command path, sealing, a session lookup) grew past it; 8 MiB is
/// address space, not memory, until a thread touches it.
pub const RUNTIME_THREAD_STACK_BYTES: usize = 8 * 1024 * 1024;

/// The whole process: parse the command line, set up logging, run it on a runtime of our
/// own (for its threads' stack size). `fundledger` and the tests' copy both call this.
pub fn run_process() -> std::process::ExitCode {
    let cli = Cli::parse();
    crate::logging::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(RUNTIME_THREAD_STACK_BYTES)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run_to_exit(cli)),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
