//! `mailform events drain`: moves SES's sending events from the platform's queue into its
//! event store, each once (see `crate::events`); `mailform events rebuild-rollups`: recomputes
//! each library's daily rollups from its records (a table written before rollups existed).

use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::events::drain::{self, DrainOptions};
use crate::model::{Config, EventSettings};
use crate::text::visible;

#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Move every event waiting on the queue into the event store: each message is deleted
    /// only after its events are written, and an event received twice is kept once.
    Drain(DrainArgs),
    /// Recompute every SES library's daily rollups from the event records and overwrite them:
    /// for a table whose records were written before rollups existed. Run it with no drain
    /// running (a drain's counts added meanwhile could be overwritten); running it again
    /// changes nothing.
    RebuildRollups(RebuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, clap::Args)]
pub struct DrainArgs {
    /// Stop after this many queue messages; default: until the queue is empty.
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,
    /// Rounds (5 receives, their writes, their deletes) in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
    #[arg(long, value_enum, default_value_t = DrainFormat::Text)]
    pub format: DrainFormat,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DrainFormat {
    /// One line of counts, and one line per message moved to the dead-letter queue.
    Text,
    /// `{"messages", "records", "dead_lettered": [why…]}`.
    Json,
}

/// The platform's `events { … }` block, or the error saying how to add one.
pub(super) fn settings<'c>(
    config: &'c Config,
    a: &LiveArgs,
) -> Result<&'c EventSettings, CliError> {
    config.platform.events.as_ref().ok_or_else(|| {
        CliError::Usage(format!(
            "SES events are not configured: the platform file in {} has no `events {{ … }}` block; \
             add one (configuration-set, sns-topic-arn, queue-url, dead-letter-queue-url, and \
             table, default \"{}\"; the README's \"Deliverability\" gives the one-time commands \
             that create them)",
            a.libraries.display(),
            crate::model::DEFAULT_EVENTS_TABLE
        ))
    })
}

pub(super) fn run(a: EventsArgs, color: bool) -> Result<ExitCode, CliError> {
    let a = match a.command {
        EventsCommand::Drain(a) => a,
        EventsCommand::RebuildRollups(a) => return rebuild(a, color),
    };
    if a.live.live.is_some() {
        return Err(CliError::Usage(
            "`mailform events drain` reads the SES event queue; a live snapshot (--live) does not hold it"
                .into(),
        ));
    }
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let settings = settings(&config, &a.live)?;
    let world = world::World::open(&a.live, &config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let report = runtime.block_on(async {
        let (queue, store) = world.events(settings).await;
        drain::drain(
            &queue,
            &store,
            DrainOptions {
                max_messages: a.max_messages,
                workers: usize::from(a.workers),
            },
        )
        .await
    })?;
    for why in &report.not_deleted {
        eprintln!(
            "mailform: SQS did not delete a message ({}); it will be received and written again, counted once",
            visible(why)
        );
    }
    match a.format {
        DrainFormat::Text => {
            let mut text = format!(
                "drained {} message{} holding {} event record{} into {}\n",
                report.messages,
                if report.messages == 1 { "" } else { "s" },
                report.records,
                if report.records == 1 { "" } else { "s" },
                settings.table
            );
            for why in &report.dead_lettered {
                text.push_str(&format!(
                    "moved to the dead-letter queue {}: {}\n",
                    settings.dead_letter_queue_url,
                    visible(why)
                ));
            }
            print(&text);
        }
        DrainFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            print(&text);
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn rebuild(a: RebuildArgs, color: bool) -> Result<ExitCode, CliError> {
    use crate::events::rollup::Rollup;
    use crate::events::store::EventStore as _;
    if a.live.live.is_some() {
        return Err(CliError::Usage(
            "`mailform events rebuild-rollups` rewrites the event store (DynamoDB); a live snapshot (--live) does not hold it"
                .into(),
        ));
    }
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let settings = settings(&config, &a.live)?;
    let world = world::World::open(&a.live, &config)?;
    let mut domains: Vec<String> = config
        .libraries
        .iter()
        .filter(|l| l.method.ses_identity().is_some())
        .map(|l| l.method.from_address().domain().to_string())
        .collect();
    domains.sort();
    domains.dedup();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let records = runtime.block_on(async {
        let (_, store) = world.events(settings).await;
        let mut records = 0;
        for domain in &domains {
            // Every day: sort keys start with the day, and days with a digit.
            let all = store.read(domain, "0", "9").await?;
            records += all.len();
            store.replace_rollup(domain, &Rollup::of(&all)).await?;
        }
        Ok::<usize, crate::live::error::ReadError>(records)
    })?;
    print(&format!(
        "rebuilt the daily rollups of {} domain{} from {records} event record{} in {}\n",
        domains.len(),
        if domains.len() == 1 { "" } else { "s" },
        if records == 1 { "" } else { "s" },
        settings.table
    ));
    Ok(ExitCode::from(EXIT_OK))
}
