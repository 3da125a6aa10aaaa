//! Planning SES tenants: each library that sends through SES (methods 1 and 3) is a tenant
//! named after its id, with its identity and configuration set associated, the reputation
//! policy its file (or the platform's) names, and its sending as its file says. Pure.
//!
//! Ownership is judged as for identities: a tenant mailform did not tag is never changed
//! unless the library says `adopt #true`, and one mailform made for a library that no longer
//! sends through SES becomes a deletion, which apply makes only with `--allow-destroy`.
//! What SES decided (a tenant paused on a reputation finding, its impact) becomes a finding:
//! a paused library is an error with SES's reason, so readiness and the exit code show it.

use crate::live::ownership::{self, Ownership, Wanted};
use crate::live::snapshot::{IdentityV1, TenantV1};
use crate::model::{Config, Library, Platform, TenantSending, TenantSettings};

use super::{Attribute, Change, Information, Level, LibraryAction, LibraryPlan, Op, ResourceKind};

/// Sending statuses as SES names them.
const DISABLED: &str = "DISABLED";

/// How a resource associated with a tenant is named in a plan: `identity/<name>` or
/// `configuration-set/<name>`, the tail of its ARN (apply puts the account and region back).
pub fn resource_name(arn: &str) -> Option<&str> {
    [":identity/", ":configuration-set/"]
        .iter()
        .find_map(|kind| arn.find(kind).map(|at| &arn[at + 1..]))
}

/// What the library's tenant should hold: its identity (once it exists or this apply creates
/// it, and is mailform's) and its configuration set (once the account has it).
fn wanted_resources(
    platform: &Platform,
    library: &Library,
    identity: Option<&IdentityV1>,
    wanted: &Wanted<'_>,
    sets: &[String],
    out: &LibraryPlan,
) -> Vec<String> {
    let mut resources = Vec::new();
    if let Some(domain) = library.method.ses_identity() {
        let created = out
            .changes
            .iter()
            .any(|c| c.kind == ResourceKind::SesIdentity && c.name == domain.as_str());
        let ours = identity.is_some_and(|i| {
            ownership::classify_in(
                wanted,
                ownership::ResourceKind::SesIdentity,
                &i.name,
                &i.tags,
            )
            .may_change()
        });
        if created || ours {
            resources.push(format!("identity/{domain}"));
        }
    }
    if let Some(set) = platform
        .configuration_set_for(library)
        .filter(|s| sets.iter().any(|have| have == s))
    {
        resources.push(format!("configuration-set/{set}"));
    }
    resources
}

/// A tenant's suppression scope in the file's words: SES's default (none set) is the account's.
fn suppression_word(scope: Option<&str>) -> &'static str {
    match scope {
        Some("TENANT") => "tenant",
        _ => "account",
    }
}

fn sending_word(status: Option<&str>) -> &'static str {
    match status {
        Some(DISABLED) => "paused",
        _ => "enabled",
    }
}

/// Plans one library's tenant; answers whether the library is blocked (paused, or a tenant
/// it cannot use).
pub fn plan_library(
    config: &Config,
    library: &Library,
    tenant: Option<&TenantV1>,
    identity: Option<&IdentityV1>,
    wanted: &Wanted<'_>,
    sets: &[String],
    out: &mut LibraryPlan,
) -> bool {
    let Some(settings) = config.tenant_of(library) else {
        return false;
    };
    let name = library.id.as_str();
    let resources = wanted_resources(&config.platform, library, identity, wanted, sets, out);
    let mut blocked = false;
    if settings.sending == TenantSending::Paused {
        blocked = true;
        out.actions.push(LibraryAction {
            code: "ses::tenant-paused-by-file".into(),
            level: Level::Error,
            message: format!(
                "sending is paused: the library file says `sending \"paused\"` for the SES tenant {name}"
            ),
            remedy: "remove `sending \"paused\"` from the `tenant` block (or set it to \"enabled\") once the library may send again".into(),
            records: vec![],
            breaking: false,
        });
    }
    let Some(tenant) = tenant else {
        out.changes.push(Change {
            op: Op::Create,
            kind: ResourceKind::SesTenant,
            name: name.to_string(),
            attributes: create_attributes(settings, &resources),
            cost: None,
            reason: None,
        });
        return blocked;
    };
    // Not read in depth (a scoped read without its tags): nothing to judge it by.
    let Some(tags) = &tenant.tags else {
        return blocked;
    };
    let ownership = ownership::classify_in(wanted, ownership::ResourceKind::SesTenant, name, tags);
    if !ownership.may_change() {
        out.actions.push(LibraryAction {
            code: "ses::tenant-not-managed".into(),
            level: Level::Warning,
            message: format!(
                "an SES tenant named {name} exists but mailform did not create it{}: it is only read, never changed",
                tags.get(ownership::LIBRARY_KEY)
                    .map(|l| format!(" (it is tagged for `{l}`)"))
                    .unwrap_or_default()
            ),
            remedy: "if it is this library's, add `adopt #true` to the method block; otherwise ask whoever made it to rename or delete it".into(),
            records: vec![],
            breaking: false,
        });
        return true;
    }
    blocked |= reputation_findings(name, tenant, out);
    let mut attributes = Vec::new();
    if let Ownership::Adoptable { .. } | Ownership::Moved { .. } = ownership {
        attributes.push(Attribute {
            name: "tags".into(),
            old: None,
            new: Some(format!(
                "{}={}, {}={name}",
                ownership::MANAGED_BY_KEY,
                ownership::MANAGED_BY_VALUE,
                ownership::LIBRARY_KEY
            )),
        });
    }
    let policy = settings.reputation_policy.as_str();
    if tenant.reputation_policy.as_deref() != Some(policy) {
        attributes.push(Attribute {
            name: "reputation-policy".into(),
            old: tenant.reputation_policy.clone(),
            new: Some(policy.into()),
        });
    }
    if let Some(want) = settings.suppression {
        let live = suppression_word(tenant.suppression_scope.as_deref());
        if live != want.as_str() {
            attributes.push(Attribute {
                name: "suppression".into(),
                old: Some(live.into()),
                new: Some(want.as_str().into()),
            });
        }
    }
    let live_sending = sending_word(tenant.customer_managed_status.as_deref());
    let want_sending = sending_text(settings.sending);
    if live_sending != want_sending {
        attributes.push(Attribute {
            name: "sending".into(),
            old: Some(live_sending.into()),
            new: Some(want_sending.into()),
        });
    }
    let held: Vec<&str> = tenant
        .resources
        .iter()
        .flatten()
        .filter_map(|arn| resource_name(arn))
        .collect();
    for r in &resources {
        if !held.contains(&r.as_str()) {
            attributes.push(Attribute {
                name: "resource".into(),
                old: None,
                new: Some(r.clone()),
            });
        }
    }
    // Only what mailform associates is taken away again: a template someone added stays, and so
    // does an email-address identity (mailform makes only domain identities; an address the
    // platform verified and put in the tenant is what SES sends that address's mail through).
    for h in held {
        let ours = h
            .strip_prefix("identity/")
            .is_some_and(|i| !i.contains('@'))
            || h.starts_with("configuration-set/");
        if ours && !resources.iter().any(|r| r == h) {
            attributes.push(Attribute {
                name: "resource".into(),
                old: Some(h.to_string()),
                new: None,
            });
        }
    }
    if !attributes.is_empty() {
        out.changes.push(Change {
            op: Op::Update,
            kind: ResourceKind::SesTenant,
            name: name.to_string(),
            attributes,
            cost: None,
            reason: None,
        });
    }
    blocked
}

fn sending_text(sending: TenantSending) -> &'static str {
    match sending {
        TenantSending::Enabled => "enabled",
        TenantSending::Paused => "paused",
    }
}

fn create_attributes(settings: &TenantSettings, resources: &[String]) -> Vec<Attribute> {
    let mut attributes = vec![
        Attribute {
            name: "reputation-policy".into(),
            old: None,
            new: Some(settings.reputation_policy.as_str().into()),
        },
        Attribute {
            name: "sending".into(),
            old: None,
            new: Some(sending_text(settings.sending).into()),
        },
    ];
    // A new tenant uses the account's list unless told otherwise: only its own list is news.
    if settings.suppression == Some(crate::model::SuppressionScope::Tenant) {
        attributes.push(Attribute {
            name: "suppression".into(),
            old: None,
            new: Some("tenant".into()),
        });
    }
    attributes.extend(resources.iter().map(|r| Attribute {
        name: "resource".into(),
        old: None,
        new: Some(r.clone()),
    }));
    attributes
}

/// SES's side: a tenant SES paused is an error with SES's reason; a reputation impact
/// without a pause is shown (a warning when high). Answers whether the library is blocked.
fn reputation_findings(name: &str, tenant: &TenantV1, out: &mut LibraryPlan) -> bool {
    let impact = tenant.reputation_impact.as_deref();
    let impact_words = impact
        .map(|i| format!(" (reputation impact {i})"))
        .unwrap_or_default();
    if tenant.ses_managed_status.as_deref() == Some(DISABLED) {
        let cause = tenant
            .ses_managed_cause
            .as_deref()
            .unwrap_or("SES gave no reason");
        out.actions.push(LibraryAction {
            code: "ses::tenant-paused".into(),
            level: Level::Error,
            message: format!(
                "SES paused this library's sending (tenant {name}){impact_words}: {cause}"
            ),
            remedy: "find the addresses that bounce or complain (`mailform deliverability`), remove them from the library's lists, then ask AWS Support to reinstate the tenant; the other libraries keep sending".into(),
            records: vec![],
            breaking: false,
        });
        return true;
    }
    if tenant.customer_managed_status.as_deref() == Some(DISABLED)
        && !out
            .actions
            .iter()
            .any(|a| a.code == "ses::tenant-paused-by-file")
    {
        // Paused by hand, and the file wants it sending: the plan reinstates it.
        out.information.push(Information {
            code: "ses::tenant-paused-by-hand".into(),
            message: format!("the SES tenant {name} was paused outside mailform"),
            why: "its customer-managed status is DISABLED and the library file does not say `sending \"paused\"`".into(),
            remedy: Some("apply reinstates it; to keep it paused, say `sending \"paused\"` in the library file".into()),
        });
    }
    match impact {
        Some("HIGH") => {
            out.actions.push(LibraryAction {
                code: "ses::reputation-impact".into(),
                level: Level::Warning,
                message: format!(
                    "SES rates this library's reputation impact HIGH (tenant {name}); under the `{}` policy it may be paused",
                    tenant.reputation_policy.as_deref().unwrap_or("unknown")
                ),
                remedy: "look at its bounces and complaints (`mailform deliverability`) and clean its address lists".into(),
                records: vec![],
                breaking: false,
            });
            true
        }
        Some(other) => {
            out.information.push(Information {
                code: "ses::reputation-impact".into(),
                message: format!(
                    "SES rates this library's reputation impact {other} (tenant {name})"
                ),
                why: "SES has a reputation finding about this library's sending".into(),
                remedy: Some("look at its bounces and complaints before they grow".into()),
            });
            false
        }
        None => false,
    }
}

/// Live tenants no library wants: mailform's become deletions of the library that left them
/// (the caller files them), others are shown read-only. A tenant not read in depth is skipped.
pub fn orphans<'a>(tenants: &'a [TenantV1], wanted: &Wanted<'_>) -> Vec<(&'a TenantV1, Ownership)> {
    tenants
        .iter()
        .filter_map(|t| {
            let tags = t.tags.as_ref()?;
            let o =
                ownership::classify_in(wanted, ownership::ResourceKind::SesTenant, &t.name, tags);
            match o {
                Ownership::Orphaned { .. } | Ownership::Unmanaged { wanted_by: None } => {
                    Some((t, o))
                }
                _ => None,
            }
        })
        .collect()
}

/// The deletion of an orphaned tenant: its identities and configuration sets stay.
pub fn deletion(tenant: &TenantV1, reason: String) -> Change {
    Change {
        op: Op::Delete,
        kind: ResourceKind::SesTenant,
        name: tenant.name.clone(),
        attributes: vec![],
        cost: None,
        reason: Some(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_arn_tails() {
        assert_eq!(
            resource_name("arn:aws:ses:eu-west-1:123456789012:identity/example.org"),
            Some("identity/example.org")
        );
        assert_eq!(
            resource_name("arn:aws:ses:eu-west-1:123456789012:configuration-set/main"),
            Some("configuration-set/main")
        );
        assert_eq!(
            resource_name("arn:aws:ses:eu-west-1:123456789012:template/welcome"),
            None
        );
    }
}
