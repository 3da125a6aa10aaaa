//! Whole snapshots through the real adapters: a snapshot read through throttling, server
//! errors and latency equals the one read without them.

use std::time::Duration;

use mailform::live::ReadError;
use mailform::live::clock::FixedClock;
use mailform::live::dns::{DnsSource, HickoryDns};
use mailform::live::event_destinations::EventDestinationReader;
use mailform::live::facts::{ConfigurationSet, IdentitySummary, SesAccount, SesIdentity};
use mailform::live::gather::{GatherOptions, Readers, gather};
use mailform::live::ses::{AwsSes, SesReader};
use mailform::live::snapshot::{EventDestinationV1, LiveSnapshotV1};
use mailform::live::tenants::{ReputationEntity, TenantDetail, TenantReader, TenantSummary};
use mailform::model::Config;
use mailform::probe::ProbeOptions;
use mailform::sandbox::{FaultKind, FaultRule, RecordInput, SandboxConfig, SandboxHandle, Service};

use super::{adapters, options};
use crate::support::sandbox as harness;

const LIBRARIES: [&str; 3] = ["alpha", "beta", "gamma"];

/// Throttles the first attempt of every SES call it passes on.
struct ThrottleEveryCall<'a> {
    inner: AwsSes,
    sandbox: &'a SandboxHandle,
}

impl ThrottleEveryCall<'_> {
    fn arm(&self, operation: &str) {
        self.sandbox.inject_fault(
            FaultRule::new(Service::Ses, FaultKind::Throttle)
                .operation(operation)
                .times(1),
        );
    }
}

impl SesReader for ThrottleEveryCall<'_> {
    async fn account(&self) -> Result<SesAccount, ReadError> {
        self.arm("GetAccount");
        self.inner.account().await
    }
    async fn identities(&self) -> Result<Vec<IdentitySummary>, ReadError> {
        self.arm("ListEmailIdentities");
        self.inner.identities().await
    }
    async fn identity(&self, name: &str) -> Result<Option<SesIdentity>, ReadError> {
        self.arm("GetEmailIdentity");
        self.inner.identity(name).await
    }
    async fn configuration_sets(&self) -> Result<Vec<ConfigurationSet>, ReadError> {
        self.arm("ListConfigurationSets");
        self.inner.configuration_sets().await
    }
}

impl EventDestinationReader for ThrottleEveryCall<'_> {
    async fn event_destinations(
        &self,
        set: &str,
    ) -> Result<Option<Vec<EventDestinationV1>>, ReadError> {
        self.arm("GetConfigurationSetEventDestinations");
        self.inner.event_destinations(set).await
    }
}

impl TenantReader for ThrottleEveryCall<'_> {
    async fn tenants(&self) -> Result<Vec<TenantSummary>, ReadError> {
        self.arm("ListTenants");
        self.inner.tenants().await
    }
    async fn tenant(&self, name: &str) -> Result<Option<TenantDetail>, ReadError> {
        self.arm("GetTenant");
        self.arm("ListTenantResources");
        self.inner.tenant(name).await
    }
    async fn reputation_entities(&self) -> Result<Vec<ReputationEntity>, ReadError> {
        self.arm("ListReputationEntities");
        self.inner.reputation_entities().await
    }
}

fn library_file(id: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n}}\n"
    )
}

fn config() -> Config {
    let mut cli = crate::support::cli::Cli::with_platform();
    for id in LIBRARIES {
        cli = cli.file(&format!("libraries/{id}.kdl"), &library_file(id));
    }
    let (mut sources, _) = mailform::config::read_sources(&[cli.path().join("libraries")]);
    mailform::config::analyze(
        &mut sources,
        &mailform::config::AnalyzeOptions {
            today: mailform::model::Date::parse("2026-11-26").unwrap(),
        },
    )
    .config
    .expect("valid files")
}

/// alpha verified, beta half-way (one CNAME), gamma pending.
async fn world() -> (tempfile::TempDir, SandboxHandle) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let ses = harness::ses(&sandbox);
    for (id, installed) in LIBRARIES.into_iter().zip([3, 1, 0]) {
        let domain = format!("{id}.example.org");
        let out = ses
            .create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .unwrap();
        let tokens = out.dkim_attributes().unwrap().tokens().to_vec();
        sandbox.create_zone(&domain);
        for t in &tokens[..installed] {
            sandbox
                .add_record(
                    &domain,
                    RecordInput::new(
                        &format!("{t}._domainkey"),
                        "CNAME",
                        &format!("{t}.dkim.amazonses.com"),
                    ),
                )
                .unwrap();
        }
    }
    (dir, sandbox)
}

async fn snapshot<S: SesReader + TenantReader + EventDestinationReader + Sync>(
    sandbox: &SandboxHandle,
    ses: S,
    config: &Config,
) -> LiveSnapshotV1 {
    let aws = adapters(&options(sandbox)).await;
    let readers = Readers {
        ses,
        route53: aws.route53,
        registrar: aws.registrar,
        dns: HickoryDns::new(
            DnsSource::Server(sandbox.endpoints().dns),
            Duration::from_secs(2),
        )
        .unwrap(),
    };
    let lookup = |_: &str| None;
    let progress = |_: &str| {};
    let opts = GatherOptions {
        targets: None,
        // One call at a time, so each armed fault hits the call that armed it.
        concurrency: 1,
        dns_deadline: std::time::Duration::from_secs(60),
        probe: ProbeOptions::default(),
        secret_lookup: &lookup,
        progress: &progress,
        meters: &Default::default(),
        baseline: None,
    };
    gather(
        config,
        &readers,
        &opts,
        &FixedClock::at_unix(harness::START),
    )
    .await
    .expect("the refresh succeeds")
}

fn statuses(s: &LiveSnapshotV1) -> Vec<(String, Option<String>, Vec<String>)> {
    let mut out: Vec<_> = s
        .ses
        .identities
        .iter()
        .map(|i| {
            let library = s
                .libraries
                .iter()
                .find(|l| l.identity.as_deref() == Some(i.name.as_str()))
                .unwrap();
            let dkim = library.dns.as_ref().unwrap().dkim.iter();
            (
                i.name.clone(),
                i.verification_status.clone(),
                dkim.map(|c| c.verdict.clone()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn throttling_at_every_ses_call_yields_the_same_snapshot() {
    let (_dir, sandbox) = world().await;
    let config = config();
    let aws = adapters(&options(&sandbox)).await;
    let clean = snapshot(&sandbox, aws.ses.clone(), &config).await;
    let present = "dns::present".to_string();
    let missing = "dns::missing".to_string();
    assert_eq!(
        statuses(&clean),
        [
            (
                "alpha.example.org".into(),
                Some("SUCCESS".into()),
                vec![present.clone(); 3]
            ),
            (
                "beta.example.org".into(),
                Some("PENDING".into()),
                vec![present, missing.clone(), missing.clone()]
            ),
            (
                "gamma.example.org".into(),
                Some("PENDING".into()),
                vec![missing; 3]
            ),
        ]
    );

    sandbox.clear_request_log();
    let throttled = ThrottleEveryCall {
        inner: aws.ses.clone(),
        sandbox: &sandbox,
    };
    assert_eq!(snapshot(&sandbox, throttled, &config).await, clean);
    let ses: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.service == Service::Ses)
        .collect();
    // GetAccount, ListEmailIdentities, 3 × GetEmailIdentity, ListConfigurationSets: each
    // throttled once, then answered.
    assert_eq!(
        ses.iter().filter(|e| e.status == 429).count(),
        6,
        "{ses:#?}"
    );
    assert_eq!(
        ses.iter().filter(|e| e.status == 200).count(),
        6,
        "{ses:#?}"
    );
}

#[tokio::test]
async fn server_errors_and_latency_everywhere_yield_the_same_snapshot() {
    let (_dir, sandbox) = world().await;
    let config = config();
    let aws = adapters(&options(&sandbox)).await;
    let clean = snapshot(&sandbox, aws.ses.clone(), &config).await;
    for service in [Service::Ses, Service::Route53, Service::Route53Domains] {
        sandbox.inject_fault(FaultRule::new(service, FaultKind::ServerError).times(3));
        sandbox.inject_fault(FaultRule::new(service, FaultKind::Latency { millis: 200 }).times(2));
        sandbox.inject_fault(FaultRule::new(service, FaultKind::DropConnection).times(1));
    }
    assert_eq!(snapshot(&sandbox, aws.ses.clone(), &config).await, clean);
    let log = sandbox.request_log();
    assert_eq!(log.iter().filter(|e| e.status == 500).count(), 9);
}
