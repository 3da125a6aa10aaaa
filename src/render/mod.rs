//! Everything users read is produced here, from data: diagnostics now, plans later.
//!
//! Renderers are pure functions of their input; they never decide what is wrong, only how it
//! reads. The terminal renderer that draws source snippets lives with the CLI (it needs
//! miette's `fancy` feature); the JSON and GitHub forms live here. Text from outside is escaped
//! for each reader by [`crate::text`], never by hand here.

pub mod costs;
pub mod deliverability;
pub mod diagnostics;
pub mod notices;
pub mod plan;
pub mod progress;
pub mod records;
pub mod refresh;
pub mod snippet;
pub mod status;
