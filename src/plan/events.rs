//! Planning the platform's events configuration set and mailform's event destination on it,
//! declared by the platform file's `events { configuration-set; destination; sns-topic-arn }`.
//! Pure: the platform settings and the live snapshot in, changes and notes out.
//!
//! - The set missing: create it (tagged as mailform's), then the destination.
//! - The destination missing: create it; drifted (disabled, another topic, event types
//!   missing or added): update it back to [`EVENT_TYPES`], enabled, to the file's topic, with
//!   a reason naming what drifted.
//! - Every other destination on the set is someone else's: listed as not managed, never
//!   touched. A destination has no tags, so its name (`destination`, by default
//!   `mailform-events`) is what makes it mailform's.

use crate::live::ownership;
use crate::live::snapshot::{EventDestinationV1, LiveSnapshotV1};
use crate::model::EventSettings;

use super::{Attribute, Change, Op, ResourceKind, Unmanaged};

/// The event types mailform's destination publishes: every one `deliverability` counts, in
/// the order `crate::events::event_destination` sends them.
pub const EVENT_TYPES: [&str; 6] = [
    "SEND",
    "DELIVERY",
    "BOUNCE",
    "COMPLAINT",
    "REJECT",
    "DELIVERY_DELAY",
];

/// What the platform's events resources need.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EventsPlan {
    pub changes: Vec<Change>,
    pub unmanaged: Vec<Unmanaged>,
}

impl EventsPlan {
    /// Whether this plan creates the configuration set `name` (so identities may name it).
    pub fn creates_set(&self, name: &str) -> bool {
        self.changes
            .iter()
            .any(|c| c.kind == ResourceKind::SesConfigurationSet && c.name == name)
    }
}

/// The plan name of a destination: `SET/DESTINATION`.
pub fn destination_name(events: &EventSettings) -> String {
    format!("{}/{}", events.configuration_set, events.destination)
}

/// Plans the platform's events set and destination; nothing without an `events` block.
pub fn plan(events: Option<&EventSettings>, live: &LiveSnapshotV1) -> EventsPlan {
    let mut out = EventsPlan::default();
    let Some(events) = events else {
        return out;
    };
    let set = events.configuration_set.as_str();
    if !live.ses.configuration_sets.iter().any(|s| s == set) {
        out.changes.push(Change {
            op: Op::Create,
            kind: ResourceKind::SesConfigurationSet,
            name: set.to_string(),
            attributes: vec![Attribute {
                name: "tags".into(),
                old: None,
                new: Some(format!(
                    "{}={}",
                    ownership::MANAGED_BY_KEY,
                    ownership::MANAGED_BY_VALUE
                )),
            }],
            cost: None,
            reason: None,
        });
        out.changes.push(create_destination(events));
        return out;
    }
    // The set exists, but its destinations were not read (an older snapshot): nothing to
    // judge them by.
    let Some(read) = live.ses.events_set.as_ref().filter(|s| s.name == set) else {
        return out;
    };
    match read
        .destinations
        .iter()
        .find(|d| d.name == events.destination)
    {
        None => out.changes.push(create_destination(events)),
        Some(live) => out.changes.extend(update_destination(events, live)),
    }
    for other in read
        .destinations
        .iter()
        .filter(|d| d.name != events.destination)
    {
        out.unmanaged.push(Unmanaged {
            kind: ResourceKind::SesEventDestination,
            name: format!("{set}/{}", other.name),
            note: "on the platform's events configuration set, but mailform did not make it: left as it is".into(),
        });
    }
    out
}

fn create_destination(events: &EventSettings) -> Change {
    Change {
        op: Op::Create,
        kind: ResourceKind::SesEventDestination,
        name: destination_name(events),
        attributes: vec![
            Attribute {
                name: "enabled".into(),
                old: None,
                new: Some("true".into()),
            },
            Attribute {
                name: "event-types".into(),
                old: None,
                new: Some(EVENT_TYPES.join(", ")),
            },
            Attribute {
                name: "sns-topic-arn".into(),
                old: None,
                new: Some(events.topic_arn.clone()),
            },
        ],
        cost: None,
        reason: None,
    }
}

/// `A`, `A and B`, `A, B and C`.
fn listed(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The update that brings a drifted destination back, with what drifted as its reason.
fn update_destination(events: &EventSettings, live: &EventDestinationV1) -> Option<Change> {
    let mut attributes = Vec::new();
    let mut why = Vec::new();
    if !live.enabled {
        attributes.push(Attribute {
            name: "enabled".into(),
            old: Some("false".into()),
            new: Some("true".into()),
        });
        why.push("disabled".to_string());
    }
    let missing: Vec<&str> = EVENT_TYPES
        .iter()
        .copied()
        .filter(|t| !live.event_types.iter().any(|have| have == t))
        .collect();
    let extra: Vec<&str> = live
        .event_types
        .iter()
        .map(String::as_str)
        .filter(|t| !EVENT_TYPES.contains(t))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        attributes.push(Attribute {
            name: "event-types".into(),
            old: Some(live.event_types.join(", ")),
            new: Some(EVENT_TYPES.join(", ")),
        });
        if !missing.is_empty() {
            why.push(format!("{} not published", listed(&missing)));
        }
        if !extra.is_empty() {
            why.push(format!("{} published too", listed(&extra)));
        }
    }
    if live.sns_topic_arn.as_deref() != Some(events.topic_arn.as_str()) {
        attributes.push(Attribute {
            name: "sns-topic-arn".into(),
            old: live.sns_topic_arn.clone(),
            new: Some(events.topic_arn.clone()),
        });
        why.push(match &live.sns_topic_arn {
            Some(_) => "publishes to another SNS topic".to_string(),
            None => "publishes to no SNS topic".to_string(),
        });
    }
    (!attributes.is_empty()).then(|| Change {
        op: Op::Update,
        kind: ResourceKind::SesEventDestination,
        name: destination_name(events),
        attributes,
        cost: None,
        reason: Some(why.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::snapshot::EventSetV1;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-events";

    fn settings() -> EventSettings {
        EventSettings {
            configuration_set: "library-mail".into(),
            destination: "mailform-events".into(),
            topic_arn: TOPIC.into(),
            queue_url: "https://sqs.us-east-1.amazonaws.com/1/q".into(),
            dead_letter_queue_url: "https://sqs.us-east-1.amazonaws.com/1/d".into(),
            table: "mailform-events".into(),
        }
    }

    fn live(destinations: Option<Vec<EventDestinationV1>>) -> LiveSnapshotV1 {
        let mut live = LiveSnapshotV1::empty("2026-01-01T00:00:00Z", "us-east-1");
        if let Some(destinations) = destinations {
            live.ses.configuration_sets = vec!["library-mail".into()];
            live.ses.events_set = Some(EventSetV1 {
                name: "library-mail".into(),
                destinations,
            });
        }
        live
    }

    fn ours() -> EventDestinationV1 {
        EventDestinationV1 {
            name: "mailform-events".into(),
            enabled: true,
            event_types: EVENT_TYPES.iter().map(|t| t.to_string()).collect(),
            sns_topic_arn: Some(TOPIC.into()),
        }
    }

    fn summary(p: &EventsPlan) -> Vec<String> {
        p.changes
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}{}",
                    c.op.sign(),
                    c.kind.as_str(),
                    c.name,
                    c.reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn nothing_without_an_events_block() {
        assert_eq!(plan(None, &live(None)), EventsPlan::default());
    }

    #[test]
    fn a_missing_set_is_created_before_its_destination() {
        let p = plan(Some(&settings()), &live(None));
        assert_eq!(
            summary(&p),
            [
                "+ ses-configuration-set library-mail",
                "+ ses-event-destination library-mail/mailform-events"
            ]
        );
        assert!(p.creates_set("library-mail"));
    }

    #[test]
    fn a_converged_destination_plans_nothing() {
        let p = plan(Some(&settings()), &live(Some(vec![ours()])));
        assert!(p.changes.is_empty(), "{:?}", p.changes);
    }

    #[test]
    fn drift_is_named_in_the_reason() {
        let mut drifted = ours();
        drifted.enabled = false;
        drifted.event_types = vec![
            "SEND".into(),
            "DELIVERY".into(),
            "BOUNCE".into(),
            "COMPLAINT".into(),
            "OPEN".into(),
        ];
        drifted.sns_topic_arn = Some("arn:aws:sns:us-east-1:123456789012:other".into());
        let p = plan(Some(&settings()), &live(Some(vec![drifted])));
        assert_eq!(
            summary(&p),
            [
                "~ ses-event-destination library-mail/mailform-events (disabled; REJECT and DELIVERY_DELAY not published; OPEN published too; publishes to another SNS topic)"
            ]
        );
    }

    #[test]
    fn another_destination_is_left_alone_and_listed() {
        let other = EventDestinationV1 {
            name: "analytics".into(),
            ..ours()
        };
        let p = plan(Some(&settings()), &live(Some(vec![other])));
        assert_eq!(
            summary(&p),
            ["+ ses-event-destination library-mail/mailform-events"]
        );
        assert_eq!(p.unmanaged.len(), 1);
        assert_eq!(p.unmanaged[0].name, "library-mail/analytics");
    }

    #[test]
    fn lists_read_in_words() {
        assert_eq!(listed(&["A"]), "A");
        assert_eq!(listed(&["A", "B"]), "A and B");
        assert_eq!(listed(&["A", "B", "C"]), "A, B and C");
    }
}
