//! Notices in the reader's terms (#23 items 3 and 8): one story per library and run, told in
//! a stated order a second apart, each message dated when it was sent, the launch warning
//! agreeing with the account's own notice, a resend carrying the words first sent, and the
//! records following the IT contact when it changes. The live facts come from snapshot files
//! (each probe verdict exactly the one the story needs) or the sandbox; the ledger is the
//! sandbox's DynamoDB and the relay a real Exim.

use std::time::Duration;

use mail_parser::MessageParser;

use super::episodes::{PASSING, ogdenville, snapshot};
use super::{Estate, RELAY_PASSWORD, delivered, kind_of, parse};
use crate::support::cli::CANARY;
use crate::support::exim::EximSpec;

const LIBRARY: &str = "library \"ogdenville\" {\n    name \"Ogdenville Library\"\n    it-contact \"it@ogdenville.example.org\"\n    launch \"2026-12-01\"\n    time-zone \"America/Chicago\"\n\n    smtp-account {\n        host \"smtp.ogdenville.example.org\"\n        port 587\n        security \"starttls\"\n        username \"notices@ogdenville.example.org\"\n        password env=\"MAILFORM_SMTP_PASSWORD_OGDENVILLE\"\n        from \"notices@ogdenville.example.org\"\n    }\n}\n";

/// The codes of an account that passes, plus one warning.
fn passing_with(warning: &str) -> Vec<&str> {
    let mut codes = PASSING.to_vec();
    codes.push(warning);
    codes
}

/// The `Date` header of a raw message, in unix seconds.
fn date_of(raw: &str) -> i64 {
    MessageParser::default()
        .parse(raw.as_bytes())
        .and_then(|m| m.date().map(|d| d.to_timestamp()))
        .expect("a Date header")
}

#[test]
fn one_run_tells_one_story_in_order_dated_when_sent_and_a_resend_repeats_it() {
    let (world, exim, cli) = ogdenville(LIBRARY);
    // The probe also read the certificate's expiry: 8 December, 18:00 UTC.
    let facts = |taken_at: &str, warning: &str| {
        let mut live: serde_json::Value =
            serde_json::from_str(&snapshot(taken_at, "warn", &passing_with(warning))).unwrap();
        live["libraries"][0]["smtp_probe"]["certificate_expires"] = "2026-12-08T18:00:00Z".into();
        std::fs::write(cli.path().join("live.json"), live.to_string()).unwrap();
    };
    let notify = |extra: &[&str]| {
        let mut args = vec![
            "notify",
            "--test-only-trust-ca",
            "relay-ca.pem",
            "--live",
            "live.json",
        ];
        args.extend(extra);
        let out = world.run(&cli, &args);
        assert!(!out.all().contains(CANARY) && !out.all().contains(RELAY_PASSWORD));
        out
    };

    // 26 November, read at 09:00 UTC: the account passes with a certificate that expires
    // soon, and the launch is five days away. The plan holds the launch back on that warning.
    facts("2026-11-26T09:00:00Z", "smtp::tls::expires_soon");
    let first = notify(&[]);
    assert_eq!(first.code, 0, "{}", first.all());
    let raws = exim.settle(Duration::from_millis(300));
    let mails: Vec<_> = raws.iter().map(|r| parse(r)).collect();
    let kinds: Vec<String> = mails.iter().map(|m| kind_of(&m.message_id).0).collect();
    // The stated order: the account's own notice, then the launch warning built on it.
    assert_eq!(kinds, ["smtp-passing", "launch"], "{}", first.all());
    let (passing, launch) = (&mails[0], &mails[1]);

    // One verdict: the launch warning does not say the account fails the test the other
    // message says it passed; it names what is left, the warning, in the library's words.
    assert!(
        !launch.text.contains("does not yet pass"),
        "contradicts the account notice:\n{}",
        launch.text
    );
    assert!(
        launch.text.contains("passes our connection test")
            && launch.text.contains("certificate expires soon"),
        "{}",
        launch.text
    );
    assert!(
        passing.text.contains("passed our connection test") && !passing.subject.contains("ready"),
        "a passing account with a warning is not called ready:\n{}\n{}",
        passing.subject,
        passing.text
    );
    // The probe's diagnosis with its date, in the library's zone and from the facts' time.
    assert!(
        passing
            .text
            .contains("It expires on Tuesday 8 December 2026 at 12:00 CST (in 12 days)."),
        "{}",
        passing.text
    );
    // In the reader's terms: the launch as a day, subjects action-first on one header line.
    assert!(
        launch
            .text
            .contains("launches on Tuesday 1 December 2026, in 5 days"),
        "{}",
        launch.text
    );
    for m in &mails {
        assert!(
            format!("Subject: {}", m.subject).chars().count() < 78,
            "{}",
            m.subject
        );
    }
    assert!(
        launch.subject.starts_with("Finish your mail setup"),
        "{}",
        launch.subject
    );

    // Dated when sent (the wall clock, the relay's; the sandbox is reached by
    // its endpoints here), not when the facts were read (26 November, 09:00 UTC); the second
    // message of the library at least a second after the first, so a mail client lists them
    // in their order.
    let dates: Vec<i64> = raws.iter().map(|r| date_of(r)).collect();
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for date in &dates {
        assert!(
            (clock - 600..=clock + 5).contains(date),
            "Date {date} is not the send time ({clock})"
        );
    }
    assert!(dates[1] > dates[0], "{dates:?}");

    // 27 November: the certificate was renewed, but the server now offers a password before
    // encryption. The launch warning's key (the launch date) is unchanged, so nothing new is
    // sent; the operator sends it again because the library lost it: the same words as first
    // sent, not today's.
    facts("2026-11-27T09:00:00Z", "smtp::tls::auth_before_tls");
    let quiet = notify(&[]);
    assert!(quiet.stdout.contains(" 0 sent,"), "{}", quiet.all());
    let key = first
        .stderr
        .lines()
        .find(|l| l.starts_with("ogdenville/launch/"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the launch notice's key")
        .to_string();
    let resent = notify(&["--resend", &key]);
    assert_eq!(resent.code, 0, "{}", resent.all());
    let raws = exim.settle(Duration::from_millis(300));
    assert_eq!(raws.len(), 3, "{}", resent.all());
    let again = parse(&raws[2]);
    assert_eq!(again.message_id, launch.message_id);
    assert_eq!(again.subject, launch.subject);
    assert_eq!(again.text, launch.text);
    assert_eq!(again.html, launch.html);
}

#[test]
fn a_new_it_contact_gets_the_records_and_only_the_records_once() {
    let estate = Estate::new(EximSpec::default());
    let first = estate.notify(&[]);
    assert_eq!(first.code, 0, "{}", first.all());
    // Counted per library: another library's notice may go in any run (a probe that times out
    // on a loaded machine is a new fact), which says nothing about alpha's contact.
    let alphas = || {
        delivered(&estate.exim)
            .into_iter()
            .filter(|m| kind_of(&m.message_id).1 == "alpha")
            .count()
    };
    let before = alphas();
    let records_to = |address: &str| {
        delivered(&estate.exim)
            .into_iter()
            .filter(|m| kind_of(&m.message_id) == ("records".into(), "alpha".into()))
            .filter(|m| m.to == address)
            .collect::<Vec<_>>()
    };
    assert_eq!(records_to("it@alpha.example.org").len(), 1);

    // Alpha's IT contact changes: the new contact gets the records (a notice of its own, so
    // the ledger keeps both), and nothing else is sent again.
    let file = estate.cli.path().join("libraries/alpha.kdl");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        original.replace("it@alpha.example.org", "helpdesk@alpha.example.org"),
    )
    .unwrap();
    let changed = estate.notify(&[]);
    assert_eq!(changed.code, 0, "{}", changed.all());
    let new = records_to("helpdesk@alpha.example.org");
    assert_eq!(new.len(), 1, "{}", changed.all());
    assert_eq!(alphas(), before + 1, "{}", changed.all());
    assert_ne!(
        new[0].message_id,
        records_to("it@alpha.example.org")[0].message_id
    );
    let again = estate.notify(&[]);
    assert_eq!(alphas(), before + 1, "{}", again.all());

    // Back to the first contact: it had the records already.
    std::fs::write(&file, original).unwrap();
    let back = estate.notify(&[]);
    assert_eq!(alphas(), before + 1, "{}", back.all());
}
