//! Every delivered notice as its reader meets it (issue #23 items 6 and 9): the HTML part in
//! headless Chromium at a phone's and a laptop's width, and the whole message, as Exim
//! delivered it, through Debian's SpamAssassin run offline.
//!
//! One Chromium run lays out every notice at every width (`browser::measure_frames`), and one
//! SpamAssassin process scores every message: each tool starts slowly, so a test pays that once.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use super::{Mail, kind_of};
use crate::status::browser;

/// A small phone, a common phone, a tablet or a narrow laptop window.
const WIDTHS: [u32; 3] = [320, 390, 800];

/// The highest SpamAssassin score a notice may have (5.0 is where it calls a message spam).
const MAX_SCORE: f64 = 1.0;

const SPAMASSASSIN: &str = "/usr/bin/spamassassin";

/// Checks every message: read on a phone, and not taken for spam. Returns the kinds seen.
pub fn check(mails: &[Mail]) -> BTreeSet<String> {
    readable_on_a_phone(mails);
    no_spam_signs(mails);
    not_spam(mails);
    mails.iter().map(|m| kind_of(&m.message_id).0).collect()
}

/// What the page measures of each notice: its sideways scroll, every element past the right
/// edge, its language, title and viewport, and the text of every `<code>`.
const MEASURE: &str = r#"(w, d) => {
  const viewport = d.querySelector('meta[name=viewport]');
  return {
    inner: w.innerWidth,
    scroll: d.documentElement.scrollWidth,
    off: [...d.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > w.innerWidth + 0.5)
      .map(e => e.tagName + ' ' + e.textContent.slice(0, 80)),
    lang: d.documentElement.lang,
    title: d.title,
    viewport: viewport ? viewport.content : '',
    codes: [...d.querySelectorAll('code')].map(c => c.textContent),
  };
}"#;

/// The values a record block lists in the text part (`    Value:        …`), which a reader
/// pastes into a DNS provider's form.
fn values_to_paste(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            ["Value:", "Mail server:", "Name (host):", "Full name:"]
                .iter()
                .find_map(|label| l.strip_prefix(label))
                .map(str::trim)
        })
        .collect()
}

/// No notice scrolls sideways at any width, nothing sticks out of the screen, every value to
/// paste is shown whole as one string, and each document says its language, title and
/// viewport.
fn readable_on_a_phone(mails: &[Mail]) {
    let docs: Vec<(&str, u32)> = mails
        .iter()
        .flat_map(|m| WIDTHS.map(|w| (m.html.as_str(), w)))
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let json =
        browser::measure_frames(&docs, MEASURE, scratch.path()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "chromium laid out {} notices at {WIDTHS:?} px in {:?}",
        mails.len(),
        started.elapsed()
    );
    let measured: Vec<Value> = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("the page's measurements are not JSON ({e}): {json}"));
    assert_eq!(measured.len(), docs.len(), "{json}");
    let notices = mails.iter().flat_map(|m| [m; WIDTHS.len()]);
    for ((m, width), mail) in measured.iter().zip(WIDTHS.iter().cycle()).zip(notices) {
        let kind = kind_of(&mail.message_id).0;
        let at = format!("{kind} at {width} px");
        assert_eq!(m["inner"].as_u64(), Some(u64::from(*width)), "{at}: {m}");
        assert!(
            m["scroll"].as_u64() <= m["inner"].as_u64(),
            "{at} scrolls sideways: {m}"
        );
        assert_eq!(m["off"], serde_json::json!([]), "{at}: off screen: {m}");
        assert_eq!(m["lang"], "en", "{at}");
        assert_eq!(m["title"].as_str(), Some(mail.subject.as_str()), "{at}");
        assert!(
            m["viewport"]
                .as_str()
                .is_some_and(|v| v.contains("width=device-width")),
            "{at}: {m}"
        );
        let codes: Vec<&str> = m["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for value in values_to_paste(&mail.text) {
            assert!(
                codes.contains(&value),
                "{at}: {value:?} is not shown as one string among {codes:?}"
            );
        }
        for code in &codes {
            assert!(
                !code.contains(['\u{ad}', '\u{200b}', '\u{200c}', '\u{2060}']),
                "{at}: a value with a character added: {code:?}"
            );
        }
    }
}

/// The two things the issue names that a filter counts against a message: a `To` without a
/// display name, and a bare 12-digit number (an AWS account id reads as a bank or tracking
/// number).
fn no_spam_signs(mails: &[Mail]) {
    for mail in mails {
        let kind = kind_of(&mail.message_id).0;
        let parsed = mail_parser::MessageParser::default()
            .parse(mail.raw.as_bytes())
            .expect("a MIME message");
        let to = parsed.to().and_then(|a| a.first());
        assert!(
            to.and_then(|a| a.name())
                .is_some_and(|n| n.ends_with(" IT team")),
            "{kind}: To without a display name: {to:?}"
        );
        for part in [&mail.text, &mail.html] {
            let bare = part
                .split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 12);
            assert!(bare.is_none(), "{kind}: a bare 12-digit number {bare:?}");
        }
    }
}

/// Every message scores at most [`MAX_SCORE`] with SpamAssassin's local rules (no network
/// tests, no Bayes, no rules downloaded: Debian ships them in the package).
fn not_spam(mails: &[Mail]) {
    assert!(
        Path::new(SPAMASSASSIN).exists(),
        "{SPAMASSASSIN} is missing: install Debian's spamassassin (`apt-get install --no-install-recommends spamassassin`; .ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = mails
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let path = dir.path().join(format!("{i:03}.eml"));
            std::fs::write(&path, &m.raw).unwrap();
            path
        })
        .collect();
    let started = Instant::now();
    let out = Command::new(SPAMASSASSIN)
        .args(["-L", "-t", "-x"])
        .args(["--cf", "use_bayes 0", "--cf", "bayes_auto_learn 0"])
        // The test relay on 127.0.0.1 is a trusted host, which earns every message -1.0; on its
        // way through SES to a library's mailbox a notice earns nothing of the kind.
        .args(["--cf", "score ALL_TRUSTED 0"])
        .args(&files)
        // Its per-user files (prefs, auto-welcomelist) in a directory of the test's own.
        .env("HOME", dir.path())
        .output()
        .expect("run spamassassin");
    eprintln!(
        "spamassassin scored {} notices in {:?}",
        mails.len(),
        started.elapsed()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spamassassin failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // With `-t` each message comes back, in order, with an `X-Spam-Status` header (folded
    // over lines: the score and the rules that hit).
    let statuses: Vec<String> = stdout
        .match_indices("\nX-Spam-Status: ")
        .map(|(at, _)| {
            let mut lines = stdout[at + 1..].lines();
            let mut status = lines.next().unwrap_or_default().to_string();
            for folded in lines.take_while(|l| l.starts_with([' ', '\t'])) {
                status.push_str(folded);
            }
            status
        })
        .collect();
    assert_eq!(statuses.len(), mails.len(), "{stdout}");
    for (status, mail) in statuses.iter().zip(mails) {
        let kind = kind_of(&mail.message_id).0;
        let score: f64 = status
            .split("score=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no score for {kind}: {status}"));
        eprintln!("spamassassin: {kind} scores {score}");
        assert!(
            score <= MAX_SCORE,
            "{kind} scores {score} (at most {MAX_SCORE}): {status}"
        );
    }
}
