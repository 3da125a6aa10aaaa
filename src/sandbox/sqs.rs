//! SQS (JSON 1.0, `X-Amz-Target: AmazonSQS.<Op>`): the queue SES events reach through SNS,
//! and its dead-letter queue.
//!
//! Served: `CreateQueue`, `GetQueueUrl`, `GetQueueAttributes`, `SendMessage`,
//! `SendMessageBatch`, `ReceiveMessage`, `DeleteMessage`, `DeleteMessageBatch`. A received
//! message stays invisible for the queue's `VisibilityTimeout` (or the receive's own), in real
//! time as on AWS, and comes back when it was not deleted; a queue with a `RedrivePolicy`
//! moves a message that was received `maxReceiveCount` times to its dead-letter queue on the
//! next receive, as SQS does.
//!
//! Why the queues live beside the state rather than in it: `state.json` is written whole after
//! every change, and a queue of a million messages would make each receive and delete write
//! hundreds of megabytes. Queues are kept in memory only; a sandbox that restarts starts with
//! empty queues (a test or the demo creates them again), and the README says so.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::World;
use super::http::{ApiError, Reply, Req};

const TARGET_PREFIX: &str = "AmazonSQS.";
const OPERATIONS: [&str; 8] = [
    "CreateQueue",
    "GetQueueUrl",
    "GetQueueAttributes",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
];
/// SQS's default visibility timeout.
const DEFAULT_VISIBILITY: u64 = 30;

/// Every queue of the sandbox account, by name.
#[derive(Debug, Default)]
pub(crate) struct Queues {
    by_name: BTreeMap<String, Queue>,
    next_id: u64,
}

#[derive(Debug)]
struct Queue {
    visibility: Duration,
    /// (dead-letter queue name, maxReceiveCount).
    redrive: Option<(String, u32)>,
    /// Visible messages, oldest first.
    ready: VecDeque<Message>,
    /// Received and not yet deleted, by message id, with when each becomes visible again.
    in_flight: HashMap<String, (Instant, Message)>,
    /// Ids in `ready`, and those of them deleted late (after their visibility ran out), which
    /// a receive skips: a late delete costs a set insert, not a scan of a million messages.
    ready_ids: HashSet<String>,
    deleted: HashSet<String>,
}

#[derive(Debug, Clone)]
struct Message {
    id: String,
    body: String,
    receive_count: u32,
    /// The receipt handle of the latest receive.
    receipt: String,
}

impl Queues {
    /// Puts a message on the queue with this ARN (SNS delivering to a subscription); answers
    /// whether the queue exists.
    pub fn deliver(&mut self, queue_arn: &str, body: String) -> bool {
        let Some(name) = queue_arn.rsplit(':').next() else {
            return false;
        };
        self.push(name, body).is_some()
    }

    fn push(&mut self, name: &str, body: String) -> Option<String> {
        self.next_id += 1;
        let id = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            self.next_id >> 48,
            self.next_id
        );
        let queue = self.by_name.get_mut(name)?;
        queue.ready_ids.insert(id.clone());
        queue.ready.push_back(Message {
            id: id.clone(),
            body,
            receive_count: 0,
            receipt: String::new(),
        });
        Some(id)
    }

    /// Duplicates the first `count` visible messages of a queue (SQS's at-least-once delivery,
    /// or SNS delivering twice); answers how many were duplicated.
    pub fn duplicate(&mut self, name: &str, count: usize) -> Option<usize> {
        let queue = self.by_name.get(name)?;
        let bodies: Vec<String> = queue
            .ready
            .iter()
            .filter(|m| !queue.deleted.contains(&m.id))
            .take(count)
            .map(|m| m.body.clone())
            .collect();
        let n = bodies.len();
        for body in bodies {
            self.push(name, body);
        }
        Some(n)
    }

    /// Reverses the order of a queue's visible messages (SQS standard queues promise none).
    pub fn reverse(&mut self, name: &str) -> Option<usize> {
        let queue = self.by_name.get_mut(name)?;
        queue.ready.make_contiguous().reverse();
        Some(queue.ready.len())
    }

    /// Puts a message with this body on a queue, as any sender could (a poison message).
    pub fn send(&mut self, name: &str, body: String) -> Option<String> {
        self.push(name, body)
    }

    /// (visible, in flight) messages of a queue.
    pub fn depth(&self, name: &str) -> Option<(usize, usize)> {
        self.by_name
            .get(name)
            .map(|q| (q.ready.len() - q.deleted.len(), q.in_flight.len()))
    }
}

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    if req.method != "POST" || !req.segments.is_empty() {
        return None;
    }
    let name = req.header("x-amz-target")?.strip_prefix(TARGET_PREFIX)?;
    OPERATIONS.iter().find(|op| **op == name).copied()
}

fn error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(400, code, message)
}

fn no_queue() -> ApiError {
    error(
        "com.amazonaws.sqs#QueueDoesNotExist",
        "The specified queue does not exist.",
    )
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    body.get(key).and_then(Value::as_str).ok_or_else(|| {
        error(
            "com.amazonaws.sqs#MissingParameter",
            format!("The request must contain the parameter {key}."),
        )
    })
}

/// The queue name of a `QueueUrl` (`http(s)://host/<account>/<name>`).
fn name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let body = req
        .json()
        .map_err(|_| error("com.amazonaws.sqs#InvalidParameterValue", "not JSON"))?;
    let account = world.config.account_id.clone();
    let region = world.config.region.clone();
    let host = req.header("host").unwrap_or("localhost").to_string();
    let url = |name: &str| format!("http://{host}/{account}/{name}");
    let queues = &mut world.queues;
    let now = Instant::now();
    let reply = match operation {
        "CreateQueue" => {
            let name = text(&body, "QueueName")?.to_string();
            let attributes = body.get("Attributes").and_then(Value::as_object);
            let attr = |k: &str| attributes.and_then(|a| a.get(k)).and_then(Value::as_str);
            let visibility = match attr("VisibilityTimeout") {
                Some(v) => v.parse::<u64>().map_err(|_| {
                    error(
                        "com.amazonaws.sqs#InvalidAttributeValue",
                        format!("Invalid value for the parameter VisibilityTimeout: {v}"),
                    )
                })?,
                None => DEFAULT_VISIBILITY,
            };
            let redrive = match attr("RedrivePolicy") {
                Some(text) => Some(redrive_policy(text)?),
                None => None,
            };
            queues.by_name.entry(name.clone()).or_insert_with(|| Queue {
                visibility: Duration::from_secs(visibility),
                redrive,
                ready: VecDeque::new(),
                in_flight: HashMap::new(),
                ready_ids: HashSet::new(),
                deleted: HashSet::new(),
            });
            json!({ "QueueUrl": url(&name) })
        }
        "GetQueueUrl" => {
            let name = text(&body, "QueueName")?;
            if !queues.by_name.contains_key(name) {
                return Err(no_queue());
            }
            json!({ "QueueUrl": url(name) })
        }
        "GetQueueAttributes" => {
            let name = name_of(text(&body, "QueueUrl")?);
            let queue = queues.by_name.get(name).ok_or_else(no_queue)?;
            json!({ "Attributes": {
                "QueueArn": format!("arn:aws:sqs:{region}:{account}:{name}"),
                "ApproximateNumberOfMessages": (queue.ready.len() - queue.deleted.len()).to_string(),
                "ApproximateNumberOfMessagesNotVisible": queue.in_flight.len().to_string(),
                "VisibilityTimeout": queue.visibility.as_secs().to_string(),
            }})
        }
        "SendMessage" => {
            let name = name_of(text(&body, "QueueUrl")?).to_string();
            let message = text(&body, "MessageBody")?.to_string();
            let id = queues.push(&name, message).ok_or_else(no_queue)?;
            json!({ "MessageId": id })
        }
        "SendMessageBatch" => {
            let name = name_of(text(&body, "QueueUrl")?).to_string();
            if !queues.by_name.contains_key(&name) {
                return Err(no_queue());
            }
            let entries = entries(&body)?;
            let mut ok = Vec::new();
            for entry in entries {
                let id = entry.get("Id").and_then(Value::as_str).unwrap_or_default();
                let message = entry
                    .get("MessageBody")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let message_id = queues.push(&name, message.to_string()).unwrap_or_default();
                ok.push(json!({ "Id": id, "MessageId": message_id }));
            }
            json!({ "Successful": ok, "Failed": [] })
        }
        "ReceiveMessage" => {
            let name = name_of(text(&body, "QueueUrl")?).to_string();
            let max = body
                .get("MaxNumberOfMessages")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if !(1..=10).contains(&max) {
                return Err(error(
                    "com.amazonaws.sqs#InvalidParameterValue",
                    format!(
                        "Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
                    ),
                ));
            }
            let visibility = body.get("VisibilityTimeout").and_then(Value::as_u64);
            let messages = receive(queues, &name, max as usize, visibility, now)?;
            json!({ "Messages": messages })
        }
        "DeleteMessage" => {
            let name = name_of(text(&body, "QueueUrl")?).to_string();
            let receipt = text(&body, "ReceiptHandle")?;
            let queue = queues.by_name.get_mut(&name).ok_or_else(no_queue)?;
            delete(queue, receipt);
            json!({})
        }
        "DeleteMessageBatch" => {
            let name = name_of(text(&body, "QueueUrl")?).to_string();
            let entries = entries(&body)?;
            let queue = queues.by_name.get_mut(&name).ok_or_else(no_queue)?;
            let mut ok = Vec::new();
            for entry in entries {
                let receipt = entry
                    .get("ReceiptHandle")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                delete(queue, receipt);
                ok.push(json!({ "Id": entry.get("Id").cloned().unwrap_or(Value::Null) }));
            }
            json!({ "Successful": ok, "Failed": [] })
        }
        other => {
            return Err(error(
                "com.amazonaws.sqs#UnsupportedOperation",
                format!("the sandbox does not serve SQS {other}"),
            ));
        }
    };
    Ok(Reply {
        content_type: "application/x-amz-json-1.0",
        ..Reply::json(reply)
    })
}

/// A batch's `Entries`: 1 to 10, as SQS allows.
fn entries(body: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, ApiError> {
    let entries: Vec<Map<String, Value>> = body
        .get("Entries")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e.as_object().cloned()).collect())
        .unwrap_or_default();
    match entries.len() {
        0 => Err(error(
            "com.amazonaws.sqs#EmptyBatchRequest",
            "There should be at least one SendMessageBatchRequestEntry in the request.",
        )),
        1..=10 => Ok(entries),
        n => Err(error(
            "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are 10. You have sent {n}."),
        )),
    }
}

/// `{"deadLetterTargetArn": "...", "maxReceiveCount": n}` (the count as a number or a string).
fn redrive_policy(text: &str) -> Result<(String, u32), ApiError> {
    let invalid = || {
        error(
            "com.amazonaws.sqs#InvalidAttributeValue",
            format!("Invalid value for the parameter RedrivePolicy: {text}"),
        )
    };
    let v: Value = serde_json::from_str(text).map_err(|_| invalid())?;
    let arn = v["deadLetterTargetArn"].as_str().ok_or_else(invalid)?;
    let count = match &v["maxReceiveCount"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|n| (1..=1000).contains(n))
    .ok_or_else(invalid)?;
    let name = arn.rsplit(':').next().ok_or_else(invalid)?;
    Ok((name.to_string(), count as u32))
}

fn receive(
    queues: &mut Queues,
    name: &str,
    max: usize,
    visibility: Option<u64>,
    now: Instant,
) -> Result<Vec<Value>, ApiError> {
    let queue = queues.by_name.get_mut(name).ok_or_else(no_queue)?;
    // Messages whose visibility ran out are visible again.
    let expired: Vec<String> = queue
        .in_flight
        .iter()
        .filter(|(_, (until, _))| *until <= now)
        .map(|(id, _)| id.clone())
        .collect();
    for id in expired {
        if let Some((_, message)) = queue.in_flight.remove(&id) {
            queue.ready_ids.insert(message.id.clone());
            queue.ready.push_back(message);
        }
    }
    let visibility = visibility.map_or(queue.visibility, Duration::from_secs);
    let redrive = queue.redrive.clone();
    let mut out = Vec::new();
    let mut dead = Vec::new();
    while out.len() < max {
        let Some(mut message) = queue.ready.pop_front() else {
            break;
        };
        queue.ready_ids.remove(&message.id);
        if queue.deleted.remove(&message.id) {
            continue;
        }
        if let Some((_, max_receives)) = &redrive
            && message.receive_count >= *max_receives
        {
            dead.push(message.body);
            continue;
        }
        message.receive_count += 1;
        message.receipt = format!("{}#{}", message.id, message.receive_count);
        out.push(json!({
            "MessageId": message.id,
            "ReceiptHandle": message.receipt,
            "Body": message.body,
            "MD5OfBody": format!("{:x}", <md5::Md5 as md5::Digest>::digest(message.body.as_bytes())),
            "Attributes": { "ApproximateReceiveCount": message.receive_count.to_string() },
        }));
        queue
            .in_flight
            .insert(message.id.clone(), (now + visibility, message));
    }
    if let Some((dlq, _)) = redrive {
        for body in dead {
            queues.push(&dlq, body);
        }
    }
    Ok(out)
}

/// Deletes the message a receipt handle names, whether it is in flight or visible again (a
/// late delete of a message whose visibility ran out still deletes it, as on SQS).
fn delete(queue: &mut Queue, receipt: &str) {
    let id = receipt.split('#').next().unwrap_or_default();
    if queue.in_flight.remove(id).is_none() && queue.ready_ids.contains(id) {
        queue.deleted.insert(id.to_string());
    }
}
