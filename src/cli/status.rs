//! `mailform status`: every library's onboarding stage, who it waits on and for how long,
//! against its launch date; an HTML page (one self-contained file), Markdown, CSV or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::notice::ledger::LedgerEntry;
use crate::plan::planner::{self, PlanOptions};
use crate::render::status as render;
use crate::status::deliverability::Insight;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = StatusFormat::Html)]
    pub format: StatusFormat,
    /// Write the report here (atomically) instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Count days from this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusFormat {
    /// One self-contained page (inline CSS and SVG, nothing fetched).
    Html,
    /// A table for an issue or a pull-request comment.
    Markdown,
    /// One row per library, for a spreadsheet.
    Csv,
    /// Versioned JSON (`version` 1).
    Json,
}

/// The notices the ledger records, for the "records sent" stage and the "last notice" column.
/// A platform without notices has none; a ledger that cannot be read leaves the page without
/// them and says so, since the status page is for looking, not a gate.
fn sent_notices(a: &StatusArgs, config: &crate::model::Config) -> Vec<LedgerEntry> {
    let Some(settings) = &config.platform.notices else {
        return Vec::new();
    };
    let read = || -> Result<Vec<LedgerEntry>, CliError> {
        use crate::notice::ledger::NoticeLedger as _;
        let world = world::World::open(&a.live, config)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Usage(format!("cannot start the runtime: {e}")))?;
        runtime.block_on(async {
            let ledger = world.ledger(&settings.ledger_table).await;
            ledger.entries(None).await.map_err(CliError::from)
        })
    };
    match read() {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!(
                "warning: the notice ledger could not be read, so the page shows no notices: {}",
                super::render_error(&e).trim_end()
            );
            Vec::new()
        }
    }
}

/// Each SES library's deliverability over the windows ending `day`, through
/// `cli::deliverability::read` like every other surface; only `targets` when some are named.
/// No `events` block: nothing is kept. A store that cannot be read (its table missing, access
/// denied) leaves the page without the column and says why, on it and on stderr: the page is
/// for looking, not a gate.
fn insight(a: &StatusArgs, config: &crate::model::Config, day: crate::model::Date) -> Insight {
    let Some(settings) = &config.platform.events else {
        return Insight::NotKept;
    };
    let libraries: Vec<&crate::model::Library> = config
        .libraries
        .iter()
        .filter(|l| l.method.ses_identity().is_some())
        .filter(|l| a.live.targets.is_empty() || a.live.targets.iter().any(|t| t == l.id.as_str()))
        .collect();
    let read = || -> Result<_, CliError> {
        let world = world::World::open(&a.live, config)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(CliError::Runtime)?;
        runtime.block_on(super::deliverability::read(
            &world, settings, &libraries, day,
        ))
    };
    match read() {
        Ok(reports) => Insight::Read {
            table: settings.table.clone(),
            reports,
        },
        Err(e) => {
            let error = e.to_string();
            eprintln!(
                "warning: the event store {} could not be read, so the page shows no deliverability: {error}",
                settings.table
            );
            Insight::Unreadable {
                table: settings.table.clone(),
                error,
            }
        }
    }
}

pub(super) fn run(a: StatusArgs, color: bool) -> Result<ExitCode, CliError> {
    let today = today(a.today.as_deref())?;
    let Some(config) = world::load_config(&a.live.libraries, today, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let live = world::live_snapshot(&a.live, &config)?;
    let today = world::today_for(&a.live, &live, a.today.as_deref(), today);
    let plan = planner::plan(
        &config,
        &live,
        &PlanOptions {
            today,
            handover_grace: planner::HANDOVER_GRACE_SECS,
        },
    );
    let notices = sent_notices(&a, &config);
    let insight = insight(&a, &config, today);
    let mut report = crate::status::report(&config, &live, &plan, today, &notices, &insight);
    if !a.live.targets.is_empty() {
        report.rows.retain(|r| a.live.targets.contains(&r.library));
    }
    let text = match a.format {
        StatusFormat::Html => render::to_html(&report),
        StatusFormat::Markdown => render::to_markdown(&report),
        StatusFormat::Csv => render::to_csv(&report),
        StatusFormat::Json => render::to_json(&report),
    };
    match &a.out {
        Some(path) => {
            super::write_atomically(path, &text)?;
            eprintln!(
                "wrote the onboarding status of {} libraries to {}",
                report.rows.len(),
                path.display()
            );
        }
        None => print(&text),
    }
    Ok(ExitCode::from(EXIT_OK))
}
