//! `mailform refresh`: read the live state of every library (or the targets) and write the
//! versioned snapshot that `plan` and `apply` read with `--live FILE`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use super::args::RefreshArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::live::meter::Meters;
use crate::live::snapshot;
use crate::render;

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

/// How often a read off a terminal prints its progress line: often enough that a CI log
/// never looks hung (an 11-minute nightly refresh prints some 20), rarely enough to stay short.
pub(super) const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// A read's progress. On a terminal: one line, rewritten as the refresh moves on. Elsewhere
/// (a CI log): a line of counts every `every` (see [`render::refresh`]), and only from the
/// first interval on, so a short read prints nothing more than before.
pub(super) struct Progress {
    on: bool,
    every: Duration,
}

impl Progress {
    pub(super) fn new(every: Duration) -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
            every,
        }
    }

    /// Runs `work`, printing `meters`' progress line every interval when stderr is not a
    /// terminal.
    pub(super) async fn around<F: Future>(&self, meters: &Meters, work: F) -> F::Output {
        if self.on {
            return work.await;
        }
        let start = tokio::time::Instant::now();
        let mut ticks = tokio::time::interval_at(start + self.every, self.every);
        // A stalled runtime prints one line when it wakes, not a burst of them.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(work);
        loop {
            tokio::select! {
                done = &mut work => return done,
                now = ticks.tick() => {
                    let line = render::refresh::line(&meters.reading(now), now - start);
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "{line}");
                    let _ = err.flush();
                }
            }
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
