//! The platform's events configuration set and its event destinations: the
//! [`EventDestinationReader`] and [`EventDestinationWriter`] traits and their adapter on
//! [`AwsSes`] (the same `aws_sdk_sesv2::Client` and rate limiter as the identities).
//!
//! A refresh asks one call, `GetConfigurationSetEventDestinations`, and only when the platform
//! file has an `events` block and `ListConfigurationSets` lists its set: whether the set exists
//! is already known from that list, so `GetConfigurationSet` would tell nothing more. The call
//! is platform-level, not a library's, so a scoped refresh makes it too (one call; there is no
//! deep read to take from a baseline).

use std::future::Future;

use aws_sdk_sesv2::error::ProvideErrorMetadata as _;

use super::aws::classify;
use super::error::{ReadError, System};
use super::facts::Tags;
use super::ses::{AwsSes, sdk_tags};
use super::snapshot::EventDestinationV1;

/// Reads a configuration set's event destinations.
pub trait EventDestinationReader {
    /// `GetConfigurationSetEventDestinations`; `None` when the set does not exist.
    fn event_destinations(
        &self,
        set: &str,
    ) -> impl Future<Output = Result<Option<Vec<EventDestinationV1>>, ReadError>> + Send;
}

/// Makes the platform's configuration set and keeps mailform's event destination on it.
pub trait EventDestinationWriter {
    /// `CreateConfigurationSet`, tagged in the same call.
    fn create_configuration_set(
        &self,
        name: &str,
        tags: &Tags,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `CreateConfigurationSetEventDestination`: enabled, every event type `deliverability`
    /// counts, published to `topic_arn` ([`crate::events::event_destination`]).
    fn create_event_destination(
        &self,
        set: &str,
        name: &str,
        topic_arn: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `UpdateConfigurationSetEventDestination` to the same definition.
    fn update_event_destination(
        &self,
        set: &str,
        name: &str,
        topic_arn: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
}

impl EventDestinationReader for AwsSes {
    async fn event_destinations(
        &self,
        set: &str,
    ) -> Result<Option<Vec<EventDestinationV1>>, ReadError> {
        let out = match self
            .client
            .get_configuration_set_event_destinations()
            .configuration_set_name(set)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("NotFoundException") => return Ok(None),
            Err(e) => {
                return Err(classify(
                    System::Ses,
                    "GetConfigurationSetEventDestinations",
                    self.attempts,
                    e,
                )
                .resource(set));
            }
        };
        let mut destinations: Vec<EventDestinationV1> = out
            .event_destinations()
            .iter()
            .map(|d| EventDestinationV1 {
                name: d.name().to_string(),
                enabled: d.enabled(),
                event_types: d
                    .matching_event_types()
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect(),
                sns_topic_arn: d.sns_destination().map(|s| s.topic_arn().to_string()),
            })
            .collect();
        destinations.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(destinations))
    }
}

impl EventDestinationWriter for AwsSes {
    async fn create_configuration_set(&self, name: &str, tags: &Tags) -> Result<(), ReadError> {
        let tags = sdk_tags("CreateConfigurationSet", name, tags)?;
        self.client
            .create_configuration_set()
            .configuration_set_name(name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| {
                classify(System::Ses, "CreateConfigurationSet", self.attempts, e).resource(name)
            })?;
        Ok(())
    }

    async fn create_event_destination(
        &self,
        set: &str,
        name: &str,
        topic_arn: &str,
    ) -> Result<(), ReadError> {
        const OP: &str = "CreateConfigurationSetEventDestination";
        let definition = crate::events::event_destination(topic_arn)
            .map_err(|e| super::ses::invalid(OP, name, e))?;
        self.client
            .create_configuration_set_event_destination()
            .configuration_set_name(set)
            .event_destination_name(name)
            .event_destination(definition)
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }

    async fn update_event_destination(
        &self,
        set: &str,
        name: &str,
        topic_arn: &str,
    ) -> Result<(), ReadError> {
        const OP: &str = "UpdateConfigurationSetEventDestination";
        let definition = crate::events::event_destination(topic_arn)
            .map_err(|e| super::ses::invalid(OP, name, e))?;
        self.client
            .update_configuration_set_event_destination()
            .configuration_set_name(set)
            .event_destination_name(name)
            .event_destination(definition)
            .send()
            .await
            .map_err(|e| classify(System::Ses, OP, self.attempts, e).resource(name))?;
        Ok(())
    }
}
