//! A library that slips back is told at once: an SMTP account that fails again after
//! "ready", and a launch that becomes not ready again, are new notices (the key of a
//! state-change notice carries its episode), each once. The live facts come from snapshot
//! files, one per day, so each probe verdict is exactly the one the story needs; the ledger is
//! the sandbox's DynamoDB and the relay a real Exim.

use std::time::Duration;

use super::{RELAY_PASSWORD, kind_of, parse, platform};
use crate::apply::{World, cli};
use crate::support::cli::{CANARY, Cli};
use crate::support::exim::{Exim, EximSpec};

const LIBRARY: &str = "library \"ogdenville\" {\n    name \"Ogdenville Library\"\n    it-contact \"it@ogdenville.example.org\"\n    launch \"2026-12-01\"\n\n    smtp-account {\n        host \"smtp.ogdenville.example.org\"\n        port 587\n        security \"starttls\"\n        username \"notices@ogdenville.example.org\"\n        password env=\"MAILFORM_SMTP_PASSWORD_OGDENVILLE\"\n        from \"notices@ogdenville.example.org\"\n    }\n}\n";

const FAILING: &[&str] = &[
    "smtp::connect::ok",
    "smtp::greeting::ok",
    "smtp::ehlo::ok",
    "smtp::tls::ok",
    "smtp::relay::closed",
    "smtp::auth::bad_credentials",
];
pub(super) const PASSING: &[&str] = &[
    "smtp::connect::ok",
    "smtp::greeting::ok",
    "smtp::ehlo::ok",
    "smtp::tls::ok",
    "smtp::relay::closed",
    "smtp::auth::ok",
    "smtp::sender::accepted",
];

/// The live facts at `taken_at`: the account's probe said `verdict` with `codes`.
pub(super) fn snapshot(taken_at: &str, verdict: &str, codes: &[&str]) -> String {
    serde_json::json!({
        "version": 1, "taken_at": taken_at, "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true, "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [], "configuration_sets": [] },
        "registrar": { "domains": [], "operations": [], "availability": [], "prices": [] },
        "route53": { "hosted_zones": [] },
        "libraries": [{ "id": "ogdenville", "method": "smtp-account", "identity": null, "dns": null,
            "smtp_probe": { "taken_at": taken_at, "verdict": verdict, "codes": codes },
            "notes": [] }]
    })
    .to_string()
}

/// A sandbox for the ledger, a delivering Exim as the relay, and the files of ogdenville as
/// `library` declares it, its account's password a canary.
pub(super) fn ogdenville(library: &str) -> (World, Exim, Cli) {
    let world = World::new();
    let exim = Exim::start(&EximSpec {
        deliver: true,
        password: RELAY_PASSWORD.into(),
        ..EximSpec::default()
    });
    let cli = cli()
        .file(
            "libraries/_platform.kdl",
            &platform(&exim, "mailform-notices"),
        )
        .file("libraries/ogdenville.kdl", library)
        .file("relay-ca.pem", &exim.ca_pem())
        .env("MAILFORM_SMTP_PASSWORD_RELAY", RELAY_PASSWORD)
        .env("MAILFORM_SMTP_PASSWORD_OGDENVILLE", CANARY);
    (world, exim, cli)
}

#[test]
fn an_account_failing_again_and_a_launch_not_ready_again_are_told_each_time() {
    let (world, exim, cli) = ogdenville(LIBRARY);
    let day = |taken_at: &str, verdict: &str, codes: &[&str]| {
        std::fs::write(
            cli.path().join("live.json"),
            snapshot(taken_at, verdict, codes),
        )
        .unwrap();
        let seen = exim.settle(Duration::from_millis(200)).len();
        let args = [
            "notify",
            "--test-only-trust-ca",
            "relay-ca.pem",
            "--live",
            "live.json",
        ];
        let out = world.run(&cli, &args);
        assert_eq!(out.code, 0, "{}", out.all());
        assert!(!out.all().contains(CANARY) && !out.all().contains(RELAY_PASSWORD));
        // The same facts on the next run: nothing new.
        let again = world.run(&cli, &args);
        assert!(again.stdout.contains(" 0 sent,"), "{}", again.all());
        let mut mails: Vec<_> = exim.settle(Duration::from_millis(200))[seen..]
            .iter()
            .map(|raw| parse(raw))
            .collect();
        mails.sort_by_key(|m| kind_of(&m.message_id).0);
        mails
    };
    let kinds = |mails: &[super::Mail]| -> Vec<String> {
        mails.iter().map(|m| kind_of(&m.message_id).0).collect()
    };

    // 26 November: the password is wrong, the launch is five days away.
    let first = day("2026-11-26T09:00:00Z", "fail", FAILING);
    assert_eq!(kinds(&first), ["launch", "smtp-failing"]);
    assert!(
        first[1].text.contains("refused the user name and password")
            && !first[1].subject.contains("again"),
        "{}",
        first[1].text
    );

    // 27 November: fixed. Ready: the account's confirmation, and no launch warning in the
    // same run (one verdict per library and run).
    let second = day("2026-11-27T09:00:00Z", "pass", PASSING);
    assert_eq!(kinds(&second), ["smtp-passing"]);

    // 28 November: the password changed at the provider; the account fails again. A new
    // episode: told at once, in words that say it worked before, and the launch warning again.
    let third = day("2026-11-28T09:00:00Z", "fail", FAILING);
    assert_eq!(kinds(&third), ["launch", "smtp-failing"]);
    assert!(
        third[1].subject.contains("fails again")
            && third[1].text.contains("passed our connection test before"),
        "{}\n{}",
        third[1].subject,
        third[1].text
    );
    assert_ne!(first[1].message_id, third[1].message_id);

    // 29 November: fixed again: told again.
    let fourth = day("2026-11-29T09:00:00Z", "pass", PASSING);
    assert_eq!(kinds(&fourth), ["smtp-passing"]);
    assert_ne!(second[0].message_id, fourth[0].message_id);

    // Each reads on a phone and is not taken for spam.
    let all: Vec<_> = [first, second, third, fourth]
        .into_iter()
        .flatten()
        .collect();
    let kinds = super::reading::check(&all);
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        ["launch", "smtp-failing", "smtp-passing"]
    );
}
