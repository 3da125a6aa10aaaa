#![cfg(feature = "sandbox")]
//! The local AWS sandbox, driven through the official SDK clients and a real
//! resolver.

mod admin;
mod demo;
mod dns;
mod domains_ops;
mod event_destinations;
mod faults;
mod method1;
mod method3;
#[cfg(feature = "moto-contract")]
mod moto_contract;
#[cfg(feature = "moto-contract")]
mod moto_events;
mod route53_rules;
mod ses_ops;
mod state_dir;
mod tenants;
