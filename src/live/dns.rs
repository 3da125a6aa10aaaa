//! DNS: the [`DnsReader`] trait and its adapter.
//!
//! A record installed a minute ago must be seen at once, so by default the adapter asks the
//! domain's authoritative name servers directly (found through the system resolver) instead of
//! a caching resolver; `--resolver ADDR:PORT` pins one server instead (tests, the sandbox).
//! Each question goes on the wire as asked (`exchange`): no CNAME is chased, and an answer
//! that is final (REFUSED, NXDOMAIN, NOERROR with or without records) is never asked again.
//!
//! An NS question is answered with the NS records of the zone that holds the name (the name
//! itself or its closest parent with NS records): the library's DNS provider is recognised from
//! them. Finding the authoritative servers already learns those records, so against the
//! domain's own servers an NS question costs nothing more; against one pinned server it is one
//! question for a zone apex, one more per label for a name beneath it.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};
use tokio::sync::Mutex;

mod exchange;

pub use crate::dns_check::{Answer, Observations, Query, Rr, Rtype};

/// The wire type of a question.
fn to_hickory(rtype: Rtype) -> RecordType {
    match rtype {
        Rtype::A => RecordType::A,
        Rtype::Aaaa => RecordType::AAAA,
        Rtype::Cname => RecordType::CNAME,
        Rtype::Mx => RecordType::MX,
        Rtype::Ns => RecordType::NS,
        Rtype::Soa => RecordType::SOA,
        Rtype::Txt => RecordType::TXT,
    }
}

/// Reads DNS. Implemented by [`HickoryDns`]; tests can record answers in an [`Observations`].
pub trait DnsReader {
    fn query(&self, q: &Query) -> impl std::future::Future<Output = Answer> + Send;
}

/// Where to send questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsSource {
    /// The zone's authoritative servers, found through the system resolver.
    Authoritative,
    /// One given server (tests, the sandbox): `--resolver ADDR:PORT`.
    Server(SocketAddr),
}

/// How hard DNS is pushed. UDP questions to many providers' servers are cheap, so far more
/// are in flight than AWS calls (`--concurrency`); a few per name server keep one slow
/// provider from holding the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsLimits {
    /// Questions in flight at once (`--dns-concurrency`).
    pub in_flight: usize,
    /// Questions in flight at once to one authoritative name server. Not applied to a pinned
    /// server (`--resolver`), which the total limits.
    pub per_server: usize,
}

impl Default for DnsLimits {
    fn default() -> Self {
        DnsLimits {
            in_flight: 32,
            per_server: 4,
        }
    }
}

/// The adapter: questions on the wire (see `exchange`), hickory-resolver to find each zone's
/// authoritative servers.
pub struct HickoryDns {
    source: DnsSource,
    timeout: Duration,
    /// The system's caching resolver, to find authoritative servers; `None` with one pinned
    /// server.
    base: Option<TokioResolver>,
    /// Per zone apex: its name servers and their addresses.
    per_zone: Mutex<BTreeMap<String, Arc<ZoneServers>>>,
    gate: exchange::Gate,
}

/// A zone's name servers as its NS records name them, and their addresses.
struct ZoneServers {
    apex: String,
    hosts: Vec<String>,
    addrs: Vec<SocketAddr>,
}

impl HickoryDns {
    pub fn new(source: DnsSource, timeout: Duration) -> Result<Self, String> {
        let base = match source {
            DnsSource::Server(_) => None,
            DnsSource::Authoritative => {
                let mut builder = TokioResolver::builder_tokio()
                    .map_err(|e| format!("cannot read the system resolver configuration: {e}"))?;
                builder.options_mut().timeout = timeout;
                Some(
                    builder
                        .build()
                        .map_err(|e| format!("cannot build a DNS resolver: {e}"))?,
                )
            }
        };
        Ok(HickoryDns {
            source,
            timeout,
            base,
            per_zone: Mutex::new(BTreeMap::new()),
            gate: exchange::Gate::new(DnsLimits::default(), source == DnsSource::Authoritative),
        })
    }

    /// The same reader with other limits on questions in flight.
    pub fn with_limits(mut self, limits: DnsLimits) -> Self {
        self.gate = exchange::Gate::new(limits, self.source == DnsSource::Authoritative);
        self
    }

    /// The zone that holds `name`, with a resolver that answers authoritatively for it.
    async fn zone_for_name(&self, name: &str) -> Result<Arc<ZoneServers>, String> {
        let Some(base) = &self.base else {
            return Err(format!("no resolver to find the name servers of {name}"));
        };
        // Walk up from the name to the closest enclosing zone that has NS records.
        let labels: Vec<&str> = name.split('.').collect();
        for start in 0..labels.len().saturating_sub(1) {
            let candidate = labels[start..].join(".");
            if let Some(found) = self.per_zone.lock().await.get(&candidate) {
                return Ok(found.clone());
            }
            let Ok(ns) = base.lookup(format!("{candidate}."), RecordType::NS).await else {
                continue;
            };
            let hosts: Vec<String> = ns
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::NS(ns) if r.name.to_ascii().trim_end_matches('.') == candidate => {
                        Some(ns.0.to_ascii())
                    }
                    _ => None,
                })
                .collect();
            if hosts.is_empty() {
                continue;
            }
            let mut addrs = Vec::new();
            for host in &hosts {
                if let Ok(ips) = base.lookup_ip(host.as_str()).await {
                    addrs.extend(ips.iter().map(|ip: IpAddr| SocketAddr::new(ip, 53)));
                }
            }
            if addrs.is_empty() {
                return Err(format!("no address for any name server of {candidate}"));
            }
            let zone = Arc::new(ZoneServers {
                apex: candidate.clone(),
                hosts: hosts
                    .iter()
                    .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                    .collect(),
                addrs,
            });
            self.per_zone.lock().await.insert(candidate, zone.clone());
            return Ok(zone);
        }
        Err(format!("no zone with name servers encloses {name}"))
    }
}

impl DnsReader for HickoryDns {
    async fn query(&self, q: &Query) -> Answer {
        let zone = match self.source {
            DnsSource::Server(_) => None,
            DnsSource::Authoritative => {
                // Finding the zone asks the system's resolver: a place in the total, no server's.
                let found = {
                    let _pass = self.gate.enter(None).await;
                    self.zone_for_name(&q.name).await
                };
                match found {
                    Ok(z) => Some(z),
                    Err(e) => return Answer::Failed(e),
                }
            }
        };
        match (&zone, q.rtype) {
            // Found with the zone: no question more.
            (Some(zone), Rtype::Ns) => Answer::Records(
                zone.hosts
                    .iter()
                    .map(|h| Rr {
                        owner: zone.apex.clone(),
                        rtype: Rtype::Ns,
                        data: h.clone(),
                    })
                    .collect(),
            ),
            (Some(zone), _) => exchange::ask(&self.gate, &zone.addrs, q, self.timeout).await,
            (None, Rtype::Ns) => self.zone_name_servers(&q.name).await,
            (None, _) => self.ask_pinned(q).await,
        }
    }
}

impl HickoryDns {
    /// Against one pinned server: NS at the name, then at each parent while the answer is
    /// "no NS records here" (a name beneath its zone's apex).
    async fn zone_name_servers(&self, name: &str) -> Answer {
        let mut at = name.to_string();
        loop {
            let answer = self.ask_pinned(&Query::new(&at, Rtype::Ns)).await;
            let parent = at.split_once('.').map(|(_, p)| p.to_string());
            match (answer, parent) {
                (Answer::NoData, Some(parent)) if parent.contains('.') => at = parent,
                (Answer::Records(rs), _) if !rs.iter().any(|r| r.rtype == Rtype::Ns) => {
                    // A CNAME at the name: the zone is still a parent's.
                    match at.split_once('.') {
                        Some((_, p)) if p.contains('.') => at = p.to_string(),
                        _ => return Answer::NoData,
                    }
                }
                (answer, _) => return answer,
            }
        }
    }

    /// One question of the pinned server.
    async fn ask_pinned(&self, q: &Query) -> Answer {
        let servers = match self.source {
            DnsSource::Server(addr) => vec![addr],
            DnsSource::Authoritative => vec![],
        };
        exchange::ask(&self.gate, &servers, q, self.timeout).await
    }
}

fn name_text(name: &hickory_resolver::proto::rr::Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

fn to_rr(r: &hickory_resolver::proto::rr::Record) -> Option<Rr> {
    let (rtype, data) = match &r.data {
        RData::A(a) => (Rtype::A, a.0.to_string()),
        RData::AAAA(a) => (Rtype::Aaaa, a.0.to_string()),
        RData::CNAME(c) => (Rtype::Cname, name_text(&c.0)),
        RData::NS(n) => (Rtype::Ns, name_text(&n.0)),
        RData::MX(mx) => (
            Rtype::Mx,
            format!("{} {}", mx.preference, name_text(&mx.exchange)),
        ),
        RData::TXT(txt) => (
            Rtype::Txt,
            txt.txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<String>(),
        ),
        RData::SOA(soa) => (Rtype::Soa, name_text(&soa.mname)),
        _ => return None,
    };
    Some(Rr {
        owner: name_text(&r.name),
        rtype,
        data,
    })
}

/// Asks every question, at most `concurrency` at a time, and collects the answers.
pub async fn observe<R: DnsReader + Sync>(
    reader: &R,
    queries: impl IntoIterator<Item = Query>,
    concurrency: usize,
) -> Observations {
    use futures::stream::{self, StreamExt};
    let unique: std::collections::BTreeSet<Query> = queries.into_iter().collect();
    stream::iter(unique)
        .map(|q| async move {
            let answer = reader.query(&q).await;
            (q, answer)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Like [`observe`], but a question still unanswered at `deadline` (asked or not yet) is
/// `Failed`, naming the deadline: a verdict then says the lookup failed, never that a record
/// is missing.
pub async fn observe_until<R: DnsReader + Sync>(
    reader: &R,
    queries: impl IntoIterator<Item = Query>,
    concurrency: usize,
    deadline: tokio::time::Instant,
) -> Observations {
    use futures::stream::{self, StreamExt};
    let unique: std::collections::BTreeSet<Query> = queries.into_iter().collect();
    stream::iter(unique)
        .map(|q| async move {
            let answer = tokio::time::timeout_at(deadline, reader.query(&q))
                .await
                .unwrap_or_else(|_| Answer::Failed(DEADLINE.to_string()));
            (q, answer)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Why a question left unanswered at the DNS phase's deadline failed.
pub const DEADLINE: &str = "deadline: no answer before the DNS phase's deadline (--dns-deadline)";
