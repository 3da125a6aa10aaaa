//! The workflows' shell scripts, run as a job would run them.

use std::process::Command;

use crate::support::cli::{CANARY, Cli, PLATFORM, repo};

fn smtp_library(id: &str, env: &str) -> String {
    format!(
        "library \"{id}\" {{\n    smtp-account {{\n        password env=\"{env}\"\n    }}\n}}\n"
    )
}

/// Runs `.github/smtp-secrets-env.sh` on the files of `cli` and returns what it printed and
/// what it put into the job's environment file.
fn export(cli: &Cli, secrets: &serde_json::Value) -> (bool, String, String) {
    export_changed(cli, secrets, None)
}

/// As `export`, for a pull request that changes the files listed in `changed`.
fn export_changed(
    cli: &Cli,
    secrets: &serde_json::Value,
    changed: Option<&str>,
) -> (bool, String, String) {
    let env_file = cli.path().join("github_env");
    let _ = std::fs::remove_file(&env_file);
    let mut command = Command::new("bash");
    command
        .arg(repo().join(".github/smtp-secrets-env.sh"))
        .arg("libraries");
    if let Some(changed) = changed {
        std::fs::write(cli.path().join("changed.txt"), changed).expect("write");
        command.arg("changed.txt");
    }
    let out = command
        .current_dir(cli.path())
        .env("GITHUB_ENV", &env_file)
        .env("MAILFORM_SMTP_SECRETS", secrets.to_string())
        .output()
        .expect("bash");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read_to_string(env_file).unwrap_or_default();
    (out.status.success(), printed, exported)
}

#[test]
fn smtp_secrets_env_exports_only_the_platforms_password_variables() {
    let secrets = serde_json::json!({
        "MAILFORM_SMTP_PASSWORD_SPRINGFIELD": "springfield-pass",
        "AWS_SECRET_ACCESS_KEY": CANARY,
        "GITHUB_TOKEN": CANARY,
        "SHELBYVILLE_PASS": CANARY,
    });
    let cli = Cli::new()
        .file("libraries/_platform.kdl", PLATFORM)
        .file(
            "libraries/springfield.kdl",
            &smtp_library("springfield", "MAILFORM_SMTP_PASSWORD_SPRINGFIELD"),
        )
        .file(
            "libraries/a.kdl",
            &smtp_library("a", "AWS_SECRET_ACCESS_KEY"),
        )
        .file("libraries/g.kdl", &smtp_library("g", "GITHUB_TOKEN"))
        .file("libraries/s.kdl", &smtp_library("s", "SHELBYVILLE_PASS"));
    let (ok, printed, exported) = export(&cli, &secrets);
    assert!(ok, "{printed}");
    assert!(
        exported.starts_with("MAILFORM_SMTP_PASSWORD_SPRINGFIELD<<"),
        "{exported}"
    );
    assert!(!exported.contains(CANARY), "{exported}");
    assert!(!printed.contains(CANARY), "{printed}");
    assert!(
        printed.contains("AWS_SECRET_ACCESS_KEY is not an SMTP password variable"),
        "{printed}"
    );

    // A platform prefix of another system's credentials exports nothing at all.
    let platform = PLATFORM.replace(
        "    notice-period-days 14\n",
        "    notice-period-days 14\n    smtp-password-env-prefix \"AWS_\"\n",
    );
    let cli = Cli::new().file("libraries/_platform.kdl", &platform).file(
        "libraries/a.kdl",
        &smtp_library("a", "AWS_SECRET_ACCESS_KEY"),
    );
    let (ok, printed, exported) = export(&cli, &secrets);
    assert!(!ok, "{printed}");
    assert_eq!(exported, "");
    assert!(!printed.contains(CANARY), "{printed}");
}

/// A pull request that points a library at its own SMTP server while naming another library's
/// password variable must not get that password into the job: every name a changed file
/// references is withheld, and a changed platform file withholds all.
#[test]
fn smtp_secrets_env_withholds_the_passwords_a_pull_request_names() {
    let secrets = serde_json::json!({
        "MAILFORM_SMTP_PASSWORD_SPRINGFIELD": CANARY,
        "MAILFORM_SMTP_PASSWORD_SHELBYVILLE": "shelbyville-pass",
    });
    let cli = Cli::new()
        .file("libraries/_platform.kdl", PLATFORM)
        .file(
            "libraries/springfield.kdl",
            &smtp_library("springfield", "MAILFORM_SMTP_PASSWORD_SPRINGFIELD"),
        )
        .file(
            "libraries/shelbyville.kdl",
            &smtp_library("shelbyville", "MAILFORM_SMTP_PASSWORD_SHELBYVILLE"),
        )
        .file(
            "libraries/mallory.kdl",
            &smtp_library("mallory", "MAILFORM_SMTP_PASSWORD_SPRINGFIELD"),
        );
    let (ok, printed, exported) = export_changed(
        &cli,
        &secrets,
        Some("libraries/mallory.kdl\nlibraries/removed.kdl\n"),
    );
    assert!(ok, "{printed}");
    assert!(
        exported.starts_with("MAILFORM_SMTP_PASSWORD_SHELBYVILLE<<"),
        "{exported}"
    );
    assert!(!exported.contains(CANARY), "{exported}");
    assert!(
        printed.contains(
            "MAILFORM_SMTP_PASSWORD_SPRINGFIELD is named by a library file this pull request changes"
        ),
        "{printed}"
    );

    let (ok, printed, exported) = export_changed(&cli, &secrets, Some("libraries/_platform.kdl\n"));
    assert!(ok, "{printed}");
    assert_eq!(exported, "");
    assert!(
        printed.contains("SMTP password variables set: none"),
        "{printed}"
    );
}
