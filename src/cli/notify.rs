//! `mailform notify`: the notices due from the same plan and live facts, each sent once.

use std::process::ExitCode;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::args::LiveArgs;
use super::{CliError, EXIT_FAILED, EXIT_OK, print, today, world};
use crate::live::snapshot::LiveSnapshotV1;
use crate::model::{Config, NoticeSettings};
use crate::notice::due::{self, Due};
use crate::notice::ledger::{LedgerEntry, NoticeLedger};
use crate::notice::relay::SmtpRelay;
use crate::notice::run::{self, Outcome, Ready, RunOptions};
use crate::notice::{message, text};
use crate::plan::planner::{self, PlanOptions};
use crate::secret::Secret;

/// Exit code when some notices were deferred by the relay (4xx) and nothing failed.
pub const EXIT_DEFERRED: u8 = 4;

#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// Show each due notice's headers and text; send nothing, record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Record the due notices as sent without sending them: for an estate whose libraries
    /// were told by hand before notices existed.
    #[arg(long, conflicts_with = "dry_run")]
    pub record_only: bool,
    /// Seconds after which an unconfirmed claim of an at-least-once notice is sent again (claims
    /// at least this old); longer than any run takes, so two runs never take each other's claims.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub lease: i64,
    /// Send this notice again whatever the ledger says (`library/kind/fingerprint`, as notify
    /// and `mailform notices` print it): an unconfirmed one the library did not get, a refused
    /// one whose cause was fixed. It must be due now. Repeatable.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["dry_run", "record_only"])]
    pub resend: Vec<String>,
    /// Seconds the relay may take for one message.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub relay_timeout: u64,
    /// Seconds after a handover's intent tag during which an unkept secret may still be in
    /// the hands of a running apply (as for `plan`).
    #[arg(long, default_value_t = crate::plan::planner::HANDOVER_GRACE_SECS, value_name = "SECONDS")]
    pub handover_grace: i64,
    /// The date launches and notice periods count from (default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// TEST ONLY: also trust this CA certificate (PEM) for the relay.
    #[arg(long, hide = true, value_name = "FILE")]
    pub test_only_trust_ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// The platform's notice settings, or a usage error saying how to configure them.
pub(super) fn settings(config: &Config) -> Result<&NoticeSettings, CliError> {
    config.platform.notices.as_ref().ok_or_else(|| {
        CliError::Usage(
            "notices are not configured: add a `notices { from …; reply-to …; relay { … } }` block \
             to libraries/_platform.kdl (see the README's \"Notices\")"
                .into(),
        )
    })
}

fn now_of(live: &LiveSnapshotV1) -> OffsetDateTime {
    OffsetDateTime::parse(&live.taken_at, &Rfc3339).unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// The notices due now, with their words.
pub(super) fn due_notices(
    config: &Config,
    live: &LiveSnapshotV1,
    today: crate::model::Date,
    handover_grace: i64,
    history: &due::History,
    at_risk: &std::collections::BTreeMap<String, (usize, crate::notice::at_risk::AtRisk)>,
) -> Vec<Due> {
    let plan = planner::plan(
        config,
        live,
        &PlanOptions {
            today,
            handover_grace,
        },
    );
    due::due(config, live, &plan, now_of(live), history, at_risk)
}

/// The due notices as messages. A notice the ledger holds the words of (it was claimed
/// before) keeps them: a resend, or a second copy after a crash, says what the first said.
fn ready(
    due: &[Due],
    entries: &[LedgerEntry],
    settings: &NoticeSettings,
    at: i64,
) -> Result<Vec<Ready>, CliError> {
    due.iter()
        .map(|d| {
            let stored = entries.iter().find(|e| e.key == d.key).and_then(|e| {
                e.words.as_ref().map(|w| text::Words {
                    subject: e.subject.clone(),
                    text: w.text.clone(),
                    html: w.html.clone(),
                })
            });
            let words = stored.unwrap_or_else(|| text::words(d, settings));
            let built = message::build(d, &words, settings, at)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            Ok(Ready {
                key: d.key.clone(),
                to: d.to.to_string(),
                subject: words.subject,
                text: words.text,
                html: words.html,
                message_id: message::message_id(&d.key, settings),
                message: built,
            })
        })
        .collect()
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A random run id: 16 hex digits from the OS's randomness via std's hasher keys.
fn run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

fn when(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

fn line(r: &Ready, outcome: &Outcome, lease: i64) -> String {
    let what = match outcome {
        Outcome::Sent => "sent".to_string(),
        Outcome::Resent { earlier } => match earlier.state {
            crate::notice::ledger::EntryState::Claimed => format!(
                "sent again (a run's claim of {} was never confirmed)",
                when(earlier.claimed_at)
            ),
            state => format!("sent again, as asked (it was {})", state.as_str()),
        },
        Outcome::Recorded => "recorded as sent (not sent: --record-only)".into(),
        Outcome::Done { entry } => match entry.sent_at {
            Some(at) => format!("already {} {}", entry.state.as_str(), when(at)),
            None => format!("already {}", entry.state.as_str()),
        },
        Outcome::StillRefused { entry } => format!(
            "FAILED, refused by the relay at {} and not sent since: {} (fix the cause, then `--resend {}`)",
            when(entry.claimed_at),
            entry.detail.as_deref().unwrap_or("no reply recorded"),
            r.key
        ),
        Outcome::InFlight { entry } => format!(
            "claimed by another run at {}; left to it until the lease ends at {}",
            when(entry.claimed_at),
            when(entry.claimed_at.saturating_add(lease))
        ),
        Outcome::Unconfirmed { entry } => format!(
            "UNCONFIRMED: claimed at {} and never confirmed; not sent again by itself (at most once) — check with the library; `--resend {}` sends it again",
            when(entry.claimed_at),
            r.key
        ),
        Outcome::Deferred { reply } => {
            format!("deferred by the relay, sent on the next run: {reply}")
        }
        Outcome::Failed { reply } => format!(
            "FAILED, refused by the relay: {reply} (fix the cause, then `--resend {}`)",
            r.key
        ),
        Outcome::Unknown { error } => format!(
            "UNKNOWN: the connection failed while sending ({error}); the claim stays and the kind's crash rule applies"
        ),
        Outcome::Lost => "LOST: another run took the claim over while this one sent".into(),
    };
    format!("{}  {}  to {}: {what}", r.key, r.subject, r.to)
}

pub(super) fn run(a: NotifyArgs, color: bool) -> Result<ExitCode, CliError> {
    let Some(config) = world::load_config_to_act(&a.live.libraries, today(None)?, color) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let settings = settings(&config)?.clone();
    let targets = world::targets(&config, &a.live)?;
    let world = world::World::open(&a.live, &config)?;
    let live = match &a.live.live {
        Some(path) => crate::live::snapshot::read(path)?,
        None => world.read(&config, &a.live, targets)?,
    };
    let now = now_of(&live).unix_timestamp();
    let today = world::today_for(
        &a.live,
        &live,
        a.today.as_deref(),
        today(a.today.as_deref())?,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the runtime: {e}")))?;
    let ledger = runtime.block_on(world.ledger(&settings.ledger_table));
    // The ledger's notices: the episodes that state-change notices are keyed on.
    let entries = runtime.block_on(ledger.entries(None))?;
    let history = due::History::new(
        entries
            .iter()
            .map(|e| (&e.key, e.claimed_at, e.to.as_str())),
    );
    // Each SES library's deliverability, for the at-risk notice. An event store that cannot be
    // read holds back that notice alone, said on stderr: the other notices still go.
    let at_risk = runtime
        .block_on(super::at_risk::at_risk_today(
            &world,
            &config,
            &entries,
            today,
            &a.live.targets,
        ))
        .unwrap_or_else(|e| {
            eprintln!(
                "warning: the SES event store could not be read, so no at-risk notice is sent this run: {e}"
            );
            Default::default()
        });
    let mut due = due_notices(&config, &live, today, a.handover_grace, &history, &at_risk);
    // A notice sent again is written as of its first sending, so its words ("in 3 days")
    // are the ones the library should have read then.
    for d in &mut due {
        if let Some(first) = entries.iter().find(|e| e.key == d.key)
            && let Ok(at) = OffsetDateTime::from_unix_timestamp(first.claimed_at)
        {
            d.written = at;
        }
    }
    if !a.live.targets.is_empty() {
        due.retain(|d| a.live.targets.iter().any(|t| t == d.key.library.as_str()));
    }
    let ready = ready(&due, &entries, &settings, now)?;
    for key in &a.resend {
        if !ready.iter().any(|r| r.key.to_string() == *key) {
            return Err(CliError::Usage(format!(
                "`--resend {key}`: no such notice is due now (keys are library/kind/fingerprint, as `mailform notices` lists them; a notice about facts that changed since is a new notice)"
            )));
        }
    }

    if a.dry_run {
        let entries = runtime.block_on(ledger.entries(None))?;
        let keys: Vec<_> = ready.iter().map(|r| r.key.clone()).collect();
        let held = run::preview(&keys, &entries, now, a.lease);
        let mut out = String::new();
        let mut would = 0;
        for (r, held) in ready.iter().zip(held) {
            match held {
                Some(e) => {
                    out += &format!(
                        "= {}  {}  ({} {})\n",
                        r.key,
                        r.subject,
                        e.state.as_str(),
                        when(e.sent_at.unwrap_or(e.claimed_at))
                    );
                }
                None => {
                    would += 1;
                    out += &format!("+ {}  would send:\n", r.key);
                    out += &preview_message(r);
                    out.push('\n');
                }
            }
        }
        out += &format!(
            "\n{would} notice(s) would be sent, {} already sent or claimed. Nothing was sent (--dry-run).\n",
            ready.len() - would
        );
        print(&out);
        return Ok(ExitCode::from(EXIT_OK));
    }

    let password = if a.record_only {
        Secret::new(String::new())
    } else {
        let var = settings.relay.password.as_str();
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => Secret::new(v),
            _ => {
                return Err(CliError::Usage(format!(
                    "the relay's password variable {var} is not set (the platform file's `notices {{ relay {{ password env=… }} }}`)"
                )));
            }
        }
    };
    let extra_root = match &a.test_only_trust_ca {
        Some(path) => Some(std::fs::read(path).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let relay = SmtpRelay::new(
        &settings.relay,
        &password,
        Duration::from_secs(a.relay_timeout.max(1)),
        extra_root.as_deref(),
    )
    .map_err(CliError::Usage)?;
    let opts = RunOptions {
        run: run_id(),
        now,
        lease: a.lease,
        pace: Duration::from_secs_f64(1.0 / f64::from(settings.send_rate.max(1))),
        library_gap: Duration::from_secs(1),
        clock_offset: world.now() - system_now(),
        record_only: a.record_only,
        resend: a.resend.clone(),
    };
    let results = runtime.block_on(async {
        if !a.record_only && !ready.is_empty() {
            use crate::notice::relay::Relay as _;
            relay.check().await.map_err(|e| {
                CliError::Usage(format!(
                    "the relay {}:{} cannot be used, so no notice was claimed or sent: {e}",
                    settings.relay.host, settings.relay.port
                ))
            })?;
        }
        run::send_all(ready, &ledger, &relay, &opts, |r, o| {
            eprintln!("{}", line(r, o, a.lease));
        })
        .await
        .map_err(CliError::from)
    })?;
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|(_, o)| f(o)).count();
    let sent = count(|o| matches!(o, Outcome::Sent | Outcome::Resent { .. }));
    let recorded = count(|o| matches!(o, Outcome::Recorded));
    let done = count(|o| matches!(o, Outcome::Done { .. } | Outcome::InFlight { .. }));
    let deferred = count(|o| matches!(o, Outcome::Deferred { .. }));
    let unconfirmed = count(|o| matches!(o, Outcome::Unconfirmed { .. }));
    let failed = count(Outcome::is_failure);
    print(&format!(
        "Notices: {sent} sent, {recorded} recorded without sending, {done} sent before or in flight, {deferred} deferred, {unconfirmed} unconfirmed, {failed} failed.\n"
    ));
    Ok(ExitCode::from(if failed > 0 || unconfirmed > 0 {
        EXIT_FAILED
    } else if deferred > 0 {
        EXIT_DEFERRED
    } else {
        EXIT_OK
    }))
}

/// A message's headers and plain text, as `--dry-run` shows it (the HTML part carries the
/// same words).
fn preview_message(r: &Ready) -> String {
    let mut out = String::new();
    for name in ["From", "To", "Reply-To", "Subject", "Message-ID", "Date"] {
        if let Some(value) = r.message.headers().get_raw(name) {
            out += &format!("    {name}: {value}\n");
        }
    }
    out.push('\n');
    for line in r.text.lines() {
        out += &format!("    {line}\n").replace("    \n", "\n");
    }
    out
}
