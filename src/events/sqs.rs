//! The SQS adapter of [`EventQueue`]: the queue SES events arrive on (through SNS), and its
//! dead-letter queue. SQS only: the IAM test maps one SDK client per file, and the drain role's
//! policy grants exactly these calls.

use std::sync::Arc;

use aws_config::SdkConfig;

use super::store::{EventQueue, QueueMessage};
use crate::live::aws::{AwsOptions, classify, limited_http_client};
use crate::live::error::{ReadError, System};
use crate::live::meter::Meter;
use crate::model::EventSettings;

/// The queue of SES events and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct SqsEventQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    dead_letter_url: String,
    attempts: u32,
}

impl SqsEventQueue {
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions, settings: &EventSettings) -> Self {
        let mut config = aws_sdk_sqs::config::Builder::from(sdk).http_client(limited_http_client(
            "sqs",
            0.0,
            Arc::new(Meter::default()),
        ));
        if let Some(url) = &opts.endpoints.sqs {
            config = config.endpoint_url(url);
        }
        SqsEventQueue {
            client: aws_sdk_sqs::Client::from_conf(config.build()),
            queue_url: settings.queue_url.clone(),
            dead_letter_url: settings.dead_letter_queue_url.clone(),
            attempts: opts.retries.max_attempts,
        }
    }
}

impl EventQueue for SqsEventQueue {
    async fn receive(&self, max: i32) -> Result<Vec<QueueMessage>, ReadError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .send()
            .await
            .map_err(|e| {
                classify(System::Sqs, "ReceiveMessage", self.attempts, e).resource(&self.queue_url)
            })?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                Some(QueueMessage {
                    receipt: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                })
            })
            .collect())
    }

    async fn delete(&self, receipts: &[String]) -> Result<Option<String>, ReadError> {
        let entries = receipts
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(r)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        let out = self
            .client
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                classify(System::Sqs, "DeleteMessageBatch", self.attempts, e)
                    .resource(&self.queue_url)
            })?;
        // A failed delete leaves the message to come back; its records are written, so the
        // next drain writes them again onto the same keys. Nothing to do but say so.
        Ok(out.failed.first().map(|failed| {
            format!(
                "{}: {}",
                failed.code,
                failed.message.as_deref().unwrap_or("")
            )
        }))
    }

    async fn dead_letter(&self, body: &str) -> Result<(), ReadError> {
        self.client
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| {
                classify(System::Sqs, "SendMessage", self.attempts, e)
                    .resource(&self.dead_letter_url)
            })?;
        Ok(())
    }
}
