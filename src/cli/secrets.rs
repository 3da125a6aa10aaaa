//! `mailform secrets`: which SMTP password variable each library needs, and whether a job that
//! runs a pull request's files may be given it.
//!
//! The workflows export a password into a job only when mailform says so, never by reading the
//! files themselves (a `grep` misses a comment between `password` and `env=`, and a listing
//! misses a symbolic link). A library's variable is derived from its id (see
//! [`crate::secret::library_password_env`]), so the only question left is whether the server
//! its file names is the one the base branch approved: with `--base`, a password is exported
//! only for a library whose file, as parsed and lowered, is the same in both trees. Comments,
//! layout and the file's path do not count; any change to what the file says does. A changed
//! platform file (the prefix, the relay) withholds everything, and so does a base tree that
//! does not validate. A library file that is not a regular file (a symbolic link) is withheld
//! whatever it holds: what it points at is not what the pull request's diff shows.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;

use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::config::{self, AnalyzeOptions};
use crate::model::{Config, DeliveryMethod, Library, SecretRef};
use crate::schema::PLATFORM_STEM;

#[derive(Debug, clap::Args)]
pub struct SecretsArgs {
    /// Directory of the library files (a pull request's tree in the plan workflow).
    #[arg(long, default_value = "libraries", value_name = "DIR")]
    pub libraries: PathBuf,
    /// The base branch's library files: a password is exported only for a library whose file
    /// says the same in both trees (compared as parsed, not as text or paths).
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = SecretsFormat::Text)]
    pub format: SecretsFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SecretsFormat {
    /// One line per variable.
    Text,
    /// Versioned JSON (schemas/secrets.schema.json).
    Json,
}

/// The output of `mailform secrets --format json`, version 1.
#[derive(Debug, Serialize)]
struct Report {
    version: u32,
    /// Whether a base tree was given to compare with.
    compared_with_base: bool,
    /// The platform file is the same as the base's (always true without a base).
    platform_unchanged: bool,
    variables: Vec<Variable>,
}

#[derive(Debug, Serialize)]
struct Variable {
    /// The environment variable.
    variable: String,
    /// `library` (an `smtp-account`'s password) or `relay` (the platform's notice relay).
    used_by: UsedBy,
    /// The library's id; absent for the relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    library: Option<String>,
    /// Whether a job may be given the password.
    export: bool,
    /// Why (stable words, see the schema).
    reason: Reason,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "kebab-case")]
enum UsedBy {
    Library,
    Relay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Reason {
    /// No base to compare with: the tree is the approved one (main).
    NoBase,
    /// The file says the same as the base's.
    Unchanged,
    /// The library is not in the base tree.
    New,
    /// The file says something else than the base's.
    Changed,
    /// The platform file says something else than the base's.
    PlatformChanged,
    /// The file (or the directory) is a symbolic link or not a regular file.
    NotARegularFile,
    /// The base tree does not validate, so nothing can be compared with it.
    BaseInvalid,
}

impl Reason {
    fn exports(self) -> bool {
        matches!(self, Reason::NoBase | Reason::Unchanged)
    }

    fn says(self) -> &'static str {
        match self {
            Reason::NoBase => "export",
            Reason::Unchanged => "export: its file is unchanged since the base",
            Reason::New => "withheld: a new library",
            Reason::Changed => "withheld: its file changed",
            Reason::PlatformChanged => "withheld: the platform file changed",
            Reason::NotARegularFile => "withheld: its file is not a regular file",
            Reason::BaseInvalid => "withheld: the base's files do not validate",
        }
    }
}

pub(super) fn run(a: SecretsArgs, color: bool) -> Result<ExitCode, CliError> {
    let today = today(None)?;
    // The tree whose files the jobs run: it must validate, as `plan` would require.
    let Some(config) = world::load_config_to_act(&a.libraries, today, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let report = report(&a, &config, today);
    match a.format {
        SecretsFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report).expect("serialisable");
            text.push('\n');
            print(&text);
        }
        SecretsFormat::Text => {
            let mut out = std::io::stdout().lock();
            if report.variables.is_empty() {
                let _ = writeln!(out, "no SMTP password variable is used");
            }
            for v in &report.variables {
                let who = v.library.as_deref().unwrap_or("(the notice relay)");
                let _ = writeln!(out, "{}  {who}  {}", v.variable, v.reason.says());
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn report(a: &SecretsArgs, config: &Config, today: crate::model::Date) -> Report {
    let odd = odd_entries(&a.libraries);
    let base = a.base.as_deref().map(|dir| quiet_load(dir, today));
    let platform_reason = match &base {
        None => Reason::NoBase,
        Some(None) => Reason::BaseInvalid,
        Some(Some(_)) if odd.whole_tree || odd.stems.contains(PLATFORM_STEM) => {
            Reason::NotARegularFile
        }
        Some(Some(base)) if base.platform == config.platform => Reason::Unchanged,
        Some(Some(_)) => Reason::PlatformChanged,
    };
    let base_libraries: BTreeMap<&str, &Library> = match &base {
        Some(Some(base)) => base.libraries.iter().map(|l| (l.id.as_str(), l)).collect(),
        _ => BTreeMap::new(),
    };
    let mut variables = Vec::new();
    for library in &config.libraries {
        let DeliveryMethod::SmtpAccount(account) = &library.method else {
            continue;
        };
        let SecretRef::Env(env) = &account.password;
        let id = library.id.as_str();
        let reason = if odd.whole_tree || odd.stems.contains(id) {
            // Even without a base: a link's target is not what a review sees.
            Reason::NotARegularFile
        } else if !platform_reason.exports() {
            platform_reason
        } else if base.is_none() {
            Reason::NoBase
        } else {
            match base_libraries.get(id) {
                None => Reason::New,
                Some(was) if *was == library => Reason::Unchanged,
                Some(_) => Reason::Changed,
            }
        };
        variables.push(Variable {
            variable: env.to_string(),
            used_by: UsedBy::Library,
            library: Some(id.to_string()),
            export: reason.exports(),
            reason,
        });
    }
    if let Some(notices) = &config.platform.notices {
        variables.push(Variable {
            variable: notices.relay.password.to_string(),
            used_by: UsedBy::Relay,
            library: None,
            export: platform_reason.exports(),
            reason: platform_reason,
        });
    }
    Report {
        version: 1,
        compared_with_base: base.is_some(),
        platform_unchanged: platform_reason.exports(),
        variables,
    }
}

/// The base tree's model, or `None` when it does not validate (nothing is printed: the base
/// is not what this run checks).
fn quiet_load(dir: &Path, today: crate::model::Date) -> Option<Config> {
    let (mut sources, diagnostics) = config::read_sources(&[dir.to_path_buf()]);
    let analysis = config::analyze(&mut sources, &AnalyzeOptions { today });
    let clean = !diagnostics
        .iter()
        .chain(&analysis.diagnostics)
        .any(|d| d.is_error());
    analysis.config.filter(|_| clean)
}

/// The entries of a libraries directory that are not what a review of the pull request's diff
/// shows: symbolic links and anything else that is not a regular file.
#[derive(Debug, Default)]
struct OddEntries {
    /// The directory itself is a link, or cannot be listed: every library is odd.
    whole_tree: bool,
    /// Stems (library ids, `_platform`) of odd `*.kdl` entries.
    stems: std::collections::BTreeSet<String>,
}

fn odd_entries(dir: &Path) -> OddEntries {
    let mut odd = OddEntries::default();
    let dir_is_plain = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let Ok(entries) = std::fs::read_dir(dir)
        .map_err(|_| ())
        .and_then(|e| if dir_is_plain { Ok(e) } else { Err(()) })
    else {
        odd.whole_tree = true;
        return odd;
    };
    for entry in entries {
        let Ok(entry) = entry else {
            odd.whole_tree = true;
            continue;
        };
        let path = entry.path();
        let is_kdl = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("kdl"));
        let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if is_kdl
            && !regular
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            odd.stems.insert(stem.to_string());
        }
    }
    odd
}
