//! The command line: arguments, the commands' glue, and terminal rendering.
//!
//! Each command reads its inputs, calls the pure core (`config`, `format`, `schema`), hands the
//! results to a renderer and returns the exit code. Only `main.rs` exits.

mod apply;
mod args;
mod at_risk;
mod costs;
mod deliverability;
mod events;
mod human;
mod import;
mod new;
mod notices;
mod notify;
mod plan;
mod probe;
mod records;
mod refresh;
mod secrets;
mod status;
mod world;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use args::{Args, Command};
use args::{ColorChoice, DiagnosticFormat, FmtArgs, SchemaArgs, SchemaKind, ValidateArgs};
pub use plan::{EXIT_CHANGES, EXIT_FAILING, EXIT_WAITING};

use crate::config::{self, AnalyzeOptions};
use crate::diagnostic::{Diagnostic, Tally};
use crate::model::Date;
use crate::render::diagnostics as render;
use crate::schema::{self, FileKind};
use crate::source::SourceSet;

/// Exit code for a clean run.
pub const EXIT_OK: u8 = 0;
/// Exit code when the inputs have errors (or warnings under `--deny-warnings`), or `fmt
/// --check` finds a file that is not canonical.
pub const EXIT_FAILED: u8 = 1;

/// A failure of the tool itself rather than of the inputs.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` is not a date of the form YYYY-MM-DD")]
    BadDate(String),
    #[error("{0}")]
    Usage(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Live(#[from] crate::live::ReadError),
    #[error(transparent)]
    Snapshot(#[from] crate::live::snapshot::SnapshotError),
    #[error(transparent)]
    Records(#[from] crate::render::records::RecordsError),
}

/// Runs one command and returns its exit code.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let color = args.color.resolve();
    match args.command {
        Command::Validate(a) => validate(a, color),
        Command::Fmt(a) => fmt(a, color),
        Command::Probe(a) => probe::run(a, color),
        Command::Schema(a) => Ok(print_schema(a)),
        Command::Refresh(a) => refresh::run(a, color),
        Command::Plan(a) => plan::run(a, color),
        Command::Records(a) => records::run(a, color),
        Command::Costs(a) => costs::run(a, color),
        Command::Apply(a) => apply::run(a, color),
        Command::Show(a) => plan::show(a, color),
        Command::Notices(a) => notices::run(a, color),
        Command::Events(a) => events::run(a, color),
        Command::Deliverability(a) => deliverability::run(a, color),
        Command::Notify(a) => notify::run(a, color),
        Command::Status(a) => status::run(a, color),
        Command::Import(a) => import::run(a, color),
        Command::New(a) => new::run(a, color),
        Command::Secrets(a) => secrets::run(a, color),
    }
}

pub(crate) fn today(given: Option<&str>) -> Result<Date, CliError> {
    match given {
        Some(s) => Date::parse(s).map_err(|_| CliError::BadDate(s.to_string())),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(Date::from_days_since_epoch((secs / 86_400) as i64))
        }
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("libraries")]
    } else {
        paths
    }
}

fn validate(a: ValidateArgs, color: bool) -> Result<ExitCode, CliError> {
    let today = today(a.today.as_deref())?;
    let (mut sources, mut diagnostics) = config::read_sources(&default_paths(a.paths));
    let analysis = config::analyze(&mut sources, &AnalyzeOptions { today });
    diagnostics.extend(analysis.diagnostics);
    let tally = Tally::of(&diagnostics);

    match a.format {
        DiagnosticFormat::Human => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(human::render(&sources, &diagnostics, color).as_bytes());
            let _ = writeln!(err, "{}", summary(&sources, tally));
        }
        DiagnosticFormat::Json => print(&render::to_json(&sources, &diagnostics)),
        DiagnosticFormat::Github => print(&render::to_github(&sources, &diagnostics)),
    }
    let failed = tally.errors > 0 || (a.deny_warnings && tally.warnings > 0);
    Ok(ExitCode::from(if failed { EXIT_FAILED } else { EXIT_OK }))
}

fn summary(sources: &SourceSet, tally: Tally) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}: {}, {}",
        plural(sources.len(), "file"),
        plural(tally.errors, "error"),
        plural(tally.warnings, "warning")
    )
}

/// Writes a rendering to stdout, the last guard against a string from outside that a renderer
/// did not make visible: no control character but a line break, a tab or mailform's own
/// colours reaches the terminal ([`crate::text::visible_lines`]).
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(crate::text::visible_lines(text).as_bytes());
}

/// Formats the files `validate` accepts. A file with any error of its own (a value the schema
/// refuses, a literal secret, a syntax error) is reported and left untouched: formatting it
/// could turn a refused value into an accepted one (`0x0F` into `15.00`) or move a pasted
/// secret where no mask expects it.
fn fmt(a: FmtArgs, color: bool) -> Result<ExitCode, CliError> {
    let (mut sources, mut diagnostics) = config::read_sources(&default_paths(a.paths));
    let analysis = config::analyze(
        &mut sources,
        &AnalyzeOptions {
            today: today(None)?,
        },
    );
    // Problems of the whole set (no platform file) say nothing against a file's layout.
    let errors: Vec<Diagnostic> = analysis
        .diagnostics
        .into_iter()
        .filter(|d| d.is_error() && d.location.is_some())
        .collect();
    let refused: std::collections::BTreeSet<_> = errors
        .iter()
        .filter_map(|d| d.location.as_ref().map(|l| l.file))
        .collect();
    diagnostics.extend(errors);
    let mut unformatted = 0usize;
    let mut diff_out = String::new();
    for (id, file) in sources.iter() {
        if !file.is_complete() || refused.contains(&id) {
            continue;
        }
        let Some(formatted) = crate::format::format_source(id, file, &mut diagnostics) else {
            continue;
        };
        if formatted == file.text() {
            continue;
        }
        unformatted += 1;
        if a.check {
            diff_out.push_str(&unified_diff(
                &file.path,
                file.display_text(),
                &mask_like(file, &formatted),
            ));
        } else {
            write_atomically(&file.path, &formatted)?;
            eprintln!(
                "formatted {}",
                render::visible(&file.path.display().to_string())
            );
        }
    }
    // The diff shows the files' lines, and `fmt --check` runs in CI on trees nobody vetted.
    print(&render::defuse_log_text(&diff_out));
    config::cap_per_file(&mut diagnostics);
    sources.redact(&mut diagnostics);
    let tally = Tally::of(&diagnostics);
    if !diagnostics.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(human::render(&sources, &diagnostics, color).as_bytes());
        let _ = writeln!(
            err,
            "files with errors are left as they are; `mailform validate` explains each"
        );
    }
    if a.check && unformatted > 0 {
        eprintln!(
            "{unformatted} file{} not in canonical form; run `mailform fmt` to fix",
            if unformatted == 1 { " is" } else { "s are" }
        );
    }
    let failed = tally.errors > 0 || (a.check && unformatted > 0);
    Ok(ExitCode::from(if failed { EXIT_FAILED } else { EXIT_OK }))
}

/// The formatted text with the same secret masking as the file's display copy, so a diff
/// never shows a literal password either.
fn mask_like(file: &crate::source::SourceFile, formatted: &str) -> String {
    let masked = crate::source::SourceFile::new(file.path.clone(), formatted.to_string());
    file.hide_masked_in(masked.display_text())
}

/// At most this many lines of one file's diff are printed, and this many bytes.
const MAX_DIFF_LINES: usize = 200;
const MAX_DIFF_BYTES: usize = 64 * 1024;

/// A unified diff of one file, cut after [`MAX_DIFF_LINES`] lines or [`MAX_DIFF_BYTES`] bytes
/// (a long line is cut too), so a huge file cannot flood a CI log.
fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = render::visible(&path.display().to_string()).into_owned();
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(1))
        .diff_lines(old, new);
    let full = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    let mut out = String::new();
    let mut lines = full.split_inclusive('\n');
    for (n, line) in lines.by_ref().enumerate() {
        if out.len() + line.len().min(MAX_LINE_BYTES) > MAX_DIFF_BYTES || n >= MAX_DIFF_LINES {
            let more = 1 + lines.count();
            out.push_str(&format!(
                "… diff cut: {more} more line{} of {name}; run `mailform fmt` locally to see \
                 the change\n",
                if more == 1 { "" } else { "s" }
            ));
            break;
        }
        if line.len() > MAX_LINE_BYTES {
            let mut end = MAX_LINE_BYTES;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&line[..end]);
            out.push_str(" … (line cut)\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

/// A diff line longer than this is cut.
const MAX_LINE_BYTES: usize = 400;

/// Writes beside the target and renames over it, so a crash never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> Result<(), CliError> {
    let wrap = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mailform-tmp"));
    std::fs::write(&tmp, text).map_err(wrap)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        wrap(e)
    })
}

fn print_schema(a: SchemaArgs) -> ExitCode {
    let text = match a.kind {
        SchemaKind::Library => schema::schema_document(FileKind::Library),
        SchemaKind::Platform => schema::schema_document(FileKind::Platform),
        SchemaKind::Reference => schema::reference_markdown(),
    };
    print(&text);
    ExitCode::from(EXIT_OK)
}

/// Renders a tool failure (not an input problem) for `main`.
pub fn render_error(error: &CliError) -> String {
    let d = Diagnostic::error("mailform::error", error.to_string());
    human::render(
        &SourceSet::default(),
        std::slice::from_ref(&d),
        ColorChoice::Auto.resolve(),
    )
}
