//! Records the git commit the binary is built from as `FUNDLEDGER_GIT_COMMIT` (for
//! `fundledger_build_info` in `/metrics`): the variable of that name if set at build time
//! (a container build has no `.git`: `docker build --build-arg GIT_COMMIT=…`), else
//! `git rev-parse`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FUNDLEDGER_GIT_COMMIT");
    let commit = std::env::var("FUNDLEDGER_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FUNDLEDGER_GIT_COMMIT={}", commit.trim());
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .filter(|text| !text.is_empty())
}

/// The short commit hash, and the files whose change means a new one (only those that
/// exist: cargo reruns a build script on every build while a listed file is missing).
fn git_commit() -> Option<String> {
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    watched.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    for path in watched.iter().filter(|path| Path::new(path).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    git(&["rev-parse", "--short=12", "HEAD"])
}
