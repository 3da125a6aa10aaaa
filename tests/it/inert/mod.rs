//! Text from outside stays inert wherever mailform shows it (issue 22, items 3 and 7).
//!
//! The outside strings: a library's `name` (hostile Markdown, no control characters: those
//! `validate` refuses), and what a live snapshot carries from AWS and DNS (identity names,
//! tags, the DNS checks' words about what they found), with Markdown and escape sequences.
//! `markdown` renders each Markdown output through comrak (a CommonMark/GFM renderer, as
//! GitHub's) and checks nothing in it comes from those strings; `terminal` checks no escape
//! sequence reaches a terminal from the live snapshot, a DNS server (Knot) or an SMTP server.

mod markdown;
mod terminal;

use serde_json::{Value, json};

use crate::support::cli::{Cli, Output, PLATFORM};

/// A library name that would be live Markdown if it were pasted: code fences and spans, HTML,
/// links, images, an autolink, a mention, an issue reference, a heading, table pipes,
/// emphasis, strikethrough, a bare URL, an e-mail address, a comment, an entity, a footnote,
/// a task, a shortcode. Every construct holds an `EVIL` marker.
pub const HOSTILE: &str = "EVIL-1 ``` `EVIL-2` ~~~ <details open><summary>No changes EVIL-3</summary> <img src=x onerror=alert(1)> [EVIL-4](http://evil.example/a) ![EVIL-5](http://evil.example/i.png) <http://evil.example/auto> @octo-team #1 # EVIL-6 | EVIL-7 | *EVIL-8* _EVIL-9_ ~~EVIL-10~~ http://autolink.example www.evil.example ops@evil.example <!-- EVIL-11 --> &amp; [^1] - [ ] EVIL-12 :smile: \\*EVIL-13*";

/// The same library, named harmlessly: its rendering has the structure the hostile one must
/// keep.
pub const BENIGN: &str = "Springfield Public Library";

/// Escape sequences a terminal acts on: set the window title, erase the line, hide text, a
/// one-byte CSI (C1), a bidirectional override.
pub const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2K\u{1b}[8mhidden\u{9b}31m\u{202e}desrever";

/// What may never reach a terminal.
pub const FORBIDDEN: [char; 4] = ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'];

pub const DOMAIN: &str = "springfield.example.org";

/// Springfield (method 1, identity pending, its DKIM records found wrong) and Shelbyville
/// (method 1, no identity yet: a change), both named `name`.
pub fn libraries(cli: Cli, name: &str) -> Cli {
    let library = |id: &str, domain: &str| {
        format!(
            "library \"{id}\" {{\n    name #\"{name}\"#\n    it-contact \"it@{domain}\"\n\n    ses-domain {{\n        from \"noreply@{domain}\"\n    }}\n}}\n"
        )
    };
    cli.file("libraries/_platform.kdl", PLATFORM)
        .file("libraries/springfield.kdl", &library("springfield", DOMAIN))
        .file(
            "libraries/shelbyville.kdl",
            &library("shelbyville", "shelbyville.example.org"),
        )
}

/// A live snapshot in which `outside` stands wherever AWS or DNS put text: the DKIM checks'
/// findings, a tag, the name and tag of an identity no library declares.
pub fn live(outside: &str) -> Value {
    let token = |n: u8| format!("tok{n}aaaabbbbccccdddd");
    let zone = "dkim.amazonses.com";
    let check = |n: u8, verdict: &str, detail: Option<String>| {
        json!({
            "name": format!("{}._domainkey.{DOMAIN}", token(n)), "type": "CNAME",
            "expected": format!("{}.{zone}", token(n)), "verdict": verdict, "detail": detail
        })
    };
    json!({
        "version": 1, "taken_at": "2026-11-26T09:00:00Z", "region": "us-east-1", "targets": null,
        "ses": { "account": { "production_access": true, "sending_enabled": true,
                              "max_24_hour_send": null, "max_send_rate": null },
                 "identities": [
                     { "name": DOMAIN, "kind": "DOMAIN", "verification_status": "PENDING",
                       "verified_for_sending": false, "verification_error": null,
                       "dkim": { "signing_enabled": true, "status": "PENDING",
                                 "tokens": [token(1), token(2), token(3)],
                                 "signing_hosted_zone": zone, "origin": "AWS_SES",
                                 "current_key_length": "RSA_2048_BIT", "next_key_length": "RSA_2048_BIT",
                                 "last_key_generation": null },
                       "mail_from": null, "configuration_set": null,
                       "tags": { "managed-by": "mailform", "library": "springfield", "note": outside } },
                     { "name": format!("unmanaged-{outside}.example"), "kind": "DOMAIN",
                       "verification_status": "SUCCESS",
                       "verified_for_sending": true, "verification_error": null,
                       "dkim": null, "mail_from": null, "configuration_set": null,
                       "tags": { "owner": outside } }
                 ],
                 "configuration_sets": [] },
        "registrar": { "domains": [], "operations": [], "availability": [], "prices": [] },
        "route53": { "hosted_zones": [] },
        "libraries": [
            { "id": "springfield", "method": "ses-domain", "identity": DOMAIN,
              "dns": { "dkim": [
                           check(1, "dns::present", None),
                           check(2, "dns::wrong-target", Some(format!("the record points to {outside}"))),
                           check(3, "dns::txt-instead-of-cname", Some(format!("a TXT record \"{outside}\" stands where the CNAME belongs"))),
                       ],
                       "mail_from": [],
                       "spf": { "finding": "absent", "detail": null },
                       "dmarc": { "finding": "absent", "detail": null },
                       "observations": [] },
              "smtp_probe": null, "notes": [] },
            { "id": "shelbyville", "method": "ses-domain", "identity": "shelbyville.example.org",
              "dns": null, "smtp_probe": null, "notes": [] }
        ]
    })
}

/// Runs mailform with `args` on the libraries named `name` and a live snapshot carrying
/// `outside`.
pub fn run(name: &str, outside: &str, args: &[&str]) -> Output {
    libraries(Cli::new(), name)
        .file(
            "live.json",
            &serde_json::to_string_pretty(&live(outside)).expect("json"),
        )
        .args(args.iter().copied())
        .args(["--live", "live.json"])
        .run()
}
