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
