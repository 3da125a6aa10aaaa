//! Integration tests: one binary, a module per command.

#[cfg(feature = "sandbox")]
mod apply;
mod costs;
mod dns;
#[cfg(feature = "sandbox")]
mod events;
mod fmt;
#[cfg(feature = "sandbox")]
mod iam;
#[cfg(feature = "sandbox")]
mod import;
mod inert;
mod live;
mod new;
#[cfg(feature = "sandbox")]
mod notices;
#[cfg(feature = "sandbox")]
mod notify;
mod plan;
mod probe;
mod records;
mod robustness;
mod sandbox;
mod schema;
#[cfg(feature = "sandbox")]
mod status;
mod support;
mod validate;
mod workflows;
