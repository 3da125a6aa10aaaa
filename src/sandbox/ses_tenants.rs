//! SES v2 tenant management (REST-JSON): tenants, their resource associations, and their
//! reputation entities with the SES-managed policies `none`, `standard` and `strict`.
//!
//! As SES: a tenant is named, tagged at creation, and has one reputation entity (its ARN is
//! the reference) whose policy starts as `standard`; the sending status that applies is
//! `DISABLED` when either the customer-managed or the SES-managed status is. SES sets its own
//! status on reputation findings; here the admin API does (`mailform-sandbox reputation set`),
//! through [`set_finding`]. Deleting a tenant removes its associations, never the resources.

use serde_json::{Value, json};

use super::World;
use super::http::{ApiError, Reply, Req};
use super::ses::{paginate, parse_tags, required_str};
use super::state::Tenant;

/// Tenants an account may have here; SES's own quota is larger, the sandbox only needs a bound.
const MAX_TENANTS: usize = 10_000;
/// The policy a new tenant gets.
const DEFAULT_POLICY: &str = "standard";
const POLICIES: [&str; 3] = ["none", "standard", "strict"];
const STATUSES: [&str; 3] = ["ENABLED", "DISABLED", "REINSTATED"];

/// The operation a request under `/v2/email` names, if it is a tenant one.
pub(crate) fn route(method: &str, rest: &[&str]) -> Option<&'static str> {
    Some(match (method, rest) {
        ("POST", ["tenants"]) => "CreateTenant",
        ("POST", ["tenants", "get"]) => "GetTenant",
        ("POST", ["tenants", "list"]) => "ListTenants",
        ("POST", ["tenants", "delete"]) => "DeleteTenant",
        ("POST", ["tenants", "resources"]) => "CreateTenantResourceAssociation",
        ("POST", ["tenants", "resources", "delete"]) => "DeleteTenantResourceAssociation",
        ("POST", ["tenants", "resources", "list"]) => "ListTenantResources",
        ("POST", ["resources", "tenants", "list"]) => "ListResourceTenants",
        ("POST", ["reputation", "entities"]) => "ListReputationEntities",
        ("GET", ["reputation", "entities", _, _]) => "GetReputationEntity",
        ("PUT", ["reputation", "entities", _, _, "policy"]) => "UpdateReputationEntityPolicy",
        ("PUT", ["reputation", "entities", _, _, "customer-managed-status"]) => {
            "UpdateReputationEntityCustomerManagedStatus"
        }
        _ => return None,
    })
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let region = req
        .signing_region()
        .unwrap_or(world.config.region.as_str())
        .to_string();
    let account = world.config.account_id.clone();
    let now = world.state.now;
    let tenants = &mut world.state.tenants;
    match operation {
        "CreateTenant" => {
            let body = req.json()?;
            let name = required_str(&body, "TenantName")?;
            if !valid_name(name) {
                return Err(ApiError::bad_request(format!(
                    "invalid tenant name {name}: 1 to 64 letters, digits, '-' and '_'"
                )));
            }
            if tenants.contains_key(name) {
                return Err(ApiError::new(
                    400,
                    "AlreadyExistsException",
                    format!("Tenant {name} already exists."),
                ));
            }
            if tenants.len() >= MAX_TENANTS {
                return Err(ApiError::new(
                    400,
                    "LimitExceededException",
                    "too many tenants in this account",
                ));
            }
            let tags = parse_tags(&body)?;
            let (suppression_scope, suppressed_reasons) =
                super::ses_suppression::attributes(body.get("SuppressionAttributes"))?;
            let id = format!("tn-{:016x}", world.state.counter.wrapping_add(1));
            world.state.counter += 1;
            let tenant = Tenant {
                name: name.to_string(),
                arn: format!("arn:aws:ses:{region}:{account}:tenant/{name}/{id}"),
                id,
                created_at: now,
                tags,
                resources: Vec::new(),
                policy: DEFAULT_POLICY.into(),
                customer_status: "ENABLED".into(),
                ses_status: "ENABLED".into(),
                ses_cause: None,
                impact: None,
                suppression_scope,
                suppressed_reasons,
                suppressed: Default::default(),
            };
            let out = tenant_json(&tenant, &region);
            world.state.tenants.insert(name.to_string(), tenant);
            Ok(Reply::json(out))
        }
        "GetTenant" => {
            let body = req.json()?;
            let tenant = find(tenants, required_str(&body, "TenantName")?)?;
            Ok(Reply::json(
                json!({ "Tenant": tenant_json(tenant, &region) }),
            ))
        }
        "ListTenants" => {
            let names: Vec<String> = tenants.keys().cloned().collect();
            let (page, next) = paginate(&names, req)?;
            let list: Vec<Value> = page
                .iter()
                .filter_map(|n| tenants.get(n))
                .map(|t| {
                    json!({
                        "TenantName": t.name,
                        "TenantId": t.id,
                        "TenantArn": t.arn,
                        "CreatedTimestamp": t.created_at,
                    })
                })
                .collect();
            Ok(with_next(json!({ "Tenants": list }), next))
        }
        "DeleteTenant" => {
            let body = req.json()?;
            let name = required_str(&body, "TenantName")?;
            tenants.remove(name).ok_or_else(|| not_found(name))?;
            Ok(Reply::json(json!({})))
        }
        "CreateTenantResourceAssociation" | "DeleteTenantResourceAssociation" => {
            let body = req.json()?;
            let name = required_str(&body, "TenantName")?.to_string();
            let arn = required_str(&body, "ResourceArn")?.to_string();
            let associate = operation == "CreateTenantResourceAssociation";
            if associate && !resource_exists(&world.state, &region, &account, &arn) {
                return Err(ApiError::new(
                    404,
                    "NotFoundException",
                    format!("Resource {arn} not found"),
                ));
            }
            let tenant = find_mut(&mut world.state.tenants, &name)?;
            let held = tenant.resources.iter().position(|r| *r == arn);
            match (associate, held) {
                (true, Some(_)) => {
                    return Err(ApiError::new(
                        400,
                        "AlreadyExistsException",
                        format!("{arn} is already associated with tenant {name}."),
                    ));
                }
                (true, None) => tenant.resources.push(arn),
                (false, Some(i)) => {
                    tenant.resources.remove(i);
                }
                (false, None) => {
                    return Err(ApiError::new(
                        404,
                        "NotFoundException",
                        format!("{arn} is not associated with tenant {name}."),
                    ));
                }
            }
            Ok(Reply::json(json!({})))
        }
        "ListTenantResources" => {
            let body = req.json()?;
            let tenant = find(tenants, required_str(&body, "TenantName")?)?;
            let (page, next) = paginate(&tenant.resources, req)?;
            let list: Vec<Value> = page
                .iter()
                .map(|arn| json!({ "ResourceType": resource_type(arn), "ResourceArn": arn }))
                .collect();
            Ok(with_next(json!({ "TenantResources": list }), next))
        }
        "ListResourceTenants" => {
            let body = req.json()?;
            let arn = required_str(&body, "ResourceArn")?;
            let names: Vec<String> = tenants
                .values()
                .filter(|t| t.resources.iter().any(|r| r == arn))
                .map(|t| t.name.clone())
                .collect();
            let (page, next) = paginate(&names, req)?;
            let list: Vec<Value> = page
                .iter()
                .filter_map(|n| tenants.get(n))
                .map(|t| json!({ "TenantName": t.name, "TenantId": t.id, "ResourceArn": arn }))
                .collect();
            Ok(with_next(json!({ "ResourceTenants": list }), next))
        }
        "ListReputationEntities" => {
            let names: Vec<String> = tenants.keys().cloned().collect();
            let (page, next) = paginate(&names, req)?;
            let list: Vec<Value> = page
                .iter()
                .filter_map(|n| tenants.get(n))
                .map(|t| entity_json(t, &region))
                .collect();
            Ok(with_next(json!({ "ReputationEntities": list }), next))
        }
        "GetReputationEntity" => {
            let tenant = entity(tenants, req)?;
            Ok(Reply::json(
                json!({ "ReputationEntity": entity_json(tenant, &region) }),
            ))
        }
        "UpdateReputationEntityPolicy" => {
            let body = req.json()?;
            let policy = required_str(&body, "ReputationEntityPolicy")?;
            let name = policy_name(policy, &region).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{policy} is not an SES-managed reputation policy \
                     (arn:aws:ses:{region}:aws:reputation-policy/none|standard|strict)"
                ))
            })?;
            entity_mut(tenants, req)?.policy = name.to_string();
            Ok(Reply::json(json!({})))
        }
        "UpdateReputationEntityCustomerManagedStatus" => {
            let body = req.json()?;
            let status = required_str(&body, "SendingStatus")?;
            if !STATUSES.contains(&status) {
                return Err(ApiError::bad_request(format!(
                    "SendingStatus must be one of {STATUSES:?}"
                )));
            }
            entity_mut(tenants, req)?.customer_status = status.to_string();
            Ok(Reply::json(json!({})))
        }
        _ => Err(ApiError::bad_request(format!(
            "unknown operation {operation}"
        ))),
    }
}

/// What SES decided about a tenant on a reputation finding, as the admin API sets it: its
/// SES-managed status (`DISABLED` pauses the tenant), why, and the finding's impact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReputationFinding {
    /// `ENABLED`, `DISABLED` or `REINSTATED`.
    pub status: String,
    pub cause: Option<String>,
    /// `HIGH` or `LOW`.
    pub impact: Option<String>,
}

impl ReputationFinding {
    /// SES pausing a tenant on a high-impact finding, for `cause`.
    pub fn paused_by_ses(cause: &str) -> Self {
        ReputationFinding {
            status: "DISABLED".into(),
            cause: Some(cause.into()),
            impact: Some("HIGH".into()),
        }
    }
}

/// Sets SES's side of the tenant `name`'s reputation, as SES does on a finding.
pub(crate) fn set_finding(
    state: &mut super::state::State,
    name: &str,
    finding: &ReputationFinding,
) -> Result<(), String> {
    if !STATUSES.contains(&finding.status.as_str()) {
        return Err(format!("the status must be one of {}", STATUSES.join(", ")));
    }
    if finding
        .impact
        .as_deref()
        .is_some_and(|i| !matches!(i, "HIGH" | "LOW"))
    {
        return Err("the impact must be HIGH or LOW".into());
    }
    let tenant = state
        .tenants
        .get_mut(name)
        .ok_or_else(|| format!("no SES tenant {name}: create it with CreateTenant first"))?;
    tenant.ses_status = finding.status.clone();
    tenant.ses_cause = finding.cause.clone();
    tenant.impact = finding.impact.clone();
    Ok(())
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn not_found(name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFoundException",
        format!("Tenant {name} does not exist."),
    )
}

fn find<'a>(
    tenants: &'a std::collections::BTreeMap<String, Tenant>,
    name: &str,
) -> Result<&'a Tenant, ApiError> {
    tenants.get(name).ok_or_else(|| not_found(name))
}

fn find_mut<'a>(
    tenants: &'a mut std::collections::BTreeMap<String, Tenant>,
    name: &str,
) -> Result<&'a mut Tenant, ApiError> {
    tenants.get_mut(name).ok_or_else(|| not_found(name))
}

/// The tenant a reputation-entity path names: `/reputation/entities/RESOURCE/<tenant ARN>`.
fn entity<'a>(
    tenants: &'a std::collections::BTreeMap<String, Tenant>,
    req: &Req,
) -> Result<&'a Tenant, ApiError> {
    let reference = entity_reference(req)?;
    tenants
        .values()
        .find(|t| t.arn == reference)
        .ok_or_else(|| entity_not_found(&reference))
}

fn entity_mut<'a>(
    tenants: &'a mut std::collections::BTreeMap<String, Tenant>,
    req: &Req,
) -> Result<&'a mut Tenant, ApiError> {
    let reference = entity_reference(req)?;
    tenants
        .values_mut()
        .find(|t| t.arn == reference)
        .ok_or_else(|| entity_not_found(&reference))
}

fn entity_reference(req: &Req) -> Result<String, ApiError> {
    if req.segments.get(4).map(String::as_str) != Some("RESOURCE") {
        return Err(ApiError::bad_request(
            "ReputationEntityType must be RESOURCE",
        ));
    }
    Ok(req.segments.get(5).cloned().unwrap_or_default())
}

fn entity_not_found(reference: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFoundException",
        format!("Reputation entity {reference} does not exist."),
    )
}

fn policy_arn(region: &str, name: &str) -> String {
    format!("arn:aws:ses:{region}:aws:reputation-policy/{name}")
}

fn policy_name<'a>(arn: &'a str, region: &str) -> Option<&'a str> {
    let name = arn.strip_prefix(&format!("arn:aws:ses:{region}:aws:reputation-policy/"))?;
    POLICIES.contains(&name).then_some(name)
}

/// What applies: disabled when either side disabled it.
fn aggregate(t: &Tenant) -> &'static str {
    if t.customer_status == "DISABLED" || t.ses_status == "DISABLED" {
        "DISABLED"
    } else if t.customer_status == "REINSTATED" || t.ses_status == "REINSTATED" {
        "REINSTATED"
    } else {
        "ENABLED"
    }
}

fn tenant_json(t: &Tenant, _region: &str) -> Value {
    let mut out = json!({
        "TenantName": t.name,
        "TenantId": t.id,
        "TenantArn": t.arn,
        "CreatedTimestamp": t.created_at,
        "Tags": t.tags.iter().map(|t| json!({ "Key": t.key, "Value": t.value })).collect::<Vec<_>>(),
        "SendingStatus": aggregate(t),
    });
    if let Some(attributes) = super::ses_suppression::tenant_attributes(t) {
        out["SuppressionAttributes"] = attributes;
    }
    out
}

fn entity_json(t: &Tenant, region: &str) -> Value {
    let mut ses = json!({ "Status": t.ses_status });
    if let Some(cause) = &t.ses_cause {
        ses["Cause"] = json!(cause);
    }
    let mut out = json!({
        "ReputationEntityReference": t.arn,
        "ReputationEntityType": "RESOURCE",
        "ReputationManagementPolicy": policy_arn(region, &t.policy),
        "CustomerManagedStatus": { "Status": t.customer_status },
        "AwsSesManagedStatus": ses,
        "SendingStatusAggregate": aggregate(t),
    });
    if let Some(impact) = &t.impact {
        out["ReputationImpact"] = json!(impact);
    }
    out
}

fn resource_type(arn: &str) -> &'static str {
    if arn.contains(":configuration-set/") {
        "CONFIGURATION_SET"
    } else if arn.contains(":template/") {
        "EMAIL_TEMPLATE"
    } else {
        "EMAIL_IDENTITY"
    }
}

/// Whether an identity or configuration set ARN of this account and region names one that
/// exists: SES refuses to associate what is not there.
fn resource_exists(state: &super::state::State, region: &str, account: &str, arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix(&format!("arn:aws:ses:{region}:{account}:")) else {
        return false;
    };
    if let Some(name) = rest.strip_prefix("identity/") {
        return state.identities.contains_key(&name.to_ascii_lowercase())
            || state
                .identities
                .contains_key(&format!("{region}/{}", name.to_ascii_lowercase()));
    }
    rest.strip_prefix("configuration-set/")
        .is_some_and(|name| state.configuration_sets.contains_key(name))
}

fn with_next(mut out: Value, next: Option<String>) -> Reply {
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Reply::json(out)
}
