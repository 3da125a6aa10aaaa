//! Benchmark: `mailform events drain` of 1,000,000 SES events from the sandbox's queue.
//!
//! Run with `cargo bench --bench drain --features sandbox`. `MAILFORM_BENCH_EVENTS=N` changes
//! the number of events (default 1,000,000). Prints the rate, the drain's peak RSS (VmHWM of
//! the real binary, read from /proc while it runs), and the floor that the batch sizes and the
//! sandbox's per-call latency set: N/10 receives + N/25 writes (a `TransactWriteItems` of 25
//! conditional puts and their 25 rollup `ADD`s, as the drain sends for these events) + N/10
//! deletes, each at the latency measured here for that call from this process against the same
//! sandbox. Then `deliverability` of the 1,000 libraries over the drained events (one `Query`
//! of 30 days of rollups each).
//!
//! It also measures what a queue of N messages costs a sandbox that persists its state: the
//! latency of a receive and a delete with the queue full, against an empty one (the queues
//! live beside `state.json`, so it should be the same).

#[allow(dead_code)]
#[path = "it/support/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "it/support/estate.rs"]
mod estate;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use estate::sandbox_flags;
use mailform::sandbox::{Sandbox, SandboxConfig, SandboxHandle};

const QUEUE: &str = "mailform-ses-events";
const DLQ: &str = "mailform-ses-events-dlq";
const PROBE: &str = "latency-probe";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("AKIDBENCH", "bench-secret", None, None, "bench")
}

fn sqs(sandbox: &SandboxHandle) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(&sandbox.endpoints().sqs)
            .build(),
    )
}

fn dynamodb(sandbox: &SandboxHandle) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(&sandbox.endpoints().dynamodb)
            .build(),
    )
}

/// One SES delivery event, raw (as a subscription with raw message delivery carries it).
fn event(i: usize) -> String {
    format!(
        r#"{{"eventType":"Delivery","mail":{{"timestamp":"2026-01-{:02}T10:00:00.000Z","source":"news@lib-{:04}.example.org","messageId":"0100bench-{i:010}","destination":["patron{i}@example.net"],"tags":{{"ses:from-domain":["lib-{:04}.example.org"]}}}},"delivery":{{"timestamp":"2026-01-01T10:00:01.000Z","recipients":["patron{i}@example.net"],"smtpResponse":"250 2.6.0 Message received"}}}}"#,
        1 + i % 28,
        i % 1000,
        i % 1000
    )
}

async fn create_queues(sandbox: &SandboxHandle) {
    let sqs = sqs(sandbox);
    for name in [QUEUE, DLQ, PROBE] {
        sqs.create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("queue");
    }
}

/// Mean latency of each call the drain makes, from this process: (receive, a transaction of 25
/// records with their rollup items, delete 10).
async fn latencies(sandbox: &SandboxHandle, calls: usize) -> (Duration, Duration, Duration) {
    let sqs = sqs(sandbox);
    let ddb = dynamodb(sandbox);
    let _ = ddb
        .create_table()
        .table_name(PROBE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    let url = format!("http://localhost/123456789012/{PROBE}");
    let started = Instant::now();
    for _ in 0..calls {
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive");
    }
    let receive = started.elapsed() / calls as u32;
    // Keys new to the table on every call of this function: the puts are conditional.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let started = Instant::now();
    for round in 0..calls {
        // As the drain writes a batch of this bench's events: 25 records of 25 domains, each
        // put only if absent, and each record's day rollup item incremented.
        let mut actions = Vec::with_capacity(50);
        for i in 0..25 {
            let domain = format!("lib-{i:04}.example.org");
            let item = [
                ("pk", format!("domain#{domain}")),
                (
                    "sk",
                    format!("2026-01-01#probe-{run}-{round}-{i}#delivery#p@example.net"),
                ),
                ("type", "delivery".to_string()),
                ("recipient", "p@example.net".to_string()),
                ("message_id", format!("probe-{run}-{round}-{i}")),
                ("day", "2026-01-01".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v)))
            .collect();
            actions.push(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(PROBE)
                            .set_item(Some(item))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
            actions.push(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(PROBE)
                            .key("pk", AttributeValue::S(format!("rollup#{domain}")))
                            .key("sk", AttributeValue::S("2026-01-01".into()))
                            .update_expression("ADD #c0 :c0")
                            .expression_attribute_names("#c0", "delivered")
                            .expression_attribute_values(":c0", AttributeValue::N("1".into()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            );
        }
        ddb.transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .expect("write");
    }
    let write = started.elapsed() / calls as u32;
    let started = Instant::now();
    for _ in 0..calls {
        let entries = (0..10)
            .map(|i| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(format!("gone-{i}#1"))
                    .build()
                    .unwrap()
            })
            .collect();
        sqs.delete_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("delete");
    }
    let delete = started.elapsed() / calls as u32;
    (receive, write, delete)
}

/// The peak resident set of a running process (VmHWM, kB), if it is still there.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let n = env_usize("MAILFORM_BENCH_EVENTS", 1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // What a full queue costs a sandbox that persists its state.
    let state = tempfile::tempdir().expect("temp dir");
    let persisted = Sandbox::start(SandboxConfig {
        state_dir: Some(state.path().to_path_buf()),
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    runtime.block_on(create_queues(&persisted));
    let (empty_receive, _, empty_delete) = runtime.block_on(latencies(&persisted, 200));
    for i in 0..n {
        persisted.sqs_send(PROBE, &event(i));
    }
    let (full_receive, _, full_delete) = runtime.block_on(latencies(&persisted, 200));
    println!(
        "persisting sandbox: receive {empty_receive:?} with the probe queue empty, {full_receive:?} with {n} messages in it; delete {empty_delete:?} / {full_delete:?}"
    );
    drop(persisted);

    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    runtime.block_on(create_queues(&sandbox));
    let (receive, write, delete) = runtime.block_on(latencies(&sandbox, 2000));
    let floor = receive * (n / 10) as u32 + write * (n / 25) as u32 + delete * (n / 10) as u32;
    println!(
        "per-call latency: receive {receive:?}, transaction of 25 records + 25 rollup items {write:?}, delete of 10 {delete:?}; floor for {n} events {floor:?}"
    );
    let filled = Instant::now();
    for i in 0..n {
        sandbox.sqs_send(QUEUE, &event(i));
    }
    println!("queued {n} events in {:?}", filled.elapsed());

    let root = tempfile::tempdir().expect("temp dir");
    let libraries = root.path().join("libraries");
    std::fs::create_dir_all(&libraries).unwrap();
    let platform = cli::PLATFORM.trim_end().trim_end_matches('}').to_string()
        + &format!(
            "    events {{\n        configuration-set \"library-mail\"\n        sns-topic-arn \"arn:aws:sns:us-east-1:123456789012:{QUEUE}\"\n        queue-url \"https://sqs.us-east-1.amazonaws.com/123456789012/{QUEUE}\"\n        dead-letter-queue-url \"https://sqs.us-east-1.amazonaws.com/123456789012/{DLQ}\"\n    }}\n}}\n"
        );
    std::fs::write(libraries.join("_platform.kdl"), platform).unwrap();
    // A thousand libraries sending through SES, one per From domain of the events.
    for i in 0..1000 {
        std::fs::write(
            libraries.join(format!("lib-{i:04}.kdl")),
            format!(
                "library \"lib-{i:04}\" {{\n    name \"Library {i}\"\n    it-contact \"it@lib-{i:04}.example.org\"\n\n    ses-domain {{\n        from \"news@lib-{i:04}.example.org\"\n    }}\n}}\n"
            ),
        )
        .unwrap();
    }

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mailform"));
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(["events", "drain", "--format", "json"])
        .args(sandbox_flags(&sandbox))
        .current_dir(root.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mailform events drain");
    let pid = child.id();
    let mut peak = 0;
    while child.try_wait().expect("wait").is_none() {
        if let Some(kb) = peak_kb(pid) {
            peak = peak.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["records"], n as u64, "{report}");
    assert_eq!(sandbox.sqs_depth(QUEUE), Some((0, 0)));
    println!(
        "drained {n} events in {took:?}: {:.0} events/s, peak RSS {:.1} MiB, {:.2}× the floor",
        n as f64 / took.as_secs_f64(),
        peak as f64 / 1024.0,
        took.as_secs_f64() / floor.as_secs_f64()
    );
    // Deliverability of the thousand libraries over the events just drained.
    let started = Instant::now();
    let out = Command::new(&bin)
        .args([
            "deliverability",
            "--format",
            "json",
            "--today",
            "2026-01-28",
        ])
        .args(sandbox_flags(&sandbox))
        .current_dir(root.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run mailform deliverability");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let sent: u64 = doc["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["windows"][2]["counts"]["delivered"].as_u64().unwrap())
        .sum();
    assert_eq!(sent, n as u64);
    println!(
        "deliverability of 1000 libraries over {n} events ({} a library): {took:?}",
        n / 1000
    );
}
