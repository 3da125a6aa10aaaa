//! Misbehaving SMTP servers, written with tokio, for the failures a real
//! server is hard to make produce. Each listens on 127.0.0.1 on a free port
//! and stops when dropped.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the fake does with each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Accepts and never says a word.
    Silent,
    /// Sends a greeting one byte at a time, forever (a tarpit).
    Tarpit,
    /// Greets, then answers EHLO with a multi-line reply that never ends.
    EndlessReply,
    /// Sends bytes that are not SMTP.
    Garbage,
    /// Answers the connection with 421 and closes.
    Busy421,
    /// Implicit TLS: reads the ClientHello, then resets the connection.
    ResetInHandshake,
    /// Speaks only HELO: 502 to EHLO.
    HeloOnly,
    /// Greets, then never answers EHLO.
    SilentAfterGreeting,
    /// An HTTP server on the SMTP port: a long text line, then a page.
    HttpServer,
}

/// How an [`AuthServer`] refuses the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Hostile: echo every AUTH line the client sent back in a 535.
    Echo,
    /// Answer with this reply line (code and text), e.g. Google's 534 5.7.9.
    Fixed(&'static str),
}

/// A server over implicit TLS (the test CA's good certificate) that offers
/// one AUTH mechanism and always refuses it as told.
pub struct AuthServer {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TLS acceptor serving the test CA's good certificate, for the fake servers.
pub(crate) fn tls_acceptor(pki: &super::certs::TestPki) -> tokio_rustls::TlsAcceptor {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![pki.good.0.clone()], pki.good.1.clone_key())
        .expect("server cert");
    tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))
}

impl AuthServer {
    pub async fn start(
        mechanism: &'static str,
        refusal: Refusal,
        pki: &super::certs::TestPki,
    ) -> AuthServer {
        let acceptor = tls_acceptor(pki);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake server");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((sock, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    if let Ok(tls) = acceptor.accept(sock).await {
                        refuse_auth(BufReader::new(tls), mechanism, refusal).await;
                    }
                });
            }
        });
        AuthServer { port, task }
    }
}

async fn refuse_auth<S>(mut s: BufReader<S>, mechanism: &str, refusal: Refusal)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut heard = Vec::new();
    let say = |text: String| text.into_bytes();
    let mut out = say("220 echo.example ESMTP\r\n".into());
    loop {
        if s.get_mut().write_all(&out).await.is_err() || s.get_mut().flush().await.is_err() {
            return;
        }
        let mut l = String::new();
        if s.read_line(&mut l).await.unwrap_or(0) == 0 {
            return;
        }
        let l = l.trim_end().to_string();
        let verb = l.split(' ').next().unwrap_or("").to_ascii_uppercase();
        out = match verb.as_str() {
            "EHLO" => say(format!("250-echo.example\r\n250 AUTH {mechanism}\r\n")),
            "MAIL" | "RSET" => say("250 OK\r\n".into()),
            "RCPT" => say("550 5.7.1 relaying denied\r\n".into()),
            "QUIT" => say("221 bye\r\n".into()),
            "AUTH" if l.eq_ignore_ascii_case("AUTH LOGIN") => {
                heard.push(l);
                say("334 VXNlcm5hbWU6\r\n".into())
            }
            "AUTH" => match refusal {
                Refusal::Echo => say(format!("535 5.7.8 rejected, you sent: {l}\r\n")),
                Refusal::Fixed(reply) => say(format!("{reply}\r\n")),
            },
            _ if heard.len() == 1 => {
                heard.push(l);
                say("334 UGFzc3dvcmQ6\r\n".into())
            }
            _ => match refusal {
                Refusal::Echo => say(format!(
                    "535 5.7.8 rejected, you sent: {} then {l}\r\n",
                    heard.join(" then ")
                )),
                Refusal::Fixed(reply) => say(format!("{reply}\r\n")),
            },
        };
    }
}

pub struct FakeServer {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    pub async fn start(behaviour: Behaviour) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake server");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((sock, _)) = listener.accept().await {
                conns.spawn(serve(sock, behaviour));
            }
        });
        FakeServer { port, task }
    }
}

async fn line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut l = String::new();
    match reader.read_line(&mut l).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(l),
    }
}

async fn serve(sock: TcpStream, behaviour: Behaviour) {
    let mut reader = BufReader::new(sock);
    match behaviour {
        Behaviour::Silent => {
            let mut buf = [0u8; 256];
            // Hold the connection open; drain whatever arrives.
            while let Ok(n) = reader.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        }
        Behaviour::Tarpit => {
            let greeting = b"220-tarpit.example ESMTP ";
            for b in greeting.iter().chain(std::iter::repeat(&b'.')) {
                if reader.get_mut().write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Behaviour::EndlessReply => {
            let s = reader.get_mut();
            if s.write_all(b"220 endless.example ESMTP\r\n").await.is_err() {
                return;
            }
            if line(&mut reader).await.is_none() {
                return;
            }
            let chunk = b"250-this line never ends the reply\r\n".repeat(64);
            while reader.get_mut().write_all(&chunk).await.is_ok() {}
        }
        Behaviour::Garbage => {
            let _ = reader
                .get_mut()
                .write_all(b"\x00\xff\xfe garbage \x1b[31m not smtp\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behaviour::Busy421 => {
            let _ = reader
                .get_mut()
                .write_all(b"421 4.3.2 busy.example Service not available, closing transmission channel\r\n")
                .await;
        }
        Behaviour::ResetInHandshake => {
            let mut buf = [0u8; 64];
            let _ = reader.read(&mut buf).await;
            let sock = reader.into_inner();
            // SO_LINGER 0 makes close send a reset; nothing blocks here.
            #[allow(deprecated)]
            let _ = sock.set_linger(Some(Duration::ZERO));
            drop(sock);
        }
        Behaviour::SilentAfterGreeting => {
            if reader
                .get_mut()
                .write_all(b"220 slow.example ESMTP\r\n")
                .await
                .is_err()
            {
                return;
            }
            while line(&mut reader).await.is_some() {}
        }
        Behaviour::HttpServer => {
            let page = format!(
                "HTTP/1.1 400 Bad Request\r\nServer: {}\r\n\r\n<html>{}</html>\r\n",
                "x".repeat(200),
                "<p>bad request</p>".repeat(50)
            );
            let _ = reader.get_mut().write_all(page.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behaviour::HeloOnly => {
            if reader
                .get_mut()
                .write_all(b"220 old.example SMTP\r\n")
                .await
                .is_err()
            {
                return;
            }
            while let Some(l) = line(&mut reader).await {
                let answer: &[u8] = match l.get(..4).map(|c| c.to_ascii_uppercase()).as_deref() {
                    Some("EHLO") => b"502 5.5.2 Command not recognized\r\n",
                    Some("HELO") => b"250 old.example\r\n",
                    Some("QUIT") => b"221 bye\r\n",
                    _ => b"500 5.5.1 what?\r\n",
                };
                if reader.get_mut().write_all(answer).await.is_err() {
                    break;
                }
            }
        }
    }
}

// The notices' tests (feature `sandbox`) use the lost-answer relay.
#[cfg(feature = "sandbox")]
pub use lost_answer::LostAnswerRelay;

#[cfg(feature = "sandbox")]
mod lost_answer {
    use super::tls_acceptor;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    /// A relay over implicit TLS (the test CA's good certificate) that takes every message whole
    /// and then drops the connection without answering the end of DATA: the client cannot know
    /// whether the message was taken. Counts what it took.
    pub struct LostAnswerRelay {
        pub port: u16,
        pub taken: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
        task: JoinHandle<()>,
    }

    impl Drop for LostAnswerRelay {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl LostAnswerRelay {
        pub async fn start(pki: &crate::support::certs::TestPki) -> LostAnswerRelay {
            let acceptor = tls_acceptor(pki);
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind fake relay");
            let port = listener.local_addr().expect("local addr").port();
            let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let store = taken.clone();
            let task = tokio::spawn(async move {
                let mut conns = tokio::task::JoinSet::new();
                while let Ok((sock, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    let store = store.clone();
                    conns.spawn(async move {
                        if let Ok(tls) = acceptor.accept(sock).await {
                            take_and_drop(BufReader::new(tls), store).await;
                        }
                    });
                }
            });
            LostAnswerRelay { port, taken, task }
        }
    }

    async fn take_and_drop<S>(
        mut s: BufReader<S>,
        store: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let mut out = b"220 relay.example ESMTP\r\n".to_vec();
        loop {
            if s.get_mut().write_all(&out).await.is_err() || s.get_mut().flush().await.is_err() {
                return;
            }
            let mut l = String::new();
            if s.read_line(&mut l).await.unwrap_or(0) == 0 {
                return;
            }
            let verb = l
                .split([' ', '\r'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            out = match verb.as_str() {
                "EHLO" => b"250-relay.example\r\n250 AUTH PLAIN LOGIN\r\n".to_vec(),
                "AUTH" => b"235 2.7.0 Authentication successful\r\n".to_vec(),
                "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n".to_vec(),
                "QUIT" => b"221 bye\r\n".to_vec(),
                "DATA" => {
                    if s.get_mut().write_all(b"354 go ahead\r\n").await.is_err() {
                        return;
                    }
                    let _ = s.get_mut().flush().await;
                    let mut message = String::new();
                    loop {
                        let mut line = String::new();
                        if s.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        message.push_str(&line);
                    }
                    store.lock().expect("the store").push(message);
                    // The answer to the end of DATA never comes.
                    return;
                }
                _ => b"502 5.5.2 not here\r\n".to_vec(),
            };
        }
    }
}
