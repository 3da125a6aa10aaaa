//! A notice as an e-mail: lettre builds the MIME message (multipart/alternative with the plain
//! text and the HTML, encoded headers, `Date`, `Message-ID`, `Reply-To`, and a `To` that names
//! the library's IT team: spam filters count a bare address against a message).

use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::NoticeKey;
use super::due::Due;
use super::text::Words;
use crate::model::{EmailAddress, NoticeSettings};

/// Why a message could not be built (an address lettre refuses).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the notice {key}: {reason}")]
pub struct BuildError {
    pub key: String,
    pub reason: String,
}

/// The `Message-ID` of a notice: the same for every sending of the same key, so a second copy
/// after a crash is recognisably the same message (mail stores collapse duplicates by it).
pub fn message_id(key: &NoticeKey, settings: &NoticeSettings) -> String {
    format!(
        "<{}.{}.{}@{}>",
        key.fingerprint,
        key.kind,
        key.library,
        settings.from.domain()
    )
}

fn mailbox(name: Option<&str>, address: &EmailAddress) -> Result<Mailbox, String> {
    let address = address
        .to_string()
        .parse()
        .map_err(|e: lettre::address::AddressError| format!("`{address}`: {e}"))?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// The e-mail of one notice, dated `at` (unix seconds).
pub fn build(
    due: &Due,
    words: &Words,
    settings: &NoticeSettings,
    at: i64,
) -> Result<Message, BuildError> {
    let key = &due.key;
    let fail = |reason: String| BuildError {
        key: key.to_string(),
        reason,
    };
    let from = mailbox(settings.from_name.as_deref(), &settings.from).map_err(fail)?;
    let reply_to = mailbox(None, &settings.reply_to).map_err(fail)?;
    // The library's name as the reader's own mail shows it: its hidden characters shown.
    let team = format!("{} IT team", crate::text::visible(&due.library_name));
    let to = mailbox(Some(&team), &due.to).map_err(fail)?;
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(at.max(0) as u64);
    Message::builder()
        .from(from)
        .reply_to(reply_to)
        .to(to)
        .subject(words.subject.clone())
        .date(date)
        .message_id(Some(message_id(key, settings)))
        // RFC 3834: an automatic message, so that out-of-office replies do not answer it.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(words.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(words.html.clone()),
                ),
        )
        .map_err(|e| fail(e.to_string()))
}
