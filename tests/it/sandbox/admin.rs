//! The admin API, persistence across restarts, and the binary.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hickory_resolver::proto::rr::RecordType;
use mailform::sandbox::{
    AdminClient, Endpoints, FaultKind, FaultRule, RecordInput, SandboxConfig, Service,
};

use crate::support::sandbox::{self as harness, START};

#[tokio::test]
async fn the_admin_api_edits_dns_moves_the_clock_and_injects_faults() {
    let sandbox = harness::start();
    let admin = AdminClient::new(&sandbox.endpoints().admin).unwrap();
    admin
        .add_record("example.org", &RecordInput::new("www", "A", "192.0.2.1"))
        .unwrap();
    let records = admin.records("example.org").unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.name == "www.example.org." && r.rtype == "A")
    );
    let resolver = harness::resolver(&sandbox);
    assert!(
        resolver
            .lookup("www.example.org.", RecordType::A)
            .await
            .is_ok()
    );
    assert!(
        admin
            .remove_record("example.org", "www", "A", None)
            .unwrap()
    );
    assert!(
        !admin
            .remove_record("example.org", "www", "A", None)
            .unwrap()
    );
    assert!(admin.records("nowhere.org").is_err());

    assert_eq!(admin.now().unwrap(), START);
    assert_eq!(
        admin.advance_clock(Duration::from_secs(3600)).unwrap(),
        START + 3600
    );

    admin
        .inject_fault(&FaultRule::new(Service::Ses, FaultKind::Throttle).times(1))
        .unwrap();
    assert_eq!(admin.faults().unwrap().len(), 1);
    let err = harness::ses(&sandbox)
        .get_account()
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_too_many_requests_exception());
    let log = admin.request_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].error.as_deref(), Some("TooManyRequestsException"));
    admin.clear_request_log().unwrap();
    assert!(admin.request_log().unwrap().is_empty());

    admin.reset().unwrap();
    assert!(admin.records("example.org").is_err());
    assert_eq!(admin.now().unwrap(), START + 3600, "the clock stays");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Waiting for the directory's lock, as the CLI's `--sandbox` does: the first sandbox's
    // last server task may still hold it for a moment after `shutdown` returns.
    let config = || SandboxConfig {
        state_dir: Some(dir.path().to_path_buf()),
        wait_for_state_dir: true,
        ..SandboxConfig::default()
    };
    let first = harness::start_with(config());
    let created = harness::ses(&first)
        .create_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    let tokens = created.dkim_attributes().unwrap().tokens().to_vec();
    first
        .add_record("example.org", RecordInput::new("www", "A", "192.0.2.1"))
        .unwrap();
    first.advance_clock(Duration::from_secs(600));
    first.shutdown();

    let second = harness::start_with(config());
    assert_eq!(second.now(), START + 600);
    let got = harness::ses(&second)
        .get_email_identity()
        .email_identity("example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(got.dkim_attributes().unwrap().tokens(), tokens);
    let resolver = harness::resolver(&second);
    assert!(
        resolver
            .lookup("www.example.org.", RecordType::A)
            .await
            .is_ok()
    );
}

/// Kills the child when the test ends, also on failure.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_and_its_subcommands_drive_it() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_mailform-sandbox");
    let _server = Running(
        Command::new(bin)
            .args(["serve", "--state-dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let endpoints_file = dir.path().join("endpoints.json");
    let mut endpoints: Option<Endpoints> = None;
    for _ in 0..100 {
        let parsed = std::fs::read_to_string(&endpoints_file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if parsed.is_some() {
            endpoints = parsed;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let endpoints = endpoints.expect("the binary writes endpoints.json");
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .arg("--state-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["dns", "add", "example.org", "www", "A", "192.0.2.7"]);
    let listed = run(&["dns", "list", "example.org"]);
    assert!(
        listed.contains("www.example.org.\t300\tA\t192.0.2.7"),
        "{listed}"
    );
    let now: i64 = run(&["clock", "advance", "72h"]).trim().parse().unwrap();
    assert_eq!(now, run(&["clock", "show"]).trim().parse::<i64>().unwrap());
    run(&["fault", "add", "ses", "throttle", "--times", "1"]);
    assert!(run(&["fault", "list"]).contains("throttle"));
    run(&["fault", "clear"]);
    run(&["availability", "taken-library.org", "unavailable_premium"]);
    let admin = AdminClient::new(&endpoints.admin).unwrap();
    let records = admin.records("example.org").unwrap();
    assert!(records.iter().any(|r| r.values == ["192.0.2.7"]));
    run(&["dns", "remove", "example.org", "www", "A"]);
    assert!(run(&["log"]).is_empty());
    // SES events' queue faults: a poison message, delivered twice, reversed, counted.
    crate::support::sandbox::sqs_at(&endpoints.sqs)
        .create_queue()
        .queue_name("events")
        .send()
        .await
        .unwrap();
    assert!(run(&["sqs", "poison", "events"]).contains("message_id"));
    assert_eq!(
        run(&["sqs", "duplicate", "events", "--count", "5"]).trim(),
        "{\"duplicated\":1}"
    );
    assert_eq!(
        run(&["sqs", "reverse", "events"]).trim(),
        "{\"reversed\":2}"
    );
    assert_eq!(
        run(&["sqs", "depth", "events"]).trim(),
        "{\"in_flight\":0,\"visible\":2}"
    );
    let refused = Command::new(bin)
        .arg("--state-dir")
        .arg(dir.path())
        .args(["sqs", "depth", "nowhere"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no queue nowhere"));

    run(&["reset"]);
    assert!(admin.records("example.org").is_err());
}
