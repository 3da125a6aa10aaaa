//! A secret value (an SMTP password) that cannot leak by accident.
//!
//! `Secret` prints as `<redacted>` through both `Debug` and `Display`, has no
//! `Serialize`, and is read only through [`Secret::expose`], so every place
//! that touches the real value is easy to find with grep.

use std::fmt;

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
    fn present_variable_is_read() {
        let s = Secret::from_lookup("X", |_| Ok("v".into())).unwrap();
        assert_eq!(s.expose(), "v");
    }
}
