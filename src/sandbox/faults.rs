//! Fault injection and per-service rate limits.
//!
//! A [`FaultRule`] matches a service and, optionally, one operation; it fires
//! for a number of requests (or for ever), before the request is handled or,
//! for the `*_after_commit`-like kinds, after it was handled and before the answer.
//! Rate limits are token buckets in real time: they are about how fast a
//! client calls, not about simulated time.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The AWS services the sandbox serves over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Ses,
    Route53,
    Route53Domains,
    Sts,
    /// The notice ledger's table.
    DynamoDb,
    /// The queue SES events reach (`src/events`).
    Sqs,
    /// The topic SES publishes events to.
    Sns,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Ses => "ses",
            Service::Route53 => "route53",
            Service::Route53Domains => "route53domains",
            Service::Sts => "sts",
            Service::DynamoDb => "dynamodb",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ses" | "sesv2" => Some(Service::Ses),
            "route53" => Some(Service::Route53),
            "route53domains" | "domains" => Some(Service::Route53Domains),
            "sts" => Some(Service::Sts),
            "dynamodb" => Some(Service::DynamoDb),
            "sqs" => Some(Service::Sqs),
            "sns" => Some(Service::Sns),
            _ => None,
        }
    }
}

/// What an injected fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// The service's throttling error: SES 429 `TooManyRequestsException`,
    /// Route 53 400 `Throttling`, Route 53 Domains 400 `ThrottlingException`.
    Throttle,
    /// HTTP 500 with the service's internal-error shape.
    ServerError,
    /// Waits this long (real time) before handling the request normally.
    Latency { millis: u64 },
    /// Closes the connection without an answer.
    DropConnection,
    /// The caller lacks the IAM permission: SES and Route 53 Domains 403/400
    /// `AccessDeniedException`, Route 53 and STS 403 `AccessDenied`.
    AccessDenied,
    /// Handles the request in full (its change is made), then waits this long (real time)
    /// before answering: a client with a shorter timeout never learns the outcome.
    RespondLate { millis: u64 },
    /// Handles the request in full (its change is made), then closes the connection without
    /// an answer.
    DropAfterCommit,
    /// DynamoDB `TransactWriteItems` cancelled as when another transaction holds its items at
    /// that moment (two drains adding to one rollup counter): `TransactionCanceledException`
    /// with a `TransactionConflict` reason for each action; nothing is written.
    TransactionConflict,
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::ServerError => "server_error",
            FaultKind::Latency { .. } => "latency",
            FaultKind::DropConnection => "drop_connection",
            FaultKind::AccessDenied => "access_denied",
            FaultKind::RespondLate { .. } => "respond_late",
            FaultKind::DropAfterCommit => "drop_after_commit",
            FaultKind::TransactionConflict => "transaction_conflict",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub service: Service,
    /// An operation name such as `GetEmailIdentity`; `None` matches all.
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it hits; `None` means every one until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule hitting every request to `service` until cleared.
    pub fn new(service: Service, kind: FaultKind) -> Self {
        FaultRule {
            service,
            operation: None,
            kind,
            times: None,
        }
    }

    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = Some(operation.to_string());
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }
}

/// Takes the first rule matching the request, counting it down.
pub(crate) fn take_fault(
    rules: &mut Vec<FaultRule>,
    service: Service,
    operation: &str,
) -> Option<FaultKind> {
    let index = rules.iter().position(|r| {
        r.service == service && r.operation.as_deref().is_none_or(|op| op == operation)
    })?;
    let kind = rules[index].kind.clone();
    if let Some(left) = rules[index].times.as_mut() {
        *left = left.saturating_sub(1);
        if *left == 0 {
            rules.remove(index);
        }
    }
    Some(kind)
}

/// A token bucket: `rate` tokens a second, at most `max(rate, 1)` saved up.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: f64) -> Self {
        Bucket {
            rate,
            tokens: rate.max(1.0),
            last: Instant::now(),
        }
    }

    /// Whether a request may pass now.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.rate).min(self.rate.max(1.0));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Parses `500ms`, `10s`, `30m`, `72h`, `3d` (or a bare number of seconds).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => return Some(Duration::from_millis(n)),
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_rule_is_removed_after_its_last_hit() {
        let mut rules = vec![
            FaultRule::new(Service::Ses, FaultKind::Throttle)
                .operation("GetAccount")
                .times(2),
        ];
        assert_eq!(
            take_fault(&mut rules, Service::Ses, "GetEmailIdentity"),
            None
        );
        assert_eq!(take_fault(&mut rules, Service::Route53, "GetAccount"), None);
        assert!(take_fault(&mut rules, Service::Ses, "GetAccount").is_some());
        assert!(take_fault(&mut rules, Service::Ses, "GetAccount").is_some());
        assert_eq!(take_fault(&mut rules, Service::Ses, "GetAccount"), None);
    }

    #[test]
    fn bucket_refills_at_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(1.0);
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start));
        assert!(bucket.try_take(start + Duration::from_millis(1001)));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("72h"), Some(Duration::from_secs(72 * 3600)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("3d"), Some(Duration::from_secs(3 * 86_400)));
        assert_eq!(parse_duration("x"), None);
    }
}
