//! `mailform notices` through the binary, against the sandbox's ledger table filled through
//! the real adapter: text and JSON (against `schemas/notices.schema.json`), one library, an
//! unknown library, no `notices` block, a missing table, and no secret in the output.

use std::collections::BTreeSet;

use mailform::notice::NoticeKind;
use mailform::notice::ledger::{Claim, NoticeLedger as _, Settle};
use serde_json::{Value, json};

use super::ledger::{entry, ledger};
use super::platform_with_notices;
use crate::apply::{World, cli, library};
use crate::support::cli::{CANARY, Cli, Output};
use crate::support::estate::sandbox_flags;
use crate::support::json_schema;

macro_rules! assert_notices_snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../snapshots/notices",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;

pub(crate) fn estate() -> Cli {
    cli()
        .file("libraries/_platform.kdl", &platform_with_notices())
        .file("libraries/springfield.kdl", &library("springfield", ""))
        .file("libraries/shelbyville.kdl", &library("shelbyville", ""))
        // The relay's password is set: it must never show.
        .env("MAILFORM_SMTP_PASSWORD_RELAY", CANARY)
}

fn notices(world: &World, cli: &Cli, extra: &[&str]) -> Output {
    let mut args: Vec<String> = std::iter::once("notices")
        .chain(extra.iter().copied())
        .map(String::from)
        .collect();
    args.extend(sandbox_flags(&world.sandbox));
    args.extend(["--max-attempts", "2"].map(String::from));
    Cli::reuse(cli, args).run()
}

/// Four notices in every state: sent, failed, and two unconfirmed claims (one of each rule).
pub(crate) async fn fill(world: &World) {
    let ledger = ledger(&world.sandbox, "mailform-notices").await;
    let records = entry("springfield", NoticeKind::Records, &["tokens"], "run-1", T0);
    let lapsed = entry(
        "springfield",
        NoticeKind::Lapsed,
        &["x"],
        "run-2",
        T0 + 86_400 * 3,
    );
    let bought = entry(
        "shelbyville",
        NoticeKind::DomainBought,
        &["d"],
        "run-3",
        T0 + 60,
    );
    let reminder = entry(
        "shelbyville",
        NoticeKind::Reminder,
        &["r"],
        "run-3",
        T0 + 30,
    );
    for e in [&records, &lapsed, &bought, &reminder] {
        assert_eq!(ledger.claim(e).await.unwrap(), Claim::Won);
    }
    let sent = Settle::Sent { at: T0 + 5 };
    assert!(ledger.settle(&records.key, "run-1", &sent).await.unwrap());
    let refused = Settle::Failed {
        detail: "550 5.1.1 <it@springfield.example>: Recipient address rejected: User unknown"
            .into(),
    };
    assert!(ledger.settle(&lapsed.key, "run-2", &refused).await.unwrap());
}

#[tokio::test]
async fn notices_lists_what_was_sent_when_and_what_was_not() {
    let world = World::new();
    fill(&world).await;
    let cli = estate();

    let text = notices(&world, &cli, &[]);
    assert_eq!(text.code, 0, "{}", text.all());
    assert_notices_snapshot!("all_text", text.stdout);

    let json = notices(&world, &cli, &["--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.all());
    assert_notices_snapshot!("all_json", json.stdout);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["notices"].as_array().map(Vec::len), Some(4));
    assert_matches_the_schema(&doc);

    let one = notices(&world, &cli, &["springfield"]);
    assert_eq!(one.code, 0, "{}", one.all());
    assert_notices_snapshot!("springfield_text", one.stdout);

    let one_json = notices(&world, &cli, &["springfield", "--format", "json"]);
    assert_eq!(one_json.code, 0, "{}", one_json.all());
    let doc: serde_json::Value = serde_json::from_str(&one_json.stdout).expect("JSON");
    assert_eq!(doc["library"], "springfield");
    json_schema::assert_valid(SCHEMA, &doc);

    for out in [&text, &json, &one, &one_json] {
        assert!(!out.all().contains(CANARY), "{}", out.all());
    }
}

const SCHEMA: &str = "notices.schema.json";

/// `doc` (every library's notices, in every state) follows `schemas/notices.schema.json`, and
/// the schema refuses the same document with one thing wrong.
fn assert_matches_the_schema(doc: &Value) {
    json_schema::assert_valid(SCHEMA, doc);
    let states: BTreeSet<&str> = doc["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, BTreeSet::from(["claimed", "failed", "sent"]));

    let broken = |at: usize, field: &str, value: Value| {
        let mut bad = doc.clone();
        bad["notices"][at][field] = value;
        json_schema::problems(SCHEMA, &bad)
    };
    let index = |state: &str| {
        doc["notices"]
            .as_array()
            .unwrap()
            .iter()
            .position(|n| n["state"] == state)
            .unwrap()
    };
    let (sent, failed, claimed) = (index("sent"), index("failed"), index("claimed"));
    let unknown_state = broken(sent, "state", json!("delivered"));
    assert!(
        unknown_state
            .iter()
            .any(|p| p.contains("\"delivered\" is not one of")),
        "{unknown_state:?}"
    );
    let unknown_kind = broken(sent, "kind", json!("welcome"));
    assert!(
        unknown_kind
            .iter()
            .any(|p| p.contains("\"welcome\" is not one of")),
        "{unknown_kind:?}"
    );
    let unknown_rule = broken(failed, "crash_rule", json!("exactly-once"));
    assert!(!unknown_rule.is_empty());
    // The fields that belong to one state only.
    assert!(!broken(claimed, "resent_after_lease", Value::Null).is_empty());
    assert!(!broken(sent, "resent_after_lease", json!(true)).is_empty());
    assert!(!broken(sent, "relay_reply", json!("550 no")).is_empty());
    assert!(!broken(claimed, "relay_reply", json!("550 no")).is_empty());
    let extra = broken(sent, "body", json!("Dear library"));
    assert!(
        extra.iter().any(|p| p.contains("unexpected property body")),
        "{extra:?}"
    );
    let mut bad = doc.clone();
    bad["version"] = json!(2);
    assert!(!json_schema::problems(SCHEMA, &bad).is_empty());
}

#[tokio::test]
async fn bad_requests_are_clear() {
    let world = World::new();
    let cli = estate();

    let empty = notices(&world, &cli, &["shelbyville"]);
    assert_eq!(empty.code, 0, "{}", empty.all());
    assert_eq!(
        empty.stdout,
        "No notices recorded for library `shelbyville` in the ledger table `mailform-notices`.\n"
    );

    let unknown = notices(&world, &cli, &["nowhere"]);
    assert_eq!(unknown.code, 1, "{}", unknown.all());
    assert!(
        unknown.stderr.contains(
            "no library `nowhere` in libraries; `mailform validate` lists the files read"
        ),
        "{}",
        unknown.stderr
    );

    world.sandbox.clear_request_log();
    let unconfigured = notices(
        &world,
        &cli.file("libraries/_platform.kdl", crate::support::cli::PLATFORM),
        &[],
    );
    assert_eq!(unconfigured.code, 1, "{}", unconfigured.all());
    assert_notices_snapshot!("not_configured", unconfigured.stderr);
    assert!(world.sandbox.request_log().is_empty(), "nothing was read");
}

#[tokio::test]
async fn a_missing_ledger_table_names_the_command_that_creates_it() {
    let world = World::new();
    let platform = platform_with_notices().replace(
        "        from-name",
        "        ledger-table \"library-market-notices\"\n        from-name",
    );
    let cli = estate().file("libraries/_platform.kdl", &platform);
    let out = notices(&world, &cli, &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_notices_snapshot!("missing_table", out.stderr);
}
