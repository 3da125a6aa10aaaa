//! `mailform probe`: check an SMTP account (method 2) and print the report.

use std::process::ExitCode;
use std::time::Duration;

use super::args::{GoogleArg, ProbeArgs, ProbeFormat, SecurityArg};
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today};
use crate::model::{DeliveryMethod, SecretRef};
use crate::probe::{self, GoogleAuthMode, ProbeOptions, ProbeTarget, Security};
use crate::secret::{Secret, SecretError};

pub(super) fn run(a: ProbeArgs, color: bool) -> Result<ExitCode, CliError> {
    let target = match &a.library {
        Some(id) => match library_target(&a, id, color)? {
            Some(t) => t,
            None => return Ok(ExitCode::from(EXIT_FAILED)),
        },
        None => ad_hoc_target(&a)?,
    };
    let mut opts = ProbeOptions {
        transcript: a.transcript,
        deadline: Duration::from_secs(a.deadline.max(1)),
        ..ProbeOptions::default()
    };
    if let Some(path) = &a.test_only_trust_ca {
        eprintln!(
            "warning: trusting the test CA {} (test only)",
            path.display()
        );
        opts.extra_roots.push(read_ca(path)?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let report = runtime.block_on(probe::probe(&target, &opts));
    match a.format {
        ProbeFormat::Human => print(&probe::render_human(&report)),
        ProbeFormat::Json => {
            let mut text = serde_json::to_string_pretty(&probe::to_json(&report))
                .unwrap_or_else(|_| "null".into());
            text.push('\n');
            print(&text);
        }
    }
    Ok(ExitCode::from(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}

/// The library's `smtp-account`, with the password read from the variable it names. Prints
/// the diagnostics and returns `None` when the files have errors.
fn library_target(a: &ProbeArgs, id: &str, color: bool) -> Result<Option<ProbeTarget>, CliError> {
    let Some(config) = super::world::load_config(&a.libraries, today(None)?, color) else {
        return Ok(None);
    };
    let library = config
        .libraries
        .iter()
        .find(|l| l.id.as_str() == id)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "no library `{id}` in {}; `mailform validate` lists the files read",
                a.libraries.display()
            ))
        })?;
    let DeliveryMethod::SmtpAccount(account) = &library.method else {
        return Err(CliError::Usage(format!(
            "library `{id}` does not use its own SMTP account (method 2); only an `smtp-account` can be probed"
        )));
    };
    let SecretRef::Env(var) = &account.password;
    Ok(Some(ProbeTarget::for_account(account, secret(var)?)))
}

fn ad_hoc_target(a: &ProbeArgs) -> Result<ProbeTarget, CliError> {
    // clap requires all of these together with --host.
    let missing = |what: &str| CliError::Usage(format!("--{what} is required with --host"));
    Ok(ProbeTarget {
        host: a.host.clone().ok_or_else(|| missing("host"))?,
        port: a.port.ok_or_else(|| missing("port"))?,
        security: match a.security.ok_or_else(|| missing("security"))? {
            SecurityArg::Tls => Security::Tls,
            SecurityArg::Starttls => Security::Starttls,
        },
        username: a.user.clone().ok_or_else(|| missing("user"))?,
        password: secret(
            a.password_env
                .as_deref()
                .ok_or_else(|| missing("password-env"))?,
        )?,
        from: a.from.clone().ok_or_else(|| missing("from"))?,
        google: a.google.map(|g| match g {
            GoogleArg::AppPassword => GoogleAuthMode::AppPassword,
            GoogleArg::AccountPassword => GoogleAuthMode::AccountPassword,
        }),
    })
}

/// The password from `var`. A variable that holds other systems' credentials (`AWS_*`,
/// `GITHUB_*`, …) is refused before it is read, for the ad-hoc `--password-env` as for files.
fn secret(var: &str) -> Result<Secret, CliError> {
    Secret::from_env(var).map_err(|e| match e {
        SecretError::Refused { .. } => CliError::Usage(e.to_string()),
        _ => CliError::Usage(format!(
            "{e}; set it to the SMTP password (in CI, map the repository secret to it)"
        )),
    })
}

fn read_ca(path: &std::path::Path) -> Result<rustls::pki_types::CertificateDer<'static>, CliError> {
    use rustls::pki_types::pem::PemObject;
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    match rustls::pki_types::CertificateDer::from_pem_slice(&bytes) {
        Ok(cert) => Ok(cert),
        Err(_) => Ok(rustls::pki_types::CertificateDer::from(bytes)),
    }
}
