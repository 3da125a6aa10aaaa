//! `mailform plan` through the binary: against the in-process sandbox (`--sandbox`) and from
//! a saved live snapshot (`--live FILE`), with every output format and exit code.

#[cfg(feature = "sandbox")]
use crate::support::cli::repo;
use crate::support::cli::{Cli, PLATFORM};

#[cfg(feature = "sandbox")]
fn with_examples() -> Cli {
    let mut cli = Cli::new();
    for entry in std::fs::read_dir(repo().join("libraries")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        cli = cli.file(
            &format!("libraries/{name}"),
            &std::fs::read_to_string(&path).unwrap(),
        );
    }
    cli
}

fn args(extra: &[&str]) -> Vec<String> {
    let mut a = vec!["plan", "--today", "2026-11-26"];
    a.extend_from_slice(extra);
    a.into_iter().map(String::from).collect()
}

#[cfg(feature = "sandbox")]
#[test]
fn the_examples_plan_against_the_sandbox_with_no_aws_account() {
    let cli = with_examples();
    let out = Cli::reuse(&cli, args(&["--sandbox", "--sandbox-dir", "sbx"])).run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.ends_with("Plan: 12 to create, 0 to change, 0 to replace, 0 to destroy. 6 libraries need attention, 2 failing.\n"),
        "{}",
        out.stdout
    );
    // A fresh sandbox serves no library's domain (`mailform-sandbox demo` makes the zones):
    // springfield-public's does not exist, so its identity waits instead of starting SES's
    // 72 hours for a domain that cannot verify (it also waits for the events set, below).
    assert!(
        out.stdout.contains(
            "✗ dns::no-such-domain  the sending domain springfield-library.example.org does not exist in DNS"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("+ ses-identity springfield-library.example.org  (blocked: "),
        "{}",
        out.stdout
    );
    // A fresh sandbox has none of the configuration sets: a library's own (the demo makes
    // shelbyville's) is known missing at plan time and its identity waits; the platform's
    // events set and its destination are made by the apply, before the identities naming it.
    assert!(
        out.stdout.contains(
            "ses::configuration-set-missing  the configuration set `library-notices` does not exist"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "# The platform's events (made before every library's changes)\n  + ses-configuration-set library-mail\n"
        ) && out.stdout.contains("  + ses-identity brockway-notices.example\n")
            && !out.stdout.contains("the configuration set `library-mail` does not exist"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("+ domain-registration ogdenville-library-mail.example")
    );
    assert!(
        out.stdout
            .contains("cost: $13.00 a year × 1 year (cap $15.00 a year)")
    );
    // The sandbox kept its state where it was told to.
    assert!(
        cli.path().join("sbx").is_dir(),
        "the sandbox state lives where it was told"
    );

    let detailed = Cli::reuse(
        &cli,
        args(&["--sandbox", "--sandbox-dir", "sbx", "--detailed-exitcode"]),
    )
    .run();
    assert_eq!(detailed.code, 2, "changes present");

    let saved = Cli::reuse(
        &cli,
        args(&[
            "--sandbox",
            "--sandbox-dir",
            "sbx",
            "--out",
            "plan.json",
            "--format",
            "json",
        ]),
    )
    .run();
    assert_eq!(saved.code, 0, "{}", saved.all());
    let plan: serde_json::Value = serde_json::from_str(&saved.stdout).unwrap();
    assert_eq!(plan["version"], 1);
    let file: serde_json::Value = serde_json::from_str(&cli.read("plan.json")).unwrap();
    assert_eq!(file["version"], 1);
    assert_eq!(file["plan"], plan);
    assert_eq!(
        file["files"].as_object().unwrap().len(),
        7,
        "{}",
        file["files"]
    );
    assert!(
        file["files"]["libraries/ogdenville.kdl"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
    assert!(file["facts"]["ses.account"].is_string());
    assert!(file["facts"]["registrar.availability/ogdenville-library-mail.example"].is_string());

    let only = Cli::reuse(
        &cli,
        args(&[
            "--sandbox",
            "--sandbox-dir",
            "sbx",
            "--target",
            "ogdenville",
        ]),
    )
    .run();
    assert_eq!(only.code, 0, "{}", only.all());
    assert!(
        only.stdout.contains("# ogdenville:") && !only.stdout.contains("# brockway:"),
        "{}",
        only.stdout
    );
}

const LIBRARY: &str = "library \"springfield\" {\n    name \"Springfield\"\n    it-contact \"it@springfield.example.org\"\n\n    ses-domain {\n        from \"noreply@springfield.example.org\"\n    }\n}\n";

fn snapshot(status: &str, verdict: &str) -> String {
    let checks: Vec<serde_json::Value> = ["tok1", "tok2", "tok3"]
        .iter()
        .map(|t| {
            serde_json::json!({
            "name": format!("{t}._domainkey.springfield.example.org"), "type": "CNAME",
            "expected": format!("{t}.dkim.amazonses.com"), "verdict": verdict, "detail": null })
        })
        .collect();
    serde_json::json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true, "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [{ "name": "springfield.example.org", "kind": "DOMAIN", "verification_status": status,
                   "verified_for_sending": status == "SUCCESS", "verification_error": null,
                   "dkim": { "signing_enabled": true, "status": status, "tokens": ["tok1", "tok2", "tok3"],
                     "signing_hosted_zone": "dkim.amazonses.com", "origin": "AWS_SES", "current_key_length": "RSA_2048_BIT",
                     "next_key_length": "RSA_2048_BIT", "last_key_generation": null },
                   "mail_from": null, "configuration_set": null,
                   "tags": { "managed-by": "mailform", "library": "springfield" } }],
                 "configuration_sets": [] },
        "registrar": { "domains": [], "operations": [], "availability": [], "prices": [] },
        "route53": { "hosted_zones": [] },
        "libraries": [{ "id": "springfield", "method": "ses-domain", "identity": "springfield.example.org",
            "dns": { "dkim": checks, "mail_from": [], "spf": { "finding": "absent", "detail": null },
                     "dmarc": { "finding": "absent", "detail": null }, "observations": [] },
            "smtp_probe": null, "notes": [] }]
    })
    .to_string()
}

fn platform_without_tags() -> String {
    PLATFORM.to_string()
}

#[test]
fn a_converged_library_plans_nothing_and_exits_0() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/springfield.kdl", LIBRARY)
        .file("live.json", &snapshot("SUCCESS", "dns::present"));
    let out = Cli::reuse(&cli, args(&["--live", "live.json", "--detailed-exitcode"])).run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.starts_with("No changes."), "{}", out.stdout);
}

#[test]
fn no_changes_but_a_verified_library_whose_records_vanished_exits_3() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/springfield.kdl", LIBRARY)
        .file("live.json", &snapshot("SUCCESS", "dns::missing"));
    let out = Cli::reuse(&cli, args(&["--live", "live.json", "--detailed-exitcode"])).run();
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(
        out.stdout
            .ends_with("1 library needs attention, 1 failing.\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn no_changes_but_a_library_waiting_exits_4() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/springfield.kdl", LIBRARY)
        .file("live.json", &snapshot("PENDING", "dns::missing"));
    let out = Cli::reuse(&cli, args(&["--live", "live.json", "--detailed-exitcode"])).run();
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.stdout.ends_with("1 library needs attention.\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("dns::missing"), "{}", out.stdout);
    let md = Cli::reuse(&cli, args(&["--live", "live.json", "--format", "markdown"])).run();
    assert!(
        md.stdout.starts_with("### mailform plan\n"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| `springfield` | ses-domain |"),
        "{}",
        md.stdout
    );
}

#[test]
fn bad_library_files_stop_the_plan_before_any_live_read() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file(
            "libraries/springfield.kdl",
            "library \"springfield\" {\n    nmae \"x\"\n}\n",
        );
    let out = Cli::reuse(&cli, args(&["--live", "missing.json"])).run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("config::unknown-node"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_live_snapshot_of_another_version_is_refused_clearly() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/springfield.kdl", LIBRARY)
        .file(
            "live.json",
            &snapshot("SUCCESS", "dns::present").replacen("\"version\":1", "\"version\":9", 1),
        );
    let out = Cli::reuse(&cli, args(&["--live", "live.json"])).run();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("version 9"), "{}", out.stderr);
}

/// End to end with a real SMTP server: the plan probes a method-2 library's account (Exim on
/// 127.0.0.1, its certificate from a test CA that normal runs rightly do not trust) and
/// reports the named TLS failure as something the library must fix.
#[cfg(feature = "sandbox")]
#[test]
fn a_method2_plan_probes_the_real_server_and_names_the_failure() {
    use crate::support::exim::{Exim, EximSpec};
    let exim = Exim::start(&EximSpec::default());
    let library = format!(
        "library \"capital\" {{\n    name \"Capital\"\n    it-contact \"it@capital.example.org\"\n\n    smtp-account {{\n        host \"127.0.0.1\"\n        port {}\n        security \"starttls\"\n        username \"testuser\"\n        password env=\"MAILFORM_SMTP_PASSWORD_CAPITAL\"\n        from \"noreply@example-library.org\"\n    }}\n}}\n",
        exim.starttls_port
    );
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/capital.kdl", &library)
        .env(
            "MAILFORM_SMTP_PASSWORD_CAPITAL",
            crate::support::cli::CANARY,
        );
    let out = Cli::reuse(
        &cli,
        args(&["--sandbox", "--sandbox-dir", "sbx", "--detailed-exitcode"]),
    )
    .run();
    assert_eq!(
        out.code,
        3,
        "no changes, but the library must act:\n{}",
        out.all()
    );
    assert!(
        // The test CA is a private authority: its leaf comes alone and does not say where its
        // issuer is, as a public authority's leaf would (a missing intermediate).
        out.stdout.contains("smtp::tls::unknown_issuer"),
        "{}",
        out.stdout
    );
    assert!(
        !out.all().contains(crate::support::cli::CANARY),
        "the password leaked:\n{}",
        out.all()
    );
}

#[test]
fn a_missing_or_broken_baseline_is_one_clear_error_before_any_live_read() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", &platform_without_tags())
        .file("libraries/springfield.kdl", LIBRARY)
        .file("broken.json", "{\"version\": 1}")
        // Nothing listens here: a live read would fail with another message.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let missing = Cli::reuse(&cli, args(&["--baseline", "missing.json"])).run();
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(
        missing
            .stderr
            .contains("cannot read the live snapshot missing.json"),
        "{}",
        missing.stderr
    );
    let broken = Cli::reuse(&cli, args(&["--baseline", "broken.json"])).run();
    assert_eq!(broken.code, 1, "{}", broken.all());
    assert!(
        broken
            .stderr
            .contains("broken.json is not a live snapshot: missing field `taken_at`"),
        "{}",
        broken.stderr
    );
}

/// A library file that cannot be read stops the plan before any live state is read: a plan
/// from an incomplete tree would propose deleting the unread library's resources.
#[test]
fn a_library_file_that_cannot_be_read_stops_the_plan_before_any_live_read() {
    let cli = Cli::new()
        .file("libraries/_platform.kdl", PLATFORM)
        .file("libraries/springfield.kdl/keep", "");
    // The live snapshot does not exist: reaching it would be a different failure.
    let out = Cli::reuse(&cli, args(&["--live", "no-such-live.json"])).run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "", "a plan was printed");
    assert!(
        out.stderr
            .contains("cannot read libraries/springfield.kdl: it is a directory"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("fix the library files first"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("no-such-live.json"), "{}", out.stderr);
}

/// `mailform show PLANFILE` renders a saved plan (a workflow's artifact) in each format as
/// `plan` would have printed it, with `--changed` putting a pull request's libraries first;
/// a file that is not a plan is one clear error.
#[test]
fn show_renders_a_saved_plan_in_every_format() {
    use mailform::plan::saved::{PLAN_FILE_VERSION, PlanFile};
    let plan = super::sample();
    let file = PlanFile {
        version: PLAN_FILE_VERSION,
        live_taken_at: "2026-11-26T04:17:00Z".into(),
        targets: None,
        files: Default::default(),
        facts: Default::default(),
        depends: Default::default(),
        plan: plan.clone(),
    };
    let cli = Cli::new().file(
        "mailform-plan.json",
        &serde_json::to_string_pretty(&file).unwrap(),
    );
    let show = |extra: &[&str]| {
        let mut a = vec!["show", "mailform-plan.json"];
        a.extend_from_slice(extra);
        let out = Cli::reuse(&cli, a.into_iter().map(String::from).collect()).run();
        assert_eq!(out.code, 0, "{}", out.all());
        out.stdout
    };

    let text = show(&[]);
    assert_eq!(
        text,
        mailform::render::plan::to_text(&plan, mailform::render::plan::Style { color: false })
    );
    crate::snap!("plan", "show_text", text);

    let md = show(&[
        "--format",
        "markdown",
        "--changed",
        "libraries/ogdenville.kdl",
        "README.md",
    ]);
    let first = md
        .find("#### Libraries this pull request changes (1)")
        .unwrap();
    assert!(
        first
            < md.find("<details open><summary><code>ogdenville</code>")
                .unwrap()
    );
    crate::snap!("plan", "show_markdown_changed", md);

    let json: serde_json::Value = serde_json::from_str(&show(&["--format", "json"])).unwrap();
    assert_eq!(json, serde_json::to_value(&plan).unwrap());

    let cli = Cli::new().file("not-a-plan.json", "{}");
    let out = Cli::reuse(&cli, vec!["show".into(), "not-a-plan.json".into()]).run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr
            .contains("not-a-plan.json is not a plan saved by `mailform plan --out`"),
        "{}",
        out.stderr
    );
}
