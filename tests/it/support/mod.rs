//! Helpers shared by the integration tests.

#[cfg(feature = "moto-contract")]
pub mod moto;
#[cfg(feature = "sandbox")]
pub mod sandbox;
