//! Benchmark: onboarding new SES-domain libraries (method 1) in one `mailform apply
//! --auto-approve` against the sandbox enforcing the documented rate limits (SES 1 request a
//! second), with mailform's own default rates: the SES calls it makes, from the sandbox's
//! request log, against the fewest the SES API allows.
//!
//! Run with `cargo bench --bench onboard --features sandbox`. `MAILFORM_BENCH_LIBRARIES=N`
//! changes how many libraries are onboarded (default 100). Prints the SES calls by operation,
//! the minimum and their ratio, the throttled answers (the apply plans, then applies, in one
//! process: its writes continue the plan's stream of calls under the same limiter, so there
//! must be none), and the wall time against the floor SES's rate sets.
//!
//! The minimum, per apply of `N` new SES-domain libraries without a MAIL FROM domain:
//!
//! * 3 reads, whatever `N`: `GetAccount` (sending and production access, which the plan shows),
//!   `ListEmailIdentities` (which identities exist: one page holds 1,000) and
//!   `ListConfigurationSets` (which sets exist, for libraries that name one). A new identity
//!   needs no `GetEmailIdentity`: the list says it is not there.
//! * 1 write per library: `CreateEmailIdentity` carries the tags, the DKIM signing attributes
//!   (the key length) and the configuration set in the one call. A MAIL FROM domain would add
//!   `PutEmailIdentityMailFromAttributes` (the create takes none); these libraries declare
//!   none, as most do.
//!
//! So `N + 3`. The DKIM CNAMEs the library must publish come from the create's own answer
//! being read back by the next plan, not from an extra call here.

#[allow(dead_code)]
#[path = "it/support/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "it/support/estate.rs"]
mod estate;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use estate::{Estate, Method, library_file, method};
use mailform::sandbox::{RateLimits, Sandbox, SandboxConfig, Service};

fn main() {
    let n: usize = std::env::var("MAILFORM_BENCH_LIBRARIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::start(SandboxConfig {
        start_time: Some(1_767_225_600),
        rate_limits: RateLimits::documented(),
        ..SandboxConfig::default()
    })
    .expect("start the sandbox");

    // N SES-domain libraries: the estate's method-1 files (every third index).
    let libraries = dir.path().join("libraries");
    std::fs::create_dir_all(&libraries).expect("libraries dir");
    std::fs::write(libraries.join("_platform.kdl"), cli::PLATFORM).expect("platform file");
    let indices: Vec<usize> = (0..)
        .filter(|i| method(*i) == Method::SesDomain)
        .take(n)
        .collect();
    for i in &indices {
        std::fs::write(
            libraries.join(format!("{}.kdl", estate::id(*i))),
            library_file(*i, ""),
        )
        .expect("library file");
    }
    let estate = Estate {
        root: dir.path().to_path_buf(),
        n: 0,
    };
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mailform"));

    sandbox.clear_request_log();
    let started = Instant::now();
    let applied = estate.run(&bin, &sandbox, &["apply", "--auto-approve"]);
    let wall = started.elapsed();
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);

    let log = sandbox.request_log();
    let mut ses: BTreeMap<String, usize> = BTreeMap::new();
    let mut throttled = 0;
    let mut failed = Vec::new();
    for e in &log {
        if matches!(
            e.error.as_deref(),
            Some("TooManyRequestsException" | "Throttling" | "ThrottlingException")
        ) {
            throttled += 1;
        } else if e.error.is_some() {
            failed.push(format!("{} {:?}", e.operation, e.error));
        }
        if e.service == Service::Ses {
            *ses.entry(e.operation.clone()).or_insert(0) += 1;
        }
    }
    let made: usize = ses.values().sum();
    let created = ses.get("CreateEmailIdentity").copied().unwrap_or(0);
    assert_eq!(created, n, "every library's identity created once: {ses:?}");
    let minimum = n + 3;
    let ratio = made as f64 / minimum as f64;
    println!(
        "onboarding {n} new SES-domain libraries in one apply: {made} SES calls, {ratio:.3}× the minimum of {minimum} (1 CreateEmailIdentity each + GetAccount, ListEmailIdentities, ListConfigurationSets); by operation {ses:?}"
    );
    println!(
        "  {throttled} throttled answers, {} failed requests; {:.1} s wall, {:.2}× the {} s SES's 1 request a second sets for {made} calls",
        failed.len(),
        wall.as_secs_f64(),
        wall.as_secs_f64() / (made.saturating_sub(1)).max(1) as f64,
        made.saturating_sub(1)
    );
    assert_eq!(throttled, 0, "throttled answers while onboarding");
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    sandbox.shutdown();
}
