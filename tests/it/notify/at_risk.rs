//! The at-risk notice through the binary (issue #25, part 3): mail to Amazon's mailbox
//! simulator sent through the sandbox's SES, its events drained by `events drain`, and
//! `notify` telling a library whose patrons' addresses bounce past AWS's thresholds, through a
//! real Exim: nothing below the minimum volume, exactly one notice with the true numbers once
//! over it, nothing more while the episode lasts (days on the sandbox's clock), a second
//! notice once the library was healthy for a week and slips back; a pause by SES said as
//! such; and `kill -9` while the relay holds the message.

use std::time::Duration;

use aws_sdk_sesv2::types::Destination;
use mailform::sandbox::SandboxHandle;

use super::{Mail, RELAY_PASSWORD, delivered, kind_of, parse, platform, platform_at};
use crate::apply::World;
use crate::events::{SHELBYVILLE, SPRINGFIELD, drain, scene};
use crate::support::cli::{Cli, Output, PLATFORM};
use crate::support::exim::{Exim, EximSpec};
use crate::support::sandbox as harness;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// The notify tests' platform (notices through `exim`) with the events tests' `events` block.
fn platform_with_events(exim_platform: &str) -> String {
    let events = crate::events::platform();
    let block = &events[PLATFORM.rfind('}').unwrap()..events.rfind('}').unwrap()];
    let end = exim_platform.rfind('}').unwrap();
    format!("{}{block}}}\n", &exim_platform[..end])
}

/// Sends from `domain`'s library to `success` delivered and `bounce` hard-bouncing simulator
/// addresses, 50 recipients a message (SES's limit), each address its own.
async fn send_many(sandbox: &SandboxHandle, domain: &str, success: usize, bounce: usize) {
    send_mix(sandbox, domain, &[("success", success), ("bounce", bounce)]).await;
}

/// Sends from `domain`'s library to so many of each simulator address (`success`, `bounce`,
/// `complaint`, …).
async fn send_mix(sandbox: &SandboxHandle, domain: &str, mix: &[(&str, usize)]) {
    let ses = harness::ses(sandbox);
    let stamp = sandbox.now();
    let to: Vec<String> = mix
        .iter()
        .flat_map(|(local, n)| {
            (0..*n).map(move |i| format!("{local}+{stamp}-{i}@simulator.amazonses.com"))
        })
        .collect();
    for chunk in to.chunks(50) {
        ses.send_email()
            .from_email_address(format!("news@{domain}"))
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(chunk.to_vec()))
                    .build(),
            )
            .content(harness::text_message(
                "Your hold is ready",
                "Please collect it.",
            ))
            // The events tests' configuration set, whose destination publishes to the queue.
            .configuration_set_name("library-mail")
            .send()
            .await
            .unwrap();
    }
}

/// The events scene (springfield and shelbyville sending from verified addresses, the
/// pipeline set up) with a notices block for a delivering Exim. The CLI reaches the test's
/// sandbox through its `endpoints.json` in a directory of its own, as it reaches a running
/// `mailform-sandbox serve`: so `notify` counts days, and dates its ledger entries, on the
/// sandbox's clock, the one SES stamps the events with.
async fn estate() -> (World, Exim, Cli) {
    let (world, cli) = scene().await;
    std::fs::write(
        world.state_dir().join("endpoints.json"),
        serde_json::to_string(world.sandbox.endpoints()).unwrap(),
    )
    .unwrap();
    let exim = Exim::start(&EximSpec {
        deliver: true,
        password: RELAY_PASSWORD.into(),
        ..EximSpec::default()
    });
    let cli = cli
        .file(
            "libraries/_platform.kdl",
            &platform_with_events(&platform(&exim, "mailform-notices")),
        )
        .file("relay-ca.pem", &exim.ca_pem())
        .env("MAILFORM_SMTP_PASSWORD_RELAY", RELAY_PASSWORD);
    (world, exim, cli)
}

/// The flags that reach the test's sandbox, its clock included.
fn on_the_sandbox(world: &World) -> Vec<String> {
    let dir = world.state_dir().to_string_lossy().into_owned();
    vec!["--sandbox".into(), "--sandbox-dir".into(), dir]
}

/// A command on the sandbox's own day (no `--today`: the day its clock reached).
fn run(world: &World, cli: &Cli, command: &[&str]) -> Output {
    let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    if command[0] == "notify" {
        args.extend(["--test-only-trust-ca", "relay-ca.pem"].map(String::from));
    }
    args.extend(on_the_sandbox(world));
    Cli::reuse(cli, args).run()
}

fn notify(world: &World, cli: &Cli, extra: &[&str]) -> Output {
    let mut command = vec!["notify"];
    command.extend(extra);
    let out = run(world, cli, &command);
    assert!(!out.all().contains(RELAY_PASSWORD), "{}", out.all());
    out
}

/// The messages delivered since `seen`, all of them at-risk notices to springfield.
fn new_mail(exim: &Exim, seen: usize) -> Vec<Mail> {
    let mails = delivered(exim);
    let new: Vec<Mail> = mails.into_iter().skip(seen).collect();
    for m in &new {
        assert_eq!(
            kind_of(&m.message_id),
            ("at-risk".into(), "springfield".into()),
            "{}",
            m.raw
        );
        assert_eq!(m.to, format!("it@{SPRINGFIELD}"));
    }
    new
}

#[tokio::test(flavor = "multi_thread")]
async fn a_library_whose_patrons_addresses_bounce_is_told_once_an_episode() {
    let (world, exim, cli) = estate().await;

    // 1 January: springfield mails 199 patrons, 20 of whose addresses do not exist (10 %),
    // shelbyville 3 with 1 (33 %): both too few recipients to judge a list by. Nothing.
    send_many(&world.sandbox, SPRINGFIELD, 179, 20).await;
    send_many(&world.sandbox, SHELBYVILLE, 2, 1).await;
    drain(&world, &cli);
    let below = notify(&world, &cli, &[]);
    assert_eq!(below.code, 0, "{}", below.all());
    assert!(below.stdout.contains(" 0 sent,"), "{}", below.all());
    assert!(exim.settle(Duration::from_millis(300)).is_empty());

    // One more patron: 200 recipients, 20 hard bounces. Exactly one notice, the true numbers.
    send_many(&world.sandbox, SPRINGFIELD, 1, 0).await;
    drain(&world, &cli);
    let dry = notify(&world, &cli, &["--dry-run"]);
    assert!(
        dry.stdout.contains("+ springfield/at-risk/")
            && dry.stdout.contains("1 notice(s) would be sent"),
        "{}",
        dry.all()
    );
    let sent = notify(&world, &cli, &[]);
    assert_eq!(sent.code, 0, "{}", sent.all());
    assert!(sent.stdout.contains(" 1 sent,"), "{}", sent.all());
    let first = new_mail(&exim, 0);
    assert_eq!(first.len(), 1, "{}", sent.all());
    let notice = &first[0];
    for words in [
        "Of the 200 messages your library sent to patrons in the last 7 days, 20 (10.0 %) could not be delivered",
        "pauses its sending at 10 %. Your library is at or above the 10 % level now",
        "the mailbox does not exist (20): smtp; 550 5.1.1 user unknown",
        "patron records of your library system (ILS)",
        "support@library-market.example.com",
    ] {
        assert!(
            notice.text.contains(words),
            "{words:?} not in:\n{}",
            notice.text
        );
    }
    assert_eq!(
        notice.subject,
        "Clean up patron email addresses before Amazon pauses your mail"
    );
    // No patron's address: not in the message, nor in the ledger's copy of its words.
    assert!(
        !notice.raw.contains("simulator.amazonses.com"),
        "{}",
        notice.raw
    );
    insta::with_settings!({
        snapshot_path => "../../../snapshots/notify",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("delivered_at_risk_text", format!("Subject: {}\n\n{}", notice.subject, notice.text));
        insta::assert_snapshot!("delivered_at_risk_html", notice.html);
    });

    // The ledger shows it; a second run sends nothing.
    let listed = run(&world, &cli, &["notices", "springfield"]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed.stdout.contains("at-risk") && listed.stdout.contains("sent"),
        "{}",
        listed.stdout
    );
    let again = notify(&world, &cli, &[]);
    assert!(again.stdout.contains(" 0 sent,"), "{}", again.all());

    // 2 January: ten more bounces. The same episode: nothing.
    world.sandbox.advance_clock(DAY);
    send_many(&world.sandbox, SPRINGFIELD, 0, 10).await;
    drain(&world, &cli);
    let next_day = notify(&world, &cli, &[]);
    assert!(next_day.stdout.contains(" 0 sent,"), "{}", next_day.all());

    // 20 January: the 30-day window still holds the bounces (30 of 210): at risk every day
    // since, so the same episode, read back day by day. Nothing.
    world.sandbox.advance_clock(18 * DAY);
    let later = notify(&world, &cli, &[]);
    assert_eq!(later.code, 0, "{}", later.all());
    assert!(later.stdout.contains(" 0 sent,"), "{}", later.all());
    assert_eq!(new_mail(&exim, 1).len(), 0);

    // 8 February: the January bounces left the 30-day window on 1 February, a week out of
    // risk since; a new list mailed today bounces 25 of 200. A new episode: told again.
    world.sandbox.advance_clock(19 * DAY);
    send_many(&world.sandbox, SPRINGFIELD, 175, 25).await;
    drain(&world, &cli);
    let slipped = notify(&world, &cli, &[]);
    assert_eq!(slipped.code, 0, "{}", slipped.all());
    let second = new_mail(&exim, 1);
    assert_eq!(second.len(), 1, "{}", slipped.all());
    assert!(
        second[0].text.contains(
            "Of the 200 messages your library sent to patrons in the last 7 days, 25 (12.5 %) could not be delivered"
        ),
        "{}",
        second[0].text
    );
    assert_ne!(second[0].message_id, notice.message_id);
    let quiet = notify(&world, &cli, &[]);
    assert!(quiet.stdout.contains(" 0 sent,"), "{}", quiet.all());

    // Each reads on a phone and is not taken for spam.
    let all: Vec<Mail> = first.into_iter().chain(second).collect();
    let kinds = super::reading::check(&all);
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["at-risk"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_library_that_ses_paused_is_told_so_and_record_only_adopts_it() {
    let (world, exim, cli) = estate().await;
    // Tenants managed; springfield's tenant made and tagged as an apply makes it, then paused
    // by SES on a finding.
    let with_tenants = std::fs::read_to_string(cli.path().join("libraries/_platform.kdl"))
        .unwrap()
        .replacen(
            "platform {\n",
            "platform {\n    tenants {\n        reputation-policy \"standard\"\n    }\n",
            1,
        );
    let cli = cli.file("libraries/_platform.kdl", &with_tenants);
    let tag = |key: &str, value: &str| {
        aws_sdk_sesv2::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
            .unwrap()
    };
    harness::ses(&world.sandbox)
        .create_tenant()
        .tenant_name("springfield")
        .tags(tag("managed-by", "mailform"))
        .tags(tag("library", "springfield"))
        .send()
        .await
        .unwrap();
    world
        .sandbox
        .set_reputation(
            "springfield",
            &mailform::sandbox::ReputationFinding::paused_by_ses(
                "bounce rate 12% over the last 7 days",
            ),
        )
        .unwrap();
    send_many(&world.sandbox, SPRINGFIELD, 176, 24).await;
    // Shelbyville's patrons report 1 of its 200 messages as spam: 0.5 %, the pause level.
    send_mix(
        &world.sandbox,
        SHELBYVILLE,
        &[("success", 199), ("complaint", 1)],
    )
    .await;
    drain(&world, &cli);
    // An estate told by hand: recorded, nothing sent.
    let recorded = notify(&world, &cli, &["--record-only"]);
    assert_eq!(recorded.code, 0, "{}", recorded.all());
    assert!(
        recorded.stdout.contains(" 2 recorded without sending"),
        "{}",
        recorded.all()
    );
    assert!(exim.settle(Duration::from_millis(300)).is_empty());
    // The same facts again are the notice recorded: nothing.
    let after = notify(&world, &cli, &[]);
    assert!(after.stdout.contains(" 0 sent,"), "{}", after.all());

    // Sent again on request: the words say Amazon paused the library, with its reason.
    // Each notice's key, as the run printed it.
    let key_of = |library: &str| -> String {
        recorded
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{library}/at-risk/")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no at-risk notice of {library}: {}", recorded.all()))
            .to_string()
    };
    let key = key_of("springfield");
    let resent = notify(&world, &cli, &["--resend", &key]);
    assert_eq!(resent.code, 0, "{}", resent.all());
    let mails = new_mail(&exim, 0);
    assert_eq!(mails.len(), 1, "{}", resent.all());
    let m = &mails[0];
    assert_eq!(
        m.subject,
        "Clean up patron email addresses: Amazon paused your library's mail"
    );
    for words in [
        "has paused your library's sending",
        "Amazon's reason: bounce rate 12% over the last 7 days",
        "24 (12.0 %) could not be delivered",
        "we ask Amazon to reinstate your library's sending",
    ] {
        assert!(m.text.contains(words), "{words:?} not in:\n{}", m.text);
    }
    assert!(!m.text.contains("If Amazon pauses"), "{}", m.text);

    // Shelbyville's complaints, sent again on request: the spam reports, not bounces.
    let key = key_of("shelbyville");
    let resent = notify(&world, &cli, &["--resend", &key]);
    assert_eq!(resent.code, 0, "{}", resent.all());
    let mails = delivered(&exim);
    assert_eq!(mails.len(), 2, "{}", resent.all());
    let m = &mails[1];
    assert_eq!(
        kind_of(&m.message_id),
        ("at-risk".into(), "shelbyville".into())
    );
    assert_eq!(
        m.subject,
        "Check who gets your library's mail: too many spam reports"
    );
    for words in [
        "Of the 200 messages your library sent to patrons in the last 7 days, 1 (0.50 %) were reported as spam",
        "pauses its sending at 0.5 %. Your library is at or above the 0.5 % level now",
        "Send patrons only the mail they asked for",
    ] {
        assert!(m.text.contains(words), "{words:?} not in:\n{}", m.text);
    }
    assert!(!m.text.contains("bounced"), "{}", m.text);
    let kinds = super::reading::check(&mails);
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["at-risk"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notify_killed_while_the_relay_holds_the_notice_sends_it_again_after_the_lease() {
    let (world, exim, cli) = estate().await;
    send_many(&world.sandbox, SPRINGFIELD, 180, 20).await;
    drain(&world, &cli);
    // A relay that takes the message and never answers: the run waits on it, and is killed.
    let certs = tempfile::tempdir().unwrap();
    let pki = crate::support::certs::TestPki::create(certs.path());
    let lost = crate::support::fake::LostAnswerRelay::start(&pki).await;
    let exim_platform =
        std::fs::read_to_string(cli.path().join("libraries/_platform.kdl")).unwrap();
    std::fs::write(
        cli.path().join("libraries/_platform.kdl"),
        platform_with_events(&platform_at(lost.port, "tls", "mailform-notices")),
    )
    .unwrap();
    std::fs::copy(certs.path().join("ca.pem"), cli.path().join("relay-ca.pem")).unwrap();
    let mut args: Vec<String> = [
        "notify",
        "--test-only-trust-ca",
        "relay-ca.pem",
        "--relay-timeout",
        "120",
    ]
    .map(String::from)
    .to_vec();
    args.extend(on_the_sandbox(&world));
    let mut child = Cli::reuse(&cli, args).spawn();
    let started = std::time::Instant::now();
    while lost.taken.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the relay never got the notice"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // kill -9 while the relay holds the message: the claim stays unconfirmed.
    child.kill().unwrap();
    child.wait().unwrap();
    let held = parse(&lost.taken.lock().unwrap()[0]);
    assert_eq!(kind_of(&held.message_id).0, "at-risk");

    // Back on Exim: inside the lease the claim is left to its run; past it, sent again (at
    // least once), the same Message-ID as the copy the lost relay took.
    std::fs::write(cli.path().join("libraries/_platform.kdl"), exim_platform).unwrap();
    std::fs::write(cli.path().join("relay-ca.pem"), exim.ca_pem()).unwrap();
    let inside = notify(&world, &cli, &[]);
    assert!(
        inside.stderr.contains("claimed by another run"),
        "{}",
        inside.all()
    );
    assert!(exim.settle(Duration::from_millis(300)).is_empty());
    let past = notify(&world, &cli, &["--lease", "0"]);
    assert_eq!(past.code, 0, "{}", past.all());
    assert!(
        past.stderr.contains("sent again (a run's claim of"),
        "{}",
        past.all()
    );
    let mails = new_mail(&exim, 0);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].message_id, held.message_id);
    assert_eq!(mails[0].subject, held.subject);
    let listed = run(&world, &cli, &["notices", "springfield"]);
    assert!(listed.stdout.contains("at-risk"), "{}", listed.stdout);
    drop(lost);
}
