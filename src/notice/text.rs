//! The words of each notice: a subject, a plain-text body and a simple HTML body, written as
//! a support person would write them. No internal codes, flags or command names: the library's
//! IT staff read these, not operators.
//!
//! Pure: a [`Due`] notice and the platform's settings in, text out. The HTML carries the same
//! content as the text (tables for records), every value escaped.

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::NoticeKind;
use super::due::{Content, Due, Found, Problem, Provider, Record};
use crate::model::{NoticeSettings, TimeZoneName};

/// A notice's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A time in the reader's zone: `Friday 27 November 2026 at 08:05 CST`.
pub fn when(t: OffsetDateTime, zone: &TimeZoneName) -> String {
    zoned(t, zone).map_or_else(
        || t.to_string(),
        |z| z.strftime("%A %-d %B %Y at %H:%M %Z").to_string(),
    )
}

/// The day of a time in the reader's zone, for a subject: `Friday 27 November`.
fn day(t: OffsetDateTime, zone: &TimeZoneName) -> String {
    zoned(t, zone).map_or_else(
        || t.date().to_string(),
        |z| z.strftime("%A %-d %B").to_string(),
    )
}

fn zoned(t: OffsetDateTime, zone: &TimeZoneName) -> Option<jiff::ZonedDateTime> {
    let ts = jiff::Timestamp::from_second(t.unix_timestamp()).ok()?;
    Some(ts.to_zoned_datetime(zone.zone()))
}

/// How far a time is from when the notice is written: `in 3 days`, `in 5 hours`, to the
/// nearest unit (a deadline 71 hours 59 minutes away is "in 3 days"; the exact time stands
/// beside it).
pub fn relative(t: OffsetDateTime, written: OffsetDateTime) -> String {
    let left = t - written;
    let hours = (left.whole_seconds() + 1800) / 3600;
    let plural = |n: i64, unit: &str| format!("in {n} {unit}{}", if n == 1 { "" } else { "s" });
    if left.is_negative() {
        "already passed".into()
    } else if left < time::Duration::hours(1) {
        "within the hour".into()
    } else if hours < 48 {
        plural(hours, "hour")
    } else {
        plural((hours + 12) / 24, "day")
    }
}

/// A deadline as a notice tells it: `Friday 27 November 2026 at 08:05 CST (in 3 days)`.
fn deadline(t: OffsetDateTime, due: &Due) -> String {
    format!("{} ({})", when(t, &due.zone), relative(t, due.written))
}

/// The longest subject: RFC 5322's recommended line length less `Subject: `, so the
/// header fits one line and a phone shows it whole.
pub const SUBJECT_MAX: usize = 68;

/// The first of the candidates that fits [`SUBJECT_MAX`] (the last one if none does): the
/// action first, then the domain (an IT contact may look after several), then the day when
/// there is room for it (the body gives the deadline in full).
pub(super) fn fit(candidates: &[String]) -> String {
    candidates
        .iter()
        .find(|s| s.chars().count() <= SUBJECT_MAX)
        .or(candidates.last())
        .cloned()
        .unwrap_or_default()
}

/// A launch date as a reader says it: `Monday 11 January 2027`.
fn launch_day(d: crate::model::Date) -> String {
    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).map_or_else(
        |_| d.to_string(),
        |c| c.strftime("%A %-d %B %Y").to_string(),
    )
}

fn dollars(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// An AWS account id as the AWS console shows it, `1111-2222-3333`: easier to read back, and
/// a bare 12-digit number in a message is what spam filters take for a tracking or bank number.
fn aws_account(id: &str) -> String {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &id[..4], &id[4..8], &id[8..])
    } else {
        id.to_string()
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    crate::text::html_escape(s)
}

/// The DNS check's findings are written for operators; a library reads them in its own
/// voice: quotes for backticks, "your DNS provider" for "the library's DNS provider", what
/// happens to its mail instead of where SES sends from.
pub fn plain(s: &str) -> String {
    const WORDS: [(&str, &str); 10] = [
        ("`", "\""),
        (
            " (the library's DNS provider, known from its name servers)",
            "",
        ),
        ("the library's DNS provider", "your DNS provider"),
        ("The library's DNS provider", "Your DNS provider"),
        ("the DNS provider's", "your DNS provider's"),
        (
            "until then SES sends from amazonses.com",
            "until then your mail still goes out, with Amazon's own return address instead of yours",
        ),
        (
            "mailform asks again on the next plan",
            "we check again every day",
        ),
        (
            "mailform looks again on the next plan",
            "we check again every day",
        ),
        ("the library's", "your library's"),
        ("mailform", "we"),
    ];
    WORDS
        .iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
}

/// A record's state as the notice reports it: "in place" only when seen in place.
fn state(r: &Record) -> &'static str {
    match (r.correct, r.checked, r.optional) {
        (true, _, _) => "in place",
        (false, true, false) => "to install",
        (false, false, false) => "to install (we could not check it today)",
        (false, true, true) => "optional, to install",
        (false, false, true) => "optional, to install (we could not check it today)",
    }
}

/// What the optional MAIL FROM records are for, beside the three the setup document promises.
fn optional_records(mail_from: &str) -> String {
    format!(
        "The MX and TXT records for {mail_from} are optional: with them, bounces come back through {mail_from}, so your mail's return address is in your own domain. Until they are in place your mail still goes out, with Amazon's own return address instead of yours."
    )
}

/// A body built twice at once: paragraphs, lists and record tables in text and HTML.
pub(super) struct Body {
    text: String,
    html: String,
}

impl Body {
    fn new(greeting: &str) -> Body {
        let mut b = Body {
            text: String::new(),
            html: String::new(),
        };
        b.para(greeting);
        b
    }

    pub(super) fn para(&mut self, s: &str) {
        let _ = writeln!(self.text, "{s}\n");
        let _ = writeln!(self.html, "<p>{}</p>", escape(s));
    }

    pub(super) fn heading(&mut self, s: &str) {
        let _ = writeln!(self.text, "{s}:\n");
        let _ = writeln!(self.html, "<h3>{}</h3>", escape(s));
    }

    pub(super) fn list(&mut self, items: &[String]) {
        self.html.push_str("<ul>\n");
        for item in items {
            let _ = writeln!(self.text, "  * {item}");
            let _ = writeln!(self.html, "<li>{}</li>", escape(item));
        }
        self.text.push('\n');
        self.html.push_str("</ul>\n");
    }

    /// The records, one block each with its fields stacked, in both parts. In HTML a table of
    /// six columns is some 1,400 px wide and puts the value to paste off a phone's screen;
    /// long values wrap anywhere (the body's `overflow-wrap`) with no character added, so
    /// they copy as one string.
    fn records(&mut self, records: &[Record]) {
        for (i, r) in records.iter().enumerate() {
            let mut fields = vec![
                ("Type", r.rtype.as_str()),
                ("Name (host)", r.host.as_str()),
                ("Full name", r.name.as_str()),
            ];
            match (r.rtype.as_str(), mx_fields(&r.value)) {
                ("MX", Some((priority, host))) => {
                    fields.extend([("Priority", priority), ("Mail server", host)])
                }
                _ => fields.push(("Value", r.value.as_str())),
            }
            let _ = writeln!(self.text, "  Record {}: {}", i + 1, state(r));
            let _ = writeln!(
                self.html,
                "<div style=\"border: 1px solid #999; padding: 4px 8px; margin: 0 0 12px\">\n<p style=\"margin: 4px 0\"><strong>Record {}</strong>: {}</p>\n<dl style=\"margin: 0\">",
                i + 1,
                state(r)
            );
            for (label, value) in fields {
                let _ = writeln!(self.text, "    {:<14}{value}", format!("{label}:"));
                let _ = writeln!(
                    self.html,
                    "<dt>{label}</dt><dd style=\"margin: 0 0 4px 1em\"><code>{}</code></dd>",
                    escape(value)
                );
            }
            let _ = writeln!(
                self.text,
                "    TTL:          {} (or your provider's default)\n",
                r.ttl
            );
            let _ = writeln!(
                self.html,
                "<dt>TTL</dt><dd style=\"margin: 0 0 4px 1em\">{} (or your provider&#39;s default)</dd>\n</dl>\n</div>",
                r.ttl
            );
        }
    }

    fn problems(&mut self, problems: &[Problem]) {
        for p in problems {
            let what = plain(&p.what);
            let fix = plain(&p.fix);
            let _ = writeln!(self.text, "  * {what}\n    What to do: {fix}");
            let _ = writeln!(
                self.html,
                "<p><strong>{}</strong><br>What to do: {}</p>",
                escape(&what),
                escape(&fix)
            );
            for (name, expected, found) in &p.records {
                // What DNS answered is outside text: its hidden characters shown, in both parts.
                let found = match found {
                    Found::Nothing => "nothing".to_string(),
                    Found::Other(f) => crate::text::visible(&plain(f)).into_owned(),
                    Found::Unknown => {
                        "not known yet (we could not check this record today)".to_string()
                    }
                };
                let _ = writeln!(
                    self.text,
                    "    {name}\n      expected: {expected}\n      found:    {found}"
                );
                let _ = writeln!(
                    self.html,
                    "<p style=\"margin-left: 1em\"><code>{}</code><br>expected: <code>{}</code><br>found: <code>{}</code></p>",
                    escape(name),
                    escape(expected),
                    escape(&found)
                );
            }
            self.text.push('\n');
        }
    }

    /// The closing lines, and the HTML document around the body: its language, a title (the
    /// subject) and a viewport, so that a phone's mail app shows it at the phone's width.
    fn finish(mut self, settings: &NoticeSettings, subject: &str) -> (String, String) {
        let team = settings
            .from_name
            .as_deref()
            .unwrap_or("The mail setup team");
        let reply = settings.reply_to.to_string();
        self.para(&format!(
            "If anything is unclear, reply to this message; it reaches our support team at {reply}."
        ));
        let _ = write!(self.text, "Kind regards,\n{team}\n");
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n</head>\n<body style=\"font-family: sans-serif; line-height: 1.4; margin: 8px; overflow-wrap: anywhere; word-wrap: break-word\">\n{}<p>Kind regards,<br>{}</p>\n</body>\n</html>\n",
            escape(subject),
            self.html,
            escape(team)
        );
        (self.text, html)
    }
}

/// What to take care of, for the record types the notice lists: nothing said of a type the
/// notice does not ask for.
fn care(records: &[Record], provider: Option<&Provider>) -> Vec<String> {
    let has = |t: &str| records.iter().any(|r| r.rtype == t);
    let mut out = Vec::new();
    // A known provider's own form says how to fill in the name field and what to choose for
    // proxying (below, in its words); the general advice is for an unknown one.
    if provider.is_none() {
        out.push("Enter only the host part in the name field if your provider adds the domain itself; otherwise the domain ends up in the name twice.".to_string());
    }
    if has("CNAME") {
        // "Not TXT" warns off a common mistake, but beside a TXT record the notice asks for it
        // reads as a contradiction: then each record's own type is the rule.
        out.push(if has("TXT") {
            "Create each record with the type listed (the CNAME records as CNAME records), and copy each CNAME value exactly: it ends in Amazon's signing domain.".into()
        } else {
            "Create the CNAME records as CNAME records (not TXT), and copy each value exactly: it ends in Amazon's signing domain.".into()
        });
        if provider.is_none() {
            out.push(
                "Turn off any proxying or CNAME flattening for the CNAME records (\"DNS only\")."
                    .into(),
            );
        }
    }
    if has("MX") {
        out.push("For the MX record, enter the priority and the mail server in their own fields, as listed.".into());
    }
    if has("TXT") {
        out.push("For the TXT record, copy the value exactly, without adding quotes unless your provider's form asks for them.".into());
    }
    out
}

/// An MX value (`PRIORITY HOST`) as its two fields.
fn mx_fields(value: &str) -> Option<(&str, &str)> {
    let (priority, host) = value.split_once(' ')?;
    priority
        .chars()
        .all(|c| c.is_ascii_digit())
        .then_some((priority, host))
}

/// The words of a due notice.
pub fn words(due: &Due, settings: &NoticeSettings) -> Words {
    let greeting = format!("Hello {} IT team,", crate::text::visible(&due.library_name));
    let mut b = Body::new(&greeting);
    let subject = match &due.content {
        Content::Records {
            domain,
            records,
            deadline,
            provider,
            mail_from,
        } => {
            b.para(&format!(
                "To send your library's notices and receipts from {domain}, we have registered the domain with Amazon SES, the service that sends them. Amazon now needs to see the DNS records below in your domain before it signs mail for you."
            ));
            match deadline {
                Some(d) => b.para(&format!(
                    "Please install them by {}. Amazon looks for them until then; after that it stops and we have to start the check again.",
                    self::deadline(*d, due)
                )),
                None => b.para(
                    "Please install them within 72 hours. Amazon looks for them for 72 hours; after that it stops and we have to start the check again.",
                ),
            }
            let optional = records.iter().filter(|r| r.optional).count();
            if let (Some(m), true) = (mail_from, optional > 0) {
                b.para(&format!(
                    "Only the three CNAME records are needed before Amazon signs your mail. {}",
                    optional_records(m)
                ));
            }
            b.heading("The records");
            b.records(records);
            b.heading("Please take care to");
            b.list(&care(records, provider.as_ref()));
            if let Some(p) = provider {
                b.heading(&format!(
                    "Your domain's DNS is hosted at {}; in its record form, enter",
                    p.name
                ));
                b.list(&p.form);
            }
            b.para("There is nothing to send back: we check your DNS ourselves and will write again once Amazon has confirmed the records.");
            let n = records.iter().filter(|r| !r.correct && !r.optional).count();
            let by = deadline
                .map(|d| format!(" by {}", day(d, &due.zone)))
                .unwrap_or_default();
            fit(&[
                format!("Add {n} DNS records to {domain}{by}"),
                format!("Add {n} DNS records to {domain}"),
                format!("Add {n} DNS records for your library's mail{by}"),
                format!("Add {n} DNS records for your library's mail"),
            ])
        }
        Content::Reminder {
            domain,
            deadline,
            problems,
            records,
        } => {
            b.para(&format!(
                "A reminder: Amazon stops looking for the DNS records of {domain} on {}, and some are not in place yet.",
                self::deadline(*deadline, due)
            ));
            if !problems.is_empty() {
                b.heading("What we see in your DNS today");
                b.problems(problems);
            }
            b.heading("All the records, for reference");
            b.records(records);
            b.para("If the deadline passes, nothing breaks on your side: once the records are in place, our team starts Amazon's check again, and we write to you when Amazon confirms them.");
            let by = day(*deadline, &due.zone);
            fit(&[
                format!("Add the missing DNS records to {domain} by {by}"),
                format!("Add the missing DNS records to {domain}"),
                format!("Add the missing DNS records for your mail by {by}"),
            ])
        }
        Content::Lapsed {
            domain,
            records_correct,
            problems,
        } => {
            b.para(&format!(
                "Amazon stopped looking for the DNS records of {domain}: it did not find them in time, so it does not yet sign mail for your domain."
            ));
            if *records_correct {
                b.para("The records are in place now. Our team will start Amazon's check again; there is nothing you need to do, and you will hear from us when Amazon confirms them.");
            } else {
                if !problems.is_empty() {
                    b.heading("What we see in your DNS today");
                    b.problems(problems);
                }
                b.para("Please install the records from our earlier message (or correct them as described above). Once they are in place, our team starts Amazon's check again, and you will hear from us when it confirms them.");
            }
            if *records_correct {
                fit(&[
                    format!("Nothing to do: Amazon checks {domain} again"),
                    "Nothing to do: Amazon checks your domain again".into(),
                ])
            } else {
                fit(&[
                    format!("Fix the DNS records of {domain}: Amazon's check lapsed"),
                    "Fix your DNS records: Amazon's check lapsed".into(),
                ])
            }
        }
        Content::Verified {
            domain,
            from,
            managed,
            mail_from_missing,
        } => {
            if *managed {
                b.para(&format!(
                    "Your library's sending domain {domain} is verified with Amazon SES. Notices and receipts will be sent from {from}."
                ));
            } else {
                b.para(&format!(
                    "Thank you: Amazon SES has verified {domain}. Notices and receipts will be sent from {from}."
                ));
                b.para("Please leave the DNS records in place: Amazon checks them regularly, and removing them stops your mail from being signed.");
            }
            match mail_from_missing {
                // Verified, not finished: the return address still waits for its records.
                Some((m, n)) => {
                    b.para(&format!(
                        "One thing is left: the optional records for {m} are not all in place yet ({n} missing). {}",
                        optional_records(m)
                    ));
                    fit(&[
                        format!("Almost done: {domain} is verified, {n} optional records left"),
                        format!("Almost done: your domain is verified, {n} optional records left"),
                    ])
                }
                None => fit(&[
                    format!("Done: {domain} is verified for sending"),
                    "Done: your domain is verified for sending".into(),
                ]),
            }
        }
        Content::RecordsRemoved {
            domain,
            records,
            stops_by,
            problems,
        } => {
            let gone = records.iter().filter(|r| !r.correct).count();
            b.para(&format!(
                "Some of the DNS records of {domain} are no longer in place ({gone} of {}). Amazon still signs your mail for now, but it stops {} if the records stay missing.",
                records.len(),
                match stops_by {
                    Some(d) => format!("by {} at the latest", deadline(*d, due)),
                    None => "72 hours after it notices".to_string(),
                }
            ));
            if !problems.is_empty() {
                b.heading("What we see in your DNS today");
                b.problems(problems);
            }
            b.heading("The records");
            b.records(records);
            b.para("Please put the missing records back exactly as listed. There is nothing to send back: we check your DNS every day and write to you once Amazon has seen them again.");
            fit(&[
                format!("Put back the DNS records removed from {domain}"),
                "Put back the DNS records removed from your domain".into(),
            ])
        }
        Content::SmtpFailing {
            again,
            host,
            port,
            username,
            from,
            codes,
            certificate_expires,
        } => {
            if *again {
                b.para(&format!(
                    "The mail account {username} on {host} (port {port}, sending as {from}) passed our connection test before, but it fails now: mail from your address cannot be sent until it is fixed."
                ));
            } else {
                b.para(&format!(
                    "We tested the mail account you gave us ({username} on {host}, port {port}, sending as {from}) and could not use it yet."
                ));
            }
            b.heading("What we found, and what to change");
            let items: Vec<String> = codes
                .iter()
                .map(|c| smtp_finding(c, host, *certificate_expires, due))
                .collect();
            b.list(&items);
            b.para("We test the account again every day; you will hear from us when it passes. If you change the server, port or user name, please tell us the new details by replying to this message (never send the password by e-mail; we will tell you how to pass it on safely).");
            if *again {
                fit(&[
                    format!("Fix the mail account {username}: it fails again"),
                    "Fix your mail account: it fails again".into(),
                ])
            } else {
                fit(&[
                    format!("Fix the mail account {username}: our test failed"),
                    "Fix your mail account: our test failed".into(),
                ])
            }
        }
        Content::SmtpPassing {
            host,
            port,
            username,
            from,
            codes,
            certificate_expires,
        } => {
            b.para(&format!(
                "Good news: the mail account {username} on {host} (port {port}) passed our connection test. Notices and receipts will be sent from {from}."
            ));
            if !codes.is_empty() {
                b.heading("Worth a look");
                let items: Vec<String> = codes
                    .iter()
                    .map(|c| smtp_finding(c, host, *certificate_expires, due))
                    .collect();
                b.list(&items);
            }
            b.para("If you change the account's password, please let us know before you do, so that mail keeps flowing.");
            if codes.is_empty() {
                fit(&[
                    format!("Done: your mail account {username} is ready"),
                    "Done: your mail account is ready".into(),
                ])
            } else {
                fit(&[
                    format!("Worth a look: your mail account {username} passed our test"),
                    "Worth a look: your mail account passed our test".into(),
                ])
            }
        }
        Content::Launch {
            launch,
            days_left,
            outstanding,
        } => {
            b.para(&format!(
                "Your library launches on {}, in {days_left} {}, and sending mail from your own address is not ready yet. We ask for two weeks of notice so that everything is in place by launch.",
                launch_day(*launch),
                if *days_left == 1 { "day" } else { "days" }
            ));
            b.heading("Still to do");
            b.list(outstanding);
            b.para("If the launch date has moved, reply to this message and we will update it.");
            let on = launch_day(*launch);
            fit(&[
                format!("Finish your mail setup before your launch on {on}"),
                "Finish your mail setup before your launch".into(),
            ])
        }
        Content::DomainBought {
            domain,
            from,
            yearly_cents,
            years,
            auto_renew,
        } => {
            b.para(&format!(
                "We have registered {domain} for your library's notices and receipts; they will be sent from {from}. The domain is used only for sending mail."
            ));
            let years_text = if *years == 1 {
                "1 year".to_string()
            } else {
                format!("{years} years")
            };
            match yearly_cents {
                Some(c) => b.para(&format!(
                    "The registration costs {} a year and is passed through to you at cost; it is registered for {years_text}{}.",
                    dollars(*c),
                    if *auto_renew { " and renews automatically" } else { " and does not renew by itself" }
                )),
                None => b.para(&format!(
                    "The yearly registration fee is passed through to you at cost; it is registered for {years_text}."
                )),
            }
            b.para("We set up its DNS records ourselves; there is nothing to install on your side. We will write again once Amazon has verified the domain.");
            fit(&[
                format!("Nothing to do: we registered {domain} for your mail"),
                "Nothing to do: we registered a domain for your mail".into(),
            ])
        }
        Content::AtRisk(a) => super::at_risk::words(&mut b, a, due),
        Content::TransferStarted {
            domain,
            account,
            started,
            accept_by,
        } => {
            b.para(&format!(
                "As you asked, we have started the transfer of {domain} to your AWS account {}{}.",
                aws_account(account),
                started
                    .map(|s| format!(" on {}", when(s, &due.zone)))
                    .unwrap_or_default()
            ));
            match accept_by {
                Some(d) => b.para(&format!(
                    "Please accept it in the Route 53 console of that account (Registered domains, then Requests) by {}. If it is not accepted by then, the transfer lapses and we start a new one.",
                    deadline(*d, due)
                )),
                None => b.para(
                    "Please accept it within three days in the Route 53 console of that account (Registered domains, then Requests).",
                ),
            }
            b.para("Accepting needs a password, which we never send by e-mail: our support team will give it to you through the secure channel we agreed. The domain's DNS zone stays with us until you tell us you have moved it.");
            let by = accept_by
                .map(|d| format!(" by {}", day(d, &due.zone)))
                .unwrap_or_default();
            fit(&[
                format!("Accept the transfer of {domain}{by}"),
                format!("Accept the transfer of {domain}"),
                format!("Accept the domain transfer to your AWS account{by}"),
                "Accept the domain transfer to your AWS account".into(),
            ])
        }
    };
    let (text, html) = b.finish(settings, &subject);
    Words {
        subject,
        text,
        html,
    }
}

/// One probe finding as the notice tells it: in the library's words, with the host name or
/// the certificate's expiry where the finding is about them.
fn smtp_finding(code: &str, host: &str, expires: Option<OffsetDateTime>, due: &Due) -> String {
    let words = smtp_words_for(code, host);
    match (code, expires) {
        ("smtp::tls::expired", Some(at)) => {
            format!("{words} It expired on {}.", when(at, &due.zone))
        }
        ("smtp::tls::expires_soon", Some(at)) => {
            format!("{words} It expires on {}.", deadline(at, due))
        }
        _ => words,
    }
}

/// One probe finding about the account on `host`, in the words of the library's IT staff:
/// a finding about the host name names it.
pub fn smtp_words_for(code: &str, host: &str) -> String {
    match code {
        "smtp::connect::dns" => format!(
            "The server name {host} does not resolve: it has no address in DNS. Please check its spelling with your mail provider and give us the name it publishes for sending mail (often smtp. or mail. followed by your domain)."
        ),
        "smtp::connect::dns_timeout" => format!(
            "We could not look up the server name {host} in DNS: its name servers did not answer in time. If it persists, please ask whoever runs the DNS of that domain."
        ),
        _ => smtp_words(code),
    }
}

/// One probe finding in the words of the library's IT staff.
pub fn smtp_words(code: &str) -> String {
    let specific = match code {
        "smtp::auth::bad_credentials" => {
            "The server refused the user name and password. Please check both, and send us the new password through the secure channel if it changed."
        }
        "smtp::auth::google_app_password_required" => {
            "Google requires an App Password for this account: create one under Google Account, Security, 2-Step Verification, App passwords, and give it to us instead of the account password."
        }
        "smtp::auth::google_web_login_required" => {
            "Google blocked the sign-in and asks for a web login first. An App Password avoids this: create one under Google Account, Security, 2-Step Verification, App passwords."
        }
        "smtp::auth::microsoft_basic_auth_disabled" => {
            "Microsoft 365 has password sign-in for sending (SMTP AUTH) turned off for this mailbox or tenant. Your Microsoft 365 administrator can turn on \"Authenticated SMTP\" for this mailbox."
        }
        "smtp::auth::mechanism_rejected" | "smtp::auth::rejected" => {
            "The server did not accept any of the sign-in methods we can use (PLAIN, LOGIN or CRAM-MD5). Please ask your mail provider to allow one of them for this account."
        }
        "smtp::auth::encryption_required" => {
            "The server asked for a stronger encrypted connection before sign-in. Please check the port and security setting with your mail provider."
        }
        "smtp::auth::temporary_failure" => {
            "The server could not check the password just now (a temporary failure on its side). We will try again; if it persists, please ask your mail provider."
        }
        "smtp::tls::self_signed" => {
            "The server's certificate is self-signed: the server made it for itself (mail server software often starts with such a certificate until a real one is installed). Please install a certificate from a public certificate authority (for example Let's Encrypt) that names this server."
        }
        "smtp::tls::expired" => "The server's certificate has expired. Please renew it.",
        "smtp::tls::not_yet_valid" => {
            "The server's certificate is not valid yet (check the server's clock and the certificate's start date)."
        }
        "smtp::tls::expires_soon" => {
            "The server's certificate expires soon. Please renew it before it does, or mail will stop."
        }
        "smtp::tls::wrong_host" => {
            "The server's certificate is for another host name than the one you gave us. Please give us the host name the certificate names, or fix the certificate."
        }
        "smtp::tls::unknown_issuer" => {
            "The server's certificate comes from a private or unknown certificate authority (one your organisation runs for itself, for example), which mail services outside your network do not trust. Please install a certificate from a public certificate authority (for example Let's Encrypt)."
        }
        "smtp::tls::missing_intermediate" => {
            "The server sends only its own certificate, without the certificate of the authority that issued it, so we cannot check it. If the certificate comes from a public authority, install the full chain file it supplied on the server; if it comes from an authority your organisation runs for itself, a certificate from a public authority is needed instead."
        }
        "smtp::tls::version_too_old" => {
            "The server offers only old encryption (TLS 1.0 or 1.1). It needs TLS 1.2 or newer."
        }
        "smtp::tls::no_common_cipher" | "smtp::tls::handshake_failed" => {
            "We could not set up an encrypted connection with the server. It needs TLS 1.2 or newer with current ciphers."
        }
        "smtp::google::account_password" => {
            "You gave us the Google account's own password. It works for now, but Google may block it at any time; an App Password is more reliable."
        }
        "smtp::google::app_password_malformed" => {
            "The App Password does not look like one: Google shows it as 16 letters in groups of four. Please copy it again."
        }
        "smtp::google::mode_unspecified" => {
            "This is a Google account: please tell us whether you gave us an App Password (recommended) or the account password."
        }
        "smtp::greeting::rejected" => {
            "The server refused our connection at the start. Please ask your mail provider whether connections from other networks are allowed."
        }
        _ => "",
    };
    if !specific.is_empty() {
        return specific.to_string();
    }
    let stage = code.split("::").nth(1).unwrap_or("");
    match stage {
        "connect" => "We could not connect to the server at that host and port. Please check both with your mail provider.",
        "ehlo" | "greeting" => "The server did not answer as a mail server should. Please check the host and port with your mail provider.",
        "tls" => "The server's encryption does not meet the requirements (TLS 1.2 or newer with a certificate from a public authority).",
        "relay" => "The server accepts mail for any destination without a password (an open relay). Please ask your mail provider to close it: it is a security risk and gets mail blocked.",
        "auth" => "Signing in to the server did not work. Please check the user name and password.",
        "sender" => "The server does not let this account send from the address you gave us. Please check the sending address, or allow it for this account.",
        _ => "The connection test did not pass. Please reply and we will go through it with you.",
    }
    .to_string()
}

/// The kinds a library reads about, for a plan's notice list: a short phrase.
pub fn describe(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Records => "the DNS records to install, with the deadline",
        NoticeKind::Reminder => "a reminder of the records still missing or wrong",
        NoticeKind::Lapsed => "that verification lapsed, and what comes next",
        NoticeKind::Verified => "that the domain is verified",
        NoticeKind::RecordsRemoved => {
            "that records were removed from the verified domain, and when signing stops"
        }
        NoticeKind::SmtpFailing => "the SMTP account's diagnosis and what to change",
        NoticeKind::SmtpPassing => "that the SMTP account passed",
        NoticeKind::Launch => "that mail is not ready inside the notice period before launch",
        NoticeKind::DomainBought => "that the managed domain was bought, with its yearly charge",
        NoticeKind::TransferStarted => {
            "that the domain transfer started, and the acceptance window"
        }
        NoticeKind::AtRisk => {
            "that its patrons' addresses bounce so much that its sending is at risk"
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
