//! The DynamoDB adapter of [`EventStore`]: the table events are kept in.
//!
//! The table has string keys `pk` and `sk`:
//! - `pk` = `domain#<from domain>`: one partition per sending domain, so a library's events
//!   are one `Query`;
//! - `sk` = `<day>#<SES message id>#<event type>#<recipient>`: sorted by the day the message
//!   was sent, so 1, 7 and 30 days are one key range, and unique per (message, type,
//!   recipient), so writing an event again overwrites it with itself.
//!
//! Other attributes: `type`, `recipient`, `message_id`, `day`, and for bounces and delays
//! `bounce_type` and `diagnostic`.
//!
//! Beside them, each domain's daily rollup, in its own partition `rollup#<from domain>` so a
//! library's 30 days are one short `Query`:
//! - sk `<day>`: the counters `sent`, `delivered`, `hard_bounces`, `soft_bounces`,
//!   `complaints`, `rejects`, `delays` (numbers);
//! - sk `<day>#reason#<hash>`: one bounce diagnostic (`diagnostic`, its text; the hash keeps
//!   any text, of any length, a valid key) and its `count`.
//!
//! A batch is one `TransactWriteItems`: a put of each record conditional on
//! `attribute_not_exists(pk)`, and one `ADD` per rollup item the batch touches (aggregated
//! first: a transaction may name an item once). When DynamoDB cancels it, its
//! `CancellationReasons` (one per action, in order) say which records exist already: those
//! were counted when they were written (a redelivery, a drain killed between its write and its
//! delete, a second drain), so they are dropped and the rest is sent again; a
//! `TransactionConflict` (another drain adding to the same rollup item at that moment) is sent
//! again after a backoff. So a record's counts are added exactly when the record is written.

use std::collections::HashMap;
use std::sync::Arc;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use sha2::{Digest as _, Sha256};

use super::deliverability::Counts;
use super::event::{EventKind, EventRecord};
use super::rollup::{self, Rollup};
use super::store::{EventStore, TRANSACTION_ACTIONS};
use crate::live::aws::{AwsOptions, classify, limited_http_client};
use crate::live::error::{ReadError, ReadErrorKind, System};
use crate::live::meter::Meter;

/// The DynamoDB table events are kept in.
#[derive(Debug, Clone)]
pub struct DynamoEventStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    attempts: u32,
    /// The first wait after a `TransactionConflict`, doubled each time up to a second.
    backoff: Duration,
}

impl DynamoEventStore {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions, table: &str) -> Self {
        let mut config = aws_sdk_dynamodb::config::Builder::from(sdk).http_client(
            limited_http_client("dynamodb", 0.0, Arc::new(Meter::default())),
        );
        if let Some(url) = &opts.endpoints.dynamodb {
            config = config.endpoint_url(url);
        }
        DynamoEventStore {
            client: aws_sdk_dynamodb::Client::from_conf(config.build()),
            table: table.to_string(),
            attempts: opts.retries.max_attempts,
            backoff: opts.retries.initial_backoff.min(Duration::from_millis(50)),
        }
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn partition(domain: &str) -> String {
    format!("domain#{domain}")
}

fn rollup_partition(domain: &str) -> String {
    format!("rollup#{domain}")
}

/// The sort key of a day's item for one bounce diagnostic.
fn reason_key(day: &str, diagnostic: &str) -> String {
    let hash = Sha256::digest(diagnostic.as_bytes());
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{day}#reason#{hex}")
}

/// How many times a transaction that conflicts with another drain is sent before the drain
/// gives up (its messages then come back and are written by a later run).
const CONFLICT_ATTEMPTS: u32 = 12;

fn item(r: &EventRecord) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("pk".to_string(), s(&partition(&r.domain))),
        (
            "sk".to_string(),
            s(&format!(
                "{}#{}#{}#{}",
                r.day,
                r.message_id,
                r.kind.as_str(),
                r.recipient
            )),
        ),
        ("type".to_string(), s(r.kind.as_str())),
        ("recipient".to_string(), s(&r.recipient)),
        ("message_id".to_string(), s(&r.message_id)),
        ("day".to_string(), s(&r.day)),
    ]);
    if let Some(b) = &r.bounce_type {
        item.insert("bounce_type".into(), s(b));
    }
    if let Some(d) = &r.diagnostic {
        item.insert("diagnostic".into(), s(d));
    }
    item
}

fn record(domain: &str, item: &HashMap<String, AttributeValue>) -> Option<EventRecord> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(EventRecord {
        message_id: text("message_id")?,
        kind: EventKind::parse(&text("type")?)?,
        recipient: text("recipient")?,
        domain: domain.to_string(),
        day: text("day")?,
        bounce_type: text("bounce_type"),
        diagnostic: text("diagnostic"),
    })
}

impl DynamoEventStore {
    /// One transaction: a conditional put of each record, and an `ADD` per rollup item.
    fn transaction(&self, records: &[&EventRecord]) -> Vec<TransactWriteItem> {
        let mut actions = Vec::with_capacity(TRANSACTION_ACTIONS);
        for r in records {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item(r)))
                .condition_expression("attribute_not_exists(pk)")
                .build();
            if let Ok(put) = put {
                actions.push(TransactWriteItem::builder().put(put).build());
            }
        }
        for (domain, rollup) in rollup::by_domain(records.iter().copied()) {
            let pk = s(&rollup_partition(&domain));
            for (day, counts) in &rollup.days {
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .key("pk", pk.clone())
                    .key("sk", s(day));
                let mut adds = Vec::new();
                for (i, (name, value)) in counts.named().filter(|(_, v)| *v > 0).enumerate() {
                    adds.push(format!("#c{i} :c{i}"));
                    update = update
                        .expression_attribute_names(format!("#c{i}"), name)
                        .expression_attribute_values(format!(":c{i}"), n(value));
                }
                if let Ok(update) = update
                    .update_expression(format!("ADD {}", adds.join(", ")))
                    .build()
                {
                    actions.push(TransactWriteItem::builder().update(update).build());
                }
            }
            for ((day, diagnostic), count) in &rollup.reasons {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key("pk", pk.clone())
                    .key("sk", s(&reason_key(day, diagnostic)))
                    // `count` is one of DynamoDB's reserved words: every name goes by `#`.
                    .update_expression("SET #d = :d ADD #n :n")
                    .expression_attribute_names("#d", "diagnostic")
                    .expression_attribute_names("#n", "count")
                    .expression_attribute_values(":d", s(diagnostic))
                    .expression_attribute_values(":n", n(*count))
                    .build();
                if let Ok(update) = update {
                    actions.push(TransactWriteItem::builder().update(update).build());
                }
            }
        }
        actions
    }
}

/// What a cancelled transaction's reasons ask for.
#[derive(Debug, PartialEq, Eq)]
enum Cancelled {
    /// These records (indexes of the batch) exist already: drop them and send the rest.
    Duplicates(Vec<usize>),
    /// Another transaction held an item: send it all again, later.
    Conflict,
    /// Anything else: the code of the first other reason.
    Other(String),
}

/// Reads `CancellationReasons` (in the order of the actions; the first `records` actions are
/// the records' puts).
fn cancelled(reasons: &[aws_sdk_dynamodb::types::CancellationReason], records: usize) -> Cancelled {
    let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
    let duplicates: Vec<usize> = (0..records)
        .filter(|&i| code(i) == "ConditionalCheckFailed")
        .collect();
    if !duplicates.is_empty() {
        return Cancelled::Duplicates(duplicates);
    }
    let others: Vec<&str> = (0..reasons.len())
        .map(code)
        .filter(|c| *c != "None")
        .collect();
    match others.first() {
        None => Cancelled::Other("None".into()),
        Some(_) if others.iter().all(|c| *c == "TransactionConflict") => Cancelled::Conflict,
        Some(c) => Cancelled::Other(c.to_string()),
    }
}

impl EventStore for DynamoEventStore {
    async fn put(&self, records: &[EventRecord]) -> Result<u64, ReadError> {
        let mut pending: Vec<&EventRecord> = records.iter().collect();
        let mut conflicts = 0;
        while !pending.is_empty() {
            let actions = self.transaction(&pending);
            debug_assert!(actions.len() <= TRANSACTION_ACTIONS);
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions))
                .send()
                .await;
            let err = match sent {
                Ok(_) => return Ok(pending.len() as u64),
                Err(err) => err,
            };
            let reasons = match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) => {
                    cancelled(e.cancellation_reasons(), pending.len())
                }
                _ => {
                    return Err(classify(System::DynamoDb, "TransactWriteItems", self.attempts, err)
                        .resource(&self.table));
                }
            };
            match reasons {
                Cancelled::Duplicates(written) => {
                    let mut i = 0;
                    pending.retain(|_| {
                        let keep = !written.contains(&i);
                        i += 1;
                        keep
                    });
                }
                Cancelled::Conflict if conflicts < CONFLICT_ATTEMPTS => {
                    let wait = self.backoff * 2u32.saturating_pow(conflicts);
                    // Jitter so two drains that collided do not collide again in step.
                    let jitter = Duration::from_micros(u64::from(std::process::id() % 997) * 20);
                    tokio::time::sleep(wait.min(Duration::from_secs(1)) + jitter).await;
                    conflicts += 1;
                }
                Cancelled::Conflict | Cancelled::Other(_) => {
                    let code = match reasons {
                        Cancelled::Other(c) => c,
                        _ => "TransactionConflict".into(),
                    };
                    return Err(ReadError::new(
                        System::DynamoDb,
                        "TransactWriteItems",
                        ReadErrorKind::Service {
                            code: "TransactionCanceledException".into(),
                            message: format!("the transaction was cancelled: {code}"),
                        },
                    )
                    .resource(&self.table));
                }
            }
        }
        Ok(0)
    }

    async fn read(
        &self,
        domain: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<EventRecord>, ReadError> {
        let items = self.query(&partition(domain), from, to).await?;
        Ok(items.iter().filter_map(|i| record(domain, i)).collect())
    }

    async fn rollup(&self, domain: &str, from: &str, to: &str) -> Result<Rollup, ReadError> {
        let items = self.query(&rollup_partition(domain), from, to).await?;
        Ok(rollup_of(&items))
    }

    async fn replace_rollup(&self, domain: &str, rollup: &Rollup) -> Result<(), ReadError> {
        let pk = rollup_partition(domain);
        let old = rollup_of(&self.query(&pk, "0", "9").await?);
        // Days and diagnostics the records no longer hold are set to zero rather than
        // deleted, so the role needs no `DeleteItem`; zero counts read as nothing.
        let mut new = rollup.clone();
        for day in old.days.keys() {
            new.days.entry(day.clone()).or_default();
        }
        for key in old.reasons.keys() {
            new.reasons.entry(key.clone()).or_default();
        }
        let mut items = Vec::new();
        for (day, counts) in &new.days {
            let mut item = HashMap::from([("pk".to_string(), s(&pk)), ("sk".to_string(), s(day))]);
            for (name, value) in counts.named() {
                item.insert(name.to_string(), n(value));
            }
            items.push(item);
        }
        for ((day, diagnostic), count) in &new.reasons {
            items.push(HashMap::from([
                ("pk".to_string(), s(&pk)),
                ("sk".to_string(), s(&reason_key(day, diagnostic))),
                ("diagnostic".to_string(), s(diagnostic)),
                ("count".to_string(), n(*count)),
            ]));
        }
        for item in items {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|e| {
                    classify(System::DynamoDb, "PutItem", self.attempts, e).resource(&self.table)
                })?;
        }
        Ok(())
    }
}

impl DynamoEventStore {
    /// Every item of partition `pk` whose sort key starts with a day in `from..=to`.
    async fn query(
        &self,
        pk: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, ReadError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
                .expression_attribute_values(":p", s(pk))
                .expression_attribute_values(":a", s(from))
                // `~` sorts after `#` and every character of a key's rest.
                .expression_attribute_values(":b", s(&format!("{to}~")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| {
                    classify(System::DynamoDb, "Query", self.attempts, e).resource(&self.table)
                })?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}

/// The rollup its items hold: day items by their counters, reason items by their text.
fn rollup_of(items: &[HashMap<String, AttributeValue>]) -> Rollup {
    let mut rollup = Rollup::default();
    let number = |v: Option<&AttributeValue>| -> u64 {
        v.and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    for item in items {
        let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
            continue;
        };
        let day = sk.get(..10).unwrap_or(sk).to_string();
        if sk.len() == 10 {
            let mut counts = Counts::default();
            for name in Counts::NAMES {
                counts.set(name, number(item.get(name)));
            }
            rollup.days.insert(day, counts);
        } else if let Some(diagnostic) = item.get("diagnostic").and_then(|v| v.as_s().ok()) {
            let count = number(item.get("count"));
            *rollup.reasons.entry((day, diagnostic.clone())).or_default() += count;
        }
    }
    rollup
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::CancellationReason;

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    #[test]
    fn cancellation_reasons_name_the_duplicates_or_ask_for_a_retry() {
        let dup = [
            reason("None"),
            reason("ConditionalCheckFailed"),
            reason("None"),
        ];
        assert_eq!(cancelled(&dup, 2), Cancelled::Duplicates(vec![1]));
        let conflict = [
            reason("None"),
            reason("None"),
            reason("TransactionConflict"),
        ];
        assert_eq!(cancelled(&conflict, 2), Cancelled::Conflict);
        let other = [reason("ThrottlingError"), reason("TransactionConflict")];
        assert_eq!(
            cancelled(&other, 1),
            Cancelled::Other("ThrottlingError".into())
        );
    }

    #[test]
    fn any_diagnostic_makes_a_short_key_of_its_day() {
        let long = "x".repeat(5000);
        let key = reason_key("2026-01-01", &long);
        assert!(
            key.starts_with("2026-01-01#reason#") && key.len() == 18 + 32,
            "{key}"
        );
        assert_ne!(key, reason_key("2026-01-01", "y"));
    }
}
