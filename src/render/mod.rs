//! Everything users read is produced here, from data: diagnostics now, plans later.
//!
//! Renderers are pure functions of their input; they never decide what is wrong, only how it
//! reads. The terminal renderer that draws source snippets lives with the CLI (it needs
//! miette's `fancy` feature); the JSON and GitHub forms live here.

pub mod costs;
pub mod diagnostics;
pub mod notices;
pub mod plan;
pub mod progress;
pub mod records;
pub mod refresh;
pub mod snippet;
pub mod status;

/// HTML-escapes text for element content and quoted attribute values alike (the status page,
/// the notices' HTML part).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
