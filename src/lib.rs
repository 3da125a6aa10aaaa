//! mailform: a declarative reconciler for the outgoing-mail setup of the libraries a platform
//! hosts. Library files (KDL) are the desired state; see the README for the code map and the
//! invariants each module keeps.

pub mod apply;
pub mod config;
pub mod diagnostic;
pub mod dns_check;
pub mod dns_provider;
pub mod draft;
pub mod events;
pub mod format;
pub mod import;
pub mod live;
pub mod mask;
pub mod model;
pub mod notice;
pub mod plan;
pub mod probe;
pub mod render;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod schema;
pub mod secret;
pub mod skeleton;
pub mod source;
pub mod status;
pub mod text;

#[cfg(feature = "cli")]
pub mod cli;
