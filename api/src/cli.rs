//! The `fundledger` command line (see ../shared/API.md).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use infrastructure::config::DEFAULT_DATABASE_URL;
use infrastructure::{Database, Ledger, StoreConfig};

#[derive(Debug, Parser)]
#[command(name = "fundledger", version, about = "An event-sourced ledger for grant funds and community wealth funds")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
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
    /// Loads reference data.
    Import {
        #[command(subcommand)]
        what: Import,
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
}

async fn open(database_url: &str) -> anyhow::Result<std::sync::Arc<Ledger>> {
    let config = StoreConfig::from_url(database_url)?;
    let database = Database::connect(&config)
        .await
        .with_context(|| format!("opening the store at {database_url}"))?;
    let ledger = Ledger::open(database).await?;
    // Finish any step a crash left half done before doing anything else.
    ledger.complete_pending_steps().await?;
    Ok(ledger)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo { database_url } => {
            let ledger = open(&database_url).await?;
            let summary = crate::demo::load(&ledger).await?;
            print!("{summary}");
        }
        Command::Import {
            what: Import::Geography { file, database_url },
        } => {
            let ledger = open(&database_url).await?;
            let rows = ledger
                .geography
                .import_csv(&ledger.database, &file)
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!("imported {rows} areas from {}", file.display());
        }
    }
    Ok(())
}
