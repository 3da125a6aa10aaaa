//! `mailform refresh`: read the live state of every library (or the targets) and write the
//! versioned snapshot that `plan` and `apply` read with `--live FILE`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use super::args::RefreshArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::live::snapshot;

pub(super) fn run(a: RefreshArgs, color: bool) -> Result<ExitCode, CliError> {
    let Some(config) = world::load_config(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let snapshot = world::live_snapshot(&a.live, &config)?;
    match &a.out {
        Some(path) => {
            snapshot::write(path, &snapshot)?;
            eprintln!(
                "wrote {}: {} libraries, {} SES identities, {} hosted zones, {} registered domains",
                path.display(),
                snapshot.libraries.len(),
                snapshot.ses.identities.len(),
                snapshot.route53.hosted_zones.len(),
                snapshot.registrar.domains.len()
            );
        }
        None => print(&snapshot::to_json(&snapshot)),
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// One line on a terminal, rewritten as the refresh moves on; nothing elsewhere.
pub(super) struct Progress {
    on: bool,
}

impl Progress {
    pub(super) fn new() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
        }
    }

    pub(super) fn show(&self, what: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[Kreading {what}…");
            let _ = err.flush();
        }
    }

    pub(super) fn clear(&self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
