//! The notice ledger: the DynamoDB adapter against the sandbox (`ledger.rs`) and `mailform
//! notices` through the binary (`cli.rs`).

pub(crate) mod cli;
mod ledger;

/// An unconfirmed claim of `kind` for `library` by `run` at `at` (for the moto contract test).
pub fn ledger_entry(
    library: &str,
    kind: mailform::notice::NoticeKind,
    run: &str,
    at: i64,
) -> mailform::notice::ledger::LedgerEntry {
    ledger::entry(library, kind, &["contract"], run, at)
}

/// The tests' platform file with a `notices` block (the default ledger table).
pub fn platform_with_notices() -> String {
    let platform = crate::support::cli::PLATFORM;
    let end = platform.rfind('}').expect("the platform block ends");
    format!(
        "{}{}}}\n",
        &platform[..end],
        r#"
    notices {
        from "notices@library-market.example.com"
        from-name "Library Market"
        reply-to "support@library-market.example.com"

        relay {
            host "smtp.library-market.example.com"
            port 587
            security "starttls"
            username "notices"
            password env="MAILFORM_SMTP_PASSWORD_RELAY"
        }
    }
"#
    )
}
