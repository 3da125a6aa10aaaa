//! SES v2 sending and event publishing: `SendEmail` (through a tenant with `TenantName`: the
//! tenant must exist, send, and hold the From identity and the configuration set), the
//! configuration set's event destinations (`Create`/`Get`/`Update`/
//! `DeleteConfigurationSetEventDestination(s)`), and Amazon's mailbox simulator.
//!
//! A message to a simulator address produces the events SES documents for it, in SES's event
//! publishing JSON (`eventType`, `mail{…}`, and `bounce`/`complaint`/`delivery`/`send`/
//! `reject`/`deliveryDelay`), published at once to every enabled SNS destination of the
//! message's configuration set whose `MatchingEventTypes` include the event:
//!
//! - `success@simulator.amazonses.com`: Send, Delivery;
//! - `bounce@…`: Send, Bounce (Permanent/General, `smtp; 550 5.1.1 user unknown`);
//! - `ooto@…`: Send, Delivery (the out-of-office reply goes to the sender, not into events);
//! - `complaint@…`: Send, Delivery, Complaint (`abuse`);
//! - `suppressionlist@…`: Send, Bounce (Permanent/OnAccountSuppressionList);
//!
//! and, for tests of the other event types, `reject@…` gives Reject (`Bad content`) and
//! `delay@…` gives DeliveryDelay (`TransientCommunicationFailure`) — the sandbox's own, as
//! the real simulator has no address for them. Any other recipient is delivered.
//!
//! The configuration set is the request's `ConfigurationSetName`, else the sending identity's
//! default, as SES chooses it. Events carry SES's automatic tags (`ses:configuration-set`,
//! `ses:from-domain`, `ses:caller-identity`) and the message's `EmailTags`.

use serde_json::{Map, Value, json};

use super::World;
use super::http::{ApiError, Reply, Req, iso_time};
use super::state::Status;

const SIMULATOR: &str = "simulator.amazonses.com";
/// The event types SES v2 accepts in `MatchingEventTypes`.
const EVENT_TYPES: [&str; 10] = [
    "SEND",
    "REJECT",
    "BOUNCE",
    "COMPLAINT",
    "DELIVERY",
    "OPEN",
    "CLICK",
    "RENDERING_FAILURE",
    "DELIVERY_DELAY",
    "SUBSCRIPTION",
];

/// The operations of this module, routed from `ses::route`.
pub(crate) fn route(method: &str, rest: &[&str]) -> Option<&'static str> {
    Some(match (method, rest) {
        ("POST", ["outbound-emails"]) => "SendEmail",
        ("POST", ["configuration-sets", _, "event-destinations"]) => {
            "CreateConfigurationSetEventDestination"
        }
        ("GET", ["configuration-sets", _, "event-destinations"]) => {
            "GetConfigurationSetEventDestinations"
        }
        ("PUT", ["configuration-sets", _, "event-destinations", _]) => {
            "UpdateConfigurationSetEventDestination"
        }
        ("DELETE", ["configuration-sets", _, "event-destinations", _]) => {
            "DeleteConfigurationSetEventDestination"
        }
        _ => return None,
    })
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(404, "NotFoundException", format!("{what} does not exist."))
}

/// Handles this module's operations; `None` for any other.
pub(crate) fn handle(
    world: &mut World,
    operation: &str,
    req: &Req,
) -> Option<Result<Reply, ApiError>> {
    let set_name = req.segments.get(3).cloned().unwrap_or_default();
    let dest_name = req.segments.get(5).cloned().unwrap_or_default();
    Some(match operation {
        "SendEmail" => req.json().and_then(|body| send_email(world, &body)),
        "CreateConfigurationSetEventDestination" => req.json().and_then(|body| {
            let name = body
                .get("EventDestinationName")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request("EventDestinationName is required"))?
                .to_string();
            let dest = destination(&name, &body)?;
            let set = set_mut(world, &set_name)?;
            if set.event_destinations.iter().any(|d| d["Name"] == name) {
                return Err(ApiError::new(
                    400,
                    "AlreadyExistsException",
                    format!("Event destination {name} already exists."),
                ));
            }
            set.event_destinations.push(dest);
            Ok(Reply::json(json!({})))
        }),
        "GetConfigurationSetEventDestinations" => set_mut(world, &set_name)
            .map(|set| Reply::json(json!({ "EventDestinations": set.event_destinations }))),
        "UpdateConfigurationSetEventDestination" => req.json().and_then(|body| {
            let dest = destination(&dest_name, &body)?;
            let set = set_mut(world, &set_name)?;
            let slot = set
                .event_destinations
                .iter_mut()
                .find(|d| d["Name"] == dest_name.as_str())
                .ok_or_else(|| not_found(&format!("Event destination {dest_name}")))?;
            *slot = dest;
            Ok(Reply::json(json!({})))
        }),
        "DeleteConfigurationSetEventDestination" => set_mut(world, &set_name).and_then(|set| {
            let before = set.event_destinations.len();
            set.event_destinations
                .retain(|d| d["Name"] != dest_name.as_str());
            if set.event_destinations.len() == before {
                return Err(not_found(&format!("Event destination {dest_name}")));
            }
            Ok(Reply::json(json!({})))
        }),
        _ => return None,
    })
}

fn set_mut<'a>(
    world: &'a mut World,
    name: &str,
) -> Result<&'a mut super::state::ConfigurationSet, ApiError> {
    world
        .state
        .configuration_sets
        .get_mut(name)
        .ok_or_else(|| not_found(&format!("Configuration set <{name}>")))
}

/// An event destination as `GetConfigurationSetEventDestinations` answers it.
fn destination(name: &str, body: &Map<String, Value>) -> Result<Value, ApiError> {
    let d = body
        .get("EventDestination")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::bad_request("EventDestination is required"))?;
    let types: Vec<String> = d
        .get("MatchingEventTypes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        return Err(ApiError::bad_request(
            "MatchingEventTypes must not be empty",
        ));
    }
    if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::bad_request(format!(
            "Invalid event type {bad}: expected one of {}",
            EVENT_TYPES.join(", ")
        )));
    }
    let mut out = json!({
        "Name": name,
        "Enabled": d.get("Enabled").and_then(Value::as_bool).unwrap_or(false),
        "MatchingEventTypes": types,
    });
    for kind in [
        "SnsDestination",
        "EventBridgeDestination",
        "CloudWatchDestination",
        "KinesisFirehoseDestination",
        "PinpointDestination",
    ] {
        if let Some(v) = d.get(kind) {
            out[kind] = v.clone();
        }
    }
    Ok(out)
}

fn send_email(world: &mut World, body: &Map<String, Value>) -> Result<Reply, ApiError> {
    let from = body
        .get("FromEmailAddress")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("FromEmailAddress is required"))?
        .to_string();
    // `Name <addr@domain>` or `addr@domain`.
    let address = from
        .rsplit_once('<')
        .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'))
        .trim()
        .to_string();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .ok_or_else(|| ApiError::bad_request(format!("Invalid FromEmailAddress {from}")))?;
    let verified =
        |name: &str| {
            world.state.identities.values().find(|i| {
                i.name.eq_ignore_ascii_case(name) && i.verification.status == Status::Success
            })
        };
    let (identity_name, identity_set) = verified(&address).or_else(|| verified(&domain)).map(|i| (i.name.clone(), i.configuration_set.clone())).ok_or_else(|| {
        ApiError::new(
            400,
            "MessageRejected",
            format!("Email address is not verified. The following identities failed the check in region {}: {address}", world.config.region),
        )
    })?;
    let recipients: Vec<String> = ["ToAddresses", "CcAddresses", "BccAddresses"]
        .iter()
        .filter_map(|k| body.get("Destination")?.get(*k)?.as_array().cloned())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if recipients.is_empty() {
        return Err(ApiError::bad_request("Destination must name a recipient"));
    }
    let set_name = body
        .get("ConfigurationSetName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(identity_set);
    if let Some(name) = &set_name
        && !world.state.configuration_sets.contains_key(name)
    {
        return Err(not_found(&format!("Configuration set <{name}>")));
    }
    // A message sent through a tenant: the tenant must exist, be allowed to send, and hold
    // every resource the message uses (SES: "the email sending operation will only succeed if
    // all referenced resources (identities, configuration sets, and templates) are associated
    // with this tenant").
    if let Some(tenant) = body.get("TenantName").and_then(Value::as_str) {
        let (region, account) = (&world.config.region, &world.config.account_id);
        let t = world
            .state
            .tenants
            .get(tenant)
            .ok_or_else(|| not_found(&format!("Tenant <{tenant}>")))?;
        if t.customer_status == "DISABLED" || t.ses_status == "DISABLED" {
            return Err(ApiError::new(
                400,
                "SendingPausedException",
                format!("Email sending is disabled for tenant {tenant}."),
            ));
        }
        let held = |arn: String| t.resources.contains(&arn);
        // The identity SES sends this mail through: the From address's own when verified,
        // else its domain's.
        let identity_held = held(format!(
            "arn:aws:ses:{region}:{account}:identity/{identity_name}"
        ));
        let set_held = set_name.as_ref().is_none_or(|set| {
            held(format!(
                "arn:aws:ses:{region}:{account}:configuration-set/{set}"
            ))
        });
        if !identity_held || !set_held {
            return Err(ApiError::bad_request(format!(
                "Not all resources used by this message are associated with tenant {tenant}."
            )));
        }
    }
    world.state.counter += 1;
    let message_id = format!(
        "0100018c{:08x}-{:08x}-0000-4000-8000-{:012x}-000000",
        world.state.now, world.state.counter, world.state.counter
    );
    let mut tags = Map::new();
    for (k, v) in [
        ("ses:from-domain", domain.clone()),
        ("ses:caller-identity", "sandbox".to_string()),
        ("ses:source-ip", "127.0.0.1".to_string()),
    ] {
        tags.insert(k.into(), json!([v]));
    }
    if let Some(name) = &set_name {
        tags.insert("ses:configuration-set".into(), json!([name]));
    }
    if let Some(Value::Array(given)) = body.get("EmailTags") {
        for tag in given {
            if let (Some(k), Some(v)) = (tag["Name"].as_str(), tag["Value"].as_str()) {
                tags.insert(k.into(), json!([v]));
            }
        }
    }
    let now = iso_time(world.state.now);
    let mail = json!({
        "timestamp": now,
        "source": from,
        "sourceArn": format!("arn:aws:ses:{}:{}:identity/{}", world.config.region, world.config.account_id, identity_name),
        "sendingAccountId": world.config.account_id,
        "messageId": message_id,
        "destination": recipients,
        "headersTruncated": false,
        "tags": tags,
    });
    let events = simulate(&mail, &recipients, &now);
    // SES's suppression lists take the hard bounces and complaints, the tenant's own when
    // the message names a tenant whose suppression scope is TENANT.
    let tenant = body.get("TenantName").and_then(Value::as_str);
    for r in &recipients {
        let why = match simulator_local(r).as_deref() {
            Some("bounce" | "suppressionlist") => "BOUNCE",
            Some("complaint") => "COMPLAINT",
            _ => continue,
        };
        super::ses_suppression::suppress(&mut world.state, tenant, r, why);
    }
    if let Some(name) = set_name {
        let topics: Vec<(Vec<String>, String)> = world
            .state
            .configuration_sets
            .get(&name)
            .map(|s| {
                s.event_destinations
                    .iter()
                    .filter(|d| d["Enabled"] == true)
                    .filter_map(|d| {
                        let types = d["MatchingEventTypes"]
                            .as_array()?
                            .iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect();
                        Some((types, d["SnsDestination"]["TopicArn"].as_str()?.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (kind, event) in &events {
            for (types, topic) in &topics {
                if types.iter().any(|t| t == kind) {
                    super::sns::publish(world, topic, &event.to_string());
                }
            }
        }
    }
    Ok(Reply::json(json!({ "MessageId": message_id })))
}

/// A mailbox simulator address's scenario (`bounce` of `bounce+7@simulator.amazonses.com`).
fn simulator_local(r: &str) -> Option<String> {
    r.strip_suffix(&format!("@{SIMULATOR}"))
        .map(|l| l.split('+').next().unwrap_or(l).to_ascii_lowercase())
}

/// The events SES publishes for one message, by `MatchingEventTypes` name.
fn simulate(mail: &Value, recipients: &[String], now: &str) -> Vec<(&'static str, Value)> {
    let event = |kind: &str, key: &str, detail: Value| {
        let mut e = json!({ "eventType": kind, "mail": mail });
        e[key] = detail;
        e
    };
    let mut events = vec![("SEND", event("Send", "send", json!({})))];
    let local = simulator_local;
    for r in recipients {
        let bounce = |sub: &str, status: &str, code: &str| {
            event(
                "Bounce",
                "bounce",
                json!({
                    "feedbackId": format!("bounce-{now}"),
                    "bounceType": "Permanent",
                    "bounceSubType": sub,
                    "bouncedRecipients": [{
                        "emailAddress": r, "action": "failed", "status": status,
                        "diagnosticCode": code,
                    }],
                    "timestamp": now,
                    "reportingMTA": "dns; sandbox.amazonses.com",
                }),
            )
        };
        let delivery = || {
            event(
                "Delivery",
                "delivery",
                json!({
                    "timestamp": now, "processingTimeMillis": 120,
                    "recipients": [r], "smtpResponse": "250 2.6.0 Message received",
                    "reportingMTA": "a8-1.smtp-out.amazonses.com",
                }),
            )
        };
        match local(r).as_deref() {
            Some("bounce") => events.push((
                "BOUNCE",
                bounce("General", "5.1.1", "smtp; 550 5.1.1 user unknown"),
            )),
            Some("suppressionlist") => events.push((
                "BOUNCE",
                bounce(
                    "OnAccountSuppressionList",
                    "5.1.1",
                    "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
                ),
            )),
            Some("complaint") => {
                events.push(("DELIVERY", delivery()));
                events.push((
                    "COMPLAINT",
                    event(
                        "Complaint",
                        "complaint",
                        json!({
                            "feedbackId": format!("complaint-{now}"),
                            "complaintFeedbackType": "abuse",
                            "complainedRecipients": [{ "emailAddress": r }],
                            "timestamp": now,
                            "userAgent": "Amazon SES Mailbox Simulator",
                        }),
                    ),
                ));
            }
            Some("reject") => events.push((
                "REJECT",
                event("Reject", "reject", json!({ "reason": "Bad content" })),
            )),
            Some("delay") => events.push((
                "DELIVERY_DELAY",
                event(
                    "DeliveryDelay",
                    "deliveryDelay",
                    json!({
                        "timestamp": now,
                        "delayType": "TransientCommunicationFailure",
                        "expirationTime": now,
                        "delayedRecipients": [{
                            "emailAddress": r, "status": "4.4.1",
                            "diagnosticCode": "smtp; 421 4.4.1 Unable to connect",
                        }],
                    }),
                ),
            )),
            _ => events.push(("DELIVERY", delivery())),
        }
    }
    events
}
