//! Readers of live state: one trait per external system, each with a real adapter.
//!
//! A reader answers questions and never judges the answers: what a DNS answer means for a
//! library is decided by the pure checks (`crate::dns_check`) and the planner. That keeps
//! every decision testable from recorded facts, and every adapter thin.
//!
//! - [`ses`], [`event_destinations`], [`registrar`], [`route53`], [`dns`], [`clock`], [`account`]: the traits and their
//!   adapters; [`aws`] holds what the AWS adapters share (configuration, rate limiter, error mapping).
//! - [`facts`]: what the readers return, as plain data; [`error`]: why a read failed.
//! - [`ownership`]: pure classification of live resources as managed, adoptable or not ours.
//! - [`gather`]: reads everything for a set of libraries into a snapshot; [`scope`]: which
//!   deep reads a refresh may take from a previous snapshot; [`meter`]: its calls counted,
//!   for a progress line.
//! - [`suppression`]: SES's suppression lists (the account's, a tenant's), for `deliverability`.
//! - [`snapshot`]: the versioned live-state file `mailform refresh` writes and `--live` reads.

pub mod account;
pub mod aws;
pub mod clock;
pub mod dns;
pub mod error;
pub mod event_destinations;
pub mod facts;
pub mod gather;
pub mod meter;
pub mod ownership;
pub mod registrar;
pub mod route53;
pub mod scope;
pub mod ses;
pub mod snapshot;
pub mod suppression;
pub mod tenants;

pub use error::{ReadError, ReadErrorKind, System};
