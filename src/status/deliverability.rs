//! Deliverability on the status page (issue #25 part 3): each SES library's worst standing
//! against AWS's thresholds, the rate and window that put it there, its mail over 30 days and
//! its commonest bounce reason, beside its onboarding stage. Pure: the reports that
//! `cli::deliverability::read` computed (or why the event store could not be read) in; each
//! row's cell, the report's summary and the row's urgency out.
//!
//! A library at risk of pause is not done: AWS pauses the whole account's sending at 10 % hard
//! bounces or 0.5 % complaints, every library's mail with it, so the row is `failing` and
//! waits on the library (its patrons' addresses) once nothing else holds it. Under review is
//! a warning: AWS asks for a fix and the account keeps sending, so the row keeps its urgency
//! and the cell and the summary say it.

use serde::Serialize;

use super::{StatusRow, Urgency, WaitsOn};
use crate::events::deliverability::{
    BOUNCE_PAUSE, BOUNCE_REVIEW, COMPLAINT_PAUSE, COMPLAINT_REVIEW, LibraryDeliverability, Reason,
    Standing, WINDOWS, Window,
};

/// What a status run learnt of deliverability.
#[derive(Debug, Clone, PartialEq)]
pub enum Insight {
    /// The platform file has no `events` block: nothing is kept, the page has no column.
    NotKept,
    /// The event store (this table) could not be read, and why.
    Unreadable { table: String, error: String },
    /// The event store's table, and each SES library's report (by library id).
    Read {
        table: String,
        reports: Vec<LibraryDeliverability>,
    },
}

/// Which rate a cause names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rate {
    HardBounces,
    Complaints,
}

impl Rate {
    pub fn label(self) -> &'static str {
        match self {
            Rate::HardBounces => "hard bounces",
            Rate::Complaints => "complaints",
        }
    }
}

/// The rate and window behind a standing: the worst of both rates over the three windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cause {
    pub rate: Rate,
    pub days: u32,
    /// Hard bounces (or complaints) per recipient sent to, as a fraction.
    pub value: f64,
    /// The hard bounces (or complaints) counted.
    pub count: u64,
    /// Recipients sent to in the window.
    pub sent: u64,
    /// The threshold it is held against: AWS's pause threshold when at risk of pause, its
    /// review threshold otherwise.
    pub threshold: f64,
}

impl Cause {
    /// "hard bounces 6.2 % over 7 days; AWS reviews at 5 %".
    pub fn text(&self, standing: Standing) -> String {
        let verb = if standing == Standing::AtRiskOfPause {
            "pauses"
        } else {
            "reviews"
        };
        format!(
            "{} {} over {} day{}; AWS {verb} at {}",
            self.rate.label(),
            percent(self.value),
            self.days,
            if self.days == 1 { "" } else { "s" },
            percent(self.threshold)
        )
    }
}

/// A fraction as a percentage a reader can hold against 5 %, 0.1 %: one decimal from 1 %,
/// two below, no trailing zeros on the thresholds.
pub fn percent(fraction: f64) -> String {
    let p = fraction * 100.0;
    let text = if p >= 1.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text} %")
}

/// One row's deliverability (an SES library whose events were read).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowDeliverability {
    /// The worst standing of either rate in any window.
    pub standing: Standing,
    /// What puts it there; `None` when nothing was sent in 30 days.
    pub cause: Option<Cause>,
    /// Recipients SES accepted to send to over 30 days.
    pub sent_30_days: u64,
    /// The 1-, 7- and 30-day windows, as `mailform deliverability` gives them.
    pub windows: Vec<Window>,
    /// The commonest bounce diagnostics over 30 days, commonest first.
    pub top_bounce_reasons: Vec<Reason>,
}

impl RowDeliverability {
    pub fn of(report: &LibraryDeliverability) -> Self {
        let longest = WINDOWS[WINDOWS.len() - 1];
        RowDeliverability {
            standing: report.standing,
            cause: cause(&report.windows),
            sent_30_days: report
                .windows
                .iter()
                .find(|w| w.days == longest)
                .map_or(0, |w| w.counts.sent),
            windows: report.windows.clone(),
            top_bounce_reasons: report.top_bounce_reasons.clone(),
        }
    }

    /// The cell's second line: the cause, or that nothing was sent.
    pub fn line(&self) -> String {
        match &self.cause {
            Some(c) => c.text(self.standing),
            None => format!("no mail sent in {} days", WINDOWS[WINDOWS.len() - 1]),
        }
    }
}

/// The worst rate: by standing, then by how far it is towards its review threshold, then the
/// longer window (all mail sent today reads "over 30 days", which is as true and says more).
fn cause(windows: &[Window]) -> Option<Cause> {
    let mut best: Option<((Standing, f64, u32), Cause)> = None;
    for w in windows.iter().filter(|w| w.counts.sent > 0) {
        for (rate, value, standing, count, review, pause) in [
            (
                Rate::HardBounces,
                w.bounce_rate,
                w.bounce_standing,
                w.counts.hard_bounces,
                BOUNCE_REVIEW,
                BOUNCE_PAUSE,
            ),
            (
                Rate::Complaints,
                w.complaint_rate,
                w.complaint_standing,
                w.counts.complaints,
                COMPLAINT_REVIEW,
                COMPLAINT_PAUSE,
            ),
        ] {
            let Some(value) = value else { continue };
            let key = (standing, value / review, w.days);
            let worse = best.as_ref().is_none_or(|(k, _)| {
                (key.0, key.1)
                    .partial_cmp(&(k.0, k.1))
                    .is_some_and(|o| o.is_gt() || (o.is_eq() && key.2 > k.2))
            });
            if worse {
                let threshold = if standing == Standing::AtRiskOfPause {
                    pause
                } else {
                    review
                };
                best = Some((
                    key,
                    Cause {
                        rate,
                        days: w.days,
                        value,
                        count,
                        sent: w.counts.sent,
                        threshold,
                    },
                ));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// AWS's thresholds, as fractions (the report's `thresholds`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub bounce_review: f64,
    pub bounce_pause: f64,
    pub complaint_review: f64,
    pub complaint_pause: f64,
}

/// How many rows stand where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StandingCounts {
    pub at_risk_of_pause: usize,
    pub under_review: usize,
    pub healthy: usize,
    pub no_mail: usize,
}

/// The report's deliverability: where it comes from, whether it was read, and the counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The event store's DynamoDB table.
    pub table: String,
    /// Whether the event store was read; when not, `error` says why and no row has a cell.
    pub read: bool,
    pub error: Option<String>,
    /// The last day of the 1-, 7- and 30-day windows (the report's `today`).
    pub windows_end: String,
    pub thresholds: Thresholds,
    pub counts: StandingCounts,
}

impl Summary {
    /// The summary of `insight` over the rows (`None` when no events are kept).
    pub fn of(insight: &Insight, rows: &[StatusRow], today: &str) -> Option<Summary> {
        let (table, error) = match insight {
            Insight::NotKept => return None,
            Insight::Unreadable { table, error } => (table, Some(error.clone())),
            Insight::Read { table, .. } => (table, None),
        };
        let mut counts = StandingCounts::default();
        for d in rows.iter().filter_map(|r| r.deliverability.as_ref()) {
            *match d.standing {
                Standing::AtRiskOfPause => &mut counts.at_risk_of_pause,
                Standing::UnderReview => &mut counts.under_review,
                Standing::Healthy => &mut counts.healthy,
                Standing::NoMail => &mut counts.no_mail,
            } += 1;
        }
        Some(Summary {
            table: table.clone(),
            read: error.is_none(),
            error,
            windows_end: today.to_string(),
            thresholds: Thresholds {
                bounce_review: BOUNCE_REVIEW,
                bounce_pause: BOUNCE_PAUSE,
                complaint_review: COMPLAINT_REVIEW,
                complaint_pause: COMPLAINT_PAUSE,
            },
            counts,
        })
    }
}

/// Gives a row its library's cell and, at risk of pause, its weight: failing, waiting on the
/// library's IT staff if nobody else, and the cause first in its reason (after the plan's error,
/// which stays the reason of a row that fails for it).
pub(super) fn attach(row: &mut StatusRow, insight: &Insight) {
    let Insight::Read { reports, .. } = insight else {
        return;
    };
    let Some(report) = reports.iter().find(|r| r.library == row.library) else {
        return;
    };
    let cell = RowDeliverability::of(report);
    if cell.standing == Standing::AtRiskOfPause {
        if row.waits_on == WaitsOn::Nobody {
            row.waits_on = WaitsOn::ItStaff;
        }
        if row.urgency != Urgency::Failing {
            row.urgency = Urgency::Failing;
            let risk = format!("at risk of pause: {}", cell.line());
            row.reason = Some(match row.reason.take() {
                Some(rest) => format!("{risk}; {rest}"),
                None => risk,
            });
        }
    }
    row.deliverability = Some(cell);
}

/// The standing in the operators' words.
pub fn label(s: Standing) -> &'static str {
    match s {
        Standing::AtRiskOfPause => "at risk of pause",
        Standing::UnderReview => "under review",
        Standing::Healthy => "healthy",
        Standing::NoMail => "no mail",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::deliverability::compute;
    use crate::events::event::{EventKind, EventRecord};
    use crate::model::Date;

    fn records(day: &str, sent: usize, hard: usize, complaints: usize) -> Vec<EventRecord> {
        let record = |kind, n: usize, bounce: Option<&str>| EventRecord {
            message_id: format!("m{day}{n}"),
            kind,
            recipient: format!("r{n}@example.net"),
            domain: "lib.example".into(),
            day: day.into(),
            bounce_type: bounce.map(str::to_string),
            diagnostic: bounce.map(|_| "smtp; 550 5.1.1 user unknown".to_string()),
        };
        let mut out: Vec<EventRecord> = (0..sent)
            .map(|n| record(EventKind::Send, n, None))
            .collect();
        out.extend((0..hard).map(|n| record(EventKind::Bounce, n, Some("Permanent"))));
        out.extend((0..complaints).map(|n| record(EventKind::Complaint, n, None)));
        out
    }

    fn cell(records: &[EventRecord]) -> RowDeliverability {
        let today = Date::parse("2026-01-31").unwrap();
        RowDeliverability::of(&compute(
            "lib",
            "lib.example",
            &crate::events::rollup::Rollup::of(records),
            today,
        ))
    }

    #[test]
    fn the_cause_is_the_worst_rate_and_its_longest_window() {
        // All today: every window alike, so the 30-day one is named.
        let c = cell(&records("2026-01-31", 100, 6, 0));
        assert_eq!(c.standing, Standing::UnderReview);
        assert_eq!(
            c.line(),
            "hard bounces 6 % over 30 days; AWS reviews at 5 %"
        );
        assert_eq!(c.sent_30_days, 100);

        // An old healthy month and a bad week: the week is named, against the pause threshold.
        let mut r = records("2026-01-02", 900, 0, 0);
        r.extend(records("2026-01-29", 50, 7, 0));
        let c = cell(&r);
        assert_eq!(c.standing, Standing::AtRiskOfPause);
        assert_eq!(
            c.line(),
            "hard bounces 14 % over 7 days; AWS pauses at 10 %"
        );

        // Complaints past review outrank bounces that are healthy, however close.
        let c = cell(&records("2026-01-31", 1000, 49, 2));
        assert_eq!(
            c.line(),
            "complaints 0.2 % over 30 days; AWS reviews at 0.1 %"
        );

        // Healthy: the rate nearest its threshold.
        let c = cell(&records("2026-01-31", 1000, 4, 0));
        assert_eq!(c.standing, Standing::Healthy);
        assert_eq!(
            c.line(),
            "hard bounces 0.4 % over 30 days; AWS reviews at 5 %"
        );

        // Nothing sent: said plainly.
        let c = cell(&[]);
        assert_eq!((c.standing, c.cause.clone()), (Standing::NoMail, None));
        assert_eq!(c.line(), "no mail sent in 30 days");
    }

    #[test]
    fn percentages_read_against_the_thresholds() {
        assert_eq!(percent(0.062), "6.2 %");
        assert_eq!(percent(0.10), "10 %");
        assert_eq!(percent(0.001), "0.1 %");
        assert_eq!(percent(0.0005), "0.05 %");
        assert_eq!(percent(2.0 / 7.0), "28.6 %");
        assert_eq!(percent(0.0), "0 %");
    }
}
