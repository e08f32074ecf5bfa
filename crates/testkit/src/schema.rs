//! Validation against the contract's JSON Schemas, through `dockerflow-contract` (the files
//! are written from the contract, never generated from a crate's types, so a library bug
//! cannot hide in its own schema); each can reference the others by `$id`.

use dockerflow_contract::Schema;
use serde_json::Value;

/// The schema whose file in `crates/contract/schemas/` is `name` (`"mozlog.schema.json"`).
#[track_caller]
pub fn schema(name: &str) -> Schema {
    Schema::ALL
        .into_iter()
        .find(|s| s.file_name() == name)
        .unwrap_or_else(|| panic!("no contract schema is named {name}"))
}

/// The validator for the contract schema named `name`, built once per test binary.
#[track_caller]
pub fn validator(name: &str) -> &'static jsonschema::Validator {
    schema(name).validator()
}

/// Asserts that `value` matches the contract schema named `schema_name`, listing every error otherwise.
#[track_caller]
pub fn assert_valid(schema_name: &str, value: &Value) {
    let errors = schema(schema_name).errors(value);
    assert!(
        errors.is_empty(),
        "{value} does not match {schema_name}: {errors:?}"
    );
}

/// Parses one stdout line and validates it against `mozlog.schema.json`, and
/// `request-summary.schema.json` when it is a summary.
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
