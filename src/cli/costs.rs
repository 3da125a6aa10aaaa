//! `mailform costs`: the yearly charges of the managed domains (method 3), for billing.

use std::process::ExitCode;

use clap::ValueEnum;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::model::DeliveryMethod;
use crate::render::costs;

#[derive(Debug, clap::Args)]
pub struct CostsArgs {
    #[arg(long, value_enum, default_value_t = CostsFormat::Table)]
    pub format: CostsFormat,
    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CostsFormat {
    /// Aligned text with a total.
    Table,
    /// One row per domain for the billing system.
    Csv,
}

pub(super) fn run(mut a: CostsArgs, color: bool) -> Result<ExitCode, CliError> {
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let managed: Vec<String> = config
        .libraries
        .iter()
        .filter(|l| matches!(l.method, DeliveryMethod::ManagedDomain(_)))
        .map(|l| l.id.as_str().to_string())
        .collect();
    let sheet = if managed.is_empty() && a.live.live.is_none() {
        // Nothing to price: no reason to read AWS.
        costs::CostSheet {
            taken_at: crate::live::snapshot::timestamp(time::OffsetDateTime::now_utc()),
            rows: vec![],
            tenants: costs::tenant_charge(&config),
        }
    } else {
        // Read the managed domains only: no DNS or SMTP checks of the other libraries.
        if a.live.targets.is_empty() {
            a.live.targets = managed;
        }
        costs::sheet(&config, &world::live_snapshot(&a.live, &config)?)
    };
    print(&match a.format {
        CostsFormat::Table => costs::to_table(&sheet),
        CostsFormat::Csv => costs::to_csv(&sheet),
    });
    Ok(ExitCode::from(EXIT_OK))
}
