//! A PostgreSQL cluster of a test's own, for fault tests that stop, crash or restore a
//! database server: the shared server on 5432 must never be touched, so these tests
//! `initdb` a throwaway cluster into a temporary directory, on a free port, as the
//! `postgres` OS user when the tests run as root (PostgreSQL refuses to run as root).
//!
//! The cluster is made for speed, not durability across an OS crash (`fsync=off`): a
//! killed postmaster still leaves every committed transaction in the OS page cache, which
//! is all a process-crash test needs.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use infrastructure::test_support::TestDatabase;

/// How long `pg_ctl` may take to start or stop the cluster.
pub const CLUSTER_START_TIMEOUT_MS: u64 = 30_000;
/// How long a killed postmaster's backends may take to exit before a restart.
pub const BACKENDS_EXIT_TIMEOUT_MS: u64 = 10_000;
/// The OS user that owns and runs the cluster when the tests run as root.
const CLUSTER_OS_USER: &str = "postgres";

/// A running (or stopped) PostgreSQL cluster in a temporary directory, removed on drop.
pub struct PrivateCluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl PrivateCluster {
    /// `initdb` a new cluster (trust authentication, user `postgres`) and start it on a
    /// free port of 127.0.0.1.
    pub fn start() -> io::Result<PrivateCluster> {
        let cluster = PrivateCluster {
            data_dir: std::env::temp_dir().join(format!(
                "fundledger-cluster-{}",
                uuid::Uuid::new_v4().simple()
            )),
            bin_dir: postgres_bin_dir(),
            port: free_port()?,
            as_postgres_user: running_as_root(),
        };
        let data_dir = cluster.data_dir.display().to_string();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data_dir,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        cluster.start_again()?;
        Ok(cluster)
    }

    /// Starts the (stopped or crashed) cluster again on the same port and data.
    pub fn start_again(&self) -> io::Result<()> {
        let data_dir = self.data_dir.display().to_string();
        // The socket lives in the data directory, so nothing outside it is touched.
        let options = format!(
            "-p {} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c full_page_writes=off -c shared_buffers=16MB -c max_connections=100",
            self.port
        );
        let timeout = (CLUSTER_START_TIMEOUT_MS / 1000).to_string();
        let log = self.data_dir.join("server.log");
        let log_arg = log.display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data_dir, "-l", &log_arg, "-o", &options, "-w", "-t", &timeout, "start",
            ],
        )
        .map(drop)
        .map_err(|error| {
            // The reason is in the server's log, which goes with the cluster on drop.
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            io::Error::other(format!("{error}; server log ends: {}", tail.join(" | ")))
        })
    }

    /// A clean, fast shutdown (`pg_ctl stop -m fast`): connections are closed, the
    /// port stops answering.
    pub fn stop(&self) -> io::Result<()> {
        self.pg_ctl_stop("fast")
    }

    /// A crash: SIGKILL to the postmaster, then waits until its backends have gone too
    /// (they exit when they see it die), so the cluster can be started again.
    pub fn kill_9(&self) -> io::Result<()> {
        let pid = self.postmaster_pid()?;
        let backends = children_of(pid);
        signal("KILL", pid)?;
        let deadline = Instant::now() + Duration::from_millis(BACKENDS_EXIT_TIMEOUT_MS);
        for backend in backends {
            while process_alive(backend) {
                if Instant::now() > deadline {
                    // A backend that outlived its postmaster this long is stuck.
                    signal("KILL", backend)?;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        while process_alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Where nothing reaps orphans (a container whose init doesn't), the dead
        // postmaster stays a zombie, and PostgreSQL takes a zombie's pid in
        // `postmaster.pid` (and the socket's lock file) for a live postmaster and refuses
        // to start: the files go.
        if !process_alive(pid) {
            let _ = std::fs::remove_file(self.data_dir.join("postmaster.pid"));
            let socket_lock = format!(".s.PGSQL.{}.lock", self.port);
            let _ = std::fs::remove_file(self.data_dir.join(socket_lock));
        }
        Ok(())
    }

    /// Stops the cluster (fast) and starts it again.
    pub fn restart(&self) -> io::Result<()> {
        self.stop()?;
        self.start_again()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where `pg_dump`, `pg_restore`, `psql` of the cluster's version are.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The URL of `database` on this cluster, as user `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A fresh, migrated database on this cluster, dropped with the value.
    pub async fn test_database(&self) -> TestDatabase {
        TestDatabase::postgres_at(&self.url("postgres"))
            .await
            .expect("a fresh database on the private cluster")
    }

    /// Runs one of the cluster's programs (`bin_dir`) as the cluster's OS user.
    pub fn run(&self, program: &str, args: &[&str]) -> io::Result<Output> {
        let program = self.bin_dir.join(program);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", CLUSTER_OS_USER, "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        // The cluster's own files are private to it; run from a directory it may read.
        let output = command.args(args).current_dir("/").output()?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(io::Error::other(format!(
                "{} {} failed: {}{}",
                program.display(),
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }

    fn pg_ctl_stop(&self, mode: &str) -> io::Result<()> {
        let data_dir = self.data_dir.display().to_string();
        let timeout = (CLUSTER_START_TIMEOUT_MS / 1000).to_string();
        self.run(
            "pg_ctl",
            &["-D", &data_dir, "-m", mode, "-w", "-t", &timeout, "stop"],
        )
        .map(drop)
    }

    /// The postmaster's pid, the first line of `postmaster.pid`.
    fn postmaster_pid(&self) -> io::Result<u32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid"))?;
        text.lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .ok_or_else(|| io::Error::other("postmaster.pid has no pid"))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.postmaster_pid().is_ok_and(process_alive) {
            let _ = self.pg_ctl_stop("immediate");
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// `FUNDLEDGER_PG_BIN`, else `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FUNDLEDGER_PG_BIN") {
        return PathBuf::from(dir);
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if output.status.success() && Path::new(&dir).join("initdb").exists() {
            return PathBuf::from(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    // Numeric order, so 15 comes after 9.
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop().unwrap_or_default()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// A port nothing listens on now (the OS's pick for port 0).
fn free_port() -> io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn signal(name: &str, pid: u32) -> io::Result<()> {
    let status = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -{name} {pid} failed")))
    }
}

/// Running (not gone, not a zombie waiting to be reaped).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: "pid (comm) S ...".
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The pids whose parent is `pid` (a postmaster's backends and helpers).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}
