//! The plan: what `apply` would change, what each library must do, what is under way, and
//! whether each library is ready for its launch.
//!
//! These types are the planner's output and, serialised, the versioned JSON of
//! `mailform plan --format json` (schema in `schemas/plan.schema.json`); renderers in
//! `crate::render::plan` read them and nothing else. Deletions are a separate list in every
//! library so that no renderer can fold them into a summary.

pub mod account;
pub mod actions;
pub mod checks;
pub mod events;
pub mod no_such_domain;
pub mod planner;
pub mod saved;
pub mod tenants;

use serde::{Deserialize, Serialize};

/// Version of the plan's JSON form; bumped on any incompatible change.
pub const PLAN_VERSION: u32 = 1;

/// A whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    /// What stops every library of a method at once, on the platform's side (the SES account
    /// still in the SES sandbox, its sending paused): shown once, before the libraries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<PlatformFinding>,
    /// The platform's own resources (the events configuration set and mailform's event
    /// destination on it, see [`events`]): apply makes them before any library's changes,
    /// since identities name the set as their default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform_changes: Vec<Change>,
    /// Deletions of the platform's own resources (only with `--allow-destroy`), made after
    /// every library's changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform_deletions: Vec<Change>,
    pub libraries: Vec<LibraryPlan>,
    /// Live resources no library declares and mailform does not own: shown, never touched.
    pub unmanaged: Vec<Unmanaged>,
}

/// A platform-level blocker: the platform's operators fix it, once, for every library it stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformFinding {
    /// Stable code, e.g. `ses::account-in-sandbox`.
    pub code: String,
    pub level: Level,
    pub message: String,
    pub remedy: String,
    /// The methods whose libraries it stops.
    pub affects: Vec<Method>,
}

/// The delivery method, as the library file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    SesDomain,
    SmtpAccount,
    ManagedDomain,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::SesDomain => "ses-domain",
            Method::SmtpAccount => "smtp-account",
            Method::ManagedDomain => "managed-domain",
        }
    }
}

/// One library's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryPlan {
    pub library: String,
    pub name: String,
    pub method: Method,
    /// Creations, updates and replacements `apply` will make.
    pub changes: Vec<Change>,
    /// Deletions `apply` will make (only with `--allow-destroy`), always listed apart.
    pub deletions: Vec<Change>,
    /// Changes withheld because an error of this library stands in their way (a managed
    /// domain nobody can buy gets no identity and no records); each `reason` says which.
    /// `apply` never makes them; they are not counted as changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<Change>,
    /// What the library's IT staff must do.
    pub actions: Vec<LibraryAction>,
    /// What is under way and needs nobody for now.
    pub in_progress: Vec<Progress>,
    pub readiness: Readiness,
    /// A managed domain's yearly charge, passed through to the library (renewal price, or the
    /// registration price where Route 53 Domains lists no renewal price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yearly_cost: Option<Cost>,
    /// What mailform found about the domain's SPF and DMARC: information only, with why the
    /// library need not change it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub information: Vec<Information>,
    /// The notices to the library's IT contact that this plan's changes set off once applied
    /// (`mailform notify`, run after apply, sends them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<PlannedNotice>,
}

/// A notice an apply of this plan sets off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedNotice {
    /// The notice kind (`records`, `domain-bought`, `transfer-started`).
    pub kind: String,
    pub to: String,
    /// What it tells the library.
    pub about: String,
}

/// A finding the library is told about but need not act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Information {
    /// Stable code, e.g. `spf::too-many-lookups`, `dmarc::policy`.
    pub code: String,
    pub message: String,
    /// Why nothing needs to change for mailform's mail.
    pub why: String,
    /// How to fix the record, for the domain's own sake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

impl LibraryPlan {
    /// Whether the library is waiting on someone or failing a check.
    pub fn needs_attention(&self) -> bool {
        !self.actions.is_empty() || !self.readiness.ready
    }

    /// Whether something is broken, about to break, or late, as opposed to on its way: an
    /// error-level finding, a breaking one (records gone after verification, an expiry coming),
    /// or not ready inside the notice period. What the drift check reports.
    pub fn failing(&self) -> bool {
        self.readiness.level == Level::Error
            || self
                .actions
                .iter()
                .any(|a| a.level == Level::Error || a.breaking)
    }
}

/// How a resource changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Create,
    Update,
    Replace,
    Delete,
}

impl Op {
    /// Terraform's sign for the operation.
    pub fn sign(self) -> &'static str {
        match self {
            Op::Create => "+",
            Op::Update => "~",
            Op::Replace => "-/+",
            Op::Delete => "-",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Replace => "replace",
            Op::Delete => "destroy",
        }
    }
}

/// What kind of thing changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    SesIdentity,
    DomainRegistration,
    DnsRecord,
    DomainAutoRenew,
    DomainTransferLock,
    DomainTransfer,
    /// The ownership tags of a registered domain (adopted, or moved to another library).
    DomainTags,
    /// A library's SES tenant: its reputation policy, its sending (customer-managed status)
    /// and the identity and configuration set associated with it.
    SesTenant,
    /// The platform's events configuration set (`events { configuration-set }`).
    SesConfigurationSet,
    /// An event destination of a configuration set, named `SET/DESTINATION`.
    SesEventDestination,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::SesIdentity => "ses-identity",
            ResourceKind::DomainRegistration => "domain-registration",
            ResourceKind::DnsRecord => "dns-record",
            ResourceKind::DomainAutoRenew => "domain-auto-renew",
            ResourceKind::DomainTransferLock => "domain-transfer-lock",
            ResourceKind::DomainTransfer => "domain-transfer",
            ResourceKind::DomainTags => "domain-tags",
            ResourceKind::SesTenant => "ses-tenant",
            ResourceKind::SesConfigurationSet => "ses-configuration-set",
            ResourceKind::SesEventDestination => "ses-event-destination",
        }
    }
}

/// One change to one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub op: Op,
    pub kind: ResourceKind,
    /// The resource's name: a domain, or `NAME TYPE` for a record.
    pub name: String,
    pub attributes: Vec<Attribute>,
    /// Money this change spends (domain registrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// Why, when it is not obvious (a method switch, a library removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Change {
    /// The deletion of an SES identity that is verified and sending: mail stops when it goes.
    pub fn stops_mail(&self) -> bool {
        self.op == Op::Delete
            && self.kind == ResourceKind::SesIdentity
            && self
                .attributes
                .iter()
                .any(|a| a.name == checks::VERIFIED_FOR_SENDING && a.old.as_deref() == Some("true"))
    }
}

/// An attribute's old and new value; `None` for absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What a purchase costs, against the library's cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    pub yearly_cents: u64,
    pub cap_cents: u64,
    pub years: u8,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// Something the library's IT staff must do, with the records involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryAction {
    /// Stable code, e.g. `dns::missing`, `smtp::auth::bad_credentials`.
    pub code: String,
    pub level: Level,
    pub message: String,
    pub remedy: String,
    pub records: Vec<RecordHandoff>,
    /// Something that worked has stopped or is about to: DKIM records gone from a verified
    /// identity, an expiring certificate or domain. Errors count as failing anyway.
    #[serde(default, skip_serializing_if = "is_false")]
    pub breaking: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

/// A DNS record for the library to install, and what is there now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHandoff {
    /// Fully qualified name.
    pub name: String,
    /// The name relative to the library's zone, as most providers' forms want it.
    pub host: String,
    pub rtype: String,
    pub value: String,
    /// The verdict code (`dns::present`, `dns::missing`, …).
    pub status: String,
    /// What was found instead, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// Something under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Progress {
    /// SES looks for the records for 72 hours.
    Verification {
        identity: String,
        status: String,
        since: Option<String>,
        gives_up_at: Option<String>,
    },
    /// A Route 53 Domains operation.
    Operation {
        domain: String,
        operation: String,
        status: String,
        submitted: Option<String>,
    },
}

/// Whether the library can launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// Error when not ready inside the notice period.
    pub level: Level,
    pub summary: String,
}

/// A live resource nobody declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    pub kind: ResourceKind,
    pub name: String,
    pub note: String,
}

/// Counts for summary lines and exit codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub destroy: usize,
    /// Libraries waiting on someone or failing a check ...
    pub attention: usize,
    /// ... of which failing: broken, about to break, or late ([`LibraryPlan::failing`]).
    pub failing: usize,
}

impl Plan {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        let platform = self.platform_changes.iter().chain(&self.platform_deletions);
        let libraries = self
            .libraries
            .iter()
            .flat_map(|l| l.changes.iter().chain(&l.deletions));
        for c in platform.chain(libraries) {
            match c.op {
                Op::Create => t.create += 1,
                Op::Update => t.update += 1,
                Op::Replace => t.replace += 1,
                Op::Delete => t.destroy += 1,
            }
        }
        for l in &self.libraries {
            t.attention += usize::from(l.needs_attention());
            t.failing += usize::from(l.failing());
        }
        t
    }

    /// Whether a platform-level blocker stops libraries (what the drift check reports, as a
    /// failing library).
    pub fn platform_failing(&self) -> bool {
        self.platform.iter().any(|f| f.level == Level::Error)
    }

    pub fn has_changes(&self) -> bool {
        !self.platform_changes.is_empty()
            || !self.platform_deletions.is_empty()
            || self
                .libraries
                .iter()
                .any(|l| !l.changes.is_empty() || !l.deletions.is_empty())
    }
}
