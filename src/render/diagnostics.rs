//! Diagnostics as JSON (versioned, schema in `schemas/diagnostics.schema.json`), as GitHub
//! workflow annotations, and as `miette::Diagnostic` values for the terminal renderer.
//!
//! Source text always comes from the files' display copies, where secrets are masked.

use std::fmt;

use miette::{LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Location, Severity, Tally};
use crate::source::SourceSet;

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
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    notes: Vec<JsonNote<'a>>,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    message: &'a str,
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
        file: file.path.display().to_string(),
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
                message: &d.message,
                location: d.location.as_ref().map(|l| json_location(sources, l)),
                label: d.label.as_deref(),
                help: d.help.as_deref(),
                notes: d
                    .notes
                    .iter()
                    .map(|n| JsonNote {
                        message: &n.message,
                        location: json_location(sources, &n.location),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
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
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One of our diagnostics seen through miette's trait, with its file's masked text.
pub struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    notes: Vec<NoteView>,
}

/// A note in another place, rendered by miette as a related diagnostic with its own snippet.
pub struct NoteView {
    message: String,
    source: NamedSource<String>,
    span: SourceSpan,
}

fn named(sources: &SourceSet, l: &Location) -> NamedSource<String> {
    let file = sources.get(l.file);
    NamedSource::new(
        file.path.display().to_string(),
        file.display_text().to_string(),
    )
    .with_language("kdl")
}

fn to_span(l: &Location) -> SourceSpan {
    (l.span.start, l.span.end.saturating_sub(l.span.start)).into()
}

impl<'a> MietteView<'a> {
    pub fn new(sources: &SourceSet, diagnostic: &'a Diagnostic) -> Self {
        MietteView {
            diagnostic,
            source: diagnostic.location.as_ref().map(|l| named(sources, l)),
            notes: diagnostic
                .notes
                .iter()
                .map(|n| NoteView {
                    message: n.message.clone(),
                    source: named(sources, &n.location),
                    span: to_span(&n.location),
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
        f.write_str(&self.diagnostic.message)
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
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let l = self.diagnostic.location.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(self.diagnostic.label.clone(), to_span(l)),
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
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}
