//! The platform's events configuration set and mailform's event destination, reconciled by
//! `plan`/`apply` through the binary against the sandbox: a fresh account gets both from one
//! apply (before the identity that names the set) and plans clean after; a destination
//! drifted by hand (disabled, another topic, event types missing) is planned with what drifted
//! and put back, while another team's destination on the set is listed and left alone; an
//! apply killed with SIGKILL anywhere converges on the next; two applies at once make one of
//! each.

use std::time::{Duration, Instant};

use aws_sdk_sesv2::types::{EventDestinationDefinition, EventType, SnsDestination};
use mailform::sandbox::{FaultKind, FaultRule, Service};
use serde_json::Value;

use super::{CONFIGURATION_SET, TOPIC, platform};
use crate::apply::{World, cli};
use crate::support::cli::Cli;
use crate::support::json_schema;
use crate::support::sandbox as harness;

const DESTINATION: &str = "mailform-events";
const DOMAIN: &str = "springfield.example.org";

fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:us-east-1:123456789012:{name}")
}

/// One SES library, and the platform file with an `events` block; the account has nothing.
fn scene() -> (World, Cli) {
    let world = World::new();
    let cli = cli().file("libraries/_platform.kdl", &platform()).file(
        "libraries/springfield.kdl",
        &crate::apply::library("springfield", ""),
    );
    (world, cli)
}

/// What the account holds: `(name, enabled, event types sorted, SNS topic)` of every
/// destination on the set, or `None` when the set does not exist.
type Destination = (String, bool, Vec<String>, Option<String>);

async fn destinations(world: &World) -> Option<Vec<Destination>> {
    let out = harness::ses(&world.sandbox)
        .get_configuration_set_event_destinations()
        .configuration_set_name(CONFIGURATION_SET)
        .send()
        .await
        .ok()?;
    let mut all: Vec<Destination> = out
        .event_destinations()
        .iter()
        .map(|d| {
            let mut types: Vec<String> = d
                .matching_event_types()
                .iter()
                .map(|t| t.as_str().to_string())
                .collect();
            types.sort();
            (
                d.name().to_string(),
                d.enabled(),
                types,
                d.sns_destination().map(|s| s.topic_arn().to_string()),
            )
        })
        .collect();
    all.sort();
    Some(all)
}

fn ours() -> Destination {
    let mut types: Vec<String> = [
        "SEND",
        "DELIVERY",
        "BOUNCE",
        "COMPLAINT",
        "REJECT",
        "DELIVERY_DELAY",
    ]
    .map(String::from)
    .to_vec();
    types.sort();
    (DESTINATION.into(), true, types, Some(topic_arn(TOPIC)))
}

fn ok_calls(world: &World, operation: &str) -> usize {
    world
        .sandbox
        .request_log()
        .iter()
        .filter(|e| e.operation == operation && e.status == 200)
        .count()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_fresh_account_gets_the_set_and_destination_from_one_apply_and_plans_clean_after() {
    let (world, cli) = scene();
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains(
            "# The platform's events (made before every library's changes)\n  + ses-configuration-set library-mail\n"
        ) && plan
            .stdout
            .contains("  + ses-event-destination library-mail/mailform-events\n")
            && plan.stdout.contains(&format!(
                "sns-topic-arn: (none) → \"{}\"",
                topic_arn(TOPIC)
            ))
            && plan.stdout.contains(
                "event-types: (none) → \"SEND, DELIVERY, BOUNCE, COMPLAINT, REJECT, DELIVERY_DELAY\""
            ),
        "{}",
        plan.stdout
    );
    // The set is made by this apply: the identity that names it is not blocked.
    assert!(
        !plan.stdout.contains("ses::configuration-set-missing")
            && plan.stdout.contains(&format!("+ ses-identity {DOMAIN}")),
        "{}",
        plan.stdout
    );
    let json = world.run(&cli, &["plan", "--format", "json"]);
    let value: Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    json_schema::assert_valid("plan.schema.json", &value);
    let kinds: Vec<&str> = value["platform_changes"]
        .as_array()
        .expect("platform_changes")
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ses-configuration-set", "ses-event-destination"]);

    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let set_at = apply
        .stdout
        .find("platform: + ses-configuration-set library-mail: done (CreateConfigurationSet)")
        .unwrap_or_else(|| panic!("{}", apply.stdout));
    let destination_at = apply
        .stdout
        .find("platform: + ses-event-destination library-mail/mailform-events: done (CreateConfigurationSetEventDestination)")
        .unwrap_or_else(|| panic!("{}", apply.stdout));
    let identity_at = apply
        .stdout
        .find(&format!("+ ses-identity {DOMAIN}: done"))
        .unwrap_or_else(|| panic!("{}", apply.stdout));
    assert!(
        set_at < destination_at && destination_at < identity_at,
        "{}",
        apply.stdout
    );
    assert_eq!(block_on(destinations(&world)), Some(vec![ours()]));
    let set = block_on(
        harness::ses(&world.sandbox)
            .get_configuration_set()
            .configuration_set_name(CONFIGURATION_SET)
            .send(),
    )
    .unwrap();
    assert!(
        set.tags()
            .iter()
            .any(|t| t.key() == "managed-by" && t.value() == "mailform"),
        "{:?}",
        set.tags()
    );
    let identity = block_on(
        harness::ses(&world.sandbox)
            .get_email_identity()
            .email_identity(DOMAIN)
            .send(),
    )
    .unwrap();
    assert_eq!(identity.configuration_set_name(), Some(CONFIGURATION_SET));
    world.assert_converged(&cli);
}

#[test]
fn a_drifted_destination_is_planned_and_put_back_and_another_is_left_alone() {
    let (world, cli) = scene();
    let first = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let ses = harness::ses(&world.sandbox);
    // By hand: ours disabled, on another topic, without REJECT and DELIVERY_DELAY; another
    // team's destination beside it.
    let drifted = EventDestinationDefinition::builder()
        .enabled(false)
        .set_matching_event_types(Some(vec![
            EventType::Send,
            EventType::Delivery,
            EventType::Bounce,
            EventType::Complaint,
        ]))
        .sns_destination(
            SnsDestination::builder()
                .topic_arn(topic_arn("someone-elses-topic"))
                .build()
                .unwrap(),
        )
        .build();
    block_on(
        ses.update_configuration_set_event_destination()
            .configuration_set_name(CONFIGURATION_SET)
            .event_destination_name(DESTINATION)
            .event_destination(drifted)
            .send(),
    )
    .unwrap();
    let theirs = EventDestinationDefinition::builder()
        .enabled(true)
        .set_matching_event_types(Some(vec![EventType::Open, EventType::Click]))
        .sns_destination(
            SnsDestination::builder()
                .topic_arn(topic_arn("analytics"))
                .build()
                .unwrap(),
        )
        .build();
    block_on(
        ses.create_configuration_set_event_destination()
            .configuration_set_name(CONFIGURATION_SET)
            .event_destination_name("analytics")
            .event_destination(theirs)
            .send(),
    )
    .unwrap();

    let plan = world.run(&cli, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains(
            "~ ses-event-destination library-mail/mailform-events  (disabled; REJECT and DELIVERY_DELAY not published; publishes to another SNS topic)"
        ) && plan.stdout.contains("enabled: false → true")
            && plan.stdout.contains(
                "ses-event-destination library-mail/analytics: on the platform's events configuration set, but mailform did not make it: left as it is"
            )
            && plan.stdout.contains("Plan: 0 to create, 1 to change"),
        "{}",
        plan.stdout
    );
    let markdown = world.run(&cli, &["plan", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("#### The platform's events")
            && markdown
                .stdout
                .contains("- **update** ses-event-destination `library-mail/mailform-events`"),
        "{}",
        markdown.stdout
    );
    world.sandbox.clear_request_log();
    let apply = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply.stdout.contains(
            "platform: ~ ses-event-destination library-mail/mailform-events: done (UpdateConfigurationSetEventDestination)"
        ),
        "{}",
        apply.stdout
    );
    let mut analytics_types = vec!["CLICK".to_string(), "OPEN".to_string()];
    analytics_types.sort();
    assert_eq!(
        block_on(destinations(&world)),
        Some(vec![
            (
                "analytics".into(),
                true,
                analytics_types,
                Some(topic_arn("analytics"))
            ),
            ours(),
        ])
    );
    assert_eq!(
        ok_calls(&world, "UpdateConfigurationSetEventDestination"),
        1
    );
    world.assert_converged(&cli);
}

#[test]
fn a_library_s_own_missing_set_is_still_a_plan_error() {
    let (world, cli) = scene();
    let cli = cli.file(
        "libraries/springfield.kdl",
        &crate::apply::library("springfield", "        configuration-set \"own-set\"\n"),
    );
    let plan = world.run(&cli, &["plan"]);
    assert!(
        plan.stdout.contains("ses::configuration-set-missing")
            && plan.stdout.contains("`own-set` does not exist")
            && plan.stdout.contains("+ ses-configuration-set library-mail"),
        "{}",
        plan.stdout
    );
}

/// The scene with every write of the set and destination answered late, so that kills land
/// between a call's effect and its answer too.
fn slow_scene() -> (World, Cli) {
    let (world, cli) = scene();
    for op in [
        "CreateConfigurationSet",
        "CreateConfigurationSetEventDestination",
        "CreateEmailIdentity",
    ] {
        world.sandbox.inject_fault(
            FaultRule::new(Service::Ses, FaultKind::RespondLate { millis: 150 }).operation(op),
        );
    }
    (world, cli)
}

#[test]
fn an_apply_killed_anywhere_converges_on_the_next() {
    let rounds = crate::support::kill_rounds("MAILFORM_DESTINATION_KILL_ROUNDS").min(8);
    let (world, cli) = slow_scene();
    let args = world.args(&["apply", "--auto-approve"]);
    world.serve(&cli);
    let started = Instant::now();
    let whole = Cli::reuse(&cli, args).run();
    let span = started.elapsed();
    assert_eq!(whole.code, 0, "{}", whole.all());
    drop(world);
    for round in 0..rounds {
        let at = span * (2 * round as u32 + 1) / (2 * rounds as u32);
        let (world, cli) = slow_scene();
        world.serve(&cli);
        let mut child = Cli::reuse(&cli, world.args(&["apply", "--auto-approve"])).spawn();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(200));
        world.sandbox.clear_faults();
        let context = format!("round {round}, killed after {at:?} of {span:?}");
        let again = world.run(&cli, &["apply", "--auto-approve"]);
        assert_eq!(again.code, 0, "{context}\n{}", again.all());
        assert_eq!(
            block_on(destinations(&world)),
            Some(vec![ours()]),
            "{context}"
        );
        assert_eq!(ok_calls(&world, "CreateConfigurationSet"), 1, "{context}");
        world.assert_converged(&cli);
    }
}

#[test]
fn two_applies_at_once_make_one_set_and_one_destination() {
    for round in 0..4u64 {
        let (world, cli) = scene();
        world.serve(&cli);
        let args = world.args(&["apply", "--auto-approve"]);
        let apart = [0, 30, 100, 250][round as usize];
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| Cli::reuse(&cli, args.clone()).run());
            std::thread::sleep(Duration::from_millis(apart));
            let b = scope.spawn(|| Cli::reuse(&cli, args.clone()).run());
            (a.join().unwrap(), b.join().unwrap())
        });
        let context = format!("round {round}\n--- a\n{}\n--- b\n{}", a.all(), b.all());
        for out in [&a, &b] {
            assert!(
                !out.stdout
                    .contains("ses-configuration-set library-mail: FAILED")
                    && !out
                        .stdout
                        .contains("ses-event-destination library-mail/mailform-events: FAILED"),
                "{context}"
            );
        }
        assert_eq!(ok_calls(&world, "CreateConfigurationSet"), 1, "{context}");
        assert_eq!(
            ok_calls(&world, "CreateConfigurationSetEventDestination"),
            1,
            "{context}"
        );
        assert_eq!(
            block_on(destinations(&world)),
            Some(vec![ours()]),
            "{context}"
        );
        world.assert_converged(&cli);
    }
}
