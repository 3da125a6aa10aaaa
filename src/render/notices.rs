//! `mailform notices`: what the notice ledger holds, per library, as text or JSON.
//!
//! Each notice with its kind, its state (sent; failed, with the relay's reply; claimed but
//! never confirmed, with what that means under its kind's [`CrashRule`]), when, to whom, the
//! subject and the `Message-ID`, sorted by time within each library. Pure: the CLI reads the
//! ledger and prints. The ledger's strings (the relay's replies above all) come from outside
//! and are shown with their hidden characters visible.

use std::fmt::Write as _;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::notice::CrashRule;
use crate::notice::ledger::{EntryState, LedgerEntry};
use crate::text::visible;

/// The version of the JSON form.
pub const NOTICES_JSON_VERSION: u32 = 1;

/// What the listing covers.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The ledger's table.
    pub table: &'a str,
    /// One library, or all.
    pub library: Option<&'a str>,
}

/// The ledger's entries in display order: by library, then by time (sent, else claimed),
/// then by kind and fingerprint.
pub fn sorted(mut entries: Vec<LedgerEntry>) -> Vec<LedgerEntry> {
    entries.sort_by(|a, b| {
        (a.key.library.as_str(), time_of(a), &a.key).cmp(&(
            b.key.library.as_str(),
            time_of(b),
            &b.key,
        ))
    });
    entries
}

/// When a notice was sent, or (not sent) claimed.
fn time_of(e: &LedgerEntry) -> i64 {
    e.sent_at.unwrap_or(e.claimed_at)
}

fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}

fn rule_name(rule: CrashRule) -> &'static str {
    match rule {
        CrashRule::AtLeastOnce => "at-least-once",
        CrashRule::AtMostOnce => "at-most-once",
    }
}

/// What an unconfirmed claim means for its kind.
fn unconfirmed(e: &LedgerEntry) -> String {
    let kind = e.key.kind;
    let what = match kind.crash_rule() {
        CrashRule::AtLeastOnce => {
            "it is sent again, with the same Message-ID, by the next `mailform notify` once the claim is older than the lease"
        }
        CrashRule::AtMostOnce => {
            "it is not sent again by itself; ask the library whether it arrived, and send it by hand if it did not"
        }
    };
    format!(
        "claimed by run {} but never confirmed (the run stopped, or lost the connection, between the claim and recording the relay's answer); {kind} is {}: {what}",
        e.run,
        rule_name(kind.crash_rule())
    )
}

/// Aligned text, one block per library.
pub fn to_text(scope: Scope<'_>, entries: &[LedgerEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        let _ = match scope.library {
            Some(library) => writeln!(
                out,
                "No notices recorded for library `{library}` in the ledger table `{}`.",
                scope.table
            ),
            None => writeln!(
                out,
                "No notices recorded in the ledger table `{}`.",
                scope.table
            ),
        };
        return out;
    }
    let kind_width = entries
        .iter()
        .map(|e| e.key.kind.as_str().len())
        .max()
        .unwrap_or(0);
    let mut current: Option<&str> = None;
    for e in entries {
        let library = e.key.library.as_str();
        if current != Some(library) {
            if current.is_some() {
                out.push('\n');
            }
            let count = entries
                .iter()
                .filter(|x| x.key.library.as_str() == library)
                .count();
            let plural = if count == 1 { "" } else { "s" };
            let _ = writeln!(out, "{} ({count} notice{plural})", visible(library));
            current = Some(library);
        }
        let state = match e.state {
            EntryState::Sent => "sent",
            EntryState::Failed => "failed",
            EntryState::Claimed => "unconfirmed",
        };
        let _ = writeln!(
            out,
            "  {}  {:<kind_width$}  {:<11}  to {}",
            rfc3339(time_of(e)),
            e.key.kind.as_str(),
            state,
            visible(&e.to)
        );
        let indent = "      ";
        let _ = writeln!(out, "{indent}subject     {}", visible(&e.subject));
        let _ = writeln!(out, "{indent}message-id  {}", visible(&e.message_id));
        match e.state {
            EntryState::Sent => {}
            EntryState::Failed => {
                let _ = writeln!(
                    out,
                    "{indent}relay       {}",
                    visible(e.detail.as_deref().unwrap_or("(no reply recorded)"))
                );
                let _ = writeln!(
                    out,
                    "{indent}            refused for good: not sent again by itself; fix the address or the relay and send it by hand"
                );
            }
            EntryState::Claimed => {
                let _ = writeln!(out, "{indent}note        {}", unconfirmed(e));
            }
        }
    }
    out
}

/// The JSON form (versioned).
#[derive(Debug, Serialize)]
struct NoticesJson<'a> {
    version: u32,
    table: &'a str,
    library: Option<&'a str>,
    notices: Vec<NoticeJson<'a>>,
}

#[derive(Debug, Serialize)]
struct NoticeJson<'a> {
    library: &'a str,
    kind: &'static str,
    fingerprint: &'a str,
    /// `sent`, `failed` or `claimed` (never confirmed).
    state: &'static str,
    /// When it was sent, else when it was claimed (RFC 3339).
    time: String,
    claimed_at: String,
    sent_at: Option<String>,
    run: &'a str,
    to: &'a str,
    subject: &'a str,
    message_id: &'a str,
    /// The relay's reply of a failed notice.
    relay_reply: Option<&'a str>,
    /// The kind's rule for an unconfirmed claim.
    crash_rule: &'static str,
    /// For an unconfirmed claim: whether `mailform notify` sends it again after the lease.
    resent_after_lease: Option<bool>,
}

pub fn to_json(scope: Scope<'_>, entries: &[LedgerEntry]) -> String {
    let notices = entries
        .iter()
        .map(|e| NoticeJson {
            library: e.key.library.as_str(),
            kind: e.key.kind.as_str(),
            fingerprint: &e.key.fingerprint,
            state: e.state.as_str(),
            time: rfc3339(time_of(e)),
            claimed_at: rfc3339(e.claimed_at),
            sent_at: e.sent_at.map(rfc3339),
            run: &e.run,
            to: &e.to,
            subject: &e.subject,
            message_id: &e.message_id,
            relay_reply: e
                .detail
                .as_deref()
                .filter(|_| e.state == EntryState::Failed),
            crash_rule: rule_name(e.key.kind.crash_rule()),
            resent_after_lease: (e.state == EntryState::Claimed)
                .then_some(e.key.kind.crash_rule() == CrashRule::AtLeastOnce),
        })
        .collect();
    let doc = NoticesJson {
        version: NOTICES_JSON_VERSION,
        table: scope.table,
        library: scope.library,
        notices,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LibraryId;
    use crate::notice::{NoticeKey, NoticeKind};

    fn entry(library: &str, kind: NoticeKind, state: EntryState, at: i64) -> LedgerEntry {
        LedgerEntry {
            key: NoticeKey::new(LibraryId::parse(library).unwrap(), kind, &["f"]),
            state,
            run: "run-1".into(),
            claimed_at: at,
            sent_at: (state == EntryState::Sent).then_some(at + 2),
            to: format!("it@{library}.example"),
            subject: "Subject".into(),
            message_id: "<id@x>".into(),
            detail: (state == EntryState::Failed).then(|| "550 5.1.1 no such user".into()),
            words: None,
        }
    }

    #[test]
    fn sorted_by_library_then_time() {
        let entries = sorted(vec![
            entry("b", NoticeKind::Records, EntryState::Sent, 50),
            entry("a", NoticeKind::Verified, EntryState::Sent, 90),
            entry("a", NoticeKind::Records, EntryState::Sent, 10),
        ]);
        let order: Vec<(&str, i64)> = entries
            .iter()
            .map(|e| (e.key.library.as_str(), e.claimed_at))
            .collect();
        assert_eq!(order, [("a", 10), ("a", 90), ("b", 50)]);
    }

    #[test]
    fn an_unconfirmed_claim_says_what_its_rule_does() {
        let scope = Scope {
            table: "t",
            library: None,
        };
        let text = to_text(
            scope,
            &[
                entry("a", NoticeKind::Records, EntryState::Claimed, 0),
                entry("a", NoticeKind::DomainBought, EntryState::Claimed, 1),
            ],
        );
        assert!(
            text.contains("records is at-least-once: it is sent again"),
            "{text}"
        );
        assert!(
            text.contains("domain-bought is at-most-once: it is not sent again"),
            "{text}"
        );
        assert_eq!(
            to_text(scope, &[]),
            "No notices recorded in the ledger table `t`.\n"
        );
    }
}
