//! The sandbox DNS server as a real resolver sees it.

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};
use mailform::sandbox::RecordInput;

use crate::support::sandbox as harness;

const ZONE: &str = "example-library.org";

async fn values(resolver: &TokioResolver, name: &str, rtype: RecordType) -> Vec<String> {
    let lookup = resolver.lookup(name, rtype).await.unwrap();
    let mut out: Vec<String> = lookup
        .answers()
        .iter()
        .map(|r| match &r.data {
            RData::TXT(txt) => txt.to_string(),
            other => other.to_string(),
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn every_served_type_resolves_over_udp_and_tcp() {
    let sandbox = harness::start();
    let records = [
        ("@", "MX", "10 mail.example-library.org"),
        ("mail", "A", "192.0.2.25"),
        ("mail", "AAAA", "2001:db8::25"),
        ("@", "TXT", "v=spf1 include:amazonses.com -all"),
        ("_dmarc", "TXT", "\"v=DMARC1; p=reject\""),
        ("www", "CNAME", "mail.example-library.org."),
    ];
    for (name, rtype, value) in records {
        sandbox
            .add_record(ZONE, RecordInput::new(name, rtype, value))
            .unwrap();
    }
    for resolver in [harness::resolver(&sandbox), harness::tcp_resolver(&sandbox)] {
        assert_eq!(
            values(&resolver, "example-library.org.", RecordType::MX).await,
            ["10 mail.example-library.org."]
        );
        assert_eq!(
            values(&resolver, "mail.example-library.org.", RecordType::A).await,
            ["192.0.2.25"]
        );
        assert_eq!(
            values(&resolver, "mail.example-library.org.", RecordType::AAAA).await,
            ["2001:db8::25"]
        );
        assert_eq!(
            values(&resolver, "example-library.org.", RecordType::TXT).await,
            ["v=spf1 include:amazonses.com -all"]
        );
        assert_eq!(
            values(&resolver, "_dmarc.example-library.org.", RecordType::TXT).await,
            ["v=DMARC1; p=reject"]
        );
        assert_eq!(
            values(&resolver, "example-library.org.", RecordType::NS).await,
            ["ns1.example-library.org."]
        );
        assert_eq!(
            values(&resolver, "example-library.org.", RecordType::SOA)
                .await
                .len(),
            1
        );
        // A CNAME inside the zones is followed to its address.
        let chased = values(&resolver, "www.example-library.org.", RecordType::A).await;
        assert!(chased.contains(&"192.0.2.25".to_string()), "{chased:?}");
    }
}

#[tokio::test]
async fn nxdomain_and_empty_answers_are_told_apart() {
    let sandbox = harness::start();
    sandbox
        .add_record(ZONE, RecordInput::new("a.b", "TXT", "x"))
        .unwrap();
    let resolver = harness::resolver(&sandbox);
    let missing = resolver
        .lookup("nope.example-library.org.", RecordType::A)
        .await
        .unwrap_err();
    assert!(missing.is_nx_domain(), "{missing:?}");
    for name in ["b.example-library.org.", "a.b.example-library.org."] {
        let empty = resolver.lookup(name, RecordType::A).await.unwrap_err();
        assert!(
            empty.is_no_records_found() && !empty.is_nx_domain(),
            "{name}: {empty:?}"
        );
    }
    assert!(
        sandbox
            .remove_record(ZONE, "a.b", "TXT", Some("x"))
            .unwrap()
    );
    let gone = resolver
        .lookup("a.b.example-library.org.", RecordType::TXT)
        .await
        .unwrap_err();
    assert!(gone.is_nx_domain(), "{gone:?}");
}
