//! The capabilities a server lists in its EHLO reply.

use super::reply::Reply;

/// What an EHLO reply offers. Keywords are upper-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub starttls: bool,
    /// SASL mechanisms from `AUTH` (and the old `AUTH=` form), in the order offered.
    pub auth: Vec<String>,
    /// Every keyword, for the record.
    pub keywords: Vec<String>,
}

impl Capabilities {
    /// Reads a 250 EHLO reply. The first line is the server's greeting name.
    pub fn parse(reply: &Reply) -> Self {
        let mut caps = Capabilities::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            let Some(first) = words.next() else { continue };
            let first = first.to_ascii_uppercase();
            // `AUTH=LOGIN PLAIN` is the pre-RFC form some old servers still send.
            let (keyword, inline) = match first.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (first, None),
            };
            match keyword.as_str() {
                "STARTTLS" => caps.starttls = true,
                "AUTH" => {
                    for m in inline.into_iter().chain(words.map(str::to_string)) {
                        let m = m.to_ascii_uppercase();
                        if !m.is_empty() && !caps.auth.contains(&m) {
                            caps.auth.push(m);
                        }
                    }
                }
                _ => {}
            }
            if !caps.keywords.contains(&keyword) {
                caps.keywords.push(keyword);
            }
        }
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply {
            code: 250,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn gmail_after_tls() {
        let c = Capabilities::parse(&reply(&[
            "smtp.gmail.com at your service",
            "SIZE 35882577",
            "8BITMIME",
            "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
            "ENHANCEDSTATUSCODES",
        ]));
        assert!(!c.starttls);
        assert_eq!(
            c.auth,
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        assert_eq!(
            c.keywords,
            ["SIZE", "8BITMIME", "AUTH", "ENHANCEDSTATUSCODES"]
        );
    }

    #[test]
    fn starttls_and_old_auth_form() {
        let c = Capabilities::parse(&reply(&[
            "x",
            "starttls",
            "AUTH=LOGIN CRAM-MD5",
            "auth login plain",
        ]));
        assert!(c.starttls);
        assert_eq!(c.auth, ["LOGIN", "CRAM-MD5", "PLAIN"]);
    }

    #[test]
    fn greeting_line_is_not_a_capability() {
        let c = Capabilities::parse(&reply(&["STARTTLS.example.org says hi"]));
        assert!(!c.starttls);
    }
}
