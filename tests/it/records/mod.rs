//! `mailform records LIBRARY`: every format from a hand-written live snapshot, the errors, and
//! one run against the sandbox.

#[cfg(feature = "sandbox")]
mod sandbox;

use serde_json::{Value, json};

use crate::snap;
use crate::support::cli::{Cli, Output};

pub const SPRINGFIELD: &str = r#"library "springfield" {
    name "Springfield Public Library"
    it-contact "it@springfield-library.example.org"

    ses-domain {
        from "noreply@springfield-library.example.org"
        mail-from "bounce.springfield-library.example.org"
    }
}
"#;

const SHELBYVILLE: &str = r#"library "shelbyville" {
    name "Shelbyville Library"
    it-contact "it@shelbyville.example.org"

    smtp-account {
        host "smtp.shelbyville.example.org"
        port 587
        security "starttls"
        username "notices"
        password env="MAILFORM_SMTP_PASSWORD_SHELBYVILLE"
        from "notices@shelbyville.example.org"
    }
}
"#;

const OGDENVILLE: &str = r#"library "ogdenville" {
    name "Ogdenville Library"
    it-contact "it@ogdenville.example.org"

    managed-domain {
        domain "ogdenville-library-mail.com"
        from "noreply@ogdenville-library-mail.com"
    }
}
"#;

const CAPITAL: &str = r#"library "capital-city" {
    name "Capital City Library"
    it-contact "it@capitalcity.example.com"

    ses-domain {
        from "notices@capitalcity.example.com"
    }
}
"#;

const DOMAIN: &str = "springfield-library.example.org";
/// Not `dkim.amazonses.com`: the target must come from the identity.
const SIGNING_ZONE: &str = "dkim.eu-west-1.amazonses.com";

fn identity(name: &str, tokens: &[&str]) -> Value {
    json!({
        "name": name, "kind": "DOMAIN", "verification_status": "PENDING",
        "verified_for_sending": false, "verification_error": null,
        "dkim": { "signing_enabled": true, "status": "PENDING", "tokens": tokens,
                  "signing_hosted_zone": SIGNING_ZONE, "origin": "AWS_SES",
                  "current_key_length": "RSA_2048_BIT", "next_key_length": "RSA_2048_BIT",
                  "last_key_generation": null },
        "mail_from": null, "configuration_set": null, "tags": {}
    })
}

fn check(name: &str, rtype: &str, expected: &str, verdict: &str, detail: Option<&str>) -> Value {
    json!({ "name": name, "type": rtype, "expected": expected, "verdict": verdict, "detail": detail })
}

fn dns(dkim: Vec<Value>, mail_from: Vec<Value>) -> Value {
    json!({
        "dkim": dkim, "mail_from": mail_from,
        "spf": { "finding": "absent", "detail": null },
        "dmarc": { "finding": "absent", "detail": null },
        "observations": []
    })
}

/// A snapshot with springfield's identity (three tokens, one present, one entered with the
/// domain twice, one as TXT; the MX wrong in a way whose description has commas) and
/// ogdenville's managed domain with its records present.
fn live() -> Value {
    let t = |n: u8| format!("tok{n}aaaabbbbccccdddd");
    let name = |n: u8| format!("{}._domainkey.{DOMAIN}", t(n));
    let target = |n: u8| format!("{}.{SIGNING_ZONE}", t(n));
    let mail_from = format!("bounce.{DOMAIN}");
    let ogden = "ogdenville-library-mail.com";
    json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "eu-west-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true,
                              "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [
                     identity(DOMAIN, &[&t(1), &t(2), &t(3)]),
                     identity(ogden, &["og1", "og2", "og3"]),
                 ],
                 "configuration_sets": [] },
        "registrar": { "domains": [], "operations": [], "availability": [], "prices": [] },
        "route53": { "hosted_zones": [] },
        "libraries": [
            { "id": "springfield", "method": "ses-domain", "identity": DOMAIN,
              "dns": dns(
                  vec![
                      check(&name(1), "CNAME", &target(1), "dns::present", None),
                      check(&name(2), "CNAME", &target(2), "dns::domain-twice",
                            Some(&format!("the record is at {}.{DOMAIN}: the domain was entered twice", name(2)))),
                      check(&name(3), "CNAME", &target(3), "dns::txt-instead-of-cname",
                            Some(&format!("a TXT record \"{}\" stands where the CNAME belongs", target(3)))),
                  ],
                  vec![
                      check(&mail_from, "MX", "10 feedback-smtp.eu-west-1.amazonses.com", "dns::mail-from-mx",
                            Some("MX records found: 10 mx1.example.net, 20 mx2.example.net")),
                      check(&mail_from, "TXT", "v=spf1 include:amazonses.com ~all", "dns::missing", None),
                  ]),
              "smtp_probe": null, "notes": [] },
            { "id": "ogdenville", "method": "managed-domain", "identity": ogden,
              "dns": dns(
                  ["og1", "og2", "og3"].iter().map(|t| check(
                      &format!("{t}._domainkey.{ogden}"), "CNAME", &format!("{t}.{SIGNING_ZONE}"),
                      "dns::present", None)).collect(),
                  vec![]),
              "smtp_probe": null, "notes": [] },
            { "id": "capital-city", "method": "ses-domain", "identity": "capitalcity.example.com",
              "dns": null, "smtp_probe": null, "notes": ["no SES identity capitalcity.example.com yet"] }
        ]
    })
}

fn run(args: &[&str]) -> Output {
    run_with(args, live())
}

fn run_with(args: &[&str], live: Value) -> Output {
    Cli::with_platform()
        .file("libraries/springfield.kdl", SPRINGFIELD)
        .file("libraries/shelbyville.kdl", SHELBYVILLE)
        .file("libraries/ogdenville.kdl", OGDENVILLE)
        .file("libraries/capital-city.kdl", CAPITAL)
        .file("live.json", &serde_json::to_string_pretty(&live).unwrap())
        .args(["records"])
        .args(args.iter().copied())
        .args(["--live", "live.json"])
        .run()
}

/// The error message without the renderer's line wrapping and gutter.
fn message(stderr: &str) -> String {
    stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn output(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(out.stderr, "");
    out.stdout
}

#[test]
fn table() {
    let text = output(&["springfield"]);
    assert!(
        !text.contains("tok1aaaabbbbccccdddd.dkim.amazonses.com"),
        "{text}"
    );
    snap!("records", "table", text);
}

#[test]
fn markdown() {
    snap!(
        "records",
        "markdown",
        output(&["springfield", "--format", "markdown"])
    );
}

#[test]
fn csv_quotes_a_value_with_commas() {
    let text = output(&["springfield", "--format", "csv"]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("library,domain,name,host,type,value,ttl,status,found,provider")
    );
    let mx = lines.find(|l| l.contains(",MX,")).expect("an MX row");
    assert!(
        mx.ends_with(
            ",dns::mail-from-mx,\"MX records found: 10 mx1.example.net, 20 mx2.example.net\","
        ),
        "{mx}"
    );
    // The TXT detail holds quotes: doubled inside a quoted field.
    assert!(text.contains("\"a TXT record \"\"tok3"), "{text}");
    snap!("records", "csv", text);
}

#[test]
fn zone_lines_have_absolute_names() {
    let text = output(&["springfield", "--format", "zone"]);
    let records: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(records.len(), 5, "{text}");
    for fields in &records {
        let [name, ttl, class, rtype, data @ ..] = fields.as_slice() else {
            panic!("too few fields: {fields:?}");
        };
        assert!(
            name.ends_with(&format!(".{DOMAIN}.")),
            "{name} is not absolute"
        );
        assert_eq!((*ttl, *class), ("1800", "IN"));
        match *rtype {
            "CNAME" => {
                assert_eq!(data.len(), 1);
                assert!(data[0].ends_with(&format!(".{SIGNING_ZONE}.")), "{data:?}");
            }
            "MX" => assert_eq!(data, ["10", "feedback-smtp.eu-west-1.amazonses.com."]),
            "TXT" => assert_eq!(data.join(" "), "\"v=spf1 include:amazonses.com ~all\""),
            other => panic!("unexpected type {other}"),
        }
    }
    snap!("records", "zone", text);
}

#[test]
fn a_managed_domain_is_information_only() {
    let text = output(&["ogdenville"]);
    assert!(text.contains("Nothing to install"), "{text}");
    assert!(!text.contains("How to enter them"), "{text}");
    snap!("records", "managed-table", text);
}

#[test]
fn without_an_identity_it_says_to_apply_first() {
    let out = run(&["capital-city"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "");
    assert!(
        message(&out.stderr).contains("there is no SES identity capitalcity.example.com for library `capital-city` yet: run apply first; the tokens are created with the identity"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_smtp_library_has_nothing_to_install() {
    let out = run(&["shelbyville"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "");
    assert!(
        message(&out.stderr).contains("library `shelbyville` sends through its own SMTP account (method 2): there are no DNS records to install"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unknown_library_is_named() {
    let out = run(&["springfeld"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("no library `springfeld`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_snapshot_of_other_libraries_is_not_taken_for_a_missing_identity() {
    let mut snapshot = live();
    snapshot["targets"] = json!(["ogdenville"]);
    let out = run_with(&["springfield"], snapshot);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        message(&out.stderr).contains(
            "the live snapshot covers only ogdenville, not library `springfield`: run `mailform refresh --target springfield`"
        ),
        "{}",
        out.stderr
    );
}
