//! The versioned JSON output against `schemas/probe-report.schema.json`.
//!
//! A small checker for the subset of JSON Schema that file uses (type, enum,
//! const, required, properties, additionalProperties: false, items, oneOf,
//! pattern as a prefix check) keeps a full validator crate out of the build.

use mailform::probe::{GoogleAuthMode, ProbeReportV1, Security, probe, to_json};
use serde_json::Value;

use super::{opts_trusting, target};
use crate::assert_probe_snapshot;
use crate::support::certs::Leaf;
use crate::support::exim::{Exim, EximSpec};
use crate::support::fake::{Behaviour, FakeServer};
use crate::support::json_schema;

fn assert_valid(json: &Value) {
    json_schema::assert_valid("probe-report.schema.json", json);
}

#[test]
fn checker_notices_problems() {
    let bad = serde_json::json!({"version": 2, "surprise": true});
    let problems = json_schema::problems("probe-report.schema.json", &bad);
    assert!(problems.iter().any(|p| p.contains("is not 1")));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unexpected property surprise"))
    );
    assert!(problems.iter().any(|p| p.contains("missing \"stages\"")));
}

#[tokio::test]
async fn reports_match_the_schema() {
    let exim = Exim::start(&EximSpec::default());
    let good = probe(
        &target(exim.starttls_port, Security::Starttls, "testpass"),
        &opts_trusting(&exim.ca),
    )
    .await;
    let json = to_json(&good);
    assert_valid(&json);
    assert_eq!(json["version"], 1);
    assert_eq!(json["passed"], true);
    assert_eq!(
        json["tls"]["certificate"]["not_after"],
        "2045-01-01T00:00:00Z"
    );

    let expired = Exim::start(&EximSpec {
        leaf: Leaf::Expired,
        ..EximSpec::default()
    });
    let mut t = target(expired.smtps_port, Security::Tls, "testpass");
    t.google = Some(GoogleAuthMode::AppPassword);
    let failed = probe(&t, &opts_trusting(&expired.ca)).await;
    let json = to_json(&failed);
    assert_valid(&json);
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["tls"]["version"], Value::Null);
    assert_eq!(
        json["tls"]["certificate"]["not_after"],
        "2021-01-01T00:00:00Z"
    );
    assert_eq!(
        json["stages"][0]["code"],
        "smtp::google::app_password_malformed"
    );

    let fake = FakeServer::start(Behaviour::HeloOnly).await;
    let mut opts = super::opts_trusting(&exim.ca);
    opts.extra_roots.clear();
    let helo = probe(&target(fake.port, Security::Starttls, "testpass"), &opts).await;
    let json = to_json(&helo);
    assert_valid(&json);
    // The output type keeps its field order; a Value would sort the keys.
    let text = serde_json::to_string_pretty(&ProbeReportV1::from_report(&helo)).expect("JSON");
    assert_probe_snapshot!("helo_only_json", text);
}
