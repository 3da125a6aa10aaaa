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

pub mod deliverability;
pub mod drain;
pub mod dynamo;
pub mod event;
pub mod sqs;
pub mod store;
