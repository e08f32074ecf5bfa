//! Configuration from the environment (CONTRACT 1.1): `PORT`, `HOST` and the library's settings
//! under the `DOCKERFLOW_` prefix.
//!
//! Every setting is listed once, in [`SETTINGS`], which the crate documentation and the
//! `docs/CONFIGURATION.md` table are checked against. A bad value is never silently replaced
//! by a default: [`Config::from_env`] returns a [`ConfigError`] whose one-line message names
//! the variable, the value and what was expected.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderName, StatusCode};

/// One environment variable the library reads, for documentation and tests.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The variable's name.
    pub name: &'static str,
    /// Its default, as text.
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

/// Every environment variable the library reads, in the order of the documentation table.
pub const SETTINGS: &[Setting] = &[
    Setting { name: "PORT", default: "8000", doc: "TCP port to listen on, 1-65535." },
    Setting { name: "HOST", default: "::", doc: "Address to bind; `::` is dual-stack (IPv4 and IPv6) and falls back to `0.0.0.0` where IPv6 is unavailable." },
    Setting { name: "DOCKERFLOW_APP_NAME", default: "(the service's name)", doc: "The mozlog `Logger` value." },
    Setting { name: "DOCKERFLOW_LOG_FORMAT", default: "mozlog (text on a terminal)", doc: "`mozlog` (JSON lines) or `text` (human-readable, for local work)." },
    Setting { name: "DOCKERFLOW_LOG_LEVEL", default: "info", doc: "Log filter: a level, or `level,target=level,...`." },
    Setting { name: "DOCKERFLOW_LOG_MAX_BYTES", default: "65536", doc: "Largest mozlog line; longer records are truncated with a marker, never split or dropped." },
    Setting { name: "DOCKERFLOW_LOG_GCP", default: "false", doc: "`true` adds Google Cloud Logging's `severity`, `message` and (with a `traceparent` and a project) `logging.googleapis.com/trace` and `logging.googleapis.com/spanId` to every mozlog line, beside the whole envelope." },
    Setting { name: "DOCKERFLOW_GCP_PROJECT", default: "`GOOGLE_CLOUD_PROJECT`", doc: "The Google Cloud project in `logging.googleapis.com/trace`." },
    Setting { name: "DOCKERFLOW_VERSION_FILE", default: "/app/version.json (then ./version.json)", doc: "Where version.json is read, once, at start-up." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_FAILED_STATUS", default: "500", doc: "HTTP status of a failing heartbeat (500-599)." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_CHECK_TIMEOUT_MS", default: "3000", doc: "Time limit of each check; a check over it is an error." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_DEADLINE_MS", default: "5000", doc: "Time limit of the whole heartbeat." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_REUSE_MS", default: "1000", doc: "How long a heartbeat result is reused; 0 reuses nothing (concurrent requests still share one run)." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_NONCRITICAL", default: "(none)", doc: "Comma-separated check names whose failures count as warnings (degraded, still 200)." },
    Setting { name: "DOCKERFLOW_HEARTBEAT_DETAILS", default: "full", doc: "`full` (status, checks and details) or `status` (only the overall status)." },
    Setting { name: "DOCKERFLOW_ERROR_TOKEN", default: "(unset: /__error__ is off)", doc: "Secret that enables `/__error__`; requests must send `Authorization: Bearer <token>`." },
    Setting { name: "DOCKERFLOW_REQUEST_ID_HEADER", default: "x-request-id", doc: "Header a request id is read from and echoed in." },
    Setting { name: "DOCKERFLOW_SUMMARY", default: "true", doc: "Whether `request.summary` records are written at all." },
    Setting { name: "DOCKERFLOW_SUMMARY_EXCLUDE", default: "/__lbheartbeat__", doc: "Comma-separated paths without a `request.summary` record (empty: log every path)." },
    Setting { name: "DOCKERFLOW_SUMMARY_QUERYSTRING", default: "false", doc: "Add the query string to `request.summary` (off by default: it may hold personal data)." },
    Setting { name: "DOCKERFLOW_DRAIN_DELAY_MS", default: "3000", doc: "After SIGTERM/SIGINT, how long `/__lbheartbeat__` answers 503 while still serving, before the listener closes. A second signal ends the delay." },
    Setting { name: "DOCKERFLOW_GRACE_PERIOD_MS", default: "25000", doc: "After the listener closes, how long in-flight requests have to finish." },
    Setting { name: "DOCKERFLOW_STATIC_DIR", default: "/app/static", doc: "Directory of static files, for services that serve them." },
];

/// How much the heartbeat body shows (CONTRACT 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatDetails {
    /// `status`, `checks` and `details`.
    Full,
    /// Only `status`.
    Status,
}

/// The library's configuration, read from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORT`.
    pub port: u16,
    /// `HOST`; `None` binds all interfaces (`::`, else `0.0.0.0`).
    pub host: Option<IpAddr>,
    /// `DOCKERFLOW_APP_NAME`, if set.
    pub app_name: Option<String>,
    /// `DOCKERFLOW_VERSION_FILE`, if set.
    pub version_file: Option<PathBuf>,
    /// Heartbeat settings.
    pub heartbeat: HeartbeatConfig,
    /// `DOCKERFLOW_ERROR_TOKEN`.
    pub error_token: Option<String>,
    /// Request id and `request.summary` settings.
    pub requests: RequestConfig,
    /// Shutdown settings.
    pub shutdown: ShutdownConfig,
    /// `DOCKERFLOW_STATIC_DIR`.
    pub static_dir: PathBuf,
}

/// Heartbeat settings (CONTRACT 1.4).
#[derive(Debug, Clone)]
pub struct HeartbeatConfig {
    /// Status of a failing heartbeat.
    pub failed_status: StatusCode,
    /// Time limit of each check.
    pub check_timeout: Duration,
    /// Time limit of the whole heartbeat.
    pub deadline: Duration,
    /// How long a result is reused.
    pub reuse: Duration,
    /// Checks whose failures are warnings.
    pub noncritical: Vec<String>,
    /// How much the body shows.
    pub details: HeartbeatDetails,
}

/// Request id and `request.summary` settings (CONTRACT 1.9).
#[derive(Debug, Clone)]
pub struct RequestConfig {
    /// Header the request id is read from and echoed in.
    pub request_id_header: HeaderName,
    /// Whether `request.summary` is written.
    pub summary: bool,
    /// Paths without a summary.
    pub summary_exclude: Vec<String>,
    /// Whether the query string is logged.
    pub summary_querystring: bool,
}

impl RequestConfig {
    /// Whether a request for `path` gets a `request.summary` record: summaries are on and the
    /// path is not excluded (`/__heartbeat__` in the list also excludes `/__heartbeat__/`).
    /// The request layer and the actix-web adapter both ask it.
    pub fn wants_summary(&self, path: &str) -> bool {
        let same = |excluded: &String| {
            excluded.trim_end_matches('/') == path.trim_end_matches('/') && !path.is_empty()
        };
        self.summary && !self.summary_exclude.iter().any(same)
    }
}

/// Shutdown settings (CONTRACT 1.9).
#[derive(Debug, Clone)]
pub struct ShutdownConfig {
    /// How long `/__lbheartbeat__` answers 503 before the listener closes.
    pub drain_delay: Duration,
    /// How long in-flight requests have to finish after that.
    pub grace_period: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_lookup(|_| None).expect("the defaults are valid")
    }
}

/// A configuration value that is not acceptable. Its `Display` is one line: the variable, the
/// value, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable.
    pub variable: String,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}={:?}: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from a map, as if it were the environment (for tests).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| map.get(name).cloned())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env(&lookup);
        let port = env.parse("PORT", 8000, "a port number from 1 to 65535", parse_port)?;
        let host = env.parse_opt(
            "HOST",
            "an IP address such as 0.0.0.0, :: or 127.0.0.1",
            |v| v.parse::<IpAddr>().ok(),
        )?;
        let failed_status = env.parse(
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS",
            StatusCode::INTERNAL_SERVER_ERROR,
            "an HTTP status from 500 to 599",
            |v| {
                v.parse::<u16>()
                    .ok()
                    .filter(|s| (500..=599).contains(s))
                    .and_then(|s| StatusCode::from_u16(s).ok())
            },
        )?;
        let details = env.parse(
            "DOCKERFLOW_HEARTBEAT_DETAILS",
            HeartbeatDetails::Full,
            "\"full\" or \"status\"",
            |v| match v.to_ascii_lowercase().as_str() {
                "full" => Some(HeartbeatDetails::Full),
                "status" => Some(HeartbeatDetails::Status),
                _ => None,
            },
        )?;
        let request_id_header = env.parse(
            "DOCKERFLOW_REQUEST_ID_HEADER",
            HeaderName::from_static("x-request-id"),
            "an HTTP header name",
            |v| HeaderName::from_bytes(v.as_bytes()).ok(),
        )?;
        Ok(Config {
            port,
            host,
            app_name: env.get("DOCKERFLOW_APP_NAME").filter(|v| !v.is_empty()),
            version_file: env
                .get("DOCKERFLOW_VERSION_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            heartbeat: HeartbeatConfig {
                failed_status,
                check_timeout: env.millis("DOCKERFLOW_HEARTBEAT_CHECK_TIMEOUT_MS", 3000, 1)?,
                deadline: env.millis("DOCKERFLOW_HEARTBEAT_DEADLINE_MS", 5000, 1)?,
                reuse: env.millis("DOCKERFLOW_HEARTBEAT_REUSE_MS", 1000, 0)?,
                noncritical: env
                    .list("DOCKERFLOW_HEARTBEAT_NONCRITICAL")
                    .unwrap_or_default(),
                details,
            },
            error_token: env.get("DOCKERFLOW_ERROR_TOKEN").filter(|v| !v.is_empty()),
            requests: RequestConfig {
                request_id_header,
                summary: env.bool("DOCKERFLOW_SUMMARY", true)?,
                summary_exclude: env
                    .list("DOCKERFLOW_SUMMARY_EXCLUDE")
                    .unwrap_or_else(|| vec!["/__lbheartbeat__".to_owned()]),
                summary_querystring: env.bool("DOCKERFLOW_SUMMARY_QUERYSTRING", false)?,
            },
            shutdown: ShutdownConfig {
                drain_delay: env.millis("DOCKERFLOW_DRAIN_DELAY_MS", 3000, 0)?,
                grace_period: env.millis("DOCKERFLOW_GRACE_PERIOD_MS", 25000, 0)?,
            },
            static_dir: env
                .get("DOCKERFLOW_STATIC_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/app/static")),
        })
    }
}

/// Parses a `PORT` value: digits only, 1 to 65535.
pub fn parse_port(value: &str) -> Option<u16> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u16>().ok().filter(|p| *p != 0)
}

struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    fn error(name: &str, value: &str, expected: &str) -> ConfigError {
        ConfigError {
            variable: name.to_owned(),
            value: value.to_owned(),
            expected: expected.to_owned(),
        }
    }

    fn parse<T>(
        &self,
        name: &str,
        default: T,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        Ok(self.parse_opt(name, expected, f)?.unwrap_or(default))
    }

    /// An unset variable is `None`; a set one must parse (an empty value is an error too, except
    /// where a caller filters it first: silently ignoring `PORT=` would hide a mistake).
    fn parse_opt<T>(
        &self,
        name: &str,
        expected: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => f(value.trim())
                .map(Some)
                .ok_or_else(|| Env::error(name, &value, expected)),
        }
    }

    fn millis(&self, name: &str, default: u64, min: u64) -> Result<Duration, ConfigError> {
        let expected = format!("a whole number of milliseconds, at least {min}");
        let ms = self.parse(name, default, &expected, |v| {
            v.parse::<u64>().ok().filter(|ms| *ms >= min)
        })?;
        Ok(Duration::from_millis(ms))
    }

    fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        self.parse(name, default, "true or false", |v| {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Some(true),
                "0" | "false" | "no" | "off" => Some(false),
                _ => None,
            }
        })
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.port, 8000);
        assert_eq!(c.host, None);
        assert_eq!(c.heartbeat.failed_status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(c.requests.summary_exclude, vec!["/__lbheartbeat__"]);
        assert!(!c.requests.summary_querystring);
        assert_eq!(c.requests.request_id_header, "x-request-id");
        assert_eq!(c.error_token, None);
    }

    #[test]
    fn port_values() {
        assert_eq!(config(&[("PORT", "8080")]).unwrap().port, 8080);
        assert_eq!(config(&[("PORT", "65535")]).unwrap().port, 65535);
        for bad in [
            "0",
            "65536",
            "abc",
            "",
            "-1",
            "+80",
            "80.0",
            "1e3",
            "99999999999999999999",
        ] {
            let err = config(&[("PORT", bad)]).unwrap_err();
            assert_eq!(err.variable, "PORT");
            assert_eq!(err.value, bad);
            let line = err.to_string();
            assert!(line.contains("PORT") && !line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn every_setting_rejects_garbage_by_name() {
        for name in [
            "HOST",
            "DOCKERFLOW_HEARTBEAT_FAILED_STATUS",
            "DOCKERFLOW_HEARTBEAT_CHECK_TIMEOUT_MS",
            "DOCKERFLOW_HEARTBEAT_DEADLINE_MS",
            "DOCKERFLOW_HEARTBEAT_REUSE_MS",
            "DOCKERFLOW_HEARTBEAT_DETAILS",
            "DOCKERFLOW_REQUEST_ID_HEADER",
            "DOCKERFLOW_SUMMARY",
            "DOCKERFLOW_SUMMARY_QUERYSTRING",
            "DOCKERFLOW_DRAIN_DELAY_MS",
            "DOCKERFLOW_GRACE_PERIOD_MS",
        ] {
            let err = config(&[(name, "not valid!")]).unwrap_err();
            assert_eq!(err.variable, name);
            assert!(
                SETTINGS.iter().any(|s| s.name == name),
                "{name} is documented"
            );
        }
        assert!(config(&[("DOCKERFLOW_HEARTBEAT_FAILED_STATUS", "404")]).is_err());
        assert_eq!(
            config(&[("DOCKERFLOW_HEARTBEAT_FAILED_STATUS", "503")])
                .unwrap()
                .heartbeat
                .failed_status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn summary_exclusions() {
        let c = config(&[]).unwrap().requests;
        assert!(c.wants_summary("/"));
        assert!(!c.wants_summary("/__lbheartbeat__"));
        assert!(!c.wants_summary("/__lbheartbeat__/"));
        assert!(c.wants_summary("/__heartbeat__"));
        let off = config(&[("DOCKERFLOW_SUMMARY", "false")]).unwrap().requests;
        assert!(!off.wants_summary("/"));
        let all = config(&[("DOCKERFLOW_SUMMARY_EXCLUDE", "")])
            .unwrap()
            .requests;
        assert!(all.wants_summary("/__lbheartbeat__"));
    }

    #[test]
    fn lists() {
        let c = config(&[
            ("DOCKERFLOW_HEARTBEAT_NONCRITICAL", " cache, upstream ,,"),
            ("DOCKERFLOW_SUMMARY_EXCLUDE", ""),
        ])
        .unwrap();
        assert_eq!(c.heartbeat.noncritical, vec!["cache", "upstream"]);
        assert!(c.requests.summary_exclude.is_empty());
    }
}

#[cfg(test)]
mod docs {
    use super::SETTINGS;

    /// `docs/CONFIGURATION.md` lists every setting with its default, and nothing else.
    #[test]
    fn docs_list_every_setting() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/CONFIGURATION.md");
        let text = std::fs::read_to_string(path).expect("docs/CONFIGURATION.md");
        for s in SETTINGS {
            let row = format!("| `{}` | {} |", s.name, s.default);
            assert!(
                text.contains(&row),
                "docs/CONFIGURATION.md lacks the row {row}"
            );
        }
        let rows = text.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(
            rows,
            SETTINGS.len(),
            "docs/CONFIGURATION.md lists settings that do not exist"
        );
    }
}
