//! `mailform notices [LIBRARY]`: what the notice ledger says was sent, when, to whom, and
//! which claims were never confirmed.

use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::model::LibraryId;
use crate::notice::ledger::NoticeLedger as _;
use crate::render::notices::{self, Scope};

#[derive(Debug, clap::Args)]
pub struct NoticesArgs {
    /// Only this library's notices; default: every library's.
    pub library: Option<String>,
    #[arg(long, value_enum, default_value_t = NoticesFormat::Text)]
    pub format: NoticesFormat,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NoticesFormat {
    /// One block per library, sorted by time.
    Text,
    /// Versioned JSON, one object per notice.
    Json,
}

pub(super) fn run(a: NoticesArgs, color: bool) -> Result<ExitCode, CliError> {
    if a.live.live.is_some() {
        return Err(CliError::Usage(
            "`mailform notices` reads the notice ledger (DynamoDB); a live snapshot (--live) does not hold it"
                .into(),
        ));
    }
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let Some(settings) = config.platform.notices.as_ref() else {
        return Err(CliError::Usage(format!(
            "notices are not configured: the platform file in {} has no `notices {{ … }}` block; \
             add one (from, reply-to, relay, and ledger-table, default \"{}\"; \
             `mailform schema reference` lists its fields)",
            a.live.libraries.display(),
            crate::model::DEFAULT_LEDGER_TABLE
        )));
    };
    let library: Option<LibraryId> = match &a.library {
        None => None,
        Some(name) => Some(
            config
                .libraries
                .iter()
                .find(|l| l.id.as_str() == name)
                .map(|l| l.id.clone())
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "no library `{name}` in {}; `mailform validate` lists the files read",
                        a.live.libraries.display()
                    ))
                })?,
        ),
    };
    let table = settings.ledger_table.as_str();
    let world = world::World::open(&a.live, &config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let entries = runtime.block_on(async {
        let ledger = world.ledger(table).await;
        ledger.entries(library.as_ref()).await
    })?;
    let entries = notices::sorted(entries);
    let scope = Scope {
        table,
        library: library.as_ref().map(LibraryId::as_str),
    };
    print(&match a.format {
        NoticesFormat::Text => notices::to_text(scope, &entries),
        NoticesFormat::Json => notices::to_json(scope, &entries),
    });
    Ok(ExitCode::from(EXIT_OK))
}
