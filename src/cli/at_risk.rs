//! The I/O of the at-risk notice for `notify`: each SES library's deliverability today (through
//! `deliverability::read`, the one reader every surface uses), and, for a library at risk that
//! was told before, its reports of the days since, which say whether that episode ended.
//! The judging is `notice::at_risk`'s.

use std::collections::BTreeMap;

use super::{CliError, world};
use crate::model::{Config, Date, Library};
use crate::notice::at_risk::{self, AtRisk, Episode};
use crate::notice::ledger::LedgerEntry;

/// By library id: today's episode and breaches of each library at risk today. Empty when the
/// platform has no `events` block (no event store to read).
pub(super) async fn at_risk_today(
    world: &world::World,
    config: &Config,
    entries: &[LedgerEntry],
    today: Date,
    targets: &[String],
) -> Result<BTreeMap<String, (usize, AtRisk)>, CliError> {
    let mut out = BTreeMap::new();
    let Some(settings) = config.platform.events.as_ref() else {
        return Ok(out);
    };
    let libraries: Vec<&Library> = config
        .libraries
        .iter()
        .filter(|l| l.method.ses_identity().is_some())
        .filter(|l| targets.is_empty() || targets.iter().any(|t| t == l.id.as_str()))
        .collect();
    if libraries.is_empty() {
        return Ok(out);
    }
    let told: Vec<_> = entries.iter().map(|e| (&e.key, e.claimed_at)).collect();
    let reports = super::deliverability::read(world, settings, &libraries, today).await?;
    for (library, report) in libraries.iter().zip(&reports) {
        let Some(risk) = at_risk::assess(report) else {
            continue;
        };
        let last = at_risk::last_told(&library.id, &told).map(|(n, at)| (n, at_risk::day_of(at)));
        let episode = match at_risk::episode(last, today) {
            Episode::Known(n) => n,
            Episode::Read { last, days } => {
                let mut verdicts = Vec::with_capacity(days.len());
                for day in days {
                    let report =
                        super::deliverability::read(world, settings, &[library], day).await?;
                    verdicts.push(report.first().and_then(at_risk::assess).is_some());
                }
                at_risk::episode_after(last, &verdicts)
            }
        };
        out.insert(library.id.as_str().to_string(), (episode, risk));
    }
    Ok(out)
}
