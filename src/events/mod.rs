//! SES's sending events, kept: every bounce, complaint, delivery, reject and delivery delay
//! SES publishes for the platform's configuration set reaches an SQS queue (through SNS);
//! `mailform events drain` moves them into a DynamoDB table, each exactly once, and
//! `mailform deliverability` reads them back per library.
//!
//! - `event`: a queue message → the records it holds (pure);
//! - `store`: the two external systems as traits, [`store::EventQueue`] and
//!   [`store::EventStore`];
//! - `drain`: the loop, receive → write → delete, over the traits;
//! - `sqs`, `dynamo`: the SQS and DynamoDB adapters;
//! - `rollup`: a batch's (or a domain's) counts per day and bounce diagnostics (pure);
//! - `deliverability`: counts, rates and thresholds per library, from its rollup (pure);
//! - `suppression`: a library's suppressed recipients in its report (pure).
//!
//! Invariant: a message is deleted from the queue only after every record it holds was
//! written (or, when it is not an SES event, after it was put on the dead-letter queue), so a
//! drain killed at any point loses nothing; records are keyed by (SES message id, event type,
//! recipient) and written, with their rollup counts, only if absent, in one transaction, so a
//! message received twice counts once.

/// The event destination the README's one-time setup puts on a configuration set: every event
/// type `deliverability` counts, published to the SNS topic `topic_arn`.
pub fn event_destination(
    topic_arn: &str,
) -> Result<aws_sdk_sesv2::types::EventDestinationDefinition, aws_sdk_sesv2::error::BuildError> {
    use aws_sdk_sesv2::types::{EventDestinationDefinition, EventType, SnsDestination};
    Ok(EventDestinationDefinition::builder()
        .enabled(true)
        .set_matching_event_types(Some(vec![
            EventType::Send,
            EventType::Delivery,
            EventType::Bounce,
            EventType::Complaint,
            EventType::Reject,
            EventType::DeliveryDelay,
        ]))
        .sns_destination(SnsDestination::builder().topic_arn(topic_arn).build()?)
        .build())
}

pub mod deliverability;
pub mod drain;
pub mod dynamo;
pub mod event;
pub mod rollup;
pub mod sqs;
pub mod store;
pub mod suppression;

#[cfg(test)]
mod tests {
    use crate::config::{self, AnalyzeOptions};
    use crate::model::{Config, Date};
    use crate::source::{SourceFile, SourceSet};

    fn config_of(events: &str, libraries: &[(&str, &str)]) -> Config {
        let mut sources = SourceSet::default();
        sources.add(SourceFile::new(
            "libraries/_platform.kdl",
            format!("platform {{\n    aws-region \"us-east-1\"\n{events}}}\n"),
        ));
        for (id, method) in libraries {
            sources.add(SourceFile::new(
                format!("libraries/{id}.kdl"),
                format!(
                    "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n{method}}}\n"
                ),
            ));
        }
        let analysis = config::analyze(
            &mut sources,
            &AnalyzeOptions {
                today: Date::parse("2026-01-01").unwrap(),
            },
        );
        analysis
            .config
            .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics))
    }

    #[test]
    fn a_library_s_own_configuration_set_wins_over_the_platform_s() {
        let own = "    ses-domain {\n        from \"news@own.example.org\"\n        configuration-set \"own-set\"\n    }\n";
        let plain = "    ses-domain {\n        from \"news@plain.example.org\"\n    }\n";
        let smtp = "    smtp-account {\n        host \"smtp.example.org\"\n        port 587\n        security \"starttls\"\n        username \"u\"\n        password env=\"MAILFORM_SMTP_PASSWORD_SMTP\"\n        from \"news@smtp.example.org\"\n    }\n";
        let events = "    events {\n        configuration-set \"library-mail\"\n        sns-topic-arn \"arn:aws:sns:us-east-1:123456789012:t\"\n        queue-url \"https://sqs.us-east-1.amazonaws.com/1/q\"\n        dead-letter-queue-url \"https://sqs.us-east-1.amazonaws.com/1/d\"\n    }\n";
        let libraries = [("own", own), ("plain", plain), ("smtp", smtp)];
        for (block, want) in [
            (events, [Some("own-set"), Some("library-mail"), None]),
            ("", [Some("own-set"), None, None]),
        ] {
            let config = config_of(block, &libraries);
            let got: Vec<Option<&str>> = config
                .libraries
                .iter()
                .map(|l| config.platform.configuration_set_for(l))
                .collect();
            assert_eq!(got, want);
        }
    }
}
