//! Sending the due notices once: claim in the ledger, send through the relay, settle.
//!
//! For each due notice, in order:
//! 1. an entry `sent` or `failed` in the ledger: nothing to do;
//! 2. an entry `claimed` (a run that crashed or is still running): within the lease it is
//!    left alone; past the lease an at-least-once notice is taken over (a conditional write
//!    that only one run wins) and sent again with the same `Message-ID`, while an at-most-once
//!    notice is reported as unconfirmed, for the operator;
//! 3. no entry: claim it (a conditional write that only one run wins), send, settle.
//!
//! The claim is written before the relay is asked, so a crash between sending and recording
//! never makes a notice look unsent: it looks claimed, and its kind's rule decides.

use std::collections::BTreeMap;
use std::time::Duration;

use lettre::Message;

use super::ledger::{Claim, EntryState, LedgerEntry, NoticeLedger, Settle};
use super::relay::{Relay, RelayError};
use super::{CrashRule, NoticeKey};
use crate::live::ReadError;

/// A due notice ready to go: its key, recipient, subject and the built message.
#[derive(Debug, Clone)]
pub struct Ready {
    pub key: NoticeKey,
    pub to: String,
    pub subject: String,
    /// The plain-text body (`--dry-run` shows it) and the HTML one: the ledger keeps both, so
    /// a resend carries them unchanged.
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub message: Message,
}

/// How one run sends.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// This run's id (random), written into its claims.
    pub run: String,
    /// Now, in unix seconds (the sandbox's clock under `--sandbox`).
    pub now: i64,
    /// Seconds after which an unconfirmed claim of an at-least-once notice is taken over.
    pub lease: i64,
    /// The least time between two messages (the relay's sending rate).
    pub pace: Duration,
    /// The least time between two messages to the same library: its notices of one run
    /// arrive in their stated order, with `Date` headers a second apart at least, so a mail
    /// client lists them as they were meant to be read.
    pub library_gap: Duration,
    /// Seconds the clock of the live services (the sandbox's simulated one under `--sandbox`)
    /// is ahead of the system's: a message's `Date` is the time it is handed to the relay on
    /// that clock, not the time its facts were read.
    pub clock_offset: i64,
    /// Record due notices as sent without sending them (adopting notices on an estate whose
    /// libraries were told by hand).
    pub record_only: bool,
    /// Notices (`library/kind/fingerprint`) an operator asked to send again whatever the
    /// ledger says: an unconfirmed at-most-once notice the library did not get, a refused one
    /// whose cause was fixed, a sent one the library lost.
    pub resend: Vec<String>,
}

/// What became of one due notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent now.
    Sent,
    /// Sent again now: an earlier run's claim outlived the lease, or `--resend` asked.
    Resent { earlier: LedgerEntry },
    /// Recorded as sent without sending (`--record-only`).
    Recorded,
    /// Sent before.
    Done { entry: LedgerEntry },
    /// Refused for good by the relay on an earlier run and not sent since: reported on every
    /// run (and failing it) until an operator fixes the cause and sends it again (`--resend`),
    /// so a refusal is never read as sent.
    StillRefused { entry: LedgerEntry },
    /// Claimed by a run that is still inside the lease (running now, or crashed recently).
    InFlight { entry: LedgerEntry },
    /// An at-most-once notice whose sending was never confirmed: not sent again by itself.
    Unconfirmed { entry: LedgerEntry },
    /// The relay said "later" (4xx); the claim was released, the next run sends it.
    Deferred { reply: String },
    /// The relay refused it for good (5xx).
    Failed { reply: String },
    /// The connection failed mid-way: the relay may have it. The claim stays; the kind's rule
    /// applies as after a crash.
    Unknown { error: String },
    /// Another run took the claim over while this one was sending.
    Lost,
}

impl Outcome {
    /// Whether the run should fail because of it.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Failed { .. }
                | Outcome::StillRefused { .. }
                | Outcome::Unknown { .. }
                | Outcome::Lost
        )
    }
}

fn entry(ready: &Ready, opts: &RunOptions) -> LedgerEntry {
    LedgerEntry {
        key: ready.key.clone(),
        state: EntryState::Claimed,
        run: opts.run.clone(),
        claimed_at: opts.now,
        sent_at: None,
        to: ready.to.clone(),
        subject: ready.subject.clone(),
        message_id: ready.message_id.clone(),
        detail: None,
        words: Some(super::ledger::StoredWords {
            text: ready.text.clone(),
            html: ready.html.clone(),
        }),
    }
}

/// Now on the live services' clock.
fn clock_time(offset: i64) -> std::time::SystemTime {
    let now = std::time::SystemTime::now();
    if offset >= 0 {
        now + Duration::from_secs(offset.unsigned_abs())
    } else {
        now - Duration::from_secs(offset.unsigned_abs())
    }
}

/// Now on the live services' clock, in unix seconds.
fn clock_now(offset: i64) -> i64 {
    clock_time(offset)
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, as a `Date` header: the wall clock the relay stamps its `Received` lines with. Dated
/// by the live services' clock (the sandbox's, days ahead in a story), a message reads as days
/// old or from the future on arrival, and spam filters count that against it. The ledger keeps
/// the services' clock (`clock_now`), which its leases are measured on.
fn send_date() -> lettre::message::header::Date {
    lettre::message::header::Date::new(clock_time(0))
}

/// What a dry run would do with each due notice, from the ledger's entries.
pub fn preview(
    due: &[NoticeKey],
    entries: &[LedgerEntry],
    now: i64,
    lease: i64,
) -> Vec<Option<LedgerEntry>> {
    let by_key: BTreeMap<&NoticeKey, &LedgerEntry> = entries.iter().map(|e| (&e.key, e)).collect();
    due.iter()
        .map(|k| match by_key.get(k) {
            Some(e)
                if e.state == EntryState::Claimed
                    && k.kind.crash_rule() == CrashRule::AtLeastOnce
                    && now - e.claimed_at >= lease =>
            {
                None
            }
            Some(e) => Some((*e).clone()),
            None => None,
        })
        .collect()
}

/// Sends the due notices. `on_outcome` sees each one as it is settled (the CLI prints it).
/// Errors of the ledger stop the run: nothing is sent without a claim.
pub async fn send_all<L: NoticeLedger + Sync, R: Relay + Sync>(
    due: Vec<Ready>,
    ledger: &L,
    relay: &R,
    opts: &RunOptions,
    mut on_outcome: impl FnMut(&Ready, &Outcome),
) -> Result<Vec<(NoticeKey, Outcome)>, ReadError> {
    let entries = ledger.entries(None).await?;
    let by_key: BTreeMap<NoticeKey, LedgerEntry> =
        entries.into_iter().map(|e| (e.key.clone(), e)).collect();
    let mut out = Vec::new();
    let mut last_send: Option<tokio::time::Instant> = None;
    let mut last_to_library: BTreeMap<String, tokio::time::Instant> = BTreeMap::new();
    for mut ready in due {
        let mine = entry(&ready, opts);
        let asked = opts.resend.iter().any(|k| *k == ready.key.to_string());
        let claim = match by_key.get(&ready.key) {
            Some(e) if asked => ledger.take_over(&mine, e).await?,
            Some(e) if e.state != EntryState::Claimed => Claim::Held(Box::new(e.clone())),
            Some(e) => {
                if ready.key.kind.crash_rule() == CrashRule::AtLeastOnce
                    && opts.now - e.claimed_at >= opts.lease
                {
                    ledger.take_over(&mine, e).await?
                } else {
                    Claim::Held(Box::new(e.clone()))
                }
            }
            None => ledger.claim(&mine).await?,
        };
        let earlier = by_key
            .get(&ready.key)
            .filter(|e| asked || e.state == EntryState::Claimed)
            .cloned();
        let outcome = match claim {
            Claim::Held(e) => match e.state {
                EntryState::Sent => Outcome::Done { entry: *e },
                EntryState::Failed => Outcome::StillRefused { entry: *e },
                EntryState::Claimed
                    if ready.key.kind.crash_rule() == CrashRule::AtMostOnce
                        && opts.now - e.claimed_at >= opts.lease =>
                {
                    Outcome::Unconfirmed { entry: *e }
                }
                EntryState::Claimed => Outcome::InFlight { entry: *e },
            },
            Claim::Won if opts.record_only => {
                let settled = ledger
                    .settle(&ready.key, &opts.run, &Settle::Sent { at: opts.now })
                    .await?;
                if settled {
                    Outcome::Recorded
                } else {
                    Outcome::Lost
                }
            }
            Claim::Won => {
                if let Some(at) = last_send {
                    tokio::time::sleep_until(at + opts.pace).await;
                }
                let library = ready.key.library.as_str().to_string();
                if let Some(at) = last_to_library.get(&library) {
                    tokio::time::sleep_until(*at + opts.library_gap).await;
                }
                let sent_at = tokio::time::Instant::now();
                last_send = Some(sent_at);
                last_to_library.insert(library, sent_at);
                ready.message.headers_mut().set(send_date());
                let (settle, outcome) = match relay.send(ready.message.clone()).await {
                    Ok(()) => (
                        Some(Settle::Sent {
                            at: clock_now(opts.clock_offset),
                        }),
                        match earlier {
                            Some(earlier) => Outcome::Resent { earlier },
                            None => Outcome::Sent,
                        },
                    ),
                    Err(RelayError::Deferred(reply)) => {
                        (Some(Settle::Released), Outcome::Deferred { reply })
                    }
                    Err(RelayError::Refused(reply)) => (
                        Some(Settle::Failed {
                            detail: reply.clone(),
                        }),
                        Outcome::Failed { reply },
                    ),
                    Err(RelayError::Unknown(error)) => (None, Outcome::Unknown { error }),
                };
                match settle {
                    Some(settle) => {
                        if ledger.settle(&ready.key, &opts.run, &settle).await? {
                            outcome
                        } else {
                            Outcome::Lost
                        }
                    }
                    None => outcome,
                }
            }
        };
        on_outcome(&ready, &outcome);
        out.push((ready.key.clone(), outcome));
    }
    Ok(out)
}
