//! Method 1: the library keeps its own DNS; SES gives three DKIM CNAMEs and
//! the library's IT staff install them.

use std::time::Duration;

use aws_sdk_sesv2::types::{DkimStatus, VerificationStatus};
use hickory_resolver::proto::rr::{RData, RecordType};
use mailform::sandbox::RecordInput;

use crate::support::sandbox::{self as harness, IdentityStatus, identity_status, operations};

const DOMAIN: &str = "example-library.org";

#[tokio::test]
async fn method_1_story_from_missing_records_to_failed() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    let dns = harness::resolver(&sandbox);
    sandbox.create_zone(DOMAIN);

    let created = ses
        .create_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .expect("create the identity");
    assert!(!created.verified_for_sending_status());
    let dkim = created.dkim_attributes().expect("Easy DKIM attributes");
    assert_eq!(dkim.status(), Some(&DkimStatus::Pending));
    let tokens = dkim.tokens().to_vec();
    assert_eq!(tokens.len(), 3);
    let zone = dkim.signing_hosted_zone().expect("a signing hosted zone");
    assert_eq!(zone, "dkim.amazonses.com");

    // The records are missing: the resolver gets NXDOMAIN.
    let host = |t: &str| format!("{t}._domainkey.{DOMAIN}.");
    let missing = dns
        .lookup(host(&tokens[0]).as_str(), RecordType::CNAME)
        .await
        .expect_err("no record yet");
    assert!(missing.is_nx_domain(), "{missing:?}");

    // IT installs two of three.
    for token in &tokens[..2] {
        sandbox
            .add_record(
                DOMAIN,
                RecordInput::new(&host(token), "CNAME", &format!("{token}.{zone}")),
            )
            .unwrap();
    }
    let answer = dns
        .lookup(host(&tokens[0]).as_str(), RecordType::CNAME)
        .await
        .expect("the first CNAME resolves");
    let targets: Vec<String> = answer
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::CNAME(name) => Some(name.0.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(targets, vec![format!("{}.{zone}.", tokens[0])]);
    let expect =
        |dkim: DkimStatus, verification: VerificationStatus, sending: bool| IdentityStatus {
            dkim: Some(dkim),
            verification: Some(verification),
            verified_for_sending: sending,
        };
    assert_eq!(
        identity_status(&ses, DOMAIN).await,
        expect(DkimStatus::Pending, VerificationStatus::Pending, false)
    );

    // The third.
    sandbox
        .add_record(
            DOMAIN,
            RecordInput::new(&host(&tokens[2]), "CNAME", &format!("{}.{zone}", tokens[2])),
        )
        .unwrap();
    assert_eq!(
        identity_status(&ses, DOMAIN).await,
        expect(DkimStatus::Success, VerificationStatus::Success, true)
    );

    // One removed: TEMPORARY_FAILURE (still sending), then FAILED 72
    // simulated hours later.
    assert!(
        sandbox
            .remove_record(DOMAIN, &host(&tokens[1]), "CNAME", None)
            .unwrap()
    );
    let temporary = expect(
        DkimStatus::TemporaryFailure,
        VerificationStatus::TemporaryFailure,
        true,
    );
    assert_eq!(identity_status(&ses, DOMAIN).await, temporary);
    sandbox.advance_clock(Duration::from_secs(71 * 3600));
    assert_eq!(identity_status(&ses, DOMAIN).await, temporary);
    sandbox.advance_clock(Duration::from_secs(3600));
    assert_eq!(
        identity_status(&ses, DOMAIN).await,
        expect(DkimStatus::Failed, VerificationStatus::Failed, false)
    );

    assert_eq!(
        operations(&sandbox),
        [
            "CreateEmailIdentity",
            "GetEmailIdentity",
            "GetEmailIdentity",
            "GetEmailIdentity",
            "GetEmailIdentity",
            "GetEmailIdentity"
        ]
    );
    assert!(sandbox.request_log()[0].mutating);
    assert!(!sandbox.request_log()[1].mutating);
}

#[tokio::test]
async fn a_pending_identity_fails_after_72_hours_and_a_temporary_failure_can_recover() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    for domain in ["never.example", "recovers.example"] {
        sandbox.create_zone(domain);
        ses.create_email_identity()
            .email_identity(domain)
            .send()
            .await
            .unwrap();
    }
    let got = ses
        .get_email_identity()
        .email_identity("recovers.example")
        .send()
        .await
        .unwrap();
    let dkim = got.dkim_attributes().unwrap();
    let zone = dkim.signing_hosted_zone().unwrap().to_string();
    for token in dkim.tokens() {
        let record = RecordInput::new(
            &format!("{token}._domainkey"),
            "CNAME",
            &format!("{token}.{zone}"),
        );
        sandbox.add_record("recovers.example", record).unwrap();
    }
    let first = dkim.tokens()[0].clone();
    let name = format!("{first}._domainkey");
    sandbox
        .remove_record("recovers.example", &name, "CNAME", None)
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(24 * 3600));
    sandbox
        .add_record(
            "recovers.example",
            RecordInput::new(&name, "CNAME", &format!("{first}.{zone}")),
        )
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(48 * 3600));
    assert_eq!(
        identity_status(&ses, "never.example").await.dkim,
        Some(DkimStatus::Failed)
    );
    assert_eq!(
        identity_status(&ses, "recovers.example").await.dkim,
        Some(DkimStatus::Success)
    );
}
