//! The ledger of notices: which notice was claimed by which run, and which was sent.
//!
//! A run claims a notice with a conditional write (the item must not exist) before it talks
//! to the relay, and settles the claim after the relay's answer. Two runs never both win a
//! claim, so two overlapping runs send a notice once; a crash between claim and settle leaves
//! a claim that the kind's [`CrashRule`](super::CrashRule) decides about.
//!
//! Production: one DynamoDB table (partition key `library`, sort key `notice`, both strings;
//! see the README's "Notices"). The sandbox serves the same API.

use std::future::Future;

use super::NoticeKey;
use crate::live::ReadError;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    /// A run claimed it and has not recorded the relay's answer (yet, or ever: a crash).
    Claimed,
    /// The relay accepted it.
    Sent,
    /// The relay refused it for good (a 5xx); not sent again by itself.
    Failed,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Claimed => "claimed",
            EntryState::Sent => "sent",
            EntryState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<EntryState> {
        Some(match s {
            "claimed" => EntryState::Claimed,
            "sent" => EntryState::Sent,
            "failed" => EntryState::Failed,
            _ => return None,
        })
    }
}

/// One notice in the ledger. Holds no secret: the subject and the recipient are what an
/// operator needs to answer "did they get it?", and the body as it was first written is what
/// a resend carries (so the library reads the same words again, whatever changed since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: NoticeKey,
    pub state: EntryState,
    /// The run that claimed it (random per run), so only that run settles it.
    pub run: String,
    /// Unix seconds of the claim.
    pub claimed_at: i64,
    /// Unix seconds the relay accepted it.
    pub sent_at: Option<i64>,
    /// The recipient (the library's `it-contact`).
    pub to: String,
    pub subject: String,
    /// The message's `Message-ID` (the same on a resend).
    pub message_id: String,
    /// The relay's refusal for [`EntryState::Failed`].
    pub detail: Option<String>,
    /// The message's words as first written; `None` in entries older than this field.
    pub words: Option<StoredWords>,
}

/// A notice's body as the ledger keeps it (the subject is [`LedgerEntry::subject`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWords {
    pub text: String,
    pub html: String,
}

/// The outcome of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This run holds the notice now and may send it.
    Won,
    /// Someone holds it already (another run, or an earlier one): its entry (boxed: an entry
    /// is large beside `Won`).
    Held(Box<LedgerEntry>),
}

/// How a claim ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// The relay accepted the message at this time (unix seconds).
    Sent { at: i64 },
    /// The relay refused it for good; its reply.
    Failed { detail: String },
    /// The relay said "try later" (4xx) or could not be reached: the claim is removed so a
    /// later run sends the notice.
    Released,
}

/// The ledger's operations. Every write is conditional; none is retried blindly.
pub trait NoticeLedger {
    /// Every entry, or one library's (`Query` on the partition key; `Scan` for all).
    fn entries(
        &self,
        library: Option<&crate::model::LibraryId>,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, ReadError>> + Send;

    /// Claims a notice that has no entry: a put conditional on the item's absence.
    /// `entry.state` is [`EntryState::Claimed`].
    fn claim(&self, entry: &LedgerEntry) -> impl Future<Output = Result<Claim, ReadError>> + Send;

    /// Takes over an entry: a stale claim (an at-least-once notice whose claim outlived the
    /// lease), or any entry an operator asked to send again (`notify --resend`). A put
    /// conditional on the item still being `stale` (same run, same state), so only one run wins.
    fn take_over(
        &self,
        entry: &LedgerEntry,
        stale: &LedgerEntry,
    ) -> impl Future<Output = Result<Claim, ReadError>> + Send;

    /// Ends this run's claim: conditional on the item still being claimed by `run`.
    /// Returns `false` when it was not (another run took it over meanwhile).
    fn settle(
        &self,
        key: &NoticeKey,
        run: &str,
        outcome: &Settle,
    ) -> impl Future<Output = Result<bool, ReadError>> + Send;
}
