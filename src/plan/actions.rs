//! What a library must do, from the verdicts on its live setup. Pure.
//!
//! DNS verdicts become a handoff of exact records (full name and host part, since providers'
//! forms differ); SMTP probe outcomes become the diagnoses the setup document promises; the
//! launch date and whether anything still blocks decide readiness.

use super::{Level, LibraryAction, Readiness, RecordHandoff};
use crate::dns_check::{DkimExpectation, DkimReport, Mistake, RecordCheck, Verdict};
use crate::model::{Date, DomainName};
use crate::probe::{StageOutcome, Status};

/// The name relative to the zone of `domain`, as a provider's "host" field wants it.
pub fn host_part(name: &str, domain: &DomainName) -> String {
    let suffix = format!(".{domain}");
    match name.strip_suffix(&suffix) {
        Some(host) => host.to_string(),
        None if name == domain.as_str() => "@".to_string(),
        None => name.to_string(),
    }
}

fn found_text(verdict: &Verdict) -> Option<String> {
    let m = match verdict {
        Verdict::Wrong { mistake }
        | Verdict::Missing {
            hint: Some(mistake),
        } => mistake,
        _ => return None,
    };
    Some(match m {
        Mistake::DomainTwice { at }
        | Mistake::OnParentDomain { at }
        | Mistake::OnSubdomain { at } => {
            format!("a record at {at}")
        }
        Mistake::TxtInsteadOfCname { value } => format!("TXT \"{value}\""),
        Mistake::Flattened { addresses } => format!("addresses {}", addresses.join(", ")),
        Mistake::TargetTypo { found }
        | Mistake::TargetOutsideSigningZone { found }
        | Mistake::TargetWithDomainAppended { found } => format!("CNAME {found}"),
        Mistake::Collision { types } => format!(
            "also {}",
            types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The handoff line for one checked record.
pub fn handoff(check: &RecordCheck, domain: &DomainName) -> RecordHandoff {
    RecordHandoff {
        name: check.name.clone(),
        host: host_part(&check.name, domain),
        rtype: check.rtype.as_str().to_string(),
        value: check.expected.clone(),
        status: check.verdict.code().to_string(),
        found: found_text(&check.verdict),
    }
}

/// What the library must do about its DKIM records, if anything: one action listing all three
/// records (so the handoff is complete), led by the first named mistake.
pub fn dkim_action(expect: &DkimExpectation, report: &DkimReport) -> Option<LibraryAction> {
    let not_present: Vec<&RecordCheck> = report
        .records
        .iter()
        .filter(|r| r.verdict != Verdict::Present)
        .collect();
    if not_present.is_empty() {
        return None;
    }
    if not_present
        .iter()
        .all(|r| matches!(r.verdict, Verdict::Unknown { .. }))
    {
        return Some(LibraryAction {
            code: "dns::lookup-failed".into(),
            level: Level::Warning,
            message: "the DKIM records could not be looked up; mailform will try again".into(),
            remedy:
                "nothing, unless this persists: then check that the domain's name servers answer"
                    .into(),
            records: report
                .records
                .iter()
                .map(|r| handoff(r, &expect.domain))
                .collect(),
        });
    }
    let first_mistake = not_present.iter().find_map(|r| match &r.verdict {
        Verdict::Wrong { mistake }
        | Verdict::Missing {
            hint: Some(mistake),
        } => Some(mistake),
        _ => None,
    });
    let total = report.records.len();
    let (code, message, remedy) = match first_mistake {
        Some(m) => (m.code().to_string(), m.message(), m.remedy().to_string()),
        None if report.present() == 0 => (
            "dns::missing".to_string(),
            format!("none of the {total} DKIM records is installed yet"),
            "install the records below at the library's DNS provider".to_string(),
        ),
        None => (
            "dns::partial".to_string(),
            format!(
                "{} of the {total} DKIM records {} missing",
                not_present.len(),
                if not_present.len() == 1 { "is" } else { "are" }
            ),
            "install the missing records below; all three are needed".to_string(),
        ),
    };
    Some(LibraryAction {
        code,
        level: Level::Warning,
        message,
        remedy,
        records: report
            .records
            .iter()
            .map(|r| handoff(r, &expect.domain))
            .collect(),
    })
}

/// The probe's failures and warnings as what the library must do.
pub fn probe_actions(stages: &[StageOutcome]) -> Vec<LibraryAction> {
    stages
        .iter()
        .filter(|s| matches!(s.status, Status::Fail | Status::Warn))
        .map(|s| LibraryAction {
            code: s.code.clone(),
            level: if s.status == Status::Fail {
                Level::Error
            } else {
                Level::Warning
            },
            message: s.diagnosis.clone(),
            remedy: s
                .action
                .clone()
                .unwrap_or_else(|| "nothing required; see the diagnosis".into()),
            records: vec![],
        })
        .collect()
}

/// Whether a library can launch, and how urgent it is when it cannot.
///
/// Not ready inside the notice period is an error: the setup document asks for two weeks.
pub fn readiness(launch: Option<Date>, today: Date, notice_days: u32, blocked: bool) -> Readiness {
    let days_left = launch.map(|l| today.days_until(&l));
    let launch_text = launch.map(|l| l.to_string());
    if !blocked {
        return Readiness {
            ready: true,
            launch: launch_text,
            days_left,
            level: Level::Info,
            summary: "ready".into(),
        };
    }
    let (level, summary) = match (launch, days_left) {
        (Some(l), Some(d)) if d < 0 => (
            Level::Error,
            format!("not ready, and the launch on {l} was {} days ago", -d),
        ),
        (Some(l), Some(d)) if d < i64::from(notice_days) => (
            Level::Error,
            format!(
                "not ready, launch {l} in {d} days, inside the {notice_days}-day notice period"
            ),
        ),
        (Some(l), Some(d)) => (
            Level::Warning,
            format!("not ready yet, launch {l} in {d} days"),
        ),
        _ => (Level::Warning, "not ready yet (no launch date)".into()),
    };
    Readiness {
        ready: false,
        launch: launch_text,
        days_left,
        level,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::dns::Rtype;

    fn domain() -> DomainName {
        DomainName::parse("lib.example.org").unwrap()
    }

    fn check(token: &str, verdict: Verdict) -> RecordCheck {
        RecordCheck {
            name: format!("{token}._domainkey.lib.example.org"),
            rtype: Rtype::Cname,
            expected: format!("{token}.dkim.amazonses.com"),
            verdict,
        }
    }

    fn expect() -> DkimExpectation {
        DkimExpectation {
            domain: domain(),
            tokens: vec!["a".into(), "b".into(), "c".into()],
            signing_zone: "dkim.amazonses.com".into(),
            subdomains: vec![],
        }
    }

    #[test]
    fn host_parts() {
        assert_eq!(
            host_part("a._domainkey.lib.example.org", &domain()),
            "a._domainkey"
        );
        assert_eq!(host_part("lib.example.org", &domain()), "@");
        assert_eq!(
            host_part("other.example.org", &domain()),
            "other.example.org"
        );
    }

    #[test]
    fn dkim_actions_name_the_mistake_and_list_every_record() {
        let all_present = DkimReport {
            records: ["a", "b", "c"].map(|t| check(t, Verdict::Present)).to_vec(),
        };
        assert!(dkim_action(&expect(), &all_present).is_none());

        let partial = DkimReport {
            records: vec![
                check("a", Verdict::Present),
                check("b", Verdict::Present),
                check("c", Verdict::Missing { hint: None }),
            ],
        };
        let a = dkim_action(&expect(), &partial).unwrap();
        assert_eq!(a.code, "dns::partial");
        assert_eq!(a.message, "1 of the 3 DKIM records is missing");
        assert_eq!(a.records.len(), 3);
        assert_eq!(a.records[2].host, "c._domainkey");

        let twice = DkimReport {
            records: vec![
                check("a", Verdict::Present),
                check(
                    "b",
                    Verdict::Missing {
                        hint: Some(Mistake::DomainTwice {
                            at: "b._domainkey.lib.example.org.lib.example.org".into(),
                        }),
                    },
                ),
                check("c", Verdict::Missing { hint: None }),
            ],
        };
        let a = dkim_action(&expect(), &twice).unwrap();
        assert_eq!(a.code, "dns::domain-twice");
        assert_eq!(
            a.records[1].found.as_deref(),
            Some("a record at b._domainkey.lib.example.org.lib.example.org")
        );
    }

    #[test]
    fn readiness_against_the_launch_date() {
        let today = Date::parse("2026-11-26").unwrap();
        let launch = |s: &str| Some(Date::parse(s).unwrap());
        assert!(readiness(launch("2026-12-01"), today, 14, false).ready);
        let r = readiness(launch("2026-12-01"), today, 14, true);
        assert_eq!((r.level, r.days_left), (Level::Error, Some(5)));
        let r = readiness(launch("2027-03-01"), today, 14, true);
        assert_eq!(r.level, Level::Warning);
        let r = readiness(launch("2026-11-20"), today, 14, true);
        assert_eq!(r.level, Level::Error);
        assert!(r.summary.contains("6 days ago"), "{}", r.summary);
        assert_eq!(readiness(None, today, 14, true).level, Level::Warning);
    }
}
