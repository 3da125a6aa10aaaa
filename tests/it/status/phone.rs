//! The status page on a phone (issue #23 item 14): at 390 px nothing scrolls sideways, every
//! row's reason is on screen, the rows come before the summaries, and every row that waits on
//! the platform says why.

use std::path::Path;

use serde_json::Value;

use super::browser;

/// What the page measures at a phone's width.
const MEASURE: &str = r#"(w, d) => ({
  inner: w.innerWidth,
  scroll: d.documentElement.scrollWidth,
  table_top: d.querySelector('table.rows').getBoundingClientRect().top,
  summary_top: d.getElementById('summary').getBoundingClientRect().top,
  rows: [...d.querySelectorAll('table.rows tbody tr')].map(tr => {
    const reason = tr.querySelector('td.r');
    const at = reason.getBoundingClientRect();
    return {
      id: tr.id,
      class: tr.className,
      waits: tr.querySelectorAll('td')[1].textContent,
      reason: reason.textContent,
      left: at.left,
      right: at.right,
    };
  }),
})"#;

/// Checks the page at 390 px; returns how many rows have a reason.
pub fn check(page: &Path) -> usize {
    let html = std::fs::read_to_string(page).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let json = browser::measure_frames(&[(&html, 390)], MEASURE, scratch.path())
        .unwrap_or_else(|e| panic!("{e}"));
    let measured: Vec<Value> = serde_json::from_str(&json).expect("JSON");
    let m = &measured[0];
    assert_eq!(m["inner"], 390, "{m}");
    assert!(
        m["scroll"].as_f64() <= m["inner"].as_f64(),
        "the page scrolls sideways at 390 px: {}",
        m["scroll"]
    );
    assert!(
        m["table_top"].as_f64() < m["summary_top"].as_f64(),
        "the rows do not come first: {} vs {}",
        m["table_top"],
        m["summary_top"]
    );
    let rows = m["rows"].as_array().expect("rows");
    let mut with_reason = 0;
    for row in rows {
        let reason = row["reason"].as_str().unwrap_or_default();
        // A failing row's reason is the error that stops it (a quota, a transfer lock), which
        // names its cause; every other row waiting on the platform says what for.
        if row["waits"] == "the platform" && row["class"] != "f" {
            assert!(
                reason.contains("waits on the platform: "),
                "{}: waits on the platform and does not say why: {reason:?}",
                row["id"]
            );
        }
        if reason.is_empty() {
            continue;
        }
        with_reason += 1;
        let (left, right) = (
            row["left"].as_f64().unwrap(),
            row["right"].as_f64().unwrap(),
        );
        assert!(
            left >= 0.0 && right <= 390.5 && right > left,
            "{}: the reason is off screen at 390 px ({left}..{right}): {reason}",
            row["id"]
        );
    }
    with_reason
}
