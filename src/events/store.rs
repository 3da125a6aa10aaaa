//! The two external systems a drain talks to, one trait each, so the drain's loop is tested
//! without them and the adapters (`aws`) hold all I/O.

use super::event::EventRecord;
use crate::live::error::ReadError;

/// One message received from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// What deletes it.
    pub receipt: String,
    pub body: String,
}

/// The queue SES events arrive on, with its dead-letter queue.
#[allow(async_fn_in_trait)]
pub trait EventQueue {
    /// Up to `max` (at most 10) messages; none when the queue is empty.
    async fn receive(&self, max: i32) -> Result<Vec<QueueMessage>, ReadError>;
    /// Deletes received messages by their receipts.
    async fn delete(&self, receipts: &[String]) -> Result<(), ReadError>;
    /// Puts a message that is not an SES event on the dead-letter queue.
    async fn dead_letter(&self, body: &str) -> Result<(), ReadError>;
}

/// Where records are kept.
#[allow(async_fn_in_trait)]
pub trait EventStore {
    /// Writes records (at most [`WRITE_BATCH`], keys distinct); writing one that is there
    /// already changes nothing.
    async fn put(&self, records: &[EventRecord]) -> Result<(), ReadError>;
    /// The records of a From domain sent on the days `from..=to` (`YYYY-MM-DD`).
    async fn read(&self, domain: &str, from: &str, to: &str)
    -> Result<Vec<EventRecord>, ReadError>;
}

/// DynamoDB's `BatchWriteItem` limit.
pub const WRITE_BATCH: usize = 25;
/// SQS's `ReceiveMessage` limit.
pub const RECEIVE_BATCH: i32 = 10;
