//! A local AWS-compatible sandbox for tests and first-time users: SES v2,
//! Route 53, Route 53 Domains, STS (the account id), DynamoDB (the notice ledger's table) and
//! an authoritative DNS server, on 127.0.0.1.
//!
//! Code map:
//! - `state`: the world as serialisable data; `zones`: lookups over it.
//! - `ses`, `route53`, `domains`, `sts`, `dynamodb`: one module per AWS service, each a pure
//!   function from a parsed request and the world to a reply or an AWS error.
//! - `http`: the hyper front end (routing, faults, rate limits, request log,
//!   admin API); `dns`: the hickory-server front end.
//!
//! Invariants: the simulated clock moves only when advanced; every DNS edit
//! and clock move rechecks SES verification, so statuses never lag the zones;
//! all servers stop when the [`SandboxHandle`] is dropped.
//!
//! Embedding it (tests, or the CLI's future `--sandbox`):
//!
//! ```no_run
//! use std::time::Duration;
//! use mailform::sandbox::{FaultKind, FaultRule, RecordInput, Sandbox, SandboxConfig, Service};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! let endpoints = sandbox.endpoints(); // endpoint_url per service, DNS address
//! println!("SES at {}, DNS at {}", endpoints.ses, endpoints.dns);
//! // Play the library's IT staff at their DNS provider.
//! sandbox.add_record(
//!     "example-library.org",
//!     RecordInput::new("abc._domainkey", "CNAME", "abc.dkim.amazonses.com"),
//! )?;
//! sandbox.advance_clock(Duration::from_secs(72 * 3600));
//! sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::Throttle).times(1));
//! for entry in sandbox.request_log() {
//!     println!("{} {} {}", entry.service.as_str(), entry.operation, entry.status);
//! }
//! # Ok(())
//! # }
//! ```

mod admin_client;
mod config;
mod dns;
mod domains;
mod dynamodb;
mod faults;
mod http;
pub mod iam;
mod route53;
mod ses;
mod ses_send;
mod ses_suppression;
mod ses_tenants;
mod sns;
mod sqs;
mod state;
mod sts;
mod zones;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use admin_client::{AdminClient, AdminError};
pub use config::{Availability, Ports, RateLimits, SandboxConfig, Timings, TldPrice};
pub use faults::{FaultKind, FaultRule, Service, parse_duration};
pub use ses_tenants::ReputationFinding;
pub use state::RecordSet;

use faults::Bucket;
use state::{State, Zone};

/// Why the sandbox could not start or an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not bind {what} on 127.0.0.1:{port}: {source}")]
    Bind {
        what: &'static str,
        port: u16,
        source: std::io::Error,
    },
    #[error("could not start the sandbox runtime: {0}")]
    Runtime(std::io::Error),
    #[error("could not read the sandbox state {path}: {message}")]
    State { path: PathBuf, message: String },
    /// Another sandbox (a `mailform-sandbox serve`, or a `mailform … --sandbox` run) owns the
    /// state directory: two sandboxes on one directory would each keep their own copy, and the
    /// last to write would erase what the other made.
    #[error(
        "the sandbox state in {dir} is in use by another sandbox (a `mailform-sandbox serve` or another `--sandbox` run); stop it, or use another --sandbox-dir / --state-dir"
    )]
    Busy { dir: PathBuf },
    #[error("no external zone {zone}: add a record to create it")]
    NoSuchZone { zone: String },
    #[error("record {name} is not inside zone {zone}")]
    OutsideZone { name: String, zone: String },
    #[error("no email address identity {address}: create it with CreateEmailIdentity first")]
    NoSuchAddress { address: String },
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("{0}")]
    Reputation(String),
}

/// Where the running sandbox listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// `endpoint_url` for aws-sdk-sesv2.
    pub ses: String,
    /// `endpoint_url` for aws-sdk-route53.
    pub route53: String,
    /// `endpoint_url` for aws-sdk-route53domains.
    pub route53domains: String,
    /// `endpoint_url` for aws-sdk-sts.
    #[serde(default)]
    pub sts: String,
    /// `endpoint_url` for aws-sdk-dynamodb (the notice ledger).
    #[serde(default)]
    pub dynamodb: String,
    /// `endpoint_url` for aws-sdk-sqs (SES events).
    #[serde(default)]
    pub sqs: String,
    /// `endpoint_url` for aws-sdk-sns (SES events).
    #[serde(default)]
    pub sns: String,
    /// The admin API (`/_sandbox/...`).
    pub admin: String,
    /// The DNS server, UDP and TCP.
    pub dns: SocketAddr,
}

/// One request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub service: Service,
    pub operation: String,
    /// Whether the operation changes state (whatever the outcome).
    pub mutating: bool,
    /// HTTP status; 0 when the connection was dropped.
    pub status: u16,
    /// The AWS error code, when it failed.
    pub error: Option<String>,
    /// The injected fault that hit it, if any.
    pub fault: Option<String>,
}

/// A record to add to an external zone. `name` is absolute (ending in a
/// dot or inside the zone), `@` for the apex, or relative to the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInput {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub value: String,
    #[serde(default = "default_ttl")]
    pub ttl: u32,
}

fn default_ttl() -> u32 {
    300
}

impl RecordInput {
    pub fn new(name: &str, rtype: &str, value: &str) -> Self {
        RecordInput {
            name: name.into(),
            rtype: rtype.to_ascii_uppercase(),
            value: value.into(),
            ttl: default_ttl(),
        }
    }
}

/// The mutable heart shared by every front end.
pub(crate) struct World {
    /// The lock on the state directory (`<state_dir>/lock`), while this sandbox owns it.
    _owner: Option<std::fs::File>,
    pub config: SandboxConfig,
    pub state: State,
    pub faults: Vec<FaultRule>,
    pub log: Vec<LogEntry>,
    pub buckets: HashMap<Service, Bucket>,
    /// SQS queues and SNS topics: in memory, beside the state (see `sqs`).
    pub queues: sqs::Queues,
    pub topics: sns::Topics,
}

impl World {
    fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        let now = config.start_time.unwrap_or_else(real_now);
        // The directory's one owner: taken before the state is read, held until the sandbox
        // stops (or its process dies: the kernel drops the lock with the file).
        let owner = match &config.state_dir {
            Some(dir) => Some(lock_state_dir(dir, config.wait_for_state_dir)?),
            None => None,
        };
        let state = match &config.state_dir {
            Some(dir) => load_state(dir)?.unwrap_or_else(|| State::new(now)),
            None => State::new(now),
        };
        let mut world = World {
            _owner: owner,
            config,
            state,
            faults: Vec::new(),
            log: Vec::new(),
            buckets: HashMap::new(),
            queues: sqs::Queues::default(),
            topics: sns::Topics::default(),
        };
        let limits = world.config.rate_limits;
        world.set_rate_limits(limits);
        dynamodb::ensure_tables(&mut world);
        Ok(world)
    }

    pub fn now(&self) -> i64 {
        self.state.now
    }

    pub fn set_rate_limits(&mut self, limits: RateLimits) {
        self.config.rate_limits = limits;
        self.buckets.clear();
        for (service, rate) in [
            (Service::Ses, limits.ses),
            (Service::Route53, limits.route53),
            (Service::Route53Domains, limits.route53domains),
            (Service::DynamoDb, limits.dynamodb),
        ] {
            if let Some(rate) = rate.filter(|r| *r > 0.0) {
                self.buckets.insert(service, Bucket::new(rate));
            }
        }
    }

    pub fn advance(&mut self, by: Duration) {
        self.state.now += by.as_secs() as i64;
        self.recheck();
        self.persist();
    }

    /// Re-evaluates everything that depends on DNS or time.
    pub fn recheck(&mut self) {
        ses::recheck_all(&mut self.state, &self.config);
    }

    /// Writes the state file; a sandbox without a state directory keeps
    /// everything in memory. A failed write is reported on stderr only: the
    /// request that caused it has already been answered in memory.
    pub fn persist(&self) {
        let Some(dir) = &self.config.state_dir else {
            return;
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join("state.json.tmp");
            let text = serde_json::to_string_pretty(&self.state).map_err(std::io::Error::other)?;
            std::fs::write(&tmp, text)?;
            std::fs::rename(tmp, dir.join("state.json"))
        };
        if let Err(e) = write() {
            eprintln!(
                "mailform-sandbox: could not save state in {}: {e}",
                dir.display()
            );
        }
    }

    /// Creates an external zone with an SOA and an NS record, if missing.
    pub fn create_zone(&mut self, zone: &str) -> String {
        self.create_zone_served_by(zone, &[])
    }

    /// Creates an external zone whose NS records name `name_servers` (its own `ns1.<zone>`
    /// when empty), if missing.
    pub fn create_zone_served_by(&mut self, zone: &str, name_servers: &[&str]) -> String {
        let zone_name = zones::normalize_name(zone);
        let hosts: Vec<String> = if name_servers.is_empty() {
            vec![format!("ns1.{zone_name}")]
        } else {
            name_servers.iter().map(|n| n.to_string()).collect()
        };
        self.state
            .external_zones
            .entry(zone_name.clone())
            .or_insert_with(|| Zone {
                name: zone_name.clone(),
                records: zones::apex_records(&zone_name, &hosts),
            });
        zone_name
    }

    pub fn add_record(&mut self, zone: &str, input: &RecordInput) -> Result<(), SandboxError> {
        let zone_name = zones::normalize_name(zone);
        let name = qualify(&input.name, &zone_name);
        if !zones::in_zone(&name, &zone_name) {
            return Err(SandboxError::OutsideZone {
                name,
                zone: zone_name,
            });
        }
        let rtype = input.rtype.to_ascii_uppercase();
        let value = dns::check_value(&rtype, &input.value).map_err(SandboxError::InvalidRecord)?;
        self.create_zone(&zone_name);
        let Some(zone) = self.state.external_zones.get_mut(&zone_name) else {
            return Err(SandboxError::NoSuchZone { zone: zone_name });
        };
        match zone
            .records
            .iter_mut()
            .find(|r| r.name == name && r.rtype == rtype)
        {
            Some(set) => {
                if rtype == "CNAME" || rtype == "SOA" {
                    set.values = vec![value];
                } else if !set.values.contains(&value) {
                    set.values.push(value);
                }
                set.ttl = input.ttl;
            }
            None => zone.records.push(RecordSet {
                name,
                rtype,
                ttl: input.ttl,
                values: vec![value],
            }),
        }
        self.recheck();
        self.persist();
        Ok(())
    }

    /// Removes one value (or, with `value: None`, the whole record set);
    /// answers whether anything was removed.
    pub fn remove_record(
        &mut self,
        zone: &str,
        name: &str,
        rtype: &str,
        value: Option<&str>,
    ) -> Result<bool, SandboxError> {
        let zone_name = zones::normalize_name(zone);
        let name = qualify(name, &zone_name);
        let rtype = rtype.to_ascii_uppercase();
        let value = value
            .map(|v| dns::check_value(&rtype, v).map_err(SandboxError::InvalidRecord))
            .transpose()?;
        let zone = self
            .state
            .external_zones
            .get_mut(&zone_name)
            .ok_or_else(|| SandboxError::NoSuchZone {
                zone: zone_name.clone(),
            })?;
        let before: usize = zone.records.iter().map(|r| r.values.len()).sum();
        for set in zone
            .records
            .iter_mut()
            .filter(|r| r.name == name && r.rtype == rtype)
        {
            match &value {
                Some(v) => set.values.retain(|x| !x.eq_ignore_ascii_case(v)),
                None => set.values.clear(),
            }
        }
        zone.records.retain(|r| !r.values.is_empty());
        let after: usize = zone.records.iter().map(|r| r.values.len()).sum();
        self.recheck();
        self.persist();
        Ok(after < before)
    }

    /// Forgets every resource, zone, fault and log entry; the clock stays.
    /// The configured DynamoDB tables are created again, empty, as a platform's account has
    /// its ledger table.
    pub fn reset(&mut self) {
        self.state = State::new(self.state.now);
        dynamodb::ensure_tables(self);
        self.queues = sqs::Queues::default();
        self.topics = sns::Topics::default();
        self.faults.clear();
        self.log.clear();
        self.persist();
    }

    /// Plays SES deciding on a tenant's reputation finding (see [`ReputationFinding`]).
    pub fn set_reputation(
        &mut self,
        tenant: &str,
        finding: &ReputationFinding,
    ) -> Result<(), SandboxError> {
        ses_tenants::set_finding(&mut self.state, tenant, finding)
            .map_err(SandboxError::Reputation)?;
        self.persist();
        Ok(())
    }

    pub fn confirm_address(&mut self, address: &str) -> Result<(), SandboxError> {
        if !ses::confirm_address(&mut self.state, address) {
            return Err(SandboxError::NoSuchAddress {
                address: address.to_string(),
            });
        }
        self.persist();
        Ok(())
    }

    pub fn records(&self, zone: &str) -> Result<Vec<RecordSet>, SandboxError> {
        let zone_name = zones::normalize_name(zone);
        self.state
            .external_zones
            .get(&zone_name)
            .map(|z| z.records.clone())
            .ok_or(SandboxError::NoSuchZone { zone: zone_name })
    }
}

/// Makes a record name absolute inside `zone` (normalised).
fn qualify(name: &str, zone: &str) -> String {
    let name = name.trim();
    if name == "@" || name.is_empty() {
        return zone.to_string();
    }
    let absolute = zones::normalize_name(name);
    if name.ends_with('.') || zones::in_zone(&absolute, zone) {
        absolute
    } else {
        zones::normalize_name(&format!("{}.{}", name.trim_end_matches('.'), zone))
    }
}

fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Takes the exclusive lock on `<dir>/lock` (`flock`), waiting for it when `wait`, or answering
/// [`SandboxError::Busy`] at once.
fn lock_state_dir(dir: &std::path::Path, wait: bool) -> Result<std::fs::File, SandboxError> {
    let failed = |e: std::io::Error| SandboxError::State {
        path: dir.join("lock"),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .map_err(failed)?;
    if wait {
        file.lock().map_err(failed)?;
        return Ok(file);
    }
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SandboxError::Busy {
            dir: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
    }
}

fn load_state(dir: &std::path::Path) -> Result<Option<State>, SandboxError> {
    let path = dir.join("state.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SandboxError::State {
                path,
                message: e.to_string(),
            });
        }
    };
    let state: State = serde_json::from_str(&text).map_err(|e| SandboxError::State {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if state.version != state::STATE_VERSION {
        return Err(SandboxError::State {
            path,
            message: format!(
                "format version {} is not {}: delete the directory to start afresh",
                state.version,
                state::STATE_VERSION
            ),
        });
    }
    Ok(Some(state))
}

pub(crate) type Shared = Arc<Mutex<World>>;

/// Locks the world; a panic in another request must not take the sandbox
/// down with it, so a poisoned lock is taken over as it is.
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, World> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The entry point: `Sandbox::start(config)`.
pub struct Sandbox;

impl Sandbox {
    /// Binds every listener, then serves on a runtime of its own in a
    /// background thread, so it works from sync and async callers alike.
    pub fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        let ports = config.ports;
        let world = World::new(config)?;
        let shared: Shared = Arc::new(Mutex::new(world));
        let bind = |what: &'static str, port: u16| {
            std::net::TcpListener::bind(("127.0.0.1", port))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|source| SandboxError::Bind { what, port, source })
        };
        let ses = bind("the SES listener", ports.ses)?;
        let route53 = bind("the Route 53 listener", ports.route53)?;
        let route53domains = bind("the Route 53 Domains listener", ports.route53domains)?;
        let sts = bind("the STS listener", ports.sts)?;
        let dynamodb = bind("the DynamoDB listener", ports.dynamodb)?;
        let sqs = bind("the SQS listener", ports.sqs)?;
        let sns = bind("the SNS listener", ports.sns)?;
        let admin = bind("the admin listener", ports.admin)?;
        let (dns_udp, dns_tcp) = dns::bind(ports.dns)?;
        let url = |l: &std::net::TcpListener| -> Result<String, SandboxError> {
            let addr = l.local_addr().map_err(SandboxError::Runtime)?;
            Ok(format!("http://{addr}"))
        };
        let endpoints = Endpoints {
            ses: url(&ses)?,
            route53: url(&route53)?,
            route53domains: url(&route53domains)?,
            sts: url(&sts)?,
            dynamodb: url(&dynamodb)?,
            sqs: url(&sqs)?,
            sns: url(&sns)?,
            admin: url(&admin)?,
            dns: dns_udp.local_addr().map_err(SandboxError::Runtime)?,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(SandboxError::Runtime)?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let served = shared.clone();
        let thread = std::thread::Builder::new()
            .name("mailform-sandbox".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listeners = [
                        (ses, http::Front::Service(Service::Ses)),
                        (route53, http::Front::Service(Service::Route53)),
                        (
                            route53domains,
                            http::Front::Service(Service::Route53Domains),
                        ),
                        (sts, http::Front::Service(Service::Sts)),
                        (dynamodb, http::Front::Service(Service::DynamoDb)),
                        (sqs, http::Front::Service(Service::Sqs)),
                        (sns, http::Front::Service(Service::Sns)),
                        (admin, http::Front::Admin),
                    ];
                    for (listener, front) in listeners {
                        match tokio::net::TcpListener::from_std(listener) {
                            Ok(listener) => {
                                tokio::spawn(http::serve(listener, front, served.clone()));
                            }
                            Err(e) => eprintln!("mailform-sandbox: listener lost: {e}"),
                        }
                    }
                    let _dns = dns::serve(dns_udp, dns_tcp, served.clone());
                    let _ = stop_rx.await;
                });
                runtime.shutdown_background();
            })
            .map_err(SandboxError::Runtime)?;
        Ok(SandboxHandle {
            endpoints,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

/// A running sandbox. Dropping it (or [`SandboxHandle::shutdown`]) stops
/// every server it started.
pub struct SandboxHandle {
    endpoints: Endpoints,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The simulated time, seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        lock(&self.shared).now()
    }

    /// Moves the simulated clock forward and rechecks everything that waits
    /// on it (verification, registrations, changes).
    pub fn advance_clock(&self, by: Duration) {
        lock(&self.shared).advance(by);
    }

    /// Creates an external zone (SOA and NS only) standing for a library's
    /// DNS provider; answers its normalised name. Idempotent.
    pub fn create_zone(&self, zone: &str) -> String {
        let mut world = lock(&self.shared);
        let name = world.create_zone(zone);
        world.persist();
        name
    }

    /// Creates an external zone whose NS records name `name_servers`, as a zone hosted at a
    /// given DNS provider (e.g. `ada.ns.cloudflare.com`); idempotent, and a zone that exists
    /// keeps its name servers.
    pub fn create_zone_served_by(&self, zone: &str, name_servers: &[&str]) -> String {
        let mut world = lock(&self.shared);
        let name = world.create_zone_served_by(zone, name_servers);
        world.persist();
        name
    }

    /// Creates an SES configuration set (no options, no tags) unless it
    /// exists, as a platform does once in its account. Idempotent.
    pub fn create_configuration_set(&self, name: &str) {
        let mut world = lock(&self.shared);
        world
            .state
            .configuration_sets
            .entry(name.to_string())
            .or_insert_with(|| state::ConfigurationSet {
                name: name.to_string(),
                options: serde_json::Map::new(),
                tags: Vec::new(),
                event_destinations: Vec::new(),
            });
        world.persist();
    }

    /// Adds a record to an external zone (created on first use), as a
    /// library's IT staff would at their DNS provider.
    pub fn add_record(&self, zone: &str, record: RecordInput) -> Result<(), SandboxError> {
        lock(&self.shared).add_record(zone, &record)
    }

    /// Removes one value of a record set, or the whole set when `value` is
    /// `None`; answers whether anything was there.
    pub fn remove_record(
        &self,
        zone: &str,
        name: &str,
        rtype: &str,
        value: Option<&str>,
    ) -> Result<bool, SandboxError> {
        lock(&self.shared).remove_record(zone, name, rtype, value)
    }

    /// The record sets of an external zone.
    pub fn records(&self, zone: &str) -> Result<Vec<RecordSet>, SandboxError> {
        lock(&self.shared).records(zone)
    }

    /// Forgets every resource, zone, fault and log entry; the clock stays.
    pub fn reset(&self) {
        lock(&self.shared).reset();
    }

    /// Plays the recipient clicking SES's verification link for an email
    /// address identity (otherwise it fails after 24 simulated hours).
    pub fn confirm_address(&self, address: &str) -> Result<(), SandboxError> {
        lock(&self.shared).confirm_address(address)
    }

    /// Plays SES pausing (or reinstating) the tenant `tenant` on a reputation finding.
    pub fn set_reputation(
        &self,
        tenant: &str,
        finding: &ReputationFinding,
    ) -> Result<(), SandboxError> {
        lock(&self.shared).set_reputation(tenant, finding)
    }

    pub fn inject_fault(&self, rule: FaultRule) {
        lock(&self.shared).faults.push(rule);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    pub fn set_rate_limits(&self, limits: RateLimits) {
        lock(&self.shared).set_rate_limits(limits);
    }

    /// Fixes the `CheckDomainAvailability` answer for a domain.
    pub fn set_availability(&self, domain: &str, availability: Availability) {
        let mut world = lock(&self.shared);
        world.state.availability.insert(
            zones::normalize_name(domain),
            availability.as_str().to_string(),
        );
        world.persist();
    }

    /// Every request served so far, oldest first.
    pub fn request_log(&self) -> Vec<LogEntry> {
        lock(&self.shared).log.clone()
    }

    /// Sets what `GetAccount` answers from now on: the SES sandbox or production access, and
    /// whether sending is paused.
    pub fn set_ses_account(&self, production_access: bool, sending_enabled: bool) {
        let mut world = lock(&self.shared);
        world.config.production_access = production_access;
        world.config.sending_enabled = sending_enabled;
    }

    pub fn clear_request_log(&self) {
        lock(&self.shared).log.clear();
    }

    /// Holds every later request to this IAM policy (`None`: allow everything), as if the
    /// caller's role changed; see [`SandboxConfig::iam_policy`].
    pub fn set_iam_policy(&self, policy: Option<serde_json::Value>) {
        lock(&self.shared).config.iam_policy = policy;
    }

    /// Delivers the first `count` visible messages of a queue once more (SQS's at-least-once
    /// delivery); answers how many, `None` without the queue.
    pub fn sqs_duplicate(&self, queue: &str, count: usize) -> Option<usize> {
        lock(&self.shared).queues.duplicate(queue, count)
    }

    /// Reverses the order of a queue's visible messages (out-of-order delivery).
    pub fn sqs_reverse(&self, queue: &str) -> Option<usize> {
        lock(&self.shared).queues.reverse(queue)
    }

    /// Puts a message with this body on a queue (a poison message, when it is not an event).
    pub fn sqs_send(&self, queue: &str, body: &str) -> Option<String> {
        lock(&self.shared).queues.send(queue, body.to_string())
    }

    /// (visible, in flight) messages of a queue.
    pub fn sqs_depth(&self, queue: &str) -> Option<(usize, usize)> {
        lock(&self.shared).queues.depth(queue)
    }

    /// Stops every server and waits for them to finish.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}
