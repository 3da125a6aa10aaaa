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
//! - `deliverability`: counts, rates and thresholds per library (pure).
//!
//! Invariant: a message is deleted from the queue only after every record it holds was
//! written (or, when it is not an SES event, after it was put on the dead-letter queue), so a
//! drain killed at any point loses nothing; records are keyed by (SES message id, event type,
//! recipient) and written with plain puts, so a message received twice counts once.

use crate::model::{DeliveryMethod, Library, Platform};

/// The configuration set a library's mail goes out with, so its events reach the platform's
/// event destination: the library's own `configuration-set`, else the platform's
/// `events { configuration-set }`; `None` for a library outside SES or without either. The one
/// place that decides it (a library's SES tenant is associated with this set).
pub fn configuration_set<'a>(library: &'a Library, platform: &'a Platform) -> Option<&'a str> {
    let own = match &library.method {
        DeliveryMethod::SesDomain(m) => m.configuration_set.as_deref(),
        // A managed domain's identity takes the platform's set: its file names none.
        DeliveryMethod::ManagedDomain(_) => None,
        DeliveryMethod::SmtpAccount(_) => return None,
    };
    own.or(platform
        .events
        .as_ref()
        .map(|e| e.configuration_set.as_str()))
}

pub mod deliverability;
pub mod drain;
pub mod dynamo;
pub mod event;
pub mod sqs;
pub mod store;
