//! The status report's unit tests: stages, who a row waits on, urgency and order, from
//! library files and live snapshots built here.

use super::*;
use crate::config::{self, AnalyzeOptions};
use crate::live::snapshot::{
    CheckV1, DkimV1, DnsV1, DomainV1, FindingV1, OperationV1, ProbeV1, RecordV1, ZoneV1,
};
use crate::model::LibraryId;
use crate::notice::NoticeKey;
use crate::plan::planner::{self, PlanOptions};
use crate::source::{SourceFile, SourceSet};

const PLATFORM: &str = "platform {\n    aws-region \"us-east-1\"\n    notice-period-days 14\n\n    registrant {\n        contact-type \"PERSON\"\n        first-name \"Pat\"\n        last-name \"Lee\"\n        email \"domains@example.org\"\n        phone \"+1.5555550100\"\n        address-line-1 \"1 Main Street\"\n        city \"Springfield\"\n        country-code \"US\"\n        zip-code \"12345\"\n    }\n}\n";

fn today() -> Date {
    Date::parse("2026-11-26").unwrap()
}

fn unix(day: &str) -> i64 {
    Date::parse(day).unwrap().days_since_epoch() * 86_400 + 3600
}

fn ses(id: &str, launch: Option<&str>) -> String {
    let launch = launch.map_or(String::new(), |l| format!("    launch \"{l}\"\n"));
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n{launch}\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n}}\n"
    )
}

fn smtp(id: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    smtp-account {{\n        host \"smtp.{id}.example.org\"\n        port 465\n        security \"tls\"\n        username \"u\"\n        password env=\"MAILFORM_SMTP_PASSWORD_{}\"\n        from \"n@{id}.example.org\"\n    }}\n}}\n",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

fn managed(id: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{id}-mail.example\"\n        from \"n@{id}-mail.example\"\n        years 1\n        auto-renew #true\n    }}\n}}\n"
    )
}

fn config_of(files: &[(&str, String)]) -> Config {
    let mut sources = SourceSet::default();
    sources.add(SourceFile::new(
        "libraries/_platform.kdl",
        PLATFORM.to_string(),
    ));
    for (id, text) in files {
        sources.add(SourceFile::new(format!("libraries/{id}.kdl"), text.clone()));
    }
    let analysis = config::analyze(&mut sources, &AnalyzeOptions { today: today() });
    analysis
        .config
        .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics))
}

fn empty_live() -> LiveSnapshotV1 {
    LiveSnapshotV1::empty("2026-11-26T03:00:00Z", "us-east-1")
}

fn identity(name: &str, status: &str, created: &str) -> IdentityV1 {
    IdentityV1 {
        name: name.into(),
        kind: "DOMAIN".into(),
        verification_status: Some(status.into()),
        verified_for_sending: status == "SUCCESS",
        verification_error: None,
        dkim: Some(DkimV1 {
            signing_enabled: true,
            status: Some(status.into()),
            tokens: vec!["t1".into(), "t2".into(), "t3".into()],
            signing_hosted_zone: Some("dkim.amazonses.com".into()),
            origin: Some("AWS_SES".into()),
            current_key_length: Some("RSA_2048_BIT".into()),
            next_key_length: Some("RSA_2048_BIT".into()),
            last_key_generation: Some(format!("{created}T10:00:00Z")),
        }),
        mail_from: None,
        configuration_set: None,
        tags: BTreeMap::from([
            ("managed-by".to_string(), "mailform".to_string()),
            (
                "library".to_string(),
                name.split('.').next().unwrap_or("").to_string(),
            ),
        ]),
    }
}

fn finding() -> FindingV1 {
    FindingV1 {
        finding: "absent".into(),
        detail: None,
        code: None,
    }
}

/// What the DNS check saw of a library's three DKIM records.
fn observed(id: &str, method: &str, domain: Option<&str>, verdict: &str) -> LibraryV1 {
    LibraryV1 {
        id: id.into(),
        method: method.into(),
        identity: domain.map(str::to_string),
        dns: domain.map(|d| DnsV1 {
            dkim: (1..=3)
                .map(|t| CheckV1 {
                    name: format!("t{t}._domainkey.{d}"),
                    rtype: "CNAME".into(),
                    expected: format!("t{t}.dkim.amazonses.com"),
                    verdict: verdict.into(),
                    detail: None,
                })
                .collect(),
            mail_from: vec![],
            spf: finding(),
            dmarc: finding(),
            name_servers: None,
            observations: vec![],
        }),
        smtp_probe: None,
        desired: None,
        notes: vec![],
    }
}

fn sent(id: &str, kind: NoticeKind, day: &str) -> LedgerEntry {
    LedgerEntry {
        key: NoticeKey::new(LibraryId::parse(id).unwrap(), kind, &[day]),
        state: EntryState::Sent,
        run: "run-1".into(),
        claimed_at: unix(day),
        sent_at: Some(unix(day)),
        to: format!("it@{id}.example.org"),
        subject: "subject".into(),
        message_id: "<m@example.org>".into(),
        detail: None,
        words: None,
    }
}

fn build(config: &Config, live: &LiveSnapshotV1, notices: &[LedgerEntry]) -> StatusReport {
    let plan = planner::plan(
        config,
        live,
        &PlanOptions {
            today: today(),
            handover_grace: planner::HANDOVER_GRACE_SECS,
        },
    );
    report(
        config,
        live,
        &plan,
        today(),
        notices,
        &deliverability::Insight::NotKept,
    )
}

fn row<'a>(report: &'a StatusReport, id: &str) -> &'a StatusRow {
    report.rows.iter().find(|r| r.library == id).unwrap()
}

#[test]
fn method_one_walks_its_stages_with_the_ledger_and_dns() {
    let config = config_of(&[("a", ses("a", None))]);
    let mut live = empty_live();
    live.libraries = vec![observed(
        "a",
        "ses-domain",
        Some("a.example.org"),
        "dns::missing",
    )];

    // No identity yet: the platform's apply creates it; nothing dates it.
    let r = build(&config, &live, &[]);
    let a = row(&r, "a");
    assert_eq!(
        (a.stage, a.waits_on),
        (Stage::IdentityToCreate, WaitsOn::Platform)
    );
    assert_eq!(a.days_in_stage, None);
    assert_eq!(a.last_notice, None);

    // Identity created on 2026-11-20, the records notice not sent: the platform sends it.
    live.ses.identities = vec![identity("a.example.org", "PENDING", "2026-11-20")];
    let r = build(&config, &live, &[]);
    let a = row(&r, "a");
    assert_eq!(
        (a.stage, a.waits_on),
        (Stage::IdentityCreated, WaitsOn::Platform)
    );
    assert_eq!(a.days_in_stage, Some(6));

    // The records notice went out on 2026-11-21: the IT staff have them.
    let notices = [sent("a", NoticeKind::Records, "2026-11-21")];
    let r = build(&config, &live, &notices);
    let a = row(&r, "a");
    assert_eq!(
        (a.stage, a.waits_on),
        (Stage::RecordsSent, WaitsOn::ItStaff)
    );
    assert_eq!(a.days_in_stage, Some(5));
    assert_eq!(
        a.last_notice,
        Some(SentNotice {
            kind: NoticeKind::Records,
            date: "2026-11-21".into()
        })
    );
    assert_eq!(a.urgency, Urgency::Waiting);

    // A claimed notice the relay never confirmed is not "sent".
    let mut claimed = sent("a", NoticeKind::Records, "2026-11-21");
    claimed.state = EntryState::Claimed;
    claimed.sent_at = None;
    assert_eq!(
        row(&build(&config, &live, &[claimed]), "a").stage,
        Stage::IdentityCreated
    );

    // The records resolve: SES is looking; nothing says since when the records are there.
    live.libraries = vec![observed(
        "a",
        "ses-domain",
        Some("a.example.org"),
        "dns::present",
    )];
    let a = build(&config, &live, &notices).rows[0].clone();
    assert_eq!((a.stage, a.waits_on), (Stage::RecordsInDns, WaitsOn::Aws));
    assert_eq!(a.days_in_stage, None);

    // Verified: done, dated by the verified notice.
    live.ses.identities = vec![identity("a.example.org", "SUCCESS", "2026-11-20")];
    let notices = [
        sent("a", NoticeKind::Records, "2026-11-21"),
        sent("a", NoticeKind::Verified, "2026-11-24"),
    ];
    let a = build(&config, &live, &notices).rows[0].clone();
    assert_eq!(
        (a.stage, a.waits_on, a.urgency),
        (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
    );
    assert_eq!(a.days_in_stage, Some(2));
    assert_eq!(a.last_notice.unwrap().kind, NoticeKind::Verified);
    assert_eq!(a.reason, None);
}

#[test]
fn another_librarys_notices_do_not_count() {
    let config = config_of(&[("a", ses("a", None)), ("b", ses("b", None))]);
    let mut live = empty_live();
    live.ses.identities = vec![
        identity("a.example.org", "PENDING", "2026-11-20"),
        identity("b.example.org", "PENDING", "2026-11-20"),
    ];
    let r = build(
        &config,
        &live,
        &[sent("a", NoticeKind::Records, "2026-11-21")],
    );
    assert_eq!(row(&r, "a").stage, Stage::RecordsSent);
    assert_eq!(row(&r, "b").stage, Stage::IdentityCreated);
    assert_eq!(row(&r, "b").last_notice, None);
}

#[test]
fn smtp_and_managed_domain_stages() {
    let config = config_of(&[("m", managed("m")), ("s", smtp("s")), ("t", smtp("t"))]);
    let mut live = empty_live();
    let mut probed = observed("s", "smtp-account", None, "");
    probed.smtp_probe = Some(ProbeV1 {
        taken_at: "2026-11-26T03:00:00Z".into(),
        verdict: "pass".into(),
        codes: vec![],
        certificate_expires: None,
    });
    live.libraries = vec![probed, observed("t", "smtp-account", None, "")];
    live.registrar.operations = vec![OperationV1 {
        id: "op-1".into(),
        domain: Some("m-mail.example".into()),
        kind: "REGISTER_DOMAIN".into(),
        status: "IN_PROGRESS".into(),
        submitted: Some("2026-11-23T08:00:00Z".into()),
        tags: Some(BTreeMap::from([
            ("managed-by".to_string(), "mailform".to_string()),
            ("library".to_string(), "m".to_string()),
        ])),
    }];
    let r = build(&config, &live, &[]);
    let s = row(&r, "s");
    assert_eq!(
        (s.stage, s.waits_on, s.urgency),
        (Stage::ProbePassing, WaitsOn::Nobody, Urgency::Done)
    );
    // Never probed (the password variable is unset): the platform must set it.
    let t = row(&r, "t");
    assert_eq!(
        (t.stage, t.waits_on),
        (Stage::AccountGiven, WaitsOn::Platform)
    );
    // The registration is dated by its submission; the plan also creates the identity and
    // its records meanwhile, so an apply (the platform) is what it waits on first.
    let m = row(&r, "m");
    assert_eq!(
        (m.stage, m.waits_on),
        (Stage::DomainBeingBought, WaitsOn::Platform)
    );
    assert_eq!(m.days_in_stage, Some(3));

    // Registered, no identity yet: bought, and the platform's apply writes the rest.
    live.registrar.operations.clear();
    live.registrar.domains = vec![DomainV1 {
        name: "m-mail.example".into(),
        auto_renew: Some(true),
        transfer_lock: Some(true),
        expiry: Some("2027-11-23T08:00:00Z".into()),
        created: None,
        statuses: vec![],
        name_servers: vec![],
        tags: BTreeMap::new(),
    }];
    let r = build(
        &config,
        &live,
        &[sent("m", NoticeKind::DomainBought, "2026-11-24")],
    );
    let m = row(&r, "m");
    assert_eq!(
        (m.stage, m.waits_on),
        (Stage::DomainBought, WaitsOn::Platform)
    );
    assert_eq!(m.days_in_stage, Some(2));

    // Counts list every stage of each method in use, zeros too.
    let smtp: Vec<(Stage, usize)> = r
        .counts
        .iter()
        .filter(|c| c.method == Method::SmtpAccount)
        .map(|c| (c.stage, c.count))
        .collect();
    assert_eq!(smtp, [(Stage::AccountGiven, 1), (Stage::ProbePassing, 1)]);
    assert_eq!(r.counts.len(), 2 + 5);
}

#[test]
fn failing_then_late_then_waiting_longest() {
    let config = config_of(&[
        ("early", ses("early", Some("2027-06-01"))),
        ("late", ses("late", Some("2026-12-01"))),
        ("old", ses("old", Some("2027-06-01"))),
        ("broken", ses("broken", Some("2027-06-01"))),
        ("done", ses("done", None)),
    ]);
    let mut live = empty_live();
    live.ses.identities = vec![
        identity("early.example.org", "PENDING", "2026-11-25"),
        identity("late.example.org", "PENDING", "2026-11-25"),
        identity("old.example.org", "PENDING", "2026-10-01"),
        identity("broken.example.org", "FAILED", "2026-11-01"),
        identity("done.example.org", "SUCCESS", "2026-11-01"),
    ];
    let r = build(&config, &live, &[]);
    let order: Vec<&str> = r.rows.iter().map(|r| r.library.as_str()).collect();
    assert_eq!(order, ["broken", "late", "old", "early", "done"]);
    let broken = row(&r, "broken");
    assert_eq!(broken.urgency, Urgency::Failing);
    assert!(
        broken
            .reason
            .as_deref()
            .unwrap()
            .contains("gave up verifying"),
        "{:?}",
        broken.reason
    );
    let late = row(&r, "late");
    assert_eq!((late.urgency, late.days_left), (Urgency::Late, Some(5)));
    assert!(
        late.reason.as_deref().unwrap().contains("notice period"),
        "{:?}",
        late.reason
    );
    assert_eq!(row(&r, "old").days_in_stage, Some(56));
    // Waiting without a fault: the reason says what for.
    assert_eq!(
        row(&r, "early").reason.as_deref(),
        Some("waits on the platform: no records notice sent yet: `mailform notify` sends it")
    );
    assert_eq!(r.notice_period_days, 14);
}

/// A managed domain at the end of its path as mailform leaves it: registered and tagged, its
/// zone holding the DKIM records, its identity verified. `transfer` names the receiving
/// account the library file asks for.
fn converged_managed(transfer: Option<&str>) -> (Config, LiveSnapshotV1) {
    let mut text = managed("m");
    if let Some(account) = transfer {
        text = text.replace(
            "        auto-renew #true\n",
            &format!("        auto-renew #true\n        transfer-to-aws-account \"{account}\"\n"),
        );
    }
    let config = config_of(&[("m", text)]);
    let mut live = empty_live();
    let tags = BTreeMap::from([
        ("managed-by".to_string(), "mailform".to_string()),
        ("library".to_string(), "m".to_string()),
    ]);
    live.registrar.domains = vec![DomainV1 {
        name: "m-mail.example".into(),
        auto_renew: Some(true),
        transfer_lock: Some(true),
        expiry: Some("2027-11-23T08:00:00Z".into()),
        created: None,
        statuses: vec![],
        name_servers: vec![],
        tags: tags.clone(),
    }];
    let mut verified = identity("m-mail.example", "SUCCESS", "2026-11-23");
    verified.tags.insert("library".into(), "m".into());
    live.ses.identities = vec![verified];
    live.libraries = vec![observed(
        "m",
        "managed-domain",
        Some("m-mail.example"),
        "dns::present",
    )];
    live.route53.hosted_zones = vec![ZoneV1 {
        id: "Z1".into(),
        name: "m-mail.example".into(),
        private: false,
        tags,
        records: (1..=3)
            .map(|t| RecordV1 {
                name: format!("t{t}._domainkey.m-mail.example"),
                rtype: "CNAME".into(),
                ttl: Some(1800),
                values: vec![format!("t{t}.dkim.amazonses.com")],
                alias_target: None,
            })
            .collect(),
    }];
    (config, live)
}

fn operation(kind: &str, status: &str, submitted: &str) -> OperationV1 {
    OperationV1 {
        id: format!("op-{}", kind.to_ascii_lowercase()),
        domain: Some("m-mail.example".into()),
        kind: kind.into(),
        status: status.into(),
        submitted: Some(format!("{submitted}T08:00:00Z")),
        tags: None,
    }
}

#[test]
fn a_verified_managed_domain_waits_on_nobody_and_its_finished_operations_are_history() {
    let (config, mut live) = converged_managed(None);
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!(
        (m.stage, m.waits_on, m.urgency),
        (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
    );

    // The domain has left this account (its transfer to the library's account was
    // accepted), so the plan lists its registration again, finished: only history.
    live.registrar.domains.clear();
    live.registrar.operations = vec![
        operation("REGISTER_DOMAIN", "SUCCESSFUL", "2026-11-02"),
        operation("INTERNAL_TRANSFER_OUT_DOMAIN", "SUCCESSFUL", "2026-11-20"),
    ];
    let r = build(&config, &live, &[]);
    let plan = &planner::plan(
        &config,
        &live,
        &PlanOptions {
            today: today(),
            handover_grace: planner::HANDOVER_GRACE_SECS,
        },
    )
    .libraries[0];
    assert!(
        plan.in_progress
            .iter()
            .any(|p| matches!(p, Progress::Operation { status, .. } if status == "SUCCESSFUL")),
        "the case needs a finished operation in the plan: {plan:#?}"
    );
    let m = row(&r, "m");
    assert_eq!(
        (m.stage, m.waits_on, m.urgency),
        (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
    );
}

#[test]
fn a_transfer_to_the_librarys_account_waits_on_its_it_staff_to_accept() {
    let (config, mut live) = converged_managed(Some("111122223333"));
    // Not started yet: the platform's apply starts it.
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!((m.stage, m.waits_on), (Stage::Verified, WaitsOn::Platform));

    // Started, its password kept: the receiving account must accept it, not AWS.
    let op = operation("INTERNAL_TRANSFER_OUT_DOMAIN", "IN_PROGRESS", "2026-11-25");
    live.registrar.domains[0].tags.insert(
        crate::live::ownership::SECRET_KEPT_KEY.into(),
        op.id.clone(),
    );
    live.registrar.operations = vec![operation("REGISTER_DOMAIN", "SUCCESSFUL", "2026-11-02"), op];
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!(
        (m.stage, m.waits_on, m.urgency),
        (Stage::Verified, WaitsOn::ItStaff, Urgency::Waiting)
    );
    assert_eq!(WaitsOn::ItStaff.label(), "the library's IT staff");

    // A lock change for a handover to another registrar is AWS's to finish.
    let (config, mut live) = converged_managed(None);
    let text = managed("m").replace(
        "        auto-renew #true\n",
        "        auto-renew #true\n        transfer-to-registrar\n",
    );
    let config_registrar = config_of(&[("m", text)]);
    live.registrar.operations = vec![operation("DOMAIN_LOCK", "SUBMITTED", "2026-11-25")];
    let m = build(&config_registrar, &live, &[]).rows[0].clone();
    assert_eq!(
        (m.stage, m.waits_on, m.urgency),
        (Stage::Verified, WaitsOn::Aws, Urgency::Waiting)
    );
    // The same facts without the handover: the lock change is nobody's business here.
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!((m.stage, m.waits_on), (Stage::Verified, WaitsOn::Nobody));
}

#[test]
fn a_managed_domain_is_being_bought_until_route53_domains_says_it_is_registered() {
    // SES may see the records in the zone mailform wrote before the registration is done
    // (the sandbox does): the domain is still being bought, and AWS is who it waits on.
    let (config, mut live) = converged_managed(None);
    live.registrar.domains.clear();
    live.registrar.operations = vec![operation("REGISTER_DOMAIN", "SUBMITTED", "2026-11-25")];
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!(
        (m.stage, m.waits_on, m.urgency, m.days_in_stage),
        (
            Stage::DomainBeingBought,
            WaitsOn::Aws,
            Urgency::Waiting,
            Some(1)
        )
    );

    // A failed registration is history: not "being bought".
    live.ses.identities.clear();
    live.registrar.operations = vec![operation("REGISTER_DOMAIN", "FAILED", "2026-11-25")];
    let m = build(&config, &live, &[]).rows[0].clone();
    assert_eq!(m.stage, Stage::DomainToBuy);
}
