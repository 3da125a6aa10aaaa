//! The SMTP relay notices go through: the [`Relay`] trait and its lettre adapter.
//!
//! An answer of the relay is definite (a 4xx: not taken, try later; a 5xx: refused for good);
//! anything else after the connection opened (a timeout, a dropped connection, a TLS failure
//! mid-way) leaves the outcome unknown: the message may have been taken. The caller treats
//! an unknown outcome as a crash between sending and recording.

use std::future::Future;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::model::{Relay as RelaySettings, SmtpSecurity};
use crate::secret::Secret;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// A 4xx answer, or no connection at all: not taken; send it later.
    Deferred(String),
    /// A 5xx answer: refused for good.
    Refused(String),
    /// The connection failed after it opened: the relay may have taken the message.
    Unknown(String),
}

/// Sends notices.
pub trait Relay {
    /// Opens a connection and signs in, without sending: a relay that cannot be reached or
    /// refuses the credentials fails the run before any notice is claimed.
    fn check(&self) -> impl Future<Output = Result<(), String>> + Send;
    fn send(&self, message: Message) -> impl Future<Output = Result<(), RelayError>> + Send;
}

/// lettre's SMTP transport, with STARTTLS or TLS and AUTH, trusting Mozilla's roots.
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpRelay {
    /// `extra_root` (PEM) is for tests only: a test CA beside Mozilla's roots.
    pub fn new(
        settings: &RelaySettings,
        password: &Secret,
        timeout: Duration,
        extra_root: Option<&[u8]>,
    ) -> Result<SmtpRelay, String> {
        let mut tls = TlsParameters::builder(settings.host.clone());
        if let Some(pem) = extra_root {
            tls = tls.add_root_certificate(
                Certificate::from_pem(pem).map_err(|e| format!("the test CA: {e}"))?,
            );
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| format!("TLS settings for {}: {e}", settings.host))?;
        let tls = match settings.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls),
            SmtpSecurity::StartTls => Tls::Required(tls),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .credentials(Credentials::new(
                settings.username.clone(),
                password.expose().to_string(),
            ))
            .timeout(Some(timeout))
            .build();
        Ok(SmtpRelay { transport })
    }
}

/// The relay's words without anything that could carry the password (lettre's errors name
/// the stage and the server's reply, never the credentials).
fn describe(e: &lettre::transport::smtp::Error) -> String {
    e.to_string()
}

impl Relay for SmtpRelay {
    async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the relay did not answer NOOP".into()),
            Err(e) => Err(describe(&e)),
        }
    }

    async fn send(&self, message: Message) -> Result<(), RelayError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(RelayError::Deferred(describe(&e))),
            Err(e) if e.is_permanent() => Err(RelayError::Refused(describe(&e))),
            Err(e) => Err(RelayError::Unknown(describe(&e))),
        }
    }
}
