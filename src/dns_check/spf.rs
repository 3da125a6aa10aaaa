//! SPF records judged to the letter of RFC 7208: the record's syntax (§4.5, §4.6, §5, §6, the
//! macros of §7.1), and what evaluating it costs through every `include` and `redirect` the DNS
//! answered (§4.6.4: at most 10 terms that query DNS, at most two of them finding nothing, at
//! most 10 MX names for one `mx`). Pure: it asks for what it needs through [`spf_followups`] and
//! judges what was observed.
//!
//! A static check cannot know which mechanism matches a given sender, so it evaluates every term
//! of every record it reaches, as a receiver does for a sender that matches nothing.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Answer, Observations, Query, Rtype, data_at};

/// SPF's limit on DNS-querying terms (RFC 7208 §4.6.4).
pub const SPF_LOOKUP_LIMIT: usize = 10;
/// At most this many lookups may find nothing (RFC 7208 §4.6.4: "a default of two").
pub const VOID_LOOKUP_LIMIT: usize = 2;
/// An `mx` whose domain has more MX names than this is a permanent error (RFC 7208 §4.6.4).
pub const MX_NAME_LIMIT: usize = 10;

/// Whether a TXT string is an SPF record: `v=spf1` alone or followed by a space (RFC 7208
/// §4.5). ABNF strings are case-insensitive (RFC 5234 §2.3), so `V=SPF1` is one too.
pub fn is_spf(txt: &str) -> bool {
    let lower = txt.trim_start().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

/// One SPF term as written, with its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfTerm {
    /// The term exactly as it stands in the record.
    pub text: String,
    pub qualifier: char,
    /// The mechanism or modifier name, lower case.
    pub name: String,
    /// The domain-spec or address after `:` (or `=` for a modifier), without a CIDR length.
    pub value: Option<String>,
    pub modifier: bool,
}

impl SpfTerm {
    /// Whether evaluating this term costs a DNS lookup (RFC 7208 §4.6.4).
    pub fn costs_lookup(&self) -> bool {
        matches!(
            self.name.as_str(),
            "include" | "a" | "mx" | "ptr" | "exists" | "redirect"
        )
    }

    pub(crate) fn is_include_of(&self, domain: &str) -> bool {
        self.name == "include"
            && self
                .value
                .as_deref()
                .is_some_and(|v| v.trim_end_matches('.').eq_ignore_ascii_case(domain))
    }

    /// The domain this term asks DNS about, when it holds no macro (a macro depends on the
    /// sender, which a static check does not have). `a`, `mx` and `ptr` without a value ask
    /// about `current`.
    fn target(&self, current: &str) -> Option<String> {
        match self.value.as_deref() {
            Some(v) if v.contains('%') => None,
            Some(v) => Some(v.trim_end_matches('.').to_ascii_lowercase()),
            None if matches!(self.name.as_str(), "a" | "mx" | "ptr") => Some(current.to_string()),
            None => None,
        }
    }
}

/// Parses an SPF record; the error names the first term that is not valid SPF and why.
pub fn parse_spf(record: &str) -> Result<Vec<SpfTerm>, String> {
    let mut words = record.split([' ']).filter(|w| !w.is_empty());
    if !words
        .next()
        .is_some_and(|v| v.eq_ignore_ascii_case("v=spf1"))
    {
        return Err("the record does not start with v=spf1".into());
    }
    let mut terms: Vec<SpfTerm> = Vec::new();
    for word in words {
        let term = parse_term(word)?;
        if term.modifier
            && matches!(term.name.as_str(), "redirect" | "exp")
            && terms.iter().any(|t| t.modifier && t.name == term.name)
        {
            return Err(format!(
                "`{}=` appears more than once (RFC 7208 §6: at most once each)",
                term.name
            ));
        }
        terms.push(term);
    }
    Ok(terms)
}

fn parse_term(word: &str) -> Result<SpfTerm, String> {
    // A modifier is `name=value`, its name starting with a letter (RFC 7208 §4.6.1, §12).
    if let Some((name, value)) = word.split_once('=')
        && !name.contains([':', '/'])
    {
        let well_formed = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !well_formed {
            return Err(format!("`{word}` is not a valid SPF modifier"));
        }
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "redirect" => {
                check_domain_spec(value, false).map_err(|why| format!("`{word}`: {why}"))?
            }
            "exp" => check_domain_spec(value, false).map_err(|why| format!("`{word}`: {why}"))?,
            // Unknown modifiers are ignored, but their value is still a macro-string (§6).
            _ => check_macro_string(value, false).map_err(|why| format!("`{word}`: {why}"))?,
        }
        return Ok(SpfTerm {
            text: word.to_string(),
            qualifier: '+',
            name,
            value: Some(value.to_string()),
            modifier: true,
        });
    }
    let (qualifier, rest) = match word.chars().next() {
        Some(q @ ('+' | '-' | '~' | '?')) => (q, &word[1..]),
        _ => ('+', word),
    };
    let (name, after) = match rest.find([':', '/']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let name = name.to_ascii_lowercase();
    let (value, cidr) = match after.strip_prefix(':') {
        Some(v) => match name.as_str() {
            // An ip6 address holds colons; its CIDR length follows the last `/`.
            "ip4" | "ip6" => match v.split_once('/') {
                Some((addr, len)) => (Some(addr.to_string()), Some(len.to_string())),
                None => (Some(v.to_string()), None),
            },
            _ => split_dual_cidr(v),
        },
        None => (None, after.strip_prefix('/').map(str::to_string)),
    };
    let term = SpfTerm {
        text: word.to_string(),
        qualifier,
        name: name.clone(),
        value: value.clone(),
        modifier: false,
    };
    let bad = |why: String| format!("`{word}` {why}");
    match name.as_str() {
        "all" => {
            if !after.is_empty() {
                return Err(bad("takes no value".into()));
            }
        }
        "include" | "exists" => {
            let Some(v) = value.as_deref().filter(|v| !v.is_empty()) else {
                return Err(bad("needs a domain after `:`".into()));
            };
            if cidr.is_some() {
                return Err(bad("takes no CIDR length".into()));
            }
            check_domain_spec(v, false).map_err(|why| bad(format!("has {why}")))?;
        }
        "a" | "mx" => {
            if let Some(v) = value.as_deref() {
                check_domain_spec(v, false).map_err(|why| bad(format!("has {why}")))?;
            }
            if let Some(c) = cidr.as_deref() {
                check_dual_cidr(c).map_err(bad)?;
            }
        }
        "ptr" => {
            if let Some(v) = value.as_deref() {
                check_domain_spec(v, false).map_err(|why| bad(format!("has {why}")))?;
            }
            if cidr.is_some() {
                return Err(bad("takes no CIDR length".into()));
            }
        }
        "ip4" => {
            let Some(v) = value.as_deref() else {
                return Err(bad("needs an IPv4 address after `:`".into()));
            };
            if v.parse::<Ipv4Addr>().is_err() {
                return Err(bad(format!(
                    "has `{v}`, which is not an IPv4 address (RFC 7208 §5.6)"
                )));
            }
            if let Some(c) = cidr.as_deref() {
                check_cidr(c, 32).map_err(bad)?;
            }
        }
        "ip6" => {
            let Some(v) = value.as_deref() else {
                return Err(bad("needs an IPv6 address after `:`".into()));
            };
            if v.parse::<Ipv6Addr>().is_err() {
                return Err(bad(format!(
                    "has `{v}`, which is not an IPv6 address (RFC 7208 §5.6)"
                )));
            }
            if let Some(c) = cidr.as_deref() {
                check_cidr(c, 128).map_err(bad)?;
            }
        }
        _ => return Err(bad("is not an SPF mechanism".into())),
    }
    Ok(term)
}

/// `domain/4[//6]` or `domain//6`: the domain and what follows its first `/`.
fn split_dual_cidr(v: &str) -> (Option<String>, Option<String>) {
    match v.split_once('/') {
        Some((d, c)) => (Some(d.to_string()), Some(c.to_string())),
        None => (Some(v.to_string()), None),
    }
}

/// After the first `/` of an `a` or `mx`: `4`, `4//6` or `/6` (RFC 7208 §5.6 dual-cidr-length).
fn check_dual_cidr(c: &str) -> Result<(), String> {
    let (v4, v6) = match c.split_once("//") {
        Some((v4, v6)) => (v4, Some(v6)),
        None => match c.strip_prefix('/') {
            Some(v6) => ("", Some(v6)),
            None => (c, None),
        },
    };
    if !v4.is_empty() {
        check_cidr(v4, 32)?;
    }
    if let Some(v6) = v6 {
        check_cidr(v6, 128)?;
    }
    Ok(())
}

fn check_cidr(len: &str, max: u32) -> Result<(), String> {
    let ok = !len.is_empty()
        && len.chars().all(|c| c.is_ascii_digit())
        && !(len.len() > 1 && len.starts_with('0'))
        && len.parse::<u32>().is_ok_and(|n| n <= max);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "has the CIDR length `/{len}`, which is not a number from 0 to {max} (RFC 7208 §5.6)"
        ))
    }
}

/// A macro-string (RFC 7208 §7.1): literal characters and macro-expands. `in_exp` allows the
/// letters `c`, `r` and `t`, which are for explanation text only (§7.2).
fn check_macro_string(s: &str, in_exp: bool) -> Result<(), String> {
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            if !('\x21'..='\x7e').contains(&c) {
                return Err(format!("the character `{c}`, which SPF does not allow"));
            }
            continue;
        }
        match chars.next() {
            Some((_, '%' | '_' | '-')) => {}
            Some((_, '{')) => {
                let letter = chars.next().map(|(_, c)| c.to_ascii_lowercase());
                let allowed = match letter {
                    Some('s' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'v') => true,
                    Some('c' | 'r' | 't') => in_exp,
                    _ => false,
                };
                if !allowed {
                    let shown = letter.map_or_else(String::new, |l| l.to_string());
                    return Err(format!(
                        "the macro `%{{{shown}`, whose letter is not one of s, l, o, d, i, p, h, v (RFC 7208 §7.2)"
                    ));
                }
                // transformers: *DIGIT ["r"], then delimiters, then `}`.
                while chars.peek().is_some_and(|(_, c)| c.is_ascii_digit()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|(_, c)| matches!(c, 'r' | 'R')) {
                    chars.next();
                }
                while chars
                    .peek()
                    .is_some_and(|(_, c)| matches!(c, '.' | '-' | '+' | ',' | '/' | '_' | '='))
                {
                    chars.next();
                }
                if !matches!(chars.next(), Some((_, '}'))) {
                    return Err("a macro that is not closed by `}` (RFC 7208 §7.1)".into());
                }
            }
            other => {
                let shown = other.map_or_else(|| "end".to_string(), |(_, c)| c.to_string());
                return Err(format!(
                    "`%` followed by `{shown}`: a literal percent sign is written `%%` (RFC 7208 §7.1)"
                ));
            }
        }
    }
    Ok(())
}

/// A domain-spec (RFC 7208 §7.1): a macro-string ending in `.toplabel` (or a macro).
fn check_domain_spec(s: &str, in_exp: bool) -> Result<(), String> {
    if s.is_empty() {
        return Err("an empty domain".into());
    }
    check_macro_string(s, in_exp)?;
    if s.ends_with('}') {
        return Ok(());
    }
    let trimmed = s.strip_suffix('.').unwrap_or(s);
    let Some((_, top)) = trimmed.rsplit_once('.') else {
        return Err(format!(
            "`{s}`, which is not a domain name with a dot (RFC 7208 §7.1 domain-end)"
        ));
    };
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let toplabel = !top.is_empty()
        && top.chars().all(|c| alnum(c) || c == '-')
        && !top.starts_with('-')
        && !top.ends_with('-')
        && (top.chars().any(|c| c.is_ascii_alphabetic()) || top.contains('-'));
    if toplabel {
        Ok(())
    } else {
        Err(format!(
            "`{s}`, whose last label `{top}` is not a valid top label (RFC 7208 §7.1)"
        ))
    }
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
    /// More than one SPF record: a permanent error (RFC 7208 §4.5). `at` is the domain that
    /// has them (the domain itself, or one its record includes).
    Several {
        at: String,
        count: usize,
    },
    /// A syntax error: a permanent error (RFC 7208 §4.6). `at` names the record's domain.
    Invalid {
        at: String,
        reason: String,
    },
    /// More than 10 DNS-querying terms through the whole tree of includes: a permanent error
    /// (RFC 7208 §4.6.4). `chain` is the costliest path, each term as written in its record
    /// with the lookups it costs (its own included).
    TooManyLookups {
        lookups: usize,
        chain: Vec<(String, usize)>,
    },
    /// `include`s (or `redirect`s) that lead back to a record already being evaluated: the
    /// evaluation never ends, so receivers stop at the lookup limit with a permanent error
    /// (RFC 7208 §4.6.4). `through` is the loop, as domains.
    Loop {
        through: Vec<String>,
    },
    /// More than two lookups find nothing (RFC 7208 §4.6.4): each term as written, and where.
    TooManyVoidLookups {
        voids: Vec<String>,
    },
    /// An `include` (or `redirect`) of a domain without an SPF record: a permanent error
    /// (RFC 7208 §5.2, §6.1).
    IncludeWithoutSpf {
        term: String,
        at: String,
    },
    /// An `mx` whose domain has more than 10 MX names: a permanent error (RFC 7208 §4.6.4).
    TooManyMxNames {
        term: String,
        count: usize,
    },
    /// `+all` (or a bare `all`): every host on the internet passes (RFC 7208 §5.1).
    AllowsAll {
        record: String,
        lookups: usize,
    },
    /// `redirect=` beside `all`: the modifier is ignored (RFC 7208 §6.1).
    RedirectIgnored {
        record: String,
        lookups: usize,
    },
    /// `ptr` is used: slow, unreliable and not to be published (RFC 7208 §5.5).
    Ptr {
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
            SpfFinding::Loop { .. } => "spf::include-loop",
            SpfFinding::TooManyVoidLookups { .. } => "spf::too-many-void-lookups",
            SpfFinding::IncludeWithoutSpf { .. } => "spf::include-without-spf",
            SpfFinding::TooManyMxNames { .. } => "spf::too-many-mx-names",
            SpfFinding::AllowsAll { .. } => "spf::allows-all",
            SpfFinding::RedirectIgnored { .. } => "spf::redirect-ignored",
            SpfFinding::Ptr { .. } => "spf::ptr",
            SpfFinding::Valid { .. } => "spf::valid",
        }
    }

    /// The snapshot's coarse kind: `absent`, `unknown`, `no-such-domain`, `several`, `invalid`
    /// (a permanent error) or `valid` (warnings included).
    pub fn kind(&self) -> &'static str {
        match self {
            SpfFinding::Absent => "absent",
            SpfFinding::Unknown { .. } => "unknown",
            SpfFinding::NoSuchDomain => "no-such-domain",
            SpfFinding::Several { .. } => "several",
            SpfFinding::Invalid { .. }
            | SpfFinding::TooManyLookups { .. }
            | SpfFinding::Loop { .. }
            | SpfFinding::TooManyVoidLookups { .. }
            | SpfFinding::IncludeWithoutSpf { .. }
            | SpfFinding::TooManyMxNames { .. } => "invalid",
            SpfFinding::AllowsAll { .. }
            | SpfFinding::RedirectIgnored { .. }
            | SpfFinding::Ptr { .. }
            | SpfFinding::Valid { .. } => "valid",
        }
    }

    /// Whether nothing is wrong: a valid record, or none (which the RFC allows).
    pub fn is_fine(&self) -> bool {
        matches!(self, SpfFinding::Absent | SpfFinding::Valid { .. })
    }

    /// What was found, in plain words.
    pub fn message(&self) -> String {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            SpfFinding::Absent => "the domain has no SPF record".into(),
            SpfFinding::Unknown { reason } => format!(
                "whether the domain has an SPF record is unknown: its DNS servers did not answer ({reason})"
            ),
            SpfFinding::NoSuchDomain => {
                "the domain does not exist in DNS (its name servers answer NXDOMAIN)".into()
            }
            SpfFinding::Several { at, count } => format!(
                "permanent error (RFC 7208 §4.5): {at} has {count} SPF records (v=spf1), so receivers use none of them"
            ),
            SpfFinding::Invalid { at, reason } => format!(
                "permanent error (RFC 7208 §4.6): the SPF record of {at} has a syntax error: {reason}"
            ),
            SpfFinding::TooManyLookups { lookups, chain } => {
                let path = chain
                    .iter()
                    .map(|(term, n)| format!("{term} ({n} lookup{})", s(*n)))
                    .collect::<Vec<_>>()
                    .join(" → ");
                let costliest = if path.is_empty() {
                    String::new()
                } else {
                    format!("; the costliest chain is {path}")
                };
                format!(
                    "permanent error (RFC 7208 §4.6.4): checking the SPF record takes {lookups} DNS lookups, more than the {SPF_LOOKUP_LIMIT} allowed, so receivers treat it as broken{costliest}"
                )
            }
            SpfFinding::Loop { through } => format!(
                "permanent error (RFC 7208 §4.6.4): the SPF records include each other in a loop through {}, so checking them never ends and receivers stop at the {SPF_LOOKUP_LIMIT}-lookup limit",
                join_and(through)
            ),
            SpfFinding::TooManyVoidLookups { voids } => format!(
                "permanent error (RFC 7208 §4.6.4): {} lookups find nothing, more than the {VOID_LOOKUP_LIMIT} allowed: {}",
                voids.len(),
                voids.join(", ")
            ),
            SpfFinding::IncludeWithoutSpf { term, at } => format!(
                "permanent error (RFC 7208 §5.2): `{term}` names {at}, which has no SPF record, so the whole record fails"
            ),
            SpfFinding::TooManyMxNames { term, count } => format!(
                "permanent error (RFC 7208 §4.6.4): `{term}` finds {count} MX names, more than the {MX_NAME_LIMIT} allowed"
            ),
            SpfFinding::AllowsAll { record, .. } => format!(
                "`{record}` ends in `+all` (RFC 7208 §5.1): every host on the internet passes SPF for the domain, so SPF protects nothing"
            ),
            SpfFinding::RedirectIgnored { record, .. } => format!(
                "`{record}` has both `all` and `redirect=`: receivers ignore the redirect (RFC 7208 §6.1), so the domain it names is never consulted"
            ),
            SpfFinding::Ptr { record, .. } => format!(
                "`{record}` uses `ptr`, which RFC 7208 §5.5 says not to publish: it is slow, unreliable, and some receivers skip it"
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
                        " (not counted: {} did not answer)",
                        unresolved.join(", ")
                    ));
                }
                text
            }
        }
    }

    /// What the domain's administrators should do; `None` when nothing is wrong.
    pub fn remedy(&self) -> Option<&'static str> {
        remedy(self.code())
    }
}

/// The fix for a finding's code (the plan reads findings back from a snapshot by code).
pub fn remedy(code: &str) -> Option<&'static str> {
    Some(match code {
        "spf::unknown" => {
            "check that the domain's name servers answer; mailform asks again on the next plan"
        }
        "dns::no-such-domain" => {
            "check the spelling of the sending address's domain, or register the domain first"
        }
        "spf::several-records" => "merge the SPF records into one TXT record starting v=spf1",
        "spf::syntax-error" => {
            "correct the term named; each term must be a mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a modifier (redirect=, exp=), a literal % is written %%"
        }
        "spf::too-many-lookups" => {
            "remove includes of services that no longer send for the domain, or replace includes with their ip4:/ip6: ranges, until 10 lookups or fewer remain"
        }
        "spf::include-loop" => "remove the include that points back to a record already included",
        "spf::too-many-void-lookups" => {
            "remove the terms whose names do not exist or have no such records, so that at most two lookups find nothing"
        }
        "spf::include-without-spf" => {
            "remove the include, or correct its name to the service's SPF domain (its documentation gives it)"
        }
        "spf::too-many-mx-names" => {
            "replace `mx` with the mail servers' ip4:/ip6: ranges, or keep at most 10 MX records"
        }
        "spf::allows-all" => "end the record with `~all` or `-all`",
        "spf::redirect-ignored" => {
            "remove `all` to let the redirect apply, or remove `redirect=`, which has no effect"
        }
        "spf::ptr" => "replace `ptr` with the senders' ip4:/ip6: ranges or an `a:` of their names",
        _ => return None,
    })
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The SPF records at `name`, when its TXT question was answered.
fn spf_records(obs: &Observations, name: &str) -> Option<Result<Vec<String>, String>> {
    match obs.get(&Query::new(name, Rtype::Txt))? {
        Answer::Failed(reason) => Some(Err(reason.clone())),
        _ => Some(Ok(data_at(obs, name, Rtype::Txt)
            .into_iter()
            .filter(|t| is_spf(t))
            .collect())),
    }
}

/// The questions a record's term needs beyond the TXT of an include: the addresses of `a`,
/// the MX of `mx`, the A of `exists` (to count void lookups and MX names).
fn term_queries(term: &SpfTerm, current: &str) -> Vec<Query> {
    let Some(target) = term.target(current) else {
        return Vec::new();
    };
    match term.name.as_str() {
        "a" => vec![
            Query::new(&target, Rtype::A),
            Query::new(&target, Rtype::Aaaa),
        ],
        "mx" => vec![Query::new(&target, Rtype::Mx)],
        "exists" => vec![Query::new(&target, Rtype::A)],
        "include" | "redirect" => vec![Query::new(&target, Rtype::Txt)],
        _ => Vec::new(),
    }
}

/// Whether a term's `redirect` applies: not when the record has `all` (RFC 7208 §6.1).
fn applies(term: &SpfTerm, terms: &[SpfTerm]) -> bool {
    !(term.modifier && term.name == "redirect" && terms.iter().any(|t| t.name == "all"))
}

/// The questions judging `domain`'s SPF still needs: the domain's TXT, then for every record
/// reached the TXT of each include and redirect and the lookups of `a`, `mx` and `exists`. Ask
/// them and call again until it returns nothing.
pub fn spf_followups(domain: &str, obs: &Observations) -> Vec<Query> {
    let mut wanted = Vec::new();
    let mut stack = vec![(domain.trim_end_matches('.').to_ascii_lowercase(), 0usize)];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((name, depth)) = stack.pop() {
        if !seen.insert(name.clone()) || depth > SPF_LOOKUP_LIMIT {
            continue;
        }
        let records = match spf_records(obs, &name) {
            None => {
                wanted.push(Query::new(&name, Rtype::Txt));
                continue;
            }
            Some(Ok(r)) => r,
            Some(Err(_)) => continue,
        };
        if let [one] = records.as_slice()
            && let Ok(terms) = parse_spf(one)
        {
            for t in terms.iter().filter(|t| applies(t, &terms)) {
                for q in term_queries(t, &name) {
                    if q.rtype == Rtype::Txt {
                        stack.push((q.name, depth + 1));
                    } else if !obs.contains_key(&q) {
                        wanted.push(q);
                    }
                }
            }
        }
    }
    wanted
}

/// Judges `domain`'s SPF record through every include already observed.
pub fn judge_spf(domain: &str, obs: &Observations) -> SpfFinding {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    match obs.get(&Query::new(&domain, Rtype::Txt)) {
        Some(Answer::Failed(reason)) => {
            return SpfFinding::Unknown {
                reason: reason.clone(),
            };
        }
        Some(Answer::NxDomain) => return SpfFinding::NoSuchDomain,
        _ => {}
    }
    let records = match spf_records(obs, &domain) {
        Some(Ok(r)) => r,
        _ => Vec::new(),
    };
    let record = match records.as_slice() {
        [] => return SpfFinding::Absent,
        [one] => one.clone(),
        several => {
            return SpfFinding::Several {
                at: domain,
                count: several.len(),
            };
        }
    };
    let terms = match parse_spf(&record) {
        Ok(t) => t,
        Err(reason) => return SpfFinding::Invalid { at: domain, reason },
    };
    let mut walk = Walk {
        obs,
        stack: vec![domain.clone()],
        voids: Vec::new(),
        unresolved: Vec::new(),
        ptr: false,
        redirect_ignored: false,
        budget: 64,
    };
    let tally = match walk.record(&domain, &terms) {
        Ok(t) => t,
        Err(finding) => return finding,
    };
    if tally.lookups > SPF_LOOKUP_LIMIT {
        return SpfFinding::TooManyLookups {
            lookups: tally.lookups,
            chain: tally.heaviest,
        };
    }
    if walk.voids.len() > VOID_LOOKUP_LIMIT {
        return SpfFinding::TooManyVoidLookups { voids: walk.voids };
    }
    let lookups = tally.lookups;
    let all = terms.iter().rev().find(|t| t.name == "all");
    if all.is_some_and(|t| t.qualifier == '+') {
        return SpfFinding::AllowsAll { record, lookups };
    }
    if walk.redirect_ignored {
        return SpfFinding::RedirectIgnored { record, lookups };
    }
    if walk.ptr {
        return SpfFinding::Ptr { record, lookups };
    }
    SpfFinding::Valid {
        record,
        lookups,
        unresolved: walk.unresolved,
    }
}

/// The lookups below some terms, and the costliest chain of includes among them.
#[derive(Default)]
struct Tally {
    lookups: usize,
    heaviest: Vec<(String, usize)>,
}

/// One static evaluation of a tree of records.
struct Walk<'a> {
    obs: &'a Observations,
    /// The domains whose records are being evaluated, outermost first.
    stack: Vec<String>,
    voids: Vec<String>,
    unresolved: Vec<String>,
    ptr: bool,
    redirect_ignored: bool,
    /// Records evaluated at most, whatever the answers (a guard, far above any valid tree).
    budget: usize,
}

impl Walk<'_> {
    /// Tallies one record's terms; a permanent error anywhere below is returned as is.
    fn record(&mut self, current: &str, terms: &[SpfTerm]) -> Result<Tally, SpfFinding> {
        let mut t = Tally::default();
        let mut heaviest_cost = 0;
        for term in terms {
            if !applies(term, terms) {
                self.redirect_ignored = true;
                continue;
            }
            if term.costs_lookup() {
                t.lookups += 1;
            }
            if term.name == "ptr" {
                self.ptr = true;
            }
            let Some(target) = term.target(current) else {
                continue;
            };
            match term.name.as_str() {
                "a" => {
                    let empty = [Rtype::A, Rtype::Aaaa]
                        .iter()
                        .map(|r| self.obs.get(&Query::new(&target, *r)))
                        .all(|a| matches!(a, Some(Answer::NoData | Answer::NxDomain)));
                    if empty {
                        self.voids.push(format!("`{}` in {current}", term.text));
                    }
                }
                "exists" => {
                    if matches!(
                        self.obs.get(&Query::new(&target, Rtype::A)),
                        Some(Answer::NoData | Answer::NxDomain)
                    ) {
                        self.voids.push(format!("`{}` in {current}", term.text));
                    }
                }
                "mx" => match self.obs.get(&Query::new(&target, Rtype::Mx)) {
                    Some(Answer::NoData | Answer::NxDomain) => {
                        self.voids.push(format!("`{}` in {current}", term.text));
                    }
                    Some(Answer::Records(_)) => {
                        let count = data_at(self.obs, &target, Rtype::Mx).len();
                        if count > MX_NAME_LIMIT {
                            return Err(SpfFinding::TooManyMxNames {
                                term: term.text.clone(),
                                count,
                            });
                        }
                    }
                    _ => {}
                },
                "include" | "redirect" => {
                    let sub = self.included(term, &target)?;
                    t.lookups += sub.lookups;
                    let cost = sub.lookups + 1;
                    if cost > heaviest_cost {
                        heaviest_cost = cost;
                        t.heaviest = std::iter::once((term.text.clone(), cost))
                            .chain(sub.heaviest)
                            .collect();
                    }
                }
                _ => {}
            }
        }
        Ok(t)
    }

    /// The record an `include` or `redirect` names, tallied.
    fn included(&mut self, term: &SpfTerm, target: &str) -> Result<Tally, SpfFinding> {
        if let Some(start) = self.stack.iter().position(|d| d == target) {
            let mut through: Vec<String> = self.stack[start..].to_vec();
            through.dedup();
            return Err(SpfFinding::Loop { through });
        }
        let records = match spf_records(self.obs, target) {
            None | Some(Err(_)) => {
                self.unresolved.push(target.to_string());
                return Ok(Tally::default());
            }
            Some(Ok(r)) => r,
        };
        if matches!(
            self.obs.get(&Query::new(target, Rtype::Txt)),
            Some(Answer::NoData | Answer::NxDomain)
        ) {
            self.voids.push(format!("`{}`", term.text));
        }
        let record = match records.as_slice() {
            [] => {
                return Err(SpfFinding::IncludeWithoutSpf {
                    term: term.text.clone(),
                    at: target.to_string(),
                });
            }
            [one] => one,
            several => {
                return Err(SpfFinding::Several {
                    at: target.to_string(),
                    count: several.len(),
                });
            }
        };
        let terms = parse_spf(record).map_err(|reason| SpfFinding::Invalid {
            at: target.to_string(),
            reason,
        })?;
        if self.budget == 0 {
            self.unresolved.push(target.to_string());
            return Ok(Tally::default());
        }
        self.budget -= 1;
        self.stack.push(target.to_string());
        let sub = self.record(target, &terms);
        self.stack.pop();
        sub
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns_check::Rr;

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
    fn syntax_to_the_letter() {
        for ok in [
            "v=spf1 include:_spf.example.com ~all",
            "V=SPF1 MX -ALL",
            "v=spf1 ip4:192.0.2.0/24 a/24 mx//64 a:x.example.org/24//64 -all",
            "v=spf1 ip6:2001:db8::/32 -all",
            "v=spf1 exists:%{i}.%{l1r+-}._spf.example.org -all",
            "v=spf1 redirect=_spf.example.org",
            "v=spf1 exp=explain.%{d} -all",
            "v=spf1 foo=bar -all",
        ] {
            assert!(parse_spf(ok).is_ok(), "{ok}: {:?}", parse_spf(ok));
        }
        for (bad, why) in [
            ("v=spf1 include: ~all", "needs a domain"),
            ("v=spf1 inclde:x.example.com ~all", "not an SPF mechanism"),
            ("v=spf1 ip4:192.0.2.300 -all", "not an IPv4 address"),
            ("v=spf1 ip4:192.0.2.0/33 -all", "CIDR length"),
            ("v=spf1 ip6:2001:db8::g -all", "not an IPv6 address"),
            ("v=spf1 exists:%{x}.example.org -all", "macro `%{x`"),
            ("v=spf1 exists:%{c}.example.org -all", "macro `%{c`"),
            ("v=spf1 include:50%.example.org -all", "literal percent"),
            ("v=spf1 include:example -all", "with a dot"),
            (
                "v=spf1 redirect=a.example.org redirect=b.example.org",
                "more than once",
            ),
            ("v=spf1 all:x.example.org", "takes no value"),
        ] {
            let got = parse_spf(bad).unwrap_err();
            assert!(got.contains(why), "{bad}: {got}");
        }
    }

    #[test]
    fn lookups_voids_loops_and_redirects() {
        let mut o = Observations::new();
        txt(
            &mut o,
            "d.example.org",
            "v=spf1 include:a.example.org mx -all",
        );
        assert_eq!(
            spf_followups("d.example.org", &o),
            vec![
                Query::new("d.example.org", Rtype::Mx),
                Query::new("a.example.org", Rtype::Txt)
            ]
        );
        o.insert(Query::new("d.example.org", Rtype::Mx), Answer::NoData);
        txt(&mut o, "a.example.org", "v=spf1 ip4:192.0.2.1 -all");
        assert!(spf_followups("d.example.org", &o).is_empty());
        assert!(matches!(
            judge_spf("d.example.org", &o),
            SpfFinding::Valid { lookups: 2, .. }
        ));

        txt(
            &mut o,
            "loop.example.org",
            "v=spf1 include:b.example.org -all",
        );
        txt(
            &mut o,
            "b.example.org",
            "v=spf1 include:loop.example.org -all",
        );
        assert_eq!(
            judge_spf("loop.example.org", &o),
            SpfFinding::Loop {
                through: vec!["loop.example.org".into(), "b.example.org".into()]
            }
        );

        txt(
            &mut o,
            "r.example.org",
            "v=spf1 mx redirect=a.example.org -all",
        );
        o.insert(Query::new("r.example.org", Rtype::Mx), Answer::NoData);
        assert_eq!(
            judge_spf("r.example.org", &o).code(),
            "spf::redirect-ignored"
        );

        txt(
            &mut o,
            "v.example.org",
            "v=spf1 a:n1.example.org a:n2.example.org exists:n3.example.org -all",
        );
        for n in ["n1", "n2"] {
            o.insert(
                Query::new(format!("{n}.example.org"), Rtype::A),
                Answer::NxDomain,
            );
            o.insert(
                Query::new(format!("{n}.example.org"), Rtype::Aaaa),
                Answer::NxDomain,
            );
        }
        o.insert(Query::new("n3.example.org", Rtype::A), Answer::NoData);
        assert_eq!(
            judge_spf("v.example.org", &o).code(),
            "spf::too-many-void-lookups"
        );

        txt(
            &mut o,
            "i.example.org",
            "v=spf1 include:none.example.org -all",
        );
        o.insert(Query::new("none.example.org", Rtype::Txt), Answer::NoData);
        assert_eq!(
            judge_spf("i.example.org", &o).code(),
            "spf::include-without-spf"
        );

        txt(&mut o, "open.example.org", "v=spf1 all");
        assert_eq!(judge_spf("open.example.org", &o).code(), "spf::allows-all");
    }
}
