//! The at-risk notice (issue #25, part 3): a library's patrons' addresses bounce (or its
//! patrons report its mail as spam) so much that Amazon reviews its sending or may pause it.
//! Told to the library's IT contact once per episode, with the true numbers, why they matter
//! and what to clean up; when SES has paused the library's tenant already, the notice says so.
//!
//! Pure: the deliverability report (`cli::deliverability::read`, the one reader every surface
//! uses) in, the breaches and the words out. What is I/O (today's report and those of the days
//! since the last notice, which decide the episode) is the CLI's, in `cli::at_risk`.
//!
//! - due: the 7- or 30-day window, with at least [`MIN_RECIPIENTS`] recipients sent to, whose
//!   hard-bounce or complaint rate stands at AWS's review threshold or above. Not the 1-day
//!   window: one day's batch of overdue notices is too few messages to judge a list by, and
//!   it is in the 7-day window as well.
//! - once per episode: the key is the episode's number (and whether SES paused the tenant),
//!   never the numbers, which change every day. An episode ends once the library has been out
//!   of risk for [`RECOVERY_DAYS`] days in a row; slipping back after that is a new notice.

use crate::events::deliverability::{LibraryDeliverability, Standing, Window};
use crate::model::{Date, LibraryId};

use super::due::Due;
use super::text::Body;
use super::{NoticeKey, NoticeKind};

/// The fewest recipients a window must have sent to before its rate is told as a risk. At 200
/// a review-level rate is 10 bounces, a pause-level one 20: a list problem, not chance. Below
/// it a handful of mistyped addresses (3 messages, 1 bounce: 33 %) would read as a crisis,
/// while AWS judges the rate over the sender's whole volume, where those few weigh little.
pub const MIN_RECIPIENTS: u64 = 200;

/// The windows judged, in days: the freshest first, so a tie tells the recent numbers.
pub const WINDOWS: [u32; 2] = [7, 30];

/// Days in a row out of risk that end an episode: a week of notices reaching their patrons
/// is a list cleaned up, not a quiet weekend; slipping back after that is told again.
pub const RECOVERY_DAYS: i64 = 7;

/// The most days after the last notice that are read back to look for a recovery; a notice
/// older than that starts a new episode (a library still at risk four months on is told
/// again rather than trusted to remember).
pub const LOOKBACK_DAYS: i64 = 120;

/// A rate at or over AWS's review threshold in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    pub days: u32,
    /// Recipients sent to in the window.
    pub sent: u64,
    /// Hard bounces, or complaints.
    pub count: u64,
    pub standing: Standing,
}

/// SES paused the library's tenant (the plan's `ses::tenant-paused`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    /// SES's reason, as SES gave it.
    pub cause: Option<String>,
}

/// What an at-risk notice reports.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRisk {
    pub bounces: Option<Breach>,
    pub complaints: Option<Breach>,
    /// The commonest bounce diagnostics of 30 days, with their counts.
    pub reasons: Vec<(String, u64)>,
    pub paused: Option<Paused>,
}

/// The worst window of one rate that counts, if any: enough recipients and at or over review.
fn breach(
    report: &LibraryDeliverability,
    rate: impl Fn(&Window) -> (Standing, u64),
) -> Option<Breach> {
    let mut worst: Option<Breach> = None;
    for days in WINDOWS {
        let Some(w) = report.windows.iter().find(|w| w.days == days) else {
            continue;
        };
        let (standing, count) = rate(w);
        if w.counts.sent < MIN_RECIPIENTS || standing < Standing::UnderReview {
            continue;
        }
        if worst.as_ref().is_none_or(|b| standing > b.standing) {
            worst = Some(Breach {
                days,
                sent: w.counts.sent,
                count,
                standing,
            });
        }
    }
    worst
}

/// The library's breaches in `report`, or `None` when it is not at risk.
pub fn assess(report: &LibraryDeliverability) -> Option<AtRisk> {
    let bounces = breach(report, |w| (w.bounce_standing, w.counts.hard_bounces));
    let complaints = breach(report, |w| (w.complaint_standing, w.counts.complaints));
    (bounces.is_some() || complaints.is_some()).then(|| AtRisk {
        bounces,
        complaints,
        reasons: report
            .top_bounce_reasons
            .iter()
            .map(|r| (r.diagnostic.clone(), r.count))
            .collect(),
        paused: None,
    })
}

/// Whether SES paused the library's tenant, by the plan's verdict of this run (its
/// `ses::tenant-paused` finding), with SES's reason from the tenant read.
pub fn paused(
    lp: &crate::plan::LibraryPlan,
    live: &crate::live::snapshot::LiveSnapshotV1,
    library: &str,
) -> Option<Paused> {
    lp.actions
        .iter()
        .any(|a| a.code == "ses::tenant-paused")
        .then(|| Paused {
            cause: live
                .ses
                .tenants
                .iter()
                .find(|t| t.name == library)
                .and_then(|t| t.ses_managed_cause.clone()),
        })
}

/// The facts an at-risk notice is keyed on: its episode, and whether SES paused the tenant
/// (a pause inside an episode is news the library must hear). Never the numbers: they change
/// every day, and the library is told once per episode.
pub fn facts(episode: usize, paused: bool) -> Vec<String> {
    let mut facts = vec![format!("episode {episode}")];
    if paused {
        facts.push("paused".into());
    }
    facts
}

/// The last episode the ledger told `library` of, and when its latest notice was claimed
/// (unix seconds): the keys of episodes 0, 1, … are recomputed and looked up, since a key's
/// fingerprint cannot be read back.
pub fn last_told(library: &LibraryId, told: &[(&NoticeKey, i64)]) -> Option<(usize, i64)> {
    let mine: Vec<&(&NoticeKey, i64)> = told
        .iter()
        .filter(|(k, _)| k.library == *library && k.kind == NoticeKind::AtRisk)
        .collect();
    let mut last: Option<(usize, i64)> = None;
    for episode in 0..=mine.len() {
        for paused in [false, true] {
            let facts = facts(episode, paused);
            let facts: Vec<&str> = facts.iter().map(String::as_str).collect();
            let key = NoticeKey::new(library.clone(), NoticeKind::AtRisk, &facts);
            for (_, at) in mine.iter().filter(|(k, _)| **k == key) {
                last = match last {
                    Some((n, t)) if n == episode => Some((n, t.max(*at))),
                    _ => Some((episode, *at)),
                };
            }
        }
    }
    last
}

/// The day a unix time falls on (UTC, as the event store counts days).
pub fn day_of(unix: i64) -> Date {
    Date::from_days_since_epoch(unix.div_euclid(86_400))
}

/// Today's episode, or the days to read back to decide it.
pub enum Episode {
    /// No reading needed: episode 0 when nothing was told, the same episode when too few days
    /// passed to recover in, the next when the last notice is older than [`LOOKBACK_DAYS`].
    Known(usize),
    /// Read these days (oldest first); [`episode_after`] decides from their verdicts.
    Read { last: usize, days: Vec<Date> },
}

/// What today's episode is, given the last one told and its day.
pub fn episode(last: Option<(usize, Date)>, today: Date) -> Episode {
    let Some((n, told)) = last else {
        return Episode::Known(0);
    };
    let gap = today.days_since_epoch() - told.days_since_epoch() - 1;
    if gap < RECOVERY_DAYS {
        return Episode::Known(n);
    }
    if gap > LOOKBACK_DAYS {
        return Episode::Known(n + 1);
    }
    Episode::Read {
        last: n,
        days: (1..=gap)
            .map(|i| Date::from_days_since_epoch(told.days_since_epoch() + i))
            .collect(),
    }
}

/// The episode after reading the days back: a new one when [`RECOVERY_DAYS`] of them in a row
/// were out of risk (`false`).
pub fn episode_after(last: usize, at_risk_each_day: &[bool]) -> usize {
    let mut run = 0;
    for at_risk in at_risk_each_day {
        run = if *at_risk { 0 } else { run + 1 };
        if run >= RECOVERY_DAYS {
            return last + 1;
        }
    }
    last
}

/// `1240` as `1,240`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `count` of `sent` as a percentage with `decimals` places, rounded down (in integers, so
/// 20 of 200 is exactly 10.0 %): a rate just under a threshold never reads as at it.
fn percent(count: u64, sent: u64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let p = count.saturating_mul(100 * scale) / sent.max(1);
    format!(
        "{}.{:0width$} %",
        p / scale,
        p % scale,
        width = decimals as usize
    )
}

/// A bounce diagnostic in the reader's words, beside the mail server's own.
fn reason_words(diagnostic: &str) -> &'static str {
    let d = diagnostic.to_ascii_lowercase();
    if d.contains("suppress") {
        "Amazon no longer sends to the address, because it bounced before"
    } else if d.contains("5.1.1") || d.contains("user unknown") || d.contains("does not exist") {
        "the mailbox does not exist"
    } else if d.contains("5.1.2") || d.contains("5.4.4") || d.contains("host unknown") {
        "the address's domain does not receive mail (often a typo in it)"
    } else if d.contains("5.2.1") || d.contains("disabled") || d.contains("inactive") {
        "the mailbox was closed or disabled"
    } else if d.contains("5.2.2") || d.contains("quota") || d.contains("full") {
        "the mailbox is full"
    } else {
        "the receiving server refused the address for good"
    }
}

/// The words of an at-risk notice into `b`; returns the subject.
pub(super) fn words(b: &mut Body, a: &AtRisk, _due: &Due) -> String {
    if let Some(p) = &a.paused {
        b.para("Amazon, which sends your library's mail, has paused your library's sending. Until it is reinstated, none of your library's notices and receipts reach your patrons.");
        if let Some(cause) = &p.cause {
            b.para(&format!("Amazon's reason: {}", crate::text::visible(cause)));
        }
    }
    if let Some(x) = &a.bounces {
        b.para(&share(
            x,
            1,
            "could not be delivered because the address does not exist or refuses mail for good",
        ));
    }
    if let Some(x) = &a.complaints {
        b.para(&share(
            x,
            2,
            "were reported as spam by the patron who received them",
        ));
    }
    b.heading("Why this matters");
    let mut why = Vec::new();
    if let Some(x) = &a.bounces {
        why.push(format!(
            "Amazon reviews a sender when 5 % of its messages bounce this way, and pauses its sending at 10 %. Your library is {}.",
            level(x.standing, "5 %", "10 %")
        ));
    }
    if let Some(x) = &a.complaints {
        why.push(format!(
            "Amazon reviews a sender when 0.1 % of its messages are reported as spam, and pauses its sending at 0.5 %. Your library is {}.",
            level(x.standing, "0.1 %", "0.5 %")
        ));
    }
    if a.paused.is_none() {
        why.push("If Amazon pauses your library's sending, all of your library's notices and receipts stop until it is reinstated.".into());
    }
    b.list(&why);
    b.heading("What to do");
    let mut todo = Vec::new();
    if a.bounces.is_some() {
        todo.push("Correct or remove the email addresses that bounced. They are in the patron records of your library system (ILS), in each patron's contact details; an address that bounced once bounces on every notice sent to it.".to_string());
        todo.push("Reply to this message for the list of addresses that bounced: we send it through the secure channel we agreed, never by e-mail, since patrons' addresses are their personal data.".into());
        todo.push("When patrons register or update their details, check the email address with them (a typo in the part after the @ is a common cause).".into());
    }
    if a.complaints.is_some() {
        todo.push("Send patrons only the mail they asked for, make clear in each message which library it comes from, and stop e-mailing patrons who asked not to get e-mail.".into());
    }
    if a.paused.is_some() {
        todo.push("Once the addresses are cleaned up, reply to this message: we ask Amazon to reinstate your library's sending.".into());
    }
    b.list(&todo);
    if a.bounces.is_some() && !a.reasons.is_empty() {
        b.heading("The commonest reasons for bounces in the last 30 days");
        let reasons: Vec<String> = a
            .reasons
            .iter()
            .map(|(diagnostic, count)| {
                format!(
                    "{} ({}): {}",
                    reason_words(diagnostic),
                    thousands(*count),
                    crate::text::visible(diagnostic)
                )
            })
            .collect();
        b.list(&reasons);
    }
    b.para("The share falls with each message that reaches a valid address and a patron who wants it. We write about this once; we write again only if it rises to this level after a week back below it.");
    let paused = a.paused.is_some();
    let candidates: Vec<String> = match (a.bounces.is_some(), paused) {
        (true, true) => vec![
            "Clean up patron email addresses: Amazon paused your library's mail".into(),
            "Clean up patron email addresses: Amazon paused your mail".into(),
        ],
        (true, false) => {
            vec!["Clean up patron email addresses before Amazon pauses your mail".into()]
        }
        (false, true) => vec!["Check who gets your library's mail: Amazon paused it".into()],
        (false, false) => vec!["Check who gets your library's mail: too many spam reports".into()],
    };
    super::text::fit(&candidates)
}

/// `Of the 1,240 messages … in the last 7 days, 93 (7.5 %) <what>.`
fn share(x: &Breach, decimals: u32, what: &str) -> String {
    format!(
        "Of the {} messages your library sent to patrons in the last {} days, {} ({}) {what}.",
        thousands(x.sent),
        x.days,
        thousands(x.count),
        percent(x.count, x.sent, decimals)
    )
}

/// Where a rate stands, as the reader needs it.
fn level(standing: Standing, review: &str, pause: &str) -> String {
    match standing {
        Standing::AtRiskOfPause => {
            format!("at or above the {pause} level now: Amazon may pause it at any time")
        }
        _ => format!("at or above the {review} review level now"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::deliverability::{Counts, Reason};

    fn window(days: u32, sent: u64, hard_bounces: u64, complaints: u64) -> Window {
        let rate = |n: u64| (sent > 0).then(|| n as f64 / sent as f64);
        let standing = |r: Option<f64>, review: f64, pause: f64| match r {
            None => Standing::NoMail,
            Some(r) if r >= pause => Standing::AtRiskOfPause,
            Some(r) if r >= review => Standing::UnderReview,
            Some(_) => Standing::Healthy,
        };
        Window {
            days,
            counts: Counts {
                sent,
                hard_bounces,
                complaints,
                ..Counts::default()
            },
            bounce_rate: rate(hard_bounces),
            bounce_standing: standing(rate(hard_bounces), 0.05, 0.10),
            complaint_rate: rate(complaints),
            complaint_standing: standing(rate(complaints), 0.001, 0.005),
        }
    }

    fn report(windows: Vec<Window>) -> LibraryDeliverability {
        LibraryDeliverability {
            library: "springfield".into(),
            domain: "springfield.example.org".into(),
            windows,
            top_bounce_reasons: vec![Reason {
                diagnostic: "smtp; 550 5.1.1 user unknown".into(),
                count: 20,
            }],
            standing: Standing::AtRiskOfPause,
            suppression: crate::events::suppression::Suppression::NotRead,
        }
    }

    #[test]
    fn below_the_minimum_volume_nothing_is_at_risk_and_at_it_the_rate_counts() {
        // 20 of 199: 10 %, yet too few recipients; 20 of 200: at the pause threshold.
        let few = report(vec![
            window(1, 199, 20, 0),
            window(7, 199, 20, 0),
            window(30, 199, 20, 0),
        ]);
        assert_eq!(assess(&few), None);
        let enough = report(vec![
            window(1, 200, 20, 0),
            window(7, 200, 20, 0),
            window(30, 200, 20, 0),
        ]);
        let risk = assess(&enough).expect("at risk");
        let b = risk.bounces.expect("bounces");
        assert_eq!(
            (b.days, b.sent, b.count, b.standing),
            (7, 200, 20, Standing::AtRiskOfPause)
        );
        assert_eq!(risk.complaints, None);
        // Healthy at volume: 9 of 200.
        let healthy = report(vec![window(7, 200, 9, 0), window(30, 200, 9, 0)]);
        assert_eq!(assess(&healthy), None);
        // The 1-day window alone never makes a risk.
        let one_day = report(vec![
            window(1, 500, 100, 0),
            window(7, 5000, 100, 0),
            window(30, 5000, 100, 0),
        ]);
        assert_eq!(assess(&one_day), None);
    }

    #[test]
    fn the_worse_window_is_told_and_complaints_count_alone() {
        let r = report(vec![window(7, 300, 16, 0), window(30, 1000, 120, 2)]);
        let risk = assess(&r).unwrap();
        assert_eq!(risk.bounces.unwrap().days, 30);
        assert_eq!(risk.complaints.unwrap().standing, Standing::UnderReview);
        let complaints = report(vec![window(7, 400, 0, 2), window(30, 400, 0, 2)]);
        let risk = assess(&complaints).unwrap();
        assert_eq!(risk.bounces, None);
        assert_eq!(risk.complaints.unwrap().days, 7);
    }

    #[test]
    fn an_episode_ends_after_a_week_out_of_risk() {
        let d = |s: &str| Date::parse(s).unwrap();
        assert!(matches!(episode(None, d("2026-01-10")), Episode::Known(0)));
        // Six days after: too soon to have recovered.
        assert!(matches!(
            episode(Some((0, d("2026-01-01"))), d("2026-01-08")),
            Episode::Known(0)
        ));
        match episode(Some((2, d("2026-01-01"))), d("2026-01-09")) {
            Episode::Read { last, days } => {
                assert_eq!(last, 2);
                assert_eq!(days.first(), Some(&d("2026-01-02")));
                assert_eq!(days.last(), Some(&d("2026-01-08")));
            }
            Episode::Known(n) => panic!("known {n}"),
        }
        assert!(matches!(
            episode(Some((1, d("2026-01-01"))), d("2026-06-01")),
            Episode::Known(2)
        ));
        let six_then_risk = [false, false, false, false, false, false, true, false];
        assert_eq!(episode_after(0, &six_then_risk), 0);
        assert_eq!(
            episode_after(0, &[true, false, false, false, false, false, false, false]),
            1
        );
    }

    #[test]
    fn the_last_episode_told_is_found_from_the_keys() {
        let lib = LibraryId::parse("springfield").unwrap();
        let key = |n: usize, paused: bool| {
            let f = facts(n, paused);
            let f: Vec<&str> = f.iter().map(String::as_str).collect();
            NoticeKey::new(lib.clone(), NoticeKind::AtRisk, &f)
        };
        let (a, b, c) = (key(0, false), key(1, false), key(1, true));
        assert_eq!(last_told(&lib, &[]), None);
        assert_eq!(last_told(&lib, &[(&a, 10)]), Some((0, 10)));
        assert_eq!(
            last_told(&lib, &[(&c, 30), (&a, 10), (&b, 20)]),
            Some((1, 30))
        );
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(1240), "1,240");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(percent(93, 1240, 1), "7.5 %");
        assert_eq!(percent(20, 200, 1), "10.0 %");
        // Just under the pause threshold never reads as at it.
        assert_eq!(percent(1999, 20000, 1), "9.9 %");
        assert_eq!(percent(1, 400, 2), "0.25 %");
    }
}
