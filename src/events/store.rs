//! The two external systems a drain talks to, one trait each, so the drain's loop is tested
//! without them and the adapters (`aws`) hold all I/O.

use super::event::EventRecord;
use super::rollup::Rollup;
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
    /// Deletes received messages by their receipts; answers why the queue kept one, if it
    /// did (its records are written, so it only comes back and is written again).
    async fn delete(&self, receipts: &[String]) -> Result<Option<String>, ReadError>;
    /// Puts a message that is not an SES event on the dead-letter queue.
    async fn dead_letter(&self, body: &str) -> Result<(), ReadError>;
}

/// Where records are kept.
#[allow(async_fn_in_trait)]
pub trait EventStore {
    /// Writes records (at most [`WRITE_BATCH`], keys distinct) and adds each new one to its
    /// domain's daily rollup, both at once: a record that is there already is neither written
    /// nor counted again. Returns how many were new.
    async fn put(&self, records: &[EventRecord]) -> Result<u64, ReadError>;
    /// The records of a From domain sent on the days `from..=to` (`YYYY-MM-DD`).
    async fn read(&self, domain: &str, from: &str, to: &str)
    -> Result<Vec<EventRecord>, ReadError>;
    /// The daily rollup of a From domain over the days `from..=to`.
    async fn rollup(&self, domain: &str, from: &str, to: &str) -> Result<Rollup, ReadError>;
    /// Overwrites a From domain's whole rollup with `rollup` (days it lacks read as zero):
    /// `events rebuild-rollups`, with no drain running.
    async fn replace_rollup(&self, domain: &str, rollup: &Rollup) -> Result<(), ReadError>;
}

/// Records a batch writes. A record touches at most three items (its own, its day's rollup,
/// its diagnostic's), so a batch stays within one transaction.
pub const WRITE_BATCH: usize = 25;
/// DynamoDB's limit of actions in one `TransactWriteItems`.
pub const TRANSACTION_ACTIONS: usize = 100;
const _: () = assert!(3 * WRITE_BATCH <= TRANSACTION_ACTIONS);
/// SQS's `ReceiveMessage` limit.
pub const RECEIVE_BATCH: i32 = 10;
