//! `mailform new`: the file of a library that has told us its method and nothing else yet, and
//! the list of what to ask it for (the setup document's, per method). Pure.
//!
//! Every required value is present, so the file parses, is canonical and passes `validate` as it
//! is (`fmt --check` refuses a file with errors of its own, and an operator fills a file in
//! step by step). What the library must tell us is a placeholder on the reserved top-level
//! domain `.invalid` (RFC 6761: it never resolves, so nothing real can be reached or bought
//! with it), each with a `// TODO(operator): …` line above it; `grep -n TODO(operator)` lists
//! what is left. `validate` warns of each one (`config::placeholder`), and `plan`, `apply` and
//! `notify` refuse to run while one is left.

use crate::draft::{Draft, Field, Value};
use crate::model::LibraryId;

/// The three methods of the setup document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    SesDomain,
    SmtpAccount,
    ManagedDomain,
}

impl Method {
    /// The method's block in a library file.
    pub fn block(self) -> &'static str {
        match self {
            Method::SesDomain => "ses-domain",
            Method::SmtpAccount => "smtp-account",
            Method::ManagedDomain => "managed-domain",
        }
    }

    /// The setup document's title of the method.
    pub fn title(self) -> &'static str {
        match self {
            Method::SesDomain => "method 1, DKIM-based domain verification",
            Method::SmtpAccount => "method 2, the library's own SMTP account",
            Method::ManagedDomain => "method 3, a domain name bought and run for the library",
        }
    }
}

const TODO: &str = "TODO(operator):";

/// The placeholder domain of a library: `<id>.invalid`.
fn placeholder(id: &LibraryId) -> String {
    format!("{id}.invalid")
}

/// The password variable the file names: the platform's prefix and the id in capitals.
pub fn password_env(id: &LibraryId, prefix: &str) -> String {
    crate::secret::library_password_env(id.as_str(), prefix)
}

/// The new library's file.
pub fn skeleton(id: &LibraryId, method: Method, password_prefix: &str) -> Draft {
    let domain = placeholder(id);
    let from = |what: &str| {
        Field::text("from", format!("noreply@{domain}")).noted(format!(
            "{TODO} the outgoing address the library chose for all mail from our products{what}"
        ))
    };
    let method_fields = match method {
        Method::SesDomain => vec![from(
            " (e.g. noreply@their-domain); its domain becomes the SES identity",
        )],
        Method::SmtpAccount => vec![
            Field::text("host", format!("smtp.{domain}"))
                .noted(format!("{TODO} the SMTP server's address")),
            Field::new("port", Value::Integer(587))
                .noted(format!("{TODO} the port (465 with tls, 587 with starttls)")),
            Field::text("security", "starttls")
                .noted(format!("{TODO} the encryption type: \"tls\" or \"starttls\"")),
            Field::text("username", format!("noreply@{domain}"))
                .noted(format!("{TODO} our SMTP user name")),
            Field::new(
                "password",
                Value::Property("env", password_env(id, password_prefix)),
            )
            .noted(format!(
                "{TODO} put the password the library gives in this variable of CI's secrets; never in this file"
            )),
            from(""),
        ],
        Method::ManagedDomain => vec![
            Field::text("domain", format!("{id}-mail.invalid")).noted(format!(
                "{TODO} the domain name chosen with the library; it must be available to register"
            )),
            Field::text("from", format!("noreply@{id}-mail.invalid")).noted(format!(
                "{TODO} the outgoing address the library chose, on that domain"
            )),
        ],
    };
    Draft {
        id: id.clone(),
        header: vec![format!(
            "Written by `mailform new` for {}: replace every value below a TODO(operator) line, then delete those lines.",
            method.title()
        )],
        fields: vec![
            Field::text("name", id.as_str())
                .noted(format!("{TODO} the library's name, as its notices show it")),
            Field::text("it-contact", format!("it@{domain}")).noted(format!(
                "{TODO} the library's IT contact; add `launch \"YYYY-MM-DD\"` below it once the launch date is set"
            )),
        ],
        method: method.block(),
        method_fields,
    }
}

/// What the library must tell us, after the setup document, and what comes next.
pub fn checklist(id: &LibraryId, method: Method, file: &str, password_prefix: &str) -> String {
    let mut asks: Vec<String> = vec![
        "the library's name and its IT contact's e-mail address (`name`, `it-contact`)".into(),
        "its launch date (`launch`): the method must be known at least two weeks before it".into(),
    ];
    let next: Vec<String> = match method {
        Method::SesDomain => {
            asks.push(
                "the outgoing e-mail address for all mail from our products, e.g. noreply@their-domain (`from`); the library must be able to install three DNS records on that domain".into(),
            );
            vec![format!(
                "`mailform apply`, then `mailform records {id}`: the three DKIM records their IT staff install"
            )]
        }
        Method::SmtpAccount => {
            asks.extend([
                "the SMTP server address, port and encryption type, TLS or STARTTLS (`host`, `port`, `security`)".to_string(),
                "our SMTP user name and password (`username`; the password goes into the variable the file names, never into the file), preferably an account for our products only".to_string(),
                "our outgoing e-mail address (`from`)".to_string(),
                "whether it is a Google account, and then an App Password (`google-auth \"app-password\"`; OAuth is not supported)".to_string(),
                "that the server offers ESMTP, TLS 1.2 or later with a certificate chain to Mozilla's roots, AUTH by CRAM-MD5, LOGIN or PLAIN, and is no open relay".to_string(),
            ]);
            vec![format!(
                "set {} and run `mailform probe {id}`: it checks the four requirements without sending a message",
                password_env(id, password_prefix)
            )]
        }
        Method::ManagedDomain => {
            asks.extend([
                "the domain name to register for sending only (`domain`); it must be available, and its yearly charge (usually $12-$20) is passed through to the library (`price-cap`, default the platform's)".to_string(),
                "the outgoing e-mail address on that domain (`from`); it has no mailbox".to_string(),
            ]);
            vec![
                "`mailform plan` shows the price; `mailform apply --allow-purchase DOMAIN` buys it"
                    .into(),
            ]
        }
    };
    let mut out = format!(
        "wrote {file} ({})\n\nAsk the library for:\n",
        method.title()
    );
    for (n, ask) in asks.iter().enumerate() {
        out.push_str(&format!("  {}. {ask}\n", n + 1));
    }
    out.push_str(&format!(
        "\nThen replace each value below a TODO(operator) line in {file}: `mailform validate` lists those left (`config::placeholder`), and `plan` and `apply` refuse to run while one is.\n"
    ));
    for line in next {
        out.push_str(&format!("Next: {line}.\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Config;
    use crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX as PREFIX;

    /// Formats and checks a skeleton beside a platform file; returns the configuration and the
    /// 1-based lines of its diagnostics, each of which must be a placeholder.
    fn check(draft: &Draft) -> (Config, Vec<usize>) {
        let (text, analysis) = crate::draft::tests::analyze(draft);
        let mut lines = Vec::new();
        for d in &analysis.diagnostics {
            assert_eq!(d.code, "config::placeholder", "{text}\n{d:?}");
            assert!(!d.is_error(), "{d:?}");
            let at = d.location.as_ref().expect("a place").span.start;
            lines.push(text[..at].lines().count());
        }
        (analysis.config.expect("a configuration"), lines)
    }

    #[test]
    fn every_method_gives_a_canonical_valid_file_with_each_placeholder_marked_and_warned_of() {
        let id = LibraryId::parse("new-town").unwrap();
        for method in [
            Method::SesDomain,
            Method::SmtpAccount,
            Method::ManagedDomain,
        ] {
            let draft = skeleton(&id, method, PREFIX);
            let (config, warned) = check(&draft);
            let from = config.libraries[0].method.from_address();
            assert!(from.domain().as_str().ends_with(".invalid"), "{from}");
            let text = draft.render();
            let lines: Vec<&str> = text.lines().collect();
            let mut placeholders = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                if line.contains(".invalid") {
                    assert!(lines[i - 1].contains("// TODO(operator):"), "{text}");
                    placeholders.push(i + 1);
                }
            }
            // Each value on `.invalid` is warned of, once, and nothing else is.
            assert_eq!(warned, placeholders, "{text}");
        }
        assert_eq!(password_env(&id, PREFIX), "MAILFORM_SMTP_PASSWORD_NEW_TOWN");
    }
}
