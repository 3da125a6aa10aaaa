//! `mailform new` through the binary: each method's file and checklist, the file valid and
//! canonical as written, and refusals of a bad id and of an existing file.

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
        let validate = run(&cli, &["validate", "--deny-warnings"]);
        assert_eq!(validate.code, 0, "{}", validate.all());
        let fmt = run(&cli, &["fmt", "--check"]);
        assert_eq!(fmt.code, 0, "{}", fmt.all());
        assert_eq!(fmt.stdout, "");
    }
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
