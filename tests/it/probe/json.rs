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

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/probe-report.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
        .expect("schema is JSON")
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        other => panic!("schema type {other} not handled by the checker"),
    }
}

/// Returns the problems found, with JSON pointers.
fn check(schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(t, v),
            Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
            _ => false,
        };
        if !ok {
            problems.push(format!("{at}: {v} is not of type {t}"));
            return;
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        problems.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(v)
    {
        problems.push(format!("{at}: {v} is not one of {options:?}"));
    }
    if let Some(Value::String(p)) = schema.get("pattern") {
        // Only `^prefix...` patterns are used; check the literal prefix.
        let prefix = p.trim_start_matches('^').split('[').next().unwrap_or("");
        if !v.as_str().is_some_and(|s| s.starts_with(prefix)) {
            problems.push(format!("{at}: {v} does not match {p}"));
        }
    }
    if let Some(Value::Array(options)) = schema.get("oneOf") {
        let matching = options
            .iter()
            .filter(|o| {
                let mut p = Vec::new();
                check(o, v, at, &mut p);
                p.is_empty()
            })
            .count();
        if matching != 1 {
            problems.push(format!("{at}: matches {matching} of oneOf"));
        }
    }
    if let (Some(Value::Object(props)), Value::Object(obj)) = (schema.get("properties"), v) {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(r.as_str().unwrap()) {
                problems.push(format!("{at}: missing {r}"));
            }
        }
        for (k, val) in obj {
            match props.get(k) {
                Some(s) => check(s, val, &format!("{at}/{k}"), problems),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: unexpected property {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Value::Array(arr)) = (schema.get("items"), v) {
        for (i, item) in arr.iter().enumerate() {
            check(items, item, &format!("{at}/{i}"), problems);
        }
    }
}

fn assert_valid(json: &Value) {
    let mut problems = Vec::new();
    check(&schema(), json, "", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}\n{json:#}");
}

#[test]
fn checker_notices_problems() {
    let mut problems = Vec::new();
    let bad = serde_json::json!({"version": 2, "surprise": true});
    check(&schema(), &bad, "", &mut problems);
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
