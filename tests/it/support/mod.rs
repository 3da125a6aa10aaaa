//! The test harness: run the real `mailform` binary in a temporary directory.

pub mod cli;
