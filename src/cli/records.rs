//! `mailform records LIBRARY`: the DNS records a library's IT staff install (method 1), or the
//! ones mailform writes for a managed domain (method 3), with what mailform sees now.

use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::render::records::{self, RecordsError};

#[derive(Debug, clap::Args)]
pub struct RecordsArgs {
    /// The library whose records to print.
    pub library: String,
    #[arg(long, value_enum, default_value_t = RecordsFormat::Table)]
    pub format: RecordsFormat,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RecordsFormat {
    /// Aligned text with short instructions.
    Table,
    /// Zone-file lines with absolute names.
    Zone,
    /// A header and one row per record.
    Csv,
    /// A table and instructions to paste into an e-mail or a ticket.
    Markdown,
}

pub(super) fn run(mut a: RecordsArgs, color: bool) -> Result<ExitCode, CliError> {
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    // Only this library's resources are read; a method-2 library fails before any reading.
    a.live.targets = vec![a.library.clone()];
    world::targets(&config, &a.live)?;
    let library = config
        .libraries
        .iter()
        .find(|l| l.id.as_str() == a.library)
        .ok_or_else(|| CliError::Usage(format!("no library `{}`", a.library)))?;
    if matches!(library.method, crate::model::DeliveryMethod::SmtpAccount(_)) {
        return Err(RecordsError::SmtpAccount {
            library: a.library.clone(),
        }
        .into());
    }
    let live = world::live_snapshot(&a.live, &config)?;
    let sheet = records::sheet(library, &live)?;
    print(&match a.format {
        RecordsFormat::Table => records::to_table(&sheet),
        RecordsFormat::Zone => records::to_zone(&sheet),
        RecordsFormat::Csv => records::to_csv(&sheet),
        RecordsFormat::Markdown => records::to_markdown(&sheet),
    });
    Ok(ExitCode::from(EXIT_OK))
}
