//! Onboarding as it really goes, through the binary against the sandbox: records installed
//! after SES gave up, a library whose error must not spill over to others, approvals that
//! wait without holding the rest back.

use mailform::sandbox::RecordInput;

use super::{World, cli, managed};
use crate::support::sandbox as harness;

const DOMAIN: &str = "springfield.example.org";

async fn dkim(world: &World, name: &str) -> (Vec<String>, String) {
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity(name)
        .send()
        .await
        .unwrap();
    let dkim = identity.dkim_attributes().unwrap();
    (
        dkim.tokens().to_vec(),
        dkim.status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn records_installed_after_ses_gave_up_restart_verification_with_the_same_tokens() {
    let world = World::new();
    // The library's own DNS provider, where its IT staff install the records.
    world.sandbox.create_zone(DOMAIN);
    let cli = cli().file(
        "libraries/springfield.kdl",
        &super::library("springfield", ""),
    );
    let created = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(created.code, 0, "{}", created.all());
    let (tokens, _) = dkim(&world, DOMAIN).await;

    // 72 hours without the records: SES stops looking.
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(73 * 3600));
    assert_eq!(dkim(&world, DOMAIN).await.1, "FAILED");
    let lapsed = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        lapsed.code,
        3,
        "failing, nothing to change yet: {}",
        lapsed.all()
    );
    assert!(
        lapsed.stdout.contains("ses::verification-failed")
            && lapsed
                .stdout
                .contains("once they are in place the plan restarts verification")
            && !lapsed.stdout.contains("dkim-verification"),
        "restarting before the records are in place would only fail again: {}",
        lapsed.stdout
    );

    // The IT staff install the records, late.
    for token in &tokens {
        world
            .sandbox
            .add_record(
                DOMAIN,
                RecordInput::new(
                    &format!("{token}._domainkey.{DOMAIN}."),
                    "CNAME",
                    &format!("{token}.dkim.amazonses.com"),
                ),
            )
            .unwrap();
    }
    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains(&format!("~ ses-identity {DOMAIN}"))
            && plan
                .stdout
                .contains("dkim-verification: \"FAILED\" → \"PENDING (restarted)\""),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied.stdout.contains("restarts DKIM verification"),
        "{}",
        applied.stdout
    );
    assert_eq!(
        world.mutations(),
        ["PutEmailIdentityDkimSigningAttributes 200"]
    );
    let (after, status) = dkim(&world, DOMAIN).await;
    assert_eq!(
        after, tokens,
        "the records the library installed stay right"
    );
    assert_eq!(
        status, "SUCCESS",
        "SES found the records once it looked again"
    );
    let settled = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{}", settled.all());
}

#[tokio::test]
async fn a_domain_over_its_cap_withholds_its_identity_and_records_and_nothing_else() {
    let world = World::new();
    let cli = cli()
        .file(
            "libraries/ogdenville.kdl",
            &managed("ogdenville-mail.org", "        price-cap 5.00\n"),
        )
        .file(
            "libraries/springfield.kdl",
            &super::library("springfield", ""),
        );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("registrar::over-price-cap")
            && plan.stdout.contains("blocked, not applied:")
            && plan.stdout.contains(
                "+ ses-identity ogdenville-mail.org  (blocked until the domain is bought"
            ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Plan: 1 to create"),
        "only springfield's identity counts: {}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert_eq!(world.mutations(), ["CreateEmailIdentity 200"]);
    assert_eq!(world.identities().await, [DOMAIN]);
}

#[tokio::test]
async fn a_purchase_not_approved_waits_and_every_other_change_applies() {
    let world = World::new();
    let cli = cli()
        .file(
            "libraries/ogdenville.kdl",
            &managed("ogdenville-mail.org", ""),
        )
        .file(
            "libraries/springfield.kdl",
            &super::library("springfield", ""),
        );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(
        applied.code,
        4,
        "applied, with a purchase waiting for approval: {}",
        applied.all()
    );
    assert!(
        applied
            .stdout
            .contains("Apply complete: 1 done, 0 skipped, 0 failed, 3 waiting for approval."),
        "{}",
        applied.stdout
    );
    assert_eq!(world.mutations(), ["CreateEmailIdentity 200"]);
    assert_eq!(world.identities().await, [DOMAIN]);
    // Approved later, it goes ahead on its own.
    let bought = world.run(
        &cli,
        &[
            "apply",
            "--auto-approve",
            "--allow-purchase",
            "ogdenville-mail.org",
        ],
    );
    assert_eq!(bought.code, 0, "{}", bought.all());
}

#[test]
fn plan_on_the_sandbox_counts_from_the_sandboxs_clock() {
    use mailform::sandbox::{Sandbox, SandboxConfig};
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox");
    let start = |advance: u64| {
        let handle = Sandbox::start(SandboxConfig {
            state_dir: Some(state.clone()),
            start_time: Some(crate::support::sandbox::START),
            ..SandboxConfig::default()
        })
        .unwrap();
        handle.create_zone(DOMAIN);
        handle.advance_clock(std::time::Duration::from_secs(advance));
        // Dropped: its state, clock included, stays in the directory.
    };
    start(0);
    let library = super::library("springfield", "").replace(
        "    it-contact",
        "    launch \"2026-01-30\"\n    it-contact",
    );
    let cli = cli().file("libraries/springfield.kdl", &library);
    let sandbox_dir = state.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--sandbox", "--sandbox-dir", &sandbox_dir].map(String::from));
        crate::support::cli::Cli::reuse(&cli, all).run()
    };
    // The sandbox's day is 2026-01-01: 29 days to the launch, not a launch long past.
    let applied = run(&["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied.stdout.contains("launch 2026-01-30 in 29 days"),
        "{}",
        applied.stdout
    );
    // `clock advance 73h`: SES gave up, and the plan counts from 2026-01-04.
    start(73 * 3600);
    let plan = run(&["plan"]);
    assert!(
        plan.stdout.contains("ses::verification-failed")
            && plan.stdout.contains("launch 2026-01-30 in 26 days"),
        "{}",
        plan.stdout
    );
}

#[tokio::test]
async fn a_configuration_set_the_account_lacks_is_a_plan_error_not_an_apply_failure() {
    let world = World::new();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &super::library("springfield", "        configuration-set \"no-such-set\"\n"),
    );
    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(
        plan.stdout.contains("ses::configuration-set-missing")
            && plan
                .stdout
                .contains("configuration set `no-such-set` does not exist")
            && plan.stdout.contains("blocked, not applied:"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_transfer_the_receiving_account_never_accepted_is_shown_as_lapsed_and_restarted() {
    let world = World::new();
    super::registered(&world, "ogdenville-mail.org").await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(
            "ogdenville-mail.org",
            "        transfer-to-aws-account \"111122223333\"\n",
        ),
    );
    let started = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(started.code, 0, "{}", started.all());
    // Nobody accepts in the sandbox: after 3 days the transfer lapses.
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(73 * 3600));
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("registrar::transfer-lapsed")
            && plan
                .stdout
                .contains("was not accepted within 3 days and lapsed")
            && plan
                .stdout
                .contains("+ domain-transfer ogdenville-mail.org"),
        "{}",
        plan.stdout
    );
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let settled = world.run(&cli, &["plan"]);
    assert!(
        !settled.stdout.contains("transfer-lapsed"),
        "{}",
        settled.stdout
    );
}
