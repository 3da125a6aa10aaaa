//! Command-line arguments, parsed without side effects.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Keeps the outgoing-mail setup of the libraries a platform hosts correct and reviewable.
#[derive(Debug, Parser)]
#[command(name = "mailform", version, about)]
pub struct Args {
    /// When to colour output. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check library files and the platform file; report every problem.
    Validate(ValidateArgs),
    /// Rewrite library files in the canonical layout (or check that they are).
    Fmt(FmtArgs),
    /// Print the schema the validator enforces, or the README's configuration reference.
    Schema(SchemaArgs),
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Files or directories to check [default: libraries]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Fail on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Count launch dates from this date (YYYY-MM-DD) instead of today, for reproducible output.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or directories to format [default: libraries]
    pub paths: Vec<PathBuf>,
    /// Change nothing; print a diff and exit 1 when a file is not canonical.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    #[arg(value_enum, default_value_t = SchemaKind::Library)]
    pub kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    /// schemas/library.schema.kdl
    Library,
    /// schemas/platform.schema.kdl
    Platform,
    /// The configuration reference in the README (Markdown).
    Reference,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiagnosticFormat {
    /// Source snippets with labels, for people.
    Human,
    /// Versioned JSON (schemas/diagnostics.schema.json).
    Json,
    /// GitHub workflow annotations on the offending lines.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stderr.
    pub fn resolve(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}
