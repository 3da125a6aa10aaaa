//! Headless Chromium (Debian's `chromium`, which `.ci/run` installs) for the status page:
//! the DOM after load, screenshots, and a check that a screenshot is not blank.
//!
//! Each run gets a fresh profile directory and the flags that keep Chromium off the network
//! (background networking, component updates, sync); a run that outlasts its timeout is killed
//! with its whole process group. Needs only std, `png` and `tempfile`, so the status benchmark
//! includes it with `#[path]` as well as the test suite.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// What one Chromium run printed.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
}

/// Runs Chromium headless on `page` with `extra` flags; kills it after `timeout`.
pub fn run(page: &Path, extra: &[String], timeout: Duration) -> Result<Run, String> {
    if !Path::new(CHROMIUM).exists() {
        return Err(format!(
            "{CHROMIUM} is missing: install Debian's chromium (`apt-get install --no-install-recommends chromium`; .ci/run does)"
        ));
    }
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    let page = std::fs::canonicalize(page).map_err(|e| format!("{}: {e}", page.display()))?;
    let mut child = {
        use std::os::unix::process::CommandExt as _;
        Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a hung run is killed with its renderer and GPU helpers.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {CHROMIUM}: {e}"))?
    };
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break Some(status),
            None if started.elapsed() > timeout => break None,
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let Some(status) = status else {
        kill_group(child.id());
        let _ = child.wait();
        return Err(format!(
            "chromium did not finish within {timeout:?}; killed"
        ));
    };
    // The browser is gone; helpers it left in its group go too.
    kill_group(child.id());
    Ok(Run {
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        success: status.success(),
    })
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// The DOM after the page loaded.
pub fn dump_dom(page: &Path) -> Result<String, String> {
    let run = run(page, &["--dump-dom".to_string()], Duration::from_secs(90))?;
    if !run.success || run.stdout.is_empty() {
        return Err(format!("chromium --dump-dom failed: {}", run.stderr));
    }
    Ok(run.stdout)
}

/// Lays out each document in an `iframe` of its width (CSS pixels), all in one Chromium run
/// (a run costs seconds, a frame little), and once the page has loaded calls `measure`, a
/// JavaScript function of the frame's window and document, on each. Returns the JSON array of
/// what it returned, one per document in order. A frame is as wide as a phone's screen, which
/// a headless window cannot be made narrower than.
pub fn measure_frames(
    docs: &[(&str, u32)],
    measure: &str,
    scratch: &Path,
) -> Result<String, String> {
    let mut page = String::from("<!DOCTYPE html>\n<html><body>\n");
    for (doc, width) in docs {
        // `srcdoc` frames share the page's origin, so its script may read their layout.
        let attr = doc.replace('&', "&amp;").replace('"', "&quot;");
        page.push_str(&format!(
            "<iframe style=\"width: {width}px; height: 800px; border: 0\" srcdoc=\"{attr}\"></iframe>\n"
        ));
    }
    page.push_str(&format!(
        "<pre id=\"measured\"></pre>\n<script>\naddEventListener('load', () => {{\n  const measure = {measure};\n  const out = [...document.querySelectorAll('iframe')].map(f => measure(f.contentWindow, f.contentDocument));\n  document.getElementById('measured').textContent = JSON.stringify(out);\n}});\n</script>\n</body></html>\n"
    ));
    let file = scratch.join("frames.html");
    std::fs::write(&file, page).map_err(|e| e.to_string())?;
    let dom = dump_dom(&file)?;
    let start = dom
        .find("<pre id=\"measured\">")
        .ok_or_else(|| format!("no measurements in {dom}"))?
        + "<pre id=\"measured\">".len();
    let end = start
        + dom[start..]
            .find("</pre>")
            .ok_or("the measurements end nowhere")?;
    Ok(dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&"))
}

/// A screenshot of the page at `width`×`height` CSS pixels, written to `png`.
pub fn screenshot(page: &Path, width: u32, height: u32, png: &Path) -> Result<PathBuf, String> {
    let run = run(
        page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
        ],
        Duration::from_secs(90),
    )?;
    if !run.success || !png.exists() {
        return Err(format!("chromium --screenshot failed: {}", run.stderr));
    }
    Ok(png.to_path_buf())
}

/// What a screenshot shows: its size, the number of distinct colours, and the share of pixels
/// that differ from the top-left (background) pixel.
#[derive(Debug)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub colours: usize,
    pub ink: f64,
}

pub fn look_at(png_path: &Path) -> Result<Picture, String> {
    let file = std::fs::File::open(png_path).map_err(|e| e.to_string())?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels.first().copied().unwrap_or(&[]);
    let ink = pixels.iter().filter(|p| **p != background).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    Ok(Picture {
        width: info.width,
        height: info.height,
        colours: colours.len(),
        ink: ink as f64 / pixels.len().max(1) as f64,
    })
}
