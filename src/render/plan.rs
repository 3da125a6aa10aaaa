//! Plans as text for a terminal (Terraform's idiom), Markdown for a pull-request comment, and
//! versioned JSON.

use std::fmt::Write as _;

use crate::plan::{Attribute, Change, LibraryPlan, Op, Plan, Progress, Totals};
use crate::text::markdown::{code, code_cell, fenced, html, inline};
use crate::text::visible_copy;

/// GitHub refuses comments longer than this many characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Values longer than this are shown as a word diff instead of `old → new`.
const LONG_VALUE: usize = 60;

/// Terminal colours, only when asked for.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    fn op(&self, op: Op) -> String {
        let code = match op {
            Op::Create => "32",
            Op::Update => "33",
            Op::Replace => "35",
            Op::Delete => "31",
        };
        self.paint(code, op.sign())
    }
}

fn summary_line(t: Totals) -> String {
    let mut line = format!(
        "Plan: {} to create, {} to change, {} to replace, {} to destroy.",
        t.create, t.update, t.replace, t.destroy
    );
    if t.attention > 0 {
        let _ = write!(
            line,
            " {} librar{} need{} attention.",
            t.attention,
            if t.attention == 1 { "y" } else { "ies" },
            if t.attention == 1 { "s" } else { "" }
        );
        if t.failing > 0 {
            line.pop();
            let _ = write!(line, ", {} failing.", t.failing);
        }
    }
    line
}

/// A value as its type reads: numbers and booleans bare (`years: 2`, `auto-renew: false`),
/// tags as a list, text quoted.
fn typed(name: &str, v: &Option<String>) -> String {
    let Some(v) = v else {
        return "(none)".to_string();
    };
    if name == "tags" {
        return format!("[{v}]");
    }
    let bare =
        v == "true" || v == "false" || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    if bare { v.clone() } else { format!("\"{v}\"") }
}

/// `old → new`, or a word diff for long values: `[-removed-]{+added+}`.
fn attribute_line(a: &Attribute) -> String {
    let long = a.old.as_ref().is_some_and(|v| v.len() > LONG_VALUE)
        || a.new.as_ref().is_some_and(|v| v.len() > LONG_VALUE);
    match (&a.old, &a.new, long) {
        (Some(old), Some(new), true) => {
            let diff = similar::TextDiff::from_words(old.as_str(), new.as_str());
            let mut out = String::new();
            for change in diff.iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Equal => out.push_str(change.value()),
                    similar::ChangeTag::Delete => {
                        let _ = write!(out, "[-{}-]", change.value());
                    }
                    similar::ChangeTag::Insert => {
                        let _ = write!(out, "{{+{}+}}", change.value());
                    }
                }
            }
            format!("{}: {out}", a.name)
        }
        _ => format!(
            "{}: {} → {}",
            a.name,
            typed(&a.name, &a.old),
            typed(&a.name, &a.new)
        ),
    }
}

fn change_lines(out: &mut String, c: &Change, style: Style, indent: &str) {
    let _ = write!(
        out,
        "{indent}{} {} {}",
        style.op(c.op),
        c.kind.as_str(),
        c.name
    );
    if let Some(reason) = &c.reason {
        let _ = write!(out, "  ({reason})");
    }
    out.push('\n');
    for a in &c.attributes {
        let _ = writeln!(out, "{indent}      {}", attribute_line(a));
    }
    if let Some(cost) = &c.cost {
        let _ = writeln!(
            out,
            "{indent}      cost: {} a year × {} year{} (cap {} a year)",
            dollars(cost.yearly_cents),
            cost.years,
            if cost.years == 1 { "" } else { "s" },
            dollars(cost.cap_cents)
        );
    }
}

fn dollars(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn progress_line(p: &Progress) -> String {
    match p {
        Progress::Verification {
            identity,
            status,
            since,
            gives_up_at,
        } => {
            let mut s = format!("SES verification of {identity}: {status}");
            if let Some(since) = since {
                let _ = write!(s, " since {since}");
            }
            if let Some(until) = gives_up_at {
                let _ = write!(s, "; SES gives up at {until}");
            }
            s
        }
        Progress::Operation {
            domain,
            operation,
            status,
            submitted,
        } => {
            let mut s = format!("{operation} of {domain}: {status}");
            if let Some(at) = submitted {
                let _ = write!(s, " (submitted {at})");
            }
            s
        }
    }
}

fn library_body(out: &mut String, l: &LibraryPlan, style: Style, indent: &str) {
    for c in &l.changes {
        change_lines(out, c, style, indent);
    }
    for c in &l.deletions {
        change_lines(out, c, style, indent);
    }
    if !l.blocked.is_empty() {
        let _ = writeln!(out, "{indent}blocked, not applied:");
        let inner = format!("{indent}  ");
        for c in &l.blocked {
            change_lines(out, c, style, &inner);
        }
    }
    if !l.actions.is_empty() {
        let _ = writeln!(out, "{indent}the library must act:");
        for a in &l.actions {
            let mark = match a.level {
                crate::plan::Level::Error => "✗",
                crate::plan::Level::Warning => "!",
                crate::plan::Level::Info => "·",
            };
            let _ = writeln!(out, "{indent}  {mark} {}  {}", a.code, a.message);
            let _ = writeln!(out, "{indent}    what to do: {}", a.remedy);
            for r in &a.records {
                let found = r
                    .found
                    .as_ref()
                    .map(|f| format!(", found {f}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{indent}    {:<5} {} → {}  [{}{found}]",
                    r.rtype, r.name, r.value, r.status
                );
            }
        }
    }
    if !l.information.is_empty() {
        // The apex's SPF and DMARC do not decide mailform's mail: one line, with the fix.
        let findings: Vec<String> = l
            .information
            .iter()
            .map(|i| match &i.remedy {
                Some(fix) => format!("{}  {}; fix: {fix}", i.code, i.message),
                None => format!("{}  {}", i.code, i.message),
            })
            .collect();
        let _ = writeln!(
            out,
            "{indent}· the domain's own records (no change needed for mailform's mail): {}",
            findings.join(" | ")
        );
    }
    for p in &l.in_progress {
        let _ = writeln!(out, "{indent}in progress: {}", progress_line(p));
    }
    for n in &l.notices {
        let _ = writeln!(
            out,
            "{indent}notice after apply: {} to {} ({})",
            n.kind, n.to, n.about
        );
    }
    if let Some(cost) = &l.yearly_cost {
        let _ = writeln!(
            out,
            "{indent}yearly cost: {} (cap {}), passed through to the library",
            dollars(cost.yearly_cents),
            dollars(cost.cap_cents)
        );
    }
    let _ = writeln!(out, "{indent}readiness: {}", l.readiness.summary);
}

/// The terminal rendering. Every string in the plan is shown with its hidden characters made
/// visible (`\x1b`): names, notes, tags and DNS answers come from outside.
pub fn to_text(plan: &Plan, style: Style) -> String {
    let plan = &visible_copy(plan);
    let mut out = String::new();
    if !plan.has_changes() {
        out.push_str(&nothing_to_change(plan));
    } else {
        out.push_str("mailform will perform the following actions:\n\n");
    }
    if !plan.platform.is_empty() {
        out.push_str("# The platform (stops every library it names, whatever their own setup)\n");
        for f in &plan.platform {
            let _ = writeln!(
                out,
                "  {} {}: {}\n      fix: {}\n      stops: {}",
                style.paint("31", "✗"),
                f.code,
                f.message,
                f.remedy,
                affected(f)
            );
        }
        out.push('\n');
    }
    if !plan.platform_changes.is_empty() {
        out.push_str("# The platform's events (made before every library's changes)\n");
        for c in &plan.platform_changes {
            change_lines(&mut out, c, style, "  ");
        }
        out.push('\n');
    }
    for l in &plan.libraries {
        let _ = writeln!(out, "# {}: {} ({})", l.library, l.name, l.method.as_str());
        library_body(&mut out, l, style, "  ");
        out.push('\n');
    }
    let deletions: Vec<(&str, &Change)> = plan
        .libraries
        .iter()
        .flat_map(|l| l.deletions.iter().map(move |c| (l.library.as_str(), c)))
        .collect();
    if !deletions.is_empty() {
        let in_use = deletions.iter().filter(|(_, c)| c.stops_mail()).count();
        let _ = writeln!(
            out,
            "# Deletions ({}; apply needs --allow-destroy){}",
            deletions.len(),
            if in_use > 0 {
                format!(
                    ": {} {in_use} of them verified and sending, not routine cleanup",
                    style.paint("31", "⚠")
                )
            } else {
                String::new()
            }
        );
        for (library, c) in deletions {
            let _ = writeln!(
                out,
                "  {} {} {}  (library {library}){}",
                style.op(c.op),
                c.kind.as_str(),
                c.name,
                if c.stops_mail() {
                    format!(
                        "  {} verified and sending: mail from {} stops at once",
                        style.paint("31", "⚠"),
                        c.name
                    )
                } else {
                    String::new()
                }
            );
        }
        out.push('\n');
    }
    if !plan.unmanaged.is_empty() {
        out.push_str("# Not managed by mailform (read-only, never changed)\n");
        for u in &plan.unmanaged {
            let _ = writeln!(out, "  {} {}: {}", u.kind.as_str(), u.name, u.note);
        }
        out.push('\n');
    }
    out.push_str(&summary_line(plan.totals()));
    out.push('\n');
    out
}

/// The headline of a plan without changes. "No changes" only when nothing is held back: a
/// purchase or an identity blocked by an error is wanted and not made, which is no match.
pub fn nothing_to_change(plan: &Plan) -> String {
    let blocked: Vec<String> = plan
        .libraries
        .iter()
        .flat_map(|l| {
            l.blocked
                .iter()
                .map(move |c| format!("{} {} (library {})", c.kind.as_str(), c.name, l.library))
        })
        .collect();
    if blocked.is_empty() {
        return "No changes. The live setup matches the library files.\n\n".into();
    }
    format!(
        "Nothing can be applied, and the live setup does not match the library files: {} change(s) blocked by an error below ({}).\n\n",
        blocked.len(),
        blocked.join(", ")
    )
}

/// The methods a platform finding stops, in words.
fn affected(f: &crate::plan::PlatformFinding) -> String {
    f.affects
        .iter()
        .map(|m| format!("every {} library", m.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts(l: &LibraryPlan) -> String {
    let count = |op: Op| {
        l.changes
            .iter()
            .chain(&l.deletions)
            .filter(|c| c.op == op)
            .count()
    };
    format!(
        "+{} ~{} -/+{} -{}",
        count(Op::Create),
        count(Op::Update),
        count(Op::Replace),
        count(Op::Delete)
    )
}

/// What a pull-request comment puts first, and how long it may be.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownOptions<'a> {
    /// The most characters the comment may have ([`GITHUB_COMMENT_LIMIT`]).
    pub limit: usize,
    /// The libraries the pull request changes (their files touched): shown first, in full.
    pub focus: &'a [String],
}

/// `a` before `b` in natural order: runs of digits compare as numbers, so `library-2` comes
/// before `library-10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, xa), (db, xb)) in ca.iter().zip(&cb) {
        let order = if *da && *db {
            let (ta, tb) = (xa.trim_start_matches('0'), xb.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
        } else {
            xa.cmp(xb)
        };
        if order.is_ne() {
            return order;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// A library's status mark: failing (broken, about to break, or late) is not waiting.
fn status_mark(l: &LibraryPlan) -> &'static str {
    if l.failing() {
        "❌ failing"
    } else if l.needs_attention() {
        "⏳ waiting"
    } else {
        "✅ ready"
    }
}

fn has_changes(l: &LibraryPlan) -> bool {
    !l.changes.is_empty() || !l.deletions.is_empty()
}

/// One library's details as a `<details>` block (open when `open`), never cut inside.
fn details_block(l: &LibraryPlan, open: bool) -> String {
    let mut body = String::new();
    library_body(&mut body, &visible_copy(l), Style { color: false }, "");
    format!(
        "<details{}><summary><code>{}</code> {} · {} · {}</summary>\n\n{}\n</details>\n\n",
        if open { " open" } else { "" },
        html(&l.library),
        counts(l),
        status_mark(l),
        html(&l.name),
        fenced(&body, "diff")
    )
}

/// The Markdown rendering for a pull-request comment, never longer than `limit` characters.
pub fn to_markdown(plan: &Plan, limit: usize) -> String {
    to_markdown_with(plan, &MarkdownOptions { limit, focus: &[] })
}

/// The Markdown rendering for a pull-request comment, never longer than `o.limit` characters,
/// readable at a thousand libraries.
///
/// In order of importance: the summary line; every deletion (in the open); the libraries the
/// pull request changes, their details open; the other libraries with changes, their details
/// folded; the failing libraries (❌), then the waiting ones (⏳), a row each, then their
/// details folded as room allows; the rest as a count; the unmanaged resources. Names in natural order. A library's details are shown whole
/// or not at all; what does not fit is left out from the end, with a note saying how much and
/// where the full plan is.
pub fn to_markdown_with(plan: &Plan, o: &MarkdownOptions<'_>) -> String {
    const NOTE_RESERVE: usize = 400;
    let limit = o.limit;
    let budget = limit.saturating_sub(NOTE_RESERVE);
    let len = |s: &str| s.chars().count();
    let fits = |out: &str, more: &str| len(out) + len(more) <= budget;
    let mut out = String::from("### mailform plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(plan.totals()));
    if !plan.platform.is_empty() {
        out.push_str("#### ❌ The platform\n\n");
        for f in &plan.platform {
            let _ = writeln!(
                out,
                "- **{}**: {} Fix: {} (stops {})",
                f.code,
                inline(&f.message),
                inline(&f.remedy),
                affected(f)
            );
        }
        out.push('\n');
    }
    if !plan.platform_changes.is_empty() {
        out.push_str("#### The platform's events\n\n");
        for c in &plan.platform_changes {
            let _ = writeln!(
                out,
                "- **{}** {} {}{}",
                c.op.verb(),
                c.kind.as_str(),
                code(&c.name),
                c.reason
                    .as_ref()
                    .map(|r| format!(": {}", inline(r)))
                    .unwrap_or_default()
            );
            for a in &c.attributes {
                let _ = writeln!(out, "  - {}", inline(&attribute_line(a)));
            }
        }
        out.push('\n');
    }
    let mut notes: Vec<String> = Vec::new();

    let mut libraries: Vec<&LibraryPlan> = plan.libraries.iter().collect();
    libraries.sort_by(|a, b| natural_cmp(&a.library, &b.library));
    let focused = |l: &LibraryPlan| o.focus.contains(&l.library);

    let deletions: Vec<(&str, &Change)> = libraries
        .iter()
        .flat_map(|l| l.deletions.iter().map(move |c| (l.library.as_str(), c)))
        .collect();
    if !deletions.is_empty() {
        let _ = writeln!(out, "#### ⚠️ Deletions ({})\n", deletions.len());
        let mut shown = 0;
        for (library, c) in &deletions {
            let line = format!(
                "- {}**destroy** {} {} (library {}){}\n",
                if c.stops_mail() {
                    "⚠️ **verified and sending, mail stops at once:** "
                } else {
                    ""
                },
                c.kind.as_str(),
                code(&c.name),
                code(library),
                c.reason
                    .as_ref()
                    .map(|r| format!(": {}", inline(r)))
                    .unwrap_or_default()
            );
            if !fits(&out, &line) {
                break;
            }
            out.push_str(&line);
            shown += 1;
        }
        if shown < deletions.len() {
            notes.push(format!("{} more deletions", deletions.len() - shown));
        }
        out.push('\n');
    }

    // The libraries the pull request changes, whole and open; then the others with changes.
    let mut left_out: Vec<&str> = Vec::new();
    if !o.focus.is_empty() {
        let mut focus: Vec<&String> = o.focus.iter().collect();
        focus.sort_by(|a, b| natural_cmp(a, b));
        focus.dedup();
        let _ = writeln!(
            out,
            "#### Libraries this pull request changes ({})\n",
            focus.len()
        );
        for id in focus {
            match libraries.iter().find(|l| l.library == *id) {
                Some(l) => {
                    let block = details_block(l, true);
                    if fits(&out, &block) {
                        out.push_str(&block);
                    } else {
                        left_out.push(&l.library);
                    }
                }
                None => {
                    let _ = writeln!(
                        out,
                        "- {}: no longer in the library files (what it leaves behind is under Deletions)\n",
                        code(id)
                    );
                }
            }
        }
    }
    let changed: Vec<&LibraryPlan> = libraries
        .iter()
        .copied()
        .filter(|l| has_changes(l) && !focused(l))
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(out, "#### Libraries with changes ({})\n", changed.len());
        for l in &changed {
            let block = details_block(l, false);
            if fits(&out, &block) {
                out.push_str(&block);
            } else {
                left_out.push(&l.library);
            }
        }
    }
    if !left_out.is_empty() {
        notes.push(format!(
            "the details of {} librar{} with changes ({})",
            left_out.len(),
            if left_out.len() == 1 { "y" } else { "ies" },
            cut_list(&left_out, 20)
        ));
    }

    // Without changes: failing, then waiting, a row each as room allows; the rest counted.
    let quiet: Vec<&LibraryPlan> = libraries
        .iter()
        .copied()
        .filter(|l| !has_changes(l) && !focused(l))
        .collect();
    for (title, wanted) in [
        ("❌ Failing: broken, about to break, or late", true),
        ("⏳ Waiting on someone, on schedule", false),
    ] {
        let rows: Vec<&LibraryPlan> = quiet
            .iter()
            .copied()
            .filter(|l| l.needs_attention() && l.failing() == wanted)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let header = format!(
            "#### {title} ({})\n\n| library | method | library must act | readiness |\n|---|---|---|---|\n",
            rows.len()
        );
        if !fits(&out, &header) {
            notes.push(format!("{} {} libraries", rows.len(), status_word(wanted)));
            continue;
        }
        out.push_str(&header);
        let mut shown = 0;
        for l in &rows {
            let first = l
                .actions
                .first()
                .map(|a| format!(": {}", code_cell(&a.code)))
                .unwrap_or_default();
            let row = format!(
                "| {} | {} | {}{first} | {} |\n",
                code_cell(&l.library),
                l.method.as_str(),
                l.actions.len(),
                inline(&l.readiness.summary)
            );
            if !fits(&out, &row) {
                break;
            }
            out.push_str(&row);
            shown += 1;
        }
        if shown < rows.len() {
            let _ = writeln!(
                out,
                "| … {} more {} libraries | | | |",
                rows.len() - shown,
                status_word(wanted)
            );
            notes.push(format!(
                "{} rows of {} libraries",
                rows.len() - shown,
                status_word(wanted)
            ));
        }
        out.push('\n');
    }
    // Their details (what the library must do, with the records), folded, as room allows.
    let mut folded_out = 0usize;
    for wanted in [true, false] {
        for l in quiet
            .iter()
            .filter(|l| l.needs_attention() && l.failing() == wanted)
        {
            let block = details_block(l, false);
            if folded_out == 0 && fits(&out, &block) {
                out.push_str(&block);
            } else {
                folded_out += 1;
            }
        }
    }
    if folded_out > 0 {
        notes.push(format!(
            "the details of {folded_out} failing or waiting librar{} without changes",
            if folded_out == 1 { "y" } else { "ies" }
        ));
    }
    let settled = quiet.iter().filter(|l| !l.needs_attention()).count();
    if settled > 0 {
        let _ = writeln!(
            out,
            "✅ {settled} other librar{}: no changes, nothing to do, ready.\n",
            if settled == 1 { "y" } else { "ies" }
        );
    }

    if !plan.unmanaged.is_empty() {
        let mut section = format!(
            "<details><summary>Not managed by mailform ({})</summary>\n\n",
            plan.unmanaged.len()
        );
        for u in &plan.unmanaged {
            let _ = writeln!(
                section,
                "- {} {}: {}",
                u.kind.as_str(),
                code(&u.name),
                inline(&u.note)
            );
        }
        section.push_str("\n</details>\n\n");
        if fits(&out, &section) {
            out.push_str(&section);
        } else {
            notes.push("the list of unmanaged resources".into());
        }
    }

    if !notes.is_empty() {
        let note = format!(
            "_Left out to stay under GitHub's {limit}-character comment limit: {}. The full plan is in the workflow's artifacts (`mailform show PLANFILE`)._\n",
            notes.join(", ")
        );
        // The note's own room is reserved, but a very long list of names is cut to fit.
        let room = limit.saturating_sub(len(&out));
        out.push_str(&cut(&note, room));
    }
    out
}

fn status_word(failing: bool) -> &'static str {
    if failing { "failing" } else { "waiting" }
}

/// The first `n` names, then how many more.
fn cut_list(names: &[&str], n: usize) -> String {
    let mut s = names
        .iter()
        .take(n)
        .map(|n| code(n))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > n {
        let _ = write!(s, " and {} more", names.len() - n);
    }
    s
}

/// `text` in at most `width` characters.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(2)).collect();
    out.push_str("…\n");
    out
}

/// The JSON rendering (`schemas/plan.schema.json`).
pub fn to_json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;

    #[test]
    fn natural_order_compares_numbers_as_numbers() {
        let mut names = vec![
            "library-10",
            "library-2",
            "library-002b",
            "Library-1",
            "library-1",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "Library-1",
                "library-1",
                "library-2",
                "library-002b",
                "library-10"
            ]
        );
    }
}
