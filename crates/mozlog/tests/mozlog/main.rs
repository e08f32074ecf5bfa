//! Black-box tests of the mozlog and text layers: every line the layers write is parsed and
//! validated against `crates/contract/schemas/mozlog.schema.json`.

mod concurrency;
mod format;
mod gcp;
mod init;
mod panic;
mod schemas;
mod support;
mod text;
mod truncation;
