//! SES tenant management through the official SDK client: tenants, their associations and
//! their reputation entities, and the admin command that plays SES deciding on a finding.

use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{ReputationEntityType, SendingStatus, Tag};
use mailform::sandbox::ReputationFinding;

use crate::support::sandbox as harness;

const REGION: &str = "us-east-1";

/// Associates `arn` with the tenant springfield: the error code, if refused.
async fn associate(ses: &aws_sdk_sesv2::Client, arn: &str) -> Result<(), String> {
    ses.create_tenant_resource_association()
        .tenant_name("springfield")
        .resource_arn(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or_default().to_string())
}

fn policy(name: &str) -> String {
    format!("arn:aws:ses:{REGION}:aws:reputation-policy/{name}")
}

#[tokio::test]
async fn a_tenant_holds_its_identity_and_its_reputation_and_ses_can_pause_it() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    ses.create_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();

    let created = ses
        .create_tenant()
        .tenant_name("springfield")
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
    let arn = created.tenant_arn().unwrap().to_string();
    assert!(arn.starts_with(&format!("arn:aws:ses:{REGION}:")), "{arn}");
    let again = ses
        .create_tenant()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("AlreadyExistsException"));

    let got = ses
        .get_tenant()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap();
    let tenant = got.tenant().unwrap();
    assert_eq!(tenant.tenant_arn(), Some(arn.as_str()));
    assert_eq!(tenant.tags()[0].value(), "springfield");
    assert_eq!(tenant.sending_status(), Some(&SendingStatus::Enabled));
    let listed = ses.list_tenants().send().await.unwrap();
    assert_eq!(listed.tenants().len(), 1);

    // Only what exists can be associated, and only once.
    let identity = format!("arn:aws:ses:{REGION}:123456789012:identity/springfield.example.org");
    associate(&ses, &identity).await.unwrap();
    assert_eq!(
        associate(&ses, &identity).await.unwrap_err(),
        "AlreadyExistsException"
    );
    let nobody = format!("arn:aws:ses:{REGION}:123456789012:identity/nobody.example.org");
    assert_eq!(
        associate(&ses, &nobody).await.unwrap_err(),
        "NotFoundException"
    );
    let resources = ses
        .list_tenant_resources()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resources.tenant_resources()[0].resource_arn(),
        Some(identity.as_str())
    );
    let of_identity = ses
        .list_resource_tenants()
        .resource_arn(&identity)
        .send()
        .await
        .unwrap();
    assert_eq!(
        of_identity.resource_tenants()[0].tenant_name(),
        Some("springfield")
    );

    // A new tenant has the standard policy and sends.
    let entity = ses
        .get_reputation_entity()
        .reputation_entity_type(ReputationEntityType::Resource)
        .reputation_entity_reference(&arn)
        .send()
        .await
        .unwrap();
    let entity = entity.reputation_entity().unwrap();
    assert_eq!(
        entity.reputation_management_policy(),
        Some(policy("standard").as_str())
    );
    assert_eq!(
        entity.sending_status_aggregate(),
        Some(&SendingStatus::Enabled)
    );

    ses.update_reputation_entity_policy()
        .reputation_entity_type(ReputationEntityType::Resource)
        .reputation_entity_reference(&arn)
        .reputation_entity_policy(policy("strict"))
        .send()
        .await
        .unwrap();
    let bad = ses
        .update_reputation_entity_policy()
        .reputation_entity_type(ReputationEntityType::Resource)
        .reputation_entity_reference(&arn)
        .reputation_entity_policy("arn:aws:ses:us-east-1:aws:reputation-policy/lenient")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("BadRequestException"));

    // SES pauses it on a finding: the aggregate is DISABLED, with SES's cause and the impact.
    sandbox
        .set_reputation(
            "springfield",
            &ReputationFinding::paused_by_ses("bounce rate 12%"),
        )
        .unwrap();
    let entities = ses.list_reputation_entities().send().await.unwrap();
    let entity = &entities.reputation_entities()[0];
    assert_eq!(entity.reputation_entity_reference(), Some(arn.as_str()));
    assert_eq!(
        entity.reputation_management_policy(),
        Some(policy("strict").as_str())
    );
    assert_eq!(
        entity.sending_status_aggregate(),
        Some(&SendingStatus::Disabled)
    );
    let by_ses = entity.aws_ses_managed_status().unwrap();
    assert_eq!(by_ses.cause(), Some("bounce rate 12%"));
    assert_eq!(
        entity.customer_managed_status().unwrap().status(),
        Some(&SendingStatus::Enabled)
    );
    assert_eq!(entity.reputation_impact().map(|i| i.as_str()), Some("HIGH"));

    // The operator's own pause is the customer-managed status.
    ses.update_reputation_entity_customer_managed_status()
        .reputation_entity_type(ReputationEntityType::Resource)
        .reputation_entity_reference(&arn)
        .sending_status(SendingStatus::Disabled)
        .send()
        .await
        .unwrap();
    let entities = ses.list_reputation_entities().send().await.unwrap();
    assert_eq!(
        entities.reputation_entities()[0]
            .customer_managed_status()
            .unwrap()
            .status(),
        Some(&SendingStatus::Disabled)
    );

    // Deleting the tenant drops its associations, never the identity.
    ses.delete_tenant()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap();
    let gone = ses
        .get_tenant()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Some("NotFoundException"));
    ses.get_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();
    // And the admin API names what it cannot find.
    let err = sandbox
        .set_reputation(
            "springfield",
            &ReputationFinding {
                status: "DISABLED".into(),
                cause: None,
                impact: None,
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("no SES tenant springfield"),
        "{err}"
    );
}

#[tokio::test]
async fn the_admin_command_sets_a_finding_through_the_binary() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    ses.create_tenant()
        .tenant_name("shelbyville")
        .send()
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailform-sandbox"))
        .args([
            "--admin",
            &sandbox.endpoints().admin,
            "reputation",
            "set",
            "shelbyville",
            "--sending",
            "disabled",
            "--impact",
            "high",
            "--finding",
            "complaint rate 0.6%",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entities = ses.list_reputation_entities().send().await.unwrap();
    let entity = &entities.reputation_entities()[0];
    assert_eq!(
        entity.aws_ses_managed_status().unwrap().cause(),
        Some("complaint rate 0.6%")
    );
    assert_eq!(
        entity.sending_status_aggregate(),
        Some(&SendingStatus::Disabled)
    );

    // A tenant that does not exist: a clear refusal, exit code 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailform-sandbox"))
        .args([
            "--admin",
            &sandbox.endpoints().admin,
            "reputation",
            "set",
            "nobody",
            "--sending",
            "disabled",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no SES tenant nobody"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One message from `from` to the simulator's success address, through `tenant` when given:
/// the error code when SES refuses it.
async fn send_through(
    ses: &aws_sdk_sesv2::Client,
    from: &str,
    tenant: Option<&str>,
) -> Result<(), String> {
    use aws_sdk_sesv2::types::Destination;
    ses.send_email()
        .from_email_address(from)
        .destination(
            Destination::builder()
                .to_addresses("success@simulator.amazonses.com")
                .build(),
        )
        .content(harness::text_message(
            "Your loan is due",
            "Please bring it back.",
        ))
        .set_tenant_name(tenant.map(str::to_string))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or_default().to_string())
}

#[tokio::test]
async fn mail_through_a_tenant_uses_only_what_it_holds_and_stops_while_it_is_paused() {
    let sandbox = harness::start();
    let ses = harness::ses(&sandbox);
    let from = "news@springfield.example.org";
    ses.create_email_identity()
        .email_identity(from)
        .send()
        .await
        .unwrap();
    sandbox.confirm_address(from).unwrap();
    // Without a tenant the verified address sends; through a tenant that does not exist, not.
    assert_eq!(send_through(&ses, from, None).await, Ok(()));
    assert_eq!(
        send_through(&ses, from, Some("springfield")).await,
        Err("NotFoundException".to_string())
    );
    ses.create_tenant()
        .tenant_name("springfield")
        .send()
        .await
        .unwrap();
    // SES sends through a tenant only the resources associated with it.
    assert_eq!(
        send_through(&ses, from, Some("springfield")).await,
        Err("BadRequestException".to_string())
    );
    let identity = |name: &str| format!("arn:aws:ses:{REGION}:123456789012:identity/{name}");
    // The mail goes through the verified address's own identity, so holding its domain's
    // identity (not verified) is not enough; holding the address's is.
    ses.create_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();
    associate(&ses, &identity("springfield.example.org"))
        .await
        .unwrap();
    assert_eq!(
        send_through(&ses, from, Some("springfield")).await,
        Err("BadRequestException".to_string())
    );
    associate(&ses, &identity(from)).await.unwrap();
    assert_eq!(send_through(&ses, from, Some("springfield")).await, Ok(()));
    // A configuration set the message names must be held too.
    ses.create_configuration_set()
        .configuration_set_name("library-mail")
        .send()
        .await
        .unwrap();
    let with_set = ses
        .send_email()
        .from_email_address(from)
        .configuration_set_name("library-mail")
        .tenant_name("springfield")
        .destination(
            aws_sdk_sesv2::types::Destination::builder()
                .to_addresses("success@simulator.amazonses.com")
                .build(),
        )
        .content(
            aws_sdk_sesv2::types::EmailContent::builder()
                .raw(
                    aws_sdk_sesv2::types::RawMessage::builder()
                        .data(aws_sdk_sesv2::primitives::Blob::new(
                            "Subject: due\r\n\r\nPlease bring it back.\r\n",
                        ))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(with_set.code(), Some("BadRequestException"));

    // SES pauses the tenant: its mail stops, other mail goes on.
    sandbox
        .set_reputation(
            "springfield",
            &ReputationFinding::paused_by_ses("bounce rate 11% over the last 7 days"),
        )
        .unwrap();
    assert_eq!(
        send_through(&ses, from, Some("springfield")).await,
        Err("SendingPausedException".to_string())
    );
    assert_eq!(send_through(&ses, from, None).await, Ok(()));
}
