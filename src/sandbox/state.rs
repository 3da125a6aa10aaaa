//! The sandbox's world as data: everything that survives a restart.
//!
//! Handlers in `ses`, `route53` and `domains` read and change a [`State`]; the
//! HTTP and DNS front ends only lock it. It is serialised as JSON under the
//! state directory so that plan → apply → plan works across runs. Internal
//! format: `version` is bumped when it changes incompatibly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The current format of the state file.
pub(crate) const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    pub version: u32,
    /// Simulated time, seconds since the Unix epoch.
    pub now: i64,
    /// Feeds generated ids and DKIM tokens, so runs are reproducible.
    pub counter: u64,
    pub identities: BTreeMap<String, Identity>,
    pub configuration_sets: BTreeMap<String, ConfigurationSet>,
    pub hosted_zones: Vec<HostedZone>,
    pub changes: BTreeMap<String, Change>,
    /// Zones standing for the libraries' own DNS providers, keyed by FQDN.
    pub external_zones: BTreeMap<String, Zone>,
    pub domains: BTreeMap<String, Domain>,
    pub operations: Vec<Operation>,
    /// Availability answers set at run time, by domain name.
    pub availability: BTreeMap<String, String>,
    /// DynamoDB tables by name (the notice ledger). Absent in state files written before the
    /// sandbox served DynamoDB.
    #[serde(default)]
    pub dynamodb: BTreeMap<String, DynamoTable>,
    /// SES tenants by name. Absent in state files written before the sandbox served them.
    #[serde(default)]
    pub tenants: BTreeMap<String, Tenant>,
    /// The account-level suppression list by address (case kept, as SES keeps it). Absent in
    /// state files written before the sandbox kept it.
    #[serde(default)]
    pub suppressed: BTreeMap<String, Suppressed>,
}

/// An address on a suppression list: why SES put it there, and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Suppressed {
    /// `BOUNCE` or `COMPLAINT`.
    pub reason: String,
    pub at: i64,
}

/// An SES tenant and its reputation entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tenant {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub created_at: i64,
    pub tags: Vec<Tag>,
    /// ARNs of the associated identities and configuration sets.
    pub resources: Vec<String>,
    /// `none`, `standard` or `strict`.
    pub policy: String,
    /// `ENABLED`, `DISABLED`, `REINSTATED`.
    pub customer_status: String,
    pub ses_status: String,
    pub ses_cause: Option<String>,
    /// `HIGH` or `LOW` once SES has a finding.
    pub impact: Option<String>,
    /// `TENANT` when the tenant keeps its own suppression list; `None` (SES's default) or
    /// `ACCOUNT` when it uses the account's.
    #[serde(default)]
    pub suppression_scope: Option<String>,
    /// What SES adds to the tenant's list: `BOUNCE`, `COMPLAINT`.
    #[serde(default)]
    pub suppressed_reasons: Vec<String>,
    /// The tenant's own suppression list; kept when its scope goes back to `ACCOUNT`, as SES
    /// keeps it.
    #[serde(default)]
    pub suppressed: BTreeMap<String, Suppressed>,
}

impl State {
    pub fn new(now: i64) -> Self {
        State {
            version: STATE_VERSION,
            now,
            counter: 0,
            identities: BTreeMap::new(),
            configuration_sets: BTreeMap::new(),
            hosted_zones: Vec::new(),
            changes: BTreeMap::new(),
            external_zones: super::zones::internet_zones(),
            domains: BTreeMap::new(),
            operations: Vec::new(),
            availability: BTreeMap::new(),
            dynamodb: BTreeMap::new(),
            tenants: BTreeMap::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// A fresh pseudo-random number (SplitMix64 over the counter).
    pub fn next_random(&mut self) -> u64 {
        self.counter += 1;
        let mut z = self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` characters from `alphabet`, drawn from [`State::next_random`].
    pub fn random_string(&mut self, alphabet: &[u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut bits = 0u64;
        let mut left = 0;
        for _ in 0..len {
            if left == 0 {
                bits = self.next_random();
                left = 8;
            }
            out.push(alphabet[(bits % alphabet.len() as u64) as usize] as char);
            bits /= alphabet.len() as u64;
            left -= 1;
        }
        out
    }
}

/// A verification state, as SES names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Status {
    #[serde(rename = "PENDING")]
    Pending,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "FAILED")]
    Failed,
    #[serde(rename = "TEMPORARY_FAILURE")]
    TemporaryFailure,
    #[serde(rename = "NOT_STARTED")]
    NotStarted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
            Status::TemporaryFailure => "TEMPORARY_FAILURE",
            Status::NotStarted => "NOT_STARTED",
        }
    }
}

/// Where a status is in SES's checking cycle; `since` is when it was entered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Verification {
    pub status: Status,
    pub since: i64,
    pub last_checked: Option<i64>,
    pub last_success: Option<i64>,
    pub error_type: Option<String>,
}

impl Verification {
    pub fn pending(now: i64) -> Self {
        Verification {
            status: Status::Pending,
            since: now,
            last_checked: None,
            last_success: None,
            error_type: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum IdentityKind {
    Domain,
    EmailAddress,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Identity {
    /// As given at creation.
    pub name: String,
    pub kind: IdentityKind,
    pub created_at: i64,
    pub verification: Verification,
    pub dkim: Dkim,
    pub mail_from: Option<MailFrom>,
    pub configuration_set: Option<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Dkim {
    pub signing_enabled: bool,
    pub tokens: Vec<String>,
    pub signing_hosted_zone: String,
    pub next_key_length: String,
    pub current_key_length: String,
    pub last_key_generation: i64,
    /// When the key length was last changed; SES allows one change a day.
    pub key_length_changed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MailFrom {
    pub domain: String,
    pub behavior_on_mx_failure: String,
    pub verification: Verification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConfigurationSet {
    pub name: String,
    /// The option blocks exactly as given (TrackingOptions, DeliveryOptions, ...).
    pub options: serde_json::Map<String, serde_json::Value>,
    pub tags: Vec<Tag>,
    /// Event destinations as `GetConfigurationSetEventDestinations` answers them; absent in
    /// state files written before the sandbox published events.
    #[serde(default)]
    pub event_destinations: Vec<serde_json::Value>,
}

/// One record set: a name, a type and its values in zone-file presentation
/// form, as Route 53 keeps them (TXT values quoted, names absolute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: u32,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Zone {
    pub name: String,
    pub records: Vec<RecordSet>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct HostedZone {
    /// Without the `/hostedzone/` prefix.
    pub id: String,
    pub caller_reference: String,
    pub comment: Option<String>,
    pub private: bool,
    pub name_servers: Vec<String>,
    pub zone: Zone,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Change {
    pub id: String,
    pub submitted_at: i64,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Domain {
    pub name: String,
    pub operation_id: String,
    pub submitted_at: i64,
    pub expires_at: i64,
    pub auto_renew: bool,
    pub transfer_lock: bool,
    pub admin: serde_json::Value,
    pub registrant: serde_json::Value,
    pub tech: serde_json::Value,
    pub admin_privacy: bool,
    pub registrant_privacy: bool,
    pub tech_privacy: bool,
    pub hosted_zone_id: String,
    /// `UpdateTagsForDomain`'s tags. AWS accepts them once the registration is submitted.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// A transfer lock change asked for: `transfer_lock` takes its value once its operation
    /// is SUCCESSFUL.
    #[serde(default)]
    pub lock_change: Option<LockChange>,
}

/// An `EnableDomainTransferLock` or `DisableDomainTransferLock` and the lock it asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LockChange {
    pub operation_id: String,
    pub lock: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Operation {
    pub id: String,
    pub domain: String,
    pub kind: String,
    pub submitted_at: i64,
    pub in_progress_at: i64,
    pub done_at: i64,
    /// `SUCCESSFUL` or `FAILED`, reached at `done_at`.
    pub outcome: String,
    pub message: Option<String>,
}

impl Operation {
    pub fn status(&self, now: i64) -> &str {
        if now < self.in_progress_at {
            "SUBMITTED"
        } else if now < self.done_at {
            "IN_PROGRESS"
        } else {
            &self.outcome
        }
    }

    pub fn last_updated(&self, now: i64) -> i64 {
        if now < self.in_progress_at {
            self.submitted_at
        } else if now < self.done_at {
            self.in_progress_at
        } else {
            self.done_at
        }
    }
}

/// A DynamoDB item: attribute name → AttributeValue in its JSON form (`{"S": "…"}`).
pub(crate) type Item = serde_json::Map<String, serde_json::Value>;

/// A DynamoDB table with string keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DynamoTable {
    pub name: String,
    pub hash_key: String,
    pub range_key: Option<String>,
    pub billing_mode: String,
    pub created_at: i64,
    /// Partition key → sort key (`""` without one) → item; sorted as DynamoDB sorts string
    /// sort keys (by bytes).
    pub items: BTreeMap<String, BTreeMap<String, Item>>,
}

impl DynamoTable {
    /// The SES event store's layout (`src/events/dynamo.rs`): partition key `pk`, sort key
    /// `sk`, on demand.
    pub fn events(name: &str, now: i64) -> Self {
        DynamoTable {
            hash_key: "pk".into(),
            range_key: Some("sk".into()),
            ..DynamoTable::ledger(name, now)
        }
    }

    /// The notice ledger's layout: partition key `library`, sort key `notice`, on demand.
    pub fn ledger(name: &str, now: i64) -> Self {
        DynamoTable {
            name: name.to_string(),
            hash_key: "library".into(),
            range_key: Some("notice".into()),
            billing_mode: "PAY_PER_REQUEST".into(),
            created_at: now,
            items: BTreeMap::new(),
        }
    }
}
