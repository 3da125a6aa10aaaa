//! Benchmark: the planner alone (`plan --live FILE` without the file's I/O) over a converged
//! estate of 100, 1,000 and 10,000 libraries (the three methods in turn), and how its time
//! grows: the exponent between two sizes is log(t2/t1) / log(n2/n1), 1.0 for linear.
//!
//! Run with `cargo bench --bench plan_live`. Prints the figures; asserts nothing about time.

use std::time::{Duration, Instant};

use mailform::config::{self, AnalyzeOptions};
use mailform::live::snapshot::LiveSnapshotV1;
use mailform::model::Date;
use mailform::plan::planner::{HANDOVER_GRACE_SECS, PlanOptions, plan};
use mailform::source::{SourceFile, SourceSet};
use serde_json::{Value, json};

const PLATFORM: &str = "platform {\n    aws-region \"us-east-1\"\n\n    registrant {\n        contact-type \"PERSON\"\n        first-name \"Pat\"\n        last-name \"Lee\"\n        email \"domains@example.org\"\n        phone \"+1.5555550100\"\n        address-line-1 \"1 Main Street\"\n        city \"Springfield\"\n        country-code \"US\"\n        zip-code \"12345\"\n    }\n}\n";

fn library(i: usize) -> (String, String) {
    let id = format!("library-{i:05}");
    let method = match i % 3 {
        0 => format!("    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n"),
        1 => format!(
            "    smtp-account {{\n        host \"smtp.{id}.example.net\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_LIBRARY_{i:05}\"\n        from \"notices@{id}.example.net\"\n    }}\n"
        ),
        _ => format!(
            "    managed-domain {{\n        domain \"{id}-mail.org\"\n        from \"noreply@{id}-mail.org\"\n    }}\n"
        ),
    };
    (
        id.clone(),
        format!(
            "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@{id}.example.com\"\n\n{method}}}\n"
        ),
    )
}

fn tags(id: &str) -> Value {
    json!({ "managed-by": "mailform", "library": id })
}

fn identity(name: &str, id: &str) -> Value {
    json!({
        "name": name, "kind": "DOMAIN", "verification_status": "SUCCESS",
        "verified_for_sending": true, "verification_error": null,
        "dkim": { "signing_enabled": true, "status": "SUCCESS", "tokens": ["tok1", "tok2", "tok3"],
                  "signing_hosted_zone": "dkim.amazonses.com", "origin": "AWS_SES",
                  "current_key_length": "RSA_2048_BIT", "next_key_length": "RSA_2048_BIT",
                  "last_key_generation": null },
        "mail_from": null, "configuration_set": null, "tags": tags(id)
    })
}

fn present(domain: &str) -> Value {
    let checks: Vec<Value> = ["tok1", "tok2", "tok3"]
        .iter()
        .map(|t| {
            json!({
                "name": format!("{t}._domainkey.{domain}"), "type": "CNAME",
                "expected": format!("{t}.dkim.amazonses.com"), "verdict": "dns::present",
                "detail": null
            })
        })
        .collect();
    Value::Array(checks)
}

fn records(domain: &str) -> Value {
    let records: Vec<Value> = ["tok1", "tok2", "tok3"]
        .iter()
        .map(|t| {
            json!({
                "name": format!("{t}._domainkey.{domain}"), "type": "CNAME", "ttl": 1800,
                "values": [format!("{t}.dkim.amazonses.com")], "alias_target": null
            })
        })
        .collect();
    Value::Array(records)
}

/// A converged estate of `n` libraries: files and the live snapshot that matches them.
fn estate(n: usize) -> (mailform::model::Config, LiveSnapshotV1) {
    let mut sources = SourceSet::default();
    sources.add(SourceFile::new(
        "libraries/_platform.kdl",
        PLATFORM.to_string(),
    ));
    let (mut identities, mut domains, mut zones, mut observed) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let (id, text) = library(i);
        sources.add(SourceFile::new(format!("libraries/{id}.kdl"), text));
        match i % 3 {
            0 => {
                let domain = format!("{id}.example.org");
                identities.push(identity(&domain, &id));
                observed.push(json!({ "id": id, "method": "ses-domain", "identity": domain,
                    "dns": { "dkim": present(&domain), "mail_from": [],
                             "spf": { "finding": "absent", "detail": null },
                             "dmarc": { "finding": "absent", "detail": null }, "observations": [] },
                    "smtp_probe": null, "notes": [] }));
            }
            1 => observed.push(json!({ "id": id, "method": "smtp-account", "identity": null,
                "dns": null, "notes": [],
                "smtp_probe": { "taken_at": "2026-11-26T09:00:00Z", "verdict": "pass", "codes": [] } })),
            _ => {
                let domain = format!("{id}-mail.org");
                identities.push(identity(&domain, &id));
                domains.push(json!({ "name": domain, "auto_renew": true, "transfer_lock": true,
                    "expiry": "2027-11-26T00:00:00Z", "statuses": [], "name_servers": [],
                    "tags": tags(&id) }));
                zones.push(json!({ "id": format!("Z{i}"), "name": domain, "private": false,
                    "tags": {}, "records": records(&domain) }));
                observed.push(json!({ "id": id, "method": "managed-domain", "identity": domain,
                    "dns": null, "smtp_probe": null, "notes": [] }));
            }
        }
    }
    let today = Date::parse("2026-11-26").unwrap();
    let analysis = config::analyze(&mut sources, &AnalyzeOptions { today });
    let config = analysis
        .config
        .unwrap_or_else(|| panic!("{:?}", analysis.diagnostics));
    let live = json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true,
                              "max_24_hour_send": null, "max_send_rate": null },
                 "identities": identities, "configuration_sets": [] },
        "registrar": { "domains": domains, "operations": [], "availability": [],
                       "prices": [{ "tld": "org", "registration": 15.0, "renewal": 15.0,
                                    "currency": "USD" }] },
        "route53": { "hosted_zones": zones },
        "libraries": observed
    });
    let live: LiveSnapshotV1 = serde_json::from_value(live).expect("a valid snapshot");
    (config, live)
}

fn main() {
    let opts = PlanOptions {
        today: Date::parse("2026-11-26").unwrap(),
        handover_grace: HANDOVER_GRACE_SECS,
    };
    let mut figures: Vec<(usize, Duration)> = Vec::new();
    for n in [100, 1_000, 10_000] {
        let (config, live) = estate(n);
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            let p = plan(&config, &live, &opts);
            best = best.min(start.elapsed());
            assert!(!p.has_changes(), "a converged estate plans no change");
            assert_eq!(p.libraries.len(), n);
        }
        println!("plan --live, {n:>6} converged libraries: {best:?} (best of 5)");
        figures.push((n, best));
    }
    for pair in figures.windows(2) {
        let ((n1, t1), (n2, t2)) = (pair[0], pair[1]);
        let exponent = (t2.as_secs_f64() / t1.as_secs_f64()).ln() / (n2 as f64 / n1 as f64).ln();
        println!("growth from {n1} to {n2}: N^{exponent:.2}");
    }
}
