//! Command-line arguments, parsed without side effects.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Keeps the outgoing-mail setup of the libraries a platform hosts correct and reviewable.
#[derive(Debug, Parser)]
#[command(name = "mailform", version, about)]
pub struct Args {
    /// When to colour output. `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check library files and the platform file; report every problem.
    Validate(ValidateArgs),
    /// Rewrite library files in the canonical layout (or check that they are).
    Fmt(FmtArgs),
    /// Probe an SMTP account (method 2) without sending a message: a library's, or one given
    /// on the command line.
    Probe(ProbeArgs),
    /// Print the schema the validator enforces, or the README's configuration reference.
    Schema(SchemaArgs),
    /// Read the live state (SES, Route 53, Route 53 Domains, DNS, SMTP) into a snapshot file.
    Refresh(RefreshArgs),
    /// Show what apply would change, what each library must do, and readiness for launch.
    Plan(PlanArgs),
    /// Make the changes of a plan: a fresh one (shown and confirmed first) or a saved one.
    Apply(ApplyArgs),
    /// Render a plan saved by `mailform plan --out` (e.g. a workflow's artifact).
    Show(ShowArgs),
    /// Print the DNS records a library's IT staff install, with what mailform sees now.
    Records(super::records::RecordsArgs),
    /// Print the yearly charges of the managed domains, for billing.
    Costs(super::costs::CostsArgs),
    /// Print the notices the ledger records: what was sent when, to whom, and what was not.
    Notices(super::notices::NoticesArgs),
    /// Send the notices due to each library's IT contact, each once (`--dry-run` shows them).
    Notify(super::notify::NotifyArgs),
    /// SES's sending events: `events drain` moves them from the queue into the event store.
    Events(super::events::EventsArgs),
    /// Each SES library's deliverability: counts, bounce and complaint rates over 1, 7 and 30
    /// days against AWS's thresholds, and the commonest bounce reasons.
    Deliverability(super::deliverability::DeliverabilityArgs),
    /// Every library's onboarding stage, who it waits on and since when, against its launch:
    /// a self-contained HTML page, Markdown, CSV or JSON.
    Status(super::status::StatusArgs),
    /// Write a library file for each library found in the live state (SES identities,
    /// registered domains), never overwriting a file.
    Import(super::import::ImportArgs),
    /// Write a new library's file with its method's fields to fill in, and list what to ask the
    /// library for.
    New(super::new::NewArgs),
    /// List the SMTP password variable each library needs and whether a job may be given it:
    /// with `--base`, only for libraries whose files a pull request leaves unchanged.
    Secrets(super::secrets::SecretsArgs),
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A plan saved by `mailform plan --out`; refused when its inputs changed since.
    #[arg(value_name = "PLANFILE")]
    pub planfile: Option<PathBuf>,
    /// Where transfer passwords and auth codes are written, each in a file only you can read
    /// (they are never printed).
    #[arg(long, default_value = ".mailform/secrets", value_name = "DIR")]
    pub secrets_dir: PathBuf,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow the plan's deletions (SES identities left by removed or switched libraries).
    #[arg(long)]
    pub allow_destroy: bool,
    /// Refuse to delete more SES identities than this in one apply.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_destroy: usize,
    /// Delete more identities than `--max-destroy` allows.
    #[arg(long, requires = "allow_destroy")]
    pub force_destroy: bool,
    /// Leave handovers (a transfer's password, an auth code) waiting for an operator's machine:
    /// no secret is made by this run (the apply workflow passes it).
    #[arg(long)]
    pub hold_handovers: bool,
    /// Buy these domains (each one named; `--auto-approve` is not enough).
    #[arg(long, value_name = "DOMAIN", num_args = 1..)]
    pub allow_purchase: Vec<String>,
    /// Count launch dates from this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// A handover (transfer password, auth code) started this many seconds ago whose secret is
    /// not kept yet may still be in the hands of a running apply: it is waited on, not cancelled
    /// and restarted. Longer than two AWS calls with their --timeout.
    #[arg(long, default_value_t = crate::plan::planner::HANDOVER_GRACE_SECS, value_name = "SECONDS")]
    pub handover_grace: i64,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Save the plan, with the hashes of its inputs, for `mailform apply PLANFILE`.
    #[arg(long, value_name = "PLANFILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 with no changes and nothing to do, 2 with changes, 3 with no changes but a
    /// library failing (broken, about to break, or late), 4 with no changes and libraries only
    /// waiting on someone, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub focus: FocusArgs,
    /// Also write the live snapshot this plan read (a baseline for the next `--baseline`).
    #[arg(long, value_name = "FILE")]
    pub save_live: Option<PathBuf>,
    /// Count launch dates from this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// A handover (transfer password, auth code) started this many seconds ago whose secret is
    /// not kept yet may still be in the hands of a running apply: it is waited on, not cancelled
    /// and restarted. Longer than two AWS calls with their --timeout.
    #[arg(long, default_value_t = crate::plan::planner::HANDOVER_GRACE_SECS, value_name = "SECONDS")]
    pub handover_grace: i64,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A plan saved by `mailform plan --out`.
    #[arg(value_name = "PLANFILE")]
    pub planfile: PathBuf,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub focus: FocusArgs,
}

/// What a Markdown plan shows first: the libraries a pull request changes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FocusArgs {
    /// Files the pull request changes (`libraries/<library-id>.kdl`; others are ignored): their
    /// libraries come first in `--format markdown`, with their details in full.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub changed: Vec<PathBuf>,
    /// As `--changed`, the files listed one a line in LIST (`-`: standard input), so a pull
    /// request of any size fits: the workflows pass their list this way, never as arguments.
    #[arg(long, value_name = "LIST")]
    pub changed_from: Option<PathBuf>,
    /// Libraries to show first in `--format markdown`, with their details in full.
    #[arg(long, value_name = "LIBRARY", num_args = 1..)]
    pub focus: Vec<String>,
}

impl FocusArgs {
    /// The library ids to show first: each `--focus`, and the id of each changed library file
    /// (`--changed`, and the lines of `--changed-from`, read here).
    pub fn libraries(&self) -> Result<Vec<String>, super::CliError> {
        let mut out = self.focus.clone();
        let listed = match &self.changed_from {
            None => String::new(),
            Some(list) => {
                let read = if list.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin())
                } else {
                    std::fs::read_to_string(list)
                };
                read.map_err(|e| {
                    super::CliError::Usage(format!(
                        "cannot read the list of changed files {}: {e}",
                        list.display()
                    ))
                })?
            }
        };
        let from_list = listed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from);
        for path in self.changed.iter().cloned().chain(from_list) {
            let is_library = path.extension().is_some_and(|e| e == "kdl");
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && is_library
                && !stem.starts_with('_')
            {
                out.push(stem.to_string());
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    /// Terraform's idiom, for a terminal.
    Text,
    /// For a pull-request comment (kept under GitHub's size limit).
    Markdown,
    /// Versioned JSON (schemas/plan.schema.json).
    Json,
}

/// How much of the live state a run reads in depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefreshMode {
    /// Deep reads only for what is not settled since `--baseline` (everything without one).
    Scoped,
    /// Everything, ignoring `--baseline`.
    Full,
}

#[derive(Debug, clap::Args)]
pub struct RefreshArgs {
    /// Write the snapshot here (atomically) instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Where live state comes from: a snapshot file, the in-process sandbox, or AWS and DNS.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// Directory of the library files.
    #[arg(long, default_value = "libraries", value_name = "DIR")]
    pub libraries: PathBuf,
    /// Read only these libraries (repeatable); default: all, and every live resource.
    #[arg(long = "target", value_name = "LIBRARY", num_args = 1..)]
    pub targets: Vec<String>,
    /// Work from this live snapshot (`mailform refresh --out FILE`) instead of the live services.
    #[arg(long, value_name = "FILE", conflicts_with = "sandbox")]
    pub live: Option<PathBuf>,
    /// An earlier snapshot (`refresh --out`, `plan --save-live`) to take the deep reads of
    /// settled resources from, so a plan over a converged estate makes few AWS calls; what
    /// changed is still read (README: Refresh scope).
    #[arg(long, value_name = "FILE", conflicts_with = "live")]
    pub baseline: Option<PathBuf>,
    /// `full` reads every resource in depth and ignores `--baseline` (the scheduled drift
    /// check); `scoped` uses the baseline when one is given.
    #[arg(long, value_enum, default_value_t = RefreshMode::Scoped, value_name = "MODE")]
    pub refresh: RefreshMode,
    /// Run against a local sandbox (no AWS account) whose state persists in
    /// .mailform/sandbox; needs a build with `--features sandbox`.
    #[arg(long)]
    pub sandbox: bool,
    /// Where the sandbox keeps its state.
    #[arg(long, default_value = ".mailform/sandbox", value_name = "DIR")]
    pub sandbox_dir: PathBuf,
    /// Ask this DNS server instead of each zone's authoritative servers.
    #[arg(long, value_name = "ADDR:PORT")]
    pub resolver: Option<std::net::SocketAddr>,
    /// SES endpoint URL (a sandbox); default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_ses: Option<String>,
    /// Route 53 endpoint URL (a sandbox); default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_route53: Option<String>,
    /// Route 53 Domains endpoint URL (a sandbox); default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_route53domains: Option<String>,
    /// STS endpoint URL (a sandbox), for the account id apply tags identities with; default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_sts: Option<String>,
    /// DynamoDB endpoint URL (a sandbox), for the notice ledger; default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_dynamodb: Option<String>,
    /// SQS endpoint URL (a sandbox), for the queue of SES events; default: AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_sqs: Option<String>,
    /// Calls in flight at once per system; the rate limits still apply.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// DNS questions in flight at once, at most 4 to one name server; far more than AWS calls,
    /// since a UDP question costs a name server little.
    #[arg(long, default_value_t = 32, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub dns_concurrency: u16,
    /// Give up on the DNS questions still unanswered this many seconds after the DNS phase
    /// began; their verdicts say the lookup failed, never that a record is missing.
    #[arg(long, default_value_t = 120, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub dns_deadline: u64,
    /// SES requests per second (AWS documents 1).
    #[arg(long, default_value_t = 1.0, value_name = "PER_SECOND")]
    pub rate_ses: f64,
    /// Route 53 requests per second (AWS documents 5).
    #[arg(long, default_value_t = 5.0, value_name = "PER_SECOND")]
    pub rate_route53: f64,
    /// Route 53 Domains requests per second (undocumented by AWS).
    #[arg(long, default_value_t = 1.0, value_name = "PER_SECOND")]
    pub rate_route53domains: f64,
    /// Attempts per AWS call, the first included (retries back off exponentially).
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// Give up on one AWS call, retries included, after this many seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub timeout: u64,
    /// TEST ONLY: first retry backoff in milliseconds.
    #[arg(long, hide = true, value_name = "MS")]
    pub test_only_backoff_ms: Option<u64>,
    /// TEST ONLY: when stderr is not a terminal, print the progress line of a read this many
    /// seconds apart instead of 30.
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub test_only_progress_every: Option<u64>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["library", "host"])))]
pub struct ProbeArgs {
    /// The library whose `smtp-account` to probe (its file is read from --libraries).
    pub library: Option<String>,
    /// Directory of the library files.
    #[arg(long, default_value = "libraries", value_name = "DIR")]
    pub libraries: PathBuf,
    /// Ad hoc: the SMTP server's host name.
    #[arg(long, conflicts_with = "library", requires_all = ["port", "security", "user", "password_env", "from"])]
    pub host: Option<String>,
    /// Ad hoc: the port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Ad hoc: `tls` or `starttls`.
    #[arg(long, value_enum)]
    pub security: Option<SecurityArg>,
    /// Ad hoc: the user name.
    #[arg(long)]
    pub user: Option<String>,
    /// Ad hoc: the environment variable that holds the password (never the password itself).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Ad hoc: the outgoing address.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<String>,
    /// Ad hoc: a Google account's password kind.
    #[arg(long, value_enum)]
    pub google: Option<GoogleArg>,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Human)]
    pub format: ProbeFormat,
    /// Show the SMTP conversation (the password and the AUTH exchange redacted).
    #[arg(long)]
    pub transcript: bool,
    /// Give up after this many seconds in all.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub deadline: u64,
    /// TEST ONLY: also trust this CA certificate (PEM or DER). Never use it for a real
    /// library: the setup document requires a chain to Mozilla's roots.
    #[arg(long, hide = true, value_name = "FILE")]
    pub test_only_trust_ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SecurityArg {
    Tls,
    Starttls,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GoogleArg {
    AppPassword,
    AccountPassword,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProbeFormat {
    /// A report with every stage's verdict.
    Human,
    /// Versioned JSON (schemas/probe-report.schema.json).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Files or directories to check [default: libraries]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Fail on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Count launch dates from this date (YYYY-MM-DD) instead of today, for reproducible output.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or directories to format [default: libraries]
    pub paths: Vec<PathBuf>,
    /// Change nothing; print a diff and exit 1 when a file is not canonical.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    #[arg(value_enum, default_value_t = SchemaKind::Library)]
    pub kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    /// schemas/library.schema.kdl
    Library,
    /// schemas/platform.schema.kdl
    Platform,
    /// The configuration reference in the README (Markdown).
    Reference,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiagnosticFormat {
    /// Source snippets with labels, for people.
    Human,
    /// Versioned JSON (schemas/diagnostics.schema.json).
    Json,
    /// GitHub workflow annotations on the offending lines.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stderr.
    pub fn resolve(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}
