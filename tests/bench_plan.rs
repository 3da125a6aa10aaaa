//! Benchmark: `mailform plan` over a converged estate of 1,000 libraries (methods 1, 3 and 2 in
//! turn) against the sandbox enforcing the documented rate limits (SES 1 request a second,
//! Route 53 5, Route 53 Domains 1), with mailform's own default rates, scoped against a
//! baseline snapshot as the pull-request job runs it.
//!
//! Run with `cargo bench --bench plan --features sandbox`. `MAILFORM_BENCH_LIBRARIES=N` changes
//! the estate's size, `MAILFORM_BENCH_RUNS=N` the measured runs (default 3),
//! `MAILFORM_BENCH_DNS_LATENCY_MS=MS` how long the sandbox's name server takes per answer (default
//! 0; 40 is a name server across the internet), `MAILFORM_BENCH_FULL=0` skips the measured full
//! refresh (some 11 minutes at 1,000 libraries). Prints each run's wall time and peak resident
//! memory (the plan process's own `VmHWM`), the calls it made per service, and its ratio to the
//! floor the rate limits set; then a full refresh at the documented rates: its throttled
//! answers and its time against the busiest service's calls ÷ rate. Asserts what must hold for
//! the figures to mean anything: the estate converged, every measured plan says "No changes",
//! no request was throttled or failed, and the scoped plan equals a full refresh's plan.
//!
//! Setting the estate up (apply, DNS at each library's provider, simulated time) runs without
//! rate limits and is not measured. SMTP libraries name a password variable nobody sets, so
//! their probes are skipped here; the probe has its own measurements.

#[allow(dead_code)]
#[path = "it/support/cli.rs"]
mod cli;
// The test suite uses every part of these; the benchmark only some.
#[allow(dead_code)]
#[path = "it/support/estate.rs"]
mod estate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use estate::{Estate, sandbox_flags};
use mailform::sandbox::{RateLimits, Sandbox, SandboxConfig, SandboxHandle};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mailform"))
}

/// One measured run: exit code, wall time, peak RSS in KiB, stdout and stderr.
struct Measured {
    code: i32,
    wall: Duration,
    max_rss_kib: i64,
    stdout: String,
    stderr: String,
}

/// `VmHWM` of a `/proc/PID/status`, in KiB.
fn vm_hwm_kib(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `mailform` with `args` in `root`, watching its peak resident memory (`VmHWM`, read
/// every 5 ms until it exits: the peak so far never shrinks, so at most the last 5 ms escape).
fn measure(root: &Path, sandbox: &SandboxHandle, args: &[&str]) -> Measured {
    let out_path = root.join("bench-stdout.txt");
    let err_path = root.join("bench-stderr.txt");
    let started = Instant::now();
    let child = Command::new(bin())
        .args(args)
        .args(sandbox_flags(sandbox))
        .current_dir(root)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("start mailform");
    // The peak resident set so far (VmHWM) only grows; read it until the process exits.
    let status_file = format!("/proc/{}/status", child.id());
    let mut child = child;
    let mut max_rss_kib = 0;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            max_rss_kib = max_rss_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for mailform") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = started.elapsed();
    let code = status.code().unwrap_or(-1);
    Measured {
        code,
        wall,
        max_rss_kib,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// Calls per service in the sandbox's request log, and whether any failed.
fn calls(sandbox: &SandboxHandle) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut per_service = BTreeMap::new();
    let mut failed = Vec::new();
    for e in sandbox.request_log() {
        *per_service.entry(format!("{:?}", e.service)).or_insert(0) += 1;
        if e.error.is_some() || e.status >= 400 {
            failed.push(format!("{} {} {:?}", e.operation, e.status, e.error));
        }
    }
    (per_service, failed)
}

fn main() {
    let n = env_usize("MAILFORM_BENCH_LIBRARIES", 1_000);
    let runs = env_usize("MAILFORM_BENCH_RUNS", 3).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let dns_latency_ms = env_usize("MAILFORM_BENCH_DNS_LATENCY_MS", 0) as u64;
    let measure_full = env_usize("MAILFORM_BENCH_FULL", 1) != 0;
    let sandbox = Sandbox::start(SandboxConfig {
        domain_limit: n,
        start_time: Some(1_767_225_600),
        dns_latency_ms,
        ..SandboxConfig::default()
    })
    .expect("start the sandbox");

    let estate = Estate::write(dir.path(), n);
    let setup = Instant::now();
    let rounds = estate
        .converge(&bin(), &sandbox)
        .unwrap_or_else(|e| panic!("the estate did not converge: {e}"));
    println!(
        "estate: {n} libraries ({} managed domains) converged in {rounds} rounds, {:.1} s of setup (not measured)",
        estate.managed_domains().len(),
        setup.elapsed().as_secs_f64()
    );

    // The baseline, as the nightly drift check or the last apply leaves it.
    let baseline = dir.path().join("baseline.json").display().to_string();
    sandbox.clear_request_log();
    let full = estate.run_fast(&bin(), &sandbox, &["refresh", "--out", &baseline]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    let (full_calls, _) = calls(&sandbox);
    let full_ses = full_calls.get("Ses").copied().unwrap_or(0);
    println!(
        "a full refresh makes {full_ses} SES calls: at 1 a second, at least {full_ses} s ({:.1} min); calls per service {full_calls:?}",
        full_ses as f64 / 60.0
    );

    sandbox.set_rate_limits(RateLimits::documented());
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    for run in 1..=runs {
        // Separate processes share no limiter: leave the service's window between two plans,
        // as plans minutes apart in CI do.
        if run > 1 {
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        sandbox.clear_request_log();
        let m = measure(
            dir.path(),
            &sandbox,
            &["plan", "--baseline", &baseline, "--format", "json"],
        );
        let (per_service, failed) = calls(&sandbox);
        assert_eq!(m.code, 0, "{}", m.stderr);
        assert!(
            !m.stdout.contains("\"op\""),
            "a converged estate has no changes"
        );
        // Its libraries' SPF and DMARC are fine (or absent): no line about them.
        assert!(
            !m.stdout.contains("\"information\""),
            "a library whose SPF and DMARC are fine has no SPF/DMARC line"
        );
        assert!(failed.is_empty(), "requests failed: {failed:?}");
        assert!(
            !m.stderr.to_ascii_lowercase().contains("throttl"),
            "{}",
            m.stderr
        );
        // The floor the rate limits set: the busiest service's calls after its first, at its
        // documented rate (SES 1/s, Route 53 5/s, Route 53 Domains 1/s).
        let floor = [("Ses", 1.0), ("Route53", 5.0), ("Route53Domains", 1.0)]
            .iter()
            .map(|(s, rate)| {
                per_service.get(*s).copied().unwrap_or(0).saturating_sub(1) as f64 / rate
            })
            .fold(0.0, f64::max);
        println!(
            "run {run}: {:.2} s wall ({:.2}× the floor of {floor:.1} s the rate limits set; DNS latency {dns_latency_ms} ms), peak RSS {:.1} MiB, calls {per_service:?}",
            m.wall.as_secs_f64(),
            m.wall.as_secs_f64() / floor.max(f64::EPSILON),
            m.max_rss_kib as f64 / 1024.0
        );
        walls.push(m.wall);
        peaks.push(m.max_rss_kib);
    }
    walls.sort();
    let worst_rss = peaks.iter().max().copied().unwrap_or(0);
    println!(
        "scoped plan of {n} converged libraries, SES at 1 request/s, DNS latency {dns_latency_ms} ms: median {:.2} s, worst {:.2} s; peak RSS at most {:.1} MiB",
        walls[walls.len() / 2].as_secs_f64(),
        walls[walls.len() - 1].as_secs_f64(),
        worst_rss as f64 / 1024.0
    );

    if measure_full {
        full_refresh(dir.path(), &sandbox, n);
    }

    // What the figures rest on: the scoped plan is the full plan.
    sandbox.set_rate_limits(RateLimits::default());
    let scoped = estate.run_fast(
        &bin(),
        &sandbox,
        &["plan", "--baseline", &baseline, "--format", "json"],
    );
    let full = estate.run_fast(
        &bin(),
        &sandbox,
        &[
            "plan",
            "--baseline",
            &baseline,
            "--refresh",
            "full",
            "--format",
            "json",
        ],
    );
    assert_eq!(scoped.code, 0, "{}", scoped.stderr);
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert!(
        scoped.stdout == full.stdout,
        "the scoped plan differs from the full one"
    );
    println!("checked: the scoped plan equals a full refresh's plan");
    sandbox.shutdown();
}

/// A full refresh of the estate at the documented rates, with mailform's own default rates:
/// the nightly drift check. Every deep read is made, so the busiest service's calls at its
/// documented rate set the time; prints the throttled answers (there must be none) and the
/// time against calls ÷ rate.
fn full_refresh(root: &Path, sandbox: &SandboxHandle, n: usize) {
    std::thread::sleep(Duration::from_secs(2));
    sandbox.set_rate_limits(RateLimits::documented());
    sandbox.clear_request_log();
    let out = root.join("full-refresh.json").display().to_string();
    let m = measure(root, sandbox, &["refresh", "--out", &out]);
    let log = sandbox.request_log();
    let throttled = log
        .iter()
        .filter(|e| {
            matches!(
                e.error.as_deref(),
                Some("TooManyRequestsException" | "Throttling" | "ThrottlingException")
            )
        })
        .count();
    let (per_service, failed) = calls(sandbox);
    assert_eq!(m.code, 0, "{}", m.stderr);
    // Calls ÷ rate for each service, counting only the answered calls (a throttled one is a
    // call too many); the busiest sets the time.
    let answered = |service: &str| {
        log.iter()
            .filter(|e| format!("{:?}", e.service) == service && e.error.is_none())
            .count()
    };
    let (busiest, bound) = [("Ses", 1.0), ("Route53", 5.0), ("Route53Domains", 1.0)]
        .iter()
        .map(|(s, rate)| (*s, answered(s) as f64 / rate))
        .fold(("", 0.0), |a, b| if b.1 > a.1 { b } else { a });
    println!(
        "full refresh of {n} converged libraries at the documented rates: {:.1} s wall, {:.3}× the {bound:.0} s that {busiest}'s {} answered calls take at its rate; {throttled} throttled answers, {} failed requests; calls {per_service:?}; peak RSS {:.1} MiB",
        m.wall.as_secs_f64(),
        m.wall.as_secs_f64() / bound.max(f64::EPSILON),
        answered(busiest),
        failed.len(),
        m.max_rss_kib as f64 / 1024.0
    );
    assert_eq!(
        throttled, 0,
        "throttled answers in a full refresh: {failed:?}"
    );
    assert!(failed.is_empty(), "requests failed: {failed:?}");
}
