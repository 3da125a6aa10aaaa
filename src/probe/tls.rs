//! TLS: the client configuration (Mozilla's roots, TLS 1.2 and 1.3 only), a
//! verifier that keeps the server's certificate so failures can name what is
//! wrong with it, and the translation of handshake errors into diagnoses.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, InvalidMessage,
    PeerIncompatible, RootCertStore, SignatureScheme,
};
use time::OffsetDateTime;

use super::outcome::{CertificateInfo, Stage, StageOutcome};

/// Keeps the chain the server presented, whatever the verdict.
pub type SeenChain = Arc<Mutex<Option<Vec<CertificateDer<'static>>>>>;

/// Wraps webpki's verifier and records the presented certificates.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: SeenChain,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            let mut chain = vec![end_entity.clone().into_owned()];
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
            *seen = Some(chain);
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A client configuration that trusts Mozilla's roots (webpki-roots) plus
/// `extra_roots`, which only tests set. Returns where the verifier will put
/// the server's chain.
pub fn client_config(
    extra_roots: &[CertificateDer<'static>],
) -> Result<(Arc<ClientConfig>, SeenChain), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots {
        roots.add(cert.clone())?;
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;
    let seen: SeenChain = Arc::default();
    let verifier = Arc::new(RecordingVerifier {
        inner,
        seen: seen.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok((Arc::new(config), seen))
}

/// Reads what a person needs from a DER certificate.
pub fn certificate_info(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => names.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                    4 => {
                        names.push(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string())
                    }
                    16 => {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(ip);
                        names.push(std::net::Ipv6Addr::from(b).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    // id-pe-authorityInfoAccess (RFC 5280, 4.2.2.1).
    let points_to_issuer = cert
        .extensions()
        .iter()
        .any(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.1");
    Some(CertificateInfo {
        self_signed: subject == issuer,
        points_to_issuer,
        subject,
        issuer,
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        names,
    })
}

/// A date as `2021-01-01`.
pub fn day(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The version as people write it.
pub fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".into(),
        rustls::ProtocolVersion::TLSv1_1 => "TLS 1.1".into(),
        rustls::ProtocolVersion::TLSv1_0 => "TLS 1.0".into(),
        rustls::ProtocolVersion::SSLv3 => "SSL 3.0".into(),
        other => format!("an unknown version (0x{:04x})", u16::from(other)),
    }
}

/// Warn this many days or fewer before the certificate expires.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// A warning when a valid certificate expires within [`EXPIRY_WARNING_DAYS`].
pub fn expiry_warning(cert: &CertificateInfo, days_left: i64) -> Option<StageOutcome> {
    (days_left < EXPIRY_WARNING_DAYS).then(|| {
        StageOutcome::warn(
            Stage::Tls,
            "expires_soon",
            format!(
                "the certificate expires on {} ({days_left} days left)",
                day(cert.not_after)
            ),
        )
        .action("renew the certificate before it expires")
    })
}

const FIX_CERT: &str = "install a certificate from a public certificate authority (for example Let's Encrypt) that names this host, with its full chain";

/// What the server presented in a handshake, as far as it got.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// The leaf certificate, when the server sent one we could read.
    pub leaf: Option<&'a CertificateInfo>,
    /// How many certificates the server sent (leaf and intermediates).
    pub count: usize,
    /// The issuer named by the last certificate sent: where the chain stops.
    pub last_issuer: Option<&'a str>,
}

/// Translates a failed handshake into an outcome.
pub fn diagnose_handshake(
    err: &std::io::Error,
    presented: Presented<'_>,
    host: &str,
) -> StageOutcome {
    let s = Stage::Tls;
    let rustls_err = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    let Some(rustls_err) = rustls_err else {
        return StageOutcome::fail(
            s,
            "handshake_failed",
            format!("the connection broke during the TLS handshake: {}", io_reason(err)),
        )
        .action("check that the port speaks TLS as configured (implicit TLS on 465, STARTTLS on 587) and that the server's TLS setup works");
    };
    match rustls_err {
        rustls::Error::InvalidCertificate(ce) => diagnose_certificate(ce, presented, host),
        // The first bytes were not a TLS record: a plain-text SMTP greeting.
        rustls::Error::InvalidMessage(
            InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion,
        ) => StageOutcome::fail(
            s,
            "not_tls",
            "the server answered in plain text, not TLS: this port expects STARTTLS (usually 587) rather than implicit TLS",
        )
        .action("set the security to STARTTLS for this port, or give us the implicit-TLS port (usually 465)"),
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => StageOutcome::fail(
            s,
            "version_too_old",
            "the server only speaks TLS versions older than 1.2 (it answered our TLS 1.2/1.3 offer with protocol_version); TLS 1.0 and 1.1 are retired (RFC 8996)",
        )
        .action("enable TLS 1.2 and TLS 1.3 on the mail server"),
        rustls::Error::AlertReceived(alert) => StageOutcome::fail(
            s,
            "handshake_failed",
            format!("the server ended the TLS handshake with the alert {alert:?}"),
        )
        .action("enable TLS 1.2 or 1.3 with modern cipher suites on the mail server"),
        other => StageOutcome::fail(s, "handshake_failed", format!("the TLS handshake failed: {other}"))
            .action("enable TLS 1.2 or 1.3 with modern cipher suites on the mail server"),
    }
}

fn diagnose_certificate(
    ce: &CertificateError,
    presented: Presented<'_>,
    host: &str,
) -> StageOutcome {
    let s = Stage::Tls;
    let cert = presented.leaf;
    let subject = cert
        .map(|c| format!(" ({})", c.subject))
        .unwrap_or_default();
    match ce {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = cert
                .map(|c| format!(" on {}", day(c.not_after)))
                .unwrap_or_default();
            StageOutcome::fail(s, "expired", format!("the server's certificate{subject} expired{when}"))
                .action("renew the certificate and install it with its full chain")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let when = cert
                .map(|c| format!(" until {}", day(c.not_before)))
                .unwrap_or_default();
            StageOutcome::fail(
                s,
                "not_yet_valid",
                format!("the server's certificate{subject} is not valid yet{when}"),
            )
            .action("check the server's clock and the certificate's start date")
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            // Our own reading of the certificate first: rustls's context holds the names in
            // Rust debug form (`DnsName("…")`).
            let names = match (ce, cert) {
                (_, Some(c)) if !c.names.is_empty() => c.names.join(", "),
                (CertificateError::NotValidForNameContext { presented, .. }, _) if !presented.is_empty() => {
                    presented.iter().map(|n| plain_name(n)).collect::<Vec<_>>().join(", ")
                }
                _ => "no host names at all".to_string(),
            };
            StageOutcome::fail(
                s,
                "wrong_host",
                format!("the server's certificate is not valid for {host}; it names {names}"),
            )
            .action(format!("use a host name the certificate names, or install a certificate that names {host}"))
        }
        CertificateError::UnknownIssuer if cert.is_some_and(|c| c.self_signed) => StageOutcome::fail(
            s,
            "self_signed",
            format!("the server's certificate{subject} is self-signed; self-signed certificates are not supported"),
        )
        .action(FIX_CERT),
        // One certificate, from an issuer it does not point to: a private authority (one an
        // organisation runs for itself), not a public one's missing intermediate.
        CertificateError::UnknownIssuer
            if presented.count == 1 && cert.is_some_and(|c| !c.points_to_issuer) =>
        {
            let issuer = cert.map(|c| c.issuer.as_str()).unwrap_or_default();
            StageOutcome::fail(
                s,
                "unknown_issuer",
                format!("the server's certificate{subject} is issued by {issuer}, a private or unknown certificate authority: not a root Mozilla trusts, and the certificate does not say where its issuer's certificate is, as a public authority's always does"),
            )
            .action("install a certificate from a public certificate authority (for example Let's Encrypt) with its full chain; certificates of a private authority are not accepted")
        }
        CertificateError::UnknownIssuer if presented.count == 1 && cert.is_some() => {
            let issuer = cert.map(|c| c.issuer.as_str()).unwrap_or_default();
            StageOutcome::fail(
                s,
                "missing_intermediate",
                format!("the server sends only its own certificate{subject}, without the intermediate certificate of its issuer ({issuer}); that issuer is not a root Mozilla trusts, so the chain cannot be checked"),
            )
            .action(format!("configure the mail server with the full chain file (the certificate followed by the intermediate certificate of {issuer}, as the certificate authority supplied it); if {issuer} is a private authority, use a certificate from a public one instead"))
        }
        CertificateError::UnknownIssuer => {
            let issuer = presented
                .last_issuer
                .or(cert.map(|c| c.issuer.as_str()))
                .map(|i| format!(", the last issued by {i}"))
                .unwrap_or_default();
            StageOutcome::fail(
                s,
                "unknown_issuer",
                format!("the server sends {} certificate{}{issuer}, but they do not lead to a root Mozilla trusts: the chain ends at a private or unknown certificate authority", presented.count, if presented.count == 1 { "" } else { "s" }),
            )
            .action("install a certificate from a public certificate authority (for example Let's Encrypt) with its full chain; certificates of a private authority are not accepted")
        }
        // webpki refuses a certificate marked as an authority (`CA:TRUE`) before it looks at
        // the issuer: what `openssl req -x509` makes by default, i.e. a server nobody gave a
        // real certificate. Named in plain words, never as webpki's variant.
        CertificateError::Other(e) if format!("{e:?}").contains("CaUsedAsEndEntity") => {
            match cert {
                Some(c) if c.self_signed => StageOutcome::fail(
                    s,
                    "self_signed",
                    format!("the server's certificate{subject} is self-signed (a certificate authority's own certificate, as OpenSSL makes one by default); self-signed certificates are not supported"),
                ),
                _ => StageOutcome::fail(
                    s,
                    "invalid_certificate",
                    format!("the server presents a certificate authority's certificate{subject} instead of a certificate for the server itself"),
                ),
            }
            .action(FIX_CERT)
        }
        other => StageOutcome::fail(s, "invalid_certificate", format!("the server's certificate is not acceptable: {other:?}"))
            .action(FIX_CERT),
    }
}

/// A name from rustls's error context in plain text: `DnsName("a.example")` → `a.example`,
/// `IpAddress(192.0.2.1)` → `192.0.2.1`.
pub fn plain_name(debug: &str) -> String {
    let inner = debug
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(debug);
    inner.trim_matches('"').to_string()
}

/// A short reason for an I/O error, without OS error numbers.
pub fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        ConnectionReset => "the server reset the connection".into(),
        ConnectionAborted => "the connection was aborted".into(),
        UnexpectedEof => "the server closed the connection".into(),
        BrokenPipe => "the server closed the connection".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    fn info(subject: &str, issuer: &str) -> CertificateInfo {
        CertificateInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            not_before: time::macros::datetime!(2020-01-01 0:00 UTC),
            not_after: time::macros::datetime!(2021-01-01 0:00 UTC),
            names: vec!["wrong.example.net".into()],
            self_signed: subject == issuer,
            points_to_issuer: true,
        }
    }

    #[test]
    fn certificate_errors() {
        let code = |e: CertificateError, c: Option<&CertificateInfo>| {
            diagnose_handshake(
                &io(rustls::Error::InvalidCertificate(e)),
                Presented {
                    leaf: c,
                    count: 2,
                    last_issuer: None,
                },
                "localhost",
            )
            .code
        };
        let own = info("CN=localhost", "CN=localhost");
        let other = info("CN=localhost", "CN=Some CA");
        assert_eq!(
            code(CertificateError::UnknownIssuer, Some(&own)),
            "smtp::tls::self_signed"
        );
        assert_eq!(
            code(CertificateError::UnknownIssuer, Some(&other)),
            "smtp::tls::unknown_issuer"
        );
        assert_eq!(
            code(CertificateError::Expired, Some(&other)),
            "smtp::tls::expired"
        );
        assert_eq!(
            code(CertificateError::NotValidYet, None),
            "smtp::tls::not_yet_valid"
        );
        assert_eq!(
            code(CertificateError::NotValidForName, Some(&other)),
            "smtp::tls::wrong_host"
        );
        let o = diagnose_handshake(
            &io(rustls::Error::InvalidCertificate(CertificateError::Expired)),
            Presented {
                leaf: Some(&other),
                count: 2,
                last_issuer: None,
            },
            "h",
        );
        assert!(o.diagnosis.contains("2021-01-01"), "{}", o.diagnosis);
        let o = diagnose_handshake(
            &io(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName,
            )),
            Presented {
                leaf: Some(&other),
                count: 2,
                last_issuer: None,
            },
            "localhost",
        );
        assert!(o.diagnosis.contains("wrong.example.net"), "{}", o.diagnosis);
        let o = diagnose_handshake(
            &io(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
            Presented {
                leaf: Some(&other),
                count: 1,
                last_issuer: None,
            },
            "localhost",
        );
        assert_eq!(o.code, "smtp::tls::missing_intermediate");
        assert!(o.diagnosis.contains("CN=Some CA"), "{}", o.diagnosis);
        // The same single certificate without a pointer to its issuer: a private authority.
        let private = CertificateInfo {
            points_to_issuer: false,
            ..other.clone()
        };
        let o = diagnose_handshake(
            &io(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
            Presented {
                leaf: Some(&private),
                count: 1,
                last_issuer: None,
            },
            "localhost",
        );
        assert_eq!(o.code, "smtp::tls::unknown_issuer");
        assert!(o.diagnosis.contains("private"), "{}", o.diagnosis);
    }

    #[test]
    fn names_from_rustls_are_plain() {
        assert_eq!(
            plain_name("DnsName(\"wrong.example.net\")"),
            "wrong.example.net"
        );
        assert_eq!(plain_name("IpAddress(192.0.2.1)"), "192.0.2.1");
        assert_eq!(plain_name("already.plain"), "already.plain");
    }

    #[test]
    fn versions_are_named() {
        use rustls::ProtocolVersion as V;
        assert_eq!(version_name(V::TLSv1_1), "TLS 1.1");
        assert_eq!(version_name(V::TLSv1_0), "TLS 1.0");
        assert_eq!(
            version_name(V::Unknown(0x7f1c)),
            "an unknown version (0x7f1c)"
        );
    }

    #[test]
    fn expiry_warning_under_30_days() {
        let c = info("CN=a", "CN=b");
        assert_eq!(expiry_warning(&c, 30), None);
        let w = expiry_warning(&c, 29).unwrap();
        assert_eq!(w.code, "smtp::tls::expires_soon");
        assert!(w.diagnosis.contains("2021-01-01 (29 days left)"));
    }

    #[test]
    fn protocol_errors() {
        let code = |e| diagnose_handshake(&io(e), Presented::default(), "h").code;
        assert_eq!(
            code(rustls::Error::AlertReceived(
                AlertDescription::ProtocolVersion
            )),
            "smtp::tls::version_too_old"
        );
        assert_eq!(
            code(rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            )),
            "smtp::tls::version_too_old"
        );
        assert_eq!(
            code(rustls::Error::AlertReceived(
                AlertDescription::HandshakeFailure
            )),
            "smtp::tls::handshake_failed"
        );
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let o = diagnose_handshake(&reset, Presented::default(), "h");
        assert_eq!(o.code, "smtp::tls::handshake_failed");
        assert!(o.diagnosis.contains("reset"));
    }

    #[test]
    fn config_builds_with_mozilla_roots() {
        let (config, _) = client_config(&[]).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }
}
