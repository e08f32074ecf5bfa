//! `check url`: the endpoints of a service that is already running, any language.

use std::time::Duration;

use dockerflow_check::{Mode, RuntimeModel};
use dockerflow_engine::http::HttpUrl;

use crate::run::probe_endpoints;
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
/// `Err` when the URL is not a plain-http URL; an unreachable service is an `Ok` model whose
/// findings say so.
pub fn probe_url(url: &str, options: &UrlOptions) -> Result<RuntimeModel, Error> {
    let parsed = HttpUrl::parse(url).map_err(Error)?;
    let mut m = RuntimeModel::new(Mode::Url, url);
    m.heartbeat_deadline = options.timeout;
    probe_endpoints(
        &mut m,
        &parsed,
        options.static_path.as_deref(),
        options.timeout,
    );
    Ok(m)
}
