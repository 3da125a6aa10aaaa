//! The piece of a file a diagnostic shows: a few lines around its span, long lines cut.
//!
//! miette renders every line a span covers, each line whole, from whatever source it is given;
//! a file built to hurt (one 160 KB line, a span from the first line to the last) made it print
//! gigabytes or panic. A [`Snippet`] holds only the lines around the span (at most
//! [`MAX_SPAN_LINES`] of the span itself), each cut to [`MAX_LINE_CHARS`] characters around
//! the span, and tells miette the real line numbers, so the output stays small whatever the
//! input.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A line longer than this (in characters) is cut around the span, with `…` where text was
/// left out.
pub const MAX_LINE_CHARS: usize = 160;
/// A span over more lines than this is shown by its first lines only.
pub const MAX_SPAN_LINES: usize = 3;
/// Lines shown before and after the span (the renderer's context).
const CONTEXT_LINES: usize = 1;

/// A window on a file's display text, for one span.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    /// The 0-based line number of the window's first line in the file.
    first_line: usize,
    /// The span, in the window's offsets.
    pub span: SourceSpan,
    /// The window line holding the span's start, and the characters cut before it there.
    span_line: usize,
    cut_before: usize,
}

impl Snippet {
    pub fn new(name: String, file: &str, span: Range<usize>) -> Snippet {
        let start = floor(file, span.start.min(file.len()));
        let end = floor(file, span.end.clamp(start, file.len()));
        let line_of_start = file.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let first_line = line_of_start.saturating_sub(CONTEXT_LINES);
        // The byte ranges of the window's lines, without their line feeds.
        let mut lines: Vec<Range<usize>> = Vec::new();
        let mut at = line_start(file, start);
        for _ in first_line..line_of_start {
            // Walk back one line per context line.
            let prev_end = at.saturating_sub(1);
            let prev_start = line_start(file, prev_end);
            lines.insert(0, prev_start..prev_end);
            at = prev_start;
        }
        let mut at = line_start(file, start);
        let mut span_lines = 0;
        let mut extra = 0;
        loop {
            let line_end = file[at..].find('\n').map_or(file.len(), |i| at + i);
            if span_lines == 0 || (at < end && span_lines < MAX_SPAN_LINES) {
                span_lines += 1;
            } else if extra == CONTEXT_LINES {
                break;
            } else {
                extra += 1;
            }
            lines.push(at..line_end);
            if line_end >= file.len() {
                break;
            }
            at = line_end + 1;
        }
        let span_line = line_of_start - first_line;
        let last_span_line = (span_line + span_lines).saturating_sub(1);
        let end = end.min(lines.get(last_span_line).map_or(end, |l| l.end).max(start));

        // Each line, cut when long: around the span's start on its first line, else its head.
        let mut text = String::new();
        let mut map_start = 0;
        let mut map_end = 0;
        let mut cut_before = 0;
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let body = &file[line.clone()];
            let chars = body.chars().count();
            let (keep, before) = if chars <= MAX_LINE_CHARS {
                (line.clone(), 0)
            } else {
                let anchor = if (line.start..=line.end).contains(&start) {
                    file[line.start..start].chars().count()
                } else {
                    0
                };
                let from = anchor.saturating_sub(MAX_LINE_CHARS / 4);
                let to = (from + MAX_LINE_CHARS).min(chars);
                (nth(file, line.start, from)..nth(file, line.start, to), from)
            };
            if before > 0 {
                text.push('…');
            }
            let base = text.len();
            text.push_str(&file[keep.clone()]);
            let map = |o: usize| base + o.clamp(keep.start, keep.end) - keep.start;
            if (line.start..=line.end).contains(&start) && i == span_line {
                map_start = map(start);
                cut_before = before;
            }
            if (line.start..=line.end).contains(&end) && i <= last_span_line.max(span_line) {
                map_end = map(end);
            }
            if keep.end < line.end {
                text.push('…');
            }
        }
        let map_end = map_end.max(map_start);
        Snippet {
            name,
            text,
            first_line,
            span: (map_start, map_end - map_start).into(),
            span_line,
            cut_before,
        }
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn line_start(s: &str, at: usize) -> usize {
    s[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte offset of the `n`th character from `from`.
fn nth(s: &str, from: usize, n: usize) -> usize {
    s[from..]
        .char_indices()
        .nth(n)
        .map_or(s.len(), |(i, _)| from + i)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let column = if inner.line() == self.span_line {
            inner.column() + self.cut_before
        } else {
            inner.column()
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                inner.line() + self.first_line,
                column,
                inner.line_count(),
            )
            .with_language("kdl"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_keeps_line_numbers_and_cuts_long_lines() {
        let file = format!("a\nb\nc {} d\ne\nf\n", "x".repeat(1000));
        let at = file.find(" d").unwrap() + 1;
        let s = Snippet::new("f.kdl".into(), &file, at..at + 1);
        assert_eq!(s.first_line, 1);
        assert!(s.text.starts_with("b\n…"), "{}", s.text);
        assert!(s.text.ends_with("\ne"), "{}", s.text);
        assert!(s.text.len() < 400);
        let span = s.span.offset()..s.span.offset() + s.span.len();
        assert_eq!(&s.text[span], "d");
        // A span over the whole file shows its first lines only.
        let file = (0..1000).map(|i| format!("line {i}\n")).collect::<String>();
        let s = Snippet::new("f.kdl".into(), &file, 0..file.len());
        assert_eq!(s.text, "line 0\nline 1\nline 2\nline 3");
        assert_eq!(s.span.len(), "line 0\nline 1\nline 2".len());
    }
}
