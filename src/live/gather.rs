//! Reading everything live for a set of libraries: the engine of `mailform refresh`.
//!
//! Generic over the readers, so tests can hand in fakes; the only decisions made here are
//! *what to ask* (from the desired model). The DNS verdicts come from the pure checks in
//! [`crate::dns_check`]; the SMTP probe is [`crate::probe`].

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::dns_check::{
    self, DkimExpectation, DmarcFinding, DomainChecks, MailFromExpectation, MailFromProblem,
    SpfFinding, Verdict,
};
use crate::model::{Config, DeliveryMethod, Library, LibraryId, SecretRef};
use crate::probe::{self, ProbeOptions, ProbeTarget};
use crate::secret::Secret;

use super::clock::Clock;
use super::dns::{Answer, DnsReader, Observations, Query, observe_until};
use super::error::ReadError;
use super::event_destinations::EventDestinationReader;
use super::facts::{HostedZone, IdentitySummary, RegisteredDomain};
use super::meter::{Meter, Meters};
use super::registrar::RegistrarReader;
use super::route53::Route53Reader;
use super::scope::{Baseline, Scope, desired_fingerprint, resource_names};
use super::ses::SesReader;
use super::snapshot::{
    self, AvailabilityV1, CheckV1, DnsV1, DomainV1, EventSetV1, FindingV1, IdentityV1, LibraryV1,
    LiveSnapshotV1, NameServersV1, ObservationV1, PriceV1, ProbeV1, RefreshV1, RegistrarV1,
    Route53V1, SesV1, ZoneV1,
};
use super::tenants::TenantReader;

/// The readers one refresh uses.
pub struct Readers<S, Z, R, D> {
    pub ses: S,
    pub route53: Z,
    pub registrar: R,
    pub dns: D,
}

/// What to read and how hard to push.
pub struct GatherOptions<'a> {
    /// Only these libraries; `None` reads all of them and every live resource.
    pub targets: Option<Vec<LibraryId>>,
    /// Calls in flight at once, per system (the rate limiters still apply). DNS questions
    /// are limited by the DNS reader itself ([`super::dns::DnsLimits`]).
    pub concurrency: usize,
    /// How long each DNS phase may take; questions unanswered by then fail as lookups.
    pub dns_deadline: std::time::Duration,
    pub probe: ProbeOptions,
    /// Where a library's SMTP password variable is looked up (the environment, in the CLI).
    pub secret_lookup: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// Told what is being read, for a progress line.
    pub progress: &'a (dyn Fn(&str) + Sync),
    /// Told how many calls each service is expected to make, and of every DNS answer and SMTP
    /// probe (the AWS adapters count their own calls on the same meters).
    pub meters: &'a Meters,
    /// A previous snapshot to take settled resources' deep reads from (see [`super::scope`]);
    /// `None` reads everything.
    pub baseline: Option<&'a Baseline<'a>>,
}

/// Reads everything and builds the snapshot. The first failed AWS read stops it: a partial
/// snapshot would make the planner see resources as missing.
///
/// With a baseline, deep reads of settled resources come from it (the rule is in
/// [`super::scope`]); without one, everything is read.
pub async fn gather<S, Z, R, D>(
    config: &Config,
    readers: &Readers<S, Z, R, D>,
    opts: &GatherOptions<'_>,
    clock: &dyn Clock,
) -> Result<LiveSnapshotV1, ReadError>
where
    S: SesReader + TenantReader + EventDestinationReader + Sync,
    Z: Route53Reader + Sync,
    R: RegistrarReader + Sync,
    D: DnsReader + Sync,
{
    let baseline = opts.baseline.cloned();
    gather_with(config, readers, opts, clock, std::future::ready(baseline)).await
}

/// [`gather`], with the baseline still on its way: the caller may be reading it and planning
/// against it while the list calls, which need no baseline, are already under way.
/// `opts.baseline` is not consulted; `baseline` gives it, or `None` to read everything.
///
/// The time a scoped refresh takes is set by the rate-limited list calls (over 1,000 libraries,
/// Route 53 Domains' six at one a second). Nothing else waits for them that need not: the baseline arrives meanwhile, and
/// the DNS questions of the libraries it says are settled are asked meanwhile too, since they
/// depend only on the baseline's DKIM tokens. Once the lists and deep reads are in, every
/// library's DNS is judged with what was read; only questions not already asked go out (an
/// identity whose tokens changed since the baseline has its new ones asked then).
pub async fn gather_with<'b, S, Z, R, D>(
    config: &Config,
    readers: &Readers<S, Z, R, D>,
    opts: &GatherOptions<'_>,
    clock: &dyn Clock,
    baseline: impl Future<Output = Option<Baseline<'b>>>,
) -> Result<LiveSnapshotV1, ReadError>
where
    S: SesReader + TenantReader + EventDestinationReader + Sync,
    Z: Route53Reader + Sync,
    R: RegistrarReader + Sync,
    D: DnsReader + Sync,
{
    let taken_at = clock.now();
    let libraries: Vec<&Library> = config
        .libraries
        .iter()
        .filter(|l| {
            opts.targets
                .as_ref()
                .is_none_or(|targets| targets.contains(&l.id))
        })
        .collect();
    let everything = opts.targets.is_none();
    let n = opts.concurrency.max(1);

    let wanted_identities: BTreeSet<String> = libraries
        .iter()
        .filter_map(|l| l.method.ses_identity())
        .map(|d| d.as_str().to_string())
        .collect();
    let managed_domains: BTreeSet<String> = libraries
        .iter()
        .filter_map(|l| match &l.method {
            DeliveryMethod::ManagedDomain(m) => Some(m.domain.as_str().to_string()),
            _ => None,
        })
        .collect();

    // List-level state, always live.
    let lists = async {
        let ses = async {
            (opts.progress)("SES: account and identities");
            // GetAccount, ListEmailIdentities, ListConfigurationSets (one page each, at least).
            opts.meters.ses.expect(3);
            let account = readers.ses.account().await?;
            let listed: Vec<IdentitySummary> = readers
                .ses
                .identities()
                .await?
                .into_iter()
                .filter(|i| everything || wanted_identities.contains(&i.name))
                .collect();
            let mut sets = readers.ses.configuration_sets().await?;
            let events_set = match &config.platform.events {
                Some(events) if sets.iter().any(|s| s.name == events.configuration_set) => {
                    // GetConfigurationSetEventDestinations.
                    opts.meters.ses.expect(1);
                    let name = &events.configuration_set;
                    match readers.ses.event_destinations(name).await? {
                        Some(destinations) => Some(EventSetV1 {
                            name: name.clone(),
                            destinations,
                        }),
                        None => {
                            // Deleted since the list: it is missing, and plans as such.
                            sets.retain(|s| &s.name != name);
                            None
                        }
                    }
                }
                _ => None,
            };
            let (tenants, reputation) = if config.platform.tenants.is_some() {
                // ListTenants, ListReputationEntities.
                opts.meters.ses.expect(2);
                (
                    readers.ses.tenants().await?,
                    readers.ses.reputation_entities().await?,
                )
            } else {
                (Vec::new(), Vec::new())
            };
            Ok::<_, ReadError>((account, listed, (sets, events_set), (tenants, reputation)))
        };
        let route53 = async {
            (opts.progress)("Route 53: hosted zones");
            opts.meters.route53.expect(1);
            let zones: Vec<HostedZone> = readers
                .route53
                .hosted_zones()
                .await?
                .into_iter()
                .filter(|z| everything || managed_domains.contains(&z.name))
                .collect();
            Ok::<_, ReadError>(zones)
        };
        let registrar = async {
            (opts.progress)("Route 53 Domains: domains and operations");
            // ListDomains, ListOperations.
            opts.meters.route53domains.expect(2);
            let listed = readers.registrar.domains().await?;
            let registered: BTreeSet<String> = listed.iter().map(|d| d.name.clone()).collect();
            let listed: Vec<RegisteredDomain> = listed
                .into_iter()
                .filter(|d| everything || managed_domains.contains(&d.name))
                .collect();
            let mut operations = readers.registrar.operations().await?;
            // A registration under way of a declared domain: its tags, so that one an apply
            // bought and was killed before tagging is tagged by the next (an error answer
            // leaves them unknown, which plans nothing).
            let mut registering: Vec<_> = operations
                .iter_mut()
                .filter(|o| {
                    o.kind == "REGISTER_DOMAIN"
                        && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
                        && o.domain
                            .as_ref()
                            .is_some_and(|d| managed_domains.contains(d))
                })
                .collect();
            let unregistered: Vec<&String> = managed_domains
                .iter()
                .filter(|d| !registered.contains(*d))
                .collect();
            let tlds: BTreeSet<&str> = managed_domains
                .iter()
                .filter_map(|d| d.rsplit('.').next())
                .collect();
            opts.meters
                .route53domains
                .expect(registering.len() + unregistered.len() + tlds.len());
            for op in registering.iter_mut() {
                let domain = op.domain.clone().unwrap_or_default();
                op.tags = readers.registrar.tags(&domain).await.ok();
            }
            let mut availability = Vec::new();
            for domain in unregistered {
                availability.push(readers.registrar.availability(domain).await?);
            }
            let mut prices = Vec::new();
            for tld in tlds {
                prices.extend(readers.registrar.price(tld).await?);
            }
            Ok::<_, ReadError>((listed, operations, availability, prices))
        };
        tokio::try_join!(ses, route53, registrar)
    };
    // Meanwhile: the baseline, then the DNS of the libraries it says are settled.
    let settled = async {
        let scope = match baseline.await {
            Some(baseline) => Scope::scoped(config, &libraries, &baseline),
            None => Scope::full(),
        };
        let mut dns = Dns::default();
        if scope.is_scoped() {
            let settled: Vec<&Library> = libraries
                .iter()
                .copied()
                .filter(|l| !scope.is_dirty(l))
                .collect();
            (opts.progress)("DNS of settled libraries");
            dns.judge(
                readers,
                &settled,
                &scope.settled_identities(),
                &config.platform.aws_region,
                opts.dns_deadline,
                &opts.meters.dns,
            )
            .await;
        }
        Ok::<_, ReadError>((scope, dns))
    };
    let ((ses, zones, registrar), (mut scope, mut dns)) = tokio::try_join!(lists, settled)?;
    let (account, identities, (sets, events_set), (listed_tenants, reputation)) = ses;
    let (domains, operations, availability, prices) = registrar;
    let listed = Listed {
        identities,
        zones,
        domains,
    };

    // Deep reads, except what the baseline holds for settled resources.
    let mut deep = Deep::default();
    deep.read(readers, &scope, n, &listed, opts.meters, |_| true)
        .await?;

    // Every library's DNS, judged with what was read: asks only what the settled libraries'
    // round did not (the dirty libraries' questions, and tokens that changed).
    (opts.progress)("DNS");
    dns.judge(
        readers,
        &libraries,
        &deep.identities,
        &config.platform.aws_region,
        opts.dns_deadline,
        &opts.meters.dns,
    )
    .await;
    // A settled library whose DNS moved since the baseline is read again in depth.
    let moved: Vec<&Library> = libraries
        .iter()
        .copied()
        .filter(|l| !scope.is_dirty(l) && scope.dns_moved(l, dns.verdicts.get(&l.id)))
        .collect();
    if !moved.is_empty() {
        for library in &moved {
            scope.mark_dirty(library);
        }
        let names: BTreeSet<String> = moved.iter().flat_map(|l| resource_names(l)).collect();
        deep.read(readers, &scope, n, &listed, opts.meters, |name| {
            names.contains(name)
        })
        .await?;
        dns.judge(
            readers,
            &moved,
            &deep.identities,
            &config.platform.aws_region,
            opts.dns_deadline,
            &opts.meters.dns,
        )
        .await;
    }

    // Only when the platform manages tenants (its `tenants` block).
    let tenants = if config.platform.tenants.is_some() {
        (opts.progress)("SES tenants");
        super::tenants::gather(
            &readers.ses,
            super::tenants::Wanted {
                libraries: &libraries,
                everything,
                scope: &scope,
            },
            listed_tenants,
            reputation,
            n,
            &opts.meters.ses,
        )
        .await?
    } else {
        Vec::new()
    };

    (opts.progress)("SMTP probes");
    let probes = probe_all(&libraries, opts, n).await;

    let mut library_out = Vec::new();
    for library in &libraries {
        let mut notes = Vec::new();
        let identity = library.method.ses_identity().map(|d| d.to_string());
        if let Some(name) = &identity {
            match deep.identities.get(name.as_str()) {
                None => notes.push(format!("no SES identity {name} yet")),
                Some(i) if i.dkim.as_ref().is_none_or(|d| d.tokens.is_empty()) => {
                    notes.push(format!("SES identity {name} has no Easy DKIM tokens"))
                }
                Some(_) => {}
            }
        }
        let smtp_probe = match probes.get(&library.id) {
            Some(Ok(p)) => Some(p.clone()),
            Some(Err(note)) => {
                notes.push(note.clone());
                None
            }
            None => None,
        };
        library_out.push(LibraryV1 {
            id: library.id.as_str().to_string(),
            method: method_name(&library.method).to_string(),
            identity,
            dns: dns.verdicts.remove(&library.id),
            smtp_probe,
            desired: Some(desired_fingerprint(&config.platform, library)),
            notes,
        });
    }

    let taken_at = snapshot::timestamp(taken_at);
    let refresh = RefreshV1 {
        mode: if scope.is_scoped() { "scoped" } else { "full" }.into(),
        full_read_at: scope.full_read_at().unwrap_or_else(|| taken_at.clone()),
        read_in_depth: if scope.is_scoped() {
            scope.dirty_libraries().map(str::to_string).collect()
        } else {
            libraries
                .iter()
                .map(|l| l.id.as_str().to_string())
                .collect()
        },
    };
    Ok(LiveSnapshotV1 {
        version: snapshot::VERSION,
        taken_at,
        region: config.platform.aws_region.clone(),
        targets: opts
            .targets
            .as_ref()
            .map(|t| t.iter().map(|id| id.as_str().to_string()).collect()),
        ses: SesV1 {
            account: (&account).into(),
            identities: deep.identities.into_values().collect(),
            configuration_sets: sets.into_iter().map(|s| s.name).collect(),
            tenants,
            events_set,
        },
        registrar: RegistrarV1 {
            domains: deep.domains.into_values().collect(),
            operations: operations.iter().map(Into::into).collect(),
            availability: availability
                .into_iter()
                .map(|a| AvailabilityV1 {
                    domain: a.domain,
                    answer: a.answer,
                })
                .collect(),
            prices: prices
                .into_iter()
                .map(|p| PriceV1 {
                    tld: p.tld,
                    registration: p.registration,
                    renewal: p.renewal,
                    currency: p.currency,
                })
                .collect(),
        },
        route53: Route53V1 {
            hosted_zones: deep.zones.into_values().collect(),
        },
        libraries: library_out,
        refresh: Some(refresh),
    })
}

/// What the list calls found (and the targets keep).
struct Listed {
    identities: Vec<IdentitySummary>,
    zones: Vec<HostedZone>,
    domains: Vec<RegisteredDomain>,
}

/// The deep state of listed resources, by name.
#[derive(Default)]
struct Deep {
    identities: BTreeMap<String, IdentityV1>,
    domains: BTreeMap<String, DomainV1>,
    /// By name and id: a public and a private zone may share a name.
    zones: BTreeMap<(String, String), ZoneV1>,
    /// The kinds and names of what was read live (not taken from the baseline), so a second
    /// round does not ask for it again.
    live: BTreeSet<(String, String)>,
}

const SES: &str = "ses-identity";
const ZONE: &str = "hosted-zone";
const DOMAIN: &str = "domain";

impl Deep {
    /// Reads (or takes from the baseline) the deep state of every listed resource `which`
    /// names and that was not read live before, replacing what was there.
    async fn read<S, Z, R, D>(
        &mut self,
        readers: &Readers<S, Z, R, D>,
        scope: &Scope<'_>,
        n: usize,
        listed: &Listed,
        meters: &Meters,
        which: impl Fn(&str) -> bool,
    ) -> Result<(), ReadError>
    where
        S: SesReader + Sync,
        Z: Route53Reader + Sync,
        R: RegistrarReader + Sync,
        D: DnsReader + Sync,
    {
        let which = |kind: &str, name: &str| {
            which(name) && !self.live.contains(&(kind.to_string(), name.to_string()))
        };
        // What the baseline holds is decided first, so the calls still to make are known.
        let identities: Vec<_> = listed
            .identities
            .iter()
            .filter(|i| which(SES, &i.name))
            .map(|i| (i, scope.identity(i)))
            .collect();
        let zones: Vec<_> = listed
            .zones
            .iter()
            .filter(|z| which(ZONE, &z.name))
            .map(|z| (z, scope.zone(z)))
            .collect();
        let domains: Vec<_> = listed
            .domains
            .iter()
            .filter(|d| which(DOMAIN, &d.name))
            .map(|d| (d, scope.domain(d)))
            .collect();
        // GetEmailIdentity; ListResourceRecordSets and ListTagsForResource; GetDomainDetail.
        meters.ses.expect(to_read(&identities));
        meters.route53.expect(2 * to_read(&zones));
        meters.route53domains.expect(to_read(&domains));
        let ses = async {
            stream::iter(identities)
                .map(|(listed, kept)| async move {
                    if let Some(kept) = kept {
                        return Ok(Some(Kept(kept)));
                    }
                    let read = readers.ses.identity(&listed.name).await?;
                    Ok::<_, ReadError>(read.as_ref().map(IdentityV1::from).map(Live))
                })
                .buffered(n)
                .try_filter_map(|i| async move { Ok(i) })
                .try_collect::<Vec<Read<IdentityV1>>>()
                .await
        };
        let route53 = async {
            stream::iter(zones)
                .map(|(listed, kept)| async move {
                    if let Some(kept) = kept {
                        return Ok(Kept(kept));
                    }
                    let mut zone = listed.clone();
                    zone.records = readers.route53.record_sets(&zone.id).await?;
                    zone.tags = readers.route53.zone_tags(&zone.id).await?;
                    Ok::<_, ReadError>(Live(ZoneV1::from(&zone)))
                })
                .buffered(n)
                .try_collect::<Vec<Read<ZoneV1>>>()
                .await
        };
        let registrar = async {
            stream::iter(domains)
                .map(|(listed, kept)| async move {
                    if let Some(kept) = kept {
                        return Ok(Kept(kept));
                    }
                    let mut detail = readers.registrar.domain(&listed.name).await?;
                    // ListDomains knows the transfer lock, GetDomainDetail only the status codes.
                    detail.transfer_lock = listed.transfer_lock;
                    detail.auto_renew = detail.auto_renew.or(listed.auto_renew);
                    detail.expiry = detail.expiry.or(listed.expiry);
                    Ok::<_, ReadError>(Live(DomainV1::from(&detail)))
                })
                .buffered(n)
                .try_collect::<Vec<Read<DomainV1>>>()
                .await
        };
        let (identities, zones, domains) = tokio::try_join!(ses, route53, registrar)?;
        for read in identities {
            let i = self.note(SES, read, |i| &i.name);
            self.identities.insert(i.name.clone(), i);
        }
        for read in zones {
            let z = self.note(ZONE, read, |z| &z.name);
            self.zones.insert((z.name.clone(), z.id.clone()), z);
        }
        for read in domains {
            let d = self.note(DOMAIN, read, |d| &d.name);
            self.domains.insert(d.name.clone(), d);
        }
        Ok(())
    }

    fn note<T>(&mut self, kind: &str, read: Read<T>, name: impl Fn(&T) -> &String) -> T {
        match read {
            Live(t) => {
                self.live.insert((kind.to_string(), name(&t).clone()));
                t
            }
            Kept(t) => t,
        }
    }
}

/// How many of `reads` the baseline does not hold, so are read live.
fn to_read<L, K>(reads: &[(L, Option<K>)]) -> usize {
    reads.iter().filter(|(_, kept)| kept.is_none()).count()
}

/// A deep read: asked now, or kept from the baseline.
enum Read<T> {
    Live(T),
    Kept(T),
}
use Read::{Kept, Live};

/// The DNS verdicts of libraries, and every answer asked so far (so a second round asks only
/// what is new).
#[derive(Default)]
struct Dns {
    asked: BTreeSet<Query>,
    obs: Observations,
    verdicts: BTreeMap<LibraryId, DnsV1>,
}

impl Dns {
    async fn judge<S, Z, R, D>(
        &mut self,
        readers: &Readers<S, Z, R, D>,
        libraries: &[&Library],
        identities: &BTreeMap<String, IdentityV1>,
        region: &str,
        deadline: std::time::Duration,
        meter: &Meter,
    ) where
        D: DnsReader + Sync,
    {
        let reader = Counted {
            inner: &readers.dns,
            meter,
        };
        // Every DKIM token of the account's identities read: a target naming one of them is
        // that identity's key, and only then.
        let account_tokens: std::sync::Arc<BTreeSet<String>> = std::sync::Arc::new(
            identities
                .values()
                .filter_map(|i| i.dkim.as_ref())
                .flat_map(|d| d.tokens.iter().cloned())
                .collect(),
        );
        let plans: Vec<DnsPlan> = libraries
            .iter()
            .filter_map(|l| dns_plan(l, identities, region, &account_tokens))
            .collect();
        let checks: Vec<&DomainChecks> = plans.iter().map(|p| &p.checks).collect();
        let deadline = tokio::time::Instant::now() + deadline;
        ask_in_rounds(
            &reader,
            &checks,
            &mut self.asked,
            &mut self.obs,
            deadline,
            |new| meter.expect(new),
        )
        .await;
        for plan in plans {
            let id = plan.library.clone();
            self.verdicts.insert(id, plan.judge(&self.obs));
        }
    }
}

/// Asks what `checks` need, in rounds: every domain's first questions, then what their
/// answers call for (the DKIM second round, SPF includes) until nothing new is wanted. A
/// question in `asked` is never asked again; `expect` is told how many each round adds.
///
/// Each round hands the reader all its questions at once: the reader limits what is in
/// flight (per name server, so questions waiting for a slow one hold no place the others
/// could use). A question unanswered at `deadline` fails as a lookup, never reads as missing.
pub async fn ask_in_rounds<D: DnsReader + Sync>(
    reader: &D,
    checks: &[&DomainChecks],
    asked: &mut BTreeSet<Query>,
    obs: &mut Observations,
    deadline: tokio::time::Instant,
    mut expect: impl FnMut(usize),
) {
    let mut wanted: BTreeSet<Query> = checks.iter().flat_map(|c| c.first_queries()).collect();
    // The DKIM second round, then SPF includes, bounded by SPF's own limit on lookups.
    for _ in 0..=dns_check::SPF_LOOKUP_LIMIT + 2 {
        let new: Vec<Query> = wanted.difference(asked).cloned().collect();
        if new.is_empty() {
            break;
        }
        expect(new.len());
        obs.extend(observe_until(reader, new.iter().cloned(), new.len(), deadline).await);
        asked.extend(new);
        wanted = checks.iter().flat_map(|c| c.next_queries(obs)).collect();
    }
}

/// A DNS reader that counts its answers.
struct Counted<'a, D> {
    inner: &'a D,
    meter: &'a Meter,
}

impl<D: DnsReader + Sync> DnsReader for Counted<'_, D> {
    async fn query(&self, q: &Query) -> Answer {
        let answer = self.inner.query(q).await;
        self.meter.done();
        answer
    }
}

async fn probe_all(
    libraries: &[&Library],
    opts: &GatherOptions<'_>,
    n: usize,
) -> BTreeMap<LibraryId, Result<ProbeV1, String>> {
    let accounts: Vec<_> = libraries
        .iter()
        .filter_map(|l| match &l.method {
            DeliveryMethod::SmtpAccount(a) => Some((l.id.clone(), a)),
            _ => None,
        })
        .collect();
    opts.meters.smtp.expect(
        accounts
            .iter()
            .filter(|(_, a)| {
                let SecretRef::Env(var) = &a.password;
                (opts.secret_lookup)(var).is_some_and(|p| !p.is_empty())
            })
            .count(),
    );
    stream::iter(accounts)
        .map(|(id, account)| async move {
            let SecretRef::Env(var) = &account.password;
            let Some(password) = (opts.secret_lookup)(var).filter(|p| !p.is_empty()) else {
                return (
                    id,
                    Err(format!(
                        "SMTP probe skipped: the password variable {var} is not set"
                    )),
                );
            };
            let target = ProbeTarget::for_account(account, Secret::new(password));
            let report = probe::probe(&target, &opts.probe).await;
            opts.meters.smtp.done();
            let result = ProbeV1 {
                taken_at: snapshot::timestamp(report.taken_at),
                verdict: report.verdict.key().to_string(),
                codes: report.codes().into_iter().map(str::to_string).collect(),
                certificate_expires: report
                    .tls
                    .as_ref()
                    .and_then(|t| t.certificate.as_ref())
                    .map(|c| snapshot::timestamp(c.not_after)),
            };
            (id, Ok(result))
        })
        .buffer_unordered(n)
        .collect()
        .await
}

fn method_name(method: &DeliveryMethod) -> &'static str {
    match method {
        DeliveryMethod::SesDomain(_) => "ses-domain",
        DeliveryMethod::SmtpAccount(_) => "smtp-account",
        DeliveryMethod::ManagedDomain(_) => "managed-domain",
    }
}

/// The DNS questions of one library and how to judge the answers.
struct DnsPlan {
    library: LibraryId,
    checks: DomainChecks,
}

fn dns_plan(
    library: &Library,
    identities: &BTreeMap<String, IdentityV1>,
    region: &str,
    account_tokens: &std::sync::Arc<BTreeSet<String>>,
) -> Option<DnsPlan> {
    let domain = library.method.ses_identity()?.clone();
    let mail_from = match &library.method {
        DeliveryMethod::SesDomain(m) => m.mail_from.clone(),
        _ => None,
    };
    let dkim = identities
        .get(domain.as_str())
        .and_then(|i| i.dkim.as_ref())
        .and_then(|d| {
            let zone = d.signing_hosted_zone.clone()?;
            (!d.tokens.is_empty()).then(|| DkimExpectation {
                domain: domain.clone(),
                tokens: d.tokens.clone(),
                signing_zone: zone,
                subdomains: mail_from.iter().cloned().collect(),
                account_tokens: account_tokens.clone(),
            })
        });
    Some(DnsPlan {
        library: library.id.clone(),
        checks: DomainChecks {
            dkim,
            mail_from: mail_from.map(|d| MailFromExpectation {
                domain: d,
                region: region.to_string(),
            }),
            domain,
        },
    })
}

impl DnsPlan {
    fn judge(self, obs: &Observations) -> DnsV1 {
        let DomainChecks {
            domain,
            dkim,
            mail_from,
        } = &self.checks;
        let dkim = dkim
            .as_ref()
            .map(|d| {
                dns_check::judge_dkim(d, obs)
                    .records
                    .into_iter()
                    .map(|r| CheckV1 {
                        name: r.name,
                        rtype: r.rtype.as_str().to_string(),
                        expected: r.expected,
                        verdict: r.verdict.code().to_string(),
                        detail: verdict_detail(&r.verdict),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mail_from_checks = mail_from
            .as_ref()
            .map(|m| {
                dns_check::judge_mail_from(m, obs)
                    .into_iter()
                    .map(|(r, problem)| CheckV1 {
                        name: r.name,
                        rtype: r.rtype.as_str().to_string(),
                        expected: r.expected,
                        verdict: problem
                            .as_ref()
                            .map_or(r.verdict.code(), MailFromProblem::code)
                            .to_string(),
                        detail: problem
                            .as_ref()
                            .map(problem_detail)
                            .or_else(|| verdict_detail(&r.verdict)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let asked: BTreeSet<Query> = self.checks.judged_queries(obs).into_iter().collect();
        let observations = obs
            .iter()
            .filter(|(q, _)| asked.contains(q))
            .map(|(q, a)| observation(q, a))
            .collect();
        DnsV1 {
            dkim,
            mail_from: mail_from_checks,
            spf: spf_finding(&dns_check::judge_spf(domain.as_str(), obs)),
            dmarc: dmarc_finding(
                &dns_check::judge_dmarc(domain, obs),
                domain,
                mail_from.as_ref().map(|m| &m.domain),
            ),
            name_servers: dns_check::judge_name_servers(domain, obs)
                .map(|(zone, hosts)| NameServersV1 { zone, hosts }),
            observations,
        }
    }
}

fn verdict_detail(v: &Verdict) -> Option<String> {
    match v {
        Verdict::Present | Verdict::Missing { hint: None } => None,
        Verdict::Missing { hint: Some(m) } | Verdict::Wrong { mistake: m } => Some(m.message()),
        Verdict::Unknown { error } => Some(error.clone()),
    }
}

fn problem_detail(p: &MailFromProblem) -> String {
    match p {
        MailFromProblem::WrongMx { found } => format!("MX records found: {}", found.join(", ")),
        MailFromProblem::SpfWithoutSes { found } => {
            format!("the SPF record `{found}` does not include amazonses.com")
        }
        MailFromProblem::SeveralSpf { count } => format!("{count} SPF records; there must be one"),
        MailFromProblem::Spf { finding } => finding.message(),
    }
}

fn spf_finding(f: &SpfFinding) -> FindingV1 {
    FindingV1 {
        finding: f.kind().into(),
        detail: (*f != SpfFinding::Absent).then(|| f.message()),
        code: Some(f.code().into()),
    }
}

fn dmarc_finding(
    f: &DmarcFinding,
    domain: &crate::model::DomainName,
    mail_from: Option<&crate::model::DomainName>,
) -> FindingV1 {
    FindingV1 {
        finding: f.kind().into(),
        detail: (*f != DmarcFinding::Absent).then(|| f.message(domain, mail_from)),
        code: Some(f.code().into()),
    }
}

fn observation(q: &Query, a: &Answer) -> ObservationV1 {
    let (answer, records, error) = match a {
        Answer::Records(rs) => (
            "records",
            rs.iter()
                .map(|r| format!("{} {} {}", r.owner, r.rtype.as_str(), r.data))
                .collect(),
            None,
        ),
        Answer::NoData => ("nodata", Vec::new(), None),
        Answer::NxDomain => ("nxdomain", Vec::new(), None),
        Answer::Failed(e) => ("failed", Vec::new(), Some(e.clone())),
    };
    ObservationV1 {
        name: q.name.clone(),
        rtype: q.rtype.as_str().to_string(),
        answer: answer.into(),
        records,
        error,
    }
}

#[cfg(test)]
mod tests {
    //! The engine against scripted fakes: each records its calls, so a test sees exactly what
    //! was asked (and notices a call too many or too few).

    use std::sync::Mutex;

    use super::*;
    use crate::live::clock::FixedClock;
    use crate::live::error::{ReadErrorKind, System};
    use crate::live::facts::*;
    use crate::model::*;

    #[derive(Default)]
    struct Calls(Mutex<Vec<String>>);

    impl Calls {
        fn push(&self, call: String) {
            self.0.lock().unwrap().push(call);
        }
        fn take(&self) -> Vec<String> {
            let mut calls = std::mem::take(&mut *self.0.lock().unwrap());
            calls.sort();
            calls
        }
    }

    struct Fake {
        calls: Calls,
        deny_zone_listing: bool,
        gates: std::sync::Arc<Gates>,
    }

    /// What the overlap tests watch and hold: the first list call starting, a DNS question
    /// asked, and (when `hold_listing`) `ListEmailIdentities` kept from answering until a DNS
    /// question has been asked.
    #[derive(Default)]
    struct Gates {
        listing_started: tokio::sync::Notify,
        dns_asked: tokio::sync::Notify,
        hold_listing: bool,
    }

    fn identity(name: &str) -> SesIdentity {
        SesIdentity {
            name: name.into(),
            kind: IdentityKind::Domain,
            verification_status: Some(Status::Pending),
            verified_for_sending: false,
            dkim: Some(DkimFacts {
                signing_enabled: true,
                status: Some(Status::Pending),
                tokens: vec!["t1".into(), "t2".into(), "t3".into()],
                signing_hosted_zone: Some("dkim.eu-west-1.amazonses.com".into()),
                origin: None,
                current_key_length: None,
                next_key_length: None,
                last_key_generation: None,
            }),
            mail_from: None,
            configuration_set: None,
            tags: Tags::new(),
            verification_error: None,
        }
    }

    /// No platform `events` block in these tests: never asked.
    impl EventDestinationReader for Fake {
        async fn event_destinations(
            &self,
            set: &str,
        ) -> Result<Option<Vec<crate::live::snapshot::EventDestinationV1>>, ReadError> {
            self.calls
                .push(format!("ses:GetConfigurationSetEventDestinations {set}"));
            Ok(None)
        }
    }

    /// An account without tenants: the list calls are made and counted, nothing is listed.
    impl TenantReader for Fake {
        async fn tenants(&self) -> Result<Vec<super::super::tenants::TenantSummary>, ReadError> {
            self.calls.push("ses:ListTenants".into());
            Ok(vec![])
        }
        async fn tenant(
            &self,
            name: &str,
        ) -> Result<Option<super::super::tenants::TenantDetail>, ReadError> {
            self.calls.push(format!("ses:GetTenant {name}"));
            Ok(None)
        }
        async fn reputation_entities(
            &self,
        ) -> Result<Vec<super::super::tenants::ReputationEntity>, ReadError> {
            self.calls.push("ses:ListReputationEntities".into());
            Ok(vec![])
        }
    }

    impl SesReader for Fake {
        async fn account(&self) -> Result<SesAccount, ReadError> {
            self.calls.push("ses:GetAccount".into());
            self.gates.listing_started.notify_one();
            Ok(SesAccount {
                production_access: true,
                sending_enabled: true,
                max_24_hour_send: None,
                max_send_rate: None,
            })
        }
        async fn identities(&self) -> Result<Vec<IdentitySummary>, ReadError> {
            self.calls.push("ses:ListEmailIdentities".into());
            if self.gates.hold_listing {
                // Answers only once a DNS question was asked while this call was under way.
                tokio::time::timeout(
                    std::time::Duration::from_secs(2),
                    self.gates.dns_asked.notified(),
                )
                .await
                .map_err(|_| {
                    ReadError::new(System::Ses, "ListEmailIdentities", ReadErrorKind::Timeout)
                })?;
            }
            Ok(["a.example.org", "b.example.org"]
                .into_iter()
                .map(|n| IdentitySummary {
                    name: n.into(),
                    kind: IdentityKind::Domain,
                    verification_status: None,
                    sending_enabled: false,
                })
                .collect())
        }
        async fn identity(&self, name: &str) -> Result<Option<SesIdentity>, ReadError> {
            self.calls.push(format!("ses:GetEmailIdentity {name}"));
            Ok(Some(identity(name)))
        }
        async fn configuration_sets(&self) -> Result<Vec<ConfigurationSet>, ReadError> {
            self.calls.push("ses:ListConfigurationSets".into());
            Ok(Vec::new())
        }
    }

    impl Route53Reader for Fake {
        async fn hosted_zones(&self) -> Result<Vec<HostedZone>, ReadError> {
            self.calls.push("route53:ListHostedZones".into());
            if self.deny_zone_listing {
                return Err(ReadError::new(
                    System::Route53,
                    "ListHostedZones",
                    ReadErrorKind::AccessDenied {
                        action: "route53:ListHostedZones".into(),
                    },
                ));
            }
            Ok(vec![HostedZone {
                id: "Z1".into(),
                name: "unrelated.example.com".into(),
                private: false,
                records: Vec::new(),
                tags: Tags::new(),
            }])
        }
        async fn record_sets(&self, zone_id: &str) -> Result<Vec<RecordSet>, ReadError> {
            self.calls
                .push(format!("route53:ListResourceRecordSets {zone_id}"));
            Ok(Vec::new())
        }
        async fn zone_tags(&self, zone_id: &str) -> Result<Tags, ReadError> {
            self.calls
                .push(format!("route53:ListTagsForResource {zone_id}"));
            Ok(Tags::new())
        }
    }

    impl RegistrarReader for Fake {
        async fn domains(&self) -> Result<Vec<RegisteredDomain>, ReadError> {
            self.calls.push("domains:ListDomains".into());
            Ok(Vec::new())
        }
        async fn domain(&self, name: &str) -> Result<RegisteredDomain, ReadError> {
            self.calls.push(format!("domains:GetDomainDetail {name}"));
            Err(ReadError::new(
                System::Route53Domains,
                "GetDomainDetail",
                ReadErrorKind::Timeout,
            ))
        }
        async fn tags(&self, name: &str) -> Result<Tags, ReadError> {
            self.calls.push(format!("domains:ListTagsForDomain {name}"));
            Ok(Tags::new())
        }
        async fn operations(&self) -> Result<Vec<DomainOperation>, ReadError> {
            self.calls.push("domains:ListOperations".into());
            Ok(Vec::new())
        }
        async fn availability(&self, domain: &str) -> Result<Availability, ReadError> {
            self.calls
                .push(format!("domains:CheckDomainAvailability {domain}"));
            Ok(Availability {
                domain: domain.into(),
                answer: "AVAILABLE".into(),
            })
        }
        async fn price(&self, tld: &str) -> Result<Option<TldPrice>, ReadError> {
            self.calls.push(format!("domains:ListPrices {tld}"));
            Ok(None)
        }
    }

    impl DnsReader for Fake {
        async fn query(&self, _q: &Query) -> Answer {
            self.gates.dns_asked.notify_one();
            Answer::NxDomain
        }
    }

    fn config() -> Config {
        let ses = |id: &str, domain: &str| Library {
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
                aws_region: "eu-west-1".into(),
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
            libraries: vec![ses("a", "a.example.org"), ses("b", "b.example.org")],
        }
    }

    fn readers(deny_zone_listing: bool) -> Readers<Fake, Fake, Fake, Fake> {
        gated(deny_zone_listing, Gates::default())
    }

    fn gated(deny_zone_listing: bool, gates: Gates) -> Readers<Fake, Fake, Fake, Fake> {
        let gates = std::sync::Arc::new(gates);
        let fake = || Fake {
            calls: Calls::default(),
            deny_zone_listing,
            gates: gates.clone(),
        };
        Readers {
            ses: fake(),
            route53: fake(),
            registrar: fake(),
            dns: fake(),
        }
    }

    async fn run(
        readers: &Readers<Fake, Fake, Fake, Fake>,
        targets: Option<Vec<LibraryId>>,
    ) -> Result<LiveSnapshotV1, ReadError> {
        run_with(readers, targets, std::future::ready(None)).await
    }

    async fn run_with<'b>(
        readers: &Readers<Fake, Fake, Fake, Fake>,
        targets: Option<Vec<LibraryId>>,
        baseline: impl Future<Output = Option<Baseline<'b>>>,
    ) -> Result<LiveSnapshotV1, ReadError> {
        let lookup = |_: &str| None;
        let progress = |_: &str| {};
        let meters = Meters::default();
        let opts = GatherOptions {
            targets,
            concurrency: 2,
            dns_deadline: std::time::Duration::from_secs(60),
            probe: ProbeOptions::default(),
            secret_lookup: &lookup,
            progress: &progress,
            meters: &meters,
            baseline: None,
        };
        gather_with(
            &config(),
            readers,
            &opts,
            &FixedClock::at_unix(1_767_225_600),
            baseline,
        )
        .await
    }

    /// A full read of `config()` in which both libraries settled, as a baseline.
    fn settled_baseline() -> LiveSnapshotV1 {
        let config = config();
        let mut identity = IdentityV1::from(&identity("a.example.org"));
        identity.verification_status = Some("SUCCESS".into());
        let identities = ["a.example.org", "b.example.org"]
            .map(|name| IdentityV1 {
                name: name.into(),
                ..identity.clone()
            })
            .to_vec();
        LiveSnapshotV1 {
            ses: SesV1 {
                identities,
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
            ..LiveSnapshotV1::empty("2026-01-01T00:00:00Z", "eu-west-1")
        }
    }

    /// The settled libraries' DNS goes out while the list calls are still waiting: here
    /// `ListEmailIdentities` answers only once a DNS question was asked, so a refresh that
    /// asked DNS only after the lists fails with a timeout.
    #[tokio::test]
    async fn settled_libraries_dns_is_asked_while_the_lists_are_under_way() {
        let snapshot = settled_baseline();
        let baseline = Baseline {
            snapshot: &snapshot,
            unsettled: BTreeSet::new(),
        };
        let r = gated(
            false,
            Gates {
                hold_listing: true,
                ..Gates::default()
            },
        );
        let snap = run_with(&r, None, std::future::ready(Some(baseline)))
            .await
            .expect("DNS was asked before ListEmailIdentities answered");
        let refresh = snap.refresh.unwrap();
        assert_eq!(refresh.mode, "scoped");
        // Both libraries judged, with the tokens the baseline knew.
        assert_eq!(snap.libraries.len(), 2);
        for library in &snap.libraries {
            let dns = library.dns.as_ref().unwrap();
            assert_eq!(dns.dkim.len(), 3, "{}", library.id);
        }
    }

    /// Without a baseline nothing is settled, so nothing can be asked before the lists: the same
    /// held listing times out. (The overlap test above holds because of the baseline.)
    #[tokio::test]
    async fn without_a_baseline_dns_waits_for_the_lists() {
        let r = gated(
            false,
            Gates {
                hold_listing: true,
                ..Gates::default()
            },
        );
        let err = run(&r, None).await.unwrap_err();
        assert_eq!(err.operation, "ListEmailIdentities");
    }

    /// The first list call goes out before the baseline is there (the CLI reads and plans
    /// against it meanwhile): here the baseline arrives only once `GetAccount` was called, so
    /// a refresh that waited for the baseline first would never finish.
    #[tokio::test]
    async fn the_list_calls_do_not_wait_for_the_baseline() {
        let snapshot = settled_baseline();
        let r = gated(false, Gates::default());
        let gates = r.ses.gates.clone();
        let baseline = async {
            gates.listing_started.notified().await;
            Some(Baseline {
                snapshot: &snapshot,
                unsettled: BTreeSet::new(),
            })
        };
        let snap = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            run_with(&r, None, baseline),
        )
        .await
        .expect("the list calls went out before the baseline arrived")
        .unwrap();
        assert_eq!(snap.refresh.unwrap().mode, "scoped");
    }

    #[tokio::test]
    async fn a_target_reads_only_its_own_resources() {
        let r = readers(false);
        let snap = run(&r, Some(vec![LibraryId::parse("b").unwrap()]))
            .await
            .unwrap();
        assert_eq!(
            r.ses.calls.take(),
            [
                "ses:GetAccount",
                "ses:GetEmailIdentity b.example.org",
                "ses:ListConfigurationSets",
                "ses:ListEmailIdentities",
                "ses:ListReputationEntities",
                "ses:ListTenants",
            ]
        );
        // The zone belongs to no target: listed, never read.
        assert_eq!(r.route53.calls.take(), ["route53:ListHostedZones"]);
        assert_eq!(snap.taken_at, "2026-01-01T00:00:00Z");
        assert_eq!(snap.libraries.len(), 1);
        let dns = snap.libraries[0].dns.as_ref().unwrap();
        assert_eq!(dns.dkim.len(), 3);
        assert_eq!(dns.dkim[0].expected, "t1.dkim.eu-west-1.amazonses.com");
        assert!(dns.dkim.iter().all(|c| c.verdict == "dns::missing"));
    }

    #[tokio::test]
    async fn without_targets_everything_is_read() {
        let r = readers(false);
        let snap = run(&r, None).await.unwrap();
        assert_eq!(snap.ses.identities.len(), 2);
        assert_eq!(
            r.route53.calls.take(),
            [
                "route53:ListHostedZones",
                "route53:ListResourceRecordSets Z1",
                "route53:ListTagsForResource Z1",
            ]
        );
    }

    #[tokio::test]
    async fn one_failed_read_fails_the_refresh() {
        let r = readers(true);
        let err = run(&r, None).await.unwrap_err();
        assert_eq!(err.operation, "ListHostedZones");
    }
}
