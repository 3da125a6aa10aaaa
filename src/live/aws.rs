//! What the three AWS adapters share: loading the SDK configuration (the standard credential
//! chain, the region, retries, timeouts, endpoint overrides), the per-service rate limiter,
//! and turning an SDK error into one [`ReadError`].
//!
//! # Why a rate limiter of our own
//! SES allows 1 request a second for everything but sending, Route 53 5. The SDK's retries
//! recover from throttling but only after being throttled; its `adaptive` mode learns a rate
//! from throttling too. We want to stay under the documented rate from the first call. The
//! limiter is a dozen lines (one deadline behind a fair async mutex), so it lives here rather
//! than in a crate; it wraps the SDK's own HTTP client so that every *attempt*, retries
//! included, waits for its turn.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::{ReadError, ReadErrorKind, System};
use super::meter::{Meter, Meters};

/// Route 53 Domains is served only in us-east-1.
pub const ROUTE53_DOMAINS_REGION: &str = "us-east-1";

/// Requests per second allowed per service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub ses: f64,
    pub route53: f64,
    pub route53domains: f64,
}

impl Default for Rates {
    /// The documented limits: SES 1 a second, Route 53 5. Route 53 Domains documents none;
    /// 1 a second is a careful guess.
    fn default() -> Self {
        Rates {
            ses: 1.0,
            route53: 5.0,
            route53domains: 1.0,
        }
    }
}

/// Endpoint URL overrides (the sandbox); `None` uses AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ses: Option<String>,
    pub route53: Option<String>,
    pub route53domains: Option<String>,
    pub sts: Option<String>,
    /// The notice ledger's table (`mailform notices`, `mailform notify`) and the event store.
    pub dynamodb: Option<String>,
    /// The queue of SES events (`mailform events drain`).
    pub sqs: Option<String>,
}

/// Retries with exponential backoff on throttling, 5xx and transient network errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// Time limits of every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// For the first byte of each answer.
    pub read: Duration,
    /// For a whole call, retries and waits for the rate limiter included.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(20),
            operation: Duration::from_secs(120),
        }
    }
}

/// How the adapters talk to AWS.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// The SES (and Route 53) region: the platform file's `aws-region`.
    pub region: String,
    pub endpoints: Endpoints,
    pub rates: Rates,
    pub retries: Retries,
    pub timeouts: Timeouts,
    /// Page size for list calls (tests make it small); `None` asks for the largest page where a
    /// service's default is smaller (`ListEmailIdentities`, `ListDomains`, `ListOperations`).
    pub page_size: Option<i32>,
    /// Fixed credentials (tests); `None` uses the standard chain: environment, shared
    /// config and credentials files (profiles, `credential_process`, SSO), web identity
    /// (GitHub OIDC), ECS and EC2 instance metadata.
    pub credentials: Option<aws_credential_types::Credentials>,
    /// Where the adapters count their calls and rate-limit waits, for a progress line.
    pub meters: Meters,
}

impl AwsOptions {
    pub fn new(region: impl Into<String>) -> Self {
        AwsOptions {
            region: region.into(),
            endpoints: Endpoints::default(),
            rates: Rates::default(),
            retries: Retries::default(),
            timeouts: Timeouts::default(),
            page_size: None,
            credentials: None,
            meters: Meters::default(),
        }
    }
}

/// Loads the shared SDK configuration once. Nothing is called yet: credentials are resolved
/// on the first request, so a missing credential shows up as that request's [`ReadError`].
pub async fn load_sdk_config(opts: &AwsOptions) -> SdkConfig {
    let retry = RetryConfig::standard()
        .with_max_attempts(opts.retries.max_attempts.max(1))
        .with_initial_backoff(opts.retries.initial_backoff)
        .with_max_backoff(opts.retries.max_backoff);
    let timeout = TimeoutConfig::builder()
        .connect_timeout(opts.timeouts.connect)
        .read_timeout(opts.timeouts.read)
        .operation_timeout(opts.timeouts.operation)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(opts.region.clone()))
        .retry_config(retry)
        .timeout_config(timeout);
    if let Some(credentials) = &opts.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader.load().await
}

/// The SDK's HTTPS client behind `service`'s rate limiter of `rate` requests a second (shared
/// within the process), counting every attempt on `meter`.
pub(crate) fn limited_http_client(
    service: &'static str,
    rate: f64,
    meter: Arc<Meter>,
) -> SharedHttpClient {
    use aws_smithy_http_client::tls;
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    SharedHttpClient::new(LimitedClient {
        inner,
        limiter: Arc::new(RateLimiter::shared(service, rate).metered(meter)),
    })
}

/// Spaces calls at least `1/rate` seconds apart, in the order they ask: each call goes one
/// interval after the previous call's answer (see [`RateLimiter::around`]).
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// When the next call may go; shared by every limiter of one service in this process
    /// ([`RateLimiter::shared`]), so apply's writes follow the plan's reads without a burst.
    next: Arc<Mutex<Option<Instant>>>,
    /// Told when a caller sleeps for its turn, and of every call made.
    meter: Option<Arc<Meter>>,
}

/// Added to every interval: a fixed part, and a share of the interval. Little is needed, since
/// the interval counts from the previous call's answer: the server counted that call when it
/// arrived, before answering, so the next one, sent an interval after the answer, arrives at
/// least an interval later however the machine, the network or the server delayed either.
/// What is left is the timer's rounding and the two clocks' rates. (Spaced from the sends
/// instead, jitter decided: a busy machine delays one request more than the next by tens of
/// milliseconds; at one request a second, a 15 ms margin drew throttled answers, and 5 % and
/// 15 ms still drew 72 in a full refresh of 1,000 libraries with a build running.)
const MARGIN: Duration = Duration::from_millis(5);
const MARGIN_SHARE: f64 = 0.01;

impl RateLimiter {
    /// `rate` requests a second; zero or less means unlimited.
    pub fn new(rate: f64) -> Self {
        let interval = if rate > 0.0 && rate.is_finite() {
            Duration::from_secs_f64((1.0 + MARGIN_SHARE) / rate) + MARGIN
        } else {
            Duration::ZERO
        };
        RateLimiter {
            interval,
            next: Arc::new(Mutex::new(None)),
            meter: None,
        }
    }

    /// A limiter of `rate` for `service` that shares its schedule with every other one of the
    /// same service in this process: a plan's reads and the apply that follows them (each with
    /// its own SDK clients) are one stream of calls to AWS, spaced as one.
    pub fn shared(service: &'static str, rate: f64) -> Self {
        type Schedule = Arc<Mutex<Option<Instant>>>;
        type Schedules = std::sync::Mutex<std::collections::HashMap<&'static str, Schedule>>;
        static SCHEDULES: std::sync::OnceLock<Schedules> = std::sync::OnceLock::new();
        let next = SCHEDULES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(service)
            .or_default()
            .clone();
        RateLimiter {
            next,
            ..RateLimiter::new(rate)
        }
    }

    /// The same limiter, telling `meter` how long its head caller waits.
    pub fn metered(mut self, meter: Arc<Meter>) -> Self {
        self.meter = Some(meter);
        self
    }

    /// Waits for this caller's turn, and sets the next one an interval from now. The mutex is
    /// fair, so waiters go first come, first served.
    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let mut next = self.next.lock().await;
        self.wait(*next).await;
        *next = Some(Instant::now() + self.interval);
    }

    /// Makes `call` in this caller's turn (first come, first served) and sets the next turn an
    /// interval after its answer: one call of the service is in flight at a time, and no two
    /// reach the server closer together than the interval. At SES's one request a second the
    /// answer's own time is a few hundredths of the interval.
    pub async fn around<T>(&self, call: impl Future<Output = T>) -> T {
        if self.interval.is_zero() {
            return call.await;
        }
        let mut next = self.next.lock().await;
        self.wait(*next).await;
        let answer = call.await;
        *next = Some(Instant::now() + self.interval);
        answer
    }

    async fn wait(&self, until: Option<Instant>) {
        let Some(at) = until else {
            return;
        };
        if let Some(meter) = &self.meter {
            meter.waiting_until(Some(at));
        }
        tokio::time::sleep_until(at).await;
        if let Some(meter) = &self.meter {
            meter.waiting_until(None);
        }
    }
}

#[derive(Debug)]
struct LimitedClient {
    inner: SharedHttpClient,
    limiter: Arc<RateLimiter>,
}

impl HttpClient for LimitedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limiter: Arc<RateLimiter>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let limiter = self.limiter.clone();
        HttpConnectorFuture::new(async move {
            let answer = limiter.around(inner.call(request)).await;
            if let Some(meter) = &limiter.meter {
                meter.done();
            }
            answer
        })
    }
}

/// Error codes AWS uses for a missing permission.
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "NotAuthorized",
];
/// Error codes AWS uses for throttling.
const THROTTLED: &[&str] = &[
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "OperationLimitExceeded",
    "PriorRequestNotComplete",
];
/// Error codes AWS uses for bad or expired credentials.
const BAD_CREDENTIALS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// Turns an SDK error into one [`ReadError`].
pub(crate) fn classify<E>(
    system: System,
    operation: &'static str,
    attempts: u32,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> ReadError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let http_status = err.raw_response().map(|r| r.status().as_u16());
    let kind = match &err {
        SdkError::TimeoutError(_) => ReadErrorKind::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => ReadErrorKind::Timeout,
        _ if mentions_missing_credentials(&err) => ReadErrorKind::NoCredentials,
        SdkError::DispatchFailure(d) => ReadErrorKind::Unreachable {
            detail: innermost(d.as_connector_error().map(|c| c as _)),
        },
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let code = err.code().unwrap_or("unknown").to_string();
            if ACCESS_DENIED.contains(&code.as_str()) {
                ReadErrorKind::AccessDenied {
                    action: format!("{}:{operation}", system.iam_prefix()),
                }
            } else if THROTTLED.contains(&code.as_str()) {
                ReadErrorKind::Throttled { attempts }
            } else if BAD_CREDENTIALS.contains(&code.as_str()) {
                ReadErrorKind::InvalidCredentials { code }
            } else {
                ReadErrorKind::Service {
                    message: err.message().unwrap_or_default().to_string(),
                    code,
                }
            }
        }
        _ => ReadErrorKind::Service {
            code: "request-failed".into(),
            message: innermost(Some(&err)),
        },
    };
    ReadError {
        system,
        operation,
        resource: None,
        kind,
        http_status,
        source: Some(Box::new(err)),
    }
}

/// Whether the error chain holds the credential chain's "nothing found".
fn mentions_missing_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    use aws_credential_types::provider::error::CredentialsError;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(CredentialsError::CredentialsNotLoaded(_)) =
            e.downcast_ref::<CredentialsError>()
        {
            return true;
        }
        // The chain's last resort is the EC2 instance metadata service: off an EC2 host its
        // failure only means that nothing earlier in the chain had credentials.
        if e.to_string().contains("IMDS") {
            return true;
        }
        current = e.source();
    }
    false
}

/// The last message of an error chain: usually the one that says what happened.
fn innermost(err: Option<&(dyn std::error::Error + 'static)>) -> String {
    let mut last = String::new();
    let mut current = err;
    while let Some(e) = current {
        last = e.to_string();
        current = e.source();
    }
    last
}

/// Seconds since the epoch of an SDK timestamp.
pub(crate) fn secs(t: &aws_sdk_sesv2::primitives::DateTime) -> i64 {
    t.secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limiters_of_one_service_share_their_schedule() {
        // A plan's client and the apply's client after it: the second one's first call waits
        // for the first one's last, as one stream of calls to the service.
        let reads = RateLimiter::shared("test-shared", 20.0);
        let writes = RateLimiter::shared("test-shared", 20.0);
        let other = RateLimiter::shared("test-other", 20.0);
        let start = Instant::now();
        reads.acquire().await;
        other.acquire().await;
        assert!(
            start.elapsed() < Duration::from_millis(40),
            "another service waits not"
        );
        writes.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_millis(50),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test]
    async fn limiter_spaces_calls_by_the_interval() {
        let limiter = RateLimiter::new(50.0);
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // The first call goes at once, then one each 20 ms plus the margin.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= (Duration::from_millis(20) + MARGIN) * 4,
            "{elapsed:?}"
        );
    }

    #[tokio::test]
    async fn the_next_call_goes_an_interval_after_the_answer() {
        // An answer that takes 30 ms: the next call waits the whole interval after it, so the
        // server, which counted the first call before answering, sees them an interval apart.
        let limiter = RateLimiter::new(50.0);
        let interval = limiter.interval;
        let start = Instant::now();
        limiter
            .around(tokio::time::sleep(Duration::from_millis(30)))
            .await;
        let answered = Instant::now();
        let sent = limiter.around(async { Instant::now() }).await;
        assert!(sent - answered >= interval, "{:?}", sent - answered);
        assert!(sent - start >= Duration::from_millis(30) + interval);
    }

    #[tokio::test]
    async fn zero_rate_is_unlimited() {
        let limiter = RateLimiter::new(0.0);
        let start = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
