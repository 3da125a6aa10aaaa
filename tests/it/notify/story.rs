//! A library's onboarding as its IT contact lives it, on the sandbox's clock: the records,
//! a reminder naming the typo, the lapse, the records again with a new deadline once they are
//! right, the confirmation; and the launch warning. Every notice once.

use std::time::Duration;

use mailform::sandbox::{RecordInput, Sandbox, SandboxConfig};

use super::{RELAY_PASSWORD, kind_of, parse, platform};
use crate::apply::cli;
use crate::support::exim::{Exim, EximSpec};

const DOMAIN: &str = "springfield.example.org";

#[test]
fn an_onboarding_with_a_typo_and_a_lapse_gets_each_notice_once_at_its_time() {
    let exim = Exim::start(&EximSpec {
        deliver: true,
        password: RELAY_PASSWORD.into(),
        ..EximSpec::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox");
    // The sandbox between runs, as `mailform-sandbox clock advance` and the IT staff at their
    // DNS provider would change it: its state, clock included, stays in the directory.
    let between = |advance: u64, records: &[RecordInput], remove: &[(&str, &str)]| {
        let handle = Sandbox::start(SandboxConfig {
            state_dir: Some(state.clone()),
            start_time: Some(crate::support::sandbox::START),
            ..SandboxConfig::default()
        })
        .unwrap();
        // The library's DNS is at Cloudflare (its zone's name servers say so).
        if handle.records(DOMAIN).is_err() {
            handle
                .create_zone_served_by(DOMAIN, &["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]);
        }
        for (name, rtype) in remove {
            handle.remove_record(DOMAIN, name, rtype, None).unwrap();
        }
        for r in records {
            handle.add_record(DOMAIN, r.clone()).unwrap();
        }
        handle.advance_clock(Duration::from_secs(advance));
    };
    between(0, &[], &[]);
    // The sandbox's day is 2026-01-01; the library launches ten days later.
    let library = format!(
        "library \"springfield\" {{\n    name \"Springfield Public Library\"\n    it-contact \"it@springfield.example.org\"\n    launch \"2026-01-11\"\n    time-zone \"America/Chicago\"\n\n    ses-domain {{\n        from \"noreply@{DOMAIN}\"\n    }}\n}}\n"
    );
    let cli = cli()
        .file(
            "libraries/_platform.kdl",
            &platform(&exim, "mailform-notices"),
        )
        .file("libraries/springfield.kdl", &library)
        .file("relay-ca.pem", &exim.ca_pem())
        .env("MAILFORM_SMTP_PASSWORD_RELAY", RELAY_PASSWORD);
    let sandbox_dir = state.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--sandbox", "--sandbox-dir", &sandbox_dir].map(String::from));
        crate::support::cli::Cli::reuse(&cli, all).run()
    };
    let notify = || {
        let out = run(&["notify", "--test-only-trust-ca", "relay-ca.pem"]);
        assert!(out.code == 0, "{}", out.all());
        // Each step twice: the second run sends nothing.
        let again = run(&["notify", "--test-only-trust-ca", "relay-ca.pem"]);
        assert!(
            again.code == 0 && again.stdout.contains(" 0 sent,"),
            "{}",
            again.all()
        );
        out
    };
    let delivered_kinds = |from: usize| -> Vec<String> {
        exim.settle(Duration::from_millis(300))[from..]
            .iter()
            .map(|raw| kind_of(&parse(raw).message_id).0)
            .collect()
    };

    // The status page's reason for the library's row: what it waits for.
    let reason = || {
        let out = run(&["status", "--format", "json"]);
        assert_eq!(out.code, 0, "{}", out.all());
        let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        report["rows"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    // Day 0: the identity is created; the records go out, and the launch warning (10 days).
    let applied = run(&["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let before = reason();
    assert!(
        before.ends_with(
            "waits on the platform: no records notice sent yet: `mailform notify` sends it"
        ),
        "{before}"
    );
    notify();
    let sent = reason();
    assert!(
        sent.ends_with("nothing installed yet: none of the 3 records is in DNS"),
        "{sent}"
    );
    let mut kinds = delivered_kinds(0);
    kinds.sort();
    assert_eq!(kinds, ["launch", "records"]);
    let first = parse(&exim.settle(Duration::from_millis(100))[0]);
    let first_records = if kind_of(&first.message_id).0 == "records" {
        first
    } else {
        parse(&exim.settle(Duration::from_millis(100))[1])
    };
    assert!(
        first_records
            .text
            .contains("Please install them by Saturday 3 January 2026 at 18:00 CST (in 3 days)"),
        "{}",
        first_records.text
    );
    // The first records notice, not only the reminders, speaks the provider's own form, and
    // its subject leads with the action and fits one header line.
    assert!(
        first_records
            .text
            .contains("Your domain's DNS is hosted at Cloudflare")
            && first_records
                .text
                .contains("Proxy status of the CNAMEs: DNS only (grey cloud)")
            && !first_records.text.contains("Turn off any proxying"),
        "{}",
        first_records.text
    );
    assert_eq!(
        first_records.subject,
        "Add 3 DNS records to springfield.example.org by Saturday 3 January"
    );

    // The records the library was sent, as its IT staff read them.
    let csv = run(&["records", "springfield", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.all());
    let records: Vec<(String, String)> = csv
        .stdout
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[2].to_string(), cells[5].to_string())
        })
        .collect();
    assert_eq!(records.len(), 3, "{}", csv.stdout);

    // Day 2: two records installed, one with a typo in its target; a day before the deadline
    // the reminder names the typo.
    let typo = records[2].1.replacen('a', "b", 1).replacen('e', "f", 1);
    between(
        49 * 3600,
        &[
            RecordInput::new(&records[0].0, "CNAME", &records[0].1),
            RecordInput::new(&records[1].0, "CNAME", &records[1].1),
            RecordInput::new(&records[2].0, "CNAME", &typo),
        ],
        &[],
    );
    let seen = exim.settle(Duration::from_millis(100)).len();
    notify();
    assert_eq!(delivered_kinds(seen), ["reminder"]);
    let reminder = parse(exim.settle(Duration::from_millis(100)).last().unwrap());
    assert!(
        reminder.text.contains(&typo)
            && reminder.text.contains("expected: ")
            && reminder
                .text
                .contains("on Saturday 3 January 2026 at 18:00 CST (in 23 hours)"),
        "{}",
        reminder.text
    );
    // The status page tells this from nothing done.
    let typo_reason = reason();
    assert!(
        typo_reason.contains("installed with a mistake (1 of 3 records wrong): ")
            && typo_reason.contains(&typo),
        "{typo_reason}"
    );

    // Day 3: SES gave up; the lapse notice says what is still wrong.
    between(24 * 3600, &[], &[]);
    let seen = exim.settle(Duration::from_millis(100)).len();
    notify();
    assert_eq!(delivered_kinds(seen), ["lapsed"]);

    // The typo fixed; apply restarts the check (no new records notice: nothing is left to
    // install), and SES finds them: the confirmation.
    between(
        3600,
        &[RecordInput::new(&records[2].0, "CNAME", &records[2].1)],
        &[(&records[2].0, "CNAME")],
    );
    let plan = run(&["plan"]);
    assert!(
        plan.stdout.contains("\"FAILED\" → \"PENDING (restarted)\"")
            && !plan.stdout.contains("notice after apply"),
        "{}",
        plan.stdout
    );
    let restarted = run(&["apply", "--auto-approve"]);
    assert_eq!(restarted.code, 0, "{}", restarted.all());
    between(600, &[], &[]);
    let seen = exim.settle(Duration::from_millis(100)).len();
    notify();
    assert_eq!(delivered_kinds(seen), ["verified"]);

    // Day 4: someone removes a DKIM record from the verified domain. The library is told at
    // once (not when Amazon gives up 72 hours later), and the launch warning comes back: the
    // library is not ready any more.
    between(3600, &[], &[(&records[1].0, "CNAME")]);
    let seen = exim.settle(Duration::from_millis(100)).len();
    notify();
    let mut kinds = delivered_kinds(seen);
    kinds.sort();
    assert_eq!(kinds, ["launch", "records-removed"]);
    let removed = exim.settle(Duration::from_millis(100))[seen..]
        .iter()
        .map(|raw| parse(raw))
        .find(|m| kind_of(&m.message_id).0 == "records-removed")
        .unwrap();
    assert!(
        removed.text.contains("no longer in place (1 of 3)")
            && removed
                .text
                .contains(&format!("Full name:    {}", records[1].0)),
        "{}",
        removed.text
    );

    // Put back: verified again, told again (a new episode, not the first confirmation's key).
    between(
        3600,
        &[RecordInput::new(&records[1].0, "CNAME", &records[1].1)],
        &[],
    );
    let seen = exim.settle(Duration::from_millis(100)).len();
    notify();
    assert_eq!(delivered_kinds(seen), ["verified"]);

    // Every message, checked against the facts it states and the promises it makes.
    let all: Vec<_> = exim
        .settle(Duration::from_millis(100))
        .iter()
        .map(|raw| parse(raw))
        .collect();
    let records_notices = all
        .iter()
        .filter(|m| kind_of(&m.message_id).0 == "records")
        .count();
    for m in &all {
        // A record the message's own table shows in place is never reported as absent.
        for (name, _) in &records {
            let block = m
                .text
                .split("  Record ")
                .find(|b| b.contains(&format!("Full name:    {name}\n")));
            if block.is_some_and(|b| {
                b.starts_with(|c: char| c.is_ascii_digit()) && b.contains(": in place")
            }) {
                assert!(
                    !m.text.contains(&format!("    {name}\n      expected:")),
                    "{name} is in place and reported wrong or absent:\n{}",
                    m.text
                );
            }
        }
        // In the reader's terms: one header line, the action first.
        assert!(
            format!("Subject: {}", m.subject).chars().count() < 78,
            "{}",
            m.subject
        );
        // The library's voice: no operator wording.
        for operator in [
            "the library's",
            "`",
            "SES sends from",
            "mailform",
            "next plan",
        ] {
            assert!(
                !m.text.contains(operator) && !m.html.contains(operator),
                "{operator:?} in {}:\n{}",
                m.subject,
                m.text
            );
        }
        // Promises kept: a new deadline is promised only if a second records notice came.
        if m.text.contains("new deadline") {
            assert!(
                records_notices > 1,
                "a new deadline promised, never sent:\n{}",
                m.text
            );
        }
        assert!(
            !m.text.contains("We are asking Amazon to look again"),
            "promises a restart no one makes:\n{}",
            m.text
        );
    }
    // Each reads on a phone and is not taken for spam.
    let kinds = super::reading::check(&all);
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "lapsed",
            "launch",
            "records",
            "records-removed",
            "reminder",
            "verified"
        ]
    );
}
