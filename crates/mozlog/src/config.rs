//! Configuration from the environment, and installing the global subscriber.

use std::error::Error;
use std::fmt;
use std::io::IsTerminal;
use std::str::FromStr;

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, Layered, SubscriberExt};
use tracing_subscriber::Registry;

use crate::gcp::Gcp;
use crate::mozlog::{MozlogLayer, DEFAULT_MAX_LINE_BYTES};
use crate::request_span::RequestSpans;
use crate::text::TextLayer;

/// Chooses the log format.
pub const FORMAT_VAR: &str = "DOCKERFLOW_LOG_FORMAT";
/// The filter, in [`Targets`] syntax.
pub const LEVEL_VAR: &str = "DOCKERFLOW_LOG_LEVEL";
/// The line limit in bytes.
pub const MAX_BYTES_VAR: &str = "DOCKERFLOW_LOG_MAX_BYTES";
/// Overrides the `Logger` name.
pub const APP_NAME_VAR: &str = "DOCKERFLOW_APP_NAME";
/// `true` adds Google Cloud Logging's keys to every mozlog line.
pub const GCP_VAR: &str = "DOCKERFLOW_LOG_GCP";
/// The Google Cloud project of `logging.googleapis.com/trace`.
pub const GCP_PROJECT_VAR: &str = "DOCKERFLOW_GCP_PROJECT";
/// The project, when [`GCP_PROJECT_VAR`] is not set (Google's own variable).
pub const GOOGLE_CLOUD_PROJECT_VAR: &str = "GOOGLE_CLOUD_PROJECT";

/// The smallest line limit accepted from the environment: room for the envelope, a useful
/// message and the truncation marker.
pub const MIN_MAX_LINE_BYTES: usize = 1024;

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One mozlog JSON object per line ([`MozlogLayer`]): the default in a container.
    Mozlog,
    /// Human-readable lines ([`TextLayer`]), for local development.
    Text,
}

impl Format {
    /// Parses `DOCKERFLOW_LOG_FORMAT`'s value: `mozlog` or `json` for [`Format::Mozlog`], `text`
    /// for [`Format::Text`] (ASCII case ignored). Unset (or empty) means mozlog, unless stdout is
    /// a terminal, then text: a developer running the app by hand gets readable lines, a
    /// container (whose stdout is a pipe) gets mozlog.
    pub fn from_env_value(v: Option<&str>) -> Result<Format, ConfigError> {
        parse_format(v, || std::io::stdout().is_terminal())
    }
}

fn parse_format(
    v: Option<&str>,
    is_terminal: impl FnOnce() -> bool,
) -> Result<Format, ConfigError> {
    match v.map(str::trim) {
        None | Some("") => Ok(if is_terminal() {
            Format::Text
        } else {
            Format::Mozlog
        }),
        Some(s) if s.eq_ignore_ascii_case("mozlog") || s.eq_ignore_ascii_case("json") => {
            Ok(Format::Mozlog)
        }
        Some(s) if s.eq_ignore_ascii_case("text") => Ok(Format::Text),
        Some(s) => Err(ConfigError::new(
            FORMAT_VAR,
            s,
            "is not a log format: expected \"mozlog\" (or \"json\") or \"text\"",
        )),
    }
}

/// Everything [`init`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Every record's `Logger`: the application's name.
    pub logger: String,
    /// Mozlog JSON or text.
    pub format: Format,
    /// Which events are written, in [`Targets`] syntax (`"info,sqlx=warn"`).
    pub filter: String,
    /// The line limit of the mozlog format, in bytes, newline included.
    pub max_line_bytes: usize,
    /// Google Cloud Logging's keys on every mozlog line ([`MozlogLayer::with_gcp`]).
    pub gcp: bool,
    /// The project of the `logging.googleapis.com/trace` key (read only with `gcp`).
    pub gcp_project: Option<String>,
}

impl LogConfig {
    /// Reads the configuration from the process environment:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `DOCKERFLOW_LOG_FORMAT` | `mozlog` (or `json`), `text` | mozlog; text when stdout is a terminal |
    /// | `DOCKERFLOW_LOG_LEVEL` | a level (`error`, `warn`, `info`, `debug`, `trace`, `off`), or [`Targets`] directives such as `info,sqlx=warn` | `info` |
    /// | `DOCKERFLOW_LOG_MAX_BYTES` | mozlog line limit, at least 1024 | 65536 |
    /// | `DOCKERFLOW_APP_NAME` | the `Logger` name | `logger` |
    /// | `DOCKERFLOW_LOG_GCP` | `true` adds Cloud Logging's `severity`, `message` and trace keys (`false`, `1`, `0`, `yes`, `no`, `on`, `off` also read) | `false` |
    /// | `DOCKERFLOW_GCP_PROJECT` | the project of `logging.googleapis.com/trace` | `GOOGLE_CLOUD_PROJECT` |
    ///
    /// An empty variable counts as unset. A bad value is an error naming the variable, the
    /// value, and what was expected, never a silent fallback.
    pub fn from_env(logger: impl Into<String>) -> Result<LogConfig, ConfigError> {
        LogConfig::from_lookup(logger, |name| {
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        })
    }

    /// [`LogConfig::from_env`] with the variables looked up by `lookup` (for tests, or for an
    /// application with its own configuration source).
    pub fn from_lookup(
        logger: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<LogConfig, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let format = Format::from_env_value(get(FORMAT_VAR).as_deref())?;
        let filter = match get(LEVEL_VAR) {
            Some(v) => {
                parse_filter(&v)?;
                v.trim().to_owned()
            }
            None => "info".to_owned(),
        };
        let max_line_bytes = match get(MAX_BYTES_VAR) {
            Some(v) => parse_max_bytes(&v)?,
            None => DEFAULT_MAX_LINE_BYTES,
        };
        let logger = get(APP_NAME_VAR)
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| logger.into());
        let gcp = match get(GCP_VAR).as_deref().map(str::trim) {
            None => false,
            Some(v) => parse_bool(GCP_VAR, v)?,
        };
        let gcp_project = match (gcp, get(GCP_PROJECT_VAR), get(GOOGLE_CLOUD_PROJECT_VAR)) {
            (false, _, _) | (true, None, None) => None,
            (true, Some(v), _) => Some(parse_project(GCP_PROJECT_VAR, &v)?),
            (true, None, Some(v)) => Some(parse_project(GOOGLE_CLOUD_PROJECT_VAR, &v)?),
        };
        Ok(LogConfig {
            logger,
            format,
            filter,
            max_line_bytes,
            gcp,
            gcp_project,
        })
    }
}

fn parse_bool(variable: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            variable,
            v,
            "is not a boolean: expected true or false",
        )),
    }
}

/// A Google Cloud project id: letters, digits, `-`, and the `.` and `:` of legacy
/// domain-scoped ids (`example.com:project`).
fn parse_project(variable: &'static str, v: &str) -> Result<String, ConfigError> {
    let v = v.trim();
    let valid = v.len() <= 100
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'));
    if valid {
        Ok(v.to_owned())
    } else {
        Err(ConfigError::new(
            variable,
            v,
            "is not a Google Cloud project id: expected letters, digits, '-', '.' or ':'",
        ))
    }
}

fn parse_max_bytes(v: &str) -> Result<usize, ConfigError> {
    let expected = "expected a number of bytes, at least 1024";
    match v.trim().parse::<usize>() {
        Ok(n) if n >= MIN_MAX_LINE_BYTES => Ok(n),
        Ok(_) => Err(ConfigError::new(
            MAX_BYTES_VAR,
            v,
            &format!("is too small: {expected}"),
        )),
        Err(_) => Err(ConfigError::new(
            MAX_BYTES_VAR,
            v,
            &format!("is not a line limit: {expected}"),
        )),
    }
}

/// Parses a filter, refusing what [`Targets`] would silently accept as a target name: in
/// `Targets` syntax a bare word is a target enabled at every level, so `warning` or `loud`
/// would turn off all logs but that target's. Every bare word must be a level.
fn parse_filter(v: &str) -> Result<Targets, ConfigError> {
    let expected = "is not a log filter: expected a level (error, warn, info, debug, trace, off) \
                    or comma-separated target=level directives such as \"info,sqlx=warn\"";
    let bad = || ConfigError::new(LEVEL_VAR, v, expected);
    for directive in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.split_once('=') {
            Some((target, level)) if !target.trim().is_empty() => level,
            Some(_) => return Err(bad()),
            None => directive,
        };
        if LevelFilter::from_str(level.trim()).is_err() {
            return Err(bad());
        }
    }
    Targets::from_str(v).map_err(|_| bad())
}

/// A configuration value that cannot be used. Its message is one line: the variable, the value,
/// and what was expected, e.g. `DOCKERFLOW_LOG_FORMAT="xml" is not a log format: expected
/// "mozlog" (or "json") or "text"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    variable: &'static str,
    value: String,
    problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, value: &str, problem: &str) -> Self {
        ConfigError {
            variable,
            value: value.to_owned(),
            problem: problem.to_owned(),
        }
    }

    /// The environment variable at fault.
    pub fn variable(&self) -> &str {
        self.variable
    }

    /// Its value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` quotes the value and escapes any newline in it, keeping the message on one line.
        write!(f, "{}={:?} {}", self.variable, self.value, self.problem)
    }
}

impl Error for ConfigError {}

/// [`init`] failed.
#[derive(Debug)]
pub struct InitError(InitErrorKind);

#[derive(Debug)]
enum InitErrorKind {
    Config(ConfigError),
    AlreadySet,
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            InitErrorKind::Config(e) => e.fmt(f),
            InitErrorKind::AlreadySet => f.write_str(
                "cannot install the log subscriber: a global tracing subscriber is already set \
                 (expected dockerflow_mozlog::init to be called once, before any other)",
            ),
        }
    }
}

impl Error for InitError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.0 {
            InitErrorKind::Config(e) => Some(e),
            InitErrorKind::AlreadySet => None,
        }
    }
}

/// Installs the global default subscriber: a registry, `config.filter`, and the layer for
/// `config.format`.
///
/// The filter decides which events are written. Spans are kept at `info` and above whatever the
/// filter's level (unless their target is `off`), so the request span's `rid` is on every record
/// even when `DOCKERFLOW_LOG_LEVEL=warn`; more verbose spans follow the filter.
///
/// Fails when `config.filter` is not valid (the message names `DOCKERFLOW_LOG_LEVEL`, where the
/// filter normally comes from) or when a global subscriber is already set.
pub fn init(config: &LogConfig) -> Result<(), InitError> {
    let targets = parse_filter(&config.filter).map_err(|e| InitError(InitErrorKind::Config(e)))?;
    let targets_copy = targets.clone();
    let registry = tracing_subscriber::registry().with(Filter { targets });
    let result = match config.format {
        Format::Mozlog => {
            let mut layer = MozlogLayer::new(config.logger.clone())
                .with_max_line_bytes(config.max_line_bytes)
                .with_writer(crate::BatchedStdout);
            if config.gcp {
                layer = layer.with_gcp(config.gcp_project.as_deref());
            }
            let hostname = layer.hostname().to_owned();
            let subscriber: MozlogSubscriber = RequestSpans::new(registry.with(layer));
            let set = tracing::subscriber::set_global_default(subscriber);
            if set.is_ok() {
                crate::direct::install(
                    &config.logger,
                    &hostname,
                    config.max_line_bytes,
                    targets_copy,
                    config.gcp.then(|| Gcp::new(config.gcp_project.as_deref())),
                );
            }
            set
        }
        Format::Text => {
            let subscriber: TextSubscriber = RequestSpans::new(
                registry.with(TextLayer::new().with_writer(crate::BatchedStdout)),
            );
            tracing::subscriber::set_global_default(subscriber)
        }
    };
    result.map_err(|_| InitError(InitErrorKind::AlreadySet))
}

/// The subscriber [`init`] installs in mozlog format.
type MozlogSubscriber =
    RequestSpans<Layered<MozlogLayer<crate::BatchedStdout>, Layered<Filter, Registry>>>;
/// The subscriber [`init`] installs in text format.
type TextSubscriber =
    RequestSpans<Layered<TextLayer<crate::BatchedStdout>, Layered<Filter, Registry>>>;

/// Whether `dispatch` is the subscriber [`init`] installed (either format).
pub(crate) fn is_init(dispatch: &tracing::Dispatch) -> bool {
    dispatch.is::<MozlogSubscriber>() || dispatch.is::<TextSubscriber>()
}

/// [`Targets`] for events; spans at `info` and above pass if their target is not off.
#[derive(Debug)]
pub(crate) struct Filter {
    pub(crate) targets: Targets,
}

impl Filter {
    fn keeps(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        self.targets.would_enable(target, metadata.level())
            || (metadata.is_span()
                && *metadata.level() <= Level::INFO
                && self.targets.would_enable(target, &Level::ERROR))
    }
}

impl<S: Subscriber> Layer<S> for Filter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.keeps(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        self.keeps(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let hint = Layer::<S>::max_level_hint(&self.targets)?;
        Some(if hint == LevelFilter::OFF {
            hint
        } else {
            hint.max(LevelFilter::INFO)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<LogConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LogConfig::from_lookup("app", |name| map.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[(FORMAT_VAR, "mozlog")]).unwrap();
        assert_eq!(
            c,
            LogConfig {
                logger: "app".into(),
                format: Format::Mozlog,
                filter: "info".into(),
                max_line_bytes: 65536,
                gcp: false,
                gcp_project: None,
            }
        );
    }

    #[test]
    fn every_variable() {
        let c = config(&[
            (FORMAT_VAR, "TEXT"),
            (LEVEL_VAR, "warn,sqlx=error,my_app=debug"),
            (MAX_BYTES_VAR, "2048"),
            (APP_NAME_VAR, "renamed"),
        ])
        .unwrap();
        assert_eq!(c.format, Format::Text);
        assert_eq!(c.filter, "warn,sqlx=error,my_app=debug");
        assert_eq!(c.max_line_bytes, 2048);
        assert_eq!(c.logger, "renamed");
        assert_eq!(
            config(&[(FORMAT_VAR, "json")]).unwrap().format,
            Format::Mozlog
        );
    }

    #[test]
    fn gcp_and_its_project() {
        let gcp = |vars: &[(&str, &str)]| {
            let c = config(vars).unwrap();
            (c.gcp, c.gcp_project)
        };
        assert_eq!(
            gcp(&[(GCP_VAR, "false"), (GCP_PROJECT_VAR, "p")]),
            (false, None)
        );
        assert_eq!(gcp(&[(GCP_VAR, "TRUE")]), (true, None));
        let both = [
            (GCP_VAR, "true"),
            (GOOGLE_CLOUD_PROJECT_VAR, "from-google"),
            (GCP_PROJECT_VAR, "ours"),
        ];
        assert_eq!(gcp(&both), (true, Some("ours".into())));
        assert_eq!(gcp(&both[..2]), (true, Some("from-google".into())));
        assert_eq!(
            config(&[(GCP_VAR, "maybe")]).unwrap_err().to_string(),
            r#"DOCKERFLOW_LOG_GCP="maybe" is not a boolean: expected true or false"#
        );
        let e = config(&[(GCP_VAR, "1"), (GCP_PROJECT_VAR, "a/b")]).unwrap_err();
        assert_eq!(e.variable(), GCP_PROJECT_VAR);
    }

    #[test]
    fn unset_format_follows_the_terminal() {
        assert_eq!(parse_format(None, || true).unwrap(), Format::Text);
        assert_eq!(parse_format(None, || false).unwrap(), Format::Mozlog);
        assert_eq!(parse_format(Some(" "), || false).unwrap(), Format::Mozlog);
    }

    #[test]
    fn errors_name_the_variable_the_value_and_the_expectation() {
        let e = config(&[(FORMAT_VAR, "xml")]).unwrap_err();
        assert_eq!(e.variable(), FORMAT_VAR);
        assert_eq!(
            e.to_string(),
            r#"DOCKERFLOW_LOG_FORMAT="xml" is not a log format: expected "mozlog" (or "json") or "text""#
        );
        for bad in ["loud", "warning", "info,=debug", "sqlx=loud"] {
            let e = config(&[(FORMAT_VAR, "text"), (LEVEL_VAR, bad)]).unwrap_err();
            assert_eq!(e.variable(), LEVEL_VAR, "{bad}");
            assert!(e.to_string().starts_with(&format!(
                "DOCKERFLOW_LOG_LEVEL={bad:?} is not a log filter: expected"
            )));
        }
        let e = config(&[(FORMAT_VAR, "text"), (MAX_BYTES_VAR, "100")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"DOCKERFLOW_LOG_MAX_BYTES="100" is too small: expected a number of bytes, at least 1024"#
        );
        let e = config(&[(FORMAT_VAR, "text"), (MAX_BYTES_VAR, "64k")]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with(r#"DOCKERFLOW_LOG_MAX_BYTES="64k" is not a line limit"#));
        let e = config(&[(FORMAT_VAR, "a\nb")]).unwrap_err();
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn filter_keeps_info_spans_below_the_level() {
        let filter = Filter {
            targets: parse_filter("warn,noisy=off").unwrap(),
        };
        assert!(filter.targets.would_enable("app", &Level::WARN));
        assert!(!filter.targets.would_enable("app", &Level::INFO));
        assert_eq!(
            Layer::<tracing_subscriber::Registry>::max_level_hint(&filter),
            Some(LevelFilter::INFO)
        );
        let off = Filter {
            targets: parse_filter("off").unwrap(),
        };
        assert_eq!(
            Layer::<tracing_subscriber::Registry>::max_level_hint(&off),
            Some(LevelFilter::OFF)
        );
    }

    #[test]
    fn request_span_fields_reach_warnings_at_level_warn() {
        use crate::test_support::Capture;
        use crate::MozlogLayer;

        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry()
            .with(Filter {
                targets: parse_filter("warn").unwrap(),
            })
            .with(MozlogLayer::new("app").with_writer(capture.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let _request = tracing::info_span!("request", rid = "r-1").entered();
            let _inner = tracing::debug_span!("inner", hidden = 1).entered();
            tracing::info!("not written");
            tracing::warn!("written");
        });
        let lines = capture.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["Fields"]["rid"], "r-1");
        assert_eq!(lines[0]["Fields"]["msg"], "written");
        assert!(lines[0]["Fields"].get("hidden").is_none());
    }
}
