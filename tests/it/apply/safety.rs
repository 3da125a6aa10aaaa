//! The safety of apply off the happy path, through the binary against the sandbox: handover
//! secrets whose answer is lost, registered domains mailform did not buy, renamed libraries,
//! lost answers to creations, and two applies at once.

use mailform::sandbox::{FaultKind, FaultRule, Service};

use super::{World, cli, managed, registered, registered_with_tags};
use crate::support::sandbox as harness;

const DOMAIN: &str = "ogdenville-mail.org";
/// Past the sandbox's transfer lock operation (`DisableDomainTransferLock` completes later).
pub(super) const LOCK_TAKES: std::time::Duration = std::time::Duration::from_secs(5 * 60 + 1);

/// Successful calls of `operation` in the sandbox's log.
fn succeeded(world: &World, operation: &str) -> usize {
    world
        .sandbox
        .request_log()
        .iter()
        .filter(|e| e.operation == operation && e.status == 200)
        .count()
}

/// Calls of `operation` that reached the sandbox, whatever became of them.
fn sent(world: &World, operation: &str) -> usize {
    world
        .sandbox
        .request_log()
        .iter()
        .filter(|e| e.operation == operation)
        .count()
}

/// The secret files an apply wrote (never the temporary ones), with their contents.
pub(crate) fn secret_files(cli: &crate::support::cli::Cli) -> Vec<(String, String)> {
    let dir = cli.path().join(".mailform/secrets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    let mut files: Vec<(String, String)> = entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap().trim().to_string(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The transfer operations of `domain` still under way, by id.
pub(crate) async fn transfers_under_way(world: &World, domain: &str) -> Vec<String> {
    harness::domains(&world.sandbox)
        .list_operations()
        .send()
        .await
        .unwrap()
        .operations()
        .iter()
        .filter(|o| o.domain_name() == Some(domain))
        .filter(|o| o.r#type().map(|t| t.as_str()) == Some("INTERNAL_TRANSFER_OUT_DOMAIN"))
        .filter(|o| {
            matches!(
                o.status().map(|s| s.as_str()),
                Some("SUBMITTED" | "IN_PROGRESS")
            )
        })
        .filter_map(|o| o.operation_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_transfer_whose_answer_is_lost_is_sent_once_shown_as_lost_and_restarted_with_its_password_kept()
 {
    // The answer comes after apply gave up, or the connection drops once AWS has acted: either
    // way the transfer started and its password never reached mailform.
    for fault in [
        FaultKind::RespondLate { millis: 3000 },
        FaultKind::DropAfterCommit,
    ] {
        let world = World::new();
        registered(&world, DOMAIN).await;
        // Set up and converged first, then the library asks for its domain.
        let cli = cli().file("libraries/ogdenville.kdl", &managed(DOMAIN, ""));
        let setup = world.run(&cli, &["apply", "--auto-approve"]);
        assert_eq!(setup.code, 0, "{}", setup.all());
        let cli = cli.file(
            "libraries/ogdenville.kdl",
            &managed(DOMAIN, "        transfer-to-aws-account \"111122223333\"\n"),
        );
        world.sandbox.inject_fault(
            FaultRule::new(Service::Route53Domains, fault.clone())
                .operation("TransferDomainToAnotherAwsAccount")
                .times(1),
        );
        world.sandbox.clear_request_log();
        let lost = world.run(&cli, &["apply", "--auto-approve", "--timeout", "1"]);
        assert_eq!(lost.code, 1, "{fault:?}: {}", lost.all());
        assert!(
            lost.stdout.contains(&format!(
                "whether the transfer of {DOMAIN} started is unknown"
            )),
            "{}",
            lost.stdout
        );
        // Never retried by the SDK (it retries a dropped answer or a timeout otherwise).
        assert_eq!(
            sent(&world, "TransferDomainToAnotherAwsAccount"),
            1,
            "{fault:?}"
        );
        assert_eq!(secret_files(&cli), vec![], "no password reached mailform");
        let under_way = transfers_under_way(&world, DOMAIN).await;
        assert_eq!(under_way.len(), 1, "AWS took it: {under_way:?}");

        // Moments later the plan cannot tell a lost answer from an apply still running: it
        // waits, and says so.
        let waiting = world.run(&cli, &["plan", "--detailed-exitcode"]);
        assert_eq!(waiting.code, 4, "{}", waiting.all());
        assert!(
            waiting.stdout.contains("registrar::handover-starting"),
            "{}",
            waiting.stdout
        );
        // Past the grace period the password is lost, and the plan says what apply will do.
        let plan = world.run(
            &cli,
            &["plan", "--detailed-exitcode", "--handover-grace", "0"],
        );
        assert_eq!(plan.code, 2, "{}", plan.all());
        assert!(
            plan.stdout
                .contains(&format!("-/+ domain-transfer {DOMAIN}"))
                && plan.stdout.contains("registrar::transfer-password-lost")
                && plan.stdout.contains(&under_way[0]),
            "{}",
            plan.stdout
        );

        world.sandbox.clear_faults();
        world.sandbox.clear_request_log();
        let restarted = world.run(&cli, &["apply", "--auto-approve", "--handover-grace", "0"]);
        assert_eq!(restarted.code, 0, "{}", restarted.all());
        assert_eq!(
            world.mutations(),
            [
                "CancelDomainTransferToAnotherAwsAccount 200",
                "UpdateTagsForDomain 200",
                "TransferDomainToAnotherAwsAccount 200",
                "UpdateTagsForDomain 200"
            ]
        );
        let files = secret_files(&cli);
        let now = transfers_under_way(&world, DOMAIN).await;
        assert_eq!(now.len(), 1, "{now:?}");
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(
            files[0]
                .0
                .contains(&format!("transfer-password.{}", now[0])),
            "the file names the transfer its password belongs to: {files:?}"
        );
        assert!(
            !restarted.all().contains(&files[0].1),
            "the password was printed"
        );
        let settled = world.run(
            &cli,
            &["plan", "--detailed-exitcode", "--handover-grace", "0"],
        );
        assert_eq!(
            settled.code,
            0,
            "only the receiving account's acceptance is under way: {}",
            settled.all()
        );
    }
}

#[tokio::test]
async fn an_auth_code_whose_answer_is_lost_is_asked_once_and_retrieved_again_by_the_next_apply() {
    let world = World::new();
    registered(&world, DOMAIN).await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(DOMAIN, "        transfer-to-registrar\n"),
    );
    // The lock first: it is off minutes after DisableDomainTransferLock, then the code is asked.
    let unlocking = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(unlocking.code, 0, "{}", unlocking.all());
    assert_eq!(
        sent(&world, "RetrieveDomainAuthCode"),
        0,
        "asked while locked"
    );
    world.sandbox.advance_clock(LOCK_TAKES);
    world.sandbox.inject_fault(
        FaultRule::new(Service::Route53Domains, FaultKind::DropAfterCommit)
            .operation("RetrieveDomainAuthCode")
            .times(1),
    );
    let lost = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(lost.code, 1, "{}", lost.all());
    assert_eq!(sent(&world, "RetrieveDomainAuthCode"), 1, "not retried");
    assert!(
        lost.stdout.contains("it was not asked again"),
        "{}",
        lost.stdout
    );
    assert_eq!(secret_files(&cli), vec![]);

    // Unlocked, so today's plan would say "no changes": the auth code is planned again.
    let plan = world.run(
        &cli,
        &["plan", "--detailed-exitcode", "--handover-grace", "0"],
    );
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains(&format!("+ domain-transfer {DOMAIN}"))
            && plan.stdout.contains("registrar::auth-code-lost"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_faults();
    let again = world.run(&cli, &["apply", "--auto-approve", "--handover-grace", "0"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let files = secret_files(&cli);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(!again.all().contains(&files[0].1), "the code was printed");
    let settled = world.run(&cli, &["plan", "--handover-grace", "0"]);
    assert!(
        settled.stdout.starts_with("No changes."),
        "{}",
        settled.stdout
    );
}

#[tokio::test]
async fn a_registered_domain_mailform_did_not_buy_is_never_changed_until_the_file_adopts_it() {
    let world = World::new();
    // Registered in the console for another purpose: no ownership tags.
    registered_with_tags(&world, DOMAIN, &[("owner", "marketing")]).await;
    let hostile = managed(
        DOMAIN,
        "        auto-renew #false\n        transfer-to-registrar\n",
    );
    let cli = cli().file("libraries/ogdenville.kdl", &hostile);
    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(
        plan.stdout.contains("registrar::domain-not-managed"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied.stdout.ends_with("No changes: nothing to apply.\n"),
        "{}",
        applied.stdout
    );
    assert_eq!(world.mutations(), Vec::<String>::new());
    assert_eq!(sent(&world, "RetrieveDomainAuthCode"), 0);
    assert_eq!(secret_files(&cli), vec![]);
    let listed = harness::domains(&world.sandbox)
        .list_domains()
        .send()
        .await
        .unwrap();
    let domain = &listed.domains()[0];
    assert_eq!(
        (domain.auto_renew(), domain.transfer_lock()),
        (Some(true), Some(true))
    );

    // Adopted in a reviewed file: tagged first, then changed.
    let adopted = managed(
        DOMAIN,
        "        auto-renew #false\n        transfer-to-registrar\n        adopt #true\n",
    );
    let cli = cli.file("libraries/ogdenville.kdl", &adopted);
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let mutations = world.mutations();
    assert_eq!(
        mutations.first().map(String::as_str),
        Some("UpdateTagsForDomain 200"),
        "{mutations:?}"
    );
    assert!(
        mutations.contains(&"DisableDomainAutoRenew 200".to_string())
            && mutations.contains(&"DisableDomainTransferLock 200".to_string()),
        "{mutations:?}"
    );
    // The auth code once the lock is off, minutes later.
    world.sandbox.advance_clock(LOCK_TAKES);
    let retrieved = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(retrieved.code, 0, "{}", retrieved.all());
    assert_eq!(secret_files(&cli).len(), 1);
    let tags = harness::domains(&world.sandbox)
        .list_tags_for_domain()
        .domain_name(DOMAIN)
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = tags
        .tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .filter(|(k, _)| !k.starts_with("mailform-"))
        .collect();
    assert_eq!(
        tags,
        [
            ("library".to_string(), "ogdenville".to_string()),
            ("managed-by".to_string(), "mailform".to_string()),
            ("owner".to_string(), "marketing".to_string())
        ]
    );
}

#[tokio::test]
async fn a_renamed_library_file_keeps_its_identity_tokens_and_domain() {
    let world = World::new();
    registered(&world, DOMAIN).await;
    let ses = super::library("springfield", "");
    let cli = cli()
        .file("libraries/springfield.kdl", &ses)
        .file("libraries/ogdenville.kdl", &managed(DOMAIN, ""));
    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let tokens = |name: &'static str| {
        let sandbox = &world.sandbox;
        async move {
            let identity = harness::ses(sandbox)
                .get_email_identity()
                .email_identity(name)
                .send()
                .await
                .unwrap();
            identity
                .dkim_attributes()
                .map(|d| d.tokens().to_vec())
                .unwrap_or_default()
        }
    };
    let before = (
        tokens("springfield.example.org").await,
        tokens(DOMAIN).await,
    );

    // Both files renamed (and their ids with them), in one pull request.
    std::fs::remove_file(cli.path().join("libraries/springfield.kdl")).unwrap();
    std::fs::remove_file(cli.path().join("libraries/ogdenville.kdl")).unwrap();
    let renamed_ses = ses.replace("library \"springfield\"", "library \"springfield-public\"");
    let renamed_managed =
        managed(DOMAIN, "").replace("library \"ogdenville\"", "library \"ogdenville-public\"");
    let cli = cli
        .file("libraries/springfield-public.kdl", &renamed_ses)
        .file("libraries/ogdenville-public.kdl", &renamed_managed);
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("- ses-identity") && plan.stdout.contains(" 0 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("moved from library `springfield`")
            && plan.stdout.contains("moved from library `ogdenville`"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let mutations = world.mutations();
    assert!(
        !mutations
            .iter()
            .any(|m| m.starts_with("DeleteEmailIdentity")
                || m.starts_with("CreateEmailIdentity")
                || m.starts_with("RegisterDomain")),
        "{mutations:?}"
    );
    assert_eq!(
        (
            tokens("springfield.example.org").await,
            tokens(DOMAIN).await
        ),
        before,
        "the records the libraries installed stay valid"
    );
    let settled = world.run(&cli, &["plan"]);
    assert!(
        settled
            .stdout
            .contains("Plan: 0 to create, 0 to change, 0 to replace, 0 to destroy"),
        "{}",
        settled.stdout
    );
}

#[tokio::test]
async fn a_creation_whose_first_answer_is_lost_succeeds_when_the_retry_finds_our_identity() {
    let world = World::new();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &super::library("springfield", ""),
    );
    world.sandbox.inject_fault(
        FaultRule::new(Service::Ses, FaultKind::DropAfterCommit)
            .operation("CreateEmailIdentity")
            .times(1),
    );
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("it exists with this library's tags: its first answer was lost"),
        "{}",
        applied.stdout
    );
    assert_eq!(world.identities().await, ["springfield.example.org"]);
}

/// Two applies started 0 to 4 seconds apart, 20 times, each buying one domain and handing
/// another over, with AWS's answers slowed so their calls overlap: never two registrations,
/// never two transfers, one password file (never one overwriting the other), no password
/// printed, and a plan afterwards that sees nothing lost.
#[test]
fn two_applies_at_once_never_buy_or_hand_over_twice() {
    const BUY: &str = "capital-city-mail.org";
    let rounds: Vec<u64> = (0..20).collect();
    // Five worlds at a time: the sandbox of each runs in this process.
    for batch in rounds.chunks(5) {
        std::thread::scope(|scope| {
            for &round in batch {
                scope.spawn(move || concurrent_round(round, BUY));
            }
        });
    }
}

fn concurrent_round(round: u64, buy: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let world = World::new();
    runtime.block_on(registered(&world, DOMAIN));
    let cli = cli()
        .file(
            "libraries/ogdenville.kdl",
            &managed(DOMAIN, "        transfer-to-aws-account \"111122223333\"\n"),
        )
        .file(
            "libraries/capital-city.kdl",
            &managed(buy, "").replace("\"ogdenville\"", "\"capital-city\""),
        );
    for op in ["RegisterDomain", "TransferDomainToAnotherAwsAccount"] {
        world.sandbox.inject_fault(
            FaultRule::new(
                Service::Route53Domains,
                FaultKind::RespondLate { millis: 700 },
            )
            .operation(op),
        );
    }
    world.sandbox.clear_request_log();
    let args = world.args(&["apply", "--auto-approve", "--allow-purchase", buy]);
    // 0, 0.25, 0.5, 1, 2, 4 seconds apart, in turn.
    let apart = [0, 250, 500, 1000, 2000, 4000][(round % 6) as usize];
    let (first, second) = std::thread::scope(|scope| {
        let a = scope.spawn(|| crate::support::cli::Cli::reuse(&cli, args.clone()).run());
        std::thread::sleep(std::time::Duration::from_millis(apart));
        let b = scope.spawn(|| crate::support::cli::Cli::reuse(&cli, args.clone()).run());
        (a.join().unwrap(), b.join().unwrap())
    });
    let context = format!(
        "round {round}, {apart} ms apart\n--- first\n{}\n--- second\n{}",
        first.all(),
        second.all()
    );
    assert!(
        [0, 1].contains(&first.code) && [0, 1].contains(&second.code),
        "{context}"
    );
    // The later apply finds the earlier one's purchase and transfer (listed, or refused by AWS
    // as a duplicate) and skips them: neither step fails.
    for output in [&first, &second] {
        for step in [
            format!("+ domain-registration {buy}: FAILED"),
            format!("+ domain-transfer {DOMAIN}: FAILED"),
        ] {
            assert!(!output.stdout.contains(&step), "{step}\n{context}");
        }
    }
    assert_eq!(succeeded(&world, "RegisterDomain"), 1, "{context}");
    assert_eq!(
        succeeded(&world, "TransferDomainToAnotherAwsAccount"),
        1,
        "{context}"
    );
    let files = secret_files(&cli);
    assert_eq!(files.len(), 1, "{files:?} {context}");
    assert!(!first.all().contains(&files[0].1), "{context}");
    assert!(!second.all().contains(&files[0].1), "{context}");
    world.sandbox.clear_faults();
    let after = world.run(&cli, &["plan", "--handover-grace", "0"]);
    assert!(
        !after.stdout.contains("transfer-password-lost")
            && !after.stdout.contains("+ domain-registration"),
        "{}\n{context}",
        after.stdout
    );
}

#[tokio::test]
async fn a_domain_bought_by_an_apply_killed_before_it_tagged_it_is_tagged_while_it_registers() {
    let world = World::new();
    // RegisterDomain went through; the apply died before UpdateTagsForDomain.
    super::submit_registration(&world, DOMAIN).await;
    let cli = cli().file("libraries/ogdenville.kdl", &managed(DOMAIN, ""));
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains(&format!("~ domain-tags {DOMAIN}"))
            && plan.stdout.contains("did not tag it"),
        "{}",
        plan.stdout
    );
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("UpdateTagsForDomain (its registration, operation"),
        "{}",
        applied.stdout
    );
    assert_eq!(succeeded(&world, "RegisterDomain"), 1, "never bought again");
    // Once registered, it is mailform's: no `domain-not-managed`, nothing more to do for it.
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(60 * 60));
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("domain-not-managed") && !plan.stdout.contains("domain-tags"),
        "{}",
        plan.stdout
    );
}
