//! Facts: what the readers found, as plain data. Nothing here decides anything; the planner
//! and the pure checks do. Times are seconds since the Unix epoch. Internal types, free to
//! change: the serialised form is [`super::snapshot`].

use std::collections::BTreeMap;

/// Resource tags, key → value.
pub type Tags = BTreeMap<String, String>;

/// `GetAccount`.
#[derive(Debug, Clone, PartialEq)]
pub struct SesAccount {
    /// `false` is the SES sandbox: mail only to verified recipients, 200 a day.
    pub production_access: bool,
    pub sending_enabled: bool,
    pub max_24_hour_send: Option<f64>,
    pub max_send_rate: Option<f64>,
}

/// `VerificationStatus` and `DkimStatus` share these values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pending,
    Success,
    Failed,
    TemporaryFailure,
    NotStarted,
    /// A value this version does not know, kept as AWS spelled it.
    Other(String),
}

impl Status {
    pub fn parse(s: &str) -> Self {
        match s {
            "PENDING" => Status::Pending,
            "SUCCESS" => Status::Success,
            "FAILED" => Status::Failed,
            "TEMPORARY_FAILURE" => Status::TemporaryFailure,
            "NOT_STARTED" => Status::NotStarted,
            other => Status::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "PENDING",
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
            Status::TemporaryFailure => "TEMPORARY_FAILURE",
            Status::NotStarted => "NOT_STARTED",
            Status::Other(s) => s,
        }
    }
}

/// `IdentityType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    Domain,
    EmailAddress,
    Other(String),
}

impl IdentityKind {
    pub fn parse(s: &str) -> Self {
        match s {
            "DOMAIN" => IdentityKind::Domain,
            "EMAIL_ADDRESS" => IdentityKind::EmailAddress,
            other => IdentityKind::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            IdentityKind::Domain => "DOMAIN",
            IdentityKind::EmailAddress => "EMAIL_ADDRESS",
            IdentityKind::Other(s) => s,
        }
    }
}

/// One entry of `ListEmailIdentities`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySummary {
    pub name: String,
    pub kind: IdentityKind,
    pub verification_status: Option<Status>,
    pub sending_enabled: bool,
}

/// `GetEmailIdentity.DkimAttributes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimFacts {
    pub signing_enabled: bool,
    pub status: Option<Status>,
    /// The Easy DKIM tokens: one CNAME each.
    pub tokens: Vec<String>,
    /// Where the CNAMEs point: `<token>.<signing_hosted_zone>`. Never assumed.
    pub signing_hosted_zone: Option<String>,
    /// `AWS_SES` (Easy DKIM) or `EXTERNAL` (BYODKIM) and the regional variants.
    pub origin: Option<String>,
    /// `RSA_1024_BIT` or `RSA_2048_BIT`.
    pub current_key_length: Option<String>,
    pub next_key_length: Option<String>,
    pub last_key_generation: Option<i64>,
}

/// `GetEmailIdentity.MailFromAttributes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFromFacts {
    pub domain: String,
    /// `PENDING`, `SUCCESS`, `FAILED`, `TEMPORARY_FAILURE`.
    pub status: String,
    /// `USE_DEFAULT_VALUE` or `REJECT_MESSAGE`.
    pub behavior_on_mx_failure: String,
}

/// `GetEmailIdentity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesIdentity {
    pub name: String,
    pub kind: IdentityKind,
    pub verification_status: Option<Status>,
    /// `false` while pending: not a failure.
    pub verified_for_sending: bool,
    pub dkim: Option<DkimFacts>,
    pub mail_from: Option<MailFromFacts>,
    pub configuration_set: Option<String>,
    pub tags: Tags,
    /// `VerificationInfo.ErrorType`, e.g. `TYPE_NOT_FOUND`.
    pub verification_error: Option<String>,
}

/// One entry of `ListConfigurationSets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationSet {
    pub name: String,
}

/// A domain registered through Route 53 Domains (`ListDomains`, `GetDomainDetail`,
/// `ListTagsForDomain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredDomain {
    pub name: String,
    pub auto_renew: Option<bool>,
    pub transfer_lock: Option<bool>,
    pub expiry: Option<i64>,
    /// When it was registered (`GetDomainDetail.CreationDate`; `ListDomains` does not say).
    pub created: Option<i64>,
    /// EPP status codes, e.g. `clientTransferProhibited`.
    pub statuses: Vec<String>,
    pub name_servers: Vec<String>,
    pub tags: Tags,
}

/// One entry of `ListOperations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainOperation {
    pub id: String,
    pub domain: Option<String>,
    /// `REGISTER_DOMAIN`, `INTERNAL_TRANSFER_OUT_DOMAIN`, ...
    pub kind: String,
    /// `SUBMITTED`, `IN_PROGRESS`, `SUCCESSFUL`, `FAILED`, `ERROR`.
    pub status: String,
    pub submitted: Option<i64>,
    /// For a registration under way of a domain a library declares: the domain's tags
    /// (`ListTagsForDomain`), so that one bought by an apply killed before it tagged it is
    /// tagged by the next. `None` when not read.
    pub tags: Option<Tags>,
}

/// `CheckDomainAvailability`: only `AVAILABLE` can be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub domain: String,
    pub answer: String,
}

/// One TLD of `ListPrices`, in the currency AWS gives (USD).
#[derive(Debug, Clone, PartialEq)]
pub struct TldPrice {
    pub tld: String,
    pub registration: Option<f64>,
    pub renewal: Option<f64>,
    pub currency: Option<String>,
}

/// A Route 53 hosted zone with its record sets and tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedZone {
    /// Without the `/hostedzone/` prefix.
    pub id: String,
    /// Lower case, without the trailing dot.
    pub name: String,
    pub private: bool,
    pub records: Vec<RecordSet>,
    pub tags: Tags,
}

/// One record set of a hosted zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    /// Lower case, without the trailing dot.
    pub name: String,
    pub rtype: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// The DNS name of an alias target, for alias records.
    pub alias_target: Option<String>,
}
