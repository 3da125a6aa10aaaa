//! Benchmark: read 1,000 libraries' DNS (three Easy DKIM CNAMEs and the DMARC record each)
//! from a local authoritative Knot server through the hickory-resolver adapter, at several
//! concurrencies.
//!
//! Run with `cargo bench --bench dns` (needs `knotd`, apt-get install knot). Set
//! `MAILFORM_BENCH_CONCURRENCY=8,64` to choose the concurrencies. Prints wall time, queries a
//! second and concurrency; asserts only that every answer is right. The bench cannot use the
//! test harness, so it carries its own small Knot starter.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::collections::BTreeSet;
use std::sync::Mutex;

use mailform::dns_check::{self, DkimExpectation, DomainChecks, Verdict};
use mailform::live::dns::{
    Answer, DnsLimits, DnsReader, DnsSource, HickoryDns, Observations, Query, Rtype, observe,
};
use mailform::live::gather::ask_in_rounds;
use mailform::model::DomainName;

const LIBRARIES: usize = 1_000;
const ZONE: &str = "bench.example";

fn token(library: usize, n: usize) -> String {
    format!("tok{library:04}x{n}abcdefghijklmnopqrstuv")
}

fn zone_file() -> String {
    let mut z = format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 300\n@ NS ns1.{ZONE}.\nns1 A 127.0.0.1\n"
    );
    for i in 0..LIBRARIES {
        for n in 0..3 {
            let t = token(i, n);
            z.push_str(&format!(
                "{t}._domainkey.library-{i:04} CNAME {t}.dkim.amazonses.com.\n"
            ));
        }
        z.push_str(&format!("library-{i:04} TXT \"v=spf1 mx -all\"\n"));
        z.push_str(&format!(
            "_dmarc.library-{i:04} TXT \"v=DMARC1; p=none; rua=mailto:dmarc@library-{i:04}.{ZONE}\"\n"
        ));
    }
    z
}

/// knotd on 127.0.0.1, killed on drop.
struct Knot {
    addr: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

impl Knot {
    /// Questions the server has received so far (UDP and TCP), from its statistics module.
    fn questions_received(&self) -> u64 {
        let out = Command::new("knotc")
            .arg("-c")
            .arg(self.dir.path().join("knot.conf"))
            .args(["-t", "2", "stats", "mod-stats.request-protocol"])
            .output()
            .expect("run knotc");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.rsplit_once("= ")?.1.trim().parse::<u64>().ok())
            .sum()
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // A port free for UDP; knotd binds UDP and TCP on it.
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_knot(zone: &str, text: &str) -> Knot {
    let dir = tempfile::Builder::new()
        .prefix("mailform-bench-knot-")
        .tempdir()
        .expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("zones")).expect("mkdir");
    std::fs::create_dir_all(root.join("db")).expect("mkdir");
    std::fs::write(root.join(format!("zones/{zone}.zone")), text).expect("zone file");
    let port = free_port();
    let conf = format!(
        "server:\n    rundir: \"{r}\"\n    pidfile: \"{r}/knot.pid\"\n    listen: 127.0.0.1@{port}\nlog:\n  - target: stderr\n    any: warning\ndatabase:\n    storage: \"{r}/db\"\ncontrol:\n    listen: \"{r}/knot.sock\"\nmod-stats:\n  - id: count\ntemplate:\n  - id: default\n    global-module: mod-stats/count\n    storage: \"{r}/zones\"\n    file: \"%s.zone\"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n    semantic-checks: off\nzone:\n  - domain: {zone}\n",
        r = root.display()
    );
    std::fs::write(root.join("knot.conf"), conf).expect("knot.conf");
    let child = Command::new("knotd")
        .arg("-c")
        .arg(root.join("knot.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run knotd (apt-get install knot)");
    let conf = root.join("knot.conf");
    let knot = Knot {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        child,
        dir,
    };
    wait_served(&conf, zone);
    knot
}

fn wait_served(conf: &Path, zone: &str) {
    let started = Instant::now();
    loop {
        let out = Command::new("knotc")
            .arg("-c")
            .arg(conf)
            .args(["-t", "2", "zone-status", zone])
            .output()
            .expect("run knotc");
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("serial: ") && !text.contains("serial: none") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "knotd does not serve {zone}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn queries() -> Vec<Query> {
    let mut q = Vec::with_capacity(LIBRARIES * 4);
    for i in 0..LIBRARIES {
        let domain = format!("library-{i:04}.{ZONE}");
        for n in 0..3 {
            q.push(Query::new(
                format!("{}._domainkey.{domain}", token(i, n)),
                Rtype::Cname,
            ));
        }
        q.push(Query::new(format!("_dmarc.{domain}"), Rtype::Txt));
    }
    q
}

/// What a refresh checks of a converged SES-domain library (default MAIL FROM): its three
/// CNAMEs are in place.
fn checks(i: usize) -> DomainChecks {
    let domain = DomainName::parse(&format!("library-{i:04}.{ZONE}")).expect("domain");
    DomainChecks {
        dkim: Some(DkimExpectation {
            domain: domain.clone(),
            tokens: (0..3).map(|n| token(i, n)).collect(),
            signing_zone: "dkim.amazonses.com".into(),
            subdomains: vec![],
            account_tokens: Default::default(),
        }),
        mail_from: None,
        domain,
    }
}

/// A reader that remembers every distinct question it was asked.
struct Distinct<'a> {
    inner: &'a HickoryDns,
    asked: Mutex<BTreeSet<Query>>,
}

impl DnsReader for Distinct<'_> {
    async fn query(&self, q: &Query) -> Answer {
        self.asked.lock().expect("lock").insert(q.clone());
        self.inner.query(q).await
    }
}

/// The DNS phase of a refresh over 1,000 converged SES-domain libraries: questions sent (as
/// the server counts them, retries included), distinct questions, and wall time.
fn converged_refresh(
    server: &str,
    addr: SocketAddr,
    questions_received: &dyn Fn() -> Option<u64>,
    runtime: &tokio::runtime::Runtime,
    concurrency: usize,
) {
    let checks: Vec<DomainChecks> = (0..LIBRARIES).map(checks).collect();
    let dns = HickoryDns::new(DnsSource::Server(addr), Duration::from_secs(5))
        .expect("resolver")
        .with_limits(DnsLimits {
            in_flight: concurrency,
            ..DnsLimits::default()
        });
    let reader = Distinct {
        inner: &dns,
        asked: Mutex::new(BTreeSet::new()),
    };
    let before = questions_received();
    let started = Instant::now();
    let mut obs = Observations::new();
    let all: Vec<&DomainChecks> = checks.iter().collect();
    runtime.block_on(ask_in_rounds(
        &reader,
        &all,
        &mut BTreeSet::new(),
        &mut obs,
        tokio::time::Instant::now() + Duration::from_secs(600),
        |_| {},
    ));
    let elapsed = started.elapsed();
    let distinct = reader.asked.lock().expect("lock").len();
    let sent = match (before, questions_received()) {
        (Some(before), Some(after)) => format!(
            "{:.1} queries sent and ",
            (after - before) as f64 / LIBRARIES as f64
        ),
        _ => String::new(),
    };
    for c in &checks {
        let report = dns_check::judge_dkim(c.dkim.as_ref().expect("dkim"), &obs);
        assert!(
            report.records.iter().all(|r| r.verdict == Verdict::Present),
            "{report:?}"
        );
    }
    println!(
        "dns: converged refresh ({server}), dns concurrency {concurrency}: {sent}{:.1} distinct questions per library, {:.1} ms wall",
        distinct as f64 / LIBRARIES as f64,
        elapsed.as_secs_f64() * 1000.0,
    );
}

fn main() {
    let concurrencies: Vec<usize> = std::env::var("MAILFORM_BENCH_CONCURRENCY")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 8, 32, 128]);
    let knot = start_knot(ZONE, &zone_file());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let questions = queries();
    println!(
        "dns: {LIBRARIES} libraries, {} queries (3 DKIM CNAMEs + DMARC TXT each) against knotd at {}",
        questions.len(),
        knot.addr
    );
    // 4: `--concurrency`'s default, which DNS shared before; 32: `--dns-concurrency`'s.
    let counted = || Some(knot.questions_received());
    converged_refresh("knotd", knot.addr, &counted, &runtime, 4);
    converged_refresh("knotd", knot.addr, &counted, &runtime, 32);
    #[cfg(feature = "sandbox")]
    for latency_ms in [0, 40] {
        sandbox::converged_refresh(&runtime, latency_ms);
    }
    for concurrency in concurrencies {
        let dns = HickoryDns::new(DnsSource::Server(knot.addr), Duration::from_secs(5))
            .expect("resolver")
            .with_limits(DnsLimits {
                in_flight: concurrency,
                ..DnsLimits::default()
            });
        let started = Instant::now();
        let obs = runtime.block_on(observe(&dns, questions.iter().cloned(), concurrency));
        let elapsed = started.elapsed();
        let right = questions
            .iter()
            .filter(|q| matches!(obs.get(q), Some(Answer::Records(r)) if !r.is_empty()))
            .count();
        assert_eq!(right, questions.len(), "every question has its record");
        println!(
            "dns: concurrency {concurrency:>4}: {:>8.1} ms wall, {:>8.0} queries/s",
            elapsed.as_secs_f64() * 1000.0,
            questions.len() as f64 / elapsed.as_secs_f64()
        );
    }
}

/// The same estate served by the sandbox's DNS server, which can wait before each answer as
/// a name server across the internet does (`SandboxConfig::dns_latency_ms`).
#[cfg(feature = "sandbox")]
mod sandbox {
    use mailform::sandbox::{RecordInput, Sandbox, SandboxConfig};

    use super::{LIBRARIES, ZONE, token};

    pub fn converged_refresh(runtime: &tokio::runtime::Runtime, latency_ms: u64) {
        let sandbox = Sandbox::start(SandboxConfig {
            dns_latency_ms: latency_ms,
            ..SandboxConfig::default()
        })
        .expect("sandbox");
        sandbox.create_zone(ZONE);
        for i in 0..LIBRARIES {
            let add = |name: String, rtype: &str, value: String| {
                sandbox
                    .add_record(ZONE, RecordInput::new(&name, rtype, &value))
                    .expect("record");
            };
            for n in 0..3 {
                let t = token(i, n);
                add(
                    format!("{t}._domainkey.library-{i:04}"),
                    "CNAME",
                    format!("{t}.dkim.amazonses.com."),
                );
            }
            add(
                format!("library-{i:04}"),
                "TXT",
                "\"v=spf1 mx -all\"".into(),
            );
            add(
                format!("_dmarc.library-{i:04}"),
                "TXT",
                format!("\"v=DMARC1; p=none; rua=mailto:dmarc@library-{i:04}.{ZONE}\""),
            );
        }
        let server = format!("sandbox, {latency_ms} ms an answer");
        for concurrency in [4, 32] {
            super::converged_refresh(
                &server,
                sandbox.endpoints().dns,
                &|| None,
                runtime,
                concurrency,
            );
        }
    }
}
