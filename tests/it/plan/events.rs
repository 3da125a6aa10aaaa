//! The platform's events set and destination in all three plan formats: a set and destination
//! to create, a drifted destination with what drifted, and another team's destination listed
//! as not managed.

use mailform::live::snapshot::{EventDestinationV1, EventSetV1, LiveSnapshotV1};
use mailform::model::EventSettings;
use mailform::plan::events::{EVENT_TYPES, plan};
use mailform::plan::{PLAN_VERSION, Plan};
use mailform::render::plan::{GITHUB_COMMENT_LIMIT, Style, to_json, to_markdown, to_text};

use crate::snap;

fn settings() -> EventSettings {
    EventSettings {
        configuration_set: "library-mail".into(),
        destination: "mailform-events".into(),
        topic_arn: "arn:aws:sns:us-east-1:123456789012:mailform-ses-events".into(),
        queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q".into(),
        dead_letter_queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/d".into(),
        table: "mailform-events".into(),
    }
}

/// The plan of the platform's events alone, as the planner files it.
fn platform_plan(live: &LiveSnapshotV1) -> Plan {
    let events = plan(Some(&settings()), live);
    Plan {
        version: PLAN_VERSION,
        platform: vec![],
        platform_changes: events.changes,
        platform_deletions: vec![],
        libraries: vec![],
        unmanaged: events.unmanaged,
    }
}

fn all_formats(name: &str, plan: &Plan) -> String {
    let json = to_json(plan);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    crate::support::json_schema::assert_valid("plan.schema.json", &value);
    let rendered = format!(
        "--- text\n{}--- markdown\n{}--- json\n{json}\n",
        to_text(plan, Style { color: false }),
        to_markdown(plan, GITHUB_COMMENT_LIMIT)
    );
    snap!("plan", name, rendered.clone());
    rendered
}

#[test]
fn a_fresh_account_creates_the_set_then_the_destination() {
    let out = all_formats(
        "events_create",
        &platform_plan(&LiveSnapshotV1::empty("2026-11-26T00:00:00Z", "us-east-1")),
    );
    assert!(out.contains("Plan: 2 to create, 0 to change"), "{out}");
}

#[test]
fn a_drifted_destination_says_what_drifted_and_another_is_not_managed() {
    let mut live = LiveSnapshotV1::empty("2026-11-26T00:00:00Z", "us-east-1");
    live.ses.configuration_sets = vec!["library-mail".into()];
    live.ses.events_set = Some(EventSetV1 {
        name: "library-mail".into(),
        destinations: vec![
            EventDestinationV1 {
                name: "analytics".into(),
                enabled: true,
                event_types: vec!["OPEN".into(), "CLICK".into()],
                sns_topic_arn: None,
            },
            EventDestinationV1 {
                name: "mailform-events".into(),
                enabled: false,
                event_types: EVENT_TYPES[..4].iter().map(|t| t.to_string()).collect(),
                sns_topic_arn: Some("arn:aws:sns:us-east-1:123456789012:old-topic".into()),
            },
        ],
    });
    let out = all_formats("events_drift", &platform_plan(&live));
    assert!(
        out.contains(
            "(disabled; REJECT and DELIVERY_DELAY not published; publishes to another SNS topic)"
        ) && out.contains("ses-event-destination library-mail/analytics"),
        "{out}"
    );
}
