//! Secret masking on KDL's token stream, for the display copy of every source file.
//!
//! It runs before parsing, on text that may not parse (that is exactly when a pasted password
//! would otherwise be echoed in a syntax error's snippet), so it never relies on the parser. A
//! small KDL-v2-aware lexer walks strings (quoted, raw `#"…"#`, multi-line `"""`, with escapes
//! and whitespace escapes), comments, slashdashes and line continuations; a structural pass
//! over the tokens then masks every value that belongs to a secret-named node or property,
//! every token of a secret-named node's descendants, and the node that follows a value-less
//! secret-named node when it is clearly its value (a next line that starts with no schema name,
//! after a secret name alone or a secret string left open at the end of its line).
//!
//! Masks keep the byte length and every line break, so spans and line numbers stay valid, and
//! replace whole tokens with ASCII `*`, so every offset inside a mask is a char boundary.

use std::ops::Range;

use crate::schema::{self, Children, NodeSpec};

/// Names of nodes and properties whose values are secrets, matched anywhere in the name.
const SECRET_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "auth-code",
    "authcode",
    "apikey",
    "privatekey",
];

/// Words that make a name secret when they are a whole word of it (`smtp-pass`, `pwd`,
/// `api-key`); as substrings they would catch `compass` or `dkim-key-length`.
const SECRET_WORDS: &[&str] = &["pass", "pwd", "creds", "pin", "otp"];

/// Whether a node or property name names a secret.
///
/// Words are split at `-`, `_`, `.` and lower-to-upper case changes, so `smtpPass`,
/// `smtp_pass` and `smtp-pass` all count; a name whose last word is `key` (`api-key`,
/// `private_key`, `key`) counts, while `dkim-key-length` does not.
pub fn is_secret_name(name: &str) -> bool {
    if is_plain_schema_name(name) {
        // The schema's own names are what they say (`smtp-password-env-prefix` holds a prefix).
        return false;
    }
    let lower = name.to_ascii_lowercase();
    if SECRET_PARTS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let words = words(name);
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words.last().is_some_and(|w| w == "key" || w == "keys")
}

fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether `name` is a node of either schema whose value is not a secret.
fn is_plain_schema_name(name: &str) -> bool {
    fn walk(specs: &'static [NodeSpec], name: &str) -> bool {
        specs.iter().any(|s| {
            (s.name == name && !s.secret)
                || matches!(s.children, Children::Nodes(children) if walk(children, name))
        })
    }
    walk(schema::LIBRARY_FILE, name) || walk(schema::PLATFORM_FILE, name)
}

/// Whether `name` is a node or property name of either schema.
fn is_schema_name(name: &str) -> bool {
    fn walk(specs: &'static [NodeSpec], name: &str) -> bool {
        specs.iter().any(|s| {
            s.name == name
                || s.props.iter().any(|p| p.name == name)
                || matches!(s.children, Children::Nodes(children) if walk(children, name))
        })
    }
    walk(schema::LIBRARY_FILE, name) || walk(schema::PLATFORM_FILE, name)
}

/// Whether `s` is a plausible environment variable name: upper case, digits and underscores.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The display copy of `text` with secrets masked, and the byte ranges masked.
pub fn mask(text: &str) -> (String, Vec<Range<usize>>) {
    let ranges = secret_ranges(text);
    let mut display = text.to_string();
    for range in &ranges {
        overwrite(&mut display, range.clone());
    }
    (display, ranges)
}

/// Overwrites `range` of `display` with `*`, keeping line breaks, so lines stay where they
/// were. Out-of-range or mid-character bounds are moved outwards to the nearest boundary.
pub fn overwrite(display: &mut String, range: Range<usize>) {
    let mut end = range.end.min(display.len());
    let mut start = range.start.min(end);
    while !display.is_char_boundary(start) {
        start -= 1;
    }
    while !display.is_char_boundary(end) {
        end += 1;
    }
    let masked: String = display[start..end]
        .chars()
        .flat_map(|c| {
            let keep = matches!(c, '\n' | '\r');
            let n = if keep { 1 } else { c.len_utf8() };
            std::iter::repeat_n(if keep { c } else { '*' }, n)
        })
        .collect();
    display.replace_range(start..end, &masked);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare identifier, number or keyword.
    Word,
    /// A string of any kind; `open` when the text ended before its closing quote.
    Str {
        open: bool,
    },
    Equals,
    Open,
    Close,
    Semi,
    Newline,
    ParenOpen,
    ParenClose,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    range: Range<usize>,
}

fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{c}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_space(c: char) -> bool {
    (c.is_whitespace() || c == '\u{feff}') && !is_newline(c)
}

/// Ends a bare word: what KDL forbids in identifiers and what starts something else.
fn ends_word(c: char) -> bool {
    is_space(c) || is_newline(c) || matches!(c, '{' | '}' | '(' | ')' | ';' | '=' | '"' | '\\')
}

struct Lexer<'a> {
    text: &'a str,
    at: usize,
    /// Every comment's body (without `//`, `/*`, `*/`), with the number of tokens before it.
    comments: Vec<(usize, Range<usize>)>,
    tokens_so_far: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.at..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn starts_with(&self, s: &str) -> bool {
        self.text[self.at..].starts_with(s)
    }

    /// Consumes one line break (`\r\n` counts as one).
    fn newline(&mut self) {
        if self.bump() == Some('\r') && self.peek() == Some('\n') {
            self.at += 1;
        }
    }

    fn line_comment(&mut self) {
        let start = self.at + 2;
        while let Some(c) = self.peek() {
            if is_newline(c) {
                break;
            }
            self.bump();
        }
        self.comments
            .push((self.tokens_so_far, start.min(self.at)..self.at));
    }

    /// A `/* … */` comment; they nest. An unclosed one runs to the end.
    fn block_comment(&mut self) {
        let start = self.at + 2;
        let mut depth = 0usize;
        while self.at < self.text.len() {
            if self.starts_with("/*") {
                depth += 1;
                self.at += 2;
            } else if self.starts_with("*/") {
                depth -= 1;
                self.at += 2;
                if depth == 0 {
                    let end = self.at - 2;
                    self.comments
                        .push((self.tokens_so_far, start.min(end)..end));
                    return;
                }
            } else {
                self.bump();
            }
        }
        self.comments
            .push((self.tokens_so_far, start.min(self.at)..self.at));
    }

    /// After a `\` outside a string: spaces, an optional `//` comment and one line break are
    /// skipped, so the next line continues the node.
    fn continuation(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.bump();
        }
        if self.starts_with("//") {
            self.line_comment();
        }
        if self.peek().is_some_and(is_newline) {
            self.newline();
        }
    }

    /// A quoted string from its opening quote; returns whether it was closed.
    fn quoted(&mut self) -> bool {
        if self.starts_with("\"\"\"") {
            self.at += 3;
            while self.at < self.text.len() {
                if self.starts_with("\"\"\"") {
                    self.at += 3;
                    return true;
                }
                if self.bump() == Some('\\') {
                    self.bump();
                }
            }
            return false;
        }
        self.at += 1;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.at += 1;
                    return true;
                }
                '\\' => {
                    self.at += 1;
                    // A whitespace escape runs over spaces and line breaks alike.
                    if self.peek().is_some_and(|c| is_space(c) || is_newline(c)) {
                        while self.peek().is_some_and(|c| is_space(c) || is_newline(c)) {
                            self.bump();
                        }
                    } else {
                        self.bump();
                    }
                }
                c if is_newline(c) => return false,
                _ => {
                    self.bump();
                }
            }
        }
        false
    }

    /// A raw string from its first `#`, given the number of `#` and that a quote follows;
    /// returns whether it was closed.
    fn raw(&mut self, hashes: usize) -> bool {
        self.at += hashes;
        let close: String = std::iter::once('"')
            .chain(std::iter::repeat_n('#', hashes))
            .collect();
        if self.starts_with("\"\"\"") {
            self.at += 3;
            let close = format!("\"\"{close}");
            while self.at < self.text.len() {
                if self.starts_with(&close) {
                    self.at += close.len();
                    return true;
                }
                self.bump();
            }
            return false;
        }
        self.at += 1;
        while let Some(c) = self.peek() {
            if self.starts_with(&close) {
                self.at += close.len();
                return true;
            }
            if is_newline(c) {
                return false;
            }
            self.bump();
        }
        false
    }

    fn word(&mut self) {
        while let Some(c) = self.peek() {
            if ends_word(c) || self.starts_with("//") || self.starts_with("/*") {
                break;
            }
            self.bump();
        }
    }

    fn tokens(&mut self) -> Vec<Token> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.tokens_so_far = out.len();
            let start = self.at;
            let kind = match c {
                c if is_newline(c) => {
                    self.newline();
                    Kind::Newline
                }
                c if is_space(c) => {
                    self.bump();
                    continue;
                }
                '/' if self.peek_at(1) == Some('/') => {
                    self.line_comment();
                    continue;
                }
                '/' if self.peek_at(1) == Some('*') => {
                    self.block_comment();
                    continue;
                }
                '/' if self.peek_at(1) == Some('-') => {
                    // A slashdash comments out what follows, which is still masked as usual.
                    self.at += 2;
                    continue;
                }
                '\\' => {
                    self.bump();
                    self.continuation();
                    continue;
                }
                '{' | '}' | ';' | '=' | '(' | ')' => {
                    self.bump();
                    match c {
                        '{' => Kind::Open,
                        '}' => Kind::Close,
                        ';' => Kind::Semi,
                        '=' => Kind::Equals,
                        '(' => Kind::ParenOpen,
                        _ => Kind::ParenClose,
                    }
                }
                '"' => Kind::Str {
                    open: !self.quoted(),
                },
                '#' => {
                    let hashes = self.text[self.at..]
                        .bytes()
                        .take_while(|&b| b == b'#')
                        .count();
                    if self.text[self.at + hashes..].starts_with('"') {
                        Kind::Str {
                            open: !self.raw(hashes),
                        }
                    } else {
                        // A keyword such as `#true`.
                        self.at += hashes;
                        self.word();
                        Kind::Word
                    }
                }
                _ => {
                    self.bump();
                    self.word();
                    Kind::Word
                }
            };
            out.push(Token {
                kind,
                range: start..self.at,
            });
        }
        out
    }
}

/// What the pass knows about the node being read in one block.
#[derive(Debug, Default)]
struct NodeState {
    /// Its values are masked.
    secret: bool,
    /// Its own name says secret.
    named_secret: bool,
    values: usize,
    children: bool,
    /// Its last value is a string that ran to the end of its line unclosed.
    last_open: bool,
}

/// What the node after this one is, for the value a secret-named node left on the next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Pending {
    #[default]
    Nothing,
    /// The previous node was a secret name alone: the next node is its value unless it is a
    /// name of the schema.
    BareValue,
    /// The previous secret node's string was left open: the next line is the rest of it,
    /// unless it starts with a name of the schema (then the string just lacks its quote).
    RestOfString,
}

#[derive(Debug, Default)]
struct Block {
    /// Inside a secret-named node: every token is masked.
    secret: bool,
    pending: Pending,
    node: Option<NodeState>,
}

impl Block {
    fn end_node(&mut self, by_newline: bool) {
        if let Some(node) = self.node.take() {
            self.pending = if node.secret && node.last_open {
                Pending::RestOfString
            } else if node.named_secret && node.values == 0 && !node.children && by_newline {
                Pending::BareValue
            } else {
                Pending::Nothing
            };
        }
    }
}

/// The unquoted text of a word or string token, as far as names go.
fn token_text<'a>(text: &'a str, t: &Token) -> &'a str {
    let s = &text[t.range.clone()];
    match t.kind {
        Kind::Str { .. } => s.trim_matches('#').trim_matches('"'),
        _ => s,
    }
}

/// The byte ranges of `text` to mask.
fn secret_ranges(text: &str) -> Vec<Range<usize>> {
    let mut lexer = Lexer {
        text,
        at: 0,
        comments: Vec::new(),
        tokens_so_far: 0,
    };
    let tokens = lexer.tokens();
    let mut comments = lexer.comments.into_iter().peekable();
    let mut masked = Vec::new();
    let mut blocks = vec![Block::default()];
    let mut in_parens = false;
    let mut j = 0;
    loop {
        // The comments before token `j`: inside a secret node or on its line, the whole body
        // is masked; anywhere, what reads like `password: value` is.
        while let Some((_, body)) = comments.next_if(|(before, _)| *before <= j) {
            let block = blocks.last().expect("the top block is never popped");
            if block.secret || block.node.as_ref().is_some_and(|n| n.secret) {
                masked.push(body);
            } else {
                masked.extend(secret_in_prose(text, body));
            }
        }
        let Some(t) = tokens.get(j) else {
            break;
        };
        j += 1;
        let depth = blocks.len();
        let block = blocks.last_mut().expect("the top block is never popped");
        match t.kind {
            Kind::Newline | Kind::Semi => {
                in_parens = false;
                block.end_node(t.kind == Kind::Newline);
            }
            Kind::ParenOpen => in_parens = true,
            Kind::ParenClose => in_parens = false,
            Kind::Equals => {}
            Kind::Open => {
                in_parens = false;
                let secret = match &mut block.node {
                    Some(node) => {
                        node.children = true;
                        node.secret
                    }
                    None => block.secret,
                };
                blocks.push(Block {
                    secret,
                    ..Block::default()
                });
            }
            Kind::Close => {
                in_parens = false;
                if depth > 1 {
                    blocks.pop();
                    if let Some(parent) = blocks.last_mut().and_then(|b| b.node.as_mut()) {
                        parent.children = true;
                    }
                } else {
                    block.end_node(false);
                }
            }
            Kind::Word | Kind::Str { .. } => {
                let open = matches!(t.kind, Kind::Str { open: true });
                if in_parens {
                    // A type annotation: masked where everything is.
                    if block.secret || block.node.as_ref().is_some_and(|n| n.secret) {
                        masked.push(t.range.clone());
                    }
                    continue;
                }
                let Some(node) = &mut block.node else {
                    let name = token_text(text, t);
                    let is_value_of_previous = match std::mem::take(&mut block.pending) {
                        Pending::RestOfString | Pending::BareValue => !is_schema_name(name),
                        Pending::Nothing => false,
                    };
                    let named_secret = is_secret_name(name);
                    if block.secret || is_value_of_previous {
                        masked.push(t.range.clone());
                    }
                    block.node = Some(NodeState {
                        secret: block.secret || named_secret || is_value_of_previous,
                        named_secret,
                        last_open: open && (block.secret || is_value_of_previous),
                        ..NodeState::default()
                    });
                    continue;
                };
                node.values += 1;
                let is_property = tokens.get(j).is_some_and(|n| n.kind == Kind::Equals);
                if !is_property {
                    if node.secret {
                        masked.push(t.range.clone());
                    }
                    node.last_open = open;
                    continue;
                }
                // `key=value`: the key stays visible, the value is masked when the node is
                // secret or the key names a secret, except an `env=` naming a variable.
                let key = token_text(text, t);
                if block.secret {
                    masked.push(t.range.clone());
                }
                j += 1;
                let Some(value) = tokens
                    .get(j)
                    .filter(|v| matches!(v.kind, Kind::Word | Kind::Str { .. }))
                else {
                    continue;
                };
                j += 1;
                let env_reference = key == "env" && is_env_name(token_text(text, value));
                if block.secret || (!env_reference && (node.secret || is_secret_name(key))) {
                    masked.push(value.range.clone());
                }
                node.last_open = matches!(value.kind, Kind::Str { open: true });
            }
        }
    }
    masked
}

/// Words after which a comment's next word (or, after `:` or `=`, the rest of its line) is
/// taken for a secret: `password: hunter2`, `pass=hunter2`, `secret s3cr3t!`, `auth code
/// ABCD-1234`.
const PROSE_SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "pw",
    "secret",
    "token",
    "credential",
    "credentials",
    "authcode",
    "auth-code",
    "auth_code",
    "auth code",
    "apikey",
    "api-key",
    "api key",
    "pin",
];

/// The parts of a comment's body that read like a secret given in prose.
fn secret_in_prose(text: &str, body: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let Some(comment) = text.get(body.clone()) else {
        return out;
    };
    let lower = comment.to_ascii_lowercase();
    let mut line_start = 0;
    for line in lower.split_inclusive('\n') {
        let base = body.start + line_start;
        line_start += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        for word in PROSE_SECRET_WORDS {
            let mut from = 0;
            while let Some(i) = line[from..].find(word) {
                let at = from + i;
                from = at + word.len();
                let before = line[..at].chars().next_back();
                let after = line[from..].chars().next();
                let whole = !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
                if !whole {
                    continue;
                }
                let rest = &line[from..];
                let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                let rest = &rest[gap..];
                if let Some(value) = rest.strip_prefix([':', '=']) {
                    // `password: value`: the rest of the line.
                    let start = line.len() - value.len();
                    if !value.trim().is_empty() {
                        out.push(base + start..base + line.len());
                    }
                } else if gap > 0 {
                    // `secret value`: the next word, when it looks like a secret.
                    let next = rest.split([' ', '\t']).next().unwrap_or("");
                    let next = next.trim_end_matches(['.', ',', ';', ')']);
                    let start = base + line.len() - rest.len();
                    let range = start..start + next.len();
                    if text.get(range.clone()).is_some_and(looks_secret) {
                        out.push(range);
                    }
                }
            }
        }
    }
    out
}

/// Whether a word of prose looks like a password or code rather than a word: six characters
/// or more, with a digit, a symbol or a capital letter after the first.
fn looks_secret(word: &str) -> bool {
    word.chars().count() >= 6
        && word
            .chars()
            .skip(1)
            .any(|c| c.is_ascii_digit() || c.is_uppercase() || !(c.is_alphanumeric() || c == '\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARY-7f3a-hunter2";

    fn assert_masked(text: &str) -> String {
        let (display, _) = mask(text);
        assert_eq!(display.len(), text.len(), "{text:?}");
        assert_eq!(
            display.matches('\n').count(),
            text.matches('\n').count(),
            "line breaks moved: {text:?}"
        );
        for secret in [CANARY, "hunter2", "7f3a", "CANARY"] {
            assert!(!display.contains(secret), "{text:?}\n->\n{display}");
        }
        display
    }

    #[test]
    fn every_shape_of_a_pasted_secret_is_masked() {
        let cases = [
            format!("password \"{CANARY}\"\n"),
            format!("password {CANARY}\n"),
            format!("password \"{CANARY}\n"),
            format!("password \"\"\"\n    {CANARY}\n    \"\"\"\n"),
            format!("password #\"{CANARY}\"#\n"),
            format!("password ##\"\"\"\n{CANARY}\n\"\"\"##\n"),
            format!("password \"\"\"\n{CANARY}\n"),
            format!("password #\"{CANARY}\n"),
            format!("password \\\n    \"{CANARY}\"\n"),
            format!("password \\ // the value\n    {CANARY}\n"),
            "password \\\n".to_string(),
            format!("password \\ {CANARY}\n"),
            format!("password {{ value \"{CANARY}\" }}\n"),
            format!("password {{\n    \"{CANARY}\"\n}}\n"),
            format!("password {{\n    inner {{\n        deeper {CANARY}\n    }}\n}}\n"),
            format!("smtp-account {{\n    password\n    {CANARY}\n}}\n"),
            format!("smtp-account {{\n    password\n\n    \"{CANARY}\"\n}}\n"),
            format!("smtp-account {{\n    password\n    {CANARY} more words\n}}\n"),
            format!("password \"first line\n{CANARY}\"\n"),
            format!("password \"escaped \\\n    {CANARY}\"\n"),
            format!("pwd \"{CANARY}\"\n"),
            format!("smtp-pass \"{CANARY}\"\n"),
            format!("smtpPass \"{CANARY}\"\n"),
            format!("pass {CANARY}\n"),
            format!("credentials {{ user \"u\"; pw \"{CANARY}\" }}\n"),
            format!("credential \"{CANARY}\"\n"),
            format!("api-key \"{CANARY}\"\n"),
            format!("private_key \"{CANARY}\"\n"),
            format!("key \"{CANARY}\"\n"),
            format!("host \"x\" password=\"{CANARY}\"\n"),
            format!("host \"x\" password = {CANARY}\n"),
            format!("password env=\"{CANARY}\"\n"),
            format!("password env=\"X\" value=\"{CANARY}\"\n"),
            format!("/- password \"{CANARY}\"\n"),
            format!("password (t)\"{CANARY}\"\n"),
            format!("password \"{CANARY}\"; host \"x\"\n"),
            format!("password \"{CANARY}\" {{\n"),
            format!("}}}} password \"{CANARY}\"\n"),
            format!("password \"{CANARY}\"\r\nhost \"x\"\r\n"),
            format!("password \"ü{CANARY}é\"\n"),
            format!("password\r\n  {CANARY}\r\n"),
        ];
        for text in &cases {
            assert_masked(text);
        }
    }

    #[test]
    fn what_is_not_secret_stays_readable() {
        let text = "smtp-account {\n    host \"smtp.x.example.org\"\n    password env=\"MAILFORM_SMTP_PASSWORD_X\"\n    from \"a@x.example.org\"\n}\n";
        assert_eq!(mask(text).0, text);
        // A secret name alone, followed by a node of the schema: the next node is not its value.
        let text = "smtp-account {\n    password\n    from \"a@x.example.org\"\n}\n";
        assert_eq!(mask(text).0, text);
        let text = "ses-domain {\n    dkim-key-length 2048\n    google-auth \"app-password\"\n}\n";
        assert_eq!(mask(text).0, text);
    }

    #[test]
    fn comments_on_a_secret_line_are_masked_and_other_comments_kept() {
        let text = "    password \"hunter2-canary\" // typed by mistake; password here\n    /* the password */ from \"a@x.example.org\"\n";
        let (display, _) = mask(text);
        assert_eq!(
            display,
            "    password **************** //********************************\n    /* the password */ from \"a@x.example.org\"\n"
        );
    }

    #[test]
    fn secrets_in_comments_are_masked() {
        let cases = [
            format!("password env=\"X\" // {CANARY}\n"),
            format!("password /* {CANARY} */ env=\"X\"\n"),
            format!("password env=\"X\" /* first\n{CANARY} */\n"),
            format!("password {{\n    // {CANARY}\n}}\n"),
            format!("// password: {CANARY}\nhost \"x\"\n"),
            format!("// Password : {CANARY} (the old one)\nhost \"x\"\n"),
            format!("host \"x\" // pass={CANARY}\n"),
            format!("/* the secret {CANARY} */\nhost \"x\"\n"),
            format!("// auth code {CANARY}\n"),
            format!("// auth-code: {CANARY}\n"),
            format!("// smtp pwd={CANARY}\n"),
            format!("/*\n  token:\t{CANARY}\n*/\n"),
        ];
        for text in &cases {
            assert_masked(text);
        }
        // Prose about secrets stays readable.
        for text in [
            "        // The password lives in CI's secrets, never in this file.\n",
            "// Method 2 with a Google Workspace account: STARTTLS on 587 and an App Password.\n",
            "// the relay and its password's variable.\n",
            "// a password is needed\n",
        ] {
            assert_eq!(mask(text).0, text);
        }
    }

    #[test]
    fn masks_keep_char_boundaries_and_lengths() {
        let text = "password \"çà ü\"\nname \"é\"\n";
        let (display, ranges) = mask(text);
        assert_eq!(display.len(), text.len());
        for r in ranges {
            assert!(display.is_char_boundary(r.start) && display.is_char_boundary(r.end));
        }
        assert!(display.ends_with("name \"é\"\n"), "{display}");
    }

    #[test]
    fn no_schema_name_but_password_is_a_secret_name() {
        fn walk(specs: &'static [NodeSpec], out: &mut Vec<&'static str>) {
            for s in specs {
                out.push(s.name);
                out.extend(s.props.iter().map(|p| p.name));
                if let Children::Nodes(children) = s.children {
                    walk(children, out);
                }
            }
        }
        let mut names = Vec::new();
        walk(schema::LIBRARY_FILE, &mut names);
        walk(schema::PLATFORM_FILE, &mut names);
        let mut secret: Vec<_> = names.into_iter().filter(|n| is_secret_name(n)).collect();
        secret.dedup();
        // The library's SMTP password and the platform's relay password.
        assert_eq!(secret, ["password"]);
        for name in [
            "passwd",
            "pwd",
            "smtp-pass",
            "pass",
            "smtpPass",
            "SMTP_PASSWORD",
            "credentials",
            "credential",
            "creds",
            "api-key",
            "apiKey",
            "private-key",
            "key",
            "auth-code",
            "token",
            "client-secret",
            "passphrase",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "compass",
            "bypass-list",
            "keyboard",
            "monkey-name",
            "google-auth",
            "host",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
