//! What a probe found: stages, their outcomes and the whole report.
//!
//! These are internal types, free to change; the serialised form is
//! [`super::render::ProbeReportV1`].

use std::time::Duration;
use time::OffsetDateTime;

use super::Security;

/// The steps of a probe, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Checks that need no network: Google's account modes.
    Google,
    Connect,
    Greeting,
    Ehlo,
    Tls,
    Relay,
    Auth,
    Sender,
}

impl Stage {
    /// Every stage that talks to the server, in order.
    pub const NETWORK: [Stage; 7] = [
        Stage::Connect,
        Stage::Greeting,
        Stage::Ehlo,
        Stage::Tls,
        Stage::Relay,
        Stage::Auth,
        Stage::Sender,
    ];

    /// The stage's name in codes and output.
    pub fn key(self) -> &'static str {
        match self {
            Stage::Google => "google",
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "ehlo",
            Stage::Tls => "tls",
            Stage::Relay => "relay",
            Stage::Auth => "auth",
            Stage::Sender => "sender",
        }
    }
}

/// How a stage went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Pass,
    /// Works, but something deserves attention.
    Warn,
    Fail,
    /// Not run, because an earlier stage failed.
    Skipped,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// One finding of one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageOutcome {
    pub stage: Stage,
    pub status: Status,
    /// Stable code, `smtp::<stage>::<what>`, e.g. `smtp::tls::self_signed`.
    pub code: String,
    /// What happened, for a person.
    pub diagnosis: String,
    /// What the library's IT staff should do, when there is something to do.
    pub action: Option<String>,
}

impl StageOutcome {
    pub fn new(stage: Stage, status: Status, what: &str, diagnosis: impl Into<String>) -> Self {
        StageOutcome {
            stage,
            status,
            code: format!("smtp::{}::{}", stage.key(), what),
            diagnosis: diagnosis.into(),
            action: None,
        }
    }

    pub fn pass(stage: Stage, what: &str, diagnosis: impl Into<String>) -> Self {
        Self::new(stage, Status::Pass, what, diagnosis)
    }

    pub fn warn(stage: Stage, what: &str, diagnosis: impl Into<String>) -> Self {
        Self::new(stage, Status::Warn, what, diagnosis)
    }

    pub fn fail(stage: Stage, what: &str, diagnosis: impl Into<String>) -> Self {
        Self::new(stage, Status::Fail, what, diagnosis)
    }

    /// Adds what to do about it.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }
}

/// The overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Passed, with warnings.
    Warn,
    Fail,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }

    /// The worst status decides.
    pub fn from_outcomes(outcomes: &[StageOutcome]) -> Self {
        if outcomes.iter().any(|o| o.status == Status::Fail) {
            Verdict::Fail
        } else if outcomes.iter().any(|o| o.status == Status::Warn) {
            Verdict::Warn
        } else {
            Verdict::Pass
        }
    }
}

/// The probed account, without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSummary {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub from: String,
    pub google: Option<super::GoogleAuthMode>,
}

/// The server's certificate, as far as we could read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// DNS names and IP addresses from the subject alternative names.
    pub names: Vec<String>,
    /// Subject and issuer are the same.
    pub self_signed: bool,
    /// It says where its issuer's certificate is (an Authority Information Access extension):
    /// a public authority's certificates always do, a private authority's rarely. It tells a
    /// missing intermediate from a private authority when the server sends one certificate.
    pub points_to_issuer: bool,
}

/// What the TLS handshake gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDetails {
    /// `"TLS 1.3"` or `"TLS 1.2"`; `None` when the handshake failed.
    pub version: Option<String>,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    /// The leaf certificate the server presented, when it presented one.
    pub certificate: Option<CertificateInfo>,
    /// Whole days from the probe to the certificate's expiry (negative once expired).
    pub days_left: Option<i64>,
}

/// Who said a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Client,
    Server,
    /// Something the probe did that is not SMTP text (connect, TLS handshake).
    Note,
}

/// One line of the SMTP conversation, secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub direction: Direction,
    pub text: String,
}

/// Everything one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// When the probe started.
    pub taken_at: OffsetDateTime,
    /// How long it took.
    pub duration: Duration,
    pub target: TargetSummary,
    /// Every stage in order, skipped ones included.
    pub stages: Vec<StageOutcome>,
    pub tls: Option<TlsDetails>,
    /// The conversation, when asked for with [`super::ProbeOptions::transcript`].
    pub transcript: Option<Vec<TranscriptLine>>,
    pub verdict: Verdict,
}

impl ProbeReport {
    /// No stage failed (warnings allowed).
    pub fn passed(&self) -> bool {
        self.verdict != Verdict::Fail
    }

    /// The codes of every outcome, in order.
    pub fn codes(&self) -> Vec<&str> {
        self.stages.iter().map(|s| s.code.as_str()).collect()
    }

    /// The first failing outcome, if any.
    pub fn first_failure(&self) -> Option<&StageOutcome> {
        self.stages.iter().find(|s| s.status == Status::Fail)
    }
}
