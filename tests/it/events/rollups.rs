//! Daily rollups through the binary: a batch whose transaction DynamoDB cancels for one record
//! written before counts the other records once, and `events rebuild-rollups` recomputes a
//! table's rollups from its records (a table drained before rollups existed), idempotently.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{QUEUE, SHELBYVILLE, SPRINGFIELD, World, counts, drain, expected_mix, run, scene};
use crate::support::cli::Cli;
use crate::support::sandbox as harness;

/// One SES delivery of message `id` from Springfield to one patron, raw (no SNS envelope).
fn delivery(id: usize) -> String {
    format!(
        r#"{{"eventType":"Delivery","mail":{{"timestamp":"2026-01-01T10:00:00.000Z","source":"news@{SPRINGFIELD}","messageId":"0100rollup-{id:04}","destination":["patron{id}@example.net"]}},"delivery":{{"recipients":["patron{id}@example.net"]}}}}"#
    )
}

fn drain_one_worker(world: &World, cli: &Cli) -> String {
    // One worker: the round receives all 25 messages and writes them as one transaction.
    let out = run(world, cli, &["events", "drain", "--workers", "1"]);
    assert_eq!(out.code, 0, "{}", out.all());
    out.stdout
}

#[tokio::test]
async fn a_cancelled_batch_of_25_with_one_duplicate_counts_the_other_24_once() {
    let (world, cli) = scene().await;
    world.sandbox.sqs_send(QUEUE, &delivery(0)).unwrap();
    drain_one_worker(&world, &cli);
    assert_eq!(counts(&world, &cli)["springfield"]["delivered"], 1);

    // The first event again (SQS's at-least-once delivery, or a drain killed after its write
    // and before its delete) among 24 new ones: one batch of 25.
    for id in 1..=12 {
        world.sandbox.sqs_send(QUEUE, &delivery(id)).unwrap();
    }
    world.sandbox.sqs_send(QUEUE, &delivery(0)).unwrap();
    for id in 13..=24 {
        world.sandbox.sqs_send(QUEUE, &delivery(id)).unwrap();
    }
    world.sandbox.clear_request_log();
    let out = drain_one_worker(&world, &cli);
    assert!(out.starts_with("drained 25 messages"), "{out}");
    let transactions: Vec<(u16, Option<String>)> = world
        .sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.operation == "TransactWriteItems")
        .map(|e| (e.status, e.error))
        .collect();
    // The batch of 25 was cancelled (the one duplicate failed its condition), the 24 sent
    // again went through.
    assert_eq!(transactions.len(), 2, "{transactions:?}");
    assert_eq!(transactions[0].0, 400);
    assert!(
        transactions[0]
            .1
            .as_deref()
            .is_some_and(|c| c.ends_with("TransactionCanceledException")),
        "{transactions:?}"
    );
    assert_eq!(transactions[1], (200, None));
    assert_eq!(world.sandbox.sqs_depth(QUEUE), Some((0, 0)));
    assert_eq!(
        counts(&world, &cli)["springfield"],
        serde_json::json!({"sent": 0, "delivered": 25, "hard_bounces": 0, "soft_bounces": 0,
            "complaints": 0, "rejects": 0, "delays": 0})
    );
}

/// Every item of a partition, by sort key.
async fn partition(ddb: &aws_sdk_dynamodb::Client, pk: &str) -> Vec<String> {
    let page = ddb
        .query()
        .table_name("mailform-events")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", AttributeValue::S(pk.to_string()))
        .send()
        .await
        .unwrap();
    page.items()
        .iter()
        .filter_map(|i| i.get("sk")?.as_s().ok().cloned())
        .collect()
}

#[tokio::test]
async fn rebuilding_the_rollups_recounts_them_from_the_records() {
    let (world, cli) = scene().await;
    super::send_the_mix(&world.sandbox).await;
    drain(&world, &cli);
    assert_eq!(counts(&world, &cli), expected_mix());

    // A table drained before rollups existed: records only. And a stale count besides.
    let ddb = harness::dynamodb(&world.sandbox);
    for domain in [SPRINGFIELD, SHELBYVILLE] {
        let pk = format!("rollup#{domain}");
        let keys = partition(&ddb, &pk).await;
        assert!(!keys.is_empty(), "the drain wrote {domain}'s rollup");
        for sk in keys {
            ddb.delete_item()
                .table_name("mailform-events")
                .key("pk", AttributeValue::S(pk.clone()))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .unwrap();
        }
    }
    ddb.put_item()
        .table_name("mailform-events")
        .item("pk", AttributeValue::S(format!("rollup#{SHELBYVILLE}")))
        .item("sk", AttributeValue::S("2025-12-31".into()))
        .item("sent", AttributeValue::N("99".into()))
        .send()
        .await
        .unwrap();
    let emptied = counts(&world, &cli);
    assert_eq!(emptied["springfield"]["sent"], 0);
    assert_eq!(emptied["shelbyville"]["sent"], 99);

    for _ in 0..2 {
        let out = run(&world, &cli, &["events", "rebuild-rollups"]);
        assert_eq!(out.code, 0, "{}", out.all());
        assert_eq!(
            out.stdout,
            "rebuilt the daily rollups of 2 domains from 19 event records in mailform-events\n"
        );
        assert_eq!(counts(&world, &cli), expected_mix());
    }
    let text = run(
        &world,
        &cli,
        &["deliverability", "springfield", "--today", super::TODAY],
    );
    assert!(
        text.stdout.contains("smtp; 550 5.1.1 user unknown"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn a_transaction_conflict_with_another_drain_is_sent_again_and_counts_once() {
    use mailform::sandbox::{FaultKind, FaultRule, Service};
    let (world, cli) = scene().await;
    super::send_the_mix(&world.sandbox).await;
    // Another drain holds the rollup items twice in a row.
    world.sandbox.inject_fault(
        FaultRule::new(Service::DynamoDb, FaultKind::TransactionConflict)
            .operation("TransactWriteItems")
            .times(2),
    );
    world.sandbox.clear_request_log();
    drain_one_worker(&world, &cli);
    let answers: Vec<u16> = world
        .sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.operation == "TransactWriteItems")
        .map(|e| e.status)
        .collect();
    assert_eq!(answers, [400, 400, 200]);
    assert_eq!(counts(&world, &cli), expected_mix());
}
