//! Control characters in library text: refused wherever a file can hold text.
//!
//! Every name and string of a library or platform file may be shown to people: in a terminal,
//! a CI log, a pull-request comment, an e-mail to the library. A newline or carriage return
//! there forges a second line (a GitHub workflow command, a fake "all clear"), an escape
//! sequence rewrites a terminal, a bidirectional override shows text in another order than it
//! is. No field has a use for any of them, so each is refused at `validate`, whether written
//! as the character itself or as a KDL escape (`"\n"`, `"\u{1b}"`).

use std::ops::Range;

use kdl::{KdlDocument, KdlIdentifier, KdlNode};

use crate::diagnostic::{Diagnostic, FileId};
use crate::source::unsafe_char;

/// Reports each name and string of `doc` that holds a character [`unsafe_char`] refuses.
/// `text` is the file as written, to point at the character itself when it is written literally.
pub(super) fn check(file: FileId, text: &str, doc: &KdlDocument, out: &mut Vec<Diagnostic>) {
    for node in doc.nodes() {
        check_node(file, text, node, out);
    }
}

fn check_node(file: FileId, text: &str, node: &KdlNode, out: &mut Vec<Diagnostic>) {
    let name = node.name().value();
    let what = format!("the name of the node `{}`", shown(name));
    identifier(file, text, node.name(), &what, out);
    if let Some(ty) = node.ty() {
        identifier(
            file,
            text,
            ty,
            &format!("the type of `{}`", shown(name)),
            out,
        );
    }
    for entry in node.entries() {
        let what = match entry.name() {
            Some(key) => {
                identifier(
                    file,
                    text,
                    key,
                    &format!("a property name of `{}`", shown(name)),
                    out,
                );
                format!(
                    "the value of `{}=` on `{}`",
                    shown(key.value()),
                    shown(name)
                )
            }
            None => format!("the value of `{}`", shown(name)),
        };
        if let Some(ty) = entry.ty() {
            identifier(file, text, ty, &format!("a type in `{}`", shown(name)), out);
        }
        if let Some(s) = entry.value().as_string() {
            let span = entry.span();
            string(
                file,
                text,
                s,
                span.offset()..span.offset() + span.len(),
                &what,
                out,
            );
        }
    }
    if let Some(children) = node.children() {
        check(file, text, children, out);
    }
}

fn identifier(file: FileId, text: &str, id: &KdlIdentifier, what: &str, out: &mut Vec<Diagnostic>) {
    let span = id.span();
    string(
        file,
        text,
        id.value(),
        span.offset()..span.offset() + span.len(),
        what,
        out,
    );
}

/// One diagnostic for the first refused character of `value`, found at `span` in `text`.
fn string(
    file: FileId,
    text: &str,
    value: &str,
    span: Range<usize>,
    what: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some((c, name)) = value.chars().find_map(|c| unsafe_char(c).map(|n| (c, n))) else {
        return;
    };
    let raw = text.get(span.clone()).unwrap_or("");
    // Written as the character itself: point at it. Written as an escape: at the string.
    let (at, label) = match raw.find(c) {
        Some(i) => {
            let start = span.start + i;
            (start..start + c.len_utf8(), "here".to_string())
        }
        None => (span, format!("written as an escape for U+{:04X}", c as u32)),
    };
    out.push(
        Diagnostic::error(
            "config::control-character",
            format!(
                "{what} contains the control character U+{:04X} ({name})",
                c as u32
            ),
        )
        .at(file, at)
        .label(label)
        .help(
            "delete the character (retype the text if it cannot be seen); names and values are \
             shown in terminals, logs and e-mails, where a control character can hide or forge \
             what is shown",
        ),
    );
}

/// A name as a message may quote it: every refused character replaced by its code.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| match unsafe_char(c) {
            Some(_) => format!("\\u{{{:x}}}", c as u32),
            None => c.to_string(),
        })
        .collect()
}
