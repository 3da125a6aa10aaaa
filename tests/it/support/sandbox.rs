//! Starting a sandbox for one test and pointing the official AWS SDK clients
//! and a hickory resolver at it. Every sandbox listens on ephemeral ports of
//! 127.0.0.1 and stops when its handle is dropped, also when a test fails.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use mailform::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

/// 2026-01-01T00:00:00Z: every test starts its clock here.
pub const START: i64 = 1_767_225_600;

pub fn start() -> SandboxHandle {
    start_with(SandboxConfig::default())
}

pub fn start_with(mut config: SandboxConfig) -> SandboxHandle {
    config.start_time.get_or_insert(START);
    Sandbox::start(config).expect("the sandbox starts on 127.0.0.1")
}

fn credentials() -> Credentials {
    Credentials::new(
        "AKIDSANDBOXTEST",
        "sandbox-secret",
        None,
        None,
        "sandbox-test",
    )
}

/// How a client retries and times out; [`Client::default`] does neither.
#[derive(Clone, Default)]
pub struct Client {
    pub retry: Option<RetryConfig>,
    pub timeout: Option<TimeoutConfig>,
}

impl Client {
    pub fn retrying(attempts: u32) -> Self {
        Client {
            retry: Some(
                RetryConfig::standard()
                    .with_max_attempts(attempts)
                    .with_initial_backoff(std::time::Duration::from_millis(10))
                    .with_max_backoff(std::time::Duration::from_millis(50)),
            ),
            timeout: None,
        }
    }

    fn retry(&self) -> RetryConfig {
        self.retry.clone().unwrap_or_else(RetryConfig::disabled)
    }

    fn timeout(&self) -> TimeoutConfig {
        self.timeout
            .clone()
            .unwrap_or_else(|| TimeoutConfig::builder().build())
    }

    pub fn ses(&self, sandbox: &SandboxHandle) -> aws_sdk_sesv2::Client {
        self.ses_at(&sandbox.endpoints().ses)
    }

    pub fn ses_at(&self, endpoint: &str) -> aws_sdk_sesv2::Client {
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(endpoint)
            .retry_config(self.retry())
            .timeout_config(self.timeout())
            .build();
        aws_sdk_sesv2::Client::from_conf(config)
    }

    pub fn route53(&self, sandbox: &SandboxHandle) -> aws_sdk_route53::Client {
        self.route53_at(&sandbox.endpoints().route53)
    }

    pub fn route53_at(&self, endpoint: &str) -> aws_sdk_route53::Client {
        let config = aws_sdk_route53::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(endpoint)
            .retry_config(self.retry())
            .timeout_config(self.timeout())
            .build();
        aws_sdk_route53::Client::from_conf(config)
    }

    pub fn domains(&self, sandbox: &SandboxHandle) -> aws_sdk_route53domains::Client {
        self.domains_at(&sandbox.endpoints().route53domains)
    }

    pub fn domains_at(&self, endpoint: &str) -> aws_sdk_route53domains::Client {
        let config = aws_sdk_route53domains::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(endpoint)
            .retry_config(self.retry())
            .timeout_config(self.timeout())
            .build();
        aws_sdk_route53domains::Client::from_conf(config)
    }
}

pub fn ses(sandbox: &SandboxHandle) -> aws_sdk_sesv2::Client {
    Client::default().ses(sandbox)
}

/// An SES client signing for `region` (the sandbox's own is `us-east-1`).
pub fn ses_in(sandbox: &SandboxHandle, region: &'static str) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials())
        .endpoint_url(&sandbox.endpoints().ses)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// An SQS client for the sandbox (the queue of SES events).
pub fn sqs(sandbox: &SandboxHandle) -> aws_sdk_sqs::Client {
    sqs_at(&sandbox.endpoints().sqs)
}

/// An SQS client for the SQS endpoint `endpoint`.
pub fn sqs_at(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// A DynamoDB client for the sandbox (the event store's table, read and altered behind
/// mailform's back).
pub fn dynamodb(sandbox: &SandboxHandle) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(&sandbox.endpoints().dynamodb)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An SNS client for the sandbox (the topic SES publishes events to).
pub fn sns(sandbox: &SandboxHandle) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(&sandbox.endpoints().sns)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

pub fn route53(sandbox: &SandboxHandle) -> aws_sdk_route53::Client {
    Client::default().route53(sandbox)
}

pub fn domains(sandbox: &SandboxHandle) -> aws_sdk_route53domains::Client {
    Client::default().domains(sandbox)
}

/// A resolver that asks only the sandbox's DNS server (UDP, then TCP) and
/// caches nothing, so every edit shows at once.
pub fn resolver(sandbox: &SandboxHandle) -> TokioResolver {
    resolver_over(
        sandbox,
        NameServerConfig::udp_and_tcp(sandbox.endpoints().dns.ip()),
    )
}

/// The same over TCP alone.
pub fn tcp_resolver(sandbox: &SandboxHandle) -> TokioResolver {
    resolver_over(sandbox, NameServerConfig::tcp(sandbox.endpoints().dns.ip()))
}

fn resolver_over(sandbox: &SandboxHandle, mut server: NameServerConfig) -> TokioResolver {
    for connection in &mut server.connections {
        connection.port = sandbox.endpoints().dns.port();
    }
    let config = ResolverConfig::from_parts(None, vec![], vec![server]);
    let mut builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
    builder.options_mut().cache_size = 0;
    builder.options_mut().attempts = 1;
    builder.options_mut().timeout = std::time::Duration::from_secs(2);
    builder.build().expect("a resolver for the sandbox DNS")
}

/// The operations the sandbox saw, in order.
pub fn operations(sandbox: &SandboxHandle) -> Vec<String> {
    sandbox
        .request_log()
        .into_iter()
        .map(|e| e.operation)
        .collect()
}

/// What GetEmailIdentity says about verification.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityStatus {
    pub dkim: Option<aws_sdk_sesv2::types::DkimStatus>,
    pub verification: Option<aws_sdk_sesv2::types::VerificationStatus>,
    pub verified_for_sending: bool,
}

/// Asks SES (the sandbox) for an identity's status through the SDK.
pub async fn identity_status(ses: &aws_sdk_sesv2::Client, identity: &str) -> IdentityStatus {
    let got = ses
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
        .expect("GetEmailIdentity");
    IdentityStatus {
        dkim: got.dkim_attributes().and_then(|d| d.status()).cloned(),
        verification: got.verification_status().cloned(),
        verified_for_sending: got.verified_for_sending_status(),
    }
}

/// A plain-text message for `SendEmail`, as a library's notice would be.
pub fn text_message(subject: &str, body: &str) -> aws_sdk_sesv2::types::EmailContent {
    use aws_sdk_sesv2::types::{Body, Content, EmailContent, Message};
    let text = |t: &str| Content::builder().data(t).build().unwrap();
    EmailContent::builder()
        .simple(
            Message::builder()
                .subject(text(subject))
                .body(Body::builder().text(text(body)).build())
                .build(),
        )
        .build()
}
