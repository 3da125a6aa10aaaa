//! Apply's steps for the platform's events configuration set and mailform's event destination
//! on it. Each re-reads the set's destinations right before its call (one
//! `GetConfigurationSetEventDestinations`, which also says whether the set exists), so a set
//! or destination made since the plan (a second apply, a person) is not made twice, and a
//! destination already as the file wants it is left alone.
//!
//! Every call is idempotent in effect: a create answered `AlreadyExistsException` (a second
//! apply at once) carries on from a fresh read, and an update is a put of the whole
//! definition, so two applies at once, or one killed and run again, converge.

use crate::live::ReadError;
use crate::live::event_destinations::{EventDestinationReader, EventDestinationWriter};
use crate::live::facts::Tags;
use crate::live::ownership;
use crate::live::snapshot::EventDestinationV1;
use crate::model::EventSettings;
use crate::plan::events::EVENT_TYPES;
use crate::plan::{Change, ResourceKind};

use super::tenants::is_code;
use super::{ApplyOptions, Outcome, Step, Summary, label, rank};
use crate::model::Config;
use crate::plan::Plan;

/// What a platform step is filed under in an apply's report.
pub const PLATFORM: &str = "platform";

/// The platform's changes, before any library's: the events set and its destination, which
/// identities name as their default set. A failure stops the rest of them; the libraries'
/// steps still run (those that name the set then fail on their own, saying so).
pub(super) async fn platform_steps<S>(
    config: &Config,
    plan: &Plan,
    ses: &S,
    opts: &ApplyOptions<'_>,
    summary: &mut Summary,
) where
    S: EventDestinationReader + EventDestinationWriter + Sync,
{
    let mut steps: Vec<&Change> = plan.platform_changes.iter().collect();
    steps.sort_by_key(|c| rank(c));
    let mut failed = false;
    for change in steps {
        let change_label = label(change);
        (opts.on_start)(PLATFORM, &change_label);
        let outcome = if failed {
            Outcome::Skipped("not attempted: an earlier platform step failed".into())
        } else {
            converge(config.platform.events.as_ref(), change, ses)
                .await
                .unwrap_or_else(|e| Outcome::Failed(e.to_string()))
        };
        failed |= summary.count(&outcome);
        (opts.on_step)(&Step {
            library: PLATFORM.into(),
            change: change_label,
            outcome,
        });
    }
    if failed {
        summary.failed_libraries.push(PLATFORM.into());
    }
}

/// Creates the set, or creates or converges the destination, as `change` says.
pub(super) async fn converge<S>(
    events: Option<&EventSettings>,
    change: &Change,
    ses: &S,
) -> Result<Outcome, ReadError>
where
    S: EventDestinationReader + EventDestinationWriter + Sync,
{
    let Some(events) = events else {
        return Ok(Outcome::Failed(
            "the platform file no longer has an `events` block; plan again".into(),
        ));
    };
    match change.kind {
        ResourceKind::SesConfigurationSet if change.name == events.configuration_set => {
            create_set(events, ses).await
        }
        ResourceKind::SesEventDestination
            if change.name == crate::plan::events::destination_name(events) =>
        {
            converge_destination(events, ses).await
        }
        _ => Ok(Outcome::Failed(format!(
            "the platform file no longer asks for {} {}; plan again",
            change.kind.as_str(),
            change.name
        ))),
    }
}

async fn create_set<S>(events: &EventSettings, ses: &S) -> Result<Outcome, ReadError>
where
    S: EventDestinationReader + EventDestinationWriter + Sync,
{
    let set = &events.configuration_set;
    if ses.event_destinations(set).await?.is_some() {
        return Ok(Outcome::Skipped(format!(
            "the configuration set {set} exists already (made since the plan)"
        )));
    }
    let tags = Tags::from([(
        ownership::MANAGED_BY_KEY.to_string(),
        ownership::MANAGED_BY_VALUE.to_string(),
    )]);
    match ses.create_configuration_set(set, &tags).await {
        Ok(()) => Ok(Outcome::Done(vec!["CreateConfigurationSet".into()])),
        // Made between the re-read and the call (a second apply at once): what was asked is true.
        Err(e) if is_code(&e, "AlreadyExistsException") => Ok(Outcome::Skipped(format!(
            "the configuration set {set} was made by another apply moments ago"
        ))),
        Err(e) => Err(e),
    }
}

/// Whether a live destination is what the file declares.
fn converged(live: &EventDestinationV1, events: &EventSettings) -> bool {
    let mut types: Vec<&str> = live.event_types.iter().map(String::as_str).collect();
    types.sort_unstable();
    let mut want = EVENT_TYPES.to_vec();
    want.sort_unstable();
    live.enabled && types == want && live.sns_topic_arn.as_deref() == Some(&events.topic_arn)
}

async fn converge_destination<S>(events: &EventSettings, ses: &S) -> Result<Outcome, ReadError>
where
    S: EventDestinationReader + EventDestinationWriter + Sync,
{
    let set = &events.configuration_set;
    let name = &events.destination;
    let topic = &events.topic_arn;
    let find = |all: Option<Vec<EventDestinationV1>>| {
        all.map(|all| all.into_iter().find(|d| &d.name == name))
    };
    let Some(live) = find(ses.event_destinations(set).await?) else {
        return Ok(Outcome::Failed(format!(
            "the configuration set {set} does not exist (deleted since the plan?); plan again"
        )));
    };
    let live = match live {
        Some(live) => live,
        None => match ses.create_event_destination(set, name, topic).await {
            Ok(()) => {
                return Ok(Outcome::Done(vec![
                    "CreateConfigurationSetEventDestination".into(),
                ]));
            }
            // Made between the re-read and the call: converge what is there now.
            Err(e) if is_code(&e, "AlreadyExistsException") => {
                match find(ses.event_destinations(set).await?).flatten() {
                    Some(live) => live,
                    None => {
                        return Ok(Outcome::Skipped(format!(
                            "the event destination {name} came and went since the plan; plan again"
                        )));
                    }
                }
            }
            Err(e) => return Err(e),
        },
    };
    if converged(&live, events) {
        return Ok(Outcome::Skipped(format!(
            "the event destination {name} is as the platform file says already"
        )));
    }
    ses.update_event_destination(set, name, topic).await?;
    Ok(Outcome::Done(vec![
        "UpdateConfigurationSetEventDestination".into(),
    ]))
}
