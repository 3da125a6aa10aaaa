//! `mailform plan`: the reviewable difference between the library files and the live setup.

use std::collections::BTreeMap;
use std::process::ExitCode;

use super::args::{PlanArgs, PlanFormat, ShowArgs};
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::config;
use crate::plan::Plan;
use crate::plan::planner::{self, PlanOptions};
use crate::plan::saved::{self, PLAN_FILE_VERSION, PlanFile};
use crate::render::plan::{
    GITHUB_COMMENT_LIMIT, MarkdownOptions, Style, to_json, to_markdown_with, to_text,
};

/// `--detailed-exitcode`: changes are present.
pub const EXIT_CHANGES: u8 = 2;
/// `--detailed-exitcode`: no changes, but a library is failing: something broken, about to
/// break, or late (the drift check reports it).
pub const EXIT_FAILING: u8 = 3;
/// `--detailed-exitcode`: no changes, and libraries only wait on someone, on schedule.
pub const EXIT_WAITING: u8 = 4;

pub(super) fn run(a: PlanArgs, color: bool) -> Result<ExitCode, CliError> {
    let today = today(a.today.as_deref())?;
    let focus = a.focus.libraries()?;
    let Some(config) = world::load_config_to_act(&a.live.libraries, today, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let live = world::live_snapshot(&a.live, &config)?;
    let today = world::today_for(&a.live, &live, a.today.as_deref(), today);
    if let Some(path) = &a.save_live {
        crate::live::snapshot::write(path, &live)?;
    }
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
        eprintln!(
            "note: a partial plan: only {} {} read and planned; other libraries' changes, \
             deletions and unmanaged resources are not shown",
            a.live.targets.join(", "),
            if a.live.targets.len() == 1 {
                "was"
            } else {
                "were"
            }
        );
    }

    render(&plan, a.format, &focus, color);
    if let Some(path) = &a.out {
        let files = file_hashes(&a.live.libraries);
        let file = PlanFile {
            version: PLAN_FILE_VERSION,
            live_taken_at: live.taken_at.clone(),
            targets: (!a.live.targets.is_empty()).then(|| a.live.targets.clone()),
            depends: saved::dependencies(&config, &plan, &files),
            files,
            facts: saved::fingerprints(&live),
            plan: plan.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        super::write_atomically(path, &text)?;
        eprintln!(
            "saved the plan to {}; apply it with `mailform apply {}`",
            path.display(),
            path.display()
        );
    }

    let code = if !a.detailed_exitcode {
        EXIT_OK
    } else if plan.has_changes() {
        EXIT_CHANGES
    } else if plan.totals().failing > 0 || plan.platform_failing() {
        EXIT_FAILING
    } else if plan.totals().attention > 0 {
        EXIT_WAITING
    } else {
        EXIT_OK
    };
    Ok(ExitCode::from(code))
}

/// Prints a plan in the chosen format; Markdown puts the `focus` libraries first.
pub(super) fn render(plan: &Plan, format: PlanFormat, focus: &[String], color: bool) {
    match format {
        PlanFormat::Text => print(&to_text(plan, Style { color })),
        PlanFormat::Markdown => print(&to_markdown_with(
            plan,
            &MarkdownOptions {
                limit: GITHUB_COMMENT_LIMIT,
                focus,
            },
        )),
        PlanFormat::Json => print(&to_json(plan)),
    }
}

/// `mailform show PLANFILE`: a saved plan, rendered as `plan` would have printed it.
pub(super) fn show(a: ShowArgs, color: bool) -> Result<ExitCode, CliError> {
    let focus = a.focus.libraries()?;
    let file = read_plan_file(&a.planfile)?;
    render(&file.plan, a.format, &focus, color);
    Ok(ExitCode::from(EXIT_OK))
}

/// A plan file saved by `plan --out`, of the version this mailform reads.
pub(super) fn read_plan_file(path: &std::path::Path) -> Result<PlanFile, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read the plan {}: {e}", path.display())))?;
    let file: PlanFile = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{} is not a plan saved by `mailform plan --out`: {e}",
            path.display()
        ))
    })?;
    if file.version != PLAN_FILE_VERSION {
        return Err(CliError::Usage(format!(
            "{} is a plan file of version {}, this mailform reads version {PLAN_FILE_VERSION}; plan again",
            path.display(),
            file.version
        )));
    }
    Ok(file)
}

/// SHA-256 of every library file, by path, for the saved plan's staleness check.
pub(super) fn file_hashes(libraries: &std::path::Path) -> BTreeMap<String, String> {
    let (sources, _) = config::read_sources(&[libraries.to_path_buf()]);
    sources
        .iter()
        .map(|(_, f)| {
            (
                f.path.display().to_string(),
                saved::sha256(f.text().as_bytes()),
            )
        })
        .collect()
}
