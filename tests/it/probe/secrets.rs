//! The canary password must never appear in any output: human report, JSON,
//! transcript, or the Debug form of any type. Runs every mechanism, and a
//! refused login, with a distinctive password.

use base64::Engine as _;
use mailform::probe::{ProbeOptions, Security, probe, render_human, to_json};

use super::{opts_trusting, target};
use crate::support::certs::TestPki;
use crate::support::exim::{Exim, EximSpec};
use crate::support::fake::{AuthServer, Refusal};

const CANARY: &str = "Canary7f3eXq9PW";

fn forms() -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        CANARY.to_string(),
        b64.encode(CANARY),
        b64.encode(format!("\0testuser\0{CANARY}")),
        "7f3eXq9".to_string(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for f in forms() {
        assert!(
            !text.contains(&f),
            "{what} leaks the password ({f}):\n{text}"
        );
    }
}

#[tokio::test]
async fn canary_password_never_leaks() {
    for (mechanism, server_password) in [
        ("PLAIN", CANARY),
        ("LOGIN", CANARY),
        ("CRAM-MD5", CANARY),
        ("PLAIN", "other-password"),
        ("LOGIN", "other-password"),
    ] {
        let exim = Exim::start(&EximSpec {
            mechanisms: vec![mechanism],
            password: server_password.into(),
            ..EximSpec::default()
        });
        let t = target(exim.starttls_port, Security::Starttls, CANARY);
        let opts: ProbeOptions = opts_trusting(&exim.ca);
        let report = probe(&t, &opts).await;
        assert_eq!(
            report.passed(),
            server_password == CANARY,
            "{}",
            render_human(&report)
        );
        assert!(report.transcript.as_ref().is_some_and(|l| !l.is_empty()));
        assert_clean("human report", &render_human(&report));
        assert_clean("json", &to_json(&report).to_string());
        assert_clean("report debug", &format!("{report:?}"));
        assert_clean("transcript debug", &format!("{:?}", report.transcript));
        assert_clean("target debug", &format!("{t:?}"));
        assert_clean(
            "password debug",
            &format!("{:?} {}", t.password, t.password),
        );
        assert_clean("options debug", &format!("{opts:?}"));
        for s in &report.stages {
            assert_clean("stage debug", &format!("{s:?}"));
        }
    }
}

/// A hostile server that echoes the AUTH exchange back in its refusal: the
/// report must show `<redacted>` where the encoded password was.
#[tokio::test]
async fn echoed_credentials_are_scrubbed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::create(dir.path());
    for mechanism in ["PLAIN", "LOGIN"] {
        let server = AuthServer::start(mechanism, Refusal::Echo, &pki).await;
        let t = target(server.port, Security::Tls, CANARY);
        let report = probe(&t, &opts_trusting(&pki.ca)).await;
        let refusal = report
            .stages
            .iter()
            .find(|s| s.code == "smtp::auth::bad_credentials")
            .unwrap_or_else(|| panic!("{}", render_human(&report)));
        assert!(
            refusal.diagnosis.contains("you sent:"),
            "{}",
            refusal.diagnosis
        );
        assert!(
            refusal.diagnosis.contains("<redacted>"),
            "{}",
            refusal.diagnosis
        );
        assert_clean("human report", &render_human(&report));
        assert_clean("json", &to_json(&report).to_string());
        assert_clean("report debug", &format!("{report:?}"));
    }
}
