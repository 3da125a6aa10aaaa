//! Plans as text for a terminal (Terraform's idiom), Markdown for a pull-request comment, and
//! versioned JSON.

use std::fmt::Write as _;

use crate::plan::{Attribute, Change, LibraryPlan, Op, Plan, Progress, Totals};

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

fn quoted(v: &Option<String>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_string(), |v| format!("\"{v}\""))
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
        _ => format!("{}: {} → {}", a.name, quoted(&a.old), quoted(&a.new)),
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
        let _ = writeln!(out, "{indent}for information (nothing to change):");
        for i in &l.information {
            let _ = writeln!(out, "{indent}  · {}  {}", i.code, i.message);
            let _ = writeln!(out, "{indent}    why: {}", i.why);
        }
    }
    for p in &l.in_progress {
        let _ = writeln!(out, "{indent}in progress: {}", progress_line(p));
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

/// The terminal rendering.
pub fn to_text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    if !plan.has_changes() {
        out.push_str("No changes. The live setup matches the library files.\n\n");
    } else {
        out.push_str("mailform will perform the following actions:\n\n");
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
        let _ = writeln!(
            out,
            "# Deletions ({}; apply needs --allow-destroy)",
            deletions.len()
        );
        for (library, c) in deletions {
            let _ = writeln!(
                out,
                "  {} {} {}  (library {library})",
                style.op(c.op),
                c.kind.as_str(),
                c.name
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

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Markdown rendering for a pull-request comment, never longer than `limit` characters.
///
/// In order of importance: the summary line, every deletion (in the open, never folded), the
/// table of libraries, the unmanaged resources, then each library's details folded. What does
/// not fit is left out from the end, with a note saying how much and where the full plan is.
pub fn to_markdown(plan: &Plan, limit: usize) -> String {
    const NOTE_RESERVE: usize = 400;
    let budget = limit.saturating_sub(NOTE_RESERVE);
    let len = |s: &str| s.chars().count();
    let mut out = String::from("### mailform plan\n\n");
    let _ = writeln!(out, "**{}**\n", summary_line(plan.totals()));
    let mut notes: Vec<String> = Vec::new();

    let deletions: Vec<(&str, &Change)> = plan
        .libraries
        .iter()
        .flat_map(|l| l.deletions.iter().map(move |c| (l.library.as_str(), c)))
        .collect();
    if !deletions.is_empty() {
        let _ = writeln!(out, "#### ⚠️ Deletions ({})\n", deletions.len());
        let mut shown = 0;
        for (library, c) in &deletions {
            let line = format!(
                "- **destroy** {} `{}` (library `{library}`){}\n",
                c.kind.as_str(),
                c.name,
                c.reason
                    .as_ref()
                    .map(|r| format!(": {}", md_escape(r)))
                    .unwrap_or_default()
            );
            if len(&out) + len(&line) > budget {
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

    let header =
        "| library | method | changes | library must act | readiness |\n|---|---|---|---|---|\n";
    if len(&out) + len(header) <= budget {
        out.push_str(header);
        let mut shown = 0;
        for l in &plan.libraries {
            let readiness = if l.readiness.ready {
                "ready".to_string()
            } else {
                let mark = match l.readiness.level {
                    crate::plan::Level::Error => "❌",
                    crate::plan::Level::Warning => "⚠️",
                    crate::plan::Level::Info => "⏳",
                };
                format!("{mark} {}", md_escape(&l.readiness.summary))
            };
            let row = format!(
                "| `{}` | {} | {} | {} | {} |\n",
                l.library,
                l.method.as_str(),
                counts(l),
                l.actions.len(),
                readiness
            );
            if len(&out) + len(&row) > budget {
                break;
            }
            out.push_str(&row);
            shown += 1;
        }
        if shown < plan.libraries.len() {
            notes.push(format!(
                "{} rows of the table",
                plan.libraries.len() - shown
            ));
        }
        out.push('\n');
    }

    if !plan.unmanaged.is_empty() {
        let mut section = format!(
            "<details><summary>Not managed by mailform ({})</summary>\n\n",
            plan.unmanaged.len()
        );
        for u in &plan.unmanaged {
            let _ = writeln!(
                section,
                "- {} `{}`: {}",
                u.kind.as_str(),
                u.name,
                md_escape(&u.note)
            );
        }
        section.push_str("\n</details>\n\n");
        if len(&out) + len(&section) <= budget {
            out.push_str(&section);
        } else {
            notes.push("the list of unmanaged resources".into());
        }
    }

    let mut omitted = 0usize;
    for l in &plan.libraries {
        let mut body = String::new();
        library_body(&mut body, l, Style { color: false }, "");
        let details = format!(
            "<details><summary><code>{}</code> {} · {}</summary>\n\n```diff\n{}```\n\n</details>\n\n",
            l.library,
            counts(l),
            md_escape(&l.name),
            body.replace("```", "ˋˋˋ")
        );
        if omitted == 0 && len(&out) + len(&details) <= budget {
            out.push_str(&details);
        } else {
            omitted += 1;
        }
    }
    if omitted > 0 {
        notes.push(format!(
            "the details of {omitted} librar{}",
            if omitted == 1 { "y" } else { "ies" }
        ));
    }
    if !notes.is_empty() {
        let _ = writeln!(
            out,
            "_Left out to stay under GitHub's {limit}-character comment limit: {}. The full plan is in the workflow's artifacts._",
            notes.join(", ")
        );
    }
    out
}

/// The JSON rendering (`schemas/plan.schema.json`).
pub fn to_json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
