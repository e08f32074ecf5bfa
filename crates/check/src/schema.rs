//! The contract's JSON Schemas (`contract/*.json`), embedded and compiled once: the checker
//! judges from the contract, never from the service library's types.

use std::sync::OnceLock;

use serde_json::Value;

/// A schema of `contract/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    /// `contract/mozlog.schema.json`.
    Mozlog,
    /// `contract/heartbeat.schema.json`.
    Heartbeat,
    /// `contract/version.schema.json`.
    Version,
    /// `contract/request-summary.schema.json` (it refers to the mozlog schema by its `$id`).
    RequestSummary,
}

type Compiled = Result<jsonschema::Validator, String>;

fn compile(text: &str) -> Compiled {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    jsonschema::validator_for(&schema).map_err(|e| e.to_string())
}

/// Serves the embedded mozlog schema to the request.summary schema's `$ref`, and nothing else:
/// the checker never fetches a schema.
struct Embedded {
    id: String,
    mozlog: Value,
}

impl jsonschema::Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == self.id {
            Ok(self.mozlog.clone())
        } else {
            Err(format!("{} is not one of the contract's schemas", uri.as_str()).into())
        }
    }
}

/// The request.summary schema, with the mozlog schema it refers to served from memory.
fn compile_summary() -> Compiled {
    let mozlog: Value = serde_json::from_str(include_str!("../../../contract/mozlog.schema.json"))
        .map_err(|e| e.to_string())?;
    let id = mozlog["$id"]
        .as_str()
        .ok_or("contract/mozlog.schema.json has no $id")?
        .to_string();
    let summary: Value = serde_json::from_str(include_str!(
        "../../../contract/request-summary.schema.json"
    ))
    .map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_retriever(Embedded { id, mozlog })
        .build(&summary)
        .map_err(|e| e.to_string())
}

fn validator(schema: Schema) -> Result<&'static jsonschema::Validator, String> {
    static MOZLOG: OnceLock<Compiled> = OnceLock::new();
    static HEARTBEAT: OnceLock<Compiled> = OnceLock::new();
    static VERSION: OnceLock<Compiled> = OnceLock::new();
    static SUMMARY: OnceLock<Compiled> = OnceLock::new();
    let compiled = match schema {
        Schema::Mozlog => {
            MOZLOG.get_or_init(|| compile(include_str!("../../../contract/mozlog.schema.json")))
        }
        Schema::Heartbeat => HEARTBEAT
            .get_or_init(|| compile(include_str!("../../../contract/heartbeat.schema.json"))),
        Schema::Version => VERSION.get_or_init(|| compile(crate::rules::metadata::VERSION_SCHEMA)),
        Schema::RequestSummary => SUMMARY.get_or_init(compile_summary),
    };
    compiled
        .as_ref()
        .map_err(|e| format!("the embedded schema is invalid: {e}"))
}

/// What is wrong with `value` under `schema` (empty when it is valid), each error prefixed
/// with its JSON pointer.
pub(crate) fn errors(schema: Schema, value: &Value) -> Vec<String> {
    match validator(schema) {
        Ok(v) => v
            .iter_errors(value)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect(),
        Err(e) => vec![e],
    }
}

/// What is wrong with one log line as mozlog (CONTRACT.md section 1.8): empty when it is a
/// valid mozlog record.
pub fn mozlog_line_errors(line: &str) -> Vec<String> {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON ({e})")],
    };
    errors(Schema::Mozlog, &value)
}
