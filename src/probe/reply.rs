//! SMTP replies: parsing lines into [`Reply`] values, with hard limits.
//!
//! Pure code: the socket side hands in one line at a time (without CR LF) and
//! gets a reply back once its last line arrived. The limits bound memory
//! against a server that never ends a multi-line reply.

/// Longest reply line we accept, in bytes. RFC 5321 allows 512; real servers
/// stay well below; the slack is for odd but honest ones.
pub const MAX_LINE_BYTES: usize = 2048;
/// Most lines in one multi-line reply (an EHLO reply has about 10–20).
pub const MAX_REPLY_LINES: usize = 100;
/// Most bytes in one reply, all lines together.
pub const MAX_REPLY_BYTES: usize = 32 * 1024;

/// How many bytes of a server's non-SMTP answer are kept and quoted.
pub const QUOTE_BYTES: usize = 48;
/// How many of those are shown in hex when they are binary.
const HEX_BYTES: usize = 16;

/// Bytes a server sent, quoted safely for a sentence: printable text as text (cut at
/// [`QUOTE_BYTES`]), binary data as its first bytes in hex; a TLS record is named as one.
pub fn quote_bytes(bytes: &[u8]) -> String {
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    let text_len = bytes.iter().take_while(|b| printable(b)).count();
    let cut = |n: usize| if bytes.len() > n { "…" } else { "" };
    if bytes.len() >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03 {
        return "a TLS handshake record instead of text: the port speaks implicit TLS".into();
    }
    if text_len == bytes.len() {
        let shown = &bytes[..text_len.min(QUOTE_BYTES)];
        return format!(
            "text that is not an SMTP reply: `{}{}`",
            String::from_utf8_lossy(shown),
            cut(QUOTE_BYTES)
        );
    }
    if text_len >= 8 {
        return format!(
            "text that is not an SMTP reply, then binary data: `{}`",
            String::from_utf8_lossy(&bytes[..text_len])
        );
    }
    let hex: Vec<String> = bytes
        .iter()
        .take(HEX_BYTES)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "binary data, first bytes {}{}",
        hex.join(" "),
        if bytes.len() > HEX_BYTES { " …" } else { "" }
    )
}

/// One complete SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of each line, after the code and separator.
    pub lines: Vec<String>,
}

/// Why the server's bytes are not an SMTP reply we accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// A line does not start with a three-digit code and a separator; `start` holds its
    /// first [`QUOTE_BYTES`] bytes.
    Malformed { start: Vec<u8> },
    /// A continuation line carries another code than the first line.
    CodeChanged { first: u16, then: u16 },
    /// A line is longer than [`MAX_LINE_BYTES`].
    LineTooLong,
    /// A reply has more than [`MAX_REPLY_LINES`] lines or [`MAX_REPLY_BYTES`] bytes.
    ReplyTooLong,
}

impl std::fmt::Display for ReplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyError::Malformed { start } => {
                write!(f, "it sent {}", quote_bytes(start))
            }
            ReplyError::CodeChanged { first, then } => {
                write!(
                    f,
                    "a multi-line reply changed its code from {first} to {then}"
                )
            }
            ReplyError::LineTooLong => {
                write!(f, "a reply line is longer than {MAX_LINE_BYTES} bytes")
            }
            ReplyError::ReplyTooLong => write!(
                f,
                "a reply has more than {MAX_REPLY_LINES} lines or {MAX_REPLY_BYTES} bytes"
            ),
        }
    }
}

impl Reply {
    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3xx: the server waits for more (e.g. an AUTH challenge).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// The first line's text.
    pub fn text(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }

    /// The whole reply as one line: `535 5.7.8 Authentication credentials invalid`.
    ///
    /// A multi-line reply's lines usually repeat the enhanced status code (`534-5.7.9 …`,
    /// `534 5.7.9 …`); it is kept once.
    pub fn summary(&self) -> String {
        let enhanced = self.enhanced_code().map(str::to_string);
        let text = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| match &enhanced {
                Some(e) if i > 0 => l
                    .trim_start()
                    .strip_prefix(e.as_str())
                    .map_or(l.trim(), str::trim),
                _ => l.trim(),
            })
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let text = text.trim();
        if text.is_empty() {
            self.code.to_string()
        } else {
            format!("{} {}", self.code, text)
        }
    }

    /// The enhanced status code (RFC 3463) that starts the first line, if any,
    /// e.g. `"5.7.9"`.
    pub fn enhanced_code(&self) -> Option<&str> {
        let first = self.text().split_whitespace().next()?;
        let parts: Vec<&str> = first.split('.').collect();
        let ok = parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts[1..]
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(first)
    }

    /// Does any line contain `needle` (ASCII case-insensitive)?
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.lines
            .iter()
            .any(|l| l.to_ascii_lowercase().contains(&needle))
    }

    /// The reply as the server sent it, one string per line, code included.
    pub fn wire_lines(&self) -> Vec<String> {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let sep = if i + 1 == n { ' ' } else { '-' };
                format!("{}{}{}", self.code, sep, l).trim_end().to_string()
            })
            .collect()
    }
}

/// Gathers the lines of one reply.
#[derive(Debug, Default)]
pub struct ReplyParser {
    code: Option<u16>,
    lines: Vec<String>,
    bytes: usize,
}

impl ReplyParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line (CR LF already stripped). Returns the reply once its
    /// last line has arrived.
    pub fn push(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        if line.len() > MAX_LINE_BYTES {
            return Err(ReplyError::LineTooLong);
        }
        self.bytes += line.len();
        if self.lines.len() >= MAX_REPLY_LINES || self.bytes > MAX_REPLY_BYTES {
            return Err(ReplyError::ReplyTooLong);
        }
        let malformed = || ReplyError::Malformed {
            start: line[..line.len().min(QUOTE_BYTES)].to_vec(),
        };
        if line.len() < 3 || !line[..3].iter().all(u8::is_ascii_digit) {
            return Err(malformed());
        }
        let code =
            (line[0] - b'0') as u16 * 100 + (line[1] - b'0') as u16 * 10 + (line[2] - b'0') as u16;
        if !(200..600).contains(&code) {
            return Err(malformed());
        }
        let (last, text) = match line.get(3) {
            None => (true, &[][..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(malformed()),
        };
        match self.code {
            Some(first) if first != code => {
                return Err(ReplyError::CodeChanged { first, then: code });
            }
            _ => self.code = Some(code),
        }
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        if last {
            let lines = std::mem::take(&mut self.lines);
            self.code = None;
            self.bytes = 0;
            Ok(Some(Reply { code, lines }))
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<Option<Reply>, ReplyError> {
        let mut p = ReplyParser::new();
        let mut out = None;
        for l in lines {
            out = p.push(l.as_bytes())?;
        }
        Ok(out)
    }

    #[test]
    fn single_line() {
        let r = parse(&["220 mail.example.org ESMTP ready"])
            .unwrap()
            .unwrap();
        assert_eq!(r.code, 220);
        assert_eq!(r.text(), "mail.example.org ESMTP ready");
    }

    #[test]
    fn multi_line() {
        let r = parse(&["250-localhost Hello", "250-SIZE 52428800", "250 STARTTLS"])
            .unwrap()
            .unwrap();
        assert_eq!(
            r.lines,
            vec!["localhost Hello", "SIZE 52428800", "STARTTLS"]
        );
        assert_eq!(
            r.wire_lines(),
            vec!["250-localhost Hello", "250-SIZE 52428800", "250 STARTTLS"]
        );
    }

    #[test]
    fn code_only() {
        let r = parse(&["250"]).unwrap().unwrap();
        assert_eq!(r.summary(), "250");
    }

    #[test]
    fn multi_line_summary_keeps_the_status_code_once() {
        let r = parse(&[
            "534-5.7.9 Application-specific password required. Learn more at",
            "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            r.summary(),
            "534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor"
        );
    }

    #[test]
    fn server_bytes_are_quoted_safely() {
        assert_eq!(
            quote_bytes(b"\x00\xff\xfe garbage"),
            "binary data, first bytes 00 ff fe 20 67 61 72 62 61 67 65"
        );
        assert_eq!(
            quote_bytes(b"HTTP/1.1 400 Bad Request"),
            "text that is not an SMTP reply: `HTTP/1.1 400 Bad Request`"
        );
        let long = vec![b'x'; 300];
        assert!(quote_bytes(&long).ends_with("x…`"));
        assert!(quote_bytes(&long).len() < 100);
        assert_eq!(
            quote_bytes(b"SSH-2.0-OpenSSH\x00\x01"),
            "text that is not an SMTP reply, then binary data: `SSH-2.0-OpenSSH`"
        );
        let binary = vec![0x80u8; 300];
        assert!(quote_bytes(&binary).ends_with("80 80 …"));
    }

    #[test]
    fn incomplete_is_none() {
        assert_eq!(parse(&["250-a"]).unwrap(), None);
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            parse(&["\u{1}\u{2}xyz"]),
            Err(ReplyError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&["HTTP/1.1 400"]),
            Err(ReplyError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&["250x"]),
            Err(ReplyError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&["999 no"]),
            Err(ReplyError::Malformed { .. })
        ));
    }

    #[test]
    fn code_change_is_refused() {
        assert_eq!(
            parse(&["250-a", "251 b"]),
            Err(ReplyError::CodeChanged {
                first: 250,
                then: 251
            })
        );
    }

    #[test]
    fn endless_reply_is_cut() {
        let mut p = ReplyParser::new();
        let mut err = None;
        for _ in 0..10_000 {
            if let Err(e) = p.push(b"250-more") {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(ReplyError::ReplyTooLong));
        assert!(p.lines.len() <= MAX_REPLY_LINES);
    }

    #[test]
    fn long_line_is_cut() {
        let line = vec![b'2'; MAX_LINE_BYTES + 1];
        assert_eq!(ReplyParser::new().push(&line), Err(ReplyError::LineTooLong));
    }

    #[test]
    fn enhanced_codes() {
        let r = |t: &str| Reply {
            code: 534,
            lines: vec![t.into()],
        };
        assert_eq!(
            r("5.7.9 Application-specific password required").enhanced_code(),
            Some("5.7.9")
        );
        assert_eq!(
            r("5.7.139 Authentication unsuccessful").enhanced_code(),
            Some("5.7.139")
        );
        assert_eq!(r("Authentication failed").enhanced_code(), None);
        assert_eq!(r("1.2.3 x").enhanced_code(), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_neither_panic_nor_grow_without_bound(
            lines in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..64), 0..300)
        ) {
            let mut p = ReplyParser::new();
            for l in &lines {
                if p.push(l).is_err() {
                    break;
                }
                proptest::prop_assert!(p.lines.len() <= MAX_REPLY_LINES);
                proptest::prop_assert!(p.bytes <= MAX_REPLY_BYTES + MAX_LINE_BYTES);
            }
        }

        #[test]
        fn well_formed_replies_round_trip(
            code in 200u16..600,
            texts in proptest::collection::vec("[ -~]{0,40}", 1..20)
        ) {
            let r = Reply { code, lines: texts.clone() };
            let mut p = ReplyParser::new();
            let mut out = None;
            for l in r.wire_lines() {
                out = p.push(l.as_bytes()).unwrap();
            }
            let got = out.unwrap();
            proptest::prop_assert_eq!(got.code, code);
            proptest::prop_assert_eq!(got.lines.len(), texts.len());
        }
    }
}
