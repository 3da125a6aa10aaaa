//! `mailform validate`: the bad-input corpus, the examples, and the output formats.
//!
//! Each file in `tests/it/corpus/bad/` is one case: `//? CODE PATH:LINE:COL` lines say which
//! diagnostics must appear where (`-` for none), `//! args: …` overrides the command line,
//! `//! no-platform` leaves out the platform file, and `//== PATH` starts a file to write.
//! Every case must exit 1, report each expected code at its place, never print the canary
//! secret in any format, and match its snapshot of the terminal rendering.

use std::path::Path;

use crate::snap;
use crate::support::cli::{CANARY, Cli, PLATFORM, repo};

const TODAY: &str = "2026-11-26";

/// A diagnostic code and where it points (file, line, column), or nowhere.
type Found = (String, Option<(String, usize, usize)>);

struct Case {
    expects: Vec<Found>,
    args: Vec<String>,
    files: Vec<(String, String)>,
    platform: bool,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case {
        expects: Vec::new(),
        args: vec!["validate".into(), "libraries".into()],
        files: Vec::new(),
        platform: true,
    };
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("//? ") {
            let (code, place) = rest.trim_end().split_once(' ').expect("//? CODE PLACE");
            let place = (place != "-").then(|| {
                let mut parts = place.rsplitn(3, ':');
                let col = parts.next().unwrap().parse().unwrap();
                let line = parts.next().unwrap().parse().unwrap();
                (parts.next().unwrap().to_string(), line, col)
            });
            case.expects.push((code.to_string(), place));
        } else if let Some(rest) = line.strip_prefix("//! args: ") {
            case.args = rest.split_whitespace().map(String::from).collect();
        } else if line.trim_end() == "//! no-platform" {
            case.platform = false;
        } else if let Some(path) = line.strip_prefix("//== ") {
            case.files
                .push((path.trim_end().to_string(), String::new()));
        } else {
            case.files
                .last_mut()
                .expect("a //== line first")
                .1
                .push_str(line);
        }
    }
    case
}

fn setup(case: &Case) -> Cli {
    let mut cli = Cli::new();
    if case.platform && !case.files.iter().any(|(p, _)| p.ends_with("_platform.kdl")) {
        cli = cli.file("libraries/_platform.kdl", PLATFORM);
    }
    for (path, text) in &case.files {
        cli = cli.file(path, text);
    }
    cli
}

/// The case's command line with a fixed `--today` and the given extra arguments.
fn command(case: &Case, extra: &[&str]) -> Vec<String> {
    let mut args = case.args.clone();
    if !args.iter().any(|a| a == "--today") {
        args.splice(1..1, ["--today".to_string(), TODAY.to_string()]);
    }
    args.splice(1..1, extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn bad_inputs() {
    let dir = repo().join("tests/it/corpus/bad");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    assert!(names.len() >= 40, "the corpus has {} cases", names.len());
    // Every case runs even when one fails, so a change shows all it broke at once.
    let failed: Vec<String> = names
        .iter()
        .filter(|path| std::panic::catch_unwind(|| check_case(path)).is_err())
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(failed.is_empty(), "failing cases: {failed:?}");
}

fn check_case(path: &Path) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let case = parse_case(&std::fs::read_to_string(path).expect("case"));
    assert!(!case.expects.is_empty(), "{name}: no expectations");
    let cli = setup(&case);

    let human = Cli::reuse(&cli, command(&case, &[])).run();
    assert_eq!(human.code, 1, "{name}: exit code\n{}", human.stderr);

    let json = Cli::reuse(&cli, command(&case, &["--format", "json"])).run();
    assert_eq!(json.code, 1, "{name}: exit code with --format json");
    let report: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("{name}: JSON output: {e}\n{}", json.stdout));
    let found: Vec<Found> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let place = d.get("location").map(|l| {
                (
                    l["file"].as_str().unwrap().to_string(),
                    l["line"].as_u64().unwrap() as usize,
                    l["column"].as_u64().unwrap() as usize,
                )
            });
            (d["code"].as_str().unwrap().to_string(), place)
        })
        .collect();
    for expected in &case.expects {
        assert!(
            found.contains(expected),
            "{name}: expected {expected:?}\nfound {found:#?}\n{}",
            human.stderr
        );
    }

    let github = Cli::reuse(&cli, command(&case, &["--format", "github"])).run();
    assert_eq!(github.code, 1, "{name}: exit code with --format github");
    let fmt_check = Cli::reuse(
        &cli,
        vec!["fmt".into(), "--check".into(), "libraries".into()],
    )
    .run();
    for (what, out) in [
        ("human", &human),
        ("json", &json),
        ("github", &github),
        ("fmt --check", &fmt_check),
    ] {
        assert!(
            !out.all().contains(CANARY) && !out.all().contains("hunter2"),
            "{name}: the canary secret leaked in {what} output:\n{}",
            out.all()
        );
    }

    snap!(
        "validate",
        name.clone(),
        format!("exit: {}\n{}", human.code, human.stderr)
    );
}

#[test]
fn examples_validate_clean_and_are_canonical() {
    let cli = Cli::new();
    let libraries = repo().join("libraries");
    let out = cli
        .args(["validate", "--deny-warnings", "--today", TODAY])
        .args([libraries.to_string_lossy()])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("0 errors, 0 warnings"),
        "{}",
        out.stderr
    );

    let out = Cli::new()
        .args(["fmt", "--check"])
        .args([libraries.to_string_lossy()])
        .run();
    assert_eq!(out.code, 0, "examples are not canonical:\n{}", out.all());
}

#[test]
fn examples_cover_every_method_twice_on_reserved_domains() {
    let dir = repo().join("libraries");
    let mut counts = [0usize; 3];
    for entry in std::fs::read_dir(&dir).expect("libraries") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        for (i, method) in ["ses-domain {", "smtp-account {", "managed-domain {"]
            .iter()
            .enumerate()
        {
            counts[i] += usize::from(text.contains(method));
        }
        for word in text.split(|c: char| c == '"' || c.is_whitespace() || c == '@') {
            let looks_like_domain = word.contains('.')
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && word.chars().any(|c| c.is_ascii_alphabetic())
                && !word.ends_with('.');
            if looks_like_domain {
                let reserved = ["example.org", "example.com", "example.net"]
                    .iter()
                    .any(|d| word == *d || word.ends_with(&format!(".{d}")))
                    // Not `.invalid`: a value there is a placeholder (`config::placeholder`).
                    || [".example", ".test", ".localhost"]
                        .iter()
                        .any(|tld| word.ends_with(tld));
                assert!(
                    reserved,
                    "{}: `{word}` is not a reserved example domain",
                    path.display()
                );
            }
        }
    }
    assert!(
        counts.iter().all(|&c| c >= 2),
        "examples per method: {counts:?}"
    );
}

#[test]
fn json_output_is_versioned_and_complete() {
    let out = Cli::with_platform()
        .file(
            "libraries/springfield.kdl",
            "library \"springfield\" {\n    nmae \"x\"\n}\n",
        )
        .args([
            "validate",
            "--format",
            "json",
            "--today",
            TODAY,
            "libraries",
        ])
        .run();
    assert_eq!(out.code, 1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(report["version"], 1);
    assert_eq!(report["files"], 2);
    assert_eq!(
        report["errors"],
        report["diagnostics"].as_array().unwrap().len()
    );
    crate::support::json_schema::assert_valid("diagnostics.schema.json", &report);
    snap!("validate", "json-format", out.stdout);
}

#[test]
fn github_annotations_point_at_file_line_and_column() {
    let out = Cli::with_platform()
        .file(
            "libraries/springfield.kdl",
            "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n    ses-domain {\n        from \"no, reply@x.example.org\"\n    }\n}\n",
        )
        .args(["validate", "--format", "github", "--today", TODAY, "libraries"])
        .run();
    assert_eq!(out.code, 1);
    snap!("validate", "github-format", out.stdout);
    assert!(
        out.stdout
            .starts_with("::error file=libraries/springfield.kdl,line=5,col=14,"),
        "{}",
        out.stdout
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let cli = Cli::with_platform().file(
        "libraries/springfield.kdl",
        "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n    launch \"2026-12-01\"\n    ses-domain {\n        from \"noreply@x.example.org\"\n    }\n}\n",
    );
    let out = Cli::reuse(
        &cli,
        ["validate", "--today", TODAY, "libraries"]
            .map(String::from)
            .to_vec(),
    )
    .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("config::launch-too-soon"),
        "{}",
        out.stderr
    );
    let out = Cli::reuse(
        &cli,
        ["validate", "--deny-warnings", "--today", TODAY, "libraries"]
            .map(String::from)
            .to_vec(),
    )
    .run();
    assert_eq!(out.code, 1);
    // Counted from a later day, the launch is past and nothing is said.
    let out = Cli::reuse(
        &cli,
        ["validate", "--today", "2027-01-01", "libraries"]
            .map(String::from)
            .to_vec(),
    )
    .run();
    assert_eq!(out.code, 0);
    assert!(!out.stderr.contains("launch-too-soon"), "{}", out.stderr);
}

#[test]
fn a_single_file_finds_its_platform_file() {
    let cli = Cli::with_platform().file(
        "libraries/springfield.kdl",
        "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n    ses-domain {\n        from \"noreply@x.example.org\"\n    }\n}\n",
    );
    let out = Cli::reuse(
        &cli,
        vec!["validate".into(), "libraries/springfield.kdl".into()],
    )
    .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("2 files"), "{}", out.stderr);
}

#[test]
fn unreadable_and_non_text_files_are_reported() {
    let out = Cli::with_platform()
        .bytes("libraries/garbage.kdl", &[0xff, 0xfe, 0x00, 0x9f, b'{'])
        .args(["validate", "libraries", "libraries/missing.kdl"])
        .run();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("config::not-text"), "{}", out.stderr);
    assert!(out.stderr.contains("config::io"), "{}", out.stderr);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_the_line_and_column_of_the_bad_byte() {
    let mut bytes = b"library \"springfield\" {\n    name \"Caf".to_vec();
    bytes.extend_from_slice(&[0xe9, b'"', b'\n', b'}', b'\n']);
    let out = Cli::with_platform()
        .bytes("libraries/springfield.kdl", &bytes)
        .args(["validate", "--format", "json", "libraries"])
        .run();
    assert_eq!(out.code, 1, "{}", out.all());
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "config::not-text", "{report:#}");
    assert_eq!(d["location"]["file"], "libraries/springfield.kdl");
    assert_eq!(
        (
            d["location"]["line"].as_u64(),
            d["location"]["column"].as_u64()
        ),
        (Some(2), Some(14)),
        "{report:#}"
    );
    // The part that was read is not parsed: no syntax error about the cut-off text.
    assert_eq!(report["errors"], 1, "{report:#}");
}

/// Every entry that looks like a library file but cannot be read as one is an error naming
/// it; none is skipped, and a FIFO is never opened (opening one would block the run).
#[test]
fn entries_that_cannot_be_read_as_library_files_are_errors_never_skipped() {
    let cli = Cli::with_platform()
        .file("libraries/springfield.kdl/keep", "")
        .file("libraries/SHOUTING.KDL", "library \"shouting\" {}\n")
        .file("libraries/mixed.Kdl", "library \"mixed\" {}\n");
    let dir = cli.path().join("libraries");
    std::os::unix::fs::symlink(dir.join("nowhere.kdl"), dir.join("dangling.kdl")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe.kdl"))
        .status()
        .expect("mkfifo");
    assert!(status.success());

    let out = Cli::reuse(&cli, ["validate", "libraries"].map(String::from).to_vec()).run();
    assert_eq!(out.code, 1, "{}", out.all());
    for expected in [
        "cannot read libraries/springfield.kdl: it is a directory",
        "libraries/dangling.kdl is a symbolic link; mailform never follows links",
        "cannot read libraries/pipe.kdl: it is not a regular file (a FIFO)",
        "libraries/SHOUTING.KDL ends in `.KDL`, not `.kdl`",
        "libraries/mixed.Kdl ends in `.Kdl`, not `.kdl`",
    ] {
        assert!(out.stderr.contains(expected), "{expected}\n{}", out.stderr);
    }
    assert!(out.stderr.contains("5 errors"), "{}", out.stderr);

    // A file nobody may read. Tests usually run as root, who may read it anyway: then this
    // case cannot be shown here, and only the kinds of entry above are checked.
    let cli = Cli::with_platform().file("libraries/locked.kdl", "library \"locked\" {}\n");
    let locked = cli.path().join("libraries/locked.kdl");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        let out = Cli::reuse(&cli, ["validate", "libraries"].map(String::from).to_vec()).run();
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(
            out.stderr.contains("cannot read libraries/locked.kdl"),
            "{}",
            out.stderr
        );
    }
}

/// A valid library file, for tests about the tree rather than the contents.
const SPRINGFIELD: &str = "library \"springfield\" {\n    name \"S\"\n    it-contact \"it@x.example.org\"\n    launch \"2027-03-01\"\n\n    ses-domain {\n        from \"noreply@x.example.org\"\n    }\n}\n";

/// Symbolic links anywhere in the tree are refused before what they point to is read: a link
/// to a file of the runner (here a file holding the canary, and `/proc/self/environ` with the
/// canary in the environment), to a directory, dangling, as the `libraries` directory itself,
/// and as the platform file found beside a single file. Every command that reads the tree
/// fails, names the link, and prints nothing from behind it.
#[test]
fn symbolic_links_in_the_tree_are_refused_and_never_followed() {
    use std::os::unix::fs::symlink;
    let cli = Cli::new()
        .file(
            "outside/secret.kdl",
            &format!("library \"{CANARY}\" {{}}\n"),
        )
        .file("outside/_platform.kdl", &format!("// {CANARY}\n{PLATFORM}"))
        .file("outside/dir.kdl/keep", "")
        .file("libraries/_platform.kdl", PLATFORM)
        .file("libraries/springfield.kdl", SPRINGFIELD)
        .file("single/springfield.kdl", SPRINGFIELD)
        .env("MAILFORM_TEST_CANARY", CANARY);
    let root = cli.path();
    let links = [
        ("libraries/to-file.kdl", root.join("outside/secret.kdl")),
        ("libraries/environ.kdl", "/proc/self/environ".into()),
        ("libraries/to-dir.kdl", root.join("outside/dir.kdl")),
        ("libraries/dangling.kdl", root.join("outside/nowhere.kdl")),
        ("libraries/notes.txt", root.join("outside/secret.kdl")),
        ("linked", root.join("outside")),
        ("single/_platform.kdl", root.join("outside/_platform.kdl")),
    ];
    for (link, target) in &links {
        symlink(target, root.join(link)).unwrap();
    }
    let today = ["--today", TODAY];
    let runs: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["validate", today[0], today[1], "libraries"],
            vec![
                "libraries/to-file.kdl",
                "libraries/environ.kdl",
                "libraries/to-dir.kdl",
                "libraries/dangling.kdl",
                "libraries/notes.txt",
            ],
        ),
        (
            vec![
                "validate",
                "--format",
                "json",
                today[0],
                today[1],
                "libraries",
            ],
            vec!["libraries/to-file.kdl", "libraries/environ.kdl"],
        ),
        (
            vec![
                "validate",
                "--format",
                "github",
                today[0],
                today[1],
                "libraries",
            ],
            vec!["libraries/to-file.kdl", "libraries/environ.kdl"],
        ),
        (
            vec!["fmt", "--check", "libraries"],
            vec!["libraries/to-file.kdl", "libraries/environ.kdl"],
        ),
        (vec!["fmt", "libraries"], vec!["libraries/environ.kdl"]),
        (
            vec!["plan", today[0], today[1], "--live", "live.json"],
            vec!["libraries/environ.kdl"],
        ),
        (
            vec!["validate", today[0], today[1], "linked"],
            vec!["linked"],
        ),
        (
            vec!["validate", today[0], today[1], "linked/"],
            vec!["linked/"],
        ),
        (vec!["fmt", "--check", "linked/secret.kdl"], vec!["linked"]),
        (
            vec!["validate", today[0], today[1], "single/springfield.kdl"],
            vec!["single/_platform.kdl"],
        ),
    ];
    for (args, named) in runs {
        let out = Cli::reuse(&cli, args.iter().map(|s| s.to_string()).collect()).run();
        assert_eq!(out.code, 1, "{args:?}\n{}", out.all());
        for path in named {
            assert!(
                out.all().contains(&format!("{path} is a symbolic link"))
                    || (out.stdout.contains("config::symlink") && out.stdout.contains(path)),
                "{args:?}: {path} not named\n{}",
                out.all()
            );
        }
        for secret in [CANARY, "hunter2", "MAILFORM_TEST_CANARY"] {
            assert!(
                !out.all().contains(secret),
                "{args:?}: what a link points to was printed\n{}",
                out.all()
            );
        }
    }
    // `fmt` wrote nothing through a link.
    assert!(cli.read("outside/secret.kdl").contains(CANARY));
}

#[test]
fn bad_today_is_a_clear_error() {
    let out = Cli::with_platform()
        .args(["validate", "--today", "tomorrow"])
        .run();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`tomorrow` is not a date"),
        "{}",
        out.stderr
    );
}

/// Every shape in which a password can be pasted into a file, whether the file parses or not.
/// The canary must not come out of `validate` (each format), `fmt --check` or `plan`.
#[test]
fn a_pasted_secret_never_leaks_in_any_shape_or_output() {
    let c = CANARY;
    let shapes = [
        format!("password \"\"\"\n            {c}\n            \"\"\""),
        format!("password \"\"\"\n{c}\n"),
        format!("password #\"{c}\"#"),
        format!("password ##\"\"\"\n            {c}\n            \"\"\"##"),
        format!("password #\"{c}"),
        format!("password \\\n            \"{c}\""),
        format!("password \\ // the value:\n            {c}"),
        format!("password \\ {c}"),
        format!("password \"{c}\\\n            more\""),
        format!("password {{ value \"{c}\"; }}"),
        format!("password {{\n            \"{c}\"\n        }}"),
        format!(
            "password {{\n            inner {{\n                {c}\n            }}\n        }}"
        ),
        format!("password\n        {c}"),
        format!("password\n\n        \"{c}\""),
        format!("password\n        {c} and more words"),
        format!("password \"first line\n{c}\""),
        format!("password \"{c}"),
        format!("password env=\"{c}\""),
        format!("password env=\"MAILFORM_SMTP_PASSWORD_X\" value=\"{c}\""),
        format!("password (secret)\"{c}\""),
        format!("/- password \"{c}\""),
        format!("pwd \"{c}\""),
        format!("smtp-pass \"{c}\""),
        format!("smtpPass \"{c}\""),
        format!("pass {c}"),
        format!("credentials {{ user \"u\"; pw \"{c}\"; }}"),
        format!("credential \"{c}\""),
        format!("api-key \"{c}\""),
        format!("host \"smtp.x.example.org\" token=\"{c}\""),
    ];
    let today = ["--today", TODAY];
    for shape in &shapes {
        let library = format!(
            "library \"springfield\" {{\n    name \"S\"\n    it-contact \"it@x.example.org\"\n\n    smtp-account {{\n        host \"smtp.x.example.org\"\n        port 587\n        security \"starttls\"\n        username \"u\"\n        {shape}\n        from \"a@x.example.org\"\n    }}\n}}\n"
        );
        let cli = Cli::with_platform().file("libraries/springfield.kdl", &library);
        let mut runs = every_output(&cli);
        let plan = ["plan", today[0], today[1], "--live", "live.json"];
        runs.push(("plan", run(&cli, &plan)));
        for (what, out) in runs {
            assert_eq!(out.code, 1, "{shape}: {what} accepted it:\n{}", out.all());
            for secret in [c, "hunter2", "7f3a"] {
                assert!(
                    !out.all().contains(secret),
                    "{shape}\nthe canary leaked in {what} output:\n{}",
                    out.all()
                );
            }
        }
    }
}

/// A password pasted into a comment, beside a secret node or in prose (`password: …`), is
/// masked in every output, also in a `fmt --check` diff of a file that is valid but not
/// canonical, where the comment may move to another line.
#[test]
fn a_secret_in_a_comment_never_leaks() {
    let c = CANARY;
    let comments = [
        format!("password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\" // {c}"),
        format!("password /* {c} */ env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\""),
        format!("// password: {c}\n        password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\""),
        format!("password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\" /* pass={c} */"),
        format!(
            "/* the secret {c} */\n        password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\""
        ),
        format!("// auth code {c}\n        password env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\""),
    ];
    for comment in &comments {
        // Not canonical (two-space indents): `fmt --check` prints a diff of every line.
        let library = format!(
            "library \"springfield\" {{\n  name \"S\"\n  it-contact \"it@x.example.org\"\n  launch \"2027-03-01\"\n  smtp-account {{\n        host \"smtp.x.example.org\"\n        port 587\n        security \"starttls\"\n        username \"u\"\n        {comment}\n        from \"a@x.example.org\"\n  }}\n}}\n"
        );
        let cli = Cli::with_platform().file("libraries/springfield.kdl", &library);
        let runs = every_output(&cli);
        assert!(
            runs[3].1.stdout.contains("+    name"),
            "no diff:\n{}",
            runs[3].1.all()
        );
        for (what, out) in runs {
            for secret in [c, "hunter2", "7f3a"] {
                assert!(
                    !out.all().contains(secret),
                    "{comment}\nthe canary leaked in {what} output:\n{}",
                    out.all()
                );
            }
        }
    }
}

/// The platform says which variables may hold SMTP passwords; a library naming another
/// variable is refused, and credentials of other systems are refused whatever the prefix.
#[test]
fn password_variables_follow_the_platform_prefix() {
    let library = |env: &str| {
        format!(
            "library \"springfield\" {{\n    name \"S\"\n    it-contact \"it@x.example.org\"\n\n    smtp-account {{\n        host \"smtp.x.example.org\"\n        port 587\n        security \"starttls\"\n        username \"u\"\n        password env=\"{env}\"\n        from \"a@x.example.org\"\n    }}\n}}\n"
        )
    };
    let platform = |prefix: &str| {
        PLATFORM.replace(
            "    notice-period-days 14\n",
            &format!("    notice-period-days 14\n    smtp-password-env-prefix \"{prefix}\"\n"),
        )
    };
    let run = |platform: &str, env: &str| {
        Cli::new()
            .file("libraries/_platform.kdl", platform)
            .file("libraries/springfield.kdl", &library(env))
            .args([
                "validate",
                "--format",
                "json",
                "--today",
                TODAY,
                "libraries",
            ])
            .run()
    };
    let codes = |out: &crate::support::cli::Output| -> Vec<(String, String, u64, u64)> {
        let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["location"]["file"].as_str().unwrap_or("").to_string(),
                    d["location"]["line"].as_u64().unwrap_or(0),
                    d["location"]["column"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let lib = "libraries/springfield.kdl".to_string();
    let refused = |line, col| {
        vec![(
            "config::password-env-not-allowed".to_string(),
            lib.clone(),
            line,
            col,
        )]
    };

    // The default prefix.
    assert_eq!(run(PLATFORM, "MAILFORM_SMTP_PASSWORD_SPRINGFIELD").code, 0);
    assert_eq!(
        codes(&run(PLATFORM, "SPRINGFIELD_SMTP_PASSWORD")),
        refused(10, 22)
    );
    assert_eq!(
        codes(&run(PLATFORM, "MAILFORM_SMTP_PASSWORD_")),
        refused(10, 22)
    );
    // A prefix of the platform's own.
    let own = platform("LIBRARY_SMTP_");
    assert_eq!(run(&own, "LIBRARY_SMTP_SPRINGFIELD").code, 0);
    assert_eq!(
        codes(&run(&own, "MAILFORM_SMTP_PASSWORD_SPRINGFIELD")),
        refused(10, 22)
    );
    // Credentials of other systems, whatever the prefix.
    for env in [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "RUNNER_TEMP",
        "HOME",
        "PATH",
        "SSH_AUTH_SOCK",
        "NPM_TOKEN",
        "CARGO_REGISTRY_TOKEN",
        "MAILFORM_SMTP_SECRETS",
    ] {
        let out = run(PLATFORM, env);
        assert_eq!(codes(&out), refused(10, 22), "{env}");
        assert!(
            out.stdout.contains("may not hold an SMTP password"),
            "{}",
            out.stdout
        );
    }
    // A prefix reaching into those is itself refused, and the libraries are checked against
    // the default instead.
    for prefix in ["AWS_", "GITHUB_SMTP_", "GIT", "MAILFORM_SMTP_", "A"] {
        let out = run(&platform(prefix), "AWS_SECRET_ACCESS_KEY");
        let found = codes(&out);
        assert!(
            found.contains(&(
                "config::password-env-prefix-not-allowed".to_string(),
                "libraries/_platform.kdl".to_string(),
                4,
                30
            )),
            "{prefix}: {found:?}"
        );
        assert!(found.contains(&refused(10, 22)[0]), "{prefix}: {found:?}");
    }
}

/// A library's password variable is derived from its id (the platform's prefix and the id in
/// capitals, `-` as `_`): a file naming another library's variable is refused, with the
/// expected name in the help, however the node is spelled (an inline comment between the node
/// name and `env=` is valid KDL and canonical for `fmt`).
#[test]
fn a_library_may_name_only_the_password_variable_its_id_gives() {
    let library = |password: &str| {
        format!(
            "library \"north-haverbrook\" {{\n    name \"N\"\n    it-contact \"it@x.example.org\"\n\n    smtp-account {{\n        host \"smtp.attacker.example.net\"\n        port 587\n        security \"starttls\"\n        username \"u\"\n        {password}\n        from \"a@x.example.org\"\n    }}\n}}\n"
        )
    };
    let run = |password: &str| {
        Cli::new()
            .file("libraries/_platform.kdl", PLATFORM)
            .file("libraries/north-haverbrook.kdl", &library(password))
            .args([
                "validate",
                "--format",
                "json",
                "--today",
                TODAY,
                "libraries",
            ])
            .run()
    };
    assert_eq!(
        run("password env=\"MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK\"").code,
        0
    );
    assert_eq!(
        run("password /* ours */ env=\"MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK\"").code,
        0
    );
    for password in [
        "password env=\"MAILFORM_SMTP_PASSWORD_CAPITAL_CITY\"",
        "password /* ours */ env=\"MAILFORM_SMTP_PASSWORD_CAPITAL_CITY\"",
        "password env=\"MAILFORM_SMTP_PASSWORD_NORTH\"",
    ] {
        let out = run(password);
        assert_eq!(out.code, 1, "{password}: {}", out.all());
        let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        let d = &report["diagnostics"][0];
        assert_eq!(d["code"], "config::password-env-not-allowed", "{report:#}");
        assert_eq!(d["location"]["line"], 10, "{report:#}");
        assert!(
            d["help"]
                .as_str()
                .unwrap()
                .contains("write env=\"MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK\""),
            "{report:#}"
        );
    }
}

/// What `validate` prints in each format and `fmt --check` prints, for `libraries`: every
/// output a CI log gets from the files.
fn every_output(cli: &Cli) -> Vec<(&'static str, crate::support::cli::Output)> {
    let mut runs: Vec<_> = ["human", "json", "github"]
        .into_iter()
        .map(|format| {
            let args = ["validate", "--format", format, "--today", TODAY];
            (format, run(cli, &[&args[..], &["libraries"]].concat()))
        })
        .collect();
    runs.push(("fmt --check", run(cli, &["fmt", "--check", "libraries"])));
    runs
}

/// Runs `args` in `cli`'s directory.
fn run(cli: &Cli, args: &[&str]) -> crate::support::cli::Output {
    Cli::reuse(cli, args.iter().map(|s| s.to_string()).collect()).run()
}

/// A library with `field` set to `value` (written as KDL source, escapes and all).
fn springfield_with(field: &str, value: &str) -> String {
    SPRINGFIELD.replace(
        "    name \"S\"\n",
        &format!("    name \"S\"\n    {field} {value}\n"),
    )
}

/// Control characters in names and values are refused where they are, whether written as
/// the character or as a KDL escape, and a message quoting such a value shows the escape, not
/// the character.
#[test]
fn control_characters_in_names_and_values_are_refused_at_their_place() {
    // (file text, line, column, character) for each case.
    let name = |v: &str| SPRINGFIELD.replace("name \"S\"", &format!("name {v}"));
    let cases: Vec<(String, usize, usize, &str)> = vec![
        (name("\"Spring\\u{1b}[31mfield\""), 2, 10, "U+001B (escape)"),
        (name("\"Spring\\nfield\""), 2, 10, "U+000A (line feed)"),
        (
            name("\"Spring\\rfield\""),
            2,
            10,
            "U+000D (carriage return)",
        ),
        (name("\"Spring\\u{202e}field\""), 2, 10, "U+202E"),
        (name("\"Spring\\u{2066}field\""), 2, 10, "U+2066"),
        (
            name("\"Spring\\u{2028}field\""),
            2,
            10,
            "U+2028 (line separator)",
        ),
        (name("\"Spring\\u{85}field\""), 2, 10, "U+0085 (next line)"),
        (name("\"Spring\\u{7f}field\""), 2, 10, "U+007F (delete)"),
        // A tab written as itself: the diagnostic points at the character.
        (name("\"Spring\tfield\""), 2, 17, "U+0009 (tab)"),
        (
            SPRINGFIELD.replace("it@x.example.org", "it@x.example.org\\n::add-mask::x"),
            3,
            16,
            "U+000A (line feed)",
        ),
        (
            springfield_with("\"notes\\r::warning::x\"", "1"),
            3,
            5,
            "U+000D (carriage return)",
        ),
        // The character itself, anywhere in the file (KDL refuses it too, less clearly).
        (
            format!("// Spring\u{1b}[2J\n{SPRINGFIELD}"),
            1,
            10,
            "U+001B (escape)",
        ),
        (name("\"Spring\u{202e}field\""), 2, 17, "U+202E"),
        (name("\"Spring\u{9b}field\""), 2, 17, "U+009B"),
    ];
    let as_json = ["validate", "--format=json", "--today", TODAY, "libraries"];
    for (text, line, column, what) in &cases {
        let cli = Cli::with_platform().file("libraries/springfield.kdl", text);
        let json = run(&cli, &as_json);
        assert_eq!(json.code, 1, "{text:?}\n{}", json.all());
        let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
        let found = report["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["code"] == "config::control-character"
                && d["location"]["line"] == *line
                && d["location"]["column"] == *column
                && d["message"].as_str().unwrap().contains(what)
        });
        assert!(
            found,
            "{text:?}: no control-character at {line}:{column}\n{report:#}"
        );
        let human = run(&cli, &["validate", "--today", TODAY, "libraries"]);
        assert!(
            human.stderr.contains("help: delete the character"),
            "{}",
            human.stderr
        );
        // Nothing of the refused characters reaches the terminal, in messages or snippets.
        for out in [&json, &human] {
            let bad: Vec<char> = out
                .all()
                .chars()
                .filter(|&c| {
                    c != '\n'
                        && (c.is_control()
                            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
                })
                .collect();
            assert!(bad.is_empty(), "{text:?}: {bad:?} printed\n{}", out.all());
        }
    }
}

/// Every line a CI log could get from `validate` (each format) and `fmt --check` on hostile
/// files: none starts a GitHub workflow command (`::name::` after white space, or the legacy
/// `##[name]` anywhere), except the tool's own annotations under `--format github`, whose
/// data and properties are escaped so each stays one line.
#[test]
fn no_line_of_library_origin_can_start_a_workflow_command() {
    let commands = "::warning file=x.kdl,line=1::forged\n  ::add-mask::hidden\n\t::stop-commands::tok\n##[add-mask]legacy\n";
    let cli = Cli::with_platform()
        // Valid but not canonical, with commands in a block comment: the `fmt --check` diff.
        .file(
            "libraries/springfield.kdl",
            &format!("/*\n{commands}*/\n{}", SPRINGFIELD.replace("    name", "  name")),
        )
        // Names quoted in messages, with escapes that make new lines.
        .file(
            "libraries/quoted.kdl",
            "library \"quoted\" {\n    \"x\\n::add-mask::y\" 1\n    \"x\\r::error::y\" 2\n    \"##[add-mask]z\" 3\n    name \"\\n::warning::w\"\n}\n",
        )
        // A carriage return alone, which the runner takes for a line break, in a snippet.
        .file(
            "libraries/lone-cr.kdl",
            "library \"lone-cr\" {\n    // x\r::add-mask::cr\r##[add-mask]cr\n}\n",
        )
        // Syntax errors beside the commands, so snippets show them.
        .file(
            "libraries/syntax.kdl",
            &format!("library \"syntax\" {{ {{\n/*\n{commands}*/\n::add-mask::node 1\n"),
        )
        // A file name that carries a line break.
        .file("libraries/x\n::add-mask::name.kdl", "library \"x\" {}\n");
    let mut runs = every_output(&cli);
    let args = ["fmt", "--check", "libraries/springfield.kdl"];
    let diff = run(&cli, &args);
    assert!(
        diff.stdout.contains("+    name \"S\""),
        "no diff:\n{}",
        diff.all()
    );
    runs.push(("fmt --check one file", diff));
    for (what, out) in &runs {
        assert_eq!(out.code, 1, "{what}\n{}", out.all());
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for line in text.split(['\n', '\r']) {
                let ours = *what == "github"
                    && stream == "stdout"
                    && (line.starts_with("::error file=") || line.starts_with("::warning file="));
                let start = line.trim_start();
                assert!(
                    ours || !start.starts_with("::"),
                    "{what} {stream}: a workflow command: {line:?}\n{text}"
                );
                assert!(
                    !line.contains("##["),
                    "{what} {stream}: a legacy workflow command: {line:?}\n{text}"
                );
            }
        }
    }
    // The annotations: one line each, properties escaped (`:` and `,` in the file name).
    let github = &runs[2].1.stdout;
    let json: serde_json::Value = serde_json::from_str(&runs[1].1.stdout).expect("json");
    let count = json["diagnostics"].as_array().unwrap().len();
    assert_eq!(github.lines().count(), count, "{github}");
    assert!(
        github.contains("::error file=libraries/x\\u{a}%3A%3Aadd-mask%3A%3Aname.kdl,"),
        "{github}"
    );
}
