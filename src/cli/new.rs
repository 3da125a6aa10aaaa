//! `mailform new LIBRARY --method …`: writes the new library's file (the pure part is
//! [`crate::skeleton`]) and prints what to ask the library for. Never overwrites a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use super::{CliError, EXIT_FAILED, human, print};
use crate::diagnostic::Diagnostic;
use crate::model::LibraryId;
use crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX;
use crate::skeleton::{self, Method};
use crate::source::SourceSet;

/// Exit code for a library id that cannot be one, as for other usage errors.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The new library's id: its file's stem (lower-case letters, digits and hyphens).
    pub library: String,
    /// How the library's mail leaves the platform (the setup document's three methods).
    #[arg(long, value_enum)]
    pub method: MethodArg,
    /// Directory of the library files.
    #[arg(long, default_value = "libraries", value_name = "DIR")]
    pub libraries: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Method 1: the library's domain verified in SES with Easy DKIM (preferred).
    SesDomain,
    /// Method 2: the library's own SMTP account.
    SmtpAccount,
    /// Method 3: a sending-only domain mailform buys and runs.
    ManagedDomain,
}

pub(super) fn run(a: NewArgs, color: bool) -> Result<ExitCode, CliError> {
    let id = match LibraryId::parse(&a.library) {
        Ok(id) => id,
        Err(why) => {
            let d = Diagnostic::error(
                "new::invalid-id",
                format!("`{}` cannot be a library id: {why}", a.library),
            )
            .help("use the library's short name in lower case, e.g. `springfield-public`");
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(
                human::render(&SourceSet::default(), std::slice::from_ref(&d), color).as_bytes(),
            );
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let method = match a.method {
        MethodArg::SesDomain => Method::SesDomain,
        MethodArg::SmtpAccount => Method::SmtpAccount,
        MethodArg::ManagedDomain => Method::ManagedDomain,
    };
    let prefix = password_prefix(&a.libraries);
    let draft = skeleton::skeleton(&id, method, &prefix);
    let path = a.libraries.join(draft.file_name());
    std::fs::create_dir_all(&a.libraries).map_err(|source| CliError::Write {
        path: a.libraries.clone(),
        source,
    })?;
    match super::import::write_new(&path, &draft.render()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let d = Diagnostic::error(
                "new::exists",
                format!(
                    "{} exists; `mailform new` never overwrites a file",
                    path.display()
                ),
            )
            .help("edit that file, or choose another library id");
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(
                human::render(&SourceSet::default(), std::slice::from_ref(&d), color).as_bytes(),
            );
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Err(source) => return Err(CliError::Write { path, source }),
    }
    print(&skeleton::checklist(
        &id,
        method,
        &path.display().to_string(),
        &prefix,
    ));
    Ok(ExitCode::SUCCESS)
}

/// The platform's `smtp-password-env-prefix` when its file beside the libraries names a usable
/// one, else the default. A platform file that cannot be read changes nothing here: `validate`
/// reports it.
fn password_prefix(libraries: &Path) -> String {
    let platform = libraries.join("_platform.kdl");
    // A link is never followed (`validate` reports it).
    let is_link = platform
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    let prefix = (!is_link)
        .then(|| std::fs::read_to_string(&platform).ok())
        .flatten()
        .and_then(|text| text.parse::<kdl::KdlDocument>().ok())
        .and_then(|doc| {
            let platform = doc.get("platform")?;
            let prefix = platform.children()?.get_arg("smtp-password-env-prefix")?;
            prefix.as_string().map(str::to_string)
        });
    prefix
        .filter(|p| crate::source::is_env_name(p) && crate::secret::refused_env_prefix(p).is_none())
        .unwrap_or_else(|| DEFAULT_SMTP_PASSWORD_ENV_PREFIX.to_string())
}
