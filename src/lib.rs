//! mailform: a declarative reconciler for the outgoing-mail setup of hosted libraries.
#[cfg(feature = "sandbox")]
pub mod sandbox;
