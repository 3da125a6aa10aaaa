//! `mailform notify` through the binary: the sandbox for AWS (SES, Route 53 Domains, the
//! notice ledger in its DynamoDB), a real Exim as the relay delivering into a maildir that the
//! tests read back and parse as MIME.

use std::collections::BTreeMap;
use std::time::Duration;

mod at_risk;
mod episodes;
mod launch_window;
mod reader;
mod reading;
mod story;

use mail_parser::{MessageParser, MimeHeaders as _};

use crate::apply::{World, cli};
use crate::support::cli::{CANARY, Cli, Output, PLATFORM};
use crate::support::exim::{Exim, EximSpec};

/// The relay's password in every test: a canary that must never come out.
const RELAY_PASSWORD: &str = "CANARY-relay-5b1e-hunter3";

/// The platform file with a notices block for this relay and ledger table.
fn platform(exim: &Exim, table: &str) -> String {
    platform_at(exim.starttls_port, "starttls", table)
}

/// The platform file with a notices block for a relay on 127.0.0.1 at `port`.
fn platform_at(port: u16, security: &str, table: &str) -> String {
    let notices = format!(
        "    notices {{
        from \"mail-setup@library-market.example.com\"
        from-name \"Library Market\"
        reply-to \"support@library-market.example.com\"
        ledger-table \"{table}\"
        send-rate 200
        relay {{
            host \"127.0.0.1\"
            port {port}
            security \"{security}\"
            username \"testuser\"
            password env=\"MAILFORM_SMTP_PASSWORD_RELAY\"
        }}
    }}
}}
"
    );
    let base = PLATFORM
        .trim_end()
        .strip_suffix('}')
        .expect("the platform block");
    format!("{base}{notices}")
}

fn ses_library(id: &str, launch: Option<&str>) -> String {
    let launch = launch
        .map(|l| format!("    launch \"{l}\"\n"))
        .unwrap_or_default();
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n{launch}\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n}}\n"
    )
}

fn managed_library(id: &str, domain: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"noreply@{domain}\"\n{extra}    }}\n}}\n"
    )
}

/// An estate with notices due of several kinds: records and a launch warning (alpha, bravo),
/// a bought domain (charlie), a bought domain handed over to another AWS account (delta).
struct Estate {
    world: World,
    exim: Exim,
    cli: Cli,
}

impl Estate {
    fn new(spec: EximSpec) -> Estate {
        let world = World::new();
        let exim = Exim::start(&EximSpec {
            deliver: true,
            password: RELAY_PASSWORD.into(),
            ..spec
        });
        let ca = exim.ca_pem();
        let cli = cli()
            .file(
                "libraries/_platform.kdl",
                &platform(&exim, "mailform-notices"),
            )
            .file(
                "libraries/alpha.kdl",
                &ses_library("alpha", Some("2026-12-05")),
            )
            // A long MAIL FROM host: its MX and TXT records are in bravo's records notice.
            .file(
                "libraries/bravo.kdl",
                &ses_library("bravo", None).replace(
                    "        from \"noreply@bravo.example.org\"\n",
                    "        from \"noreply@bravo.example.org\"\n        mail-from \"bounces-for-notices-and-receipts.mail.bravo.example.org\"\n",
                ),
            )
            .file(
                "libraries/charlie.kdl",
                &managed_library("charlie", "charlie-mail.org", ""),
            )
            .file(
                "libraries/delta.kdl",
                &managed_library(
                    "delta",
                    "delta-mail.org",
                    "        transfer-to-aws-account \"111122223333\"\n",
                ),
            )
            // Its SMTP account answers nowhere (a port nothing listens on): the probe fails.
            .file(
                "libraries/echo.kdl",
                &format!(
                    "library \"echo\" {{\n    name \"echo library\"\n    it-contact \"it@echo.example.org\"\n\n    smtp-account {{\n        host \"127.0.0.1\"\n        port {}\n        security \"starttls\"\n        username \"echo\"\n        password env=\"MAILFORM_SMTP_PASSWORD_ECHO\"\n        from \"notices@echo.example.org\"\n    }}\n}}\n",
                    crate::support::free_port()
                ),
            )
            .file("relay-ca.pem", &ca)
            .env("MAILFORM_SMTP_PASSWORD_RELAY", RELAY_PASSWORD)
            .env("MAILFORM_SMTP_PASSWORD_ECHO", CANARY);
        let applied = world.run(
            &cli,
            &[
                "apply",
                "--auto-approve",
                "--allow-purchase",
                "charlie-mail.org",
                "--allow-purchase",
                "delta-mail.org",
            ],
        );
        assert_eq!(applied.code, 0, "{}", applied.all());
        // The registrations complete, the transfer starts (a second apply: after the purchase).
        world.sandbox.advance_clock(Duration::from_secs(2 * 3600));
        let again = world.run(&cli, &["apply", "--auto-approve"]);
        assert_eq!(again.code, 0, "{}", again.all());
        Estate { world, exim, cli }
    }

    fn notify(&self, extra: &[&str]) -> Output {
        let mut args = vec!["notify", "--test-only-trust-ca", "relay-ca.pem"];
        args.extend(extra);
        self.world.run(&self.cli, &args)
    }

    fn spawn_notify(&self) -> std::process::Child {
        let args = self
            .world
            .args(&["notify", "--test-only-trust-ca", "relay-ca.pem"]);
        Cli::reuse(&self.cli, args).spawn()
    }
}

/// A ledger table of its own in the sandbox's DynamoDB, as an operator creates one.
fn create_table(sandbox: &mailform::sandbox::SandboxHandle, table: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDSANDBOXTEST",
                "sandbox-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(&sandbox.endpoints().dynamodb)
            .build();
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .unwrap()
        };
        aws_sdk_dynamodb::Client::from_conf(conf)
            .create_table()
            .table_name(table)
            .attribute_definitions(attribute("library"))
            .attribute_definitions(attribute("notice"))
            .key_schema(key("library", KeyType::Hash))
            .key_schema(key("notice", KeyType::Range))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("CreateTable");
    });
}

/// A delivered message, parsed.
#[derive(Debug)]
struct Mail {
    message_id: String,
    to: String,
    from: String,
    reply_to: String,
    subject: String,
    auto_submitted: String,
    content_type: String,
    text: String,
    html: String,
    raw: String,
}

fn parse(raw: &str) -> Mail {
    let m = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    let addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string()
    };
    let ct = m
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
        .unwrap_or_default();
    Mail {
        message_id: m.message_id().unwrap_or_default().to_string(),
        to: addr(m.to()),
        from: addr(m.from()),
        reply_to: addr(m.reply_to()),
        subject: m.subject().unwrap_or_default().to_string(),
        auto_submitted: m
            .header_raw("Auto-Submitted")
            .unwrap_or_default()
            .trim()
            .to_string(),
        content_type: ct,
        text: m.body_text(0).unwrap_or_default().to_string(),
        html: m.body_html(0).unwrap_or_default().to_string(),
        raw: raw.to_string(),
    }
}

/// The notice kind a Message-ID names: `<fingerprint.kind.library@domain>`.
fn kind_of(message_id: &str) -> (String, String) {
    let local = message_id.split('@').next().unwrap_or_default();
    let mut parts = local.splitn(3, '.');
    let _fingerprint = parts.next();
    let kind = parts.next().unwrap_or_default().to_string();
    let library = parts.next().unwrap_or_default().to_string();
    (kind, library)
}

fn count_by_id(mails: &[Mail]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in mails {
        *out.entry(m.message_id.clone()).or_default() += 1;
    }
    out
}

fn delivered(exim: &Exim) -> Vec<Mail> {
    exim.settle(Duration::from_millis(400))
        .iter()
        .map(|raw| parse(raw))
        .collect()
}

#[test]
fn notices_reach_each_it_contact_once_as_real_mime_through_the_relay() {
    let estate = Estate::new(EximSpec::default());

    // A dry run shows what would go, and sends and records nothing.
    let dry = estate.notify(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(
        dry.stdout.contains("would send")
            && dry
                .stdout
                .contains("Subject: Add 3 DNS records to alpha.example.org by Sunday 4 January")
            && dry.stdout.contains("Please install them by"),
        "{}",
        dry.stdout
    );
    assert!(estate.exim.settle(Duration::from_millis(300)).is_empty());

    let sent = estate.notify(&[]);
    assert_eq!(sent.code, 0, "{}", sent.all());
    let mails = delivered(&estate.exim);
    let kinds: Vec<(String, String)> = mails.iter().map(|m| kind_of(&m.message_id)).collect();
    for expected in [
        ("records", "alpha"),
        ("launch", "alpha"),
        ("records", "bravo"),
        ("domain-bought", "charlie"),
        ("domain-bought", "delta"),
        ("transfer-started", "delta"),
        ("smtp-failing", "echo"),
    ] {
        assert!(
            kinds.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not among {kinds:?}\n{}",
            sent.all()
        );
    }
    assert!(count_by_id(&mails).values().all(|n| *n == 1), "{kinds:?}");
    for m in &mails {
        let (_, library) = kind_of(&m.message_id);
        assert_eq!(m.to, format!("it@{library}.example.org"));
        assert_eq!(m.from, "mail-setup@library-market.example.com");
        assert_eq!(m.reply_to, "support@library-market.example.com");
        assert_eq!(m.content_type, "multipart/alternative", "{}", m.raw);
        assert_eq!(m.auto_submitted, "auto-generated");
        assert!(m.raw.contains("\nDate: ") || m.raw.starts_with("Date: "));
        assert!(
            !m.text.is_empty() && m.html.contains("</html>"),
            "{}",
            m.raw
        );
        for internal in ["smtp::", "dns::", "mailform ", "--"] {
            assert!(!m.text.contains(internal), "{internal} in {}", m.text);
        }
    }
    let records = mails
        .iter()
        .find(|m| kind_of(&m.message_id) == ("records".into(), "alpha".into()))
        .expect("alpha's records");
    insta::with_settings!({
        snapshot_path => "../../../snapshots/notify",
        prepend_module_to_snapshot => false,
        filters => vec![
            (r"[a-z0-9]{32}", "[token]"),
            // The relative part counts from the system's clock here (the sandbox's runs apart).
            (r"\w+day \d+ \w+ \d{4} at \d\d:\d\d UTC \([a-z0-9 ]+\)", "[deadline]"),
        ],
    }, {
        insta::assert_snapshot!("delivered_records_text", format!("Subject: {}\n\n{}", records.subject, records.text));
    });

    let smtp = mails
        .iter()
        .find(|m| kind_of(&m.message_id) == ("smtp-failing".into(), "echo".into()))
        .expect("echo's diagnosis");
    assert!(
        smtp.text
            .contains("We could not connect to the server at that host and port"),
        "{}",
        smtp.text
    );

    // The handover's password (kept in the secrets directory by apply) is never in a message
    // nor in what notify printed.
    let secrets = estate.cli.path().join(".mailform/secrets");
    for file in std::fs::read_dir(&secrets).expect("the secrets directory") {
        let secret = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for line in secret.lines().filter(|l| l.len() > 8) {
            for m in &mails {
                assert!(
                    !m.raw.contains(line.trim()),
                    "a handover secret in a notice"
                );
            }
        }
    }

    // The operators' view reads the same ledger: alpha's records went out, so it waits on
    // its IT staff at "records sent", and its last notice is named.
    let status = estate
        .world
        .run(&estate.cli, &["status", "--format", "json"]);
    assert_eq!(status.code, 0, "{}", status.all());
    let report: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let alpha = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["library"] == "alpha")
        .expect("alpha's row");
    assert_eq!(alpha["stage"], "records-sent", "{alpha}");
    assert!(alpha["last_notice"].is_object(), "{alpha}");

    // `notices` lists what was sent.
    let mut args = vec!["notices".to_string(), "alpha".to_string()];
    args.extend(crate::support::estate::sandbox_flags(&estate.world.sandbox));
    let listed = Cli::reuse(&estate.cli, args).run();
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed.stdout.contains("records") && listed.stdout.contains("sent"),
        "{}",
        listed.stdout
    );

    // Each reads on a phone and is not taken for spam.
    let kinds = reading::check(&mails);
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "domain-bought",
            "launch",
            "records",
            "smtp-failing",
            "transfer-started",
            "verified"
        ]
    );

    // A second run sends nothing again.
    let again = estate.notify(&[]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains(" 0 sent,"), "{}", again.stdout);
    assert_eq!(delivered(&estate.exim).len(), mails.len());

    // The relay's password and the library's SMTP password never come out.
    for out in [&dry, &sent, &again] {
        assert!(!out.all().contains(RELAY_PASSWORD) && !out.all().contains(CANARY));
    }
    for m in &mails {
        assert!(!m.raw.contains(RELAY_PASSWORD) && !m.raw.contains(CANARY));
    }
}

#[test]
fn two_runs_at_once_send_each_notice_once() {
    let estate = Estate::new(EximSpec::default());
    let mut children: Vec<_> = (0..3).map(|_| estate.spawn_notify()).collect();
    for child in &mut children {
        let status = child.wait().expect("notify ran");
        assert!(status.code().is_some(), "{status:?}");
    }
    let mails = delivered(&estate.exim);
    assert!(mails.len() >= 6, "{}", mails.len());
    let counts = count_by_id(&mails);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}

#[test]
fn a_relay_that_defers_gets_the_notice_again_and_one_that_refuses_is_reported() {
    let estate = Estate::new(EximSpec {
        defer_domain: Some("alpha.example.org".into()),
        refuse_domain: Some("bravo.example.org".into()),
        ..EximSpec::default()
    });
    let first = estate.notify(&[]);
    assert_eq!(first.code, 1, "{}", first.all());
    assert!(
        first.stderr.contains("deferred by the relay")
            && first.stderr.contains("FAILED, refused by the relay"),
        "{}",
        first.all()
    );
    let kinds: Vec<_> = delivered(&estate.exim)
        .iter()
        .map(|m| kind_of(&m.message_id).1)
        .collect();
    assert!(!kinds.contains(&"alpha".to_string()) && !kinds.contains(&"bravo".to_string()));

    // The same estate behind a relay that takes everything: alpha's deferred notices go,
    // bravo's refused one stays refused (reported, not sent again by itself).
    let relay = Exim::start(&EximSpec {
        deliver: true,
        password: RELAY_PASSWORD.into(),
        ..EximSpec::default()
    });
    let cli = Cli::reuse(&estate.cli, vec![]);
    drop(cli);
    std::fs::write(
        estate.cli.path().join("libraries/_platform.kdl"),
        platform(&relay, "mailform-notices"),
    )
    .unwrap();
    std::fs::write(estate.cli.path().join("relay-ca.pem"), relay.ca_pem()).unwrap();
    let second = estate.notify(&[]);
    // A refusal is never counted as sent: reported and failing on every run until resent.
    assert_eq!(second.code, 1, "{}", second.all());
    let kinds: Vec<_> = delivered(&relay)
        .iter()
        .map(|m| kind_of(&m.message_id))
        .collect();
    assert!(
        kinds.contains(&("records".into(), "alpha".into())),
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|(_, l)| l == "bravo"), "{kinds:?}");
    for run in [&second, &estate.notify(&[])] {
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(
            run.stderr.lines().any(|l| l.starts_with("bravo/records/")
                && l.contains("FAILED, refused by the relay at ")
                && l.contains("and not sent since")),
            "{}",
            run.all()
        );
        assert!(
            run.stdout.contains(" 1 failed.") && !run.stdout.contains("1 sent before"),
            "{}",
            run.all()
        );
    }

    // The operator fixed the cause (here: the new relay takes it) and asks for it again.
    let key = first
        .stderr
        .lines()
        .find(|l| l.starts_with("bravo/records/") && l.contains("FAILED"))
        .and_then(|l| l.split_whitespace().next())
        .expect("bravo's refused notice")
        .to_string();
    let unknown = estate.notify(&["--resend", "bravo/records/0000000000000000"]);
    assert_eq!(unknown.code, 1, "{}", unknown.all());
    assert!(
        unknown.stderr.contains("no such notice is due now"),
        "{}",
        unknown.all()
    );
    let resent = estate.notify(&["--resend", &key]);
    assert_eq!(resent.code, 0, "{}", resent.all());
    assert!(
        resent
            .stderr
            .contains("sent again, as asked (it was failed)"),
        "{}",
        resent.all()
    );
    let kinds: Vec<_> = delivered(&relay)
        .iter()
        .map(|m| kind_of(&m.message_id))
        .collect();
    assert!(
        kinds.contains(&("records".into(), "bravo".into())),
        "{kinds:?}"
    );
    // Once.
    let after = estate.notify(&[]);
    assert!(after.stdout.contains(" 0 sent,"), "{}", after.all());
}

#[test]
fn record_only_adopts_an_estate_told_by_hand_and_sends_nothing() {
    let estate = Estate::new(EximSpec::default());
    let recorded = estate.notify(&["--record-only"]);
    assert_eq!(recorded.code, 0, "{}", recorded.all());
    assert!(
        recorded
            .stdout
            .contains(" 0 sent, 9 recorded without sending"),
        "{}",
        recorded.all()
    );
    let sent = estate.notify(&[]);
    assert!(sent.stdout.contains(" 0 sent,"), "{}", sent.all());
    assert!(estate.exim.settle(Duration::from_millis(300)).is_empty());
}

#[test]
fn a_kill_at_any_point_never_sends_a_notice_twice_unless_its_kind_allows_it() {
    use mailform::notice::{CrashRule, NoticeKind};
    let rounds: usize = std::env::var("MAILFORM_NOTIFY_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let estate = Estate::new(EximSpec::default());
    let mut seen = 0;
    let mut spread = BTreeMap::<&str, usize>::new();
    for round in 0..rounds {
        // A fresh ledger table per round: every notice is due again.
        let table = format!("notices-round-{round}");
        create_table(&estate.world.sandbox, &table);
        // Four messages a second: the run claims a notice, waits its turn, sends, settles, so
        // the kills land in each of those steps across the eight notices.
        std::fs::write(
            estate.cli.path().join("libraries/_platform.kdl"),
            platform(&estate.exim, &table).replace("send-rate 200", "send-rate 4"),
        )
        .unwrap();
        let mut child = estate.spawn_notify();
        // Spread over the run: reading, deciding, claiming, sending, settling.
        let delay = Duration::from_millis((round as u64 * 7 % 25) * 100);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        // A later run finishes the round: with a lease of 0 it takes over every claim the
        // killed run left (no other run is going).
        let finish = estate.notify(&["--lease", "0"]);
        let mails = delivered(&estate.exim);
        let this_round = &mails[seen..];
        seen = mails.len();
        let counts = count_by_id(this_round);
        for (id, n) in &counts {
            let (kind, _) = kind_of(id);
            let kind = NoticeKind::parse(&kind).expect("a notice kind");
            match kind.crash_rule() {
                CrashRule::AtMostOnce => assert_eq!(*n, 1, "{id} sent {n} times"),
                // A second copy only when the kill fell between sending and recording, and
                // then with the same Message-ID.
                CrashRule::AtLeastOnce => assert!(*n <= 2, "{id} sent {n} times"),
            }
        }
        // Every at-least-once notice arrived; an at-most-once one missing is reported.
        for kind in ["records", "launch", "domain-bought", "transfer-started"] {
            let got = counts.keys().filter(|id| kind_of(id).0 == kind).count();
            let rule = NoticeKind::parse(kind).unwrap().crash_rule();
            if got == 0 {
                assert_eq!(
                    rule,
                    CrashRule::AtMostOnce,
                    "{kind} lost in round {round}: {}",
                    finish.all()
                );
                assert!(finish.stderr.contains("UNCONFIRMED"), "{}", finish.all());
                *spread.entry("at-most-once left unconfirmed").or_default() += 1;
            }
        }
        if counts.values().any(|n| *n == 2) {
            *spread.entry("at-least-once sent twice").or_default() += 1;
        }
        let before = this_round.len() - counts.values().filter(|n| **n == 2).count();
        *spread
            .entry(
                match finish
                    .stdout
                    .split(" sent,")
                    .next()
                    .and_then(|s| s.rsplit(' ').next())
                {
                    Some(n) if n.parse::<usize>().ok() == Some(before) => {
                        "all sent by the finishing run"
                    }
                    Some("0") => "all sent before the kill",
                    _ => "kill while sending",
                },
            )
            .or_default() += 1;
        assert!(!finish.all().contains(RELAY_PASSWORD));
    }
    eprintln!("{rounds} kills: {spread:?}");
}

#[test]
fn a_relay_that_takes_a_message_and_never_answers_leaves_each_kind_to_its_rule() {
    use mailform::notice::{CrashRule, NoticeKind};
    let estate = Estate::new(EximSpec::default());
    let certs = tempfile::tempdir().unwrap();
    let pki = crate::support::certs::TestPki::create(certs.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let lost = runtime.block_on(crate::support::fake::LostAnswerRelay::start(&pki));
    std::fs::write(
        estate.cli.path().join("libraries/_platform.kdl"),
        platform_at(lost.port, "tls", "mailform-notices"),
    )
    .unwrap();
    std::fs::copy(
        certs.path().join("ca.pem"),
        estate.cli.path().join("relay-ca.pem"),
    )
    .unwrap();
    let first = estate.notify(&["--relay-timeout", "5"]);
    assert_eq!(first.code, 1, "{}", first.all());
    let unknown = first
        .stderr
        .lines()
        .filter(|l| l.contains(": UNKNOWN:"))
        .count();
    let taken = lost.taken.lock().unwrap().len();
    assert!(
        unknown >= 9 && taken == unknown,
        "{taken} taken, {unknown} unknown\n{}",
        first.all()
    );

    // Back on a relay that answers, past the lease: the at-least-once notices go again (the
    // same Message-ID as the copy the silent relay took), the at-most-once ones wait for an
    // operator, reported as unconfirmed.
    std::fs::write(
        estate.cli.path().join("libraries/_platform.kdl"),
        platform(&estate.exim, "mailform-notices"),
    )
    .unwrap();
    std::fs::write(estate.cli.path().join("relay-ca.pem"), estate.exim.ca_pem()).unwrap();
    let second = estate.notify(&["--lease", "0"]);
    assert_eq!(second.code, 1, "{}", second.all());
    let mails = delivered(&estate.exim);
    let first_copies: Vec<String> = lost
        .taken
        .lock()
        .unwrap()
        .iter()
        .map(|raw| parse(raw).message_id)
        .collect();
    for m in &mails {
        let (kind, _) = kind_of(&m.message_id);
        let kind = NoticeKind::parse(&kind).unwrap();
        assert_eq!(
            kind.crash_rule(),
            CrashRule::AtLeastOnce,
            "{} sent again",
            m.message_id
        );
        assert!(
            first_copies.contains(&m.message_id),
            "{} is not the same message",
            m.message_id
        );
    }
    let unconfirmed: Vec<&str> = second
        .stderr
        .lines()
        .filter(|l| l.contains("UNCONFIRMED"))
        .collect();
    assert!(
        unconfirmed.iter().any(|l| l.contains("/domain-bought/"))
            && unconfirmed.iter().any(|l| l.contains("/transfer-started/")),
        "{}",
        second.all()
    );
    assert_eq!(mails.len() + unconfirmed.len(), unknown, "{}", second.all());

    // The operator checked with the library: it never got the transfer notice. Sent once.
    let key = unconfirmed
        .iter()
        .find(|l| l.contains("/transfer-started/"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let resent = estate.notify(&["--resend", &key]);
    assert!(
        resent.stderr.contains("sent again (a run's claim of"),
        "{}",
        resent.all()
    );
    let after: Vec<_> = delivered(&estate.exim)
        .iter()
        .map(|m| kind_of(&m.message_id).0)
        .collect();
    assert_eq!(after.iter().filter(|k| *k == "transfer-started").count(), 1);
    drop(lost);
    drop(runtime);
}
