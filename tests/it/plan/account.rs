//! The platform's SES account as a blocker of its own: still in the SES sandbox (200 messages a
//! day, to verified addresses only) or with its sending paused, no SES library can launch,
//! whatever its records say. Plan, readiness and status say so once, through the real binary
//! against the sandbox; the drift check (`--detailed-exitcode`) counts it as failing.

use mailform::sandbox::{RecordInput, SandboxConfig};
use serde_json::Value;

use crate::apply::{World, cli, library};
use crate::support::sandbox as harness;

const DOMAIN: &str = "springfield.example.org";

/// The library's IT staff install the three CNAMEs SES asked for; SES then verifies.
async fn verified(world: &World) {
    let identity = harness::ses(&world.sandbox)
        .get_email_identity()
        .email_identity(DOMAIN)
        .send()
        .await
        .expect("the identity apply made");
    let tokens = identity.dkim_attributes().expect("Easy DKIM").tokens();
    for token in tokens {
        let name = format!("{token}._domainkey.{DOMAIN}.");
        world
            .sandbox
            .add_record(
                DOMAIN,
                RecordInput::new(&name, "CNAME", &format!("{token}.dkim.amazonses.com")),
            )
            .expect("a record at the library's provider");
    }
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(600));
}

fn status_json(world: &World, estate: &crate::support::cli::Cli) -> Value {
    let out = world.run(estate, &["status", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let value: Value = serde_json::from_str(&out.stdout).expect("status JSON");
    crate::support::json_schema::assert_valid("status.schema.json", &value);
    value
}

#[tokio::test]
async fn an_account_in_the_ses_sandbox_or_paused_stops_every_ses_library() {
    let world = World::with(SandboxConfig {
        production_access: false,
        ..SandboxConfig::default()
    });
    world.sandbox.create_zone(DOMAIN);
    let estate = cli().file(
        "libraries/springfield.kdl",
        &library("springfield", "").replace(
            "    it-contact",
            "    launch \"2026-12-01\"\n    it-contact",
        ),
    );
    let applied = world.run(&estate, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    verified(&world).await;

    // In the SES sandbox: the library's own setup is done, and still it cannot launch.
    let plan = world.run(&estate, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "failing, for the drift check: {}", plan.all());
    for expected in [
        "# The platform (stops every library it names, whatever their own setup)",
        "✗ ses::account-in-sandbox: the SES account in us-east-1 is still in the SES sandbox: it sends at most 200 messages a day, and only to verified addresses, so patrons' notices do not arrive",
        "fix: request production access",
        "stops: every ses-domain library, every managed-domain library",
        "waits on the platform: the SES account is in the SES sandbox",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "{expected}\n{}",
            plan.stdout
        );
    }
    let markdown = world.run(&estate, &["plan", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("#### ❌ The platform")
            && markdown.stdout.contains("**ses::account-in-sandbox**"),
        "{}",
        markdown.stdout
    );
    let status = status_json(&world, &estate);
    assert_eq!(status["platform"][0]["code"], "ses::account-in-sandbox");
    let row = &status["rows"][0];
    assert_eq!(row["stage"], "verified", "{row}");
    assert_eq!(row["waits_on"], "platform", "{row}");
    assert_ne!(row["urgency"], "done", "{row}");
    assert!(
        row["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("waits on the platform: the SES account")),
        "{row}"
    );
    let page = world.run(
        &estate,
        &["status", "--format", "html", "--out", "status.html"],
    );
    assert_eq!(page.code, 0, "{}", page.all());
    let html = std::fs::read_to_string(estate.path().join("status.html")).expect("the page");
    assert!(
        html.contains("The platform stops libraries") && html.contains("ses::account-in-sandbox"),
        "{html}"
    );

    // Production access, then sending paused by AWS.
    world.sandbox.set_ses_account(true, false);
    let plan = world.run(&estate, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("✗ ses::sending-paused: sending is paused for the SES account in us-east-1")
            && !plan.stdout.contains("ses::account-in-sandbox"),
        "{}",
        plan.stdout
    );

    // Sending resumed: nothing stands in the way, and the library is done.
    world.sandbox.set_ses_account(true, true);
    let plan = world.run(&estate, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.stdout.contains("The platform"), "{}", plan.stdout);
    let status = status_json(&world, &estate);
    assert!(status.get("platform").is_none(), "{status}");
    assert_eq!(status["rows"][0]["urgency"], "done", "{status}");
}
