//! One SES event as mailform keeps it: read from a queue message (SES's event JSON, inside
//! SNS's envelope or delivered raw), split into one [`EventRecord`] per recipient.
//!
//! A record's identity is (SES message id, event type, recipient): the key that makes the
//! store's counts exactly-once however often SQS delivers the same event.
//!
//! Attribution: a record belongs to the domain the message was sent from (SES's automatic
//! `ses:from-domain` tag, else the domain of `mail.source`). Every library sends through its
//! own verified SES identity, so the From domain names the library whatever its software puts
//! in tags, and it is in every event SES has ever published; a library's tenant is a newer,
//! optional thing, and a message sent outside it would be lost to the count.

use serde_json::Value;

/// The event types mailform counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Send,
    Delivery,
    Bounce,
    Complaint,
    Reject,
    DeliveryDelay,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Send => "send",
            EventKind::Delivery => "delivery",
            EventKind::Bounce => "bounce",
            EventKind::Complaint => "complaint",
            EventKind::Reject => "reject",
            EventKind::DeliveryDelay => "delivery-delay",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            EventKind::Send,
            EventKind::Delivery,
            EventKind::Bounce,
            EventKind::Complaint,
            EventKind::Reject,
            EventKind::DeliveryDelay,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One event for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub message_id: String,
    pub kind: EventKind,
    pub recipient: String,
    /// The From domain, lower case: whose sending this counts against.
    pub domain: String,
    /// The day the message was sent (`YYYY-MM-DD`, UTC): the day it counts on.
    pub day: String,
    /// `Permanent`, `Transient` or `Undetermined` (bounces).
    pub bounce_type: Option<String>,
    /// The remote server's answer (bounces and delays), e.g. `smtp; 550 5.1.1 user unknown`.
    pub diagnostic: Option<String>,
}

impl EventRecord {
    /// A hard bounce: one AWS counts in the account's bounce rate.
    pub fn is_hard_bounce(&self) -> bool {
        self.kind == EventKind::Bounce && self.bounce_type.as_deref() == Some("Permanent")
    }
}

/// What one queue message holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// An SES event, one record per recipient (none for an event type mailform does not count,
    /// such as opens and clicks).
    Events(Vec<EventRecord>),
    /// Not an SES event: why.
    Malformed(String),
}

/// Reads one queue message's body.
pub fn parse(body: &str) -> Parsed {
    match parse_inner(body) {
        Ok(records) => Parsed::Events(records),
        Err(why) => Parsed::Malformed(why),
    }
}

fn parse_inner(body: &str) -> Result<Vec<EventRecord>, String> {
    let outer: Value =
        serde_json::from_str(body).map_err(|e| format!("the message is not JSON: {e}"))?;
    // SNS's envelope carries the event as a string in `Message`; raw delivery carries it bare.
    let event: Value = match (&outer["Type"], &outer["Message"]) {
        (Value::String(t), Value::String(inner)) if t == "Notification" => {
            serde_json::from_str(inner)
                .map_err(|e| format!("the SNS notification's Message is not JSON: {e}"))?
        }
        _ => outer,
    };
    let kind_text = event["eventType"]
        .as_str()
        .or_else(|| event["notificationType"].as_str())
        .ok_or("no eventType: not an SES event")?;
    let mail = &event["mail"];
    let message_id = mail["messageId"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or("no mail.messageId")?
        .to_string();
    let timestamp = mail["timestamp"].as_str().ok_or("no mail.timestamp")?;
    let day =
        day_of(timestamp).ok_or_else(|| format!("mail.timestamp {timestamp:?} is not a time"))?;
    let domain = mail["tags"]["ses:from-domain"][0]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            let source = mail["source"].as_str()?;
            let address = source
                .rsplit_once('<')
                .map_or(source, |(_, a)| a.trim_end_matches('>'));
            Some(address.rsplit_once('@')?.1.to_string())
        })
        .ok_or("no mail.source to attribute the event to")?
        .trim()
        .to_ascii_lowercase();
    let destination = || -> Result<Vec<String>, String> {
        let list: Vec<String> = mail["destination"]
            .as_array()
            .ok_or("no mail.destination")?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Ok(list)
    };
    let people = |detail: &Value, list: &str| -> Result<Vec<(String, Option<String>)>, String> {
        detail[list]
            .as_array()
            .ok_or_else(|| format!("no {list} in the event"))?
            .iter()
            .map(|r| {
                let address = match r {
                    Value::String(s) => s.clone(),
                    _ => r["emailAddress"]
                        .as_str()
                        .ok_or_else(|| format!("a recipient in {list} has no emailAddress"))?
                        .to_string(),
                };
                Ok((address, r["diagnosticCode"].as_str().map(str::to_string)))
            })
            .collect()
    };
    let (kind, recipients, bounce_type) = match kind_text {
        "Send" => (EventKind::Send, plain(destination()?), None),
        "Reject" => (EventKind::Reject, plain(destination()?), None),
        "Delivery" => (
            EventKind::Delivery,
            people(&event["delivery"], "recipients")?,
            None,
        ),
        "Bounce" => {
            let b = &event["bounce"];
            (
                EventKind::Bounce,
                people(b, "bouncedRecipients")?,
                Some(
                    b["bounceType"]
                        .as_str()
                        .ok_or("no bounce.bounceType")?
                        .to_string(),
                ),
            )
        }
        "Complaint" => (
            EventKind::Complaint,
            people(&event["complaint"], "complainedRecipients")?,
            None,
        ),
        "DeliveryDelay" => (
            EventKind::DeliveryDelay,
            people(&event["deliveryDelay"], "delayedRecipients")?,
            None,
        ),
        // Opens, clicks, rendering failures, subscriptions: SES events mailform does not count.
        "Open" | "Click" | "Rendering Failure" | "Subscription" => return Ok(Vec::new()),
        other => return Err(format!("unknown eventType {other:?}")),
    };
    if recipients.is_empty() {
        return Err(format!("a {kind_text} event without recipients"));
    }
    Ok(recipients
        .into_iter()
        .map(|(recipient, diagnostic)| EventRecord {
            message_id: message_id.clone(),
            kind,
            recipient: recipient.to_ascii_lowercase(),
            domain: domain.clone(),
            day: day.clone(),
            bounce_type: bounce_type.clone(),
            diagnostic,
        })
        .collect())
}

fn plain(list: Vec<String>) -> Vec<(String, Option<String>)> {
    list.into_iter().map(|r| (r, None)).collect()
}

/// `2026-01-01T10:00:00.000Z` → `2026-01-01`, checked to be a date.
fn day_of(timestamp: &str) -> Option<String> {
    let day = timestamp.get(..10)?;
    crate::model::Date::parse(day).ok()?;
    Some(day.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounce() -> String {
        serde_json::json!({
            "eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "Bounce@simulator.amazonses.com",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
            "mail": {"messageId": "m1", "timestamp": "2026-01-01T10:00:00.000Z",
                "source": "Library <news@lib.example>", "destination": ["bounce@simulator.amazonses.com"],
                "tags": {}}
        })
        .to_string()
    }

    #[test]
    fn raw_and_enveloped_events_read_alike() {
        let raw = parse(&bounce());
        let wrapped = serde_json::json!({"Type": "Notification", "Message": bounce()}).to_string();
        assert_eq!(raw, parse(&wrapped));
        let Parsed::Events(records) = raw else {
            panic!("a bounce is an event")
        };
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].domain, "lib.example");
        assert_eq!(records[0].recipient, "bounce@simulator.amazonses.com");
        assert_eq!(records[0].day, "2026-01-01");
        assert!(records[0].is_hard_bounce());
    }

    #[test]
    fn malformed_messages_say_why() {
        for (body, why) in [
            ("not json", "not JSON"),
            ("{\"a\": 1}", "no eventType"),
            ("{\"eventType\": \"Bounce\", \"mail\": {}}", "messageId"),
        ] {
            match parse(body) {
                Parsed::Malformed(m) => assert!(m.contains(why), "{m}"),
                other => panic!("{body} read as {other:?}"),
            }
        }
    }
}
