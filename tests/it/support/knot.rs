//! A throw-away authoritative Knot DNS server on 127.0.0.1, for the DNS checks.
//!
//! `Knot::start(&[(zone, zone_file_text)])` writes the zones, starts `knotd` on a free port
//! and waits until every zone is served; `set_zone` rewrites a zone and reloads it (about
//! 20 ms); dropping it kills the daemon and removes its directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Knot {
    pub addr: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn knotc(conf: &PathBuf, args: &[&str]) -> std::process::Output {
    Command::new("knotc")
        .arg("-c")
        .arg(conf)
        .args(["-t", "2"])
        .args(args)
        .output()
        .expect("run knotc (apt-get install knot)")
}

impl Knot {
    pub fn start(zones: &[(&str, &str)]) -> Knot {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(zones) {
                Ok(k) => return k,
                Err(e) => last = e,
            }
        }
        panic!("knotd did not start: {last}");
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("knot.conf")
    }

    fn try_start(zones: &[(&str, &str)]) -> Result<Knot, String> {
        let dir = tempfile::Builder::new()
            .prefix("mailform-knot-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("zones")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(root.join("db")).map_err(|e| e.to_string())?;
        let port = crate::support::free_port();
        let mut conf = format!(
            r#"server:
    rundir: "{root}"
    pidfile: "{root}/knot.pid"
    listen: 127.0.0.1@{port}
log:
  - target: stderr
    any: warning
database:
    storage: "{root}/db"
control:
    listen: "{root}/knot.sock"
template:
  - id: default
    storage: "{root}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
"#,
            root = root.display()
        );
        for (zone, text) in zones {
            conf.push_str(&format!("  - domain: {zone}\n"));
            std::fs::write(root.join(format!("zones/{zone}.zone")), text)
                .map_err(|e| e.to_string())?;
        }
        std::fs::write(root.join("knot.conf"), conf).map_err(|e| e.to_string())?;
        let child = Command::new("knotd")
            .arg("-c")
            .arg(root.join("knot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run knotd (apt-get install knot): {e}"))?;
        let knot = Knot {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            dir,
        };
        let started = Instant::now();
        loop {
            let ready = zones.iter().all(|(zone, _)| {
                let out = knotc(&knot.conf(), &["zone-status", zone]);
                String::from_utf8_lossy(&out.stdout).contains("serial: ")
                    && !String::from_utf8_lossy(&out.stdout).contains("serial: none")
            });
            if ready {
                return Ok(knot);
            }
            if started.elapsed() > Duration::from_secs(5) {
                return Err(format!("zones not served on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Replaces a zone's records and waits until the new serial is served.
    pub fn set_zone(&self, zone: &str, text: &str) {
        std::fs::write(self.dir.path().join(format!("zones/{zone}.zone")), text)
            .expect("write zone");
        let out = knotc(&self.conf(), &["-b", "zone-reload", zone]);
        assert!(
            out.status.success(),
            "knotc zone-reload: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
