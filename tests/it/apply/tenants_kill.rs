//! apply killed with SIGKILL at points spread over a run that makes three libraries' SES
//! tenants (one on the strict policy, one paused by its file), with every tenant call slowed so
//! a kill often lands while one is outstanding. Whatever the point: a tenant that exists already
//! carries its ownership tags (they travel in the one `CreateTenant` call, so no kill leaves an
//! untagged tenant that the next plan would take for another team's), and the next applies
//! converge to each tenant made exactly once, associated with its identity, on its policy, and
//! paused only where the file says so.
//!
//! `MAILFORM_KILL_ROUNDS` (default 30, the CI run) sets the number of kill points, as for the
//! other kill tests.

use std::time::{Duration, Instant};

use aws_sdk_sesv2::types::SendingStatus;
use mailform::sandbox::{FaultKind, FaultRule, Service};

use super::World;
use super::tenants::{ses_library, tenant, tenants_cli};
use crate::support::cli::{Cli, Output};

/// The libraries, their `tenant { … }` blocks and the policy and customer-managed status each
/// must end with.
const LIBRARIES: [(&str, &str, &str, SendingStatus); 3] = [
    (
        "springfield",
        "            reputation-policy \"strict\"\n",
        "strict",
        SendingStatus::Enabled,
    ),
    (
        "shelbyville",
        "            sending \"paused\"\n",
        "standard",
        SendingStatus::Disabled,
    ),
    ("ogdenville", "", "standard", SendingStatus::Enabled),
];

/// Every tenant call an apply makes, slowed.
const SLOWED: [&str; 4] = [
    "CreateTenant",
    "CreateTenantResourceAssociation",
    "UpdateReputationEntityPolicy",
    "UpdateReputationEntityCustomerManagedStatus",
];

fn scene() -> (World, Cli) {
    let world = World::new();
    let mut cli = tenants_cli();
    for (id, block, _, _) in LIBRARIES {
        cli = cli.file(&format!("libraries/{id}.kdl"), &ses_library(id, block));
    }
    world.serve(&cli);
    for op in SLOWED {
        world.sandbox.inject_fault(
            FaultRule::new(Service::Ses, FaultKind::RespondLate { millis: 60 }).operation(op),
        );
    }
    world.sandbox.clear_request_log();
    (world, cli)
}

fn created(world: &World) -> usize {
    world
        .sandbox
        .request_log()
        .iter()
        .filter(|e| e.operation == "CreateTenant" && e.status == 200)
        .count()
}

#[test]
fn apply_killed_anywhere_makes_each_tenant_once_tagged_and_converges() {
    let rounds = crate::support::kill_rounds("MAILFORM_KILL_ROUNDS");
    // How long one uninterrupted apply takes here: the kill points spread over it.
    let (world, cli) = scene();
    let started = Instant::now();
    let whole = Cli::reuse(&cli, world.args(&["apply", "--auto-approve"])).run();
    let span = started.elapsed();
    assert_eq!(whole.code, 0, "{}", whole.all());
    assert_eq!(created(&world), LIBRARIES.len(), "{}", whole.all());
    drop(world);

    // Spread over one and a quarter runs: three worlds at once run slower than the measured one.
    let made_before_recovery =
        crate::support::at_kill_points(rounds, span * 5 / 4, Duration::from_millis(5), kill_round);
    // The kills must have landed before, among and after the creations, or the test proves
    // little: some rounds found no tenant yet, some found every one.
    assert!(
        made_before_recovery.contains(&0)
            && made_before_recovery.contains(&LIBRARIES.len())
            && made_before_recovery
                .iter()
                .any(|&n| n > 0 && n < LIBRARIES.len()),
        "tenants made before each kill, over {rounds} rounds of a {span:?} apply: {made_before_recovery:?}"
    );
    eprintln!(
        "{rounds} kills over a {span:?} apply; tenants made before each kill: {made_before_recovery:?}"
    );
}

/// Kills one apply `at` into its run, checks, recovers, checks again; answers how many tenants
/// the killed apply had made.
fn kill_round(round: u64, at: Duration) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (world, cli) = scene();
    let mut child = Cli::reuse(&cli, world.args(&["apply", "--auto-approve"])).spawn();
    std::thread::sleep(at);
    let _ = child.kill();
    let _ = child.wait();
    // Let answers the sandbox was still holding go out to nobody.
    std::thread::sleep(Duration::from_millis(100));
    world.sandbox.clear_faults();
    let context = format!("round {round}, killed after {at:?}");

    // Right after the kill: whatever exists carries its tags.
    let mut made = 0;
    for (id, _, _, _) in LIBRARIES {
        if let Some(t) = runtime.block_on(tenant(&world, id)) {
            made += 1;
            for tag in [("managed-by", "mailform"), ("library", id)] {
                assert!(
                    t.tags.contains(&(tag.0.to_string(), tag.1.to_string())),
                    "{context}: tenant {id} without {tag:?}: {:?}",
                    t.tags
                );
            }
        }
    }

    // The next applies converge.
    let mut outputs: Vec<Output> = Vec::new();
    for _ in 0..3 {
        let out = Cli::reuse(&cli, world.args(&["apply", "--auto-approve"])).run();
        let done = out.stdout.ends_with("No changes: nothing to apply.\n");
        outputs.push(out);
        if done {
            break;
        }
    }
    let printed: String = outputs.iter().map(Output::all).collect();
    let context = format!("{context}\n{printed}");
    assert!(
        outputs
            .last()
            .is_some_and(|o| o.stdout.ends_with("No changes: nothing to apply.\n")),
        "{context}"
    );
    assert_eq!(
        created(&world),
        LIBRARIES.len(),
        "{context}: each tenant made exactly once"
    );
    for (id, _, policy, customer) in LIBRARIES {
        let t = runtime
            .block_on(tenant(&world, id))
            .unwrap_or_else(|| panic!("{context}: no tenant {id}"));
        assert_eq!(
            t.resources,
            [format!(
                "arn:aws:ses:us-east-1:123456789012:identity/{id}.example.org"
            )],
            "{context}"
        );
        assert!(
            t.policy.ends_with(&format!("/{policy}")),
            "{context}: {id} on {}",
            t.policy
        );
        assert_eq!(t.customer, customer, "{context}: {id}");
    }
    // Converged: a further apply reads and changes nothing.
    world.sandbox.clear_request_log();
    let again = Cli::reuse(&cli, world.args(&["apply", "--auto-approve"])).run();
    assert!(
        again.stdout.ends_with("No changes: nothing to apply.\n"),
        "{context}\n{}",
        again.all()
    );
    assert!(
        !world.sandbox.request_log().iter().any(|e| e.mutating),
        "{context}: {:?}",
        world.sandbox.request_log()
    );
    made
}
