//! The `fundledger` command line, built into this crate so its integration tests can spawn
//! the real program (`CARGO_BIN_EXE_…` exists only for a package's own binaries). Same
//! library entry point and log set-up as `api/src/main.rs`; nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    api::cli::run_process()
}
