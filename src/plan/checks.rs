//! Plan-time checks: what would otherwise fail in the middle of an apply (or start a clock that
//! cannot be stopped), found while planning and shown as a library's error with its changes
//! withheld. Pure: the planner hands in the facts, findings and blocked changes come out.

use std::collections::BTreeSet;

use super::planner::tag_text;
use super::{Attribute, Change, Cost, Level, LibraryAction, LibraryPlan, Op, ResourceKind};
use crate::live::ownership;
use crate::live::snapshot::{DomainV1, IdentityV1, LiveSnapshotV1};
use crate::model::Date;
use crate::model::{Config, Library, ManagedDomain};

/// The purchase of a managed domain: what `apply --allow-purchase DOMAIN` buys.
pub(super) fn registration(
    config: &Config,
    library: &Library,
    m: &ManagedDomain,
    cents: u64,
) -> Change {
    Change {
        op: Op::Create,
        kind: ResourceKind::DomainRegistration,
        name: m.domain.as_str().into(),
        attributes: vec![
            Attribute {
                name: "years".into(),
                old: None,
                new: Some(m.years.to_string()),
            },
            Attribute {
                name: "auto-renew".into(),
                old: None,
                new: Some(m.auto_renew.to_string()),
            },
            Attribute {
                name: "tags".into(),
                old: None,
                new: Some(tag_text(&ownership::tags_for(config, &library.id))),
            },
        ],
        cost: Some(Cost {
            yearly_cents: cents,
            cap_cents: m.price_cap.cents,
            years: m.years,
        }),
        reason: Some("buying needs `apply --allow-purchase` naming the domain".into()),
    }
}

/// A purchase a finding stands in the way of: listed as blocked, so the plan never reads as if
/// nothing were wanted ("No changes") while the library waits for its domain.
pub(super) fn blocked_purchase(
    config: &Config,
    library: &Library,
    m: &ManagedDomain,
    cents: u64,
    why: &str,
) -> Change {
    Change {
        reason: Some(format!("blocked: {why}; nothing is bought")),
        ..registration(config, library, m, cents)
    }
}

/// The attribute that marks the deletion of an identity SES still sends for
/// ([`super::Change::stops_mail`]).
pub const VERIFIED_FOR_SENDING: &str = "verified-for-sending";

/// The deletion of an identity no library wants any more. One that is verified and sending is
/// no routine cleanup: mail from its domain stops at once, and taking it back means new DKIM
/// records and up to 72 hours; the change says so, and every rendering shows it.
pub(super) fn identity_deletion(identity: &IdentityV1, reason: String) -> Change {
    let sending = identity.verified_for_sending;
    Change {
        op: Op::Delete,
        kind: ResourceKind::SesIdentity,
        name: identity.name.clone(),
        attributes: if sending {
            vec![Attribute {
                name: VERIFIED_FOR_SENDING.into(),
                old: Some("true".into()),
                new: None,
            }]
        } else {
            vec![]
        },
        cost: None,
        reason: Some(if sending {
            format!(
                "{reason}; VERIFIED AND SENDING: deleting it stops all mail from {} through SES at once, and a new identity needs new DKIM records and up to 72 hours",
                identity.name
            )
        } else {
            reason
        }),
    }
}

/// How many domains count against the account's Route 53 Domains quota: those it holds, and
/// those whose registration is under way (AWS counts them from the moment it accepts one).
pub fn domains_held(live: &LiveSnapshotV1) -> usize {
    let held: BTreeSet<&str> = live
        .registrar
        .domains
        .iter()
        .map(|d| d.name.as_str())
        .chain(
            live.registrar
                .operations
                .iter()
                .filter(|o| {
                    o.kind == "REGISTER_DOMAIN"
                        && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
                })
                .filter_map(|o| o.domain.as_deref()),
        )
        .collect();
    held.len()
}

/// The account's domain quota, found at plan time: Route 53 Domains refuses a registration
/// beyond it (`DomainLimitExceeded`), which would otherwise fail in the middle of an apply.
/// The purchases that fit are kept in the libraries' order; each one beyond it is blocked with
/// the rest of its library's changes (its identity and records need the domain). Returns the
/// libraries whose changes it blocked.
pub fn domain_quota(libraries: &mut [LibraryPlan], held: usize, quota: usize) -> Vec<String> {
    let mut count = held;
    let mut stopped = Vec::new();
    for library in libraries.iter_mut() {
        let Some(domain) = library
            .changes
            .iter()
            .find(|c| c.kind == ResourceKind::DomainRegistration)
            .map(|c| c.name.clone())
        else {
            continue;
        };
        if count < quota {
            count += 1;
            continue;
        }
        let message = format!(
            "buying {domain} would exceed the account's Route 53 Domains quota: it holds {held} domain{} (registrations under way included) of at most {quota}",
            if held == 1 { "" } else { "s" }
        );
        library.actions.push(LibraryAction {
            code: "registrar::domain-quota".into(),
            level: Level::Error,
            message: message.clone(),
            remedy: "ask AWS to raise the quota (Route 53 Domains has no self-service increase: open a support case), then set `domain-quota` in the platform file to the new figure; or free a domain the account no longer needs".into(),
            records: vec![],
            breaking: false,
        });
        for mut change in library.changes.drain(..) {
            change.reason = Some(if change.kind == ResourceKind::DomainRegistration {
                format!("blocked: over the account's domain quota of {quota}; nothing is bought")
            } else {
                format!("blocked until the domain is bought: {message}")
            });
            library.blocked.push(change);
        }
        stopped.push(library.library.clone());
    }
    stopped
}

/// A transfer to the account the domain is in already: Route 53 Domains refuses it, and the
/// library, who asked to take the domain over, would get nothing. Judged only when the account
/// id was read (`None` is unknown, never a match).
pub(super) fn transfer_to_own_account(
    live: &LiveSnapshotV1,
    domain: &str,
    account: &str,
) -> Option<LibraryAction> {
    (live.ses.account.aws_account_id.as_deref() == Some(account)).then(|| LibraryAction {
        code: "registrar::transfer-to-own-account".into(),
        level: Level::Error,
        message: format!(
            "the transfer of {domain} names account {account}, the platform's own account, where the domain is already: nothing would move to the library"
        ),
        remedy: "ask the library for the 12-digit id of its own AWS account and write it in `transfer-to-aws-account`".into(),
        records: vec![],
        breaking: false,
    })
}

/// Days after a registration during which ICANN's transfer policy forbids a transfer to
/// another registrar.
pub const REGISTRAR_TRANSFER_LOCK_DAYS: i64 = 60;

/// A transfer to another registrar inside ICANN's 60-day lock after the registration: the
/// gaining registrar refuses it, so the auth code would be handed over for nothing. Said at
/// plan time with the first day it becomes possible; the unlock and the auth code wait until
/// then. Counted from the creation date Route 53 Domains reports (`None`: not known, nothing
/// judged). A transfer into Route 53 also starts a lock, which its creation date does not show.
pub(super) fn registrar_transfer_lock(registered: &DomainV1, today: Date) -> Option<LibraryAction> {
    let created = registered
        .created
        .as_deref()
        .and_then(|c| c.get(..10))
        .and_then(|d| Date::parse(d).ok())?;
    let possible =
        Date::from_days_since_epoch(created.days_since_epoch() + REGISTRAR_TRANSFER_LOCK_DAYS);
    (today < possible).then(|| LibraryAction {
        code: "registrar::transfer-within-60-days".into(),
        level: Level::Error,
        message: format!(
            "{} was registered on {created}: ICANN forbids a transfer to another registrar for {REGISTRAR_TRANSFER_LOCK_DAYS} days after a registration, so it becomes possible on {possible}",
            registered.name
        ),
        remedy: format!(
            "tell the library the handover can start on {possible}; the plan unlocks the domain and hands over its auth code from that day (nothing is done before)"
        ),
        records: vec![],
        breaking: false,
    })
}
