//! The live-state snapshot: what `mailform refresh` writes and later commands read with
//! `--live FILE`. Versioned JSON with its own types (schema: `schemas/live-snapshot.schema.json`);
//! the internal facts are free to change, this is not.
//!
//! Secrets never enter it: SMTP probes are recorded as time, verdict and codes only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::facts;

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSnapshotV1 {
    pub version: u32,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// The SES region read.
    pub region: String,
    /// The libraries asked for with `--target`; `None` when all were read.
    pub targets: Option<Vec<String>>,
    pub ses: SesV1,
    pub registrar: RegistrarV1,
    pub route53: Route53V1,
    pub libraries: Vec<LibraryV1>,
    /// How much was read live; absent in snapshots from before scoped refreshes.
    #[serde(default)]
    pub refresh: Option<RefreshV1>,
}

/// How a snapshot was read: everything (`full`), or against a baseline (`scoped`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshV1 {
    /// `full` or `scoped`.
    pub mode: String,
    /// When the oldest reused deep read was read live: `taken_at` of a full refresh.
    pub full_read_at: String,
    /// The libraries whose resources were read in depth (all of them in a full refresh).
    pub read_in_depth: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SesV1 {
    pub account: SesAccountV1,
    pub identities: Vec<IdentityV1>,
    pub configuration_sets: Vec<String>,
    /// SES tenants: every one `ListTenants` gives with its reputation; tags and resources
    /// only for those named after a library read in depth. Absent in older snapshots.
    #[serde(default)]
    pub tenants: Vec<TenantV1>,
    /// The platform's events configuration set (`events { configuration-set }`) with its event
    /// destinations: read only when the platform file has an `events` block and the set
    /// exists. Absent in older snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_set: Option<EventSetV1>,
}

/// A configuration set and its event destinations, as `GetConfigurationSetEventDestinations`
/// answers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSetV1 {
    pub name: String,
    pub destinations: Vec<EventDestinationV1>,
}

/// One event destination of a configuration set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDestinationV1 {
    pub name: String,
    pub enabled: bool,
    /// SES's names: `SEND`, `DELIVERY`, `BOUNCE`, `COMPLAINT`, `REJECT`, `DELIVERY_DELAY`, …
    pub event_types: Vec<String>,
    /// The SNS topic it publishes to; `None` for another kind of destination (CloudWatch,
    /// EventBridge, Firehose, Pinpoint).
    pub sns_topic_arn: Option<String>,
}

/// An SES tenant and its reputation entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantV1 {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
    /// `None` when the tenant was not read in depth (it belongs to no library read).
    pub tags: Option<BTreeMap<String, String>>,
    /// The ARNs of the identities and configuration sets associated; `None` as for `tags`.
    pub resources: Option<Vec<String>>,
    /// The SES-managed policy's name: `none`, `standard`, `strict` (or its ARN if unknown).
    pub reputation_policy: Option<String>,
    /// `ENABLED`, `DISABLED`, `REINSTATED`: what the operator set.
    pub customer_managed_status: Option<String>,
    /// The same, as SES set it on its findings, and why.
    pub ses_managed_status: Option<String>,
    pub ses_managed_cause: Option<String>,
    /// What applies: `DISABLED` when either is.
    pub sending_status: Option<String>,
    /// `HIGH` or `LOW`.
    pub reputation_impact: Option<String>,
    /// `TENANT` when it keeps its own suppression list, `ACCOUNT` or absent when it uses the
    /// account's (SES's default). Absent also in snapshots written before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression_scope: Option<String>,
}

#[cfg(test)]
impl TenantV1 {
    /// The tenant of `library` as an apply leaves it: tagged for it, its identity `identity`
    /// associated, the standard policy, sending.
    pub(crate) fn converged(library: &str, identity: &str) -> Self {
        TenantV1 {
            name: library.into(),
            id: None,
            arn: format!("arn:aws:ses:us-east-1:123456789012:tenant/{library}/tn-1"),
            tags: Some(BTreeMap::from([
                ("managed-by".to_string(), "mailform".to_string()),
                ("library".to_string(), library.to_string()),
            ])),
            resources: Some(vec![format!(
                "arn:aws:ses:us-east-1:123456789012:identity/{identity}"
            )]),
            reputation_policy: Some("standard".into()),
            customer_managed_status: Some("ENABLED".into()),
            ses_managed_status: Some("ENABLED".into()),
            ses_managed_cause: None,
            sending_status: Some("ENABLED".into()),
            reputation_impact: None,
            suppression_scope: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SesAccountV1 {
    pub production_access: bool,
    pub sending_enabled: bool,
    pub max_24_hour_send: Option<f64>,
    pub max_send_rate: Option<f64>,
    /// The 12-digit AWS account id (STS `GetCallerIdentity`), read only when a library asks
    /// for a transfer to another AWS account, so the plan can tell a transfer to this very
    /// account; `None` when not read or not answered (then nothing is judged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityV1 {
    pub name: String,
    /// `DOMAIN` or `EMAIL_ADDRESS`.
    pub kind: String,
    /// `PENDING`, `SUCCESS`, `FAILED`, `TEMPORARY_FAILURE`, `NOT_STARTED`.
    pub verification_status: Option<String>,
    pub verified_for_sending: bool,
    pub verification_error: Option<String>,
    pub dkim: Option<DkimV1>,
    pub mail_from: Option<MailFromV1>,
    pub configuration_set: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DkimV1 {
    pub signing_enabled: bool,
    pub status: Option<String>,
    pub tokens: Vec<String>,
    pub signing_hosted_zone: Option<String>,
    pub origin: Option<String>,
    pub current_key_length: Option<String>,
    pub next_key_length: Option<String>,
    pub last_key_generation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailFromV1 {
    pub domain: String,
    pub status: String,
    pub behavior_on_mx_failure: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrarV1 {
    pub domains: Vec<DomainV1>,
    pub operations: Vec<OperationV1>,
    pub availability: Vec<AvailabilityV1>,
    pub prices: Vec<PriceV1>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainV1 {
    pub name: String,
    pub auto_renew: Option<bool>,
    pub transfer_lock: Option<bool>,
    pub expiry: Option<String>,
    /// When it was registered (RFC 3339): the ICANN 60-day lock on a transfer to another
    /// registrar counts from it. Absent in snapshots from before, and when not read in depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub statuses: Vec<String>,
    pub name_servers: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationV1 {
    pub id: String,
    pub domain: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub submitted: Option<String>,
    /// The domain's tags, for a registration under way of a declared managed domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityV1 {
    pub domain: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceV1 {
    pub tld: String,
    pub registration: Option<f64>,
    pub renewal: Option<f64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route53V1 {
    pub hosted_zones: Vec<ZoneV1>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneV1 {
    pub id: String,
    pub name: String,
    pub private: bool,
    pub tags: BTreeMap<String, String>,
    pub records: Vec<RecordV1>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordV1 {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    pub alias_target: Option<String>,
}

/// What was observed for one library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryV1 {
    pub id: String,
    /// `ses-domain`, `smtp-account` or `managed-domain`.
    pub method: String,
    /// The SES identity the library needs (methods 1 and 3).
    pub identity: Option<String>,
    pub dns: Option<DnsV1>,
    pub smtp_probe: Option<ProbeV1>,
    /// The fingerprint of the library's desired state when this was read (see `live::scope`).
    #[serde(default)]
    pub desired: Option<String>,
    /// Why something was not read, e.g. a probe skipped for an unset password variable.
    pub notes: Vec<String>,
}

/// DNS observations and the pure checks' verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsV1 {
    /// Easy DKIM CNAMEs, from the identity's tokens and SigningHostedZone.
    pub dkim: Vec<CheckV1>,
    /// The custom MAIL FROM domain's MX and SPF.
    pub mail_from: Vec<CheckV1>,
    /// Information only: the sending domain's SPF record.
    pub spf: FindingV1,
    /// Information only: the DMARC record governing the sending domain.
    pub dmarc: FindingV1,
    /// The NS records of the zone that holds the sending domain (the library's DNS provider is
    /// recognised from them); absent in snapshots from before, which still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_servers: Option<NameServersV1>,
    pub observations: Vec<ObservationV1>,
}

/// The name servers of a zone, as its NS records name them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameServersV1 {
    /// The zone apex the NS records belong to (the sending domain or a parent of it).
    pub zone: String,
    /// The name server hosts, without the trailing dot, sorted.
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckV1 {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub expected: String,
    /// A stable code: `dns::present`, `dns::missing`, `dns::target-typo`, ...
    pub verdict: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingV1 {
    /// `absent`, `unknown` (the lookup failed), `no-such-domain`, `several`, `invalid` or
    /// `valid`.
    pub finding: String,
    /// What was found, in plain words.
    pub detail: Option<String>,
    /// The named finding, e.g. `spf::too-many-lookups`, `dmarc::policy`; absent in snapshots
    /// from before findings were named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationV1 {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    /// `records`, `nodata`, `nxdomain` or `failed`.
    pub answer: String,
    pub records: Vec<String>,
    pub error: Option<String>,
}

/// An SMTP probe's result: never the password, never the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeV1 {
    pub taken_at: String,
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    pub codes: Vec<String>,
    /// When the server's certificate expires (RFC 3339), when it presented one: the date an
    /// expired or expiring certificate's notice tells. Absent in snapshots written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_expires: Option<String>,
}

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the live snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the live snapshot {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a live snapshot: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path} is a live snapshot of format version {found}, this mailform reads version {VERSION}; run `mailform refresh` again"
    )]
    Version { path: PathBuf, found: u64 },
}

/// The snapshot as pretty JSON with a final newline.
pub fn to_json(snapshot: &LiveSnapshotV1) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}

/// Writes the snapshot atomically (beside the target, then renamed over it).
pub fn write(path: &Path, snapshot: &LiveSnapshotV1) -> Result<(), SnapshotError> {
    let wrap = |source| SnapshotError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mailform-tmp"));
    std::fs::write(&tmp, to_json(snapshot)).map_err(wrap)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        wrap(e)
    })
}

/// Reads a snapshot, checking its version before anything else.
pub fn read(path: &Path) -> Result<LiveSnapshotV1, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses a snapshot's text; `path` is for messages only.
pub fn parse(path: &Path, text: &str) -> Result<LiveSnapshotV1, SnapshotError> {
    let invalid = |message: String| SnapshotError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("not JSON ({e})")))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(found) => {
            return Err(SnapshotError::Version {
                path: path.to_path_buf(),
                found,
            });
        }
        None => return Err(invalid("it has no numeric `version`".into())),
    }
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}

/// RFC 3339 in UTC.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn unix(secs: i64) -> String {
    timestamp(OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

impl LiveSnapshotV1 {
    /// The snapshot of an account that holds nothing yet (production access, sending on), read
    /// at `taken_at` in `region`: where test fixtures start.
    pub fn empty(taken_at: &str, region: &str) -> LiveSnapshotV1 {
        LiveSnapshotV1 {
            version: VERSION,
            taken_at: taken_at.into(),
            region: region.into(),
            targets: None,
            ses: SesV1 {
                account: SesAccountV1 {
                    production_access: true,
                    sending_enabled: true,
                    max_24_hour_send: None,
                    max_send_rate: None,
                    aws_account_id: None,
                },
                identities: vec![],
                configuration_sets: vec![],
                tenants: vec![],
                events_set: None,
            },
            registrar: RegistrarV1 {
                domains: vec![],
                operations: vec![],
                availability: vec![],
                prices: vec![],
            },
            route53: Route53V1 {
                hosted_zones: vec![],
            },
            libraries: vec![],
            refresh: None,
        }
    }
}

impl From<&facts::SesAccount> for SesAccountV1 {
    fn from(a: &facts::SesAccount) -> Self {
        SesAccountV1 {
            production_access: a.production_access,
            sending_enabled: a.sending_enabled,
            max_24_hour_send: a.max_24_hour_send,
            max_send_rate: a.max_send_rate,
            aws_account_id: None,
        }
    }
}

impl From<&facts::SesIdentity> for IdentityV1 {
    fn from(i: &facts::SesIdentity) -> Self {
        IdentityV1 {
            name: i.name.clone(),
            kind: i.kind.as_str().to_string(),
            verification_status: i
                .verification_status
                .as_ref()
                .map(|s| s.as_str().to_string()),
            verified_for_sending: i.verified_for_sending,
            verification_error: i.verification_error.clone(),
            dkim: i.dkim.as_ref().map(|d| DkimV1 {
                signing_enabled: d.signing_enabled,
                status: d.status.as_ref().map(|s| s.as_str().to_string()),
                tokens: d.tokens.clone(),
                signing_hosted_zone: d.signing_hosted_zone.clone(),
                origin: d.origin.clone(),
                current_key_length: d.current_key_length.clone(),
                next_key_length: d.next_key_length.clone(),
                last_key_generation: d.last_key_generation.map(unix),
            }),
            mail_from: i.mail_from.as_ref().map(|m| MailFromV1 {
                domain: m.domain.clone(),
                status: m.status.clone(),
                behavior_on_mx_failure: m.behavior_on_mx_failure.clone(),
            }),
            configuration_set: i.configuration_set.clone(),
            tags: i.tags.clone(),
        }
    }
}

impl From<&facts::RegisteredDomain> for DomainV1 {
    fn from(d: &facts::RegisteredDomain) -> Self {
        DomainV1 {
            name: d.name.clone(),
            auto_renew: d.auto_renew,
            transfer_lock: d.transfer_lock,
            expiry: d.expiry.map(unix),
            created: d.created.map(unix),
            statuses: d.statuses.clone(),
            name_servers: d.name_servers.clone(),
            tags: d.tags.clone(),
        }
    }
}

impl From<&facts::DomainOperation> for OperationV1 {
    fn from(o: &facts::DomainOperation) -> Self {
        OperationV1 {
            id: o.id.clone(),
            domain: o.domain.clone(),
            kind: o.kind.clone(),
            status: o.status.clone(),
            submitted: o.submitted.map(unix),
            tags: o.tags.clone(),
        }
    }
}

impl From<&facts::HostedZone> for ZoneV1 {
    fn from(z: &facts::HostedZone) -> Self {
        ZoneV1 {
            id: z.id.clone(),
            name: z.name.clone(),
            private: z.private,
            tags: z.tags.clone(),
            records: z
                .records
                .iter()
                .map(|r| RecordV1 {
                    name: r.name.clone(),
                    rtype: r.rtype.clone(),
                    ttl: r.ttl,
                    values: r.values.clone(),
                    alias_target: r.alias_target.clone(),
                })
                .collect(),
        }
    }
}
