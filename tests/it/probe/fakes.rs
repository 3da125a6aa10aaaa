//! The probe against fake servers that misbehave: each case must end within
//! the deadline, with a named diagnosis and bounded memory.

use std::time::{Duration, Instant};

use mailform::probe::reply::MAX_REPLY_LINES;
use mailform::probe::{ProbeOptions, ProbeReport, Security, Verdict, probe, render_human};

use super::{failures, outcome, target};
use crate::assert_probe_snapshot;
use crate::support::fake::{Behaviour, FakeServer};
use crate::support::free_port;

fn quick() -> ProbeOptions {
    ProbeOptions {
        connect_timeout: Duration::from_secs(1),
        stage_timeout: Duration::from_millis(700),
        deadline: Duration::from_secs(3),
        transcript: true,
        ..ProbeOptions::default()
    }
}

async fn against(behaviour: Behaviour, security: Security, opts: &ProbeOptions) -> ProbeReport {
    let fake = FakeServer::start(behaviour).await;
    let started = Instant::now();
    let report = probe(&target(fake.port, security, "testpass"), opts).await;
    let took = started.elapsed();
    assert!(
        took < opts.deadline + Duration::from_millis(500),
        "took {took:?}, deadline {:?}",
        opts.deadline
    );
    assert_eq!(report.verdict, Verdict::Fail, "{}", render_human(&report));
    report
}

#[tokio::test]
async fn silent_greeting_times_out() {
    let r = against(Behaviour::Silent, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::greeting::timeout"]);
    assert_probe_snapshot!("silent_greeting", render_human(&r));
}

#[tokio::test]
async fn tarpit_greeting_times_out() {
    let r = against(Behaviour::Tarpit, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::greeting::timeout"]);
    let d = &outcome(&r, "smtp::greeting::timeout").diagnosis;
    assert!(d.contains("waited 0.7 s for the greeting"), "{d}");
    assert!(
        d.contains("never finished the reply: it sends too slowly"),
        "{d}"
    );
    assert_probe_snapshot!("tarpit_greeting", render_human(&r));
}

#[tokio::test]
async fn a_silent_reply_to_ehlo_names_the_command_waited_for() {
    let r = against(Behaviour::SilentAfterGreeting, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::ehlo::timeout"]);
    let d = &outcome(&r, "smtp::ehlo::timeout").diagnosis;
    assert!(
        d.starts_with("waited 0.7 s for the reply to EHLO")
            && d.ends_with("the server sent nothing"),
        "{d}"
    );
}

#[tokio::test]
async fn endless_reply_is_cut_off() {
    let opts = ProbeOptions {
        stage_timeout: Duration::from_secs(2),
        ..quick()
    };
    let r = against(Behaviour::EndlessReply, Security::Starttls, &opts).await;
    assert_eq!(failures(&r), ["smtp::ehlo::reply_too_long"]);
    // Nothing of the endless reply is kept.
    assert!(r.transcript.as_ref().unwrap().len() < MAX_REPLY_LINES);
}

#[tokio::test]
async fn garbage_is_not_smtp() {
    let r = against(Behaviour::Garbage, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::greeting::malformed_reply"]);
    let d = &outcome(&r, "smtp::greeting::malformed_reply").diagnosis;
    assert!(d.contains("binary data, first bytes 00 ff fe 20"), "{d}");
    assert_probe_snapshot!("garbage", render_human(&r));
}

#[tokio::test]
async fn a_long_text_answer_is_cut_short() {
    let r = against(Behaviour::HttpServer, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::greeting::malformed_reply"]);
    let d = &outcome(&r, "smtp::greeting::malformed_reply").diagnosis;
    assert!(d.len() < 200, "{d}");
    assert_probe_snapshot!("http_server", render_human(&r));
}

#[tokio::test]
async fn busy_server_421_is_rejected() {
    let r = against(Behaviour::Busy421, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::greeting::rejected"]);
    assert!(
        outcome(&r, "smtp::greeting::rejected")
            .diagnosis
            .contains("421 4.3.2")
    );
}

#[tokio::test]
async fn reset_during_tls_handshake() {
    let r = against(Behaviour::ResetInHandshake, Security::Tls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::tls::handshake_failed"]);
    let d = &outcome(&r, "smtp::tls::handshake_failed").diagnosis;
    assert!(d.contains("reset") || d.contains("closed"), "{d}");
}

#[tokio::test]
async fn silent_tls_handshake_times_out() {
    let r = against(Behaviour::Silent, Security::Tls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::tls::handshake_timeout"]);
    let d = &outcome(&r, "smtp::tls::handshake_timeout").diagnosis;
    assert!(d.contains("waited 0.7 s"), "{d}");
    assert!(d.contains("sent no TLS answer"), "{d}");
}

#[tokio::test]
async fn a_deadline_that_stops_the_handshake_is_named_not_the_stage_timeout() {
    let opts = ProbeOptions {
        stage_timeout: Duration::from_secs(20),
        deadline: Duration::from_secs(1),
        ..quick()
    };
    let r = against(Behaviour::Silent, Security::Tls, &opts).await;
    let d = &r.first_failure().unwrap().diagnosis;
    assert!(d.contains("overall deadline of 1 s"), "{d}");
    assert!(!d.contains("20 s"), "{d}");
    assert_probe_snapshot!("deadline_in_handshake", render_human(&r));
}

#[tokio::test]
async fn helo_only_server_fails_esmtp() {
    let r = against(Behaviour::HeloOnly, Security::Starttls, &quick()).await;
    assert_eq!(failures(&r), ["smtp::ehlo::esmtp_unsupported"]);
    assert_probe_snapshot!("helo_only", render_human(&r));
}

#[tokio::test]
async fn overall_deadline_wins_over_stage_timeout() {
    let opts = ProbeOptions {
        stage_timeout: Duration::from_secs(30),
        deadline: Duration::from_millis(800),
        ..quick()
    };
    let r = against(Behaviour::Silent, Security::Starttls, &opts).await;
    assert_eq!(failures(&r), ["smtp::greeting::timeout"]);
    let d = &outcome(&r, "smtp::greeting::timeout").diagnosis;
    assert!(
        d.contains("overall deadline of 0.8 s ran out while waiting 0.8 s for the greeting"),
        "{d}"
    );
    assert!(!d.contains("30 s"), "{d}");
}

#[tokio::test]
async fn refused_connection() {
    let port = free_port();
    let started = Instant::now();
    let r = probe(&target(port, Security::Starttls, "testpass"), &quick()).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(failures(&r), ["smtp::connect::refused"]);
}
