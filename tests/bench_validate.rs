//! Benchmark: validate 1,000 library files (mixed methods) as `mailform validate` does.
//!
//! Run with `cargo bench --bench validate`. Writes the files to a temporary directory, then
//! times the whole pipeline (read, parse, schema walk, lowering, cross-file checks) in-process
//! and the release binary end to end; then the release binary on the largest hostile file the
//! size limit lets through (see `hostile_file`). Prints the figures; asserts nothing about time.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mailform::config::{self, AnalyzeOptions};
use mailform::model::Date;

const LIBRARIES: usize = 1_000;
const ROUNDS: usize = 10;

fn library(i: usize) -> String {
    let id = format!("library-{i:04}");
    let method = match i % 3 {
        0 => format!(
            "    ses-domain {{\n        from \"noreply@{id}.example.org\"\n        mail-from \"bounce.{id}.example.org\"\n    }}\n"
        ),
        1 => format!(
            "    smtp-account {{\n        host \"smtp.{id}.example.net\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"MAILFORM_SMTP_PASSWORD_LIBRARY_{i:04}\"\n        from \"notices@{id}.example.net\"\n    }}\n"
        ),
        _ => format!(
            "    managed-domain {{\n        domain \"{id}-mail.example\"\n        from \"noreply@{id}-mail.example\"\n        price-cap 15.00\n        years 1\n        auto-renew #true\n    }}\n"
        ),
    };
    format!(
        "// Library number {i}.\nlibrary \"{id}\" {{\n    name \"Library {i}\"\n    it-contact \"it@{id}.example.com\"\n    launch \"2027-06-01\"\n\n{method}}}\n"
    )
}

/// A temporary `libraries/` directory holding the example platform file.
fn libraries_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let libraries = dir.path().join("libraries");
    std::fs::create_dir_all(&libraries).expect("mkdir");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("libraries/_platform.kdl"),
        libraries.join("_platform.kdl"),
    )
    .expect("platform");
    (dir, libraries)
}

fn main() {
    let (_dir, libraries) = libraries_dir();
    for i in 0..LIBRARIES {
        std::fs::write(libraries.join(format!("library-{i:04}.kdl")), library(i)).expect("write");
    }

    let today = Date::parse("2026-11-26").expect("date");
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let (mut sources, io) = config::read_sources(std::slice::from_ref(&libraries));
        let analysis = config::analyze(&mut sources, &AnalyzeOptions { today });
        let elapsed = start.elapsed();
        assert!(
            io.is_empty() && analysis.diagnostics.is_empty(),
            "{:?}",
            analysis.diagnostics
        );
        assert_eq!(analysis.config.expect("valid").libraries.len(), LIBRARIES);
        best = best.min(elapsed);
    }
    println!(
        "in-process: {LIBRARIES} libraries validated in {:.1} ms (best of {ROUNDS})",
        best.as_secs_f64() * 1e3
    );

    // End to end through the binary, when a release build of it exists beside this bench.
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent().map(|d| d.join("mailform")))
        .filter(|p| p.is_file());
    match &bin {
        Some(bin) => {
            let mut best = Duration::MAX;
            for _ in 0..ROUNDS {
                let start = Instant::now();
                let status = Command::new(bin)
                    .args(["validate", "--today", "2026-11-26"])
                    .arg(&libraries)
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("run mailform");
                best = best.min(start.elapsed());
                assert!(status.success());
            }
            println!(
                "binary:     `mailform validate` on {LIBRARIES} libraries took {:.1} ms (best of {ROUNDS})",
                best.as_secs_f64() * 1e3
            );
        }
        None => {
            println!("binary:     not built in this profile; run `cargo build --release` first")
        }
    }
    if let Some(bin) = bin {
        hostile_file(&bin);
    }
}

/// `validate` and `fmt --check` of the largest file the size limit lets through, built to
/// make diagnostics grow (thousands of unknown nodes with workflow commands in comments, a
/// line of 100 KB every thousand lines, a block left open), and of one of the same size that
/// is valid but not canonical (a large diff). Prints wall time, peak memory (`/usr/bin/time`)
/// and output size; the targets are under 1 s and 100 MiB each.
fn hostile_file(bin: &std::path::Path) {
    let long = "x".repeat(100_000);
    for valid in [false, true] {
        let (_dir, libraries) = libraries_dir();
        let mut text = String::from("library \"springfield\" {\n");
        let mut i = 0;
        while text.len() < config::MAX_FILE_BYTES - 120_000 {
            text.push_str(&match (valid, i % 1000) {
                (true, _) => format!("  // ::add-mask::c{i} ##[add-mask]d{i} {long}\n"),
                (false, 999) => format!("    name \"{long}\" // ::warning::w{i}\n"),
                (false, _) => format!("    colour{i} \"blue\" // ::add-mask::c{i}\n"),
            });
            i += 1;
        }
        if valid {
            text.push_str("  name \"S\"\n  it-contact \"it@x.example.org\"\n  ses-domain {\n    from \"a@x.example.org\"\n  }\n}\n");
        }
        std::fs::write(libraries.join("springfield.kdl"), &text).expect("write");
        for command in [
            &["validate", "--today", "2026-11-26"][..],
            &["fmt", "--check"],
        ] {
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%e s, %M KiB"])
                .arg(bin)
                .args(command)
                .arg(&libraries)
                .output()
                .expect("run /usr/bin/time mailform");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let measured = stderr.lines().last().unwrap_or("").to_string();
            println!(
                "hostile:    `mailform {}` on a {} KB {} file: {measured}, {} bytes of output",
                command.join(" "),
                text.len() / 1000,
                if valid {
                    "valid, not canonical"
                } else {
                    "hostile"
                },
                out.stdout.len() + out.stderr.len() - measured.len() - 1,
            );
        }
    }
}
