//! `mailform deliverability [LIBRARY]`: each SES library's sent, delivered, bounced,
//! complained, rejected and delayed mail, its rates over 1, 7 and 30 days against AWS's
//! thresholds, and its commonest bounce reasons, from the event store.

use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::events::deliverability::{self, LibraryDeliverability};
use crate::events::store::EventStore as _;
use crate::model::{Config, Date, Library};
use crate::render::deliverability as render;

#[derive(Debug, clap::Args)]
pub struct DeliverabilityArgs {
    /// Only this library; default: every library that sends through SES.
    pub library: Option<String>,
    #[arg(long, value_enum, default_value_t = DeliverabilityFormat::Text)]
    pub format: DeliverabilityFormat,
    /// The last day of the windows (YYYY-MM-DD); default: today (the sandbox's day under
    /// `--sandbox`).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeliverabilityFormat {
    /// A table per library.
    Text,
    /// Versioned JSON (`schemas/deliverability.schema.json`).
    Json,
    /// One row per library and window.
    Csv,
}

/// The libraries whose mail SES sends (their events are SES's), optionally one of them.
fn libraries<'c>(config: &'c Config, a: &DeliverabilityArgs) -> Result<Vec<&'c Library>, CliError> {
    let ses: Vec<&Library> = config
        .libraries
        .iter()
        .filter(|l| l.method.ses_identity().is_some())
        .collect();
    match &a.library {
        None => Ok(ses),
        Some(name) => match config.libraries.iter().find(|l| l.id.as_str() == name) {
            None => Err(CliError::Usage(format!(
                "no library `{name}` in {}; `mailform validate` lists the files read",
                a.live.libraries.display()
            ))),
            Some(l) if l.method.ses_identity().is_none() => Err(CliError::Usage(format!(
                "library `{name}` sends through its own SMTP account, not SES: SES has no events of its mail"
            ))),
            Some(l) => Ok(vec![l]),
        },
    }
}

pub(super) fn run(a: DeliverabilityArgs, color: bool) -> Result<ExitCode, CliError> {
    if a.live.live.is_some() {
        return Err(CliError::Usage(
            "`mailform deliverability` reads the event store (DynamoDB); a live snapshot (--live) does not hold it"
                .into(),
        ));
    }
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let settings = super::events::settings(&config, &a.live)?;
    let chosen = libraries(&config, &a)?;
    let world = world::World::open(&a.live, &config)?;
    let day = match &a.today {
        Some(given) => today(Some(given))?,
        None => Date::from_days_since_epoch(world.now().div_euclid(86_400)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let reports = runtime.block_on(read(&world, settings, &chosen, day))?;
    print(&match a.format {
        DeliverabilityFormat::Text => render::to_text(&day.to_string(), &reports),
        DeliverabilityFormat::Json => render::to_json(&day.to_string(), &reports),
        DeliverabilityFormat::Csv => render::to_csv(&reports),
    });
    Ok(ExitCode::from(EXIT_OK))
}

/// Reads each library's 30 days of daily rollups (one query each, a few at a time) and computes
/// its report.
pub(super) async fn read(
    world: &world::World,
    settings: &crate::model::EventSettings,
    libraries: &[&Library],
    day: Date,
) -> Result<Vec<LibraryDeliverability>, CliError> {
    use futures::StreamExt as _;
    let (_, store) = world.events(settings).await;
    let from = deliverability::first_day(day).to_string();
    let to = day.to_string();
    let store = &store;
    let results: Vec<Result<LibraryDeliverability, CliError>> =
        futures::stream::iter(libraries.iter().map(|l| {
            let domain = l.method.from_address().domain().to_string();
            let (from, to) = (from.clone(), to.clone());
            async move {
                let rollup = store.rollup(&domain, &from, &to).await?;
                Ok(deliverability::compute(
                    l.id.as_str(),
                    &domain,
                    &rollup,
                    day,
                ))
            }
        }))
        .buffered(16)
        .collect()
        .await;
    let mut reports: Vec<LibraryDeliverability> = results.into_iter().collect::<Result<_, _>>()?;
    suppressed(world, libraries, &mut reports).await?;
    Ok(reports)
}

/// Fills in each report's suppressed recipients, a separate step after the counts: the
/// library's own tenant list from SES (`ListSuppressedDestinations`, every page), or why it
/// has none. The reports are in `libraries`' order.
async fn suppressed(
    world: &world::World,
    libraries: &[&Library],
    reports: &mut [LibraryDeliverability],
) -> Result<(), CliError> {
    use crate::events::suppression::{list_to_read, of_list};
    use crate::live::suppression::SuppressionReader as _;
    use futures::StreamExt as _;
    let wanted: Vec<Result<&str, _>> = libraries
        .iter()
        .map(|l| list_to_read(l.id.as_str(), l.method.tenant()))
        .collect();
    if wanted.iter().all(Result::is_err) {
        for (report, want) in reports.iter_mut().zip(wanted) {
            report.suppression = want.err().unwrap_or_default();
        }
        return Ok(());
    }
    let sdk = crate::live::aws::load_sdk_config(&world.aws).await;
    let ses = crate::live::ses::AwsSes::new(&sdk, &world.aws);
    let ses = &ses;
    let read: Vec<Result<_, CliError>> = futures::stream::iter(wanted)
        .map(|want| async move {
            let tenant = match want {
                Ok(tenant) => tenant,
                Err(why) => return Ok(why),
            };
            match ses.suppressed(Some(tenant)).await {
                Ok(list) => Ok(of_list(tenant, Some(list))),
                Err(e) if is_not_found(&e) => Ok(of_list(tenant, None)),
                Err(e) => Err(e.into()),
            }
        })
        .buffered(4)
        .collect()
        .await;
    for (report, suppression) in reports.iter_mut().zip(read) {
        report.suppression = suppression?;
    }
    Ok(())
}

fn is_not_found(e: &crate::live::ReadError) -> bool {
    matches!(&e.kind, crate::live::ReadErrorKind::Service { code, .. } if code == "NotFoundException")
}
