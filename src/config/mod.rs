//! Library files → typed model + every diagnostic.
//!
//! [`read_sources`] is the only function here that touches the file system. [`analyze`] is
//! pure: it parses each file, walks it against the schema ([`check`]), lowers clean files into
//! the model ([`lower`]) and then checks what only the whole set can show (duplicate ids, two
//! libraries on one sending domain). Problems are collected, never short-circuited.

mod check;
mod controls;
mod lower;
pub mod values;

use std::path::{Path, PathBuf};

use kdl::KdlDocument;

use crate::diagnostic::{Diagnostic, FileId};
use crate::model::{Config, Date};
use crate::schema::{FileKind, PLATFORM_STEM};
use crate::source::{SourceFile, SourceSet};

/// Files larger than this are refused before parsing: no library file comes near it, and it
/// bounds the memory a stray file can take.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Nesting deeper than this is refused before parsing; the schema is four levels deep, and a
/// recursive parser must not meet a file built to exhaust its stack.
pub const MAX_NESTING: usize = 32;

/// What the checks depend on besides the files.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzeOptions {
    /// The date launch-date checks count from.
    pub today: Date,
}

/// The result of [`analyze`]: the model when every file lowered, and all diagnostics.
#[derive(Debug)]
pub struct Analysis {
    pub config: Option<Config>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the files named by `paths`: each directory contributes its `*.kdl` files (sorted),
/// each file itself. When no platform file is among them, the one beside the first library
/// file is read too.
///
/// Nothing is skipped silently: an entry of a directory that looks like a library file but
/// cannot be one (a directory, a FIFO, `.KDL` in another case) is an error, and so is a file
/// that cannot be read whole. Symbolic links are refused wherever they are (a given path, an
/// entry of a directory, the platform file beside a single file), before anything behind them
/// is read. Callers never act on a tree with read errors.
/// The file type and size are checked before a file is opened, so a FIFO cannot block the run
/// and a huge or growing file cannot exhaust memory.
pub fn read_sources(paths: &[PathBuf]) -> (SourceSet, Vec<Diagnostic>) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        // `symlink_metadata` never follows a link: a link is refused before anything behind it
        // is looked at (see `read_one`).
        // Without a trailing `/`, which would make the system follow a link.
        let bare: PathBuf = path.components().collect();
        let meta = std::fs::symlink_metadata(&bare);
        // A file's directory is part of its tree: its platform file is read from there.
        let parent = bare.parent().filter(|p| !p.as_os_str().is_empty());
        let is_link =
            |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
        if meta.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
            diagnostics.push(symlink(path));
        } else if meta.as_ref().is_ok_and(|m| m.is_file()) && parent.is_some_and(is_link) {
            diagnostics.push(symlink(parent.unwrap_or(&bare)));
        } else if meta.is_ok_and(|m| m.is_dir()) {
            match list_dir(path) {
                Ok((found, problems)) => {
                    files.extend(found);
                    diagnostics.extend(problems);
                }
                Err(e) => diagnostics.push(io_error(path, &e)),
            }
        } else {
            files.push(path.clone());
        }
    }
    let has_platform = files.iter().any(|f| is_platform(f));
    if !has_platform && let Some(first) = files.first() {
        let beside = first
            .parent()
            .unwrap_or(Path::new(""))
            .join(format!("{PLATFORM_STEM}.kdl"));
        if std::fs::symlink_metadata(&beside).is_ok() {
            files.push(beside);
        }
    }
    files.dedup();

    let mut sources = SourceSet::default();
    for path in files {
        match read_one(&path) {
            Ok(text) => {
                sources.add(SourceFile::new(path, text));
            }
            Err(ReadFailure::Diagnostic(d)) => diagnostics.push(*d),
            Err(ReadFailure::NotUtf8 { prefix, error }) => {
                // The valid part is kept so the diagnostic has a line and column; the file is
                // marked incomplete and is never parsed.
                let at = prefix.len();
                let id = sources.add(SourceFile::incomplete(path.clone(), prefix));
                diagnostics.push(
                    Diagnostic::error(
                        "config::not-text",
                        format!(
                            "{} is not UTF-8 text: byte {at} is not valid UTF-8",
                            path.display()
                        ),
                    )
                    .at(id, at..at)
                    .label(match error.error_len() {
                        Some(_) => "invalid byte here",
                        None => "the file ends inside a character",
                    })
                    .help(
                        "library files are UTF-8 KDL text; check that this is the right file, \
                         or save it as UTF-8",
                    ),
                );
            }
        }
    }
    (sources, diagnostics)
}

/// The library files of one directory (sorted), and a diagnostic for every entry that looks
/// like one but cannot be read as one.
fn list_dir(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<Diagnostic>)> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(io_error(dir, &e));
                continue;
            }
        };
        let path = entry.path();
        // Any link in the directory is refused, whatever its name or target: the pull-request
        // job runs on trees it does not trust, and a link named `x.kdl` to a file of the runner
        // would print that file in a diagnostic's snippet or a diff.
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            problems.push(symlink(&path));
            continue;
        }
        let Some(ext) = path.extension() else {
            continue;
        };
        if ext == "kdl" {
            // Directories, links and special files are sorted out by `read_one`.
            found.push(path);
        } else if ext.eq_ignore_ascii_case("kdl") {
            problems.push(
                Diagnostic::error(
                    "config::file-name",
                    format!(
                        "{} ends in `.{}`, not `.kdl`, and would be skipped",
                        path.display(),
                        ext.to_string_lossy()
                    ),
                )
                .help("rename it to end in `.kdl` (lower case), or move it out of the directory"),
            );
        }
    }
    found.sort();
    Ok((found, problems))
}

enum ReadFailure {
    Diagnostic(Box<Diagnostic>),
    NotUtf8 {
        prefix: String,
        error: std::str::Utf8Error,
    },
}

/// Reads one file whole, checking its type and size before opening it. A symbolic link is
/// refused without looking at its target, and the file opened must be the one checked (same
/// device and inode), so a link swapped in between the check and the open is caught too.
fn read_one(path: &Path) -> Result<String, ReadFailure> {
    use std::io::Read as _;
    let fail = |d: Diagnostic| Err(ReadFailure::Diagnostic(Box::new(d)));
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return fail(symlink(path)),
        Ok(meta) => meta,
        Err(e) => return fail(io_error(path, &e)),
    };
    if meta.is_dir() {
        return fail(
            Diagnostic::error(
                "config::io",
                format!("cannot read {}: it is a directory", path.display()),
            )
            .help("a library file is a `.kdl` file; rename the directory or move it elsewhere"),
        );
    }
    if !meta.is_file() {
        return fail(
            Diagnostic::error(
                "config::io",
                format!(
                    "cannot read {}: it is not a regular file ({})",
                    path.display(),
                    special_kind(&meta)
                ),
            )
            .help("a library file is a regular `.kdl` file; replace or remove this one"),
        );
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return fail(too_large(path, meta.len()));
    }
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return fail(io_error(path, &e)),
    };
    // The file may have changed between the check and the open: check what was opened.
    match file.metadata() {
        Ok(m) if !same_file(&meta, &m) => return fail(symlink(path)),
        Ok(m) if m.is_file() => {}
        Ok(m) => {
            return fail(
                Diagnostic::error(
                    "config::io",
                    format!(
                        "cannot read {}: it is not a regular file ({})",
                        path.display(),
                        special_kind(&m)
                    ),
                )
                .help("a library file is a regular `.kdl` file; replace or remove this one"),
            );
        }
        Err(e) => return fail(io_error(path, &e)),
    }
    let mut bytes = Vec::new();
    if let Err(e) = (&mut file)
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
    {
        return fail(io_error(path, &e));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return fail(too_large(path, bytes.len() as u64));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let error = e.utf8_error();
            let mut bytes = e.into_bytes();
            bytes.truncate(error.valid_up_to());
            let prefix = String::from_utf8(bytes).unwrap_or_default();
            Err(ReadFailure::NotUtf8 { prefix, error })
        }
    }
}

/// Whether two metadata describe the same file (device and inode).
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// A symbolic link where a library file or directory was expected.
fn symlink(path: &Path) -> Diagnostic {
    Diagnostic::error(
        "config::symlink",
        format!(
            "{} is a symbolic link; mailform never follows links in the library tree",
            path.display()
        ),
    )
    .help("replace the link with the file or directory itself, or remove it")
}

fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

fn too_large(path: &Path, len: u64) -> Diagnostic {
    Diagnostic::error(
        "config::too-large",
        format!(
            "{} is {len} bytes or more, more than the {MAX_FILE_BYTES} a library file may have",
            path.display(),
        ),
    )
    .help("a library file is a few hundred bytes; check that this is the right file")
}

fn is_platform(path: &Path) -> bool {
    path.file_stem().is_some_and(|s| s == PLATFORM_STEM)
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error("config::io", format!("cannot read {}: {e}", path.display()))
        .help("check the path and its permissions")
}

/// Parses, checks and lowers every file in `sources`. Masks secrets found while parsing in
/// the files' display copies, so renderers never show them.
pub fn analyze(sources: &mut SourceSet, opts: &AnalyzeOptions) -> Analysis {
    let mut diagnostics = Vec::new();
    let mut parsed: Vec<(FileId, FileKind, KdlDocument)> = Vec::new();
    let ids: Vec<FileId> = sources.iter().map(|(id, _)| id).collect();

    for id in ids {
        let file = sources.get(id);
        if !file.is_complete() {
            // Read only in part (its read error is reported): never parsed, never lowered.
            continue;
        }
        let kind = FileKind::of_stem(file.stem());
        let Some(doc) = parse(id, file, &mut diagnostics) else {
            continue;
        };
        let mut secret_spans = Vec::new();
        let mut checker = check::Checker {
            file: id,
            kind,
            diagnostics: &mut diagnostics,
            secret_spans: &mut secret_spans,
        };
        checker.check_nodes(Some(&doc), kind.top(), None);
        controls::check(id, file.text(), &doc, &mut diagnostics);
        let file = sources.get_mut(id);
        for span in secret_spans {
            file.mask(span);
        }
        parsed.push((id, kind, doc));
    }

    let config = lower::lower(sources, &parsed, opts, &mut diagnostics);
    sort(sources, &mut diagnostics);
    cap_per_file(&mut diagnostics);
    sources.redact(&mut diagnostics);
    Analysis {
        config,
        diagnostics,
    }
}

/// At most this many diagnostics are shown for one file; a file built to produce thousands
/// would otherwise make the output grow with the square of its size.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 50;

/// Keeps the first [`MAX_DIAGNOSTICS_PER_FILE`] diagnostics of each file (in the given order)
/// and puts one in place of the rest, saying how many there are.
pub fn cap_per_file(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<FileId, usize> = std::collections::HashMap::new();
    let mut cut: Vec<(FileId, usize, usize)> = Vec::new();
    let mut kept = Vec::with_capacity(diagnostics.len().min(1024));
    for d in diagnostics.drain(..) {
        let Some(file) = d.location.as_ref().map(|l| l.file) else {
            kept.push(d);
            continue;
        };
        let n = seen.entry(file).or_default();
        *n += 1;
        if *n <= MAX_DIAGNOSTICS_PER_FILE {
            kept.push(d);
            continue;
        }
        match cut.iter_mut().find(|c| c.0 == file) {
            Some(c) => c.1 += 1,
            None => cut.push((file, 1, kept.len())),
        }
    }
    // Inserted from the last, so the recorded positions stay right.
    for (file, more, at) in cut.into_iter().rev() {
        kept.insert(
            at,
            Diagnostic::error(
                "config::too-many-problems",
                format!(
                    "{more} more problem{} in this file are not shown",
                    if more == 1 { "" } else { "s" }
                ),
            )
            .at(file, 0..0)
            .help("fix the problems above and run again; the rest will show then"),
        );
    }
    *diagnostics = kept;
}

/// Orders diagnostics by file, then position, so output is stable.
fn sort(sources: &SourceSet, diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            d.location
                .as_ref()
                .map(|l| (sources.path(l.file).to_path_buf(), l.span.start, l.span.end))
        };
        key(a).cmp(&key(b))
    });
}

/// Parses one file, turning KDL errors (and files built to hurt the parser) into diagnostics.
pub fn parse(
    id: FileId,
    file: &SourceFile,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<KdlDocument> {
    let text = file.text();
    if let Some((at, what)) = odd_line_break(text) {
        diagnostics.push(
            Diagnostic::error(
                "config::line-break",
                format!("this file breaks lines with {what}, not with a line feed"),
            )
            .at(id, at..at)
            .label("line break")
            .help(
                "save the file with LF (or CRLF) line endings; line numbers in messages and \
                 diffs would be wrong otherwise",
            ),
        );
        return None;
    }
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| {
        // Line breaks were judged above; a tab is fine between tokens (`controls` refuses
        // one inside a value).
        !matches!(c, '\t' | '\n' | '\r') && crate::source::unsafe_char(c).is_some()
    }) {
        let name = crate::source::unsafe_char(c).unwrap_or_default();
        diagnostics.push(
            Diagnostic::error(
                "config::control-character",
                format!(
                    "this file contains the control character U+{:04X} ({name})",
                    c as u32
                ),
            )
            .at(id, at..at + c.len_utf8())
            .label("here")
            .help(
                "delete the character (retype the text around it if it cannot be seen); a \
                 control character can hide or forge what terminals, logs and e-mails show",
            ),
        );
        return None;
    }
    if let Some(at) = too_deep(text) {
        diagnostics.push(
            Diagnostic::error(
                "config::too-deep",
                format!("blocks are nested more than {MAX_NESTING} levels deep"),
            )
            .at(id, at..at + 1)
            .label("too deep")
            .help("library files nest at most four levels; check for unbalanced `{`"),
        );
        return None;
    }
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(doc),
        Err(err) => {
            let before = diagnostics.len();
            for d in &err.diagnostics {
                let offset = d.span.offset().min(text.len());
                let end = (offset + d.span.len()).min(text.len());
                let message = d
                    .message
                    .as_deref()
                    .map(tidy)
                    .unwrap_or_else(|| "this is not valid KDL".to_string());
                let mut diag = Diagnostic::error("config::syntax", message)
                    .at(id, offset..end)
                    .label(
                        d.label
                            .as_deref()
                            .map(tidy)
                            .unwrap_or_else(|| "here".into()),
                    );
                diag.help = Some(match d.help.as_deref() {
                    Some(help) => {
                        format!("{}; library files are KDL v2 (https://kdl.dev)", tidy(help))
                    }
                    None => "library files are KDL v2 (https://kdl.dev)".to_string(),
                });
                diagnostics.push(diag);
            }
            if diagnostics.len() == before {
                diagnostics.push(
                    Diagnostic::error("config::syntax", "this file is not valid KDL")
                        .at(id, 0..0)
                        .help("library files are KDL v2 (https://kdl.dev)"),
                );
            }
            None
        }
    }
}

/// The first line break KDL v2 knows but mailform's line counting does not: a carriage return
/// without a line feed (old Mac files), NEL, form feed, or the Unicode line and paragraph
/// separators. LF and CRLF are fine.
fn odd_line_break(text: &str) -> Option<(usize, &'static str)> {
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let what = match c {
            '\r' if chars.peek().is_some_and(|&(_, n)| n == '\n') => continue,
            '\r' => "a carriage return alone (old Mac line endings)",
            '\u{85}' => "NEL (U+0085)",
            '\u{c}' => "a form feed",
            '\u{2028}' => "the line separator U+2028",
            '\u{2029}' => "the paragraph separator U+2029",
            _ => continue,
        };
        return Some((at, what));
    }
    None
}

/// KDL's messages are sentences; ours are lower case without a trailing period.
fn tidy(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The offset where nesting first exceeds [`MAX_NESTING`], skipping strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // Block comments nest in KDL; a deep pile of them is as bad as deep braces.
                let mut comment_depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        comment_depth += 1;
                        if comment_depth > MAX_NESTING {
                            return Some(i);
                        }
                        i += 1;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        comment_depth -= 1;
                        i += 1;
                        if comment_depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'{' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The closest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| {
            *d <= limit
                || (c.contains(word) && word.len() >= 3)
                || (word.contains(c) && c.len() >= 4)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit (optimal
/// string alignment), since `nmae` for `name` is the commonest typo of all.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let names = ["ses-domain", "smtp-account", "managed-domain", "name"];
        assert_eq!(
            suggest("smtp-acount", names.iter().copied()),
            Some("smtp-account")
        );
        assert_eq!(suggest("ses", names.iter().copied()), Some("ses-domain"));
        assert_eq!(suggest("colour", names.iter().copied()), None);
        assert_eq!(suggest("nmae", names.iter().copied()), Some("name"));
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        assert_eq!(too_deep(&"{".repeat(10)), None);
        assert!(too_deep(&"{".repeat(40)).is_some());
        assert_eq!(too_deep(&format!("a \"{}\"", "{".repeat(40))), None);
        assert_eq!(too_deep(&format!("// {}\n", "{".repeat(40))), None);
    }
}
