//! SES suppression lists: the addresses SES will not send to again after a hard bounce or a
//! complaint. [`SuppressionReader`] and its adapter on [`AwsSes`] (the same
//! `aws_sdk_sesv2::Client` and rate limiter as the identities): `ListSuppressedDestinations`
//! of one tenant's own list (`TenantName`) or of the account's, every page.
//!
//! The addresses are patrons' personal data: they are read for the operator's
//! `deliverability` output only, never kept in a snapshot, a notice or a log.

use std::future::Future;

use aws_sdk_sesv2::primitives::DateTimeFormat;

use super::aws::classify;
use super::error::{ReadError, System};
use super::ses::AwsSes;

/// SES's largest page of `ListSuppressedDestinations`: the fewest calls for a long list.
pub const PAGE_SIZE: i32 = 1000;

/// One address on a suppression list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressedAddress {
    /// As SES keeps it (case preserved).
    pub address: String,
    /// `BOUNCE` or `COMPLAINT`.
    pub reason: String,
    /// When SES put it there (or last updated it), RFC 3339.
    pub added: String,
}

/// Reads suppression lists.
pub trait SuppressionReader {
    /// `ListSuppressedDestinations` with `TenantName` (that tenant's own list) or without (the
    /// account's), every page; a tenant that does not exist is a `NotFoundException` error.
    fn suppressed(
        &self,
        tenant: Option<&str>,
    ) -> impl Future<Output = Result<Vec<SuppressedAddress>, ReadError>> + Send;
}

impl SuppressionReader for AwsSes {
    async fn suppressed(&self, tenant: Option<&str>) -> Result<Vec<SuppressedAddress>, ReadError> {
        let mut pages = self
            .client
            .list_suppressed_destinations()
            .set_tenant_name(tenant.map(str::to_string))
            .page_size(self.page_size.unwrap_or(PAGE_SIZE))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                let e = classify(System::Ses, "ListSuppressedDestinations", self.attempts, e);
                match tenant {
                    Some(t) => e.resource(t),
                    None => e,
                }
            })?;
            out.extend(page.suppressed_destination_summaries().iter().map(|s| {
                SuppressedAddress {
                    address: s.email_address().to_string(),
                    reason: s.reason().as_str().to_string(),
                    added: s
                        .last_update_time()
                        .fmt(DateTimeFormat::DateTime)
                        .unwrap_or_default(),
                }
            }));
        }
        Ok(out)
    }
}
