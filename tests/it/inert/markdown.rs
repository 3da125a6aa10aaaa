//! Every Markdown output, rendered with hostile text through comrak with GitHub's extensions:
//! the structure is the one a harmless name gives, the hostile text shows whole as text, and
//! nothing in it became a link, an image, HTML, a heading, emphasis, a mention, an issue
//! reference or a footnote.

use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};

use super::{BENIGN, HOSTILE, run};
use crate::snap;

/// GitHub's dialect, as far as comrak has it.
fn options() -> Options<'static> {
    let mut o = Options::default();
    o.extension.table = true;
    o.extension.strikethrough = true;
    o.extension.autolink = true;
    o.extension.tasklist = true;
    o.extension.footnotes = true;
    o.render.r#unsafe = true;
    o
}

/// A node's kind, without its text.
fn kind(v: &NodeValue) -> String {
    let debug = format!("{v:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The text a reader sees in `node`: text and code, entities decoded, zero-width spaces gone.
fn shown<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    for n in node.descendants() {
        match &n.data().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            NodeValue::CodeBlock(c) => out.push_str(&c.literal),
            NodeValue::HtmlBlock(h) => out.push_str(&html_text(&h.literal)),
            NodeValue::HtmlInline(h) => out.push_str(&html_text(h)),
            NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
            _ => {}
        }
    }
    out.replace('\u{200b}', "")
}

/// The text of raw HTML as a browser shows it: tags out, entities decoded.
fn html_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#8203;", "\u{200b}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The tags in raw HTML.
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| {
            t.split(['>', ' ', '\n'])
                .next()
                .unwrap_or_default()
                .to_lowercase()
        })
        .collect()
}

/// Mentions, issue references and bare links GitHub would make of rendered text.
fn github_links(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        if (*c == '@' && (next.is_alphanumeric() || next == '_'))
            || (*c == '#' && next.is_ascii_digit())
        {
            found.push(chars[i..(i + 12).min(chars.len())].iter().collect());
        }
    }
    for bare in ["http://", "https://", "www."] {
        if text.contains(bare) {
            found.push(bare.to_string());
        }
    }
    found
}

/// What rendering `md` made: its structure (node kinds, text left out), and the problems.
/// `hostile` is the outside text as it should be shown; a node holding all of it is its own,
/// such as the heading of a records sheet that names the library.
fn inspect(md: &str, hostile: &str) -> (Vec<String>, Vec<String>) {
    let arena = Arena::new();
    let root = parse_document(&arena, md, &options());
    let mut structure = Vec::new();
    let mut problems = Vec::new();
    for node in root.descendants() {
        let value = node.data().value.clone();
        let k = kind(&value);
        if !matches!(value, NodeValue::Text(_) | NodeValue::SoftBreak) {
            structure.push(k.clone());
        }
        let in_code = node
            .ancestors()
            .any(|a| matches!(a.data().value, NodeValue::Code(_) | NodeValue::CodeBlock(_)));
        match &value {
            NodeValue::Link(_)
            | NodeValue::Image(_)
            | NodeValue::FootnoteReference(_)
            | NodeValue::FootnoteDefinition(_)
            | NodeValue::TaskItem(_) => problems.push(format!("{k}: {}", shown(node))),
            NodeValue::HtmlBlock(h) => {
                for t in tags(&h.literal) {
                    if ![
                        "details", "/details", "summary", "/summary", "code", "/code",
                    ]
                    .contains(&t.as_str())
                    {
                        problems.push(format!("HTML <{t}> in {}", h.literal));
                    }
                }
                problems.extend(
                    github_links(&html_text(&h.literal))
                        .into_iter()
                        .map(|l| format!("in HTML, GitHub would link {l}")),
                );
            }
            NodeValue::HtmlInline(h) => problems.push(format!("inline HTML {h}")),
            NodeValue::Heading(_)
            | NodeValue::Emph
            | NodeValue::Strong
            | NodeValue::Strikethrough
            | NodeValue::BlockQuote
                if shown(node).contains("EVIL") && !shown(node).contains(hostile) =>
            {
                problems.push(format!("{k} made of outside text: {}", shown(node)));
            }
            NodeValue::Text(t) if !in_code => {
                for l in github_links(t) {
                    problems.push(format!("GitHub would link {l} in {t:?}"));
                }
            }
            _ => {}
        }
    }
    (structure, problems)
}

/// Renders `args` with the benign and the hostile name (and outside text), and checks the
/// hostile rendering; returns it for the snapshot.
fn check(args: &[&str]) -> String {
    let benign = run(BENIGN, "ns1.example.net", args);
    let hostile = run(HOSTILE, HOSTILE, args);
    assert_eq!(
        benign.code,
        hostile.code,
        "{}\n{}",
        benign.all(),
        hostile.all()
    );
    assert!(
        benign.stdout.contains(BENIGN) || benign.stdout.contains("ns1"),
        "{}",
        benign.all()
    );
    // Shown whole, as text: a backslash is shown doubled, so that what is shown reads back
    // unambiguously.
    let whole = HOSTILE.replace('\\', "\\\\");
    let (want, _) = inspect(&benign.stdout, BENIGN);
    let (got, problems) = inspect(&hostile.stdout, &whole);
    assert!(
        problems.is_empty(),
        "outside text became Markdown:\n{}\n\n{}",
        problems.join("\n"),
        hostile.stdout
    );
    assert_eq!(
        got, want,
        "the hostile text changed the document's structure:\n{}",
        hostile.stdout
    );
    // Shown whole, as text, somewhere: nothing was eaten as markup.
    let arena = Arena::new();
    let root = parse_document(&arena, &hostile.stdout, &options());
    assert!(
        root.descendants().any(|n| shown(n).contains(&whole)),
        "the hostile text is not shown whole:\n{}",
        hostile.stdout
    );
    hostile.stdout
}

#[test]
fn the_plan_comment_keeps_outside_text_inert() {
    let md = check(&["plan", "--today", "2026-11-26", "--format", "markdown"]);
    snap!("inert", "plan_markdown_hostile", md);
}

#[test]
fn the_status_report_keeps_outside_text_inert() {
    let md = check(&["status", "--today", "2026-11-26", "--format", "markdown"]);
    snap!("inert", "status_markdown_hostile", md);
}

#[test]
fn the_records_sheet_keeps_outside_text_inert() {
    let md = check(&["records", "springfield", "--format", "markdown"]);
    snap!("inert", "records_markdown_hostile", md);
}

/// The comment CI posts when the files fail `validate` or `fmt --check`: the messages quote
/// the library files (a table cell each) and the diff shows them (a fenced block).
#[test]
fn the_validation_comment_keeps_library_text_inert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let annotation = format!(
        "::error file=libraries/x.kdl,line=2,col=5,title=config%3A%3Abad::the name \"{}\" is bad\n",
        HOSTILE.replace('%', "%25")
    );
    let diff = format!(
        "--- a/libraries/x.kdl\n+++ b/libraries/x.kdl\n@@ -1,2 +1,2 @@\n-    name \"{HOSTILE}\"\n+    name \"x\"\n```\n# EVIL-14\n"
    );
    std::fs::write(dir.path().join("annotations"), annotation).expect("write");
    std::fs::write(dir.path().join("fmt"), &diff).expect("write");
    let out = std::process::Command::new("bash")
        .arg(crate::support::cli::repo().join(".github/validation-comment.sh"))
        .args(["annotations", "fmt", "https://example.invalid/blob/sha"])
        .current_dir(dir.path())
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).expect("utf-8");
    let arena = Arena::new();
    let root = parse_document(&arena, &md, &options());
    let mut problems = Vec::new();
    for node in root.descendants() {
        let in_code = node
            .ancestors()
            .any(|a| matches!(a.data().value, NodeValue::Code(_) | NodeValue::CodeBlock(_)));
        match &node.data().value {
            // The links to the file and line are the comment's own.
            NodeValue::Link(l) if l.url.starts_with("https://example.invalid/blob/sha/") => {}
            NodeValue::Link(_) | NodeValue::Image(_) | NodeValue::HtmlInline(_) => {
                problems.push(format!("{}: {}", kind(&node.data().value), shown(node)));
            }
            NodeValue::Heading(_) if shown(node).contains("EVIL") => {
                problems.push(format!("heading {}", shown(node)));
            }
            NodeValue::Text(t) if !in_code => {
                problems.extend(github_links(t).into_iter().map(|l| format!("link {l}")));
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}\n\n{md}", problems.join("\n"));
    // The message shows whole in its cell, the diff whole in one block.
    let cells = root
        .descendants()
        .filter(|n| matches!(n.data().value, NodeValue::TableCell))
        .any(|n| shown(n).contains(&HOSTILE.replace('\\', "\\\\")) || shown(n).contains(HOSTILE));
    assert!(cells, "the message is not shown whole:\n{md}");
    let block = root.descendants().any(|n| match &n.data().value {
        NodeValue::CodeBlock(c) => c.literal == diff,
        _ => false,
    });
    assert!(block, "the diff is not one block:\n{md}");
}
