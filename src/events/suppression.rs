//! A library's suppressed recipients in its deliverability report: the addresses on its SES
//! tenant's own suppression list (hard bounces and complaints of its mail), or why there is
//! no list of its own to show. Pure: the CLI reads the list (`live::suppression`) and fills
//! [`Suppression`] in after the report's counts are computed.
//!
//! The addresses are patrons' personal data: they go to the operator's command output only
//! (text, JSON, CSV as a count), never into a notice, the status page or a log.

use serde::Serialize;

use crate::live::suppression::SuppressedAddress;
use crate::model::{SuppressionScope, TenantSettings};

/// One suppressed recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedRecipient {
    pub address: String,
    /// `BOUNCE` or `COMPLAINT`.
    pub reason: String,
    /// When SES put it on the list, RFC 3339.
    pub added: String,
}

/// What a report says about the library's suppression list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "kebab-case")]
pub enum Suppression {
    /// Computed without reading SES's lists.
    #[default]
    NotRead,
    /// The platform manages no tenants: SES keeps every library's bounces and complaints on
    /// the account's one list, which says nothing about whose mail an address bounced.
    AccountNoTenants,
    /// The library's tenant uses the account's list (`suppression "account"`).
    AccountByChoice { tenant: String },
    /// The library's tenant does not exist yet (apply makes it).
    TenantMissing { tenant: String },
    /// The tenant's own list, every address on it, sorted by address.
    Tenant {
        tenant: String,
        count: usize,
        recipients: Vec<SuppressedRecipient>,
    },
}

/// Which list a library's report shows, from its file: `Some(tenant name)` when it has one of
/// its own to read.
pub fn list_to_read<'a>(
    library: &'a str,
    tenant: Option<&TenantSettings>,
) -> Result<&'a str, Suppression> {
    match tenant.and_then(|t| t.suppression) {
        None => Err(Suppression::AccountNoTenants),
        Some(SuppressionScope::Account) => Err(Suppression::AccountByChoice {
            tenant: library.to_string(),
        }),
        Some(SuppressionScope::Tenant) => Ok(library),
    }
}

/// The report's suppression from the tenant's list as SES answered it (`None`: no such tenant).
pub fn of_list(tenant: &str, list: Option<Vec<SuppressedAddress>>) -> Suppression {
    let Some(list) = list else {
        return Suppression::TenantMissing {
            tenant: tenant.to_string(),
        };
    };
    let mut recipients: Vec<SuppressedRecipient> = list
        .into_iter()
        .map(|a| SuppressedRecipient {
            address: a.address,
            reason: a.reason,
            added: a.added,
        })
        .collect();
    recipients.sort_by(|a, b| a.address.cmp(&b.address).then(a.reason.cmp(&b.reason)));
    Suppression::Tenant {
        tenant: tenant.to_string(),
        count: recipients.len(),
        recipients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReputationPolicy, TenantSending};

    fn settings(suppression: Option<SuppressionScope>) -> TenantSettings {
        TenantSettings {
            reputation_policy: ReputationPolicy::Standard,
            sending: TenantSending::Enabled,
            suppression,
        }
    }

    #[test]
    fn only_a_tenant_with_its_own_list_is_read() {
        assert_eq!(
            list_to_read("lib", None),
            Err(Suppression::AccountNoTenants)
        );
        assert_eq!(
            list_to_read("lib", Some(&settings(None))),
            Err(Suppression::AccountNoTenants)
        );
        assert_eq!(
            list_to_read("lib", Some(&settings(Some(SuppressionScope::Account)))),
            Err(Suppression::AccountByChoice {
                tenant: "lib".into()
            })
        );
        assert_eq!(
            list_to_read("lib", Some(&settings(Some(SuppressionScope::Tenant)))),
            Ok("lib")
        );
    }

    #[test]
    fn a_list_is_counted_whole_and_sorted() {
        let entry = |a: &str| SuppressedAddress {
            address: a.into(),
            reason: "BOUNCE".into(),
            added: "2026-01-01T00:00:00Z".into(),
        };
        let Suppression::Tenant {
            count, recipients, ..
        } = of_list("lib", Some(vec![entry("b@x"), entry("a@x")]))
        else {
            panic!("a tenant list")
        };
        assert_eq!(count, 2);
        assert_eq!(recipients[0].address, "a@x");
        assert_eq!(
            of_list("lib", None),
            Suppression::TenantMissing {
                tenant: "lib".into()
            }
        );
    }
}
