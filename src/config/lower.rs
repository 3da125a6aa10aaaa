//! Checked documents → the typed model, plus the checks that need several values at once:
//! the id against the file name, port against security, Google's modes, the outgoing address
//! against the managed domain, launch dates against the notice period, and across files
//! duplicate ids and shared sending domains.

use std::collections::BTreeMap;
use std::ops::Range;

use kdl::{KdlDocument, KdlEntry, KdlNode};

use super::check::name_span;
use super::{AnalyzeOptions, values};
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::model::*;
use crate::schema::{FileKind, PLATFORM_STEM};
use crate::secret::DEFAULT_SMTP_PASSWORD_ENV_PREFIX;
use crate::source::SourceSet;

const DEFAULT_NOTICE_DAYS: u32 = 14;
const DEFAULT_PRICE_CAP_CENTS: u64 = 2000;
/// `standard`: SES pauses a library only on a high-impact finding, and only that library, so
/// one library mailing stale addresses no longer puts the whole account under review; `strict`
/// would pause on low-impact findings too, `none` would give no isolation at all.
const DEFAULT_REPUTATION_POLICY: ReputationPolicy = ReputationPolicy::Standard;

/// Hosts of Google's SMTP service, where `google-auth` applies.
const GOOGLE_HOSTS: &[&str] = &[
    "smtp.gmail.com",
    "smtp.googlemail.com",
    "smtp-relay.gmail.com",
];

fn span(s: miette::SourceSpan) -> Range<usize> {
    s.offset()..s.offset() + s.len()
}

/// A node's children by name (the first of each; doubles were reported by the checker).
struct Fields<'a> {
    nodes: BTreeMap<&'a str, &'a KdlNode>,
}

impl<'a> Fields<'a> {
    fn of(doc: Option<&'a KdlDocument>) -> Self {
        let mut nodes = BTreeMap::new();
        for node in doc.map(KdlDocument::nodes).unwrap_or_default() {
            nodes.entry(node.name().value()).or_insert(node);
        }
        Fields { nodes }
    }

    fn node(&self, name: &str) -> Option<&'a KdlNode> {
        self.nodes.get(name).copied()
    }

    fn arg(&self, name: &str) -> Option<&'a KdlEntry> {
        self.node(name)
            .and_then(|n| n.entries().iter().find(|e| e.name().is_none()))
    }

    fn str(&self, name: &str) -> Option<&'a str> {
        self.arg(name).and_then(|e| e.value().as_string())
    }

    fn int(&self, name: &str) -> Option<i128> {
        self.arg(name).and_then(|e| e.value().as_integer())
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.arg(name).and_then(|e| e.value().as_bool())
    }

    fn span(&self, name: &str) -> Option<Range<usize>> {
        self.arg(name)
            .map(|e| span(e.span()))
            .or_else(|| self.node(name).map(name_span))
    }

    fn email(&self, name: &str) -> Option<EmailAddress> {
        self.str(name).and_then(|s| EmailAddress::parse(s).ok())
    }

    fn domain(&self, name: &str) -> Option<DomainName> {
        self.str(name).and_then(|s| DomainName::parse(s).ok())
    }

    fn usd(&self, name: &str) -> Option<Usd> {
        self.arg(name).and_then(|e| values::usd(e).ok())
    }
}

/// A library as lowered, with the places later checks point at.
struct Lowered {
    file: FileId,
    library: Library,
    id_span: Range<usize>,
    identity_span: Range<usize>,
}

pub(super) fn lower(
    sources: &SourceSet,
    parsed: &[(FileId, FileKind, KdlDocument)],
    opts: &AnalyzeOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let clean = |file: FileId, diagnostics: &[Diagnostic]| {
        !diagnostics.iter().any(|d| {
            d.severity == Severity::Error && d.location.as_ref().is_some_and(|l| l.file == file)
        })
    };
    let mut all_clean = parsed.iter().all(|(f, ..)| clean(*f, diagnostics));

    let platforms: Vec<&(FileId, FileKind, KdlDocument)> = parsed
        .iter()
        .filter(|(_, kind, _)| *kind == FileKind::Platform)
        .collect();
    let prefix = platforms
        .first()
        .and_then(|(_, _, doc)| password_env_prefix(doc))
        .unwrap_or(DEFAULT_SMTP_PASSWORD_ENV_PREFIX);
    let platform = match platforms.as_slice() {
        [] => {
            let platform_failed_to_parse = sources.iter().any(|(_, f)| f.stem() == PLATFORM_STEM);
            if !platform_failed_to_parse && parsed.iter().any(|(_, k, _)| *k == FileKind::Library) {
                diagnostics.push(
                    Diagnostic::error(
                        "config::missing-platform",
                        format!("no platform file `{PLATFORM_STEM}.kdl` was found"),
                    )
                    .help(format!(
                        "create libraries/{PLATFORM_STEM}.kdl with a `platform {{ … }}` block (see the README), \
                         or pass the directory that holds it"
                    )),
                );
            }
            all_clean = false;
            None
        }
        [(file, _, doc), rest @ ..] => {
            for (other, _, _) in rest {
                diagnostics.push(
                    Diagnostic::error("config::duplicate-platform", "more than one platform file")
                        .at(*other, 0..0)
                        .help("keep one `_platform.kdl`")
                        .note("the first one", *file, 0..0),
                );
            }
            let source = sources.get(*file);
            let place = EnvPlace {
                file: *file,
                text: source.text(),
                prefix,
                owner: None,
            };
            lower_platform(&place, doc, diagnostics)
        }
    };
    let mut lowered: Vec<Lowered> = Vec::new();
    for (file, kind, doc) in parsed {
        // Lowered even with errors elsewhere in the file: each check below runs when the
        // values it needs are valid, so one mistake does not hide another.
        if *kind != FileKind::Library {
            continue;
        }
        let file_clean_before = clean(*file, diagnostics);
        let platform = Settings {
            platform: platform.as_ref(),
            password_env_prefix: prefix,
        };
        if let Some(l) = lower_library(sources, *file, doc, &platform, opts, diagnostics)
            && file_clean_before
        {
            lowered.push(l);
        }
    }
    cross_checks(&lowered, diagnostics);

    let all_clean = all_clean && parsed.iter().all(|(f, ..)| clean(*f, diagnostics));
    match (platform, all_clean) {
        (Some(platform), true) => Some(Config {
            platform,
            libraries: lowered.into_iter().map(|l| l.library).collect(),
        }),
        _ => None,
    }
}

/// What a library's lowering needs of the platform file.
struct Settings<'a> {
    platform: Option<&'a Platform>,
    password_env_prefix: &'a str,
}

/// The platform's `smtp-password-env-prefix` when it is set and allowed (a refused one was
/// reported by the schema walk; libraries are then checked against the default).
fn password_env_prefix(doc: &KdlDocument) -> Option<&str> {
    let top = doc
        .nodes()
        .iter()
        .find(|n| n.name().value() == "platform")?;
    let prefix = Fields::of(top.children()).str("smtp-password-env-prefix")?;
    (crate::source::is_env_name(prefix) && crate::secret::refused_env_prefix(prefix).is_none())
        .then_some(prefix)
}

fn lower_platform(
    place: &EnvPlace<'_>,
    doc: &KdlDocument,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Platform> {
    let file = place.file;
    let top = doc
        .nodes()
        .iter()
        .find(|n| n.name().value() == "platform")?;
    let f = Fields::of(top.children());
    let tags = f
        .node("tags")
        .and_then(KdlNode::children)
        .map(|children| {
            children
                .nodes()
                .iter()
                .filter_map(|n| {
                    let value = n.entries().first()?.value().as_string()?;
                    Some((n.name().value().to_string(), value.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let registrant = f.node("registrant").and_then(|node| {
        let r = Fields::of(node.children());
        let contact_type = ContactType::parse(r.str("contact-type")?)?;
        let organization = r.str("organization").map(str::to_string);
        if contact_type != ContactType::Person && organization.is_none() {
            diagnostics.push(
                Diagnostic::error(
                    "config::missing-field",
                    "`organization` is missing in `registrant`",
                )
                .at(file, name_span(node))
                .label("needs `organization`")
                .help("Route 53 Domains needs an organisation name unless `contact-type` is \"PERSON\""),
            );
            return None;
        }
        Some(Contact {
            contact_type,
            organization,
            first_name: r.str("first-name")?.to_string(),
            last_name: r.str("last-name")?.to_string(),
            email: r.email("email")?,
            phone: r.str("phone")?.to_string(),
            address_line_1: r.str("address-line-1")?.to_string(),
            address_line_2: r.str("address-line-2").map(str::to_string),
            city: r.str("city")?.to_string(),
            state: r.str("state").map(str::to_string),
            country_code: r.str("country-code")?.to_string(),
            zip_code: r.str("zip-code")?.to_string(),
        })
    });
    Some(Platform {
        aws_region: f.str("aws-region")?.to_string(),
        tags,
        notice_period_days: f
            .int("notice-period-days")
            .map_or(DEFAULT_NOTICE_DAYS, |d| d as u32),
        domain_quota: f
            .int("domain-quota")
            .map_or(DEFAULT_DOMAIN_QUOTA, |d| d as usize),
        default_price_cap: f
            .usd("default-price-cap")
            .unwrap_or(Usd::from_cents(DEFAULT_PRICE_CAP_CENTS)),
        registrant,
        notices: match f.node("notices") {
            Some(node) => Some(lower_notices(place, node, diagnostics)?),
            None => None,
        },
        tenants: f.node("tenants").map(|t| TenantDefaults {
            reputation_policy: Fields::of(t.children())
                .str("reputation-policy")
                .and_then(ReputationPolicy::parse)
                .unwrap_or(DEFAULT_REPUTATION_POLICY),
            suppression: Fields::of(t.children())
                .str("suppression")
                .and_then(SuppressionScope::parse)
                .unwrap_or(SuppressionScope::Account),
            price_per_month: Fields::of(t.children())
                .arg("price-per-month")
                .and_then(|e| values::usd_rate(e).ok()),
        }),
        events: match f.node("events") {
            Some(node) => {
                let e = Fields::of(node.children());
                Some(EventSettings {
                    configuration_set: e.str("configuration-set")?.to_string(),
                    destination: e
                        .str("destination")
                        .unwrap_or(DEFAULT_EVENT_DESTINATION)
                        .to_string(),
                    topic_arn: e.str("sns-topic-arn")?.to_string(),
                    queue_url: e.str("queue-url")?.to_string(),
                    dead_letter_queue_url: e.str("dead-letter-queue-url")?.to_string(),
                    table: e.str("table").unwrap_or(DEFAULT_EVENTS_TABLE).to_string(),
                })
            }
            None => None,
        },
    })
}

/// A `tenant` block needs the platform to manage tenants: otherwise it would be silently
/// ignored, and a `sending "paused"` meant to stop a library would stop nothing.
fn tenants_on(
    file: FileId,
    m: &Fields<'_>,
    platform: Option<&Platform>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(node) = m.node("tenant") else {
        return true;
    };
    if platform.is_none_or(|p| p.tenants.is_some()) {
        return true;
    }
    diagnostics.push(
        Diagnostic::error(
            "config::tenants-off",
            "this library sets its SES tenant, but the platform does not manage SES tenants",
        )
        .at(file, name_span(node))
        .label("no effect without the platform's `tenants` block")
        .help("add `tenants { }` to libraries/_platform.kdl (see \"SES tenants\" in the README), or remove this block"),
    );
    false
}

/// A method's `tenant { … }` block; a policy it does not name is the platform's.
fn lower_tenant(m: &Fields<'_>, platform: Option<&Platform>) -> TenantSettings {
    let t = m.node("tenant").map(|n| Fields::of(n.children()));
    let field = |name| t.as_ref().and_then(|t| t.str(name));
    TenantSettings {
        reputation_policy: field("reputation-policy")
            .and_then(ReputationPolicy::parse)
            .or(platform
                .and_then(|p| p.tenants)
                .map(|t| t.reputation_policy))
            .unwrap_or(DEFAULT_REPUTATION_POLICY),
        sending: match field("sending") {
            Some("paused") => TenantSending::Paused,
            _ => TenantSending::Enabled,
        },
        suppression: platform.and_then(|p| p.tenants).map(|defaults| {
            field("suppression")
                .and_then(SuppressionScope::parse)
                .unwrap_or(defaults.suppression)
        }),
    }
}

/// The platform's `notices { … }` block.
fn lower_notices(
    place: &EnvPlace<'_>,
    node: &KdlNode,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<NoticeSettings> {
    let n = Fields::of(node.children());
    let r = Fields::of(n.node("relay")?.children());
    let password = password_env(place, &r, diagnostics)?;
    Some(NoticeSettings {
        from: n.email("from")?,
        from_name: n.str("from-name").map(str::to_string),
        reply_to: n.email("reply-to")?,
        ledger_table: n
            .str("ledger-table")
            .unwrap_or(DEFAULT_LEDGER_TABLE)
            .to_string(),
        send_rate: n.int("send-rate").map_or(1, |r| r as u32),
        time_zone: n
            .str("time-zone")
            .and_then(|z| TimeZoneName::parse(z).ok())
            .unwrap_or_else(TimeZoneName::utc),
        relay: Relay {
            host: r.str("host")?.to_ascii_lowercase(),
            port: r.int("port").and_then(|p| u16::try_from(p).ok())?,
            security: match r.str("security")? {
                "tls" => SmtpSecurity::Tls,
                _ => SmtpSecurity::StartTls,
            },
            username: r.str("username")?.to_string(),
            password,
        },
    })
}

fn lower_library(
    sources: &SourceSet,
    file: FileId,
    doc: &KdlDocument,
    settings: &Settings<'_>,
    opts: &AnalyzeOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Lowered> {
    let platform = settings.platform;
    let top = doc.nodes().iter().find(|n| n.name().value() == "library")?;
    let id_entry = top.entries().iter().find(|e| e.name().is_none())?;
    let id_span = span(id_entry.span());
    let id = LibraryId::parse(id_entry.value().as_string()?).ok()?;
    let stem = sources.get(file).stem();
    if id.as_str() != stem {
        diagnostics.push(
            Diagnostic::error(
                "config::id-mismatch",
                format!("library id `{id}` differs from the file name `{stem}.kdl`"),
            )
            .at(file, id_span.clone())
            .label("this id")
            .help(format!(
                "the id is the file's stem: rename the file to `{id}.kdl` or write `library \"{stem}\"`"
            )),
        );
    }
    let f = Fields::of(top.children());
    let mut ok = true;
    let launch = f.str("launch").and_then(|s| Date::parse(s).ok());
    if let (Some(launch), Some(platform)) = (launch, platform) {
        let days_left = opts.today.days_until(&launch);
        let notice = i64::from(platform.notice_period_days);
        if LaunchWindow::of(days_left, platform.notice_period_days) == LaunchWindow::Inside {
            diagnostics.push(
                Diagnostic::warning(
                    "config::launch-too-soon",
                    format!(
                        "launch on {launch} is {days_left} day{} away, inside the {notice}-day notice period",
                        if days_left == 1 { "" } else { "s" }
                    ),
                )
                .at(file, f.span("launch").unwrap_or(id_span.clone()))
                .label("launch date")
                .help(format!(
                    "the setup document asks for {notice} days to set up mail; agree a later date \
                     with the library or make sure the setup is ready in time"
                )),
            );
        }
    }

    let (method, identity_span) = if let Some(node) = f.node("ses-domain") {
        let m = Fields::of(node.children());
        let from = m.email("from")?;
        let mail_from = m.domain("mail-from");
        // A placeholder `from` stands for the domain it names, so the MAIL FROM live state
        // gave `mailform import` is judged against that domain (`plan` refuses the file anyway
        // until the address is written).
        let sending = values::placeholder_for(from.domain());
        if let Some(mf) = &mail_from
            && !mf.is_strict_subdomain_of(sending.as_ref().unwrap_or(from.domain()))
        {
            ok = false;
            diagnostics.push(
                Diagnostic::error(
                    "config::mail-from-domain",
                    format!(
                        "MAIL FROM domain `{mf}` is not a subdomain of `{}`",
                        from.domain()
                    ),
                )
                .at(file, m.span("mail-from").unwrap_or(name_span(node)))
                .label("not under the sending domain")
                .help(format!(
                    "SES needs a custom MAIL FROM under the identity, e.g. \"bounce.{}\"",
                    from.domain()
                )),
            );
        }
        let method = DeliveryMethod::SesDomain(SesDomain {
            from,
            dkim_key_length: match m.int("dkim-key-length") {
                Some(1024) => DkimKeyLength::Rsa1024,
                _ => DkimKeyLength::Rsa2048,
            },
            mail_from,
            configuration_set: m.str("configuration-set").map(str::to_string),
            adopt: m.bool("adopt").unwrap_or(false),
            tenant: lower_tenant(&m, platform),
        });
        ok &= tenants_on(file, &m, platform, diagnostics);
        (method, m.span("from").unwrap_or(name_span(node)))
    } else if let Some(node) = f.node("smtp-account") {
        let m = Fields::of(node.children());
        let source = sources.get(file);
        let place = EnvPlace {
            file,
            text: source.text(),
            prefix: settings.password_env_prefix,
            owner: Some(&id),
        };
        let account = lower_smtp(&place, &m, diagnostics, &mut ok)?;
        // The relay's password is the platform's: a library naming it would have the probe
        // hand it to the SMTP server this file names.
        let SecretRef::Env(env) = &account.password;
        if let Some(relay) = platform.and_then(|p| p.notices.as_ref()).map(|n| &n.relay)
            && relay.password.as_str() == env.as_str()
        {
            ok = false;
            let at = m
                .node("password")
                .and_then(|n| n.entries().iter().find(|e| e.name().is_some()))
                .map(|e| span(e.span()))
                .or_else(|| m.span("password"))
                .unwrap_or(0..0);
            diagnostics.push(
                Diagnostic::error(
                    "config::password-env-not-allowed",
                    format!("`{env}` holds the notice relay's password (the platform file's `notices {{ relay {{ password env=… }} }}`)"),
                )
                .at(file, at)
                .label("the relay's password")
                .help(format!(
                    "the probe sends this variable's value to the SMTP server named here; the platform's relay needs a variable no library's id gives: rename it in the platform file (the library's own is env=\"{env}\")"
                )),
            );
        }
        (DeliveryMethod::SmtpAccount(account), name_span(node))
    } else if let Some(node) = f.node("managed-domain") {
        let m = Fields::of(node.children());
        if platform.is_some_and(|p| p.registrant.is_none()) {
            ok = false;
            diagnostics.push(
                Diagnostic::error(
                    "config::missing-registrant",
                    "a managed domain needs the platform's registrant contact",
                )
                .at(file, name_span(node))
                .label("buys a domain")
                .help("add a `registrant { … }` block to libraries/_platform.kdl"),
            );
        }
        let domain = m.domain("domain")?;
        let from = m.email("from")?;
        // A placeholder on the managed domain (`noreply@DOMAIN.invalid`) is on it.
        if from.domain() != &domain
            && values::placeholder_for(from.domain()).as_ref() != Some(&domain)
        {
            ok = false;
            diagnostics.push(
                Diagnostic::error(
                    "config::from-not-on-domain",
                    format!("the outgoing address `{from}` is not on the managed domain `{domain}`"),
                )
                .at(file, m.span("from").unwrap_or(name_span(node)))
                .label("not on the managed domain")
                .help(format!(
                    "mail from a managed domain is sent from an address on it, e.g. \"noreply@{domain}\""
                ))
                .note("the managed domain", file, m.span("domain").unwrap_or(name_span(node))),
            );
        }
        let transfer = if let Some(account) = m.str("transfer-to-aws-account") {
            Some(TransferRequest::ToAwsAccount(account.to_string()))
        } else if m.node("transfer-to-registrar").is_some() {
            Some(TransferRequest::ToRegistrar)
        } else {
            None
        };
        let method = DeliveryMethod::ManagedDomain(ManagedDomain {
            price_cap: m
                .usd("price-cap")
                .or(platform.map(|p| p.default_price_cap))
                .unwrap_or(Usd::from_cents(DEFAULT_PRICE_CAP_CENTS)),
            years: m.int("years").map_or(1, |y| y as u8),
            auto_renew: m.bool("auto-renew").unwrap_or(true),
            transfer,
            adopt: m.bool("adopt").unwrap_or(false),
            tenant: lower_tenant(&m, platform),
            domain,
            from,
        });
        ok &= tenants_on(file, &m, platform, diagnostics);
        (method, m.span("domain").unwrap_or(name_span(node)))
    } else {
        return None;
    };

    let library = Library {
        id,
        name: f.str("name")?.to_string(),
        it_contact: f.email("it-contact")?,
        launch,
        time_zone: f.str("time-zone").and_then(|z| TimeZoneName::parse(z).ok()),
        method,
    };
    ok.then_some(Lowered {
        file,
        library,
        id_span,
        identity_span,
    })
}

/// Where a `password env=` is checked, against which prefix, and for whom.
struct EnvPlace<'a> {
    file: FileId,
    text: &'a str,
    prefix: &'a str,
    /// The library whose file this is; `None` in the platform file (the relay's password).
    /// A library's password variable is derived from its id: the file may only repeat it.
    owner: Option<&'a LibraryId>,
}

fn lower_smtp(
    place: &EnvPlace<'_>,
    m: &Fields<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    ok: &mut bool,
) -> Option<SmtpAccount> {
    let file = place.file;
    let host = m.str("host").map(str::to_ascii_lowercase);
    let port = m.int("port").and_then(|p| u16::try_from(p).ok());
    let security = m.str("security").and_then(|s| match s {
        "tls" => Some(SmtpSecurity::Tls),
        "starttls" => Some(SmtpSecurity::StartTls),
        _ => None,
    });
    if let (Some(port), Some(security), Some(port_span), Some(security_span)) =
        (port, security, m.span("port"), m.span("security"))
    {
        match (port, security) {
            // A STARTTLS client on 465 waits for a plain greeting the server never sends in
            // the clear: it cannot work against any conforming server.
            (465, SmtpSecurity::StartTls) => {
                *ok = false;
                diagnostics.push(
                    Diagnostic::error(
                        "config::port-security",
                        "port 465 speaks implicit TLS, but `security` is \"starttls\"",
                    )
                    .at(file, port_span)
                    .label("implicit-TLS port")
                    .help("write `security \"tls\"` for port 465, or use port 587 with \"starttls\"")
                    .note("security set here", file, security_span),
                );
            }
            // Implicit TLS on 587 is non-standard (RFC 8314 assigns 465) but a few servers do
            // it; the probe settles it, so this is a warning.
            (587, SmtpSecurity::Tls) => diagnostics.push(
                Diagnostic::warning(
                    "config::port-security",
                    "port 587 normally speaks STARTTLS, but `security` is \"tls\"",
                )
                .at(file, port_span)
                .label("STARTTLS port")
                .help("most servers want `security \"starttls\"` on 587 (or port 465 with \"tls\"); keep this only if the provider documents implicit TLS on 587")
                .note("security set here", file, security_span),
            ),
            _ => {}
        }
    }
    let is_google = host.as_deref().is_some_and(|h| GOOGLE_HOSTS.contains(&h));
    let google_span = m.span("google-auth");
    let google = match (m.str("google-auth"), google_span) {
        (Some("oauth"), Some(at)) => {
            *ok = false;
            diagnostics.push(
                Diagnostic::error(
                    "config::google-oauth",
                    "OAuth is not supported for Google accounts",
                )
                .at(file, at)
                .label("unsupported")
                .help("create an App Password (Google account → Security → 2-Step Verification → App passwords) and write `google-auth \"app-password\"`"),
            );
            None
        }
        (Some("account-password"), Some(at)) => {
            diagnostics.push(
                Diagnostic::warning(
                    "config::google-account-password",
                    "signing in to Google with the account password is unreliable",
                )
                .at(file, at)
                .label("account password")
                .help("Google limits and periodically re-blocks password sign-ins over SMTP; an App Password is recommended: `google-auth \"app-password\"`"),
            );
            Some(GoogleAuth::AccountPassword)
        }
        (Some("app-password"), _) => Some(GoogleAuth::AppPassword),
        (None, _) if is_google => {
            if let (Some(host), Some(at)) = (&host, m.span("host")) {
                diagnostics.push(
                    Diagnostic::warning(
                        "config::google-auth-missing",
                        format!("`{host}` is Google's server, but `google-auth` is not set"),
                    )
                    .at(file, at)
                    .label("a Google host")
                    .help("write `google-auth \"app-password\"` (recommended) or \"account-password\"; it tells the probe what to check"),
                );
            }
            None
        }
        _ => None,
    };
    let Some(password) = password_env(place, m, diagnostics) else {
        *ok = false;
        return None;
    };
    Some(SmtpAccount {
        host: host?,
        port: port?,
        security: security?,
        username: m.str("username")?.to_string(),
        password: SecretRef::Env(password),
        from: m.email("from")?,
        google,
    })
}

/// The variable a `password env="…"` child of `fields` names, when it may hold a password;
/// a refused one is reported. `None` also when the node is missing or malformed (reported by
/// the schema walk, without echoing what may be the password itself).
///
/// In a library file the one variable allowed is the one derived from the library's id
/// ([`crate::secret::library_password_env`]): the probe sends its value to the server this
/// file names, so a file that could choose its variable could have another library's password
/// sent to a server of its own choosing.
fn password_env(
    place: &EnvPlace<'_>,
    fields: &Fields<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<PasswordEnv> {
    let entry = fields
        .node("password")?
        .entries()
        .iter()
        .find(|e| e.name().is_some_and(|n| n.value() == "env"))?;
    let env = entry.value().as_string()?;
    if !crate::source::is_env_name(env) {
        return None;
    }
    let at = span(entry.span());
    let expected = place
        .owner
        .map(|id| crate::secret::library_password_env(id.as_str(), place.prefix));
    let named = PasswordEnv::new(env, place.prefix).map_err(PasswordEnvRefusal::Refused);
    let named = match (named, &expected) {
        (Ok(_), Some(expected)) if env != expected => Err(PasswordEnvRefusal::NotTheLibrarys),
        (named, _) => named,
    };
    named
        .map_err(|e| {
            diagnostics.push(password_env_refused(
                place,
                env,
                &e,
                expected.as_deref(),
                at,
            ))
        })
        .ok()
}

/// Why a `password env=` is refused.
enum PasswordEnvRefusal {
    /// Not a password variable at all.
    Refused(PasswordEnvError),
    /// A password variable, but not the one derived from the library's id.
    NotTheLibrarys,
}

/// A `password env=` naming a variable that may not hold this file's SMTP password. The probe
/// sends the variable's value to the server the file names, so naming `AWS_SECRET_ACCESS_KEY`
/// (or another library's password variable) there would hand it to whoever runs that server.
fn password_env_refused(
    place: &EnvPlace<'_>,
    env: &str,
    error: &PasswordEnvRefusal,
    expected: Option<&str>,
    entry: Range<usize>,
) -> Diagnostic {
    let prefix = place.prefix;
    // The label points at the value, after `env=`.
    let value = place
        .text
        .get(entry.clone())
        .and_then(|t| t.find('='))
        .map(|eq| {
            let after = &place.text[entry.start + eq + 1..entry.end];
            entry.start + eq + 1 + (after.len() - after.trim_start().len())..entry.end
        })
        .unwrap_or(entry);
    let (message, label) = match error {
        PasswordEnvRefusal::Refused(PasswordEnvError::Refused(why)) => (
            format!("`{env}` may not hold an SMTP password: {why}"),
            "refused variable",
        ),
        PasswordEnvRefusal::Refused(PasswordEnvError::OutsidePrefix(_)) => (
            format!(
                "`{env}` does not start with `{prefix}`, the prefix of SMTP password variables"
            ),
            "not a password variable",
        ),
        PasswordEnvRefusal::NotTheLibrarys => (
            format!("`{env}` is not this library's password variable"),
            "another variable",
        ),
    };
    let help = match (expected, place.owner) {
        (Some(expected), Some(id)) => format!(
            "the probe sends this variable's value to the SMTP server named here, so a library's \
             password variable is derived from its id: write env=\"{expected}\" (the platform's \
             `smtp-password-env-prefix` and `{id}` in capitals, `-` as `_`), and keep the password \
             in CI's secret under that name"
        ),
        _ => format!(
            "the probe sends this variable's value to the SMTP server named here; keep the \
             password in a variable of its own that starts with `{prefix}` (the platform's \
             `smtp-password-env-prefix` sets the prefix)"
        ),
    };
    Diagnostic::error("config::password-env-not-allowed", message)
        .at(place.file, value)
        .label(label)
        .help(help)
}

/// Checks across files: one file per id, one library per SES identity.
fn cross_checks(lowered: &[Lowered], diagnostics: &mut Vec<Diagnostic>) {
    let mut ids: BTreeMap<&LibraryId, &Lowered> = BTreeMap::new();
    let mut identities: BTreeMap<&DomainName, &Lowered> = BTreeMap::new();
    for l in lowered {
        if let Some(first) = ids.get(&l.library.id) {
            diagnostics.push(
                Diagnostic::error(
                    "config::duplicate-id",
                    format!("library id `{}` is declared by two files", l.library.id),
                )
                .at(l.file, l.id_span.clone())
                .label("declared again")
                .help("each library has one file; merge them or give one a new id")
                .note("first declared here", first.file, first.id_span.clone()),
            );
        } else {
            ids.insert(&l.library.id, l);
        }
        if let Some(domain) = l.library.method.ses_identity() {
            if let Some(first) = identities.get(domain) {
                diagnostics.push(
                    Diagnostic::error(
                        "config::shared-domain",
                        format!(
                            "`{domain}` is already the sending domain of library `{}`",
                            first.library.id
                        ),
                    )
                    .at(l.file, l.identity_span.clone())
                    .label("same SES identity")
                    .help("one SES identity belongs to one library; use a subdomain such as \"notices.<domain>\" for the second library")
                    .note(
                        format!("used by `{}` here", first.library.id),
                        first.file,
                        first.identity_span.clone(),
                    ),
                );
            } else {
                identities.insert(domain, l);
            }
        }
    }
}
