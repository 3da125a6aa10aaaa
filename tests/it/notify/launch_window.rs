//! The launch warning and "late" agree on the day, through the binary against the sandbox: on
//! each boundary day (15, 14 and 13 days before the launch, the launch day, the day after) the
//! plan's readiness, the status page's urgency, `validate`'s launch-too-soon and whether
//! `notify` would send the launch notice all tell the same story.

use super::{create_table, platform_at, ses_library};
use crate::apply::{World, cli};
use crate::support::cli::Cli;

const LAUNCH: &str = "2026-12-15";

#[test]
fn the_launch_warning_and_late_turn_on_the_same_day() {
    let world = World::new();
    create_table(&world.sandbox, "launch-notices");
    world.sandbox.create_zone("springfield.example.org");
    let cli = cli()
        .file(
            "libraries/_platform.kdl",
            &platform_at(2525, "starttls", "launch-notices"),
        )
        .file(
            "libraries/springfield.kdl",
            &ses_library("springfield", Some(LAUNCH)),
        );
    // (today, days left, inside the notice period)
    let days = [
        ("2026-11-30", 15, false),
        ("2026-12-01", 14, false),
        ("2026-12-02", 13, true),
        ("2026-12-15", 0, true),
        ("2026-12-16", -1, false),
    ];
    for (today, left, inside) in days {
        let passed = left < 0;
        let plan = world.run_on(&cli, &["plan"], today);
        let readiness = plan
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("readiness:"))
            .unwrap_or_else(|| panic!("{today}: {}", plan.all()))
            .trim()
            .to_string();
        let expected = if passed {
            format!("readiness: not ready, and the launch on {LAUNCH} was 1 days ago")
        } else if inside {
            format!(
                "readiness: not ready, launch {LAUNCH} in {left} days, inside the 14-day notice period"
            )
        } else {
            format!("readiness: not ready yet, launch {LAUNCH} in {left} days")
        };
        assert_eq!(readiness, expected, "{today}");

        let status = world.run_on(&cli, &["status", "--format", "json"], today);
        assert_eq!(status.code, 0, "{today}: {}", status.all());
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        let row = &status["rows"][0];
        assert_eq!(row["days_left"], left, "{today}: {row}");
        let late = inside || passed;
        assert_eq!(
            row["urgency"],
            if late { "late" } else { "waiting" },
            "{today}: {row}"
        );

        let validate = Cli::reuse(
            &cli,
            vec!["validate".into(), "--today".into(), today.into()],
        )
        .run();
        assert_eq!(
            validate.all().contains("config::launch-too-soon"),
            inside,
            "{today}: {}",
            validate.all()
        );

        let notify = world.run_on(&cli, &["notify", "--dry-run"], today);
        assert_eq!(notify.code, 0, "{today}: {}", notify.all());
        assert_eq!(
            notify.stdout.contains("+ springfield/launch/"),
            inside,
            "the launch notice goes out on the days the plan calls it late, and only before the launch: {today}: {}",
            notify.stdout
        );
    }
}
