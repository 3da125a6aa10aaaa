//! Naming a server that only speaks TLS below 1.2.
//!
//! rustls offers TLS 1.2 and 1.3 with modern cipher suites only. A server
//! limited to TLS 1.0/1.1 then ends the handshake with `protocol_version`
//! (OpenSSL) or `handshake_failure` (GnuTLS, which finds no common suite),
//! and the second alert could also mean "TLS 1.2 but only old ciphers". To
//! tell these apart the probe opens one more connection, only in this case,
//! sends the hand-built ClientHello below (TLS 1.0 to 1.2, classic CBC and
//! GCM suites), reads the version the server picks, and closes. Pure code.

use rustls::{AlertDescription, PeerIncompatible};

use super::outcome::{StageOutcome, Status};

/// What the server answered to our ClientHello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A ServerHello choosing this version (0x0301 = TLS 1.0 ...).
    Hello { version: u16 },
    /// An alert with this description (70 = protocol_version).
    Alert { description: u8 },
    /// Something else.
    Unknown,
}

impl ServerAnswer {
    /// What the server answered, for the transcript: versions by name, alerts by name.
    pub fn describe(self) -> String {
        match self {
            ServerAnswer::Hello { version } => {
                format!("the server chose {}", version_name(version))
            }
            ServerAnswer::Alert { description: 70 } => {
                "the server refused with the alert protocol_version".into()
            }
            ServerAnswer::Alert { description: 40 } => {
                "the server refused with the alert handshake_failure".into()
            }
            ServerAnswer::Alert { description } => {
                format!("the server refused with TLS alert number {description}")
            }
            ServerAnswer::Unknown => "the server's answer is not a TLS handshake".into(),
        }
    }
}

/// Is this handshake error one where the server's TLS version is in doubt?
pub fn worth_sniffing(err: &std::io::Error) -> bool {
    let Some(e) = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        return false;
    };
    matches!(
        e,
        rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure
                | AlertDescription::ProtocolVersion
                | AlertDescription::InsufficientSecurity
        ) | rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                | PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::NoCipherSuitesInCommon
        )
    )
}

fn u16be(v: usize) -> [u8; 2] {
    [(v >> 8) as u8, v as u8]
}

fn extension(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut e = kind.to_be_bytes().to_vec();
    e.extend_from_slice(&u16be(body.len()));
    e.extend_from_slice(body);
    e
}

/// A ClientHello offering TLS 1.0 to 1.2. `sni` is the host name, if it is one.
pub fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let suites: [u16; 15] = [
        0xc02f, 0xc030, 0xc02b, 0xc02c, // ECDHE GCM (TLS 1.2)
        0xc013, 0xc014, 0xc009, 0xc00a, // ECDHE CBC-SHA
        0x0033, 0x0039, 0x002f, 0x0035, 0x000a, // DHE/RSA CBC, 3DES
        0x009c, 0x00ff, // RSA GCM, renegotiation SCSV
    ];
    let mut body = vec![0x03, 0x03];
    body.extend((0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.push(0); // no session id
    body.extend_from_slice(&u16be(suites.len() * 2));
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression
    let mut exts = Vec::new();
    if let Some(name) = sni {
        let mut sn = vec![0];
        sn.extend_from_slice(&u16be(name.len()));
        sn.extend_from_slice(name.as_bytes());
        let mut list = u16be(sn.len()).to_vec();
        list.extend(sn);
        exts.extend(extension(0x0000, &list));
    }
    exts.extend(extension(
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    ));
    exts.extend(extension(0x000b, &[1, 0]));
    let sigalgs: [u16; 9] = [
        0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203,
    ];
    let mut sa = u16be(sigalgs.len() * 2).to_vec();
    for s in sigalgs {
        sa.extend_from_slice(&s.to_be_bytes());
    }
    exts.extend(extension(0x000d, &sa));
    exts.extend(extension(0xff01, &[0]));
    body.extend_from_slice(&u16be(exts.len()));
    body.extend(exts);
    let mut hs = vec![0x01, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs[1] = (body.len() >> 16) as u8;
    hs.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&u16be(hs.len()));
    record.extend(hs);
    record
}

/// Reads the server's first record; `None` while more bytes are needed.
pub fn parse_answer(bytes: &[u8]) -> Option<ServerAnswer> {
    if bytes.len() < 5 {
        return None;
    }
    match bytes[0] {
        0x15 if bytes.len() >= 7 => Some(ServerAnswer::Alert {
            description: bytes[6],
        }),
        0x15 => None,
        // handshake record, ServerHello: type(1) length(3) version(2)
        0x16 if bytes.len() >= 11 => {
            if bytes[5] == 0x02 {
                Some(ServerAnswer::Hello {
                    version: u16::from_be_bytes([bytes[9], bytes[10]]),
                })
            } else {
                Some(ServerAnswer::Unknown)
            }
        }
        0x16 => None,
        _ => Some(ServerAnswer::Unknown),
    }
}

fn version_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        _ => "an unknown version",
    }
}

#[cfg(test)]
#[test]
fn answers_are_described_in_words() {
    assert_eq!(
        ServerAnswer::Hello { version: 0x0302 }.describe(),
        "the server chose TLS 1.1"
    );
    assert_eq!(
        ServerAnswer::Alert { description: 70 }.describe(),
        "the server refused with the alert protocol_version"
    );
}

/// Sharpens a handshake failure with what the second ClientHello found.
pub fn refine(outcome: StageOutcome, answer: ServerAnswer) -> StageOutcome {
    let stage = outcome.stage;
    let too_old = |best: &str| {
        StageOutcome::fail(
            stage,
            "version_too_old",
            format!("the server speaks TLS below 1.2 only (at best {best}); TLS 1.0 and 1.1 are retired (RFC 8996) and the platform needs TLS 1.2 or 1.3"),
        )
        .action("enable TLS 1.2 and TLS 1.3 on the mail server")
    };
    match answer {
        ServerAnswer::Hello { version } if version < 0x0303 => too_old(version_name(version)),
        ServerAnswer::Alert { description: 70 } => too_old("an older version than TLS 1.2"),
        ServerAnswer::Hello { version: 0x0303 } if outcome.status == Status::Fail && outcome.code.ends_with("::handshake_failed") => {
            StageOutcome::fail(
                stage,
                "no_common_cipher",
                "the server speaks TLS 1.2 but none of the modern cipher suites (ECDHE with AES-GCM or ChaCha20)",
            )
            .action("enable ECDHE key exchange with AES-GCM cipher suites on the mail server")
        }
        _ => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::outcome::Stage;

    #[test]
    fn hello_is_well_formed() {
        let h = client_hello(Some("mail.example.org"));
        assert_eq!(&h[..3], &[0x16, 0x03, 0x01]);
        let record_len = u16::from_be_bytes([h[3], h[4]]) as usize;
        assert_eq!(record_len, h.len() - 5);
        assert_eq!(h[5], 0x01);
        let hs_len = ((h[6] as usize) << 16) | ((h[7] as usize) << 8) | h[8] as usize;
        assert_eq!(hs_len, h.len() - 9);
        assert_eq!(&h[9..11], &[0x03, 0x03]);
        assert!(h.windows(16).any(|w| w == b"mail.example.org"));
    }

    #[test]
    fn answers() {
        assert_eq!(parse_answer(&[0x16, 3, 1]), None);
        assert_eq!(
            parse_answer(&[0x16, 3, 1, 0, 50, 0x02, 0, 0, 46, 3, 1]),
            Some(ServerAnswer::Hello { version: 0x0301 })
        );
        assert_eq!(
            parse_answer(&[0x15, 3, 1, 0, 2, 2, 70]),
            Some(ServerAnswer::Alert { description: 70 })
        );
        assert_eq!(parse_answer(b"220 hello smtp"), Some(ServerAnswer::Unknown));
    }

    #[test]
    fn refinement() {
        let failed = StageOutcome::fail(Stage::Tls, "handshake_failed", "alert HandshakeFailure");
        assert_eq!(
            refine(failed.clone(), ServerAnswer::Hello { version: 0x0301 }).code,
            "smtp::tls::version_too_old"
        );
        assert!(
            refine(failed.clone(), ServerAnswer::Hello { version: 0x0302 })
                .diagnosis
                .contains("TLS 1.1")
        );
        assert_eq!(
            refine(failed.clone(), ServerAnswer::Alert { description: 70 }).code,
            "smtp::tls::version_too_old"
        );
        assert_eq!(
            refine(failed.clone(), ServerAnswer::Hello { version: 0x0303 }).code,
            "smtp::tls::no_common_cipher"
        );
        assert_eq!(refine(failed.clone(), ServerAnswer::Unknown), failed);
    }

    proptest::proptest! {
        #[test]
        fn any_server_bytes_are_read_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = parse_answer(&bytes);
        }
    }
}
