//! The `/metrics` lines about the process rather than the ledger: the build, the process
//! (memory, CPU, file descriptors, threads, start time, read from `/proc/self` on Linux
//! and left out elsewhere) and the database connection pool. Names of the process
//! metrics follow the Prometheus client libraries' (`process_*`), so stock dashboards
//! and alerts work unchanged.

use std::fmt::Write;
use std::time::{Duration, Instant};

use infrastructure::Database;

/// The longest `/metrics` waits for its probe of the pool (see `render_pool`).
pub const POOL_PROBE_TIMEOUT_MS: u64 = 1_000;
/// Clock ticks per second of `/proc/<pid>/stat`'s times: Linux's `USER_HZ`, 100 on every
/// architecture it runs containers on (the kernel scales its internal HZ to it).
const PROC_CLOCK_TICKS_PER_SECOND: f64 = 100.0;
/// The commit the binary was built from (`api/build.rs`).
pub const GIT_COMMIT: &str = env!("FUNDLEDGER_GIT_COMMIT");

/// Writes `fundledger_build_info`, the process metrics and the pool's.
pub async fn render(out: &mut String, database: &Database) {
    render_build_info(out);
    render_process(out);
    render_pool(out, database).await;
}

fn gauge(out: &mut String, name: &str, help: &str, kind: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

fn render_build_info(out: &mut String) {
    out.push_str(
        "# HELP fundledger_build_info The version and git commit of this binary (always 1).\n",
    );
    out.push_str("# TYPE fundledger_build_info gauge\n");
    let _ = writeln!(
        out,
        "fundledger_build_info{{version=\"{}\",git=\"{GIT_COMMIT}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
}

/// What `/proc/self` says about this process; `None` where it cannot be read.
#[derive(Debug, Default, PartialEq)]
struct ProcessStats {
    cpu_seconds: Option<f64>,
    resident_bytes: Option<u64>,
    virtual_bytes: Option<u64>,
    threads: Option<u64>,
    start_time_seconds: Option<f64>,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
}

fn render_process(out: &mut String) {
    let stats = read_process_stats();
    let lines: [(&str, &str, &str, Option<String>); 7] = [
        (
            "process_cpu_seconds_total",
            "User and system CPU time spent, in seconds.",
            "counter",
            stats.cpu_seconds.map(|v| v.to_string()),
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            "gauge",
            stats.resident_bytes.map(|v| v.to_string()),
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            "gauge",
            stats.virtual_bytes.map(|v| v.to_string()),
        ),
        (
            "process_threads",
            "Operating system threads of the process.",
            "gauge",
            stats.threads.map(|v| v.to_string()),
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
            "gauge",
            stats.start_time_seconds.map(|v| v.to_string()),
        ),
        (
            "process_open_fds",
            "Open file descriptors (sockets and database files among them).",
            "gauge",
            stats.open_fds.map(|v| v.to_string()),
        ),
        (
            "process_max_fds",
            "The most file descriptors the process may open (its soft limit).",
            "gauge",
            stats.max_fds.map(|v| v.to_string()),
        ),
    ];
    for (name, help, kind, value) in lines {
        if let Some(value) = value {
            gauge(out, name, help, kind, value);
        }
    }
}

fn read_process_stats() -> ProcessStats {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let mut stats = read("/proc/self/stat")
        .zip(read("/proc/stat"))
        .map(|(stat, system)| parse_stat(&stat, &system))
        .unwrap_or_default();
    if let Some(status) = read("/proc/self/status") {
        stats.resident_bytes = status_kib(&status, "VmRSS:").map(|kib| kib * 1024);
        stats.virtual_bytes = status_kib(&status, "VmSize:").map(|kib| kib * 1024);
    }
    stats.open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|entries| entries.count() as u64);
    stats.max_fds = read("/proc/self/limits").and_then(|limits| {
        limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .and_then(|line| line.split_whitespace().nth(3))
            .and_then(|soft| soft.parse().ok())
    });
    stats
}

/// CPU time, threads and start time from `/proc/self/stat` (fields after the command's
/// closing parenthesis, which may itself hold spaces) and the boot time in `/proc/stat`.
fn parse_stat(stat: &str, system: &str) -> ProcessStats {
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Field n of proc(5) (1-based) is fields[n - 3]: the list starts at field 3, `state`.
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|value| value.parse::<f64>().ok())
    };
    let boot_seconds = system
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse::<f64>().ok());
    ProcessStats {
        cpu_seconds: field(14)
            .zip(field(15))
            .map(|(user, system)| (user + system) / PROC_CLOCK_TICKS_PER_SECOND),
        threads: field(20).map(|threads| threads as u64),
        start_time_seconds: field(22)
            .zip(boot_seconds)
            .map(|(ticks, boot)| boot + ticks / PROC_CLOCK_TICKS_PER_SECOND),
        ..ProcessStats::default()
    }
}

/// A `Name:   1234 kB` line of `/proc/self/status`, in KiB.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// The pool's size, idle and in-use connections and its cap, and how long one acquire
/// takes now. sqlx keeps no count of callers waiting for a connection, so the scrape
/// measures it: a probe acquire (returned at once) waits as long as a request would, and
/// is near zero while connections are idle. It gives up after `POOL_PROBE_TIMEOUT_MS` and
/// reports that.
async fn render_pool(out: &mut String, database: &Database) {
    let (size, idle, max) = match database {
        Database::Postgres(pool) => (
            pool.size(),
            pool.num_idle(),
            pool.options().get_max_connections(),
        ),
        Database::Sqlite(pool) => (
            pool.size(),
            pool.num_idle(),
            pool.options().get_max_connections(),
        ),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    let started = Instant::now();
    let timeout = Duration::from_millis(POOL_PROBE_TIMEOUT_MS);
    let acquired = match database {
        Database::Postgres(pool) => tokio::time::timeout(timeout, pool.acquire())
            .await
            .map(|c| c.is_ok()),
        Database::Sqlite(pool) => tokio::time::timeout(timeout, pool.acquire())
            .await
            .map(|c| c.is_ok()),
    };
    let wait_seconds = started.elapsed().as_secs_f64();
    gauge(
        out,
        "fundledger_db_pool_max_connections",
        "The most connections the pool opens.",
        "gauge",
        max,
    );
    gauge(
        out,
        "fundledger_db_pool_connections",
        "Connections open in the pool (idle and in use).",
        "gauge",
        size,
    );
    gauge(
        out,
        "fundledger_db_pool_idle_connections",
        "Open connections waiting to be used.",
        "gauge",
        idle,
    );
    gauge(
        out,
        "fundledger_db_pool_in_use_connections",
        "Connections taken by a request or a background task.",
        "gauge",
        size - idle,
    );
    gauge(
        out,
        "fundledger_db_pool_acquire_wait_seconds",
        "How long one acquire of a connection took at this scrape (the wait a request would have had; the probe gives up after 1 s).",
        "gauge",
        wait_seconds,
    );
    gauge(
        out,
        "fundledger_db_pool_acquire_ok",
        "1 if the scrape's probe got a connection within 1 s, 0 if it timed out or failed.",
        "gauge",
        u8::from(matches!(acquired, Ok(true))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_a_command_name_with_spaces_and_parentheses() {
        // proc(5): pid (comm) state ppid ... utime(14) stime(15) ... num_threads(20) ... starttime(22)
        let stat = "42 (fund (ledger) x) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1000 123456 789 18446744073709551615";
        let stats = parse_stat(stat, "cpu 1 2 3\nbtime 1700000000\n");
        assert_eq!(stats.cpu_seconds, Some(3.0));
        assert_eq!(stats.threads, Some(7));
        assert_eq!(stats.start_time_seconds, Some(1_700_000_010.0));
    }

    #[test]
    fn status_lines_are_read_in_kib() {
        let status = "Name:\tfundledger\nVmSize:\t  204800 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(10_240));
        assert_eq!(status_kib(status, "VmSize:"), Some(204_800));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reports_its_memory_cpu_and_descriptors() {
        let stats = read_process_stats();
        assert!(stats
            .resident_bytes
            .is_some_and(|bytes| bytes > 1024 * 1024));
        assert!(stats.open_fds.is_some_and(|fds| fds >= 3));
        assert!(stats.max_fds.is_some_and(|max| max >= 64));
        assert!(stats.cpu_seconds.is_some());
        assert!(stats
            .start_time_seconds
            .is_some_and(|start| start > 1_600_000_000.0));
    }
}
