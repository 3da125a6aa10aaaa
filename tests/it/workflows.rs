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
    let env_file = cli.path().join("github_env");
    let out = Command::new("bash")
        .arg(repo().join(".github/smtp-secrets-env.sh"))
        .arg("libraries")
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
