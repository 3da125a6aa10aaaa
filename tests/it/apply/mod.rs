//! `mailform apply` through the binary, against the in-process sandbox: convergence, zero
//! mutating calls on a converged estate, stale plans, deletion guards, unmanaged identities
//! and faults during apply.

mod kill;
pub(crate) mod onboarding;
mod plan_time;
mod safety;
mod scenario;
pub(crate) mod tenants;
mod tenants_kill;

use mailform::sandbox::{FaultKind, FaultRule, SandboxConfig, SandboxHandle, Service};

use crate::support::cli::{Cli, Output};
use crate::support::estate::{FAST, QUICK_RETRIES, sandbox_flags};
use crate::support::sandbox as harness;

pub(crate) fn library(id: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n{extra}    }}\n}}\n"
    )
}

/// A directory with one method-1 library file per id (`libraries/<id>.kdl`, [`library`]).
pub(crate) fn libraries(ids: &[&str]) -> Cli {
    ids.iter().fold(cli(), |cli, id| {
        cli.file(&format!("libraries/{id}.kdl"), &library(id, ""))
    })
}

/// A sandbox started in this test, with its state in a temp dir, and the binary's flags for it.
pub(crate) struct World {
    _dir: tempfile::TempDir,
    pub(crate) sandbox: SandboxHandle,
    /// Whether each run first gives the sending domains of the library files a zone at their
    /// DNS provider (see [`crate::support::estate::serve_sending_domains`]); off in [`World::without_zones`].
    zones: bool,
}

impl World {
    pub(crate) fn new() -> World {
        World::with(SandboxConfig::default())
    }

    /// The sandbox's state directory, which it holds locked: `--sandbox --sandbox-dir` on it
    /// uses this sandbox as it runs (its clock included) once its `endpoints.json` is there.
    pub(crate) fn state_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// A sandbox with its own settings (prices, timings), its state in a temp dir.
    pub(crate) fn with(config: SandboxConfig) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = harness::start_with(SandboxConfig {
            state_dir: Some(dir.path().to_path_buf()),
            ..config
        });
        World {
            _dir: dir,
            sandbox,
            zones: true,
        }
    }

    /// A world whose sending domains exist only where the test creates their zones: a domain
    /// without one does not exist in DNS (NXDOMAIN), as on the internet.
    pub(crate) fn without_zones() -> World {
        World {
            zones: false,
            ..World::new()
        }
    }

    pub(crate) fn args(&self, command: &[&str]) -> Vec<String> {
        self.args_on(command, "2026-11-26")
    }

    /// [`World::args`], counting launches and notice periods from `today`.
    fn args_on(&self, command: &[&str], today: &str) -> Vec<String> {
        let mut out: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        out.extend(sandbox_flags(&self.sandbox));
        out.extend(
            FAST.iter()
                .chain(&["--today", today, "--max-attempts", "3"])
                .chain(QUICK_RETRIES)
                .map(|s| s.to_string()),
        );
        out
    }

    pub(crate) fn run(&self, cli: &Cli, command: &[&str]) -> Output {
        self.serve(cli);
        Cli::reuse(cli, self.args(command)).run()
    }

    /// [`World::run`] on another day than the tests' fixed one.
    pub(crate) fn run_on(&self, cli: &Cli, command: &[&str], today: &str) -> Output {
        self.serve(cli);
        Cli::reuse(cli, self.args_on(command, today)).run()
    }

    /// Gives the sending domains of `cli`'s library files their zones (unless
    /// [`World::without_zones`]); every run does this first.
    pub(crate) fn serve(&self, cli: &Cli) {
        if self.zones {
            crate::support::estate::serve_sending_domains(
                &self.sandbox,
                &cli.path().join("libraries"),
            );
        }
    }

    fn mutations(&self) -> Vec<String> {
        self.sandbox
            .request_log()
            .into_iter()
            .filter(|e| e.mutating)
            .map(|e| format!("{} {}", e.operation, e.status))
            .collect()
    }

    /// An apply allowed to buy `domain` that has no registration step: it was submitted already.
    fn rerun_buys_nothing(&self, cli: &Cli, domain: &str) {
        let rerun = self.run(
            cli,
            &["apply", "--auto-approve", "--allow-purchase", domain],
        );
        assert_eq!(rerun.code, 0, "{}", rerun.all());
        assert!(
            !rerun.stdout.contains("domain-registration"),
            "{}",
            rerun.stdout
        );
    }

    /// The plan has no changes (only libraries waiting on their DNS), and an apply reads the
    /// live state but makes no mutating call.
    pub(crate) fn assert_converged(&self, cli: &Cli) {
        let plan = self.run(cli, &["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code, 4, "{}", plan.all());
        assert!(
            plan.stdout.contains("Plan: 0 to create, 0 to change"),
            "{}",
            plan.stdout
        );
        self.sandbox.clear_request_log();
        let again = self.run(cli, &["apply", "--auto-approve"]);
        assert_eq!(again.code, 0, "{}", again.all());
        assert!(
            again.stdout.ends_with("No changes: nothing to apply.\n"),
            "{}",
            again.stdout
        );
        assert!(
            !self.sandbox.request_log().is_empty(),
            "it read the live state"
        );
        assert_eq!(self.mutations(), Vec::<String>::new());
    }

    async fn identities(&self) -> Vec<String> {
        let out = harness::ses(&self.sandbox)
            .list_email_identities()
            .send()
            .await
            .unwrap();
        let mut names: Vec<String> = out
            .email_identities()
            .iter()
            .filter_map(|i| i.identity_name().map(str::to_string))
            .collect();
        names.sort();
        names
    }
}

pub(crate) fn cli() -> Cli {
    Cli::with_platform()
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

#[tokio::test]
async fn method_1_from_nothing_converges_and_a_second_apply_mutates_nothing() {
    let world = World::new();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &library(
            "springfield",
            "        mail-from \"bounce.springfield.example.org\"\n        dkim-key-length 1024\n",
        ),
    );

    let refused = world.run(&cli, &["apply"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains("pass --auto-approve"),
        "{}",
        refused.all()
    );
    assert!(world.mutations().is_empty(), "{:?}", world.mutations());

    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stdout.contains(
            "springfield: + ses-identity springfield.example.org: done (CreateEmailIdentity, PutEmailIdentityMailFromAttributes)"
        ),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .ends_with("Apply complete: 1 done, 0 skipped, 0 failed, 0 waiting for approval.\n")
    );
    assert_eq!(
        world.mutations(),
        [
            "CreateEmailIdentity 200",
            "PutEmailIdentityMailFromAttributes 200"
        ]
    );
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();
    let dkim = identity.dkim_attributes().unwrap();
    assert_eq!(
        dkim.next_signing_key_length().map(|k| k.as_str()),
        Some("RSA_1024_BIT")
    );
    let tags: Vec<(&str, &str)> = identity
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert!(tags.contains(&("managed-by", "mailform")), "{tags:?}");
    assert!(tags.contains(&("library", "springfield")), "{tags:?}");

    // Converged: the plan has no changes, only what waits on the library's DNS.
    world.assert_converged(&cli);
}

#[tokio::test]
async fn an_adopted_identity_is_tagged_once_and_then_converged() {
    let world = World::new();
    // Made by hand before mailform, with a tag of its own.
    harness::ses(&world.sandbox)
        .create_email_identity()
        .email_identity("springfield.example.org")
        .tags(
            aws_sdk_sesv2::types::Tag::builder()
                .key("team")
                .value("web")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &library("springfield", "        adopt #true\n"),
    );

    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("springfield: ~ ses-identity springfield.example.org: done (TagResource)"),
        "{}",
        applied.stdout
    );
    assert_eq!(world.mutations(), ["TagResource 200"]);
    let sts: Vec<(String, bool)> = world
        .sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.service == Service::Sts)
        .map(|e| (e.operation, e.mutating))
        .collect();
    assert_eq!(sts, [("GetCallerIdentity".to_string(), false)]);
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(&str, &str)> = identity
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("library", "springfield"),
            ("managed-by", "mailform"),
            ("team", "web")
        ]
    );

    world.assert_converged(&cli);
}

#[tokio::test]
async fn a_stale_plan_is_refused_naming_the_changed_file_and_fact() {
    let world = World::new();
    let cli = cli()
        .file("libraries/springfield.kdl", &library("springfield", ""))
        .file("libraries/shelbyville.kdl", &library("shelbyville", ""));

    let saved = world.run(&cli, &["plan", "--out", "plan.json"]);
    assert_eq!(saved.code, 0, "{}", saved.all());
    // Someone else applies shelbyville meanwhile, and springfield's file changes.
    let other = world.run(
        &cli,
        &["apply", "--auto-approve", "--target", "shelbyville"],
    );
    assert_eq!(other.code, 0, "{}", other.all());
    std::fs::write(
        cli.path().join("libraries/springfield.kdl"),
        library("springfield", "        dkim-key-length 1024\n"),
    )
    .unwrap();

    world.sandbox.clear_request_log();
    let stale = world.run(&cli, &["apply", "plan.json"]);
    assert_eq!(stale.code, 1, "{}", stale.all());
    assert!(
        stale.stderr.contains("refusing the plan plan.json"),
        "{}",
        stale.stderr
    );
    assert!(
        stale
            .stderr
            .contains("library file libraries/springfield.kdl changed"),
        "{}",
        stale.stderr
    );
    assert!(
        stale
            .stderr
            .contains("live fact ses.identity/shelbyville.example.org is new"),
        "{}",
        stale.stderr
    );
    assert_eq!(world.mutations(), Vec::<String>::new());

    // A fresh saved plan applies without a question, as Terraform's does.
    let fresh = world.run(&cli, &["plan", "--out", "plan.json"]);
    assert_eq!(fresh.code, 0, "{}", fresh.all());
    let applied = world.run(&cli, &["apply", "plan.json"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert_eq!(
        world.identities().await,
        ["shelbyville.example.org", "springfield.example.org"]
    );
}

#[tokio::test]
async fn deletions_need_allow_destroy_and_respect_the_blast_radius_and_unmanaged_identities() {
    let world = World::new();
    let ids = ["a-lib", "b-lib", "c-lib", "d-lib"];
    let mut cli = cli();
    for id in ids {
        cli = cli.file(&format!("libraries/{id}.kdl"), &library(id, ""));
    }
    let created = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(created.code, 0, "{}", created.all());
    // An identity mailform did not make: shown, never touched.
    harness::ses(&world.sandbox)
        .create_email_identity()
        .email_identity("someone-else.example.com")
        .send()
        .await
        .unwrap();
    for id in ids {
        std::fs::remove_file(cli.path().join(format!("libraries/{id}.kdl"))).unwrap();
    }
    // One library file stays so that the directory still has libraries.
    std::fs::write(
        cli.path().join("libraries/keeper.kdl"),
        library("keeper", ""),
    )
    .unwrap();
    let keeper = world.run(&cli, &["apply", "--auto-approve", "--target", "keeper"]);
    assert_eq!(keeper.code, 0, "{}", keeper.all());

    world.sandbox.clear_request_log();
    let no_flag = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(
        no_flag.code,
        4,
        "deletions wait for approval: {}",
        no_flag.all()
    );
    assert!(
        no_flag.stderr.contains(
            "not in this apply: the plan deletes 4 resource(s); review them and pass --allow-destroy"
        ),
        "{}",
        no_flag.stderr
    );
    assert!(
        no_flag
            .stderr
            .contains("  - ses-identity a-lib.example.org (library `a-lib`)"),
        "{}",
        no_flag.stderr
    );

    let over = world.run(&cli, &["apply", "--auto-approve", "--allow-destroy"]);
    assert_eq!(over.code, 4, "{}", over.all());
    assert!(
        over.stderr
            .contains("the plan deletes 4 SES identities, more than --max-destroy 3"),
        "{}",
        over.stderr
    );
    assert_eq!(world.mutations(), Vec::<String>::new());

    let forced = world.run(
        &cli,
        &[
            "apply",
            "--auto-approve",
            "--allow-destroy",
            "--force-destroy",
        ],
    );
    assert_eq!(forced.code, 0, "{}", forced.all());
    assert!(
        forced
            .stdout
            .contains("a-lib: - ses-identity a-lib.example.org: done (DeleteEmailIdentity)"),
        "{}",
        forced.stdout
    );
    assert_eq!(
        world.mutations(),
        ["DeleteEmailIdentity 200"; 4],
        "only the four orphans were deleted"
    );
    assert_eq!(
        world.identities().await,
        ["keeper.example.org", "someone-else.example.com"]
    );
}

#[tokio::test]
async fn a_rerun_after_faults_converges_with_nothing_duplicated() {
    let world = World::new();
    let cli = cli()
        .file("libraries/springfield.kdl", &library("springfield", ""))
        .file("libraries/shelbyville.kdl", &library("shelbyville", ""));

    // Throttled once: the retry absorbs it.
    world.sandbox.inject_fault(FaultRule {
        times: Some(1),
        ..FaultRule::new(Service::Ses, FaultKind::Throttle).operation("CreateEmailIdentity")
    });
    // Then SES fails every create for good: springfield fails, shelbyville goes on.
    let broken =
        FaultRule::new(Service::Ses, FaultKind::ServerError).operation("CreateEmailIdentity");
    let out = world.run(
        &cli,
        &["apply", "--auto-approve", "--target", "shelbyville"],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    world.sandbox.inject_fault(broken);
    let failed = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(failed.code, 1, "{}", failed.all());
    assert!(
        failed.stdout.contains(
            "springfield: + ses-identity springfield.example.org: FAILED: SES CreateEmailIdentity (springfield.example.org) failed"
        ),
        "{}",
        failed.stdout
    );
    assert!(
        failed
            .stderr
            .contains("libraries with failed steps: springfield"),
        "{}",
        failed.stderr
    );

    world.sandbox.clear_faults();
    let rerun = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_eq!(
        world.identities().await,
        ["shelbyville.example.org", "springfield.example.org"]
    );
    let again = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 4, "{}", again.all());
}

#[tokio::test]
async fn a_registered_managed_domain_gets_its_settings_identity_and_dkim_records_in_order() {
    const DOMAIN: &str = "ogdenville-mail.org";
    let world = World::new();
    registered(&world, DOMAIN).await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &format!(
            "library \"ogdenville\" {{\n    name \"Ogdenville\"\n    it-contact \"it@ogdenville.example.org\"\n\n    managed-domain {{\n        domain \"{DOMAIN}\"\n        from \"noreply@{DOMAIN}\"\n        auto-renew #false\n    }}\n}}\n"
        ),
    );

    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let steps: Vec<&str> = applied
        .stdout
        .lines()
        .filter(|l| l.starts_with("ogdenville: "))
        .collect();
    assert_eq!(
        steps,
        [
            "ogdenville: ~ domain-auto-renew ogdenville-mail.org: done (DisableDomainAutoRenew)",
            "ogdenville: + ses-identity ogdenville-mail.org: done (CreateEmailIdentity)",
            "ogdenville: + dkim-records in the zone of ogdenville-mail.org: done (ChangeResourceRecordSets (UPSERT 3 CNAME))",
        ],
        "{}",
        applied.stdout
    );
    assert_eq!(
        world.mutations(),
        [
            "DisableDomainAutoRenew 200",
            "CreateEmailIdentity 200",
            "ChangeResourceRecordSets 200"
        ]
    );

    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("Plan: 0 to create, 0 to change"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_purchase_needs_its_domain_named_and_happens_exactly_once() {
    const DOMAIN: &str = "shelbyville-mail.org";
    let world = World::new();
    let cli = cli().file(
        "libraries/shelbyville.kdl",
        &format!(
            "library \"shelbyville\" {{\n    name \"Shelbyville\"\n    it-contact \"it@shelbyville.example.org\"\n\n    managed-domain {{\n        domain \"{DOMAIN}\"\n        from \"noreply@{DOMAIN}\"\n    }}\n}}\n"
        ),
    );
    let saved = world.run(&cli, &["plan", "--out", "plan.json"]);
    assert!(
        saved
            .stdout
            .contains(&format!("+ domain-registration {DOMAIN}")),
        "{}",
        saved.stdout
    );

    world.sandbox.clear_request_log();
    // Not named: the purchase and the library's steps that depend on it wait; exit 4 says so.
    let unnamed = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(unnamed.code, 4, "{}", unnamed.all());
    assert!(
        unnamed.stderr.contains(&format!(
            "not in this apply: the plan buys 1 domain(s) not named by --allow-purchase (purchases are not refundable)\n  + {DOMAIN} for $15.00 a year × 1 (cap $20.00)"
        )),
        "{}",
        unnamed.stderr
    );
    assert!(
        unnamed.stdout.contains(&format!(
            "shelbyville: + domain-registration {DOMAIN}: waiting: waits for approval: buying {DOMAIN} needs `--allow-purchase {DOMAIN}` (not refundable)"
        )) && unnamed.stdout.contains(&format!(
            "shelbyville: + ses-identity {DOMAIN}: waiting: waits for the purchase of {DOMAIN}"
        )),
        "{}",
        unnamed.stdout
    );
    assert_eq!(world.mutations(), Vec::<String>::new());

    let bought = world.run(
        &cli,
        &["apply", "--auto-approve", "--allow-purchase", DOMAIN],
    );
    assert_eq!(bought.code, 0, "{}", bought.all());
    assert!(
        bought.stdout.contains(&format!(
            "shelbyville: + domain-registration {DOMAIN}: done (RegisterDomain (operation"
        )),
        "{}",
        bought.stdout
    );
    assert_eq!(
        world.mutations(),
        [
            "RegisterDomain 200",
            "UpdateTagsForDomain 200",
            "CreateEmailIdentity 200",
            "ChangeResourceRecordSets 200"
        ]
    );

    // The saved plan still says "buy": it is refused, since the registration is now live.
    world.sandbox.clear_request_log();
    let stale = world.run(&cli, &["apply", "plan.json", "--allow-purchase", DOMAIN]);
    assert_eq!(stale.code, 1, "{}", stale.all());
    assert!(
        stale
            .stderr
            .contains(&format!("live fact registrar.operations/{DOMAIN} is new")),
        "{}",
        stale.stderr
    );
    // A rerun while the registration is under way buys nothing more.
    let rerun = world.run(
        &cli,
        &["apply", "--auto-approve", "--allow-purchase", DOMAIN],
    );
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_registration_submitted_by_a_crashed_apply_is_not_bought_again() {
    const DOMAIN: &str = "capital-city-mail.org";
    let world = World::new();
    let cli = cli().file(
        "libraries/capital.kdl",
        &format!(
            "library \"capital\" {{\n    name \"Capital City\"\n    it-contact \"it@capital.example.org\"\n\n    managed-domain {{\n        domain \"{DOMAIN}\"\n        from \"noreply@{DOMAIN}\"\n    }}\n}}\n"
        ),
    );
    let saved = world.run(&cli, &["plan", "--out", "plan.json"]);
    assert_eq!(saved.code, 0, "{}", saved.all());
    // An earlier apply's RegisterDomain reached Route 53 Domains, then that apply died before
    // it could record or report anything.
    submit_registration(&world, DOMAIN).await;

    world.sandbox.clear_request_log();
    let stale = world.run(&cli, &["apply", "plan.json", "--allow-purchase", DOMAIN]);
    assert_eq!(stale.code, 1, "{}", stale.all());
    assert!(
        stale
            .stderr
            .contains(&format!("live fact registrar.operations/{DOMAIN} is new")),
        "{}",
        stale.stderr
    );
    world.rerun_buys_nothing(&cli, DOMAIN);
    assert_eq!(
        world.mutations(),
        [
            "UpdateTagsForDomain 200",
            "CreateEmailIdentity 200",
            "ChangeResourceRecordSets 200"
        ],
        "the crashed apply's tags go on, the identity and its records go ahead; the domain is \
         not bought again"
    );
}

#[tokio::test]
async fn a_registration_whose_answer_never_comes_is_reported_unknown_and_never_bought_twice() {
    const DOMAIN: &str = "capital-city-mail.org";
    let world = World::new();
    let cli = cli().file("libraries/ogdenville.kdl", &managed(DOMAIN, ""));
    let buy = [
        "apply",
        "--auto-approve",
        "--allow-purchase",
        DOMAIN,
        "--timeout",
        "1",
    ];
    // The connection drops before Route 53 Domains took the request, and a 5xx answer does not
    // say either: the outcome is unknown, and the call is not sent again.
    for fault in [FaultKind::DropConnection, FaultKind::ServerError] {
        world.sandbox.inject_fault(
            FaultRule::new(Service::Route53Domains, fault)
                .operation("RegisterDomain")
                .times(1),
        );
        let lost = world.run(&cli, &buy);
        assert_eq!(lost.code, 1, "{}", lost.all());
        let line = lost
            .stdout
            .lines()
            .find(|l| l.starts_with("ogdenville: + domain-registration"))
            .unwrap_or_else(|| panic!("{}", lost.stdout));
        assert!(
            line.starts_with(&format!(
                "ogdenville: + domain-registration {DOMAIN}: FAILED: whether {DOMAIN} was bought is \
                 unknown: RegisterDomain was sent but "
            )) && line.ends_with(
                ", so it may have been accepted. It was not sent again; run apply again: it first \
                 looks for a registration of {DOMAIN} in flight and does not buy twice (do not \
                 register it by hand)"
                    .replace("{DOMAIN}", DOMAIN)
                    .as_str()
            ),
            "{line}"
        );
        assert!(
            lost.stdout.contains(&format!(
                "ogdenville: + ses-identity {DOMAIN}: skipped: not attempted"
            )),
            "{}",
            lost.stdout
        );
        world.sandbox.clear_faults();
    }
    assert_eq!(
        world.mutations(),
        ["RegisterDomain 0", "RegisterDomain 500"],
        "each sent once, neither taken"
    );
    world.sandbox.clear_request_log();

    // Route 53 Domains takes the registration, but its answer comes after apply gave up: AWS
    // lists it, so apply knows it bought it once, tags it and goes on.
    world.sandbox.inject_fault(
        FaultRule::new(
            Service::Route53Domains,
            FaultKind::RespondLate { millis: 4000 },
        )
        .operation("RegisterDomain"),
    );
    let late = world.run(&cli, &buy);
    assert_eq!(late.code, 0, "{}", late.all());
    assert!(
        late.stdout.contains(&format!(
            "ogdenville: + domain-registration {DOMAIN}: done (RegisterDomain (its answer was \
             lost: its answer did not come in time; AWS lists the registration, so it was bought \
             once and not sent again), UpdateTagsForDomain)"
        )),
        "{}",
        late.stdout
    );
    world.sandbox.clear_faults();
    world.rerun_buys_nothing(&cli, DOMAIN);
    assert_eq!(
        world.mutations(),
        [
            "RegisterDomain 200",
            "UpdateTagsForDomain 200",
            "CreateEmailIdentity 200",
            "ChangeResourceRecordSets 200"
        ],
        "exactly one RegisterDomain over all runs"
    );
    let operations = harness::domains(&world.sandbox)
        .list_operations()
        .send()
        .await
        .unwrap();
    let registrations: Vec<&str> = operations
        .operations()
        .iter()
        .filter(|o| o.r#type().map(|t| t.as_str()) == Some("REGISTER_DOMAIN"))
        .filter_map(|o| o.domain_name())
        .collect();
    assert_eq!(registrations, [DOMAIN]);
}

/// Submits the registration of `domain`, as an earlier apply would have; it stays in flight.
async fn submit_registration(world: &World, domain: &str) {
    use aws_sdk_route53domains::types::{ContactDetail, ContactType, CountryCode};
    let contact = ContactDetail::builder()
        .first_name("Pat")
        .last_name("Lee")
        .contact_type(ContactType::Company)
        .organization_name("Library Market")
        .address_line1("1 Main Street")
        .city("Springfield")
        .country_code(CountryCode::Us)
        .zip_code("12345")
        .phone_number("+1.5555550100")
        .email("domains@library-market.example")
        .build();
    harness::domains(&world.sandbox)
        .register_domain()
        .domain_name(domain)
        .duration_in_years(1)
        .admin_contact(contact.clone())
        .registrant_contact(contact.clone())
        .tech_contact(contact)
        .send()
        .await
        .unwrap();
}

/// Registers `domain` as an earlier apply would have for library `ogdenville` (with mailform's
/// ownership tags), and lets the registration complete.
pub(crate) async fn registered(world: &World, domain: &str) {
    registered_with_tags(
        world,
        domain,
        &[("managed-by", "mailform"), ("library", "ogdenville")],
    )
    .await;
}

/// Registers `domain` with these tags (none: someone registered it by hand in the console), and
/// lets the registration complete.
pub(crate) async fn registered_with_tags(world: &World, domain: &str, tags: &[(&str, &str)]) {
    use aws_sdk_route53domains::types::Tag;
    submit_registration(world, domain).await;
    if !tags.is_empty() {
        harness::domains(&world.sandbox)
            .update_tags_for_domain()
            .domain_name(domain)
            .set_tags_to_update(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(60 * 60));
}

pub(crate) fn managed(domain: &str, extra: &str) -> String {
    format!(
        "library \"ogdenville\" {{\n    name \"Ogdenville\"\n    it-contact \"it@ogdenville.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"noreply@{domain}\"\n{extra}    }}\n}}\n"
    )
}

/// The one file in the secrets directory: its content, after checking only the owner can read it.
fn the_secret(cli: &Cli) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = cli.path().join(".mailform/secrets");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the secrets directory")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", files[0].display());
    let secret = std::fs::read_to_string(&files[0])
        .unwrap()
        .trim()
        .to_string();
    assert!(!secret.is_empty());
    secret
}

#[tokio::test]
async fn a_transfer_to_the_librarys_account_starts_once_and_its_password_is_never_printed() {
    const DOMAIN: &str = "ogdenville-mail.org";
    let world = World::new();
    registered(&world, DOMAIN).await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(DOMAIN, "        transfer-to-aws-account \"111122223333\"\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout
            .contains("+ domain-transfer ogdenville-mail.org"),
        "{}",
        plan.stdout
    );

    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("done (TransferDomainToAnotherAwsAccount (operation "),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("within 3 days"),
        "{}",
        applied.stdout
    );
    let password = the_secret(&cli);
    assert!(
        !applied.all().contains(&password),
        "the password was printed:\n{}",
        applied.all()
    );
    assert_eq!(
        world
            .mutations()
            .iter()
            .filter(|m| m.starts_with("TransferDomainToAnotherAwsAccount"))
            .count(),
        1
    );

    // The transfer is under way: nothing more to do, and no second transfer.
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        !world
            .mutations()
            .iter()
            .any(|m| m.starts_with("TransferDomainToAnotherAwsAccount")),
        "{:?}",
        world.mutations()
    );
}

#[tokio::test]
async fn a_key_length_change_is_asked_once_and_the_next_plan_is_settled() {
    let world = World::new();
    let cli = cli().file("libraries/springfield.kdl", &library("springfield", ""));
    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    std::fs::write(
        cli.path().join("libraries/springfield.kdl"),
        library("springfield", "        dkim-key-length 1024\n"),
    )
    .unwrap();
    world.sandbox.clear_request_log();
    let changed = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(changed.code, 0, "{}", changed.all());
    assert_eq!(
        world.mutations(),
        ["PutEmailIdentityDkimSigningAttributes 200"]
    );
    // SES sets the next key's length now; the key in use keeps its length until SES next
    // generates a key: "NextSigningKeyLength: the key length of the future DKIM key pair to be
    // generated", "CurrentSigningKeyLength: the key length of the DKIM key pair in use"
    // (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_DkimAttributes.html).
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity("springfield.example.org")
        .send()
        .await
        .unwrap();
    let dkim = identity.dkim_attributes().unwrap();
    assert_eq!(
        (
            dkim.next_signing_key_length().map(|k| k.as_str()),
            dkim.current_signing_key_length().map(|k| k.as_str())
        ),
        (Some("RSA_1024_BIT"), Some("RSA_2048_BIT"))
    );
    // So the plan compares the next length, and asks nothing more.
    let plan = world.run(&cli, &["plan"]);
    assert!(
        !plan.stdout.contains("dkim-signing-key-length"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn a_handover_to_another_registrar_unlocks_then_keeps_the_auth_code_in_a_private_file() {
    const DOMAIN: &str = "ogdenville-mail.org";
    let world = World::new();
    registered(&world, DOMAIN).await;
    let cli = cli().file(
        "libraries/ogdenville.kdl",
        &managed(DOMAIN, "        transfer-to-registrar\n"),
    );
    world.sandbox.clear_request_log();
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let mutations = world.mutations();
    let unlock = mutations
        .iter()
        .position(|m| m.starts_with("DisableDomainTransferLock"));
    assert!(unlock.is_some(), "{mutations:?}");
    // Turning the lock off is an operation that completes later, as AWS documents
    // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_domains_DisableDomainTransferLock.html:
    // "Successful submission returns an operation ID that you can use to track the progress
    // and completion of the action"): the code waits for the next apply, which is no failure.
    assert!(
        applied.stdout.contains(
            "the transfer lock of ogdenville-mail.org is still turning off; the next apply retrieves the auth code"
        ),
        "{}",
        applied.stdout
    );
    assert!(
        !mutations
            .iter()
            .any(|m| m.starts_with("RetrieveDomainAuthCode")),
        "{mutations:?}"
    );

    // While it runs the plan shows it in progress, not as the lock to turn off again.
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout
            .contains(&format!("DOMAIN_LOCK of {DOMAIN}: SUBMITTED")),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("domain-transfer-lock") && !plan.stdout.contains("domain-transfer"),
        "{}",
        plan.stdout
    );
    world.sandbox.clear_request_log();
    let again = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(world.mutations(), Vec::<String>::new());

    // Once the lock is off, the auth code is retrieved.
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(5 * 60));
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains(&format!("+ domain-transfer {DOMAIN}"))
            && !plan.stdout.contains("domain-transfer-lock"),
        "{}",
        plan.stdout
    );
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("done (RetrieveDomainAuthCode; the auth code is in"),
        "{}",
        applied.stdout
    );
    assert!(applied.stdout.contains("60 days"), "{}", applied.stdout);
    let code = the_secret(&cli);
    assert!(
        !applied.all().contains(&code),
        "the auth code was printed:\n{}",
        applied.all()
    );

    // Unlocked, the handover is not planned again.
    let plan = world.run(&cli, &["plan"]);
    assert!(!plan.stdout.contains("domain-transfer"), "{}", plan.stdout);
}
