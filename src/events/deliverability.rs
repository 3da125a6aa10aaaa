//! Deliverability per library, from its domain's daily rollup (pure): counts over the last 30 days; hard
//! bounce and complaint rates over 1, 7 and 30 days, each against the thresholds at which AWS
//! reviews an account (5 % bounces, 0.1 % complaints) and pauses its sending (10 %, 0.5 %);
//! and the commonest bounce diagnostics.
//!
//! Rates are per recipient of sent mail, as AWS computes them: hard bounces (and complaints)
//! over the recipients SES accepted to send to (Send events).

use std::collections::BTreeMap;

use serde::Serialize;

use super::rollup::Rollup;
use crate::model::Date;

/// AWS's thresholds, as fractions.
pub const BOUNCE_REVIEW: f64 = 0.05;
pub const BOUNCE_PAUSE: f64 = 0.10;
pub const COMPLAINT_REVIEW: f64 = 0.001;
pub const COMPLAINT_PAUSE: f64 = 0.005;
/// The windows, in days, ending today.
pub const WINDOWS: [u32; 3] = [1, 7, 30];
/// How many bounce diagnostics a report lists.
pub const TOP_REASONS: usize = 5;

/// Where a rate stands against AWS's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Nothing sent in the window: no rate.
    NoMail,
    Healthy,
    /// At or over AWS's review threshold.
    UnderReview,
    /// At or over the threshold at which AWS pauses the account's sending.
    AtRiskOfPause,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::NoMail => "no-mail",
            Standing::Healthy => "healthy",
            Standing::UnderReview => "under-review",
            Standing::AtRiskOfPause => "at-risk-of-pause",
        }
    }

    fn of(rate: Option<f64>, review: f64, pause: f64) -> Self {
        match rate {
            None => Standing::NoMail,
            Some(r) if r >= pause => Standing::AtRiskOfPause,
            Some(r) if r >= review => Standing::UnderReview,
            Some(_) => Standing::Healthy,
        }
    }
}

/// Event counts over one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub complaints: u64,
    pub rejects: u64,
    pub delays: u64,
}

impl Counts {
    /// The counts in the order of [`Counts::NAMES`].
    pub fn in_order(&self) -> [u64; 7] {
        [
            self.sent,
            self.delivered,
            self.hard_bounces,
            self.soft_bounces,
            self.complaints,
            self.rejects,
            self.delays,
        ]
    }

    pub const NAMES: [&'static str; 7] = [
        "sent",
        "delivered",
        "hard_bounces",
        "soft_bounces",
        "complaints",
        "rejects",
        "delays",
    ];
}

/// The rates of one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub days: u32,
    pub counts: Counts,
    /// Hard bounces per recipient sent to; `None` when nothing was sent.
    pub bounce_rate: Option<f64>,
    pub bounce_standing: Standing,
    pub complaint_rate: Option<f64>,
    pub complaint_standing: Standing,
}

/// One bounce diagnostic and how often it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub diagnostic: String,
    pub count: u64,
}

/// One library's deliverability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LibraryDeliverability {
    pub library: String,
    /// The From domain its events are counted by.
    pub domain: String,
    /// The 1-, 7- and 30-day windows.
    pub windows: Vec<Window>,
    /// The commonest bounce diagnostics over 30 days, commonest first.
    pub top_bounce_reasons: Vec<Reason>,
    /// The worst standing of any window.
    pub standing: Standing,
    /// The library's suppressed recipients, filled in after the counts (`NotRead` until then).
    pub suppression: super::suppression::Suppression,
}

/// The first day of the longest window ending `today`.
pub fn first_day(today: Date) -> Date {
    Date::from_days_since_epoch(today.days_since_epoch() - (i64::from(WINDOWS[2]) - 1))
}

/// Computes one library's report from its domain's daily rollup (any days; those outside the
/// windows are ignored).
pub fn compute(library: &str, domain: &str, rollup: &Rollup, today: Date) -> LibraryDeliverability {
    let to = today.to_string();
    let windows: Vec<Window> = WINDOWS
        .iter()
        .map(|&days| {
            let from =
                Date::from_days_since_epoch(today.days_since_epoch() - (i64::from(days) - 1))
                    .to_string();
            let mut c = Counts::default();
            for (_, day) in rollup.days.range(from..=to.clone()) {
                c.plus(day);
            }
            let rate = |n: u64| (c.sent > 0).then(|| n as f64 / c.sent as f64);
            let bounce_rate = rate(c.hard_bounces);
            let complaint_rate = rate(c.complaints);
            Window {
                days,
                counts: c,
                bounce_rate,
                bounce_standing: Standing::of(bounce_rate, BOUNCE_REVIEW, BOUNCE_PAUSE),
                complaint_rate,
                complaint_standing: Standing::of(complaint_rate, COMPLAINT_REVIEW, COMPLAINT_PAUSE),
            }
        })
        .collect();
    let from = first_day(today).to_string();
    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    for ((day, diagnostic), count) in &rollup.reasons {
        // A rebuilt rollup keeps a diagnostic its records no longer hold at 0.
        if *day >= from && *day <= to && *count > 0 {
            *reasons.entry(diagnostic.as_str()).or_default() += count;
        }
    }
    let mut top: Vec<Reason> = reasons
        .into_iter()
        .map(|(d, count)| Reason {
            diagnostic: d.to_string(),
            count,
        })
        .collect();
    top.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.diagnostic.cmp(&b.diagnostic))
    });
    top.truncate(TOP_REASONS);
    let standing = windows
        .iter()
        .flat_map(|w| [w.bounce_standing, w.complaint_standing])
        .max()
        .unwrap_or(Standing::NoMail);
    LibraryDeliverability {
        library: library.to_string(),
        domain: domain.to_string(),
        windows,
        top_bounce_reasons: top,
        standing,
        suppression: super::suppression::Suppression::NotRead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::event::{EventKind, EventRecord};

    fn compute(
        library: &str,
        domain: &str,
        records: &[EventRecord],
        today: Date,
    ) -> LibraryDeliverability {
        super::compute(library, domain, &Rollup::of(records), today)
    }

    fn record(kind: EventKind, day: &str, bounce: Option<&str>, n: usize) -> EventRecord {
        EventRecord {
            message_id: format!("m{n}"),
            kind,
            recipient: format!("r{n}@example.net"),
            domain: "lib.example".into(),
            day: day.into(),
            bounce_type: bounce.map(str::to_string),
            diagnostic: bounce.map(|_| "smtp; 550 5.1.1 user unknown".to_string()),
        }
    }

    fn today() -> Date {
        Date::parse("2026-01-31").unwrap()
    }

    #[test]
    fn rates_meet_aws_thresholds_at_their_edges() {
        // 100 sent today; 5 hard bounces is exactly the review threshold, 10 the pause one.
        for (hard, soft, want) in [
            (4, 20, Standing::Healthy),
            (5, 0, Standing::UnderReview),
            (10, 0, Standing::AtRiskOfPause),
        ] {
            let mut records: Vec<EventRecord> = (0..100)
                .map(|n| record(EventKind::Send, "2026-01-31", None, n))
                .collect();
            records.extend(
                (0..hard).map(|n| record(EventKind::Bounce, "2026-01-31", Some("Permanent"), n)),
            );
            records.extend(
                (0..soft)
                    .map(|n| record(EventKind::Bounce, "2026-01-31", Some("Transient"), 500 + n)),
            );
            let report = compute("lib", "lib.example", &records, today());
            assert_eq!(report.windows[0].bounce_standing, want, "{hard} hard");
            assert_eq!(report.windows[0].counts.soft_bounces, soft as u64);
            assert_eq!(report.standing, want);
        }
    }

    #[test]
    fn windows_count_their_days_only_and_nothing_sent_is_no_mail() {
        let records = vec![
            record(EventKind::Send, "2026-01-31", None, 1),
            record(EventKind::Send, "2026-01-25", None, 2),
            record(EventKind::Send, "2026-01-02", None, 3),
            // Outside 30 days: ignored.
            record(EventKind::Send, "2026-01-01", None, 4),
            record(EventKind::Complaint, "2026-01-02", None, 3),
        ];
        let report = compute("lib", "lib.example", &records, today());
        let sent: Vec<u64> = report.windows.iter().map(|w| w.counts.sent).collect();
        assert_eq!(sent, [1, 2, 3]);
        // One complaint in three sent over 30 days: far past 0.5 %.
        assert_eq!(
            report.windows[2].complaint_standing,
            Standing::AtRiskOfPause
        );
        assert_eq!(report.windows[0].complaint_standing, Standing::Healthy);
        let empty = compute("lib", "lib.example", &[], today());
        assert_eq!(empty.standing, Standing::NoMail);
        assert_eq!(empty.windows[0].bounce_rate, None);
    }
}
