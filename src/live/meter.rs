//! How far a refresh has got, per service, for a progress line: calls made, calls expected,
//! and how long the caller now at the head of a rate limiter's queue still waits.
//!
//! Counters only, shared between the code that makes the calls and the code that reports:
//! the AWS adapters' HTTP client counts every attempt ([`super::aws`]), the refresh engine
//! says what it expects to call and counts DNS answers and SMTP probes ([`super::gather`]),
//! and the CLI samples a [`Reading`] on its own timer and has it rendered
//! (`crate::render::refresh`). Nothing here prints or keeps time beyond the limiter's turn.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// What is counted: the three AWS services a refresh reads, the DNS questions and the SMTP
/// probes. The order is the order of a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Ses,
    Route53,
    Route53Domains,
    Dns,
    Smtp,
}

/// One service's counters.
#[derive(Debug, Default)]
pub struct Meter {
    done: AtomicU64,
    /// Calls planned so far; 0 while nothing is planned (unknown).
    expected: AtomicU64,
    /// When the caller that holds the rate limiter's turn may go, while it sleeps.
    turn: Mutex<Option<Instant>>,
}

impl Meter {
    /// `calls` more are planned. Retries and further pages of a list are not foreseen, so the
    /// count of calls made may pass the expected one by those.
    pub fn expect(&self, calls: usize) {
        self.expected.fetch_add(calls as u64, Ordering::Relaxed);
    }

    /// One call (an HTTP attempt, a DNS question, a probe) has finished.
    pub fn done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// The rate limiter's head caller sleeps until `at` (`None`: it woke up).
    pub(crate) fn waiting_until(&self, at: Option<Instant>) {
        *self.turn.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// The counters at `now`.
    fn reading(&self, now: Instant) -> (u64, Option<u64>, Option<Duration>) {
        let expected = self.expected.load(Ordering::Relaxed);
        let waiting = self
            .turn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .and_then(|at| at.checked_duration_since(now))
            .filter(|d| !d.is_zero());
        (
            self.done.load(Ordering::Relaxed),
            (expected > 0).then_some(expected),
            waiting,
        )
    }
}

/// The meters of one refresh, one per [`Service`]. Cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct Meters {
    pub ses: Arc<Meter>,
    pub route53: Arc<Meter>,
    pub route53domains: Arc<Meter>,
    pub dns: Arc<Meter>,
    pub smtp: Arc<Meter>,
}

impl Meters {
    pub fn get(&self, service: Service) -> &Meter {
        match service {
            Service::Ses => &self.ses,
            Service::Route53 => &self.route53,
            Service::Route53Domains => &self.route53domains,
            Service::Dns => &self.dns,
            Service::Smtp => &self.smtp,
        }
    }

    /// Every service that has made or planned a call, in line order.
    pub fn reading(&self, now: Instant) -> Reading {
        let services = [
            Service::Ses,
            Service::Route53,
            Service::Route53Domains,
            Service::Dns,
            Service::Smtp,
        ]
        .into_iter()
        .filter_map(|service| {
            let (done, expected, waiting) = self.get(service).reading(now);
            (done > 0 || expected.is_some()).then_some(ServiceReading {
                service,
                done,
                expected,
                waiting,
            })
        })
        .collect();
        Reading { services }
    }
}

/// The counters of a refresh at one moment: plain data for a renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub services: Vec<ServiceReading>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceReading {
    pub service: Service,
    pub done: u64,
    /// `None` while the refresh has planned no call of this service.
    pub expected: Option<u64>,
    /// How long the caller at the head of the rate limiter's queue still waits.
    pub waiting: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_lists_only_services_with_calls_and_the_wait_still_ahead() {
        let meters = Meters::default();
        let now = Instant::now();
        assert_eq!(meters.reading(now).services, []);
        meters.ses.expect(3);
        meters.ses.done();
        meters
            .ses
            .waiting_until(Some(now + Duration::from_millis(900)));
        meters.dns.done();
        let reading = meters.reading(now);
        assert_eq!(
            reading.services,
            [
                ServiceReading {
                    service: Service::Ses,
                    done: 1,
                    expected: Some(3),
                    waiting: Some(Duration::from_millis(900)),
                },
                ServiceReading {
                    service: Service::Dns,
                    done: 1,
                    expected: None,
                    waiting: None,
                },
            ]
        );
        // A turn already past is no wait.
        let later = meters.reading(now + Duration::from_secs(1));
        assert_eq!(later.services[0].waiting, None);
    }
}
