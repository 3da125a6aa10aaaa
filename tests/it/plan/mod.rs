//! Plan rendering: every change kind, operation, progress and readiness in all three formats.

#[cfg(feature = "sandbox")]
mod account;
mod cli;
mod events;
#[cfg(feature = "sandbox")]
mod limits;
mod planner;
#[cfg(feature = "sandbox")]
mod scope;

use mailform::plan::*;
use mailform::render::plan::{
    GITHUB_COMMENT_LIMIT, MarkdownOptions, Style, to_json, to_markdown, to_markdown_with, to_text,
};

use crate::snap;

fn attr(name: &str, old: Option<&str>, new: Option<&str>) -> Attribute {
    Attribute {
        name: name.into(),
        old: old.map(Into::into),
        new: new.map(Into::into),
    }
}

fn change(op: Op, kind: ResourceKind, name: &str, attributes: Vec<Attribute>) -> Change {
    Change {
        op,
        kind,
        name: name.into(),
        attributes,
        cost: None,
        reason: None,
    }
}

fn ready() -> Readiness {
    Readiness {
        ready: true,
        launch: None,
        days_left: None,
        level: Level::Info,
        summary: "ready".into(),
    }
}

/// A plan with one of everything a plan can hold.
pub fn sample() -> Plan {
    let springfield = LibraryPlan {
        library: "springfield-public".into(),
        name: "Springfield Public Library".into(),
        method: Method::SesDomain,
        changes: vec![change(
            Op::Create,
            ResourceKind::SesIdentity,
            "springfield-library.example.org",
            vec![
                attr("dkim-signing-key-length", None, Some("RSA_2048_BIT")),
                attr(
                    "mail-from-domain",
                    None,
                    Some("bounce.springfield-library.example.org"),
                ),
                attr(
                    "tags",
                    None,
                    Some("library=springfield-public, managed-by=mailform"),
                ),
            ],
        )],
        deletions: vec![],
        blocked: vec![],
        actions: vec![LibraryAction {
            code: "dns::missing".into(),
            level: Level::Warning,
            message: "2 of 3 DKIM records are not installed".into(),
            remedy: "install the records below at the library's DNS provider".into(),
            records: vec![
                RecordHandoff {
                    name: "tok1._domainkey.springfield-library.example.org".into(),
                    host: "tok1._domainkey".into(),
                    rtype: "CNAME".into(),
                    value: "tok1.dkim.amazonses.com".into(),
                    status: "dns::present".into(),
                    found: None,
                },
                RecordHandoff {
                    name: "tok2._domainkey.springfield-library.example.org".into(),
                    host: "tok2._domainkey".into(),
                    rtype: "CNAME".into(),
                    value: "tok2.dkim.amazonses.com".into(),
                    status: "dns::txt-instead-of-cname".into(),
                    found: Some("TXT \"tok2.dkim.amazonses.com\"".into()),
                },
            ],
            breaking: false,
        }],
        in_progress: vec![Progress::Verification {
            identity: "springfield-library.example.org".into(),
            status: "PENDING".into(),
            since: Some("2026-11-25T10:00:00Z".into()),
            gives_up_at: Some("2026-11-28T10:00:00Z".into()),
        }],
        readiness: Readiness {
            ready: false,
            launch: Some("2026-12-01".into()),
            days_left: Some(5),
            level: Level::Error,
            summary: "not ready, launch 2026-12-01 in 5 days, inside the 14-day notice period"
                .into(),
        },
        yearly_cost: None,
        information: vec![],
        notices: vec![],
    };
    let shelbyville = LibraryPlan {
        library: "shelbyville".into(),
        name: "Shelbyville Library".into(),
        method: Method::SesDomain,
        changes: vec![change(
            Op::Update,
            ResourceKind::SesIdentity,
            "shelbyville.example.net",
            vec![
                attr(
                    "dkim-signing-key-length",
                    Some("RSA_2048_BIT"),
                    Some("RSA_1024_BIT"),
                ),
                attr(
                    "spf",
                    Some("v=spf1 include:_spf.shelbyville.example.net include:amazonses.com ~all"),
                    Some("v=spf1 include:_spf.shelbyville.example.net include:amazonses.com -all"),
                ),
            ],
        )],
        deletions: vec![],
        blocked: vec![],
        actions: vec![],
        in_progress: vec![],
        readiness: ready(),
        yearly_cost: None,
        information: vec![],
        notices: vec![],
    };
    let ogdenville = LibraryPlan {
        library: "ogdenville".into(),
        name: "Ogdenville Library".into(),
        method: Method::ManagedDomain,
        changes: vec![
            Change {
                cost: Some(Cost {
                    yearly_cents: 1300,
                    cap_cents: 1500,
                    years: 1,
                }),
                ..change(
                    Op::Create,
                    ResourceKind::DomainRegistration,
                    "ogdenville-library-mail.example",
                    vec![attr("auto-renew", None, Some("true"))],
                )
            },
            change(
                Op::Create,
                ResourceKind::DnsRecord,
                "tok1._domainkey.ogdenville-library-mail.example CNAME",
                vec![attr("value", None, Some("tok1.dkim.amazonses.com"))],
            ),
            change(
                Op::Update,
                ResourceKind::DomainAutoRenew,
                "ogdenville-library-mail.example",
                vec![attr("auto-renew", Some("false"), Some("true"))],
            ),
            change(
                Op::Update,
                ResourceKind::DomainTransferLock,
                "ogdenville-library-mail.example",
                vec![attr("transfer-lock", Some("true"), Some("false"))],
            ),
            Change {
                reason: Some("the library asked to take the domain over".into()),
                ..change(
                    Op::Create,
                    ResourceKind::DomainTransfer,
                    "ogdenville-library-mail.example",
                    vec![attr("to-account", None, Some("111122223333"))],
                )
            },
            Change {
                reason: Some("the MAIL FROM domain changed".into()),
                ..change(
                    Op::Replace,
                    ResourceKind::DnsRecord,
                    "bounce.ogdenville-library-mail.example MX",
                    vec![attr(
                        "value",
                        Some("10 feedback-smtp.us-west-2.amazonses.com"),
                        Some("10 feedback-smtp.us-east-1.amazonses.com"),
                    )],
                )
            },
        ],
        deletions: vec![],
        blocked: vec![],
        actions: vec![],
        in_progress: vec![Progress::Operation {
            domain: "ogdenville-library-mail.example".into(),
            operation: "REGISTER_DOMAIN".into(),
            status: "IN_PROGRESS".into(),
            submitted: Some("2026-11-26T08:00:00Z".into()),
        }],
        readiness: Readiness {
            ready: false,
            launch: Some("2027-04-12".into()),
            days_left: Some(137),
            level: Level::Info,
            summary: "not ready yet, launch 2027-04-12 in 137 days".into(),
        },
        yearly_cost: Some(Cost {
            yearly_cents: 1300,
            cap_cents: 1500,
            years: 1,
        }),
        information: vec![],
        notices: vec![],
    };
    let capital = LibraryPlan {
        library: "capital-city".into(),
        name: "Capital City Library".into(),
        method: Method::SmtpAccount,
        changes: vec![],
        blocked: vec![],
        deletions: vec![
            change(
                Op::Delete,
                ResourceKind::SesIdentity,
                "capitalcity.example.com",
                vec![],
            )
            .with_reason("the library switched to smtp-account"),
        ],
        actions: vec![LibraryAction {
            code: "smtp::auth::bad_credentials".into(),
            level: Level::Error,
            message: "the server refused the user name library-notices with the password given"
                .into(),
            remedy: "check the user name and password, then send us the correct ones".into(),
            records: vec![],
            breaking: false,
        }],
        in_progress: vec![],
        readiness: Readiness {
            ready: false,
            launch: Some("2027-02-15".into()),
            days_left: Some(81),
            level: Level::Warning,
            summary: "not ready, launch 2027-02-15 in 81 days".into(),
        },
        yearly_cost: None,
        information: vec![],
        notices: vec![],
    };
    Plan {
        platform: vec![],
        platform_changes: vec![],
        platform_deletions: vec![],
        version: PLAN_VERSION,
        libraries: vec![springfield, shelbyville, ogdenville, capital],
        unmanaged: vec![Unmanaged {
            kind: ResourceKind::SesIdentity,
            name: "legacy.example.org".into(),
            note: "no library declares it and it has no managed-by tag".into(),
        }],
    }
}

trait WithReason {
    fn with_reason(self, reason: &str) -> Self;
}

impl WithReason for Change {
    fn with_reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

#[test]
fn terminal_rendering() {
    let plan = sample();
    let text = to_text(&plan, Style { color: false });
    assert!(!text.contains('\u{1b}'), "no colour unless asked");
    assert!(text.ends_with("Plan: 4 to create, 3 to change, 1 to replace, 1 to destroy. 3 libraries need attention, 2 failing.\n"), "{text}");
    snap!("plan", "text", text);
    let coloured = to_text(&plan, Style { color: true });
    assert!(coloured.contains("\u{1b}[32m+\u{1b}[0m") && coloured.contains("\u{1b}[31m-\u{1b}[0m"));
}

#[test]
fn markdown_rendering() {
    let md = to_markdown(&sample(), GITHUB_COMMENT_LIMIT);
    snap!("plan", "markdown", md.clone());
    // Deletions stand in the open, before any folded details.
    let deletions = md.find("Deletions (1)").expect("deletions listed");
    assert!(deletions < md.find("<details><summary><code>").unwrap());
}

#[test]
fn json_rendering() {
    let json = to_json(&sample());
    snap!("plan", "json", json.clone());
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    crate::support::json_schema::assert_valid("plan.schema.json", &value);
}

#[test]
fn markdown_stays_under_githubs_limit() {
    let mut plan = sample();
    let template = plan.libraries[0].clone();
    plan.libraries = (0..2_000)
        .map(|i| LibraryPlan {
            library: format!("library-{i:04}"),
            ..template.clone()
        })
        .collect();
    let md = to_markdown(&plan, GITHUB_COMMENT_LIMIT);
    assert!(
        md.chars().count() <= GITHUB_COMMENT_LIMIT,
        "{} characters",
        md.chars().count()
    );
    assert!(
        md.contains("Left out to stay under GitHub's 65536-character comment limit"),
        "{md}"
    );
    assert!(
        md.contains("the details of") && md.contains("libraries with changes (`library-"),
        "{}",
        &md[md.len() - 300..]
    );
    assert!(md.contains("<code>library-0000</code>"));
}

/// An estate of 1,000 libraries, most settled, some failing, some waiting, one changed by
/// someone else, and a pull request that adds one library: the new library's details are in the
/// comment, whole and first; failing and waiting libraries are marked apart; the settled ones
/// are a count; names in natural order.
#[test]
fn markdown_at_a_thousand_libraries_shows_the_pull_requests_library() {
    let sample = sample();
    let by_id = |id: &str| {
        sample
            .libraries
            .iter()
            .find(|l| l.library == id)
            .unwrap()
            .clone()
    };
    let quiet = |mut l: LibraryPlan| {
        l.changes.clear();
        l.deletions.clear();
        l
    };
    let failing = sample
        .libraries
        .iter()
        .cloned()
        .map(quiet)
        .find(LibraryPlan::failing)
        .expect("a failing library in the sample");
    let mut settled = quiet(by_id("springfield-public"));
    settled.actions.clear();
    settled.in_progress.clear();
    settled.readiness = ready();
    let waiting = LibraryPlan {
        readiness: Readiness {
            ready: false,
            launch: Some("2027-02-15".into()),
            days_left: Some(81),
            level: Level::Info,
            summary: "not ready, launch 2027-02-15 in 81 days".into(),
        },
        ..settled.clone()
    };
    assert!(waiting.needs_attention() && !waiting.failing());
    let changed_elsewhere = by_id("ogdenville");
    let new_library = LibraryPlan {
        library: "maplewood".into(),
        name: "Maplewood Public Library".into(),
        ..by_id("springfield-public")
    };

    let mut libraries: Vec<LibraryPlan> = (1..1_000)
        .map(|i| {
            let template = match i {
                _ if i % 97 == 0 => &failing,
                _ if i % 31 == 0 => &waiting,
                500 => &changed_elsewhere,
                _ => &settled,
            };
            LibraryPlan {
                library: format!("library-{i}"),
                ..template.clone()
            }
        })
        .collect();
    libraries.push(new_library);
    // The planner's order is not the comment's: names are sorted naturally there.
    libraries.reverse();
    let plan = Plan {
        platform: vec![],
        platform_changes: vec![],
        platform_deletions: vec![],
        version: PLAN_VERSION,
        libraries,
        unmanaged: vec![],
    };
    assert_eq!(plan.libraries.len(), 1_000);

    let focus = ["maplewood".to_string()];
    let md = to_markdown_with(
        &plan,
        &MarkdownOptions {
            limit: GITHUB_COMMENT_LIMIT,
            focus: &focus,
        },
    );
    assert!(md.chars().count() <= GITHUB_COMMENT_LIMIT);
    assert!(
        md.chars().count() > 10_000,
        "failing and waiting details fill the room"
    );
    let first = md
        .find("<code>maplewood</code>")
        .expect("the new library's details");
    assert!(md[first..].contains("+ ses-identity springfield-library.example.org"));
    assert!(first < md.find("<code>library-500</code>").unwrap());
    assert!(md.contains("❌ failing") && md.contains("⏳ waiting"));
    assert!(md.find("`library-97`").unwrap() < md.find("`library-194`").unwrap());
    assert!(md.contains("other libraries: no changes, nothing to do, ready."));
    snap!("plan", "markdown_1000_libraries_one_new", md);
}

#[test]
fn a_plan_without_changes_says_so() {
    let mut plan = sample();
    for l in &mut plan.libraries {
        l.changes.clear();
        l.deletions.clear();
    }
    let text = to_text(&plan, Style { color: false });
    assert!(text.starts_with("No changes."), "{text}");
    assert!(!plan.has_changes());
}
