//! What is found at plan time rather than in the middle of an apply, and shown loudly where it
//! matters, through the binary against the sandbox: a typo in `--allow-purchase`, a purchase
//! blocked by its price (never "No changes"), a sending domain that does not exist in DNS.

use super::{World, cli, managed};

const BUY: &str = "ogdenville-mail.org";

#[tokio::test]
async fn a_typo_in_allow_purchase_is_an_error_naming_the_domain_meant_and_nothing_changes() {
    let world = World::new();
    let cli = cli()
        .file("libraries/ogdenville.kdl", &managed(BUY, ""))
        .file(
            "libraries/springfield.kdl",
            &super::library("springfield", ""),
        );
    world.sandbox.clear_request_log();
    let typo = world.run(
        &cli,
        &[
            "apply",
            "--auto-approve",
            "--allow-purchase",
            "ogdenvile-mail.org",
        ],
    );
    assert_eq!(typo.code, 1, "{}", typo.all());
    // The error box wraps its text: compare the words.
    let words = typo
        .stderr
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words.contains(
            "--allow-purchase names a domain no library file declares as its `managed-domain`, so nothing of that name can be bought: `ogdenvile-mail.org` (did you mean `ogdenville-mail.org`?)"
        ),
        "{words}"
    );
    assert!(
        world.sandbox.request_log().is_empty(),
        "refused before anything was read or changed: {:?}",
        world.sandbox.request_log()
    );

    // Spelled right, and again once bought: a declared domain is never a typo.
    let bought = world.run(&cli, &["apply", "--auto-approve", "--allow-purchase", BUY]);
    assert_eq!(bought.code, 0, "{}", bought.all());
    let again = world.run(&cli, &["apply", "--auto-approve", "--allow-purchase", BUY]);
    assert_eq!(again.code, 0, "{}", again.all());
}

#[tokio::test]
async fn a_purchase_blocked_by_its_price_is_shown_blocked_and_never_as_no_changes() {
    let world = World::new();
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(BUY, "        price-cap 5.00\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("No changes")
            && plan.stdout.starts_with(
                "Nothing can be applied, and the live setup does not match the library files: "
            )
            && plan.stdout.contains("domain-registration ogdenville-mail.org (library ogdenville)")
            && plan.stdout.contains(
                "    + domain-registration ogdenville-mail.org  (blocked: its price is over the cap; nothing is bought)"
            ),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve", "--allow-purchase", BUY]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        !applied.stdout.contains("No changes")
            && applied.stdout.ends_with(
                "Nothing to apply: every change the plan wants is blocked (see above).\n"
            ),
        "{}",
        applied.stdout
    );
    assert!(
        !world.sandbox.request_log().iter().any(|e| e.mutating),
        "{:?}",
        world.sandbox.request_log()
    );
}

#[tokio::test]
async fn deleting_a_verified_sending_identity_is_shown_as_stopping_mail_not_as_cleanup() {
    use mailform::sandbox::RecordInput;
    let world = World::new();
    const SENDING: &str = "springfield.example.org";
    world.sandbox.create_zone(SENDING);
    let cli = super::libraries(&["springfield", "shelbyville", "keeper"]);
    let created = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(created.code, 0, "{}", created.all());
    // Springfield's IT staff installed the records: verified, sending.
    let (tokens, _) = super::onboarding::dkim(&world, SENDING).await;
    for token in &tokens {
        world
            .sandbox
            .add_record(
                SENDING,
                RecordInput::new(
                    &format!("{token}._domainkey.{SENDING}."),
                    "CNAME",
                    &format!("{token}.dkim.amazonses.com"),
                ),
            )
            .unwrap();
    }
    assert_eq!(super::onboarding::dkim(&world, SENDING).await.1, "SUCCESS");
    for id in ["springfield", "shelbyville"] {
        std::fs::remove_file(cli.path().join(format!("libraries/{id}.kdl"))).unwrap();
    }

    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains(
            "# Deletions (2; apply needs --allow-destroy): ⚠ 1 of them verified and sending, not routine cleanup"
        ) && plan.stdout.contains(
            "  - ses-identity springfield.example.org  (library springfield)  ⚠ verified and sending: mail from springfield.example.org stops at once"
        ) && plan
            .stdout
            .contains("  - ses-identity shelbyville.example.org  (library shelbyville)\n")
            && plan.stdout.contains(
                "(library `springfield` was removed; VERIFIED AND SENDING: deleting it stops all mail from springfield.example.org through SES at once"
            ),
        "{}",
        plan.stdout
    );
    let markdown = world.run(&cli, &["plan", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains(
            "- ⚠️ **verified and sending, mail stops at once:** **destroy** ses-identity `springfield.example.org`"
        ),
        "{}",
        markdown.stdout
    );
    world.sandbox.clear_request_log();
    let waits = world.run(&cli, &["apply", "--auto-approve"]);
    assert!(
        waits.stderr.contains(
            "  - ses-identity springfield.example.org (library `springfield`): verified and sending, mail from it stops at once"
        ) && waits
            .stderr
            .contains("  - ses-identity shelbyville.example.org (library `shelbyville`)\n"),
        "{}",
        waits.stderr
    );
    assert!(!world.sandbox.request_log().iter().any(|e| e.mutating));
}

/// A managed-domain library `id` buying `domain`.
fn buying(id: &str, domain: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"noreply@{domain}\"\n    }}\n}}\n"
    )
}

#[tokio::test]
async fn a_purchase_beyond_the_domain_quota_is_a_plan_error_not_an_apply_failure() {
    let world = World::with(mailform::sandbox::SandboxConfig {
        domain_limit: 2,
        ..Default::default()
    });
    // Someone registered one by hand: the account holds 1 of its 2.
    super::registered_with_tags(&world, "by-hand-mail.org", &[]).await;
    let platform = crate::support::cli::PLATFORM.replace(
        "notice-period-days 14",
        "notice-period-days 14\n    domain-quota 2",
    );
    assert_ne!(platform, crate::support::cli::PLATFORM);
    let cli = cli()
        .file("libraries/_platform.kdl", &platform)
        .file("libraries/ogdenville.kdl", &buying("ogdenville", BUY))
        .file(
            "libraries/shelbyville.kdl",
            &buying("shelbyville", "shelbyville-mail.org"),
        );
    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains("  + domain-registration ogdenville-mail.org")
            && plan.stdout.contains(
                "✗ registrar::domain-quota  buying shelbyville-mail.org would exceed the account's Route 53 Domains quota: it holds 1 domain (registrations under way included) of at most 2"
            )
            && plan.stdout.contains(
                "    + domain-registration shelbyville-mail.org  (blocked: over the account's domain quota of 2; nothing is bought)"
            )
            && !plan.stdout.contains("notice after apply: domain-bought to it@shelbyville"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(
        &cli,
        &[
            "apply",
            "--auto-approve",
            "--allow-purchase",
            BUY,
            "--allow-purchase",
            "shelbyville-mail.org",
        ],
    );
    assert_eq!(applied.code, 0, "{}", applied.all());
    let registrations: Vec<String> = world
        .mutations()
        .into_iter()
        .filter(|m| m.starts_with("RegisterDomain"))
        .collect();
    assert_eq!(
        registrations,
        ["RegisterDomain 200"],
        "one purchase, and no DomainLimitExceeded in the middle of the apply: {}",
        applied.all()
    );
}

#[tokio::test]
async fn a_transfer_to_the_platforms_own_account_is_a_plan_error() {
    let world = World::new();
    super::registered(&world, BUY).await;
    // The sandbox's account is 123456789012, as `GetCallerIdentity` answers.
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(BUY, "        transfer-to-aws-account \"123456789012\"\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains(
            "✗ registrar::transfer-to-own-account  the transfer of ogdenville-mail.org names account 123456789012, the platform's own account"
        ) && !plan.stdout.contains("domain-transfer"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert!(
        !world
            .mutations()
            .iter()
            .any(|m| m.starts_with("TransferDomainToAnotherAwsAccount")),
        "{:?} {}",
        world.mutations(),
        applied.all()
    );
    // The library's own account: the transfer is planned.
    let cli = cli.file(
        "libraries/ogdenville.kdl",
        &managed(BUY, "        transfer-to-aws-account \"111122223333\"\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout
            .contains("+ domain-transfer ogdenville-mail.org")
            && !plan.stdout.contains("transfer-to-own-account"),
        "{}",
        plan.stdout
    );
}

#[tokio::test]
async fn a_registrar_transfer_inside_the_60_day_lock_names_the_day_it_becomes_possible() {
    let world = World::new();
    // Registered on the sandbox's first day, 2026-01-01.
    super::registered(&world, BUY).await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(BUY, "        transfer-to-registrar\n"),
    );
    let locked = world.run_on(&cli, &["plan"], "2026-03-01").stdout;
    assert!(
        locked.contains(
            "✗ registrar::transfer-within-60-days  ogdenville-mail.org was registered on 2026-01-01: ICANN forbids a transfer to another registrar for 60 days after a registration, so it becomes possible on 2026-03-02"
        ) && !locked.contains("domain-transfer"),
        "{locked}"
    );
    world.sandbox.clear_request_log();
    world.run_on(&cli, &["apply", "--auto-approve"], "2026-03-01");
    assert!(
        !world
            .mutations()
            .iter()
            .any(|m| m.starts_with("UpdateDomain")
                || m.starts_with("DisableDomainTransferLock")
                || m.starts_with("RetrieveDomainAuthCode")),
        "nothing is unlocked or handed over inside the lock: {:?}",
        world.mutations()
    );
    let possible = world.run_on(&cli, &["plan"], "2026-03-02").stdout;
    assert!(
        !possible.contains("transfer-within-60-days")
            && possible.contains("~ domain-transfer-lock ogdenville-mail.org"),
        "{possible}"
    );
}

#[tokio::test]
async fn a_sending_domain_that_does_not_exist_gets_no_identity_and_the_others_go_ahead() {
    // Springfield's domain has a zone at its DNS provider; shelbyville's has none, so its name
    // servers answer NXDOMAIN: an identity for it would start SES's 72 hours for nothing.
    let world = World::without_zones();
    world.sandbox.create_zone("springfield.example.org");
    let cli = super::libraries(&["springfield", "shelbyville"]);
    let gone = "the sending domain shelbyville.example.org does not exist in DNS: its name servers answer NXDOMAIN";
    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout
            .contains(&format!("✗ dns::no-such-domain  {gone}"))
            && plan
                .stdout
                .contains("register the domain and set up its DNS, or correct `from`")
            && plan.stdout.contains(&format!(
                "    + ses-identity shelbyville.example.org  (blocked: {gone})"
            ))
            && plan
                .stdout
                .contains("  + ses-identity springfield.example.org\n")
            // Only springfield's records become known after this apply.
            && plan.stdout.matches("dns::records-after-apply").count() == 1,
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert_eq!(
        world.mutations(),
        ["CreateEmailIdentity 200"],
        "{}",
        applied.all()
    );
    assert_eq!(world.identities().await, ["springfield.example.org"]);

    // Name servers that cannot be asked (SERVFAIL) say nothing about whether the domain
    // exists: unknown never blocks, and shelbyville's identity is created.
    let servfail = super::onboarding::ServFail::start();
    let mut args = world.args(&["apply", "--auto-approve"]);
    let at = args.iter().position(|a| a == "--resolver").unwrap();
    args[at + 1] = servfail.addr.clone();
    let unknown = crate::support::cli::Cli::reuse(&cli, args).run();
    drop(servfail);
    assert_eq!(unknown.code, 0, "{}", unknown.all());
    assert!(
        unknown
            .stdout
            .contains("shelbyville: + ses-identity shelbyville.example.org: done"),
        "{}",
        unknown.stdout
    );
    assert_eq!(
        world.identities().await,
        ["shelbyville.example.org", "springfield.example.org"]
    );

    // Once the identity exists there is nothing to withhold: the domain is still named.
    let after = world.run(&cli, &["plan"]);
    assert!(
        after
            .stdout
            .contains(&format!("! dns::no-such-domain  {gone}"))
            && !after.stdout.contains("blocked"),
        "{}",
        after.stdout
    );
}
