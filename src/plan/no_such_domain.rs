//! A sending domain (method 1) whose own name servers answer NXDOMAIN. Creating its SES
//! identity would start SES's 72-hour verification clock for a domain that cannot verify, so
//! before the identity exists this is an error for that library and the creation is withheld;
//! once the identity exists there is nothing left to withhold and it stays a warning.
//!
//! Only an authoritative NXDOMAIN for the domain itself counts (the SPF check's
//! `dns::no-such-domain`): a lookup that failed, timed out or met SERVFAIL is unknown and
//! never blocks.

use super::{Change, Level, LibraryAction, LibraryPlan};

/// The code of the finding; the same as the SPF check's, which observed it.
pub const CODE: &str = "dns::no-such-domain";

/// Judges `domain` from the SPF check's code. `identity_exists` is whether SES has the
/// identity already; changes from `first_change` on (the identity's) are withheld when the
/// domain does not exist and the identity does not either. Returns whether it blocks.
pub(super) fn judge(
    domain: &str,
    spf_code: Option<&str>,
    identity_exists: bool,
    first_change: usize,
    out: &mut LibraryPlan,
) -> bool {
    if spf_code != Some(CODE) {
        return false;
    }
    out.information.retain(|i| i.code != CODE);
    let message = format!(
        "the sending domain {domain} does not exist in DNS: its name servers answer NXDOMAIN"
    );
    let (level, remedy) = if identity_exists {
        (
            Level::Warning,
            "check the spelling of `from` in the library file, or register the domain and set up its DNS; SES cannot verify a domain that does not exist",
        )
    } else {
        (
            Level::Error,
            "register the domain and set up its DNS, or correct `from` in the library file; mailform creates the SES identity only once the domain exists, because SES gives up verifying it after 72 hours",
        )
    };
    if !identity_exists {
        // No identity is made, so no DKIM records become known after this apply.
        out.actions.retain(|a| a.code != "dns::records-after-apply");
        let withheld: Vec<Change> = out.changes.drain(first_change..).collect();
        out.blocked.extend(withheld.into_iter().map(|mut c| {
            c.reason = Some(format!("blocked: {message}"));
            c
        }));
    }
    out.actions.push(LibraryAction {
        code: CODE.into(),
        level,
        message,
        remedy: remedy.into(),
        records: vec![],
        breaking: false,
    });
    true
}
