//! A PostgreSQL primary and a streaming replica of it, for the read-replica tests: a primary
//! made by `initdb`, a replica made from it by `pg_basebackup -R` (Debian's PostgreSQL), each
//! on a free port of this machine, run as the `postgres` user when the tests run as root. Each
//! test starts its own pair (in a few seconds), may stop and start either, and removes both
//! when done.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sea_orm::ConnectionTrait;

use crate::helpers::{say, unique};

/// The folder of PostgreSQL's programs (`initdb`, `pg_ctl`, `pg_basebackup`).
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_basebackup").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Whether this process runs as root (PostgreSQL refuses to; its programs then run as
/// `postgres`).
fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// One PostgreSQL server of the pair.
pub struct PgServer {
    pub port: u16,
    data: PathBuf,
    bin: PathBuf,
    running: bool,
}

/// A primary and its replica.
pub struct PgPair {
    pub primary: PgServer,
    pub replica: PgServer,
    dir: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One of PostgreSQL's programs, to be run as `postgres` when this is root.
fn program(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(path);
        cmd
    } else {
        Command::new(path)
    }
}

/// Runs one of PostgreSQL's programs; it must succeed.
fn run(bin: &Path, name: &str, args: &[&str]) -> Output {
    let output = program(bin, name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"));
    assert!(
        output.status.success(),
        "{name} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl PgServer {
    /// The URL a node is given.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts it (waiting until it accepts connections).
    pub fn start(&mut self) {
        let data = self.data.display().to_string();
        let log = self.data.join("server.log").display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data} -c fsync=off",
            self.port
        );
        run(
            &self.bin,
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &options, "start"],
        );
        self.running = true;
    }

    /// Stops it at once (`pg_ctl stop -m immediate`: as a crash would).
    pub fn stop(&mut self) {
        let data = self.data.display().to_string();
        run(
            &self.bin,
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "-w", "stop"],
        );
        self.running = false;
    }
}

impl PgPair {
    /// A primary and a replica streaming from it, or `None` (with a line saying so) when
    /// PostgreSQL's programs are not installed; under `CI=true` they must be.
    pub async fn start(test: &str) -> Option<PgPair> {
        let Some(bin) = bin_dir() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "PostgreSQL's programs are missing, and under CI=true replica tests must run"
                );
            }
            say(&format!(
                "SKIPPED {test}: install PostgreSQL's server to run it"
            ));
            return None;
        };
        let dir = std::env::temp_dir().join(unique("imcluster-pg"));
        std::fs::create_dir_all(&dir).expect("a folder");
        if root() {
            let chowned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown runs");
            assert!(chowned.success());
        }
        let mut primary = PgServer {
            port: free_port(),
            data: dir.join("primary"),
            bin: bin.clone(),
            running: false,
        };
        let data = primary.data.display().to_string();
        run(
            &bin,
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        primary.start();
        let mut replica = PgServer {
            port: free_port(),
            data: dir.join("replica"),
            bin: bin.clone(),
            running: false,
        };
        let port = primary.port.to_string();
        let replica_data = replica.data.display().to_string();
        run(
            &bin,
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &replica_data,
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        replica.start();
        let pair = PgPair {
            primary,
            replica,
            dir,
        };
        assert!(pair.replica_in_recovery().await, "the replica is a replica");
        Some(pair)
    }

    /// Whether the replica answers as a server in recovery (a streaming replica).
    pub async fn replica_in_recovery(&self) -> bool {
        let db = sea_orm::Database::connect(self.replica.url())
            .await
            .expect("the replica accepts connections");
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_is_in_recovery()",
            ))
            .await
            .expect("a query")
            .expect("a row");
        db.close().await.ok();
        row.try_get_by_index::<bool>(0).expect("a bool")
    }
}

impl Drop for PgPair {
    fn drop(&mut self) {
        for server in [&mut self.replica, &mut self.primary] {
            if server.running {
                let data = server.data.display().to_string();
                let _ = program(&server.bin, "pg_ctl")
                    .args(["-D", &data, "-m", "immediate", "-w", "stop"])
                    .output();
            }
        }
        if std::thread::panicking() {
            eprintln!("the PostgreSQL servers' folders: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
