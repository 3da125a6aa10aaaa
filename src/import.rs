//! `mailform import`: live resources → library drafts. Pure: the live snapshot and the files
//! already declared in, [`Draft`]s and what was left out (with why) out.
//!
//! Attribution follows ownership ([`crate::live::ownership`]): a resource tagged
//! `managed-by=mailform` with a `library` tag that is a valid library id belongs to that library;
//! anything else is untagged and becomes a library of its own, named after its domain, with
//! `adopt #true` (so the plan that follows shows the adoption tags, and only those, as changes).
//! A registered domain becomes a `managed-domain` library together with the SES identity of the
//! same name; every other domain identity a `ses-domain` library. What live state cannot say
//! is never guessed where a notice would use it: the IT contact and the outgoing address are
//! placeholders on `.invalid` (`config::placeholder`, which `plan`, `apply` and `notify` refuse),
//! each under a `// TODO(operator):` line; the library's name is the domain, marked `// CHECK:`.
//! A guessed address would pass `validate` and the next `notify` would mail it.
//!
//! A resource another team tagged as theirs (an `owner` tag) is left alone: neither adopted
//! nor re-tagged, and said so.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::values::PLACEHOLDER_TLD;
use crate::draft::{Draft, Field, Value};
use crate::live::facts::Tags;
use crate::live::ownership::{LIBRARY_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE};
use crate::live::snapshot::LiveSnapshotV1;
use crate::model::{Config, LibraryId, SuppressionScope};

/// The tag by which another team marks a resource as theirs; import never takes one over.
pub const OWNER_KEY: &str = "owner";

/// The team that tagged a resource as theirs, unless that is mailform.
fn other_owner(tags: &Tags) -> Option<&str> {
    let owner = tags
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(OWNER_KEY))
        .map(|(_, v)| v.as_str())?;
    (!owner.eq_ignore_ascii_case(MANAGED_BY_VALUE)).then_some(owner)
}

/// Why a resource named `name` is left to the team that owns it.
fn owned_elsewhere(kind: &'static str, name: &str, owner: &str) -> Skipped {
    Skipped {
        kind,
        name: name.into(),
        why: format!(
            "tagged `{OWNER_KEY}={owner}`: another team's, neither adopted nor re-tagged (declare it with `adopt #true` yourself once that team agrees)"
        ),
    }
}

/// An address on the placeholder domain: `it@springfield.example.org.invalid`.
fn placeholder_address(local: &str, domain: &str) -> String {
    format!("{local}@{domain}.{PLACEHOLDER_TLD}")
}

const TODO: &str = "TODO(operator):";

/// The live resources import looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estate {
    pub identities: Vec<Identity>,
    pub domains: Vec<Domain>,
    pub zones: Vec<Zone>,
    pub tenants: Vec<Tenant>,
}

/// An SES tenant read in depth: whose it is, and what a library file can say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub name: String,
    pub tags: Tags,
    /// `none`, `standard`, `strict`.
    pub reputation_policy: Option<String>,
    /// The customer-managed status: `DISABLED` is a library paused by the operator.
    pub customer_managed_status: Option<String>,
    /// `TENANT` when it keeps its own suppression list; `ACCOUNT` or `None` for the account's.
    pub suppression_scope: Option<String>,
}

/// An SES identity, as far as a library file can say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    /// `DOMAIN` or `EMAIL_ADDRESS`.
    pub kind: String,
    /// The key length SES signs with next (`RSA_1024_BIT`, `RSA_2048_BIT`).
    pub key_length: Option<String>,
    pub mail_from: Option<String>,
    pub configuration_set: Option<String>,
    pub tags: Tags,
}

/// A domain registered through Route 53 Domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    pub auto_renew: Option<bool>,
    pub tags: Tags,
}

/// A public or private hosted zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub private: bool,
    pub tags: Tags,
}

impl From<&LiveSnapshotV1> for Estate {
    fn from(live: &LiveSnapshotV1) -> Self {
        Estate {
            identities: live
                .ses
                .identities
                .iter()
                .map(|i| Identity {
                    name: i.name.clone(),
                    kind: i.kind.clone(),
                    key_length: i
                        .dkim
                        .as_ref()
                        .and_then(|d| d.next_key_length.clone().or(d.current_key_length.clone())),
                    mail_from: i.mail_from.as_ref().map(|m| m.domain.clone()),
                    configuration_set: i.configuration_set.clone(),
                    tags: i.tags.clone(),
                })
                .collect(),
            domains: live
                .registrar
                .domains
                .iter()
                .map(|d| Domain {
                    name: d.name.clone(),
                    auto_renew: d.auto_renew,
                    tags: d.tags.clone(),
                })
                .collect(),
            zones: live
                .route53
                .hosted_zones
                .iter()
                .map(|z| Zone {
                    name: z.name.clone(),
                    private: z.private,
                    tags: z.tags.clone(),
                })
                .collect(),
            tenants: live
                .ses
                .tenants
                .iter()
                .filter_map(|t| {
                    Some(Tenant {
                        name: t.name.clone(),
                        tags: t.tags.clone()?,
                        reputation_policy: t.reputation_policy.clone(),
                        customer_managed_status: t.customer_managed_status.clone(),
                        suppression_scope: t.suppression_scope.clone(),
                    })
                })
                .collect(),
        }
    }
}

/// What import makes of an estate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    /// One per library, sorted by id.
    pub drafts: Vec<Draft>,
    /// Resources left out, each with why.
    pub skipped: Vec<Skipped>,
}

/// A live resource import wrote no file for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `ses-identity`, `domain`, `hosted-zone` or `ses-tenant`.
    pub kind: &'static str,
    pub name: String,
    pub why: String,
}

/// The library a mailform tag names, when the resource is mailform's.
fn tagged_library(tags: &Tags) -> Option<Result<LibraryId, String>> {
    if tags.get(MANAGED_BY_KEY).map(String::as_str) != Some(MANAGED_BY_VALUE) {
        return None;
    }
    let tag = tags.get(LIBRARY_KEY)?;
    Some(LibraryId::parse(tag).map_err(|_| tag.clone()))
}

/// A library id made from a domain: its labels joined by hyphens (`springfield.example.org` →
/// `springfield-example-org`), at most 63 characters.
pub fn id_from_domain(domain: &str) -> LibraryId {
    let mut id: String = domain
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    id.truncate(63);
    let id = id.trim_matches('-');
    LibraryId::parse(id).unwrap_or_else(|_| LibraryId::parse("imported").expect("a valid id"))
}

/// Who a group of resources belongs to, and whether any of them needs adopting.
struct Attribution {
    id: LibraryId,
    /// A resource has no ownership tags of mailform's: the file says `adopt #true`.
    adopt: bool,
    notes: Vec<String>,
}

/// Decides the library ids, never one of `taken` or one given before.
struct Ids<'a> {
    taken: &'a BTreeSet<String>,
    given: BTreeSet<String>,
}

impl Ids<'_> {
    fn free(&self, id: &str) -> bool {
        !self.taken.contains(id) && !self.given.contains(id)
    }

    /// The library for resources named `domain` with these tags (the first tagged wins).
    fn attribute(&mut self, domain: &str, tags: &[&Tags], untagged: bool) -> Attribution {
        let mut notes = Vec::new();
        let claimed = tags.iter().find_map(|t| tagged_library(t));
        let id = match claimed {
            Some(Ok(id)) if self.free(id.as_str()) => Some(id),
            Some(Ok(id)) => {
                notes.push(format!(
                    "CHECK: {domain} is tagged for library `{id}`, which another file already declares; imported under a new id, so the plan moves it here (re-tagged, never created anew)"
                ));
                None
            }
            Some(Err(tag)) => {
                notes.push(format!(
                    "CHECK: {domain} is tagged `library={tag}`, which is no valid library id; imported under an id made from the domain"
                ));
                None
            }
            None => None,
        };
        let id = id.unwrap_or_else(|| {
            let base = id_from_domain(domain);
            let mut id = base.clone();
            let mut n = 2;
            while !self.free(id.as_str()) {
                let suffix = format!("-{n}");
                let mut stem = base.as_str().to_string();
                stem.truncate(63 - suffix.len());
                id = LibraryId::parse(&format!("{}{suffix}", stem.trim_end_matches('-')))
                    .expect("a valid id");
                n += 1;
            }
            id
        });
        self.given.insert(id.as_str().to_string());
        Attribution {
            id,
            adopt: untagged,
            notes,
        }
    }
}

fn ours(tags: &Tags) -> bool {
    matches!(tagged_library(tags), Some(Ok(_)))
}

/// The drafts for every resource of `estate` that no library of `config` declares yet.
pub fn import(estate: &Estate, config: &Config) -> Import {
    let mut declared: BTreeMap<String, String> = BTreeMap::new();
    for l in &config.libraries {
        if let Some(d) = l.method.ses_identity() {
            declared.insert(d.as_str().to_string(), l.id.as_str().to_string());
        }
    }
    let taken: BTreeSet<String> = config
        .libraries
        .iter()
        .map(|l| l.id.as_str().to_string())
        .collect();
    let mut ids = Ids {
        taken: &taken,
        given: BTreeSet::new(),
    };
    let mut out = Import::default();
    let identities: BTreeMap<&str, &Identity> = estate
        .identities
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    let mut used: BTreeSet<&str> = BTreeSet::new();

    let mut domains: Vec<&Domain> = estate.domains.iter().collect();
    domains.sort_by(|a, b| a.name.cmp(&b.name));
    for domain in domains {
        let name = domain.name.as_str();
        used.insert(name);
        if let Some(library) = declared.get(name) {
            out.skipped.push(Skipped {
                kind: "domain",
                name: name.into(),
                why: format!("library `{library}` declares it already"),
            });
            continue;
        }
        let identity = identities.get(name).copied();
        let zone = estate.zones.iter().find(|z| z.name == name && !z.private);
        if let Some(owner) = std::iter::once(&domain.tags)
            .chain(identity.map(|i| &i.tags))
            .find_map(other_owner)
        {
            out.skipped.push(owned_elsewhere("domain", name, owner));
            if identity.is_some() {
                out.skipped
                    .push(owned_elsewhere("ses-identity", name, owner));
            }
            continue;
        }
        let mut tags = vec![&domain.tags];
        tags.extend(identity.map(|i| &i.tags));
        tags.extend(zone.map(|z| &z.tags));
        let untagged = !ours(&domain.tags) || identity.is_some_and(|i| !ours(&i.tags));
        let who = ids.attribute(name, &tags, untagged);
        out.drafts.push(managed_domain(domain, identity, who));
    }

    let mut rest: Vec<&Identity> = estate
        .identities
        .iter()
        .filter(|i| !used.contains(i.name.as_str()))
        .collect();
    rest.sort_by(|a, b| a.name.cmp(&b.name));
    for identity in rest {
        let name = identity.name.as_str();
        used.insert(name);
        if identity.kind != "DOMAIN" {
            out.skipped.push(Skipped {
                kind: "ses-identity",
                name: name.into(),
                why: "an e-mail address identity: mailform manages domain identities only".into(),
            });
            continue;
        }
        if let Some(library) = declared.get(name) {
            out.skipped.push(Skipped {
                kind: "ses-identity",
                name: name.into(),
                why: format!("library `{library}` declares it already"),
            });
            continue;
        }
        if let Some(owner) = other_owner(&identity.tags) {
            out.skipped
                .push(owned_elsewhere("ses-identity", name, owner));
            continue;
        }
        let who = ids.attribute(name, &[&identity.tags], !ours(&identity.tags));
        out.drafts.push(ses_domain(identity, who));
    }

    let mut zones: Vec<&Zone> = estate
        .zones
        .iter()
        .filter(|z| !used.contains(z.name.as_str()))
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    for zone in zones {
        out.skipped.push(Skipped {
            kind: "hosted-zone",
            name: zone.name.clone(),
            why: "no SES identity or registered domain of that name: a zone alone is no library"
                .into(),
        });
    }
    tenants(estate, config, &taken, &mut out);
    out.drafts.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Tenants attribute like identities, by their tags: a tenant mailform made for a library
/// imported here gives that draft its `tenant` block (only what differs from the platform's
/// defaults); every other tenant is left out, with why.
fn tenants(estate: &Estate, config: &Config, taken: &BTreeSet<String>, out: &mut Import) {
    let default = config
        .platform
        .tenants
        .map(|t| t.reputation_policy.as_str());
    let default_list = config.platform.tenants.map(|t| t.suppression);
    for tenant in &estate.tenants {
        let library = match tagged_library(&tenant.tags) {
            Some(Ok(id)) if id.as_str() == tenant.name => id,
            _ => {
                out.skipped.push(Skipped {
                    kind: "ses-tenant",
                    name: tenant.name.clone(),
                    why: "not made by mailform for a library of that name: it is only read, never adopted".into(),
                });
                continue;
            }
        };
        if taken.contains(library.as_str()) {
            out.skipped.push(Skipped {
                kind: "ses-tenant",
                name: tenant.name.clone(),
                why: format!("library `{library}` declares it already"),
            });
            continue;
        }
        let Some(draft) = out.drafts.iter_mut().find(|d| d.id == library) else {
            out.skipped.push(Skipped {
                kind: "ses-tenant",
                name: tenant.name.clone(),
                why: format!("library `{library}` has no SES identity or domain left to import it with; the plan deletes it once allowed"),
            });
            continue;
        };
        let mut fields = Vec::new();
        if let Some(policy) = tenant
            .reputation_policy
            .as_deref()
            .filter(|p| Some(*p) != default)
        {
            fields.push(Field::text("reputation-policy", policy));
        }
        if tenant.customer_managed_status.as_deref() == Some("DISABLED") {
            fields.push(Field::text("sending", "paused").noted(
                "CHECK: its sending was paused by an operator; remove this line to let it send",
            ));
        }
        // The list SES keeps: its own when the tenant's scope is TENANT, the account's otherwise.
        let list = if tenant.suppression_scope.as_deref() == Some("TENANT") {
            SuppressionScope::Tenant
        } else {
            SuppressionScope::Account
        };
        if list != default_list.unwrap_or(SuppressionScope::Account) {
            fields.push(Field::text("suppression", list.as_str()));
        }
        if !fields.is_empty() {
            draft
                .method_fields
                .push(Field::new("tenant", Value::Block(fields)));
        }
    }
}

/// `name`, guessed from the domain and marked for checking, and `it-contact`, a placeholder:
/// notices go to it, so it is never a guess.
fn library_fields(domain: &str) -> Vec<Field> {
    vec![
        Field::text("name", domain)
            .noted("CHECK: the library's name, as its notices show it; live state knows only its domain"),
        Field::text("it-contact", placeholder_address("it", domain)).noted(format!(
            "{TODO} the library's IT contact (live state cannot say; notices go to it); add `launch \"YYYY-MM-DD\"` below it if the library has not launched"
        )),
    ]
}

/// `from`, a placeholder on the domain: the outgoing address is the library's choice.
fn from_field(domain: &str, what: &str) -> Field {
    Field::text("from", placeholder_address("noreply", domain)).noted(format!(
        "{TODO} the outgoing address the library chose, on {domain} ({what} knows only the domain)"
    ))
}

fn header(what: &str, who: &Attribution) -> Vec<String> {
    let mut header = vec![format!("Imported by `mailform import` from {what}.")];
    if who.adopt {
        header.push(
            "CHECK: mailform did not create all of it; with `adopt #true` the next apply tags it as this library's"
                .into(),
        );
    }
    header.extend(who.notes.iter().cloned());
    header
}

fn adopt(who: &Attribution) -> Option<Field> {
    who.adopt.then(|| {
        Field::new("adopt", Value::Bool(true))
            .noted("CHECK: take over what mailform did not create; remove once it is tagged")
    })
}

fn ses_domain(identity: &Identity, who: Attribution) -> Draft {
    let domain = identity.name.as_str();
    let mut fields = vec![from_field(domain, "SES")];
    if identity.key_length.as_deref() == Some("RSA_1024_BIT") {
        fields.push(Field::new("dkim-key-length", Value::Integer(1024)));
    }
    if let Some(mf) = &identity.mail_from {
        fields.push(Field::text("mail-from", mf));
    }
    if let Some(cs) = &identity.configuration_set {
        fields.push(Field::text("configuration-set", cs));
    }
    fields.extend(adopt(&who));
    Draft {
        header: header(&format!("the SES identity {domain}"), &who),
        id: who.id,
        fields: library_fields(domain),
        method: "ses-domain",
        method_fields: fields,
    }
}

fn managed_domain(domain: &Domain, identity: Option<&Identity>, who: Attribution) -> Draft {
    let name = domain.name.as_str();
    let mut fields = vec![Field::text("domain", name), from_field(name, "live state")];
    let auto_renew = Field::new("auto-renew", Value::Bool(domain.auto_renew.unwrap_or(true)));
    fields.push(match domain.auto_renew {
        Some(_) => auto_renew,
        None => auto_renew.noted("CHECK: Route 53 Domains did not say whether it renews"),
    });
    fields.extend(adopt(&who));
    let what = match identity {
        Some(_) => format!("the registered domain {name} and its SES identity"),
        None => format!("the registered domain {name} (no SES identity yet: the plan creates it)"),
    };
    Draft {
        header: header(&what, &who),
        id: who.id,
        fields: library_fields(name),
        method: "managed-domain",
        method_fields: fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::tests::{analyze, check};
    use crate::model::{DeliveryMethod, DkimKeyLength};

    /// Checks an imported draft as `validate` would: canonical, valid, and its only findings
    /// the placeholders, each under a `TODO(operator)` line.
    fn check_imported(draft: &Draft) -> Config {
        let (text, analysis) = analyze(draft);
        let lines: Vec<&str> = text.lines().collect();
        let mut placeholders = 0;
        for d in &analysis.diagnostics {
            assert_eq!(d.code, "config::placeholder", "{text}\n{d:?}");
            placeholders += 1;
        }
        let todos = lines
            .iter()
            .filter(|l| l.contains("// TODO(operator):"))
            .count();
        assert_eq!(placeholders, todos, "{text}");
        assert_eq!(placeholders, 2, "it-contact and from: {text}");
        analysis.config.expect("a configuration")
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn mailform(library: &str) -> Tags {
        tags(&[("managed-by", "mailform"), ("library", library)])
    }

    fn identity(name: &str, t: Tags) -> Identity {
        Identity {
            name: name.into(),
            kind: "DOMAIN".into(),
            key_length: Some("RSA_2048_BIT".into()),
            mail_from: None,
            configuration_set: None,
            tags: t,
        }
    }

    fn empty() -> Config {
        check(&Draft {
            id: LibraryId::parse("existing").unwrap(),
            header: vec![],
            fields: vec![
                Field::text("name", "Existing"),
                Field::text("it-contact", "it@existing.example.org"),
            ],
            method: "ses-domain",
            method_fields: vec![Field::text("from", "noreply@existing.example.org")],
        })
    }

    #[test]
    fn attribution_by_tags_and_adoption_of_the_rest() {
        let mut custom = identity("custom.example.org", Tags::new());
        custom.mail_from = Some("bounce.custom.example.org".into());
        custom.configuration_set = Some("library-notices".into());
        custom.key_length = Some("RSA_1024_BIT".into());
        let estate = Estate {
            tenants: vec![],
            identities: vec![
                identity("springfield.example.org", mailform("springfield")),
                custom,
                identity("existing.example.org", Tags::new()),
                Identity {
                    kind: "EMAIL_ADDRESS".into(),
                    ..identity("someone@example.org", Tags::new())
                },
                identity("bought.example.com", Tags::new()),
                identity("odd.example.org", mailform("Not An Id")),
                identity("taken.example.org", mailform("existing")),
                identity(
                    "marketing.example.com",
                    tags(&[("Owner", "marketing"), ("library", "x")]),
                ),
            ],
            domains: vec![
                Domain {
                    name: "bought.example.com".into(),
                    auto_renew: Some(false),
                    tags: mailform("ogdenville"),
                },
                Domain {
                    name: "by-hand.example.net".into(),
                    auto_renew: None,
                    tags: tags(&[("team", "web")]),
                },
                Domain {
                    name: "marketing.example.net".into(),
                    auto_renew: Some(true),
                    tags: tags(&[("owner", "marketing")]),
                },
            ],
            zones: vec![Zone {
                name: "stray.example.org".into(),
                private: false,
                tags: Tags::new(),
            }],
        };
        let import = import(&estate, &empty());
        let ids: Vec<&str> = import.drafts.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "by-hand-example-net",
                "custom-example-org",
                "odd-example-org",
                "ogdenville",
                "springfield",
                "taken-example-org"
            ]
        );
        let skipped: Vec<(&str, &str)> = import
            .skipped
            .iter()
            .map(|s| (s.kind, s.name.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("domain", "marketing.example.net"),
                ("ses-identity", "existing.example.org"),
                ("ses-identity", "marketing.example.com"),
                ("ses-identity", "someone@example.org"),
                ("hosted-zone", "stray.example.org")
            ]
        );
        let by_id = |id: &str| {
            let draft = import.drafts.iter().find(|d| d.id.as_str() == id).unwrap();
            let config = check_imported(draft);
            (draft.render(), config.libraries.into_iter().next().unwrap())
        };

        let (text, custom) = by_id("custom-example-org");
        let DeliveryMethod::SesDomain(m) = custom.method else {
            panic!("{text}")
        };
        assert!(m.adopt, "{text}");
        assert_eq!(m.dkim_key_length, DkimKeyLength::Rsa1024);
        assert_eq!(m.mail_from.unwrap().as_str(), "bounce.custom.example.org");
        assert_eq!(m.configuration_set.as_deref(), Some("library-notices"));
        assert!(
            text.contains("// TODO(operator): the library's IT contact")
                && text.contains("it-contact \"it@custom.example.org.invalid\"")
                && text.contains("from \"noreply@custom.example.org.invalid\""),
            "{text}"
        );
        assert!(
            import.skipped[0]
                .why
                .contains("`owner=marketing`: another team's"),
            "{:?}",
            import.skipped
        );

        let (text, springfield) = by_id("springfield");
        let DeliveryMethod::SesDomain(m) = springfield.method else {
            panic!("{text}")
        };
        assert!(!m.adopt && !text.contains("adopt"), "{text}");

        // The identity of a registered domain belongs to the domain's library; it is untagged,
        // so the file adopts it.
        let (text, ogdenville) = by_id("ogdenville");
        let DeliveryMethod::ManagedDomain(m) = ogdenville.method else {
            panic!("{text}")
        };
        assert!(m.adopt && !m.auto_renew, "{text}");
        assert_eq!(m.domain.as_str(), "bought.example.com");

        let (text, by_hand) = by_id("by-hand-example-net");
        let DeliveryMethod::ManagedDomain(m) = by_hand.method else {
            panic!("{text}")
        };
        assert!(m.adopt && m.auto_renew, "{text}");
        assert!(text.contains("did not say whether it renews"), "{text}");

        let (text, _) = by_id("odd-example-org");
        assert!(text.contains("`library=Not An Id`"), "{text}");
        let (text, _) = by_id("taken-example-org");
        assert!(text.contains("for library `existing`"), "{text}");
    }

    #[test]
    fn ids_from_domains_are_valid_and_unique() {
        assert_eq!(id_from_domain("A.Example.ORG").as_str(), "a-example-org");
        let long = format!("{}.example.org", "x".repeat(63));
        assert_eq!(id_from_domain(&long).as_str().len(), 63);
        // Two domains that make the same id.
        let estate = Estate {
            identities: vec![
                identity("a-b.example.org", Tags::new()),
                identity("a.b-example.org", Tags::new()),
                identity(&long, Tags::new()),
                identity(&format!("{}.example.net", "x".repeat(63)), Tags::new()),
            ],
            ..Estate::default()
        };
        let import = import(&estate, &empty());
        let mut ids: Vec<&str> = import.drafts.iter().map(|d| d.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids.len(), 4);
        assert_eq!(&ids[..2], ["a-b-example-org", "a-b-example-org-2"]);
        assert!(
            ids.iter()
                .all(|id| LibraryId::parse(id).is_ok() && id.len() <= 63)
        );
        let mut dedup = ids.clone();
        dedup.dedup();
        assert_eq!(dedup, ids);
    }

    #[test]
    fn a_tenant_goes_with_the_library_its_tags_name_and_another_teams_is_left_out() {
        let tenant = |name: &str, t: Tags, policy: &str, status: &str| Tenant {
            name: name.into(),
            tags: t,
            reputation_policy: Some(policy.into()),
            customer_managed_status: Some(status.into()),
            // springfield keeps its own list; the others the account's, the default.
            suppression_scope: (name == "springfield").then(|| "TENANT".into()),
        };
        let estate = Estate {
            identities: vec![
                identity("springfield.example.org", mailform("springfield")),
                identity("shelbyville.example.org", mailform("shelbyville")),
            ],
            tenants: vec![
                tenant("springfield", mailform("springfield"), "strict", "DISABLED"),
                // As the platform's default: nothing to write.
                tenant(
                    "shelbyville",
                    mailform("shelbyville"),
                    "standard",
                    "ENABLED",
                ),
                tenant(
                    "ogdenville",
                    tags(&[("team", "billing")]),
                    "none",
                    "ENABLED",
                ),
                tenant("gone", mailform("gone"), "standard", "ENABLED"),
            ],
            ..Estate::default()
        };
        let imported = import(&estate, &empty());
        let springfield = imported
            .drafts
            .iter()
            .find(|d| d.id.as_str() == "springfield")
            .unwrap();
        let text = springfield.render();
        assert!(
            text.contains(
                "\n        tenant {\n            reputation-policy \"strict\"\n            // CHECK: its sending was paused by an operator; remove this line to let it send\n            sending \"paused\"\n            suppression \"tenant\"\n        }\n"
            ),
            "{text}"
        );
        let config = check_imported(springfield);
        let settings = config.tenant_of(&config.libraries[0]).unwrap();
        assert_eq!(
            settings.reputation_policy,
            crate::model::ReputationPolicy::Strict
        );
        assert_eq!(settings.sending, crate::model::TenantSending::Paused);
        assert_eq!(settings.suppression, Some(SuppressionScope::Tenant));
        let shelbyville = imported
            .drafts
            .iter()
            .find(|d| d.id.as_str() == "shelbyville")
            .unwrap();
        assert!(!shelbyville.render().contains("tenant"));
        let skipped: Vec<(&str, &str)> = imported
            .skipped
            .iter()
            .filter(|s| s.kind == "ses-tenant")
            .map(|s| (s.name.as_str(), s.why.as_str()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].0 == "ogdenville" && skipped[0].1.contains("never adopted"));
        assert!(skipped[1].0 == "gone" && skipped[1].1.contains("no SES identity"));
    }
}
