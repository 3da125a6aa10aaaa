//! The status page on a phone (issue #23 item 14): at 390 px nothing scrolls sideways, every
//! row's reason is on screen, the rows come before the summaries, and every row that waits on
//! the platform says why; where the page shows deliverability, each row's cell is on screen
//! too.

use std::path::Path;

use serde_json::Value;

use super::browser;

/// What the page measures at a phone's width.
/// Cells are found by their column's header (the first is the row's own header cell), since
/// the deliverability column is there only when the platform keeps SES events.
const MEASURE: &str = r#"(w, d) => {
 const heads = [...d.querySelectorAll('table.rows thead th')].map(th => th.textContent);
 const cell = (tr, name) => heads.indexOf(name) < 1 ? null : tr.querySelectorAll('td')[heads.indexOf(name) - 1];
 return {
  inner: w.innerWidth,
  height: w.innerHeight,
  scroll: d.documentElement.scrollWidth,
  table_top: d.querySelector('table.rows').getBoundingClientRect().top,
  summary_top: d.getElementById('summary').getBoundingClientRect().top,
  rows: [...d.querySelectorAll('table.rows tbody tr')].map(tr => {
    const reason = tr.querySelector('td.r');
    const at = reason.getBoundingClientRect();
    const health = cell(tr, 'Deliverability');
    const h = health ? health.getBoundingClientRect() : null;
    return {
      id: tr.id,
      class: tr.className,
      waits: cell(tr, 'Waits on').textContent,
      reason: reason.textContent,
      left: at.left,
      right: at.right,
      deliverability: health ? { text: health.textContent, class: health.className, left: h.left, right: h.right, top: h.top, bottom: h.bottom } : null,
    };
  }),
 };
}"#;

/// Checks the page at 390 px; returns how many rows have a reason, and what was measured of
/// each row (`id`, `class`, `reason`, `deliverability`: its cell's text, class and box).
pub fn check(page: &Path) -> (usize, Vec<Value>) {
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
        let health = &row["deliverability"];
        if !health.is_null() {
            let (left, right) = (
                health["left"].as_f64().unwrap(),
                health["right"].as_f64().unwrap(),
            );
            assert!(
                left >= 0.0 && right <= 390.5 && right > left,
                "{}: the deliverability cell is off screen at 390 px ({left}..{right}): {}",
                row["id"],
                health["text"]
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
    (with_reason, rows.clone())
}
