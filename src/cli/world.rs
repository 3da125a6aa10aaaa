//! Where live state comes from for one run: a snapshot file (`--live`), the in-process
//! sandbox (`--sandbox`), or AWS and DNS. Shared by `refresh`, `plan` and `records`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::{LiveArgs, RefreshMode};
use super::{CliError, human};
use crate::config::{self, AnalyzeOptions};
use crate::diagnostic::Severity;
use crate::live::account::{AccountReader as _, AwsAccount};
use crate::live::aws::{self, AwsOptions, Endpoints, Rates};
use crate::live::clock::{FixedClock, SystemClock};
use crate::live::dns::{DnsLimits, DnsSource, HickoryDns};
use crate::live::gather::{self, GatherOptions, Readers};
use crate::live::meter::Meters;
use crate::live::registrar::AwsRegistrar;
use crate::live::route53::AwsRoute53;
use crate::live::scope::Baseline;
use crate::live::ses::AwsSes;
use crate::live::snapshot::{self, LiveSnapshotV1};
use crate::model::{Config, Date, LibraryId};
use crate::probe::ProbeOptions;

/// Reads and checks the library files; prints their diagnostics and returns `None` when they
/// have errors. For commands that only read and report: a placeholder left from `mailform new`
/// stays a warning, which `validate` shows.
pub(super) fn load_config(libraries: &Path, today: Date, color: bool) -> Option<Config> {
    load(libraries, today, color, Placeholders::Allow)
}

/// As [`load_config`], for the commands that act in the libraries' name (`plan`, `apply`,
/// `notify`): a placeholder left from `mailform new` is an error, so a file still holding one
/// can neither create an SES identity for `springfield.invalid` nor send a notice to
/// `it@springfield.invalid`. `plan` refuses too, so a pull request's check fails before the
/// file reaches the branch that applies.
pub(super) fn load_config_to_act(libraries: &Path, today: Date, color: bool) -> Option<Config> {
    load(libraries, today, color, Placeholders::Refuse)
}

/// What a run does with `config::placeholder` findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    Allow,
    Refuse,
}

fn load(libraries: &Path, today: Date, color: bool, placeholders: Placeholders) -> Option<Config> {
    let (mut sources, mut diagnostics) = config::read_sources(&[libraries.to_path_buf()]);
    let analysis = config::analyze(&mut sources, &AnalyzeOptions { today });
    diagnostics.extend(analysis.diagnostics);
    let mut left = 0;
    if placeholders == Placeholders::Refuse {
        for d in diagnostics.iter_mut().filter(|d| d.code == PLACEHOLDER) {
            d.severity = Severity::Error;
            left += 1;
        }
    }
    let lowered = analysis.config.is_some();
    let config = analysis
        .config
        .filter(|_| !diagnostics.iter().any(|d| d.is_error()));
    if config.is_none() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(human::render(&sources, &diagnostics, color).as_bytes());
        if diagnostics
            .iter()
            .any(|d| d.is_error() && d.code != PLACEHOLDER)
            || !lowered
        {
            let _ = writeln!(err, "fix the library files first (`mailform validate`)");
        }
        if left > 0 {
            let _ = writeln!(
                err,
                "{left} placeholder{} left from `mailform new` or `mailform import`: write the library's answers in \
                 their place first (`grep -rn 'TODO(operator)' {}` lists them)",
                if left == 1 { " is" } else { "s are" },
                libraries.display()
            );
        }
    }
    config
}

/// The code of a value on `.invalid` (`config::check`).
const PLACEHOLDER: &str = "config::placeholder";

/// The libraries named by `--target`, checked against the files.
pub(super) fn targets(config: &Config, a: &LiveArgs) -> Result<Option<Vec<LibraryId>>, CliError> {
    if a.targets.is_empty() {
        return Ok(None);
    }
    a.targets
        .iter()
        .map(|t| {
            config
                .libraries
                .iter()
                .find(|l| l.id.as_str() == t)
                .map(|l| l.id.clone())
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "no library `{t}` in {}; `mailform validate` lists the files read",
                        a.libraries.display()
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A baseline whose full read is this old draws a warning: the nightly drift job should have
/// replaced it several times over.
const STALE_BASELINE_DAYS: i64 = 3;

/// The live services of one run, kept open while the run needs them.
pub(super) struct World {
    pub aws: AwsOptions,
    pub dns: DnsSource,
    /// DNS questions in flight (`--dns-concurrency`), and how long the DNS phase may take.
    pub dns_limits: DnsLimits,
    pub dns_deadline: Duration,
    /// Requests a second to the notice ledger (none against the sandbox).
    ledger_rate: f64,
    #[cfg(feature = "sandbox")]
    _sandbox: Option<SandboxLink>,
}

impl World {
    /// AWS and DNS as the flags say, or the sandbox started in-process with `--sandbox`.
    pub fn open(a: &LiveArgs, config: &Config) -> Result<World, CliError> {
        let mut opts = AwsOptions::new(config.platform.aws_region.clone());
        opts.endpoints = Endpoints {
            ses: a.endpoint_ses.clone(),
            route53: a.endpoint_route53.clone(),
            route53domains: a.endpoint_route53domains.clone(),
            sts: a.endpoint_sts.clone(),
            dynamodb: a.endpoint_dynamodb.clone(),
            sqs: a.endpoint_sqs.clone(),
        };
        opts.rates = Rates {
            ses: a.rate_ses,
            route53: a.rate_route53,
            route53domains: a.rate_route53domains,
        };
        opts.retries.max_attempts = a.max_attempts;
        if let Some(ms) = a.test_only_backoff_ms {
            opts.retries.initial_backoff = Duration::from_millis(ms);
            opts.retries.max_backoff = Duration::from_millis(ms.saturating_mul(4));
        }
        opts.timeouts.operation = Duration::from_secs(a.timeout.max(1));
        let dns = a
            .resolver
            .map_or(DnsSource::Authoritative, DnsSource::Server);
        if a.sandbox {
            return Self::sandbox(a, config, opts);
        }
        check_profile(std::env::var("AWS_PROFILE").ok().as_deref())?;
        Ok(World {
            aws: opts,
            dns,
            dns_limits: dns_limits(a),
            dns_deadline: Duration::from_secs(a.dns_deadline),
            ledger_rate: crate::notice::dynamo::DEFAULT_RATE,
            #[cfg(feature = "sandbox")]
            _sandbox: None,
        })
    }

    #[cfg(feature = "sandbox")]
    fn sandbox(a: &LiveArgs, config: &Config, mut opts: AwsOptions) -> Result<World, CliError> {
        use crate::sandbox::{Sandbox, SandboxConfig};
        std::fs::create_dir_all(&a.sandbox_dir).map_err(|source| CliError::Write {
            path: a.sandbox_dir.clone(),
            source,
        })?;
        let settings = SandboxConfig {
            state_dir: Some(a.sandbox_dir.clone()),
            region: config.platform.aws_region.clone(),
            // The platform's ledger table exists, as it does in the platform's account.
            dynamodb_tables: config
                .platform
                .notices
                .as_ref()
                .map(|n| vec![n.ledger_table.clone()])
                .unwrap_or_else(|| SandboxConfig::default().dynamodb_tables),
            ..SandboxConfig::default()
        };
        let cannot = |e: crate::sandbox::SandboxError| {
            CliError::Usage(format!("cannot start the sandbox: {e}"))
        };
        // One sandbox owns a state directory at a time. A `mailform-sandbox serve` that owns it
        // is used as it runs (its clock, its state); another `--sandbox` run is waited for.
        let link = match Sandbox::start(settings.clone()) {
            Ok(handle) => SandboxLink::InProcess(handle),
            Err(crate::sandbox::SandboxError::Busy { .. }) => {
                match running_server(&a.sandbox_dir) {
                    Some(server) => server,
                    None => {
                        eprintln!(
                            "waiting for the sandbox in {}: another mailform run is using it",
                            a.sandbox_dir.display()
                        );
                        let handle = Sandbox::start(SandboxConfig {
                            wait_for_state_dir: true,
                            ..settings
                        })
                        .map_err(cannot)?;
                        SandboxLink::InProcess(handle)
                    }
                }
            }
            Err(e) => return Err(cannot(e)),
        };
        let endpoints = link.endpoints().clone();
        opts.endpoints = Endpoints {
            ses: Some(endpoints.ses.clone()),
            route53: Some(endpoints.route53.clone()),
            route53domains: Some(endpoints.route53domains.clone()),
            sts: Some(endpoints.sts.clone()),
            dynamodb: Some(endpoints.dynamodb.clone()),
            sqs: Some(endpoints.sqs.clone()),
        };
        // The sandbox accepts any credentials and has no rate limit unless asked.
        opts.credentials = Some(aws_credential_types::Credentials::new(
            "sandbox",
            "sandbox",
            None,
            None,
            "mailform-sandbox",
        ));
        opts.rates = Rates {
            ses: 0.0,
            route53: 0.0,
            route53domains: 0.0,
        };
        Ok(World {
            aws: opts,
            dns: DnsSource::Server(endpoints.dns),
            dns_limits: dns_limits(a),
            dns_deadline: Duration::from_secs(a.dns_deadline),
            ledger_rate: 0.0,
            _sandbox: Some(link),
        })
    }

    #[cfg(not(feature = "sandbox"))]
    fn sandbox(_: &LiveArgs, _: &Config, _: AwsOptions) -> Result<World, CliError> {
        Err(CliError::Usage(
            "this mailform was built without the sandbox; build it with `--features sandbox`"
                .into(),
        ))
    }

    /// Reads the live state of `config`'s libraries (or the targets) as the flags say: scoped
    /// against `--baseline` unless `--refresh full`. Says on stderr how much was read.
    ///
    /// The baseline is read, and the files planned against it, on a thread of its own while the
    /// list calls go out: none of that delays the first call to AWS.
    pub fn read(
        &self,
        config: &Config,
        a: &LiveArgs,
        targets: Option<Vec<LibraryId>>,
    ) -> Result<LiveSnapshotV1, CliError> {
        let today = super::today(None)?;
        let every = a
            .test_only_progress_every
            .map_or(super::refresh::PROGRESS_EVERY, Duration::from_secs);
        let path = match (&a.baseline, a.refresh) {
            (Some(path), RefreshMode::Scoped) => Some(path),
            _ => None,
        };
        let snapshot_read = std::sync::OnceLock::new();
        let live = std::thread::scope(|s| {
            let baseline = path.map(|path| {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let snapshot_read = &snapshot_read;
                s.spawn(move || {
                    let _ = tx.send(load_baseline(config, path, snapshot_read, today));
                });
                rx
            });
            self.snapshot(config, targets, a.concurrency, baseline, every)
        })?;
        if let Some(r) = live.refresh.as_ref().filter(|r| r.mode == "scoped") {
            eprintln!(
                "refresh: scoped; {} of {} libraries read in depth, the others' settled resources as read in full at {} (`--refresh full` reads everything)",
                r.read_in_depth.len(),
                live.libraries.len(),
                whole_seconds(&r.full_read_at)
            );
            let age = time::OffsetDateTime::parse(
                &r.full_read_at,
                &time::format_description::well_known::Rfc3339,
            )
            .map(|then| (time::OffsetDateTime::now_utc() - then).whole_days())
            .ok();
            if let Some(days) = age.filter(|d| *d >= STALE_BASELINE_DAYS) {
                eprintln!(
                    "warning: the baseline's full read is {days} days old; out-of-band edits to settled resources since then are not seen. Run `mailform refresh --out FILE` (the nightly drift job does) for a fresh baseline"
                );
            }
        }
        Ok(live)
    }

    /// The notice ledger in `table` (the platform's `notices { ledger-table }`): AWS, the
    /// endpoint of `--endpoint-dynamodb`, or the in-process sandbox's under `--sandbox`.
    pub async fn ledger(&self, table: &str) -> crate::notice::dynamo::DynamoLedger {
        let sdk = aws::load_sdk_config(&self.aws).await;
        crate::notice::dynamo::DynamoLedger::new(&sdk, &self.aws, table, self.ledger_rate)
    }

    /// The SES event queue and store of the platform's `events { … }` block: AWS, the
    /// endpoints of `--endpoint-sqs` and `--endpoint-dynamodb`, or the in-process sandbox's.
    pub async fn events(
        &self,
        settings: &crate::model::EventSettings,
    ) -> (
        crate::events::sqs::SqsEventQueue,
        crate::events::dynamo::DynamoEventStore,
    ) {
        let sdk = aws::load_sdk_config(&self.aws).await;
        (
            crate::events::sqs::SqsEventQueue::new(&sdk, &self.aws, settings),
            crate::events::dynamo::DynamoEventStore::new(&sdk, &self.aws, &settings.table),
        )
    }

    /// Whether the clock is the sandbox's simulated one.
    pub fn simulated(&self) -> bool {
        #[cfg(feature = "sandbox")]
        if self._sandbox.is_some() {
            return true;
        }
        false
    }

    /// Seconds since the epoch on the clock the live services keep: the sandbox's simulated
    /// clock under `--sandbox` (so `clock advance 72h` then `plan --sandbox` sees 72 hours
    /// gone), the system's otherwise.
    pub fn now(&self) -> i64 {
        #[cfg(feature = "sandbox")]
        if let Some(link) = &self._sandbox {
            return link.now();
        }
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }

    /// Reads the live state of `config`'s libraries (or the targets), scoped against the
    /// baseline `baseline` delivers once it is read and planned against (or fails to be).
    fn snapshot<'b>(
        &self,
        config: &Config,
        targets: Option<Vec<LibraryId>>,
        concurrency: u16,
        baseline: Option<PendingBaseline<'b>>,
        progress_every: Duration,
    ) -> Result<LiveSnapshotV1, CliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(CliError::Runtime)?;
        // Counters of this read alone, shared by the adapters, the engine and the progress line.
        let meters = Meters::default();
        let opts = AwsOptions {
            meters: meters.clone(),
            ..self.aws.clone()
        };
        runtime.block_on(async {
            let sdk = aws::load_sdk_config(&opts).await;
            let dns = HickoryDns::new(self.dns, Duration::from_secs(5))
                .map_err(CliError::Usage)?
                .with_limits(self.dns_limits);
            let readers = Readers {
                ses: AwsSes::new(&sdk, &opts),
                route53: AwsRoute53::new(&sdk, &opts),
                registrar: AwsRegistrar::new(&sdk, &opts),
                dns,
            };
            let progress = super::refresh::Progress::new(progress_every);
            let lookup = |var: &str| std::env::var(var).ok();
            let show = |what: &str| progress.show(what);
            let gather_opts = GatherOptions {
                targets,
                concurrency: usize::from(concurrency),
                dns_deadline: self.dns_deadline,
                probe: ProbeOptions::default(),
                secret_lookup: &lookup,
                progress: &show,
                meters: &meters,
                baseline: None,
            };
            // An unreadable baseline stops the read: the engine waits for a baseline that never
            // comes, and the error wins the race below.
            let (failed, failure) = tokio::sync::oneshot::channel();
            let baseline = async move {
                match baseline?.await {
                    Ok(Ok(baseline)) => Some(baseline),
                    Ok(Err(e)) => {
                        let _ = failed.send(e);
                        std::future::pending().await
                    }
                    // The loading thread panicked; the panic is reported when it is joined.
                    Err(_) => None,
                }
            };
            let clock = FixedClock::at_unix(self.now());
            let clock: &dyn crate::live::clock::Clock = match self.simulated() {
                true => &clock,
                false => &SystemClock,
            };
            let work = gather::gather_with(config, &readers, &gather_opts, clock, baseline);
            let result = progress
                .around(&meters, async {
                    tokio::select! {
                        read = work => read.map_err(CliError::from),
                        Ok(e) = failure => Err(e),
                    }
                })
                .await;
            progress.clear();
            let mut snapshot = result?;
            // Which account this is, only when a transfer to an AWS account is asked for: the
            // plan refuses a transfer to this very account. Unanswered, it stays unknown, and
            // nothing is judged on it.
            if transfers_to_an_aws_account(config)
                && let Ok(id) = AwsAccount::new(&sdk, &opts).account_id().await
            {
                snapshot.ses.account.aws_account_id = Some(id);
            }
            Ok(snapshot)
        })
    }
}

/// Whether a library asks for its domain to go to another AWS account.
fn transfers_to_an_aws_account(config: &Config) -> bool {
    config.libraries.iter().any(|l| {
        matches!(
            &l.method,
            crate::model::DeliveryMethod::ManagedDomain(m)
                if matches!(m.transfer, Some(crate::model::TransferRequest::ToAwsAccount(_)))
        )
    })
}

/// A baseline on its way from the thread reading it: read and planned against, or why not.
type PendingBaseline<'b> = tokio::sync::oneshot::Receiver<Result<Baseline<'b>, CliError>>;

/// Reads the baseline snapshot at `path` into `slot` and plans the files against it (see
/// [`Baseline::new`]). A baseline of another region is said so: the read will be a full one.
fn load_baseline<'b>(
    config: &Config,
    path: &Path,
    slot: &'b std::sync::OnceLock<LiveSnapshotV1>,
    today: Date,
) -> Result<Baseline<'b>, CliError> {
    let read = snapshot::read(path)?;
    if read.region != config.platform.aws_region {
        eprintln!(
            "refresh: full; the baseline {} was read in {}, the platform sends from {}",
            path.display(),
            read.region,
            config.platform.aws_region
        );
    }
    let snapshot = slot.get_or_init(|| read);
    Ok(Baseline::new(config, snapshot, today))
}

fn dns_limits(a: &LiveArgs) -> DnsLimits {
    DnsLimits {
        in_flight: usize::from(a.dns_concurrency),
        ..DnsLimits::default()
    }
}

/// An `AWS_PROFILE` that no AWS configuration file defines is one clear line, not a network
/// error from the credential chain falling through to the instance metadata service.
fn check_profile(profile: Option<&str>) -> Result<(), CliError> {
    let Some(profile) = profile.filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let config = std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/config"));
    let credentials = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".aws/credentials"));
    let defines = |path: &std::path::Path, header: &str| {
        std::fs::read_to_string(path).is_ok_and(|text| {
            text.lines().any(|l| {
                l.trim()
                    .strip_prefix('[')
                    .and_then(|l| l.strip_suffix(']'))
                    .is_some_and(|name| name.trim() == header)
            })
        })
    };
    let in_config = defines(&config, &format!("profile {profile}"))
        || (profile == "default" && defines(&config, "default"));
    if in_config || defines(&credentials, profile) {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "the AWS profile `{profile}` (AWS_PROFILE) is defined neither in {} nor in {}; \
         create it (`aws configure --profile {profile}` or `aws configure sso`), or unset \
         AWS_PROFILE",
        config.display(),
        credentials.display()
    )))
}

/// The day a snapshot was read, for a `--sandbox` run without `--today`: the sandbox's
/// simulated day, which launch dates and the 72-hour window count from.
pub(super) fn today_for(
    a: &LiveArgs,
    live: &LiveSnapshotV1,
    given: Option<&str>,
    today: Date,
) -> Date {
    if given.is_some() || !a.sandbox {
        return today;
    }
    live.taken_at
        .get(..10)
        .and_then(|d| Date::parse(d).ok())
        .unwrap_or(today)
}

/// The live snapshot for a run: read from `--live FILE`, or gathered now.
pub(super) fn live_snapshot(a: &LiveArgs, config: &Config) -> Result<LiveSnapshotV1, CliError> {
    let targets = targets(config, a)?;
    if let Some(path) = &a.live {
        return Ok(snapshot::read(path)?);
    }
    World::open(a, config)?.read(config, a, targets)
}

/// An RFC 3339 time without its fraction of a second, for a message.
fn whole_seconds(rfc3339: &str) -> String {
    match rfc3339.split_once('.') {
        Some((seconds, rest)) => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{seconds}{zone}")
        }
        None => rfc3339.to_string(),
    }
}

/// The sandbox a `--sandbox` run talks to: its own, in this process, or the
/// `mailform-sandbox serve` that owns the state directory.
#[cfg(feature = "sandbox")]
enum SandboxLink {
    InProcess(crate::sandbox::SandboxHandle),
    Server {
        endpoints: crate::sandbox::Endpoints,
        admin: crate::sandbox::AdminClient,
    },
}

#[cfg(feature = "sandbox")]
impl SandboxLink {
    fn endpoints(&self) -> &crate::sandbox::Endpoints {
        match self {
            SandboxLink::InProcess(handle) => handle.endpoints(),
            SandboxLink::Server { endpoints, .. } => endpoints,
        }
    }

    /// The simulated clock, wherever the sandbox runs; a server that stopped answering leaves
    /// the system's time, and the reads that follow say what failed.
    fn now(&self) -> i64 {
        match self {
            SandboxLink::InProcess(handle) => handle.now(),
            SandboxLink::Server { admin, .. } => admin.now().unwrap_or_else(|_| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
            }),
        }
    }
}

/// The `mailform-sandbox serve` that owns `dir`, if its `endpoints.json` names one that answers.
#[cfg(feature = "sandbox")]
fn running_server(dir: &Path) -> Option<SandboxLink> {
    let text = std::fs::read_to_string(dir.join("endpoints.json")).ok()?;
    let endpoints: crate::sandbox::Endpoints = serde_json::from_str(&text).ok()?;
    let admin = crate::sandbox::AdminClient::new(&endpoints.admin).ok()?;
    admin.now().ok()?;
    Some(SandboxLink::Server { endpoints, admin })
}
