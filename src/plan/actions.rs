//! What a library must do, from the verdicts on its live setup. Pure.
//!
//! DNS verdicts become a handoff of exact records (full name and host part, since providers'
//! forms differ); the launch date and whether anything still blocks decide readiness.

use super::{Information, Level, LibraryAction, Readiness, RecordHandoff};
use crate::dns_provider::{self, DnsProvider};
use crate::live::snapshot::{CheckV1, DnsV1, FindingV1};
use crate::model::{Date, DomainName, LaunchWindow};

/// The name relative to the zone of `domain`, as a provider's "host" field wants it.
pub fn host_part(name: &str, domain: &DomainName) -> String {
    let suffix = format!(".{domain}");
    match name.strip_suffix(&suffix) {
        Some(host) => host.to_string(),
        None if name == domain.as_str() => "@".to_string(),
        None => name.to_string(),
    }
}

/// The handoff line for one record the live snapshot checked.
pub fn handoff(check: &CheckV1, domain: &str) -> RecordHandoff {
    RecordHandoff {
        name: check.name.clone(),
        host: DomainName::parse(domain)
            .map_or_else(|_| check.name.clone(), |d| host_part(&check.name, &d)),
        rtype: check.rtype.clone(),
        value: check.expected.clone(),
        status: check.verdict.clone(),
        found: check.detail.clone(),
    }
}

/// The library's DNS provider, recognised from the NS records the snapshot kept; `None` for an
/// unknown provider or a snapshot from before.
pub fn dns_provider(dns: &DnsV1) -> Option<&'static DnsProvider> {
    dns.name_servers
        .as_ref()
        .and_then(|n| dns_provider::detect(&n.hosts))
}

/// The remedies of actions that hand over records, in the provider's words: named, with how its
/// form wants them (name field, proxy setting, TTL). An unknown provider keeps the general words.
pub fn in_providers_words(provider: &DnsProvider, actions: &mut [LibraryAction]) {
    const GENERAL: &str = "at the library's DNS provider";
    for a in actions
        .iter_mut()
        .filter(|a| !a.records.is_empty() && a.code != "dns::lookup-failed")
    {
        let named = format!(
            "at {} (the library's DNS provider, known from its name servers)",
            provider.name
        );
        a.remedy = if a.remedy.contains(GENERAL) {
            format!(
                "{} — {}",
                a.remedy.replace(GENERAL, &named),
                provider.form_line()
            )
        } else {
            format!("{}; {named}: {}", a.remedy, provider.form_line())
        };
    }
}

/// The sending domain's SPF and DMARC findings, as information for methods 1 and 3, each with
/// why mailform's mail does not depend on it and, when something is wrong, its fix (`remedy`).
/// Findings from snapshots taken before findings were named are left out. The plan keeps only
/// those with a fix ([`wrong_only`]); the records sheet shows them all.
pub fn domain_information(dns: &DnsV1, mail_from: Option<&str>) -> Vec<Information> {
    let spf_why = match mail_from {
        Some(mf) => format!(
            "SES sends with the MAIL FROM domain {mf}, whose own SPF record is checked above; this record covers other mail of the domain, so nothing needs to change for mailform"
        ),
        None => "SES sends with its own MAIL FROM domain (amazonses.com), whose SPF record covers the mail; this record covers other mail of the domain, so nothing needs to change for mailform".to_string(),
    };
    let dmarc_why = "Easy DKIM signs with the domain itself, so mailform's mail passes DMARC through DKIM alignment whatever this record says; nothing needs to change for mailform".to_string();
    [(&dns.spf, spf_why), (&dns.dmarc, dmarc_why)]
        .into_iter()
        .filter_map(|(f, why): (&FindingV1, String)| {
            let code = f.code.clone()?;
            let remedy = crate::dns_check::spf::remedy(&code)
                .or_else(|| crate::dns_check::dmarc::remedy(&code))
                .map(str::to_string);
            Some(Information {
                message: f.detail.clone().unwrap_or_else(|| f.finding.clone()),
                remedy,
                code,
                why,
            })
        })
        .filter(|i| i.code != "spf::absent" || mail_from.is_none())
        .collect()
}

/// The apex's SPF and DMARC do not decide mailform's mail (the setup document promises no change
/// to them): the plan mentions them only when something is wrong, that is when there is a fix,
/// never for a record that is fine or absent.
pub fn wrong_only(information: Vec<Information>) -> Vec<Information> {
    information
        .into_iter()
        .filter(|i| i.remedy.is_some())
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
    let window = days_left.map(|d| LaunchWindow::of(d, notice_days));
    let (level, summary) = match (launch, days_left, window) {
        (Some(l), Some(d), Some(LaunchWindow::Passed)) => (
            Level::Error,
            format!("not ready, and the launch on {l} was {} days ago", -d),
        ),
        (Some(l), Some(d), Some(LaunchWindow::Inside)) => (
            Level::Error,
            format!(
                "not ready, launch {l} in {d} days, inside the {notice_days}-day notice period"
            ),
        ),
        (Some(l), Some(d), _) => (
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

    fn domain() -> DomainName {
        DomainName::parse("lib.example.org").unwrap()
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
