//! Route 53 (REST-XML, `/2013-04-01/...`): hosted zones, record sets with
//! AWS's change rules, and changes.
//!
//! The rules are the ones moto does not keep: CREATE of an existing set
//! fails, DELETE must match the set exactly, one change per set per batch,
//! TXT values must be quoted, and a batch is applied whole or not at all.

use std::cmp::Ordering;
use std::fmt::Write as _;

use super::http::{ApiError, Reply, Req, iso_time, xml_escape};
use super::state::{Change, HostedZone, RecordSet, State, Zone};
use super::{World, dns, ses, zones};

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const TYPES: [&str; 7] = ["A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT"];

pub(crate) fn route(req: &Req) -> Option<&'static str> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let rest = segs.strip_prefix(&["2013-04-01"])?;
    Some(match (req.method.as_str(), rest) {
        ("POST", ["hostedzone"]) => "CreateHostedZone",
        ("GET", ["hostedzone"]) => "ListHostedZones",
        ("GET", ["hostedzone", _]) => "GetHostedZone",
        ("DELETE", ["hostedzone", _]) => "DeleteHostedZone",
        ("POST", ["hostedzone", _, "rrset"]) => "ChangeResourceRecordSets",
        ("GET", ["hostedzone", _, "rrset"]) => "ListResourceRecordSets",
        ("GET", ["hostedzonesbyname"]) => "ListHostedZonesByName",
        ("GET", ["hostedzonecount"]) => "GetHostedZoneCount",
        ("GET", ["change", _]) => "GetChange",
        ("GET", ["tags", "hostedzone", _]) => "ListTagsForResource",
        _ => return None,
    })
}

fn invalid_input(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidInput", message)
}

fn invalid_batch(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidChangeBatch", message)
}

fn no_such_zone(id: &str) -> ApiError {
    ApiError::new(
        404,
        "NoSuchHostedZone",
        format!("No hosted zone found with ID: {id}"),
    )
}

/// The id in a path segment, with or without its `/hostedzone/` prefix.
fn bare_id(segment: &str) -> String {
    segment
        .trim_start_matches("/hostedzone/")
        .trim_start_matches("/change/")
        .to_string()
}

pub(crate) fn handle(world: &mut World, operation: &str, req: &Req) -> Result<Reply, ApiError> {
    let World { state, config, .. } = world;
    let path_id = || req.segments.get(2).map(|s| bare_id(s)).unwrap_or_default();
    match operation {
        "CreateHostedZone" => {
            let doc = parse(&req.body)?;
            let root = doc.root_element();
            let name = child_text(root, "Name").ok_or_else(|| invalid_input("Name is required"))?;
            let caller_reference = child_text(root, "CallerReference")
                .ok_or_else(|| invalid_input("CallerReference is required"))?;
            let config_node = root.children().find(|n| n.has_tag_name("HostedZoneConfig"));
            let comment = config_node.and_then(|c| child_text(c, "Comment"));
            let private = config_node
                .and_then(|c| child_text(c, "PrivateZone"))
                .is_some_and(|p| p == "true");
            if private || root.children().any(|n| n.has_tag_name("VPC")) {
                return Err(invalid_input("the sandbox serves public hosted zones only"));
            }
            if state
                .hosted_zones
                .iter()
                .any(|h| h.caller_reference == caller_reference)
            {
                return Err(ApiError::new(
                    409,
                    "HostedZoneAlreadyExists",
                    format!(
                        "A hosted zone has already been created with the specified caller reference {caller_reference}"
                    ),
                ));
            }
            if !ses::valid_domain(&name) {
                return Err(ApiError::new(
                    400,
                    "InvalidDomainName",
                    format!("{name} is not a valid domain name"),
                ));
            }
            let id = create_zone(state, &name, &caller_reference, comment);
            let change = new_change(state, None);
            let zone = find(state, &id)?;
            let body = format!(
                "<CreateHostedZoneResponse xmlns=\"{NS}\">{}{}{}</CreateHostedZoneResponse>",
                zone_xml(zone),
                change_xml(&change, "PENDING"),
                delegation_xml(zone)
            );
            let mut reply = Reply::xml(201, body);
            reply.headers.push((
                "Location",
                format!("https://route53.amazonaws.com/2013-04-01/hostedzone/{id}"),
            ));
            Ok(reply)
        }
        "GetHostedZone" => {
            let zone = find(state, &path_id())?;
            Ok(Reply::xml(
                200,
                format!(
                    "<GetHostedZoneResponse xmlns=\"{NS}\">{}{}</GetHostedZoneResponse>",
                    zone_xml(zone),
                    delegation_xml(zone)
                ),
            ))
        }
        // The sandbox keeps no tags on hosted zones: every zone answers an empty set.
        "ListTagsForResource" => {
            let id = req.segments.get(3).map(|s| bare_id(s)).unwrap_or_default();
            find(state, &id)?;
            Ok(Reply::xml(
                200,
                format!(
                    "<ListTagsForResourceResponse xmlns=\"{NS}\"><ResourceTagSet>\
                     <ResourceType>hostedzone</ResourceType><ResourceId>{}</ResourceId>\
                     <Tags></Tags></ResourceTagSet></ListTagsForResourceResponse>",
                    super::http::xml_escape(&id)
                ),
            ))
        }
        "GetHostedZoneCount" => Ok(Reply::xml(
            200,
            format!(
                "<GetHostedZoneCountResponse xmlns=\"{NS}\"><HostedZoneCount>{}</HostedZoneCount></GetHostedZoneCountResponse>",
                state.hosted_zones.len()
            ),
        )),
        "ListHostedZones" => {
            let max = max_items(req, 100)?;
            let mut all: Vec<&HostedZone> = state.hosted_zones.iter().collect();
            all.sort_by(|a, b| a.id.cmp(&b.id));
            let marker = req.query("marker").unwrap_or("");
            let start = if marker.is_empty() {
                0
            } else {
                all.iter()
                    .position(|h| h.id == marker)
                    .ok_or_else(|| invalid_input(format!("invalid marker {marker}")))?
            };
            let page: Vec<&HostedZone> = all.iter().skip(start).take(max).copied().collect();
            let next = all.get(start + max);
            let mut body = format!("<ListHostedZonesResponse xmlns=\"{NS}\"><HostedZones>");
            for zone in &page {
                body.push_str(&zone_xml(zone));
            }
            let _ = write!(
                body,
                "</HostedZones><Marker>{}</Marker><IsTruncated>{}</IsTruncated>",
                xml_escape(marker),
                next.is_some()
            );
            if let Some(next) = next {
                let _ = write!(body, "<NextMarker>{}</NextMarker>", next.id);
            }
            let _ = write!(body, "<MaxItems>{max}</MaxItems></ListHostedZonesResponse>");
            Ok(Reply::xml(200, body))
        }
        "ListHostedZonesByName" => {
            let max = max_items(req, 100)?;
            let mut all: Vec<&HostedZone> = state.hosted_zones.iter().collect();
            all.sort_by(|a, b| by_name(&a.zone.name, &b.zone.name).then(a.id.cmp(&b.id)));
            let dns_name = req.query("dnsname").map(zones::normalize_name);
            let zone_id = req.query("hostedzoneid").map(bare_id);
            if zone_id.is_some() && dns_name.is_none() {
                return Err(invalid_input("hostedzoneid needs dnsname"));
            }
            let start = match &dns_name {
                None => 0,
                Some(name) => all
                    .iter()
                    .position(|h| {
                        let order = by_name(&h.zone.name, name);
                        order == Ordering::Greater
                            || (order == Ordering::Equal
                                && zone_id.as_ref().is_none_or(|id| h.id >= *id))
                    })
                    .unwrap_or(all.len()),
            };
            let page: Vec<&HostedZone> = all.iter().skip(start).take(max).copied().collect();
            let next = all.get(start + max);
            let mut body = format!("<ListHostedZonesByNameResponse xmlns=\"{NS}\"><HostedZones>");
            for zone in &page {
                body.push_str(&zone_xml(zone));
            }
            body.push_str("</HostedZones>");
            if let Some(name) = &dns_name {
                let _ = write!(body, "<DNSName>{}</DNSName>", xml_escape(name));
            }
            if let Some(id) = &zone_id {
                let _ = write!(body, "<HostedZoneId>{}</HostedZoneId>", xml_escape(id));
            }
            let _ = write!(body, "<IsTruncated>{}</IsTruncated>", next.is_some());
            if let Some(next) = next {
                let _ = write!(
                    body,
                    "<NextDNSName>{}</NextDNSName><NextHostedZoneId>{}</NextHostedZoneId>",
                    xml_escape(&next.zone.name),
                    next.id
                );
            }
            let _ = write!(
                body,
                "<MaxItems>{max}</MaxItems></ListHostedZonesByNameResponse>"
            );
            Ok(Reply::xml(200, body))
        }
        "DeleteHostedZone" => {
            let id = path_id();
            let zone = find(state, &id)?;
            let apex = &zone.zone.name;
            if zone
                .zone
                .records
                .iter()
                .any(|r| !(r.name == *apex && (r.rtype == "SOA" || r.rtype == "NS")))
            {
                return Err(ApiError::new(
                    400,
                    "HostedZoneNotEmpty",
                    "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
                ));
            }
            state.hosted_zones.retain(|h| h.id != id);
            let change = new_change(state, None);
            Ok(Reply::xml(
                200,
                format!(
                    "<DeleteHostedZoneResponse xmlns=\"{NS}\">{}</DeleteHostedZoneResponse>",
                    change_xml(&change, "PENDING")
                ),
            ))
        }
        "ChangeResourceRecordSets" => {
            let id = path_id();
            let doc = parse(&req.body)?;
            let batch = doc
                .descendants()
                .find(|n| n.has_tag_name("ChangeBatch"))
                .ok_or_else(|| invalid_input("ChangeBatch is required"))?;
            let comment = child_text(batch, "Comment");
            let changes = parse_changes(batch)?;
            let zone = find_mut(state, &id)?;
            apply_changes(&mut zone.zone, &changes)?;
            let change = new_change(state, comment);
            Ok(Reply::xml(
                200,
                format!(
                    "<ChangeResourceRecordSetsResponse xmlns=\"{NS}\">{}</ChangeResourceRecordSetsResponse>",
                    change_xml(&change, "PENDING")
                ),
            ))
        }
        "ListResourceRecordSets" => {
            let zone = &find(state, &path_id())?.zone;
            let max = max_items(req, 300)?;
            let start_name = req.query("name").map(zones::normalize_name);
            let start_type = req.query("type").map(str::to_ascii_uppercase);
            if start_type.is_some() && start_name.is_none() {
                return Err(invalid_input("type needs name"));
            }
            let mut all: Vec<&RecordSet> = zone.records.iter().collect();
            all.sort_by(|a, b| by_name(&a.name, &b.name).then(a.rtype.cmp(&b.rtype)));
            let start = match &start_name {
                None => 0,
                Some(name) => all
                    .iter()
                    .position(|r| {
                        let order = by_name(&r.name, name);
                        order == Ordering::Greater
                            || (order == Ordering::Equal
                                && start_type.as_ref().is_none_or(|t| r.rtype >= *t))
                    })
                    .unwrap_or(all.len()),
            };
            let page: Vec<&RecordSet> = all.iter().skip(start).take(max).copied().collect();
            let next = all.get(start + max);
            let mut body =
                format!("<ListResourceRecordSetsResponse xmlns=\"{NS}\"><ResourceRecordSets>");
            for set in page {
                body.push_str(&record_set_xml(set));
            }
            let _ = write!(
                body,
                "</ResourceRecordSets><IsTruncated>{}</IsTruncated>",
                next.is_some()
            );
            if let Some(next) = next {
                let _ = write!(
                    body,
                    "<NextRecordName>{}</NextRecordName><NextRecordType>{}</NextRecordType>",
                    xml_escape(&next.name),
                    next.rtype
                );
            }
            let _ = write!(
                body,
                "<MaxItems>{max}</MaxItems></ListResourceRecordSetsResponse>"
            );
            Ok(Reply::xml(200, body))
        }
        "GetChange" => {
            let id = path_id();
            let change = state.changes.get(&id).ok_or_else(|| {
                ApiError::new(
                    404,
                    "NoSuchChange",
                    format!("A change with the specified change ID does not exist: {id}"),
                )
            })?;
            let status = if state.now >= change.submitted_at + config.timings.change_propagation {
                "INSYNC"
            } else {
                "PENDING"
            };
            Ok(Reply::xml(
                200,
                format!(
                    "<GetChangeResponse xmlns=\"{NS}\">{}</GetChangeResponse>",
                    change_xml(change, status)
                ),
            ))
        }
        _ => Err(invalid_input(format!("unknown operation {operation}"))),
    }
}

const NS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

fn parse(body: &[u8]) -> Result<roxmltree::Document<'_>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| invalid_input("the body is not UTF-8"))?;
    roxmltree::Document::parse(text).map_err(|e| invalid_input(format!("malformed XML: {e}")))
}

fn child_text(node: roxmltree::Node<'_, '_>, tag: &str) -> Option<String> {
    node.children()
        .find(|n| n.has_tag_name(tag))
        .map(|n| n.text().unwrap_or("").trim().to_string())
}

fn max_items(req: &Req, default: usize) -> Result<usize, ApiError> {
    match req.query("maxitems") {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n.min(default)),
            _ => Err(invalid_input(format!("invalid maxitems {text}"))),
        },
    }
}

/// Route 53's order: names compared label by label from the right.
fn by_name(a: &str, b: &str) -> Ordering {
    let rev = |s: &str| -> Vec<String> {
        s.trim_end_matches('.')
            .rsplit('.')
            .map(str::to_string)
            .collect()
    };
    rev(a).cmp(&rev(b))
}

fn find<'a>(state: &'a State, id: &str) -> Result<&'a HostedZone, ApiError> {
    state
        .hosted_zones
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(|| no_such_zone(id))
}

fn find_mut<'a>(state: &'a mut State, id: &str) -> Result<&'a mut HostedZone, ApiError> {
    state
        .hosted_zones
        .iter_mut()
        .find(|h| h.id == id)
        .ok_or_else(|| no_such_zone(id))
}

/// Creates a public hosted zone with its NS and SOA sets; answers its id.
pub(crate) fn create_zone(
    state: &mut State,
    name: &str,
    caller_reference: &str,
    comment: Option<String>,
) -> String {
    let id = format!("Z{}", state.random_string(ID_ALPHABET, 20));
    let name = zones::normalize_name(name);
    let tlds = ["com", "net", "org", "co.uk"];
    let name_servers: Vec<String> = tlds
        .iter()
        .map(|tld| {
            let n = state.next_random() % 2048;
            format!("ns-{n}.awsdns-{:02}.{tld}", n % 64)
        })
        .collect();
    let records = zones::apex_records(&name, &name_servers);
    state.hosted_zones.push(HostedZone {
        id: id.clone(),
        caller_reference: caller_reference.to_string(),
        comment,
        private: false,
        name_servers,
        zone: Zone { name, records },
    });
    id
}

fn new_change(state: &mut State, comment: Option<String>) -> Change {
    let id = format!("C{}", state.random_string(ID_ALPHABET, 20));
    let change = Change {
        id: id.clone(),
        submitted_at: state.now,
        comment,
    };
    state.changes.insert(id, change.clone());
    change
}

fn zone_xml(zone: &HostedZone) -> String {
    let comment = zone
        .comment
        .as_ref()
        .map(|c| format!("<Comment>{}</Comment>", xml_escape(c)))
        .unwrap_or_default();
    format!(
        "<HostedZone><Id>/hostedzone/{}</Id><Name>{}</Name><CallerReference>{}</CallerReference><Config>{comment}<PrivateZone>{}</PrivateZone></Config><ResourceRecordSetCount>{}</ResourceRecordSetCount></HostedZone>",
        zone.id,
        xml_escape(&zone.zone.name),
        xml_escape(&zone.caller_reference),
        zone.private,
        zone.zone.records.len()
    )
}

fn delegation_xml(zone: &HostedZone) -> String {
    let servers: String = zone
        .name_servers
        .iter()
        .map(|n| format!("<NameServer>{n}</NameServer>"))
        .collect();
    format!("<DelegationSet><NameServers>{servers}</NameServers></DelegationSet>")
}

fn change_xml(change: &Change, status: &str) -> String {
    let comment = change
        .comment
        .as_ref()
        .map(|c| format!("<Comment>{}</Comment>", xml_escape(c)))
        .unwrap_or_default();
    format!(
        "<ChangeInfo><Id>/change/{}</Id><Status>{status}</Status><SubmittedAt>{}</SubmittedAt>{comment}</ChangeInfo>",
        change.id,
        iso_time(change.submitted_at)
    )
}

fn record_set_xml(set: &RecordSet) -> String {
    let values: String = set
        .values
        .iter()
        .map(|v| {
            format!(
                "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                xml_escape(v)
            )
        })
        .collect();
    format!(
        "<ResourceRecordSet><Name>{}</Name><Type>{}</Type><TTL>{}</TTL><ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>",
        xml_escape(&set.name),
        set.rtype,
        set.ttl
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Delete,
    Upsert,
}

#[derive(Debug)]
struct ChangeRequest {
    action: Action,
    set: RecordSet,
}

fn parse_changes(batch: roxmltree::Node<'_, '_>) -> Result<Vec<ChangeRequest>, ApiError> {
    let changes: Vec<_> = batch
        .descendants()
        .filter(|n| n.has_tag_name("Change"))
        .collect();
    if changes.is_empty() {
        return Err(invalid_input(
            "ChangeBatch must contain at least one change",
        ));
    }
    changes
        .into_iter()
        .map(|change| {
            let action = match child_text(change, "Action").as_deref() {
                Some("CREATE") => Action::Create,
                Some("DELETE") => Action::Delete,
                Some("UPSERT") => Action::Upsert,
                other => {
                    return Err(invalid_input(format!(
                        "Invalid Action: {}",
                        other.unwrap_or("(none)")
                    )));
                }
            };
            let set = change
                .children()
                .find(|n| n.has_tag_name("ResourceRecordSet"))
                .ok_or_else(|| invalid_input("ResourceRecordSet is required"))?;
            if ["SetIdentifier", "AliasTarget", "TrafficPolicyInstanceId"]
                .iter()
                .any(|t| set.children().any(|n| n.has_tag_name(*t)))
            {
                return Err(invalid_input(
                    "the sandbox simulates simple routing only (no alias, weighted or other policies)",
                ));
            }
            let name = child_text(set, "Name").ok_or_else(|| invalid_input("Name is required"))?;
            let rtype = child_text(set, "Type").ok_or_else(|| invalid_input("Type is required"))?;
            let ttl = child_text(set, "TTL");
            let values: Vec<String> = set
                .descendants()
                .filter(|n| n.has_tag_name("Value"))
                .map(|n| n.text().unwrap_or("").to_string())
                .collect();
            let (Some(ttl), false) = (ttl, values.is_empty()) else {
                return Err(invalid_input(format!(
                    "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action={}, Name={name}, Type={rtype}, SetIdentifier=null]",
                    child_text(change, "Action").unwrap_or_default()
                )));
            };
            let ttl = ttl
                .parse::<u32>()
                .ok()
                .filter(|t| *t <= i32::MAX as u32)
                .ok_or_else(|| invalid_input(format!("Invalid TTL: {ttl}")))?;
            if !TYPES.contains(&rtype.as_str()) {
                return Err(invalid_input(format!(
                    "the sandbox serves {} records, not {rtype}",
                    TYPES.join(", ")
                )));
            }
            Ok(ChangeRequest {
                action,
                set: RecordSet {
                    name: zones::normalize_name(&name),
                    rtype,
                    ttl,
                    values,
                },
            })
        })
        .collect()
}

/// What two values must share to be "the same" for a DELETE.
fn value_key(rtype: &str, value: &str) -> String {
    match rtype {
        "CNAME" | "NS" => zones::normalize_name(value),
        "MX" => value
            .split_whitespace()
            .map(zones::normalize_name)
            .collect::<Vec<_>>()
            .join(" "),
        "TXT" => value.trim().to_string(),
        _ => value.trim().to_ascii_lowercase(),
    }
}

fn same_set(a: &RecordSet, b: &RecordSet) -> bool {
    let keys = |s: &RecordSet| {
        let mut k: Vec<String> = s.values.iter().map(|v| value_key(&s.rtype, v)).collect();
        k.sort();
        k
    };
    a.ttl == b.ttl && keys(a) == keys(b)
}

fn check_values(zone: &str, set: &RecordSet) -> Result<(), String> {
    if !zones::in_zone(&set.name, zone) {
        return Err(format!(
            "RRSet with DNS name {} is not permitted in zone {zone}",
            set.name
        ));
    }
    if set.rtype == "CNAME" && set.name == zone {
        return Err(format!(
            "RRSet of type CNAME with DNS name {} is not permitted at apex in zone {zone}",
            set.name
        ));
    }
    if (set.rtype == "CNAME" || set.rtype == "SOA") && set.values.len() > 1 {
        return Err(format!(
            "RRSet of type {} with DNS name {} must have exactly one value",
            set.rtype, set.name
        ));
    }
    for value in &set.values {
        if set.rtype == "TXT"
            && !(value.starts_with('"') && value.ends_with('"') && value.len() >= 2)
        {
            return Err(format!(
                "Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '{value}''"
            ));
        }
        if dns::check_value(&set.rtype, value).is_err()
            || (set.rtype == "TXT" && dns::txt_strings(value).is_none())
        {
            return Err(format!(
                "Invalid Resource Record: 'FATAL problem: the {} value is malformed' encountered with '{value}'",
                set.rtype
            ));
        }
    }
    Ok(())
}

/// Applies a batch all or nothing, refusing what Route 53 refuses.
fn apply_changes(zone: &mut Zone, changes: &[ChangeRequest]) -> Result<(), ApiError> {
    let mut messages = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut records = zone.records.clone();
    let describe = |s: &RecordSet| format!("[name='{}', type='{}']", s.name, s.rtype);
    for change in changes {
        let set = &change.set;
        let key = (set.name.clone(), set.rtype.clone());
        if seen.contains(&key) {
            messages.push(format!(
                "The request contains an invalid set of changes for a resource record set '{} {}'",
                set.rtype, set.name
            ));
            continue;
        }
        seen.push(key);
        if let Err(message) = check_values(&zone.name, set) {
            messages.push(message);
            continue;
        }
        let at_apex_required = set.name == zone.name && (set.rtype == "SOA" || set.rtype == "NS");
        let existing = records
            .iter()
            .position(|r| r.name == set.name && r.rtype == set.rtype);
        match change.action {
            Action::Create | Action::Upsert => {
                if change.action == Action::Create && existing.is_some() {
                    messages.push(format!(
                        "Tried to create resource record set {} but it already exists",
                        describe(set)
                    ));
                    continue;
                }
                let conflicts = records.iter().any(|r| {
                    r.name == set.name
                        && r.rtype != set.rtype
                        && (r.rtype == "CNAME" || set.rtype == "CNAME")
                });
                if conflicts {
                    messages.push(format!(
                        "RRSet of type CNAME with DNS name {} is not permitted as it conflicts with other records with the same DNS name in zone {}",
                        set.name, zone.name
                    ));
                    continue;
                }
                if change.action == Action::Create && at_apex_required {
                    messages.push(format!(
                        "A HostedZone must contain exactly one {} record set at its apex.",
                        set.rtype
                    ));
                    continue;
                }
                match existing {
                    Some(i) => records[i] = set.clone(),
                    None => records.push(set.clone()),
                }
            }
            Action::Delete => match existing {
                None => messages.push(format!(
                    "Tried to delete resource record set {} but it was not found",
                    describe(set)
                )),
                Some(i) if !same_set(&records[i], set) => messages.push(format!(
                    "Tried to delete resource record set {} but the values provided do not match the current values",
                    describe(set)
                )),
                Some(_) if at_apex_required => messages.push(if set.rtype == "SOA" {
                    "A HostedZone must contain exactly one SOA record.".to_string()
                } else {
                    "A HostedZone must contain at least one NS record for the zone itself."
                        .to_string()
                }),
                Some(i) => {
                    records.remove(i);
                }
            },
        }
    }
    // Route 53 sends its messages as a list, also a single one:
    // `[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]`
    // (AWS's answers as quoted in https://github.com/kubernetes-sigs/external-dns/issues/5939).
    if messages.is_empty() {
        zone.records = records;
        return Ok(());
    }
    Err(invalid_batch(format!("[{}]", messages.join(", "))))
}

/// Route 53's record-set condition keys of a `ChangeResourceRecordSets` body, as IAM sees them
/// (`route53:ChangeResourceRecordSetsActions`, `…RecordTypes`, `…NormalizedRecordNames`, one
/// value per change). An unreadable body yields no keys: a policy conditioned on them refuses it.
pub(crate) fn condition_keys(body: &[u8]) -> Vec<(String, Vec<String>)> {
    let Ok(doc) = parse(body) else {
        return Vec::new();
    };
    let (mut actions, mut types, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for change in doc.descendants().filter(|n| n.has_tag_name("Change")) {
        actions.extend(child_text(change, "Action"));
        if let Some(set) = change
            .children()
            .find(|n| n.has_tag_name("ResourceRecordSet"))
        {
            types.extend(child_text(set, "Type").map(|t| t.to_ascii_uppercase()));
            names.extend(child_text(set, "Name").map(|n| super::iam::normalized_record_name(&n)));
        }
    }
    vec![
        ("route53:ChangeResourceRecordSetsActions".into(), actions),
        ("route53:ChangeResourceRecordSetsRecordTypes".into(), types),
        (
            "route53:ChangeResourceRecordSetsNormalizedRecordNames".into(),
            names,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone {
            name: "example.org.".into(),
            records: zones::apex_records("example.org.", &["ns-1.awsdns-01.com".into()]),
        }
    }

    fn change(action: Action, name: &str, rtype: &str, values: &[&str]) -> ChangeRequest {
        ChangeRequest {
            action,
            set: RecordSet {
                name: name.into(),
                rtype: rtype.into(),
                ttl: 300,
                values: values.iter().map(|v| v.to_string()).collect(),
            },
        }
    }

    #[test]
    fn a_refused_batch_changes_nothing() {
        let mut z = zone();
        let before = z.records.clone();
        let err = apply_changes(
            &mut z,
            &[
                change(Action::Create, "a.example.org.", "A", &["192.0.2.1"]),
                change(Action::Delete, "b.example.org.", "A", &["192.0.2.2"]),
            ],
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidChangeBatch");
        assert!(
            err.message.contains("but it was not found"),
            "{}",
            err.message
        );
        assert_eq!(z.records, before);
    }

    #[test]
    fn cname_conflicts_and_apex_rules() {
        let mut z = zone();
        apply_changes(
            &mut z,
            &[change(
                Action::Create,
                "w.example.org.",
                "A",
                &["192.0.2.1"],
            )],
        )
        .unwrap();
        let err = apply_changes(
            &mut z,
            &[change(
                Action::Create,
                "w.example.org.",
                "CNAME",
                &["x.org."],
            )],
        )
        .unwrap_err();
        assert!(err.message.contains("conflicts"), "{}", err.message);
        let err = apply_changes(
            &mut z,
            &[change(Action::Create, "example.org.", "CNAME", &["x.org."])],
        )
        .unwrap_err();
        assert!(err.message.contains("apex"), "{}", err.message);
        let soa = z.records.iter().find(|r| r.rtype == "SOA").unwrap().clone();
        let err = apply_changes(
            &mut z,
            &[ChangeRequest {
                action: Action::Delete,
                set: soa,
            }],
        )
        .unwrap_err();
        assert!(err.message.contains("SOA"), "{}", err.message);
    }

    #[test]
    fn names_sort_from_the_right() {
        assert_eq!(
            by_name("b.example.org.", "a.example.org."),
            Ordering::Greater
        );
        assert_eq!(by_name("example.org.", "a.example.org."), Ordering::Less);
        assert_eq!(by_name("z.example.com.", "a.example.org."), Ordering::Less);
    }
}
