//! Benchmark: the weight of the onboarding status page of 1,000 libraries, and how long
//! headless Chromium takes to load it.
//!
//! Run with `cargo bench --bench status --features sandbox` (needs /usr/bin/chromium).
//! `MAILFORM_BENCH_LIBRARIES=N` changes the estate's size, `MAILFORM_BENCH_RUNS=N` the loads
//! measured (default 5). The page comes from the real binary (`mailform status`) over an
//! estate read from the sandbox. The page itself carries no script; the measured copy adds one
//! tiny inline script that, at `load`, forces layout and writes `performance.now()` (time since
//! navigation start) into the DOM, which `--dump-dom` then prints.

#[allow(dead_code)]
#[path = "it/status/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "it/support/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "it/support/estate.rs"]
mod estate;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use estate::{Estate, FAST, sandbox_flags};
use mailform::sandbox::{Sandbox, SandboxConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const PROBE: &str = "<script>addEventListener('load',()=>{document.body.offsetHeight;document.body.dataset.loadMs=performance.now().toFixed(1)})</script>";

fn main() {
    let n = env_usize("MAILFORM_BENCH_LIBRARIES", 1000);
    let runs = env_usize("MAILFORM_BENCH_RUNS", 5);
    let root = tempfile::tempdir().expect("temp dir");
    Estate::write(root.path(), n);
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mailform"));
    let out = Command::new(&bin)
        .args(["status", "--out", "status.html"])
        .args(sandbox_flags(&sandbox))
        .args(FAST)
        .current_dir(root.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run mailform status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = root.path().join("status.html");
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
