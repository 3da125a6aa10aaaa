//! The onboarding status (`crate::status`) as one self-contained HTML page, Markdown, CSV
//! and JSON.
//!
//! The page carries everything inline (CSS, SVG; no script, font or address outside it), so
//! it works offline, from a workflow artifact and on GitHub Pages alike. Every value from the
//! files or the live facts goes through [`esc`]: a library's name is whatever its file says.
//! Colour is never the only signal: each urgency has its own mark shape and word.

use std::fmt::Write as _;

use crate::events::deliverability::Standing;
use crate::model::Date;
use crate::plan::Method;
use crate::status::deliverability::{self as insight, RowDeliverability};
use crate::status::{StatusReport, StatusRow, Urgency, WaitsOn};
use crate::text::markdown::{code_cell, inline};

/// HTML-escapes text (see [`crate::text::html_escape`]).
pub fn esc(s: &str) -> String {
    crate::text::html_escape(s)
}

fn urgency_mark(u: Urgency) -> &'static str {
    match u {
        Urgency::Failing => "✗",
        Urgency::Late => "⚠",
        Urgency::Waiting => "◷",
        Urgency::Done => "✓",
    }
}

/// Short class names keep a thousand rows small.
fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Failing => "f",
        Urgency::Late => "l",
        Urgency::Waiting => "w",
        Urgency::Done => "d",
    }
}

const URGENCIES: [Urgency; 4] = [
    Urgency::Failing,
    Urgency::Late,
    Urgency::Waiting,
    Urgency::Done,
];

fn days_text(d: Option<i64>) -> String {
    match d {
        Some(1) => "1 day".into(),
        Some(d) => format!("{d} days"),
        None => "unknown".into(),
    }
}

fn days_left_text(d: Option<i64>) -> String {
    match d {
        Some(d) if d < 0 => format!("{} days ago", -d),
        Some(d) => format!("{d} days"),
        None => "no launch date".into(),
    }
}

fn notice_text(r: &StatusRow) -> String {
    r.last_notice
        .as_ref()
        .map_or_else(|| "none".into(), |n| format!("{} on {}", n.kind, n.date))
}

fn step_text(r: &StatusRow) -> String {
    let (at, of) = r.stage.step(r.method);
    format!("{at}/{of}")
}

fn libraries(n: usize) -> String {
    format!("{n} {}", if n == 1 { "library" } else { "libraries" })
}

const CSS: &str = "\
:root{--f:#b3261e;--l:#a64b00;--w:#1f5fa8;--d:#1b7a3a;--ink:#1d1d1f;--mute:#5c5c66;--line:#d9d9e0;--bg:#fff;--band:#f4f4f7}\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;color:var(--ink);background:var(--bg)}\
main{max-width:1280px;margin:0 auto;padding:16px}\
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .5em}\
.meta{color:var(--mute);margin:0 0 1em}\
.platform{border:2px solid #b00020;border-radius:6px;padding:.2em 1em;margin:0 0 1em;overflow-wrap:anywhere}.platform h2{color:#b00020;margin:.3em 0}.platform .fix{display:block;color:var(--mute)}\
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;list-style:none;padding:0;margin:0}\
.tiles li{border:1px solid var(--line);border-left:6px solid var(--c,var(--line));border-radius:6px;padding:8px 10px;background:var(--band)}\
.tiles b{display:block;font-size:1.7em;line-height:1.1}\
.f{--c:var(--f)}.l{--c:var(--l)}.w{--c:var(--w)}.d{--c:var(--d)}\
.m{color:var(--c);font-weight:700}\
figure{margin:0;max-width:900px}svg{display:block;width:100%;height:auto}\
svg text{font:11px system-ui,\"DejaVu Sans\",sans-serif;fill:var(--ink)}\
figcaption,.legend{color:var(--mute);font-size:.9em}\
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;padding:0;margin:.4em 0}\
.legend svg{display:inline;width:12px;height:12px;vertical-align:-1px;margin-right:4px}\
table{border-collapse:collapse;width:100%}\
caption{text-align:left;font-weight:600;padding:4px 0}\
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}\
thead th{background:var(--band);font-size:.85em;position:sticky;top:0}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
.bar{display:inline-block;height:10px;background:var(--w);border-radius:2px;vertical-align:middle;margin-left:6px}\
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}\
.scroll:focus{outline:2px solid var(--w)}\
.rows{min-width:1100px}\
.rows tbody th{font-weight:600;border-left:4px solid var(--c,transparent)}\
.rows small{display:block;color:var(--mute);font-weight:400}\
.counts{max-width:640px}\
.vx{color:var(--f);font-weight:700}.vr{color:var(--l);font-weight:600}.vx small,.vr small{font-weight:400}\
@media (max-width:640px){main{padding:10px}svg text{font-size:20px}body{font-size:14px}.tiles{grid-template-columns:repeat(2,1fr)}\
.scroll{overflow:visible;border:0}.rows{min-width:0}\
.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
.rows tr{display:block;padding:6px 0;border-bottom:1px solid var(--line)}\
.rows th,.rows td{display:block;border:0;padding:1px 8px;text-align:left;overflow-wrap:anywhere}.rows td:empty{display:none}\
.rows td::before{color:var(--mute);font-size:.85em}";
/// The end of the page's style, after the narrow layout's labels ([`phone_labels`]).
const CSS_END: &str = "}@media print{.scroll{overflow:visible;border:0}}";

/// The rows' data columns, after the library's own header cell: (header, label on a phone;
/// `None` for the status, whose mark and word need none).
fn columns(deliverability: bool) -> Vec<(&'static str, Option<&'static str>)> {
    let mut out = vec![("Status", None)];
    if deliverability {
        // Beside the status, on the first screen: a library at risk of pause stops everyone.
        out.push(("Deliverability", Some("Deliverability")));
    }
    out.extend([
        ("Waits on", Some("Waits on")),
        ("Reason", Some("Reason")),
        ("Stage", Some("Stage")),
        ("Method", Some("Method")),
        ("In this stage", Some("In this stage")),
        ("Launch", Some("Launch")),
        ("Days left", Some("Days left")),
        ("Last notice", Some("Last notice")),
    ]);
    out
}

/// On a phone each cell of a row is a line labelled by its column.
fn phone_labels(deliverability: bool) -> String {
    let mut out = String::new();
    for (k, (_, label)) in columns(deliverability).iter().enumerate() {
        if let Some(label) = label {
            let _ = write!(
                out,
                ".rows td:nth-of-type({})::before{{content:\"{label}: \"}}",
                k + 1
            );
        }
    }
    out
}

/// The deliverability cell's mark (shape as well as colour) and class.
fn standing_mark(s: Standing) -> (&'static str, &'static str) {
    match s {
        Standing::AtRiskOfPause => ("✖", "vx"),
        Standing::UnderReview => ("▲", "vr"),
        Standing::Healthy => ("●", "vh"),
        Standing::NoMail => ("○", "vn"),
    }
}

/// The commonest bounce reason and its count, cut to fit a line on the page.
fn top_reason(d: &RowDeliverability, cut: usize) -> Option<String> {
    let r = d.top_bounce_reasons.first()?;
    let text: String = if r.diagnostic.chars().count() > cut {
        let mut t: String = r.diagnostic.chars().take(cut).collect();
        t.push('…');
        t
    } else {
        r.diagnostic.clone()
    };
    Some(format!("{text} ({})", r.count))
}

/// "7 sent in 30 days" and, if any bounced, the commonest reason.
fn mail_line(d: &RowDeliverability, cut: usize) -> String {
    let mut line = format!("{} sent in 30 days", d.sent_30_days);
    if let Some(top) = top_reason(d, cut) {
        let _ = write!(line, " · top bounce: {top}");
    }
    line
}

/// A row's deliverability cell: the standing in words, the rate and window that set it, its
/// mail and its commonest bounce reason; "—" for a library outside SES.
fn deliverability_cell(out: &mut String, r: &StatusRow) {
    let Some(d) = &r.deliverability else {
        out.push_str("<td>—</td>");
        return;
    };
    let (mark, class) = standing_mark(d.standing);
    let _ = write!(
        out,
        "<td class=\"{class}\"><span aria-hidden=\"true\">{mark}</span> {}",
        insight::label(d.standing)
    );
    if d.standing == Standing::NoMail {
        out.push_str(" in 30 days</td>");
        return;
    }
    let _ = write!(
        out,
        "<small>{}</small><small>{}</small></td>",
        esc(&d.line()),
        esc(&mail_line(d, 60))
    );
}

/// The page: headline counts, a timeline of the upcoming launches, the libraries per stage,
/// and every library's row, most urgent first.
pub fn to_html(report: &StatusReport) -> String {
    let mut out = String::with_capacity(400 + report.rows.len() * 480);
    out.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    let _ = write!(
        out,
        "<title>Onboarding status: {} libraries</title><style>{CSS}{}{CSS_END}</style></head><body><main>",
        report.rows.len(),
        phone_labels(shows_deliverability(report))
    );
    out.push_str("<h1>Onboarding status</h1>");
    let _ = write!(
        out,
        "<p class=\"meta\">{} · live facts read {} · counted from {} · notice period {} days before launch</p>",
        libraries(report.rows.len()),
        esc(&report.taken_at),
        esc(&report.today),
        report.notice_period_days
    );
    // What stops libraries on the platform's side comes first: no library row can fix it.
    if !report.platform.is_empty() {
        out.push_str("<section class=\"platform\" role=\"alert\" aria-labelledby=\"platform\"><h2 id=\"platform\">The platform stops libraries</h2><ul>");
        for f in &report.platform {
            let _ = write!(
                out,
                "<li><b>{}</b> {} <span class=\"fix\">Fix: {}</span></li>",
                esc(&f.code),
                esc(&f.message),
                esc(&f.remedy)
            );
        }
        out.push_str("</ul></section>");
    }
    if let Some((table, error)) = unread(report) {
        let _ = write!(
            out,
            "<section class=\"platform\" role=\"alert\" aria-labelledby=\"unread\"><h2 id=\"unread\">Deliverability could not be read</h2><p>The event store <code>{}</code> could not be read, so no row shows its bounces and complaints; the rest is as read. {}</p></section>",
            esc(table),
            esc(error)
        );
    }

    // The rows come first (issue #23 item 14): they are what an operator opens the page for.
    rows_table(&mut out, report);

    // Headline counts: by urgency, then who the waiting ones wait on.
    out.push_str(
        "<h2 id=\"summary\">At a glance</h2><ul class=\"tiles\" aria-labelledby=\"summary\">",
    );
    for u in URGENCIES {
        let n = report.rows.iter().filter(|r| r.urgency == u).count();
        let _ = write!(
            out,
            "<li class=\"{}\"><b>{n}</b><span class=\"m\" aria-hidden=\"true\">{}</span> {}</li>",
            urgency_class(u),
            urgency_mark(u),
            u.label()
        );
    }
    for w in [WaitsOn::ItStaff, WaitsOn::Platform, WaitsOn::Aws] {
        let n = report.rows.iter().filter(|r| r.waits_on == w).count();
        let _ = write!(out, "<li><b>{n}</b>wait on {}</li>", w.label());
    }
    if let Some(d) = report.deliverability.as_ref().filter(|d| d.read) {
        for (n, class, standing, after) in [
            (d.counts.at_risk_of_pause, "f", Standing::AtRiskOfPause, ""),
            (d.counts.under_review, "l", Standing::UnderReview, ""),
            (d.counts.no_mail, "", Standing::NoMail, " in 30 days"),
        ] {
            let _ = write!(
                out,
                "<li class=\"{class}\"><b>{n}</b><span class=\"m\" aria-hidden=\"true\">{}</span> {}{after}</li>",
                standing_mark(standing).0,
                insight::label(standing)
            );
        }
    }
    out.push_str("</ul>");

    timeline(&mut out, report);
    stage_counts(&mut out, report);

    out.push_str("<p class=\"meta\">Written by <code>mailform status</code>. “Unknown” means no live fact dates the stage: SES keeps no date for records appearing in DNS, and a stage reached before the notice ledger recorded it has no notice to date it.</p>");
    out.push_str("</main></body></html>\n");
    out
}

/// Every library's row, most urgent first. On a phone each row is a block of labelled lines
/// (the CSS's narrow layout), so the reason is on screen without scrolling sideways.
fn rows_table(out: &mut String, report: &StatusReport) {
    out.push_str("<h2 id=\"all\">Every library</h2>");
    out.push_str("<div class=\"scroll\" role=\"region\" aria-labelledby=\"rows-caption\" tabindex=\"0\"><table class=\"rows\">");
    out.push_str("<caption id=\"rows-caption\">Every library, most urgent first: failing, then late against its launch, then waiting longest</caption>");
    let deliverability = shows_deliverability(report);
    out.push_str("<thead><tr><th scope=\"col\">Library</th>");
    for (header, _) in columns(deliverability) {
        let _ = write!(out, "<th scope=\"col\">{header}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for r in &report.rows {
        let c = urgency_class(r.urgency);
        let _ = write!(
            out,
            "<tr class=\"{c}\" id=\"lib-{id}\" data-stage=\"{stage}\"><th scope=\"row\">{name}<small>{id}</small></th><td><span class=\"m\" aria-hidden=\"true\">{mark}</span> {urgency}</td>",
            id = esc(&r.library),
            stage = r.stage.as_str(),
            name = esc(&r.name),
            mark = urgency_mark(r.urgency),
            urgency = r.urgency.label(),
        );
        if deliverability {
            deliverability_cell(out, r);
        }
        let _ = write!(
            out,
            "<td>{waits}</td><td class=\"r\">{reason}</td><td>{stage_label} <small>step {step}</small></td><td>{method}</td><td class=\"n\">{days}</td><td>{launch}</td><td class=\"n\">{left}</td><td>{notice}</td></tr>",
            method = r.method.as_str(),
            stage_label = r.stage.label(),
            step = step_text(r),
            waits = r.waits_on.label(),
            days = days_text(r.days_in_stage),
            launch = r.launch.as_deref().map_or_else(|| "—".into(), esc),
            left = days_left_text(r.days_left),
            notice = esc(&notice_text(r)),
            reason = r.reason.as_deref().map_or_else(String::new, esc),
        );
    }
    out.push_str("</tbody></table></div>");
    if let Some(d) = report.deliverability.as_ref().filter(|d| d.read) {
        let _ = write!(
            out,
            "<p class=\"meta\" id=\"deliverability\">Deliverability: the worse of the hard-bounce and complaint rates (per recipient sent to) over the 1, 7 and 30 days to {}, from the SES events kept in <code>{}</code> by <code>mailform events drain</code>. AWS reviews an account at {} hard bounces or {} complaints and pauses its sending, every library's, at {} or {}: a library at risk of pause is failing until its rates fall.{}</p>",
            esc(&d.windows_end),
            esc(&d.table),
            insight::percent(d.thresholds.bounce_review),
            insight::percent(d.thresholds.complaint_review),
            insight::percent(d.thresholds.bounce_pause),
            insight::percent(d.thresholds.complaint_pause),
            if report.rows.iter().any(|r| r.method == Method::SmtpAccount) {
                " “—”: the library sends through its own SMTP account, so SES has no events of its mail."
            } else {
                ""
            }
        );
    }
}

/// The event store's table and why it could not be read, when it could not.
fn unread(report: &StatusReport) -> Option<(&str, &str)> {
    let d = report.deliverability.as_ref().filter(|d| !d.read)?;
    Some((&d.table, d.error.as_deref().unwrap_or_default()))
}

/// Whether the rows have a deliverability column: the platform keeps SES events and they
/// were read.
fn shows_deliverability(report: &StatusReport) -> bool {
    report.deliverability.as_ref().is_some_and(|d| d.read)
}

/// A row's deliverability in one Markdown or CSV cell: standing, cause, mail, top reason.
fn deliverability_text(r: &StatusRow) -> String {
    match &r.deliverability {
        None => "—".into(),
        Some(d) if d.standing == Standing::NoMail => "no mail in 30 days".into(),
        Some(d) => format!(
            "{}: {}; {}",
            insight::label(d.standing),
            d.line(),
            mail_line(d, 60)
        ),
    }
}

/// The shapes of the marks, one per urgency (shape and colour both tell it).
const SYMBOLS: &str = "<defs>\
<symbol id=\"s-f\" viewBox=\"0 0 10 10\"><path d=\"M1.5 1.5l7 7m0-7l-7 7\" stroke=\"#b3261e\" stroke-width=\"2.6\" stroke-linecap=\"round\"/></symbol>\
<symbol id=\"s-l\" viewBox=\"0 0 10 10\"><path d=\"M5 .5L9.6 9.3H.4z\" fill=\"#a64b00\"/></symbol>\
<symbol id=\"s-w\" viewBox=\"0 0 10 10\"><rect x=\"1.2\" y=\"1.2\" width=\"7.6\" height=\"7.6\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\"/></symbol>\
<symbol id=\"s-d\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"4.3\" fill=\"#1b7a3a\"/></symbol>\
</defs>";

/// Columns of the timeline: launches already past (and not done), then one per week.
const WEEKS: i64 = 26;
/// Marks stacked in one column before the rest is counted as "+N".
const STACK: usize = 40;

fn timeline(out: &mut String, report: &StatusReport) {
    let today = Date::parse(&report.today).map_or(0, |d| d.days_since_epoch());
    // Column 0: launch passed, not done; 1..=WEEKS: that week; WEEKS+1: later.
    let mut columns: Vec<Vec<&StatusRow>> = vec![vec![]; WEEKS as usize + 2];
    let mut without = 0usize;
    for r in &report.rows {
        let Some(left) = r.days_left else {
            without += 1;
            continue;
        };
        let col = if left < 0 {
            if r.urgency == Urgency::Done {
                continue;
            }
            0
        } else {
            (1 + left / 7).min(WEEKS + 1) as usize
        };
        columns[col].push(r);
    }
    let upcoming: usize = columns.iter().map(Vec::len).sum();
    let soon = report
        .rows
        .iter()
        .filter(|r| r.days_left.is_some_and(|d| (0..28).contains(&d)))
        .count();
    let not_ready_soon = report
        .rows
        .iter()
        .filter(|r| r.days_left.is_some_and(|d| (0..28).contains(&d)) && r.urgency != Urgency::Done)
        .count();

    const LEFT: i64 = 56;
    const COL: i64 = 24;
    const MARK: i64 = 12;
    const TOP: i64 = 30;
    let tallest = columns
        .iter()
        .map(|c| c.len().min(STACK))
        .max()
        .unwrap_or(0)
        .max(6) as i64;
    let width = LEFT + COL * (WEEKS + 2) + 60;
    let base = TOP + tallest * (MARK + 2);
    let height = base + 52;

    out.push_str("<h2 id=\"launches\">Upcoming launches</h2><figure>");
    let _ = write!(
        out,
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"tl-t tl-d\"><title id=\"tl-t\">Timeline of the upcoming launches, one mark per library in the week of its launch</title><desc id=\"tl-d\">{upcoming} libraries have a launch date ahead or missed; {soon} launch in the next four weeks, {not_ready_soon} of them not done. {without} have no launch date.</desc>{SYMBOLS}"
    );
    // The notice period: launches left of this line are inside it.
    let notice_x = LEFT + COL + (i64::from(report.notice_period_days) * COL) / 7;
    let _ = write!(
        out,
        "<rect x=\"{LEFT}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fbeeee\"/>",
        TOP - 6,
        notice_x - LEFT,
        base - TOP + 8
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"18\">inside the {}-day notice period</text>",
        LEFT + 2,
        report.notice_period_days
    );
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#888\"/>",
        width - 8
    );
    for (c, rows) in columns.iter().enumerate() {
        let x = LEFT + c as i64 * COL + 2;
        for (k, r) in rows.iter().take(STACK).enumerate() {
            let y = base - (k as i64 + 1) * (MARK + 2);
            let _ = write!(
                out,
                "<use href=\"#s-{}\" x=\"{x}\" y=\"{y}\" width=\"{MARK}\" height=\"{MARK}\"><title>{} ({}): {}, {}, launch {}</title></use>",
                urgency_class(r.urgency),
                esc(&r.name),
                esc(&r.library),
                r.urgency.label(),
                r.stage.label(),
                r.launch.as_deref().map_or_else(String::new, esc)
            );
        }
        if rows.len() > STACK {
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{}\">+{}</text>",
                base - (STACK as i64) * (MARK + 2) - 4,
                rows.len() - STACK
            );
        }
    }
    // Axis labels: the missed column, then the first day of every fourth week from today.
    let label_y = base + 20;
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{label_y}\" text-anchor=\"end\">missed</text>",
        LEFT + COL - 2
    );
    for week in (0..WEEKS - 2).step_by(4) {
        let day = Date::from_days_since_epoch(today + week * 7);
        let x = LEFT + (week + 1) * COL;
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{base}\" x2=\"{x}\" y2=\"{}\" stroke=\"#888\"/><text x=\"{}\" y=\"{label_y}\">{:02}-{:02}</text>",
            base + 4,
            x + 2,
            day.month,
            day.day
        );
    }
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{label_y}\">later</text><text x=\"{LEFT}\" y=\"{}\">weeks from {} (month-day)</text></svg>",
        LEFT + (WEEKS + 1) * COL,
        label_y + 24,
        esc(&report.today)
    );
    out.push_str("<ul class=\"legend\">");
    for u in URGENCIES {
        let _ = write!(
            out,
            "<li><svg viewBox=\"0 0 10 10\" aria-hidden=\"true\"><use href=\"#s-{}\"/></svg>{}</li>",
            urgency_class(u),
            u.label()
        );
    }
    let _ = write!(
        out,
        "</ul><figcaption>One mark per library, in the week of its launch; shaded: inside the notice period. {} without a launch date {} not shown.</figcaption></figure>",
        libraries(without),
        if without == 1 { "is" } else { "are" }
    );
}

fn stage_counts(out: &mut String, report: &StatusReport) {
    out.push_str("<h2 id=\"stages\">Libraries per stage</h2><table class=\"counts\"><caption>How many libraries of each method stand at each stage</caption><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Stage</th><th scope=\"col\">Libraries</th></tr></thead><tbody>");
    let most = report
        .counts
        .iter()
        .map(|c| c.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut last: Option<Method> = None;
    for c in &report.counts {
        let method = if last == Some(c.method) {
            String::new()
        } else {
            c.method.as_str().to_string()
        };
        last = Some(c.method);
        let (at, of) = c.stage.step(c.method);
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{method}</th><td>{} <small>step {at}/{of}</small></td><td class=\"n\">{}<span class=\"bar\" style=\"width:{}px\" aria-hidden=\"true\"></span></td></tr>",
            c.stage.label(),
            c.count,
            (c.count * 160).div_ceil(most)
        );
    }
    out.push_str("</tbody></table>");
}

/// A Markdown report: counts and one table row per library, most urgent first.
pub fn to_markdown(report: &StatusReport) -> String {
    let mut out = String::from("## Onboarding status\n\n");
    let _ = writeln!(
        out,
        "Live facts read {}; counted from {}; notice period {} days.\n",
        report.taken_at, report.today, report.notice_period_days
    );
    let counts: Vec<String> = URGENCIES
        .iter()
        .map(|u| {
            format!(
                "{} {} {}",
                urgency_mark(*u),
                report.rows.iter().filter(|r| r.urgency == *u).count(),
                u.label()
            )
        })
        .collect();
    let _ = writeln!(out, "{}\n", counts.join(" · "));
    for f in &report.platform {
        let _ = writeln!(
            out,
            "> ❌ **The platform stops libraries** ({}): {} Fix: {}\n",
            f.code,
            inline(&f.message),
            inline(&f.remedy)
        );
    }
    let deliverability = shows_deliverability(report);
    if let Some((table, error)) = unread(report) {
        let _ = writeln!(
            out,
            "> ⚠ **Deliverability could not be read** from the event store {}: {}\n",
            code_cell(table),
            inline(error)
        );
    }
    out.push_str(if deliverability {
        "| Library | Status | Deliverability | Method | Stage | Waits on | In this stage | Launch | Days left | Last notice | Reason |\n|---|---|---|---|---|---|---:|---|---:|---|---|\n"
    } else {
        "| Library | Status | Method | Stage | Waits on | In this stage | Launch | Days left | Last notice | Reason |\n|---|---|---|---|---|---:|---|---:|---|---|\n"
    });
    for r in &report.rows {
        let cell = if deliverability {
            match &r.deliverability {
                Some(d) => format!(
                    " {} {} |",
                    standing_mark(d.standing).0,
                    inline(&deliverability_text(r))
                ),
                None => " — |".into(),
            }
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {} ({}) | {} {} |{cell} {} | {} ({}) | {} | {} | {} | {} | {} | {} |",
            inline(&r.name),
            code_cell(&r.library),
            urgency_mark(r.urgency),
            r.urgency.label(),
            r.method.as_str(),
            r.stage.label(),
            step_text(r),
            r.waits_on.label(),
            days_text(r.days_in_stage),
            inline(r.launch.as_deref().unwrap_or("—")),
            days_left_text(r.days_left),
            inline(&notice_text(r)),
            inline(r.reason.as_deref().unwrap_or(""))
        );
    }
    if deliverability && report.rows.iter().any(|r| r.method == Method::SmtpAccount) {
        out.push_str("\nDeliverability “—”: the library sends through its own SMTP account, so SES has no events of its mail.\n");
    }
    out
}

/// A spreadsheet's defence: a cell starting with `=`, `+`, `-` or `@` would be a formula.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// CSV with a stable header, one row per library, most urgent first.
pub fn to_csv(report: &StatusReport) -> String {
    let mut out = String::from(
        "library,name,method,stage,step,waits_on,urgency,days_in_stage,launch,days_left,last_notice,last_notice_date,reason,deliverability,deliverability_cause,sent_30_days,top_bounce_reason\n",
    );
    for r in &report.rows {
        let opt = |d: Option<i64>| d.map_or_else(String::new, |d| d.to_string());
        let d = r.deliverability.as_ref();
        let cells = [
            r.library.clone(),
            csv_text(&r.name),
            r.method.as_str().to_string(),
            r.stage.as_str().to_string(),
            step_text(r),
            r.waits_on.as_str().to_string(),
            r.urgency.label().to_string(),
            opt(r.days_in_stage),
            r.launch.clone().unwrap_or_default(),
            opt(r.days_left),
            r.last_notice
                .as_ref()
                .map_or_else(String::new, |n| n.kind.to_string()),
            r.last_notice
                .as_ref()
                .map_or_else(String::new, |n| n.date.clone()),
            csv_text(
                &r.reason
                    .clone()
                    .unwrap_or_default()
                    .replace(['\r', '\n'], " "),
            ),
            d.map_or_else(String::new, |d| d.standing.as_str().to_string()),
            d.and_then(|d| d.cause.as_ref().map(|_| d.line()))
                .unwrap_or_default(),
            d.map_or_else(String::new, |d| d.sent_30_days.to_string()),
            csv_text(
                &d.and_then(|d| d.top_bounce_reasons.first())
                    .map_or_else(String::new, |t| t.diagnostic.replace(['\r', '\n'], " ")),
            ),
        ];
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        out.push_str(&super::records::csv_line(&cells));
    }
    out
}

/// The report as pretty JSON (`version` 1) with a final newline.
pub fn to_json(report: &StatusReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{Stage, StageCount};

    fn report(name: &str) -> StatusReport {
        StatusReport {
            version: 1,
            taken_at: "2026-11-26T03:00:00Z".into(),
            today: "2026-11-26".into(),
            notice_period_days: 14,
            platform: vec![],
            deliverability: None,
            rows: vec![StatusRow {
                library: "a".into(),
                name: name.into(),
                method: Method::SesDomain,
                stage: Stage::RecordsSent,
                waits_on: WaitsOn::ItStaff,
                urgency: Urgency::Late,
                days_in_stage: Some(3),
                launch: Some("2026-12-01".into()),
                days_left: Some(5),
                last_notice: None,
                reason: Some("not ready, launch <soon>".into()),
                deliverability: None,
            }],
            counts: vec![StageCount {
                method: Method::SesDomain,
                stage: Stage::RecordsSent,
                count: 1,
            }],
        }
    }

    #[test]
    fn hostile_names_are_inert_everywhere() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'|=cmd";
        let r = report(hostile);
        let html = to_html(&r);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
        assert!(html.contains("not ready, launch &lt;soon&gt;"));
        let md = to_markdown(&r);
        assert!(!md.contains("<script") && md.contains("\\|=cmd"), "{md}");
        let mut r = report("=HYPERLINK(\"x\")");
        r.rows[0].reason = Some("-1+2".into());
        let csv = to_csv(&r);
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(csv.contains(",'-1+2,,,,\n"), "{csv}");
    }

    #[test]
    fn the_page_is_self_contained_and_says_it_in_words() {
        let html = to_html(&report("Springfield"));
        for outside in [
            "<script", "<link", "src=", "http://", "https://", "@import", "url(",
        ] {
            assert!(!html.contains(outside), "{outside} in the page");
        }
        // Stage and urgency in words beside every coloured mark.
        assert!(html.contains("records sent <small>step 2/4</small>"));
        assert!(html.contains("⚠</span> late"));
        assert!(html.contains("<caption"));
        assert!(html.contains("<th scope=\"row\">Springfield<small>a</small></th>"));
        // One mark on the timeline, in the first week (5 days left).
        assert_eq!(html.matches("<use href=\"#s-l\" x=").count(), 1);
    }
}
