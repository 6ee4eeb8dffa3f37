//! `fundledger`: parse the command line, run it. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than glibc's malloc: the server and the rebuild allocate many small,
/// short-lived values (request buffers, decoded events, row keys); profiled, glibc's
/// malloc and free took ~9% of the cached query path's CPU and more of the rebuild's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
