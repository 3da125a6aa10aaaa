//! Name lookup over the sandbox's zones: the hosted zones of Route 53 and the
//! external zones that stand for the libraries' own DNS providers.
//!
//! One function, [`lookup`], answers for the DNS server and for SES's
//! verification checks, so what SES "sees" is exactly what a resolver gets.

use super::state::{RecordSet, State, Zone};

/// Lower case with exactly one trailing dot: the form every stored name has.
pub(crate) fn normalize_name(name: &str) -> String {
    let trimmed = name.trim().trim_end_matches('.').to_ascii_lowercase();
    format!("{trimmed}.")
}

/// Whether `name` is `zone` or lies beneath it (both normalised).
pub(crate) fn in_zone(name: &str, zone: &str) -> bool {
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rcode {
    NoError,
    NxDomain,
    /// No zone here is authoritative for the name.
    Refused,
}

#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub rcode: Rcode,
    /// Each entry is one record: (owner name, type, ttl, value).
    pub answers: Vec<(String, String, u32, String)>,
    /// The zone's SOA, for negative answers.
    pub soa: Option<(String, u32, String)>,
}

/// The zone that answers for `name`: the most specific one; on a tie an
/// external zone wins, then the oldest hosted zone.
pub(crate) fn zone_for<'a>(state: &'a State, name: &str) -> Option<&'a Zone> {
    let mut best: Option<&Zone> = None;
    let candidates = state
        .external_zones
        .values()
        .chain(state.hosted_zones.iter().map(|h| &h.zone));
    for zone in candidates {
        if in_zone(name, &zone.name) && best.is_none_or(|b| zone.name.len() > b.name.len()) {
            best = Some(zone);
        }
    }
    best
}

fn soa_of(zone: &Zone) -> Option<(String, u32, String)> {
    zone.records
        .iter()
        .find(|r| r.rtype == "SOA" && r.name == zone.name)
        .and_then(|r| r.values.first().map(|v| (r.name.clone(), r.ttl, v.clone())))
}

fn push_all(out: &mut Vec<(String, String, u32, String)>, set: &RecordSet) {
    for v in &set.values {
        out.push((set.name.clone(), set.rtype.clone(), set.ttl, v.clone()));
    }
}

/// Answers a query the way an authoritative server does, following CNAMEs
/// that stay inside the sandbox's zones.
pub(crate) fn lookup(state: &State, qname: &str, qtype: &str) -> Answer {
    let mut name = normalize_name(qname);
    let mut answers = Vec::new();
    let mut first = true;
    for _ in 0..8 {
        let Some(zone) = zone_for(state, &name) else {
            // The sandbox stands for the whole DNS: a name under none of its zones was never
            // delegated, which the internet answers with NXDOMAIN (a plan on a fresh sandbox
            // then names a domain that does not exist, rather than a lookup failure).
            return if first {
                Answer {
                    rcode: Rcode::NxDomain,
                    answers,
                    soa: None,
                }
            } else {
                Answer {
                    rcode: Rcode::NoError,
                    answers,
                    soa: None,
                }
            };
        };
        first = false;
        let at_name: Vec<&RecordSet> = zone.records.iter().filter(|r| r.name == name).collect();
        if let Some(set) = at_name.iter().find(|r| r.rtype == qtype) {
            push_all(&mut answers, set);
            return Answer {
                rcode: Rcode::NoError,
                answers,
                soa: None,
            };
        }
        if let Some(cname) = at_name.iter().find(|r| r.rtype == "CNAME") {
            push_all(&mut answers, cname);
            match cname.values.first() {
                Some(target) => {
                    name = normalize_name(target);
                    continue;
                }
                None => break,
            }
        }
        let exists = !at_name.is_empty()
            || zone
                .records
                .iter()
                .any(|r| r.name.ends_with(&format!(".{name}")));
        let rcode = if exists || !answers.is_empty() {
            Rcode::NoError
        } else {
            Rcode::NxDomain
        };
        return Answer {
            rcode,
            answers,
            soa: soa_of(zone),
        };
    }
    Answer {
        rcode: Rcode::NoError,
        answers,
        soa: None,
    }
}

/// The values of the record set `name`/`rtype` exactly as stored, without
/// following CNAMEs: what SES's checker compares.
pub(crate) fn values_at(state: &State, name: &str, rtype: &str) -> Option<Vec<String>> {
    let name = normalize_name(name);
    let zone = zone_for(state, &name)?;
    zone.records
        .iter()
        .find(|r| r.name == name && r.rtype == rtype)
        .map(|r| r.values.clone())
}

/// Whether any record set of any type has this name.
pub(crate) fn name_exists(state: &State, name: &str) -> bool {
    let name = normalize_name(name);
    zone_for(state, &name).is_some_and(|zone| zone.records.iter().any(|r| r.name == name))
}

/// An SOA and NS pair for a new zone, in Route 53's style.
/// Zones of the internet the sandbox stands for that mail setups point at: `amazonses.com`,
/// whose SPF record every custom MAIL FROM includes (an include of a name without one is a
/// permanent SPF error, RFC 7208 §5.2).
pub(crate) fn internet_zones() -> std::collections::BTreeMap<String, Zone> {
    let name = "amazonses.com.".to_string();
    let mut records = apex_records(&name, &["ns1.amazonses.com".into()]);
    records.push(RecordSet {
        name: name.clone(),
        rtype: "TXT".into(),
        ttl: 300,
        values: vec![
            "\"v=spf1 ip4:199.255.192.0/22 ip4:199.127.232.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20 ip4:23.249.208.0/20 ip4:23.251.224.0/19 ip4:76.223.176.0/20 ip4:54.240.64.0/19 ip4:54.240.96.0/19 ip4:76.223.128.0/19 -all\"".into(),
        ],
    });
    [(name.clone(), Zone { name, records })]
        .into_iter()
        .collect()
}

pub(crate) fn apex_records(zone: &str, name_servers: &[String]) -> Vec<RecordSet> {
    let primary = name_servers
        .first()
        .cloned()
        .unwrap_or_else(|| format!("ns1.{zone}"));
    vec![
        RecordSet {
            name: zone.to_string(),
            rtype: "NS".into(),
            ttl: 172_800,
            values: name_servers.iter().map(|n| normalize_name(n)).collect(),
        },
        RecordSet {
            name: zone.to_string(),
            rtype: "SOA".into(),
            ttl: 900,
            values: vec![format!(
                "{} hostmaster.{zone} 1 7200 900 1209600 86400",
                normalize_name(&primary)
            )],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(records: Vec<RecordSet>) -> State {
        let mut state = State::new(0);
        let mut all = apex_records("example.org.", &["ns1.example.org".into()]);
        all.extend(records);
        state.external_zones.insert(
            "example.org.".into(),
            Zone {
                name: "example.org.".into(),
                records: all,
            },
        );
        state
    }

    fn rs(name: &str, rtype: &str, value: &str) -> RecordSet {
        RecordSet {
            name: name.into(),
            rtype: rtype.into(),
            ttl: 300,
            values: vec![value.into()],
        }
    }

    #[test]
    fn missing_name_is_nxdomain_and_empty_type_is_nodata() {
        let state = state_with(vec![rs("a.b.example.org.", "TXT", "\"x\"")]);
        assert_eq!(
            lookup(&state, "nope.example.org", "A").rcode,
            Rcode::NxDomain
        );
        let empty_non_terminal = lookup(&state, "b.example.org", "A");
        assert_eq!(empty_non_terminal.rcode, Rcode::NoError);
        assert!(empty_non_terminal.answers.is_empty());
        assert!(empty_non_terminal.soa.is_some());
        assert_eq!(lookup(&state, "a.b.example.org", "A").rcode, Rcode::NoError);
        assert_eq!(lookup(&state, "other.test", "A").rcode, Rcode::NxDomain);
    }

    #[test]
    fn cname_is_followed_inside_the_zones() {
        let state = state_with(vec![
            rs("www.example.org.", "CNAME", "host.example.org."),
            rs("host.example.org.", "A", "192.0.2.1"),
        ]);
        let answer = lookup(&state, "WWW.example.org.", "A");
        assert_eq!(answer.answers.len(), 2);
        assert_eq!(answer.answers[1].3, "192.0.2.1");
        let cname = lookup(&state, "www.example.org.", "CNAME");
        assert_eq!(cname.answers.len(), 1);
    }
}
