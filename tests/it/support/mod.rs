//! Helpers shared by the integration tests.

#[cfg(feature = "sandbox")]
pub mod sandbox;
