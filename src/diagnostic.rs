//! Diagnostics as plain data.
//!
//! Every problem mailform finds in a file is a [`Diagnostic`]: a stable code, a severity, a
//! message, an optional labelled span in one source file, help text and related notes. Nothing
//! here renders; `render::diagnostics` turns them into terminal, JSON or GitHub output, so every
//! output format shows the same facts.

use std::ops::Range;

/// How bad a finding is. Errors fail `validate`; warnings fail it only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Index of a file in a [`crate::source::SourceSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// A place in a source file: a byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: FileId,
    pub span: Range<usize>,
}

/// A secondary note that points somewhere else, such as the first definition of a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub message: String,
    pub location: Location,
}

/// One finding about one place in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable identifier such as `config::unknown-node`; documented in the README.
    pub code: &'static str,
    pub severity: Severity,
    /// Lower case, no trailing period; never contains a secret.
    pub message: String,
    /// Where the problem is; `None` for problems of a whole file set (e.g. no platform file).
    pub location: Option<Location>,
    /// Text shown under the span.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    pub notes: Vec<Note>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            location: None,
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn at(mut self, file: FileId, span: Range<usize>) -> Self {
        self.location = Some(Location { file, span });
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, message: impl Into<String>, file: FileId, span: Range<usize>) -> Self {
        self.notes.push(Note {
            message: message.into(),
            location: Location { file, span },
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Counts of a diagnostic list, for summaries and exit codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
}

impl Tally {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics.iter().filter(|d| d.is_error()).count();
        Tally {
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}
