//! The steps that change a registered domain: buying it, its settings, its ownership tags and
//! its handover. Money and secrets live here, so every step re-reads right before it calls,
//! never lets the SDK retry a call that spends or answers a secret, and says "unknown" when a
//! request was sent and no answer told what became of it.
//!
//! Why two applies at once cannot both buy or both hand over: Route 53 Domains refuses a second
//! request for a domain while one is under way (`DuplicateRequest`, "the request is already in
//! progress for the domain"). That per-domain refusal is the AWS-side primitive; each step also
//! looks for an operation in flight right before its call, and reads `DuplicateRequest` as
//! "another apply did it moments ago", not as a failure.

use crate::live::ReadError;
use crate::live::facts::{DomainOperation, RegisteredDomain, Tags};
use crate::live::ownership::{self, AUTH_CODE_KEPT, HANDOVER_INTENT_KEY, SECRET_KEPT_KEY};
use crate::live::registrar::{RegistrarReader, RegistrarWriter};
use crate::model::{Config, Contact, ManagedDomain, TransferRequest};
use crate::plan::Op;
use crate::secret::Secret;

use super::Outcome;

/// Keeps a secret where only the operator can read it and answers where (see
/// [`super::ApplyOptions::keep_secret`]).
pub(super) type KeepSecret<'a> = &'a (dyn Fn(&str, &str, &Secret) -> Result<String, String> + Sync);

/// The operation type of a transfer to another AWS account.
const TRANSFER_OUT: &str = "INTERNAL_TRANSFER_OUT_DOMAIN";
const DOMAIN_LOCK: &str = "DOMAIN_LOCK";

/// Why a sent request may have taken effect although no answer said so: it timed out, the
/// connection failed before an answer, or AWS answered a server error (5xx), which does not say
/// whether the request was carried out; `None` when the service answered with a refusal.
pub(super) fn unanswered(e: &ReadError) -> Option<String> {
    use crate::live::ReadErrorKind;
    match &e.kind {
        ReadErrorKind::Timeout => Some("its answer did not come in time".into()),
        ReadErrorKind::Unreachable { .. } => {
            Some("the connection failed before an answer came".into())
        }
        ReadErrorKind::Service { code, .. } if code == "request-failed" => {
            Some("no readable answer came back".into())
        }
        _ => match e.http_status {
            Some(status) if status >= 500 => Some(format!(
                "AWS answered {status}, a server error that does not say whether it was carried out"
            )),
            _ => None,
        },
    }
}

/// Whether AWS refused the call because the same request is under way for the domain.
fn duplicate(e: &ReadError) -> bool {
    matches!(&e.kind, crate::live::ReadErrorKind::Service { code, .. } if code == "DuplicateRequest")
}

/// The domain as listed (auto-renew, transfer lock) and its tags, when it is registered and
/// mailform may change it; otherwise the outcome to report. Read right before each mutation.
async fn ours<R>(
    config: &Config,
    domain: &str,
    registrar: &R,
) -> Result<Result<(RegisteredDomain, Tags), Outcome>, ReadError>
where
    R: RegistrarReader + Sync,
{
    let listed = registrar.domains().await?;
    let Some(live) = listed.into_iter().find(|d| d.name == domain) else {
        return Ok(Err(Outcome::Failed(format!(
            "{domain} is not registered in this account (any more); plan again"
        ))));
    };
    let tags = registrar.domain(domain).await?.tags;
    let owner = ownership::classify(
        config,
        ownership::ResourceKind::RegisteredDomain,
        domain,
        &tags,
    );
    if !owner.may_change() {
        return Ok(Err(Outcome::Skipped(format!(
            "{domain} is not mailform's to change: it carries no ownership tags of mailform's \
             (add `adopt #true` to the library's managed-domain block to take it over); left as \
             it is"
        ))));
    }
    Ok(Ok((live, tags)))
}

/// The outcome to report instead of a mutation when `domain` is not registered here or not
/// mailform's to change; `None` when it is.
pub(super) async fn refuse_unless_ours<R>(
    config: &Config,
    domain: &str,
    registrar: &R,
) -> Result<Option<Outcome>, ReadError>
where
    R: RegistrarReader + Sync,
{
    if !registrar.domains().await?.iter().any(|d| d.name == domain) {
        // Bought moments ago (by this apply's registration step, which tagged it): the zone
        // exists from the moment the registration is submitted.
        return Ok(match registration_under_way(domain, registrar).await? {
            Some(_) => None,
            None => Some(Outcome::Failed(format!(
                "{domain} is not registered in this account (any more); plan again"
            ))),
        });
    }
    Ok(ours(config, domain, registrar).await?.err())
}

/// Buys a managed domain, once: right before `RegisterDomain` it looks for a registration of
/// the domain already submitted (also one whose answer a crashed apply never recorded, since
/// Route 53 Domains lists it), for the domain in this account, and checks availability and the
/// price against the library's cap again. Then it puts the ownership tags on the domain.
pub(super) async fn buy<R>(
    m: &ManagedDomain,
    contact: &Contact,
    tags: &Tags,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let domain = m.domain.as_str();
    if let Some(op) = registration_under_way(domain, registrar).await? {
        // Submitted by an apply that never saw the answer: its tags may be missing.
        registrar.tag_domain(domain, tags).await?;
        return Ok(Outcome::Skipped(format!(
            "a registration of {domain} was submitted already (operation {}, {}); not bought \
             again",
            op.id, op.status
        )));
    }
    if registrar.domains().await?.iter().any(|d| d.name == domain) {
        return Ok(Outcome::Skipped(format!(
            "{domain} is registered in this account already; not bought again"
        )));
    }
    let availability = registrar.availability(domain).await?;
    if availability.answer != "AVAILABLE" {
        // Taken since the operations were read: by another apply running now?
        if let Some(op) = registration_under_way(domain, registrar).await? {
            registrar.tag_domain(domain, tags).await?;
            return Ok(Outcome::Skipped(format!(
                "another apply submitted a registration of {domain} moments ago (operation {}, \
                 {}); not bought again",
                op.id, op.status
            )));
        }
        return Ok(Outcome::Failed(format!(
            "not bought: Route 53 Domains now answers {} for {domain}",
            availability.answer
        )));
    }
    let tld = domain.rsplit('.').next().unwrap_or_default();
    // The cap is in US dollars; a price in any other currency is not comparable with it.
    let listed = registrar
        .price(tld)
        .await?
        .filter(|p| p.currency.as_deref().is_none_or(|c| c == "USD"));
    let renewal = listed
        .as_ref()
        .and_then(|p| p.renewal)
        .map(|p| (p * 100.0).round() as u64);
    let Some(cents) = listed
        .and_then(|p| p.registration)
        .map(|p| (p * 100.0).round() as u64)
    else {
        return Ok(Outcome::Failed(format!(
            "not bought: Route 53 Domains lists no price in US dollars for .{tld} now"
        )));
    };
    if cents > m.price_cap.cents {
        return Ok(Outcome::Failed(format!(
            "not bought: {domain} now costs ${}.{:02} a year, over the cap of {}",
            cents / 100,
            cents % 100,
            m.price_cap
        )));
    }
    // With auto-renew on, the renewal is charged every year without a new approval.
    if let Some(renewal) = renewal.filter(|r| m.auto_renew && *r > m.price_cap.cents) {
        return Ok(Outcome::Failed(format!(
            "not bought: {domain} now renews at ${}.{:02} a year, over the cap of {}, and auto-renew is on",
            renewal / 100,
            renewal % 100,
            m.price_cap
        )));
    }
    let id = match registrar
        .register_domain(domain, m.years, m.auto_renew, contact)
        .await
    {
        Ok(id) => id,
        Err(e) if duplicate(&e) => {
            return Ok(Outcome::Skipped(format!(
                "another apply submitted a registration of {domain} moments ago (AWS answered \
                 DuplicateRequest); not bought again"
            )));
        }
        Err(e) => {
            let Some(why) = unanswered(&e) else {
                return Ok(Outcome::Failed(format!("not bought: {e}")));
            };
            // The answer was lost: AWS lists the registration if it took the request.
            if let Ok(Some(_)) = registration_under_way(domain, registrar).await
                && registrar.tag_domain(domain, tags).await.is_ok()
            {
                return Ok(Outcome::Done(vec![
                    format!(
                        "RegisterDomain (its answer was lost: {why}; AWS lists the registration, so \
                         it was bought once and not sent again)"
                    ),
                    "UpdateTagsForDomain".into(),
                ]));
            }
            return Ok(Outcome::Failed(format!(
                "whether {domain} was bought is unknown: RegisterDomain was sent but {why}, so it \
                 may have been accepted. It was not sent again; run apply again: it first looks \
                 for a registration of {domain} in flight and does not buy twice (do not register \
                 it by hand)"
            )));
        }
    };
    // The ownership tags go on at once: a domain without them is read-only to mailform.
    match registrar.tag_domain(domain, tags).await {
        Ok(()) => Ok(Outcome::Done(vec![
            format!("RegisterDomain (operation {id})"),
            "UpdateTagsForDomain".into(),
        ])),
        Err(e) => Ok(Outcome::Failed(format!(
            "{domain} was bought (operation {id}), but its ownership tags could not be written \
             ({e}); mailform treats it as someone else's until they are: once the registration \
             completes, add `adopt #true` to the library's managed-domain block and apply"
        ))),
    }
}

/// The operation of `kind` for `domain` still under way (submitted or in progress), if any:
/// submitted by an earlier apply (also one that never saw the answer) or a concurrent one.
async fn under_way<R>(
    domain: &str,
    kind: &str,
    registrar: &R,
) -> Result<Option<DomainOperation>, ReadError>
where
    R: RegistrarReader + Sync,
{
    Ok(registrar.operations().await?.into_iter().find(|o| {
        o.domain.as_deref() == Some(domain)
            && o.kind == kind
            && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
    }))
}

/// A registration of `domain` submitted already.
async fn registration_under_way<R>(
    domain: &str,
    registrar: &R,
) -> Result<Option<DomainOperation>, ReadError>
where
    R: RegistrarReader + Sync,
{
    under_way(domain, "REGISTER_DOMAIN", registrar).await
}

/// Puts the ownership tags on a domain that lacks them (adopted, or moved to another library).
pub(super) async fn tag<R>(
    config: &Config,
    domain: &str,
    tags: &Tags,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let registered = registrar.domains().await?.iter().any(|d| d.name == domain);
    if !registered && let Some(op) = registration_under_way(domain, registrar).await? {
        // Submitted from this account and declared by the library: its buyer's tags go on.
        registrar.tag_domain(domain, tags).await?;
        return Ok(Outcome::Done(vec![format!(
            "UpdateTagsForDomain (its registration, operation {}, is {})",
            op.id, op.status
        )]));
    }
    let (_, live_tags) = match ours(config, domain, registrar).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let missing: Tags = tags
        .iter()
        .filter(|(k, v)| live_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if missing.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "the ownership tags of {domain} are in place already"
        )));
    }
    registrar.tag_domain(domain, &missing).await?;
    Ok(Outcome::Done(vec!["UpdateTagsForDomain".into()]))
}

pub(super) async fn auto_renew<R>(
    config: &Config,
    domain: &str,
    on: bool,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let (live, _) = match ours(config, domain, registrar).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    if live.auto_renew == Some(on) {
        return Ok(Outcome::Skipped(format!(
            "auto-renew of {domain} is {on} already"
        )));
    }
    registrar.set_auto_renew(domain, on).await?;
    Ok(Outcome::Done(vec![if on {
        "EnableDomainAutoRenew".into()
    } else {
        "DisableDomainAutoRenew".into()
    }]))
}

pub(super) async fn unlock<R>(
    config: &Config,
    domain: &str,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let (live, _) = match ours(config, domain, registrar).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    if live.transfer_lock == Some(false) {
        return Ok(Outcome::Skipped(format!(
            "the transfer lock of {domain} is off already"
        )));
    }
    if let Some(op) = lock_change(domain, registrar).await? {
        return Ok(Outcome::Skipped(format!(
            "the transfer lock of {domain} is turning off already (operation {})",
            op.id
        )));
    }
    match registrar.disable_transfer_lock(domain).await {
        Ok(()) => Ok(Outcome::Done(vec![
            "DisableDomainTransferLock (the lock is off once its operation completes)".into(),
        ])),
        Err(e) if duplicate(&e) => Ok(Outcome::Skipped(format!(
            "the transfer lock of {domain} is turning off already (AWS answered \
             DuplicateRequest: another apply asked moments ago)"
        ))),
        Err(e) => Err(e),
    }
}

/// A transfer lock change of `domain` still under way: `DisableDomainTransferLock` answers with
/// an operation, and the domain reads locked until it completes.
async fn lock_change<R>(domain: &str, registrar: &R) -> Result<Option<DomainOperation>, ReadError>
where
    R: RegistrarReader + Sync,
{
    under_way(domain, DOMAIN_LOCK, registrar).await
}

/// What a handover step was asked to do: start it (`+`), or cancel the one under way whose
/// password was lost and start it again (`-/+`).
pub(super) struct Handover<'a> {
    pub op: Op,
    pub request: &'a TransferRequest,
    pub keep_secret: KeepSecret<'a>,
    /// Seconds since the epoch, on the services' clock, for the intent and kept tags.
    pub now: i64,
}

/// Hands a managed domain over as the library asked: to its AWS account (the password the
/// receiving account must use within 3 days), or to another registrar (the auth code, once the
/// transfer lock is off).
///
/// Order, so that no secret is ever lost without the next plan saying so: the intent tag goes
/// on the domain first; the call is sent once (no automatic retry); the secret goes to a new
/// file; then the kept tag names what was kept. A run killed anywhere in between leaves the
/// domain without a kept tag for the transfer under way, which the planner shows as needing
/// attention (and plans to cancel and restart it).
pub(super) async fn hand_over<R>(
    config: &Config,
    domain: &str,
    handover: &Handover<'_>,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let (live, tags) = match ours(config, domain, registrar).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    match handover.request {
        TransferRequest::ToAwsAccount(account) => {
            to_account(domain, account, &tags, handover, registrar).await
        }
        TransferRequest::ToRegistrar => {
            if live.transfer_lock != Some(false) {
                if lock_change(domain, registrar).await?.is_some() {
                    return Ok(Outcome::Skipped(format!(
                        "the transfer lock of {domain} is still turning off; the next apply \
                         retrieves the auth code"
                    )));
                }
                return Ok(Outcome::Failed(format!(
                    "the transfer lock of {domain} is still on; apply turns it off first"
                )));
            }
            auth_code(domain, handover, registrar).await
        }
    }
}

async fn to_account<R>(
    domain: &str,
    account: &str,
    tags: &Tags,
    handover: &Handover<'_>,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let mut calls = Vec::new();
    if let Some(op) = under_way(domain, TRANSFER_OUT, registrar).await? {
        let kept = tags.get(SECRET_KEPT_KEY) == Some(&op.id);
        if kept || handover.op != Op::Replace {
            return Ok(Outcome::Skipped(format!(
                "a transfer of {domain} is under way already (operation {}{}); not started again",
                op.id,
                if kept {
                    ", its password kept"
                } else {
                    ", started moments ago by another apply"
                }
            )));
        }
        registrar.cancel_transfer(domain).await?;
        calls.push(format!(
            "CancelDomainTransferToAnotherAwsAccount (operation {}, whose password was lost)",
            op.id
        ));
    }
    registrar
        .tag_domain(
            domain,
            &intent(&format!("transfer-to-{account}"), handover.now),
        )
        .await?;
    let (id, password) = match registrar.transfer_to_account(domain, account).await {
        Ok(answer) => answer,
        Err(e) if duplicate(&e) => {
            return Ok(Outcome::Skipped(format!(
                "a transfer of {domain} is under way already (AWS answered DuplicateRequest: \
                 another apply started it moments ago, or the cancellation has not completed); \
                 plan again"
            )));
        }
        Err(e) => {
            return Ok(Outcome::Failed(match unanswered(&e) {
                Some(why) => format!(
                    "whether the transfer of {domain} started is unknown: \
                     TransferDomainToAnotherAwsAccount was sent but {why}, and it was not sent \
                     again. If it started, its password is lost: the next plan shows the \
                     transfer as needing attention, and apply then cancels it \
                     (CancelDomainTransferToAnotherAwsAccount) and starts it again with a new \
                     password"
                ),
                None => format!("the transfer of {domain} was not started: {e}"),
            }));
        }
    };
    let place = match (handover.keep_secret)(domain, &format!("transfer-password.{id}"), &password)
    {
        Ok(place) => place,
        Err(e) => {
            return Ok(Outcome::Failed(format!(
                "the transfer of {domain} started (operation {id}), but its password could not \
                 be kept ({e}); the next plan shows it as needing attention, and apply then \
                 cancels it and starts it again"
            )));
        }
    };
    if let Err(e) = registrar
        .tag_domain(domain, &kept(SECRET_KEPT_KEY, &id))
        .await
    {
        return Ok(Outcome::Failed(format!(
            "the password of the transfer of {domain} (operation {id}) is in {place}, but the tag \
             saying so could not be written ({e}): the next plan will show the transfer as \
             needing attention; if you hold that file, tag the domain \
             `{SECRET_KEPT_KEY}={id}` instead of letting apply cancel and restart it"
        )));
    }
    calls.push(format!(
        "TransferDomainToAnotherAwsAccount (operation {id}); the password is in {place}: the \
         account {account} must accept the transfer with it within 3 days, or the transfer \
         lapses; the hosted zone stays in this account"
    ));
    calls.push("UpdateTagsForDomain (the password is kept)".into());
    Ok(Outcome::Done(calls))
}

async fn auth_code<R>(
    domain: &str,
    handover: &Handover<'_>,
    registrar: &R,
) -> Result<Outcome, ReadError>
where
    R: RegistrarReader + RegistrarWriter + Sync,
{
    let keep_secret = handover.keep_secret;
    registrar
        .tag_domain(domain, &intent("auth-code", handover.now))
        .await?;
    let code = match registrar.retrieve_auth_code(domain).await {
        Ok(code) => code,
        Err(e) => {
            return Ok(Outcome::Failed(match unanswered(&e) {
                Some(why) => format!(
                    "the auth code of {domain} was asked for but {why}; it was not asked again. \
                     An auth code can be retrieved any number of times: apply again and it \
                     retrieves it again"
                ),
                None => format!("the auth code of {domain} was not retrieved: {e}"),
            }));
        }
    };
    let place = match keep_secret(domain, "auth-code", &code) {
        Ok(place) => place,
        Err(e) => {
            return Ok(Outcome::Failed(format!(
                "the auth code of {domain} could not be kept ({e}); apply again: it retrieves it \
                 again"
            )));
        }
    };
    registrar
        .tag_domain(
            domain,
            &kept(
                SECRET_KEPT_KEY,
                &format!("{AUTH_CODE_KEPT}{}", handover.now),
            ),
        )
        .await?;
    Ok(Outcome::Done(vec![
        format!(
            "RetrieveDomainAuthCode; the auth code is in {place}: give it to the library for its \
             new registrar (a domain cannot move to another registrar within 60 days of its \
             registration or last transfer)"
        ),
        "UpdateTagsForDomain (the auth code is kept)".into(),
    ]))
}

fn intent(what: &str, now: i64) -> Tags {
    kept(HANDOVER_INTENT_KEY, &format!("{what}@{now}"))
}

fn kept(key: &str, value: &str) -> Tags {
    Tags::from([(key.to_string(), value.to_string())])
}
