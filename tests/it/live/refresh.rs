//! `mailform refresh` through the binary, against a sandbox and its DNS server.

use std::process::Command;

use aws_sdk_sesv2::types::Tag;
use mailform::sandbox::{RateLimits, RecordInput, SandboxConfig, SandboxHandle};
use serde_json::Value;

use crate::support::cli::{CANARY, Cli, bin};
use crate::support::estate::{FAST, QUICK_RETRIES, sandbox_flags};
use crate::support::json_schema::assert_valid;
use crate::support::{free_port, sandbox as harness};

const SES_LIBRARY: &str = r#"library "springfield" {
    name "Springfield Public Library"
    it-contact "it@springfield-library.example.org"

    ses-domain {
        from "noreply@springfield-library.example.org"
        mail-from "bounce.springfield-library.example.org"
    }
}
"#;

fn smtp_library(id: &str, port: u16, var: &str) -> String {
    format!(
        r#"library "{id}" {{
    name "{id}"
    it-contact "it@{id}.example.org"

    smtp-account {{
        host "127.0.0.1"
        port {port}
        security "starttls"
        username "mailer@{id}.example.org"
        password env="{var}"
        from "noreply@{id}.example.org"
    }}
}}
"#
    )
}

/// A sandbox with springfield's identity (tagged as ours) and its DKIM records installed.
async fn world() -> (tempfile::TempDir, SandboxHandle) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let domain = "springfield-library.example.org";
    let out = harness::ses(&sandbox)
        .create_email_identity()
        .email_identity(domain)
        .tags(
            Tag::builder()
                .key("managed-by")
                .value("mailform")
                .build()
                .unwrap(),
        )
        .tags(
            Tag::builder()
                .key("library")
                .value("springfield")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tokens = out.dkim_attributes().unwrap().tokens().to_vec();
    for t in &tokens {
        sandbox
            .add_record(
                domain,
                RecordInput::new(
                    &format!("{t}._domainkey"),
                    "CNAME",
                    &format!("{t}.dkim.amazonses.com"),
                ),
            )
            .unwrap();
    }
    sandbox
        .add_record(
            domain,
            RecordInput::new("_dmarc", "TXT", "v=DMARC1; p=none"),
        )
        .unwrap();
    (dir, sandbox)
}

fn refresh_args(sandbox: &SandboxHandle) -> Vec<String> {
    let mut args: Vec<String> = ["refresh", "--out", "live.json"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend(sandbox_flags(sandbox));
    args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
    args
}

#[tokio::test]
async fn refresh_writes_a_snapshot_that_matches_its_schema_and_holds_no_secret() {
    let (_dir, sandbox) = world().await;
    let closed = free_port();
    let cli = Cli::with_platform()
        .file("libraries/springfield.kdl", SES_LIBRARY)
        .file(
            "libraries/shelbyville.kdl",
            &smtp_library("shelbyville", closed, "MAILFORM_SMTP_PASSWORD_SHELBYVILLE"),
        )
        .file(
            "libraries/ogdenville.kdl",
            &smtp_library("ogdenville", closed, "MAILFORM_SMTP_PASSWORD_OGDENVILLE"),
        )
        .args(refresh_args(&sandbox))
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MAILFORM_SMTP_PASSWORD_SHELBYVILLE", CANARY);
    // The sandbox serves from its own thread, so blocking here is fine.
    let out = cli.run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains(CANARY));
    let text = cli.read("live.json");
    assert!(
        !text.contains(CANARY),
        "the password leaked into the snapshot"
    );
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_valid("live-snapshot.schema.json", &json);
    assert_eq!(json["version"], 1);

    let identity = &json["ses"]["identities"][0];
    assert_eq!(identity["name"], "springfield-library.example.org");
    assert_eq!(identity["verification_status"], "SUCCESS");
    assert_eq!(identity["tags"]["library"], "springfield");

    let library = |id: &str| {
        json["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("{id} in the snapshot"))
            .clone()
    };
    let springfield = library("springfield");
    let dkim: Vec<&str> = springfield["dns"]["dkim"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(dkim, ["dns::present"; 3]);
    let mail_from: Vec<&str> = springfield["dns"]["mail_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(mail_from, ["dns::missing"; 2]);
    assert_eq!(springfield["dns"]["dmarc"]["finding"], "valid");

    let shelbyville = library("shelbyville");
    assert_eq!(shelbyville["smtp_probe"]["verdict"], "fail");
    assert!(
        shelbyville["smtp_probe"]["codes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("smtp::connect::refused")),
        "{shelbyville}"
    );
    let ogdenville = library("ogdenville");
    assert!(ogdenville["smtp_probe"].is_null());
    assert_eq!(
        ogdenville["notes"][0],
        "SMTP probe skipped: the password variable MAILFORM_SMTP_PASSWORD_OGDENVILLE is not set"
    );

    // --target reads one library only.
    let mut args = refresh_args(&sandbox);
    args.extend(["--target".to_string(), "springfield".to_string()]);
    let again = Cli::reuse(&cli, args);
    let out = again.run();
    assert_eq!(out.code, 0, "{}", out.all());
    let json: Value = serde_json::from_str(&cli.read("live.json")).unwrap();
    assert_valid("live-snapshot.schema.json", &json);
    assert_eq!(json["targets"], serde_json::json!(["springfield"]));
    assert_eq!(json["libraries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn missing_credentials_are_one_clear_error() {
    let (_dir, sandbox) = world().await;
    let cli = Cli::with_platform().file("libraries/springfield.kdl", SES_LIBRARY);
    let empty = cli.path().join("no-such-aws-file");
    let out = Command::new(bin())
        .args(refresh_args(&sandbox))
        .current_dir(cli.path())
        .env("NO_COLOR", "1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ROLE_ARN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run mailform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed: no AWS credentials found"),
        "{stderr}"
    );
    assert!(
        stderr.lines().count() <= 8,
        "one error, not a stack:\n{stderr}"
    );
    assert!(!cli.path().join("live.json").exists());
}

#[tokio::test]
async fn an_aws_profile_no_file_defines_is_one_line_naming_it() {
    let (_dir, sandbox) = world().await;
    let cli = Cli::with_platform().file("libraries/springfield.kdl", SES_LIBRARY);
    let config = cli.path().join("aws-config");
    std::fs::write(&config, "[profile platform-apply]\nregion = us-east-1\n").unwrap();
    let run = |profile: &str| {
        Command::new(bin())
            .args(refresh_args(&sandbox))
            .current_dir(cli.path())
            .env("NO_COLOR", "1")
            .env("AWS_PROFILE", profile)
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", cli.path().join("none"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run mailform")
    };
    let out = run("platfrom-apply");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the AWS profile `platfrom-apply` (AWS_PROFILE) is defined neither in")
            && stderr.contains("aws configure --profile platfrom-apply"),
        "{stderr}"
    );
    assert!(stderr.lines().count() <= 6, "one error:\n{stderr}");
    // A profile the file defines passes the check (and then lacks credentials).
    let out = run("platform-apply");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("is defined neither"), "{stderr}");
}

/// A full refresh off a terminal at SES's documented rate (one request a second, enforced by
/// the sandbox and kept by mailform's own limiter) prints a progress line on stderr every
/// interval, its counts growing; its stdout is what a refresh without the lines prints.
/// (The interval is 30 s in production; the hidden flag makes it 1 s here.)
#[tokio::test(flavor = "multi_thread")]
async fn a_long_refresh_off_a_terminal_prints_progress_lines() {
    let sandbox = harness::start();
    let mut cli = Cli::with_platform();
    for i in 1..=6 {
        let domain = format!("lib-{i}.example.org");
        harness::ses(&sandbox)
            .create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .unwrap();
        cli = cli.file(
            &format!("libraries/lib-{i}.kdl"),
            &format!(
                "library \"lib-{i}\" {{\n    name \"Library {i}\"\n    it-contact \"it@{domain}\"\n\n    ses-domain {{\n        from \"noreply@{domain}\"\n    }}\n}}\n"
            ),
        );
    }
    let args = |more: &[&str]| -> Vec<String> {
        let mut args = vec!["refresh".to_string()];
        args.extend(sandbox_flags(&sandbox));
        args.extend(more.iter().map(|s| s.to_string()));
        args
    };
    let cli = cli
        .args(args(FAST))
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let fast = cli.run();
    assert_eq!(fast.code, 0, "{}", fast.all());
    assert!(
        !fast.stderr.contains("refresh:"),
        "a short read prints no progress line: {}",
        fast.stderr
    );

    sandbox.set_rate_limits(RateLimits::documented());
    let started = std::time::Instant::now();
    let slow = Cli::reuse(&cli, args(&["--test-only-progress-every", "1"])).run();
    let took = started.elapsed();
    assert_eq!(slow.code, 0, "{}", slow.all());
    assert!(
        sandbox.request_log().iter().all(|e| e.error.is_none()),
        "nothing throttled"
    );

    // GetAccount, ListEmailIdentities, ListConfigurationSets and six GetEmailIdentity: nine
    // SES calls a second apart, so eight seconds at least and a line each second.
    let lines: Vec<&str> = slow
        .stderr
        .lines()
        .filter(|l| l.starts_with("refresh: "))
        .collect();
    assert!(took.as_secs() >= 8, "{took:?}");
    assert!(lines.len() >= 6, "{}", slow.stderr);
    assert_eq!(
        slow.stderr.lines().count(),
        lines.len(),
        "only progress lines on stderr: {}",
        slow.stderr
    );
    let ses: Vec<u64> = lines.iter().map(|l| ses_calls(l)).collect();
    assert!(ses.is_sorted(), "{ses:?}");
    assert!(ses.first() < ses.last(), "{ses:?}");
    // The three list calls are expected from the start, the six deep reads once listed.
    assert!(lines[0].starts_with("refresh: SES 1/3 calls"), "{lines:#?}");
    assert!(lines.last().unwrap().contains("/9 calls"), "{lines:#?}");
    // While SES reads identities in depth, a caller waits for its turn.
    let reading = lines
        .iter()
        .find(|l| ses_calls(l) >= 4 && l.contains("(waiting"))
        .unwrap_or_else(|| panic!("a line during the deep reads: {lines:#?}"));
    crate::snap!(
        "refresh",
        "progress_line_off_a_terminal",
        filter_times(reading)
    );

    // The snapshot on stdout is the one a refresh without progress lines writes.
    let strip = |text: &str| {
        let mut json: Value = serde_json::from_str(text).unwrap();
        json["taken_at"] = Value::Null;
        json["refresh"]["full_read_at"] = Value::Null;
        json
    };
    assert_eq!(strip(&slow.stdout), strip(&fast.stdout));
}

/// The SES calls made, as a progress line counts them.
fn ses_calls(line: &str) -> u64 {
    line.strip_prefix("refresh: SES ")
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("an SES count in {line}"))
}

/// A progress line with its times and its counts of calls made masked.
fn filter_times(line: &str) -> String {
    let (counts, _elapsed) = line
        .rsplit_once("; ")
        .expect("a line ends in its elapsed time");
    let mut words: Vec<String> = Vec::new();
    let mut waiting = false;
    for word in counts.split(' ') {
        words.push(match word.split_once('/') {
            _ if waiting => "[T]".to_string(),
            Some((_, of)) => format!("[N]/{of}"),
            None => word.to_string(),
        });
        waiting = word == "(waiting";
    }
    format!("{}; [ELAPSED] elapsed", words.join(" "))
}
