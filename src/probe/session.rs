//! The conversation with the server: every byte of socket I/O of the probe
//! lives here. Decisions about what replies mean are made by the pure
//! modules beside this one.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::auth::{self, Choice, Mechanism};
use super::ehlo::Capabilities;
use super::legacy;
use super::outcome::{
    Direction, ProbeReport, Stage, StageOutcome, Status, TlsDetails, TranscriptLine, Verdict,
};
use super::reply::{MAX_LINE_BYTES, Reply, ReplyError, ReplyParser};
use super::tls::{self, SeenChain};
use super::{ProbeOptions, ProbeTarget, Security, google};
use crate::secret::REDACTED;

/// Marks that a stage failed and its outcome is recorded: the conversation stops.
#[derive(Debug)]
pub(super) struct Stop;

/// Replaces the password, and the encodings of it that AUTH uses, in text a
/// server sent (a hostile server could echo it back).
struct Redactor {
    patterns: Vec<String>,
}

impl Redactor {
    fn new(target: &ProbeTarget) -> Self {
        let pw = target.password.expose();
        let mut patterns = [
            pw.to_string(),
            auth::base64(pw),
            auth::plain_response(&target.username, pw),
        ]
        .into_iter()
        // Patterns under 4 characters would blank out ordinary words. This is
        // the second line of defence: the probe itself records AUTH lines
        // only as `<redacted>`; scrubbing catches a server echoing them.
        .filter(|p| p.len() >= 4)
        .collect::<Vec<_>>();
        // Longest first, so a whole PLAIN blob goes before the password's
        // own encoding that may sit inside it.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Redactor { patterns }
    }

    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for p in &self.patterns {
            if out.contains(p.as_str()) {
                out = out.replace(p.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Collects outcomes and the transcript as the conversation goes.
struct Recorder {
    stage: Stage,
    outcomes: Vec<StageOutcome>,
    transcript: Option<Vec<TranscriptLine>>,
    tls: Option<TlsDetails>,
    redactor: Redactor,
}

impl Recorder {
    fn push(&mut self, outcome: StageOutcome) {
        self.outcomes.push(outcome);
    }

    fn fail(&mut self, outcome: StageOutcome) -> Stop {
        self.outcomes.push(outcome);
        Stop
    }

    fn line(&mut self, direction: Direction, text: impl Into<String>) {
        if let Some(t) = &mut self.transcript {
            t.push(TranscriptLine {
                direction,
                text: text.into(),
            });
        }
    }
}

pub(super) async fn run(target: &ProbeTarget, opts: &ProbeOptions) -> ProbeReport {
    let taken_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let deadline = later(started, opts.deadline);
    let mut rec = Recorder {
        stage: Stage::Connect,
        outcomes: google::check(&target.host, target.google, &target.password),
        transcript: opts.transcript.then(Vec::new),
        tls: None,
        redactor: Redactor::new(target),
    };
    let finished = timeout_at(deadline, converse(target, opts, &mut rec, deadline)).await;
    if finished.is_err() {
        let stage = rec.stage;
        rec.push(
            StageOutcome::fail(
                stage,
                "deadline",
                format!(
                    "the probe's overall deadline of {} ran out during this stage",
                    seconds(opts.deadline)
                ),
            )
            .action("check that the server answers promptly; a slow or stalling server cannot deliver the platform's mail"),
        );
    }
    for stage in Stage::NETWORK {
        if !rec.outcomes.iter().any(|o| o.stage == stage) {
            rec.outcomes.push(StageOutcome::new(
                stage,
                Status::Skipped,
                "skipped",
                "not run: an earlier stage failed",
            ));
        }
    }
    ProbeReport {
        taken_at,
        duration: started.elapsed(),
        target: target.summary(),
        verdict: Verdict::from_outcomes(&rec.outcomes),
        stages: rec.outcomes,
        tls: rec.tls,
        transcript: rec.transcript,
    }
}

async fn converse(
    target: &ProbeTarget,
    opts: &ProbeOptions,
    rec: &mut Recorder,
    deadline: Instant,
) -> Result<(), Stop> {
    let (config, seen) = tls::client_config(&opts.extra_roots).map_err(|e| {
        rec.fail(StageOutcome::fail(
            Stage::Tls,
            "configuration",
            format!("the probe's TLS setup failed: {e}"),
        ))
    })?;
    let tcp = connect(target, opts, rec, deadline).await?;
    let peer = tcp.peer_addr().ok();
    let mut s = Session {
        peer,
        conn: Conn {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            reply_bytes: 0,
        },
        rec,
        opts,
        target,
        deadline,
        config,
        seen,
        cleartext_auth: Vec::new(),
        broken: false,
        awaiting: "the greeting".into(),
    };
    let result = s.stages().await;
    // Say goodbye whenever the conversation is still in step, also after a
    // refusal, so the server's log shows a clean end.
    s.quit().await;
    result
}

/// `from + step`, saturating: a huge timeout must not panic on overflow.
fn later(from: Instant, step: Duration) -> Instant {
    from.checked_add(step)
        .unwrap_or_else(|| from + Duration::from_secs(365 * 24 * 3600))
}

fn until(deadline: Instant, step: Duration) -> Instant {
    later(Instant::now(), step).min(deadline)
}

/// A duration as people read it in a diagnosis: `20 s`, `0.7 s`.
pub(super) fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// How long a wait that ended at its limit lasted, rounded to a tenth of a second so a
/// diagnosis reads the same from run to run.
fn waited(since: Instant) -> String {
    let tenths = (since.elapsed().as_millis() + 50) / 100;
    seconds(Duration::from_millis(
        u64::try_from(tenths * 100).unwrap_or(u64::MAX),
    ))
}

async fn connect(
    target: &ProbeTarget,
    opts: &ProbeOptions,
    rec: &mut Recorder,
    deadline: Instant,
) -> Result<TcpStream, Stop> {
    rec.stage = Stage::Connect;
    let s = Stage::Connect;
    let host = target.host.as_str();
    let lookup = tokio::net::lookup_host((host, target.port));
    let addrs: Vec<SocketAddr> = match timeout_at(until(deadline, opts.connect_timeout), lookup)
        .await
    {
        Err(_) => {
            return Err(rec.fail(
                StageOutcome::fail(
                    s,
                    "dns_timeout",
                    format!("looking up {host} in DNS took too long"),
                )
                .action("check the server name; if it is right, its DNS servers are not answering"),
            ));
        }
        Ok(Err(e)) => {
            return Err(rec.fail(
                StageOutcome::fail(s, "dns", format!("the name {host} could not be found in DNS ({e})"))
                    .action("check the server name for typos; it must be a name that resolves on the internet"),
            ));
        }
        Ok(Ok(a)) => a.collect(),
    };
    if addrs.is_empty() {
        return Err(rec.fail(
            StageOutcome::fail(s, "dns", format!("the name {host} has no addresses in DNS"))
                .action("check the server name for typos"),
        ));
    }
    let mut refused = Vec::new();
    let mut timed_out = Vec::new();
    let mut stopped_by_deadline = false;
    let started = Instant::now();
    let mut other = Vec::new();
    for addr in addrs {
        rec.line(Direction::Note, format!("connecting to {addr}"));
        let limit = until(deadline, opts.connect_timeout);
        stopped_by_deadline = limit == deadline;
        match timeout_at(limit, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => {
                // Request and reply alternate: without this, Nagle's
                // algorithm and delayed ACKs add tens of milliseconds a turn.
                let _ = tcp.set_nodelay(true);
                rec.push(StageOutcome::pass(
                    s,
                    "ok",
                    format!("connected to {host} port {}", target.port),
                ));
                return Ok(tcp);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => refused.push(addr),
            Ok(Err(e)) => other.push(format!("{addr}: {e}")),
            Err(_) => timed_out.push(addr),
        }
    }
    let port = target.port;
    let outcome = if !timed_out.is_empty() {
        let why = if stopped_by_deadline {
            format!(
                "the probe's overall deadline of {} ran out while connecting to {host} port {port} (waited {}); the server never accepted the connection",
                seconds(opts.deadline),
                waited(started)
            )
        } else {
            format!(
                "no answer from {host} port {port}: the connection was not accepted within {} (waited {} in all)",
                seconds(opts.connect_timeout),
                waited(started)
            )
        };
        StageOutcome::fail(s, "timeout", why).action(format!(
            "check the host and port; a firewall may drop connections to port {port}"
        ))
    } else if !refused.is_empty() {
        StageOutcome::fail(
            s,
            "refused",
            format!("{host} refused connections on port {port}"),
        )
        .action(format!(
            "check the port number; no mail server listens on port {port} of {host}"
        ))
    } else {
        StageOutcome::fail(
            s,
            "unreachable",
            format!("could not reach {host}: {}", other.join("; ")),
        )
        .action("check the host name and that the server is reachable from the internet")
    };
    Err(rec.fail(outcome))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Between taking the plain stream and getting the TLS one back.
    Gone,
}

/// Why reading a reply failed.
enum ReadError {
    Timeout,
    Closed,
    Io(io::Error),
    Reply(ReplyError),
}

/// A connection with a read buffer that never holds more than one line.
struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    /// Bytes of the reply being read so far: tells a silent server from a slow one when a
    /// read is cut off by its timeout.
    reply_bytes: usize,
}

impl Conn {
    async fn read_some(&mut self, chunk: &mut [u8]) -> io::Result<usize> {
        match &mut self.stream {
            Stream::Plain(s) => s.read(chunk).await,
            Stream::Tls(s) => s.read(chunk).await,
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    async fn write_line(&mut self, line: &str) -> io::Result<()> {
        let bytes = format!("{line}\r\n");
        match &mut self.stream {
            Stream::Plain(s) => {
                s.write_all(bytes.as_bytes()).await?;
                s.flush().await
            }
            Stream::Tls(s) => {
                s.write_all(bytes.as_bytes()).await?;
                s.flush().await
            }
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Reads one whole reply. Memory stays bounded: a line longer than
    /// [`MAX_LINE_BYTES`] or a reply over the parser's limits is an error.
    async fn read_reply(&mut self) -> Result<Reply, ReadError> {
        let mut parser = ReplyParser::new();
        let mut chunk = [0u8; 1024];
        self.reply_bytes = self.buf.len();
        loop {
            while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if let Some(reply) = parser.push(&line).map_err(ReadError::Reply)? {
                    return Ok(reply);
                }
            }
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(ReadError::Reply(ReplyError::LineTooLong));
            }
            let n = self.read_some(&mut chunk).await.map_err(ReadError::Io)?;
            if n == 0 {
                return Err(ReadError::Closed);
            }
            self.reply_bytes += n;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

struct Session<'a> {
    /// The address we are connected to, for a second look at its TLS.
    peer: Option<SocketAddr>,
    conn: Conn,
    rec: &'a mut Recorder,
    opts: &'a ProbeOptions,
    target: &'a ProbeTarget,
    deadline: Instant,
    config: Arc<ClientConfig>,
    seen: SeenChain,
    /// AUTH mechanisms offered before TLS.
    cleartext_auth: Vec<String>,
    /// The conversation is out of step (timeout, bad reply, lost connection):
    /// nothing more is sent.
    broken: bool,
    /// What the next read waits for, for a timeout's diagnosis: `the greeting`, `the reply
    /// to EHLO`.
    awaiting: String,
}

/// How a reply is shown in the transcript.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    AsIs,
    /// AUTH challenges: show the code only.
    CodeOnly,
}

impl Session<'_> {
    fn stage_until(&self) -> Instant {
        until(self.deadline, self.opts.stage_timeout)
    }

    fn io_failure(&mut self, what: &str, detail: String) -> Stop {
        self.broken = true;
        let stage = self.rec.stage;
        self.rec.fail(
            StageOutcome::fail(stage, what, detail)
                .action("check the host, port and security setting; then ask the mail server's administrator to look at its logs"),
        )
    }

    async fn send(&mut self, line: &str) -> Result<(), Stop> {
        self.rec.line(Direction::Client, line);
        self.awaiting = format!("the reply to {}", verb(line));
        self.write(line).await
    }

    /// Sends a line that carries a secret; the transcript gets `shown`.
    async fn send_secret(&mut self, line: &str, shown: &str) -> Result<(), Stop> {
        self.rec.line(Direction::Client, shown);
        self.awaiting = "the reply to the credentials (AUTH)".into();
        self.write(line).await
    }

    async fn write(&mut self, line: &str) -> Result<(), Stop> {
        let started = Instant::now();
        match timeout_at(self.stage_until(), self.conn.write_line(line)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.io_failure(
                "connection_lost",
                format!("sending to the server failed: {}", tls::io_reason(&e)),
            )),
            Err(_) => {
                let why = format!(
                    "the server stopped taking data: sending `{}` did not finish in {}",
                    verb(line),
                    waited(started)
                );
                Err(self.io_failure("timeout", why))
            }
        }
    }

    async fn read(&mut self, show: Show) -> Result<Reply, Stop> {
        let limit = self.stage_until();
        let by_deadline = limit == self.deadline;
        let started = Instant::now();
        let result = match timeout_at(limit, self.conn.read_reply()).await {
            Ok(r) => r,
            Err(_) => Err(ReadError::Timeout),
        };
        match result {
            Ok(mut reply) => {
                for l in &mut reply.lines {
                    *l = self.rec.redactor.scrub(l);
                }
                if show == Show::CodeOnly && reply.code == 334 {
                    self.rec.line(Direction::Server, format!("334 {REDACTED}"));
                } else {
                    for l in reply.wire_lines() {
                        self.rec.line(Direction::Server, l);
                    }
                }
                Ok(reply)
            }
            Err(ReadError::Timeout) => {
                self.broken = true;
                let what = &self.awaiting;
                let took = waited(started);
                let sent = match self.conn.reply_bytes {
                    0 => "the server sent nothing".to_string(),
                    n => format!(
                        "the server sent {n} byte{} of it but never finished the reply: it sends too slowly",
                        if n == 1 { "" } else { "s" }
                    ),
                };
                let why = if by_deadline {
                    format!(
                        "the probe's overall deadline of {} ran out while waiting {took} for {what}; {sent}",
                        seconds(self.opts.deadline)
                    )
                } else {
                    format!(
                        "waited {took} for {what} (the limit for one reply is {}); {sent}",
                        seconds(self.opts.stage_timeout)
                    )
                };
                let stage = self.rec.stage;
                Err(self.rec.fail(
                    StageOutcome::fail(stage, "timeout", why)
                        .action("check the port and security setting (STARTTLS set for an implicit-TLS port such as 465 stalls like this); a server that answers this slowly cannot serve the platform"),
                ))
            }
            Err(ReadError::Closed) => Err(self.io_failure(
                "connection_closed",
                "the server closed the connection".into(),
            )),
            Err(ReadError::Io(e)) => Err(self.io_failure(
                "connection_lost",
                format!("the connection broke: {}", tls::io_reason(&e)),
            )),
            Err(ReadError::Reply(e @ (ReplyError::LineTooLong | ReplyError::ReplyTooLong))) => {
                Err(self.io_failure(
                    "reply_too_long",
                    format!("the server's reply is too long: {e}"),
                ))
            }
            Err(ReadError::Reply(e)) => {
                let text = self.rec.redactor.scrub(&e.to_string());
                Err(self.io_failure(
                    "malformed_reply",
                    format!("the server does not speak SMTP here: {text}"),
                ))
            }
        }
    }

    async fn command(&mut self, line: &str) -> Result<Reply, Stop> {
        self.send(line).await?;
        self.read(Show::AsIs).await
    }

    async fn handshake(&mut self) -> Result<(), Stop> {
        self.rec.stage = Stage::Tls;
        let s = Stage::Tls;
        let host = self.target.host.clone();
        let name = match ServerName::try_from(host.clone()) {
            Ok(n) => n,
            Err(_) => {
                return Err(self.rec.fail(
                    StageOutcome::fail(
                        s,
                        "invalid_host_name",
                        format!("{host} is not a valid host name for TLS"),
                    )
                    .action("give the server's host name as its certificate names it"),
                ));
            }
        };
        // Until the handshake succeeds there is no stream to say QUIT on.
        self.broken = true;
        let Stream::Plain(tcp) = std::mem::replace(&mut self.conn.stream, Stream::Gone) else {
            return Err(self.io_failure("connection_lost", "no plain connection to secure".into()));
        };
        self.conn.buf.clear();
        self.rec.line(Direction::Note, "TLS handshake");
        let connector = TlsConnector::from(self.config.clone());
        let limit = self.stage_until();
        let by_deadline = limit == self.deadline;
        let started = Instant::now();
        let result = timeout_at(limit, connector.connect(name, tcp)).await;
        let chain = self
            .seen
            .lock()
            .ok()
            .and_then(|g| g.clone())
            .unwrap_or_default();
        let leaf = chain.first().and_then(|der| tls::certificate_info(der));
        let now = OffsetDateTime::now_utc();
        let days_left = leaf.as_ref().map(|c| (c.not_after - now).whole_days());
        match result {
            Err(_) => {
                let took = waited(started);
                let sent = if chain.is_empty() {
                    "the server sent no TLS answer (no certificate)"
                } else {
                    "the server sent its certificate but did not finish the handshake"
                };
                let why = if by_deadline {
                    format!(
                        "the probe's overall deadline of {} ran out during the TLS handshake (waited {took}); {sent}",
                        seconds(self.opts.deadline)
                    )
                } else {
                    format!(
                        "the TLS handshake did not finish: waited {took} (the limit for one step is {}); {sent}",
                        seconds(self.opts.stage_timeout)
                    )
                };
                Err(self.rec.fail(
                    StageOutcome::fail(s, "handshake_timeout", why)
                        .action("check that this port speaks TLS as configured (implicit TLS on 465, STARTTLS on 587)"),
                ))
            }
            Ok(Err(e)) => {
                self.rec.tls = Some(TlsDetails {
                    version: None,
                    cipher: None,
                    certificate: leaf.clone(),
                    days_left,
                });
                self.rec.line(Direction::Note, "TLS handshake failed");
                let last = chain.last().and_then(|der| tls::certificate_info(der));
                let presented = tls::Presented {
                    leaf: leaf.as_ref(),
                    count: chain.len(),
                    last_issuer: last.as_ref().map(|c| c.issuer.as_str()),
                };
                let mut outcome = tls::diagnose_handshake(&e, presented, &host);
                if legacy::worth_sniffing(&e)
                    && let Some(answer) = self.sniff_tls_version().await
                {
                    outcome = legacy::refine(outcome, answer);
                }
                Err(self.rec.fail(outcome))
            }
            Ok(Ok(stream)) => {
                let (_, session) = stream.get_ref();
                let version = session.protocol_version().map(tls::version_name);
                let cipher = session
                    .negotiated_cipher_suite()
                    .map(|c| format!("{:?}", c.suite()));
                let v = version.clone().unwrap_or_default();
                let c = cipher.clone().unwrap_or_default();
                self.rec
                    .line(Direction::Note, format!("TLS established: {v}, {c}"));
                let cert_text = leaf
                    .as_ref()
                    .map(|l| {
                        format!(
                            "; certificate {} issued by {}, valid until {}",
                            l.subject,
                            l.issuer,
                            tls::day(l.not_after)
                        )
                    })
                    .unwrap_or_default();
                self.rec.push(StageOutcome::pass(
                    s,
                    "ok",
                    format!("{v} with {c}{cert_text}"),
                ));
                if let Some(warning) = leaf
                    .as_ref()
                    .zip(days_left)
                    .and_then(|(l, days)| tls::expiry_warning(l, days))
                {
                    self.rec.push(warning);
                }
                self.rec.tls = Some(TlsDetails {
                    version,
                    cipher,
                    certificate: leaf,
                    days_left,
                });
                self.conn.stream = Stream::Tls(Box::new(stream));
                self.broken = false;
                Ok(())
            }
        }
    }

    /// Opens a second connection, only after a failed handshake, to see
    /// which TLS version the server picks from a wider offer (see [`legacy`]).
    async fn sniff_tls_version(&mut self) -> Option<legacy::ServerAnswer> {
        let addr = self.peer?;
        let starttls = self.target.security == Security::Starttls;
        let ehlo = format!("EHLO {}", self.opts.ehlo_name);
        let sni = match ServerName::try_from(self.target.host.as_str()) {
            Ok(ServerName::DnsName(_)) => Some(self.target.host.clone()),
            _ => None,
        };
        self.rec.line(
            Direction::Note,
            "second connection: offering TLS 1.0 to 1.2 to learn the server's version",
        );
        let look = async move {
            let tcp = TcpStream::connect(addr).await.ok()?;
            let mut conn = Conn {
                stream: Stream::Plain(tcp),
                buf: Vec::new(),
                reply_bytes: 0,
            };
            if starttls {
                conn.read_reply().await.ok()?;
                conn.write_line(&ehlo).await.ok()?;
                conn.read_reply().await.ok()?;
                conn.write_line("STARTTLS").await.ok()?;
                if conn.read_reply().await.ok()?.code != 220 {
                    return None;
                }
            }
            let Stream::Plain(mut tcp) = conn.stream else {
                return None;
            };
            tcp.write_all(&legacy::client_hello(sni.as_deref()))
                .await
                .ok()?;
            let mut seen = Vec::new();
            let mut chunk = [0u8; 512];
            loop {
                if let Some(answer) = legacy::parse_answer(&seen) {
                    return Some(answer);
                }
                let n = tcp.read(&mut chunk).await.ok()?;
                if n == 0 || seen.len() > 4096 {
                    return None;
                }
                seen.extend_from_slice(&chunk[..n]);
            }
        };
        let answer = timeout_at(self.stage_until(), look).await.ok().flatten();
        if let Some(a) = answer {
            self.rec.line(Direction::Note, a.describe());
        }
        answer
    }

    async fn greeting(&mut self) -> Result<(), Stop> {
        self.rec.stage = Stage::Greeting;
        self.awaiting = "the greeting".into();
        let s = Stage::Greeting;
        let r = self.read(Show::AsIs).await?;
        let said = r.summary();
        let outcome = match r.code {
            220 => StageOutcome::pass(s, "ok", format!("the server greeted: {said}")),
            421 | 554 => StageOutcome::fail(s, "rejected", format!("the server refused the connection: {said}"))
                .action("ask the mail server's administrator to accept connections from the platform; the server may also be overloaded"),
            _ => StageOutcome::fail(s, "unexpected", format!("the server greeted with an unexpected reply: {said}"))
                .action("check that this host and port is an SMTP submission service"),
        };
        let failed = outcome.status == Status::Fail;
        self.rec.push(outcome);
        if failed { Err(Stop) } else { Ok(()) }
    }

    /// EHLO; `first` is false for the repeat after STARTTLS.
    async fn ehlo(&mut self, first: bool) -> Result<Capabilities, Stop> {
        self.rec.stage = if first { Stage::Ehlo } else { Stage::Tls };
        let s = self.rec.stage;
        let line = format!("EHLO {}", self.opts.ehlo_name);
        let r = self.command(&line).await?;
        let said = r.summary();
        match r.code {
            250 => {
                let caps = Capabilities::parse(&r);
                if first {
                    self.rec.push(StageOutcome::pass(
                        s,
                        "ok",
                        format!("the server speaks ESMTP; it offers {}", caps.keywords.join(" ")),
                    ));
                }
                Ok(caps)
            }
            500 | 502 | 504 if first => Err(self.rec.fail(
                StageOutcome::fail(
                    s,
                    "esmtp_unsupported",
                    format!("the server does not understand EHLO, so it does not speak ESMTP (requirement 1): {said}"),
                )
                .action("use a mail server that supports ESMTP (RFC 5321); every current server does"),
            )),
            _ => Err(self.rec.fail(
                StageOutcome::fail(s, "ehlo_refused", format!("the server refused EHLO: {said}"))
                    .action("ask the mail server's administrator why it refuses the platform's EHLO"),
            )),
        }
    }

    async fn starttls(&mut self, plain: Capabilities) -> Result<Capabilities, Stop> {
        self.rec.stage = Stage::Tls;
        let s = Stage::Tls;
        if !plain.auth.is_empty() {
            self.cleartext_auth = plain.auth.clone();
            self.rec.push(
                StageOutcome::warn(
                    s,
                    "auth_before_tls",
                    format!(
                        "security: the server offers AUTH ({}) before encryption, so a mail program set up without TLS would send its password in clear text; the probe sent nothing",
                        plain.auth.join(" ")
                    ),
                )
                .action("offer AUTH only after STARTTLS"),
            );
        }
        if !plain.starttls {
            return Err(self.rec.fail(
                StageOutcome::fail(s, "starttls_not_offered", "the server does not offer STARTTLS, so passwords would cross in clear text (requirement 2)")
                    .action("enable STARTTLS with a certificate from a public authority, or give us the implicit-TLS port (465)"),
            ));
        }
        let r = self.command("STARTTLS").await?;
        if r.code != 220 {
            return Err(self.rec.fail(
                StageOutcome::fail(
                    s,
                    "starttls_refused",
                    format!(
                        "the server offered STARTTLS but refused it: {}",
                        r.summary()
                    ),
                )
                .action("check the server's TLS certificate and key configuration"),
            ));
        }
        self.handshake().await?;
        self.ehlo(false).await
    }

    async fn relay(&mut self) -> Result<(), Stop> {
        self.rec.stage = Stage::Relay;
        let s = Stage::Relay;
        let from = self.target.from.clone();
        let rcpt = self.opts.relay_probe_recipient.clone();
        let r = self.command(&format!("MAIL FROM:<{from}>")).await?;
        if !r.is_positive() {
            self.rec.push(StageOutcome::pass(
                s,
                "closed",
                format!("the server takes no mail before authentication ({}), so it does not relay for strangers", r.summary()),
            ));
        } else {
            let r = self.command(&format!("RCPT TO:<{rcpt}>")).await?;
            if r.is_positive() {
                self.rec.push(
                    StageOutcome::fail(
                        s,
                        "open",
                        format!("the server accepted mail for {rcpt} without authentication: it is an open relay (requirement 4): {}", r.summary()),
                    )
                    .action("allow relaying to outside domains only for authenticated users"),
                );
            } else {
                self.rec.push(StageOutcome::pass(
                    s,
                    "closed",
                    format!(
                        "the server refused to relay to {rcpt} without authentication: {}",
                        r.summary()
                    ),
                ));
            }
        }
        self.command("RSET").await?;
        Ok(())
    }

    async fn auth(&mut self, caps: &Capabilities) -> Result<(), Stop> {
        self.rec.stage = Stage::Auth;
        let s = Stage::Auth;
        let offered = caps.auth.join(" ");
        let mechanism = match auth::choose(&caps.auth) {
            Choice::Use(m) => m,
            Choice::Nothing if !self.cleartext_auth.is_empty() => {
                return Err(self.rec.fail(
                    StageOutcome::fail(s, "only_before_tls", "the server offers AUTH only before encryption, never after TLS; the probe does not send credentials in clear text (requirement 2)")
                        .action("offer AUTH (PLAIN or LOGIN) after STARTTLS"),
                ));
            }
            Choice::Nothing => {
                return Err(self.rec.fail(
                    StageOutcome::fail(
                        s,
                        "not_offered",
                        "the server offers no authentication (requirement 3)",
                    )
                    .action("enable SMTP AUTH with PLAIN or LOGIN for this port"),
                ));
            }
            Choice::OAuthOnly => {
                return Err(self.rec.fail(
                    StageOutcome::fail(s, "oauth_only", format!("the server offers only OAuth mechanisms ({offered}); OAuth is not supported by the platform"))
                        .action("enable password authentication (PLAIN, LOGIN or CRAM-MD5) for this account, or for Google use an App Password"),
                ));
            }
            Choice::NoneUsable => {
                return Err(self.rec.fail(
                    StageOutcome::fail(s, "no_supported_mechanism", format!("the server offers {offered}, but none of CRAM-MD5, LOGIN or PLAIN (requirement 3)"))
                        .action("enable PLAIN or LOGIN authentication over TLS"),
                ));
            }
        };
        let user = self.target.username.clone();
        let password = self.target.password.clone();
        let pw = password.expose();
        let hidden = REDACTED;
        let mut r = match mechanism {
            Mechanism::Plain => {
                let resp = auth::plain_response(&user, pw);
                self.send_secret(
                    &format!("AUTH PLAIN {resp}"),
                    &format!("AUTH PLAIN {hidden}"),
                )
                .await?;
                let r = self.read(Show::CodeOnly).await?;
                if r.code == 334 {
                    self.send_secret(&resp, hidden).await?;
                    self.read(Show::CodeOnly).await?
                } else {
                    r
                }
            }
            Mechanism::Login => {
                self.send("AUTH LOGIN").await?;
                let mut r = self.read(Show::CodeOnly).await?;
                if r.code == 334 {
                    self.send_secret(&auth::base64(&user), hidden).await?;
                    r = self.read(Show::CodeOnly).await?;
                }
                if r.code == 334 {
                    self.send_secret(&auth::base64(pw), hidden).await?;
                    r = self.read(Show::CodeOnly).await?;
                }
                r
            }
            Mechanism::CramMd5 => {
                self.send("AUTH CRAM-MD5").await?;
                let r = self.read(Show::CodeOnly).await?;
                if r.code == 334 {
                    let Some(resp) = auth::cram_md5_response(&user, pw, r.text()) else {
                        self.send("*").await?;
                        let _ = self.read(Show::AsIs).await;
                        return Err(self.rec.fail(
                            StageOutcome::fail(
                                s,
                                "malformed_challenge",
                                "the server's CRAM-MD5 challenge is not base64",
                            )
                            .action("fix the server's CRAM-MD5 support or offer PLAIN or LOGIN"),
                        ));
                    };
                    self.send_secret(&resp, hidden).await?;
                    self.read(Show::CodeOnly).await?
                } else {
                    r
                }
            }
        };
        if r.is_intermediate() {
            // The server wants more than the mechanism defines: cancel.
            self.send("*").await?;
            r = self.read(Show::AsIs).await?;
        }
        let outcome = auth::diagnose(&r, mechanism, &user);
        let failed = outcome.status == Status::Fail;
        let mut outcome = outcome;
        if !failed {
            outcome.diagnosis = format!("{} (offered: {offered})", outcome.diagnosis);
        }
        self.rec.push(outcome);
        if failed { Err(Stop) } else { Ok(()) }
    }

    async fn sender(&mut self) -> Result<(), Stop> {
        self.rec.stage = Stage::Sender;
        let s = Stage::Sender;
        let from = self.target.from.clone();
        let user = self.target.username.clone();
        let r = self.command(&format!("MAIL FROM:<{from}>")).await?;
        if r.is_positive() {
            self.rec.push(StageOutcome::pass(
                s,
                "accepted",
                format!("the server lets {user} send as {from}"),
            ));
            self.command("RSET").await?;
            Ok(())
        } else {
            Err(self.rec.fail(
                StageOutcome::fail(s, "refused", format!("the server does not let {user} send as {from}: {}", r.summary()))
                    .action(format!("allow the account {user} to send as {from} (a send-as right or alias), or give us the address it may send from")),
            ))
        }
    }

    /// Says goodbye; the verdict no longer depends on what happens here.
    async fn quit(&mut self) {
        if self.broken {
            return;
        }
        self.rec.line(Direction::Client, "QUIT");
        let limit = until(
            self.deadline,
            self.opts.stage_timeout.min(Duration::from_secs(2)),
        );
        let conn = &mut self.conn;
        let reply = timeout_at(limit, async {
            conn.write_line("QUIT").await.ok()?;
            conn.read_reply().await.ok()
        })
        .await;
        if let Ok(Some(reply)) = reply {
            for l in reply.wire_lines() {
                let l = self.rec.redactor.scrub(&l);
                self.rec.line(Direction::Server, l);
            }
        }
    }

    async fn stages(&mut self) -> Result<(), Stop> {
        if self.target.security == Security::Tls {
            self.handshake().await?;
        }
        self.greeting().await?;
        let mut caps = self.ehlo(true).await?;
        if self.target.security == Security::Starttls {
            caps = self.starttls(caps).await?;
        }
        self.relay().await?;
        self.auth(&caps).await?;
        self.sender().await
    }
}

/// The command word of a line the probe sends, for a diagnosis: `EHLO`, `MAIL FROM`.
fn verb(line: &str) -> String {
    let upper = line.to_ascii_uppercase();
    for two in [
        "MAIL FROM",
        "RCPT TO",
        "AUTH PLAIN",
        "AUTH LOGIN",
        "AUTH CRAM-MD5",
    ] {
        if upper.starts_with(two) {
            return two.to_string();
        }
    }
    upper.split_whitespace().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(seconds(Duration::from_secs(20)), "20 s");
        assert_eq!(seconds(Duration::from_millis(700)), "0.7 s");
        assert_eq!(verb("MAIL FROM:<a@b>"), "MAIL FROM");
        assert_eq!(verb("EHLO x"), "EHLO");
    }

    fn target(password: &str) -> ProbeTarget {
        ProbeTarget {
            host: "h".into(),
            port: 587,
            security: Security::Starttls,
            username: "user".into(),
            password: Secret::new(password),
            from: "a@b".into(),
            google: None,
        }
    }

    #[test]
    fn redactor_hides_password_and_its_encodings() {
        let r = Redactor::new(&target("s3cret-pw"));
        let plain = auth::plain_response("user", "s3cret-pw");
        let login = auth::base64("s3cret-pw");
        assert_eq!(r.scrub("535 bad s3cret-pw"), "535 bad <redacted>");
        assert_eq!(
            r.scrub(&format!("you sent AUTH PLAIN {plain}")),
            "you sent AUTH PLAIN <redacted>"
        );
        assert_eq!(r.scrub(&format!("you sent {login}")), "you sent <redacted>");
        assert_eq!(r.scrub("nothing here"), "nothing here");
    }

    #[test]
    fn redactor_ignores_very_short_passwords() {
        // A one-letter password would otherwise blank out every "a".
        let r = Redactor::new(&target("a"));
        assert_eq!(r.scrub("a reply"), "a reply");
    }

    #[test]
    fn huge_timeouts_do_not_overflow() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now);
        assert!(until(now, Duration::MAX) <= now);
    }
}
