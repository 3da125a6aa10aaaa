//! The vocabulary of DNS answers the judge reads: a [`Query`], the [`Answer`] to it, and the
//! [`Observations`] of a refresh. The judge owns these types; the resolver (`live::dns`) fills
//! them.

use std::collections::BTreeMap;

/// The record types mailform asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rtype {
    A,
    Aaaa,
    Cname,
    Mx,
    Ns,
    Soa,
    Txt,
}

impl Rtype {
    pub fn as_str(self) -> &'static str {
        match self {
            Rtype::A => "A",
            Rtype::Aaaa => "AAAA",
            Rtype::Cname => "CNAME",
            Rtype::Mx => "MX",
            Rtype::Ns => "NS",
            Rtype::Soa => "SOA",
            Rtype::Txt => "TXT",
        }
    }
}

/// One question: a name (lower case, no trailing dot) and a type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Query {
    pub name: String,
    pub rtype: Rtype,
}

impl Query {
    pub fn new(name: impl Into<String>, rtype: Rtype) -> Self {
        Query {
            name: name.into().trim_end_matches('.').to_ascii_lowercase(),
            rtype,
        }
    }
}

/// One record of an answer, as text: CNAME/NS targets as names without the trailing dot, TXT
/// as its strings joined, MX as `PREFERENCE EXCHANGE`, addresses as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rr {
    /// The owner name; differs from the question when a CNAME was followed.
    pub owner: String,
    pub rtype: Rtype,
    pub data: String,
}

/// What the DNS said to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// NOERROR with records: what the server put in its answer (at a CNAME, the CNAME, and
    /// the target's records only when the same server holds them).
    Records(Vec<Rr>),
    /// NOERROR, no records of this type at the name.
    NoData,
    /// The name does not exist.
    NxDomain,
    /// The question could not be answered (timeout, refused, SERVFAIL).
    Failed(String),
}

impl Answer {
    /// The records whose owner is exactly `name` and whose type is `rtype`.
    pub fn at<'a>(&'a self, name: &'a str, rtype: Rtype) -> impl Iterator<Item = &'a Rr> + 'a {
        let records: &[Rr] = match self {
            Answer::Records(r) => r,
            _ => &[],
        };
        records
            .iter()
            .filter(move |r| r.owner == name && r.rtype == rtype)
    }
}

/// The answers to a set of questions; what the pure checks read.
pub type Observations = BTreeMap<Query, Answer>;
