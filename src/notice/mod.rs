//! Notices: the e-mails that carry the setup conversation with each library's IT contact.
//!
//! - [`NoticeKind`]: what a notice tells, and its rule for the crash window;
//! - [`NoticeKey`]: a notice's identity (library, kind and the facts it reports), so one
//!   notice is sent once and a notice about new facts is a new notice;
//! - [`ledger`]: the record of notices claimed and sent (the [`ledger::NoticeLedger`] trait,
//!   a DynamoDB table in production and in the sandbox).

pub mod at_risk;
pub mod due;
pub mod dynamo;
pub mod ledger;
pub mod message;
pub mod relay;
pub mod run;
pub mod text;

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::model::LibraryId;

/// What a notice tells the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// The DKIM records to install, with the deadline (method 1).
    Records,
    /// A day before the deadline, records still missing or wrong.
    Reminder,
    /// SES stopped looking for the records: what happened, what comes next.
    Lapsed,
    /// SES verified the domain.
    Verified,
    /// Records gone from a verified domain: Amazon stops signing its mail within 72 hours.
    RecordsRemoved,
    /// The SMTP account (method 2) fails the probe: the diagnosis and what to change.
    SmtpFailing,
    /// The SMTP account passes the probe.
    SmtpPassing,
    /// Not ready inside the notice period before launch.
    Launch,
    /// A managed domain was bought (method 3), with its yearly charge.
    DomainBought,
    /// A managed domain's transfer to the library was started: the acceptance window.
    TransferStarted,
    /// The library's patrons' addresses bounce (or complain) so much that Amazon reviews or
    /// may pause its sending: the numbers, why they matter, what to clean up.
    AtRisk,
}

/// What happens to a notice whose sending was claimed but never confirmed (a crash, a kill,
/// a lost connection between the claim and the record of the relay's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashRule {
    /// Never sent again by itself; the operator sees it unconfirmed (`mailform notices`) and
    /// may send it again by hand.
    AtMostOnce,
    /// Sent again once the claim is older than the lease, with the same `Message-ID`.
    AtLeastOnce,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 11] = [
        NoticeKind::Records,
        NoticeKind::Reminder,
        NoticeKind::Lapsed,
        NoticeKind::Verified,
        NoticeKind::RecordsRemoved,
        NoticeKind::SmtpFailing,
        NoticeKind::SmtpPassing,
        NoticeKind::Launch,
        NoticeKind::DomainBought,
        NoticeKind::TransferStarted,
        NoticeKind::AtRisk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Records => "records",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Lapsed => "lapsed",
            NoticeKind::Verified => "verified",
            NoticeKind::RecordsRemoved => "records-removed",
            NoticeKind::SmtpFailing => "smtp-failing",
            NoticeKind::SmtpPassing => "smtp-passing",
            NoticeKind::Launch => "launch",
            NoticeKind::DomainBought => "domain-bought",
            NoticeKind::TransferStarted => "transfer-started",
            NoticeKind::AtRisk => "at-risk",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The crash-window rule of this kind (see the README's "Notices").
    pub fn crash_rule(self) -> CrashRule {
        match self {
            // A lost notice here stalls the library's onboarding; a second copy of the same
            // message (same Message-ID, which mail stores collapse) costs nothing.
            NoticeKind::Records
            | NoticeKind::Reminder
            | NoticeKind::Lapsed
            | NoticeKind::RecordsRemoved
            | NoticeKind::SmtpFailing
            | NoticeKind::Launch
            // A lost warning leaves the library to meet the pause unwarned: every one of its
            // notices to patrons stops. A second copy of the same words costs nothing.
            | NoticeKind::AtRisk => CrashRule::AtLeastOnce,
            // A second "we bought your domain" reads as a second charge, a second "transfer
            // started" as a second transfer to accept, a second confirmation as noise; a lost
            // one is shown to the operator, and the facts it reports are also in the next
            // notice the library gets.
            NoticeKind::Verified
            | NoticeKind::SmtpPassing
            | NoticeKind::DomainBought
            | NoticeKind::TransferStarted => CrashRule::AtMostOnce,
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notice's identity: the library, the kind and a fingerprint of the facts it reports
/// (for records: the tokens and the deadline). The same key is never sent twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeKey {
    pub library: LibraryId,
    pub kind: NoticeKind,
    /// 16 hex digits of SHA-256 over the facts.
    pub fingerprint: String,
}

impl NoticeKey {
    /// The key of a notice about these facts. The facts are joined unambiguously (each is
    /// length-prefixed), so `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn new(library: LibraryId, kind: NoticeKind, facts: &[&str]) -> NoticeKey {
        let mut hash = Sha256::new();
        for fact in facts {
            hash.update((fact.len() as u64).to_be_bytes());
            hash.update(fact.as_bytes());
        }
        let digest = hash.finalize();
        let fingerprint = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        NoticeKey {
            library,
            kind,
            fingerprint,
        }
    }

    /// The key within its library: `kind#fingerprint` (the ledger's sort key).
    pub fn item(&self) -> String {
        format!("{}#{}", self.kind, self.fingerprint)
    }

    /// Parses [`NoticeKey::item`] back, for the ledger's reader.
    pub fn from_item(library: LibraryId, item: &str) -> Option<NoticeKey> {
        let (kind, fingerprint) = item.split_once('#')?;
        Some(NoticeKey {
            library,
            kind: NoticeKind::parse(kind)?,
            fingerprint: fingerprint.to_string(),
        })
    }
}

impl fmt::Display for NoticeKey {
    /// `library/kind/fingerprint`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.library, self.kind, self.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(s: &str) -> LibraryId {
        LibraryId::parse(s).unwrap()
    }

    #[test]
    fn keys_differ_with_facts_and_join_unambiguously() {
        let a = NoticeKey::new(lib("a"), NoticeKind::Records, &["ab", "c"]);
        let b = NoticeKey::new(lib("a"), NoticeKind::Records, &["a", "bc"]);
        assert_ne!(a, b);
        assert_eq!(
            a,
            NoticeKey::new(lib("a"), NoticeKind::Records, &["ab", "c"])
        );
        assert_eq!(a.fingerprint.len(), 16);
        let back = NoticeKey::from_item(lib("a"), &a.item()).unwrap();
        assert_eq!(back, a);
        assert_eq!(NoticeKey::from_item(lib("a"), "nonsense#1"), None);
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
    }
}
