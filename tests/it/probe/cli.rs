//! `mailform probe` end to end: the binary reads a library file (or ad-hoc flags), takes the
//! password from the environment and probes a real Exim on 127.0.0.1.

use crate::support::cli::{CANARY, Cli, PLATFORM};
use crate::support::exim::{Exim, EximSpec};

fn library(port: u16) -> String {
    format!(
        r#"library "springfield" {{
    name "Springfield Public Library"
    it-contact "it@springfield.example.org"

    smtp-account {{
        host "127.0.0.1"
        port {port}
        security "starttls"
        username "testuser"
        password env="SPRINGFIELD_SMTP_PASSWORD"
        from "noreply@example-library.org"
    }}
}}
"#
    )
}

fn setup(exim: &Exim) -> Cli {
    Cli::new()
        .file("libraries/_platform.kdl", PLATFORM)
        .file("libraries/springfield.kdl", &library(exim.starttls_port))
        .bytes("ca.der", exim.ca.as_ref())
}

#[test]
fn probes_a_library_account_and_passes() {
    let exim = Exim::start(&EximSpec::default());
    let out = setup(&exim)
        .env("SPRINGFIELD_SMTP_PASSWORD", "testpass")
        .args(["probe", "springfield", "--test-only-trust-ca", "ca.der"])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("smtp::auth::ok"), "{}", out.stdout);
    assert!(
        out.stdout.contains("smtp::sender::accepted"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("test only"), "{}", out.stderr);
}

#[test]
fn without_the_test_ca_the_chain_is_refused() {
    let exim = Exim::start(&EximSpec::default());
    let out = setup(&exim)
        .env("SPRINGFIELD_SMTP_PASSWORD", "testpass")
        .args(["probe", "springfield"])
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("smtp::tls::unknown_issuer"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_refused_canary_password_never_shows_in_any_format() {
    let exim = Exim::start(&EximSpec::default());
    let cli = setup(&exim).env("SPRINGFIELD_SMTP_PASSWORD", CANARY);
    for format in ["human", "json"] {
        let out = Cli::reuse(
            &cli,
            [
                "probe",
                "springfield",
                "--transcript",
                "--format",
                format,
                "--test-only-trust-ca",
                "ca.der",
            ]
            .map(String::from)
            .to_vec(),
        )
        .run();
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stdout.contains("bad_credentials"), "{}", out.stdout);
        assert!(
            !out.all().contains(CANARY),
            "canary leaked in {format}:\n{}",
            out.all()
        );
    }
}

#[test]
fn the_ad_hoc_form_reports_json() {
    let exim = Exim::start(&EximSpec::default());
    let out = Cli::new()
        .bytes("ca.der", exim.ca.as_ref())
        .env("SUPPORT_SMTP_PASSWORD", "testpass")
        .args(["probe", "--host", "localhost", "--port"])
        .args([exim.smtps_port.to_string()])
        .args([
            "--security",
            "tls",
            "--user",
            "testuser",
            "--password-env",
            "SUPPORT_SMTP_PASSWORD",
            "--from",
            "noreply@example-library.org",
            "--format",
            "json",
            "--test-only-trust-ca",
            "ca.der",
        ])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["version"], 1);
    assert!(out.stdout.contains("smtp::auth::ok"), "{}", out.stdout);
}

#[test]
fn a_missing_password_variable_is_named_and_nothing_is_sent() {
    let exim = Exim::start(&EximSpec::default());
    let out = setup(&exim).args(["probe", "springfield"]).run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("SPRINGFIELD_SMTP_PASSWORD"),
        "{}",
        out.stderr
    );
}

#[test]
fn only_smtp_accounts_can_be_probed() {
    let out = Cli::with_platform()
        .file(
            "libraries/springfield.kdl",
            "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n\n    ses-domain {\n        from \"noreply@x.example.org\"\n    }\n}\n",
        )
        .args(["probe", "springfield"])
        .run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("only an `smtp-account`"),
        "{}",
        out.stderr
    );
}
