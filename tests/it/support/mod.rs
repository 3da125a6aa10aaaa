//! Test harness: the `mailform` binary runner, certificates, throw-away Exim servers, misbehaving fake
//! servers and the snapshot settings. Everything runs on 127.0.0.1 with
//! ports picked at run time, and is stopped on drop, also when a test fails.

pub mod certs;
pub mod cli;
#[cfg(feature = "sandbox")]
pub mod estate;
pub mod exim;
pub mod fake;
pub mod json_schema;
pub mod knot;
#[cfg(feature = "moto-contract")]
pub mod moto;
#[cfg(feature = "sandbox")]
pub mod sandbox;

/// The number of kill points of a kill test: `var` when set (a longer run), else 30 (CI's).
#[cfg(feature = "sandbox")]
pub fn kill_rounds(var: &str) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// Runs `round(n, at)` for `rounds` kill points spread evenly over `over`, each moved by up to
/// `jitter` either way so rounds do not align; three rounds at a time (2 cores), each in its
/// own world. Answers what each round found, in round order.
#[cfg(feature = "sandbox")]
pub fn at_kill_points<T: Send>(
    rounds: u64,
    over: std::time::Duration,
    jitter: std::time::Duration,
    round: impl Fn(u64, std::time::Duration) -> T + Sync,
) -> Vec<T> {
    let points: Vec<u64> = (0..rounds).collect();
    let width = (2 * jitter.as_micros() as u64).max(1);
    let mut found = Vec::new();
    for batch in points.chunks(3) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|&n| {
                    let base = over.as_micros() as u64 * (2 * n + 1) / (2 * rounds);
                    let shift = (n.wrapping_mul(2_654_435_761) % width) as i64 - (width / 2) as i64;
                    let at = std::time::Duration::from_micros(base.saturating_add_signed(shift));
                    let round = &round;
                    scope.spawn(move || round(n, at))
                })
                .collect();
            found.extend(handles.into_iter().map(|h| h.join().unwrap()));
        });
    }
    found
}

/// Filters that take run-dependent parts out of probe output: times,
/// durations, ports, Exim's version and greeting date, days left.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[TIME]",
        ),
        (r"in \d+ ms", "in [MS] ms"),
        (r#""duration_ms": \d+"#, r#""duration_ms": "[MS]""#),
        (r#""port": \d+"#, r#""port": "[PORT]""#),
        (r"(127\.0\.0\.1|localhost|\[::1\]):\d+", "$1:[PORT]"),
        (r"port \d+", "port [PORT]"),
        (r"Exim \d+\.\d+(\.\d+)?", "Exim [VERSION]"),
        (
            r"\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
            "[DATE]",
        ),
        (r"\(-?\d+ days left\)", "([N] days left)"),
        (r"/tmp/[^\s]+", "[TEMP]"),
        // How much a tarpit managed to send before the probe gave up.
        (r"sent \d+ bytes of it", "sent [N] bytes of it"),
    ]
}

/// `insta::assert_snapshot!` with the project's snapshot folder and filters.
#[macro_export]
macro_rules! assert_probe_snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../../../snapshots/probe",
            prepend_module_to_snapshot => false,
            filters => $crate::support::filters(),
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port on 127.0.0.1")
}
