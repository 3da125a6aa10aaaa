//! Ownership: which live resources mailform may change. Pure.
//!
//! Everything mailform creates carries `managed-by=mailform` and `library=<id>` (plus the
//! platform's tags). A resource without them was made by someone else and is only ever read,
//! unless the library that wants it says `adopt #true` in its `ses-domain` or `managed-domain`
//! block: adoption is an explicit act in a reviewed file, never inferred. A registered domain is
//! judged by its Route 53 Domains tags, written right after mailform registers it.

use std::collections::HashMap;

use crate::model::{Config, DeliveryMethod, Library, LibraryId};

use super::facts::Tags;

/// The tag that marks what mailform created.
pub const MANAGED_BY_KEY: &str = "managed-by";
pub const MANAGED_BY_VALUE: &str = "mailform";
/// The tag that names the library a resource belongs to.
pub const LIBRARY_KEY: &str = "library";

/// Tag on a registered domain, written right *before* mailform asks AWS for a handover secret
/// (a transfer password, an auth code): `<what>@<unix seconds>`. Its presence without the
/// matching [`SECRET_KEPT_KEY`] means the answer may have come and been lost.
pub const HANDOVER_INTENT_KEY: &str = "mailform-handover-intent";
/// Tag on a registered domain, written right *after* the secret was kept in a file: the
/// operation id of the transfer whose password is kept, or `auth-code@<unix seconds>`.
pub const SECRET_KEPT_KEY: &str = "mailform-secret-kept";
/// The value of [`SECRET_KEPT_KEY`] once an auth code was kept (its prefix; a time follows).
pub const AUTH_CODE_KEPT: &str = "auth-code@";

/// The tags mailform puts on what it creates for `library`: the platform's, then its own
/// (which win over a platform tag of the same key).
pub fn tags_for(config: &Config, library: &LibraryId) -> Tags {
    let mut tags = config.platform.tags.clone();
    tags.insert(MANAGED_BY_KEY.into(), MANAGED_BY_VALUE.into());
    tags.insert(LIBRARY_KEY.into(), library.as_str().into());
    tags
}

/// The kinds of live resource mailform reasons about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    SesIdentity,
    HostedZone,
    RegisteredDomain,
    /// Named after the library id; wanted by a library that sends through SES.
    SesTenant,
}

/// Where a live resource stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// Tagged by mailform for this library, which still wants it.
    Managed { library: LibraryId },
    /// Tagged by mailform for a library that no longer wants it (removed or changed method),
    /// and no other library declares it.
    Orphaned { library: String },
    /// Tagged by mailform for `from`, and now declared by another library `to` (a file renamed,
    /// or the domain moved between files): re-tagged, never deleted and created anew, so the
    /// records the library installed keep working.
    Moved { from: String, to: LibraryId },
    /// Not tagged by mailform, wanted by a library that said `adopt #true`.
    Adoptable { library: LibraryId },
    /// Not mailform's: read only. `wanted_by` names a library whose desired resource this is
    /// (a conflict to report, resolved only by `adopt #true`).
    Unmanaged { wanted_by: Option<LibraryId> },
}

impl Ownership {
    /// Whether mailform may change the resource.
    pub fn may_change(&self) -> bool {
        matches!(
            self,
            Ownership::Managed { .. } | Ownership::Adoptable { .. } | Ownership::Moved { .. }
        )
    }
}

/// Which library wants each SES identity and each registered domain: built once, so
/// classifying every live resource of a large estate stays linear.
pub struct Wanted<'a> {
    identities: HashMap<String, &'a Library>,
    domains: HashMap<String, &'a Library>,
    tenants: HashMap<String, &'a Library>,
}

impl<'a> Wanted<'a> {
    pub fn new(config: &'a Config) -> Self {
        let (mut identities, mut domains, mut tenants) =
            (HashMap::new(), HashMap::new(), HashMap::new());
        for l in &config.libraries {
            if config.tenant_of(l).is_some() {
                tenants.insert(l.id.as_str().to_string(), l);
            }
            if let Some(d) = l.method.ses_identity() {
                identities.entry(d.as_str().to_string()).or_insert(l);
            }
            if let DeliveryMethod::ManagedDomain(m) = &l.method {
                domains.entry(m.domain.as_str().to_string()).or_insert(l);
            }
        }
        Wanted {
            identities,
            domains,
            tenants,
        }
    }

    /// The library (if any) whose desired state includes a resource of this kind and name.
    pub fn get(&self, kind: ResourceKind, name: &str) -> Option<&'a Library> {
        if kind == ResourceKind::SesTenant {
            return self.tenants.get(name).copied();
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match kind {
            ResourceKind::SesTenant => None,
            ResourceKind::SesIdentity => self.identities.get(&name).copied(),
            ResourceKind::HostedZone | ResourceKind::RegisteredDomain => {
                self.domains.get(&name).copied()
            }
        }
    }
}

/// The library (if any) whose desired state includes a resource of this kind and name.
pub fn wanted_by<'a>(config: &'a Config, kind: ResourceKind, name: &str) -> Option<&'a Library> {
    Wanted::new(config).get(kind, name)
}

/// Classifies one live resource against the desired state.
pub fn classify(config: &Config, kind: ResourceKind, name: &str, tags: &Tags) -> Ownership {
    classify_in(&Wanted::new(config), kind, name, tags)
}

/// [`classify`] against an index built once for many resources.
pub fn classify_in(wanted: &Wanted<'_>, kind: ResourceKind, name: &str, tags: &Tags) -> Ownership {
    let wanted = wanted.get(kind, name);
    let ours = tags.get(MANAGED_BY_KEY).map(String::as_str) == Some(MANAGED_BY_VALUE);
    match (ours, tags.get(LIBRARY_KEY), wanted) {
        (true, Some(tagged), Some(library)) if tagged == library.id.as_str() => {
            Ownership::Managed {
                library: library.id.clone(),
            }
        }
        (true, Some(tagged), Some(library)) => Ownership::Moved {
            from: tagged.clone(),
            to: library.id.clone(),
        },
        (true, Some(tagged), None) => Ownership::Orphaned {
            library: tagged.clone(),
        },
        // Ours but without a library tag: never delete what we cannot attribute.
        (true, None, wanted) => Ownership::Unmanaged {
            wanted_by: wanted.map(|l| l.id.clone()),
        },
        (false, _, Some(library)) if adopts(library) => Ownership::Adoptable {
            library: library.id.clone(),
        },
        (false, _, wanted) => Ownership::Unmanaged {
            wanted_by: wanted.map(|l| l.id.clone()),
        },
    }
}

fn adopts(library: &Library) -> bool {
    match &library.method {
        DeliveryMethod::SesDomain(m) => m.adopt,
        DeliveryMethod::ManagedDomain(m) => m.adopt,
        DeliveryMethod::SmtpAccount(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use std::collections::BTreeMap;

    fn library(id: &str, domain: &str, adopt: bool) -> Library {
        Library {
            id: LibraryId::parse(id).unwrap(),
            name: id.into(),
            it_contact: EmailAddress::parse("it@example.org").unwrap(),
            launch: None,
            time_zone: None,
            method: DeliveryMethod::SesDomain(SesDomain {
                from: EmailAddress::parse(&format!("noreply@{domain}")).unwrap(),
                dkim_key_length: DkimKeyLength::Rsa2048,
                mail_from: None,
                configuration_set: None,
                adopt,
                tenant: TenantSettings {
                    reputation_policy: ReputationPolicy::Standard,
                    sending: TenantSending::Enabled,
                    suppression: Some(crate::model::SuppressionScope::Account),
                },
            }),
        }
    }

    fn config() -> Config {
        Config {
            platform: Platform {
                aws_region: "eu-west-1".into(),
                tags: BTreeMap::from([("team".into(), "platform".into())]),
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
            libraries: vec![
                library("springfield", "springfield.example.org", false),
                library("shelbyville", "shelbyville.example.org", true),
            ],
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tags_carry_platform_tags_and_ownership() {
        let c = config();
        let t = tags_for(&c, &c.libraries[0].id);
        assert_eq!(
            t,
            tags(&[
                ("library", "springfield"),
                ("managed-by", "mailform"),
                ("team", "platform")
            ])
        );
    }

    #[test]
    fn classification() {
        let c = config();
        let id = |s: &str| LibraryId::parse(s).unwrap();
        let kind = ResourceKind::SesIdentity;
        let ours = tags(&[("managed-by", "mailform"), ("library", "springfield")]);
        assert_eq!(
            classify(&c, kind, "springfield.example.org", &ours),
            Ownership::Managed {
                library: id("springfield")
            }
        );
        // Tagged for springfield but springfield wants another domain: orphaned.
        assert_eq!(
            classify(&c, kind, "old.example.org", &ours),
            Ownership::Orphaned {
                library: "springfield".into()
            }
        );
        // Someone else's identity on a domain springfield wants: read only, a conflict.
        assert_eq!(
            classify(
                &c,
                kind,
                "springfield.example.org",
                &tags(&[("owner", "marketing")])
            ),
            Ownership::Unmanaged {
                wanted_by: Some(id("springfield"))
            }
        );
        // The same for shelbyville, which said `adopt #true`.
        assert_eq!(
            classify(&c, kind, "Shelbyville.example.org.", &Tags::new()),
            Ownership::Adoptable {
                library: id("shelbyville")
            }
        );
        // Tagged by another tool with our key but another value: not ours.
        assert_eq!(
            classify(
                &c,
                kind,
                "unrelated.example.org",
                &tags(&[("managed-by", "terraform")])
            ),
            Ownership::Unmanaged { wanted_by: None }
        );
        // Adoption is for SES identities only: a hosted zone of that name is not adoptable.
        assert_eq!(
            classify(
                &c,
                ResourceKind::HostedZone,
                "shelbyville.example.org",
                &Tags::new()
            ),
            Ownership::Unmanaged { wanted_by: None }
        );
        assert!(!Ownership::Unmanaged { wanted_by: None }.may_change());
    }
}
