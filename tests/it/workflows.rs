//! The workflows and their shell scripts, run as a job would run them: each step from its real
//! `run:` text in `.github/workflows/*.yml`, with bash, in a prepared directory with a job's
//! files (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and `$MAILFORM` the built binary, or a
//! stand-in only where the binary is not the point.

use std::path::Path;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::cli::{CANARY, Cli, PLATFORM, bin, repo};

/// A valid method-2 library whose server is `host`, naming `env` for its password.
fn smtp_library(id: &str, host: &str, env: &str) -> String {
    format!(
        "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    smtp-account {{\n        host \"{host}\"\n        port 587\n        security \"starttls\"\n        username \"notices\"\n        password env=\"{env}\"\n        from \"notices@{id}.example.org\"\n    }}\n}}\n"
    )
}

fn var(id: &str) -> String {
    format!(
        "MAILFORM_SMTP_PASSWORD_{}",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, text).expect("write");
}

/// What a step or script printed, whether it succeeded, and what it put into GITHUB_ENV.
struct Ran {
    ok: bool,
    printed: String,
    env_file: String,
}

/// Runs `.github/smtp-secrets-env.sh LIBRARIES [BASE]` in `dir` with the built mailform.
fn export(dir: &Path, secrets: &serde_json::Value, base: Option<&str>) -> Ran {
    let env_file = dir.join("github_env");
    let _ = std::fs::remove_file(&env_file);
    let mut command = Command::new("bash");
    command
        .arg(repo().join(".github/smtp-secrets-env.sh"))
        .arg("libraries");
    if let Some(base) = base {
        command.arg(base);
    }
    let out = command
        .current_dir(dir)
        .env("GITHUB_ENV", &env_file)
        .env("MAILFORM", bin())
        .env("MAILFORM_SMTP_SECRETS", secrets.to_string())
        .output()
        .expect("bash");
    Ran {
        ok: out.status.success(),
        printed: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        env_file: std::fs::read_to_string(env_file).unwrap_or_default(),
    }
}

fn exported(ran: &Ran, name: &str) -> bool {
    ran.env_file
        .lines()
        .any(|l| l.starts_with(&format!("{name}<<")))
}

// ---- item 1: a library's password is bound to that library ------------------------------------

/// Without a base (main: apply, drift), every method-2 library's own variable is exported and
/// nothing else, even when the JSON secret holds other systems' credentials.
#[test]
fn smtp_secrets_env_exports_each_librarys_own_variable() {
    let secrets = serde_json::json!({
        "MAILFORM_SMTP_PASSWORD_SPRINGFIELD": "springfield-pass",
        "AWS_SECRET_ACCESS_KEY": CANARY,
        "GITHUB_TOKEN": CANARY,
    });
    let cli = Cli::new().file("libraries/_platform.kdl", PLATFORM).file(
        "libraries/springfield.kdl",
        &smtp_library(
            "springfield",
            "smtp.springfield.example.org",
            &var("springfield"),
        ),
    );
    let ran = export(cli.path(), &secrets, None);
    assert!(ran.ok, "{}", ran.printed);
    assert!(
        ran.env_file
            .starts_with("MAILFORM_SMTP_PASSWORD_SPRINGFIELD<<"),
        "{}",
        ran.env_file
    );
    assert!(!ran.env_file.contains(CANARY), "{}", ran.env_file);
    assert!(!ran.printed.contains(CANARY), "{}", ran.printed);

    // A file naming another system's credential fails mailform's check: nothing is exported.
    let cli = Cli::new().file("libraries/_platform.kdl", PLATFORM).file(
        "libraries/springfield.kdl",
        &smtp_library(
            "springfield",
            "smtp.springfield.example.org",
            "AWS_SECRET_ACCESS_KEY",
        ),
    );
    let ran = export(cli.path(), &secrets, None);
    assert!(!ran.ok, "{}", ran.printed);
    assert_eq!(ran.env_file, "");
    assert!(!ran.printed.contains(CANARY), "{}", ran.printed);
}

/// A pull request that points a library at its own SMTP server must not get any password into
/// the job that the probe would send there. The attacks `grep` and `find -type f` missed: a
/// comment between `password` and `env=`, and a library file that is a symbolic link. A file
/// changed only in its comments still gets its password (compared as parsed files, not text),
/// and a changed platform file withholds everything.
#[test]
fn smtp_secrets_env_withholds_what_a_pull_request_could_redirect() {
    let secrets = serde_json::json!({
        "MAILFORM_SMTP_PASSWORD_SPRINGFIELD": format!("{CANARY}-springfield"),
        "MAILFORM_SMTP_PASSWORD_SHELBYVILLE": "shelbyville-pass",
        "MAILFORM_SMTP_PASSWORD_CAPITAL_CITY": format!("{CANARY}-capital"),
    });
    let dir = tempfile::tempdir().expect("tmp");
    let base = dir.path().join("base");
    let pr = dir.path().join("pr");
    for tree in [&base, &pr] {
        write(tree, "libraries/_platform.kdl", PLATFORM);
        for id in ["springfield", "shelbyville", "capital-city"] {
            write(
                tree,
                &format!("libraries/{id}.kdl"),
                &smtp_library(id, &format!("smtp.{id}.example.org"), &var(id)),
            );
        }
    }
    // Springfield's server is now the attacker's; the password node carries an inline
    // comment, which the grep of the old script did not see.
    write(
        &pr,
        "libraries/springfield.kdl",
        &smtp_library(
            "springfield",
            "smtp.attacker.example.net",
            &var("springfield"),
        )
        .replace("password env=", "password /* the usual */ env="),
    );
    // Shelbyville only gains a comment: the same file as parsed.
    write(
        &pr,
        "libraries/shelbyville.kdl",
        &format!(
            "// reviewed\n{}",
            smtp_library(
                "shelbyville",
                "smtp.shelbyville.example.org",
                &var("shelbyville")
            )
        ),
    );
    let ran = export(&pr, &secrets, Some("../base/libraries"));
    assert!(ran.ok, "{}", ran.printed);
    assert!(
        !exported(&ran, "MAILFORM_SMTP_PASSWORD_SPRINGFIELD"),
        "a changed file's password was exported:\n{}",
        ran.printed
    );
    assert!(
        ran.printed
            .contains("MAILFORM_SMTP_PASSWORD_SPRINGFIELD (springfield) is withheld (changed)"),
        "{}",
        ran.printed
    );
    assert!(
        exported(&ran, "MAILFORM_SMTP_PASSWORD_SHELBYVILLE"),
        "{}",
        ran.printed
    );
    assert!(
        exported(&ran, "MAILFORM_SMTP_PASSWORD_CAPITAL_CITY"),
        "{}",
        ran.printed
    );
    assert!(!ran.env_file.contains(&format!("{CANARY}-springfield")));

    // Capital City's file becomes a link to a text file beside it that says the same: what a
    // link points at is not what a review sees, so its password is withheld (or, where
    // mailform's reader refuses links, the step fails and exports nothing).
    std::fs::remove_file(pr.join("libraries/capital-city.kdl")).expect("rm");
    write(
        &pr,
        "libraries/capital-city.txt",
        &smtp_library(
            "capital-city",
            "smtp.capital-city.example.org",
            &var("capital-city"),
        ),
    );
    std::os::unix::fs::symlink("capital-city.txt", pr.join("libraries/capital-city.kdl"))
        .expect("symlink");
    let ran = export(&pr, &secrets, Some("../base/libraries"));
    assert!(
        !exported(&ran, "MAILFORM_SMTP_PASSWORD_CAPITAL_CITY"),
        "a linked file's password was exported:\n{}",
        ran.printed
    );
    assert!(!ran.env_file.contains(CANARY), "{}", ran.env_file);
    if ran.ok {
        assert!(
            ran.printed.contains(
                "MAILFORM_SMTP_PASSWORD_CAPITAL_CITY (capital-city) is withheld (not-a-regular-file)"
            ),
            "{}",
            ran.printed
        );
    }

    // A new library linked to a file that names another library's variable: refused by
    // mailform (the variable is not its own), so the step fails and exports nothing.
    std::fs::remove_file(pr.join("libraries/capital-city.kdl")).expect("rm");
    write(
        &pr,
        "libraries/capital-city.kdl",
        &smtp_library(
            "capital-city",
            "smtp.capital-city.example.org",
            &var("capital-city"),
        ),
    );
    write(
        &pr,
        "libraries/mallory.txt",
        &smtp_library(
            "mallory",
            "smtp.attacker.example.net",
            "MAILFORM_SMTP_PASSWORD_CAPITAL_CITY",
        ),
    );
    std::os::unix::fs::symlink("mallory.txt", pr.join("libraries/mallory.kdl")).expect("symlink");
    let ran = export(&pr, &secrets, Some("../base/libraries"));
    assert!(!ran.ok, "{}", ran.printed);
    assert_eq!(ran.env_file, "", "{}", ran.printed);
    assert!(!ran.printed.contains(CANARY), "{}", ran.printed);
    std::fs::remove_file(pr.join("libraries/mallory.kdl")).expect("rm");

    // A changed platform file withholds every password.
    write(
        &pr,
        "libraries/_platform.kdl",
        &PLATFORM.replace("notice-period-days 14", "notice-period-days 15"),
    );
    let ran = export(&pr, &secrets, Some("../base/libraries"));
    assert!(ran.ok, "{}", ran.printed);
    assert_eq!(ran.env_file, "", "{}", ran.printed);
    assert!(
        ran.printed.contains("SMTP password variables set: none"),
        "{}",
        ran.printed
    );
}

/// `mailform secrets --format json` follows its schema, and says why each variable is withheld.
#[test]
fn secrets_json_follows_its_schema() {
    let cli = Cli::new()
        .file("base/_platform.kdl", PLATFORM)
        .file(
            "base/springfield.kdl",
            &smtp_library(
                "springfield",
                "smtp.springfield.example.org",
                &var("springfield"),
            ),
        )
        .file("libraries/_platform.kdl", PLATFORM)
        .file(
            "libraries/springfield.kdl",
            &smtp_library(
                "springfield",
                "smtp.springfield.example.org",
                &var("springfield"),
            ),
        )
        .file(
            "libraries/new-town.kdl",
            &smtp_library("new-town", "smtp.new-town.example.org", &var("new-town")),
        )
        .args(["secrets", "--format", "json", "--base", "base"]);
    let out = cli.run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let problems = crate::support::json_schema::problems("secrets.schema.json", &json);
    assert!(problems.is_empty(), "{problems:?}\n{json:#}");
    let reasons: Vec<(String, String, bool)> = json["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (
                v["variable"].as_str().unwrap().to_string(),
                v["reason"].as_str().unwrap().to_string(),
                v["export"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "MAILFORM_SMTP_PASSWORD_NEW_TOWN".into(),
                "new".into(),
                false
            ),
            (
                "MAILFORM_SMTP_PASSWORD_SPRINGFIELD".into(),
                "unchanged".into(),
                true
            ),
        ]
    );
}

// ---- the workflows' YAML ---------------------------------------------------------------------

fn workflow(name: &str) -> Yaml {
    let path = repo().join(format!(".github/workflows/{name}.yml"));
    let text = std::fs::read_to_string(&path).expect("workflow");
    YamlLoader::load_from_str(&text)
        .expect("YAML")
        .into_iter()
        .next()
        .expect("one document")
}

fn job<'a>(workflow: &'a Yaml, name: &str) -> &'a Yaml {
    let job = &workflow["jobs"][name];
    assert!(!job.is_badvalue(), "no job {name}");
    job
}

/// The `run:` text of the step called `name` in `job`.
fn step_run(job: &Yaml, name: &str) -> String {
    job["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("no step {name} with run:"))
        .to_string()
}

/// Runs a step's text as GitHub runs a `run:` (bash -e -o pipefail) in `dir` with `env`, and
/// the job's files in `files`.
fn run_step(text: &str, dir: &Path, files: &Path, env: &[(&str, &str)]) -> Ran {
    std::fs::create_dir_all(files).expect("mkdir");
    let script = files.join("step.sh");
    std::fs::write(&script, text).expect("write");
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(dir)
        .env("GITHUB_ENV", files.join("github_env"))
        .env("GITHUB_OUTPUT", files.join("github_output"))
        .env("GITHUB_STEP_SUMMARY", files.join("summary.md"))
        .env("GITHUB_RUN_ID", "1")
        .env("GITHUB_SHA", "0123456789abcdef0123")
        .env("GITHUB_SERVER_URL", "https://github.invalid")
        .env("GITHUB_REPOSITORY", "o/r");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("bash");
    Ran {
        ok: out.status.success(),
        printed: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        env_file: std::fs::read_to_string(files.join("github_output")).unwrap_or_default(),
    }
}

/// A stand-in for mailform that exits with `code` (and answers a JSON plan when asked for one
/// without `--detailed-exitcode`, as the drift step does next).
fn fake_mailform(dir: &Path, code: i32) -> std::path::PathBuf {
    let path = dir.join(format!("fake-mailform-{code}"));
    std::fs::write(
        &path,
        format!(
            "#!/usr/bin/env bash\ncase \" $* \" in *' --detailed-exitcode '*|*' apply '*|*' notify '*|*' drain '*) exit {code} ;; esac\necho '{{\"libraries\": []}}'\n"
        ),
    )
    .expect("write");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    path
}

// ---- item 6: the required check fails closed --------------------------------------------------

/// Every step that runs mailform accepts exactly the exit codes it expects: a binary that
/// cannot be executed (126), is missing (127), or fails in an undocumented way must fail it.
#[test]
fn steps_that_run_mailform_accept_only_their_expected_exit_codes() {
    let plan = workflow("plan");
    let apply = workflow("apply");
    let drift = workflow("drift");
    let pr_plan = step_run(
        job(&plan, "plan-fork"),
        "mailform plan (the base's binary, the pull request's libraries/)",
    );
    let cases: Vec<(&str, String, Vec<i32>)> = vec![
        ("plan.yml plan", pr_plan, vec![0, 2, 3, 4]),
        (
            "apply.yml plan",
            step_run(job(&apply, "plan"), "mailform plan"),
            vec![0, 2, 3, 4],
        ),
        (
            "apply.yml apply",
            step_run(
                job(&apply, "apply"),
                "mailform apply (the approved plan file)",
            ),
            vec![0, 4],
        ),
        (
            "apply.yml notify",
            step_run(job(&apply, "apply"), "mailform notify"),
            vec![0, 4],
        ),
        (
            "drift.yml plan",
            step_run(job(&drift, "drift"), "mailform plan against the snapshot"),
            vec![0, 2, 3, 4],
        ),
        (
            "drift.yml events drain",
            step_run(job(&drift, "events"), "mailform events drain"),
            vec![0],
        ),
        (
            "drift.yml notify",
            step_run(
                job(&drift, "notify"),
                "mailform notify (from the snapshot; each notice once)",
            ),
            vec![0, 4],
        ),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    let work = dir.path().join("work");
    write(
        &work,
        "pr/libraries/_platform.kdl",
        "platform {\n    notices {\n    }\n}\n",
    );
    write(
        &work,
        "libraries/_platform.kdl",
        "platform {\n    notices {\n    }\n}\n",
    );
    write(&work, "changed.txt", "");
    let mut wrong = vec![];
    for (what, text, expected) in &cases {
        for code in [0, 1, 2, 3, 4, 5, 126, 127] {
            let fake = fake_mailform(dir.path(), code);
            let out_dir = dir.path().join(format!("out-{code}"));
            std::fs::create_dir_all(&out_dir).expect("mkdir");
            std::fs::write(out_dir.join("changed.txt"), "").expect("write");
            let step_dir = if what.starts_with("plan.yml") {
                work.join("pr")
            } else {
                work.clone()
            };
            let ran = run_step(
                text,
                &step_dir,
                &dir.path().join(format!("job-{code}")),
                &[
                    ("MAILFORM", fake.to_str().unwrap()),
                    ("OUT", out_dir.to_str().unwrap()),
                    ("FORK", "false"),
                    ("SNAPSHOT_FOUND", "false"),
                    ("PR", "7"),
                    ("HEAD_SHA", "0123456789abcdef"),
                    ("BASE_SHA", "fedcba9876543210"),
                    ("RUNNER_TEMP", dir.path().to_str().unwrap()),
                ],
            );
            if ran.ok != expected.contains(&code) {
                wrong.push(format!(
                    "{what}: exit {code} {} the step\n{}",
                    if ran.ok { "passed" } else { "failed" },
                    ran.printed
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A pull request that removes 70,000 library files: the list of changed files overflows any
/// argument list (exit 126 from bash, which the old step let pass as a green check). The real
/// steps (the changed-files step, then the plan step of a fork's job) with the built mailform
/// plan it through `--changed-from`.
#[test]
fn a_pull_request_of_70000_files_is_planned_not_waved_through() {
    let plan = workflow("plan");
    let fork = job(&plan, "plan-fork");
    let changed_step = step_run(fork, "The library files this pull request changes");
    let plan_step = step_run(
        fork,
        "mailform plan (the base's binary, the pull request's libraries/)",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let work = dir.path().join("work");
    // The base's scripts, the base tree of 70,000 (tiny) files, the pull request's tree.
    std::fs::create_dir_all(&work).expect("mkdir");
    std::os::unix::fs::symlink(repo().join(".github"), work.join(".github")).expect("link");
    let base = work.join("libraries");
    std::fs::create_dir_all(&base).expect("mkdir");
    for i in 0..70_000 {
        std::fs::File::create(base.join(format!("l{i:05}.kdl"))).expect("create");
    }
    write(&work, "pr/libraries/_platform.kdl", PLATFORM);
    write(
        &work,
        "pr/libraries/springfield.kdl",
        "library \"springfield\" {\n    name \"Springfield\"\n    it-contact \"it@springfield.example.org\"\n\n    ses-domain {\n        from \"noreply@springfield.example.org\"\n    }\n}\n",
    );
    write(
        &work,
        "live.json",
        r#"{"version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
 "ses": {"account": {"production_access": true, "sending_enabled": true, "max_24_hour_send": null, "max_send_rate": null}, "identities": [], "configuration_sets": []},
 "registrar": {"domains": [], "operations": [], "availability": [], "prices": []},
 "route53": {"hosted_zones": []}, "libraries": []}"#,
    );
    let out = dir.path().join("out");
    let mailform = bin();
    let env = [
        ("MAILFORM", mailform.to_str().unwrap()),
        ("OUT", out.to_str().unwrap()),
        ("FORK", "true"),
        ("SNAPSHOT_FOUND", "true"),
        ("PR", "7"),
        ("HEAD_SHA", "0123456789abcdef"),
        ("BASE_SHA", "fedcba9876543210"),
    ];
    let files = dir.path().join("job");
    let ran = run_step(&changed_step, &work, &files, &env);
    assert!(ran.ok, "{}", ran.printed);
    let changed = std::fs::read_to_string(out.join("changed.txt")).expect("changed.txt");
    // The 70,000 removed, and the two files the base did not have.
    assert_eq!(changed.lines().count(), 70_002);

    let ran = run_step(&plan_step, &work.join("pr"), &files, &env);
    assert!(ran.ok, "{}", ran.printed);
    assert!(ran.env_file.contains("exit=2\n"), "{}", ran.env_file);
    let comment = std::fs::read_to_string(out.join("comment.md")).expect("comment");
    assert!(comment.contains("(exit 2)"), "{comment}");
    // Every changed library reached mailform: the 70,000 removed and springfield.
    assert!(
        comment.contains("Libraries this pull request changes (70001)"),
        "{comment}"
    );
}

// ---- item 10: forks never sit in the privileged job -------------------------------------------

fn checkout_of_the_pull_request(job: &Yaml) -> &Yaml {
    job["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
                && s["with"]["path"].as_str() == Some("pr")
        })
        .expect("a checkout of the pull request")
}

/// The fork's job has no environment (so no environment secret), no `id-token`, no write
/// permission, references no secret, and checks out `libraries/` of the pull request only; the
/// sparse-checkout patterns, applied by git to a tree with root-level files, bring nothing else.
/// The required check `plan` passes only when the job for the pull request's kind succeeded.
#[test]
fn forks_plan_outside_the_privileged_job() {
    let plan = workflow("plan");
    let fork = job(&plan, "plan-fork");
    assert!(fork["environment"].is_badvalue(), "{fork:?}");
    let permissions = fork["permissions"].as_hash().expect("permissions");
    assert_eq!(permissions.len(), 1, "{permissions:?}");
    assert_eq!(fork["permissions"]["contents"].as_str(), Some("read"));
    let text = std::fs::read_to_string(repo().join(".github/workflows/plan.yml")).expect("read");
    let fork_text = &text[text.find("\n  plan-fork:").expect("plan-fork")..];
    let fork_text = &fork_text[..fork_text[1..].find("\n  plan:").expect("gate") + 1];
    assert!(!fork_text.contains("secrets."), "{fork_text}");
    assert!(!fork_text.contains("id-token"), "{fork_text}");
    assert!(
        fork["if"]
            .as_str()
            .is_some_and(|c| c.contains("!= github.repository")),
        "{fork:?}"
    );
    let live = job(&plan, "plan-live");
    assert!(
        live["if"]
            .as_str()
            .is_some_and(|c| c.contains("== github.repository")),
        "{live:?}"
    );

    // The steps both jobs share are the same text.
    for step in [
        "The library files this pull request changes",
        "mailform fmt --check and validate (annotations on the changed lines)",
        "mailform plan (the base's binary, the pull request's libraries/)",
    ] {
        assert_eq!(step_run(fork, step), step_run(live, step), "{step}");
    }

    // Both jobs check out the pull request's libraries/ only, and git agrees.
    for job in [fork, live] {
        let with = &checkout_of_the_pull_request(job)["with"];
        assert_eq!(with["sparse-checkout-cone-mode"].as_bool(), Some(false));
        let patterns = with["sparse-checkout"].as_str().expect("patterns");
        let dir = tempfile::tempdir().expect("tmp");
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.org")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.org")
                .output()
                .expect("git");
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        git(&["init", "-q", "."]);
        for file in [
            "libraries/a.kdl",
            "Cargo.toml",
            "build.rs",
            "evil.txt",
            ".github/smtp-secrets-env.sh",
            "src/main.rs",
            "x/libraries/b.kdl",
        ] {
            write(dir.path(), file, "x\n");
        }
        git(&["add", "-A"]);
        git(&["commit", "-qm", "pr"]);
        // What actions/checkout does without cone mode: the patterns, one a line.
        git(&["config", "core.sparseCheckout", "true"]);
        write(
            dir.path(),
            ".git/info/sparse-checkout",
            &format!("{patterns}\n"),
        );
        git(&["read-tree", "-mu", "HEAD"]);
        let listing = Command::new("find")
            .args([".", "-type", "f", "-not", "-path", "./.git/*"])
            .current_dir(dir.path())
            .output()
            .expect("find");
        let listing = String::from_utf8_lossy(&listing.stdout);
        assert_eq!(listing.trim(), "./libraries/a.kdl", "{patterns}");
    }

    // The gate: the right job succeeded and the other was skipped, or the check fails.
    let gate = job(&plan, "plan");
    assert_eq!(gate["name"].as_str(), Some("plan"));
    assert_eq!(gate["if"].as_str(), Some("always()"));
    let text = step_run(gate, "The plan for this pull request's kind succeeded");
    let dir = tempfile::tempdir().expect("tmp");
    for (fork, live, offline, ok) in [
        ("false", "success", "skipped", true),
        ("true", "skipped", "success", true),
        ("false", "skipped", "skipped", false),
        ("true", "skipped", "skipped", false),
        ("true", "success", "skipped", false),
        ("false", "failure", "skipped", false),
        ("true", "skipped", "cancelled", false),
        ("false", "success", "success", false),
    ] {
        let ran = run_step(
            &text,
            dir.path(),
            &dir.path().join("job"),
            &[("FORK", fork), ("LIVE", live), ("OFFLINE", offline)],
        );
        assert_eq!(ran.ok, ok, "{fork}/{live}/{offline}: {}", ran.printed);
    }
}
