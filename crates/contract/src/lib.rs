//! The Dockerflow contract as data: the JSON Schemas written from the project's
//! `contract/CONTRACT.md`, embedded in this crate, with one validator per schema built once,
//! the URL of each numbered section of the contract, and what looks like a secret
//! ([`secrets`]: the names and URL passwords the checker fails on, `dockerflow ci` masks and the
//! service library redacts).
//!
//! Feature `validate` (default) builds the validators (jsonschema); without it the crate needs
//! `serde_json` alone, which is how the service library `dockerflow` uses it (for [`secrets`]).
//!
//! The checker (`dockerflow-check`), the pipeline (`dockerflow-build`) and the service
//! library's tests judge from these files, never from the library's own types, so a bug in the
//! library cannot hide in a schema generated from it.
//!
//! ```
//! use dockerflow_contract::Schema;
//!
//! let line = serde_json::json!({
//!     "Timestamp": 1, "Type": "app", "Logger": "svc", "Hostname": "h", "EnvVersion": "2.0",
//!     "Severity": 6, "Pid": 1, "Fields": {"msg": "hello"}
//! });
//! assert!(Schema::Mozlog.errors(&line).is_empty());
//! assert!(!Schema::Version.errors(&serde_json::json!({"commit": 1})).is_empty());
//! assert!(dockerflow_contract::section_url("1.4").is_some_and(|u| u.ends_with("#14-__heartbeat__")));
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod secrets;

#[cfg(feature = "validate")]
use std::sync::OnceLock;

use serde_json::Value;

/// One of the contract's JSON Schemas (draft 2020-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    /// `mozlog.schema.json`: one mozlog log line (contract section 1.8).
    Mozlog,
    /// `request-summary.schema.json`: the `request.summary` record (section 1.9); it refers
    /// to `mozlog.schema.json` by its `$id`.
    RequestSummary,
    /// `version.schema.json`: the version object of `/app/version.json` (section 1.3).
    Version,
    /// `heartbeat.schema.json`: the `/__heartbeat__` JSON body (section 1.4).
    Heartbeat,
}

impl Schema {
    /// Every schema, in the order above.
    pub const ALL: [Schema; 4] = [
        Schema::Mozlog,
        Schema::RequestSummary,
        Schema::Version,
        Schema::Heartbeat,
    ];

    /// The file's name in this crate's `schemas/` folder.
    pub const fn file_name(self) -> &'static str {
        match self {
            Schema::Mozlog => "mozlog.schema.json",
            Schema::RequestSummary => "request-summary.schema.json",
            Schema::Version => "version.schema.json",
            Schema::Heartbeat => "heartbeat.schema.json",
        }
    }

    /// The schema's text, as in the repository.
    pub const fn text(self) -> &'static str {
        match self {
            Schema::Mozlog => include_str!("../schemas/mozlog.schema.json"),
            Schema::RequestSummary => include_str!("../schemas/request-summary.schema.json"),
            Schema::Version => include_str!("../schemas/version.schema.json"),
            Schema::Heartbeat => include_str!("../schemas/heartbeat.schema.json"),
        }
    }

    /// The schema, parsed.
    pub fn json(self) -> Value {
        // The files are this crate's own, and its tests parse every one of them.
        serde_json::from_str(self.text()).expect("the embedded schema is JSON")
    }

    /// The schema's `$id`: its URL in the repository.
    pub fn id(self) -> String {
        self.json()["$id"].as_str().unwrap_or_default().to_owned()
    }

    /// The validator for this schema, built on first use (every schema loaded into one
    /// registry, so a `$ref` to another one by its `$id` resolves offline) and shared after.
    #[cfg(feature = "validate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "validate")))]
    pub fn validator(self) -> &'static jsonschema::Validator {
        static BUILT: [OnceLock<jsonschema::Validator>; 4] = [const { OnceLock::new() }; 4];
        BUILT[self as usize].get_or_init(|| {
            build(self)
                .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", self.file_name()))
        })
    }

    /// What is wrong with `value` under this schema, each error prefixed with the JSON pointer
    /// of the value it is about (none for the document itself); empty when it is valid.
    #[cfg(feature = "validate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "validate")))]
    pub fn errors(self, value: &Value) -> Vec<String> {
        self.validator()
            .iter_errors(value)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect()
    }
}

#[cfg(feature = "validate")]
fn build(schema: Schema) -> Result<jsonschema::Validator, String> {
    let mut registry = jsonschema::Registry::new();
    for other in Schema::ALL {
        registry = registry
            .add(
                other.id(),
                jsonschema::Resource::from_contents(other.json()),
            )
            .map_err(|e| format!("{}: {e}", other.file_name()))?;
    }
    let registry = registry.prepare().map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_registry(&registry)
        .build(&schema.json())
        .map_err(|e| e.to_string())
}

/// The contract's URL: `contract/CONTRACT.md` in the repository, on the main branch.
pub const CONTRACT_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/contract/CONTRACT.md"
);

/// Each numbered section of `contract/CONTRACT.md` and its heading's anchor (the GitHub slug:
/// lower case, punctuation other than `-` and `_` removed, spaces made hyphens). A test reads
/// the document and fails when a heading and this table part.
pub const SECTIONS: &[(&str, &str)] = &[
    ("1", "1-the-running-service"),
    ("1.1", "11-configuration-and-port"),
    ("1.2", "12-__version__"),
    ("1.3", "13-the-version-object-docsversion_objectmd"),
    ("1.4", "14-__heartbeat__"),
    ("1.5", "15-__lbheartbeat__"),
    ("1.6", "16-all-dockerflow-endpoints-should"),
    (
        "1.7",
        "17-__error__-optional-proposed-in-dockerflow-70--pr-75-implemented-by-peers",
    ),
    ("1.8", "18-logs"),
    ("1.9", "19-requests-request-ids-shutdown-should"),
    ("1.10", "110-static-content"),
    ("2", "2-the-image"),
    ("2.1", "21-kubernetes"),
    ("3", "3-the-pipeline"),
    ("4", "4-verdicts"),
];

/// The anchor of contract section `section` (`"1.4"`, `"2"`), if there is such a section.
pub fn section_anchor(section: &str) -> Option<&'static str> {
    SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, anchor)| *anchor)
}

/// The URL of contract section `section` (`"1.4"`, `"2"`), if there is such a section.
pub fn section_url(section: &str) -> Option<String> {
    section_anchor(section).map(|a| format!("{CONTRACT_URL}#{a}"))
}
