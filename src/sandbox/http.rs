//! The HTTP front end, on hyper: one listener per service plus the admin API.
//!
//! hyper rather than axum: the AWS SDK already builds it (no new compile
//! cost), and serving connections ourselves lets a fault close one without an
//! answer, which a framework's infallible handlers cannot. Routing is a few
//! path matches per service, done in each service module.
//!
//! Pipeline per request: route to an operation → injected fault → rate
//! limit → handler (under the world lock) → request log → persist → a fault
//! that hits after the change (a late or dropped answer) → the answer.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::faults::{self, FaultKind, FaultRule, Service};
use super::iam;
use super::{
    Availability, LogEntry, RateLimits, RecordInput, Shared, domains, dynamodb, lock, route53, ses,
    sns, sqs, sts, zones,
};

/// What a listener serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Front {
    Service(Service),
    Admin,
}

/// A request, read whole.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: String,
    /// Percent-decoded path segments, without the empty leading one.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }

    /// The region of the request's SigV4 credential scope
    /// (`Credential=<key>/<date>/<region>/<service>/aws4_request`), if it is signed.
    pub fn signing_region(&self) -> Option<&str> {
        let auth = self.header("authorization")?;
        let scope = auth.split("Credential=").nth(1)?;
        let scope = scope.split([',', ' ']).next()?;
        scope.split('/').nth(2).filter(|r| !r.is_empty())
    }

    pub fn json(&self) -> Result<serde_json::Map<String, Value>, ApiError> {
        if self.body.is_empty() {
            return Ok(serde_json::Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(ApiError::bad_request(
                "the request body is not a JSON object",
            )),
        }
    }

    fn segs(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(value: Value) -> Self {
        Reply {
            status: 200,
            content_type: "application/json",
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    pub fn amz_json(value: Value) -> Self {
        Reply {
            content_type: "application/x-amz-json-1.1",
            ..Reply::json(value)
        }
    }

    pub fn xml(status: u16, body: String) -> Self {
        Reply {
            status,
            content_type: "text/xml",
            headers: Vec::new(),
            body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}").into_bytes(),
        }
    }
}

/// An AWS error: HTTP status, error code, message. Each service renders it
/// in the shape its SDK parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// More members of the error's JSON body (DynamoDB's `Item` of a failed condition).
    pub extra: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            extra: None,
        }
    }

    /// SES's `BadRequestException`, also the generic validation failure.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequestException", message)
    }

    fn render(&self, service: Service) -> Reply {
        match service {
            Service::Ses => Reply {
                status: self.status,
                content_type: "application/json",
                headers: vec![("x-amzn-ErrorType", self.code.clone())],
                body: json!({ "message": self.message }).to_string().into_bytes(),
            },
            // Route 53 (REST-XML), STS and SNS (Query) wrap errors alike, each in its namespace.
            Service::Route53 | Service::Sts | Service::Sns => {
                let kind = if self.status >= 500 {
                    "Receiver"
                } else {
                    "Sender"
                };
                let xmlns = match service {
                    Service::Sts => sts::XMLNS,
                    Service::Sns => "http://sns.amazonaws.com/doc/2010-03-31/",
                    _ => "https://route53.amazonaws.com/doc/2013-04-01/",
                };
                Reply::xml(
                    self.status,
                    format!(
                        "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                        xml_escape(&self.code),
                        xml_escape(&self.message),
                        REQUEST_ID
                    ),
                )
            }
            Service::Route53Domains => Reply {
                status: self.status,
                content_type: "application/x-amz-json-1.1",
                headers: Vec::new(),
                body: json!({ "__type": self.code, "message": self.message })
                    .to_string()
                    .into_bytes(),
            },
            // JSON 1.0: `__type` is namespaced (`com.amazonaws.dynamodb.v20120810#…`) as AWS
            // sends it; the SDK reads the part after `#`.
            Service::DynamoDb | Service::Sqs => {
                // `TransactionCanceledException` spells it `Message`, and the SDK reads that
                // spelling alone for it (as AWS sends it); the others `message`.
                let message = if self.code.ends_with("#TransactionCanceledException") {
                    "Message"
                } else {
                    "message"
                };
                let mut body = json!({ "__type": self.code, message: self.message });
                if let Some(Value::Object(extra)) = &self.extra {
                    for (k, v) in extra {
                        body[k] = v.clone();
                    }
                }
                Reply {
                    status: self.status,
                    content_type: "application/x-amz-json-1.0",
                    headers: Vec::new(),
                    body: body.to_string().into_bytes(),
                }
            }
        }
    }

    fn throttle(service: Service) -> Self {
        match service {
            Service::Ses => ApiError::new(429, "TooManyRequestsException", "Too many requests"),
            Service::Route53 | Service::Sts => ApiError::new(400, "Throttling", "Rate exceeded"),
            Service::Route53Domains => ApiError::new(400, "ThrottlingException", "Rate exceeded"),
            Service::DynamoDb => ApiError::new(
                400,
                "com.amazon.coral.availability#ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            ),
            Service::Sqs => ApiError::new(400, "ThrottlingException", "Rate exceeded"),
            Service::Sns => ApiError::new(400, "Throttling", "Rate exceeded"),
        }
    }

    fn access_denied(service: Service, operation: &str) -> Self {
        let prefix = service_prefix(service);
        Self::not_authorized(service, &format!("{prefix}:{operation}"))
    }

    /// AWS's refusal of an action the caller's policies do not allow.
    fn not_authorized(service: Service, action: &str) -> Self {
        let (status, code) = match service {
            Service::Ses => (403, "AccessDeniedException"),
            Service::Route53 => (403, "AccessDenied"),
            Service::Route53Domains => (400, "AccessDeniedException"),
            Service::Sts => (403, "AccessDenied"),
            Service::DynamoDb => (400, "com.amazon.coral.service#AccessDeniedException"),
            Service::Sqs => (400, "com.amazonaws.sqs#AccessDenied"),
            Service::Sns => (403, "AuthorizationError"),
        };
        ApiError::new(
            status,
            code,
            format!(
                "User: arn:aws:sts::123456789012:assumed-role/sandbox/test is not authorized \
                 to perform: {action}"
            ),
        )
    }

    fn internal(service: Service) -> Self {
        let code = match service {
            Service::Ses => "InternalFailure",
            Service::Route53 => "InternalError",
            Service::Route53Domains | Service::Sts => "InternalFailure",
            Service::DynamoDb => "com.amazonaws.dynamodb.v20120810#InternalServerError",
            Service::Sqs => "com.amazonaws.sqs#InternalError",
            Service::Sns => "InternalError",
        };
        ApiError::new(
            500,
            code,
            "We encountered an internal error. Please try again.",
        )
    }
}

pub(crate) const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Seconds since the epoch as Route 53's ISO 8601 date-time.
pub(crate) fn iso_time(secs: i64) -> String {
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The connection must be closed without an answer (an injected fault).
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

pub(crate) async fn serve(listener: tokio::net::TcpListener, front: Front, shared: Shared) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or a reset during accept: back off
                // instead of spinning, then keep serving.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, front, shared.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

pub(crate) fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .header("x-amzn-RequestId", REQUEST_ID);
    for (k, v) in reply.headers {
        builder = builder.header(k, v);
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn read(req: Request<Incoming>) -> Req {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path();
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let query = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect();
    Req {
        method: parts.method.as_str().to_string(),
        segments,
        query,
        headers: parts.headers,
        body,
    }
}

async fn handle(
    req: Request<Incoming>,
    front: Front,
    shared: Shared,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let req = read(req).await;
    let service = match front {
        Front::Admin => return Ok(to_response(admin(&req, &shared))),
        Front::Service(service) => service,
    };
    let operation = match service {
        Service::Ses => ses::route(&req),
        Service::Route53 => route53::route(&req),
        Service::Route53Domains => domains::route(&req),
        Service::Sts => sts::route(&req),
        Service::DynamoDb => dynamodb::route(&req),
        Service::Sqs => sqs::route(&req),
        Service::Sns => sns::route(&req),
    };
    let Some(operation) = operation else {
        let err = ApiError::new(
            404,
            "UnknownOperationException",
            format!(
                "the sandbox does not serve {} /{}",
                req.method,
                req.segments.join("/")
            ),
        );
        let mut world = lock(&shared);
        world.log.push(LogEntry {
            service,
            operation: "Unknown".into(),
            mutating: false,
            status: err.status,
            error: Some(err.code.clone()),
            fault: None,
        });
        return Ok(to_response(err.render(service)));
    };
    let mutating = is_mutating(operation);
    let (fault, limited) = {
        let mut world = lock(&shared);
        let fault = faults::take_fault(&mut world.faults, service, operation);
        let limited = match world.buckets.get_mut(&service) {
            Some(bucket) if fault.is_none() => !bucket.try_take(Instant::now()),
            _ => false,
        };
        (fault, limited)
    };
    let log = |status: u16, error: Option<String>, fault: Option<&FaultKind>| {
        lock(&shared).log.push(LogEntry {
            service,
            operation: operation.to_string(),
            mutating,
            status,
            error,
            fault: fault.map(|f| f.name().to_string()),
        });
    };
    let refused = {
        let world = lock(&shared);
        world.config.iam_policy.as_ref().and_then(|policy| {
            let request = auth_request(service, operation, &req, &world.config);
            iam::authorize(policy, &request).err()
        })
    };
    if let Some(action) = refused {
        let err = ApiError::not_authorized(service, &action);
        log(err.status, Some(err.code.clone()), None);
        return Ok(to_response(err.render(service)));
    }
    let early = match &fault {
        Some(FaultKind::Throttle) => Some(ApiError::throttle(service)),
        Some(FaultKind::ServerError) => Some(ApiError::internal(service)),
        Some(FaultKind::AccessDenied) => Some(ApiError::access_denied(service, operation)),
        Some(FaultKind::TransactionConflict) => Some(dynamodb::conflict(&req)),
        Some(FaultKind::DropConnection) => {
            log(0, None, fault.as_ref());
            return Err(Box::new(DropConnection));
        }
        Some(FaultKind::Latency { millis }) => {
            tokio::time::sleep(Duration::from_millis(*millis)).await;
            None
        }
        // These hit after the handler.
        Some(FaultKind::RespondLate { .. } | FaultKind::DropAfterCommit) => None,
        None if limited => Some(ApiError::throttle(service)),
        None => None,
    };
    if let Some(err) = early {
        log(err.status, Some(err.code.clone()), fault.as_ref());
        return Ok(to_response(err.render(service)));
    }
    let result = {
        let mut world = lock(&shared);
        let result = match service {
            Service::Ses => ses::handle(&mut world, operation, &req),
            Service::Route53 => route53::handle(&mut world, operation, &req),
            Service::Route53Domains => domains::handle(&mut world, operation, &req),
            Service::Sts => sts::handle(&mut world, operation, &req),
            Service::DynamoDb => dynamodb::handle(&mut world, operation, &req),
            Service::Sqs => sqs::handle(&mut world, operation, &req),
            Service::Sns => sns::handle(&mut world, operation, &req),
        };
        // Queues and topics live beside the state (see `sqs`): a receive or delete writes nothing.
        let in_state = !matches!(service, Service::Sqs | Service::Sns);
        if mutating && in_state && result.is_ok() {
            world.recheck();
            world.persist();
        }
        result
    };
    if let Some(FaultKind::DropAfterCommit) = &fault {
        log(0, result.err().map(|e| e.code), fault.as_ref());
        return Err(Box::new(DropConnection));
    }
    let reply = match result {
        Ok(reply) => {
            log(reply.status, None, fault.as_ref());
            reply
        }
        Err(err) => {
            log(err.status, Some(err.code.clone()), fault.as_ref());
            err.render(service)
        }
    };
    if let Some(FaultKind::RespondLate { millis }) = &fault {
        tokio::time::sleep(Duration::from_millis(*millis)).await;
    }
    Ok(to_response(reply))
}

fn service_prefix(service: Service) -> &'static str {
    match service {
        Service::Ses => "ses",
        Service::Route53 => "route53",
        Service::Route53Domains => "route53domains",
        Service::Sts => "sts",
        Service::DynamoDb => "dynamodb",
        Service::Sqs => "sqs",
        Service::Sns => "sns",
    }
}

/// What IAM would look at to authorise this request: its actions, its resource's ARN where the
/// sandbox knows it (a hosted zone, a DynamoDB table), and Route 53's record-set condition keys.
fn auth_request(
    service: Service,
    operation: &str,
    req: &Req,
    config: &super::SandboxConfig,
) -> iam::AuthRequest {
    let json = || serde_json::from_slice::<serde_json::Value>(&req.body).unwrap_or_default();
    let tagged = service == Service::Ses
        && operation == "CreateEmailIdentity"
        && json()["Tags"].as_array().is_some_and(|t| !t.is_empty());
    let mut request = iam::AuthRequest {
        actions: iam::actions_for(service_prefix(service), operation, tagged),
        ..iam::AuthRequest::default()
    };
    match (service, operation) {
        // AWS authorises a transaction per action, as the single call each stands for
        // (`dynamodb:PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`); there is no
        // `dynamodb:TransactWriteItems` permission. One table's: its ARN.
        (Service::DynamoDb, "TransactWriteItems") => {
            let body = json();
            let mut tables = std::collections::BTreeSet::new();
            let mut actions = std::collections::BTreeSet::new();
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                for (kind, action) in [
                    ("Put", "PutItem"),
                    ("Update", "UpdateItem"),
                    ("Delete", "DeleteItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                ] {
                    if let Some(table) = item[kind]["TableName"].as_str() {
                        tables.insert(table.to_string());
                        actions.insert(format!("dynamodb:{action}"));
                    }
                }
            }
            request.actions = actions.into_iter().collect();
            if let (1, Some(table)) = (tables.len(), tables.first()) {
                request.resource = Some(format!(
                    "arn:aws:dynamodb:{}:{}:table/{table}",
                    config.region, config.account_id
                ));
            }
        }
        // One table's batch: its ARN, as for a single write.
        (Service::DynamoDb, "BatchWriteItem") => {
            let body = json();
            let tables: Vec<&String> = body["RequestItems"]
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            if let [table] = tables.as_slice() {
                request.resource = Some(format!(
                    "arn:aws:dynamodb:{}:{}:table/{table}",
                    config.region, config.account_id
                ));
            }
        }
        (Service::Sqs, _) => {
            if let Some(url) = json()["QueueUrl"].as_str() {
                let name = url.rsplit('/').next().unwrap_or(url);
                request.resource = Some(format!(
                    "arn:aws:sqs:{}:{}:{name}",
                    config.region, config.account_id
                ));
            }
        }
        (Service::DynamoDb, _) => {
            if let Some(table) = json()["TableName"].as_str() {
                request.resource = Some(format!(
                    "arn:aws:dynamodb:{}:{}:table/{table}",
                    config.region, config.account_id
                ));
            }
        }
        (Service::Route53, "ChangeResourceRecordSets") => {
            // POST /2013-04-01/hostedzone/{Id}/rrset
            if let Some(id) = req.segments.get(2) {
                request.resource = Some(format!("arn:aws:route53:::hostedzone/{id}"));
            }
            request.context = route53::condition_keys(&req.body);
        }
        _ => {}
    }
    request
}

fn is_mutating(operation: &str) -> bool {
    [
        "Create",
        "Delete",
        "Put",
        "Tag",
        "Untag",
        "Change",
        "Register",
        "Enable",
        "Disable",
        "Transfer",
        "Update",
        "Cancel",
        "BatchWrite",
    ]
    .iter()
    .any(|p| operation.starts_with(p))
}

/// The admin API, all under `/_sandbox/`: JSON in, JSON out.
///
/// - `GET  /_sandbox/clock` → `{"now": secs}`
/// - `POST /_sandbox/clock/advance` `{"seconds": n}` or `{"by": "72h"}`
/// - `POST /_sandbox/dns/add` `{"zone", "name", "type", "value", "ttl"?}`
/// - `POST /_sandbox/dns/remove` `{"zone", "name", "type", "value"?}`
/// - `POST /_sandbox/dns/list` `{"zone"}`
/// - `POST /_sandbox/reset`: forget everything but the clock
/// - `POST /_sandbox/ses/confirm` `{"identity"}`: an address was confirmed
/// - `POST /_sandbox/faults` a [`FaultRule`]; `DELETE /_sandbox/faults`
/// - `POST /_sandbox/rate-limits` a [`RateLimits`]
/// - `POST /_sandbox/availability` `{"domain", "availability"}`
/// - `GET  /_sandbox/log`; `DELETE /_sandbox/log`
/// - `POST /_sandbox/sqs/duplicate` `{"queue", "count"}`: the first visible messages again
/// - `POST /_sandbox/sqs/reverse` `{"queue"}`: visible messages in the opposite order
/// - `POST /_sandbox/sqs/poison` `{"queue", "body"}`: a message that is not an SES event
/// - `POST /_sandbox/sqs/depth` `{"queue"}` → `{"visible", "in_flight"}`
fn admin(req: &Req, shared: &Shared) -> Reply {
    let result = admin_inner(req, shared);
    match result {
        Ok(value) => Reply::json(value),
        Err((status, message)) => Reply {
            status,
            ..Reply::json(json!({ "error": message }))
        },
    }
}

fn admin_inner(req: &Req, shared: &Shared) -> Result<Value, (u16, String)> {
    let bad = |m: String| (400u16, m);
    let body = || -> Result<Value, (u16, String)> {
        if req.body.is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_slice(&req.body).map_err(|e| bad(format!("invalid JSON: {e}")))
        }
    };
    let text = |v: &Value, key: &str| -> Result<String, (u16, String)> {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(format!("missing string field {key}")))
    };
    let segs = req.segs();
    let mut world = lock(shared);
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["_sandbox", "clock"]) => Ok(json!({ "now": world.now() })),
        ("POST", ["_sandbox", "account"]) => {
            let v = body()?;
            if let Some(p) = v.get("production_access").and_then(Value::as_bool) {
                world.config.production_access = p;
            }
            if let Some(e) = v.get("sending_enabled").and_then(Value::as_bool) {
                world.config.sending_enabled = e;
            }
            Ok(json!({
                "production_access": world.config.production_access,
                "sending_enabled": world.config.sending_enabled,
            }))
        }
        ("POST", ["_sandbox", "clock", "advance"]) => {
            let v = body()?;
            let by = match (v.get("seconds").and_then(Value::as_u64), v.get("by")) {
                (Some(secs), _) => Duration::from_secs(secs),
                (None, Some(Value::String(text))) => faults::parse_duration(text)
                    .ok_or_else(|| bad(format!("cannot read duration {text}")))?,
                _ => return Err(bad("give seconds or by".into())),
            };
            world.advance(by);
            Ok(json!({ "now": world.now() }))
        }
        ("POST", ["_sandbox", "dns", "add"]) => {
            let v = body()?;
            let zone = text(&v, "zone")?;
            let record: RecordInput =
                serde_json::from_value(v).map_err(|e| bad(format!("invalid record: {e}")))?;
            world
                .add_record(&zone, &record)
                .map_err(|e| bad(e.to_string()))?;
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "dns", "remove"]) => {
            let v = body()?;
            let value = v.get("value").and_then(Value::as_str);
            let removed = world
                .remove_record(
                    &text(&v, "zone")?,
                    &text(&v, "name")?,
                    &text(&v, "type")?,
                    value,
                )
                .map_err(|e| bad(e.to_string()))?;
            Ok(json!({ "removed": removed }))
        }
        ("POST", ["_sandbox", "dns", "list"]) => {
            let v = body()?;
            let records = world
                .records(&text(&v, "zone")?)
                .map_err(|e| (404, e.to_string()))?;
            Ok(json!({ "records": records }))
        }
        ("GET", ["_sandbox", "dns", "zones"]) => {
            let external: Vec<&String> = world.state.external_zones.keys().collect();
            let hosted: Vec<&String> = world
                .state
                .hosted_zones
                .iter()
                .map(|h| &h.zone.name)
                .collect();
            Ok(json!({ "external": external, "hosted": hosted }))
        }
        ("POST", ["_sandbox", "reset"]) => {
            world.reset();
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "ses", "confirm"]) => {
            let v = body()?;
            world
                .confirm_address(&text(&v, "identity")?)
                .map_err(|e| (404, e.to_string()))?;
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "ses", "reputation"]) => {
            let v = body()?;
            let finding: super::ReputationFinding = serde_json::from_value(v.clone())
                .map_err(|e| bad(format!("invalid finding: {e}")))?;
            world
                .set_reputation(&text(&v, "tenant")?, &finding)
                .map_err(|e| (404, e.to_string()))?;
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "faults"]) => {
            let rule: FaultRule =
                serde_json::from_value(body()?).map_err(|e| bad(format!("invalid fault: {e}")))?;
            world.faults.push(rule);
            Ok(json!({}))
        }
        ("GET", ["_sandbox", "faults"]) => Ok(json!({ "faults": world.faults })),
        ("DELETE", ["_sandbox", "faults"]) => {
            world.faults.clear();
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "rate-limits"]) => {
            let limits: RateLimits = serde_json::from_value(body()?)
                .map_err(|e| bad(format!("invalid rate limits: {e}")))?;
            world.set_rate_limits(limits);
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "availability"]) => {
            let v = body()?;
            let answer = text(&v, "availability")?;
            let availability = Availability::parse(&answer)
                .ok_or_else(|| bad(format!("unknown answer {answer}")))?;
            let domain = zones::normalize_name(&text(&v, "domain")?);
            world
                .state
                .availability
                .insert(domain, availability.as_str().to_string());
            world.persist();
            Ok(json!({}))
        }
        ("POST", ["_sandbox", "sqs", fault]) => {
            let v = body()?;
            let queue = text(&v, "queue")?;
            let missing = || (404u16, format!("no queue {queue}"));
            match *fault {
                "duplicate" => {
                    let count = v.get("count").and_then(Value::as_u64).unwrap_or(1) as usize;
                    let n = world.queues.duplicate(&queue, count).ok_or_else(missing)?;
                    Ok(json!({ "duplicated": n }))
                }
                "reverse" => {
                    let n = world.queues.reverse(&queue).ok_or_else(missing)?;
                    Ok(json!({ "reversed": n }))
                }
                "poison" => {
                    let body = v
                        .get("body")
                        .and_then(Value::as_str)
                        .unwrap_or("{\"not\": \"an SES event\"")
                        .to_string();
                    let id = world.queues.send(&queue, body).ok_or_else(missing)?;
                    Ok(json!({ "message_id": id }))
                }
                "depth" => {
                    let (visible, in_flight) = world.queues.depth(&queue).ok_or_else(missing)?;
                    Ok(json!({ "visible": visible, "in_flight": in_flight }))
                }
                other => Err((404, format!("no SQS fault {other}"))),
            }
        }
        ("GET", ["_sandbox", "log"]) => Ok(json!({ "log": world.log })),
        ("DELETE", ["_sandbox", "log"]) => {
            world.log.clear();
            Ok(json!({}))
        }
        _ => Err((
            404,
            format!("no admin route {} /{}", req.method, segs.join("/")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%40b.org"), "a@b.org");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%2"), "%2");
    }

    #[test]
    fn mutating_operations() {
        assert!(is_mutating("CreateEmailIdentity"));
        assert!(is_mutating("ChangeResourceRecordSets"));
        assert!(!is_mutating("GetEmailIdentity"));
        assert!(!is_mutating("ListHostedZones"));
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
    }
}
