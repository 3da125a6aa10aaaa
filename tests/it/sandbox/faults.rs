//! Each injected fault kind and the rate limit, as the SDKs report them:
//! without retries the error kind, with retries the recovery.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::get_account::GetAccountError;
use mailform::sandbox::{FaultKind, FaultRule, RateLimits, Service};

use crate::support::sandbox::{self as harness, Client};

#[tokio::test]
async fn ses_throttling_is_a_429_too_many_requests_and_retries_recover() {
    let sandbox = harness::start();
    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::Throttle)
            .operation("GetAccount")
            .times(1),
    );
    let err = harness::ses(&sandbox)
        .get_account()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(429));
    assert!(matches!(
        err.into_service_error(),
        GetAccountError::TooManyRequestsException(_)
    ));

    sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::Throttle).times(2));
    let ses = Client::retrying(3).ses(&sandbox);
    let account = ses
        .get_account()
        .send()
        .await
        .expect("the third attempt passes");
    assert!(account.production_access_enabled());
    let faults: Vec<_> = sandbox.request_log().into_iter().map(|e| e.fault).collect();
    let throttle = Some("throttle".to_string());
    assert_eq!(faults, [throttle.clone(), throttle.clone(), throttle, None]);
}

#[tokio::test]
async fn route53_throttling_is_a_400_throttling_and_retries_recover() {
    let sandbox = harness::start();
    sandbox.inject_fault(FaultRule::new(Service::Route53, FaultKind::Throttle).times(1));
    let err = harness::route53(&sandbox)
        .list_hosted_zones()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(err.code(), Some("Throttling"));

    sandbox.inject_fault(FaultRule::new(Service::Route53, FaultKind::Throttle).times(2));
    let client = Client::retrying(3).route53(&sandbox);
    client.list_hosted_zones().send().await.expect("recovers");
}

#[tokio::test]
async fn route53domains_throttling_is_a_json_throttling_exception_and_retries_recover() {
    let sandbox = harness::start();
    sandbox.inject_fault(
        FaultRule::new(Service::Route53Domains, FaultKind::Throttle)
            .operation("ListPrices")
            .times(1),
    );
    let err = harness::domains(&sandbox)
        .list_prices()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ThrottlingException"));

    sandbox.inject_fault(FaultRule::new(Service::Route53Domains, FaultKind::Throttle).times(2));
    let client = Client::retrying(3).domains(&sandbox);
    client.list_prices().send().await.expect("recovers");
}

#[tokio::test]
async fn server_errors_are_500s_and_retries_recover() {
    let sandbox = harness::start();
    for service in [Service::Ses, Service::Route53, Service::Route53Domains] {
        sandbox.inject_fault(FaultRule::new(service, FaultKind::ServerError).times(1));
    }
    let err = harness::ses(&sandbox)
        .get_account()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    let err = harness::route53(&sandbox)
        .list_hosted_zones()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    let err = harness::domains(&sandbox)
        .list_domains()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));

    sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::ServerError).times(2));
    Client::retrying(3)
        .ses(&sandbox)
        .get_account()
        .send()
        .await
        .expect("recovers");
}

#[tokio::test]
async fn latency_beyond_the_attempt_timeout_is_a_timeout_and_retries_recover() {
    let sandbox = harness::start();
    let slow = || FaultRule::new(Service::Ses, FaultKind::Latency { millis: 1500 }).times(1);
    let timeout = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(300))
        .build();
    sandbox.inject_fault(slow());
    let impatient = Client {
        retry: None,
        timeout: Some(timeout.clone()),
    };
    let err = impatient
        .ses(&sandbox)
        .get_account()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");

    sandbox.inject_fault(slow());
    let patient = Client {
        timeout: Some(timeout),
        ..Client::retrying(3)
    };
    patient
        .ses(&sandbox)
        .get_account()
        .send()
        .await
        .expect("recovers");
}

#[tokio::test]
async fn a_dropped_connection_is_a_dispatch_failure_and_retries_recover() {
    let sandbox = harness::start();
    sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::DropConnection).times(1));
    let err = harness::ses(&sandbox)
        .get_account()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert_eq!(sandbox.request_log()[0].status, 0);

    sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::DropConnection).times(2));
    Client::retrying(3)
        .ses(&sandbox)
        .get_account()
        .send()
        .await
        .expect("recovers");
}

#[tokio::test]
async fn the_rate_limit_throttles_bursts_and_a_patient_client_gets_through() {
    let sandbox = harness::start();
    sandbox.set_rate_limits(RateLimits::documented());
    let ses = harness::ses(&sandbox);
    ses.get_account()
        .send()
        .await
        .expect("the first request passes");
    let err = ses.get_account().send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        GetAccountError::TooManyRequestsException(_)
    ));

    let patient = Client {
        retry: Some(
            RetryConfig::standard()
                .with_max_attempts(10)
                .with_initial_backoff(Duration::from_millis(400))
                .with_max_backoff(Duration::from_secs(1)),
        ),
        timeout: None,
    };
    patient
        .ses(&sandbox)
        .get_account()
        .send()
        .await
        .expect("gets through");
}

#[tokio::test]
async fn a_change_whose_answer_is_dropped_or_late_is_made_all_the_same() {
    let sandbox = harness::start();
    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::DropAfterCommit)
            .operation("CreateEmailIdentity")
            .times(1),
    );
    let dropped = harness::ses(&sandbox)
        .create_email_identity()
        .email_identity("dropped.example.org")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(dropped, SdkError::DispatchFailure(_)),
        "{dropped:?}"
    );

    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::RespondLate { millis: 2000 })
            .operation("CreateEmailIdentity")
            .times(1),
    );
    let impatient = Client {
        retry: None,
        timeout: Some(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_millis(300))
                .build(),
        ),
    };
    let late = impatient
        .ses(&sandbox)
        .create_email_identity()
        .email_identity("late.example.org")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(late, SdkError::TimeoutError(_)), "{late:?}");

    let listed = harness::ses(&sandbox)
        .list_email_identities()
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = listed
        .email_identities()
        .iter()
        .filter_map(|i| i.identity_name())
        .collect();
    names.sort();
    assert_eq!(names, ["dropped.example.org", "late.example.org"]);
    let log: Vec<(String, u16, Option<String>)> = sandbox
        .request_log()
        .into_iter()
        .take(2)
        .map(|e| (e.operation, e.status, e.fault))
        .collect();
    assert_eq!(
        log,
        [
            (
                "CreateEmailIdentity".to_string(),
                0,
                Some("drop_after_commit".to_string())
            ),
            (
                "CreateEmailIdentity".to_string(),
                200,
                Some("respond_late".to_string())
            ),
        ]
    );
}
