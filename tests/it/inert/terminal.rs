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
