//! apply killed with SIGKILL at points spread over its run, with purchases and both kinds of
//! handover in flight: whatever the point, no domain is bought twice, no transfer is started
//! twice (a restart always cancels first), and no secret is lost without the next plan saying
//! so. The next applies then converge.
//!
//! `MAILFORM_KILL_ROUNDS` (default 30, the CI run) sets the number of kill points; a longer run,
//! e.g. `MAILFORM_KILL_ROUNDS=300 cargo nextest run --all-features kill`, spreads more points
//! over the same run.

use std::time::{Duration, Instant};

use mailform::sandbox::{FaultKind, FaultRule, Service};
use serde_json::Value;

use super::safety::{secret_files, transfers_under_way};
use super::{World, cli, managed, registered_with_tags};
use crate::support::cli::{Cli, Output};
use crate::support::sandbox as harness;

const BUY: &str = "capital-city-mail.org";
const TO_ACCOUNT: &str = "ogdenville-mail.org";
const TO_REGISTRAR: &str = "shelbyville-mail.org";
/// Still locked when the apply starts: a kill may land on turning its lock off.
const STILL_LOCKED: &str = "brockway-mail.org";
/// Past the sandbox's transfer lock operation (5 minutes).
const LOCK_TAKES: Duration = Duration::from_secs(5 * 60 + 1);

fn library(id: &str, domain: &str, extra: &str) -> String {
    managed(domain, extra).replace("\"ogdenville\"", &format!("\"{id}\""))
}

/// A world in which one apply buys a domain, starts a transfer to another account, retrieves
/// the auth code of a domain whose transfer lock was turned off, and creates the identities and
/// records, with every money- or secret-bearing answer slowed so that a kill often lands while
/// one is outstanding. The lock is turned off beforehand because, as on AWS, that is an
/// operation completing minutes later: an apply that turns it off retrieves the code only in a
/// later apply, and the code is what a kill must never lose unsaid.
async fn scene() -> (World, Cli) {
    let world = World::new();
    for (domain, library) in [
        (TO_ACCOUNT, "ogdenville"),
        (TO_REGISTRAR, "shelbyville"),
        (STILL_LOCKED, "brockway"),
    ] {
        registered_with_tags(
            &world,
            domain,
            &[("managed-by", "mailform"), ("library", library)],
        )
        .await;
    }
    harness::domains(&world.sandbox)
        .disable_domain_transfer_lock()
        .domain_name(TO_REGISTRAR)
        .send()
        .await
        .unwrap();
    world.sandbox.advance_clock(LOCK_TAKES);
    let cli = cli()
        .file(
            "libraries/capital-city.kdl",
            &library("capital-city", BUY, ""),
        )
        .file(
            "libraries/ogdenville.kdl",
            &library(
                "ogdenville",
                TO_ACCOUNT,
                "        transfer-to-aws-account \"111122223333\"\n",
            ),
        )
        .file(
            "libraries/shelbyville.kdl",
            &library(
                "shelbyville",
                TO_REGISTRAR,
                "        transfer-to-registrar\n",
            ),
        )
        .file(
            "libraries/brockway.kdl",
            &library("brockway", STILL_LOCKED, "        transfer-to-registrar\n"),
        );
    for op in [
        "RegisterDomain",
        "TransferDomainToAnotherAwsAccount",
        "RetrieveDomainAuthCode",
        "UpdateTagsForDomain",
        "DisableDomainTransferLock",
    ] {
        world.sandbox.inject_fault(
            FaultRule::new(
                Service::Route53Domains,
                FaultKind::RespondLate { millis: 120 },
            )
            .operation(op),
        );
    }
    // Only what the applies do counts.
    world.sandbox.clear_request_log();
    (world, cli)
}

fn apply_args(world: &World) -> Vec<String> {
    let mut args = world.args(&["apply", "--auto-approve", "--allow-purchase", BUY]);
    // Runs are sequential here: a handover without its kept secret is lost at once.
    args.extend(["--handover-grace".to_string(), "0".to_string()]);
    args
}

fn plan_json(world: &World, cli: &Cli) -> (Output, Value) {
    let mut args = world.args(&["plan", "--format", "json", "--handover-grace", "0"]);
    args.push("--detailed-exitcode".into());
    let out = Cli::reuse(cli, args).run();
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("plan JSON: {e}\n{}", out.all()));
    (out, json)
}

/// The changes the plan lists for `domain`, as `op kind`.
fn changes_of(plan: &Value, domain: &str) -> Vec<String> {
    plan["libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["changes"].as_array().into_iter().flatten())
        .filter(|c| c["name"] == domain)
        .map(|c| {
            format!(
                "{} {}",
                c["op"].as_str().unwrap_or(""),
                c["kind"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn count_ok(world: &World, operation: &str) -> usize {
    world
        .sandbox
        .request_log()
        .iter()
        .filter(|e| e.operation == operation && e.status == 200)
        .count()
}

#[test]
fn apply_killed_anywhere_never_buys_or_hands_over_twice_nor_loses_a_secret_unsaid() {
    let rounds = crate::support::kill_rounds("MAILFORM_KILL_ROUNDS");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // How long one uninterrupted apply of the scene takes here: the kill points spread over it.
    let (world, cli) = runtime.block_on(scene());
    let started = Instant::now();
    let whole = Cli::reuse(&cli, apply_args(&world)).run();
    let span = started.elapsed();
    assert_eq!(whole.code, 0, "{}", whole.all());
    drop(world);

    let mut seen: std::collections::BTreeMap<&'static str, usize> = Default::default();
    // Spread over one and a half runs: three worlds at once run slower than the measured one,
    // and the last points must land after the last secret is kept.
    let found =
        crate::support::at_kill_points(rounds, span * 3 / 2, Duration::from_millis(10), kill_round);
    for state in found.into_iter().flatten() {
        *seen.entry(state).or_default() += 1;
    }
    // What the kills left behind, for the record (`--no-capture` shows it).
    eprintln!("{rounds} kills over a {span:?} apply; states found after them: {seen:?}");
}

/// Kills one apply `at` into its run, checks, recovers, checks again; answers what the kill left
/// behind.
fn kill_round(round: u64, at: Duration) -> Vec<&'static str> {
    let mut states = Vec::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (world, cli) = runtime.block_on(scene());
    let mut child = Cli::reuse(&cli, apply_args(&world)).spawn();
    std::thread::sleep(at);
    let _ = child.kill();
    let _ = child.wait();
    let context = format!("round {round}, killed after {at:?}");
    // Let answers the sandbox was still holding go out to nobody.
    std::thread::sleep(Duration::from_millis(150));
    world.sandbox.clear_faults();

    // Right after the kill: each handover is either kept or named by the plan.
    let (_, plan) = plan_json(&world, &cli);
    let files = secret_files(&cli);
    for op in runtime.block_on(transfers_under_way(&world, TO_ACCOUNT)) {
        let kept = files
            .iter()
            .any(|(name, _)| name.contains(&format!("transfer-password.{op}")));
        let said = changes_of(&plan, TO_ACCOUNT).contains(&"replace domain-transfer".to_string());
        states.push(if kept {
            "transfer password kept"
        } else {
            "transfer password lost, plan restarts it"
        });
        assert!(
            kept || said,
            "{context}: transfer {op} under way, its password neither kept nor said lost: {files:?}\n{plan:#}"
        );
    }
    let unlocked = runtime
        .block_on(harness::domains(&world.sandbox).list_domains().send())
        .unwrap()
        .domains()
        .iter()
        .any(|d| d.domain_name() == Some(TO_REGISTRAR) && d.transfer_lock() == Some(false));
    let code_kept = files
        .iter()
        .any(|(name, _)| name.starts_with(&format!("{TO_REGISTRAR}.auth-code")));
    if count_ok(&world, "RegisterDomain") == 1 {
        states.push("domain bought");
    }
    if unlocked && !code_kept {
        states.push("unlocked, auth code not kept");
        assert!(
            changes_of(&plan, TO_REGISTRAR).contains(&"create domain-transfer".to_string()),
            "{context}: the auth code was not kept and the plan does not retrieve it: {plan:#}"
        );
    }

    // The next applies converge, without buying or handing over twice.
    let mut outputs = Vec::new();
    for _ in 0..3 {
        // A lock change (or anything else under way) completes between the applies.
        world.sandbox.advance_clock(LOCK_TAKES);
        let out = Cli::reuse(&cli, apply_args(&world)).run();
        let done = out.stdout.ends_with("No changes: nothing to apply.\n");
        outputs.push(out);
        if done {
            break;
        }
    }
    let printed: String = outputs.iter().map(Output::all).collect();
    let context = format!("{context}\n{printed}");
    let (last, plan) = plan_json(&world, &cli);
    assert!(
        [0, 4].contains(&last.code),
        "{context}\nnot converged: {plan:#}"
    );
    assert_eq!(count_ok(&world, "RegisterDomain"), 1, "{context}");
    assert_eq!(
        count_ok(&world, "TransferDomainToAnotherAwsAccount"),
        1 + count_ok(&world, "CancelDomainTransferToAnotherAwsAccount"),
        "{context}: a transfer was started again without cancelling the one under way"
    );
    let under_way = runtime.block_on(transfers_under_way(&world, TO_ACCOUNT));
    assert_eq!(under_way.len(), 1, "{context}");
    let files = secret_files(&cli);
    assert!(
        files
            .iter()
            .any(|(name, _)| name.contains(&format!("transfer-password.{}", under_way[0]))),
        "{context}: the transfer under way has no password file: {files:?}"
    );
    assert!(
        [TO_REGISTRAR, STILL_LOCKED].iter().all(|domain| files
            .iter()
            .any(|(name, _)| name.starts_with(&format!("{domain}.auth-code")))),
        "{context}: {files:?}"
    );
    for (_, secret) in &files {
        assert!(
            !printed.contains(secret.as_str()),
            "{context}: a secret was printed"
        );
    }
    states
}
