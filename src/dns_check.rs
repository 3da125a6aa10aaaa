//! Judging DNS answers against what a sending domain needs. Pure: observations in, verdicts out.
//!
//! Easy DKIM needs three CNAMEs, `<token>._domainkey.<domain>` → `<token>.<SigningHostedZone>`.
//! For each one the verdict is present, missing or wrong, and the usual mistakes are named:
//! the domain appended twice by a provider's form, TXT where the CNAME belongs, a flattened or
//! proxied answer, a typo in the target or a target outside the signing zone, the records put
//! on the parent domain or a sub-domain, and a CNAME colliding with other records.
//!
//! SPF and DMARC of the sending domain are judged too, but only as information for methods 1
//! and 3: with SES's default MAIL FROM, Amazon's SPF covers the mail and Easy DKIM aligns
//! strictly, so nothing the library has there needs to change. A custom MAIL FROM needs its own
//! MX and SPF records, which are judged like the DKIM records.

use crate::live::dns::{Answer, Observations, Query, Rtype};
use crate::model::DomainName;

/// What the DKIM records of one SES identity must be.
#[derive(Debug, Clone)]
pub struct DkimExpectation {
    pub domain: DomainName,
    /// The three Easy DKIM tokens of the identity.
    pub tokens: Vec<String>,
    /// `DkimAttributes.SigningHostedZone`, e.g. `dkim.amazonses.com`; never assumed.
    pub signing_zone: String,
    /// Sub-domains where a misplaced record is worth looking for (e.g. the MAIL FROM domain).
    pub subdomains: Vec<DomainName>,
}

impl DkimExpectation {
    pub fn record_name(&self, token: &str) -> String {
        format!("{token}._domainkey.{}", self.domain)
    }

    pub fn target(&self, token: &str) -> String {
        format!("{token}.{}", self.signing_zone.trim_end_matches('.'))
    }

    /// Where a record for `token` may have been put by mistake.
    fn misplaced_names(&self, token: &str) -> Vec<(Placement, String)> {
        let mut names = vec![(
            Placement::DomainTwice,
            format!("{}.{}", self.record_name(token), self.domain),
        )];
        if let Some(parent) = parent(&self.domain) {
            names.push((Placement::Parent, format!("{token}._domainkey.{parent}")));
        }
        for sub in &self.subdomains {
            names.push((Placement::Subdomain, format!("{token}._domainkey.{sub}")));
        }
        names
    }

    /// Names no one creates: when they answer, a wildcard record answers for every name.
    fn wildcard_probes(&self) -> [(String, String); 2] {
        [
            (
                format!("{WILDCARD_PROBE}.{}", self.domain),
                format!("*.{}", self.domain),
            ),
            (
                format!("{WILDCARD_PROBE}._domainkey.{}", self.domain),
                format!("*._domainkey.{}", self.domain),
            ),
        ]
    }

    /// The first round: the CNAME at each expected name. For a domain whose three CNAMEs are
    /// in place, the verdict needs nothing more.
    pub fn first_queries(&self) -> Vec<Query> {
        self.tokens
            .iter()
            .map(|token| Query::new(self.record_name(token), Rtype::Cname))
            .collect()
    }

    /// The second round, from the first round's answers: what naming the mistake needs, for
    /// each name whose CNAME is wrong (the other types there, for a collision; the wildcard's
    /// CNAME) or missing (the other types there, the names a record may have been misplaced
    /// at, and every wildcard question). Nothing for a correct CNAME, nor for a question that
    /// got no answer: its verdict is unknown whatever else answers.
    pub fn followup_queries(&self, obs: &Observations) -> Vec<Query> {
        let mut queries = Vec::new();
        let mut wildcard_types = std::collections::BTreeSet::new();
        for token in &self.tokens {
            let name = self.record_name(token);
            let cnames = match answer(obs, &name, Rtype::Cname) {
                None | Some(Answer::Failed(_)) => continue,
                Some(_) => data_at(obs, &name, Rtype::Cname),
            };
            if cnames.contains(&self.target(token)) {
                continue;
            }
            for rtype in [Rtype::Txt, Rtype::A, Rtype::Aaaa] {
                queries.push(Query::new(&name, rtype));
            }
            if cnames.is_empty() {
                wildcard_types.extend([Rtype::Cname, Rtype::Txt, Rtype::A, Rtype::Aaaa]);
                for (_, misplaced) in self.misplaced_names(token) {
                    queries.push(Query::new(misplaced, Rtype::Cname));
                }
            } else {
                wildcard_types.insert(Rtype::Cname);
            }
        }
        for (probe, _) in self.wildcard_probes() {
            for rtype in &wildcard_types {
                queries.push(Query::new(&probe, *rtype));
            }
        }
        queries
    }

    /// Every question the judgement can need (both rounds, as if every CNAME were missing).
    pub fn queries(&self) -> Vec<Query> {
        let mut queries = Vec::new();
        for (probe, _) in self.wildcard_probes() {
            for rtype in [Rtype::Cname, Rtype::Txt, Rtype::A, Rtype::Aaaa] {
                queries.push(Query::new(&probe, rtype));
            }
        }
        for token in &self.tokens {
            let name = self.record_name(token);
            for rtype in [Rtype::Cname, Rtype::Txt, Rtype::A, Rtype::Aaaa] {
                queries.push(Query::new(&name, rtype));
            }
            for (_, misplaced) in self.misplaced_names(token) {
                queries.push(Query::new(misplaced, Rtype::Cname));
            }
        }
        queries
    }
}

/// The label of a name no one creates, asked to see whether a wildcard answers.
const WILDCARD_PROBE: &str = "mailform-wildcard-check";

/// The parent of a domain, when it still has two labels.
fn parent(domain: &DomainName) -> Option<String> {
    let (_, rest) = domain.as_str().split_once('.')?;
    rest.contains('.').then(|| rest.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    DomainTwice,
    Parent,
    Subdomain,
}

/// A common mistake, named so the library's IT staff can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mistake {
    /// The provider's form appended the domain again: `<token>._domainkey.d.org.d.org`.
    DomainTwice { at: String },
    /// A TXT record where the CNAME belongs.
    TxtInsteadOfCname { value: String },
    /// Addresses where the CNAME belongs: a proxied or flattened record.
    Flattened { addresses: Vec<String> },
    /// The target is in the signing zone but not the expected token: a typo.
    TargetTypo { found: String },
    /// The target is another identity's DKIM key in the signing zone: the record was copied
    /// from another domain or is left from an old setup.
    OtherIdentityKey { found: String },
    /// Nothing was created at the name; a wildcard record (`at`) answers for it instead.
    Wildcard {
        at: String,
        rtype: Rtype,
        data: String,
    },
    /// The target is outside the signing zone.
    TargetOutsideSigningZone { found: String },
    /// The target had the library's domain appended (a relative name in a zone file).
    TargetWithDomainAppended { found: String },
    /// The record is on the parent domain.
    OnParentDomain { at: String },
    /// The record is on a sub-domain.
    OnSubdomain { at: String },
    /// Other records share the CNAME's name, which DNS forbids.
    Collision { types: Vec<Rtype> },
}

impl Mistake {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Mistake::DomainTwice { .. } => "dns::domain-twice",
            Mistake::TxtInsteadOfCname { .. } => "dns::txt-instead-of-cname",
            Mistake::Flattened { .. } => "dns::flattened",
            Mistake::TargetTypo { .. } => "dns::target-typo",
            Mistake::OtherIdentityKey { .. } => "dns::other-identity-key",
            Mistake::Wildcard { .. } => "dns::wildcard",
            Mistake::TargetOutsideSigningZone { .. } => "dns::target-outside-signing-zone",
            Mistake::TargetWithDomainAppended { .. } => "dns::target-domain-appended",
            Mistake::OnParentDomain { .. } => "dns::on-parent-domain",
            Mistake::OnSubdomain { .. } => "dns::on-subdomain",
            Mistake::Collision { .. } => "dns::cname-collision",
        }
    }

    /// What is wrong, in the words the library's IT staff will read.
    pub fn message(&self) -> String {
        match self {
            Mistake::DomainTwice { at } => format!(
                "the record was created as `{at}`: the DNS provider's form added the domain a second time"
            ),
            Mistake::TxtInsteadOfCname { value } => {
                format!("a TXT record (`{value}`) is there instead of a CNAME")
            }
            Mistake::Flattened { addresses } => format!(
                "the name answers with addresses ({}) instead of a CNAME: the record is proxied or flattened",
                addresses.join(", ")
            ),
            Mistake::TargetTypo { found } => {
                format!("the CNAME points to `{found}`, which has a typo in the token")
            }
            Mistake::OtherIdentityKey { found } => format!(
                "the CNAME points to `{found}`, the DKIM key of another SES identity: the record was copied from another domain or is left from an old setup"
            ),
            Mistake::Wildcard { at, rtype, data } => format!(
                "no record was created at this name; the wildcard record `{at}` answers for it ({} `{data}`)",
                rtype.as_str()
            ),
            Mistake::TargetOutsideSigningZone { found } => {
                format!("the CNAME points to `{found}`, outside Amazon's DKIM signing zone")
            }
            Mistake::TargetWithDomainAppended { found } => format!(
                "the CNAME points to `{found}`: the library's domain was appended to the target"
            ),
            Mistake::OnParentDomain { at } => {
                format!("the record was put on the parent domain, as `{at}`")
            }
            Mistake::OnSubdomain { at } => format!("the record was put on a sub-domain, as `{at}`"),
            Mistake::Collision { types } => format!(
                "other records ({}) share the CNAME's name; DNS allows nothing beside a CNAME",
                types
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// What to do about it.
    pub fn remedy(&self) -> &'static str {
        match self {
            Mistake::DomainTwice { .. } => {
                "delete that record and enter only the host part (`<token>._domainkey`) in the name field"
            }
            Mistake::TxtInsteadOfCname { .. } => {
                "delete the TXT record and create a CNAME record with the given target"
            }
            Mistake::Flattened { .. } => {
                "turn off proxying or CNAME flattening for this record (\"DNS only\")"
            }
            Mistake::TargetTypo { .. } | Mistake::TargetOutsideSigningZone { .. } => {
                "copy the target exactly as given, ending in the signing zone"
            }
            Mistake::OtherIdentityKey { .. } => {
                "replace the target with the one given for this domain; each domain has its own three DKIM keys"
            }
            Mistake::Wildcard { .. } => {
                "create the CNAME at its exact name; an explicit record takes precedence over the wildcard, which can stay"
            }
            Mistake::TargetWithDomainAppended { .. } => {
                "write the target as a full name (in a zone file, end it with a dot)"
            }
            Mistake::OnParentDomain { .. } | Mistake::OnSubdomain { .. } => {
                "create the record under the sending domain itself, with the exact name given"
            }
            Mistake::Collision { .. } => "delete the other records at that name, keep the CNAME",
        }
    }
}

/// The verdict on one expected record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Present,
    /// Nothing at the name; `hint` when a misplaced copy was found elsewhere.
    Missing {
        hint: Option<Mistake>,
    },
    Wrong {
        mistake: Mistake,
    },
    /// The DNS could not be asked; not the library's fault.
    Unknown {
        error: String,
    },
}

impl Verdict {
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Present => "dns::present",
            Verdict::Missing { hint: None } => "dns::missing",
            Verdict::Missing { hint: Some(m) } | Verdict::Wrong { mistake: m } => m.code(),
            Verdict::Unknown { .. } => "dns::lookup-failed",
        }
    }
}

/// One expected record and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCheck {
    pub name: String,
    pub rtype: Rtype,
    pub expected: String,
    pub verdict: Verdict,
}

/// The DKIM records of one identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimReport {
    pub records: Vec<RecordCheck>,
}

impl DkimReport {
    pub fn present(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.verdict == Verdict::Present)
            .count()
    }

    /// Some but not all records are in place.
    pub fn partial(&self) -> bool {
        let present = self.present();
        present > 0 && present < self.records.len()
    }
}

fn answer<'a>(obs: &'a Observations, name: &str, rtype: Rtype) -> Option<&'a Answer> {
    obs.get(&Query::new(name, rtype))
}

fn data_at(obs: &Observations, name: &str, rtype: Rtype) -> Vec<String> {
    answer(obs, name, rtype)
        .map(|a| a.at(name, rtype).map(|r| r.data.clone()).collect())
        .unwrap_or_default()
}

/// Judges the DKIM records of one identity.
pub fn judge_dkim(expect: &DkimExpectation, obs: &Observations) -> DkimReport {
    let records = expect
        .tokens
        .iter()
        .map(|token| {
            let name = expect.record_name(token);
            let expected = expect.target(token);
            let verdict = judge_one(expect, token, &name, &expected, obs);
            RecordCheck {
                name,
                rtype: Rtype::Cname,
                expected,
                verdict,
            }
        })
        .collect();
    DkimReport { records }
}

fn judge_one(
    expect: &DkimExpectation,
    token: &str,
    name: &str,
    expected: &str,
    obs: &Observations,
) -> Verdict {
    if let Some(Answer::Failed(error)) = answer(obs, name, Rtype::Cname) {
        return Verdict::Unknown {
            error: error.clone(),
        };
    }
    let cnames = data_at(obs, name, Rtype::Cname);
    if let Some(found) = cnames.first() {
        let others: Vec<Rtype> = [Rtype::Txt, Rtype::A, Rtype::Aaaa]
            .into_iter()
            .filter(|t| !data_at(obs, name, *t).is_empty())
            .collect();
        if !others.is_empty() {
            return Verdict::Wrong {
                mistake: Mistake::Collision { types: others },
            };
        }
        if cnames.iter().any(|c| c == expected) {
            return Verdict::Present;
        }
        if let Some(mistake) = wildcard(expect, obs, Rtype::Cname, found) {
            return Verdict::Wrong { mistake };
        }
        let zone = expect.signing_zone.trim_end_matches('.');
        let label = found.split('.').next().unwrap_or_default();
        let mistake = if *found == format!("{expected}.{}", expect.domain) {
            Mistake::TargetWithDomainAppended {
                found: found.clone(),
            }
        } else if found.ends_with(&format!(".{zone}"))
            && found.matches('.').count() == zone.matches('.').count() + 1
        {
            // A few characters off is a typo; a wholly different token is someone else's key.
            if edit_distance(label, token) <= TYPO_DISTANCE {
                Mistake::TargetTypo {
                    found: found.clone(),
                }
            } else {
                Mistake::OtherIdentityKey {
                    found: found.clone(),
                }
            }
        } else {
            Mistake::TargetOutsideSigningZone {
                found: found.clone(),
            }
        };
        return Verdict::Wrong { mistake };
    }
    if let Some(value) = data_at(obs, name, Rtype::Txt).into_iter().next() {
        let mistake = wildcard(expect, obs, Rtype::Txt, &value)
            .unwrap_or(Mistake::TxtInsteadOfCname { value });
        return Verdict::Wrong { mistake };
    }
    let mut addresses = data_at(obs, name, Rtype::A);
    addresses.extend(data_at(obs, name, Rtype::Aaaa));
    if let Some(mistake) = addresses.first().and_then(|a| {
        wildcard(expect, obs, Rtype::A, a).or_else(|| wildcard(expect, obs, Rtype::Aaaa, a))
    }) {
        return Verdict::Wrong { mistake };
    }
    if !addresses.is_empty() {
        return Verdict::Wrong {
            mistake: Mistake::Flattened { addresses },
        };
    }
    let hint = expect
        .misplaced_names(token)
        .into_iter()
        .find(|(_, at)| !data_at(obs, at, Rtype::Cname).is_empty())
        .map(|(placement, at)| match placement {
            Placement::DomainTwice => Mistake::DomainTwice { at },
            Placement::Parent => Mistake::OnParentDomain { at },
            Placement::Subdomain => Mistake::OnSubdomain { at },
        });
    Verdict::Missing { hint }
}

/// Up to this many characters changed, added or dropped, a wrong token is a typo.
const TYPO_DISTANCE: usize = 3;

/// Levenshtein distance, for telling a typo from another key.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The wildcard that answers a name no one creates with the same record as was found at a
/// DKIM name, if any: `*.<domain>` before `*._domainkey.<domain>`.
fn wildcard(
    expect: &DkimExpectation,
    obs: &Observations,
    rtype: Rtype,
    data: &str,
) -> Option<Mistake> {
    expect
        .wildcard_probes()
        .into_iter()
        .find_map(|(probe, at)| {
            data_at(obs, &probe, rtype)
                .iter()
                .any(|d| d == data)
                .then(|| Mistake::Wildcard {
                    at,
                    rtype,
                    data: data.to_string(),
                })
        })
}

/// What a custom MAIL FROM domain needs: one MX to SES's feedback endpoint and an SPF record
/// that includes amazonses.com.
#[derive(Debug, Clone)]
pub struct MailFromExpectation {
    pub domain: DomainName,
    pub region: String,
}

impl MailFromExpectation {
    pub fn mx(&self) -> String {
        format!("10 feedback-smtp.{}.amazonses.com", self.region)
    }

    pub fn spf(&self) -> &'static str {
        "v=spf1 include:amazonses.com ~all"
    }

    pub fn queries(&self) -> Vec<Query> {
        vec![
            Query::new(self.domain.as_str(), Rtype::Mx),
            Query::new(self.domain.as_str(), Rtype::Txt),
        ]
    }
}

/// Problems of a custom MAIL FROM domain's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailFromProblem {
    /// More than one MX, or one to somewhere else.
    WrongMx { found: Vec<String> },
    /// An SPF record that does not authorise SES.
    SpfWithoutSes { found: String },
    /// More than one SPF record: receivers treat that as a permanent error.
    SeveralSpf { count: usize },
}

impl MailFromProblem {
    pub fn code(&self) -> &'static str {
        match self {
            MailFromProblem::WrongMx { .. } => "dns::mail-from-mx",
            MailFromProblem::SpfWithoutSes { .. } => "dns::mail-from-spf",
            MailFromProblem::SeveralSpf { .. } => "dns::several-spf",
        }
    }
}

/// The MX and SPF records of a custom MAIL FROM domain.
pub fn judge_mail_from(
    expect: &MailFromExpectation,
    obs: &Observations,
) -> Vec<(RecordCheck, Option<MailFromProblem>)> {
    let name = expect.domain.as_str();
    let mut out = Vec::new();

    let mx = data_at(obs, name, Rtype::Mx);
    let mx_verdict = match answer(obs, name, Rtype::Mx) {
        Some(Answer::Failed(e)) => (Verdict::Unknown { error: e.clone() }, None),
        _ if mx.is_empty() => (Verdict::Missing { hint: None }, None),
        _ if mx.len() == 1 && mx[0] == expect.mx() => (Verdict::Present, None),
        _ => (
            Verdict::Wrong {
                mistake: Mistake::TargetOutsideSigningZone {
                    found: mx.join(", "),
                },
            },
            Some(MailFromProblem::WrongMx { found: mx.clone() }),
        ),
    };
    out.push((
        RecordCheck {
            name: name.to_string(),
            rtype: Rtype::Mx,
            expected: expect.mx(),
            verdict: mx_verdict.0,
        },
        mx_verdict.1,
    ));

    let spf: Vec<String> = data_at(obs, name, Rtype::Txt)
        .into_iter()
        .filter(|t| is_spf(t))
        .collect();
    let spf_verdict = match (answer(obs, name, Rtype::Txt), spf.as_slice()) {
        (Some(Answer::Failed(e)), _) => (Verdict::Unknown { error: e.clone() }, None),
        (_, []) => (Verdict::Missing { hint: None }, None),
        (_, [one])
            if parse_spf(one)
                .is_ok_and(|terms| terms.iter().any(|t| t.is_include_of("amazonses.com"))) =>
        {
            (Verdict::Present, None)
        }
        (_, [one]) => (
            Verdict::Missing { hint: None },
            Some(MailFromProblem::SpfWithoutSes { found: one.clone() }),
        ),
        (_, several) => (
            Verdict::Missing { hint: None },
            Some(MailFromProblem::SeveralSpf {
                count: several.len(),
            }),
        ),
    };
    out.push((
        RecordCheck {
            name: name.to_string(),
            rtype: Rtype::Txt,
            expected: expect.spf().to_string(),
            verdict: spf_verdict.0,
        },
        spf_verdict.1,
    ));
    out
}

fn is_spf(txt: &str) -> bool {
    let lower = txt.trim_start().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// One SPF term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfTerm {
    pub qualifier: char,
    pub name: String,
    pub value: Option<String>,
}

impl SpfTerm {
    /// Whether evaluating this term costs a DNS lookup (RFC 7208 §4.6.4).
    pub fn costs_lookup(&self) -> bool {
        matches!(
            self.name.as_str(),
            "include" | "a" | "mx" | "ptr" | "exists" | "redirect"
        )
    }

    fn is_include_of(&self, domain: &str) -> bool {
        self.name == "include" && self.value.as_deref() == Some(domain)
    }

    /// The domain whose SPF record this term pulls in.
    pub fn followed_domain(&self) -> Option<&str> {
        matches!(self.name.as_str(), "include" | "redirect")
            .then_some(self.value.as_deref())
            .flatten()
    }
}

/// Parses an SPF record; the error names the first term that is not valid SPF.
pub fn parse_spf(record: &str) -> Result<Vec<SpfTerm>, String> {
    let mut words = record.split_whitespace();
    if !words
        .next()
        .is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
    {
        return Err("the record does not start with v=spf1".into());
    }
    const MECHANISMS: &[&str] = &["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"];
    const MODIFIERS: &[&str] = &["redirect", "exp"];
    let mut terms = Vec::new();
    for word in words {
        if let Some((name, value)) = word.split_once('=') {
            let name = name.to_ascii_lowercase();
            let known = MODIFIERS.contains(&name.as_str());
            let well_formed = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !well_formed || (known && value.is_empty()) {
                return Err(format!("`{word}` is not a valid SPF modifier"));
            }
            terms.push(SpfTerm {
                qualifier: '+',
                name,
                value: Some(value.to_string()),
            });
            continue;
        }
        let (qualifier, rest) = match word.chars().next() {
            Some(q @ ('+' | '-' | '~' | '?')) => (q, &word[1..]),
            _ => ('+', word),
        };
        let (name, value) = match rest.split_once([':', '/']) {
            Some((n, _)) if rest.as_bytes()[n.len()] == b'/' => (n, None),
            Some((n, v)) => (n, Some(v.to_string())),
            None => (rest, None),
        };
        let name = name.to_ascii_lowercase();
        if !MECHANISMS.contains(&name.as_str()) {
            return Err(format!("`{word}` is not an SPF mechanism"));
        }
        let needs_value = matches!(name.as_str(), "include" | "ip4" | "ip6" | "exists");
        if needs_value && value.as_deref().is_none_or(str::is_empty) {
            return Err(format!("`{word}` needs a value after `:`"));
        }
        terms.push(SpfTerm {
            qualifier,
            name,
            value,
        });
    }
    Ok(terms)
}

/// The SPF record of a domain, named as RFC 7208 names its errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfFinding {
    Absent,
    /// The question for the domain's TXT records got no answer (timeout, SERVFAIL, REFUSED):
    /// whether it has an SPF record is unknown, not "absent".
    Unknown {
        reason: String,
    },
    /// The sending domain does not exist (NXDOMAIN at its apex).
    NoSuchDomain,
    /// More than one SPF record: a permanent error (RFC 7208 §4.5).
    Several {
        count: usize,
    },
    /// A syntax error: a permanent error (RFC 7208 §4.6).
    Invalid {
        reason: String,
    },
    /// More than 10 DNS-querying terms through the whole tree of includes: a permanent error
    /// (RFC 7208 §4.6.4). `chain` is the costliest path of includes, each with the lookups
    /// it costs (its own included).
    TooManyLookups {
        record: String,
        lookups: usize,
        chain: Vec<(String, usize)>,
    },
    /// `+all` (or a bare `all`): every host on the internet passes (RFC 7208 §5.1).
    AllowsAll {
        record: String,
        lookups: usize,
    },
    /// `lookups` counts the whole tree of includes.
    Valid {
        record: String,
        lookups: usize,
        unresolved: Vec<String>,
    },
}

impl SpfFinding {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SpfFinding::Absent => "spf::absent",
            SpfFinding::Unknown { .. } => "spf::unknown",
            SpfFinding::NoSuchDomain => "dns::no-such-domain",
            SpfFinding::Several { .. } => "spf::several-records",
            SpfFinding::Invalid { .. } => "spf::syntax-error",
            SpfFinding::TooManyLookups { .. } => "spf::too-many-lookups",
            SpfFinding::AllowsAll { .. } => "spf::allows-all",
            SpfFinding::Valid { .. } => "spf::valid",
        }
    }

    /// The snapshot's coarse kind: `absent`, `several`, `invalid` or `valid`.
    pub fn kind(&self) -> &'static str {
        match self {
            SpfFinding::Absent => "absent",
            SpfFinding::Unknown { .. } => "unknown",
            SpfFinding::NoSuchDomain => "no-such-domain",
            SpfFinding::Several { .. } => "several",
            SpfFinding::Invalid { .. } | SpfFinding::TooManyLookups { .. } => "invalid",
            SpfFinding::AllowsAll { .. } | SpfFinding::Valid { .. } => "valid",
        }
    }

    /// What was found, in plain words.
    pub fn message(&self) -> String {
        match self {
            SpfFinding::Absent => "the domain has no SPF record".into(),
            SpfFinding::Unknown { reason } => format!(
                "whether the domain has an SPF record is unknown: its DNS servers did not answer ({reason})"
            ),
            SpfFinding::NoSuchDomain => {
                "the domain does not exist in DNS (its name servers answer NXDOMAIN)".into()
            }
            SpfFinding::Several { count } => format!(
                "permanent error (RFC 7208 §4.5): the domain has {count} SPF records (v=spf1), so receivers use none of them"
            ),
            SpfFinding::Invalid { reason } => format!(
                "permanent error (RFC 7208 §4.6): the SPF record has a syntax error: {reason}"
            ),
            SpfFinding::TooManyLookups { lookups, chain, .. } => {
                let path = chain
                    .iter()
                    .map(|(d, n)| {
                        format!("include:{d} ({n} lookup{})", if *n == 1 { "" } else { "s" })
                    })
                    .collect::<Vec<_>>()
                    .join(" → ");
                let costliest = if path.is_empty() {
                    String::new()
                } else {
                    format!("; the costliest chain of includes is {path}")
                };
                format!(
                    "permanent error (RFC 7208 §4.6.4): checking the SPF record takes {lookups} DNS lookups, more than the {SPF_LOOKUP_LIMIT} allowed, so receivers treat it as broken{costliest}"
                )
            }
            SpfFinding::AllowsAll { record, .. } => format!(
                "`{record}` ends in `+all` (RFC 7208 §5.1): every host on the internet passes SPF for the domain, so SPF protects nothing"
            ),
            SpfFinding::Valid {
                record,
                lookups,
                unresolved,
            } => {
                let mut text = format!(
                    "`{record}` is valid; it takes {lookups} of the {SPF_LOOKUP_LIMIT} DNS lookups allowed"
                );
                if !unresolved.is_empty() {
                    text.push_str(&format!(
                        " (not counted: {} did not answer with one SPF record)",
                        unresolved.join(", ")
                    ));
                }
                text
            }
        }
    }

    /// What the domain's administrators could do; `None` when nothing is wrong.
    pub fn remedy(&self) -> Option<&'static str> {
        match self {
            SpfFinding::Absent | SpfFinding::Valid { .. } => None,
            SpfFinding::Unknown { .. } => Some(
                "check that the domain's name servers answer; mailform asks again on the next plan",
            ),
            SpfFinding::NoSuchDomain => Some(
                "check the spelling of the sending address's domain, or register the domain first",
            ),
            SpfFinding::Several { .. } => Some("merge the SPF records into one"),
            SpfFinding::Invalid { .. } => Some(
                "correct the record; each term must be a mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a modifier (redirect=, exp=)",
            ),
            SpfFinding::TooManyLookups { .. } => Some(
                "remove includes of services that no longer send for the domain, or replace includes with their ip4:/ip6: ranges, until 10 lookups or fewer remain",
            ),
            SpfFinding::AllowsAll { .. } => Some("end the record with `~all` or `-all`"),
        }
    }
}

/// SPF's limit on DNS-querying terms.
pub const SPF_LOOKUP_LIMIT: usize = 10;

/// TXT questions for the includes and redirects reachable from `domain`'s SPF record that
/// have not been asked yet; ask them and call again until it returns nothing.
pub fn spf_followups(domain: &str, obs: &Observations) -> Vec<Query> {
    let mut wanted = Vec::new();
    let mut stack = vec![(domain.to_string(), 0usize)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((name, depth)) = stack.pop() {
        if !seen.insert(name.clone()) || depth > SPF_LOOKUP_LIMIT {
            continue;
        }
        let q = Query::new(&name, Rtype::Txt);
        let Some(answer) = obs.get(&q) else {
            wanted.push(q);
            continue;
        };
        let records: Vec<String> = answer
            .at(&q.name, Rtype::Txt)
            .map(|r| r.data.clone())
            .filter(|t| is_spf(t))
            .collect();
        if let [one] = records.as_slice()
            && let Ok(terms) = parse_spf(one)
        {
            for t in terms {
                if let Some(next) = t.followed_domain() {
                    stack.push((next.trim_end_matches('.').to_ascii_lowercase(), depth + 1));
                }
            }
        }
    }
    wanted
}

/// Judges `domain`'s SPF record, counting lookups through every include already observed.
pub fn judge_spf(domain: &str, obs: &Observations) -> SpfFinding {
    match answer(obs, domain, Rtype::Txt) {
        Some(Answer::Failed(reason)) => {
            return SpfFinding::Unknown {
                reason: reason.clone(),
            };
        }
        Some(Answer::NxDomain) => return SpfFinding::NoSuchDomain,
        _ => {}
    }
    let records: Vec<String> = data_at(obs, domain, Rtype::Txt)
        .into_iter()
        .filter(|t| is_spf(t))
        .collect();
    let record = match records.as_slice() {
        [] => return SpfFinding::Absent,
        [one] => one.clone(),
        several => {
            return SpfFinding::Several {
                count: several.len(),
            };
        }
    };
    let terms = match parse_spf(&record) {
        Ok(t) => t,
        Err(reason) => return SpfFinding::Invalid { reason },
    };
    let mut stack = vec![domain.trim_end_matches('.').to_ascii_lowercase()];
    let mut budget = 64usize;
    let tally = tally(&terms, obs, &mut stack, &mut budget);
    if tally.lookups > SPF_LOOKUP_LIMIT {
        return SpfFinding::TooManyLookups {
            record,
            lookups: tally.lookups,
            chain: tally.heaviest,
        };
    }
    let all = terms.iter().rev().find(|t| t.name == "all");
    if all.is_some_and(|t| t.qualifier == '+') {
        return SpfFinding::AllowsAll {
            record,
            lookups: tally.lookups,
        };
    }
    SpfFinding::Valid {
        record,
        lookups: tally.lookups,
        unresolved: tally.unresolved,
    }
}

/// The lookups a record's terms cost, through every include already observed.
#[derive(Default)]
struct Tally {
    lookups: usize,
    unresolved: Vec<String>,
    /// The costliest path of includes below these terms.
    heaviest: Vec<(String, usize)>,
}

fn tally(
    terms: &[SpfTerm],
    obs: &Observations,
    stack: &mut Vec<String>,
    budget: &mut usize,
) -> Tally {
    let mut t = Tally::default();
    let mut heaviest_cost = 0;
    for term in terms {
        if term.costs_lookup() {
            t.lookups += 1;
        }
        let Some(next) = term.followed_domain() else {
            continue;
        };
        let next = next.trim_end_matches('.').to_ascii_lowercase();
        if stack.contains(&next) || *budget == 0 {
            // An include loop never ends: evaluation runs past the limit.
            t.lookups += SPF_LOOKUP_LIMIT;
            continue;
        }
        let found: Vec<String> = data_at(obs, &next, Rtype::Txt)
            .into_iter()
            .filter(|x| is_spf(x))
            .collect();
        let inner = match (obs.get(&Query::new(&next, Rtype::Txt)), found.as_slice()) {
            (Some(_), [one]) => parse_spf(one).ok(),
            _ => None,
        };
        let Some(inner) = inner else {
            t.unresolved.push(next);
            continue;
        };
        *budget -= 1;
        stack.push(next.clone());
        let sub = tally(&inner, obs, stack, budget);
        stack.pop();
        t.lookups += sub.lookups;
        t.unresolved.extend(sub.unresolved);
        let cost = sub.lookups + 1;
        if cost > heaviest_cost {
            heaviest_cost = cost;
            t.heaviest = std::iter::once((next, cost)).chain(sub.heaviest).collect();
        }
    }
    t
}

/// The DMARC record that governs a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmarcFinding {
    Absent,
    /// A DMARC question got no answer: which policy governs the domain is unknown.
    Unknown {
        at: String,
        reason: String,
    },
    Several {
        at: String,
    },
    Invalid {
        at: String,
        reason: String,
    },
    Valid {
        at: String,
        policy: String,
        /// `sp=`: the policy for sub-domains, when the record sets one.
        subdomain_policy: Option<String>,
        /// `r` (relaxed, the default) or `s` (strict).
        adkim: char,
        aspf: char,
    },
}

impl DmarcFinding {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DmarcFinding::Absent => "dmarc::absent",
            DmarcFinding::Unknown { .. } => "dmarc::unknown",
            DmarcFinding::Several { .. } => "dmarc::several-records",
            DmarcFinding::Invalid { .. } => "dmarc::invalid",
            DmarcFinding::Valid { .. } => "dmarc::policy",
        }
    }

    /// The snapshot's coarse kind: `absent`, `several`, `invalid` or `valid`.
    pub fn kind(&self) -> &'static str {
        match self {
            DmarcFinding::Absent => "absent",
            DmarcFinding::Unknown { .. } => "unknown",
            DmarcFinding::Several { .. } => "several",
            DmarcFinding::Invalid { .. } => "invalid",
            DmarcFinding::Valid { .. } => "valid",
        }
    }

    /// The policy and alignment in plain words for mail from `domain`, sent with SES's
    /// Easy DKIM (signing as `domain`) and, when given, a custom MAIL FROM sub-domain.
    pub fn message(&self, domain: &DomainName, mail_from: Option<&DomainName>) -> String {
        match self {
            DmarcFinding::Absent => format!(
                "no DMARC record governs {domain}: receivers apply no DMARC policy to its mail"
            ),
            DmarcFinding::Unknown { at, reason } => format!(
                "which DMARC policy governs {domain} is unknown: asking for {at} got no answer ({reason})"
            ),
            DmarcFinding::Several { at } => format!(
                "{at} has more than one DMARC record (RFC 7489 §6.6.3), so receivers apply none"
            ),
            DmarcFinding::Invalid { at, reason } => {
                format!("the DMARC record at {at} is not valid: {reason}; receivers ignore it")
            }
            DmarcFinding::Valid {
                at,
                policy,
                subdomain_policy,
                adkim,
                aspf,
            } => {
                let own = *at == format!("_dmarc.{domain}");
                let (applied, whose) = match (own, subdomain_policy) {
                    (true, _) => (policy.as_str(), format!("{at} sets p={policy}")),
                    (false, Some(sp)) => (
                        sp.as_str(),
                        format!(
                            "{domain} has no DMARC record of its own; {at} sets sp={sp} for its sub-domains"
                        ),
                    ),
                    (false, None) => (
                        policy.as_str(),
                        format!(
                            "{domain} has no DMARC record of its own; {at} sets p={policy}, which also covers its sub-domains"
                        ),
                    ),
                };
                let effect = match applied {
                    "reject" => "receivers reject mail that fails DMARC",
                    "quarantine" => "receivers put mail that fails DMARC in spam",
                    _ => "receivers only report mail that fails DMARC and deliver it anyway",
                };
                let dkim = if *adkim == 's' {
                    format!(
                        "DKIM alignment is strict (adkim=s): the signature must be by {domain} exactly, which Easy DKIM's signature is"
                    )
                } else {
                    format!(
                        "DKIM alignment is relaxed: a signature by {domain} or a domain sharing its organisational domain aligns; Easy DKIM signs as {domain}"
                    )
                };
                let spf = match (mail_from, *aspf) {
                    (Some(mf), 's') => format!(
                        "SPF alignment is strict (aspf=s): SPF checks the MAIL FROM domain {mf}, which is not exactly {domain}, so SPF will not align; DKIM alignment carries DMARC, so the three DKIM records must stay in place"
                    ),
                    (Some(mf), _) => format!(
                        "SPF alignment is relaxed: the MAIL FROM domain {mf} is a sub-domain of {domain}, so SPF aligns as well as DKIM"
                    ),
                    (None, 's') => "SPF alignment is strict (aspf=s); SES's default MAIL FROM (amazonses.com) never aligns, so DKIM alignment carries DMARC".to_string(),
                    (None, _) => "SPF alignment is relaxed; SES's default MAIL FROM (amazonses.com) never aligns, so DKIM alignment carries DMARC".to_string(),
                };
                format!("{whose}: {effect}. {dkim}. {spf}")
            }
        }
    }
}

/// Everything the DNS check asks about one sending domain: its DKIM records (once the
/// identity has tokens), its custom MAIL FROM, SPF, DMARC and name servers. Asked in rounds:
/// [`DomainChecks::first_queries`], then [`DomainChecks::next_queries`] until nothing new is
/// wanted, so a converged domain costs only the questions its verdicts read.
#[derive(Debug, Clone)]
pub struct DomainChecks {
    pub domain: DomainName,
    pub dkim: Option<DkimExpectation>,
    pub mail_from: Option<MailFromExpectation>,
}

impl DomainChecks {
    /// The first round: each DKIM CNAME, the MAIL FROM records, DMARC, SPF and NS.
    pub fn first_queries(&self) -> Vec<Query> {
        let mut q = Vec::new();
        if let Some(d) = &self.dkim {
            q.extend(d.first_queries());
        }
        if let Some(m) = &self.mail_from {
            q.extend(m.queries());
        }
        q.extend(dmarc_queries(&self.domain));
        q.push(Query::new(self.domain.as_str(), Rtype::Txt));
        q.push(name_server_query(&self.domain));
        q
    }

    /// What the answers so far call for: the DKIM second round and the SPF includes not yet
    /// observed. May repeat a question already asked; the caller skips those.
    pub fn next_queries(&self, obs: &Observations) -> Vec<Query> {
        let mut q = self.judged_followups(obs);
        q.extend(spf_followups(self.domain.as_str(), obs));
        q
    }

    /// The questions whose answers the verdicts of this domain read, SPF includes aside: what
    /// a snapshot records as this library's observations.
    pub fn judged_queries(&self, obs: &Observations) -> Vec<Query> {
        let mut q = self.first_queries();
        q.extend(self.judged_followups(obs));
        q
    }

    fn judged_followups(&self, obs: &Observations) -> Vec<Query> {
        self.dkim
            .as_ref()
            .map(|d| d.followup_queries(obs))
            .unwrap_or_default()
    }
}

/// The one question that finds the library's DNS provider: NS for the sending domain, which
/// the reader answers with the NS records of the zone holding it.
pub fn name_server_query(domain: &DomainName) -> Query {
    Query::new(domain.as_str(), Rtype::Ns)
}

/// The zone holding `domain` and its name server hosts (sorted), from the NS answer; `None`
/// when the answer names none (a failed lookup, or no zone found).
pub fn judge_name_servers(
    domain: &DomainName,
    obs: &Observations,
) -> Option<(String, Vec<String>)> {
    let answer = answer(obs, domain.as_str(), Rtype::Ns)?;
    let Answer::Records(records) = answer else {
        return None;
    };
    // The owner is the zone's apex: the domain itself or one of its parents.
    let zone = records
        .iter()
        .filter(|r| r.rtype == Rtype::Ns)
        .map(|r| r.owner.as_str())
        .find(|owner| *owner == domain.as_str() || domain.as_str().ends_with(&format!(".{owner}")))?
        .to_string();
    let mut hosts: Vec<String> = records
        .iter()
        .filter(|r| r.rtype == Rtype::Ns && r.owner == zone)
        .map(|r| r.data.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    hosts.sort();
    hosts.dedup();
    Some((zone, hosts))
}

/// TXT questions for DMARC: the domain's own `_dmarc` and its parent's (where an
/// organisational policy usually lives).
pub fn dmarc_queries(domain: &DomainName) -> Vec<Query> {
    let mut q = vec![Query::new(format!("_dmarc.{domain}"), Rtype::Txt)];
    if let Some(parent) = parent(domain) {
        q.push(Query::new(format!("_dmarc.{parent}"), Rtype::Txt));
    }
    q
}

/// Finds and parses the DMARC record for `domain`, falling back to its parent.
pub fn judge_dmarc(domain: &DomainName, obs: &Observations) -> DmarcFinding {
    for q in dmarc_queries(domain) {
        if let Some(Answer::Failed(reason)) = answer(obs, &q.name, Rtype::Txt) {
            return DmarcFinding::Unknown {
                at: q.name.clone(),
                reason: reason.clone(),
            };
        }
        let records: Vec<String> = data_at(obs, &q.name, Rtype::Txt)
            .into_iter()
            .filter(|t| t.trim_start().to_ascii_lowercase().starts_with("v=dmarc1"))
            .collect();
        match records.as_slice() {
            [] => continue,
            [one] => return parse_dmarc(&q.name, one),
            _ => return DmarcFinding::Several { at: q.name },
        }
    }
    DmarcFinding::Absent
}

fn parse_dmarc(at: &str, record: &str) -> DmarcFinding {
    let mut policy = None;
    let mut subdomain_policy = None;
    let (mut adkim, mut aspf) = ('r', 'r');
    for tag in record.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((k, v)) = tag.split_once('=') else {
            return DmarcFinding::Invalid {
                at: at.into(),
                reason: format!("`{tag}` is not a tag=value pair"),
            };
        };
        let v = v.trim().to_ascii_lowercase();
        match k.trim().to_ascii_lowercase().as_str() {
            "p" if matches!(v.as_str(), "none" | "quarantine" | "reject") => policy = Some(v),
            "sp" if matches!(v.as_str(), "none" | "quarantine" | "reject") => {
                subdomain_policy = Some(v)
            }
            "p" | "sp" => {
                return DmarcFinding::Invalid {
                    at: at.into(),
                    reason: format!("policy `{v}` is not none, quarantine or reject"),
                };
            }
            "adkim" | "aspf" if !matches!(v.as_str(), "r" | "s") => {
                return DmarcFinding::Invalid {
                    at: at.into(),
                    reason: format!("alignment `{k}={v}` is not r or s"),
                };
            }
            "adkim" => adkim = if v == "s" { 's' } else { 'r' },
            "aspf" => aspf = if v == "s" { 's' } else { 'r' },
            _ => {}
        }
    }
    match policy {
        Some(policy) => DmarcFinding::Valid {
            at: at.into(),
            policy,
            subdomain_policy,
            adkim,
            aspf,
        },
        None => DmarcFinding::Invalid {
            at: at.into(),
            reason: "the record has no `p=` policy".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::dns::Rr;

    fn expect() -> DkimExpectation {
        DkimExpectation {
            domain: DomainName::parse("lib.example.org").unwrap(),
            tokens: vec!["aaa".into(), "bbb".into(), "ccc".into()],
            signing_zone: "dkim.amazonses.com".into(),
            subdomains: vec![],
        }
    }

    fn obs(records: &[(&str, Rtype, &str)]) -> Observations {
        let mut o = Observations::new();
        for q in expect().queries() {
            o.insert(q, Answer::NxDomain);
        }
        for (name, rtype, data) in records {
            let rr = Rr {
                owner: name.to_string(),
                rtype: *rtype,
                data: data.to_string(),
            };
            match o
                .entry(Query::new(*name, *rtype))
                .or_insert(Answer::NxDomain)
            {
                Answer::Records(v) => v.push(rr),
                other => *other = Answer::Records(vec![rr]),
            }
        }
        o
    }

    #[test]
    fn name_servers_of_the_zone_holding_the_domain() {
        let domain = DomainName::parse("lib.example.org").unwrap();
        let ns = |owner: &str, host: &str| Rr {
            owner: owner.into(),
            rtype: Rtype::Ns,
            data: host.into(),
        };
        let mut o = Observations::new();
        o.insert(
            name_server_query(&domain),
            Answer::Records(vec![
                ns("example.org", "bob.ns.cloudflare.com"),
                ns("example.org", "ada.ns.cloudflare.com"),
            ]),
        );
        assert_eq!(
            judge_name_servers(&domain, &o),
            Some((
                "example.org".to_string(),
                vec![
                    "ada.ns.cloudflare.com".to_string(),
                    "bob.ns.cloudflare.com".to_string()
                ]
            ))
        );
        // Records of an unrelated owner name no zone of this domain.
        o.insert(
            name_server_query(&domain),
            Answer::Records(vec![ns("other.org", "ns1.other.org")]),
        );
        assert_eq!(judge_name_servers(&domain, &o), None);
        o.insert(name_server_query(&domain), Answer::Failed("timeout".into()));
        assert_eq!(judge_name_servers(&domain, &o), None);
    }

    #[test]
    fn judges_each_record() {
        let o = obs(&[
            (
                "aaa._domainkey.lib.example.org",
                Rtype::Cname,
                "aaa.dkim.amazonses.com",
            ),
            (
                "bbb._domainkey.lib.example.org",
                Rtype::Cname,
                "bbx.dkim.amazonses.com",
            ),
            (
                "ccc._domainkey.lib.example.org.lib.example.org",
                Rtype::Cname,
                "ccc.dkim.amazonses.com",
            ),
        ]);
        let report = judge_dkim(&expect(), &o);
        let codes: Vec<&str> = report.records.iter().map(|r| r.verdict.code()).collect();
        assert_eq!(
            codes,
            ["dns::present", "dns::target-typo", "dns::domain-twice"]
        );
        assert!(report.partial());
    }

    #[test]
    fn a_converged_domain_is_asked_only_its_cnames() {
        let e = expect();
        let right = |t: &str| {
            (
                format!("{t}._domainkey.lib.example.org"),
                format!("{t}.dkim.amazonses.com"),
            )
        };
        let mut o = Observations::new();
        for t in ["aaa", "bbb", "ccc"] {
            let (name, target) = right(t);
            o.insert(
                Query::new(&name, Rtype::Cname),
                Answer::Records(vec![Rr {
                    owner: name.clone(),
                    rtype: Rtype::Cname,
                    data: target,
                }]),
            );
        }
        assert_eq!(e.first_queries().len(), 3);
        assert!(e.followup_queries(&o).is_empty());
        assert_eq!(codes(&judge_dkim(&e, &o)), ["dns::present"; 3]);

        // A wrong target: the other types at that name and the wildcard's CNAME, no more.
        let (name, _) = right("bbb");
        o.insert(
            Query::new(&name, Rtype::Cname),
            Answer::Records(vec![Rr {
                owner: name.clone(),
                rtype: Rtype::Cname,
                data: "bbx.dkim.amazonses.com".into(),
            }]),
        );
        let wanted = e.followup_queries(&o);
        assert_eq!(wanted.len(), 3 + 2, "{wanted:?}");
        assert!(
            wanted
                .iter()
                .all(|q| q.name == name || q.rtype == Rtype::Cname)
        );

        // A missing record: everything the full question set asks about that name.
        o.insert(Query::new(&name, Rtype::Cname), Answer::NxDomain);
        let wanted: std::collections::BTreeSet<Query> =
            e.followup_queries(&o).into_iter().collect();
        let full: std::collections::BTreeSet<Query> = e
            .queries()
            .into_iter()
            .filter(|q| !q.name.starts_with("aaa.") && !q.name.starts_with("ccc."))
            .filter(|q| !q.name.starts_with("aaa._") && !q.name.starts_with("ccc._"))
            .filter(|q| *q != Query::new(&name, Rtype::Cname))
            .collect();
        assert_eq!(wanted, full);

        // A failed question: its verdict is unknown, nothing more is asked about it.
        o.insert(
            Query::new(&name, Rtype::Cname),
            Answer::Failed("timeout".into()),
        );
        assert!(e.followup_queries(&o).is_empty());
    }

    fn codes(report: &DkimReport) -> Vec<&'static str> {
        report.records.iter().map(|r| r.verdict.code()).collect()
    }

    #[test]
    fn typos_differ_from_other_keys() {
        assert_eq!(edit_distance("bbb", "bbx"), 1);
        assert_eq!(edit_distance("abcdef", "abdef"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn spf_parsing_and_lookup_counting() {
        assert!(parse_spf("v=spf1 include:_spf.example.com ~all").is_ok());
        assert!(parse_spf("v=spf1 include: ~all").is_err());
        assert!(parse_spf("v=spf1 inclde:x.example.com ~all").is_err());
        assert!(parse_spf("v=spf1 ip4:192.0.2.0/24 a/24 mx -all").is_ok());
        let mut o = Observations::new();
        let txt = |o: &mut Observations, name: &str, data: &str| {
            o.insert(
                Query::new(name, Rtype::Txt),
                Answer::Records(vec![Rr {
                    owner: name.into(),
                    rtype: Rtype::Txt,
                    data: data.into(),
                }]),
            );
        };
        txt(
            &mut o,
            "d.example.org",
            "v=spf1 include:a.example.org mx -all",
        );
        assert_eq!(
            spf_followups("d.example.org", &o),
            vec![Query::new("a.example.org", Rtype::Txt)]
        );
        txt(
            &mut o,
            "a.example.org",
            "v=spf1 a mx include:b.example.org -all",
        );
        txt(&mut o, "b.example.org", "v=spf1 ip4:192.0.2.1 -all");
        assert!(spf_followups("d.example.org", &o).is_empty());
        assert_eq!(
            judge_spf("d.example.org", &o),
            SpfFinding::Valid {
                record: "v=spf1 include:a.example.org mx -all".into(),
                lookups: 5,
                unresolved: vec![]
            }
        );
        txt(
            &mut o,
            "loop.example.org",
            "v=spf1 include:loop.example.org -all",
        );
        assert_eq!(
            judge_spf("loop.example.org", &o).code(),
            "spf::too-many-lookups"
        );
        txt(&mut o, "open.example.org", "v=spf1 mx all");
        assert_eq!(judge_spf("open.example.org", &o).code(), "spf::allows-all");
    }
}
