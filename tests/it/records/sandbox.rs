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
