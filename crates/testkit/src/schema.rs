//! Validation against the contract's JSON Schemas, read from `contract/` (never generated from
//! a crate's types, so a library bug cannot hide in its own schema), each able to reference
//! the others by `$id`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::Value;

/// Every schema in `contract/`, loaded together so that each `$ref` resolves.
pub const CONTRACT: [&str; 4] = [
    "mozlog.schema.json",
    "request-summary.schema.json",
    "version.schema.json",
    "heartbeat.schema.json",
];

/// `contract/<name>`, parsed.
pub fn contract(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contract")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A validator for `contract/<name>`, built once per test binary.
pub fn validator(name: &str) -> &'static jsonschema::Validator {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let mut map = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    map.entry(name.to_owned()).or_insert_with(|| {
        let mut builder = jsonschema::Registry::new();
        for file in CONTRACT {
            let contents = contract(file);
            let id = contents["$id"].as_str().expect("$id").to_owned();
            builder = builder
                .add(id, jsonschema::Resource::from_contents(contents))
                .expect("a valid $id");
        }
        let registry = builder.prepare().expect("the contract schemas load");
        let validator = jsonschema::options()
            .with_registry(&registry)
            .build(&contract(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        Box::leak(Box::new(validator))
    })
}

/// Asserts that `value` matches `contract/<schema_name>`, listing every error otherwise.
#[track_caller]
pub fn assert_valid(schema_name: &str, value: &Value) {
    let errors: Vec<String> = validator(schema_name)
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{value} does not match {schema_name}: {errors:?}"
    );
}

/// Parses one stdout line and validates it against `contract/mozlog.schema.json`, and
/// `contract/request-summary.schema.json` when it is a summary.
#[track_caller]
pub fn validate_log_line(line: &str) -> Value {
    assert!(!line.contains('\r'), "raw carriage return in {line:?}");
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_valid("mozlog.schema.json", &value);
    if value["Type"] == "request.summary" {
        assert_valid("request-summary.schema.json", &value);
    }
    value
}
