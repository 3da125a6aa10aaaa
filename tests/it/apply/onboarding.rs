//! Onboarding as it really goes, through the binary against the sandbox: records installed
//! after SES gave up, a library whose error must not spill over to others, approvals that
//! wait without holding the rest back.

use mailform::sandbox::RecordInput;

use super::{World, cli, managed};
use crate::support::sandbox as harness;

const DOMAIN: &str = "springfield.example.org";

pub(super) async fn dkim(world: &World, name: &str) -> (Vec<String>, String) {
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
async fn a_renewal_over_the_cap_blocks_the_purchase_while_auto_renew_is_on() {
    // .org: $15.00 the first year, $45.00 each renewal; the library's cap is $20.00.
    let mut config = mailform::sandbox::SandboxConfig::default();
    for price in config.prices.iter_mut().filter(|p| p.tld == "org") {
        price.renewal = 45.0;
    }
    let world = World::with(config);
    let bought = "ogdenville-mail.org";
    let cli = cli()
        .file("libraries/ogdenville.kdl", &managed(bought, ""))
        .file(
            "libraries/springfield.kdl",
            &super::library("springfield", ""),
        );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("registrar::renewal-over-price-cap")
            && plan.stdout.contains(
                "ogdenville-mail.org costs $15.00 the first year but renews at $45.00 a year, over the cap of $20.00, and auto-renew is on"
            )
            && plan.stdout.contains(
                "    + domain-registration ogdenville-mail.org  (blocked: the renewal is over the cap; nothing is bought)"
            ),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let applied = world.run(
        &cli,
        &["apply", "--auto-approve", "--allow-purchase", bought],
    );
    assert_eq!(
        world.mutations(),
        ["CreateEmailIdentity 200"],
        "only springfield's identity is made; nothing is bought: {}",
        applied.all()
    );
    assert_eq!(world.identities().await, [DOMAIN]);

    // With auto-renew off, the library pays the first year only: within the cap, it is bought.
    let cli = cli.file(
        "libraries/ogdenville.kdl",
        &managed(bought, "        auto-renew #false\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("renewal-over-price-cap")
            && plan.stdout.contains("+ domain-registration"),
        "{}",
        plan.stdout
    );
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

#[tokio::test]
async fn dns_that_cannot_be_asked_is_never_told_as_missing_records() {
    let world = World::without_zones();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &super::library("springfield", ""),
    );
    // A fresh sandbox plays no DNS provider for the domain: it does not exist, and the plan
    // says so instead of reporting a lookup failure.
    let fresh = world.run(&cli, &["plan"]);
    assert!(
        fresh.stdout.contains("dns::no-such-domain")
            && fresh.stdout.contains("does not exist in DNS")
            && !fresh.stdout.contains("lookup-failed"),
        "{}",
        fresh.stdout
    );

    world.sandbox.create_zone(DOMAIN);
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    // The library's name servers answer every question with SERVFAIL.
    let servfail = ServFail::start();
    let mut args = world.args(&["plan"]);
    let at = args.iter().position(|a| a == "--resolver").unwrap();
    args[at + 1] = servfail.addr.clone();
    let plan = crate::support::cli::Cli::reuse(&cli, args).run();
    drop(servfail);
    assert!(
        plan.stdout.contains("dns::lookup-failed")
            && plan.stdout.contains("we could not ask the DNS servers of")
            && plan
                .stdout
                .contains("nothing needs installing until they do")
            && !plan.stdout.contains("install the records below")
            && plan.stdout.contains("spf::unknown"),
        "{}",
        plan.stdout
    );
}

/// A DNS server on 127.0.0.1 that answers every question with SERVFAIL; stops when dropped.
pub(crate) struct ServFail {
    pub(crate) addr: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServFail {
    pub(crate) fn start() -> ServFail {
        use std::sync::atomic::{AtomicBool, Ordering};
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap().to_string();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if n < 12 {
                    continue;
                }
                // The question back, as a response (QR) with RCODE 2 (SERVFAIL).
                let mut reply = buf[..n].to_vec();
                reply[2] |= 0x80;
                reply[3] = (reply[3] & 0xF0) | 2;
                let _ = socket.send_to(&reply, from);
            }
        });
        ServFail {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ServFail {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test]
async fn a_saved_plan_is_stale_only_when_a_fact_its_changes_depend_on_moved() {
    let world = World::new();
    world.sandbox.create_zone("shelbyville.example.org");
    let cli = super::libraries(&["springfield", "shelbyville"]);
    // shelbyville is set up already; the reviewed plan creates springfield's identity only.
    let setup = world.run(
        &cli,
        &["apply", "--auto-approve", "--target", "shelbyville"],
    );
    assert_eq!(setup.code, 0, "{}", setup.all());
    let saved = world.run(&cli, &["plan", "--out", "plan.json"]);
    assert_eq!(saved.code, 0, "{}", saved.all());

    // shelbyville's IT staff install a record meanwhile: a fact of a library without changes.
    let (tokens, _) = dkim(&world, "shelbyville.example.org").await;
    world
        .sandbox
        .add_record(
            "shelbyville.example.org",
            RecordInput::new(
                &format!("{}._domainkey.shelbyville.example.org.", tokens[0]),
                "CNAME",
                &format!("{}.dkim.amazonses.com", tokens[0]),
            ),
        )
        .unwrap();
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "plan.json"]);
    assert_eq!(applied.code, 0, "not stale: {}", applied.all());
    assert_eq!(world.mutations(), ["CreateEmailIdentity 200"]);

    // A fact springfield's change depends on moved: refused, naming the change.
    std::fs::write(
        cli.path().join("libraries/springfield.kdl"),
        super::library("springfield", "        dkim-key-length 1024\n"),
    )
    .unwrap();
    let saved = world.run(&cli, &["plan", "--out", "plan3.json"]);
    assert_eq!(saved.code, 0, "{}", saved.all());
    harness::ses(&world.sandbox)
        .delete_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .unwrap();
    let stale = world.run(&cli, &["apply", "plan3.json"]);
    assert_eq!(stale.code, 1, "{}", stale.all());
    assert!(
        stale.stderr.contains(&format!(
            "live fact ses.identity/{DOMAIN} is gone; `~ ses-identity {DOMAIN}` of library `springfield` depend(s) on it"
        )),
        "{}",
        stale.stderr
    );
}

#[tokio::test]
async fn a_run_that_holds_handovers_makes_no_secret_and_applies_everything_else() {
    let world = World::new();
    super::registered(&world, "ogdenville-mail.org").await;
    let cli = cli()
        .file(
            "libraries/ogdenville.kdl",
            &managed(
                "ogdenville-mail.org",
                "        auto-renew #false\n        transfer-to-registrar\n",
            ),
        )
        .file(
            "libraries/springfield.kdl",
            &super::library("springfield", ""),
        );
    world.sandbox.clear_request_log();
    let held = world.run(&cli, &["apply", "--auto-approve", "--hold-handovers"]);
    assert_eq!(held.code, 4, "{}", held.all());
    assert!(
        held.stdout.contains(
            "ogdenville: + domain-transfer ogdenville-mail.org: waiting: waits for an operator"
        ),
        "{}",
        held.stdout
    );
    let mutations = world.mutations();
    assert!(
        mutations.contains(&"DisableDomainAutoRenew 200".to_string())
            && mutations.contains(&"CreateEmailIdentity 200".to_string())
            && !mutations
                .iter()
                .any(|m| m.starts_with("DisableDomainTransferLock")),
        "{mutations:?}"
    );
    assert!(
        !cli.path().join(".mailform/secrets").exists(),
        "no secret was made"
    );
}

/// The README tells the exit codes the code returns: plan's `--detailed-exitcode` and apply's.
#[test]
fn the_readme_and_the_code_agree_on_every_exit_code() {
    use mailform::cli::{EXIT_CHANGES, EXIT_FAILED, EXIT_FAILING, EXIT_OK, EXIT_WAITING};
    let readme = std::fs::read_to_string(crate::support::cli::repo().join("README.md")).unwrap();
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        format!(
            "`--detailed-exitcode`: {EXIT_OK} no changes and nothing to do; {EXIT_CHANGES} changes; {EXIT_FAILING} no changes, but a library is *failing*"
        ),
        format!("{EXIT_WAITING} no changes, and libraries only *waiting* on someone"),
        format!("Exit codes: {EXIT_OK} everything applied; {EXIT_FAILED} a step failed"),
        format!(
            "{EXIT_WAITING} everything it was allowed to do was applied, and some changes wait for an approval"
        ),
    ] {
        assert!(flat.contains(&said), "the README does not say: {said}");
    }
}
