//! The schema of the library files and of the platform file, as data.
//!
//! The validator walks a parsed document against these tables; the formatter takes node and
//! property order from them; `schemas/*.kdl` and the README's configuration reference are
//! generated from them (a test fails when the checked-in copies differ). One source of truth,
//! so the documentation cannot drift from what is enforced.

use std::fmt::Write as _;

/// What a value must be. Checked by `config::values`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Any non-empty text.
    Text,
    /// A library id: the file's stem.
    LibraryId,
    Email,
    Domain,
    /// A host name or IP address of an SMTP server.
    Host,
    Port,
    /// `YYYY-MM-DD`.
    Date,
    /// An integer in a closed range.
    Integer {
        min: i64,
        max: i64,
    },
    /// One of a fixed set of integers.
    IntegerOneOf(&'static [i64]),
    Bool,
    /// US dollars, a number with at most two decimals.
    Usd,
    /// A price to the hundredth of a cent (a per-unit charge such as SES's per-tenant one).
    UsdRate,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// An environment variable name (`SMTP_PASSWORD`).
    EnvName,
    /// The prefix of the variables that may hold SMTP passwords.
    EnvPrefix,
    /// A 12-digit AWS account id.
    AwsAccountId,
    /// An AWS region name such as `us-east-1`.
    AwsRegion,
    /// An SES configuration set name.
    ConfigurationSetName,
    /// An SES event destination name (the same letters as a configuration set's).
    EventDestinationName,
    /// An SNS topic ARN, `arn:aws:sns:REGION:ACCOUNT:NAME`.
    SnsTopicArn,
    /// A phone number in Route 53 Domains' form, `+1.5555550100`.
    Phone,
    /// An ISO 3166 two-letter country code.
    CountryCode,
    /// An AWS tag value (up to 256 characters).
    TagValue,
    /// An IANA time zone name such as `America/Chicago`.
    TimeZone,
}

impl ValueKind {
    /// How the kind reads in the reference.
    pub fn describe(&self) -> String {
        match self {
            ValueKind::Text => "text".into(),
            ValueKind::LibraryId => "library id (lower-case letters, digits, hyphens)".into(),
            ValueKind::Email => "e-mail address".into(),
            ValueKind::Domain => "domain name".into(),
            ValueKind::Host => "host name or IP address".into(),
            ValueKind::Port => "port (1-65535)".into(),
            ValueKind::Date => "date YYYY-MM-DD".into(),
            ValueKind::Integer { min, max } => format!("integer {min}-{max}"),
            ValueKind::IntegerOneOf(values) => {
                let list: Vec<String> = values.iter().map(i64::to_string).collect();
                format!("one of {}", list.join(", "))
            }
            ValueKind::Bool => "#true or #false".into(),
            ValueKind::Usd => "US dollars, e.g. 20.00".into(),
            ValueKind::UsdRate => "US dollars to a hundredth of a cent, e.g. 0.005".into(),
            ValueKind::OneOf(words) => {
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
            ValueKind::EnvName => "environment variable name".into(),
            ValueKind::EnvPrefix => "environment variable name prefix".into(),
            ValueKind::AwsAccountId => "12-digit AWS account id".into(),
            ValueKind::AwsRegion => "AWS region, e.g. us-east-1".into(),
            ValueKind::ConfigurationSetName => "SES configuration set name".into(),
            ValueKind::EventDestinationName => "SES event destination name".into(),
            ValueKind::SnsTopicArn => "SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME".into(),
            ValueKind::Phone => "phone, +CC.NUMBER".into(),
            ValueKind::CountryCode => "two-letter country code".into(),
            ValueKind::TagValue => "tag value".into(),
            ValueKind::TimeZone => "IANA time zone, e.g. America/Chicago".into(),
        }
    }

    /// The word used in the generated schema file.
    pub fn schema_name(&self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::LibraryId => "library-id",
            ValueKind::Email => "email",
            ValueKind::Domain => "domain",
            ValueKind::Host => "host",
            ValueKind::Port => "port",
            ValueKind::Date => "date",
            ValueKind::Integer { .. } => "integer",
            ValueKind::IntegerOneOf(_) => "integer-one-of",
            ValueKind::Bool => "bool",
            ValueKind::Usd => "usd",
            ValueKind::UsdRate => "usd-rate",
            ValueKind::OneOf(_) => "one-of",
            ValueKind::EnvName => "env-name",
            ValueKind::EnvPrefix => "env-prefix",
            ValueKind::AwsAccountId => "aws-account-id",
            ValueKind::AwsRegion => "aws-region",
            ValueKind::ConfigurationSetName => "configuration-set-name",
            ValueKind::EventDestinationName => "event-destination-name",
            ValueKind::SnsTopicArn => "sns-topic-arn",
            ValueKind::Phone => "phone",
            ValueKind::CountryCode => "country-code",
            ValueKind::TagValue => "tag-value",
            ValueKind::TimeZone => "time-zone",
        }
    }
}

/// How many times a node may appear among its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurs {
    Required,
    Optional,
}

/// What a node's children may be.
#[derive(Debug, Clone, Copy)]
pub enum Children {
    None,
    /// Known child nodes, in canonical order.
    Nodes(&'static [NodeSpec]),
    /// Free-named children, each with one value of this kind (e.g. tags).
    Map(ValueKind),
}

/// A property (`key=value`) a node accepts.
#[derive(Debug, Clone, Copy)]
pub struct PropSpec {
    pub name: &'static str,
    pub kind: ValueKind,
    pub required: bool,
    pub doc: &'static str,
}

/// One node of a file.
#[derive(Debug, Clone, Copy)]
pub struct NodeSpec {
    pub name: &'static str,
    /// The node's one positional value, if it takes one.
    pub value: Option<ValueKind>,
    pub props: &'static [PropSpec],
    pub children: Children,
    pub occurs: Occurs,
    /// Nodes sharing a group name are alternatives: exactly one of them must appear
    /// (`exclusive: Required`) or at most one (`Optional`).
    pub group: Option<&'static str>,
    /// The value used when the node is absent, for the reference.
    pub default: Option<&'static str>,
    /// Whether the value is a secret: a literal value is refused and never echoed.
    pub secret: bool,
    pub doc: &'static str,
}

impl NodeSpec {
    const fn leaf(name: &'static str, kind: ValueKind, occurs: Occurs, doc: &'static str) -> Self {
        NodeSpec {
            name,
            value: Some(kind),
            props: &[],
            children: Children::None,
            occurs,
            group: None,
            default: None,
            secret: false,
            doc,
        }
    }

    const fn block(
        name: &'static str,
        children: &'static [NodeSpec],
        occurs: Occurs,
        doc: &'static str,
    ) -> Self {
        NodeSpec {
            name,
            value: None,
            props: &[],
            children: Children::Nodes(children),
            occurs,
            group: None,
            default: None,
            secret: false,
            doc,
        }
    }

    const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }

    const fn group(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }

    /// The child specs, or none.
    pub fn child_nodes(&self) -> &'static [NodeSpec] {
        match self.children {
            Children::Nodes(nodes) => nodes,
            _ => &[],
        }
    }
}

/// How a group of alternatives must be filled.
#[derive(Debug, Clone, Copy)]
pub struct GroupSpec {
    pub name: &'static str,
    pub required: bool,
    pub what: &'static str,
}

/// Alternative groups and whether one member is required.
pub const GROUPS: &[GroupSpec] = &[
    GroupSpec {
        name: "method",
        required: true,
        what: "delivery method (`ses-domain`, `smtp-account` or `managed-domain`)",
    },
    GroupSpec {
        name: "transfer",
        required: false,
        what: "transfer request",
    },
];

pub fn group(name: &str) -> Option<&'static GroupSpec> {
    GROUPS.iter().find(|g| g.name == name)
}

use Occurs::{Optional, Required};

const SECURITY: &[&str] = &["tls", "starttls"];
/// `oauth` is listed so that it gets its own explanation instead of a generic refusal.
pub const GOOGLE_AUTH: &[&str] = &["app-password", "account-password", "oauth"];

const REPUTATION_POLICIES: &[&str] = crate::model::ReputationPolicy::NAMES;

const LIBRARY_TENANT: &[NodeSpec] = &[
    NodeSpec::leaf(
        "reputation-policy",
        ValueKind::OneOf(REPUTATION_POLICIES),
        Optional,
        "SES reputation policy of this library's tenant: `standard` pauses it on high-impact \
         findings, `strict` on low-impact ones too, `none` never.",
    )
    .default("platform `tenants { reputation-policy }`"),
    NodeSpec::leaf(
        "sending",
        ValueKind::OneOf(crate::model::TenantSending::NAMES),
        Optional,
        "`paused` stops this library's SES sending (the tenant's customer-managed status); \
         `enabled` reinstates it.",
    )
    .default("\"enabled\""),
    NodeSpec::leaf(
        "suppression",
        ValueKind::OneOf(crate::model::SuppressionScope::NAMES),
        Optional,
        "Where SES keeps the addresses this library's mail hard-bounced or drew complaints from: `tenant`, its own list (shown by `deliverability`); `account`, the list all libraries share.",
    )
    .default("platform `tenants { suppression }`"),
];

const TENANT_DOC: &str = "The library's SES tenant, named after its id: its own reputation, \
                          so one library's bounces never pause another's sending.";

const SES_DOMAIN: &[NodeSpec] = &[
    NodeSpec::leaf(
        "from",
        ValueKind::Email,
        Required,
        "Outgoing address; its domain becomes the SES identity.",
    ),
    NodeSpec::leaf(
        "dkim-key-length",
        ValueKind::IntegerOneOf(&[2048, 1024]),
        Optional,
        "Easy DKIM key length in bits: 2048 or 1024.",
    )
    .default("2048"),
    NodeSpec::leaf(
        "mail-from",
        ValueKind::Domain,
        Optional,
        "Custom MAIL FROM subdomain of the sending domain (needs an MX and an SPF record; \
         lets SPF align under DMARC).",
    ),
    NodeSpec::leaf(
        "configuration-set",
        ValueKind::ConfigurationSetName,
        Optional,
        "SES configuration set the identity sends through by default.",
    ),
    NodeSpec::leaf(
        "adopt",
        ValueKind::Bool,
        Optional,
        "Take over an SES identity that exists already but was not created by mailform; \
         without it such an identity is only read, never changed.",
    )
    .default("#false"),
    NodeSpec::block("tenant", LIBRARY_TENANT, Optional, TENANT_DOC),
];

const SMTP_ACCOUNT: &[NodeSpec] = &[
    NodeSpec::leaf("host", ValueKind::Host, Required, "SMTP server host name."),
    NodeSpec::leaf(
        "port",
        ValueKind::Port,
        Required,
        "SMTP server port (465 for tls, 587 for starttls).",
    ),
    NodeSpec::leaf(
        "security",
        ValueKind::OneOf(SECURITY),
        Required,
        "`tls` (implicit TLS) or `starttls`.",
    ),
    NodeSpec::leaf("username", ValueKind::Text, Required, "SMTP user name."),
    NodeSpec {
        name: "password",
        value: None,
        props: &[PropSpec {
            name: "env",
            kind: ValueKind::EnvName,
            required: true,
            doc: "Environment variable that holds the password: exactly the platform's `smtp-password-env-prefix` and the library id in capitals, `-` as `_`.",
        }],
        children: Children::None,
        occurs: Required,
        group: None,
        default: None,
        secret: true,
        doc: "The password, by reference only: `password env=\"NAME\"`. Never write the password itself.",
    },
    NodeSpec::leaf("from", ValueKind::Email, Required, "Outgoing address."),
    NodeSpec::leaf(
        "google-auth",
        ValueKind::OneOf(GOOGLE_AUTH),
        Optional,
        "For Google accounts: `app-password` (recommended) or `account-password` (unreliable). OAuth is not supported.",
    ),
];

const MANAGED_DOMAIN: &[NodeSpec] = &[
    NodeSpec::leaf(
        "domain",
        ValueKind::Domain,
        Required,
        "The sending-only domain to buy.",
    ),
    NodeSpec::leaf(
        "from",
        ValueKind::Email,
        Required,
        "Outgoing address on that domain.",
    ),
    NodeSpec::leaf(
        "price-cap",
        ValueKind::Usd,
        Optional,
        "Most mailform may pay a year, in US dollars.",
    )
    .default("platform `default-price-cap`"),
    NodeSpec::leaf(
        "years",
        ValueKind::Integer { min: 1, max: 10 },
        Optional,
        "Registration period in years.",
    )
    .default("1"),
    NodeSpec::leaf(
        "auto-renew",
        ValueKind::Bool,
        Optional,
        "Renew automatically.",
    )
    .default("#true"),
    NodeSpec::leaf(
        "transfer-to-aws-account",
        ValueKind::AwsAccountId,
        Optional,
        "Transfer the domain to the library's AWS account.",
    )
    .group("transfer"),
    NodeSpec {
        name: "transfer-to-registrar",
        value: None,
        props: &[],
        children: Children::None,
        occurs: Optional,
        group: Some("transfer"),
        default: None,
        secret: false,
        doc: "Unlock the domain and hand its auth code to the library for another registrar.",
    },
    NodeSpec::leaf(
        "adopt",
        ValueKind::Bool,
        Optional,
        "Take over a domain registered in this account that mailform did not buy (it carries \
         no ownership tags); without it such a domain is only read: never handed over, never \
         changed, and no records are written in its zone.",
    )
    .default("#false"),
    NodeSpec::block("tenant", LIBRARY_TENANT, Optional, TENANT_DOC),
];

const LIBRARY_BODY: &[NodeSpec] = &[
    NodeSpec::leaf("name", ValueKind::Text, Required, "Display name."),
    NodeSpec::leaf(
        "it-contact",
        ValueKind::Email,
        Required,
        "The library's IT contact address.",
    ),
    NodeSpec::leaf("launch", ValueKind::Date, Optional, "Planned launch date."),
    NodeSpec::leaf(
        "time-zone",
        ValueKind::TimeZone,
        Optional,
        "The library's time zone (IANA name, e.g. \"America/Chicago\"): its notices tell deadlines in it. Default: the platform's `notices { time-zone }`.",
    ),
    NodeSpec::block(
        "ses-domain",
        SES_DOMAIN,
        Optional,
        "Method 1: SES domain verification with Easy DKIM (preferred).",
    )
    .group("method"),
    NodeSpec::block(
        "smtp-account",
        SMTP_ACCOUNT,
        Optional,
        "Method 2: the library's own SMTP account.",
    )
    .group("method"),
    NodeSpec::block(
        "managed-domain",
        MANAGED_DOMAIN,
        Optional,
        "Method 3: a sending-only domain mailform buys and runs.",
    )
    .group("method"),
];

/// The top of a library file, `libraries/<id>.kdl`.
pub const LIBRARY_FILE: &[NodeSpec] = &[NodeSpec {
    name: "library",
    value: Some(ValueKind::LibraryId),
    props: &[],
    children: Children::Nodes(LIBRARY_BODY),
    occurs: Required,
    group: None,
    default: None,
    secret: false,
    doc: "One library; its id equals the file's stem.",
}];

const CONTACT_TYPES: &[&str] = crate::model::ContactType::NAMES;

const REGISTRANT: &[NodeSpec] = &[
    NodeSpec::leaf(
        "contact-type",
        ValueKind::OneOf(CONTACT_TYPES),
        Required,
        "Route 53 Domains contact type.",
    ),
    NodeSpec::leaf(
        "organization",
        ValueKind::Text,
        Optional,
        "Organisation name; required unless the type is PERSON.",
    ),
    NodeSpec::leaf("first-name", ValueKind::Text, Required, "First name."),
    NodeSpec::leaf("last-name", ValueKind::Text, Required, "Last name."),
    NodeSpec::leaf("email", ValueKind::Email, Required, "Contact address."),
    NodeSpec::leaf(
        "phone",
        ValueKind::Phone,
        Required,
        "Phone, as +1.5555550100.",
    ),
    NodeSpec::leaf(
        "address-line-1",
        ValueKind::Text,
        Required,
        "Street address.",
    ),
    NodeSpec::leaf(
        "address-line-2",
        ValueKind::Text,
        Optional,
        "Second address line.",
    ),
    NodeSpec::leaf("city", ValueKind::Text, Required, "City."),
    NodeSpec::leaf("state", ValueKind::Text, Optional, "State or province."),
    NodeSpec::leaf(
        "country-code",
        ValueKind::CountryCode,
        Required,
        "ISO 3166 country code.",
    ),
    NodeSpec::leaf("zip-code", ValueKind::Text, Required, "Postal code."),
];

const PLATFORM_BODY: &[NodeSpec] = &[
    NodeSpec::leaf(
        "aws-region",
        ValueKind::AwsRegion,
        Required,
        "Region of the SES account.",
    ),
    NodeSpec::leaf(
        "notice-period-days",
        ValueKind::Integer { min: 0, max: 365 },
        Optional,
        "Days of notice a library gives before launch (the setup document asks two weeks).",
    )
    .default("14"),
    NodeSpec::leaf(
        "domain-quota",
        ValueKind::Integer { min: 1, max: 100_000 },
        Optional,
        "Domains the AWS account may hold in Route 53 Domains (20 unless AWS raised the quota on request): the plan blocks a purchase beyond it instead of failing in the middle of an apply.",
    )
    .default("20"),
    NodeSpec::leaf(
        "default-price-cap",
        ValueKind::Usd,
        Optional,
        "Yearly price cap for managed domains that set none.",
    )
    .default("20.00"),
    NodeSpec::leaf(
        "smtp-password-env-prefix",
        ValueKind::EnvPrefix,
        Optional,
        "Prefix of the SMTP password variables: a library's is this prefix and its id in capitals; \
         variables of AWS, GitHub, CI runners, registries, SSH and GPG are refused whatever it says.",
    )
    .default("MAILFORM_SMTP_PASSWORD_"),
    NodeSpec {
        name: "tags",
        value: None,
        props: &[],
        children: Children::Map(ValueKind::TagValue),
        occurs: Optional,
        group: None,
        default: None,
        secret: false,
        doc: "Tags put on everything mailform creates, one `key \"value\"` per line, besides its own \
              `managed-by` and `library` tags.",
    },
    NodeSpec::block(
        "registrant",
        REGISTRANT,
        Optional,
        "Registrant, admin and tech contact for domains mailform buys; required once a library uses managed-domain.",
    ),
    NodeSpec::block(
        "tenants",
        PLATFORM_TENANTS,
        Optional,
        "SES tenant management, on when this block is there: each library that sends through \
         SES becomes a tenant named after its id (its identity and configuration set \
         associated), so SES judges and pauses each library apart. The platform's senders must \
         name the tenant (SendEmail's `TenantName`).",
    ),
    NodeSpec::block(
        "notices",
        NOTICES,
        Optional,
        "The e-mails mailform sends each library's `it-contact` (`mailform notify`): who they come \
         from, where replies go, the relay that carries them and the ledger that keeps each one \
         to a single sending.",
    ),
    NodeSpec::block(
        "events",
        EVENTS,
        Optional,
        "Where SES's sending events go (bounces, complaints, deliveries, rejects, delays): the \
         configuration set and its event destination, which plan/apply keep, and the SNS \
         topic, the SQS queues and the DynamoDB table, made once (see \"Deliverability\").",
    ),
];

const EVENTS: &[NodeSpec] = &[
    NodeSpec::leaf(
        "configuration-set",
        ValueKind::ConfigurationSetName,
        Required,
        "The platform's SES configuration set: every library without its own sends through it.",
    ),
    NodeSpec::leaf(
        "destination",
        ValueKind::EventDestinationName,
        Optional,
        "The name of the configuration set's event destination mailform keeps: plan/apply \
         create it (and the set, when missing) and bring it back when it drifts; any other \
         destination on the set is left alone.",
    )
    .default("\"mailform-events\""),
    NodeSpec::leaf(
        "sns-topic-arn",
        ValueKind::SnsTopicArn,
        Required,
        "The SNS topic the event destination publishes to (made once, with the queues and the \
         table; see \"Deliverability\").",
    ),
    NodeSpec::leaf(
        "queue-url",
        ValueKind::Text,
        Required,
        "The SQS queue subscribed to the topic, which `mailform events drain` empties.",
    ),
    NodeSpec::leaf(
        "dead-letter-queue-url",
        ValueKind::Text,
        Required,
        "The SQS queue a message that is not an SES event is moved to, for a person to look at.",
    ),
    NodeSpec::leaf(
        "table",
        ValueKind::Text,
        Optional,
        "The DynamoDB table the events are kept in (partition key `pk`, sort key `sk`, strings).",
    )
    .default("\"mailform-events\""),
];

const PLATFORM_TENANTS: &[NodeSpec] = &[
    NodeSpec::leaf(
        "reputation-policy",
        ValueKind::OneOf(REPUTATION_POLICIES),
        Optional,
        "The reputation policy of every library's tenant that names none. `standard`: SES pauses \
         a library whose bounces or complaints are high-impact, and only that library.",
    )
    .default("\"standard\""),
    NodeSpec::leaf(
        "suppression",
        ValueKind::OneOf(crate::model::SuppressionScope::NAMES),
        Optional,
        "The suppression list of every library's tenant that names none: `account` (SES's \
         default), the list all libraries share; `tenant`, each library its own list of the \
         addresses its mail hard-bounced or drew complaints from.",
    )
    .default("\"account\""),
    NodeSpec::leaf(
        "price-per-month",
        ValueKind::UsdRate,
        Optional,
        "What AWS charges a month for each SES tenant, from the account's bill or plan (e.g. \
         0.005 à la carte); `costs` then shows the tenants' charge. Without it `costs` lists no \
         tenant charge.",
    ),
];

const RELAY: &[NodeSpec] = &[
    NodeSpec::leaf(
        "host",
        ValueKind::Host,
        Required,
        "SMTP relay host, e.g. `email-smtp.us-east-1.amazonaws.com` (SES's SMTP interface).",
    ),
    NodeSpec::leaf(
        "port",
        ValueKind::Port,
        Required,
        "Relay port (465 for tls, 587 for starttls).",
    ),
    NodeSpec::leaf(
        "security",
        ValueKind::OneOf(SECURITY),
        Required,
        "`tls` (implicit TLS) or `starttls`.",
    ),
    NodeSpec::leaf(
        "username",
        ValueKind::Text,
        Required,
        "Relay user name (for SES: the SMTP user name).",
    ),
    NodeSpec {
        name: "password",
        value: None,
        props: &[PropSpec {
            name: "env",
            kind: ValueKind::EnvName,
            required: true,
            doc: "Environment variable that holds the relay's password; its name starts with `smtp-password-env-prefix`.",
        }],
        children: Children::None,
        occurs: Required,
        group: None,
        default: None,
        secret: true,
        doc: "The relay's password, by reference only: `password env=\"NAME\"`.",
    },
];

const NOTICES: &[NodeSpec] = &[
    NodeSpec::leaf(
        "from",
        ValueKind::Email,
        Required,
        "The address notices come from (an address the relay may send from).",
    ),
    NodeSpec::leaf(
        "from-name",
        ValueKind::Text,
        Optional,
        "The name shown beside `from` and under each notice, e.g. \"Library Market\".",
    ),
    NodeSpec::leaf(
        "reply-to",
        ValueKind::Email,
        Required,
        "The platform's support address: a library's reply goes here.",
    ),
    NodeSpec::leaf(
        "ledger-table",
        ValueKind::Text,
        Optional,
        "The DynamoDB table that records each notice sent (see \"Notices\").",
    )
    .default("\"mailform-notices\""),
    NodeSpec::leaf(
        "send-rate",
        ValueKind::Integer { min: 1, max: 1000 },
        Optional,
        "Messages a second at most: the relay's sending rate (SES: the account's maximum send rate).",
    )
    .default("1"),
    NodeSpec::leaf(
        "time-zone",
        ValueKind::TimeZone,
        Optional,
        "The time zone (IANA name) notices tell deadlines in for a library that names none.",
    )
    .default("\"UTC\""),
    NodeSpec::block(
        "relay",
        RELAY,
        Required,
        "The SMTP relay notices are sent through (STARTTLS or TLS, AUTH).",
    ),
];

/// The top of the platform file, `libraries/_platform.kdl`.
pub const PLATFORM_FILE: &[NodeSpec] = &[NodeSpec::block(
    "platform",
    PLATFORM_BODY,
    Required,
    "Platform-wide settings.",
)];

/// The platform file's stem. It starts with `_`, which no library id can, so the two never
/// collide.
pub const PLATFORM_STEM: &str = "_platform";

/// Which schema a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Library,
    Platform,
}

impl FileKind {
    pub fn of_stem(stem: &str) -> Self {
        if stem == PLATFORM_STEM {
            FileKind::Platform
        } else {
            FileKind::Library
        }
    }

    pub fn top(self) -> &'static [NodeSpec] {
        match self {
            FileKind::Library => LIBRARY_FILE,
            FileKind::Platform => PLATFORM_FILE,
        }
    }
}

/// The schema of one file kind as a KDL document (what `schemas/*.schema.kdl` holds).
pub fn schema_document(kind: FileKind) -> String {
    let mut out = String::new();
    let (title, file) = match kind {
        FileKind::Library => ("library file", "libraries/<library-id>.kdl"),
        FileKind::Platform => ("platform file", "libraries/_platform.kdl"),
    };
    let _ = writeln!(out, "// Schema of the mailform {title}: {file}");
    let _ = writeln!(
        out,
        "// Generated from src/schema.rs by `mailform schema`; do not edit by hand."
    );
    for spec in kind.top() {
        write_schema_node(&mut out, spec, 0);
    }
    out
}

fn write_schema_node(out: &mut String, spec: &NodeSpec, depth: usize) {
    let pad = "    ".repeat(depth);
    let _ = write!(out, "{pad}node {}", quote(spec.name));
    let _ = write!(
        out,
        " required={}",
        if spec.occurs == Required {
            "#true"
        } else {
            "#false"
        }
    );
    if let Some(group) = spec.group {
        let _ = write!(out, " one-of={}", quote(group));
    }
    let _ = writeln!(out, " {{");
    let inner = "    ".repeat(depth + 1);
    let _ = writeln!(out, "{inner}doc {}", quote(spec.doc));
    if let Some(kind) = spec.value {
        write_kind(out, &inner, "value", &kind, None);
    }
    if spec.secret {
        let _ = writeln!(out, "{inner}secret #true");
    }
    if let Some(default) = spec.default {
        let _ = writeln!(out, "{inner}default {}", quote(default));
    }
    for prop in spec.props {
        write_kind(out, &inner, "prop", &prop.kind, Some(prop));
    }
    match spec.children {
        Children::None => {}
        Children::Map(kind) => write_kind(out, &inner, "map", &kind, None),
        Children::Nodes(children) => {
            for child in children {
                write_schema_node(out, child, depth + 1);
            }
        }
    }
    let _ = writeln!(out, "{pad}}}");
}

fn write_kind(out: &mut String, pad: &str, what: &str, kind: &ValueKind, prop: Option<&PropSpec>) {
    let _ = write!(out, "{pad}{what}");
    if let Some(prop) = prop {
        let _ = write!(out, " {}", quote(prop.name));
    }
    let _ = write!(out, " type={}", quote(kind.schema_name()));
    match kind {
        ValueKind::Integer { min, max } => {
            let _ = write!(out, " min={min} max={max}");
        }
        ValueKind::OneOf(words) => {
            for w in *words {
                let _ = write!(out, " {}", quote(w));
            }
        }
        ValueKind::IntegerOneOf(values) => {
            for v in *values {
                let _ = write!(out, " {v}");
            }
        }
        _ => {}
    }
    if let Some(prop) = prop {
        let _ = write!(
            out,
            " required={}",
            if prop.required { "#true" } else { "#false" }
        );
    }
    let _ = writeln!(out);
}

/// The README's configuration reference, generated from the same tables.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    for (kind, title) in [
        (
            FileKind::Library,
            "Library files: `libraries/<library-id>.kdl`",
        ),
        (
            FileKind::Platform,
            "The platform file: `libraries/_platform.kdl`",
        ),
    ] {
        let _ = writeln!(out, "#### {title}\n");
        let _ = writeln!(out, "| node | value | required | default | meaning |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for spec in kind.top() {
            reference_rows(&mut out, spec, "");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "Exactly one of `ses-domain`, `smtp-account`, `managed-domain`; at most one of \
         `transfer-to-aws-account`, `transfer-to-registrar`."
    );
    out
}

fn reference_rows(out: &mut String, spec: &NodeSpec, parent: &str) {
    let path = if parent.is_empty() {
        format!("`{}`", spec.name)
    } else {
        format!("{parent} › `{}`", spec.name)
    };
    let mut value = match (spec.value, spec.props.first(), &spec.children) {
        (Some(kind), _, _) => kind.describe(),
        (None, Some(prop), _) => format!("`{}=` {}", prop.name, prop.kind.describe()),
        (None, None, Children::Map(kind)) => format!("`key` {}, per line", kind.describe()),
        (None, None, Children::Nodes(_)) => "block".into(),
        (None, None, Children::None) => "flag (no value)".into(),
    };
    value = value.replace('|', "\\|");
    let required = match (spec.occurs, spec.group) {
        (_, Some(g)) if group(g).is_some_and(|g| g.required) => "one of group",
        (_, Some(_)) => "at most one of group",
        (Required, None) => "yes",
        (Optional, None) => "no",
    };
    let default = spec.default.unwrap_or("");
    let _ = writeln!(
        out,
        "| {path} | {value} | {required} | {default} | {} |",
        spec.doc.replace('|', "\\|")
    );
    for child in spec.child_nodes() {
        reference_rows(out, child, &path);
    }
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// All names known among a node's children, for did-you-mean.
pub fn child_names(children: &[NodeSpec]) -> impl Iterator<Item = &'static str> + '_ {
    children.iter().map(|c| c.name)
}
