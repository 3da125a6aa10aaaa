//! Integration tests: one binary, a module per command.

mod fmt;
mod robustness;
mod schema;
mod support;
mod validate;
