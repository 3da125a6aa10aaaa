//! A library file written by mailform rather than by a person: `mailform import` (from live
//! state) and `mailform new` (a skeleton to fill in). Pure: a [`Draft`] in, canonical KDL text
//! out.
//!
//! Every comment sits on a line of its own above the node it is about, which is where
//! `mailform fmt` keeps comments; a test checks that every draft is already canonical, so a
//! written file passes `fmt --check` as it is.

use std::fmt::Write as _;

use crate::model::LibraryId;

/// A library file to write: its id, the library's own nodes and one method block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: LibraryId,
    /// Comment lines above `library`, without the `// ` marker.
    pub header: Vec<String>,
    /// `name`, `it-contact`, `launch`, in that (the schema's) order.
    pub fields: Vec<Field>,
    /// `ses-domain`, `smtp-account` or `managed-domain`.
    pub method: &'static str,
    /// The method block's children, in schema order.
    pub method_fields: Vec<Field>,
}

/// One node with its value and the comment lines above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub comment: Vec<String>,
    pub name: &'static str,
    pub value: Value,
}

/// The value of a [`Field`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Integer(u64),
    Bool(bool),
    /// A property alone, e.g. `password env="NAME"`.
    Property(&'static str, String),
    /// A block of child nodes, e.g. `tenant { … }`.
    Block(Vec<Field>),
}

impl Field {
    pub fn new(name: &'static str, value: Value) -> Self {
        Field {
            comment: Vec::new(),
            name,
            value,
        }
    }

    pub fn text(name: &'static str, value: impl Into<String>) -> Self {
        Self::new(name, Value::Text(value.into()))
    }

    /// The same field with a comment line above it.
    pub fn noted(mut self, comment: impl Into<String>) -> Self {
        self.comment.push(comment.into());
        self
    }
}

impl Draft {
    /// The file's name in a libraries directory.
    pub fn file_name(&self) -> String {
        format!("{}.kdl", self.id)
    }

    /// The file's text in mailform's canonical layout.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            comment(&mut out, "", line);
        }
        let _ = writeln!(out, "library {} {{", quote(self.id.as_str()));
        for field in &self.fields {
            render_field(&mut out, INDENT, field);
        }
        let _ = writeln!(out, "\n{INDENT}{} {{", self.method);
        let inner = format!("{INDENT}{INDENT}");
        for field in &self.method_fields {
            render_field(&mut out, &inner, field);
        }
        let _ = writeln!(out, "{INDENT}}}\n}}");
        out
    }
}

const INDENT: &str = "    ";

fn render_field(out: &mut String, indent: &str, field: &Field) {
    // `fmt` sets a block apart from the nodes before it with a blank line.
    if matches!(field.value, Value::Block(_)) {
        out.push('\n');
    }
    for line in &field.comment {
        comment(out, indent, line);
    }
    let value = match &field.value {
        Value::Block(children) => {
            let _ = writeln!(out, "{indent}{} {{", field.name);
            let inner = format!("{indent}{INDENT}");
            for child in children {
                render_field(out, &inner, child);
            }
            let _ = writeln!(out, "{indent}}}");
            return;
        }
        Value::Text(s) => quote(s),
        Value::Integer(n) => n.to_string(),
        Value::Bool(b) => format!("#{b}"),
        Value::Property(key, v) => format!("{key}={}", quote(v)),
    };
    let _ = writeln!(out, "{indent}{} {value}", field.name);
}

fn comment(out: &mut String, indent: &str, line: &str) {
    // A comment is one line: a line break in a value read from live state would end it.
    let line: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(out, "{indent}// {}", line.trim_end());
}

/// A KDL string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{self, AnalyzeOptions};
    use crate::model::{Config, Date};
    use crate::source::{SourceFile, SourceSet};

    pub(crate) const PLATFORM: &str = r#"platform {
    aws-region "us-east-1"

    registrant {
        contact-type "PERSON"
        first-name "Pat"
        last-name "Example"
        email "domains@platform.example.com"
        phone "+1.5555550100"
        address-line-1 "100 Example Street"
        city "Springfield"
        country-code "US"
        zip-code "62701"
    }

    tenants {
        reputation-policy "standard"
    }
}
"#;

    /// Formats and analyses a draft beside a platform file, as `fmt --check` and `validate`
    /// would: asserts that `fmt` changes nothing, and returns the text and the analysis.
    pub(crate) fn analyze(draft: &Draft) -> (String, config::Analysis) {
        let text = draft.render();
        let mut sources = SourceSet::default();
        sources.add(SourceFile::new("libraries/_platform.kdl", PLATFORM.into()));
        let id = sources.add(SourceFile::new(
            format!("libraries/{}", draft.file_name()),
            text.clone(),
        ));
        let mut diagnostics = Vec::new();
        let formatted = crate::format::format_source(id, sources.get(id), &mut diagnostics);
        assert_eq!(formatted.as_deref(), Some(text.as_str()), "{diagnostics:?}");
        let analysis = config::analyze(
            &mut sources,
            &AnalyzeOptions {
                today: Date::parse("2026-11-26").unwrap(),
            },
        );
        (text, analysis)
    }

    /// Checks a draft as `validate` and `fmt --check` would, beside a platform file, and returns
    /// the configuration it declares.
    pub(crate) fn check(draft: &Draft) -> Config {
        let (text, analysis) = analyze(draft);
        let problems: Vec<_> = analysis
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(problems.is_empty(), "{text}\n{problems:?}");
        analysis.config.expect("a configuration")
    }

    #[test]
    fn a_draft_is_canonical_and_valid_and_quotes_what_it_must() {
        let draft = Draft {
            id: LibraryId::parse("odd").unwrap(),
            header: vec!["first\nsecond".into()],
            fields: vec![
                Field::text("name", "The \"Odd\" \\ Library").noted("a note"),
                Field::text("it-contact", "it@odd.example.org"),
            ],
            method: "ses-domain",
            method_fields: vec![
                Field::text("from", "noreply@odd.example.org"),
                Field::new("dkim-key-length", Value::Integer(1024)),
                Field::new("adopt", Value::Bool(true)).noted("why"),
            ],
        };
        let text = draft.render();
        assert!(
            text.starts_with("// first second\nlibrary \"odd\" {\n"),
            "{text}"
        );
        let config = check(&draft);
        assert_eq!(config.libraries[0].name, "The \"Odd\" \\ Library");
    }
}
