//! The AWS adapters against the sandbox: facts, retries on throttling, 5xx and latency, the
//! rate limiter, pagination and the one clear error.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_sdk_route53domains::types::{ContactDetail, ContactType, CountryCode};
use aws_sdk_sesv2::types::Tag;
use mailform::live::ReadErrorKind;
use mailform::live::account::AccountReader;
use mailform::live::aws::Rates;
use mailform::live::facts::{IdentityKind, Status};
use mailform::live::ownership::{self, Ownership, ResourceKind};
use mailform::live::registrar::RegistrarReader;
use mailform::live::route53::Route53Reader;
use mailform::live::ses::SesReader;
use mailform::sandbox::{
    FaultKind, FaultRule, RateLimits, RecordInput, SandboxConfig, SandboxHandle, Service,
};

use super::{adapters, options};
use crate::support::sandbox as harness;

const VERIFIED: &str = "verified-library.example.org";
const PENDING: &str = "pending-library.example.org";

fn sandbox() -> (tempfile::TempDir, SandboxHandle) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    (dir, sandbox)
}

/// Creates a domain identity tagged as mailform's for `library`; answers its DKIM tokens.
async fn identity(sandbox: &SandboxHandle, domain: &str, library: Option<&str>) -> Vec<String> {
    let ses = harness::ses(sandbox);
    let mut call = ses.create_email_identity().email_identity(domain);
    if let Some(library) = library {
        for (k, v) in [("managed-by", "mailform"), ("library", library)] {
            call = call.tags(Tag::builder().key(k).value(v).build().unwrap());
        }
    }
    let out = call.send().await.expect("create the identity");
    out.dkim_attributes().expect("Easy DKIM").tokens().to_vec()
}

/// Installs the three CNAMEs, as the library's IT staff would.
fn install_dkim(sandbox: &SandboxHandle, domain: &str, tokens: &[String]) {
    for t in tokens {
        sandbox
            .add_record(
                domain,
                RecordInput::new(
                    &format!("{t}._domainkey.{domain}."),
                    "CNAME",
                    &format!("{t}.dkim.amazonses.com"),
                ),
            )
            .unwrap();
    }
}

async fn two_identities(sandbox: &SandboxHandle) {
    let tokens = identity(sandbox, VERIFIED, Some("verified-library")).await;
    install_dkim(sandbox, VERIFIED, &tokens);
    identity(sandbox, PENDING, None).await;
}

#[tokio::test]
async fn ses_facts_are_read_as_they_are() {
    let (_dir, sandbox) = sandbox();
    two_identities(&sandbox).await;
    let aws = adapters(&options(&sandbox)).await;

    let account = aws.ses.account().await.unwrap();
    assert!(account.production_access && account.sending_enabled);
    let mut names: Vec<String> = aws
        .ses
        .identities()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    names.sort();
    assert_eq!(names, [PENDING, VERIFIED]);

    let verified = aws.ses.identity(VERIFIED).await.unwrap().expect("exists");
    assert_eq!(verified.kind, IdentityKind::Domain);
    assert_eq!(verified.verification_status, Some(Status::Success));
    assert!(verified.verified_for_sending);
    let dkim = verified.dkim.as_ref().expect("DKIM attributes");
    assert_eq!(dkim.status, Some(Status::Success));
    assert_eq!(dkim.tokens.len(), 3);
    assert_eq!(
        dkim.signing_hosted_zone.as_deref(),
        Some("dkim.amazonses.com")
    );
    assert_eq!(
        verified.tags.get("managed-by").map(String::as_str),
        Some("mailform")
    );

    let pending = aws.ses.identity(PENDING).await.unwrap().expect("exists");
    assert_eq!(pending.verification_status, Some(Status::Pending));
    assert!(!pending.verified_for_sending, "pending is not a failure");
    assert!(pending.tags.is_empty());

    assert_eq!(aws.ses.identity("absent.example.org").await.unwrap(), None);
}

#[tokio::test]
async fn throttling_at_every_ses_call_still_reads_the_truth() {
    let (_dir, sandbox) = sandbox();
    two_identities(&sandbox).await;
    let aws = adapters(&options(&sandbox)).await;
    let clean = (
        aws.ses.account().await.unwrap(),
        aws.ses.identity(VERIFIED).await.unwrap(),
        aws.ses.identity(PENDING).await.unwrap(),
    );
    sandbox.clear_request_log();

    // Every call's first attempt is throttled.
    let throttle =
        || sandbox.inject_fault(FaultRule::new(Service::Ses, FaultKind::Throttle).times(1));
    throttle();
    let account = aws.ses.account().await.unwrap();
    throttle();
    let listed = aws.ses.identities().await.unwrap();
    throttle();
    let verified = aws.ses.identity(VERIFIED).await.unwrap();
    throttle();
    let pending = aws.ses.identity(PENDING).await.unwrap();
    throttle();
    aws.ses.configuration_sets().await.unwrap();

    assert_eq!((account, verified, pending), clean);
    assert_eq!(listed.len(), 2);
    let log = sandbox.request_log();
    let throttled = log.iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 5, "{log:#?}");
    assert_eq!(
        log.iter().filter(|e| e.status == 200).count(),
        5,
        "{log:#?}"
    );
}

#[tokio::test]
async fn server_errors_and_latency_are_survived() {
    let (_dir, sandbox) = sandbox();
    two_identities(&sandbox).await;
    let aws = adapters(&options(&sandbox)).await;
    let clean = aws.ses.identity(VERIFIED).await.unwrap();
    let zones_clean = aws.route53.hosted_zones().await.unwrap();

    for service in [Service::Ses, Service::Route53, Service::Route53Domains] {
        sandbox.inject_fault(FaultRule::new(service, FaultKind::ServerError).times(2));
        sandbox.inject_fault(FaultRule::new(service, FaultKind::Latency { millis: 300 }).times(1));
    }
    assert_eq!(aws.ses.identity(VERIFIED).await.unwrap(), clean);
    assert_eq!(aws.route53.hosted_zones().await.unwrap(), zones_clean);
    assert!(aws.registrar.domains().await.unwrap().is_empty());
    let log = sandbox.request_log();
    assert_eq!(
        log.iter().filter(|e| e.status == 500).count(),
        6,
        "{log:#?}"
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.fault.as_deref() == Some("latency"))
            .count(),
        3,
        "{log:#?}"
    );
}

#[tokio::test]
async fn the_documented_rates_are_never_exceeded() {
    let (_dir, sandbox) = sandbox();
    for i in 0..4 {
        identity(&sandbox, &format!("library-{i}.example.org"), None).await;
    }
    sandbox.set_rate_limits(RateLimits::documented());
    sandbox.clear_request_log();
    let mut opts = options(&sandbox);
    opts.rates = Rates::default();
    // One attempt only: a single 429 would fail the read.
    opts.retries.max_attempts = 1;
    let aws = adapters(&opts).await;

    let started = std::time::Instant::now();
    let names: Vec<String> = aws
        .ses
        .identities()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    // Concurrent callers share the one limiter.
    let details = futures::future::join_all(names.iter().map(|n| aws.ses.identity(n))).await;
    for d in details {
        assert!(d.unwrap().is_some());
    }
    aws.ses.account().await.unwrap();
    let zones = futures::future::join_all((0..6).map(|_| aws.route53.hosted_zones())).await;
    assert!(zones.into_iter().all(|z| z.is_ok()));

    let log = sandbox.request_log();
    assert!(log.iter().all(|e| e.status == 200), "{log:#?}");
    // 6 SES calls at 1 a second take at least 5 seconds.
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn every_page_is_read() {
    let (_dir, sandbox) = sandbox();
    for i in 0..5 {
        identity(&sandbox, &format!("library-{i}.example.org"), None).await;
    }
    let route53 = harness::route53(&sandbox);
    let zone = route53
        .create_hosted_zone()
        .name("managed-library.example.com")
        .caller_reference("pages")
        .send()
        .await
        .unwrap();
    let zone_id = zone
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let changes: Vec<Change> = (0..5)
        .map(|i| {
            let set = ResourceRecordSet::builder()
                .name(format!("r{i}.managed-library.example.com"))
                .r#type(RrType::Txt)
                .ttl(300)
                .resource_records(
                    ResourceRecord::builder()
                        .value(format!("\"v{i}\""))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap()
        })
        .collect();
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..2 {
        route53
            .create_hosted_zone()
            .name(format!("other-{i}.example.com"))
            .caller_reference(format!("other-{i}"))
            .send()
            .await
            .unwrap();
    }
    sandbox.clear_request_log();
    let mut opts = options(&sandbox);
    opts.page_size = Some(2);
    let aws = adapters(&opts).await;

    assert_eq!(aws.ses.identities().await.unwrap().len(), 5);
    assert_eq!(aws.route53.hosted_zones().await.unwrap().len(), 3);
    let records = aws.route53.record_sets(&zone_id).await.unwrap();
    // SOA, NS and the five TXT sets.
    assert_eq!(records.len(), 7, "{records:#?}");
    assert!(
        records
            .iter()
            .any(|r| r.name == "r4.managed-library.example.com" && r.values == ["\"v4\""])
    );

    let calls = |op: &str| {
        sandbox
            .request_log()
            .iter()
            .filter(|e| e.operation == op)
            .count()
    };
    assert_eq!(calls("ListEmailIdentities"), 3);
    assert_eq!(calls("ListHostedZones"), 2);
    assert_eq!(calls("ListResourceRecordSets"), 4);
}

#[tokio::test]
async fn registered_domains_and_operations_are_read() {
    let (_dir, sandbox) = sandbox();
    let domains = harness::domains(&sandbox);
    let contact = ContactDetail::builder()
        .contact_type(ContactType::Company)
        .organization_name("Library Market")
        .first_name("Pat")
        .last_name("Example")
        .email("domains@library-market.example.com")
        .phone_number("+1.5555550100")
        .address_line1("100 Example Street")
        .city("Springfield")
        .country_code(CountryCode::Us)
        .zip_code("62701")
        .build();
    domains
        .register_domain()
        .domain_name("managed-library.org")
        .duration_in_years(2)
        .admin_contact(contact.clone())
        .registrant_contact(contact.clone())
        .tech_contact(contact)
        .send()
        .await
        .unwrap();
    let aws = adapters(&options(&sandbox)).await;
    let ops = aws.registrar.operations().await.unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (ops[0].kind.as_str(), ops[0].status.as_str()),
        ("REGISTER_DOMAIN", "SUBMITTED")
    );
    sandbox.advance_clock(Duration::from_secs(16 * 60));

    let listed = aws.registrar.domains().await.unwrap();
    assert_eq!(listed.len(), 1);
    let detail = aws.registrar.domain("managed-library.org").await.unwrap();
    assert_eq!(detail.name, "managed-library.org");
    assert!(detail.expiry.is_some());
    assert!(!detail.name_servers.is_empty());
    // Finished operations are not asked for: they only grow, and nothing depends on them.
    let ops = aws.registrar.operations().await.unwrap();
    assert!(ops.is_empty(), "{ops:?}");
    let price = aws
        .registrar
        .price("org")
        .await
        .unwrap()
        .expect("a price for .org");
    assert!(price.registration.is_some());
    let available = aws
        .registrar
        .availability("free-library.org")
        .await
        .unwrap();
    assert_eq!(available.answer, "AVAILABLE");
    // The zone Route 53 Domains created, with its tags (none in the sandbox).
    let zones = aws.route53.hosted_zones().await.unwrap();
    assert_eq!(zones.len(), 1);
    assert!(
        aws.route53
            .zone_tags(&zones[0].id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn access_denied_names_the_iam_action() {
    let (_dir, sandbox) = sandbox();
    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::AccessDenied).operation("GetAccount"),
    );
    let aws = adapters(&options(&sandbox)).await;
    let err = aws.ses.account().await.unwrap_err();
    assert_eq!(
        err.kind,
        ReadErrorKind::AccessDenied {
            action: "ses:GetAccount".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "SES GetAccount failed: access denied; grant the IAM action `ses:GetAccount` to the role mailform runs as"
    );
    sandbox.inject_fault(FaultRule::new(Service::Route53, FaultKind::AccessDenied));
    let err = aws.route53.hosted_zones().await.unwrap_err();
    assert_eq!(
        err.kind,
        ReadErrorKind::AccessDenied {
            action: "route53:ListHostedZones".into()
        }
    );
}

#[tokio::test]
async fn the_account_id_comes_from_sts_and_a_refusal_names_its_action() {
    let (_dir, sandbox) = sandbox();
    let aws = adapters(&options(&sandbox)).await;
    assert_eq!(aws.account.account_id().await.unwrap(), "123456789012");
    sandbox.inject_fault(FaultRule::new(Service::Sts, FaultKind::AccessDenied));
    let err = aws.account.account_id().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "STS GetCallerIdentity failed: access denied; grant the IAM action `sts:GetCallerIdentity` to the role mailform runs as"
    );
    let log: Vec<(Service, String, bool)> = sandbox
        .request_log()
        .into_iter()
        .map(|e| (e.service, e.operation, e.mutating))
        .collect();
    let call = (Service::Sts, "GetCallerIdentity".to_string(), false);
    assert_eq!(log, [call.clone(), call]);
}

#[tokio::test]
async fn throttled_for_ever_and_too_slow_are_named() {
    let (_dir, sandbox) = sandbox();
    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::Throttle).operation("ListEmailIdentities"),
    );
    let mut opts = options(&sandbox);
    opts.timeouts.operation = Duration::from_millis(800);
    let aws = adapters(&opts).await;
    let err = aws.ses.identities().await.unwrap_err();
    assert_eq!(err.kind, ReadErrorKind::Throttled { attempts: 4 });
    assert_eq!(err.operation, "ListEmailIdentities");

    sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::Latency { millis: 3000 }).operation("GetAccount"),
    );
    let err = aws.ses.account().await.unwrap_err();
    assert_eq!(err.kind, ReadErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn ownership_of_what_was_read() {
    let (_dir, sandbox) = sandbox();
    two_identities(&sandbox).await;
    identity(&sandbox, "old-library.example.org", Some("old-library")).await;
    let aws = adapters(&options(&sandbox)).await;

    let cli = crate::support::cli::Cli::with_platform()
        .file(
            "libraries/verified-library.kdl",
            "library \"verified-library\" {\n    name \"V\"\n    it-contact \"it@verified-library.example.org\"\n\n    ses-domain {\n        from \"noreply@verified-library.example.org\"\n    }\n}\n",
        )
        .file(
            "libraries/pending-library.kdl",
            "library \"pending-library\" {\n    name \"P\"\n    it-contact \"it@pending-library.example.org\"\n\n    ses-domain {\n        from \"noreply@pending-library.example.org\"\n        adopt #true\n    }\n}\n",
        );
    let (mut sources, _) = mailform::config::read_sources(&[cli.path().join("libraries")]);
    let analysis = mailform::config::analyze(
        &mut sources,
        &mailform::config::AnalyzeOptions {
            today: mailform::model::Date::parse("2026-11-26").unwrap(),
        },
    );
    let config = analysis.config.expect("the files are valid");

    let mut found = BTreeMap::new();
    for summary in aws.ses.identities().await.unwrap() {
        let i = aws.ses.identity(&summary.name).await.unwrap().unwrap();
        found.insert(
            i.name.clone(),
            ownership::classify(&config, ResourceKind::SesIdentity, &i.name, &i.tags),
        );
    }
    let id = |s: &str| mailform::model::LibraryId::parse(s).unwrap();
    assert_eq!(
        found,
        BTreeMap::from([
            (
                VERIFIED.to_string(),
                Ownership::Managed {
                    library: id("verified-library")
                }
            ),
            (
                PENDING.to_string(),
                Ownership::Adoptable {
                    library: id("pending-library")
                }
            ),
            (
                "old-library.example.org".to_string(),
                Ownership::Orphaned {
                    library: "old-library".into()
                }
            ),
        ])
    );
}
