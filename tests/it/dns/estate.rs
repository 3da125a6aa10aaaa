//! The benchmark's estate (methods 1, 3 and 2 in turn), converged in the sandbox, with fine SPF
//! and DMARC records at every method-1 library: its plan has no SPF or DMARC line. The 1,000
//! libraries of `benches/plan` assert the same; this is the estate at test size.

use mailform::sandbox::{RecordInput, SandboxConfig};

use crate::support::cli::bin;
use crate::support::estate::{Estate, Method, domain, method};
use crate::support::sandbox as harness;

#[test]
fn a_plan_of_libraries_whose_records_are_fine_has_no_spf_or_dmarc_line() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = harness::start_with(SandboxConfig {
        domain_limit: 100,
        ..SandboxConfig::default()
    });
    let n = 30;
    let estate = Estate::write(dir.path(), n);
    estate
        .converge(&bin(), &sandbox)
        .expect("the estate converges");
    for i in (0..n).filter(|i| method(*i) == Method::SesDomain) {
        let name = domain(i).unwrap();
        let zone = sandbox.create_zone(&name);
        // Library 0 gets its DMARC record below, a broken one.
        let records = if i == 0 { 1 } else { 2 };
        for (host, value) in [
            (
                name.clone(),
                "v=spf1 include:amazonses.com ~all".to_string(),
            ),
            (
                format!("_dmarc.{name}"),
                format!("v=DMARC1; p=quarantine; rua=mailto:dmarc@{name}"),
            ),
        ]
        .into_iter()
        .take(records)
        {
            sandbox
                .add_record(&zone, RecordInput::new(&host, "TXT", &value))
                .unwrap();
        }
    }
    let plan = estate.run_fast(&bin(), &sandbox, &["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    for word in ["spf::", "dmarc::", "SPF", "DMARC"] {
        assert!(!plan.stdout.contains(word), "{word} in:\n{}", plan.stdout);
    }
    // The same libraries with a broken record each get their one line, with its fix.
    let name = domain(0).unwrap();
    sandbox
        .add_record(
            &name,
            RecordInput::new(
                &format!("_dmarc.{name}"),
                "TXT",
                "v=DMARC1; p=reject; pct=50",
            ),
        )
        .unwrap();
    let plan = estate.run_fast(&bin(), &sandbox, &["plan"]);
    let lines: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains("dmarc::") || l.contains("spf::"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", plan.stdout);
    assert!(
        lines[0].contains("dmarc::") && lines[0].contains("fix:"),
        "{}",
        lines[0]
    );
}
