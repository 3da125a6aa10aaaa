//! Refresh scope against the sandbox: a plan with `--baseline` over a converged estate makes
//! no deep read, and after each kind of change (a library file edited or added, a record
//! removed at the library's provider or in a managed zone, auto-renew turned off, an identity
//! deleted out of band) the scoped plan equals a full refresh's plan, having read in depth
//! only what the change touched.

use mailform::sandbox::{RateLimits, SandboxConfig, SandboxHandle};

use crate::support::cli::bin;
use crate::support::estate::{Estate, domain};
use crate::support::sandbox as harness;

/// Deep reads, as the sandbox logs their operations.
const DEEP: &[&str] = &[
    "GetEmailIdentity",
    "GetDomainDetail",
    "ListResourceRecordSets",
    "ListTagsForResource",
];

struct Scene {
    _dir: tempfile::TempDir,
    sandbox: SandboxHandle,
    estate: Estate,
    baseline: String,
}

impl Scene {
    /// Six libraries (two of each method), converged, and a full refresh of them as baseline.
    fn converged() -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = harness::start_with(SandboxConfig {
            domain_limit: 100,
            ..SandboxConfig::default()
        });
        let estate = Estate::write(dir.path(), 6);
        estate
            .converge(&bin(), &sandbox)
            .expect("the estate converges");
        let baseline = dir.path().join("baseline.json").display().to_string();
        let out = estate.run_fast(&bin(), &sandbox, &["refresh", "--out", &baseline]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        Scene {
            _dir: dir,
            sandbox,
            estate,
            baseline,
        }
    }

    /// The scoped plan (JSON), asserting it equals a full refresh's, and the deep reads it made.
    fn scoped_equals_full(&self) -> (String, Vec<String>) {
        self.sandbox.clear_request_log();
        let scoped = self.estate.run_fast(
            &bin(),
            &self.sandbox,
            &["plan", "--format", "json", "--baseline", &self.baseline],
        );
        assert_eq!(scoped.code, 0, "{}", scoped.stderr);
        assert!(
            scoped.stderr.contains("refresh: scoped;"),
            "{}",
            scoped.stderr
        );
        let deep: Vec<String> = self
            .sandbox
            .request_log()
            .into_iter()
            .filter(|e| DEEP.contains(&e.operation.as_str()))
            .map(|e| e.operation)
            .collect();
        let full = self.estate.run_fast(
            &bin(),
            &self.sandbox,
            &[
                "plan",
                "--format",
                "json",
                "--baseline",
                &self.baseline,
                "--refresh",
                "full",
            ],
        );
        assert_eq!(full.code, 0, "{}", full.stderr);
        assert!(!full.stderr.contains("refresh: scoped"), "{}", full.stderr);
        assert_eq!(
            scoped.stdout, full.stdout,
            "the scoped plan must equal the full one"
        );
        (scoped.stdout, sorted(deep))
    }
}

fn sorted(mut ops: Vec<String>) -> Vec<String> {
    ops.sort();
    ops
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scoped_plan_reads_in_depth_only_what_changed_and_equals_a_full_one() {
    let scene = Scene::converged();

    // Converged: no deep read at all, and nothing to change.
    let (plan, deep) = scene.scoped_equals_full();
    assert!(deep.is_empty(), "{deep:?}");
    assert!(plan.contains("\"libraries\""), "{plan}");
    assert!(
        !plan.contains("\"op\""),
        "a converged estate has no changes: {plan}"
    );

    // The same with the documented rate limits enforced and mailform's own default rates:
    // the few list calls fit, nothing is throttled.
    scene.sandbox.set_rate_limits(RateLimits::documented());
    scene.sandbox.clear_request_log();
    let limited = scene.estate.run(
        &bin(),
        &scene.sandbox,
        &["plan", "--baseline", &scene.baseline],
    );
    assert_eq!(limited.code, 0, "{}", limited.stderr);
    assert!(
        limited.stdout.starts_with("No changes."),
        "{}",
        limited.stdout
    );
    assert!(
        scene
            .sandbox
            .request_log()
            .iter()
            .all(|e| e.error.is_none()),
        "{:?}",
        scene.sandbox.request_log()
    );
    scene.sandbox.set_rate_limits(RateLimits::default());

    // A library file edited: that library's identity is read again, and the change planned.
    scene
        .estate
        .set_library(0, "        dkim-key-length 1024\n");
    let (plan, deep) = scene.scoped_equals_full();
    assert_eq!(deep, ["GetEmailIdentity"], "only lib-0000's identity");
    assert!(plan.contains("RSA_1024_BIT"), "{plan}");
    scene.estate.set_library(0, "");

    // A DKIM record removed at a method-1 library's DNS provider: DNS shows it, so the
    // library is read again and told to put it back.
    let name = domain(3).unwrap();
    let record = scene
        .sandbox
        .records(&name)
        .unwrap()
        .into_iter()
        .find(|r| r.rtype == "CNAME")
        .expect("a DKIM CNAME");
    scene
        .sandbox
        .remove_record(&name, &record.name, "CNAME", None)
        .unwrap();
    let (plan, deep) = scene.scoped_equals_full();
    assert_eq!(deep, ["GetEmailIdentity"], "only lib-0003's identity");
    assert!(plan.contains("dns::missing"), "{plan}");

    // A DKIM record deleted from a managed domain's hosted zone: rewritten by the plan.
    let managed = domain(4).unwrap();
    let zone = harness::route53(&scene.sandbox)
        .list_hosted_zones_by_name()
        .dns_name(&managed)
        .send()
        .await
        .unwrap();
    let zone_id = zone.hosted_zones()[0].id().to_string();
    let sets = harness::route53(&scene.sandbox)
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    let cname = sets
        .resource_record_sets()
        .iter()
        .find(|r| r.r#type().as_str() == "CNAME")
        .expect("a DKIM CNAME in the managed zone")
        .clone();
    harness::route53(&scene.sandbox)
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Delete)
                        .resource_record_set(cname)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (plan, deep) = scene.scoped_equals_full();
    // lib-0003 (its record still missing) and lib-0004: identity, domain, zone records, tags.
    assert_eq!(
        deep,
        [
            "GetDomainDetail",
            "GetEmailIdentity",
            "GetEmailIdentity",
            "ListResourceRecordSets",
            "ListTagsForResource"
        ],
    );
    assert!(plan.contains("dns-record"), "{plan}");

    // Auto-renew turned off by hand: ListDomains shows it.
    harness::domains(&scene.sandbox)
        .disable_domain_auto_renew()
        .domain_name(domain(1).unwrap())
        .send()
        .await
        .unwrap();
    let (plan, _) = scene.scoped_equals_full();
    assert!(plan.contains("domain-auto-renew"), "{plan}");

    // An identity deleted out of band: ListEmailIdentities shows it gone.
    harness::ses(&scene.sandbox)
        .delete_email_identity()
        .email_identity(domain(3).unwrap())
        .send()
        .await
        .unwrap();
    let (plan, _) = scene.scoped_equals_full();
    assert!(
        plan.contains(&format!("\"{}\"", domain(3).unwrap())),
        "{plan}"
    );

    // A new library: read in depth (there is nothing of it yet), planned in full.
    scene.estate.set_library(6, "");
    let (plan, _) = scene.scoped_equals_full();
    assert!(plan.contains("lib-0006"), "{plan}");
}

/// The documented blind spot, and what covers it: a MAIL FROM domain set by hand on a
/// verified identity shows neither in `ListEmailIdentities` nor in DNS, so only
/// `--refresh full` (the scheduled drift check) sees it.
#[tokio::test(flavor = "multi_thread")]
async fn only_a_full_refresh_sees_an_out_of_band_change_to_a_settled_identity() {
    let scene = Scene::converged();
    harness::ses(&scene.sandbox)
        .put_email_identity_mail_from_attributes()
        .email_identity(domain(0).unwrap())
        .mail_from_domain(format!("bounce.{}", domain(0).unwrap()))
        .send()
        .await
        .unwrap();
    let args = |full: bool| {
        let mut a = vec!["plan", "--format", "json", "--baseline", &scene.baseline];
        if full {
            a.extend(["--refresh", "full"]);
        }
        a
    };
    let scoped = scene.estate.run_fast(&bin(), &scene.sandbox, &args(false));
    let full = scene.estate.run_fast(&bin(), &scene.sandbox, &args(true));
    assert!(!scoped.stdout.contains("mail-from"), "{}", scoped.stdout);
    assert!(full.stdout.contains("mail-from"), "{}", full.stdout);
}

/// A baseline from another region is not used, and an old one draws a warning, both said.
#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_or_old_baseline_is_called_out() {
    let scene = Scene::converged();
    let text = std::fs::read_to_string(&scene.baseline).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();

    value["taken_at"] = "2026-01-02T03:04:05Z".into();
    value["refresh"]["full_read_at"] = "2026-01-02T03:04:05Z".into();
    std::fs::write(&scene.baseline, value.to_string()).unwrap();
    let old = scene.estate.run_fast(
        &bin(),
        &scene.sandbox,
        &["plan", "--baseline", &scene.baseline],
    );
    assert_eq!(old.code, 0, "{}", old.stderr);
    assert!(old.stderr.contains("refresh: scoped;"), "{}", old.stderr);
    assert!(
        old.stderr.contains("warning: the baseline's full read is")
            && old.stderr.contains("days old"),
        "{}",
        old.stderr
    );

    value["region"] = "eu-west-1".into();
    std::fs::write(&scene.baseline, value.to_string()).unwrap();
    scene.sandbox.clear_request_log();
    let foreign = scene.estate.run_fast(
        &bin(),
        &scene.sandbox,
        &["plan", "--baseline", &scene.baseline],
    );
    assert_eq!(foreign.code, 0, "{}", foreign.stderr);
    assert!(
        foreign.stderr.contains("refresh: full; the baseline")
            && foreign
                .stderr
                .contains("was read in eu-west-1, the platform sends from us-east-1"),
        "{}",
        foreign.stderr
    );
    assert!(
        scene
            .sandbox
            .request_log()
            .iter()
            .any(|e| e.operation == "GetEmailIdentity"),
        "a foreign baseline means a full read"
    );
}

/// The apply workflow's path: a scoped plan saved with the live state it read, then apply of
/// that plan file reading with that state as its baseline: not stale, applied, converged.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_scoped_plan_applies_with_its_own_live_state_as_baseline() {
    let scene = Scene::converged();
    scene
        .estate
        .set_library(0, "        dkim-key-length 1024\n");
    let dir = tempfile::tempdir().unwrap();
    let planfile = dir.path().join("plan.bin").display().to_string();
    let live = dir.path().join("live.json").display().to_string();
    let plan = scene.estate.run_fast(
        &bin(),
        &scene.sandbox,
        &[
            "plan",
            "--baseline",
            &scene.baseline,
            "--save-live",
            &live,
            "--out",
            &planfile,
            "--detailed-exitcode",
        ],
    );
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    scene.sandbox.clear_request_log();
    let applied = scene.estate.run_fast(
        &bin(),
        &scene.sandbox,
        &["apply", &planfile, "--baseline", &live],
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stderr.contains("refresh: scoped;"),
        "{}",
        applied.stderr
    );
    let mutations: Vec<String> = scene
        .sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.mutating)
        .map(|e| e.operation)
        .collect();
    assert_eq!(mutations, ["PutEmailIdentityDkimSigningAttributes"]);
    let after = scene.estate.run_fast(
        &bin(),
        &scene.sandbox,
        &["plan", "--baseline", &live, "--detailed-exitcode"],
    );
    assert!(after.stdout.starts_with("No changes."), "{}", after.stdout);
}
