//! Integration tests of the SMTP probe against real Exim servers and fake
//! misbehaving ones, plus the canary-password leak test.

mod cli;
mod exim;
mod fakes;
mod json;
mod refusals;
mod secrets;

use std::time::Duration;

use mailform::probe::{ProbeOptions, ProbeReport, ProbeTarget, Security, Status};
use mailform::secret::Secret;

pub fn target(port: u16, security: Security, password: &str) -> ProbeTarget {
    ProbeTarget {
        host: "localhost".into(),
        port,
        security,
        username: crate::support::exim::USER.into(),
        password: Secret::new(password),
        from: "noreply@example-library.org".into(),
        google: None,
    }
}

/// Options for real servers: the test CA trusted, generous timeouts.
pub fn opts_trusting(ca: &rustls::pki_types::CertificateDer<'static>) -> ProbeOptions {
    ProbeOptions {
        connect_timeout: Duration::from_secs(5),
        stage_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
        transcript: true,
        extra_roots: vec![ca.clone()],
        ..ProbeOptions::default()
    }
}

/// The codes of the failing outcomes.
pub fn failures(report: &ProbeReport) -> Vec<&str> {
    report
        .stages
        .iter()
        .filter(|s| s.status == Status::Fail)
        .map(|s| s.code.as_str())
        .collect()
}

/// The outcome with this code; panics with the human report if none.
pub fn outcome<'a>(report: &'a ProbeReport, code: &str) -> &'a mailform::probe::StageOutcome {
    report
        .stages
        .iter()
        .find(|s| s.code == code)
        .unwrap_or_else(|| {
            panic!(
                "no outcome {code} in:\n{}",
                mailform::probe::render_human(report)
            )
        })
}
