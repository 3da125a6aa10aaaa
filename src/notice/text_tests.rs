//! The words of every notice kind, checked: snapshots of each kind, the reader's terms
//! (zones, relative deadlines, subjects), the setup document's promises, and the library's
//! voice (no operator wording). Kept beside `text.rs`, whose room is full.

use super::*;
use crate::model::{Date, EmailAddress, LibraryId, Relay, SmtpSecurity};
use crate::notice::NoticeKey;
use crate::notice::due::Problem;

fn settings() -> NoticeSettings {
    NoticeSettings {
        from: EmailAddress::parse("mail-setup@library-market.example.com").unwrap(),
        from_name: Some("Library Market".into()),
        reply_to: EmailAddress::parse("support@library-market.example.com").unwrap(),
        ledger_table: "mailform-notices".into(),
        send_rate: 1,
        time_zone: crate::model::TimeZoneName::utc(),
        relay: Relay {
            host: "email-smtp.us-east-1.amazonaws.com".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: "relay-user".into(),
            password: crate::model::PasswordEnv::new(
                "MAILFORM_SMTP_PASSWORD_RELAY",
                "MAILFORM_SMTP_PASSWORD_",
            )
            .unwrap(),
        },
    }
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn records() -> Vec<Record> {
    ["tok1", "tok2", "tok3"]
        .iter()
        .enumerate()
        .map(|(i, t)| Record {
            name: format!("{t}._domainkey.springfield.example.org"),
            host: format!("{t}._domainkey"),
            rtype: "CNAME".into(),
            value: format!("{t}.dkim.amazonses.com"),
            ttl: 1800,
            correct: i == 0,
            checked: true,
            optional: false,
        })
        .collect()
}

/// The three DKIM records and a custom MAIL FROM's two optional ones.
fn with_mail_from() -> Vec<Record> {
    let mut all = records();
    for (rtype, value) in [
        ("MX", "10 feedback-smtp.us-east-1.amazonses.com"),
        ("TXT", "v=spf1 include:amazonses.com ~all"),
    ] {
        all.push(Record {
            name: "mail.springfield.example.org".into(),
            host: "mail".into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 1800,
            correct: false,
            checked: true,
            optional: true,
        });
    }
    all
}

fn cloudflare() -> Provider {
    let p = crate::dns_provider::providers()
        .iter()
        .find(|p| p.id == "cloudflare")
        .unwrap();
    Provider {
        name: p.name.clone(),
        form: p.form(),
    }
}

#[test]
fn the_records_notice_matches_the_setup_document() {
    let mut due = every_kind().remove(0);
    let Content::Records {
        records,
        provider,
        mail_from,
        ..
    } = &mut due.content
    else {
        unreachable!()
    };
    *records = with_mail_from();
    *provider = Some(cloudflare());
    *mail_from = Some("mail.springfield.example.org".into());
    let w = words(&due, &settings());
    // Three records are needed, as the setup document promises; the two of the custom
    // MAIL FROM are optional, and said what they do.
    assert!(
        w.text.contains("Only the three CNAME records are needed")
            && w.text
                .contains("The MX and TXT records for mail.springfield.example.org are optional")
            && w.text.matches("optional, to install").count() == 2
            && w.subject.starts_with("Add 2 DNS records"),
        "{}\n{}",
        w.subject,
        w.text
    );
    // No "not TXT" beside the TXT record the notice asks for.
    assert!(!w.text.contains("not TXT"), "{}", w.text);
    // MX priority and mail server as fields of their own.
    assert!(
        w.text
            .contains("Priority:     10\n    Mail server:  feedback-smtp.us-east-1.amazonses.com"),
        "{}",
        w.text
    );
    // The provider's own words in the first notice, and not the general advice beside them.
    assert!(
        w.text.contains("Your domain's DNS is hosted at Cloudflare")
            && w.text.contains("Proxy status of the CNAMEs: DNS only")
            && w.text
                .contains("Name: the host part only (Cloudflare appends the domain)")
            && !w.text.contains("Turn off any proxying"),
        "{}",
        w.text
    );
    // Care lists per type: nothing about CNAMEs beside only an MX and a TXT.
    let optional_only: Vec<Record> = with_mail_from()
        .into_iter()
        .filter(|r| r.optional)
        .collect();
    let care = care(&optional_only, None).join("\n");
    assert!(
        !care.contains("not TXT") && !care.contains("signing domain") && care.contains("MX record"),
        "{care}"
    );
}

#[test]
fn verified_is_not_finished_while_the_mail_from_records_are_missing() {
    let mut due = every_kind().remove(3);
    let Content::Verified {
        mail_from_missing, ..
    } = &mut due.content
    else {
        unreachable!()
    };
    *mail_from_missing = Some(("mail.springfield.example.org".into(), 2));
    let w = words(&due, &settings());
    assert!(
        w.subject.starts_with("Almost done:")
            && w.text.contains("One thing is left")
            && w.text.contains("mail.springfield.example.org"),
        "{}\n{}",
        w.subject,
        w.text
    );
}

/// One notice of each kind, with fixed facts.
fn every_kind() -> Vec<Due> {
    let problem = Problem {
        what: "the record was created as `tok2._domainkey.springfield.example.org.springfield.example.org`: the DNS provider's form added the domain a second time".into(),
        fix: "delete that record and enter only the host part (`<token>._domainkey`) in the name field".into(),
        records: vec![(
            "tok2._domainkey.springfield.example.org".into(),
            "tok2.dkim.amazonses.com".into(),
            Found::Other("CNAME at tok2._domainkey.springfield.example.org.springfield.example.org".into()),
        )],
    };
    let contents = vec![
        (
            NoticeKind::Records,
            Content::Records {
                domain: "springfield.example.org".into(),
                records: records(),
                deadline: Some(at("2026-11-30T14:05:00Z")),
                provider: Some(cloudflare()),
                mail_from: None,
            },
        ),
        (
            NoticeKind::Reminder,
            Content::Reminder {
                domain: "springfield.example.org".into(),
                deadline: at("2026-11-30T14:05:00Z"),
                problems: vec![problem.clone()],
                records: records(),
            },
        ),
        (
            NoticeKind::Lapsed,
            Content::Lapsed {
                domain: "springfield.example.org".into(),
                records_correct: false,
                problems: vec![problem],
            },
        ),
        (
            NoticeKind::Verified,
            Content::Verified {
                domain: "springfield.example.org".into(),
                from: "notices@springfield.example.org".into(),
                managed: false,
                mail_from_missing: None,
            },
        ),
        (
            NoticeKind::RecordsRemoved,
            Content::RecordsRemoved {
                domain: "springfield.example.org".into(),
                records: records(),
                stops_by: Some(at("2026-12-03T14:05:00Z")),
                problems: vec![],
            },
        ),
        (
            NoticeKind::SmtpFailing,
            Content::SmtpFailing {
                again: false,
                host: "smtp.shelbyville.example.net".into(),
                port: 587,
                username: "notices@shelbyville.example.net".into(),
                from: "notices@shelbyville.example.net".into(),
                codes: vec![
                    "smtp::auth::bad_credentials".into(),
                    "smtp::tls::self_signed".into(),
                ],
                certificate_expires: None,
            },
        ),
        (
            NoticeKind::SmtpPassing,
            Content::SmtpPassing {
                host: "smtp.gmail.com".into(),
                port: 587,
                username: "ogdenville.library@gmail.com".into(),
                from: "ogdenville.library@gmail.com".into(),
                codes: vec!["smtp::google::account_password".into()],
                certificate_expires: None,
            },
        ),
        (
            NoticeKind::Launch,
            Content::Launch {
                launch: Date::parse("2026-12-07").unwrap(),
                days_left: 10,
                outstanding: vec![
                    "2 of the 3 DNS records for springfield.example.org are not yet in place."
                        .into(),
                ],
            },
        ),
        (
            NoticeKind::DomainBought,
            Content::DomainBought {
                domain: "capital-city-notices.example".into(),
                from: "notices@capital-city-notices.example".into(),
                yearly_cents: Some(1400),
                years: 1,
                auto_renew: true,
            },
        ),
        (
            NoticeKind::TransferStarted,
            Content::TransferStarted {
                domain: "brockway-notices.example".into(),
                account: "111122223333".into(),
                started: Some(at("2026-11-27T09:00:00Z")),
                accept_by: Some(at("2026-11-30T09:00:00Z")),
            },
        ),
        (
            NoticeKind::AtRisk,
            Content::AtRisk(crate::notice::at_risk::AtRisk {
                bounces: Some(crate::notice::at_risk::Breach {
                    days: 7,
                    sent: 1240,
                    count: 93,
                    standing: crate::events::deliverability::Standing::UnderReview,
                }),
                complaints: None,
                reasons: vec![
                    ("smtp; 550 5.1.1 user unknown".into(), 81),
                    ("Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.".into(), 12),
                ],
                paused: None,
            }),
        ),
    ];
    contents
        .into_iter()
        .map(|(kind, content)| Due {
            key: NoticeKey::new(LibraryId::parse("springfield").unwrap(), kind, &["x"]),
            to: EmailAddress::parse("it@springfield.example.org").unwrap(),
            library_name: "Springfield Public Library".into(),
            zone: TimeZoneName::parse("America/Chicago").unwrap(),
            written: at("2026-11-27T14:05:00Z"),
            content,
        })
        .collect()
}

#[test]
fn deadlines_are_told_in_the_library_zone_and_from_now() {
    let due = every_kind().remove(0);
    let w = words(&due, &settings());
    // 14:05 UTC is 08:05 in Chicago (CST, UTC-6), three days after the notice is written.
    assert!(
        w.text
            .contains("by Monday 30 November 2026 at 08:05 CST (in 3 days)"),
        "{}",
        w.text
    );
    let utc = Due {
        zone: TimeZoneName::utc(),
        ..due
    };
    assert!(
        words(&utc, &settings())
            .text
            .contains("by Monday 30 November 2026 at 14:05 UTC (in 3 days)")
    );
    let t = at("2026-11-30T14:05:00Z");
    assert_eq!(relative(t, at("2026-11-29T09:05:00Z")), "in 29 hours");
    assert_eq!(relative(t, at("2026-11-30T13:30:00Z")), "within the hour");
    assert_eq!(relative(t, at("2026-12-01T00:00:00Z")), "already passed");
    assert_eq!(
        TimeZoneName::parse("america/chicago").unwrap().as_str(),
        "America/Chicago"
    );
    assert!(TimeZoneName::parse("Mars/Olympus").is_err());
}

#[test]
fn subjects_lead_with_the_action_and_fit_one_header_line() {
    let long = "the-springfield-public-library-and-reading-rooms.example.org";
    for mut due in every_kind() {
        match &mut due.content {
            Content::Records { domain, .. }
            | Content::Reminder { domain, .. }
            | Content::Lapsed { domain, .. }
            | Content::Verified { domain, .. }
            | Content::RecordsRemoved { domain, .. }
            | Content::DomainBought { domain, .. }
            | Content::TransferStarted { domain, .. } => *domain = long.into(),
            Content::SmtpFailing { username, .. } | Content::SmtpPassing { username, .. } => {
                *username = format!("notices@{long}")
            }
            Content::Launch { .. } | Content::AtRisk(_) => {}
        }
        let subject = words(&due, &settings()).subject;
        // `Subject: ` and the subject on one line of under 78 characters.
        assert!(
            format!("Subject: {subject}").chars().count() < 78,
            "{:?}: {subject}",
            due.key.kind
        );
        // The action (or "nothing to do") comes first: an imperative or a verdict.
        let first = subject.split([' ', ':']).next().unwrap_or_default();
        assert!(
            [
                "Add", "Fix", "Put", "Done", "Almost", "Nothing", "Worth", "Finish", "Accept",
                "Clean", "Check",
            ]
            .contains(&first),
            "{:?}: {subject}",
            due.key.kind
        );
    }
}

#[test]
fn every_kind_reads_as_a_support_person_writes() {
    let settings = settings();
    for due in every_kind() {
        let w = words(&due, &settings);
        insta::with_settings!({snapshot_path => "../../snapshots/notify", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("words_{}_text", due.key.kind), format!("Subject: {}\n\n{}", w.subject, w.text));
            insta::assert_snapshot!(format!("words_{}_html", due.key.kind), w.html);
        });
        // No internal codes, flags or command names reach the library.
        for body in [&w.subject, &w.text, &w.html] {
            for internal in [
                "smtp::", "dns::", "ses::", "mailform", "--", "`", "adopt", "apply",
            ] {
                assert!(
                    !body.contains(internal),
                    "{:?} says {internal:?}:\n{body}",
                    due.key.kind
                );
            }
        }
    }
    assert_no_operator_wording();
}

#[test]
fn an_expiring_certificate_is_told_with_its_date() {
    let mut due = every_kind().remove(6);
    let Content::SmtpPassing {
        codes,
        certificate_expires,
        ..
    } = &mut due.content
    else {
        unreachable!()
    };
    *codes = vec!["smtp::tls::expires_soon".into()];
    *certificate_expires = Some(at("2026-12-07T18:00:00Z"));
    let w = words(&due, &settings());
    assert!(
        w.text
            .contains("It expires on Monday 7 December 2026 at 12:00 CST (in 10 days)."),
        "{}",
        w.text
    );
}

#[test]
fn the_probe_diagnosis_in_plain_words() {
    let dns = smtp_words_for("smtp::connect::dns", "smtp.ogdenville.example.org");
    assert!(
        dns.contains("smtp.ogdenville.example.org does not resolve"),
        "{dns}"
    );
    let own = smtp_words("smtp::tls::self_signed");
    assert!(own.contains("self-signed") && own.contains("public certificate authority"));
    // A private authority is named as one, beside the missing intermediate's two cases.
    assert!(smtp_words("smtp::tls::unknown_issuer").contains("private"));
    assert!(smtp_words("smtp::tls::missing_intermediate").contains("your organisation runs"));
}

/// The DNS check's findings as the plan words them for operators, in the provider's
/// words where the provider is known: what the notices must turn into the library's voice.
fn operator_problems() -> Vec<Problem> {
    let handoff = crate::plan::RecordHandoff {
        name: "tok2._domainkey.springfield.example.org".into(),
        host: "tok2._domainkey".into(),
        rtype: "CNAME".into(),
        value: "tok2.dkim.amazonses.com".into(),
        status: "dns::missing".into(),
        found: None,
    };
    let mut actions = vec![crate::plan::LibraryAction {
        code: "dns::missing".into(),
        level: crate::plan::Level::Warning,
        message: "1 of the 3 DKIM records is not installed: `tok2._domainkey`".into(),
        remedy: "install the records below exactly at the library's DNS provider".into(),
        records: vec![handoff.clone()],
        breaking: false,
    }];
    let cloudflare = crate::dns_provider::providers()
        .iter()
        .find(|p| p.id == "cloudflare")
        .unwrap();
    crate::plan::actions::in_providers_words(cloudflare, &mut actions);
    let mut out: Vec<Problem> = actions
        .iter()
        .map(|a| Problem {
            what: a.message.clone(),
            fix: a.remedy.clone(),
            records: vec![(handoff.name.clone(), handoff.value.clone(), Found::Nothing)],
        })
        .collect();
    out.push(Problem {
        what: "the custom MAIL FROM domain's MX or SPF record is missing or wrong".into(),
        fix: "install exactly one MX and the SPF record below; until then SES sends from amazonses.com".into(),
        records: vec![],
    });
    out.push(Problem {
        what: "the custom MAIL FROM domain's records could not be looked up".into(),
        fix: "check that the domain's name servers answer; mailform looks again on the next plan"
            .into(),
        records: vec![],
    });
    out
}

/// The operator's wording of the DNS check (backticks, "the library's DNS provider",
/// "SES sends from amazonses.com", "mailform … next plan") never reaches a library, in any
/// kind that carries the check's findings.
fn assert_no_operator_wording() {
    for mut due in every_kind() {
        match &mut due.content {
            Content::Reminder { problems, .. }
            | Content::Lapsed { problems, .. }
            | Content::RecordsRemoved { problems, .. } => *problems = operator_problems(),
            _ => {}
        }
        let w = words(&due, &settings());
        for body in [&w.subject, &w.text, &w.html] {
            for operator in [
                "`",
                "the library's DNS provider",
                "known from its name servers",
                "SES sends from",
                "mailform",
                "next plan",
                "dns::",
                "smtp::",
            ] {
                assert!(
                    !body.contains(operator),
                    "{:?} says {operator:?}:\n{body}",
                    due.key.kind
                );
            }
        }
    }
}

#[test]
fn every_probe_code_has_words_for_the_library() {
    for code in [
        "smtp::connect::refused",
        "smtp::relay::open",
        "smtp::sender::refused",
        "smtp::auth::bad_credentials",
        "smtp::tls::version_too_old",
        "smtp::whatever::new",
    ] {
        let w = smtp_words(code);
        assert!(!w.is_empty() && !w.contains("::"), "{code}: {w}");
    }
}

#[test]
fn html_escapes_every_value() {
    let mut due = every_kind().remove(0);
    due.library_name = "<script>alert(1)</script>".into();
    let w = words(&due, &settings());
    assert!(!w.html.contains("<script>"));
    assert!(w.html.contains("&lt;script&gt;"));
}

#[test]
fn hidden_characters_are_shown_in_both_parts() {
    let mut due = every_kind().remove(0);
    due.library_name = "Lib\u{1b}]0;pwned\u{7}\u{202e}".into();
    let w = words(&due, &settings());
    for part in [&w.text, &w.html] {
        assert!(!part.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{part}");
        assert!(part.contains("Lib\\x1b]0;pwned\\x07\\u{202e}"), "{part}");
    }
}
