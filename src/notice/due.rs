//! Which notices are due: a pure function of the files, the live snapshot, the plan built
//! from them and the time the snapshot was read.
//!
//! A notice is due when the facts it reports hold now. Whether it was sent already is the
//! ledger's business ([`super::run`]); the key of a due notice carries those facts, so a
//! notice about new facts (new tokens, a new deadline, a new diagnosis) is a new notice.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NoticeKey, NoticeKind};
use crate::live::snapshot::{IdentityV1, LiveSnapshotV1};
use crate::model::{
    Config, Date, DeliveryMethod, EmailAddress, LaunchWindow, Library, TimeZoneName,
    TransferRequest,
};
use crate::plan::planner::VERIFICATION_WINDOW_HOURS;
use crate::plan::{LibraryPlan, Op, Plan, PlannedNotice, ResourceKind};
use crate::render::records::{self, SheetRecord};

/// The hours before a deadline when a reminder becomes due.
pub const REMINDER_HOURS: i64 = 24;
/// The days a receiving AWS account has to accept a domain transfer.
pub const TRANSFER_ACCEPT_DAYS: i64 = 3;

/// The notices the ledger holds (sent, claimed or refused), with when each was claimed: the
/// episodes of each library's story. A state-change notice's key carries the number of its
/// kind's notices that a notice of the opposite state followed, so "failing" after "passing"
/// after "failing" is a new notice, while the same state on the next run keeps its key (and a
/// first episode keeps the key it had before episodes were counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    notices: std::collections::BTreeMap<String, Vec<(i64, NoticeKind)>>,
    /// Who each notice went to, by key.
    recipients: std::collections::BTreeMap<NoticeKey, String>,
}

impl History {
    /// From the ledger's entries: (key, claimed at in unix seconds, recipient).
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a NoticeKey, i64, &'a str)>) -> History {
        let mut history = History::default();
        for (k, at, to) in entries {
            history
                .notices
                .entry(k.library.as_str().to_string())
                .or_default()
                .push((at, k.kind));
            history.recipients.insert(k.clone(), to.to_string());
        }
        history
    }

    /// Whether the notice `key` went to another address than `to`.
    fn went_elsewhere(&self, key: &NoticeKey, to: &str) -> bool {
        self.recipients
            .get(key)
            .is_some_and(|sent| !sent.eq_ignore_ascii_case(to))
    }

    /// Notices of `kind` for the library that a notice of one of `opposite` followed.
    pub fn superseded(&self, library: &str, kind: NoticeKind, opposite: &[NoticeKind]) -> usize {
        let Some(list) = self.notices.get(library) else {
            return 0;
        };
        list.iter()
            .filter(|(at, k)| {
                *k == kind
                    && list
                        .iter()
                        .any(|(later, o)| opposite.contains(o) && later > at)
            })
            .count()
    }

    /// Whether the library was ever sent a notice of one of these kinds.
    pub fn any(&self, library: &str, kinds: &[NoticeKind]) -> bool {
        self.notices
            .get(library)
            .is_some_and(|l| l.iter().any(|(_, k)| kinds.contains(k)))
    }
}

/// The episode fact of a state-change notice: none for the first episode, `episode N` after.
fn episode(n: usize) -> Option<String> {
    (n > 0).then(|| format!("episode {n}"))
}

/// One notice that is due, with everything its text needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub key: NoticeKey,
    pub to: EmailAddress,
    /// The library's name as its file gives it.
    pub library_name: String,
    /// The zone its deadlines are told in: the library's `time-zone`, or the platform's.
    pub zone: TimeZoneName,
    /// The time the notice is written at, which relative deadlines ("in 3 days") count from:
    /// the facts' time, or the first sending's claim when it is sent again, so a resend
    /// carries the words of the first.
    pub written: OffsetDateTime,
    pub content: Content,
}

/// A DNS record as the library must install it, and what DNS shows today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub host: String,
    pub rtype: String,
    pub value: String,
    pub ttl: u32,
    /// Correct in DNS now.
    pub correct: bool,
    /// The DNS check asked about it and got an answer (present, missing or wrong).
    pub checked: bool,
    /// Not one of the three DKIM records the setup document promises: the custom MAIL FROM's
    /// MX and TXT, which mail goes out without (with Amazon's return address instead).
    pub optional: bool,
}

/// The library's DNS provider, recognised from its name servers, and how its own record
/// form wants each field filled in (in the provider's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub form: Vec<String>,
}

/// What the DNS check found at a record's name, as a notice may report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Asked, and nothing is there.
    Nothing,
    /// Asked, and this is there instead.
    Other(String),
    /// Not asked, or no answer: nothing is known, so nothing is claimed.
    Unknown,
}

impl Found {
    /// From the DNS check's verdict and detail. Only a `dns::missing` verdict says "nothing";
    /// a record whose question failed or was never asked is unknown, never absent.
    pub fn of(status: &str, found: Option<&str>) -> Found {
        match (status, found) {
            ("dns::lookup-failed", _) => Found::Unknown,
            ("dns::missing", None) => Found::Nothing,
            (_, Some(f)) => Found::Other(f.to_string()),
            (_, None) => Found::Unknown,
        }
    }
}

/// What is wrong with the records, in the words of the DNS check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
    /// The records concerned and not in place: (name, expected value, found). A record in
    /// place is not listed: the notice's table shows it as in place.
    pub records: Vec<(String, String, Found)>,
}

/// What a notice reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Records {
        domain: String,
        records: Vec<Record>,
        /// When SES stops looking (RFC 3339, UTC); `None` when SES did not say when it began.
        deadline: Option<OffsetDateTime>,
        /// The DNS provider recognised from the zone's name servers.
        provider: Option<Provider>,
        /// The custom MAIL FROM domain, whose two records are optional.
        mail_from: Option<String>,
    },
    Reminder {
        domain: String,
        deadline: OffsetDateTime,
        problems: Vec<Problem>,
        records: Vec<Record>,
    },
    Lapsed {
        domain: String,
        /// The records are correct now: the next run asks SES to look again.
        records_correct: bool,
        problems: Vec<Problem>,
    },
    Verified {
        domain: String,
        from: String,
        managed: bool,
        /// The custom MAIL FROM domain and how many of its records are not in place: verified
        /// is not finished while they are missing.
        mail_from_missing: Option<(String, usize)>,
    },
    /// A verified domain lost records: Amazon stops signing once it has missed them for 72
    /// hours.
    RecordsRemoved {
        domain: String,
        records: Vec<Record>,
        /// The latest time Amazon stops signing, when it has noticed already (its status is
        /// `TEMPORARY_FAILURE`): 72 hours after now at the latest.
        stops_by: Option<OffsetDateTime>,
        problems: Vec<Problem>,
    },
    SmtpFailing {
        /// It passed before: it is failing again.
        again: bool,
        host: String,
        port: u16,
        username: String,
        from: String,
        /// The probe's failing and warning codes.
        codes: Vec<String>,
        /// When the server's certificate expires (or expired).
        certificate_expires: Option<OffsetDateTime>,
    },
    SmtpPassing {
        host: String,
        port: u16,
        username: String,
        from: String,
        /// Warnings that did not fail the check (e.g. a Google account password).
        codes: Vec<String>,
        /// When the server's certificate expires.
        certificate_expires: Option<OffsetDateTime>,
    },
    Launch {
        launch: Date,
        days_left: i64,
        /// What is still outstanding, in the library's words.
        outstanding: Vec<String>,
    },
    DomainBought {
        domain: String,
        from: String,
        yearly_cents: Option<u64>,
        years: u8,
        auto_renew: bool,
    },
    TransferStarted {
        domain: String,
        account: String,
        started: Option<OffsetDateTime>,
        accept_by: Option<OffsetDateTime>,
    },
    /// Patrons' addresses bounce (or complain) at AWS's review level or above.
    AtRisk(super::at_risk::AtRisk),
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn stamp(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// The notices due for every library of `config`, in library order. `at_risk` holds, by
/// library id, the episode and breaches of each library whose deliverability is at risk today.
pub fn due(
    config: &Config,
    live: &LiveSnapshotV1,
    plan: &Plan,
    now: OffsetDateTime,
    history: &History,
    at_risk: &std::collections::BTreeMap<String, (usize, super::at_risk::AtRisk)>,
) -> Vec<Due> {
    let mut out = Vec::new();
    let zone = config
        .platform
        .notices
        .as_ref()
        .map_or_else(TimeZoneName::utc, |n| n.time_zone.clone());
    for library in &config.libraries {
        let Some(lp) = plan
            .libraries
            .iter()
            .find(|l| l.library == library.id.as_str())
        else {
            continue;
        };
        let id = library.id.as_str();
        let mut push = |kind: NoticeKind, facts: &[&str], content: Content| {
            // The episode of a state-change notice: the notices of the opposite state before.
            let opposite: &[NoticeKind] = match kind {
                NoticeKind::Verified => &[NoticeKind::RecordsRemoved],
                NoticeKind::RecordsRemoved => &[NoticeKind::Verified],
                NoticeKind::SmtpFailing => &[NoticeKind::SmtpPassing],
                NoticeKind::SmtpPassing => &[NoticeKind::SmtpFailing],
                NoticeKind::Launch => &[NoticeKind::Verified, NoticeKind::SmtpPassing],
                _ => &[],
            };
            let episode = episode(history.superseded(id, kind, opposite));
            let mut facts: Vec<&str> = facts.to_vec();
            facts.extend(episode.as_deref());
            let mut key = NoticeKey::new(library.id.clone(), kind, &facts);
            // The records went to an earlier IT contact: the new one gets them too. Keyed on
            // the new address only then, so the keys of an estate whose contacts never
            // changed stay as they were (and back to the earlier address, its key again).
            let to = library.it_contact.to_string();
            if kind == NoticeKind::Records && history.went_elsewhere(&key, &to) {
                let recipient = format!("to {}", to.to_ascii_lowercase());
                facts.push(&recipient);
                key = NoticeKey::new(library.id.clone(), kind, &facts);
            }
            out.push(Due {
                key,
                to: library.it_contact.clone(),
                library_name: library.name.clone(),
                zone: library.time_zone.clone().unwrap_or_else(|| zone.clone()),
                written: now,
                content,
            });
        };
        match &library.method {
            DeliveryMethod::SesDomain(m) => {
                let domain = m.from.domain().as_str();
                if let Some(identity) = identity(live, domain) {
                    domain_notices(library, lp, live, identity, now, false, &mut push);
                }
            }
            DeliveryMethod::ManagedDomain(m) => {
                let domain = m.domain.as_str();
                let bought = live
                    .registrar
                    .domains
                    .iter()
                    .any(|d| d.name.eq_ignore_ascii_case(domain));
                if bought {
                    let cost = lp.yearly_cost;
                    push(
                        NoticeKind::DomainBought,
                        &[domain],
                        Content::DomainBought {
                            domain: domain.to_string(),
                            from: m.from.to_string(),
                            yearly_cents: cost.map(|c| c.yearly_cents),
                            years: m.years,
                            auto_renew: m.auto_renew,
                        },
                    );
                }
                // Verified only once the domain is registered: until then it cannot be the
                // library's sending domain, whatever SES says of the records mailform wrote.
                if let Some(identity) = identity(live, domain).filter(|_| bought) {
                    domain_notices(library, lp, live, identity, now, true, &mut push);
                }
                if let Some(TransferRequest::ToAwsAccount(account)) = &m.transfer {
                    for op in live.registrar.operations.iter().filter(|o| {
                        o.kind == "INTERNAL_TRANSFER_OUT_DOMAIN"
                            && o.domain
                                .as_deref()
                                .is_some_and(|d| d.eq_ignore_ascii_case(domain))
                            && matches!(o.status.as_str(), "SUBMITTED" | "IN_PROGRESS")
                    }) {
                        let started = op.submitted.as_deref().and_then(parse_time);
                        push(
                            NoticeKind::TransferStarted,
                            &[domain, &op.id],
                            Content::TransferStarted {
                                domain: domain.to_string(),
                                account: account.clone(),
                                started,
                                accept_by: started
                                    .map(|s| s + time::Duration::days(TRANSFER_ACCEPT_DAYS)),
                            },
                        );
                    }
                }
            }
            DeliveryMethod::SmtpAccount(m) => {
                let probe = live
                    .libraries
                    .iter()
                    .find(|l| l.id == library.id.as_str())
                    .and_then(|l| l.smtp_probe.as_ref());
                if let Some(probe) = probe {
                    let port = m.port.to_string();
                    let mut codes: Vec<String> = probe
                        .codes
                        .iter()
                        .filter(|c| !is_passing_code(c))
                        .cloned()
                        .collect();
                    codes.sort();
                    codes.dedup();
                    let from = m.from.to_string();
                    if !smtp_passes(lp, probe) {
                        let again = history.any(id, &[NoticeKind::SmtpPassing]);
                        let mut facts = vec![m.host.as_str(), port.as_str(), &m.username, &from];
                        facts.extend(codes.iter().map(String::as_str));
                        push(
                            NoticeKind::SmtpFailing,
                            &facts,
                            Content::SmtpFailing {
                                again,
                                host: m.host.clone(),
                                port: m.port,
                                username: m.username.clone(),
                                from: from.clone(),
                                codes: codes.clone(),
                                certificate_expires: probe
                                    .certificate_expires
                                    .as_deref()
                                    .and_then(parse_time),
                            },
                        );
                    } else {
                        push(
                            NoticeKind::SmtpPassing,
                            &[m.host.as_str(), port.as_str(), &m.username, &from],
                            Content::SmtpPassing {
                                host: m.host.clone(),
                                port: m.port,
                                username: m.username.clone(),
                                from: from.clone(),
                                codes: codes.clone(),
                                certificate_expires: probe
                                    .certificate_expires
                                    .as_deref()
                                    .and_then(parse_time),
                            },
                        );
                    }
                }
            }
        }
        // A fact like the others, before the launch warning built on them.
        if let Some((episode, risk)) = at_risk.get(id) {
            let risk = super::at_risk::AtRisk {
                paused: super::at_risk::paused(lp, live, id),
                ..risk.clone()
            };
            let facts = super::at_risk::facts(*episode, risk.paused.is_some());
            let facts: Vec<&str> = facts.iter().map(String::as_str).collect();
            push(NoticeKind::AtRisk, &facts, Content::AtRisk(risk));
        }
        let r = &lp.readiness;
        // The same day the plan turns the library's readiness into an error and the status
        // page calls it late (`LaunchWindow`), not a day apart.
        if let (false, Some(launch), Some(days_left)) = (r.ready, library.launch, r.days_left)
            && LaunchWindow::of(days_left, config.platform.notice_period_days)
                == LaunchWindow::Inside
        {
            let launch_text = launch.to_string();
            push(
                NoticeKind::Launch,
                &[&launch_text],
                Content::Launch {
                    launch,
                    days_left,
                    outstanding: outstanding(library, lp, live),
                },
            );
        }
    }
    out
}

/// The one verdict of a library's SMTP account for a run, which its account notice and its
/// launch warning both tell: the plan's (a code the plan counts as blocking fails the account,
/// whatever the probe's own summary said). Warnings do not fail it: the account sends; they
/// are told as things to look at.
fn smtp_passes(lp: &LibraryPlan, probe: &crate::live::snapshot::ProbeV1) -> bool {
    let blocked = lp
        .actions
        .iter()
        .any(|a| a.code.starts_with("smtp::") && a.level == crate::plan::Level::Error);
    !blocked && probe.verdict != "fail"
}

fn identity<'a>(live: &'a LiveSnapshotV1, domain: &str) -> Option<&'a IdentityV1> {
    live.ses
        .identities
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(domain))
}

fn is_passing_code(code: &str) -> bool {
    const PASSING: &[&str] = &[
        "::ok",
        "::closed",
        "::accepted",
        "::app_password",
        "::skipped",
    ];
    PASSING.iter().any(|p| code.ends_with(p))
}

/// The records of a library's sheet, as the notice shows them.
fn sheet_records(library: &Library, live: &LiveSnapshotV1) -> (Vec<Record>, Option<Provider>) {
    match records::sheet(library, live) {
        Ok(sheet) => (
            sheet.records.iter().map(record).collect(),
            sheet.provider.map(|p| Provider {
                form: p.form(),
                name: p.name,
            }),
        ),
        Err(_) => (Vec::new(), None),
    }
}

fn record(r: &SheetRecord) -> Record {
    Record {
        name: r.name.clone(),
        host: r.host.clone(),
        rtype: r.rtype.clone(),
        value: r.value.clone(),
        ttl: r.ttl,
        correct: r.status.as_deref() == Some("dns::present"),
        checked: r
            .status
            .as_deref()
            .is_some_and(|s| s != "dns::lookup-failed"),
        optional: r.rtype != "CNAME",
    }
}

/// The custom MAIL FROM domain of a library that has one.
fn mail_from(library: &Library) -> Option<String> {
    match &library.method {
        DeliveryMethod::SesDomain(m) => m.mail_from.as_ref().map(|d| d.to_string()),
        _ => None,
    }
}

/// The DNS check's findings for the library, from the plan (already in the words of its
/// DNS provider when one was recognised).
fn problems(lp: &LibraryPlan) -> Vec<Problem> {
    lp.actions
        .iter()
        .filter(|a| a.code.starts_with("dns::") && !a.records.is_empty())
        .map(|a| Problem {
            what: a.message.clone(),
            fix: a.remedy.clone(),
            records: a
                .records
                .iter()
                .filter(|r| r.status != "dns::present")
                .map(|r| {
                    (
                        r.name.clone(),
                        r.value.clone(),
                        Found::of(&r.status, r.found.as_deref()),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Records, reminder, lapsed and verified notices of one SES identity.
fn domain_notices(
    library: &Library,
    lp: &LibraryPlan,
    live: &LiveSnapshotV1,
    identity: &IdentityV1,
    now: OffsetDateTime,
    managed: bool,
    push: &mut impl FnMut(NoticeKind, &[&str], Content),
) {
    let Some(dkim) = identity.dkim.as_ref().filter(|d| !d.tokens.is_empty()) else {
        return;
    };
    let domain = identity.name.as_str();
    let tokens = dkim.tokens.join(" ");
    let status = dkim
        .status
        .clone()
        .or(identity.verification_status.clone())
        .unwrap_or_default();
    let began = dkim.last_key_generation.as_deref().and_then(parse_time);
    let deadline = began.map(|b| b + time::Duration::hours(VERIFICATION_WINDOW_HOURS));
    let deadline_text = stamp(deadline);
    // Records gone from a domain Amazon verified: told at once, not when Amazon gives up.
    if matches!(status.as_str(), "SUCCESS" | "TEMPORARY_FAILURE") && !managed {
        let (records, _) = sheet_records(library, live);
        let dkim_gone = records
            .iter()
            .any(|r| r.rtype == "CNAME" && !r.correct && r.checked);
        if dkim_gone {
            let stops_by = (status == "TEMPORARY_FAILURE")
                .then(|| now + time::Duration::hours(VERIFICATION_WINDOW_HOURS));
            push(
                NoticeKind::RecordsRemoved,
                &[domain, &tokens],
                Content::RecordsRemoved {
                    domain: domain.to_string(),
                    records,
                    stops_by,
                    problems: problems(lp),
                },
            );
            return;
        }
    }
    match status.as_str() {
        "SUCCESS" => push(
            NoticeKind::Verified,
            &[domain, &tokens],
            Content::Verified {
                domain: domain.to_string(),
                from: library.method.from_address().to_string(),
                managed,
                mail_from_missing: mail_from(library).filter(|_| !managed).and_then(|m| {
                    let (records, _) = sheet_records(library, live);
                    let missing = records.iter().filter(|r| r.optional && !r.correct).count();
                    (missing > 0).then_some((m, missing))
                }),
            },
        ),
        // mailform installs a managed domain's records itself: nothing to ask the library.
        "PENDING" if !managed => {
            let (records, provider) = sheet_records(library, live);
            // Nothing to install when every record is in place (a check restarted after a
            // lapse, with the records right by then): the confirmation follows instead.
            if records.is_empty() || records.iter().all(|r| r.correct) {
                return;
            }
            push(
                NoticeKind::Records,
                &[domain, &tokens, &deadline_text],
                Content::Records {
                    domain: domain.to_string(),
                    records: records.clone(),
                    deadline,
                    provider,
                    mail_from: mail_from(library),
                },
            );
            if let Some(deadline) = deadline {
                let left = deadline - now;
                if !left.is_negative()
                    && left <= time::Duration::hours(REMINDER_HOURS)
                    && records.iter().any(|r| !r.correct)
                {
                    push(
                        NoticeKind::Reminder,
                        &[domain, &tokens, &deadline_text],
                        Content::Reminder {
                            domain: domain.to_string(),
                            deadline,
                            problems: problems(lp),
                            records,
                        },
                    );
                }
            }
        }
        "FAILED" if !managed => {
            let (records, _) = sheet_records(library, live);
            let began_text = stamp(began);
            push(
                NoticeKind::Lapsed,
                &[domain, &tokens, &began_text],
                Content::Lapsed {
                    domain: domain.to_string(),
                    records_correct: !records.is_empty() && records.iter().all(|r| r.correct),
                    problems: problems(lp),
                },
            );
        }
        _ => {}
    }
}

/// What keeps a library from being ready, in its own words.
fn outstanding(library: &Library, lp: &LibraryPlan, live: &LiveSnapshotV1) -> Vec<String> {
    let mut out = Vec::new();
    match &library.method {
        DeliveryMethod::SesDomain(m) => {
            let domain = m.from.domain().as_str();
            match identity(live, domain).and_then(|i| i.dkim.as_ref()) {
                None => out.push(format!(
                    "We have not yet set up {domain} on our side; you will receive the DNS records to install shortly."
                )),
                Some(d) if d.status.as_deref() == Some("SUCCESS") => {}
                Some(_) => {
                    let (records, _) = sheet_records(library, live);
                    let missing = records.iter().filter(|r| !r.correct).count();
                    if missing > 0 {
                        out.push(format!(
                            "{missing} of the {} DNS records for {domain} are not yet in place.",
                            records.len()
                        ));
                    } else {
                        out.push(format!(
                            "The DNS records for {domain} are in place; Amazon has not confirmed them yet."
                        ));
                    }
                }
            }
        }
        DeliveryMethod::SmtpAccount(m) => {
            let probe = live
                .libraries
                .iter()
                .find(|l| l.id == library.id.as_str())
                .and_then(|l| l.smtp_probe.as_ref());
            match probe {
                None => out.push(format!(
                    "We could not yet test the account {} on {}.",
                    m.username, m.host
                )),
                Some(p) if !smtp_passes(lp, p) => out.push(format!(
                    "The account {} on {} does not yet pass our connection test.",
                    m.username, m.host
                )),
                // The account passes, as its own notice says: what holds the launch back are
                // the warnings that notice lists.
                Some(p) => {
                    let mut codes: Vec<&String> =
                        p.codes.iter().filter(|c| !is_passing_code(c)).collect();
                    codes.sort();
                    codes.dedup();
                    out.extend(codes.into_iter().map(|c| {
                        format!(
                            "The account {} passes our connection test, but please look at this: {}",
                            m.username,
                            super::text::smtp_words(c)
                        )
                    }));
                }
            }
        }
        DeliveryMethod::ManagedDomain(m) => out.push(format!(
            "The sending domain {} is not yet verified; we are working on it.",
            m.domain
        )),
    }
    // Not ready for a reason on our side (the platform's Amazon account, a change not yet
    // made): said as such, never an empty list.
    if out.is_empty() {
        out.push(
            "Everything on your side is in place; we are finishing the setup on ours and will tell you when it is done."
                .into(),
        );
    }
    out
}

/// The notices that applying a library's planned changes sets off, for the plan to show.
pub fn after_apply(library: &Library, lp: &LibraryPlan) -> Vec<PlannedNotice> {
    let mut kinds = Vec::new();
    for c in &lp.changes {
        let kind = match (&library.method, c.kind, c.op) {
            (DeliveryMethod::SesDomain(_), ResourceKind::SesIdentity, Op::Create) => {
                Some(NoticeKind::Records)
            }
            (DeliveryMethod::ManagedDomain(_), ResourceKind::DomainRegistration, Op::Create) => {
                Some(NoticeKind::DomainBought)
            }
            (
                DeliveryMethod::ManagedDomain(_),
                ResourceKind::DomainTransfer,
                Op::Create | Op::Replace,
            ) if matches!(
                &library.method,
                DeliveryMethod::ManagedDomain(m) if matches!(m.transfer, Some(TransferRequest::ToAwsAccount(_)))
            ) =>
            {
                Some(NoticeKind::TransferStarted)
            }
            _ => None,
        };
        if let Some(kind) = kind
            && !kinds.contains(&kind)
        {
            kinds.push(kind);
        }
    }
    kinds
        .into_iter()
        .map(|kind| PlannedNotice {
            kind: kind.as_str().to_string(),
            to: library.it_contact.to_string(),
            about: super::text::describe(kind).to_string(),
        })
        .collect()
}
