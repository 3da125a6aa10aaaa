//! The DNS checks against a real authoritative server (Knot) on 127.0.0.1: one zone per
//! diagnosis, asked through the hickory-resolver adapter, judged by `dns_check`.

use std::time::Duration;

use mailform::dns_check::dmarc::dmarc_queries;
use mailform::dns_check::{
    DkimExpectation, DmarcFinding, MailFromExpectation, MailFromProblem, SpfFinding, Verdict,
    judge_dkim, judge_dmarc, judge_mail_from, judge_spf, spf_followups,
};
use mailform::live::dns::{Answer, DnsSource, HickoryDns, Observations, Query, Rtype, observe};
use mailform::model::DomainName;

use crate::support::knot::Knot;

#[cfg(feature = "sandbox")]
mod estate;
#[cfg(feature = "sandbox")]
mod refresh;

/// A finding's code and message, as one snapshot reads them.
fn finding_text(f: &SpfFinding) -> String {
    format!(
        "{}\n{}\nwhat to do: {}\n",
        f.code(),
        f.message(),
        f.remedy().unwrap_or("nothing")
    )
}

fn dns_snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../../../snapshots/dns",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// SPF judged after following every include Knot serves.
fn spf(records: &str, name: &str) -> SpfFinding {
    let knot = Knot::start(&[(ZONE, &zone(records))]);
    let mut obs = Observations::new();
    for _ in 0..12 {
        let next = spf_followups(name, &obs);
        if next.is_empty() {
            break;
        }
        obs.extend(ask(&knot, next));
    }
    judge_spf(name, &obs)
}

#[test]
fn spf_errors_get_their_rfc_names() {
    let mut out = String::new();
    for (case, records) in [
        (
            "two SPF records",
            "@ TXT \"v=spf1 mx -all\"\n@ TXT \"v=spf1 include:_spf.google.com ~all\"\n",
        ),
        (
            "a syntax error",
            "@ TXT \"v=spf1 inclde:_spf.google.com ~all\"\n",
        ),
        ("+all", "@ TXT \"v=spf1 mx +all\"\n"),
        (
            "a valid record",
            "@ TXT \"v=spf1 mx a ip4:192.0.2.0/24 -all\"\n",
        ),
    ] {
        let f = spf(records, ZONE);
        out.push_str(&format!("## {case}\n{}\n", finding_text(&f)));
    }
    assert!(out.contains("spf::several-records"), "{out}");
    assert!(out.contains("spf::syntax-error"), "{out}");
    assert!(out.contains("spf::allows-all"), "{out}");
    dns_snapshot("spf_rfc_names", &out);
}

#[test]
fn dmarc_in_plain_words() {
    let domain = DomainName::parse(ZONE).unwrap();
    let bounce = DomainName::parse("bounce.lib.example.org").unwrap();
    let mut out = String::new();
    for (case, record, mail_from) in [
        (
            "strict SPF alignment with a custom MAIL FROM",
            "v=DMARC1; p=reject; aspf=s",
            Some(&bounce),
        ),
        (
            "relaxed alignment with a custom MAIL FROM",
            "v=DMARC1; p=quarantine",
            Some(&bounce),
        ),
        (
            "monitoring only, SES's MAIL FROM",
            "v=DMARC1; p=none; adkim=s",
            None,
        ),
    ] {
        let f = dmarc(&format!("_dmarc TXT \"{record}\"\n"), ZONE);
        out.push_str(&format!(
            "## {case}: {record}\n{}\n{}\n\n",
            f.code(),
            f.message(&domain, mail_from)
        ));
    }
    let sub = DomainName::parse("notices.lib.example.org").unwrap();
    let f = dmarc("_dmarc TXT \"v=DMARC1; p=none; sp=reject\"\n", sub.as_str());
    out.push_str(&format!(
        "## a sub-domain under the parent's sp=\n{}\n",
        f.message(&sub, None)
    ));
    assert!(out.contains("SPF will not align"), "{out}");
    assert!(out.contains("DKIM alignment carries DMARC"), "{out}");
    dns_snapshot("dmarc_plain_words", &out);
}

#[test]
fn a_wildcard_answering_for_the_dkim_names_is_named() {
    let v = dkim("* CNAME parked.example.net.\n", ZONE);
    assert_eq!(codes(&v), ["dns::wildcard"; 3]);
    assert!(v[0].1.contains("`*.lib.example.org`"), "{}", v[0].1);
    let v = dkim("* TXT \"v=spf1 -all\"\n", ZONE);
    assert_eq!(codes(&v), ["dns::wildcard"; 3]);
    dns_snapshot("wildcard", &v[0].1);
}

#[test]
fn a_cname_to_another_identitys_key_is_not_a_typo() {
    let other = "4xqz7bk2mpl3rw9e5ny6ht8ja1cfvdgs";
    let records = ALL_THREE.replace(
        "CNAME tok2bbbb.dkim.amazonses.com.",
        &format!("CNAME {other}.dkim.amazonses.com."),
    );
    // Said only when the token is one of the account's identities'.
    let knot = Knot::start(&[(ZONE, &zone(&records))]);
    let mut expect = expectation(ZONE);
    let unknown = judge_dkim(&expect, &ask(&knot, expect.queries()));
    assert_eq!(unknown.records[1].verdict.code(), "dns::unknown-key");
    expect.account_tokens = std::sync::Arc::new([other.to_string()].into_iter().collect());
    let report = judge_dkim(&expect, &ask(&knot, expect.queries()));
    let Verdict::Wrong { mistake } = &report.records[1].verdict else {
        panic!("{:?}", report.records[1]);
    };
    assert_eq!(mistake.code(), "dns::other-identity-key");
    assert!(mistake.message().contains("copied from another domain"));
    dns_snapshot("other_identity_key", &mistake.message());
}

const ZONE: &str = "lib.example.org";

/// The zone file head; tests append their records.
fn zone(records: &str) -> String {
    format!(
        "$ORIGIN lib.example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n{records}"
    )
}

fn expectation(domain: &str) -> DkimExpectation {
    DkimExpectation {
        domain: DomainName::parse(domain).unwrap(),
        tokens: vec!["tok1aaaa".into(), "tok2bbbb".into(), "tok3cccc".into()],
        signing_zone: "dkim.amazonses.com".into(),
        subdomains: vec![DomainName::parse("bounce.lib.example.org").unwrap()],
        account_tokens: Default::default(),
    }
}

const ALL_THREE: &str = "tok1aaaa._domainkey CNAME tok1aaaa.dkim.amazonses.com.\n\
tok2bbbb._domainkey CNAME tok2bbbb.dkim.amazonses.com.\n\
tok3cccc._domainkey CNAME tok3cccc.dkim.amazonses.com.\n";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ask(knot: &Knot, queries: Vec<Query>) -> Observations {
    let dns = HickoryDns::new(DnsSource::Server(knot.addr), Duration::from_secs(2)).unwrap();
    runtime().block_on(observe(&dns, queries, 8))
}

/// The verdict codes and messages for the three DKIM records of `domain` under `records`.
fn dkim(records: &str, domain: &str) -> Vec<(String, String)> {
    let knot = Knot::start(&[(ZONE, &zone(records))]);
    let expect = expectation(domain);
    let report = judge_dkim(&expect, &ask(&knot, expect.queries()));
    report
        .records
        .iter()
        .map(|r| {
            let message = match &r.verdict {
                Verdict::Missing { hint: Some(m) } | Verdict::Wrong { mistake: m } => m.message(),
                Verdict::Unknown { error } => error.clone(),
                _ => String::new(),
            };
            (r.verdict.code().to_string(), message)
        })
        .collect()
}

fn codes(v: &[(String, String)]) -> Vec<&str> {
    v.iter().map(|(c, _)| c.as_str()).collect()
}

#[test]
fn all_three_present() {
    let v = dkim(ALL_THREE, ZONE);
    assert_eq!(codes(&v), ["dns::present"; 3]);
}

#[test]
fn none_installed_yet() {
    assert_eq!(codes(&dkim("", ZONE)), ["dns::missing"; 3]);
}

#[test]
fn only_some_of_the_three() {
    let knot = Knot::start(&[(
        ZONE,
        &zone(
            &ALL_THREE
                .lines()
                .take(2)
                .map(|l| format!("{l}\n"))
                .collect::<String>(),
        ),
    )]);
    let expect = expectation(ZONE);
    let report = judge_dkim(&expect, &ask(&knot, expect.queries()));
    assert_eq!(report.present(), 2);
    assert!(report.partial());
    assert_eq!(report.records[2].verdict.code(), "dns::missing");
}

#[test]
fn records_appear_as_soon_as_installed() {
    let knot = Knot::start(&[(ZONE, &zone(""))]);
    let expect = expectation(ZONE);
    let before = judge_dkim(&expect, &ask(&knot, expect.queries()));
    assert_eq!(before.present(), 0);
    knot.set_zone(
        ZONE,
        &zone(ALL_THREE).replace("SOA ns1 hostmaster 1", "SOA ns1 hostmaster 2"),
    );
    let after = judge_dkim(&expect, &ask(&knot, expect.queries()));
    assert_eq!(after.present(), 3);
}

#[test]
fn domain_appended_twice_by_the_providers_form() {
    // Without a trailing dot, a zone file (like many web forms) appends the origin again.
    let records = ALL_THREE.replace(
        "tok3cccc._domainkey CNAME",
        "tok3cccc._domainkey.lib.example.org CNAME",
    );
    let v = dkim(&records, ZONE);
    assert_eq!(
        codes(&v),
        ["dns::present", "dns::present", "dns::domain-twice"]
    );
    assert!(
        v[2].1
            .contains("tok3cccc._domainkey.lib.example.org.lib.example.org"),
        "{}",
        v[2].1
    );
}

#[test]
fn txt_where_the_cname_belongs() {
    let records = ALL_THREE.replace(
        "tok1aaaa._domainkey CNAME tok1aaaa.dkim.amazonses.com.",
        "tok1aaaa._domainkey TXT \"tok1aaaa.dkim.amazonses.com\"",
    );
    let v = dkim(&records, ZONE);
    assert_eq!(v[0].0, "dns::txt-instead-of-cname");
    assert!(
        v[0].1
            .contains("a TXT record (`tok1aaaa.dkim.amazonses.com`)"),
        "{}",
        v[0].1
    );
}

#[test]
fn proxied_or_flattened_answer() {
    let records = ALL_THREE.replace(
        "tok2bbbb._domainkey CNAME tok2bbbb.dkim.amazonses.com.",
        "tok2bbbb._domainkey A 192.0.2.10\ntok2bbbb._domainkey AAAA 2001:db8::10",
    );
    let v = dkim(&records, ZONE);
    assert_eq!(v[1].0, "dns::flattened");
    assert!(
        v[1].1.contains("192.0.2.10") && v[1].1.contains("2001:db8::10"),
        "{}",
        v[1].1
    );
}

#[test]
fn typo_in_the_target_token() {
    let records = ALL_THREE.replace("CNAME tok2bbbb.dkim", "CNAME tok2bbb.dkim");
    let v = dkim(&records, ZONE);
    assert_eq!(v[1].0, "dns::target-typo");
    assert!(
        v[1].1.contains("`tok2bbb.dkim.amazonses.com`"),
        "{}",
        v[1].1
    );
}

#[test]
fn target_outside_the_signing_zone() {
    let records = ALL_THREE.replace(
        "tok1aaaa.dkim.amazonses.com.",
        "tok1aaaa.dkim.amazonses.co.",
    );
    let v = dkim(&records, ZONE);
    assert_eq!(v[0].0, "dns::target-outside-signing-zone");
    assert!(
        v[0].1.contains("outside Amazon's DKIM signing zone"),
        "{}",
        v[0].1
    );
}

#[test]
fn target_with_the_library_domain_appended() {
    let records = ALL_THREE.replace(
        "tok3cccc.dkim.amazonses.com.",
        "tok3cccc.dkim.amazonses.com",
    );
    let v = dkim(&records, ZONE);
    assert_eq!(v[2].0, "dns::target-domain-appended");
    assert!(
        v[2].1
            .contains("tok3cccc.dkim.amazonses.com.lib.example.org"),
        "{}",
        v[2].1
    );
}

#[test]
fn records_on_the_parent_domain() {
    // The identity is notices.lib.example.org; the records went on lib.example.org.
    let v = dkim(ALL_THREE, "notices.lib.example.org");
    assert_eq!(codes(&v), ["dns::on-parent-domain"; 3]);
    assert!(
        v[0].1.contains("`tok1aaaa._domainkey.lib.example.org`"),
        "{}",
        v[0].1
    );
}

#[test]
fn records_on_a_subdomain() {
    let records = ALL_THREE.replace("._domainkey CNAME", "._domainkey.bounce CNAME");
    let v = dkim(&records, ZONE);
    assert_eq!(codes(&v), ["dns::on-subdomain"; 3]);
    assert!(
        v[0].1
            .contains("tok1aaaa._domainkey.bounce.lib.example.org"),
        "{}",
        v[0].1
    );
}

/// Knot, like every conforming server, refuses to load a zone with a CNAME beside other
/// records; some DNS providers' servers serve it anyway. The sandbox's DNS server plays such
/// a provider, so this one diagnosis is asked of it.
#[cfg(feature = "sandbox")]
#[test]
fn a_cname_colliding_with_other_records() {
    use mailform::sandbox::{RecordInput, Sandbox, SandboxConfig};
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    })
    .unwrap();
    for token in ["tok1aaaa", "tok2bbbb", "tok3cccc"] {
        let record = RecordInput::new(
            &format!("{token}._domainkey"),
            "CNAME",
            &format!("{token}.dkim.amazonses.com."),
        );
        sandbox.add_record(ZONE, record).unwrap();
    }
    sandbox
        .add_record(
            ZONE,
            RecordInput::new("tok1aaaa._domainkey", "TXT", "\"v=DKIM1; p=old\""),
        )
        .unwrap();
    let dns = HickoryDns::new(
        DnsSource::Server(sandbox.endpoints().dns),
        Duration::from_secs(2),
    )
    .unwrap();
    let expect = expectation(ZONE);
    let report = judge_dkim(
        &expect,
        &runtime().block_on(observe(&dns, expect.queries(), 8)),
    );
    let codes: Vec<&str> = report.records.iter().map(|r| r.verdict.code()).collect();
    assert_eq!(
        codes,
        ["dns::cname-collision", "dns::present", "dns::present"]
    );
    match &report.records[0].verdict {
        Verdict::Wrong { mistake } => {
            assert!(mistake.message().contains("(TXT)"), "{}", mistake.message())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unreachable_server_is_not_the_librarys_fault() {
    let port = crate::support::free_port();
    let dns = HickoryDns::new(
        DnsSource::Server(([127, 0, 0, 1], port).into()),
        Duration::from_millis(300),
    )
    .unwrap();
    let expect = expectation(ZONE);
    let obs = runtime().block_on(observe(&dns, expect.queries(), 8));
    let report = judge_dkim(&expect, &obs);
    assert!(
        report
            .records
            .iter()
            .all(|r| r.verdict.code() == "dns::lookup-failed")
    );
}

fn mail_from(records: &str) -> Vec<(String, Option<MailFromProblem>)> {
    let knot = Knot::start(&[(ZONE, &zone(records))]);
    let expect = MailFromExpectation {
        domain: DomainName::parse("bounce.lib.example.org").unwrap(),
        region: "us-east-1".into(),
    };
    judge_mail_from(&expect, &ask(&knot, expect.queries()))
        .into_iter()
        .map(|(check, problem)| (check.verdict.code().to_string(), problem))
        .collect()
}

#[test]
fn custom_mail_from_records() {
    let good = "bounce MX 10 feedback-smtp.us-east-1.amazonses.com.\nbounce TXT \"v=spf1 include:amazonses.com ~all\"\n";
    let v = mail_from(good);
    assert_eq!(v[0], ("dns::present".into(), None));
    assert_eq!(v[1], ("dns::present".into(), None));

    let v = mail_from("");
    assert_eq!(v[0].0, "dns::missing");
    assert_eq!(v[1].0, "dns::missing");

    let v = mail_from("bounce MX 10 mail.lib.example.org.\nbounce TXT \"v=spf1 mx -all\"\n");
    assert!(
        matches!(&v[0].1, Some(MailFromProblem::WrongMx { found }) if found == &["10 mail.lib.example.org"])
    );
    assert!(matches!(
        &v[1].1,
        Some(MailFromProblem::SpfWithoutSes { .. })
    ));

    let v = mail_from(
        "bounce MX 10 feedback-smtp.us-east-1.amazonses.com.\nbounce TXT \"v=spf1 include:amazonses.com ~all\"\nbounce TXT \"v=spf1 -all\"\n",
    );
    assert!(matches!(
        v[1].1,
        Some(MailFromProblem::SeveralSpf { count: 2 })
    ));
}

fn dmarc(records: &str, domain: &str) -> DmarcFinding {
    let knot = Knot::start(&[(ZONE, &zone(records))]);
    let domain = DomainName::parse(domain).unwrap();
    let mut obs = Observations::new();
    for _ in 0..4 {
        let next: Vec<Query> = dmarc_queries(&domain, &obs)
            .into_iter()
            .filter(|q| !obs.contains_key(q))
            .collect();
        if next.is_empty() {
            break;
        }
        obs.extend(ask(&knot, next));
    }
    judge_dmarc(&domain, &obs)
}

/// The policy a finding applies: where, which tag, which value, and the alignment modes.
fn applied(f: &DmarcFinding) -> (String, &'static str, String, char, char) {
    match f {
        DmarcFinding::Valid(p) => (p.at.clone(), p.tag, p.policy.clone(), p.adkim, p.aspf),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dmarc_policy_and_alignment() {
    // No record at the domain, and its parent's zone is not served here (Knot refuses):
    // which policy governs it is unknown, not "no DMARC".
    assert!(
        matches!(
            dmarc("", ZONE),
            DmarcFinding::Unknown { at, reason } if at == "_dmarc.example.org" && reason.contains("Refused")
        ),
        "{:?}",
        dmarc("", ZONE)
    );
    assert_eq!(
        applied(&dmarc(
            "_dmarc TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n",
            ZONE
        )),
        (
            "_dmarc.lib.example.org".into(),
            "p",
            "reject".into(),
            's',
            's'
        )
    );
    // A sub-domain without its own record is governed by the parent's.
    assert_eq!(
        applied(&dmarc(
            "_dmarc TXT \"v=DMARC1; p=quarantine\"\n",
            "notices.lib.example.org"
        )),
        (
            "_dmarc.lib.example.org".into(),
            "p",
            "quarantine".into(),
            'r',
            'r'
        )
    );
    assert!(matches!(
        dmarc("_dmarc TXT \"v=DMARC1; p=block\"\n", ZONE),
        DmarcFinding::Invalid { .. }
    ));
    // Several records at one name are all discarded (RFC 9989, "DNS Tree Walk"): with the
    // parents answering and holding none, no policy applies; with one at the parent, it does.
    let several = "_dmarc TXT \"v=DMARC1; p=none\"\n_dmarc TXT \"v=DMARC1; p=reject\"\n";
    let with_parents = |parent: &str| {
        let example = format!(
            "$ORIGIN example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n{parent}"
        );
        let org = "$ORIGIN org.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n";
        let knot = Knot::start(&[
            (ZONE, &zone(several)),
            ("example.org", &example),
            ("org", org),
        ]);
        let domain = DomainName::parse(ZONE).unwrap();
        let mut obs = Observations::new();
        for _ in 0..4 {
            let next: Vec<Query> = dmarc_queries(&domain, &obs)
                .into_iter()
                .filter(|q| !obs.contains_key(q))
                .collect();
            obs.extend(ask(&knot, next));
        }
        judge_dmarc(&domain, &obs)
    };
    assert!(
        matches!(with_parents(""), DmarcFinding::Several { at } if at == "_dmarc.lib.example.org")
    );
    let parent = with_parents("_dmarc TXT \"v=DMARC1; p=quarantine\"\n");
    assert_eq!(applied(&parent).0, "_dmarc.example.org");
    assert_eq!(parent.code(), "dmarc::several-records");
}

#[test]
fn spf_syntax_and_the_ten_lookup_limit() {
    // The sending domain includes a chain that costs 12 lookups in all.
    let mut records = String::from("@ TXT \"v=spf1 include:a.lib.example.org mx -all\"\n");
    records.push_str("a TXT \"v=spf1 include:b.lib.example.org a mx ptr -all\"\n");
    records.push_str(
        "b TXT \"v=spf1 a mx exists:x.lib.example.org include:c.lib.example.org -all\"\n",
    );
    records.push_str("c TXT \"v=spf1 a mx ip4:192.0.2.1 -all\"\n");
    records.push_str("bad TXT \"v=spf1 include: +all\"\n");
    let knot = Knot::start(&[(ZONE, &zone(&records))]);
    let mut obs = Observations::new();
    for _ in 0..10 {
        let next = spf_followups(ZONE, &obs);
        if next.is_empty() {
            break;
        }
        obs.extend(ask(&knot, next));
    }
    // Over the limit is a permanent error, named with the count and the costliest chain.
    let finding = judge_spf(ZONE, &obs);
    match &finding {
        SpfFinding::TooManyLookups { lookups, chain, .. } => {
            assert_eq!(*lookups, 12);
            // The chain names the terms as they stand in the records.
            let names: Vec<&str> = chain.iter().map(|(d, _)| d.as_str()).collect();
            assert_eq!(
                names,
                [
                    "include:a.lib.example.org",
                    "include:b.lib.example.org",
                    "include:c.lib.example.org"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    dns_snapshot("spf_too_many_lookups", &finding_text(&finding));
    let obs = ask(&knot, vec![Query::new("bad.lib.example.org", Rtype::Txt)]);
    assert!(
        matches!(judge_spf("bad.lib.example.org", &obs), SpfFinding::Invalid { reason, .. } if reason.contains("include:"))
    );
    let obs = ask(
        &knot,
        vec![Query::new("nothing.lib.example.org", Rtype::Txt)],
    );
    // A name that does not exist is named as such, not as a domain without SPF.
    assert_eq!(
        judge_spf("nothing.lib.example.org", &obs),
        SpfFinding::NoSuchDomain
    );
}

/// A server that answers every question with `rcode` and counts the questions.
fn answering(
    rcode: u8,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        // Answers until the test lets go of its count.
        while std::sync::Arc::strong_count(&seen) > 1 {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut reply = buf[..n].to_vec();
            reply[2] |= 0x80; // a response
            reply[3] = (reply[3] & 0xf0) | rcode;
            let _ = socket.send_to(&reply, from);
        }
    });
    (addr, count)
}

#[test]
fn a_final_answer_is_not_asked_again() {
    use std::sync::atomic::Ordering;
    // REFUSED, NXDOMAIN and NOERROR without records are the server's last word.
    for (rcode, expected) in [(5, "failed"), (3, "nxdomain"), (0, "nodata")] {
        let (addr, count) = answering(rcode);
        let dns = HickoryDns::new(DnsSource::Server(addr), Duration::from_secs(2)).unwrap();
        let q = Query::new("tok1aaaa._domainkey.lib.example.org", Rtype::Cname);
        let obs = runtime().block_on(observe(&dns, vec![q.clone()], 1));
        let got = match &obs[&q] {
            Answer::Failed(_) => "failed",
            Answer::NxDomain => "nxdomain",
            Answer::NoData => "nodata",
            Answer::Records(_) => "records",
        };
        assert_eq!(got, expected);
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "rcode {rcode} was asked again"
        );
    }
    // SERVFAIL is not: it is asked once more before the lookup fails.
    let (addr, count) = answering(2);
    let dns = HickoryDns::new(DnsSource::Server(addr), Duration::from_secs(2)).unwrap();
    let q = Query::new("lib.example.org", Rtype::Txt);
    let obs = runtime().block_on(observe(&dns, vec![q.clone()], 1));
    assert!(matches!(obs[&q], Answer::Failed(_)));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn questions_unanswered_at_the_deadline_fail_and_never_read_as_missing() {
    use mailform::live::dns::{DEADLINE, observe_until};
    // A server that reads every question and answers none.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = HickoryDns::new(
        DnsSource::Server(silent.local_addr().unwrap()),
        Duration::from_secs(5),
    )
    .unwrap();
    let expect = expectation(ZONE);
    let started = std::time::Instant::now();
    let obs = runtime().block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
        observe_until(&dns, expect.queries(), 64, deadline).await
    });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        obs.values()
            .all(|a| matches!(a, Answer::Failed(why) if why == DEADLINE))
    );
    let report = judge_dkim(&expect, &obs);
    assert!(
        report
            .records
            .iter()
            .all(|r| r.verdict.code() == "dns::lookup-failed")
    );
}

/// The sandbox's DNS can answer from as far away as a name server on the internet.
#[cfg(feature = "sandbox")]
#[test]
fn the_sandbox_answers_after_its_latency() {
    use mailform::sandbox::{Sandbox, SandboxConfig};
    let sandbox = Sandbox::start(SandboxConfig {
        dns_latency_ms: 200,
        ..SandboxConfig::default()
    })
    .unwrap();
    sandbox.create_zone(ZONE);
    let dns = HickoryDns::new(
        DnsSource::Server(sandbox.endpoints().dns),
        Duration::from_secs(2),
    )
    .unwrap();
    let questions: Vec<Query> = (0..8)
        .map(|i| Query::new(format!("_dmarc{i}.{ZONE}"), Rtype::Txt))
        .collect();
    let started = std::time::Instant::now();
    let obs = runtime().block_on(observe(&dns, questions, 8));
    let took = started.elapsed();
    assert!(
        obs.values().all(|a| matches!(a, Answer::NxDomain)),
        "{obs:?}"
    );
    // Each answer waits its 200 ms; the eight wait side by side, not one after another.
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1200),
        "{took:?}"
    );
}
