//! A private PostgreSQL server on a free loopback port, started from Debian's binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::free_port;
use crate::require;

/// A PostgreSQL server of its own, in a temporary directory, run as the `postgres` user when
/// the tests run as root (initdb and postgres refuse root). Stopped and removed on drop.
#[derive(Debug)]
pub struct Postgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

impl Postgres {
    /// Starts one, or returns `None` (after [`require`]) when PostgreSQL is not installed.
    pub fn start() -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("bin"))
                    .find(|b| b.join("initdb").exists())
            });
        if !require("PostgreSQL (Debian package postgresql)", bin.is_some()) {
            return None;
        }
        let bin = bin?;
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("dockerflow-pg-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("pg dir");
        let as_root = std::env::var("USER").map(|u| u == "root").unwrap_or(false) || is_root();
        if as_root {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir));
        }
        let pg = Postgres { port, dir, bin };
        pg.as_postgres(
            &pg.bin.join("initdb"),
            &[
                "-D",
                &pg.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        pg.ctl("start");
        Some(pg)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// The connection URL (user `postgres`, no password, database `postgres`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn as_postgres(&self, program: &Path, args: &[&str]) {
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args).current_dir(&self.dir);
        run(&mut command);
    }

    /// `pg_ctl ACTION` (`start`, `stop`, `restart`), waiting for it to finish.
    pub fn ctl(&self, action: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("pg.log").display().to_string();
        match action {
            "start" => self.as_postgres(
                &self.bin.join("pg_ctl"),
                &[
                    "-D",
                    &self.data(),
                    "-o",
                    &options,
                    "-l",
                    &log,
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
            ),
            _ => self.as_postgres(
                &self.bin.join("pg_ctl"),
                &["-D", &self.data(), "-m", "fast", "-w", "-t", "30", action],
            ),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.ctl("stop")));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
