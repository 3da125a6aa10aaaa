//! The onboarding status of every library: where each stands on its method's path, who it
//! waits on, for how long, and how that compares with its launch date. Pure: the library files,
//! a live snapshot, the plan of both, today and the sent notices in; rows out, most urgent
//! first. Renderers (`crate::render::status`) read these rows and nothing else.
//!
//! "How long" comes only from facts that say when something began: the DKIM key generation of
//! an identity (when SES created it and started looking), the submission of a Route 53
//! Domains operation, the time a notice was sent. Nothing else dates a stage, so the row says
//! "unknown" rather than guess.

pub mod deliverability;
mod why;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::live::snapshot::{IdentityV1, LibraryV1, LiveSnapshotV1};
use crate::model::{Config, Date, DeliveryMethod, LaunchWindow, Library};
use crate::notice::NoticeKind;
use crate::notice::ledger::{EntryState, LedgerEntry};
use crate::plan::{Level, LibraryPlan, Method, Plan, Progress};

/// Version of the status report's JSON form (`mailform status --format json`).
pub const STATUS_VERSION: u32 = 1;

/// A stage on a method's path, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    // Method 1, ses-domain.
    IdentityToCreate,
    IdentityCreated,
    RecordsSent,
    RecordsInDns,
    // Method 2, smtp-account.
    AccountGiven,
    ProbePassing,
    // Method 3, managed-domain.
    DomainToBuy,
    DomainBeingBought,
    DomainBought,
    ZoneWritten,
    // Methods 1 and 3.
    Verified,
}

impl Stage {
    /// Every stage of a method, in order along its path.
    pub fn path(method: Method) -> &'static [Stage] {
        match method {
            Method::SesDomain => &[
                Stage::IdentityToCreate,
                Stage::IdentityCreated,
                Stage::RecordsSent,
                Stage::RecordsInDns,
                Stage::Verified,
            ],
            Method::SmtpAccount => &[Stage::AccountGiven, Stage::ProbePassing],
            Method::ManagedDomain => &[
                Stage::DomainToBuy,
                Stage::DomainBeingBought,
                Stage::DomainBought,
                Stage::ZoneWritten,
                Stage::Verified,
            ],
        }
    }

    /// The stage in the operators' words.
    pub fn label(self) -> &'static str {
        match self {
            Stage::IdentityToCreate => "identity to create",
            Stage::IdentityCreated => "identity created",
            Stage::RecordsSent => "records sent",
            Stage::RecordsInDns => "records seen in DNS",
            Stage::AccountGiven => "account given",
            Stage::ProbePassing => "probe passing",
            Stage::DomainToBuy => "domain to buy",
            Stage::DomainBeingBought => "being bought",
            Stage::DomainBought => "bought",
            Stage::ZoneWritten => "zone written",
            Stage::Verified => "verified",
        }
    }

    /// The stable name (JSON, CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::IdentityToCreate => "identity-to-create",
            Stage::IdentityCreated => "identity-created",
            Stage::RecordsSent => "records-sent",
            Stage::RecordsInDns => "records-in-dns",
            Stage::AccountGiven => "account-given",
            Stage::ProbePassing => "probe-passing",
            Stage::DomainToBuy => "domain-to-buy",
            Stage::DomainBeingBought => "domain-being-bought",
            Stage::DomainBought => "domain-bought",
            Stage::ZoneWritten => "zone-written",
            Stage::Verified => "verified",
        }
    }

    /// Whether this is the end of the method's path.
    pub fn is_last(self) -> bool {
        matches!(self, Stage::Verified | Stage::ProbePassing)
    }

    /// Steps done along the method's path, and how many there are (`2 of 4`).
    pub fn step(self, method: Method) -> (usize, usize) {
        let path = Stage::path(method);
        let at = path.iter().position(|s| *s == self).unwrap_or(0);
        (at, path.len() - 1)
    }
}

/// Who must act next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitsOn {
    /// The library's IT staff (records to install, an SMTP account to fix).
    ItStaff,
    /// The platform: an apply to run, a notice to send, a password to set.
    Platform,
    /// AWS: SES looking for records, a registration under way.
    Aws,
    /// Nobody: the library is done.
    Nobody,
}

impl WaitsOn {
    pub fn label(self) -> &'static str {
        match self {
            WaitsOn::ItStaff => "the library's IT staff",
            WaitsOn::Platform => "the platform",
            WaitsOn::Aws => "AWS",
            WaitsOn::Nobody => "nobody",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WaitsOn::ItStaff => "it-staff",
            WaitsOn::Platform => "platform",
            WaitsOn::Aws => "aws",
            WaitsOn::Nobody => "nobody",
        }
    }
}

/// How urgent a row is; the page sorts and marks by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// Something broken or about to break (an error in the plan).
    Failing,
    /// Not ready inside the notice period before its launch (or past it).
    Late,
    /// On its way, waiting on someone.
    Waiting,
    /// At the end of its path, nothing to do.
    Done,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Failing => "failing",
            Urgency::Late => "late",
            Urgency::Waiting => "waiting",
            Urgency::Done => "done",
        }
    }
}

/// A notice the library was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentNotice {
    #[serde(serialize_with = "kind_name")]
    pub kind: NoticeKind,
    /// The day the relay accepted it.
    pub date: String,
}

fn kind_name<S: serde::Serializer>(kind: &NoticeKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// One library's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusRow {
    pub library: String,
    pub name: String,
    pub method: Method,
    pub stage: Stage,
    pub waits_on: WaitsOn,
    pub urgency: Urgency,
    /// Whole days since the stage began; `None` when no fact tells.
    pub days_in_stage: Option<i64>,
    pub launch: Option<String>,
    /// Days until the launch (negative once past).
    pub days_left: Option<i64>,
    /// The last notice the library was sent.
    pub last_notice: Option<SentNotice>,
    /// One line: why it is failing or late, or what it waits for (`status::why`); `None` for
    /// a row that waits on AWS or on nobody.
    pub reason: Option<String>,
    /// Its deliverability, for an SES library when the event store was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverability: Option<deliverability::RowDeliverability>,
}

/// How many libraries of a method stand at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub method: Method,
    pub stage: Stage,
    pub count: usize,
}

/// The whole status report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub version: u32,
    /// When the live facts were read (RFC 3339).
    pub taken_at: String,
    pub today: String,
    pub notice_period_days: u32,
    /// What stops libraries on the platform's side (the SES account in the SES sandbox, its
    /// sending paused): shown before the rows; each library it stops waits on the platform.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<crate::plan::PlatformFinding>,
    /// Where deliverability comes from and how the rows stand; absent when the platform keeps
    /// no SES events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverability: Option<deliverability::Summary>,
    /// Most urgent first.
    pub rows: Vec<StatusRow>,
    /// Every stage of every method in use, in path order, with zero counts too.
    pub counts: Vec<StageCount>,
}

/// Builds the report. `notices` are the ledger's entries; only those the relay accepted count.
/// `insight` is what was read of the SES libraries' deliverability.
pub fn report(
    config: &Config,
    live: &LiveSnapshotV1,
    plan: &Plan,
    today: Date,
    notices: &[LedgerEntry],
    insight: &deliverability::Insight,
) -> StatusReport {
    let plans: BTreeMap<&str, &LibraryPlan> = plan
        .libraries
        .iter()
        .map(|l| (l.library.as_str(), l))
        .collect();
    let observed: BTreeMap<&str, &LibraryV1> =
        live.libraries.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut rows: Vec<StatusRow> = config
        .libraries
        .iter()
        .filter_map(|library| {
            let lp = plans.get(library.id.as_str())?;
            let sent: Vec<&LedgerEntry> = notices
                .iter()
                .filter(|e| e.key.library == library.id && e.state == EntryState::Sent)
                .collect();
            let mut row = row(
                library,
                lp,
                live,
                observed.get(library.id.as_str()).copied(),
                &sent,
                today,
                config.platform.notice_period_days,
            );
            why::hold_for_platform(&mut row, &plan.platform);
            deliverability::attach(&mut row, insight);
            Some(row)
        })
        .collect();
    rows.sort_by(|a, b| {
        a.urgency
            .cmp(&b.urgency)
            // Waiting longest first; a stage of unknown age after every known one.
            .then_with(|| {
                b.days_in_stage
                    .unwrap_or(-1)
                    .cmp(&a.days_in_stage.unwrap_or(-1))
            })
            .then_with(|| {
                a.days_left
                    .unwrap_or(i64::MAX)
                    .cmp(&b.days_left.unwrap_or(i64::MAX))
            })
            .then_with(|| a.library.cmp(&b.library))
    });
    StatusReport {
        version: STATUS_VERSION,
        taken_at: live.taken_at.clone(),
        today: today.to_string(),
        notice_period_days: config.platform.notice_period_days,
        platform: plan.platform.clone(),
        deliverability: deliverability::Summary::of(insight, &rows, &today.to_string()),
        counts: counts(&rows),
        rows,
    }
}

fn counts(rows: &[StatusRow]) -> Vec<StageCount> {
    let mut out = vec![];
    for method in [
        Method::SesDomain,
        Method::SmtpAccount,
        Method::ManagedDomain,
    ] {
        if !rows.iter().any(|r| r.method == method) {
            continue;
        }
        for stage in Stage::path(method) {
            out.push(StageCount {
                method,
                stage: *stage,
                count: rows
                    .iter()
                    .filter(|r| r.method == method && r.stage == *stage)
                    .count(),
            });
        }
    }
    out
}

/// The day of an RFC 3339 time (its first ten characters).
fn day_of(rfc3339: &str) -> Option<Date> {
    rfc3339.get(..10).and_then(|d| Date::parse(d).ok())
}

fn day_of_unix(secs: i64) -> Date {
    Date::from_days_since_epoch(secs.div_euclid(86_400))
}

/// The latest sent notice of a kind.
fn sent_at(sent: &[&LedgerEntry], kinds: &[NoticeKind]) -> Option<Date> {
    sent.iter()
        .filter(|e| kinds.contains(&e.key.kind))
        .filter_map(|e| e.sent_at)
        .max()
        .map(day_of_unix)
}

fn identity_status(identity: &IdentityV1) -> Option<&str> {
    identity
        .dkim
        .as_ref()
        .and_then(|d| d.status.as_deref())
        .or(identity.verification_status.as_deref())
}

fn dkim_in_dns(observed: Option<&LibraryV1>) -> bool {
    observed
        .and_then(|o| o.dns.as_ref())
        .is_some_and(|d| !d.dkim.is_empty() && d.dkim.iter().all(|c| c.verdict == "dns::present"))
}

/// Whether a Route 53 Domains operation is still running (AWS's `OperationStatus`); `SUCCESSFUL`,
/// `FAILED` and `ERROR` are history.
fn under_way(status: &str) -> bool {
    matches!(status, "SUBMITTED" | "IN_PROGRESS")
}

/// Who the plan's work under way waits on, if anyone. SES looking for records, a registration
/// and a lock change wait on AWS. A transfer to another AWS account waits on that account, the
/// library's: it completes when the receiving account accepts it
/// (`AcceptDomainTransferFromAnotherAwsAccount`) and lapses after three days otherwise. An
/// operation that has finished is only history and waits on nobody. When the library must act
/// and AWS is busy too, the library comes first: AWS needs nobody to move.
fn in_progress_waits_on(lp: &LibraryPlan) -> Option<WaitsOn> {
    lp.in_progress
        .iter()
        .filter_map(|p| match p {
            Progress::Verification { .. } => Some(WaitsOn::Aws),
            Progress::Operation {
                operation, status, ..
            } if under_way(status) => Some(if operation == "INTERNAL_TRANSFER_OUT_DOMAIN" {
                WaitsOn::ItStaff
            } else {
                WaitsOn::Aws
            }),
            Progress::Operation { .. } => None,
        })
        .min()
}

fn row(
    library: &Library,
    lp: &LibraryPlan,
    live: &LiveSnapshotV1,
    observed: Option<&LibraryV1>,
    sent: &[&LedgerEntry],
    today: Date,
    notice_days: u32,
) -> StatusRow {
    let identity = library
        .method
        .ses_identity()
        .and_then(|d| live.ses.identities.iter().find(|i| i.name == d.as_str()));
    let verified = identity.is_some_and(|i| identity_status(i) == Some("SUCCESS"));
    let created = identity
        .and_then(|i| i.dkim.as_ref())
        .and_then(|d| d.last_key_generation.as_deref())
        .and_then(day_of);

    // The stage, when it began (if anything says), and who it waits on by itself.
    let (stage, since, base) = match &library.method {
        DeliveryMethod::SesDomain(_) => {
            let records = sent_at(sent, &[NoticeKind::Records, NoticeKind::Reminder]);
            if verified {
                (
                    Stage::Verified,
                    sent_at(sent, &[NoticeKind::Verified]),
                    WaitsOn::Nobody,
                )
            } else if identity.is_some() && dkim_in_dns(observed) {
                (Stage::RecordsInDns, None, WaitsOn::Aws)
            } else if identity.is_some() && records.is_some() {
                (Stage::RecordsSent, records, WaitsOn::ItStaff)
            } else if identity.is_some() {
                (Stage::IdentityCreated, created, WaitsOn::Platform)
            } else {
                (Stage::IdentityToCreate, None, WaitsOn::Platform)
            }
        }
        DeliveryMethod::SmtpAccount(_) => {
            let probe = observed.and_then(|o| o.smtp_probe.as_ref());
            let passing = probe.is_some_and(|p| p.verdict != "fail") && !lp.failing();
            if passing {
                (
                    Stage::ProbePassing,
                    sent_at(sent, &[NoticeKind::SmtpPassing]),
                    WaitsOn::Nobody,
                )
            } else if probe.is_none() {
                // Not probed: the password variable is unset where mailform runs.
                (Stage::AccountGiven, None, WaitsOn::Platform)
            } else {
                (
                    Stage::AccountGiven,
                    sent_at(sent, &[NoticeKind::SmtpFailing]),
                    WaitsOn::ItStaff,
                )
            }
        }
        DeliveryMethod::ManagedDomain(m) => {
            let domain = m.domain.as_str();
            let registered = live.registrar.domains.iter().any(|d| d.name == domain);
            // A registration still under way; a finished one (or a failed one, which the plan
            // buys again) is history.
            let registering = live.registrar.operations.iter().find(|o| {
                o.domain.as_deref() == Some(domain)
                    && o.kind == "REGISTER_DOMAIN"
                    && under_way(&o.status)
            });
            match registering {
                // Not bought until Route 53 Domains says so, even if SES already sees the
                // records in the zone mailform wrote meanwhile.
                Some(op) if !registered => (
                    Stage::DomainBeingBought,
                    op.submitted.as_deref().and_then(day_of),
                    WaitsOn::Aws,
                ),
                _ if verified => (
                    Stage::Verified,
                    sent_at(sent, &[NoticeKind::Verified]),
                    WaitsOn::Nobody,
                ),
                _ if registered && identity.is_some() && dkim_in_dns(observed) => {
                    (Stage::ZoneWritten, None, WaitsOn::Aws)
                }
                _ if registered => (
                    Stage::DomainBought,
                    sent_at(sent, &[NoticeKind::DomainBought]),
                    WaitsOn::Platform,
                ),
                _ => (Stage::DomainToBuy, None, WaitsOn::Platform),
            }
        }
    };

    let waits_on = if !lp.changes.is_empty() || !lp.deletions.is_empty() {
        // An apply would change something of this library: that comes first.
        WaitsOn::Platform
    } else if base == WaitsOn::Platform {
        base
    } else if lp
        .actions
        .iter()
        .any(|a| a.level >= Level::Warning || a.breaking)
    {
        WaitsOn::ItStaff
    } else if base == WaitsOn::Nobody
        && let Some(on) = in_progress_waits_on(lp)
    {
        // At the end of its path, with something still under way (a domain's transfer).
        on
    } else {
        base
    };

    let broken = lp
        .actions
        .iter()
        .find(|a| a.level == Level::Error || a.breaking);
    let late = !lp.readiness.ready
        && lp
            .readiness
            .days_left
            .is_some_and(|d| LaunchWindow::of(d, notice_days).late_if_not_ready());
    let urgency = if broken.is_some() {
        Urgency::Failing
    } else if late {
        Urgency::Late
    } else if stage.is_last() && waits_on == WaitsOn::Nobody {
        Urgency::Done
    } else {
        Urgency::Waiting
    };
    let reason = match (broken, late) {
        (Some(a), _) => Some(a.message.clone()),
        (None, true) => Some(lp.readiness.summary.clone()),
        (None, false) => None,
    };
    let last_notice = sent
        .iter()
        .filter_map(|e| e.sent_at.map(|at| (at, e.key.kind)))
        .max()
        .map(|(at, kind)| SentNotice {
            kind,
            date: day_of_unix(at).to_string(),
        });

    let mut row = StatusRow {
        library: library.id.as_str().to_string(),
        name: library.name.clone(),
        method: lp.method,
        stage,
        waits_on,
        urgency,
        days_in_stage: since.map(|d| d.days_until(&today).max(0)),
        launch: library.launch.map(|d| d.to_string()),
        days_left: library.launch.map(|l| today.days_until(&l)),
        last_notice,
        reason,
        deliverability: None,
    };
    // A late row says what it waits for after why it is late; a failing row only its error.
    if row.urgency != Urgency::Failing
        && let Some(waiting) = why::waiting(&row, library, lp, observed)
    {
        row.reason = Some(match row.reason.take() {
            Some(late) => format!("{late}; {waiting}"),
            None => waiting,
        });
    }
    row
}

#[cfg(test)]
mod tests;
