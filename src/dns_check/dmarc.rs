//! The DMARC policy that governs a sending domain, found and read as RFC 9989 (DMARCbis, May
//! 2026) says: the DNS Tree Walk from the author domain up to its top-level domain (section
//! "DNS Tree Walk"), the Organizational Domain picked from what the walk found, `psd=` included
//! (section "Organizational Domain Discovery"), the policy taken from `p=`, `sp=` or `np=`
//! (section "DMARC Policy Discovery"), and the tags read as its "General Record Format" reads
//! them. External report destinations are checked as RFC 9990 (DMARC aggregate reporting)
//! asks: `<domain>._report._dmarc.<destination>` must hold a `v=DMARC1` record. Pure.

use super::{Answer, Observations, Query, Rtype, data_at};
use crate::model::DomainName;

/// A name with more labels than this is shortened to its last seven before the walk goes on
/// (RFC 9989, "DNS Tree Walk": at most eight queries).
const WALK_LABELS: usize = 7;

/// The domains the DNS Tree Walk asks about, in order: the domain itself, then (shortened to
/// its last seven labels when it has eight or more) one label fewer at a time, down to its
/// top-level domain.
pub fn walk(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
    let mut out = vec![labels.join(".")];
    let mut n = labels.len();
    if n > WALK_LABELS {
        n = WALK_LABELS;
        out.push(labels[labels.len() - n..].join("."));
    }
    while n > 1 {
        n -= 1;
        out.push(labels[labels.len() - n..].join("."));
    }
    out
}

/// What the TXT question at one `_dmarc` name found, following a CNAME there.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    /// Not answered yet: this question is needed.
    Pending(Query),
    Failed {
        at: String,
        reason: String,
    },
    /// The TXT strings, and the CNAME target they came from (if any).
    Found {
        txts: Vec<String>,
        via: Option<String>,
    },
}

/// The TXT records at `name`, following CNAMEs (RFC 9989 asks for the TXT record at
/// `_dmarc.<domain>`; a resolver follows a CNAME there, so the walk does too).
fn txt_following_cnames(obs: &Observations, name: &str) -> Lookup {
    let mut at = name.to_string();
    let mut via = None;
    for _ in 0..8 {
        let q = Query::new(&at, Rtype::Txt);
        let Some(answer) = obs.get(&q) else {
            return Lookup::Pending(q);
        };
        match answer {
            Answer::Failed(reason) => {
                return Lookup::Failed {
                    at,
                    reason: reason.clone(),
                };
            }
            Answer::NoData | Answer::NxDomain => {
                return Lookup::Found {
                    txts: Vec::new(),
                    via,
                };
            }
            Answer::Records(records) => {
                // The server may put the CNAME's target in the same answer.
                let mut here = at.clone();
                for _ in 0..8 {
                    match records
                        .iter()
                        .find(|r| r.owner == here && r.rtype == Rtype::Cname)
                    {
                        Some(c) => here = c.data.clone(),
                        None => break,
                    }
                }
                let txts: Vec<String> = records
                    .iter()
                    .filter(|r| r.owner == here && r.rtype == Rtype::Txt)
                    .map(|r| r.data.clone())
                    .collect();
                if here == at || !txts.is_empty() {
                    let via = if here == at { via } else { Some(here) };
                    return Lookup::Found { txts, via };
                }
                // A CNAME out of the server's zone: ask its target.
                at = here.clone();
                via = Some(here);
            }
        }
    }
    Lookup::Found {
        txts: Vec::new(),
        via,
    }
}

/// Whether a TXT string is a DMARC record: its first tag is `v=DMARC1` (RFC 9989: "MUST
/// match precisely").
fn is_dmarc(txt: &str) -> bool {
    txt.split(';')
        .next()
        .and_then(|t| t.split_once('='))
        .is_some_and(|(k, v)| k.trim() == "v" && v.trim() == "DMARC1")
}

/// One level of the walk.
struct Level {
    domain: String,
    lookup: Lookup,
}

fn levels(domain: &str, obs: &Observations) -> Vec<Level> {
    walk(domain)
        .into_iter()
        .map(|d| Level {
            lookup: txt_following_cnames(obs, &format!("_dmarc.{d}")),
            domain: d,
        })
        .collect()
}

/// The questions the judgement reads, asked or not: the domain's own `_dmarc` first; once that
/// is answered, every level of the walk and the CNAME targets found; once a policy is found,
/// the authorisation of each external report destination.
pub fn dmarc_queries(domain: &DomainName, obs: &Observations) -> Vec<Query> {
    let own = Query::new(format!("_dmarc.{domain}"), Rtype::Txt);
    if !obs.contains_key(&own) {
        return vec![own];
    }
    let mut q = Vec::new();
    let mut pending = false;
    for d in walk(domain.as_str()) {
        let name = format!("_dmarc.{d}");
        q.push(Query::new(&name, Rtype::Txt));
        if let Lookup::Pending(p) = txt_following_cnames(obs, &name) {
            q.push(p);
            pending = true;
        }
    }
    if !pending && let DmarcFinding::Valid(p) = judge_dmarc(domain, obs) {
        q.extend(p.report_queries());
    }
    q
}

/// A parsed record's tags, as RFC 9989 reads them.
#[derive(Debug, Clone, Default)]
struct Tags {
    p: Option<String>,
    sp: Option<String>,
    np: Option<String>,
    adkim: Option<String>,
    aspf: Option<String>,
    t: Option<String>,
    psd: Option<String>,
    rua: Vec<String>,
    historic: Vec<String>,
}

fn parse_tags(record: &str) -> Result<Tags, String> {
    let mut tags = Tags::default();
    for tag in record.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((k, v)) = tag.split_once('=') else {
            return Err(format!("`{tag}` is not a tag=value pair"));
        };
        let v = v.trim().to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "p" => tags.p = Some(v.to_ascii_lowercase()),
            "sp" => tags.sp = Some(v.to_ascii_lowercase()),
            "np" => tags.np = Some(v.to_ascii_lowercase()),
            "adkim" => tags.adkim = Some(v),
            "aspf" => tags.aspf = Some(v),
            "t" => tags.t = Some(v.to_ascii_lowercase()),
            "psd" => tags.psd = Some(v.to_ascii_lowercase()),
            "rua" => {
                tags.rua = v
                    .split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect()
            }
            "pct" | "rf" | "ri" => tags.historic.push(format!("{}={v}", k.trim())),
            // Unknown tags are ignored (RFC 9989, "General Record Format").
            _ => {}
        }
    }
    Ok(tags)
}

fn is_policy(v: &str) -> bool {
    matches!(v, "none" | "quarantine" | "reject")
}

/// The domain part of a `mailto:` report URI, without a size limit (`!10m`).
fn mailto_domain(uri: &str) -> Option<String> {
    let rest = uri
        .get(..7)?
        .eq_ignore_ascii_case("mailto:")
        .then(|| &uri[7..])?;
    let address = rest.split('!').next()?;
    let (_, domain) = address.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.trim_end_matches('.').to_ascii_lowercase())
}

/// Something about a policy record its owners should know, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcNote {
    pub code: &'static str,
    pub text: String,
}

/// The policy that applies, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcPolicy {
    /// The `_dmarc` name whose record applies.
    pub at: String,
    /// The CNAME target the record was read from, when `at` is a CNAME.
    pub via: Option<String>,
    /// The domain that published the policy (the author domain, its Organizational Domain, or
    /// its Public Suffix Domain).
    pub domain: String,
    /// The author domain's Organizational Domain.
    pub organizational: String,
    /// Which tag gave the policy: `p`, `sp` or `np`.
    pub tag: &'static str,
    /// The policy applied: `none`, `quarantine` or `reject`.
    pub policy: String,
    /// `r` (relaxed, the default) or `s` (strict).
    pub adkim: char,
    pub aspf: char,
    /// `t=y`: test mode.
    pub test: bool,
    /// External report destinations and whether they accept the reports (RFC 9990).
    pub external_rua: Vec<String>,
    pub notes: Vec<DmarcNote>,
}

impl DmarcPolicy {
    /// The authorisation records of the external report destinations.
    fn report_queries(&self) -> Vec<Query> {
        self.external_rua
            .iter()
            .map(|d| Query::new(report_name(&self.domain, d), Rtype::Txt))
            .collect()
    }
}

/// Where an external report destination says it accepts reports for `domain` (RFC 9990).
fn report_name(domain: &str, destination: &str) -> String {
    format!("{domain}._report._dmarc.{destination}")
}

/// The DMARC record that governs a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmarcFinding {
    /// No level of the walk has a DMARC record: receivers apply no DMARC.
    Absent,
    /// A DMARC question got no answer: which policy governs the domain is unknown.
    Unknown {
        at: String,
        reason: String,
    },
    /// More than one record at a name, so all of them are discarded, and no other applies.
    Several {
        at: String,
    },
    /// The record that applies is not usable: receivers apply no DMARC.
    Invalid {
        at: String,
        reason: String,
    },
    Valid(Box<DmarcPolicy>),
}

/// Finds the policy for `domain` through the DNS Tree Walk (RFC 9989).
pub fn judge_dmarc(domain: &DomainName, obs: &Observations) -> DmarcFinding {
    let levels = levels(domain.as_str(), obs);
    let mut several: Option<String> = None;
    // Each level's one valid record (several at one name are all discarded: RFC 9989, "DNS
    // Tree Walk", steps 2 and 7), up to a failed question or a `psd=` that stops the walk.
    let mut found: Vec<(usize, String)> = Vec::new();
    for (i, level) in levels.iter().enumerate() {
        match &level.lookup {
            Lookup::Pending(q) => {
                return DmarcFinding::Unknown {
                    at: q.name.clone(),
                    reason: "not asked".into(),
                };
            }
            Lookup::Failed { at, reason } => {
                // A failure above a record already found does not change which one applies.
                if found.is_empty() {
                    return DmarcFinding::Unknown {
                        at: at.clone(),
                        reason: reason.clone(),
                    };
                }
                break;
            }
            Lookup::Found { txts, .. } => {
                let records: Vec<&String> = txts.iter().filter(|t| is_dmarc(t)).collect();
                match records.as_slice() {
                    [] => {}
                    [one] => {
                        let psd = parse_tags(one).ok().and_then(|t| t.psd);
                        found.push((i, (*one).clone()));
                        let stops = match psd.as_deref() {
                            Some("n") => true,
                            Some("y") => i > 0,
                            _ => false,
                        };
                        if stops {
                            break;
                        }
                    }
                    _ => {
                        several.get_or_insert_with(|| format!("_dmarc.{}", level.domain));
                    }
                }
            }
        }
    }
    if found.is_empty() {
        return match several {
            Some(at) => DmarcFinding::Several { at },
            None => DmarcFinding::Absent,
        };
    }
    let tags_of = |record: &str| parse_tags(record).unwrap_or_default();
    // The Organizational Domain (RFC 9989, "Organizational Domain Discovery"): from the longest
    // name with a record to the shortest, psd=n is it; psd=y (other than at the author domain)
    // makes it the domain one label below; otherwise the name with the fewest labels.
    let mut organizational = None;
    for (i, record) in &found {
        match tags_of(record).psd.as_deref() {
            Some("n") => {
                organizational = Some(*i);
                break;
            }
            Some("y") if *i > 0 => {
                organizational = Some(i - 1);
                break;
            }
            _ => {}
        }
    }
    let org_index = organizational.unwrap_or_else(|| found.last().map_or(0, |(i, _)| *i));
    let organizational = levels[org_index].domain.clone();
    // The policy (RFC 9989, "DMARC Policy Discovery"): the author domain's record, else the
    // Organizational Domain's, else the Public Suffix Domain's.
    let psd_index = found
        .iter()
        .find(|(i, r)| *i > 0 && tags_of(r).psd.as_deref() == Some("y"))
        .map(|(i, _)| *i);
    let chosen = found
        .iter()
        .find(|(i, _)| *i == 0)
        .or_else(|| found.iter().find(|(i, _)| *i == org_index))
        .or_else(|| psd_index.and_then(|p| found.iter().find(|(i, _)| *i == p)))
        .or(found.first());
    let Some((index, record)) = chosen else {
        return DmarcFinding::Absent;
    };
    let level = &levels[*index];
    let at = format!("_dmarc.{}", level.domain);
    let via = match &level.lookup {
        Lookup::Found { via, .. } => via.clone(),
        _ => None,
    };
    let tags = match parse_tags(record) {
        Ok(t) => t,
        Err(reason) => return DmarcFinding::Invalid { at, reason },
    };
    let mut notes = Vec::new();
    if let Some(other) = several.as_ref().filter(|s| **s != at) {
        notes.push(DmarcNote {
            code: "dmarc::several-records",
            text: format!(
                "{other} has more than one DMARC record, so receivers discard them all and apply the one at {at}"
            ),
        });
    }
    // The author domain exists unless its apex answered NXDOMAIN.
    let exists = !matches!(
        obs.get(&Query::new(domain.as_str(), Rtype::Txt)),
        Some(Answer::NxDomain)
    );
    let (tag, value) = if *index == 0 {
        ("p", tags.p.clone())
    } else if !exists && tags.np.is_some() {
        ("np", tags.np.clone())
    } else if tags.sp.is_some() {
        ("sp", tags.sp.clone())
    } else {
        ("p", tags.p.clone())
    };
    let valid_rua = tags.rua.iter().any(|u| u.contains(':'));
    let policy = match value {
        Some(v) if is_policy(&v) => v,
        bad => {
            // RFC 9989, "DMARC Policy Discovery": without a valid policy tag, a record with a
            // valid report address counts as p=none; without one, DMARC does not apply.
            let what = match &bad {
                Some(v) => format!("`{tag}={v}` is not none, quarantine or reject"),
                None => "the record has no `p=` policy".to_string(),
            };
            if !valid_rua {
                return DmarcFinding::Invalid { at, reason: what };
            }
            notes.push(DmarcNote {
                code: "dmarc::no-valid-policy",
                text: format!("{what}; with a report address, receivers act as if p=none"),
            });
            "none".to_string()
        }
    };
    let mut alignment = |name: &str, value: &Option<String>| -> char {
        match value.as_deref() {
            None | Some("r") => 'r',
            Some("s") => 's',
            Some(other) => {
                notes.push(DmarcNote {
                    code: "dmarc::invalid-alignment",
                    text: format!(
                        "`{name}={other}` is not r or s, so receivers use the default, relaxed; the policy still applies"
                    ),
                });
                'r'
            }
        }
    };
    let adkim = alignment("adkim", &tags.adkim);
    let aspf = alignment("aspf", &tags.aspf);
    let test = tags.t.as_deref() == Some("y");
    if test {
        notes.push(DmarcNote {
            code: "dmarc::test-mode",
            text: format!(
                "t=y (test mode, RFC 9989): receivers are asked not to apply {tag}={policy}, only to report"
            ),
        });
    }
    if !tags.historic.is_empty() {
        let pct0 = tags
            .historic
            .iter()
            .any(|h| h.to_ascii_lowercase().replace(' ', "") == "pct=0");
        let older = if pct0 {
            "; receivers still following RFC 7489 read pct=0 as: apply the next lower policy to all failing mail (reject as quarantine, quarantine as none)"
        } else {
            "; receivers still following RFC 7489 read pct as the share of failing mail the policy applies to (the rest gets the next lower policy), rf as the failure report format and ri as the report interval"
        };
        notes.push(DmarcNote {
            code: "dmarc::historic-tag",
            text: format!(
                "{} {} historic: RFC 9989 removed pct, rf and ri{older}",
                tags.historic.join(", "),
                if tags.historic.len() == 1 {
                    "is"
                } else {
                    "are"
                }
            ),
        });
    }
    let policy_domain = level.domain.clone();
    let mut external_rua: Vec<String> = tags
        .rua
        .iter()
        .filter_map(|u| mailto_domain(u))
        .filter(|d| *d != organizational && !d.ends_with(&format!(".{organizational}")))
        .collect();
    external_rua.sort();
    external_rua.dedup();
    for d in &external_rua {
        let name = report_name(&policy_domain, d);
        let authorised = data_at(obs, &name, Rtype::Txt).iter().any(|t| is_dmarc(t));
        let asked = obs.contains_key(&Query::new(&name, Rtype::Txt));
        if asked && !authorised {
            notes.push(DmarcNote {
                code: "dmarc::report-destination-unauthorised",
                text: format!(
                    "the aggregate reports go to {d}, outside {organizational}, which has not published `{name}` TXT \"v=DMARC1\" (RFC 9990): receivers send those reports nowhere"
                ),
            });
        }
    }
    DmarcFinding::Valid(Box::new(DmarcPolicy {
        at,
        via,
        domain: policy_domain,
        organizational,
        tag,
        policy,
        adkim,
        aspf,
        test,
        external_rua,
        notes,
    }))
}

impl DmarcFinding {
    /// Stable code: `dmarc::policy` for a policy with nothing to note, else the first note's.
    pub fn code(&self) -> &'static str {
        match self {
            DmarcFinding::Absent => "dmarc::absent",
            DmarcFinding::Unknown { .. } => "dmarc::unknown",
            DmarcFinding::Several { .. } => "dmarc::several-records",
            DmarcFinding::Invalid { .. } => "dmarc::invalid",
            DmarcFinding::Valid(p) => p.notes.first().map_or("dmarc::policy", |n| n.code),
        }
    }

    /// The snapshot's coarse kind: `absent`, `unknown`, `several`, `invalid` or `valid`.
    pub fn kind(&self) -> &'static str {
        match self {
            DmarcFinding::Absent => "absent",
            DmarcFinding::Unknown { .. } => "unknown",
            DmarcFinding::Several { .. } => "several",
            DmarcFinding::Invalid { .. } => "invalid",
            DmarcFinding::Valid(_) => "valid",
        }
    }

    /// Whether nothing is wrong: a usable policy with nothing to note, or none at all.
    pub fn is_fine(&self) -> bool {
        matches!(self.code(), "dmarc::policy" | "dmarc::absent")
    }

    /// What to do; `None` when nothing is wrong.
    pub fn remedy(&self) -> Option<&'static str> {
        remedy(self.code())
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
                "{at} has more than one DMARC record, so receivers discard them all (RFC 9989) and no other applies"
            ),
            DmarcFinding::Invalid { at, reason } => {
                format!("the DMARC record at {at} is not valid: {reason}; receivers apply no DMARC")
            }
            // Something to note: the notes, and which record says so (the plain words of a
            // policy with nothing wrong are for the records sheet, not a plan line).
            DmarcFinding::Valid(p) if !p.notes.is_empty() => format!(
                "{} ({}{} sets {}={})",
                p.notes
                    .iter()
                    .map(|n| n.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                p.at,
                p.via
                    .as_ref()
                    .map(|v| format!(", a CNAME to {v},"))
                    .unwrap_or_default(),
                p.tag,
                p.policy
            ),
            DmarcFinding::Valid(p) => p.plain_words(domain, mail_from),
        }
    }
}

impl DmarcPolicy {
    fn plain_words(&self, domain: &DomainName, mail_from: Option<&DomainName>) -> String {
        let DmarcPolicy {
            at,
            via,
            tag,
            policy,
            adkim,
            aspf,
            ..
        } = self;
        let via = via
            .as_ref()
            .map(|v| format!(" (a CNAME to {v})"))
            .unwrap_or_default();
        let whose = match *tag {
            _ if *at == format!("_dmarc.{domain}") => format!("{at}{via} sets p={policy}"),
            "sp" => format!(
                "{domain} has no DMARC record of its own; {at}{via} sets sp={policy} for its sub-domains"
            ),
            "np" => format!(
                "{domain} does not exist; {at}{via} sets np={policy} for its non-existent sub-domains"
            ),
            _ => format!(
                "{domain} has no DMARC record of its own; {at}{via} sets p={policy}, which also covers its sub-domains"
            ),
        };
        let effect = match policy.as_str() {
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

/// The fix for a finding's code (the plan reads findings back from a snapshot by code).
pub fn remedy(code: &str) -> Option<&'static str> {
    Some(match code {
        "dmarc::unknown" => {
            "check that the domain's name servers answer; mailform asks again on the next plan"
        }
        "dmarc::several-records" => "keep one TXT record starting v=DMARC1 at that name",
        "dmarc::invalid" => {
            "correct the record: it starts `v=DMARC1; p=` followed by none, quarantine or reject"
        }
        "dmarc::no-valid-policy" => "set p= to none, quarantine or reject",
        "dmarc::invalid-alignment" => "set adkim= and aspf= to r or s, or remove them",
        "dmarc::test-mode" => "remove t=y once the reports show the domain's mail passes",
        "dmarc::historic-tag" => "remove pct, rf and ri; to test a policy, use t=y instead of pct",
        "dmarc::report-destination-unauthorised" => {
            "ask the report destination to publish the `_report._dmarc` TXT record named, or send the reports to an address in the domain"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns_check::Rr;

    #[test]
    fn the_walk_shortens_long_names_to_seven_labels() {
        assert_eq!(
            walk("lib.city.example.org"),
            [
                "lib.city.example.org",
                "city.example.org",
                "example.org",
                "org"
            ]
        );
        let long = walk("a.b.c.d.e.f.g.h.example.org");
        assert_eq!(long.len(), 8);
        assert_eq!(long[1], "d.e.f.g.h.example.org");
        assert_eq!(long[7], "org");
    }

    fn txt(o: &mut Observations, name: &str, data: &str) {
        o.insert(
            Query::new(name, Rtype::Txt),
            Answer::Records(vec![Rr {
                owner: name.into(),
                rtype: Rtype::Txt,
                data: data.into(),
            }]),
        );
    }

    #[test]
    fn the_organisational_domain_several_labels_up_governs() {
        let d = DomainName::parse("library.city.example.org").unwrap();
        let mut o = Observations::new();
        for n in walk(d.as_str()) {
            o.insert(
                Query::new(format!("_dmarc.{n}"), Rtype::Txt),
                Answer::NxDomain,
            );
        }
        txt(&mut o, "_dmarc.city.example.org", "v=DMARC1; p=quarantine");
        txt(&mut o, "_dmarc.example.org", "v=DMARC1; p=reject; sp=none");
        // example.org has the fewest labels: it is the organisational domain, its sp= applies.
        match judge_dmarc(&d, &o) {
            DmarcFinding::Valid(p) => {
                assert_eq!(
                    (p.at.as_str(), p.tag, p.policy.as_str()),
                    ("_dmarc.example.org", "sp", "none")
                );
            }
            other => panic!("{other:?}"),
        }
        // psd=y at example.org makes city.example.org the organisational domain.
        txt(&mut o, "_dmarc.example.org", "v=DMARC1; p=reject; psd=y");
        match judge_dmarc(&d, &o) {
            DmarcFinding::Valid(p) => {
                assert_eq!(
                    (p.at.as_str(), p.policy.as_str()),
                    ("_dmarc.city.example.org", "quarantine")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
