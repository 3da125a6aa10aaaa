//! SES v2 (REST-JSON): identities with Easy DKIM, MAIL FROM, configuration
//! sets, tags and the account, plus SES's verification cycle.
//!
//! Verification follows SES: a domain stays PENDING until all three DKIM
//! CNAMEs `<token>._domainkey.<domain>` → `<token>.<SigningHostedZone>` are
//! in the sandbox's zones; FAILED after the window (72 hours); a verified
//! domain whose records vanish is TEMPORARY_FAILURE, then FAILED after
//! another window or back to SUCCESS.

use serde_json::{Map, Value, json};

use super::config::SandboxConfig;
use super::http::{ApiError, Reply, Req};
use super::state::{
    ConfigurationSet, Dkim, Identity, IdentityKind, MailFrom, State, Status, Tag, Verification,
};
use super::{World, zones};

const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const MAX_IDENTITIES: usize = 10_000;
const KEY_LENGTHS: [&str; 2] = ["RSA_1024_BIT", "RSA_2048_BIT"];
const DAY: i64 = 86_400;

/// The operation a request names, if SES v2 has it.
pub(crate) fn route(req: &Req) -> Option<&'static str> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let rest = segs.strip_prefix(&["v2", "email"])?;
    Some(match (req.method.as_str(), rest) {
        ("POST", ["identities"]) => "CreateEmailIdentity",
        ("GET", ["identities"]) | ("POST", ["list-identities"]) => "ListEmailIdentities",
        ("GET", ["identities", _]) => "GetEmailIdentity",
        ("DELETE", ["identities", _]) => "DeleteEmailIdentity",
        ("PUT", ["identities", _, "dkim"]) => "PutEmailIdentityDkimAttributes",
        ("PUT", ["identities", _, "dkim", "signing"]) => "PutEmailIdentityDkimSigningAttributes",
        ("PUT", ["identities", _, "mail-from"]) => "PutEmailIdentityMailFromAttributes",
        ("PUT", ["identities", _, "configuration-set"]) => {
            "PutEmailIdentityConfigurationSetAttributes"
        }
        ("POST", ["tags"]) => "TagResource",
        ("DELETE", ["tags"]) => "UntagResource",
        ("GET", ["tags"]) => "ListTagsForResource",
        ("POST", ["configuration-sets"]) => "CreateConfigurationSet",
        ("GET", ["configuration-sets"]) | ("POST", ["list-configuration-sets"]) => {
            "ListConfigurationSets"
        }
        ("GET", ["configuration-sets", _]) => "GetConfigurationSet",
        ("DELETE", ["configuration-sets", _]) => "DeleteConfigurationSet",
        ("GET", ["account"]) => "GetAccount",
        _ => {
            return super::ses_tenants::route(req.method.as_str(), rest)
                .or_else(|| super::ses_send::route(req.method.as_str(), rest))
                .or_else(|| super::ses_suppression::route(req.method.as_str(), rest));
        }
    })
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    if let Some(result) = super::ses_send::handle(world, operation, req) {
        return result;
    }
    if let Some(result) = super::ses_suppression::handle(world, operation, req) {
        return result;
    }
    let World { state, config, .. } = world;
    let at = Region {
        asked: req
            .signing_region()
            .unwrap_or(config.region.as_str())
            .to_string(),
        home: &config.region,
    };
    let at = &at;
    let path_name = || req.segments.get(3).cloned().unwrap_or_default();
    match operation {
        "CreateEmailIdentity" => create_identity(state, config, at, &req.json()?),
        "ListEmailIdentities" => {
            // The list shows every identity's status: all are looked at, once a page.
            recheck_all(state, config);
            list_identities(state, at, req)
        }
        "GetEmailIdentity" => {
            recheck(state, config, &at.key(&path_name()));
            let identity = find(state, at, &path_name())?;
            Ok(Reply::json(identity_json(identity)))
        }
        "DeleteEmailIdentity" => {
            let key = at.key(&path_name());
            state
                .identities
                .remove(&key)
                .ok_or_else(|| not_found_identity(&path_name()))?;
            Ok(Reply::json(json!({})))
        }
        "PutEmailIdentityDkimAttributes" => {
            let body = req.json()?;
            let identity = find_mut(state, at, &path_name())?;
            if identity.kind != IdentityKind::Domain {
                return Err(ApiError::bad_request(
                    "DKIM signing is set on the domain of an email address identity",
                ));
            }
            identity.dkim.signing_enabled = body
                .get("SigningEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Ok(Reply::json(json!({})))
        }
        "PutEmailIdentityDkimSigningAttributes" => {
            let body = req.json()?;
            let now = state.now;
            put_dkim_signing(find_mut(state, at, &path_name())?, &body, now)
        }
        "PutEmailIdentityMailFromAttributes" => {
            let body = req.json()?;
            let now = state.now;
            put_mail_from(find_mut(state, at, &path_name())?, &body, now)
        }
        "PutEmailIdentityConfigurationSetAttributes" => {
            let body = req.json()?;
            let set = body
                .get("ConfigurationSetName")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            if let Some(name) = set
                .as_ref()
                .filter(|n| !state.configuration_sets.contains_key(*n))
            {
                return Err(not_found_set(name));
            }
            find_mut(state, at, &path_name())?.configuration_set = set;
            Ok(Reply::json(json!({})))
        }
        "TagResource" => {
            let body = req.json()?;
            let arn = required_str(&body, "ResourceArn")?;
            let new_tags = parse_tags(&body)?;
            let tags = tags_of(state, config, at, arn)?;
            for tag in new_tags {
                match tags.iter_mut().find(|t| t.key == tag.key) {
                    Some(existing) => existing.value = tag.value,
                    None => tags.push(tag),
                }
            }
            if tags.len() > 50 {
                return Err(ApiError::bad_request("a resource can have at most 50 tags"));
            }
            Ok(Reply::json(json!({})))
        }
        "UntagResource" => {
            let arn = req
                .query("ResourceArn")
                .ok_or_else(|| ApiError::bad_request("ResourceArn is required"))?
                .to_string();
            let keys: Vec<String> = req
                .query_all("TagKeys")
                .into_iter()
                .map(str::to_string)
                .collect();
            tags_of(state, config, at, &arn)?.retain(|t| !keys.contains(&t.key));
            Ok(Reply::json(json!({})))
        }
        "ListTagsForResource" => {
            let arn = req
                .query("ResourceArn")
                .ok_or_else(|| ApiError::bad_request("ResourceArn is required"))?
                .to_string();
            let tags = tags_of(state, config, at, &arn)?;
            Ok(Reply::json(json!({ "Tags": tags_json(tags) })))
        }
        "CreateConfigurationSet" => create_configuration_set(state, req.json()?),
        "ListConfigurationSets" => {
            let names: Vec<String> = state.configuration_sets.keys().cloned().collect();
            let (page, next) = paginate(&names, req)?;
            let mut out = json!({ "ConfigurationSets": page });
            if let Some(next) = next {
                out["NextToken"] = json!(next);
            }
            Ok(Reply::json(out))
        }
        "GetConfigurationSet" => {
            let name = path_name();
            let set = state
                .configuration_sets
                .get(&name)
                .ok_or_else(|| not_found_set(&name))?;
            let mut out = set.options.clone();
            out.insert("ConfigurationSetName".into(), json!(set.name));
            out.insert("Tags".into(), tags_json(&set.tags));
            Ok(Reply::json(Value::Object(out)))
        }
        "DeleteConfigurationSet" => {
            let name = path_name();
            state
                .configuration_sets
                .remove(&name)
                .ok_or_else(|| not_found_set(&name))?;
            Ok(Reply::json(json!({})))
        }
        "GetAccount" => {
            let production = config.production_access;
            Ok(Reply::json(json!({
                "DedicatedIpAutoWarmupEnabled": false,
                "EnforcementStatus": "HEALTHY",
                "ProductionAccessEnabled": production,
                "SendQuota": {
                    "Max24HourSend": if production { 50_000.0 } else { 200.0 },
                    "MaxSendRate": if production { 14.0 } else { 1.0 },
                    "SentLast24Hours": 0.0
                },
                "SendingEnabled": config.sending_enabled,
                "SuppressionAttributes": { "SuppressedReasons": ["BOUNCE", "COMPLAINT"] }
            })))
        }
        _ => super::ses_tenants::handle(world, operation, req),
    }
}

fn key_of(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// SES keeps identities per region: "to send email from the same domain or email address in
/// more than one AWS Region, you must create and verify a separate identity for each Region",
/// at most 10,000 in each (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html). The region a request is for is
/// the one its SigV4 credential scope names, else the sandbox's own. Identities of the
/// sandbox's own region are keyed by name alone (as state files before regions were kept),
/// the others by `<region>/<name>`; a name never holds a `/`.
struct Region<'a> {
    asked: String,
    home: &'a str,
}

impl Region<'_> {
    fn key(&self, name: &str) -> String {
        key_in(&self.asked, self.home, name)
    }

    fn holds(&self, key: &str) -> bool {
        region_of(key, self.home) == self.asked
    }
}

fn key_in(region: &str, home: &str, name: &str) -> String {
    if region == home {
        key_of(name)
    } else {
        format!("{region}/{}", key_of(name))
    }
}

/// The region of an identity's key.
fn region_of<'a>(key: &'a str, home: &'a str) -> &'a str {
    key.split_once('/').map_or(home, |(region, _)| region)
}

fn not_found_identity(name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFoundException",
        format!("Email identity {name} does not exist."),
    )
}

fn not_found_set(name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFoundException",
        format!("Configuration set <{name}> does not exist."),
    )
}

fn find<'a>(state: &'a State, at: &Region, name: &str) -> Result<&'a Identity, ApiError> {
    state
        .identities
        .get(&at.key(name))
        .ok_or_else(|| not_found_identity(name))
}

fn find_mut<'a>(
    state: &'a mut State,
    at: &Region,
    name: &str,
) -> Result<&'a mut Identity, ApiError> {
    state
        .identities
        .get_mut(&at.key(name))
        .ok_or_else(|| not_found_identity(name))
}

pub(crate) fn required_str<'a>(
    body: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a str, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
}

/// A DNS name of at least two labels of letters, digits and hyphens.
pub(crate) fn valid_domain(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

pub(crate) fn parse_tags(body: &Map<String, Value>) -> Result<Vec<Tag>, ApiError> {
    let Some(tags) = body.get("Tags") else {
        return Ok(Vec::new());
    };
    let list = tags
        .as_array()
        .ok_or_else(|| ApiError::bad_request("Tags must be a list"))?;
    list.iter()
        .map(|t| {
            let key = t.get("Key").and_then(Value::as_str).unwrap_or("");
            if key.is_empty() || key.len() > 128 {
                return Err(ApiError::bad_request(
                    "a tag key must have 1 to 128 characters",
                ));
            }
            Ok(Tag {
                key: key.to_string(),
                value: t
                    .get("Value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
        })
        .collect()
}

fn tags_json(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({ "Key": t.key, "Value": t.value }))
            .collect(),
    )
}

/// The tags behind an SES ARN of this sandbox's region and account.
fn tags_of<'a>(
    state: &'a mut State,
    config: &SandboxConfig,
    at: &Region,
    arn: &str,
) -> Result<&'a mut Vec<Tag>, ApiError> {
    let prefix = format!("arn:aws:ses:{}:{}:", at.asked, config.account_id);
    let not_found = || {
        ApiError::new(
            404,
            "NotFoundException",
            format!("Resource {arn} not found"),
        )
    };
    let rest = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
    if let Some(name) = rest.strip_prefix("identity/") {
        return state
            .identities
            .get_mut(&at.key(name))
            .map(|i| &mut i.tags)
            .ok_or_else(not_found);
    }
    if let Some(name) = rest.strip_prefix("configuration-set/") {
        return state
            .configuration_sets
            .get_mut(name)
            .map(|s| &mut s.tags)
            .ok_or_else(not_found);
    }
    if rest.starts_with("tenant/") {
        return state
            .tenants
            .values_mut()
            .find(|t| t.arn == arn)
            .map(|t| &mut t.tags)
            .ok_or_else(not_found);
    }
    Err(not_found())
}

pub(crate) fn paginate(
    items: &[String],
    req: &Req,
) -> Result<(Vec<String>, Option<String>), ApiError> {
    let body = req.json()?;
    let token = body
        .get("NextToken")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| req.query("NextToken").map(str::to_string));
    let size = body
        .get("PageSize")
        .and_then(Value::as_u64)
        .or_else(|| req.query("PageSize").and_then(|s| s.parse().ok()))
        .unwrap_or(100) as usize;
    if size == 0 || size > 1000 {
        return Err(ApiError::bad_request("PageSize must be between 1 and 1000"));
    }
    let start = match token {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("invalid NextToken"))?,
        None => 0,
    };
    let page: Vec<String> = items.iter().skip(start).take(size).cloned().collect();
    let next = (start + size < items.len()).then(|| (start + size).to_string());
    Ok((page, next))
}

fn create_identity(
    state: &mut State,
    config: &SandboxConfig,
    at: &Region,
    body: &Map<String, Value>,
) -> Result<Reply, ApiError> {
    let name = required_str(body, "EmailIdentity")?.trim().to_string();
    let kind = match name.split_once('@') {
        Some((local, domain)) if !local.is_empty() && valid_domain(domain) => {
            IdentityKind::EmailAddress
        }
        None if valid_domain(&name) => IdentityKind::Domain,
        _ => {
            return Err(ApiError::bad_request(format!(
                "Invalid email identity: {name}"
            )));
        }
    };
    let key = at.key(&name);
    if state.identities.contains_key(&key) {
        return Err(ApiError::new(
            400,
            "AlreadyExistsException",
            format!("Email identity {name} already exist."),
        ));
    }
    if state.identities.keys().filter(|k| at.holds(k)).count() >= MAX_IDENTITIES {
        return Err(ApiError::new(
            400,
            "LimitExceededException",
            "Maximum number of identities exceeded",
        ));
    }
    let configuration_set = body
        .get("ConfigurationSetName")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(set) = configuration_set
        .as_ref()
        .filter(|n| !state.configuration_sets.contains_key(*n))
    {
        return Err(not_found_set(set));
    }
    let mut key_length = "RSA_2048_BIT".to_string();
    if let Some(signing) = body.get("DkimSigningAttributes") {
        if signing.get("DomainSigningPrivateKey").is_some() {
            return Err(ApiError::bad_request(
                "the sandbox simulates Easy DKIM only, not BYODKIM",
            ));
        }
        if let Some(length) = signing.get("NextSigningKeyLength").and_then(Value::as_str) {
            if !KEY_LENGTHS.contains(&length) {
                return Err(ApiError::bad_request(format!(
                    "Invalid NextSigningKeyLength: {length}"
                )));
            }
            key_length = length.to_string();
        }
    }
    let tags = parse_tags(body)?;
    let now = state.now;
    let tokens = match kind {
        IdentityKind::Domain => (0..3)
            .map(|_| state.random_string(TOKEN_ALPHABET, 32))
            .collect(),
        IdentityKind::EmailAddress => Vec::new(),
    };
    let identity = Identity {
        name,
        kind,
        created_at: now,
        verification: Verification::pending(now),
        dkim: Dkim {
            signing_enabled: kind == IdentityKind::Domain,
            tokens,
            signing_hosted_zone: config.signing_hosted_zone.clone(),
            next_key_length: key_length.clone(),
            current_key_length: key_length,
            last_key_generation: now,
            key_length_changed_at: None,
        },
        mail_from: None,
        configuration_set,
        tags,
    };
    let out = json!({
        "IdentityType": identity_type(&identity),
        "VerifiedForSendingStatus": false,
        "DkimAttributes": dkim_json(&identity),
    });
    state.identities.insert(key, identity);
    Ok(Reply::json(out))
}

fn list_identities(state: &mut State, at: &Region, req: &Req) -> Result<Reply, ApiError> {
    let names: Vec<String> = state
        .identities
        .keys()
        .filter(|k| at.holds(k))
        .cloned()
        .collect();
    let (page, next) = paginate(&names, req)?;
    let infos: Vec<Value> = page
        .iter()
        .filter_map(|k| state.identities.get(k))
        .map(|i| {
            json!({
                "IdentityType": identity_type(i),
                "IdentityName": i.name,
                "SendingEnabled": verified_for_sending(i),
                "VerificationStatus": i.verification.status.as_str(),
            })
        })
        .collect();
    let mut out = json!({ "EmailIdentities": infos });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(Reply::json(out))
}

fn identity_type(identity: &Identity) -> &'static str {
    match identity.kind {
        IdentityKind::Domain => "DOMAIN",
        IdentityKind::EmailAddress => "EMAIL_ADDRESS",
    }
}

/// A domain keeps sending during TEMPORARY_FAILURE, as on SES.
fn verified_for_sending(identity: &Identity) -> bool {
    matches!(
        identity.verification.status,
        Status::Success | Status::TemporaryFailure
    )
}

fn dkim_json(identity: &Identity) -> Value {
    let dkim = &identity.dkim;
    if identity.kind == IdentityKind::EmailAddress {
        return json!({
            "SigningEnabled": false,
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
        });
    }
    json!({
        "SigningEnabled": dkim.signing_enabled,
        "Status": identity.verification.status.as_str(),
        "Tokens": dkim.tokens,
        "SigningHostedZone": dkim.signing_hosted_zone,
        "SigningAttributesOrigin": "AWS_SES",
        "NextSigningKeyLength": dkim.next_key_length,
        "CurrentSigningKeyLength": dkim.current_key_length,
        "LastKeyGenerationTimestamp": dkim.last_key_generation,
    })
}

fn identity_json(identity: &Identity) -> Value {
    let v = &identity.verification;
    let mut info = json!({});
    if let Some(t) = v.last_checked {
        info["LastCheckedTimestamp"] = json!(t);
    }
    if let Some(t) = v.last_success {
        info["LastSuccessTimestamp"] = json!(t);
    }
    if let Some(e) = &v.error_type {
        info["ErrorType"] = json!(e);
    }
    let mut out = json!({
        "IdentityType": identity_type(identity),
        "FeedbackForwardingStatus": true,
        "VerifiedForSendingStatus": verified_for_sending(identity),
        "DkimAttributes": dkim_json(identity),
        "Policies": {},
        "Tags": tags_json(&identity.tags),
        "VerificationStatus": v.status.as_str(),
        "VerificationInfo": info,
    });
    if let Some(mail_from) = &identity.mail_from {
        out["MailFromAttributes"] = json!({
            "MailFromDomain": mail_from.domain,
            "MailFromDomainStatus": mail_from.verification.status.as_str(),
            "BehaviorOnMxFailure": mail_from.behavior_on_mx_failure,
        });
    }
    if let Some(set) = &identity.configuration_set {
        out["ConfigurationSetName"] = json!(set);
    }
    out
}

fn put_dkim_signing(
    identity: &mut Identity,
    body: &Map<String, Value>,
    now: i64,
) -> Result<Reply, ApiError> {
    if identity.kind != IdentityKind::Domain {
        return Err(ApiError::bad_request(
            "signing attributes belong to domain identities",
        ));
    }
    let origin = required_str(body, "SigningAttributesOrigin")?;
    if origin != "AWS_SES" {
        return Err(ApiError::bad_request(format!(
            "the sandbox simulates Easy DKIM (AWS_SES) only, not {origin}"
        )));
    }
    let length = body
        .get("SigningAttributes")
        .and_then(|a| a.get("NextSigningKeyLength"))
        .and_then(Value::as_str);
    if let Some(length) = length {
        if !KEY_LENGTHS.contains(&length) {
            return Err(ApiError::bad_request(format!(
                "Invalid NextSigningKeyLength: {length}"
            )));
        }
        let dkim = &mut identity.dkim;
        if length != dkim.next_key_length {
            if dkim
                .key_length_changed_at
                .is_some_and(|changed| now - changed < DAY)
            {
                return Err(ApiError::bad_request(
                    "The signing key length can be changed only once in 24 hours.",
                ));
            }
            // Only the next key: "NextSigningKeyLength: the key length of the future DKIM
            // key pair to be generated"; "CurrentSigningKeyLength: the key length of the DKIM
            // key pair in use", which changes when SES next rotates the key
            // (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_DkimAttributes.html).
            dkim.next_key_length = length.to_string();
            dkim.key_length_changed_at = Some(now);
        }
    }
    // Putting Easy DKIM on an identity whose verification failed starts SES looking again, for
    // another window, with the same tokens (the CNAMEs point at keys SES hosts): "Amazon SES
    // searches for the appropriate records in the DNS configuration of the domain for up to
    // 72 hours" (PutEmailIdentityDkimSigningAttributes, response DkimTokens;
    // https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_PutEmailIdentityDkimSigningAttributes.html).
    if identity.verification.status == Status::Failed {
        let v = &mut identity.verification;
        v.status = Status::Pending;
        v.since = now;
        v.error_type = None;
        identity.dkim.last_key_generation = now;
    }
    Ok(Reply::json(json!({
        "DkimStatus": identity.verification.status.as_str(),
        "DkimTokens": identity.dkim.tokens,
        "SigningHostedZone": identity.dkim.signing_hosted_zone,
    })))
}

fn put_mail_from(
    identity: &mut Identity,
    body: &Map<String, Value>,
    now: i64,
) -> Result<Reply, ApiError> {
    let domain = body
        .get("MailFromDomain")
        .and_then(Value::as_str)
        .map(|d| d.trim().trim_end_matches('.').to_string())
        .filter(|d| !d.is_empty());
    let behavior = body
        .get("BehaviorOnMxFailure")
        .and_then(Value::as_str)
        .unwrap_or("USE_DEFAULT_VALUE");
    if !["USE_DEFAULT_VALUE", "REJECT_MESSAGE"].contains(&behavior) {
        return Err(ApiError::bad_request(format!(
            "Invalid BehaviorOnMxFailure: {behavior}"
        )));
    }
    let Some(domain) = domain else {
        identity.mail_from = None;
        return Ok(Reply::json(json!({})));
    };
    let parent = match identity.kind {
        IdentityKind::Domain => identity.name.clone(),
        IdentityKind::EmailAddress => identity
            .name
            .split_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default(),
    };
    let (d, p) = (
        zones::normalize_name(&domain),
        zones::normalize_name(&parent),
    );
    if d == p || !zones::in_zone(&d, &p) || !valid_domain(&domain) {
        return Err(ApiError::bad_request(format!(
            "MAIL FROM domain {domain} must be a subdomain of {parent}"
        )));
    }
    identity.mail_from = Some(MailFrom {
        domain,
        behavior_on_mx_failure: behavior.to_string(),
        verification: Verification::pending(now),
    });
    Ok(Reply::json(json!({})))
}

fn create_configuration_set(
    state: &mut State,
    mut body: Map<String, Value>,
) -> Result<Reply, ApiError> {
    let name = required_str(&body, "ConfigurationSetName")?.to_string();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::bad_request(format!(
            "Invalid configuration set name <{name}>: use 1 to 64 letters, digits, _ and -"
        )));
    }
    if state.configuration_sets.contains_key(&name) {
        return Err(ApiError::new(
            400,
            "AlreadyExistsException",
            format!("Configuration set <{name}> already exists."),
        ));
    }
    let tags = parse_tags(&body)?;
    body.remove("ConfigurationSetName");
    body.remove("Tags");
    state.configuration_sets.insert(
        name.clone(),
        ConfigurationSet {
            name,
            options: body,
            tags,
            event_destinations: Vec::new(),
        },
    );
    Ok(Reply::json(json!({})))
}

/// The recipient clicked the link in SES's verification mail.
pub(crate) fn confirm_address(state: &mut State, address: &str) -> bool {
    let now = state.now;
    match state.identities.get_mut(&key_of(address)) {
        Some(identity) if identity.kind == IdentityKind::EmailAddress => {
            let v = &mut identity.verification;
            v.status = Status::Success;
            v.since = now;
            v.last_checked = Some(now);
            v.last_success = Some(now);
            true
        }
        _ => false,
    }
}

/// One step of SES's checking cycle for a record that is `present` or not.
fn step(v: &mut Verification, present: bool, missing_error: &str, now: i64, window: i64) {
    v.last_checked = Some(now);
    if present {
        v.last_success = Some(now);
    }
    match (v.status, present) {
        (Status::Failed, _) => {}
        (Status::Pending | Status::NotStarted | Status::TemporaryFailure, true) => {
            v.status = Status::Success;
            v.since = now;
            v.error_type = None;
        }
        (Status::Success, true) => {}
        (Status::Success, false) => {
            v.status = Status::TemporaryFailure;
            v.since = now;
            v.error_type = Some(missing_error.to_string());
        }
        (Status::Pending | Status::NotStarted | Status::TemporaryFailure, false) => {
            v.error_type = Some(missing_error.to_string());
            if now - v.since >= window {
                v.status = Status::Failed;
                v.since = now;
            }
        }
    }
}

/// Checks every identity against the zones as they are now.
pub(crate) fn recheck_all(state: &mut State, config: &SandboxConfig) {
    let keys: Vec<String> = state.identities.keys().cloned().collect();
    for key in keys {
        recheck(state, config, &key);
    }
}

/// Looks for one identity's records now, as SES does on its own schedule: each identity's
/// verification moves by itself, so reading one need not look at every other (with 1,000
/// identities that made each `GetEmailIdentity` answer take some 85 ms).
fn recheck(state: &mut State, config: &SandboxConfig, key: &str) {
    let now = state.now;
    let window = config.timings.verification_window;
    {
        let key = key.to_string();
        let feedback_host = format!(
            "feedback-smtp.{}.amazonses.com.",
            region_of(&key, &config.region)
        );
        let Some(identity) = state.identities.get(&key) else {
            return;
        };
        let dkim_check = (identity.kind == IdentityKind::Domain).then(|| {
            // The worst of the three records decides, as before: a missing one over one of
            // the wrong type over one pointing elsewhere. As VerificationInfo documents:
            // INVALID_VALUE when the CNAME points elsewhere, TYPE_NOT_FOUND when the name has
            // other records (a TXT where the CNAME belongs), HOST_NOT_FOUND when nothing is
            // there (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_VerificationInfo.html).
            const WORST_FIRST: [&str; 3] = ["HOST_NOT_FOUND", "TYPE_NOT_FOUND", "INVALID_VALUE"];
            identity
                .dkim
                .tokens
                .iter()
                .filter_map(|token| {
                    let name = format!("{token}._domainkey.{}", identity.name);
                    let want = zones::normalize_name(&format!(
                        "{token}.{}",
                        identity.dkim.signing_hosted_zone
                    ));
                    match zones::values_at(state, &name, "CNAME") {
                        Some(values) if values.iter().any(|v| zones::normalize_name(v) == want) => {
                            None
                        }
                        Some(_) => Some("INVALID_VALUE"),
                        None if zones::name_exists(state, &name) => Some("TYPE_NOT_FOUND"),
                        None => Some("HOST_NOT_FOUND"),
                    }
                })
                .min_by_key(|e| WORST_FIRST.iter().position(|w| w == e))
        });
        let mail_from_present = identity.mail_from.as_ref().map(|m| {
            // SES looks for an MX to its feedback host; the preference is free.
            zones::values_at(state, &m.domain, "MX").is_some_and(|values| {
                values.iter().any(|v| {
                    v.split_whitespace()
                        .nth(1)
                        .is_some_and(|host| zones::normalize_name(host) == feedback_host)
                })
            })
        });
        let Some(identity) = state.identities.get_mut(&key) else {
            return;
        };
        if identity.kind == IdentityKind::EmailAddress {
            // The verification mail's link lapses after 24 hours.
            let v = &mut identity.verification;
            if v.status == Status::Pending && now - v.since >= DAY {
                v.status = Status::Failed;
                v.since = now;
            }
        }
        if let Some(error) = dkim_check {
            let present = error.is_none();
            step(
                &mut identity.verification,
                present,
                error.unwrap_or("HOST_NOT_FOUND"),
                now,
                window,
            );
        }
        if let (Some(mail_from), Some(present)) = (identity.mail_from.as_mut(), mail_from_present) {
            step(
                &mut mail_from.verification,
                present,
                "HOST_NOT_FOUND",
                now,
                window,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_cycle() {
        let window = 72 * 3600;
        let mut v = Verification::pending(0);
        step(&mut v, false, "HOST_NOT_FOUND", 10, window);
        assert_eq!(v.status, Status::Pending);
        step(&mut v, true, "HOST_NOT_FOUND", 20, window);
        assert_eq!(v.status, Status::Success);
        step(&mut v, false, "HOST_NOT_FOUND", 30, window);
        assert_eq!(v.status, Status::TemporaryFailure);
        step(&mut v, true, "HOST_NOT_FOUND", 40, window);
        assert_eq!(v.status, Status::Success);
        step(&mut v, false, "HOST_NOT_FOUND", 50, window);
        step(&mut v, false, "HOST_NOT_FOUND", 50 + window, window);
        assert_eq!(v.status, Status::Failed);
        step(&mut v, true, "HOST_NOT_FOUND", 60 + window, window);
        assert_eq!(v.status, Status::Failed);
    }

    #[test]
    fn pending_fails_after_the_window() {
        let mut v = Verification::pending(0);
        step(&mut v, false, "HOST_NOT_FOUND", 72 * 3600 - 1, 72 * 3600);
        assert_eq!(v.status, Status::Pending);
        step(&mut v, false, "HOST_NOT_FOUND", 72 * 3600, 72 * 3600);
        assert_eq!(v.status, Status::Failed);
    }

    #[test]
    fn domains_validate() {
        assert!(valid_domain("example-library.org"));
        assert!(!valid_domain("localhost"));
        assert!(!valid_domain("-bad.org"));
    }
}
