//! Checks of single values against their [`ValueKind`].

use kdl::{KdlEntry, KdlValue};

use crate::model::{Date, DomainName, EmailAddress, LibraryId, Usd};
use crate::schema::ValueKind;
use crate::source::is_env_name;

/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME`: a 12-digit account, a topic name of at most 256
/// letters, digits, hyphens and underscores (a FIFO topic's ending in `.fifo`).
fn is_sns_topic_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let [arn, partition, sns, region, account, name] = parts.as_slice() else {
        return false;
    };
    let topic = name.strip_suffix(".fifo").unwrap_or(name);
    *arn == "arn"
        && partition.starts_with("aws")
        && *sns == "sns"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=256).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Why a value does not fit, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

fn err(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> ValueError {
    ValueError {
        code,
        message: message.into(),
        help: help.into(),
    }
}

/// A value's type in words, for "expected X, found Y".
pub fn type_name(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number with decimals",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

fn expect_string<'v>(value: &'v KdlValue, kind: &ValueKind) -> Result<&'v str, ValueError> {
    match value {
        KdlValue::String(s) if s.trim().is_empty() => Err(err(
            "config::invalid-value",
            "the value is empty",
            format!("write {}", kind.describe()),
        )),
        KdlValue::String(s) => Ok(s),
        other => Err(err(
            "config::wrong-type",
            format!("expected {}, found {}", kind.describe(), type_name(other)),
            "quote text values, e.g. \"value\"",
        )),
    }
}

fn expect_integer(value: &KdlValue, kind: &ValueKind) -> Result<i128, ValueError> {
    match value {
        KdlValue::Integer(i) => Ok(*i),
        KdlValue::String(_) => Err(err(
            "config::wrong-type",
            format!("expected {}, found a string", kind.describe()),
            "write the number without quotes",
        )),
        other => Err(err(
            "config::wrong-type",
            format!("expected {}, found {}", kind.describe(), type_name(other)),
            format!("write {}", kind.describe()),
        )),
    }
}

/// Checks one entry's value against a kind.
pub fn check(kind: &ValueKind, entry: &KdlEntry) -> Result<(), ValueError> {
    let value = entry.value();
    match kind {
        ValueKind::Text | ValueKind::TagValue => {
            let s = expect_string(value, kind)?;
            if matches!(kind, ValueKind::TagValue) && s.chars().count() > 256 {
                return Err(err(
                    "config::invalid-value",
                    "a tag value has at most 256 characters",
                    "shorten the value",
                ));
            }
            Ok(())
        }
        ValueKind::LibraryId => {
            let s = expect_string(value, kind)?;
            LibraryId::parse(s).map(drop).map_err(|e| {
                err(
                    "config::invalid-id",
                    format!("`{s}` is not a valid library id: {e}"),
                    "use the file's stem, e.g. `springfield-public`",
                )
            })
        }
        ValueKind::Email => {
            let s = expect_string(value, kind)?;
            EmailAddress::parse(s).map(drop).map_err(|e| {
                err(
                    "config::invalid-email",
                    format!("`{s}` is not a valid e-mail address: {e}"),
                    "write an address such as `noreply@library.example.org`",
                )
            })
        }
        ValueKind::Domain => {
            let s = expect_string(value, kind)?;
            if s.contains('@') {
                return Err(err(
                    "config::invalid-domain",
                    format!("`{s}` is an e-mail address, not a domain name"),
                    "write only the part after `@`",
                ));
            }
            DomainName::parse(s).map(drop).map_err(|e| {
                err(
                    "config::invalid-domain",
                    format!("`{s}` is not a valid domain name: {e}"),
                    "write a domain such as `library.example.org`",
                )
            })
        }
        ValueKind::Host => {
            let s = expect_string(value, kind)?;
            check_host(s)
        }
        ValueKind::Port => {
            let i = expect_integer(value, kind)?;
            if (1..=65535).contains(&i) {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-port",
                    format!("{i} is not a TCP port"),
                    "a port is 1-65535; SMTP submission uses 465 (tls) or 587 (starttls)",
                ))
            }
        }
        ValueKind::Date => {
            let s = expect_string(value, kind)?;
            Date::parse(s).map(drop).map_err(|e| {
                err(
                    "config::invalid-date",
                    e,
                    "write the date as \"YYYY-MM-DD\", e.g. \"2027-03-01\"",
                )
            })
        }
        ValueKind::Integer { min, max } => {
            let i = expect_integer(value, kind)?;
            if i < i128::from(*min) || i > i128::from(*max) {
                return Err(err(
                    "config::out-of-range",
                    format!("{i} is outside {min}-{max}"),
                    format!("write {}", kind.describe()),
                ));
            }
            Ok(())
        }
        ValueKind::IntegerOneOf(allowed) => {
            let i = expect_integer(value, kind)?;
            if allowed.iter().any(|a| i128::from(*a) == i) {
                Ok(())
            } else {
                Err(err(
                    "config::out-of-range",
                    format!("{i} is not allowed here"),
                    format!("write {}", kind.describe()),
                ))
            }
        }
        ValueKind::Bool => match value {
            KdlValue::Bool(_) => Ok(()),
            KdlValue::String(s) if s == "true" || s == "false" => Err(err(
                "config::wrong-type",
                format!("expected #true or #false, found the string \"{s}\""),
                format!("KDL v2 writes booleans as #{s}"),
            )),
            other => Err(err(
                "config::wrong-type",
                format!("expected #true or #false, found {}", type_name(other)),
                "write #true or #false",
            )),
        },
        ValueKind::Usd => usd(entry).map(drop),
        ValueKind::UsdRate => usd_rate(entry).map(drop),
        ValueKind::OneOf(words) => {
            let s = expect_string(value, kind)?;
            if words.contains(&s) {
                Ok(())
            } else {
                let suggestion = super::suggest(s, words.iter().copied())
                    .map(|w| format!("did you mean \"{w}\"? "))
                    .unwrap_or_default();
                Err(err(
                    "config::invalid-value",
                    format!("\"{s}\" is not allowed here"),
                    format!("{suggestion}write {}", kind.describe()),
                ))
            }
        }
        ValueKind::EnvName => {
            let s = expect_string(value, kind)?;
            if is_env_name(s) {
                Ok(())
            } else {
                // The value may be the password itself pasted in by mistake: never echo it.
                Err(err(
                    "config::literal-secret",
                    "this is not an environment variable name; if it is the password itself, \
                     remove it from the file now",
                    "write the name of the environment variable that holds the password, e.g. \
                     env=\"MAILFORM_SMTP_PASSWORD_SPRINGFIELD\" (upper case, digits, underscores)",
                ))
            }
        }
        ValueKind::EnvPrefix => {
            let s = expect_string(value, kind)?;
            if !is_env_name(s) {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not the start of an environment variable name"),
                    format!(
                        "write upper-case letters, digits and underscores, e.g. \"{}\"",
                        crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX
                    ),
                ))
            } else if let Some(why) = crate::secret::refused_env_prefix(s) {
                Err(err(
                    "config::password-env-prefix-not-allowed",
                    format!("{why}; it cannot be the prefix of password variables"),
                    format!(
                        "pick a prefix of mailform's own, such as \"{}\" (the default)",
                        crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX
                    ),
                ))
            } else {
                Ok(())
            }
        }
        ValueKind::AwsAccountId => {
            let s = expect_string(value, kind)?;
            if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not a 12-digit AWS account id"),
                    "write the receiving account's id as a quoted 12-digit string",
                ))
            }
        }
        ValueKind::TimeZone => {
            let s = expect_string(value, kind)?;
            crate::model::TimeZoneName::parse(s).map(drop).map_err(|e| {
                err(
                    "config::invalid-time-zone",
                    e,
                    "write an IANA time zone name such as \"America/Chicago\", \"Europe/London\" or \"UTC\"",
                )
            })
        }
        ValueKind::AwsRegion => {
            let s = expect_string(value, kind)?;
            let parts: Vec<&str> = s.split('-').collect();
            let ok = parts.len() >= 3
                && parts[0].len() == 2
                && parts.iter().all(|p| !p.is_empty())
                && parts[..parts.len() - 1]
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
                && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not an AWS region name"),
                    "write a region such as \"us-east-1\" or \"eu-west-1\"",
                ))
            }
        }
        ValueKind::ConfigurationSetName => ses_name(
            expect_string(value, kind)?,
            "configuration set",
            "use at most 64 letters, digits, hyphens and underscores",
        ),
        ValueKind::EventDestinationName => ses_name(
            expect_string(value, kind)?,
            "event destination",
            "use at most 64 letters, digits, hyphens and underscores, e.g. \"mailform-events\"",
        ),
        ValueKind::SnsTopicArn => {
            let s = expect_string(value, kind)?;
            if is_sns_topic_arn(s) {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not an SNS topic ARN"),
                    "write the topic's ARN as `aws sns list-topics` shows it, e.g. \"arn:aws:sns:us-east-1:123456789012:ses-events\"",
                ))
            }
        }
        ValueKind::Phone => {
            let s = expect_string(value, kind)?;
            let ok = s
                .strip_prefix('+')
                .and_then(|r| r.split_once('.'))
                .is_some_and(|(cc, num)| {
                    (1..=3).contains(&cc.len())
                        && cc.bytes().all(|b| b.is_ascii_digit())
                        && (4..=15).contains(&num.len())
                        && num.bytes().all(|b| b.is_ascii_digit())
                });
            if ok {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not a phone number in Route 53 Domains' form"),
                    "write +COUNTRY.NUMBER, e.g. \"+1.5555550100\"",
                ))
            }
        }
        ValueKind::CountryCode => {
            let s = expect_string(value, kind)?;
            if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(())
            } else {
                Err(err(
                    "config::invalid-value",
                    format!("`{s}` is not a two-letter country code"),
                    "write an ISO 3166 code in capitals, e.g. \"US\"",
                ))
            }
        }
    }
}

/// The reserved top-level domain of placeholders: RFC 6761 guarantees a name under it never
/// exists, so `mailform new` writes its unknown answers there (`it@springfield.invalid`).
pub const PLACEHOLDER_TLD: &str = "invalid";

/// Whether a value is only a placeholder: an e-mail address, domain or host name (or a text
/// value written as an e-mail address, such as an SMTP user name) on `.invalid`. Other reserved
/// names (`.example`, `.test`, `example.org`) are not placeholders: the examples and tests use
/// them on purpose, and nothing marks them as answers still to come.
pub fn is_placeholder(kind: &ValueKind, value: &KdlValue) -> bool {
    let Some(s) = value.as_string() else {
        return false;
    };
    let domain = match kind {
        ValueKind::Email | ValueKind::Text => EmailAddress::parse(s).map(|e| e.domain().clone()),
        ValueKind::Domain | ValueKind::Host => DomainName::parse(s),
        _ => return false,
    };
    domain.is_ok_and(|d| d.as_str().rsplit('.').next() == Some(PLACEHOLDER_TLD))
}

/// The domain a placeholder domain stands for: `springfield.example.org.invalid` (as
/// `mailform import` writes an outgoing address it cannot know) stands for
/// `springfield.example.org`. `None` for a name that is no placeholder, or one with nothing
/// before `.invalid`.
pub fn placeholder_for(domain: &DomainName) -> Option<DomainName> {
    let stem = domain
        .as_str()
        .strip_suffix(PLACEHOLDER_TLD)?
        .strip_suffix('.')?;
    DomainName::parse(stem).ok()
}

fn check_host(s: &str) -> Result<(), ValueError> {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if s.contains("://") || s.contains(':') || s.contains('/') {
        return Err(err(
            "config::invalid-host",
            format!("`{s}` is not a bare host name"),
            "write only the host, e.g. \"smtp.example.org\"; the port goes in `port`",
        ));
    }
    // Host names may be single-label on a private network, but an SMTP server a library hands
    // us must be reachable from the internet, so we want a domain name.
    DomainName::parse(s).map(drop).map_err(|e| {
        err(
            "config::invalid-host",
            format!("`{s}` is not a valid host name: {e}"),
            "write the SMTP server's host name, e.g. \"smtp.example.org\"",
        )
    })
}

/// Reads a dollar amount exactly, from the number as written (never through binary floats).
pub fn usd(entry: &KdlEntry) -> Result<Usd, ValueError> {
    let kind = ValueKind::Usd;
    let written = entry
        .format()
        .map(|f| f.value_repr.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| entry.value().to_string());
    let bad = || {
        err(
            "config::invalid-value",
            format!("`{written}` is not a dollar amount"),
            "write a number with at most two decimals, e.g. 20 or 14.99",
        )
    };
    match entry.value() {
        KdlValue::Integer(_) | KdlValue::Float(_) => {}
        other => {
            return Err(err(
                "config::wrong-type",
                format!("expected {}, found {}", kind.describe(), type_name(other)),
                "write the amount as a number without quotes, e.g. 20.00",
            ));
        }
    }
    let (whole, frac) = written.split_once('.').unwrap_or((&written, ""));
    let whole_ok = !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let frac_ok = frac.len() <= 2 && frac.bytes().all(|b| b.is_ascii_digit());
    if !whole_ok || !frac_ok {
        return Err(bad());
    }
    let dollars: u64 = whole.replace('_', "").parse().map_err(|_| bad())?;
    let cents: u64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    if dollars > 100_000 {
        return Err(err(
            "config::out-of-range",
            format!("`{written}` is more than any domain should cost a year"),
            "write the yearly cap in US dollars, usually 12-20",
        ));
    }
    let total = dollars * 100 + cents;
    if total == 0 {
        return Err(err(
            "config::out-of-range",
            "a price cap of zero allows no purchase",
            "write the most mailform may pay a year, e.g. 20.00",
        ));
    }
    Ok(Usd::from_cents(total))
}

/// An SES resource name (configuration set, event destination): at most 64 letters, digits,
/// hyphens and underscores.
fn ses_name(s: &str, what: &str, help: &str) -> Result<(), ValueError> {
    if s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(err(
            "config::invalid-value",
            format!("`{s}` is not a valid SES {what} name"),
            help,
        ))
    }
}

/// Reads a per-unit price exactly, in hundredths of a cent (ten-thousandths of a dollar), from
/// the number as written: `0.005` is 50.
pub fn usd_rate(entry: &KdlEntry) -> Result<u64, ValueError> {
    let written = entry
        .format()
        .map(|f| f.value_repr.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| entry.value().to_string());
    if !matches!(entry.value(), KdlValue::Integer(_) | KdlValue::Float(_)) {
        return Err(err(
            "config::wrong-type",
            format!(
                "expected {}, found {}",
                ValueKind::UsdRate.describe(),
                type_name(entry.value())
            ),
            "write the price as a number without quotes, e.g. 0.005",
        ));
    }
    let bad = || {
        err(
            "config::invalid-value",
            format!("`{written}` is not a price to a hundredth of a cent"),
            "write a number with at most four decimals, e.g. 0.005",
        )
    };
    let (whole, frac) = written.split_once('.').unwrap_or((&written, ""));
    let whole_ok = !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !whole_ok || frac.len() > 4 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let dollars: u64 = whole.replace('_', "").parse().map_err(|_| bad())?;
    let parts: u64 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
    if dollars > 1_000 {
        return Err(err(
            "config::out-of-range",
            format!("`{written}` is more than SES charges for anything a month"),
            "write the monthly price of one tenant in US dollars, e.g. 0.005",
        ));
    }
    Ok(dollars * 10_000 + parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_price_reads_to_the_hundredth_of_a_cent() {
        let entry = |s: &str| s.parse::<KdlEntry>().unwrap();
        assert_eq!(usd_rate(&entry("0.005")).unwrap(), 50);
        assert_eq!(usd_rate(&entry("2")).unwrap(), 20_000);
        assert!(usd_rate(&entry("0.00001")).is_err());
        assert!(usd_rate(&entry("\"0.005\"")).is_err());
        assert!(usd_rate(&entry("-1.0")).is_err());
    }

    fn text(s: &str) -> KdlValue {
        KdlValue::String(s.into())
    }

    #[test]
    fn only_names_on_dot_invalid_are_placeholders() {
        for (kind, value) in [
            (ValueKind::Email, "it@springfield.invalid"),
            (ValueKind::Email, "IT@Springfield.INVALID"),
            (ValueKind::Domain, "springfield-mail.invalid"),
            (ValueKind::Domain, "springfield-mail.invalid."),
            (ValueKind::Host, "smtp.springfield.invalid"),
            (ValueKind::Text, "noreply@springfield.invalid"),
        ] {
            assert!(is_placeholder(&kind, &text(value)), "{value}");
        }
        for (kind, value) in [
            // Reserved for examples and tests, used on purpose in `libraries/`.
            (ValueKind::Email, "it@springfield.example.org"),
            (ValueKind::Domain, "ogdenville.example"),
            (ValueKind::Host, "smtp.capital-city.test"),
            (ValueKind::Host, "localhost.localhost"),
            // `invalid` as a label that is not the top-level one.
            (ValueKind::Domain, "invalid.example.org"),
            (ValueKind::Email, "invalid@springfield.example.org"),
            (ValueKind::Host, "smtp.invalidtld"),
            (ValueKind::Host, "127.0.0.1"),
            // A text that is not an address, and a kind that holds no name.
            (ValueKind::Text, "Springfield.invalid Public Library"),
            (ValueKind::Text, "notices"),
            (ValueKind::ConfigurationSetName, "x.invalid"),
        ] {
            assert!(!is_placeholder(&kind, &text(value)), "{value}");
        }
        assert!(!is_placeholder(&ValueKind::Port, &KdlValue::Integer(587)));
    }
}

#[cfg(test)]
mod sns_topic_arn_tests {
    use super::is_sns_topic_arn;

    #[test]
    fn topic_arns_are_told_from_other_text() {
        assert!(is_sns_topic_arn(
            "arn:aws:sns:us-east-1:123456789012:ses-events"
        ));
        assert!(is_sns_topic_arn(
            "arn:aws-us-gov:sns:us-gov-west-1:123456789012:events.fifo"
        ));
        for bad in [
            "ses-events",
            "arn:aws:sqs:us-east-1:123456789012:ses-events",
            "arn:aws:sns:us-east-1:1234:ses-events",
            "arn:aws:sns:us-east-1:123456789012:",
            "arn:aws:sns:us-east-1:123456789012:a b",
            "https://sns.us-east-1.amazonaws.com/123456789012/ses-events",
        ] {
            assert!(!is_sns_topic_arn(bad), "{bad}");
        }
    }
}
