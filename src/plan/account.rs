//! The platform's own SES account, judged once for every library that sends through it
//! (methods 1 and 3): an account still in the SES sandbox delivers only to verified addresses,
//! at most 200 messages a day, so patrons' notices never arrive; one whose sending is paused
//! delivers nothing. Pure: the account as `GetAccount` answered it in, findings out.
//!
//! These are platform-level blockers, shown once at the top of a plan and of the status page,
//! not once per library; each SES library's readiness says it waits on the platform.

use super::{Level, LibraryPlan, Method, PlatformFinding};
use crate::live::snapshot::SesAccountV1;

/// What stops SES sending for every library, in the order to fix them.
pub fn findings(account: &SesAccountV1, region: &str) -> Vec<PlatformFinding> {
    let mut out = Vec::new();
    if !account.sending_enabled {
        out.push(PlatformFinding {
            code: "ses::sending-paused".into(),
            level: Level::Error,
            message: format!(
                "sending is paused for the SES account in {region}: no library's mail goes out through SES"
            ),
            remedy: "read AWS's message in the SES console (Account dashboard, Reputation metrics), fix its cause, then resume sending (`aws sesv2 put-account-sending-attributes --sending-enabled`)".into(),
            affects: vec![Method::SesDomain, Method::ManagedDomain],
        });
    }
    if !account.production_access {
        let quota = account
            .max_24_hour_send
            .map_or_else(|| "a few".to_string(), |n| format!("{}", n.round() as u64));
        out.push(PlatformFinding {
            code: "ses::account-in-sandbox".into(),
            level: Level::Error,
            message: format!(
                "the SES account in {region} is still in the SES sandbox: it sends at most {quota} messages a day, and only to verified addresses, so patrons' notices do not arrive"
            ),
            remedy: "request production access for the account in this region (SES console, Account dashboard, Request production access), then run the plan again".into(),
            affects: vec![Method::SesDomain, Method::ManagedDomain],
        });
    }
    out
}

/// Holds back the readiness of every library a platform finding stops: it cannot launch
/// whatever its own records say. `readiness` is [`super::actions::readiness`] with the
/// library's launch date, today and the notice period.
pub fn hold(
    libraries: &mut [LibraryPlan],
    findings: &[PlatformFinding],
    readiness: impl Fn(Option<&str>) -> super::Readiness,
) {
    for library in libraries.iter_mut() {
        let Some(f) = findings
            .iter()
            .find(|f| f.level == Level::Error && f.affects.contains(&library.method))
        else {
            continue;
        };
        if !library.readiness.ready {
            continue;
        }
        let mut held = readiness(library.readiness.launch.as_deref());
        held.summary = format!(
            "{} (waits on the platform: {})",
            held.summary,
            match f.code.as_str() {
                "ses::sending-paused" => "SES sending is paused",
                _ => "the SES account is in the SES sandbox",
            }
        );
        library.readiness = held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(production_access: bool, sending_enabled: bool) -> SesAccountV1 {
        SesAccountV1 {
            production_access,
            sending_enabled,
            max_24_hour_send: Some(200.0),
            max_send_rate: Some(1.0),
            aws_account_id: None,
        }
    }

    #[test]
    fn a_healthy_account_has_no_findings() {
        assert!(findings(&account(true, true), "eu-west-1").is_empty());
    }

    #[test]
    fn the_sandbox_and_a_pause_are_errors_naming_the_region() {
        let f = findings(&account(false, false), "eu-west-1");
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["ses::sending-paused", "ses::account-in-sandbox"]);
        assert!(f[1].message.contains("eu-west-1"), "{}", f[1].message);
        assert!(f[1].message.contains("at most 200 messages a day"));
    }
}
