//! One DNS question on the wire: UDP, TCP when the answer is truncated.
//!
//! mailform asks authoritative servers and reads only the records at the name it asked, so it
//! needs no resolver's logic: no CNAME chasing (the target of a DKIM CNAME lives in Amazon's
//! zone, which the library's servers refuse to answer for), and no retry of an answer that is
//! final. Only silence (a timeout, a network error) or SERVFAIL is asked again, of the next
//! server.
//!
//! What is in flight is limited by a [`Gate`]: so many questions at once in all, and a few per
//! name server, a server's permit taken before a place in the total, so questions waiting for
//! one slow server hold no place the others could use.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::op::{Edns, Message, Query as WireQuery, ResponseCode};
use hickory_resolver::proto::rr::Name;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tokio::time::{Instant, timeout_at};

use super::{Answer, DnsLimits, Query, to_rr};

/// The limits on questions in flight, shared by every question of one reader.
pub(super) struct Gate {
    total: Semaphore,
    /// Per name server; `None` with one pinned server, which the total already limits.
    per_server: Option<usize>,
    servers: std::sync::Mutex<HashMap<SocketAddr, Arc<Semaphore>>>,
}

/// A place in flight: the server's permit (when limited per server) and one of the total.
pub(super) struct Pass<'a> {
    _server: Option<OwnedSemaphorePermit>,
    _total: SemaphorePermit<'a>,
}

impl Gate {
    pub(super) fn new(limits: DnsLimits, per_server: bool) -> Self {
        Gate {
            total: Semaphore::new(limits.in_flight.max(1)),
            per_server: per_server.then_some(limits.per_server.max(1)),
            servers: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Waits for the server's turn, then for a place in the total.
    pub(super) async fn enter(&self, server: Option<SocketAddr>) -> Pass<'_> {
        let own = match (self.per_server, server) {
            (Some(n), Some(server)) => {
                let semaphore = self
                    .servers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(server)
                    .or_insert_with(|| Arc::new(Semaphore::new(n)))
                    .clone();
                semaphore.acquire_owned().await.ok()
            }
            _ => None,
        };
        Pass {
            _server: own,
            _total: self
                .total
                .acquire()
                .await
                .expect("the gate's semaphore is never closed"),
        }
    }
}

/// Tries per question, over the servers in turn.
pub(super) const ATTEMPTS: usize = 2;

/// The largest UDP answer we take (RFC 9715's safe size); larger ones come over TCP.
const UDP_PAYLOAD: u16 = 1232;

/// What one try brought back.
enum Try {
    Final(Answer),
    /// No answer worth keeping (a timeout, a network error, SERVFAIL): try again.
    Again(String),
}

/// Asks `q` of `servers`, the first one first, until one gives a final answer or
/// [`ATTEMPTS`] tries are spent.
pub(super) async fn ask(
    gate: &Gate,
    servers: &[SocketAddr],
    q: &Query,
    timeout: Duration,
) -> Answer {
    let request = match request(q) {
        Ok(r) => r,
        Err(e) => return Answer::Failed(e),
    };
    let mut last = format!("no name server to ask for {}", q.name);
    for server in servers.iter().cycle().take(ATTEMPTS.max(servers.len())) {
        let _pass = gate.enter(Some(*server)).await;
        match ask_one(*server, &request, timeout).await {
            Try::Final(answer) => return answer,
            Try::Again(why) => last = why,
        }
    }
    Answer::Failed(last)
}

/// The question as a message, and its id.
fn request(q: &Query) -> Result<(u16, Vec<u8>), String> {
    let name = Name::from_ascii(format!("{}.", q.name))
        .map_err(|e| format!("{} is not a DNS name: {e}", q.name))?;
    let mut message = Message::query();
    message.add_query(WireQuery::query(name, super::to_hickory(q.rtype)));
    message.metadata.recursion_desired = true;
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_PAYLOAD);
    message.set_edns(edns);
    let bytes = message
        .to_vec()
        .map_err(|e| format!("cannot encode the question for {}: {e}", q.name))?;
    Ok((message.metadata.id, bytes))
}

async fn ask_one(server: SocketAddr, (id, request): &(u16, Vec<u8>), timeout: Duration) -> Try {
    let deadline = Instant::now() + timeout;
    let reply = match timeout_at(deadline, udp(server, *id, request)).await {
        Err(_) => return Try::Again(format!("no answer from {server} within {timeout:?}")),
        Ok(Err(e)) => return Try::Again(format!("asking {server}: {e}")),
        Ok(Ok(reply)) if reply.metadata.truncation => {
            match timeout_at(deadline, tcp(server, *id, request)).await {
                Err(_) => return Try::Again(format!("no answer from {server} within {timeout:?}")),
                Ok(Err(e)) => return Try::Again(format!("asking {server} over TCP: {e}")),
                Ok(Ok(reply)) => reply,
            }
        }
        Ok(Ok(reply)) => reply,
    };
    match reply.metadata.response_code {
        ResponseCode::NoError => {
            let records: Vec<_> = reply.answers.iter().filter_map(to_rr).collect();
            Try::Final(if records.is_empty() {
                Answer::NoData
            } else {
                Answer::Records(records)
            })
        }
        ResponseCode::NXDomain => Try::Final(Answer::NxDomain),
        ResponseCode::ServFail => Try::Again(format!("{server} answered ServFail")),
        // Refused and the rest are final: asking again gets the same.
        other => Try::Final(Answer::Failed(format!("{server} answered {other:?}"))),
    }
}

async fn udp(server: SocketAddr, id: u16, request: &[u8]) -> std::io::Result<Message> {
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    socket.send(request).await?;
    let mut buf = vec![0u8; usize::from(UDP_PAYLOAD) + 512];
    loop {
        let n = socket.recv(&mut buf).await?;
        // A stray or forged datagram is not the answer; keep waiting for ours.
        if let Ok(reply) = Message::from_vec(&buf[..n])
            && reply.metadata.id == id
        {
            return Ok(reply);
        }
    }
}

async fn tcp(server: SocketAddr, id: u16, request: &[u8]) -> std::io::Result<Message> {
    let mut stream = TcpStream::connect(server).await?;
    let len = u16::try_from(request.len()).map_err(std::io::Error::other)?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream.write_all(&framed).await?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await?;
    let reply = Message::from_vec(&buf).map_err(std::io::Error::other)?;
    if reply.metadata.id != id {
        return Err(std::io::Error::other("the answer is to another question"));
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_server_holds_no_place_the_others_could_use() {
        let gate = Gate::new(
            DnsLimits {
                in_flight: 2,
                per_server: 1,
            },
            true,
        );
        let slow: SocketAddr = ([127, 0, 0, 1], 1).into();
        let other: SocketAddr = ([127, 0, 0, 2], 1).into();
        // The slow server's one place is taken by a question that does not come back...
        let _stuck = gate.enter(Some(slow)).await;
        // ...and more of its questions wait for it,
        let waiting = async {
            let _a = gate.enter(Some(slow)).await;
            let _b = gate.enter(Some(slow)).await;
        };
        // while another server's question still finds a place in the total at once.
        tokio::select! {
            // The waiting questions go first: had they taken places in the total before
            // their server's turn, the other server's question would find none.
            biased;
            _ = waiting => panic!("the slow server got a second place"),
            pass = gate.enter(Some(other)) => drop(pass),
        }
        let within = tokio::time::timeout(Duration::from_secs(1), gate.enter(Some(other))).await;
        assert!(within.is_ok());
    }
}
