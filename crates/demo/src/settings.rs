//! The demo's own settings, from the environment (the library reads `PORT`, `HOST` and the
//! `DOCKERFLOW_*` variables). A bad value is a start-up error naming the variable, never a
//! silent default.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use dockerflow::ConfigError;

use crate::store::Database;

/// The SQLite file's name inside `DATA_DIR`.
pub const SQLITE_FILE: &str = "links.sqlite3";

/// The crate's own static directory, used when `DOCKERFLOW_STATIC_DIR` (default
/// `/app/static`) does not exist: a checkout run with `cargo run` serves the page too.
pub const BUNDLED_STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static");

/// What the demo reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`; unset or empty: SQLite at `DATA_DIR/links.sqlite3`.
    pub database: Database,
    /// `DATA_DIR`, default `./data`: created at start when SQLite is used.
    pub data_dir: PathBuf,
    /// Whether the default SQLite file in `data_dir` is used (then the `disk` check runs).
    pub uses_data_dir: bool,
    /// Whether `DOCKERFLOW_HEARTBEAT_NONCRITICAL` is unset, so the demo's default (`disk`)
    /// applies.
    pub default_noncritical: bool,
    /// `METRICS_PORT`: where the Prometheus exporter serves `/metrics`; unset or empty: no
    /// metrics recorder at all.
    pub metrics_port: Option<u16>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let data_dir = lookup("DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let url = lookup("DATABASE_URL").filter(|v| !v.trim().is_empty());
        let (database, uses_data_dir) = match url {
            None => (Database::Sqlite(sqlite_file(&data_dir)), true),
            Some(url) => (parse_database_url(url.trim())?, false),
        };
        Ok(Settings {
            database,
            data_dir,
            uses_data_dir,
            default_noncritical: lookup("DOCKERFLOW_HEARTBEAT_NONCRITICAL").is_none(),
            metrics_port: metrics_port(lookup("METRICS_PORT"))?,
        })
    }
}

fn metrics_port(value: Option<String>) -> Result<Option<u16>, ConfigError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(Some(port)),
        _ => Err(ConfigError {
            variable: "METRICS_PORT".to_owned(),
            value,
            expected: "a port number from 1 to 65535 (unset or empty: no metrics)".to_owned(),
        }),
    }
}

fn sqlite_file(data_dir: &Path) -> sqlx::sqlite::SqliteConnectOptions {
    sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join(SQLITE_FILE))
}

fn parse_database_url(url: &str) -> Result<Database, ConfigError> {
    let error = |expected: String| ConfigError {
        variable: "DATABASE_URL".to_owned(),
        // Never echo a password, not even in a start-up error.
        value: dockerflow::redact::redact(url),
        expected,
    };
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map(Database::Sqlite)
            .map_err(|e| {
                error(format!(
                    "an SQLite URL such as sqlite://data/links.sqlite3 ({e})"
                ))
            }),
        "postgres" | "postgresql" => sqlx::postgres::PgConnectOptions::from_str(url)
            .map(Database::Postgres)
            .map_err(|e| {
                error(format!(
                    "a PostgreSQL URL such as postgres://user:password@host:5432/db ({})",
                    dockerflow::redact::redact(&e.to_string())
                ))
            }),
        _ => Err(error(
            "a URL starting with sqlite:, postgres:// or postgresql://".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_sqlite_in_data_dir() {
        let s = settings(&[]).expect("defaults");
        assert!(matches!(s.database, Database::Sqlite(_)));
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.uses_data_dir && s.default_noncritical);
        let s = settings(&[
            ("DATABASE_URL", ""),
            ("DOCKERFLOW_HEARTBEAT_NONCRITICAL", ""),
        ])
        .expect("empty url");
        assert!(s.uses_data_dir && !s.default_noncritical);
    }

    #[test]
    fn metrics_port() {
        assert_eq!(settings(&[]).unwrap().metrics_port, None);
        assert_eq!(
            settings(&[("METRICS_PORT", "")]).unwrap().metrics_port,
            None
        );
        assert_eq!(
            settings(&[("METRICS_PORT", "9090")]).unwrap().metrics_port,
            Some(9090)
        );
        for bad in ["0", "65536", "ninety", "-1"] {
            let err = settings(&[("METRICS_PORT", bad)]).unwrap_err();
            assert_eq!(
                (err.variable.as_str(), err.value.as_str()),
                ("METRICS_PORT", bad)
            );
            assert!(err.expected.contains("1 to 65535"), "{err}");
        }
    }

    #[test]
    fn database_urls() {
        let s = settings(&[("DATABASE_URL", "sqlite://x.db")]).expect("sqlite");
        assert!(matches!(s.database, Database::Sqlite(_)) && !s.uses_data_dir);
        for url in ["postgres://u:p@h/db", "postgresql://h:5432/db"] {
            let s = settings(&[("DATABASE_URL", url)]).expect("postgres");
            assert!(matches!(s.database, Database::Postgres(_)));
        }
        let err = settings(&[("DATABASE_URL", "mysql://u:secret@h/db")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        let line = err.to_string();
        assert!(!line.contains("secret") && !line.contains('\n'), "{line}");
    }
}
