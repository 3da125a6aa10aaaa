//! The probe against real Exim servers: the good server with each mechanism
//! on both ports, and one server per failure.

use mailform::probe::{Security, Status, Verdict, probe, render_human};

use super::{failures, opts_trusting, outcome, target};
use crate::assert_probe_snapshot;
use crate::support::certs::Leaf;
use crate::support::exim::{AuthWhen, Exim, EximSpec, TlsVersions};

fn only(mechanism: &'static str) -> EximSpec {
    EximSpec {
        mechanisms: vec![mechanism],
        ..EximSpec::default()
    }
}

async fn good(security: Security, mechanism: &'static str) -> mailform::probe::ProbeReport {
    let exim = Exim::start(&only(mechanism));
    let port = match security {
        Security::Starttls => exim.starttls_port,
        Security::Tls => exim.smtps_port,
    };
    let report = probe(
        &target(port, security, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Pass, "{}", render_human(&report));
    assert_eq!(
        report.codes(),
        match security {
            Security::Starttls => vec![
                "smtp::connect::ok",
                "smtp::greeting::ok",
                "smtp::ehlo::ok",
                "smtp::tls::ok",
                "smtp::relay::closed",
                "smtp::auth::ok",
                "smtp::sender::accepted",
            ],
            Security::Tls => vec![
                "smtp::connect::ok",
                "smtp::tls::ok",
                "smtp::greeting::ok",
                "smtp::ehlo::ok",
                "smtp::relay::closed",
                "smtp::auth::ok",
                "smtp::sender::accepted",
            ],
        }
    );
    assert!(
        outcome(&report, "smtp::auth::ok")
            .diagnosis
            .contains(&format!("with {mechanism}"))
    );
    let tls = report.tls.as_ref().expect("tls details");
    assert!(matches!(
        tls.version.as_deref(),
        Some("TLS 1.3" | "TLS 1.2")
    ));
    let cert = tls.certificate.as_ref().expect("certificate");
    assert_eq!(cert.issuer, "CN=mailform test CA");
    assert_eq!(cert.names, ["localhost", "127.0.0.1"]);
    let transcript = report.transcript.as_ref().expect("transcript");
    assert!(
        !transcript.iter().any(|l| l.text.starts_with("DATA")),
        "never DATA"
    );
    report
}

#[tokio::test]
async fn good_starttls_plain() {
    let report = good(Security::Starttls, "PLAIN").await;
    assert_probe_snapshot!("good_starttls_plain", render_human(&report));
}

#[tokio::test]
async fn good_starttls_login() {
    good(Security::Starttls, "LOGIN").await;
}

#[tokio::test]
async fn good_starttls_cram_md5() {
    let report = good(Security::Starttls, "CRAM-MD5").await;
    assert_probe_snapshot!("good_starttls_cram_md5", render_human(&report));
}

#[tokio::test]
async fn good_tls_plain() {
    good(Security::Tls, "PLAIN").await;
}

#[tokio::test]
async fn good_tls_login() {
    let report = good(Security::Tls, "LOGIN").await;
    assert_probe_snapshot!("good_tls_login", render_human(&report));
}

#[tokio::test]
async fn good_tls_cram_md5() {
    good(Security::Tls, "CRAM-MD5").await;
}

/// Runs the probe on STARTTLS against a server built from `spec`.
async fn failing(spec: EximSpec, password: &str) -> mailform::probe::ProbeReport {
    let exim = Exim::start(&spec);
    let report = probe(
        &target(exim.starttls_port, Security::Starttls, password),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(report.verdict, Verdict::Fail, "{}", render_human(&report));
    report
}

#[tokio::test]
async fn tls_below_1_2_is_named() {
    let r = failing(
        EximSpec {
            tls: TlsVersions::Legacy,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(
        failures(&r),
        ["smtp::tls::version_too_old"],
        "{}",
        render_human(&r)
    );
    assert!(
        outcome(&r, "smtp::tls::version_too_old")
            .diagnosis
            .contains("at best TLS 1.1")
    );
    assert_probe_snapshot!("tls_legacy_only", render_human(&r));
}

#[tokio::test]
async fn self_signed_certificate_is_named() {
    let r = failing(
        EximSpec {
            leaf: Leaf::SelfSigned,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::self_signed"]);
    assert!(
        r.tls
            .as_ref()
            .unwrap()
            .certificate
            .as_ref()
            .unwrap()
            .self_signed
    );
    assert_probe_snapshot!("self_signed", render_human(&r));
}

/// The certificate a server gets when nobody installed one (`openssl req -x509`'s default,
/// a self-signed authority): named self-signed in plain words, never webpki's
/// `CaUsedAsEndEntity`.
#[tokio::test]
async fn a_self_signed_authority_as_the_server_certificate_is_named_self_signed() {
    let r = failing(
        EximSpec {
            leaf: Leaf::SelfSignedCa,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::self_signed"]);
    let text = render_human(&r);
    assert!(
        !text.contains("CaUsedAsEndEntity") && text.contains("self-signed"),
        "{text}"
    );
}

/// A certificate from an organisation's own authority, sent alone: named a private
/// authority, not a public one's missing intermediate.
#[tokio::test]
async fn a_private_authority_is_not_called_a_missing_intermediate() {
    let r = failing(
        EximSpec {
            leaf: Leaf::PrivateCa,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::unknown_issuer"]);
    let text = render_human(&r);
    assert!(
        text.contains("private") && text.contains("Ogdenville Library internal CA"),
        "{text}"
    );
}

#[tokio::test]
async fn expired_certificate_is_named_with_its_date() {
    let r = failing(
        EximSpec {
            leaf: Leaf::Expired,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::expired"]);
    assert!(
        outcome(&r, "smtp::tls::expired")
            .diagnosis
            .contains("expired on 2021-01-01")
    );
}

#[tokio::test]
async fn wrong_host_lists_the_certificates_names() {
    let r = failing(
        EximSpec {
            leaf: Leaf::WrongHost,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::wrong_host"]);
    let d = &outcome(&r, "smtp::tls::wrong_host").diagnosis;
    assert!(
        d.contains("not valid for localhost; it names wrong.example.net"),
        "{d}"
    );
    // Plain names, never Rust's debug form.
    assert!(!d.contains("DnsName"), "{d}");
    assert_probe_snapshot!("wrong_host", render_human(&r));
}

#[tokio::test]
async fn a_missing_intermediate_certificate_is_named_with_its_issuer() {
    let r = failing(
        EximSpec {
            leaf: Leaf::WithoutIntermediate,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::missing_intermediate"]);
    let d = &outcome(&r, "smtp::tls::missing_intermediate").diagnosis;
    assert!(
        d.contains(
            "without the intermediate certificate of its issuer (CN=mailform test intermediate CA)"
        ),
        "{d}"
    );
    assert_probe_snapshot!("missing_intermediate", render_human(&r));
}

#[tokio::test]
async fn the_same_leaf_with_its_intermediate_passes() {
    let exim = Exim::start(&EximSpec {
        leaf: Leaf::FullChain,
        ..EximSpec::default()
    });
    let r = probe(
        &target(exim.starttls_port, Security::Starttls, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{}", render_human(&r));
}

#[tokio::test]
async fn not_yet_valid_certificate_is_named_with_its_date() {
    let r = failing(
        EximSpec {
            leaf: Leaf::NotYetValid,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::not_yet_valid"]);
    let d = &outcome(&r, "smtp::tls::not_yet_valid").diagnosis;
    assert!(d.contains("until 2040-01-01"), "{d}");
}

#[tokio::test]
async fn certificate_expiring_soon_is_a_warning() {
    let exim = Exim::start(&EximSpec {
        leaf: Leaf::ExpiresSoon,
        ..EximSpec::default()
    });
    let r = probe(
        &target(exim.starttls_port, Security::Starttls, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(r.verdict, Verdict::Warn, "{}", render_human(&r));
    assert_eq!(outcome(&r, "smtp::tls::expires_soon").status, Status::Warn);
    assert!(matches!(r.tls.as_ref().unwrap().days_left, Some(9 | 10)));
}

#[tokio::test]
async fn implicit_tls_on_a_starttls_port_is_named() {
    let exim = Exim::start(&EximSpec::default());
    let r = probe(
        &target(exim.starttls_port, Security::Tls, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::not_tls"], "{}", render_human(&r));
}

#[tokio::test]
async fn starttls_on_an_implicit_tls_port_times_out_with_a_hint() {
    let exim = Exim::start(&EximSpec::default());
    let opts = mailform::probe::ProbeOptions {
        stage_timeout: std::time::Duration::from_millis(700),
        ..opts_trusting(&exim.ca)
    };
    let r = probe(
        &target(exim.smtps_port, Security::Starttls, "testpass"),
        &opts,
    )
    .await;
    assert_eq!(failures(&r), ["smtp::greeting::timeout"]);
    let action = outcome(&r, "smtp::greeting::timeout")
        .action
        .clone()
        .unwrap();
    assert!(
        action.contains("STARTTLS set for an implicit-TLS port"),
        "{action}"
    );
}

#[tokio::test]
async fn test_ca_is_not_trusted_by_default() {
    // The whole chain is sent, so nothing is missing: only the root is not trusted.
    let exim = Exim::start(&EximSpec {
        leaf: Leaf::FullChain,
        ..EximSpec::default()
    });
    let opts = mailform::probe::ProbeOptions {
        extra_roots: Vec::new(),
        ..opts_trusting(&exim.ca)
    };
    let r = probe(
        &target(exim.starttls_port, Security::Starttls, "testpass"),
        &opts,
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::unknown_issuer"]);
    let d = &outcome(&r, "smtp::tls::unknown_issuer").diagnosis;
    assert!(d.contains("CN=mailform test CA"), "{d}");
    assert_probe_snapshot!("unknown_issuer", render_human(&r));
}

#[tokio::test]
async fn no_auth_offered() {
    let r = failing(
        EximSpec {
            mechanisms: vec![],
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::auth::not_offered"]);
}

#[tokio::test]
async fn oauth_only_is_unsupported() {
    let spec = EximSpec {
        mechanisms: vec!["XOAUTH2", "OAUTHBEARER"],
        ..EximSpec::default()
    };
    let r = failing(spec, "testpass").await;
    assert_eq!(failures(&r), ["smtp::auth::oauth_only"]);
    assert!(
        outcome(&r, "smtp::auth::oauth_only")
            .diagnosis
            .contains("OAuth is not supported by the platform")
    );
    assert_probe_snapshot!("oauth_only", render_human(&r));
}

#[tokio::test]
async fn auth_only_in_clear_text_sends_no_credentials() {
    let spec = EximSpec {
        auth_when: AuthWhen::BeforeTlsOnly,
        ..EximSpec::default()
    };
    let r = failing(spec, "testpass").await;
    assert_eq!(failures(&r), ["smtp::auth::only_before_tls"]);
    assert_eq!(
        outcome(&r, "smtp::tls::auth_before_tls").status,
        Status::Warn
    );
    let transcript = r.transcript.as_ref().unwrap();
    assert!(
        !transcript.iter().any(|l| l.text.starts_with("AUTH")),
        "no AUTH sent"
    );
}

#[tokio::test]
async fn auth_also_in_clear_text_is_a_security_warning() {
    let exim = Exim::start(&EximSpec {
        auth_when: AuthWhen::Always,
        ..EximSpec::default()
    });
    let r = probe(
        &target(exim.starttls_port, Security::Starttls, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    assert_eq!(r.verdict, Verdict::Warn, "{}", render_human(&r));
    assert!(r.passed());
    assert_eq!(
        outcome(&r, "smtp::tls::auth_before_tls").status,
        Status::Warn
    );
    // The credentials went only after STARTTLS.
    let t = r.transcript.as_ref().unwrap();
    let starttls = t.iter().position(|l| l.text == "STARTTLS").unwrap();
    let auth = t.iter().position(|l| l.text.starts_with("AUTH")).unwrap();
    assert!(starttls < auth);
}

#[tokio::test]
async fn no_starttls() {
    let r = failing(
        EximSpec {
            tls: TlsVersions::None,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::tls::starttls_not_offered"]);
}

#[tokio::test]
async fn open_relay_fails() {
    let r = failing(
        EximSpec {
            open_relay: true,
            ..EximSpec::default()
        },
        "testpass",
    )
    .await;
    assert_eq!(failures(&r), ["smtp::relay::open"]);
    let t = r.transcript.as_ref().unwrap();
    assert!(t.iter().any(|l| l.text == "RSET"));
    assert!(!t.iter().any(|l| l.text.starts_with("DATA")));
    assert_probe_snapshot!("open_relay", render_human(&r));
}

#[tokio::test]
async fn wrong_password_is_bad_credentials() {
    let r = failing(EximSpec::default(), "not-the-password").await;
    assert_eq!(failures(&r), ["smtp::auth::bad_credentials"]);
    assert_probe_snapshot!("wrong_password", render_human(&r));
}

#[tokio::test]
async fn refused_sender_address() {
    let spec = EximSpec {
        only_sender: Some("someone-else@example-library.org".into()),
        ..EximSpec::default()
    };
    let r = failing(spec, "testpass").await;
    assert_eq!(failures(&r), ["smtp::sender::refused"]);
    assert!(
        outcome(&r, "smtp::sender::refused")
            .diagnosis
            .contains("Sender address rejected")
    );
}
