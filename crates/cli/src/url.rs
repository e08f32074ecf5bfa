//! `dockerflow check url URL`: the Dockerflow endpoints of a service that is already running
//! (any language), judged by the runtime rules; static rules are skipped.

use dockerflow_check::{check_runtime, Options, Report};
use dockerflow_probe::{probe_url, UrlOptions};

use crate::cli::UrlArgs;
use crate::fatal::Fatal;

/// Probes the URL and judges it.
pub(crate) fn check(args: &UrlArgs, options: &Options) -> Result<Report, Fatal> {
    let url = &args.url;
    let mut o = UrlOptions {
        static_path: args.static_path.clone(),
        ..UrlOptions::default()
    };
    if let Some(t) = args.timeout {
        o.timeout = t;
    }
    let observed = probe_url(url, &o).map_err(|source| Fatal::Probe {
        context: "cannot check url ".to_string(),
        source,
    })?;
    Ok(check_runtime(&observed, options))
}
