//! Apply's SES tenant steps: create a library's tenant (tagged in the same call, so no
//! untagged tenant is ever left by a crash), bring its reputation policy, its sending, its
//! suppression list and its associations in line, and delete an orphaned one. (The
//! suppression list is a call after `CreateTenant`: a crash between leaves the account's
//! list, SES's default, which the next plan shows as an update.) Each re-reads the tenant
//! right before its calls: one made or tagged otherwise since the plan is left alone.
//!
//! Every call is idempotent in effect (a create that finds this library's tenant made by a
//! lost first answer or by a second apply carries on; an association already there is not
//! made twice; a policy or status put is a put), so two applies at once, or one killed and
//! run again, converge.

use crate::live::ReadError;
use crate::live::account::AccountReader;
use crate::live::ownership::{self, Ownership};
use crate::live::ses::{self, SesWriter};
use crate::live::tenants::{TenantReader, TenantWriter, policy_arn};
use crate::model::{Config, Library, SuppressionScope, TenantSending};
use crate::plan::Change;
use crate::plan::tenants::resource_name;

use super::{AccountId, Outcome};

/// Creates (if still absent) and converges the library's tenant to what `change` lists.
pub(super) async fn converge<S, A>(
    config: &Config,
    library: &Library,
    change: &Change,
    ses: &S,
    account: &AccountId<'_, A>,
) -> Result<Outcome, ReadError>
where
    S: TenantReader + TenantWriter + SesWriter + Sync,
    A: AccountReader + Sync,
{
    let Some(settings) = config.tenant_of(library) else {
        return Ok(Outcome::Failed(format!(
            "the library {} no longer has an SES tenant (no SES method, or the platform's `tenants` block is gone); plan again",
            library.id
        )));
    };
    let name = library.id.as_str();
    let tags = ownership::tags_for(config, &library.id);
    let mut calls = Vec::new();
    let live = match ses.tenant(name).await? {
        Some(live) => live,
        None => {
            let created = ses.create_tenant(name, &tags).await;
            match created {
                Ok(_) => calls.push("CreateTenant".to_string()),
                Err(e) if is_code(&e, "AlreadyExistsException") => {}
                Err(e) => return Err(e),
            }
            // Read back: its ARN for the reputation calls, and whose it is if another made it.
            match ses.tenant(name).await? {
                Some(live) => live,
                None => {
                    return Ok(Outcome::Skipped(format!(
                        "the SES tenant {name} is gone again right after its creation; plan again"
                    )));
                }
            }
        }
    };
    let owner = ownership::classify(config, ownership::ResourceKind::SesTenant, name, &live.tags);
    if !owner.may_change() {
        return Ok(Outcome::Skipped(format!(
            "the SES tenant {name} is not mailform's to change (made by someone else since the plan); nothing changed"
        )));
    }
    if matches!(owner, Ownership::Adoptable { .. } | Ownership::Moved { .. }) {
        let missing: crate::live::facts::Tags = tags
            .iter()
            .filter(|(k, v)| live.tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        ses.tag_identity(name, &live.arn, &missing).await?;
        calls.push("TagResource".into());
    }
    let wants = |attribute: &str| change.attributes.iter().any(|a| a.name == attribute);
    if wants("reputation-policy") {
        let policy = policy_arn(
            &config.platform.aws_region,
            settings.reputation_policy.as_str(),
        );
        ses.set_policy(&live.arn, &policy).await?;
        calls.push("UpdateReputationEntityPolicy".into());
    }
    // A new tenant sends; only a pause needs a call then.
    let created = calls.first().is_some_and(|c| c == "CreateTenant");
    if wants("sending") && !(created && settings.sending == TenantSending::Enabled) {
        let status = match settings.sending {
            TenantSending::Enabled => "ENABLED",
            TenantSending::Paused => "DISABLED",
        };
        ses.set_customer_managed_status(&live.arn, status).await?;
        calls.push(format!(
            "UpdateReputationEntityCustomerManagedStatus {status}"
        ));
    }
    if let Some(scope) = settings.suppression.filter(|_| wants("suppression")) {
        let live_scope = live.suppression_scope.as_deref() == Some("TENANT");
        if live_scope != (scope == SuppressionScope::Tenant) {
            ses.set_suppression(name, scope).await?;
            calls.push(format!("PutTenantSuppressionAttributes {}", scope.as_str()));
        }
    }
    let held: Vec<&str> = live
        .resources
        .iter()
        .filter_map(|(_, arn)| resource_name(arn))
        .collect();
    for attribute in change.attributes.iter().filter(|a| a.name == "resource") {
        match (&attribute.old, &attribute.new) {
            (None, Some(add)) if !held.contains(&add.as_str()) => {
                let arn = resource_arn(config, account, add).await?;
                // Associated since the re-read (a second apply at once): what was asked is true.
                match ses.associate(name, &arn).await {
                    Ok(()) => calls.push(format!("CreateTenantResourceAssociation {add}")),
                    Err(e) if is_code(&e, "AlreadyExistsException") => calls.push(format!(
                        "CreateTenantResourceAssociation {add} (associated already, by another apply moments ago)"
                    )),
                    Err(e) => return Err(e),
                }
            }
            (Some(remove), None) if held.contains(&remove.as_str()) => {
                let arn = resource_arn(config, account, remove).await?;
                match ses.disassociate(name, &arn).await {
                    Ok(()) => calls.push(format!("DeleteTenantResourceAssociation {remove}")),
                    Err(e) if is_code(&e, "NotFoundException") => calls.push(format!(
                        "DeleteTenantResourceAssociation {remove} (gone already, by another apply moments ago)"
                    )),
                    Err(e) => return Err(e),
                }
            }
            _ => {}
        }
    }
    Ok(if calls.is_empty() {
        Outcome::Skipped(format!("the SES tenant {name} is as planned already"))
    } else {
        Outcome::Done(calls)
    })
}

/// Deletes a tenant mailform made for `library`, still tagged so right before the call. Its
/// identities and configuration sets stay: SES only drops the associations.
pub(super) async fn delete<S>(
    config: &Config,
    library: &str,
    name: &str,
    ses: &S,
) -> Result<Outcome, ReadError>
where
    S: TenantReader + TenantWriter + Sync,
{
    let Some(live) = ses.tenant(name).await? else {
        return Ok(Outcome::Skipped(format!(
            "the SES tenant {name} is gone already"
        )));
    };
    match ownership::classify(config, ownership::ResourceKind::SesTenant, name, &live.tags) {
        Ownership::Orphaned { library: tagged } if tagged == library => {
            ses.delete_tenant(name).await?;
            Ok(Outcome::Done(vec!["DeleteTenant".into()]))
        }
        _ => Ok(Outcome::Skipped(format!(
            "the SES tenant {name} is not an orphan of `{library}` any more; nothing deleted"
        ))),
    }
}

/// The ARN of an associated resource from its plan name (`identity/<name>`).
async fn resource_arn<A: AccountReader + Sync>(
    config: &Config,
    account: &AccountId<'_, A>,
    name: &str,
) -> Result<String, ReadError> {
    let id = account.get().await?;
    let region = &config.platform.aws_region;
    Ok(match name.split_once('/') {
        Some(("identity", identity)) => ses::identity_arn(region, id, identity),
        Some(("configuration-set", set)) => ses::configuration_set_arn(region, id, set),
        _ => format!("arn:aws:ses:{region}:{id}:{name}"),
    })
}

pub(super) fn is_code(e: &ReadError, want: &str) -> bool {
    matches!(&e.kind, crate::live::ReadErrorKind::Service { code, .. } if code == want)
}
