//! The notice ledger in DynamoDB: [`DynamoLedger`], the aws-sdk-dynamodb adapter of
//! [`NoticeLedger`].
//!
//! One table (the platform file's `notices { ledger-table "…" }`), partition key `library`,
//! sort key `notice` (`kind#fingerprint`, [`NoticeKey::item`]), both strings; the other
//! attributes are `state`, `run`, `claimed_at` and `sent_at` (numbers, unix seconds), `to`,
//! `subject`, `message_id`, `detail`, and the body as first written, `text` and `html` (a
//! notice is a few kilobytes, far below an item's 400 KB).
//!
//! Every write is conditional and sent once: the SDK's retry is off for them, so a write
//! whose answer was lost (a timeout, a dropped connection, a 5xx) is an error for the caller,
//! never a second attempt that would find its own first write and report it as someone
//! else's. What such a write did shows in the next claim (it answers `Held` with this run's
//! entry when the lost write took effect). Reads (`Query`, `Scan`) retry as every read does.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::NoticeKey;
use super::ledger::{Claim, EntryState, LedgerEntry, NoticeLedger, Settle, StoredWords};
use crate::live::aws::{AwsOptions, classify, limited_http_client};
use crate::live::error::{ReadError, ReadErrorKind, System};
use crate::live::meter::Meter;
use crate::model::LibraryId;

/// Requests a second to the ledger by default: an on-demand table takes thousands, a run
/// makes two writes a notice, so this only keeps a runaway loop from costing money.
pub const DEFAULT_RATE: f64 = 50.0;

const LIBRARY: &str = "library";
const NOTICE: &str = "notice";

/// The aws-sdk-dynamodb adapter of the ledger.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: Client,
    table: String,
    region: String,
    attempts: u32,
}

impl DynamoLedger {
    /// The ledger in `table`, through the shared SDK configuration (credentials, region,
    /// retries and timeouts for reads), `opts.endpoints.dynamodb` when set, and a rate
    /// limiter of `rate` requests a second (0: none, for the sandbox).
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions, table: &str, rate: f64) -> Self {
        let mut config = aws_sdk_dynamodb::config::Builder::from(sdk).http_client(
            limited_http_client("dynamodb", rate, Arc::new(Meter::default())),
        );
        if let Some(url) = &opts.endpoints.dynamodb {
            config = config.endpoint_url(url);
        }
        DynamoLedger {
            client: Client::from_conf(config.build()),
            table: table.to_string(),
            region: opts.region.clone(),
            attempts: opts.retries.max_attempts,
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// An SDK error as a [`ReadError`]; a missing table says how to create it.
    fn error<E>(
        &self,
        operation: &'static str,
        attempts: u32,
        err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> ReadError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        let missing = err.code() == Some("ResourceNotFoundException");
        let mut e = classify(System::DynamoDb, operation, attempts, err).resource(&self.table);
        if missing {
            e.kind = ReadErrorKind::MissingTable {
                table: self.table.clone(),
                region: self.region.clone(),
            };
        }
        e
    }

    fn key(key: &NoticeKey) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (LIBRARY.into(), s(key.library.as_str())),
            (NOTICE.into(), s(&key.item())),
        ])
    }

    /// `PutItem` of `entry` under `condition`, sent once; the item as it was when the
    /// condition failed.
    async fn put(
        &self,
        entry: &LedgerEntry,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, &str)],
    ) -> Result<Option<HashMap<String, AttributeValue>>, ReadError> {
        const OP: &str = "PutItem";
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(entry)))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in names {
            put = put.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            put = put.expression_attribute_values(*k, s(v));
        }
        match put.customize().config_override(once()).send().await {
            Ok(_) => Ok(None),
            Err(err) => match err.as_service_error() {
                Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c)) => {
                    Ok(Some(c.item().cloned().unwrap_or_default()))
                }
                _ => Err(self.error(OP, 1, err).resource(entry.key.to_string())),
            },
        }
    }

    /// The entry a failed condition returned.
    fn held(
        &self,
        operation: &'static str,
        item: HashMap<String, AttributeValue>,
    ) -> Result<Claim, ReadError> {
        if item.is_empty() {
            return Err(ReadError::new(
                System::DynamoDb,
                operation,
                ReadErrorKind::Service {
                    code: "ConditionalCheckFailedException".into(),
                    message: "the condition failed but the answer holds no item (ReturnValuesOnConditionCheckFailure ALL_OLD)".into(),
                },
            )
            .resource(&self.table));
        }
        from_item(&item)
            .map(|e| Claim::Held(Box::new(e)))
            .map_err(|m| unreadable(operation, &self.table, m))
    }
}

/// A write's configuration: no retry (see the module's comment).
fn once() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::default()
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn unreadable(operation: &'static str, table: &str, message: String) -> ReadError {
    ReadError::new(
        System::DynamoDb,
        operation,
        ReadErrorKind::Service {
            code: "UnreadableItem".into(),
            message: format!("an item of the ledger is not a notice mailform wrote: {message}"),
        },
    )
    .resource(table)
}

/// The item of an entry.
fn to_item(e: &LedgerEntry) -> HashMap<String, AttributeValue> {
    let mut item = DynamoLedger::key(&e.key);
    item.insert("state".into(), s(e.state.as_str()));
    item.insert("run".into(), s(&e.run));
    item.insert("claimed_at".into(), n(e.claimed_at));
    if let Some(at) = e.sent_at {
        item.insert("sent_at".into(), n(at));
    }
    item.insert("to".into(), s(&e.to));
    item.insert("subject".into(), s(&e.subject));
    item.insert("message_id".into(), s(&e.message_id));
    if let Some(detail) = &e.detail {
        item.insert("detail".into(), s(detail));
    }
    if let Some(words) = &e.words {
        item.insert("text".into(), s(&words.text));
        item.insert("html".into(), s(&words.html));
    }
    item
}

/// An entry from its item; says what is wrong with one that is not a ledger entry.
fn from_item(item: &HashMap<String, AttributeValue>) -> Result<LedgerEntry, String> {
    let text = |name: &str| -> Result<String, String> {
        match item.get(name) {
            Some(AttributeValue::S(v)) => Ok(v.clone()),
            Some(_) => Err(format!("`{name}` is not a string")),
            None => Err(format!("`{name}` is missing")),
        }
    };
    let opt_text = |name: &str| -> Result<Option<String>, String> {
        match item.get(name) {
            None => Ok(None),
            Some(_) => text(name).map(Some),
        }
    };
    let number = |name: &str| -> Result<Option<i64>, String> {
        match item.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("`{name}` is not a whole number: {v}")),
            Some(_) => Err(format!("`{name}` is not a number")),
        }
    };
    let library = text(LIBRARY)?;
    let notice = text(NOTICE)?;
    let id = LibraryId::parse(&library).map_err(|_| format!("`{library}` is not a library id"))?;
    let key = NoticeKey::from_item(id, &notice)
        .ok_or_else(|| format!("`{library}`/`{notice}` is not a notice key (kind#fingerprint)"))?;
    let state = text("state")?;
    let state =
        EntryState::parse(&state).ok_or_else(|| format!("{key}: unknown state `{state}`"))?;
    Ok(LedgerEntry {
        state,
        run: text("run")?,
        claimed_at: number("claimed_at")?
            .ok_or_else(|| format!("{key}: `claimed_at` is missing"))?,
        sent_at: number("sent_at")?,
        to: text("to")?,
        subject: text("subject")?,
        message_id: text("message_id")?,
        detail: opt_text("detail")?,
        words: match (opt_text("text")?, opt_text("html")?) {
            (Some(text), Some(html)) => Some(StoredWords { text, html }),
            _ => None,
        },
        key,
    })
}

impl NoticeLedger for DynamoLedger {
    async fn entries(&self, library: Option<&LibraryId>) -> Result<Vec<LedgerEntry>, ReadError> {
        let mut items = Vec::new();
        match library {
            Some(library) => {
                const OP: &str = "Query";
                let mut pages = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("#library = :library")
                    .expression_attribute_names("#library", LIBRARY)
                    .expression_attribute_values(":library", s(library.as_str()))
                    .consistent_read(true)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| self.error(OP, self.attempts, e))?;
                    items.extend(page.items().iter().map(|i| (OP, i.clone())));
                }
            }
            None => {
                const OP: &str = "Scan";
                let mut pages = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| self.error(OP, self.attempts, e))?;
                    items.extend(page.items().iter().map(|i| (OP, i.clone())));
                }
            }
        }
        items
            .into_iter()
            .map(|(op, item)| from_item(&item).map_err(|m| unreadable(op, &self.table, m)))
            .collect()
    }

    async fn claim(&self, entry: &LedgerEntry) -> Result<Claim, ReadError> {
        match self
            .put(
                entry,
                "attribute_not_exists(#library)",
                &[("#library", LIBRARY)],
                &[],
            )
            .await?
        {
            None => Ok(Claim::Won),
            Some(item) => self.held("PutItem", item),
        }
    }

    async fn take_over(
        &self,
        entry: &LedgerEntry,
        stale: &LedgerEntry,
    ) -> Result<Claim, ReadError> {
        let held = self
            .put(
                entry,
                "#state = :was AND #run = :stale",
                &[("#state", "state"), ("#run", "run")],
                &[(":was", stale.state.as_str()), (":stale", &stale.run)],
            )
            .await?;
        match held {
            None => Ok(Claim::Won),
            // The stale claim was released meanwhile (the item is gone): the notice is
            // claimed as a new one, with the same put-if-absent as any claim.
            Some(item) if item.is_empty() => self.claim(entry).await,
            Some(item) => self.held("PutItem", item),
        }
    }

    async fn settle(
        &self,
        key: &NoticeKey,
        run: &str,
        outcome: &Settle,
    ) -> Result<bool, ReadError> {
        match outcome {
            Settle::Released => self.release(key, run).await,
            Settle::Sent { at } => {
                self.update(key, run, EntryState::Sent, "sent_at", n(*at))
                    .await
            }
            Settle::Failed { detail } => {
                self.update(key, run, EntryState::Failed, "detail", s(detail))
                    .await
            }
        }
    }
}

/// The condition of a settle: the item is still claimed by this run.
const CLAIMED_BY_RUN: &str = "#state = :claimed AND #run = :run";

impl DynamoLedger {
    /// `DeleteItem` conditional on [`CLAIMED_BY_RUN`], sent once; whether it held.
    async fn release(&self, key: &NoticeKey, run: &str) -> Result<bool, ReadError> {
        const OP: &str = "DeleteItem";
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .condition_expression(CLAIMED_BY_RUN)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#run", "run")
            .expression_attribute_values(":claimed", s(EntryState::Claimed.as_str()))
            .expression_attribute_values(":run", s(run))
            .customize()
            .config_override(once())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(self.error(OP, 1, err).resource(key.to_string())),
        }
    }

    /// `UpdateItem` setting the state and one attribute, conditional on [`CLAIMED_BY_RUN`],
    /// sent once; whether it held.
    async fn update(
        &self,
        key: &NoticeKey,
        run: &str,
        state: EntryState,
        attribute: &str,
        value: AttributeValue,
    ) -> Result<bool, ReadError> {
        const OP: &str = "UpdateItem";
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .update_expression("SET #state = :state, #attribute = :value")
            .condition_expression(CLAIMED_BY_RUN)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#run", "run")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_values(":state", s(state.as_str()))
            .expression_attribute_values(":value", value)
            .expression_attribute_values(":claimed", s(EntryState::Claimed.as_str()))
            .expression_attribute_values(":run", s(run))
            .customize()
            .config_override(once())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(self.error(OP, 1, err).resource(key.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::NoticeKind;

    fn entry() -> LedgerEntry {
        LedgerEntry {
            key: NoticeKey::new(
                LibraryId::parse("springfield").unwrap(),
                NoticeKind::Records,
                &["a"],
            ),
            state: EntryState::Sent,
            run: "run-1".into(),
            claimed_at: 1_767_225_600,
            sent_at: Some(1_767_225_601),
            to: "it@springfield.example".into(),
            subject: "Records to install".into(),
            message_id: "<x@mailform>".into(),
            detail: None,
            words: Some(StoredWords {
                text: "Hello,\n\nthe records.\n".into(),
                html: "<p>the records</p>".into(),
            }),
        }
    }

    #[test]
    fn an_entry_round_trips_through_its_item() {
        let e = entry();
        assert_eq!(from_item(&to_item(&e)), Ok(e.clone()));
        let failed = LedgerEntry {
            state: EntryState::Failed,
            sent_at: None,
            detail: Some("550 5.1.1 no such user".into()),
            ..e
        };
        assert_eq!(from_item(&to_item(&failed)), Ok(failed));
    }

    #[test]
    fn a_foreign_item_says_what_is_wrong() {
        let mut item = to_item(&entry());
        item.insert("state".into(), s("lost"));
        assert!(
            from_item(&item)
                .unwrap_err()
                .contains("unknown state `lost`")
        );
        item.remove("notice");
        assert_eq!(from_item(&item).unwrap_err(), "`notice` is missing");
    }
}
