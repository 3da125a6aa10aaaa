//! `mailform new` through the binary: each method's file and checklist, the file valid and
//! canonical as written with each placeholder warned of, `plan`, `apply` and `notify` refusing
//! it until every placeholder is replaced, and refusals of a bad id and of an existing file.

use crate::snap;
use crate::support::cli::Cli;

fn run(cli: &Cli, args: &[&str]) -> crate::support::cli::Output {
    Cli::reuse(cli, args.iter().map(|s| s.to_string()).collect()).run()
}

#[test]
fn each_method_gets_a_valid_canonical_file_and_the_setup_documents_list() {
    for (method, id) in [
        ("ses-domain", "springfield"),
        ("smtp-account", "capital-city"),
        ("managed-domain", "ogdenville"),
    ] {
        let cli = Cli::with_platform();
        let out = run(&cli, &["new", id, "--method", method]);
        assert_eq!(out.code, 0, "{}", out.all());
        assert_eq!(out.stderr, "");
        let file = cli.read(&format!("libraries/{id}.kdl"));
        snap!("new", format!("{method}-file"), file.clone());
        snap!("new", format!("{method}-checklist"), out.stdout);

        // Every placeholder is under a TODO(operator) line.
        let lines: Vec<&str> = file.lines().collect();
        for (i, line) in lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains(".invalid"))
        {
            assert!(
                lines[i - 1].contains("// TODO(operator):"),
                "{line}\n{file}"
            );
        }
        // Valid as written; each placeholder is a warning at its value, so `--deny-warnings`
        // (and `plan`, below) refuses the file until the library's answers are in.
        let placeholders = file.matches(".invalid\"").count();
        let validate = run(&cli, &["validate"]);
        assert_eq!(validate.code, 0, "{}", validate.all());
        assert_eq!(
            validate.stderr.matches("config::placeholder").count(),
            placeholders,
            "{}",
            validate.stderr
        );
        assert!(
            validate
                .stderr
                .contains(&format!("0 errors, {placeholders} warnings")),
            "{}",
            validate.stderr
        );
        let strict = run(&cli, &["validate", "--deny-warnings"]);
        assert_eq!(strict.code, 1, "{}", strict.all());
        let fmt = run(&cli, &["fmt", "--check"]);
        assert_eq!(fmt.code, 0, "{}", fmt.all());
        assert_eq!(fmt.stdout, "");
    }
}

/// What `plan`, `apply` and `notify` say of a new file: each placeholder as an error at its
/// value, and how many are left.
#[cfg(feature = "sandbox")]
fn assert_refused(out: &crate::support::cli::Output, values: &[&str]) {
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "", "nothing planned or done");
    assert_eq!(
        out.stderr.matches("config::placeholder").count(),
        values.len(),
        "{}",
        out.stderr
    );
    for value in values {
        assert!(
            out.stderr.contains(&format!(
                "× `{value}` is a placeholder left from `mailform new`"
            )),
            "{value}\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains(&format!(
            "{} placeholders are left from `mailform new` or `mailform import`: write the library's answers in their place first",
            values.len()
        )),
        "{}",
        out.stderr
    );
}

#[cfg(feature = "sandbox")]
#[test]
fn plan_apply_and_notify_refuse_a_new_file_until_its_placeholders_are_replaced() {
    let cli = Cli::with_platform();
    let out = run(&cli, &["new", "springfield", "--method", "ses-domain"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let sandbox = ["--sandbox", "--sandbox-dir", "sbx", "--today", "2026-11-26"];
    let values = ["it@springfield.invalid", "noreply@springfield.invalid"];

    let plan = run(&cli, &[&["plan"][..], &sandbox].concat());
    assert_refused(&plan, &values);
    assert!(
        plan.stderr.contains("╭─[libraries/springfield.kdl:6:16]"),
        "{}",
        plan.stderr
    );
    let apply = run(&cli, &[&["apply", "--auto-approve"][..], &sandbox].concat());
    assert_refused(&apply, &values);
    let notify = run(&cli, &["notify", "--sandbox", "--sandbox-dir", "sbx"]);
    assert_refused(&notify, &values);
    // Refused before any live service was opened: the sandbox was never started.
    assert!(!cli.path().join("sbx").exists());

    // One answer in, one left: still refused, for the one left.
    let path = cli.path().join("libraries/springfield.kdl");
    let text = cli.read("libraries/springfield.kdl");
    let half = text.replace("it@springfield.invalid", "it@springfield.example.org");
    std::fs::write(&path, &half).unwrap();
    let plan = run(&cli, &[&["plan"][..], &sandbox].concat());
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert_eq!(plan.stderr.matches("config::placeholder").count(), 1);
    assert!(
        plan.stderr
            .contains("1 placeholder is left from `mailform new`"),
        "{}",
        plan.stderr
    );

    // Every answer in: the file plans, and validate has nothing to say.
    let done: String = half
        .replace("springfield.invalid", "springfield.example.org")
        .lines()
        .filter(|l| !l.contains("TODO(operator)"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, &done).unwrap();
    let validate = run(&cli, &["validate", "--deny-warnings"]);
    assert_eq!(validate.code, 0, "{}", validate.all());
    let plan = run(&cli, &[&["plan"][..], &sandbox].concat());
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.stdout
            .contains("+ ses-identity springfield.example.org"),
        "{}",
        plan.stdout
    );
}

#[test]
fn the_password_variable_follows_the_platforms_prefix() {
    let platform = crate::support::cli::PLATFORM.replacen(
        "platform {\n",
        "platform {\n    smtp-password-env-prefix \"LIBRARY_SMTP_\"\n",
        1,
    );
    let cli = Cli::new().file("libraries/_platform.kdl", &platform);
    let out = run(
        &cli,
        &["new", "north-haverbrook", "--method", "smtp-account"],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let file = cli.read("libraries/north-haverbrook.kdl");
    assert!(
        file.contains("password env=\"LIBRARY_SMTP_NORTH_HAVERBROOK\""),
        "{file}"
    );
    assert!(out.stdout.contains("set LIBRARY_SMTP_NORTH_HAVERBROOK"));
    let validate = run(&cli, &["validate"]);
    assert_eq!(validate.code, 0, "{}", validate.all());
}

#[test]
fn a_bad_id_and_an_existing_file_are_refused_and_nothing_is_overwritten() {
    let cli = Cli::with_platform().file("libraries/springfield.kdl", "// mine\n");
    for bad in ["Springfield", "-springfield", "spring_field", ""] {
        let out = run(&cli, &["new", "--method", "ses-domain", "--", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.all());
        assert!(out.stderr.contains("new::invalid-id"), "{}", out.stderr);
        assert!(
            out.stderr.contains("cannot be a library id"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
    let out = run(&cli, &["new", "springfield", "--method", "managed-domain"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr
            .contains("libraries/springfield.kdl exists; `mailform new` never overwrites a file"),
        "{}",
        out.stderr
    );
    assert_eq!(cli.read("libraries/springfield.kdl"), "// mine\n");
    let names: Vec<String> = std::fs::read_dir(cli.path().join("libraries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
