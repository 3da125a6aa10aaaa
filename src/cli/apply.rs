//! `mailform apply`: makes a plan's changes. Without PLANFILE it plans now, shows the plan and
//! asks for `yes` (or `--auto-approve` when stdin is no terminal); with PLANFILE it re-reads
//! the library files and the live facts and refuses a plan whose inputs changed since.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::args::ApplyArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::apply::guard::{self, Permissions};
use crate::apply::{self, ApplyOptions, Outcome, Services, Step};
use crate::live::account::AwsAccount;
use crate::live::aws;
use crate::live::registrar::AwsRegistrar;
use crate::live::route53::AwsRoute53;
use crate::live::ses::AwsSes;
use crate::model::{Config, LibraryId};
use crate::plan::Plan;
use crate::plan::planner::{self, PlanOptions};
use crate::plan::saved;
use crate::render::plan::{Style, to_text};
use crate::render::progress::Progress;
use crate::secret::Secret;
use crate::text::visible;

pub(super) fn run(a: ApplyArgs, color: bool) -> Result<ExitCode, CliError> {
    let today = today(a.today.as_deref())?;
    let Some(config) = world::load_config_to_act(&a.live.libraries, today, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    if a.live.live.is_some() {
        return Err(CliError::Usage(
            "apply changes the live services and cannot work from a snapshot file; drop --live"
                .into(),
        ));
    }
    if let Some(typo) = guard::unknown_purchases(&config, &a.allow_purchase) {
        return Err(CliError::Usage(typo));
    }
    let world = world::World::open(&a.live, &config)?;
    let plan = match &a.planfile {
        Some(path) => match saved_plan(&a, &config, &world, path)? {
            Some(plan) => plan,
            None => return Ok(ExitCode::from(EXIT_FAILED)),
        },
        None => {
            let targets = world::targets(&config, &a.live)?;
            let live = world.read(&config, &a.live, targets)?;
            let today = world::today_for(&a.live, &live, a.today.as_deref(), today);
            let mut plan = planner::plan(
                &config,
                &live,
                &PlanOptions {
                    today,
                    handover_grace: a.handover_grace,
                },
            );
            if !a.live.targets.is_empty() {
                plan.libraries
                    .retain(|l| a.live.targets.contains(&l.library));
                plan.unmanaged.clear();
            }
            print(&to_text(&plan, Style { color }));
            plan
        }
    };
    if !plan.has_changes() {
        if plan.libraries.iter().all(|l| l.blocked.is_empty()) {
            println!("No changes: nothing to apply.");
        } else {
            println!("Nothing to apply: every change the plan wants is blocked (see above).");
        }
        return Ok(ExitCode::from(EXIT_OK));
    }
    let permissions = Permissions {
        purchases: &a.allow_purchase,
        destroy: a.allow_destroy,
        max_destroy: a.max_destroy,
        force_destroy: a.force_destroy,
        handovers: !a.hold_handovers,
    };
    // What lacks its approval waits; everything else goes ahead.
    if let Some(waiting) = guard::refusal(&plan, &permissions) {
        eprintln!(
            "{}",
            waiting.replacen("refusing to apply", "not in this apply", 1)
        );
    }
    // A saved plan was reviewed when it was made, as with Terraform; a fresh one is confirmed.
    if a.planfile.is_none() && !a.auto_approve && !confirmed()? {
        eprintln!("apply cancelled: nothing was changed");
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    execute(&config, &plan, &world, &permissions, &a.secrets_dir)
}

/// The saved plan, if it still describes the world; otherwise prints why not and returns `None`.
fn saved_plan(
    a: &ApplyArgs,
    config: &Config,
    world: &world::World,
    path: &Path,
) -> Result<Option<Plan>, CliError> {
    let file = super::plan::read_plan_file(path)?;
    let targets = match &file.targets {
        None => None,
        Some(ids) => Some(
            ids.iter()
                .map(|id| {
                    config
                        .libraries
                        .iter()
                        .find(|l| l.id.as_str() == id)
                        .map(|l| l.id.clone())
                        .ok_or_else(|| {
                            CliError::Usage(format!(
                                "the plan targets library `{id}`, which the library files no longer have; plan again"
                            ))
                        })
                })
                .collect::<Result<Vec<LibraryId>, _>>()?,
        ),
    };
    let live = world.read(config, &a.live, targets)?;
    let files_now = super::plan::file_hashes(&a.live.libraries);
    let stale = file.staleness(&files_now, &saved::fingerprints(&live));
    if !stale.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "refusing the plan {}: it no longer describes the world; make a new one with `mailform plan --out`",
            path.display()
        );
        for line in stale {
            let _ = writeln!(err, "  {line}");
        }
        return Ok(None);
    }
    Ok(Some(file.plan))
}

/// Asks on the terminal; without one, `--auto-approve` is required.
fn confirmed() -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "stdin is not a terminal, so apply cannot ask; review the plan and pass --auto-approve, or apply a saved plan"
                .into(),
        ));
    }
    print!("Do you want to perform these actions? Only 'yes' will be accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

fn show(step: &Step) {
    let line = match &step.outcome {
        Outcome::Done(calls) => format!("done ({})", calls.join(", ")),
        Outcome::Skipped(why) => format!("skipped: {why}"),
        Outcome::Failed(why) => format!("FAILED: {why}"),
        Outcome::Waiting(why) => format!("waiting: {why}"),
    };
    // The outcome quotes providers' answers: outside text.
    println!(
        "{}: {}: {}",
        step.library,
        visible(&step.change.to_string()),
        visible(&line)
    );
}

/// The live view on a terminal: finished steps as lines that stay, the running one redrawn in
/// place on stderr by a ticker. The text comes from [`Progress`]; this is only the terminal.
struct LiveView {
    state: Mutex<(Progress, Instant, usize)>,
    done: AtomicBool,
    width: usize,
}

impl LiveView {
    /// A view when both outputs are a terminal that can redraw a line, outside CI; plain
    /// lines otherwise (a log, a pipe, a CI job).
    fn wanted(total: usize) -> Option<LiveView> {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let ci = std::env::var_os("CI").is_some();
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        (terminal && !ci && !dumb).then(|| LiveView {
            state: Mutex::new((Progress::new(total), Instant::now(), 0)),
            done: AtomicBool::new(false),
            width: std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(80),
        })
    }

    fn draw(&self, above: Option<&str>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (progress, since, tick) = &mut *state;
        *tick += 1;
        let frame = progress.frame(*tick, since.elapsed(), self.width.saturating_sub(1));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        if let Some(line) = above {
            let _ = writeln!(err, "{line}");
        }
        let _ = write!(err, "{frame}");
        let _ = err.flush();
    }

    fn start(&self, library: &str, change: &str) {
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.0.start(library, change);
            state.1 = Instant::now();
        }
        self.draw(None);
    }

    fn finish(&self, step: &Step) {
        let line = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .finish(step);
        self.draw(Some(&line));
    }

    /// Redraws the running line ten times a second until the apply ends.
    fn tick(&self) {
        while !self.done.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            self.draw(None);
        }
    }
}

/// Writes a secret to a new file in `dir` that only the owner can read, and answers its path.
///
/// Never over another file: the name carries the time, the process and a counter, and the file
/// appears under it only complete (written to a private temporary name, synced, then hard-linked,
/// which fails rather than replace a file of that name). Two applies at once, or two secrets in
/// one second, get two files.
fn keep_secret(
    dir: &std::path::Path,
    domain: &str,
    what: &str,
    secret: &Secret,
) -> Result<String, String> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let pid = std::process::id();
    let partial = dir.join(format!(".{domain}.{what}.{stamp}.{pid}.partial"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let written = file
        .write_all(format!("{}\n", secret.expose()).as_bytes())
        .and_then(|()| file.sync_all());
    let result = written
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))
        .and_then(|()| {
            (0..1000)
                .map(|n| {
                    let name = match n {
                        0 => format!("{domain}.{what}.{stamp}"),
                        n => format!("{domain}.{what}.{stamp}.{n}"),
                    };
                    dir.join(name)
                })
                .find_map(|path| match std::fs::hard_link(&partial, &path) {
                    Ok(()) => Some(Ok(path)),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                    Err(e) => Some(Err(format!("cannot create {}: {e}", path.display()))),
                })
                .unwrap_or_else(|| Err(format!("no free file name in {}", dir.display())))
        });
    let _ = std::fs::remove_file(&partial);
    result.map(|path| path.display().to_string())
}

fn execute(
    config: &Config,
    plan: &Plan,
    world: &world::World,
    permissions: &Permissions,
    secrets_dir: &std::path::Path,
) -> Result<ExitCode, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let view = LiveView::wanted(apply::step_count(plan));
    let run = || {
        runtime.block_on(async {
            let sdk = aws::load_sdk_config(&world.aws).await;
            let services = Services {
                ses: AwsSes::new(&sdk, &world.aws),
                route53: AwsRoute53::new(&sdk, &world.aws),
                registrar: AwsRegistrar::new(&sdk, &world.aws),
                account: AwsAccount::new(&sdk, &world.aws),
            };
            let keep = |domain: &str, what: &str, secret: &Secret| {
                keep_secret(secrets_dir, domain, what, secret)
            };
            let start = |library: &str, change: &str| {
                if let Some(view) = &view {
                    view.start(library, change);
                }
            };
            let finish = |step: &Step| match &view {
                Some(view) => view.finish(step),
                None => show(step),
            };
            let now = || world.now();
            let opts = ApplyOptions {
                now: &now,
                permissions: *permissions,
                on_start: &start,
                on_step: &finish,
                keep_secret: &keep,
            };
            apply::apply(config, plan, &services, &opts).await
        })
    };
    let summary = match &view {
        None => run(),
        Some(view) => std::thread::scope(|scope| {
            scope.spawn(|| view.tick());
            let summary = run();
            view.done.store(true, Ordering::Relaxed);
            summary
        }),
    };
    println!(
        "Apply complete: {} done, {} skipped, {} failed, {} waiting for approval.",
        summary.done, summary.skipped, summary.failed, summary.waiting
    );
    if summary.failed_libraries.is_empty() {
        if summary.waiting > 0 {
            eprintln!(
                "some changes wait for approval (`--allow-purchase DOMAIN`, `--allow-destroy`); \
                 everything else was applied"
            );
            return Ok(ExitCode::from(super::plan::EXIT_WAITING));
        }
        Ok(ExitCode::from(EXIT_OK))
    } else {
        eprintln!(
            "libraries with failed steps: {}; fix the cause and run apply again (it re-reads and continues)",
            summary.failed_libraries.join(", ")
        );
        Ok(ExitCode::from(EXIT_FAILED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_secrets_kept_in_the_same_second_never_share_a_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let first = keep_secret(
            dir.path(),
            "example.org",
            "auth-code",
            &Secret::new("first-Secret-1"),
        )
        .unwrap();
        let second = keep_secret(
            dir.path(),
            "example.org",
            "auth-code",
            &Secret::new("second-Secret-2"),
        )
        .unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "first-Secret-1\n");
        assert_eq!(
            std::fs::read_to_string(&second).unwrap(),
            "second-Secret-2\n"
        );
        for path in [&first, &second] {
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{path}");
        }
        // Nothing half-written is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
    }
}
