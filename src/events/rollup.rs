//! Daily rollups (pure): a sending domain's event counts per day, and its bounce diagnostics
//! per day with how often each came. The drain adds a batch's rollup to the store in the same
//! transaction as the batch's records, so the counts are the records' counts exactly;
//! `deliverability` reads 30 days of rollups instead of every record.

use std::collections::BTreeMap;

use super::deliverability::Counts;
use super::event::{EventKind, EventRecord};

/// What a bounce without a diagnostic is listed as.
pub const NO_DIAGNOSTIC: &str = "(no diagnostic)";

/// One domain's counts by day (`YYYY-MM-DD`) and bounce diagnostics by (day, diagnostic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub days: BTreeMap<String, Counts>,
    pub reasons: BTreeMap<(String, String), u64>,
}

impl Rollup {
    /// The rollup of one domain's records.
    pub fn of<'r>(records: impl IntoIterator<Item = &'r EventRecord>) -> Rollup {
        let mut rollup = Rollup::default();
        for r in records {
            rollup.add(r);
        }
        rollup
    }

    /// Counts one record.
    pub fn add(&mut self, r: &EventRecord) {
        let c = self.days.entry(r.day.clone()).or_default();
        match r.kind {
            EventKind::Send => c.sent += 1,
            EventKind::Delivery => c.delivered += 1,
            EventKind::Bounce if r.is_hard_bounce() => c.hard_bounces += 1,
            EventKind::Bounce => c.soft_bounces += 1,
            EventKind::Complaint => c.complaints += 1,
            EventKind::Reject => c.rejects += 1,
            EventKind::DeliveryDelay => c.delays += 1,
        }
        if r.kind == EventKind::Bounce {
            let diagnostic = r.diagnostic.as_deref().unwrap_or(NO_DIAGNOSTIC);
            *self
                .reasons
                .entry((r.day.clone(), diagnostic.to_string()))
                .or_default() += 1;
        }
    }

    /// How many items this rollup touches in the store: one per day, one per (day, diagnostic).
    pub fn items(&self) -> usize {
        self.days.len() + self.reasons.len()
    }
}

/// The rollup of each domain a batch of records holds.
pub fn by_domain<'r>(
    records: impl IntoIterator<Item = &'r EventRecord>,
) -> BTreeMap<String, Rollup> {
    let mut out: BTreeMap<String, Rollup> = BTreeMap::new();
    for r in records {
        out.entry(r.domain.clone()).or_default().add(r);
    }
    out
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn plus(&mut self, other: &Counts) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.hard_bounces += other.hard_bounces;
        self.soft_bounces += other.soft_bounces;
        self.complaints += other.complaints;
        self.rejects += other.rejects;
        self.delays += other.delays;
    }

    /// The counts by the names of [`Counts::NAMES`], for a store's attributes.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> {
        Counts::NAMES.into_iter().zip(self.in_order())
    }

    /// Sets the count named `name` (one of [`Counts::NAMES`]); false for another name.
    pub fn set(&mut self, name: &str, value: u64) -> bool {
        let slot = match name {
            "sent" => &mut self.sent,
            "delivered" => &mut self.delivered,
            "hard_bounces" => &mut self.hard_bounces,
            "soft_bounces" => &mut self.soft_bounces,
            "complaints" => &mut self.complaints,
            "rejects" => &mut self.rejects,
            "delays" => &mut self.delays,
            _ => return false,
        };
        *slot = value;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(domain: &str, kind: EventKind, day: &str, diagnostic: Option<&str>) -> EventRecord {
        EventRecord {
            message_id: "m".into(),
            kind,
            recipient: "r@example.net".into(),
            domain: domain.into(),
            day: day.into(),
            bounce_type: (kind == EventKind::Bounce).then(|| "Permanent".to_string()),
            diagnostic: diagnostic.map(str::to_string),
        }
    }

    #[test]
    fn a_batch_rolls_up_per_domain_day_and_diagnostic() {
        let records = [
            record("a.org", EventKind::Send, "2026-01-01", None),
            record("a.org", EventKind::Send, "2026-01-02", None),
            record(
                "a.org",
                EventKind::Bounce,
                "2026-01-01",
                Some("550 unknown"),
            ),
            record(
                "a.org",
                EventKind::Bounce,
                "2026-01-01",
                Some("550 unknown"),
            ),
            record("a.org", EventKind::Bounce, "2026-01-01", None),
            record("b.org", EventKind::Delivery, "2026-01-01", None),
        ];
        let all = by_domain(&records);
        assert_eq!(all.len(), 2);
        let a = &all["a.org"];
        assert_eq!(a.days["2026-01-01"].sent, 1);
        assert_eq!(a.days["2026-01-01"].hard_bounces, 3);
        assert_eq!(
            a.reasons[&("2026-01-01".to_string(), "550 unknown".to_string())],
            2
        );
        assert_eq!(
            a.reasons[&("2026-01-01".to_string(), NO_DIAGNOSTIC.to_string())],
            1
        );
        // Two days and two diagnostics: four items to update.
        assert_eq!(a.items(), 4);
        assert_eq!(all["b.org"].items(), 1);
        let mut c = Counts::default();
        assert!(c.set("rejects", 4));
        assert!(!c.set("opens", 1));
        c.plus(&a.days["2026-01-01"]);
        assert_eq!(c.named().collect::<Vec<_>>()[5], ("rejects", 4));
        assert_eq!(c.hard_bounces, 3);
    }
}
