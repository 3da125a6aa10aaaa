//! The configuration files as read, and the positions inside them.
//!
//! A [`SourceFile`] keeps the text as written (for parsing) and a display copy in which every
//! value that may be a secret is overwritten with `*` of the same byte length. Renderers only
//! ever see the display copy, so a password typed into a file by mistake cannot reach a
//! terminal, a log or a pull-request annotation, even inside a source snippet.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, FileId};

pub use crate::mask::{is_env_name, is_secret_name};

/// What a character is, when it must not appear in library text nor reach a reader as it is:
/// C0 and C1 controls (tab, line feed and carriage return included), DEL, the Unicode line and
/// paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
pub fn unsafe_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\t' => "tab",
        '\n' => "line feed",
        '\r' => "carriage return",
        '\u{1b}' => "escape",
        '\0' => "null",
        '\u{0}'..='\u{1f}' => "a C0 control",
        '\u{7f}' => "delete",
        '\u{85}' => "next line",
        '\u{80}'..='\u{9f}' => "a C1 control",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202a}'..='\u{202e}' => "a bidirectional embedding or override",
        '\u{2066}'..='\u{2069}' => "a bidirectional isolate",
        '\u{200e}' | '\u{200f}' | '\u{61c}' => "a bidirectional mark",
        _ => return None,
    })
}

/// Replaces, in a display copy, every character [`unsafe_char`] names with `?` for each of its
/// bytes, so offsets stay valid, except tabs and line breaks (`\n`, `\r\n`). Such a file is
/// refused anyway; its snippets must not move a terminal's cursor or start a new log line.
fn defuse_controls(display: &mut String) {
    let keep = |s: &str, at: usize, c: char| {
        c == '\t' || c == '\n' || (c == '\r' && s.as_bytes().get(at + 1) == Some(&b'\n'))
    };
    let found = display
        .char_indices()
        .any(|(at, c)| unsafe_char(c).is_some() && !keep(display, at, c));
    if !found {
        return;
    }
    let mut out = String::with_capacity(display.len());
    for (at, c) in display.char_indices() {
        if unsafe_char(c).is_some() && !keep(display, at, c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    *display = out;
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user gave it (relative paths stay relative), for messages.
    pub path: PathBuf,
    text: String,
    display: String,
    /// Byte ranges masked in the display copy.
    masked: Vec<Range<usize>>,
    /// False when only a valid prefix of the file could be kept (it is not UTF-8): such a file
    /// is shown in diagnostics but never parsed or formatted.
    complete: bool,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let (mut display, masked) = crate::mask::mask(&text);
        defuse_controls(&mut display);
        SourceFile {
            path: path.into(),
            text,
            display,
            masked,
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
        crate::mask::overwrite(&mut self.display, span.clone());
        self.masked.push(span);
    }

    /// The texts that were masked, as a message could quote them: without quotes or `#`,
    /// line by line, trimmed; too short ones are left out, since replacing them would garble
    /// messages more than it protects.
    fn masked_texts(&self) -> impl Iterator<Item = &str> {
        self.masked.iter().flat_map(|r| {
            let end = r.end.min(self.text.len());
            let start = r.start.min(end);
            self.text
                .get(start..end)
                .unwrap_or("")
                .trim_matches(|c: char| c == '#' || c == '"' || c.is_whitespace())
                .lines()
                .map(|l| l.trim_matches(|c: char| c == '"' || c.is_whitespace()))
                .filter(|l| l.len() >= 3)
        })
    }

    /// `other` (another layout of this file, as `fmt` writes it) with every text masked here
    /// masked there too, wherever it moved: a comment beside a password, masked on that line,
    /// may land on a line of its own.
    pub fn hide_masked_in(&self, other: &str) -> String {
        let mut out = other.to_string();
        for t in self.masked_texts() {
            if out.contains(t) {
                out = out.replace(t, &"*".repeat(t.len()));
            }
        }
        out
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

    /// Replaces, in every message, label, help and note, each masked text of any file that
    /// is quoted there (`` `…` `` or `"…"`) with `*`. Messages are built from what was parsed,
    /// so a secret the parser took for a name (a password on the line after `password`, read
    /// as an unknown node) must be hidden there as well as in the snippets.
    pub fn redact(&self, diagnostics: &mut [Diagnostic]) {
        let texts: Vec<&str> = self.files.iter().flat_map(|f| f.masked_texts()).collect();
        if texts.is_empty() {
            return;
        }
        let clean = |s: &mut String| {
            for t in &texts {
                let stars = "*".repeat(t.chars().count());
                for (open, close) in [("`", "`"), ("\"", "\"")] {
                    let quoted = format!("{open}{t}{close}");
                    if s.contains(&quoted) {
                        *s = s.replace(&quoted, &format!("{open}{stars}{close}"));
                    }
                }
            }
        };
        for d in diagnostics {
            clean(&mut d.message);
            if let Some(label) = &mut d.label {
                clean(label);
            }
            if let Some(help) = &mut d.help {
                clean(help);
            }
            for note in &mut d.notes {
                clean(&mut note.message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_literal_passwords_but_keeps_env_references() {
        let text = "a {\n  password \"hunter2\"\n  password env=\"SMTP_PASS\"\n  host \"x\"\n}\n";
        let file = SourceFile::new("x.kdl", text.to_string());
        let masked = file.display_text();
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
            let file = SourceFile::new("x.kdl", text.to_string());
            let masked = file.display_text();
            assert!(!masked.contains(secret), "{text:?} -> {masked:?}");
            assert_eq!(masked.len(), text.len());
        }
    }

    #[test]
    fn messages_quoting_a_masked_text_are_redacted() {
        let mut set = SourceSet::default();
        let id = set.add(SourceFile::new(
            "x.kdl",
            "smtp-account {\n    password\n    hunter2\n}\n".to_string(),
        ));
        let mut d = vec![
            Diagnostic::error(
                "config::unknown-node",
                "unknown node `hunter2` in `smtp-account`",
            )
            .at(id, 32..39),
        ];
        set.redact(&mut d);
        assert_eq!(d[0].message, "unknown node `*******` in `smtp-account`");
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x.kdl", "ab\nçd e\n".to_string());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
    }
}
