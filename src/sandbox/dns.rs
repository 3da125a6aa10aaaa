//! The authoritative DNS server (hickory-server, UDP and TCP on 127.0.0.1),
//! answering from the sandbox's zones through [`super::zones::lookup`].
//!
//! Records are stored in presentation form; this module checks values on
//! the way in ([`check_value`]) and turns them into wire records on the way
//! out.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::time::Duration;

use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;

use super::zones::{self, Rcode};
use super::{SandboxError, Shared, lock};

/// Binds UDP and TCP on the same port (a free one when `port` is 0).
pub(crate) fn bind(
    port: u16,
) -> Result<(std::net::UdpSocket, std::net::TcpListener), SandboxError> {
    let mut last = None;
    for _ in 0..20 {
        let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).map_err(|source| {
            SandboxError::Bind {
                what: "the DNS server (UDP)",
                port,
                source,
            }
        })?;
        let actual = udp.local_addr().map_err(SandboxError::Runtime)?.port();
        match std::net::TcpListener::bind(("127.0.0.1", actual)) {
            Ok(tcp) => {
                udp.set_nonblocking(true).map_err(SandboxError::Runtime)?;
                tcp.set_nonblocking(true).map_err(SandboxError::Runtime)?;
                return Ok((udp, tcp));
            }
            // With an ephemeral port the TCP side may be taken: try another.
            Err(source) if port == 0 => last = Some(source),
            Err(source) => {
                return Err(SandboxError::Bind {
                    what: "the DNS server (TCP)",
                    port,
                    source,
                });
            }
        }
    }
    Err(SandboxError::Bind {
        what: "the DNS server (TCP)",
        port,
        source: last.unwrap_or_else(|| std::io::Error::other("no free port")),
    })
}

/// Starts serving; the returned server must be kept alive (inside the
/// sandbox's runtime) for as long as it should answer.
pub(crate) fn serve(
    udp: std::net::UdpSocket,
    tcp: std::net::TcpListener,
    shared: Shared,
) -> Option<hickory_server::Server<Handler>> {
    let mut server = hickory_server::Server::new(Handler { shared });
    match (
        tokio::net::UdpSocket::from_std(udp),
        tokio::net::TcpListener::from_std(tcp),
    ) {
        (Ok(udp), Ok(tcp)) => {
            server.register_socket(udp);
            server.register_listener(tcp, Duration::from_secs(5), 64);
            Some(server)
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("mailform-sandbox: DNS server lost its sockets: {e}");
            None
        }
    }
}

pub(crate) struct Handler {
    shared: Shared,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let builder = MessageResponseBuilder::from_message_request(request);
        let Ok(info) = request.request_info() else {
            metadata.response_code = ResponseCode::FormErr;
            return send(
                &mut response_handle,
                builder,
                metadata,
                Vec::new(),
                Vec::new(),
            )
            .await;
        };
        let qname = info.query.name().to_string();
        let qtype = info.query.query_type().to_string();
        let (answer, latency) = {
            let world = lock(&self.shared);
            (
                zones::lookup(&world.state, &qname, &qtype),
                world.config.dns_latency_ms,
            )
        };
        // The distance to a real name server, so the DNS phase is measured as it would run
        // against the internet. Each answer waits on its own; the others are served meanwhile.
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        metadata.response_code = match answer.rcode {
            Rcode::NoError => ResponseCode::NoError,
            Rcode::NxDomain => ResponseCode::NXDomain,
            Rcode::Refused => ResponseCode::Refused,
        };
        metadata.authoritative = answer.rcode != Rcode::Refused;
        let answers: Vec<Record> = answer
            .answers
            .iter()
            .filter_map(|(name, rtype, ttl, value)| to_record(name, rtype, *ttl, value))
            .collect();
        let soa: Vec<Record> = answer
            .soa
            .iter()
            .filter_map(|(name, ttl, value)| to_record(name, "SOA", *ttl, value))
            .collect();
        send(&mut response_handle, builder, metadata, answers, soa).await
    }
}

async fn send<R: ResponseHandler>(
    handle: &mut R,
    builder: MessageResponseBuilder<'_>,
    metadata: Metadata,
    answers: Vec<Record>,
    soa: Vec<Record>,
) -> ResponseInfo {
    let none: Vec<Record> = Vec::new();
    let response = builder.build(
        metadata,
        answers.iter(),
        none.iter(),
        soa.iter(),
        none.iter(),
    );
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(_) => {
            let mut failed = metadata;
            failed.response_code = ResponseCode::ServFail;
            ResponseInfo::from(Header {
                metadata: failed,
                counts: HeaderCounts::default(),
            })
        }
    }
}

fn parse_name(text: &str) -> Option<Name> {
    Name::from_str(&zones::normalize_name(text)).ok()
}

/// The strings of a TXT value in presentation form: one or more quoted
/// strings (`"a" "b"`), or a bare word.
pub(crate) fn txt_strings(value: &str) -> Option<Vec<String>> {
    let value = value.trim();
    if !value.starts_with('"') {
        return (!value.is_empty()).then(|| vec![value.to_string()]);
    }
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(_) => return None,
        }
        let mut current = String::new();
        loop {
            match chars.next()? {
                '\\' => current.push(chars.next()?),
                '"' => break,
                c => current.push(c),
            }
        }
        if current.len() > 255 {
            return None;
        }
        out.push(current);
    }
    Some(out)
}

fn to_record(name: &str, rtype: &str, ttl: u32, value: &str) -> Option<Record> {
    let owner = parse_name(name)?;
    let rdata = match rtype {
        "A" => RData::A(A(value.parse::<Ipv4Addr>().ok()?)),
        "AAAA" => RData::AAAA(AAAA(value.parse::<Ipv6Addr>().ok()?)),
        "CNAME" => RData::CNAME(CNAME(parse_name(value)?)),
        "NS" => RData::NS(NS(parse_name(value)?)),
        "MX" => {
            let (preference, host) = value.trim().split_once(char::is_whitespace)?;
            RData::MX(MX::new(preference.parse().ok()?, parse_name(host.trim())?))
        }
        "TXT" => RData::TXT(TXT::new(txt_strings(value)?)),
        "SOA" => {
            let f: Vec<&str> = value.split_whitespace().collect();
            if f.len() != 7 {
                return None;
            }
            RData::SOA(SOA::new(
                parse_name(f[0])?,
                parse_name(f[1])?,
                f[2].parse().ok()?,
                f[3].parse().ok()?,
                f[4].parse().ok()?,
                f[5].parse().ok()?,
                f[6].parse().ok()?,
            ))
        }
        _ => return None,
    };
    Some(Record::from_rdata(owner, ttl, rdata))
}

/// Checks a value of an external zone's record and gives its stored form:
/// names absolute, TXT quoted.
pub(crate) fn check_value(rtype: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let stored = match rtype {
        "A" | "AAAA" => value.to_string(),
        "CNAME" | "NS" => zones::normalize_name(value),
        "MX" => match value.split_once(char::is_whitespace) {
            Some((preference, host)) => {
                format!("{preference} {}", zones::normalize_name(host.trim()))
            }
            None => return Err(format!("MX value {value:?} needs a preference and a host")),
        },
        "TXT" if value.starts_with('"') => value.to_string(),
        "TXT" => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
        "SOA" => value.to_string(),
        _ => return Err(format!("record type {rtype} is not served by the sandbox")),
    };
    if to_record("check.invalid.", rtype, 300, &stored).is_none() {
        return Err(format!("{rtype} value {value:?} is malformed"));
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_values_parse() {
        assert_eq!(
            txt_strings(r#""v=spf1 include:amazonses.com ~all""#),
            Some(vec!["v=spf1 include:amazonses.com ~all".to_string()])
        );
        assert_eq!(
            txt_strings(r#""a" "b\"c""#),
            Some(vec!["a".to_string(), "b\"c".to_string()])
        );
        assert_eq!(txt_strings(r#""open"#), None);
    }

    #[test]
    fn values_are_checked_and_stored_absolute() {
        assert_eq!(
            check_value("CNAME", "x.dkim.amazonses.com").unwrap(),
            "x.dkim.amazonses.com."
        );
        assert_eq!(
            check_value("MX", "10 mail.example.org").unwrap(),
            "10 mail.example.org."
        );
        assert_eq!(
            check_value("TXT", "v=spf1 -all").unwrap(),
            "\"v=spf1 -all\""
        );
        assert!(check_value("A", "not-an-address").is_err());
        assert!(check_value("SRV", "x").is_err());
    }
}
