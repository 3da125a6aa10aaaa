//! `mailform refresh`: read the live state of every library (or the targets) and write the
//! versioned snapshot that `plan` and `apply` read with `--live FILE`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use super::args::RefreshArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, human, print, today};
use crate::config::{self, AnalyzeOptions};
use crate::live::aws::{self, AwsOptions, Endpoints, Rates};
use crate::live::clock::SystemClock;
use crate::live::dns::{DnsSource, HickoryDns};
use crate::live::gather::{self, GatherOptions, Readers};
use crate::live::registrar::AwsRegistrar;
use crate::live::route53::AwsRoute53;
use crate::live::ses::AwsSes;
use crate::live::snapshot;
use crate::probe::ProbeOptions;

pub(super) fn run(a: RefreshArgs, color: bool) -> Result<ExitCode, CliError> {
    let (mut sources, mut diagnostics) = config::read_sources(std::slice::from_ref(&a.libraries));
    let analysis = config::analyze(
        &mut sources,
        &AnalyzeOptions {
            today: today(None)?,
        },
    );
    diagnostics.extend(analysis.diagnostics);
    let Some(config) = analysis
        .config
        .filter(|_| !diagnostics.iter().any(|d| d.is_error()))
    else {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(human::render(&sources, &diagnostics, color).as_bytes());
        let _ = writeln!(err, "fix the library files first (`mailform validate`)");
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let targets = if a.targets.is_empty() {
        None
    } else {
        let mut ids = Vec::new();
        for t in &a.targets {
            match config.libraries.iter().find(|l| l.id.as_str() == t) {
                Some(l) => ids.push(l.id.clone()),
                None => {
                    return Err(CliError::Usage(format!(
                        "no library `{t}` in {}; `mailform validate` lists the files read",
                        a.libraries.display()
                    )));
                }
            }
        }
        Some(ids)
    };

    let mut opts = AwsOptions::new(config.platform.aws_region.clone());
    opts.endpoints = Endpoints {
        ses: a.endpoint_ses.clone(),
        route53: a.endpoint_route53.clone(),
        route53domains: a.endpoint_route53domains.clone(),
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

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let snapshot = runtime.block_on(async {
        let sdk = aws::load_sdk_config(&opts).await;
        let source = a
            .resolver
            .map_or(DnsSource::Authoritative, DnsSource::Server);
        let dns = HickoryDns::new(source, Duration::from_secs(5)).map_err(CliError::Usage)?;
        let readers = Readers {
            ses: AwsSes::new(&sdk, &opts),
            route53: AwsRoute53::new(&sdk, &opts),
            registrar: AwsRegistrar::new(&sdk, &opts),
            dns,
        };
        let progress = Progress::new();
        let lookup = |var: &str| std::env::var(var).ok();
        let show = |what: &str| progress.show(what);
        let gather_opts = GatherOptions {
            targets: targets.clone(),
            concurrency: usize::from(a.concurrency),
            probe: ProbeOptions::default(),
            secret_lookup: &lookup,
            progress: &show,
        };
        let result = gather::gather(&config, &readers, &gather_opts, &SystemClock).await;
        progress.clear();
        result.map_err(CliError::from)
    })?;

    match &a.out {
        Some(path) => {
            snapshot::write(path, &snapshot)?;
            eprintln!(
                "wrote {}: {} libraries, {} SES identities, {} hosted zones, {} registered domains",
                path.display(),
                snapshot.libraries.len(),
                snapshot.ses.identities.len(),
                snapshot.route53.hosted_zones.len(),
                snapshot.registrar.domains.len()
            );
        }
        None => print(&snapshot::to_json(&snapshot)),
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// One line on a terminal, rewritten as the refresh moves on; nothing elsewhere.
struct Progress {
    on: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, what: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[Kreading {what}…");
            let _ = err.flush();
        }
    }

    fn clear(&self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
