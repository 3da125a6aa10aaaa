//! Text that came from outside (library files, DNS answers, SMTP servers, certificates, AWS)
//! made safe for whoever reads it: a terminal, a Markdown renderer, an HTML page.
//!
//! A room of its own below `render` and `notice`, which both take their escaping from here;
//! it depends on nothing else in the crate. Escaping is a property of where text is shown,
//! so it happens at the rendering boundary, never when facts are read or judged.
//!
//! The invariant: no string from outside reaches a reader with a character that reader would
//! act on. For a terminal that is every control character (C0, DEL, C1) and the bidirectional
//! overrides, shown as `\x1b` or `\u{202e}` instead ([`visible`]); for Markdown see
//! [`markdown`]; for HTML [`html_escape`].

pub mod markdown;

use std::borrow::Cow;
use std::fmt::Write as _;

/// A character a terminal (or an editor, or a browser laying out text) acts on instead of
/// showing: C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the
/// bidirectional marks and overrides (they reorder what is shown: "Trojan Source"), and the
/// Unicode line and paragraph separators.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn push_code(out: &mut String, c: char) {
    let n = u32::from(c);
    if n <= 0xff {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:x}}}");
    }
}

/// One line of outside text as a terminal should show it: every hidden character (see
/// [`is_hidden`]), line breaks and tabs included, written as `\x1b` or `\u{202e}`, and a
/// backslash as `\\`, so what is shown reads back unambiguously. Text with none of them is
/// returned as it is.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_hidden(c) {
            push_code(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// SGR parameters mailform's own colours use; [`visible_lines`] lets exactly these through.
const OWN_SGR: &[&str] = &[
    "", "0", "1", "2", "4", "22", "24", "39", "30", "31", "32", "33", "34", "35", "36", "37", "90",
    "91", "92", "93", "94", "95", "96", "97",
];

/// The length of the colour sequence at the start of `s` (`ESC [ params m`) when every
/// parameter is one of mailform's own colours.
fn own_colour(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\u{1b}[")?;
    let end = rest.find('m')?;
    let params = &rest[..end];
    (params.len() <= 16
        && params.bytes().all(|b| b.is_ascii_digit() || b == b';')
        && params.split(';').all(|p| OWN_SGR.contains(&p)))
    .then_some(2 + end + 1)
}

/// A whole rendering on its way to stdout: the last guard, for a string a renderer forgot.
/// Hidden characters are made visible as in [`visible`], except line breaks and tabs (the
/// rendering's own layout) and mailform's own colour sequences; backslashes are left alone,
/// since the rendering's parts were escaped already.
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && c != '\t' && is_hidden(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        if c == '\u{1b}'
            && let Some(n) = own_colour(&s[i..])
        {
            out.push_str(&s[i..i + n]);
            i += n;
            continue;
        }
        if c != '\n' && c != '\t' && is_hidden(c) {
            push_code(&mut out, c);
        } else {
            out.push(c);
        }
        i += c.len_utf8();
    }
    Cow::Owned(out)
}

/// Serialised JSON with the hidden characters serde leaves raw inside strings (DEL, C1,
/// bidirectional overrides; it escapes C0 itself) written as JSON escapes (`\u202e`): the
/// same string to a JSON reader, and nothing for stdout's guard to rewrite into invalid JSON.
pub fn json_escape_hidden(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c != '\n' && c != '\t' && is_hidden(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && c != '\t' && is_hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A copy of `value` with every string in it (map keys too) passed through [`visible`]: the
/// plan a terminal or a comment is drawn from, so no field can be forgotten. The copy goes
/// through the value's serde form; a value that does not read back (a typed field refusing
/// the escaped text, which no validated field can hold) is returned unchanged, and stdout's
/// guard ([`visible_lines`]) still stands behind it.
pub fn visible_copy<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned + Clone,
{
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Cow::Owned(o) = visible(s) {
                    *s = o;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    walk(&mut v);
                    map.insert(visible(&k).into_owned(), v);
                }
            }
            _ => {}
        }
    }
    let Ok(mut json) = serde_json::to_value(value) else {
        return value.clone();
    };
    walk(&mut json);
    serde_json::from_value(json).unwrap_or_else(|_| value.clone())
}

/// HTML-escapes text for element content and quoted attribute values alike (the status page,
/// the notices' HTML part). Hidden characters are shown as in [`visible`].
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hidden(c) => push_code(&mut out, c),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_hidden_characters_as_json_escapes() {
        let json = serde_json::to_string("a\u{202e}b\u{7f}\u{1b}").unwrap();
        let escaped = json_escape_hidden(&json);
        assert_eq!(escaped, r#""a\u202eb\u007f\u001b""#);
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, "a\u{202e}b\u{7f}\u{1b}");
        // Nothing left for stdout's guard to rewrite.
        assert_eq!(visible_lines(&escaped), escaped);
        assert!(matches!(
            json_escape_hidden("{\n  \"a\": 1\n}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("plain text"), "plain text");
        assert_eq!(
            visible("\u{1b}]0;pwned\u{7}\u{1b}[2K"),
            "\\x1b]0;pwned\\x07\\x1b[2K"
        );
        assert_eq!(visible("a\nb\tc\u{7f}\u{9b}"), "a\\x0ab\\x09c\\x7f\\x9b");
        assert_eq!(
            visible("abc\u{202e}def\u{2066}"),
            "abc\\u{202e}def\\u{2066}"
        );
        // A backslash is doubled, so `\x1b` in the output always means an escaped ESC.
        assert_eq!(visible("\\x1b"), "\\\\x1b");
    }

    #[test]
    fn the_stdout_guard_keeps_layout_and_own_colours_only() {
        let ours = "\u{1b}[32m+\u{1b}[0m name\n\tnext\\";
        assert_eq!(visible_lines(ours), ours);
        assert_eq!(
            visible_lines("\u{1b}[8mhidden\u{1b}[0m \u{1b}]0;t\u{7}"),
            "\\x1b[8mhidden\u{1b}[0m \\x1b]0;t\\x07"
        );
    }

    #[test]
    fn a_copy_escapes_every_string_keys_too() {
        let mut map = std::collections::BTreeMap::new();
        map.insert("k\u{1b}".to_string(), vec!["v\u{7}".to_string()]);
        let copy = visible_copy(&map);
        assert_eq!(
            copy.get("k\\x1b").map(Vec::as_slice),
            Some(&["v\\x07".to_string()][..])
        );
    }

    #[test]
    fn html_escape_escapes_markup_and_controls() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>\u{1b}"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\\x1b"
        );
    }
}
