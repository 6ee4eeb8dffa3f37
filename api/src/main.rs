//! `fundledger`: parse the command line, run it. Everything else lives in the library.

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: the server and the rebuild allocate many small,
/// short-lived values (request buffers, decoded events, row keys); profiled, glibc's
/// malloc and free took ~9% of the cached query path's CPU and more of the rebuild's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    api::cli::run_process()
}
