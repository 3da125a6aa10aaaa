//! `apply` without a saved plan reads, plans and applies in one process: its writes continue
//! the plan's stream of calls under the same rate limiter, so the sandbox enforcing SES's one
//! request a second throttles none of them (with a limiter of its own, the first create would
//! follow the plan's last list call by milliseconds, and be throttled).

use mailform::sandbox::{RateLimits, SandboxConfig};

use crate::support::cli::{PLATFORM, bin};
use crate::support::estate::{Estate, Method, id, library_file, method};
use crate::support::sandbox as harness;

#[test]
fn apply_continues_the_plans_stream_of_calls_without_a_throttled_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = harness::start_with(SandboxConfig {
        rate_limits: RateLimits::documented(),
        ..SandboxConfig::default()
    });
    let libraries = dir.path().join("libraries");
    std::fs::create_dir_all(&libraries).unwrap();
    std::fs::write(libraries.join("_platform.kdl"), PLATFORM).unwrap();
    // Two new SES-domain libraries: three list calls, then two creates.
    for i in (0..6).filter(|i| method(*i) == Method::SesDomain) {
        std::fs::write(
            libraries.join(format!("{}.kdl", id(i))),
            library_file(i, ""),
        )
        .unwrap();
    }
    let estate = Estate {
        root: dir.path().to_path_buf(),
        n: 0,
    };
    let applied = estate.run(&bin(), &sandbox, &["apply", "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);

    let ses: Vec<(String, Option<String>)> = sandbox
        .request_log()
        .into_iter()
        .filter(|e| e.service == mailform::sandbox::Service::Ses)
        .map(|e| (e.operation, e.error))
        .collect();
    let operations: Vec<&str> = ses.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        operations,
        [
            "GetAccount",
            "ListEmailIdentities",
            "ListConfigurationSets",
            "CreateEmailIdentity",
            "CreateEmailIdentity",
        ],
        "each call once, none retried after a throttled answer: {ses:?}"
    );
    assert!(ses.iter().all(|(_, error)| error.is_none()), "{ses:?}");
}
