//! Judging DNS answers against what a sending domain needs. Pure: observations in, verdicts out.
//!
//! Easy DKIM needs three CNAMEs, `<token>._domainkey.<domain>` → `<token>.<SigningHostedZone>`.
//! For each one the verdict is present, missing or wrong, and the usual mistakes are named:
//! the domain appended twice by a provider's form, TXT where the CNAME belongs, a flattened or
//! proxied answer, a typo in the target or a target outside the signing zone, the records put
//! on the parent domain or a sub-domain, and a CNAME colliding with other records.
//!
//! SPF ([`spf`], RFC 7208) and DMARC ([`dmarc`], RFC 9989) of the sending domain are judged
//! too, as information for methods 1 and 3: with SES's default MAIL FROM, Amazon's SPF covers
//! the mail and Easy DKIM aligns, so nothing the library has there needs to change for
//! mailform. A custom MAIL FROM needs its own MX and SPF records, which decide whether SES's
//! bounce domain passes SPF: they are judged like the DKIM records, SPF to the letter.
//!
//! The judge does no I/O: it says which questions it needs ([`DomainChecks::first_queries`],
//! then [`DomainChecks::next_queries`] round after round) and the resolver (`live::dns`) fills
//! the [`Observations`] it owns.

pub mod dmarc;
mod observations;
pub mod spf;

pub use dmarc::{DmarcFinding, DmarcPolicy, judge_dmarc};
pub use observations::{Answer, Observations, Query, Rr, Rtype};
pub use spf::{SPF_LOOKUP_LIMIT, SpfFinding, SpfTerm, judge_spf, parse_spf, spf_followups};

use crate::model::DomainName;
use spf::is_spf;

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
    /// The DKIM tokens of the account's other SES identities: a target naming one of them is
    /// "another identity's key", and only then.
    pub account_tokens: std::sync::Arc<std::collections::BTreeSet<String>>,
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
        let mut names = vec![
            (
                Placement::DomainTwice,
                format!("{}.{}", self.record_name(token), self.domain),
            ),
            (
                Placement::NoUnderscore,
                format!("{token}.domainkey.{}", self.domain),
            ),
        ];
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
    NoUnderscore,
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
    /// The target is the DKIM key of another SES identity of this account: the record was
    /// copied from another domain or is left from an old setup.
    OtherIdentityKey { found: String },
    /// The target is another of this identity's own three keys: two records' targets crossed.
    Swapped { found: String, belongs_at: String },
    /// The target is a key in the signing zone that belongs to no identity of this account.
    UnknownKey { found: String },
    /// The record was created as `<token>.domainkey` (the underscore missing).
    UnderscoreMissing { at: String },
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
            Mistake::Swapped { .. } => "dns::swapped",
            Mistake::UnknownKey { .. } => "dns::unknown-key",
            Mistake::UnderscoreMissing { .. } => "dns::underscore-missing",
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
                "the CNAME points to `{found}`, the DKIM key of another SES identity of this account: the record was copied from another domain or is left from an old setup"
            ),
            Mistake::Swapped { found, belongs_at } => format!(
                "the CNAME points to `{found}`, which belongs at `{belongs_at}`: the targets of two of this domain's records are swapped"
            ),
            Mistake::UnknownKey { found } => format!(
                "the CNAME points to `{found}`, a key in the signing zone that is neither this domain's nor that of any SES identity of this account mailform read"
            ),
            Mistake::UnderscoreMissing { at } => format!(
                "the record was created as `{at}`: the underscore of `_domainkey` is missing"
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
            Mistake::OtherIdentityKey { .. } | Mistake::UnknownKey { .. } => {
                "replace the target with the one given for this domain; each domain has its own three DKIM keys"
            }
            Mistake::Swapped { .. } => {
                "give each of the three records the target listed beside its own name"
            }
            Mistake::UnderscoreMissing { .. } => {
                "create the record at the exact name given (`<token>._domainkey`), and delete the stray record named"
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

pub(crate) fn data_at(obs: &Observations, name: &str, rtype: Rtype) -> Vec<String> {
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
            // Say only what was checked: one of this domain's own tokens is a swap, one of the
            // account's other identities' is theirs, a few characters off is a typo.
            if let Some(own) = expect.tokens.iter().find(|t| t.as_str() == label) {
                Mistake::Swapped {
                    found: found.clone(),
                    belongs_at: expect.record_name(own),
                }
            } else if expect.account_tokens.contains(label) {
                Mistake::OtherIdentityKey {
                    found: found.clone(),
                }
            } else if edit_distance(label, token) <= TYPO_DISTANCE {
                Mistake::TargetTypo {
                    found: found.clone(),
                }
            } else {
                Mistake::UnknownKey {
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
            Placement::NoUnderscore => Mistake::UnderscoreMissing { at },
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
    /// The SPF record is broken or weak by RFC 7208 (a permanent error, `+all`, `ptr`, ...).
    Spf { finding: SpfFinding },
}

impl MailFromProblem {
    pub fn code(&self) -> &'static str {
        match self {
            MailFromProblem::WrongMx { .. } => "dns::mail-from-mx",
            MailFromProblem::SpfWithoutSes { .. } => "dns::mail-from-spf",
            MailFromProblem::SeveralSpf { .. } => "dns::several-spf",
            MailFromProblem::Spf { finding } => finding.code(),
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

    // The MAIL FROM domain's SPF decides whether SES's bounce domain passes: judged to the
    // letter (RFC 7208), through every include the DNS answered.
    let finding = judge_spf(name, obs);
    let spf_verdict = match finding {
        SpfFinding::Unknown { reason } => (Verdict::Unknown { error: reason }, None),
        SpfFinding::Absent | SpfFinding::NoSuchDomain => (Verdict::Missing { hint: None }, None),
        SpfFinding::Several { ref at, count } if at == name => (
            Verdict::Missing { hint: None },
            Some(MailFromProblem::SeveralSpf { count }),
        ),
        finding => {
            let record = data_at(obs, name, Rtype::Txt)
                .into_iter()
                .find(|t| is_spf(t))
                .unwrap_or_default();
            let includes_ses = parse_spf(&record)
                .is_ok_and(|terms| terms.iter().any(|t| t.is_include_of("amazonses.com")));
            match (finding.is_fine(), includes_ses) {
                (true, true) => (Verdict::Present, None),
                (true, false) => (
                    Verdict::Missing { hint: None },
                    Some(MailFromProblem::SpfWithoutSes { found: record }),
                ),
                (false, _) => (
                    Verdict::Missing { hint: None },
                    Some(MailFromProblem::Spf { finding }),
                ),
            }
        }
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
        q.extend(dmarc::dmarc_queries(&self.domain, &Observations::new()));
        q.push(Query::new(self.domain.as_str(), Rtype::Txt));
        q.push(name_server_query(&self.domain));
        q
    }

    /// What the answers so far call for: the DKIM second round and the SPF includes not yet
    /// observed. May repeat a question already asked; the caller skips those.
    pub fn next_queries(&self, obs: &Observations) -> Vec<Query> {
        let mut q = self.judged_followups(obs);
        q.extend(spf_followups(self.domain.as_str(), obs));
        if let Some(m) = &self.mail_from {
            q.extend(spf_followups(m.domain.as_str(), obs));
        }
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
        let mut q = self
            .dkim
            .as_ref()
            .map(|d| d.followup_queries(obs))
            .unwrap_or_default();
        q.extend(dmarc::dmarc_queries(&self.domain, obs));
        q
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

#[cfg(test)]
mod tests {
    use super::*;

    fn expect() -> DkimExpectation {
        DkimExpectation {
            domain: DomainName::parse("lib.example.org").unwrap(),
            tokens: vec!["aaa".into(), "bbb".into(), "ccc".into()],
            signing_zone: "dkim.amazonses.com".into(),
            subdomains: vec![],
            account_tokens: Default::default(),
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
}
