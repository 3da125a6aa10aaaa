//! A throw-away Exim (Debian's exim4-daemon-light) on 127.0.0.1.
//!
//! The harness writes the configuration, spool and logs into a temp dir,
//! picks free ports, starts `exim4 -C CONF -bdf` (daemon in the foreground,
//! so the child is the daemon), waits until the port accepts, and kills the
//! daemon on drop. Never the system service.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::certs::{Leaf, TestPki};
use super::free_port;

pub const USER: &str = "testuser";
pub const LOCAL_DOMAINS: &str = "localhost : example-library.org";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersions {
    /// TLS 1.2 and 1.3.
    Modern,
    /// TLS 1.0 and 1.1 only.
    Legacy,
    /// No STARTTLS, no implicit-TLS port.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthWhen {
    /// Offer AUTH only after TLS.
    AfterTls,
    /// Also in clear text.
    Always,
    /// Only in clear text.
    BeforeTlsOnly,
}

/// How the server is set up. `Default` is the good server.
#[derive(Debug, Clone)]
pub struct EximSpec {
    pub leaf: Leaf,
    pub tls: TlsVersions,
    /// Any of PLAIN, LOGIN, CRAM-MD5; others (XOAUTH2, OAUTHBEARER) are
    /// offered but never succeed.
    pub mechanisms: Vec<&'static str>,
    pub auth_when: AuthWhen,
    pub open_relay: bool,
    pub password: String,
    /// When set, an authenticated client may only use this sender address.
    pub only_sender: Option<String>,
    /// Accept messages and deliver every one into a maildir (`Exim::maildir`): the relay of
    /// the notices' tests. Otherwise messages are discarded (the probe never sends one).
    pub deliver: bool,
    /// Answer the end of DATA for recipients at this domain with a temporary refusal (451).
    pub defer_domain: Option<String>,
    /// Answer RCPT for recipients at this domain with a permanent refusal (550).
    pub refuse_domain: Option<String>,
}

impl Default for EximSpec {
    fn default() -> Self {
        EximSpec {
            leaf: Leaf::Good,
            tls: TlsVersions::Modern,
            mechanisms: vec!["PLAIN", "LOGIN", "CRAM-MD5"],
            auth_when: AuthWhen::AfterTls,
            open_relay: false,
            password: "testpass".into(),
            only_sender: None,
            deliver: false,
            defer_domain: None,
            refuse_domain: None,
        }
    }
}

/// A running Exim; killed on drop.
pub struct Exim {
    pub starttls_port: u16,
    pub smtps_port: u16,
    pub ca: rustls::pki_types::CertificateDer<'static>,
    child: Child,
    // Read by the notices' tests, which need the sandbox feature.
    #[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
    maildir: std::path::PathBuf,
    // Kept for the daemon's lifetime; removed on drop after the daemon.
    _dir: tempfile::TempDir,
}

impl Drop for Exim {
    /// Kills the daemon and the children it forked for connections (they
    /// share its process group), and waits until they are gone: a child
    /// still logging would recreate the temp dir after it is removed.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        signal("-KILL");
        let _ = self.child.wait();
        let started = Instant::now();
        while live_members(self.child.id()) > 0 && started.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Processes of this process group that still run (zombies cannot write
/// logs; whether they are reaped depends on the container's init).
fn live_members(group: u32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // "pid (comm) state ppid pgrp ...": comm may hold spaces.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            f.len() > 2 && f[0] != "Z" && f[2] == group.to_string()
        })
        .count()
}

fn exim_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("Debian-exim:"))
        .expect("user Debian-exim: install exim4-daemon-light");
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().expect("uid"), f[3].parse().expect("gid"))
}

fn config(spec: &EximSpec, dir: &Path, starttls: u16, smtps: u16) -> String {
    let d = dir.display();
    let mut c = String::new();
    let ports = if spec.tls == TlsVersions::None {
        format!("{starttls}")
    } else {
        format!("{starttls} : {smtps}")
    };
    c += &format!(
        "primary_hostname = localhost
exim_user = Debian-exim
exim_group = Debian-exim
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
pid_file_path = {d}/exim.pid
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = {ports}
domainlist local_domains = {LOCAL_DOMAINS}
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
host_lookup =
keep_environment =
rfc1413_hosts =
log_selector = +smtp_connection +tls_peerdn +smtp_protocol_error +smtp_syntax_error
"
    );
    let prio = match spec.tls {
        TlsVersions::Modern => "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        TlsVersions::Legacy => "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0:+SHA1:%COMPAT",
        TlsVersions::None => "",
    };
    if spec.tls == TlsVersions::None {
        c += "tls_advertise_hosts =\n";
    } else {
        let stem = spec.leaf.file_stem();
        c += &format!(
            "tls_advertise_hosts = *
tls_certificate = {d}/certs/{stem}.pem
tls_privatekey = {d}/certs/{stem}.key
tls_require_ciphers = {prio}
tls_on_connect_ports = {smtps}
"
        );
    }
    let relay = if spec.open_relay { "  accept\n" } else { "" };
    let refuse = match &spec.refuse_domain {
        Some(domain) => format!(
            "  deny   domains = {domain}\n         message = 5.1.1 Recipient address rejected: no such user\n"
        ),
        None => String::new(),
    };
    let data = match (&spec.deliver, &spec.defer_domain) {
        (false, _) => "  discard\n".to_string(),
        (true, Some(domain)) => format!(
            "  defer  condition = ${{if match{{$recipients}}{{@{domain}}}}}\n         message = 4.3.0 Mailbox temporarily unavailable, try again later\n  accept\n"
        ),
        (true, None) => "  accept\n".to_string(),
    };
    let (routers, transports) = if spec.deliver {
        (
            "everything:\n  driver = accept\n  transport = to_maildir\n".to_string(),
            format!(
                "to_maildir:\n  driver = appendfile\n  directory = {d}/maildir\n  maildir_format\n  create_directory\n  delivery_date_add\n  envelope_to_add\n  return_path_add\n  user = Debian-exim\n  group = Debian-exim\n  mode = 0644\n"
            ),
        )
    } else {
        (String::new(), String::new())
    };
    // Authenticated senders other than the allowed one are refused at MAIL FROM.
    let sender_rule = match &spec.only_sender {
        Some(a) => format!(
            "  deny   authenticated = *\n         !senders = {a}\n         message = 5.7.1 Sender address rejected: not owned by user\n"
        ),
        None => String::new(),
    };
    c += &format!(
        "
begin acl
acl_check_mail:
{sender_rule}  accept

acl_check_rcpt:
{refuse}  accept authenticated = *
{relay}  accept domains = +local_domains
  deny   message = 5.7.1 Relaying denied (authentication required)

acl_check_data:
{data}
begin routers
{routers}
begin transports
{transports}
begin authenticators
"
    );
    let adv = match spec.auth_when {
        AuthWhen::AfterTls => "${if def:tls_in_cipher}",
        AuthWhen::Always => "yes",
        AuthWhen::BeforeTlsOnly => "${if def:tls_in_cipher{no}{yes}}",
    };
    let (u, p) = (USER, &spec.password);
    for m in &spec.mechanisms {
        c += &match *m {
            "PLAIN" => format!(
                "PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${{if and {{{{eq{{$auth2}}{{{u}}}}}{{eq{{$auth3}}{{{p}}}}}}}}}
  server_set_id = $auth2
  server_advertise_condition = {adv}
"
            ),
            "LOGIN" => format!(
                "LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = ${{if and {{{{eq{{$auth1}}{{{u}}}}}{{eq{{$auth2}}{{{p}}}}}}}}}
  server_set_id = $auth1
  server_advertise_condition = {adv}
"
            ),
            "CRAM-MD5" => format!(
                "CRAM:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = ${{if eq{{$auth1}}{{{u}}}{{{p}}}fail}}
  server_set_id = $auth1
  server_advertise_condition = {adv}
"
            ),
            other => format!(
                "{}:
  driver = plaintext
  public_name = {other}
  server_prompts = :
  server_condition = false
  server_advertise_condition = {adv}
",
                other.replace('-', "_")
            ),
        };
    }
    c
}

impl Exim {
    /// Starts a server as `spec` says; panics with Exim's log if it cannot.
    pub fn start(spec: &EximSpec) -> Exim {
        let mut last_error = String::new();
        // A freed port can be taken by another test between pick and bind:
        // try a few times with new ports.
        for _ in 0..3 {
            match Self::try_start(spec) {
                Ok(e) => return e,
                Err(e) => last_error = e,
            }
        }
        panic!("exim did not start: {last_error}");
    }

    fn try_start(spec: &EximSpec) -> Result<Exim, String> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("mailform-exim-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = dir.path();
        // Exim drops to Debian-exim: it must reach the spool, logs and keys.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let (uid, gid) = exim_ids();
        for sub in ["spool", "log", "certs", "maildir"] {
            let p = root.join(sub);
            std::fs::create_dir(&p).map_err(|e| e.to_string())?;
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let pki = TestPki::create(&root.join("certs"));
        for entry in std::fs::read_dir(root.join("certs")).map_err(|e| e.to_string())? {
            let p = entry.map_err(|e| e.to_string())?.path();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))
                .map_err(|e| e.to_string())?;
        }
        let starttls_port = free_port();
        let mut smtps_port = free_port();
        while smtps_port == starttls_port {
            smtps_port = free_port();
        }
        let conf = root.join("exim.conf");
        std::fs::write(&conf, config(spec, root, starttls_port, smtps_port))
            .map_err(|e| e.to_string())?;
        let exim = std::env::var("EXIM").unwrap_or_else(|_| "/usr/sbin/exim4".into());
        let check = Command::new(&exim)
            .arg("-C")
            .arg(&conf)
            .arg("-bV")
            .output()
            .map_err(|e| format!("run {exim}: {e} (install exim4-daemon-light)"))?;
        if !check.status.success() {
            return Err(format!(
                "config check failed: {}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            ));
        }
        let out = std::fs::File::create(root.join("daemon.out")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&exim)
            .arg("-C")
            .arg(&conf)
            .arg("-bdf")
            // Its own process group, so drop can end the daemon's children too.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut server = Exim {
            starttls_port,
            smtps_port,
            ca: pki.ca,
            child,
            maildir: root.join("maildir"),
            _dir: dir,
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if TcpStream::connect(("127.0.0.1", starttls_port)).is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = |f: &str| {
                    std::fs::read_to_string(server._dir.path().join(f)).unwrap_or_default()
                };
                return Err(format!(
                    "exim exited with {status}: {}{}",
                    log("daemon.out"),
                    log("log/paniclog")
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("exim did not accept connections within 10 s".into())
    }
}

// The notices' tests (feature `sandbox`) read the relay's maildir.
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
impl Exim {
    /// The messages delivered so far (`deliver: true`), each as its raw text, oldest first.
    pub fn delivered(&self) -> Vec<String> {
        let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.join(sub)).ok())
            .flatten()
            .filter_map(|e| {
                let e = e.ok()?;
                Some((e.metadata().ok()?.modified().ok()?, e.path()))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Waits until no delivery has happened for `quiet`: Exim delivers in a process of its
    /// own after it answered the client, so a count read at once may be short.
    pub fn settle(&self, quiet: Duration) -> Vec<String> {
        let mut last = self.delivered().len();
        let mut since = Instant::now();
        let started = Instant::now();
        while since.elapsed() < quiet && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(25));
            let now = self.delivered().len();
            if now != last {
                last = now;
                since = Instant::now();
            }
        }
        self.delivered()
    }

    /// The test CA as PEM, for `--test-only-trust-ca`.
    pub fn ca_pem(&self) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.ca.as_ref());
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}
