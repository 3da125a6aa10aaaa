//! `mailform status`: the onboarding page through the real binary against the sandbox, for
//! the README's demo estate and for 1,000 libraries, opened in headless Chromium: every
//! library's row and stage in the DOM, a hostile name inert, screenshots at a phone's and a
//! laptop's size that are not blank, and the page's weight; at a phone's width the rows come
//! first with each reason on screen (`phone.rs`). Every JSON report read here
//! follows `schemas/status.schema.json`.

pub mod browser;
mod deliverability;
mod phone;

use std::path::Path;

use serde_json::{Value, json};

use crate::support::cli::{bin, repo};
use crate::support::estate::{self, Estate, FAST, sandbox_flags};
use crate::support::json_schema;
use crate::support::sandbox;

/// A day after the sandbox's clock starts (2026-01-01), so day counts are reproducible.
const TODAY: &str = "2026-01-05";

fn run(root: &Path, args: &[&str], sandbox: &mailform::sandbox::SandboxHandle) -> estate::Run {
    let out = std::process::Command::new(bin())
        .args(args)
        .args(sandbox_flags(sandbox))
        .args(FAST)
        .current_dir(root)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run mailform");
    estate::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const SCHEMA: &str = "status.schema.json";

/// The rows of `status --format json`, which follows `schemas/status.schema.json`:
/// (library, stage).
pub(crate) fn json_rows(text: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(text).expect("status --format json is JSON");
    assert_eq!(v["version"], 1);
    json_schema::assert_valid(SCHEMA, &v);
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["library"].as_str().unwrap().to_string(),
                r["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Checks the page in the browser: each row with its stage, and two screenshots with ink.
pub(crate) fn check_in_browser(page: &Path, rows: &[(String, String)]) -> String {
    let dom = browser::dump_dom(page).unwrap_or_else(|e| panic!("{e}"));
    assert!(dom.contains("<caption"), "the table has no caption");
    for (library, stage) in rows {
        let at = dom
            .find(&format!("id=\"lib-{library}\""))
            .unwrap_or_else(|| panic!("no row for {library} in the DOM"));
        let row = &dom[at..at + dom[at..].find("</tr>").expect("row ends")];
        assert!(
            row.contains(&format!("data-stage=\"{stage}\"")),
            "{library}: stage {stage} not in {row}"
        );
        let label = stage_label(stage);
        assert!(
            row.contains(label),
            "{library}: `{label}` not shown in {row}"
        );
    }
    assert_eq!(
        dom.matches("<tr class=").count(),
        rows.len(),
        "one row per library"
    );
    // On a phone: the rows first, each reason on screen, every wait on the platform explained.
    let (reasons, _) = phone::check(page);
    assert!(reasons > 0, "no row gives a reason");
    let shots = tempfile::tempdir().unwrap();
    for (w, h) in [(390, 844), (1366, 900)] {
        let png = shots.path().join(format!("shot-{w}.png"));
        browser::screenshot(page, w, h, &png).unwrap_or_else(|e| panic!("{e}"));
        let picture = browser::look_at(&png).unwrap_or_else(|e| panic!("{e}"));
        assert!(picture.width >= w && picture.height >= h, "{picture:?}");
        assert!(
            picture.colours > 8,
            "a blank screenshot at {w}×{h}: {picture:?}"
        );
        assert!(
            picture.ink > 0.03,
            "almost nothing drawn at {w}×{h}: {picture:?}"
        );
    }
    dom
}

fn stage_label(stage: &str) -> &'static str {
    match stage {
        "identity-to-create" => "identity to create",
        "identity-created" => "identity created",
        "records-sent" => "records sent",
        "records-in-dns" => "records seen in DNS",
        "account-given" => "account given",
        "probe-passing" => "probe passing",
        "domain-to-buy" => "domain to buy",
        "domain-being-bought" => "being bought",
        "domain-bought" => "bought",
        "zone-written" => "zone written",
        "verified" => "verified",
        other => panic!("unknown stage {other}"),
    }
}

#[test]
fn the_demo_estate_after_apply_in_the_browser() {
    let root = tempfile::tempdir().unwrap();
    let libraries = root.path().join("libraries");
    std::fs::create_dir_all(&libraries).unwrap();
    for entry in std::fs::read_dir(repo().join("libraries")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, libraries.join(path.file_name().unwrap())).unwrap();
    }
    // As `mailform-sandbox demo` sets it up: the configuration set, the method-1 libraries'
    // own zones with nothing installed, and the managed domains approved for purchase.
    let (mut sources, _) = mailform::config::read_sources(std::slice::from_ref(&libraries));
    let config = mailform::config::analyze(
        &mut sources,
        &mailform::config::AnalyzeOptions {
            today: mailform::model::Date::parse(TODAY).unwrap(),
        },
    )
    .config
    .expect("the demo estate is valid");
    let sandbox = sandbox::start();
    let mut purchases = vec![];
    for library in &config.libraries {
        // Each library's own set and the platform's events set, as the one-time setup makes them.
        if let Some(set) = config.platform.configuration_set_for(library) {
            sandbox.create_configuration_set(set);
        }
        match &library.method {
            mailform::model::DeliveryMethod::SesDomain(m) => {
                sandbox.create_zone(m.from.domain().as_str());
            }
            mailform::model::DeliveryMethod::ManagedDomain(m) => {
                purchases.push(m.domain.as_str().to_string())
            }
            mailform::model::DeliveryMethod::SmtpAccount(_) => {}
        }
    }
    let mut apply = vec!["apply", "--auto-approve", "--allow-purchase"];
    apply.extend(purchases.iter().map(String::as_str));
    let applied = run(root.path(), &apply, &sandbox);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);

    let json = run(
        root.path(),
        &["status", "--format", "json", "--today", TODAY],
        &sandbox,
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let rows = json_rows(&json.stdout);
    assert_eq!(rows.len(), config.libraries.len());
    let markdown = run(
        root.path(),
        &["status", "--format", "markdown", "--today", TODAY],
        &sandbox,
    );
    insta::with_settings!({
        snapshot_path => "../../../snapshots/status",
        prepend_module_to_snapshot => false,
        filters => vec![(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]")],
    }, {
        insta::assert_snapshot!("demo_estate_markdown", markdown.stdout);
    });

    let page = root.path().join("status.html");
    let html = run(
        root.path(),
        &["status", "--out", "status.html", "--today", TODAY],
        &sandbox,
    );
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(
        html.stderr
            .contains("wrote the onboarding status of 6 libraries")
    );
    let dom = check_in_browser(&page, &rows);
    assert!(dom.contains("Springfield Public Library"));

    // Right after the apply both registrations are still under way (the sandbox's take 15
    // minutes), though SES already sees the records in the zones mailform wrote: being bought,
    // waiting on AWS.
    let waits = |json: &str| status_of(json, &["ogdenville", "brockway"]);
    assert_eq!(
        waits(&json.stdout),
        [
            "ogdenville domain-being-bought aws waiting",
            "brockway domain-being-bought aws waiting",
        ]
    );
    // An hour later both are registered: ogdenville is done and waits on nobody (its
    // registration is history); brockway's transfer to the library's account is the
    // platform's to start.
    sandbox.advance_clock(std::time::Duration::from_secs(3600));
    let status = |sandbox| {
        let out = run(
            root.path(),
            &["status", "--format", "json", "--today", TODAY],
            sandbox,
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    assert_eq!(
        waits(&status(&sandbox)),
        [
            "ogdenville verified nobody done",
            "brockway verified platform waiting",
        ]
    );
    // Once apply started the transfer, it waits on the receiving account, the library's IT
    // staff, to accept it; AWS has nothing left to do.
    let applied = run(root.path(), &["apply", "--auto-approve"], &sandbox);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains("brockway: + domain-transfer"),
        "{}",
        applied.stdout
    );
    assert_eq!(
        waits(&status(&sandbox)),
        [
            "ogdenville verified nobody done",
            "brockway verified it-staff waiting",
        ]
    );
}

/// "library stage waits-on urgency" of some rows of `status --format json`, in the order asked
/// for.
fn status_of(text: &str, libraries: &[&str]) -> Vec<String> {
    let v: Value = serde_json::from_str(text).expect("status --format json is JSON");
    libraries
        .iter()
        .map(|id| {
            let r = v["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["library"] == *id)
                .unwrap_or_else(|| panic!("no row for {id}"));
            let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            format!(
                "{id} {} {} {}",
                field("stage"),
                field("waits_on"),
                field("urgency")
            )
        })
        .collect()
}

const HOSTILE: &str =
    r#"<script>document.title='pwned'</script>"><img src=x onerror="document.title='pwned'">"#;

#[test]
fn a_thousand_libraries_weigh_under_a_megabyte_and_a_hostile_name_is_inert() {
    let root = tempfile::tempdir().unwrap();
    let n = 1000;
    Estate::write(root.path(), n);
    // Launch dates over half a year from the sandbox's first day, some already missed; one
    // library named by an attacker who can write a library file.
    let start = mailform::model::Date::parse(TODAY)
        .unwrap()
        .days_since_epoch();
    for i in 0..n {
        let path = root
            .path()
            .join("libraries")
            .join(format!("{}.kdl", estate::id(i)));
        let mut text = std::fs::read_to_string(&path).unwrap();
        if i % 5 != 4 {
            let launch =
                mailform::model::Date::from_days_since_epoch(start - 10 + ((i * 37) % 190) as i64);
            text = text.replacen("\n\n", &format!("\n    launch \"{launch}\"\n\n"), 1);
        }
        if i == 7 {
            let kdl = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
            text = text.replace("name \"Library 7\"", &format!("name \"{kdl}\""));
        }
        std::fs::write(&path, text).unwrap();
    }
    let sandbox = sandbox::start();
    // A few libraries further along: applied (identities created, domains bought).
    let some: Vec<String> = (0..24).map(estate::id).collect();
    let bought: Vec<String> = (0..24)
        .filter_map(|i| {
            (estate::method(i) == estate::Method::ManagedDomain)
                .then(|| estate::domain(i))
                .flatten()
        })
        .collect();
    let mut apply = vec!["apply", "--auto-approve", "--allow-purchase"];
    apply.extend(bought.iter().map(String::as_str));
    apply.push("--target");
    apply.extend(some.iter().map(String::as_str));
    let applied = run(root.path(), &apply, &sandbox);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);

    let live = root.path().join("live.json");
    let refreshed = run(root.path(), &["refresh", "--out", "live.json"], &sandbox);
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
    let live_arg = live.display().to_string();
    let json = std::process::Command::new(bin())
        .args([
            "status", "--format", "json", "--today", TODAY, "--live", &live_arg,
        ])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(json.status.success());
    let rows = json_rows(&String::from_utf8_lossy(&json.stdout));
    assert_eq!(rows.len(), n);
    let stages: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert!(stages.len() >= 4, "a mix of stages: {stages:?}");

    let page = root.path().join("status.html");
    let html = std::process::Command::new(bin())
        .args([
            "status",
            "--out",
            "status.html",
            "--today",
            TODAY,
            "--live",
            &live_arg,
        ])
        .current_dir(root.path())
        .output()
        .unwrap();
    assert!(
        html.status.success(),
        "{}",
        String::from_utf8_lossy(&html.stderr)
    );
    let weight = std::fs::metadata(&page).unwrap().len();
    eprintln!("the page of {n} libraries weighs {weight} bytes");
    assert!(weight < 1_000_000, "the page weighs {weight} bytes");

    let dom = check_in_browser(&page, &rows);
    // Inert: no element came of the name, the page's title is its own, the text is shown.
    assert!(
        !dom.contains("<img"),
        "an <img> element came of a library name"
    );
    assert!(
        !dom.contains("<script"),
        "a <script> element came of a library name"
    );
    assert!(dom.contains("<title>Onboarding status: 1000 libraries</title>"));
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;\"&gt;&lt;img"));
}

/// The JSON report of the notices tests' estate (two method-1 libraries, one sent a notice)
/// follows `schemas/status.schema.json`, a last notice included; the schema refuses the same
/// report with one thing wrong.
#[tokio::test]
async fn the_json_report_follows_its_schema() {
    let world = crate::apply::World::new();
    crate::notices::cli::fill(&world).await;
    let cli = crate::notices::cli::estate();
    let out = world.run(&cli, &["status", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let report: Value = serde_json::from_str(&out.stdout).expect("JSON");
    json_schema::assert_valid(SCHEMA, &report);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let springfield = rows
        .iter()
        .position(|r| r["library"] == "springfield")
        .expect("springfield's row");
    assert_eq!(
        rows[springfield]["last_notice"],
        json!({"kind": "records", "date": "2026-01-01"})
    );
    assert!(!report["counts"].as_array().unwrap().is_empty());

    let broken = |pointer: &str, value: Value| {
        let mut bad = report.clone();
        *bad.pointer_mut(pointer).expect(pointer) = value;
        json_schema::problems(SCHEMA, &bad)
    };
    let row = |field: &str| format!("/rows/{springfield}/{field}");
    let unknown_stage = broken(&row("stage"), json!("records-requested"));
    assert!(
        unknown_stage
            .iter()
            .any(|p| p.contains("\"records-requested\" is not one of")),
        "{unknown_stage:?}"
    );
    // A stage of another method's path.
    let foreign_stage = broken(&row("stage"), json!("probe-passing"));
    assert!(
        foreign_stage.iter().any(|p| p.contains("oneOf")),
        "{foreign_stage:?}"
    );
    for (field, value) in [
        ("method", json!("carrier-pigeon")),
        ("waits_on", json!("the-mayor")),
        ("urgency", json!("urgent")),
        ("days_in_stage", json!("three")),
        (
            "last_notice",
            json!({"kind": "welcome", "date": "2026-01-01"}),
        ),
        ("last_notice", json!("records")),
        ("reason", json!(7)),
    ] {
        assert!(
            !broken(&row(field), value.clone()).is_empty(),
            "{field}: {value} was accepted"
        );
    }
    assert!(!broken("/counts/0/stage", json!("domain-to-buy")).is_empty());
    assert!(!broken("/counts/0/count", json!(-1.5)).is_empty());
    assert!(!broken("/version", json!(2)).is_empty());
    let mut extra = report.clone();
    extra["rows"][springfield]["password"] = json!("hunter2");
    let extra = json_schema::problems(SCHEMA, &extra);
    assert!(
        extra
            .iter()
            .any(|p| p.contains("unexpected property password")),
        "{extra:?}"
    );
}
