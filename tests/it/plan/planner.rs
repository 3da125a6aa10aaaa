//! Table-driven plan tests: library files and a live snapshot in, a plan out (snapshot-tested
//! in the terminal form, with the essentials asserted).

use mailform::config::{self, AnalyzeOptions};
use mailform::live::snapshot::LiveSnapshotV1;
use mailform::model::{Config, Date};
use mailform::plan::planner::{PlanOptions, plan};
use mailform::plan::{Level, Op, Plan, ResourceKind};
use mailform::render::plan::{GITHUB_COMMENT_LIMIT, Style, to_json, to_markdown, to_text};
use mailform::source::{SourceFile, SourceSet};
use serde_json::{Value, json};

use crate::snap;
use crate::support::cli::PLATFORM;

const TODAY: &str = "2026-11-26";

fn config(libraries: &[(&str, &str)]) -> Config {
    let mut sources = SourceSet::default();
    sources.add(SourceFile::new(
        "libraries/_platform.kdl",
        PLATFORM.to_string(),
    ));
    for (id, text) in libraries {
        sources.add(SourceFile::new(
            format!("libraries/{id}.kdl"),
            text.to_string(),
        ));
    }
    let analysis = config::analyze(
        &mut sources,
        &AnalyzeOptions {
            today: Date::parse(TODAY).unwrap(),
        },
    );
    analysis
        .config
        .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics))
}

fn ses_library(id: &str, domain: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{domain}\"\n    launch \"2026-12-05\"\n\n    ses-domain {{\n        from \"noreply@{domain}\"\n{extra}    }}\n}}\n"
    )
}

fn smtp_library(id: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    smtp-account {{\n        host \"smtp.{id}.example.org\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_{}\"\n        from \"notices@{id}.example.org\"\n    }}\n}}\n",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

fn managed_library(id: &str, domain: &str, extra: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{domain}\"\n        from \"noreply@{domain}\"\n        price-cap 15.00\n{extra}    }}\n}}\n"
    )
}

/// An empty live world, to be filled by each case.
fn live() -> Value {
    json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true, "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [], "configuration_sets": [] },
        "registrar": { "domains": [], "operations": [], "availability": [], "prices": [] },
        "route53": { "hosted_zones": [] },
        "libraries": []
    })
}

fn identity(name: &str, status: &str, library: Option<&str>) -> Value {
    let mut tags = serde_json::Map::new();
    if let Some(l) = library {
        tags.insert("managed-by".into(), json!("mailform"));
        tags.insert("library".into(), json!(l));
        tags.insert("cost-center".into(), json!("library-mail"));
    }
    json!({
        "name": name, "kind": "DOMAIN", "verification_status": status,
        "verified_for_sending": status == "SUCCESS", "verification_error": null,
        "dkim": { "signing_enabled": true, "status": status, "tokens": ["tok1", "tok2", "tok3"],
                  "signing_hosted_zone": "dkim.amazonses.com", "origin": "AWS_SES",
                  "current_key_length": "RSA_2048_BIT", "next_key_length": "RSA_2048_BIT", "last_key_generation": null },
        "mail_from": null, "configuration_set": null, "tags": tags
    })
}

/// The tags mailform puts on what it makes for `library` under the test platform.
fn ours(library: &str) -> Value {
    json!({ "managed-by": "mailform", "library": library, "cost-center": "library-mail" })
}

fn dkim_checks(domain: &str, verdicts: [&str; 3]) -> Value {
    let checks: Vec<Value> = ["tok1", "tok2", "tok3"]
        .iter()
        .zip(verdicts)
        .map(|(t, v)| json!({
            "name": format!("{t}._domainkey.{domain}"), "type": "CNAME",
            "expected": format!("{t}.dkim.amazonses.com"), "verdict": v,
            "detail": if v == "dns::present" || v == "dns::missing" { Value::Null } else { json!(format!("{v} found")) }
        }))
        .collect();
    json!(checks)
}

fn observed(id: &str, method: &str, dkim: Value, probe: Value) -> Value {
    json!({
        "id": id, "method": method, "identity": null,
        "dns": if dkim.is_null() { Value::Null } else { json!({
            "dkim": dkim, "mail_from": [],
            "spf": { "finding": "absent", "detail": null }, "dmarc": { "finding": "absent", "detail": null },
            "observations": [] }) },
        "smtp_probe": probe, "notes": []
    })
}

fn run(config: &Config, live: Value) -> Plan {
    let live: LiveSnapshotV1 = serde_json::from_value(live).expect("a valid snapshot");
    plan(
        config,
        &live,
        &PlanOptions {
            today: Date::parse(TODAY).unwrap(),
            handover_grace: mailform::plan::planner::HANDOVER_GRACE_SECS,
        },
    )
}

/// Every case is snapshot in all three formats, so each change kind and finding is seen in
/// each of them.
fn check(name: &str, plan: &Plan) {
    snap!("plan/planner", name, to_text(plan, Style { color: false }));
    snap!(
        "plan/planner",
        format!("{name}.md"),
        to_markdown(plan, GITHUB_COMMENT_LIMIT)
    );
    let json = to_json(plan);
    let value: Value = serde_json::from_str(&json).expect("the plan's JSON parses");
    crate::support::json_schema::assert_valid("plan.schema.json", &value);
    snap!("plan/planner", format!("{name}.json"), json);
}

#[test]
fn method1_from_nothing_creates_the_identity() {
    let c = config(&[(
        "springfield",
        &ses_library(
            "springfield",
            "springfield.example.org",
            "        mail-from \"bounce.springfield.example.org\"\n",
        ),
    )]);
    let p = run(&c, live());
    let l = &p.libraries[0];
    assert_eq!(
        (l.changes[0].op, l.changes[0].kind),
        (Op::Create, ResourceKind::SesIdentity)
    );
    assert_eq!(l.actions[0].code, "dns::records-after-apply");
    // Launch on 2026-12-05 is 9 days away: not ready inside the notice period is an error.
    assert_eq!(l.readiness.level, Level::Error);
    check("method1-from-nothing", &p);
}

#[test]
fn method1_pending_with_two_of_three_records() {
    let c = config(&[(
        "springfield",
        &ses_library("springfield", "springfield.example.org", ""),
    )]);
    let mut l = live();
    l["ses"]["identities"] = json!([identity(
        "springfield.example.org",
        "PENDING",
        Some("springfield")
    )]);
    l["libraries"] = json!([observed(
        "springfield",
        "ses-domain",
        dkim_checks(
            "springfield.example.org",
            ["dns::present", "dns::present", "dns::missing"]
        ),
        Value::Null
    )]);
    l["ses"]["identities"][0]["dkim"]["last_key_generation"] = json!("2026-11-25T10:00:00Z");
    let p = run(&c, l);
    let lib = &p.libraries[0];
    assert!(lib.changes.is_empty(), "{:?}", lib.changes);
    assert_eq!(lib.actions[0].code, "dns::partial");
    match &lib.in_progress[0] {
        mailform::plan::Progress::Verification {
            since, gives_up_at, ..
        } => {
            assert_eq!(since.as_deref(), Some("2026-11-25T10:00:00Z"));
            assert_eq!(gives_up_at.as_deref(), Some("2026-11-28T10:00:00Z"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(lib.actions[0].records[2].host, "tok3._domainkey");
    assert_eq!(lib.in_progress.len(), 1);
    check("method1-pending-partial", &p);
}

#[test]
fn method1_converged_plans_nothing_and_is_ready() {
    let c = config(&[(
        "springfield",
        &ses_library("springfield", "springfield.example.org", ""),
    )]);
    let mut l = live();
    l["ses"]["identities"] = json!([identity(
        "springfield.example.org",
        "SUCCESS",
        Some("springfield")
    )]);
    l["libraries"] = json!([observed(
        "springfield",
        "ses-domain",
        dkim_checks("springfield.example.org", ["dns::present"; 3]),
        Value::Null
    )]);
    let p = run(&c, l);
    assert!(!p.has_changes());
    assert!(p.libraries[0].readiness.ready);
    check("method1-converged", &p);
}

#[test]
fn method1_named_dns_mistake_and_key_length_drift() {
    let c = config(&[(
        "springfield",
        &ses_library(
            "springfield",
            "springfield.example.org",
            "        dkim-key-length 1024\n",
        ),
    )]);
    let mut l = live();
    l["ses"]["identities"] = json!([identity(
        "springfield.example.org",
        "PENDING",
        Some("springfield")
    )]);
    l["libraries"] = json!([observed(
        "springfield",
        "ses-domain",
        dkim_checks(
            "springfield.example.org",
            ["dns::present", "dns::domain-twice", "dns::missing"]
        ),
        Value::Null
    )]);
    let p = run(&c, l);
    let lib = &p.libraries[0];
    assert_eq!(lib.changes[0].op, Op::Update);
    assert_eq!(
        lib.changes[0].attributes[0].new.as_deref(),
        Some("RSA_1024_BIT")
    );
    assert_eq!(lib.actions[0].code, "dns::domain-twice");
    check("method1-mistake-and-drift", &p);
}

#[test]
fn an_identity_mailform_did_not_create_is_left_alone_unless_adopted() {
    let c = config(&[(
        "springfield",
        &ses_library("springfield", "springfield.example.org", ""),
    )]);
    let mut l = live();
    l["ses"]["identities"] = json!([identity("springfield.example.org", "SUCCESS", None)]);
    let p = run(&c, l.clone());
    assert!(!p.has_changes());
    assert_eq!(p.libraries[0].actions[0].code, "ses::identity-not-managed");
    check("not-managed", &p);

    let c = config(&[(
        "springfield",
        &ses_library(
            "springfield",
            "springfield.example.org",
            "        adopt #true\n",
        ),
    )]);
    let p = run(&c, l);
    let change = &p.libraries[0].changes[0];
    assert_eq!(
        (change.op, change.attributes[0].name.as_str()),
        (Op::Update, "tags")
    );
    check("adopted", &p);
}

#[test]
fn switching_methods_and_removing_libraries_plan_deletions_apart() {
    let c = config(&[("shelbyville", &smtp_library("shelbyville"))]);
    let mut l = live();
    l["ses"]["identities"] = json!([
        identity("shelbyville.example.org", "SUCCESS", Some("shelbyville")),
        identity("gone.example.org", "SUCCESS", Some("ogdenville")),
        identity("legacy.example.org", "SUCCESS", None),
    ]);
    l["libraries"] = json!([observed(
        "shelbyville",
        "smtp-account",
        Value::Null,
        json!({
            "taken_at": "2026-11-26T09:00:00Z", "verdict": "fail",
            "codes": ["smtp::connect::ok", "smtp::tls::ok", "smtp::auth::bad_credentials", "smtp::sender::skipped"]
        })
    )]);
    let p = run(&c, l);
    assert_eq!(p.totals().destroy, 2);
    let shelbyville = &p.libraries[0];
    assert_eq!(shelbyville.deletions[0].name, "shelbyville.example.org");
    assert!(shelbyville.changes.is_empty());
    assert_eq!(shelbyville.actions[0].code, "smtp::auth::bad_credentials");
    assert_eq!(p.libraries[1].library, "ogdenville");
    assert_eq!(p.unmanaged[0].name, "legacy.example.org");
    check("switch-and-remove", &p);
}

#[test]
fn method3_buys_within_the_cap_and_refuses_above_it() {
    let c = config(&[(
        "ogdenville",
        &managed_library("ogdenville", "ogdenville-mail.example", ""),
    )]);
    let mut l = live();
    l["registrar"]["availability"] =
        json!([{ "domain": "ogdenville-mail.example", "answer": "AVAILABLE" }]);
    l["registrar"]["prices"] =
        json!([{ "tld": "example", "registration": 13.0, "renewal": 13.0, "currency": "USD" }]);
    let p = run(&c, l.clone());
    let buy = &p.libraries[0].changes[0];
    assert_eq!(buy.kind, ResourceKind::DomainRegistration);
    assert_eq!(buy.cost.unwrap().yearly_cents, 1300);
    check("method3-buy", &p);
    // The yearly charge passed through to the library: the renewal price.
    assert_eq!(
        p.libraries[0].yearly_cost.map(|c| c.yearly_cents),
        Some(1300)
    );

    l["registrar"]["prices"][0]["registration"] = json!(16.5);
    let p = run(&c, l.clone());
    assert!(
        !p.libraries[0]
            .changes
            .iter()
            .any(|c| c.kind == ResourceKind::DomainRegistration)
    );
    assert_eq!(p.libraries[0].actions[0].code, "registrar::over-price-cap");
    check("method3-over-cap", &p);

    l["registrar"]["availability"][0]["answer"] = json!("UNAVAILABLE_PREMIUM");
    let p = run(&c, l);
    assert_eq!(p.libraries[0].actions[0].code, "registrar::unavailable");
    check("method3-unavailable", &p);
}

#[test]
fn method3_registered_writes_its_records_and_follows_renewal_and_transfer() {
    let c = config(&[(
        "ogdenville",
        &managed_library(
            "ogdenville",
            "ogdenville-mail.example",
            "        auto-renew #false\n        transfer-to-aws-account \"111122223333\"\n",
        ),
    )]);
    let mut l = live();
    l["registrar"]["domains"] = json!([{ "name": "ogdenville-mail.example", "auto_renew": true, "transfer_lock": true,
        "expiry": null, "statuses": [], "name_servers": [], "tags": ours("ogdenville") }]);
    l["ses"]["identities"] = json!([identity(
        "ogdenville-mail.example",
        "PENDING",
        Some("ogdenville")
    )]);
    l["route53"]["hosted_zones"] = json!([{ "id": "Z1", "name": "ogdenville-mail.example", "private": false, "tags": {},
        "records": [{ "name": "tok1._domainkey.ogdenville-mail.example", "type": "CNAME", "ttl": 300,
                      "values": ["tok1.dkim.amazonses.com"], "alias_target": null },
                    { "name": "tok2._domainkey.ogdenville-mail.example", "type": "CNAME", "ttl": 300,
                      "values": ["old.dkim.amazonses.com"], "alias_target": null }] }]);
    let p = run(&c, l);
    let ops: Vec<(Op, ResourceKind)> = p.libraries[0]
        .changes
        .iter()
        .map(|c| (c.op, c.kind))
        .collect();
    assert_eq!(
        ops,
        [
            (Op::Update, ResourceKind::DomainAutoRenew),
            (Op::Create, ResourceKind::DomainTransfer),
            (Op::Update, ResourceKind::DnsRecord),
            (Op::Create, ResourceKind::DnsRecord),
        ]
    );
    check("method3-registered", &p);
}

#[test]
fn method3_a_domain_that_will_not_renew_is_called_out_before_it_lapses() {
    // Today is 2026-11-26. Auto-renew off (as the files ask) for the first three; the fourth
    // renews, so its near expiry is nobody's concern.
    let cases = [
        ("soon", "2026-12-31", "        auto-renew #false\n"),
        (
            "last-week",
            "2026-11-30",
            "        auto-renew #false\n        transfer-to-registrar\n",
        ),
        ("lapsed", "2026-11-20", "        auto-renew #false\n"),
        ("renews", "2026-11-30", "        auto-renew #true\n"),
    ];
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(id, _, extra)| {
            (
                id.to_string(),
                managed_library(id, &format!("{id}-mail.example"), extra),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(id, text)| (id.as_str(), text.as_str()))
        .collect();
    let c = config(&refs);
    let mut l = live();
    l["registrar"]["domains"] = json!(
        cases
            .iter()
            .map(|(id, expiry, extra)| json!({
                "name": format!("{id}-mail.example"), "auto_renew": extra.contains("#true"),
                "transfer_lock": !extra.contains("transfer-to-registrar"),
                "expiry": format!("{expiry}T00:00:00Z"),
                "statuses": [], "name_servers": [], "tags": ours(id)
            }))
            .collect::<Vec<_>>()
    );
    l["ses"]["identities"] = json!(
        cases
            .iter()
            .map(|(id, _, _)| identity(&format!("{id}-mail.example"), "SUCCESS", Some(id)))
            .collect::<Vec<_>>()
    );
    let p = run(&c, l);
    let found: Vec<(String, Vec<(String, Level)>)> = p
        .libraries
        .iter()
        .map(|lib| {
            (
                lib.library.clone(),
                lib.actions
                    .iter()
                    .filter(|a| a.code.starts_with("domain::"))
                    .map(|a| (a.code.clone(), a.level))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "soon".to_string(),
                vec![("domain::expires-soon".to_string(), Level::Warning)]
            ),
            (
                "last-week".to_string(),
                vec![("domain::expires-soon".to_string(), Level::Error)]
            ),
            (
                "lapsed".to_string(),
                vec![("domain::expired".to_string(), Level::Error)]
            ),
            ("renews".to_string(), vec![]),
        ]
    );
    check("method3-expiry", &p);
}

#[test]
fn method3_registration_in_flight_is_progress_not_a_second_purchase() {
    let c = config(&[(
        "ogdenville",
        &managed_library("ogdenville", "ogdenville-mail.example", ""),
    )]);
    let mut l = live();
    l["registrar"]["operations"] = json!([{ "id": "op-1", "domain": "ogdenville-mail.example", "type": "REGISTER_DOMAIN",
        "status": "IN_PROGRESS", "submitted": "2026-11-26T08:00:00Z" }]);
    l["registrar"]["availability"] =
        json!([{ "domain": "ogdenville-mail.example", "answer": "PENDING" }]);
    let p = run(&c, l);
    assert!(
        !p.libraries[0]
            .changes
            .iter()
            .any(|c| c.kind == ResourceKind::DomainRegistration)
    );
    assert_eq!(p.libraries[0].in_progress.len(), 1);
    check("method3-in-flight", &p);
}

#[test]
fn method2_without_a_probe_is_not_ready() {
    let c = config(&[("shelbyville", &smtp_library("shelbyville"))]);
    let p = run(&c, live());
    assert_eq!(p.libraries[0].actions[0].code, "smtp::not-probed");
    assert!(!p.libraries[0].readiness.ready);
    check("method2-not-probed", &p);
}

#[test]
fn vanished_records_and_failed_verification_are_errors() {
    let c = config(&[(
        "springfield",
        &ses_library("springfield", "springfield.example.org", ""),
    )]);
    for (status, code) in [
        ("TEMPORARY_FAILURE", "ses::temporary-failure"),
        ("FAILED", "ses::verification-failed"),
    ] {
        let mut l = live();
        l["ses"]["identities"] = json!([identity(
            "springfield.example.org",
            status,
            Some("springfield")
        )]);
        l["libraries"] = json!([observed(
            "springfield",
            "ses-domain",
            dkim_checks(
                "springfield.example.org",
                ["dns::present", "dns::missing", "dns::missing"]
            ),
            Value::Null
        )]);
        let p = run(&c, l);
        let codes: Vec<&str> = p.libraries[0]
            .actions
            .iter()
            .map(|a| a.code.as_str())
            .collect();
        assert!(codes.contains(&code), "{codes:?}");
        assert_eq!(p.libraries[0].readiness.level, Level::Error);
        check(&status.to_ascii_lowercase(), &p);
    }
}

#[test]
fn a_custom_mail_from_with_wrong_records() {
    let c = config(&[(
        "springfield",
        &ses_library(
            "springfield",
            "springfield.example.org",
            "        mail-from \"bounce.springfield.example.org\"\n",
        ),
    )]);
    let mut l = live();
    l["ses"]["identities"] = json!([identity(
        "springfield.example.org",
        "SUCCESS",
        Some("springfield")
    )]);
    let mut obs = observed(
        "springfield",
        "ses-domain",
        dkim_checks("springfield.example.org", ["dns::present"; 3]),
        Value::Null,
    );
    obs["dns"]["mail_from"] = json!([
        { "name": "bounce.springfield.example.org", "type": "MX", "expected": "10 feedback-smtp.us-east-1.amazonses.com",
          "verdict": "dns::mail-from-mx", "detail": "10 mail.springfield.example.org" },
        { "name": "bounce.springfield.example.org", "type": "TXT", "expected": "v=spf1 include:amazonses.com ~all",
          "verdict": "dns::present", "detail": null }
    ]);
    l["libraries"] = json!([obs]);
    let p = run(&c, l);
    let lib = &p.libraries[0];
    assert_eq!(lib.changes[0].attributes[0].name, "mail-from-domain");
    assert_eq!(lib.actions[0].code, "dns::mail-from");
    assert_eq!(lib.actions[0].records[0].host, "bounce");
    check("mail-from-wrong", &p);
}

/// A registered managed domain `ogdenville-mail.example` with these tags, its identity verified
/// and its records in place, for the ownership and handover cases.
fn handover_world(tags: Value, lock: bool, operations: Value) -> Value {
    let mut l = live();
    l["registrar"]["domains"] = json!([{ "name": "ogdenville-mail.example", "auto_renew": true,
        "transfer_lock": lock, "expiry": null, "statuses": [], "name_servers": [], "tags": tags }]);
    l["registrar"]["operations"] = operations;
    l["ses"]["identities"] = json!([identity(
        "ogdenville-mail.example",
        "SUCCESS",
        Some("ogdenville")
    )]);
    let records: Vec<Value> = ["tok1", "tok2", "tok3"]
        .iter()
        .map(|t| {
            json!({
            "name": format!("{t}._domainkey.ogdenville-mail.example"), "type": "CNAME", "ttl": 1800,
            "values": [format!("{t}.dkim.amazonses.com")], "alias_target": null })
        })
        .collect();
    l["route53"]["hosted_zones"] = json!([{ "id": "Z1", "name": "ogdenville-mail.example", "private": false,
        "tags": {}, "records": records }]);
    l
}

/// A library plan's changes and its actions' codes.
type Outline = (Vec<(Op, ResourceKind)>, Vec<(String, Level)>);

fn changes_and_codes(p: &Plan) -> Outline {
    let l = &p.libraries[0];
    (
        l.changes.iter().map(|c| (c.op, c.kind)).collect(),
        l.actions
            .iter()
            .map(|a| (a.code.clone(), a.level))
            .collect(),
    )
}

#[test]
fn method3_a_domain_mailform_did_not_buy_is_read_only_until_adopted() {
    let wants = |extra: &str| {
        config(&[(
            "ogdenville",
            &managed_library("ogdenville", "ogdenville-mail.example", extra),
        )])
    };
    // Registered by hand (no tags), and the file asks for a handover and auto-renew off: nothing
    // is planned on it, not even an identity or records, and the plan says why.
    let handover = "        auto-renew #false\n        transfer-to-aws-account \"111122223333\"\n";
    let mut untagged = handover_world(json!({ "owner": "marketing" }), true, json!([]));
    untagged["ses"]["identities"] = json!([]);
    untagged["route53"]["hosted_zones"] = json!([]);
    let p = run(&wants(handover), untagged.clone());
    assert_eq!(
        changes_and_codes(&p),
        (
            vec![],
            vec![("registrar::domain-not-managed".to_string(), Level::Error)]
        )
    );
    check("method3-not-ours", &p);

    // With `adopt #true` it is tagged first, then changed.
    let p = run(
        &wants(&format!("{handover}        adopt #true\n")),
        untagged,
    );
    assert_eq!(
        changes_and_codes(&p).0,
        [
            (Op::Update, ResourceKind::DomainTags),
            (Op::Update, ResourceKind::DomainAutoRenew),
            (Op::Create, ResourceKind::DomainTransfer),
            (Op::Create, ResourceKind::SesIdentity),
            (Op::Create, ResourceKind::DnsRecord),
        ]
    );
    check("method3-adopted", &p);
}

#[test]
fn a_renamed_library_file_retags_its_identity_and_domain_and_deletes_nothing() {
    // `ogdenville.kdl` became `ogdenville-public.kdl`: the identity and the domain carry the old
    // id, and the new library declares them.
    let c = config(&[(
        "ogdenville-public",
        &managed_library("ogdenville-public", "ogdenville-mail.example", ""),
    )]);
    let p = run(&c, handover_world(ours("ogdenville"), true, json!([])));
    let l = &p.libraries[0];
    assert_eq!(l.library, "ogdenville-public");
    assert!(l.deletions.is_empty(), "{:#?}", l.deletions);
    assert_eq!(
        p.libraries.len(),
        1,
        "no plan for the old id: {:#?}",
        p.libraries
    );
    assert_eq!(
        changes_and_codes(&p).0,
        [
            (Op::Update, ResourceKind::DomainTags),
            (Op::Update, ResourceKind::SesIdentity),
        ]
    );
    check("renamed", &p);
}

#[test]
fn a_transfer_whose_password_was_kept_is_waited_on_and_one_whose_password_was_lost_is_restarted() {
    let c = config(&[(
        "ogdenville",
        &managed_library(
            "ogdenville",
            "ogdenville-mail.example",
            "        transfer-to-aws-account \"111122223333\"\n",
        ),
    )]);
    let under_way = json!([{ "id": "op-7", "domain": "ogdenville-mail.example",
        "type": "INTERNAL_TRANSFER_OUT_DOMAIN", "status": "IN_PROGRESS", "submitted": "2026-11-26T08:00:00Z" }]);
    let mut kept = ours("ogdenville");
    kept["mailform-handover-intent"] = json!("transfer-to-111122223333@1795680000");
    kept["mailform-secret-kept"] = json!("op-7");
    let p = run(&c, handover_world(kept.clone(), true, under_way.clone()));
    assert_eq!(changes_and_codes(&p), (vec![], vec![]));
    assert_eq!(p.libraries[0].in_progress.len(), 1);

    // The apply that started it was killed before the password was kept (the intent tag is
    // there, the kept tag is not, or names an older transfer), an hour before this plan.
    kept["mailform-secret-kept"] = json!("op-6");
    let p = run(&c, handover_world(kept.clone(), true, under_way.clone()));
    assert_eq!(
        changes_and_codes(&p),
        (
            vec![(Op::Replace, ResourceKind::DomainTransfer)],
            vec![(
                "registrar::transfer-password-lost".to_string(),
                Level::Error
            )]
        )
    );
    check("transfer-password-lost", &p);

    // Five minutes before this plan (inside the grace period): an apply may still be keeping
    // it, so the plan waits instead of cancelling another apply's transfer.
    kept["mailform-handover-intent"] = json!("transfer-to-111122223333@1795683300");
    let p = run(&c, handover_world(kept.clone(), true, under_way.clone()));
    assert_eq!(
        changes_and_codes(&p),
        (
            vec![],
            vec![("registrar::handover-starting".to_string(), Level::Warning)]
        )
    );
    // No intent tag: someone started it by hand; mailform does not cancel it.
    kept.as_object_mut()
        .unwrap()
        .remove("mailform-handover-intent");
    let p = run(&c, handover_world(kept, true, under_way));
    assert_eq!(
        changes_and_codes(&p),
        (
            vec![],
            vec![(
                "registrar::transfer-not-started-by-mailform".to_string(),
                Level::Warning
            )]
        )
    );
}

#[test]
fn an_auth_code_is_retrieved_again_until_one_was_kept() {
    let c = config(&[(
        "ogdenville",
        &managed_library(
            "ogdenville",
            "ogdenville-mail.example",
            "        transfer-to-registrar\n",
        ),
    )]);
    // Unlocked, asked for, never kept: asked again, with a warning saying why.
    let mut tags = ours("ogdenville");
    tags["mailform-handover-intent"] = json!("auth-code@1795680000");
    let p = run(&c, handover_world(tags.clone(), false, json!([])));
    assert_eq!(
        changes_and_codes(&p),
        (
            vec![(Op::Create, ResourceKind::DomainTransfer)],
            vec![("registrar::auth-code-lost".to_string(), Level::Warning)]
        )
    );
    check("auth-code-lost", &p);
    // Kept: nothing more to do.
    tags["mailform-secret-kept"] = json!("auth-code@1795680100");
    let p = run(&c, handover_world(tags, false, json!([])));
    assert_eq!(changes_and_codes(&p), (vec![], vec![]));
}
