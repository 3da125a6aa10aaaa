//! The README's main job, `mailform-sandbox demo`, run as a new user runs it: on the
//! repository's example libraries, plan → apply → plan, ending converged, then each SES
//! library's deliverability of the simulator mail the demo sends.

use std::process::Command;

use crate::support::cli::repo;

#[test]
fn the_main_job_plans_applies_and_ends_converged_on_the_example_libraries() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailform-sandbox"))
        .arg("demo")
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("run mailform-sandbox demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let headers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("==> ") || l.starts_with("    approved"))
        .map(|l| l.split(" --sandbox").next().unwrap_or(l))
        .collect();
    assert_eq!(
        headers,
        [
            "==> 1/3 what would change: mailform plan",
            "==> 2/3 make the changes: mailform apply --auto-approve --allow-purchase brockway-notices.example ogdenville-library-mail.example",
            "    approved purchases (sandbox domains, nothing is charged): brockway-notices.example, ogdenville-library-mail.example",
            "==> 3/3 nothing left to change: mailform plan --detailed-exitcode",
            "==> the onboarding status page: mailform status --out .mailform/status.html",
            "==> the notices the libraries' IT contacts would get: mailform notify --dry-run",
            "==> the SES events into the event store: mailform events drain",
            "==> each SES library's deliverability: mailform deliverability",
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete: 14 done, 0 skipped, 0 failed, 0 waiting for approval."),
        "{stdout}"
    );
    // The status page of the converged estate, where the demo says it is.
    assert!(
        stdout.contains("Open .mailform/status.html in a browser"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(repo().join(".mailform/status.html")).expect("the page");
    assert!(page.contains("Springfield Public Library"));
    // Last, the notices the estate would get, shown and not sent: the records to the method-1
    // libraries (the managed domains' registrations are still under way: nothing for them yet).
    let notices = stdout.rsplit("==> the notices").next().unwrap_or_default();
    assert!(
        notices.contains("Subject: Add 3 DNS records to springfield-library.example.org")
            && notices.contains("Subject: Add 3 DNS records to shelbyville.example.net")
            && notices.contains("Nothing was sent (--dry-run)."),
        "{stdout}"
    );
    // Last of all, each SES library's deliverability: the demo sent one message to each of
    // the simulator's success, bounce and complaint addresses from every library SES sends for,
    // and the drain moved their events into the store.
    let deliverability = stdout
        .rsplit("==> each SES library's deliverability")
        .next()
        .unwrap_or_default();
    let libraries: Vec<&str> = deliverability
        .lines()
        .filter(|l| l.ends_with("): at-risk-of-pause"))
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        libraries,
        [
            "brockway",
            "ogdenville",
            "shelbyville",
            "springfield-public"
        ],
        "{stdout}"
    );
    let month =
        "  30d          3         2     1     0          1       0      0   33.33%     33.33%";
    assert_eq!(
        deliverability.lines().filter(|l| *l == month).count(),
        4,
        "{stdout}"
    );
    // Each library's mail went through its own tenant, so each has its own suppression list:
    // the bounce and the complaint address, nobody else's.
    for library in &libraries {
        let block = deliverability
            .split(&format!(
                "suppression list (tenant {library}): 2 recipients\n"
            ))
            .nth(1)
            .unwrap_or_else(|| panic!("{library}'s own list: {stdout}"));
        let entries: Vec<&str> = block.lines().take(2).map(str::trim).collect();
        assert!(
            entries[0].starts_with("BOUNCE ")
                && entries[0].ends_with(" bounce@simulator.amazonses.com")
                && entries[1].starts_with("COMPLAINT ")
                && entries[1].ends_with(" complaint@simulator.amazonses.com"),
            "{library}: {entries:?}"
        );
    }
    assert!(
        stdout.contains("drained 28 messages holding 28 event records into mailform-events"),
        "{stdout}"
    );
    let last_plan = stdout.rsplit("==> 3/3").next().unwrap_or_default();
    let last_plan = last_plan
        .split("==> the onboarding status page")
        .next()
        .unwrap_or_default();
    assert!(
        last_plan.contains("Plan: 0 to create, 0 to change, 0 to replace, 0 to destroy."),
        "{stdout}"
    );
    // The method-1 libraries' providers answer (with nothing installed), so the last plan
    // hands over the records to install rather than a lookup failure.
    assert!(
        last_plan.contains("dns::missing  3 of the 3 DKIM records are not installed")
            && !last_plan.contains("dns::lookup-failed"),
        "{last_plan}"
    );
    assert!(
        stdout.contains(
            "\nConverged: the last plan has no changes; what remains waits on the libraries.\n"
        ),
        "{stdout}"
    );
}

/// The command the test above runs is the one the README gives a new user and CI runs last.
#[test]
fn the_readme_and_ci_run_that_same_command() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let ci = std::fs::read_to_string(repo().join(".ci/run")).expect(".ci/run");
    let main_job = |text: &str, marker: &str| {
        text.lines()
            .skip_while(|l| !l.contains(marker))
            .find(|l| l.starts_with("cargo run"))
            .map(str::to_string)
    };
    assert_eq!(
        main_job(&readme, "# The main job").as_deref(),
        Some("cargo run --release --features sandbox --bin mailform-sandbox -- demo")
    );
    // CI builds it in debug with the tests' feature set (a superset: `sandbox` and the
    // contract tests' flag), so it reuses their build instead of compiling the crate again.
    assert_eq!(
        main_job(&ci, "step \"the README's main job\"").as_deref(),
        Some("cargo run --locked --all-features --bin mailform-sandbox -- demo")
    );
}
