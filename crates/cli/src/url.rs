//! `dockerflow check url URL`: the Dockerflow endpoints of a service that is already running
//! (any language), judged by the runtime rules; static rules are skipped.

use dockerflow_check::{check_runtime, Options, Report};
use dockerflow_probe::{probe_url, UrlOptions};

use crate::run::RunArgs;
use crate::{fatal, Fatal};

/// Probes `url` and judges it.
pub(crate) fn check(url: &str, args: &RunArgs, options: &Options) -> Result<Report, Fatal> {
    if let Some(f) = args
        .given
        .iter()
        .find(|f| !matches!(f.as_str(), "--static-path" | "--timeout"))
    {
        return Err(fatal(format!(
            "{f} applies to `check image REF --run` only; check url takes --static-path and --timeout"
        )));
    }
    let mut o = UrlOptions {
        static_path: args.static_path.clone(),
        ..UrlOptions::default()
    };
    if let Some(t) = args.timeout {
        o.timeout = t;
    }
    let observed = probe_url(url, &o).map_err(|e| fatal(format!("cannot check url {}", e.0)))?;
    Ok(check_runtime(&observed, options))
}
