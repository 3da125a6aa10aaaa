//! SES events through the binary: mail to Amazon's mailbox simulator sent through the sandbox's
//! SES (SDK `SendEmail`), published by the configuration set's event destination to SNS, queued
//! in SQS, drained by `mailform events drain` and counted by `mailform deliverability`; SQS's
//! duplicate and out-of-order delivery, a poison message, two drains at once, and `kill -9`
//! at points spread over a drain.

mod destination;
mod kill;
mod rollups;
mod suppression;

use std::collections::BTreeMap;

use mailform::sandbox::SandboxHandle;
use serde_json::Value;

use crate::apply::{World, cli};
use crate::support::cli::{Cli, Output};
use crate::support::estate::sandbox_flags;
use crate::support::json_schema;
use crate::support::sandbox as harness;

pub(crate) const QUEUE: &str = "mailform-ses-events";
pub(crate) const DLQ: &str = "mailform-ses-events-dlq";
pub(crate) const TOPIC: &str = "mailform-ses-events";
pub(crate) const CONFIGURATION_SET: &str = "library-mail";
/// The sandbox's first day (`support::sandbox::START`).
pub(crate) const TODAY: &str = "2026-01-01";
const SCHEMA: &str = "deliverability.schema.json";

/// The platform file with an `events` block for the sandbox's account.
pub(crate) fn platform() -> String {
    let platform = crate::support::cli::PLATFORM;
    let end = platform.rfind('}').expect("the platform block ends");
    format!(
        "{}{}}}\n",
        &platform[..end],
        format_args!(
            r#"
    events {{
        configuration-set "{CONFIGURATION_SET}"
        sns-topic-arn "arn:aws:sns:us-east-1:123456789012:{TOPIC}"
        queue-url "https://sqs.us-east-1.amazonaws.com/123456789012/{QUEUE}"
        dead-letter-queue-url "https://sqs.us-east-1.amazonaws.com/123456789012/{DLQ}"
    }}
"#
        )
    )
}

pub(crate) fn library(id: &str, domain: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{domain}\"\n\n    ses-domain {{\n        from \"news@{domain}\"\n    }}\n}}\n"
    )
}

pub(crate) const SPRINGFIELD: &str = "springfield-library.org";
pub(crate) const SHELBYVILLE: &str = "shelbyville-library.org";

/// The README's one-time setup done in `sandbox`: topic, queue with a 1-second visibility
/// timeout so a killed drain's messages come back quickly, dead-letter queue, subscription,
/// the configuration set and its event destination.
pub(crate) async fn pipeline(sandbox: &SandboxHandle) {
    let sqs = harness::sqs(sandbox);
    let sns = harness::sns(sandbox);
    let ses = harness::ses(sandbox);
    sqs.create_queue().queue_name(DLQ).send().await.unwrap();
    sqs.create_queue()
        .queue_name(QUEUE)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .send()
        .await
        .unwrap();
    let topic = sns.create_topic().name(TOPIC).send().await.unwrap();
    sns.subscribe()
        .topic_arn(topic.topic_arn().unwrap())
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:123456789012:{QUEUE}"))
        .send()
        .await
        .unwrap();
    ses.create_configuration_set()
        .configuration_set_name(CONFIGURATION_SET)
        .send()
        .await
        .unwrap();
    ses.create_configuration_set_event_destination()
        .configuration_set_name(CONFIGURATION_SET)
        .event_destination_name("mailform-events")
        .event_destination(mailform::events::event_destination(topic.topic_arn().unwrap()).unwrap())
        .send()
        .await
        .unwrap();
}

/// A sandbox with the [`pipeline`] set up and each library's From address verified; and the
/// library files.
pub(crate) async fn scene() -> (World, Cli) {
    let world = World::new();
    let sandbox = &world.sandbox;
    pipeline(sandbox).await;
    let ses = harness::ses(sandbox);
    for domain in [SPRINGFIELD, SHELBYVILLE] {
        let from = format!("news@{domain}");
        ses.create_email_identity()
            .email_identity(&from)
            .send()
            .await
            .unwrap();
        sandbox.confirm_address(&from).unwrap();
    }
    let cli = cli()
        .file("libraries/_platform.kdl", &platform())
        .file(
            "libraries/springfield.kdl",
            &library("springfield", SPRINGFIELD),
        )
        .file(
            "libraries/shelbyville.kdl",
            &library("shelbyville", SHELBYVILLE),
        );
    (world, cli)
}

/// Sends one message from `domain`'s library to each of `to` (simulator local parts).
pub(crate) async fn send(sandbox: &SandboxHandle, domain: &str, to: &[&str]) {
    let ses = harness::ses(sandbox);
    for local in to {
        ses.send_email()
            .from_email_address(format!("news@{domain}"))
            .destination(
                aws_sdk_sesv2::types::Destination::builder()
                    .to_addresses(format!("{local}@simulator.amazonses.com"))
                    .build(),
            )
            .content(
                aws_sdk_sesv2::types::EmailContent::builder()
                    .simple(
                        aws_sdk_sesv2::types::Message::builder()
                            .subject(
                                aws_sdk_sesv2::types::Content::builder()
                                    .data("Your loan is due")
                                    .build()
                                    .unwrap(),
                            )
                            .body(
                                aws_sdk_sesv2::types::Body::builder()
                                    .text(
                                        aws_sdk_sesv2::types::Content::builder()
                                            .data("Please bring it back.")
                                            .build()
                                            .unwrap(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .configuration_set_name(CONFIGURATION_SET)
            .send()
            .await
            .unwrap();
    }
}

/// Springfield's mix: 3 successes, 2 hard bounces (one on the suppression list), a
/// complaint, an out-of-office; Shelbyville's 2 successes.
pub(crate) async fn send_the_mix(sandbox: &SandboxHandle) {
    send(
        sandbox,
        SPRINGFIELD,
        &[
            "success",
            "success+2",
            "success+3",
            "bounce",
            "suppressionlist",
            "complaint",
            "ooto",
        ],
    )
    .await;
    send(sandbox, SHELBYVILLE, &["success", "success+2"]).await;
}

pub(crate) fn run(world: &World, cli: &Cli, command: &[&str]) -> Output {
    let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    args.extend(sandbox_flags(&world.sandbox));
    args.extend(["--max-attempts", "2"].map(String::from));
    Cli::reuse(cli, args).run()
}

pub(crate) fn drain(world: &World, cli: &Cli) -> Output {
    let out = run(world, cli, &["events", "drain"]);
    assert_eq!(out.code, 0, "{}", out.all());
    out
}

/// `deliverability --format json`, checked against its schema: each library's 30-day counts.
pub(crate) fn counts(world: &World, cli: &Cli) -> BTreeMap<String, Value> {
    per_library(world, cli, |l| l["windows"][2]["counts"].clone())
}

/// `deliverability --format json`, checked against its schema: `pick` of each library's report,
/// by library id.
pub(crate) fn per_library(
    world: &World,
    cli: &Cli,
    pick: impl Fn(&Value) -> Value,
) -> BTreeMap<String, Value> {
    let out = run(
        world,
        cli,
        &["deliverability", "--format", "json", "--today", TODAY],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
    json_schema::assert_valid(SCHEMA, &doc);
    doc["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["library"].as_str().unwrap().to_string(), pick(l)))
        .collect()
}

/// The counts the mix gives, whatever the order and number of deliveries.
pub(crate) fn expected_mix() -> BTreeMap<String, Value> {
    BTreeMap::from([
        (
            "shelbyville".to_string(),
            serde_json::json!({"sent": 2, "delivered": 2, "hard_bounces": 0, "soft_bounces": 0,
                "complaints": 0, "rejects": 0, "delays": 0}),
        ),
        (
            "springfield".to_string(),
            serde_json::json!({"sent": 7, "delivered": 5, "hard_bounces": 2, "soft_bounces": 0,
                "complaints": 1, "rejects": 0, "delays": 0}),
        ),
    ])
}

#[tokio::test]
async fn simulator_mail_is_drained_and_counted_per_library() {
    let (world, cli) = scene().await;
    send_the_mix(&world.sandbox).await;
    let out = drain(&world, &cli);
    // Events: 9 sends, 7 deliveries, 2 bounces, 1 complaint.
    assert_eq!(
        out.stdout,
        "drained 19 messages holding 19 event records into mailform-events\n"
    );
    assert_eq!(world.sandbox.sqs_depth(QUEUE), Some((0, 0)));
    assert_eq!(counts(&world, &cli), expected_mix());

    let text = run(&world, &cli, &["deliverability", "--today", TODAY]);
    assert_eq!(text.code, 0, "{}", text.all());
    // 2 hard bounces in 7 sent: 28.57 %, past the pause threshold; 1 complaint in 7: 14.29 %.
    assert!(
        text.stdout
            .contains("springfield (springfield-library.org): at-risk-of-pause"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("28.57%"), "{}", text.stdout);
    assert!(text.stdout.contains("14.29%"), "{}", text.stdout);
    assert!(
        text.stdout.contains("smtp; 550 5.1.1 user unknown"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("shelbyville (shelbyville-library.org): healthy"),
        "{}",
        text.stdout
    );
    // A day later, the 1-day window is empty and the 30-day one still counts them.
    let later = run(
        &world,
        &cli,
        &[
            "deliverability",
            "springfield",
            "--format",
            "csv",
            "--today",
            "2026-01-02",
        ],
    );
    assert_eq!(later.code, 0, "{}", later.all());
    let rows: Vec<&str> = later.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", later.stdout);
    assert!(rows[0].starts_with("library,domain,window_days,sent,"));
    assert!(
        rows[1].starts_with("springfield,springfield-library.org,1,0,0,0,0,0,0,0,,no-mail,"),
        "{}",
        rows[1]
    );
    assert!(
        rows[3].starts_with(
            "springfield,springfield-library.org,30,7,5,2,0,1,0,0,0.285714,at-risk-of-pause,"
        ),
        "{}",
        rows[3]
    );

    // Nothing left: a second drain moves nothing and the counts stay.
    let again = drain(&world, &cli);
    assert_eq!(
        again.stdout,
        "drained 0 messages holding 0 event records into mailform-events\n"
    );
    assert_eq!(counts(&world, &cli), expected_mix());
}

#[tokio::test]
async fn rejects_and_delays_are_counted() {
    let (world, cli) = scene().await;
    send(&world.sandbox, SHELBYVILLE, &["reject", "delay"]).await;
    drain(&world, &cli);
    assert_eq!(
        counts(&world, &cli)["shelbyville"],
        serde_json::json!({"sent": 2, "delivered": 0, "hard_bounces": 0, "soft_bounces": 0,
            "complaints": 0, "rejects": 1, "delays": 1})
    );
}

#[tokio::test]
async fn duplicate_and_out_of_order_deliveries_count_once() {
    let (world, cli) = scene().await;
    send_the_mix(&world.sandbox).await;
    // SQS delivers at least once: every event a second time, then all in reverse order.
    assert_eq!(world.sandbox.sqs_duplicate(QUEUE, 100), Some(19));
    assert_eq!(world.sandbox.sqs_reverse(QUEUE), Some(38));
    let out = drain(&world, &cli);
    assert!(
        out.stdout.starts_with("drained 38 messages"),
        "{}",
        out.stdout
    );
    assert_eq!(counts(&world, &cli), expected_mix());
}

#[tokio::test]
async fn a_poison_message_goes_to_the_dead_letter_queue_and_the_drain_goes_on() {
    let (world, cli) = scene().await;
    send(&world.sandbox, SHELBYVILLE, &["success"]).await;
    world
        .sandbox
        .sqs_send(
            QUEUE,
            "{\"Type\": \"Notification\", \"Message\": \"not an event\"}",
        )
        .unwrap();
    send(&world.sandbox, SHELBYVILLE, &["success+2"]).await;
    let out = drain(&world, &cli);
    assert!(
        out.stdout
            .starts_with("drained 5 messages holding 4 event records"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "moved to the dead-letter queue https://sqs.us-east-1.amazonaws.com/123456789012/{DLQ}: the SNS notification's Message is not JSON"
        )),
        "{}",
        out.stdout
    );
    assert_eq!(world.sandbox.sqs_depth(QUEUE), Some((0, 0)));
    assert_eq!(world.sandbox.sqs_depth(DLQ), Some((1, 0)));
    assert_eq!(counts(&world, &cli)["shelbyville"]["sent"], 2);
}

#[tokio::test]
async fn two_drains_at_once_count_nothing_twice() {
    let (world, cli) = scene().await;
    for _ in 0..5 {
        send_the_mix(&world.sandbox).await;
    }
    world.sandbox.sqs_duplicate(QUEUE, 40);
    let args = |world: &World| {
        let mut args = vec!["events".to_string(), "drain".to_string()];
        args.extend(sandbox_flags(&world.sandbox));
        args
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Cli::reuse(&cli, args(&world)).run());
        let b = s.spawn(|| Cli::reuse(&cli, args(&world)).run());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.code, 0, "{}", a.all());
    assert_eq!(b.code, 0, "{}", b.all());
    assert_eq!(world.sandbox.sqs_depth(QUEUE), Some((0, 0)));
    let times = |n: u64, v: &Value| -> Value {
        let mut v = v.clone();
        for (_, count) in v.as_object_mut().unwrap() {
            *count = Value::from(count.as_u64().unwrap() * n);
        }
        v
    };
    let expected: BTreeMap<String, Value> = expected_mix()
        .into_iter()
        .map(|(k, v)| (k, times(5, &v)))
        .collect();
    assert_eq!(counts(&world, &cli), expected);
}

#[test]
fn without_an_events_block_the_commands_say_how_to_add_one() {
    let world = World::new();
    let cli = cli().file(
        "libraries/springfield.kdl",
        &library("springfield", SPRINGFIELD),
    );
    for command in [&["events", "drain"][..], &["deliverability"][..]] {
        let out = run(&world, &cli, command);
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(
            out.stderr.contains("has no `events { … }` block"),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn a_library_outside_ses_or_unknown_is_refused() {
    let (world, cli) = scene().await;
    let out = run(&world, &cli, &["deliverability", "nowhere"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("no library `nowhere`"),
        "{}",
        out.stderr
    );
}
