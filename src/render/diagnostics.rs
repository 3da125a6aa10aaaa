//! Diagnostics as JSON (versioned, schema in `schemas/diagnostics.schema.json`), as GitHub
//! workflow annotations, and as `miette::Diagnostic` values for the terminal renderer.
//!
//! Source text always comes from the files' display copies, where secrets are masked.

use std::borrow::Cow;
use std::fmt;

use miette::LabeledSpan;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Location, Severity, Tally};
use crate::render::snippet::Snippet;
use crate::source::{SourceSet, unsafe_char};

/// Version of the JSON output; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Cow<'a, str>>,
    notes: Vec<JsonNote<'a>>,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    message: Cow<'a, str>,
    location: JsonLocation,
}

#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn json_location(sources: &SourceSet, l: &Location) -> JsonLocation {
    let file = sources.get(l.file);
    let (line, column) = file.line_col(l.span.start);
    let (end_line, end_column) = file.line_col(l.span.end);
    JsonLocation {
        file: visible(&file.path.display().to_string()).into_owned(),
        line,
        column,
        end_line,
        end_column,
    }
}

/// The JSON form of a validation run.
pub fn to_json(sources: &SourceSet, diagnostics: &[Diagnostic]) -> String {
    let tally = Tally::of(diagnostics);
    let report = JsonReport {
        version: JSON_VERSION,
        files: sources.len(),
        errors: tally.errors,
        warnings: tally.warnings,
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code,
                severity: d.severity.as_str(),
                message: visible(&d.message),
                location: d.location.as_ref().map(|l| json_location(sources, l)),
                label: d.label.as_deref().map(visible),
                help: d.help.as_deref().map(visible),
                notes: d
                    .notes
                    .iter()
                    .map(|n| JsonNote {
                        message: visible(&n.message),
                        location: json_location(sources, &n.location),
                    })
                    .collect(),
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    // `##[` anywhere in a line is a legacy workflow command to GitHub's runner; the same
    // string, escaped the JSON way, is not.
    let mut text = text.replace("##[", "##\\u005b");
    text.push('\n');
    text
}

/// GitHub workflow commands (`::error file=…,line=…::message`), one per diagnostic, which
/// GitHub shows as annotations on the changed lines of a pull request.
pub fn to_github(sources: &SourceSet, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = vec![format!("title={}", escape_property(d.code))];
        if let Some(l) = &d.location {
            let loc = json_location(sources, l);
            props.insert(0, format!("file={}", escape_property(&loc.file)));
            props.insert(1, format!("line={}", loc.line));
            props.insert(2, format!("col={}", loc.column));
            props.insert(3, format!("endLine={}", loc.end_line));
            if loc.end_line == loc.line {
                props.insert(4, format!("endColumn={}", loc.end_column));
            }
        }
        let mut message = visible(&d.message).into_owned();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&visible(help));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

/// A workflow command's data: `%`, CR and LF escaped as the runner unescapes them, so the
/// command stays one line; `##[` broken up, since the runner looks for that legacy prefix
/// anywhere in a line that is not a `::` command (this one is, but the text is defused anyway).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("##[", "##%5B")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `s` with every character [`unsafe_char`] names written as `\u{…}`: messages quote names
/// and values from the files (and paths), and a line feed, carriage return, escape sequence or
/// bidirectional override there would forge lines or rewrite a terminal.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| unsafe_char(c).is_some()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match unsafe_char(c) {
                Some(_) => format!("\\u{{{:x}}}", c as u32),
                None => c.to_string(),
            })
            .collect(),
    )
}

/// Text bound for a CI log, defused line by line: no line can start a GitHub workflow command
/// (`::name::`, after leading white space, which the runner skips) nor hold the legacy
/// `##[name]` form anywhere. A zero-width space goes before such a `::` and inside `##[`; the
/// text reads the same. A carriage return alone, which the runner also takes for a line break,
/// is written as `\r`. Nothing the tool itself prints starts with `::` outside `--format
/// github`, which goes through [`to_github`] instead.
pub fn defuse_log_text(text: &str) -> Cow<'_, str> {
    let risky = text.contains("::") || text.contains("##[") || text.contains('\r');
    if !risky {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix("\r\n") {
            Some(body) => (body, "\r\n"),
            None => match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            },
        };
        for (i, part) in body.split('\r').enumerate() {
            if i > 0 {
                out.push_str("\\r");
            }
            let rest = part.trim_start();
            let indent = &part[..part.len() - rest.len()];
            out.push_str(indent);
            // After a written `\r` the part no longer starts a line.
            if i == 0 && rest.starts_with("::") {
                out.push('\u{200b}');
            }
            out.push_str(&rest.replace("##[", "##\u{200b}["));
        }
        out.push_str(end);
    }
    Cow::Owned(out)
}

/// One of our diagnostics seen through miette's trait, with its file's masked text.
pub struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<Snippet>,
    notes: Vec<NoteView>,
}

/// A note in another place, rendered by miette as a related diagnostic with its own snippet.
pub struct NoteView {
    message: String,
    source: Snippet,
}

/// The lines around `l`, named by the file's path, from the display copy (secrets masked).
fn snippet(sources: &SourceSet, l: &Location) -> Snippet {
    let file = sources.get(l.file);
    Snippet::new(
        visible(&file.path.display().to_string()).into_owned(),
        file.display_text(),
        l.span.clone(),
    )
}

impl<'a> MietteView<'a> {
    pub fn new(sources: &SourceSet, diagnostic: &'a Diagnostic) -> Self {
        MietteView {
            diagnostic,
            source: diagnostic.location.as_ref().map(|l| snippet(sources, l)),
            notes: diagnostic
                .notes
                .iter()
                .map(|n| NoteView {
                    message: visible(&n.message).into_owned(),
                    source: snippet(sources, &n.location),
                })
                .collect(),
        }
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MietteView")
            .field("code", &self.diagnostic.code)
            .finish()
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.diagnostic.message))
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(visible(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                self.diagnostic
                    .label
                    .as_deref()
                    .map(|s| visible(s).into_owned()),
                source.span,
            ),
        )))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.notes.is_empty() {
            return None;
        }
        Some(Box::new(
            self.notes.iter().map(|n| n as &dyn miette::Diagnostic),
        ))
    }
}

impl fmt::Debug for NoteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for NoteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NoteView {}

impl miette::Diagnostic for NoteView {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.source.span),
        )))
    }
}
