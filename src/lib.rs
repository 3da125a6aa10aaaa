//! mailform: a declarative reconciler for the outgoing-mail setup of hosted libraries.

pub mod probe;
pub mod secret;
