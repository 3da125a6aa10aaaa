//! Renders a [`ProbeReport`]: readable text for people and versioned JSON
//! (schema: `schemas/probe-report.schema.json`). Pure functions.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::outcome::{Direction, ProbeReport, Status, Verdict};
use super::tls::day;
use crate::text::visible;

/// Renders the report for a person: every stage with its verdict, no colour. What the server
/// said (greeting, replies, certificate names) and what the file said is shown with its
/// hidden characters visible (`\x1b`); the JSON form escapes them as JSON does (`\u001b`).
pub fn render_human(report: &ProbeReport) -> String {
    let t = &report.target;
    let mut out = String::new();
    let google = t
        .google
        .map(|g| format!(", Google {}", g.key().replace('_', " ")))
        .unwrap_or_default();
    out.push_str(&format!(
        "SMTP probe of {}:{} ({}{google}) as {}, sending as {}\n",
        visible(&t.host),
        t.port,
        t.security.key().to_uppercase(),
        visible(&t.username),
        visible(&t.from)
    ));
    out.push_str(&format!(
        "taken at {} in {} ms\n",
        timestamp(report),
        report.duration.as_millis()
    ));
    let fails = report
        .stages
        .iter()
        .filter(|s| s.status == Status::Fail)
        .count();
    let warns = report
        .stages
        .iter()
        .filter(|s| s.status == Status::Warn)
        .count();
    let verdict = match report.verdict {
        Verdict::Pass => "PASS".to_string(),
        Verdict::Warn => format!("PASS with {warns} warning{}", plural(warns)),
        Verdict::Fail => format!(
            "FAIL: {fails} problem{}, {warns} warning{}",
            plural(fails),
            plural(warns)
        ),
    };
    out.push_str(&format!("verdict: {verdict}\n\n"));
    for s in &report.stages {
        let tag = match s.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIP",
        };
        out.push_str(&format!("[{tag}] {:<9} {}\n", s.stage.key(), s.code));
        out.push_str(&format!("       {}\n", visible(&s.diagnosis)));
        if let Some(a) = &s.action {
            out.push_str(&format!("       what to do: {}\n", visible(a)));
        }
    }
    if let Some(tls) = report
        .tls
        .as_ref()
        .filter(|t| t.version.is_some() || t.certificate.is_some())
    {
        out.push_str("\nTLS\n");
        if let (Some(v), Some(c)) = (&tls.version, &tls.cipher) {
            out.push_str(&format!(
                "  version:  {}\n  cipher:   {}\n",
                visible(v),
                visible(c)
            ));
        }
        if let Some(c) = &tls.certificate {
            out.push_str(&format!(
                "  subject:  {}\n  issuer:   {}\n",
                visible(&c.subject),
                visible(&c.issuer)
            ));
            out.push_str(&format!(
                "  valid:    {} to {}",
                day(c.not_before),
                day(c.not_after)
            ));
            if let Some(d) = tls.days_left {
                out.push_str(&format!(" ({d} days left)"));
            }
            out.push('\n');
            let names: Vec<_> = c.names.iter().map(|n| visible(n)).collect();
            out.push_str(&format!("  names:    {}\n", names.join(", ")));
        }
    }
    if let Some(lines) = &report.transcript {
        out.push_str("\ntranscript\n");
        for l in lines {
            let who = match l.direction {
                Direction::Client => "C:",
                Direction::Server => "S:",
                Direction::Note => "--",
            };
            out.push_str(&format!("  {who} {}\n", visible(&l.text)));
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn timestamp(report: &ProbeReport) -> String {
    report
        .taken_at
        .format(&Rfc3339)
        .unwrap_or_else(|_| report.taken_at.to_string())
}

/// The serialised report, version 1. Field names and codes are a contract:
/// add fields, never rename or remove them without a new version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProbeReportV1 {
    pub version: u32,
    /// RFC 3339, UTC.
    pub taken_at: String,
    pub duration_ms: u64,
    pub target: TargetV1,
    /// `pass`, `warn` or `fail`.
    pub verdict: &'static str,
    pub passed: bool,
    pub stages: Vec<StageV1>,
    pub tls: Option<TlsV1>,
    pub transcript: Option<Vec<TranscriptLineV1>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TargetV1 {
    pub host: String,
    pub port: u16,
    /// `tls` or `starttls`.
    pub security: &'static str,
    pub username: String,
    pub from: String,
    /// `app_password`, `account_password` or absent.
    pub google: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StageV1 {
    pub stage: &'static str,
    /// `pass`, `warn`, `fail` or `skipped`.
    pub status: &'static str,
    pub code: String,
    pub diagnosis: String,
    pub action: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsV1 {
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub certificate: Option<CertificateV1>,
    pub days_left: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CertificateV1 {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub names: Vec<String>,
    pub self_signed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TranscriptLineV1 {
    /// `client`, `server` or `note`.
    pub direction: &'static str,
    pub text: String,
}

impl ProbeReportV1 {
    pub fn from_report(report: &ProbeReport) -> Self {
        let t = &report.target;
        let rfc = |d: time::OffsetDateTime| d.format(&Rfc3339).unwrap_or_else(|_| d.to_string());
        ProbeReportV1 {
            version: 1,
            taken_at: timestamp(report),
            duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
            target: TargetV1 {
                host: t.host.clone(),
                port: t.port,
                security: t.security.key(),
                username: t.username.clone(),
                from: t.from.clone(),
                google: t.google.map(|g| g.key()),
            },
            verdict: report.verdict.key(),
            passed: report.passed(),
            stages: report
                .stages
                .iter()
                .map(|s| StageV1 {
                    stage: s.stage.key(),
                    status: s.status.key(),
                    code: s.code.clone(),
                    diagnosis: s.diagnosis.clone(),
                    action: s.action.clone(),
                })
                .collect(),
            tls: report.tls.as_ref().map(|tls| TlsV1 {
                version: tls.version.clone(),
                cipher: tls.cipher.clone(),
                certificate: tls.certificate.as_ref().map(|c| CertificateV1 {
                    subject: c.subject.clone(),
                    issuer: c.issuer.clone(),
                    not_before: rfc(c.not_before),
                    not_after: rfc(c.not_after),
                    names: c.names.clone(),
                    self_signed: c.self_signed,
                }),
                days_left: tls.days_left,
            }),
            transcript: report.transcript.as_ref().map(|lines| {
                lines
                    .iter()
                    .map(|l| TranscriptLineV1 {
                        direction: match l.direction {
                            Direction::Client => "client",
                            Direction::Server => "server",
                            Direction::Note => "note",
                        },
                        text: l.text.clone(),
                    })
                    .collect()
            }),
        }
    }
}

/// The report as version-1 JSON.
pub fn to_json(report: &ProbeReport) -> serde_json::Value {
    serde_json::to_value(ProbeReportV1::from_report(report)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::outcome::{Stage, StageOutcome, TargetSummary};
    use crate::probe::{GoogleAuthMode, Security};
    use std::time::Duration;

    fn report() -> ProbeReport {
        let stages = vec![
            StageOutcome::warn(Stage::Google, "account_password", "unreliable")
                .action("use an App Password"),
            StageOutcome::pass(Stage::Connect, "ok", "connected"),
            StageOutcome::fail(
                Stage::Greeting,
                "rejected",
                "the server refused the connection: 421 busy",
            )
            .action("try later"),
        ];
        ProbeReport {
            taken_at: time::macros::datetime!(2026-11-26 06:30:00 UTC),
            duration: Duration::from_millis(12),
            target: TargetSummary {
                host: "smtp.gmail.com".into(),
                port: 587,
                security: Security::Starttls,
                username: "library@gmail.com".into(),
                from: "library@gmail.com".into(),
                google: Some(GoogleAuthMode::AccountPassword),
            },
            verdict: Verdict::from_outcomes(&stages),
            stages,
            tls: None,
            transcript: None,
        }
    }

    #[test]
    fn human() {
        insta::with_settings!({snapshot_path => "../../snapshots/probe", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("render_human_unit", render_human(&report()));
        });
    }

    #[test]
    fn json_is_versioned() {
        let j = to_json(&report());
        assert_eq!(j["version"], 1);
        assert_eq!(j["verdict"], "fail");
        assert_eq!(j["passed"], false);
        assert_eq!(j["taken_at"], "2026-11-26T06:30:00Z");
        assert_eq!(j["stages"][2]["code"], "smtp::greeting::rejected");
        assert_eq!(j["target"]["google"], "account_password");
    }
}
