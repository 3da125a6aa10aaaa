//! The onboarding status of every library: where each stands on its method's path, who it
//! waits on, for how long, and how that compares with its launch date. Pure: the library files,
//! a live snapshot, the plan of both, today and the sent notices in; rows out, most urgent
//! first. Renderers (`crate::render::status`) read these rows and nothing else.
//!
//! "How long" comes only from facts that say when something began: the DKIM key generation of
//! an identity (when SES created it and started looking), the submission of a Route 53
//! Domains operation, the time a notice was sent. Nothing else dates a stage, so the row says
//! "unknown" rather than guess.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::live::snapshot::{IdentityV1, LibraryV1, LiveSnapshotV1};
use crate::model::{Config, Date, DeliveryMethod, Library};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// One line: why it is failing or late; `None` otherwise.
    pub reason: Option<String>,
}

/// How many libraries of a method stand at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub method: Method,
    pub stage: Stage,
    pub count: usize,
}

/// The whole status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Most urgent first.
    pub rows: Vec<StatusRow>,
    /// Every stage of every method in use, in path order, with zero counts too.
    pub counts: Vec<StageCount>,
}

/// Builds the report. `notices` are the ledger's entries; only those the relay accepted count.
pub fn report(
    config: &Config,
    live: &LiveSnapshotV1,
    plan: &Plan,
    today: Date,
    notices: &[LedgerEntry],
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
            hold_for_platform(&mut row, &plan.platform);
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
        counts: counts(&rows),
        rows,
    }
}

/// A library a platform finding stops is not done, whatever its own stage says: it waits on
/// the platform, and the row says why.
fn hold_for_platform(row: &mut StatusRow, platform: &[crate::plan::PlatformFinding]) {
    let Some(f) = platform
        .iter()
        .find(|f| f.level == Level::Error && f.affects.contains(&row.method))
    else {
        return;
    };
    if row.urgency == Urgency::Done {
        row.urgency = Urgency::Waiting;
    }
    if row.urgency != Urgency::Failing {
        row.waits_on = WaitsOn::Platform;
    }
    if row.reason.is_none() || row.urgency == Urgency::Late {
        row.reason = Some(format!("waits on the platform: {}", f.message));
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
            .is_some_and(|d| d < i64::from(notice_days));
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

    StatusRow {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, AnalyzeOptions};
    use crate::live::snapshot::{
        CheckV1, DkimV1, DnsV1, DomainV1, FindingV1, OperationV1, ProbeV1, RecordV1, ZoneV1,
    };
    use crate::model::LibraryId;
    use crate::notice::NoticeKey;
    use crate::plan::planner::{self, PlanOptions};
    use crate::source::{SourceFile, SourceSet};

    const PLATFORM: &str = "platform {\n    aws-region \"us-east-1\"\n    notice-period-days 14\n\n    registrant {\n        contact-type \"PERSON\"\n        first-name \"Pat\"\n        last-name \"Lee\"\n        email \"domains@example.org\"\n        phone \"+1.5555550100\"\n        address-line-1 \"1 Main Street\"\n        city \"Springfield\"\n        country-code \"US\"\n        zip-code \"12345\"\n    }\n}\n";

    fn today() -> Date {
        Date::parse("2026-11-26").unwrap()
    }

    fn unix(day: &str) -> i64 {
        Date::parse(day).unwrap().days_since_epoch() * 86_400 + 3600
    }

    fn ses(id: &str, launch: Option<&str>) -> String {
        let launch = launch.map_or(String::new(), |l| format!("    launch \"{l}\"\n"));
        format!(
            "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n{launch}\n    ses-domain {{\n        from \"noreply@{id}.example.org\"\n    }}\n}}\n"
        )
    }

    fn smtp(id: &str) -> String {
        format!(
            "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    smtp-account {{\n        host \"smtp.{id}.example.org\"\n        port 465\n        security \"tls\"\n        username \"u\"\n        password env=\"MAILFORM_SMTP_PASSWORD_{}\"\n        from \"n@{id}.example.org\"\n    }}\n}}\n",
            id.to_ascii_uppercase().replace('-', "_")
        )
    }

    fn managed(id: &str) -> String {
        format!(
            "library \"{id}\" {{\n    name \"{id} library\"\n    it-contact \"it@{id}.example.org\"\n\n    managed-domain {{\n        domain \"{id}-mail.example\"\n        from \"n@{id}-mail.example\"\n        years 1\n        auto-renew #true\n    }}\n}}\n"
        )
    }

    fn config_of(files: &[(&str, String)]) -> Config {
        let mut sources = SourceSet::default();
        sources.add(SourceFile::new(
            "libraries/_platform.kdl",
            PLATFORM.to_string(),
        ));
        for (id, text) in files {
            sources.add(SourceFile::new(format!("libraries/{id}.kdl"), text.clone()));
        }
        let analysis = config::analyze(&mut sources, &AnalyzeOptions { today: today() });
        analysis
            .config
            .unwrap_or_else(|| panic!("{:#?}", analysis.diagnostics))
    }

    fn empty_live() -> LiveSnapshotV1 {
        LiveSnapshotV1::empty("2026-11-26T03:00:00Z", "us-east-1")
    }

    fn identity(name: &str, status: &str, created: &str) -> IdentityV1 {
        IdentityV1 {
            name: name.into(),
            kind: "DOMAIN".into(),
            verification_status: Some(status.into()),
            verified_for_sending: status == "SUCCESS",
            verification_error: None,
            dkim: Some(DkimV1 {
                signing_enabled: true,
                status: Some(status.into()),
                tokens: vec!["t1".into(), "t2".into(), "t3".into()],
                signing_hosted_zone: Some("dkim.amazonses.com".into()),
                origin: Some("AWS_SES".into()),
                current_key_length: Some("RSA_2048_BIT".into()),
                next_key_length: Some("RSA_2048_BIT".into()),
                last_key_generation: Some(format!("{created}T10:00:00Z")),
            }),
            mail_from: None,
            configuration_set: None,
            tags: BTreeMap::from([
                ("managed-by".to_string(), "mailform".to_string()),
                (
                    "library".to_string(),
                    name.split('.').next().unwrap_or("").to_string(),
                ),
            ]),
        }
    }

    fn finding() -> FindingV1 {
        FindingV1 {
            finding: "absent".into(),
            detail: None,
            code: None,
        }
    }

    /// What the DNS check saw of a library's three DKIM records.
    fn observed(id: &str, method: &str, domain: Option<&str>, verdict: &str) -> LibraryV1 {
        LibraryV1 {
            id: id.into(),
            method: method.into(),
            identity: domain.map(str::to_string),
            dns: domain.map(|d| DnsV1 {
                dkim: (1..=3)
                    .map(|t| CheckV1 {
                        name: format!("t{t}._domainkey.{d}"),
                        rtype: "CNAME".into(),
                        expected: format!("t{t}.dkim.amazonses.com"),
                        verdict: verdict.into(),
                        detail: None,
                    })
                    .collect(),
                mail_from: vec![],
                spf: finding(),
                dmarc: finding(),
                name_servers: None,
                observations: vec![],
            }),
            smtp_probe: None,
            desired: None,
            notes: vec![],
        }
    }

    fn sent(id: &str, kind: NoticeKind, day: &str) -> LedgerEntry {
        LedgerEntry {
            key: NoticeKey::new(LibraryId::parse(id).unwrap(), kind, &[day]),
            state: EntryState::Sent,
            run: "run-1".into(),
            claimed_at: unix(day),
            sent_at: Some(unix(day)),
            to: format!("it@{id}.example.org"),
            subject: "subject".into(),
            message_id: "<m@example.org>".into(),
            detail: None,
        }
    }

    fn build(config: &Config, live: &LiveSnapshotV1, notices: &[LedgerEntry]) -> StatusReport {
        let plan = planner::plan(
            config,
            live,
            &PlanOptions {
                today: today(),
                handover_grace: planner::HANDOVER_GRACE_SECS,
            },
        );
        report(config, live, &plan, today(), notices)
    }

    fn row<'a>(report: &'a StatusReport, id: &str) -> &'a StatusRow {
        report.rows.iter().find(|r| r.library == id).unwrap()
    }

    #[test]
    fn method_one_walks_its_stages_with_the_ledger_and_dns() {
        let config = config_of(&[("a", ses("a", None))]);
        let mut live = empty_live();
        live.libraries = vec![observed(
            "a",
            "ses-domain",
            Some("a.example.org"),
            "dns::missing",
        )];

        // No identity yet: the platform's apply creates it; nothing dates it.
        let r = build(&config, &live, &[]);
        let a = row(&r, "a");
        assert_eq!(
            (a.stage, a.waits_on),
            (Stage::IdentityToCreate, WaitsOn::Platform)
        );
        assert_eq!(a.days_in_stage, None);
        assert_eq!(a.last_notice, None);

        // Identity created on 2026-11-20, the records notice not sent: the platform sends it.
        live.ses.identities = vec![identity("a.example.org", "PENDING", "2026-11-20")];
        let r = build(&config, &live, &[]);
        let a = row(&r, "a");
        assert_eq!(
            (a.stage, a.waits_on),
            (Stage::IdentityCreated, WaitsOn::Platform)
        );
        assert_eq!(a.days_in_stage, Some(6));

        // The records notice went out on 2026-11-21: the IT staff have them.
        let notices = [sent("a", NoticeKind::Records, "2026-11-21")];
        let r = build(&config, &live, &notices);
        let a = row(&r, "a");
        assert_eq!(
            (a.stage, a.waits_on),
            (Stage::RecordsSent, WaitsOn::ItStaff)
        );
        assert_eq!(a.days_in_stage, Some(5));
        assert_eq!(
            a.last_notice,
            Some(SentNotice {
                kind: NoticeKind::Records,
                date: "2026-11-21".into()
            })
        );
        assert_eq!(a.urgency, Urgency::Waiting);

        // A claimed notice the relay never confirmed is not "sent".
        let mut claimed = sent("a", NoticeKind::Records, "2026-11-21");
        claimed.state = EntryState::Claimed;
        claimed.sent_at = None;
        assert_eq!(
            row(&build(&config, &live, &[claimed]), "a").stage,
            Stage::IdentityCreated
        );

        // The records resolve: SES is looking; nothing says since when the records are there.
        live.libraries = vec![observed(
            "a",
            "ses-domain",
            Some("a.example.org"),
            "dns::present",
        )];
        let a = build(&config, &live, &notices).rows[0].clone();
        assert_eq!((a.stage, a.waits_on), (Stage::RecordsInDns, WaitsOn::Aws));
        assert_eq!(a.days_in_stage, None);

        // Verified: done, dated by the verified notice.
        live.ses.identities = vec![identity("a.example.org", "SUCCESS", "2026-11-20")];
        let notices = [
            sent("a", NoticeKind::Records, "2026-11-21"),
            sent("a", NoticeKind::Verified, "2026-11-24"),
        ];
        let a = build(&config, &live, &notices).rows[0].clone();
        assert_eq!(
            (a.stage, a.waits_on, a.urgency),
            (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
        );
        assert_eq!(a.days_in_stage, Some(2));
        assert_eq!(a.last_notice.unwrap().kind, NoticeKind::Verified);
        assert_eq!(a.reason, None);
    }

    #[test]
    fn another_librarys_notices_do_not_count() {
        let config = config_of(&[("a", ses("a", None)), ("b", ses("b", None))]);
        let mut live = empty_live();
        live.ses.identities = vec![
            identity("a.example.org", "PENDING", "2026-11-20"),
            identity("b.example.org", "PENDING", "2026-11-20"),
        ];
        let r = build(
            &config,
            &live,
            &[sent("a", NoticeKind::Records, "2026-11-21")],
        );
        assert_eq!(row(&r, "a").stage, Stage::RecordsSent);
        assert_eq!(row(&r, "b").stage, Stage::IdentityCreated);
        assert_eq!(row(&r, "b").last_notice, None);
    }

    #[test]
    fn smtp_and_managed_domain_stages() {
        let config = config_of(&[("m", managed("m")), ("s", smtp("s")), ("t", smtp("t"))]);
        let mut live = empty_live();
        let mut probed = observed("s", "smtp-account", None, "");
        probed.smtp_probe = Some(ProbeV1 {
            taken_at: "2026-11-26T03:00:00Z".into(),
            verdict: "pass".into(),
            codes: vec![],
        });
        live.libraries = vec![probed, observed("t", "smtp-account", None, "")];
        live.registrar.operations = vec![OperationV1 {
            id: "op-1".into(),
            domain: Some("m-mail.example".into()),
            kind: "REGISTER_DOMAIN".into(),
            status: "IN_PROGRESS".into(),
            submitted: Some("2026-11-23T08:00:00Z".into()),
            tags: Some(BTreeMap::from([
                ("managed-by".to_string(), "mailform".to_string()),
                ("library".to_string(), "m".to_string()),
            ])),
        }];
        let r = build(&config, &live, &[]);
        let s = row(&r, "s");
        assert_eq!(
            (s.stage, s.waits_on, s.urgency),
            (Stage::ProbePassing, WaitsOn::Nobody, Urgency::Done)
        );
        // Never probed (the password variable is unset): the platform must set it.
        let t = row(&r, "t");
        assert_eq!(
            (t.stage, t.waits_on),
            (Stage::AccountGiven, WaitsOn::Platform)
        );
        // The registration is dated by its submission; the plan also creates the identity and
        // its records meanwhile, so an apply (the platform) is what it waits on first.
        let m = row(&r, "m");
        assert_eq!(
            (m.stage, m.waits_on),
            (Stage::DomainBeingBought, WaitsOn::Platform)
        );
        assert_eq!(m.days_in_stage, Some(3));

        // Registered, no identity yet: bought, and the platform's apply writes the rest.
        live.registrar.operations.clear();
        live.registrar.domains = vec![DomainV1 {
            name: "m-mail.example".into(),
            auto_renew: Some(true),
            transfer_lock: Some(true),
            expiry: Some("2027-11-23T08:00:00Z".into()),
            statuses: vec![],
            name_servers: vec![],
            tags: BTreeMap::new(),
        }];
        let r = build(
            &config,
            &live,
            &[sent("m", NoticeKind::DomainBought, "2026-11-24")],
        );
        let m = row(&r, "m");
        assert_eq!(
            (m.stage, m.waits_on),
            (Stage::DomainBought, WaitsOn::Platform)
        );
        assert_eq!(m.days_in_stage, Some(2));

        // Counts list every stage of each method in use, zeros too.
        let smtp: Vec<(Stage, usize)> = r
            .counts
            .iter()
            .filter(|c| c.method == Method::SmtpAccount)
            .map(|c| (c.stage, c.count))
            .collect();
        assert_eq!(smtp, [(Stage::AccountGiven, 1), (Stage::ProbePassing, 1)]);
        assert_eq!(r.counts.len(), 2 + 5);
    }

    #[test]
    fn failing_then_late_then_waiting_longest() {
        let config = config_of(&[
            ("early", ses("early", Some("2027-06-01"))),
            ("late", ses("late", Some("2026-12-01"))),
            ("old", ses("old", Some("2027-06-01"))),
            ("broken", ses("broken", Some("2027-06-01"))),
            ("done", ses("done", None)),
        ]);
        let mut live = empty_live();
        live.ses.identities = vec![
            identity("early.example.org", "PENDING", "2026-11-25"),
            identity("late.example.org", "PENDING", "2026-11-25"),
            identity("old.example.org", "PENDING", "2026-10-01"),
            identity("broken.example.org", "FAILED", "2026-11-01"),
            identity("done.example.org", "SUCCESS", "2026-11-01"),
        ];
        let r = build(&config, &live, &[]);
        let order: Vec<&str> = r.rows.iter().map(|r| r.library.as_str()).collect();
        assert_eq!(order, ["broken", "late", "old", "early", "done"]);
        let broken = row(&r, "broken");
        assert_eq!(broken.urgency, Urgency::Failing);
        assert!(
            broken
                .reason
                .as_deref()
                .unwrap()
                .contains("gave up verifying"),
            "{:?}",
            broken.reason
        );
        let late = row(&r, "late");
        assert_eq!((late.urgency, late.days_left), (Urgency::Late, Some(5)));
        assert!(
            late.reason.as_deref().unwrap().contains("notice period"),
            "{:?}",
            late.reason
        );
        assert_eq!(row(&r, "old").days_in_stage, Some(56));
        assert_eq!(row(&r, "early").reason, None);
        assert_eq!(r.notice_period_days, 14);
    }

    /// A managed domain at the end of its path as mailform leaves it: registered and tagged, its
    /// zone holding the DKIM records, its identity verified. `transfer` names the receiving
    /// account the library file asks for.
    fn converged_managed(transfer: Option<&str>) -> (Config, LiveSnapshotV1) {
        let mut text = managed("m");
        if let Some(account) = transfer {
            text = text.replace(
                "        auto-renew #true\n",
                &format!(
                    "        auto-renew #true\n        transfer-to-aws-account \"{account}\"\n"
                ),
            );
        }
        let config = config_of(&[("m", text)]);
        let mut live = empty_live();
        let tags = BTreeMap::from([
            ("managed-by".to_string(), "mailform".to_string()),
            ("library".to_string(), "m".to_string()),
        ]);
        live.registrar.domains = vec![DomainV1 {
            name: "m-mail.example".into(),
            auto_renew: Some(true),
            transfer_lock: Some(true),
            expiry: Some("2027-11-23T08:00:00Z".into()),
            statuses: vec![],
            name_servers: vec![],
            tags: tags.clone(),
        }];
        let mut verified = identity("m-mail.example", "SUCCESS", "2026-11-23");
        verified.tags.insert("library".into(), "m".into());
        live.ses.identities = vec![verified];
        live.libraries = vec![observed(
            "m",
            "managed-domain",
            Some("m-mail.example"),
            "dns::present",
        )];
        live.route53.hosted_zones = vec![ZoneV1 {
            id: "Z1".into(),
            name: "m-mail.example".into(),
            private: false,
            tags,
            records: (1..=3)
                .map(|t| RecordV1 {
                    name: format!("t{t}._domainkey.m-mail.example"),
                    rtype: "CNAME".into(),
                    ttl: Some(1800),
                    values: vec![format!("t{t}.dkim.amazonses.com")],
                    alias_target: None,
                })
                .collect(),
        }];
        (config, live)
    }

    fn operation(kind: &str, status: &str, submitted: &str) -> OperationV1 {
        OperationV1 {
            id: format!("op-{}", kind.to_ascii_lowercase()),
            domain: Some("m-mail.example".into()),
            kind: kind.into(),
            status: status.into(),
            submitted: Some(format!("{submitted}T08:00:00Z")),
            tags: None,
        }
    }

    #[test]
    fn a_verified_managed_domain_waits_on_nobody_and_its_finished_operations_are_history() {
        let (config, mut live) = converged_managed(None);
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!(
            (m.stage, m.waits_on, m.urgency),
            (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
        );

        // The domain has left this account (its transfer to the library's account was
        // accepted), so the plan lists its registration again, finished: only history.
        live.registrar.domains.clear();
        live.registrar.operations = vec![
            operation("REGISTER_DOMAIN", "SUCCESSFUL", "2026-11-02"),
            operation("INTERNAL_TRANSFER_OUT_DOMAIN", "SUCCESSFUL", "2026-11-20"),
        ];
        let r = build(&config, &live, &[]);
        let plan = &planner::plan(
            &config,
            &live,
            &PlanOptions {
                today: today(),
                handover_grace: planner::HANDOVER_GRACE_SECS,
            },
        )
        .libraries[0];
        assert!(
            plan.in_progress
                .iter()
                .any(|p| matches!(p, Progress::Operation { status, .. } if status == "SUCCESSFUL")),
            "the case needs a finished operation in the plan: {plan:#?}"
        );
        let m = row(&r, "m");
        assert_eq!(
            (m.stage, m.waits_on, m.urgency),
            (Stage::Verified, WaitsOn::Nobody, Urgency::Done)
        );
    }

    #[test]
    fn a_transfer_to_the_librarys_account_waits_on_its_it_staff_to_accept() {
        let (config, mut live) = converged_managed(Some("111122223333"));
        // Not started yet: the platform's apply starts it.
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!((m.stage, m.waits_on), (Stage::Verified, WaitsOn::Platform));

        // Started, its password kept: the receiving account must accept it, not AWS.
        let op = operation("INTERNAL_TRANSFER_OUT_DOMAIN", "IN_PROGRESS", "2026-11-25");
        live.registrar.domains[0].tags.insert(
            crate::live::ownership::SECRET_KEPT_KEY.into(),
            op.id.clone(),
        );
        live.registrar.operations =
            vec![operation("REGISTER_DOMAIN", "SUCCESSFUL", "2026-11-02"), op];
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!(
            (m.stage, m.waits_on, m.urgency),
            (Stage::Verified, WaitsOn::ItStaff, Urgency::Waiting)
        );
        assert_eq!(WaitsOn::ItStaff.label(), "the library's IT staff");

        // A lock change for a handover to another registrar is AWS's to finish.
        let (config, mut live) = converged_managed(None);
        let text = managed("m").replace(
            "        auto-renew #true\n",
            "        auto-renew #true\n        transfer-to-registrar\n",
        );
        let config_registrar = config_of(&[("m", text)]);
        live.registrar.operations = vec![operation("DOMAIN_LOCK", "SUBMITTED", "2026-11-25")];
        let m = build(&config_registrar, &live, &[]).rows[0].clone();
        assert_eq!(
            (m.stage, m.waits_on, m.urgency),
            (Stage::Verified, WaitsOn::Aws, Urgency::Waiting)
        );
        // The same facts without the handover: the lock change is nobody's business here.
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!((m.stage, m.waits_on), (Stage::Verified, WaitsOn::Nobody));
    }

    #[test]
    fn a_managed_domain_is_being_bought_until_route53_domains_says_it_is_registered() {
        // SES may see the records in the zone mailform wrote before the registration is done
        // (the sandbox does): the domain is still being bought, and AWS is who it waits on.
        let (config, mut live) = converged_managed(None);
        live.registrar.domains.clear();
        live.registrar.operations = vec![operation("REGISTER_DOMAIN", "SUBMITTED", "2026-11-25")];
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!(
            (m.stage, m.waits_on, m.urgency, m.days_in_stage),
            (
                Stage::DomainBeingBought,
                WaitsOn::Aws,
                Urgency::Waiting,
                Some(1)
            )
        );

        // A failed registration is history: not "being bought".
        live.ses.identities.clear();
        live.registrar.operations = vec![operation("REGISTER_DOMAIN", "FAILED", "2026-11-25")];
        let m = build(&config, &live, &[]).rows[0].clone();
        assert_eq!(m.stage, Stage::DomainToBuy);
    }
}
