//! SNS (the Query protocol: `POST /` with a form body `Action=<Op>&Version=2010-03-31`,
//! answered in XML): topics that SES publishes events to, each delivering to the SQS queues
//! subscribed to it.
//!
//! Served: `CreateTopic`, `Subscribe` (protocol `sqs`, attribute `RawMessageDelivery`),
//! `Publish`. A delivery wraps the message in SNS's JSON envelope (`Type: Notification`,
//! `MessageId`, `TopicArn`, `Message`, `Timestamp`) unless the subscription asked for raw
//! delivery, as SNS does. Topics live beside the queues (see `sqs`), in memory.

use std::collections::BTreeMap;

use serde_json::json;

use super::World;
use super::http::{ApiError, Reply, Req, iso_time, xml_escape};

const VERSION: &str = "2010-03-31";
const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";
const OPERATIONS: [&str; 3] = ["CreateTopic", "Subscribe", "Publish"];

/// Every topic, by name.
#[derive(Debug, Default)]
pub(crate) struct Topics {
    by_name: BTreeMap<String, Topic>,
    next_id: u64,
}

#[derive(Debug, Default)]
struct Topic {
    subscriptions: Vec<Subscription>,
}

#[derive(Debug)]
struct Subscription {
    queue_arn: String,
    raw: bool,
}

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    if req.method != "POST" || !req.segments.is_empty() {
        return None;
    }
    let fields = super::sts::form(req);
    let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    if field("Version").map(String::as_str) != Some(VERSION) {
        return None;
    }
    let action = field("Action")?;
    OPERATIONS.iter().find(|op| **op == action).copied()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameter", message)
}

fn respond(operation: &str, result: String) -> Reply {
    Reply::xml(
        200,
        format!(
            "<{operation}Response xmlns=\"{XMLNS}\"><{operation}Result>{result}</{operation}Result>\
             <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{operation}Response>",
            super::http::REQUEST_ID
        ),
    )
}

/// Publishes `message` to the topic with this ARN: each subscribed queue gets it. Answers the
/// SNS message id, or `None` for an unknown topic.
pub(crate) fn publish(world: &mut World, topic_arn: &str, message: &str) -> Option<String> {
    let name = topic_arn.rsplit(':').next()?;
    let now = world.state.now;
    let topics = &mut world.topics;
    topics.next_id += 1;
    let id = format!("5e5e5e5e-0000-4000-8000-{:012x}", topics.next_id);
    let topic = topics.by_name.get(name)?;
    for sub in &topic.subscriptions {
        let body = if sub.raw {
            message.to_string()
        } else {
            json!({
                "Type": "Notification",
                "MessageId": id,
                "TopicArn": topic_arn,
                "Message": message,
                "Timestamp": iso_time(now),
                "SignatureVersion": "1",
            })
            .to_string()
        };
        world.queues.deliver(&sub.queue_arn, body);
    }
    Some(id)
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let fields = super::sts::form(req);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let region = world.config.region.clone();
    let account = world.config.account_id.clone();
    let arn = |name: &str| format!("arn:aws:sns:{region}:{account}:{name}");
    match operation {
        "CreateTopic" => {
            let name = field("Name").ok_or_else(|| invalid("Name is required"))?;
            world.topics.by_name.entry(name.to_string()).or_default();
            Ok(respond(
                operation,
                format!("<TopicArn>{}</TopicArn>", xml_escape(&arn(name))),
            ))
        }
        "Subscribe" => {
            let topic_arn = field("TopicArn").ok_or_else(|| invalid("TopicArn is required"))?;
            if field("Protocol") != Some("sqs") {
                return Err(invalid(
                    "the sandbox delivers to SQS queues only (Protocol sqs)",
                ));
            }
            let queue_arn = field("Endpoint").ok_or_else(|| invalid("Endpoint is required"))?;
            // Attributes.entry.N.key / Attributes.entry.N.value
            let raw = fields.iter().any(|(k, v)| {
                k.starts_with("Attributes.entry.")
                    && k.ends_with(".key")
                    && v == "RawMessageDelivery"
                    && field(&k.replace(".key", ".value")) == Some("true")
            });
            let name = topic_arn.rsplit(':').next().unwrap_or_default();
            let topic = world
                .topics
                .by_name
                .get_mut(name)
                .ok_or_else(|| ApiError::new(404, "NotFound", "Topic does not exist"))?;
            topic.subscriptions.push(Subscription {
                queue_arn: queue_arn.to_string(),
                raw,
            });
            let sub = format!("{topic_arn}:{:08x}", topic.subscriptions.len());
            Ok(respond(
                operation,
                format!("<SubscriptionArn>{}</SubscriptionArn>", xml_escape(&sub)),
            ))
        }
        "Publish" => {
            let topic_arn = field("TopicArn").ok_or_else(|| invalid("TopicArn is required"))?;
            let message = field("Message").ok_or_else(|| invalid("Message is required"))?;
            let id = publish(world, topic_arn, message)
                .ok_or_else(|| ApiError::new(404, "NotFound", "Topic does not exist"))?;
            Ok(respond(operation, format!("<MessageId>{id}</MessageId>")))
        }
        other => Err(invalid(format!("the sandbox does not serve SNS {other}"))),
    }
}
