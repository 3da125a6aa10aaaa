//! The planning core: (desired model, live snapshot, today) → [`Plan`]. No I/O.
//!
//! Per library it decides what `apply` must change (SES identity, domain registration,
//! records in a managed domain's hosted zone, auto-renew, transfer), what the library's IT
//! staff must do (DNS records, SMTP diagnoses), what is under way, and readiness against the
//! launch date. Live resources mailform owns for a library that no longer wants them become
//! deletions; resources nobody declares and mailform does not own are listed, never touched.

use std::collections::{BTreeMap, HashMap};

use super::actions::{handoff, readiness};
use super::{
    Attribute, Change, Cost, Level, LibraryAction, LibraryPlan, Method, Op, PLAN_VERSION, Plan,
    Progress, RecordHandoff, ResourceKind, Unmanaged,
};
use crate::live::ownership::{self, Ownership};
use crate::live::snapshot::{CheckV1, DomainV1, IdentityV1, LiveSnapshotV1, ZoneV1};
use crate::model::{
    Config, Date, DeliveryMethod, DkimKeyLength, Library, ManagedDomain, SesDomain, TransferRequest,
};

/// What the plan depends on besides the files and the snapshot.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub today: Date,
    /// Seconds after a handover's intent tag during which an unkept secret may still be in the
    /// hands of a running apply (see [`HANDOVER_GRACE_SECS`]).
    pub handover_grace: i64,
}

/// How long a handover whose secret is not kept yet is taken to be in the hands of a running
/// apply (which sends the call, waits at most its `--timeout` of 120 s, keeps the secret and
/// tags the domain): within it the plan waits, after it the secret is taken as lost and the
/// handover is restarted. Without it a second apply started moments after the first would
/// cancel the first one's transfer.
pub const HANDOVER_GRACE_SECS: i64 = 600;

/// SES looks for the DKIM records this long before it gives up.
pub const VERIFICATION_WINDOW_HOURS: i64 = 72;

/// A managed domain that will not renew is a warning this many days before it expires, and an
/// error in its last week.
pub const DOMAIN_EXPIRY_WARNING_DAYS: i64 = 45;

/// The live snapshot indexed once by the names the planner looks things up by, so planning
/// stays linear in the number of libraries (a scan of every domain, zone or operation per
/// library made 10,000 libraries take half a second). Dereferences to the snapshot.
struct Facts<'a> {
    snapshot: &'a LiveSnapshotV1,
    /// Which library wants each identity and domain.
    wanted: ownership::Wanted<'a>,
    observed: HashMap<&'a str, &'a crate::live::snapshot::LibraryV1>,
    domains: HashMap<&'a str, &'a DomainV1>,
    operations: HashMap<&'a str, Vec<&'a crate::live::snapshot::OperationV1>>,
    public_zones: HashMap<&'a str, &'a ZoneV1>,
    availability: HashMap<&'a str, &'a str>,
    prices: HashMap<&'a str, &'a crate::live::snapshot::PriceV1>,
    tenants: HashMap<&'a str, &'a crate::live::snapshot::TenantV1>,
    /// The configuration sets the account has once this plan is applied: the live ones, and
    /// the platform's events set when the plan creates it.
    configuration_sets: Vec<String>,
}

impl<'a> Facts<'a> {
    fn new(
        config: &'a Config,
        snapshot: &'a LiveSnapshotV1,
        events: &super::events::EventsPlan,
    ) -> Self {
        let mut operations: HashMap<&str, Vec<_>> = HashMap::new();
        for o in &snapshot.registrar.operations {
            if let Some(d) = o.domain.as_deref() {
                operations.entry(d).or_default().push(o);
            }
        }
        let mut public_zones = HashMap::new();
        for z in snapshot.route53.hosted_zones.iter().filter(|z| !z.private) {
            public_zones.entry(z.name.as_str()).or_insert(z);
        }
        let mut domains = HashMap::new();
        for d in &snapshot.registrar.domains {
            domains.entry(d.name.as_str()).or_insert(d);
        }
        let mut observed = HashMap::new();
        for l in &snapshot.libraries {
            observed.entry(l.id.as_str()).or_insert(l);
        }
        let mut availability = HashMap::new();
        for a in &snapshot.registrar.availability {
            availability
                .entry(a.domain.as_str())
                .or_insert(a.answer.as_str());
        }
        let mut prices = HashMap::new();
        for p in &snapshot.registrar.prices {
            prices.entry(p.tld.as_str()).or_insert(p);
        }
        let mut tenants = HashMap::new();
        for t in &snapshot.ses.tenants {
            tenants.entry(t.name.as_str()).or_insert(t);
        }
        let mut configuration_sets = snapshot.ses.configuration_sets.clone();
        if let Some(set) = config
            .platform
            .events
            .as_ref()
            .map(|e| &e.configuration_set)
            .filter(|set| events.creates_set(set))
        {
            configuration_sets.push(set.clone());
        }
        Facts {
            snapshot,
            tenants,
            configuration_sets,
            wanted: ownership::Wanted::new(config),
            observed,
            domains,
            operations,
            public_zones,
            availability,
            prices,
        }
    }

    /// The unfinished operations of `domain`, in the snapshot's order.
    fn operations_of(&self, domain: &str) -> &[&'a crate::live::snapshot::OperationV1] {
        self.operations.get(domain).map_or(&[], Vec::as_slice)
    }
}

impl std::ops::Deref for Facts<'_> {
    type Target = LiveSnapshotV1;
    fn deref(&self) -> &LiveSnapshotV1 {
        self.snapshot
    }
}

/// Plans every library of `config` against `live`.
pub fn plan(config: &Config, live: &LiveSnapshotV1, opts: &PlanOptions) -> Plan {
    // The platform's events set and destination first: whether the set is created decides
    // whether identities may name it.
    let events = super::events::plan(config.platform.events.as_ref(), live);
    let live = &Facts::new(config, live, &events);
    let identities: BTreeMap<&str, &IdentityV1> = live
        .ses
        .identities
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    let mut libraries: Vec<LibraryPlan> = config
        .libraries
        .iter()
        .map(|library| plan_library(config, live, &identities, library, opts))
        .collect();
    let held = super::checks::domains_held(live);
    for id in super::checks::domain_quota(&mut libraries, held, config.platform.domain_quota) {
        if let (Some(l), Some(library)) = (
            libraries.iter_mut().find(|l| l.library == id),
            config.libraries.iter().find(|l| l.id.as_str() == id),
        ) {
            l.notices = crate::notice::due::after_apply(library, l);
        }
    }

    // Live identities: orphans become deletions of the library that left them; identities
    // nobody declares and mailform does not own are shown read-only.
    let mut unmanaged = events.unmanaged;
    for identity in &live.ses.identities {
        match ownership::classify_in(
            &live.wanted,
            ownership::ResourceKind::SesIdentity,
            &identity.name,
            &identity.tags,
        ) {
            Ownership::Orphaned { library } => {
                let reason = orphan_reason(config, &library);
                let deletion = super::checks::identity_deletion(identity, reason);
                deletion_of(&mut libraries, &library, deletion);
            }
            Ownership::Unmanaged { wanted_by: None } => unmanaged.push(Unmanaged {
                kind: ResourceKind::SesIdentity,
                name: identity.name.clone(),
                note: "no library declares it and mailform did not create it".into(),
            }),
            _ => {}
        }
    }
    // Live tenants no library wants, the same way.
    for (tenant, o) in super::tenants::orphans(&live.ses.tenants, &live.wanted) {
        match o {
            Ownership::Orphaned { library } => {
                let reason = orphan_reason(config, &library);
                deletion_of(
                    &mut libraries,
                    &library,
                    super::tenants::deletion(tenant, reason),
                );
            }
            _ => unmanaged.push(Unmanaged {
                kind: ResourceKind::SesTenant,
                name: tenant.name.clone(),
                note: "no library is named so and mailform did not create it".into(),
            }),
        }
    }
    for domain in &live.registrar.domains {
        let wanted = live
            .wanted
            .get(ownership::ResourceKind::RegisteredDomain, &domain.name);
        if wanted.is_none() {
            unmanaged.push(Unmanaged {
                kind: ResourceKind::DomainRegistration,
                name: domain.name.clone(),
                note: "registered in this account, but no library declares it; registrations are never deleted".into(),
            });
        }
    }
    // The platform's SES account, judged once; it holds back every SES library's readiness.
    let uses_ses = config.libraries.iter().any(|l| {
        matches!(
            l.method,
            DeliveryMethod::SesDomain(_) | DeliveryMethod::ManagedDomain(_)
        )
    });
    let platform = if uses_ses {
        super::account::findings(&live.ses.account, &config.platform.aws_region)
    } else {
        Vec::new()
    };
    super::account::hold(&mut libraries, &platform, |launch| {
        readiness(
            launch.and_then(|l| Date::parse(l).ok()),
            opts.today,
            config.platform.notice_period_days,
            true,
        )
    });
    Plan {
        version: PLAN_VERSION,
        platform,
        platform_changes: events.changes,
        platform_deletions: vec![],
        libraries,
        unmanaged,
    }
}

/// Why a resource mailform made for `library` is no longer wanted.
fn orphan_reason(config: &Config, library: &str) -> String {
    match config.libraries.iter().find(|l| l.id.as_str() == library) {
        Some(l) => format!("library `{library}` now uses {}", method_of(l).as_str()),
        None => format!("library `{library}` was removed"),
    }
}

/// Files a deletion under the library that left the resource, adding a plan for a library
/// no file declares any more.
fn deletion_of(libraries: &mut Vec<LibraryPlan>, library: &str, deletion: Change) {
    match libraries.iter_mut().find(|l| l.library == library) {
        Some(l) => l.deletions.push(deletion),
        None => libraries.push(LibraryPlan {
            library: library.to_string(),
            name: "(removed from the library files)".into(),
            method: Method::SesDomain,
            changes: vec![],
            deletions: vec![deletion],
            blocked: vec![],
            actions: vec![],
            in_progress: vec![],
            // Not ready: nothing is sent for a library no file declares.
            readiness: super::Readiness {
                ready: false,
                launch: None,
                days_left: None,
                level: Level::Info,
                summary: "removed: mailform sends nothing for it".into(),
            },
            yearly_cost: None,
            information: vec![],
            notices: vec![],
        }),
    }
}

fn method_of(library: &Library) -> Method {
    match library.method {
        DeliveryMethod::SesDomain(_) => Method::SesDomain,
        DeliveryMethod::SmtpAccount(_) => Method::SmtpAccount,
        DeliveryMethod::ManagedDomain(_) => Method::ManagedDomain,
    }
}

fn plan_library(
    config: &Config,
    live: &Facts<'_>,
    identities: &BTreeMap<&str, &IdentityV1>,
    library: &Library,
    opts: &PlanOptions,
) -> LibraryPlan {
    let mut out = LibraryPlan {
        library: library.id.as_str().to_string(),
        name: library.name.clone(),
        method: method_of(library),
        changes: vec![],
        deletions: vec![],
        blocked: vec![],
        actions: vec![],
        in_progress: vec![],
        readiness: readiness(None, opts.today, 0, false),
        yearly_cost: None,
        information: vec![],
        notices: vec![],
    };
    let observed = live.observed.get(library.id.as_str()).copied();
    let mut blocked = false;
    match &library.method {
        DeliveryMethod::SesDomain(m) => {
            let identity = identities.get(m.from.domain().as_str()).copied();
            let before = out.changes.len();
            blocked |= plan_identity(
                config,
                live,
                library,
                m.from.domain().as_str(),
                Some(m),
                identity,
                &mut out,
            );
            let dkim = observed
                .and_then(|o| o.dns.as_ref())
                .map(|d| d.dkim.as_slice());
            blocked |= dns_actions(m.from.domain().as_str(), identity, dkim, &mut out);
            let in_place = dkim
                .is_some_and(|c| !c.is_empty() && c.iter().all(|c| c.verdict == "dns::present"));
            restart_verification(m.from.domain().as_str(), identity, in_place, &mut out);
            blocked |= configuration_set_missing(config, live, library, before, &mut out);
            let mail_from = observed
                .and_then(|o| o.dns.as_ref())
                .map(|d| d.mail_from.as_slice());
            blocked |= mail_from_actions(m.from.domain().as_str(), mail_from, &mut out);
            if let Some(dns) = observed.and_then(|o| o.dns.as_ref()) {
                let mf = m.mail_from.as_ref().map(|d| d.as_str());
                out.information =
                    super::actions::wrong_only(super::actions::domain_information(dns, mf));
                // The domain's apex answered NXDOMAIN: no record can be installed yet.
                blocked |= super::no_such_domain::judge(
                    m.from.domain().as_str(),
                    dns.spf.code.as_deref(),
                    identity.is_some(),
                    before,
                    &mut out,
                );
                if let Some(provider) = super::actions::dns_provider(dns) {
                    super::actions::in_providers_words(provider, &mut out.actions);
                }
            }
        }
        DeliveryMethod::ManagedDomain(m) => {
            out.yearly_cost = yearly_cost(live, m);
            let registration = plan_registration(config, live, library, m, opts, &mut out);
            blocked |= registration != Registration::Ours;
            // Bought, being bought in this apply, or under way: its identity and records follow.
            let coming = registration == Registration::Ours
                || out
                    .changes
                    .iter()
                    .any(|c| c.kind == ResourceKind::DomainRegistration)
                || out.in_progress.iter().any(|p| {
                    matches!(p, Progress::Operation { operation, .. } if operation == "REGISTER_DOMAIN")
                });
            // A domain someone else registered gets no identity and no records from mailform.
            if registration != Registration::NotOurs {
                let identity = identities.get(m.domain.as_str()).copied();
                let before = out.changes.len();
                blocked |= plan_identity(
                    config,
                    live,
                    library,
                    m.domain.as_str(),
                    None,
                    identity,
                    &mut out,
                );
                plan_zone_records(live, m, identity, &mut out);
                blocked |= configuration_set_missing(config, live, library, before, &mut out);
                if !coming {
                    // Nobody can buy it now (over the cap, unavailable, no price, not checked):
                    // an identity and records for a domain nobody bought are withheld.
                    let why = out
                        .actions
                        .iter()
                        .find(|a| a.level == Level::Error)
                        .or(out.actions.first())
                        .map_or_else(
                            || format!("{} is not bought", m.domain),
                            |a| a.message.clone(),
                        );
                    let withheld: Vec<Change> = out.changes.drain(before..).collect();
                    out.blocked.extend(withheld.into_iter().map(|mut c| {
                        c.reason = Some(format!("blocked until the domain is bought: {why}"));
                        c
                    }));
                }
                // mailform writes these records itself: in place once no record change is due.
                let in_place = identity
                    .and_then(|i| i.dkim.as_ref())
                    .is_some_and(|d| !d.tokens.is_empty())
                    && !out
                        .changes
                        .iter()
                        .any(|c| c.kind == ResourceKind::DnsRecord);
                restart_verification(m.domain.as_str(), identity, in_place, &mut out);
            }
            if let Some(dns) = observed.and_then(|o| o.dns.as_ref()) {
                out.information =
                    super::actions::wrong_only(super::actions::domain_information(dns, None));
            }
        }
        DeliveryMethod::SmtpAccount(_) => {
            match observed.and_then(|o| o.smtp_probe.as_ref()) {
                Some(probe) => {
                    for code in &probe.codes {
                        if let Some(action) = probe_code_action(code) {
                            blocked |= action.level == Level::Error;
                            out.actions.push(action);
                        }
                    }
                }
                None => {
                    blocked = true;
                    let why = observed
                        .and_then(|o| o.notes.first().cloned())
                        .unwrap_or_else(|| "the account was not probed".into());
                    out.actions.push(LibraryAction {
                        code: "smtp::not-probed".into(),
                        level: Level::Warning,
                        message: why,
                        remedy: "set the password variable the library file names and run the plan again".into(),
                        records: vec![],
                        breaking: false,
                    });
                }
            }
        }
    }
    blocked |= super::tenants::plan_library(
        config,
        library,
        live.tenants.get(library.id.as_str()).copied(),
        library
            .method
            .ses_identity()
            .and_then(|d| identities.get(d.as_str()).copied()),
        &live.wanted,
        &live.configuration_sets,
        &mut out,
    );
    out.notices = crate::notice::due::after_apply(library, &out);
    blocked |= out.actions.iter().any(|a| a.level >= Level::Warning);
    out.readiness = readiness(
        library.launch,
        opts.today,
        config.platform.notice_period_days,
        blocked,
    );
    out
}

fn key_length_name(k: DkimKeyLength) -> &'static str {
    match k {
        DkimKeyLength::Rsa1024 => "RSA_1024_BIT",
        DkimKeyLength::Rsa2048 => "RSA_2048_BIT",
    }
}

pub(super) fn tag_text(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
/// Known at plan time, not at apply time: SES refuses an identity (or an update) naming a
/// configuration set the account does not have (and will not have after this apply: the
/// platform's events set is created by it). The library's changes planned since `before`
/// are withheld with the reason; answers whether it blocked them.
fn configuration_set_missing(
    config: &Config,
    live: &Facts<'_>,
    library: &Library,
    before: usize,
    out: &mut LibraryPlan,
) -> bool {
    let Some(set) = config
        .platform
        .configuration_set_for(library)
        .filter(|s| !live.configuration_sets.iter().any(|have| have == s))
    else {
        return false;
    };
    let message = format!(
        "the configuration set `{set}` does not exist in this SES account ({})",
        live.region
    );
    out.actions.push(LibraryAction {
        code: "ses::configuration-set-missing".into(),
        level: Level::Error,
        message: message.clone(),
        remedy: "create it in SES first (a library's own `configuration-set` is not made by mailform), or correct the name in the file".into(),
        records: vec![],
        breaking: false,
    });
    let withheld: Vec<Change> = out.changes.drain(before..).collect();
    out.blocked.extend(withheld.into_iter().map(|mut c| {
        c.reason = Some(format!("blocked: {message}"));
        c
    }));
    true
}

/// The SES identity of a library: create it, bring its attributes in line, or report why it
/// cannot be touched. Returns whether the library is blocked by it.
fn plan_identity(
    config: &Config,
    live: &Facts<'_>,
    library: &Library,
    domain: &str,
    method1: Option<&SesDomain>,
    identity: Option<&IdentityV1>,
    out: &mut LibraryPlan,
) -> bool {
    let tags = ownership::tags_for(config, &library.id);
    let key_length = method1.map_or(DkimKeyLength::Rsa2048, |m| m.dkim_key_length);
    let mail_from = method1
        .and_then(|m| m.mail_from.as_ref())
        .map(|d| d.to_string());
    // The library's own set, else the platform's events set (methods 1 and 3): the one
    // choice `Platform::configuration_set_for` makes. A managed domain's identity keeps an
    // unmanaged set when the platform has no events block, as before there was one.
    let configuration_set = config
        .platform
        .configuration_set_for(library)
        .map(str::to_string);
    let manages_set = method1.is_some() || config.platform.events.is_some();
    let Some(identity) = identity else {
        let mut attributes = vec![Attribute {
            name: "dkim-signing-key-length".into(),
            old: None,
            new: Some(key_length_name(key_length).into()),
        }];
        if let Some(mf) = &mail_from {
            attributes.push(Attribute {
                name: "mail-from-domain".into(),
                old: None,
                new: Some(mf.clone()),
            });
        }
        if let Some(cs) = &configuration_set {
            attributes.push(Attribute {
                name: "configuration-set".into(),
                old: None,
                new: Some(cs.clone()),
            });
        }
        attributes.push(Attribute {
            name: "tags".into(),
            old: None,
            new: Some(tag_text(&tags)),
        });
        out.changes.push(Change {
            op: Op::Create,
            kind: ResourceKind::SesIdentity,
            name: domain.to_string(),
            attributes,
            cost: None,
            reason: None,
        });
        return true;
    };
    let owner = ownership::classify_in(
        &live.wanted,
        ownership::ResourceKind::SesIdentity,
        domain,
        &identity.tags,
    );
    if !owner.may_change() {
        out.actions.push(LibraryAction {
            code: "ses::identity-not-managed".into(),
            level: Level::Error,
            message: format!("the SES identity {domain} exists but mailform did not create it"),
            remedy: "if it should be managed by mailform, add `adopt #true` to the library's ses-domain block; otherwise use another domain".into(),
            records: vec![],
            breaking: false,
        });
        return true;
    }
    let mut attributes = Vec::new();
    let live_length = identity
        .dkim
        .as_ref()
        .and_then(|d| d.next_key_length.clone().or(d.current_key_length.clone()));
    if live_length.as_deref() != Some(key_length_name(key_length)) {
        attributes.push(Attribute {
            name: "dkim-signing-key-length".into(),
            old: live_length,
            new: Some(key_length_name(key_length).into()),
        });
    }
    let live_mail_from = identity
        .mail_from
        .as_ref()
        .map(|m| m.domain.clone())
        .filter(|d| !d.is_empty());
    if method1.is_some() && live_mail_from != mail_from {
        attributes.push(Attribute {
            name: "mail-from-domain".into(),
            old: live_mail_from,
            new: mail_from,
        });
    }
    if manages_set && identity.configuration_set != configuration_set {
        attributes.push(Attribute {
            name: "configuration-set".into(),
            old: identity.configuration_set.clone(),
            new: configuration_set,
        });
    }
    let missing_tags: BTreeMap<String, String> = tags
        .iter()
        .filter(|(k, v)| identity.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !missing_tags.is_empty() {
        attributes.push(Attribute {
            name: "tags".into(),
            old: Some(tag_text(&identity.tags)).filter(|t| !t.is_empty()),
            new: Some(tag_text(&tags)),
        });
    }
    if !attributes.is_empty() {
        out.changes.push(Change {
            op: Op::Update,
            kind: ResourceKind::SesIdentity,
            name: domain.to_string(),
            attributes,
            cost: None,
            reason: match &owner {
                Ownership::Adoptable { .. } => Some("adopted with `adopt #true`".to_string()),
                Ownership::Moved { from, .. } => Some(format!(
                    "moved from library `{from}`: re-tagged, never deleted and created anew (its DKIM records stay valid)"
                )),
                _ => None,
            },
        });
    }
    let status = identity
        .dkim
        .as_ref()
        .and_then(|d| d.status.clone())
        .or(identity.verification_status.clone())
        .unwrap_or_else(|| "NOT_STARTED".into());
    match status.as_str() {
        "SUCCESS" => false,
        "PENDING" => {
            // Easy DKIM generates the keys when the identity is created, so the last key
            // generation is when SES started looking; it looks for 72 hours.
            let since = identity
                .dkim
                .as_ref()
                .and_then(|d| d.last_key_generation.clone());
            let gives_up_at = since
                .as_deref()
                .and_then(|s| plus_hours(s, VERIFICATION_WINDOW_HOURS));
            out.in_progress.push(Progress::Verification {
                identity: domain.to_string(),
                status,
                since,
                gives_up_at,
            });
            true
        }
        "TEMPORARY_FAILURE" => {
            out.actions.push(LibraryAction {
                code: "ses::temporary-failure".into(),
                level: Level::Error,
                message: format!(
                    "SES can no longer find the DKIM records of {domain}; it checks again for {VERIFICATION_WINDOW_HOURS} hours, then stops signing"
                ),
                remedy: "put the records back exactly as listed".into(),
                records: vec![],
                breaking: false,
            });
            true
        }
        "FAILED" => {
            out.actions.push(LibraryAction {
                code: "ses::verification-failed".into(),
                level: Level::Error,
                message: format!(
                    "SES gave up verifying {domain} after {VERIFICATION_WINDOW_HOURS} hours without the records"
                ),
                remedy: "install the records; mailform then restarts verification".into(),
                records: vec![],
                breaking: false,
            });
            true
        }
        _ => true,
    }
}

/// A verification SES gave up on (FAILED after 72 hours without the records) restarts once the
/// records are in place, not before: restarting into another 72-hour failure helps nobody.
/// `PutEmailIdentityDkimSigningAttributes` (Easy DKIM, the same key length) starts SES looking
/// again, and keeps the tokens, so the records the library installed stay the right ones.
fn restart_verification(
    domain: &str,
    identity: Option<&IdentityV1>,
    records_in_place: bool,
    out: &mut LibraryPlan,
) {
    let Some(identity) = identity else { return };
    let status = identity
        .dkim
        .as_ref()
        .and_then(|d| d.status.as_deref())
        .or(identity.verification_status.as_deref());
    if status != Some("FAILED") {
        return;
    }
    let Some(action) = out
        .actions
        .iter_mut()
        .find(|a| a.code == "ses::verification-failed")
    else {
        return;
    };
    if !records_in_place {
        action.remedy = "install the records exactly as listed; once they are in place the plan restarts verification (restarting before would only fail again after 72 hours)".into();
        return;
    }
    action.remedy = format!(
        "the records are in place now: apply restarts verification, and SES looks for them for {VERIFICATION_WINDOW_HOURS} hours more (the records stay the same)"
    );
    let attribute = Attribute {
        name: "dkim-verification".into(),
        old: Some("FAILED".into()),
        new: Some("PENDING (restarted)".into()),
    };
    match out
        .changes
        .iter_mut()
        .find(|c| c.kind == ResourceKind::SesIdentity && c.name == domain)
    {
        Some(change) => change.attributes.push(attribute),
        None => out.changes.push(Change {
            op: Op::Update,
            kind: ResourceKind::SesIdentity,
            name: domain.to_string(),
            attributes: vec![attribute],
            cost: None,
            reason: Some(
                "SES stopped looking for the records after 72 hours; they are in place now".into(),
            ),
        }),
    }
}

/// An RFC 3339 time plus some hours, in RFC 3339; `None` when the time does not parse.
fn plus_hours(rfc3339: &str, hours: i64) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(rfc3339, &Rfc3339).ok()?;
    (t + time::Duration::hours(hours)).format(&Rfc3339).ok()
}

/// The DKIM records the library must install, from the snapshot's verdicts.
fn dns_actions(
    domain: &str,
    identity: Option<&IdentityV1>,
    dkim: Option<&[CheckV1]>,
    out: &mut LibraryPlan,
) -> bool {
    let Some(checks) = dkim.filter(|c| !c.is_empty()) else {
        if identity.is_none() {
            out.actions.push(LibraryAction {
                code: "dns::records-after-apply".into(),
                level: Level::Info,
                message: "the three DKIM records are known once apply has created the SES identity"
                    .into(),
                remedy: "after apply, send the library the output of `mailform records`".into(),
                records: vec![],
                breaking: false,
            });
        }
        return identity.is_none();
    };
    if checks.iter().all(|c| c.verdict == "dns::present") {
        return false;
    }
    let handoff: Vec<RecordHandoff> = checks.iter().map(|c| handoff(c, domain)).collect();
    let missing = checks
        .iter()
        .filter(|c| c.verdict != "dns::present")
        .count();
    let lead = checks
        .iter()
        .find(|c| c.verdict != "dns::present" && c.verdict != "dns::missing")
        .or_else(|| checks.iter().find(|c| c.verdict != "dns::present"));
    let (code, message) = match lead {
        Some(c) if c.verdict != "dns::missing" => (
            c.verdict.clone(),
            c.detail
                .clone()
                .unwrap_or_else(|| format!("{} is not as expected", c.name)),
        ),
        _ => (
            if missing == checks.len() {
                "dns::missing".to_string()
            } else {
                "dns::partial".to_string()
            },
            format!(
                "{missing} of the {} DKIM records {} not installed",
                checks.len(),
                if missing == 1 { "is" } else { "are" }
            ),
        ),
    };
    // Every record that is not in place could not be asked about: nothing says it is missing.
    let unanswered = checks
        .iter()
        .filter(|c| c.verdict != "dns::present")
        .all(|c| c.verdict == "dns::lookup-failed");
    let (code, message, remedy) = if unanswered {
        let why = checks
            .iter()
            .find_map(|c| c.detail.clone())
            .unwrap_or_else(|| "no answer".into());
        (
            "dns::lookup-failed".to_string(),
            format!("we could not ask the DNS servers of {domain} for its DKIM records: {why}"),
            "check that the domain's name servers answer (its registrar's NS records point at servers that serve the zone); nothing needs installing until they do, and mailform asks again on the next plan".to_string(),
        )
    } else {
        (
            code,
            message,
            "install the records below exactly at the library's DNS provider".to_string(),
        )
    };
    out.actions.push(LibraryAction {
        code,
        level: Level::Warning,
        message,
        remedy,
        records: handoff,
        // Records gone from an identity that had verified: mail stops being signed.
        breaking: identity
            .and_then(|i| i.verification_status.as_deref())
            .is_some_and(|s| s == "SUCCESS" || s == "TEMPORARY_FAILURE"),
    });
    true
}

fn mail_from_actions(domain: &str, checks: Option<&[CheckV1]>, out: &mut LibraryPlan) -> bool {
    let Some(checks) = checks else { return false };
    // The MAIL FROM domain's SPF decides whether SES's bounce domain passes: a record that
    // includes Amazon's but is broken by RFC 7208 is an action of its own, with its fix.
    let mut spf_broken = false;
    for c in checks.iter().filter(|c| c.verdict.starts_with("spf::")) {
        let fix = crate::dns_check::spf::remedy(&c.verdict).unwrap_or("correct the record");
        out.actions.push(LibraryAction {
            code: c.verdict.clone(),
            level: Level::Warning,
            message: format!(
                "the SPF record of the MAIL FROM domain {}: {}",
                c.name,
                c.detail.as_deref().unwrap_or("is not valid")
            ),
            remedy: format!(
                "{fix}; until then receivers fail SPF for SES's bounce domain. The record SES needs is below"
            ),
            records: vec![handoff(c, domain)],
            breaking: false,
        });
        spf_broken = true;
    }
    let wrong: Vec<&CheckV1> = checks
        .iter()
        .filter(|c| c.verdict != "dns::present" && !c.verdict.starts_with("spf::"))
        .collect();
    if wrong.is_empty() {
        return spf_broken;
    }
    let unanswered = wrong.iter().all(|c| c.verdict == "dns::lookup-failed");
    let (code, message, remedy) = if unanswered {
        (
            "dns::lookup-failed",
            "the custom MAIL FROM domain's records could not be looked up",
            "check that the domain's name servers answer; mailform looks again on the next plan",
        )
    } else {
        (
            "dns::mail-from",
            "the custom MAIL FROM domain's MX or SPF record is missing or wrong",
            "install exactly one MX and the SPF record below; until then SES sends from amazonses.com",
        )
    };
    out.actions.push(LibraryAction {
        code: code.into(),
        level: Level::Warning,
        message: message.into(),
        remedy: remedy.into(),
        records: checks.iter().map(|c| handoff(c, domain)).collect(),
        breaking: false,
    });
    true
}

/// A failing or warning probe code as an action. Passing codes give none.
fn probe_code_action(code: &str) -> Option<LibraryAction> {
    const PASSING: &[&str] = &["::ok", "::closed", "::accepted", "::app_password"];
    if PASSING.iter().any(|p| code.ends_with(p)) || code.ends_with("::skipped") {
        return None;
    }
    let warning = matches!(
        code,
        "smtp::tls::expires_soon"
            | "smtp::tls::auth_before_tls"
            | "smtp::google::account_password"
            | "smtp::google::mode_unspecified"
    );
    Some(LibraryAction {
        code: code.to_string(),
        level: if warning {
            Level::Warning
        } else {
            Level::Error
        },
        message: format!("the SMTP account check reported {code}"),
        remedy: "run `mailform probe` for the full diagnosis and what to do".into(),
        records: vec![],
        breaking: code == "smtp::tls::expires_soon",
    })
}

/// Where a managed domain's registration stands, for what may be planned on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registration {
    /// Registered, and mailform's (tagged, adopted or moved): its identity and records follow.
    Ours,
    /// Not registered yet (to buy, under way, or not possible).
    NotYet,
    /// Registered in this account, but mailform did not buy it: read only.
    NotOurs,
}

/// The registration of a managed domain.
fn plan_registration(
    config: &Config,
    live: &Facts<'_>,
    library: &Library,
    m: &ManagedDomain,
    opts: &PlanOptions,
    out: &mut LibraryPlan,
) -> Registration {
    let (today, grace) = (opts.today, opts.handover_grace);
    let domain = m.domain.as_str();
    if let Some(registered) = live.domains.get(domain).copied() {
        let owner = ownership::classify_in(
            &live.wanted,
            ownership::ResourceKind::RegisteredDomain,
            domain,
            &registered.tags,
        );
        if !owner.may_change() {
            out.actions.push(LibraryAction {
                code: "registrar::domain-not-managed".into(),
                level: Level::Error,
                message: format!(
                    "{domain} is registered in this account, but mailform did not buy it (it carries no ownership tags of mailform's): it is only read, never handed over or changed, and no records are written in its zone"
                ),
                remedy: "if the platform owns it and it should serve this library, add `adopt #true` to the library's managed-domain block; otherwise choose another domain".into(),
                records: vec![],
                breaking: false,
            });
            return Registration::NotOurs;
        }
        let tags = ownership::tags_for(config, &library.id);
        if tags.iter().any(|(k, v)| registered.tags.get(k) != Some(v)) {
            let theirs: BTreeMap<String, String> = registered
                .tags
                .iter()
                .filter(|(k, _)| tags.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.changes.push(Change {
                op: Op::Update,
                kind: ResourceKind::DomainTags,
                name: domain.into(),
                attributes: vec![Attribute {
                    name: "tags".into(),
                    old: Some(tag_text(&theirs)).filter(|t| !t.is_empty()),
                    new: Some(tag_text(&tags)),
                }],
                cost: None,
                reason: Some(match &owner {
                    Ownership::Moved { from, .. } => {
                        format!("moved from library `{from}`: re-tagged, never registered anew")
                    }
                    Ownership::Adoptable { .. } => "adopted with `adopt #true`".into(),
                    _ => "its ownership tags drifted".into(),
                }),
            });
        }
        out.actions.extend(expiry_action(registered, m, today));
        if registered.auto_renew != Some(m.auto_renew) {
            out.changes.push(Change {
                op: Op::Update,
                kind: ResourceKind::DomainAutoRenew,
                name: domain.into(),
                attributes: vec![Attribute {
                    name: "auto-renew".into(),
                    old: registered.auto_renew.map(|b| b.to_string()),
                    new: Some(m.auto_renew.to_string()),
                }],
                cost: None,
                reason: None,
            });
        }
        match &m.transfer {
            Some(TransferRequest::ToRegistrar) => {
                match super::checks::registrar_transfer_lock(registered, today) {
                    Some(action) => out.actions.push(action),
                    None => {
                        plan_auth_code(live, registered, handover_age(live, registered, grace), out)
                    }
                }
            }
            Some(TransferRequest::ToAwsAccount(account)) => {
                match super::checks::transfer_to_own_account(live, domain, account) {
                    Some(action) => out.actions.push(action),
                    None => plan_transfer(
                        live,
                        registered,
                        account,
                        handover_age(live, registered, grace),
                        out,
                    ),
                }
            }
            None => {}
        }
        return Registration::Ours;
    }
    if let Some(op) = live.operations_of(domain).iter().copied().find(|o| {
        o.domain.as_deref() == Some(domain)
            && o.kind == "REGISTER_DOMAIN"
            && o.status != "FAILED"
            && o.status != "ERROR"
    }) {
        out.in_progress.push(operation_progress(domain, op));
        // Bought by an apply that was killed (or lost the answer) before it tagged the domain:
        // tagged now, while its registration is under way, or it would be read-only once done.
        let tags = ownership::tags_for(config, &library.id);
        if let Some(live_tags) = &op.tags
            && tags.iter().any(|(k, v)| live_tags.get(k) != Some(v))
        {
            out.changes.push(Change {
                op: Op::Update,
                kind: ResourceKind::DomainTags,
                name: domain.into(),
                attributes: vec![Attribute {
                    name: "tags".into(),
                    old: None,
                    new: Some(tag_text(&tags)),
                }],
                cost: None,
                reason: Some(format!(
                    "its registration (operation {}) is under way, but the apply that submitted it did not tag it",
                    op.id
                )),
            });
        }
        return Registration::NotYet;
    }
    let availability = live.availability.get(domain).copied();
    let tld = domain.rsplit('.').next().unwrap_or_default();
    let listed = live.prices.get(tld).copied();
    let price = listed
        .and_then(|p| p.registration)
        .map(|p| (p * 100.0).round() as u64);
    // With auto-renew on, every later year is charged at the renewal price without anyone
    // approving it again: the cap covers that charge as well as the first year's.
    let renewal_over_cap = listed
        .and_then(|p| p.renewal)
        .map(|p| (p * 100.0).round() as u64)
        .filter(|cents| m.auto_renew && *cents > m.price_cap.cents);
    match (availability, price) {
        (Some("AVAILABLE"), Some(cents)) if cents <= m.price_cap.cents => {
            if let Some(renewal) = renewal_over_cap {
                out.actions.push(LibraryAction {
                    code: "registrar::renewal-over-price-cap".into(),
                    level: Level::Error,
                    message: format!(
                        "{domain} costs ${}.{:02} the first year but renews at ${}.{:02} a year, over the cap of {}, and auto-renew is on",
                        cents / 100,
                        cents % 100,
                        renewal / 100,
                        renewal % 100,
                        m.price_cap
                    ),
                    remedy: "agree a higher `price-cap` with the library, set `auto-renew #false` (the domain then lapses after `years`), or choose another domain".into(),
                    records: vec![],
                    breaking: false,
                });
                let why = "the renewal is over the cap";
                let purchase = super::checks::blocked_purchase(config, library, m, cents, why);
                out.blocked.push(purchase);
                return Registration::NotYet;
            }
            out.changes
                .push(super::checks::registration(config, library, m, cents));
        }
        (Some("AVAILABLE"), Some(cents)) => {
            out.actions.push(LibraryAction {
                code: "registrar::over-price-cap".into(),
                level: Level::Error,
                message: format!(
                    "{domain} costs ${}.{:02} a year, over the cap of {}",
                    cents / 100,
                    cents % 100,
                    m.price_cap
                ),
                remedy: "agree a higher `price-cap` with the library, or choose another domain"
                    .into(),
                records: vec![],
                breaking: false,
            });
            let why = "its price is over the cap";
            let purchase = super::checks::blocked_purchase(config, library, m, cents, why);
            out.blocked.push(purchase);
        }
        (Some("AVAILABLE"), None) => out.actions.push(LibraryAction {
            code: "registrar::no-price".into(),
            level: Level::Error,
            message: format!("Route 53 Domains lists no price for .{tld}"),
            remedy: "choose a domain under a top-level domain Route 53 Domains sells".into(),
            records: vec![],
            breaking: false,
        }),
        (Some(answer), _) => out.actions.push(LibraryAction {
            code: "registrar::unavailable".into(),
            level: Level::Error,
            message: format!("{domain} cannot be registered: Route 53 Domains answers {answer}"),
            remedy: "choose another domain; only AVAILABLE can be registered".into(),
            records: vec![],
            breaking: false,
        }),
        (None, _) => out.actions.push(LibraryAction {
            code: "registrar::not-checked".into(),
            level: Level::Warning,
            message: format!("the availability of {domain} was not checked"),
            remedy:
                "run the plan with live state (mailform refresh) to check availability and price"
                    .into(),
            records: vec![],
            breaking: false,
        }),
    }
    Registration::NotYet
}

/// A handover to another registrar: the transfer lock off, then the auth code into a file. Planned
/// again while no auth code was kept, so an apply killed with the code in flight (or one whose
/// answer was lost) is retrieved again; an auth code can be asked for any number of times.
///
/// Turning the lock off is an operation that completes later (`DOMAIN_LOCK`); while it runs the
/// domain still reads locked, so the plan shows the operation in progress, neither asks for the
/// lock again nor retrieves the code, and plans the retrieval once the lock is off.
fn plan_auth_code(live: &Facts<'_>, registered: &DomainV1, intent: Intent, out: &mut LibraryPlan) {
    let domain = registered.name.as_str();
    if registered.transfer_lock != Some(false)
        && let Some(op) = live.operations_of(domain).iter().copied().find(|o| {
            o.domain.as_deref() == Some(domain)
                && o.kind == "DOMAIN_LOCK"
                && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
        })
    {
        out.in_progress.push(operation_progress(domain, op));
        return;
    }
    if registered.transfer_lock != Some(false) {
        out.changes.push(Change {
            op: Op::Update,
            kind: ResourceKind::DomainTransferLock,
            name: domain.into(),
            attributes: vec![Attribute {
                name: "transfer-lock".into(),
                old: registered.transfer_lock.map(|b| b.to_string()),
                new: Some("false".into()),
            }],
            cost: None,
            reason: Some("the library takes the domain to another registrar".into()),
        });
    }
    let kept = registered
        .tags
        .get(ownership::SECRET_KEPT_KEY)
        .is_some_and(|v| v.starts_with(ownership::AUTH_CODE_KEPT));
    if kept {
        return;
    }
    match intent {
        Intent::Recent(at) if at.what.starts_with("auth-code") => {
            out.actions.push(LibraryAction {
                code: "registrar::handover-starting".into(),
                level: Level::Warning,
                message: format!(
                    "an apply asked for the auth code of {domain} {} and has not kept it yet; it may still be running",
                    at.when
                ),
                remedy: "wait for that apply to finish; if none is running, the code was lost and the plan retrieves it again once the grace period (--handover-grace) is over".into(),
                records: vec![],
                breaking: false,
            });
            return;
        }
        Intent::Old(at) if at.what.starts_with("auth-code") => {
            out.actions.push(LibraryAction {
                code: "registrar::auth-code-lost".into(),
                level: Level::Warning,
                message: format!(
                    "an apply asked for the auth code of {domain} {} and never kept it: it was interrupted, or the answer was lost",
                    at.when
                ),
                remedy: "apply retrieves the auth code again (it can be retrieved any number of times) and writes it to a new file".into(),
                records: vec![],
                breaking: false,
            });
        }
        _ => {}
    }
    out.changes.push(Change {
        op: Op::Create,
        kind: ResourceKind::DomainTransfer,
        name: domain.into(),
        attributes: vec![Attribute {
            name: "to".into(),
            old: None,
            new: Some("another registrar (auth code to a file)".into()),
        }],
        cost: None,
        reason: Some("not possible within 60 days of registration or of a last transfer".into()),
    });
}

/// A handover to the library's AWS account. A transfer under way whose password mailform kept
/// (the domain's kept tag names its operation) is waited on; one whose password was never kept
/// (an apply killed or timed out with the answer outstanding) needs attention: it is cancelled
/// and started again, with a new password, as AWS allows until the receiver accepts.
fn plan_transfer(
    live: &Facts<'_>,
    registered: &DomainV1,
    account: &str,
    intent: Intent,
    out: &mut LibraryPlan,
) {
    let domain = registered.name.as_str();
    let under_way = live.operations_of(domain).iter().copied().find(|o| {
        o.domain.as_deref() == Some(domain)
            && o.kind == "INTERNAL_TRANSFER_OUT_DOMAIN"
            && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
    });
    let to_account = Attribute {
        name: "to-account".into(),
        old: None,
        new: Some(account.to_string()),
    };
    match under_way {
        Some(op) if registered.tags.get(ownership::SECRET_KEPT_KEY) == Some(&op.id) => {
            out.in_progress.push(operation_progress(domain, op));
        }
        Some(op) if matches!(&intent, Intent::Recent(at) if at.what.starts_with("transfer")) => {
            let when = match &intent {
                Intent::Recent(at) => at.when.clone(),
                _ => String::new(),
            };
            out.actions.push(LibraryAction {
                code: "registrar::handover-starting".into(),
                level: Level::Warning,
                message: format!(
                    "an apply started a transfer of {domain} {when} (operation {}) and has not kept its password yet; it may still be running",
                    op.id
                ),
                remedy: "wait for that apply to finish; if none is running, the password was lost and the plan cancels and restarts the transfer once the grace period (--handover-grace) is over".into(),
                records: vec![],
                breaking: false,
            });
            out.in_progress.push(operation_progress(domain, op));
        }
        Some(op) if !matches!(&intent, Intent::Old(at) if at.what.starts_with("transfer")) => {
            // No intent tag of a transfer: mailform did not start it, and does not cancel it.
            out.actions.push(LibraryAction {
                code: "registrar::transfer-not-started-by-mailform".into(),
                level: Level::Warning,
                message: format!(
                    "a transfer of {domain} to another AWS account is under way (operation {}) that mailform did not start: its password is with whoever started it",
                    op.id
                ),
                remedy: "make sure it goes to the account the library file names; to have mailform start it instead, cancel it (CancelDomainTransferToAnotherAwsAccount) and apply".into(),
                records: vec![],
                breaking: false,
            });
            out.in_progress.push(operation_progress(domain, op));
        }
        Some(op) => {
            let asked = match &intent {
                Intent::Old(at) | Intent::Recent(at) => format!(", asked for {}", at.when),
                Intent::None => String::new(),
            };
            out.actions.push(LibraryAction {
                code: "registrar::transfer-password-lost".into(),
                level: Level::Error,
                message: format!(
                    "a transfer of {domain} to another AWS account is under way (operation {}){asked}, but mailform never kept its password: the apply that started it was interrupted or lost the answer, so the receiving account cannot accept it",
                    op.id
                ),
                remedy: "apply cancels this transfer (CancelDomainTransferToAnotherAwsAccount) and starts it again, writing the new password to a file".into(),
                records: vec![],
                breaking: false,
            });
            out.changes.push(Change {
                op: Op::Replace,
                kind: ResourceKind::DomainTransfer,
                name: domain.into(),
                attributes: vec![
                    Attribute {
                        name: "operation".into(),
                        old: Some(op.id.clone()),
                        new: Some("(a new transfer, its password to a file)".into()),
                    },
                    to_account,
                ],
                cost: None,
                reason: Some(
                    "its password was lost: cancel and start again; the account must accept within 3 days"
                        .into(),
                ),
            });
        }
        None => {
            // A transfer whose password was kept, no longer under way, and the domain still
            // here: the receiving account did not accept it within 3 days (or rejected it).
            if let Some(op) = registered
                .tags
                .get(ownership::SECRET_KEPT_KEY)
                .filter(|v| !v.starts_with(ownership::AUTH_CODE_KEPT))
            {
                out.actions.push(LibraryAction {
                    code: "registrar::transfer-lapsed".into(),
                    level: Level::Warning,
                    message: format!(
                        "the transfer of {domain} to account {account} (operation {op}) was not accepted within 3 days and lapsed: the domain is still in this account, and that transfer's password no longer works"
                    ),
                    remedy: "apply starts a new transfer with a new password; make sure the library's account accepts it (AcceptDomainTransferFromAnotherAwsAccount) within 3 days".into(),
                    records: vec![],
                    breaking: false,
                });
            }
            out.changes.push(Change {
                op: Op::Create,
                kind: ResourceKind::DomainTransfer,
                name: domain.into(),
                attributes: vec![to_account],
                cost: None,
                reason: Some(
                    "the library asked to take the domain over; its account must accept within 3 days"
                        .into(),
                ),
            });
        }
    }
}

/// A Route 53 Domains operation of `domain` under way, as the plan shows it.
fn operation_progress(domain: &str, op: &crate::live::snapshot::OperationV1) -> Progress {
    Progress::Operation {
        domain: domain.into(),
        operation: op.kind.clone(),
        status: op.status.clone(),
        submitted: op.submitted.clone(),
    }
}

/// A handover's intent tag (`what@<unix seconds>`), read against the time of the live read.
enum Intent {
    /// No intent tag (or one that does not parse).
    None,
    /// Written within the grace period: a running apply may still keep the secret.
    Recent(IntentAt),
    /// Older than the grace period: whatever it asked for and did not keep is lost.
    Old(IntentAt),
}

struct IntentAt {
    /// `transfer-to-<account>` or `auth-code`.
    what: String,
    /// "at 2026-11-27T10:00:00Z".
    when: String,
}

fn handover_age(live: &Facts<'_>, registered: &DomainV1, grace: i64) -> Intent {
    use time::format_description::well_known::Rfc3339;
    let Some((what, secs)) = registered
        .tags
        .get(ownership::HANDOVER_INTENT_KEY)
        .and_then(|v| v.rsplit_once('@'))
        .and_then(|(what, secs)| Some((what, secs.parse::<i64>().ok()?)))
    else {
        return Intent::None;
    };
    let at = time::OffsetDateTime::from_unix_timestamp(secs).ok();
    let when = at
        .and_then(|t| t.format(&Rfc3339).ok())
        .map_or_else(|| "at an unknown time".into(), |t| format!("at {t}"));
    let now = time::OffsetDateTime::parse(&live.taken_at, &Rfc3339).ok();
    let at = IntentAt {
        what: what.to_string(),
        when,
    };
    match now {
        Some(now) if now.unix_timestamp() - secs < grace => Intent::Recent(at),
        _ => Intent::Old(at),
    }
}

/// A managed domain that will not renew (the library file turns auto-renew off) and expires
/// soon, or has expired: mail from it stops then.
fn expiry_action(registered: &DomainV1, m: &ManagedDomain, today: Date) -> Option<LibraryAction> {
    if m.auto_renew {
        return None;
    }
    let expiry = Date::parse(registered.expiry.as_deref()?.get(..10)?).ok()?;
    let days = today.days_until(&expiry);
    if days > DOMAIN_EXPIRY_WARNING_DAYS {
        return None;
    }
    let handover = m.transfer.is_some();
    let (code, message, remedy) = if days < 0 {
        (
            "domain::expired",
            format!(
                "{} expired on {expiry} (auto-renew is off): mail from it no longer gets through",
                m.domain
            ),
            "renew it at once if its registry's grace period still allows (Route 53 console, Registered domains), then set `auto-renew #true`; or move the library to another method",
        )
    } else {
        (
            "domain::expires-soon",
            format!(
                "{} expires on {expiry}, in {days} days, and will not renew: auto-renew is off; mail from it stops when it lapses",
                m.domain
            ),
            if handover {
                "finish the handover before then (the library's registrar or AWS account renews it from then on), or set `auto-renew #true` in the library file"
            } else {
                "set `auto-renew #true` in the library file (the renewal is passed through to the library), or let it lapse on purpose"
            },
        )
    };
    Some(LibraryAction {
        code: code.into(),
        level: if days <= 7 {
            Level::Error
        } else {
            Level::Warning
        },
        message,
        remedy: remedy.into(),
        records: vec![],
        breaking: true,
    })
}

/// What a managed domain costs a year: the renewal price of its TLD, or the registration price
/// where no renewal price is listed.
fn yearly_cost(live: &Facts<'_>, m: &ManagedDomain) -> Option<Cost> {
    let tld = m.domain.as_str().rsplit('.').next()?;
    let price = live.prices.get(tld).copied()?;
    let dollars = price.renewal.or(price.registration)?;
    Some(Cost {
        yearly_cents: (dollars * 100.0).round() as u64,
        cap_cents: m.price_cap.cents,
        years: m.years,
    })
}

/// The DKIM CNAMEs mailform writes into a managed domain's hosted zone.
fn plan_zone_records(
    live: &Facts<'_>,
    m: &ManagedDomain,
    identity: Option<&IdentityV1>,
    out: &mut LibraryPlan,
) {
    let domain = m.domain.as_str();
    let zone: Option<&ZoneV1> = live.public_zones.get(domain).copied();
    let Some(dkim) = identity.and_then(|i| i.dkim.as_ref()) else {
        out.changes.push(Change {
            op: Op::Create,
            kind: ResourceKind::DnsRecord,
            name: format!("3 × <token>._domainkey.{domain} CNAME"),
            attributes: vec![Attribute {
                name: "value".into(),
                old: None,
                new: Some("(known after the SES identity is created)".into()),
            }],
            cost: None,
            reason: None,
        });
        return;
    };
    let Some(signing_zone) = dkim.signing_hosted_zone.as_deref() else {
        return;
    };
    for token in &dkim.tokens {
        let name = format!("{token}._domainkey.{domain}");
        let want = format!("{token}.{}", signing_zone.trim_end_matches('.'));
        let have = zone.and_then(|z| {
            z.records
                .iter()
                .find(|r| r.name == name && r.rtype == "CNAME")
        });
        let have_value = have
            .and_then(|r| r.values.first())
            .map(|v| v.trim_end_matches('.').to_string());
        let op = match have_value.as_deref() {
            Some(v) if v == want => continue,
            Some(_) => Op::Update,
            None => Op::Create,
        };
        out.changes.push(Change {
            op,
            kind: ResourceKind::DnsRecord,
            name: format!("{name} CNAME"),
            attributes: vec![Attribute {
                name: "value".into(),
                old: have_value,
                new: Some(want),
            }],
            cost: None,
            reason: None,
        });
    }
}
