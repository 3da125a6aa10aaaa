//! The IAM policies in `.github/iam/` grant exactly the AWS actions mailform calls, no more.
//!
//! Two sources of truth, checked against each other and against the policies:
//! * **static**: every AWS SDK call in `src/` (`.client.<operation>()`), the service from the
//!   file's `aws_sdk_*::Client`, and the role from the impl it sits in (`…Reader` impls read,
//!   so the plan role needs them; the apply role needs everything, since apply re-reads);
//! * **dynamic**: the operations the sandbox logs while the real binary plans, refreshes and
//!   applies through scenarios that reach every method (purchase, method switch, auto-renew
//!   both ways, DKIM key length, configuration set, both transfer kinds).
//!
//! The plan policy must equal the static read set and the apply policy the static whole, after
//! mapping API operations to IAM actions; what the scenarios call must be in the static set (so
//! a call the scan misses, or a name IAM spells differently, fails here too).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mailform::sandbox::LogEntry;

use crate::apply::{World, cli, library, managed, registered};
use crate::support::cli::{Cli, repo};

const PLAN_POLICY: &str = ".github/iam/plan-role-policy.json";
const APPLY_POLICY: &str = ".github/iam/apply-role-policy.json";
/// The nightly notify job's role: `notify --live` reads and writes the notice ledger, and reads the
/// event table (the at-risk notice).
const NOTIFY_POLICY: &str = ".github/iam/notify-role-policy.json";
/// The scheduled job's drain step: `events drain` reads the SES event queue (receiving and
/// deleting, and moving poison to the dead-letter queue) and writes the event store, nothing else.
const EVENTS_POLICY: &str = ".github/iam/events-role-policy.json";
/// What a handover adds, for the operator who runs it with their own credentials: the apply
/// workflow holds handovers (`--hold-handovers`), so the CI apply role has none of these.
const HANDOVER_POLICY: &str = ".github/iam/operator-handover-policy.json";

/// The API operations that hand a domain over or make its secret (a transfer's password, an
/// auth code), or undo one.
const HANDOVER_OPERATIONS: &[&str] = &[
    "route53domains:CancelDomainTransferToAnotherAwsAccount",
    "route53domains:DisableDomainTransferLock",
    "route53domains:RetrieveDomainAuthCode",
    "route53domains:TransferDomainToAnotherAwsAccount",
];

fn is_handover(operation: &str) -> bool {
    HANDOVER_OPERATIONS.contains(&operation)
}

/// A write the event drain makes (`src/events/`): the drain role needs it.
fn is_drain(c: &Call) -> bool {
    c.access == Access::Write && c.files.iter().any(|f| f.starts_with("src/events/"))
}

/// A write only the event drain makes: the drain role's, no other.
fn is_drain_only(c: &Call) -> bool {
    c.access == Access::Write && c.files.iter().all(|f| f.starts_with("src/events/"))
}

/// IAM actions an API operation needs besides its own `prefix:Operation`, from AWS's Service
/// Authorization Reference.
const ALSO_NEEDS: &[(&str, &str)] = &[
    // mailform tags the identity in the CreateEmailIdentity request; SES v2 authorises tags
    // given at creation as `ses:TagResource`.
    ("ses:CreateEmailIdentity", "ses:TagResource"),
    // The same for the tags given to CreateTenant.
    ("ses:CreateTenant", "ses:TagResource"),
    // And to CreateConfigurationSet (the platform's events set, tagged as mailform's).
    ("ses:CreateConfigurationSet", "ses:TagResource"),
    // Route 53 Domains creates the new domain's hosted zone with the caller's permissions
    // (AWS's own AmazonRoute53DomainsFullAccess grants it for this reason).
    ("route53domains:RegisterDomain", "route53:CreateHostedZone"),
    // A transaction is authorised per action it holds; the event store's holds puts (above)
    // and updates ("Using IAM with DynamoDB transactions").
    ("dynamodb:TransactWriteItems", "dynamodb:UpdateItem"),
];

/// API operations IAM authorises under another action's name: SQS's batch calls need the
/// permission of the single call (AWS's SQS API reference, "Permissions").
/// DynamoDB has no `TransactWriteItems` permission: each action is authorised as the single
/// call it stands for (`PutItem`, `UpdateItem`, …; AWS's "Using IAM with DynamoDB
/// transactions").
const AUTHORISED_AS: &[(&str, &str)] = &[
    ("sqs:DeleteMessageBatch", "sqs:DeleteMessage"),
    ("dynamodb:TransactWriteItems", "dynamodb:PutItem"),
];

/// API operations IAM does not authorise at all: AWS documents that `GetCallerIdentity` needs no
/// permission (an explicit deny cannot even stop it), so no policy lists it.
const NEEDS_NO_PERMISSION: &[&str] = &["sts:GetCallerIdentity"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// One SDK call found in the source: where, and which role needs it.
#[derive(Debug, Clone)]
struct Call {
    /// The first file it is called in.
    file: String,
    /// Every file it is called in (the notice ledger and the event store both `Query`).
    files: BTreeSet<String>,
    access: Access,
    /// `prefix:Operation`, as the map it sits in is keyed.
    operation: String,
}

#[test]
fn the_policies_grant_exactly_the_actions_the_code_calls() {
    let calls = sdk_calls();
    let mut problems = Vec::new();
    check_policy(
        PLAN_POLICY,
        &calls,
        |c| c.access == Access::Read,
        &mut problems,
    );
    check_policy(
        APPLY_POLICY,
        &calls,
        |c| !is_handover(&c.operation) && !is_drain_only(c),
        &mut problems,
    );
    check_policy(EVENTS_POLICY, &calls, is_drain, &mut problems);
    check_policy(
        HANDOVER_POLICY,
        &calls,
        |c| is_handover(&c.operation),
        &mut problems,
    );
    for op in HANDOVER_OPERATIONS {
        assert!(
            calls.contains_key(*op),
            "{op} is no longer called: take it out of HANDOVER_OPERATIONS and {HANDOVER_POLICY}"
        );
    }
    check_policy(
        NOTIFY_POLICY,
        &calls,
        |c| c.files.contains("src/notice/dynamo.rs"),
        &mut problems,
    );
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_scan_finds_the_calls_of_every_service_for_both_roles() {
    // Guards the scanner itself: if it found nothing it would pass empty policies.
    let calls = sdk_calls();
    for prefix in ["ses:", "route53:", "route53domains:"] {
        for access in [Access::Read, Access::Write] {
            assert!(
                calls
                    .iter()
                    .any(|(op, c)| op.starts_with(prefix) && c.access == access),
                "the scan of src/ found no {access:?} call for {prefix}: {calls:#?}"
            );
        }
    }
    assert_eq!(
        calls.get("ses:ListEmailIdentities").map(|c| c.access),
        Some(Access::Read)
    );
    assert_eq!(
        calls.get("dynamodb:Query").map(|c| c.access),
        Some(Access::Read)
    );
    assert_eq!(
        calls.get("dynamodb:PutItem").map(|c| c.access),
        Some(Access::Write)
    );
    assert_eq!(
        calls.get("route53domains:RegisterDomain").map(|c| c.access),
        Some(Access::Write)
    );
    assert_eq!(
        snake_to_camel("list_tags_for_resource"),
        "ListTagsForResource"
    );
}

#[test]
fn a_policy_missing_or_adding_an_action_is_reported_with_the_file_to_edit() {
    let calls: BTreeMap<String, Call> = [
        ("ses:GetAccount", Access::Read),
        ("ses:CreateEmailIdentity", Access::Write),
    ]
    .into_iter()
    .map(|(op, access)| {
        let call = Call {
            file: "src/live/ses.rs".into(),
            files: BTreeSet::from(["src/live/ses.rs".to_string()]),
            access,
            operation: op.to_string(),
        };
        (op.to_string(), call)
    })
    .collect();
    let granted: BTreeSet<String> = ["ses:GetAccount", "ses:SendEmail"]
        .into_iter()
        .map(String::from)
        .collect();
    let mut problems = Vec::new();
    compare(APPLY_POLICY, &granted, &calls, |_| true, &mut problems);
    assert_eq!(
        problems,
        [
            ".github/iam/apply-role-policy.json lacks `ses:CreateEmailIdentity` (CreateEmailIdentity, called in src/live/ses.rs): add it",
            ".github/iam/apply-role-policy.json lacks `ses:TagResource` (CreateEmailIdentity, called in src/live/ses.rs): add it",
            ".github/iam/apply-role-policy.json grants `ses:SendEmail`, which mailform never calls: remove it",
        ]
    );
}

#[tokio::test]
async fn every_call_the_binary_makes_is_in_the_policy_of_the_role_that_makes_it() {
    let calls = sdk_calls();
    let mut seen = Seen::default();

    // The plan role: refresh and plan of every example library, on a fresh sandbox that holds
    // every request to the plan role's policy, as AWS would.
    let world = World::new();
    world.sandbox.set_iam_policy(Some(policy(&[PLAN_POLICY])));
    // With SES tenants on, so that their reads are held to the policy too.
    let tenants = crate::apply::tenants::platform_with_tenants();
    let mut examples = cli().file("libraries/_platform.kdl", &tenants);
    for entry in std::fs::read_dir(repo().join("libraries")).expect("libraries/") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".kdl") && name != "_platform.kdl" {
            let text = std::fs::read_to_string(&path).expect("read an example");
            examples = examples.file(&format!("libraries/{name}"), &text);
        }
    }
    seen.plan(&world, &examples, &["refresh", "--out", "live.json"], 0);
    seen.plan(&world, &examples, &["plan", "--detailed-exitcode"], 2);
    // The plan role reads the notice ledger too (`mailform notices`, and the plan's notices).
    let examples = examples.file(
        "libraries/_platform.kdl",
        &crate::notices::platform_with_notices(),
    );
    seen.plan(&world, &examples, &["notices"], 0);
    assert!(
        seen.plan.contains_key("dynamodb:Scan"),
        "`mailform notices` read the ledger"
    );

    // The events role drains simulator mail with a poison message among it; the plan role
    // reads the event store (`deliverability`, and the status page's column).
    let (world, events) = crate::events::scene().await;
    crate::events::send_the_mix(&world.sandbox).await;
    world.sandbox.sqs_send(crate::events::QUEUE, "poison");
    world.sandbox.set_iam_policy(Some(policy(&[EVENTS_POLICY])));
    seen.events(&world, &events, &["events", "drain"]);
    assert_eq!(world.sandbox.sqs_depth(crate::events::DLQ), Some((1, 0)));
    world.sandbox.set_iam_policy(Some(policy(&[PLAN_POLICY])));
    seen.plan(&world, &events, &["deliverability"], 0);

    // The apply role, from nothing: an SES domain with MAIL FROM and a configuration set, and a
    // managed domain bought.
    let world = World::new();
    for set in ["library-notices", "library-receipts"] {
        crate::support::sandbox::ses(&world.sandbox)
            .create_configuration_set()
            .configuration_set_name(set)
            .send()
            .await
            .expect("a configuration set");
    }
    // From here on the CI apply role's policy, with the workflow's `--hold-handovers`.
    world.sandbox.set_iam_policy(Some(policy(&[APPLY_POLICY])));
    let ses_domain = library(
        "springfield",
        "        mail-from \"bounce.springfield.example.org\"\n        configuration-set \"library-notices\"\n",
    );
    let bought = "shelbyville-mail.org";
    let estate = cli()
        .file("libraries/_platform.kdl", &tenants)
        .file("libraries/springfield.kdl", &ses_domain)
        .file(
            "libraries/shelbyville.kdl",
            &managed(bought, "").replace("ogdenville", "shelbyville"),
        );
    seen.plan(&world, &estate, &["plan", "--out", "plan.json"], 0);
    seen.apply(
        &world,
        &estate,
        &["apply", "plan.json", "--allow-purchase", bought],
    );
    // A new key length and configuration set for the identity made above (its tenant trades
    // one set for the other), and the library's sending paused.
    edit(
        &estate,
        "libraries/springfield.kdl",
        &ses_domain
            .replace(
                "    ses-domain {\n",
                "    ses-domain {\n        dkim-key-length 1024\n",
            )
            .replace(
                "        configuration-set \"library-notices\"\n",
                "        configuration-set \"library-receipts\"\n        tenant {\n            sending \"paused\"\n        }\n",
            ),
    );
    seen.apply(&world, &estate, &["apply", "--auto-approve"]);
    // A method switch: the SES identity goes.
    edit(
        &estate,
        "libraries/springfield.kdl",
        "library \"springfield\" {\n    name \"Springfield\"\n    it-contact \"it@springfield.example.org\"\n\n    smtp-account {\n        host \"smtp.springfield.example.org\"\n        port 465\n        security \"tls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\"\n        from \"notices@springfield.example.org\"\n    }\n}\n",
    );
    seen.apply(
        &world,
        &estate,
        &["apply", "--auto-approve", "--allow-destroy"],
    );

    // The platform's events set and destination from nothing, then a destination drifted by
    // hand put back: the apply role makes them, the plan role reads them.
    let world = World::new();
    world.sandbox.set_iam_policy(Some(policy(&[APPLY_POLICY])));
    let with_events = cli()
        .file("libraries/_platform.kdl", &crate::events::platform())
        .file("libraries/springfield.kdl", &library("springfield", ""));
    seen.apply(&world, &with_events, &["apply", "--auto-approve"]);
    crate::support::sandbox::ses(&world.sandbox)
        .update_configuration_set_event_destination()
        .configuration_set_name(crate::events::CONFIGURATION_SET)
        .event_destination_name("mailform-events")
        .event_destination(
            aws_sdk_sesv2::types::EventDestinationDefinition::builder()
                .enabled(false)
                .matching_event_types(aws_sdk_sesv2::types::EventType::Send)
                .build(),
        )
        .send()
        .await
        .expect("a drifted destination");
    world.sandbox.set_iam_policy(Some(policy(&[PLAN_POLICY])));
    seen.plan(&world, &with_events, &["plan"], 0);
    world.sandbox.set_iam_policy(Some(policy(&[APPLY_POLICY])));
    seen.apply(&world, &with_events, &["apply", "--auto-approve"]);
    for op in [
        "ses:CreateConfigurationSet",
        "ses:CreateConfigurationSetEventDestination",
        "ses:UpdateConfigurationSetEventDestination",
    ] {
        assert!(
            seen.apply.contains_key(op),
            "the events scenario did not reach {op}"
        );
    }
    assert!(
        seen.plan
            .contains_key("ses:GetConfigurationSetEventDestinations")
    );

    // A registered managed domain: auto-renew off, then on again.
    const DOMAIN: &str = "ogdenville-mail.org";
    for (extra, transfer) in [
        ("        auto-renew #false\n", None),
        ("        auto-renew #true\n", None),
        (
            "        transfer-to-aws-account \"111122223333\"\n",
            Some("TransferDomainToAnotherAwsAccount"),
        ),
        (
            "        transfer-to-registrar\n",
            Some("RetrieveDomainAuthCode"),
        ),
    ] {
        let world = World::new();
        registered(&world, DOMAIN).await;
        world.sandbox.set_iam_policy(Some(policy(&[APPLY_POLICY])));
        if extra.contains("#true") {
            edit_and_apply_auto_renew_off(&world, &mut seen, DOMAIN);
        }
        let estate = cli().file("libraries/ogdenville.kdl", &managed(DOMAIN, extra));
        seen.plan(&world, &estate, &["plan"], 0);
        let Some(op) = transfer else {
            seen.apply(&world, &estate, &["apply", "--auto-approve"]);
            continue;
        };
        // The apply workflow leaves the handover to an operator: it waits (exit 4), and the CI
        // role, which could not make it anyway, is never asked to.
        seen.apply_expecting(&world, &estate, &["apply", "--auto-approve"], 4);
        // The operator, with their own credentials: the apply role's actions and the handover's.
        world
            .sandbox
            .set_iam_policy(Some(policy(&[APPLY_POLICY, HANDOVER_POLICY])));
        seen.operator(&world, &estate, &["apply", "--auto-approve"]);
        if extra.contains("transfer-to-registrar") {
            // The lock is off minutes after DisableDomainTransferLock; the code comes next.
            world
                .sandbox
                .advance_clock(std::time::Duration::from_secs(5 * 60 + 1));
            seen.operator(&world, &estate, &["apply", "--auto-approve"]);
        }
        assert!(
            seen.operator.contains_key(&format!("route53domains:{op}")),
            "the scenario `{extra}` did not reach {op}"
        );
    }
    for op in HANDOVER_OPERATIONS {
        assert!(
            !seen.apply.contains_key(*op),
            "the CI apply role's runs called {op}, a handover"
        );
    }

    let mut problems = Vec::new();
    for (action, first) in &seen.plan {
        match calls.get(action) {
            None => problems.push(format!(
                "plan/refresh called {action} (during `{first}`), which the scan of src/ does not find; teach tests/it/iam.rs to see it"
            )),
            Some(c) if c.access == Access::Write => problems.push(format!(
                "plan/refresh called {action} (during `{first}`), which sits in a Writer impl in {}",
                c.file
            )),
            Some(_) => {}
        }
    }
    for (action, first) in seen.apply.iter().chain(&seen.operator).chain(&seen.events) {
        if !calls.contains_key(action) {
            problems.push(format!(
                "apply called {action} (during `{first}`), which the scan of src/ does not find; teach tests/it/iam.rs to see it"
            ));
        }
    }
    // What a role's runs called must be in its policy (the static check above covers the rest).
    for (policies, actions) in [
        (&[PLAN_POLICY][..], &seen.plan),
        (&[APPLY_POLICY][..], &seen.apply),
        (&[APPLY_POLICY, HANDOVER_POLICY][..], &seen.operator),
        (&[EVENTS_POLICY][..], &seen.events),
    ] {
        let policy = policies.join(" + ");
        let granted: BTreeSet<String> = policies.iter().flat_map(|p| granted(p)).collect();
        for action in actions.keys().flat_map(|a| iam_actions(a)) {
            if !granted.contains(&action) {
                problems.push(format!(
                    "{policy} lacks `{action}`, which the binary called"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));

    let reached: BTreeSet<&String> = seen
        .plan
        .keys()
        .chain(seen.apply.keys())
        .chain(seen.operator.keys())
        .chain(seen.events.keys())
        .collect();
    let unreached: Vec<&String> = calls.keys().filter(|a| !reached.contains(a)).collect();
    // Not a failure: the static check covers these. Shown so a new call gets a scenario.
    if !unreached.is_empty() {
        eprintln!("no scenario reached: {unreached:?}");
    }
}

#[tokio::test]
async fn the_ci_apply_role_writes_only_dkim_cnames_and_never_hands_a_domain_over() {
    use aws_sdk_route53::error::ProvideErrorMetadata as _;
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    const DOMAIN: &str = "ogdenville-mail.org";
    let world = World::new();
    registered(&world, DOMAIN).await;
    world.sandbox.set_iam_policy(Some(policy(&[APPLY_POLICY])));

    let r53 = crate::support::sandbox::route53(&world.sandbox);
    let zones = r53
        .list_hosted_zones()
        .send()
        .await
        .expect("ListHostedZones");
    let zone = zones
        .hosted_zones()
        .iter()
        .find(|z| z.name() == format!("{DOMAIN}."))
        .expect("the registration's hosted zone")
        .id()
        .to_string();
    let change = |action: ChangeAction, name: &str, rtype: RrType, value: &str| {
        let set = ResourceRecordSet::builder()
            .name(name)
            .r#type(rtype)
            .ttl(300)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap();
        r53.change_resource_record_sets()
            .hosted_zone_id(&zone)
            .change_batch(
                ChangeBatch::builder()
                    .changes(
                        Change::builder()
                            .action(action)
                            .resource_record_set(set)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let dkim = format!("abc._domainkey.{DOMAIN}.");
    change(
        ChangeAction::Upsert,
        &dkim,
        RrType::Cname,
        "abc.dkim.amazonses.com",
    )
    .await
    .expect("apply's own change: a DKIM CNAME, upserted");
    for (action, name, rtype, value) in [
        (
            ChangeAction::Delete,
            dkim.clone(),
            RrType::Cname,
            "abc.dkim.amazonses.com",
        ),
        (
            ChangeAction::Create,
            format!("x._domainkey.{DOMAIN}."),
            RrType::Cname,
            "x.dkim.amazonses.com",
        ),
        (
            ChangeAction::Upsert,
            format!("{DOMAIN}."),
            RrType::A,
            "192.0.2.1",
        ),
        (
            ChangeAction::Upsert,
            format!("www.{DOMAIN}."),
            RrType::Cname,
            "evil.example",
        ),
        (
            ChangeAction::Upsert,
            format!("x._domainkey.{DOMAIN}."),
            RrType::Txt,
            "\"v=DKIM1\"",
        ),
        (
            ChangeAction::Upsert,
            format!("x.domainkey.{DOMAIN}."),
            RrType::Cname,
            "x.dkim.amazonses.com",
        ),
        (
            ChangeAction::Upsert,
            format!("_dmarc.{DOMAIN}."),
            RrType::Txt,
            "\"v=DMARC1; p=none\"",
        ),
    ] {
        let what = format!("{action:?} {rtype:?} {name}");
        let err = change(action, &name, rtype, value)
            .await
            .expect_err(&format!("the CI apply role may not {what}"));
        assert_eq!(err.code(), Some("AccessDenied"), "{what}: {err:?}");
    }

    let domains = crate::support::sandbox::domains(&world.sandbox);
    let refused = |e: &dyn aws_sdk_route53domains::error::ProvideErrorMetadata| {
        e.code() == Some("AccessDeniedException")
    };
    let transfer = domains
        .transfer_domain_to_another_aws_account()
        .domain_name(DOMAIN)
        .account_id("111122223333")
        .send()
        .await
        .expect_err("no transfer from CI");
    assert!(refused(&transfer), "{transfer:?}");
    let code = domains
        .retrieve_domain_auth_code()
        .domain_name(DOMAIN)
        .send()
        .await
        .expect_err("no auth code from CI");
    assert!(refused(&code), "{code:?}");
    let unlock = domains
        .disable_domain_transfer_lock()
        .domain_name(DOMAIN)
        .send()
        .await
        .expect_err("no unlocking from CI");
    assert!(refused(&unlock), "{unlock:?}");

    // The binary under the CI role, asked for a handover without `--hold-handovers`: the step
    // fails on AWS's refusal, naming the action to grant; nothing is handed over.
    let estate = cli().file(
        "libraries/ogdenville.kdl",
        &managed(DOMAIN, "        transfer-to-aws-account \"111122223333\"\n"),
    );
    let out = world.run(&estate, &["apply", "--auto-approve"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.all()
            .contains("route53domains:TransferDomainToAnotherAwsAccount"),
        "{}",
        out.all()
    );
}

/// Turns a registered domain's auto-renew off first, so that `auto-renew #true` has work to do.
fn edit_and_apply_auto_renew_off(world: &World, seen: &mut Seen, domain: &str) {
    let off = cli().file(
        "libraries/ogdenville.kdl",
        &managed(domain, "        auto-renew #false\n"),
    );
    seen.apply(world, &off, &["apply", "--auto-approve"]);
}

fn edit(cli: &Cli, path: &str, text: &str) {
    std::fs::write(cli.path().join(path), text).expect("edit a library file");
}

/// The IAM actions (API operation form, e.g. `ses:GetAccount`) each role's runs called, each
/// with the first command that called it.
#[derive(Default)]
struct Seen {
    plan: BTreeMap<String, String>,
    /// The apply workflow's runs (the CI apply role, `--hold-handovers`).
    apply: BTreeMap<String, String>,
    /// An operator's handover runs.
    operator: BTreeMap<String, String>,
    /// The scheduled job's drain (the events role).
    events: BTreeMap<String, String>,
}

impl Seen {
    fn plan(&mut self, world: &World, cli: &Cli, command: &[&str], code: i32) {
        let log = run(world, cli, command, code);
        record(&mut self.plan, command, log);
    }

    fn apply(&mut self, world: &World, cli: &Cli, command: &[&str]) {
        self.apply_expecting(world, cli, command, 0);
    }

    fn apply_expecting(&mut self, world: &World, cli: &Cli, command: &[&str], code: i32) {
        let mut command = command.to_vec();
        command.push("--hold-handovers");
        let log = run(world, cli, &command, code);
        record(&mut self.apply, &command, log);
    }

    fn operator(&mut self, world: &World, cli: &Cli, command: &[&str]) {
        let log = run(world, cli, command, 0);
        record(&mut self.operator, command, log);
    }

    fn events(&mut self, world: &World, cli: &Cli, command: &[&str]) {
        let log = run(world, cli, command, 0);
        record(&mut self.events, command, log);
    }
}

/// The policy documents as one, as IAM joins the policies attached to one role.
fn policy(files: &[&str]) -> serde_json::Value {
    let mut statements = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(repo().join(file)).expect("the policy file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("the policy is JSON");
        statements.extend(
            doc["Statement"]
                .as_array()
                .expect("a Statement list")
                .clone(),
        );
    }
    serde_json::json!({ "Version": "2012-10-17", "Statement": statements })
}

fn run(world: &World, cli: &Cli, command: &[&str], code: i32) -> Vec<LogEntry> {
    let mut args = world.args(command);
    if matches!(command.first(), Some(&"refresh" | &"notices" | &"events")) {
        // refresh, notices and events have no --today: they read or move, and judge nothing.
        let at = args.iter().position(|a| a == "--today").expect("--today");
        args.drain(at..at + 2);
    }
    world.sandbox.clear_request_log();
    let out = Cli::reuse(cli, args).run();
    assert_eq!(out.code, code, "{command:?}\n{}", out.all());
    world.sandbox.request_log()
}

fn record(into: &mut BTreeMap<String, String>, command: &[&str], log: Vec<LogEntry>) {
    for entry in log {
        assert!(
            !entry
                .error
                .as_deref()
                .unwrap_or("")
                .contains("AccessDenied"),
            "`{}` was refused {} by the role's policy",
            command.join(" "),
            entry.operation
        );
        let prefix = entry.service.as_str();
        into.entry(format!("{prefix}:{}", entry.operation))
            .or_insert_with(|| command.join(" "));
    }
}

/// `prefix:Operation` → the IAM actions it needs.
fn iam_actions(operation: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, action)) = AUTHORISED_AS.iter().find(|(op, _)| *op == operation) {
        out.push(action.to_string());
    } else if !NEEDS_NO_PERMISSION.contains(&operation) {
        out.push(operation.to_string());
    }
    out.extend(
        ALSO_NEEDS
            .iter()
            .filter(|(op, _)| *op == operation)
            .map(|(_, extra)| extra.to_string()),
    );
    out
}

fn check_policy(
    policy: &str,
    calls: &BTreeMap<String, Call>,
    needs: impl Fn(&Call) -> bool,
    problems: &mut Vec<String>,
) {
    compare(policy, &granted(policy), calls, needs, problems);
}

/// Every action the role needs is granted, and nothing else is.
fn compare(
    policy: &str,
    granted: &BTreeSet<String>,
    calls: &BTreeMap<String, Call>,
    needs: impl Fn(&Call) -> bool,
    problems: &mut Vec<String>,
) {
    let mut needed = BTreeSet::new();
    for (operation, call) in calls.iter().filter(|(_, c)| needs(c)) {
        for action in iam_actions(operation) {
            if !granted.contains(&action) {
                let api = operation.split_once(':').map_or("", |(_, op)| op);
                problems.push(format!(
                    "{policy} lacks `{action}` ({api}, called in {}): add it",
                    call.file
                ));
            }
            needed.insert(action);
        }
    }
    for action in granted.difference(&needed) {
        problems.push(format!(
            "{policy} grants `{action}`, which mailform never calls: remove it"
        ));
    }
}

/// The actions a policy file allows. A wildcard is kept as written, so it shows up as extra.
fn granted(policy: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join(policy)).expect("the policy file");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the policy is JSON");
    let mut out = BTreeSet::new();
    for statement in doc["Statement"].as_array().expect("a Statement list") {
        assert_eq!(
            statement["Effect"], "Allow",
            "{policy}: only Allow statements"
        );
        match &statement["Action"] {
            serde_json::Value::String(a) => {
                out.insert(a.clone());
            }
            serde_json::Value::Array(list) => {
                out.extend(
                    list.iter()
                        .map(|a| a.as_str().expect("an action").to_string()),
                );
            }
            other => panic!("{policy}: unexpected Action {other}"),
        }
    }
    out
}

/// Every AWS SDK call in `src/` outside the sandbox, as `prefix:Operation`.
fn sdk_calls() -> BTreeMap<String, Call> {
    let root = repo();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut out = BTreeMap::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("src/sandbox/") || rel.starts_with("src/bin/") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for (operation, access) in calls_in(&rel, &text) {
            let call = out.entry(operation.clone()).or_insert_with(|| Call {
                file: rel.clone(),
                files: BTreeSet::new(),
                access,
                operation: operation.clone(),
            });
            assert_eq!(
                call.access, access,
                "{operation} is called from a Reader and a Writer ({} and {rel}); the plan role would need it",
                call.file
            );
            call.files.insert(rel.clone());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The SDK calls in one file: `client` then `.operation(` (whitespace between allowed), each
/// with the access of the top-level impl it sits in.
fn calls_in(file: &str, text: &str) -> Vec<(String, Access)> {
    let sdks: Vec<&str> = [
        ("aws_sdk_sesv2::Client", "ses"),
        ("aws_sdk_route53::Client", "route53"),
        ("aws_sdk_route53domains::Client", "route53domains"),
        ("aws_sdk_sts::Client", "sts"),
        ("aws_sdk_dynamodb::Client", "dynamodb"),
        ("aws_sdk_sqs::Client", "sqs"),
    ]
    .into_iter()
    .filter(|(path, _)| text.contains(path))
    .map(|(_, prefix)| prefix)
    .collect();
    let prefix = match sdks.as_slice() {
        [] => return Vec::new(),
        [one] => *one,
        _ => panic!("{file} uses more than one AWS SDK client; the IAM test maps one per file"),
    };
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .map(|l| {
            let at = offset;
            offset += l.len() + 1;
            (at, l)
        })
        .collect();
    let impl_at = |at: usize| -> Option<&str> {
        let mut current = None;
        for (start, line) in &lines {
            if *start > at {
                break;
            }
            if line.starts_with("impl ") {
                current = Some(*line);
            } else if *line == "}" {
                current = None;
            }
        }
        current
    };
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("client") {
        let at = from + found;
        from = at + "client".len();
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if before != Some(b'.') {
            continue;
        }
        let rest = text[from..].trim_start();
        let Some(rest) = rest.strip_prefix('.') else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if name.is_empty() || !rest[name.len()..].starts_with('(') {
            continue;
        }
        let access = match impl_at(at) {
            // The notice ledger's adapter is one trait of reads and writes: DynamoDB's role is
            // decided by the operation (the plan reads the ledger, notify writes it).
            _ if prefix == "dynamodb" => match name.as_str() {
                "query" | "scan" | "get_item" | "describe_table" => Access::Read,
                _ => Access::Write,
            },
            // Draining a queue consumes it: every SQS call is a write.
            _ if prefix == "sqs" => Access::Write,
            Some(l) if l.contains("Reader for ") => Access::Read,
            Some(l) if l.contains("Writer for ") => Access::Write,
            _ => panic!(
                "{file}: the SDK call `{name}` is outside a `…Reader for` or `…Writer for` impl, so the IAM test cannot tell which role needs it"
            ),
        };
        out.push((format!("{prefix}:{}", snake_to_camel(&name)), access));
    }
    out
}

fn snake_to_camel(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
