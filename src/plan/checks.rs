//! Plan-time checks: what would otherwise fail in the middle of an apply (or start a clock that
//! cannot be stopped), found while planning and shown as a library's error with its changes
//! withheld. Pure: the planner hands in the facts, findings and blocked changes come out.

use super::planner::tag_text;
use super::{Attribute, Change, Cost, Op, ResourceKind};
use crate::live::ownership;
use crate::live::snapshot::IdentityV1;
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
