//! `check url`: the endpoints of a service that is already running, any language.

use std::time::Duration;

use dockerflow_check::{Answer, Mode, RuntimeModel};
use dockerflow_http::{fetch, HttpUrl};

use crate::run::{answer, probe_endpoints, BODY_LIMIT};
use crate::Error;

/// How to probe a URL.
#[derive(Debug, Clone)]
pub struct UrlOptions {
    /// A static file path to ask for.
    pub static_path: Option<String>,
    /// The time limit of each request.
    pub timeout: Duration,
}

impl Default for UrlOptions {
    fn default() -> UrlOptions {
        UrlOptions {
            static_path: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Probes the Dockerflow endpoints of the service at `url` (`http://HOST:PORT[/PREFIX]`).
/// `Err` when the URL is not a plain-http URL, or when nothing can be judged: the host does
/// not resolve, nothing listens at its port, or the first request gets no answer within the
/// timeout (so a silent server costs one timeout, not one per request). A service that
/// answers, however badly, is an `Ok` model whose findings say so.
pub fn probe_url(url: &str, options: &UrlOptions) -> Result<RuntimeModel, Error> {
    let parsed = HttpUrl::parse(url).map_err(Error::BadUrl)?;
    let first = reachable(&parsed, options.timeout).map_err(|source| Error::Unreachable {
        url: url.to_string(),
        source,
    })?;
    let mut m = RuntimeModel::new(Mode::Url, url);
    m.heartbeat_deadline = options.timeout;
    probe_endpoints(
        &mut m,
        &parsed,
        options.static_path.as_deref(),
        options.timeout,
        Some(first),
    );
    Ok(m)
}

/// Whether the service at `url` answers at all (see [`probe_url`]): its answer to
/// `GET /__lbheartbeat__` when it does.
fn reachable(url: &HttpUrl, timeout: Duration) -> Result<Answer, dockerflow_http::FetchError> {
    match fetch(url, "GET", "/__lbheartbeat__", &[], timeout, BODY_LIMIT) {
        Err(e) if e.is_unreachable() => Err(e),
        // Any other answer, or a broken one, is for the rules to judge.
        fetched => Ok(answer("GET", "/__lbheartbeat__", fetched)),
    }
}
