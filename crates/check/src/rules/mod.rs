//! The judges, one module per area of the catalogue. Each function judges one rule from one
//! kind of input and is named in its [`crate::Rule`] entry.

use crate::runtime::{Mode, RuntimeModel};
use crate::Location;

pub(crate) mod endpoints;
pub(crate) mod files;
pub(crate) mod healthcheck;
pub(crate) mod kubernetes;
pub(crate) mod metadata;
pub(crate) mod process;
pub(crate) mod program;
pub(crate) mod requests;
pub(crate) mod secrets;
pub(crate) mod service;
pub(crate) mod user;
#[cfg(test)]
mod whole_text;

/// Where the log rules' findings point: the log file, or the container's two streams.
pub(crate) fn logs_at(m: &RuntimeModel) -> Location {
    let path = match m.mode {
        Mode::Logs => m.subject.clone(),
        // The engine keeps the two streams apart: line numbers count stdout, then stderr.
        _ => "stdout, then stderr".to_string(),
    };
    Location {
        path: Some(path),
        ..Location::default()
    }
}

/// At most `n` items, then "and N more".
pub(crate) fn sample(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), items.len() - n)
    }
}
