//! `mailform fmt`: the canonical layout, `--check` diffs, and files that must not be touched.

use crate::snap;
use crate::support::cli::{CANARY, Cli};

const MESSY: &str = r#"// Springfield: method 1
library springfield {
  ses-domain {
      mail-from "bounce.springfield.example.org"   // SPF alignment
      from noreply@springfield.example.org
  }
  it-contact "it@springfield.example.org"


  name "Springfield Public Library"; launch "2027-03-01"
}
"#;

#[test]
fn rewrites_to_the_canonical_layout_and_keeps_comments() {
    let cli = Cli::with_platform().file("libraries/springfield.kdl", MESSY);
    let out = Cli::reuse(&cli, vec!["fmt".into(), "libraries".into()]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    let formatted = cli.read("libraries/springfield.kdl");
    snap!("fmt", "canonical", formatted.clone());
    for comment in ["// Springfield: method 1", "// SPF alignment"] {
        assert!(formatted.contains(comment), "lost {comment}");
    }
    // Idempotent: a second run changes nothing and --check agrees.
    let again = Cli::reuse(&cli, vec!["fmt".into(), "libraries".into()]).run();
    assert_eq!(again.code, 0);
    assert_eq!(cli.read("libraries/springfield.kdl"), formatted);
    let check = Cli::reuse(
        &cli,
        vec!["fmt".into(), "--check".into(), "libraries".into()],
    )
    .run();
    assert_eq!(check.code, 0, "{}", check.all());
    assert_eq!(check.stdout, "");
    // And the result still validates.
    let valid = Cli::reuse(
        &cli,
        vec!["validate".into(), "--today".into(), "2026-11-26".into()],
    )
    .run();
    assert_eq!(valid.code, 0, "{}", valid.stderr);
}

#[test]
fn check_prints_a_unified_diff_and_changes_nothing() {
    let cli = Cli::with_platform().file("libraries/springfield.kdl", MESSY);
    let out = Cli::reuse(&cli, vec!["fmt".into(), "--check".into()]).run();
    assert_eq!(out.code, 1);
    assert_eq!(
        cli.read("libraries/springfield.kdl"),
        MESSY,
        "--check wrote the file"
    );
    snap!("fmt", "check-diff", out.stdout.clone());
    assert!(
        out.stdout
            .starts_with("--- a/libraries/springfield.kdl\n+++ b/libraries/springfield.kdl\n")
    );
    assert!(
        out.stderr.contains("1 file is not in canonical form"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_never_rewritten() {
    let broken = "library \"springfield\" {\n  name \"Springfield\n";
    let cli = Cli::with_platform().file("libraries/springfield.kdl", broken);
    let out = Cli::reuse(&cli, vec!["fmt".into()]).run();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("config::syntax"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("files with errors are left as they are")
    );
    assert_eq!(cli.read("libraries/springfield.kdl"), broken);
    let leftovers: Vec<_> = std::fs::read_dir(cli.path().join("libraries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "temporary files left behind: {leftovers:?}"
    );
}

const VALID: &str = "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n\n    ses-domain {\n        from \"noreply@x.example.org\"\n    }\n}\n";

#[test]
fn a_comment_the_layout_would_lose_is_reported_and_the_file_kept() {
    // The KDL parser keeps no comment inside a type annotation.
    let text = VALID.replace("name \"S\"", "name (t /* keep me */)\"S\"");
    let cli = Cli::with_platform().file("libraries/springfield.kdl", &text);
    let out = Cli::reuse(&cli, vec!["fmt".into()]).run();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("fmt::comment-lost"), "{}", out.stderr);
    assert_eq!(cli.read("libraries/springfield.kdl"), text);
}

#[test]
fn a_file_with_a_literal_secret_is_reported_never_diffed() {
    let text = format!(
        "library \"springfield\" {{\n  name \"S\"\n  it-contact \"it@x.example.org\"\n  smtp-account {{\n    password \"{CANARY}\"\n    host \"smtp.x.example.org\"\n  }}\n}}\n"
    );
    let cli = Cli::with_platform().file("libraries/springfield.kdl", &text);
    let out = Cli::reuse(&cli, vec!["fmt".into(), "--check".into()]).run();
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "", "a file with errors was diffed");
    assert!(
        out.stderr.contains("config::literal-secret"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(CANARY), "{}", out.all());
}

/// `fmt` never turns a value `validate` refuses into one it accepts: a file with errors on
/// its values is reported and left exactly as it is, with or without `--check`.
#[test]
fn a_file_validate_refuses_is_never_formatted_into_one_it_accepts() {
    let text = "library \"springfield\" {\n  name \"S\"\n  it-contact \"it@x.example.org\"\n  managed-domain {\n    domain \"springfield-mail.example\"\n    from \"noreply@springfield-mail.example\"\n    price-cap 0x0F\n  }\n}\n";
    let cli = Cli::with_platform().file("libraries/springfield.kdl", text);
    for args in [vec!["fmt"], vec!["fmt", "--check"]] {
        let out = Cli::reuse(&cli, args.iter().map(|s| s.to_string()).collect()).run();
        assert_eq!(out.code, 1, "{}", out.all());
        assert_eq!(out.stdout, "", "{args:?} printed a diff");
        assert!(out.stderr.contains("price-cap"), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("files with errors are left as they are"),
            "{}",
            out.stderr
        );
        assert_eq!(cli.read("libraries/springfield.kdl"), text);
    }
    let valid = Cli::reuse(&cli, vec!["validate".into()]).run();
    assert_eq!(valid.code, 1, "{}", valid.stderr);
}

#[test]
fn crlf_files_keep_their_line_endings_and_cr_only_files_are_refused() {
    let crlf = VALID.replace('\n', "\r\n");
    let cli = Cli::with_platform().file("libraries/springfield.kdl", &crlf);
    let check = Cli::reuse(&cli, vec!["fmt".into(), "--check".into()]).run();
    assert_eq!(check.code, 0, "{}", check.all());
    let messy = MESSY.replace('\n', "\r\n");
    let cli = Cli::with_platform().file("libraries/springfield.kdl", &messy);
    let out = Cli::reuse(&cli, vec!["fmt".into()]).run();
    assert_eq!(out.code, 0, "{}", out.all());
    let formatted = cli.read("libraries/springfield.kdl");
    assert!(
        !formatted.replace("\r\n", "").contains('\n'),
        "{formatted:?}"
    );
    let valid = Cli::reuse(&cli, vec!["validate".into()]).run();
    assert_eq!(valid.code, 0, "{}", valid.stderr);

    let cr_only = VALID.replace('\n', "\r");
    let cli = Cli::with_platform().file("libraries/springfield.kdl", &cr_only);
    for args in [vec!["fmt"], vec!["fmt", "--check"], vec!["validate"]] {
        let out = Cli::reuse(&cli, args.iter().map(|s| s.to_string()).collect()).run();
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stderr.contains("config::line-break"), "{}", out.stderr);
        assert!(
            out.stderr.contains("a carriage return alone"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("fmt::comment-lost"), "{}", out.stderr);
        assert_eq!(cli.read("libraries/springfield.kdl"), cr_only);
    }
}
