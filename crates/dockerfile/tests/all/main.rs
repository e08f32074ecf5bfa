//! Tests of `dockerflow-dockerfile`, one module per concept, through the public API only.
//! Most cases are one line each through a data-driven helper (`common::check`).

mod common;

mod directives;
mod errors;
mod expansion;
mod facts;
mod fixtures;
mod forms;
mod heredocs;
mod instructions;
mod lines;
mod no_panic;
mod shell;
mod spans;
mod stages;
