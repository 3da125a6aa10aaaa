//! Readers of live state: one trait per external system, each with a real adapter.
//!
//! A reader answers questions and never judges the answers: what a DNS answer means for a
//! library is decided by the pure checks (`crate::dns_check`) and the planner. That keeps
//! every decision testable from recorded facts, and every adapter thin.

pub mod dns;
