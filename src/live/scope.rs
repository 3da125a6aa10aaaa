//! Refresh scope: which deep reads a refresh may take from a previous snapshot (the baseline)
//! instead of asking AWS again. Pure: no I/O, only comparisons.
//!
//! The rule, so that a plan over a converged estate of a thousand libraries does not make a
//! thousand `GetEmailIdentity` calls at SES's one request a second:
//!
//! * list-level state is always read live: `ListEmailIdentities` (every identity's name and
//!   verification status), `ListDomains` (auto-renew, transfer lock, expiry),
//!   `ListHostedZones`, `ListOperations`, the account and the configuration sets, prices and
//!   availability;
//! * every SES tenant's sending status, policy and reputation impact are list-level
//!   (`ListTenants`, `ListReputationEntities`), so a pause by SES is always seen; a tenant's
//!   tags and resources are a deep read, reused for settled libraries;
//! * DNS is always asked live for every library, and SMTP accounts are always probed;
//! * a deep read (`GetEmailIdentity`, `GetDomainDetail`, a zone's records and tags) is reused
//!   from the baseline only when the resource is *settled*: it is in the baseline, its
//!   list-level state is unchanged (an identity must be `SUCCESS` in both), and it belongs to
//!   no *dirty* library;
//! * a library is dirty when the baseline has no record of it, when its desired state (its file
//!   and the platform settings, as a fingerprint) changed since the baseline, when it was not
//!   settled in the baseline (planning the files against the baseline gives it changes,
//!   deletions or something in progress: apply may have changed its resources since), or when
//!   its DNS verdicts now differ from the baseline's (a record removed or changed): a dirty
//!   library's resources are read in depth and its DNS judged again with what that read found.
//!
//! What a scoped refresh cannot see is an out-of-band change to a settled resource that shows
//! neither in the list calls nor in DNS: say, a MAIL FROM domain or configuration set changed
//! by hand in the console on an identity that stays verified. The scheduled drift check runs
//! with `--refresh full`, which reads everything, and catches those within a day.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Config, Date, DeliveryMethod, Library, Platform};
use crate::plan::planner::{self, PlanOptions};
use crate::plan::saved::sha256;

use super::facts::{HostedZone, IdentitySummary, RegisteredDomain, Status};
use super::snapshot::{DnsV1, DomainV1, IdentityV1, LibraryV1, LiveSnapshotV1, TenantV1, ZoneV1};

/// The fingerprint of what a library asks for, platform settings included. Stored per library
/// in every snapshot; a different fingerprint makes the library dirty. Built from the model's
/// `Debug` form: a mailform whose model prints differently reads every library in depth once,
/// which is the safe direction.
pub fn desired_fingerprint(platform: &Platform, library: &Library) -> String {
    sha256(format!("{platform:?}\n{library:?}").as_bytes())
}

/// A previous snapshot, and the libraries that had not settled in it.
#[derive(Debug, Clone)]
pub struct Baseline<'a> {
    pub snapshot: &'a LiveSnapshotV1,
    /// Libraries whose plan against the baseline has changes, deletions or something in
    /// progress: what apply (or time) may have changed since, so their resources are read again.
    pub unsettled: BTreeSet<String>,
}

impl<'a> Baseline<'a> {
    /// Plans the files against `snapshot` (pure) to find the libraries that had not settled.
    pub fn new(config: &Config, snapshot: &'a LiveSnapshotV1, today: Date) -> Self {
        let plan = planner::plan(
            config,
            snapshot,
            &PlanOptions {
                today,
                handover_grace: planner::HANDOVER_GRACE_SECS,
            },
        );
        let unsettled = plan
            .libraries
            .iter()
            .filter(|l| {
                !l.changes.is_empty() || !l.deletions.is_empty() || !l.in_progress.is_empty()
            })
            .map(|l| l.library.clone())
            .collect();
        Baseline {
            snapshot,
            unsettled,
        }
    }
}

/// Which deep reads may come from the baseline.
pub struct Scope<'a> {
    baseline: Option<&'a LiveSnapshotV1>,
    /// Resource names (identities, domains, zones) of dirty libraries.
    dirty_names: BTreeSet<String>,
    dirty_libraries: BTreeSet<String>,
}

impl<'a> Scope<'a> {
    /// Everything read in depth.
    pub fn full() -> Self {
        Scope {
            baseline: None,
            dirty_names: BTreeSet::new(),
            dirty_libraries: BTreeSet::new(),
        }
    }

    /// Scoped against `baseline`; `libraries` are the ones this refresh covers. A baseline of
    /// another region is no baseline at all.
    pub fn scoped(config: &Config, libraries: &[&Library], baseline: &Baseline<'a>) -> Self {
        let unsettled = &baseline.unsettled;
        let baseline = baseline.snapshot;
        if baseline.region != config.platform.aws_region {
            return Scope::full();
        }
        let before: BTreeMap<&str, &LibraryV1> = baseline
            .libraries
            .iter()
            .map(|l| (l.id.as_str(), l))
            .collect();
        let mut scope = Scope {
            baseline: Some(baseline),
            dirty_names: BTreeSet::new(),
            dirty_libraries: BTreeSet::new(),
        };
        for library in libraries {
            let now = desired_fingerprint(&config.platform, library);
            let same = before
                .get(library.id.as_str())
                .and_then(|b| b.desired.as_deref())
                .is_some_and(|then| then == now);
            if !same || unsettled.contains(library.id.as_str()) {
                scope.mark_dirty(library);
            }
        }
        scope
    }

    /// Whether a baseline is in use at all.
    pub fn is_scoped(&self) -> bool {
        self.baseline.is_some()
    }

    /// When the reused deep reads were last read in full: the baseline's own full read.
    pub fn full_read_at(&self) -> Option<String> {
        let b = self.baseline?;
        Some(
            b.refresh
                .as_ref()
                .map_or_else(|| b.taken_at.clone(), |r| r.full_read_at.clone()),
        )
    }

    pub fn mark_dirty(&mut self, library: &Library) {
        self.dirty_libraries.insert(library.id.as_str().to_string());
        self.dirty_names.extend(resource_names(library));
    }

    pub fn is_dirty(&self, library: &Library) -> bool {
        self.baseline.is_none() || self.dirty_libraries.contains(library.id.as_str())
    }

    /// The libraries read in depth, sorted.
    pub fn dirty_libraries(&self) -> impl Iterator<Item = &str> {
        self.dirty_libraries.iter().map(String::as_str)
    }

    /// The baseline's deep read of a listed identity, when it has settled.
    pub fn identity(&self, listed: &IdentitySummary) -> Option<IdentityV1> {
        if self.dirty_names.contains(&listed.name)
            || listed.verification_status != Some(Status::Success)
        {
            return None;
        }
        self.baseline?
            .ses
            .identities
            .iter()
            .find(|i| i.name == listed.name && i.verification_status.as_deref() == Some("SUCCESS"))
            .cloned()
    }

    /// The baseline's SES identities that belong to no dirty library, by name: what the DNS
    /// questions of settled libraries (their DKIM tokens) can be asked from before the list
    /// calls say whether the identities are still there and verified.
    pub fn settled_identities(&self) -> BTreeMap<String, IdentityV1> {
        let Some(baseline) = self.baseline else {
            return BTreeMap::new();
        };
        baseline
            .ses
            .identities
            .iter()
            .filter(|i| !self.dirty_names.contains(&i.name))
            .map(|i| (i.name.clone(), i.clone()))
            .collect()
    }

    /// The baseline's deep read of a listed domain, when its list-level state is unchanged.
    pub fn domain(&self, listed: &RegisteredDomain) -> Option<DomainV1> {
        if self.dirty_names.contains(&listed.name) {
            return None;
        }
        let now = DomainV1::from(listed);
        self.baseline?
            .registrar
            .domains
            .iter()
            .find(|d| {
                d.name == now.name
                    && d.auto_renew == now.auto_renew
                    && d.transfer_lock == now.transfer_lock
                    && d.expiry == now.expiry
            })
            .cloned()
    }

    /// The baseline's tags and resources of a settled library's tenant, when it is the same
    /// tenant (its ARN unchanged) and was read in depth then.
    pub fn tenant(&self, library: &Library, arn: &str) -> Option<TenantV1> {
        if self.is_dirty(library) {
            return None;
        }
        self.baseline?
            .ses
            .tenants
            .iter()
            .find(|t| t.arn == arn && t.tags.is_some() && t.resources.is_some())
            .cloned()
    }

    /// The baseline's records and tags of a listed zone, when it is the same zone.
    pub fn zone(&self, listed: &HostedZone) -> Option<ZoneV1> {
        if self.dirty_names.contains(&listed.name) {
            return None;
        }
        self.baseline?
            .route53
            .hosted_zones
            .iter()
            .find(|z| z.id == listed.id && z.name == listed.name && z.private == listed.private)
            .cloned()
    }

    /// Whether a settled library's DNS verdicts now differ from the baseline's: a record was
    /// removed, changed or fixed since, so its resources must be read again.
    pub fn dns_moved(&self, library: &Library, now: Option<&DnsV1>) -> bool {
        let Some(baseline) = self.baseline else {
            return false;
        };
        let then = baseline
            .libraries
            .iter()
            .find(|l| l.id == library.id.as_str())
            .and_then(|l| l.dns.as_ref());
        let verdicts = |d: Option<&DnsV1>| {
            d.map(|d| {
                d.dkim
                    .iter()
                    .chain(&d.mail_from)
                    .map(|c| (c.name.clone(), c.rtype.clone(), c.verdict.clone()))
                    .collect::<Vec<_>>()
            })
        };
        verdicts(then) != verdicts(now)
    }
}

/// The SES identity, registered domain and hosted zone a library's method involves.
pub fn resource_names(library: &Library) -> Vec<String> {
    let mut names: Vec<String> = library
        .method
        .ses_identity()
        .map(|d| d.as_str().to_string())
        .into_iter()
        .collect();
    if let DeliveryMethod::ManagedDomain(m) = &library.method {
        names.push(m.domain.as_str().to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::facts::IdentityKind;
    use crate::live::snapshot::{DkimV1, SesV1};
    use crate::model::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 26,
    };

    fn config(region: &str, key_length_a: DkimKeyLength) -> Config {
        let ses = |id: &str, key: DkimKeyLength| Library {
            id: LibraryId::parse(id).unwrap(),
            name: id.into(),
            it_contact: EmailAddress::parse("it@example.org").unwrap(),
            launch: None,
            time_zone: None,
            method: DeliveryMethod::SesDomain(SesDomain {
                from: EmailAddress::parse(&format!("noreply@{id}.example.org")).unwrap(),
                dkim_key_length: key,
                mail_from: None,
                configuration_set: None,
                adopt: false,
                tenant: TenantSettings {
                    reputation_policy: ReputationPolicy::Standard,
                    sending: TenantSending::Enabled,
                    suppression: Some(crate::model::SuppressionScope::Account),
                },
            }),
        };
        Config {
            platform: Platform {
                aws_region: region.into(),
                tags: Default::default(),
                notice_period_days: 14,
                default_price_cap: Usd::from_cents(2000),
                domain_quota: crate::model::DEFAULT_DOMAIN_QUOTA,
                registrant: None,
                notices: None,
                tenants: Some(TenantDefaults {
                    reputation_policy: ReputationPolicy::Standard,
                    suppression: crate::model::SuppressionScope::Account,
                    price_per_month: None,
                }),
                events: None,
            },
            libraries: vec![ses("a", key_length_a), ses("b", DkimKeyLength::Rsa2048)],
        }
    }

    /// What a full refresh of `config` saw: both identities as `status`, with 2048-bit keys.
    fn baseline(config: &Config, status: &str) -> LiveSnapshotV1 {
        let identity = |id: &str| IdentityV1 {
            name: format!("{id}.example.org"),
            kind: "DOMAIN".into(),
            verification_status: Some(status.into()),
            verified_for_sending: status == "SUCCESS",
            verification_error: None,
            dkim: Some(DkimV1 {
                signing_enabled: true,
                status: Some(status.into()),
                tokens: vec!["t1".into(), "t2".into(), "t3".into()],
                signing_hosted_zone: Some("dkim.amazonses.com".into()),
                origin: Some("AWS_SES".into()),
                current_key_length: Some("RSA_2048_BIT".into()),
                next_key_length: Some("RSA_2048_BIT".into()),
                last_key_generation: None,
            }),
            mail_from: None,
            configuration_set: None,
            tags: BTreeMap::from([
                ("managed-by".to_string(), "mailform".to_string()),
                ("library".to_string(), id.to_string()),
            ]),
        };
        let tenant = |id: &str| TenantV1::converged(id, &format!("{id}.example.org"));
        LiveSnapshotV1 {
            ses: SesV1 {
                identities: vec![identity("a"), identity("b")],
                tenants: vec![tenant("a"), tenant("b")],
                ..LiveSnapshotV1::empty("", "").ses
            },
            libraries: config
                .libraries
                .iter()
                .map(|l| LibraryV1 {
                    id: l.id.as_str().into(),
                    method: "ses-domain".into(),
                    identity: l.method.ses_identity().map(|d| d.to_string()),
                    dns: None,
                    smtp_probe: None,
                    desired: Some(desired_fingerprint(&config.platform, l)),
                    notes: vec![],
                })
                .collect(),
            ..LiveSnapshotV1::empty("2026-11-26T03:00:00Z", &config.platform.aws_region)
        }
    }

    fn listed(id: &str, status: Status) -> IdentitySummary {
        IdentitySummary {
            name: format!("{id}.example.org"),
            kind: IdentityKind::Domain,
            verification_status: Some(status),
            sending_enabled: true,
        }
    }

    fn scope<'a>(config: &Config, baseline: &'a Baseline<'a>) -> Scope<'a> {
        let libraries: Vec<&Library> = config.libraries.iter().collect();
        Scope::scoped(config, &libraries, baseline)
    }

    #[test]
    fn a_settled_identity_is_reused_and_an_edited_librarys_is_read() {
        let then = config("eu-west-1", DkimKeyLength::Rsa2048);
        let snapshot = baseline(&then, "SUCCESS");
        let same = Baseline::new(&then, &snapshot, TODAY);
        assert!(same.unsettled.is_empty(), "{:?}", same.unsettled);
        let s = scope(&then, &same);
        assert!(s.is_scoped());
        assert!(s.identity(&listed("a", Status::Success)).is_some());
        assert!(s.identity(&listed("b", Status::Success)).is_some());
        // Not verified now: read.
        assert!(s.identity(&listed("a", Status::TemporaryFailure)).is_none());

        // Library a asks for 1024-bit keys now: its file changed, and planning it against the
        // baseline gives it a change; either makes it dirty.
        let now = config("eu-west-1", DkimKeyLength::Rsa1024);
        let edited = Baseline::new(&now, &snapshot, TODAY);
        assert_eq!(edited.unsettled, BTreeSet::from(["a".to_string()]));
        let s = scope(&now, &edited);
        assert!(s.identity(&listed("a", Status::Success)).is_none());
        assert!(s.identity(&listed("b", Status::Success)).is_some());
        assert_eq!(s.dirty_libraries().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn an_identity_not_verified_in_the_baseline_is_read() {
        let c = config("eu-west-1", DkimKeyLength::Rsa2048);
        let snapshot = baseline(&c, "PENDING");
        let b = Baseline::new(&c, &snapshot, TODAY);
        // Pending verification is work in progress: both libraries are unsettled.
        assert_eq!(b.unsettled.len(), 2, "{:?}", b.unsettled);
        assert!(
            scope(&c, &b)
                .identity(&listed("a", Status::Success))
                .is_none()
        );
    }

    #[test]
    fn a_baseline_of_another_region_reads_everything() {
        let c = config("eu-west-1", DkimKeyLength::Rsa2048);
        let snapshot = baseline(&config("us-east-1", DkimKeyLength::Rsa2048), "SUCCESS");
        let b = Baseline::new(&c, &snapshot, TODAY);
        let s = scope(&c, &b);
        assert!(!s.is_scoped());
        assert!(s.identity(&listed("a", Status::Success)).is_none());
    }

    #[test]
    fn a_domain_is_reused_only_with_the_same_list_state() {
        let c = config("eu-west-1", DkimKeyLength::Rsa2048);
        let mut snapshot = baseline(&c, "SUCCESS");
        snapshot.registrar.domains.push(DomainV1 {
            name: "other.example".into(),
            auto_renew: Some(true),
            transfer_lock: Some(true),
            expiry: Some("2027-11-26T00:00:00Z".into()),
            created: None,
            statuses: vec!["clientTransferProhibited".into()],
            name_servers: vec!["ns-1.awsdns-01.org".into()],
            tags: BTreeMap::new(),
        });
        let b = Baseline::new(&c, &snapshot, TODAY);
        let s = scope(&c, &b);
        let mut listed = RegisteredDomain {
            name: "other.example".into(),
            auto_renew: Some(true),
            transfer_lock: Some(true),
            expiry: Some(1_827_187_200),
            created: None,
            statuses: vec![],
            name_servers: vec![],
            tags: BTreeMap::new(),
        };
        let kept = s.domain(&listed).expect("same list state: reused");
        assert_eq!(kept.name_servers, ["ns-1.awsdns-01.org"]);
        listed.auto_renew = Some(false);
        assert!(
            s.domain(&listed).is_none(),
            "auto-renew changed: read again"
        );
    }
}
