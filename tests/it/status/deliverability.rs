//! Deliverability on the status page through the binary against the sandbox (issue #25 part
//! 3): five libraries, their domains verified, send mail to Amazon's mailbox simulator through
//! SES, `events drain` keeps the events, and `status` tells each library's standing in its
//! HTML page, its Markdown and its JSON: one healthy, one under review, one at risk of pause
//! (failing, first, on a phone's first screen), one that sent nothing, one that sends through
//! its own SMTP account. An event store that cannot be read leaves the rest of the page and
//! says why.

use serde_json::{Value, json};

use crate::apply::{World, cli};
use crate::events::{self, library, send};
use crate::support::cli::Cli;
use crate::support::json_schema;
use crate::support::sandbox as harness;

/// The sandbox's first day, the day the mail is sent.
const TODAY: &str = "2026-01-01";

/// (library, its sending domain).
const HEALTHY: (&str, &str) = ("healthy", "healthy-library.org");
const REVIEW: (&str, &str) = ("review", "review-library.org");
const RISK: (&str, &str) = ("risk", "risk-library.org");
const QUIET: (&str, &str) = ("quiet", "quiet-library.org");
const SES: [(&str, &str); 4] = [HEALTHY, REVIEW, RISK, QUIET];

fn smtp_library() -> String {
    "library \"relay\" {\n    name \"relay\"\n    it-contact \"it@relay-library.org\"\n\n    smtp-account {\n        host \"smtp.relay-library.org\"\n        port 465\n        security \"tls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_RELAY\"\n        from \"notices@relay-library.org\"\n    }\n}\n".to_string()
}

/// The five library files with `platform` as the platform file.
fn estate(platform: &str) -> Cli {
    SES.iter().fold(
        cli()
            .file("libraries/_platform.kdl", platform)
            .file("libraries/relay.kdl", &smtp_library()),
        |cli, (id, domain)| cli.file(&format!("libraries/{id}.kdl"), &library(id, domain)),
    )
}

/// Applies, installs each SES library's DKIM records at its DNS provider and lets an hour
/// pass: every SES library verified, at the end of its path.
async fn verified(world: &World, cli: &Cli) {
    let applied = world.run_on(cli, &["apply", "--auto-approve"], TODAY);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let ses = harness::ses(&world.sandbox);
    for (_, domain) in SES {
        let identity = ses
            .get_email_identity()
            .email_identity(domain)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{domain}: {e:?}"));
        let zone = world.sandbox.create_zone(domain);
        for token in identity.dkim_attributes().unwrap().tokens() {
            world
                .sandbox
                .add_record(
                    &zone,
                    mailform::sandbox::RecordInput::new(
                        &format!("{token}._domainkey.{domain}"),
                        "CNAME",
                        &format!("{token}.dkim.amazonses.com"),
                    ),
                )
                .unwrap();
        }
    }
    world
        .sandbox
        .advance_clock(std::time::Duration::from_secs(3600));
}

/// `status --format FORMAT` on the mail's day.
fn status(world: &World, cli: &Cli, format: &str) -> crate::support::cli::Output {
    let out = world.run_on(cli, &["status", "--format", format], TODAY);
    assert_eq!(out.code, 0, "{}", out.all());
    out
}

/// The deliverability cell of a library's row in the page, as it stands in the HTML.
fn cell(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"lib-{id}\""))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let row = &html[at..at + html[at..].find("</tr>").unwrap()];
    // The status cell, then the deliverability cell.
    let status_end = row.find("</td>").unwrap() + "</td>".len();
    let rest = &row[status_end..];
    rest[..rest.find("</td>").unwrap() + "</td>".len()].to_string()
}

#[tokio::test]
async fn each_librarys_deliverability_is_told_on_the_page_in_markdown_and_json() {
    let world = World::new();
    events::pipeline(&world.sandbox).await;
    let cli = estate(&events::platform());
    verified(&world, &cli).await;
    // Healthy: 3 delivered. Under review: 1 hard bounce in 12 (8.3 %). At risk of pause: 1 in 4
    // (25 %). Quiet: nothing. The SMTP library's mail never passes SES.
    send(
        &world.sandbox,
        HEALTHY.1,
        &["success", "success+2", "success+3"],
    )
    .await;
    let mut twelve: Vec<String> = (1..=11).map(|n| format!("success+{n}")).collect();
    twelve.push("bounce".into());
    let twelve: Vec<&str> = twelve.iter().map(String::as_str).collect();
    send(&world.sandbox, REVIEW.1, &twelve).await;
    send(
        &world.sandbox,
        RISK.1,
        &["success", "success+2", "success+3", "bounce"],
    )
    .await;
    events::drain(&world, &cli);

    // JSON, against its schema.
    let json = status(&world, &cli, "json");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    json_schema::assert_valid("status.schema.json", &report);
    let d = &report["deliverability"];
    assert_eq!(
        (&d["read"], &d["table"], &d["windows_end"], &d["error"]),
        (
            &json!(true),
            &json!("mailform-events"),
            &json!(TODAY),
            &Value::Null
        )
    );
    assert_eq!(
        d["counts"],
        json!({"at_risk_of_pause": 1, "under_review": 1, "healthy": 1, "no_mail": 1})
    );
    let rows = report["rows"].as_array().unwrap();
    let row = |id: &str| rows.iter().find(|r| r["library"] == id).unwrap().clone();
    let said = |id: &str| {
        let r = row(id);
        let d = &r["deliverability"];
        format!(
            "{} {} {} {} sent={} cause={}",
            r["stage"].as_str().unwrap(),
            r["urgency"].as_str().unwrap(),
            r["waits_on"].as_str().unwrap(),
            d["standing"].as_str().unwrap_or("-"),
            d["sent_30_days"],
            d["cause"]
        )
    };
    assert_eq!(
        said("healthy"),
        r#"verified done nobody healthy sent=3 cause={"count":0,"days":30,"rate":"hard-bounces","sent":3,"threshold":0.05,"value":0.0}"#
    );
    assert_eq!(
        said("review"),
        r#"verified done nobody under-review sent=12 cause={"count":1,"days":30,"rate":"hard-bounces","sent":12,"threshold":0.05,"value":0.08333333333333333}"#
    );
    // At risk of pause: not done, the library's to fix, first of all rows.
    assert_eq!(
        said("risk"),
        r#"verified failing it-staff at-risk-of-pause sent=4 cause={"count":1,"days":30,"rate":"hard-bounces","sent":4,"threshold":0.1,"value":0.25}"#
    );
    assert_eq!(rows[0]["library"], "risk");
    assert_eq!(
        row("risk")["reason"],
        "at risk of pause: hard bounces 25 % over 30 days; AWS pauses at 10 %"
    );
    assert_eq!(
        row("risk")["deliverability"]["top_bounce_reasons"],
        json!([{"diagnostic": "smtp; 550 5.1.1 user unknown", "count": 1}])
    );
    assert_eq!(
        said("quiet"),
        "verified done nobody no-mail sent=0 cause=null"
    );
    assert_eq!(
        row("quiet")["deliverability"]["windows"][2]["counts"]["sent"],
        0
    );
    // SES has no events of an SMTP library's mail: no deliverability at all.
    assert!(
        row("relay").get("deliverability").is_none(),
        "{}",
        row("relay")
    );

    // Markdown: the column after the status, and why an SMTP library has none, once.
    let markdown = status(&world, &cli, "markdown").stdout;
    for (id, cell) in [
        (
            "risk",
            "✖ at risk of pause: hard bounces 25 % over 30 days; AWS pauses at 10 %; 4 sent in 30 days · top bounce: smtp; 550 5.1.1 user unknown (1) |",
        ),
        (
            "review",
            "▲ under review: hard bounces 8.3 % over 30 days; AWS reviews at 5 %; 12 sent in 30 days · top bounce: smtp; 550 5.1.1 user unknown (1) |",
        ),
        (
            "healthy",
            "● healthy: hard bounces 0 % over 30 days; AWS reviews at 5 %; 3 sent in 30 days |",
        ),
        ("quiet", "○ no mail in 30 days |"),
        ("relay", "| — |"),
    ] {
        let line = markdown
            .lines()
            .find(|l| l.starts_with(&format!("| {id} (`{id}`)")))
            .unwrap_or_else(|| panic!("no row for {id}: {markdown}"));
        assert!(line.contains(cell), "{id}: `{cell}` not in {line}");
    }
    assert!(markdown.contains("| Library | Status | Deliverability | Method |"));
    assert_eq!(
        markdown.matches("SES has no events of its mail").count(),
        1,
        "{markdown}"
    );

    // The page: each cell in words, the at-risk row first on a phone's first screen.
    let page = cli.path().join("status.html");
    let html = world.run_on(&cli, &["status", "--out", page.to_str().unwrap()], TODAY);
    assert_eq!(html.code, 0, "{}", html.all());
    let text = std::fs::read_to_string(&page).unwrap();
    let cells: Vec<String> = ["risk", "review", "healthy", "quiet", "relay"]
        .iter()
        .map(|id| format!("{id}: {}", cell(&text, id)))
        .collect();
    insta::with_settings!({
        snapshot_path => "../../../snapshots/status",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("deliverability_cells", cells.join("\n"));
    });
    assert_eq!(
        text.matches("SES has no events of its mail").count(),
        1,
        "said once"
    );
    assert!(
        text.contains(
            "<b>1</b><span class=\"m\" aria-hidden=\"true\">✖</span> at risk of pause</li>"
        )
    );
    let json_rows = super::json_rows(&json.stdout);
    super::check_in_browser(&page, &json_rows);
    let (_, measured) = super::phone::check(&page);
    assert_eq!(measured[0]["id"], "lib-risk");
    let first = &measured[0]["deliverability"];
    assert_eq!(first["class"], "vx", "{first}");
    assert!(
        first["bottom"].as_f64().unwrap() <= 844.0,
        "the at-risk cell is below a phone's first screen: {first}"
    );
    assert!(
        first["text"].as_str().unwrap().contains("at risk of pause"),
        "{first}"
    );
    let relay = measured.iter().find(|r| r["id"] == "lib-relay").unwrap();
    assert_eq!(relay["deliverability"]["text"], "—");
}

/// The event store's table missing, or the role refused its `Query`: the page and its JSON
/// still show every library's onboarding, say deliverability could not be read and why, and
/// the run ends 0 with a warning on stderr, as for an unreadable notice ledger.
#[tokio::test]
async fn an_unreadable_event_store_leaves_the_rest_and_says_why() {
    let world = World::new();
    events::pipeline(&world.sandbox).await;
    let missing = events::platform().replace(
        "    events {\n",
        "    events {\n        table \"mailform-events-gone\"\n",
    );
    assert!(missing.contains("mailform-events-gone"));
    let cli = estate(&missing);
    let applied = world.run_on(&cli, &["apply", "--auto-approve"], TODAY);
    assert_eq!(applied.code, 0, "{}", applied.all());

    let check = |cli: &Cli, table: &str, why: &str| {
        let json = status(&world, cli, "json");
        assert!(
            json.stderr.contains(&format!(
                "warning: the event store {table} could not be read, so the page shows no deliverability: "
            )) && json.stderr.contains(why),
            "{}",
            json.stderr
        );
        let report: Value = serde_json::from_str(&json.stdout).unwrap();
        json_schema::assert_valid("status.schema.json", &report);
        let d = &report["deliverability"];
        assert_eq!((&d["read"], &d["table"]), (&json!(false), &json!(table)));
        assert!(d["error"].as_str().unwrap().contains(why), "{}", d["error"]);
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.get("deliverability").is_none()));
        assert!(rows.iter().all(|r| r["stage"].is_string()));

        let markdown = status(&world, cli, "markdown").stdout;
        assert!(
            markdown.contains(&format!(
                "> ⚠ **Deliverability could not be read** from the event store `{table}`: "
            )),
            "{markdown}"
        );
        assert!(!markdown.contains("| Deliverability |"), "{markdown}");
        let html = status(&world, cli, "html").stdout;
        assert!(html.contains("<h2 id=\"unread\">Deliverability could not be read</h2>"));
        assert!(html.contains(&format!(
            "The event store <code>{table}</code> could not be read"
        )));
        assert_eq!(html.matches("<tr class=").count(), 5);
    };
    check(&cli, "mailform-events-gone", "mailform-events-gone");

    // The table is there, but the role may not read it.
    let cli = estate(&events::platform());
    world.sandbox.set_iam_policy(Some(json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:Query", "Resource": "*"}
        ]
    })));
    check(
        &cli,
        "mailform-events",
        "access denied; grant the IAM action `dynamodb:Query`",
    );
}
