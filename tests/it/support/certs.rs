//! A test CA and leaf certificates, made with rcgen: in-process, no openssl
//! CLI needed in CI, and with fixed validity dates so snapshots are stable.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::macros::datetime;

/// Which certificate a server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// CA-signed for localhost and 127.0.0.1, valid 2025–2045.
    Good,
    /// Self-signed for localhost.
    SelfSigned,
    /// CA-signed, valid 2020-01-01 to 2021-01-01.
    Expired,
    /// CA-signed for wrong.example.net only.
    WrongHost,
    /// CA-signed for localhost, expiring ten days from now.
    ExpiresSoon,
    /// CA-signed for localhost, valid only from 2040.
    NotYetValid,
    /// Signed by an intermediate CA (itself signed by the test CA), for localhost; the file
    /// holds only the leaf, so the server does not send the intermediate.
    WithoutIntermediate,
    /// The same kind of leaf, with the intermediate after it in the file: the full chain.
    FullChain,
    /// Signed by a private CA nobody trusts (not the test CA), for localhost, without a
    /// pointer to its issuer: what an organisation's own authority issues.
    PrivateCa,
    /// Self-signed for localhost and marked as a certificate authority (`CA:TRUE`), as the
    /// certificate `openssl req -x509` makes by default: webpki refuses it as
    /// `CaUsedAsEndEntity` before it looks at the issuer.
    SelfSignedCa,
}

impl Leaf {
    pub fn file_stem(self) -> &'static str {
        match self {
            Leaf::Good => "good",
            Leaf::SelfSigned => "self",
            Leaf::Expired => "expired",
            Leaf::WrongHost => "wrong",
            Leaf::ExpiresSoon => "soon",
            Leaf::NotYetValid => "future",
            Leaf::WithoutIntermediate => "leafonly",
            Leaf::FullChain => "fullchain",
            Leaf::SelfSignedCa => "selfca",
            Leaf::PrivateCa => "private",
        }
    }
}

/// The test CA: its certificate (to trust) and PEM files for each leaf.
pub struct TestPki {
    pub ca: CertificateDer<'static>,
    /// The good leaf and its key, for fake TLS servers.
    pub good: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d
}

fn leaf_params(names: &[&str], cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("leaf names");
    p.distinguished_name = dn(cn);
    p.not_before = datetime!(2025-01-01 0:00 UTC);
    p.not_after = datetime!(2045-01-01 0:00 UTC);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    p
}

/// An Authority Information Access extension naming where the issuer's certificate is
/// (`caIssuers`, RFC 5280 4.2.2.1), DER-encoded by hand: one access description.
fn ca_issuers(uri: &str) -> rcgen::CustomExtension {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128, "short form lengths only");
        let mut out = vec![tag, content.len() as u8];
        out.extend_from_slice(content);
        out
    }
    // id-ad-caIssuers, 1.3.6.1.5.5.7.48.2.
    let method = tlv(0x06, &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]);
    let location = tlv(0x86, uri.as_bytes());
    let description = tlv(0x30, &[method, location].concat());
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &description))
}

impl TestPki {
    /// Writes `ca.pem` and `{good,self,expired,wrong}.{pem,key}` into `dir`.
    pub fn create(dir: &Path) -> TestPki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.distinguished_name = dn("mailform test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = datetime!(2024-01-01 0:00 UTC);
        ca_params.not_after = datetime!(2050-01-01 0:00 UTC);
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
        let issuer = Issuer::new(ca_params, ca_key);
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("write ca.pem");

        let mid_key = KeyPair::generate().expect("intermediate key");
        let mut mid_params =
            CertificateParams::new(Vec::<String>::new()).expect("intermediate params");
        mid_params.distinguished_name = dn("mailform test intermediate CA");
        mid_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        mid_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        mid_params.not_before = datetime!(2024-01-01 0:00 UTC);
        mid_params.not_after = datetime!(2050-01-01 0:00 UTC);
        mid_params.use_authority_key_identifier_extension = true;
        let mid_cert = mid_params
            .signed_by(&mid_key, &issuer)
            .expect("intermediate cert");
        let mid_issuer = Issuer::new(mid_params, mid_key);

        // An organisation's own authority: trusted by nobody here.
        let private_key = KeyPair::generate().expect("private CA key");
        let mut private_params =
            CertificateParams::new(Vec::<String>::new()).expect("private CA params");
        private_params.distinguished_name = dn("Ogdenville Library internal CA");
        private_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        private_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        private_params.not_before = datetime!(2024-01-01 0:00 UTC);
        private_params.not_after = datetime!(2050-01-01 0:00 UTC);
        let private_issuer = Issuer::new(private_params, private_key);

        let mut good = None;
        for leaf in [
            Leaf::Good,
            Leaf::SelfSigned,
            Leaf::Expired,
            Leaf::WrongHost,
            Leaf::ExpiresSoon,
            Leaf::NotYetValid,
            Leaf::WithoutIntermediate,
            Leaf::FullChain,
            Leaf::SelfSignedCa,
            Leaf::PrivateCa,
        ] {
            let key = KeyPair::generate().expect("leaf key");
            let cert = match leaf {
                Leaf::Good => {
                    leaf_params(&["localhost", "127.0.0.1"], "localhost").signed_by(&key, &issuer)
                }
                Leaf::SelfSigned => {
                    leaf_params(&["localhost", "127.0.0.1"], "localhost").self_signed(&key)
                }
                Leaf::SelfSignedCa => {
                    let mut p = leaf_params(&["localhost", "127.0.0.1"], "localhost");
                    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                    p.self_signed(&key)
                }
                Leaf::Expired => {
                    let mut p = leaf_params(&["localhost", "127.0.0.1"], "localhost");
                    p.not_before = datetime!(2020-01-01 0:00 UTC);
                    p.not_after = datetime!(2021-01-01 0:00 UTC);
                    p.signed_by(&key, &issuer)
                }
                Leaf::ExpiresSoon => {
                    let mut p = leaf_params(&["localhost", "127.0.0.1"], "localhost");
                    p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(10);
                    p.signed_by(&key, &issuer)
                }
                Leaf::NotYetValid => {
                    let mut p = leaf_params(&["localhost", "127.0.0.1"], "localhost");
                    p.not_before = datetime!(2040-01-01 0:00 UTC);
                    p.signed_by(&key, &issuer)
                }
                Leaf::WrongHost => leaf_params(&["wrong.example.net"], "wrong.example.net")
                    .signed_by(&key, &issuer),
                // A public authority's leaf says where its issuer's certificate is (AIA).
                Leaf::WithoutIntermediate | Leaf::FullChain => {
                    let mut p = leaf_params(&["localhost", "127.0.0.1"], "localhost");
                    p.custom_extensions
                        .push(ca_issuers("http://ca.example/intermediate.der"));
                    p.signed_by(&key, &mid_issuer)
                }
                Leaf::PrivateCa => leaf_params(&["localhost", "127.0.0.1"], "localhost")
                    .signed_by(&key, &private_issuer),
            }
            .expect("sign leaf");
            if leaf == Leaf::Good {
                let key_der = PrivatePkcs8KeyDer::from(key.serialize_der());
                good = Some((cert.der().clone(), PrivateKeyDer::Pkcs8(key_der)));
            }
            let stem = leaf.file_stem();
            let mut pem = cert.pem();
            if leaf == Leaf::FullChain {
                pem.push_str(&mid_cert.pem());
            }
            std::fs::write(dir.join(format!("{stem}.pem")), pem).expect("write cert");
            std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem())
                .expect("write key");
        }
        TestPki {
            ca: ca_cert.der().clone(),
            good: good.expect("good leaf made"),
        }
    }
}
