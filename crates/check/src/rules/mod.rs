//! The judges, one module per area of the catalogue. Each function judges one rule from one
//! kind of input and is named in its [`crate::Rule`] entry.

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

/// At most `n` items, then "and N more".
pub(crate) fn sample(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..n].join(", "), items.len() - n)
    }
}
