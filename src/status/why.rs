//! Why a row waits (issue #23 item 14): "waits on the platform" names the step the platform
//! owes (an apply, a notice, a password, a blocker on the SES account), and "waits on the
//! library's IT staff" tells records installed with a mistake from nothing installed yet.
//! Pure: the library, its plan and what the DNS check saw in; one line out.

use super::{StatusRow, Urgency, WaitsOn};
use crate::live::snapshot::LibraryV1;
use crate::model::{DeliveryMethod, Library, SecretRef};
use crate::plan::{Level, LibraryPlan, PlatformFinding};

/// What a row waits for, in one line; `None` when it waits on AWS or on nobody.
pub(super) fn waiting(
    row: &StatusRow,
    library: &Library,
    lp: &LibraryPlan,
    observed: Option<&LibraryV1>,
) -> Option<String> {
    match row.waits_on {
        WaitsOn::Platform => Some(format!(
            "waits on the platform: {}",
            platform_step(row, library, lp)
        )),
        WaitsOn::ItStaff => records_done(lp, observed),
        WaitsOn::Aws | WaitsOn::Nobody => None,
    }
}

/// What the platform owes a library whose stage waits on it.
fn platform_step(row: &StatusRow, library: &Library, lp: &LibraryPlan) -> String {
    if let Some(first) = lp.changes.iter().chain(&lp.deletions).next() {
        let more = lp.changes.len() + lp.deletions.len() - 1;
        return format!(
            "an apply would {} the {} {}{}",
            first.op.verb(),
            first.kind.as_str(),
            first.name,
            match more {
                0 => String::new(),
                1 => " and make 1 more change".to_string(),
                n => format!(" and make {n} more changes"),
            }
        );
    }
    match (&library.method, row.stage) {
        (DeliveryMethod::SmtpAccount(s), _) => {
            let SecretRef::Env(var) = &s.password;
            format!(
                "the account is not tested yet: its password variable {var} is not set where mailform runs"
            )
        }
        (_, super::Stage::IdentityCreated) => {
            "no records notice sent yet: `mailform notify` sends it".to_string()
        }
        (DeliveryMethod::ManagedDomain(m), super::Stage::DomainToBuy) => format!(
            "the domain is not bought yet: an apply with `--allow-purchase {}` buys it",
            m.domain
        ),
        _ => "the next apply".to_string(),
    }
}

/// For a library whose records are with its IT staff: installed with a mistake (and which),
/// partly installed, or nothing installed yet. `None` when the DNS check has not looked.
fn records_done(lp: &LibraryPlan, observed: Option<&LibraryV1>) -> Option<String> {
    let dns = observed?.dns.as_ref()?;
    let checks: Vec<_> = dns.dkim.iter().chain(&dns.mail_from).collect();
    if checks.is_empty() {
        return None;
    }
    let count = |f: &dyn Fn(&str) -> bool| checks.iter().filter(|c| f(&c.verdict)).count();
    let present = count(&|v| v == "dns::present");
    let missing = count(&|v| v == "dns::missing");
    let unknown = count(&|v| v == "dns::lookup-failed");
    let wrong = checks.len() - present - missing - unknown;
    let total = checks.len();
    Some(if wrong > 0 {
        // The DNS check's own words for the first mistake, as the plan carries them.
        let verdict = checks
            .iter()
            .map(|c| c.verdict.as_str())
            .find(|v| !matches!(*v, "dns::present" | "dns::missing" | "dns::lookup-failed"))
            .unwrap_or_default();
        let what = lp
            .actions
            .iter()
            .find(|a| a.code == verdict && a.level >= Level::Warning)
            .map_or(verdict, |a| a.message.as_str());
        format!("installed with a mistake ({wrong} of {total} records wrong): {what}")
    } else if present == 0 && unknown == 0 {
        format!("nothing installed yet: none of the {total} records is in DNS")
    } else if unknown > 0 {
        format!("{present} of {total} records in DNS; {unknown} could not be checked today")
    } else {
        format!("{present} of {total} records in DNS; {missing} not installed yet")
    })
}

/// A library a platform finding stops is not done, whatever its own stage says: it waits on
/// the platform, and the row says which blocker.
pub(super) fn hold_for_platform(row: &mut StatusRow, platform: &[PlatformFinding]) {
    let Some(f) = platform
        .iter()
        .find(|f| f.level == Level::Error && f.affects.contains(&row.method))
    else {
        return;
    };
    if row.urgency == Urgency::Done {
        row.urgency = Urgency::Waiting;
    }
    // A failing row keeps its own reason; any other is held by the blocker.
    if row.urgency != Urgency::Failing {
        row.waits_on = WaitsOn::Platform;
        row.reason = Some(format!("waits on the platform: {}", f.message));
    }
}
