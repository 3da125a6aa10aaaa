//! `mailform events drain` killed with SIGKILL at points spread over its run: whatever the
//! point, the next drain finishes the queue and every library's counts are exactly those of
//! the mail sent: nothing lost, nothing counted twice. The counts `deliverability` reads are
//! the daily rollups; each round then recounts them from the records
//! (`events rebuild-rollups`) and finds them the same, so rollups and records agree exactly.
//!
//! `MAILFORM_EVENTS_KILL_ROUNDS` (default 30, the CI run) sets the number of kill points; a
//! longer run, e.g. `MAILFORM_EVENTS_KILL_ROUNDS=300 cargo nextest run --all-features
//! events::kill`, spreads more points over the same run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mailform::sandbox::{FaultKind, FaultRule, Service};
use serde_json::Value;

use super::{QUEUE, World, counts, drain, expected_mix, run, scene, send_the_mix};
use crate::support::cli::Cli;
use crate::support::estate::sandbox_flags;

/// Rounds of the mix each scene sends: 190 events, 19 receives of 10.
const MIXES: u64 = 10;

/// Every write and delete slowed a little, so a kill often lands between a write and the
/// delete that follows it.
fn slow(world: &World) {
    for (service, operation) in [
        (Service::DynamoDb, "TransactWriteItems"),
        (Service::Sqs, "DeleteMessageBatch"),
        (Service::Sqs, "ReceiveMessage"),
    ] {
        world.sandbox.inject_fault(
            FaultRule::new(service, FaultKind::Latency { millis: 8 }).operation(operation),
        );
    }
}

async fn filled() -> (World, Cli) {
    let (world, cli) = scene().await;
    for _ in 0..MIXES {
        send_the_mix(&world.sandbox).await;
    }
    // And SQS's at-least-once delivery on top.
    world.sandbox.sqs_duplicate(QUEUE, 30);
    slow(&world);
    (world, cli)
}

fn expected() -> BTreeMap<String, Value> {
    expected_mix()
        .into_iter()
        .map(|(k, mut v)| {
            for (_, count) in v.as_object_mut().unwrap() {
                *count = Value::from(count.as_u64().unwrap() * MIXES);
            }
            (k, v)
        })
        .collect()
}

fn drain_args(world: &World) -> Vec<String> {
    let mut args = vec!["events".to_string(), "drain".to_string()];
    args.extend(sandbox_flags(&world.sandbox));
    args
}

#[test]
fn a_drain_killed_anywhere_loses_nothing_and_counts_nothing_twice() {
    let rounds = crate::support::kill_rounds("MAILFORM_EVENTS_KILL_ROUNDS");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // How long one uninterrupted drain takes here: the kill points spread over it.
    let (world, cli) = runtime.block_on(filled());
    let started = Instant::now();
    let whole = Cli::reuse(&cli, drain_args(&world)).run();
    let span = started.elapsed();
    assert_eq!(whole.code, 0, "{}", whole.all());
    world.sandbox.clear_faults();
    assert_eq!(counts(&world, &cli), expected());
    drop(world);

    let points: Vec<u64> = (0..rounds).collect();
    // Three worlds at a time (2 cores); each round is independent.
    for batch in points.chunks(3) {
        std::thread::scope(|scope| {
            for &round in batch {
                // Spread evenly over the run, with a little jitter so rounds do not align.
                let base = span.as_micros() as u64 * (2 * round + 1) / (2 * rounds);
                let jitter = (round.wrapping_mul(2_654_435_761) % 4_000) as i64 - 2_000;
                let at = Duration::from_micros(base.saturating_add_signed(jitter));
                scope.spawn(move || kill_round(round, at));
            }
        });
    }
    eprintln!("{rounds} kills over a {span:?} drain");
}

fn kill_round(round: u64, at: Duration) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (world, cli) = runtime.block_on(filled());
    let mut child = Cli::reuse(&cli, drain_args(&world)).spawn();
    std::thread::sleep(at);
    let _ = child.kill();
    let _ = child.wait();
    world.sandbox.clear_faults();
    // The killed drain's received messages come back after their visibility timeout (1 s).
    std::thread::sleep(Duration::from_millis(1_100));
    drain(&world, &cli);
    assert_eq!(
        world.sandbox.sqs_depth(QUEUE),
        Some((0, 0)),
        "round {round}, killed after {at:?}"
    );
    assert_eq!(
        counts(&world, &cli),
        expected(),
        "round {round}, killed after {at:?}"
    );
    let rebuilt = run(&world, &cli, &["events", "rebuild-rollups"]);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.all());
    assert_eq!(
        counts(&world, &cli),
        expected(),
        "round {round}, killed after {at:?}: the rollups differ from the records' counts"
    );
}
