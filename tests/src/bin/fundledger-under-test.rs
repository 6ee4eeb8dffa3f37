//! The `fundledger` command line, built into this crate so its integration tests can spawn
//! the real program (`CARGO_BIN_EXE_…` exists only for a package's own binaries). Same
//! library entry point and log set-up as `api/src/main.rs`; nothing else.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = api::cli::Cli::parse();
    api::logging::init(cli.log_format);
    api::cli::run_to_exit(cli).await
}
