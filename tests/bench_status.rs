//! Benchmark: `mailform status` of 1,000 libraries with their deliverability, end to end (the
//! release binary, from start to exit), the page's weight, and how long headless Chromium
//! takes to load it.
//!
//! Run with `cargo bench --bench status --features sandbox` (needs /usr/bin/chromium).
//! `MAILFORM_BENCH_LIBRARIES=N` changes the estate's size, `MAILFORM_BENCH_RUNS=N` the runs
//! and loads measured (default 5), `MAILFORM_BENCH_EVENTS=N` the SES events kept (default
//! 300,000). The platform file has an `events` block; the events (a Send and a Delivery or a
//! hard Bounce per message, spread over 28 days and the estate's SES libraries, one in ten at
//! 12 % hard bounces, one in ten at 6 %, the rest at 1 %) go onto the sandbox's queue and
//! `mailform events drain` moves them into the store. Then, each a median of the runs: `status`
//! (the page; the live state read from the sandbox, the event store read through
//! `cli::deliverability::read`), `status` of the same estate without the `events` block (the
//! rest), and `deliverability` of the same libraries (the read alone). The page itself carries
//! no script; the measured copy adds one tiny inline script that, at `load`, forces layout and
//! writes `performance.now()` (time since navigation start) into the DOM, which `--dump-dom`
//! then prints.

#[allow(dead_code)]
#[path = "it/status/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "it/support/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "it/support/estate.rs"]
mod estate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use estate::{Estate, FAST, sandbox_flags};
use mailform::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const QUEUE: &str = "mailform-ses-events";
const DLQ: &str = "mailform-ses-events-dlq";
/// The last day of the windows; the events fall on the 28 days before it and on it.
const TODAY: &str = "2026-01-28";

/// The platform file with an `events` block (the sandbox starts with the default table).
fn platform_with_events() -> String {
    cli::PLATFORM.trim_end().trim_end_matches('}').to_string()
        + &format!(
            "    events {{\n        configuration-set \"library-mail\"\n        sns-topic-arn \"arn:aws:sns:us-east-1:123456789012:{QUEUE}\"\n        queue-url \"https://sqs.us-east-1.amazonaws.com/123456789012/{QUEUE}\"\n        dead-letter-queue-url \"https://sqs.us-east-1.amazonaws.com/123456789012/{DLQ}\"\n    }}\n}}\n"
        )
}

/// The From domain of estate library `i`, if it sends through SES.
fn from_domain(i: usize) -> Option<String> {
    match estate::method(i) {
        estate::Method::SesDomain => Some(format!("{}.example.org", estate::id(i))),
        estate::Method::ManagedDomain => estate::domain(i),
        estate::Method::SmtpAccount => None,
    }
}

/// Message `m` of the run from `domain`, library `i`'s: its Send event and its Delivery or
/// hard Bounce, raw (as a subscription with raw message delivery carries them).
fn message(i: usize, domain: &str, m: usize) -> [String; 2] {
    let day = 1 + m % 28;
    let id = format!("0100bench-{i:04}-{m:08}");
    let to = format!("patron{m}@example.net");
    let mail = format!(
        r#""mail":{{"timestamp":"2026-01-{day:02}T10:00:00.000Z","source":"news@{domain}","messageId":"{id}","destination":["{to}"],"tags":{{"ses:from-domain":["{domain}"]}}}}"#
    );
    let percent = match i % 10 {
        0 => 12,
        1 => 6,
        _ => 1,
    };
    let outcome = if m % 100 < percent {
        format!(
            r#"{{"eventType":"Bounce",{mail},"bounce":{{"bounceType":"Permanent","bounceSubType":"General","timestamp":"2026-01-{day:02}T10:00:01.000Z","bouncedRecipients":[{{"emailAddress":"{to}","diagnosticCode":"smtp; 550 5.1.1 user unknown"}}]}}}}"#
        )
    } else {
        format!(
            r#"{{"eventType":"Delivery",{mail},"delivery":{{"timestamp":"2026-01-{day:02}T10:00:01.000Z","recipients":["{to}"],"smtpResponse":"250 2.6.0 Message received"}}}}"#
        )
    };
    [
        format!(r#"{{"eventType":"Send",{mail},"send":{{}}}}"#),
        outcome,
    ]
}

/// Runs the release binary in `root` against `sandbox`; how long it took from start to exit.
fn timed(bin: &Path, root: &Path, sandbox: &SandboxHandle, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .args(sandbox_flags(sandbox))
        .args(FAST)
        .current_dir(root)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run mailform");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut runs: Vec<Duration>) -> (Duration, Duration, Duration) {
    runs.sort();
    (runs[runs.len() / 2], runs[0], runs[runs.len() - 1])
}

const PROBE: &str = "<script>addEventListener('load',()=>{document.body.offsetHeight;document.body.dataset.loadMs=performance.now().toFixed(1)})</script>";

fn main() {
    let n = env_usize("MAILFORM_BENCH_LIBRARIES", 1000);
    let runs = env_usize("MAILFORM_BENCH_RUNS", 5);
    let events = env_usize("MAILFORM_BENCH_EVENTS", 300_000);
    let root = tempfile::tempdir().expect("temp dir");
    Estate::write(root.path(), n);
    let libraries = root.path().join("libraries");
    let platform = libraries.join("_platform.kdl");
    std::fs::write(&platform, platform_with_events()).unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    // The queues, as the README's one-time setup makes them.
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDBENCH",
                "bench-secret",
                None,
                None,
                "bench",
            ))
            .endpoint_url(&sandbox.endpoints().sqs)
            .build(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for name in [QUEUE, DLQ] {
        runtime
            .block_on(sqs.create_queue().queue_name(name).send())
            .expect("create a queue");
    }
    let senders: Vec<(usize, String)> = (0..n)
        .filter_map(|i| from_domain(i).map(|d| (i, d)))
        .collect();
    let messages = events / 2;
    let queued = Instant::now();
    for m in 0..messages {
        let (i, domain) = &senders[m % senders.len()];
        for body in message(*i, domain, m / senders.len()) {
            sandbox.sqs_send(QUEUE, &body);
        }
    }
    println!(
        "queued {} events of {} SES libraries in {:?}",
        messages * 2,
        senders.len(),
        queued.elapsed()
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mailform"));
    let drained = timed(&bin, root.path(), &sandbox, &["events", "drain"]);
    assert_eq!(sandbox.sqs_depth(QUEUE), Some((0, 0)));
    println!("drained them into the event store in {drained:?}");

    let status = ["status", "--out", "status.html", "--today", TODAY];
    let with: Vec<Duration> = (0..runs)
        .map(|_| timed(&bin, root.path(), &sandbox, &status))
        .collect();
    let page = root.path().join("status.html");
    let html = std::fs::read_to_string(&page).expect("the page");
    let at_risk = html.matches("class=\"vx\"").count();
    let review = html.matches("class=\"vr\"").count();
    assert!(
        at_risk > 0 && review > 0,
        "{at_risk} at risk, {review} under review"
    );
    let read: Vec<Duration> = (0..runs)
        .map(|_| {
            timed(
                &bin,
                root.path(),
                &sandbox,
                &["deliverability", "--format", "json", "--today", TODAY],
            )
        })
        .collect();
    std::fs::write(&platform, cli::PLATFORM).unwrap();
    let without: Vec<Duration> = (0..runs)
        .map(|_| {
            timed(
                &bin,
                root.path(),
                &sandbox,
                &["status", "--out", "without.html", "--today", TODAY],
            )
        })
        .collect();
    let (with, with_min, with_max) = median(with);
    let (read, read_min, read_max) = median(read);
    let (without, without_min, without_max) = median(without);
    println!(
        "status of {n} libraries with deliverability ({} SES libraries, {} events; {at_risk} at risk of pause, {review} under review), end to end: median {with:?} of {runs} ({with_min:?}–{with_max:?})",
        senders.len(),
        messages * 2
    );
    println!(
        "  the rest (status without the events block): median {without:?} ({without_min:?}–{without_max:?}); the deliverability read alone (`deliverability`): median {read:?} ({read_min:?}–{read_max:?}); status's share for it: {:?}",
        with.saturating_sub(without)
    );
    if with > Duration::from_secs(2) {
        println!("  NOT MET: over the 2 s target");
    }
    let html = std::fs::read_to_string(&page).expect("the page");
    let weight = html.len();
    println!(
        "status page of {n} libraries: {weight} bytes ({:.0} KiB)",
        weight as f64 / 1024.0
    );
    assert!(
        weight < 1_000_000,
        "the page weighs {weight} bytes, over 1 MB"
    );

    let timed = root.path().join("timed.html");
    std::fs::write(
        &timed,
        html.replacen("</body>", &format!("{PROBE}</body>"), 1),
    )
    .unwrap();
    let mut loads = vec![];
    for run in 1..=runs {
        let dom = browser::dump_dom(&timed).unwrap_or_else(|e| panic!("{e}"));
        let ms: f64 = dom
            .split("data-load-ms=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("the load time in the DOM");
        println!("load {run}: {ms:.1} ms (navigation start to load, layout included)");
        loads.push(ms);
    }
    loads.sort_by(f64::total_cmp);
    let median = loads[loads.len() / 2];
    println!(
        "median load of {runs}: {median:.1} ms (min {:.1}, max {:.1}) in headless Chromium",
        loads[0],
        loads[loads.len() - 1]
    );
    assert!(
        median < 1000.0,
        "the page takes {median} ms to load, over a second"
    );
}
