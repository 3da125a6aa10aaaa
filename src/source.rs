//! The configuration files as read, and the positions inside them.
//!
//! A [`SourceFile`] keeps the text as written (for parsing) and a display copy in which every
//! value that may be a secret is overwritten with `*` of the same byte length. Renderers only
//! ever see the display copy, so a password typed into a file by mistake cannot reach a
//! terminal, a log or a pull-request annotation, even inside a source snippet.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::FileId;

/// Names of nodes and properties whose values are secrets. A value given under one of these
/// names is masked wherever it appears and is reported as a literal secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "auth-code",
    "authcode",
    "api-key",
    "apikey",
    "private-key",
];

/// Whether a node or property name names a secret.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user gave it (relative paths stay relative), for messages.
    pub path: PathBuf,
    text: String,
    display: String,
    /// False when only a valid prefix of the file could be kept (it is not UTF-8): such a file
    /// is shown in diagnostics but never parsed or formatted.
    complete: bool,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let display = mask_secret_lines(&text);
        SourceFile {
            path: path.into(),
            text,
            display,
            complete: true,
        }
    }

    /// A file of which only `prefix` could be read; see [`SourceFile::is_complete`].
    pub fn incomplete(path: impl Into<PathBuf>, prefix: String) -> Self {
        SourceFile {
            complete: false,
            ..SourceFile::new(path, prefix)
        }
    }

    /// Whether the text is the whole file. An incomplete file is never parsed.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The text as written. Only the parser reads this.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text with secret values masked; what renderers show.
    pub fn display_text(&self) -> &str {
        &self.display
    }

    /// Mask a byte range of the display copy, for secrets found once the file is parsed.
    pub fn mask(&mut self, span: Range<usize>) {
        let end = span.end.min(self.display.len());
        let start = span.start.min(end);
        if !self.display.is_char_boundary(start) || !self.display.is_char_boundary(end) {
            return;
        }
        let stars = "*".repeat(end - start);
        self.display.replace_range(start..end, &stars);
    }

    /// The file's stem: the library id it must declare.
    pub fn stem(&self) -> &str {
        self.path.file_stem().and_then(|s| s.to_str()).unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let col = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        (line, col)
    }
}

/// All files of one run, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    files: Vec<SourceFile>,
}

impl SourceSet {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn get_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id.0]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }
}

/// Masks, line by line, everything after a secret-like word except `env=NAME` references.
///
/// This runs before parsing, so it also protects files that do not parse: a syntax error on
/// the line `password "hunter2` must not show `hunter2` in its snippet.
fn mask_secret_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let lower = line.to_ascii_lowercase();
        let hit = SECRET_WORDS
            .iter()
            .filter_map(|w| lower.find(w).map(|p| p + w.len()))
            .min();
        match hit {
            None => out.push_str(line),
            Some(after_word) => {
                // Keep the rest of the word (e.g. `password-env`) and mask values after it.
                let rest_start = line[after_word..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                    .map_or(line.len(), |p| after_word + p);
                out.push_str(&line[..rest_start]);
                out.push_str(&mask_values(&line[rest_start..]));
            }
        }
    }
    out
}

/// Masks every value in a fragment of a line, keeping `env=NAME` when NAME looks like an
/// environment variable name, and keeping KDL punctuation and comments' markers.
fn mask_values(fragment: &str) -> String {
    let mut out = String::with_capacity(fragment.len());
    let mut rest = fragment;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("env=") {
            let (value, tail) = split_value(after);
            let name = value.trim_matches('"');
            out.push_str("env=");
            if is_env_name(name) {
                out.push_str(value);
            } else {
                out.push_str(&stars_keep_newline(value));
            }
            rest = tail;
        } else if c.is_whitespace() || matches!(c, '{' | '}' | ';' | '=') {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else {
            let (value, tail) = split_value(rest);
            out.push_str(&stars_keep_newline(value));
            rest = tail;
        }
    }
    out
}

/// Splits off one value: a quoted string (to its closing quote or the end of the line) or a
/// bare word (to the next whitespace or punctuation).
fn split_value(s: &str) -> (&str, &str) {
    if let Some(inner) = s.strip_prefix('"') {
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return s.split_at(i + 2),
                '\n' => return s.split_at(i + 1),
                _ => escaped = false,
            }
        }
        (s, "")
    } else {
        let end = s
            .find(|c: char| c.is_whitespace() || matches!(c, '{' | '}' | ';' | '='))
            .unwrap_or(s.len());
        let end = end.max(s.chars().next().map_or(0, char::len_utf8));
        s.split_at(end)
    }
}

fn stars_keep_newline(s: &str) -> String {
    s.bytes()
        .map(|b| if b == b'\n' { '\n' } else { '*' })
        .collect()
}

/// Whether `s` is a plausible environment variable name: upper case, digits and underscores.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_literal_passwords_but_keeps_env_references() {
        let text = "a {\n  password \"hunter2\"\n  password env=\"SMTP_PASS\"\n  host \"x\"\n}\n";
        let masked = mask_secret_lines(text);
        assert!(!masked.contains("hunter2"), "{masked}");
        assert!(masked.contains("env=\"SMTP_PASS\""), "{masked}");
        assert!(masked.contains("host \"x\""), "{masked}");
        assert_eq!(masked.len(), text.len());
    }

    #[test]
    fn masks_bare_and_unterminated_values_and_bad_env_names() {
        for (text, secret) in [
            ("password hunter2\n", "hunter2"),
            ("password \"hunter2\n", "hunter2"),
            ("smtp-password=\"s3cret value\"\n", "s3cret"),
            ("password env=\"my real pass\"\n", "real"),
        ] {
            let masked = mask_secret_lines(text);
            assert!(!masked.contains(secret), "{text:?} -> {masked:?}");
            assert_eq!(masked.len(), text.len());
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x.kdl", "ab\nçd e\n".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
    }
}
