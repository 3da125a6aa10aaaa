//! No escape sequence from outside reaches a terminal: what a live snapshot carries from AWS
//! and DNS, what a DNS server (Knot) answers, what an SMTP server says and what its
//! certificate is called. Every human format shows the characters as `\x1b`; JSON escapes them
//! as JSON does (`\u001b`).

use super::{BENIGN, ESCAPES, FORBIDDEN, run};
use crate::support::cli::Output;

/// Nothing a terminal would act on, in `out`; and the escapes shown, as `\x1b`, where `shown`.
fn assert_inert(what: &str, out: &Output, shown: bool) {
    let all = out.all();
    for c in FORBIDDEN {
        assert!(
            !all.contains(c),
            "{what}: {c:?} reached the terminal:\n{}",
            all.escape_debug()
        );
    }
    if shown {
        assert!(
            // Markdown doubles the backslash, to show one.
            all.contains("x1b")
                && all.contains("pwned")
                && all.contains("x07")
                && all.contains("u{202e}"),
            "{what}: the escapes are not shown:\n{all}"
        );
    }
}

#[test]
fn a_live_snapshot_with_escape_sequences_reaches_no_terminal() {
    // The status report shows no text from the snapshot: it must still show none of it raw.
    for (what, args, shown) in [
        ("plan", &["plan", "--today", "2026-11-26"][..], true),
        (
            "plan markdown",
            &["plan", "--today", "2026-11-26", "--format", "markdown"],
            true,
        ),
        ("records table", &["records", "springfield"], true),
        (
            "records markdown",
            &["records", "springfield", "--format", "markdown"],
            true,
        ),
        (
            "records zone",
            &["records", "springfield", "--format", "zone"],
            true,
        ),
        (
            "status markdown",
            &["status", "--today", "2026-11-26", "--format", "markdown"],
            false,
        ),
    ] {
        let out = run(BENIGN, ESCAPES, args);
        assert!(matches!(out.code, 0 | 2 | 4), "{what}: {}", out.all());
        assert_inert(what, &out, shown);
    }
    // JSON is read by programs, and serde escapes control characters its own way.
    let json = run(
        BENIGN,
        ESCAPES,
        &["plan", "--today", "2026-11-26", "--format", "json"],
    );
    assert_inert("plan json", &json, false);
    assert!(
        json.stdout.contains("\\u001b]0;pwned\\u0007"),
        "{}",
        json.stdout
    );
}

/// An SMTP server whose every word carries escape sequences: the greeting, the EHLO reply,
/// the answer to STARTTLS, and the names in its (self-signed) certificate.
struct EvilSmtp {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EvilSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EvilSmtp {
    async fn start() -> EvilSmtp {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, format!("cn{ESCAPES}"));
        dn.push(rcgen::DnType::OrganizationName, format!("org{ESCAPES}"));
        params.distinguished_name = dn;
        let cert = params.self_signed(&key).expect("self-signed");
        let key_der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key_der.into())
        .expect("server cert");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let mut s = BufReader::new(sock);
                    let greeting = format!("220 evil.example ESMTP {ESCAPES}\r\n");
                    if s.get_mut().write_all(greeting.as_bytes()).await.is_err() {
                        return;
                    }
                    let mut line = String::new();
                    while s.read_line(&mut line).await.unwrap_or(0) > 0 {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        line.clear();
                        let answer = match verb.as_str() {
                            "EHLO" => format!("250-evil.example {ESCAPES}\r\n250 STARTTLS\r\n"),
                            "STAR" => format!("220 2.0.0 go ahead {ESCAPES}\r\n"),
                            _ => format!("500 5.5.1 what? {ESCAPES}\r\n"),
                        };
                        if s.get_mut().write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                        if verb == "STAR" {
                            let _ = acceptor.accept(s.into_inner()).await;
                            return;
                        }
                    }
                });
            }
        });
        EvilSmtp { port, task }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_server_with_escape_sequences_reaches_no_terminal() {
    let server = EvilSmtp::start().await;
    for format in ["human", "json"] {
        let port = server.port.to_string();
        let out = tokio::task::spawn_blocking(move || {
            crate::support::cli::Cli::new()
                .env("MAILFORM_SMTP_PASSWORD_SUPPORT", "testpass")
                .args(["probe", "--host", "127.0.0.1", "--port", &port])
                .args(["--security", "starttls", "--user", "u"])
                .args(["--password-env", "MAILFORM_SMTP_PASSWORD_SUPPORT"])
                .args(["--from", "noreply@example-library.org", "--transcript"])
                .args(["--format", format])
                .run()
        })
        .await
        .expect("run");
        assert_eq!(out.code, 1, "{}", out.all().escape_debug());
        assert!(
            out.all().contains("self-signed"),
            "{}",
            out.all().escape_debug()
        );
        assert_inert(&format!("probe --format {format}"), &out, format == "human");
        if format == "human" {
            // The greeting, the replies and the certificate's subject, each shown.
            for said in [
                "S: 220 evil.example ESMTP \\x1b",
                "go ahead \\x1b",
                "CN=cn\\x1b",
            ] {
                assert!(out.stdout.contains(said), "{said}:\n{}", out.stdout);
            }
        } else {
            assert!(out.stdout.contains("\\u001b]0;pwned"), "{}", out.stdout);
        }
    }
}

#[cfg(feature = "sandbox")]
/// A TXT value with the escapes, in zone-file syntax (`\DDD` is a byte).
const TXT_ESCAPES: &str =
    "\\027]0;pwned\\007\\027[2K\\027[8mhidden\\194\\155\\226\\128\\174desrever";

#[cfg(feature = "sandbox")]
#[test]
fn dns_answers_with_escape_sequences_reach_no_terminal() {
    use crate::apply::{World, cli, library};
    use crate::support::knot::Knot;

    let world = World::new();
    let cli = cli().file("libraries/springfield.kdl", &library("springfield", ""));
    world.sandbox.create_zone("springfield.example.org");
    let applied = world.run(&cli, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    // `records` and `refresh` count no days: no --today.
    let without_today = |mut args: Vec<String>| {
        if let Some(at) = args.iter().position(|a| a == "--today") {
            args.drain(at..at + 2);
        }
        args
    };
    let csv = crate::support::cli::Cli::reuse(
        &cli,
        without_today(world.args(&["records", "springfield", "--format", "csv"])),
    )
    .run();
    let names: Vec<String> = csv
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2).map(String::from))
        .collect();
    assert_eq!(names.len(), 3, "{}", csv.all());
    // The library's DNS provider answers TXT records with escape sequences where the DKIM
    // CNAMEs, the SPF record and the DMARC record belong.
    let mut zone = String::from(
        "$ORIGIN springfield.example.org.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n",
    );
    for name in &names {
        zone.push_str(&format!("{name}. TXT \"{TXT_ESCAPES}\"\n"));
    }
    zone.push_str(&format!("@ TXT \"v=spf1 {TXT_ESCAPES} -all\"\n"));
    zone.push_str(&format!("_dmarc TXT \"v=DMARC1; p=none; {TXT_ESCAPES}\"\n"));
    let knot = Knot::start(&[("springfield.example.org", &zone)]);
    let with_knot = |command: &[&str]| {
        let mut args = world.args(command);
        if matches!(command[0], "records" | "refresh") {
            args = without_today(args);
        }
        let at = args
            .iter()
            .position(|a| a == "--resolver")
            .expect("resolver");
        args[at + 1] = knot.addr.to_string();
        crate::support::cli::Cli::reuse(&cli, args).run()
    };

    let plan = with_knot(&["plan"]);
    assert!(
        plan.stdout.contains("dns::txt-instead-of-cname"),
        "{}",
        plan.all()
    );
    assert_inert("plan", &plan, true);
    let markdown = with_knot(&["plan", "--format", "markdown"]);
    assert_inert("plan markdown", &markdown, true);
    // Before it asks for confirmation apply shows the plan (a new library gives it a change);
    // off a terminal it then stops without asking.
    std::fs::write(
        cli.path().join("libraries/shelbyville.kdl"),
        library("shelbyville", ""),
    )
    .expect("write");
    let confirm = with_knot(&["apply"]);
    assert!(
        confirm.stdout.contains("dns::txt-instead-of-cname")
            && confirm.all().contains("apply cannot ask"),
        "{}",
        confirm.all()
    );
    assert_inert("apply confirmation", &confirm, true);
    let refresh = with_knot(&["refresh"]);
    assert_eq!(refresh.code, 0, "{}", refresh.all());
    assert_inert("refresh", &refresh, false);
    assert!(
        refresh.stdout.contains("\\u001b]0;pwned"),
        "{}",
        refresh.stdout
    );
    drop(knot);
}
