//! The desired state: what the library files declare, as typed values.
//!
//! Everything here is already validated; `config` is the only producer. Identifiers, domains
//! and addresses are types rather than strings so that later stages cannot mix them up.

use std::collections::BTreeMap;
use std::fmt;

/// A library's id: the stem of its file, lower-case letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LibraryId(String);

/// A fully qualified domain name, lower case, without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

/// An e-mail address with a lower-cased domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress {
    local: String,
    domain: DomainName,
}

/// A US-dollar amount in cents; Route 53 Domains prices in USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd {
    pub cents: u64,
}

/// A calendar date (the launch date, `--today`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl LibraryId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if s.is_empty() || s.len() > 63 {
            return Err("a library id has 1 to 63 characters".into());
        }
        if !s.chars().all(ok_char) {
            return Err("a library id has only lower-case letters, digits and hyphens".into());
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err("a library id neither starts nor ends with a hyphen".into());
        }
        Ok(LibraryId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl DomainName {
    /// Parses a domain name: at least two labels of letters, digits and hyphens, each 1–63
    /// characters and not starting or ending with a hyphen, 253 characters at most, and an
    /// alphabetic top-level label.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.strip_suffix('.').unwrap_or(s);
        if s.is_empty() {
            return Err("the domain is empty".into());
        }
        if s.len() > 253 {
            return Err("a domain name has at most 253 characters".into());
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err("a domain name has at least two labels, such as `example.org`".into());
        }
        for label in &labels {
            if label.is_empty() {
                return Err("the domain has an empty label (two dots in a row)".into());
            }
            if label.len() > 63 {
                return Err(format!("the label `{label}` is longer than 63 characters"));
            }
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!(
                    "the label `{label}` has a character other than a letter, digit or hyphen"
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(format!("the label `{label}` starts or ends with a hyphen"));
            }
        }
        let tld = labels[labels.len() - 1];
        if !tld.chars().all(|c| c.is_ascii_alphabetic()) && !tld.starts_with("xn--") {
            return Err(format!("the top-level label `{tld}` is not alphabetic"));
        }
        Ok(DomainName(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is `other` or lies beneath it.
    pub fn is_within(&self, other: &DomainName) -> bool {
        self.0 == other.0
            || (self.0.len() > other.0.len()
                && self.0.ends_with(&other.0)
                && self.0.as_bytes()[self.0.len() - other.0.len() - 1] == b'.')
    }

    pub fn is_strict_subdomain_of(&self, other: &DomainName) -> bool {
        self != other && self.is_within(other)
    }
}

impl EmailAddress {
    /// Parses an address `local@domain` with a dot-atom local part (RFC 5322, without quoted
    /// local parts, which no mail setup of ours needs).
    pub fn parse(s: &str) -> Result<Self, String> {
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err("an e-mail address has the form `name@domain`".into());
        };
        if local.contains('@') {
            return Err("it has more than one `@`".into());
        }
        if local.is_empty() {
            return Err("the part before `@` is empty".into());
        }
        if local.len() > 64 {
            return Err("the part before `@` is longer than 64 characters".into());
        }
        const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        {
            return Err(format!(
                "the part before `@` (`{local}`) has a character an address may not have"
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err("the part before `@` has a misplaced dot".into());
        }
        let domain = DomainName::parse(domain).map_err(|e| format!("after `@`: {e}"))?;
        Ok(EmailAddress {
            local: local.to_string(),
            domain,
        })
    }

    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    pub fn local_part(&self) -> &str {
        &self.local
    }
}

impl Usd {
    pub fn from_cents(cents: u64) -> Self {
        Usd { cents }
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a date of the form YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| bad());
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&month) {
            return Err(format!("`{s}` has no month {month}"));
        }
        let date = Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        };
        if day == 0 || day > date.days_in_month() {
            return Err(format!("`{s}` has no day {day} in its month"));
        }
        Ok(date)
    }

    fn days_in_month(&self) -> u32 {
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        match self.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for differences between dates.
    pub fn days_since_epoch(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(&self, later: &Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

/// Where a launch stands against today and the notice period. One rule for every place that
/// judges it: the plan's readiness ("inside the notice period", an error when not ready), the
/// status page's "late", `validate`'s `config::launch-too-soon` and the launch notice, so none
/// of them disagrees with another about the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchWindow {
    /// At least the notice period away: time enough (the setup document's "at least two weeks
    /// prior" still holds on the day exactly two weeks before).
    Ahead,
    /// Fewer days away than the notice period, the launch day itself included: a library not
    /// ready now is late, and is told so.
    Inside,
    /// The launch day has passed.
    Passed,
}

impl LaunchWindow {
    /// The window `days_left` (today until the launch, [`Date::days_until`]) falls in.
    pub fn of(days_left: i64, notice_days: u32) -> Self {
        if days_left < 0 {
            LaunchWindow::Passed
        } else if days_left < i64::from(notice_days) {
            LaunchWindow::Inside
        } else {
            LaunchWindow::Ahead
        }
    }

    /// Not ready in this window is late: inside the notice period, or past the launch.
    pub fn late_if_not_ready(self) -> bool {
        self != LaunchWindow::Ahead
    }
}

impl fmt::Display for LibraryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}.{:02}", self.cents / 100, self.cents % 100)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The whole desired state of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub platform: Platform,
    pub libraries: Vec<Library>,
}

/// The Route 53 Domains quota of a new AWS account: 20 domains, raised only on request to AWS.
pub const DEFAULT_DOMAIN_QUOTA: usize = 20;

/// An IANA time zone name (`America/Chicago`) the bundled zone database knows, in its
/// canonical spelling: the zone a library's notices tell their deadlines in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(s: &str) -> Result<TimeZoneName, String> {
        let zone = jiff::tz::TimeZone::get(s)
            .map_err(|_| format!("`{s}` is not a time zone of the IANA database"))?;
        Ok(TimeZoneName(
            zone.iana_name()
                .map_or_else(|| s.to_string(), str::to_string),
        ))
    }

    /// UTC, the platform's default.
    pub fn utc() -> TimeZoneName {
        TimeZoneName("UTC".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone's rules (the name was checked when parsed; UTC if the database changed).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Platform {
    /// The configuration set a library's mail goes out with, so its events reach the
    /// platform's event destination: the library's own `configuration-set`, else the
    /// platform's `events { configuration-set }`; `None` for a library outside SES or without
    /// either. The one place that decides it: the identity's default set and the set
    /// associated with the library's SES tenant both come from here.
    pub fn configuration_set_for<'a>(&'a self, library: &'a Library) -> Option<&'a str> {
        let own = match &library.method {
            DeliveryMethod::SesDomain(m) => m.configuration_set.as_deref(),
            // A managed domain's identity takes the platform's set: its file names none.
            DeliveryMethod::ManagedDomain(_) => None,
            DeliveryMethod::SmtpAccount(_) => return None,
        };
        own.or(self.events.as_ref().map(|e| e.configuration_set.as_str()))
    }
}

impl Config {
    /// The SES tenant `library` should have: only when the platform manages tenants and the
    /// library sends through SES (methods 1 and 3).
    pub fn tenant_of<'a>(&self, library: &'a Library) -> Option<&'a TenantSettings> {
        self.platform.tenants?;
        library.method.tenant()
    }
}

/// Platform-wide settings from `libraries/_platform.kdl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub aws_region: String,
    /// Tags mailform puts on everything it creates, besides its own ownership tags.
    pub tags: BTreeMap<String, String>,
    pub notice_period_days: u32,
    /// How many domains the account may hold in Route 53 Domains ([`DEFAULT_DOMAIN_QUOTA`]).
    pub domain_quota: usize,
    pub default_price_cap: Usd,
    pub registrant: Option<Contact>,
    /// The notices to libraries (`notices { … }`); `None` when the platform file has none.
    pub notices: Option<NoticeSettings>,
    /// Where SES's sending events go and are kept (`events { … }`); `None` without the block.
    pub events: Option<EventSettings>,
    /// SES tenant management (`tenants { … }`): `None` when the platform file has no such
    /// block, and mailform then neither reads nor keeps tenants.
    pub tenants: Option<TenantDefaults>,
}

/// The platform's `tenants { … }` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantDefaults {
    /// The reputation policy of every library's tenant that names none.
    pub reputation_policy: ReputationPolicy,
    /// The suppression list of every library's tenant that names none.
    pub suppression: SuppressionScope,
    /// What one tenant costs a month, in hundredths of a cent; `None`: not given.
    pub price_per_month: Option<u64>,
}

/// Which suppression list SES keeps a tenant's hard bounces and complaints on: the account's
/// (SES's default: one library's bounce stops every library's mail to that address) or the
/// tenant's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionScope {
    Account,
    Tenant,
}

impl SuppressionScope {
    pub const NAMES: &[&str] = &["account", "tenant"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "account" => Some(SuppressionScope::Account),
            "tenant" => Some(SuppressionScope::Tenant),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionScope::Account => "account",
            SuppressionScope::Tenant => "tenant",
        }
    }
}

/// The platform's SES event pipeline: the configuration set whose event destination publishes
/// to an SNS topic, the SQS queue subscribed to it, its dead-letter queue, and the DynamoDB
/// table `mailform events drain` keeps the events in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSettings {
    pub configuration_set: String,
    /// The event destination's name in the configuration set.
    pub destination: String,
    pub topic_arn: String,
    pub queue_url: String,
    pub dead_letter_queue_url: String,
    pub table: String,
}

/// The event store's table when the platform file names none.
pub const DEFAULT_EVENTS_TABLE: &str = "mailform-events";
/// The event destination's name when the platform file names none.
pub const DEFAULT_EVENT_DESTINATION: &str = "mailform-events";

/// How notices reach the libraries: sender, support address, relay and ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeSettings {
    pub from: EmailAddress,
    pub from_name: Option<String>,
    /// The platform's support address, the notices' `Reply-To`.
    pub reply_to: EmailAddress,
    /// The DynamoDB table of sent notices.
    pub ledger_table: String,
    /// Messages a second at most.
    pub send_rate: u32,
    /// The zone deadlines are told in for a library that names none (`time-zone`).
    pub time_zone: TimeZoneName,
    pub relay: Relay,
}

/// The SMTP relay notices go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: PasswordEnv,
}

/// The ledger table when the platform file names none.
pub const DEFAULT_LEDGER_TABLE: &str = "mailform-notices";

/// The registrant contact used when buying a domain (Route 53 Domains `ContactDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub contact_type: ContactType,
    pub organization: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: EmailAddress,
    pub phone: String,
    pub address_line_1: String,
    pub address_line_2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub country_code: String,
    pub zip_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactType {
    Person,
    Company,
    Association,
    PublicBody,
    Reseller,
}

impl ContactType {
    pub const NAMES: &'static [&'static str] = &[
        "PERSON",
        "COMPANY",
        "ASSOCIATION",
        "PUBLIC_BODY",
        "RESELLER",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PERSON" => ContactType::Person,
            "COMPANY" => ContactType::Company,
            "ASSOCIATION" => ContactType::Association,
            "PUBLIC_BODY" => ContactType::PublicBody,
            "RESELLER" => ContactType::Reseller,
            _ => return None,
        })
    }
}

/// One library and how its mail leaves the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub id: LibraryId,
    pub name: String,
    pub it_contact: EmailAddress,
    pub launch: Option<Date>,
    /// The zone its notices tell deadlines in; the platform's default when `None`.
    pub time_zone: Option<TimeZoneName>,
    pub method: DeliveryMethod,
}

/// The three methods of the setup document. Exactly one per library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryMethod {
    /// Method 1: the library's own domain as an SES identity with Easy DKIM.
    SesDomain(SesDomain),
    /// Method 2: the library's own SMTP account.
    SmtpAccount(SmtpAccount),
    /// Method 3: a sending-only domain bought and run by the platform.
    ManagedDomain(ManagedDomain),
}

impl DeliveryMethod {
    /// The address mail is sent from.
    pub fn from_address(&self) -> &EmailAddress {
        match self {
            DeliveryMethod::SesDomain(m) => &m.from,
            DeliveryMethod::SmtpAccount(m) => &m.from,
            DeliveryMethod::ManagedDomain(m) => &m.from,
        }
    }

    /// The SES tenant this method sends through, if it sends through SES (methods 1 and 3).
    pub fn tenant(&self) -> Option<&TenantSettings> {
        match self {
            DeliveryMethod::SesDomain(m) => Some(&m.tenant),
            DeliveryMethod::ManagedDomain(m) => Some(&m.tenant),
            DeliveryMethod::SmtpAccount(_) => None,
        }
    }

    /// The SES identity this method needs, if any.
    pub fn ses_identity(&self) -> Option<&DomainName> {
        match self {
            DeliveryMethod::SesDomain(m) => Some(m.from.domain()),
            DeliveryMethod::ManagedDomain(m) => Some(&m.domain),
            DeliveryMethod::SmtpAccount(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimKeyLength {
    Rsa1024,
    Rsa2048,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesDomain {
    pub from: EmailAddress,
    pub dkim_key_length: DkimKeyLength,
    pub mail_from: Option<DomainName>,
    pub configuration_set: Option<String>,
    /// Explicit consent to take over an identity mailform did not create (`adopt #true`).
    /// Never inferred: without it an existing identity stays read-only.
    pub adopt: bool,
    pub tenant: TenantSettings,
}

/// An SES-managed reputation policy: what SES does to a tenant on a reputation finding.
/// `standard` pauses it on high-impact findings, `strict` on low-impact ones too, `none` never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReputationPolicy {
    None,
    Standard,
    Strict,
}

impl ReputationPolicy {
    pub const NAMES: &[&str] = &["none", "standard", "strict"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(ReputationPolicy::None),
            "standard" => Some(ReputationPolicy::Standard),
            "strict" => Some(ReputationPolicy::Strict),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReputationPolicy::None => "none",
            ReputationPolicy::Standard => "standard",
            ReputationPolicy::Strict => "strict",
        }
    }
}

/// Whether the operator lets a library's tenant send: its customer-managed status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantSending {
    Enabled,
    Paused,
}

impl TenantSending {
    pub const NAMES: &[&str] = &["enabled", "paused"];
}

/// A library's SES tenant (named after the library id), resolved against the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantSettings {
    pub reputation_policy: ReputationPolicy,
    pub sending: TenantSending,
    /// `None` when the platform manages no tenants: no tenant, so no list of its own.
    pub suppression: Option<SuppressionScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Implicit TLS from the first byte (usually port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS (usually port 587).
    StartTls,
}

/// Where a secret comes from. Secrets are never written in a library file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(PasswordEnv),
}

/// The name of an environment variable allowed to hold an SMTP password: it starts with the
/// platform's prefix and is none of the refused credentials (`crate::secret`). Built only
/// through [`PasswordEnv::new`], so the model can never carry `AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordEnv(String);

/// Why a variable cannot be a password variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordEnvError {
    /// It holds credentials of another system (the reason).
    Refused(String),
    /// It lacks the platform's prefix (the prefix).
    OutsidePrefix(String),
}

impl PasswordEnv {
    pub fn new(name: &str, prefix: &str) -> Result<Self, PasswordEnvError> {
        if let Some(why) = crate::secret::refused_env_var(name) {
            Err(PasswordEnvError::Refused(why))
        } else if !name.starts_with(prefix) || name.len() == prefix.len() {
            Err(PasswordEnvError::OutsidePrefix(prefix.to_string()))
        } else {
            Ok(PasswordEnv(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for PasswordEnv {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PasswordEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoogleAuth {
    AppPassword,
    AccountPassword,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAccount {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: SecretRef,
    pub from: EmailAddress,
    pub google: Option<GoogleAuth>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferRequest {
    /// `TransferDomainToAnotherAwsAccount` to this 12-digit account.
    ToAwsAccount(String),
    /// Unlock the domain and hand the auth code to the library for its own registrar.
    ToRegistrar,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDomain {
    pub domain: DomainName,
    pub from: EmailAddress,
    /// The most mailform may pay a year; the platform default when the file gives none.
    pub price_cap: Usd,
    pub years: u8,
    pub auto_renew: bool,
    pub transfer: Option<TransferRequest>,
    /// Explicit consent to take over a registered domain mailform did not buy (`adopt #true`).
    pub adopt: bool,
    pub tenant: TenantSettings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launch_window_turns_on_the_day_the_notice_period_begins() {
        let at = |days| LaunchWindow::of(days, 14);
        assert_eq!(at(15), LaunchWindow::Ahead);
        assert_eq!(at(14), LaunchWindow::Ahead);
        assert_eq!(at(13), LaunchWindow::Inside);
        assert_eq!(at(0), LaunchWindow::Inside);
        assert_eq!(at(-1), LaunchWindow::Passed);
        assert!(at(0).late_if_not_ready() && at(-1).late_if_not_ready());
        assert!(!at(14).late_if_not_ready());
        assert_eq!(LaunchWindow::of(0, 0), LaunchWindow::Ahead);
    }

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-26",
            "2027-03-01",
            "2100-12-31",
        ] {
            let d = Date::parse(s).unwrap();
            assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d, "{s}");
            assert_eq!(d.to_string(), s);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days_since_epoch(), 1);
        assert!(Date::parse("2026-02-29").is_err());
        assert!(Date::parse("2026-13-01").is_err());
    }

    #[test]
    fn domains_and_addresses() {
        assert!(DomainName::parse("Example.ORG").is_ok());
        assert!(DomainName::parse("localhost").is_err());
        assert!(DomainName::parse("a..b").is_err());
        assert!(DomainName::parse("-a.org").is_err());
        assert!(DomainName::parse("a.123").is_err());
        let sub = DomainName::parse("mail.example.org").unwrap();
        let parent = DomainName::parse("example.org").unwrap();
        assert!(sub.is_strict_subdomain_of(&parent));
        assert!(
            !DomainName::parse("badexample.org")
                .unwrap()
                .is_within(&parent)
        );
        assert!(EmailAddress::parse("noreply@example.org").is_ok());
        assert!(EmailAddress::parse("no reply@example.org").is_err());
        assert!(EmailAddress::parse("noreply@").is_err());
        assert!(EmailAddress::parse("noreply.example.org").is_err());
    }
}
