//! `mailform import`: reads SES identities, registered domains and hosted zones and writes one
//! library file per library it can attribute (the pure part is [`crate::import`]). Never
//! overwrites a file: each is written under a private name, then linked to its own name, which
//! fails when that name exists.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::draft::{Draft, Value};
use crate::import::{self, Estate};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Write the library files here [default: the --libraries directory]. Existing files are
    /// never overwritten.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub(super) fn run(a: ImportArgs, color: bool) -> Result<ExitCode, CliError> {
    if !a.live.targets.is_empty() {
        return Err(CliError::Usage(
            "import reads every live resource; --target does not apply to it".into(),
        ));
    }
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let live = world::live_snapshot(&a.live, &config)?;
    if let Some(targets) = &live.targets {
        return Err(CliError::Usage(format!(
            "the live snapshot was read for some libraries only (--target {}); import needs one read in full (`mailform refresh --out FILE` without --target)",
            targets.join(" ")
        )));
    }
    let result = import::import(&Estate::from(&live), &config);
    let out_dir = a.out.unwrap_or_else(|| a.live.libraries.clone());
    std::fs::create_dir_all(&out_dir).map_err(|source| CliError::Write {
        path: out_dir.clone(),
        source,
    })?;

    let mut report = String::new();
    let (mut written, mut refused, mut failed) = (0usize, 0usize, 0usize);
    for draft in &result.drafts {
        let path = out_dir.join(draft.file_name());
        let what = summary(draft);
        match write_new(&path, &draft.render()) {
            Ok(()) => {
                written += 1;
                report.push_str(&format!("wrote {}: {what}\n", path.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                refused += 1;
                report.push_str(&format!(
                    "refused {}: the file exists; import never overwrites one (move it away, or pass --out DIR)\n",
                    path.display()
                ));
            }
            Err(e) => {
                failed += 1;
                report.push_str(&format!("failed {}: {e}\n", path.display()));
            }
        }
    }
    for s in &result.skipped {
        report.push_str(&format!("left {} {}: {}\n", s.kind, s.name, s.why));
    }
    report.push_str(&format!(
        "Import: {written} written, {refused} refused (exist already), {failed} failed, {} left.\n",
        result.skipped.len()
    ));
    if written > 0 {
        report.push_str(
            "Next: write the library's answers in place of each placeholder (`grep -rn 'TODO(operator)'` lists them: the IT contact and the outgoing address; live state cannot know them, and `plan`, `apply` and `notify` refuse to run while one is left) and check each `// CHECK:` comment; then `mailform validate` and `mailform plan`, which shows the adoption tags as the only changes.\n",
        );
        report.push_str(
            "Before the first `mailform notify`, run `mailform notify --record-only`: the imported libraries were set up before, and the notices that look due to them (records, verified, launch) were told by hand or are long over; it records them as sent without sending any.\n",
        );
    }
    print(&report);
    let ok = refused == 0 && failed == 0;
    Ok(ExitCode::from(if ok { EXIT_OK } else { EXIT_FAILED }))
}

/// `ses-domain example.org, adopt #true`: the method, the domain, and whether it adopts.
fn summary(draft: &Draft) -> String {
    let text = |name: &str| {
        draft.method_fields.iter().find_map(|f| match &f.value {
            Value::Text(s) if f.name == name => Some(s.as_str()),
            _ => None,
        })
    };
    // `from` is a placeholder on the domain (`noreply@DOMAIN.invalid`): name the domain.
    let domain = text("domain")
        .or_else(|| text("from").and_then(|from| from.rsplit_once('@').map(|(_, d)| d)))
        .map(|d| d.strip_suffix(".invalid").unwrap_or(d))
        .unwrap_or_default();
    let adopts = draft.method_fields.iter().any(|f| f.name == "adopt");
    format!(
        "{} {domain}{}",
        draft.method,
        if adopts { ", adopt #true" } else { "" }
    )
}

/// Writes `text` to `path` only if no file of that name exists, and only whole: under a
/// private name first (synced), then hard-linked to `path`, which never replaces a file.
pub(super) fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if path.symlink_metadata().is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mailform-import-{}", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_replaces_a_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.kdl");
        write_new(&path, "first\n").unwrap();
        let again = write_new(&path, "second\n").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.kdl"]);
    }
}
