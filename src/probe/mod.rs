//! The SMTP account probe ("method 2"): checks that a library's own SMTP
//! account meets the platform's four requirements without sending a message.
//!
//! One connection does it all, where the server allows (a second one only to
//! name the TLS version of a server whose handshake failed, see [`legacy`]): connect, greeting,
//! EHLO, TLS (implicit or STARTTLS, then EHLO again), an open-relay test
//! before authenticating (`MAIL FROM`, `RCPT TO` an outside address, `RSET`,
//! never `DATA`), AUTH with the account's credentials, `MAIL FROM` with the
//! library's outgoing address, `RSET`, `QUIT`. Each stage yields a
//! [`StageOutcome`] with a stable code (`smtp::<stage>::<what>`), a diagnosis
//! and what the library's IT staff should do.
//!
//! # Codes
//! Stable; a planner may match on them. `<stage>::skipped` marks a stage not
//! run because an earlier one failed; read errors in any stage give
//! `<stage>::timeout`, `::connection_closed`, `::connection_lost`,
//! `::malformed_reply`, `::reply_too_long`, and the overall deadline
//! `<stage>::deadline`.
//! - `smtp::google::` `app_password`, `app_password_malformed`, `account_password` (warn), `mode_unspecified` (warn)
//! - `smtp::connect::` `ok`, `dns`, `dns_timeout`, `refused`, `timeout`, `unreachable`
//! - `smtp::greeting::` `ok`, `rejected`, `unexpected`
//! - `smtp::ehlo::` `ok`, `esmtp_unsupported`, `ehlo_refused`
//! - `smtp::tls::` `ok`, `expires_soon` (warn), `auth_before_tls` (warn, security),
//!   `starttls_not_offered`, `starttls_refused`, `self_signed`, `expired`,
//!   `not_yet_valid`, `wrong_host`, `missing_intermediate`, `unknown_issuer`, `invalid_certificate`,
//!   `version_too_old`, `no_common_cipher`, `not_tls`, `handshake_timeout`, `handshake_failed`,
//!   `invalid_host_name`, `configuration`
//! - `smtp::relay::` `closed`, `open`
//! - `smtp::auth::` `ok`, `not_offered`, `only_before_tls`, `oauth_only`,
//!   `no_supported_mechanism`, `bad_credentials`, `google_app_password_required`,
//!   `google_web_login_required`, `microsoft_basic_auth_disabled`,
//!   `encryption_required`, `temporary_failure`, `mechanism_rejected`,
//!   `malformed_challenge`, `rejected`
//! - `smtp::sender::` `accepted`, `refused`
//!
//! # Layout
//! - [`reply`], [`ehlo`], [`auth`], [`google`], [`legacy`] and most of [`tls`] are pure:
//!   parsing and diagnosis, unit-tested beside the code.
//! - `session` holds all socket I/O: the conversation itself.
//! - [`render`] turns a [`ProbeReport`] into text or versioned JSON.
//!
//! # Why not lettre
//! We drive SMTP ourselves over tokio and tokio-rustls: lettre drops CRAM-MD5
//! from the EHLO capabilities, does not report the negotiated TLS version or
//! the certificate on failure, and offers no bound on reply size; a probe of
//! unknown servers needs all three, plus a deadline over each whole reply so a
//! byte-at-a-time tarpit cannot hold it.
//!
//! # Invariants
//! - Credentials never cross before TLS; the probe never sends `DATA`.
//! - The password never reaches a report, a transcript or an error message:
//!   AUTH lines are recorded redacted and server text is scrubbed of it.
//! - [`probe`] never panics on server input and returns within
//!   [`ProbeOptions::deadline`].

pub mod auth;
pub mod ehlo;
pub mod google;
pub mod legacy;
pub mod outcome;
pub mod render;
pub mod reply;
mod session;
pub mod tls;

use std::time::Duration;

use rustls::pki_types::CertificateDer;

use crate::secret::Secret;

pub use outcome::{
    CertificateInfo, Direction, ProbeReport, Stage, StageOutcome, Status, TargetSummary,
    TlsDetails, TranscriptLine, Verdict,
};
pub use render::{ProbeReportV1, render_human, to_json};

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (RFC 8314), usually port 465.
    Tls,
    /// Plain text upgraded with STARTTLS (RFC 3207), usually port 587.
    Starttls,
}

impl Security {
    pub fn key(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
        }
    }
}

/// Which kind of password a Google account uses (setup document, Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoogleAuthMode {
    /// A 16-letter App Password (recommended).
    AppPassword,
    /// The account's own password (unreliable).
    AccountPassword,
}

impl GoogleAuthMode {
    pub fn key(self) -> &'static str {
        match self {
            GoogleAuthMode::AppPassword => "app_password",
            GoogleAuthMode::AccountPassword => "account_password",
        }
    }
}

/// The SMTP account to probe.
#[derive(Debug, Clone)]
pub struct ProbeTarget {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Secret,
    /// The library's outgoing address, e.g. `noreply@library.example.org`.
    pub from: String,
    /// Set when the account is a Google account.
    pub google: Option<GoogleAuthMode>,
}

impl ProbeTarget {
    /// The target a library's `smtp-account` describes, with the password looked up.
    pub fn for_account(account: &crate::model::SmtpAccount, password: Secret) -> Self {
        use crate::model::{GoogleAuth, SmtpSecurity};
        ProbeTarget {
            host: account.host.clone(),
            port: account.port,
            security: match account.security {
                SmtpSecurity::Tls => Security::Tls,
                SmtpSecurity::StartTls => Security::Starttls,
            },
            username: account.username.clone(),
            password,
            from: account.from.to_string(),
            google: account.google.map(|g| match g {
                GoogleAuth::AppPassword => GoogleAuthMode::AppPassword,
                GoogleAuth::AccountPassword => GoogleAuthMode::AccountPassword,
            }),
        }
    }

    /// What may be shown of the target: everything but the password.
    pub fn summary(&self) -> TargetSummary {
        TargetSummary {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: self.username.clone(),
            from: self.from.clone(),
            google: self.google,
        }
    }
}

/// How the probe behaves.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// For each TCP connection attempt.
    pub connect_timeout: Duration,
    /// For each other step: one whole reply, one TLS handshake.
    pub stage_timeout: Duration,
    /// For the whole probe.
    pub deadline: Duration,
    /// Record the conversation (redacted) in [`ProbeReport::transcript`].
    pub transcript: bool,
    /// The name we give in EHLO.
    pub ehlo_name: String,
    /// An address outside the server's domains, for the open-relay test.
    pub relay_probe_recipient: String,
    /// TEST ONLY: extra trusted roots, e.g. a test CA. Normal runs leave this
    /// empty, so only Mozilla's roots (webpki-roots) are trusted, as the setup
    /// document requires.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            connect_timeout: Duration::from_secs(10),
            stage_timeout: Duration::from_secs(20),
            deadline: Duration::from_secs(60),
            transcript: false,
            ehlo_name: "mailform-probe.localdomain".into(),
            relay_probe_recipient: "mailform-relay-probe@example.com".into(),
            extra_roots: Vec::new(),
        }
    }
}

/// Probes one SMTP account. Never sends a message; never panics on what the
/// server does; returns within `opts.deadline` (plus a few milliseconds).
pub async fn probe(target: &ProbeTarget, opts: &ProbeOptions) -> ProbeReport {
    session::run(target, opts).await
}
