//! SES tenants through the binary against the sandbox: each SES library its own tenant
//! (created, tagged, its identity associated, its policy set), SES pausing one library (a
//! failing finding with SES's reason in plan and status, the others untouched), a pause and a
//! reinstatement declared in a library file, a tenant of another team left alone (and one made
//! by hand adopted with `adopt #true`), a removed library's tenant deleted only with
//! `--allow-destroy`, and two applies at once.

use aws_sdk_sesv2::types::{ReputationEntityType, SendingStatus, Tag};
use mailform::sandbox::{FaultKind, FaultRule, ReputationFinding, Service};

use super::{World, cli, library};
use crate::support::cli::{Cli, PLATFORM};
use crate::support::estate::{FAST, QUICK_RETRIES, sandbox_flags};
use crate::support::sandbox as harness;

/// The test platform, managing tenants with the standard policy by default.
pub(crate) fn platform_with_tenants() -> String {
    PLATFORM.replacen(
        "platform {\n",
        "platform {\n    tenants {\n        reputation-policy \"standard\"\n    }\n",
        1,
    )
}

pub(crate) fn tenants_cli() -> Cli {
    cli().file("libraries/_platform.kdl", &platform_with_tenants())
}

/// A method-1 library with a `tenant { … }` block (empty: none).
pub(crate) fn ses_library(id: &str, tenant: &str) -> String {
    if tenant.is_empty() {
        return library(id, "");
    }
    library(id, &format!("        tenant {{\n{tenant}        }}\n"))
}

pub(crate) struct Live {
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) resources: Vec<String>,
    pub(crate) policy: String,
    pub(crate) customer: SendingStatus,
}

/// A tenant as the sandbox holds it; `None` when there is none.
pub(crate) async fn tenant(world: &World, name: &str) -> Option<Live> {
    let ses = harness::ses(&world.sandbox);
    let got = ses.get_tenant().tenant_name(name).send().await.ok()?;
    let t = got.tenant()?;
    let arn = t.tenant_arn()?.to_string();
    let resources = ses
        .list_tenant_resources()
        .tenant_name(name)
        .send()
        .await
        .unwrap()
        .tenant_resources()
        .iter()
        .filter_map(|r| r.resource_arn().map(str::to_string))
        .collect();
    let entity = ses
        .get_reputation_entity()
        .reputation_entity_type(ReputationEntityType::Resource)
        .reputation_entity_reference(&arn)
        .send()
        .await
        .unwrap();
    let entity = entity.reputation_entity().unwrap();
    Some(Live {
        tags: t
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        resources,
        policy: entity
            .reputation_management_policy()
            .unwrap_or_default()
            .to_string(),
        customer: entity
            .customer_managed_status()
            .and_then(|s| s.status())
            .cloned()
            .unwrap(),
    })
}

fn identity_arn(domain: &str) -> String {
    format!("arn:aws:ses:us-east-1:123456789012:identity/{domain}")
}

#[tokio::test]
async fn each_library_gets_its_tenant_and_a_pause_by_ses_fails_only_that_library() {
    let world = World::new();
    let cli = tenants_cli()
        .file(
            "libraries/springfield.kdl",
            &ses_library("springfield", "            reputation-policy \"strict\"\n"),
        )
        .file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));

    for id in ["springfield", "shelbyville"] {
        world.sandbox.create_zone(&format!("{id}.example.org"));
    }
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("+ ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stdout.contains(
            "springfield: + ses-tenant springfield: done (CreateTenant, UpdateReputationEntityPolicy, CreateTenantResourceAssociation identity/springfield.example.org)"
        ),
        "{}",
        first.stdout
    );
    let springfield = tenant(&world, "springfield").await.expect("created");
    assert!(
        springfield
            .tags
            .contains(&("managed-by".into(), "mailform".into()))
            && springfield
                .tags
                .contains(&("library".into(), "springfield".into())),
        "{:?}",
        springfield.tags
    );
    assert_eq!(
        springfield.resources,
        [identity_arn("springfield.example.org")]
    );
    assert_eq!(
        springfield.policy,
        "arn:aws:ses:us-east-1:aws:reputation-policy/strict"
    );
    let shelbyville = tenant(&world, "shelbyville").await.expect("created");
    assert_eq!(
        shelbyville.policy,
        "arn:aws:ses:us-east-1:aws:reputation-policy/standard"
    );
    // The libraries publish their DKIM records and SES verifies them: settled.
    for id in ["springfield", "shelbyville"] {
        super::scenario::install(&world, &format!("{id}.example.org"), false).await;
    }
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(3600));
    let ready = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(ready.code, 0, "{}", ready.all());
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(world.mutations(), Vec::<String>::new());

    // The snapshot holds the tenants (as its schema says), and a plan scoped by it reads them
    // with the two list calls alone: no GetTenant, no ListTenantResources for settled libraries.
    let mut args = vec![
        "refresh".to_string(),
        "--out".into(),
        "baseline.json".into(),
    ];
    args.extend(sandbox_flags(&world.sandbox));
    args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
    let refresh = Cli::reuse(&cli, args).run();
    assert_eq!(refresh.code, 0, "{}", refresh.all());
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cli.path().join("baseline.json")).unwrap())
            .unwrap();
    crate::support::json_schema::assert_valid("live-snapshot.schema.json", &snapshot);
    let tenants = snapshot["ses"]["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2, "{snapshot:#}");
    assert_eq!(tenants[1]["name"], "springfield");
    assert_eq!(tenants[1]["reputation_policy"], "strict");
    let tenant_reads = |world: &World| -> Vec<String> {
        let mut ops: Vec<String> = world
            .sandbox
            .request_log()
            .into_iter()
            .map(|e| e.operation)
            .filter(|o| o.contains("Tenant") || o.contains("Reputation"))
            .collect();
        ops.sort();
        ops
    };
    world.sandbox.clear_request_log();
    let scoped = world.run(&cli, &["plan", "--baseline", "baseline.json"]);
    assert!(scoped.stdout.contains("No changes"), "{}", scoped.all());
    assert_eq!(
        tenant_reads(&world),
        ["ListReputationEntities", "ListTenants"]
    );

    // SES pauses springfield on a finding: a failing finding with SES's reason, in the plan
    // (exit code 3: nothing to change, something broken) and in the status; shelbyville sends.
    world
        .sandbox
        .set_reputation(
            "springfield",
            &ReputationFinding::paused_by_ses("bounce rate 11% over the last 7 days"),
        )
        .unwrap();
    // Seen by the scoped plan too: the pause is list-level.
    let plan = world.run(
        &cli,
        &["plan", "--detailed-exitcode", "--baseline", "baseline.json"],
    );
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(
        plan.stdout.contains(
            "ses::tenant-paused  SES paused this library's sending (tenant springfield) (reputation impact HIGH): bounce rate 11% over the last 7 days"
        ),
        "{}",
        plan.stdout
    );
    assert_eq!(
        plan.stdout.matches("ses::tenant-paused").count(),
        1,
        "only springfield: {}",
        plan.stdout
    );
    let status = world.run(&cli, &["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.all());
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let row = |id: &str| rows.iter().find(|r| r["library"] == id).unwrap().clone();
    assert_eq!(row("springfield")["urgency"], "failing", "{report:#}");
    assert!(
        row("springfield")["reason"]
            .as_str()
            .unwrap()
            .contains("bounce rate 11%"),
        "{report:#}"
    );
    assert_ne!(row("shelbyville")["urgency"], "failing", "{report:#}");
    // A pause by SES is SES's to lift: apply changes nothing.
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_library_file_pauses_and_reinstates_its_sending() {
    let world = World::new();
    let paused = tenants_cli().file(
        "libraries/springfield.kdl",
        &ses_library("springfield", "            sending \"paused\"\n"),
    );
    let first = world.run(&paused, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first
            .stdout
            .contains("UpdateReputationEntityCustomerManagedStatus DISABLED"),
        "{}",
        first.stdout
    );
    let live = tenant(&world, "springfield").await.unwrap();
    assert_eq!(live.customer, SendingStatus::Disabled);
    // Paused on purpose: nothing to change, and the library is failing, with the reason.
    let plan = world.run(&paused, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(
        plan.stdout.contains("ses::tenant-paused-by-file"),
        "{}",
        plan.stdout
    );

    // The file lets it send again: the plan reinstates it.
    let reinstated = tenants_cli().file(
        "libraries/springfield.kdl",
        &ses_library("springfield", "            sending \"enabled\"\n"),
    );
    // The same sandbox, a second directory of files: the state is the sandbox's.
    let plan = world.run(&reinstated, &["plan"]);
    assert!(
        plan.stdout.contains("~ ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("paused"), "{}", plan.stdout);
    let apply = world.run(&reinstated, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        tenant(&world, "springfield").await.unwrap().customer,
        SendingStatus::Enabled
    );
    world.assert_converged(&reinstated);
}

#[tokio::test]
async fn a_tenant_of_another_team_is_never_adopted_and_a_removed_librarys_waits_for_approval() {
    let world = World::new();
    let ses = harness::ses(&world.sandbox);
    // Another team's tenant happens to be named like a library.
    ses.create_tenant()
        .tenant_name("shelbyville")
        .tags(Tag::builder().key("team").value("billing").build().unwrap())
        .tags(
            Tag::builder()
                .key("library")
                .value("shelbyville")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cli = tenants_cli()
        .file("libraries/springfield.kdl", &ses_library("springfield", ""))
        .file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("ses::tenant-not-managed"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("ses-tenant shelbyville"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // Only springfield's tenant was made and set up; nothing was done to theirs.
    let tenant_calls: Vec<String> = world
        .sandbox
        .request_log()
        .into_iter()
        .filter(|e| {
            e.mutating
                && (e.operation.contains("Tenant")
                    || e.operation.contains("Reputation")
                    || e.operation == "TagResource")
        })
        .map(|e| e.operation)
        .collect();
    assert_eq!(
        tenant_calls,
        [
            "CreateTenant",
            "UpdateReputationEntityPolicy",
            "CreateTenantResourceAssociation"
        ]
    );
    let theirs = tenant(&world, "shelbyville").await.unwrap();
    assert!(theirs.resources.is_empty(), "{:?}", theirs.resources);
    assert!(
        !theirs.tags.iter().any(|(k, _)| k == "managed-by"),
        "{:?}",
        theirs.tags
    );

    // springfield's file goes: its tenant (and identity) become deletions, which wait for
    // `--allow-destroy`; the other team's tenant is still never touched.
    let without = tenants_cli().file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
    let plan = world.run(&without, &["plan"]);
    assert!(
        plan.stdout.contains("- ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    let waits = world.run(&without, &["apply", "--auto-approve"]);
    assert!(
        waits
            .stdout
            .contains("- ses-tenant springfield: waiting: waits for approval"),
        "{}",
        waits.stdout
    );
    assert!(tenant(&world, "springfield").await.is_some());
    let allowed = world.run(&without, &["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(allowed.code, 0, "{}", allowed.all());
    assert!(
        allowed
            .stdout
            .contains("- ses-tenant springfield: done (DeleteTenant)"),
        "{}",
        allowed.stdout
    );
    assert!(tenant(&world, "springfield").await.is_none());
    assert!(tenant(&world, "shelbyville").await.is_some());
}

/// A deletion is irreversible: its answer lost after SES deleted the tenant (the retry finds
/// it gone), and two approved applies deleting at once, each end with the tenant gone, exactly
/// one `DeleteTenant` that took effect, and a plan with nothing left to do.
#[tokio::test]
async fn a_deletion_whose_answer_is_lost_or_raced_deletes_once() {
    for raced in [false, true] {
        let world = World::new();
        let both = tenants_cli()
            .file("libraries/springfield.kdl", &ses_library("springfield", ""))
            .file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
        let made = world.run(&both, &["apply", "--auto-approve"]);
        assert_eq!(made.code, 0, "{}", made.all());
        assert!(tenant(&world, "springfield").await.is_some());
        let without =
            tenants_cli().file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
        let args = ["apply", "--auto-approve", "--allow-destroy"];
        let outs = if raced {
            // Both read the tenant before either deletes it.
            world.sandbox.inject_fault(
                FaultRule::new(Service::Ses, FaultKind::RespondLate { millis: 700 })
                    .operation("GetTenant")
                    .times(2),
            );
            std::thread::scope(|scope| {
                let runs: Vec<_> = (0..2)
                    .map(|_| scope.spawn(|| world.run(&without, &args)))
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().unwrap())
                    .collect::<Vec<_>>()
            })
        } else {
            world.sandbox.inject_fault(
                FaultRule::new(Service::Ses, FaultKind::DropAfterCommit)
                    .operation("DeleteTenant")
                    .times(1),
            );
            vec![world.run(&without, &args)]
        };
        for out in &outs {
            assert_eq!(out.code, 0, "raced {raced}: {}", out.all());
        }
        assert!(tenant(&world, "springfield").await.is_none());
        assert!(tenant(&world, "shelbyville").await.is_some());
        let deleted = world
            .mutations()
            .into_iter()
            // Committed: answered (200) or dropped after the change (0); a 404 found it gone.
            .filter(|m| m.starts_with("DeleteTenant ") && m != "DeleteTenant 404")
            .count();
        assert_eq!(deleted, 1, "raced {raced}: {:?}", world.mutations());
        let plan = world.run(&without, &["plan"]);
        assert!(
            !plan.stdout.contains("ses-tenant springfield"),
            "raced {raced}: {}",
            plan.stdout
        );
    }
}

#[test]
fn two_applies_at_once_make_one_tenant_and_associate_once() {
    for round in 0..10u64 {
        let world = World::new();
        let cli = tenants_cli().file(
            "libraries/springfield.kdl",
            &ses_library("springfield", "            reputation-policy \"strict\"\n"),
        );
        // Run side by side without World::run, so the sending domain's zone is made here.
        world.serve(&cli);
        let args = world.args(&["apply", "--auto-approve"]);
        let apart = [0, 50, 150, 300, 600][(round % 5) as usize];
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| Cli::reuse(&cli, args.clone()).run());
            std::thread::sleep(std::time::Duration::from_millis(apart));
            let b = scope.spawn(|| Cli::reuse(&cli, args.clone()).run());
            (a.join().unwrap(), b.join().unwrap())
        });
        let context = format!("round {round}\n--- a\n{}\n--- b\n{}", a.all(), b.all());
        assert!(
            !a.stdout.contains("ses-tenant springfield: FAILED")
                && !b.stdout.contains("ses-tenant springfield: FAILED"),
            "{context}"
        );
        let made = world
            .sandbox
            .request_log()
            .iter()
            .filter(|e| e.operation == "CreateTenant" && e.status == 200)
            .count();
        assert_eq!(made, 1, "{context}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let live = runtime.block_on(tenant(&world, "springfield")).unwrap();
        assert_eq!(
            live.resources,
            [identity_arn("springfield.example.org")],
            "{context}"
        );
        assert!(live.policy.ends_with("/strict"), "{context}");
        world.assert_converged(&cli);
    }
}

#[tokio::test]
async fn a_tenant_made_by_hand_is_adopted_only_with_adopt_true() {
    let world = World::new();
    harness::ses(&world.sandbox)
        .create_tenant()
        .tenant_name("springfield")
        .tags(
            Tag::builder()
                .key("cost-centre")
                .value("42")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cli = tenants_cli().file(
        "libraries/springfield.kdl",
        &library("springfield", "        adopt #true\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("~ ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("~ ses-tenant springfield: done (TagResource, CreateTenantResourceAssociation identity/springfield.example.org)"),
        "{}",
        apply.stdout
    );
    let live = tenant(&world, "springfield").await.unwrap();
    for tag in [
        ("managed-by", "mailform"),
        ("library", "springfield"),
        ("cost-centre", "42"),
    ] {
        assert!(
            live.tags.contains(&(tag.0.into(), tag.1.into())),
            "{:?}",
            live.tags
        );
    }
    assert_eq!(live.resources, [identity_arn("springfield.example.org")]);
}

/// The tenant's suppression scope as SES reports it (`None`: SES's default, the account's).
async fn suppression_scope(world: &World, name: &str) -> Option<String> {
    let got = harness::ses(&world.sandbox)
        .get_tenant()
        .tenant_name(name)
        .send()
        .await
        .unwrap();
    got.tenant()?
        .suppression_attributes()?
        .suppression_scope()
        .map(|s| s.as_str().to_string())
}

#[tokio::test]
async fn a_library_s_own_suppression_list_is_declared_applied_and_given_back() {
    let world = World::new();
    let own = tenants_cli()
        .file(
            "libraries/springfield.kdl",
            &ses_library("springfield", "            suppression \"tenant\"\n"),
        )
        .file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
    let plan = world.run(&own, &["plan"]);
    assert!(plan.stdout.contains("suppression"), "{}", plan.stdout);
    let first = world.run(&own, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first
            .stdout
            .contains("PutTenantSuppressionAttributes tenant"),
        "{}",
        first.stdout
    );
    assert_eq!(
        suppression_scope(&world, "springfield").await.as_deref(),
        Some("TENANT")
    );
    // The platform's default is the account's list, SES's own default: no call for it.
    assert_eq!(suppression_scope(&world, "shelbyville").await, None);
    world.assert_converged(&own);

    // The file gives the list back to the account's: the plan says so, apply clears it.
    let shared = tenants_cli()
        .file(
            "libraries/springfield.kdl",
            &ses_library("springfield", "            suppression \"account\"\n"),
        )
        .file("libraries/shelbyville.kdl", &ses_library("shelbyville", ""));
    let plan = world.run(&shared, &["plan"]);
    assert!(
        plan.stdout.contains("~ ses-tenant springfield"),
        "{}",
        plan.stdout
    );
    let apply = world.run(&shared, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply
            .stdout
            .contains("PutTenantSuppressionAttributes account"),
        "{}",
        apply.stdout
    );
    assert_eq!(suppression_scope(&world, "springfield").await, None);
    world.assert_converged(&shared);
}

#[tokio::test]
async fn an_address_identity_the_platform_put_in_a_tenant_stays_there() {
    let world = World::new();
    let cli = tenants_cli().file("libraries/springfield.kdl", &ses_library("springfield", ""));
    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    // The platform verified an address of its own under the library's domain and put it in the
    // tenant, since SES sends that address's mail through its own identity.
    let ses = harness::ses(&world.sandbox);
    let address = "notices@springfield.example.org";
    ses.create_email_identity()
        .email_identity(address)
        .send()
        .await
        .unwrap();
    ses.create_tenant_resource_association()
        .tenant_name("springfield")
        .resource_arn(identity_arn(address))
        .send()
        .await
        .unwrap();
    // And a domain identity mailform associated for nobody any more would go: a stale one.
    ses.create_email_identity()
        .email_identity("old-springfield.example.org")
        .send()
        .await
        .unwrap();
    ses.create_tenant_resource_association()
        .tenant_name("springfield")
        .resource_arn(identity_arn("old-springfield.example.org"))
        .send()
        .await
        .unwrap();
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout
            .contains("resource: \"identity/old-springfield.example.org\" → (none)")
            && !plan
                .stdout
                .contains(&format!("resource: \"identity/{address}\"")),
        "{}",
        plan.stdout
    );
    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let mut held = tenant(&world, "springfield").await.unwrap().resources;
    held.sort();
    assert_eq!(
        held,
        [
            identity_arn(address),
            identity_arn("springfield.example.org")
        ]
    );
}
