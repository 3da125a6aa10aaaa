//! A client for the admin API (`/_sandbox/...`) of a sandbox running in
//! another process, as the `mailform-sandbox` binary's subcommands use it.
//!
//! Plain HTTP/1.1 over a std `TcpStream`: the admin API is on 127.0.0.1 and
//! answers small JSON bodies, which is not worth an HTTP client crate.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Availability, FaultRule, LogEntry, RateLimits, RecordInput, RecordSet};

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin URL {0} is not http://HOST:PORT")]
    Url(String),
    #[error(
        "could not reach the sandbox admin API at {url}: {source}; is `mailform-sandbox serve` running?"
    )]
    Io { url: String, source: std::io::Error },
    #[error("the sandbox answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the sandbox answered something unreadable: {0}")]
    Malformed(String),
}

pub struct AdminClient {
    url: String,
    authority: String,
}

impl AdminClient {
    /// `url` is [`super::Endpoints::admin`], e.g. `http://127.0.0.1:4510`.
    pub fn new(url: &str) -> Result<Self, AdminError> {
        let authority = url
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|a| a.contains(':') && !a.contains('/'))
            .ok_or_else(|| AdminError::Url(url.to_string()))?;
        Ok(AdminClient {
            url: url.to_string(),
            authority: authority.to_string(),
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, AdminError> {
        let io = |source| AdminError::Io {
            url: self.url.clone(),
            source,
        };
        let mut stream = TcpStream::connect(&self.authority).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.authority,
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(io)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(io)?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| AdminError::Malformed(text.to_string()))?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| AdminError::Malformed(head.to_string()))?;
        let value: Value =
            serde_json::from_str(body).map_err(|e| AdminError::Malformed(e.to_string()))?;
        if status >= 400 {
            let message = value
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            return Err(AdminError::Refused { status, message });
        }
        Ok(value)
    }

    fn field<T: serde::de::DeserializeOwned>(value: Value, key: &str) -> Result<T, AdminError> {
        serde_json::from_value(value.get(key).cloned().unwrap_or(Value::Null))
            .map_err(|e| AdminError::Malformed(e.to_string()))
    }

    /// The simulated time, seconds since the Unix epoch.
    pub fn now(&self) -> Result<i64, AdminError> {
        Self::field(self.call("GET", "/_sandbox/clock", None)?, "now")
    }

    /// Sets what `GetAccount` answers: the SES sandbox or production access, sending on or
    /// paused (`None` leaves a setting as it is).
    pub fn set_account(
        &self,
        production_access: Option<bool>,
        sending_enabled: Option<bool>,
    ) -> Result<(), AdminError> {
        let mut body = serde_json::Map::new();
        if let Some(p) = production_access {
            body.insert("production_access".into(), Value::Bool(p));
        }
        if let Some(e) = sending_enabled {
            body.insert("sending_enabled".into(), Value::Bool(e));
        }
        self.call("POST", "/_sandbox/account", Some(Value::Object(body)))?;
        Ok(())
    }

    /// Advances the clock; answers the new time.
    pub fn advance_clock(&self, by: Duration) -> Result<i64, AdminError> {
        let body = json!({ "seconds": by.as_secs() });
        Self::field(
            self.call("POST", "/_sandbox/clock/advance", Some(body))?,
            "now",
        )
    }

    pub fn add_record(&self, zone: &str, record: &RecordInput) -> Result<(), AdminError> {
        let mut body =
            serde_json::to_value(record).map_err(|e| AdminError::Malformed(e.to_string()))?;
        body["zone"] = json!(zone);
        self.call("POST", "/_sandbox/dns/add", Some(body))
            .map(|_| ())
    }

    pub fn remove_record(
        &self,
        zone: &str,
        name: &str,
        rtype: &str,
        value: Option<&str>,
    ) -> Result<bool, AdminError> {
        let body = json!({ "zone": zone, "name": name, "type": rtype, "value": value });
        Self::field(
            self.call("POST", "/_sandbox/dns/remove", Some(body))?,
            "removed",
        )
    }

    pub fn records(&self, zone: &str) -> Result<Vec<RecordSet>, AdminError> {
        let body = json!({ "zone": zone });
        Self::field(
            self.call("POST", "/_sandbox/dns/list", Some(body))?,
            "records",
        )
    }

    /// Forgets every resource, zone, fault and log entry; the clock stays.
    pub fn reset(&self) -> Result<(), AdminError> {
        self.call("POST", "/_sandbox/reset", None).map(|_| ())
    }

    pub fn confirm_address(&self, address: &str) -> Result<(), AdminError> {
        let body = json!({ "identity": address });
        self.call("POST", "/_sandbox/ses/confirm", Some(body))
            .map(|_| ())
    }

    /// Plays SES deciding on the tenant `tenant`'s reputation finding.
    pub fn set_reputation(
        &self,
        tenant: &str,
        finding: &super::ReputationFinding,
    ) -> Result<(), AdminError> {
        let mut body =
            serde_json::to_value(finding).map_err(|e| AdminError::Malformed(e.to_string()))?;
        body["tenant"] = json!(tenant);
        self.call("POST", "/_sandbox/ses/reputation", Some(body))
            .map(|_| ())
    }

    pub fn inject_fault(&self, rule: &FaultRule) -> Result<(), AdminError> {
        let body = serde_json::to_value(rule).map_err(|e| AdminError::Malformed(e.to_string()))?;
        self.call("POST", "/_sandbox/faults", Some(body))
            .map(|_| ())
    }

    pub fn faults(&self) -> Result<Vec<FaultRule>, AdminError> {
        Self::field(self.call("GET", "/_sandbox/faults", None)?, "faults")
    }

    pub fn clear_faults(&self) -> Result<(), AdminError> {
        self.call("DELETE", "/_sandbox/faults", None).map(|_| ())
    }

    pub fn set_rate_limits(&self, limits: RateLimits) -> Result<(), AdminError> {
        let body =
            serde_json::to_value(limits).map_err(|e| AdminError::Malformed(e.to_string()))?;
        self.call("POST", "/_sandbox/rate-limits", Some(body))
            .map(|_| ())
    }

    pub fn set_availability(&self, domain: &str, answer: Availability) -> Result<(), AdminError> {
        let body = json!({ "domain": domain, "availability": answer.as_str() });
        self.call("POST", "/_sandbox/availability", Some(body))
            .map(|_| ())
    }

    pub fn request_log(&self) -> Result<Vec<LogEntry>, AdminError> {
        Self::field(self.call("GET", "/_sandbox/log", None)?, "log")
    }

    /// An SQS fault on `queue` (`duplicate` with `count`, `reverse`, `poison` with `body`) or its
    /// `depth`; answers the admin API's JSON.
    pub fn sqs(&self, action: &str, queue: &str, extra: Value) -> Result<Value, AdminError> {
        let mut body = json!({ "queue": queue });
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        self.call("POST", &format!("/_sandbox/sqs/{action}"), Some(body))
    }

    pub fn clear_request_log(&self) -> Result<(), AdminError> {
        self.call("DELETE", "/_sandbox/log", None).map(|_| ())
    }
}
