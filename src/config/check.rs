//! The schema walk: a parsed document against the tables in [`crate::schema`].
//!
//! Reports unknown nodes and properties (with did-you-mean), missing and doubled fields,
//! alternatives chosen more or fewer times than allowed, values of the wrong kind, and
//! literal secrets. It collects every problem; it never stops at the first.

use std::collections::BTreeMap;
use std::ops::Range;

use kdl::{KdlDocument, KdlEntry, KdlNode};

use super::{suggest, values};
use crate::diagnostic::{Diagnostic, FileId};
use crate::schema::{self, Children, FileKind, NodeSpec, Occurs, PropSpec};
use crate::source::is_secret_name;

pub(super) struct Checker<'a> {
    pub file: FileId,
    pub kind: FileKind,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Spans of values that must be masked in the display copy of the file.
    pub secret_spans: &'a mut Vec<Range<usize>>,
}

fn span(s: miette::SourceSpan) -> Range<usize> {
    s.offset()..s.offset() + s.len()
}

/// The span of a node's name, where most labels point.
pub(super) fn name_span(node: &KdlNode) -> Range<usize> {
    span(node.name().span())
}

impl Checker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Checks the nodes of `doc` (the children of `parent`, or the file's top level when
    /// `parent` is `None`) against `specs`.
    pub fn check_nodes(
        &mut self,
        doc: Option<&KdlDocument>,
        specs: &'static [NodeSpec],
        parent: Option<&KdlNode>,
    ) {
        let nodes = doc.map(KdlDocument::nodes).unwrap_or_default();
        let mut seen: BTreeMap<&str, &KdlNode> = BTreeMap::new();
        let mut groups: BTreeMap<&str, Vec<&KdlNode>> = BTreeMap::new();
        let where_ = parent.map_or("at the top of the file".to_string(), |p| {
            format!("in `{}`", p.name().value())
        });

        for node in nodes {
            let name = node.name().value();
            let Some(spec) = specs.iter().find(|s| s.name == name) else {
                self.unknown_node(node, specs, &where_);
                continue;
            };
            if let Some(first) = seen.get(name) {
                self.push(
                    Diagnostic::error(
                        "config::duplicate-field",
                        format!("`{name}` is given more than once {where_}"),
                    )
                    .at(self.file, name_span(node))
                    .label("given again here")
                    .help(format!("keep one `{name}` and delete the other"))
                    .note("first given here", self.file, name_span(first)),
                );
                continue;
            }
            seen.insert(name, node);
            if let Some(group) = spec.group {
                groups.entry(group).or_default().push(node);
            }
            self.check_node(node, spec);
        }

        let anchor = parent.map_or(0..0, name_span);
        for spec in specs {
            if spec.occurs == Occurs::Required
                && spec.group.is_none()
                && !seen.contains_key(spec.name)
            {
                let example = example_line(spec);
                self.push(
                    Diagnostic::error(
                        "config::missing-field",
                        format!("`{}` is missing {where_}", spec.name),
                    )
                    .at(self.file, anchor.clone())
                    .label(format!("needs `{}`", spec.name))
                    .help(format!(
                        "add {example} ({})",
                        spec.doc.trim_end_matches('.')
                    )),
                );
            }
        }
        self.check_groups(specs, &groups, parent, &where_);
    }

    fn check_groups(
        &mut self,
        specs: &'static [NodeSpec],
        groups: &BTreeMap<&str, Vec<&KdlNode>>,
        parent: Option<&KdlNode>,
        where_: &str,
    ) {
        let mut names: Vec<&str> = specs.iter().filter_map(|s| s.group).collect();
        names.dedup();
        for name in names {
            let Some(group) = schema::group(name) else {
                continue;
            };
            let members: Vec<String> = specs
                .iter()
                .filter(|s| s.group == Some(name))
                .map(|s| format!("`{}`", s.name))
                .collect();
            let present = groups.get(name).map(Vec::as_slice).unwrap_or_default();
            let code = if name == "method" {
                "config::method-count"
            } else {
                "config::exclusive"
            };
            match present {
                [] if group.required => self.push(
                    Diagnostic::error(code, format!("no {} is given {where_}", group.what))
                        .at(self.file, parent.map_or(0..0, name_span))
                        .label(format!("needs one {name}"))
                        .help(format!("add exactly one of {}", members.join(", "))),
                ),
                [_, extra @ ..] if !extra.is_empty() => {
                    for node in extra {
                        self.push(
                            Diagnostic::error(
                                code,
                                format!("more than one {} is given {where_}", group.what),
                            )
                            .at(self.file, name_span(node))
                            .label("a second one")
                            .help(if name == "method" {
                                format!(
                                    "keep exactly one of {}; to switch methods, replace the old block (the plan removes what it left)",
                                    members.join(", ")
                                )
                            } else {
                                format!("keep exactly one of {}", members.join(", "))
                            })
                            .note("the first one", self.file, name_span(present[0])),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn unknown_node(&mut self, node: &KdlNode, specs: &'static [NodeSpec], where_: &str) {
        let name = node.name().value();
        if is_secret_name(name) {
            self.mask_values(node);
        }
        let mut help = match suggest(name, schema::child_names(specs)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                let allowed: Vec<String> = specs.iter().map(|s| format!("`{}`", s.name)).collect();
                format!("allowed here: {}", allowed.join(", "))
            }
        };
        if let Some(home) = home_of(name, specs) {
            help = format!("`{name}` belongs inside `{home}`");
        }
        if is_secret_name(name) {
            help = "a secret is never written in a library file, only referenced, as \
                    `password env=\"NAME\"` inside `smtp-account`"
                .to_string();
        }
        self.push(
            Diagnostic::error(
                "config::unknown-node",
                format!("unknown node `{name}` {where_}"),
            )
            .at(self.file, name_span(node))
            .label("not known here")
            .help(help),
        );
    }

    fn mask_values(&mut self, node: &KdlNode) {
        for entry in node.entries() {
            self.secret_spans.push(span(entry.span()));
        }
    }

    fn check_node(&mut self, node: &KdlNode, spec: &NodeSpec) {
        let name = spec.name;
        let args: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect();
        let props: Vec<&KdlEntry> = node
            .entries()
            .iter()
            .filter(|e| e.name().is_some())
            .collect();

        match (spec.value, args.as_slice()) {
            (Some(kind), []) => self.push(
                Diagnostic::error("config::missing-value", format!("`{name}` has no value"))
                    .at(self.file, name_span(node))
                    .label("needs a value")
                    .help(format!(
                        "write {}, e.g. {}",
                        kind.describe(),
                        example_line(spec)
                    )),
            ),
            (Some(kind), [first, rest @ ..]) => {
                if let Err(e) = values::check(&kind, first) {
                    self.push(
                        Diagnostic::error(e.code, e.message)
                            .at(self.file, span(first.span()))
                            .label(format!("`{name}` takes {}", kind.describe()))
                            .help(e.help),
                    );
                } else if values::is_placeholder(&kind, first.value()) {
                    let d = placeholder(self.kind, spec, first);
                    self.push(d.at(self.file, span(first.span())));
                }
                for extra in rest {
                    self.push(
                        Diagnostic::error(
                            "config::unexpected-argument",
                            format!("`{name}` takes one value, found more"),
                        )
                        .at(self.file, span(extra.span()))
                        .label("extra value")
                        .help("delete the extra value; quote text that contains spaces"),
                    );
                }
            }
            (None, []) => {}
            (None, args) if spec.secret => {
                for arg in args {
                    self.secret_spans.push(span(arg.span()));
                    self.push(literal_secret(self.file, span(arg.span()), name));
                }
            }
            (None, args) => {
                for arg in args {
                    self.push(
                        Diagnostic::error(
                            "config::unexpected-argument",
                            format!("`{name}` takes no value"),
                        )
                        .at(self.file, span(arg.span()))
                        .label("unexpected value")
                        .help(match spec.props.first() {
                            Some(p) => format!("write `{name} {}=…`", p.name),
                            None => format!("write `{name}` alone"),
                        }),
                    );
                }
            }
        }
        // A literal secret already says what to write instead; "env= is missing" adds nothing.
        let literal_secret_given = spec.secret && !args.is_empty();
        self.check_props(node, spec, &props, literal_secret_given);
        self.check_children(node, spec);
    }

    fn check_props(
        &mut self,
        node: &KdlNode,
        spec: &NodeSpec,
        props: &[&KdlEntry],
        literal_secret_given: bool,
    ) {
        let name = spec.name;
        let mut seen: BTreeMap<&str, &KdlEntry> = BTreeMap::new();
        for prop in props {
            let Some(key) = prop.name().map(|k| k.value()) else {
                continue;
            };
            let Some(pspec) = spec.props.iter().find(|p| p.name == key) else {
                if is_secret_name(key) || spec.secret {
                    self.secret_spans.push(span(prop.span()));
                }
                let help = match suggest(key, spec.props.iter().map(|p| p.name)) {
                    Some(s) => format!("did you mean `{s}=`?"),
                    None if spec.props.is_empty() => format!("`{name}` takes no properties"),
                    None => format!("`{name}` takes {}", prop_list(spec.props)),
                };
                self.push(
                    Diagnostic::error(
                        "config::unknown-property",
                        format!("unknown property `{key}` on `{name}`"),
                    )
                    .at(self.file, span(prop.span()))
                    .label("not known here")
                    .help(help),
                );
                continue;
            };
            if let Some(first) = seen.insert(key, prop) {
                self.push(
                    Diagnostic::error(
                        "config::duplicate-field",
                        format!("property `{key}` is given more than once on `{name}`"),
                    )
                    .at(self.file, span(prop.span()))
                    .label("given again here")
                    .help("keep one and delete the other")
                    .note("first given here", self.file, span(first.span())),
                );
                continue;
            }
            if let Err(e) = values::check(&pspec.kind, prop) {
                if e.code == "config::literal-secret" {
                    self.secret_spans.push(span(prop.span()));
                }
                self.push(
                    Diagnostic::error(e.code, e.message)
                        .at(self.file, span(prop.span()))
                        .label(format!("`{key}` takes {}", pspec.kind.describe()))
                        .help(e.help),
                );
            }
        }
        for pspec in spec.props.iter().filter(|p| p.required) {
            if !seen.contains_key(pspec.name) && !literal_secret_given {
                self.push(
                    Diagnostic::error(
                        "config::missing-field",
                        format!("`{name}` needs the property `{}`", pspec.name),
                    )
                    .at(self.file, name_span(node))
                    .label(format!("needs `{}=`", pspec.name))
                    .help(format!(
                        "write `{name} {}=\"…\"` ({})",
                        pspec.name,
                        pspec.doc.trim_end_matches('.')
                    )),
                );
            }
        }
    }

    fn check_children(&mut self, node: &KdlNode, spec: &NodeSpec) {
        let name = spec.name;
        match (spec.children, node.children()) {
            (Children::None, Some(_)) => self.push(
                Diagnostic::error(
                    "config::unexpected-children",
                    format!("`{name}` takes no block"),
                )
                .at(self.file, name_span(node))
                .label("has a block")
                .help(format!("write {} on one line", example_line(spec))),
            ),
            (Children::Nodes(specs), children) => self.check_nodes(children, specs, Some(node)),
            (Children::Map(kind), Some(children)) => self.check_map(node, kind, children),
            (Children::Map(_), None) | (Children::None, None) => {}
        }
    }

    /// Free-named children such as tags: `key "value"`.
    fn check_map(&mut self, node: &KdlNode, kind: schema::ValueKind, children: &KdlDocument) {
        let mut seen: BTreeMap<&str, &KdlNode> = BTreeMap::new();
        for child in children.nodes() {
            let key = child.name().value();
            if let Some(first) = seen.insert(key, child) {
                self.push(
                    Diagnostic::error(
                        "config::duplicate-field",
                        format!(
                            "`{key}` is given more than once in `{}`",
                            node.name().value()
                        ),
                    )
                    .at(self.file, name_span(child))
                    .label("given again here")
                    .help("keep one and delete the other")
                    .note("first given here", self.file, name_span(first)),
                );
                continue;
            }
            if let Some((problem, help)) = tag_key_problem(key) {
                self.push(
                    Diagnostic::error("config::invalid-tag", problem)
                        .at(self.file, name_span(child))
                        .label("this tag key")
                        .help(help),
                );
            }
            let spec = NodeSpec {
                name: "tag",
                value: Some(kind),
                props: &[],
                children: Children::None,
                occurs: Occurs::Optional,
                group: None,
                default: None,
                secret: false,
                doc: "",
            };
            self.check_node(child, &spec);
        }
    }
}

fn tag_key_problem(key: &str) -> Option<(String, &'static str)> {
    if key.to_ascii_lowercase().starts_with("aws:") {
        Some((
            format!("tag keys starting with `aws:` are reserved by AWS (`{key}`)"),
            "pick a key without the `aws:` prefix",
        ))
    } else if key == "managed-by" || key == "library" {
        Some((
            format!("the tag `{key}` is mailform's own"),
            "mailform adds `managed-by` and `library` itself to mark what it owns; pick another key",
        ))
    } else if key.chars().count() > 128 {
        Some((
            "a tag key has at most 128 characters".into(),
            "shorten the key",
        ))
    } else {
        None
    }
}

/// A value on `.invalid`, where `mailform new` puts what the library has not told us yet. A
/// warning here, so a new file validates and formats as written while it is filled in step by
/// step; `plan`, `apply` and `notify` refuse to run while any is left (`cli::world`).
fn placeholder(kind: FileKind, spec: &NodeSpec, entry: &KdlEntry) -> Diagnostic {
    let value = entry.value().as_string().unwrap_or_default();
    // The field's description without its asides: "custom MAIL FROM subdomain of the sending
    // domain", not the record it needs.
    let doc = spec.doc.split(" (").next().unwrap_or(spec.doc);
    let what = lower_first(doc.trim_end_matches('.'));
    let (message, help) = match kind {
        FileKind::Library => (
            format!(
                "`{value}` is a placeholder left from `mailform new` or `mailform import`, not the library's answer"
            ),
            format!(
                "replace it with the library's answer ({what}) and delete the \
                 `// TODO(operator):` line above it, if any; `.invalid` never exists, so `plan`, \
                 `apply` and `notify` refuse to run while a placeholder is left"
            ),
        ),
        FileKind::Platform => (
            format!("`{value}` is a placeholder: `.invalid` never exists (RFC 6761)"),
            format!(
                "replace it with the real value ({what}); `plan`, `apply` and `notify` refuse to \
                 run while a placeholder is left"
            ),
        ),
    };
    Diagnostic::warning("config::placeholder", message)
        .label("placeholder")
        .help(help)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => s.to_string(),
    }
}

/// The diagnostic for a password written into a file. It names the place, never the value.
pub(super) fn literal_secret(file: FileId, at: Range<usize>, name: &str) -> Diagnostic {
    Diagnostic::error(
        "config::literal-secret",
        format!("`{name}` holds a literal secret; secrets are never written in library files"),
    )
    .at(file, at)
    .label("literal secret (hidden)")
    .help(format!(
        "delete it, rotate the password (it may already be in version control), and write \
         `{name} env=\"NAME\"` naming the environment variable that holds it"
    ))
}

/// Where a node that is unknown here would be known, for "`host` belongs inside `smtp-account`".
fn home_of(name: &str, here: &'static [NodeSpec]) -> Option<&'static str> {
    fn find(
        specs: &'static [NodeSpec],
        name: &str,
        here: &'static [NodeSpec],
    ) -> Option<&'static str> {
        for spec in specs {
            let children = spec.child_nodes();
            if !std::ptr::eq(children, here) && children.iter().any(|c| c.name == name) {
                return Some(spec.name);
            }
            if let Some(found) = find(children, name, here) {
                return Some(found);
            }
        }
        None
    }
    find(schema::LIBRARY_FILE, name, here).or_else(|| find(schema::PLATFORM_FILE, name, here))
}

fn prop_list(props: &[PropSpec]) -> String {
    props
        .iter()
        .map(|p| format!("`{}=`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A line showing how a node is written, for help texts.
fn example_line(spec: &NodeSpec) -> String {
    use schema::ValueKind as K;
    let value = match spec.value {
        Some(K::Email) => " \"noreply@library.example.org\"".to_string(),
        Some(K::Domain) => " \"library.example.org\"".into(),
        Some(K::Host) => " \"smtp.library.example.org\"".into(),
        Some(K::Port) => " 587".into(),
        Some(K::Date) => " \"2027-03-01\"".into(),
        Some(K::Bool) => " #true".into(),
        Some(K::Usd) => " 20.00".into(),
        Some(K::Integer { min, .. }) => format!(" {min}"),
        Some(K::IntegerOneOf(v)) => format!(" {}", v[0]),
        Some(K::OneOf(words)) => format!(" \"{}\"", words[0]),
        Some(K::AwsRegion) => " \"us-east-1\"".into(),
        Some(K::Phone) => " \"+1.5555550100\"".into(),
        Some(K::CountryCode) => " \"US\"".into(),
        Some(K::AwsAccountId) => " \"111122223333\"".into(),
        Some(_) => " \"…\"".into(),
        None => match spec.props.first() {
            Some(p) if p.kind == K::EnvName => format!(
                " {}=\"{}LIBRARY\"",
                p.name,
                crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX
            ),
            Some(p) => format!(" {}=\"…\"", p.name),
            None => String::new(),
        },
    };
    let block = if matches!(spec.children, Children::Nodes(_) | Children::Map(_)) {
        " { … }"
    } else {
        ""
    };
    format!("`{}{value}{block}`", spec.name)
}
