//! Text from outside made inert in GitHub-flavoured Markdown: it can show as text or code,
//! never become a link, an image, a mention, an issue reference, a heading, emphasis, a table
//! cell or HTML.
//!
//! Every renderer that writes Markdown (the plan comment, the status report, the records
//! sheet, the notices' text) puts outside text through one of these, chosen by where the text
//! goes. All of them first make hidden characters visible ([`super::visible`]), so outside text
//! is always one line.
//!
//! GitHub links `@name` and `#123` and bare URLs after rendering, in the text it shows, so a
//! backslash or an entity (both gone by then) cannot stop them: a zero-width space, written
//! as `&#8203;`, goes after `@`, `#`, `:` and the `w` of `www.`. A reader sees the same text.

use super::visible;

/// A zero-width space as an entity: it breaks mentions, references and autolinks in the
/// rendered text and shows as nothing.
const BREAK: &str = "&#8203;";

/// Characters that make Markdown anywhere in a line: code, emphasis, links and images (a
/// bracket starts both), strikethrough, table cells, GitHub's math, and the backslash itself.
const MARKUP: &[char] = &['\\', '`', '*', '_', '[', ']', '~', '|', '$'];

/// Text for a paragraph, a list item, emphasis or a table cell, as readable as it can stay:
/// the characters that make Markdown anywhere in a line ([`MARKUP`]) backslash-escaped (`|`
/// included, so a cell cannot end early), `&`, `<` and `>` as entities, a [`BREAK`] after `@`
/// and `#` (escaped too) and in `://` and `www.`, and what would start a block (a heading, a
/// list, a quote) escaped at the start. The text is one line ([`visible`]), so only its start
/// can start a block.
pub fn inline(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 8);
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let mut chars = s.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' | '#' => {
                out.push('\\');
                out.push(c);
                out.push_str(BREAK);
            }
            ':' if next == Some('/') => {
                out.push(c);
                out.push_str(BREAK);
            }
            'w' | 'W' if next == Some('.') => {
                out.push(c);
                out.push_str(BREAK);
            }
            c if MARKUP.contains(&c)
                || (i == 0 && c.is_ascii_punctuation())
                || (i == digits && i > 0 && (c == '.' || c == ')')) =>
            {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The longest run of `ch` in `s`.
fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == ch {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A code span around `s`, its backtick fence one longer than the longest run inside, padded
/// with a space where the text starts or ends with a backtick or a space (which CommonMark
/// would otherwise take as part of the fence or strip). Inside a code span nothing is
/// Markdown, HTML, a mention or a link. Not for a table cell: see [`code_cell`].
pub fn code(s: &str) -> String {
    let s = visible(s);
    if s.is_empty() {
        return "` `".into();
    }
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with(['`', ' ']) || s.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span in a table cell: as [`code`], with `|` written `\|` (GFM splits a row on its
/// pipes before it reads code spans, and takes `\|` back as `|`). A backslash before it is
/// shown doubled by [`visible`], so a pipe is never left unescaped.
pub fn code_cell(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// Text inside raw HTML that Markdown passes through (a `<summary>` line): HTML-escaped, one
/// line, with the [`BREAK`]s of [`inline`], since GitHub finds mentions there too.
pub fn html(s: &str) -> String {
    let escaped = super::html_escape(&visible(s));
    let mut out = String::with_capacity(escaped.len() + 8);
    let mut chars = escaped.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '@' | '#' => out.push_str(BREAK),
            ':' if chars.peek() == Some(&'/') => out.push_str(BREAK),
            'w' | 'W' if chars.peek() == Some(&'.') => out.push_str(BREAK),
            _ => {}
        }
    }
    out
}

/// `body` as a fenced code block with `info` (e.g. `diff`): the fence is one backtick longer
/// than the longest run in the body (at least three), so no line of it can close the block.
pub fn fenced(body: &str, info: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    let newline = if body.is_empty() || body.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("{fence}{info}\n{body}{newline}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_escapes_markup() {
        assert_eq!(inline("a|b"), "a\\|b");
        assert_eq!(inline("*x* [l](u)"), "\\*x\\* \\[l\\](u)");
        assert_eq!(inline("- item"), "\\- item");
        assert_eq!(inline("12. item, 1.5"), "12\\. item, 1.5");
        assert_eq!(
            inline("see http://x.example"),
            "see http:&#8203;//x.example"
        );
        assert_eq!(inline("<img>&"), "&lt;img&gt;&amp;");
        assert_eq!(inline("@team #1"), "\\@&#8203;team \\#&#8203;1");
        assert_eq!(inline("www.x"), "www&#8203;.x");
        assert_eq!(inline("line\nbreak"), "line\\\\x0abreak");
    }

    #[test]
    fn code_spans_outlast_backtick_runs() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code(""), "` `");
        assert_eq!(code_cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn fences_outlast_backtick_runs() {
        assert_eq!(fenced("x\n", "diff"), "```diff\nx\n```\n");
        assert_eq!(fenced("````\n", ""), "`````\n````\n`````\n");
    }
}
