//! Apply: executes exactly a plan's changes through the writer traits (beside the readers in
//! `crate::live`), in dependency order, re-reading the live fact each mutation depends on right
//! before it.
//!
//! Why re-check rather than lock: AWS offers no lock over an SES identity or a hosted zone, and
//! a lock file of ours would only guard applies that share a disk. Re-reading right before each
//! call makes a concurrent apply (or a person in the console) visible: a step whose fact moved
//! is skipped and reported, never forced, and every write is idempotent in effect (UPSERT of
//! exactly our records, puts of a value), so two overlapping applies converge rather than
//! duplicate. The remaining window is the time between one read and its call.
//!
//! The executor decides nothing the planner did not: it takes the plan's changes and, for the
//! values, the library files the plan was made from.

use std::collections::BTreeMap;

use crate::live::ReadError;
use crate::live::account::AccountReader;
use crate::live::event_destinations::{EventDestinationReader, EventDestinationWriter};
use crate::live::facts::SesIdentity;
use crate::live::ownership::{self, Ownership};
use crate::live::registrar::{RegistrarReader, RegistrarWriter};
use crate::live::route53::{RecordWrite, Route53Reader, Route53Writer};
use crate::live::ses::{self, SesReader, SesWriter};
use crate::live::tenants::{TenantReader, TenantWriter};
use crate::model::{Config, DeliveryMethod, DkimKeyLength, Library};
use crate::plan::{Change, LibraryPlan, Op, Plan, ResourceKind};
use crate::secret::Secret;

mod domain;
mod events;
pub mod guard;
mod tenants;

pub use guard::Permissions;

/// TTL of the DKIM records mailform writes into a managed domain's zone.
pub const DKIM_TTL: i64 = 1800;

/// The services one apply reads and writes.
pub struct Services<S, Z, R, A> {
    pub ses: S,
    pub route53: Z,
    pub registrar: R,
    /// Whose account this is: asked once, and only when an identity needs tagging.
    pub account: A,
}

/// The account id, read at most once per apply.
struct AccountId<'a, A> {
    reader: &'a A,
    id: tokio::sync::OnceCell<String>,
}

impl<A: AccountReader + Sync> AccountId<'_, A> {
    async fn get(&self) -> Result<&str, ReadError> {
        self.id
            .get_or_try_init(|| self.reader.account_id())
            .await
            .map(String::as_str)
    }
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The mutations were made; the list names each call.
    Done(Vec<String>),
    /// Nothing was changed, and why (the fact moved since the plan, or already converged).
    Skipped(String),
    /// The step failed; one line saying why and what to do.
    Failed(String),
    /// Not attempted: it needs an approval this apply was not given (a purchase not named, a
    /// deletion not allowed), or depends on one that does.
    Waiting(String),
}

/// One step of an apply: a change of one library, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub library: String,
    /// `+ ses-identity example.org`, as the plan shows it.
    pub change: String,
    pub outcome: Outcome,
}

/// What an apply did, for the final summary and the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Steps that wait for an approval this apply was not given.
    pub waiting: usize,
    /// Libraries with at least one failed step.
    pub failed_libraries: Vec<String>,
}

impl Summary {
    /// Counts one step's outcome; answers whether it failed.
    fn count(&mut self, outcome: &Outcome) -> bool {
        match outcome {
            Outcome::Done(_) => self.done += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Waiting(_) => self.waiting += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
        matches!(outcome, Outcome::Failed(_))
    }
}

/// The order of execution: a domain is registered before its settings change, an identity
/// exists before its records go into the zone, and deletions come last.
fn rank(change: &Change) -> u8 {
    match (change.op, change.kind) {
        (Op::Delete, _) => 9,
        (_, ResourceKind::DomainRegistration) => 0,
        // An adopted or moved domain is ours once tagged: the settings' ownership checks pass.
        (_, ResourceKind::DomainTags) => 1,
        (
            _,
            ResourceKind::DomainAutoRenew
            | ResourceKind::DomainTransferLock
            | ResourceKind::DomainTransfer,
        ) => 2,
        (_, ResourceKind::SesIdentity) => 3,
        (_, ResourceKind::DnsRecord) => 4,
        // Its identity exists before it is associated.
        (_, ResourceKind::SesTenant) => 5,
        // The platform's: made before every library's changes (see `apply`), the set first.
        (_, ResourceKind::SesConfigurationSet) => 0,
        (_, ResourceKind::SesEventDestination) => 1,
    }
}

fn label(change: &Change) -> String {
    format!(
        "{} {} {}",
        change.op.sign(),
        change.kind.as_str(),
        change.name
    )
}

/// What the person running apply allowed, and who hears of each step.
pub struct ApplyOptions<'a> {
    /// Seconds since the epoch on the services' clock (the sandbox's, under `--sandbox`): the
    /// time a handover's intent and kept tags carry, which the planner reads against the time
    /// of its live read.
    pub now: &'a (dyn Fn() -> i64 + Sync),
    /// What the operator allowed: checked again at each purchase and deletion, whatever the
    /// caller checked before ([`guard::refusal`]).
    pub permissions: Permissions<'a>,
    /// Hears of each step as it begins: the library and the step's label.
    pub on_start: &'a (dyn Fn(&str, &str) + Sync),
    /// Sees each step as it ends.
    pub on_step: &'a (dyn Fn(&Step) + Sync),
    /// Keeps a secret a step obtained (a transfer password, an auth code) where only the
    /// operator can read it, and answers where; the executor never prints or logs a secret.
    pub keep_secret: &'a (dyn Fn(&str, &str, &Secret) -> Result<String, String> + Sync),
}

/// How many steps an apply of `plan` reports: each change and deletion, with a library's DNS
/// records counted once (they are one step).
pub fn step_count(plan: &Plan) -> usize {
    plan.platform_changes.len()
        + plan
            .libraries
            .iter()
            .map(|l| {
                let all = l.changes.iter().chain(&l.deletions);
                let records = all.clone().any(|c| c.kind == ResourceKind::DnsRecord);
                all.filter(|c| c.kind != ResourceKind::DnsRecord).count() + usize::from(records)
            })
            .sum::<usize>()
}

/// Executes the plan's changes and deletions, one library after another; a library's failure
/// stops only the rest of that library.
pub async fn apply<S, Z, R, A>(
    config: &Config,
    plan: &Plan,
    services: &Services<S, Z, R, A>,
    opts: &ApplyOptions<'_>,
) -> Summary
where
    S: SesReader
        + SesWriter
        + TenantReader
        + TenantWriter
        + EventDestinationReader
        + EventDestinationWriter
        + Sync,
    Z: Route53Reader + Route53Writer + Sync,
    R: RegistrarReader + RegistrarWriter + Sync,
    A: AccountReader + Sync,
{
    let account = AccountId {
        reader: &services.account,
        id: tokio::sync::OnceCell::new(),
    };
    let mut summary = Summary::default();
    events::platform_steps(config, plan, &services.ses, opts, &mut summary).await;
    for library_plan in &plan.libraries {
        let library = config
            .libraries
            .iter()
            .find(|l| l.id.as_str() == library_plan.library);
        let mut steps: Vec<&Change> = library_plan
            .changes
            .iter()
            .chain(&library_plan.deletions)
            .collect();
        steps.sort_by_key(|c| rank(c));
        let mut records_done = false;
        let mut failed = false;
        for change in steps {
            // The DKIM records of a zone are one step: one read of the zone, one UPSERT.
            if change.kind == ResourceKind::DnsRecord {
                if records_done {
                    continue;
                }
                records_done = true;
            }
            let change_label = if change.kind == ResourceKind::DnsRecord {
                format!(
                    "{} dkim-records in the zone of {}",
                    change.op.sign(),
                    zone_of(library, change)
                )
            } else {
                label(change)
            };
            (opts.on_start)(&library_plan.library, &change_label);
            let awaiting = guard::awaiting(plan, library_plan, change, &opts.permissions);
            let outcome = if let Some(why) = awaiting {
                Outcome::Waiting(why)
            } else if failed {
                Outcome::Skipped("not attempted: an earlier step of this library failed".into())
            } else {
                step(
                    config,
                    library,
                    library_plan,
                    change,
                    services,
                    &account,
                    opts,
                )
                .await
            };
            failed |= summary.count(&outcome);
            (opts.on_step)(&Step {
                library: library_plan.library.clone(),
                change: change_label,
                outcome,
            });
        }
        if failed {
            summary.failed_libraries.push(library_plan.library.clone());
        }
    }
    summary
}

fn zone_of(library: Option<&Library>, change: &Change) -> String {
    match library.map(|l| &l.method) {
        Some(DeliveryMethod::ManagedDomain(m)) => m.domain.to_string(),
        _ => change.name.clone(),
    }
}

async fn step<S, Z, R, A>(
    config: &Config,
    library: Option<&Library>,
    library_plan: &LibraryPlan,
    change: &Change,
    services: &Services<S, Z, R, A>,
    account: &AccountId<'_, A>,
    opts: &ApplyOptions<'_>,
) -> Outcome
where
    S: SesReader
        + SesWriter
        + TenantReader
        + TenantWriter
        + EventDestinationReader
        + EventDestinationWriter
        + Sync,
    Z: Route53Reader + Route53Writer + Sync,
    R: RegistrarReader + RegistrarWriter + Sync,
    A: AccountReader + Sync,
{
    let result = match (change.op, change.kind) {
        (Op::Delete, _) if !opts.permissions.destroy => Ok(Outcome::Failed(format!(
            "not deleted: this apply was not allowed to delete (--allow-destroy); {} {} is left as it is",
            change.kind.as_str(),
            change.name
        ))),
        (Op::Delete, ResourceKind::SesIdentity) => {
            delete_identity(config, &library_plan.library, &change.name, &services.ses).await
        }
        (Op::Delete, ResourceKind::SesTenant) => {
            tenants::delete(config, &library_plan.library, &change.name, &services.ses).await
        }
        (_, ResourceKind::SesConfigurationSet | ResourceKind::SesEventDestination) => {
            Ok(Outcome::Failed(format!(
                "{} {} is the platform's, not a library's; plan again",
                change.kind.as_str(),
                change.name
            )))
        }
        (Op::Delete, _) => Ok(Outcome::Failed(format!(
            "apply deletes only SES identities and tenants; {} {} is left as it is",
            change.kind.as_str(),
            change.name
        ))),
        (_, ResourceKind::SesIdentity) => match library.and_then(|l| Desired::of(config, l)) {
            Some(desired) if desired.domain == change.name => {
                let target = Target {
                    op: change.op,
                    desired: &desired,
                    account,
                    restart: change
                        .attributes
                        .iter()
                        .any(|a| a.name == "dkim-verification"),
                };
                converge_identity(config, &target, &services.ses).await
            }
            _ => Ok(Outcome::Failed(format!(
                "the library files no longer ask for the SES identity {}; plan again",
                change.name
            ))),
        },
        (_, ResourceKind::SesTenant) => match library {
            Some(l) if l.id.as_str() == change.name => {
                tenants::converge(config, l, change, &services.ses, account).await
            }
            _ => Ok(Outcome::Failed(format!(
                "the library files no longer ask for the SES tenant {}; plan again",
                change.name
            ))),
        },
        (_, ResourceKind::DnsRecord) => match library.map(|l| &l.method) {
            Some(DeliveryMethod::ManagedDomain(m)) => {
                write_dkim_records(config, m.domain.as_str(), services).await
            }
            _ => Ok(Outcome::Failed(
                "mailform writes records only into the zones of managed domains".into(),
            )),
        },
        (_, ResourceKind::DomainAutoRenew) => match library.map(|l| &l.method) {
            Some(DeliveryMethod::ManagedDomain(m)) if m.domain.as_str() == change.name => {
                domain::auto_renew(config, &change.name, m.auto_renew, &services.registrar).await
            }
            _ => Ok(Outcome::Failed(
                "the library files no longer declare this managed domain; plan again".into(),
            )),
        },
        (_, ResourceKind::DomainTransferLock) => {
            domain::unlock(config, &change.name, &services.registrar).await
        }
        (_, ResourceKind::DomainTags) => match library {
            Some(l)
                if ownership::wanted_by(
                    config,
                    ownership::ResourceKind::RegisteredDomain,
                    &change.name,
                )
                .is_some_and(|w| w.id == l.id) =>
            {
                let tags = ownership::tags_for(config, &l.id);
                domain::tag(config, &change.name, &tags, &services.registrar).await
            }
            _ => Ok(Outcome::Failed(
                "the library files no longer declare this managed domain; plan again".into(),
            )),
        },
        (_, ResourceKind::DomainRegistration) => match library.map(|l| &l.method) {
            Some(DeliveryMethod::ManagedDomain(m)) if m.domain.as_str() == change.name => {
                match &config.platform.registrant {
                    _ if !opts.permissions.purchases.contains(&change.name) => {
                        Ok(Outcome::Failed(format!(
                            "not bought: buying needs `--allow-purchase {}`",
                            change.name
                        )))
                    }
                    None => Ok(Outcome::Failed(
                        "not bought: the platform file has no `registrant` contact".into(),
                    )),
                    Some(contact) => {
                        let tags = library
                            .map(|l| ownership::tags_for(config, &l.id))
                            .unwrap_or_default();
                        domain::buy(m, contact, &tags, &services.registrar).await
                    }
                }
            }
            _ => Ok(Outcome::Failed(
                "the library files no longer declare this managed domain; plan again".into(),
            )),
        },
        (_, ResourceKind::DomainTransfer) => match library.map(|l| &l.method) {
            Some(DeliveryMethod::ManagedDomain(m)) if m.domain.as_str() == change.name => {
                match &m.transfer {
                    Some(request) => {
                        let handover = domain::Handover {
                            op: change.op,
                            request,
                            keep_secret: opts.keep_secret,
                            now: (opts.now)(),
                        };
                        domain::hand_over(config, &change.name, &handover, &services.registrar)
                            .await
                    }
                    None => Ok(Outcome::Failed(
                        "the library file no longer asks for a transfer; plan again".into(),
                    )),
                }
            }
            _ => Ok(Outcome::Failed(
                "the library files no longer declare this managed domain; plan again".into(),
            )),
        },
    };
    result.unwrap_or_else(|e: ReadError| Outcome::Failed(e.to_string()))
}

/// What the library files want of an SES identity.
struct Desired {
    domain: String,
    key_length: &'static str,
    /// `None` when the method does not manage it (method 3 leaves MAIL FROM alone, and the set
    /// too without the platform's events block).
    mail_from: Option<Option<String>>,
    configuration_set: Option<Option<String>>,
    tags: BTreeMap<String, String>,
}

impl Desired {
    fn of(config: &Config, library: &Library) -> Option<Desired> {
        let tags = ownership::tags_for(config, &library.id);
        // The planner's one choice of set (`Platform::configuration_set_for`); a managed domain's
        // identity keeps an unmanaged set when the platform has no events block.
        let set = config
            .platform
            .configuration_set_for(library)
            .map(str::to_string);
        match &library.method {
            DeliveryMethod::SesDomain(m) => Some(Desired {
                domain: m.from.domain().to_string(),
                key_length: key_length_name(m.dkim_key_length),
                mail_from: Some(m.mail_from.as_ref().map(|d| d.to_string())),
                configuration_set: Some(set),
                tags,
            }),
            DeliveryMethod::ManagedDomain(m) => Some(Desired {
                domain: m.domain.to_string(),
                key_length: key_length_name(DkimKeyLength::Rsa2048),
                mail_from: None,
                configuration_set: config.platform.events.is_some().then_some(set),
                tags,
            }),
            DeliveryMethod::SmtpAccount(_) => None,
        }
    }
}

fn key_length_name(k: DkimKeyLength) -> &'static str {
    match k {
        DkimKeyLength::Rsa1024 => "RSA_1024_BIT",
        DkimKeyLength::Rsa2048 => "RSA_2048_BIT",
    }
}

/// What one identity step aims at.
struct Target<'a, 'b, A> {
    op: Op,
    desired: &'a Desired,
    account: &'a AccountId<'b, A>,
    /// The plan restarts a verification SES gave up on (its records are in place now).
    restart: bool,
}

/// Creates the identity (if it is still absent) or brings its attributes in line (if it is
/// still ours to change), calling only what differs now.
async fn converge_identity<S, A>(
    config: &Config,
    target: &Target<'_, '_, A>,
    ses: &S,
) -> Result<Outcome, ReadError>
where
    S: SesReader + SesWriter + Sync,
    A: AccountReader + Sync,
{
    let (op, desired) = (target.op, target.desired);
    let name = desired.domain.as_str();
    if op == Op::Create {
        return create_identity(desired, ses).await;
    }
    let Some(live) = ses.identity(name).await? else {
        return Ok(Outcome::Skipped(format!(
            "the SES identity {name} is gone since the plan; plan again"
        )));
    };
    let owner = ownership::classify(
        config,
        ownership::ResourceKind::SesIdentity,
        name,
        &live.tags,
    );
    if !owner.may_change() {
        return Ok(Outcome::Skipped(format!(
            "the SES identity {name} is not mailform's to change (tags now say otherwise)"
        )));
    }
    update_identity(config, target, &live, ses).await
}

/// Creates an identity the plan found absent, relying on `CreateEmailIdentity`'s own
/// `AlreadyExistsException` rather than a read before it (SES answers one request a second:
/// the read doubled the calls of onboarding). When it exists, it is read once: with this
/// library's tags it was made by this create's own lost first answer (the SDK's retry) or by
/// another apply of the same plan moments ago, and nothing is made twice; otherwise it is not
/// mailform's, and is left alone.
async fn create_identity<S>(desired: &Desired, ses: &S) -> Result<Outcome, ReadError>
where
    S: SesReader + SesWriter + Sync,
{
    let name = desired.domain.as_str();
    let set = desired.configuration_set.clone().flatten();
    let mut calls = vec!["CreateEmailIdentity".to_string()];
    if let Err(e) = ses
        .create_identity(name, desired.key_length, set.as_deref(), &desired.tags)
        .await
    {
        let exists = matches!(&e.kind, crate::live::ReadErrorKind::Service { code, .. }
            if code == "AlreadyExistsException");
        if !exists {
            return Err(e);
        }
        let ours = ses.identity(name).await?.is_some_and(|live| {
            desired
                .tags
                .iter()
                .all(|(k, v)| live.tags.get(k) == Some(v))
        });
        if !ours {
            return Ok(Outcome::Skipped(format!(
                "the SES identity {name} exists now (made since the plan, not by mailform for \
                 this library); nothing created, plan again"
            )));
        }
        calls = vec![
            "CreateEmailIdentity (it exists with this library's tags: its first answer was \
             lost, or another apply made it moments ago; nothing made twice)"
                .to_string(),
        ];
    }
    if let Some(Some(mail_from)) = &desired.mail_from {
        ses.put_mail_from(name, Some(mail_from)).await?;
        calls.push("PutEmailIdentityMailFromAttributes".into());
    }
    Ok(Outcome::Done(calls))
}

async fn update_identity<S, A>(
    config: &Config,
    target: &Target<'_, '_, A>,
    live: &SesIdentity,
    ses: &S,
) -> Result<Outcome, ReadError>
where
    S: SesReader + SesWriter + Sync,
    A: AccountReader + Sync,
{
    let desired = target.desired;
    let name = desired.domain.as_str();
    let mut calls = Vec::new();
    // Ours (tagged, or adopted with `adopt #true`): the ownership tags that are missing or
    // differ go on first, so that if a later call fails the identity is already marked as
    // mailform's (and the library's) for the next run; any other tag stays as it is.
    let missing: crate::live::facts::Tags = desired
        .tags
        .iter()
        .filter(|(k, v)| live.tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !missing.is_empty() {
        let account = target.account.get().await?;
        let arn = ses::identity_arn(&config.platform.aws_region, account, name);
        ses.tag_identity(name, &arn, &missing).await?;
        calls.push("TagResource".into());
    }
    let live_length = live
        .dkim
        .as_ref()
        .and_then(|d| d.next_key_length.clone().or(d.current_key_length.clone()));
    // Still FAILED right before the call: restarting a verification that SES took up again
    // (or that succeeded since) would only reset its clock.
    let failed = live
        .dkim
        .as_ref()
        .and_then(|d| d.status.as_ref())
        .or(live.verification_status.as_ref())
        == Some(&crate::live::facts::Status::Failed);
    let restart = target.restart && failed;
    if live_length.as_deref() != Some(desired.key_length) || restart {
        ses.put_key_length(name, desired.key_length).await?;
        calls.push(if restart {
            "PutEmailIdentityDkimSigningAttributes (restarts DKIM verification: SES looks for \
             the records for 72 hours more)"
                .to_string()
        } else {
            "PutEmailIdentityDkimSigningAttributes".to_string()
        });
    }
    if restart {
        // Documented to keep Easy DKIM's tokens; if SES ever issued new ones, the library's
        // records would be wrong, so say so rather than assume.
        let before = live.dkim.as_ref().map(|d| d.tokens.clone());
        let after = ses
            .identity(name)
            .await?
            .and_then(|i| i.dkim)
            .map(|d| d.tokens);
        if after.is_some() && after != before {
            calls.push(
                "SES issued new DKIM tokens with the restart: the library must install the new \
                 records (`mailform records LIBRARY`)"
                    .into(),
            );
        }
    }
    if let Some(want) = &desired.mail_from {
        let have = live
            .mail_from
            .as_ref()
            .map(|m| m.domain.clone())
            .filter(|d| !d.is_empty());
        if &have != want {
            ses.put_mail_from(name, want.as_deref()).await?;
            calls.push("PutEmailIdentityMailFromAttributes".into());
        }
    }
    if let Some(want) = &desired.configuration_set
        && &live.configuration_set != want
    {
        ses.put_configuration_set(name, want.as_deref()).await?;
        calls.push("PutEmailIdentityConfigurationSetAttributes".into());
    }
    if calls.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "the SES identity {name} already matches the library files"
        )));
    }
    Ok(Outcome::Done(calls))
}

/// Deletes an identity only if it is still there and still an orphan of this library.
async fn delete_identity<S>(
    config: &Config,
    library: &str,
    name: &str,
    ses: &S,
) -> Result<Outcome, ReadError>
where
    S: SesReader + SesWriter + Sync,
{
    let Some(live) = ses.identity(name).await? else {
        return Ok(Outcome::Skipped(format!(
            "the SES identity {name} is already gone"
        )));
    };
    match ownership::classify(
        config,
        ownership::ResourceKind::SesIdentity,
        name,
        &live.tags,
    ) {
        Ownership::Orphaned { library: owner } if owner == library => {
            ses.delete_identity(name).await?;
            Ok(Outcome::Done(vec!["DeleteEmailIdentity".into()]))
        }
        _ => Ok(Outcome::Skipped(format!(
            "the SES identity {name} is no longer an orphan of library `{library}`; left as it is"
        ))),
    }
}

/// UPSERTs the three Easy DKIM CNAMEs of a managed domain into its public hosted zone, taking
/// tokens and the signing zone from the identity as it is now, and only those that differ.
async fn write_dkim_records<S, Z, R, A>(
    config: &Config,
    domain: &str,
    services: &Services<S, Z, R, A>,
) -> Result<Outcome, ReadError>
where
    S: SesReader + Sync,
    Z: Route53Reader + Route53Writer + Sync,
    R: RegistrarReader + Sync,
{
    // Records go only into the zone of a domain mailform bought (or adopted).
    if let Some(refused) = domain::refuse_unless_ours(config, domain, &services.registrar).await? {
        return Ok(refused);
    }
    let identity = services.ses.identity(domain).await?;
    let Some(dkim) = identity
        .and_then(|i| i.dkim)
        .filter(|d| !d.tokens.is_empty())
    else {
        return Ok(Outcome::Failed(format!(
            "the SES identity {domain} has no Easy DKIM tokens yet; apply again once it has"
        )));
    };
    let Some(signing_zone) = dkim.signing_hosted_zone.clone() else {
        return Ok(Outcome::Failed(format!(
            "SES reports no SigningHostedZone for {domain}; apply again later"
        )));
    };
    let zones = services.route53.hosted_zones().await?;
    let Some(zone) = zones.iter().find(|z| z.name == domain && !z.private) else {
        return Ok(Outcome::Failed(format!(
            "there is no public hosted zone for {domain} in Route 53; it appears once the \
             registration completes"
        )));
    };
    let existing = services.route53.record_sets(&zone.id).await?;
    let wanted: Vec<RecordWrite> = dkim
        .tokens
        .iter()
        .map(|token| RecordWrite {
            name: format!("{token}._domainkey.{domain}"),
            rtype: "CNAME".into(),
            ttl: DKIM_TTL,
            values: vec![format!("{token}.{}", signing_zone.trim_end_matches('.'))],
        })
        .filter(|want| {
            !existing.iter().any(|r| {
                r.name == want.name
                    && r.rtype == want.rtype
                    && r.values.len() == 1
                    && r.values[0].trim_end_matches('.') == want.values[0]
            })
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "the DKIM records of {domain} are in place already"
        )));
    }
    services.route53.upsert_records(&zone.id, &wanted).await?;
    Ok(Outcome::Done(vec![format!(
        "ChangeResourceRecordSets (UPSERT {} CNAME)",
        wanted.len()
    )]))
}

#[cfg(test)]
mod tests {
    //! The executor against a scripted fake that records every call and answers an error to
    //! any call it was not scripted for, so a missing or extra call fails the test.

    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::config::{self, AnalyzeOptions};
    use crate::live::error::{ReadErrorKind, System};
    use crate::live::facts::{
        Availability, ConfigurationSet, DomainOperation, HostedZone, IdentityKind, IdentitySummary,
        RecordSet, RegisteredDomain, SesAccount, Tags, TldPrice,
    };
    use crate::model::Date;
    use crate::plan::{Method, Readiness};
    use crate::source::{SourceFile, SourceSet};

    /// Clones share their state, so one fake can stand for all three services.
    #[derive(Default, Clone)]
    struct Fake {
        calls: Arc<Mutex<Vec<String>>>,
        /// What GetEmailIdentity answers, by name.
        identities: Arc<Mutex<BTreeMap<String, SesIdentity>>>,
        /// What ListOperations answers.
        operations: Arc<Mutex<Vec<DomainOperation>>>,
        /// What ListPrices answers for a registration, in dollars.
        price: Arc<Mutex<Option<f64>>>,
    }

    impl Fake {
        fn call(&self, what: String) {
            self.calls.lock().unwrap().push(what);
        }
        fn unexpected(&self, op: &'static str) -> ReadError {
            self.call(format!("unexpected {op}"));
            ReadError::new(
                System::Ses,
                op,
                ReadErrorKind::Service {
                    code: "unexpected".into(),
                    message: "not scripted".into(),
                },
            )
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl EventDestinationReader for Fake {
        async fn event_destinations(
            &self,
            _: &str,
        ) -> Result<Option<Vec<crate::live::snapshot::EventDestinationV1>>, ReadError> {
            Err(self.unexpected("GetConfigurationSetEventDestinations"))
        }
    }

    impl EventDestinationWriter for Fake {
        async fn create_configuration_set(
            &self,
            _: &str,
            _: &crate::live::facts::Tags,
        ) -> Result<(), ReadError> {
            Err(self.unexpected("CreateConfigurationSet"))
        }
        async fn create_event_destination(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), ReadError> {
            Err(self.unexpected("CreateConfigurationSetEventDestination"))
        }
        async fn update_event_destination(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), ReadError> {
            Err(self.unexpected("UpdateConfigurationSetEventDestination"))
        }
    }

    impl SesReader for Fake {
        async fn account(&self) -> Result<SesAccount, ReadError> {
            Err(self.unexpected("GetAccount"))
        }
        async fn identities(&self) -> Result<Vec<IdentitySummary>, ReadError> {
            Err(self.unexpected("ListEmailIdentities"))
        }
        async fn identity(&self, name: &str) -> Result<Option<SesIdentity>, ReadError> {
            self.call(format!("GetEmailIdentity {name}"));
            Ok(self.identities.lock().unwrap().get(name).cloned())
        }
        async fn configuration_sets(&self) -> Result<Vec<ConfigurationSet>, ReadError> {
            Err(self.unexpected("ListConfigurationSets"))
        }
    }

    /// The plans these tests apply hold no tenant changes: any tenant call is unexpected.
    impl TenantReader for Fake {
        async fn tenants(&self) -> Result<Vec<crate::live::tenants::TenantSummary>, ReadError> {
            Err(self.unexpected("ListTenants"))
        }
        async fn tenant(
            &self,
            _: &str,
        ) -> Result<Option<crate::live::tenants::TenantDetail>, ReadError> {
            Err(self.unexpected("GetTenant"))
        }
        async fn reputation_entities(
            &self,
        ) -> Result<Vec<crate::live::tenants::ReputationEntity>, ReadError> {
            Err(self.unexpected("ListReputationEntities"))
        }
    }

    use crate::model::SuppressionScope;

    impl TenantWriter for Fake {
        async fn create_tenant(&self, _: &str, _: &Tags) -> Result<String, ReadError> {
            Err(self.unexpected("CreateTenant"))
        }
        async fn associate(&self, _: &str, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("CreateTenantResourceAssociation"))
        }
        async fn disassociate(&self, _: &str, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("DeleteTenantResourceAssociation"))
        }
        async fn set_policy(&self, _: &str, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("UpdateReputationEntityPolicy"))
        }
        async fn set_customer_managed_status(&self, _: &str, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("UpdateReputationEntityCustomerManagedStatus"))
        }
        async fn delete_tenant(&self, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("DeleteTenant"))
        }
        async fn set_suppression(&self, _: &str, _: SuppressionScope) -> Result<(), ReadError> {
            Err(self.unexpected("PutTenantSuppressionAttributes"))
        }
    }

    impl SesWriter for Fake {
        async fn create_identity(
            &self,
            name: &str,
            key_length: &str,
            _: Option<&str>,
            _: &Tags,
        ) -> Result<(), ReadError> {
            self.call(format!("CreateEmailIdentity {name} {key_length}"));
            if self.identities.lock().unwrap().contains_key(name) {
                return Err(ReadError::new(
                    System::Ses,
                    "CreateEmailIdentity",
                    ReadErrorKind::Service {
                        code: "AlreadyExistsException".into(),
                        message: format!("Email identity {name} already exist."),
                    },
                ));
            }
            Ok(())
        }
        async fn put_key_length(&self, _: &str, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("PutEmailIdentityDkimSigningAttributes"))
        }
        async fn put_mail_from(&self, _: &str, _: Option<&str>) -> Result<(), ReadError> {
            Err(self.unexpected("PutEmailIdentityMailFromAttributes"))
        }
        async fn put_configuration_set(&self, _: &str, _: Option<&str>) -> Result<(), ReadError> {
            Err(self.unexpected("PutEmailIdentityConfigurationSetAttributes"))
        }
        async fn delete_identity(&self, name: &str) -> Result<(), ReadError> {
            self.call(format!("DeleteEmailIdentity {name}"));
            Ok(())
        }
        async fn tag_identity(&self, _: &str, arn: &str, tags: &Tags) -> Result<(), ReadError> {
            let pairs: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.call(format!("TagResource {arn} {}", pairs.join(",")));
            Ok(())
        }
    }

    impl AccountReader for Fake {
        async fn account_id(&self) -> Result<String, ReadError> {
            self.call("GetCallerIdentity".into());
            Ok("123456789012".into())
        }
    }

    impl Route53Reader for Fake {
        async fn hosted_zones(&self) -> Result<Vec<HostedZone>, ReadError> {
            Err(self.unexpected("ListHostedZones"))
        }
        async fn record_sets(&self, _: &str) -> Result<Vec<RecordSet>, ReadError> {
            Err(self.unexpected("ListResourceRecordSets"))
        }
        async fn zone_tags(&self, _: &str) -> Result<Tags, ReadError> {
            Err(self.unexpected("ListTagsForResource"))
        }
    }

    impl Route53Writer for Fake {
        async fn upsert_records(&self, _: &str, _: &[RecordWrite]) -> Result<(), ReadError> {
            Err(self.unexpected("ChangeResourceRecordSets"))
        }
    }

    impl RegistrarReader for Fake {
        async fn domains(&self) -> Result<Vec<RegisteredDomain>, ReadError> {
            self.call("ListDomains".into());
            Ok(vec![])
        }
        async fn domain(&self, _: &str) -> Result<RegisteredDomain, ReadError> {
            Err(self.unexpected("GetDomainDetail"))
        }
        async fn tags(&self, _: &str) -> Result<Tags, ReadError> {
            Err(self.unexpected("ListTagsForDomain"))
        }
        async fn operations(&self) -> Result<Vec<DomainOperation>, ReadError> {
            self.call("ListOperations".into());
            Ok(self.operations.lock().unwrap().clone())
        }
        async fn availability(&self, domain: &str) -> Result<Availability, ReadError> {
            self.call(format!("CheckDomainAvailability {domain}"));
            Ok(Availability {
                domain: domain.into(),
                answer: "AVAILABLE".into(),
            })
        }
        async fn price(&self, tld: &str) -> Result<Option<TldPrice>, ReadError> {
            self.call(format!("ListPrices {tld}"));
            Ok(Some(TldPrice {
                tld: tld.into(),
                registration: *self.price.lock().unwrap(),
                renewal: None,
                currency: Some("USD".into()),
            }))
        }
    }

    impl RegistrarWriter for Fake {
        async fn set_auto_renew(&self, _: &str, _: bool) -> Result<(), ReadError> {
            Err(self.unexpected("EnableDomainAutoRenew"))
        }
        async fn disable_transfer_lock(&self, _: &str) -> Result<(), ReadError> {
            Err(self.unexpected("DisableDomainTransferLock"))
        }
        async fn register_domain(
            &self,
            domain: &str,
            years: u8,
            _: bool,
            contact: &crate::model::Contact,
        ) -> Result<String, ReadError> {
            self.call(format!(
                "RegisterDomain {domain} {years}y for {}",
                contact.last_name
            ));
            Ok("op-1".into())
        }
        async fn transfer_to_account(
            &self,
            _: &str,
            _: &str,
        ) -> Result<(String, Secret), ReadError> {
            Err(self.unexpected("TransferDomainToAnotherAwsAccount"))
        }
        async fn retrieve_auth_code(&self, _: &str) -> Result<Secret, ReadError> {
            Err(self.unexpected("RetrieveDomainAuthCode"))
        }
        async fn tag_domain(&self, domain: &str, tags: &Tags) -> Result<(), ReadError> {
            self.call(format!(
                "UpdateTagsForDomain {domain} {}",
                tags.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            ));
            Ok(())
        }
        async fn cancel_transfer(&self, _: &str) -> Result<String, ReadError> {
            Err(self.unexpected("CancelDomainTransferToAnotherAwsAccount"))
        }
    }

    /// Secrets have no business in these tests: keeping one fails the step.
    fn no_secrets(_: &str, _: &str, _: &Secret) -> Result<String, String> {
        Err("no secret was expected".into())
    }

    const PLATFORM: &str = "platform {\n    aws-region \"us-east-1\"\n\n    registrant {\n        contact-type \"PERSON\"\n        first-name \"Pat\"\n        last-name \"Lee\"\n        email \"domains@example.org\"\n        phone \"+1.5555550100\"\n        address-line-1 \"1 Main Street\"\n        city \"Springfield\"\n        country-code \"US\"\n        zip-code \"12345\"\n    }\n}\n";

    fn config(ids: &[&str]) -> Config {
        let files: Vec<(String, String)> = ids
            .iter()
            .map(|id| {
                (
                    id.to_string(),
                    format!(
                        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n}}\n"
                    ),
                )
            })
            .collect();
        config_of(&files)
    }

    fn config_of(files: &[(String, String)]) -> Config {
        let mut sources = SourceSet::default();
        sources.add(SourceFile::new(
            "libraries/_platform.kdl",
            PLATFORM.to_string(),
        ));
        for (id, text) in files {
            sources.add(SourceFile::new(format!("libraries/{id}.kdl"), text.clone()));
        }
        let analysis = config::analyze(
            &mut sources,
            &AnalyzeOptions {
                today: Date::parse("2026-11-26").unwrap(),
            },
        );
        analysis
            .config
            .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics))
    }

    fn change(op: Op, kind: ResourceKind, name: &str) -> Change {
        Change {
            op,
            kind,
            name: name.into(),
            attributes: vec![],
            cost: None,
            reason: None,
        }
    }

    fn library_plan(id: &str, changes: Vec<Change>, deletions: Vec<Change>) -> LibraryPlan {
        LibraryPlan {
            library: id.into(),
            name: id.into(),
            method: Method::SesDomain,
            changes,
            deletions,
            blocked: vec![],
            actions: vec![],
            in_progress: vec![],
            readiness: Readiness {
                ready: false,
                launch: None,
                days_left: None,
                level: crate::plan::Level::Info,
                summary: String::new(),
            },
            yearly_cost: None,
            information: vec![],
            notices: vec![],
        }
    }

    fn identity(name: &str, tags: &[(&str, &str)]) -> SesIdentity {
        SesIdentity {
            name: name.into(),
            kind: IdentityKind::Domain,
            verification_status: None,
            verified_for_sending: false,
            dkim: None,
            mail_from: None,
            configuration_set: None,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            verification_error: None,
        }
    }

    fn run(config: &Config, plan: &Plan, fake: &Fake) -> (Summary, Vec<Step>) {
        run_allowing(config, plan, fake, true)
    }

    fn run_allowing(
        config: &Config,
        plan: &Plan,
        fake: &Fake,
        destroy: bool,
    ) -> (Summary, Vec<Step>) {
        let services = Services {
            ses: fake.clone(),
            route53: fake.clone(),
            registrar: fake.clone(),
            account: fake.clone(),
        };
        let steps = Mutex::new(Vec::new());
        let record = |s: &Step| steps.lock().unwrap().push(s.clone());
        let opts = ApplyOptions {
            now: &|| 1_767_225_600,
            permissions: Permissions {
                purchases: &[],
                destroy,
                max_destroy: usize::MAX,
                force_destroy: false,
                handovers: true,
            },
            on_start: &|_, _| {},
            on_step: &record,
            keep_secret: &no_secrets,
        };
        let summary = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(apply(config, plan, &services, &opts));
        (summary, steps.into_inner().unwrap())
    }

    #[test]
    fn an_identity_made_since_the_plan_is_not_created_again() {
        let config = config(&["springfield"]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: vec![library_plan(
                "springfield",
                vec![change(
                    Op::Create,
                    ResourceKind::SesIdentity,
                    "springfield.example.org",
                )],
                vec![],
            )],
            unmanaged: vec![],
        };
        let fake = Fake::default();
        fake.identities.lock().unwrap().insert(
            "springfield.example.org".into(),
            identity("springfield.example.org", &[]),
        );
        let (summary, steps) = run(&config, &plan, &fake);
        // No read before the create: SES's own answer says it exists, then one read says
        // whose it is (not ours: left alone).
        assert_eq!(
            fake.calls(),
            [
                "CreateEmailIdentity springfield.example.org RSA_2048_BIT",
                "GetEmailIdentity springfield.example.org"
            ]
        );
        assert_eq!(summary.skipped, 1);
        assert!(
            matches!(&steps[0].outcome, Outcome::Skipped(why) if why.contains("exists now")),
            "{steps:?}"
        );
    }

    #[test]
    fn adopted_identities_get_their_missing_tags_with_one_account_lookup() {
        let config = config_of(&[
            (
                "springfield".into(),
                "library \"springfield\" {\n    name \"Springfield\"\n    it-contact \"it@springfield.example.org\"\n\n    ses-domain {\n        from \"noreply@springfield.example.org\"\n        adopt #true\n    }\n}\n".into(),
            ),
            (
                "shelbyville".into(),
                "library \"shelbyville\" {\n    name \"Shelbyville\"\n    it-contact \"it@shelbyville.example.org\"\n\n    ses-domain {\n        from \"noreply@shelbyville.example.org\"\n        adopt #true\n    }\n}\n".into(),
            ),
        ]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: ["springfield", "shelbyville"]
                .iter()
                .map(|id| {
                    library_plan(
                        id,
                        vec![change(
                            Op::Update,
                            ResourceKind::SesIdentity,
                            &format!("{id}.example.org"),
                        )],
                        vec![],
                    )
                })
                .collect(),
            unmanaged: vec![],
        };
        let fake = Fake::default();
        for (id, tags) in [
            ("springfield", vec![("team", "web")]),
            ("shelbyville", vec![]),
        ] {
            let name = format!("{id}.example.org");
            let mut live = identity(&name, &tags);
            live.dkim = Some(crate::live::facts::DkimFacts {
                signing_enabled: true,
                status: None,
                tokens: vec![],
                signing_hosted_zone: None,
                origin: None,
                current_key_length: Some("RSA_2048_BIT".into()),
                next_key_length: None,
                last_key_generation: None,
            });
            fake.identities.lock().unwrap().insert(name, live);
        }
        let (summary, steps) = run(&config, &plan, &fake);
        assert_eq!(
            fake.calls(),
            [
                "GetEmailIdentity springfield.example.org",
                "GetCallerIdentity",
                "TagResource arn:aws:ses:us-east-1:123456789012:identity/springfield.example.org library=springfield,managed-by=mailform",
                "GetEmailIdentity shelbyville.example.org",
                "TagResource arn:aws:ses:us-east-1:123456789012:identity/shelbyville.example.org library=shelbyville,managed-by=mailform",
            ]
        );
        assert_eq!((summary.done, summary.failed), (2, 0));
        assert_eq!(steps[0].outcome, Outcome::Done(vec!["TagResource".into()]));
    }

    #[test]
    fn a_deletion_goes_ahead_only_while_the_identity_is_still_an_orphan() {
        // `gone` was removed from the files; its identity is still tagged as its.
        let config = config(&["springfield"]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: vec![
                library_plan(
                    "gone",
                    vec![],
                    vec![change(
                        Op::Delete,
                        ResourceKind::SesIdentity,
                        "gone.example.org",
                    )],
                ),
                library_plan(
                    "moved",
                    vec![],
                    vec![change(
                        Op::Delete,
                        ResourceKind::SesIdentity,
                        "moved.example.org",
                    )],
                ),
            ],
            unmanaged: vec![],
        };
        let fake = Fake::default();
        fake.identities.lock().unwrap().extend([
            (
                "gone.example.org".to_string(),
                identity(
                    "gone.example.org",
                    &[("managed-by", "mailform"), ("library", "gone")],
                ),
            ),
            // Someone took this one over since the plan: its tags no longer say it is ours.
            (
                "moved.example.org".to_string(),
                identity("moved.example.org", &[("owner", "someone-else")]),
            ),
        ]);
        let (summary, _) = run(&config, &plan, &fake);
        assert_eq!(
            fake.calls(),
            [
                "GetEmailIdentity gone.example.org",
                "DeleteEmailIdentity gone.example.org",
                "GetEmailIdentity moved.example.org",
            ]
        );
        assert_eq!((summary.done, summary.skipped, summary.failed), (1, 1, 0));
    }

    #[test]
    fn a_deletion_the_apply_was_not_allowed_is_not_made_whatever_the_caller_checked() {
        let config = config(&["springfield"]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: vec![library_plan(
                "gone",
                vec![],
                vec![change(
                    Op::Delete,
                    ResourceKind::SesIdentity,
                    "gone.example.org",
                )],
            )],
            unmanaged: vec![],
        };
        let fake = Fake::default();
        fake.identities.lock().unwrap().insert(
            "gone.example.org".to_string(),
            identity(
                "gone.example.org",
                &[("managed-by", "mailform"), ("library", "gone")],
            ),
        );
        let (summary, steps) = run_allowing(&config, &plan, &fake, false);
        assert!(fake.calls().is_empty(), "{:?}", fake.calls());
        assert_eq!(summary.waiting, 1);
        assert!(
            matches!(&steps[0].outcome, Outcome::Waiting(why) if why.contains("--allow-destroy")),
            "{:?}",
            steps[0].outcome
        );
    }

    #[test]
    fn a_failed_step_stops_its_library_only() {
        let config = config(&["springfield", "shelbyville"]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: vec![
                library_plan(
                    "springfield",
                    vec![
                        change(
                            Op::Create,
                            ResourceKind::SesIdentity,
                            "springfield.example.org",
                        ),
                        // Ranked first, and it fails: springfield has no managed domain.
                        change(
                            Op::Update,
                            ResourceKind::DomainAutoRenew,
                            "springfield.example.org",
                        ),
                    ],
                    vec![],
                ),
                library_plan(
                    "shelbyville",
                    vec![change(
                        Op::Create,
                        ResourceKind::SesIdentity,
                        "shelbyville.example.org",
                    )],
                    vec![],
                ),
            ],
            unmanaged: vec![],
        };
        let fake = Fake::default();
        let (summary, steps) = run(&config, &plan, &fake);
        assert_eq!(
            fake.calls(),
            ["CreateEmailIdentity shelbyville.example.org RSA_2048_BIT"]
        );
        assert_eq!(summary.failed_libraries, ["springfield"]);
        assert_eq!(step_count(&plan), steps.len());
        let labels: Vec<(&str, &str)> = steps
            .iter()
            .map(|s| {
                (
                    s.change.as_str(),
                    match s.outcome {
                        Outcome::Done(_) => "done",
                        Outcome::Skipped(_) => "skipped",
                        Outcome::Failed(_) => "failed",
                        Outcome::Waiting(_) => "waiting",
                    },
                )
            })
            .collect();
        assert_eq!(
            labels,
            [
                ("~ domain-auto-renew springfield.example.org", "failed"),
                ("+ ses-identity springfield.example.org", "skipped"),
                ("+ ses-identity shelbyville.example.org", "done"),
            ]
        );
    }

    fn buying(price: f64, operations: Vec<DomainOperation>) -> (Summary, Vec<Step>, Vec<String>) {
        let config = config_of(&[(
            "ogdenville".into(),
            "library \"ogdenville\" {\n    name \"Ogdenville\"\n    it-contact \"it@ogdenville.example.org\"\n\n    managed-domain {\n        domain \"ogdenville-mail.org\"\n        from \"noreply@ogdenville-mail.org\"\n        price-cap 20.00\n    }\n}\n".into(),
        )]);
        let plan = Plan {
            platform: vec![],
            platform_changes: vec![],
            platform_deletions: vec![],
            version: 1,
            libraries: vec![library_plan(
                "ogdenville",
                vec![change(
                    Op::Create,
                    ResourceKind::DomainRegistration,
                    "ogdenville-mail.org",
                )],
                vec![],
            )],
            unmanaged: vec![],
        };
        let fake = Fake::default();
        *fake.price.lock().unwrap() = Some(price);
        *fake.operations.lock().unwrap() = operations;
        let services = Services {
            ses: fake.clone(),
            route53: fake.clone(),
            registrar: fake.clone(),
            account: fake.clone(),
        };
        let steps = Mutex::new(Vec::new());
        let record = |s: &Step| steps.lock().unwrap().push(s.clone());
        let purchases = ["ogdenville-mail.org".to_string()];
        let opts = ApplyOptions {
            now: &|| 1_767_225_600,
            permissions: Permissions {
                purchases: &purchases,
                destroy: false,
                max_destroy: 0,
                force_destroy: false,
                handovers: true,
            },
            on_start: &|_, _| {},
            on_step: &record,
            keep_secret: &no_secrets,
        };
        let summary = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(apply(&config, &plan, &services, &opts));
        (summary, steps.into_inner().unwrap(), fake.calls())
    }

    #[test]
    fn a_purchase_rechecks_operations_availability_and_price_right_before_registering() {
        let (summary, _, calls) = buying(15.0, vec![]);
        assert_eq!(summary.done, 1);
        assert_eq!(
            calls,
            [
                "ListOperations",
                "ListDomains",
                "CheckDomainAvailability ogdenville-mail.org",
                "ListPrices org",
                "RegisterDomain ogdenville-mail.org 1y for Lee",
                // The ownership tags, at once: without them the domain is read-only to mailform.
                "UpdateTagsForDomain ogdenville-mail.org library=ogdenville,managed-by=mailform",
            ]
        );
    }

    #[test]
    fn a_registration_submitted_before_a_crash_is_never_bought_again() {
        let (summary, steps, calls) = buying(
            15.0,
            vec![DomainOperation {
                id: "op-0".into(),
                domain: Some("ogdenville-mail.org".into()),
                kind: "REGISTER_DOMAIN".into(),
                status: "IN_PROGRESS".into(),
                submitted: None,
                tags: None,
            }],
        );
        // Not bought again; the crashed apply may not have tagged it, so the tags go on.
        assert_eq!(
            calls,
            [
                "ListOperations",
                "UpdateTagsForDomain ogdenville-mail.org library=ogdenville,managed-by=mailform"
            ]
        );
        assert_eq!(summary.skipped, 1);
        assert!(
            matches!(&steps[0].outcome, Outcome::Skipped(why) if why.contains("operation op-0")),
            "{steps:?}"
        );
    }

    #[test]
    fn a_price_over_the_cap_at_the_last_moment_buys_nothing() {
        let (summary, steps, calls) = buying(25.0, vec![]);
        assert!(
            !calls.iter().any(|c| c.starts_with("RegisterDomain")),
            "{calls:?}"
        );
        assert_eq!(summary.failed, 1);
        assert!(
            matches!(&steps[0].outcome, Outcome::Failed(why) if why.contains("now costs $25.00 a year, over the cap")),
            "{steps:?}"
        );
    }
}
