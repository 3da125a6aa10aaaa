//! SMTP AUTH: choosing a mechanism, building the client's answers, and
//! translating the server's refusals into diagnoses.
//!
//! Pure code. The values built here carry the password: the session writes
//! them to the socket and records only a redacted placeholder.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};

use super::outcome::{Stage, StageOutcome};
use super::reply::Reply;

/// The password mechanisms the platform can use (setup document, requirement 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
        }
    }
}

/// SASL mechanisms that need an OAuth token: the platform has none.
const OAUTH: [&str; 3] = ["XOAUTH2", "OAUTHBEARER", "XOAUTH"];

/// What the offered mechanisms allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Use(Mechanism),
    /// Only OAuth mechanisms (and perhaps others we cannot use).
    OAuthOnly,
    /// Mechanisms, but none we can use and no OAuth.
    NoneUsable,
    Nothing,
}

/// Picks a mechanism. Over TLS PLAIN is as safe as the others and needs one
/// round trip, so it comes first; CRAM-MD5 last, as servers that offer it
/// must keep passwords in clear.
pub fn choose(offered: &[String]) -> Choice {
    if offered.is_empty() {
        return Choice::Nothing;
    }
    for m in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        if offered.iter().any(|o| o == m.name()) {
            return Choice::Use(m);
        }
    }
    if offered.iter().any(|o| OAUTH.contains(&o.as_str())) {
        Choice::OAuthOnly
    } else {
        Choice::NoneUsable
    }
}

/// The PLAIN initial response: base64 of `\0user\0password`.
pub fn plain_response(user: &str, password: &str) -> String {
    B64.encode(format!("\0{user}\0{password}"))
}

pub fn base64(value: &str) -> String {
    B64.encode(value)
}

/// The CRAM-MD5 (RFC 2195) answer to a base64 challenge:
/// base64 of `user SP hex(HMAC-MD5(password, challenge))`.
pub fn cram_md5_response(user: &str, password: &str, challenge_b64: &str) -> Option<String> {
    let challenge = B64.decode(challenge_b64.trim()).ok()?;
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.as_bytes()).ok()?;
    mac.update(&challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(B64.encode(format!("{user} {hex}")))
}

/// Turns the server's final answer to AUTH into an outcome.
pub fn diagnose(reply: &Reply, mechanism: Mechanism, username: &str) -> StageOutcome {
    let s = Stage::Auth;
    let said = reply.summary();
    let enhanced = reply.enhanced_code().unwrap_or("");
    if reply.is_positive() {
        return StageOutcome::pass(
            s,
            "ok",
            format!("logged in as {username} with {}", mechanism.name()),
        );
    }
    if enhanced == "5.7.139"
        || enhanced == "5.7.30"
        || reply.mentions("SmtpClientAuthentication is disabled")
        || reply.mentions("Basic authentication is not supported")
    {
        return StageOutcome::fail(
            s,
            "microsoft_basic_auth_disabled",
            format!("Microsoft 365 refuses password (basic) authentication for SMTP on this mailbox or tenant: {said}"),
        )
        .action("ask your Microsoft 365 administrator to enable Authenticated SMTP (SMTP AUTH) for this mailbox, or choose another sending method: Microsoft is phasing basic authentication out");
    }
    match (reply.code, enhanced) {
        (534, "5.7.9") => StageOutcome::fail(
            s,
            "google_app_password_required",
            format!("Google requires an App Password for this account: {said}"),
        )
        .action("turn on 2-Step Verification for the Google account, create an App Password for mail, and give us that 16-letter password instead of the account password"),
        (534, "5.7.14") => StageOutcome::fail(
            s,
            "google_web_login_required",
            format!("Google wants someone to sign in to this account in a web browser first: {said}"),
        )
        .action("sign in to the account at mail.google.com, complete any security check, then ask us to test again; an App Password avoids this"),
        (535, _) | (534, _) => StageOutcome::fail(
            s,
            "bad_credentials",
            format!("the server refused the user name {username} with the password given: {said}"),
        )
        .action("check the user name and password (log in with them in a mail program), then send us the correct ones"),
        (538, _) => StageOutcome::fail(
            s,
            "encryption_required",
            format!("the server requires stronger encryption for this mechanism: {said}"),
        )
        .action("enable PLAIN or LOGIN authentication over TLS on the server"),
        (code, _) if (400..500).contains(&code) => StageOutcome::fail(
            s,
            "temporary_failure",
            format!("the server could not check the credentials just now: {said}"),
        )
        .action("try again later; if it persists, ask the mail server's administrator to check its authentication backend"),
        (504, _) => StageOutcome::fail(
            s,
            "mechanism_rejected",
            format!("the server refused the {} mechanism it had offered: {said}", mechanism.name()),
        )
        .action("fix the server's list of offered AUTH mechanisms"),
        _ => StageOutcome::fail(s, "rejected", format!("the server refused authentication: {said}"))
            .action("ask the mail server's administrator why this account cannot authenticate"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::outcome::Status;

    fn offered(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn reply(code: u16, text: &str) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    #[test]
    fn choice() {
        assert_eq!(
            choose(&offered(&["LOGIN", "XOAUTH2"])),
            Choice::Use(Mechanism::Login)
        );
        assert_eq!(
            choose(&offered(&["CRAM-MD5", "PLAIN"])),
            Choice::Use(Mechanism::Plain)
        );
        assert_eq!(
            choose(&offered(&["CRAM-MD5"])),
            Choice::Use(Mechanism::CramMd5)
        );
        assert_eq!(
            choose(&offered(&["XOAUTH2", "OAUTHBEARER"])),
            Choice::OAuthOnly
        );
        assert_eq!(choose(&offered(&["GSSAPI", "NTLM"])), Choice::NoneUsable);
        assert_eq!(choose(&[]), Choice::Nothing);
    }

    #[test]
    fn rfc2195_example() {
        // RFC 2195 section 2: user tim, secret tanstaaftanstaaf.
        let challenge = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+";
        assert_eq!(
            cram_md5_response("tim", "tanstaaftanstaaf", challenge).unwrap(),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        assert_eq!(cram_md5_response("tim", "x", "!!not base64"), None);
    }

    #[test]
    fn plain() {
        assert_eq!(plain_response("u", "p"), "AHUAcA==");
    }

    #[test]
    fn translations() {
        let code = |r: Reply| diagnose(&r, Mechanism::Login, "u").code;
        assert_eq!(code(reply(235, "2.7.0 ok")), "smtp::auth::ok");
        assert_eq!(
            code(reply(535, "5.7.8 Username and Password not accepted")),
            "smtp::auth::bad_credentials"
        );
        assert_eq!(
            code(reply(534, "5.7.9 Application-specific password required")),
            "smtp::auth::google_app_password_required"
        );
        assert_eq!(
            code(reply(
                534,
                "5.7.14 <https://accounts.google.com/signin/continue> Please log in"
            )),
            "smtp::auth::google_web_login_required"
        );
        assert_eq!(
            code(reply(
                550,
                "5.7.30 Basic authentication is not supported for Client Submission"
            )),
            "smtp::auth::microsoft_basic_auth_disabled"
        );
        assert_eq!(
            code(reply(
                535,
                "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant"
            )),
            "smtp::auth::microsoft_basic_auth_disabled"
        );
        assert_eq!(
            code(reply(454, "4.7.0 Temporary failure")),
            "smtp::auth::temporary_failure"
        );
        assert_eq!(
            code(reply(538, "5.7.11 Encryption required")),
            "smtp::auth::encryption_required"
        );
        assert_eq!(
            code(reply(504, "Unrecognized")),
            "smtp::auth::mechanism_rejected"
        );
        assert_eq!(code(reply(554, "no")), "smtp::auth::rejected");
        let o = diagnose(&reply(534, "5.7.9 x"), Mechanism::Plain, "u");
        assert_eq!(o.status, Status::Fail);
        assert!(o.action.unwrap().contains("2-Step Verification"));
    }
}
