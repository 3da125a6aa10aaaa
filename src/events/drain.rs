//! The drain: receive up to 50 messages (5 receives of 10) → put the ones that are not SES
//! events on the dead-letter queue → write the records the others hold (25 a batch) → delete
//! them all (10 a batch); until the queue answers empty. Five receives a round make full write
//! batches: a receive's 10 messages of one event each would leave every write 15 short, and
//! the calls a million events take are set by the batch sizes.
//!
//! Why nothing is lost or counted twice whatever stops the run: a message is deleted only
//! after its records were written, so a drain that dies before the delete leaves the message
//! to come back after its visibility timeout and be written again — onto the same keys, which
//! the store finds there and neither writes nor counts again. Two drains at once receive
//! different messages (SQS hides a received one), and when SQS delivers one message to both,
//! the first write of each record wins and counts. A malformed message
//! is copied to the dead-letter queue before it is deleted; dying between the two leaves a
//! second copy there at worst, never none.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use super::event::{self, EventRecord, Parsed};
use super::store::{EventQueue, EventStore, RECEIVE_BATCH, WRITE_BATCH};
use crate::live::error::ReadError;

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DrainReport {
    /// Queue messages received and deleted.
    pub messages: u64,
    /// Records handed to the store (a record received again after a redelivery counts again
    /// here; the store writes and counts it once).
    pub records: u64,
    /// Messages that were not SES events, moved to the dead-letter queue, with why.
    pub dead_lettered: Vec<String>,
    /// Why the queue kept a message the drain deleted (one per delete call that failed in
    /// part): it comes back and is written again, counted once. Shown on stderr only.
    #[serde(skip)]
    pub not_deleted: Vec<String>,
}

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct DrainOptions {
    /// Stop after this many messages (`None`: until the queue is empty).
    pub max_messages: Option<u64>,
    /// Rounds in flight at once. Each is receive → write → delete on its own messages, so the
    /// invariants hold per round; more than one keeps the queue and the store busy while a
    /// round waits on an answer.
    pub workers: usize,
}

impl Default for DrainOptions {
    fn default() -> Self {
        DrainOptions {
            max_messages: None,
            workers: 1,
        }
    }
}

/// Takes up to 10 of the messages a limited run may still receive; 0 when none are left.
fn reserve(taken: &AtomicU64, max: Option<u64>) -> u64 {
    let Some(max) = max else {
        return RECEIVE_BATCH as u64;
    };
    let mut now = taken.load(Ordering::SeqCst);
    loop {
        if now >= max {
            return 0;
        }
        let want = (max - now).min(RECEIVE_BATCH as u64);
        match taken.compare_exchange(now, now + want, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return want,
            Err(actual) => now = actual,
        }
    }
}

/// Receives per round: 50 messages, two full write batches when each holds one event.
const RECEIVES_PER_ROUND: usize = 5;

/// Drains `queue` into `store`, `options.workers` rounds at a time.
pub async fn drain(
    queue: &impl EventQueue,
    store: &impl EventStore,
    options: DrainOptions,
) -> Result<DrainReport, ReadError> {
    let taken = AtomicU64::new(0);
    let results = futures::future::join_all(
        (0..options.workers.max(1)).map(|_| worker(queue, store, options.max_messages, &taken)),
    )
    .await;
    let mut report = DrainReport::default();
    for result in results {
        let one = result?;
        report.messages += one.messages;
        report.records += one.records;
        report.dead_lettered.extend(one.dead_lettered);
    }
    Ok(report)
}

/// One worker's rounds, until the queue answers empty or the run's limit is reached.
async fn worker(
    queue: &impl EventQueue,
    store: &impl EventStore,
    max_messages: Option<u64>,
    taken: &AtomicU64,
) -> Result<DrainReport, ReadError> {
    let mut report = DrainReport::default();
    loop {
        let mut messages = Vec::new();
        let mut empty = false;
        for _ in 0..RECEIVES_PER_ROUND {
            let want = reserve(taken, max_messages);
            if want == 0 {
                break;
            }
            let got = queue.receive(want as i32).await?;
            // What was reserved and not received goes back for the others.
            taken.fetch_sub(want - got.len() as u64, Ordering::SeqCst);
            empty = got.is_empty();
            messages.extend(got);
            if empty {
                break;
            }
        }
        if messages.is_empty() {
            return Ok(report);
        }
        let mut records: Vec<EventRecord> = Vec::new();
        let mut receipts = Vec::with_capacity(messages.len());
        for message in &messages {
            match event::parse(&message.body) {
                Parsed::Events(found) => records.extend(found),
                Parsed::Malformed(why) => {
                    queue.dead_letter(&message.body).await?;
                    report.dead_lettered.push(why);
                }
            }
            receipts.push(message.receipt.clone());
        }
        // One batch may not name a key twice (DynamoDB refuses it): SQS may hand the same
        // event over twice in one receive.
        let mut seen = BTreeSet::new();
        records.retain(|r| seen.insert((r.message_id.clone(), r.kind, r.recipient.clone())));
        for chunk in records.chunks(WRITE_BATCH) {
            store.put(chunk).await?;
        }
        report.records += records.len() as u64;
        for chunk in receipts.chunks(RECEIVE_BATCH as usize) {
            report.not_deleted.extend(queue.delete(chunk).await?);
        }
        report.messages += messages.len() as u64;
        if empty {
            return Ok(report);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::events::rollup::Rollup;
    use crate::events::store::QueueMessage;

    #[derive(Default)]
    struct Queue {
        messages: RefCell<Vec<QueueMessage>>,
        deleted: RefCell<Vec<String>>,
        dead: RefCell<Vec<String>>,
        /// The order of calls, to check that a delete follows the writes.
        calls: RefCell<Vec<&'static str>>,
    }

    impl EventQueue for Queue {
        async fn receive(&self, max: i32) -> Result<Vec<QueueMessage>, ReadError> {
            self.calls.borrow_mut().push("receive");
            let mut m = self.messages.borrow_mut();
            let n = (max as usize).min(m.len());
            Ok(m.drain(..n).collect())
        }
        async fn delete(&self, receipts: &[String]) -> Result<Option<String>, ReadError> {
            self.calls.borrow_mut().push("delete");
            self.deleted.borrow_mut().extend(receipts.iter().cloned());
            Ok(None)
        }
        async fn dead_letter(&self, body: &str) -> Result<(), ReadError> {
            self.calls.borrow_mut().push("dead-letter");
            self.dead.borrow_mut().push(body.to_string());
            Ok(())
        }
    }

    #[derive(Default)]
    struct Store {
        items: RefCell<BTreeMap<(String, EventKindKey, String), EventRecord>>,
        calls: RefCell<usize>,
    }
    type EventKindKey = &'static str;

    impl EventStore for Store {
        async fn put(&self, records: &[EventRecord]) -> Result<u64, ReadError> {
            assert!(records.len() <= WRITE_BATCH);
            *self.calls.borrow_mut() += 1;
            let mut new = 0;
            for r in records {
                let key = (r.message_id.clone(), r.kind.as_str(), r.recipient.clone());
                if self.items.borrow_mut().insert(key, r.clone()).is_none() {
                    new += 1;
                }
            }
            Ok(new)
        }
        async fn read(&self, _: &str, _: &str, _: &str) -> Result<Vec<EventRecord>, ReadError> {
            Ok(self.items.borrow().values().cloned().collect())
        }
        async fn rollup(&self, _: &str, _: &str, _: &str) -> Result<Rollup, ReadError> {
            Ok(Rollup::of(self.items.borrow().values()))
        }
        async fn replace_rollup(&self, _: &str, _: &Rollup) -> Result<(), ReadError> {
            Ok(())
        }
    }

    fn delivery(id: usize) -> String {
        serde_json::json!({
            "eventType": "Delivery",
            "delivery": {"recipients": ["a@x.org", "b@x.org", "c@x.org"]},
            "mail": {"messageId": format!("m{id}"), "timestamp": "2026-01-01T00:00:00Z",
                "source": "n@lib.example", "destination": ["a@x.org"]}
        })
        .to_string()
    }

    #[tokio::test]
    async fn every_message_is_written_before_it_is_deleted_and_duplicates_count_once() {
        let queue = Queue::default();
        let mut bodies: Vec<String> = (0..12).map(delivery).collect();
        bodies.push(delivery(3));
        bodies.push("poison".into());
        *queue.messages.borrow_mut() = bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| QueueMessage {
                receipt: format!("r{i}"),
                body,
            })
            .collect();
        let store = Store::default();
        let report = drain(&queue, &store, DrainOptions::default())
            .await
            .unwrap();
        assert_eq!(report.messages, 14);
        assert_eq!(report.dead_lettered.len(), 1);
        assert_eq!(store.items.borrow().len(), 36, "12 messages × 3 recipients");
        assert_eq!(queue.deleted.borrow().len(), 14);
        assert_eq!(*queue.dead.borrow(), vec!["poison".to_string()]);
        // One round: 13 events × 3 recipients = 39 records, 36 distinct: writes of 25 and
        // 11 before the deletes, 10 at a time; the third receive found the queue empty.
        assert_eq!(*store.calls.borrow(), 2);
        let calls = queue.calls.borrow();
        assert_eq!(
            calls.as_slice(),
            [
                "receive",
                "receive",
                "receive",
                "dead-letter",
                "delete",
                "delete"
            ]
        );
    }

    #[tokio::test]
    async fn a_limit_stops_the_run() {
        let queue = Queue::default();
        *queue.messages.borrow_mut() = (0..30)
            .map(|i| QueueMessage {
                receipt: format!("r{i}"),
                body: delivery(i),
            })
            .collect();
        let store = Store::default();
        let report = drain(
            &queue,
            &store,
            DrainOptions {
                max_messages: Some(15),
                workers: 3,
            },
        )
        .await
        .unwrap();
        assert_eq!(report.messages, 15);
        assert_eq!(queue.messages.borrow().len(), 15);
    }
}
