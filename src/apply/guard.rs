//! What apply may not do without the operator's approval: deletions not allowed or beyond the
//! blast radius, purchases not named. Pure. A change that lacks its approval *waits* (with the
//! rest of its library when it is a purchase, since the library's identity and records depend
//! on the domain); every other change still applies, so one pending purchase never holds the
//! estate hostage. The executor asks [`awaiting`] at each step, whatever the caller checked.

use crate::model::{Config, DeliveryMethod};
use crate::plan::{Change, LibraryPlan, Op, Plan, ResourceKind};

/// What the operator allowed this apply.
#[derive(Debug, Clone, Copy)]
pub struct Permissions<'a> {
    /// The domains `--allow-purchase` names: no other domain is ever bought.
    pub purchases: &'a [String],
    /// `--allow-destroy`: the plan's deletions may go ahead.
    pub destroy: bool,
    /// `--max-destroy`: the most SES identities one apply deletes ...
    pub max_destroy: usize,
    /// ... unless `--force-destroy`.
    pub force_destroy: bool,
    /// Handovers (a transfer's password, an auth code) may be made here; `--hold-handovers`
    /// (the apply workflow) leaves them to an operator's machine, so no secret is ever made on
    /// a CI runner.
    pub handovers: bool,
}

/// The `--allow-purchase` names no library declares as its managed domain, each with the
/// declared domain it most likely means. A typo here would leave the purchase that was meant
/// waiting while the apply reports success, so it is an error before anything is read.
pub fn unknown_purchases(config: &Config, names: &[String]) -> Option<String> {
    let declared: Vec<&str> = config
        .libraries
        .iter()
        .filter_map(|l| match &l.method {
            DeliveryMethod::ManagedDomain(m) => Some(m.domain.as_str()),
            _ => None,
        })
        .collect();
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| {
            !declared
                .iter()
                .any(|d| d.eq_ignore_ascii_case(n.trim_end_matches('.')))
        })
        .map(
            |n| match crate::config::suggest(&n.to_ascii_lowercase(), declared.iter().copied()) {
                Some(s) => format!("`{n}` (did you mean `{s}`?)"),
                None => format!("`{n}`"),
            },
        )
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "--allow-purchase names a domain no library file declares as its `managed-domain`, so nothing of that name can be bought: {}; correct the name (it must be the `domain` of a managed-domain library) and run again; nothing was changed",
            unknown.join(", ")
        )
    })
}

/// Why the plan may not be applied as the operator allowed, if it may not: the list of what
/// waits, shown before an apply starts.
pub fn refusal(plan: &Plan, p: &Permissions) -> Option<String> {
    destroy_refusal(plan, p).or_else(|| purchase_refusal(plan, p))
}

/// What approval `change` of `library` waits for in this apply, if it may not go ahead.
pub fn awaiting(
    plan: &Plan,
    library: &LibraryPlan,
    change: &Change,
    p: &Permissions,
) -> Option<String> {
    if change.op == Op::Delete {
        if !p.destroy {
            return Some(format!(
                "waits for approval: deleting {} {} needs `--allow-destroy`",
                change.kind.as_str(),
                change.name
            ));
        }
        let identities = plan
            .libraries
            .iter()
            .flat_map(|l| &l.deletions)
            .filter(|d| d.kind == ResourceKind::SesIdentity)
            .count();
        if change.kind == ResourceKind::SesIdentity
            && identities > p.max_destroy
            && !p.force_destroy
        {
            return Some(format!(
                "waits for approval: the plan deletes {identities} SES identities, more than \
                 --max-destroy {}; pass --force-destroy if that is really meant",
                p.max_destroy
            ));
        }
        return None;
    }
    if !p.handovers
        && matches!(
            change.kind,
            ResourceKind::DomainTransfer | ResourceKind::DomainTransferLock
        )
    {
        return Some(format!(
            "waits for an operator: the handover of {} makes a secret, which is made on an \
             operator's machine (`mailform apply --target {}`), never here",
            change.name, library.library
        ));
    }
    let unnamed = library
        .changes
        .iter()
        .find(|c| c.kind == ResourceKind::DomainRegistration && !p.purchases.contains(&c.name))?;
    Some(
        if unnamed.kind == change.kind && unnamed.name == change.name {
            format!(
                "waits for approval: buying {} needs `--allow-purchase {}` (not refundable)",
                unnamed.name, unnamed.name
            )
        } else {
            format!("waits for the purchase of {}", unnamed.name)
        },
    )
}

/// Why the plan's deletions may not go ahead, if they may not.
fn destroy_refusal(plan: &Plan, p: &Permissions) -> Option<String> {
    let deletions: Vec<String> = plan
        .libraries
        .iter()
        .flat_map(|l| {
            l.deletions.iter().map(move |d| {
                format!(
                    "  - {} {} (library `{}`){}",
                    d.kind.as_str(),
                    d.name,
                    l.library,
                    if d.stops_mail() {
                        ": verified and sending, mail from it stops at once"
                    } else {
                        ""
                    }
                )
            })
        })
        .collect();
    if deletions.is_empty() {
        return None;
    }
    if !p.destroy {
        return Some(format!(
            "refusing to apply: the plan deletes {} resource(s); review them and pass --allow-destroy\n{}",
            deletions.len(),
            deletions.join("\n")
        ));
    }
    let identities = plan
        .libraries
        .iter()
        .flat_map(|l| &l.deletions)
        .filter(|d| d.op == Op::Delete && d.kind == ResourceKind::SesIdentity)
        .count();
    if identities > p.max_destroy && !p.force_destroy {
        return Some(format!(
            "refusing to apply: the plan deletes {identities} SES identities, more than --max-destroy {}; \
             pass --force-destroy if that is really meant\n{}",
            p.max_destroy,
            deletions.join("\n")
        ));
    }
    None
}

/// Why the plan's purchases may not go ahead: each must be named by `--allow-purchase`, which
/// `--auto-approve` does not replace.
fn purchase_refusal(plan: &Plan, p: &Permissions) -> Option<String> {
    let unnamed: Vec<String> = plan
        .libraries
        .iter()
        .flat_map(|l| &l.changes)
        .filter(|c| c.kind == ResourceKind::DomainRegistration && !p.purchases.contains(&c.name))
        .map(|c| match c.cost {
            Some(cost) => format!(
                "  + {} for ${}.{:02} a year × {} (cap ${}.{:02})",
                c.name,
                cost.yearly_cents / 100,
                cost.yearly_cents % 100,
                cost.years,
                cost.cap_cents / 100,
                cost.cap_cents % 100
            ),
            None => format!("  + {}", c.name),
        })
        .collect();
    (!unnamed.is_empty()).then(|| {
        format!(
            "refusing to apply: the plan buys {} domain(s) not named by --allow-purchase (purchases are not refundable)\n{}",
            unnamed.len(),
            unnamed.join("\n")
        )
    })
}
