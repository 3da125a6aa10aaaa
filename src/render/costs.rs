//! The yearly charges of the managed domains (method 3), passed through to the libraries:
//! an aligned table for people and CSV for the billing system. Pure: built from the library
//! files and a live snapshot.

use std::fmt::Write as _;

use super::records::csv_line;
use crate::live::snapshot::LiveSnapshotV1;
use crate::model::{Config, DeliveryMethod};

/// Which of Route 53 Domains' prices a row charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceBasis {
    Renewal,
    /// The TLD lists no renewal price; the registration price stands in.
    Registration,
}

impl PriceBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceBasis::Renewal => "renewal",
            PriceBasis::Registration => "registration",
        }
    }
}

/// Where the domain's registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    Registered,
    /// A registration operation is under way.
    InProgress,
    NotYet,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Registered => "registered",
            Registration::InProgress => "registering",
            Registration::NotYet => "not-registered",
        }
    }
}

/// One managed domain's yearly charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    pub library: String,
    pub domain: String,
    /// `None` when the snapshot has no price for the TLD.
    pub yearly: Option<(u64, PriceBasis)>,
    pub currency: String,
    pub years: u8,
    /// The registrar's setting once registered, the library file's before.
    pub auto_renew: bool,
    pub registration: Registration,
    /// `YYYY-MM-DD`.
    pub expiry: Option<String>,
}

/// All managed domains' charges, and the SES tenants' when the platform file prices them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostSheet {
    pub taken_at: String,
    pub rows: Vec<CostRow>,
    pub tenants: Option<TenantCharge>,
}

/// The SES tenants' monthly charge: one tenant per library that sends through SES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCharge {
    /// The libraries with a tenant, in file order.
    pub libraries: Vec<String>,
    /// One tenant's price a month, in hundredths of a cent.
    pub per_month: u64,
}

impl CostSheet {
    /// The sum of the known yearly prices of the domains bought (registered or registering),
    /// in cents: a domain not bought yet is nobody's charge.
    pub fn total_cents(&self) -> u64 {
        self.billed().filter_map(|r| r.yearly).map(|(c, _)| c).sum()
    }

    /// The rows that are a charge: the domain is registered, or its registration is under way.
    fn billed(&self) -> impl Iterator<Item = &CostRow> {
        self.rows
            .iter()
            .filter(|r| r.registration != Registration::NotYet)
    }

    /// Rows of domains not bought yet, left out of the total.
    pub fn not_bought(&self) -> usize {
        self.rows.len() - self.billed().count()
    }

    /// Rows whose price is not known, so the total leaves them out.
    pub fn unpriced(&self) -> usize {
        self.billed().filter(|r| r.yearly.is_none()).count()
    }
}

/// Every managed-domain library of `config` with its charge from `live`, in file order.
pub fn sheet(config: &Config, live: &LiveSnapshotV1) -> CostSheet {
    let rows = config
        .libraries
        .iter()
        .filter_map(|library| {
            let DeliveryMethod::ManagedDomain(m) = &library.method else {
                return None;
            };
            let domain = m.domain.as_str();
            let tld = domain.rsplit('.').next().unwrap_or_default();
            let price = live
                .registrar
                .prices
                .iter()
                .find(|p| p.tld.eq_ignore_ascii_case(tld));
            let cents = |p: f64| (p * 100.0).round() as u64;
            let yearly = price.and_then(|p| match (p.renewal, p.registration) {
                (Some(r), _) => Some((cents(r), PriceBasis::Renewal)),
                (None, Some(r)) => Some((cents(r), PriceBasis::Registration)),
                (None, None) => None,
            });
            let registered = live
                .registrar
                .domains
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(domain));
            let registering = live.registrar.operations.iter().any(|o| {
                o.domain.as_deref() == Some(domain)
                    && o.kind == "REGISTER_DOMAIN"
                    && !matches!(o.status.as_str(), "FAILED" | "ERROR" | "SUCCESSFUL")
            });
            Some(CostRow {
                library: library.id.as_str().to_string(),
                domain: domain.to_string(),
                yearly,
                currency: price
                    .and_then(|p| p.currency.clone())
                    .unwrap_or_else(|| "USD".into()),
                years: m.years,
                auto_renew: registered
                    .and_then(|d| d.auto_renew)
                    .unwrap_or(m.auto_renew),
                registration: match (registered, registering) {
                    (Some(_), _) => Registration::Registered,
                    (None, true) => Registration::InProgress,
                    (None, false) => Registration::NotYet,
                },
                expiry: registered
                    .and_then(|d| d.expiry.as_deref())
                    .map(|e| e.chars().take(10).collect()),
            })
        })
        .collect();
    CostSheet {
        taken_at: live.taken_at.clone(),
        rows,
        tenants: tenant_charge(config),
    }
}

/// The SES tenants' charge, when the platform manages tenants and its file gives their price.
pub fn tenant_charge(config: &Config) -> Option<TenantCharge> {
    let per_month = config.platform.tenants?.price_per_month?;
    Some(TenantCharge {
        libraries: config
            .libraries
            .iter()
            .filter(|l| config.tenant_of(l).is_some())
            .map(|l| l.id.as_str().to_string())
            .collect(),
        per_month,
    })
}

/// An amount in hundredths of a cent, with as many decimals as it needs (at least two).
fn fine_amount(parts: u64) -> String {
    let text = format!("{}.{:04}", parts / 10_000, parts % 10_000);
    let trimmed = text.trim_end_matches('0');
    match trimmed.len() - trimmed.find('.').unwrap_or(0) {
        n if n < 3 => format!("{}.{:02}", parts / 10_000, (parts % 10_000) / 100),
        _ => trimmed.to_string(),
    }
}

/// The tenants' lines of the table, if the platform file prices them.
fn tenant_lines(s: &CostSheet, out: &mut String) {
    let Some(t) = &s.tenants else { return };
    let n = t.libraries.len();
    let month = t.per_month * n as u64;
    let _ = writeln!(
        out,
        "\nSES tenants (one per library that sends through SES; price from the platform file's `tenants {{ price-per-month }}`):\n{n} tenant{} x {} USD a month = {} USD a month, {} USD a year",
        if n == 1 { "" } else { "s" },
        fine_amount(t.per_month),
        fine_amount(month),
        fine_amount(month * 12),
    );
}

fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Aligned text with a total.
pub fn to_table(s: &CostSheet) -> String {
    let mut out = format!(
        "Yearly charges for managed domains (prices as read at {})\n\n",
        s.taken_at
    );
    if s.rows.is_empty() {
        out.push_str("No library uses a managed domain.\n");
        tenant_lines(s, &mut out);
        return out;
    }
    let header = [
        "LIBRARY",
        "DOMAIN",
        "YEARLY",
        "BASIS",
        "YEARS",
        "AUTO-RENEW",
        "STATUS",
        "EXPIRES",
    ];
    let rows: Vec<[String; 8]> = s
        .rows
        .iter()
        .map(|r| {
            [
                r.library.clone(),
                r.domain.clone(),
                r.yearly.map_or_else(
                    || "unknown".into(),
                    |(c, _)| format!("{} {}", amount(c), r.currency),
                ),
                r.yearly
                    .map_or_else(|| "-".into(), |(_, b)| b.as_str().into()),
                r.years.to_string(),
                if r.auto_renew { "yes" } else { "no" }.into(),
                r.registration.as_str().into(),
                r.expiry.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            match i {
                _ if i + 1 == cells.len() => l.push_str(cell),
                // Amounts line up on the right.
                2 => {
                    let _ = write!(l, "{cell:>w$}  ");
                }
                _ => {
                    let _ = write!(l, "{cell:<w$}  ");
                }
            }
        }
        l
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    let counted = s.billed().filter(|r| r.yearly.is_some()).count();
    let _ = writeln!(
        out,
        "\nTotal: {} USD a year for {} domain{}",
        amount(s.total_cents()),
        counted,
        if counted == 1 { "" } else { "s" }
    );
    if s.not_bought() > 0 {
        let _ = writeln!(
            out,
            "{} domain{} not bought yet (not in the total)",
            s.not_bought(),
            if s.not_bought() == 1 { "" } else { "s" }
        );
    }
    if s.unpriced() > 0 {
        let _ = writeln!(
            out,
            "{} domain{} without a price in the live state (not in the total); run `mailform refresh` to read the prices",
            s.unpriced(),
            if s.unpriced() == 1 { "" } else { "s" }
        );
    }
    tenant_lines(s, &mut out);
    out
}

/// CSV for the billing system: a stable header, ISO dates, amounts with two decimals. One row
/// per domain and no total row, so an import never counts the total as a charge.
pub fn to_csv(s: &CostSheet) -> String {
    let mut out = String::from(
        "library,domain,yearly_amount,currency,price_basis,years,auto_renew,registration,expiry\n",
    );
    for r in &s.rows {
        let (yearly, basis) = r
            .yearly
            .map_or((String::new(), ""), |(c, b)| (amount(c), b.as_str()));
        out.push_str(&csv_line(&[
            &r.library,
            &r.domain,
            &yearly,
            &r.currency,
            basis,
            &r.years.to_string(),
            if r.auto_renew { "true" } else { "false" },
            r.registration.as_str(),
            r.expiry.as_deref().unwrap_or_default(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_two_decimals() {
        assert_eq!(amount(1200), "12.00");
        assert_eq!(amount(905), "9.05");
        assert_eq!(amount(0), "0.00");
    }
}
