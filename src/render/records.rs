//! The DNS records of one library, as a handoff for its IT staff (method 1) or, for a managed
//! domain (method 3), as information about the records mailform writes itself. Pure: built
//! from the library file and a live snapshot, rendered as an aligned table, zone-file lines,
//! CSV or Markdown.
//!
//! The DKIM targets come from the identity's `SigningHostedZone`, never a hard-coded
//! `dkim.amazonses.com`: the zone differs between regions and partitions.

use std::fmt::Write as _;

use crate::dns_check::MailFromExpectation;
use crate::dns_provider::DnsProvider;
use crate::live::snapshot::{CheckV1, LiveSnapshotV1};
use crate::model::{DeliveryMethod, Library};
use crate::plan::Information;
use crate::plan::actions::{dns_provider, domain_information, host_part};
use crate::text::markdown::{code, code_cell, inline};
use crate::text::visible;

/// The TTL suggested for every record: Route 53's own choice for Easy DKIM records, short
/// enough that a mistake is corrected within the hour.
pub const SUGGESTED_TTL: u32 = 1800;

/// Who puts the records into DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installer {
    /// Method 1: the library's IT staff, at their DNS provider.
    Library,
    /// Method 3: mailform, in the managed domain's Route 53 hosted zone.
    Mailform,
}

/// Everything the handoff says about one library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSheet {
    pub library: String,
    pub name: String,
    pub domain: String,
    pub installer: Installer,
    /// SES's verification status of the identity (`PENDING`, `SUCCESS`, …).
    pub identity_status: Option<String>,
    /// When the live state was read (RFC 3339).
    pub taken_at: String,
    pub records: Vec<SheetRecord>,
    /// The domain's SPF and DMARC findings: information, nothing to install.
    pub information: Vec<Information>,
    /// The library's DNS provider, recognised from its name servers; `None` when unknown (the
    /// instructions then stay general).
    pub provider: Option<DnsProvider>,
}

/// One record: what to enter, and what mailform sees now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRecord {
    /// Fully qualified, without the trailing dot.
    pub name: String,
    /// The name relative to the library's domain (`@` for the domain itself).
    pub host: String,
    pub rtype: String,
    /// As a provider's form wants it: a CNAME target without the trailing dot, an MX as
    /// `PRIORITY HOST`, a TXT value without quotes.
    pub value: String,
    pub ttl: u32,
    /// The DNS check's verdict code; `None` when the snapshot has no check for the record.
    pub status: Option<String>,
    /// What was found instead, as the check described it.
    pub found: Option<String>,
}

impl SheetRecord {
    fn status_text(&self) -> &str {
        self.status.as_deref().unwrap_or("not checked")
    }
}

/// Why there is no handoff for a library.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(
        "library `{library}` sends through its own SMTP account (method 2): there are no DNS records to install; `mailform probe {library}` checks the account"
    )]
    SmtpAccount { library: String },
    #[error(
        "the live snapshot covers only {targets}, not library `{library}`: run `mailform refresh --target {library}` or leave out --live"
    )]
    NotInSnapshot { library: String, targets: String },
    #[error(
        "there is no SES identity {domain} for library `{library}` yet: run apply first; the tokens are created with the identity"
    )]
    NoIdentity { library: String, domain: String },
    #[error(
        "the SES identity {domain} of library `{library}` has no Easy DKIM tokens yet: run apply to turn on Easy DKIM, then `mailform records {library}` again"
    )]
    NoTokens { library: String, domain: String },
}

/// The records of `library` from the live snapshot.
pub fn sheet(library: &Library, live: &LiveSnapshotV1) -> Result<RecordSheet, RecordsError> {
    let id = library.id.as_str().to_string();
    let (domain, installer, mail_from) = match &library.method {
        DeliveryMethod::SmtpAccount(_) => return Err(RecordsError::SmtpAccount { library: id }),
        DeliveryMethod::SesDomain(m) => (m.from.domain(), Installer::Library, m.mail_from.clone()),
        DeliveryMethod::ManagedDomain(m) => (&m.domain, Installer::Mailform, None),
    };
    // A snapshot read with --target knows nothing of the other libraries; "no identity" would
    // be a false alarm.
    if let Some(targets) = live.targets.as_ref().filter(|t| !t.contains(&id)) {
        return Err(RecordsError::NotInSnapshot {
            library: id,
            targets: targets.join(", "),
        });
    }
    let Some(identity) = live
        .ses
        .identities
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(domain.as_str()))
    else {
        return Err(RecordsError::NoIdentity {
            library: id,
            domain: domain.to_string(),
        });
    };
    let dkim = identity
        .dkim
        .as_ref()
        .filter(|d| !d.tokens.is_empty())
        .and_then(|d| Some((&d.tokens, d.signing_hosted_zone.as_deref()?)));
    let Some((tokens, signing_zone)) = dkim else {
        return Err(RecordsError::NoTokens {
            library: id,
            domain: domain.to_string(),
        });
    };
    let dns = live
        .libraries
        .iter()
        .find(|l| l.id == id)
        .and_then(|l| l.dns.as_ref());
    let information = dns
        .map(|d| domain_information(d, mail_from.as_ref().map(|m| m.as_str())))
        .unwrap_or_default();
    let checks: Vec<&CheckV1> = dns
        .map(|d| d.dkim.iter().chain(&d.mail_from).collect())
        .unwrap_or_default();
    let record = |name: String, rtype: &str, value: String| {
        let check = checks
            .iter()
            .find(|c| c.name.trim_end_matches('.').eq_ignore_ascii_case(&name) && c.rtype == rtype);
        SheetRecord {
            host: host_part(&name, domain),
            rtype: rtype.to_string(),
            value,
            ttl: SUGGESTED_TTL,
            status: check.map(|c| c.verdict.clone()),
            found: check.and_then(|c| c.detail.clone()),
            name,
        }
    };
    let zone = signing_zone.trim_end_matches('.');
    let mut records: Vec<SheetRecord> = tokens
        .iter()
        .map(|t| {
            record(
                format!("{t}._domainkey.{domain}"),
                "CNAME",
                format!("{t}.{zone}"),
            )
        })
        .collect();
    if let Some(mail_from) = mail_from {
        let expect = MailFromExpectation {
            domain: mail_from.clone(),
            region: live.region.clone(),
        };
        records.push(record(mail_from.to_string(), "MX", expect.mx()));
        records.push(record(
            mail_from.to_string(),
            "TXT",
            expect.spf().to_string(),
        ));
    }
    Ok(RecordSheet {
        library: id,
        name: library.name.clone(),
        domain: domain.to_string(),
        installer,
        identity_status: identity
            .dkim
            .as_ref()
            .and_then(|d| d.status.clone())
            .or_else(|| identity.verification_status.clone()),
        taken_at: live.taken_at.clone(),
        records,
        information,
        provider: dns.and_then(dns_provider).cloned(),
    })
}

fn intro(s: &RecordSheet) -> String {
    let n = s.records.len();
    match s.installer {
        Installer::Library => match &s.provider {
            Some(p) => format!(
                "Add these {n} records at {}, the DNS provider of {} (known from its name servers), exactly as listed.",
                p.name, s.domain
            ),
            None => format!(
                "Add these {n} records at the DNS provider of {}, exactly as listed.",
                s.domain
            ),
        },
        Installer::Mailform => format!(
            "For information: {} is a managed domain; mailform writes these {n} records in its Route 53 hosted zone itself. Nothing to install.",
            s.domain
        ),
    }
}

fn status_line(s: &RecordSheet) -> String {
    format!(
        "SES identity {}: {}; DNS as seen at {}",
        s.domain,
        s.identity_status.as_deref().unwrap_or("status unknown"),
        s.taken_at
    )
}

/// How to enter the records; only for the library's own DNS provider.
fn instructions(s: &RecordSheet) -> Vec<String> {
    let example = s.records.first().map_or_else(String::new, |r| {
        format!(" (`{}`, not `{}`)", r.host, r.name)
    });
    let mut out = match &s.provider {
        Some(p) => provider_instructions(s, p),
        None => vec![
            format!(
                "Host: enter only the host part if your provider appends the domain itself, as most do{example}; otherwise the full name. Entering the full name where the domain is appended puts {} in the name twice.",
                s.domain
            ),
            "Do not proxy the records (Cloudflare: \"DNS only\", grey cloud) and do not let the provider flatten the CNAMEs into addresses: SES must see the CNAMEs themselves.".into(),
            "Create the CNAMEs as type CNAME, not TXT, and with no other record of the same name.".into(),
            format!("TTL: {SUGGESTED_TTL} seconds, or the provider's default."),
        ],
    };
    if s.records.iter().any(|r| r.rtype == "MX") {
        out.push("MX: priority 10 and the mail server name; some forms have a field for each. Keep it the only MX of that name.".into());
        out.push("TXT: the value without the surrounding quotes unless the form asks for them; keep it the only SPF record (v=spf1) of that name.".into());
    }
    out.push(
        "SES looks for the DKIM records for 72 hours after the identity is created; run `mailform records` again to see what mailform sees.".into(),
    );
    out
}

/// The instructions in the words of a recognised provider's form.
fn provider_instructions(s: &RecordSheet, p: &DnsProvider) -> Vec<String> {
    let (field, what) = &p.host_field;
    let example = s.records.first().map_or_else(String::new, |r| {
        format!(": enter `{}`, not `{}`", r.host, r.name)
    });
    let mut out = vec![format!(
        "{field}: {what}{example}. Entering the full name there puts {} in the name twice.",
        s.domain
    )];
    if let Some(value) = &p.value_field {
        out.push(format!("{value}: the value exactly as listed."));
    }
    match &p.proxy {
        Some(proxy) => out.push(format!(
            "{proxy}; SES must see the CNAMEs themselves, not {}'s addresses.",
            p.name
        )),
        None => out.push(
            "Do not let the provider flatten the CNAMEs into addresses: SES must see the CNAMEs themselves.".into(),
        ),
    }
    out.push(
        "Create the CNAMEs as type CNAME, not TXT, and with no other record of the same name."
            .into(),
    );
    out.push(format!("TTL: {}.", p.ttl));
    out
}

/// The sheet with every string from outside (the library's name, SES's status, DNS answers,
/// the checks' words about them) shown with its hidden characters made visible, for a
/// terminal.
fn shown(s: &RecordSheet) -> RecordSheet {
    let v = |t: &str| visible(t).into_owned();
    RecordSheet {
        library: v(&s.library),
        name: v(&s.name),
        domain: v(&s.domain),
        identity_status: s.identity_status.as_deref().map(v),
        taken_at: v(&s.taken_at),
        records: s
            .records
            .iter()
            .map(|r| SheetRecord {
                name: v(&r.name),
                host: v(&r.host),
                rtype: v(&r.rtype),
                value: v(&r.value),
                ttl: r.ttl,
                status: r.status.as_deref().map(v),
                found: r.found.as_deref().map(v),
            })
            .collect(),
        information: s
            .information
            .iter()
            .map(|i| Information {
                message: v(&i.message),
                ..i.clone()
            })
            .collect(),
        ..s.clone()
    }
}

/// Aligned text for a terminal or a plain-text e-mail.
pub fn to_table(s: &RecordSheet) -> String {
    let s = &shown(s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "DNS records for {} (library {}, {})",
        s.domain, s.library, s.name
    );
    let _ = writeln!(out, "{}", intro(s));
    let _ = writeln!(out, "{}\n", status_line(s));

    let header = ["#", "TYPE", "HOST", "VALUE", "TTL", "NOW"];
    let rows: Vec<[String; 6]> = s
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            [
                (i + 1).to_string(),
                r.rtype.clone(),
                r.host.clone(),
                r.value.clone(),
                r.ttl.to_string(),
                r.status_text().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                let _ = write!(l, "{cell:<w$}  ");
            }
        }
        l
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }

    let _ = writeln!(out, "\nFull names:");
    for (i, r) in s.records.iter().enumerate() {
        let _ = writeln!(out, "  {}  {}", i + 1, r.name);
    }
    let found: Vec<(usize, &SheetRecord)> = s
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.found.is_some())
        .collect();
    if !found.is_empty() {
        let _ = writeln!(out, "\nWhat mailform sees now:");
        for (i, r) in found {
            let _ = writeln!(
                out,
                "  {}  {}: {}",
                i + 1,
                r.status_text(),
                r.found.as_deref().unwrap_or_default()
            );
        }
    }
    if s.installer == Installer::Library {
        let _ = writeln!(out, "\nHow to enter them:");
        for text in instructions(s) {
            let _ = writeln!(out, "  - {text}");
        }
    }
    if !s.information.is_empty() {
        let _ = writeln!(out, "\nFor information, nothing to change for mailform:");
        for i in &s.information {
            let _ = writeln!(out, "  - {}: {}", i.code, i.message);
            let _ = writeln!(out, "    why: {}", i.why);
            if let Some(fix) = &i.remedy {
                let _ = writeln!(out, "    fix, for the domain's own sake: {fix}");
            }
        }
    }
    out
}

/// Zone-file lines with absolute names, for a provider's import or a BIND-style zone.
pub fn to_zone(s: &RecordSheet) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; DNS records for {} (mailform library {})",
        s.domain, s.library
    );
    let _ = writeln!(out, "; {}", one_line(&status_line(s)));
    if let Some(p) = s
        .provider
        .as_ref()
        .filter(|_| s.installer == Installer::Library)
    {
        let _ = writeln!(
            out,
            "; DNS provider (from its name servers): {}: {}",
            p.name,
            one_line(&p.form_line())
        );
    }
    for i in &s.information {
        let _ = writeln!(
            out,
            "; for information: {}: {}",
            i.code,
            one_line(&i.message)
        );
    }
    for r in &s.records {
        let mut comment = format!("; {}", r.status_text());
        if let Some(found) = &r.found {
            let _ = write!(comment, ": {}", one_line(found));
        }
        let _ = writeln!(out, "{comment}");
        let data = match r.rtype.as_str() {
            "CNAME" => absolute(&r.value),
            "MX" => match r.value.split_once(' ') {
                Some((priority, host)) => format!("{priority} {}", absolute(host)),
                None => absolute(&r.value),
            },
            "TXT" => format!("\"{}\"", r.value.replace('\\', "\\\\").replace('"', "\\\"")),
            _ => r.value.clone(),
        };
        let _ = writeln!(out, "{} {} IN {} {data}", absolute(&r.name), r.ttl, r.rtype);
    }
    out
}

fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// A comment's text on one line, its hidden characters visible.
fn one_line(text: &str) -> String {
    visible(text).into_owned()
}

/// CSV with a stable header, one row per record (RFC 4180 quoting).
pub fn to_csv(s: &RecordSheet) -> String {
    let mut out = String::from("library,domain,name,host,type,value,ttl,status,found,provider\n");
    let provider = s.provider.as_ref().map_or("", |p| p.id.as_str());
    for r in &s.records {
        let cells = [
            s.library.as_str(),
            s.domain.as_str(),
            r.name.as_str(),
            r.host.as_str(),
            r.rtype.as_str(),
            r.value.as_str(),
            &r.ttl.to_string(),
            r.status.as_deref().unwrap_or("not-checked"),
            r.found.as_deref().unwrap_or_default(),
            provider,
        ];
        out.push_str(&csv_line(&cells));
    }
    out
}

/// One CSV line: a field with a comma, quote or line break is quoted, quotes doubled.
pub(crate) fn csv_line(cells: &[&str]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                (*c).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A Markdown table with instructions, to paste into an e-mail or a ticket.
pub fn to_markdown(s: &RecordSheet) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### DNS records for {} (library {}, {})\n",
        code(&s.domain),
        code(&s.library),
        inline(&s.name)
    );
    let _ = writeln!(out, "{}\n", inline(&intro(s)));
    let _ = writeln!(out, "| # | Type | Host | Full name | Value | TTL | Now |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for (i, r) in s.records.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            inline(&r.rtype),
            code_cell(&r.host),
            code_cell(&r.name),
            code_cell(&r.value),
            r.ttl,
            inline(r.status_text())
        );
    }
    let _ = writeln!(out, "\n{}", inline(&status_line(s)));
    let found: Vec<(usize, &SheetRecord)> = s
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.found.is_some())
        .collect();
    if !found.is_empty() {
        let _ = writeln!(out, "\n**What mailform sees now**\n");
        for (i, r) in found {
            let _ = writeln!(
                out,
                "- record {} ({}): {}: {}",
                i + 1,
                code(&r.host),
                code(r.status_text()),
                inline(r.found.as_deref().unwrap_or_default())
            );
        }
    }
    if s.installer == Installer::Library {
        let _ = writeln!(out, "\n**How to enter them**\n");
        for text in instructions(s) {
            let _ = writeln!(out, "- {text}");
        }
    }
    if !s.information.is_empty() {
        let _ = writeln!(
            out,
            "\n**For information, nothing to change for mailform**\n"
        );
        for i in &s.information {
            let _ = writeln!(
                out,
                "- {}: {} ({})",
                code(&i.code),
                inline(&i.message),
                inline(&i.why)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\n"
        );
    }
}
