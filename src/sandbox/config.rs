//! How a sandbox is set up: ports, region, account answers, timings, prices,
//! availability answers and rate limits. Plain data with AWS-like defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything [`super::Sandbox::start`] needs. `SandboxConfig::default()`
/// gives ephemeral ports, no persistence, no rate limits and no faults.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where `state.json` (and, from the binary, `endpoints.json`) live;
    /// `None` keeps everything in memory.
    pub state_dir: Option<PathBuf>,
    pub ports: Ports,
    /// The SES region the sandbox pretends to be (Route 53 Domains is always
    /// `us-east-1`, as on AWS).
    pub region: String,
    pub account_id: String,
    /// Where Easy DKIM CNAMEs point: `<token>.<signing_hosted_zone>`.
    pub signing_hosted_zone: String,
    /// `GetAccount.ProductionAccessEnabled`; `false` is the SES sandbox (a new AWS account).
    /// `true` by default: the platform's account, once set up, has production access.
    pub production_access: bool,
    /// `GetAccount.SendingEnabled`; `false` is an account whose sending AWS (or its owner)
    /// paused.
    pub sending_enabled: bool,
    /// The simulated clock's start, seconds since the Unix epoch; `None`
    /// takes the real time once. It then moves only when advanced.
    pub start_time: Option<i64>,
    pub rate_limits: RateLimits,
    pub timings: Timings,
    /// How many domains the account may register (AWS: 20 for new accounts).
    pub domain_limit: usize,
    pub prices: Vec<TldPrice>,
    /// Fixed `CheckDomainAvailability` answers by domain name.
    pub availability: BTreeMap<String, Availability>,
    /// Domains whose registration ends `FAILED`.
    pub failing_registrations: BTreeSet<String>,
    /// Milliseconds the DNS server waits before each answer, as a name server across the
    /// internet takes (tens of milliseconds); 0 answers at once.
    pub dns_latency_ms: u64,
    /// DynamoDB tables created at start unless they exist, each with the notice ledger's
    /// layout (partition key `library`, sort key `notice`); default: `mailform-notices`, the
    /// platform file's default `ledger-table`, so the demo and tests need no setup.
    pub dynamodb_tables: Vec<String>,
    /// DynamoDB tables created at start with the SES event store's layout (partition key `pk`,
    /// sort key `sk`); default: `mailform-events`, the platform file's default `events { table }`.
    pub event_tables: Vec<String>,
    /// With a `state_dir` another sandbox owns: wait until it stops (`true`), or fail at once
    /// with [`super::SandboxError::Busy`] (`false`, the default).
    pub wait_for_state_dir: bool,
    /// An IAM identity policy (the JSON of a policy document) every request is held to, as the
    /// role that holds it would be: a request it does not allow is refused with AWS's
    /// `AccessDenied`. `None` allows everything. See [`super::iam`].
    pub iam_policy: Option<serde_json::Value>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            state_dir: None,
            ports: Ports::default(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            signing_hosted_zone: "dkim.amazonses.com".into(),
            production_access: true,
            sending_enabled: true,
            start_time: None,
            rate_limits: RateLimits::default(),
            timings: Timings::default(),
            domain_limit: 20,
            prices: default_prices(),
            availability: BTreeMap::new(),
            failing_registrations: BTreeSet::new(),
            dns_latency_ms: 0,
            dynamodb_tables: vec![crate::model::DEFAULT_LEDGER_TABLE.to_string()],
            event_tables: vec![crate::model::DEFAULT_EVENTS_TABLE.to_string()],
            wait_for_state_dir: false,
            iam_policy: None,
        }
    }
}

/// Listening ports on 127.0.0.1; 0 picks a free one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub ses: u16,
    pub route53: u16,
    pub route53domains: u16,
    pub sts: u16,
    pub dynamodb: u16,
    pub sqs: u16,
    pub sns: u16,
    pub admin: u16,
    /// UDP and TCP.
    pub dns: u16,
}

/// Requests per second allowed for each service; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    pub ses: Option<f64>,
    pub route53: Option<f64>,
    pub route53domains: Option<f64>,
    /// DynamoDB has no per-second limit at the ledger's scale (on-demand tables throttle far
    /// above it); a limit here lets a test see throttling.
    #[serde(default)]
    pub dynamodb: Option<f64>,
}

impl RateLimits {
    /// The documented limits: SES 1 request a second, Route 53 5. Route 53
    /// Domains documents none; 1 a second is assumed.
    pub fn documented() -> Self {
        RateLimits {
            ses: Some(1.0),
            route53: Some(5.0),
            route53domains: Some(1.0),
            dynamodb: None,
        }
    }
}

/// Simulated durations, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// How long SES keeps looking for records (AWS: 72 hours).
    pub verification_window: i64,
    /// A registration goes SUBMITTED → IN_PROGRESS after this ...
    pub registration_starts_after: i64,
    /// ... and SUCCESSFUL (or FAILED) after this, counted from submission.
    pub registration_takes: i64,
    /// A Route 53 change is PENDING for this long, then INSYNC.
    pub change_propagation: i64,
    /// A transfer lock change (`DOMAIN_LOCK` operation) is SUBMITTED for a minute, then
    /// IN_PROGRESS until this long after submission, then SUCCESSFUL; until then the domain
    /// shows the lock it had. AWS documents the operation, not how long it takes.
    pub transfer_lock_takes: i64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            verification_window: 72 * 3600,
            registration_starts_after: 60,
            registration_takes: 15 * 60,
            change_propagation: 0,
            transfer_lock_takes: 5 * 60,
        }
    }
}

/// A TLD's prices in USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TldPrice {
    pub tld: String,
    pub registration: f64,
    pub renewal: f64,
    pub transfer: f64,
}

fn default_prices() -> Vec<TldPrice> {
    [
        ("com", 15.0),
        ("net", 17.0),
        ("org", 15.0),
        ("info", 13.0),
        ("io", 71.0),
        ("de", 9.0),
        ("eu", 11.0),
        ("uk", 9.0),
        ("library", 35.0),
        // Reserved by RFC 2606 and 6761, so no real registrar sells them: the sandbox does, so
        // the example libraries (which may only use reserved names) can buy their domains.
        ("example", 13.0),
        ("test", 12.0),
    ]
    .into_iter()
    .map(|(tld, price)| TldPrice {
        tld: tld.into(),
        registration: price,
        renewal: price,
        transfer: price,
    })
    .collect()
}

/// Every answer `CheckDomainAvailability` documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Availability {
    Available,
    AvailableReserved,
    AvailablePreorder,
    Unavailable,
    UnavailablePremium,
    UnavailableRestricted,
    Reserved,
    DontKnow,
    InvalidNameForTld,
    Pending,
}

impl Availability {
    pub const ALL: [Availability; 10] = [
        Availability::Available,
        Availability::AvailableReserved,
        Availability::AvailablePreorder,
        Availability::Unavailable,
        Availability::UnavailablePremium,
        Availability::UnavailableRestricted,
        Availability::Reserved,
        Availability::DontKnow,
        Availability::InvalidNameForTld,
        Availability::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "AVAILABLE",
            Availability::AvailableReserved => "AVAILABLE_RESERVED",
            Availability::AvailablePreorder => "AVAILABLE_PREORDER",
            Availability::Unavailable => "UNAVAILABLE",
            Availability::UnavailablePremium => "UNAVAILABLE_PREMIUM",
            Availability::UnavailableRestricted => "UNAVAILABLE_RESTRICTED",
            Availability::Reserved => "RESERVED",
            Availability::DontKnow => "DONT_KNOW",
            Availability::InvalidNameForTld => "INVALID_NAME_FOR_TLD",
            Availability::Pending => "PENDING",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}
