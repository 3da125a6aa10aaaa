//! A refresh's progress as one line, for a log that is not a terminal (CI): each service's
//! calls made of those expected, how long the caller at the head of its rate limiter still
//! waits, and the time since the refresh began. The CLI prints one on a timer, so a long
//! nightly refresh (SES at one request a second) shows it is moving.
//!
//! Pure: the counters come in as a [`Reading`] and the elapsed time as a number; the CLI owns
//! the clock and stderr.

use std::time::Duration;

use crate::live::meter::{Reading, Service, ServiceReading};

/// `refresh: SES 212/670 calls (waiting 0.9 s for the rate limit), Route 53 4/4 calls, …;
/// 3 min 40 s elapsed`.
pub fn line(reading: &Reading, elapsed: Duration) -> String {
    let services = if reading.services.is_empty() {
        "no call answered yet".to_string()
    } else {
        reading
            .services
            .iter()
            .map(service)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("refresh: {services}; {} elapsed", duration(elapsed))
}

fn service(s: &ServiceReading) -> String {
    let (name, unit) = match s.service {
        Service::Ses => ("SES", "calls"),
        Service::Route53 => ("Route 53", "calls"),
        Service::Route53Domains => ("Route 53 Domains", "calls"),
        Service::Dns => ("DNS", "queries"),
        Service::Smtp => ("SMTP", "probes"),
    };
    let count = match s.expected {
        Some(expected) => format!("{}/{expected}", s.done),
        None => s.done.to_string(),
    };
    let wait = s
        .waiting
        .map(|w| format!(" (waiting {:.1} s for the rate limit)", w.as_secs_f64()))
        .unwrap_or_default();
    format!("{name} {count} {unit}{wait}")
}

/// `42 s`, `3 min 40 s`, `1 h 5 min`: whole units, as a log reader counts them.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(services: &[(Service, u64, Option<u64>, Option<u64>)]) -> Reading {
        Reading {
            services: services
                .iter()
                .map(|&(service, done, expected, waiting_ms)| ServiceReading {
                    service,
                    done,
                    expected,
                    waiting: waiting_ms.map(Duration::from_millis),
                })
                .collect(),
        }
    }

    /// The lines of a nightly refresh of 1,000 libraries, as a CI log shows them.
    #[test]
    fn lines_of_a_long_refresh() {
        let lines = [
            line(&reading(&[]), Duration::from_secs(30)),
            line(
                &reading(&[
                    (Service::Ses, 212, Some(670), Some(940)),
                    (Service::Route53, 4, Some(4), None),
                    (Service::Route53Domains, 6, Some(6), None),
                ]),
                Duration::from_secs(220),
            ),
            line(
                &reading(&[
                    (Service::Ses, 671, Some(670), None),
                    (Service::Route53, 4, Some(4), None),
                    (Service::Route53Domains, 6, Some(6), None),
                    (Service::Dns, 3100, Some(10_000), None),
                    (Service::Smtp, 0, Some(333), None),
                ]),
                Duration::from_secs(3 * 3600 + 125),
            ),
            line(
                &reading(&[(Service::Dns, 12, None, None)]),
                Duration::from_millis(59_999),
            ),
        ];
        insta::with_settings!({snapshot_path => "../../snapshots/refresh", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("lines_of_a_long_refresh", lines.join("\n"));
        });
    }
}
