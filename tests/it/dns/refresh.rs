//! Every SPF, DMARC and DKIM-placement class through the real binary: SES identities in the
//! sandbox, the libraries' DNS served by Knot, `mailform refresh --resolver` against Knot, then
//! `mailform plan --live` on the snapshot. One library per case, all in one estate, so one
//! refresh judges them all; each case asserts its own line (or, for a library whose records are
//! fine, that it has no SPF or DMARC line at all).

use aws_sdk_sesv2::types::Tag;
use mailform::sandbox::SandboxConfig;
use serde_json::Value;

use crate::support::cli::Cli;
use crate::support::estate::{FAST, sandbox_flags};
use crate::support::knot::Knot;
use crate::support::sandbox as harness;

/// One case: a library id, its sending domain (under example.org), its MAIL FROM domain (if
/// any), and its records in the example.org zone. `{t1}`..`{t3}` stand for its own DKIM tokens,
/// `{o1}` for the first token of the library `dkim-swap` (another identity of the account).
struct Case {
    id: &'static str,
    domain: &'static str,
    mail_from: Option<&'static str>,
    records: &'static str,
}

/// The DKIM CNAMEs of a library, right (relative names in the example.org zone).
const DKIM: &str = "{t1}._domainkey.{host} CNAME {t1}.dkim.amazonses.com.\n\
{t2}._domainkey.{host} CNAME {t2}.dkim.amazonses.com.\n\
{t3}._domainkey.{host} CNAME {t3}.dkim.amazonses.com.\n";

const CASES: &[Case] = &[
    Case {
        id: "fine",
        domain: "fine.example.org",
        mail_from: Some("bounce.fine.example.org"),
        records: "{dkim}fine TXT \"v=spf1 include:amazonses.com ~all\"\n_dmarc.fine TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@fine.example.org\"\nbounce.fine MX 10 feedback-smtp.us-east-1.amazonses.com.\nbounce.fine TXT \"v=spf1 include:amazonses.com ~all\"\n",
    },
    Case {
        id: "spf-upper",
        domain: "spf-upper.example.org",
        mail_from: None,
        records: "{dkim}spf-upper TXT \"V=SPF1 IP4:192.0.2.1 -ALL\"\n",
    },
    Case {
        id: "spf-void",
        domain: "spf-void.example.org",
        mail_from: None,
        records: "{dkim}spf-void TXT \"v=spf1 a:nx1.example.org a:nx2.example.org mx:nx3.example.org -all\"\n",
    },
    Case {
        id: "spf-include-none",
        domain: "spf-include-none.example.org",
        mail_from: None,
        records: "{dkim}spf-include-none TXT \"v=spf1 include:nospf.example.org -all\"\nnospf TXT \"not spf\"\n",
    },
    Case {
        id: "spf-redirect-all",
        domain: "spf-redirect-all.example.org",
        mail_from: None,
        records: "{dkim}spf-redirect-all TXT \"v=spf1 ip4:192.0.2.1 redirect=other.example.org -all\"\nother TXT \"v=spf1 ip4:192.0.2.2 -all\"\n",
    },
    Case {
        id: "spf-mx11",
        domain: "spf-mx11.example.org",
        mail_from: None,
        records: "{dkim}spf-mx11 TXT \"v=spf1 mx -all\"\nspf-mx11 MX 10 m1.example.org.\nspf-mx11 MX 11 m2.example.org.\nspf-mx11 MX 12 m3.example.org.\nspf-mx11 MX 13 m4.example.org.\nspf-mx11 MX 14 m5.example.org.\nspf-mx11 MX 15 m6.example.org.\nspf-mx11 MX 16 m7.example.org.\nspf-mx11 MX 17 m8.example.org.\nspf-mx11 MX 18 m9.example.org.\nspf-mx11 MX 19 m10.example.org.\nspf-mx11 MX 20 m11.example.org.\n",
    },
    Case {
        id: "spf-ptr",
        domain: "spf-ptr.example.org",
        mail_from: None,
        records: "{dkim}spf-ptr TXT \"v=spf1 ptr -all\"\n",
    },
    Case {
        id: "spf-macro",
        domain: "spf-macro.example.org",
        mail_from: None,
        records: "{dkim}spf-macro TXT \"v=spf1 exists:%{x}.example.org -all\"\n",
    },
    Case {
        id: "spf-ip4",
        domain: "spf-ip4.example.org",
        mail_from: None,
        records: "{dkim}spf-ip4 TXT \"v=spf1 ip4:192.0.2.300 -all\"\n",
    },
    Case {
        id: "spf-loop",
        domain: "spf-loop.example.org",
        mail_from: None,
        records: "{dkim}spf-loop TXT \"v=spf1 include:loopa.example.org -all\"\nloopa TXT \"v=spf1 include:loopb.example.org -all\"\nloopb TXT \"v=spf1 include:loopa.example.org -all\"\n",
    },
    Case {
        id: "spf-plus-all",
        domain: "spf-plus-all.example.org",
        mail_from: None,
        records: "{dkim}spf-plus-all TXT \"v=spf1 +all\"\n",
    },
    Case {
        id: "mf-broken",
        domain: "mf-broken.example.org",
        mail_from: Some("bounce.mf-broken.example.org"),
        records: "{dkim}bounce.mf-broken MX 10 feedback-smtp.us-east-1.amazonses.com.\nbounce.mf-broken TXT \"v=spf1 include:amazonses.com include:nospf.example.org ~all\"\n",
    },
    Case {
        id: "dm-walk",
        domain: "branch.library.dm-walk.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-walk TXT \"v=DMARC1; p=quarantine; sp=reject\"\n",
    },
    Case {
        id: "dm-cname",
        domain: "dm-cname.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-cname CNAME dmarc.provider.example.net.\n",
    },
    Case {
        id: "dm-test",
        domain: "dm-test.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-test TXT \"v=DMARC1; p=reject; t=y\"\n",
    },
    Case {
        id: "dm-np",
        domain: "gone.dm-np.example.org",
        mail_from: None,
        records: "_dmarc.dm-np TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n",
    },
    Case {
        id: "dm-psd",
        domain: "lib.town.dm-psd.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.town.dm-psd TXT \"v=DMARC1; p=quarantine\"\n_dmarc.dm-psd TXT \"v=DMARC1; p=reject; psd=y\"\n",
    },
    Case {
        id: "dm-align",
        domain: "dm-align.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-align TXT \"v=DMARC1; p=reject; adkim=x\"\n",
    },
    Case {
        id: "dm-rua",
        domain: "dm-rua.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-rua TXT \"v=DMARC1; p=none; rua=mailto:reports@reports.example.net\"\n",
    },
    Case {
        id: "dm-rua-ok",
        domain: "dm-rua-ok.example.org",
        mail_from: None,
        records: "{dkim}_dmarc.dm-rua-ok TXT \"v=DMARC1; p=none; rua=mailto:reports@reports.example.net\"\n",
    },
    Case {
        id: "dkim-swap",
        domain: "dkim-swap.example.org",
        mail_from: None,
        records: "{t1}._domainkey.dkim-swap CNAME {t2}.dkim.amazonses.com.\n{t2}._domainkey.dkim-swap CNAME {t1}.dkim.amazonses.com.\n{t3}._domainkey.dkim-swap CNAME {t3}.dkim.amazonses.com.\n",
    },
    Case {
        id: "dkim-other",
        domain: "dkim-other.example.org",
        mail_from: None,
        records: "{t1}._domainkey.dkim-other CNAME {o1}.dkim.amazonses.com.\n{t2}._domainkey.dkim-other CNAME {t2}.dkim.amazonses.com.\n{t3}._domainkey.dkim-other CNAME {t3}.dkim.amazonses.com.\n",
    },
    Case {
        id: "dkim-nounder",
        domain: "dkim-nounder.example.org",
        mail_from: None,
        records: "{t1}.domainkey.dkim-nounder CNAME {t1}.dkim.amazonses.com.\n{t2}.domainkey.dkim-nounder CNAME {t2}.dkim.amazonses.com.\n{t3}.domainkey.dkim-nounder CNAME {t3}.dkim.amazonses.com.\n",
    },
];

/// Zones beside example.org: its parents (the DMARC walk asks `_dmarc.org`), Amazon's SPF, and
/// a DMARC provider's zone for the CNAME and the report destination.
fn other_zones() -> Vec<(&'static str, String)> {
    vec![
        ("org", head("org")),
        (
            "amazonses.com",
            head("amazonses.com")
                + "@ TXT \"v=spf1 ip4:199.255.192.0/22 ip4:54.240.0.0/18 -all\"\n",
        ),
        (
            "example.net",
            head("example.net")
                + "dmarc.provider TXT \"v=DMARC1; p=reject; pct=0\"\n\
                   dm-rua-ok.example.org._report._dmarc.reports TXT \"v=DMARC1\"\n",
        ),
    ]
}

fn head(zone: &str) -> String {
    format!(
        "$ORIGIN {zone}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n"
    )
}

fn library_file(case: &Case) -> String {
    let mail_from = case
        .mail_from
        .map(|m| format!("        mail-from \"{m}\"\n"))
        .unwrap_or_default();
    format!(
        "library \"{id}\" {{\n    name \"{id}\"\n    it-contact \"it@example.org\"\n\n    ses-domain {{\n        from \"noreply@{domain}\"\n{mail_from}    }}\n}}\n",
        id = case.id,
        domain = case.domain
    )
}

/// The plan's lines about SPF, DMARC and DKIM placement, per library.
fn finding_lines(plan: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut library = String::new();
    for line in plan.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            library = rest.split(':').next().unwrap_or_default().to_string();
            out.entry(library.clone()).or_default();
            continue;
        }
        let about = [
            "spf::",
            "dmarc::",
            "dns::swapped",
            "dns::other-identity-key",
            "dns::underscore-missing",
            "dns::unknown-key",
        ];
        if about.iter().any(|a| line.contains(a)) {
            out.entry(library.clone())
                .or_default()
                .push(line.trim().to_string());
        }
    }
    out
}

#[tokio::test]
async fn every_spf_dmarc_and_dkim_class_through_refresh_against_knot() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = harness::start_with(SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    });
    let ses = harness::ses(&sandbox);
    let mut tokens = std::collections::BTreeMap::<&str, Vec<String>>::new();
    for case in CASES {
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
        let out = ses
            .create_email_identity()
            .email_identity(case.domain)
            .tags(tag("managed-by", "mailform"))
            .tags(tag("library", case.id))
            .send()
            .await
            .unwrap();
        tokens.insert(case.id, out.dkim_attributes().unwrap().tokens().to_vec());
    }
    let other = tokens["dkim-swap"][0].clone();
    let mut example = head("example.org");
    for case in CASES {
        let t = &tokens[case.id];
        let host = case.domain.trim_end_matches(".example.org");
        let records = case
            .records
            .replace("{dkim}", DKIM)
            .replace("{host}", host)
            .replace("{t1}", &t[0])
            .replace("{t2}", &t[1])
            .replace("{t3}", &t[2])
            .replace("{o1}", &other);
        example.push_str(&records);
    }
    let mut zones: Vec<(&str, String)> = other_zones();
    zones.push(("example.org", example));
    let zone_refs: Vec<(&str, &str)> = zones.iter().map(|(z, t)| (*z, t.as_str())).collect();
    let knot = Knot::start(&zone_refs);

    let mut cli = Cli::with_platform();
    for case in CASES {
        cli = cli.file(&format!("libraries/{}.kdl", case.id), &library_file(case));
    }
    // The sandbox's endpoints for AWS, Knot for DNS.
    let mut flags = sandbox_flags(&sandbox);
    let at = flags.iter().position(|f| f == "--resolver").unwrap();
    flags[at + 1] = knot.addr.to_string();
    let mut args: Vec<String> = ["refresh", "--out", "live.json"].map(String::from).to_vec();
    args.extend(flags);
    args.extend(FAST.iter().map(|s| s.to_string()));
    let cli = cli
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIDSANDBOXTEST")
        .env("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = cli.run();
    assert_eq!(out.code, 0, "{}", out.all());
    let plan = Cli::reuse(
        &cli,
        ["plan", "--live", "live.json"].map(String::from).to_vec(),
    )
    .run();
    assert!(matches!(plan.code, 0 | 2), "{}", plan.all());
    let lines = finding_lines(&plan.stdout);
    let of = |id: &str| lines.get(id).cloned().unwrap_or_default().join("\n");

    // A library whose records are fine has no SPF or DMARC line; neither has upper-case
    // `V=SPF1`, which RFC 7208 reads as SPF (ABNF strings are case-insensitive).
    assert_eq!(of("fine"), "", "{}", plan.stdout);
    assert_eq!(of("spf-upper"), "", "{}", plan.stdout);
    for (id, code, words) in [
        (
            "spf-void",
            "spf::too-many-void-lookups",
            "3 lookups find nothing",
        ),
        (
            "spf-include-none",
            "spf::include-without-spf",
            "`include:nospf.example.org`",
        ),
        (
            "spf-redirect-all",
            "spf::redirect-ignored",
            "ignore the redirect",
        ),
        ("spf-mx11", "spf::too-many-mx-names", "finds 11 MX names"),
        ("spf-ptr", "spf::ptr", "§5.5"),
        ("spf-macro", "spf::syntax-error", "%{x"),
        ("spf-ip4", "spf::syntax-error", "not an IPv4 address"),
        (
            "spf-loop",
            "spf::include-loop",
            "loop through loopa.example.org and loopb.example.org",
        ),
        ("spf-plus-all", "spf::allows-all", "every host"),
        (
            "mf-broken",
            "spf::include-without-spf",
            "MAIL FROM domain bounce.mf-broken.example.org",
        ),
        ("dm-test", "dmarc::test-mode", "t=y"),
        (
            "dm-cname",
            "dmarc::historic-tag",
            "a CNAME to dmarc.provider.example.net",
        ),
        ("dm-align", "dmarc::invalid-alignment", "sets p=reject"),
        (
            "dm-rua",
            "dmarc::report-destination-unauthorised",
            "dm-rua.example.org._report._dmarc.reports.example.net",
        ),
        ("dkim-swap", "dns::swapped", "swapped"),
        (
            "dkim-other",
            "dns::other-identity-key",
            "another SES identity of this account",
        ),
        (
            "dkim-nounder",
            "dns::underscore-missing",
            ".domainkey.dkim-nounder.example.org`",
        ),
    ] {
        let text = of(id);
        assert!(
            text.contains(code) && text.contains(words),
            "{id}: {code}, {words}\n{text}"
        );
        // Each finding comes with its fix.
        assert!(
            text.contains("fix:") || id == "mf-broken" || code.starts_with("dns::"),
            "{id}: {text}"
        );
    }
    assert!(of("dm-cname").contains("pct=0"), "{}", of("dm-cname"));
    assert_eq!(of("dm-rua-ok"), "", "{}", plan.stdout);
    // The fix of a MAIL FROM SPF finding is an action.
    assert!(
        plan.stdout
            .contains("the SPF record of the MAIL FROM domain bounce.mf-broken.example.org"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("what to do: remove the include, or correct its name"),
        "{}",
        plan.stdout
    );

    // Policies found by the RFC 9989 tree walk (fine, so no plan line): read from the snapshot.
    let live: Value = serde_json::from_str(&cli.read("live.json")).unwrap();
    let dmarc = |id: &str| -> String {
        live["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .map(|l| {
                l["dns"]["dmarc"]["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .unwrap_or_default()
    };
    assert!(
        dmarc("dm-walk").contains("_dmarc.dm-walk.example.org sets sp=reject"),
        "{}",
        dmarc("dm-walk")
    );
    assert!(
        dmarc("dm-np").contains("sets np=reject"),
        "{}",
        dmarc("dm-np")
    );
    assert!(
        dmarc("dm-psd").contains("_dmarc.town.dm-psd.example.org sets p=quarantine"),
        "{}",
        dmarc("dm-psd")
    );

    // The same zones through checkdmarc, case by case.
    let spf_domains: Vec<&str> = CASES
        .iter()
        .filter(|c| c.id.starts_with("spf-") || c.id == "fine")
        .map(|c| c.domain)
        .chain(["bounce.mf-broken.example.org"])
        .collect();
    let dmarc_domains: Vec<&str> = CASES
        .iter()
        .filter(|c| c.id.starts_with("dm-") || c.id == "fine")
        .map(|c| c.domain)
        .collect();
    let oracle = checkdmarc(&knot, &spf_domains, &dmarc_domains);
    let dns_of = |domain: &str| -> Value {
        let id = CASES
            .iter()
            .find(|c| c.domain == domain)
            .map_or("", |c| c.id);
        live["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .map(|l| l["dns"].clone())
            .unwrap_or(Value::Null)
    };
    for domain in spf_domains {
        let theirs = &oracle["spf"][domain];
        let their_valid = theirs["valid"].as_bool().unwrap();
        let (our_valid, our_code) = if domain == "bounce.mf-broken.example.org" {
            let check = dns_of("mf-broken.example.org")["mail_from"][1]["verdict"].clone();
            (false, check.as_str().unwrap_or_default().to_string())
        } else {
            let spf = &dns_of(domain)["spf"];
            (
                spf["finding"] == "valid",
                spf["code"].as_str().unwrap_or_default().to_string(),
            )
        };
        match domain {
            // checkdmarc rejects an upper-case version tag; RFC 7208's ABNF string "v=spf1" is
            // case-insensitive (RFC 5234 §2.3), so mailform follows the RFC and accepts it.
            "spf-upper.example.org" => assert!(our_valid && !their_valid, "{domain}: {theirs}"),
            _ => assert_eq!(
                our_valid, their_valid,
                "{domain}: ours {our_code}, theirs {theirs}"
            ),
        }
        match domain {
            // checkdmarc has no warning for +all; RFC 7208 §5.1 says what it means: every host
            // passes. mailform warns.
            "spf-plus-all.example.org" => {
                assert_eq!(our_code, "spf::allows-all");
                assert!(
                    theirs["warnings"].as_array().unwrap().is_empty(),
                    "{theirs}"
                );
            }
            // Both warn: a ptr mechanism (§5.5), a redirect beside all (§6.1).
            "spf-ptr.example.org" | "spf-redirect-all.example.org" => {
                assert!(
                    !theirs["warnings"].as_array().unwrap().is_empty(),
                    "{theirs}"
                );
                assert!(our_code == "spf::ptr" || our_code == "spf::redirect-ignored");
            }
            _ => {}
        }
    }
    for domain in dmarc_domains {
        let theirs = &oracle["dmarc"][domain];
        let ours = dns_of(domain)["dmarc"].clone();
        let detail = ours["detail"].as_str().unwrap_or_default();
        match domain {
            // checkdmarc asks Knot with a stub resolver, which does not follow a CNAME into
            // another zone: it finds no record. A receiver's resolver follows it (RFC 1034
            // §3.6.2), and so does mailform.
            "dm-cname.example.org" => {
                assert_eq!(theirs["valid"], false, "{theirs}");
                assert!(
                    detail.contains("a CNAME to dmarc.provider.example.net"),
                    "{detail}"
                );
            }
            // checkdmarc stops at a domain that does not exist; RFC 9989 applies the np= of
            // the policy the tree walk finds to a non-existent sub-domain.
            "gone.dm-np.example.org" => {
                assert_eq!(theirs["valid"], false, "{theirs}");
                assert!(detail.contains("sets np=reject"), "{detail}");
            }
            _ => {
                assert_eq!(theirs["valid"], true, "{domain}: {theirs}");
                assert_eq!(ours["finding"], "valid", "{domain}: {ours}");
                let at = format!("_dmarc.{}", theirs["location"].as_str().unwrap());
                assert!(detail.contains(&at), "{domain}: {at} in {detail}");
            }
        }
        // An external report destination without its authorisation: both say so, or neither.
        let unauthorised = theirs["warnings"].as_array().unwrap().iter().any(|w| {
            w.as_str()
                .unwrap_or_default()
                .contains("does not indicate that it accepts")
        });
        assert_eq!(
            unauthorised,
            ours["code"] == "dmarc::report-destination-unauthorised",
            "{domain}: {theirs} / {ours}"
        );
    }

    let mut text = String::new();
    for case in CASES {
        text.push_str(&format!("## {}\n{}\n", case.id, of(case.id)));
    }
    for (id, token) in tokens.iter().flat_map(|(id, t)| {
        t.iter()
            .enumerate()
            .map(move |(i, t)| (format!("{id}-t{}", i + 1), t.clone()))
    }) {
        text = text.replace(&token, &format!("<{id}>"));
    }
    super::dns_snapshot("refresh_classes", &text);
}

/// checkdmarc's verdicts on the same zones, served by the same Knot (see checkdmarc_oracle.py).
fn checkdmarc(knot: &Knot, spf: &[&str], dmarc: &[&str]) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/dns/checkdmarc_oracle.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(knot.addr.port().to_string())
        .args(spf)
        .arg("--")
        .args(dmarc)
        .output()
        .expect("run python3 (checkdmarc is installed by .ci/run)");
    assert!(
        out.status.success(),
        "checkdmarc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
