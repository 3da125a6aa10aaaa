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
    pub plan: Plan,
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
    /// live fact that changed since it was made.
    pub fn staleness(
        &self,
        files_now: &BTreeMap<String, String>,
        facts_now: &BTreeMap<String, String>,
    ) -> Vec<String> {
        let mut out = differences("library file", &self.files, files_now);
        out.extend(differences("live fact", &self.facts, facts_now));
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
