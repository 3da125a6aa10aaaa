//! Route 53 Domains beyond the method-3 story: every availability answer,
//! contact checks, the owner's toggles, transfers and the domain limit.

use std::time::Duration;

use aws_sdk_route53domains::error::ProvideErrorMetadata;
use aws_sdk_route53domains::types::{
    ContactDetail, DomainAvailability, OperationStatus, OperationType,
};
use mailform::sandbox::{Availability, SandboxConfig};

use super::method3::{contact, contact_with_phone};
use crate::support::sandbox as harness;

async fn register(
    client: &aws_sdk_route53domains::Client,
    domain: &str,
    contact: ContactDetail,
) -> Result<
    String,
    aws_sdk_route53domains::error::SdkError<
        aws_sdk_route53domains::operation::register_domain::RegisterDomainError,
    >,
> {
    client
        .register_domain()
        .domain_name(domain)
        .duration_in_years(1)
        .admin_contact(contact.clone())
        .registrant_contact(contact.clone())
        .tech_contact(contact)
        .send()
        .await
        .map(|out| out.operation_id().unwrap_or_default().to_string())
}

#[tokio::test]
async fn every_documented_availability_answer_is_reachable_and_only_available_registers() {
    let sandbox = harness::start();
    let client = harness::domains(&sandbox);
    for (i, answer) in Availability::ALL.into_iter().enumerate() {
        let domain = format!("library-{i}.org");
        sandbox.set_availability(&domain, answer);
        let got = client
            .check_domain_availability()
            .domain_name(&domain)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.availability(),
            Some(&DomainAvailability::from(answer.as_str()))
        );
        let registered = register(&client, &domain, contact()).await;
        assert_eq!(
            registered.is_ok(),
            answer == Availability::Available,
            "{answer:?}"
        );
    }
    let err = client
        .check_domain_availability()
        .domain_name("library.invalidtld")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnsupportedTLD"));
}

#[tokio::test]
async fn contacts_are_validated() {
    let sandbox = harness::start();
    let client = harness::domains(&sandbox);
    let bad_phone = contact_with_phone("555-0100");
    let err = register(&client, "example-library.org", bad_phone)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidInput"));
    assert!(err.message().unwrap().contains("PhoneNumber"));
    let err = client
        .register_domain()
        .domain_name("example-library.org")
        .duration_in_years(1)
        .admin_contact(contact())
        .registrant_contact(contact())
        .send()
        .await
        .unwrap_err();
    assert!(err.message().unwrap().contains("TechContact is required"));
}

#[tokio::test]
async fn the_owner_toggles_auto_renew_and_the_lock_and_gets_codes() {
    let sandbox = harness::start();
    let client = harness::domains(&sandbox);
    register(&client, "example-library.org", contact())
        .await
        .unwrap();
    let err = client
        .enable_domain_auto_renew()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidInput"), "not registered yet");
    sandbox.advance_clock(Duration::from_secs(3600));

    client
        .disable_domain_auto_renew()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap();
    let unlocked = client
        .disable_domain_transfer_lock()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap();
    let detail = client
        .get_operation_detail()
        .operation_id(unlocked.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    // The lock change is an operation that completes later: "Successful submission returns an
    // operation ID that you can use to track the progress and completion of the action", and a
    // second request while it runs is a DuplicateRequest
    // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_domains_DisableDomainTransferLock.html).
    // Until then the domain keeps its lock.
    assert_eq!(detail.r#type(), Some(&OperationType::DomainLock));
    assert_eq!(detail.status(), Some(&OperationStatus::Submitted));
    let lock = |listed: &aws_sdk_route53domains::operation::list_domains::ListDomainsOutput| {
        let summary = &listed.domains()[0];
        (summary.auto_renew(), summary.transfer_lock())
    };
    let listed = client.list_domains().send().await.unwrap();
    assert_eq!(lock(&listed), (Some(false), Some(true)));
    let detail = client
        .get_domain_detail()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status_list(), ["clientTransferProhibited"]);
    let again = client
        .disable_domain_transfer_lock()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some("DuplicateRequest"));
    sandbox.advance_clock(Duration::from_secs(60));
    let detail = client
        .get_operation_detail()
        .operation_id(unlocked.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status(), Some(&OperationStatus::InProgress));
    let listed = client.list_domains().send().await.unwrap();
    assert_eq!(lock(&listed), (Some(false), Some(true)));
    sandbox.advance_clock(Duration::from_secs(4 * 60));
    let detail = client
        .get_operation_detail()
        .operation_id(unlocked.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status(), Some(&OperationStatus::Successful));
    let listed = client.list_domains().send().await.unwrap();
    assert_eq!(lock(&listed), (Some(false), Some(false)));

    let code = client
        .retrieve_domain_auth_code()
        .domain_name("example-library.org")
        .send()
        .await
        .unwrap();
    assert_eq!(code.auth_code().map(str::len), Some(16));

    let transfer = client
        .transfer_domain_to_another_aws_account()
        .domain_name("example-library.org")
        .account_id("210987654321")
        .send()
        .await
        .unwrap();
    assert!(transfer.password().is_some());
    let status = |id: String| {
        let client = client.clone();
        async move {
            client
                .get_operation_detail()
                .operation_id(id)
                .send()
                .await
                .unwrap()
                .status()
                .cloned()
        }
    };
    let id = transfer.operation_id().unwrap().to_string();
    assert_eq!(status(id.clone()).await, Some(OperationStatus::InProgress));
    sandbox.advance_clock(Duration::from_secs(3 * 86_400));
    assert_eq!(status(id).await, Some(OperationStatus::Failed));

    let operations = client.list_operations().send().await.unwrap();
    assert_eq!(operations.operations().len(), 3);
}

#[tokio::test]
async fn a_failed_registration_frees_the_name() {
    let mut config = SandboxConfig::default();
    config
        .failing_registrations
        .insert("unlucky-library.org".into());
    let sandbox = harness::start_with(config);
    let client = harness::domains(&sandbox);
    let id = register(&client, "unlucky-library.org", contact())
        .await
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(3600));
    let detail = client
        .get_operation_detail()
        .operation_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(detail.status(), Some(&OperationStatus::Failed));
    assert!(detail.message().is_some());
    let again = client
        .check_domain_availability()
        .domain_name("unlucky-library.org")
        .send()
        .await
        .unwrap();
    assert_eq!(again.availability(), Some(&DomainAvailability::Available));
}

#[tokio::test]
async fn an_account_registers_at_most_20_domains() {
    let sandbox = harness::start();
    let client = harness::domains(&sandbox);
    for i in 0..20 {
        register(&client, &format!("library-{i}.org"), contact())
            .await
            .unwrap();
    }
    let err = register(&client, "library-20.org", contact())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("DomainLimitExceeded"));
}
