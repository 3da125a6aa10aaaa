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

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};

use super::event::{EventKind, EventRecord};
use super::store::EventStore;
use crate::live::aws::{AwsOptions, classify, limited_http_client};
use crate::live::error::{ReadError, System};
use crate::live::meter::Meter;

/// The DynamoDB table events are kept in.
#[derive(Debug, Clone)]
pub struct DynamoEventStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    attempts: u32,
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
        }
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

fn partition(domain: &str) -> String {
    format!("domain#{domain}")
}

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

impl EventStore for DynamoEventStore {
    async fn put(&self, records: &[EventRecord]) -> Result<(), ReadError> {
        let mut writes: Vec<WriteRequest> = records
            .iter()
            .filter_map(|r| {
                let put = PutRequest::builder().set_item(Some(item(r))).build().ok()?;
                Some(WriteRequest::builder().put_request(put).build())
            })
            .collect();
        // Unprocessed items (throttling) are sent again until none is left; a put is
        // idempotent, so sending one twice is harmless.
        while !writes.is_empty() {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.table, writes)
                .send()
                .await
                .map_err(|e| {
                    classify(System::DynamoDb, "BatchWriteItem", self.attempts, e)
                        .resource(&self.table)
                })?;
            writes = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&self.table))
                .unwrap_or_default();
        }
        Ok(())
    }

    async fn read(
        &self,
        domain: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<EventRecord>, ReadError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :p AND sk BETWEEN :a AND :b")
                .expression_attribute_values(":p", s(&partition(domain)))
                .expression_attribute_values(":a", s(from))
                // `~` sorts after `#` and every character of a key's rest.
                .expression_attribute_values(":b", s(&format!("{to}~")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| {
                    classify(System::DynamoDb, "Query", self.attempts, e).resource(&self.table)
                })?;
            out.extend(
                page.items
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| record(domain, i)),
            );
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}
