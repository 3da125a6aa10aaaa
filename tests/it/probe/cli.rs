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
        password env="MAILFORM_SMTP_PASSWORD_SPRINGFIELD"
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
        .env("MAILFORM_SMTP_PASSWORD_SPRINGFIELD", "testpass")
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
        .env("MAILFORM_SMTP_PASSWORD_SPRINGFIELD", "testpass")
        .args(["probe", "springfield"])
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        // The test CA is a private authority: its leaf comes alone and does not say where its
        // issuer is, as a public authority's leaf would (a missing intermediate).
        out.stdout.contains("smtp::tls::unknown_issuer"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_refused_canary_password_never_shows_in_any_format() {
    let exim = Exim::start(&EximSpec::default());
    let cli = setup(&exim).env("MAILFORM_SMTP_PASSWORD_SPRINGFIELD", CANARY);
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
        .env("MAILFORM_SMTP_PASSWORD_SUPPORT", "testpass")
        .args(["probe", "--host", "localhost", "--port"])
        .args([exim.smtps_port.to_string()])
        .args([
            "--security",
            "tls",
            "--user",
            "testuser",
            "--password-env",
            "MAILFORM_SMTP_PASSWORD_SUPPORT",
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
        out.stderr.contains("MAILFORM_SMTP_PASSWORD_SPRINGFIELD"),
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

/// A password variable that holds another system's credentials is refused before anything is
/// read or sent: the probe would hand its value to the server named on the command line or in
/// the file.
#[test]
fn credentials_of_other_systems_are_never_sent_as_a_password() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().unwrap().port();
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "HOME",
    ] {
        let out = Cli::new()
            .env(var, CANARY)
            .args(["probe", "--host", "127.0.0.1", "--port"])
            .args([port.to_string()])
            .args(["--security", "tls", "--user", "u", "--password-env", var])
            .args(["--from", "noreply@example-library.org"])
            .run();
        assert_eq!(out.code, 1, "{var}: {}", out.all());
        assert!(
            out.stderr.contains("may not hold an SMTP password"),
            "{var}: {}",
            out.stderr
        );
        assert!(!out.all().contains(CANARY), "{}", out.all());

        let file = library(port).replace("MAILFORM_SMTP_PASSWORD_SPRINGFIELD", var);
        let out = Cli::new()
            .file("libraries/_platform.kdl", PLATFORM)
            .file("libraries/springfield.kdl", &file)
            .env(var, CANARY)
            .args(["probe", "springfield"])
            .run();
        assert_eq!(out.code, 1, "{var}: {}", out.all());
        assert!(
            out.stderr.contains("config::password-env-not-allowed"),
            "{var}: {}",
            out.stderr
        );
        assert!(!out.all().contains(CANARY), "{}", out.all());
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the probe connected"
    );
}
