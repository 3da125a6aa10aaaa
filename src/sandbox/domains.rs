//! Route 53 Domains (JSON 1.1, `X-Amz-Target: Route53Domains_v20140515.<Op>`):
//! availability, prices, registration as an operation that moves in
//! simulated time, domain details and the owner's toggles.
//!
//! Registration creates a Route 53 hosted zone at once, as AWS does; the
//! domain counts as registered once its operation is SUCCESSFUL.

use serde_json::{Map, Value, json};

use super::config::{Availability, SandboxConfig};
use super::http::{ApiError, Reply, Req};
use super::state::{Domain, LockChange, Operation, State};
use super::{World, route53, ses, zones};

const TARGET_PREFIX: &str = "Route53Domains_v20140515.";
const OPERATIONS: [&str; 17] = [
    "ListTagsForDomain",
    "UpdateTagsForDomain",
    "DeleteTagsForDomain",
    "CancelDomainTransferToAnotherAwsAccount",
    "CheckDomainAvailability",
    "ListPrices",
    "RegisterDomain",
    "GetOperationDetail",
    "ListOperations",
    "GetDomainDetail",
    "ListDomains",
    "EnableDomainAutoRenew",
    "DisableDomainAutoRenew",
    "EnableDomainTransferLock",
    "DisableDomainTransferLock",
    "RetrieveDomainAuthCode",
    "TransferDomainToAnotherAwsAccount",
];
const YEAR: i64 = 365 * 86_400;
const TRANSFER_WINDOW: i64 = 3 * 86_400;
const CONTACT_TYPES: [&str; 5] = [
    "PERSON",
    "COMPANY",
    "ASSOCIATION",
    "PUBLIC_BODY",
    "RESELLER",
];

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    if req.method != "POST" || !req.segments.is_empty() {
        return None;
    }
    let target = req.header("x-amz-target")?;
    let name = target.strip_prefix(TARGET_PREFIX)?;
    OPERATIONS.iter().find(|op| **op == name).copied()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidInput", message)
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("{key} is required")))
}

fn domain_key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn tld_of(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or("")
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let World { state, config, .. } = world;
    let body = req.json().map_err(|e| invalid(e.message))?;
    match operation {
        "CheckDomainAvailability" => {
            let name = domain_key(text(&body, "DomainName")?);
            let answer = availability(state, config, &name)?;
            Ok(Reply::amz_json(json!({ "Availability": answer })))
        }
        "ListPrices" => list_prices(config, &body),
        "RegisterDomain" => register(state, config, &body),
        "GetOperationDetail" => {
            let id = text(&body, "OperationId")?;
            let op = state
                .operations
                .iter()
                .find(|o| o.id == id)
                .ok_or_else(|| invalid(format!("Operation with id {id} not found")))?;
            Ok(Reply::amz_json(operation_json(op, state.now)))
        }
        "ListOperations" => list_operations(state, &body),
        "GetDomainDetail" => {
            let domain = registered(state, text(&body, "DomainName")?)?;
            let zone = state
                .hosted_zones
                .iter()
                .find(|h| h.id == domain.hosted_zone_id);
            let name_servers: Vec<Value> = zone
                .map(|z| {
                    z.name_servers
                        .iter()
                        .map(|n| json!({ "Name": n }))
                        .collect()
                })
                .unwrap_or_default();
            let mut status = vec!["ok"];
            if transfer_lock(state, domain, state.now) {
                status = vec!["clientTransferProhibited"];
            }
            Ok(Reply::amz_json(json!({
                "DomainName": domain.name,
                "Nameservers": name_servers,
                "AutoRenew": domain.auto_renew,
                "AdminContact": domain.admin,
                "RegistrantContact": domain.registrant,
                "TechContact": domain.tech,
                "AdminPrivacy": domain.admin_privacy,
                "RegistrantPrivacy": domain.registrant_privacy,
                "TechPrivacy": domain.tech_privacy,
                "RegistrarName": "Amazon Registrar, Inc.",
                "WhoIsServer": "whois.registrar.amazon",
                "RegistrarUrl": "https://registrar.amazon.com",
                "AbuseContactEmail": "abuse@amazonaws.com",
                "AbuseContactPhone": "+1.2024422253",
                "CreationDate": domain.submitted_at,
                "UpdatedDate": domain.submitted_at,
                "ExpirationDate": domain.expires_at,
                "StatusList": status,
            })))
        }
        "ListDomains" => {
            let now = state.now;
            let names: Vec<&Domain> = state
                .domains
                .values()
                .filter(|d| is_registered(state, d, now))
                .collect();
            let (start, max) = page(&body, 20)?;
            let page: Vec<Value> = names
                .iter()
                .skip(start)
                .take(max)
                .map(|d| {
                    json!({
                        "DomainName": d.name,
                        "AutoRenew": d.auto_renew,
                        "TransferLock": transfer_lock(state, d, now),
                        "Expiry": d.expires_at,
                    })
                })
                .collect();
            let mut out = json!({ "Domains": page });
            if start + max < names.len() {
                out["NextPageMarker"] = json!((start + max).to_string());
            }
            Ok(Reply::amz_json(out))
        }
        // Like UpdateTagsForDomain, from the moment the registration is submitted.
        "ListTagsForDomain" => {
            let key = domain_key(text(&body, "DomainName")?);
            let now = state.now;
            let domain = state
                .domains
                .get(&key)
                .filter(|d| is_held(state, d, now))
                .ok_or_else(|| invalid(format!("Domain {key} not found in account")))?;
            let tags: Vec<Value> = domain
                .tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect();
            Ok(Reply::amz_json(json!({ "TagList": tags })))
        }
        // Tags go on a domain from the moment its registration is submitted (mailform tags what
        // it buys right after RegisterDomain answers).
        "UpdateTagsForDomain" | "DeleteTagsForDomain" => {
            let key = domain_key(text(&body, "DomainName")?);
            let now = state.now;
            let held = state
                .domains
                .get(&key)
                .is_some_and(|d| is_held(state, d, now));
            let Some(domain) = state.domains.get_mut(&key).filter(|_| held) else {
                return Err(invalid(format!("Domain {key} not found in account")));
            };
            if operation == "UpdateTagsForDomain" {
                for tag in body
                    .get("TagsToUpdate")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let k = tag.get("Key").and_then(Value::as_str).unwrap_or_default();
                    if k.is_empty() || k.len() > 128 {
                        return Err(invalid("a tag key must have 1 to 128 characters"));
                    }
                    let v = tag.get("Value").and_then(Value::as_str).unwrap_or_default();
                    domain.tags.insert(k.to_string(), v.to_string());
                }
                if domain.tags.len() > 50 {
                    return Err(invalid("a domain has at most 50 tags"));
                }
            } else {
                for k in body
                    .get("TagsToDelete")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    domain.tags.remove(k);
                }
            }
            Ok(Reply::amz_json(json!({})))
        }
        "EnableDomainAutoRenew" | "DisableDomainAutoRenew" => {
            let name = text(&body, "DomainName")?.to_string();
            registered(state, &name)?;
            if let Some(domain) = state.domains.get_mut(&domain_key(&name)) {
                domain.auto_renew = operation == "EnableDomainAutoRenew";
            }
            Ok(Reply::amz_json(json!({})))
        }
        // The change is an operation that completes later, as AWS documents ("Successful
        // submission returns an operation ID that you can use to track the progress and
        // completion of the action"), and a second one while it runs is a DuplicateRequest:
        // https://docs.aws.amazon.com/Route53/latest/APIReference/API_domains_DisableDomainTransferLock.html
        // Until it is SUCCESSFUL the domain keeps the lock it had.
        "EnableDomainTransferLock" | "DisableDomainTransferLock" => {
            let name = text(&body, "DomainName")?.to_string();
            registered(state, &name)?;
            let key = domain_key(&name);
            let now = state.now;
            settle_lock(state, &key, now);
            let in_flight = state.domains.get(&key).and_then(|d| d.lock_change.as_ref());
            if in_flight.is_some() {
                return Err(duplicate(&name));
            }
            let takes = config.timings.transfer_lock_takes;
            let id = new_operation(
                state,
                &key,
                "DOMAIN_LOCK",
                now + takes.min(60),
                now + takes,
                "SUCCESSFUL",
                None,
            );
            if let Some(domain) = state.domains.get_mut(&key) {
                domain.lock_change = Some(LockChange {
                    operation_id: id.clone(),
                    lock: operation == "EnableDomainTransferLock",
                });
            }
            Ok(Reply::amz_json(json!({ "OperationId": id })))
        }
        "RetrieveDomainAuthCode" => {
            let name = text(&body, "DomainName")?.to_string();
            registered(state, &name)?;
            let code = state.random_string(
                b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!#",
                16,
            );
            Ok(Reply::amz_json(json!({ "AuthCode": code })))
        }
        "TransferDomainToAnotherAwsAccount" => {
            let name = text(&body, "DomainName")?.to_string();
            let account = text(&body, "AccountId")?;
            if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(format!(
                    "AccountId {account} is not a 12-digit AWS account id"
                )));
            }
            if account == config.account_id {
                return Err(invalid("the domain already belongs to this account"));
            }
            registered(state, &name)?;
            let now = state.now;
            if transfer_in_flight(state, &domain_key(&name), now).is_some() {
                return Err(duplicate(&name));
            }
            let password = state.random_string(
                b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
                20,
            );
            // Nobody accepts in the sandbox: the offer lapses after 3 days.
            let id = new_operation(
                state,
                &domain_key(&name),
                "INTERNAL_TRANSFER_OUT_DOMAIN",
                now,
                now + TRANSFER_WINDOW,
                "FAILED",
                Some(format!(
                    "account {account} did not accept the transfer within 3 days"
                )),
            );
            Ok(Reply::amz_json(
                json!({ "OperationId": id, "Password": password }),
            ))
        }
        "CancelDomainTransferToAnotherAwsAccount" => {
            let name = text(&body, "DomainName")?.to_string();
            registered(state, &name)?;
            let key = domain_key(&name);
            let now = state.now;
            let Some(index) = transfer_in_flight(state, &key, now) else {
                return Err(invalid(format!(
                    "there is no transfer of {name} to another account to cancel"
                )));
            };
            let op = &mut state.operations[index];
            op.done_at = now;
            op.outcome = "FAILED".into();
            op.message = Some(format!(
                "Domain Transfer to another AWS account has been cancelled for {name}"
            ));
            let id = op.id.clone();
            Ok(Reply::amz_json(json!({ "OperationId": id })))
        }
        _ => Err(invalid(format!("unknown operation {operation}"))),
    }
}

/// The lock a domain shows at `now`: the one asked for once its operation succeeded.
fn transfer_lock(state: &State, domain: &Domain, now: i64) -> bool {
    match &domain.lock_change {
        Some(change) if lock_change_done(state, change, now) => change.lock,
        _ => domain.transfer_lock,
    }
}

fn lock_change_done(state: &State, change: &LockChange, now: i64) -> bool {
    state
        .operations
        .iter()
        .find(|o| o.id == change.operation_id)
        .is_none_or(|o| !matches!(o.status(now), "SUBMITTED" | "IN_PROGRESS"))
}

/// Folds a finished lock change into the domain's lock.
fn settle_lock(state: &mut State, key: &str, now: i64) {
    let Some(change) = state.domains.get(key).and_then(|d| d.lock_change.clone()) else {
        return;
    };
    if lock_change_done(state, &change, now)
        && let Some(domain) = state.domains.get_mut(key)
    {
        domain.transfer_lock = change.lock;
        domain.lock_change = None;
    }
}

/// AWS's answer to a second request for a domain while one is under way.
fn duplicate(name: &str) -> ApiError {
    ApiError::new(
        400,
        "DuplicateRequest",
        format!("The request is already in progress for the domain {name}"),
    )
}

/// The index of the unfinished transfer of `domain` to another account, if one is under way.
fn transfer_in_flight(state: &State, domain: &str, now: i64) -> Option<usize> {
    state.operations.iter().position(|o| {
        o.domain == domain
            && o.kind == "INTERNAL_TRANSFER_OUT_DOMAIN"
            && matches!(o.status(now), "SUBMITTED" | "IN_PROGRESS")
    })
}

fn page(body: &Map<String, Value>, default: usize) -> Result<(usize, usize), ApiError> {
    let start = match body.get("Marker").and_then(Value::as_str) {
        Some(m) => m
            .parse()
            .map_err(|_| invalid(format!("invalid Marker {m}")))?,
        None => 0,
    };
    let max = body
        .get("MaxItems")
        .and_then(Value::as_u64)
        .map(|m| m as usize)
        .unwrap_or(default);
    if max == 0 || max > 100 {
        return Err(invalid("MaxItems must be between 1 and 100"));
    }
    Ok((start, max))
}

fn registration_of<'a>(state: &'a State, domain: &Domain) -> Option<&'a Operation> {
    state
        .operations
        .iter()
        .find(|o| o.id == domain.operation_id)
}

fn is_registered(state: &State, domain: &Domain, now: i64) -> bool {
    registration_of(state, domain).is_some_and(|o| o.status(now) == "SUCCESSFUL")
}

/// Registered or on its way: what counts against the limit and availability.
fn is_held(state: &State, domain: &Domain, now: i64) -> bool {
    registration_of(state, domain).is_some_and(|o| o.status(now) != "FAILED")
}

fn registered<'a>(state: &'a State, name: &str) -> Result<&'a Domain, ApiError> {
    state
        .domains
        .get(&domain_key(name))
        .filter(|d| is_registered(state, d, state.now))
        .ok_or_else(|| invalid(format!("Domain {name} not found in account")))
}

fn availability(
    state: &State,
    config: &SandboxConfig,
    name: &str,
) -> Result<&'static str, ApiError> {
    if !ses::valid_domain(name) {
        return Err(invalid(format!("{name} is not a valid domain name")));
    }
    let tld = tld_of(name);
    if !config.prices.iter().any(|p| p.tld == tld) {
        return Err(ApiError::new(
            400,
            "UnsupportedTLD",
            format!("TLD .{tld} is not supported"),
        ));
    }
    let fqdn = zones::normalize_name(name);
    if let Some(answer) = state
        .availability
        .get(&fqdn)
        .and_then(|a| Availability::parse(a))
        .or_else(|| config.availability.get(name).copied())
        .or_else(|| config.availability.get(&fqdn).copied())
    {
        return Ok(answer.as_str());
    }
    if state
        .domains
        .get(name)
        .is_some_and(|d| is_held(state, d, state.now))
    {
        return Ok(Availability::Unavailable.as_str());
    }
    Ok(Availability::Available.as_str())
}

fn list_prices(config: &SandboxConfig, body: &Map<String, Value>) -> Result<Reply, ApiError> {
    let price = |p: f64| json!({ "Price": p, "Currency": "USD" });
    let selected: Vec<_> = match body.get("Tld").and_then(Value::as_str) {
        Some(tld) => {
            let tld = tld.trim_start_matches('.').to_ascii_lowercase();
            let found: Vec<_> = config.prices.iter().filter(|p| p.tld == tld).collect();
            if found.is_empty() {
                return Err(ApiError::new(
                    400,
                    "UnsupportedTLD",
                    format!("TLD .{tld} is not supported"),
                ));
            }
            found
        }
        None => config.prices.iter().collect(),
    };
    let (start, max) = page(body, 100)?;
    let prices: Vec<Value> = selected
        .iter()
        .skip(start)
        .take(max)
        .map(|p| {
            json!({
                "Name": p.tld,
                "RegistrationPrice": price(p.registration),
                "RenewalPrice": price(p.renewal),
                "TransferPrice": price(p.transfer),
                "ChangeOwnershipPrice": price(0.0),
                "RestorationPrice": price(p.registration * 4.0),
            })
        })
        .collect();
    let mut out = json!({ "Prices": prices });
    if start + max < selected.len() {
        out["NextPageMarker"] = json!((start + max).to_string());
    }
    Ok(Reply::amz_json(out))
}

/// Checks a contact as Route 53 Domains does; answers what is wrong.
fn contact_problems(role: &str, contact: Option<&Value>) -> Vec<String> {
    let Some(contact) = contact.and_then(Value::as_object) else {
        return vec![format!("{role} is required")];
    };
    let field = |k: &str| contact.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let mut problems = Vec::new();
    for key in [
        "FirstName",
        "LastName",
        "ContactType",
        "AddressLine1",
        "City",
        "CountryCode",
        "ZipCode",
        "PhoneNumber",
        "Email",
    ] {
        if field(key).is_empty() {
            problems.push(format!("{role}.{key} is required"));
        }
    }
    let kind = field("ContactType");
    if !kind.is_empty() && !CONTACT_TYPES.contains(&kind) {
        problems.push(format!(
            "{role}.ContactType {kind} is not one of {}",
            CONTACT_TYPES.join(", ")
        ));
    }
    if !kind.is_empty() && kind != "PERSON" && field("OrganizationName").is_empty() {
        problems.push(format!(
            "{role}.OrganizationName is required when ContactType is {kind}"
        ));
    }
    let phone = field("PhoneNumber");
    if !phone.is_empty() && !valid_phone(phone) {
        problems.push(format!(
            "{role}.PhoneNumber {phone} must look like +1.1234567890 (+country code, a dot, the number)"
        ));
    }
    let email = field("Email");
    if !email.is_empty()
        && !email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        problems.push(format!("{role}.Email {email} is not an email address"));
    }
    let country = field("CountryCode");
    let two_letters = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    if !country.is_empty() && !two_letters {
        problems.push(format!(
            "{role}.CountryCode {country} is not a two-letter country code"
        ));
    }
    problems
}

fn valid_phone(phone: &str) -> bool {
    let Some(rest) = phone.strip_prefix('+') else {
        return false;
    };
    let Some((code, number)) = rest.split_once('.') else {
        return false;
    };
    (1..=3).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_digit())
        && (4..=15).contains(&number.len())
        && number.chars().all(|c| c.is_ascii_digit())
}

fn new_operation(
    state: &mut State,
    domain: &str,
    kind: &str,
    in_progress_at: i64,
    done_at: i64,
    outcome: &str,
    message: Option<String>,
) -> String {
    let id = format!(
        "{}-{}-{}-{}-{}",
        state.random_string(b"0123456789abcdef", 8),
        state.random_string(b"0123456789abcdef", 4),
        state.random_string(b"0123456789abcdef", 4),
        state.random_string(b"0123456789abcdef", 4),
        state.random_string(b"0123456789abcdef", 12)
    );
    state.operations.push(Operation {
        id: id.clone(),
        domain: domain.to_string(),
        kind: kind.to_string(),
        submitted_at: state.now,
        in_progress_at,
        done_at,
        outcome: outcome.to_string(),
        message,
    });
    id
}

fn register(
    state: &mut State,
    config: &SandboxConfig,
    body: &Map<String, Value>,
) -> Result<Reply, ApiError> {
    let name = domain_key(text(body, "DomainName")?);
    let now = state.now;
    let in_flight = state.operations.iter().any(|o| {
        o.domain == name
            && o.kind == "REGISTER_DOMAIN"
            && matches!(o.status(now), "SUBMITTED" | "IN_PROGRESS")
    });
    if in_flight {
        return Err(duplicate(&name));
    }
    let answer = availability(state, config, &name)?;
    if answer != Availability::Available.as_str() {
        return Err(invalid(format!(
            "{name} is not available for registration ({answer})"
        )));
    }
    let years = body
        .get("DurationInYears")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("DurationInYears is required"))?;
    if !(1..=10).contains(&years) {
        return Err(invalid("DurationInYears must be between 1 and 10"));
    }
    let mut problems = Vec::new();
    for role in ["AdminContact", "RegistrantContact", "TechContact"] {
        problems.extend(contact_problems(role, body.get(role)));
    }
    if !problems.is_empty() {
        return Err(invalid(problems.join("; ")));
    }
    let held = state
        .domains
        .values()
        .filter(|d| is_held(state, d, now))
        .count();
    if held >= config.domain_limit {
        return Err(ApiError::new(
            400,
            "DomainLimitExceeded",
            format!(
                "The account may register at most {} domains",
                config.domain_limit
            ),
        ));
    }
    let timings = config.timings;
    let fails = config.failing_registrations.contains(&name);
    let id = new_operation(
        state,
        &name,
        "REGISTER_DOMAIN",
        now + timings.registration_starts_after,
        now + timings.registration_takes,
        if fails { "FAILED" } else { "SUCCESSFUL" },
        fails.then(|| "The registry refused the registration".to_string()),
    );
    let zone_id = route53::create_zone(
        state,
        &name,
        &format!("RegisterDomain-{id}"),
        Some("HostedZone created by Route53 Registrar".into()),
    );
    let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(true);
    let contact = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    state.domains.insert(
        name.clone(),
        Domain {
            name,
            operation_id: id.clone(),
            submitted_at: now,
            expires_at: now + years * YEAR,
            auto_renew: flag("AutoRenew"),
            transfer_lock: true,
            admin: contact("AdminContact"),
            registrant: contact("RegistrantContact"),
            tech: contact("TechContact"),
            admin_privacy: flag("PrivacyProtectAdminContact"),
            registrant_privacy: flag("PrivacyProtectRegistrantContact"),
            tech_privacy: flag("PrivacyProtectTechContact"),
            hosted_zone_id: zone_id,
            tags: Default::default(),
            lock_change: None,
        },
    );
    Ok(Reply::amz_json(json!({ "OperationId": id })))
}

fn operation_json(op: &Operation, now: i64) -> Value {
    let mut out = json!({
        "OperationId": op.id,
        "Status": op.status(now),
        "DomainName": op.domain,
        "Type": op.kind,
        "SubmittedDate": op.submitted_at,
        "LastUpdatedDate": op.last_updated(now),
    });
    if let Some(message) = op.message.as_ref().filter(|_| op.status(now) == "FAILED") {
        out["Message"] = json!(message);
    }
    out
}

fn list_operations(state: &State, body: &Map<String, Value>) -> Result<Reply, ApiError> {
    let now = state.now;
    let strings = |k: &str| -> Vec<String> {
        body.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let statuses = strings("Status");
    let types = strings("Type");
    let since = body
        .get("SubmittedSince")
        .and_then(Value::as_f64)
        .map(|s| s as i64);
    let mut ops: Vec<&Operation> = state
        .operations
        .iter()
        .filter(|o| statuses.is_empty() || statuses.iter().any(|s| s == o.status(now)))
        .filter(|o| types.is_empty() || types.contains(&o.kind))
        .filter(|o| since.is_none_or(|s| o.submitted_at >= s))
        .collect();
    if body.get("SortOrder").and_then(Value::as_str) == Some("DESC") {
        ops.reverse();
    }
    let (start, max) = page(body, 20)?;
    let page: Vec<Value> = ops
        .iter()
        .skip(start)
        .take(max)
        .map(|o| operation_json(o, now))
        .collect();
    let mut out = json!({ "Operations": page });
    if start + max < ops.len() {
        out["NextPageMarker"] = json!((start + max).to_string());
    }
    Ok(Reply::amz_json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_follow_the_documented_form() {
        assert!(valid_phone("+1.1234567890"));
        assert!(valid_phone("+49.301234567"));
        assert!(!valid_phone("+1 1234567890"));
        assert!(!valid_phone("1.1234567890"));
    }

    #[test]
    fn companies_need_an_organisation_name() {
        let contact = json!({
            "FirstName": "Ada", "LastName": "Byron", "ContactType": "COMPANY",
            "AddressLine1": "1 Main St", "City": "Springfield", "CountryCode": "US",
            "ZipCode": "12345", "PhoneNumber": "+1.5555550100", "Email": "it@example-library.org"
        });
        let problems = contact_problems("AdminContact", Some(&contact));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("OrganizationName"));
        assert_eq!(
            contact_problems("TechContact", None),
            vec!["TechContact is required"]
        );
    }
}
