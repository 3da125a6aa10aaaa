//! One sandbox owns a state directory at a time. `mailform … --sandbox` on a directory that a
//! running `mailform-sandbox serve` owns talks to that server (its state, its clock) instead of
//! starting a second sandbox on the same files, whose writes the server's next write would erase;
//! a second `serve` is refused; two `--sandbox` runs take turns.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{Cli, Output};

const LIBRARY: &str = "library \"springfield\" {\n    name \"Springfield\"\n    it-contact \"it@springfield.example.org\"\n\n    ses-domain {\n        from \"noreply@springfield.example.org\"\n    }\n}\n";

/// A `mailform-sandbox serve` child, killed (SIGKILL) and reaped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sandbox_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mailform-sandbox"))
}

/// Starts `serve` on `dir` and waits for its `endpoints.json`.
fn serve(dir: &Path) -> Server {
    let _ = std::fs::remove_file(dir.join("endpoints.json"));
    let child = Command::new(sandbox_bin())
        .arg("--state-dir")
        .arg(dir)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mailform-sandbox serve");
    let server = Server(child);
    let start = Instant::now();
    while !dir.join("endpoints.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "serve wrote no endpoints.json"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

fn sandbox_cmd(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(sandbox_bin())
        .arg("--state-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run mailform-sandbox");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The library's sending domain as its DNS provider serves it (a zone with an SPF record),
/// through the running server: a domain that does not exist gets no identity.
fn serve_domain(dir: &Path) {
    let added = sandbox_cmd(
        dir,
        &[
            "dns",
            "add",
            "springfield.example.org",
            "@",
            "TXT",
            "v=spf1 -all",
        ],
    );
    assert_eq!(added.code, 0, "{}", added.all());
}

fn mailform(cli: &Cli, dir: &Path, command: &[&str]) -> Output {
    let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    args.extend(["--sandbox".into(), "--sandbox-dir".into()]);
    args.push(dir.display().to_string());
    Cli::reuse(cli, args).run()
}

#[test]
fn a_sandbox_run_uses_the_running_server_and_its_state_survives_the_server() {
    let cli = Cli::with_platform().file("libraries/springfield.kdl", LIBRARY);
    let dir = cli.path().join("sandbox-state");
    let server = serve(&dir);
    serve_domain(&dir);

    let applied = mailform(&cli, &dir, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("+ ses-identity springfield.example.org"),
        "{}",
        applied.stdout
    );
    // The server made the identity: its clock moves, and it saves its state, with the identity.
    let advanced = sandbox_cmd(&dir, &["clock", "advance", "2h"]);
    assert_eq!(advanced.code, 0, "{}", advanced.all());
    let plan = mailform(&cli, &dir, &["plan"]);
    assert!(
        !plan.stdout.contains("+ ses-identity"),
        "the identity apply made is still there after `clock advance`:\n{}",
        plan.all()
    );

    // A second server on the same directory is refused, naming it.
    let second = Command::new(sandbox_bin())
        .arg("--state-dir")
        .arg(&dir)
        .arg("serve")
        .output()
        .expect("run a second serve");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(
        stderr.contains("is in use by another sandbox") && stderr.contains("sandbox-state"),
        "{stderr}"
    );

    // The server killed (-9): its lock goes with it, and a run starts its own sandbox on the
    // state the server saved.
    drop(server);
    let plan = mailform(&cli, &dir, &["plan"]);
    assert_ne!(plan.code, 1, "{}", plan.all());
    assert!(!plan.stdout.contains("+ ses-identity"), "{}", plan.all());
}

#[test]
fn two_sandbox_runs_on_one_directory_take_turns() {
    let cli = Cli::with_platform().file("libraries/springfield.kdl", LIBRARY);
    let dir = cli.path().join("sandbox-state");
    // A server only to add the zone; once it is gone, the runs start sandboxes of their own.
    let server = serve(&dir);
    serve_domain(&dir);
    drop(server);
    let (first, second) = std::thread::scope(|s| {
        let a = s.spawn(|| mailform(&cli, &dir, &["apply", "--auto-approve"]));
        let b = s.spawn(|| mailform(&cli, &dir, &["apply", "--auto-approve"]));
        (
            a.join().expect("first apply"),
            b.join().expect("second apply"),
        )
    });
    for out in [&first, &second] {
        assert_eq!(out.code, 0, "{}", out.all());
    }
    // Side by side, each would have started from the same saved state and made the identity
    // (with tokens of its own, the last save erasing the other's): in turns, the second finds
    // it made.
    let made: Vec<&Output> = [&first, &second]
        .into_iter()
        .filter(|o| o.stdout.contains("+ ses-identity springfield.example.org"))
        .collect();
    assert_eq!(
        made.len(),
        1,
        "first:\n{}\nsecond:\n{}",
        first.all(),
        second.all()
    );
    let plan = mailform(&cli, &dir, &["plan"]);
    assert!(!plan.stdout.contains("+ ses-identity"), "{}", plan.all());
}
