//! `mailform deliverability`: each library's sending health as text, versioned JSON
//! (`schemas/deliverability.schema.json`) or CSV. Pure: the CLI reads the store and prints.
//! Diagnostics come from remote mail servers and are shown with hidden characters visible.

use std::fmt::Write as _;

use serde::Serialize;

use crate::events::deliverability::{
    BOUNCE_PAUSE, BOUNCE_REVIEW, COMPLAINT_PAUSE, COMPLAINT_REVIEW, Counts, LibraryDeliverability,
};
use crate::events::suppression::Suppression;

/// The text table's column widths, in the order of [`Counts::NAMES`].
const WIDTHS: [usize; 7] = [6, 9, 5, 5, 10, 7, 6];
use crate::text::visible;

/// The version of the JSON form.
pub const DELIVERABILITY_JSON_VERSION: u32 = 1;

/// A rate as a percentage with two decimals, or `-` when nothing was sent.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_string(), |r| format!("{:.2}%", r * 100.0))
}

pub fn to_text(today: &str, reports: &[LibraryDeliverability]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Deliverability on {today} (AWS reviews an account at {:.0}% hard bounces or {:.1}% complaints, pauses it at {:.0}% or {:.1}%)",
        BOUNCE_REVIEW * 100.0,
        COMPLAINT_REVIEW * 100.0,
        BOUNCE_PAUSE * 100.0,
        COMPLAINT_PAUSE * 100.0
    );
    if reports.is_empty() {
        let _ = writeln!(out, "\nno library sends through SES");
    }
    for r in reports {
        let _ = writeln!(
            out,
            "\n{} ({}): {}",
            r.library,
            r.domain,
            r.standing.as_str()
        );
        let mut header = format!("  {:<7}", "window");
        for (name, width) in Counts::NAMES.iter().zip(WIDTHS) {
            let short = name.trim_end_matches("_bounces").replace('_', " ");
            let _ = write!(header, " {short:>width$}");
        }
        let _ = writeln!(out, "{header} {:>8} {:>10}", "bounce%", "complaint%");
        for w in &r.windows {
            let mut row = format!("  {:<7}", format!("{}d", w.days));
            for (n, width) in w.counts.in_order().iter().zip(WIDTHS) {
                let _ = write!(row, " {n:>width$}");
            }
            let _ = writeln!(
                out,
                "{row} {:>8} {:>10}",
                percent(w.bounce_rate),
                percent(w.complaint_rate)
            );
        }
        if !r.top_bounce_reasons.is_empty() {
            let _ = writeln!(out, "  top bounce reasons (30 days):");
            for reason in &r.top_bounce_reasons {
                let _ = writeln!(
                    out,
                    "    {:>5}  {}",
                    reason.count,
                    visible(&reason.diagnostic)
                );
            }
        }
        suppression_text(&mut out, &r.suppression);
    }
    out
}

/// How many suppressed addresses the text lists; JSON has them all.
pub const SHOWN_SUPPRESSED: usize = 10;
/// The longest address the text shows whole (RFC 5321 allows 254); a longer one is cut.
const ADDRESS_WIDTH: usize = 254;

/// An address from outside as the terminal may show it: hidden characters made visible, and
/// cut with its length said when it is longer than any real address.
fn shown_address(address: &str) -> String {
    let shown = visible(address);
    let chars = shown.chars().count();
    if chars <= ADDRESS_WIDTH {
        return shown.into_owned();
    }
    let cut: String = shown.chars().take(ADDRESS_WIDTH).collect();
    format!("{cut}… ({chars} characters)")
}

fn suppression_text(out: &mut String, s: &Suppression) {
    match s {
        Suppression::NotRead => {}
        Suppression::AccountNoTenants => {
            let _ = writeln!(
                out,
                "  suppression list: the account's, shared by every library (the platform manages no SES tenants); not shown per library"
            );
        }
        Suppression::AccountByChoice { tenant } => {
            let _ = writeln!(
                out,
                "  suppression list: the account's (tenant {tenant} has `suppression \"account\"`); not shown per library"
            );
        }
        Suppression::TenantMissing { tenant } => {
            let _ = writeln!(
                out,
                "  suppression list: tenant {tenant} does not exist yet (`mailform apply` creates it)"
            );
        }
        Suppression::Tenant {
            tenant,
            count,
            recipients,
        } => {
            let _ = writeln!(
                out,
                "  suppression list (tenant {tenant}): {count} recipient{}",
                if *count == 1 { "" } else { "s" }
            );
            for r in recipients.iter().take(SHOWN_SUPPRESSED) {
                let _ = writeln!(
                    out,
                    "    {:<9}  {}  {}",
                    visible(&r.reason),
                    visible(r.added.get(..10).unwrap_or(&r.added)),
                    shown_address(&r.address)
                );
            }
            if *count > SHOWN_SUPPRESSED {
                let _ = writeln!(out, "    and {} more", count - SHOWN_SUPPRESSED);
            }
        }
    }
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    today: &'a str,
    thresholds: Thresholds,
    libraries: &'a [LibraryDeliverability],
}

#[derive(Serialize)]
struct Thresholds {
    bounce_review: f64,
    bounce_pause: f64,
    complaint_review: f64,
    complaint_pause: f64,
}

pub fn to_json(today: &str, reports: &[LibraryDeliverability]) -> String {
    let doc = Doc {
        version: DELIVERABILITY_JSON_VERSION,
        today,
        thresholds: Thresholds {
            bounce_review: BOUNCE_REVIEW,
            bounce_pause: BOUNCE_PAUSE,
            complaint_review: COMPLAINT_REVIEW,
            complaint_pause: COMPLAINT_PAUSE,
        },
        libraries: reports,
    };
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    // Addresses and diagnostics come from outside: a bidirectional override stays a JSON
    // escape, not a raw character (nor stdout's guard's `\u{…}`, which is not JSON).
    let mut text = crate::text::json_escape_hidden(&text).into_owned();
    text.push('\n');
    text
}

/// One row per library and window; `suppressed` is the library's count of suppressed
/// recipients (the same on each of its rows).
pub fn to_csv(reports: &[LibraryDeliverability]) -> String {
    let mut out = format!(
        "library,domain,window_days,{},bounce_rate,bounce_standing,complaint_rate,complaint_standing,suppressed\n",
        Counts::NAMES.join(",")
    );
    let rate = |r: Option<f64>| r.map_or_else(String::new, |r| format!("{r:.6}"));
    for r in reports {
        // The addresses are patrons' personal data, and a CSV is what gets mailed around:
        // it carries the count only (empty when the library has no list of its own).
        let suppressed = match &r.suppression {
            Suppression::Tenant { count, .. } => count.to_string(),
            _ => String::new(),
        };
        for w in &r.windows {
            let counts: Vec<String> = w.counts.in_order().iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                r.library,
                r.domain,
                w.days,
                counts.join(","),
                rate(w.bounce_rate),
                w.bounce_standing.as_str(),
                rate(w.complaint_rate),
                w.complaint_standing.as_str(),
                suppressed
            );
        }
    }
    out
}
