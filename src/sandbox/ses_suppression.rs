//! SES v2 suppression lists: the account's, and each tenant's own once its suppression scope
//! is `TENANT` (`PutTenantSuppressionAttributes`, or `SuppressionAttributes` at
//! `CreateTenant`); `ListSuppressedDestinations` (with and without `TenantName`, `Reason`,
//! `PageSize` up to 1,000, `NextToken`), `GetSuppressedDestination`,
//! `PutSuppressedDestination` and `DeleteSuppressedDestination`.
//!
//! As SES documents it: a hard bounce or a complaint of mail sent with `TenantName` goes on
//! that tenant's list when its scope is `TENANT` and the reason is one it suppresses, on the
//! account's list otherwise (the account here suppresses both reasons, SES's default for new
//! accounts). A tenant whose scope goes back to `ACCOUNT` keeps its entries. Addresses keep
//! their case. The sandbox lists the mailbox simulator's bounce and complaint recipients as it
//! would any other address, so the lists can be tested; it claims nothing about whether SES
//! lists simulator addresses.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::World;
use super::http::{ApiError, Reply, Req};
use super::ses::required_str;
use super::state::{Suppressed, Tenant};

const SCOPES: [&str; 2] = ["ACCOUNT", "TENANT"];
const REASONS: [&str; 2] = ["BOUNCE", "COMPLAINT"];
/// `ListSuppressedDestinations`' largest page, and the one it gives when none is asked.
const MAX_PAGE: usize = 1000;
const DEFAULT_PAGE: usize = 100;

/// The operation a request under `/v2/email` names, if it is a suppression one.
pub(crate) fn route(method: &str, rest: &[&str]) -> Option<&'static str> {
    Some(match (method, rest) {
        ("GET", ["suppression", "addresses"]) => "ListSuppressedDestinations",
        ("PUT", ["suppression", "addresses"]) => "PutSuppressedDestination",
        ("GET", ["suppression", "addresses", _]) => "GetSuppressedDestination",
        ("DELETE", ["suppression", "addresses", _]) => "DeleteSuppressedDestination",
        ("POST", ["tenant", "suppression"]) => "PutTenantSuppressionAttributes",
        _ => return None,
    })
}

/// Handles this module's operations; `None` for any other.
pub(crate) fn handle(
    world: &mut World,
    operation: &str,
    req: &Req,
) -> Option<Result<Reply, ApiError>> {
    Some(match operation {
        "ListSuppressedDestinations" => list(world, req),
        "PutSuppressedDestination" => req.json().and_then(|body| {
            let address = required_str(&body, "EmailAddress")?.to_string();
            let reason = reason(required_str(&body, "Reason")?)?;
            let tenant = body.get("TenantName").and_then(Value::as_str);
            let now = world.state.now;
            list_mut(world, tenant)?.insert(address, Suppressed { reason, at: now });
            Ok(Reply::json(json!({})))
        }),
        "GetSuppressedDestination" | "DeleteSuppressedDestination" => {
            let address = req.segments.get(5).cloned().unwrap_or_default();
            let tenant = req.query("TenantName").map(str::to_string);
            let list = match list_mut(world, tenant.as_deref()) {
                Ok(list) => list,
                Err(e) => return Some(Err(e)),
            };
            let missing = || {
                ApiError::new(
                    404,
                    "NotFoundException",
                    format!("Email address {address} does not exist on your suppression list."),
                )
            };
            if operation == "DeleteSuppressedDestination" {
                list.remove(&address)
                    .map(|_| Reply::json(json!({})))
                    .ok_or_else(missing)
            } else {
                list.get(&address)
                    .map(|s| {
                        Reply::json(json!({
                            "SuppressedDestination": {
                                "EmailAddress": address, "Reason": s.reason, "LastUpdateTime": s.at,
                            }
                        }))
                    })
                    .ok_or_else(missing)
            }
        }
        "PutTenantSuppressionAttributes" => req.json().and_then(|body| {
            let name = required_str(&body, "TenantName")?;
            let (scope, reasons) = attributes(Some(&Value::Object(body.clone())))?;
            let tenant = world
                .state
                .tenants
                .get_mut(name)
                .ok_or_else(|| super::ses_tenants::not_found(name))?;
            tenant.suppression_scope = scope;
            tenant.suppressed_reasons = reasons;
            Ok(Reply::json(json!({})))
        }),
        _ => return None,
    })
}

/// `SuppressionScope` and `SuppressedReasons`, which SES takes together or not at all.
pub(crate) fn attributes(given: Option<&Value>) -> Result<(Option<String>, Vec<String>), ApiError> {
    let Some(given) = given.filter(|v| !v.is_null()) else {
        return Ok((None, Vec::new()));
    };
    let scope = given.get("SuppressionScope").and_then(Value::as_str);
    let reasons = given.get("SuppressedReasons").and_then(Value::as_array);
    match (scope, reasons) {
        (None, None) => Ok((None, Vec::new())),
        (Some(scope), Some(reasons)) => {
            if !SCOPES.contains(&scope) {
                return Err(ApiError::bad_request(format!(
                    "SuppressionScope must be one of {}",
                    SCOPES.join(", ")
                )));
            }
            let reasons = reasons
                .iter()
                .map(|r| reason(r.as_str().unwrap_or_default()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((Some(scope.to_string()), reasons))
        }
        _ => Err(ApiError::bad_request(
            "SuppressionScope and SuppressedReasons must be given together, or neither",
        )),
    }
}

/// A tenant's suppression attributes as `GetTenant` answers them; none when it has none set.
pub(crate) fn tenant_attributes(t: &Tenant) -> Option<Value> {
    let scope = t.suppression_scope.as_ref()?;
    Some(json!({ "SuppressionScope": scope, "SuppressedReasons": t.suppressed_reasons }))
}

fn reason(given: &str) -> Result<String, ApiError> {
    if REASONS.contains(&given) {
        Ok(given.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "Reason must be one of {}",
            REASONS.join(", ")
        )))
    }
}

/// The list `TenantName` names (its own list, whatever its scope now), or the account's.
fn list_mut<'a>(
    world: &'a mut World,
    tenant: Option<&str>,
) -> Result<&'a mut BTreeMap<String, Suppressed>, ApiError> {
    match tenant {
        None => Ok(&mut world.state.suppressed),
        Some(name) => world
            .state
            .tenants
            .get_mut(name)
            .map(|t| &mut t.suppressed)
            .ok_or_else(|| super::ses_tenants::not_found(name)),
    }
}

fn list(world: &mut World, req: &Req) -> Result<Reply, ApiError> {
    if req.query("StartDate").is_some() || req.query("EndDate").is_some() {
        return Err(ApiError::bad_request(
            "the sandbox does not filter the suppression list by date (StartDate, EndDate)",
        ));
    }
    let size = match req.query("PageSize") {
        None => DEFAULT_PAGE,
        Some(given) => given
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!("PageSize must be between 1 and {MAX_PAGE}"))
            })?,
    };
    let reasons: Vec<String> = req
        .query_all("Reason")
        .into_iter()
        .map(reason)
        .collect::<Result<_, _>>()?;
    // The token is the last address of the page before: the list may change between pages
    // (a drain of bounces goes on) without an entry being skipped or repeated.
    let after = req.query("NextToken").map(|t| {
        t.strip_prefix("after:").map(str::to_string).ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidNextTokenException",
                "The NextToken is invalid or expired.",
            )
        })
    });
    let after = after.transpose()?;
    let tenant = req.query("TenantName").map(str::to_string);
    let list = list_mut(world, tenant.as_deref())?;
    let start = match &after {
        Some(a) => std::ops::Bound::Excluded(a.clone()),
        None => std::ops::Bound::Unbounded,
    };
    let mut page: Vec<(&String, &Suppressed)> = list
        .range((start, std::ops::Bound::Unbounded))
        .filter(|(_, s)| reasons.is_empty() || reasons.contains(&s.reason))
        .take(size + 1)
        .collect();
    let more = page.len() > size;
    page.truncate(size);
    let summaries: Vec<Value> = page
        .iter()
        .map(|(address, s)| {
            json!({ "EmailAddress": address, "Reason": s.reason, "LastUpdateTime": s.at })
        })
        .collect();
    let mut out = json!({ "SuppressedDestinationSummaries": summaries });
    if more && let Some((last, _)) = page.last() {
        out["NextToken"] = json!(format!("after:{last}"));
    }
    Ok(Reply::json(out))
}

/// What SES does with a hard bounce or complaint of one recipient of mail sent with
/// `tenant` (or none): its reason goes on the tenant's own list when the tenant's scope is
/// `TENANT` and it suppresses that reason, on the account's otherwise.
pub(crate) fn suppress(
    state: &mut super::state::State,
    tenant: Option<&str>,
    address: &str,
    why: &str,
) {
    let entry = Suppressed {
        reason: why.to_string(),
        at: state.now,
    };
    match tenant.and_then(|t| state.tenants.get_mut(t)) {
        Some(t) if t.suppression_scope.as_deref() == Some("TENANT") => {
            if t.suppressed_reasons.iter().any(|r| r == why) {
                t.suppressed.insert(address.to_string(), entry);
            }
        }
        _ => {
            state.suppressed.insert(address.to_string(), entry);
        }
    }
}
