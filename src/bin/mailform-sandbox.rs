//! `mailform-sandbox`: runs the local AWS sandbox, or drives a running one
//! through its admin API (the library's DNS, the clock, faults, the log), or
//! shows mailform's main job on it (`demo`: plan → apply → plan, then the status page, the
//! notices due as a dry run, and each SES library's deliverability of simulator mail).
//!
//! Glue only: everything it does is in `mailform::sandbox` and, for `demo`,
//! mailform's own commands (`mailform::cli::run`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[path = "mailform-sandbox/demo_events.rs"]
mod demo_events;
use mailform::sandbox::{
    AdminClient, Availability, FaultKind, FaultRule, Ports, RateLimits, RecordInput,
    ReputationFinding, Sandbox, SandboxConfig, Service, parse_duration,
};

#[derive(Parser)]
#[command(
    name = "mailform-sandbox",
    about = "A local stand-in for SES v2, Route 53, Route 53 Domains, STS and DNS"
)]
struct Args {
    /// Where the sandbox keeps state.json and endpoints.json.
    #[arg(long, global = true, default_value = ".mailform/sandbox")]
    state_dir: PathBuf,
    /// The admin API of a running sandbox (default: $MAILFORM_SANDBOX_ADMIN,
    /// then endpoints.json in the state directory).
    #[arg(long, global = true)]
    admin: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the sandbox and serve until interrupted.
    Serve(Serve),
    /// mailform's main job on a fresh sandbox: plan, apply (buying the managed domains, which
    /// costs nothing here), then plan again; fails unless that last plan has no changes. Writes
    /// the onboarding status page of the estate to .mailform/status.html, shows the notices
    /// due, and, with an `events` block, ends with each SES library's deliverability of a few
    /// messages to the mailbox simulator.
    Demo {
        /// The library files.
        #[arg(long, default_value = "libraries", value_name = "DIR")]
        libraries: PathBuf,
    },
    /// Edit the external zones that stand for the libraries' DNS providers.
    #[command(subcommand)]
    Dns(Dns),
    /// Show or advance the simulated clock.
    #[command(subcommand)]
    Clock(Clock),
    /// Inject or clear faults.
    #[command(subcommand)]
    Fault(Fault),
    /// Set requests per second per service (omit a service to lift its limit).
    RateLimit {
        #[arg(long)]
        ses: Option<f64>,
        #[arg(long)]
        route53: Option<f64>,
        #[arg(long)]
        route53domains: Option<f64>,
    },
    /// Set what GetAccount answers: the SES sandbox or production access, sending on or paused.
    Account {
        /// `sandbox` (a new account: 200 messages a day, verified addresses only) or
        /// `production`.
        #[arg(long, value_parser = ["sandbox", "production"])]
        ses: Option<String>,
        /// `paused` or `enabled`.
        #[arg(long, value_parser = ["paused", "enabled"])]
        sending: Option<String>,
    },
    /// Fix the CheckDomainAvailability answer for a domain (e.g. UNAVAILABLE_PREMIUM).
    Availability { domain: String, answer: String },
    /// Forget every resource, zone, fault and log entry (the clock stays).
    Reset,
    /// Play the recipient clicking SES's link for an email address identity.
    ConfirmAddress { address: String },
    /// Play SES deciding on an SES tenant's reputation finding.
    #[command(subcommand)]
    Reputation(Reputation),
    /// SES events' queue: deliver messages again, out of order, or a poison message; count it.
    #[command(subcommand)]
    Sqs(Sqs),
    /// Print the request log as JSON lines.
    Log {
        /// Empty the log afterwards.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(clap::Subcommand)]
enum Sqs {
    /// Deliver the first COUNT visible messages once more (SQS delivers at least once).
    Duplicate {
        queue: String,
        #[arg(long, default_value_t = 1)]
        count: u64,
    },
    /// Reverse the order of the visible messages.
    Reverse { queue: String },
    /// Put a message that is not an SES event on the queue.
    Poison {
        queue: String,
        #[arg(long, default_value = "{\"not\": \"an SES event\"")]
        body: String,
    },
    /// Print the visible and in-flight messages' counts as JSON.
    Depth { queue: String },
}

#[derive(clap::Args)]
struct Serve {
    #[arg(long, default_value_t = 0)]
    ses_port: u16,
    #[arg(long, default_value_t = 0)]
    route53_port: u16,
    #[arg(long, default_value_t = 0)]
    route53domains_port: u16,
    #[arg(long, default_value_t = 0)]
    sts_port: u16,
    #[arg(long, default_value_t = 0)]
    dynamodb_port: u16,
    #[arg(long, default_value_t = 0)]
    sqs_port: u16,
    #[arg(long, default_value_t = 0)]
    sns_port: u16,
    #[arg(long, default_value_t = 0)]
    admin_port: u16,
    #[arg(long, default_value_t = 0)]
    dns_port: u16,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Where DKIM CNAMEs point (region-dependent on AWS).
    #[arg(long, default_value = "dkim.amazonses.com")]
    signing_hosted_zone: String,
    /// Answer GetAccount as a new account still in the SES sandbox (200 messages a day, to
    /// verified addresses only); by default the account has production access.
    #[arg(long)]
    ses_sandbox: bool,
    /// Answer GetAccount as an account whose sending is paused.
    #[arg(long)]
    sending_paused: bool,
    /// Wait this many milliseconds before each DNS answer, as a name server across the
    /// internet takes (e.g. 40), so a refresh's DNS phase costs what it would for real.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    dns_latency_ms: u64,
    /// How many domains the account may hold in Route 53 Domains: `RegisterDomain` beyond it
    /// is refused with `DomainLimitExceeded`, as AWS refuses it (20 for a new account).
    #[arg(long, default_value_t = mailform::model::DEFAULT_DOMAIN_QUOTA, value_name = "N")]
    domain_quota: usize,
    /// Enforce the documented API rate limits (SES 1/s, Route 53 5/s).
    #[arg(long)]
    rate_limits: bool,
}

#[derive(Subcommand)]
enum Dns {
    /// Add a record (NAME relative to ZONE, absolute with a final dot, or @).
    Add {
        zone: String,
        name: String,
        #[arg(value_name = "TYPE")]
        rtype: String,
        value: String,
        #[arg(long, default_value_t = 300)]
        ttl: u32,
    },
    /// Remove one value, or the whole record set when VALUE is omitted.
    Remove {
        zone: String,
        name: String,
        #[arg(value_name = "TYPE")]
        rtype: String,
        value: Option<String>,
    },
    /// List a zone's records.
    List { zone: String },
}

#[derive(Subcommand)]
enum Reputation {
    /// Set SES's side of a library's tenant: `--sending disabled` pauses it, as SES does on
    /// a finding under its reputation policy.
    Set {
        /// The tenant: the library id.
        tenant: String,
        #[arg(long, value_parser = ["enabled", "disabled", "reinstated"])]
        sending: String,
        #[arg(long, value_parser = ["high", "low"])]
        impact: Option<String>,
        /// Why, as SES words it (the status record's cause).
        #[arg(long)]
        finding: Option<String>,
    },
}

#[derive(Subcommand)]
enum Clock {
    Show,
    /// Advance by a duration: 90s, 30m, 72h, 3d.
    Advance {
        by: String,
    },
}

#[derive(Subcommand)]
enum Fault {
    /// KIND is throttle, server-error, latency, drop, access-denied, respond-late (the change
    /// is made, the answer comes after --millis), drop-after-commit (the change is made, no
    /// answer comes) or transaction-conflict (DynamoDB TransactWriteItems cancelled, as when
    /// another transaction holds its items).
    Add {
        service: String,
        kind: String,
        #[arg(long)]
        operation: Option<String>,
        #[arg(long)]
        times: Option<u32>,
        /// For latency and respond-late: how long to wait.
        #[arg(long, default_value_t = 1000)]
        millis: u64,
    },
    List,
    Clear,
}

/// Prints a line; a closed pipe (`| head`) ends the output quietly instead of
/// panicking as `println!` does.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            return Ok(());
        }
    }};
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mailform-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    match &args.command {
        Command::Serve(serve) => return run_serve(serve, args.state_dir.clone()),
        Command::Demo { libraries } => return demo(libraries),
        _ => {}
    }
    let admin_url = match args
        .admin
        .clone()
        .or_else(|| std::env::var("MAILFORM_SANDBOX_ADMIN").ok())
    {
        Some(url) => url,
        None => read_admin_url(&args.state_dir)?,
    };
    let admin = AdminClient::new(&admin_url).map_err(|e| e.to_string())?;
    let fail = |e: mailform::sandbox::AdminError| e.to_string();
    match args.command {
        Command::Serve(_) | Command::Demo { .. } => Ok(()),
        Command::Dns(Dns::Add {
            zone,
            name,
            rtype,
            value,
            ttl,
        }) => {
            let record = RecordInput {
                ttl,
                ..RecordInput::new(&name, &rtype, &value)
            };
            admin.add_record(&zone, &record).map_err(fail)
        }
        Command::Dns(Dns::Remove {
            zone,
            name,
            rtype,
            value,
        }) => {
            let removed = admin
                .remove_record(&zone, &name, &rtype, value.as_deref())
                .map_err(fail)?;
            if !removed {
                return Err(format!("no such {rtype} record at {name} in {zone}"));
            }
            Ok(())
        }
        Command::Dns(Dns::List { zone }) => {
            for set in admin.records(&zone).map_err(fail)? {
                for value in &set.values {
                    out!("{}\t{}\t{}\t{}", set.name, set.ttl, set.rtype, value);
                }
            }
            Ok(())
        }
        Command::Clock(Clock::Show) => {
            out!("{}", admin.now().map_err(fail)?);
            Ok(())
        }
        Command::Clock(Clock::Advance { by }) => {
            let by = parse_duration(&by).ok_or_else(|| {
                format!("cannot read duration {by}: use e.g. 90s, 30m, 72h or 3d")
            })?;
            out!("{}", admin.advance_clock(by).map_err(fail)?);
            Ok(())
        }
        Command::Fault(Fault::Add {
            service,
            kind,
            operation,
            times,
            millis,
        }) => {
            let service = Service::parse(&service).ok_or_else(|| {
                format!("unknown service {service}: use ses, route53, route53domains or sts")
            })?;
            let kind = match kind.as_str() {
                "throttle" => FaultKind::Throttle,
                "server-error" => FaultKind::ServerError,
                "latency" => FaultKind::Latency { millis },
                "drop" => FaultKind::DropConnection,
                "access-denied" => FaultKind::AccessDenied,
                "respond-late" => FaultKind::RespondLate { millis },
                "drop-after-commit" => FaultKind::DropAfterCommit,
                "transaction-conflict" => FaultKind::TransactionConflict,
                other => {
                    return Err(format!(
                        "unknown fault {other}: use throttle, server-error, latency, drop, access-denied, respond-late, drop-after-commit or transaction-conflict"
                    ));
                }
            };
            let rule = FaultRule {
                service,
                operation,
                kind,
                times,
            };
            admin.inject_fault(&rule).map_err(fail)
        }
        Command::Fault(Fault::List) => {
            for rule in admin.faults().map_err(fail)? {
                out!("{}", serde_json::to_string(&rule).unwrap_or_default());
            }
            Ok(())
        }
        Command::Fault(Fault::Clear) => admin.clear_faults().map_err(fail),
        Command::RateLimit {
            ses,
            route53,
            route53domains,
        } => admin
            .set_rate_limits(RateLimits {
                ses,
                route53,
                route53domains,
                dynamodb: None,
            })
            .map_err(fail),
        Command::Account { ses, sending } => admin
            .set_account(
                ses.map(|s| s == "production"),
                sending.map(|s| s == "enabled"),
            )
            .map_err(fail),
        Command::Availability { domain, answer } => {
            let answer = Availability::parse(&answer.to_ascii_uppercase()).ok_or_else(|| {
                let all: Vec<&str> = Availability::ALL.iter().map(|a| a.as_str()).collect();
                format!("unknown answer {answer}: use one of {}", all.join(", "))
            })?;
            admin.set_availability(&domain, answer).map_err(fail)
        }
        Command::Reset => admin.reset().map_err(fail),
        Command::ConfirmAddress { address } => admin.confirm_address(&address).map_err(fail),
        Command::Reputation(Reputation::Set {
            tenant,
            sending,
            impact,
            finding,
        }) => admin
            .set_reputation(
                &tenant,
                &ReputationFinding {
                    status: sending.to_ascii_uppercase(),
                    cause: finding,
                    impact: impact.map(|i| i.to_ascii_uppercase()),
                },
            )
            .map_err(fail),
        Command::Sqs(action) => {
            let (name, queue, extra) = match action {
                Sqs::Duplicate { queue, count } => {
                    ("duplicate", queue, serde_json::json!({ "count": count }))
                }
                Sqs::Reverse { queue } => ("reverse", queue, serde_json::json!({})),
                Sqs::Poison { queue, body } => {
                    ("poison", queue, serde_json::json!({ "body": body }))
                }
                Sqs::Depth { queue } => ("depth", queue, serde_json::json!({})),
            };
            let answer = admin.sqs(name, &queue, extra).map_err(fail)?;
            out!("{answer}");
            Ok(())
        }
        Command::Log { clear } => {
            for entry in admin.request_log().map_err(fail)? {
                out!("{}", serde_json::to_string(&entry).unwrap_or_default());
            }
            if clear {
                admin.clear_request_log().map_err(fail)?;
            }
            Ok(())
        }
    }
}

fn read_admin_url(state_dir: &std::path::Path) -> Result<String, String> {
    let path = state_dir.join("endpoints.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e}; start the sandbox with `mailform-sandbox serve` or pass --admin",
            path.display()
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    value
        .get("admin")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{} names no admin endpoint", path.display()))
}

fn run_serve(serve: &Serve, state_dir: PathBuf) -> Result<(), String> {
    let config = SandboxConfig {
        state_dir: Some(state_dir.clone()),
        ports: Ports {
            ses: serve.ses_port,
            route53: serve.route53_port,
            route53domains: serve.route53domains_port,
            sts: serve.sts_port,
            dynamodb: serve.dynamodb_port,
            sqs: serve.sqs_port,
            sns: serve.sns_port,
            admin: serve.admin_port,
            dns: serve.dns_port,
        },
        region: serve.region.clone(),
        signing_hosted_zone: serve.signing_hosted_zone.clone(),
        production_access: !serve.ses_sandbox,
        sending_enabled: !serve.sending_paused,
        dns_latency_ms: serve.dns_latency_ms,
        domain_limit: serve.domain_quota,
        rate_limits: if serve.rate_limits {
            RateLimits::documented()
        } else {
            RateLimits::default()
        },
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).map_err(|e| e.to_string())?;
    let endpoints = sandbox.endpoints();
    let text = serde_json::to_string_pretty(endpoints).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&state_dir)
        .and_then(|()| std::fs::write(state_dir.join("endpoints.json"), text))
        .map_err(|e| {
            format!(
                "cannot write endpoints.json in {}: {e}",
                state_dir.display()
            )
        })?;
    println!("ses            {}", endpoints.ses);
    println!("route53        {}", endpoints.route53);
    println!("route53domains {}", endpoints.route53domains);
    println!("sts            {}", endpoints.sts);
    println!("dynamodb       {}", endpoints.dynamodb);
    println!("sqs            {}", endpoints.sqs);
    println!("sns            {}", endpoints.sns);
    println!("admin          {}", endpoints.admin);
    println!("dns            {} (udp and tcp)", endpoints.dns);
    println!("state          {}", state_dir.display());
    println!("any credentials work, e.g. AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox");
    loop {
        std::thread::park();
    }
}

/// plan → apply → plan against a sandbox in a fresh directory, through mailform's own
/// commands exactly as `mailform … --sandbox --sandbox-dir DIR` runs them. The sandbox account
/// is given what a platform sets up once by hand (the SES configuration sets the library
/// files name); the purchases are approved by name, as `--allow-purchase` demands.
fn demo(libraries: &std::path::Path) -> Result<(), String> {
    use mailform::cli::{self as mailform_cli, Args as MailformArgs};
    use mailform::model::DeliveryMethod;
    use std::process::ExitCode;

    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let (mut sources, _) = mailform::config::read_sources(&[libraries.to_path_buf()]);
    let analysis = mailform::config::analyze(
        &mut sources,
        &mailform::config::AnalyzeOptions {
            today: mailform::model::Date::from_days_since_epoch(days as i64),
        },
    );
    let config = analysis.config.ok_or_else(|| {
        format!(
            "the library files in {} have errors; see `mailform validate {}`",
            libraries.display(),
            libraries.display()
        )
    })?;
    let mut purchases = Vec::new();
    let mut sets = Vec::new();
    let mut own_domains = Vec::new();
    for library in &config.libraries {
        // The configuration sets the account has before mailform runs: each library's own
        // (mailform makes only the platform's events set, in the apply below).
        let platform_set = config
            .platform
            .events
            .as_ref()
            .map(|e| e.configuration_set.as_str());
        if let Some(set) = config.platform.configuration_set_for(library)
            && Some(set) != platform_set
            && !sets.iter().any(|s: &String| s == set)
        {
            sets.push(set.to_string());
        }
        match &library.method {
            DeliveryMethod::ManagedDomain(m) => purchases.push(m.domain.to_string()),
            DeliveryMethod::SesDomain(_) => {
                own_domains.extend(library.method.ses_identity().map(|d| d.to_string()));
            }
            DeliveryMethod::SmtpAccount(_) => {}
        }
    }
    sets.sort();
    sets.dedup();

    let dir = std::env::temp_dir().join(format!("mailform-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let sandbox = Sandbox::start(SandboxConfig {
        state_dir: Some(dir.clone()),
        region: config.platform.aws_region.clone(),
        ..SandboxConfig::default()
    })
    .map_err(|e| e.to_string())?;
    for set in &sets {
        sandbox.create_configuration_set(set);
    }
    // Method-1 libraries' own domains, as their DNS providers serve them before the IT staff
    // installs anything: the plans then say which records to install.
    for domain in &own_domains {
        sandbox.create_zone(domain);
    }
    sandbox.shutdown();
    println!(
        "A fresh sandbox in {} (no AWS account, no network).",
        dir.display()
    );
    if !sets.is_empty() {
        println!(
            "Set up in its SES account, as a platform does once: the configuration set(s) {}.",
            sets.join(", ")
        );
    }
    if !own_domains.is_empty() {
        println!(
            "Playing the DNS providers of {}, with nothing installed yet.",
            own_domains.join(", ")
        );
    }

    let dir_text = dir.display().to_string();
    let libraries_text = libraries.display().to_string();
    let live = [
        "--sandbox",
        "--sandbox-dir",
        &dir_text,
        "--libraries",
        &libraries_text,
    ];
    let mut apply = vec!["apply", "--auto-approve"];
    if !purchases.is_empty() {
        apply.push("--allow-purchase");
        apply.extend(purchases.iter().map(String::as_str));
    }
    let steps: [(&str, Vec<&str>); 3] = [
        ("what would change", vec!["plan"]),
        ("make the changes", apply),
        (
            "nothing left to change",
            vec!["plan", "--detailed-exitcode"],
        ),
    ];
    let mut last = ExitCode::SUCCESS;
    for (n, (what, command)) in steps.iter().enumerate() {
        let mut argv = vec!["mailform"];
        argv.extend(command);
        argv.extend(live);
        println!("\n==> {}/3 {what}: {}", n + 1, argv.join(" "));
        if command[0] == "apply" && !purchases.is_empty() {
            println!(
                "    approved purchases (sandbox domains, nothing is charged): {}",
                purchases.join(", ")
            );
        }
        let args = MailformArgs::try_parse_from(&argv).map_err(|e| e.to_string())?;
        last = match mailform_cli::run(args) {
            Ok(code) => code,
            Err(e) => return Err(mailform_cli::render_error(&e)),
        };
        if n < 2 && last != ExitCode::SUCCESS {
            return Err(format!(
                "`{}` failed; the sandbox state is in {dir_text}",
                argv.join(" ")
            ));
        }
    }
    // --detailed-exitcode: 0 no changes and nothing to do, 3 no changes but a library failing,
    // 4 no changes and libraries waiting (on their DNS, an SMTP password): all converged. 2 is
    // changes left, 1 an error.
    let converged = [
        (ExitCode::SUCCESS, "nothing waits on anyone"),
        (ExitCode::from(4), "what remains waits on the libraries"),
        (
            ExitCode::from(3),
            "some libraries are failing a check (marked ✗ above)",
        ),
    ];
    if let Some((_, what)) = converged.iter().find(|(code, _)| *code == last) {
        println!("\nConverged: the last plan has no changes; {what}.");
        // The operators' view of the same estate: one self-contained page.
        let page = std::path::Path::new(".mailform").join("status.html");
        let page_text = page.display().to_string();
        std::fs::create_dir_all(".mailform")
            .map_err(|e| format!("cannot create .mailform: {e}"))?;
        run_shown(
            "the onboarding status page",
            &["status", "--out", &page_text],
            &live,
        )?;
        println!(
            "Open {} in a browser (one file, works offline).",
            page.display()
        );
        // The conversation with each library: the notices due now, shown and not sent.
        run_shown(
            "the notices the libraries' IT contacts would get",
            &["notify", "--dry-run"],
            &live,
        )?;
        if let Some(events) = &config.platform.events {
            demo_deliverability(&dir, &config, events, &live)?;
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    } else {
        Err(format!(
            "not converged: the last plan still has changes (or failed); the sandbox state is in {dir_text}"
        ))
    }
}

/// The SES libraries' mail, last: the event pipeline set up once in the demo's sandbox, a few
/// messages to the mailbox simulator from each SES library, then `events drain` and
/// `deliverability` as the nightly job runs them.
fn demo_deliverability(
    dir: &std::path::Path,
    config: &mailform::model::Config,
    events: &mailform::model::EventSettings,
    live: &[&str],
) -> Result<(), String> {
    let sandbox = Sandbox::start(SandboxConfig {
        state_dir: Some(dir.to_path_buf()),
        region: config.platform.aws_region.clone(),
        // The last command's sandbox may still be letting go of the directory.
        wait_for_state_dir: true,
        ..SandboxConfig::default()
    })
    .map_err(|e| e.to_string())?;
    // The queues live only in the running sandbox's memory, so it keeps running through the
    // drain; `--sandbox` finds it through endpoints.json, as it finds `mailform-sandbox serve`.
    let result = std::fs::write(
        dir.join("endpoints.json"),
        serde_json::to_string_pretty(sandbox.endpoints()).unwrap_or_default(),
    )
    .map_err(|e| format!("cannot write endpoints.json in {}: {e}", dir.display()))
    .and_then(|()| demo_events::set_up_and_send(&sandbox, config, events))
    .and_then(|sent| drain_and_show(events, live, &sent));
    sandbox.shutdown();
    result
}

/// The pipeline's part as the nightly job runs it: the drain, then each library's figures.
fn drain_and_show(
    events: &mailform::model::EventSettings,
    live: &[&str],
    sent: &[String],
) -> Result<(), String> {
    println!(
        "\nSet up in the sandbox, as a platform does once: the topic {}, the queue {} and its dead-letter queue, the table {}, and the event destination {} on every SES library's configuration set.",
        events.topic_arn, events.queue_url, events.table, events.destination
    );
    println!(
        "Sent from each of {} to the mailbox simulator: {}.",
        sent.join(", "),
        demo_events::SIMULATOR
            .map(|l| format!("{l}@simulator.amazonses.com"))
            .join(", ")
    );
    run_shown(
        "the SES events into the event store",
        &["events", "drain"],
        live,
    )?;
    run_shown(
        "each SES library's deliverability",
        &["deliverability"],
        live,
    )
}

/// Runs `mailform COMMAND LIVE…` through `mailform::cli::run` under a `==> what: command`
/// header; anything but exit 0 fails the demo.
fn run_shown(what: &str, command: &[&str], live: &[&str]) -> Result<(), String> {
    use mailform::cli::{self as mailform_cli, Args as MailformArgs};

    let mut argv = vec!["mailform"];
    argv.extend(command);
    argv.extend(live);
    println!("\n==> {what}: {}", argv.join(" "));
    let args = MailformArgs::try_parse_from(&argv).map_err(|e| e.to_string())?;
    match mailform_cli::run(args) {
        Ok(code) if code == ExitCode::SUCCESS => Ok(()),
        Ok(_) => Err(format!("`{}` failed", argv.join(" "))),
        Err(e) => Err(mailform_cli::render_error(&e)),
    }
}
