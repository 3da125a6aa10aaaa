//! A generated estate of libraries (methods 1, 3 and 2 in turn) and the steps that converge it
//! in a sandbox by running the real `mailform` binary: apply, install the library-side DNS
//! records a library's IT staff would, let simulated time pass, until plan has no changes.
//!
//! Needs only the library, std and its sibling `cli` module, so the plan benchmark can include
//! both with `#[path]` as well as the test suite.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mailform::live::snapshot;
use mailform::sandbox::{RecordInput, SandboxHandle};

use super::cli::PLATFORM;

/// How a generated library sends its mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    SesDomain,
    ManagedDomain,
    SmtpAccount,
}

/// Library `i`'s method: the three in turn.
pub fn method(i: usize) -> Method {
    [
        Method::SesDomain,
        Method::ManagedDomain,
        Method::SmtpAccount,
    ][i % 3]
}

pub fn id(i: usize) -> String {
    format!("lib-{i:04}")
}

/// The sending domain of a method-1 library, or the bought domain of a method-3 one.
pub fn domain(i: usize) -> Option<String> {
    match method(i) {
        Method::SesDomain => Some(format!("lib-{i:04}.example.org")),
        Method::ManagedDomain => Some(format!("lib-{i:04}-mail.test")),
        Method::SmtpAccount => None,
    }
}

/// Library `i`'s file. SMTP libraries name a password variable nobody sets, so their probes
/// are skipped (the probe has its own tests and benchmark).
pub fn library_file(i: usize, extra: &str) -> String {
    let id = id(i);
    let body = match method(i) {
        Method::SesDomain => {
            format!("    ses-domain {{\n        from \"noreply@{id}.example.org\"\n{extra}    }}\n")
        }
        Method::ManagedDomain => format!(
            "    managed-domain {{\n        domain \"{id}-mail.test\"\n        from \"notices@{id}-mail.test\"\n        years 1\n        auto-renew #true\n{extra}    }}\n"
        ),
        Method::SmtpAccount => format!(
            "    smtp-account {{\n        host \"smtp.{id}.example.org\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_{}\"\n        from \"notices@{id}.example.org\"\n{extra}    }}\n",
            id.replace('-', "_").to_ascii_uppercase()
        ),
    };
    format!(
        "library \"{id}\" {{\n    name \"Library {i}\"\n    it-contact \"it@{id}.example.org\"\n\n{body}}}\n"
    )
}

/// `n` library files and the platform file under `root/libraries`.
pub struct Estate {
    pub root: PathBuf,
    pub n: usize,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Estate {
    pub fn write(root: &Path, n: usize) -> Estate {
        let dir = root.join("libraries");
        std::fs::create_dir_all(&dir).expect("create the libraries dir");
        std::fs::write(dir.join("_platform.kdl"), PLATFORM).expect("write the platform file");
        let estate = Estate {
            root: root.to_path_buf(),
            n,
        };
        for i in 0..n {
            estate.set_library(i, "");
        }
        estate
    }

    /// (Re)writes library `i`, with `extra` lines inside its method block.
    pub fn set_library(&self, i: usize, extra: &str) {
        let path = self.root.join("libraries").join(format!("{}.kdl", id(i)));
        std::fs::write(path, library_file(i, extra)).expect("write a library file");
    }

    pub fn managed_domains(&self) -> Vec<String> {
        (0..self.n)
            .filter(|i| method(*i) == Method::ManagedDomain)
            .filter_map(domain)
            .collect()
    }

    /// Runs `mailform` in the estate's root against `sandbox`, with `args` first.
    pub fn run(&self, bin: &Path, sandbox: &SandboxHandle, args: &[&str]) -> Run {
        self.run_with(bin, sandbox, args, &[])
    }

    /// [`Estate::run`] without client-side rate limits, for setting an estate up quickly.
    pub fn run_fast(&self, bin: &Path, sandbox: &SandboxHandle, args: &[&str]) -> Run {
        self.run_with(bin, sandbox, args, FAST)
    }

    fn run_with(&self, bin: &Path, sandbox: &SandboxHandle, args: &[&str], more: &[&str]) -> Run {
        // Every library of an estate has set its sending domain up at its DNS provider.
        serve_sending_domains(sandbox, &self.root.join("libraries"));
        let out = Command::new(bin)
            .args(args)
            .args(sandbox_flags(sandbox))
            .args(more)
            .current_dir(&self.root)
            .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
            .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run mailform");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Applies, installs the method-1 libraries' DKIM CNAMEs in their own (sandbox-served)
    /// zones, and lets an hour pass, until a plan has no changes and every SES identity is
    /// verified. Returns the rounds it took.
    pub fn converge(&self, bin: &Path, sandbox: &SandboxHandle) -> Result<usize, String> {
        let snapshot_path = self.root.join("converge-live.json");
        let snapshot_arg = snapshot_path.display().to_string();
        let mut apply: Vec<String> = ["apply", "--auto-approve", "--allow-purchase"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        apply.extend(self.managed_domains());
        let apply: Vec<&str> = apply.iter().map(String::as_str).collect();
        for round in 1..=6 {
            let applied = self.run_fast(bin, sandbox, &apply);
            if applied.code != 0 {
                return Err(format!(
                    "apply failed in round {round}:\n{}\n{}",
                    tail(&applied.stdout),
                    applied.stderr
                ));
            }
            let refreshed = self.run_fast(bin, sandbox, &["refresh", "--out", &snapshot_arg]);
            if refreshed.code != 0 {
                return Err(format!("refresh failed: {}", refreshed.stderr));
            }
            let live = snapshot::read(&snapshot_path).map_err(|e| e.to_string())?;
            for i in (0..self.n).filter(|i| method(*i) == Method::SesDomain) {
                let name = domain(i).unwrap_or_default();
                let Some(dkim) = live
                    .ses
                    .identities
                    .iter()
                    .find(|x| x.name == name)
                    .and_then(|x| x.dkim.as_ref())
                else {
                    continue;
                };
                let zone = sandbox.create_zone(&name);
                for token in &dkim.tokens {
                    // Adding a record that is already there is refused; that is fine here.
                    let _ = sandbox.add_record(
                        &zone,
                        RecordInput::new(
                            &format!("{token}._domainkey.{name}"),
                            "CNAME",
                            &format!("{token}.dkim.amazonses.com"),
                        ),
                    );
                }
            }
            sandbox.advance_clock(Duration::from_secs(3600));
            let verified = self.run_fast(bin, sandbox, &["refresh", "--out", &snapshot_arg]);
            let live = snapshot::read(&snapshot_path).map_err(|e| e.to_string())?;
            let all_verified = verified.code == 0
                && live
                    .ses
                    .identities
                    .iter()
                    .all(|x| x.verification_status.as_deref() == Some("SUCCESS"));
            let plan = self.run_fast(bin, sandbox, &["plan", "--detailed-exitcode"]);
            if all_verified && matches!(plan.code, 0 | 3 | 4) {
                return Ok(round);
            }
        }
        Err("the estate did not converge in 6 rounds".into())
    }
}

/// The flags that point `mailform` at every service of `sandbox` (add [`FAST`] to drop the
/// client-side rate limits).
pub fn sandbox_flags(sandbox: &SandboxHandle) -> Vec<String> {
    let e = sandbox.endpoints();
    [
        "--resolver",
        &e.dns.to_string(),
        "--endpoint-ses",
        &e.ses,
        "--endpoint-route53",
        &e.route53,
        "--endpoint-route53domains",
        &e.route53domains,
        // Never AWS's own STS: apply asks it for the account id when it tags an identity.
        "--endpoint-sts",
        &e.sts,
        // Never AWS's own DynamoDB: the notice ledger.
        "--endpoint-dynamodb",
        &e.dynamodb,
        // Never AWS's own SQS: the queue of SES events.
        "--endpoint-sqs",
        &e.sqs,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Unlimited client-side rates: for setting an estate up quickly.
pub const FAST: &[&str] = &[
    "--rate-ses",
    "0",
    "--rate-route53",
    "0",
    "--rate-route53domains",
    "0",
];

/// Retries without the production backoff, for tests that inject faults.
pub const QUICK_RETRIES: &[&str] = &["--test-only-backoff-ms", "10"];

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Gives every SES-domain library in `libraries` (method 1) a zone for its sending domain at
/// its DNS provider, as a library that has set up its domain has: a sending domain with no
/// zone answers NXDOMAIN, and mailform withholds its identity. Idempotent; returns the zones.
pub fn serve_sending_domains(sandbox: &SandboxHandle, libraries: &std::path::Path) -> Vec<String> {
    let Ok(files) = std::fs::read_dir(libraries) else {
        return Vec::new();
    };
    let mut zones = Vec::new();
    for file in files.flatten() {
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        let Some(block) = text.split("ses-domain {").nth(1) else {
            continue;
        };
        let domain = block
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("from \""))
            .and_then(|from| from.split(['@', '"']).nth(1));
        if let Some(domain) = domain {
            zones.push(sandbox.create_zone(domain));
        }
    }
    zones
}
