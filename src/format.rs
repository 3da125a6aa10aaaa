//! The canonical layout of library files, for `mailform fmt`.
//!
//! Four-space indentation, nodes in schema order (unknown nodes after, as written), arguments
//! before properties and properties in schema order, every string quoted, amounts with two
//! decimals, comments kept next to the node they precede or follow, at most one blank line
//! between nodes. Pure: text in, text out; a file that does not parse is never rewritten.

use kdl::{KdlDocument, KdlEntry, KdlIdentifier, KdlNode, KdlValue};

use crate::config::{self, values};
use crate::diagnostic::{Diagnostic, FileId};
use crate::schema::{Children, FileKind, NodeSpec, ValueKind};
use crate::source::SourceFile;

const INDENT: &str = "    ";

/// Formats a file, or explains why it cannot be: it does not parse, or the layout would lose a
/// comment (the KDL parser drops a few comment positions, e.g. after an empty `{}`). The result
/// is checked to parse again and to be a fixed point, so `fmt` never writes a file it would
/// change on the next run.
pub fn format_source(
    id: FileId,
    file: &SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    let doc = config::parse(id, file, diagnostics)?;
    let kind = FileKind::of_stem(file.stem());
    let formatted = format_document(&doc, kind);
    let kept: std::collections::BTreeSet<&str> = formatted.lines().map(str::trim).collect();
    let mut lost = false;
    for (span, text) in comments(file.text()) {
        let all_kept = text
            .lines()
            .map(comment_body)
            .filter(|l| !l.is_empty())
            .all(|l| kept.iter().any(|k| k.contains(l)));
        if !all_kept {
            lost = true;
            diagnostics.push(
                Diagnostic::error(
                    "fmt::comment-lost",
                    "this comment would be lost in the canonical layout",
                )
                .at(id, span)
                .label("comment in a position the KDL parser does not keep")
                .help("move the comment to a line of its own, above the node it describes"),
            );
        }
    }
    if lost {
        return None;
    }
    let again = SourceFile::new(file.path.clone(), formatted.clone());
    let mut scratch = Vec::new();
    let settled = config::parse(id, &again, &mut scratch)
        .map(|doc| format_document(&doc, kind))
        .is_some_and(|twice| twice == formatted);
    if !settled {
        diagnostics.push(
            Diagnostic::error(
                "fmt::unstable",
                "mailform cannot settle on a layout for this file",
            )
            .at(id, 0..0)
            .help("the file is left as it is; please report this file to the mailform maintainers"),
        );
        return None;
    }
    // A file written with CRLF line endings keeps them, so `fmt --check` passes on it.
    if file
        .text()
        .find('\n')
        .is_some_and(|i| file.text()[..i].ends_with('\r'))
    {
        return Some(formatted.replace('\n', "\r\n"));
    }
    Some(formatted)
}

/// A comment line without its markers, for comparing what was kept.
fn comment_body(line: &str) -> &str {
    let l = line.trim().trim_start_matches('\\').trim();
    let l = l.strip_prefix("//").unwrap_or(l);
    let l = l.strip_prefix("/*").unwrap_or(l);
    let l = l.strip_suffix("*/").unwrap_or(l);
    l.trim()
}

/// A comment placed inside a line: `// text` would swallow the rest of the line, so it is
/// written as `/* text */` there.
fn inline(comment: &str) -> String {
    match comment.strip_prefix("//") {
        Some(body) if !body.contains("*/") && !body.contains("/*") => {
            format!("/* {} */", body.trim())
        }
        _ => comment.to_string(),
    }
}

/// Every comment in KDL text, with its byte range: `// …`, nested `/* … */`, skipping strings.
fn comments(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let raw = i > 0 && bytes[i - 1] == b'#';
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && !raw {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                out.push((start..i, &text[start..i]));
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                let end = i.min(bytes.len());
                if text.is_char_boundary(start) && text.is_char_boundary(end) {
                    out.push((start..end, &text[start..end]));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Formats a parsed document of the given kind.
pub fn format_document(doc: &KdlDocument, kind: FileKind) -> String {
    let mut out = String::new();
    if let Some(f) = doc.format() {
        for line in comment_lines(&f.leading) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    write_nodes(&mut out, doc.nodes(), kind.top(), Order::Schema, 0);
    if let Some(f) = doc.format() {
        let trailing = comment_lines(&f.trailing);
        if !trailing.is_empty() && !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        for line in trailing {
            out.push_str(&line);
            out.push('\n');
        }
    }
    // A blank line at the very top or bottom is not part of the layout.
    let trimmed = out.trim_matches('\n');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}\n")
    }
}

#[derive(Clone, Copy)]
enum Order {
    /// Known nodes in schema order, unknown ones after as written.
    Schema,
    /// Free-named children (tags): by name.
    ByName,
}

fn write_nodes(
    out: &mut String,
    nodes: &[KdlNode],
    specs: &[NodeSpec],
    order: Order,
    depth: usize,
) {
    let mut indexed: Vec<(usize, &KdlNode)> = nodes
        .iter()
        .map(|n| {
            let rank = specs
                .iter()
                .position(|s| s.name == n.name().value())
                .unwrap_or(usize::MAX);
            (rank, n)
        })
        .collect();
    let originally_first = nodes.first().map(|n| n as *const KdlNode);
    match order {
        Order::Schema => indexed.sort_by_key(|(rank, _)| *rank),
        Order::ByName => indexed.sort_by(|a, b| a.1.name().value().cmp(b.1.name().value())),
    }
    for (i, (_, node)) in indexed.iter().enumerate() {
        let spec = specs.iter().find(|s| s.name == node.name().value());
        let was_first = originally_first == Some(*node as *const KdlNode);
        write_node(out, node, spec, depth, i == 0, was_first);
    }
}

fn write_node(
    out: &mut String,
    node: &KdlNode,
    spec: Option<&NodeSpec>,
    depth: usize,
    first: bool,
    was_first: bool,
) {
    let pad = INDENT.repeat(depth);
    let format = node.format();
    let leading = format.map(|f| f.leading.as_str()).unwrap_or("");
    // A blank line before every block keeps methods and contacts apart in a diff.
    if !first && (blank_line_before(leading, was_first) || node.children().is_some()) {
        out.push('\n');
    }
    for line in comment_lines(leading) {
        out.push_str(&pad);
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&pad);
    if let Some(ty) = node.ty() {
        out.push('(');
        out.push_str(&ident(ty));
        out.push(')');
    }
    out.push_str(&ident(node.name()));

    let value_kind = spec.and_then(|s| s.value);
    let (args, props): (Vec<&KdlEntry>, Vec<&KdlEntry>) =
        node.entries().iter().partition(|e| e.name().is_none());
    for entry in args {
        write_entry(out, entry, value_kind.as_ref());
    }
    let prop_rank = |e: &&KdlEntry| {
        let key = e.name().map(|k| k.value()).unwrap_or("");
        spec.and_then(|s| s.props.iter().position(|p| p.name == key))
            .unwrap_or(usize::MAX)
    };
    let mut props = props;
    props.sort_by_key(prop_rank);
    for entry in props {
        let kind = spec.and_then(|s| {
            let key = entry.name().map(|k| k.value()).unwrap_or("");
            s.props.iter().find(|p| p.name == key).map(|p| p.kind)
        });
        write_entry(out, entry, kind.as_ref());
    }

    if let Some(f) = format {
        for line in comment_lines(&f.before_children) {
            out.push(' ');
            out.push_str(&inline(&line));
        }
    }
    if let Some(children) = node.children() {
        let (specs, order): (&[NodeSpec], Order) = match spec.map(|s| s.children) {
            Some(Children::Nodes(specs)) => (specs, Order::Schema),
            Some(Children::Map(_)) => (&[], Order::ByName),
            _ => (&[], Order::Schema),
        };
        let inner_comments = children.format().map(|f| {
            let mut lines = comment_lines(&f.leading);
            lines.extend(comment_lines(&f.trailing));
            lines
        });
        let inner_comments = inner_comments.unwrap_or_default();
        if children.nodes().is_empty() && inner_comments.is_empty() {
            out.push_str(" {}");
        } else {
            out.push_str(" {\n");
            let inner_pad = INDENT.repeat(depth + 1);
            if let Some(f) = children.format() {
                for line in comment_lines(&f.leading) {
                    out.push_str(&inner_pad);
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            write_nodes(out, children.nodes(), specs, order, depth + 1);
            if let Some(f) = children.format() {
                for line in comment_lines(&f.trailing) {
                    out.push_str(&inner_pad);
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            out.push_str(&pad);
            out.push('}');
        }
    }
    if let Some(f) = format {
        let mut trailing = comment_lines(&f.before_terminator);
        trailing.extend(comment_lines(&f.terminator));
        trailing.extend(comment_lines(&f.trailing));
        for line in trailing {
            out.push(' ');
            out.push_str(&line);
        }
    }
    out.push('\n');
}

fn write_entry(out: &mut String, entry: &KdlEntry, kind: Option<&ValueKind>) {
    out.push(' ');
    if let Some(f) = entry.format() {
        for line in comment_lines(&f.leading) {
            out.push_str(&inline(&line));
            out.push(' ');
        }
    }
    if let Some(key) = entry.name() {
        out.push_str(&ident(key));
        out.push('=');
    }
    if let Some(ty) = entry.ty() {
        out.push('(');
        out.push_str(&ident(ty));
        out.push(')');
    }
    out.push_str(&value_text(entry, kind));
    if let Some(f) = entry.format() {
        for line in comment_lines(&f.trailing) {
            out.push(' ');
            out.push_str(&inline(&line));
        }
    }
}

fn value_text(entry: &KdlEntry, kind: Option<&ValueKind>) -> String {
    match entry.value() {
        KdlValue::String(s) => quote(s),
        KdlValue::Integer(i) if kind == Some(&ValueKind::Usd) => format!("{i}.00"),
        KdlValue::Float(_) if kind == Some(&ValueKind::Usd) => match values::usd(entry) {
            Ok(usd) => format!("{}.{:02}", usd.cents / 100, usd.cents % 100),
            Err(_) => entry.value().to_string(),
        },
        other => other.to_string(),
    }
}

/// Identifiers are written bare when KDL allows it, quoted otherwise.
fn ident(id: &KdlIdentifier) -> String {
    let s = id.value();
    let word_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let looks_numeric = s.starts_with(|c: char| c.is_ascii_digit())
        || (s.starts_with(['-', '.']) && s[1..].starts_with(|c: char| c.is_ascii_digit()));
    let keyword = matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan");
    let bare = !s.is_empty() && word_chars && !looks_numeric && !keyword;
    if bare { s.to_string() } else { quote(s) }
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => q.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The comments (and slashdashed nodes) in a run of whitespace and comments, one per line,
/// trimmed. Layout inside them is not ours to keep; their words are.
fn comment_lines(decor: &str) -> Vec<String> {
    decor
        .lines()
        // A `\` line continuation is layout, not content: the layout is ours to choose.
        .map(|l| l.trim().trim_start_matches('\\').trim())
        .filter(|l| !l.is_empty() && *l != ";")
        .map(str::to_string)
        .collect()
}

/// Whether the whitespace before a node held an empty line. The previous node's terminator
/// took one line break; the first node of a block has the break after `{` in its leading.
fn blank_line_before(leading: &str, was_first: bool) -> bool {
    let before_content = leading
        .find(|c: char| !c.is_whitespace())
        .map_or(leading, |p| &leading[..p]);
    before_content.matches('\n').count() > usize::from(was_first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        let doc = KdlDocument::parse_v2(text).expect("parses");
        format_document(&doc, FileKind::Library)
    }

    #[test]
    fn orders_nodes_and_properties_by_schema_and_keeps_comments() {
        let input = "// head\nlibrary   springfield {\n  smtp-account {\n    from \"a@b.example.org\"\n    host \"smtp.example.org\" // the host\n    password env=X\n  }\n\n  // who\n  name \"S\"\n}\n";
        let out = fmt(input);
        assert_eq!(
            out,
            "// head\nlibrary \"springfield\" {\n    // who\n    name \"S\"\n\n    smtp-account {\n        host \"smtp.example.org\" // the host\n        password env=\"X\"\n        from \"a@b.example.org\"\n    }\n}\n"
        );
        assert_eq!(fmt(&out), out, "idempotent");
    }

    #[test]
    fn amounts_get_two_decimals() {
        let out = fmt("library x { managed-domain { price-cap 15.5; years 2 } }");
        assert!(out.contains("price-cap 15.50\n"), "{out}");
        let out = fmt("library x { managed-domain { price-cap 15 } }");
        assert!(out.contains("price-cap 15.00\n"), "{out}");
    }
}
