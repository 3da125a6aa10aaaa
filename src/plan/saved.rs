//! A saved plan (`mailform plan --out PLANFILE`): the plan, plus the hash of every library
//! file and a fingerprint of every live fact it was made from, so `apply PLANFILE` can refuse
//! a plan whose inputs have changed since, naming what changed. Pure apart from nothing: the
//! caller reads files and gathers facts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use crate::live::snapshot::LiveSnapshotV1;

/// Version of the plan file format.
pub const PLAN_FILE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    pub version: u32,
    /// When the live state was read (the snapshot's `taken_at`).
    pub live_taken_at: String,
    /// `--target`s, or `None` for all libraries.
    pub targets: Option<Vec<String>>,
    /// SHA-256 of each library file, by path.
    pub files: BTreeMap<String, String>,
    /// SHA-256 of each live fact the plan used, by a stable key (`ses.identity/<name>`, …).
    pub facts: BTreeMap<String, String>,
    /// For each library with changes, the keys of `files` and `facts` its changes depend on
    /// (see [`dependencies`]): only a move in one of those makes the plan stale. Empty in plan
    /// files from before it existed, which any move makes stale.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends: BTreeMap<String, Vec<String>>,
    pub plan: Plan,
}

/// The files and live facts each library's changes depend on: its own file and the platform
/// file; the SES account and configuration sets; and, for every domain it touches (its SES
/// identity, managed domain, MAIL FROM, and every name its changes carry), that domain's
/// identity, registration, operations, availability, TLD price and hosted zone; and its DNS
/// and probe verdicts. A fact of another library moving does not touch these changes.
pub fn dependencies(
    config: &crate::model::Config,
    plan: &Plan,
    files: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    use crate::model::DeliveryMethod;
    let stem = |path: &str| {
        std::path::Path::new(path)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut out = BTreeMap::new();
    for l in plan
        .libraries
        .iter()
        .filter(|l| !l.changes.is_empty() || !l.deletions.is_empty())
    {
        let mut keys: Vec<String> = files
            .keys()
            .filter(|path| {
                let s = stem(path);
                s == l.library || s == crate::schema::PLATFORM_STEM
            })
            .cloned()
            .collect();
        keys.extend([
            "ses.account".to_string(),
            "ses.configuration-sets".to_string(),
            "ses.events-set".to_string(),
        ]);
        let mut domains: Vec<String> = l
            .changes
            .iter()
            .chain(&l.deletions)
            .map(|c| {
                // A record's name is `NAME TYPE` (`tok._domainkey.example.org CNAME`): its
                // domain is what follows `_domainkey.`.
                let name = c.name.split_whitespace().next().unwrap_or_default();
                name.rsplit_once("_domainkey.")
                    .map_or(name, |(_, d)| d)
                    .to_string()
            })
            .collect();
        if let Some(library) = config.libraries.iter().find(|c| c.id.as_str() == l.library) {
            match &library.method {
                DeliveryMethod::SesDomain(m) => {
                    domains.push(m.from.domain().to_string());
                    domains.extend(m.mail_from.iter().map(|d| d.to_string()));
                }
                DeliveryMethod::ManagedDomain(m) => domains.push(m.domain.to_string()),
                DeliveryMethod::SmtpAccount(_) => {}
            }
        }
        domains.sort();
        domains.dedup();
        for d in &domains {
            for kind in [
                "ses.identity",
                "registrar.domain",
                "registrar.operations",
                "registrar.availability",
                "route53.zone",
            ] {
                keys.push(format!("{kind}/{d}"));
            }
            if let Some(tld) = d.rsplit('.').next() {
                keys.push(format!("registrar.price/{tld}"));
            }
        }
        keys.push(format!("library/{}/dns", l.library));
        keys.push(format!("library/{}/probe", l.library));
        keys.sort();
        keys.dedup();
        out.insert(l.library.clone(), keys);
    }
    out
}

/// Hex SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hash_of<T: Serialize>(value: &T) -> String {
    sha256(serde_json::to_string(value).unwrap_or_default().as_bytes())
}

/// A fingerprint of every live fact in a snapshot, by stable key. Times of reading are left
/// out (a probe's `taken_at`, the snapshot's), so only a change in the world changes a print.
pub fn fingerprints(live: &LiveSnapshotV1) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("ses.account".to_string(), hash_of(&live.ses.account));
    out.insert(
        "ses.configuration-sets".to_string(),
        hash_of(&live.ses.configuration_sets),
    );
    // The platform's events set and its destinations: whether an identity's default set is
    // made by this plan, and what the platform's own changes are.
    out.insert("ses.events-set".to_string(), hash_of(&live.ses.events_set));
    for i in &live.ses.identities {
        out.insert(format!("ses.identity/{}", i.name), hash_of(i));
    }
    for d in &live.registrar.domains {
        out.insert(format!("registrar.domain/{}", d.name), hash_of(d));
    }
    let mut operations: BTreeMap<String, Vec<&crate::live::snapshot::OperationV1>> =
        BTreeMap::new();
    for o in &live.registrar.operations {
        operations
            .entry(o.domain.clone().unwrap_or_default())
            .or_default()
            .push(o);
    }
    for (domain, ops) in operations {
        out.insert(format!("registrar.operations/{domain}"), hash_of(&ops));
    }
    for a in &live.registrar.availability {
        out.insert(format!("registrar.availability/{}", a.domain), hash_of(a));
    }
    for p in &live.registrar.prices {
        out.insert(format!("registrar.price/{}", p.tld), hash_of(p));
    }
    for z in &live.route53.hosted_zones {
        out.insert(format!("route53.zone/{}", z.name), hash_of(z));
    }
    for l in &live.libraries {
        if let Some(dns) = &l.dns {
            out.insert(
                format!("library/{}/dns", l.id),
                hash_of(&(&dns.dkim, &dns.mail_from)),
            );
        }
        if let Some(p) = &l.smtp_probe {
            out.insert(
                format!("library/{}/probe", l.id),
                hash_of(&(&p.verdict, &p.codes)),
            );
        }
    }
    out
}

/// What differs between two sets of hashes: changed, new and gone keys, in words.
pub fn differences(
    kind: &str,
    before: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, hash) in before {
        match now.get(key) {
            Some(h) if h == hash => {}
            Some(_) => out.push(format!("{kind} {key} changed")),
            None => out.push(format!("{kind} {key} is gone")),
        }
    }
    for key in now.keys() {
        if !before.contains_key(key) {
            out.push(format!("{kind} {key} is new"));
        }
    }
    out
}

impl PlanFile {
    /// Why this plan no longer describes the world, if it does not: every library file and
    /// live fact that changed since it was made *and that one of its changes depends on*,
    /// naming the changes. A move elsewhere (another library's records, a library with no
    /// change in this plan) leaves the plan applicable: apply re-judges those libraries live.
    pub fn staleness(
        &self,
        files_now: &BTreeMap<String, String>,
        facts_now: &BTreeMap<String, String>,
    ) -> Vec<String> {
        let moved =
            |kind: &str, before: &BTreeMap<String, String>, now: &BTreeMap<String, String>| {
                let mut keys: Vec<(String, String)> = Vec::new();
                for (key, hash) in before {
                    match now.get(key) {
                        Some(h) if h == hash => {}
                        Some(_) => keys.push((key.clone(), format!("{kind} {key} changed"))),
                        None => keys.push((key.clone(), format!("{kind} {key} is gone"))),
                    }
                }
                for key in now.keys().filter(|k| !before.contains_key(*k)) {
                    keys.push((key.clone(), format!("{kind} {key} is new")));
                }
                keys
            };
        let mut all = moved("library file", &self.files, files_now);
        all.extend(moved("live fact", &self.facts, facts_now));
        if self.depends.is_empty() {
            return all.into_iter().map(|(_, line)| line).collect();
        }
        let mut out = Vec::new();
        for (key, line) in all {
            let dependents: Vec<String> = self
                .plan
                .libraries
                .iter()
                .filter(|l| {
                    self.depends
                        .get(&l.library)
                        .is_some_and(|keys| keys.contains(&key))
                })
                .flat_map(|l| {
                    l.changes.iter().chain(&l.deletions).map(move |c| {
                        format!(
                            "`{} {} {}` of library `{}`",
                            c.op.sign(),
                            c.kind.as_str(),
                            c.name,
                            l.library
                        )
                    })
                })
                .collect();
            if !dependents.is_empty() {
                out.push(format!("{line}; {} depend(s) on it", dependents.join(", ")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_changed_new_and_gone_keys() {
        let before = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
        ]);
        let now = BTreeMap::from([
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "3".to_string()),
            ("c".to_string(), "4".to_string()),
        ]);
        assert_eq!(
            differences("live fact", &before, &now),
            ["live fact b changed", "live fact c is new"]
        );
        assert_eq!(
            differences("x", &now, &before),
            ["x b changed", "x c is gone"]
        );
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
