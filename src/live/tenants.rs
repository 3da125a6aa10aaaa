//! SES tenants: each library that sends through SES is a tenant named after its id, so SES
//! keeps its reputation apart and pauses only that library on a bad finding. The
//! [`TenantReader`] and [`TenantWriter`] traits and their adapter on [`AwsSes`]: the same
//! `aws_sdk_sesv2::Client` and rate limiter as the identities.
//!
//! A refresh asks the list calls for everyone (`ListTenants`, `ListReputationEntities`: the
//! sending status, policy and impact of every tenant, a page each) and a tenant's tags and
//! resources (`GetTenant`, `ListTenantResources`) only for the libraries it reads in depth.

use std::collections::BTreeMap;
use std::future::Future;

use futures::stream::{self, StreamExt, TryStreamExt};

use aws_sdk_sesv2::error::ProvideErrorMetadata as _;
use aws_sdk_sesv2::types::{ReputationEntityType, SendingStatus};

use super::aws::classify;
use super::error::{ReadError, System};
use super::facts::Tags;
use super::meter::Meter;
use super::scope::Scope;
use super::ses::AwsSes;
use super::snapshot::TenantV1;
use crate::model::{Library, SuppressionScope};

/// A tenant as `ListTenants` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSummary {
    pub name: String,
    pub id: Option<String>,
    pub arn: String,
}

/// What `GetTenant` and `ListTenantResources` add: the tags that say whose it is, and the
/// identities and configuration sets it sends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDetail {
    pub arn: String,
    pub tags: Tags,
    /// `(resource type, resource ARN)`, e.g. `("EMAIL_IDENTITY", "arn:aws:ses:…")`.
    pub resources: Vec<(String, String)>,
    /// `TENANT` when it keeps its own suppression list; `ACCOUNT` or `None` (SES's default)
    /// when it uses the account's.
    pub suppression_scope: Option<String>,
}

/// A status record of a reputation entity: `ENABLED`, `DISABLED` or `REINSTATED`, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusRecord {
    pub status: Option<String>,
    pub cause: Option<String>,
}

/// A tenant's reputation as `ListReputationEntities` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReputationEntity {
    /// The tenant's ARN.
    pub reference: String,
    /// The ARN of the SES-managed policy, `arn:aws:ses:<region>:aws:reputation-policy/standard`.
    pub policy: Option<String>,
    pub customer_managed: StatusRecord,
    pub ses_managed: StatusRecord,
    /// What SES applies: disabled when either status is.
    pub sending_status: Option<String>,
    /// `HIGH` or `LOW`.
    pub reputation_impact: Option<String>,
}

/// The only kind of reputation entity SES has: a resource, here a tenant.
const RESOURCE: ReputationEntityType = ReputationEntityType::Resource;

/// The ARN of an SES-managed reputation policy in `region`.
pub fn policy_arn(region: &str, policy: &str) -> String {
    format!("arn:aws:ses:{region}:aws:reputation-policy/{policy}")
}

/// The policy's name (`standard`) from its ARN, if it is one.
pub fn policy_name(arn: &str) -> Option<&str> {
    arn.rsplit_once(":reputation-policy/").map(|(_, name)| name)
}

/// Reads the SES tenants of the platform's region.
pub trait TenantReader {
    /// `ListTenants`, every page.
    fn tenants(&self) -> impl Future<Output = Result<Vec<TenantSummary>, ReadError>> + Send;
    /// `GetTenant` and `ListTenantResources`; `None` when there is no such tenant.
    fn tenant(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<TenantDetail>, ReadError>> + Send;
    /// `ListReputationEntities`, every page.
    fn reputation_entities(
        &self,
    ) -> impl Future<Output = Result<Vec<ReputationEntity>, ReadError>> + Send;
}

/// Changes the SES tenants mailform owns.
pub trait TenantWriter {
    /// `CreateTenant` with the ownership tags; answers its ARN.
    fn create_tenant(
        &self,
        name: &str,
        tags: &Tags,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;
    /// `CreateTenantResourceAssociation`.
    fn associate(
        &self,
        tenant: &str,
        resource_arn: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `DeleteTenantResourceAssociation`.
    fn disassociate(
        &self,
        tenant: &str,
        resource_arn: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `UpdateReputationEntityPolicy` of the tenant `tenant_arn`.
    fn set_policy(
        &self,
        tenant_arn: &str,
        policy_arn: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `UpdateReputationEntityCustomerManagedStatus`: `ENABLED` or `DISABLED`.
    fn set_customer_managed_status(
        &self,
        tenant_arn: &str,
        status: &str,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `DeleteTenant`: its associations go, the identities stay.
    fn delete_tenant(&self, name: &str) -> impl Future<Output = Result<(), ReadError>> + Send;
    /// `PutTenantSuppressionAttributes`: its own list (scope `TENANT`, hard bounces and
    /// complaints), or back to the account's (both attributes cleared, SES's default).
    fn set_suppression(
        &self,
        name: &str,
        scope: SuppressionScope,
    ) -> impl Future<Output = Result<(), ReadError>> + Send;
}

fn record(r: Option<&aws_sdk_sesv2::types::StatusRecord>) -> StatusRecord {
    StatusRecord {
        status: r.and_then(|r| r.status()).map(|s| s.as_str().to_string()),
        cause: r.and_then(|r| r.cause()).map(str::to_string),
    }
}

impl TenantReader for AwsSes {
    async fn tenants(&self) -> Result<Vec<TenantSummary>, ReadError> {
        let mut pages = self
            .client
            .list_tenants()
            .set_page_size(self.page_size)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(System::Ses, "ListTenants", self.attempts, e))?;
            out.extend(page.tenants().iter().map(|t| TenantSummary {
                name: t.tenant_name().unwrap_or_default().to_string(),
                id: t.tenant_id().map(str::to_string),
                arn: t.tenant_arn().unwrap_or_default().to_string(),
            }));
        }
        Ok(out)
    }

    async fn tenant(&self, name: &str) -> Result<Option<TenantDetail>, ReadError> {
        let out = match self.client.get_tenant().tenant_name(name).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("NotFoundException") => return Ok(None),
            Err(e) => {
                return Err(classify(System::Ses, "GetTenant", self.attempts, e).resource(name));
            }
        };
        let arn = out
            .tenant()
            .and_then(|t| t.tenant_arn())
            .unwrap_or_default()
            .to_string();
        let suppression_scope = out
            .tenant()
            .and_then(|t| t.suppression_attributes())
            .and_then(|a| a.suppression_scope())
            .map(|s| s.as_str().to_string());
        let tags: Tags = out
            .tenant()
            .map(|t| t.tags())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let mut pages = self
            .client
            .list_tenant_resources()
            .tenant_name(name)
            .set_page_size(self.page_size)
            .into_paginator()
            .send();
        let mut resources = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                // Deleted between the two reads (another apply, an operator): gone, as
                // `GetTenant` would now say.
                Err(e) if e.code() == Some("NotFoundException") => return Ok(None),
                Err(e) => {
                    return Err(
                        classify(System::Ses, "ListTenantResources", self.attempts, e)
                            .resource(name),
                    );
                }
            };
            resources.extend(page.tenant_resources().iter().map(|r| {
                (
                    r.resource_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    r.resource_arn().unwrap_or_default().to_string(),
                )
            }));
        }
        resources.sort();
        Ok(Some(TenantDetail {
            arn,
            tags,
            resources,
            suppression_scope,
        }))
    }

    async fn reputation_entities(&self) -> Result<Vec<ReputationEntity>, ReadError> {
        let mut pages = self
            .client
            .list_reputation_entities()
            .set_page_size(self.page_size)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| classify(System::Ses, "ListReputationEntities", self.attempts, e))?;
            out.extend(page.reputation_entities().iter().map(|r| {
                ReputationEntity {
                    reference: r
                        .reputation_entity_reference()
                        .unwrap_or_default()
                        .to_string(),
                    policy: r.reputation_management_policy().map(str::to_string),
                    customer_managed: record(r.customer_managed_status()),
                    ses_managed: record(r.aws_ses_managed_status()),
                    sending_status: r.sending_status_aggregate().map(|s| s.as_str().to_string()),
                    reputation_impact: r.reputation_impact().map(|i| i.as_str().to_string()),
                }
            }));
        }
        Ok(out)
    }
}

impl TenantWriter for AwsSes {
    async fn create_tenant(&self, name: &str, tags: &Tags) -> Result<String, ReadError> {
        let tags = super::ses::sdk_tags("CreateTenant", name, tags)?;
        let out = self
            .client
            .create_tenant()
            .tenant_name(name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify(System::Ses, "CreateTenant", self.attempts, e).resource(name))?;
        Ok(out.tenant_arn().unwrap_or_default().to_string())
    }

    async fn associate(&self, tenant: &str, resource_arn: &str) -> Result<(), ReadError> {
        self.client
            .create_tenant_resource_association()
            .tenant_name(tenant)
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Ses,
                    "CreateTenantResourceAssociation",
                    self.attempts,
                    e,
                )
                .resource(tenant)
            })?;
        Ok(())
    }

    async fn disassociate(&self, tenant: &str, resource_arn: &str) -> Result<(), ReadError> {
        self.client
            .delete_tenant_resource_association()
            .tenant_name(tenant)
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Ses,
                    "DeleteTenantResourceAssociation",
                    self.attempts,
                    e,
                )
                .resource(tenant)
            })?;
        Ok(())
    }

    async fn set_policy(&self, tenant_arn: &str, policy_arn: &str) -> Result<(), ReadError> {
        self.client
            .update_reputation_entity_policy()
            .reputation_entity_type(RESOURCE)
            .reputation_entity_reference(tenant_arn)
            .reputation_entity_policy(policy_arn)
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Ses,
                    "UpdateReputationEntityPolicy",
                    self.attempts,
                    e,
                )
                .resource(tenant_arn)
            })?;
        Ok(())
    }

    async fn set_customer_managed_status(
        &self,
        tenant_arn: &str,
        status: &str,
    ) -> Result<(), ReadError> {
        self.client
            .update_reputation_entity_customer_managed_status()
            .reputation_entity_type(RESOURCE)
            .reputation_entity_reference(tenant_arn)
            .sending_status(SendingStatus::from(status))
            .send()
            .await
            .map_err(|e| {
                classify(
                    System::Ses,
                    "UpdateReputationEntityCustomerManagedStatus",
                    self.attempts,
                    e,
                )
                .resource(tenant_arn)
            })?;
        Ok(())
    }

    async fn set_suppression(&self, name: &str, scope: SuppressionScope) -> Result<(), ReadError> {
        use aws_sdk_sesv2::types::{SuppressionListReason, SuppressionListScope};
        let call = self
            .client
            .put_tenant_suppression_attributes()
            .tenant_name(name);
        // SES takes the scope and the reasons together, or neither (which is the account's
        // list again).
        let call = match scope {
            SuppressionScope::Tenant => call
                .suppression_scope(SuppressionListScope::Tenant)
                .suppressed_reasons(SuppressionListReason::Bounce)
                .suppressed_reasons(SuppressionListReason::Complaint),
            SuppressionScope::Account => call,
        };
        call.send().await.map_err(|e| {
            classify(
                System::Ses,
                "PutTenantSuppressionAttributes",
                self.attempts,
                e,
            )
            .resource(name)
        })?;
        Ok(())
    }

    async fn delete_tenant(&self, name: &str) -> Result<(), ReadError> {
        match self.client.delete_tenant().tenant_name(name).send().await {
            Ok(_) => Ok(()),
            // Gone already (a second apply, or an operator): what was asked is true.
            Err(e) if e.code() == Some("NotFoundException") => Ok(()),
            Err(e) => Err(classify(System::Ses, "DeleteTenant", self.attempts, e).resource(name)),
        }
    }
}

/// Which tenants a refresh reads in depth.
pub struct Wanted<'a, 'b> {
    /// The libraries this refresh covers.
    pub libraries: &'a [&'a Library],
    /// A full read (no `--target`): every tenant is kept, also those of no library, so that
    /// one mailform made for a removed library is seen.
    pub everything: bool,
    pub scope: &'a Scope<'b>,
}

/// The snapshot's tenants: the listed ones with their reputation, and the tags and resources
/// of those a library read in depth is named after (from the baseline for settled libraries).
pub async fn gather<T: TenantReader + Sync>(
    reader: &T,
    wanted: Wanted<'_, '_>,
    listed: Vec<TenantSummary>,
    reputation: Vec<ReputationEntity>,
    n: usize,
    meter: &Meter,
) -> Result<Vec<TenantV1>, ReadError> {
    let by_id: BTreeMap<&str, &Library> = wanted
        .libraries
        .iter()
        .filter(|l| l.method.tenant().is_some())
        .map(|l| (l.id.as_str(), *l))
        .collect();
    let mut reputation: BTreeMap<String, ReputationEntity> = reputation
        .into_iter()
        .map(|r| (r.reference.clone(), r))
        .collect();
    let kept: Vec<(TenantSummary, Option<&Library>)> = listed
        .into_iter()
        .map(|t| {
            let library = by_id.get(t.name.as_str()).copied();
            (t, library)
        })
        .filter(|(_, library)| wanted.everything || library.is_some())
        .collect();
    let deep: Vec<_> = kept
        .into_iter()
        .map(|(t, library)| {
            let from_baseline = library.and_then(|l| wanted.scope.tenant(l, &t.arn));
            (t, from_baseline)
        })
        .collect();
    // GetTenant and ListTenantResources for each tenant not taken from the baseline.
    meter.expect(2 * deep.iter().filter(|(_, b)| b.is_none()).count());
    let read: Vec<(TenantSummary, Option<TenantV1>, Option<TenantDetail>)> = stream::iter(deep)
        .map(|(t, baseline)| async move {
            if baseline.is_some() {
                return Ok((t, baseline, None));
            }
            let detail = reader.tenant(&t.name).await?;
            Ok::<_, ReadError>((t, None, detail))
        })
        .buffered(n.max(1))
        .try_collect()
        .await?;
    let mut out = Vec::new();
    for (t, baseline, detail) in read {
        // Deleted between the list and the read: it is gone.
        if baseline.is_none() && detail.is_none() {
            continue;
        }
        let r = reputation.remove(&t.arn);
        let (tags, resources, suppression_scope) = match (baseline, detail) {
            (_, Some(d)) => (
                d.tags,
                d.resources.into_iter().map(|(_, arn)| arn).collect(),
                d.suppression_scope,
            ),
            (Some(b), None) => (
                b.tags.unwrap_or_default(),
                b.resources.unwrap_or_default(),
                b.suppression_scope,
            ),
            (None, None) => continue,
        };
        out.push(TenantV1 {
            name: t.name,
            id: t.id,
            arn: t.arn,
            tags: Some(tags),
            resources: Some(resources),
            reputation_policy: r
                .as_ref()
                .and_then(|r| r.policy.as_deref())
                .map(|p| policy_name(p).unwrap_or(p).to_string()),
            customer_managed_status: r.as_ref().and_then(|r| r.customer_managed.status.clone()),
            ses_managed_status: r.as_ref().and_then(|r| r.ses_managed.status.clone()),
            ses_managed_cause: r.as_ref().and_then(|r| r.ses_managed.cause.clone()),
            sending_status: r.as_ref().and_then(|r| r.sending_status.clone()),
            reputation_impact: r.as_ref().and_then(|r| r.reputation_impact.clone()),
            suppression_scope,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns_round_trip() {
        let arn = policy_arn("eu-west-1", "strict");
        assert_eq!(arn, "arn:aws:ses:eu-west-1:aws:reputation-policy/strict");
        assert_eq!(policy_name(&arn), Some("strict"));
        assert_eq!(policy_name("standard"), None);
    }
}
