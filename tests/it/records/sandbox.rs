//! `mailform records` end to end: the identity created in the sandbox through the SDK, the
//! binary reading SES, Route 53, Route 53 Domains and DNS from it.

use mailform::sandbox::{RecordInput, SandboxConfig};

use super::SPRINGFIELD;
use crate::support::cli::Cli;
use crate::support::estate::{FAST, QUICK_RETRIES, sandbox_flags};
use crate::support::sandbox as harness;

#[tokio::test]
async fn the_tokens_printed_are_the_identitys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let domain = "springfield-library.example.org";
    let created = harness::ses(&sandbox)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("CreateEmailIdentity");
    let dkim = created.dkim_attributes().expect("Easy DKIM attributes");
    let tokens = dkim.tokens().to_vec();
    assert_eq!(tokens.len(), 3);
    let got = harness::ses(&sandbox)
        .get_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("GetEmailIdentity");
    let zone = got
        .dkim_attributes()
        .and_then(|d| d.signing_hosted_zone())
        .expect("a SigningHostedZone")
        .trim_end_matches('.')
        .to_string();
    // The library's IT staff installed the first record.
    sandbox
        .add_record(
            domain,
            RecordInput::new(
                &format!("{}._domainkey", tokens[0]),
                "CNAME",
                &format!("{}.{zone}", tokens[0]),
            ),
        )
        .unwrap();

    let mut args: Vec<String> = ["records", "springfield", "--format", "csv"]
        .into_iter()
        .map(String::from)
        .collect();
    args.extend(sandbox_flags(&sandbox));
    args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
    let out = Cli::with_platform()
        .file("libraries/springfield.kdl", SPRINGFIELD)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let cnames: Vec<&Vec<&str>> = rows.iter().filter(|r| r[4] == "CNAME").collect();
    assert_eq!(cnames.len(), 3, "{}", out.stdout);
    for (row, token) in cnames.iter().zip(&tokens) {
        assert_eq!(row[2], format!("{token}._domainkey.{domain}"));
        assert_eq!(row[3], format!("{token}._domainkey"));
        assert_eq!(row[5], format!("{token}.{zone}"));
    }
    assert_eq!(cnames[0][7], "dns::present", "{}", out.stdout);
    assert_eq!(cnames[1][7], "dns::missing", "{}", out.stdout);
    let mx = rows
        .iter()
        .find(|r| r[4] == "MX")
        .expect("the MAIL FROM MX");
    assert_eq!(mx[2], format!("bounce.{domain}"));
    assert_eq!(mx[5], "10 feedback-smtp.us-east-1.amazonses.com");
}

/// SPF and DMARC findings of the sending domain reach `records` and the plan as information,
/// read from the sandbox's DNS server through the binary.
#[tokio::test]
async fn spf_and_dmarc_findings_are_information_in_records_and_the_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let domain = "springfield-library.example.org";
    harness::ses(&sandbox)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("CreateEmailIdentity");
    let txt = |host: &str, value: &str| {
        sandbox
            .add_record(
                domain,
                RecordInput::new(host, "TXT", &format!("\"{value}\"")),
            )
            .unwrap();
    };
    // 1 + 4 + 1 + 4 + 1 + 2 = 13 lookups through three nested includes.
    txt("@", &format!("v=spf1 include:a.{domain} -all"));
    txt(
        "a",
        &format!("v=spf1 a mx ptr exists:x.{domain} include:b.{domain} -all"),
    );
    txt(
        "b",
        &format!("v=spf1 a mx ptr exists:y.{domain} include:c.{domain} -all"),
    );
    txt("c", "v=spf1 a mx -all");
    txt("_dmarc", "v=DMARC1; p=reject; aspf=s");

    let run = |command: &[&str]| {
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(sandbox_flags(&sandbox));
        args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
        Cli::with_platform()
            .file("libraries/springfield.kdl", SPRINGFIELD)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
            .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .run()
    };
    let out = run(&["records", "springfield"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let info = out
        .stdout
        .split_once("For information")
        .map(|(_, rest)| format!("For information{rest}"))
        .unwrap_or_else(|| panic!("no information section:\n{}", out.stdout));
    assert!(info.contains("spf::too-many-lookups"), "{info}");
    assert!(info.contains("13 DNS lookups"), "{info}");
    assert!(info.contains("SPF will not align"), "{info}");
    crate::snap!("records", "information", info);

    let out = run(&["plan", "--target", "springfield"]);
    assert!(
        out.stdout
            .contains("the domain's own records (no change needed for mailform's mail)")
            && out.stdout.contains("spf::too-many-lookups")
            && out.stdout.contains("fix: remove includes")
            && !out.stdout.contains("dmarc::policy"),
        "{}",
        out.all()
    );
}

/// The records and the plan of a library whose zone is served by `name_servers` (the sandbox's
/// own `ns1.<zone>` when empty), read through the binary: the handoff's wording, tokens masked.
async fn handoff_wording(name_servers: &[&str]) -> (String, String, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let domain = "springfield-library.example.org";
    sandbox.create_zone_served_by(domain, name_servers);
    let created = harness::ses(&sandbox)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("CreateEmailIdentity");
    let tokens = created
        .dkim_attributes()
        .expect("Easy DKIM attributes")
        .tokens()
        .to_vec();
    let run = |command: &[&str]| {
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(sandbox_flags(&sandbox));
        args.extend(FAST.iter().chain(QUICK_RETRIES).map(|s| s.to_string()));
        let out = Cli::with_platform()
            .file("libraries/springfield.kdl", SPRINGFIELD)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
            .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .run();
        let mut text = out.stdout.clone();
        for (i, t) in tokens.iter().enumerate() {
            text = text.replace(t.as_str(), &format!("TOKEN{}", i + 1));
        }
        (out.code, text, out.all())
    };
    let (code, table, all) = run(&["records", "springfield"]);
    assert_eq!(code, 0, "{all}");
    let how = table
        .lines()
        .filter(|l| l.starts_with("Add these") || l.starts_with("  - "))
        .take_while(|l| !l.contains("::"))
        .collect::<Vec<_>>()
        .join("\n");
    let (code, markdown, all) = run(&["records", "springfield", "--format", "markdown"]);
    assert_eq!(code, 0, "{all}");
    let (code, zone, all) = run(&["records", "springfield", "--format", "zone"]);
    assert_eq!(code, 0, "{all}");
    let (_, plan, all) = run(&["plan", "--target", "springfield"]);
    let remedies = plan
        .lines()
        .filter(|l| l.trim_start().starts_with("what to do:"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!remedies.is_empty(), "{all}");
    (how, format!("{markdown}\n{zone}"), remedies, plan)
}

/// A zone served by Cloudflare's name servers: `records` and the plan speak Cloudflare's form
/// (Name field, "DNS only" proxy status, TTL "Auto").
#[tokio::test]
async fn a_cloudflare_zone_gets_cloudflares_wording() {
    let (how, other_formats, remedies, _) =
        handoff_wording(&["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]).await;
    assert!(how.contains("at Cloudflare"), "{how}");
    assert!(how.contains("DNS only (grey cloud)"), "{how}");
    assert!(how.contains("TTL: Auto"), "{how}");
    assert!(
        other_formats.contains("DNS only (grey cloud)"),
        "{other_formats}"
    );
    assert!(
        other_formats.contains("; DNS provider (from its name servers): Cloudflare"),
        "{other_formats}"
    );
    assert!(remedies.contains("at Cloudflare"), "{remedies}");
    crate::snap!("records", "provider-cloudflare", how);
    crate::snap!("records", "provider-cloudflare-plan", remedies);
}

/// Name servers no provider in the table has: the general wording, unchanged.
#[tokio::test]
async fn an_unknown_provider_gets_the_general_wording() {
    let (how, other_formats, remedies, _) = handoff_wording(&[]).await;
    assert!(how.contains("at the DNS provider of"), "{how}");
    assert!(how.contains("Host: enter only the host part"), "{how}");
    assert!(!other_formats.contains("DNS provider (from its name servers)"));
    assert!(
        remedies.contains("at the library's DNS provider"),
        "{remedies}"
    );
    crate::snap!("records", "provider-unknown", how);
    crate::snap!("records", "provider-unknown-plan", remedies);
}
