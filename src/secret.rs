//! A secret value (an SMTP password) that cannot leak by accident.
//!
//! `Secret` prints as `<redacted>` through both `Debug` and `Display`, has no
//! `Serialize`, and is read only through [`Secret::expose`], so every place
//! that touches the real value is easy to find with grep.
//!
//! It also says which environment variables may hold an SMTP password at all: a library file
//! names the variable, and the probe sends its value to a server the same file names, so a
//! file must never be able to name the runner's cloud, CI or registry credentials.

use std::fmt;

/// The prefix every SMTP password variable has unless the platform file sets another
/// (`smtp-password-env-prefix`). Not `MAILFORM_SMTP_`, which would take in the CI secret
/// `MAILFORM_SMTP_SECRETS` that holds every library's password.
pub const DEFAULT_SMTP_PASSWORD_ENV_PREFIX: &str = "MAILFORM_SMTP_PASSWORD_";

/// The one variable that may hold library `id`'s SMTP password: the platform's prefix and the
/// id in capitals, `-` as `_` (`springfield-public` → `MAILFORM_SMTP_PASSWORD_SPRINGFIELD_PUBLIC`).
///
/// Derived, never chosen by the library's file: the probe sends the value to the server that
/// file names, so a file that could name a variable could have another library's password sent
/// to a server of its own. Ids are lower-case letters, digits and `-`, so two ids never share
/// a variable.
pub fn library_password_env(id: &str, prefix: &str) -> String {
    format!("{prefix}{}", id.replace('-', "_").to_ascii_uppercase())
}

/// Variables that hold credentials of other systems, or steer the process. Never a password
/// variable, whatever the platform's prefix.
const REFUSED_NAMES: &[&str] = &[
    "HOME",
    "PATH",
    "USER",
    "LOGNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    "TMPDIR",
    "MAIL",
    "NETRC",
    "MAILFORM_SMTP_SECRETS",
    "CARGO_REGISTRY_TOKEN",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "HEROKU_API_KEY",
    "DATABASE_URL",
    "KUBECONFIG",
];

/// Families of variables refused for the same reason: cloud and CI credentials, registries,
/// signing keys, the dynamic loader.
const REFUSED_PREFIXES: &[&str] = &[
    "AWS_",
    "AMAZON_",
    "GITHUB_",
    "GH_",
    "ACTIONS_",
    "RUNNER_",
    "CI_",
    "GITLAB_",
    "BUILDKITE_",
    "CIRCLE_",
    "TRAVIS_",
    "AZURE_",
    "ARM_",
    "GOOGLE_",
    "GCP_",
    "GCLOUD_",
    "CLOUDSDK_",
    "SSH_",
    "GPG_",
    "GNUPG",
    "CARGO_",
    "NPM_",
    "YARN_",
    "PIP_",
    "TWINE_",
    "PYPI_",
    "DOCKER_",
    "KUBE_",
    "VAULT_",
    "TF_",
    "LD_",
    "DYLD_",
];

/// Why a variable may not hold an SMTP password, if it may not.
pub fn refused_env_var(name: &str) -> Option<String> {
    if REFUSED_NAMES.contains(&name) {
        return Some(format!("{name} is not a password variable"));
    }
    REFUSED_PREFIXES
        .iter()
        .find(|p| name.starts_with(*p))
        .map(|p| format!("variables starting with {p} hold other systems' credentials or settings"))
}

/// Why `prefix` cannot be the platform's password-variable prefix, if it cannot: it must be a
/// variable name, and may not reach into a refused name or family, nor be part of one
/// (`GIT` would take in `GITHUB_TOKEN`).
pub fn refused_env_prefix(prefix: &str) -> Option<String> {
    let overlaps = |refused: &str| refused.starts_with(prefix) || prefix.starts_with(refused);
    if let Some(p) = REFUSED_PREFIXES.iter().find(|p| overlaps(p)) {
        return Some(format!(
            "`{prefix}` overlaps {p}…, which holds other systems' credentials"
        ));
    }
    REFUSED_NAMES
        .iter()
        .find(|n| n.starts_with(prefix))
        .map(|n| format!("`{prefix}` would take in {n}, which is not a password variable"))
}

/// The text shown wherever a secret would otherwise appear.
pub const REDACTED: &str = "<redacted>";

/// A secret string, such as an SMTP password.
///
/// Deliberately not `PartialEq`: code has no business comparing secrets.
#[derive(Clone)]
pub struct Secret(String);

/// Why a secret could not be read from the environment.
///
/// Carries the variable's name only, never any part of its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {name} is not set: export it with the password")]
    Missing { name: String },
    #[error("environment variable {name} is not valid unicode: set it to a text password")]
    NotUnicode { name: String },
    #[error("environment variable {name} is empty: set it to the password")]
    Empty { name: String },
    #[error(
        "environment variable {name} may not hold an SMTP password ({why}): use a variable of your own, e.g. {DEFAULT_SMTP_PASSWORD_ENV_PREFIX}LIBRARY"
    )]
    Refused { name: String, why: String },
}

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Reads the secret from the environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self, SecretError> {
        Self::from_lookup(name, |n| std::env::var(n))
    }

    /// Like [`Secret::from_env`] with the lookup passed in, so it can be tested
    /// without touching the process environment.
    pub fn from_lookup(
        name: &str,
        lookup: impl FnOnce(&str) -> Result<String, std::env::VarError>,
    ) -> Result<Self, SecretError> {
        let name_owned = || name.to_string();
        // Refused before the variable is read: its value never enters the process's data.
        if let Some(why) = refused_env_var(name) {
            return Err(SecretError::Refused {
                name: name_owned(),
                why,
            });
        }
        match lookup(name) {
            Ok(v) if v.is_empty() => Err(SecretError::Empty { name: name_owned() }),
            Ok(v) => Ok(Secret(v)),
            Err(std::env::VarError::NotPresent) => Err(SecretError::Missing { name: name_owned() }),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(SecretError::NotUnicode { name: name_owned() })
            }
        }
    }

    /// The real value. Every call site is a place the secret can leave from.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::env::VarError;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2-canary");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2-canary");
    }

    #[test]
    fn missing_variable_is_named_without_value() {
        let err = Secret::from_lookup("SMTP_PASS", |_| Err(VarError::NotPresent)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable SMTP_PASS is not set: export it with the password"
        );
        let err = Secret::from_lookup("SMTP_PASS", |_| Ok(String::new())).unwrap_err();
        assert_eq!(
            err,
            SecretError::Empty {
                name: "SMTP_PASS".into()
            }
        );
    }

    #[test]
    fn credentials_of_other_systems_are_refused_unread() {
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "HOME",
            "PATH",
            "SSH_AUTH_SOCK",
            "CARGO_REGISTRY_TOKEN",
            "NPM_TOKEN",
            "MAILFORM_SMTP_SECRETS",
        ] {
            let err = Secret::from_lookup(name, |_| panic!("{name} was read")).unwrap_err();
            assert!(matches!(err, SecretError::Refused { .. }), "{name}");
        }
        assert!(refused_env_var("MAILFORM_SMTP_PASSWORD_SPRINGFIELD").is_none());
    }

    #[test]
    fn a_prefix_may_not_reach_into_refused_variables() {
        assert_eq!(refused_env_prefix(DEFAULT_SMTP_PASSWORD_ENV_PREFIX), None);
        assert_eq!(refused_env_prefix("LIBRARY_SMTP_"), None);
        for prefix in [
            "AWS_",
            "AWS_SMTP_",
            "A",
            "GIT",
            "MAILFORM_SMTP_",
            "MAILFORM_",
            "HO",
            "CI_X",
        ] {
            assert!(refused_env_prefix(prefix).is_some(), "{prefix}");
        }
    }

    #[test]
    fn a_librarys_variable_is_its_id_in_capitals() {
        assert_eq!(
            library_password_env("springfield-public", DEFAULT_SMTP_PASSWORD_ENV_PREFIX),
            "MAILFORM_SMTP_PASSWORD_SPRINGFIELD_PUBLIC"
        );
        assert_eq!(
            library_password_env("a-1", "LIBRARY_SMTP_"),
            "LIBRARY_SMTP_A_1"
        );
    }

    #[test]
    fn present_variable_is_read() {
        let s = Secret::from_lookup("X", |_| Ok("v".into())).unwrap();
        assert_eq!(s.expose(), "v");
    }
}
