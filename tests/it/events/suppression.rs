//! Each library's suppressed recipients in `mailform deliverability`, through the binary
//! against the sandbox: mail sent with `TenantName` that hard-bounces or draws a complaint puts
//! the recipient on that library's tenant list (suppression scope `TENANT`), shown under that
//! library only; a list longer than SES's page of 1,000 read whole; the platform without
//! tenants saying the list is the account's; a hostile address shown inert.

use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, SuppressionListReason, SuppressionListScope,
    TenantSuppressionAttributes,
};
use mailform::sandbox::SandboxHandle;
use serde_json::Value;

use super::{SHELBYVILLE, SPRINGFIELD, TODAY, platform, run, scene};
use crate::support::sandbox as harness;

/// The events platform file with `tenants { suppression "tenant" }`.
fn platform_with_tenant_lists() -> String {
    let platform = platform();
    let end = platform.rfind('}').expect("the platform block ends");
    format!(
        "{}    tenants {{\n        suppression \"tenant\"\n    }}\n}}\n",
        &platform[..end]
    )
}

/// Each library's tenant, with its own suppression list, holding the From address's identity and the
/// configuration sets, as apply leaves it (SES sends through a tenant only what it holds).
async fn tenants(sandbox: &SandboxHandle) {
    let ses = harness::ses(sandbox);
    let sets: Vec<String> = ses
        .list_configuration_sets()
        .send()
        .await
        .unwrap()
        .configuration_sets()
        .to_vec();
    for (name, domain) in [("springfield", SPRINGFIELD), ("shelbyville", SHELBYVILLE)] {
        ses.create_tenant()
            .tenant_name(name)
            .suppression_attributes(
                TenantSuppressionAttributes::builder()
                    .suppression_scope(SuppressionListScope::Tenant)
                    .suppressed_reasons(SuppressionListReason::Bounce)
                    .suppressed_reasons(SuppressionListReason::Complaint)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let arn = |kind: &str, resource: &str| {
            format!("arn:aws:ses:us-east-1:123456789012:{kind}/{resource}")
        };
        let held = std::iter::once(arn("identity", &format!("news@{domain}")))
            .chain(sets.iter().map(|set| arn("configuration-set", set)));
        for resource in held {
            ses.create_tenant_resource_association()
                .tenant_name(name)
                .resource_arn(resource)
                .send()
                .await
                .unwrap();
        }
    }
}

/// One message from `domain`'s library, sent for `tenant`, to each of `to` (up to 50).
async fn send_for(sandbox: &SandboxHandle, domain: &str, tenant: &str, to: &[String]) {
    let content = |s: &str| Content::builder().data(s).build().unwrap();
    harness::ses(sandbox)
        .send_email()
        .from_email_address(format!("news@{domain}"))
        .tenant_name(tenant)
        .destination(
            Destination::builder()
                .set_to_addresses(Some(to.to_vec()))
                .build(),
        )
        .content(
            EmailContent::builder()
                .simple(
                    Message::builder()
                        .subject(content("Your loan is due"))
                        .body(
                            Body::builder()
                                .text(content("Please bring it back."))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn simulator(locals: &[&str]) -> Vec<String> {
    locals
        .iter()
        .map(|l| format!("{l}@simulator.amazonses.com"))
        .collect()
}

/// `deliverability --format json`, checked against its schema: each library's suppression.
fn suppression(
    world: &crate::apply::World,
    cli: &crate::support::cli::Cli,
) -> std::collections::BTreeMap<String, Value> {
    super::per_library(world, cli, |l| l["suppression"].clone())
}

#[tokio::test]
async fn a_library_s_bounce_is_on_its_own_list_and_not_another_s() {
    let (world, cli) = scene().await;
    let cli = cli.file("libraries/_platform.kdl", &platform_with_tenant_lists());
    tenants(&world.sandbox).await;
    send_for(
        &world.sandbox,
        SPRINGFIELD,
        "springfield",
        &simulator(&["success", "bounce", "complaint"]),
    )
    .await;
    send_for(
        &world.sandbox,
        SHELBYVILLE,
        "shelbyville",
        &simulator(&["success", "ooto"]),
    )
    .await;

    let got = suppression(&world, &cli);
    assert_eq!(got["shelbyville"]["scope"], "tenant", "{got:?}");
    assert_eq!(got["shelbyville"]["tenant"], "shelbyville");
    assert_eq!(got["shelbyville"]["count"], 0);
    assert_eq!(got["springfield"]["tenant"], "springfield");
    assert_eq!(got["springfield"]["count"], 2);
    let springfield: Vec<(&str, &str)> = got["springfield"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        springfield,
        [
            ("bounce@simulator.amazonses.com", "BOUNCE"),
            ("complaint@simulator.amazonses.com", "COMPLAINT"),
        ]
    );
    assert!(
        got["springfield"]["recipients"][0]["added"]
            .as_str()
            .unwrap()
            .starts_with(TODAY)
    );

    let text = run(&world, &cli, &["deliverability", "--today", TODAY]);
    assert_eq!(text.code, 0, "{}", text.all());
    let block = |library: &str| {
        let start = text
            .stdout
            .find(&format!("\n{library} ("))
            .expect("the library's block");
        let rest = &text.stdout[start + 1..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    let (shelbyville, springfield) = (block("shelbyville"), block("springfield"));
    assert!(
        shelbyville.contains("suppression list (tenant shelbyville): 0 recipients"),
        "{}",
        text.stdout
    );
    assert!(!shelbyville.contains("bounce@"), "{}", text.stdout);
    assert!(
        springfield.contains("suppression list (tenant springfield): 2 recipients"),
        "{}",
        text.stdout
    );
    assert!(
        springfield.contains("BOUNCE     2026-01-01  bounce@simulator.amazonses.com"),
        "{}",
        text.stdout
    );

    let csv = run(
        &world,
        &cli,
        &["deliverability", "--format", "csv", "--today", TODAY],
    );
    assert_eq!(csv.code, 0, "{}", csv.all());
    assert!(csv.stdout.lines().next().unwrap().ends_with(",suppressed"));
    assert!(
        csv.stdout
            .lines()
            .filter(|l| l.starts_with("springfield,"))
            .all(|l| l.ends_with(",2")),
        "{}",
        csv.stdout
    );
    // The CSV carries counts, never a patron's address.
    assert!(!csv.stdout.contains("@simulator"), "{}", csv.stdout);
}

#[tokio::test]
async fn a_list_longer_than_a_page_is_read_whole() {
    let (world, cli) = scene().await;
    let cli = cli.file("libraries/_platform.kdl", &platform_with_tenant_lists());
    tenants(&world.sandbox).await;
    // 1,012 hard bounces: SES pages this list by 1,000 at most.
    let all: Vec<String> = (0..1012)
        .map(|n| format!("bounce+{n:04}@simulator.amazonses.com"))
        .collect();
    for batch in all.chunks(50) {
        send_for(&world.sandbox, SPRINGFIELD, "springfield", batch).await;
    }
    let got = suppression(&world, &cli);
    assert_eq!(got["springfield"]["count"], 1012);
    let listed: Vec<&str> = got["springfield"]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert_eq!(listed, all.iter().map(String::as_str).collect::<Vec<_>>());

    let text = run(
        &world,
        &cli,
        &["deliverability", "springfield", "--today", TODAY],
    );
    assert_eq!(text.code, 0, "{}", text.all());
    assert!(
        text.stdout
            .contains("suppression list (tenant springfield): 1012 recipients"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("bounce+0009@"), "{}", text.stdout);
    assert!(!text.stdout.contains("bounce+0010@"), "{}", text.stdout);
    assert!(
        text.stdout.contains("    and 1002 more\n"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn without_tenants_the_list_is_the_account_s_and_not_shown_per_library() {
    let (world, cli) = scene().await;
    super::send(&world.sandbox, SPRINGFIELD, &["bounce"]).await;
    let got = suppression(&world, &cli);
    assert_eq!(
        got["springfield"],
        serde_json::json!({ "scope": "account-no-tenants" })
    );
    let text = run(&world, &cli, &["deliverability", "--today", TODAY]);
    assert_eq!(text.code, 0, "{}", text.all());
    assert!(
        text.stdout.contains(
            "suppression list: the account's, shared by every library (the platform manages no SES tenants); not shown per library"
        ),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("bounce@simulator"), "{}", text.stdout);
}

#[tokio::test]
async fn a_hostile_address_is_shown_inert_and_cut() {
    let (world, cli) = scene().await;
    let cli = cli.file("libraries/_platform.kdl", &platform_with_tenant_lists());
    tenants(&world.sandbox).await;
    let hostile = format!(
        "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}{}@evil.example",
        "x".repeat(5000)
    );
    harness::ses(&world.sandbox)
        .put_suppressed_destination()
        .email_address(&hostile)
        .reason(SuppressionListReason::Bounce)
        .tenant_name("springfield")
        .send()
        .await
        .unwrap();
    let text = run(
        &world,
        &cli,
        &["deliverability", "springfield", "--today", TODAY],
    );
    assert_eq!(text.code, 0, "{}", text.all());
    for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!text.all().contains(bad), "{bad:?} reached the terminal");
    }
    let line = text
        .stdout
        .lines()
        .find(|l| l.contains("]0;pwned"))
        .expect("the address's line");
    assert!(
        line.contains("\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}xxx"),
        "{line}"
    );
    assert!(
        line.contains("… (") && line.ends_with(" characters)"),
        "{line}"
    );
    assert!(line.chars().count() < 320, "{line}");

    // JSON keeps the address whole, escaped as JSON escapes.
    let got = suppression(&world, &cli);
    assert_eq!(got["springfield"]["recipients"][0]["address"], hostile);
}
