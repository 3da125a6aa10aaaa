//! Providers' AUTH refusals, sent over the wire by a scripted server, are
//! translated into their own diagnoses.

use mailform::probe::{Security, probe, render_human};

use super::{failures, opts_trusting, outcome, target};
use crate::assert_probe_snapshot;
use crate::support::certs::TestPki;
use crate::support::fake::{AuthServer, Refusal};

#[tokio::test]
async fn provider_refusals_are_translated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::create(dir.path());
    for (mechanism, reply, code, hint) in [
        (
            "PLAIN",
            "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
            "smtp::auth::google_app_password_required",
            "2-Step Verification",
        ),
        (
            "LOGIN",
            "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in\r\n534 5.7.14 via your web browser and then try again.",
            "smtp::auth::google_web_login_required",
            "sign in",
        ),
        (
            "LOGIN",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "smtp::auth::microsoft_basic_auth_disabled",
            "Authenticated SMTP",
        ),
        (
            "LOGIN",
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            "smtp::auth::microsoft_basic_auth_disabled",
            "Authenticated SMTP",
        ),
        (
            "PLAIN",
            "454 4.7.0 Temporary authentication failure",
            "smtp::auth::temporary_failure",
            "try again later",
        ),
    ] {
        let server = AuthServer::start(mechanism, Refusal::Fixed(reply), &pki).await;
        let r = probe(
            &target(server.port, Security::Tls, "testpass"),
            &opts_trusting(&pki.ca),
        )
        .await;
        assert_eq!(failures(&r), [code], "{}", render_human(&r));
        let o = outcome(&r, code);
        assert!(
            o.action.as_deref().is_some_and(|a| a.contains(hint)),
            "{o:?}"
        );
    }
}

#[tokio::test]
async fn a_multi_line_refusal_reads_as_one_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::create(dir.path());
    let reply = "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor";
    let server = AuthServer::start("PLAIN", Refusal::Fixed(reply), &pki).await;
    let r = probe(
        &target(server.port, Security::Tls, "testpass"),
        &opts_trusting(&pki.ca),
    )
    .await;
    let d = &outcome(&r, "smtp::auth::google_app_password_required").diagnosis;
    assert_eq!(d.matches("5.7.9").count(), 1, "{d}");
    assert_eq!(d.matches("534").count(), 1, "{d}");
    assert_probe_snapshot!("multi_line_refusal", render_human(&r));
}
