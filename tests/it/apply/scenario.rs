//! Weeks of onboarding on the sandbox's clock: 50 libraries across the three methods, their IT
//! staff installing records on time, late (after SES gave up) or with a typo fixed two days
//! later, one purchase over its cap, one transfer nobody accepts, one removed library whose
//! deletion waits for approval. A scheduled plan-and-apply runs every simulated day; at the end
//! every library is ready or failing for a reason its plan names, nothing was bought twice, and
//! each mutation belongs to a library whose story called for it.

use std::collections::BTreeMap;
use std::time::Duration;

use mailform::sandbox::RecordInput;
use serde_json::Value;

use super::{World, cli, managed, registered};
use crate::support::cli::Cli;
use crate::support::sandbox as harness;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// What a method-1 library's IT staff do with the records they are given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Staff {
    /// Install them the day the identity is made.
    OnTime,
    /// Install them on day 4, after SES gave up (72 hours).
    Late,
    /// Install one with a typo on day 0, fix it two days later.
    Typo,
    /// Never install them.
    Never,
}

fn staff(i: usize) -> Staff {
    match i {
        0..=2 => Staff::Late,
        3 => Staff::Typo,
        4 => Staff::Never,
        _ => Staff::OnTime,
    }
}

fn ses_library(id: &str) -> String {
    super::library(id, "").replace(&format!("{id}.example.org"), &format!("{id}.example.net"))
}

fn domain_of(id: &str) -> String {
    format!("{id}.example.net")
}

fn smtp_library(id: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.org\"\n\n    smtp-account {{\n        host \"smtp.{id}.example.org\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_{}\"\n        from \"notices@{id}.example.org\"\n    }}\n}}\n",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

fn managed_library(id: &str, domain: &str, extra: &str) -> String {
    managed(domain, extra).replace("\"ogdenville\"", &format!("\"{id}\""))
}

async fn tokens(world: &World, domain: &str) -> Vec<String> {
    harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity(domain)
        .send()
        .await
        .map(|i| {
            i.dkim_attributes()
                .map(|d| d.tokens().to_vec())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

pub(super) async fn install(world: &World, domain: &str, typo: bool) {
    for (n, token) in tokens(world, domain).await.iter().enumerate() {
        let target = if typo && n == 0 {
            format!("{token}.dkim.amazonses.co")
        } else {
            format!("{token}.dkim.amazonses.com")
        };
        let name = format!("{token}._domainkey.{domain}.");
        let _ = world.sandbox.remove_record(domain, &name, "CNAME", None);
        world
            .sandbox
            .add_record(domain, RecordInput::new(&name, "CNAME", &target))
            .unwrap();
    }
}

fn successes(world: &World) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in world.sandbox.request_log() {
        if e.mutating && e.status == 200 {
            *out.entry(e.operation.clone()).or_default() += 1;
        }
    }
    out
}

#[tokio::test]
async fn weeks_of_onboarding_end_with_every_library_ready_or_failing_for_a_named_reason() {
    let world = World::new();
    let ses_ids: Vec<String> = (0..34).map(|i| format!("branch-{i:02}")).collect();
    let managed_ids: Vec<String> = (0..10).map(|i| format!("annex-{i:02}")).collect();
    let smtp_ids: Vec<String> = (0..5).map(|i| format!("bookmobile-{i}")).collect();
    let mut cli = cli();
    for id in &ses_ids {
        world.sandbox.create_zone(&domain_of(id));
        cli = cli.file(&format!("libraries/{id}.kdl"), &ses_library(id));
    }
    for (i, id) in managed_ids.iter().enumerate() {
        // annex-00 asks for a domain over its cap.
        let extra = if i == 0 {
            "        price-cap 5.00\n"
        } else {
            ""
        };
        cli = cli.file(
            &format!("libraries/{id}.kdl"),
            &managed_library(id, &format!("{id}-mail.org"), extra),
        );
    }
    for id in &smtp_ids {
        cli = cli.file(&format!("libraries/{id}.kdl"), &smtp_library(id));
    }
    // The fiftieth: bought a while ago, now handed over to the library's own AWS account,
    // which never accepts.
    registered(&world, "ogdenville-mail.org").await;
    cli = cli.file(
        "libraries/ogdenville.kdl",
        &managed(
            "ogdenville-mail.org",
            "        transfer-to-aws-account \"111122223333\"\n",
        ),
    );
    // And one library that leaves after its identity exists: its deletion waits for approval.
    cli = cli.file("libraries/leaving.kdl", &super::library("leaving", ""));
    world.sandbox.create_zone("leaving.example.org");
    let purchases: Vec<String> = managed_ids[1..]
        .iter()
        .map(|id| format!("{id}-mail.org"))
        .collect();
    let scheduled = |cli: &Cli| {
        let mut args = world.args(&["apply", "--auto-approve"]);
        args.push("--allow-purchase".into());
        args.extend(purchases.iter().cloned());
        let out = Cli::reuse(cli, args).run();
        assert!(
            [0, 4].contains(&out.code),
            "a scheduled apply failed:\n{}",
            out.all()
        );
        out
    };

    world.sandbox.clear_request_log();
    let mut bought_on_day = BTreeMap::new();
    for day in 0..9 {
        if day == 2 {
            std::fs::remove_file(cli.path().join("libraries/leaving.kdl")).unwrap();
        }
        let out = scheduled(&cli);
        for domain in &purchases {
            if out
                .stdout
                .contains(&format!("domain-registration {domain}: done"))
            {
                *bought_on_day.entry(domain.clone()).or_insert(0) += 1;
            }
        }
        // The libraries' IT staff, as their story goes, during the day after the run.
        for (i, id) in ses_ids.iter().enumerate() {
            let domain = domain_of(id);
            match (staff(i), day) {
                (Staff::OnTime, 0) => install(&world, &domain, false).await,
                (Staff::Late, 4) => install(&world, &domain, false).await,
                (Staff::Typo, 0) => install(&world, &domain, true).await,
                (Staff::Typo, 2) => install(&world, &domain, false).await,
                _ => {}
            }
        }
        world.sandbox.advance_clock(DAY);
    }

    // Every domain bought exactly once, the one over its cap never.
    assert_eq!(bought_on_day.len(), purchases.len(), "{bought_on_day:?}");
    assert!(bought_on_day.values().all(|n| *n == 1), "{bought_on_day:?}");
    let done = successes(&world);
    assert_eq!(
        done.get("RegisterDomain"),
        Some(&purchases.len()),
        "{done:?}"
    );
    // One identity per library that sends through SES (the method-1 branches, the bought
    // annexes, ogdenville and the library that left), none for the domain nobody bought.
    assert_eq!(
        done.get("CreateEmailIdentity"),
        Some(&(ses_ids.len() + purchases.len() + 2)),
        "{done:?}"
    );
    // Restarts only for the three libraries whose records came late.
    assert_eq!(
        done.get("PutEmailIdentityDkimSigningAttributes"),
        Some(&3),
        "{done:?}"
    );
    // The transfer started, lapsed after 3 days and was started again, never twice at once.
    assert_eq!(
        done.get("TransferDomainToAnotherAwsAccount"),
        Some(&3),
        "started on day 0, lapsed on day 3 and 6: {done:?}"
    );
    assert_eq!(done.get("CancelDomainTransferToAnotherAwsAccount"), None);
    assert_eq!(
        done.get("DeleteEmailIdentity"),
        None,
        "never without approval"
    );

    // The last plan: every library ready, or failing/waiting for a reason it names.
    let plan = Cli::reuse(&cli, world.args(&["plan", "--format", "json"])).run();
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in plan["libraries"].as_array().unwrap() {
        let id = l["library"].as_str().unwrap().to_string();
        let ready = l["readiness"]["ready"].as_bool().unwrap();
        let codes: Vec<String> = l["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap().to_string())
            .chain(
                l["deletions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|_| "deletion".to_string()),
            )
            .collect();
        assert!(
            ready || !codes.is_empty() || !l["in_progress"].as_array().unwrap().is_empty(),
            "{id} is not ready and its plan names no reason: {l:#}"
        );
        if !ready {
            reasons.insert(id, codes);
        }
    }
    let expected = |id: &str, code: &str| {
        assert!(
            reasons.get(id).is_some_and(|c| c.iter().any(|x| x == code)),
            "{id} should be failing with {code}: {reasons:#?}"
        );
    };
    expected("annex-00", "registrar::over-price-cap");
    expected("branch-04", "ses::verification-failed");
    expected("leaving", "deletion");
    for id in &smtp_ids {
        expected(id, "smtp::not-probed");
    }
    for (i, id) in ses_ids.iter().enumerate() {
        if staff(i) != Staff::Never {
            assert!(!reasons.contains_key(id), "{id}: {:?}", reasons.get(id));
        }
    }
    for id in &managed_ids[1..] {
        assert!(!reasons.contains_key(id), "{id}: {:?}", reasons.get(id));
    }
}
