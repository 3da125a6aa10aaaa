//! Google accounts (setup document, Appendix A): which hosts are Google's,
//! and the checks that need no network.

use super::GoogleAuthMode;
use super::outcome::{Stage, StageOutcome};
use crate::secret::Secret;

/// Is this one of Google's SMTP hosts (smtp.gmail.com, smtp.googlemail.com,
/// smtp-relay.gmail.com)?
pub fn is_google_host(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    ["gmail.com", "googlemail.com"]
        .iter()
        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
}

/// An App Password is 16 letters, shown in groups of four; spaces do not count.
pub fn looks_like_app_password(secret: &Secret) -> bool {
    let letters: Vec<char> = secret.expose().chars().filter(|c| *c != ' ').collect();
    letters.len() == 16 && letters.iter().all(|c| c.is_ascii_alphabetic())
}

/// The Google checks for this target; empty when Google is not involved.
pub fn check(host: &str, mode: Option<GoogleAuthMode>, password: &Secret) -> Vec<StageOutcome> {
    let s = Stage::Google;
    let google_host = is_google_host(host);
    match mode {
        Some(GoogleAuthMode::AppPassword) if looks_like_app_password(password) => {
            vec![StageOutcome::pass(s, "app_password", "the App Password has the expected form (16 letters)")]
        }
        Some(GoogleAuthMode::AppPassword) => vec![
            StageOutcome::fail(
                s,
                "app_password_malformed",
                "the password given as a Google App Password is not 16 letters (spaces ignored)",
            )
            .action("create a new App Password in the Google account's security settings and copy all 16 letters"),
        ],
        Some(GoogleAuthMode::AccountPassword) if google_host => vec![
            StageOutcome::warn(
                s,
                "account_password",
                "signing in to Google with the account password is unreliable: Google limits it by default, re-enables the limit from time to time and will remove it",
            )
            .action("turn on 2-Step Verification, create an App Password and give us that instead"),
        ],
        None if google_host => vec![
            StageOutcome::warn(
                s,
                "mode_unspecified",
                "this is a Google server but the configuration does not say whether the password is an App Password or the account password",
            )
            .action("use an App Password and declare it as one"),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_hosts() {
        assert!(is_google_host("smtp.gmail.com"));
        assert!(is_google_host("SMTP.GoogleMail.com."));
        assert!(is_google_host("smtp-relay.gmail.com"));
        assert!(!is_google_host("notgmail.com"));
        assert!(!is_google_host("smtp.office365.com"));
    }

    #[test]
    fn app_password_form() {
        assert!(looks_like_app_password(&Secret::new("abcd efgh ijkl mnop")));
        assert!(looks_like_app_password(&Secret::new("abcdefghijklmnop")));
        assert!(!looks_like_app_password(&Secret::new("abcd efgh ijkl mno")));
        assert!(!looks_like_app_password(&Secret::new(
            "abcd efgh ijkl mn0p"
        )));
    }

    #[test]
    fn checks() {
        let codes = |host, mode, pw: &str| -> Vec<String> {
            check(host, mode, &Secret::new(pw))
                .into_iter()
                .map(|o| o.code)
                .collect()
        };
        assert_eq!(
            codes(
                "smtp.gmail.com",
                Some(GoogleAuthMode::AccountPassword),
                "pw"
            ),
            ["smtp::google::account_password"]
        );
        assert_eq!(
            codes(
                "smtp.gmail.com",
                Some(GoogleAuthMode::AppPassword),
                "abcd efgh ijkl mnop"
            ),
            ["smtp::google::app_password"]
        );
        assert_eq!(
            codes(
                "smtp.gmail.com",
                Some(GoogleAuthMode::AppPassword),
                "hunter2"
            ),
            ["smtp::google::app_password_malformed"]
        );
        assert_eq!(
            codes("smtp.gmail.com", None, "x"),
            ["smtp::google::mode_unspecified"]
        );
        assert!(codes("mail.example.org", None, "x").is_empty());
    }

    #[test]
    fn diagnoses_never_show_the_password() {
        for mode in [
            None,
            Some(GoogleAuthMode::AppPassword),
            Some(GoogleAuthMode::AccountPassword),
        ] {
            for o in check("smtp.gmail.com", mode, &Secret::new("canary-PW-1234")) {
                assert!(!format!("{o:?}").contains("canary-PW-1234"));
            }
        }
    }
}
