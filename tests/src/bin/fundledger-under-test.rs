//! The `fundledger` command line, built into this crate so its integration tests can spawn
//! the real program (`CARGO_BIN_EXE_…` exists only for a package's own binaries). Same
//! library entry point as `api/src/main.rs`; nothing else.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    api::cli::run_to_exit(api::cli::Cli::parse()).await
}
