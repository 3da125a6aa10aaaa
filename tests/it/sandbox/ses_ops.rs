//! The SES v2 operations beyond the method-1 story.

use std::time::Duration;

use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{
    BehaviorOnMxFailure, DkimSigningAttributes, DkimSigningAttributesOrigin, DkimSigningKeyLength,
    IdentityType, MailFromDomainStatus, Tag, TrackingOptions, VerificationError,
};
use mailform::sandbox::{RecordInput, SandboxConfig};

use crate::support::sandbox as harness;

#[tokio::test]
async fn identities_list_in_pages_and_delete() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    let names = [
        "a.example",
        "b.example",
        "c.example",
        "d.example",
        "it@a.example",
    ];
    for name in names {
        ses.create_email_identity()
            .email_identity(name)
            .send()
            .await
            .unwrap();
    }
    let err = ses
        .create_email_identity()
        .email_identity("A.example")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_already_exists_exception());

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ses
            .list_email_identities()
            .page_size(2)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        assert!(page.email_identities().len() <= 2);
        for info in page.email_identities() {
            seen.push((
                info.identity_name().unwrap().to_string(),
                info.identity_type().cloned(),
            ));
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.contains(&("it@a.example".into(), Some(IdentityType::EmailAddress))));
    assert!(seen.contains(&("c.example".into(), Some(IdentityType::Domain))));

    ses.delete_email_identity()
        .email_identity("c.example")
        .send()
        .await
        .unwrap();
    let err = ses
        .get_email_identity()
        .email_identity("c.example")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());
    let err = ses
        .create_email_identity()
        .email_identity("not a domain")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_bad_request_exception());
}

#[tokio::test]
async fn the_key_length_changes_at_most_once_a_day() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    ses.create_email_identity()
        .email_identity("example.org")
        .dkim_signing_attributes(
            DkimSigningAttributes::builder()
                .next_signing_key_length(DkimSigningKeyLength::Rsa1024Bit)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = ses
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let dkim = got.dkim_attributes().unwrap();
    assert_eq!(
        dkim.current_signing_key_length(),
        Some(&DkimSigningKeyLength::Rsa1024Bit)
    );
    assert_eq!(
        dkim.signing_attributes_origin(),
        Some(&DkimSigningAttributesOrigin::AwsSes)
    );
    assert!(dkim.last_key_generation_timestamp().is_some());

    let change = |length: DkimSigningKeyLength| {
        ses.put_email_identity_dkim_signing_attributes()
            .email_identity("example.org")
            .signing_attributes_origin(DkimSigningAttributesOrigin::AwsSes)
            .signing_attributes(
                DkimSigningAttributes::builder()
                    .next_signing_key_length(length)
                    .build(),
            )
            .send()
    };
    let changed = change(DkimSigningKeyLength::Rsa2048Bit).await.unwrap();
    assert_eq!(changed.dkim_tokens().len(), 3);
    // The change is for the next key; the key in use keeps its length until SES next generates
    // one ("NextSigningKeyLength: the key length of the future DKIM key pair to be generated.
    // This can be changed at most once per day"; "CurrentSigningKeyLength: the key length of the
    // DKIM key pair in use": https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_DkimAttributes.html).
    let got = ses
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let dkim = got.dkim_attributes().unwrap();
    assert_eq!(
        (
            dkim.next_signing_key_length(),
            dkim.current_signing_key_length()
        ),
        (
            Some(&DkimSigningKeyLength::Rsa2048Bit),
            Some(&DkimSigningKeyLength::Rsa1024Bit)
        )
    );
    let err = change(DkimSigningKeyLength::Rsa1024Bit).await.unwrap_err();
    assert!(err.into_service_error().is_bad_request_exception());
    sandbox.advance_clock(Duration::from_secs(24 * 3600));
    change(DkimSigningKeyLength::Rsa1024Bit).await.unwrap();

    ses.put_email_identity_dkim_attributes()
        .email_identity("example.org")
        .signing_enabled(false)
        .send()
        .await
        .unwrap();
    let got = ses
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    assert!(!got.dkim_attributes().unwrap().signing_enabled());
}

#[tokio::test]
async fn mail_from_is_verified_by_its_mx_record() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    sandbox.create_zone("example.org");
    ses.create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let err = ses
        .put_email_identity_mail_from_attributes()
        .email_identity("example.org")
        .mail_from_domain("bounce.other.org")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_bad_request_exception());
    ses.put_email_identity_mail_from_attributes()
        .email_identity("example.org")
        .mail_from_domain("mail.example.org")
        .behavior_on_mx_failure(BehaviorOnMxFailure::RejectMessage)
        .send()
        .await
        .unwrap();
    let status = || async {
        let got = ses
            .get_email_identity()
            .email_identity("example.org")
            .send()
            .await
            .unwrap();
        let attributes = got.mail_from_attributes().unwrap().clone();
        (
            attributes.mail_from_domain().to_string(),
            attributes.mail_from_domain_status().clone(),
            attributes.behavior_on_mx_failure().clone(),
        )
    };
    assert_eq!(
        status().await,
        (
            "mail.example.org".to_string(),
            MailFromDomainStatus::Pending,
            BehaviorOnMxFailure::RejectMessage
        )
    );
    sandbox
        .add_record(
            "example.org",
            RecordInput::new("mail", "MX", "10 feedback-smtp.us-east-1.amazonses.com"),
        )
        .unwrap();
    assert_eq!(status().await.1, MailFromDomainStatus::Success);
}

#[tokio::test]
async fn configuration_sets_attach_to_identities() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    for name in ["library-a", "library-b", "library-c"] {
        ses.create_configuration_set()
            .configuration_set_name(name)
            .tracking_options(
                TrackingOptions::builder()
                    .custom_redirect_domain("track.example.org")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let err = ses
        .create_configuration_set()
        .configuration_set_name("library-a")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_already_exists_exception());
    let got = ses
        .get_configuration_set()
        .configuration_set_name("library-a")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.tracking_options().map(|t| t.custom_redirect_domain()),
        Some("track.example.org")
    );
    let first = ses
        .list_configuration_sets()
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.configuration_sets(), ["library-a", "library-b"]);
    let rest = ses
        .list_configuration_sets()
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.configuration_sets(), ["library-c"]);

    ses.create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    ses.put_email_identity_configuration_set_attributes()
        .email_identity("example.org")
        .configuration_set_name("library-b")
        .send()
        .await
        .unwrap();
    let identity = ses
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(identity.configuration_set_name(), Some("library-b"));
    let err = ses
        .put_email_identity_configuration_set_attributes()
        .email_identity("example.org")
        .configuration_set_name("nope")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());

    ses.delete_configuration_set()
        .configuration_set_name("library-c")
        .send()
        .await
        .unwrap();
    let err = ses
        .get_configuration_set()
        .configuration_set_name("library-c")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());
}

#[tokio::test]
async fn identity_tags_round_trip() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    ses.create_email_identity()
        .email_identity("example.org")
        .tags(
            Tag::builder()
                .key("library")
                .value("springfield")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = "arn:aws:ses:us-east-1:123456789012:identity/example.org";
    ses.tag_resource()
        .resource_arn(arn)
        .tags(
            Tag::builder()
                .key("managed-by")
                .value("mailform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = ses
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["library", "managed-by"]);
    ses.untag_resource()
        .resource_arn(arn)
        .tag_keys("library")
        .send()
        .await
        .unwrap();
    let tags = ses
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    let err = ses
        .list_tags_for_resource()
        .resource_arn("arn:aws:ses:us-east-1:123456789012:identity/other.org")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));
}

#[tokio::test]
async fn the_account_answers_sandbox_or_production_as_configured() {
    let production = harness::start();
    let account = harness::ses(&production)
        .get_account()
        .send()
        .await
        .unwrap();
    assert!(account.production_access_enabled() && account.sending_enabled());

    let sandbox = harness::start_with(SandboxConfig {
        production_access: false,
        sending_enabled: false,
        ..SandboxConfig::default()
    });
    let account = harness::ses(&sandbox).get_account().send().await.unwrap();
    assert!(!account.production_access_enabled());
    assert!(!account.sending_enabled());
    assert_eq!(
        account.send_quota().map(|q| q.max24_hour_send()),
        Some(200.0)
    );
    // Changed while it runs, as `mailform-sandbox account` does.
    sandbox.set_ses_account(true, true);
    let account = harness::ses(&sandbox).get_account().send().await.unwrap();
    assert!(account.production_access_enabled() && account.sending_enabled());
}

#[tokio::test]
async fn an_address_is_verified_by_its_link_or_fails_after_a_day() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    for address in ["it@example.org", "late@example.org"] {
        ses.create_email_identity()
            .email_identity(address)
            .send()
            .await
            .unwrap();
    }
    sandbox.confirm_address("it@example.org").unwrap();
    assert!(sandbox.confirm_address("nobody@example.org").is_err());
    sandbox.advance_clock(Duration::from_secs(24 * 3600));
    let status = |address: &'static str| {
        let ses = ses.clone();
        async move {
            let got = ses
                .get_email_identity()
                .email_identity(address)
                .send()
                .await
                .unwrap();
            (
                got.verified_for_sending_status(),
                got.verification_status().cloned(),
            )
        }
    };
    assert_eq!(
        status("it@example.org").await,
        (
            true,
            Some(aws_sdk_sesv2::types::VerificationStatus::Success)
        )
    );
    assert_eq!(
        status("late@example.org").await,
        (
            false,
            Some(aws_sdk_sesv2::types::VerificationStatus::Failed)
        )
    );
}

/// "TYPE_NOT_FOUND – The queried hostname exists but does not have the requested type of DNS
/// record"; "HOST_NOT_FOUND – The queried hostname does not exist"
/// (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_VerificationInfo.html).
#[tokio::test]
async fn a_txt_where_a_dkim_cname_belongs_is_type_not_found() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    let created = ses
        .create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let tokens: Vec<String> = created.dkim_attributes().unwrap().tokens().to_vec();
    let error = || async {
        ses.get_email_identity()
            .email_identity("example.org")
            .send()
            .await
            .unwrap()
            .verification_info()
            .and_then(|i| i.error_type().cloned())
    };
    assert_eq!(error().await, Some(VerificationError::HostNotFound));
    for token in &tokens {
        sandbox
            .add_record(
                "example.org",
                RecordInput::new(
                    &format!("{token}._domainkey"),
                    "TXT",
                    &format!("\"{token}.dkim.amazonses.com\""),
                ),
            )
            .unwrap();
    }
    assert_eq!(error().await, Some(VerificationError::TypeNotFound));
}

/// "To send email from the same domain or email address in more than one AWS Region, you must
/// create and verify a separate identity for each Region"
/// (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html). The sandbox takes the
/// region from the request's SigV4 credential scope.
#[tokio::test]
async fn identities_are_kept_per_region() {
    let sandbox = harness::start();
    let home = harness::ses(&sandbox);
    let oregon = harness::ses_in(&sandbox, "us-west-2");
    let created = oregon
        .create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let names = |client: &aws_sdk_sesv2::Client| {
        let client = client.clone();
        async move {
            client
                .list_email_identities()
                .send()
                .await
                .unwrap()
                .email_identities()
                .iter()
                .filter_map(|i| i.identity_name().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(&oregon).await, ["example.org"]);
    assert_eq!(names(&home).await, Vec::<String>::new());
    let err = home
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotFoundException"));

    // The same domain is a separate identity in the other region, with its own tokens.
    let again = home
        .create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    assert_ne!(
        again.dkim_attributes().unwrap().tokens(),
        created.dkim_attributes().unwrap().tokens()
    );
    home.delete_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(names(&oregon).await, ["example.org"]);
}
