//! The contract's JSON Schemas, from `dockerflow-contract` (embedded there and compiled once):
//! the checker judges from the contract, never from the service library's types.

use serde_json::Value;

pub(crate) use dockerflow_contract::Schema;

/// What is wrong with `value` under `schema` (empty when it is valid), each error prefixed
/// with its JSON pointer.
pub(crate) fn errors(schema: Schema, value: &Value) -> Vec<String> {
    schema.errors(value)
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
